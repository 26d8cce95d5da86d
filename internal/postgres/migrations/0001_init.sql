-- 0001: the whole schema as of SQLite's 0003, in PostgreSQL's own types:
-- timestamptz for times (microseconds; NULL for the zero time), bigint minor
-- units for money, interval for durations, bytea for keys and sealed data,
-- jsonb for the customer, browser and payout extra fields.
--
-- Identifiers, codes, order ids and statuses are COLLATE "C": they compare
-- and sort byte by byte, as in SQLite, whatever the database's locale.
-- Where a list is ordered by a time that may be NULL, NULL comes first
-- (NULLS FIRST ascending, DESC NULLS LAST descending), as SQLite orders it,
-- and the indexes are built in that order.

CREATE TABLE accounts (
    uuid                 text COLLATE "C" PRIMARY KEY,
    -- seq orders accounts created at the same instant by insertion, as
    -- SQLite's rowid does.
    seq                  bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    name                 text   NOT NULL,
    application_uuid     text   NOT NULL,
    payment_key_pem      bytea,
    payout_key_pem       bytea,
    notification_key_pem bytea,
    notify_hash          text   NOT NULL,
    currency             text   NOT NULL,
    created_at           timestamptz
);

-- commission = amount * commission_bp / 10000 (half up) + commission_fixed;
-- min_amount / max_amount 0 means no bound.
CREATE TABLE account_services (
    account_uuid     text COLLATE "C" NOT NULL REFERENCES accounts (uuid),
    code             text COLLATE "C" NOT NULL,
    currency         text   NOT NULL,
    commission_bp    bigint NOT NULL,
    commission_fixed bigint NOT NULL,
    min_amount       bigint NOT NULL,
    max_amount       bigint NOT NULL,
    PRIMARY KEY (account_uuid, code)
);

-- Endpoint ids are per account: cabinet ids like 749 that merchants already
-- send. A new auto id is the account's largest plus one, taken under a lock
-- on the account's row.
CREATE TABLE endpoints (
    account_uuid text COLLATE "C" NOT NULL REFERENCES accounts (uuid),
    id           bigint NOT NULL CHECK (id > 0),
    kind         text   NOT NULL,
    url          text   NOT NULL,
    created_at   timestamptz,
    PRIMARY KEY (account_uuid, id)
);

-- The merchant books of the ledger, summed: written in the same transaction
-- as every ledger transaction, so that "is there enough" is one conditional
-- UPDATE that waits for the row lock of any concurrent writer. The row is
-- made with the account. The CHECKs are a second guard: the UPDATE never
-- matches a row it would take below zero.
CREATE TABLE balances (
    account_uuid text COLLATE "C" PRIMARY KEY REFERENCES accounts (uuid),
    currency     text   NOT NULL,
    available    bigint NOT NULL CHECK (available >= 0),
    reserved     bigint NOT NULL CHECK (reserved >= 0)
);

-- The merchant API's integer ids start at 100000001. An identity does not
-- roll back: a refused insert leaves a gap.
CREATE TABLE payments (
    id                   bigint GENERATED ALWAYS AS IDENTITY (START WITH 100000001) PRIMARY KEY,
    uuid                 text COLLATE "C" NOT NULL UNIQUE,
    account_uuid         text COLLATE "C" NOT NULL REFERENCES accounts (uuid),
    order_id             text COLLATE "C" NOT NULL,
    amount               bigint   NOT NULL,
    currency             text     NOT NULL,
    service              text     NOT NULL,
    status               text COLLATE "C" NOT NULL,
    description          text     NOT NULL,
    lifetime             interval NOT NULL,
    expires_at           timestamptz,
    created_at           timestamptz,
    updated_at           timestamptz,
    final_at             timestamptz,
    customer             jsonb    NOT NULL, -- gateway.Customer
    browser              jsonb    NOT NULL, -- gateway.Browser
    success_redirect_url text     NOT NULL,
    fail_redirect_url    text     NOT NULL,
    notification_url     text     NOT NULL,
    return_url           text     NOT NULL,
    payer_browser        jsonb    NOT NULL, -- gateway.Browser
    card_first6          text     NOT NULL,
    card_last4           text     NOT NULL,
    card_brand           text     NOT NULL,
    card_exp_month       integer  NOT NULL,
    card_exp_year        integer  NOT NULL,
    sealed_card          bytea,             -- encrypted PAN and expiry; NULL once final
    three_ds             text     NOT NULL,
    challenge_id         text COLLATE "C" UNIQUE, -- NULL, never '', when there is no challenge
    card_at              timestamptz,
    challenge_at         timestamptz,
    auth_state           text     NOT NULL,
    auth_lease_until     timestamptz,
    auth_reference       text     NOT NULL,
    decline_reason       text     NOT NULL,
    cancel_reason        text     NOT NULL,
    commission           bigint   NOT NULL,
    -- The available balance around the payment's ledger credit; NULL until
    -- it is written.
    account_old_balance  bigint,
    account_new_balance  bigint,
    version              bigint   NOT NULL
);

-- api-notes §11: order_id is unique per account among payments that are not
-- fail or cancel. The store maps a violation of this index, by its name, to
-- gateway.ErrDuplicateOrder, so concurrent duplicates create exactly one payment.
CREATE UNIQUE INDEX payments_live_order_id ON payments (account_uuid, order_id)
    WHERE status IN ('wait', 'paid');

-- Lookup by order_id: the newest payment with it.
CREATE INDEX payments_order_id ON payments (account_uuid, order_id, id);

-- PaymentsToExpire scans the payments still in wait, oldest expiry first.
CREATE INDEX payments_wait_expires_at ON payments (expires_at NULLS FIRST, id) WHERE status = 'wait';

-- PaymentHistory: one account's payments by creation time, then id; read
-- backwards, the operator's list of one account, newest first.
CREATE INDEX payments_history ON payments (account_uuid, created_at NULLS FIRST, id);

-- The operator's list across accounts, and by status, newest first.
CREATE INDEX payments_created ON payments (created_at NULLS FIRST, id);
CREATE INDEX payments_status_created ON payments (status, created_at NULLS FIRST, id);

-- Payout ids start at 500000001, so they are never mistaken for payment ids.
CREATE TABLE payouts (
    id                  bigint GENERATED ALWAYS AS IDENTITY (START WITH 500000001) PRIMARY KEY,
    uuid                text COLLATE "C" NOT NULL UNIQUE,
    account_uuid        text COLLATE "C" NOT NULL REFERENCES accounts (uuid),
    order_id            text COLLATE "C" NOT NULL,
    amount              bigint NOT NULL,
    commission          bigint NOT NULL,
    currency            text   NOT NULL,
    service             text   NOT NULL,
    status              text COLLATE "C" NOT NULL,
    number_mask         text   NOT NULL,
    sealed_number       bytea,           -- the encrypted destination; NULL once final
    customer            jsonb  NOT NULL, -- gateway.Customer
    extra               jsonb,           -- object of strings; NULL for a nil map
    notification_url    text   NOT NULL,
    process_state       text   NOT NULL,
    lease_until         timestamptz,
    reference           text   NOT NULL,
    decline_reason      text   NOT NULL,
    account_old_balance bigint,          -- available balance around the reservation
    account_new_balance bigint,
    created_at          timestamptz,
    updated_at          timestamptz,
    final_at            timestamptz,
    version             bigint NOT NULL
);

-- order_id is unique per account among payouts in wait or paid (separately
-- from payments); a violation is gateway.ErrDuplicateOrder.
CREATE UNIQUE INDEX payouts_live_order_id ON payouts (account_uuid, order_id)
    WHERE status IN ('wait', 'paid');

-- Lookup by order_id: the newest payout with it.
CREATE INDEX payouts_order_id ON payouts (account_uuid, order_id, id);

-- PayoutsToProcess scans the payouts still in wait, oldest first.
CREATE INDEX payouts_wait_created ON payouts (created_at NULLS FIRST, id) WHERE status = 'wait';

-- One movement of money: its entries (ledger_entries) sum to zero. The
-- available balance around it is kept for the merchant's statements and for
-- audit: per account, in id order, each available_before is the previous
-- available_after (the balances row lock orders one account's writes).
CREATE TABLE ledger_transactions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_uuid     text COLLATE "C" NOT NULL REFERENCES accounts (uuid),
    kind             text COLLATE "C" NOT NULL,
    payment_id       bigint REFERENCES payments (id), -- NULL when it records no payment
    payout_id        bigint REFERENCES payouts (id),  -- NULL when it records no payout
    currency         text   NOT NULL,
    created_at       timestamptz,
    available_before bigint NOT NULL CHECK (available_before >= 0),
    available_after  bigint NOT NULL CHECK (available_after >= 0),
    CHECK (payment_id IS NULL OR payout_id IS NULL)
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
    transaction_id bigint  NOT NULL REFERENCES ledger_transactions (id),
    seq            integer NOT NULL,
    book           text    NOT NULL,
    amount         bigint  NOT NULL,
    PRIMARY KEY (transaction_id, seq)
);

-- The outbox: one signed GET owed to a merchant, written in the same
-- transaction as the status change it reports (api-notes §6.4). A claim
-- rewrites only the lease columns, which no index holds, so with room left
-- in each page (fillfactor) it is a HOT update.
CREATE TABLE notifications (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_uuid     text COLLATE "C" NOT NULL REFERENCES accounts (uuid),
    type             text    NOT NULL,
    object_id        bigint  NOT NULL,
    payment_uuid     text COLLATE "C" NOT NULL,
    url              text    NOT NULL,
    status           text COLLATE "C" NOT NULL,
    attempts         integer NOT NULL,
    next_attempt_at  timestamptz,
    first_attempt_at timestamptz,
    last_attempt_at  timestamptz,
    last_status_code integer NOT NULL,
    last_error       text    NOT NULL,
    lease_owner      text,              -- NULL when not leased
    lease_until      timestamptz,
    created_at       timestamptz,
    delivered_at     timestamptz
) WITH (fillfactor = 85);

-- ClaimNotifications and NextNotificationDue look only at pending rows.
CREATE INDEX notifications_pending_due ON notifications (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX notifications_account ON notifications (account_uuid, id);
CREATE INDEX notifications_payment ON notifications (payment_uuid, id);

CREATE TABLE notification_attempts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id bigint   NOT NULL REFERENCES notifications (id),
    at              timestamptz,
    status_code     integer  NOT NULL,
    error           text     NOT NULL,
    duration        interval NOT NULL
);

CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, id);
