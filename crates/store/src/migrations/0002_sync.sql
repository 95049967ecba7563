-- Schema 2: what the background sync brings back from the provincial server.

-- Duplicate-aid flags: the same NIK or KK has an active application in the same programme and
-- period in another kecamatan. Shown on the application before a supervisor decides.
CREATE TABLE aid_flag (
    application_id            TEXT NOT NULL,
    other_application_id      TEXT NOT NULL,
    other_office_code         TEXT NOT NULL,
    other_registration_number TEXT,
    reason                    TEXT NOT NULL,      -- 'nik' or 'kk'
    server_seq                INTEGER NOT NULL,
    PRIMARY KEY (application_id, other_application_id)
) STRICT;

-- Conflicts the server kept (concurrent edits of a field, competing decisions): both values
-- stay here until a supervisor resolves them. Keyed by the server's change number.
CREATE TABLE sync_conflict (
    server_seq     INTEGER PRIMARY KEY,
    application_id TEXT NOT NULL,
    op_id          TEXT,
    data           TEXT NOT NULL,                 -- JSON, as published by the server
    received_at    TEXT NOT NULL,
    resolved       INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1))
) STRICT;
CREATE INDEX sync_conflict_application ON sync_conflict (application_id);

-- The office's users as published by the server (password hashes for offline login).
CREATE TABLE office_user (
    username      TEXT PRIMARY KEY,
    id            TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    roles         TEXT NOT NULL,                  -- comma-separated role names
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL CHECK (active IN (0, 1))
) STRICT;
