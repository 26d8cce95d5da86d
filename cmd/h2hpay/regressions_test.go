package main

import (
	"time"

	"context"
	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/testing/payer"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// Tests for what a break-it review found (bad input that must change
// nothing, log lines an outsider could write, the payer listener's files).

func createBody(extra string) string {
	return `{"order_id":"` + uniqueOrder("REG") + `","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"UA"` + extra + `}`
}

// TestAmbiguousBodiesRefused: bytes that different parsers read differently
// — invalid UTF-8, a lone surrogate, a key given twice — and NUL are 400s.
func TestAmbiguousBodiesRefused(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, c := range []struct{ body, field string }{
		{createBody(`,"desc":"Caf` + "\xe9" + `"`), "body"},
		{createBody(`,"desc":"\ud800x"`), "desc"},
		{createBody(`,"amount":700`), "body"},
		{createBody(`,"desc":"a\u0000b"`), "desc"},
		{strings.Replace(createBody(""), `"order_id":"`, `"order_id":"A\u0001`, 1), "order_id"},
		{strings.Replace(createBody(""), `"order_id":"`+uniqueOrder("REG")[:0], `"order_id":"   "`+`,"x":"`, 1), "order_id"},
	} {
		code, ans := e.createRaw([]byte(c.body), e.acct.Account, sign(t, e.acct.Key, []byte(c.body)))
		merchantError(t, code, ans, 400, c.field)
	}
	// A U+FFFD the merchant did send is kept.
	e.mustCreateRaw(createBody(`,"desc":"\ufffd"`))
}

// TestLifetimeBounds: 900–3600 seconds as digits; nothing else, however large.
func TestLifetimeBounds(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, lt := range []string{`18446744974`, `"18446744974"`, `18446747574`, `899`, `3601`, `"+900"`, `-900`, `900.0`} {
		b := createBody(`,"lifetime":` + lt)
		code, ans := e.createRaw([]byte(b), e.acct.Account, sign(t, e.acct.Key, []byte(b)))
		merchantError(t, code, ans, 400, "lifetime")
	}
	for _, lt := range []string{`900`, `"3600"`} {
		e.mustCreateRaw(createBody(`,"lifetime":` + lt))
	}
}

// TestNotificationURLFragment: a #fragment would swallow the signed query,
// so a notification URL with one is refused, at create and in the cabinet.
func TestNotificationURLFragment(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	b := createBody(`,"notification_endpoint_url":"http://127.0.0.1:9/notify#top"`)
	code, ans := e.createRaw([]byte(b), e.acct.Account, sign(t, e.acct.Key, []byte(b)))
	merchantError(t, code, ans, 400, "notification_endpoint_url")
	var out, errOut syncBuffer
	err := runCLI(t, []string{"endpoint", "add", "--data", e.dataDir, "--account", e.acct.Account,
		"--kind", "notification", "--url", "http://127.0.0.1:9/n#f"}, &out, &errOut)
	if err == nil || !strings.Contains(errOut.String(), "fragment") {
		t.Errorf("endpoint add with a fragment: %v %s", err, errOut.String())
	}
}

// TestServiceKinds: a payout service cannot take a payment, card-number and
// PKR services need their customer fields, and only card services take
// card data over H2H.
func TestServiceKinds(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	acct := createMerchantAccount(t, dataDir, "--service", "payment_card_rub_hpp", "--service", "payment_card_rub",
		"--service", "payment_card_number_rub_hpp", "--service", "virtual_account_rub_hpp")
	pkr := createMerchantAccount(t, dataDir, "--service", "payment_card_pkr_hpp")
	p := launch(t, dataDir)
	e := &e2e{t: t, prog: p, acct: acct, dataDir: dataDir, shop: newTestMerchant(t, acct.NotifyKey)}
	e.client = p.client(t, acct)
	for _, c := range []struct {
		a                     merchantAccount
		service, extra, field string
	}{
		{acct, "payment_card_rub", "", "service"},
		{acct, "payment_card_number_rub_hpp", "", "customer_user_id"},
		{pkr, "payment_card_pkr_hpp", "", "customer_code"},
		{acct, "payment_card_pkr_hpp", `,"customer_code":"meezan"`, "service"}, // not enabled on a RUB wallet
	} {
		b := strings.Replace(createBody(c.extra), "payment_card_rub_hpp", c.service, 1)
		code, ans := e.createRaw([]byte(b), c.a.Account, sign(t, c.a.Key, []byte(b)))
		merchantError(t, code, ans, 400, c.field)
	}
	b := strings.Replace(createBody(`,"customer_code":"meezan"`), "payment_card_rub_hpp", "payment_card_pkr_hpp", 1)
	if code, ans := e.createRaw([]byte(b), pkr.Account, sign(t, pkr.Key, []byte(b))); code != 200 {
		t.Errorf("PKR with customer_code: %d %v", code, ans)
	}
	ans := e.mustCreateRaw(strings.Replace(createBody(""), "payment_card_rub_hpp", "virtual_account_rub_hpp", 1))
	uuid := ans["uuid"].(string)
	code, body := e.h2hRaw("/v1/payment", e.cardBody(uuid), e.h2hHeaders(uuid))
	h2hError(t, code, body, 400, "invalid_state")

	var out, errOut syncBuffer
	for _, bad := range []string{"x y:RUB", "payment_card_rub_hpp:RUBLE", "Payment_Card", "payment_card_pkr_hpp,payment_card_rub_hpp"} {
		if err := runCLI(t, []string{"account", "create", "--data", dataDir, "--keys-out", t.TempDir(), "--service", bad}, &out, &errOut); err == nil {
			t.Errorf("account create --service %q accepted", bad)
		}
	}
}

// TestUncleanPathsAre404JSON: ServeMux would redirect //v1/payment and
// friends with an empty body; the gateway answers the listener's JSON 404.
func TestUncleanPathsAre404JSON(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, path := range []string{"//v1/payment", "/v1//payment", "/v1/../v1/payment", "/v1/payment/"} {
		code, ans := rawCall(t, e.prog.merchant+path, []byte(`{}`), nil)
		if code != 404 || ans["message"] == nil {
			t.Errorf("%s: %d %v", path, code, ans)
		}
	}
}

// TestStaticFilesOnly: the payer listener serves its stylesheet and no
// directory listing.
func TestStaticFilesOnly(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, c := range []struct {
		path  string
		want  int
		ctype string
	}{
		{"/static/pay.css", 200, "text/css; charset=utf-8"},
		{"/static/", 404, "application/json"},
		{"/static/nope.css", 404, "application/json"},
		{"/static/..%2f..%2fgo.mod", 404, "application/json"},
	} {
		resp, err := http.Get(e.prog.pay + c.path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s: %d %s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

// TestUnauthenticatedValuesStayOutOfTheLog: what an unauthenticated caller
// puts in payment_uuid (a card number, say) is not logged.
func TestUnauthenticatedValuesStayOutOfTheLog(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, headers := range []map[string]string{
		{"Account": "nobody", "Sign": "x"},
		e.h2hHeaders("4111111111111111"),
	} {
		code, _ := rawCall(t, e.prog.h2h+"/v1/payment", []byte(`{"payment_uuid":"4111111111111111"}`), headers)
		if code == 200 {
			t.Fatal("accepted")
		}
	}
	e.prog.stop()
	if strings.Contains(e.prog.logs.String(), "4111111111111111") {
		t.Error("the log holds the value sent as payment_uuid")
	}
}

// TestServiceLimits: a service's amount limits, set in the cabinet, bound
// payments and payouts; the commission shows in the status answer.
func TestServiceLimits(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	out := cli(t, "service", "set", "--data", e.dataDir, "--account", e.acct.Account, "--service", "payment_card_rub_hpp",
		"--commission", "1.5%+2", "--min", "10", "--max", "1000")
	if !strings.Contains(out, "commission 1.50%+2.00, limits 10.00..1000.00") {
		t.Errorf("service set printed %q", out)
	}
	for _, amount := range []string{`9.99`, `"1000.01"`} {
		b := strings.Replace(createBody(""), `"amount":500`, `"amount":`+amount, 1)
		code, ans := e.createRaw([]byte(b), e.acct.Account, sign(t, e.acct.Key, []byte(b)))
		merchantError(t, code, ans, 400, "amount")
	}
	_, final := e.pay(cardPaid, "")
	if final.CommissionAmount == nil || final.CommissionAmount.String() != "9.50" || final.AccountPaymentAmount.String() != "490.50" ||
		final.AccountOldBalance.String() != "0.00" || final.AccountNewBalance.String() != "490.50" {
		t.Errorf("status answer %+v", final)
	}
	list := cli(t, "service", "list", "--data", e.dataDir, "--account", e.acct.Account, "--json")
	if !strings.Contains(list, `"service":"payment_card_rub_hpp","kind":"card","currency":"RUB","commission":"1.50%+2.00","limits":"10.00..1000.00"`) {
		t.Errorf("service list: %s", list)
	}
}

// TestExpiryWithoutRequests: a payment whose lifetime has run out is
// cancelled and notified by the gateway's own background expirer, with
// nobody asking about it. (Time is moved by setting the stored expiry into
// the past: lifetimes are 15 minutes at least.)
func TestExpiryWithoutRequests(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	created, _ := e.newPayment()
	setExpiry(t, e.dataDir, created.UUID, time.Now().Add(-time.Second))
	waitFor(t, "the expiry notification", 10*time.Second, func() bool { return len(e.shop.notifications(created.ID)) == 1 })
	if got := e.shop.notifications(created.ID); got[0] != "cancel" {
		t.Fatalf("notified %v", got)
	}
	if s := e.status(created.UUID); s.PaymentStatus != h2hpay.StatusCancel {
		t.Fatalf("status %s", s.PaymentStatus)
	}
	// A late card submission gets a clear error.
	code, ans := e.h2hRaw("/v1/payment", e.cardBody(created.UUID), e.h2hHeaders(created.UUID))
	h2hError(t, code, ans, 400, "invalid_state")
}

// TestCabinetRefusesBadServiceSettings: a negative commission, a service in
// another currency than the wallet's, a made-up code and --min above --max
// are refused by `service set`.
func TestCabinetRefusesBadServiceSettings(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	a := createMerchantAccount(t, dataDir)
	for _, args := range [][]string{
		{"--service", "payment_card_rub_hpp", "--commission", "-50%"},
		{"--service", "payment_card_rub_hpp", "--commission", "+5%"},
		{"--service", "payment_card_rub", "--commission", "-10"},
		{"--service", "payment_card_uah_hpp"},
		{"--service", "nonexistent_thing"},
		{"--service", "payment_card_rub_hpp", "--min", "100", "--max", "10"},
	} {
		var out, errOut syncBuffer
		if err := runCLI(t, append([]string{"service", "set", "--data", dataDir, "--account", a.Account}, args...), &out, &errOut); err == nil {
			t.Errorf("service set %v accepted: %s", args, out.String())
		}
	}
}

// TestHostedPageNeverDeadEnds: a hosted-page payer whose payment expired
// between 3-D Secure and the return page is sent on to the merchant's fail
// URL, not left on an error page.
func TestHostedPageNeverDeadEnds(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	params := specCreate()
	params.FailRedirectID, params.FailRedirectURL = 0, e.shop.srv.URL+"/fail"
	created, err := e.client.CreatePayment(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	b := payer.New()
	ctx := context.Background()
	page, _ := b.Get(ctx, created.URL)
	form, _ := page.FirstForm()
	form.Fields.Set("card_number", cardPaid)
	form.Fields.Set("card_month", "12")
	form.Fields.Set("card_year", expiryYear())
	form.Fields.Set("card_cvc", "123")
	next, _ := b.Submit(ctx, form, "", "")
	next, _ = b.Get(ctx, e.prog.pay+next.Header.Get("Location"))
	form, _ = next.FirstForm()
	next, _ = b.Submit(ctx, form, "", "")
	ret, err := next.FirstForm() // to /return/{uuid}
	if err != nil {
		t.Fatal(err)
	}
	setExpiry(t, e.dataDir, created.UUID, time.Now().Add(-time.Second))
	late, err := b.Submit(ctx, ret, "", e.prog.pay)
	if err != nil || late.Status != http.StatusSeeOther || late.Header.Get("Location") != "/"+created.UUID {
		t.Fatalf("the late return answered %d %s", late.Status, late.Header.Get("Location"))
	}
	result, _ := b.Get(ctx, e.prog.pay+"/"+created.UUID)
	form, err = result.FirstForm()
	if err != nil || form.Action.String() != e.shop.srv.URL+"/fail" {
		t.Fatalf("the payment page does not lead to the fail URL: %v %v", form, err)
	}
	answer, _ := payer.NoCookies().Submit(ctx, form, "", e.prog.pay)
	if answer.Status != 200 {
		t.Fatalf("the merchant's fail page answered %d %s", answer.Status, answer.Body)
	}
	if s := e.status(created.UUID); s.PaymentStatus != h2hpay.StatusCancel {
		t.Fatalf("status %s", s.PaymentStatus)
	}
}

// TestHistoryOpenEnds: one date alone bounds the history on that side only.
func TestHistoryOpenEnds(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	e.newPayment()
	for _, c := range []struct {
		body  string
		total float64
	}{
		{`{"date_from":"` + time.Now().UTC().Add(48*time.Hour).Format(time.DateOnly) + `"}`, 0},
		{`{"date_to":"` + time.Now().UTC().Format(time.DateOnly) + `"}`, 1},
		{`{}`, 1},
	} {
		code, ans := rawCall(t, e.prog.merchant+"/v1/payment/history", []byte(c.body), map[string]string{"Account": e.acct.Account, "Sign": sign(t, e.acct.Key, []byte(c.body))})
		if code != 200 || ans["meta"].(map[string]any)["total"] != c.total {
			t.Errorf("%s: %d %v", c.body, code, ans)
		}
	}
}

// TestSBPPayoutNumbers: SBP payouts take phone numbers as people write them,
// and a phone that happens to pass the Luhn check is still a phone.
func TestSBPPayoutNumbers(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for range 2 {
		e.pay(cardPaid, "")
	}
	var ids []int64
	for _, number := range []string{"+7 (999) 123-45-67", "4222222222222"} {
		po, err := e.client.CreatePayout(context.Background(), &h2hpay.PayoutCreateParams{OrderID: uniqueOrder("SBP"),
			Amount: h2hpay.AmountFromMinor(10000), Number: number, Service: "payment_card_sbp_rub"})
		if err != nil {
			t.Fatalf("%s: %v", number, err)
		}
		ids = append(ids, po.ID)
	}
	waitFor(t, "the payouts", 10*time.Second, func() bool {
		for _, id := range ids {
			po, err := e.client.PayoutStatus(context.Background(), &h2hpay.PayoutStatusParams{ID: id})
			if err != nil || po.PaymentStatus != h2hpay.StatusPaid {
				return false
			}
		}
		return true
	})
}

// TestMasterKeyMismatchRefused: an instance started with another master key
// than the database was first used with refuses to start, instead of
// failing payments that another instance sealed.
func TestMasterKeyMismatchRefused(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	createMerchantAccount(t, dataDir) // the first use: the key file's key
	args := []string{"serve", "--data", dataDir, "--merchant-addr", "127.0.0.1:0", "--h2h-addr", "127.0.0.1:0", "--pay-addr", "127.0.0.1:0", "--admin-addr", ""}
	var out, errOut syncBuffer
	err := run(context.Background(), args, envOf(t, args, map[string]string{"H2HPAY_MASTER_KEY": strings.Repeat("7c", 32)}), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "master key differs") {
		t.Fatalf("serve with another master key: %v", err)
	}
	// The key it was first used with still works.
	cli(t, "account", "list", "--data", dataDir)
}
