-- Schema 8: when an application's personal data was removed at the end of its retention period
-- (`loket-server retention run`, docs/RETENTION.md).
ALTER TABLE application ADD COLUMN redacted_at TEXT;
CREATE INDEX application_retention ON application (kind, status, updated_at);
