package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"
)

// The end-to-end tests run on SQLite, and again on PostgreSQL when
// H2HPAY_E2E_POSTGRES holds the DSN of a server where databases may be
// created (scripts/test.sh runs the package a second time that way): each
// data folder then gets its own fresh database, passed to every command as
// H2HPAY_DB.

// e2ePostgres is the admin DSN of the PostgreSQL pass, "" for SQLite.
var e2ePostgres = os.Getenv("H2HPAY_E2E_POSTGRES")

var (
	dbMu     sync.Mutex
	dbOfDir  = map[string]string{}
	keyOfDir = map[string]string{} // data folder → H2HPAY_MASTER_KEY its commands run with
)

// useMasterKey makes every command on a data folder run with this master key.
func useMasterKey(dataDir, key string) {
	dbMu.Lock()
	keyOfDir[dataDir] = key
	dbMu.Unlock()
}

// dsnFor returns the database of a data folder: "" on the SQLite pass, else
// a database created for it on first use and dropped when the test ends.
func dsnFor(t *testing.T, dataDir string) string {
	if e2ePostgres == "" {
		return ""
	}
	dbMu.Lock()
	defer dbMu.Unlock()
	if dsn, ok := dbOfDir[dataDir]; ok {
		return dsn
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "h2hpay_e2e_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, e2ePostgres)
	if err != nil {
		t.Fatalf("PostgreSQL pass: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("PostgreSQL pass: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, e2ePostgres); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, _ := url.Parse(e2ePostgres)
	u.Path = "/" + name
	dbOfDir[dataDir] = u.String()
	return u.String()
}

// envOf is the environment a command of the tests runs with: H2HPAY_DB for
// the --data folder its arguments name, on the PostgreSQL pass.
func envOf(t *testing.T, args []string, extra map[string]string) func(string) string {
	env := map[string]string{}
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--data" {
			if dsn := dsnFor(t, args[i+1]); dsn != "" {
				env["H2HPAY_DB"] = dsn
			}
			dbMu.Lock()
			if key, ok := keyOfDir[args[i+1]]; ok {
				env["H2HPAY_MASTER_KEY"] = key
			}
			dbMu.Unlock()
		}
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// runCLI runs one command with the test environment.
func runCLI(t *testing.T, args []string, stdout, stderr *syncBuffer) error {
	return run(context.Background(), args, envOf(t, args, nil), stdout, stderr)
}

// sqliteOnly skips a test that reads the SQLite file itself.
func sqliteOnly(t *testing.T, why string) {
	if e2ePostgres != "" {
		t.Skipf("on the PostgreSQL pass: %s reads the SQLite file (it runs on the SQLite pass)", why)
	}
}

// setExpiry moves a payment's stored expiry to at, as time passing would,
// in whichever database the data folder uses.
func setExpiry(t *testing.T, dataDir, uuid string, at time.Time) {
	t.Helper()
	if dsnFor(t, dataDir) != "" {
		dbExec(t, dataDir, `UPDATE payments SET expires_at = ? WHERE uuid = ?`, at, uuid)
		return
	}
	dbExec(t, dataDir, `UPDATE payments SET expires_at = ? WHERE uuid = ?`, at.UnixMicro(), uuid)
}

// dbExec runs one statement, written with ? placeholders, on the data
// folder's database: to simulate time passing or damage, outside the API.
func dbExec(t *testing.T, dataDir, query string, args ...any) {
	t.Helper()
	if dsn := dsnFor(t, dataDir); dsn != "" {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", "$"+strconv.Itoa(i), 1)
		}
		ctx := context.Background()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
		return
	}
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "h2hpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`PRAGMA busy_timeout = 10000`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

// storedBytes is everything the data folder's database holds, to search for
// card data: the SQLite files byte for byte (database, WAL, shared memory),
// or on the PostgreSQL pass every row of every table as JSON text.
func storedBytes(t *testing.T, dataDir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	if dsn := dsnFor(t, dataDir); dsn != "" {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		rows, err := c.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range tables {
			rows, err := c.Query(ctx, `SELECT row_to_json(t)::text FROM `+pgx.Identifier{table}.Sanitize()+` t`)
			if err != nil {
				t.Fatal(err)
			}
			texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range texts {
				out["table "+table] = append(out["table "+table], s+"\n"...)
			}
		}
		if len(out) == 0 {
			t.Fatal("no rows found in the database")
		}
		return out
	}
	files, _ := filepath.Glob(filepath.Join(dataDir, "h2hpay.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	if len(out) == 0 {
		t.Fatal("no database files found")
	}
	return out
}
