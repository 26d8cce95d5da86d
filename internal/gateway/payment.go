package gateway

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/h2hpay/h2hpay/internal/money"
)

// Lifetime bounds of a payment (api-notes §11).
const (
	DefaultLifetime = 3600 * time.Second
	MinLifetime     = 900 * time.Second
	MaxLifetime     = 3600 * time.Second
)

// CreatePaymentRequest is the merchant API's create call. Every value is the
// text the merchant sent (a JSON number as its literal, so nothing passes
// through a float); "" means absent. Problems holds what the decoder already
// found wrong (a value of the wrong JSON type), so the merchant gets every
// problem in one answer.
type CreatePaymentRequest struct {
	Amount   string
	OrderID  string
	Service  string
	Desc     string
	Lifetime string

	Customer Customer
	Browser  BrowserInput

	SuccessRedirectID       string
	FailRedirectID          string
	NotificationEndpointID  string
	SuccessRedirectURL      string
	FailRedirectURL         string
	NotificationEndpointURL string

	Problems Validation
}

// BrowserInput is browser data as sent (customer_browser_* at create,
// browser_* on H2H). Normalize turns it into Browser.
type BrowserInput struct {
	UserAgent, AcceptHeader, Language                                string
	ColorDepth, ScreenHeight, ScreenWidth, WindowWidth, WindowHeight string
	TimeDifferent, JavaEnabled, IP                                   string
}

// CreatePayment validates and stores a new payment in status wait.
func (s *Service) CreatePayment(ctx context.Context, k *AccountKeys, r CreatePaymentRequest) (*Payment, error) {
	acct := k.Account
	v := r.Problems
	now := s.Now()
	p := &Payment{
		UUID:        newUUID(),
		AccountUUID: acct.UUID,
		Status:      StatusWait,
		CreatedAt:   now,
		UpdatedAt:   now,
		ThreeDS:     ThreeDSNone,
		AuthState:   AuthNone,
		Lifetime:    DefaultLifetime,
	}

	p.Amount = requiredAmount(&v, r.Amount)
	p.OrderID = requiredOrderID(&v, r.OrderID)
	if !v.Has("service") {
		switch {
		case r.Service == "":
			v.Add("service", "The service field is required.")
		default:
			svc, err := s.store.AccountService(ctx, acct.UUID, r.Service)
			// A service of another currency cannot be on this wallet (the
			// cabinet refuses that too); checked here so it never gets as
			// far as the ledger.
			if errors.Is(err, ErrNotFound) || (err == nil && (KindOfService(svc.Code) == ServicePayout || svc.Currency != acct.Currency)) {
				v.Add("service", "The selected service is invalid.")
			} else if err != nil {
				return nil, Internal(err)
			} else {
				p.Service, p.Currency = svc.Code, svc.Currency
				if !v.Has("amount") && p.Amount > 0 {
					checkLimits(&v, svc, p.Amount)
				}
				// The commission is fixed when the payment is made, from
				// the service's settings then; never more than the amount.
				p.Commission = min(svc.Commission(p.Amount), p.Amount)
			}
		}
	}
	p.Desc = maxLen(&v, "desc", r.Desc, 128, "desc")
	if !v.Has("lifetime") && r.Lifetime != "" {
		n, err := strconv.Atoi(r.Lifetime)
		// Compare in seconds: multiplying first would overflow for huge n.
		if err != nil || !allDigits(r.Lifetime) || n < int(MinLifetime/time.Second) || n > int(MaxLifetime/time.Second) {
			v.Add("lifetime", "The lifetime must be an integer between 900 and 3600.")
		} else {
			p.Lifetime = time.Duration(n) * time.Second
		}
	}
	p.ExpiresAt = now.Add(p.Lifetime)

	c := r.Customer
	if !v.Has("customer_ip") {
		if c.IP == "" {
			v.Add("customer_ip", "The customer ip field is required.")
		} else if _, err := netip.ParseAddr(c.IP); err != nil {
			v.Add("customer_ip", "The customer ip must be a valid IP address.")
		}
	}
	for _, f := range []struct {
		name string
		val  *string
		max  int
	}{
		{"customer_account", &c.Account, 50}, {"customer_email", &c.Email, 50},
		{"customer_first_name", &c.FirstName, 50}, {"customer_last_name", &c.LastName, 50},
		{"customer_address", &c.Address, 50}, {"customer_state", &c.State, 50},
		{"customer_city", &c.City, 20}, {"customer_phone", &c.Phone, 12},
		{"customer_post_code", &c.PostCode, 12}, {"customer_user_id", &c.UserID, 100},
		{"customer_code", &c.Code, 100},
	} {
		*f.val = maxLen(&v, f.name, *f.val, f.max, strings.ReplaceAll(f.name, "_", " "))
	}
	p.Customer = c
	for _, f := range requiredCustomerFields(p.Service) {
		if !v.Has(f) && map[string]string{"customer_user_id": c.UserID, "customer_code": c.Code}[f] == "" {
			v.Add(f, fmt.Sprintf("The %s field is required for the service %s.", strings.ReplaceAll(f, "_", " "), p.Service))
		}
	}
	if !v.Has("customer_browser_user_agent") {
		switch ua := r.Browser.UserAgent; {
		case ua == "":
			v.Add("customer_browser_user_agent", "The customer browser user agent field is required.")
		case utf8.RuneCountInString(ua) > 2000:
			v.Add("customer_browser_user_agent", "The customer browser user agent may not be greater than 2000 characters.")
		}
	}
	p.Browser = r.Browser.Normalize()
	p.Browser.IP = c.IP

	var err error
	if p.SuccessRedirectURL, err = s.endpointURL(ctx, &v, acct.UUID, "success_redirect", r.SuccessRedirectURL, r.SuccessRedirectID, true); err != nil {
		return nil, err
	}
	if p.FailRedirectURL, err = s.endpointURL(ctx, &v, acct.UUID, "fail_redirect", r.FailRedirectURL, r.FailRedirectID, true); err != nil {
		return nil, err
	}
	if p.NotificationURL, err = s.endpointURL(ctx, &v, acct.UUID, "notification_endpoint", r.NotificationEndpointURL, r.NotificationEndpointID, false); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	switch err := s.store.CreatePayment(ctx, p); {
	case errors.Is(err, ErrDuplicateOrder):
		var dup Validation
		dup.Add("order_id", "The order id has already been taken.")
		return nil, dup.Err()
	case err != nil:
		return nil, Internal(err)
	}
	s.log.Info("payment created", "payment", p.UUID, "id", p.ID, "account", acct.UUID,
		"order_id", p.OrderID, "amount", p.Amount.String(), "service", p.Service)
	return p, nil
}

// endpointURL resolves one of the *_id / *_url pairs: the URL wins over the
// id; an id must name an endpoint of the right list on this account
// (api-notes §11).
func (s *Service) endpointURL(ctx context.Context, v *Validation, account, base, rawURL, rawID string, redirect bool) (string, error) {
	urlField, idField := base+"_url", base+"_id"
	if v.Has(urlField) || v.Has(idField) {
		return "", nil
	}
	if rawURL != "" {
		if len(rawURL) > 255 {
			v.Add(urlField, fmt.Sprintf("The %s may not be greater than 255 characters.", strings.ReplaceAll(urlField, "_", " ")))
			return "", nil
		}
		if !isHTTPURL(rawURL) {
			v.Add(urlField, fmt.Sprintf("The %s must be a valid http or https URL.", strings.ReplaceAll(urlField, "_", " ")))
			return "", nil
		}
		if !redirect && strings.Contains(rawURL, "#") {
			// A fragment never reaches the server: the signed query
			// appended after it would be lost with it.
			v.Add(urlField, "The notification endpoint url may not contain a #fragment.")
			return "", nil
		}
		return rawURL, nil
	}
	if rawID == "" {
		return "", nil
	}
	id, err := strconv.ParseInt(rawID, 10, 64)
	if err != nil || id <= 0 || !allDigits(rawID) {
		v.Add(idField, fmt.Sprintf("The %s must be an integer.", strings.ReplaceAll(idField, "_", " ")))
		return "", nil
	}
	e, err := s.store.Endpoint(ctx, account, id)
	if errors.Is(err, ErrNotFound) || (err == nil && e.Kind.IsRedirect() != redirect) {
		v.Add(idField, fmt.Sprintf("The selected %s is invalid.", strings.ReplaceAll(idField, "_", " ")))
		return "", nil
	}
	if err != nil {
		return "", Internal(err)
	}
	return e.URL, nil
}

// PaymentLookup is the status call: exactly one of ID, UUID, OrderID, as text.
type PaymentLookup struct {
	ID, UUID, OrderID string
	Problems          Validation
}

// Payment returns a payment of the account for the status call. A payment
// past its lifetime is shown as it will be a moment later: cancelled.
func (s *Service) Payment(ctx context.Context, k *AccountKeys, l PaymentLookup) (*Payment, error) {
	v := l.Problems
	q := PaymentQuery{AccountUUID: k.Account.UUID}
	switch {
	case v.Err() != nil:
	case l.ID != "":
		id, err := strconv.ParseInt(l.ID, 10, 64)
		if err != nil || id <= 0 || !allDigits(l.ID) {
			v.Add("id", "The id must be an integer.")
		}
		q.ID = id
	case l.UUID != "":
		q.UUID = l.UUID
	case l.OrderID != "":
		q.OrderID = l.OrderID
	default:
		v.Add("id", "The id field is required when order id is not present.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, err := s.store.Payment(ctx, q)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "Not found.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	if p.Status == StatusWait && s.expired(p) {
		if p, err = s.expire(ctx, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// requiredAmount reads a required, positive amount (api-notes §10); 0 when
// it is not one, with the problem recorded.
func requiredAmount(v *Validation, raw string) money.Amount {
	if v.Has("amount") {
		return 0
	}
	switch a, err := money.Parse(raw); {
	case raw == "":
		v.Add("amount", "The amount field is required.")
	case err != nil:
		v.Add("amount", "The amount must be a number with at most 2 decimal places, like 500 or 500.00.")
	case a <= 0:
		v.Add("amount", "The amount must be greater than 0.")
	default:
		return a
	}
	return 0
}

// requiredOrderID reads a required order_id of at most 128 characters.
func requiredOrderID(v *Validation, raw string) string {
	if v.Has("order_id") {
		return ""
	}
	switch {
	case raw == "":
		v.Add("order_id", "The order id field is required.")
	case utf8.RuneCountInString(raw) > 128:
		v.Add("order_id", "The order id may not be greater than 128 characters.")
	default:
		return raw
	}
	return ""
}

// checkLimits applies a service's amount bounds.
func checkLimits(v *Validation, svc *AccountService, a money.Amount) {
	switch {
	case svc.MinAmount > 0 && a < svc.MinAmount:
		v.Add("amount", fmt.Sprintf("The amount must be at least %s for the service %s.", svc.MinAmount, svc.Code))
	case svc.MaxAmount > 0 && a > svc.MaxAmount:
		v.Add("amount", fmt.Sprintf("The amount may not be greater than %s for the service %s.", svc.MaxAmount, svc.Code))
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func maxLen(v *Validation, field, value string, max int, label string) string {
	if v.Has(field) {
		return ""
	}
	if utf8.RuneCountInString(value) > max {
		v.Add(field, fmt.Sprintf("The %s may not be greater than %d characters.", label, max))
		return ""
	}
	return value
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewUUID returns a random UUID, for accounts and applications.
func NewUUID() string { return newUUID() }
