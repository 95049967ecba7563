-- Staff records updated on two laptops offline (protocol 9): the later update to reach the
-- server is kept there as a conflict, and here for a supervisor to settle.
CREATE TABLE staff_conflict (
    server_seq  INTEGER PRIMARY KEY,
    staff_id    TEXT NOT NULL,
    op_id       TEXT NOT NULL,
    data        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    resolved    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX staff_conflict_open ON staff_conflict (staff_id) WHERE resolved = 0;
