-- Schema 7: who looked at personal data (UU 27/2022): application details viewed, attachments
-- opened, searches by NIK or KK, exports, as the devices recorded them. A searched number is
-- kept only as a keyed hash (HMAC-SHA256 under `server_meta.audit_key`); the device that sent a
-- record is the one that pushed its operation (`op_log`).
CREATE TABLE access_log (
    op_id          TEXT PRIMARY KEY,
    office_code    TEXT NOT NULL,
    username       TEXT NOT NULL,
    action         TEXT NOT NULL,
    application_id TEXT,
    attachment     TEXT,
    subject_hash   TEXT,
    hlc            TEXT NOT NULL,
    received_at    TEXT NOT NULL
);
CREATE INDEX access_log_subject ON access_log (subject_hash);
CREATE INDEX access_log_application ON access_log (application_id);
