-- Schema 5: CHECK constraints without `IN (...)` lists of three or more values.
-- SQLite evaluates `CHECK (x IN ('a', 'b', 'c'))` by building a temporary B-tree of the list for
-- every row it writes (EXPLAIN shows an OpenEphemeral per statement); an OR of equalities is a
-- few comparisons. The two tables written on every save, pulled registration and push
-- settlement are rebuilt with the same rows; rowids are kept (the search index refers to
-- applications by rowid). Foreign keys are checked after the rebuild (migrate.rs).

CREATE TABLE application_v5 (
    id                  TEXT PRIMARY KEY,           -- UUIDv7
    registration_number TEXT UNIQUE,                -- assigned on submit; NULL while draft
    kind                TEXT NOT NULL CHECK (kind = 'permit' OR kind = 'bansos' OR kind = 'hibah'),
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
INSERT INTO application_v5 (rowid, id, registration_number, kind, service_code, period, status, applicant_nik,
    applicant_name, applicant_address, applicant_phone, organization_name, kk, village_code, office_code, details,
    fee, created_at, created_hlc, updated_hlc, version)
    SELECT rowid, id, registration_number, kind, service_code, period, status, applicant_nik, applicant_name,
        applicant_address, applicant_phone, organization_name, kk, village_code, office_code, details, fee,
        created_at, created_hlc, updated_hlc, version
    FROM application;
DROP TABLE application;
ALTER TABLE application_v5 RENAME TO application;

CREATE TABLE outbox_v5 (
    seq          INTEGER PRIMARY KEY,
    op_id        TEXT NOT NULL,                     -- UUIDv7
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    payload      TEXT NOT NULL,                     -- JSON
    base_version INTEGER,
    hlc          TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state = 'pending' OR state = 'acked' OR state = 'rejected' OR state = 'quarantined'),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
) STRICT;
INSERT INTO outbox_v5 SELECT seq, op_id, entity, entity_id, op, payload, base_version, hlc, state, attempts,
    last_error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (state, seq);
