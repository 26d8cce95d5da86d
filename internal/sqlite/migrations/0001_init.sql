-- 0001: the initial schema. Times are INTEGER unix microseconds in UTC, NULL
-- for the zero time; money is INTEGER minor units; durations are INTEGER
-- seconds (lifetime_s) or microseconds (duration_us).

CREATE TABLE accounts (
    uuid                 TEXT    PRIMARY KEY,
    name                 TEXT    NOT NULL,
    application_uuid     TEXT    NOT NULL,
    payment_key_pem      BLOB,
    notification_key_pem BLOB,
    notify_hash          TEXT    NOT NULL,
    created_at           INTEGER
);

CREATE TABLE account_services (
    account_uuid TEXT NOT NULL REFERENCES accounts (uuid),
    code         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    PRIMARY KEY (account_uuid, code)
) WITHOUT ROWID;

-- Endpoint ids are per account: cabinet ids like 749 that merchants already send.
CREATE TABLE endpoints (
    account_uuid TEXT    NOT NULL REFERENCES accounts (uuid),
    id           INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    url          TEXT    NOT NULL,
    created_at   INTEGER,
    PRIMARY KEY (account_uuid, id)
) WITHOUT ROWID;

CREATE TABLE payments (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid                 TEXT    NOT NULL UNIQUE,
    account_uuid         TEXT    NOT NULL REFERENCES accounts (uuid),
    order_id             TEXT    NOT NULL,
    amount               INTEGER NOT NULL,
    currency             TEXT    NOT NULL,
    service              TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    lifetime_s           INTEGER NOT NULL,
    expires_at           INTEGER,
    created_at           INTEGER,
    updated_at           INTEGER,
    final_at             INTEGER,
    customer             TEXT    NOT NULL, -- JSON of gateway.Customer
    browser              TEXT    NOT NULL, -- JSON of gateway.Browser
    success_redirect_url TEXT    NOT NULL,
    fail_redirect_url    TEXT    NOT NULL,
    notification_url     TEXT    NOT NULL,
    return_url           TEXT    NOT NULL,
    payer_browser        TEXT    NOT NULL, -- JSON of gateway.Browser
    card_first6          TEXT    NOT NULL,
    card_last4           TEXT    NOT NULL,
    card_brand           TEXT    NOT NULL,
    card_exp_month       INTEGER NOT NULL,
    card_exp_year        INTEGER NOT NULL,
    sealed_card          BLOB,             -- encrypted PAN and expiry; NULL once final
    three_ds             TEXT    NOT NULL,
    challenge_id         TEXT    UNIQUE,   -- NULL, never '', when there is no challenge
    card_at              INTEGER,
    challenge_at         INTEGER,
    auth_state           TEXT    NOT NULL,
    auth_lease_until     INTEGER,
    auth_reference       TEXT    NOT NULL,
    decline_reason       TEXT    NOT NULL,
    cancel_reason        TEXT    NOT NULL,
    version              INTEGER NOT NULL
);

-- The merchant API's integer ids start at 100000001.
INSERT INTO sqlite_sequence (name, seq) VALUES ('payments', 100000000);

-- api-notes §11: order_id is unique per account among payments that are not
-- fail or cancel. The store maps a violation of this index to
-- gateway.ErrDuplicateOrder, so concurrent duplicates create exactly one payment.
CREATE UNIQUE INDEX payments_live_order_id ON payments (account_uuid, order_id)
    WHERE status IN ('wait', 'paid');

-- Lookup by order_id: the newest payment with it.
CREATE INDEX payments_order_id ON payments (account_uuid, order_id, id);

-- PaymentsToExpire scans the payments still in wait, oldest expiry first.
CREATE INDEX payments_wait_expires_at ON payments (expires_at, id) WHERE status = 'wait';

-- The outbox: one signed GET owed to a merchant, written in the same
-- transaction as the status change it reports (api-notes §6.4).
CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_uuid     TEXT    NOT NULL REFERENCES accounts (uuid),
    type             TEXT    NOT NULL,
    object_id        INTEGER NOT NULL,
    payment_uuid     TEXT    NOT NULL,
    url              TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER,
    first_attempt_at INTEGER,
    last_attempt_at  INTEGER,
    last_status_code INTEGER NOT NULL,
    last_error       TEXT    NOT NULL,
    lease_owner      TEXT,             -- NULL when not leased
    lease_until      INTEGER,
    created_at       INTEGER,
    delivered_at     INTEGER
);

-- ClaimNotifications and NextNotificationDue look only at pending rows.
CREATE INDEX notifications_pending_due ON notifications (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX notifications_account ON notifications (account_uuid, id);
CREATE INDEX notifications_payment ON notifications (payment_uuid, id);

CREATE TABLE notification_attempts (
    id              INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    at              INTEGER,
    status_code     INTEGER NOT NULL,
    error           TEXT    NOT NULL,
    duration_us     INTEGER NOT NULL
);

CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, id);
