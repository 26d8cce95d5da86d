package gateway

import (
	"context"
	"fmt"
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
	// SetAccountService enables a service for the account or replaces its
	// settings (commission, limits).
	SetAccountService(ctx context.Context, s AccountService) error

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
	// When l is not nil it applies the ledger transaction in that same
	// transaction (see ApplyLedger rules below) and stores the available
	// balance before and after it in p.AccountOldBalance and
	// p.AccountNewBalance. A version mismatch is ErrConflict and writes
	// nothing.
	UpdatePayment(ctx context.Context, p *Payment, n *Notification, l *LedgerTransaction) error
	// PaymentsToExpire lists up to limit payments still in wait whose
	// ExpiresAt is at or before now, or whose authorization lease ran out.
	PaymentsToExpire(ctx context.Context, now time.Time, limit int) ([]Payment, error)

	// PaymentHistory lists an account's payments created in [q.From, q.To),
	// oldest first (by creation time, then id), q.Offset rows in, at most
	// q.Limit of them, and the total number in the range. It reads one page
	// from the database, never the whole range.
	PaymentHistory(ctx context.Context, q HistoryQuery) ([]Payment, int, error)

	// CreatePayout inserts po (setting po.ID, po.Version 1) and applies its
	// reservation l in one transaction, setting po.AccountOldBalance and
	// po.AccountNewBalance from it. A live (wait) or paid payout of the
	// account with the same order_id is ErrDuplicateOrder; a reservation
	// the available balance cannot cover is ErrInsufficientFunds; either
	// writes nothing, also when creates race.
	CreatePayout(ctx context.Context, po *Payout, l *LedgerTransaction) error
	// Payout finds a payout of the account.
	Payout(ctx context.Context, q PayoutQuery) (*Payout, error)
	// UpdatePayout is UpdatePayment for payouts (version check, notification
	// and ledger in one transaction); it does not touch the balance fields.
	UpdatePayout(ctx context.Context, po *Payout, n *Notification, l *LedgerTransaction) error
	// PayoutsToProcess lists up to limit payouts in wait that no one holds:
	// never claimed, or whose LeaseUntil is at or before now; oldest first.
	PayoutsToProcess(ctx context.Context, now time.Time, limit int) ([]Payout, error)

	// Balance returns the account's wallet: zero amounts, in the account's
	// currency, before its first ledger transaction.
	Balance(ctx context.Context, accountUUID string) (*Balance, error)
	// LedgerTransactions lists an account's transactions with their entries,
	// those with ID > q.AfterID, oldest first, at most q.Limit (0: 100);
	// with q.AccountUUID "" those of every account.
	LedgerTransactions(ctx context.Context, q LedgerQuery) ([]LedgerTransaction, error)

	// ListPayments lists payments for the operator, newest first (by
	// creation time, then id), one page of them, with the total that match
	// f. Empty fields of f do not filter.
	ListPayments(ctx context.Context, f PaymentFilter) ([]Payment, int, error)
	// PaymentsPerHour counts the payments created in [from, to) by UTC hour
	// and status, oldest hour first; with accountUUID "" those of every account.
	PaymentsPerHour(ctx context.Context, accountUUID string, from, to time.Time) ([]HourCount, error)

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
	// Notification returns one notification by id.
	Notification(ctx context.Context, id int64) (*Notification, error)
	// RequeueNotification makes a notification pending again and due at
	// now, with a fresh retry window (FirstAttemptAt cleared, no lease);
	// its attempts stay recorded. The operator's "resend". ErrNotFound for
	// an unknown id.
	RequeueNotification(ctx context.Context, id int64, now time.Time) error
	// NextNotificationDue returns when the earliest pending notification is
	// due, or the zero time when none is pending.
	NextNotificationDue(ctx context.Context) (time.Time, error)

	// KeyCheck stores check as the database's master-key check if it has
	// none yet, and returns the check it holds. Every instance on one
	// database must use the same master key (it seals card data that
	// another instance opens); one whose check differs must not start.
	KeyCheck(ctx context.Context, check string) (string, error)

	// Close releases the database.
	Close() error
}

// ObjectQuery names one payment or payout of an account: by ID, by UUID, or
// by OrderID (the newest with that order_id). Exactly one is set;
// AccountUUID is required unless UUID is set and any account will do.
type ObjectQuery struct {
	AccountUUID string
	ID          int64
	UUID        string
	OrderID     string
}

// PaymentQuery and PayoutQuery name a payment and a payout.
type (
	PaymentQuery = ObjectQuery
	PayoutQuery  = ObjectQuery
)

// Valid reports whether q names one object: exactly one of ID, UUID and
// OrderID, and an account unless by UUID.
func (q ObjectQuery) Valid() bool {
	set := 0
	for _, ok := range []bool{q.ID != 0, q.UUID != "", q.OrderID != ""} {
		if ok {
			set++
		}
	}
	return set == 1 && (q.UUID != "" || q.AccountUUID != "")
}

// Describe names what q looks for, for errors: "payment 100000001 of account …".
func (q ObjectQuery) Describe(kind string) string {
	switch {
	case q.ID != 0:
		return fmt.Sprintf("%s %d of account %s", kind, q.ID, q.AccountUUID)
	case q.UUID != "":
		return kind + " " + q.UUID
	}
	return fmt.Sprintf("%s with order_id %q of account %s", kind, q.OrderID, q.AccountUUID)
}

// Ledger rules, for UpdatePayment, CreatePayout and UpdatePayout: a
// transaction's entries must sum to zero (else an error, nothing written);
// the store inserts the transaction and its entries, sets l.ID, and adds
// each entry on the account's MerchantAvailable or MerchantReserved book to
// that balance. If either balance would go below zero the whole write is
// ErrInsufficientFunds and nothing is written. l.AvailableBefore and
// l.AvailableAfter are set to the available balance around the write.

// HistoryQuery selects a page of an account's payments by creation time.
type HistoryQuery struct {
	AccountUUID string
	From, To    time.Time // [From, To)
	Offset      int
	Limit       int
}

// PaymentFilter selects payments for the operator's list.
type PaymentFilter struct {
	AccountUUID string
	Status      Status
	OrderID     string
	From, To    time.Time // created in [From, To); zero = open
	Offset      int
	Limit       int // 0: 50
}

// HourCount is the number of payments of one status created in one hour.
type HourCount struct {
	Hour   time.Time // the start of the hour, UTC
	Status Status
	Count  int
}

// LedgerQuery selects ledger transactions.
type LedgerQuery struct {
	AccountUUID string
	AfterID     int64
	Limit       int
}

// NotificationQuery filters Notifications.
type NotificationQuery struct {
	AccountUUID string
	PaymentUUID string
	Status      NotificationStatus
	Limit       int // 0: 100
}
