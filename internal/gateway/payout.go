package gateway

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/card"
)

// CreatePayoutRequest is the merchant API's POST /v1/payout (api-notes
// §3.4), values as text; "" means absent.
type CreatePayoutRequest struct {
	Amount                  string
	Number                  string
	OrderID                 string
	Service                 string
	NotificationEndpointID  string
	NotificationEndpointURL string
	Customer                Customer
	Extra                   map[string]string
	Problems                Validation
}

// euroExtra are the extra fields EUR card payouts need (api-notes §3.4).
var euroExtra = []string{"card_exp_year", "card_exp_month", "card_holder", "card_country", "card_recipient_birth_date"}

var phoneRE = regexp.MustCompile(`^\+?[0-9]{10,15}$`)

// extraFormats are the formats of the EUR extra fields (api-notes §3.4).
var extraFormats = map[string]struct {
	re   *regexp.Regexp
	what string
}{
	"card_exp_year":             {regexp.MustCompile(`^[0-9]{2}$`), "2 digits, like 24"},
	"card_exp_month":            {regexp.MustCompile(`^(0[1-9]|1[0-2])$`), "2 digits from 01 to 12"},
	"card_country":              {regexp.MustCompile(`^[A-Z]{2}$`), "an ISO 3166 alpha-2 code, like DE"},
	"card_holder":               {regexp.MustCompile(`^.{1,100}$`), "a name of at most 100 characters"},
	"card_recipient_birth_date": {regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`), "a date like 1999-12-15"},
}

// CreatePayout validates a payout and reserves its amount and fee from the
// available balance, in one write: a payout never drives the balance below
// zero, however many race for the same funds.
func (s *Service) CreatePayout(ctx context.Context, k *AccountKeys, r CreatePayoutRequest) (*Payout, error) {
	v := r.Problems
	now := s.Now()
	po := &Payout{UUID: newUUID(), AccountUUID: k.Account.UUID, Status: StatusWait, ProcessState: AuthNone,
		Customer: r.Customer, Extra: r.Extra, CreatedAt: now, UpdatedAt: now}
	po.Amount = requiredAmount(&v, r.Amount)
	po.OrderID = requiredOrderID(&v, r.OrderID)
	var svc *AccountService
	if !v.Has("service") {
		var err error
		svc, err = s.store.AccountService(ctx, k.Account.UUID, r.Service)
		switch {
		case r.Service == "":
			v.Add("service", "The service field is required.")
		case errors.Is(err, ErrNotFound) || (err == nil && (KindOfService(svc.Code) != ServicePayout || svc.Currency != k.Account.Currency)):
			v.Add("service", "The selected service is invalid.")
		case err != nil:
			return nil, Internal(err)
		default:
			po.Service, po.Currency = svc.Code, svc.Currency
			if po.Amount > 0 {
				checkLimits(&v, svc, po.Amount)
				po.Commission = svc.Commission(po.Amount)
			}
		}
	}
	// The destination: a card number for card payouts, a phone for SBP.
	var number string
	if !v.Has("number") {
		switch n := strings.TrimSpace(r.Number); {
		case n == "":
			v.Add("number", "The number field is required.")
		case strings.Contains(po.Service, "sbp"):
			n = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(n)
			if !phoneRE.MatchString(n) {
				v.Add("number", "The number must be a phone number of 10 to 15 digits.")
			} else {
				number, po.NumberMask = n, "******"+n[len(n)-4:]
			}
		default:
			c, err := card.ParseNumber(n)
			if err != nil {
				v.Add("number", err.Error())
			} else {
				number, po.NumberMask = c.Digits(), c.Mask()
			}
		}
	}
	if po.Currency == "EUR" {
		for _, f := range euroExtra {
			val := r.Extra[f]
			if val == "" {
				v.Add("extra."+f, fmt.Sprintf("The extra.%s field is required for EUR payouts.", f))
			} else if rule, ok := extraFormats[f]; ok && !rule.re.MatchString(val) {
				v.Add("extra."+f, fmt.Sprintf("The extra.%s must be %s.", f, rule.what))
			} else if f == "card_recipient_birth_date" {
				if _, err := time.Parse(time.DateOnly, val); err != nil {
					v.Add("extra."+f, "The extra.card_recipient_birth_date must be a date like 1999-12-15.")
				}
			}
		}
	}
	for name, val := range map[string]*string{"customer_phone": &po.Customer.Phone, "customer_email": &po.Customer.Email,
		"customer_code": &po.Customer.Code, "customer_first_name": &po.Customer.FirstName,
		"customer_last_name": &po.Customer.LastName, "customer_country": &po.Customer.Country} {
		*val = maxLen(&v, name, *val, 100, strings.ReplaceAll(name, "_", " "))
	}
	var err error
	if po.NotificationURL, err = s.endpointURL(ctx, &v, k.Account.UUID, "notification_endpoint", r.NotificationEndpointURL, r.NotificationEndpointID, false); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if po.SealedNumber, err = s.vault.Seal([]byte(number), []byte(po.UUID)); err != nil {
		return nil, Internal(err)
	}
	switch err := s.store.CreatePayout(ctx, po, payoutReserveLedger(po, now)); {
	case errors.Is(err, ErrDuplicateOrder):
		var dup Validation
		dup.Add("order_id", "The order id has already been taken.")
		return nil, dup.Err()
	case errors.Is(err, ErrInsufficientFunds):
		var low Validation
		low.Add("amount", "The amount (with the commission) exceeds the available balance.")
		return nil, low.Err()
	case err != nil:
		return nil, Internal(err)
	}
	s.log.Info("payout created", "payout", po.UUID, "id", po.ID, "account", po.AccountUUID, "order_id", po.OrderID,
		"amount", po.Amount.String(), "service", po.Service, "number", po.NumberMask)
	s.wakePayouts()
	return po, nil
}

// PayoutLookup is the payout status call: exactly one of ID, OrderID.
type PayoutLookup struct {
	ID, OrderID string
	Problems    Validation
}

// Payout returns a payout of the account for the status call.
func (s *Service) Payout(ctx context.Context, k *AccountKeys, l PayoutLookup) (*Payout, error) {
	v := l.Problems
	q := PayoutQuery{AccountUUID: k.Account.UUID}
	switch {
	case v.Err() != nil:
	case l.ID != "":
		var id int64
		if _, err := fmt.Sscan(l.ID, &id); err != nil || id <= 0 || !allDigits(l.ID) {
			v.Add("id", "The id must be an integer.")
		}
		q.ID = id
	case l.OrderID != "":
		q.OrderID = l.OrderID
	default:
		v.Add("id", "The id field is required when order id is not present.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	po, err := s.store.Payout(ctx, q)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "Not found.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return po, nil
}

// ProcessPayouts sends payouts in wait to the acquirer and records each
// final status with its ledger transaction and notification. Every
// instance runs it; a payout is claimed (a lease) before it is sent, and
// the acquirer gets the payout uuid as idempotency key.
func (s *Service) ProcessPayouts(ctx context.Context, limit int) (int, error) {
	due, err := s.store.PayoutsToProcess(ctx, s.Now(), limit)
	if err != nil {
		return 0, err
	}
	var errs []error
	for i := range due {
		if err := s.processPayout(ctx, &due[i]); err != nil && !errors.Is(err, ErrConflict) {
			errs = append(errs, fmt.Errorf("payout %s: %w", due[i].UUID, err))
		}
	}
	return len(due), errors.Join(errs...)
}

func (s *Service) processPayout(ctx context.Context, po *Payout) error {
	k, err := s.Keys(ctx, po.AccountUUID)
	if err != nil {
		return err
	}
	now := s.Now()
	po.ProcessState, po.LeaseUntil, po.UpdatedAt = AuthClaimed, now.Add(s.authLease), now
	if err := s.store.UpdatePayout(ctx, po, nil, nil); err != nil {
		return err // ErrConflict: another instance has it
	}
	number, err := s.vault.Open(po.SealedNumber, []byte(po.UUID))
	if err != nil {
		return fmt.Errorf("open sealed number: %w", err)
	}
	res, err := s.acquirer.Payout(ctx, PayoutRequest{IdempotencyKey: po.UUID, Service: po.Service,
		Number: string(number), Amount: po.Amount, Currency: po.Currency})
	clear(number)
	if err != nil {
		return fmt.Errorf("acquirer: %w", err) // the lease runs out; the next round retries
	}
	now = s.Now()
	po.Status = StatusFail
	if res.Approved {
		po.Status = StatusPaid
	}
	po.ProcessState, po.Reference, po.DeclineReason = AuthDone, res.Reference, res.Reason
	po.SealedNumber, po.FinalAt, po.UpdatedAt = nil, now, now
	n, err := s.notificationFor(k, payoutNotice(po), now)
	if err != nil {
		return err
	}
	if err := s.store.UpdatePayout(ctx, po, n, payoutSettledLedger(po, now)); err != nil {
		return err
	}
	if n != nil {
		s.wake()
	}
	s.log.Info("payout final", "payout", po.UUID, "status", string(po.Status), "reason", res.Reason)
	return nil
}

// Balance returns the account's wallet.
func (s *Service) Balance(ctx context.Context, k *AccountKeys) (*Balance, error) {
	b, err := s.store.Balance(ctx, k.Account.UUID)
	if err != nil {
		return nil, Internal(err)
	}
	return b, nil
}

// HistoryRequest is POST /v1/payment/history: dates as YYYY-MM-DD (UTC,
// both days included), page from 1, paginate = page size.
type HistoryRequest struct {
	DateFrom, DateTo, Page, Paginate string
	Problems                         Validation
}

// History is one page of an account's payments.
type History struct {
	Payments []Payment
	Total    int
	Page     int
	PerPage  int
}

// Default and largest history page sizes (api-notes §3.3).
const (
	DefaultHistoryPageSize = 15
	MaxHistoryPageSize     = 100
)

// PaymentHistory returns one page of the account's payments created between
// date_from and date_to, oldest first.
func (s *Service) PaymentHistory(ctx context.Context, k *AccountKeys, r HistoryRequest) (*History, error) {
	v := r.Problems
	// Unbounded unless given: the earliest and latest days there are.
	from, to := time.Unix(0, 0).UTC(), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	day := func(field, val string, end bool) time.Time {
		if val == "" || v.Has(field) {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, val)
		if err != nil {
			v.Add(field, fmt.Sprintf("The %s does not match the format Y-m-d.", strings.ReplaceAll(field, "_", " ")))
			return time.Time{}
		}
		if end {
			t = t.Add(24 * time.Hour)
		}
		return t
	}
	if t := day("date_from", r.DateFrom, false); !t.IsZero() {
		from = t
	}
	if t := day("date_to", r.DateTo, true); !t.IsZero() {
		to = t
	}
	if !v.Has("date_from") && !v.Has("date_to") && !to.After(from) {
		v.Add("date_to", "The date to must be a date after or equal to date from.")
	}
	page, perPage := 1, DefaultHistoryPageSize
	intField := func(field, val string, min, max int, into *int) {
		if val == "" || v.Has(field) {
			return
		}
		var n int
		if _, err := fmt.Sscan(val, &n); err != nil || !allDigits(val) || n < min || n > max {
			v.Add(field, fmt.Sprintf("The %s must be an integer between %d and %d.", field, min, max))
			return
		}
		*into = n
	}
	intField("page", r.Page, 1, 1<<30, &page)
	intField("paginate", r.Paginate, 1, MaxHistoryPageSize, &perPage)
	if err := v.Err(); err != nil {
		return nil, err
	}
	ps, total, err := s.store.PaymentHistory(ctx, HistoryQuery{AccountUUID: k.Account.UUID, From: from, To: to,
		Offset: (page - 1) * perPage, Limit: perPage})
	if err != nil {
		return nil, Internal(err)
	}
	return &History{Payments: ps, Total: total, Page: page, PerPage: perPage}, nil
}
