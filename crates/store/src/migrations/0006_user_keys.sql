-- Schema 6: proof of who took each operation.
-- A laptop keeps each office user's public key and private key wrapped by their password
-- (offline login unwraps it), never a password hash the server accepts: hashes synced before
-- are wiped. A user created on this laptop before enrollment is marked local until the server
-- publishes the account it was linked to.
ALTER TABLE office_user ADD COLUMN public_key TEXT NOT NULL DEFAULT '';
ALTER TABLE office_user ADD COLUMN wrapped_key TEXT NOT NULL DEFAULT '';
ALTER TABLE office_user ADD COLUMN local INTEGER NOT NULL DEFAULT 0;
UPDATE office_user SET password_hash = '';
-- Who took each operation, with which key, and the signature over it (protocol `Signed`).
ALTER TABLE outbox ADD COLUMN actor TEXT;
ALTER TABLE outbox ADD COLUMN key_id TEXT;
ALTER TABLE outbox ADD COLUMN signature TEXT;
