// Package postgres is the gateway.Store on PostgreSQL (15 and later),
// through a pgx connection pool: one database shared by any number of
// gateway instances and the CLI.
//
// Concurrency is the database's. Every write is one statement, or one
// transaction at READ COMMITTED whose row locks serialize the writers that
// matter: a versioned UPDATE (… WHERE uuid = $1 AND version = $2) decides
// which of two racing updates of a payment or payout wins; a conditional
// UPDATE of the account's balances row, which waits for any concurrent
// writer's lock and then rechecks its condition, is how payouts from any
// number of processes can never overdraw a wallet; partial unique indexes
// decide duplicate order ids; and ClaimNotifications leases rows with
// FOR UPDATE SKIP LOCKED, so two workers never hold one notification.
//
// Money moves through a double-entry ledger (ledger_transactions and
// ledger_entries, whose entries sum to zero) written in the same
// transaction as the payment or payout change that causes it; the balances
// table caches each wallet's available and reserved books.
//
// The schema lives in migrations/, applied at Open in one transaction under
// a transaction-level advisory lock (so several instances starting at once
// apply each migration once) and recorded in schema_migrations. Times are
// timestamptz (microseconds; NULL for the zero time) and come back in UTC;
// money is bigint minor units; text is stored exactly, and text PostgreSQL
// cannot hold (a NUL byte, invalid UTF-8) is an error, never altered.
//
// The behaviour every method promises is the gateway.Store contract,
// checked by internal/storetest; where this package chooses differently
// from internal/sqlite, the method's comment says so.
package postgres
