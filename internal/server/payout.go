package server

import (
	"math"
	"net/http"
	"strconv"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// createPayout is POST /v1/payout on the merchant API (payout certificate).
func (s *Server) createPayout(w http.ResponseWriter, r *http.Request) {
	o, k, ok := s.merchantRequest(w, r, payoutCall)
	if !ok {
		return
	}
	var req gateway.CreatePayoutRequest
	v := &req.Problems
	req.Amount = o.text(v, "amount")
	req.Number = o.text(v, "number")
	req.OrderID = o.idText(v, "order_id")
	req.Service = o.text(v, "service")
	req.NotificationEndpointID = o.text(v, "notification_endpoint_id")
	req.NotificationEndpointURL = o.text(v, "notification_endpoint_url")
	req.Customer = gateway.Customer{
		Phone:     o.text(v, "customer_phone"),
		Email:     o.text(v, "customer_email"),
		Code:      o.text(v, "customer_code"),
		FirstName: o.text(v, "customer_first_name"),
		LastName:  o.text(v, "customer_last_name"),
		Country:   o.text(v, "customer_country"),
	}
	req.Extra = o.stringMap(v, "extra")
	po, err := s.svc.CreatePayout(r.Context(), k, req)
	if err != nil {
		s.writeError(w, r, apiMerchant, err)
		return
	}
	note(r).payment = po.UUID
	writeJSON(w, http.StatusOK, h2hpay.PayoutCreated{PaymentStatus: h2hpay.Status(po.Status), ID: po.ID})
}

// payoutStatus is POST /v1/payout/status (payout certificate).
func (s *Server) payoutStatus(w http.ResponseWriter, r *http.Request) {
	o, k, ok := s.merchantRequest(w, r, payoutCall)
	if !ok {
		return
	}
	var l gateway.PayoutLookup
	l.ID = o.text(&l.Problems, "id")
	l.OrderID = o.idText(&l.Problems, "order_id")
	po, err := s.svc.Payout(r.Context(), k, l)
	if err != nil {
		s.writeError(w, r, apiMerchant, err)
		return
	}
	note(r).payment = po.UUID
	writeJSON(w, http.StatusOK, payoutBody(po))
}

// payoutBody is the status answer for a payout, in the docs' types.
func payoutBody(po *gateway.Payout) h2hpay.Payout {
	out := h2hpay.Payout{
		OrderID:       po.OrderID,
		ID:            po.ID,
		PaymentStatus: h2hpay.Status(po.Status),
		CardMask:      optional(po.NumberMask),
		Amount:        po.Amount,
		ServiceCode:   po.Service,
		RRN:           optional(po.Reference),
	}
	// What the payout costs the account — amount and commission — is held
	// while it waits and spent once paid; a failed payout cost nothing,
	// so its ledger fields are null, as a failed payment's are.
	if po.Status == gateway.StatusWait || po.Status == gateway.StatusPaid {
		charged, commission := po.Amount+po.Commission, po.Commission
		out.AccountPaymentAmount, out.CommissionAmount = &charged, &commission
		out.AccountOldBalance, out.AccountNewBalance = po.AccountOldBalance, po.AccountNewBalance
	}
	if po.Status == gateway.StatusPaid {
		paid := po.Amount
		out.PaymentAmount = &paid
	}
	return out
}

// balance is POST /v1/account/balance (payout certificate; body ignored).
func (s *Server) balance(w http.ResponseWriter, r *http.Request) {
	_, k, ok := s.merchantRequest(w, r, balanceCall)
	if !ok {
		return
	}
	b, err := s.svc.Balance(r.Context(), k)
	if err != nil {
		s.writeError(w, r, apiMerchant, err)
		return
	}
	scaled := func(a money.Amount) h2hpay.ScaledAmount { return h2hpay.ScaledAmount{Amount: a, Scale: 8} }
	writeJSON(w, http.StatusOK, h2hpay.AccountBalance{
		Currency:       b.Currency,
		Balance:        scaled(b.Available),
		Hold:           scaled(0),
		RollingReserve: scaled(0),
		PendingPayouts: scaled(b.Reserved),
	})
}

// paymentHistory is POST /v1/payment/history: a Laravel paginator with
// absolute links on the merchant API's public URL.
func (s *Server) paymentHistory(w http.ResponseWriter, r *http.Request) {
	o, k, ok := s.merchantRequest(w, r, paymentCall)
	if !ok {
		return
	}
	var req gateway.HistoryRequest
	v := &req.Problems
	req.DateFrom = o.text(v, "date_from")
	req.DateTo = o.text(v, "date_to")
	req.Page = o.text(v, "page")
	req.Paginate = o.text(v, "paginate")
	h, err := s.svc.PaymentHistory(r.Context(), k, req)
	if err != nil {
		s.writeError(w, r, apiMerchant, err)
		return
	}
	path := s.merchantBase + "/v1/payment/history"
	pageURL := func(n int) string { return path + "?page=" + strconv.Itoa(n) }
	last := max(1, int(math.Ceil(float64(h.Total)/float64(h.PerPage))))
	out := h2hpay.PaymentHistory{
		Data:  []h2hpay.HistoryPayment{},
		Links: h2hpay.HistoryLinks{First: pageURL(1), Last: pageURL(last)},
		Meta:  h2hpay.HistoryMeta{CurrentPage: h.Page, LastPage: last, Path: path, PerPage: h.PerPage, Total: h.Total},
	}
	if h.Page > 1 {
		prev := pageURL(h.Page - 1)
		out.Links.Prev = &prev
	}
	if h.Page < last {
		next := pageURL(h.Page + 1)
		out.Links.Next = &next
	}
	if len(h.Payments) > 0 {
		from := (h.Page-1)*h.PerPage + 1
		to := from + len(h.Payments) - 1
		out.Meta.From, out.Meta.To = &from, &to
	}
	for _, p := range h.Payments {
		item := h2hpay.HistoryPayment{
			CreatedAt: p.CreatedAt.UTC().Format(h2hpay.TimeLayout),
			ID:        p.ID,
			OrderID:   p.OrderID,
			Amount:    h2hpay.ScaledAmount{Amount: p.Amount, Scale: 9},
			Currency:  p.Currency,
			Status:    h2hpay.Status(p.Status),
		}
		if p.Status == gateway.StatusPaid {
			item.CommissionAmount = &h2hpay.ScaledAmount{Amount: p.Commission, Scale: 9}
		}
		out.Data = append(out.Data, item)
	}
	writeJSON(w, http.StatusOK, out)
}
