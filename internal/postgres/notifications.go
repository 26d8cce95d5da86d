package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// notificationWritable are the columns of a notification but its id, in the
// order of notificationArgs.
var notificationWritable = []string{
	"account_uuid", "type", "object_id", "payment_uuid", "url", "status", "attempts",
	"next_attempt_at", "first_attempt_at", "last_attempt_at", "last_status_code", "last_error",
	"lease_owner", "lease_until", "created_at", "delivered_at",
}

func notificationArgs(n *gateway.Notification) []any {
	return []any{
		n.AccountUUID, n.Type, n.ObjectID, n.PaymentUUID, n.URL, string(n.Status), n.Attempts,
		timeArg(n.NextAttemptAt), timeArg(n.FirstAttemptAt), timeArg(n.LastAttemptAt), n.LastStatusCode, n.LastError,
		textArg(n.LeaseOwner), timeArg(n.LeaseUntil), timeArg(n.CreatedAt), timeArg(n.DeliveredAt),
	}
}

var notificationCols = "id, " + strings.Join(notificationWritable, ", ")

func scanNotification(row pgx.Row) (gateway.Notification, error) {
	var n gateway.Notification
	err := row.Scan(&n.ID,
		&n.AccountUUID, &n.Type, &n.ObjectID, &n.PaymentUUID, &n.URL, &n.Status, &n.Attempts,
		timeCol(&n.NextAttemptAt), timeCol(&n.FirstAttemptAt), timeCol(&n.LastAttemptAt), &n.LastStatusCode, &n.LastError,
		textCol(&n.LeaseOwner), timeCol(&n.LeaseUntil), timeCol(&n.CreatedAt), timeCol(&n.DeliveredAt))
	return n, err
}

var (
	insertNotificationSQL = `INSERT INTO notifications (` + strings.Join(notificationWritable, ", ") + `)
		VALUES (` + params(1, len(notificationWritable)) + `) RETURNING id`

	// The inner SELECT picks the due rows in order and locks them,
	// skipping rows another claim has locked and not committed yet; a row
	// another claim committed meanwhile is rechecked on its new version,
	// whose lease has not run out. So two claims never take one row, and
	// neither waits for the other.
	claimNotificationsSQL = `UPDATE notifications SET lease_owner = $1, lease_until = $2
		WHERE id IN (
			SELECT id FROM notifications
			WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
			ORDER BY next_attempt_at, id LIMIT $4
			FOR UPDATE SKIP LOCKED)
		RETURNING ` + notificationCols

	// The delivery state, written only while owner holds the lease, and the
	// attempt, inserted only then: one statement.
	recordAttemptSQL = `WITH recorded AS (
			UPDATE notifications SET status = $1, attempts = $2, next_attempt_at = $3,
				first_attempt_at = $4, last_attempt_at = $5, last_status_code = $6, last_error = $7, delivered_at = $8,
				lease_owner = NULL, lease_until = NULL
			WHERE id = $9 AND lease_owner = $10
			RETURNING id)
		INSERT INTO notification_attempts (notification_id, at, status_code, error, duration)
		SELECT id, $11, $12, $13, $14 FROM recorded
		RETURNING notification_id`
)

// ClaimNotifications leases to owner, until leaseUntil, up to limit pending
// notifications due at now whose lease is free or ran out, and returns them
// as leased, earliest due first. limit <= 0 claims none.
func (s *Store) ClaimNotifications(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]gateway.Notification, error) {
	if owner == "" {
		return nil, fmt.Errorf("postgres: claim notifications: empty owner")
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, claimNotificationsSQL, owner, leaseUntil, now, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim notifications: %w", err)
	}
	ns, err := collect(rows, scanNotification)
	if err != nil {
		return nil, writeErr("claim notifications", err)
	}
	// RETURNING gives no order.
	slices.SortFunc(ns, func(a, b gateway.Notification) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return ns, nil
}

// RecordAttempt stores a as an attempt of n and n's delivery state (Status,
// Attempts, NextAttemptAt, FirstAttemptAt, LastAttemptAt, LastStatusCode,
// LastError, DeliveredAt), and frees the lease, clearing n.LeaseOwner and
// n.LeaseUntil, in one statement. When owner no longer holds n's lease it
// is gateway.ErrConflict and nothing is written.
func (s *Store) RecordAttempt(ctx context.Context, owner string, n *gateway.Notification, a gateway.NotificationAttempt) error {
	what := fmt.Sprintf("record attempt of notification %d by %s", n.ID, owner)
	var id int64
	err := s.pool.QueryRow(ctx, recordAttemptSQL,
		string(n.Status), n.Attempts, timeArg(n.NextAttemptAt),
		timeArg(n.FirstAttemptAt), timeArg(n.LastAttemptAt), n.LastStatusCode, n.LastError, timeArg(n.DeliveredAt),
		n.ID, owner,
		timeArg(a.At), a.StatusCode, a.Error, a.Duration).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: lease not held: %w", what, gateway.ErrConflict)
	}
	if err != nil {
		return writeErr(what, err)
	}
	n.LeaseOwner, n.LeaseUntil = "", time.Time{}
	return nil
}

// Notifications lists the notifications matching every filter set in q,
// newest first, at most q.Limit (100 when 0 or less).
func (s *Store) Notifications(ctx context.Context, q gateway.NotificationQuery) ([]gateway.Notification, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" = $"+strconv.Itoa(len(args)))
	}
	if q.AccountUUID != "" {
		add("account_uuid", q.AccountUUID)
	}
	if q.PaymentUUID != "" {
		add("payment_uuid", q.PaymentUUID)
	}
	if q.Status != "" {
		add("status", string(q.Status))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT ` + notificationCols + ` FROM notifications`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	query += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: notifications: %w", err)
	}
	ns, err := collect(rows, scanNotification)
	if err != nil {
		return nil, fmt.Errorf("postgres: notifications: %w", err)
	}
	return ns, nil
}

// NotificationAttempts lists the attempts of one notification, oldest first.
func (s *Store) NotificationAttempts(ctx context.Context, notificationID int64) ([]gateway.NotificationAttempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT at, status_code, error, duration FROM notification_attempts
		WHERE notification_id = $1 ORDER BY id`, notificationID)
	if err != nil {
		return nil, fmt.Errorf("postgres: notification %d attempts: %w", notificationID, err)
	}
	as, err := collect(rows, func(row pgx.Row) (gateway.NotificationAttempt, error) {
		a := gateway.NotificationAttempt{NotificationID: notificationID}
		err := row.Scan(timeCol(&a.At), &a.StatusCode, &a.Error, &a.Duration)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: notification %d attempts: %w", notificationID, err)
	}
	return as, nil
}

// NextNotificationDue returns the earliest NextAttemptAt of the pending
// notifications, leased or not, or the zero time when none is pending.
func (s *Store) NextNotificationDue(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.pool.QueryRow(ctx, `SELECT min(next_attempt_at) FROM notifications WHERE status = 'pending'`).
		Scan(timeCol(&t))
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: next notification due: %w", err)
	}
	return t, nil
}

// Notification returns one notification by id, or gateway.ErrNotFound.
func (s *Store) Notification(ctx context.Context, id int64) (*gateway.Notification, error) {
	n, err := scanNotification(s.pool.QueryRow(ctx, `SELECT `+notificationCols+` FROM notifications WHERE id = $1`, id))
	if err != nil {
		return nil, readErr(fmt.Sprintf("notification %d", id), err)
	}
	return &n, nil
}

// RequeueNotification makes a notification pending again and due at now,
// with a fresh retry window (FirstAttemptAt cleared) and no lease; its
// attempts stay. An unknown id is gateway.ErrNotFound.
func (s *Store) RequeueNotification(ctx context.Context, id int64, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE notifications SET status = 'pending', next_attempt_at = $1,
		first_attempt_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = $2`, timeArg(now), id)
	if err != nil {
		return writeErr(fmt.Sprintf("requeue notification %d", id), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: requeue notification %d: %w", id, gateway.ErrNotFound)
	}
	return nil
}
