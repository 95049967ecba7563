-- Schema 3: users' signing keys. The current key of a user is on app_user with its wrapped
-- private key (for the office's laptops); every key ever registered stays in user_key, so that
-- an operation signed offline with a key since replaced still verifies. An enrollment code may
-- name the account a laptop's first local user is linked to.
ALTER TABLE app_user ADD COLUMN public_key TEXT NOT NULL DEFAULT '';
ALTER TABLE app_user ADD COLUMN wrapped_key TEXT NOT NULL DEFAULT '';
CREATE TABLE user_key (
    user_id    TEXT NOT NULL REFERENCES app_user (id),
    key_id     TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key_id)
);
ALTER TABLE enrollment_code ADD COLUMN user_id TEXT REFERENCES app_user (id);
