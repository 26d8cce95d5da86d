package h2hpay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/h2hpay/h2hpay/internal/signature"
)

func testCardParams() *CardParams {
	return &CardParams{
		PaymentUUID: testU1,
		ReturnURL:   "https://shop.example.test/confirm",
		Number:      testCard,
		ExpMonth:    "12",
		ExpYear:     "30",
		CVC:         testCVC,
		FirstName:   "Test",
		LastName:    "Payer",
	}
}

const cardAccepted = `{"success":true,"redirect":{"url":"https://pay.h2hpay.example.test/3ds/ch1","method":"get","params":[]}}`

func TestSubmitCard(t *testing.T) {
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, cardAccepted) })
	c := g.client(t)
	zero, no := 0, false
	p := testCardParams()
	p.CVC = "077"
	p.Browser = &BrowserData{UserAgent: "TestBrowser/1.0", Language: "ru", ScreenWidth: 1920, TimeDifferent: &zero, JavaEnabled: &no}
	p.BrowserIP = "203.0.113.10"
	redirect, err := c.SubmitCard(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if redirect.URL != "https://pay.h2hpay.example.test/3ds/ch1" || redirect.Method != "get" || redirect.Params == nil || len(redirect.Params) != 0 {
		t.Errorf("redirect %+v", redirect)
	}
	r := g.requests()[0]
	if r.Path != "/h/v1/payment" || r.Header.Get("Application") != testApplication || r.Header.Get("Account") != testAccount {
		t.Errorf("request %s, Application %q, Account %q", r.Path, r.Header.Get("Application"), r.Header.Get("Account"))
	}
	if _, err := signature.Verify(&testPaymentKey(t).PublicKey, []byte(testU1), r.Header.Get("Sign")); err != nil {
		t.Error("the H2H Sign does not verify over the payment uuid")
	}
	var got map[string]any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"payment_uuid": testU1, "return_url": "https://shop.example.test/confirm",
		"card_number": testCard, "card_month": "12", "card_year": "30", "card_cvc": "077",
		"card_first_name": "Test", "card_last_name": "Payer",
		"browser_user_agent": "TestBrowser/1.0", "browser_language": "ru", "browser_screen_width": 1920.0,
		"browser_time_different": 0.0, "browser_java_enabled": 0.0, "browser_ip": "203.0.113.10",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body %v\nwant %v", got, want)
	}

	// Without an Application, or with missing fields, nothing is sent.
	noApp, err := NewClient(testAccount, "", testPaymentKey(t), WithH2HURL(g.srv.URL+"/h"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noApp.SubmitCard(t.Context(), testCardParams()); err == nil {
		t.Error("SubmitCard without an Application succeeded")
	}
	if err := noApp.Confirm(t.Context(), testU1, nil); err == nil {
		t.Error("Confirm without an Application succeeded")
	}
	for _, field := range []string{"PaymentUUID", "ReturnURL", "Number", "ExpMonth", "ExpYear", "CVC"} {
		p := testCardParams()
		reflect.ValueOf(p).Elem().FieldByName(field).SetString("")
		if _, err := c.SubmitCard(t.Context(), p); !errors.Is(err, ErrInvalidParams) || !strings.Contains(err.Error(), field) {
			t.Errorf("missing %s: %v", field, err)
		}
	}
	if _, err := c.SubmitCard(t.Context(), nil); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("nil params: %v", err)
	}
	if n := len(g.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestRedirectParams: params are [] (PHP's empty array) or an object; both
// are read, and an empty set is written back as [].
func TestRedirectParams(t *testing.T) {
	for _, tc := range []struct {
		params string
		want   RedirectParams
	}{
		{`[]`, RedirectParams{}},
		{`null`, RedirectParams{}},
		{`{}`, RedirectParams{}},
		{`{"PaReq":"abc+/=","MD":"` + testU1 + `","TermUrl":"https://pay.example.test/3ds/back?a=1&b=2"}`,
			RedirectParams{"PaReq": "abc+/=", "MD": testU1, "TermUrl": "https://pay.example.test/3ds/back?a=1&b=2"}},
	} {
		g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			writeJSON(w, 200, `{"success":true,"redirect":{"url":"https://acs.example.test/","method":"post","params":`+tc.params+`}}`)
		})
		redirect, err := g.client(t).SubmitCard(t.Context(), testCardParams())
		if err != nil {
			t.Fatalf("%s: %v", tc.params, err)
		}
		if redirect.Params == nil || !reflect.DeepEqual(redirect.Params, tc.want) || redirect.Method != "post" {
			t.Errorf("%s: params %#v, want %#v", tc.params, redirect.Params, tc.want)
		}
	}
	for _, p := range []RedirectParams{nil, {}} {
		if b, _ := json.Marshal(Redirect{URL: "u", Method: "get", Params: p}); !strings.HasSuffix(string(b), `"params":[]}`) {
			t.Errorf("empty params written as %s", b)
		}
	}
	if b, _ := json.Marshal(RedirectParams{"a": "1"}); string(b) != `{"a":"1"}` {
		t.Errorf("params written as %s", b)
	}
	g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, `{"success":true}`) })
	if _, err := g.client(t).SubmitCard(t.Context(), testCardParams()); err == nil {
		t.Error("an answer without a redirect was accepted")
	}
}

// returnRequest is the 3-D Secure page's final form POST to return_url:
// cross-site, so no cookie reaches the merchant.
func returnRequest(target string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://pay.h2hpay.example.test")
	return r
}

func confirmGateway(t *testing.T) *fakeGateway {
	return newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, `{"success":true}`) })
}

// TestIT06_ConfirmFromRequestUsesQueryUUID: the uuid comes from the
// return_url's query, never from a cookie or the form, and confirm carries
// the posted fields and Sign(U1).
func TestIT06_ConfirmFromRequestUsesQueryUUID(t *testing.T) {
	g := confirmGateway(t)
	c := g.client(t)
	pares := "eJzVWFmTo7gSfu9fUeF5dHSzGC+ddlV1AHgBG9cYfTFrTUq"
	r := returnRequest("https://shop.example.test/confirm?uuid="+testU1, url.Values{"PaRes": {pares}, "MD": {testU1}})
	uuid, err := c.ConfirmFromRequest(t.Context(), r)
	if err != nil || uuid != testU1 {
		t.Fatalf("ConfirmFromRequest = %q, %v", uuid, err)
	}
	req := g.requests()[0]
	if req.Path != "/h/v1/payment/confirm" || req.Header.Get("Application") != testApplication {
		t.Errorf("request %s, Application %q", req.Path, req.Header.Get("Application"))
	}
	if _, err := signature.Verify(&testPaymentKey(t).PublicKey, []byte(testU1), req.Header.Get("Sign")); err != nil {
		t.Error("confirm Sign does not verify over U1")
	}
	if want := `{"payment_uuid":"` + testU1 + `","data":{"MD":"` + testU1 + `","PaRes":"` + pares + `"}}`; string(req.Body) != want {
		t.Errorf("body\n%s\nwant\n%s", req.Body, want)
	}

	// A cookie naming another payment changes nothing.
	r = returnRequest("https://shop.example.test/confirm?order=ORD-1006&uuid="+testU1, url.Values{"PaRes": {pares}, "MD": {testU1}})
	r.AddCookie(&http.Cookie{Name: "uuid", Value: testU2})
	if uuid, err := c.ConfirmFromRequest(t.Context(), r); err != nil || uuid != testU1 {
		t.Errorf("with a cookie: %q, %v", uuid, err)
	}

	// No uuid in the query: a clear error and no request, even if a cookie
	// or the form has one.
	before := len(g.requests())
	r = returnRequest("https://shop.example.test/confirm", url.Values{"PaRes": {pares}, "MD": {testU1}, "uuid": {testU1}})
	r.AddCookie(&http.Cookie{Name: "uuid", Value: testU1})
	if _, err := c.ConfirmFromRequest(t.Context(), r); !errors.Is(err, ErrNoPaymentUUID) {
		t.Errorf("no uuid: %v", err)
	}
	if n := len(g.requests()); n != before {
		t.Error("a request was sent without a uuid")
	}

	// A gateway error still returns the uuid, for the status lookup.
	bad := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 400, `{"success":false,"error":"The payment cannot be confirmed now.","errorCode":"invalid_state"}`)
	})
	uuid, err = bad.client(t).ConfirmFromRequest(t.Context(), returnRequest("https://shop.example.test/confirm?uuid="+testU1, url.Values{"MD": {testU1}}))
	var e *Error
	if uuid != testU1 || !errors.As(err, &e) || e.ErrorCode != ErrorCodeInvalidState {
		t.Errorf("invalid_state: %q, %v", uuid, err)
	}
}

// TestIT07_ForwardsFieldsUnchanged: every posted field goes to confirm as
// a string, unrenamed, not re-encoded, unknown ones included; query
// parameters are not form fields.
func TestIT07_ForwardsFieldsUnchanged(t *testing.T) {
	g := confirmGateway(t)
	c := g.client(t)
	cres := "eyJhY3NUcmFuc0lEIjoiYjQ1ZS0_IiwidHJhbnNTdGF0dXMiOiJZIn0" // unpadded base64url, with - and _
	form := url.Values{
		"cres":               {cres},
		"threeDSSessionData": {"YzAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAx"},
		"PaRes":              {"a+b/c==", "second"},
		"MD":                 {testU1},
		"x-unknown_Field":    {"  spaces kept & <html> é "},
		"empty":              {""},
	}
	r := returnRequest("https://shop.example.test/confirm?uuid="+testU1+"&order=ORD-1007", form)
	if _, err := c.ConfirmFromRequest(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	var body struct {
		PaymentUUID string            `json:"payment_uuid"`
		Data        map[string]string `json:"data"`
	}
	raw := g.requests()[0].Body
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cres": cres, "threeDSSessionData": "YzAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAx",
		"PaRes": "a+b/c==", "MD": testU1, "x-unknown_Field": "  spaces kept & <html> é ", "empty": "",
	}
	if body.PaymentUUID != testU1 || !reflect.DeepEqual(body.Data, want) {
		t.Errorf("confirm body %s\nwant data %v", raw, want)
	}
	if !bytes.Contains(raw, []byte(`"  spaces kept & <html> é "`)) {
		t.Errorf("a value was re-encoded: %s", raw)
	}

	// An empty form is sent as {}; a multipart form is read too.
	if _, err := c.ConfirmFromRequest(t.Context(), returnRequest("https://shop.example.test/confirm?uuid="+testU1, nil)); err != nil {
		t.Fatal(err)
	}
	if got := string(g.requests()[1].Body); got != `{"payment_uuid":"`+testU1+`","data":{}}` {
		t.Errorf("empty form sent as %s", got)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("PaRes", "P1")
	mw.WriteField("MD", testU1)
	mw.Close()
	r = httptest.NewRequest(http.MethodPost, "https://shop.example.test/confirm?uuid="+testU1, &mp)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if _, err := c.ConfirmFromRequest(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if got := string(g.requests()[2].Body); got != `{"payment_uuid":"`+testU1+`","data":{"MD":"`+testU1+`","PaRes":"P1"}}` {
		t.Errorf("multipart form sent as %s", got)
	}

	// Confirm itself sends data as given, nil as {}.
	if err := c.Confirm(t.Context(), testU1, nil); err != nil {
		t.Fatal(err)
	}
	if got := string(g.requests()[3].Body); got != `{"payment_uuid":"`+testU1+`","data":{}}` {
		t.Errorf("nil data sent as %s", got)
	}
	if err := c.Confirm(t.Context(), "", nil); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("empty uuid: %v", err)
	}
}

// TestIT13_NoCardDataInErrorsOrPrinting: CardParams prints masked in every
// form, and no error of a card call contains the card number or CVC,
// whatever the other side answers.
func TestIT13_NoCardDataInErrorsOrPrinting(t *testing.T) {
	leaks := func(s string) bool {
		return strings.Contains(s, testCard) || strings.Contains(s, "4242 4242 4242 4242") ||
			strings.Contains(s, "5555555555554444") || strings.Contains(s, testCVC)
	}
	p := testCardParams()
	zero := 0
	p.Browser = &BrowserData{UserAgent: "TestBrowser/1.0", TimeDifferent: &zero}
	spaced := testCardParams()
	spaced.Number = "4242 4242 4242 4242"

	t.Run("printing", func(t *testing.T) {
		var out []string
		for _, v := range []any{p, *p, spaced, []CardParams{*p}, struct{ Card CardParams }{*p}, map[string]*CardParams{"p": p}} {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x"} {
				out = append(out, fmt.Sprintf(verb, v))
			}
			out = append(out, fmt.Sprint(v), fmt.Sprintln(v))
		}
		for _, v := range []any{p, *p} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("card", "params", p, "value", *p)
		slog.New(slog.NewTextHandler(&logs, nil)).Info("card", "params", p)
		out = append(out, logs.String())
		for _, s := range out {
			if leaks(s) {
				t.Errorf("card data printed: %s", s)
			}
		}
		if s := fmt.Sprint(p); !strings.Contains(s, "424242******4242") || !strings.Contains(s, "CVC:***") || !strings.Contains(s, "TimeDifferent:0") {
			t.Errorf("String() = %s", s)
		}
		if s := fmt.Sprintf("%#v", *p); !strings.HasPrefix(s, `h2hpay.CardParams{PaymentUUID:"`+testU1) || !strings.Contains(s, `Number:"424242******4242"`) {
			t.Errorf("GoString() = %s", s)
		}
		if !strings.Contains(logs.String(), `"card_number":"424242******4242"`) {
			t.Errorf("slog output %s", logs.String())
		}
	})

	t.Run("masking", func(t *testing.T) {
		for in, want := range map[string]string{
			"4242424242424242": "424242******4242", "4242 4242 4242 4242": "424242******4242",
			"5555-5555-5555-4444": "555555******4444", "4242424242424": "424242***2424",
			"12345": "****", "": "", "abcdefghijklmnop": "****", "42424242424242424242": "****",
		} {
			if got := MaskCardNumber(in); got != want {
				t.Errorf("MaskCardNumber(%q) = %q, want %q", in, got, want)
			}
		}
		if got := redact("number 4242 4242 4242 4242, cvc 913, id 1000009131, ok", []string{"4242 4242 4242 4242", "913"}); got != "number [redacted], cvc ***, id 1000009131, ok" {
			t.Errorf("redact: %q", got)
		}
		if got := maskDigitRuns("card 5555555555554444 and 5555-5555-5555-4444 end"); leaks(got) || !strings.Contains(got, "555555******4444") {
			t.Errorf("maskDigitRuns: %q", got)
		}
	})

	echo := func(status int, contentType string) func(w http.ResponseWriter, r *http.Request, body []byte) {
		return func(w http.ResponseWriter, r *http.Request, body []byte) {
			var fields map[string]string
			json.Unmarshal(body, &fields)
			number, cvc := fields["card_number"], fields["card_cvc"]
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			if contentType == "application/json" {
				fmt.Fprintf(w, `{"success":false,"error":"card_number %s with cvc %s is invalid","errorCode":"validation_error %s","errors":{"card_number %s":["%s is bad"],"card_cvc":["%s"]}}`,
					number, cvc, number, number, number, cvc)
				return
			}
			fmt.Fprintf(w, "<html><body><pre>%s</pre></body></html>", body)
		}
	}
	cases := []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request, body []byte)
		params *CardParams
	}{
		{"gateway error echoing the card", echo(400, "application/json"), testCardParams()},
		{"spaced number echoed", echo(400, "application/json"), spaced},
		{"failing card echoed", echo(400, "application/json"), &CardParams{PaymentUUID: testU1, ReturnURL: "https://shop.example.test/confirm", Number: "5555555555554444", ExpMonth: "12", ExpYear: "30", CVC: testCVC}},
		{"proxy echoing the body", echo(502, "text/html"), testCardParams()},
		{"internal error", func(w http.ResponseWriter, r *http.Request, body []byte) {
			writeJSON(w, 500, `{"success":false,"error":"Server error.","errorCode":"internal_error"}`)
		}, testCardParams()},
		{"validation path without return_url", echo(400, "application/json"), func() *CardParams { p := testCardParams(); p.ReturnURL = ""; return p }()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, tc.handle)
			_, err := g.client(t).SubmitCard(t.Context(), tc.params)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if leaks(s) {
					t.Errorf("card data in the error: %s", s)
				}
			}
			var e *Error
			if errors.As(err, &e) {
				if s := fmt.Sprintf("%#v", *e); leaks(s) {
					t.Errorf("card data in *Error: %s", s)
				}
			}
		})
	}
	t.Run("transport error", func(t *testing.T) {
		g := newFakeGateway(t, echo(400, "application/json"))
		c := g.client(t)
		g.srv.Close()
		_, err := c.SubmitCard(t.Context(), testCardParams())
		if err == nil || leaks(err.Error()) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("confirm with a 2 KB PaRes", func(t *testing.T) {
		pares := strings.Repeat("eJzVWFmTo7gSfu9f", 128)
		g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			w.WriteHeader(502)
			w.Write(body)
		})
		err := g.client(t).Confirm(t.Context(), testU1, map[string]string{"PaRes": pares, "MD": testU1})
		if err == nil || strings.Contains(err.Error(), pares[:64]) {
			t.Errorf("error %v", err)
		}
	})
}
