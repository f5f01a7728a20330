-- Opt-in e-mail reminders: an opaque id and dates, nothing about the document.
CREATE TABLE reminders (
    account_id TEXT NOT NULL,
    id TEXT NOT NULL,
    -- The deadline the e-mail names, YYYY-MM-DD.
    deadline TEXT NOT NULL,
    days_before INTEGER NOT NULL,
    language TEXT NOT NULL,
    -- Due from (Unix seconds); not sent after until_at (the end of the deadline day).
    send_at INTEGER NOT NULL,
    until_at INTEGER NOT NULL,
    sent_at INTEGER,
    -- The PUT that wrote the row last; rows of older PUTs are removed by the newer one.
    batch TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX reminders_due ON reminders (sent_at, send_at);
CREATE INDEX reminders_until ON reminders (until_at);
