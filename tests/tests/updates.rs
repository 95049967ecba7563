//! Signed updates end to end (issue 16): Loket N installed from its .deb package, a provincial
//! server holding N+1 signed by the key the app trusts (`make update-test-bundles` builds both
//! through scripts/release.sh, with a key made for the test and a second, foreign one).
//!
//! The window test installs packages system-wide, as the updater does on a laptop (which asks
//! with pkexec, else sudo): it runs as root or with passwordless sudo, and removes the package
//! when it ends.

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use loket_e2e::{enroll, log_in, on_server, register_bansos, run_binary, NewUser, ServerProcess};

/// The versions scripts/update-test-bundles.sh builds.
const FROM: &str = "1.0.0";
const TO: &str = "1.0.1";
const OFFICE: &str = "36.01.01";

fn bundles() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| loket_e2e::workspace_root().join("target"))
        .join("update-test")
}

/// The one .deb in `bundles()/<sub>`.
fn deb(sub: &str) -> Result<PathBuf> {
    let dir = bundles().join(sub);
    let found = std::fs::read_dir(&dir)
        .with_context(|| format!("{} (built by `make update-test-bundles`)", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "deb"));
    found.with_context(|| format!("no .deb in {}", dir.display()))
}

fn sig(deb: &Path) -> Result<String> {
    let mut name = deb.as_os_str().to_owned();
    name.push(".sig");
    Ok(std::fs::read_to_string(PathBuf::from(name))?.trim().to_string())
}

/// The installed version of package `loket`, if any.
fn installed() -> Option<String> {
    let out =
        std::process::Command::new("dpkg-query").args(["-W", "-f=${Status} ${Version}", "loket"]).output();
    let out = String::from_utf8(out.ok()?.stdout).ok()?;
    out.strip_prefix("install ok installed ").map(str::to_string)
}

/// `dpkg` as root: directly, or through passwordless sudo.
fn dpkg() -> std::process::Command {
    let root = std::process::Command::new("id").arg("-u").output();
    if root.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0") {
        std::process::Command::new("dpkg")
    } else {
        let mut sudo = std::process::Command::new("sudo");
        sudo.args(["-n", "dpkg"]);
        sudo
    }
}

/// Package `loket` installed for one test; purged after it.
struct Package;

impl Package {
    fn install(deb: &Path) -> Result<Self> {
        let out = dpkg().arg("-i").arg(deb).output()?;
        if !out.status.success() {
            bail!(
                "dpkg -i (the update test installs packages: as root, or with passwordless sudo): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(Self)
    }
}

impl Drop for Package {
    fn drop(&mut self) {
        let _ = dpkg().args(["--purge", "loket"]).output();
    }
}

/// The stored bundle of `version` on the server's SQLite file: its sha256, and its last chunk.
fn last_chunk(db: &Path, version: &str) -> Result<(String, i64, Vec<u8>)> {
    let c = rusqlite::Connection::open(db)?;
    let sha: String = c.query_row(
        "SELECT sha256 FROM app_artifact WHERE version = ?1 AND target = 'linux-x86_64'",
        [version],
        |r| r.get(0),
    )?;
    let (offset, data) = c.query_row(
        "SELECT offset_bytes, data FROM app_artifact_chunk WHERE sha256 = ?1 ORDER BY offset_bytes DESC LIMIT 1",
        [&sha],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((sha, offset, data))
}

fn set_chunk(db: &Path, sha: &str, offset: i64, data: &[u8]) -> Result<()> {
    let c = rusqlite::Connection::open(db)?;
    let n = c.execute(
        "UPDATE app_artifact_chunk SET data = ?1 WHERE sha256 = ?2 AND offset_bytes = ?3",
        rusqlite::params![data, sha, offset],
    )?;
    ensure!(n == 1, "one chunk");
    Ok(())
}

fn set_signature(db: &Path, version: &str, signature: &str) -> Result<()> {
    let c = rusqlite::Connection::open(db)?;
    let n = c.execute(
        "UPDATE app_artifact SET signature = ?1 WHERE version = ?2",
        rusqlite::params![signature, version],
    )?;
    ensure!(n == 1, "one artifact");
    Ok(())
}

/// Loket N, installed from its package, is offered N+1. A bundle altered on the server and a
/// bundle signed by another key are refused by the laptop (nothing installed, the failure
/// counted for IT); IT's minimum version makes the server refuse the laptop's sync (426) and
/// the window shows the genuine update right there; the work registered meanwhile cannot be
/// sent first, the window says so, the user installs anyway; the package is then N+1, and the
/// app started again sends that work.
#[tokio::test(flavor = "multi_thread")]
async fn a_laptop_installs_only_a_genuine_signed_update_and_keeps_its_work() -> Result<()> {
    let (from, to, foreign) = (deb("from")?, deb("to")?, deb("foreign")?);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("server.sqlite3");
    ServerProcess::admin(&db, &["office", "add", OFFICE])?;
    let ani = NewUser {
        office: OFFICE,
        username: "ani",
        full_name: "Ani Suryani",
        roles: "clerk",
        password: "sandi-ani-2026",
    };
    ServerProcess::add_user(&db, &ani)?;
    let key = bundles().join("test.key.pub");
    ServerProcess::admin(&db, &["release", "trust-key", &key.display().to_string()])?;
    let publish = |bundle: &Path| {
        let artifact = format!("linux-x86_64={}", bundle.display());
        let args = ["release", "publish", "--version", TO, "--notes", "Perbaikan cetak tanda terima"];
        ServerProcess::admin(&db, &[&args[..], &["--rollout", "100", "--artifact", &artifact]].concat())
    };
    let refused = publish(&foreign).expect_err("a bundle signed by another key is refused at publish");
    ensure!(refused.to_string().contains("does not verify"), "{refused:#}");
    publish(&to)?;
    // Someone alters the stored bundle (one byte of its last chunk).
    let (sha, offset, genuine_chunk) = last_chunk(&db, TO)?;
    let mut altered = genuine_chunk.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x55;
    set_chunk(&db, &sha, offset, &altered)?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", OFFICE])?.trim().to_string();
    let mut server = ServerProcess::start(&db)?;

    let _package = Package::install(&from)?;
    ensure!(installed().as_deref() == Some(FROM), "installed {:?}", installed());
    let binary = PathBuf::from("/usr/bin/loket");
    run_binary("a_laptop_installs_only_a_genuine_signed_update", &[], binary, async |app| {
        app.find_text("#app-version", FROM).await?;
        enroll(app, &server.url, &code).await?;
        log_in(app, "ani", "sandi-ani-2026", "Ani Suryani").await?;

        app.click("#check-update").await?;
        app.find_text("#update-failed[data-attempt='1']", "ditolak").await?;
        // The bundle is intact again, but its signature is another key's.
        set_chunk(&db, &sha, offset, &genuine_chunk)?;
        set_signature(&db, TO, &sig(&foreign)?)?;
        app.click("#check-update").await?;
        app.find_text("#update-failed[data-attempt='2']", "ditolak").await?;
        ensure!(installed().as_deref() == Some(FROM), "nothing installed: {:?}", installed());

        // The genuine release, and a minimum version: this laptop may no longer sync.
        set_signature(&db, TO, &sig(&to)?)?;
        ServerProcess::admin(&db, &["release", "minimum", TO])?;
        server.restart()?;
        app.click("#sync-now").await?;
        app.find("#sync-status[data-state='upgrade_required']").await?;
        app.find_text("#update-offer", &format!("Loket {TO} siap dipasang")).await?;
        app.find_text("#update-notes", "Perbaikan cetak tanda terima").await?;

        let number = register_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        app.click("#install-update").await?;
        app.find_text("#update-work-not-sent", "1 pekerjaan belum terkirim").await?;
        app.click("#install-update-anyway").await?;
        app.find_text("#update-installed", &format!("Loket {TO} sudah terpasang")).await?;
        ensure!(installed().as_deref() == Some(TO), "installed {:?}", installed());

        // The new version starts, may sync again, and sends the work.
        app.restart().await?;
        app.find_text("#app-version", TO).await?;
        on_server(&server, &number, |_| true).await?;
        let list = ServerProcess::admin(&db, &["release", "list"])?;
        let line = list.lines().find(|l| l.starts_with(TO)).unwrap_or_default();
        ensure!(line.contains("failed 1") && line.contains("installed 1"), "{list}");
        Ok(())
    })
    .await
}

/// A bundle download cut partway continues from where it stopped (a `Range` request), and a
/// partial file that does not fit the bundle is started over.
#[tokio::test(flavor = "multi_thread")]
async fn a_cut_update_download_resumes() -> Result<()> {
    let to = deb("to")?;
    let bundle = std::fs::read(&to)?;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("server.sqlite3");
    ServerProcess::admin(&db, &["office", "add", OFFICE])?;
    let key = bundles().join("test.key.pub");
    ServerProcess::admin(&db, &["release", "trust-key", &key.display().to_string()])?;
    let artifact = format!("linux-x86_64={}", to.display());
    ServerProcess::admin(
        &db,
        &["release", "publish", "--version", TO, "--rollout", "100", "--artifact", &artifact],
    )?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", OFFICE])?.trim().to_string();
    let server = ServerProcess::start(&db)?;
    let client = loket_sync::Client::new(&server.url)?;
    let e = client.enroll(&code, "Loket uji", FROM).await?;
    let cred = loket_sync::Credential { token: e.token, office_code: e.office_code };
    let offer = client.update_offer(&cred, "linux", "x86_64", FROM).await?.context("an offer")?;
    let url = offer["url"].as_str().context("url")?.to_string();

    // Half of it arrived before the line dropped.
    let part = dir.path().join("update.part");
    let half = bundle.len() / 2;
    std::fs::write(&part, &bundle[..half])?;
    let mut first = None;
    let got = client
        .download_update(&cred, &url, &part, |received, total| {
            first.get_or_insert((received, total));
        })
        .await?;
    ensure!(got == bundle, "the whole bundle, byte for byte");
    ensure!(first == Some((half as u64, Some(bundle.len() as u64))), "continued at {first:?}");

    // A partial file longer than the bundle (another release's): downloaded afresh.
    std::fs::write(&part, vec![0u8; bundle.len() + 10])?;
    ensure!(client.download_update(&cred, &url, &part, |_, _| {}).await? == bundle);
    // The credential goes to this server only.
    let elsewhere =
        client.download_update(&cred, "http://192.0.2.1/api/v1/updates/artifacts/x", &part, |_, _| {});
    ensure!(matches!(elsewhere.await, Err(loket_sync::SyncError::BadUrl(_))));
    Ok(())
}
