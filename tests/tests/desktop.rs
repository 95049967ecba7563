//! The real desktop window, driven over WebDriver under a private Xvfb display.

use anyhow::{ensure, Result};
use loket_e2e::{run, App};

const OFFICE: &str = "36.01.01"; // Kecamatan Sumur, Kabupaten Pandeglang
use loket_e2e::VILLAGE; // Desa Sumberjaya

/// Before enrollment: the laptop's first user, then its office.
async fn configure_office(app: &App) -> Result<()> {
    loket_e2e::first_user(app, "petugas", "Siti Petugas", "sandi-laptop-2026").await?;
    app.select("#office-kecamatan", OFFICE).await?;
    app.click("#office-save").await?;
    app.find_text("#office-name", "Sumur").await?;
    Ok(())
}

use loket_e2e::{enroll, fill_bansos, log_in, on_server, register_bansos, ServerProcess};

#[tokio::test(flavor = "multi_thread")]
async fn window_opens_on_first_run_setup() -> Result<()> {
    run("window_opens_on_first_run_setup", async |app| {
        let title = app.client().title().await?;
        ensure!(title == "Loket", "window title {title:?}");
        // A laptop that is not enrolled starts with its first user, or enrolls.
        app.find_text("h2", "Pengguna pertama").await?;
        app.find("#enroll-submit").await?;
        loket_e2e::submit_first_user(app, "petugas", "Siti Petugas", "pendek").await?;
        app.find_text("#first-user-error", "10 karakter").await?;
        app.screenshot("first-run").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn registered_application_survives_restart() -> Result<()> {
    run("registered_application_survives_restart", async |app| {
        configure_office(app).await?;
        fill_bansos(app, "3601 0152 0590 0007", "Siti Aminah").await?;
        app.click("#submit").await?;
        let number = app.find("#receipt-number").await?.text().await?;
        ensure!(
            number.starts_with("360101-") && number.ends_with("-000001"),
            "registration number {number:?}"
        );
        app.screenshot("receipt").await?;
        app.click("#receipt-close").await?;
        app.find_text(&format!("tr[data-registration=\"{number}\"]"), "Siti Aminah").await?;

        app.restart().await?;

        // The office and the application are still there after a restart (and a login: a
        // restarted app holds no one's key).
        app.find_text("#office-name", "Sumur").await?;
        log_in(app, "petugas", "sandi-laptop-2026", "Siti Petugas").await?;
        let row = app.find_text(&format!("tr[data-registration=\"{number}\"]"), "Siti Aminah").await?;
        let text = row.text().await?;
        ensure!(text.contains("3601 **** **** 0007"), "the list shows the NIK masked: {text:?}");
        ensure!(text.contains("Sumberjaya"), "row {text:?}");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_nik_is_refused_and_nothing_stored() -> Result<()> {
    run("invalid_nik_is_refused_and_nothing_stored", async |app| {
        configure_office(app).await?;
        // Serial 0000 is never issued.
        fill_bansos(app, "3601011205900000", "Budi Santoso").await?;
        app.click("#submit").await?;
        let msg = app.find("#nik-error").await?.text().await?;
        ensure!(msg.contains("tidak boleh 0000"), "message {msg:?}");
        app.find("#empty-list").await?;
        // A 15-digit NIK gets its own message.
        app.fill("#nik", "360101120590001").await?;
        app.click("#submit").await?;
        app.find_text("#nik-error", "harus 16 digit").await?;

        app.quit().await?;
        let store = app.open_store()?;
        ensure!(store.count_applications()? == 0, "an application was stored");
        ensure!(store.outbox_len()? == 0 && store.audit_len()? == 0, "an operation was recorded");
        Ok(())
    })
    .await
}

/// Ahmad Hidayat's bansos, with his daughter Aisyah in the household, from the form.
async fn register_ahmad_with_aisyah(app: &App) -> Result<()> {
    fill_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
    app.click("#add-member").await?;
    app.fill(".member input[aria-label='NIK anggota']", "3601015508150002").await?;
    app.fill(".member input[aria-label='Nama anggota']", "Aisyah").await?;
    app.select(".member select", "Anak").await?;
    app.click("#submit").await?;
    app.click("#receipt-close").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn household_members_and_search() -> Result<()> {
    run("household_members_and_search", async |app| {
        configure_office(app).await?;
        register_ahmad_with_aisyah(app).await?;

        fill_bansos(app, "3601014107880004", "Dewi Lestari").await?;
        app.click("#submit").await?;
        app.click("#receipt-close").await?;
        app.find_text("#application-count", "2").await?;

        app.fill("#search", "lestari").await?;
        app.find_text("#application-count", "1").await?;
        app.find_text("#applications tbody tr", "Dewi Lestari").await?;
        app.fill("#search", "3601 0112").await?;
        app.find_text("#applications tbody tr", "Ahmad Hidayat").await?;
        app.find_text("#application-count", "1").await?;
        app.fill("#search", "tidakada").await?;
        app.find_text("#empty-list", "Tidak ada permohonan yang cocok").await?;

        app.quit().await?;
        let store = app.open_store()?;
        let ahmad = store.search_applications("ahmad", 10)?;
        ensure!(ahmad.len() == 1, "ahmad: {}", ahmad.len());
        let members = store.household(&ahmad[0].id)?;
        ensure!(members.len() == 1 && members[0].full_name == "Aisyah", "members {members:?}");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn enrollment_with_the_server_and_revocation() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = sumur_server_with_clerk(dir.path(), "ani", "Ani Suryani", "sandi-ani-2026")?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"])?.trim().to_string();
    // Over HTTPS, the laptop trusting the province's CA from its data directory.
    let pki = loket_e2e::pki::make(&dir.path().join("pki"), "CA Provinsi Banten (uji)")?;
    let server = ServerProcess::start_https(&db, &pki.cert, &pki.key)?;
    let ca = vec![(loket_app::CA_FILE_NAME, std::fs::read(&pki.ca)?)];
    loket_e2e::run_with_files("enrollment_with_the_server_and_revocation", &ca, async |app| {
        // Plain http:// to another machine is refused before anything is sent.
        enroll(app, "http://10.20.30.40:8080", &code).await?;
        app.find_text("#enroll-error", "https://").await?;
        enroll(app, &server.url, "AAAA-BBBB-CCCC").await?;
        app.find_text("#enroll-error", "tidak dikenal").await?;

        app.fill("#enroll-code", &code.to_lowercase()).await?;
        app.click("#enroll-submit").await?;
        app.find_text("#office-name", "Sumur").await?;
        let device_code = app.find("#device-code").await?.text().await?;
        app.find_text("#connection-status", "Terhubung").await?;
        let list = ServerProcess::admin(server.db(), &["device", "list"])?;
        let line =
            list.lines().find(|l| l.contains(&format!(" {device_code} "))).unwrap_or_default().to_string();
        ensure!(!line.is_empty(), "device {device_code} not in the server's list:\n{list}");
        let device_id = line.split_whitespace().next().unwrap_or_default().to_string();
        // The office's users came with the first sync: Ani logs in.
        log_in(app, "ani", "sandi-ani-2026", "Ani Suryani").await?;

        // Registration numbers now carry the server-assigned device code.
        fill_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        app.click("#submit").await?;
        let number = app.find("#receipt-number").await?.text().await?;
        ensure!(number.starts_with(&format!("360101-{device_code}-")), "number {number}");
        app.click("#receipt-close").await?;

        // The background sync sends it to the server by itself.
        app.find_text("#sync-message", "Semua data sudah tersinkron").await?;
        app.find_text("#sync-pending", "0").await?;
        on_server(&server, &number, |_| true).await?;

        ServerProcess::admin(server.db(), &["device", "revoke", &device_id])?;
        app.click("#check-connection").await?;
        app.find_text("#connection-status", "dicabut").await?;
        Ok(())
    })
    .await
}

/// IT revokes a laptop while it holds work the server has not seen: the laptop hands that work
/// over (the server still accepts it), then deletes its key and its data, says so in the window,
/// and the server's `device list` shows the wipe.
#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_laptop_hands_over_its_work_then_deletes_its_data() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = sumur_server_with_clerk(dir.path(), "ani", "Ani Suryani", "sandi-ani-2026")?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"])?.trim().to_string();
    let server = ServerProcess::start(&db)?;
    run("a_revoked_laptop_hands_over_its_work_then_deletes_its_data", async |app| {
        enroll(app, &server.url, &code).await?;
        let device_code = app.find("#device-code").await?.text().await?;
        app.find_text("#connection-status", "Terhubung").await?;
        let list = ServerProcess::admin(server.db(), &["device", "list"])?;
        let device_id = list
            .lines()
            .find(|l| l.contains(&format!(" {device_code} ")))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_default()
            .to_string();
        log_in(app, "ani", "sandi-ani-2026", "Ani Suryani").await?;
        let synced = register_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        on_server(&server, &synced, |_| true).await?;

        // The server stops answering; the laptop registers one more application (its push
        // waits), and meanwhile IT revokes the laptop.
        let pid = server.pid().to_string();
        ensure!(std::process::Command::new("kill").args(["-STOP", &pid]).status()?.success());
        let unsynced = register_bansos(app, "3601011205900002", "Siti Rahmawati").await;
        let revoked = ServerProcess::admin(server.db(), &["device", "revoke", &device_id]);
        ensure!(std::process::Command::new("kill").args(["-CONT", &pid]).status()?.success());
        let (unsynced, _) = (unsynced?, revoked?);

        // The server still takes that work; the laptop then deletes everything it holds.
        app.find_text("#device-wiped", "dihapus").await?;
        on_server(&server, &unsynced, |_| true).await?;
        wait_for_device_status(&server, &device_id, "wiped").await?;
        ensure!(!app.key_file().exists(), "the store key is deleted");
        let data = app.data_dir().to_path_buf();
        ensure!(!data.join(loket_store::DB_FILE).exists(), "the database is deleted");
        ensure!(!data.join(loket_store::ATTACHMENTS_DIR).exists(), "the attachments are deleted");
        for nik in ["3601011205900001", "3601011205900002"] {
            let found = loket_e2e::files_containing(&data, nik.as_bytes())?;
            ensure!(found.is_empty(), "{nik} left in {found:?}");
        }
        Ok(())
    })
    .await
}

/// A supervisor searches a citizen's NIK and opens their application; IT then asks the server
/// who looked at that NIK and sees both looks, with the user, the device and the time — and
/// the server keeps the searched number only as a keyed hash.
#[tokio::test(flavor = "multi_thread")]
async fn a_supervisors_looks_at_a_citizens_data_are_on_record_for_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = sumur_server_with_clerk(dir.path(), "ani", "Ani Suryani", "sandi-ani-2026")?;
    add_user(&db, "36.01.01", "kasi.kesos", "Dedi Kurniawan", "supervisor", "rahasia-kasi-2026")?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"])?.trim().to_string();
    let server = ServerProcess::start(&db)?;
    let nik = "3601011205900001";
    run("a_supervisors_looks_at_a_citizens_data_are_on_record_for_it", async |app| {
        enroll(app, &server.url, &code).await?;
        let device_code = app.find("#device-code").await?.text().await?;
        log_in(app, "ani", "sandi-ani-2026", "Ani Suryani").await?;
        let number = register_bansos(app, nik, "Ahmad Hidayat").await?;
        // Lists show the NIK masked.
        app.find_text("#applications tbody tr", "3601 **** **** 0001").await?;
        app.click("#logout").await?;

        log_in(app, "kasi.kesos", "rahasia-kasi-2026", "Dedi Kurniawan").await?;
        app.fill("#search", nik).await?;
        app.find_text("#application-count", "1").await?;
        app.click("#applications tbody tr .open-detail").await?;
        app.find_text("#detail-nik", "3601 0112 0590 0001").await?;
        on_server(&server, &number, |_| true).await?;
        app.find_text("#sync-message", "Semua data sudah tersinkron").await?;

        let audit = ServerProcess::admin(server.db(), &["audit", "--nik", "3601.0112.0590.0001"])?;
        let looks: Vec<&str> = audit.lines().filter(|l| l.contains("kasi.kesos")).collect();
        ensure!(looks.len() == 2, "two looks by the supervisor:\n{audit}");
        ensure!(looks[0].contains("search_number") && looks[1].contains("view_application"), "{audit}");
        ensure!(looks[1].contains(&number), "the application looked at: {audit}");
        for look in &looks {
            let columns: Vec<&str> = look.split_whitespace().collect();
            ensure!(columns.get(2) == Some(&device_code.as_str()), "from device {device_code}: {look}");
            ensure!(columns.first().is_some_and(|t| t.starts_with("20")), "with the time: {look}");
        }
        ensure!(!audit.contains("ani "), "registering is no look: {audit}");
        // The server holds the searched number only as a keyed hash.
        let conn = rusqlite::Connection::open(server.db())?;
        let raw: Vec<String> = conn
            .prepare("SELECT coalesce(subject_hash, '') FROM access_log")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ensure!(raw.iter().all(|h| !h.contains(nik)) && raw.iter().any(|h| h.len() == 64), "{raw:?}");
        Ok(())
    })
    .await
}

/// A laptop breaks before it could sync (here: its server goes away for good); its clerk
/// exports the unsynced work to a sealed file, and the office's replacement laptop imports it:
/// the server takes the work as the broken laptop's, and the replacement pulls it.
#[tokio::test(flavor = "multi_thread")]
async fn a_broken_laptops_unsynced_work_reaches_the_server_through_its_replacement() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = sumur_server_with_clerk(dir.path(), "ani", "Ani Suryani", "sandi-ani-2026")?;
    let enroll_code = || -> Result<String> {
        Ok(ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"])?.trim().to_string())
    };
    let (code_broken, code_new) = (enroll_code()?, enroll_code()?);
    let file = dir.path().join("serah-terima.loket").display().to_string();
    let passphrase = "sandi-serah-terima-2026";
    let mut number = String::new();

    let first = ServerProcess::start(&db)?;
    run("handover_from_the_broken_laptop", async |app| {
        enroll(app, &first.url, &code_broken).await?;
        log_in(app, "ani", "sandi-ani-2026", "Ani Suryani").await?;
        // The server this laptop knows stops for good: what it registers now stays on it.
        let pid = first.pid().to_string();
        ensure!(std::process::Command::new("kill").args(["-TERM", &pid]).status()?.success());
        number = register_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        app.find_text("#sync-pending", "1").await?;
        app.click("#tab-handover").await?;
        app.fill("#export-path", &file).await?;
        app.fill("#export-passphrase", passphrase).await?;
        app.fill("#export-repeat", passphrase).await?;
        app.click("#export-submit").await?;
        app.find_text("#export-result", "1 perubahan dan 0 lampiran").await?;
        Ok(())
    })
    .await?;
    drop(first);
    let sealed = std::fs::read(&file)?;
    ensure!(sealed.starts_with(b"LOKET-HANDOVER-1\n"));
    for clear in [&b"Ahmad Hidayat"[..], b"3601011205900001"] {
        ensure!(!sealed.windows(clear.len()).any(|w| w == clear), "the file is sealed");
    }

    let second = ServerProcess::start(&db)?;
    run("handover_to_the_replacement_laptop", async |app| {
        enroll(app, &second.url, &code_new).await?;
        log_in(app, "ani", "sandi-ani-2026", "Ani Suryani").await?;
        app.click("#tab-handover").await?;
        app.fill("#import-path", &file).await?;
        app.fill("#import-passphrase", "kata-sandi-yang-salah").await?;
        app.click("#import-submit").await?;
        app.find_text("#handover-error", "salah").await?;
        app.fill("#import-passphrase", passphrase).await?;
        app.click("#import-submit").await?;
        app.find_text("#import-result", "1 diterima server, 0 ditolak").await?;
        on_server(&second, &number, |_| true).await?;
        app.find_text("#applications tbody tr", &number).await?;
        Ok(())
    })
    .await
}

/// Wait (with a deadline) until the server's `device list` shows `device_id` with `status`:
/// the laptop reports its wipe on its own schedule.
async fn wait_for_device_status(server: &ServerProcess, device_id: &str, status: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let list = ServerProcess::admin(server.db(), &["device", "list"])?;
        let line = list.lines().find(|l| l.starts_with(device_id)).unwrap_or_default().to_string();
        if line.split_whitespace().nth(6) == Some(status) {
            return Ok(());
        }
        ensure!(std::time::Instant::now() < deadline, "device {device_id} is not {status}:\n{list}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_aid_flag_from_another_kecamatan_shows_on_the_application() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = sumur_server(dir.path())?;
    ServerProcess::admin(&db, &["office", "add", "36.01.02"])?;
    add_user(&db, "36.01.01", "ani", "Ani Suryani", "clerk", "sandi-ani-2026")?;
    add_user(&db, "36.01.02", "budi", "Budi Santoso", "clerk", "sandi-budi-2026")?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"])?.trim().to_string();
    let other_code = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.02"])?.trim().to_string();
    let server = ServerProcess::start(&db)?;
    // Kecamatan Cimanggu (36.01.02) registered this NIK for PKH 2026 already.
    let nik = "3601011205900001";
    let other = loket_sync::Client::new(&server.url)?;
    let e = other.enroll(&other_code, "Laptop Cimanggu", "test").await?;
    let cred = loket_sync::Credential { token: e.token, office_code: e.office_code };
    let op =
        loket_server::storage::conformance::register_op(1, "cimanggu-1", "36.01.02", nik, "3601021501100009");
    let key = loket_e2e::pulled_key(&other, &cred, "budi", "sandi-budi-2026").await?;
    let op = loket_server::storage::conformance::sign_as(op, "budi", &key);
    let pushed = other.push(&cred, vec![op], 0, "test").await?;
    ensure!(pushed.results[0].status == loket_protocol::OpStatus::Accepted, "{pushed:?}");

    run("duplicate_aid_flag_from_another_kecamatan_shows_on_the_application", async |app| {
        enroll(app, &server.url, &code).await?;
        app.find_text("#office-name", "Sumur").await?;
        log_in(app, "ani", "sandi-ani-2026", "Ani Suryani").await?;
        fill_bansos(app, nik, "Ahmad Hidayat").await?;
        app.click("#submit").await?;
        app.click("#receipt-close").await?;
        // The background sync pushes it; the server flags both; the flag comes back.
        app.find_text("#applications tbody tr .flag", "Bansos ganda").await?;
        app.find_text("#applications tbody tr .flag", "Kec. Cimanggu, Kabupaten Pandeglang").await?;
        app.find_text("#sync-attention", "perlu diperiksa").await?;
        Ok(())
    })
    .await
}

/// A server database in `dir` with the office of Kecamatan Sumur.
fn sumur_server(dir: &std::path::Path) -> Result<std::path::PathBuf> {
    let db = dir.join("server.sqlite3");
    ServerProcess::admin(&db, &["office", "add", "36.01.01"])?;
    Ok(db)
}

/// [`sumur_server`] with one clerk account.
fn sumur_server_with_clerk(
    dir: &std::path::Path,
    username: &str,
    full_name: &str,
    password: &str,
) -> Result<std::path::PathBuf> {
    let db = sumur_server(dir)?;
    add_user(&db, "36.01.01", username, full_name, "clerk", password)?;
    Ok(db)
}

fn add_user(
    db: &std::path::Path,
    office: &str,
    username: &str,
    full_name: &str,
    roles: &str,
    password: &str,
) -> Result<()> {
    loket_e2e::ServerProcess::add_user(
        db,
        &loket_e2e::NewUser { office, username, full_name, roles, password },
    )
}

/// A laptop works before it is enrolled under its first local user; IT links that user to
/// the server account of the same name with the enrollment code, and the work done before is
/// accepted with its signatures. A code naming no account is refused and not spent.
#[tokio::test(flavor = "multi_thread")]
async fn first_local_user_works_offline_then_is_linked_at_enrollment() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = sumur_server_with_clerk(dir.path(), "petugas", "Siti Petugas", "sandi-server-2026")?;
    let plain = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"])?.trim().to_string();
    let linking = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01", "--user", "petugas"])?
        .trim()
        .to_string();
    let server = ServerProcess::start(&db)?;
    run("first_local_user_works_offline_then_is_linked_at_enrollment", async |app| {
        configure_office(app).await?;
        app.find_text("#current-user", "Siti Petugas").await?;
        let number = register_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;

        // Enrolled later, from the settings screen.
        app.click("#tab-settings").await?;
        app.find_text("#settings-server", "Belum terdaftar").await?;
        let device_code = app.find("#settings-device").await?.text().await?;
        enroll(app, &server.url, &plain).await?;
        app.find_text("#enroll-error", "tidak menyebut akun").await?;
        app.fill("#enroll-code", &linking).await?;
        app.click("#enroll-submit").await?;
        app.gone("#enroll-submit").await?;
        app.find_text("#settings-server", &server.url).await?;
        // The numbers its receipts already carry stay the application's.
        ensure!(number.contains(&format!("-{device_code}-")), "{number} is of device {device_code}");
        // The work done before enrollment is accepted, signed by the linked user.
        on_server(&server, &number, |_| true).await?;
        app.find_text("#sync-pending", "0").await?;
        // The laptop's password still opens the session: the account took the laptop's key.
        app.click("#lock").await?;
        app.fill("#unlock-password", "sandi-laptop-2026").await?;
        app.click("#unlock-submit").await?;
        app.find_text("#applications tbody tr", &number).await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn supervisor_logs_in_offline_and_approves() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = sumur_server(dir.path())?;
    ServerProcess::admin_with_password(
        &db,
        &[
            "user",
            "add",
            "--office",
            "36.01.01",
            "--username",
            "kasi.kesos",
            "--full-name",
            "Dedi Kurniawan",
            "--roles",
            "clerk,supervisor",
        ],
        "rahasia-kasi-2026",
    )?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"])?.trim().to_string();
    let server = ServerProcess::start(&db)?;
    run("supervisor_logs_in_offline_and_approves", async |app| {
        enroll(app, &server.url, &code).await?;
        // The office's users arrive with the first sync; from then on people log in.
        app.find("#login-username").await?;
        app.fill("#login-username", "kasi.kesos").await?;
        app.fill("#login-password", "salah").await?;
        app.click("#login-submit").await?;
        app.find_text("#login-error", "salah").await?;
        log_in(app, "kasi.kesos", "rahasia-kasi-2026", "Dedi Kurniawan").await?;

        let number = register_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        loket_e2e::take_step(app, "start_review", "Diperiksa").await?;
        // A rejection needs a reason.
        app.click("#applications tbody tr button[data-action='reject']").await?;
        app.find_text("#action-error", "Alasan wajib").await?;
        loket_e2e::take_step(app, "approve", "Disetujui").await?;

        // The decision reaches the server by itself, made by the logged-in supervisor. (The
        // status bar may still show the sync before the decision: the server is asked.)
        on_server(&server, &number, |a| a.status == "approved").await?;

        // The supervisor keeps the office's staff data: a NIP is checked, then the record saved.
        app.click("#tab-staff").await?;
        app.select("#staff-golongan", "III/d").await?;
        app.fill("#staff-number", "198513152010011002").await?;
        app.fill("#staff-name", "Ahmad Fauzi, S.Sos.").await?;
        app.fill("#staff-jabatan", "Kepala Seksi Pelayanan").await?;
        app.click("#staff-submit").await?;
        app.find("#staff-employee_number-error").await?;
        app.fill("#staff-number", "19850315 201001 1 002").await?;
        app.click("#staff-submit").await?;
        app.find_text("#staff-list tr[data-number=\"198503152010011002\"]", "Kepala Seksi Pelayanan").await?;

        app.click("#logout").await?;
        app.find("#login-username").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn scanned_document_is_attached_by_content() -> Result<()> {
    let scans = tempfile::tempdir()?;
    let png = scans.path().join("ktp.png");
    std::fs::write(&png, [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4])?;
    let fake = scans.path().join("surat.pdf");
    std::fs::write(&fake, b"bukan pdf")?;
    run("scanned_document_is_attached_by_content", async |app| {
        configure_office(app).await?;
        fill_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        app.click("#submit").await?;
        app.click("#receipt-close").await?;
        // A file named .pdf that is not a PDF is refused, with a message.
        app.find("#applications tbody tr .attach-file").await?.send_keys(&fake.display().to_string()).await?;
        app.find_text("#action-error", "PDF, JPEG, atau PNG").await?;
        app.find("#applications tbody tr .attach-file").await?.send_keys(&png.display().to_string()).await?;
        app.find_text("#applications tbody tr .attachments", "1 berkas").await?;
        app.click("#applications tbody tr .view-attachment").await?;
        app.find("#attachment-preview img").await?;
        app.quit().await?;
        let store = app.open_store()?;
        let id = store.list_applications(10)?[0].id.clone();
        let attached = store.attachments(&id)?;
        ensure!(attached.len() == 1 && attached[0].media_type == "image/png", "{attached:?}");
        ensure!(store.uploads_pending()?.len() == 1, "queued for upload once enrolled");
        Ok(())
    })
    .await
}

/// What a thief who copies the data directory gets: no NIK, KK, name or scan, in the
/// database, its WAL, the search index or the attachment files, while the app runs or after.
#[tokio::test(flavor = "multi_thread")]
async fn a_copied_data_directory_reveals_no_personal_data() -> Result<()> {
    let scans = tempfile::tempdir()?;
    let png = scans.path().join("ktp.png");
    let scan_body = b"SCAN-KTP-AHMAD-HIDAYAT-3601011205900001";
    let mut content = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    content.extend_from_slice(scan_body);
    std::fs::write(&png, &content)?;
    run("a_copied_data_directory_reveals_no_personal_data", async |app| {
        configure_office(app).await?;
        register_ahmad_with_aisyah(app).await?;
        app.find("#applications tbody tr .attach-file").await?.send_keys(&png.display().to_string()).await?;
        app.find_text("#applications tbody tr .attachments", "1 berkas").await?;
        // The search index holds the name too (lower-cased tokens).
        app.fill("#search", "hidayat").await?;
        app.find_text("#application-count", "1").await?;
        let secrets: [&[u8]; 8] = [
            b"3601011205900001",
            b"3601015508150002",
            b"3601011501100003",
            b"Ahmad Hidayat",
            b"hidayat",
            b"Aisyah",
            b"Cibadak",
            scan_body,
        ];
        let data_dir = app.data_dir().to_path_buf();
        let check = |when: &str| -> Result<()> {
            for secret in secrets {
                let found = loket_e2e::files_containing(&data_dir, secret)?;
                ensure!(
                    found.is_empty(),
                    "{when}: {:?} readable in {found:?}",
                    String::from_utf8_lossy(secret)
                );
            }
            Ok(())
        };
        ensure!(app.data_dir().join("loket.sqlite3-wal").exists(), "the running app has a WAL to check");
        check("while the app runs")?;
        app.quit().await?;
        check("after the app closed")?;
        // The key file is the owner's only, and only that key opens the store.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.key_file())?.permissions().mode() & 0o777;
        ensure!(mode == 0o600, "key file mode {mode:o}");
        let store = app.open_store()?;
        ensure!(store.search_applications("hidayat", 10)?.len() == 1, "the data is all there");
        drop(store);
        let wrong = loket_store::Store::open_in_dir(app.data_dir(), &loket_store::StoreKey::generate());
        ensure!(
            matches!(wrong, Err(loket_store::StoreError::WrongKey { .. })),
            "wrong key: {:?}",
            wrong.err()
        );
        Ok(())
    })
    .await
}

/// No credential store and no key-file mode: the window opens nothing, says why and what IT
/// can do, and no key or data is written anywhere.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_credential_store_the_window_says_what_it_can_do() -> Result<()> {
    let root = tempfile::tempdir()?;
    let data = root.path().join("data");
    let bus = format!("unix:path={}", root.path().join("no-session-bus").display());
    let mut app = loket_e2e::App::launch_with(&data, loket_e2e::KeyStore::CredentialStore { bus }).await?;
    let outcome = async {
        let banner = app.find_text("#fatal-error", "LOKET_KEY_FILE").await?.text().await?;
        ensure!(banner.contains("Penyimpanan kunci"), "{banner}");
        ensure!(!data.join("loket.sqlite3").exists(), "no store was created without a key");
        ensure!(!loket_e2e::key_file_for(&data).exists(), "no key file was made");
        Ok(())
    }
    .await;
    if outcome.is_err() {
        app.screenshot("without_a_credential_store").await.ok();
    }
    app.quit().await?;
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn permit_is_drafted_until_its_documents_are_complete_then_submitted() -> Result<()> {
    run("permit_is_drafted_until_its_documents_are_complete_then_submitted", async |app| {
        configure_office(app).await?;
        app.click("#tab-permit").await?;

        // A building permit with two of its five documents: kept as a draft, no number yet.
        app.select("#permit-service", "PBG").await?;
        // The levy is PP 16/2021's formula of the Perda's indices (example values, marked so).
        app.find_text("#permit-service-info", "Retribusi PBG = luas lantai × SHST").await?;
        app.find_text("#permit-service-basis", "contoh, menunggu peraturan kabupaten/kota").await?;
        app.fill("#permit-nik", "3601 0152 0590 0007").await?;
        app.fill("#permit-name", "Siti Aminah").await?;
        app.fill("#permit-address", "Kp. Cibadak RT 03/01").await?;
        app.select("#permit-village", VILLAGE).await?;
        app.fill("#permit-land", "120").await?;
        app.fill("#permit-building", "60").await?;
        app.fill("#permit-use", "Rumah tinggal").await?;
        app.fill("#permit-location", "Kp. Cibadak RT 03/01").await?;
        app.click(".doc-check[value=\"ktp\"]").await?;
        app.click(".doc-check[value=\"pbb\"]").await?;
        app.find_text("#permit-completeness", "belum lengkap").await?;
        app.screenshot("permit-form").await?;
        app.click("#permit-submit").await?;
        app.find_text("#receipt-number-pending", "setelah berkas lengkap").await?;
        app.find_text("#receipt-fee", "Rp 540.000").await?;
        app.find_text("#receipt-docs", "Gambar denah dan tampak bangunan — belum diserahkan").await?;
        app.screenshot("permit-draft-receipt").await?;
        app.click("#receipt-close").await?;

        // The missing documents arrive: ticked in the list, then the draft is submitted.
        for doc in ["bukti_tanah", "denah", "pengantar_desa"] {
            let tick = format!(".receive-doc input[data-code=\"{doc}\"]");
            app.click(&tick).await?;
            // Received: it leaves the list of missing documents before the next is ticked.
            app.gone(&tick).await?;
        }
        app.click("button[data-action=\"submit\"]").await?;
        let row = app.find_text("tr[data-registration^=\"360101-\"]", "Siti Aminah").await?;
        ensure!(row.text().await?.contains("Diajukan"), "row {:?}", row.text().await?);

        // An SKTM with every document: submitted and numbered, free, with its due date.
        let number = loket_e2e::register_sktm_keeping_receipt(app).await?;
        ensure!(number.starts_with("360101-"), "registration number {number:?}");
        app.find_text("#receipt-fee", "Gratis").await?;
        app.find("#receipt-due").await?;
        app.click("#receipt-close").await?;
        let row = app.find_text(&format!("tr[data-registration=\"{number}\"]"), "Budi Santoso").await?;
        ensure!(
            row.text().await?.contains("Selesai paling lambat"),
            "due date in the list: {:?}",
            row.text().await?
        );

        app.quit().await?;
        let store = app.open_store()?;
        let apps = store.list_applications(10)?;
        let statuses: Vec<_> = apps.iter().map(|a| (a.service_code.as_str(), a.status.as_str())).collect();
        ensure!(statuses == [("SKTM", "submitted"), ("PBG", "submitted")], "stored {statuses:?}");
        ensure!(store.checklist(&apps[1].id)?.iter().all(|c| c.received), "PBG checklist incomplete");
        let events: Vec<_> = store.workflow_events(&apps[1].id)?.into_iter().map(|e| e.action).collect();
        ensure!(events == ["submit"], "PBG events {events:?}");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn hibah_for_an_organisation_with_a_warning_confirmed() -> Result<()> {
    run("hibah_for_an_organisation_with_a_warning_confirmed", async |app| {
        configure_office(app).await?;
        // Not in the AHU-….AH.01.…Tahun … form: a warning the clerk must confirm.
        loket_e2e::fill_hibah(app, "SK 12/2019").await?;
        app.click("#hibah-submit").await?;
        app.find_text("#hibah-legal_basis-warning", "AHU-").await?;
        app.click("#hibah-confirm-warnings").await?;
        app.click("#hibah-submit").await?;
        let number = app.find("#receipt-number").await?.text().await?;
        ensure!(number.starts_with("360101-"), "registration number {number:?}");
        app.find_text("#receipt-organization", "Yayasan Nurul Huda").await?;
        app.find_text("#receipt-amount", "Rp 50.000.000").await?;
        app.screenshot("hibah-receipt").await?;
        app.click("#receipt-close").await?;
        app.find_text(&format!("tr[data-registration=\"{number}\"]"), "Yayasan Nurul Huda").await?;

        // The counter clerk sees the staff list but cannot change it.
        app.click("#tab-staff").await?;
        app.find("#staff-empty").await?;
        app.select("#staff-golongan", "III/d").await?;
        app.fill("#staff-number", "198503152010011002").await?;
        app.fill("#staff-name", "Ahmad Fauzi").await?;
        app.fill("#staff-jabatan", "Kepala Seksi Pelayanan").await?;
        app.click("#staff-submit").await?;
        app.find_text("#staff-form-error", "kasi, sekcam, camat, atau admin").await?;

        app.quit().await?;
        let store = app.open_store()?;
        let apps = store.list_applications(10)?;
        ensure!(
            apps.len() == 1 && apps[0].kind == loket_domain::workflow::ApplicationKind::Hibah,
            "stored {apps:?}"
        );
        ensure!(apps[0].details["legal_basis"] == "SK 12/2019", "details {}", apps[0].details);
        Ok(())
    })
    .await
}

/// The id of the element that has the keyboard focus.
async fn focused(app: &App) -> Result<String> {
    let v = app
        .client()
        .execute("return document.activeElement ? document.activeElement.id : '';", vec![])
        .await?;
    Ok(v.as_str().unwrap_or_default().to_string())
}

/// Keyboard first: Alt+N goes to a new registration, Ctrl+K to the search, Enter submits the
/// form, the receipt takes the focus, Esc closes it and the focus goes back.
#[tokio::test(flavor = "multi_thread")]
async fn the_counter_works_from_the_keyboard() -> Result<()> {
    use fantoccini::key::Key;
    run("the_counter_works_from_the_keyboard", async |app| {
        configure_office(app).await?;
        // From the staff tab (the list is hidden there: the staff table takes the width).
        app.click("#tab-staff").await?;
        app.find("#staff-name")
            .await?
            .send_keys(&format!("{}n{}", char::from(Key::Alt), char::from(Key::Alt)))
            .await?;
        app.find("#bansos-title").await?;
        ensure!(focused(app).await? == "nik", "Alt+N: the new registration's first field has the focus");
        app.find("#nik")
            .await?
            .send_keys(&format!("{}k{}", char::from(Key::Control), char::from(Key::Control)))
            .await?;
        ensure!(focused(app).await? == "search", "Ctrl+K: the search has the focus");

        fill_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        app.find("#income").await?.send_keys(&char::from(Key::Enter).to_string()).await?;
        app.find("#receipt-number").await?;
        ensure!(focused(app).await? == "receipt-close", "the receipt takes the focus");
        app.find("#receipt-close").await?.send_keys(&char::from(Key::Escape).to_string()).await?;
        app.gone("#receipt").await?;
        ensure!(focused(app).await? == "income", "the focus goes back where it was");
        Ok(())
    })
    .await
}
