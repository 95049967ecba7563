//! Staff records kept on two laptops of one office, in the real window: both update one ASN
//! record while the window is cut off; the later update to reach the server becomes a conflict
//! shown beside the record (not a silent overwrite), the supervisor settles it in the window and
//! the other laptop follows; a deactivation reaches the other laptop, and the member's login
//! account (linked to their NIP by IT) is deactivated on the server and on every laptop.

mod common;

use std::sync::{Arc, Mutex};

use anyhow::{ensure, Context, Result};
use chrono::Utc;
use loket_domain::staff::{validate_staff, StaffDraft};
use loket_domain::workflow::Role;
use loket_e2e::proxy::{FaultProxy, Mode};
use loket_e2e::{enroll, log_in, run_on_screen, ServerProcess};
use loket_server::storage::User;
use loket_store::{Actor, Store};
use loket_sync::worker::{sync_once, WorkerHandle};

const SUMUR: &str = "36.01.01";
const PASSWORD: &str = "rahasia-kasi-2026";
const NIP: &str = "198503152010011002";

#[tokio::test(flavor = "multi_thread")]
async fn two_offline_edits_of_one_staff_record_become_a_conflict_the_supervisor_settles() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("server.sqlite3");
    let storage = loket_server::open_storage(db.to_str().unwrap()).await?;
    loket_server::admin::add_office(storage.as_ref(), SUMUR).await?;
    let key = Arc::new(loket_keys::UserKey::generate());
    storage
        .create_user(
            &User {
                id: uuid::Uuid::now_v7().to_string(),
                office_code: SUMUR.into(),
                username: "kasi".into(),
                full_name: "Dedi Kurniawan".into(),
                roles: vec!["supervisor".into()],
                password_hash: loket_server::auth::hash_password(PASSWORD),
                active: true,
                public_key: key.public_key(),
                wrapped_key: key.wrap(PASSWORD),
                nip: None,
            },
            Utc::now(),
        )
        .await?;
    // The staff member's own login account, which IT said belongs to the NIP.
    let args = ["user", "add", "--office", SUMUR, "--username", "ahmad", "--full-name", "Ahmad Fauzi"];
    ServerProcess::admin_with_password(
        &db,
        &[&args[..], &["--roles", "clerk", "--nip", NIP]].concat(),
        "sandi-ahmad-2026",
    )?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", SUMUR])?.trim().to_string();
    let server = ServerProcess::start(&db)?;
    let upstream = server.url.trim_start_matches("http://").parse()?;
    let proxy = FaultProxy::start(upstream, 18).await?;
    // The other laptop of the office, with the supervisor's key.
    let other = common::laptop(storage.as_ref(), &server.url, SUMUR, &dir.path().join("other")).await;
    let actor = Actor::signing("kasi", &[Role::Supervisor], key.clone());
    let sync = async |store: &Arc<Mutex<Store>>| sync_once(store, &WorkerHandle::default(), "test").await;

    let name = "two_offline_edits_of_one_staff_record_become_a_conflict_the_supervisor_settles";
    run_on_screen(name, "1366x768", async |app| {
        enroll(app, &proxy.url(), &code).await?;
        log_in(app, "kasi", PASSWORD, "Dedi Kurniawan").await?;
        app.click("#tab-staff").await?;
        app.select("#staff-golongan", "III/d").await?;
        app.fill("#staff-number", NIP).await?;
        app.fill("#staff-name", "Ahmad Fauzi, S.Sos.").await?;
        app.fill("#staff-jabatan", "Kepala Seksi Pelayanan").await?;
        app.click("#staff-submit").await?;
        let row = format!("#staff-list tr[data-number=\"{NIP}\"]");
        app.find_text(&row, "Kepala Seksi Pelayanan").await?;
        app.find_text("#sync-pending", "0").await?;
        sync(&other).await?;
        let id = {
            let s = other.lock().unwrap();
            s.list_staff()?
                .into_iter()
                .find(|p| p.employee_number.as_deref() == Some(NIP))
                .context("pulled")?
                .id
        };

        // The window is cut off; both laptops change the jabatan of the same record.
        proxy.set_mode(Mode::Partitioned);
        app.click(&format!("{row} .staff-edit")).await?;
        app.fill("#staff-jabatan", "Kepala Seksi Pemerintahan").await?;
        app.click("#staff-submit").await?;
        app.find_text(&row, "Kepala Seksi Pemerintahan").await?;
        {
            let mut s = other.lock().unwrap();
            let p = s.staff(&id)?;
            let draft = StaffDraft {
                status: p.status.clone(),
                employee_number: p.employee_number.clone().unwrap_or_default(),
                full_name: p.full_name.clone(),
                golongan: p.golongan.clone().unwrap_or_default(),
                jabatan: "Sekretaris Kecamatan".into(),
                unit_code: p.unit_code.clone(),
                active: true,
            };
            let valid = validate_staff(&draft).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            s.update_staff(&id, p.version, &valid, &actor, Utc::now())?;
        }
        sync(&other).await?;

        // Back online: the window's update was made on a version the server had moved past.
        proxy.set_mode(Mode::Healthy);
        app.click("#sync-now").await?;
        let conflict = format!("tr.staff-conflict[data-staff=\"{NIP}\"]");
        app.find_text(&conflict, "Sekretaris Kecamatan").await?;
        app.find_text(&conflict, "Kepala Seksi Pemerintahan").await?;
        // Meanwhile the record shows the server's, and the other laptop holds the conflict too.
        app.find_text(&row, "Sekretaris Kecamatan").await?;
        sync(&other).await?;
        ensure!(other.lock().unwrap().staff_conflicts(Some(&id))?.len() == 1, "the other laptop sees it");

        // The supervisor keeps the window's change; both laptops end with it, settled.
        app.screenshot("1366x768-staff").await?;
        app.click(&format!("{conflict} .staff-keep-device")).await?;
        app.gone(&conflict).await?;
        app.find_text(&row, "Kepala Seksi Pemerintahan").await?;
        app.find_text("#sync-pending", "0").await?;
        sync(&other).await?;
        {
            let s = other.lock().unwrap();
            ensure!(s.staff(&id)?.jabatan == "Kepala Seksi Pemerintahan", "{:?}", s.staff(&id)?);
            ensure!(s.staff_conflicts(Some(&id))?.is_empty(), "settled on the other laptop too");
        }

        // Deactivated in the window: the other laptop has it inactive, and the member's login
        // account follows on the server and on the laptops.
        ensure!(other.lock().unwrap().office_user("ahmad")?.context("pulled")?.active, "an account before");
        app.click(&format!("{row} .staff-active")).await?;
        app.find_text(&row, "nonaktif").await?;
        app.find_text("#sync-pending", "0").await?;
        sync(&other).await?;
        ensure!(!other.lock().unwrap().staff(&id)?.active, "deactivated everywhere");
        let account = storage.user_by_username("ahmad").await?.context("the account")?;
        ensure!(!account.active, "the server's account follows the staff record");
        ensure!(!other.lock().unwrap().office_user("ahmad")?.context("pulled")?.active, "and the laptops'");
        Ok(())
    })
    .await
}
