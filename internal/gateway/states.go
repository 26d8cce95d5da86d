package gateway

import "fmt"

// Phase is where a payment is in its life, derived from Status, ThreeDS and
// AuthState. The transition table below is the one place that says which
// event may move a payment out of which phase; docs/payment-states.md draws it.
type Phase string

// The phases.
const (
	PhaseCreated       Phase = "created"       // wait; no card yet
	PhaseChallenging   Phase = "challenging"   // wait; card stored, payer at the 3-D Secure page
	PhaseAuthenticated Phase = "authenticated" // wait; challenge answered, waiting for confirm
	PhaseAuthorizing   Phase = "authorizing"   // wait; a confirm holds the authorization lease
	PhasePaid          Phase = "paid"
	PhaseFailed        Phase = "failed"
	PhaseCancelled     Phase = "cancelled"
)

// PhaseOf derives the phase of a payment.
func PhaseOf(p *Payment) Phase {
	switch p.Status {
	case StatusPaid:
		return PhasePaid
	case StatusFail:
		return PhaseFailed
	case StatusCancel:
		return PhaseCancelled
	}
	switch {
	case p.AuthState == AuthClaimed:
		return PhaseAuthorizing
	case p.ThreeDS == ThreeDSChallenge:
		return PhaseChallenging
	case p.ThreeDS == ThreeDSPassed || p.ThreeDS == ThreeDSFailed || p.ThreeDS == ThreeDSCancelled:
		return PhaseAuthenticated
	}
	return PhaseCreated
}

// Event is something that may change a payment.
type Event string

// The events.
const (
	EventSubmitCard      Event = "submit_card"      // H2H step 2
	EventAnswerChallenge Event = "answer_challenge" // the payer passes or fails 3-D Secure
	EventClaimAuth       Event = "claim_auth"       // confirm (or the expirer) takes the authorization lease
	EventAuthorized      Event = "authorized"       // the acquirer approved
	EventDeclined        Event = "declined"         // the acquirer declined, or 3-D Secure failed
	EventExpire          Event = "expire"           // the lifetime ran out
	EventCancel          Event = "cancel"           // the payer cancels on the hosted page
)

// transitions maps (phase, event) to the next phase. A pair that is not in
// the table is refused: final phases have no entries at all.
var transitions = map[Phase]map[Event]Phase{
	PhaseCreated: {
		EventSubmitCard: PhaseChallenging,
		EventExpire:     PhaseCancelled,
		EventCancel:     PhaseCancelled,
	},
	PhaseChallenging: {
		EventAnswerChallenge: PhaseAuthenticated,
		EventExpire:          PhaseCancelled,
		EventCancel:          PhaseCancelled,
	},
	PhaseAuthenticated: {
		EventClaimAuth: PhaseAuthorizing,
		EventExpire:    PhaseCancelled,
		EventCancel:    PhaseCancelled,
	},
	PhaseAuthorizing: {
		// Taking over an authorization whose lease ran out (its confirm died).
		EventClaimAuth:  PhaseAuthorizing,
		EventAuthorized: PhasePaid,
		EventDeclined:   PhaseFailed,
	},
}

// Next returns the phase an event moves a payment in phase from to, or an
// error when the table does not allow it.
func Next(from Phase, ev Event) (Phase, error) {
	to, ok := transitions[from][ev]
	if !ok {
		return "", fmt.Errorf("no transition from %s on %s", from, ev)
	}
	return to, nil
}
