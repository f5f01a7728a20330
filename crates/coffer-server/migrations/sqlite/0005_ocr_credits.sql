-- Remote OCR credits used per account and calendar month: a count, nothing about documents.
CREATE TABLE ocr_credits (
    account_id TEXT NOT NULL,
    month TEXT NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (account_id, month)
);
