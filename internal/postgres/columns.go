package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// How Go values map to columns, both ways.

// timeArg is a time as stored: itself (timestamptz keeps the instant, to
// the microsecond, truncated), or NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// openLow and openHigh stand for a zero From and To: the range is open at
// that end. Rows with a NULL time are outside every range, as in SQLite.
var (
	openLow  = pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	openHigh = pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}
)

// rangeArgs are the bounds of [from, to) with zero times open.
func rangeArgs(from, to time.Time) (any, any) {
	var lo, hi any = openLow, openHigh
	if !from.IsZero() {
		lo = from
	}
	if !to.IsZero() {
		hi = to
	}
	return lo, hi
}

// utcTime scans a timeArg column back: NULL is the zero time, anything else
// the instant in UTC.
type utcTime time.Time

func timeCol(t *time.Time) *utcTime { return (*utcTime)(t) }

func (c *utcTime) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		*c = utcTime{}
	case v.InfinityModifier != pgtype.Finite:
		return errors.New("infinite timestamptz where a time was stored")
	default:
		*c = utcTime(v.Time.UTC())
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

// nullText scans a textArg column: NULL is "".
type nullText string

func textCol(s *string) *nullText { return (*nullText)(s) }

func (c *nullText) ScanText(v pgtype.Text) error {
	*c = nullText(v.String) // "" when NULL
	return nil
}

// blobArg stores an empty slice as NULL, so that nil and empty both come
// back nil, as from SQLite.
func blobArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// amountPtrArg stores a nil *money.Amount as NULL. Amounts scan back into
// **money.Amount directly: NULL is a nil pointer.
func amountPtrArg(a *money.Amount) any {
	if a == nil {
		return nil
	}
	return int64(*a)
}

// jsonArg is v as JSON text for a jsonb column; a nil map is NULL, any
// other map, empty ones included, an object, so nil and empty survive the
// round trip. encoding/json would replace invalid UTF-8 with U+FFFD and so
// store other text than given: that is errNotUTF8Text instead. (A NUL
// becomes \u0000, which jsonb refuses with codeUntranslatable.)
func jsonArg(v any) (any, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Map && rv.IsNil() {
		return nil, nil
	}
	if !validText(rv) {
		return nil, errNotUTF8Text
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b, nil // pgx sends a []byte to jsonb as the JSON it holds
}

// validText reports whether every string in v is valid UTF-8.
func validText(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return utf8.ValidString(v.String())
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || validText(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if !validText(v.Field(i)) {
				return false
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if !validText(it.Key()) || !validText(it.Value()) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if !validText(v.Index(i)) {
				return false
			}
		}
	}
	return true
}

// jsonArgs is jsonArg of each of vs.
func jsonArgs(vs ...any) ([]any, error) {
	out := make([]any, len(vs))
	for i, v := range vs {
		var err error
		if out[i], err = jsonArg(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pgCode is the SQLSTATE of err and the constraint it names, or "".
func pgCode(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

// The SQLSTATEs the store tells apart.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeBadEncoding         = "22021" // character_not_in_repertoire: NUL or invalid UTF-8 in text
	codeUntranslatable      = "22P05" // untranslatable_character: \u0000 in jsonb
)

// errNotUTF8Text is the error for text PostgreSQL cannot store: a NUL byte
// or invalid UTF-8 (which the server refuses), or invalid UTF-8 bound for
// a jsonb column (which encoding/json would replace).
var errNotUTF8Text = errors.New("text holds a NUL byte or invalid UTF-8, which PostgreSQL cannot store")

// The partial unique indexes of api-notes §11; a violation of either is
// gateway.ErrDuplicateOrder, any other unique violation gateway.ErrConflict.
const (
	livePaymentOrderIndex = "payments_live_order_id"
	livePayoutOrderIndex  = "payouts_live_order_id"
)

// writeErr wraps a failed write: a live order_id taken is
// gateway.ErrDuplicateOrder, any other unique key taken gateway.ErrConflict,
// text PostgreSQL cannot hold errNotUTF8Text.
func writeErr(what string, err error) error {
	switch code, constraint := pgCode(err); {
	case code == codeUniqueViolation && (constraint == livePaymentOrderIndex || constraint == livePayoutOrderIndex):
		return fmt.Errorf("postgres: %s: %w (%v)", what, gateway.ErrDuplicateOrder, err)
	case code == codeUniqueViolation:
		return fmt.Errorf("postgres: %s: %w (%v)", what, gateway.ErrConflict, err)
	case code == codeBadEncoding || code == codeUntranslatable:
		return fmt.Errorf("postgres: %s: %w (%w)", what, errNotUTF8Text, err)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// readErr wraps a failed read, as gateway.ErrNotFound when there was no row.
func readErr(what string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", what, gateway.ErrNotFound)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

func ptr[T any](v T) *T { return &v }
