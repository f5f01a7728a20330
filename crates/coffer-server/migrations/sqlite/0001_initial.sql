-- Coffer sync server schema (SQLite). Only ciphertext and technical metadata live here.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    opaque_record BLOB NOT NULL,
    wrapped_keys BLOB NOT NULL,
    totp_secret BLOB,
    totp_pending BLOB,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    purged_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL,
    code_hash BLOB NOT NULL,
    PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE login_attempts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id TEXT,
    state BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    device_name TEXT NOT NULL,
    access_hash BLOB NOT NULL UNIQUE,
    access_expires_at INTEGER NOT NULL,
    refresh_hash BLOB NOT NULL UNIQUE,
    refresh_expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE items (
    account_id TEXT NOT NULL,
    id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    kind_class TEXT,
    created_month TEXT,
    padded_size INTEGER,
    envelope BLOB,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX items_feed ON items (account_id, seq);

CREATE TABLE item_blobs (
    account_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (account_id, item_id, position)
);
CREATE INDEX item_blobs_hash ON item_blobs (account_id, sha256);

CREATE TABLE blobs (
    account_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, sha256)
);

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    received INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX uploads_account ON uploads (account_id, sha256);

CREATE TABLE upload_chunks (
    upload_id TEXT NOT NULL,
    chunk_offset INTEGER NOT NULL,
    chunk_end INTEGER NOT NULL,
    PRIMARY KEY (upload_id, chunk_offset)
);

CREATE TABLE idempotency (
    account_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    response BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE security_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    device_id TEXT,
    device_name TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX security_events_account ON security_events (account_id, at);

CREATE TABLE account_purges (
    account_id TEXT PRIMARY KEY,
    requested_at INTEGER NOT NULL
);
