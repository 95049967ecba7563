//! What the façade's unit tests share: an installation with its office set, inputs, and
//! users as the server publishes them.

use chrono::Utc;
use loket_protocol::{ChangeBody, UserRecord};

use crate::dto::BansosInput;
use crate::Loket;

/// An installation of office 36.01.01 before enrollment, its first local user (a clerk,
/// `petugas`) logged in.
pub(crate) fn configured() -> (tempfile::TempDir, Loket) {
    let dir = tempfile::tempdir().unwrap();
    let loket = Loket::open(dir.path(), &crate::KeySource::Given(crate::StoreKey::generate())).unwrap();
    loket
        .create_first_user(crate::dto::FirstUserInput {
            username: "petugas".into(),
            full_name: "Petugas Loket".into(),
            password: FIRST_PASSWORD.into(),
        })
        .unwrap();
    loket.set_office("36.01.01").unwrap();
    (dir, loket)
}

/// The first local user's password in [`configured`].
pub(crate) const FIRST_PASSWORD: &str = "sandi-petugas-2026";

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

/// A permit of `service` with the `docs` of its checklist received.
pub(crate) fn permit(service: &str, docs: &[&str]) -> crate::dto::PermitInput {
    crate::dto::PermitInput {
        nik: "3601011205900001".into(),
        full_name: "Ujang Suryana".into(),
        address: "Jl. Raya Sumur No. 5".into(),
        village_code: "36.01.01.2001".into(),
        service_code: service.into(),
        purpose: "Keringanan biaya sekolah".into(),
        location: "Kp. Sumur RT 01/02".into(),
        land_area_m2: 120,
        building_area_m2: 60,
        building_use: "Rumah tinggal".into(),
        documents_received: docs.iter().map(|d| d.to_string()).collect(),
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
    let key = loket_keys::UserKey::generate();
    let user = UserRecord {
        id: username.into(),
        username: username.into(),
        full_name: "Kepala Seksi Kesos".into(),
        roles: roles.to_vec(),
        public_key: key.public_key(),
        wrapped_key: key.wrap(password),
        active: true,
    };
    let change = loket_store::RemoteChange::of(1, username, ChangeBody::User(user), "2026-11-28T00:00:00Z");
    loket.store().apply_remote(&[change], 1, Utc::now()).unwrap();
}
