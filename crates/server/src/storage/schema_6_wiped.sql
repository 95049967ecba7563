-- Schema 6: when a revoked device reported that it deleted its key and its local data, after
-- pushing what the server still accepted from it (docs/SECURITY.md, "Revocation").
ALTER TABLE device ADD COLUMN wiped_at TEXT;
