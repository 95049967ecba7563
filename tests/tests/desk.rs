//! The supervisor's desk in the real window, on a 1366×768 screen: the queue shows what waits
//! for the supervisor's decision with the overdue permit first, filters by service, starts the
//! review of all of them at once, and approves, rejects (with its reason) and returns one
//! each; the decisions reach the server. The detail shows the timeline and a duplicate-aid flag
//! from another kecamatan.

mod common;

use std::sync::{Arc, Mutex};

use anyhow::{ensure, Result};
use chrono::{DateTime, Duration, Utc};
use loket_domain::aid::{validate_bansos, BansosDraft};
use loket_domain::applicant::ApplicantDraft;
use loket_domain::permit::{validate_permit, PermitDetails, PermitDraft};
use loket_domain::workflow::Role;
use loket_e2e::{enroll, log_in, on_server, run_on_screen, ServerProcess, VILLAGE};
use loket_server::storage::User;
use loket_store::{Actor, Store};
use loket_sync::worker::{sync_once, WorkerHandle};

const SUMUR: &str = "36.01.01";
const OTHER: &str = "36.01.02";
const PASSWORD: &str = "rahasia-kasi-2026";
const TWICE: &str = "3601011205900009";

fn applicant(name: &str, nik: &str, village: &str) -> ApplicantDraft {
    ApplicantDraft {
        nik: nik.into(),
        full_name: name.into(),
        address: "Kp. Cibadak RT 03/01".into(),
        village_code: village.into(),
        phone: String::new(),
    }
}

fn sktm(store: &mut Store, actor: &Actor, name: &str, at: DateTime<Utc>) -> Result<String> {
    let valid = validate_permit(&PermitDraft {
        applicant: applicant(name, "3601011205900001", VILLAGE),
        service_code: "SKTM".into(),
        details: PermitDetails::Certificate { purpose: "Keringanan biaya sekolah".into() },
        documents_received: ["ktp", "kk", "pengantar_rt", "pengantar_desa"].map(String::from).to_vec(),
    })
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(store.register_permit(&valid, true, actor, at)?.registration_number.unwrap_or_default())
}

fn bansos(store: &mut Store, actor: &Actor, village: &str) -> Result<String> {
    let valid = validate_bansos(&BansosDraft {
        applicant: applicant("Ahmad Hidayat", TWICE, village),
        kk: "3601011501100003".into(),
        household: vec![],
        monthly_income: 500_000,
        category_code: "miskin".into(),
        programme_code: "PKH".into(),
    })
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(store.register_bansos(&valid, actor, Utc::now())?.registration_number.unwrap_or_default())
}

async fn user(
    storage: &dyn loket_server::storage::Storage,
    office: &str,
    username: &str,
    roles: &[&str],
    key: &loket_keys::UserKey,
) {
    storage
        .create_user(
            &User {
                id: uuid::Uuid::now_v7().to_string(),
                office_code: office.into(),
                username: username.into(),
                full_name: "Dedi Kurniawan".into(),
                roles: roles.iter().map(|r| r.to_string()).collect(),
                password_hash: loket_server::auth::hash_password(PASSWORD),
                active: true,
                public_key: key.public_key(),
                wrapped_key: key.wrap(PASSWORD),
                nip: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_works_the_queue_overdue_first() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("server.sqlite3");
    let storage = loket_server::open_storage(db.to_str().unwrap()).await?;
    let key = || Arc::new(loket_keys::UserKey::generate());
    let (kasi, clerk, other) = (key(), key(), key());
    for office in [SUMUR, OTHER] {
        loket_server::admin::add_office(storage.as_ref(), office).await?;
    }
    // The supervisor decides; the counter's clerk registered (decided ones then wait for the
    // clerk, not for the supervisor).
    user(storage.as_ref(), SUMUR, "kasi", &["supervisor"], &kasi).await;
    user(storage.as_ref(), SUMUR, "petugas", &["clerk"], &clerk).await;
    user(storage.as_ref(), OTHER, "petugas2", &["clerk"], &other).await;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", SUMUR])?.trim().to_string();
    let server = ServerProcess::start(&db)?;

    // The office's counter laptop registered an SKTM three weeks ago (never decided: overdue),
    // one today, and a bansos; a counter in another kecamatan registered the same person.
    let counter = common::laptop(storage.as_ref(), &server.url, SUMUR, &dir.path().join("counter")).await;
    let far = common::laptop(storage.as_ref(), &server.url, OTHER, &dir.path().join("far")).await;
    let roles = [Role::Clerk];
    let (overdue, fresh, aid) = {
        let mut s = counter.lock().unwrap();
        let actor = Actor::signing("petugas", &roles, clerk.clone());
        (
            sktm(&mut s, &actor, "Budi Lama", Utc::now() - Duration::days(21))?,
            sktm(&mut s, &actor, "Citra Baru", Utc::now())?,
            bansos(&mut s, &actor, VILLAGE)?,
        )
    };
    {
        let mut s = far.lock().unwrap();
        let village = loket_domain::region::catalogue().villages_of(OTHER).next().map(|v| v.code.to_string());
        bansos(&mut s, &Actor::signing("petugas2", &roles, other.clone()), &village.unwrap_or_default())?;
    }
    let sync = async |store: &Arc<Mutex<Store>>| sync_once(store, &WorkerHandle::default(), "test").await;
    sync(&counter).await?;
    sync(&far).await?;

    run_on_screen("a_supervisor_works_the_queue_overdue_first", "1366x768", async |app| {
        enroll(app, &server.url, &code).await?;
        app.find("#login-username").await?;
        app.screenshot("1366x768-login").await?;
        log_in(app, "kasi", PASSWORD, "Dedi Kurniawan").await?;
        app.click("#view-queue").await?;
        app.find_text("#queue-summary", "3 menunggu keputusan Anda, 1 terlambat").await?;
        // Overdue first, then by due date; aid (no service-time standard) after.
        let order = app
            .client()
            .execute(
                "return [...document.querySelectorAll('#applications tbody tr')].map(r => r.dataset.registration);",
                vec![],
            )
            .await?;
        ensure!(order == serde_json::json!([overdue, fresh, aid]), "queue order {order}");
        app.find_text(&format!("tr[data-registration=\"{overdue}\"] .sla"), "Terlambat").await?;

        // Filtered by service: only the bansos.
        app.select("#queue-service", "PKH").await?;
        app.find_text("#queue-summary", "1 menunggu").await?;
        app.select("#queue-service", "").await?;
        app.find_text("#queue-summary", "3 menunggu").await?;

        // The review of all three starts at once.
        for n in [&overdue, &fresh, &aid] {
            app.click(&format!("tr[data-registration=\"{n}\"] .select-row")).await?;
        }
        app.click("#bulk button[data-bulk='start_review']").await?;
        app.find_text("#bulk-result", "3 berhasil").await?;
        app.screenshot("1366x768-queue").await?;

        // Approve the overdue permit; reject the other with its reason; return the bansos.
        let row = |n: &str, action: &str| format!("tr[data-registration=\"{n}\"] button[data-action='{action}']");
        app.click(&row(&overdue, "approve")).await?;
        app.gone(&format!("tr[data-registration=\"{overdue}\"]")).await?;
        app.click(&row(&fresh, "reject")).await?;
        app.find_text("#action-error", "Alasan wajib").await?;
        app.fill("#decision-note", "Surat pengantar RT bukan untuk keperluan ini").await?;
        app.click(&row(&fresh, "reject")).await?;
        app.gone(&format!("tr[data-registration=\"{fresh}\"]")).await?;

        // The bansos carries a duplicate-aid flag: the detail shows it beside the timeline.
        app.click(&format!("tr[data-registration=\"{aid}\"] .open-detail")).await?;
        app.find_text("#detail-flags", "NIK sama dengan permohonan di").await?;
        app.find_text("#detail-timeline li[data-kind='step']", "Mulai periksa").await?;
        app.screenshot("1366x768-detail-timeline-flag").await?;
        app.fill("#decision-note", "KK belum diperbarui setelah pindah").await?;
        app.click(&row(&aid, "return")).await?;
        app.find_text("#empty-list", "Tidak ada yang menunggu").await?;

        for (n, status) in [(&overdue, "approved"), (&fresh, "rejected"), (&aid, "returned")] {
            on_server(&server, n, |a| a.status == status).await?;
        }
        Ok(())
    })
    .await
}
