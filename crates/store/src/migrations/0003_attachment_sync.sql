-- Schema 3: attachment contents travel separately from their records.
-- `uploaded`: the server holds the complete content. `present`: the content is on this device
-- (attachments registered on another device are fetched on demand).
ALTER TABLE attachment ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1));
ALTER TABLE attachment ADD COLUMN present INTEGER NOT NULL DEFAULT 1 CHECK (present IN (0, 1));
