package h2hpay

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/h2hpay/h2hpay/internal/signature"
)

func notificationPub(t testing.TB) *rsa.PublicKey { return &testNotificationKey(t).PublicKey }

// TestIT01_NotificationUnicodeDesc: field-cases IT-01 input 2, as the
// gateway sends it with the default setting, verifies from the query.
func TestIT01_NotificationUnicodeDesc(t *testing.T) {
	fields := append(paidNotification(), field{"desc", "Café / тест"})
	raw, signed := signNotification(t, testNotificationKey(t), signature.StylePHP, crypto.SHA1, fields)
	if !strings.Contains(raw, "&desc=Caf%C3%A9+%2F+%D1%82%D0%B5%D1%81%D1%82&sign=") {
		t.Errorf("query %s", raw)
	}
	sum := sha256.Sum256([]byte(signed))
	if len(signed) != 304 || hex.EncodeToString(sum[:8]) != "171c8e72c1370780" || !strings.HasSuffix(signed, `"desc":"Caf\u00e9 \/ \u0442\u0435\u0441\u0442"}`) {
		t.Errorf("signed string (%d bytes, sha256 %x…) differs from field-cases IT-01:\n%s", len(signed), sum[:8], signed)
	}
	r := httptest.NewRequest(http.MethodGet, "https://shop.example.test/notify?"+raw, nil)
	n, err := VerifyNotificationRequest(notificationPub(t), r)
	if err != nil {
		t.Fatal(err)
	}
	want := Notification{
		Type: NotificationTypePayment, ID: 100000101, OrderID: "ORD-1001", PaymentStatus: StatusPaid,
		Amount: 50000, PaymentAmount: 50000, CommissionAmount: 0, Account: testAccount,
		Service: "payment_card_rub_hpp", Desc: "Café / тест",
	}
	got := *n
	got.Values = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notification %+v\nwant %+v", got, want)
	}
	if n.Values.Get("sign") == "" || n.Values.Get("desc") != "Café / тест" {
		t.Errorf("Values %v", n.Values)
	}
}

// signWithPlusAndSlash returns a default-setting notification whose sign
// has both '+' and '/', as IT-03 keeps one.
func signWithPlusAndSlash(t *testing.T) (raw string) {
	t.Helper()
	for id := 100000101; id < 100000161; id++ {
		fields := paidNotification()
		fields[1].value = strconv.Itoa(id)
		raw, _ := signNotification(t, testNotificationKey(t), signature.StylePHP, crypto.SHA1, fields)
		sign := parseQuery(t, raw).Get("sign")
		if strings.Contains(sign, "+") && strings.Contains(sign, "/") {
			return raw
		}
	}
	t.Fatal("no sign with both + and / in 60 notifications")
	return ""
}

// TestIT03_SignWithPlusAndSlash: the kept notification verifies through
// url.Values.
func TestIT03_SignWithPlusAndSlash(t *testing.T) {
	raw := signWithPlusAndSlash(t)
	_, rawSign, _ := strings.Cut(raw, "&sign=")
	if !strings.Contains(rawSign, "%2B") || !strings.Contains(rawSign, "%2F") || strings.Contains(rawSign, "+") {
		t.Errorf("sign not percent-encoded: %s", rawSign)
	}
	if _, err := VerifyNotification(notificationPub(t), parseQuery(t, raw)); err != nil {
		t.Errorf("VerifyNotification: %v", err)
	}
}

// TestIT03_PlusBecomesSpaceFails: a '+' that arrives as a space, and every
// other mangled or missing sign, gives ErrInvalidSignature: no panic, no
// guessing.
func TestIT03_PlusBecomesSpaceFails(t *testing.T) {
	raw := signWithPlusAndSlash(t)
	good := parseQuery(t, raw)
	sign := good.Get("sign")
	withSign := func(s ...string) url.Values {
		q := parseQuery(t, raw)
		q["sign"] = s
		return q
	}
	withField := func(name string, values ...string) url.Values {
		q := parseQuery(t, raw)
		q[name] = values
		return q
	}
	wrongKey, _ := signNotification(t, testPaymentKey(t), signature.StylePHP, crypto.SHA1, paidNotification())
	cases := map[string]url.Values{
		"+ as space":       parseQuery(t, strings.ReplaceAll(raw, "%2B", "+")),
		"url-safe":         withSign(strings.NewReplacer("+", "-", "/", "_").Replace(sign)),
		"no padding":       withSign(strings.TrimRight(sign, "=")),
		"one char changed": withSign(flipChar(sign)),
		"empty":            withSign(""),
		"missing":          withSign(),
		"twice":            withSign(sign, sign),
		"line-wrapped":     withSign(sign[:64] + "\n" + sign[64:]),
		"amount changed":   withField("amount", "5000.00"),
		"field twice":      withField("amount", "500.00", "1.00"),
		"field removed":    withField("commission_amount"),
		"desc added":       withField("desc", "x"),
		"id not canonical": withField("id", "0100000101"),
		"not UTF-8":        withField("desc", "\xff"),
		"wrong key":        parseQuery(t, wrongKey),
		"nothing":          {},
		"nil":              nil,
	}
	delete(cases["field removed"], "commission_amount")
	for name, q := range cases {
		if n, err := VerifyNotification(notificationPub(t), q); n != nil || err != ErrInvalidSignature {
			t.Errorf("%s: %v, %v; want ErrInvalidSignature", name, n, err)
		}
	}
	if _, err := VerifyNotification(nil, good); err != ErrInvalidSignature {
		t.Errorf("nil key: %v", err)
	}
	if _, err := VerifyNotificationRequest(notificationPub(t), httptest.NewRequest(http.MethodGet, "/notify?"+raw+"&x=%zz", nil)); err != ErrInvalidSignature {
		t.Errorf("unparsable query: %v", err)
	}
	// The gateway's own parameters of the notification URL are allowed.
	if _, err := VerifyNotificationRequest(notificationPub(t), httptest.NewRequest(http.MethodGet, "/notify?shop=7&"+raw, nil)); err != nil {
		t.Errorf("extra parameter: %v", err)
	}
}

func flipChar(s string) string {
	b := []byte(s)
	if b[10] == 'A' {
		b[10] = 'B'
	} else {
		b[10] = 'A'
	}
	return string(b)
}

// TestIT04_VerifiesBothNotificationSettings: the default setting (PHP
// rebuild, SHA-1) and the sha256 setting (JS rebuild, SHA-256) both verify,
// with an ASCII desc and with one where the rebuilds differ.
func TestIT04_VerifiesBothNotificationSettings(t *testing.T) {
	for _, desc := range []string{"Order 1004", "Café / тест 😀 \u2028 <a&b> \"q\" \\"} {
		fields := append(paidNotification(), field{"desc", desc})
		for _, setting := range []struct {
			style signature.Style
			hash  crypto.Hash
		}{{signature.StylePHP, crypto.SHA1}, {signature.StyleJS, crypto.SHA256}} {
			raw, _ := signNotification(t, testNotificationKey(t), setting.style, setting.hash, fields)
			n, err := VerifyNotification(notificationPub(t), parseQuery(t, raw))
			if err != nil {
				t.Errorf("%v/%v, desc %q: %v", setting.style, setting.hash, desc, err)
				continue
			}
			if n.Desc != desc {
				t.Errorf("desc %q, want %q", n.Desc, desc)
			}
		}
	}
}

func TestNotificationFields(t *testing.T) {
	sign := func(fields []field) url.Values {
		raw, _ := signNotification(t, testNotificationKey(t), signature.StylePHP, crypto.SHA1, fields)
		return parseQuery(t, raw)
	}
	payout := []field{
		{"type", "payout"}, {"id", "100001524"}, {"order_id", "PO-1"}, {"payment_status", "paid"},
		{"amount", "1000.44"}, {"payment_amount", "600.40"}, {"commission_amount", "5000.000000000"},
		{"is_partial_payment", "1"}, {"account", testAccount}, {"service", "payment_card_rub"},
	}
	n, err := VerifyNotification(notificationPub(t), sign(payout))
	if err != nil {
		t.Fatal(err)
	}
	if n.Type != NotificationTypePayout || n.ID != 100001524 || n.Amount != 100044 || n.PaymentAmount != 60040 ||
		n.CommissionAmount != 500000 || !n.IsPartialPayment || n.Desc != "" || n.Service != "payment_card_rub" {
		t.Errorf("payout notification %+v", n)
	}

	// A verified notification whose values cannot be read is an error, but
	// not a signature error.
	for name, change := range map[string]field{
		"amount with 3 decimals": {"amount", "10.005"},
		"amount with separator":  {"amount", "1,000.00"},
		"negative amount":        {"payment_amount", "-5.00"},
		"partial flag":           {"is_partial_payment", "yes"},
		"no status":              {"payment_status", ""},
	} {
		fields := paidNotification()
		for i := range fields {
			if fields[i].name == change.name {
				fields[i].value = change.value
			}
		}
		if _, err := VerifyNotification(notificationPub(t), sign(fields)); err == nil || errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	missingAmount := paidNotification()[:4]
	if _, err := VerifyNotification(notificationPub(t), sign(missingAmount)); err == nil || errors.Is(err, ErrInvalidSignature) {
		t.Errorf("missing amount: %v", err)
	}
}

// orderBook is the merchant side of the documented handler pattern: apply
// is idempotent per (type, id) and never moves a final status back.
type orderBook struct {
	mu       sync.Mutex
	status   map[string]Status // order_id → status
	credited map[string]int    // order_id → times credited
	seen     map[string]bool   // type/id/status already applied
	fail     bool
}

func (b *orderBook) apply(ctx context.Context, n *Notification) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail {
		return errors.New("database down")
	}
	key := string(n.Type) + "/" + strconv.FormatInt(n.ID, 10) + "/" + string(n.PaymentStatus)
	if b.seen[key] {
		return nil // a redelivery: already applied
	}
	if b.status[n.OrderID].Final() {
		return nil // stale or repeated: a final status never moves back
	}
	b.status[n.OrderID] = n.PaymentStatus
	if n.PaymentStatus == StatusPaid {
		b.credited[n.OrderID]++
	}
	b.seen[key] = true
	return nil
}

func newOrderBook() *orderBook {
	return &orderBook{status: map[string]Status{}, credited: map[string]int{}, seen: map[string]bool{}}
}

func deliver(h http.Handler, method, target string) (int, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(body)
}

// TestIT09_HandlerAppliesOnce: paid, then a validly signed wait, then the
// same paid URL again: all answered 200, the order ends paid, credited
// once.
func TestIT09_HandlerAppliesOnce(t *testing.T) {
	book := newOrderBook()
	h := NotificationHandler(notificationPub(t), book.apply)
	paid := paidNotification()
	paid[1].value, paid[2].value = "100000109", "ORD-1009"
	wait := paidNotification()
	wait[1].value, wait[2].value, wait[3].value = "100000109", "ORD-1009", "wait"
	paidURL, _ := signNotification(t, testNotificationKey(t), signature.StylePHP, crypto.SHA1, paid)
	waitURL, _ := signNotification(t, testNotificationKey(t), signature.StylePHP, crypto.SHA1, wait)
	for i, raw := range []string{paidURL, waitURL, paidURL} {
		if code, body := deliver(h, http.MethodGet, "/notify?"+raw); code != 200 || body != "OK" {
			t.Errorf("delivery %d: %d %q", i+1, code, body)
		}
	}
	if book.status["ORD-1009"] != StatusPaid || book.credited["ORD-1009"] != 1 {
		t.Errorf("order %s, credited %d times; want paid, once", book.status["ORD-1009"], book.credited["ORD-1009"])
	}
}

// TestIT10_HandlerMethodAndSignature: 405 for non-GET, 400 for a bad
// signature, 500 when apply fails (so the gateway retries), 200 once
// applied.
func TestIT10_HandlerMethodAndSignature(t *testing.T) {
	book := newOrderBook()
	h := NotificationHandler(notificationPub(t), book.apply)
	raw, _ := signNotification(t, testNotificationKey(t), signature.StylePHP, crypto.SHA1, paidNotification())
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodHead, http.MethodDelete} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/notify?"+raw, strings.NewReader(raw)))
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET" {
			t.Errorf("%s: %d, Allow %q", method, w.Code, w.Header().Get("Allow"))
		}
	}
	if code, _ := deliver(h, http.MethodGet, "/notify?"+strings.Replace(raw, "500.00", "5.00", 1)); code != http.StatusBadRequest {
		t.Errorf("bad signature: %d", code)
	}
	if code, _ := deliver(h, http.MethodGet, "/notify"); code != http.StatusBadRequest {
		t.Errorf("no query: %d", code)
	}
	if len(book.seen) != 0 {
		t.Error("apply was called for a refused request")
	}
	book.fail = true
	if code, body := deliver(h, http.MethodGet, "/notify?"+raw); code != http.StatusInternalServerError || strings.Contains(body, "database") {
		t.Errorf("apply failing: %d %q", code, body)
	}
	book.fail = false
	if code, body := deliver(h, http.MethodGet, "/notify?"+raw); code != 200 || body != "OK" {
		t.Errorf("redelivery: %d %q", code, body)
	}
	if book.credited["ORD-1001"] != 1 {
		t.Errorf("credited %d times", book.credited["ORD-1001"])
	}
	for _, bad := range []func(){
		func() { NotificationHandler(nil, book.apply) },
		func() { NotificationHandler(notificationPub(t), nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("NotificationHandler accepted a nil argument")
				}
			}()
			bad()
		}()
	}
}

func TestVerifyRedirect(t *testing.T) {
	key, pub := testNotificationKey(t), notificationPub(t)
	for _, orderID := range []string{"ORD-1001", "Заказ/1"} {
		for _, style := range []signature.Style{signature.StylePHP, signature.StyleJS} {
			for _, hash := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
				msg, err := signature.EncodeObject(style, signature.RedirectFields(orderID, testU1))
				if err != nil {
					t.Fatal(err)
				}
				sign, err := signature.Sign(key, msg, hash)
				if err != nil {
					t.Fatal(err)
				}
				if err := VerifyRedirect(pub, orderID, testU1, sign); err != nil {
					t.Errorf("%s %v %v: %v", orderID, style, hash, err)
				}
				if err := VerifyRedirect(pub, orderID, testU2, sign); err != ErrInvalidSignature {
					t.Errorf("another uuid: %v", err)
				}
				form := url.Values{"order_id": {orderID}, "uuid": {testU1}, "sign": {sign}}
				r := httptest.NewRequest(http.MethodPost, "https://shop.example.test/ok", strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				gotOrder, gotUUID, err := VerifyRedirectRequest(pub, r)
				if err != nil || gotOrder != orderID || gotUUID != testU1 {
					t.Errorf("VerifyRedirectRequest = %q, %q, %v", gotOrder, gotUUID, err)
				}
			}
		}
	}
	msg, _ := signature.EncodeObject(signature.StylePHP, signature.RedirectFields("ORD-1001", testU1))
	sign, _ := signature.Sign(key, msg, crypto.SHA1)
	for name, target := range map[string]struct {
		url  string
		form url.Values
	}{
		"sign missing":    {"/ok", url.Values{"order_id": {"ORD-1001"}, "uuid": {testU1}}},
		"uuid twice":      {"/ok", url.Values{"order_id": {"ORD-1001"}, "uuid": {testU1, testU2}, "sign": {sign}}},
		"fields in query": {"/ok?" + url.Values{"order_id": {"ORD-1001"}, "uuid": {testU1}, "sign": {sign}}.Encode(), nil},
		"space for plus":  {"/ok", url.Values{"order_id": {"ORD-1001"}, "uuid": {testU1}, "sign": {strings.ReplaceAll(sign, "+", " ")}}},
	} {
		r := httptest.NewRequest(http.MethodPost, target.url, strings.NewReader(target.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if strings.Contains(sign, "+") || name != "space for plus" {
			if o, u, err := VerifyRedirectRequest(pub, r); err != ErrInvalidSignature || o != "" || u != "" {
				t.Errorf("%s: %q, %q, %v", name, o, u, err)
			}
		}
	}
}

func FuzzVerifyNotification(f *testing.F) {
	raw, _ := signNotification(f, testNotificationKey(f), signature.StylePHP, crypto.SHA1, paidNotification())
	f.Add(raw)
	f.Add(strings.ReplaceAll(raw, "%2B", "+"))
	f.Add("type=payment&id=1&sign=" + strings.Repeat("A", 342) + "==")
	f.Add("id=99999999999999999999&sign=")
	pub := notificationPub(f)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		n, err := VerifyNotification(pub, q)
		if (n == nil) == (err == nil) {
			t.Fatalf("VerifyNotification = %v, %v", n, err)
		}
	})
}
