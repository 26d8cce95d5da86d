// Package acquirer holds the acquirers the gateway can authorize through.
// Today that is the sandbox, which decides by test card number as the docs
// describe: 4242 4242 4242 4242 is approved, 5555 5555 5555 4444 and every
// other card are declined.
package acquirer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync/atomic"

	"github.com/h2hpay/h2hpay/internal/card"
	"github.com/h2hpay/h2hpay/internal/gateway"
)

// Sandbox is the test acquirer. Its answer depends only on the card, so a
// repeated authorization with the same idempotency key gets the same answer
// and moves no money: that is all idempotency asks of it.
type Sandbox struct {
	calls   atomic.Int64
	payouts atomic.Int64
}

// Authorize approves the success test card and declines every other card.
func (s *Sandbox) Authorize(ctx context.Context, r gateway.AuthorizationRequest) (gateway.AuthorizationResult, error) {
	if err := ctx.Err(); err != nil {
		return gateway.AuthorizationResult{}, err
	}
	s.calls.Add(1)
	approved, reason := card.SandboxOutcome(r.Card)
	ref := sha256.Sum256([]byte("sandbox-auth/" + r.IdempotencyKey))
	return gateway.AuthorizationResult{Approved: approved, Reason: reason, Reference: "SBX" + hex.EncodeToString(ref[:6])}, nil
}

// Payout sends a sandbox payout: to a card, the same test cards decide
// (4242… paid, 5555…4444 and every other card declined); to a phone (SBP),
// a number ending in 4444 is declined and any other is paid.
func (s *Sandbox) Payout(ctx context.Context, r gateway.PayoutRequest) (gateway.AuthorizationResult, error) {
	if err := ctx.Err(); err != nil {
		return gateway.AuthorizationResult{}, err
	}
	s.payouts.Add(1)
	ref := sha256.Sum256([]byte("sandbox-payout/" + r.IdempotencyKey))
	res := gateway.AuthorizationResult{Reference: hex.EncodeToString(ref[:6])}
	if !strings.Contains(r.Service, "sbp") {
		n, err := card.ParseNumber(r.Number)
		if err != nil {
			res.Reason = "Declined by the sandbox: the number is not a card number."
			return res, nil
		}
		res.Approved, res.Reason = card.SandboxOutcome(n)
		return res, nil
	}
	if strings.HasSuffix(r.Number, "4444") {
		res.Reason = "Declined by the sandbox: SBP numbers ending in 4444 fail."
		return res, nil
	}
	res.Approved = true
	return res, nil
}

// Calls is how many authorizations this process asked for: tests use it to
// show a payment is authorized once.
func (s *Sandbox) Calls() int64 { return s.calls.Load() }
