package server

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"golang.org/x/net/idna"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages renders the payer-facing HTML. Everything a page needs is embedded
// in the binary: no external resources.
type pages struct {
	tmpl *template.Template
}

func loadPages() (*pages, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"currency": currencySymbol,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &pages{tmpl: t}, nil
}

// asset returns an embedded static file by name, with its content type.
func (p *pages) asset(name string) ([]byte, string, bool) {
	if name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		return nil, "", false
	}
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil {
		return nil, "", false
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return b, ctype, true
}

// pageData is what every page template gets, plus its own Data.
type pageData struct {
	Title string
	Nonce string // the CSP nonce for the page's one inline script, if any
	Data  any
}

// securityHeaders sets the headers every payer page carries. Pages show
// payment data, so nothing is cached. formAction lists where the page's
// forms may post (the return page posts to the merchant's return_url).
func securityHeaders(w http.ResponseWriter, nonce, formAction string) {
	if formAction == "" {
		formAction = "'self'"
	}
	script := "'none'"
	if nonce != "" {
		script = "'nonce-" + nonce + "'"
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src "+script+
		"; form-action "+formAction+"; base-uri 'none'; frame-ancestors *")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}

func (p *pages) render(w http.ResponseWriter, status int, name string, d pageData, formAction string) {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	securityHeaders(w, d.Nonce, formAction)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (p *pages) errorPage(w http.ResponseWriter, r *http.Request, status int, e *gateway.Error) {
	p.render(w, status, "error.html", pageData{Title: http.StatusText(status), Data: struct {
		Status  int
		Message string
	}{status, e.Message}}, "")
}

// originOf is scheme://host of a URL as a CSP source. CSP sources are
// ASCII, so an internationalised host is written in its punycode form,
// which is what the browser compares.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "'none'"
	}
	host, err := idna.Lookup.ToASCII(u.Hostname())
	if err != nil {
		return u.Scheme + ":" // still limits the scheme
	}
	if p := u.Port(); p != "" {
		host += ":" + p
	}
	return u.Scheme + "://" + host
}

func currencySymbol(code string) string {
	switch strings.ToUpper(code) {
	case "RUB":
		return "₽"
	case "UAH":
		return "₴"
	case "KZT":
		return "₸"
	case "USD":
		return "$"
	case "EUR":
		return "€"
	}
	return code
}

// formField is one hidden field of an auto-posted form, in order.
type formField struct{ Name, Value string }

// autoPost is a page whose first form posts Fields to Action at once (by
// script, with a button for browsers without JavaScript): the 3-D Secure
// result to return_url, the signed redirect to the merchant.
type autoPost struct {
	Heading, Message, Button string
	Action                   string
	Fields                   []formField
}

func (p *pages) autoPost(w http.ResponseWriter, a autoPost) {
	p.render(w, http.StatusOK, "autopost.html", pageData{Title: a.Heading, Nonce: newNonce(), Data: a}, originOf(a.Action))
}
