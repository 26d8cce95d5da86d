package h2hpay

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
)

// BrowserData is the payer's browser as 3-D Secure needs it (the browser_*
// fields of api-notes §3.7). Every field is optional on h2hpay, which falls
// back to the create call's customer_browser_* values; a zero size or colour
// depth is left out, and TimeDifferent and JavaEnabled are pointers because
// 0 (UTC) and false are real values.
type BrowserData struct {
	UserAgent     string `json:"browser_user_agent,omitempty"`
	AcceptHeader  string `json:"browser_accept_header,omitempty"`
	Language      string `json:"browser_language,omitempty"`
	ColorDepth    int    `json:"browser_color_depth,omitempty"`    // screen.colorDepth
	ScreenHeight  int    `json:"browser_screen_height,omitempty"`  // screen.height
	ScreenWidth   int    `json:"browser_screen_width,omitempty"`   // screen.width
	WindowWidth   int    `json:"browser_window_width,omitempty"`   // window.innerWidth
	WindowHeight  int    `json:"browser_window_height,omitempty"`  // window.innerHeight
	TimeDifferent *int   `json:"browser_time_different,omitempty"` // (new Date()).getTimezoneOffset()
	// JavaEnabled is sent as 1 or 0, as the docs do.
	JavaEnabled *bool `json:"-"`
}

// cardBody is the H2H card call's JSON. The card fields are strings so that
// a CVC like "077" keeps its zero.
type cardBody struct {
	PaymentUUID string `json:"payment_uuid"`
	ReturnURL   string `json:"return_url"`
	Number      string `json:"card_number"`
	ExpYear     string `json:"card_year"`
	ExpMonth    string `json:"card_month"`
	CVC         string `json:"card_cvc"`
	FirstName   string `json:"card_first_name,omitempty"`
	LastName    string `json:"card_last_name,omitempty"`
	*BrowserData
	JavaEnabled *int   `json:"browser_java_enabled,omitempty"`
	BrowserIP   string `json:"browser_ip,omitempty"`
}

// SubmitCard sends the payer's card for a created payment (H2H step 2,
// POST /v1/payment on the H2H API, signed over the payment uuid) and
// returns where to send the payer for 3-D Secure: to Redirect.URL, by GET
// with Params in the query or by POST with Params as a form, as
// Redirect.Method says.
//
// Sending the card again while the payment awaits 3-D Secure returns the
// same redirect, so the call is retried like any other.
//
// Errors, before any request: an ErrInvalidParams error (nil params, or a
// missing PaymentUUID, ReturnURL, Number, ExpMonth, ExpYear or CVC), or an
// error when the client has no Application. Then an *Error (ErrorCode tells why: e.g.
// ErrorCodeValidation, ErrorCodeInvalidState on a final payment); a
// transport or context error. No error contains the card number or CVC.
func (c *Client) SubmitCard(ctx context.Context, params *CardParams) (*Redirect, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	body := cardBody{
		PaymentUUID: params.PaymentUUID,
		ReturnURL:   params.ReturnURL,
		Number:      params.Number,
		ExpYear:     params.ExpYear,
		ExpMonth:    params.ExpMonth,
		CVC:         params.CVC,
		FirstName:   params.FirstName,
		LastName:    params.LastName,
		BrowserData: params.Browser,
		BrowserIP:   params.BrowserIP,
	}
	if params.Browser != nil && params.Browser.JavaEnabled != nil {
		body.JavaEnabled = boolInt(*params.Browser.JavaEnabled)
	}
	r := &request{api: h2hAPI, path: "/v1/payment", body: body, paymentUUID: params.PaymentUUID,
		secrets: params.secrets()}
	var out CardAccepted
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	if out.Redirect == nil || out.Redirect.URL == "" {
		return nil, errors.New("h2hpay: h2h /v1/payment: the answer has no redirect")
	}
	if out.Redirect.Params == nil {
		out.Redirect.Params = RedirectParams{}
	}
	return out.Redirect, nil
}

// confirmBody is the H2H confirm call's JSON.
type confirmBody struct {
	PaymentUUID string            `json:"payment_uuid"`
	Data        map[string]string `json:"data"`
}

// Confirm confirms a payment after 3-D Secure (H2H step 5, POST
// /v1/payment/confirm, signed over paymentUUID). data is every field the
// payer's browser POSTed to return_url, unchanged; nil is sent as {}. The
// outcome is not in the answer: read it with PaymentStatus, or wait for the
// notification. Confirming again returns the first answer, so the call is
// retried like any other.
//
// Errors, before any request: an ErrInvalidParams error for an empty
// paymentUUID, or an error when the client has no Application. Then an
// *Error
// (ErrorCodeInvalidState when the payment cannot be confirmed now); a
// transport or context error. Errors never contain data's values.
func (c *Client) Confirm(ctx context.Context, paymentUUID string, data map[string]string) error {
	if paymentUUID == "" {
		return fmt.Errorf("%w: the payment uuid is empty", ErrInvalidParams)
	}
	if data == nil {
		data = map[string]string{}
	}
	secrets := make([]string, 0, len(data))
	for _, v := range data {
		if len(v) >= 8 {
			secrets = append(secrets, v)
		}
	}
	r := &request{api: h2hAPI, path: "/v1/payment/confirm", paymentUUID: paymentUUID,
		body: confirmBody{PaymentUUID: paymentUUID, Data: data}, secrets: secrets}
	return c.do(ctx, r, &Confirmed{})
}

// ErrNoPaymentUUID is returned by ConfirmFromRequest when the return_url
// request has no uuid query parameter.
var ErrNoPaymentUUID = errors.New("h2hpay: the return_url request has no uuid query parameter")

// maxFormMemory bounds the memory a multipart return_url form may use.
const maxFormMemory = 1 << 20

// ConfirmFromRequest is the return_url page's call (field-cases IT-06,
// IT-07): it takes the payment uuid from the request URL's "uuid" query
// parameter (never from cookies, which a cross-site POST does not carry),
// and confirms with every field of the POSTed form body (r.PostForm: the
// query is not part of it) forwarded unchanged as a string, unknown fields
// included; a field posted more than once is sent with its first value.
// It returns the uuid, also with most errors, so the page can look the
// payment up; the outcome must come from PaymentStatus, never from the
// posted fields.
//
// After it returns, answer the browser with a 303 to a GET page.
//
// Errors: ErrNoPaymentUUID before any request; an error for a form that
// cannot be parsed; then those of Confirm.
func (c *Client) ConfirmFromRequest(ctx context.Context, r *http.Request) (paymentUUID string, err error) {
	paymentUUID = r.URL.Query().Get("uuid")
	if paymentUUID == "" {
		return "", ErrNoPaymentUUID
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(maxFormMemory)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return paymentUUID, fmt.Errorf("h2hpay: reading the return_url form: %w", err)
	}
	data := make(map[string]string, len(r.PostForm))
	for name, values := range r.PostForm {
		if len(values) > 0 {
			data[name] = values[0]
		}
	}
	return paymentUUID, c.Confirm(ctx, paymentUUID, data)
}
