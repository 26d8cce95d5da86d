package card

import (
	"errors"
	"testing"
	"time"
)

func TestParseExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		month, year string
		want        Expiry
		errs        []*Error // all must match errors.Is
	}{
		{"two digits each", "12", "30", Expiry{12, 2030}, nil},
		{"leading zero", "07", "30", Expiry{7, 2030}, nil},
		{"no leading zero", "7", "30", Expiry{7, 2030}, nil},
		{"08 is base 10, not octal", "08", "28", Expiry{8, 2028}, nil},
		{"09 is base 10, not octal", "09", "09", Expiry{9, 2009}, nil},
		{"month 01", "01", "31", Expiry{1, 2031}, nil},
		{"four-digit year", "12", "2030", Expiry{12, 2030}, nil},
		{"year 00", "1", "00", Expiry{1, 2000}, nil},
		{"surrounding spaces trimmed", " 12 ", "\t30\n", Expiry{12, 2030}, nil},
		{"spec example year 20", "12", "20", Expiry{12, 2020}, nil},

		{"month missing", "", "30", Expiry{}, []*Error{ErrMonthMissing}},
		{"month only spaces", "  ", "30", Expiry{}, []*Error{ErrMonthMissing}},
		{"month 0", "0", "30", Expiry{}, []*Error{ErrMonthFormat}},
		{"month 00", "00", "30", Expiry{}, []*Error{ErrMonthFormat}},
		{"month 13", "13", "30", Expiry{}, []*Error{ErrMonthFormat}},
		{"month three digits", "007", "30", Expiry{}, []*Error{ErrMonthFormat}},
		{"month sign", "+7", "30", Expiry{}, []*Error{ErrMonthFormat}},
		{"month negative", "-1", "30", Expiry{}, []*Error{ErrMonthFormat}},
		{"month inner space", "0 7", "30", Expiry{}, []*Error{ErrMonthFormat}},
		{"month name", "Dec", "30", Expiry{}, []*Error{ErrMonthFormat}},
		{"month hex", "0x7", "30", Expiry{}, []*Error{ErrMonthFormat}},
		{"month fullwidth", "１２", "30", Expiry{}, []*Error{ErrMonthFormat}},

		{"year missing", "12", "", Expiry{}, []*Error{ErrYearMissing}},
		{"year one digit", "12", "3", Expiry{}, []*Error{ErrYearFormat}},
		{"year three digits", "12", "030", Expiry{}, []*Error{ErrYearFormat}},
		{"year five digits", "12", "20300", Expiry{}, []*Error{ErrYearFormat}},
		{"year inner space", "12", "20 30", Expiry{}, []*Error{ErrYearFormat}},
		{"year sign", "12", "+30", Expiry{}, []*Error{ErrYearFormat}},
		{"year with slash", "12", "/30", Expiry{}, []*Error{ErrYearFormat}},

		{"both wrong", "13", "3", Expiry{}, []*Error{ErrMonthFormat, ErrYearFormat}},
		{"both missing", "", "", Expiry{}, []*Error{ErrMonthMissing, ErrYearMissing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseExpiry(tt.month, tt.year)
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatalf("ParseExpiry(%q, %q): %v", tt.month, tt.year, err)
				}
				if got != tt.want {
					t.Errorf("ParseExpiry(%q, %q) = %+v, want %+v", tt.month, tt.year, got, tt.want)
				}
				return
			}
			for _, want := range tt.errs {
				if !errors.Is(err, want) {
					t.Errorf("ParseExpiry(%q, %q) error = %v, want it to match %q", tt.month, tt.year, err, want)
				}
			}
			if len(tt.errs) == 1 && err != tt.errs[0] {
				t.Errorf("a single-field error should be the value itself, got %#v", err)
			}
			if got != (Expiry{}) {
				t.Errorf("failed ParseExpiry returned %+v", got)
			}
		})
	}
}

func TestExpiryErrorFields(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		month, year string
		field       Field
	}{
		{"13", "30", FieldMonth},
		{"", "30", FieldMonth},
		{"12", "3", FieldYear},
		{"12", "", FieldYear},
	} {
		_, err := ParseExpiry(tt.month, tt.year)
		var cardErr *Error
		if !errors.As(err, &cardErr) || cardErr.Field != tt.field {
			t.Errorf("ParseExpiry(%q, %q) error %v: want a *card.Error for %s", tt.month, tt.year, err, tt.field)
		}
	}
}

func TestExpiryExpired(t *testing.T) {
	t.Parallel()
	moscow := time.FixedZone("MSK", 3*60*60)
	tests := []struct {
		name   string
		expiry Expiry
		now    time.Time
		want   bool
	}{
		{"well before", Expiry{12, 2030}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"first day of expiry month", Expiry{12, 2030}, time.Date(2030, 12, 1, 0, 0, 0, 0, time.UTC), false},
		{"last nanosecond of expiry month", Expiry{12, 2030}, time.Date(2030, 12, 31, 23, 59, 59, 999999999, time.UTC), false},
		{"first instant after", Expiry{12, 2030}, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"February of a leap year, last day", Expiry{2, 2028}, time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC), false},
		{"February of a leap year, March 1", Expiry{2, 2028}, time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{"UTC decides, not local time: already January in Moscow", Expiry{12, 2030}, time.Date(2031, 1, 1, 2, 0, 0, 0, moscow), false},
		{"UTC decides: January in UTC too", Expiry{12, 2030}, time.Date(2031, 1, 1, 3, 0, 0, 0, moscow), true},
		{"spec example 12/20", Expiry{12, 2020}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{"zero Expiry", Expiry{}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		if got := tt.expiry.Expired(tt.now); got != tt.want {
			t.Errorf("%s: %v.Expired(%v) = %v, want %v", tt.name, tt.expiry, tt.now, got, tt.want)
		}
	}
}

func TestExpiryString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		expiry Expiry
		want   string
	}{
		{Expiry{12, 2030}, "12/30"},
		{Expiry{7, 2030}, "07/30"},
		{Expiry{1, 2005}, "01/05"},
	} {
		if got := tt.expiry.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.expiry, got, tt.want)
		}
	}
}
