package gateway_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/acquirer"
	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/signature"
	"github.com/h2hpay/h2hpay/internal/sqlite"
	"github.com/h2hpay/h2hpay/internal/threeds"
	"github.com/h2hpay/h2hpay/internal/vault"
)

// testKeys are generated once: RSA key generation is the slow part.
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := signature.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

type env struct {
	t        testing.TB
	svc      *gateway.Service
	store    gateway.Store
	clock    *clock
	acquirer *acquirer.Sandbox
	keys     *gateway.AccountKeys
	key3ds   []byte
}

const notifyURL = "https://shop.example.test/notify"

func newEnv(t *testing.T, notifyHash gateway.NotifyHash) *env {
	t.Helper()
	return newEnvFor(t, notifyHash, gateway.NewUUID())
}

// newEnvB is newEnv for benchmarks.
func newEnvB(b *testing.B) *env { return newEnvFor(b, gateway.NotifySHA1, gateway.NewUUID()) }

// newEnvFor is newEnv with a chosen account uuid (the field cases' fixtures).
func newEnvFor(t testing.TB, notifyHash gateway.NotifyHash, accountUUID string) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "h2hpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ks := testKeys()
	a := &gateway.Account{
		UUID: accountUUID, Name: "Test shop", ApplicationUUID: gateway.NewUUID(),
		PaymentKeyPEM:      signature.MarshalPublicKeyPEM(&ks[0].PublicKey),
		NotificationKeyPEM: signature.MarshalPrivateKeyPEM(ks[1]),
		NotifyHash:         notifyHash, CreatedAt: time.Now().UTC(),
	}
	if err := store.CreateAccount(ctx, a, []gateway.AccountService{{AccountUUID: a.UUID, Code: "payment_card_rub_hpp", Currency: "RUB"}}); err != nil {
		t.Fatal(err)
	}
	for _, e := range []gateway.Endpoint{
		{AccountUUID: a.UUID, ID: 1, Kind: gateway.EndpointSuccess, URL: "https://shop.example.test/ok"},
		{AccountUUID: a.UUID, ID: 5, Kind: gateway.EndpointNotification, URL: notifyURL},
	} {
		if err := store.CreateEndpoint(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	c := &clock{}
	c.Set(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	v := mustVault()
	acq := &acquirer.Sandbox{}
	key3ds := []byte("three-ds-test-key-0123456789abcd")
	svc := gateway.New(gateway.Config{Store: store, Acquirer: acq, Vault: v, ThreeDSKey: key3ds, Now: c.Now})
	keys, err := svc.Keys(ctx, a.UUID)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, svc: svc, store: store, clock: c, acquirer: acq, keys: keys, key3ds: key3ds}
}

var orderSeq atomic.Int64

func (e *env) createReq() gateway.CreatePaymentRequest {
	return gateway.CreatePaymentRequest{
		Amount: "500", OrderID: fmt.Sprintf("ORD-%d", orderSeq.Add(1)), Service: "payment_card_rub_hpp",
		Customer:               gateway.Customer{IP: "203.0.113.10"},
		Browser:                gateway.BrowserInput{UserAgent: "TestBrowser/1.0", ColorDepth: "32", TimeDifferent: "-180"},
		NotificationEndpointID: "5",
	}
}

func (e *env) create() *gateway.Payment {
	e.t.Helper()
	p, err := e.svc.CreatePayment(context.Background(), e.keys, e.createReq())
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) submit(p *gateway.Payment, number string) *gateway.Payment {
	e.t.Helper()
	q, err := e.svc.SubmitCard(context.Background(), e.keys, gateway.SubmitCardRequest{
		PaymentUUID: p.UUID, ReturnURL: "https://shop.example.test/confirm",
		CardNumber: number, CardMonth: "12", CardYear: "30", CardCVC: "913",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

// ready creates a payment, submits the card and answers the challenge.
func (e *env) ready(number string, pass bool) (*gateway.Payment, *gateway.ChallengeResult) {
	e.t.Helper()
	p := e.submit(e.create(), number)
	res, err := e.svc.AnswerChallenge(context.Background(), p.ChallengeID, pass)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Payment, res
}

func (e *env) confirm(uuid string, data map[string][]string) (*gateway.Payment, error) {
	return e.svc.Confirm(context.Background(), e.keys, gateway.ConfirmRequest{PaymentUUID: uuid, Data: data})
}

func (e *env) get(uuid string) *gateway.Payment {
	e.t.Helper()
	p, err := e.store.Payment(context.Background(), gateway.PaymentQuery{UUID: uuid})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) notifications(uuid string) []gateway.Notification {
	e.t.Helper()
	ns, err := e.store.Notifications(context.Background(), gateway.NotificationQuery{PaymentUUID: uuid})
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

func code(err error) gateway.Code {
	if err == nil {
		return ""
	}
	return gateway.ErrorCode(err)
}

func fields(err error) map[string][]string {
	var e *gateway.Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

func TestCreatePaymentAmounts(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	for in, want := range map[string]string{"500.00": "500.00", "500": "500.00", "500.5": "500.50", "8.20": "8.20"} {
		r := e.createReq()
		r.Amount = in
		p, err := e.svc.CreatePayment(context.Background(), e.keys, r)
		if err != nil || p.Amount.String() != want {
			t.Errorf("amount %q: %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"10.005", "1,000.00", "5e2", "-5", "0", "1000000000.00", ""} {
		r := e.createReq()
		r.Amount = in
		_, err := e.svc.CreatePayment(context.Background(), e.keys, r)
		if code(err) != gateway.CodeValidation || len(fields(err)["amount"]) == 0 {
			t.Errorf("amount %q: %v, want a validation error on amount", in, err)
		}
	}
}

func TestCreatePaymentValidation(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	cases := []struct {
		field string
		edit  func(*gateway.CreatePaymentRequest)
	}{
		{"order_id", func(r *gateway.CreatePaymentRequest) { r.OrderID = "" }},
		{"order_id", func(r *gateway.CreatePaymentRequest) { r.OrderID = strings.Repeat("x", 129) }},
		{"service", func(r *gateway.CreatePaymentRequest) { r.Service = "payment_card_eur_hpp" }},
		{"service", func(r *gateway.CreatePaymentRequest) { r.Service = "" }},
		{"customer_ip", func(r *gateway.CreatePaymentRequest) { r.Customer.IP = "not-an-ip" }},
		{"customer_ip", func(r *gateway.CreatePaymentRequest) { r.Customer.IP = "" }},
		{"customer_browser_user_agent", func(r *gateway.CreatePaymentRequest) { r.Browser.UserAgent = "" }},
		{"lifetime", func(r *gateway.CreatePaymentRequest) { r.Lifetime = "899" }},
		{"lifetime", func(r *gateway.CreatePaymentRequest) { r.Lifetime = "3601" }},
		{"lifetime", func(r *gateway.CreatePaymentRequest) { r.Lifetime = "abc" }},
		{"desc", func(r *gateway.CreatePaymentRequest) { r.Desc = strings.Repeat("é", 129) }},
		{"notification_endpoint_id", func(r *gateway.CreatePaymentRequest) { r.NotificationEndpointID = "99" }},
		{"notification_endpoint_id", func(r *gateway.CreatePaymentRequest) { r.NotificationEndpointID = "1" }}, // a redirect id
		{"success_redirect_id", func(r *gateway.CreatePaymentRequest) { r.SuccessRedirectID = "5" }},           // a notification id
		{"fail_redirect_url", func(r *gateway.CreatePaymentRequest) { r.FailRedirectURL = "javascript:alert(1)" }},
	}
	for _, c := range cases {
		r := e.createReq()
		c.edit(&r)
		_, err := e.svc.CreatePayment(context.Background(), e.keys, r)
		if code(err) != gateway.CodeValidation || len(fields(err)[c.field]) == 0 {
			t.Errorf("%s: got %v, want a validation error on it", c.field, err)
		}
	}
	// Accepted: the spec's ids (redirect 1 for success and fail, notification 5),
	// an inline URL winning over an id, lifetime at both bounds.
	r := e.createReq()
	r.SuccessRedirectID, r.FailRedirectID, r.Lifetime = "1", "1", "900"
	r.NotificationEndpointURL = "https://other.example.test/n"
	p, err := e.svc.CreatePayment(context.Background(), e.keys, r)
	if err != nil {
		t.Fatal(err)
	}
	if p.NotificationURL != "https://other.example.test/n" || p.SuccessRedirectURL != "https://shop.example.test/ok" ||
		p.FailRedirectURL != "https://shop.example.test/ok" || p.Lifetime != 900*time.Second {
		t.Errorf("resolved: %+v", p)
	}
	if !p.ExpiresAt.Equal(e.clock.Now().Add(900 * time.Second)) {
		t.Errorf("expires %v", p.ExpiresAt)
	}
}

func TestOrderIDFreedOnlyByFailOrCancel(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	ctx := context.Background()
	r := e.createReq()
	p, err := e.svc.CreatePayment(ctx, e.keys, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreatePayment(ctx, e.keys, r); len(fields(err)["order_id"]) == 0 {
		t.Fatalf("duplicate while wait: %v", err)
	}
	// Expire it: the order id is free again.
	e.clock.Advance(gateway.DefaultLifetime)
	if n, err := e.svc.ExpireDue(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ExpireDue = %d, %v", n, err)
	}
	if got := e.get(p.UUID); got.Status != gateway.StatusCancel {
		t.Fatalf("status %s", got.Status)
	}
	p2, err := e.svc.CreatePayment(ctx, e.keys, r)
	if err != nil {
		t.Fatalf("create after cancel: %v", err)
	}
	// Pay it: the order id stays taken.
	p2 = e.submit(p2, "4242424242424242")
	if _, err := e.svc.AnswerChallenge(ctx, p2.ChallengeID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.confirm(p2.UUID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreatePayment(ctx, e.keys, r); len(fields(err)["order_id"]) == 0 {
		t.Fatalf("duplicate after paid: %v", err)
	}
	// The status lookup by order_id finds the newest.
	got, err := e.svc.Payment(ctx, e.keys, gateway.PaymentLookup{OrderID: r.OrderID})
	if err != nil || got.UUID != p2.UUID || got.Status != gateway.StatusPaid {
		t.Fatalf("lookup by order id: %+v, %v", got, err)
	}
}

func TestPaymentOutcomes(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	cases := []struct {
		name   string
		card   string
		pass   bool
		status gateway.Status
		reason string
	}{
		{"success card", "4242424242424242", true, gateway.StatusPaid, ""},
		{"fail card", "5555555555554444", true, gateway.StatusFail, "always fails"},
		{"other valid card", "4000056655665556", true, gateway.StatusFail, "sandbox"},
		{"3-D Secure failed", "4242424242424242", false, gateway.StatusFail, "3-D Secure"},
	}
	for _, c := range cases {
		p, _ := e.ready(c.card, c.pass)
		if p.Status != gateway.StatusWait {
			t.Errorf("%s: status before confirm %s", c.name, p.Status)
		}
		got, err := e.confirm(p.UUID, nil)
		if err != nil {
			t.Fatalf("%s: confirm: %v", c.name, err)
		}
		if got.Status != c.status || !strings.Contains(got.DeclineReason, c.reason) {
			t.Errorf("%s: %s %q, want %s with %q", c.name, got.Status, got.DeclineReason, c.status, c.reason)
		}
		stored := e.get(p.UUID)
		if stored.SealedCard != nil || stored.Card.Mask() != c.card[:6]+"******"+c.card[12:] {
			t.Errorf("%s: card after authorization: sealed %v, mask %q", c.name, stored.SealedCard != nil, stored.Card.Mask())
		}
		if ns := e.notifications(p.UUID); len(ns) != 1 {
			t.Errorf("%s: %d notifications", c.name, len(ns))
		}
	}
}

func TestSubmitCardRepeatedReturnsSameChallenge(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	p := e.create()
	a := e.submit(p, "4242424242424242")
	b := e.submit(p, "5555555555554444")
	if a.ChallengeID == "" || a.ChallengeID != b.ChallengeID || b.Card.Last4 != "4242" {
		t.Fatalf("second submit changed the payment: %q %q %s", a.ChallengeID, b.ChallengeID, b.Card.Last4)
	}
	if a.ReturnURL != "https://shop.example.test/confirm?uuid="+p.UUID {
		t.Errorf("return url %q", a.ReturnURL)
	}
	if a.PayerBrowser.ColorDepth == nil || *a.PayerBrowser.ColorDepth != 32 || a.PayerBrowser.IP != "203.0.113.10" {
		t.Errorf("browser fallback to create data: %+v", a.PayerBrowser)
	}
}

func TestSubmitCardValidation(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	p := e.create()
	good := gateway.SubmitCardRequest{PaymentUUID: p.UUID, ReturnURL: "https://shop.example.test/confirm",
		CardNumber: "4242 4242 4242 4242", CardMonth: "07", CardYear: "30", CardCVC: "077"}
	cases := []struct {
		field string
		edit  func(*gateway.SubmitCardRequest)
	}{
		{"card_number", func(r *gateway.SubmitCardRequest) { r.CardNumber = "506900010009002" }},
		{"card_number", func(r *gateway.SubmitCardRequest) { r.CardNumber = "4242424242424241" }},
		{"card_number", func(r *gateway.SubmitCardRequest) { r.CardNumber = "" }},
		{"card_year", func(r *gateway.SubmitCardRequest) { r.CardYear = "20" }},
		{"card_year", func(r *gateway.SubmitCardRequest) { r.CardMonth, r.CardYear = "11", "26" }},
		{"card_month", func(r *gateway.SubmitCardRequest) { r.CardMonth = "13" }},
		{"card_cvc", func(r *gateway.SubmitCardRequest) { r.CardCVC = "12" }},
		{"card_cvc", func(r *gateway.SubmitCardRequest) { r.CardCVC = "" }},
		{"return_url", func(r *gateway.SubmitCardRequest) { r.ReturnURL = "" }},
		{"return_url", func(r *gateway.SubmitCardRequest) { r.ReturnURL = "ftp://x" }},
	}
	for _, c := range cases {
		r := good
		c.edit(&r)
		_, err := e.svc.SubmitCard(context.Background(), e.keys, r)
		if code(err) != gateway.CodeValidation || len(fields(err)[c.field]) == 0 {
			t.Errorf("%s: %v, want a validation error on it", c.field, err)
		}
		if strings.Contains(fmt.Sprint(err), "4242") || strings.Contains(fmt.Sprint(err), "0690") {
			t.Errorf("error shows the card number: %v", err)
		}
	}
	// December of the current year is still valid in December.
	r := good
	r.CardMonth, r.CardYear = "12", "26"
	if _, err := e.svc.SubmitCard(context.Background(), e.keys, r); err != nil {
		t.Errorf("card expiring this month: %v", err)
	}
	if got := e.get(p.UUID); got.ThreeDS != gateway.ThreeDSChallenge {
		t.Errorf("state %s", got.ThreeDS)
	}
	_, err := e.svc.SubmitCard(context.Background(), e.keys, gateway.SubmitCardRequest{PaymentUUID: gateway.NewUUID(),
		ReturnURL: good.ReturnURL, CardNumber: good.CardNumber, CardMonth: "12", CardYear: "30", CardCVC: "123"})
	if code(err) != gateway.CodeNotFound {
		t.Errorf("unknown payment: %v", err)
	}
}

func TestConfirmRefusals(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	ctx := context.Background()

	// Before the challenge is answered.
	p := e.submit(e.create(), "4242424242424242")
	if _, err := e.confirm(p.UUID, nil); code(err) != gateway.CodeInvalidState {
		t.Errorf("confirm before challenge: %v", err)
	}

	// Fields issued for another payment: 400 invalid_state, neither changes (IT-07 f).
	u1, r1 := e.ready("4242424242424242", true)
	u2, r2 := e.ready("4242424242424242", true)
	if _, err := e.confirm(u1.UUID, map[string][]string{"PaRes": {r2.PaRes}, "MD": {r2.MD}}); code(err) != gateway.CodeInvalidState {
		t.Errorf("foreign fields: %v", err)
	}
	tampered := "x" + r1.PaRes[1:]
	if r1.PaRes[0] == 'x' { // a tampered value must differ
		tampered = "y" + r1.PaRes[1:]
	}
	if _, err := e.confirm(u1.UUID, map[string][]string{"PaRes": {tampered}, "MD": {r1.MD}}); code(err) != gateway.CodeInvalidState {
		t.Errorf("tampered PaRes: %v", err)
	}
	for _, u := range []string{u1.UUID, u2.UUID} {
		if got := e.get(u); got.Status != gateway.StatusWait || got.AuthState != gateway.AuthNone {
			t.Errorf("%s changed: %s %s", u, got.Status, got.AuthState)
		}
	}
	if e.acquirer.Calls() != 0 {
		t.Errorf("acquirer called %d times", e.acquirer.Calls())
	}
	// IT-07 a–e: every documented shape of the right fields pays.
	shapes := []map[string][]string{
		{"PaRes": {r1.PaRes}, "MD": {r1.MD}},
		{"PaRes": {r2.PaRes}, "MD": {r2.MD}, "uuid": {u2.UUID}},
	}
	for i, u := range []string{u1.UUID, u2.UUID} {
		if got, err := e.confirm(u, shapes[i]); err != nil || got.Status != gateway.StatusPaid {
			t.Errorf("confirm %d: %v %v", i, got, err)
		}
	}
	u3, _ := e.ready("4242424242424242", true)
	if got, err := e.confirm(u3.UUID, map[string][]string{"cres": {"eyJ0cmFuc1N0YXR1cyI6IlkifQ"}, "threeDSSessionData": {threeds.SessionData(u3.UUID)}}); err != nil || got.Status != gateway.StatusPaid {
		t.Errorf("3DS2 names: %v", err)
	}
	// IT-07 h: a failed challenge stays failed whatever cres claims.
	u4, _ := e.ready("4242424242424242", false)
	if got, err := e.confirm(u4.UUID, map[string][]string{"cres": {"eyJ0cmFuc1N0YXR1cyI6IlkifQ"}, "threeDSSessionData": {threeds.SessionData(u4.UUID)}}); err != nil || got.Status != gateway.StatusFail {
		t.Errorf("failed challenge: %v %v", got, err)
	}

	// Expired: cancelled, and step 2, the challenge and confirm are refused.
	late := e.create()
	lateReady, _ := e.ready("4242424242424242", true)
	lateChallenge := e.submit(e.create(), "4242424242424242")
	e.clock.Advance(gateway.DefaultLifetime)
	_, err := e.svc.SubmitCard(ctx, e.keys, gateway.SubmitCardRequest{PaymentUUID: late.UUID, ReturnURL: "https://shop.example.test/c",
		CardNumber: "4242424242424242", CardMonth: "12", CardYear: "30", CardCVC: "123"})
	if code(err) != gateway.CodeInvalidState {
		t.Errorf("late step 2: %v", err)
	}
	if _, err := e.confirm(lateReady.UUID, nil); code(err) != gateway.CodeInvalidState {
		t.Errorf("late confirm: %v", err)
	}
	if _, err := e.svc.AnswerChallenge(ctx, lateChallenge.ChallengeID, true); code(err) != gateway.CodeInvalidState {
		t.Errorf("late challenge: %v", err)
	}
	for _, u := range []string{late.UUID, lateReady.UUID, lateChallenge.UUID} {
		got := e.get(u)
		if got.Status != gateway.StatusCancel || got.SealedCard != nil {
			t.Errorf("%s after expiry: %s, sealed card kept %v", u, got.Status, got.SealedCard != nil)
		}
		if ns := e.notifications(u); len(ns) != 1 || !strings.Contains(ns[0].URL, "payment_status=cancel") {
			t.Errorf("%s: notifications %v", u, ns)
		}
	}
}

func TestConcurrentConfirmsAuthorizeOnce(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	p, res := e.ready("4242424242424242", true)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got *gateway.Payment
			got, errs[i] = e.confirm(p.UUID, map[string][]string{"PaRes": {res.PaRes}, "MD": {res.MD}})
			if errs[i] == nil && got.Status != gateway.StatusPaid {
				errs[i] = fmt.Errorf("status %s", got.Status)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("confirm %d: %v", i, err)
		}
	}
	if n := e.acquirer.Calls(); n != 1 {
		t.Errorf("%d authorizations, want 1", n)
	}
	if ns := e.notifications(p.UUID); len(ns) != 1 {
		t.Errorf("%d notifications, want 1", len(ns))
	}
	// The payment went wait → paid once: its version is create, submit,
	// answer, claim, final.
	if got := e.get(p.UUID); got.Version != 5 {
		t.Errorf("version %d, want 5 (one transition per step)", got.Version)
	}
}

// TestIT08_ConfirmsRaceExpiry: two confirms race, in half the iterations
// with the lifetime running out at the same instant. Every iteration ends
// with one final status, one notification, at most one authorization, and
// the same answer for both confirms.
func TestIT08_ConfirmsRaceExpiry(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	ctx := context.Background()
	iterations := 200
	if testing.Short() {
		iterations = 40
	}
	for i := range iterations {
		p, _ := e.ready("4242424242424242", true)
		calls := e.acquirer.Calls()
		var wg sync.WaitGroup
		var answers [2]error
		start := make(chan struct{})
		for j := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, answers[j] = e.confirm(p.UUID, nil)
			}()
		}
		if i%2 == 1 {
			// Just before the end of the lifetime, then the end, while the
			// confirms run. (Jumping further would also run out the
			// authorization lease, which is another case:
			// TestResumeAuthorizationAfterLeaseExpires.)
			e.clock.Set(p.ExpiresAt.Add(-time.Millisecond))
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				e.clock.Set(p.ExpiresAt)
				e.svc.ExpireDue(ctx, 10)
			}()
		}
		close(start)
		wg.Wait()
		got := e.get(p.UUID)
		auths := e.acquirer.Calls() - calls
		switch got.Status {
		case gateway.StatusPaid:
			if answers[0] != nil || answers[1] != nil || auths != 1 {
				t.Fatalf("iteration %d paid: answers %v, %v; %d authorizations", i, answers[0], answers[1], auths)
			}
		case gateway.StatusCancel:
			if code(answers[0]) != gateway.CodeInvalidState || code(answers[1]) != gateway.CodeInvalidState || auths != 0 {
				t.Fatalf("iteration %d cancelled: answers %v, %v; %d authorizations", i, answers[0], answers[1], auths)
			}
		default:
			t.Fatalf("iteration %d: status %s", i, got.Status)
		}
		if ns := e.notifications(p.UUID); len(ns) != 1 {
			t.Fatalf("iteration %d: %d notifications", i, len(ns))
		}
		// Expiry after a final status changes nothing and notifies nothing.
		e.clock.Set(p.ExpiresAt.Add(time.Hour))
		e.svc.ExpireDue(ctx, 10)
		if after := e.get(p.UUID); after.Status != got.Status || len(e.notifications(p.UUID)) != 1 {
			t.Fatalf("iteration %d: expiry after final changed it", i)
		}
		e.clock.Set(e.clock.Now().Add(time.Minute)) // fresh payments start later
	}
}

func TestResumeAuthorizationAfterLeaseExpires(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	ctx := context.Background()
	p, _ := e.ready("4242424242424242", true)
	// A confirm claimed the authorization and died.
	p.AuthState = gateway.AuthClaimed
	p.AuthLeaseUntil = e.clock.Now().Add(30 * time.Second)
	if err := e.store.UpdatePayment(ctx, p, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.svc.ExpireDue(ctx, 10); n != 0 {
		t.Fatalf("a live lease was taken over")
	}
	e.clock.Advance(31 * time.Second)
	if n, err := e.svc.ExpireDue(ctx, 10); n != 1 || err != nil {
		t.Fatalf("ExpireDue = %d, %v", n, err)
	}
	if got := e.get(p.UUID); got.Status != gateway.StatusPaid {
		t.Fatalf("resumed authorization: %s", got.Status)
	}
	// And a confirm now answers the recorded outcome.
	if got, err := e.confirm(p.UUID, nil); err != nil || got.Status != gateway.StatusPaid {
		t.Fatalf("confirm after resume: %v", err)
	}
}

func TestNotificationSignature(t *testing.T) {
	for _, hash := range []gateway.NotifyHash{gateway.NotifySHA1, gateway.NotifySHA256} {
		e := newEnv(t, hash)
		r := e.createReq()
		r.Desc = "Café / тест"
		p, err := e.svc.CreatePayment(context.Background(), e.keys, r)
		if err != nil {
			t.Fatal(err)
		}
		p = e.submit(p, "4242424242424242")
		e.svc.AnswerChallenge(context.Background(), p.ChallengeID, true)
		if _, err := e.confirm(p.UUID, nil); err != nil {
			t.Fatal(err)
		}
		ns := e.notifications(p.UUID)
		if len(ns) != 1 {
			t.Fatalf("%d notifications", len(ns))
		}
		u, err := url.Parse(ns[0].URL)
		if err != nil || !strings.HasPrefix(ns[0].URL, notifyURL+"?type=payment&id=") {
			t.Fatalf("url %q", ns[0].URL)
		}
		if !strings.Contains(u.RawQuery, "desc=Caf%C3%A9+%2F+%D1%82%D0%B5%D1%81%D1%82") || strings.Contains(strings.SplitN(u.RawQuery, "sign=", 2)[1], "+") {
			t.Errorf("query encoding: %s", u.RawQuery)
		}
		q := u.Query()
		style, h := signature.StylePHP, "SHA-1"
		if hash == gateway.NotifySHA256 {
			style, h = signature.StyleJS, "SHA-256"
		}
		signed, err := signature.EncodeObject(style, signature.NotificationFields(func(n string) (string, bool) {
			return q.Get(n), q.Has(n)
		}))
		if err != nil {
			t.Fatal(err)
		}
		got, err := signature.Verify(&testKeys()[1].PublicKey, signed, q.Get("sign"))
		if err != nil || got.String() != h {
			t.Errorf("%s: verify %v with %v", hash, err, got)
		}
		if q.Get("payment_status") != "paid" || q.Get("amount") != "500.00" || q.Get("commission_amount") != "0.00" || q.Get("is_partial_payment") != "0" {
			t.Errorf("fields: %v", q)
		}
	}
}

func TestConcurrentSubmitsIssueOneChallenge(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	p := e.create()
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q, err := e.svc.SubmitCard(context.Background(), e.keys, gateway.SubmitCardRequest{
				PaymentUUID: p.UUID, ReturnURL: "https://shop.example.test/confirm",
				CardNumber: "4242424242424242", CardMonth: "12", CardYear: "30", CardCVC: "123",
			})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = q.ChallengeID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || id == "" {
			t.Fatalf("challenge ids differ: %v", ids)
		}
	}
	if got := e.get(p.UUID); got.Version != 2 {
		t.Fatalf("version %d, want 2: one write for ten submits", got.Version)
	}
}

func mustVault() *vault.Vault {
	v, err := vault.New(make([]byte, 32))
	if err != nil {
		panic(err)
	}
	return v
}

// TestPayerCancelsChallenge: cancelling on the 3-D Secure page is a failed
// authentication with its own reason; the first answer stands.
func TestPayerCancelsChallenge(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	ctx := context.Background()
	p := e.submit(e.create(), "4242424242424242")
	if _, err := e.svc.CancelChallenge(ctx, p.ChallengeID); err != nil {
		t.Fatal(err)
	}
	if res, err := e.svc.AnswerChallenge(ctx, p.ChallengeID, true); err != nil || res.Payment.ThreeDS != gateway.ThreeDSCancelled {
		t.Fatalf("a later pass changed the answer: %v", err)
	}
	got, err := e.confirm(p.UUID, nil)
	if err != nil || got.Status != gateway.StatusFail || !strings.Contains(got.DeclineReason, "cancelled") || e.acquirer.Calls() != 0 {
		t.Fatalf("after a cancelled challenge: %+v %v (acquirer calls %d)", got, err, e.acquirer.Calls())
	}
}
