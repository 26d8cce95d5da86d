package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

// e2e is one running gateway with one merchant account and its site.
type e2e struct {
	t       *testing.T
	prog    *program
	acct    merchantAccount
	shop    *testMerchant
	client  *h2hpay.Client
	dataDir string
}

// newE2E starts the real program with a fresh data folder, makes an account
// with `h2hpay account create` and registers the cabinet ids the spec's
// example sends: redirect 1 and notification 5.
func newE2E(t *testing.T, extra ...string) *e2e {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "data")
	acct := createMerchantAccount(t, dataDir)
	shop := newTestMerchant(t, acct.NotifyKey)
	for _, ep := range []struct{ id, kind, url string }{
		{"1", "success", shop.srv.URL + "/ok"},
		{"5", "notification", shop.srv.URL + "/notify"},
	} {
		out := cli(t, "endpoint", "add", "--data", dataDir, "--account", acct.Account, "--kind", ep.kind, "--url", ep.url, "--id", ep.id, "--json")
		if strings.TrimSpace(out) != `{"id":`+ep.id+`}` {
			t.Fatalf("endpoint add printed %q", out)
		}
	}
	prog := launch(t, dataDir, extra...)
	e := &e2e{t: t, prog: prog, acct: acct, shop: shop, dataDir: dataDir}
	e.client = prog.client(t, acct)
	shop.setClient(e.client)
	return e
}

// specCreate is the spec's example create body (h2h-payments.md, step 1),
// field for field, with a fresh order_id.
func specCreate() *h2hpay.PaymentCreateParams {
	tz, java := -180, true
	return &h2hpay.PaymentCreateParams{
		OrderID:                      strconv.FormatInt(time.Now().UnixNano(), 10),
		Amount:                       h2hpay.AmountFromMinor(50000),
		CustomerBrowserUserAgent:     "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:91.0) Gecko/20100101 Firefox/91.0",
		CustomerIP:                   "18.191.80.10",
		SuccessRedirectID:            1,
		FailRedirectID:               1,
		NotificationEndpointID:       5,
		Service:                      "payment_card_rub_hpp",
		CustomerBrowserAcceptHeader:  "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8",
		CustomerBrowserColorDepth:    32,
		CustomerBrowserLanguage:      "ru",
		CustomerBrowserScreenHeight:  1080,
		CustomerBrowserScreenWidth:   1920,
		CustomerBrowserWindowWidth:   900,
		CustomerBrowserWindowHeight:  640,
		CustomerBrowserTimeDifferent: &tz,
		CustomerBrowserJavaEnabled:   &java,
	}
}

// specBody is the spec's example create body byte for byte as its PHP code
// sends it (json_encode: escaped slashes, the duplicate user agent key kept
// at its first position with its last value, color depth as "32"), with a
// fresh order_id.
func specBody() []byte {
	return []byte(`{"order_id":"` + strconv.FormatInt(time.Now().UnixNano(), 10) + `","amount":500,` +
		`"customer_browser_user_agent":"Mozilla\/5.0 (X11; Ubuntu; Linux x86_64; rv:91.0) Gecko\/20100101 Firefox\/91.0",` +
		`"customer_ip":"18.191.80.10","success_redirect_id":1,"fail_redirect_id":1,"notification_endpoint_id":5,` +
		`"service":"payment_card_rub_hpp","customer_browser_accept_header":"text\/html,application\/xhtml+xml,application\/xml;q=0.9,image\/webp,*\/*;q=0.8",` +
		`"customer_browser_color_depth":"32","customer_browser_language":"ru","customer_browser_screen_height":1080,` +
		`"customer_browser_screen_width":1920,"customer_browser_window_width":900,"customer_browser_window_height":640,` +
		`"customer_browser_time_different":-180,"customer_browser_java_enabled":1}`)
}

const (
	cardPaid = "4242424242424242"
	cardFail = "5555555555554444"
	testCVC  = "8317" // distinctive, so the leak test can search for it
)

func expiryYear() string { return fmt.Sprintf("%02d", (time.Now().Year()+3)%100) }

// card sends the spec's step 2 as its example does: only payment_uuid,
// return_url (without uuid) and the four card fields.
func (e *e2e) card(uuid, number string) *h2hpay.Redirect {
	e.t.Helper()
	r, err := e.client.SubmitCard(context.Background(), &h2hpay.CardParams{
		PaymentUUID: uuid, ReturnURL: e.shop.srv.URL + "/confirm",
		Number: number, ExpMonth: "12", ExpYear: expiryYear(), CVC: testCVC,
	})
	if err != nil {
		e.t.Fatalf("SubmitCard: %v", err)
	}
	return r
}

func (e *e2e) status(uuid string) *h2hpay.Payment {
	e.t.Helper()
	p, err := e.client.PaymentStatus(context.Background(), &h2hpay.PaymentStatusParams{UUID: uuid})
	if err != nil {
		e.t.Fatalf("PaymentStatus: %v", err)
	}
	return p
}

// pay runs one payment from create to the merchant's confirm.
func (e *e2e) pay(number, button string) (*h2hpay.PaymentCreated, *h2hpay.Payment) {
	e.t.Helper()
	return e.payFrom(number, button, func() (*h2hpay.PaymentCreated, error) {
		return e.client.CreatePayment(context.Background(), specCreate())
	})
}

// payFrom is pay with the create call of the caller's choice.
func (e *e2e) payFrom(number, button string, create func() (*h2hpay.PaymentCreated, error)) (*h2hpay.PaymentCreated, *h2hpay.Payment) {
	e.t.Helper()
	created, err := create()
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	if created.PaymentStatus != h2hpay.StatusWait || created.ID < 100000001 || created.URL != e.prog.pay+"/"+created.UUID {
		e.t.Fatalf("created %+v", created)
	}
	redirect := e.card(created.UUID, number)
	form := passChallenge(e.t, payer.New(), redirect, button)
	if want := e.shop.srv.URL + "/confirm?uuid=" + created.UUID; form.Action.String() != want || form.Method != "post" {
		e.t.Fatalf("return form %s %s, want POST %s", form.Method, form.Action, want)
	}
	if s := e.status(created.UUID); s.PaymentStatus != h2hpay.StatusWait {
		e.t.Fatalf("status before confirm: %s", s.PaymentStatus)
	}
	page := returnToMerchant(e.t, form, e.prog.pay)
	if page.Status != http.StatusSeeOther {
		e.t.Fatalf("merchant's return page answered %d: %s", page.Status, page.Body)
	}
	return created, e.status(created.UUID)
}

// TestEndToEnd is the main job: the spec's example create body, verbatim,
// through the SDK; card over H2H; the payer through 3-D Secure and back to
// return_url; the merchant's confirm; the final status and exactly one
// verified notification — for the success and the fail card, and for a
// payer who fails 3-D Secure (created through the SDK's typed call).
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	verbatim := func() (*h2hpay.PaymentCreated, error) {
		return e.client.CreatePaymentRaw(context.Background(), specBody())
	}
	typed := func() (*h2hpay.PaymentCreated, error) {
		return e.client.CreatePayment(context.Background(), specCreate())
	}
	for _, c := range []struct {
		card   string
		button string
		create func() (*h2hpay.PaymentCreated, error)
		want   h2hpay.Status
	}{
		{cardPaid, "", verbatim, h2hpay.StatusPaid},
		{cardFail, "", verbatim, h2hpay.StatusFail},
		{cardPaid, "fail", typed, h2hpay.StatusFail}, // the payer fails 3-D Secure
	} {
		created, final := e.payFrom(c.card, c.button, c.create)
		if final.PaymentStatus != c.want {
			t.Errorf("card %s, button %q: status %s, want %s", c.card, c.button, final.PaymentStatus, c.want)
		}
		if final.CardMask == nil || *final.CardMask != c.card[:6]+"******"+c.card[12:] || final.Amount.String() != "500.00" {
			t.Errorf("status answer %+v", final)
		}
		waitFor(t, "the notification", 10*time.Second, func() bool { return len(e.shop.notifications(created.ID)) > 0 })
		time.Sleep(200 * time.Millisecond) // a second one would come now
		if got := e.shop.notifications(created.ID); len(got) != 1 || got[0] != string(c.want) {
			t.Errorf("notifications for %d: %v, want exactly one %s", created.ID, got, c.want)
		}
	}
}

// TestRestartBetweenH2HAndConfirm stops the gateway after the card step and
// after the challenge, and the payments still complete.
func TestRestartBetweenH2HAndConfirm(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	ctx := context.Background()

	// Stop after the H2H step, before the payer opens the challenge.
	a, err := e.client.CreatePayment(ctx, specCreate())
	if err != nil {
		t.Fatal(err)
	}
	ra := e.card(a.UUID, cardPaid)
	e.prog.restart()
	form := passChallenge(t, payer.New(), ra, "")
	// And again between the challenge and the confirm.
	e.prog.restart()
	if page := returnToMerchant(t, form, e.prog.pay); page.Status != http.StatusSeeOther {
		t.Fatalf("return page: %d %s", page.Status, page.Body)
	}
	if s := e.status(a.UUID); s.PaymentStatus != h2hpay.StatusPaid {
		t.Fatalf("status after restarts: %s", s.PaymentStatus)
	}
	waitFor(t, "the notification", 10*time.Second, func() bool { return len(e.shop.notifications(a.ID)) == 1 })
}

// TestNotificationRetriedUntilDelivered: the endpoint answers 500 twice; the
// third attempt, after a restart, delivers it. Every attempt is the same GET.
func TestNotificationRetriedUntilDelivered(t *testing.T) {
	t.Parallel()
	e := newE2E(t, "--notify-retry", "1s")
	e.shop.mu.Lock()
	e.shop.failNotify = 2
	e.shop.mu.Unlock()
	created, final := e.pay(cardPaid, "")
	if final.PaymentStatus != h2hpay.StatusPaid {
		t.Fatalf("status %s", final.PaymentStatus)
	}
	waitFor(t, "the first failed attempt", 5*time.Second, func() bool { return len(e.shop.requests()) >= 1 })
	e.prog.restart()
	waitFor(t, "delivery", 15*time.Second, func() bool { return len(e.shop.notifications(created.ID)) == 1 })
	time.Sleep(1500 * time.Millisecond)
	reqs := e.shop.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d attempts, want 3: %v", len(reqs), reqs)
	}
	for _, r := range reqs {
		if r != reqs[0] || !strings.HasPrefix(r, "GET /notify?type=payment&id=") {
			t.Fatalf("attempts differ or are not GETs:\n%s", strings.Join(reqs, "\n"))
		}
	}
	if !regexp.MustCompile(`sign=[A-Za-z0-9%]+$`).MatchString(reqs[0]) || strings.Contains(reqs[0][strings.Index(reqs[0], "sign="):], "+") {
		t.Errorf("sign not percent-encoded: %s", reqs[0])
	}
}

// TestConcurrentConfirms: 20 confirms of one payment at once give one
// authorization, one transition and one notification; all answer success.
func TestConcurrentConfirms(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	ctx := context.Background()
	created, err := e.client.CreatePayment(ctx, specCreate())
	if err != nil {
		t.Fatal(err)
	}
	form := passChallenge(t, payer.New(), e.card(created.UUID, cardPaid), "")
	data := map[string]string{}
	for k, v := range form.Fields {
		data[k] = v[0]
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.client.Confirm(ctx, created.UUID, data)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("confirm: %v", err)
		}
	}
	if s := e.status(created.UUID); s.PaymentStatus != h2hpay.StatusPaid {
		t.Fatalf("status %s", s.PaymentStatus)
	}
	logs := e.prog.logs.String()
	if n := strings.Count(logs, `msg="payment authorized" payment=`+created.UUID); n != 1 {
		t.Errorf("%d authorizations in the log, want 1", n)
	}
	waitFor(t, "the notification", 10*time.Second, func() bool { return len(e.shop.notifications(created.ID)) >= 1 })
	time.Sleep(500 * time.Millisecond)
	if n := len(e.shop.notifications(created.ID)); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
}

// TestNoCardDataAtRest searches the database files and the captured logs of
// a full run for the PAN (plain and spaced) and the CVC.
func TestNoCardDataAtRest(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	e.pay(cardPaid, "")
	e.pay(cardFail, "")
	// A card left in a payment that is never confirmed, and a rejected step 2.
	created, err := e.client.CreatePayment(context.Background(), specCreate())
	if err != nil {
		t.Fatal(err)
	}
	e.card(created.UUID, cardPaid)
	_, err = e.client.SubmitCard(context.Background(), &h2hpay.CardParams{PaymentUUID: created.UUID,
		Number: "4242 4242 4242 4242", ExpMonth: "12", ExpYear: expiryYear(), CVC: testCVC})
	if err == nil {
		t.Fatal("step 2 without return_url accepted")
	}
	e.prog.stop()
	cvc := regexp.MustCompile(`(^|[^0-9])` + testCVC + `([^0-9]|$)`)
	check := func(name string, b []byte) {
		for _, pan := range []string{cardPaid, cardFail, "4242 4242 4242 4242"} {
			if bytes.Contains(b, []byte(pan)) {
				t.Errorf("%s holds the PAN %s", name, pan)
			}
		}
		if cvc.Match(b) {
			t.Errorf("%s holds the CVC", name)
		}
	}
	for name, b := range storedBytes(t, e.dataDir) {
		check(name, b)
	}
	logs := e.prog.logs.String()
	if !strings.Contains(logs, "424242******4242") {
		t.Error("the logs do not even show the masked card: is the log captured?")
	}
	check("the logs", []byte(logs))
}

// TestSignatureHashes: the SDK's requests verify with SHA-256 and SHA-1.
func TestSignatureHashes(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA1} {
		c := e.prog.client(t, e.acct, h2hpay.WithSignatureHash(h))
		created, err := c.CreatePayment(context.Background(), specCreate())
		if err != nil {
			t.Fatalf("%v: create: %v", h, err)
		}
		if _, err := c.SubmitCard(context.Background(), &h2hpay.CardParams{PaymentUUID: created.UUID,
			ReturnURL: e.shop.srv.URL + "/confirm", Number: cardPaid, ExpMonth: "12", ExpYear: expiryYear(), CVC: "123"}); err != nil {
			t.Fatalf("%v: card: %v", h, err)
		}
		if !strings.Contains(e.prog.logs.String(), "sign_hash="+h.String()) {
			t.Errorf("the log does not say which hash verified (%v)", h)
		}
	}
}

// rawCall sends a body with headers of the test's choice.
func rawCall(t *testing.T, url string, body []byte, headers map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func sign(t *testing.T, key *rsa.PrivateKey, msg []byte) string {
	t.Helper()
	h := sha256.Sum256(msg)
	s, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(s)
}
