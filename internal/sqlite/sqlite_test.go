package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
	"github.com/h2hpay/h2hpay/internal/storetest"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gateway.Store {
		return open(t, filepath.Join(t.TempDir(), "h2hpay.db"))
	})
}

var t0 = time.Date(2025, time.March, 14, 9, 0, 0, 0, time.UTC)

func account(t *testing.T, s *Store) *gateway.Account {
	t.Helper()
	a := &gateway.Account{UUID: fmt.Sprintf("acc-%d", time.Now().UnixNano()), Name: "Shop", ApplicationUUID: "app",
		NotifyHash: gateway.NotifySHA1, CreatedAt: t0}
	if err := s.CreateAccount(t.Context(), a, nil); err != nil {
		t.Fatal(err)
	}
	return a
}

func payment(a *gateway.Account, order string) *gateway.Payment {
	return &gateway.Payment{UUID: fmt.Sprintf("pay-%s-%d", order, time.Now().UnixNano()), AccountUUID: a.UUID, OrderID: order,
		Amount: 100, Currency: "RUB", Status: gateway.StatusWait, ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}
}

// rawDB opens the file without the store, to look at what it wrote.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h2hpay.db")
	for range 3 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	rows, err := rawDB(t, path).Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	var want []int64
	for _, m := range ms {
		want = append(want, m.version)
	}
	if !slices.Equal(versions, want) {
		t.Fatalf("schema_migrations %v, want %v", versions, want)
	}
}

func TestConcurrentOpenOfNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h2hpay.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(t.Context(), path)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h2hpay.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(t.Context(), path); err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer schema succeeded")
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "h2hpay.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a := account(t, s)
	p := payment(a, "order-1")
	if err := s.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.ID != 100000001 {
		t.Fatalf("first payment ID %d, want 100000001", p.ID)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	got, err := s.Payment(ctx, gateway.PaymentQuery{AccountUUID: a.UUID, ID: p.ID})
	if err != nil {
		t.Fatalf("payment after reopen: %v", err)
	}
	if got.UUID != p.UUID || got.Version != 1 {
		t.Fatalf("payment after reopen: %+v", got)
	}
	q := payment(a, "order-2")
	if err := s.CreatePayment(ctx, q); err != nil {
		t.Fatal(err)
	}
	if q.ID != 100000002 {
		t.Fatalf("second payment ID %d, want 100000002", q.ID)
	}
}

func TestFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h2hpay.db")
	s := open(t, path)
	a := account(t, s)
	if err := s.CreatePayment(t.Context(), payment(a, "order-1")); err != nil {
		t.Fatal(err)
	}
	files := s.Files()
	for _, want := range []string{path, path + "-wal", path + "-shm"} {
		if !slices.Contains(files, want) {
			t.Errorf("Files() = %v, missing %s", files, want)
		}
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("Files() lists %s: %v", f, err)
		}
	}
	s.Close()
	for _, f := range s.Files() {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("Files() after Close lists %s: %v", f, err)
		}
	}
}

// TestEmptyChallengeIsNull checks the column that lets many payments have
// no challenge under a UNIQUE constraint.
func TestEmptyChallengeIsNull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h2hpay.db")
	s := open(t, path)
	a := account(t, s)
	for i := range 3 {
		if err := s.CreatePayment(t.Context(), payment(a, fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	var nulls int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM payments WHERE challenge_id IS NULL AND sealed_card IS NULL`).Scan(&nulls); err != nil {
		t.Fatal(err)
	}
	if nulls != 3 {
		t.Fatalf("%d payments with NULL challenge_id and sealed_card, want 3", nulls)
	}
}

// TestTwoProcesses has two stores on one file, as the CLI and the server:
// their writers take turns on the database lock instead of failing.
func TestTwoProcesses(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "h2hpay.db")
	server, cli := open(t, path), open(t, path)
	a := account(t, server)
	const n = 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		for j, s := range []*Store{server, cli} {
			wg.Go(func() {
				p := payment(a, fmt.Sprintf("%d-%d", j, i))
				if err := s.CreatePayment(ctx, p); err != nil {
					errs <- err
					return
				}
				p.Status = gateway.StatusPaid
				n := &gateway.Notification{AccountUUID: a.UUID, Type: "payment", ObjectID: p.ID, PaymentUUID: p.UUID,
					Status: gateway.NotificationPending, NextAttemptAt: t0}
				errs <- s.UpdatePayment(ctx, p, n, nil)
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("write from one of two stores: %v", err)
		}
	}
	ns, err := cli.Notifications(ctx, gateway.NotificationQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2*n {
		t.Fatalf("%d notifications, want %d", len(ns), 2*n)
	}
}

func TestOpenRejectsURIs(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := Open(context.Background(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func TestDuplicateOrderDetection(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h2hpay.db"))
	a := account(t, s)
	p := payment(a, "order-1")
	if err := s.CreatePayment(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	// The same uuid is a conflict, not a duplicate order.
	q := payment(a, "order-2")
	q.UUID = p.UUID
	err := s.CreatePayment(t.Context(), q)
	if !errors.Is(err, gateway.ErrConflict) || errors.Is(err, gateway.ErrDuplicateOrder) {
		t.Fatalf("CreatePayment with a taken uuid: %v, want ErrConflict", err)
	}
	err = s.CreatePayment(t.Context(), payment(a, "order-1"))
	if !errors.Is(err, gateway.ErrDuplicateOrder) {
		t.Fatalf("CreatePayment with a taken order_id: %v, want ErrDuplicateOrder", err)
	}
}

func TestPragmas(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h2hpay.db"))
	for _, tc := range []struct {
		pool   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{"writer", s.writer, "journal_mode", "wal"},
		{"writer", s.writer, "busy_timeout", "10000"},
		{"writer", s.writer, "foreign_keys", "1"},
		{"writer", s.writer, "synchronous", "1"},
		{"writer", s.writer, "secure_delete", "1"},
		{"reader", s.reader, "journal_mode", "wal"},
		{"reader", s.reader, "busy_timeout", "10000"},
		{"reader", s.reader, "query_only", "1"},
	} {
		var got string
		if err := tc.db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
			t.Fatalf("%s PRAGMA %s: %v", tc.pool, tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("%s PRAGMA %s = %s, want %s", tc.pool, tc.pragma, got, tc.want)
		}
	}
}

// TestUpgradeFrom0001 opens a database made before 0002 with data in it:
// the new columns take their defaults and the new tables work.
func TestUpgradeFrom0001(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "h2hpay.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].version != 1 {
		t.Fatalf("first migration %s", ms[0].name)
	}
	db := rawDB(t, path)
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		ms[0].sql,
		`INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)`,
		`INSERT INTO accounts (uuid, name, application_uuid, payment_key_pem, notification_key_pem, notify_hash, created_at)
			VALUES ('acc-old', 'Old shop', 'app', x'01', x'02', 'sha1', 0)`,
		`INSERT INTO account_services (account_uuid, code, currency) VALUES ('acc-old', 'payment_card_rub_hpp', 'RUB')`,
		`INSERT INTO payments (uuid, account_uuid, order_id, amount, currency, service, status, description, lifetime_s,
			created_at, customer, browser, success_redirect_url, fail_redirect_url, notification_url, return_url,
			payer_browser, card_first6, card_last4, card_brand, card_exp_month, card_exp_year, three_ds, auth_state,
			auth_reference, decline_reason, cancel_reason, version)
			VALUES ('pay-old', 'acc-old', 'o-1', 50000, 'RUB', 'payment_card_rub_hpp', 'paid', '', 3600,
			1700000000000000, '{}', '{}', '', '', '', '', '{}', '', '', '', 0, 0, 'none', 'done', '', '', '', 3)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("set up a 0001 database: %v", err)
		}
	}
	db.Close()

	s := open(t, path)
	a, err := s.Account(ctx, "acc-old")
	if err != nil {
		t.Fatal(err)
	}
	if a.Currency != "RUB" || a.PayoutKeyPEM != nil {
		t.Fatalf("old account: currency %q, payout key %q", a.Currency, a.PayoutKeyPEM)
	}
	sv, err := s.AccountService(ctx, "acc-old", "payment_card_rub_hpp")
	if err != nil {
		t.Fatal(err)
	}
	if *sv != (gateway.AccountService{AccountUUID: "acc-old", Code: "payment_card_rub_hpp", Currency: "RUB"}) {
		t.Fatalf("old service: %+v", sv)
	}
	p, err := s.Payment(ctx, gateway.PaymentQuery{UUID: "pay-old"})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != 100000001 || p.Commission != 0 || p.AccountOldBalance != nil || p.AccountNewBalance != nil {
		t.Fatalf("old payment: id %d, commission %v, balances %v %v", p.ID, p.Commission, p.AccountOldBalance, p.AccountNewBalance)
	}
	b, err := s.Balance(ctx, "acc-old")
	if err != nil {
		t.Fatal(err)
	}
	if *b != (gateway.Balance{AccountUUID: "acc-old", Currency: "RUB"}) {
		t.Fatalf("old account's balance: %+v", b)
	}
	ps, total, err := s.PaymentHistory(ctx, gateway.HistoryQuery{AccountUUID: "acc-old", Limit: 15})
	if err != nil || total != 1 || len(ps) != 1 || ps[0].UUID != "pay-old" {
		t.Fatalf("history of the old account: %v, %d, %v", ps, total, err)
	}
}

// fundedAccount is an account holding amount, paid in by one payment.
func fundedAccount(t *testing.T, s *Store, amount money.Amount) *gateway.Account {
	t.Helper()
	a := account(t, s)
	p := payment(a, "fund-"+fmt.Sprint(time.Now().UnixNano()))
	p.Amount = amount
	if err := s.CreatePayment(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	p.Status = gateway.StatusPaid
	l := &gateway.LedgerTransaction{AccountUUID: a.UUID, Kind: gateway.LedgerPaymentPaid, PaymentID: p.ID, Currency: "RUB",
		Entries: []gateway.LedgerEntry{{Book: gateway.BookAcquirer, Amount: -amount}, {Book: gateway.MerchantAvailable(a.UUID), Amount: amount}}}
	if err := s.UpdatePayment(t.Context(), p, nil, l); err != nil {
		t.Fatal(err)
	}
	return a
}

func reservation(po *gateway.Payout) *gateway.LedgerTransaction {
	return &gateway.LedgerTransaction{AccountUUID: po.AccountUUID, Kind: gateway.LedgerPayoutReserved, Currency: po.Currency,
		Entries: []gateway.LedgerEntry{
			{Book: gateway.MerchantAvailable(po.AccountUUID), Amount: -po.Amount},
			{Book: gateway.MerchantReserved(po.AccountUUID), Amount: po.Amount},
		}}
}

func payout(a *gateway.Account, order string, amount money.Amount) *gateway.Payout {
	return &gateway.Payout{UUID: fmt.Sprintf("po-%s-%d", order, time.Now().UnixNano()), AccountUUID: a.UUID, OrderID: order,
		Amount: amount, Currency: "RUB", Status: gateway.StatusWait, ProcessState: gateway.AuthNone, CreatedAt: t0}
}

func TestFirstPayoutID(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h2hpay.db"))
	a := fundedAccount(t, s, 1000)
	for want := int64(500000001); want <= 500000002; want++ {
		po := payout(a, fmt.Sprint(want), 100)
		if err := s.CreatePayout(t.Context(), po, reservation(po)); err != nil {
			t.Fatal(err)
		}
		if po.ID != want {
			t.Fatalf("payout ID %d, want %d", po.ID, want)
		}
	}
}

// TestPayoutsFromTwoProcesses races reservations from two stores on one
// file, as two processes: the database lock, not Go, keeps the balance.
func TestPayoutsFromTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h2hpay.db")
	one, two := open(t, path), open(t, path)
	a := fundedAccount(t, one, 10*10000)
	const n = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		for j, s := range []*Store{one, two} {
			wg.Go(func() {
				po := payout(a, fmt.Sprintf("%d-%d", j, i), 10000)
				errs <- s.CreatePayout(t.Context(), po, reservation(po))
			})
		}
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, gateway.ErrInsufficientFunds):
			t.Fatalf("CreatePayout: %v", err)
		}
	}
	b, err := two.Balance(t.Context(), a.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if ok != 10 || b.Available != 0 || b.Reserved != 100000 {
		t.Fatalf("%d payouts created, balance %+v; want 10, 0.00 available, 1000.00 reserved", ok, b)
	}
}

// TestQueryPlans checks that history and the ledger read by index: a
// page of history never sorts (so never reads) the whole range.
func TestQueryPlans(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h2hpay.db"))
	for _, tc := range []struct {
		name, query string
		args        []any
		want        string
	}{
		{"history page", historyPageSQL, []any{"a", 0, 1, 15, 0}, "payments_history"},
		{"history count", historyCountSQL, []any{"a", 0, 1}, "payments_history"},
		{"balance move", moveBalanceSQL, []any{0, 0, "a"}, "PRIMARY KEY"},
		{"payouts to process", payoutsToProcessSQL, []any{0, 10}, "payouts_wait_created"},
		{"payout posted", payoutPostedSQL, []any{1, "payout_paid"}, "ledger_transactions_payout_kind"},
	} {
		rows, err := s.writer.Query("EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, tc.want) || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want %s and no temporary b-tree", tc.name, joined, tc.want)
		}
	}
}
