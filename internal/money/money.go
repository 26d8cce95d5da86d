// Package money holds Amount, the exact amount type used from the wire to the
// database. Amounts in this API are decimal major units with at most two
// decimal places, so an Amount is an integer count of minor units (kopecks,
// cents): exact, comparable, and never a float.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Amount is an exact amount in minor units (1/100 of the currency unit).
type Amount int64

// MaxMajorDigits is the largest number of digits before the decimal point an
// amount may have on the wire (decimal(11,2) in the docs).
const MaxMajorDigits = 9

// ErrFormat is returned for text that is not a plain decimal amount.
var ErrFormat = errors.New("money: not a decimal amount with at most 2 decimal places")

// Parse reads a plain decimal amount: 1 to 9 digits, optionally a point and 1
// or 2 more digits ("500", "500.5", "500.00"). Signs, exponents, spaces and
// thousands separators are rejected rather than guessed at (api-notes §10).
// Zero is accepted here; whether zero is allowed is the caller's rule.
func Parse(s string) (Amount, error) {
	major, minor, hasPoint := strings.Cut(s, ".")
	if len(major) == 0 || len(major) > MaxMajorDigits || !allDigits(major) {
		return 0, ErrFormat
	}
	if hasPoint && (len(minor) == 0 || len(minor) > 2 || !allDigits(minor)) {
		return 0, ErrFormat
	}
	m, err := strconv.ParseInt(major, 10, 64)
	if err != nil {
		return 0, ErrFormat
	}
	var cents int64
	switch len(minor) {
	case 1:
		cents = int64(minor[0]-'0') * 10
	case 2:
		cents = int64(minor[0]-'0')*10 + int64(minor[1]-'0')
	}
	return Amount(m*100 + cents), nil
}

// MustParse is Parse for constants in tests and examples; it panics on bad input.
func MustParse(s string) Amount {
	a, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("money.MustParse(%q): %v", s, err))
	}
	return a
}

// FromMinor makes an Amount from a count of minor units.
func FromMinor(minor int64) Amount { return Amount(minor) }

// Minor returns the amount in minor units.
func (a Amount) Minor() int64 { return int64(a) }

// String formats the amount with two decimals, as every answer shows it: "500.00".
func (a Amount) String() string { return a.StringScale(2) }

// StringScale formats the amount with scale decimal places (at least 2): the
// history answer uses 9 and the balance answer 8, as the docs show.
func (a Amount) StringScale(scale int) string {
	if scale < 2 {
		scale = 2
	}
	neg := a < 0
	v := int64(a)
	if neg {
		v = -v
	}
	s := fmt.Sprintf("%d.%02d%s", v/100, v%100, strings.Repeat("0", scale-2))
	if neg {
		return "-" + s
	}
	return s
}

// Add returns a+b.
func (a Amount) Add(b Amount) Amount { return a + b }

// Sub returns a-b.
func (a Amount) Sub(b Amount) Amount { return a - b }

// MarshalJSON writes the amount as a 2-decimal JSON string ("500.00").
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(`"` + a.String() + `"`), nil }

// UnmarshalJSON accepts a JSON number or a JSON string holding a plain decimal
// amount, by its literal text: never through float64.
func (a *Amount) UnmarshalJSON(b []byte) error {
	v, err := ParseJSON(b)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ParseScaled reads a decimal amount written with more than 2 decimal
// places, as the history (9) and balance (8) answers write them: the places
// beyond the second must be zeros, so nothing is rounded.
func ParseScaled(s string) (Amount, error) {
	major, minor, ok := strings.Cut(s, ".")
	if ok && len(minor) > 2 {
		if strings.Trim(minor[2:], "0") != "" {
			return 0, ErrFormat
		}
		s = major + "." + minor[:2]
	}
	return Parse(s)
}

// ParseJSON reads an amount from a raw JSON value: a number literal or a string,
// both by their exact text (500, "500", "500.00", 500.5).
func ParseJSON(raw json.RawMessage) (Amount, error) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal([]byte(s), &str); err != nil {
			return 0, ErrFormat
		}
		return Parse(str)
	}
	return Parse(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
