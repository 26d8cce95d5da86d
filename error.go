package h2hpay

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrorCode is the errorCode of an H2H API error (api-notes §4).
type ErrorCode string

// The documented errorCode values.
const (
	ErrorCodeValidation         ErrorCode = "validation_error"    // a bad or missing field
	ErrorCodeInvalidSign        ErrorCode = "invalid_sign"        // the signature check failed
	ErrorCodeUnknownAccount     ErrorCode = "unknown_account"     // no such account
	ErrorCodeInvalidApplication ErrorCode = "invalid_application" // Application missing or not the account's
	ErrorCodePaymentNotFound    ErrorCode = "payment_not_found"   // no payment with this payment_uuid
	ErrorCodeInvalidState       ErrorCode = "invalid_state"       // the payment cannot accept this call now
	ErrorCodeInternal           ErrorCode = "internal_error"      // a server error
)

// ErrDuplicateOrder matches, with errors.Is, the error CreatePayment returns
// when the gateway refused the order_id as already taken (400 with
// errors.order_id). The *Error itself is available with errors.As.
var ErrDuplicateOrder = errors.New("h2hpay: the order_id has already been taken")

// ErrInvalidParams is wrapped by the errors a call returns, before sending
// anything, for params it cannot send: a nil params struct or a missing
// required field. The message names the field, never its value.
var ErrInvalidParams = errors.New("h2hpay: invalid params")

// Error is an error answer of the gateway: any HTTP status other than 2xx,
// or a 2xx saying "success":false. It is built from either documented shape
// (api-notes §4): the merchant API's {"message","errors"} and the H2H API's
// {"success":false,"error","errorCode"}; an answer that is neither (a proxy's
// HTML 502) leaves only HTTPStatus and Excerpt. Inspect it with errors.As.
//
// Error never holds request data: the gateway echoes no card fields, and
// the card number and CVC of the call are removed from whatever the other
// side answered.
type Error struct {
	// HTTPStatus is the answer's status code.
	HTTPStatus int
	// Endpoint is the listener and path called: "merchant /v1/payment",
	// "h2h /v1/payment/confirm".
	Endpoint string
	// Message is the merchant API's message ("The given data was
	// invalid.").
	Message string
	// Errors maps a request field to its problems: the merchant API's
	// errors, and the H2H API's h2hpay extension of the same name.
	Errors map[string][]string
	// ErrorText is the H2H API's error sentence.
	ErrorText string
	// ErrorCode is the H2H API's errorCode.
	ErrorCode ErrorCode
	// Excerpt is the start of an answer that was not a documented JSON
	// error, printable characters only, at most 200 bytes.
	Excerpt string

	duplicateOrder bool
}

// Error describes the answer: endpoint, status and the gateway's own text.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "h2hpay: %s: HTTP %d", e.Endpoint, e.HTTPStatus)
	if e.ErrorCode != "" {
		b.WriteString(" " + string(e.ErrorCode))
	}
	for _, text := range []string{e.Message, e.ErrorText} {
		if text != "" {
			b.WriteString(": " + text)
		}
	}
	if len(e.Errors) > 0 {
		b.WriteString(" [")
		for i, field := range slices.Sorted(maps.Keys(e.Errors)) {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(field + ": " + strings.Join(e.Errors[field], " "))
		}
		b.WriteString("]")
	}
	if e.Excerpt != "" {
		b.WriteString(": " + strconv.Quote(e.Excerpt))
	}
	return b.String()
}

// Field returns the problems the gateway reported with a request field, or
// nil.
func (e *Error) Field(name string) []string { return e.Errors[name] }

// Is makes errors.Is(err, ErrDuplicateOrder) true for CreatePayment's
// duplicate order_id answer.
func (e *Error) Is(target error) bool { return target == ErrDuplicateOrder && e.duplicateOrder }

// newError builds an *Error from an answer, removing r's secrets from
// everything the answer says.
func newError(r *request, status int, answer []byte) *Error {
	e := &Error{HTTPStatus: status, Endpoint: r.api.String() + " " + r.path}
	scrub := func(s string) string { return s }
	if len(r.secrets) > 0 {
		scrub = func(s string) string { return redact(s, r.secrets) }
	}
	if !e.readJSON(answer) {
		// Redacted whole, then cut, then redacted again: a secret must not
		// survive by being cut short or by having its line breaks joined.
		e.Excerpt = scrub(excerpt([]byte(scrub(string(answer)))))
	}
	if len(r.secrets) > 0 {
		e.Message, e.ErrorText = scrub(e.Message), scrub(e.ErrorText)
		e.ErrorCode = ErrorCode(scrub(string(e.ErrorCode)))
		for field, problems := range e.Errors {
			for i := range problems {
				problems[i] = scrub(problems[i])
			}
			if clean := scrub(field); clean != field {
				delete(e.Errors, field)
				e.Errors[clean] = problems
			}
		}
	}
	return e
}

// readJSON fills e from a JSON object in either documented shape. Members
// of an unexpected type are skipped; it reports false when answer is not a
// JSON object with at least one of the documented members.
func (e *Error) readJSON(answer []byte) bool {
	var members map[string]json.RawMessage
	if json.Unmarshal(answer, &members) != nil || members == nil {
		return false
	}
	known := false
	readString := func(name string, dst *string) {
		if raw, ok := members[name]; ok && json.Unmarshal(raw, dst) == nil {
			known = true
		}
	}
	readString("message", &e.Message)
	readString("error", &e.ErrorText)
	var code string
	readString("errorCode", &code)
	e.ErrorCode = ErrorCode(code)
	if raw, ok := members["errors"]; ok {
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) == nil {
			for name, raw := range fields {
				var list []string
				var one string
				switch {
				case json.Unmarshal(raw, &list) == nil:
				case json.Unmarshal(raw, &one) == nil:
					list = []string{one}
				default:
					continue
				}
				if e.Errors == nil {
					e.Errors = map[string][]string{}
				}
				e.Errors[name] = list
				known = true
			}
		}
	}
	if _, ok := members["success"]; ok {
		known = true
	}
	return known
}

// maxExcerpt bounds Error.Excerpt.
const maxExcerpt = 200

// excerpt returns the start of an answer that is not a documented error,
// as printable text on one line.
func excerpt(answer []byte) string {
	var b strings.Builder
	space := false
	for len(answer) > 0 && b.Len() < maxExcerpt {
		r, size := utf8.DecodeRune(answer)
		answer = answer[size:]
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			r = ' '
		}
		if r == ' ' {
			if space || b.Len() == 0 {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
