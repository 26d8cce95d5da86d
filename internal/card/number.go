package card

import (
	"fmt"
	"io"
	"log/slog"
)

// Number is a card number (PAN) that passed [ParseNumber]: 13 to 19 digits
// with a valid Luhn check digit.
//
// A Number prints masked everywhere ("424242******4242"): String, GoString,
// every fmt verb, slog, JSON and text marshalling. [Number.Digits] is the only
// way to read the full PAN.
//
// The digits sit behind a pointer, not in a string field, because fmt prints
// a struct's unexported fields by reflection without calling their methods:
// a Number inside an unexported field of another struct, printed with %v,
// would otherwise show the full PAN. Behind a pointer fmt shows only an
// address. The zero-length func array makes Number incomparable, so == (which
// would compare pointers, not digits) does not compile; use [Number.Equal].
// The zero Number holds no digits and masks to "".
type Number struct {
	_      [0]func()
	digits *string
}

// ParseNumber parses a card number. It removes spaces and dashes, then
// requires digits only, 13 to 19 of them, and a valid Luhn check digit.
//
// The error is one of ErrNumberMissing, ErrNumberFormat, ErrNumberLength or
// ErrNumberLuhn; none of them contains the input.
func ParseNumber(s string) (Number, error) {
	// Validate and count first, so a huge input is rejected without
	// copying it.
	count := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			count++
		case c == ' ' || c == '-':
		default:
			return Number{}, ErrNumberFormat
		}
	}
	switch {
	case count == 0:
		return Number{}, ErrNumberMissing
	case count < 13 || count > 19:
		return Number{}, ErrNumberLength
	}
	digits := make([]byte, 0, count)
	for i := 0; i < len(s); i++ {
		if c := s[i]; '0' <= c && c <= '9' {
			digits = append(digits, c)
		}
	}
	if !luhnValid(digits) {
		return Number{}, ErrNumberLuhn
	}
	pan := string(digits)
	return Number{digits: &pan}, nil
}

// luhnValid reports whether the last digit of digits is the Luhn check digit
// of the others (ISO/IEC 7812-1). digits must hold ASCII digits only.
func luhnValid(digits []byte) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// Digits returns the full card number, digits only. It is the only way to
// get the raw PAN out of a Number: call it only where the PAN must go (the
// acquirer), never to log or display; use [Number.Mask] for that.
func (n Number) Digits() string {
	if n.digits == nil {
		return ""
	}
	return *n.digits
}

// Equal reports whether n and other hold the same digits.
func (n Number) Equal(other Number) bool { return n.Digits() == other.Digits() }

// First6 returns the first six digits, the issuer identification number
// (IIN/BIN). It is "" for the zero Number.
func (n Number) First6() string {
	d := n.Digits()
	if len(d) < 6 {
		return ""
	}
	return d[:6]
}

// Last4 returns the last four digits, or "" for the zero Number.
func (n Number) Last4() string {
	d := n.Digits()
	if len(d) < 4 {
		return ""
	}
	return d[len(d)-4:]
}

// Mask returns the number with all but the first six and the last four
// digits replaced by '*', keeping its length: "424242******4242". This is the
// form PCI DSS allows to display, and the card_mask of the status responses.
// It is "" for the zero Number.
func (n Number) Mask() string {
	d := n.Digits()
	if len(d) < 10 {
		return ""
	}
	masked := []byte(d)
	for i := 6; i < len(masked)-4; i++ {
		masked[i] = '*'
	}
	return string(masked)
}

// String returns [Number.Mask].
func (n Number) String() string { return n.Mask() }

// GoString returns the masked number in Go syntax, for %#v.
func (n Number) GoString() string { return fmt.Sprintf("card.Number(%q)", n.Mask()) }

// Format prints the masked number for every verb. %s, %q and %v honour
// width and flags as they would for the masked string; %#v prints GoString.
func (n Number) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, n.GoString())
	case verb == 'v' || verb == 's' || verb == 'q':
		fmt.Fprintf(f, fmt.FormatString(f, verb), n.Mask())
	default:
		// %d, %x and the rest would otherwise let fmt dig into the struct.
		io.WriteString(f, n.Mask())
	}
}

// LogValue makes log/slog record the masked number.
func (n Number) LogValue() slog.Value { return slog.StringValue(n.Mask()) }

// MarshalText returns the masked number. There is no UnmarshalText: a
// masked number cannot be read back, and a Number is made only by
// [ParseNumber].
func (n Number) MarshalText() ([]byte, error) { return []byte(n.Mask()), nil }

// MarshalJSON returns the masked number as a JSON string. The mask holds
// only digits and '*', so it needs no escaping.
func (n Number) MarshalJSON() ([]byte, error) { return []byte(`"` + n.Mask() + `"`), nil }

// Brand returns the card scheme guessed from the number's prefix: "visa",
// "mastercard", "mir", "amex", "maestro", "unionpay", or "" when the prefix is
// none of these. It is good enough for display; it is not a BIN table and
// never decides whether a card is accepted.
func (n Number) Brand() string {
	d := n.Digits()
	if len(d) < 6 {
		return ""
	}
	prefix := func(k int) int { // the first k digits as a number
		v := 0
		for i := 0; i < k; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	p2, p4 := prefix(2), prefix(4)
	switch {
	case d[0] == '4':
		return "visa"
	case p2 == 34 || p2 == 37:
		return "amex"
	case 2200 <= p4 && p4 <= 2204:
		return "mir"
	case 51 <= p2 && p2 <= 55, 2221 <= p4 && p4 <= 2720:
		return "mastercard"
	case p2 == 62:
		return "unionpay"
	case p2 == 50, 56 <= p2 && p2 <= 58, p2 == 63, p2 == 67:
		return "maestro"
	}
	return ""
}
