-- Schema 1. Migrations are add-only: never edit this file once released; append 0002_… instead.

-- Installation settings: office, device code, HLC high-water mark, audit chain head.
CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Monotonic per-device counters (registration sequence, outbox sequence). Never decremented.
CREATE TABLE counter (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

-- Every application, permit or aid: one registration number space, one workflow, one search.
-- Kind-specific fields live in `details` (JSON); what is searched or filtered on is a column.
CREATE TABLE application (
    id                  TEXT PRIMARY KEY,           -- UUIDv7
    registration_number TEXT UNIQUE,                -- assigned on submit; NULL while draft
    kind                TEXT NOT NULL CHECK (kind IN ('permit', 'bansos', 'hibah')),
    service_code        TEXT NOT NULL,              -- permit service or aid programme
    period              TEXT,                       -- aid programme period
    status              TEXT NOT NULL,
    applicant_nik       TEXT CHECK (applicant_nik IS NULL OR length(applicant_nik) = 16),
    applicant_name      TEXT NOT NULL,              -- the person, or for hibah the chair
    applicant_address   TEXT NOT NULL,
    applicant_phone     TEXT,
    organization_name   TEXT,                       -- hibah only
    kk                  TEXT,                       -- bansos only
    village_code        TEXT NOT NULL,
    office_code         TEXT NOT NULL,              -- kecamatan of the registering office
    details             TEXT NOT NULL,              -- JSON
    fee                 INTEGER NOT NULL DEFAULT 0, -- rupiah
    created_at          TEXT NOT NULL,              -- RFC 3339 UTC, device clock (informative)
    created_hlc         TEXT NOT NULL,
    updated_hlc         TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1  -- bumped by every edit or transition
) STRICT;

CREATE INDEX application_nik ON application (applicant_nik);
CREATE INDEX application_kk ON application (kk);

-- Documents checklist of a permit application.
CREATE TABLE application_document (
    application_id TEXT NOT NULL REFERENCES application (id),
    code           TEXT NOT NULL,
    name           TEXT NOT NULL,
    received       INTEGER NOT NULL CHECK (received IN (0, 1)),
    PRIMARY KEY (application_id, code)
) STRICT;

-- Household members on a bansos application.
CREATE TABLE household_member (
    application_id TEXT NOT NULL REFERENCES application (id),
    position       INTEGER NOT NULL,
    nik            TEXT NOT NULL CHECK (length(nik) = 16),
    full_name      TEXT NOT NULL,
    relationship   TEXT NOT NULL,
    PRIMARY KEY (application_id, position)
) STRICT;
CREATE INDEX household_member_nik ON household_member (nik);

-- Workflow events: append-only. The application's status is the `to_status` of its last event.
CREATE TABLE workflow_event (
    id             TEXT PRIMARY KEY,                -- UUIDv7
    application_id TEXT NOT NULL REFERENCES application (id),
    action         TEXT NOT NULL,
    from_status    TEXT NOT NULL,
    to_status      TEXT NOT NULL,
    actor          TEXT NOT NULL,
    hlc            TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX workflow_event_application ON workflow_event (application_id, hlc);

-- Staff (ASN records) and the user accounts they drive.
CREATE TABLE staff (
    id              TEXT PRIMARY KEY,
    status          TEXT NOT NULL CHECK (status IN ('pns', 'pppk', 'non_asn')),
    employee_number TEXT UNIQUE,
    full_name       TEXT NOT NULL,
    golongan        TEXT,
    jabatan         TEXT NOT NULL,
    unit_code       TEXT NOT NULL,
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    updated_hlc     TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE user_account (
    id            TEXT PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff (id),
    username      TEXT NOT NULL UNIQUE,
    roles         TEXT NOT NULL,                    -- comma-separated role names
    password_hash TEXT,                             -- argon2id PHC string, synced from the server
    active        INTEGER NOT NULL CHECK (active IN (0, 1)),
    updated_hlc   TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Holiday calendar for service-time standards.
CREATE TABLE holiday (
    day  TEXT PRIMARY KEY,                          -- YYYY-MM-DD
    name TEXT NOT NULL
) STRICT;

-- Attachments: content-addressed files under <data dir>/attachments/, metadata here.
CREATE TABLE attachment (
    sha256     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    media_type TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE application_attachment (
    application_id TEXT NOT NULL REFERENCES application (id),
    sha256         TEXT NOT NULL REFERENCES attachment (sha256),
    document_code  TEXT NOT NULL DEFAULT '',
    file_name      TEXT NOT NULL,
    added_hlc      TEXT NOT NULL,
    PRIMARY KEY (application_id, sha256)
) STRICT;

-- Audit log: hash-chained, append-only. `hash` = SHA-256 over `prev_hash` and the entry.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    hlc       TEXT NOT NULL,
    actor     TEXT NOT NULL,
    device    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action    TEXT NOT NULL,
    change    TEXT NOT NULL,                        -- JSON
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

-- Outbox: operations waiting to be pushed to the provincial server.
-- `seq` is the per-device sequence; (device, seq) and op_id both make a re-send idempotent.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY,
    op_id        TEXT NOT NULL UNIQUE,              -- UUIDv7
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    payload      TEXT NOT NULL,                     -- JSON
    base_version INTEGER,                           -- for edits: the version the edit was made on
    hlc          TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'acked', 'rejected', 'quarantined')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox (state, seq);

-- Full-text search over applications; rowid = application.rowid. Contentless (the text is in
-- `application`): fewer pages written per registration.
CREATE VIRTUAL TABLE application_search USING fts5 (
    registration_number, nik, name, organization_name,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
