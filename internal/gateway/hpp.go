package gateway

import (
	"context"
	"errors"

	"github.com/h2hpay/h2hpay/internal/signature"
)

// The hosted payment page runs on the same calls as H2H: the page's card
// form is SubmitCard, its 3-D Secure is the same challenge, and its return
// page is Confirm. What it adds is below: the payer may cancel, and a final
// payment sends the payer back to the merchant with a signed redirect.

// CancelByPayer cancels a payment from its hosted page, with its
// notification. It is refused once the payment is being authorized or is
// final: the payer's click cannot undo a charge.
func (s *Service) CancelByPayer(ctx context.Context, uuid string) (*Payment, error) {
	for {
		p, _, err := s.PaymentForPayer(ctx, uuid)
		if err != nil {
			return nil, err
		}
		switch PhaseOf(p) {
		case PhaseCancelled:
			return p, nil
		case PhaseAuthorizing, PhasePaid, PhaseFailed:
			return nil, Errorf(CodeInvalidState, "The payment can no longer be cancelled.")
		}
		if _, err := Next(PhaseOf(p), EventCancel); err != nil {
			return nil, Internal(err)
		}
		k, err := s.Keys(ctx, p.AccountUUID)
		if err != nil {
			return nil, err
		}
		now := s.Now()
		p.Status, p.CancelReason, p.SealedCard, p.FinalAt, p.UpdatedAt = StatusCancel, "The payer cancelled on the payment page.", nil, now, now
		switch err := s.finish(ctx, k, p); {
		case errors.Is(err, ErrConflict):
			continue
		case err != nil:
			return nil, err
		}
		s.log.Info("payment cancelled by the payer", "payment", p.UUID)
		return p, nil
	}
}

// PayerRedirect is where a final hosted-page payment sends its payer: a form
// POST of order_id, uuid and sign to the success or fail URL (api-notes §7).
type PayerRedirect struct {
	URL     string
	OrderID string
	UUID    string
	Sign    string
}

// RedirectFor returns the payer's way back to the merchant for a final
// payment: the success URL for paid, the fail URL otherwise; nil when the
// payment has none (the payer stays on the gateway's result page). sign is
// made over {"order_id":…,"uuid":…} with the notification key, as the
// account's notification setting says.
func (s *Service) RedirectFor(ctx context.Context, p *Payment) (*PayerRedirect, error) {
	if !p.Status.Final() {
		return nil, nil
	}
	target := p.FailRedirectURL
	if p.Status == StatusPaid {
		target = p.SuccessRedirectURL
	}
	if target == "" {
		return nil, nil
	}
	k, err := s.Keys(ctx, p.AccountUUID)
	if err != nil {
		return nil, err
	}
	sign, err := k.signNotify(signature.RedirectFields(p.OrderID, p.UUID))
	if err != nil {
		return nil, Internal(err)
	}
	return &PayerRedirect{URL: target, OrderID: p.OrderID, UUID: p.UUID, Sign: sign}, nil
}

// HostedCard is the hosted page's card form: SubmitCard for the payer, with
// the gateway's own return page as return_url.
func (s *Service) HostedCard(ctx context.Context, r SubmitCardRequest) (*Payment, error) {
	p, _, err := s.PaymentForPayer(ctx, r.PaymentUUID)
	if err != nil {
		return nil, err
	}
	k, err := s.Keys(ctx, p.AccountUUID)
	if err != nil {
		return nil, err
	}
	return s.SubmitCard(ctx, k, r)
}

// HostedConfirm is the hosted page's return from 3-D Secure: Confirm, on
// the payer's behalf, with the fields the challenge posted.
func (s *Service) HostedConfirm(ctx context.Context, uuid string, data map[string][]string) (*Payment, error) {
	p, _, err := s.PaymentForPayer(ctx, uuid)
	if err != nil {
		return nil, err
	}
	k, err := s.Keys(ctx, p.AccountUUID)
	if err != nil {
		return nil, err
	}
	return s.Confirm(ctx, k, ConfirmRequest{PaymentUUID: uuid, Data: data})
}
