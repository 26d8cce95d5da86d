package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

func TestOperatorSessions(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a, err := newOperatorAuth("0123456789abcdef-token", "", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	value, expires := a.newSession()
	if !expires.Equal(now.Add(adminSessionTTL)) {
		t.Errorf("expires %v", expires)
	}
	id, ok := a.session(value)
	if !ok || id == "" {
		t.Fatalf("a fresh session does not verify")
	}
	other, _ := a.newSession()
	otherID, _ := a.session(other)
	if otherID == id || a.csrfToken(otherID) == a.csrfToken(id) {
		t.Error("two sessions share an id or a CSRF token")
	}
	for name, v := range map[string]string{
		"empty":     "",
		"no prefix": strings.TrimPrefix(value, "v1."),
		"tampered":  value[:len(value)-3] + "AAA",
		"no mac":    value[:strings.LastIndex(value, ".")],
		"garbage":   "v1.!!!.???",
	} {
		if _, ok := a.session(v); ok {
			t.Errorf("%s cookie %q verifies", name, v)
		}
	}
	b, _ := newOperatorAuth("another-token-0123456789", "", func() time.Time { return now })
	if _, ok := b.session(value); ok {
		t.Error("a session survives a change of the admin token")
	}
	now = now.Add(adminSessionTTL)
	if _, ok := a.session(value); ok {
		t.Error("an expired session verifies")
	}
	if _, err := newOperatorAuth("short", "", time.Now); err == nil {
		t.Error("a short token is accepted")
	}
}

func TestOperatorIdentify(t *testing.T) {
	a, _ := newOperatorAuth("0123456789abcdef-token", "https://ops.example", time.Now)
	if !a.secure || a.cookieName != "__Host-h2hpay_admin" {
		t.Errorf("https dashboard: secure %v, cookie %s", a.secure, a.cookieName)
	}
	value, exp := a.newSession()
	c := a.cookie(value, exp)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v", c)
	}
	for name, tc := range map[string]struct {
		header, cookie string
		want           bool
	}{
		"bearer":              {"Bearer 0123456789abcdef-token", "", true},
		"bearer, lower case":  {"bearer 0123456789abcdef-token", "", true},
		"wrong bearer":        {"Bearer 0123456789abcdef-tokeX", "", false},
		"basic":               {"Basic 0123456789abcdef-token", "", false},
		"cookie":              {"", value, true},
		"bad header, cookie":  {"Bearer nope", value, false},
		"nothing":             {"", "", false},
		"cookie of the token": {"", "0123456789abcdef-token", false},
	} {
		r := httptest.NewRequest("GET", "/payments", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: a.cookieName, Value: tc.cookie})
		}
		if got := a.identify(r) != nil; got != tc.want {
			t.Errorf("%s: identified %v", name, got)
		}
	}
	// The public origin may post, though the listener sees another Host.
	r := httptest.NewRequest("POST", "http://127.0.0.1:8090/login", nil)
	r.Header.Set("Origin", "https://ops.example")
	if err := a.cop.Check(r); err != nil {
		t.Errorf("the public origin: %v", err)
	}
	r.Header.Set("Origin", "https://evil.example")
	if err := a.cop.Check(r); err == nil {
		t.Error("another origin may post")
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "/payments",
		"/accounts":            "/accounts",
		"/payments?status=x":   "/payments?status=x",
		"//evil.example/":      "/payments",
		"/\\evil.example":      "/payments",
		"https://evil.example": "/payments",
		"/login?next=/x":       "/payments",
		"javascript:alert(1)":  "/payments",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadPaymentFilter(t *testing.T) {
	q, _ := url.ParseQuery("status=paid&account=A0C0809E-9121-0C08-8FBA-EF0227083121&from=2026-05-01&to=2026-05-02&order_id=X&page=3")
	form, f, page := readPaymentFilter(q)
	if len(form.Errors) != 0 || f.Status != gateway.StatusPaid || f.AccountUUID != "a0c0809e-9121-0c08-8fba-ef0227083121" ||
		!f.From.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) || !f.To.Equal(time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC)) ||
		f.OrderID != "X" || page != 3 || f.Offset != 2*adminPageSize || f.Limit != adminPageSize {
		t.Errorf("filter %+v, page %d, errors %v", f, page, form.Errors)
	}
	q, _ = url.ParseQuery("status=paid'--&account=nope&from=yesterday&to=2026-13-01&page=-1")
	form, f, page = readPaymentFilter(q)
	for _, field := range []string{"status", "account", "from", "to"} {
		if form.Errors[field] == "" {
			t.Errorf("no error for %s", field)
		}
	}
	if f.Status != "" || f.AccountUUID != "" || !f.From.IsZero() || !f.To.IsZero() || page != 1 {
		t.Errorf("unusable values filter: %+v page %d", f, page)
	}
	q, _ = url.ParseQuery("from=2026-05-03&to=2026-05-01")
	if form, f, _ := readPaymentFilter(q); form.Errors["to"] == "" || !f.To.IsZero() {
		t.Errorf("a reversed range: %v %+v", form.Errors, f)
	}
}

func TestHourChart(t *testing.T) {
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	c := newHourChart([]gateway.HourCount{
		{Hour: start, Status: gateway.StatusPaid, Count: 3},
		{Hour: start, Status: gateway.StatusFail, Count: 1},
		{Hour: start.Add(5 * time.Hour), Status: gateway.StatusWait, Count: 2},
		{Hour: start.Add(-time.Hour), Status: gateway.StatusPaid, Count: 9}, // outside: not drawn
		{Hour: start.Add(24 * time.Hour), Status: gateway.StatusPaid, Count: 9},
	}, start, 24)
	if c.Total != 6 || len(c.Bars) != 3 || len(c.XTicks) != 8 {
		t.Fatalf("chart %+v", c)
	}
	paid, fail := c.Bars[0], c.Bars[1]
	if paid.Status != "paid" || fail.Status != "fail" || fail.Y+fail.H != paid.Y || paid.Y+paid.H != 172 {
		t.Errorf("the first hour's stack: %+v %+v", paid, fail)
	}
	// The axis tops at 4 (the peak); 3 paid are three quarters of it.
	if h := paid.H; h < 119 || h > 121 {
		t.Errorf("3 of 4 is %.1f high, want 120", h)
	}
	if got := c.YTicks[len(c.YTicks)-1].Label; got != "4" {
		t.Errorf("axis top %s", got)
	}
	if !strings.Contains(c.Label, "6 in all, 3 paid, 1 fail, 0 cancel, 2 wait") {
		t.Errorf("label %q", c.Label)
	}
	empty := newHourChart(nil, start, 24)
	if empty.Total != 0 || len(empty.Bars) != 0 || len(empty.YTicks) != 2 {
		t.Errorf("empty chart %+v", empty)
	}
	for n, want := range map[int]int{0: 1, 1: 1, 3: 4, 5: 5, 6: 10, 11: 20, 41: 50, 101: 200} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestMoneyAndCardText(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"500.00", "RUB"}:     "500.00\u00a0₽",
		{"12500.00", "RUB"}:   "12\u202f500.00\u00a0₽",
		{"1234567.89", "USD"}: "1\u202f234\u202f567.89\u00a0$",
		{"-100.00", "XYZ"}:    "−100.00\u00a0XYZ",
	} {
		if got := moneyText(in[0], in[1]); got != want {
			t.Errorf("moneyText(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
	if got := cardLabel("visa", "424242******4242"); got != "Visa •••• 4242" {
		t.Errorf("cardLabel = %q", got)
	}
	if got := cardLabel("", "222300******3222"); got != "•••• 3222" {
		t.Errorf("cardLabel without brand = %q", got)
	}
}
