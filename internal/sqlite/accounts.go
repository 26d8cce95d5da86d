package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

const accountCols = `uuid, name, application_uuid, payment_key_pem, payout_key_pem, notification_key_pem, notify_hash, currency, created_at`

func scanAccount(sc scanner) (gateway.Account, error) {
	var a gateway.Account
	err := sc.Scan(&a.UUID, &a.Name, &a.ApplicationUUID, &a.PaymentKeyPEM, &a.PayoutKeyPEM, &a.NotificationKeyPEM,
		&a.NotifyHash, &a.Currency, timeCol{&a.CreatedAt})
	return a, err
}

// DefaultCurrency is the wallet currency of an account created without
// one, as of every account made before accounts had a currency.
const DefaultCurrency = "RUB"

// CreateAccount stores a and its services in one transaction. An account
// uuid or service code that already exists is gateway.ErrConflict. An
// empty a.Currency is stored, and set in a, as DefaultCurrency.
func (s *Store) CreateAccount(ctx context.Context, a *gateway.Account, services []gateway.AccountService) error {
	currency := a.Currency
	if currency == "" {
		currency = DefaultCurrency
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create account: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.UUID, a.Name, a.ApplicationUUID, blobArg(a.PaymentKeyPEM), blobArg(a.PayoutKeyPEM), blobArg(a.NotificationKeyPEM),
		string(a.NotifyHash), currency, timeArg(a.CreatedAt))
	if err != nil {
		return writeErr("create account "+a.UUID, err)
	}
	for _, sv := range services {
		if sv.AccountUUID != "" && sv.AccountUUID != a.UUID {
			return fmt.Errorf("sqlite: create account %s: service %s names account %s", a.UUID, sv.Code, sv.AccountUUID)
		}
		sv.AccountUUID = a.UUID
		_, err := tx.ExecContext(ctx, `INSERT INTO account_services (`+serviceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			serviceArgs(sv)...)
		if err != nil {
			return writeErr("create account "+a.UUID+" service "+sv.Code, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create account %s: %w", a.UUID, err)
	}
	a.Currency = currency
	return nil
}

const serviceCols = `account_uuid, code, currency, commission_bp, commission_fixed, min_amount, max_amount`

func serviceArgs(sv gateway.AccountService) []any {
	return []any{sv.AccountUUID, sv.Code, sv.Currency, sv.CommissionBP, int64(sv.CommissionFixed),
		int64(sv.MinAmount), int64(sv.MaxAmount)}
}

func scanService(sc scanner) (gateway.AccountService, error) {
	var sv gateway.AccountService
	err := sc.Scan(&sv.AccountUUID, &sv.Code, &sv.Currency, &sv.CommissionBP, &sv.CommissionFixed,
		&sv.MinAmount, &sv.MaxAmount)
	return sv, err
}

// SetAccountService enables sv.Code for sv.AccountUUID or, when it is
// enabled, replaces its currency, commission and limits. An unknown
// account is gateway.ErrNotFound.
func (s *Store) SetAccountService(ctx context.Context, sv gateway.AccountService) error {
	what := "set account " + sv.AccountUUID + " service " + sv.Code
	if sv.AccountUUID == "" || sv.Code == "" {
		return fmt.Errorf("sqlite: %s: account and code are required", what)
	}
	_, err := s.writer.ExecContext(ctx, `INSERT INTO account_services (`+serviceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_uuid, code) DO UPDATE SET currency = excluded.currency,
			commission_bp = excluded.commission_bp, commission_fixed = excluded.commission_fixed,
			min_amount = excluded.min_amount, max_amount = excluded.max_amount`,
		serviceArgs(sv)...)
	if foreignKeyViolation(err) {
		return fmt.Errorf("sqlite: %s: unknown account: %w", what, gateway.ErrNotFound)
	}
	if err != nil {
		return writeErr(what, err)
	}
	return nil
}

// writeErr wraps a failed write, as gateway.ErrConflict when it hit a
// unique key.
func writeErr(what string, err error) error {
	if _, ok := uniqueViolation(err); ok {
		return fmt.Errorf("sqlite: %s: %w (%v)", what, gateway.ErrConflict, err)
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

// readErr wraps a failed read, as gateway.ErrNotFound when there was no row.
func readErr(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", what, gateway.ErrNotFound)
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

// Account returns the account with this uuid, or gateway.ErrNotFound.
func (s *Store) Account(ctx context.Context, uuid string) (*gateway.Account, error) {
	a, err := scanAccount(s.reader.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE uuid = ?`, uuid))
	if err != nil {
		return nil, readErr("account "+uuid, err)
	}
	return &a, nil
}

// Accounts lists all accounts, oldest first.
func (s *Store) Accounts(ctx context.Context) ([]gateway.Account, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY created_at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: accounts: %w", err)
	}
	defer rows.Close()
	var as []gateway.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: accounts: %w", err)
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: accounts: %w", err)
	}
	return as, nil
}

// AccountService returns the account's enabled service with this code, or
// gateway.ErrNotFound.
func (s *Store) AccountService(ctx context.Context, accountUUID, code string) (*gateway.AccountService, error) {
	sv, err := scanService(s.reader.QueryRowContext(ctx, `SELECT `+serviceCols+` FROM account_services
		WHERE account_uuid = ? AND code = ?`, accountUUID, code))
	if err != nil {
		return nil, readErr("account "+accountUUID+" service "+code, err)
	}
	return &sv, nil
}

// AccountServices lists the services enabled for the account, by code.
func (s *Store) AccountServices(ctx context.Context, accountUUID string) ([]gateway.AccountService, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+serviceCols+` FROM account_services WHERE account_uuid = ? ORDER BY code`, accountUUID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: account %s services: %w", accountUUID, err)
	}
	defer rows.Close()
	var svs []gateway.AccountService
	for rows.Next() {
		sv, err := scanService(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: account %s services: %w", accountUUID, err)
		}
		svs = append(svs, sv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: account %s services: %w", accountUUID, err)
	}
	return svs, nil
}

const endpointCols = `account_uuid, id, kind, url, created_at`

func scanEndpoint(sc scanner) (gateway.Endpoint, error) {
	var e gateway.Endpoint
	err := sc.Scan(&e.AccountUUID, &e.ID, &e.Kind, &e.URL, timeCol{&e.CreatedAt})
	return e, err
}

// CreateEndpoint registers e. With e.ID 0 it assigns one more than the
// account's largest id (1 for its first) and sets e.ID; an explicit id the
// account already uses is gateway.ErrConflict. One INSERT computes and
// takes the id, so concurrent creates cannot pick the same one.
func (s *Store) CreateEndpoint(ctx context.Context, e *gateway.Endpoint) error {
	if e.ID < 0 {
		return fmt.Errorf("sqlite: create endpoint: negative id %d", e.ID)
	}
	var id int64
	err := s.writer.QueryRowContext(ctx, `INSERT INTO endpoints (`+endpointCols+`)
		VALUES (?1, CASE WHEN ?2 > 0 THEN ?2 ELSE (SELECT coalesce(max(id), 0) + 1 FROM endpoints WHERE account_uuid = ?1) END, ?3, ?4, ?5)
		RETURNING id`,
		e.AccountUUID, e.ID, string(e.Kind), e.URL, timeArg(e.CreatedAt)).Scan(&id)
	if err != nil {
		return writeErr(fmt.Sprintf("create endpoint %d of account %s", e.ID, e.AccountUUID), err)
	}
	e.ID = id
	return nil
}

// Endpoint returns the account's endpoint with this id, or gateway.ErrNotFound.
func (s *Store) Endpoint(ctx context.Context, accountUUID string, id int64) (*gateway.Endpoint, error) {
	e, err := scanEndpoint(s.reader.QueryRowContext(ctx,
		`SELECT `+endpointCols+` FROM endpoints WHERE account_uuid = ? AND id = ?`, accountUUID, id))
	if err != nil {
		return nil, readErr(fmt.Sprintf("endpoint %d of account %s", id, accountUUID), err)
	}
	return &e, nil
}

// Endpoints lists the account's endpoints by id; with accountUUID "" those
// of every account, by account then id.
func (s *Store) Endpoints(ctx context.Context, accountUUID string) ([]gateway.Endpoint, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+endpointCols+` FROM endpoints
		WHERE ?1 = '' OR account_uuid = ?1 ORDER BY account_uuid, id`, accountUUID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: endpoints: %w", err)
	}
	defer rows.Close()
	var es []gateway.Endpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: endpoints: %w", err)
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: endpoints: %w", err)
	}
	return es, nil
}
