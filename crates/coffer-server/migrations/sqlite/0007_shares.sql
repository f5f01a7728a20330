-- Private share links for the accountant (issue 17): a sealed file kept as one of the
-- account's blobs (so it counts against the storage quota), reachable by anyone holding the
-- link until it expires or is revoked. The key is in the link's fragment, never here.
CREATE TABLE shares (
    -- Random (v4); the public part of the link.
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    -- When the ciphertext was deleted (revoked, or expired and cleaned up); NULL while kept.
    ended_at INTEGER,
    downloads INTEGER NOT NULL DEFAULT 0,
    last_download_at INTEGER
);
CREATE INDEX shares_by_account ON shares (account_id, created_at);
CREATE INDEX shares_by_blob ON shares (account_id, sha256);
CREATE INDEX shares_to_end ON shares (ended_at, expires_at);
