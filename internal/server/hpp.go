package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// The hosted payment page: the url of a created payment. It runs on the
// same service calls as H2H — its card form is SubmitCard, its 3-D Secure is
// the same challenge page, its return page is Confirm — and ends with the
// signed redirect to the merchant (api-notes §7).

// hostedPolicy: the hosted page takes the card, so no other site may frame
// it (clickjacking); its forms post to the payer listener itself.
var hostedPolicy = policy{frame: neverFramed}

// browserFields are the hidden fields the page's script fills in.
var browserFields = []string{"browser_color_depth", "browser_screen_width", "browser_screen_height",
	"browser_window_width", "browser_window_height", "browser_time_different", "browser_language", "browser_java_enabled"}

type hostedForm struct {
	Action, CancelAction                 string
	MerchantName, Amount, Currency, Desc string
	OrderID, ExpiresAt, TimeLeft         string
	ExpiresUnix                          int64
	Number, Month, Year, Name            string
	Errors                               map[string]string
	General                              string
	BrowserFields                        []string
}

func (s *Server) hostedForm(p *gateway.Payment, merchant string) hostedForm {
	left := max(0, time.Until(p.ExpiresAt).Round(time.Second))
	return hostedForm{
		Action: "/" + p.UUID, CancelAction: "/cancel/" + p.UUID,
		MerchantName: merchant, Amount: p.Amount.String(), Currency: p.Currency, Desc: p.Desc, OrderID: p.OrderID,
		ExpiresAt: p.ExpiresAt.UTC().Format("15:04 UTC"), ExpiresUnix: p.ExpiresAt.Unix(),
		TimeLeft: fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60),
		Errors:   map[string]string{}, BrowserFields: browserFields,
	}
}

// paymentPage is GET /{uuid}: the card form while the payment waits for a
// card, the challenge while it waits for 3-D Secure, and once final the
// signed way back to the merchant (or the result, when there is none).
func (s *Server) paymentPage(w http.ResponseWriter, r *http.Request) {
	p, merchant, err := s.svc.PaymentForPayer(r.Context(), r.PathValue("uuid"))
	if err != nil {
		s.writeError(w, r, payerPages, err)
		return
	}
	note(r).payment = p.UUID
	switch phase := gateway.PhaseOf(p); {
	case p.Status.Final():
		redirect, err := s.svc.RedirectFor(r.Context(), p)
		if err != nil {
			s.writeError(w, r, payerPages, err)
			return
		}
		if redirect != nil {
			s.pages.autoPost(w, autoPost{Heading: resultHeading(p), Message: "Returning you to " + merchant + "…",
				Button: "Return to " + merchant, Action: redirect.URL, Summary: summaryOf(p, merchant), Frame: neverFramed,
				Fields: []formField{{"order_id", redirect.OrderID}, {"uuid", redirect.UUID}, {"sign", redirect.Sign}}})
			return
		}
		s.resultPage(w, p, merchant)
	case phase == gateway.PhaseChallenging:
		http.Redirect(w, r, "/3ds/"+p.ChallengeID, http.StatusSeeOther)
	case phase == gateway.PhaseAuthenticated && p.ReturnURL == s.hostedReturnURL(p.UUID)+"?uuid="+p.UUID:
		// A hosted-page payer who answered 3-D Secure but never reached the
		// return page (no JavaScript, the back button): offer it again.
		res, err := s.svc.AnswerChallenge(r.Context(), p.ChallengeID, true)
		if err != nil {
			s.writeError(w, r, payerPages, err)
			return
		}
		s.pages.autoPost(w, autoPost{Heading: "Completing your payment", Message: "Completing your payment…", Button: "Continue",
			Action: p.ReturnURL, Summary: summaryOf(p, merchant), Frame: neverFramed, Fields: []formField{{"PaRes", res.PaRes}, {"MD", res.MD}}})
	case phase == gateway.PhaseCreated && gateway.TakesCardData(p.Service):
		s.pages.render(w, http.StatusOK, "hpp.html", pageData{Title: "Payment", Nonce: newNonce(), Summary: summaryOf(p, merchant),
			Data: s.hostedForm(p, merchant)}, hostedPolicy)
	default:
		s.resultPage(w, p, merchant)
	}
}

func resultHeading(p *gateway.Payment) string {
	switch p.Status {
	case gateway.StatusPaid:
		return "Payment successful"
	case gateway.StatusFail:
		return "Payment failed"
	case gateway.StatusCancel:
		return "Payment cancelled"
	}
	return "Payment in progress"
}

func (s *Server) resultPage(w http.ResponseWriter, p *gateway.Payment, merchant string) {
	reason := p.DeclineReason
	if p.Status == gateway.StatusCancel {
		reason = p.CancelReason
	}
	s.pages.render(w, http.StatusOK, "payment.html", pageData{Title: resultHeading(p), Summary: summaryOf(p, merchant), Data: struct {
		Heading, MerchantName, Amount, Currency, Desc, OrderID, Status, CardMask, Reason string
		Refresh                                                                          bool
	}{resultHeading(p), merchant, p.Amount.String(), p.Currency, p.Desc, p.OrderID, string(p.Status), p.Card.Mask(), reason,
		!p.Status.Final()}}, hostedPolicy)
}

// hostedCard is POST /{uuid}: the card form. It is SubmitCard with the
// gateway's own return page as return_url; the payer goes on to 3-D Secure.
func (s *Server) hostedCard(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, r, payerPages, gateway.Errorf(gateway.CodeValidation, "The form could not be read."))
		return
	}
	f := r.PostForm
	first, last, _ := strings.Cut(strings.TrimSpace(f.Get("card_name")), " ")
	req := gateway.SubmitCardRequest{
		PaymentUUID: uuid, ReturnURL: s.hostedReturnURL(uuid),
		CardNumber: f.Get("card_number"), CardMonth: f.Get("card_month"), CardYear: f.Get("card_year"), CardCVC: f.Get("card_cvc"),
		CardFirstName: first, CardLastName: strings.TrimSpace(last),
		Browser: gateway.BrowserInput{
			UserAgent: r.UserAgent(), AcceptHeader: r.Header.Get("Accept"), Language: f.Get("browser_language"),
			ColorDepth: f.Get("browser_color_depth"), ScreenHeight: f.Get("browser_screen_height"), ScreenWidth: f.Get("browser_screen_width"),
			WindowWidth: f.Get("browser_window_width"), WindowHeight: f.Get("browser_window_height"),
			TimeDifferent: f.Get("browser_time_different"), JavaEnabled: f.Get("browser_java_enabled"), IP: clientIP(r),
		},
	}
	if req.Browser.Language == "" {
		req.Browser.Language, _, _ = strings.Cut(r.Header.Get("Accept-Language"), ",")
	}
	p, err := s.svc.HostedCard(r.Context(), req)
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.Code == gateway.CodeValidation {
		// Show the form again with each problem next to its field; the
		// CVC is never sent back.
		q, merchant, err2 := s.svc.PaymentForPayer(r.Context(), uuid)
		if err2 != nil {
			s.writeError(w, r, payerPages, err2)
			return
		}
		form := s.hostedForm(q, merchant)
		// The card number and CVC are not sent back (api-notes §4: no
		// answer echoes card fields); the payer types them again.
		form.Month, form.Year, form.Name = f.Get("card_month"), f.Get("card_year"), f.Get("card_name")
		for field, msgs := range ge.Fields {
			if _, shown := map[string]bool{"card_number": true, "card_month": true, "card_year": true, "card_cvc": true}[field]; shown {
				form.Errors[field] = msgs[0]
			} else {
				form.General = msgs[0]
			}
		}
		s.pages.render(w, http.StatusUnprocessableEntity, "hpp.html", pageData{Title: "Payment", Nonce: newNonce(), Summary: summaryOf(q, merchant),
			Data: form}, hostedPolicy)
		return
	}
	if err != nil {
		s.hostedError(w, r, uuid, err)
		return
	}
	note(r).payment = p.UUID
	http.Redirect(w, r, "/3ds/"+p.ChallengeID, http.StatusSeeOther)
}

// hostedError answers a hosted-page action that came too late (the payment
// expired, was cancelled or is final) by sending the payer back to the
// payment's page, which shows the outcome and leads to the merchant's
// success or fail URL: a payer never ends on a dead end. Other errors get
// the error page.
func (s *Server) hostedError(w http.ResponseWriter, r *http.Request, uuid string, err error) {
	if gateway.ErrorCode(err) == gateway.CodeInvalidState {
		note(r).payment = uuid
		http.Redirect(w, r, "/"+uuid, http.StatusSeeOther)
		return
	}
	s.writeError(w, r, payerPages, err)
}

// hostedReturnURL is the hosted page's return_url.
func (s *Server) hostedReturnURL(uuid string) string { return s.payBase + "/return/" + uuid }

// hostedReturn is POST /return/{uuid}: the hosted page's return_url. It
// confirms with the fields 3-D Secure posted — the same Confirm a merchant's
// return page calls — and shows the outcome.
func (s *Server) hostedReturn(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, r, payerPages, gateway.Errorf(gateway.CodeValidation, "The form could not be read."))
		return
	}
	if _, err := s.svc.HostedConfirm(r.Context(), uuid, r.PostForm); err != nil {
		s.hostedError(w, r, uuid, err)
		return
	}
	note(r).payment = uuid
	http.Redirect(w, r, "/"+uuid, http.StatusSeeOther)
}

// hostedCancel is POST /cancel/{uuid}: the payer gives up on the page.
func (s *Server) hostedCancel(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	if _, err := s.svc.CancelByPayer(r.Context(), uuid); err != nil {
		s.hostedError(w, r, uuid, err)
		return
	}
	note(r).payment = uuid
	http.Redirect(w, r, "/"+uuid, http.StatusSeeOther)
}

// toPaymentPage sends a browser that GETs an action URL back to the page.
func toPaymentPage(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/"+r.PathValue("uuid"), http.StatusSeeOther)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}
