-- Schema 2: attachment contents, uploaded by devices in chunks (resumable), content-addressed
-- per office. A blob is complete only when every byte arrived and its SHA-256 matched.
CREATE TABLE blob (
    office_code TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    received    BIGINT NOT NULL,
    complete    BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (office_code, sha256)
);
CREATE TABLE blob_chunk (
    office_code  TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    offset_bytes BIGINT NOT NULL,
    data         BYTEA NOT NULL,
    PRIMARY KEY (office_code, sha256, offset_bytes)
);
