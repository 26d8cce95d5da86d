package sqlite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// ListPayments lists payments for the operator, newest first, one page
// (LIMIT/OFFSET), with the count of all that match.
func (s *Store) ListPayments(ctx context.Context, f gateway.PaymentFilter) ([]gateway.Payment, int, error) {
	var (
		where []string
		args  []any
	)
	if f.AccountUUID != "" {
		where, args = append(where, "account_uuid = ?"), append(args, f.AccountUUID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.OrderID != "" {
		where, args = append(where, "order_id = ?"), append(args, f.OrderID)
	}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, f.To.UnixMicro())
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit, offset := f.Limit, max(f.Offset, 0)
	if limit <= 0 {
		limit = 50
	}
	tx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list payments: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payments`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: list payments: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+paymentCols+` FROM payments`+cond+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list payments: %w", err)
	}
	defer rows.Close()
	var ps []gateway.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: list payments: %w", err)
		}
		ps = append(ps, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: list payments: %w", err)
	}
	return ps, total, nil
}

// PaymentsPerHour counts payments by creation hour (UTC) and status.
func (s *Store) PaymentsPerHour(ctx context.Context, accountUUID string, from, to time.Time) ([]gateway.HourCount, error) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = from.UnixMicro()
	}
	if !to.IsZero() {
		hi = to.UnixMicro()
	}
	const hour = int64(time.Hour / time.Microsecond)
	rows, err := s.reader.QueryContext(ctx, `SELECT created_at / ?1 AS h, status, count(*) FROM payments
		WHERE created_at >= ?2 AND created_at < ?3 AND (?4 = '' OR account_uuid = ?4)
		GROUP BY h, status ORDER BY h, status`, hour, lo, hi, accountUUID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: payments per hour: %w", err)
	}
	defer rows.Close()
	var out []gateway.HourCount
	for rows.Next() {
		var h int64
		var c gateway.HourCount
		if err := rows.Scan(&h, &c.Status, &c.Count); err != nil {
			return nil, fmt.Errorf("sqlite: payments per hour: %w", err)
		}
		c.Hour = time.UnixMicro(h * hour).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// Notification returns one notification by id.
func (s *Store) Notification(ctx context.Context, id int64) (*gateway.Notification, error) {
	n, err := scanNotification(s.reader.QueryRowContext(ctx, `SELECT `+notificationCols+` FROM notifications WHERE id = ?`, id))
	if err != nil {
		return nil, readErr(fmt.Sprintf("notification %d", id), err)
	}
	return &n, nil
}

// RequeueNotification makes a notification due again at now with a fresh
// retry window.
func (s *Store) RequeueNotification(ctx context.Context, id int64, now time.Time) error {
	res, err := s.writer.ExecContext(ctx, `UPDATE notifications SET status = 'pending', next_attempt_at = ?,
		first_attempt_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ?`, now.UTC().UnixMicro(), id)
	if err != nil {
		return writeErr(fmt.Sprintf("requeue notification %d", id), err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: requeue notification %d: %w", id, gateway.ErrNotFound)
	}
	return nil
}
