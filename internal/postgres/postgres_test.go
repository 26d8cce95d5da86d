package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
	"github.com/h2hpay/h2hpay/internal/storetest"
)

// DSNEnv names the environment variable holding the DSN of a server where
// the tests may CREATE DATABASE. scripts/postgres.sh start prints it.
const DSNEnv = "H2HPAY_TEST_POSTGRES"

// serverDSN is the server to test on, or skips the test.
func serverDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		t.Skip("H2HPAY_TEST_POSTGRES is not set: PostgreSQL tests skipped (scripts/test.sh always sets it)")
	}
	return dsn
}

// withDatabase is dsn naming database name instead, with a pool of 8
// connections (so concurrent tests contend in the database, not for the
// pool), whether dsn is a URL or key=value pairs.
func withDatabase(t *testing.T, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", DSNEnv, err)
		}
		u.Path = "/" + name
		q := u.Query()
		q.Set("pool_max_conns", "8")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " dbname=" + name + " pool_max_conns=8"
}

// admin runs statements on the server outside any test database.
func admin(t *testing.T, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverDSN(t))
	if err != nil {
		t.Fatalf("connect to %s: %v", DSNEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// newDatabase creates an empty database that only this test uses, dropped
// when the test ends, and returns its DSN. extra is added to CREATE
// DATABASE.
func newDatabase(t *testing.T, extra string) string {
	t.Helper()
	dsn := serverDSN(t)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "h2hpay_test_" + hex.EncodeToString(b[:])
	admin(t, "CREATE DATABASE "+name+" "+extra)
	// FORCE: a pool the test did not close must not keep the database.
	t.Cleanup(func() { admin(t, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return withDatabase(t, dsn, name)
}

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	serverDSN(t)
	storetest.Run(t, func(t *testing.T) gateway.Store {
		return open(t, newDatabase(t, ""))
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

// fundedAccount is an account holding amount, paid in by one payment.
func fundedAccount(t *testing.T, s *Store, amount money.Amount) *gateway.Account {
	t.Helper()
	a := account(t, s)
	p := payment(a, "fund")
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

func payout(a *gateway.Account, order string, amount money.Amount) (*gateway.Payout, *gateway.LedgerTransaction) {
	po := &gateway.Payout{UUID: fmt.Sprintf("po-%s-%d", order, time.Now().UnixNano()), AccountUUID: a.UUID, OrderID: order,
		Amount: amount, Currency: "RUB", Status: gateway.StatusWait, ProcessState: gateway.AuthNone, CreatedAt: t0}
	l := &gateway.LedgerTransaction{AccountUUID: po.AccountUUID, Kind: gateway.LedgerPayoutReserved, Currency: po.Currency,
		Entries: []gateway.LedgerEntry{
			{Book: gateway.MerchantAvailable(po.AccountUUID), Amount: -po.Amount},
			{Book: gateway.MerchantReserved(po.AccountUUID), Amount: po.Amount},
		}}
	return po, l
}

// appliedVersions reads schema_migrations.
func appliedVersions(t *testing.T, dsn string) []int64 {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

func wantAllMigrations(t *testing.T, dsn string) {
	t.Helper()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, m := range ms {
		want = append(want, m.version)
	}
	if got := appliedVersions(t, dsn); !slices.Equal(got, want) {
		t.Fatalf("schema_migrations %v, want %v", got, want)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	dsn := newDatabase(t, "")
	for range 3 {
		s, err := Open(t.Context(), dsn)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	wantAllMigrations(t, dsn)
}

// TestConcurrentOpenOfNewDatabase starts several gateway instances on one
// empty database at once: the advisory lock lets one migrate and the
// others find it done.
func TestConcurrentOpenOfNewDatabase(t *testing.T) {
	dsn := newDatabase(t, "")
	const n = 6
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	wantAllMigrations(t, dsn)
	// Every store works on the one schema.
	a := account(t, stores[0])
	for i, s := range stores {
		if err := s.CreatePayment(t.Context(), payment(a, fmt.Sprint("order-", i))); err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn := newDatabase(t, "")
	s := open(t, dsn)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(t.Context(), dsn); err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer schema succeeded")
	}
}

func TestNonUTF8DatabaseRefused(t *testing.T) {
	dsn := newDatabase(t, "TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'")
	if s, err := Open(t.Context(), dsn); err == nil {
		s.Close()
		t.Fatal("Open of a SQL_ASCII database succeeded")
	}
}

func TestFirstIDs(t *testing.T) {
	s := open(t, newDatabase(t, ""))
	a := fundedAccount(t, s, 1000) // payment 100000001
	p := payment(a, "order-1")
	if err := s.CreatePayment(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if p.ID != 100000002 {
		t.Fatalf("second payment ID %d, want 100000002", p.ID)
	}
	for want := int64(500000001); want <= 500000002; want++ {
		po, l := payout(a, fmt.Sprint(want), 100)
		if err := s.CreatePayout(t.Context(), po, l); err != nil {
			t.Fatal(err)
		}
		if po.ID != want {
			t.Fatalf("payout ID %d, want %d", po.ID, want)
		}
	}
}

func TestDuplicateOrderDetection(t *testing.T) {
	s := open(t, newDatabase(t, ""))
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
	// A payment moved back to wait onto a live order_id: the UPDATE hits
	// the same index.
	r := payment(a, "order-1")
	r.Status = gateway.StatusFail
	if err := s.CreatePayment(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	r.Status = gateway.StatusWait
	if err := s.UpdatePayment(t.Context(), r, nil, nil); !errors.Is(err, gateway.ErrDuplicateOrder) {
		t.Fatalf("UpdatePayment onto a live order_id: %v, want ErrDuplicateOrder", err)
	}
}

func TestEndpointOfUnknownAccount(t *testing.T) {
	s := open(t, newDatabase(t, ""))
	err := s.CreateEndpoint(t.Context(), &gateway.Endpoint{AccountUUID: "nobody", Kind: gateway.EndpointSuccess, URL: "https://x.example/"})
	if !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("CreateEndpoint of an unknown account: %v, want ErrNotFound", err)
	}
}

// TestTextPostgresCannotStore: PostgreSQL text holds no NUL byte and only
// valid UTF-8, and jsonb no \u0000. Such a value is an error and writes
// nothing; it is never stored altered.
func TestTextPostgresCannotStore(t *testing.T) {
	s := open(t, newDatabase(t, ""))
	ctx := t.Context()
	a := account(t, s)
	for name, edit := range map[string]func(p *gateway.Payment){
		"NUL in a text column":  func(p *gateway.Payment) { p.Desc = "a\x00b" },
		"invalid UTF-8":         func(p *gateway.Payment) { p.Desc = "a\xffb" },
		"NUL in a jsonb column": func(p *gateway.Payment) { p.Customer.Email = "a\x00b@example.com" },
		// encoding/json would store U+FFFD instead.
		"invalid UTF-8 in a jsonb column": func(p *gateway.Payment) { p.PayerBrowser.UserAgent = "Mozilla\xc0" },
	} {
		p := payment(a, name)
		edit(p)
		err := s.CreatePayment(ctx, p)
		if !errors.Is(err, errNotUTF8Text) {
			t.Errorf("%s: CreatePayment: %v, want %v", name, err, errNotUTF8Text)
		}
		if _, err := s.Payment(ctx, gateway.PaymentQuery{UUID: p.UUID}); !errors.Is(err, gateway.ErrNotFound) {
			t.Errorf("%s: the refused payment: %v, want ErrNotFound", name, err)
		}
	}
	b := fundedAccount(t, s, 1000)
	po, l := payout(b, "order-1", 100)
	po.Extra = map[string]string{"card_holder\xff": "X"}
	if err := s.CreatePayout(ctx, po, l); !errors.Is(err, errNotUTF8Text) {
		t.Errorf("CreatePayout with invalid UTF-8 in Extra: %v, want %v", err, errNotUTF8Text)
	}
	p := payment(a, "order-1")
	if err := s.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Status = gateway.StatusPaid
	n := &gateway.Notification{AccountUUID: a.UUID, Type: "payment", ObjectID: p.ID, PaymentUUID: p.UUID,
		URL: "https://merchant.example/\x00", Status: gateway.NotificationPending, NextAttemptAt: t0}
	if err := s.UpdatePayment(ctx, p, n, nil); !errors.Is(err, errNotUTF8Text) {
		t.Fatalf("UpdatePayment with a NUL in the notification: %v, want %v", err, errNotUTF8Text)
	}
	if got, err := s.Payment(ctx, gateway.PaymentQuery{UUID: p.UUID}); err != nil || got.Status != gateway.StatusWait || got.Version != 1 {
		t.Fatalf("payment after the refused update: %+v, %v", got, err)
	}
}

// TestClaimsFromTwoStores has two gateway instances (two pools) claim one
// outbox at once: no notification is handed to both.
func TestClaimsFromTwoStores(t *testing.T) {
	dsn := newDatabase(t, "")
	one, two := open(t, dsn), open(t, dsn)
	ctx := t.Context()
	a := account(t, one)
	p := payment(a, "order-1")
	if err := one.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	const total = 300
	for i := range total {
		n := &gateway.Notification{AccountUUID: a.UUID, Type: "payment", ObjectID: p.ID, PaymentUUID: p.UUID,
			URL: fmt.Sprint("https://merchant.example/notify?n=", i), Status: gateway.NotificationPending,
			NextAttemptAt: t0.Add(time.Duration(i%13) * time.Second)}
		if err := one.UpdatePayment(ctx, p, n, nil); err != nil {
			t.Fatal(err)
		}
	}
	const workersPerStore = 6
	var (
		mu     sync.Mutex
		owners = map[int64]string{}
		wg     sync.WaitGroup
		errs   = make(chan error, 2*workersPerStore)
	)
	start := make(chan struct{})
	for j, s := range []*Store{one, two} {
		for w := range workersPerStore {
			owner := fmt.Sprintf("store-%d-worker-%d", j, w)
			wg.Go(func() {
				<-start
				for range total {
					ns, err := s.ClaimNotifications(ctx, owner, t0.Add(time.Minute), t0.Add(time.Hour), 5)
					if err != nil {
						errs <- err
						return
					}
					if len(ns) == 0 {
						return
					}
					mu.Lock()
					for _, n := range ns {
						if prev, ok := owners[n.ID]; ok {
							mu.Unlock()
							errs <- fmt.Errorf("notification %d claimed by %s and %s", n.ID, prev, owner)
							return
						}
						owners[n.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(owners) != total {
		t.Fatalf("%d notifications claimed, want %d", len(owners), total)
	}
	perStore := map[string]int{}
	for _, o := range owners {
		perStore[o[:len("store-0")]]++
	}
	t.Logf("claims per store: %v", perStore)
}

// TestPayoutsFromTwoStores races reservations from two gateway instances
// on one wallet: the balances row lock, not Go, keeps the balance.
func TestPayoutsFromTwoStores(t *testing.T) {
	dsn := newDatabase(t, "")
	one, two := open(t, dsn), open(t, dsn)
	a := fundedAccount(t, one, 10*10000)
	const n = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	start := make(chan struct{})
	for i := range n {
		for j, s := range []*Store{one, two} {
			wg.Go(func() {
				<-start
				po, l := payout(a, fmt.Sprintf("%d-%d", j, i), 10000)
				errs <- s.CreatePayout(t.Context(), po, l)
			})
		}
	}
	close(start)
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
	ls, err := one.LedgerTransactions(t.Context(), gateway.LedgerQuery{AccountUUID: a.UUID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var available money.Amount
	for _, l := range ls {
		if l.AvailableBefore != available {
			t.Fatalf("ledger transaction %d starts at %v, the previous ended at %v", l.ID, l.AvailableBefore, available)
		}
		available = l.AvailableAfter
	}
	if len(ls) != 11 || available != 0 {
		t.Fatalf("%d ledger transactions ending at %v, want 11 ending at 0.00", len(ls), available)
	}
}

// TestSettlementsFromTwoStores settles one payout from two instances at
// once: one settlement wins, the other is a conflict, the reserve is
// released once.
func TestSettlementsFromTwoStores(t *testing.T) {
	dsn := newDatabase(t, "")
	one, two := open(t, dsn), open(t, dsn)
	ctx := t.Context()
	a := fundedAccount(t, one, 50000)
	po, l := payout(a, "order-1", 20000)
	if err := one.CreatePayout(ctx, po, l); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range []*Store{one, two} {
		c := *po
		wg.Go(func() {
			<-start
			c.Status, c.ProcessState, c.FinalAt = gateway.StatusFail, gateway.AuthDone, t0.Add(time.Minute)
			back := &gateway.LedgerTransaction{AccountUUID: a.UUID, Kind: gateway.LedgerPayoutReturned, PayoutID: c.ID, Currency: "RUB",
				Entries: []gateway.LedgerEntry{
					{Book: gateway.MerchantReserved(a.UUID), Amount: -20000},
					{Book: gateway.MerchantAvailable(a.UUID), Amount: 20000},
				}}
			errs[i] = s.UpdatePayout(ctx, &c, nil, back)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, gateway.ErrConflict):
			t.Fatalf("UpdatePayout: %v", err)
		}
	}
	b, err := one.Balance(ctx, a.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || b.Available != 50000 || b.Reserved != 0 {
		t.Fatalf("%d settlements won, balance %+v; want 1, 500.00 available", won, b)
	}
}

// TestQueryPlans checks that the hot queries can run on their indexes
// (with sequential scans off: on a near-empty table the planner rightly
// prefers them).
func TestQueryPlans(t *testing.T) {
	s := open(t, newDatabase(t, ""))
	ctx := t.Context()
	// 20000 payments of 50 accounts over two weeks: one account's day is
	// a few dozen rows, which only payments_history finds without a scan.
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO accounts (uuid, name, application_uuid, notify_hash, currency)
			SELECT 'acc-' || i, 'Shop', 'app', 'sha1', 'RUB' FROM generate_series(0, 49) i;
		INSERT INTO payments (uuid, account_uuid, order_id, amount, currency, service, status, description, lifetime,
				created_at, customer, browser, success_redirect_url, fail_redirect_url, notification_url, return_url,
				payer_browser, card_first6, card_last4, card_brand, card_exp_month, card_exp_year, three_ds, auth_state,
				auth_reference, decline_reason, cancel_reason, commission, version)
			SELECT 'pay-' || i, 'acc-' || i % 50, 'order-' || i, 100, 'RUB', 's', CASE WHEN i % 10 = 0 THEN 'wait' ELSE 'paid' END,
				'', '1 hour', '2025-03-14 09:00:00Z'::timestamptz - i * interval '1 minute', '{}', '{}', '', '', '', '',
				'{}', '', '', '', 0, 0, 'none', 'none', '', '', '', 0, 1
			FROM generate_series(1, 20000) i;
		ANALYZE`); err != nil {
		t.Fatal(err)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), `RESET enable_seqscan`)
	for _, tc := range []struct {
		name, query string
		args        []any
		want        string
	}{
		{"history", historySQL, []any{"acc-7", t0.Add(-48 * time.Hour), t0.Add(-24 * time.Hour), 15, 0}, "payments_history"},
		{"ledger write", postPayoutSQL, []any{0, 0, "a", "RUB", "payout_paid", t0, []string{}, []int64{}, 500000001}, "balances_pkey"},
		{"payouts to process", payoutsToProcessSQL, []any{t0, 10}, "payouts_wait_created"},
		{"claim", claimNotificationsSQL, []any{"w", t0, t0, 10}, "notifications_pending_due"},
		{"payment posted", lockPaymentSQL, []any{"p", "payment_paid"}, "ledger_transactions_payment_kind"},
		{"ledger page", ledgerSelect + ` WHERE account_uuid = $1 AND id > $2 ORDER BY id LIMIT $3`, []any{"a", 0, 10},
			"ledger_transactions_account"},
	} {
		rows, err := conn.Query(ctx, "EXPLAIN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if joined := strings.Join(plan, "\n"); !strings.Contains(joined, tc.want) {
			t.Errorf("%s: plan does not use %s:\n%s", tc.name, tc.want, joined)
		}
	}
}
