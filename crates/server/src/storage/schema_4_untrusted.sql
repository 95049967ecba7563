-- Schema 4: the server trusts nothing a device sends.
-- A registration number is used by one application only. The rules refuse a second use by
-- name (`registration_number.taken`); the unique index also keeps two concurrent pushes from
-- both using one, and tells the planner a lookup finds at most one row (drafts have none).
CREATE UNIQUE INDEX application_registration_number ON application (registration_number);
-- An attachment's content is accepted only after an attach operation the server accepted
-- announced it (its row is made then, with the declared size and media type; rows of uploads
-- started before schema 4 have no type).
ALTER TABLE blob ADD COLUMN media_type TEXT;
-- Refused operations, counted per device and refusal code, for IT (`device list`).
CREATE TABLE device_refusal (
    device_id TEXT NOT NULL REFERENCES device (id),
    code      TEXT NOT NULL,
    count     BIGINT NOT NULL,
    last_at   TEXT NOT NULL,
    PRIMARY KEY (device_id, code)
);
