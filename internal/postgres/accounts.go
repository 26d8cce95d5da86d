package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

const accountCols = `uuid, name, application_uuid, payment_key_pem, payout_key_pem, notification_key_pem, notify_hash, currency, created_at`

func scanAccount(row pgx.Row) (gateway.Account, error) {
	var a gateway.Account
	err := row.Scan(&a.UUID, &a.Name, &a.ApplicationUUID, &a.PaymentKeyPEM, &a.PayoutKeyPEM, &a.NotificationKeyPEM,
		&a.NotifyHash, &a.Currency, timeCol(&a.CreatedAt))
	return a, err
}

// defaultCurrency is the wallet currency of an account created without
// one, as internal/sqlite's DefaultCurrency.
const defaultCurrency = "RUB"

// CreateAccount stores a, its wallet's balances row (zero) and its services
// in one transaction, sent as one batch. An account uuid or service code
// that already exists is gateway.ErrConflict. An empty a.Currency is
// stored, and set in a, as RUB.
func (s *Store) CreateAccount(ctx context.Context, a *gateway.Account, services []gateway.AccountService) error {
	what := "create account " + a.UUID
	currency := a.Currency
	if currency == "" {
		currency = defaultCurrency
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO accounts (`+accountCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.UUID, a.Name, a.ApplicationUUID, blobArg(a.PaymentKeyPEM), blobArg(a.PayoutKeyPEM), blobArg(a.NotificationKeyPEM),
		string(a.NotifyHash), currency, timeArg(a.CreatedAt))
	b.Queue(`INSERT INTO balances (account_uuid, currency, available, reserved) VALUES ($1, $2, 0, 0)`, a.UUID, currency)
	for _, sv := range services {
		if sv.AccountUUID != "" && sv.AccountUUID != a.UUID {
			return fmt.Errorf("postgres: %s: service %s names account %s", what, sv.Code, sv.AccountUUID)
		}
		sv.AccountUUID = a.UUID
		b.Queue(`INSERT INTO account_services (`+serviceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`, serviceArgs(sv)...)
	}
	// A batch runs as one implicit transaction: the first error rolls
	// back every statement of it.
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return writeErr(what, err)
	}
	a.Currency = currency
	return nil
}

const serviceCols = `account_uuid, code, currency, commission_bp, commission_fixed, min_amount, max_amount`

func serviceArgs(sv gateway.AccountService) []any {
	return []any{sv.AccountUUID, sv.Code, sv.Currency, sv.CommissionBP, int64(sv.CommissionFixed),
		int64(sv.MinAmount), int64(sv.MaxAmount)}
}

func scanService(row pgx.Row) (gateway.AccountService, error) {
	var sv gateway.AccountService
	err := row.Scan(&sv.AccountUUID, &sv.Code, &sv.Currency, &sv.CommissionBP, &sv.CommissionFixed,
		&sv.MinAmount, &sv.MaxAmount)
	return sv, err
}

// SetAccountService enables sv.Code for sv.AccountUUID or, when it is
// enabled, replaces its currency, commission and limits. An unknown
// account is gateway.ErrNotFound.
func (s *Store) SetAccountService(ctx context.Context, sv gateway.AccountService) error {
	what := "set account " + sv.AccountUUID + " service " + sv.Code
	if sv.AccountUUID == "" || sv.Code == "" {
		return fmt.Errorf("postgres: %s: account and code are required", what)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO account_services (`+serviceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (account_uuid, code) DO UPDATE SET currency = excluded.currency,
			commission_bp = excluded.commission_bp, commission_fixed = excluded.commission_fixed,
			min_amount = excluded.min_amount, max_amount = excluded.max_amount`,
		serviceArgs(sv)...)
	if code, _ := pgCode(err); code == codeForeignKeyViolation {
		return fmt.Errorf("postgres: %s: unknown account: %w", what, gateway.ErrNotFound)
	}
	if err != nil {
		return writeErr(what, err)
	}
	return nil
}

// Account returns the account with this uuid, or gateway.ErrNotFound.
func (s *Store) Account(ctx context.Context, uuid string) (*gateway.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE uuid = $1`, uuid))
	if err != nil {
		return nil, readErr("account "+uuid, err)
	}
	return &a, nil
}

// Accounts lists all accounts, oldest first; those created at the same
// instant in the order they were stored.
func (s *Store) Accounts(ctx context.Context) ([]gateway.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY created_at NULLS FIRST, seq`)
	if err != nil {
		return nil, fmt.Errorf("postgres: accounts: %w", err)
	}
	as, err := collect(rows, scanAccount)
	if err != nil {
		return nil, fmt.Errorf("postgres: accounts: %w", err)
	}
	return as, nil
}

// AccountService returns the account's enabled service with this code, or
// gateway.ErrNotFound.
func (s *Store) AccountService(ctx context.Context, accountUUID, code string) (*gateway.AccountService, error) {
	sv, err := scanService(s.pool.QueryRow(ctx, `SELECT `+serviceCols+` FROM account_services
		WHERE account_uuid = $1 AND code = $2`, accountUUID, code))
	if err != nil {
		return nil, readErr("account "+accountUUID+" service "+code, err)
	}
	return &sv, nil
}

// AccountServices lists the services enabled for the account, by code.
func (s *Store) AccountServices(ctx context.Context, accountUUID string) ([]gateway.AccountService, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+serviceCols+` FROM account_services WHERE account_uuid = $1 ORDER BY code`, accountUUID)
	if err != nil {
		return nil, fmt.Errorf("postgres: account %s services: %w", accountUUID, err)
	}
	svs, err := collect(rows, scanService)
	if err != nil {
		return nil, fmt.Errorf("postgres: account %s services: %w", accountUUID, err)
	}
	return svs, nil
}

const endpointCols = `account_uuid, id, kind, url, created_at`

func scanEndpoint(row pgx.Row) (gateway.Endpoint, error) {
	var e gateway.Endpoint
	err := row.Scan(&e.AccountUUID, &e.ID, &e.Kind, &e.URL, timeCol(&e.CreatedAt))
	return e, err
}

// CreateEndpoint registers e. With e.ID 0 it assigns one more than the
// account's largest id (1 for its first) and sets e.ID; an explicit id the
// account already uses is gateway.ErrConflict; an unknown account is
// gateway.ErrNotFound.
//
// One batch, so one transaction and one round trip, first locks the
// account's row and then computes and takes the id: the INSERT is a new
// statement, so at READ COMMITTED it sees what the creates it waited for
// committed, and concurrent creates take consecutive ids. (One INSERT …
// SELECT max(id) + 1 would not: its snapshot predates the wait.)
func (s *Store) CreateEndpoint(ctx context.Context, e *gateway.Endpoint) error {
	what := fmt.Sprintf("create endpoint %d of account %s", e.ID, e.AccountUUID)
	if e.ID < 0 {
		return fmt.Errorf("postgres: %s: negative id", what)
	}
	b := &pgx.Batch{}
	// FOR NO KEY UPDATE, not FOR UPDATE: it does not hold off the foreign
	// key checks of payments and the rest referencing the account.
	b.Queue(`SELECT 1 FROM accounts WHERE uuid = $1 FOR NO KEY UPDATE`, e.AccountUUID)
	var id int64
	b.Queue(`INSERT INTO endpoints (`+endpointCols+`)
		SELECT $1, CASE WHEN $2::bigint > 0 THEN $2::bigint
			ELSE (SELECT coalesce(max(id), 0) + 1 FROM endpoints WHERE account_uuid = $1) END,
			$3::text, $4::text, $5::timestamptz
		RETURNING id`,
		e.AccountUUID, e.ID, string(e.Kind), e.URL, timeArg(e.CreatedAt)).QueryRow(func(row pgx.Row) error {
		return row.Scan(&id)
	})
	err := s.pool.SendBatch(ctx, b).Close()
	if code, _ := pgCode(err); code == codeForeignKeyViolation {
		return fmt.Errorf("postgres: %s: unknown account: %w", what, gateway.ErrNotFound)
	}
	if err != nil {
		return writeErr(what, err)
	}
	e.ID = id
	return nil
}

// Endpoint returns the account's endpoint with this id, or gateway.ErrNotFound.
func (s *Store) Endpoint(ctx context.Context, accountUUID string, id int64) (*gateway.Endpoint, error) {
	e, err := scanEndpoint(s.pool.QueryRow(ctx,
		`SELECT `+endpointCols+` FROM endpoints WHERE account_uuid = $1 AND id = $2`, accountUUID, id))
	if err != nil {
		return nil, readErr(fmt.Sprintf("endpoint %d of account %s", id, accountUUID), err)
	}
	return &e, nil
}

// Endpoints lists the account's endpoints by id; with accountUUID "" those
// of every account, by account then id.
func (s *Store) Endpoints(ctx context.Context, accountUUID string) ([]gateway.Endpoint, error) {
	q, args := `SELECT `+endpointCols+` FROM endpoints ORDER BY account_uuid, id`, []any(nil)
	if accountUUID != "" {
		q, args = `SELECT `+endpointCols+` FROM endpoints WHERE account_uuid = $1 ORDER BY id`, []any{accountUUID}
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: endpoints: %w", err)
	}
	es, err := collect(rows, scanEndpoint)
	if err != nil {
		return nil, fmt.Errorf("postgres: endpoints: %w", err)
	}
	return es, nil
}

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
