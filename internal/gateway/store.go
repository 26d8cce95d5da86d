package gateway

import (
	"context"
	"time"
)

// Store is the gateway's persistence, one implementation per database
// (internal/sqlite, internal/postgres), all held to the same behaviour by
// internal/storetest. Methods return ErrNotFound, ErrConflict and
// ErrDuplicateOrder (possibly wrapped) for those outcomes, anything else for
// failures. Every method is safe for concurrent use, also from several
// processes on one database.
type Store interface {
	// CreateAccount stores a new account with its enabled services.
	CreateAccount(ctx context.Context, a *Account, services []AccountService) error
	// Account returns the account with this uuid.
	Account(ctx context.Context, uuid string) (*Account, error)
	// Accounts lists all accounts, oldest first.
	Accounts(ctx context.Context) ([]Account, error)
	// AccountService returns the enabled service of the account with this code.
	AccountService(ctx context.Context, accountUUID, code string) (*AccountService, error)
	// AccountServices lists the services enabled for the account.
	AccountServices(ctx context.Context, accountUUID string) ([]AccountService, error)

	// CreateEndpoint registers a URL. With e.ID 0 the store assigns the next
	// free id of the account (one more than its largest); an explicit id
	// that the account already uses is ErrConflict.
	CreateEndpoint(ctx context.Context, e *Endpoint) error
	// Endpoint returns the account's endpoint with this id.
	Endpoint(ctx context.Context, accountUUID string, id int64) (*Endpoint, error)
	// Endpoints lists endpoints by id; with accountUUID "" those of every account.
	Endpoints(ctx context.Context, accountUUID string) ([]Endpoint, error)

	// CreatePayment inserts p, setting p.ID, and p.Version to 1. A live
	// (wait) or paid payment of the account with the same order_id makes it
	// ErrDuplicateOrder, also when two creates race.
	CreatePayment(ctx context.Context, p *Payment) error
	// Payment finds a payment of the account.
	Payment(ctx context.Context, q PaymentQuery) (*Payment, error)
	// PaymentByChallenge finds a payment by its 3-D Secure challenge id.
	PaymentByChallenge(ctx context.Context, challengeID string) (*Payment, error)
	// UpdatePayment writes p if its stored version is still p.Version, then
	// sets p.Version to the new version. When n is not nil it inserts n
	// (setting n.ID) in the same transaction, so a status change and the
	// notification that reports it are written together or not at all.
	// A version mismatch is ErrConflict and writes nothing.
	UpdatePayment(ctx context.Context, p *Payment, n *Notification) error
	// PaymentsToExpire lists up to limit payments still in wait whose
	// ExpiresAt is at or before now, or whose authorization lease ran out.
	PaymentsToExpire(ctx context.Context, now time.Time, limit int) ([]Payment, error)

	// ClaimNotifications leases up to limit pending notifications that are
	// due at now and not leased by another owner (or whose lease ran out),
	// until leaseUntil. A notification is held by one owner at a time.
	ClaimNotifications(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]Notification, error)
	// RecordAttempt stores one delivery attempt and the notification's new
	// state (n.Status, n.Attempts, n.NextAttemptAt, …) and releases the
	// lease. It is ErrConflict when owner no longer holds the lease.
	RecordAttempt(ctx context.Context, owner string, n *Notification, a NotificationAttempt) error
	// Notifications lists notifications, newest first.
	Notifications(ctx context.Context, q NotificationQuery) ([]Notification, error)
	// NotificationAttempts lists the attempts of one notification, oldest first.
	NotificationAttempts(ctx context.Context, notificationID int64) ([]NotificationAttempt, error)
	// NextNotificationDue returns when the earliest pending notification is
	// due, or the zero time when none is pending.
	NextNotificationDue(ctx context.Context) (time.Time, error)

	// Close releases the database.
	Close() error
}

// PaymentQuery names one payment of an account: by ID, by UUID, or by
// OrderID (the newest payment with that order_id). Exactly one is set.
type PaymentQuery struct {
	AccountUUID string // required unless UUID is set and any account will do
	ID          int64
	UUID        string
	OrderID     string
}

// NotificationQuery filters Notifications.
type NotificationQuery struct {
	AccountUUID string
	PaymentUUID string
	Status      NotificationStatus
	Limit       int // 0: 100
}
