package h2hpay

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

// PaymentCreateParams are the fields of a merchant API create call
// (api-notes §3.1), written under their documented names. OrderID, Amount,
// Service, CustomerIP and CustomerBrowserUserAgent are required; every other
// field is left out of the request when it has its zero value, except the
// pointer fields, which are left out when nil.
type PaymentCreateParams struct {
	// OrderID is the merchant's order id, unique per account among live
	// payments, at most 128 characters. Keep it across retries of one
	// order: it is what makes a retry safe (field-cases IT-12).
	OrderID string `json:"order_id"`
	// Amount is written as a 2-decimal string ("8.20"); it must be
	// positive.
	Amount  Amount `json:"amount"`
	Service string `json:"service"` // e.g. "payment_card_rub_hpp"
	// CustomerIP is the payer's IP address.
	CustomerIP               string `json:"customer_ip"`
	CustomerBrowserUserAgent string `json:"customer_browser_user_agent"`
	Desc                     string `json:"desc,omitempty"`
	// Lifetime is the payment's lifetime in seconds, 900 to 3600; 0 leaves
	// it to the gateway (3600 on h2hpay).
	Lifetime int `json:"lifetime,omitempty"`

	CustomerAccount   string `json:"customer_account,omitempty"`
	CustomerEmail     string `json:"customer_email,omitempty"`
	CustomerFirstName string `json:"customer_first_name,omitempty"`
	CustomerLastName  string `json:"customer_last_name,omitempty"`
	CustomerAddress   string `json:"customer_address,omitempty"`
	CustomerState     string `json:"customer_state,omitempty"`
	CustomerCity      string `json:"customer_city,omitempty"`
	CustomerPhone     string `json:"customer_phone,omitempty"`
	// CustomerPostCode is a string so that leading zeros survive.
	CustomerPostCode string `json:"customer_post_code,omitempty"`
	CustomerUserID   string `json:"customer_user_id,omitempty"` // P2P "card number" services
	CustomerCode     string `json:"customer_code,omitempty"`    // bank code, some services

	// The payer's browser, for 3-D Secure. 0 leaves a size or colour
	// depth out (it is never a real value); the time difference and Java
	// flag are pointers because 0 (UTC) and false are real values.
	CustomerBrowserAcceptHeader  string `json:"customer_browser_accept_header,omitempty"`
	CustomerBrowserLanguage      string `json:"customer_browser_language,omitempty"`
	CustomerBrowserColorDepth    int    `json:"customer_browser_color_depth,omitempty"`
	CustomerBrowserScreenHeight  int    `json:"customer_browser_screen_height,omitempty"`
	CustomerBrowserScreenWidth   int    `json:"customer_browser_screen_width,omitempty"`
	CustomerBrowserWindowWidth   int    `json:"customer_browser_window_width,omitempty"`
	CustomerBrowserWindowHeight  int    `json:"customer_browser_window_height,omitempty"`
	CustomerBrowserTimeDifferent *int   `json:"customer_browser_time_different,omitempty"` // minutes, as getTimezoneOffset()
	// CustomerBrowserJavaEnabled is sent as 1 or 0, as the docs do.
	CustomerBrowserJavaEnabled *bool `json:"-"`

	// Cabinet ids of a registered redirect or notification URL; 0 leaves
	// them out. The *URL fields are inline alternatives and win over the
	// ids on h2hpay.
	SuccessRedirectID       int64  `json:"success_redirect_id,omitempty"`
	FailRedirectID          int64  `json:"fail_redirect_id,omitempty"`
	NotificationEndpointID  int64  `json:"notification_endpoint_id,omitempty"`
	SuccessRedirectURL      string `json:"success_redirect_url,omitempty"`
	FailRedirectURL         string `json:"fail_redirect_url,omitempty"`
	NotificationEndpointURL string `json:"notification_endpoint_url,omitempty"`
}

// paymentCreateBody is the create call's JSON: the params plus the Java
// flag as the integer the docs send.
type paymentCreateBody struct {
	*PaymentCreateParams
	JavaEnabled *int `json:"customer_browser_java_enabled,omitempty"`
}

// validate checks what the SDK relies on before sending: the order_id rules
// make a 400 on order_id mean "already taken" (see CreatePayment).
func (p *PaymentCreateParams) validate() error {
	switch {
	case p == nil:
		return fmt.Errorf("%w: nil *PaymentCreateParams", ErrInvalidParams)
	case p.OrderID == "":
		return fmt.Errorf("%w: PaymentCreateParams.OrderID is required", ErrInvalidParams)
	case !utf8.ValidString(p.OrderID) || utf8.RuneCountInString(p.OrderID) > 128:
		return fmt.Errorf("%w: PaymentCreateParams.OrderID must be valid UTF-8 of at most 128 characters", ErrInvalidParams)
	case p.Amount <= 0:
		return fmt.Errorf("%w: PaymentCreateParams.Amount must be positive", ErrInvalidParams)
	case p.Service == "":
		return fmt.Errorf("%w: PaymentCreateParams.Service is required", ErrInvalidParams)
	case p.CustomerIP == "":
		return fmt.Errorf("%w: PaymentCreateParams.CustomerIP is required", ErrInvalidParams)
	case p.CustomerBrowserUserAgent == "":
		return fmt.Errorf("%w: PaymentCreateParams.CustomerBrowserUserAgent is required", ErrInvalidParams)
	}
	return nil
}

// CreatePayment creates a payment on the merchant API (POST /v1/payment).
// The answer's UUID is the payment_uuid of the H2H calls and its URL the
// hosted payment page.
//
// Errors: an ErrInvalidParams error before any request; an *Error for an
// error answer, matching ErrDuplicateOrder when the gateway says the
// order_id is already taken; a transport or context error.
//
// A retry can meet the effect of its own earlier attempt: when an attempt
// timed out or lost its connection and the retry is refused with a
// duplicate order_id, CreatePayment looks the order_id up
// (/v1/payment/status) and, if that payment has the same amount and
// service, returns it as created: its id and uuid, and the url and status
// of the status answer (SuccessRedirectURL is params' SuccessRedirectURL,
// or nil). Otherwise, and always when no attempt was in doubt, it returns
// the ErrDuplicateOrder error, never someone else's payment.
func (c *Client) CreatePayment(ctx context.Context, params *PaymentCreateParams) (*PaymentCreated, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	body := paymentCreateBody{PaymentCreateParams: params}
	if v := params.CustomerBrowserJavaEnabled; v != nil {
		body.JavaEnabled = boolInt(*v)
	}
	r := &request{api: merchantAPI, path: "/v1/payment", body: body}
	var out PaymentCreated
	err := c.do(ctx, r, &out)
	if err == nil {
		return &out, nil
	}
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != 400 || len(e.Errors["order_id"]) == 0 {
		return nil, err
	}
	// validate ruled out an empty or too long order_id, so the gateway's
	// only remaining objection to it is that it is taken.
	e.duplicateOrder = true
	if !r.uncertain {
		return nil, err
	}
	p, lookupErr := c.PaymentStatus(ctx, &PaymentStatusParams{OrderID: params.OrderID})
	if lookupErr != nil {
		return nil, errors.Join(err, fmt.Errorf("h2hpay: looking up order_id after a retry: %w", lookupErr))
	}
	if p.OrderID != params.OrderID || p.Amount != params.Amount || p.ServiceCode != params.Service {
		return nil, err
	}
	created := &PaymentCreated{
		Success:       true,
		URL:           p.URL,
		PaymentStatus: p.PaymentStatus,
		ID:            p.ID,
		UUID:          p.UUID,
	}
	if params.SuccessRedirectURL != "" {
		u := params.SuccessRedirectURL
		created.SuccessRedirectURL = &u
	}
	return created, nil
}

// CreatePaymentRaw sends a create body exactly as given — the bytes an
// existing integration produces, PHP escapes, key order and all — signed
// over those bytes. It is for moving code to the SDK one call at a time;
// CreatePayment is the checked way. The duplicate-order resolution of
// CreatePayment is not applied.
func (c *Client) CreatePaymentRaw(ctx context.Context, body []byte) (*PaymentCreated, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrInvalidParams)
	}
	var out PaymentCreated
	if err := c.do(ctx, &request{api: merchantAPI, path: "/v1/payment", raw: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PaymentStatusParams names one payment: set exactly one field.
type PaymentStatusParams struct {
	ID      int64  `json:"id,omitempty"`       // the gateway's payment id
	UUID    string `json:"uuid,omitempty"`     // the payment uuid (an h2hpay extension)
	OrderID string `json:"order_id,omitempty"` // the newest payment with this order_id
}

// PaymentStatus reads a payment from the merchant API (POST
// /v1/payment/status), sending {"id":…}, {"uuid":…} or {"order_id":…}.
// Amounts in the answer are exact; values the gateway does not know are
// nil.
//
// Errors: an ErrInvalidParams error, before any request, unless exactly one
// field of params is set; an *Error (HTTP 404 for an unknown payment); a
// transport or context error.
func (c *Client) PaymentStatus(ctx context.Context, params *PaymentStatusParams) (*Payment, error) {
	if params == nil {
		return nil, fmt.Errorf("%w: nil *PaymentStatusParams", ErrInvalidParams)
	}
	set := 0
	for _, ok := range []bool{params.ID != 0, params.UUID != "", params.OrderID != ""} {
		if ok {
			set++
		}
	}
	if set != 1 || params.ID < 0 {
		return nil, fmt.Errorf("%w: set exactly one of PaymentStatusParams.ID (positive), UUID and OrderID", ErrInvalidParams)
	}
	var out Payment
	if err := c.do(ctx, &request{api: merchantAPI, path: "/v1/payment/status", body: params}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// boolInt is the docs' 1 or 0 for a flag.
func boolInt(b bool) *int {
	n := 0
	if b {
		n = 1
	}
	return &n
}

// PreparedPayment is a create call encoded and signed ahead of time: Send
// sends exactly those bytes with that Sign (and, on a retry, again). Load
// tools sign before they start the clock; an integration may also keep one
// to retry a create after a restart with the same bytes.
type PreparedPayment struct {
	c *Client
	r *request
	s *signedRequest
}

// PrepareCreatePayment encodes and signs a create call without sending it.
func (c *Client) PrepareCreatePayment(params *PaymentCreateParams) (*PreparedPayment, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	r := &request{api: merchantAPI, path: "/v1/payment", body: params}
	s, err := c.prepare(r)
	if err != nil {
		return nil, err
	}
	return &PreparedPayment{c: c, r: r, s: s}, nil
}

// Send sends the prepared create call.
func (p *PreparedPayment) Send(ctx context.Context) (*PaymentCreated, error) {
	var out PaymentCreated
	if err := p.c.send(ctx, p.r, p.s, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
