package card

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateCVC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		input string
		err   error
	}{
		{"913", nil},
		{"077", nil}, // the docs' example: the leading zero is a digit
		{"000", nil},
		{"1234", nil}, // American Express CIDs have four digits
		{" 913 ", nil},
		{"", ErrCVCMissing},
		{"   ", ErrCVCMissing},
		{"77", ErrCVCFormat},
		{"12345", ErrCVCFormat},
		{"9 13", ErrCVCFormat},
		{"91a", ErrCVCFormat},
		{"-913", ErrCVCFormat},
		{"+913", ErrCVCFormat},
		{"９１３", ErrCVCFormat},
	}
	for _, tt := range tests {
		err := ValidateCVC(tt.input)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("ValidateCVC(%q) = %v, want %v", tt.input, err, tt.err)
		}
		if err != nil && strings.ContainsAny(err.Error(), "0123456789") && !strings.Contains(err.Error(), "3 or 4") {
			t.Errorf("ValidateCVC(%q) error %q echoes digits", tt.input, err)
		}
		var cardErr *Error
		if err != nil && (!errors.As(err, &cardErr) || cardErr.Field != FieldCVC) {
			t.Errorf("ValidateCVC(%q) error %v is not a *card.Error for %s", tt.input, err, FieldCVC)
		}
	}
}
