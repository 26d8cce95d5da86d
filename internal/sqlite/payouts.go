package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

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
	customer, err := jsonArg(po.Customer)
	if err != nil {
		return nil, err
	}
	extra, err := stringMapArg(po.Extra)
	if err != nil {
		return nil, err
	}
	return []any{
		po.OrderID, int64(po.Amount), int64(po.Commission), po.Currency, po.Service, string(po.Status),
		po.NumberMask, blobArg(po.SealedNumber), customer, extra, po.NotificationURL,
		string(po.ProcessState), timeArg(po.LeaseUntil), po.Reference, po.DeclineReason,
		timeArg(po.CreatedAt), timeArg(po.UpdatedAt), timeArg(po.FinalAt),
	}, nil
}

var payoutCols = "id, uuid, account_uuid, version, account_old_balance, account_new_balance, " + strings.Join(payoutWritable, ", ")

func scanPayout(sc scanner) (*gateway.Payout, error) {
	var po gateway.Payout
	err := sc.Scan(&po.ID, &po.UUID, &po.AccountUUID, &po.Version,
		amountPtrCol{&po.AccountOldBalance}, amountPtrCol{&po.AccountNewBalance},
		&po.OrderID, &po.Amount, &po.Commission, &po.Currency, &po.Service, &po.Status,
		&po.NumberMask, &po.SealedNumber, jsonCol{&po.Customer}, jsonCol{&po.Extra}, &po.NotificationURL,
		&po.ProcessState, timeCol{&po.LeaseUntil}, &po.Reference, &po.DeclineReason,
		timeCol{&po.CreatedAt}, timeCol{&po.UpdatedAt}, timeCol{&po.FinalAt},
	)
	if err != nil {
		return nil, err
	}
	return &po, nil
}

var (
	insertPayoutSQL = `INSERT INTO payouts (uuid, account_uuid, version, account_old_balance, account_new_balance, ` +
		strings.Join(payoutWritable, ", ") + `)
		VALUES (?, ?, 1, ?, ?` + strings.Repeat(", ?", len(payoutWritable)) + `) RETURNING id`
	updatePayoutSQL = `UPDATE payouts SET ` + strings.Join(payoutWritable, " = ?, ") + ` = ?, version = version + 1
		WHERE uuid = ? AND version = ?
		RETURNING id, account_uuid`
	livePayoutOrderSQL = `SELECT count(*) FROM payouts
		WHERE account_uuid = ? AND order_id = ? AND status IN ('wait', 'paid')`
	payoutByIDSQL      = `SELECT ` + payoutCols + ` FROM payouts WHERE id = ? AND account_uuid = ?`
	payoutByUUIDSQL    = `SELECT ` + payoutCols + ` FROM payouts WHERE uuid = ?1 AND (?2 = '' OR account_uuid = ?2)`
	payoutByOrderIDSQL = `SELECT ` + payoutCols + ` FROM payouts WHERE account_uuid = ? AND order_id = ?
		ORDER BY id DESC LIMIT 1`
	// Held: claimed with a lease that has not run out. Done: sent, the
	// outcome on its way; never handed out again.
	payoutsToProcessSQL = `SELECT ` + payoutCols + ` FROM payouts
		WHERE status = 'wait' AND (process_state = 'none' OR (process_state = 'claimed' AND lease_until <= ?1))
		ORDER BY created_at, id LIMIT ?2`
)

// CreatePayout inserts po, applies its reservation l, and sets po.ID,
// po.Version (1), po.AccountOldBalance and po.AccountNewBalance (the
// available balance around l), and l.ID, l.PayoutID, l.AvailableBefore and
// l.AvailableAfter, all in one transaction. l is required: it must name
// po's account, no payment and no payout (the payout has no ID yet), be in
// the account's currency and sum to zero.
//
// A payout of the account in wait or paid with po.OrderID (when po is in
// wait or paid itself) is gateway.ErrDuplicateOrder, checked before the
// balance, so a repeated create is a duplicate even when the balance could
// not cover it again; a reservation the balance cannot cover is
// gateway.ErrInsufficientFunds; a uuid already stored, gateway.ErrConflict.
// Each writes nothing and leaves po and l as they were.
func (s *Store) CreatePayout(ctx context.Context, po *gateway.Payout, l *gateway.LedgerTransaction) error {
	what := "create payout " + po.UUID
	if l == nil {
		return fmt.Errorf("sqlite: %s: no reservation", what)
	}
	plan, err := planLedger(l, po.AccountUUID, 0, 0)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer tx.Rollback()

	if po.Status == gateway.StatusWait || po.Status == gateway.StatusPaid {
		var n int
		if err := tx.StmtContext(ctx, s.livePayoutOrder).QueryRowContext(ctx, po.AccountUUID, po.OrderID).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: %s: %w", what, err)
		}
		if n > 0 {
			return fmt.Errorf("sqlite: %s: order_id %q: %w", what, po.OrderID, gateway.ErrDuplicateOrder)
		}
	}
	var lw ledgerWrite
	if lw.before, lw.after, err = s.applyBalance(ctx, tx, plan); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	args, err := payoutArgs(po)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	var id int64
	err = tx.StmtContext(ctx, s.insertPayout).QueryRowContext(ctx,
		append([]any{po.UUID, po.AccountUUID, int64(lw.before), int64(lw.after)}, args...)...).Scan(&id)
	if err != nil {
		return paymentWriteErr(what, err)
	}
	if lw.id, err = s.insertLedger(ctx, tx, plan, 0, id, lw.before, lw.after); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	po.ID, po.Version = id, 1
	po.AccountOldBalance, po.AccountNewBalance = ptr(lw.before), ptr(lw.after)
	lw.commit(l, 0, id)
	return nil
}

// Payout finds one payout: by q.ID or q.OrderID (the newest with it)
// within q.AccountUUID, or by q.UUID, within q.AccountUUID when it is set.
// No such payout is gateway.ErrNotFound.
func (s *Store) Payout(ctx context.Context, q gateway.PayoutQuery) (*gateway.Payout, error) {
	if !q.Valid() {
		return nil, fmt.Errorf("sqlite: payout query %+v: set exactly one of ID, UUID, OrderID, and AccountUUID unless UUID", q)
	}
	what := q.Describe("payout")
	var (
		po  *gateway.Payout
		err error
	)
	switch {
	case q.ID != 0:
		po, err = scanPayout(s.payoutByID.QueryRowContext(ctx, q.ID, q.AccountUUID))
	case q.UUID != "":
		po, err = scanPayout(s.payoutByUUID.QueryRowContext(ctx, q.UUID, q.AccountUUID))
	default:
		po, err = scanPayout(s.payoutByOrderID.QueryRowContext(ctx, q.AccountUUID, q.OrderID))
	}
	if err != nil {
		return nil, readErr(what, err)
	}
	return po, nil
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
func (s *Store) UpdatePayout(ctx context.Context, po *gateway.Payout, n *gateway.Notification, l *gateway.LedgerTransaction) error {
	what := fmt.Sprintf("update payout %s version %d", po.UUID, po.Version)
	var plan *ledgerPlan
	if l != nil {
		if po.ID == 0 {
			return fmt.Errorf("sqlite: %s: a payout with a ledger transaction needs its ID", what)
		}
		var err error
		if plan, err = planLedger(l, po.AccountUUID, 0, po.ID); err != nil {
			return fmt.Errorf("sqlite: %s: %w", what, err)
		}
	}
	args, err := payoutArgs(po)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	args = append(args, po.UUID, po.Version)

	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer tx.Rollback()
	var (
		id      int64
		account string
	)
	err = tx.StmtContext(ctx, s.updatePayout).QueryRowContext(ctx, args...).Scan(&id, &account)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", what, gateway.ErrConflict)
	}
	if err != nil {
		return paymentWriteErr(what, err)
	}
	// The ledger is posted by po.ID and po.AccountUUID, which the UPDATE
	// does not compare: they must be the stored ones.
	if plan != nil && (id != po.ID || account != po.AccountUUID) {
		return fmt.Errorf("sqlite: %s: payout is %d of account %s, not %d of %s", what, id, account, po.ID, po.AccountUUID)
	}
	var lw ledgerWrite
	if plan != nil {
		if lw, err = s.writeLedger(ctx, tx, plan, 0, po.ID); err != nil {
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
	po.Version++
	if n != nil {
		n.ID = nid
	}
	if plan != nil {
		lw.commit(l, 0, po.ID)
	}
	return nil
}

// PayoutsToProcess lists up to limit payouts in wait that no one holds,
// oldest CreatedAt first: never claimed (ProcessState none), or claimed
// with a LeaseUntil at or before now. A payout whose ProcessState is done
// is never listed: it was sent and waits for its outcome. limit <= 0 lists
// none.
func (s *Store) PayoutsToProcess(ctx context.Context, now time.Time, limit int) ([]gateway.Payout, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.payoutsToProcess.QueryContext(ctx, now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: payouts to process: %w", err)
	}
	defer rows.Close()
	var pos []gateway.Payout
	for rows.Next() {
		po, err := scanPayout(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: payouts to process: %w", err)
		}
		pos = append(pos, *po)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: payouts to process: %w", err)
	}
	return pos, nil
}
