package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/demoshop"
)

// serveRun is `h2hpay serve`, the real binary, for one test.
type serveRun struct {
	merchant, h2h, pay, admin string
}

// startServeBinary runs the built binary's serve on ports the kernel picks
// with the dashboard on, until the test ends.
func startServeBinary(t *testing.T, dataDir, adminToken string) *serveRun {
	t.Helper()
	lines, logs := runBinary(t, binaryEnv("H2HPAY_ADMIN_TOKEN="+adminToken), "serve", "--data", dataDir, "--merchant-addr", "127.0.0.1:0",
		"--h2h-addr", "127.0.0.1:0", "--pay-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--notify-retry", "300ms")
	addrs := readBanner(t, lines, logs, func(l string) bool { return strings.Contains(l, "dashboard    on") })
	s := &serveRun{merchant: addrs["merchant API"], h2h: addrs["H2H API"], pay: addrs["payer pages"], admin: addrs["dashboard"]}
	if s.merchant == "" || s.h2h == "" || s.pay == "" {
		t.Fatalf("serve banner incomplete: %v", addrs)
	}
	return s
}

// Merchant-supplied text that would run as script, or break out of an
// attribute, if a page printed it as markup.
const (
	xssMerchant = `<script>window.__xss=1</script>"Evil & Co" 'shop'`
	xssDesc     = `<img src=x onerror="window.__xss=2">"quoted" 'single' <script>window.__xss=3</script>`
	xssPayer    = `<b>Mal</b> "O'Brien"<script>window.__xss=4</script>`
)

// TestBrowserMerchantTextEscaped: a merchant name, description, payer names
// and order id full of markup and quotes show as text on the checkout, the
// 3-D Secure page, the shop's order page, the hosted page and its result,
// and every dashboard page, and no script of theirs runs.
func TestBrowserMerchantTextEscaped(t *testing.T) {
	t.Parallel()
	b := openTab(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	acct := createMerchantAccount(t, dataDir, "--name", xssMerchant)
	const token = "xss-test-admin-token-0123456789"
	gw := startServeBinary(t, dataDir, token)
	client, err := h2hpay.NewClient(acct.Account, acct.Application, acct.Key,
		h2hpay.WithMerchantURL(gw.merchant), h2hpay.WithH2HURL(gw.h2h), h2hpay.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	// The demo shop's code as the merchant, in this process.
	var handler http.Handler = http.NotFoundHandler()
	shopSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(shopSrv.Close)
	shop, err := demoshop.New(demoshop.Config{Client: client, NotificationKey: acct.NotifyKey, BaseURL: shopSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	handler = shop.Handler()

	visible := func(page, css string, texts ...string) {
		t.Helper()
		got := b.text(css)
		for _, want := range texts {
			if !strings.Contains(got, want) {
				t.Errorf("%s does not show %q as text; it shows:\n%s", page, want, got)
			}
		}
		b.noInjectedScript(page)
	}

	// The checkout: the payer's text comes back in the form as typed.
	b.navigate(shopSrv.URL + "/")
	b.waitFor("the checkout", `!!document.getElementById("checkout")`)
	b.setValue("#desc", xssDesc)
	b.setValue("#payer_name", xssPayer)
	b.setValue("#amount", "not money")
	b.click("#pay")
	b.waitFor("the checkout's amount error", `!!document.getElementById("amount-error")`)
	for id, want := range map[string]string{"desc": xssDesc, "payer_name": xssPayer} {
		if got := eval[string](b, `document.getElementById(`+js(id)+`).value`); got != want {
			t.Errorf("checkout %s came back as %q", id, got)
		}
	}
	b.noInjectedScript("checkout")
	b.shot("checkout")
	b.setValue("#amount", "10.00")
	b.setValue("#card_cvc", "123") // never sent back
	b.click("#pay")
	b.waitFor("the 3-D Secure page", `!!document.getElementById("code")`)
	visible("3-D Secure page", "body", xssMerchant, xssDesc)
	b.shot("3ds-challenge")
	b.click(`button[value="pass"]`)
	b.waitForOrder("paid")
	visible("order page", "main", xssDesc)
	b.shot("order")
	checkoutUUID := eval[string](b, `location.pathname.split("/").pop()`)

	// The hosted page of a payment the merchant created with such text.
	orderID := `ORD-"q"-<i>x</i>-` + uniqueOrder("")
	created, err := client.CreatePayment(context.Background(), &h2hpay.PaymentCreateParams{
		OrderID: orderID, Amount: h2hpay.AmountFromMinor(2500), Service: "payment_card_rub_hpp", Desc: xssDesc,
		CustomerIP: "203.0.113.7", CustomerBrowserUserAgent: "test", CustomerFirstName: "<b>Mal</b>", CustomerLastName: `"O'Brien"<script>window.__xss=5</script>`,
		NotificationEndpointURL: shopSrv.URL + "/notify",
	})
	if err != nil {
		t.Fatal(err)
	}
	b.navigate(created.URL)
	b.waitFor("the hosted page", `!!document.getElementById("card-form")`)
	visible("hosted page", "body", xssMerchant, xssDesc, orderID, "Cancel and return to "+xssMerchant)
	b.shot("hosted-page")
	b.payHosted(cardPaid)
	b.waitFor("the 3-D Secure page", `!!document.getElementById("code")`)
	visible("hosted payment's 3-D Secure page", "body", xssMerchant, xssDesc, orderID)
	b.shot("hosted-3ds-challenge")
	b.click(`button[value="pass"]`)
	// No success URL: the gateway's own result page.
	b.waitFor("the hosted result page", `document.getElementById("status") && document.getElementById("status").textContent === "paid"`)
	visible("hosted result page", "body", xssMerchant, xssDesc, orderID)
	b.shot("hosted-result")

	// The dashboard.
	b.navigate(gw.admin + "/login")
	b.waitFor("the login form", `!!document.getElementById("token")`)
	b.click("#token")
	b.keys(token + "\r")
	b.waitFor("the payments list", `!!document.getElementById("payments")`)
	visible("dashboard list", "#payments", orderID, xssMerchant)
	visible("dashboard account filter", "#f-account", xssMerchant)
	b.shot("dashboard-payments")
	b.navigate(gw.admin + "/payments?order_id=" + url.QueryEscape(orderID))
	b.waitFor("the filtered list", `!!document.getElementById("payments")`)
	if got := eval[string](b, `document.getElementById("f-order").value`); got != orderID {
		t.Errorf("the order id filter came back as %q", got)
	}
	visible("dashboard list by order id", "#payments", orderID)
	b.shot("dashboard-filtered")
	b.navigate(gw.admin + "/payments/" + created.UUID)
	b.waitFor("the payment page", `!!document.getElementById("timeline")`)
	visible("dashboard payment", "main", xssMerchant, xssDesc, orderID, "<b>Mal</b>", `"O'Brien"<script>window.__xss=5</script>`)
	b.shot("dashboard-payment")
	b.navigate(gw.admin + "/payments/" + checkoutUUID)
	b.waitFor("the payment page", `!!document.getElementById("timeline")`)
	visible("dashboard checkout payment", "main", xssDesc, "<b>Mal</b>", `"O'Brien"<script>window.__xss=4</script>`)
	b.navigate(gw.admin + "/accounts")
	b.waitFor("the accounts page", `!!document.querySelector(".account")`)
	visible("dashboard accounts", "main", xssMerchant)
	b.shot("dashboard-accounts")
	b.navigate(gw.admin + "/notifications")
	b.waitFor("the notifications page", `!!document.getElementById("notifications")`)
	b.noInjectedScript("dashboard notifications")
}
