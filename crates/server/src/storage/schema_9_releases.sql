-- Schema 9: the signed app releases IT publishes (issue 16), their per-platform artifacts
-- (content-addressed, kept in 1 MiB chunks so that a cut download resumes with a range), and
-- how far each rollout got per device.
CREATE TABLE app_release (
    version      TEXT PRIMARY KEY,
    notes        TEXT NOT NULL,
    state        TEXT NOT NULL,
    percent      BIGINT NOT NULL,
    regions      TEXT NOT NULL,
    published_at TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE app_artifact (
    version   TEXT NOT NULL,
    target    TEXT NOT NULL,
    sha256    TEXT NOT NULL,
    size      BIGINT NOT NULL,
    signature TEXT NOT NULL,
    file_name TEXT NOT NULL,
    PRIMARY KEY (version, target)
);
CREATE TABLE app_artifact_chunk (
    sha256       TEXT NOT NULL,
    offset_bytes BIGINT NOT NULL,
    data         BYTEA NOT NULL,
    PRIMARY KEY (sha256, offset_bytes)
);
CREATE TABLE rollout_event (
    version   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    event     TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (version, device_id, event)
);
