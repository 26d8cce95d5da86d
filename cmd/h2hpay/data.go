package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/postgres"
	"github.com/h2hpay/h2hpay/internal/sqlite"
	"github.com/h2hpay/h2hpay/internal/vault"
)

// dataConfig is where a command finds its state: the data folder (the
// master key, the sandbox's demo account, and the SQLite database) and,
// when DB names one, a PostgreSQL database instead of the SQLite file.
type dataConfig struct {
	Dir       string
	DB        string
	MasterKey string // H2HPAY_MASTER_KEY; "" = the key file in Dir
}

// dataFlags registers --data and --db with their environment defaults.
func dataFlags(fs *flag.FlagSet, getenv func(string) string) *dataConfig {
	d := &dataConfig{MasterKey: getenv("H2HPAY_MASTER_KEY")}
	def := getenv("H2HPAY_DATA")
	if def == "" {
		def = "./h2hpay-data"
	}
	fs.StringVar(&d.Dir, "data", def, "data `directory`: the gateway's keys, and the SQLite database unless --db is set (env H2HPAY_DATA)")
	fs.StringVar(&d.DB, "db", getenv("H2HPAY_DB"), "PostgreSQL database `URL` (postgres://…) to use instead of SQLite in --data; several gateway instances share one (env H2HPAY_DB)")
	return d
}

// open opens the database and the master key. Gateway instances sharing a
// PostgreSQL database must share the master key too (H2HPAY_MASTER_KEY):
// it seals the card data and signs the 3-D Secure results they all read.
func (d *dataConfig) open(ctx context.Context) (gateway.Store, vault.MasterKey, error) {
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return nil, nil, err
	}
	key, err := vault.LoadOrCreateMasterKey(filepath.Join(d.Dir, "keys", "master.key"), d.MasterKey)
	if err != nil {
		return nil, nil, fmt.Errorf("master key: %w", err)
	}
	var store gateway.Store
	switch {
	case d.DB == "":
		store, err = sqlite.Open(ctx, filepath.Join(d.Dir, "h2hpay.db"))
	case strings.HasPrefix(d.DB, "postgres://") || strings.HasPrefix(d.DB, "postgresql://"):
		store, err = postgres.Open(ctx, d.DB)
	default:
		return nil, nil, fmt.Errorf("--db %q: want a postgres:// URL (or nothing, for SQLite in --data)", redactDSN(d.DB))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("database: %w", err)
	}
	// Instances on one database must share the master key: a payment whose
	// card one instance sealed must open on another. The database keeps a
	// check of the first key it was used with; a different key is refused
	// here rather than as a baffling 3-D Secure error at confirm.
	check := hex.EncodeToString(key.Derive("key-check")[:16])
	stored, err := store.KeyCheck(ctx, check)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	if stored != check {
		store.Close()
		return nil, nil, fmt.Errorf("the master key differs from the one %s was first used with: every instance on one database needs the same key (H2HPAY_MASTER_KEY, or %s)",
			d.describe(), filepath.Join(d.Dir, "keys", "master.key"))
	}
	return store, key, nil
}

// describe names the database for the log, without a password.
func (d *dataConfig) describe() string {
	if d.DB == "" {
		return "sqlite " + filepath.Join(d.Dir, "h2hpay.db")
	}
	return "postgres " + redactDSN(d.DB)
}

// redactDSN hides a password in a database URL.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return "…"
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return dsn
	}
	return scheme + "://" + user + ":…@" + rest[at+1:]
}
