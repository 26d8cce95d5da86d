package gateway

import (
	"context"

	"github.com/h2hpay/h2hpay/internal/card"
	"github.com/h2hpay/h2hpay/internal/money"
)

// Acquirer authorizes card payments. Implementations must treat
// IdempotencyKey as the identity of the charge: asked twice with the same
// key (a confirm retried after a crash), they return the first result and
// do not charge again.
type Acquirer interface {
	Authorize(ctx context.Context, r AuthorizationRequest) (AuthorizationResult, error)
	// Payout sends money to a card or phone number.
	Payout(ctx context.Context, r PayoutRequest) (AuthorizationResult, error)
}

// PayoutRequest is one payout to send. Number lives only in memory.
type PayoutRequest struct {
	IdempotencyKey string // the payout uuid
	Service        string
	Number         string // card digits, or a phone number for SBP
	Amount         money.Amount
	Currency       string
}

// AuthorizationRequest is one charge. Card and Expiry live only in memory.
type AuthorizationRequest struct {
	IdempotencyKey string // the payment uuid
	Card           card.Number
	Expiry         card.Expiry
	Amount         money.Amount
	Currency       string
}

// AuthorizationResult is the acquirer's answer. Reason explains a decline in
// words an operator and a merchant can act on.
type AuthorizationResult struct {
	Approved  bool
	Reason    string
	Reference string
}

// CardVault seals card data at rest (internal/vault). aad binds a sealed
// value to its payment.
type CardVault interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}
