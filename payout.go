package h2hpay

import (
	"context"
	"fmt"
	"time"
)

// PayoutCreateParams are the fields of POST /v1/payout (api-notes §3.4).
// OrderID, Amount, Number and Service are required.
type PayoutCreateParams struct {
	// OrderID is unique per account among live payouts; keep it across
	// retries of one payout.
	OrderID string `json:"order_id"`
	// Amount is written as a 2-decimal string ("1000.44").
	Amount Amount `json:"amount"`
	// Number is the card number, or a phone number for SBP services. It is
	// never part of an error and is masked when the params are printed.
	Number  string `json:"number"`
	Service string `json:"service"` // e.g. payment_card_rub

	NotificationEndpointID  int64  `json:"notification_endpoint_id,omitempty"`
	NotificationEndpointURL string `json:"notification_endpoint_url,omitempty"`

	CustomerPhone     string `json:"customer_phone,omitempty"`
	CustomerEmail     string `json:"customer_email,omitempty"`
	CustomerCode      string `json:"customer_code,omitempty"` // SBP bank
	CustomerFirstName string `json:"customer_first_name,omitempty"`
	CustomerLastName  string `json:"customer_last_name,omitempty"`
	CustomerCountry   string `json:"customer_country,omitempty"`
	// Extra holds the card fields EUR accounts need: card_exp_year,
	// card_exp_month, card_holder, card_country, card_recipient_birth_date.
	Extra map[string]string `json:"extra,omitempty"`
}

// String shows the params with the number masked.
func (p PayoutCreateParams) String() string {
	return fmt.Sprintf("PayoutCreateParams{OrderID:%q Amount:%s Number:%s Service:%q}", p.OrderID, p.Amount, MaskCardNumber(p.Number), p.Service)
}

// GoString is String, so %#v masks the number too.
func (p PayoutCreateParams) GoString() string { return p.String() }

// CreatePayout asks for a payout, signed with the payout key. The answer is
// always wait; the final status comes by notification (type payout) or
// PayoutStatus. A payout the available balance cannot cover is a 400 on
// amount; a duplicate order_id is ErrDuplicateOrder.
func (c *Client) CreatePayout(ctx context.Context, params *PayoutCreateParams) (*PayoutCreated, error) {
	if params == nil {
		return nil, fmt.Errorf("%w: nil *PayoutCreateParams", ErrInvalidParams)
	}
	if params.OrderID == "" || params.Amount <= 0 || params.Number == "" || params.Service == "" {
		return nil, fmt.Errorf("%w: PayoutCreateParams needs OrderID, a positive Amount, Number and Service", ErrInvalidParams)
	}
	var out PayoutCreated
	if err := c.do(ctx, &request{api: merchantAPI, path: "/v1/payout", body: params, payout: true, secrets: []string{params.Number}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PayoutStatusParams names one payout: exactly one of ID and OrderID.
type PayoutStatusParams struct {
	ID      int64  `json:"id,omitempty"`
	OrderID string `json:"order_id,omitempty"`
}

// PayoutStatus returns a payout, signed with the payout key.
func (c *Client) PayoutStatus(ctx context.Context, params *PayoutStatusParams) (*Payout, error) {
	if params == nil || (params.ID == 0) == (params.OrderID == "") || params.ID < 0 {
		return nil, fmt.Errorf("%w: set exactly one of PayoutStatusParams.ID (positive) and OrderID", ErrInvalidParams)
	}
	var out Payout
	if err := c.do(ctx, &request{api: merchantAPI, path: "/v1/payout/status", body: params, payout: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Balance returns the account's balance, signed with the payout key. The
// body is [] as the docs send it.
func (c *Client) Balance(ctx context.Context) (*AccountBalance, error) {
	var out AccountBalance
	if err := c.do(ctx, &request{api: merchantAPI, path: "/v1/account/balance", body: []any{}, payout: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PaymentHistoryParams select a page of payments created between two
// days (UTC, both included). Zero values leave a field to the gateway: all
// time, page 1, 15 per page.
type PaymentHistoryParams struct {
	DateFrom, DateTo time.Time
	Page, Paginate   int
}

// PaymentHistory returns one page of the account's payments.
func (c *Client) PaymentHistory(ctx context.Context, params *PaymentHistoryParams) (*PaymentHistory, error) {
	if params == nil {
		params = &PaymentHistoryParams{}
	}
	body := map[string]any{}
	if !params.DateFrom.IsZero() {
		body["date_from"] = params.DateFrom.UTC().Format(time.DateOnly)
	}
	if !params.DateTo.IsZero() {
		body["date_to"] = params.DateTo.UTC().Format(time.DateOnly)
	}
	if params.Page > 0 {
		body["page"] = params.Page
	}
	if params.Paginate > 0 {
		body["paginate"] = params.Paginate
	}
	var out PaymentHistory
	if err := c.do(ctx, &request{api: merchantAPI, path: "/v1/payment/history", body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
