-- Schema 4: fewer B-trees written per save. A save's latency is mostly the WAL pages its commit
-- writes and syncs, one or more per B-tree it touches (BENCHMARKS.md, "pages per registration").
-- Rows are kept as they are; only their storage changes.

-- Never queried on the device (the server checks duplicate aid by KK and NIK).
DROP INDEX application_kk;
DROP INDEX household_member_nik;
-- Exact NIK search goes through the full-text index's `nik` column.
DROP INDEX application_nik;

-- Household members and workflow events are only ever read per application: clustered by it,
-- without a rowid and a separate key index.
CREATE TABLE household_member_v4 (
    application_id TEXT NOT NULL REFERENCES application (id),
    position       INTEGER NOT NULL,
    nik            TEXT NOT NULL CHECK (length(nik) = 16),
    full_name      TEXT NOT NULL,
    relationship   TEXT NOT NULL,
    PRIMARY KEY (application_id, position)
) STRICT, WITHOUT ROWID;
INSERT INTO household_member_v4 (application_id, position, nik, full_name, relationship)
    SELECT application_id, position, nik, full_name, relationship FROM household_member;
DROP TABLE household_member;
ALTER TABLE household_member_v4 RENAME TO household_member;

-- Append-only workflow events; an event id (UUIDv7) belongs to exactly one application.
CREATE TABLE workflow_event_v4 (
    id             TEXT NOT NULL,                   -- UUIDv7
    application_id TEXT NOT NULL REFERENCES application (id),
    action         TEXT NOT NULL,
    from_status    TEXT NOT NULL,
    to_status      TEXT NOT NULL,
    actor          TEXT NOT NULL,
    hlc            TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (application_id, id)
) STRICT, WITHOUT ROWID;
INSERT INTO workflow_event_v4 (id, application_id, action, from_status, to_status, actor, hlc, note)
    SELECT id, application_id, action, from_status, to_status, actor, hlc, note FROM workflow_event;
DROP TABLE workflow_event;
ALTER TABLE workflow_event_v4 RENAME TO workflow_event;

-- The outbox is addressed by its per-device sequence; the operation id (a fresh UUIDv7) needs no
-- index of its own on the device (the server's operation log is keyed by it).
CREATE TABLE outbox_v4 (
    seq          INTEGER PRIMARY KEY,
    op_id        TEXT NOT NULL,                     -- UUIDv7
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    payload      TEXT NOT NULL,                     -- JSON
    base_version INTEGER,
    hlc          TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'acked', 'rejected', 'quarantined')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
) STRICT;
INSERT INTO outbox_v4 SELECT seq, op_id, entity, entity_id, op, payload, base_version, hlc, state, attempts,
    last_error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (state, seq);

-- Counters join the settings: every save already rewrites the settings page (HLC, audit chain
-- head), so the registration and outbox sequences no longer cost a page of their own.
INSERT INTO setting (key, value) SELECT 'counter.' || name, CAST(value AS TEXT) FROM counter;
DROP TABLE counter;

-- The search index is brought up to date lazily (before each search, and when a pulled page is
-- applied) from this watermark: every application existing now is already indexed.
INSERT INTO setting (key, value)
    SELECT 'search.indexed_rowid', CAST(coalesce(max(rowid), 0) AS TEXT) FROM application;
