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

//go:embed templates/*.html templates/admin/*.html
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
		"currency":  currencySymbol,
		"money":     moneyText,
		"cardLabel": cardLabel,
		"brandName": brandName,
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
	Title   string
	Nonce   string      // the CSP nonce for the page's one inline script, if any
	Summary *paySummary // the order beside the page's content; nil for none
	Data    any
}

// paySummary is what every payer page shows of the payment: who is paid,
// how much, for what, and with which card. The merchant supplies the name,
// desc and order id: templates print them as text, never as markup.
type paySummary struct {
	MerchantName, Amount, Currency, Desc, OrderID string
	CardMask, Brand                               string
}

func summaryOf(p *gateway.Payment, merchant string) *paySummary {
	return &paySummary{MerchantName: merchant, Amount: p.Amount.String(), Currency: p.Currency, Desc: p.Desc,
		OrderID: p.OrderID, CardMask: p.Card.Mask(), Brand: p.Card.Brand}
}

// framing is the CSP frame-ancestors of a page.
type framing string

const (
	// framedByAnyone: the 3-D Secure pages. A merchant may show the
	// challenge in an iframe of its own checkout, as issuers' ACS pages are.
	framedByAnyone framing = "*"
	// neverFramed: the hosted card form, its results, and the dashboard,
	// which a framing page could overlay to steal clicks.
	neverFramed framing = "'none'"
)

// policy is what a page's security headers allow beyond the defaults.
type policy struct {
	formAction string // where the page's forms may post; "" = 'self'
	frame      framing
}

// securityHeaders sets the headers every HTML page carries. Every page
// shows payment data (or operator data), so nothing is cached. Scripts run
// only by the page's nonce; styles and images come from the listener itself.
func securityHeaders(w http.ResponseWriter, nonce string, pol policy) {
	if pol.formAction == "" {
		pol.formAction = "'self'"
	}
	if pol.frame == "" {
		pol.frame = neverFramed
	}
	script := "'none'"
	if nonce != "" {
		script = "'nonce-" + nonce + "'"
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src "+script+
		"; form-action "+pol.formAction+"; base-uri 'none'; frame-ancestors "+string(pol.frame))
	if pol.frame == neverFramed {
		h.Set("X-Frame-Options", "DENY") // for browsers without CSP frame-ancestors
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// newNonce is a page's CSP nonce: 128 random bits, URL-safe base64 so the
// attribute holds it without escaping.
func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p *pages) render(w http.ResponseWriter, status int, name string, d pageData, pol policy) {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	securityHeaders(w, d.Nonce, pol)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage is the payer's page for an error. Errors on the 3-D Secure
// pages may be shown inside a merchant's frame, like the page itself.
func (p *pages) errorPage(w http.ResponseWriter, r *http.Request, status int, e *gateway.Error) {
	pol := policy{frame: neverFramed}
	if strings.HasPrefix(r.URL.Path, "/3ds/") {
		pol.frame = framedByAnyone
	}
	p.render(w, status, "error.html", pageData{Title: http.StatusText(status), Data: struct {
		Status  int
		Message string
	}{status, e.Message}}, pol)
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
	Summary                  *paySummary
	Frame                    framing // the 3-D Secure answer stays in the merchant's frame
}

func (p *pages) autoPost(w http.ResponseWriter, a autoPost) {
	p.render(w, http.StatusOK, "autopost.html", pageData{Title: a.Heading, Nonce: newNonce(), Summary: a.Summary, Data: a},
		policy{formAction: originOf(a.Action), frame: a.Frame})
}

// cardLabel is a masked card as payers know it: Visa •••• 4242.
func cardLabel(brand, mask string) string {
	if len(mask) < 4 {
		return mask
	}
	last4 := mask[len(mask)-4:]
	if brand == "" {
		return "•••• " + last4
	}
	return brandName(brand) + " •••• " + last4
}

// brandName is a card scheme's name as it is written.
func brandName(brand string) string {
	switch brand {
	case "visa":
		return "Visa"
	case "mastercard":
		return "Mastercard"
	case "mir":
		return "Mir"
	case "amex":
		return "American Express"
	case "maestro":
		return "Maestro"
	case "unionpay":
		return "UnionPay"
	case "":
		return "Card"
	}
	return brand
}

// moneyText writes an amount for people: thousands grouped with a thin space,
// then the currency's sign (500.00 ₽, 12 500.00 ₽).
func moneyText(amount, currency string) string {
	whole, frac, _ := strings.Cut(amount, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	var b strings.Builder
	if neg {
		b.WriteString("−")
	}
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(d)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	if currency != "" {
		b.WriteString("\u00a0" + currencySymbol(currency))
	}
	return b.String()
}
