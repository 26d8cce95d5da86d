package server

import (
	"net/http"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/gateway"
)

// call says which certificate signs a merchant API call and how its body is read.
type call int

const (
	paymentCall call = iota // payment key, JSON object
	payoutCall              // payout key, JSON object
	balanceCall             // payout key, body not read as JSON
)

// merchantRequest reads a merchant API body, checks the Account and Sign
// headers against its raw bytes (the merchant API signs the body as sent),
// then parses it. On any failure it has answered and returns false.
//
// Payout calls (and the balance) are signed with the payout certificate;
// the balance's body is not parsed at all (the docs send [], community code
// an object): o is nil then.
func (s *Server) merchantRequest(w http.ResponseWriter, r *http.Request, c call) (object, *gateway.AccountKeys, bool) {
	body, err := s.readBody(w, r)
	if err != nil {
		s.writeError(w, r, apiMerchant, err)
		return nil, nil, false
	}
	k, hash, err := s.svc.Authenticate(r.Context(), gateway.Credentials{
		Account: r.Header.Get("Account"),
		Sign:    r.Header.Get("Sign"),
		Signed:  body,
		Payout:  c != paymentCall,
	})
	if err != nil {
		s.writeError(w, r, apiMerchant, err)
		return nil, nil, false
	}
	n := note(r)
	n.account, n.hash = k.Account.UUID, hash
	if c == balanceCall {
		return nil, k, true
	}
	o, err := parseObject(body)
	if err != nil {
		s.writeError(w, r, apiMerchant, err)
		return nil, nil, false
	}
	return o, k, true
}

// createPayment is POST /v1/payment on the merchant API.
func (s *Server) createPayment(w http.ResponseWriter, r *http.Request) {
	o, k, ok := s.merchantRequest(w, r, paymentCall)
	if !ok {
		return
	}
	var req gateway.CreatePaymentRequest
	v := &req.Problems
	req.Amount = o.text(v, "amount")
	req.OrderID = o.idText(v, "order_id")
	req.Service = o.text(v, "service")
	req.Desc = o.text(v, "desc")
	req.Lifetime = o.text(v, "lifetime")
	req.Customer = gateway.Customer{
		IP:        o.text(v, "customer_ip"),
		Account:   o.text(v, "customer_account"),
		Email:     o.text(v, "customer_email"),
		FirstName: o.text(v, "customer_first_name"),
		LastName:  o.text(v, "customer_last_name"),
		Address:   o.text(v, "customer_address"),
		State:     o.text(v, "customer_state"),
		City:      o.text(v, "customer_city"),
		Phone:     o.text(v, "customer_phone"),
		PostCode:  o.text(v, "customer_post_code"),
		UserID:    o.text(v, "customer_user_id"),
		Code:      o.text(v, "customer_code"),
	}
	req.Browser = o.browser("customer_browser_")
	// The user agent is required at create: a wrong type is its own problem.
	req.Browser.UserAgent = o.text(v, "customer_browser_user_agent")
	req.SuccessRedirectID = o.text(v, "success_redirect_id")
	req.FailRedirectID = o.text(v, "fail_redirect_id")
	req.NotificationEndpointID = o.text(v, "notification_endpoint_id")
	req.SuccessRedirectURL = o.text(v, "success_redirect_url")
	req.FailRedirectURL = o.text(v, "fail_redirect_url")
	req.NotificationEndpointURL = o.text(v, "notification_endpoint_url")

	p, err := s.svc.CreatePayment(r.Context(), k, req)
	if err != nil {
		s.writeError(w, r, apiMerchant, err)
		return
	}
	note(r).payment = p.UUID
	writeJSON(w, http.StatusOK, h2hpay.PaymentCreated{
		Success:            true,
		URL:                s.paymentURL(p),
		PaymentStatus:      h2hpay.Status(p.Status),
		ID:                 p.ID,
		UUID:               p.UUID,
		SuccessRedirectURL: optional(p.SuccessRedirectURL),
	})
}

// browser reads the browser fields with a prefix: customer_browser_ at
// create, browser_ on H2H.
func (o object) browser(prefix string) gateway.BrowserInput {
	// Browser data never fails a payment: type problems are dropped values.
	var ignore gateway.Validation
	return gateway.BrowserInput{
		UserAgent:     o.text(&ignore, prefix+"user_agent"),
		AcceptHeader:  o.text(&ignore, prefix+"accept_header"),
		Language:      o.text(&ignore, prefix+"language"),
		ColorDepth:    o.text(&ignore, prefix+"color_depth"),
		ScreenHeight:  o.text(&ignore, prefix+"screen_height"),
		ScreenWidth:   o.text(&ignore, prefix+"screen_width"),
		WindowWidth:   o.text(&ignore, prefix+"window_width"),
		WindowHeight:  o.text(&ignore, prefix+"window_height"),
		TimeDifferent: o.text(&ignore, prefix+"time_different"),
		JavaEnabled:   o.text(&ignore, prefix+"java_enabled"),
	}
}

// paymentStatus is POST /v1/payment/status on the merchant API.
func (s *Server) paymentStatus(w http.ResponseWriter, r *http.Request) {
	o, k, ok := s.merchantRequest(w, r, paymentCall)
	if !ok {
		return
	}
	var l gateway.PaymentLookup
	l.ID = o.text(&l.Problems, "id")
	l.UUID = o.text(&l.Problems, "uuid")
	l.OrderID = o.idText(&l.Problems, "order_id")
	p, err := s.svc.Payment(r.Context(), k, l)
	if err != nil {
		s.writeError(w, r, apiMerchant, err)
		return
	}
	note(r).payment = p.UUID
	writeJSON(w, http.StatusOK, s.paymentBody(p))
}

// paymentBody is the status answer for a payment.
func (s *Server) paymentBody(p *gateway.Payment) h2hpay.Payment {
	out := h2hpay.Payment{
		URL:           s.paymentURL(p),
		PaymentStatus: h2hpay.Status(p.Status),
		ID:            p.ID,
		UUID:          p.UUID,
		OrderID:       p.OrderID,
		CardMask:      optional(p.Card.Mask()),
		Amount:        p.Amount,
		ServiceCode:   p.Service,
	}
	if p.Status == gateway.StatusPaid {
		paid, commission, credited := p.Amount, p.Commission, p.Amount-p.Commission
		out.PaymentAmount = &paid
		out.CommissionAmount = &commission
		out.AccountPaymentAmount = &credited
		out.AccountOldBalance, out.AccountNewBalance = p.AccountOldBalance, p.AccountNewBalance
	}
	return out
}

func (s *Server) paymentURL(p *gateway.Payment) string { return s.payBase + "/" + p.UUID }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
