package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
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
				errs <- s.UpdatePayment(ctx, p, n)
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
