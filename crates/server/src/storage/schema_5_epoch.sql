-- Schema 5: the server's data generation ("epoch"). A new one is set each time the server is
-- restored from a backup; devices that see it change send again what the restored server may
-- have lost and pull again from the start (docs/OPERATIONS.md).
CREATE TABLE server_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
