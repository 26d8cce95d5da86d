package h2hpay

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/h2hpay/h2hpay/internal/signature"
)

// TestCreatePaymentRawSendsTheBytes: the raw body is sent and signed as it
// is, PHP escapes and all.
func TestCreatePaymentRawSendsTheBytes(t *testing.T) {
	body := []byte(`{"order_id":"1","amount":500,"customer_browser_user_agent":"Mozilla\/5.0","customer_ip":"18.191.80.10","service":"payment_card_rub_hpp"}`)
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, `{"success":true,"url":"u","payment_status":"wait","id":100000001,"uuid":"x","success_redirect_url":null}`)
	})
	c := g.client(t)
	if _, err := c.CreatePaymentRaw(context.Background(), body); err != nil {
		t.Fatal(err)
	}
	req := g.requests()[0]
	if !bytes.Equal(req.Body, body) {
		t.Fatalf("sent %s", req.Body)
	}
	if _, err := signature.Verify(&testPaymentKey(t).PublicKey, body, req.Header.Get("Sign")); err != nil {
		t.Fatal("Sign does not verify over the sent bytes")
	}
}

// TestPayoutCallsUseThePayoutKey: payouts and the balance are signed with
// the payout key, payments with the payment key; without a payout key the
// payout calls fail before sending.
func TestPayoutCallsUseThePayoutKey(t *testing.T) {
	payoutKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/v1/payout"):
			writeJSON(w, 200, `{"payment_status":"wait","id":500000001}`)
		case strings.HasSuffix(r.URL.Path, "/v1/payout/status"):
			writeJSON(w, 200, `{"order_id":"P1","id":500000001,"payment_status":"paid","card_mask":"424242******4242","amount":"1000.44","payment_amount":"1000.44","is_partial_payment":false,"account_payment_amount":"1020.44","commission_amount":"20.00","service_code":"payment_card_rub","RRN":"abc","account_old_balance":"2000.00","account_new_balance":"979.56"}`)
		case strings.HasSuffix(r.URL.Path, "/v1/account/balance"):
			writeJSON(w, 200, `{"currency":"RUB","balance":"93.84000000","hold":"0.00000000","rolling_reserve":"0.00000000","pending_payouts":"1234.00000000"}`)
		}
	})
	ctx := context.Background()
	c := g.client(t, WithPayoutKey(payoutKey))
	po, err := c.CreatePayout(ctx, &PayoutCreateParams{OrderID: "P1", Amount: AmountFromMinor(100044), Number: "4242424242424242", Service: "payment_card_rub"})
	if err != nil || po.ID != 500000001 {
		t.Fatal(po, err)
	}
	st, err := c.PayoutStatus(ctx, &PayoutStatusParams{ID: po.ID})
	if err != nil || st.Amount.String() != "1000.44" || st.CommissionAmount.String() != "20.00" || st.IsPartialPayment {
		t.Fatal(st, err)
	}
	b, err := c.Balance(ctx)
	if err != nil || b.Balance.Amount.String() != "93.84" || b.PendingPayouts.Amount.String() != "1234.00" {
		t.Fatal(b, err)
	}
	for i, r := range g.requests() {
		if _, err := signature.Verify(&payoutKey.PublicKey, r.Body, r.Header.Get("Sign")); err != nil {
			t.Errorf("request %d (%s) is not signed with the payout key", i, r.Path)
		}
	}
	if string(g.requests()[2].Body) != "[]" {
		t.Errorf("balance body %s, want []", g.requests()[2].Body)
	}
	var sent map[string]any
	json.Unmarshal(g.requests()[0].Body, &sent)
	if sent["amount"] != "1000.44" || sent["number"] != "4242424242424242" {
		t.Errorf("payout body %v", sent)
	}
	noPayout := g.client(t)
	if _, err := noPayout.Balance(ctx); err == nil || !strings.Contains(err.Error(), "payout key") {
		t.Errorf("balance without a payout key: %v", err)
	}
	if s := (PayoutCreateParams{Number: "4242424242424242"}).String(); strings.Contains(s, "4242424242424242") {
		t.Errorf("printed params show the number: %s", s)
	}
	var he *Error
	g2 := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 400, `{"message":"The given data was invalid.","errors":{"amount":["The amount (with the commission) exceeds the available balance."]}}`)
	})
	_, err = g2.client(t, WithPayoutKey(payoutKey)).CreatePayout(ctx, &PayoutCreateParams{OrderID: "P2", Amount: 1, Number: "4242424242424242", Service: "payment_card_rub"})
	if !errors.As(err, &he) || len(he.Errors["amount"]) != 1 {
		t.Errorf("insufficient funds: %v", err)
	}
}

// TestScaledAmount reads the balance's and history's many-decimal amounts
// exactly and refuses a digit that would need rounding.
func TestScaledAmount(t *testing.T) {
	var a ScaledAmount
	if err := json.Unmarshal([]byte(`"5000.000000000"`), &a); err != nil || a.Amount.String() != "5000.00" || a.Scale != 9 {
		t.Fatal(a, err)
	}
	if err := json.Unmarshal([]byte(`"1.000000001"`), &a); err == nil {
		t.Fatal("a non-zero ninth decimal was accepted")
	}
	b, _ := json.Marshal(ScaledAmount{Amount: 9384, Scale: 8})
	if string(b) != `"93.84000000"` {
		t.Fatal(string(b))
	}
}

// TestPreparedPaymentSendsWhatWasSigned: a prepared create is signed once and
// sent, and re-sent, with the same bytes and Sign.
func TestPreparedPaymentSendsWhatWasSigned(t *testing.T) {
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, `{"success":true,"url":"u","payment_status":"wait","id":100000001,"uuid":"x","success_redirect_url":null}`)
	})
	c := g.client(t)
	p, err := c.PrepareCreatePayment(&PaymentCreateParams{OrderID: "P-1", Amount: 50000, Service: "payment_card_rub_hpp",
		CustomerIP: "203.0.113.10", CustomerBrowserUserAgent: "UA"})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.requests()) != 0 {
		t.Fatal("Prepare sent something")
	}
	for range 2 {
		if _, err := p.Send(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	a, b := g.requests()[0], g.requests()[1]
	if !bytes.Equal(a.Body, b.Body) || a.Header.Get("Sign") != b.Header.Get("Sign") {
		t.Fatal("the two sends differ")
	}
	if _, err := signature.Verify(&testPaymentKey(t).PublicKey, a.Body, a.Header.Get("Sign")); err != nil {
		t.Fatal("Sign does not verify over the sent bytes")
	}
	if _, err := c.PrepareCreatePayment(&PaymentCreateParams{}); err == nil {
		t.Fatal("invalid params prepared")
	}
}
