package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// ListPayments lists payments for the operator, newest first (by creation
// time, then id), one page (LIMIT/OFFSET, 50 when f.Limit is 0 or less),
// with the count of all that match: both from one statement, so one
// snapshot. Empty fields of f do not filter.
func (s *Store) ListPayments(ctx context.Context, f gateway.PaymentFilter) ([]gateway.Payment, int, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.AccountUUID != "" {
		add("account_uuid =", f.AccountUUID)
	}
	if f.Status != "" {
		add("status =", string(f.Status))
	}
	if f.OrderID != "" {
		add("order_id =", f.OrderID)
	}
	if !f.From.IsZero() {
		add("created_at >=", f.From)
	}
	if !f.To.IsZero() {
		add("created_at <", f.To)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit, offset := f.Limit, max(f.Offset, 0)
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit, offset)
	n := len(args)
	// As historySQL: the LEFT JOIN keeps the count when the page is empty.
	query := `SELECT c.total, p.* FROM (SELECT count(*) AS total FROM payments` + cond + `) c
		LEFT JOIN LATERAL (SELECT ` + paymentCols + ` FROM payments` + cond + `
			ORDER BY created_at DESC NULLS LAST, id DESC LIMIT $` + strconv.Itoa(n-1) + ` OFFSET $` + strconv.Itoa(n) + `) p ON true
		ORDER BY p.created_at DESC NULLS LAST, p.id DESC`
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: list payments: %w", err)
	}
	ps, total, err := collectPage(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: list payments: %w", err)
	}
	return ps, total, nil
}

// collectPage reads the rows of a page query: each the total, then the
// payment's columns; an empty page is one row with NULL for the payment.
func collectPage(rows pgx.Rows) ([]gateway.Payment, int, error) {
	defer rows.Close()
	var (
		total int
		ps    []gateway.Payment
	)
	for rows.Next() {
		if rows.RawValues()[1] == nil {
			dest := make([]any, len(rows.FieldDescriptions())) // nil: skip the column
			dest[0] = &total
			if err := rows.Scan(dest...); err != nil {
				return nil, 0, err
			}
			continue
		}
		p, err := scanPayment(pageRow{rows, &total})
		if err != nil {
			return nil, 0, err
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return ps, total, nil
}

// pageRow scans a row of a page query: the total first, then the columns
// the wrapped scan asks for.
type pageRow struct {
	rows  pgx.Rows
	total *int
}

func (r pageRow) Scan(dest ...any) error {
	return r.rows.Scan(append([]any{r.total}, dest...)...)
}

// PaymentsPerHour counts the payments created in [from, to) by UTC hour
// and status, oldest hour first; with accountUUID "" those of every
// account. A zero from or to leaves that end open.
func (s *Store) PaymentsPerHour(ctx context.Context, accountUUID string, from, to time.Time) ([]gateway.HourCount, error) {
	lo, hi := rangeArgs(from, to)
	cond, args := ``, []any{lo, hi}
	if accountUUID != "" {
		cond, args = ` AND account_uuid = $3`, append(args, accountUUID)
	}
	rows, err := s.pool.Query(ctx, `SELECT date_trunc('hour', created_at, 'UTC') AS h, status, count(*) FROM payments
		WHERE created_at >= $1 AND created_at < $2`+cond+`
		GROUP BY h, status ORDER BY h, status`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: payments per hour: %w", err)
	}
	out, err := collect(rows, func(row pgx.Row) (gateway.HourCount, error) {
		var c gateway.HourCount
		err := row.Scan(timeCol(&c.Hour), &c.Status, &c.Count)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: payments per hour: %w", err)
	}
	return out, nil
}
