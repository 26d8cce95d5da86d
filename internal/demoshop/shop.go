// Package demoshop is the small merchant site `h2hpay sandbox` runs beside
// the gateway: a checkout that takes a test card, collects the payer's
// browser data for 3-D Secure with a few lines of JavaScript, and runs the
// whole H2H flow through the Go SDK — create, card, 3-D Secure redirect,
// the return_url page that confirms, the order page, and the notification
// receiver. The payer may instead choose the hosted payment page: the shop
// then only creates the payment, sends the payer to its url, and verifies the
// signed redirect that brings the payer back. It is the SDK's reference integration, so it does things the way
// a merchant should: the order page shows the status from the API, never
// from what the browser posted, and no card data is logged or kept.
package demoshop

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/h2hpay/h2hpay"
)

//go:embed templates/*.html templates/shop.css
var files embed.FS

// Config is what the shop needs.
type Config struct {
	Client *h2hpay.Client
	// NotificationKey is the account's notification public key
	// (notification-public.pem) to verify notifications with.
	NotificationKey *rsa.PublicKey
	// BaseURL is the shop's own URL, for return_url and the notification URL.
	BaseURL string
	Service string // default payment_card_rub_hpp
	Logger  *slog.Logger
	Now     func() time.Time
}

// Shop is the demo merchant.
type Shop struct {
	cfg  Config
	tmpl *template.Template
	css  []byte

	mu     sync.Mutex
	orders map[string]*order // by payment uuid
}

// order is what the shop remembers of a payment: no card data.
type order struct {
	OrderID   string
	UUID      string
	Amount    h2hpay.Amount
	Desc      string
	Hosted    bool // paid on the gateway's hosted page
	Created   time.Time
	Notified  []notice // notifications received, in order
	Confirmed bool
}

type notice struct {
	Status h2hpay.Status
	At     time.Time
}

// New returns a Shop.
func New(cfg Config) (*Shop, error) {
	if cfg.Client == nil || cfg.NotificationKey == nil || cfg.BaseURL == "" {
		return nil, errors.New("demoshop: Client, NotificationKey and BaseURL are required")
	}
	if cfg.Service == "" {
		cfg.Service = "payment_card_rub_hpp"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	t, err := template.ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	css, err := files.ReadFile("templates/shop.css")
	if err != nil {
		return nil, err
	}
	return &Shop{cfg: cfg, tmpl: t, css: css, orders: map[string]*order{}}, nil
}

// Handler is the shop's HTTP surface.
func (s *Shop) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.checkout)
	mux.HandleFunc("POST /pay", s.pay)
	mux.HandleFunc("POST /return", s.returnPage)
	mux.HandleFunc("POST /back", s.hostedBack)
	mux.HandleFunc("GET /order/{uuid}", s.orderPage)
	mux.Handle("GET /notify", h2hpay.NotificationHandler(s.cfg.NotificationKey, s.applyNotification))
	mux.HandleFunc("GET /shop.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(s.css)
	})
	return mux
}

// checkoutForm is the checkout page's state: its values and field errors.
type checkoutForm struct {
	Amount, Number, Month, Year, CVC, Name, Desc string
	Payer                                        string // the payer's name, sent as customer_first_name/last_name
	Method                                       string // "card" (H2H, on this page) or "hosted"
	Errors                                       map[string]string
	General                                      string
	TestCards                                    []testCard
}

type testCard struct{ Number, Outcome string }

var testCards = []testCard{
	{"4242 4242 4242 4242", "paid"},
	{"5555 5555 5555 4444", "declined (fail)"},
}

func (s *Shop) defaultForm() checkoutForm {
	return checkoutForm{
		Amount: "500.00", Number: "4242 4242 4242 4242", Month: "12",
		Year: fmt.Sprintf("%02d", (s.cfg.Now().Year()+3)%100), CVC: "123", Desc: "Sandbox order", Method: "card",
		Errors: map[string]string{}, TestCards: testCards,
	}
}

func (s *Shop) checkout(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "checkout.html", s.defaultForm())
}

// pay creates the payment, sends the card with the browser's data, and
// redirects the payer to 3-D Secure.
func (s *Shop) pay(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := s.defaultForm()
	f.Amount, f.Number, f.Month, f.Year = r.PostForm.Get("amount"), r.PostForm.Get("card_number"), r.PostForm.Get("card_month"), r.PostForm.Get("card_year")
	f.CVC, f.Name, f.Desc = r.PostForm.Get("card_cvc"), r.PostForm.Get("card_name"), r.PostForm.Get("desc")
	f.Payer = r.PostForm.Get("payer_name")
	if r.PostForm.Get("method") == "hosted" {
		// The card fields are not the shop's business on this path (the
		// checkout's script disables them; without it they are ignored).
		f.Method, f.Number, f.Month, f.Year, f.CVC, f.Name = "hosted", "", "", "", "", ""
	}
	if amount, err := h2hpay.ParseAmount(strings.TrimSpace(f.Amount)); err != nil || amount <= 0 {
		f.Errors["amount"] = "Enter an amount like 500 or 500.00."
	}
	if f.Method != "hosted" {
		// What the SDK would refuse unsent: ask before creating a payment.
		for _, c := range []struct{ field, value, msg string }{
			{"card_number", f.Number, "Enter the card number."}, {"card_month", f.Month, "Enter the expiry month."},
			{"card_year", f.Year, "Enter the expiry year."}, {"card_cvc", f.CVC, "Enter the CVC from the back of the card."},
		} {
			if strings.TrimSpace(c.value) == "" {
				f.Errors[c.field] = c.msg
			}
		}
	}
	if len(f.Errors) > 0 {
		f.CVC = ""
		s.render(w, http.StatusUnprocessableEntity, "checkout.html", f)
		return
	}
	amount, _ := h2hpay.ParseAmount(strings.TrimSpace(f.Amount))
	browser := browserData(r)
	ip := clientIP(r)
	orderID := "DEMO-" + time.Now().UTC().Format("20060102-150405") + "-" + randomSuffix()
	ctx := r.Context()
	created, err := s.cfg.Client.CreatePayment(ctx, &h2hpay.PaymentCreateParams{
		OrderID: orderID, Amount: amount, Service: s.cfg.Service, Desc: f.Desc,
		CustomerIP: ip, CustomerBrowserUserAgent: browser.UserAgent,
		CustomerBrowserAcceptHeader: browser.AcceptHeader, CustomerBrowserLanguage: browser.Language,
		CustomerBrowserColorDepth: browser.ColorDepth, CustomerBrowserScreenHeight: browser.ScreenHeight,
		CustomerBrowserScreenWidth: browser.ScreenWidth, CustomerBrowserWindowWidth: browser.WindowWidth,
		CustomerBrowserWindowHeight: browser.WindowHeight, CustomerBrowserTimeDifferent: browser.TimeDifferent,
		CustomerBrowserJavaEnabled: browser.JavaEnabled,
		CustomerFirstName:          firstWord(f.Payer), CustomerLastName: restWords(f.Payer),
		NotificationEndpointURL: s.cfg.BaseURL + "/notify",
		// Where the hosted page sends the payer back, by a signed form.
		SuccessRedirectURL: s.cfg.BaseURL + "/back", FailRedirectURL: s.cfg.BaseURL + "/back",
	})
	if err != nil {
		s.formError(w, f, err)
		return
	}
	s.mu.Lock()
	s.orders[created.UUID] = &order{OrderID: orderID, UUID: created.UUID, Amount: amount, Desc: f.Desc, Hosted: f.Method == "hosted", Created: s.cfg.Now()}
	s.mu.Unlock()
	if f.Method == "hosted" {
		s.cfg.Logger.Info("demo shop: payer sent to the hosted payment page", "order_id", orderID, "payment", created.UUID)
		http.Redirect(w, r, created.URL, http.StatusSeeOther)
		return
	}
	redirect, err := s.cfg.Client.SubmitCard(ctx, &h2hpay.CardParams{
		PaymentUUID: created.UUID,
		ReturnURL:   s.cfg.BaseURL + "/return", // the gateway adds ?uuid=
		Number:      f.Number, ExpMonth: f.Month, ExpYear: f.Year, CVC: f.CVC,
		FirstName: firstWord(f.Name), LastName: restWords(f.Name),
		Browser: &browser, BrowserIP: ip,
	})
	if err != nil {
		s.formError(w, f, err)
		return
	}
	s.cfg.Logger.Info("demo shop: payer sent to 3-D Secure", "order_id", orderID, "payment", created.UUID)
	if strings.EqualFold(redirect.Method, "post") {
		s.render(w, http.StatusOK, "redirect.html", redirect)
		return
	}
	target := redirect.URL
	if len(redirect.Params) > 0 {
		q := make([]string, 0, len(redirect.Params))
		for k, v := range redirect.Params {
			q = append(q, k+"="+v)
		}
		target += "?" + strings.Join(q, "&")
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// checkoutFields are the API fields the checkout shows a problem next to.
var checkoutFields = []string{"amount", "desc", "customer_first_name", "customer_last_name",
	"card_number", "card_month", "card_year", "card_cvc", "card_first_name", "card_last_name"}

// formError shows the gateway's complaint next to the field it names. The
// CVC is never sent back to the browser.
func (s *Shop) formError(w http.ResponseWriter, f checkoutForm, err error) {
	f.CVC = ""
	var e *h2hpay.Error
	if errors.As(err, &e) && len(e.Errors) > 0 {
		for field, msgs := range e.Errors {
			if len(msgs) > 0 {
				f.Errors[field] = msgs[0]
			}
		}
		shown := false // is any problem next to a field of the checkout?
		for _, field := range checkoutFields {
			shown = shown || f.Errors[field] != ""
		}
		if !shown {
			f.General = e.Error()
		}
	} else {
		f.General = "The payment could not be started: " + err.Error()
	}
	s.cfg.Logger.Warn("demo shop: payment not started", "err", err)
	s.render(w, http.StatusUnprocessableEntity, "checkout.html", f)
}

// returnPage is return_url: the payer's browser posts the 3-D Secure result
// here (cross-site, so no cookies are relied on). It confirms with the
// posted fields as they are and sends the payer on to the order page with a
// 303, so a reload does not post again.
func (s *Shop) returnPage(w http.ResponseWriter, r *http.Request) {
	uuid, err := s.cfg.Client.ConfirmFromRequest(r.Context(), r)
	if uuid == "" {
		http.Error(w, "This page is where the payment returns; it needs ?uuid=.", http.StatusBadRequest)
		return
	}
	if err != nil {
		// The order page asks the gateway for the real status anyway.
		s.cfg.Logger.Warn("demo shop: confirm failed", "payment", uuid, "err", err)
	}
	s.mu.Lock()
	if o := s.orders[uuid]; o != nil && err == nil {
		o.Confirmed = true
	}
	s.mu.Unlock()
	http.Redirect(w, r, "/order/"+uuid, http.StatusSeeOther)
}

// hostedBack is the success and fail URL of hosted-page payments: the
// gateway's page posts order_id, uuid and sign here. Only a verified
// redirect is followed; the order page asks the API for the status anyway.
func (s *Shop) hostedBack(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	_, uuid, err := h2hpay.VerifyRedirectRequest(s.cfg.NotificationKey, r)
	if err != nil {
		s.cfg.Logger.Warn("demo shop: a payer redirect that does not verify", "err", err)
		http.Error(w, "This redirect does not carry a valid signature.", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, "/order/"+uuid, http.StatusSeeOther)
}

type orderView struct {
	OrderID, UUID, Amount, Desc, Status, CardMask, Error string
	Hosted, Final                                        bool
	Notified                                             []notice
	Refresh                                              bool
}

// orderPage shows the payment's status from the merchant API and the
// notifications the shop received for it.
func (s *Shop) orderPage(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	s.mu.Lock()
	o := s.orders[uuid]
	var v orderView
	if o != nil {
		v = orderView{OrderID: o.OrderID, UUID: uuid, Amount: o.Amount.String(), Desc: o.Desc, Hosted: o.Hosted, Notified: append([]notice(nil), o.Notified...)}
	}
	s.mu.Unlock()
	if o == nil {
		http.Error(w, "no such order in this shop", http.StatusNotFound)
		return
	}
	p, err := s.cfg.Client.PaymentStatus(r.Context(), &h2hpay.PaymentStatusParams{UUID: uuid})
	if err != nil {
		v.Error = err.Error()
	} else {
		v.Status, v.Final = string(p.PaymentStatus), p.PaymentStatus.Final()
		if p.CardMask != nil {
			v.CardMask = *p.CardMask
		}
	}
	v.Refresh = !v.Final || len(v.Notified) == 0
	s.render(w, http.StatusOK, "order.html", v)
}

// applyNotification records a verified notification once per status; a
// final status is never moved back (field-cases IT-09).
func (s *Shop) applyNotification(ctx context.Context, n *h2hpay.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orders {
		if o.OrderID != n.OrderID {
			continue
		}
		for _, seen := range o.Notified {
			if seen.Status == n.PaymentStatus || seen.Status.Final() {
				return nil // a redelivery, or late news about a settled order
			}
		}
		o.Notified = append(o.Notified, notice{Status: n.PaymentStatus, At: s.cfg.Now()})
		s.cfg.Logger.Info("demo shop: notification received", "order_id", n.OrderID, "status", string(n.PaymentStatus))
		return nil
	}
	// Not an order of this shop run (e.g. before a restart): accept it, so
	// the gateway stops retrying.
	return nil
}

func (s *Shop) render(w http.ResponseWriter, status int, name string, data any) {
	nonce := randomSuffix() + randomSuffix()
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, struct {
		Nonce string
		Data  any
	}{nonce, data}); err != nil {
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// form-action: the redirect page posts to the gateway's 3-D Secure URL,
	// and the checkout's answer redirects there or to the hosted page.
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'nonce-"+nonce+"'; form-action 'self' http: https:; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// browserData is what the checkout's script put in the hidden fields, with
// the request's own headers where the script did not run.
func browserData(r *http.Request) h2hpay.BrowserData {
	f := r.PostForm
	num := func(name string) int {
		n, _ := strconv.Atoi(f.Get(name))
		return n
	}
	b := h2hpay.BrowserData{
		UserAgent:    r.UserAgent(),
		AcceptHeader: r.Header.Get("Accept"),
		Language:     f.Get("browser_language"),
		ColorDepth:   num("browser_color_depth"),
		ScreenHeight: num("browser_screen_height"),
		ScreenWidth:  num("browser_screen_width"),
		WindowWidth:  num("browser_window_width"),
		WindowHeight: num("browser_window_height"),
	}
	if b.Language == "" {
		b.Language, _, _ = strings.Cut(r.Header.Get("Accept-Language"), ",")
	}
	if len(b.Language) > 8 {
		b.Language = b.Language[:8]
	}
	if tz, err := strconv.Atoi(f.Get("browser_time_different")); err == nil {
		b.TimeDifferent = &tz
	}
	if j := f.Get("browser_java_enabled"); j != "" {
		on := j == "1" || j == "true"
		b.JavaEnabled = &on
	}
	if b.UserAgent == "" {
		b.UserAgent = "unknown"
	}
	return b
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func restWords(s string) string {
	f := strings.Fields(s)
	if len(f) < 2 {
		return ""
	}
	return strings.Join(f[1:], " ")
}
