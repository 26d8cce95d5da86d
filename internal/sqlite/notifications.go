package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

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

func scanNotification(sc scanner) (gateway.Notification, error) {
	var n gateway.Notification
	err := sc.Scan(&n.ID,
		&n.AccountUUID, &n.Type, &n.ObjectID, &n.PaymentUUID, &n.URL, &n.Status, &n.Attempts,
		timeCol{&n.NextAttemptAt}, timeCol{&n.FirstAttemptAt}, timeCol{&n.LastAttemptAt}, &n.LastStatusCode, &n.LastError,
		textCol{&n.LeaseOwner}, timeCol{&n.LeaseUntil}, timeCol{&n.CreatedAt}, timeCol{&n.DeliveredAt})
	return n, err
}

func scanNotifications(rows *sql.Rows) ([]gateway.Notification, error) {
	defer rows.Close()
	var ns []gateway.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	}
	return ns, rows.Err()
}

var (
	insertNotificationSQL = `INSERT INTO notifications (` + strings.Join(notificationWritable, ", ") + `)
		VALUES (?` + strings.Repeat(", ?", len(notificationWritable)-1) + `) RETURNING id`

	// One UPDATE picks and leases the rows, so two claims never take the
	// same row: the writes are serialized by the database lock.
	claimNotificationsSQL = `UPDATE notifications SET lease_owner = ?1, lease_until = ?2
		WHERE id IN (
			SELECT id FROM notifications
			WHERE status = 'pending' AND next_attempt_at <= ?3 AND (lease_until IS NULL OR lease_until <= ?3)
			ORDER BY next_attempt_at, id LIMIT ?4)
		RETURNING ` + notificationCols

	recordNotificationSQL = `UPDATE notifications SET status = ?, attempts = ?, next_attempt_at = ?,
		first_attempt_at = ?, last_attempt_at = ?, last_status_code = ?, last_error = ?, delivered_at = ?,
		lease_owner = NULL, lease_until = NULL
		WHERE id = ? AND lease_owner = ?`

	insertAttemptSQL = `INSERT INTO notification_attempts (notification_id, at, status_code, error, duration_us)
		VALUES (?, ?, ?, ?, ?)`
)

// ClaimNotifications leases to owner, until leaseUntil, up to limit pending
// notifications due at now whose lease is free or ran out, and returns them
// as leased, earliest due first. limit <= 0 claims none.
func (s *Store) ClaimNotifications(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]gateway.Notification, error) {
	if owner == "" {
		return nil, fmt.Errorf("sqlite: claim notifications: empty owner")
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.claimNotifications.QueryContext(ctx, owner, leaseUntil.UnixMicro(), now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim notifications: %w", err)
	}
	ns, err := scanNotifications(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim notifications: %w", err)
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
// n.LeaseUntil. When owner no longer holds n's lease it is
// gateway.ErrConflict and nothing is written.
func (s *Store) RecordAttempt(ctx context.Context, owner string, n *gateway.Notification, a gateway.NotificationAttempt) error {
	what := fmt.Sprintf("record attempt of notification %d by %s", n.ID, owner)
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer tx.Rollback()
	res, err := tx.StmtContext(ctx, s.recordNotification).ExecContext(ctx,
		string(n.Status), n.Attempts, timeArg(n.NextAttemptAt),
		timeArg(n.FirstAttemptAt), timeArg(n.LastAttemptAt), n.LastStatusCode, n.LastError, timeArg(n.DeliveredAt),
		n.ID, owner)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	} else if k == 0 {
		return fmt.Errorf("sqlite: %s: lease not held: %w", what, gateway.ErrConflict)
	}
	if _, err := tx.StmtContext(ctx, s.insertAttempt).ExecContext(ctx,
		n.ID, timeArg(a.At), a.StatusCode, a.Error, a.Duration.Microseconds()); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
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
	if q.AccountUUID != "" {
		where, args = append(where, "account_uuid = ?"), append(args, q.AccountUUID)
	}
	if q.PaymentUUID != "" {
		where, args = append(where, "payment_uuid = ?"), append(args, q.PaymentUUID)
	}
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(q.Status))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT ` + notificationCols + ` FROM notifications`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id DESC LIMIT ?`
	rows, err := s.reader.QueryContext(ctx, query, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: notifications: %w", err)
	}
	ns, err := scanNotifications(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: notifications: %w", err)
	}
	return ns, nil
}

// NotificationAttempts lists the attempts of one notification, oldest first.
func (s *Store) NotificationAttempts(ctx context.Context, notificationID int64) ([]gateway.NotificationAttempt, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT at, status_code, error, duration_us FROM notification_attempts
		WHERE notification_id = ? ORDER BY id`, notificationID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: notification %d attempts: %w", notificationID, err)
	}
	defer rows.Close()
	var as []gateway.NotificationAttempt
	for rows.Next() {
		a := gateway.NotificationAttempt{NotificationID: notificationID}
		var us int64
		if err := rows.Scan(timeCol{&a.At}, &a.StatusCode, &a.Error, &us); err != nil {
			return nil, fmt.Errorf("sqlite: notification %d attempts: %w", notificationID, err)
		}
		a.Duration = time.Duration(us) * time.Microsecond
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: notification %d attempts: %w", notificationID, err)
	}
	return as, nil
}

// NextNotificationDue returns the earliest NextAttemptAt of the pending
// notifications, leased or not, or the zero time when none is pending.
func (s *Store) NextNotificationDue(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.reader.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM notifications WHERE status = 'pending'`).
		Scan(timeCol{&t})
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: next notification due: %w", err)
	}
	return t, nil
}
