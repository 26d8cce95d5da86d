package postgres

import (
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

// paymentFields are the columns UpdatePayment writes from p: all but the
// identity (id, uuid, account_uuid), the version and the balance around the
// ledger credit. paymentWritable adds the balance, written from p too when
// there is no ledger transaction. Their order is the order of paymentArgs.
var (
	paymentFields = []string{
		"order_id", "amount", "currency", "service", "status", "description",
		"lifetime", "expires_at", "created_at", "updated_at", "final_at",
		"customer", "browser", "success_redirect_url", "fail_redirect_url", "notification_url",
		"return_url", "payer_browser", "card_first6", "card_last4", "card_brand",
		"card_exp_month", "card_exp_year", "sealed_card", "three_ds", "challenge_id",
		"card_at", "challenge_at", "auth_state", "auth_lease_until", "auth_reference",
		"decline_reason", "cancel_reason", "commission",
	}
	paymentWritable = append(slices.Clip(paymentFields), "account_old_balance", "account_new_balance")
)

// paymentArgs are p's values for paymentWritable.
func paymentArgs(p *gateway.Payment) ([]any, error) {
	js, err := jsonArgs(p.Customer, p.Browser, p.PayerBrowser)
	if err != nil {
		return nil, err
	}
	return []any{
		p.OrderID, int64(p.Amount), p.Currency, p.Service, string(p.Status), p.Desc,
		p.Lifetime, timeArg(p.ExpiresAt), timeArg(p.CreatedAt), timeArg(p.UpdatedAt), timeArg(p.FinalAt),
		js[0], js[1], p.SuccessRedirectURL, p.FailRedirectURL, p.NotificationURL,
		p.ReturnURL, js[2], p.Card.First6, p.Card.Last4, p.Card.Brand,
		p.Card.ExpMonth, p.Card.ExpYear, blobArg(p.SealedCard), string(p.ThreeDS), textArg(p.ChallengeID),
		timeArg(p.CardAt), timeArg(p.ChallengeAt), string(p.AuthState), timeArg(p.AuthLeaseUntil), p.AuthReference,
		p.DeclineReason, p.CancelReason, int64(p.Commission), amountPtrArg(p.AccountOldBalance), amountPtrArg(p.AccountNewBalance),
	}, nil
}

var paymentCols = "id, uuid, account_uuid, version, " + strings.Join(paymentWritable, ", ")

func scanPayment(row pgx.Row) (gateway.Payment, error) {
	var p gateway.Payment
	err := row.Scan(&p.ID, &p.UUID, &p.AccountUUID, &p.Version,
		&p.OrderID, &p.Amount, &p.Currency, &p.Service, &p.Status, &p.Desc,
		&p.Lifetime, timeCol(&p.ExpiresAt), timeCol(&p.CreatedAt), timeCol(&p.UpdatedAt), timeCol(&p.FinalAt),
		&p.Customer, &p.Browser, &p.SuccessRedirectURL, &p.FailRedirectURL, &p.NotificationURL,
		&p.ReturnURL, &p.PayerBrowser, &p.Card.First6, &p.Card.Last4, &p.Card.Brand,
		&p.Card.ExpMonth, &p.Card.ExpYear, &p.SealedCard, &p.ThreeDS, textCol(&p.ChallengeID),
		timeCol(&p.CardAt), timeCol(&p.ChallengeAt), &p.AuthState, timeCol(&p.AuthLeaseUntil), &p.AuthReference,
		&p.DeclineReason, &p.CancelReason, &p.Commission, &p.AccountOldBalance, &p.AccountNewBalance,
	)
	return p, err
}

// params is "$from, $from+1, …", n of them.
func params(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// assignments is "col1 = $from, col2 = $from+1, …".
func assignments(cols []string, from int) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + " = $" + strconv.Itoa(from+i)
	}
	return strings.Join(parts, ", ")
}

var (
	insertPaymentSQL = `INSERT INTO payments (uuid, account_uuid, version, ` + strings.Join(paymentWritable, ", ") + `)
		VALUES ($1, $2, 1, ` + params(3, len(paymentWritable)) + `) RETURNING id`

	// The versioned write: paymentArgs, then the uuid and the version read.
	updatePaymentSQL = `UPDATE payments SET ` + assignments(paymentWritable, 1) + `, version = version + 1
		WHERE uuid = $` + strconv.Itoa(len(paymentWritable)+1) + ` AND version = $` + strconv.Itoa(len(paymentWritable)+2)

	// The versioned write and its notification in one statement: the
	// notification is inserted only if the UPDATE matched, so no rows
	// back is a conflict and nothing was written.
	updatePaymentNotifySQL = `WITH updated AS (` + updatePaymentSQL + ` RETURNING id)
		INSERT INTO notifications (` + strings.Join(notificationWritable, ", ") + `)
		SELECT ` + params(len(paymentWritable)+3, len(notificationWritable)) + ` FROM updated
		RETURNING id`

	// The payment's row, locked for the ledger write, and whether it was
	// posted with this kind already.
	lockPaymentSQL = `SELECT id, account_uuid, version,
			EXISTS (SELECT 1 FROM ledger_transactions WHERE payment_id = payments.id AND kind = $2)
		FROM payments WHERE uuid = $1 FOR NO KEY UPDATE`

	// The ledger write and the payment's row with the balance around it,
	// in one statement: ledgerArgs, the uuid, the version, then paymentArgs
	// without the balance.
	payPaymentSQL = postLedgerSQL(`payment AS (
			UPDATE payments SET `+assignments(paymentFields, 11)+`,
				account_old_balance = moved.before, account_new_balance = moved.after, version = version + 1
			FROM moved WHERE uuid = $9 AND version = $10
			RETURNING payments.id)`, "payment.id", "NULL::bigint", "payment")

	paymentByIDSQL = `SELECT ` + paymentCols + ` FROM payments WHERE id = $1 AND account_uuid = $2`
	// With no account given, any account's payment will do.
	paymentByUUIDSQL    = `SELECT ` + paymentCols + ` FROM payments WHERE uuid = $1 AND ($2 = '' OR account_uuid = $2)`
	paymentByOrderIDSQL = `SELECT ` + paymentCols + ` FROM payments WHERE account_uuid = $1 AND order_id = $2
		ORDER BY id DESC LIMIT 1`
	paymentByChallengeSQL = `SELECT ` + paymentCols + ` FROM payments WHERE challenge_id = $1`

	// PaymentHistory: the size of the range and one page of it, from one
	// statement (one snapshot), both on the payments_history index. The
	// LEFT JOIN keeps the count when the page is empty.
	historySQL = `SELECT c.total, p.* FROM
		(SELECT count(*) AS total FROM payments WHERE account_uuid = $1 AND created_at >= $2 AND created_at < $3) c
		LEFT JOIN LATERAL (
			SELECT ` + paymentCols + ` FROM payments WHERE account_uuid = $1 AND created_at >= $2 AND created_at < $3
			ORDER BY created_at NULLS FIRST, id LIMIT $4 OFFSET $5) p ON true
		ORDER BY p.created_at NULLS FIRST, p.id`
)

// CreatePayment inserts p and sets p.ID and p.Version (1). Another payment
// of the account in wait or paid with p.OrderID makes it
// gateway.ErrDuplicateOrder, decided by the payments_live_order_id index so
// that racing creates produce exactly one payment (the second waits for
// the first to commit). A uuid or challenge id already stored is
// gateway.ErrConflict. IDs come from an identity column: a refused insert
// uses one up, so IDs increase but may skip.
func (s *Store) CreatePayment(ctx context.Context, p *gateway.Payment) error {
	args, err := paymentArgs(p)
	if err != nil {
		return writeErr("create payment "+p.UUID, err)
	}
	var id int64
	err = s.pool.QueryRow(ctx, insertPaymentSQL, append([]any{p.UUID, p.AccountUUID}, args...)...).Scan(&id)
	if err != nil {
		return writeErr("create payment "+p.UUID, err)
	}
	p.ID, p.Version = id, 1
	return nil
}

// Payment finds one payment: by q.ID or q.OrderID (the newest with it)
// within q.AccountUUID, or by q.UUID, within q.AccountUUID when it is set.
// No such payment is gateway.ErrNotFound.
func (s *Store) Payment(ctx context.Context, q gateway.PaymentQuery) (*gateway.Payment, error) {
	if !q.Valid() {
		return nil, fmt.Errorf("postgres: payment query %+v: set exactly one of ID, UUID, OrderID, and AccountUUID unless UUID", q)
	}
	what := q.Describe("payment")
	var row pgx.Row
	switch {
	case q.ID != 0:
		row = s.pool.QueryRow(ctx, paymentByIDSQL, q.ID, q.AccountUUID)
	case q.UUID != "":
		row = s.pool.QueryRow(ctx, paymentByUUIDSQL, q.UUID, q.AccountUUID)
	default:
		row = s.pool.QueryRow(ctx, paymentByOrderIDSQL, q.AccountUUID, q.OrderID)
	}
	p, err := scanPayment(row)
	if err != nil {
		return nil, readErr(what, err)
	}
	return &p, nil
}

// PaymentByChallenge finds the payment whose ChallengeID is challengeID, or
// gateway.ErrNotFound (always for "").
func (s *Store) PaymentByChallenge(ctx context.Context, challengeID string) (*gateway.Payment, error) {
	if challengeID == "" {
		return nil, fmt.Errorf("postgres: payment by empty challenge id: %w", gateway.ErrNotFound)
	}
	p, err := scanPayment(s.pool.QueryRow(ctx, paymentByChallengeSQL, challengeID))
	if err != nil {
		return nil, readErr("payment by challenge", err)
	}
	return &p, nil
}

// UpdatePayment writes every field of p but ID, UUID and AccountUUID if the
// stored version is still p.Version, inserts n (when not nil, setting n.ID)
// and applies l (when not nil) in the same transaction, and then
// increments p.Version. A version mismatch, or no payment with p.UUID, is
// gateway.ErrConflict and writes nothing; so is a ChallengeID another
// payment has, and a second ledger transaction of the same kind for the
// payment. Without l it is one statement: the versioned UPDATE, with n
// inserted by the same statement when given.
//
// l must name p's account, p (l.PaymentID p.ID, or 0: set to p.ID) and no
// payout, and be in the account's currency; its entries must sum to zero.
// It is applied after the payment's row is locked and its version checked,
// and before the row is written, so that the available balance around it
// goes into p.AccountOldBalance and p.AccountNewBalance in the same
// UPDATE; l.ID, l.AvailableBefore and l.AvailableAfter are set too. A
// balance it would take below zero is gateway.ErrInsufficientFunds. A stale
// p is ErrConflict even when its ledger could not be applied. On any error
// p, n and l are left as they were.
func (s *Store) UpdatePayment(ctx context.Context, p *gateway.Payment, n *gateway.Notification, l *gateway.LedgerTransaction) error {
	what := fmt.Sprintf("update payment %s version %d", p.UUID, p.Version)
	args, err := paymentArgs(p)
	if err != nil {
		return writeErr(what, err)
	}
	if l == nil {
		if err := s.versionedUpdate(ctx, what, updatePaymentSQL, updatePaymentNotifySQL, append(args, p.UUID, p.Version), n); err != nil {
			return err
		}
		p.Version++
		return nil
	}

	if p.ID == 0 {
		return fmt.Errorf("postgres: %s: a payment with a ledger transaction needs its ID", what)
	}
	plan, err := planLedger(l, p.AccountUUID, p.ID, 0)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}

	// First round trip: BEGIN, and lock the row to check it.
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	var (
		id, version int64
		account     string
		posted      bool
	)
	b.Queue(lockPaymentSQL, p.UUID, string(l.Kind)).QueryRow(func(row pgx.Row) error {
		return row.Scan(&id, &account, &version, &posted)
	})
	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer tx.Rollback(ctx)
	err = br.Close()
	switch {
	case errors.Is(err, pgx.ErrNoRows) || (err == nil && version != p.Version):
		return fmt.Errorf("postgres: %s: %w", what, gateway.ErrConflict)
	case err != nil:
		return fmt.Errorf("postgres: %s: %w", what, err)
	case id != p.ID || account != p.AccountUUID:
		// The ledger is posted by p.ID and p.AccountUUID, which the
		// UPDATE does not compare: they must be the stored ones.
		return fmt.Errorf("postgres: %s: payment is %d of account %s, not %d of %s", what, id, account, p.ID, p.AccountUUID)
	case posted:
		return fmt.Errorf("postgres: %s: payment %d already has a %s ledger transaction: %w", what, p.ID, l.Kind, gateway.ErrConflict)
	}

	// Second: the ledger and the row in one statement, and the
	// notification; then the commit.
	b = &pgx.Batch{}
	var w ledgerWrite
	b.Queue(payPaymentSQL, slices.Concat(ledgerArgs(plan), []any{p.UUID, p.Version}, args[:len(paymentFields)])...).
		QueryRow(scanLedgerWrite(&w))
	var nid int64
	if n != nil {
		b.Queue(insertNotificationSQL, notificationArgs(n)...).QueryRow(func(row pgx.Row) error { return row.Scan(&nid) })
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return writeErr(what, err)
	}
	if w.refused {
		return fmt.Errorf("postgres: %s: %w", what, balanceRefusal(ctx, tx, plan))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	p.Version++
	p.AccountOldBalance, p.AccountNewBalance = ptr(w.before), ptr(w.after)
	if n != nil {
		n.ID = nid
	}
	l.ID, l.PaymentID, l.AvailableBefore, l.AvailableAfter = w.id, p.ID, w.before, w.after
	return nil
}

// PaymentsToExpire lists up to limit payments in wait that are due at now,
// oldest ExpiresAt first: unclaimed ones whose ExpiresAt has passed, and
// claimed ones whose AuthLeaseUntil has (a live claim holds off expiry).
// limit <= 0 lists none. It is a plain read: whoever acts on a payment
// claims it with a versioned UpdatePayment, so locking rows here would
// cost writes and protect nothing.
func (s *Store) PaymentsToExpire(ctx context.Context, now time.Time, limit int) ([]gateway.Payment, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+paymentCols+` FROM payments
		WHERE status = 'wait' AND (
			(auth_state <> 'claimed' AND expires_at <= $1) OR
			(auth_state = 'claimed' AND auth_lease_until <= $1))
		ORDER BY expires_at NULLS FIRST, id LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: payments to expire: %w", err)
	}
	ps, err := collect(rows, scanPayment)
	if err != nil {
		return nil, fmt.Errorf("postgres: payments to expire: %w", err)
	}
	return ps, nil
}

// PaymentHistory lists the payments of q.AccountUUID created in
// [q.From, q.To), by creation time then id, q.Offset rows in (0 when
// negative), at most q.Limit (100 when 0 or less), and counts the whole
// range. A zero From or To leaves that end open. The page and the count
// come from one statement, so from one snapshot; the range itself is
// counted on the index, never loaded.
func (s *Store) PaymentHistory(ctx context.Context, q gateway.HistoryQuery) ([]gateway.Payment, int, error) {
	what := "payment history of account " + q.AccountUUID
	from, to := rangeArgs(q.From, q.To)
	limit, offset := q.Limit, max(q.Offset, 0)
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, historySQL, q.AccountUUID, from, to, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: %s: %w", what, err)
	}
	ps, total, err := collectPage(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: %s: %w", what, err)
	}
	return ps, total, nil
}

// versionedUpdate runs one versioned UPDATE, updateSQL, or with n
// notifySQL: the same UPDATE with n's insert in one statement, setting
// n.ID. No row updated (a stale version, or no such row) is
// gateway.ErrConflict. The caller increments the version on success.
func (s *Store) versionedUpdate(ctx context.Context, what, updateSQL, notifySQL string, args []any, n *gateway.Notification) error {
	if n == nil {
		tag, err := s.pool.Exec(ctx, updateSQL, args...)
		if err != nil {
			return writeErr(what, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: %s: %w", what, gateway.ErrConflict)
		}
		return nil
	}
	var nid int64
	err := s.pool.QueryRow(ctx, notifySQL, append(args, notificationArgs(n)...)...).Scan(&nid)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", what, gateway.ErrConflict)
	}
	if err != nil {
		return writeErr(what, err)
	}
	n.ID = nid
	return nil
}
