package sqlite

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
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

// liveOrderKey is how SQLite names payments_live_order_id, the partial unique
// index of api-notes §11, in a constraint error.
const liveOrderKey = "payments.account_uuid, payments.order_id"

// isDuplicateOrder reports whether err violates payments_live_order_id.
func isDuplicateOrder(err error) bool {
	msg, ok := uniqueViolation(err)
	return ok && strings.Contains(msg, liveOrderKey)
}
