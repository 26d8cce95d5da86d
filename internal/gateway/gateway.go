package gateway

import (
	"time"

	"github.com/h2hpay/h2hpay/internal/money"
)

// Status is a payment's status as the merchant API shows it (api-notes §5).
type Status string

// The documented statuses. wait is the only non-final one.
const (
	StatusWait   Status = "wait"
	StatusPaid   Status = "paid"
	StatusFail   Status = "fail"
	StatusCancel Status = "cancel"
)

// Final reports whether no further transition can leave the status.
func (s Status) Final() bool { return s == StatusPaid || s == StatusFail || s == StatusCancel }

// NotifyHash names the hash and rebuild style of notification and redirect
// signatures for an account (api-notes §6.3).
type NotifyHash string

// The two settings: SHA-1 over the PHP json_encode rebuild (the default), or
// SHA-256 over the JavaScript JSON.stringify rebuild.
const (
	NotifySHA1   NotifyHash = "sha1"
	NotifySHA256 NotifyHash = "sha256"
)

// Account is one merchant wallet: the thing the Account header names.
type Account struct {
	UUID            string
	Name            string // shown to the payer on the gateway's pages
	ApplicationUUID string // the only Application accepted on H2H calls
	// PaymentKeyPEM and PayoutKeyPEM are the public halves of the
	// merchant's payment and payout certificates: payment calls are signed
	// with one, payout and balance calls with the other. The private halves
	// are never stored here.
	PaymentKeyPEM []byte
	PayoutKeyPEM  []byte
	// NotificationKeyPEM is the gateway's own private key that signs this
	// account's notifications and payer redirects (PKCS#8 PEM).
	NotificationKeyPEM []byte
	NotifyHash         NotifyHash
	// Currency is the wallet's currency: an account is one currency wallet.
	Currency  string
	CreatedAt time.Time
}

// AccountService is a service enabled for an account, with its currency,
// the gateway's commission and the amounts it accepts.
type AccountService struct {
	AccountUUID string
	Code        string // e.g. payment_card_rub_hpp
	Currency    string // ISO 4217, e.g. RUB
	// CommissionBP is the percentage part of the commission in basis
	// points (250 = 2.5 %); CommissionFixed is added to it.
	CommissionBP    int64
	CommissionFixed money.Amount
	// MinAmount and MaxAmount bound an amount; 0 means no bound.
	MinAmount, MaxAmount money.Amount
}

// EndpointKind says which cabinet list an endpoint id belongs to.
type EndpointKind string

// Success and fail endpoints form one redirect list (either may serve as
// success_redirect_id or fail_redirect_id); notification endpoints are a
// second list (api-notes §11).
const (
	EndpointNotification EndpointKind = "notification"
	EndpointSuccess      EndpointKind = "success"
	EndpointFail         EndpointKind = "fail"
)

// IsRedirect reports whether the endpoint is in the payer-redirect list.
func (k EndpointKind) IsRedirect() bool { return k == EndpointSuccess || k == EndpointFail }

// Endpoint is a URL registered in the cabinet under an integer id, unique
// within the account. Merchants moving from AliKassa keep the ids their code
// already sends.
type Endpoint struct {
	AccountUUID string
	ID          int64
	Kind        EndpointKind
	URL         string
	CreatedAt   time.Time
}

// Customer is the payer data given at create. Empty strings are absent.
type Customer struct {
	IP        string `json:"ip,omitempty"`
	Account   string `json:"account,omitempty"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Address   string `json:"address,omitempty"`
	State     string `json:"state,omitempty"`
	City      string `json:"city,omitempty"`
	Phone     string `json:"phone,omitempty"`
	PostCode  string `json:"post_code,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	Code      string `json:"code,omitempty"`
	Country   string `json:"country,omitempty"` // payouts: ISO 3166 alpha-2
}

// Browser is the payer's browser data for 3-D Secure. Nil pointers and empty
// strings are absent: browser data never fails a payment (api-notes §2.6).
type Browser struct {
	UserAgent     string `json:"user_agent,omitempty"`
	AcceptHeader  string `json:"accept_header,omitempty"`
	Language      string `json:"language,omitempty"`
	ColorDepth    *int   `json:"color_depth,omitempty"`
	ScreenHeight  *int   `json:"screen_height,omitempty"`
	ScreenWidth   *int   `json:"screen_width,omitempty"`
	WindowWidth   *int   `json:"window_width,omitempty"`
	WindowHeight  *int   `json:"window_height,omitempty"`
	TimeDifferent *int   `json:"time_different,omitempty"`
	JavaEnabled   *bool  `json:"java_enabled,omitempty"`
	IP            string `json:"ip,omitempty"`
}

// Merge returns b with every absent field taken from fallback: the H2H call's
// browser_* fields win, the create call's customer_browser_* fill the gaps.
func (b Browser) Merge(fallback Browser) Browser {
	if b.UserAgent == "" {
		b.UserAgent = fallback.UserAgent
	}
	if b.AcceptHeader == "" {
		b.AcceptHeader = fallback.AcceptHeader
	}
	if b.Language == "" {
		b.Language = fallback.Language
	}
	if b.IP == "" {
		b.IP = fallback.IP
	}
	for _, p := range []struct{ dst, src **int }{
		{&b.ColorDepth, &fallback.ColorDepth}, {&b.ScreenHeight, &fallback.ScreenHeight},
		{&b.ScreenWidth, &fallback.ScreenWidth}, {&b.WindowWidth, &fallback.WindowWidth},
		{&b.WindowHeight, &fallback.WindowHeight}, {&b.TimeDifferent, &fallback.TimeDifferent},
	} {
		if *p.dst == nil {
			*p.dst = *p.src
		}
	}
	if b.JavaEnabled == nil {
		b.JavaEnabled = fallback.JavaEnabled
	}
	return b
}

// ThreeDSState is where a payment is in its 3-D Secure authentication.
type ThreeDSState string

// none: no card yet; challenge: card stored, payer sent to the challenge;
// passed / failed / cancelled: the payer answered the challenge.
const (
	ThreeDSNone      ThreeDSState = "none"
	ThreeDSChallenge ThreeDSState = "challenge"
	ThreeDSPassed    ThreeDSState = "passed"
	ThreeDSFailed    ThreeDSState = "failed"
	// ThreeDSCancelled: the payer cancelled on the 3-D Secure page; for the
	// payment it is a failed authentication.
	ThreeDSCancelled ThreeDSState = "cancelled"
)

// AuthState is where a payment is in its authorization at the acquirer.
type AuthState string

// none: not asked; claimed: one confirm (or the expirer) holds the right to
// authorize until AuthLeaseUntil; done: the outcome is recorded in Status.
const (
	AuthNone    AuthState = "none"
	AuthClaimed AuthState = "claimed"
	AuthDone    AuthState = "done"
)

// CardSummary is what is kept of a card after authorization: never the PAN.
type CardSummary struct {
	First6   string
	Last4    string
	Brand    string
	ExpMonth int
	ExpYear  int
}

// Mask shows the card as 424242******4242, or "" when there is no card.
func (c CardSummary) Mask() string {
	if c.First6 == "" {
		return ""
	}
	return c.First6 + "******" + c.Last4
}

// Payment is one payment and everything the gateway knows of it.
type Payment struct {
	ID          int64 // the integer id of the merchant API, from 100000001
	UUID        string
	AccountUUID string
	OrderID     string
	Amount      money.Amount
	Currency    string
	Service     string
	Status      Status
	Desc        string
	Lifetime    time.Duration
	ExpiresAt   time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinalAt     time.Time // zero until the status is final

	Customer           Customer
	Browser            Browser // from create, customer_browser_*
	SuccessRedirectURL string
	FailRedirectURL    string
	NotificationURL    string // resolved at create: the _url, or the endpoint id's URL

	// H2H: set by the card submission.
	ReturnURL      string // as the payer will be sent back: with uuid=<uuid>
	PayerBrowser   Browser
	Card           CardSummary
	SealedCard     []byte // the PAN and expiry, encrypted; nil once final
	ThreeDS        ThreeDSState
	ChallengeID    string // names the challenge page; random, not the uuid
	CardAt         time.Time
	ChallengeAt    time.Time
	AuthState      AuthState
	AuthLeaseUntil time.Time
	AuthReference  string
	DeclineReason  string // why the payment failed, for the operator and the logs
	CancelReason   string

	// Commission is what the gateway keeps of a paid payment; the ledger
	// credits Amount - Commission. AccountOldBalance and AccountNewBalance
	// are the available balance around that credit, set by the store when
	// it writes the ledger transaction; nil until then.
	Commission        money.Amount
	AccountOldBalance *money.Amount
	AccountNewBalance *money.Amount

	// Version increases by one with every write; Store.UpdatePayment
	// compares it to detect a concurrent change.
	Version int64
}

// Payout is one payout: money from the merchant's available balance to a
// card or phone number.
type Payout struct {
	ID          int64 // from 500000001, so a payout id is never mistaken for a payment's
	UUID        string
	AccountUUID string
	OrderID     string // unique per account among live and paid payouts
	Amount      money.Amount
	Commission  money.Amount // reserved with the amount, kept when paid
	Currency    string
	Service     string
	Status      Status
	// NumberMask is what is kept of the destination: 424242******4242 for a
	// card, the last digits of a phone. SealedNumber is the whole number,
	// encrypted, until the payout is final.
	NumberMask      string
	SealedNumber    []byte
	Customer        Customer
	Extra           map[string]string // the EUR card fields (api-notes §3.4)
	NotificationURL string

	// ProcessState and LeaseUntil claim the payout for sending, as
	// AuthState does for a payment's authorization.
	ProcessState  AuthState
	LeaseUntil    time.Time
	Reference     string // the acquirer's reference (RRN)
	DeclineReason string

	// AccountOldBalance and AccountNewBalance are the available balance
	// around the reservation, set by the store.
	AccountOldBalance *money.Amount
	AccountNewBalance *money.Amount

	CreatedAt time.Time
	UpdatedAt time.Time
	FinalAt   time.Time
	Version   int64
}

// NotificationStatus is the delivery state of one notification.
type NotificationStatus string

// pending: to be (re)tried at NextAttemptAt; delivered: a 2xx was received;
// failed: given up after the retry window.
const (
	NotificationPending   NotificationStatus = "pending"
	NotificationDelivered NotificationStatus = "delivered"
	NotificationFailed    NotificationStatus = "failed"
)

// Notification is one signed GET the gateway owes a merchant: the outbox row
// written in the same transaction as the status change it reports. URL holds
// the whole request URL, query and sign included, so every attempt sends the
// same bytes.
type Notification struct {
	ID             int64
	AccountUUID    string
	Type           string // payment or payout
	ObjectID       int64  // the payment's (or payout's) integer id
	PaymentUUID    string
	URL            string
	Status         NotificationStatus
	Attempts       int
	NextAttemptAt  time.Time
	FirstAttemptAt time.Time
	LastAttemptAt  time.Time
	LastStatusCode int
	LastError      string
	LeaseOwner     string
	LeaseUntil     time.Time
	CreatedAt      time.Time
	DeliveredAt    time.Time
}

// NotificationAttempt is the record of one delivery attempt, for the operator.
type NotificationAttempt struct {
	NotificationID int64
	At             time.Time
	StatusCode     int    // 0 when no answer came
	Error          string // timeout, connection error, redirect not followed, …
	Duration       time.Duration
}
