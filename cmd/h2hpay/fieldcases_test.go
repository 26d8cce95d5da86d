package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/testing/docsverify"
	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

// The gateway side of ../shared/field-cases.md, one test (at least) per
// case; docs/field-cases.md maps every case to its tests, SDK side included.

// fixture checks a field case's fixture bytes against the length and
// SHA-256 prefix the case gives, so a typo in a test cannot go unnoticed.
func fixture(t *testing.T, name, body string, wantLen int, wantSHA string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	if len(body) != wantLen || hex.EncodeToString(sum[:])[:16] != wantSHA {
		t.Fatalf("fixture %s: %d bytes, sha256 %x…; want %d, %s…", name, len(body), sum[:8], wantLen, wantSHA)
	}
}

// TestIT01_SameJSONDifferentEscapes: PHP-escaped, Go-escaped and minimal
// UTF-8 bodies of the same object are each accepted with Sign over their
// own bytes, and mean the same; body A with the signature of body C is
// refused and creates nothing.
func TestIT01_SameJSONDifferentEscapes(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	bodies := []struct{ name, body, sha string }{
		{"A", `{"order_id":"ORD-1001","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"Mozilla\/5.0 (X11; Linux x86_64)","success_redirect_url":"https:\/\/shop.example.test\/ok?a=1&b=2","desc":"Caf\u00e9"}`, "5f3cfc434e424ca2"},
		{"B", `{"order_id":"ORD-1001","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"Mozilla/5.0 (X11; Linux x86_64)","success_redirect_url":"https://shop.example.test/ok?a=1\u0026b=2","desc":"Café"}`, "1e15aae3bb6e2036"},
		{"C", `{"order_id":"ORD-1001","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"Mozilla/5.0 (X11; Linux x86_64)","success_redirect_url":"https://shop.example.test/ok?a=1&b=2","desc":"Café"}`, "b5def796db62a833"},
	}
	fixture(t, "A", bodies[0].body, 247, bodies[0].sha)
	fixture(t, "B", bodies[1].body, 244, bodies[1].sha)
	fixture(t, "C", bodies[2].body, 239, bodies[2].sha)
	for _, b := range bodies {
		body := strings.Replace(b.body, "ORD-1001", "ORD-1001-"+b.name, 1) // a fresh order_id per request
		ans := e.mustCreateRaw(body)
		if ans["success_redirect_url"] != "https://shop.example.test/ok?a=1&b=2" {
			t.Errorf("%s: stored success_redirect_url %v", b.name, ans["success_redirect_url"])
		}
		page, err := payer.New().Get(context.Background(), ans["url"].(string))
		if err != nil || !strings.Contains(string(page.Body), "<dd>Café</dd>") {
			t.Errorf("%s: the stored desc is not Café", b.name)
		}
	}
	a := strings.Replace(bodies[0].body, "ORD-1001", "ORD-1001-AC", 1)
	c := strings.Replace(bodies[2].body, "ORD-1001", "ORD-1001-AC", 1)
	code, ans := e.createRaw([]byte(a), e.acct.Account, sign(t, e.acct.Key, []byte(c)))
	merchantError(t, code, ans, 401, "sign")
	if _, err := e.client.PaymentStatus(context.Background(), &h2hpay.PaymentStatusParams{OrderID: "ORD-1001-AC"}); err == nil {
		t.Error("A with Sign(C) created a payment")
	}
}

// TestIT02_WhitespaceKeyOrderNewline: Python spacing and Go's sorted keys
// verify over their own bytes; a trailing newline is part of the signed
// bytes; H2H signs exactly the uuid.
func TestIT02_WhitespaceKeyOrderNewline(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	p := `{"order_id": "ORD-1002", "amount": "500.00", "service": "payment_card_rub_hpp", "customer_ip": "203.0.113.10", "customer_browser_user_agent": "TestBrowser/1.0"}`
	g := `{"amount":"500.00","customer_browser_user_agent":"TestBrowser/1.0","customer_ip":"203.0.113.10","order_id":"ORD-1002","service":"payment_card_rub_hpp"}`
	fixture(t, "P", p, 160, "949a3fa040e6cd79")
	fixture(t, "G", g, 151, "ed1d7b574482bcc5")
	fixture(t, "G+LF", g+"\n", 152, "7130ce16288d4969")
	fresh := func(body, suffix string) string { return strings.Replace(body, "ORD-1002", "ORD-1002-"+suffix, 1) }
	e.mustCreateRaw(fresh(p, "P"))                                                                                  // 1
	e.mustCreateRaw(fresh(g, "G"))                                                                                  // 1
	gl := fresh(g, "GLF") + "\n"                                                                                    //
	code, ans := e.createRaw([]byte(gl), e.acct.Account, sign(t, e.acct.Key, []byte(strings.TrimSuffix(gl, "\n")))) // 2
	merchantError(t, code, ans, 401, "sign")
	e.mustCreateRaw(gl) // 3
	u1, _ := e.newPayment()
	u2, _ := e.newPayment()
	step2 := fmt.Sprintf(`{"card_cvc": "123", "card_month": "12", "card_number": "4242424242424242", "card_year": "%s", "payment_uuid": "%s", "return_url": "%s"}`,
		expiryYear(), u1.UUID, e.shop.srv.URL+"/confirm")
	for _, c := range []struct {
		name   string
		signed string
		want   int
	}{{"Sign(U1+LF)", u1.UUID + "\n", 401}, {"Sign(U2)", u2.UUID, 401}, {"Sign(U1)", u1.UUID, 200}} { // 5, 6, 4
		h := e.h2hHeaders(u1.UUID)
		h["Sign"] = sign(t, e.acct.Key, []byte(c.signed))
		code, ans := rawCall(t, e.prog.h2h+"/v1/payment", []byte(step2), h)
		if c.want == 401 {
			h2hError(t, code, ans, 401, "invalid_sign")
		} else if code != 200 {
			t.Errorf("%s: %d %v", c.name, code, ans)
		}
	}
}

// payNotified runs payments to paid with the given client and returns the
// raw query of each one's notification as the merchant received it.
func (e *e2e) payNotified(n int) []string {
	e.t.Helper()
	var ids []int64
	for range n {
		created, data, _ := e.challenged()
		fields := map[string]string{}
		for k, v := range data {
			fields[k] = v.(string)
		}
		if err := e.client.Confirm(context.Background(), created.UUID, fields); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, created.ID)
	}
	waitFor(e.t, "the notifications", 20*time.Second, func() bool {
		for _, id := range ids {
			if len(e.shop.notifications(id)) == 0 {
				return false
			}
		}
		return true
	})
	var out []string
	for _, r := range e.shop.requests() {
		_, q, _ := strings.Cut(r, "?")
		out = append(out, q)
	}
	return out
}

// TestIT03_SignVariants: only the standard padded base64 of the signature
// passes; every mangled form is a JSON 401, never a 500. Notifications carry
// sign percent-encoded, and the docs' PHP check accepts every one.
func TestIT03_SignVariants(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	c := `{"order_id":"ORD-1003-%d","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"Mozilla/5.0 (X11; Linux x86_64)","success_redirect_url":"https://shop.example.test/ok?a=1&b=2","desc":"Café"}`
	var s, body string
	for i := 0; ; i++ { // a body whose signature has + or / so that (b) differs from (a)
		body = fmt.Sprintf(c, i)
		s = sign(t, e.acct.Key, []byte(body))
		if strings.ContainsAny(s, "+/") {
			break
		}
	}
	if len(s) != 344 || !strings.HasSuffix(s, "=") {
		t.Fatalf("S is %d characters", len(s))
	}
	flip := []byte(s)
	flip[10] ^= 1
	for _, v := range []struct {
		name    string
		headers map[string]string
	}{
		{"(b) URL-safe", map[string]string{"Sign": strings.NewReplacer("+", "-", "/", "_").Replace(s)}},
		{"(c) no padding", map[string]string{"Sign": strings.TrimRight(s, "=")}},
		{"(d) one character changed", map[string]string{"Sign": string(flip)}},
		{"(e) empty", map[string]string{"Sign": ""}},
		{"(f) no Sign header", map[string]string{}},
		{"space-wrapped", map[string]string{"Sign": s[:76] + " " + s[76:]}},
	} {
		v.headers["Account"] = e.acct.Account
		code, ans := rawCall(t, e.prog.merchant+"/v1/payment", []byte(body), v.headers)
		if code != 401 || ans["errors"].(map[string]any)["sign"] == nil {
			t.Errorf("%s: %d %v", v.name, code, ans)
		}
	}
	code, ans := rawCall(t, e.prog.merchant+"/v1/payment", []byte(body), map[string]string{"Account": e.acct.Account, "Sign": s})
	if code != 200 {
		t.Fatalf("(a): %d %v", code, ans)
	}
	pub, _ := os.ReadFile(filepath.Join(e.acct.KeyDir, "notification-public.pem"))
	plusAndSlash := false
	for _, q := range e.payNotified(20) {
		sign := q[strings.Index(q, "sign=")+len("sign="):]
		if strings.ContainsAny(sign, "+/=") {
			t.Errorf("sign not percent-encoded: %s", sign)
		}
		if strings.Contains(sign, "%2B") && strings.Contains(sign, "%2F") {
			plusAndSlash = true
		}
		if got := docsverify.PHP(t, q, pub); !got.SHA1 {
			t.Errorf("the docs' PHP check rejects %s", q)
		}
	}
	if !plusAndSlash {
		t.Log("no notification's sign held both + and / this time (the SDK tests cover that case)")
	}
}

// TestIT04_Hashes: SHA-1 and SHA-256 are accepted (the log says which),
// SHA-512 and MD5 are not; notifications follow each account's setting.
func TestIT04_Hashes(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := `{"order_id":"ORD-1004-%s","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"Mozilla/5.0 (X11; Linux x86_64)","success_redirect_url":"https://shop.example.test/ok?a=1&b=2","desc":"Café"}`
	for _, c := range []struct {
		h    crypto.Hash
		want int
	}{{crypto.SHA1, 200}, {crypto.SHA256, 200}, {crypto.SHA512, 401}, {crypto.MD5, 401}} {
		b := []byte(fmt.Sprintf(body, c.h))
		code, ans := e.createRaw(b, e.acct.Account, signHash(t, e.acct.Key, c.h, b))
		if code != c.want {
			t.Errorf("%v: %d %v", c.h, code, ans)
		}
		if c.want == 200 && !strings.Contains(e.prog.logs.String(), "sign_hash="+c.h.String()) {
			t.Errorf("%v: the log does not record the hash", c.h)
		}
	}
	u1, _ := e.newPayment()
	h := e.h2hHeaders(u1.UUID)
	h["Sign"] = signHash(t, e.acct.Key, crypto.SHA1, []byte(u1.UUID))
	if code, ans := e.h2hRaw("/v1/payment", e.cardBody(u1.UUID), h); code != 200 {
		t.Errorf("SHA-1 step 2: %d %v", code, ans)
	}

	// Account A (default) and account B (sha256), ASCII desc without "/".
	b := newAccountOn(t, e, "--notify-hash", "sha256")
	for _, acct := range []struct {
		name string
		e    *e2e
		want docsverify.Result
	}{{"A default", e, docsverify.Result{SHA1: true}}, {"B sha256", b, docsverify.Result{SHA256: true}}} {
		qs := acct.e.payNotified(1)
		pub, _ := os.ReadFile(filepath.Join(acct.e.acct.KeyDir, "notification-public.pem"))
		if got := docsverify.PHP(t, qs[len(qs)-1], pub); got != acct.want {
			t.Errorf("%s: PHP openssl_verify %+v, want %+v", acct.name, got, acct.want)
		}
		if got := docsverify.JS(t, qs[len(qs)-1], pub); got != acct.want {
			t.Errorf("%s: JS crypto.verify %+v, want %+v", acct.name, got, acct.want)
		}
	}
}

// newAccountOn makes a second account on the same running gateway, with its
// own merchant site (endpoints 1 and 5).
func newAccountOn(t *testing.T, e *e2e, extra ...string) *e2e {
	t.Helper()
	acct := createMerchantAccount(t, e.dataDir, extra...)
	shop := newTestMerchant(t, acct.NotifyKey)
	cli(t, "endpoint", "add", "--data", e.dataDir, "--account", acct.Account, "--kind", "success", "--url", shop.srv.URL+"/ok", "--id", "1")
	cli(t, "endpoint", "add", "--data", e.dataDir, "--account", acct.Account, "--kind", "notification", "--url", shop.srv.URL+"/notify", "--id", "5")
	o := &e2e{t: t, prog: e.prog, acct: acct, shop: shop, dataDir: e.dataDir}
	o.client = e.prog.client(t, acct)
	shop.setClient(o.client)
	return o
}

// TestIT05_IssuedArchive: the cabinet's archive is legacy encrypted PKCS#1
// with AES-256-CBC and a password file of exactly the password; it loads
// with the docs' Go loader and with openssl, and its signatures verify on
// the gateway (every other test here signs with such a key).
func TestIT05_IssuedArchive(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	a := createMerchantAccount(t, dataDir)
	pemBytes, _ := os.ReadFile(filepath.Join(a.KeyDir, "private.pem"))
	password, _ := os.ReadFile(filepath.Join(a.KeyDir, "password.txt"))
	if !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).Match(password) {
		t.Errorf("password.txt is %q: want 32 alphanumerics and no newline", password)
	}
	if !bytes.HasPrefix(pemBytes, []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,")) {
		t.Errorf("private.pem starts %q", pemBytes[:90])
	}
	// The docs' Go loader, errors not ignored.
	block, _ := pem.Decode(pemBytes)
	der, err := x509.DecryptPEMBlock(block, password) //lint:ignore SA1019 the docs' own loader
	if err != nil {
		t.Fatalf("x509.DecryptPEMBlock: %v", err)
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err != nil {
		t.Fatalf("x509.ParsePKCS1PrivateKey: %v", err)
	}
	if _, err := exec.LookPath("openssl"); err == nil {
		out, err := exec.Command("openssl", "rsa", "-in", filepath.Join(a.KeyDir, "private.pem"), "-passin", "file:"+filepath.Join(a.KeyDir, "password.txt"), "-noout", "-check").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "RSA key ok") {
			t.Errorf("openssl rsa: %v %s", err, out)
		}
	}
	for _, f := range []string{"public.pem", "notification-public.pem"} {
		b, _ := os.ReadFile(filepath.Join(a.KeyDir, f))
		if !bytes.HasPrefix(b, []byte("-----BEGIN PUBLIC KEY-----")) {
			t.Errorf("%s: %q", f, b)
		}
	}
}

// TestIT06_CrossSiteReturnWithoutCookies: the challenge works with no
// cookies, sets none that would not survive a cross-site POST, carries no
// card data in its form, and the return POST (no Cookie, foreign Origin)
// confirms the payment.
func TestIT06_CrossSiteReturnWithoutCookies(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	created, _ := e.newPayment()
	r := e.card(created.UUID, cardPaid)
	b := payer.NoCookies()
	page, err := b.Get(context.Background(), r.URL)
	if err != nil || page.Status != 200 {
		t.Fatal(err)
	}
	form, _ := page.FirstForm()
	answer, err := b.Submit(context.Background(), form, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*payer.Page{page, answer} {
		for _, c := range p.Header.Values("Set-Cookie") {
			if !strings.Contains(c, "SameSite=None") || !strings.Contains(c, "Secure") {
				t.Errorf("cookie %q would not come back on the cross-site return", c)
			}
		}
	}
	ret, err := answer.FirstForm()
	if err != nil {
		t.Fatal(err)
	}
	if want := e.shop.srv.URL + "/confirm?uuid=" + created.UUID; ret.Action.String() != want {
		t.Errorf("return form posts to %s, want %s", ret.Action, want)
	}
	if len(ret.Fields) != 2 || ret.Fields.Get("MD") != created.UUID || ret.Fields.Get("PaRes") == "" {
		t.Errorf("return form fields %v, want only PaRes and MD", ret.Fields)
	}
	if bytes.Contains(answer.Body, []byte(cardPaid)) || bytes.Contains(answer.Body, []byte(testCVC)) {
		t.Error("the return page carries card data")
	}
	back := returnToMerchant(t, ret, "https://pay.h2hpay.example.test")
	if back.Status != http.StatusSeeOther || back.Header.Get("Location") != "/order/"+created.UUID {
		t.Errorf("the merchant's return page answered %d %s", back.Status, back.Header.Get("Location"))
	}
	if s := e.status(created.UUID); s.PaymentStatus != h2hpay.StatusPaid {
		t.Errorf("status %s", s.PaymentStatus)
	}
}

// TestIT07_ThreeDSFields: every documented shape of this payment's 3-D
// Secure fields pays; fields issued for another payment change neither; a
// failed challenge fails whatever the fields claim. No case is a 500.
func TestIT07_ThreeDSFields(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	confirm := func(uuid string, data any) (int, map[string]any) {
		return e.h2hRaw("/v1/payment/confirm", map[string]any{"payment_uuid": uuid, "data": data}, e.h2hHeaders(uuid))
	}
	session := func(uuid string) string { return base64.RawURLEncoding.EncodeToString([]byte(uuid)) }
	cresY := base64.RawURLEncoding.EncodeToString([]byte(`{"threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","transStatus":"Y","messageType":"CRes","messageVersion":"2.2.0"}`))
	for _, c := range []struct {
		name string
		data func(uuid string, f map[string]any) any
	}{
		{"(a) as posted", func(_ string, f map[string]any) any { return f }},
		{"(b) Go url.Values", func(_ string, f map[string]any) any { return map[string][]any{"PaRes": {f["PaRes"]}, "MD": {f["MD"]}} }},
		{"(c) Java parameter map", func(u string, f map[string]any) any { f["uuid"] = u; return f }},
		{"(d) null", func(string, map[string]any) any { return nil }},
		{"(e) 3DS2 names", func(u string, _ map[string]any) any {
			return map[string]any{"cres": cresY, "threeDSSessionData": session(u)}
		}},
	} {
		created, f, _ := e.challenged()
		if code, ans := confirm(created.UUID, c.data(created.UUID, f)); code != 200 || ans["success"] != true {
			t.Errorf("%s: %d %v", c.name, code, ans)
		}
		if s := e.status(created.UUID); s.PaymentStatus != h2hpay.StatusPaid {
			t.Errorf("%s: %s", c.name, s.PaymentStatus)
		}
	}
	// (f) U2's fields sent for U1.
	u1, _, before1 := e.challenged()
	u2, f2, before2 := e.challenged()
	code, ans := confirm(u1.UUID, f2)
	h2hError(t, code, ans, 400, "invalid_state")
	e.unchanged(u1.UUID, before1)
	e.unchanged(u2.UUID, before2)
	// (g) the fields the emulator posted after its fail button.
	created, _ := e.newPayment()
	form := passChallenge(t, payer.New(), e.card(created.UUID, cardPaid), "fail")
	g := map[string]any{}
	for k, v := range form.Fields {
		g[k] = v[0]
	}
	if code, ans := confirm(created.UUID, g); code != 200 || e.status(created.UUID).PaymentStatus != h2hpay.StatusFail {
		t.Errorf("(g): %d %v", code, ans)
	}
	// (h) a failed challenge, confirmed with a cres claiming success.
	created, _ = e.newPayment()
	passChallenge(t, payer.New(), e.card(created.UUID, cardPaid), "fail")
	if code, ans := confirm(created.UUID, map[string]any{"cres": cresY, "threeDSSessionData": session(created.UUID)}); code != 200 ||
		e.status(created.UUID).PaymentStatus != h2hpay.StatusFail {
		t.Errorf("(h): %d %v", code, ans)
	}
}

// TestIT08_DuplicateCreates: two identical create requests (same bytes, same
// Sign) within milliseconds make exactly one payment: one 200, one 400 on
// order_id, never two uuids.
func TestIT08_DuplicateCreates(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for i := range 10 {
		body := []byte(fmt.Sprintf(`{"order_id":"ORD-1008-%d","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"UA"}`, i))
		s := sign(t, e.acct.Key, body)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		answers := make([]map[string]any, 2)
		start := make(chan struct{})
		for j := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				codes[j], answers[j] = e.createRaw(body, e.acct.Account, s)
			}()
		}
		close(start)
		wg.Wait()
		ok, dup := 0, 0
		for j := range codes {
			switch {
			case codes[j] == 200 && answers[j]["uuid"] != nil:
				ok++
			case codes[j] == 400 && answers[j]["errors"].(map[string]any)["order_id"] != nil:
				dup++
			}
		}
		if ok != 1 || dup != 1 {
			t.Fatalf("round %d: %v %v", i, codes, answers)
		}
	}
}

// TestIT11_AmountForms: "500.00", "500", 500 and 500.5 are 500.00, 500.00,
// 500.00 and 500.50; every other form is a 400 on amount and creates nothing.
func TestIT11_AmountForms(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := func(order, amount string) string {
		return `{"order_id":"` + order + `","amount":` + amount + `,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"UA"}`
	}
	for i, c := range []struct{ amount, want string }{{`"500.00"`, "500.00"}, {`"500"`, "500.00"}, {`500`, "500.00"}, {`500.5`, "500.50"}} {
		ans := e.mustCreateRaw(body(fmt.Sprintf("ORD-1011-ok-%d", i), c.amount))
		if s := e.status(ans["uuid"].(string)); s.Amount.String() != c.want {
			t.Errorf("%s: status amount %s, want %s", c.amount, s.Amount, c.want)
		}
	}
	for i, amount := range []string{`"10.005"`, `"1,000.00"`, `"5e2"`, `-5`, `0`, `"1000000000.00"`, `5e2`, `1.005`, `true`, `null`, `"  500"`} {
		order := fmt.Sprintf("ORD-1011-bad-%d", i)
		b := body(order, amount)
		code, ans := e.createRaw([]byte(b), e.acct.Account, sign(t, e.acct.Key, []byte(b)))
		merchantError(t, code, ans, 400, "amount")
		if _, err := e.client.PaymentStatus(context.Background(), &h2hpay.PaymentStatusParams{OrderID: order}); err == nil {
			t.Errorf("amount %s created a payment", amount)
		}
	}
}

// TestIT12_RetryAfterClientTimeout: the create succeeds but its answer
// comes after the SDK's 2 s timeout; the SDK retries with the same bytes,
// gets 400 on order_id, finds the payment by order_id and returns it. A
// second order with the same order_id, while wait and after paid, is the
// typed duplicate error.
func TestIT12_RetryAfterClientTimeout(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	target, _ := url.Parse(e.prog.merchant)
	var mu sync.Mutex
	var creates []string
	delayed := false
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path != "/v1/payment" {
			return nil
		}
		mu.Lock()
		first := !delayed
		delayed = true
		creates = append(creates, resp.Request.Header.Get("Sign"))
		mu.Unlock()
		if first {
			time.Sleep(3 * time.Second) // the payment is committed; its answer is late
		}
		return nil
	}
	slow := httptest.NewServer(proxy)
	defer slow.Close()
	c, err := h2hpay.NewClient(e.acct.Account, e.acct.Application, e.acct.Key, h2hpay.WithMerchantURL(slow.URL),
		h2hpay.WithH2HURL(e.prog.h2h), h2hpay.WithTimeout(2*time.Second), h2hpay.WithRetries(2))
	if err != nil {
		t.Fatal(err)
	}
	params := specCreate()
	params.OrderID, params.Amount = "ORD-1012", h2hpay.AmountFromMinor(2500)
	got, err := c.CreatePayment(context.Background(), params)
	if err != nil {
		t.Fatalf("(a) CreatePayment: %v", err)
	}
	s := e.status(got.UUID)
	if s.OrderID != "ORD-1012" || s.ID != got.ID || s.Amount.String() != "25.00" {
		t.Fatalf("(a) returned %+v, status %+v", got, s)
	}
	mu.Lock()
	if len(creates) != 2 || creates[0] != creates[1] {
		t.Errorf("(a) creates seen by the gateway: %d, same Sign %v", len(creates), len(creates) == 2 && creates[0] == creates[1])
	}
	mu.Unlock()
	// (b) another amount under the same order_id while the first is wait.
	params.Amount = h2hpay.AmountFromMinor(2600)
	if _, err := e.client.CreatePayment(context.Background(), params); !errors.Is(err, h2hpay.ErrDuplicateOrder) {
		t.Errorf("(b) err = %v, want ErrDuplicateOrder", err)
	}
	// (c) after the first is paid.
	f := passChallenge(t, payer.New(), e.card(got.UUID, cardPaid), "")
	if err := e.client.Confirm(context.Background(), got.UUID, map[string]string{"PaRes": f.Fields.Get("PaRes"), "MD": f.Fields.Get("MD")}); err != nil {
		t.Fatal(err)
	}
	params.Amount = h2hpay.AmountFromMinor(2500)
	if _, err := e.client.CreatePayment(context.Background(), params); !errors.Is(err, h2hpay.ErrDuplicateOrder) {
		t.Errorf("(c) err = %v, want ErrDuplicateOrder", err)
	}
	if s := e.status(got.UUID); s.PaymentStatus != h2hpay.StatusPaid {
		t.Errorf("status %s", s.PaymentStatus)
	}
	// (d) after a cancel is TestOrderIDFreedOnlyByFailOrCancel (internal/gateway): it needs the test clock.
}

// TestIT13_NoCardDataInArtefacts: with debug logging, step 2 valid, without
// return_url, with a spaced number, with the fail card, and a confirm that
// hits an internal error (the sealed card damaged in the database, so it
// cannot be opened), then a confirm with a 2 KB PaRes: no
// log line, error answer or database byte holds a card number or the CVC
// next to a cvc key, and the PaRes is not logged in full.
func TestIT13_NoCardDataInArtefacts(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	var answers []string
	step2 := func(uuid string, edit func(map[string]any)) (int, map[string]any) {
		b := map[string]any{"payment_uuid": uuid, "return_url": e.shop.srv.URL + "/confirm", "card_number": "4242424242424242",
			"card_cvc": "913", "card_month": "12", "card_year": "30", "card_first_name": "Test", "card_last_name": "Payer"}
		edit(b)
		code, ans := e.h2hRaw("/v1/payment", b, e.h2hHeaders(uuid))
		answers = append(answers, mustJSON(ans))
		return code, ans
	}
	u1, _ := e.newPayment()
	if code, _ := step2(u1.UUID, func(map[string]any) {}); code != 200 {
		t.Fatal("valid step 2 refused")
	}
	u2, _ := e.newPayment()
	if code, _ := step2(u2.UUID, func(b map[string]any) { delete(b, "return_url") }); code != 400 {
		t.Fatal("step 2 without return_url accepted")
	}
	u3, _ := e.newPayment()
	step2(u3.UUID, func(b map[string]any) { b["card_number"] = "4242 4242 4242 4242" })
	u4, _ := e.newPayment()
	step2(u4.UUID, func(b map[string]any) { b["card_number"] = "5555555555554444" })
	for _, u := range []string{u1.UUID, u3.UUID, u4.UUID} {
		s := e.status(u)
		if s.CardMask == nil || !strings.HasSuffix(*s.CardMask, "******"+map[bool]string{true: "4444", false: "4242"}[u == u4.UUID]) {
			t.Errorf("card mask %v", s.CardMask)
		}
	}
	// The challenge for u1, then its sealed card damaged in the database, so
	// that confirm cannot open it: an internal error.
	form := passChallenge(t, payer.New(), e.redirectOf(u1.UUID), "")
	dbExec(t, e.dataDir, `UPDATE payments SET sealed_card = ? WHERE uuid = ?`, []byte("\x01damaged sealed card, not a ciphertext"), u1.UUID)
	code, ans := e.h2hRaw("/v1/payment/confirm", map[string]any{"payment_uuid": u1.UUID,
		"data": map[string]any{"PaRes": form.Fields.Get("PaRes"), "MD": u1.UUID}}, e.h2hHeaders(u1.UUID))
	answers = append(answers, mustJSON(ans))
	h2hError(t, code, ans, 500, "internal_error")
	if ans["error"] != "Server error." {
		t.Errorf("the 500 shows %q", ans["error"])
	}
	// A 2 KB PaRes on another payment.
	bigPaRes := strings.Repeat("eJzVWFmTokoW", 2048/12+1)
	created2, _, _ := e.challenged()
	code, ans = e.h2hRaw("/v1/payment/confirm", map[string]any{"payment_uuid": created2.UUID, "data": map[string]any{"PaRes": bigPaRes, "MD": created2.UUID}}, e.h2hHeaders(created2.UUID))
	answers = append(answers, mustJSON(ans))
	h2hError(t, code, ans, 400, "invalid_state")
	e.prog.stop()

	cvcNearKey := regexp.MustCompile(`(?i)cvc.{0,16}913`)
	check := func(name string, b []byte) {
		for _, pan := range []string{"4242424242424242", "5555555555554444", "4242 4242 4242 4242"} {
			if bytes.Contains(b, []byte(pan)) {
				t.Errorf("%s holds the card number %s", name, pan)
			}
		}
		if cvcNearKey.Match(b) {
			t.Errorf("%s holds the CVC next to a cvc key", name)
		}
	}
	check("the error answers", []byte(strings.Join(answers, "\n")))
	logs := e.prog.logs.String()
	check("the logs", []byte(logs))
	if strings.Contains(logs, bigPaRes[:200]) {
		t.Error("the 2 KB PaRes is in the log")
	}
	for name, b := range storedBytes(t, e.dataDir) {
		check(name, b)
	}
	if !strings.Contains(logs, `msg="request failed"`) {
		t.Error("the internal error was not logged")
	}
}

// redirectOf repeats step 2 for a payment that has its card, which answers
// the stored redirect.
func (e *e2e) redirectOf(uuid string) *h2hpay.Redirect {
	e.t.Helper()
	r, err := e.client.SubmitCard(context.Background(), &h2hpay.CardParams{PaymentUUID: uuid, ReturnURL: e.shop.srv.URL + "/confirm",
		Number: cardPaid, ExpMonth: "12", ExpYear: "30", CVC: "913"})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// TestIT11_PayoutAmounts: a payout of "1000.44" and one of 1000.44 are both
// 1000.44, exactly.
func TestIT11_PayoutAmounts(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for range 5 { // fund the wallet: 5 × 500.00
		e.pay(cardPaid, "")
	}
	for _, amount := range []string{`"1000.44"`, `1000.44`} {
		body := `{"order_id":"` + uniqueOrder("IT11") + `","amount":` + amount + `,"number":"4242424242424242","service":"payment_card_rub"}`
		code, ans := rawCall(t, e.prog.merchant+"/v1/payout", []byte(body), map[string]string{"Account": e.acct.Account, "Sign": sign(t, e.acct.PayoutKey, []byte(body))})
		if code != 200 {
			t.Fatalf("%s: %d %v", amount, code, ans)
		}
		po, err := e.client.PayoutStatus(context.Background(), &h2hpay.PayoutStatusParams{ID: int64(ans["id"].(float64))})
		if err != nil || po.Amount.String() != "1000.44" {
			t.Errorf("%s: %+v %v", amount, po, err)
		}
		if code, ans := rawCall(t, e.prog.merchant+"/v1/payout", []byte(body), map[string]string{"Account": e.acct.Account, "Sign": sign(t, e.acct.Key, []byte(body))}); code != 401 {
			t.Errorf("a payout signed with the payment key: %d %v", code, ans)
		}
	}
}
