-- Schema 13: an account may name the staff member it belongs to by NIP / NI PPPK (issue 18),
-- so that deactivating the staff record deactivates the account on the server too.
ALTER TABLE app_user ADD COLUMN nip TEXT;
CREATE INDEX app_user_nip ON app_user (office_code, nip);
