package card

// The sandbox test cards published in the AliKassa docs (api-notes §8): any
// unexpired expiry and any CVC.
const (
	TestCardPaid = "4242424242424242" // approved: the payment ends paid
	TestCardFail = "5555555555554444" // declined: the payment ends fail
)

// SandboxOutcome is the sandbox acquirer's answer for a card: TestCardPaid
// is approved, every other card is declined. reason is "" when approved, and
// otherwise a sentence for the payment record and the merchant; it shows at
// most the test card's published number, never the card's own digits.
func SandboxOutcome(n Number) (approved bool, reason string) {
	switch n.Digits() {
	case TestCardPaid:
		return true, ""
	case TestCardFail:
		return false, "Declined by the issuer: the sandbox test card that always fails."
	}
	return false, "Declined by the sandbox acquirer: it approves only its success test card (the one ending in 4242)."
}
