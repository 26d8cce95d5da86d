package gateway

import (
	"errors"
	"fmt"
	"sort"
)

// Code classifies an error for the API. The server maps each code to one
// HTTP status and renders it in the listener's documented shape; the H2H API
// shows the code itself as errorCode (api-notes §4).
type Code string

// The error codes.
const (
	CodeValidation         Code = "validation_error"
	CodeInvalidSign        Code = "invalid_sign"
	CodeUnknownAccount     Code = "unknown_account"
	CodeInvalidApplication Code = "invalid_application"
	CodeNotFound           Code = "payment_not_found"
	CodeInvalidState       Code = "invalid_state"
	CodeInternal           Code = "internal_error"
)

// Error is the one error type the core returns to the API. Message is safe to
// show to the caller: it never holds card data. Fields, for validation
// errors, maps a request field to its problems. The cause, if any, stays
// behind Unwrap for the logs.
type Error struct {
	Code    Code
	Message string
	Fields  map[string][]string
	order   []string // field names in the order their problems were found
	cause   error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.cause }

// Errorf makes an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure: the caller sees a generic message,
// the log sees the cause.
func Internal(cause error) *Error {
	return &Error{Code: CodeInternal, Message: "Server error.", cause: cause}
}

// ErrorCode returns the code of err, CodeInternal for anything that is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Validation collects field problems; it is an error only once it holds one.
type Validation struct {
	fields map[string][]string
	order  []string
}

// Add records a problem with a field.
func (v *Validation) Add(field, message string) {
	if v.fields == nil {
		v.fields = map[string][]string{}
	}
	if len(v.fields[field]) == 0 {
		v.order = append(v.order, field)
	}
	v.fields[field] = append(v.fields[field], message)
}

// Has reports whether the field already has a problem.
func (v *Validation) Has(field string) bool { return len(v.fields[field]) > 0 }

// Err returns nil when nothing was added, else a validation *Error whose
// message names the first problem in field order.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Message: "The given data was invalid.", Fields: v.fields, order: v.order}
}

// FirstProblem is the first field problem found, for APIs that show one
// line: the field and its message.
func (e *Error) FirstProblem() (field, message string) {
	if len(e.order) > 0 {
		return e.order[0], e.Fields[e.order[0]][0]
	}
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	if len(names) == 0 {
		return "", e.Message
	}
	sort.Strings(names)
	return names[0], e.Fields[names[0]][0]
}

// Store errors. Implementations return these (wrapped or not) so the core can
// tell a business outcome from a failure.
var (
	// ErrNotFound: no such row.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the row changed since it was read (version mismatch), or
	// an explicit id is taken.
	ErrConflict = errors.New("conflict: changed concurrently")
	// ErrDuplicateOrder: a live or paid payment (or payout) of the account
	// already has this order_id.
	ErrDuplicateOrder = errors.New("duplicate order_id")
	// ErrInsufficientFunds: a ledger transaction would take a balance
	// below zero.
	ErrInsufficientFunds = errors.New("insufficient funds")
)
