package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	sqlite "modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// BusyTimeout is how long a statement waits for a lock held by another
// connection or process (the CLI writing while the server runs) before it
// fails with SQLITE_BUSY.
const BusyTimeout = 10 * time.Second

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the SQLite gateway.Store. Make one with Open; it is safe for
// concurrent use.
type Store struct {
	path   string
	writer *sql.DB // one connection: every write transaction
	reader *sql.DB // plain reads

	stmts []*sql.Stmt // every prepared statement, closed by Close

	// On the writer.
	insertPayment      *sql.Stmt
	updatePayment      *sql.Stmt
	insertNotification *sql.Stmt
	claimNotifications *sql.Stmt
	recordNotification *sql.Stmt
	insertAttempt      *sql.Stmt
	paymentVersion     *sql.Stmt
	insertPayout       *sql.Stmt
	updatePayout       *sql.Stmt
	livePayoutOrder    *sql.Stmt
	ensureBalance      *sql.Stmt
	moveBalance        *sql.Stmt
	insertLedgerTx     *sql.Stmt
	insertEntry        *sql.Stmt
	paymentPosted      *sql.Stmt
	payoutPosted       *sql.Stmt

	// On the reader.
	paymentByID        *sql.Stmt
	paymentByUUID      *sql.Stmt
	paymentByOrderID   *sql.Stmt
	paymentByChallenge *sql.Stmt
	historyPage        *sql.Stmt
	historyCount       *sql.Stmt
	payoutByID         *sql.Stmt
	payoutByUUID       *sql.Stmt
	payoutByOrderID    *sql.Stmt
	payoutsToProcess   *sql.Stmt
	balanceOf          *sql.Stmt
}

var _ gateway.Store = (*Store)(nil)

// Open opens the database file at path, creating it if needed, and applies
// the migrations it lacks. The file is put in WAL mode with
// synchronous=NORMAL, foreign keys on and a busy timeout of BusyTimeout.
// path is a file name, not a URI: ":memory:" and names holding '?' are
// rejected, because the two pools must share one database.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: unsupported database path %q: give a file name", path)
	}
	s := &Store{path: path}

	common := url.Values{}
	common.Set("_busy_timeout", strconv.FormatInt(BusyTimeout.Milliseconds(), 10))
	common.Set("_foreign_keys", "1")
	common.Set("_synchronous", "NORMAL")

	w := cloneValues(common)
	w.Set("_journal_mode", "WAL")
	w.Set("_txlock", "immediate")
	// Overwrite freed content (a sealed card set to NULL) instead of
	// leaving it in free space.
	w.Add("_pragma", "secure_delete=ON")
	writer, err := sql.Open("sqlite", path+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	s.writer = writer
	// Ping makes the writer connection, which switches the file to WAL
	// before any reader opens it.
	if err := pingWhileBusy(ctx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, writer); err != nil {
		writer.Close()
		return nil, err
	}

	r := cloneValues(common)
	r.Set("_query_only", "1")
	reader, err := sql.Open("sqlite", path+"?"+r.Encode())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	s.reader = reader

	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// pingWhileBusy pings db, retrying for up to BusyTimeout while the file is
// locked. Switching a new file to WAL needs an exclusive lock and SQLite
// does not wait for it when two connections would deadlock (two processes
// opening a new file at once), so the wait is here.
func pingWhileBusy(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(BusyTimeout)
	for {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		dst   **sql.Stmt
		db    *sql.DB
		query string
	}{
		{&s.insertPayment, s.writer, insertPaymentSQL},
		{&s.updatePayment, s.writer, updatePaymentSQL},
		{&s.insertNotification, s.writer, insertNotificationSQL},
		{&s.claimNotifications, s.writer, claimNotificationsSQL},
		{&s.recordNotification, s.writer, recordNotificationSQL},
		{&s.insertAttempt, s.writer, insertAttemptSQL},
		{&s.paymentVersion, s.writer, paymentVersionSQL},
		{&s.insertPayout, s.writer, insertPayoutSQL},
		{&s.updatePayout, s.writer, updatePayoutSQL},
		{&s.livePayoutOrder, s.writer, livePayoutOrderSQL},
		{&s.ensureBalance, s.writer, ensureBalanceSQL},
		{&s.moveBalance, s.writer, moveBalanceSQL},
		{&s.insertLedgerTx, s.writer, insertLedgerTxSQL},
		{&s.insertEntry, s.writer, insertEntrySQL},
		{&s.paymentPosted, s.writer, paymentPostedSQL},
		{&s.payoutPosted, s.writer, payoutPostedSQL},
		{&s.paymentByID, s.reader, paymentByIDSQL},
		{&s.paymentByUUID, s.reader, paymentByUUIDSQL},
		{&s.paymentByOrderID, s.reader, paymentByOrderIDSQL},
		{&s.paymentByChallenge, s.reader, paymentByChallengeSQL},
		{&s.historyPage, s.reader, historyPageSQL},
		{&s.historyCount, s.reader, historyCountSQL},
		{&s.payoutByID, s.reader, payoutByIDSQL},
		{&s.payoutByUUID, s.reader, payoutByUUIDSQL},
		{&s.payoutByOrderID, s.reader, payoutByOrderIDSQL},
		{&s.payoutsToProcess, s.reader, payoutsToProcessSQL},
		{&s.balanceOf, s.reader, balanceOfSQL},
	} {
		st, err := p.db.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("sqlite: prepare %q: %w", firstLine(p.query), err)
		}
		*p.dst = st
		s.stmts = append(s.stmts, st)
	}
	return nil
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		return q[:i]
	}
	return q
}

// Close closes the statements and both pools. The last connection to close
// checkpoints the WAL into the database file.
func (s *Store) Close() error {
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	s.stmts = nil
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	return errors.Join(errs...)
}

// Files returns the paths of the database's files that exist now: the
// database itself and, while open in WAL mode, its -wal and -shm files.
// Tests search them for data that must never be stored.
func (s *Store) Files() []string {
	var files []string
	for _, f := range []string{s.path, s.path + "-wal", s.path + "-shm"} {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	return files
}

// migration is one embedded migrations/NNNN_name.sql file.
type migration struct {
	version int64
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlite: migration %s: name must start with a positive version and '_'", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("sqlite: migrations %s and %s share a version", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, each in its own
// IMMEDIATE transaction together with its schema_migrations row, so two
// processes opening a new file at once apply each migration once. A
// database migrated by a newer binary is refused.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("sqlite: read schema_migrations: %w", err)
	}
	if known := ms[len(ms)-1].version; newest.Valid && newest.Int64 > known {
		return fmt.Errorf("sqlite: database schema version %d is newer than this program's %d", newest.Int64, known)
	}
	for _, m := range ms {
		if err := applyMigration(ctx, db, m); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}
