package card

import (
	"strings"
	"testing"
)

func TestSandboxOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pan      string
		approved bool
		reason   string
	}{
		{"paid test card", TestCardPaid, true, ""},
		{"paid test card with spaces", "4242 4242 4242 4242", true, ""},
		{"fail test card", TestCardFail, false, "Declined by the issuer: the sandbox test card that always fails."},
		{"other valid card", "378282246310005", false, "Declined by the sandbox acquirer: it approves only its success test card (the one ending in 4242)."},
		{"other Visa", "4000000000000002", false, "Declined by the sandbox acquirer: it approves only its success test card (the one ending in 4242)."},
	}
	for _, tt := range tests {
		n, err := ParseNumber(tt.pan)
		if err != nil {
			t.Fatalf("%s: ParseNumber: %v", tt.name, err)
		}
		approved, reason := SandboxOutcome(n)
		if approved != tt.approved || reason != tt.reason {
			t.Errorf("%s: SandboxOutcome = (%v, %q), want (%v, %q)", tt.name, approved, reason, tt.approved, tt.reason)
		}
		if strings.Contains(reason, n.Digits()) {
			t.Errorf("%s: reason %q contains the PAN", tt.name, reason)
		}
	}
	if approved, _ := SandboxOutcome(Number{}); approved {
		t.Error("the zero Number is approved")
	}
}
