//! What the façade's unit tests share: an installation with its office set, inputs, and
//! users as the server publishes them.

use chrono::Utc;
use loket_protocol::{ChangeBody, UserRecord};

use crate::dto::BansosInput;
use crate::Loket;

pub(crate) fn configured() -> (tempfile::TempDir, Loket) {
    let dir = tempfile::tempdir().unwrap();
    let loket = Loket::open(dir.path()).unwrap();
    loket.set_office("36.01.01").unwrap();
    (dir, loket)
}

pub(crate) fn bansos(nik: &str) -> BansosInput {
    BansosInput {
        nik: nik.into(),
        full_name: "Ujang Suryana".into(),
        address: "Jl. Raya Sumur No. 5".into(),
        village_code: "36.01.01.2001".into(),
        kk: "3601011501100003".into(),
        monthly_income: 800_000,
        category_code: "lansia".into(),
        programme_code: "PKH".into(),
        ..Default::default()
    }
}

/// A user of the office as a pull delivers it.
pub(crate) fn synced_user(
    loket: &Loket,
    username: &str,
    roles: &[loket_domain::workflow::Role],
    password: &str,
) {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
    let hash = argon2::Argon2::default().hash_password(password.as_bytes(), &salt).unwrap().to_string();
    let user = UserRecord {
        id: username.into(),
        username: username.into(),
        full_name: "Kepala Seksi Kesos".into(),
        roles: roles.to_vec(),
        password_hash: hash,
        active: true,
    };
    let change = loket_store::RemoteChange::of(1, username, ChangeBody::User(user), "2026-11-28T00:00:00Z");
    loket.store().apply_remote(&[change], 1, Utc::now()).unwrap();
}
