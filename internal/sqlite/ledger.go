package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// The ledger: every movement of money is a ledger_transactions row and its
// ledger_entries, which sum to zero. A merchant's wallet is two of its
// books, MerchantAvailable and MerchantReserved; the balances table holds
// their sums, updated in the same database transaction as every ledger
// write by one conditional UPDATE, so a balance can never go below zero
// whatever the writers race.

var (
	// ensureBalanceSQL makes the account's balances row, at zero in the
	// account's currency, if it has none. An unknown account inserts nothing.
	ensureBalanceSQL = `INSERT INTO balances (account_uuid, currency, available, reserved)
		SELECT uuid, currency, 0, 0 FROM accounts WHERE uuid = ?
		ON CONFLICT (account_uuid) DO NOTHING`
	// moveBalanceSQL moves the balances, only if neither goes below zero.
	moveBalanceSQL = `UPDATE balances SET available = available + ?1, reserved = reserved + ?2
		WHERE account_uuid = ?3 AND available + ?1 >= 0 AND reserved + ?2 >= 0
		RETURNING available, currency`
	insertLedgerTxSQL = `INSERT INTO ledger_transactions (account_uuid, kind, payment_id, payout_id, currency,
		created_at, available_before, available_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	// A payment or payout is posted once per kind (the unique indexes
	// ledger_transactions_payment_kind and _payout_kind); these find the
	// earlier posting first, so a repeat is a conflict, not a shortfall.
	paymentPostedSQL = `SELECT count(*) FROM ledger_transactions WHERE payment_id = ? AND kind = ?`
	payoutPostedSQL  = `SELECT count(*) FROM ledger_transactions WHERE payout_id = ? AND kind = ?`
	insertEntrySQL   = `INSERT INTO ledger_entries (transaction_id, seq, book, amount) VALUES (?, ?, ?, ?)`
	balanceOfSQL     = `SELECT a.currency, b.currency, b.available, b.reserved
		FROM accounts a LEFT JOIN balances b ON b.account_uuid = a.uuid WHERE a.uuid = ?`
)

// ledgerPlan is a checked ledger transaction: how it moves the wallet.
type ledgerPlan struct {
	l                   *gateway.LedgerTransaction
	available, reserved money.Amount // the net change of each merchant book
}

// ledgerWrite is what a written ledger transaction gives back, set into
// the caller's structs only once the database transaction commits.
type ledgerWrite struct {
	id            int64
	before, after money.Amount
}

// planLedger checks l as a movement of account's wallet (the rules are
// gateway's: LedgerTransaction.WalletChange). Whether l.Currency is the
// wallet's is checked against the database.
func planLedger(l *gateway.LedgerTransaction, account string, paymentID, payoutID int64) (*ledgerPlan, error) {
	available, reserved, err := l.WalletChange(account, paymentID, payoutID)
	if err != nil {
		return nil, err
	}
	return &ledgerPlan{l: l, available: available, reserved: reserved}, nil
}

// notPosted fails with gateway.ErrConflict when the payment (or payout) id
// already has a ledger transaction of p's kind.
func (s *Store) notPosted(ctx context.Context, tx *sql.Tx, p *ledgerPlan, paymentID, payoutID int64) error {
	st, id, what := s.paymentPosted, paymentID, "payment"
	if payoutID != 0 {
		st, id, what = s.payoutPosted, payoutID, "payout"
	}
	var n int
	if err := tx.StmtContext(ctx, st).QueryRowContext(ctx, id, string(p.l.Kind)).Scan(&n); err != nil {
		return fmt.Errorf("ledger of %s %d: %w", what, id, err)
	}
	if n > 0 {
		return fmt.Errorf("%s %d already has a %s ledger transaction: %w", what, id, p.l.Kind, gateway.ErrConflict)
	}
	return nil
}

// applyBalance moves the wallet by p in tx and returns the available
// balance before and after. A balance that would go below zero is
// gateway.ErrInsufficientFunds; a currency that is not the wallet's, an
// error. The caller rolls tx back on any error.
func (s *Store) applyBalance(ctx context.Context, tx *sql.Tx, p *ledgerPlan) (before, after money.Amount, err error) {
	account := p.l.AccountUUID
	if _, err := tx.StmtContext(ctx, s.ensureBalance).ExecContext(ctx, account); err != nil {
		return 0, 0, fmt.Errorf("balance of account %s: %w", account, err)
	}
	var currency string
	err = tx.StmtContext(ctx, s.moveBalance).QueryRowContext(ctx, int64(p.available), int64(p.reserved), account).
		Scan(&after, &currency)
	if errors.Is(err, sql.ErrNoRows) {
		// Either the balance is short or there is no row: no account.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM balances WHERE account_uuid = ?`, account).Scan(&n); err != nil {
			return 0, 0, fmt.Errorf("balance of account %s: %w", account, err)
		}
		if n == 0 {
			return 0, 0, fmt.Errorf("balance of account %s: unknown account: %w", account, gateway.ErrNotFound)
		}
		return 0, 0, fmt.Errorf("%s of account %s (available %+d, reserved %+d minor units): %w",
			p.l.Kind, account, int64(p.available), int64(p.reserved), gateway.ErrInsufficientFunds)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("balance of account %s: %w", account, err)
	}
	if currency != p.l.Currency {
		return 0, 0, fmt.Errorf("ledger transaction in %s on the %s wallet of account %s", p.l.Currency, currency, account)
	}
	return after - p.available, after, nil
}

// insertLedger writes the transaction row and its entries for the payment
// or payout id given (the other 0), with the available balance around it.
func (s *Store) insertLedger(ctx context.Context, tx *sql.Tx, p *ledgerPlan, paymentID, payoutID int64, before, after money.Amount) (int64, error) {
	l := p.l
	nullID := func(id int64) any {
		if id == 0 {
			return nil
		}
		return id
	}
	var id int64
	err := tx.StmtContext(ctx, s.insertLedgerTx).QueryRowContext(ctx, l.AccountUUID, string(l.Kind),
		nullID(paymentID), nullID(payoutID), l.Currency, timeArg(l.CreatedAt), int64(before), int64(after)).Scan(&id)
	if err != nil {
		return 0, writeErr("insert ledger transaction", err)
	}
	ins := tx.StmtContext(ctx, s.insertEntry)
	for i, e := range l.Entries {
		if _, err := ins.ExecContext(ctx, id, i, string(e.Book), int64(e.Amount)); err != nil {
			return 0, fmt.Errorf("insert ledger entry: %w", err)
		}
	}
	return id, nil
}

// writeLedger applies p in tx for an existing payment or payout: the
// check that it was not posted yet, the balances, then the transaction
// and its entries. It is the whole ledger write when the balance fields are not
// needed before the object's own row is written.
func (s *Store) writeLedger(ctx context.Context, tx *sql.Tx, p *ledgerPlan, paymentID, payoutID int64) (ledgerWrite, error) {
	if err := s.notPosted(ctx, tx, p, paymentID, payoutID); err != nil {
		return ledgerWrite{}, err
	}
	before, after, err := s.applyBalance(ctx, tx, p)
	if err != nil {
		return ledgerWrite{}, err
	}
	id, err := s.insertLedger(ctx, tx, p, paymentID, payoutID, before, after)
	if err != nil {
		return ledgerWrite{}, err
	}
	return ledgerWrite{id: id, before: before, after: after}, nil
}

// commit sets l's store-assigned fields after its database transaction
// committed.
func (w ledgerWrite) commit(l *gateway.LedgerTransaction, paymentID, payoutID int64) {
	l.ID, l.AvailableBefore, l.AvailableAfter = w.id, w.before, w.after
	if paymentID != 0 {
		l.PaymentID = paymentID
	}
	if payoutID != 0 {
		l.PayoutID = payoutID
	}
}

// Balance returns the account's wallet: zero amounts in the account's
// currency before its first ledger transaction; an unknown account is
// gateway.ErrNotFound.
func (s *Store) Balance(ctx context.Context, accountUUID string) (*gateway.Balance, error) {
	var (
		accountCurrency string
		currency        sql.NullString
		available       sql.NullInt64
		reserved        sql.NullInt64
	)
	err := s.balanceOf.QueryRowContext(ctx, accountUUID).Scan(&accountCurrency, &currency, &available, &reserved)
	if err != nil {
		return nil, readErr("balance of account "+accountUUID, err)
	}
	b := &gateway.Balance{AccountUUID: accountUUID, Currency: accountCurrency}
	if currency.Valid {
		b.Currency = currency.String
		b.Available, b.Reserved = money.Amount(available.Int64), money.Amount(reserved.Int64)
	}
	return b, nil
}

const ledgerCols = `id, account_uuid, kind, payment_id, payout_id, currency, created_at, available_before, available_after`

// LedgerTransactions lists the account's ledger transactions (every
// account's with q.AccountUUID "") with ID above q.AfterID, by ID, at most
// q.Limit (100 when 0 or less), each with its entries in the order they
// were written. Transactions and entries are read from one snapshot.
func (s *Store) LedgerTransactions(ctx context.Context, q gateway.LedgerQuery) ([]gateway.LedgerTransaction, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	tx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: ledger transactions: %w", err)
	}
	defer tx.Rollback()
	const page = `SELECT ` + ledgerCols + ` FROM ledger_transactions
		WHERE (?1 = '' OR account_uuid = ?1) AND id > ?2 ORDER BY id LIMIT ?3`
	rows, err := tx.QueryContext(ctx, page, q.AccountUUID, q.AfterID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: ledger transactions: %w", err)
	}
	var ls []gateway.LedgerTransaction
	index := map[int64]int{}
	for rows.Next() {
		var (
			l                gateway.LedgerTransaction
			payment, payout  sql.NullInt64
			before, afterBal int64
		)
		if err := rows.Scan(&l.ID, &l.AccountUUID, &l.Kind, &payment, &payout, &l.Currency, timeCol{&l.CreatedAt},
			&before, &afterBal); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: ledger transactions: %w", err)
		}
		l.PaymentID, l.PayoutID = payment.Int64, payout.Int64
		l.AvailableBefore, l.AvailableAfter = money.Amount(before), money.Amount(afterBal)
		index[l.ID] = len(ls)
		ls = append(ls, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: ledger transactions: %w", err)
	}
	rows.Close()
	if len(ls) == 0 {
		return nil, nil
	}
	rows, err = tx.QueryContext(ctx, `SELECT e.transaction_id, e.book, e.amount
		FROM ledger_entries e JOIN (`+page+`) t ON e.transaction_id = t.id
		ORDER BY e.transaction_id, e.seq`, q.AccountUUID, q.AfterID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: ledger entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			e  gateway.LedgerEntry
		)
		if err := rows.Scan(&id, &e.Book, &e.Amount); err != nil {
			return nil, fmt.Errorf("sqlite: ledger entries: %w", err)
		}
		i, ok := index[id]
		if !ok {
			return nil, fmt.Errorf("sqlite: ledger entries: entry of transaction %d not on the page", id)
		}
		ls[i].Entries = append(ls[i].Entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: ledger entries: %w", err)
	}
	return ls, nil
}
