package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// paymentWritable are the columns UpdatePayment writes: all but the
// identity (id, uuid, account_uuid) and version. Their order is the order
// of paymentArgs.
var paymentWritable = []string{
	"order_id", "amount", "currency", "service", "status", "description",
	"lifetime_s", "expires_at", "created_at", "updated_at", "final_at",
	"customer", "browser", "success_redirect_url", "fail_redirect_url", "notification_url",
	"return_url", "payer_browser", "card_first6", "card_last4", "card_brand",
	"card_exp_month", "card_exp_year", "sealed_card", "three_ds", "challenge_id",
	"card_at", "challenge_at", "auth_state", "auth_lease_until", "auth_reference",
	"decline_reason", "cancel_reason", "commission", "account_old_balance", "account_new_balance",
}

// paymentArgs are p's values for paymentWritable.
func paymentArgs(p *gateway.Payment) ([]any, error) {
	customer, err := jsonArg(p.Customer)
	if err != nil {
		return nil, err
	}
	browser, err := jsonArg(p.Browser)
	if err != nil {
		return nil, err
	}
	payerBrowser, err := jsonArg(p.PayerBrowser)
	if err != nil {
		return nil, err
	}
	return []any{
		p.OrderID, int64(p.Amount), p.Currency, p.Service, string(p.Status), p.Desc,
		int64(p.Lifetime / time.Second), timeArg(p.ExpiresAt), timeArg(p.CreatedAt), timeArg(p.UpdatedAt), timeArg(p.FinalAt),
		customer, browser, p.SuccessRedirectURL, p.FailRedirectURL, p.NotificationURL,
		p.ReturnURL, payerBrowser, p.Card.First6, p.Card.Last4, p.Card.Brand,
		p.Card.ExpMonth, p.Card.ExpYear, blobArg(p.SealedCard), string(p.ThreeDS), textArg(p.ChallengeID),
		timeArg(p.CardAt), timeArg(p.ChallengeAt), string(p.AuthState), timeArg(p.AuthLeaseUntil), p.AuthReference,
		p.DeclineReason, p.CancelReason, int64(p.Commission), amountPtrArg(p.AccountOldBalance), amountPtrArg(p.AccountNewBalance),
	}, nil
}

var paymentCols = "id, uuid, account_uuid, version, " + strings.Join(paymentWritable, ", ")

func scanPayment(sc scanner) (*gateway.Payment, error) {
	var p gateway.Payment
	var amount, lifetime int64
	err := sc.Scan(&p.ID, &p.UUID, &p.AccountUUID, &p.Version,
		&p.OrderID, &amount, &p.Currency, &p.Service, &p.Status, &p.Desc,
		&lifetime, timeCol{&p.ExpiresAt}, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, timeCol{&p.FinalAt},
		jsonCol{&p.Customer}, jsonCol{&p.Browser}, &p.SuccessRedirectURL, &p.FailRedirectURL, &p.NotificationURL,
		&p.ReturnURL, jsonCol{&p.PayerBrowser}, &p.Card.First6, &p.Card.Last4, &p.Card.Brand,
		&p.Card.ExpMonth, &p.Card.ExpYear, &p.SealedCard, &p.ThreeDS, textCol{&p.ChallengeID},
		timeCol{&p.CardAt}, timeCol{&p.ChallengeAt}, &p.AuthState, timeCol{&p.AuthLeaseUntil}, &p.AuthReference,
		&p.DeclineReason, &p.CancelReason, &p.Commission, amountPtrCol{&p.AccountOldBalance}, amountPtrCol{&p.AccountNewBalance},
	)
	if err != nil {
		return nil, err
	}
	p.Amount = money.Amount(amount)
	p.Lifetime = time.Duration(lifetime) * time.Second
	return &p, nil
}

var (
	insertPaymentSQL = `INSERT INTO payments (uuid, account_uuid, version, ` + strings.Join(paymentWritable, ", ") + `)
		VALUES (?, ?, 1` + strings.Repeat(", ?", len(paymentWritable)) + `) RETURNING id`
	updatePaymentSQL = `UPDATE payments SET ` + strings.Join(paymentWritable, " = ?, ") + ` = ?, version = version + 1
		WHERE uuid = ? AND version = ?`
	paymentByIDSQL = `SELECT ` + paymentCols + ` FROM payments WHERE id = ? AND account_uuid = ?`
	// With no account given, any account's payment will do.
	paymentByUUIDSQL    = `SELECT ` + paymentCols + ` FROM payments WHERE uuid = ?1 AND (?2 = '' OR account_uuid = ?2)`
	paymentByOrderIDSQL = `SELECT ` + paymentCols + ` FROM payments WHERE account_uuid = ? AND order_id = ?
		ORDER BY id DESC LIMIT 1`
	paymentByChallengeSQL = `SELECT ` + paymentCols + ` FROM payments WHERE challenge_id = ?`
	paymentVersionSQL     = `SELECT id, account_uuid, version FROM payments WHERE uuid = ?`

	// PaymentHistory: one page of a range and the size of the range, both
	// on the payments_history index.
	historyPageSQL = `SELECT ` + paymentCols + ` FROM payments
		WHERE account_uuid = ? AND created_at >= ? AND created_at < ?
		ORDER BY created_at, id LIMIT ? OFFSET ?`
	historyCountSQL = `SELECT count(*) FROM payments WHERE account_uuid = ? AND created_at >= ? AND created_at < ?`
)

// CreatePayment inserts p and sets p.ID and p.Version (1). Another payment
// of the account in wait or paid with p.OrderID makes it
// gateway.ErrDuplicateOrder, decided by the payments_live_order_id index so
// that racing creates produce exactly one payment. A uuid or challenge id
// already stored is gateway.ErrConflict.
func (s *Store) CreatePayment(ctx context.Context, p *gateway.Payment) error {
	args, err := paymentArgs(p)
	if err != nil {
		return fmt.Errorf("sqlite: create payment %s: %w", p.UUID, err)
	}
	var id int64
	err = s.insertPayment.QueryRowContext(ctx, append([]any{p.UUID, p.AccountUUID}, args...)...).Scan(&id)
	if err != nil {
		return paymentWriteErr("create payment "+p.UUID, err)
	}
	p.ID, p.Version = id, 1
	return nil
}

func paymentWriteErr(what string, err error) error {
	if isDuplicateOrder(err) {
		return fmt.Errorf("sqlite: %s: %w", what, gateway.ErrDuplicateOrder)
	}
	return writeErr(what, err)
}

// Payment finds one payment: by q.ID or q.OrderID (the newest with it)
// within q.AccountUUID, or by q.UUID, within q.AccountUUID when it is set.
// No such payment is gateway.ErrNotFound.
func (s *Store) Payment(ctx context.Context, q gateway.PaymentQuery) (*gateway.Payment, error) {
	if !q.Valid() {
		return nil, fmt.Errorf("sqlite: payment query %+v: set exactly one of ID, UUID, OrderID, and AccountUUID unless UUID", q)
	}
	what := q.Describe("payment")
	var (
		p   *gateway.Payment
		err error
	)
	switch {
	case q.ID != 0:
		p, err = scanPayment(s.paymentByID.QueryRowContext(ctx, q.ID, q.AccountUUID))
	case q.UUID != "":
		p, err = scanPayment(s.paymentByUUID.QueryRowContext(ctx, q.UUID, q.AccountUUID))
	default:
		p, err = scanPayment(s.paymentByOrderID.QueryRowContext(ctx, q.AccountUUID, q.OrderID))
	}
	if err != nil {
		return nil, readErr(what, err)
	}
	return p, nil
}

// PaymentByChallenge finds the payment whose ChallengeID is challengeID, or
// gateway.ErrNotFound (always for "").
func (s *Store) PaymentByChallenge(ctx context.Context, challengeID string) (*gateway.Payment, error) {
	if challengeID == "" {
		return nil, fmt.Errorf("sqlite: payment by empty challenge id: %w", gateway.ErrNotFound)
	}
	p, err := scanPayment(s.paymentByChallenge.QueryRowContext(ctx, challengeID))
	if err != nil {
		return nil, readErr("payment by challenge", err)
	}
	return p, nil
}

// UpdatePayment writes every field of p but ID, UUID and AccountUUID if the
// stored version is still p.Version, inserts n (when not nil, setting n.ID)
// and applies l (when not nil) in the same transaction, and then
// increments p.Version. A version mismatch, or no payment with p.UUID, is
// gateway.ErrConflict and writes nothing; so is a ChallengeID another
// payment has, and a second ledger transaction of the same kind for the
// payment. Without n and l it is a single UPDATE.
//
// l must name p's account, p (l.PaymentID p.ID, or 0: set to p.ID) and no
// payout, and be in the account's currency; its entries must sum to zero.
// It is applied before the payment row is written, so that the available
// balance around it goes into p.AccountOldBalance and p.AccountNewBalance
// in the same UPDATE; l.ID, l.AvailableBefore and l.AvailableAfter are set
// too. A balance it would take below zero is gateway.ErrInsufficientFunds.
// The version is checked before the ledger, so a stale p is ErrConflict
// even when its ledger could not be applied. On any error p, n and l are
// left as they were.
func (s *Store) UpdatePayment(ctx context.Context, p *gateway.Payment, n *gateway.Notification, l *gateway.LedgerTransaction) error {
	what := fmt.Sprintf("update payment %s version %d", p.UUID, p.Version)
	var plan *ledgerPlan
	if l != nil {
		var err error
		if plan, err = planLedger(l, p.AccountUUID, p.ID, 0); err != nil {
			return fmt.Errorf("sqlite: %s: %w", what, err)
		}
		if p.ID == 0 {
			return fmt.Errorf("sqlite: %s: a payment with a ledger transaction needs its ID", what)
		}
	}

	if n == nil && l == nil {
		args, err := paymentArgs(p)
		if err != nil {
			return fmt.Errorf("sqlite: %s: %w", what, err)
		}
		// One statement is its own transaction.
		res, err := s.updatePayment.ExecContext(ctx, append(args, p.UUID, p.Version)...)
		if err := updated(what, res, err); err != nil {
			return err
		}
		p.Version++
		return nil
	}

	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer tx.Rollback()

	row := p
	var lw ledgerWrite
	if plan != nil {
		// The writer's transaction is IMMEDIATE: nothing changes the
		// version between this read and the UPDATE, whose own check is
		// kept all the same.
		var (
			id, version int64
			account     string
		)
		err := tx.StmtContext(ctx, s.paymentVersion).QueryRowContext(ctx, p.UUID).Scan(&id, &account, &version)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && version != p.Version) {
			return fmt.Errorf("sqlite: %s: %w", what, gateway.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("sqlite: %s: %w", what, err)
		}
		// The ledger is posted by p.ID and p.AccountUUID, which the
		// UPDATE does not compare: they must be the stored ones.
		if id != p.ID || account != p.AccountUUID {
			return fmt.Errorf("sqlite: %s: payment is %d of account %s, not %d of %s", what, id, account, p.ID, p.AccountUUID)
		}
		if err := s.notPosted(ctx, tx, plan, p.ID, 0); err != nil {
			return fmt.Errorf("sqlite: %s: %w", what, err)
		}
		if lw.before, lw.after, err = s.applyBalance(ctx, tx, plan); err != nil {
			return fmt.Errorf("sqlite: %s: %w", what, err)
		}
		c := *p
		c.AccountOldBalance, c.AccountNewBalance = ptr(lw.before), ptr(lw.after)
		row = &c
	}
	args, err := paymentArgs(row)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	res, err := tx.StmtContext(ctx, s.updatePayment).ExecContext(ctx, append(args, p.UUID, p.Version)...)
	if err := updated(what, res, err); err != nil {
		return err
	}
	if plan != nil {
		if lw.id, err = s.insertLedger(ctx, tx, plan, p.ID, 0, lw.before, lw.after); err != nil {
			return fmt.Errorf("sqlite: %s: %w", what, err)
		}
	}
	var nid int64
	if n != nil {
		if err := tx.StmtContext(ctx, s.insertNotification).QueryRowContext(ctx, notificationArgs(n)...).Scan(&nid); err != nil {
			return writeErr(what+": insert notification", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	p.Version++
	if n != nil {
		n.ID = nid
	}
	if plan != nil {
		p.AccountOldBalance, p.AccountNewBalance = row.AccountOldBalance, row.AccountNewBalance
		lw.commit(l, p.ID, 0)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// updated turns the outcome of the versioned UPDATE into the error to return.
func updated(what string, res interface{ RowsAffected() (int64, error) }, err error) error {
	if err != nil {
		return paymentWriteErr(what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", what, gateway.ErrConflict)
	}
	return nil
}

// PaymentsToExpire lists up to limit payments in wait that are due at now,
// oldest ExpiresAt first: unclaimed ones whose ExpiresAt has passed, and
// claimed ones whose AuthLeaseUntil has (a live claim holds off expiry).
// limit <= 0 lists none.
func (s *Store) PaymentsToExpire(ctx context.Context, now time.Time, limit int) ([]gateway.Payment, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT `+paymentCols+` FROM payments
		WHERE status = 'wait' AND (
			(auth_state <> 'claimed' AND expires_at <= ?1) OR
			(auth_state = 'claimed' AND auth_lease_until <= ?1))
		ORDER BY expires_at, id LIMIT ?2`, now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: payments to expire: %w", err)
	}
	defer rows.Close()
	var ps []gateway.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: payments to expire: %w", err)
		}
		ps = append(ps, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: payments to expire: %w", err)
	}
	return ps, nil
}

// PaymentHistory lists the payments of q.AccountUUID created in
// [q.From, q.To), by creation time then id, q.Offset rows in (0 when
// negative), at most q.Limit (100 when 0 or less), and counts the whole
// range. A zero From or To leaves that end open. The page and the count
// are read from one snapshot; the range itself is never loaded.
func (s *Store) PaymentHistory(ctx context.Context, q gateway.HistoryQuery) ([]gateway.Payment, int, error) {
	what := "payment history of account " + q.AccountUUID
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		from = q.From.UnixMicro()
	}
	if !q.To.IsZero() {
		to = q.To.UnixMicro()
	}
	limit, offset := q.Limit, max(q.Offset, 0)
	if limit <= 0 {
		limit = 100
	}
	tx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.StmtContext(ctx, s.historyCount).QueryRowContext(ctx, q.AccountUUID, from, to).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if offset >= total {
		return nil, total, nil
	}
	rows, err := tx.StmtContext(ctx, s.historyPage).QueryContext(ctx, q.AccountUUID, from, to, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	ps := make([]gateway.Payment, 0, min(limit, total-offset))
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		ps = append(ps, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return ps, total, nil
}
