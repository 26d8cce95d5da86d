package card

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzParseNumber checks that ParseNumber never panics, that what it accepts
// is a PAN by the package's rules, and that no printing path shows the
// digits between the first six and the last four. Seeds: testdata/fuzz.
func FuzzParseNumber(f *testing.F) {
	for _, seed := range []string{
		"4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242",
		"506900010009002", "", "4222222222222", "6200000000000000000",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			if n.Digits() != "" {
				t.Fatalf("error %v with digits", err)
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *card.Error", err)
			}
			return
		}
		d := n.Digits()
		if len(d) < 13 || len(d) > 19 {
			t.Fatalf("accepted %d digits", len(d))
		}
		if strings.Trim(d, "0123456789") != "" {
			t.Fatalf("accepted a non-digit: %q", d)
		}
		if !luhnValid([]byte(d)) {
			t.Fatalf("accepted a number failing Luhn: %q", d)
		}
		if want := strings.NewReplacer(" ", "", "-", "").Replace(s); d != want {
			t.Fatalf("Digits() = %q, want %q", d, want)
		}
		mask := n.Mask()
		if len(mask) != len(d) || mask[:6] != d[:6] || mask[len(mask)-4:] != d[len(d)-4:] ||
			strings.Trim(mask[6:len(mask)-4], "*") != "" {
			t.Fatalf("Mask() = %q for %q", mask, d)
		}
		for _, out := range []string{n.String(), fmt.Sprintf("%v %+v %#v %s %q", n, n, n, n, n)} {
			if strings.Contains(out, d) {
				t.Fatalf("output %q shows the PAN", out)
			}
		}
	})
}

// FuzzParseExpiry checks that ParseExpiry never panics and that what it
// accepts is in range and round-trips through String.
func FuzzParseExpiry(f *testing.F) {
	for _, seed := range [][2]string{
		{"12", "30"}, {"07", "2030"}, {"08", "09"}, {"13", "3"}, {"", ""}, {" 1 ", " 00 "},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, month, year string) {
		e, err := ParseExpiry(month, year)
		if err != nil {
			if e != (Expiry{}) {
				t.Fatalf("error %v with %+v", err, e)
			}
			return
		}
		if e.Month < 1 || e.Month > 12 || e.Year < 0 || e.Year > 9999 {
			t.Fatalf("accepted %+v", e)
		}
		s := e.String()
		again, err := ParseExpiry(s[:2], s[3:])
		if err != nil || again.Month != e.Month || again.Year%100 != e.Year%100 {
			t.Fatalf("String() %q does not parse back to %+v: %+v, %v", s, e, again, err)
		}
		// Expired must not panic and must be monotonic in time.
		t0 := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
		if e.Expired(t0) && !e.Expired(t0.AddDate(20000, 0, 0)) {
			t.Fatalf("%+v expired at %v but not later", e, t0)
		}
	})
}
