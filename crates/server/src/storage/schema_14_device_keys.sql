-- Schema 14: receipts signed by a device's key, which the province certifies (issue 18). The
-- province's own signing key is made on first use and kept here (only a device the server
-- enrolled gets a certificate; whoever holds this database could make one, as they could
-- enroll a device). A device registers one receipt key; its id finds the device again.
CREATE TABLE province_key (
    key_id     TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE device ADD COLUMN receipt_key TEXT;
ALTER TABLE device ADD COLUMN receipt_key_id TEXT;
CREATE UNIQUE INDEX device_receipt_key ON device (receipt_key_id);
