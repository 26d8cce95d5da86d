package card

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Expiry is a card's expiry month. Year has four digits.
type Expiry struct {
	Month int // 1–12
	Year  int // four digits, e.g. 2030
}

// ParseExpiry parses the card_month and card_year fields of an H2H request.
//
// Surrounding whitespace is trimmed; inside, only ASCII digits are allowed (no
// signs, spaces or other numerals). The month has one or two digits and is
// read in base 10, so "07", "7", "08" and "09" all work; its value must be 1
// to 12. The year has two digits (meaning 20yy) or four.
//
// The error is ErrMonthMissing, ErrMonthFormat, ErrYearMissing or
// ErrYearFormat. When both fields are wrong it joins the two, so errors.Is
// matches each. ParseExpiry does not check whether the card has expired; see
// [Expiry.Expired].
func ParseExpiry(month, year string) (Expiry, error) {
	m, monthErr := parseMonth(month)
	y, yearErr := parseYear(year)
	switch {
	case monthErr != nil && yearErr != nil:
		return Expiry{}, errors.Join(monthErr, yearErr)
	case monthErr != nil:
		return Expiry{}, monthErr
	case yearErr != nil:
		return Expiry{}, yearErr
	}
	return Expiry{Month: m, Year: y}, nil
}

func parseMonth(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrMonthMissing
	}
	m, ok := parseDecimal(s)
	if !ok || len(s) > 2 || m < 1 || m > 12 {
		return 0, ErrMonthFormat
	}
	return m, nil
}

func parseYear(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrYearMissing
	}
	y, ok := parseDecimal(s)
	switch {
	case !ok:
		return 0, ErrYearFormat
	case len(s) == 2:
		return 2000 + y, nil
	case len(s) == 4:
		return y, nil
	}
	return 0, ErrYearFormat
}

// parseDecimal reads up to four ASCII digits in base 10. It is not
// strconv.Atoi because that accepts a sign ("+7", "-0"), and base-0 parsing
// would read "08" as invalid octal.
func parseDecimal(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// Expired reports whether the card has expired at now. A card is valid
// through the last day of its expiry month, in UTC: 12/30 is valid until
// 2031-01-01T00:00:00Z and expired from that instant on.
func (e Expiry) Expired(now time.Time) bool {
	// time.Date normalizes month 13 to January of the next year.
	firstInvalid := time.Date(e.Year, time.Month(e.Month)+1, 1, 0, 0, 0, 0, time.UTC)
	return !now.Before(firstInvalid)
}

// String returns the expiry as printed on the card: "12/30".
func (e Expiry) String() string {
	return fmt.Sprintf("%02d/%02d", e.Month, e.Year%100)
}
