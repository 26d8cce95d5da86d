package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/demoshop"
	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

const testAdminToken = "dashboard-test-token-0123456789abcdef"

var dashboardLineRE = regexp.MustCompile(`h2hpay: dashboard\s+on (http://\S+)`)

// dashboard is the address of the program's dashboard listener.
func (p *program) dashboard(t *testing.T) string {
	t.Helper()
	var addr string
	waitFor(t, "the dashboard listener", 10*time.Second, func() bool {
		m := dashboardLineRE.FindStringSubmatch(p.stdout.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	return addr
}

// adminClient asks the dashboard as a browser or a script would: no
// redirects followed, cookies only as given.
type adminClient struct {
	t    *testing.T
	base string
}

type adminAnswer struct {
	status int
	header http.Header
	body   string
}

func (c adminClient) do(method, path string, form url.Values, headers map[string]string) adminAnswer {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return adminAnswer{resp.StatusCode, resp.Header, string(b)}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login signs in with the form and returns the session cookie as sent.
func (c adminClient) login(headers map[string]string) (*http.Cookie, adminAnswer) {
	c.t.Helper()
	a := c.do("POST", "/login", url.Values{"token": {testAdminToken}, "next": {"/accounts"}}, headers)
	for _, ck := range (&http.Response{Header: a.header}).Cookies() {
		if strings.HasSuffix(ck.Name, "h2hpay_admin") {
			return ck, a
		}
	}
	c.t.Fatalf("login set no session cookie: %d %v", a.status, a.header)
	return nil, a
}

// TestDashboardAuthCSRF: without the admin token every dashboard page and
// form is refused (401 in JSON for scripts, the login form for browsers);
// the login sets an HttpOnly SameSite=Strict cookie; a form without the
// session's CSRF token, with another session's, or from another origin is
// refused with 403 and changes nothing; with all of them the resend works.
func TestDashboardAuthCSRF(t *testing.T) {
	t.Parallel()
	e := newE2E(t, "--admin-addr", "127.0.0.1:0", "--admin-token", testAdminToken)
	created, final := e.pay(cardPaid, "")
	if final.PaymentStatus != h2hpay.StatusPaid {
		t.Fatal(final.PaymentStatus)
	}
	waitFor(t, "the notification", 10*time.Second, func() bool { return len(e.shop.notifications(created.ID)) == 1 })
	c := adminClient{t, e.prog.dashboard(t)}
	json := map[string]string{"Accept": "application/json"}
	html := map[string]string{"Accept": "text/html,application/xhtml+xml"}

	for _, path := range []string{"/", "/payments", "/payments/" + created.UUID, "/accounts", "/notifications", "/no/such/page"} {
		a := c.do("GET", path, nil, json)
		if a.status != 401 || !strings.Contains(a.body, `"errorCode":"not_signed_in"`) || a.header.Get("WWW-Authenticate") == "" ||
			!strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s without the token: %d %s %v", path, a.status, a.body, a.header)
		}
		if a := c.do("GET", path, nil, html); a.status != 303 || a.header.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("a browser's GET %s without the token: %d to %q", path, a.status, a.header.Get("Location"))
		}
	}
	for _, h := range []string{"Bearer wrong-token-wrong-token", "Basic " + testAdminToken, "Bearer"} {
		if a := c.do("GET", "/payments", nil, map[string]string{"Authorization": h, "Accept": "text/html"}); a.status != 401 {
			t.Errorf("Authorization %q: %d", h, a.status)
		}
	}
	if a := c.do("POST", "/notifications/1/resend", url.Values{}, json); a.status != 401 {
		t.Errorf("resend without the token: %d", a.status)
	}
	if a := c.do("GET", "/payments", nil, map[string]string{"Authorization": "Bearer " + testAdminToken}); a.status != 200 ||
		!strings.Contains(a.body, created.UUID) {
		t.Errorf("Bearer token: %d", a.status)
	}

	// The login form.
	if a := c.do("POST", "/login", url.Values{"token": {"not-the-token"}}, html); a.status != 401 || a.header.Get("Set-Cookie") != "" ||
		!strings.Contains(a.body, `id="token-error"`) {
		t.Errorf("a wrong token at login: %d %q", a.status, a.header.Get("Set-Cookie"))
	}
	if a := c.do("POST", "/login", url.Values{"token": {testAdminToken}}, map[string]string{"Origin": "http://evil.example"}); a.status != 403 {
		t.Errorf("a cross-origin login: %d", a.status)
	}
	cookie, a := c.login(html)
	if a.status != 303 || a.header.Get("Location") != "/accounts" {
		t.Errorf("login answered %d to %q", a.status, a.header.Get("Location"))
	}
	raw := a.header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"} {
		if !strings.Contains(raw, attr) {
			t.Errorf("session cookie %q lacks %s", raw, attr)
		}
	}
	if strings.Contains(raw, "Secure") {
		t.Errorf("session cookie %q is Secure on plain http", raw)
	}
	session := map[string]string{"Cookie": cookie.Name + "=" + cookie.Value, "Accept": "text/html"}
	page := c.do("GET", "/payments/"+created.UUID, nil, session)
	m := csrfRE.FindStringSubmatch(page.body)
	if page.status != 200 || m == nil {
		t.Fatalf("the payment page with the session: %d, csrf %v", page.status, m)
	}
	csrf := m[1]
	if a := c.do("GET", "/login", nil, session); a.status != 303 {
		t.Errorf("the login page when signed in: %d", a.status)
	}
	tampered := map[string]string{"Cookie": cookie.Name + "=" + cookie.Value[:len(cookie.Value)-2] + "AA", "Accept": "application/json"}
	if a := c.do("GET", "/payments", nil, tampered); a.status != 401 {
		t.Errorf("a tampered session cookie: %d", a.status)
	}
	other, _ := c.login(html) // a second session: its token is not this session's
	otherPage := c.do("GET", "/payments/"+created.UUID, nil, map[string]string{"Cookie": other.Name + "=" + other.Value})
	otherCSRF := csrfRE.FindStringSubmatch(otherPage.body)[1]
	if otherCSRF == csrf {
		t.Fatal("two sessions share a CSRF token")
	}

	resend := "/notifications/" + notificationID(t, page.body) + "/resend"
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{"Cookie": session["Cookie"], "Accept": "text/html"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	before := len(e.shop.requests())
	for name, tc := range map[string]struct {
		form    url.Values
		headers map[string]string
	}{
		"no CSRF token":                {url.Values{}, with(nil)},
		"a wrong CSRF token":           {url.Values{"csrf": {"AAAA"}}, with(nil)},
		"another session's CSRF token": {url.Values{"csrf": {otherCSRF}}, with(nil)},
		"another origin":               {url.Values{"csrf": {csrf}}, with(map[string]string{"Origin": "http://127.0.0.1:1"})},
		"a cross-site fetch":           {url.Values{"csrf": {csrf}}, with(map[string]string{"Sec-Fetch-Site": "same-site"})},
	} {
		if a := c.do("POST", resend, tc.form, tc.headers); a.status != 403 || !strings.Contains(a.body, "<html") {
			t.Errorf("resend with %s: %d", name, a.status)
		}
	}
	time.Sleep(500 * time.Millisecond) // a refused resend must not reach the merchant
	if n := len(e.shop.requests()); n != before {
		t.Fatalf("refused resends delivered %d notifications", n-before)
	}
	a = c.do("POST", resend, url.Values{"csrf": {csrf}}, with(map[string]string{"Origin": c.base, "Sec-Fetch-Site": "same-origin"}))
	if a.status != 303 || !strings.HasPrefix(a.header.Get("Location"), "/payments/"+created.UUID+"?resent=") {
		t.Fatalf("resend with the session's token: %d %q %s", a.status, a.header.Get("Location"), a.body)
	}
	waitFor(t, "the resent notification", 10*time.Second, func() bool { return len(e.shop.requests()) == before+1 })
	// A script with the token (no cookie, so nothing for another site to
	// borrow) needs no CSRF token.
	if a := c.do("POST", resend, url.Values{}, map[string]string{"Authorization": "Bearer " + testAdminToken}); a.status != 303 {
		t.Errorf("resend by Bearer: %d", a.status)
	}

	// Signing out is a form too.
	if a := c.do("POST", "/logout", url.Values{}, with(nil)); a.status != 403 {
		t.Errorf("logout without CSRF: %d", a.status)
	}
	a = c.do("POST", "/logout", url.Values{"csrf": {csrf}}, with(nil))
	if a.status != 303 || !strings.Contains(a.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: %d %q", a.status, a.header.Get("Set-Cookie"))
	}
}

func notificationID(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`action="/notifications/(\d+)/resend"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no resend form on the payment page")
	}
	return m[1]
}

// TestDashboardOff: without a token the dashboard does not listen and serve
// says so; a token shorter than 16 characters stops serve.
func TestDashboardOff(t *testing.T) {
	t.Parallel()
	p := launch(t, filepath.Join(t.TempDir(), "data"))
	waitFor(t, "the notice", 5*time.Second, func() bool {
		return strings.Contains(p.stdout.String(), "operator dashboard off: set --admin-token or H2HPAY_ADMIN_TOKEN")
	})
	if strings.Contains(p.stdout.String(), "dashboard    on") {
		t.Error("the dashboard listens without a token")
	}
	q := launch(t, filepath.Join(t.TempDir(), "data"), "--admin-token", testAdminToken, "--admin-addr", "")
	waitFor(t, "the notice", 5*time.Second, func() bool { return strings.Contains(q.stdout.String(), `operator dashboard off (--admin-addr "")`) })
	var out, errOut syncBuffer
	err := run(context.Background(), []string{"serve", "--data", filepath.Join(t.TempDir(), "data"), "--merchant-addr", "127.0.0.1:0",
		"--h2h-addr", "127.0.0.1:0", "--pay-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--admin-token", "short"}, noEnv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "at least 16 characters") {
		t.Errorf("a short token: %v", err)
	}
}

// TestDashboardBehindHTTPS: with --admin-url https://… the session cookie
// is Secure with the __Host- prefix, and that public origin may post.
func TestDashboardBehindHTTPS(t *testing.T) {
	t.Parallel()
	// The token from the environment this time.
	p := &program{t: t, dataDir: filepath.Join(t.TempDir(), "data"), extra: []string{"--admin-addr", "127.0.0.1:0", "--admin-url", "https://ops.example.test"},
		logs: &syncBuffer{}, env: map[string]string{"H2HPAY_ADMIN_TOKEN": testAdminToken}}
	p.start("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	t.Cleanup(p.stop)
	c := adminClient{t, p.dashboard(t)}
	cookie, a := c.login(map[string]string{"Origin": "https://ops.example.test", "Sec-Fetch-Site": "same-origin"})
	raw := a.header.Get("Set-Cookie")
	if cookie.Name != "__Host-h2hpay_admin" || !strings.Contains(raw, "Secure") || !strings.Contains(raw, "HttpOnly") {
		t.Errorf("session cookie behind https: %q", raw)
	}
}

// TestPageSecurityHeaders: every page type carries its CSP (script only by
// the page's nonce, frame-ancestors per page: the 3-D Secure pages may be
// framed, nothing else), no-store, nosniff and no-referrer.
func TestPageSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newE2E(t, "--admin-addr", "127.0.0.1:0", "--admin-token", testAdminToken)
	ctx := context.Background()
	htmlGet := func(u string) adminAnswer {
		t.Helper()
		c := adminClient{t, ""}
		return c.do("GET", u, nil, map[string]string{"Accept": "text/html", "Authorization": "Bearer " + testAdminToken})
	}
	type want struct {
		frame      string // frame-ancestors
		script     bool   // a nonce'd script on the page
		formAction string // "" = 'self'
	}
	check := func(name string, a adminAnswer, w want) {
		t.Helper()
		h := a.header
		csp := h.Get("Content-Security-Policy")
		if a.status >= 500 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", name, a.status, h.Get("Content-Type"))
		}
		for _, d := range []string{"default-src 'none'", "style-src 'self'", "base-uri 'none'", "frame-ancestors " + w.frame} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP %q lacks %q", name, csp, d)
			}
		}
		fa := "'self'"
		if w.formAction != "" {
			fa = w.formAction
		}
		if !strings.Contains(csp, "form-action "+fa) {
			t.Errorf("%s: CSP %q: form-action is not %s", name, csp, fa)
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline script: %q", name, csp)
		}
		scripts := regexp.MustCompile(`<script( nonce="([^"]*)")?>`).FindAllStringSubmatch(a.body, -1)
		nonce := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
		switch {
		case w.script && (nonce == nil || len(scripts) != 1 || scripts[0][2] != nonce[1]):
			t.Errorf("%s: script-src %v, scripts %v", name, nonce, scripts)
		case !w.script && (!strings.Contains(csp, "script-src 'none'") || len(scripts) != 0):
			t.Errorf("%s: scripts %v under %q", name, scripts, csp)
		}
		for k, v := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", name, k, h.Get(k), v)
			}
		}
		if xfo := h.Get("X-Frame-Options"); (w.frame == "'none'") != (xfo == "DENY") {
			t.Errorf("%s: X-Frame-Options %q with frame-ancestors %s", name, xfo, w.frame)
		}
	}
	never, framed := want{frame: "'none'"}, want{frame: "*"}

	// The hosted page and its parts.
	hosted, _ := e.newPayment()
	check("hosted page", htmlGet(hosted.URL), want{frame: "'none'", script: true})
	b := payer.New()
	page, _ := b.Get(ctx, hosted.URL)
	form, _ := page.FirstForm()
	form.Fields.Set("card_number", "1")
	bad, _ := b.Submit(ctx, form, "", "")
	check("hosted page with field errors", adminAnswer{bad.Status, bad.Header, string(bad.Body)}, want{frame: "'none'", script: true})
	b.PostForm(ctx, e.prog.pay+"/cancel/"+hosted.UUID, nil, "")
	check("hosted page's redirect to the merchant", htmlGet(hosted.URL), want{frame: "'none'", script: true, formAction: e.shop.srv.URL})
	noRedirect := specCreate()
	noRedirect.SuccessRedirectID, noRedirect.FailRedirectID = 0, 0
	plain, err := e.client.CreatePayment(ctx, noRedirect)
	if err != nil {
		t.Fatal(err)
	}
	b.PostForm(ctx, e.prog.pay+"/cancel/"+plain.UUID, nil, "")
	check("hosted result page", htmlGet(plain.URL), never)

	// The 3-D Secure pages.
	created, _ := e.newPayment()
	redirect := e.card(created.UUID, cardPaid)
	check("3-D Secure page", htmlGet(redirect.URL), framed)
	challenge, _ := b.Get(ctx, redirect.URL)
	form, _ = challenge.FirstForm()
	form.Fields.Set("code", "000")
	wrong, _ := b.Submit(ctx, form, "", "")
	check("3-D Secure page, wrong code", adminAnswer{wrong.Status, wrong.Header, string(wrong.Body)}, framed)
	form.Fields.Set("code", "123456")
	answer, _ := b.Submit(ctx, form, "", "")
	check("3-D Secure answer (return to the merchant)", adminAnswer{answer.Status, answer.Header, string(answer.Body)},
		want{frame: "*", script: true, formAction: e.shop.srv.URL})

	// Error pages.
	check("error page", htmlGet(e.prog.pay+"/00000000-0000-4000-8000-000000000000"), never)
	check("3-D Secure error page", htmlGet(e.prog.pay+"/3ds/no-such-challenge"), framed)
	css := htmlGet(e.prog.pay + "/static/pay.css")
	if css.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("pay.css: %v", css.header)
	}

	// The dashboard.
	admin := e.prog.dashboard(t)
	for _, p := range []string{"/payments", "/payments/" + created.UUID, "/accounts", "/notifications", "/payments/00000000-0000-4000-8000-000000000000"} {
		check("dashboard "+p, htmlGet(admin+p), never)
	}
	login := adminClient{t, admin}.do("GET", "/login", nil, map[string]string{"Accept": "text/html"})
	check("dashboard login", login, never)
	refused := adminClient{t, admin}.do("GET", "/payments", nil, map[string]string{"Accept": "application/json"})
	if refused.header.Get("X-Frame-Options") != "DENY" || refused.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the dashboard's 401: %v", refused.header)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(refused.body), &body); err != nil {
		t.Errorf("the dashboard's 401 is not JSON: %s", refused.body)
	}

	// The demo shop's pages (its own site, its own policy).
	shop, err := demoshop.New(demoshop.Config{Client: e.client, NotificationKey: e.acct.NotifyKey, BaseURL: "http://shop.test"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	shop.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	check("demo shop checkout", adminAnswer{rec.Code, rec.Header(), rec.Body.String()}, want{frame: "'none'", script: true, formAction: "'self' http: https:"})
}
