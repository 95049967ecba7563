-- The receipt issued for an application: its signed QR payload and its PDF (an attachment of
-- the application, by content hash). Issued again only when the number or the paper changes.
CREATE TABLE receipt (
    application_id TEXT NOT NULL PRIMARY KEY REFERENCES application (id),
    number         TEXT,
    paper          TEXT NOT NULL,
    payload        TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    issued_at      TEXT NOT NULL
) STRICT;
