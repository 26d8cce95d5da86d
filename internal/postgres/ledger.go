package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// The ledger: every movement of money is a ledger_transactions row and its
// ledger_entries, which sum to zero. A merchant's wallet is two of its
// books, MerchantAvailable and MerchantReserved; the balances row holds
// their sums, moved in the same transaction as every ledger write by one
// conditional UPDATE. A concurrent writer of the same wallet waits for that
// row's lock and then re-evaluates the condition on the committed balance,
// so a balance can never go below zero, whatever the writers and processes.

// postLedgerSQL builds the statement that writes a ledger transaction:
// it moves the wallet, only if it is in the transaction's currency and
// neither balance goes below zero, then runs write (the CTEs that write the
// payment's or payout's row, reading the balance around the move as
// moved.before and moved.after), then inserts the transaction, for the
// object paymentID or payoutID (SQL expressions over write), and its
// entries in the order given. One statement: a move that matches no row
// (short, no wallet, another currency) writes nothing and returns no row.
// The balances row stays locked from this statement to the commit, so it
// is best sent last before it.
//
// $1 and $2 are the changes of the available and reserved books, $3 the
// account, $4 the currency, $5 the kind, $6 created_at, $7 and $8 the
// entries' books and amounts; write's own parameters start at $9. It
// returns the object's id, the transaction's id, and the available balance
// before and after.
func postLedgerSQL(write, paymentID, payoutID, object string) string {
	return `WITH moved AS (
			UPDATE balances SET available = available + $1, reserved = reserved + $2
			WHERE account_uuid = $3 AND currency = $4 AND available + $1 >= 0 AND reserved + $2 >= 0
			RETURNING available - $1 AS before, available AS after
		), ` + write + `, t AS (
			INSERT INTO ledger_transactions (account_uuid, kind, payment_id, payout_id, currency, created_at,
				available_before, available_after)
			SELECT $3, $5, ` + paymentID + `, ` + payoutID + `, $4, $6, moved.before, moved.after FROM moved, ` + object + `
			RETURNING id
		), e AS (
			INSERT INTO ledger_entries (transaction_id, seq, book, amount)
			SELECT t.id, o.seq - 1, o.book, o.amount
			FROM t, unnest($7::text[], $8::bigint[]) WITH ORDINALITY AS o (book, amount, seq)
		)
		SELECT ` + object + `.id, t.id, moved.before, moved.after FROM moved, ` + object + `, t`
}

// ledgerArgs are postLedgerSQL's parameters $1 to $8 for p.
func ledgerArgs(p *ledgerPlan) []any {
	var (
		books   []string
		amounts []int64
	)
	for _, e := range p.l.Entries {
		books = append(books, string(e.Book))
		amounts = append(amounts, int64(e.Amount))
	}
	l := p.l
	return []any{int64(p.available), int64(p.reserved), l.AccountUUID, l.Currency, string(l.Kind),
		timeArg(l.CreatedAt), books, amounts}
}

// ledgerWrite is what postLedgerSQL gives back.
type ledgerWrite struct {
	objectID, id  int64
	before, after money.Amount
	refused       bool // the wallet did not move: nothing was written
}

// scanLedgerWrite is a batch callback that reads postLedgerSQL's row into
// w; no row is w.refused, not an error, so that the batch reads on.
func scanLedgerWrite(w *ledgerWrite) func(pgx.Row) error {
	return func(row pgx.Row) error {
		err := row.Scan(&w.objectID, &w.id, &w.before, &w.after)
		if errors.Is(err, pgx.ErrNoRows) {
			w.refused = true
			return nil
		}
		return err
	}
}

// ledgerPlan is a checked ledger transaction: how it moves the wallet.
type ledgerPlan struct {
	l                   *gateway.LedgerTransaction
	available, reserved money.Amount // the net change of each merchant book
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

// querier is what a pool and a transaction have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// balanceRefusal says why a conditional move of the wallet by p matched no
// row: no wallet (gateway.ErrNotFound), another currency, or a balance it
// would take below zero (gateway.ErrInsufficientFunds). The wallet's
// existence and currency never change, so reading them later gives the
// answer the move had.
func balanceRefusal(ctx context.Context, q querier, p *ledgerPlan) error {
	account := p.l.AccountUUID
	var currency string
	err := q.QueryRow(ctx, `SELECT currency FROM balances WHERE account_uuid = $1`, account).Scan(&currency)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("balance of account %s: unknown account: %w", account, gateway.ErrNotFound)
	case err != nil:
		return fmt.Errorf("balance of account %s: %w", account, err)
	case currency != p.l.Currency:
		return fmt.Errorf("ledger transaction in %s on the %s wallet of account %s", p.l.Currency, currency, account)
	}
	return fmt.Errorf("%s of account %s (available %+d, reserved %+d minor units): %w",
		p.l.Kind, account, int64(p.available), int64(p.reserved), gateway.ErrInsufficientFunds)
}

// Balance returns the account's wallet: zero amounts in the account's
// currency before its first ledger transaction; an unknown account is
// gateway.ErrNotFound.
func (s *Store) Balance(ctx context.Context, accountUUID string) (*gateway.Balance, error) {
	b := &gateway.Balance{AccountUUID: accountUUID}
	err := s.pool.QueryRow(ctx, `SELECT currency, available, reserved FROM balances WHERE account_uuid = $1`, accountUUID).
		Scan(&b.Currency, &b.Available, &b.Reserved)
	if err != nil {
		return nil, readErr("balance of account "+accountUUID, err)
	}
	return b, nil
}

// ledgerSelect reads transactions with their entries in one statement, so
// from one snapshot; the entries come in the order they were written.
const ledgerSelect = `SELECT id, account_uuid, kind, payment_id, payout_id, currency, created_at,
		available_before, available_after,
		ARRAY(SELECT book FROM ledger_entries e WHERE e.transaction_id = t.id ORDER BY seq),
		ARRAY(SELECT amount FROM ledger_entries e WHERE e.transaction_id = t.id ORDER BY seq)
	FROM ledger_transactions t`

func scanLedger(row pgx.Row) (gateway.LedgerTransaction, error) {
	var (
		l                 gateway.LedgerTransaction
		payment, payout   *int64
		books             []string
		amounts           []int64
		before, afterward int64
	)
	if err := row.Scan(&l.ID, &l.AccountUUID, &l.Kind, &payment, &payout, &l.Currency, timeCol(&l.CreatedAt),
		&before, &afterward, &books, &amounts); err != nil {
		return l, err
	}
	if payment != nil {
		l.PaymentID = *payment
	}
	if payout != nil {
		l.PayoutID = *payout
	}
	l.AvailableBefore, l.AvailableAfter = money.Amount(before), money.Amount(afterward)
	if len(books) != len(amounts) {
		return l, fmt.Errorf("ledger transaction %d: %d books, %d amounts", l.ID, len(books), len(amounts))
	}
	for i := range books {
		l.Entries = append(l.Entries, gateway.LedgerEntry{Book: gateway.LedgerBook(books[i]), Amount: money.Amount(amounts[i])})
	}
	return l, nil
}

// LedgerTransactions lists the account's ledger transactions (every
// account's with q.AccountUUID "") with ID above q.AfterID, by ID, at most
// q.Limit (100 when 0 or less), each with its entries in the order they
// were written.
//
// IDs are taken when a transaction is written, not when it commits: of
// two wallets written at once, the higher ID may commit first, so a reader
// paging every account by AfterID can pass over an ID that commits a
// moment later. One account's transactions commit in ID order (its
// balances row lock orders them), so paging one account never skips.
func (s *Store) LedgerTransactions(ctx context.Context, q gateway.LedgerQuery) ([]gateway.LedgerTransaction, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query, args := ledgerSelect+` WHERE id > $1 ORDER BY id LIMIT $2`, []any{q.AfterID, limit}
	if q.AccountUUID != "" {
		query, args = ledgerSelect+` WHERE account_uuid = $1 AND id > $2 ORDER BY id LIMIT $3`, []any{q.AccountUUID, q.AfterID, limit}
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: ledger transactions: %w", err)
	}
	ls, err := collect(rows, scanLedger)
	if err != nil {
		return nil, fmt.Errorf("postgres: ledger transactions: %w", err)
	}
	return ls, nil
}
