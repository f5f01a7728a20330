-- Issue 13, "the server is the authority".

-- What an item counts against is fixed at its first commit: the server's month then and the
-- kind class the first write named. Later writes may say otherwise; the count does not move.
-- Rows from before this migration count as their stored metadata says.
ALTER TABLE items ADD COLUMN counted_month TEXT;
ALTER TABLE items ADD COLUMN counted_kind TEXT;
UPDATE items SET counted_month = created_month, counted_kind = kind_class;
CREATE INDEX items_counted ON items (account_id, counted_month, counted_kind);

-- E-mail verification (NULL: not verified yet). Accounts from before were accepted unverified
-- and stay usable.
ALTER TABLE accounts ADD COLUMN email_verified_at INTEGER;
UPDATE accounts SET email_verified_at = created_at;
CREATE TABLE email_verifications (
    account_id TEXT PRIMARY KEY,
    code_hash BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    sent_at INTEGER NOT NULL
);

-- Second-factor guesses: consecutive failures and until when the next guess must wait.
ALTER TABLE accounts ADD COLUMN second_factor_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN second_factor_wait_until INTEGER NOT NULL DEFAULT 0;

-- Step-up: a fresh proof of the password (and second factor), bound to one session.
ALTER TABLE sessions ADD COLUMN step_up_hash BLOB;
ALTER TABLE sessions ADD COLUMN step_up_expires_at INTEGER;

-- Refresh tokens already exchanged: showing one again revokes its session (a stolen copy).
CREATE TABLE spent_refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    session_id TEXT NOT NULL,
    spent_at INTEGER NOT NULL
);

-- The paid period (and plan) an upgrade payment was priced for.
ALTER TABLE payments ADD COLUMN priced_plan TEXT;
ALTER TABLE payments ADD COLUMN priced_period_end INTEGER;
