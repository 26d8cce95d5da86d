package sqlite

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/h2hpay/h2hpay/internal/money"
)

// How Go values map to columns, both ways.

// timeArg is a time as stored: unix microseconds, or NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol scans a timeArg column back: NULL is the zero time, anything else
// a UTC time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("time column holds %T, want INTEGER", src)
	}
	return nil
}

// textArg stores "" as NULL, for columns where many rows have no value but
// the present ones are unique (challenge_id) or compared (lease_owner).
func textArg(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// textCol scans a textArg column: NULL is "".
type textCol struct{ s *string }

func (c textCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.s = ""
	case string:
		*c.s = v
	case []byte:
		*c.s = string(v)
	default:
		return fmt.Errorf("text column holds %T", src)
	}
	return nil
}

// blobArg stores an empty slice as NULL.
func blobArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// amountPtrArg stores a nil *money.Amount as NULL.
func amountPtrArg(a *money.Amount) any {
	if a == nil {
		return nil
	}
	return int64(*a)
}

// amountPtrCol scans an amountPtrArg column: NULL is a nil pointer,
// anything else a new one.
type amountPtrCol struct{ a **money.Amount }

func (c amountPtrCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.a = nil
	case int64:
		a := money.Amount(v)
		*c.a = &a
	default:
		return fmt.Errorf("amount column holds %T, want INTEGER", src)
	}
	return nil
}

// stringMapArg stores a nil map as NULL and any other, empty ones
// included, as a JSON object, so nil and empty survive the round trip.
func stringMapArg(m map[string]string) (any, error) {
	if m == nil {
		return nil, nil
	}
	return jsonArg(m)
}

// jsonArg is v as JSON text.
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// jsonCol scans JSON text into v; NULL leaves v as it is.
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(v), c.v)
	case []byte:
		return json.Unmarshal(v, c.v)
	default:
		return fmt.Errorf("JSON column holds %T", src)
	}
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// uniqueViolation reports whether err is a UNIQUE or PRIMARY KEY constraint
// failure, and the message naming the constraint. SQLite names the columns of
// the violated key ("UNIQUE constraint failed: payments.account_uuid,
// payments.order_id"); the result code says which kind it is.
func uniqueViolation(err error) (string, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return "", false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return se.Error(), true
	}
	return "", false
}

// foreignKeyViolation reports whether err is a FOREIGN KEY constraint
// failure: a row naming an account (or payment, payout) that does not exist.
func foreignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// How SQLite names payments_live_order_id and payouts_live_order_id, the
// partial unique indexes of api-notes §11, in a constraint error.
const (
	livePaymentOrderKey = "payments.account_uuid, payments.order_id"
	livePayoutOrderKey  = "payouts.account_uuid, payouts.order_id"
)

// isDuplicateOrder reports whether err violates payments_live_order_id or
// payouts_live_order_id.
func isDuplicateOrder(err error) bool {
	msg, ok := uniqueViolation(err)
	return ok && (strings.Contains(msg, livePaymentOrderKey) || strings.Contains(msg, livePayoutOrderKey))
}
