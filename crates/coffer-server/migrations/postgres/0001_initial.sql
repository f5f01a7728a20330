-- Coffer sync server schema (PostgreSQL). Only ciphertext and technical metadata live here.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    opaque_record BYTEA NOT NULL,
    wrapped_keys BYTEA NOT NULL,
    totp_secret BYTEA,
    totp_pending BYTEA,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    last_seq BIGINT NOT NULL DEFAULT 0,
    purged_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL,
    code_hash BYTEA NOT NULL,
    PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE login_attempts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id TEXT,
    state BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    device_name TEXT NOT NULL,
    access_hash BYTEA NOT NULL UNIQUE,
    access_expires_at BIGINT NOT NULL,
    refresh_hash BYTEA NOT NULL UNIQUE,
    refresh_expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE items (
    account_id TEXT NOT NULL,
    id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL,
    kind_class TEXT,
    created_month TEXT,
    padded_size BIGINT,
    envelope BYTEA,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX items_feed ON items (account_id, seq);

CREATE TABLE item_blobs (
    account_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (account_id, item_id, position)
);
CREATE INDEX item_blobs_hash ON item_blobs (account_id, sha256);

CREATE TABLE blobs (
    account_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, sha256)
);

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    received BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX uploads_account ON uploads (account_id, sha256);

CREATE TABLE upload_chunks (
    upload_id TEXT NOT NULL,
    chunk_offset BIGINT NOT NULL,
    chunk_end BIGINT NOT NULL,
    PRIMARY KEY (upload_id, chunk_offset)
);

CREATE TABLE idempotency (
    account_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    response BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE security_events (
    id BIGSERIAL PRIMARY KEY,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    device_id TEXT,
    device_name TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX security_events_account ON security_events (account_id, at);

CREATE TABLE account_purges (
    account_id TEXT PRIMARY KEY,
    requested_at BIGINT NOT NULL
);
