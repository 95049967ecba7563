-- Which applications hold an attachment content: looked up by its hash alone (opening a scan
-- records the application it belongs to; a redaction keeps a scan another application holds).
-- Attachments are added rarely, so the index costs no save anything.
CREATE INDEX application_attachment_sha256 ON application_attachment (sha256);
