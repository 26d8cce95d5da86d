package card

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		want  string // digits; "" when wantErr is set
		err   *Error
	}{
		{"test card paid", "4242424242424242", "4242424242424242", nil},
		{"test card fail", "5555555555554444", "5555555555554444", nil},
		{"spaces", "4242 4242 4242 4242", "4242424242424242", nil},
		{"dashes", "4242-4242-4242-4242", "4242424242424242", nil},
		{"surrounding and doubled spaces", "  4242  4242-4242 - 4242 ", "4242424242424242", nil},
		{"13 digits", "4222222222222", "4222222222222", nil},
		{"15 digits amex", "378282246310005", "378282246310005", nil},
		{"19 digits", "6200000000000000000", "6200000000000000000", nil},
		{"leading zero kept", "0000000000000", "0000000000000", nil},

		{"empty", "", "", ErrNumberMissing},
		{"only separators", " - -  ", "", ErrNumberMissing},
		{"spec example card fails Luhn", "506900010009002", "", ErrNumberLuhn},
		{"one digit off", "4242424242424241", "", ErrNumberLuhn},
		{"12 digits", "424242424242", "", ErrNumberLength},
		{"20 digits", "42424242424242424242", "", ErrNumberLength},
		{"letters", "4242x42424242424", "", ErrNumberFormat},
		{"tab", "4242\t4242424242424242", "", ErrNumberFormat},
		{"newline", "4242424242424242\n", "", ErrNumberFormat},
		{"dot", "4242.4242.4242.4242", "", ErrNumberFormat},
		{"plus sign", "+4242424242424242", "", ErrNumberFormat},
		{"fullwidth digits", "４２４２４２４２４２４２４２４２", "", ErrNumberFormat},
		{"arabic-indic digits", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "", ErrNumberFormat},
		{"non-breaking space", "4242\u00a04242424242424242", "", ErrNumberFormat},
		{"invalid UTF-8", "4242\xff424242424242", "", ErrNumberFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := ParseNumber(tt.input)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseNumber error = %v, want %v", err, tt.err)
				}
				if n.Digits() != "" {
					t.Errorf("failed ParseNumber returned digits %q", n.Digits())
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNumber: %v", err)
			}
			if got := n.Digits(); got != tt.want {
				t.Errorf("Digits() = %q, want %q", got, tt.want)
			}
		})
	}
}

// The errors must name the field and must never carry the input, not even
// part of it (IT-13).
func TestParseNumberErrorsAreSafe(t *testing.T) {
	t.Parallel()
	inputs := []string{
		"506900010009002", "4242424242424241", "424242424242", "4242x42424242424",
		"42424242424242424242", "",
	}
	for _, input := range inputs {
		_, err := ParseNumber(input)
		var cardErr *Error
		if !errors.As(err, &cardErr) {
			t.Fatalf("ParseNumber(%q) error %T is not *card.Error", input, err)
		}
		if cardErr.Field != FieldNumber {
			t.Errorf("ParseNumber(%q) error field = %q, want %q", input, cardErr.Field, FieldNumber)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "0123456789") && !strings.Contains(msg, "13 to 19") {
			t.Errorf("ParseNumber(%q) error %q contains digits", input, msg)
		}
		if !strings.HasPrefix(msg, "The card number ") || !strings.HasSuffix(msg, ".") {
			t.Errorf("ParseNumber(%q) error %q is not a sentence about the card number", input, msg)
		}
	}
}

func TestNumberParts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pan, first6, last4, mask, brand string
	}{
		{"4242424242424242", "424242", "4242", "424242******4242", "visa"},
		{"5555555555554444", "555555", "4444", "555555******4444", "mastercard"},
		{"2223003122003222", "222300", "3222", "222300******3222", "mastercard"},
		{"2200000000000004", "220000", "0004", "220000******0004", "mir"},
		{"378282246310005", "378282", "0005", "378282*****0005", "amex"},
		{"6200000000000005", "620000", "0005", "620000******0005", "unionpay"},
		{"6767700000000005", "676770", "0005", "676770******0005", "maestro"},
		{"5018000000000009", "501800", "0009", "501800******0009", "maestro"},
		{"6011111111111117", "601111", "1117", "601111******1117", ""}, // Discover: not a brand we name
		{"4222222222222", "422222", "2222", "422222***2222", "visa"},
		{"6200000000000000000", "620000", "0000", "620000*********0000", "unionpay"},
	}
	for _, tt := range tests {
		n, err := ParseNumber(tt.pan)
		if err != nil {
			t.Fatalf("ParseNumber(%q): %v", tt.pan, err)
		}
		if got := n.First6(); got != tt.first6 {
			t.Errorf("%s First6() = %q, want %q", tt.mask, got, tt.first6)
		}
		if got := n.Last4(); got != tt.last4 {
			t.Errorf("%s Last4() = %q, want %q", tt.mask, got, tt.last4)
		}
		if got := n.Mask(); got != tt.mask {
			t.Errorf("%s Mask() = %q, want %q", tt.mask, got, tt.mask)
		}
		if len(n.Mask()) != len(tt.pan) {
			t.Errorf("%s Mask() length %d, want the PAN's %d", tt.mask, len(n.Mask()), len(tt.pan))
		}
		if got := n.Brand(); got != tt.brand {
			t.Errorf("%s Brand() = %q, want %q", tt.mask, got, tt.brand)
		}
	}
}

func TestNumberZero(t *testing.T) {
	t.Parallel()
	var n Number
	for name, got := range map[string]string{
		"Digits": n.Digits(), "First6": n.First6(), "Last4": n.Last4(),
		"Mask": n.Mask(), "String": n.String(), "Brand": n.Brand(),
	} {
		if got != "" {
			t.Errorf("zero Number %s() = %q, want empty", name, got)
		}
	}
	if got := fmt.Sprint(n); got != "" {
		t.Errorf("fmt.Sprint(zero Number) = %q, want empty", got)
	}
}

func TestNumberEqual(t *testing.T) {
	t.Parallel()
	a, _ := ParseNumber("4242424242424242")
	b, _ := ParseNumber("4242 4242 4242 4242")
	c, _ := ParseNumber(TestCardFail)
	if !a.Equal(b) {
		t.Error("the same PAN written two ways is not Equal")
	}
	if a.Equal(c) {
		t.Error("different PANs are Equal")
	}
}

// TestNumberNeverPrintsDigits is IT-13 for this package: every way a program
// might describe a Number shows the mask, never the PAN.
func TestNumberNeverPrintsDigits(t *testing.T) {
	t.Parallel()
	const pan = "4242424242424242"
	const middle = "424242424242" // any 12 consecutive digits of the PAN
	n, err := ParseNumber("4242 4242 4242 4242")
	if err != nil {
		t.Fatal(err)
	}

	type exported struct {
		Card Number
		Ptr  *Number
	}
	type unexported struct {
		card Number
		ptr  *Number
	}
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%20s", "%-20v", "%.3s"} {
		outputs[verb] = fmt.Sprintf(verb, n)
		outputs[verb+" pointer"] = fmt.Sprintf(verb, &n)
		outputs[verb+" exported field"] = fmt.Sprintf(verb, exported{n, &n})
		outputs[verb+" unexported field"] = fmt.Sprintf(verb, unexported{n, &n})
		outputs[verb+" slice"] = fmt.Sprintf(verb, []Number{n})
		outputs[verb+" map"] = fmt.Sprintf(verb, map[string]any{"card": n})
	}
	outputs["Sprint"] = fmt.Sprint(n)
	outputs["Sprintln"] = fmt.Sprintln(n, &n)
	outputs["error wrap"] = fmt.Errorf("charging %v: %w", n, errors.New("declined")).Error()

	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		logger := slog.New(h(&buf))
		logger.Info("card", "card", n, "ptr", &n, "any", any(n),
			"exported", exported{n, &n}, "unexported", unexported{n, &n},
			slog.Group("g", "card", n))
		outputs[name] = buf.String()
		if !strings.Contains(buf.String(), "424242******4242") {
			t.Errorf("%s output lacks the mask: %s", name, buf.String())
		}
	}

	for name, v := range map[string]any{
		"json value":    n,
		"json pointer":  &n,
		"json exported": exported{n, &n},
		"json map":      map[string]Number{"card": n},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		outputs[name] = string(b)
	}
	text, _ := n.MarshalText()
	outputs["MarshalText"] = string(text)

	for name, out := range outputs {
		if strings.Contains(out, pan) || strings.Contains(out, middle) {
			t.Errorf("%s prints the PAN: %s", name, out)
		}
		// Hex and other encodings of the PAN would leak too.
		if strings.Contains(out, fmt.Sprintf("%x", pan)) || strings.Contains(out, fmt.Sprintf("%X", pan)) {
			t.Errorf("%s prints the PAN in hex: %s", name, out)
		}
	}

	// The masked form is what the common paths show.
	for _, verb := range []string{"%v", "%+v", "%s"} {
		if got := outputs[verb]; got != "424242******4242" {
			t.Errorf("fmt %s = %q, want the mask", verb, got)
		}
	}
	if got := outputs["%q"]; got != `"424242******4242"` {
		t.Errorf(`fmt %%q = %s, want "424242******4242"`, got)
	}
	if got := outputs["%#v"]; got != `card.Number("424242******4242")` {
		t.Errorf("fmt %%#v = %s", got)
	}
	if got := outputs["json value"]; got != `"424242******4242"` {
		t.Errorf("json.Marshal = %s, want the mask", got)
	}
}
