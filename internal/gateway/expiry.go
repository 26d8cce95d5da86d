package gateway

import (
	"context"
	"errors"
	"fmt"
)

// expireWith cancels a payment whose lifetime ran out, with its
// notification, and returns the payment as stored afterwards (which may be
// another caller's outcome if it got there first).
func (s *Service) expireWith(ctx context.Context, k *AccountKeys, p *Payment) (*Payment, error) {
	for {
		if p.Status != StatusWait || !s.expired(p) {
			return p, nil
		}
		if PhaseOf(p) == PhaseAuthorizing {
			// Confirmed in time: the authorization finishes, expiry or not.
			return p, nil
		}
		if _, err := Next(PhaseOf(p), EventExpire); err != nil {
			return nil, Internal(err)
		}
		now := s.Now()
		p.Status = StatusCancel
		p.CancelReason = "The payment's lifetime ran out."
		p.SealedCard = nil
		p.FinalAt = now
		p.UpdatedAt = now
		err := s.finish(ctx, k, p)
		if err == nil {
			s.log.Info("payment expired", "payment", p.UUID, "status", string(p.Status))
			return p, nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, err
		}
		if p, err = s.load(ctx, k.Account.UUID, p.UUID); err != nil {
			return nil, err
		}
	}
}

func (s *Service) expire(ctx context.Context, p *Payment) (*Payment, error) {
	k, err := s.Keys(ctx, p.AccountUUID)
	if err != nil {
		return nil, err
	}
	return s.expireWith(ctx, k, p)
}

// ExpireDue cancels payments whose lifetime ran out and finishes
// authorizations whose confirm died holding the lease. It returns how many
// payments it handled; the caller runs it periodically on every instance.
func (s *Service) ExpireDue(ctx context.Context, limit int) (int, error) {
	due, err := s.store.PaymentsToExpire(ctx, s.Now(), limit)
	if err != nil {
		return 0, err
	}
	var errs []error
	for i := range due {
		p := &due[i]
		if p.AuthState == AuthClaimed {
			err = s.resumeAuthorization(ctx, p)
		} else {
			_, err = s.expire(ctx, p)
		}
		if err != nil && !errors.Is(err, ErrConflict) {
			errs = append(errs, fmt.Errorf("payment %s: %w", p.UUID, err))
		}
	}
	return len(due), errors.Join(errs...)
}

// resumeAuthorization takes over an authorization whose lease ran out. The
// acquirer sees the same idempotency key, so nothing is charged twice.
func (s *Service) resumeAuthorization(ctx context.Context, p *Payment) error {
	k, err := s.Keys(ctx, p.AccountUUID)
	if err != nil {
		return err
	}
	if _, err := Next(PhaseOf(p), EventClaimAuth); err != nil || s.Now().Before(p.AuthLeaseUntil) {
		return nil
	}
	p.AuthLeaseUntil = s.Now().Add(s.authLease)
	p.UpdatedAt = s.Now()
	if err := s.store.UpdatePayment(ctx, p, nil, nil); err != nil {
		return err
	}
	s.log.Warn("resuming an authorization whose confirm did not finish", "payment", p.UUID)
	_, err = s.authorize(ctx, k, p)
	return err
}
