-- Server schema for both backends (the PostgreSQL backend swaps the identity column; see storage/mod.rs).
CREATE TABLE office (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE app_user (
    id            TEXT PRIMARY KEY,
    office_code   TEXT NOT NULL REFERENCES office (code),
    username      TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL,
    roles         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE TABLE enrollment_code (
    code_hash   TEXT PRIMARY KEY,
    office_code TEXT NOT NULL REFERENCES office (code),
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE TABLE device (
    id               TEXT PRIMARY KEY,
    office_code      TEXT NOT NULL REFERENCES office (code),
    device_code      TEXT NOT NULL UNIQUE,
    token_hash       TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    app_version      TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    last_sync_at     TEXT,
    pending_reported BIGINT NOT NULL DEFAULT 0,
    revoked_at       TEXT
);
CREATE TABLE op_log (
    op_id       TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    result      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE TABLE application (
    id                  TEXT PRIMARY KEY,
    office_code         TEXT NOT NULL,
    kind                TEXT NOT NULL,
    service_code        TEXT NOT NULL,
    period              TEXT,
    status              TEXT NOT NULL,
    applicant_nik       TEXT,
    kk                  TEXT,
    registration_number TEXT,
    data                TEXT NOT NULL,
    version             BIGINT NOT NULL,
    updated_at          TEXT NOT NULL
);
-- The selective column first: with (programme, period, …) PostgreSQL's cached plans, made while
-- the table was small, used either index for both lookups and read every row of the programme.
CREATE INDEX application_dup_nik ON application (applicant_nik, service_code, period);
CREATE INDEX application_dup_kk ON application (kk, service_code, period);
CREATE TABLE aid_flag (
    application_id       TEXT NOT NULL,
    other_application_id TEXT NOT NULL,
    reason               TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    PRIMARY KEY (application_id, other_application_id)
);
CREATE TABLE conflict (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    data           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    resolved_at    TEXT
);
CREATE TABLE change_log (
    server_seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    office_code TEXT NOT NULL,
    kind        TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    data        TEXT NOT NULL,
    hlc         TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX change_log_office ON change_log (office_code, server_seq);
