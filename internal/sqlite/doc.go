// Package sqlite is the gateway.Store on SQLite, through the pure-Go
// modernc.org/sqlite driver: one database file, no server, for a single
// gateway host and the CLI that shares its file.
//
// The store holds two pools on the file. Every write goes through a writer
// pool of one connection whose transactions begin IMMEDIATE, so writers in
// this process queue in Go and writers in other processes wait on the
// database lock (busy_timeout) instead of deadlocking on a lock upgrade.
// Plain reads use a separate reader pool and, in WAL mode, never block on
// the writer.
//
// Money moves through a double-entry ledger (ledger_transactions and
// ledger_entries, whose entries sum to zero) written in the same database
// transaction as the payment or payout change that causes it. The balances
// table caches each wallet's available and reserved books; every ledger
// write moves it with one conditional UPDATE that matches no row when a
// balance would go below zero, which is how concurrent payouts, also from
// other processes, can never overdraw a wallet.
//
// The schema lives in migrations/, applied in order at Open and recorded in
// schema_migrations. Times are stored as INTEGER unix microseconds (NULL for
// the zero time) and come back in UTC; money as INTEGER minor units.
//
// The behaviour every method promises is the gateway.Store contract, checked
// by internal/storetest.
package sqlite
