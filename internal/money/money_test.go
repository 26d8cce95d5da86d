package money

import (
	"encoding/json"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]Amount{
		"500": 50000, "500.00": 50000, "500.5": 50050, "500.50": 50050, "8.20": 820,
		"19.99": 1999, "0.01": 1, "0": 0, "999999999.99": 99999999999, "007": 700,
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := []string{"", "10.005", "1,000.00", "5e2", "-5", "+5", " 5", "5 ", "1000000000.00",
		"5.", ".5", "0x10", "5.0.0", "NaN", "Infinity", "١٢"}
	for _, in := range bad {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %d, want error", in, got)
		}
	}
}

func TestParseJSON(t *testing.T) {
	cases := map[string]Amount{`500`: 50000, `"500"`: 50000, `"500.00"`: 50000, `500.5`: 50050, `1000.44`: 100044, `"1000.44"`: 100044}
	for in, want := range cases {
		got, err := ParseJSON(json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("ParseJSON(%s) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{`5e2`, `-5`, `"10.005"`, `null`, `true`, `{}`, `[]`, `"5e2"`, `1.0e2`} {
		if got, err := ParseJSON(json.RawMessage(in)); err == nil {
			t.Errorf("ParseJSON(%s) = %d, want error", in, got)
		}
	}
}

func TestString(t *testing.T) {
	cases := []struct {
		a     Amount
		scale int
		want  string
	}{
		{50000, 2, "500.00"}, {50050, 2, "500.50"}, {1, 2, "0.01"}, {0, 2, "0.00"},
		{500000, 9, "5000.000000000"}, {9384, 8, "93.84000000"}, {-150, 2, "-1.50"},
	}
	for _, c := range cases {
		if got := c.a.StringScale(c.scale); got != c.want {
			t.Errorf("%d.StringScale(%d) = %q, want %q", c.a, c.scale, got, c.want)
		}
	}
	b, _ := json.Marshal(Amount(820))
	if string(b) != `"8.20"` {
		t.Errorf("json = %s", b)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"500", "500.00", "0.1", "10.005", "5e2", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(a.String())
		if err != nil || back != a {
			t.Fatalf("round trip %q -> %q -> %d, %v", s, a.String(), back, err)
		}
	})
}

func TestParseScaled(t *testing.T) {
	for in, want := range map[string]Amount{"93.84000000": 9384, "5000.000000000": 500000, "0.00000000": 0, "500": 50000, "1.5": 150} {
		if got, err := ParseScaled(in); err != nil || got != want {
			t.Errorf("ParseScaled(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"93.84000001", "1.005", "x", "-1.00000000"} {
		if _, err := ParseScaled(in); err == nil {
			t.Errorf("ParseScaled(%q) accepted", in)
		}
	}
}
