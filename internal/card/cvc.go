package card

import "strings"

// ValidateCVC checks a card security code: 3 or 4 ASCII digits after
// trimming surrounding whitespace. Leading zeros are digits like any other,
// so "077" (the docs' example) is valid; this is why the CVC must travel as
// a string, never as a JSON number.
//
// There is deliberately no CVC type: the gateway never stores the code, it
// only checks it. The error is ErrCVCMissing or ErrCVCFormat and never
// contains the input.
func ValidateCVC(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return ErrCVCMissing
	}
	if len(s) < 3 || len(s) > 4 {
		return ErrCVCFormat
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrCVCFormat
		}
	}
	return nil
}
