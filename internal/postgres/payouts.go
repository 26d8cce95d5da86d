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

// payoutWritable are the columns UpdatePayout writes: all but the identity
// (id, uuid, account_uuid), the version and the balance around the
// reservation, which CreatePayout writes once. Their order is the order of
// payoutArgs.
var payoutWritable = []string{
	"order_id", "amount", "commission", "currency", "service", "status",
	"number_mask", "sealed_number", "customer", "extra", "notification_url",
	"process_state", "lease_until", "reference", "decline_reason",
	"created_at", "updated_at", "final_at",
}

// payoutArgs are po's values for payoutWritable.
func payoutArgs(po *gateway.Payout) ([]any, error) {
	js, err := jsonArgs(po.Customer, po.Extra)
	if err != nil {
		return nil, err
	}
	return []any{
		po.OrderID, int64(po.Amount), int64(po.Commission), po.Currency, po.Service, string(po.Status),
		po.NumberMask, blobArg(po.SealedNumber), js[0], js[1], po.NotificationURL,
		string(po.ProcessState), timeArg(po.LeaseUntil), po.Reference, po.DeclineReason,
		timeArg(po.CreatedAt), timeArg(po.UpdatedAt), timeArg(po.FinalAt),
	}, nil
}

var payoutCols = "id, uuid, account_uuid, version, account_old_balance, account_new_balance, " + strings.Join(payoutWritable, ", ")

func scanPayout(row pgx.Row) (gateway.Payout, error) {
	var po gateway.Payout
	err := row.Scan(&po.ID, &po.UUID, &po.AccountUUID, &po.Version,
		&po.AccountOldBalance, &po.AccountNewBalance,
		&po.OrderID, &po.Amount, &po.Commission, &po.Currency, &po.Service, &po.Status,
		&po.NumberMask, &po.SealedNumber, &po.Customer, &po.Extra, &po.NotificationURL,
		&po.ProcessState, timeCol(&po.LeaseUntil), &po.Reference, &po.DeclineReason,
		timeCol(&po.CreatedAt), timeCol(&po.UpdatedAt), timeCol(&po.FinalAt),
	)
	return po, err
}

var (
	// createPayoutSQL moves the wallet, inserts the payout with the balance
	// around the move, and writes the reservation: one statement, so one
	// implicit transaction, that writes nothing when the wallet cannot
	// move. A live order_id taken fails the payout's insert on
	// payouts_live_order_id, after the statement has waited for any
	// concurrent writer of the wallet. ledgerArgs, the uuid, then
	// payoutArgs.
	createPayoutSQL = postLedgerSQL(`payout AS (
			INSERT INTO payouts (uuid, account_uuid, version, account_old_balance, account_new_balance, `+
		strings.Join(payoutWritable, ", ")+`)
			SELECT $9, $3, 1, moved.before, moved.after, `+params(10, len(payoutWritable))+` FROM moved
			RETURNING id)`, "NULL::bigint", "payout.id", "payout")

	// postPayoutSQL writes the ledger transaction of the payout $9.
	postPayoutSQL = postLedgerSQL(`payout AS (SELECT $9::bigint AS id)`, "NULL::bigint", "payout.id", "payout")

	livePayoutOrderSQL = `SELECT EXISTS (SELECT 1 FROM payouts
		WHERE account_uuid = $1 AND order_id = $2 AND status IN ('wait', 'paid'))`

	// The versioned write: payoutArgs, then the uuid and the version read.
	// It returns what the ledger write checks: the stored id and account,
	// and whether the payout was posted with the kind ($N+3) already.
	updatePayoutSQL = `UPDATE payouts SET ` + assignments(payoutWritable, 1) + `, version = version + 1
		WHERE uuid = $` + strconv.Itoa(len(payoutWritable)+1) + ` AND version = $` + strconv.Itoa(len(payoutWritable)+2)
	updatePayoutLedgerSQL = updatePayoutSQL + `
		RETURNING id, account_uuid,
			EXISTS (SELECT 1 FROM ledger_transactions WHERE payout_id = payouts.id AND kind = $` +
		strconv.Itoa(len(payoutWritable)+3) + `)`
	updatePayoutNotifySQL = `WITH updated AS (` + updatePayoutSQL + ` RETURNING id)
		INSERT INTO notifications (` + strings.Join(notificationWritable, ", ") + `)
		SELECT ` + params(len(payoutWritable)+3, len(notificationWritable)) + ` FROM updated
		RETURNING id`

	payoutByIDSQL      = `SELECT ` + payoutCols + ` FROM payouts WHERE id = $1 AND account_uuid = $2`
	payoutByUUIDSQL    = `SELECT ` + payoutCols + ` FROM payouts WHERE uuid = $1 AND ($2 = '' OR account_uuid = $2)`
	payoutByOrderIDSQL = `SELECT ` + payoutCols + ` FROM payouts WHERE account_uuid = $1 AND order_id = $2
		ORDER BY id DESC LIMIT 1`
	// Held: claimed with a lease that has not run out. Done: sent, the
	// outcome on its way; never handed out again.
	payoutsToProcessSQL = `SELECT ` + payoutCols + ` FROM payouts
		WHERE status = 'wait' AND (process_state = 'none' OR (process_state = 'claimed' AND lease_until <= $1))
		ORDER BY created_at NULLS FIRST, id LIMIT $2`
)

// CreatePayout inserts po, applies its reservation l, and sets po.ID,
// po.Version (1), po.AccountOldBalance and po.AccountNewBalance (the
// available balance around l), and l.ID, l.PayoutID, l.AvailableBefore and
// l.AvailableAfter, all in one statement. l is required: it must name po's
// account, no payment and no payout (the payout has no ID yet), be in the
// account's currency and sum to zero.
//
// A payout of the account in wait or paid with po.OrderID (when po is in
// wait or paid itself) is gateway.ErrDuplicateOrder, also when the balance
// could not cover a repeated create; a reservation the balance cannot
// cover is gateway.ErrInsufficientFunds; a uuid already stored,
// gateway.ErrConflict; an unknown account, gateway.ErrNotFound. Each writes
// nothing and leaves po and l as they were.
func (s *Store) CreatePayout(ctx context.Context, po *gateway.Payout, l *gateway.LedgerTransaction) error {
	what := "create payout " + po.UUID
	if l == nil {
		return fmt.Errorf("postgres: %s: no reservation", what)
	}
	plan, err := planLedger(l, po.AccountUUID, 0, 0)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	args, err := payoutArgs(po)
	if err != nil {
		return writeErr(what, err)
	}
	var w ledgerWrite
	err = s.pool.QueryRow(ctx, createPayoutSQL, slices.Concat(ledgerArgs(plan), []any{po.UUID}, args)...).
		Scan(&w.objectID, &w.id, &w.before, &w.after)
	if errors.Is(err, pgx.ErrNoRows) {
		// Nothing was written. A duplicate order_id is the answer the
		// caller needs even when the wallet was short too.
		if po.Status == gateway.StatusWait || po.Status == gateway.StatusPaid {
			var dup bool
			if err := s.pool.QueryRow(ctx, livePayoutOrderSQL, po.AccountUUID, po.OrderID).Scan(&dup); err != nil {
				return fmt.Errorf("postgres: %s: %w", what, err)
			}
			if dup {
				return fmt.Errorf("postgres: %s: order_id %q: %w", what, po.OrderID, gateway.ErrDuplicateOrder)
			}
		}
		return fmt.Errorf("postgres: %s: %w", what, balanceRefusal(ctx, s.pool, plan))
	}
	if err != nil {
		return writeErr(what, err)
	}
	po.ID, po.Version = w.objectID, 1
	po.AccountOldBalance, po.AccountNewBalance = ptr(w.before), ptr(w.after)
	l.ID, l.PayoutID, l.AvailableBefore, l.AvailableAfter = w.id, w.objectID, w.before, w.after
	return nil
}

// Payout finds one payout: by q.ID or q.OrderID (the newest with it)
// within q.AccountUUID, or by q.UUID, within q.AccountUUID when it is set.
// No such payout is gateway.ErrNotFound.
func (s *Store) Payout(ctx context.Context, q gateway.PayoutQuery) (*gateway.Payout, error) {
	if !q.Valid() {
		return nil, fmt.Errorf("postgres: payout query %+v: set exactly one of ID, UUID, OrderID, and AccountUUID unless UUID", q)
	}
	what := q.Describe("payout")
	var row pgx.Row
	switch {
	case q.ID != 0:
		row = s.pool.QueryRow(ctx, payoutByIDSQL, q.ID, q.AccountUUID)
	case q.UUID != "":
		row = s.pool.QueryRow(ctx, payoutByUUIDSQL, q.UUID, q.AccountUUID)
	default:
		row = s.pool.QueryRow(ctx, payoutByOrderIDSQL, q.AccountUUID, q.OrderID)
	}
	po, err := scanPayout(row)
	if err != nil {
		return nil, readErr(what, err)
	}
	return &po, nil
}

// UpdatePayout writes every field of po but ID, UUID, AccountUUID and the
// balance around the reservation (AccountOldBalance, AccountNewBalance,
// which stay as CreatePayout stored them) if the stored version is still
// po.Version, inserts n and applies l (each when not nil) in the same
// transaction, and then increments po.Version. A version mismatch, or no
// payout with po.UUID, is gateway.ErrConflict and writes nothing. l must
// name po's account and po (l.PayoutID po.ID, or 0: set to po.ID); a
// balance it would take below zero is gateway.ErrInsufficientFunds, a
// second ledger transaction of one kind for the payout
// gateway.ErrConflict, and on any error po, n and l are left as they were.
// Without l it is one statement, as UpdatePayment's.
func (s *Store) UpdatePayout(ctx context.Context, po *gateway.Payout, n *gateway.Notification, l *gateway.LedgerTransaction) error {
	what := fmt.Sprintf("update payout %s version %d", po.UUID, po.Version)
	args, err := payoutArgs(po)
	if err != nil {
		return writeErr(what, err)
	}
	args = append(args, po.UUID, po.Version)
	if l == nil {
		if err := s.versionedUpdate(ctx, what, updatePayoutSQL, updatePayoutNotifySQL, args, n); err != nil {
			return err
		}
		po.Version++
		return nil
	}

	if po.ID == 0 {
		return fmt.Errorf("postgres: %s: a payout with a ledger transaction needs its ID", what)
	}
	plan, err := planLedger(l, po.AccountUUID, 0, po.ID)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}

	// First round trip: BEGIN and the versioned UPDATE, which locks the row.
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	var (
		id      int64
		account string
		posted  bool
	)
	b.Queue(updatePayoutLedgerSQL, append(args, string(l.Kind))...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&id, &account, &posted)
	})
	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer tx.Rollback(ctx)
	err = br.Close()
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: %s: %w", what, gateway.ErrConflict)
	case err != nil:
		return writeErr(what, err)
	case id != po.ID || account != po.AccountUUID:
		// The ledger is posted by po.ID and po.AccountUUID, which the
		// UPDATE does not compare: they must be the stored ones.
		return fmt.Errorf("postgres: %s: payout is %d of account %s, not %d of %s", what, id, account, po.ID, po.AccountUUID)
	case posted:
		return fmt.Errorf("postgres: %s: payout %d already has a %s ledger transaction: %w", what, po.ID, l.Kind, gateway.ErrConflict)
	}

	// Second: the ledger and the notification; then the commit.
	b = &pgx.Batch{}
	var w ledgerWrite
	b.Queue(postPayoutSQL, append(ledgerArgs(plan), po.ID)...).QueryRow(scanLedgerWrite(&w))
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
	po.Version++
	if n != nil {
		n.ID = nid
	}
	l.ID, l.PayoutID, l.AvailableBefore, l.AvailableAfter = w.id, po.ID, w.before, w.after
	return nil
}

// PayoutsToProcess lists up to limit payouts in wait that no one holds,
// oldest CreatedAt first: never claimed (ProcessState none), or claimed
// with a LeaseUntil at or before now. A payout whose ProcessState is done
// is never listed: it was sent and waits for its outcome. limit <= 0 lists
// none. A plain read, as PaymentsToExpire: the claim is the caller's
// versioned UpdatePayout.
func (s *Store) PayoutsToProcess(ctx context.Context, now time.Time, limit int) ([]gateway.Payout, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, payoutsToProcessSQL, now, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: payouts to process: %w", err)
	}
	pos, err := collect(rows, scanPayout)
	if err != nil {
		return nil, fmt.Errorf("postgres: payouts to process: %w", err)
	}
	return pos, nil
}
