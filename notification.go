package h2hpay

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/h2hpay/h2hpay/internal/money"
	"github.com/h2hpay/h2hpay/internal/signature"
)

// NotificationType says what a notification is about.
type NotificationType string

// The notification types.
const (
	NotificationTypePayment NotificationType = "payment"
	NotificationTypePayout  NotificationType = "payout"
)

// Notification is a verified notification of a final status (api-notes §6):
// a GET to the merchant's notification URL whose query holds these fields
// and a sign.
type Notification struct {
	Type          NotificationType // "payment" or "payout"
	ID            int64            // the gateway's payment or payout id
	OrderID       string
	PaymentStatus Status // final when h2hpay sends it; a handler must still cope with wait
	// Amount is the payment's amount, PaymentAmount what was paid and
	// CommissionAmount the commission; all exact.
	Amount, PaymentAmount, CommissionAmount Amount
	IsPartialPayment                        bool
	Account                                 string // the account UUID
	Service                                 string
	Desc                                    string // "" when the query has none
	// Values is the whole query as received, sign and any parameter of the
	// notification URL itself included.
	Values url.Values
}

// VerifyNotification checks a notification's query against pub, the
// public half of the account's notification key, and returns its fields.
//
// The signed object is rebuilt from the raw query strings in the documented
// order (an absent field is null, id is a number) and checked in both ways
// the gateway signs it: PHP json_encode (the default account setting, SHA-1)
// and JSON.stringify (the sha256 setting); either hash is accepted. Types
// are converted only after the signature verifies.
//
// Errors: ErrInvalidSignature when the signature does not verify for any
// reason (also a sign or signed field given twice, or a '+' of the sign that
// arrived as a space: nothing is guessed); an error naming the field when a
// verified value cannot be read (type, id, payment_status or amount
// missing, an amount that is not exact with at most 2 decimal places, an
// is_partial_payment other than 0 or 1).
func VerifyNotification(pub *rsa.PublicKey, q url.Values) (*Notification, error) {
	sign, ok := single(q, "sign")
	if !ok {
		return nil, ErrInvalidSignature
	}
	for _, name := range signature.NotificationFieldOrder {
		if len(q[name]) > 1 {
			return nil, ErrInvalidSignature
		}
	}
	fields := signature.NotificationFields(func(name string) (string, bool) { return single(q, name) })
	if !verifyObject(pub, fields, sign) {
		return nil, ErrInvalidSignature
	}
	return parseNotification(q)
}

// VerifyNotificationRequest is VerifyNotification for the request the
// gateway sent, read from its raw query (r.URL.RawQuery). It does not look
// at the method or the body. A query that does not parse gives
// ErrInvalidSignature.
func VerifyNotificationRequest(pub *rsa.PublicKey, r *http.Request) (*Notification, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, ErrInvalidSignature
	}
	return VerifyNotification(pub, q)
}

// NotificationHandler returns the handler for the notification URL. It
// answers:
//
//   - 405 with Allow: GET to any method but GET (the gateway only sends
//     GET), without calling apply;
//   - 400 when VerifyNotificationRequest fails, without calling apply;
//   - 500 when apply returns an error, so that the gateway delivers the
//     notification again later;
//   - 200 with the body "OK" otherwise.
//
// Delivery is at least once and not in order (field-cases IT-09): the same
// notification may arrive again, identical, and an older status may arrive
// after a newer one. So apply must be idempotent per (Type, ID) — record
// what was applied in the same transaction as its side effects and return
// nil for a repeat — and must never move an order out of a final status
// (paid, fail, cancel), while still returning nil for such a stale
// notification so that it is not redelivered. See the package example.
//
// It panics if pub or apply is nil.
func NotificationHandler(pub *rsa.PublicKey, apply func(context.Context, *Notification) error) http.Handler {
	if pub == nil || apply == nil {
		panic("h2hpay: NotificationHandler needs a public key and an apply function")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "Method Not Allowed: notifications are GET requests", http.StatusMethodNotAllowed)
			return
		}
		n, err := VerifyNotificationRequest(pub, r)
		if err != nil {
			http.Error(w, "Bad Request: the notification does not verify", http.StatusBadRequest)
			return
		}
		if err := apply(r.Context(), n); err != nil {
			http.Error(w, "Internal Server Error: the notification was not applied", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, "OK")
	})
}

// single returns the value of a parameter given once; a parameter given
// with no value ("a=") counts as given, one given twice does not.
func single(q url.Values, name string) (string, bool) {
	v := q[name]
	if len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// verifyObject checks sign over fields as the PHP rebuild and as the JS
// rebuild, each with SHA-1 or SHA-256.
func verifyObject(pub *rsa.PublicKey, fields []signature.Field, sign string) bool {
	for _, style := range []signature.Style{signature.StylePHP, signature.StyleJS} {
		msg, err := signature.EncodeObject(style, fields)
		if err != nil {
			return false
		}
		if _, err := signature.Verify(pub, msg, sign); err == nil {
			return true
		}
	}
	return false
}

// parseNotification converts a verified query.
func parseNotification(q url.Values) (*Notification, error) {
	n := &Notification{Values: cloneValues(q)}
	get := func(name string) string { v, _ := single(q, name); return v }
	required := func(name string) (string, error) {
		v, ok := single(q, name)
		if !ok || v == "" {
			return "", fmt.Errorf("h2hpay: notification: %s is missing", name)
		}
		return v, nil
	}
	typ, err := required("type")
	if err != nil {
		return nil, err
	}
	n.Type = NotificationType(typ)
	id, err := required("id")
	if err != nil {
		return nil, err
	}
	if n.ID, err = strconv.ParseInt(id, 10, 64); err != nil || n.ID <= 0 {
		return nil, fmt.Errorf("h2hpay: notification: id is not a positive integer")
	}
	status, err := required("payment_status")
	if err != nil {
		return nil, err
	}
	n.PaymentStatus = Status(status)
	amount, err := required("amount")
	if err != nil {
		return nil, err
	}
	if n.Amount, err = parseAmountText(amount); err != nil {
		return nil, fmt.Errorf("h2hpay: notification: amount: %w", err)
	}
	for _, f := range []struct {
		name string
		dst  *Amount
	}{{"payment_amount", &n.PaymentAmount}, {"commission_amount", &n.CommissionAmount}} {
		if v := get(f.name); v != "" {
			if *f.dst, err = parseAmountText(v); err != nil {
				return nil, fmt.Errorf("h2hpay: notification: %s: %w", f.name, err)
			}
		}
	}
	switch get("is_partial_payment") {
	case "", "0", "false":
	case "1", "true":
		n.IsPartialPayment = true
	default:
		return nil, fmt.Errorf("h2hpay: notification: is_partial_payment is not 0 or 1")
	}
	n.OrderID, n.Account, n.Service, n.Desc = get("order_id"), get("account"), get("service"), get("desc")
	return n, nil
}

// parseAmountText reads an amount exactly. Zeros beyond the second decimal
// place are dropped first ("5000.000000000", as history answers write
// amounts, is 5000.00); any other third decimal is an error.
func parseAmountText(s string) (Amount, error) {
	if whole, frac, ok := strings.Cut(s, "."); ok && len(frac) > 2 {
		s = whole + "." + frac[:2] + strings.TrimRight(frac[2:], "0")
	}
	return money.Parse(s)
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
