package server

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// The dashboard's pages. They read the store directly (svc.Store()): the
// operator sees every account, which no merchant call does.

const adminPageSize = 50

var paymentStatuses = []string{string(gateway.StatusWait), string(gateway.StatusPaid), string(gateway.StatusFail), string(gateway.StatusCancel)}

// paymentFilterForm is the filter form as typed, with a problem per field.
type paymentFilterForm struct {
	Status, Account, OrderID, From, To string
	Errors                             map[string]string
}

// readPaymentFilter reads the list's query. A value that cannot be used is
// reported next to its field and does not filter.
func readPaymentFilter(q url.Values) (paymentFilterForm, gateway.PaymentFilter, int) {
	form := paymentFilterForm{Status: q.Get("status"), Account: strings.TrimSpace(q.Get("account")),
		OrderID: q.Get("order_id"), From: q.Get("from"), To: q.Get("to"), Errors: map[string]string{}}
	var f gateway.PaymentFilter
	switch {
	case form.Status == "":
	case strings.Contains(" wait paid fail cancel ", " "+form.Status+" "):
		f.Status = gateway.Status(form.Status)
	default:
		form.Errors["status"] = "Choose a status from the list."
	}
	if form.Account != "" {
		if looksLikeUUID(form.Account) {
			f.AccountUUID = strings.ToLower(form.Account)
		} else {
			form.Errors["account"] = "Choose an account from the list."
		}
	}
	f.OrderID = form.OrderID
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			form.Errors[field] = "Write the date as YYYY-MM-DD."
		}
		return t
	}
	f.From = day("from", form.From)
	if to := day("to", form.To); !to.IsZero() {
		f.To = to.Add(24 * time.Hour) // the whole last day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		form.Errors["to"] = "The end date is before the start date."
		f.To = time.Time{}
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 || page > 1_000_000 {
		page = 1
	}
	f.Limit, f.Offset = adminPageSize, (page-1)*adminPageSize
	return form, f, page
}

type paymentRow struct {
	ID                                           int64
	UUID, OrderID, Account, Amount, Status, Card string
	Created                                      time.Time
}

type paymentsView struct {
	Filter           paymentFilterForm
	Accounts         []gateway.Account
	Statuses         []string
	Rows             []paymentRow
	Total            int
	First, Last      int
	PrevURL, NextURL string
	Chart            hourChart
}

// adminPayments is GET /payments: the filtered, paged list and the chart of
// the last 24 hours.
func (s *Server) adminPayments(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	store := s.svc.Store()
	form, f, page := readPaymentFilter(r.URL.Query())
	accounts, err := store.Accounts(ctx)
	if err != nil {
		s.writeError(w, r, adminPages, gateway.Internal(err))
		return
	}
	names := map[string]string{}
	for _, a := range accounts {
		names[a.UUID] = a.Name
	}
	ps, total, err := store.ListPayments(ctx, f)
	if err != nil {
		s.writeError(w, r, adminPages, gateway.Internal(err))
		return
	}
	v := paymentsView{Filter: form, Accounts: accounts, Statuses: paymentStatuses, Total: total}
	for _, p := range ps {
		v.Rows = append(v.Rows, paymentRow{ID: p.ID, UUID: p.UUID, OrderID: p.OrderID, Account: names[p.AccountUUID],
			Amount: moneyText(p.Amount.String(), p.Currency), Status: string(p.Status), Card: p.Card.Mask(), Created: p.CreatedAt})
	}
	if len(v.Rows) > 0 {
		v.First, v.Last = f.Offset+1, f.Offset+len(v.Rows)
	}
	pageURL := func(n int) string {
		q := url.Values{}
		for k, val := range map[string]string{"status": form.Status, "account": form.Account, "order_id": form.OrderID, "from": form.From, "to": form.To} {
			if val != "" {
				q.Set(k, val)
			}
		}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return "/payments"
		}
		return "/payments?" + q.Encode()
	}
	if page > 1 {
		v.PrevURL = pageURL(page - 1)
	}
	if f.Offset+len(v.Rows) < total {
		v.NextURL = pageURL(page + 1)
	}
	end := s.svc.Now().Truncate(time.Hour).Add(time.Hour)
	counts, err := store.PaymentsPerHour(ctx, f.AccountUUID, end.Add(-24*time.Hour), end)
	if err != nil {
		s.writeError(w, r, adminPages, gateway.Internal(err))
		return
	}
	v.Chart = newHourChart(counts, end.Add(-24*time.Hour), 24)
	s.adminRender(w, r, http.StatusOK, "payments.html", adminPageData{Title: "Payments", Section: "payments", Data: v})
}

// timelineEvent is one line of a payment's story.
type timelineEvent struct {
	At            time.Time
	Tone          string // ok, fail, info, pending
	Title, Detail string
}

type notificationView struct {
	N        gateway.Notification
	Attempts []gateway.NotificationAttempt
	Reports  string // the status the notification reports
	Target   string // where it goes, without the query (which holds the sign)
}

type field struct{ ID, Label, Value string }

type paymentView struct {
	P             *gateway.Payment
	AccountName   string
	Amount        string
	Commission    string
	Timeline      []timelineEvent
	Notifications []notificationView
	Browser       []field
	BrowserFrom   string
	Customer      []field
	Resent        string
}

// adminPayment is GET /payments/{uuid}: everything about one payment and
// its story, notification attempts included.
func (s *Server) adminPayment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	store := s.svc.Store()
	uuid := strings.ToLower(r.PathValue("uuid"))
	if !looksLikeUUID(uuid) {
		s.writeError(w, r, adminPages, gateway.Errorf(gateway.CodeNotFound, "There is no such payment."))
		return
	}
	p, err := store.Payment(ctx, gateway.PaymentQuery{UUID: uuid})
	if errors.Is(err, gateway.ErrNotFound) {
		s.writeError(w, r, adminPages, gateway.Errorf(gateway.CodeNotFound, "There is no such payment."))
		return
	}
	if err != nil {
		s.writeError(w, r, adminPages, gateway.Internal(err))
		return
	}
	v := paymentView{P: p, Amount: moneyText(p.Amount.String(), p.Currency), Commission: moneyText(p.Commission.String(), p.Currency),
		Resent: resentID(r)}
	if a, err := store.Account(ctx, p.AccountUUID); err == nil {
		v.AccountName = a.Name
	}
	if v.Notifications, err = s.notificationViews(ctx, gateway.NotificationQuery{PaymentUUID: p.UUID, Limit: 100}); err != nil {
		s.writeError(w, r, adminPages, gateway.Internal(err))
		return
	}
	v.Timeline = paymentTimeline(p, v.Notifications, s.svc.Now())
	b := p.PayerBrowser
	v.BrowserFrom = "sent with the card (H2H browser_*, the create call's customer_browser_* filling gaps)"
	if p.CardAt.IsZero() {
		b, v.BrowserFrom = p.Browser, "sent at create (customer_browser_*); no card yet"
	}
	v.Browser = browserFields3DS(b)
	c := p.Customer
	for _, f := range []field{{"customer-ip", "IP", c.IP}, {"customer-email", "Email", c.Email}, {"customer-first-name", "First name", c.FirstName},
		{"customer-last-name", "Last name", c.LastName}, {"customer-phone", "Phone", c.Phone}, {"customer-account", "Account", c.Account},
		{"customer-address", "Address", strings.Join(nonEmpty(c.Address, c.City, c.State, c.PostCode, c.Country), ", ")},
		{"customer-user-id", "User id", c.UserID}, {"customer-code", "Code", c.Code}} {
		if f.Value != "" {
			v.Customer = append(v.Customer, f)
		}
	}
	s.adminRender(w, r, http.StatusOK, "payment.html", adminPageData{Title: "Payment " + strconv.FormatInt(p.ID, 10), Section: "payments", Data: v})
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// browserFields3DS lists the 3-D Secure browser data as stored. Values are
// written as they are (no units), so they read back exactly.
func browserFields3DS(b gateway.Browser) []field {
	num := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	java := ""
	if b.JavaEnabled != nil {
		java = strconv.FormatBool(*b.JavaEnabled)
	}
	return []field{
		{"browser-color-depth", "Colour depth", num(b.ColorDepth)},
		{"browser-screen-width", "Screen width", num(b.ScreenWidth)},
		{"browser-screen-height", "Screen height", num(b.ScreenHeight)},
		{"browser-window-width", "Window width", num(b.WindowWidth)},
		{"browser-window-height", "Window height", num(b.WindowHeight)},
		{"browser-time-different", "Time-zone offset, minutes", num(b.TimeDifferent)},
		{"browser-language", "Language", b.Language},
		{"browser-java-enabled", "Java enabled", java},
		{"browser-ip", "IP", b.IP},
		{"browser-user-agent", "User agent", b.UserAgent},
		{"browser-accept-header", "Accept header", b.AcceptHeader},
	}
}

// notificationViews lists the notifications q selects with their attempts.
func (s *Server) notificationViews(ctx context.Context, q gateway.NotificationQuery) ([]notificationView, error) {
	ns, err := s.svc.Store().Notifications(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []notificationView
	for _, n := range ns {
		attempts, err := s.svc.Store().NotificationAttempts(ctx, n.ID)
		if err != nil {
			return nil, err
		}
		v := notificationView{N: n, Attempts: attempts}
		if u, err := url.Parse(n.URL); err == nil {
			v.Reports = u.Query().Get("payment_status")
			u.RawQuery, u.Fragment, u.User = "", "", nil
			v.Target = u.String()
		}
		out = append(out, v)
	}
	return out, nil
}

// paymentTimeline tells a payment's story from its timestamps and its
// notifications' attempts, oldest first.
func paymentTimeline(p *gateway.Payment, ns []notificationView, now time.Time) []timelineEvent {
	amount := moneyText(p.Amount.String(), p.Currency)
	ev := []timelineEvent{{At: p.CreatedAt, Tone: "info", Title: "Created",
		Detail: fmt.Sprintf("%s by the merchant API, service %s, lifetime %s", amount, p.Service, p.Lifetime.Round(time.Second))}}
	if !p.CardAt.IsZero() {
		ev = append(ev, timelineEvent{At: p.CardAt, Tone: "info", Title: "Card submitted",
			Detail: fmt.Sprintf("%s %s, expiry %02d/%d; payer sent to 3-D Secure", brandName(p.Card.Brand), p.Card.Mask(), p.Card.ExpMonth, p.Card.ExpYear)})
	}
	if !p.ChallengeAt.IsZero() {
		switch p.ThreeDS {
		case gateway.ThreeDSPassed:
			ev = append(ev, timelineEvent{At: p.ChallengeAt, Tone: "ok", Title: "3-D Secure passed", Detail: "The payer confirmed with the one-time code."})
		case gateway.ThreeDSFailed:
			ev = append(ev, timelineEvent{At: p.ChallengeAt, Tone: "fail", Title: "3-D Secure failed", Detail: "The payer failed authentication (Fail authentication on the challenge page)."})
		case gateway.ThreeDSCancelled:
			ev = append(ev, timelineEvent{At: p.ChallengeAt, Tone: "fail", Title: "3-D Secure cancelled", Detail: "The payer cancelled on the challenge page."})
		}
	}
	switch p.Status {
	case gateway.StatusPaid:
		d := "Approved by the acquirer"
		if p.AuthReference != "" {
			d += ", reference " + p.AuthReference
		}
		if p.Commission != 0 {
			d += "; commission " + moneyText(p.Commission.String(), p.Currency)
		}
		ev = append(ev, timelineEvent{At: p.FinalAt, Tone: "ok", Title: "Authorized: paid", Detail: d + "."})
	case gateway.StatusFail:
		ev = append(ev, timelineEvent{At: p.FinalAt, Tone: "fail", Title: "Declined: fail", Detail: p.DeclineReason})
	case gateway.StatusCancel:
		ev = append(ev, timelineEvent{At: p.FinalAt, Tone: "fail", Title: "Cancelled", Detail: p.CancelReason})
	default:
		if p.AuthState == gateway.AuthClaimed {
			ev = append(ev, timelineEvent{At: now, Tone: "pending", Title: "Authorizing", Detail: "A confirm holds the authorization until " + formatWhen(p.AuthLeaseUntil) + "."})
		}
		ev = append(ev, timelineEvent{At: p.ExpiresAt, Tone: "pending", Title: "Expires", Detail: "Cancelled at this time unless it is paid or fails before."})
	}
	for _, n := range ns {
		name := fmt.Sprintf("Notification #%d", n.N.ID)
		ev = append(ev, timelineEvent{At: n.N.CreatedAt, Tone: "info", Title: name + " queued", Detail: "reports " + n.Reports + " to " + n.Target})
		for i, a := range n.Attempts {
			e := timelineEvent{At: a.At, Tone: "fail", Title: fmt.Sprintf("%s, attempt %d", name, i+1)}
			switch {
			case a.StatusCode >= 200 && a.StatusCode < 300:
				e.Tone, e.Detail = "ok", fmt.Sprintf("answered %d in %d ms: delivered", a.StatusCode, a.Duration.Milliseconds())
			case a.StatusCode != 0:
				e.Detail = fmt.Sprintf("answered %d in %d ms", a.StatusCode, a.Duration.Milliseconds())
				if a.Error != "" {
					e.Detail += ": " + a.Error
				}
			default:
				e.Detail = "no answer: " + a.Error
			}
			ev = append(ev, e)
		}
		switch n.N.Status {
		case gateway.NotificationPending:
			ev = append(ev, timelineEvent{At: n.N.NextAttemptAt, Tone: "pending", Title: name + ", next attempt", Detail: "due then"})
		case gateway.NotificationFailed:
			ev = append(ev, timelineEvent{At: n.N.LastAttemptAt, Tone: "fail", Title: name + " given up", Detail: "no 2xx answer within the retry window; resend it from here"})
		}
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	return ev
}

type notificationsView struct {
	Status   string
	Statuses []string
	Rows     []notificationView
	Resent   string
}

// adminNotifications is GET /notifications: the outbox, newest first.
func (s *Server) adminNotifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := notificationsView{Status: r.URL.Query().Get("status"), Resent: resentID(r),
		Statuses: []string{string(gateway.NotificationPending), string(gateway.NotificationDelivered), string(gateway.NotificationFailed)}}
	q := gateway.NotificationQuery{Limit: 200}
	if strings.Contains(" pending delivered failed ", " "+v.Status+" ") && v.Status != "" {
		q.Status = gateway.NotificationStatus(v.Status)
	} else {
		v.Status = ""
	}
	var err error
	if v.Rows, err = s.notificationViews(ctx, q); err != nil {
		s.writeError(w, r, adminPages, gateway.Internal(err))
		return
	}
	s.adminRender(w, r, http.StatusOK, "notifications.html", adminPageData{Title: "Notifications", Section: "notifications", Data: v})
}

// adminResend is POST /notifications/{id}/resend: the notification is due
// again now, with a fresh retry window, and the delivery worker is woken.
func (s *Server) adminResend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	store := s.svc.Store()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.writeError(w, r, adminPages, gateway.Errorf(gateway.CodeNotFound, "There is no such notification."))
		return
	}
	n, err := store.Notification(ctx, id)
	if err == nil {
		err = store.RequeueNotification(ctx, id, s.svc.Now())
	}
	if errors.Is(err, gateway.ErrNotFound) {
		s.writeError(w, r, adminPages, gateway.Errorf(gateway.CodeNotFound, "There is no such notification."))
		return
	}
	if err != nil {
		s.writeError(w, r, adminPages, gateway.Internal(err))
		return
	}
	s.wake()
	note(r).payment = n.PaymentUUID
	s.log.Info("dashboard: notification queued again", "notification", id, "payment", n.PaymentUUID)
	back := "/notifications?resent=" + strconv.FormatInt(id, 10)
	if n.Type == "payment" && looksLikeUUID(n.PaymentUUID) {
		back = "/payments/" + n.PaymentUUID + "?resent=" + strconv.FormatInt(id, 10)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// resentID is the ?resent= of the page a resend returns to: a notification
// id, or "" for anything else (the flash never repeats other text).
func resentID(r *http.Request) string {
	id, err := strconv.ParseInt(r.URL.Query().Get("resent"), 10, 64)
	if err != nil || id <= 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

type serviceView struct{ Code, Currency, Commission, Min, Max string }

type keyView struct{ Name, Use, Algorithm, Fingerprint string }

type accountView struct {
	A         gateway.Account
	Available string
	Reserved  string
	Services  []serviceView
	Endpoints []gateway.Endpoint
	Keys      []keyView
}

// adminAccounts is GET /accounts: every account with its services,
// endpoints, balance and the fingerprints of its public keys. No private
// key is ever shown; the notification key is shown by its public half.
func (s *Server) adminAccounts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	store := s.svc.Store()
	accounts, err := store.Accounts(ctx)
	if err != nil {
		s.writeError(w, r, adminPages, gateway.Internal(err))
		return
	}
	var out []accountView
	for _, a := range accounts {
		v := accountView{A: a}
		if b, err := store.Balance(ctx, a.UUID); err == nil {
			v.Available, v.Reserved = moneyText(b.Available.String(), b.Currency), moneyText(b.Reserved.String(), b.Currency)
		}
		services, err := store.AccountServices(ctx, a.UUID)
		if err != nil {
			s.writeError(w, r, adminPages, gateway.Internal(err))
			return
		}
		for _, sv := range services {
			limit := func(m interface{ String() string }, zero bool) string {
				if zero {
					return "none"
				}
				return moneyText(m.String(), sv.Currency)
			}
			v.Services = append(v.Services, serviceView{Code: sv.Code, Currency: sv.Currency,
				Commission: commissionText(sv.CommissionBP, sv.CommissionFixed.String(), sv.CommissionFixed == 0, sv.Currency),
				Min:        limit(sv.MinAmount, sv.MinAmount == 0), Max: limit(sv.MaxAmount, sv.MaxAmount == 0)})
		}
		if v.Endpoints, err = store.Endpoints(ctx, a.UUID); err != nil {
			s.writeError(w, r, adminPages, gateway.Internal(err))
			return
		}
		if k, err := s.svc.Keys(ctx, a.UUID); err == nil {
			v.Keys = append(v.Keys, keyView{"Payment certificate", "the merchant signs payment calls; the gateway verifies", keyAlgorithm(k.PaymentKey), fingerprint(k.PaymentKey)})
			if k.PayoutKey != nil {
				v.Keys = append(v.Keys, keyView{"Payout certificate", "the merchant signs payouts and balance calls", keyAlgorithm(k.PayoutKey), fingerprint(k.PayoutKey)})
			}
			v.Keys = append(v.Keys, keyView{"Notification key", "the gateway signs notifications and redirects; the merchant verifies with notification-public.pem",
				keyAlgorithm(&k.NotificationKey.PublicKey), fingerprint(k.NotificationKey.Public())})
		}
		out = append(out, v)
	}
	s.adminRender(w, r, http.StatusOK, "accounts.html", adminPageData{Title: "Accounts", Section: "accounts", Data: out})
}

func commissionText(bp int64, fixed string, noFixed bool, currency string) string {
	var parts []string
	if bp != 0 {
		pct := strconv.FormatFloat(float64(bp)/100, 'f', -1, 64) // basis points: exact enough to print
		parts = append(parts, pct+" %")
	}
	if !noFixed {
		parts = append(parts, moneyText(fixed, currency))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}

// fingerprint is the SHA-256 of a public key's SubjectPublicKeyInfo, in
// base64: `openssl pkey -pubin -in public.pem -outform der | openssl dgst
// -sha256 -binary | base64` prints the same.
func fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "?"
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.StdEncoding.EncodeToString(sum[:])
}

func keyAlgorithm(pub *rsa.PublicKey) string {
	if pub == nil {
		return ""
	}
	return fmt.Sprintf("RSA %d", pub.N.BitLen())
}
