package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/card"
	"github.com/h2hpay/h2hpay/internal/threeds"
)

// SubmitCardRequest is H2H step 2: the payer's card and browser for a
// payment. Values are the text sent; "" means absent.
type SubmitCardRequest struct {
	PaymentUUID   string
	ReturnURL     string
	CardNumber    string
	CardMonth     string
	CardYear      string
	CardCVC       string
	CardFirstName string
	CardLastName  string
	Browser       BrowserInput // browser_*; browser_ip as Browser.IP
	Problems      Validation
}

// SubmitCard validates the card, keeps it sealed until authorization, and
// sends the payer to the 3-D Secure challenge. Repeated while the payment
// awaits 3-D Secure, it returns the same challenge and changes nothing.
func (s *Service) SubmitCard(ctx context.Context, k *AccountKeys, r SubmitCardRequest) (*Payment, error) {
	v := r.Problems
	now := s.Now()
	if !v.Has("payment_uuid") && r.PaymentUUID == "" {
		v.Add("payment_uuid", "The payment uuid field is required.")
	}
	if !v.Has("return_url") {
		switch {
		case r.ReturnURL == "":
			v.Add("return_url", "The return url field is required.")
		case len(r.ReturnURL) > 2000 || !isHTTPURL(r.ReturnURL):
			v.Add("return_url", "The return url must be a valid http or https URL.")
		}
	}
	// The card package's errors carry their field and a message that never
	// holds the input.
	addCardErr := func(err error) {
		var ce *card.Error
		if errors.As(err, &ce) && !v.Has(string(ce.Field)) {
			v.Add(string(ce.Field), ce.Message)
		}
	}
	number, err := card.ParseNumber(r.CardNumber)
	if err != nil {
		addCardErr(err)
	}
	expiry, err := card.ParseExpiry(r.CardMonth, r.CardYear)
	if err != nil {
		addCardErr(err)
	} else if expiry.Expired(now) {
		addCardErr(card.ErrExpired)
	}
	if err := card.ValidateCVC(r.CardCVC); err != nil {
		addCardErr(err)
	}
	maxLen(&v, "card_first_name", r.CardFirstName, 50, "card first name")
	maxLen(&v, "card_last_name", r.CardLastName, 50, "card last name")
	if err := v.Err(); err != nil {
		return nil, err
	}

	for {
		p, err := s.load(ctx, k.Account.UUID, r.PaymentUUID)
		if err != nil {
			return nil, err
		}
		if err := s.refuseIfOver(ctx, k, p); err != nil {
			return nil, err
		}
		if p.ThreeDS != ThreeDSNone {
			// Step 2 again: the stored challenge, no new authentication.
			return p, nil
		}
		if !TakesCardData(p.Service) {
			return nil, Errorf(CodeInvalidState, "The payment's service %s does not take card data.", p.Service)
		}
		if _, err := Next(PhaseOf(p), EventSubmitCard); err != nil {
			return nil, Errorf(CodeInvalidState, "The payment cannot accept card data now.")
		}
		sealed, err := s.vault.Seal(sealCard(number, expiry), []byte(p.UUID))
		if err != nil {
			return nil, Internal(err)
		}
		p.SealedCard = sealed
		p.Card = CardSummary{First6: number.First6(), Last4: number.Last4(), Brand: number.Brand(), ExpMonth: expiry.Month, ExpYear: expiry.Year}
		p.ReturnURL = withPaymentUUID(r.ReturnURL, p.UUID)
		p.PayerBrowser = r.Browser.Normalize().Merge(p.Browser)
		p.ThreeDS = ThreeDSChallenge
		p.ChallengeID = threeds.NewChallengeID()
		p.CardAt = now
		p.UpdatedAt = now
		switch err := s.store.UpdatePayment(ctx, p, nil, nil); {
		case errors.Is(err, ErrConflict):
			continue // a concurrent step 2 won: answer what it stored
		case err != nil:
			return nil, Internal(err)
		}
		s.log.Info("card submitted, 3-D Secure challenge issued", "payment", p.UUID, "card", p.Card.Mask())
		return p, nil
	}
}

// refuseIfOver answers calls that come too late: a final payment, or one
// whose lifetime ran out (which it cancels now, notification included).
func (s *Service) refuseIfOver(ctx context.Context, k *AccountKeys, p *Payment) error {
	if p.Status == StatusWait && s.expired(p) {
		var err error
		if p, err = s.expireWith(ctx, k, p); err != nil {
			return err
		}
	}
	switch p.Status {
	case StatusPaid:
		return Errorf(CodeInvalidState, "The payment is already paid.")
	case StatusFail:
		return Errorf(CodeInvalidState, "The payment has already failed.")
	case StatusCancel:
		return CancelledError(p)
	}
	return nil
}

// CancelledError is the answer to a call on a cancelled payment, saying why
// it was cancelled.
func CancelledError(p *Payment) *Error {
	why := p.CancelReason
	if why == "" {
		why = "The payment's lifetime ran out."
	}
	return Errorf(CodeInvalidState, "The payment is cancelled. %s", why)
}

// withPaymentUUID appends uuid=<uuid> to a return_url that has no uuid
// parameter: every documented confirm snippet reads it from there
// (api-notes §8). The existing query is kept byte for byte.
func withPaymentUUID(returnURL, uuid string) string {
	u, err := url.Parse(returnURL)
	if err != nil || u.Query().Has("uuid") {
		return returnURL
	}
	base, frag, hasFrag := strings.Cut(returnURL, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	out := base + sep + "uuid=" + url.QueryEscape(uuid)
	if hasFrag {
		out += "#" + frag
	}
	return out
}

func sealCard(n card.Number, e card.Expiry) []byte {
	return fmt.Appendf(nil, "%s|%02d|%04d", n.Digits(), e.Month, e.Year)
}

func openCard(plain []byte) (card.Number, card.Expiry, error) {
	parts := strings.Split(string(plain), "|")
	if len(parts) != 3 {
		return card.Number{}, card.Expiry{}, errors.New("sealed card: bad format")
	}
	n, err := card.ParseNumber(parts[0])
	if err != nil {
		return card.Number{}, card.Expiry{}, errors.New("sealed card: bad number")
	}
	e, err := card.ParseExpiry(parts[1], parts[2])
	if err != nil {
		return card.Number{}, card.Expiry{}, errors.New("sealed card: bad expiry")
	}
	return n, e, nil
}

// Challenge is what the 3-D Secure page shows.
type Challenge struct {
	Payment      *Payment
	MerchantName string
}

// Challenge returns the payment behind a challenge id, for the challenge page.
func (s *Service) Challenge(ctx context.Context, challengeID string) (*Challenge, error) {
	p, err := s.store.PaymentByChallenge(ctx, challengeID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "This 3-D Secure session does not exist.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	k, err := s.Keys(ctx, p.AccountUUID)
	if err != nil {
		return nil, err
	}
	if p.Status == StatusWait && s.expired(p) {
		if p, err = s.expireWith(ctx, k, p); err != nil {
			return nil, err
		}
	}
	return &Challenge{Payment: p, MerchantName: k.Account.Name}, nil
}

// ChallengeResult is what the payer's browser carries back to return_url.
type ChallengeResult struct {
	Payment *Payment
	PaRes   string
	MD      string
}

// AnswerChallenge records the payer's answer to the 3-D Secure challenge
// and returns the fields to post to return_url. The first answer stands: a
// second submission (back button, double click) gets the same fields and
// changes nothing. After expiry, or once the payment was cancelled, it is a
// CodeInvalidState error and nothing goes to return_url.
func (s *Service) AnswerChallenge(ctx context.Context, challengeID string, passed bool) (*ChallengeResult, error) {
	answer := ThreeDSFailed
	if passed {
		answer = ThreeDSPassed
	}
	return s.answerChallenge(ctx, challengeID, answer)
}

// CancelChallenge records that the payer cancelled on the 3-D Secure page:
// a failed authentication, with its own reason. Otherwise as AnswerChallenge.
func (s *Service) CancelChallenge(ctx context.Context, challengeID string) (*ChallengeResult, error) {
	return s.answerChallenge(ctx, challengeID, ThreeDSCancelled)
}

func (s *Service) answerChallenge(ctx context.Context, challengeID string, answer ThreeDSState) (*ChallengeResult, error) {
	for {
		c, err := s.Challenge(ctx, challengeID)
		if err != nil {
			return nil, err
		}
		p := c.Payment
		if p.Status == StatusCancel {
			return nil, CancelledError(p)
		}
		if p.ThreeDS == ThreeDSChallenge {
			if _, err := Next(PhaseOf(p), EventAnswerChallenge); err != nil {
				return nil, Errorf(CodeInvalidState, "This payment cannot be authenticated now.")
			}
			p.ThreeDS = answer
			p.ChallengeAt = s.Now()
			p.UpdatedAt = p.ChallengeAt
			switch err := s.store.UpdatePayment(ctx, p, nil, nil); {
			case errors.Is(err, ErrConflict):
				continue
			case err != nil:
				return nil, Internal(err)
			}
			s.log.Info("3-D Secure challenge answered", "payment", p.UUID, "result", string(p.ThreeDS))
		}
		return &ChallengeResult{Payment: p, PaRes: threeds.PaRes(s.threeDSKey, p.UUID, p.ChallengeID), MD: p.UUID}, nil
	}
}

// ConfirmRequest is H2H step 5: the payment and the fields the payer's
// browser posted to return_url, in any of the documented shapes (already
// flattened to name → values).
type ConfirmRequest struct {
	PaymentUUID string
	Data        map[string][]string
	Problems    Validation
}

// Confirm authorizes a payment whose payer answered the challenge and
// records the final status with its notification. It is idempotent: a
// repeated or concurrent confirm gets the first answer, and the payment is
// authorized once. The outcome is decided by the card and the recorded
// challenge, never by the contents of Data, which only have to belong to
// this payment (threeds.Check).
func (s *Service) Confirm(ctx context.Context, k *AccountKeys, r ConfirmRequest) (*Payment, error) {
	v := r.Problems
	if !v.Has("payment_uuid") && r.PaymentUUID == "" {
		v.Add("payment_uuid", "The payment uuid field is required.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	wait := 10 * time.Millisecond
	for {
		p, err := s.load(ctx, k.Account.UUID, r.PaymentUUID)
		if err != nil {
			return nil, err
		}
		if err := threeds.Check(s.threeDSKey, p.UUID, p.ChallengeID, r.Data); err != nil {
			s.log.Warn("confirm refused: 3-D Secure fields from elsewhere", "payment", p.UUID)
			return nil, Errorf(CodeInvalidState, "The 3-D Secure result in data was not issued for this payment.")
		}
		switch phase := PhaseOf(p); phase {
		case PhasePaid, PhaseFailed:
			return p, nil // the first outcome, again
		case PhaseCancelled:
			return nil, CancelledError(p)
		case PhaseCreated, PhaseChallenging, PhaseAuthenticated:
			if s.expired(p) {
				q, err := s.expireWith(ctx, k, p)
				if err != nil {
					return nil, err
				}
				if q.Status != StatusCancel {
					continue // a confirm claimed the authorization first: its outcome counts
				}
				return nil, CancelledError(q)
			}
			if phase != PhaseAuthenticated {
				return nil, Errorf(CodeInvalidState, "The payer has not completed 3-D Secure authentication yet.")
			}
		case PhaseAuthorizing:
			if s.Now().Before(p.AuthLeaseUntil) {
				// Another confirm is authorizing: wait for its outcome.
				select {
				case <-ctx.Done():
					return nil, Internal(ctx.Err())
				case <-time.After(wait):
				}
				wait = min(2*wait, 200*time.Millisecond)
				continue
			}
		}
		// Claim the authorization; the loser of a race reloads and waits.
		p.AuthState = AuthClaimed
		p.AuthLeaseUntil = s.Now().Add(s.authLease)
		p.UpdatedAt = s.Now()
		switch err := s.store.UpdatePayment(ctx, p, nil, nil); {
		case errors.Is(err, ErrConflict):
			continue
		case err != nil:
			return nil, Internal(err)
		}
		done, err := s.authorize(ctx, k, p)
		if errors.Is(err, ErrConflict) {
			continue
		}
		return done, err
	}
}

// authorize asks the acquirer (unless 3-D Secure already failed) for a
// payment whose authorization lease this caller holds, and records the
// final status, card erasure and notification in one write.
func (s *Service) authorize(ctx context.Context, k *AccountKeys, p *Payment) (*Payment, error) {
	var res AuthorizationResult
	switch p.ThreeDS {
	case ThreeDSFailed:
		res.Reason = "3-D Secure authentication failed."
	case ThreeDSCancelled:
		res.Reason = "The payer cancelled 3-D Secure authentication."
	default:
		plain, err := s.vault.Open(p.SealedCard, []byte(p.UUID))
		if err != nil {
			return nil, Internal(fmt.Errorf("payment %s: open sealed card: %w", p.UUID, err))
		}
		number, expiry, err := openCard(plain)
		clear(plain)
		if err != nil {
			return nil, Internal(fmt.Errorf("payment %s: %w", p.UUID, err))
		}
		res, err = s.acquirer.Authorize(ctx, AuthorizationRequest{
			IdempotencyKey: p.UUID, Card: number, Expiry: expiry, Amount: p.Amount, Currency: p.Currency,
		})
		if err != nil {
			// The lease stays: a retried confirm or the expirer takes over
			// once it runs out, with the same idempotency key.
			return nil, Internal(fmt.Errorf("payment %s: authorize: %w", p.UUID, err))
		}
	}
	ev := EventDeclined
	if res.Approved {
		ev = EventAuthorized
	}
	if _, err := Next(PhaseOf(p), ev); err != nil {
		return nil, Internal(err)
	}
	now := s.Now()
	p.Status = StatusFail
	if res.Approved {
		p.Status = StatusPaid
	}
	p.AuthState = AuthDone
	p.AuthReference = res.Reference
	p.DeclineReason = res.Reason
	p.SealedCard = nil
	p.FinalAt = now
	p.UpdatedAt = now
	if err := s.finish(ctx, k, p); err != nil {
		return nil, err
	}
	if res.Approved {
		s.log.Info("payment authorized", "payment", p.UUID, "status", string(p.Status), "reference", res.Reference)
	} else {
		s.log.Info("payment declined", "payment", p.UUID, "status", string(p.Status), "reason", res.Reason)
	}
	return p, nil
}

// finish writes a payment's final status together with its notification
// and, for a paid payment, the ledger transaction that credits it.
func (s *Service) finish(ctx context.Context, k *AccountKeys, p *Payment) error {
	var l *LedgerTransaction
	if p.Status == StatusPaid {
		l = paymentPaidLedger(p, p.FinalAt)
	}
	n, err := s.notificationFor(k, paymentNotice(p), s.Now())
	if err != nil {
		return Internal(err)
	}
	switch err := s.store.UpdatePayment(ctx, p, n, l); {
	case errors.Is(err, ErrConflict):
		return ErrConflict
	case err != nil:
		return Internal(err)
	}
	if n != nil {
		s.wake()
	}
	return nil
}

func (s *Service) load(ctx context.Context, account, uuid string) (*Payment, error) {
	p, err := s.store.Payment(ctx, PaymentQuery{AccountUUID: account, UUID: uuid})
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "Payment not found.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return p, nil
}

func (s *Service) expired(p *Payment) bool { return !s.Now().Before(p.ExpiresAt) }

// PaymentForPayer returns a payment by uuid for the payer's page, with the
// merchant's display name. A payment past its lifetime is cancelled first.
func (s *Service) PaymentForPayer(ctx context.Context, uuid string) (*Payment, string, error) {
	p, err := s.store.Payment(ctx, PaymentQuery{UUID: uuid})
	if errors.Is(err, ErrNotFound) {
		return nil, "", Errorf(CodeNotFound, "There is no such payment.")
	}
	if err != nil {
		return nil, "", Internal(err)
	}
	k, err := s.Keys(ctx, p.AccountUUID)
	if err != nil {
		return nil, "", err
	}
	if p.Status == StatusWait && s.expired(p) {
		if p, err = s.expireWith(ctx, k, p); err != nil {
			return nil, "", err
		}
	}
	return p, k.Account.Name, nil
}
