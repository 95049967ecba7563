-- Schema 1: settings, counters and bansos applications.

CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Monotonic per-device counters (registration sequence, ...). Never decremented.
CREATE TABLE counter (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

CREATE TABLE aid_application (
    id                  TEXT PRIMARY KEY,        -- UUIDv7
    registration_number TEXT NOT NULL UNIQUE,
    kind                TEXT NOT NULL CHECK (kind IN ('bansos')),
    nik                 TEXT NOT NULL CHECK (length(nik) = 16),
    full_name           TEXT NOT NULL,
    address             TEXT NOT NULL,
    village_code        TEXT NOT NULL,
    programme_code      TEXT NOT NULL,
    status              TEXT NOT NULL,
    created_at          TEXT NOT NULL,           -- RFC 3339, UTC, device clock (informative)
    version             INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE INDEX aid_application_created ON aid_application (created_at DESC);
