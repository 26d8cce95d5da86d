package h2hpay

import (
	"encoding/json"
	"strings"

	"github.com/h2hpay/h2hpay/internal/money"
)

// This file holds the documented request and answer bodies. The gateway
// encodes its answers with these same types, so the field names a merchant's
// SDK reads and the ones the gateway writes cannot drift apart.

// Status is a payment's (or payout's) status.
type Status string

// The documented statuses (api-notes §5). Only wait is not final.
const (
	StatusWait   Status = "wait"
	StatusPaid   Status = "paid"
	StatusFail   Status = "fail"
	StatusCancel Status = "cancel"
)

// Final reports whether the status can no longer change.
func (s Status) Final() bool { return s == StatusPaid || s == StatusFail || s == StatusCancel }

// PaymentCreated is the answer of the merchant API's POST /v1/payment.
type PaymentCreated struct {
	Success            bool    `json:"success"`
	URL                string  `json:"url"`
	PaymentStatus      Status  `json:"payment_status"`
	ID                 int64   `json:"id"`
	UUID               string  `json:"uuid"`
	SuccessRedirectURL *string `json:"success_redirect_url"`
}

// Payment is the answer of POST /v1/payment/status (api-notes §3.2): amounts
// are 2-decimal strings, values the gateway does not know are null.
type Payment struct {
	URL                  string  `json:"url"`
	PaymentStatus        Status  `json:"payment_status"`
	ID                   int64   `json:"id"`
	UUID                 string  `json:"uuid"`
	OrderID              string  `json:"order_id"`
	CardMask             *string `json:"card_mask"`
	Amount               Amount  `json:"amount"`
	PaymentAmount        *Amount `json:"payment_amount"`
	HoldAmount           *Amount `json:"hold_amount"`
	HoldAt               *string `json:"hold_at"`
	AccountPaymentAmount *Amount `json:"account_payment_amount"`
	CommissionAmount     *Amount `json:"commission_amount"`
	ServiceCode          string  `json:"service_code"`
	AccountOldBalance    *Amount `json:"account_old_balance"`
	AccountNewBalance    *Amount `json:"account_new_balance"`
}

// Redirect tells the merchant where to send the payer: to URL, by GET with
// Params in the query or by POST with Params as a form.
type Redirect struct {
	URL    string         `json:"url"`
	Method string         `json:"method"`
	Params RedirectParams `json:"params"`
}

// RedirectParams are the parameters of a Redirect. Empty, they are written
// as [] (PHP's empty array, as the docs show), never null; otherwise as an
// object. Both shapes are read.
type RedirectParams map[string]string

// MarshalJSON writes [] for no parameters, else an object.
func (p RedirectParams) MarshalJSON() ([]byte, error) {
	if len(p) == 0 {
		return []byte("[]"), nil
	}
	return json.Marshal(map[string]string(p))
}

// UnmarshalJSON reads an object, [] or null.
func (p *RedirectParams) UnmarshalJSON(b []byte) error {
	var list []json.RawMessage
	if json.Unmarshal(b, &list) == nil {
		*p = RedirectParams{}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*p = m
	return nil
}

// CardAccepted is the answer of the H2H API's POST /v1/payment.
type CardAccepted struct {
	Success  bool      `json:"success"`
	Redirect *Redirect `json:"redirect"`
}

// Confirmed is the answer of the H2H API's POST /v1/payment/confirm.
type Confirmed struct {
	Success bool `json:"success"`
}

// MerchantErrorBody is the merchant API's error body (api-notes §4):
// Laravel's validation shape, also for 401, 404 and 500.
type MerchantErrorBody struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors,omitempty"`
}

// H2HErrorBody is the H2H API's error body: success false, a sentence and
// a code (api-notes §4). Errors, an h2hpay addition, names the fields of a
// validation error.
type H2HErrorBody struct {
	Success   bool                `json:"success"`
	Error     string              `json:"error"`
	ErrorCode string              `json:"errorCode"`
	Errors    map[string][]string `json:"errors,omitempty"`
}

// TimeLayout is how the merchant API writes times ("2024-11-07 14:58:59", UTC).
const TimeLayout = "2006-01-02 15:04:05"

// PayoutCreated is the answer of POST /v1/payout: always wait (api-notes §3.4).
type PayoutCreated struct {
	PaymentStatus Status `json:"payment_status"`
	ID            int64  `json:"id"`
}

// Payout is the answer of POST /v1/payout/status (api-notes §3.5).
type Payout struct {
	OrderID              string  `json:"order_id"`
	ID                   int64   `json:"id"`
	PaymentStatus        Status  `json:"payment_status"`
	CardMask             *string `json:"card_mask"`
	Amount               Amount  `json:"amount"`
	PaymentAmount        *Amount `json:"payment_amount"`
	IsPartialPayment     bool    `json:"is_partial_payment"`
	AccountPaymentAmount *Amount `json:"account_payment_amount"`
	CommissionAmount     *Amount `json:"commission_amount"`
	ServiceCode          string  `json:"service_code"`
	RRN                  *string `json:"RRN"`
	AccountOldBalance    *Amount `json:"account_old_balance"`
	AccountNewBalance    *Amount `json:"account_new_balance"`
}

// ScaledAmount is an exact amount that the docs write with more decimal
// places than it has: 8 in the balance answer, 9 in history ("93.84000000").
// Reading it refuses a non-zero digit past the second place, so nothing is
// rounded.
type ScaledAmount struct {
	Amount Amount
	Scale  int
}

// MarshalJSON writes the amount with Scale decimal places, as a string.
func (a ScaledAmount) MarshalJSON() ([]byte, error) {
	return []byte(`"` + a.Amount.StringScale(a.Scale) + `"`), nil
}

// UnmarshalJSON reads a JSON string or number with any number of decimal
// places beyond the second, all zeros.
func (a *ScaledAmount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := money.ParseScaled(s)
	if err != nil {
		return err
	}
	a.Amount = v
	if _, frac, ok := strings.Cut(s, "."); ok {
		a.Scale = len(frac)
	}
	return nil
}

// AccountBalance is the answer of POST /v1/account/balance (api-notes §3.6).
type AccountBalance struct {
	Currency       string       `json:"currency"`
	Balance        ScaledAmount `json:"balance"`
	Hold           ScaledAmount `json:"hold"`
	RollingReserve ScaledAmount `json:"rolling_reserve"`
	PendingPayouts ScaledAmount `json:"pending_payouts"`
}

// PaymentHistory is the answer of POST /v1/payment/history: a Laravel
// paginator (api-notes §3.3).
type PaymentHistory struct {
	Data  []HistoryPayment `json:"data"`
	Links HistoryLinks     `json:"links"`
	Meta  HistoryMeta      `json:"meta"`
}

// HistoryPayment is one payment in a history page. The status key is
// "status" here, and amounts have 9 decimals, as the docs show.
type HistoryPayment struct {
	CreatedAt        string        `json:"created_at"` // "2024-11-07 14:58:59", UTC
	ID               int64         `json:"id"`
	OrderID          string        `json:"order_id"`
	Amount           ScaledAmount  `json:"amount"`
	CommissionAmount *ScaledAmount `json:"commission_amount"`
	Currency         string        `json:"currency"`
	Status           Status        `json:"status"`
}

// HistoryLinks are the paginator's page URLs; Prev and Next are null at the ends.
type HistoryLinks struct {
	First string  `json:"first"`
	Last  string  `json:"last"`
	Prev  *string `json:"prev"`
	Next  *string `json:"next"`
}

// HistoryMeta is the paginator's position; From and To are null on an empty page.
type HistoryMeta struct {
	CurrentPage int    `json:"current_page"`
	From        *int   `json:"from"`
	LastPage    int    `json:"last_page"`
	Path        string `json:"path"`
	PerPage     int    `json:"per_page"`
	To          *int   `json:"to"`
	Total       int    `json:"total"`
}
