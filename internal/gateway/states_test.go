package gateway

import "testing"

// TestTransitionTable lists every (phase, event) pair and its outcome, so a
// change to the table is a change to this test.
func TestTransitionTable(t *testing.T) {
	phases := []Phase{PhaseCreated, PhaseChallenging, PhaseAuthenticated, PhaseAuthorizing, PhasePaid, PhaseFailed, PhaseCancelled}
	events := []Event{EventSubmitCard, EventAnswerChallenge, EventClaimAuth, EventAuthorized, EventDeclined, EventExpire, EventCancel}
	want := map[Phase]map[Event]Phase{
		PhaseCreated:       {EventSubmitCard: PhaseChallenging, EventExpire: PhaseCancelled, EventCancel: PhaseCancelled},
		PhaseChallenging:   {EventAnswerChallenge: PhaseAuthenticated, EventExpire: PhaseCancelled, EventCancel: PhaseCancelled},
		PhaseAuthenticated: {EventClaimAuth: PhaseAuthorizing, EventExpire: PhaseCancelled, EventCancel: PhaseCancelled},
		PhaseAuthorizing:   {EventClaimAuth: PhaseAuthorizing, EventAuthorized: PhasePaid, EventDeclined: PhaseFailed},
	}
	for _, from := range phases {
		for _, ev := range events {
			got, err := Next(from, ev)
			w, ok := want[from][ev]
			switch {
			case ok && (err != nil || got != w):
				t.Errorf("%s --%s--> %q, %v; want %s", from, ev, got, err, w)
			case !ok && err == nil:
				t.Errorf("%s --%s--> %s; want refused", from, ev, got)
			}
		}
	}
}

func TestPhaseOf(t *testing.T) {
	cases := []struct {
		p    Payment
		want Phase
	}{
		{Payment{Status: StatusWait, ThreeDS: ThreeDSNone, AuthState: AuthNone}, PhaseCreated},
		{Payment{Status: StatusWait, ThreeDS: ThreeDSChallenge, AuthState: AuthNone}, PhaseChallenging},
		{Payment{Status: StatusWait, ThreeDS: ThreeDSPassed, AuthState: AuthNone}, PhaseAuthenticated},
		{Payment{Status: StatusWait, ThreeDS: ThreeDSFailed, AuthState: AuthNone}, PhaseAuthenticated},
		{Payment{Status: StatusWait, ThreeDS: ThreeDSPassed, AuthState: AuthClaimed}, PhaseAuthorizing},
		{Payment{Status: StatusPaid, ThreeDS: ThreeDSPassed, AuthState: AuthDone}, PhasePaid},
		{Payment{Status: StatusFail, ThreeDS: ThreeDSFailed, AuthState: AuthDone}, PhaseFailed},
		{Payment{Status: StatusCancel, ThreeDS: ThreeDSChallenge, AuthState: AuthNone}, PhaseCancelled},
	}
	for _, c := range cases {
		if got := PhaseOf(&c.p); got != c.want {
			t.Errorf("PhaseOf(%s/%s/%s) = %s, want %s", c.p.Status, c.p.ThreeDS, c.p.AuthState, got, c.want)
		}
	}
}
