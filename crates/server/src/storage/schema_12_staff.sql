-- Schema 12: staff records as the server keeps them (issue 18), so that an update made on a
-- version the server has moved past is kept as a conflict instead of overwriting the one
-- before it. Records created before this schema are taken as their next update comes.
CREATE TABLE staff_record (
    id          TEXT PRIMARY KEY,
    office_code TEXT NOT NULL,
    version     BIGINT NOT NULL,
    fields      TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
