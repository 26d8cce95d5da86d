package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

// Bad input gets a clear JSON error in the documented shape and changes
// nothing: one test per kind of bad input, each checking the answer's status
// and shape and that a status query shows the payment as it was.

// merchantError checks the merchant API's error shape.
func merchantError(t *testing.T, code int, body map[string]any, wantCode int, wantField string) {
	t.Helper()
	errs, _ := body["errors"].(map[string]any)
	if code != wantCode || body["message"] == nil || errs[wantField] == nil {
		t.Fatalf("answer %d %v, want %d with errors.%s", code, body, wantCode, wantField)
	}
}

// h2hError checks the H2H API's error shape.
func h2hError(t *testing.T, code int, body map[string]any, wantCode int, wantErrorCode string) {
	t.Helper()
	if code != wantCode || body["success"] != false || body["errorCode"] != wantErrorCode || body["error"] == "" || body["error"] == nil {
		t.Fatalf("answer %d %v, want %d errorCode %s", code, body, wantCode, wantErrorCode)
	}
}

// createRaw sends a create body signed with key under account.
func (e *e2e) createRaw(body []byte, account, signature string) (int, map[string]any) {
	return rawCall(e.t, e.prog.merchant+"/v1/payment", body, map[string]string{"Account": account, "Sign": signature})
}

// h2hRaw sends an H2H body for uuid with the given headers.
func (e *e2e) h2hRaw(path string, body map[string]any, headers map[string]string) (int, map[string]any) {
	b, _ := json.Marshal(body)
	return rawCall(e.t, e.prog.h2h+path, b, headers)
}

func (e *e2e) h2hHeaders(uuid string) map[string]string {
	return map[string]string{"Account": e.acct.Account, "Application": e.acct.Application, "Sign": sign(e.t, e.acct.Key, []byte(uuid))}
}

func (e *e2e) cardBody(uuid string) map[string]any {
	return map[string]any{"payment_uuid": uuid, "return_url": e.shop.srv.URL + "/confirm",
		"card_number": cardPaid, "card_month": "12", "card_year": expiryYear(), "card_cvc": "123"}
}

// newPayment creates a payment and returns it with its status answer.
func (e *e2e) newPayment() (*h2hpay.PaymentCreated, string) {
	e.t.Helper()
	created, err := e.client.CreatePayment(context.Background(), specCreate())
	if err != nil {
		e.t.Fatal(err)
	}
	return created, mustJSON(e.status(created.UUID))
}

func (e *e2e) unchanged(uuid, before string) {
	e.t.Helper()
	if after := mustJSON(e.status(uuid)); after != before {
		e.t.Fatalf("payment changed:\nbefore %s\nafter  %s", before, after)
	}
}

func TestBadSign(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := []byte(`{"order_id":"BAD-SIGN","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"UA"}`)
	good := sign(t, e.acct.Key, body)
	for name, s := range map[string]string{
		"over other bytes": sign(t, e.acct.Key, []byte(`{"order_id":"BAD-SIGN"}`)),
		"url-safe":         strings.NewReplacer("+", "-", "/", "_").Replace(good),
		"unpadded":         strings.TrimRight(good, "="),
		"empty":            "",
		"one char changed": "A" + good[1:],
	} {
		if name == "url-safe" && !strings.ContainsAny(good, "+/") {
			continue
		}
		code, ans := e.createRaw(body, e.acct.Account, s)
		merchantError(t, code, ans, 401, "sign")
	}
	if _, err := e.client.PaymentStatus(context.Background(), &h2hpay.PaymentStatusParams{OrderID: "BAD-SIGN"}); err == nil {
		t.Fatal("a payment was created")
	}
	// H2H: Sign over another uuid.
	created, before := e.newPayment()
	h := e.h2hHeaders(created.UUID)
	h["Sign"] = sign(t, e.acct.Key, []byte(created.UUID+"\n"))
	code, ans := e.h2hRaw("/v1/payment", e.cardBody(created.UUID), h)
	h2hError(t, code, ans, 401, "invalid_sign")
	e.unchanged(created.UUID, before)
}

func TestWrongAccount(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := []byte(`{"order_id":"WRONG-ACCOUNT","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"UA"}`)
	for _, account := range []string{"93d5df06-996c-48c3-9847-348d6b580b80", ""} {
		code, ans := e.createRaw(body, account, sign(t, e.acct.Key, body))
		merchantError(t, code, ans, 401, "account")
	}
	created, before := e.newPayment()
	h := e.h2hHeaders(created.UUID)
	h["Account"] = "93d5df06-996c-48c3-9847-348d6b580b80"
	code, ans := e.h2hRaw("/v1/payment", e.cardBody(created.UUID), h)
	h2hError(t, code, ans, 401, "unknown_account")
	e.unchanged(created.UUID, before)
}

func TestOtherAccountsKey(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	other := createMerchantAccount(t, e.dataDir)
	body := []byte(`{"order_id":"OTHER-KEY","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"UA"}`)
	code, ans := e.createRaw(body, e.acct.Account, sign(t, other.Key, body))
	merchantError(t, code, ans, 401, "sign")
	created, before := e.newPayment()
	h := e.h2hHeaders(created.UUID)
	h["Sign"] = sign(t, other.Key, []byte(created.UUID))
	code, ans = e.h2hRaw("/v1/payment", e.cardBody(created.UUID), h)
	h2hError(t, code, ans, 401, "invalid_sign")
	// The other account's own credentials do not reach this account's payment.
	h = map[string]string{"Account": other.Account, "Application": other.Application, "Sign": sign(t, other.Key, []byte(created.UUID))}
	code, ans = e.h2hRaw("/v1/payment", e.cardBody(created.UUID), h)
	h2hError(t, code, ans, 404, "payment_not_found")
	e.unchanged(created.UUID, before)
}

func TestWrongApplication(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	other := createMerchantAccount(t, e.dataDir)
	created, before := e.newPayment()
	for _, app := range []string{other.Application, "", "{APPLICATION_UUID}"} {
		h := e.h2hHeaders(created.UUID)
		h["Application"] = app
		code, ans := e.h2hRaw("/v1/payment", e.cardBody(created.UUID), h)
		h2hError(t, code, ans, 401, "invalid_application")
	}
	e.unchanged(created.UUID, before)
}

// challenged creates a payment whose payer passed 3-D Secure, and returns
// the fields the return form carries.
func (e *e2e) challenged() (*h2hpay.PaymentCreated, map[string]any, string) {
	e.t.Helper()
	created, _ := e.newPayment()
	form := passChallenge(e.t, payer.New(), e.card(created.UUID, cardPaid), "")
	data := map[string]any{}
	for k, v := range form.Fields {
		data[k] = v[0]
	}
	return created, data, mustJSON(e.status(created.UUID))
}

func TestTamperedThreeDSFields(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	created, data, before := e.challenged()
	pares := data["PaRes"].(string)
	tail := "xx"
	if strings.HasSuffix(pares, tail) { // a tampered value must differ
		tail = "yy"
	}
	data["PaRes"] = pares[:len(pares)-2] + tail
	code, ans := e.h2hRaw("/v1/payment/confirm", map[string]any{"payment_uuid": created.UUID, "data": data}, e.h2hHeaders(created.UUID))
	h2hError(t, code, ans, 400, "invalid_state")
	e.unchanged(created.UUID, before)
	if strings.Contains(e.prog.logs.String(), pares[:len(pares)-2]) {
		t.Error("the log shows the PaRes")
	}
}

func TestReplayedThreeDSFields(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u1, _, before1 := e.challenged()
	u2, data2, before2 := e.challenged()
	code, ans := e.h2hRaw("/v1/payment/confirm", map[string]any{"payment_uuid": u1.UUID, "data": data2}, e.h2hHeaders(u1.UUID))
	h2hError(t, code, ans, 400, "invalid_state")
	e.unchanged(u1.UUID, before1)
	e.unchanged(u2.UUID, before2)
}

func TestUnknownPayment(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	uuid := "a0c0809e-9121-0c08-8fba-ef0227083121" // the spec's example uuid
	code, ans := e.h2hRaw("/v1/payment", e.cardBody(uuid), e.h2hHeaders(uuid))
	h2hError(t, code, ans, 404, "payment_not_found")
	code, ans = e.h2hRaw("/v1/payment/confirm", map[string]any{"payment_uuid": uuid, "data": nil}, e.h2hHeaders(uuid))
	h2hError(t, code, ans, 404, "payment_not_found")
	body := []byte(`{"id":100999999}`)
	code, ans = rawCall(t, e.prog.merchant+"/v1/payment/status", body, map[string]string{"Account": e.acct.Account, "Sign": sign(t, e.acct.Key, body)})
	merchantError(t, code, ans, 404, "id")
}

func TestExpiredCard(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	created, before := e.newPayment()
	b := e.cardBody(created.UUID)
	b["card_year"], b["card_month"] = "20", "07"
	code, ans := e.h2hRaw("/v1/payment", b, e.h2hHeaders(created.UUID))
	h2hError(t, code, ans, 400, "validation_error")
	if !strings.HasPrefix(ans["error"].(string), "card_year:") {
		t.Errorf("error %q does not name card_year", ans["error"])
	}
	e.unchanged(created.UUID, before)
}

func TestLuhnFailure(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	created, before := e.newPayment()
	for _, number := range []string{"506900010009002", "4242424242424241"} {
		b := e.cardBody(created.UUID)
		b["card_number"] = number
		code, ans := e.h2hRaw("/v1/payment", b, e.h2hHeaders(created.UUID))
		h2hError(t, code, ans, 400, "validation_error")
		if strings.Contains(mustJSON(ans), number[:8]) {
			t.Errorf("the error echoes the card number: %v", ans)
		}
	}
	e.unchanged(created.UUID, before)
}

func TestMalformedJSON(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, body := range []string{`{"order_id":"X",`, `not json`, `[]`, `"x"`, `{"a":1} {"b":2}`} {
		code, ans := e.createRaw([]byte(body), e.acct.Account, sign(t, e.acct.Key, []byte(body)))
		merchantError(t, code, ans, 400, "body")
	}
	created, before := e.newPayment()
	code, ans := rawCall(t, e.prog.h2h+"/v1/payment", []byte(`{"payment_uuid":"`+created.UUID+`",`), e.h2hHeaders(created.UUID))
	h2hError(t, code, ans, 400, "validation_error")
	e.unchanged(created.UUID, before)
}

func TestBodyOverLimit(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	big := []byte(`{"order_id":"BIG","desc":"` + strings.Repeat("x", 70<<10) + `"}`)
	code, ans := e.createRaw(big, e.acct.Account, sign(t, e.acct.Key, big))
	merchantError(t, code, ans, http.StatusRequestEntityTooLarge, "request")
	created, before := e.newPayment()
	b := e.cardBody(created.UUID)
	b["card_first_name"] = strings.Repeat("x", 70<<10)
	code, ans = e.h2hRaw("/v1/payment", b, e.h2hHeaders(created.UUID))
	h2hError(t, code, ans, http.StatusRequestEntityTooLarge, "request_too_large")
	e.unchanged(created.UUID, before)
}

// TestEveryErrorIsJSON: unknown paths and wrong methods answer JSON on the
// API listeners, and on the payer listener to clients that do not ask for HTML.
func TestEveryErrorIsJSON(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, c := range []struct {
		method, url string
		want        int
	}{
		{"GET", e.prog.merchant + "/v1/payment", 405},
		{"GET", e.prog.merchant + "/nope", 404},
		{"PUT", e.prog.h2h + "/v1/payment/confirm", 405},
		{"GET", e.prog.h2h + "/", 404},
		{"GET", e.prog.pay + "/3ds/unknown", 404},
		{"DELETE", e.prog.pay + "/3ds/unknown", 405},
	} {
		req, _ := http.NewRequest(c.method, c.url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.want || err != nil || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s %v, want JSON %d", c.method, c.url, resp.StatusCode, resp.Header.Get("Content-Type"), err, c.want)
		}
	}
}
