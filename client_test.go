package h2hpay

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/signature"
)

func TestNewClientDefaults(t *testing.T) {
	c, err := NewClient(testAccount, testApplication, testPaymentKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.hash != crypto.SHA256 || c.retries != DefaultRetries || c.timeout != DefaultTimeout || c.userAgent != DefaultUserAgent {
		t.Errorf("defaults: hash %v, retries %d, timeout %v, user agent %q", c.hash, c.retries, c.timeout, c.userAgent)
	}
	if c.merchantURL.String() != DefaultMerchantURL || c.h2hURL.String() != DefaultH2HURL {
		t.Errorf("default URLs %s, %s", c.merchantURL, c.h2hURL)
	}
	if c.httpClient == nil || c.httpClient == http.DefaultClient {
		t.Error("the default HTTP client must be the client's own")
	}
	// An application is optional for a merchant that does no H2H calls.
	if _, err := NewClient(testAccount, "", testPaymentKey(t)); err != nil {
		t.Errorf("no application: %v", err)
	}
}

func TestNewClientRejects(t *testing.T) {
	key := testPaymentKey(t)
	cases := []struct {
		name        string
		account     string
		application string
		key         bool
		opt         Option
	}{
		{name: "empty account", account: "", key: true},
		{name: "account with space", account: "a b", key: true},
		{name: "application with newline", account: testAccount, application: "b\n", key: true},
		{name: "nil key", account: testAccount},
		{name: "relative merchant URL", account: testAccount, key: true, opt: WithMerchantURL("/v1")},
		{name: "ftp merchant URL", account: testAccount, key: true, opt: WithMerchantURL("ftp://host")},
		{name: "merchant URL with query", account: testAccount, key: true, opt: WithMerchantURL("https://host/?a=1")},
		{name: "h2h URL with fragment", account: testAccount, key: true, opt: WithH2HURL("https://host/#x")},
		{name: "unparsable h2h URL", account: testAccount, key: true, opt: WithH2HURL("http://[::1")},
		{name: "nil HTTP client", account: testAccount, key: true, opt: WithHTTPClient(nil)},
		{name: "zero timeout", account: testAccount, key: true, opt: WithTimeout(0)},
		{name: "negative timeout", account: testAccount, key: true, opt: WithTimeout(-time.Second)},
		{name: "negative retries", account: testAccount, key: true, opt: WithRetries(-1)},
		{name: "too many retries", account: testAccount, key: true, opt: WithRetries(11)},
		{name: "SHA-512", account: testAccount, key: true, opt: WithSignatureHash(crypto.SHA512)},
		{name: "SHA-384", account: testAccount, key: true, opt: WithSignatureHash(crypto.SHA384)},
		{name: "MD5", account: testAccount, key: true, opt: WithSignatureHash(crypto.MD5)},
		{name: "no hash", account: testAccount, key: true, opt: WithSignatureHash(0)},
		{name: "empty user agent", account: testAccount, key: true, opt: WithUserAgent("")},
		{name: "user agent with newline", account: testAccount, key: true, opt: WithUserAgent("a\r\nX: y")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := key
			if !tc.key {
				k = nil
			}
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			if c, err := NewClient(tc.account, tc.application, k, opts...); err == nil {
				t.Errorf("NewClient succeeded: %+v", c)
			}
		})
	}
	// The accepted values of the same options.
	if _, err := NewClient(testAccount, testApplication, key,
		WithMerchantURL("http://127.0.0.1:8081/merchant/"), WithH2HURL("https://h2h.example.test"),
		WithHTTPClient(&http.Client{}), WithTimeout(time.Second), WithRetries(0), WithRetries(10),
		WithSignatureHash(crypto.SHA1), WithSignatureHash(crypto.SHA256), WithUserAgent("AliKassa2.0 API")); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

// TestDependencies holds the SDK to its rule: the standard library and this
// module's two standard-library-only internal packages, nothing else.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "github.com/h2hpay/h2hpay").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/h2hpay/h2hpay":                    true,
		"github.com/h2hpay/h2hpay/internal/signature": true,
		"github.com/h2hpay/h2hpay/internal/money":     true,
	}
	for _, dep := range strings.Fields(string(out)) {
		if !allowed[dep] {
			t.Errorf("the SDK depends on %s", dep)
		}
	}
}

// createdAnswer is a create answer for U1.
const createdAnswer = `{"success":true,"url":"https://pay.h2hpay.example.test/` + testU1 + `","payment_status":"wait","id":100000101,"uuid":"` + testU1 + `","success_redirect_url":null}`

func answerCreated(w http.ResponseWriter, r *http.Request, body []byte) {
	writeJSON(w, 200, createdAnswer)
}

func testCreateParams() *PaymentCreateParams {
	return &PaymentCreateParams{
		OrderID:                  "ORD-1001",
		Amount:                   AmountFromMinor(50000),
		Service:                  "payment_card_rub_hpp",
		CustomerIP:               "203.0.113.10",
		CustomerBrowserUserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
		SuccessRedirectURL:       "https://shop.example.test/ok?a=1&b=2",
		Desc:                     "Café",
	}
}

// TestIT01_SignedBytesAreSentBytes: the Sign of a captured request
// verifies over the captured body, which is not HTML-escaped and has no
// trailing newline.
func TestIT01_SignedBytesAreSentBytes(t *testing.T) {
	g := newFakeGateway(t, answerCreated)
	c := g.client(t)
	p, err := c.CreatePayment(t.Context(), testCreateParams())
	if err != nil {
		t.Fatal(err)
	}
	if p.UUID != testU1 || p.ID != 100000101 || p.PaymentStatus != StatusWait {
		t.Errorf("created %+v", p)
	}
	reqs := g.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/m/v1/payment" {
		t.Errorf("request %s %s, want POST /m/v1/payment (the base URL's path prefix kept)", r.Method, r.Path)
	}
	for name, want := range map[string]string{"Content-Type": "application/json", "Account": testAccount, "User-Agent": DefaultUserAgent} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if got := r.Header.Get("Application"); got != "" {
		t.Errorf("merchant API call sent Application %q", got)
	}
	hash, err := signature.Verify(&testPaymentKey(t).PublicKey, r.Body, r.Header.Get("Sign"))
	if err != nil || hash != crypto.SHA256 {
		t.Errorf("Sign does not verify over the captured body with SHA-256: %v, %v", hash, err)
	}
	body := string(r.Body)
	for _, want := range []string{`"success_redirect_url":"https://shop.example.test/ok?a=1&b=2"`, `"desc":"Café"`, `"amount":"500.00"`, `"order_id":"ORD-1001"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `\u0026`) || strings.Contains(body, `\/`) || strings.HasSuffix(body, "\n") {
		t.Errorf("body is HTML-escaped, slash-escaped or ends with a newline:\n%q", body)
	}
	var decoded map[string]any
	if err := json.Unmarshal(r.Body, &decoded); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"order_id": "ORD-1001", "amount": "500.00", "service": "payment_card_rub_hpp", "customer_ip": "203.0.113.10",
		"customer_browser_user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "desc": "Café",
		"success_redirect_url": "https://shop.example.test/ok?a=1&b=2",
	}
	if !reflect.DeepEqual(decoded, want) {
		t.Errorf("body %v, want %v (zero-valued fields left out)", decoded, want)
	}
}

// bodyC is body C of field-cases IT-01, field for field.
type bodyC struct {
	OrderID            string `json:"order_id"`
	Amount             int    `json:"amount"`
	Service            string `json:"service"`
	CustomerIP         string `json:"customer_ip"`
	UserAgent          string `json:"customer_browser_user_agent"`
	SuccessRedirectURL string `json:"success_redirect_url"`
	Desc               string `json:"desc"`
}

var testBodyC = bodyC{"ORD-1001", 500, "payment_card_rub_hpp", "203.0.113.10", "Mozilla/5.0 (X11; Linux x86_64)", "https://shop.example.test/ok?a=1&b=2", "Café"}

// TestIT01_KnownAnswer sends body C through the request path: the bytes
// are the fixture's, and Sign is the fixture's openssl signature, with
// SHA-256 and with SHA-1.
func TestIT01_KnownAnswer(t *testing.T) {
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, `{}`) })
	wantBody := readFile(t, signatureTestdata+"/signatures/body_c.json")
	for _, tc := range []struct {
		hash crypto.Hash
		file string
	}{{crypto.SHA256, "body_c.sha256.b64"}, {crypto.SHA1, "body_c.sha1.b64"}} {
		c := g.client(t, WithSignatureHash(tc.hash))
		if err := c.do(t.Context(), &request{api: merchantAPI, path: "/v1/payment", body: testBodyC}, nil); err != nil {
			t.Fatal(err)
		}
		reqs := g.requests()
		last := reqs[len(reqs)-1]
		if !bytes.Equal(last.Body, wantBody) {
			t.Errorf("body\n%s\nwant\n%s", last.Body, wantBody)
		}
		if want := strings.TrimSpace(string(readFile(t, signatureTestdata+"/signatures/"+tc.file))); last.Header.Get("Sign") != want {
			t.Errorf("%v: Sign differs from %s", tc.hash, tc.file)
		}
	}
}

// TestIT02_StructAndMapBodiesVerify: a struct keeps its field order, a map
// is sorted; either way the Sign verifies over exactly the bytes sent, and
// not over those bytes with a newline.
func TestIT02_StructAndMapBodiesVerify(t *testing.T) {
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, `{}`) })
	c := g.client(t)
	bodies := []struct {
		body any
		want string
	}{
		{testBodyC, string(readFile(t, signatureTestdata+"/signatures/body_c.json"))},
		{map[string]any{"service": "payment_card_rub_hpp", "order_id": "ORD-1002", "amount": "500.00", "customer_ip": "203.0.113.10", "customer_browser_user_agent": "TestBrowser/1.0"},
			`{"amount":"500.00","customer_browser_user_agent":"TestBrowser/1.0","customer_ip":"203.0.113.10","order_id":"ORD-1002","service":"payment_card_rub_hpp"}`},
		{map[string]string{"desc": "<b>Tom & Jerry</b> / ü"}, `{"desc":"<b>Tom & Jerry</b> / ü"}`},
	}
	pub := &testPaymentKey(t).PublicKey
	for i, b := range bodies {
		if err := c.do(t.Context(), &request{api: merchantAPI, path: "/v1/payment", body: b.body}, nil); err != nil {
			t.Fatal(err)
		}
		r := g.requests()[i]
		if string(r.Body) != b.want {
			t.Errorf("body %d:\n%s\nwant\n%s", i, r.Body, b.want)
		}
		if _, err := signature.Verify(pub, r.Body, r.Header.Get("Sign")); err != nil {
			t.Errorf("body %d: Sign does not verify over the captured bytes", i)
		}
		if _, err := signature.Verify(pub, append(r.Body, '\n'), r.Header.Get("Sign")); err == nil {
			t.Errorf("body %d: Sign verifies over the bytes plus a newline", i)
		}
	}
}

// TestIT03_SignIsStdBase64: Sign is unwrapped, padded standard base64.
func TestIT03_SignIsStdBase64(t *testing.T) {
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasPrefix(r.URL.Path, "/h/") {
			writeJSON(w, 200, `{"success":true,"redirect":{"url":"https://pay.example.test/3ds/x","method":"get","params":[]}}`)
			return
		}
		answerCreated(w, r, body)
	})
	c := g.client(t)
	if _, err := c.CreatePayment(t.Context(), testCreateParams()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitCard(t.Context(), testCardParams()); err != nil {
		t.Fatal(err)
	}
	for _, r := range g.requests() {
		sign := r.Header.Get("Sign")
		if len(sign) != 344 || !strings.HasSuffix(sign, "=") || strings.ContainsAny(sign, "\r\n -_") {
			t.Errorf("%s: Sign %q is not 344 characters of padded standard base64", r.Path, sign)
		}
		if raw, err := base64.StdEncoding.Strict().DecodeString(sign); err != nil || len(raw) != 256 {
			t.Errorf("%s: Sign does not decode strictly: %v", r.Path, err)
		}
	}
}

// TestIT04_SHA1Option: SHA-256 by default, SHA-1 when configured, on both
// APIs; the H2H Sign is the fixture's signature of U1.
func TestIT04_SHA1Option(t *testing.T) {
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, `{"success":true,"redirect":{"url":"https://pay.example.test/3ds/x","method":"get","params":[]}}`)
	})
	pub := &testPaymentKey(t).PublicKey
	for _, tc := range []struct {
		opts []Option
		hash crypto.Hash
		file string
	}{
		{nil, crypto.SHA256, "u1.sha256.b64"},
		{[]Option{WithSignatureHash(crypto.SHA1)}, crypto.SHA1, "u1.sha1.b64"},
	} {
		c := g.client(t, tc.opts...)
		p := testCardParams()
		p.PaymentUUID = strings.TrimSpace(string(readFile(t, signatureTestdata+"/signatures/u1.txt")))
		if _, err := c.SubmitCard(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		if err := c.do(t.Context(), &request{api: merchantAPI, path: "/v1/payment", body: testBodyC}, nil); err != nil {
			t.Fatal(err)
		}
		reqs := g.requests()
		h2h, merchant := reqs[len(reqs)-2], reqs[len(reqs)-1]
		if want := strings.TrimSpace(string(readFile(t, signatureTestdata+"/signatures/"+tc.file))); h2h.Header.Get("Sign") != want {
			t.Errorf("%v: the H2H Sign is not %s", tc.hash, tc.file)
		}
		if h, err := signature.Verify(pub, []byte(p.PaymentUUID), h2h.Header.Get("Sign")); err != nil || h != tc.hash {
			t.Errorf("H2H Sign verified with %v, %v; want %v", h, err, tc.hash)
		}
		if h, err := signature.Verify(pub, merchant.Body, merchant.Header.Get("Sign")); err != nil || h != tc.hash {
			t.Errorf("merchant Sign verified with %v, %v; want %v", h, err, tc.hash)
		}
	}
}

// TestIT11_AmountsExact: amounts computed at runtime are sent exactly, as
// 2-decimal strings, and the public amount type is not a float.
func TestIT11_AmountsExact(t *testing.T) {
	if k := reflect.TypeFor[Amount]().Kind(); k == reflect.Float32 || k == reflect.Float64 {
		t.Fatalf("Amount is a %v", k)
	}
	for _, name := range []string{"Amount", "PaymentAmount", "CommissionAmount"} {
		f, _ := reflect.TypeFor[Notification]().FieldByName(name)
		if f.Type != reflect.TypeFor[Amount]() {
			t.Errorf("Notification.%s is %v", name, f.Type)
		}
	}
	mustParse := func(s string) Amount {
		a, err := ParseAmount(s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// The float trap the SDK avoids: 8.20 from a variable truncates to 819.
	f := 8.20
	if int64(f*100) != 819 {
		t.Log("this platform does not show the float truncation")
	}
	pointOne, pointTwo := mustParse("0.1"), mustParse("0.2")
	cases := []struct {
		amount Amount
		want   string
	}{
		{mustParse("8.20"), `"amount":"8.20"`},
		{AmountFromMinor(820), `"amount":"8.20"`},
		{mustParse("19.99"), `"amount":"19.99"`},
		{pointOne.Add(pointTwo), `"amount":"0.30"`},
		{mustParse("500"), `"amount":"500.00"`},
	}
	g := newFakeGateway(t, answerCreated)
	c := g.client(t)
	for i, tc := range cases {
		p := testCreateParams()
		p.Amount = tc.amount
		if _, err := c.CreatePayment(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		if body := string(g.requests()[i].Body); !strings.Contains(body, tc.want) {
			t.Errorf("body has no %s:\n%s", tc.want, body)
		}
	}

	// Amounts read back exactly, from strings and numbers alike.
	var s Payment
	if err := json.Unmarshal([]byte(`{"amount":"500.50","payment_amount":500.5,"commission_amount":null}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Amount != 50050 || s.PaymentAmount == nil || *s.PaymentAmount != 50050 || s.CommissionAmount != nil {
		t.Errorf("status amounts %v %v %v", s.Amount, s.PaymentAmount, s.CommissionAmount)
	}

	// A negative or zero amount is not sent.
	p := testCreateParams()
	p.Amount = 0
	if _, err := c.CreatePayment(t.Context(), p); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("zero amount: %v", err)
	}
}

func TestCreatePaymentBody(t *testing.T) {
	g := newFakeGateway(t, answerCreated)
	c := g.client(t)
	zero, yes := 0, true
	p := testCreateParams()
	p.Lifetime = 900
	p.CustomerPostCode = "01234"
	p.CustomerBrowserLanguage = "ru"
	p.CustomerBrowserColorDepth = 32
	p.CustomerBrowserScreenWidth = 1920
	p.CustomerBrowserTimeDifferent = &zero
	p.CustomerBrowserJavaEnabled = &yes
	p.SuccessRedirectID, p.NotificationEndpointID = 1, 5
	if _, err := c.CreatePayment(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(g.requests()[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"lifetime": 900.0, "customer_post_code": "01234", "customer_browser_language": "ru",
		"customer_browser_color_depth": 32.0, "customer_browser_screen_width": 1920.0,
		"customer_browser_time_different": 0.0, "customer_browser_java_enabled": 1.0,
		"success_redirect_id": 1.0, "notification_endpoint_id": 5.0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, absent := range []string{"customer_browser_screen_height", "fail_redirect_id", "customer_email", "fail_redirect_url"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s sent with its zero value", absent)
		}
	}

	for _, bad := range []func(p *PaymentCreateParams){
		func(p *PaymentCreateParams) { p.OrderID = "" },
		func(p *PaymentCreateParams) { p.OrderID = strings.Repeat("x", 129) },
		func(p *PaymentCreateParams) { p.Service = "" },
		func(p *PaymentCreateParams) { p.CustomerIP = "" },
		func(p *PaymentCreateParams) { p.CustomerBrowserUserAgent = "" },
		func(p *PaymentCreateParams) { p.Amount = -1 },
	} {
		p := testCreateParams()
		bad(p)
		if _, err := c.CreatePayment(t.Context(), p); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("invalid params: %v", err)
		}
	}
	if _, err := c.CreatePayment(t.Context(), nil); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("nil params: %v", err)
	}
	if n := len(g.requests()); n != 1 {
		t.Errorf("%d requests; invalid params must send nothing", n)
	}
}

func TestPaymentStatus(t *testing.T) {
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, `{"url":"https://pay.example.test/`+testU1+`","payment_status":"paid","id":100000101,"uuid":"`+testU1+`","order_id":"ORD-1001","card_mask":"424242******4242","amount":"500.00","payment_amount":"500.00","hold_amount":null,"hold_at":null,"account_payment_amount":"500.00","commission_amount":"0.00","service_code":"payment_card_rub_hpp","account_old_balance":null,"account_new_balance":null}`)
	})
	c := g.client(t)
	for i, tc := range []struct {
		params PaymentStatusParams
		body   string
	}{
		{PaymentStatusParams{ID: 100000101}, `{"id":100000101}`},
		{PaymentStatusParams{UUID: testU1}, `{"uuid":"` + testU1 + `"}`},
		{PaymentStatusParams{OrderID: "ORD-1001"}, `{"order_id":"ORD-1001"}`},
	} {
		p, err := c.PaymentStatus(t.Context(), &tc.params)
		if err != nil {
			t.Fatal(err)
		}
		if r := g.requests()[i]; string(r.Body) != tc.body || r.Path != "/m/v1/payment/status" {
			t.Errorf("request %s %s, want %s", r.Path, r.Body, tc.body)
		}
		if p.PaymentStatus != StatusPaid || !p.PaymentStatus.Final() || p.Amount != 50000 || *p.CardMask != "424242******4242" || p.HoldAmount != nil {
			t.Errorf("payment %+v", p)
		}
	}
	for _, bad := range []*PaymentStatusParams{nil, {}, {ID: 1, UUID: testU1}, {UUID: testU1, OrderID: "x"}, {ID: -1}} {
		if _, err := c.PaymentStatus(t.Context(), bad); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("PaymentStatus(%+v): %v", bad, err)
		}
	}
	if n := len(g.requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestErrorShapes(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		check  func(t *testing.T, e *Error)
	}{
		{"merchant validation", 400, `{"message":"The given data was invalid.","errors":{"amount":["The amount must be greater than 0."],"service":["The selected service is invalid."]}}`,
			func(t *testing.T, e *Error) {
				if e.Message != "The given data was invalid." || len(e.Field("amount")) != 1 || e.Field("nothing") != nil {
					t.Errorf("%+v", e)
				}
				if want := "h2hpay: merchant /v1/payment/status: HTTP 400: The given data was invalid. [amount: The amount must be greater than 0.; service: The selected service is invalid.]"; e.Error() != want {
					t.Errorf("Error() = %q\nwant      %q", e.Error(), want)
				}
			}},
		{"merchant 401", 401, `{"message":"Invalid signature.","errors":{"sign":["Invalid signature."]}}`,
			func(t *testing.T, e *Error) {
				if e.HTTPStatus != 401 || e.Field("sign")[0] != "Invalid signature." {
					t.Errorf("%+v", e)
				}
			}},
		{"merchant 404", 404, `{"message":"Not found.","errors":{"id":["Not found."]}}`,
			func(t *testing.T, e *Error) {
				if e.HTTPStatus != 404 || e.Message != "Not found." {
					t.Errorf("%+v", e)
				}
			}},
		{"merchant 500", 500, `{"message":"Server error."}`,
			func(t *testing.T, e *Error) {
				if e.HTTPStatus != 500 || e.Message != "Server error." || e.Errors != nil {
					t.Errorf("%+v", e)
				}
			}},
		{"h2h", 400, `{"success":false,"error":"The payment cannot accept this call now.","errorCode":"invalid_state"}`,
			func(t *testing.T, e *Error) {
				if e.ErrorCode != ErrorCodeInvalidState || e.ErrorText != "The payment cannot accept this call now." {
					t.Errorf("%+v", e)
				}
				if want := "h2hpay: merchant /v1/payment/status: HTTP 400 invalid_state: The payment cannot accept this call now."; e.Error() != want {
					t.Errorf("Error() = %q", e.Error())
				}
			}},
		{"h2h with errors", 400, `{"success":false,"error":"return_url: required","errorCode":"validation_error","errors":{"return_url":"required"}}`,
			func(t *testing.T, e *Error) {
				if e.ErrorCode != ErrorCodeValidation || e.Field("return_url")[0] != "required" {
					t.Errorf("%+v", e)
				}
			}},
		{"success false on 200", 200, `{"success":false,"error":"runtime error","errorCode":"internal_error"}`,
			func(t *testing.T, e *Error) {
				if e.HTTPStatus != 200 || e.ErrorCode != ErrorCodeInternal {
					t.Errorf("%+v", e)
				}
			}},
		{"HTML 502", 502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>" + strings.Repeat(" padding", 100) + "\r\n</body>\r\n</html>\r\n",
			func(t *testing.T, e *Error) {
				if e.HTTPStatus != 502 || e.Message != "" || e.ErrorCode != "" {
					t.Errorf("%+v", e)
				}
				if !strings.HasPrefix(e.Excerpt, "<html> <head><title>502 Bad Gateway</title>") || len(e.Excerpt) > maxExcerpt || strings.ContainsAny(e.Excerpt, "\r\n") {
					t.Errorf("excerpt %q", e.Excerpt)
				}
			}},
		{"JSON without the documented members", 418, `{"teapot":true}`,
			func(t *testing.T, e *Error) {
				if e.Excerpt != `{"teapot":true}` {
					t.Errorf("%+v", e)
				}
			}},
		{"empty 404", 404, ``,
			func(t *testing.T, e *Error) {
				if e.HTTPStatus != 404 || e.Error() != "h2hpay: merchant /v1/payment/status: HTTP 404" {
					t.Errorf("%q", e.Error())
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			})
			_, err := g.client(t).PaymentStatus(t.Context(), &PaymentStatusParams{ID: 1})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if errors.Is(err, ErrDuplicateOrder) {
				t.Error("a status error matches ErrDuplicateOrder")
			}
			tc.check(t, e)
			wantRequests := 1
			if tc.status == 502 {
				wantRequests = 1 + DefaultRetries
			}
			if n := len(g.requests()); n != wantRequests {
				t.Errorf("%d requests, want %d", n, wantRequests)
			}
		})
	}
}

// TestRetryResendsSameBytes: 503, 502 and 504 are retried with the same
// body and Sign; a 500 or 4xx is not.
func TestRetryResendsSameBytes(t *testing.T) {
	var n atomic.Int32
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch n.Add(1) {
		case 1:
			writeJSON(w, 503, `{"message":"Service unavailable."}`)
		case 2:
			writeJSON(w, 502, `bad gateway`)
		case 3:
			writeJSON(w, 504, ``)
		default:
			answerCreated(w, r, body)
		}
	})
	p, err := g.client(t, WithRetries(3)).CreatePayment(t.Context(), testCreateParams())
	if err != nil || p.UUID != testU1 {
		t.Fatalf("%+v, %v", p, err)
	}
	reqs := g.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	for _, r := range reqs[1:] {
		if !bytes.Equal(r.Body, reqs[0].Body) || r.Header.Get("Sign") != reqs[0].Header.Get("Sign") {
			t.Error("a retry sent different bytes or Sign")
		}
	}

	for _, status := range []int{400, 401, 404, 500} {
		g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			writeJSON(w, status, `{"message":"no"}`)
		})
		if _, err := g.client(t).CreatePayment(t.Context(), testCreateParams()); err == nil {
			t.Errorf("%d: no error", status)
		}
		if n := len(g.requests()); n != 1 {
			t.Errorf("%d was sent %d times", status, n)
		}
	}
}

// TestRetryAfterTransportError: a connection the server drops is retried.
func TestRetryAfterTransportError(t *testing.T) {
	var n atomic.Int32
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if n.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		answerCreated(w, r, body)
	})
	if _, err := g.client(t).CreatePayment(t.Context(), testCreateParams()); err != nil {
		t.Fatal(err)
	}
	if n := len(g.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	// Every attempt failing returns the last transport error.
	g.srv.Close()
	c := g.client(t)
	_, err := c.CreatePayment(t.Context(), testCreateParams())
	var e *Error
	if err == nil || errors.As(err, &e) {
		t.Errorf("closed server: %v", err)
	}
}

// TestRetriesStopOnCancel: a cancelled context is never retried, neither
// during the backoff nor during an attempt, and a done context sends
// nothing.
func TestRetriesStopOnCancel(t *testing.T) {
	t.Run("during backoff", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			writeJSON(w, 503, `{"message":"Service unavailable."}`)
			// Cancelled once the client has the answer and is waiting.
			time.AfterFunc(100*time.Millisecond, cancel)
		})
		c := g.client(t, WithRetries(10))
		c.backoffBase, c.backoffMax = 5*time.Second, 5*time.Second
		start := time.Now()
		_, err := c.PaymentStatus(ctx, &PaymentStatusParams{ID: 1})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		var e *Error
		if !errors.As(err, &e) || e.HTTPStatus != 503 {
			t.Errorf("the last answer is not kept: %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v: the backoff did not stop", d)
		}
		if n := len(g.requests()); n != 1 {
			t.Errorf("%d requests after cancel, want 1", n)
		}
	})
	t.Run("during an attempt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			cancel()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
		_, err := g.client(t, WithRetries(5)).PaymentStatus(ctx, &PaymentStatusParams{ID: 1})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		if n := len(g.requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("deadline of the caller", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
		_, err := g.client(t, WithRetries(5)).PaymentStatus(ctx, &PaymentStatusParams{ID: 1})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want context.DeadlineExceeded", err)
		}
		if n := len(g.requests()); n != 1 {
			t.Errorf("%d requests, want 1: the caller's deadline is not an attempt timeout", n)
		}
	})
	t.Run("already done", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		g := newFakeGateway(t, answerCreated)
		if _, err := g.client(t).CreatePayment(ctx, testCreateParams()); !errors.Is(err, context.Canceled) {
			t.Errorf("error %v", err)
		}
		if n := len(g.requests()); n != 0 {
			t.Errorf("%d requests with a cancelled context", n)
		}
	})
}

// TestAttemptTimeoutRetried: WithTimeout bounds one attempt; a timed-out
// attempt is retried.
func TestAttemptTimeoutRetried(t *testing.T) {
	var n atomic.Int32
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		writeJSON(w, 200, `{"payment_status":"wait","id":1,"amount":"1.00"}`)
	})
	p, err := g.client(t, WithTimeout(200*time.Millisecond)).PaymentStatus(t.Context(), &PaymentStatusParams{ID: 1})
	if err != nil || p.ID != 1 {
		t.Fatalf("%+v, %v", p, err)
	}
	if n := len(g.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestCustomHTTPClientAndUserAgent(t *testing.T) {
	var used atomic.Bool
	g := newFakeGateway(t, answerCreated)
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Store(true)
		return http.DefaultTransport.RoundTrip(r)
	})}
	if _, err := g.client(t, WithHTTPClient(hc), WithUserAgent("AliKassa2.0 API")).CreatePayment(t.Context(), testCreateParams()); err != nil {
		t.Fatal(err)
	}
	if !used.Load() {
		t.Error("WithHTTPClient's client was not used")
	}
	if ua := g.requests()[0].Header.Get("User-Agent"); ua != "AliKassa2.0 API" {
		t.Errorf("User-Agent %q", ua)
	}
}

// TestNoRedirectFollowed: the default client returns a 3xx as an error
// rather than replaying a signed request elsewhere.
func TestNoRedirectFollowed(t *testing.T) {
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		http.Redirect(w, r, "https://elsewhere.example.test/", http.StatusTemporaryRedirect)
	})
	_, err := g.client(t).CreatePayment(t.Context(), testCreateParams())
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != http.StatusTemporaryRedirect {
		t.Errorf("error %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
