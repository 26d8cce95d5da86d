package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/signature"
	"github.com/h2hpay/h2hpay/internal/testing/docsverify"
)

// TestIT01_NotificationKnownAnswer is field-cases IT-01 input 2 byte for
// byte: on the fixtures' account, payment 100000101 (ORD-1001, 500.00) with
// desc "Café / тест" reaches paid; its notification's query carries the desc
// percent-encoded, the signed string is the 304-byte PHP rebuild
// (sha256 171c8e72c1370780…), and the docs' PHP check accepts it.
func TestIT01_NotificationKnownAnswer(t *testing.T) {
	e := newEnvFor(t, gateway.NotifySHA1, "a0000000-0000-4000-8000-000000000001")
	ctx := context.Background()
	for i := range 100 { // ids 100000001 … 100000100
		r := e.createReq()
		r.OrderID = fmt.Sprintf("FILL-%d", i)
		r.NotificationEndpointID = ""
		if _, err := e.svc.CreatePayment(ctx, e.keys, r); err != nil {
			t.Fatal(err)
		}
	}
	r := e.createReq()
	r.OrderID, r.Desc = "ORD-1001", "Café / тест"
	p, err := e.svc.CreatePayment(ctx, e.keys, r)
	if err != nil || p.ID != 100000101 {
		t.Fatalf("payment id %d, %v", p.ID, err)
	}
	p = e.submit(p, "4242424242424242")
	if _, err := e.svc.AnswerChallenge(ctx, p.ChallengeID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.confirm(p.UUID, nil); err != nil {
		t.Fatal(err)
	}
	ns := e.notifications(p.UUID)
	u, _ := url.Parse(ns[0].URL)
	if !strings.Contains(u.RawQuery, "&desc=Caf%C3%A9+%2F+%D1%82%D0%B5%D1%81%D1%82&sign=") {
		t.Errorf("query %s", u.RawQuery)
	}
	q := u.Query()
	signed, err := signature.EncodeObject(signature.StylePHP, signature.NotificationFields(func(n string) (string, bool) { return q.Get(n), q.Has(n) }))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(signed)
	if len(signed) != 304 || hex.EncodeToString(sum[:])[:16] != "171c8e72c1370780" ||
		!bytes.HasSuffix(signed, []byte(`"desc":"Caf\u00e9 \/ \u0442\u0435\u0441\u0442"}`)) {
		t.Errorf("signed string (%d bytes, sha256 %x): %s", len(signed), sum[:8], signed)
	}
	if got := docsverify.PHP(t, u.RawQuery, signature.MarshalPublicKeyPEM(&testKeys()[1].PublicKey)); !got.SHA1 || got.SHA256 {
		t.Errorf("the docs' PHP check: %+v, want accepted with its default SHA-1 only", got)
	}
}

// TestIT09_ExpiryAfterPaidSendsNothing: the lifetime running out after a
// payment is paid changes nothing and notifies nothing; no notification is
// ever written for wait.
func TestIT09_ExpiryAfterPaidSendsNothing(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	p, _ := e.ready("4242424242424242", true)
	if ns := e.notifications(p.UUID); len(ns) != 0 {
		t.Fatalf("a notification before the final status: %v", ns)
	}
	if _, err := e.confirm(p.UUID, nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * gateway.DefaultLifetime)
	if _, err := e.svc.ExpireDue(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	ns := e.notifications(p.UUID)
	if len(ns) != 1 || !strings.Contains(ns[0].URL, "payment_status=paid") || e.get(p.UUID).Status != gateway.StatusPaid {
		t.Fatalf("after expiry: %v", ns)
	}
}

// failingStore breaks UpdatePayment, to reach the internal-error path.
type failingStore struct{ gateway.Store }

func (failingStore) UpdatePayment(context.Context, *gateway.Payment, *gateway.Notification, *gateway.LedgerTransaction) error {
	return errors.New("disk I/O error")
}

// TestIT13_InternalErrorKeepsCardOut: with the most verbose logging, a step 2
// that hits an internal error logs and returns nothing of the card.
func TestIT13_InternalErrorKeepsCardOut(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	p := e.create()
	var logs bytes.Buffer
	svc := gateway.New(gateway.Config{Store: failingStore{e.store}, Acquirer: e.acquirer, Vault: mustVault(),
		ThreeDSKey: e.key3ds, Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	keys, err := svc.Keys(context.Background(), e.keys.Account.UUID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.SubmitCard(context.Background(), keys, gateway.SubmitCardRequest{PaymentUUID: p.UUID,
		ReturnURL: "https://shop.example.test/confirm", CardNumber: "4242 4242 4242 4242", CardMonth: "12", CardYear: "30",
		CardCVC: "913", CardFirstName: "Test", CardLastName: "Payer"})
	if gateway.ErrorCode(err) != gateway.CodeInternal {
		t.Fatalf("err = %v, want an internal error", err)
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), logs.String()} {
		if strings.Contains(s, "4242424242424242") || strings.Contains(s, "4242 4242") || strings.Contains(s, "913") {
			t.Errorf("card data in %q", s)
		}
	}
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.Message != "Server error." {
		t.Errorf("the caller sees %q", ge.Message)
	}
}
