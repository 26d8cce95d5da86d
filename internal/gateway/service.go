package gateway

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/h2hpay/h2hpay/internal/signature"
)

// Config is what a Service is built from. cmd/h2hpay wires the concrete
// pieces; tests pass their own.
type Config struct {
	Store    Store
	Acquirer Acquirer
	Vault    CardVault
	// ThreeDSKey makes and checks the PaRes handed to payers' browsers.
	ThreeDSKey []byte
	// Now is the clock; time.Now when nil. Expiry and leases read it.
	Now func() time.Time
	// Logger gets structured events carrying the payment uuid, never card data.
	Logger *slog.Logger
	// Wake is called after a notification is written, so the delivery
	// worker need not wait for its next poll. May be nil.
	Wake func()
	// WakePayouts is called after a payout is created, so the payout
	// processor need not wait for its next round. May be nil.
	WakePayouts func()
	// AuthLease is how long a confirm holds the right to authorize before
	// another confirm or the expirer may take over (default 30 s).
	AuthLease time.Duration
	// AccountCacheTTL is how long parsed account keys are reused before the
	// account is read again (default 30 s): key parsing is off the hot path,
	// and a key changed by the CLI is picked up within the TTL.
	AccountCacheTTL time.Duration
}

// Service carries out the merchant and H2H APIs' business rules.
type Service struct {
	store      Store
	acquirer   Acquirer
	vault      CardVault
	threeDSKey []byte
	now        func() time.Time
	log        *slog.Logger
	wake       func()
	wakePay    func()
	authLease  time.Duration
	cacheTTL   time.Duration

	mu       sync.Mutex
	accounts map[string]cachedAccount
}

type cachedAccount struct {
	keys     *AccountKeys
	loadedAt time.Time
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{
		store: cfg.Store, acquirer: cfg.Acquirer, vault: cfg.Vault, threeDSKey: cfg.ThreeDSKey,
		now: cfg.Now, log: cfg.Logger, wake: cfg.Wake, wakePay: cfg.WakePayouts, authLease: cfg.AuthLease, cacheTTL: cfg.AccountCacheTTL,
		accounts: map[string]cachedAccount{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.wake == nil {
		s.wake = func() {}
	}
	if s.wakePay == nil {
		s.wakePay = func() {}
	}
	if s.authLease <= 0 {
		s.authLease = 30 * time.Second
	}
	if s.cacheTTL <= 0 {
		s.cacheTTL = 30 * time.Second
	}
	return s
}

func (s *Service) wakePayouts() { s.wakePay() }

// Store returns the store the service works on.
func (s *Service) Store() Store { return s.store }

// Now returns the service's clock reading, in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// AccountKeys is an account with its keys parsed.
type AccountKeys struct {
	Account         *Account
	PaymentKey      *rsa.PublicKey
	PayoutKey       *rsa.PublicKey // nil when the account has no payout certificate
	NotificationKey *rsa.PrivateKey
}

// NotifyHash is the crypto.Hash and rebuild style of the account's
// notification and redirect signatures.
func (k *AccountKeys) NotifyHash() (crypto.Hash, signature.Style) {
	if k.Account.NotifyHash == NotifySHA256 {
		return crypto.SHA256, signature.StyleJS
	}
	return crypto.SHA1, signature.StylePHP
}

// Keys returns the account with its keys parsed, from a short-lived cache.
// An unknown account is a CodeUnknownAccount error.
func (s *Service) Keys(ctx context.Context, accountUUID string) (*AccountKeys, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.accounts[accountUUID]
	s.mu.Unlock()
	if ok && now.Sub(c.loadedAt) < s.cacheTTL {
		return c.keys, nil
	}
	a, err := s.store.Account(ctx, accountUUID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeUnknownAccount, "Unknown account.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	pub, err := signature.ParsePublicKeyPEM(a.PaymentKeyPEM)
	if err != nil {
		return nil, Internal(fmt.Errorf("account %s payment key: %w", a.UUID, err))
	}
	priv, err := signature.LoadPrivateKey(a.NotificationKeyPEM, nil)
	if err != nil {
		return nil, Internal(fmt.Errorf("account %s notification key: %w", a.UUID, err))
	}
	k := &AccountKeys{Account: a, PaymentKey: pub, NotificationKey: priv}
	if len(a.PayoutKeyPEM) > 0 {
		if k.PayoutKey, err = signature.ParsePublicKeyPEM(a.PayoutKeyPEM); err != nil {
			return nil, Internal(fmt.Errorf("account %s payout key: %w", a.UUID, err))
		}
	}
	s.mu.Lock()
	s.accounts[accountUUID] = cachedAccount{keys: k, loadedAt: now}
	s.mu.Unlock()
	return k, nil
}

// Credentials are what a request presents: the Account and Sign headers, the
// signed bytes (the raw body on the merchant API, the payment_uuid on H2H),
// and for H2H the Application header.
type Credentials struct {
	Account     string
	Sign        string
	Signed      []byte
	Application string
	// H2H requires Application; the merchant API ignores it (api-notes §2.1).
	H2H bool
	// Payout selects the payout certificate (payouts and the balance)
	// instead of the payment one: a signature by the other is refused like
	// any bad signature.
	Payout bool
}

// Authenticate checks a request's credentials and returns the account and
// the hash its signature was made with (SHA-1 or SHA-256, for the log). Any
// failure is a CodeUnknownAccount, CodeInvalidSign or CodeInvalidApplication
// error; the caller changes nothing after one.
func (s *Service) Authenticate(ctx context.Context, c Credentials) (*AccountKeys, crypto.Hash, error) {
	if c.Account == "" {
		return nil, 0, Errorf(CodeUnknownAccount, "Unknown account.")
	}
	k, err := s.Keys(ctx, c.Account)
	if err != nil {
		return nil, 0, err
	}
	key := k.PaymentKey
	if c.Payout {
		key = k.PayoutKey
	}
	if key == nil {
		return nil, 0, Errorf(CodeInvalidSign, "Invalid signature.")
	}
	hash, err := signature.Verify(key, c.Signed, c.Sign)
	if err != nil {
		return nil, 0, Errorf(CodeInvalidSign, "Invalid signature.")
	}
	if c.H2H && c.Application != k.Account.ApplicationUUID {
		return nil, 0, Errorf(CodeInvalidApplication, "The Application header does not name an application of this account.")
	}
	return k, hash, nil
}
