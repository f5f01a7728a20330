-- Plans, payments, the downgrade grace period and the e-mail outbox.
ALTER TABLE items ADD COLUMN created_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN locked_at BIGINT;
UPDATE items SET created_seq = seq;
CREATE INDEX items_month ON items (account_id, created_month, kind_class);

-- No row: the free plan, nothing locked.
CREATE TABLE account_plans (
    account_id TEXT PRIMARY KEY,
    plan TEXT NOT NULL,
    billing_interval TEXT,
    currency TEXT,
    provider TEXT,
    subscription_ref TEXT,
    customer_ref TEXT,
    period_start BIGINT,
    period_end BIGINT,
    renews BOOLEAN NOT NULL,
    language TEXT NOT NULL,
    grace_started_at BIGINT,
    purge_at BIGINT,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX account_plans_subscription ON account_plans (provider, subscription_ref);

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    plan TEXT NOT NULL,
    billing_interval TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_ref TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE INDEX payments_account ON payments (account_id, created_at);
CREATE INDEX payments_provider_ref ON payments (provider, provider_ref);

CREATE TABLE invoices (
    number TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    payment_id TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    provider_url TEXT
);
CREATE INDEX invoices_account ON invoices (account_id, issued_at);

CREATE TABLE invoice_counters (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE webhook_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);

CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    to_email TEXT NOT NULL,
    template TEXT NOT NULL,
    language TEXT NOT NULL,
    params TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);
