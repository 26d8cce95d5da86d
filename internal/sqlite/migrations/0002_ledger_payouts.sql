-- 0002: payouts, the double-entry ledger and the balances it keeps, the
-- payout key and wallet currency of an account, commissions and limits.
-- Same conventions as 0001: INTEGER unix microseconds (NULL for the zero
-- time), INTEGER minor units.

-- An account is one currency wallet. Accounts made before this migration
-- were RUB wallets.
ALTER TABLE accounts ADD COLUMN payout_key_pem BLOB;
ALTER TABLE accounts ADD COLUMN currency TEXT NOT NULL DEFAULT 'RUB';

-- commission = amount * commission_bp / 10000 (half up) + commission_fixed;
-- min_amount / max_amount 0 means no bound.
ALTER TABLE account_services ADD COLUMN commission_bp    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_services ADD COLUMN commission_fixed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_services ADD COLUMN min_amount       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_services ADD COLUMN max_amount       INTEGER NOT NULL DEFAULT 0;

-- account_old_balance / account_new_balance: the available balance around
-- the payment's ledger credit; NULL until it is written.
ALTER TABLE payments ADD COLUMN commission          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN account_old_balance INTEGER;
ALTER TABLE payments ADD COLUMN account_new_balance INTEGER;

-- PaymentHistory: one account's payments by creation time, then id.
CREATE INDEX payments_history ON payments (account_uuid, created_at, id);

CREATE TABLE payouts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid                TEXT    NOT NULL UNIQUE,
    account_uuid        TEXT    NOT NULL REFERENCES accounts (uuid),
    order_id            TEXT    NOT NULL,
    amount              INTEGER NOT NULL,
    commission          INTEGER NOT NULL,
    currency            TEXT    NOT NULL,
    service             TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    number_mask         TEXT    NOT NULL,
    sealed_number       BLOB,             -- the encrypted destination; NULL once final
    customer            TEXT    NOT NULL, -- JSON of gateway.Customer
    extra               TEXT,             -- JSON object of strings; NULL for a nil map
    notification_url    TEXT    NOT NULL,
    process_state       TEXT    NOT NULL,
    lease_until         INTEGER,
    reference           TEXT    NOT NULL,
    decline_reason      TEXT    NOT NULL,
    account_old_balance INTEGER,          -- available balance around the reservation
    account_new_balance INTEGER,
    created_at          INTEGER,
    updated_at          INTEGER,
    final_at            INTEGER,
    version             INTEGER NOT NULL
);

-- Payout ids start at 500000001, so they are never mistaken for payment ids.
INSERT INTO sqlite_sequence (name, seq) VALUES ('payouts', 500000000);

-- order_id is unique per account among payouts in wait or paid (separately
-- from payments); a violation is gateway.ErrDuplicateOrder.
CREATE UNIQUE INDEX payouts_live_order_id ON payouts (account_uuid, order_id)
    WHERE status IN ('wait', 'paid');

-- Lookup by order_id: the newest payout with it.
CREATE INDEX payouts_order_id ON payouts (account_uuid, order_id, id);

-- PayoutsToProcess scans the payouts still in wait, oldest first.
CREATE INDEX payouts_wait_created ON payouts (created_at, id) WHERE status = 'wait';

-- One movement of money: its entries (ledger_entries) sum to zero. The
-- available balance around it is kept for the merchant's statements and
-- for audit: per account, in id order, each available_before is the
-- previous available_after.
CREATE TABLE ledger_transactions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_uuid     TEXT    NOT NULL REFERENCES accounts (uuid),
    kind             TEXT    NOT NULL,
    payment_id       INTEGER REFERENCES payments (id), -- NULL when it records no payment
    payout_id        INTEGER REFERENCES payouts (id),  -- NULL when it records no payout
    currency         TEXT    NOT NULL,
    created_at       INTEGER,
    available_before INTEGER NOT NULL CHECK (available_before >= 0),
    available_after  INTEGER NOT NULL CHECK (available_after >= 0)
);

CREATE INDEX ledger_transactions_account ON ledger_transactions (account_uuid, id);

-- A payment or payout is recorded at most once per kind (paid once,
-- reserved once): a second posting is refused as a conflict.
CREATE UNIQUE INDEX ledger_transactions_payment_kind ON ledger_transactions (payment_id, kind)
    WHERE payment_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_transactions_payout_kind ON ledger_transactions (payout_id, kind)
    WHERE payout_id IS NOT NULL;

-- seq keeps the entries in the order they were given.
CREATE TABLE ledger_entries (
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions (id),
    seq            INTEGER NOT NULL,
    book           TEXT    NOT NULL,
    amount         INTEGER NOT NULL,
    PRIMARY KEY (transaction_id, seq)
) WITHOUT ROWID;

-- The merchant books of the ledger, summed: a cache written in the same
-- transaction as every ledger transaction, so that "is there enough" is
-- one conditional UPDATE. The row appears with the account's first
-- transaction. The CHECKs are a second guard: the UPDATE never matches a
-- row it would take below zero.
CREATE TABLE balances (
    account_uuid TEXT    PRIMARY KEY REFERENCES accounts (uuid),
    currency     TEXT    NOT NULL,
    available    INTEGER NOT NULL CHECK (available >= 0),
    reserved     INTEGER NOT NULL CHECK (reserved >= 0)
) WITHOUT ROWID;
