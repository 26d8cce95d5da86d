package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// The operator dashboard: its own listener, never reachable from the
// payer or API listeners. Every page but the login form needs the admin
// token, either as a session cookie set by the login form or as
// "Authorization: Bearer <token>". Forms that change something carry a
// per-session CSRF token, and cross-origin POSTs are refused (Origin and
// Sec-Fetch-Site, net/http.CrossOriginProtection).

// MinAdminTokenLen is the shortest admin token accepted: the token is the
// only thing between the network and the dashboard.
const MinAdminTokenLen = 16

// adminSessionTTL is how long a login lasts.
const adminSessionTTL = 12 * time.Hour

// operatorAuth checks the admin token and issues and checks sessions.
// Sessions are stateless: the cookie is an expiry and a random id under an
// HMAC keyed by the token, so they survive restarts, work on every instance
// with the same token, and all end when the token changes.
type operatorAuth struct {
	tokenSum   [32]byte // sha256 of the token, compared in constant time
	key        []byte   // HMAC key of sessions and CSRF tokens
	secure     bool     // the dashboard is served over https: Secure cookie
	cookieName string
	cop        *http.CrossOriginProtection
	now        func() time.Time
}

func newOperatorAuth(token, publicURL string, now func() time.Time) (*operatorAuth, error) {
	if len(token) < MinAdminTokenLen {
		return nil, errors.New("the admin token must be at least 16 characters")
	}
	a := &operatorAuth{tokenSum: sha256.Sum256([]byte(token)), cookieName: "h2hpay_admin", cop: http.NewCrossOriginProtection(), now: now}
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("h2hpay operator session key"))
	a.key = mac.Sum(nil)
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, errors.New("the dashboard URL must be an http or https URL")
		}
		// Behind a proxy the Host the listener sees may differ from the
		// public one: the public origin is trusted explicitly.
		if err := a.cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, err
		}
		if u.Scheme == "https" {
			// __Host-: only set over https, for this host, path /.
			a.secure, a.cookieName = true, "__Host-h2hpay_admin"
		}
	}
	return a, nil
}

// tokenOK compares a presented token with the admin token.
func (a *operatorAuth) tokenOK(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return token != "" && subtle.ConstantTimeCompare(sum[:], a.tokenSum[:]) == 1
}

func (a *operatorAuth) sign(parts ...[]byte) []byte {
	mac := hmac.New(sha256.New, a.key)
	for _, p := range parts {
		mac.Write(p)
		mac.Write([]byte{0})
	}
	return mac.Sum(nil)
}

// newSession returns a cookie value for a fresh session.
func (a *operatorAuth) newSession() (value string, expires time.Time) {
	expires = a.now().Add(adminSessionTTL).Truncate(time.Second)
	payload := make([]byte, 8+16)
	binary.BigEndian.PutUint64(payload, uint64(expires.Unix()))
	rand.Read(payload[8:])
	enc := base64.RawURLEncoding
	return "v1." + enc.EncodeToString(payload) + "." + enc.EncodeToString(a.sign([]byte("session"), payload)), expires
}

// session returns the session id of a valid, unexpired cookie value.
func (a *operatorAuth) session(value string) (string, bool) {
	rest, ok := strings.CutPrefix(value, "v1.")
	if !ok {
		return "", false
	}
	p64, m64, ok := strings.Cut(rest, ".")
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if !ok || err1 != nil || err2 != nil || len(payload) != 24 || !hmac.Equal(mac, a.sign([]byte("session"), payload)) {
		return "", false
	}
	if exp := time.Unix(int64(binary.BigEndian.Uint64(payload)), 0); !a.now().Before(exp) {
		return "", false
	}
	return enc.EncodeToString(payload[8:]), true
}

// csrfToken is the session's token for its forms.
func (a *operatorAuth) csrfToken(session string) string {
	return base64.RawURLEncoding.EncodeToString(a.sign([]byte("csrf"), []byte(session)))
}

func (a *operatorAuth) cookie(value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: a.cookieName, Value: value, Path: "/", HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires, c.MaxAge = expires, int(adminSessionTTL/time.Second)
	}
	return c
}

// operator is who a dashboard request was made by.
type operator struct {
	session string // "" for a Bearer request
	csrf    string // the token the session's forms carry
}

type operatorKey struct{}

// operatorOf is the operator operatorOnly let through, or nil.
func operatorOf(r *http.Request) *operator {
	o, _ := r.Context().Value(operatorKey{}).(*operator)
	return o
}

// identify returns the operator behind a request, or nil.
func (a *operatorAuth) identify(r *http.Request) *operator {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") && a.tokenOK(strings.TrimSpace(token)) {
			return &operator{}
		}
		return nil
	}
	c, err := r.Cookie(a.cookieName)
	if err != nil {
		return nil
	}
	id, ok := a.session(c.Value)
	if !ok {
		return nil
	}
	return &operator{session: id, csrf: a.csrfToken(id)}
}

// Codes of the dashboard's refusals.
const (
	codeNotSignedIn gateway.Code = "not_signed_in"
	codeForbidden   gateway.Code = "forbidden"
)

func init() {
	statusOf[codeNotSignedIn] = http.StatusUnauthorized
	statusOf[codeForbidden] = http.StatusForbidden
}

// operatorOnly lets a request through only with the admin token (session
// or Bearer). A browser asking for a page without one is sent to the login
// form; anything else gets 401.
func (s *Server) operatorOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o := s.auth.identify(r)
		if o == nil {
			if r.Method == http.MethodGet && acceptsHTML(r) && r.Header.Get("Authorization") == "" {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="h2hpay operator"`)
			s.writeError(w, r, adminPages, &gateway.Error{Code: codeNotSignedIn, Message: "Sign in with the admin token first."})
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), operatorKey{}, o)))
	}
}

// operatorForm is operatorOnly for forms that change something: a session's
// POST must carry the session's CSRF token. A Bearer request carries no
// ambient credential another site could borrow, so it needs none.
func (s *Server) operatorForm(next http.HandlerFunc) http.HandlerFunc {
	return s.operatorOnly(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			s.writeError(w, r, adminPages, gateway.Errorf(gateway.CodeValidation, "The form could not be read."))
			return
		}
		if o := operatorOf(r); o.session != "" && subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(o.csrf)) != 1 {
			s.writeError(w, r, adminPages, &gateway.Error{Code: codeForbidden, Message: "This form is out of date or did not come from the dashboard: reload the page and try again."})
			return
		}
		next(w, r)
	})
}

// adminGuard refuses cross-origin POSTs before any handler runs (the
// login form included) and sets the headers every dashboard answer has.
func (s *Server) adminGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if err := s.auth.cop.Check(r); err != nil {
			s.writeError(w, r, adminPages, &gateway.Error{Code: codeForbidden, Message: "Cross-origin requests to the dashboard are refused."})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// adminPageData is what every dashboard template gets.
type adminPageData struct {
	Title    string
	Section  string // the navigation entry to mark
	SignedIn bool
	CSRF     string // the session's CSRF token for the page's forms
	Data     any
}

func (s *Server) adminRender(w http.ResponseWriter, r *http.Request, status int, name string, d adminPageData) {
	if o := operatorOf(r); o != nil {
		d.SignedIn, d.CSRF = true, o.csrf
	}
	var buf bytes.Buffer
	if err := s.adminTmpl.ExecuteTemplate(&buf, name, d); err != nil {
		s.log.Error("dashboard page failed to render", "page", name, "err", err)
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	// No script at all; the dashboard is never framed.
	securityHeaders(w, "", policy{frame: neverFramed})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) adminErrorPage(w http.ResponseWriter, r *http.Request, status int, e *gateway.Error) {
	s.adminRender(w, r, status, "error.html", adminPageData{Title: http.StatusText(status), Data: struct {
		Status  int
		Message string
	}{status, e.Message}})
}

// loadAdminTemplates parses the dashboard's pages, a set of their own.
func loadAdminTemplates() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{
		"money":     moneyText,
		"when":      formatWhen,
		"cardLabel": cardLabel,
		"brandName": brandName,
		"add1":      func(i int) int { return i + 1 },
	}).ParseFS(templateFS, "templates/admin/*.html")
}

func formatWhen(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// safeNext is a local path to go to after the login, never another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return "/payments"
	}
	return next
}

// adminLoginPage is GET /login. ?token= fills the field in (the sandbox
// prints such a link); signing in is always a POST.
func (s *Server) adminLoginPage(w http.ResponseWriter, r *http.Request) {
	if s.auth.identify(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.adminRender(w, r, http.StatusOK, "login.html", adminPageData{Title: "Sign in", Data: loginView{
		Next: safeNext(r.URL.Query().Get("next")), Token: r.URL.Query().Get("token")}})
}

type loginView struct{ Next, Token, Error string }

// adminLogin is POST /login: the admin token for a session cookie.
func (s *Server) adminLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, r, adminPages, gateway.Errorf(gateway.CodeValidation, "The form could not be read."))
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if !s.auth.tokenOK(r.PostForm.Get("token")) {
		s.log.Warn("dashboard: sign-in with a wrong token", "remote", clientIP(r))
		noteError(r, codeNotSignedIn)
		s.adminRender(w, r, http.StatusUnauthorized, "login.html", adminPageData{Title: "Sign in", Data: loginView{
			Next: next, Error: "That is not the admin token."}})
		return
	}
	value, expires := s.auth.newSession()
	http.SetCookie(w, s.auth.cookie(value, expires))
	s.log.Info("dashboard: operator signed in", "remote", clientIP(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// adminLogout is POST /logout.
func (s *Server) adminLogout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.auth.cookie("", time.Time{}))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func adminHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/payments", http.StatusSeeOther)
}
