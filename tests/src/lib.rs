//! End-to-end harness: drives the real Loket desktop window.
//!
//! Each test gets its own Xvfb display, its own `tauri-driver` (on free ports) and its own
//! data directory, so tests are isolated from each other and from the developer's desktop.
//! The app is the real debug binary (`target/debug/loket`, built by `make` with the front-end
//! embedded). When a test fails, a screenshot of the window is written to
//! `tests/artifacts/<test>.png` before the app is closed.

pub mod pki;
mod process;
pub mod proxy;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use process::Guard;

/// How long to wait for the window to show an expected element.
pub const WAIT: Duration = Duration::from_secs(20);

/// Upper bound for one test body, so that a hung WebDriver call fails instead of hanging CI.
pub const TEST_LIMIT: Duration = Duration::from_secs(180);

/// The workspace root (parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The desktop binary under test: `LOKET_APP_BIN`, else `<target>/debug/loket`.
pub fn app_binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("LOKET_APP_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let bin = target.join("debug").join("loket");
    if !bin.exists() {
        bail!("{} is missing: build it with `make app` (UI first, then cargo build -p loket)", bin.display());
    }
    Ok(bin)
}

/// Where the harness keeps the key of the window on `data_dir`: `<data_dir>.key`.
pub fn key_file_for(data_dir: &Path) -> PathBuf {
    let mut name = data_dir.file_name().unwrap_or_default().to_os_string();
    name.push(".key");
    data_dir.with_file_name(name)
}

/// The key the non-window tests encrypt their device stores with.
pub fn test_key() -> loket_store::StoreKey {
    loket_store::StoreKey::from_bytes([0x5e; 32])
}

/// A running Loket window and everything it needs.
pub struct App {
    client: Option<Client>,
    data_dir: PathBuf,
    // Dropped in reverse order of start: driver before display.
    driver: Option<Guard>,
    _display: Guard,
    display_name: String,
    /// The key-file mode (the tests' default); without it the app looks for the OS credential
    /// store over the session bus `bus` names.
    key_store: KeyStore,
    /// The desktop binary ([`app_binary`] unless a test runs another, e.g. one installed from
    /// a package).
    binary: PathBuf,
}

/// Where the window under test keeps its data key.
#[derive(Debug, Clone)]
pub enum KeyStore {
    /// `--key-file <data_dir>.key` (see [`key_file_for`]).
    KeyFile,
    /// The OS credential store, reached over the D-Bus session bus at this address.
    CredentialStore { bus: String },
}

impl App {
    /// Start a display and launch the app on `data_dir`.
    pub async fn launch(data_dir: &Path) -> Result<Self> {
        Self::launch_with(data_dir, KeyStore::KeyFile).await
    }

    /// Start a display and launch the app on `data_dir`, its key kept in `key_store`.
    pub async fn launch_with(data_dir: &Path, key_store: KeyStore) -> Result<Self> {
        Self::launch_binary(data_dir, key_store, app_binary()?).await
    }

    /// Start a display and launch the desktop `binary` on `data_dir`.
    pub async fn launch_binary(data_dir: &Path, key_store: KeyStore, binary: PathBuf) -> Result<Self> {
        Self::launch_on(data_dir, key_store, binary, process::SCREEN).await
    }

    /// Start a display of `screen` (`WIDTHxHEIGHT`) and launch the desktop `binary` on
    /// `data_dir`.
    pub async fn launch_on(
        data_dir: &Path,
        key_store: KeyStore,
        binary: PathBuf,
        screen: &str,
    ) -> Result<Self> {
        let (display, display_name) = process::start_xvfb(screen).await?;
        let mut app = Self {
            client: None,
            data_dir: data_dir.to_path_buf(),
            driver: None,
            _display: display,
            display_name,
            key_store,
            binary,
        };
        app.start().await?;
        Ok(app)
    }

    async fn start(&mut self) -> Result<()> {
        let (args, env) = match &self.key_store {
            KeyStore::KeyFile => {
                (serde_json::json!(["--data-dir", self.data_dir, "--key-file", self.key_file()]), Vec::new())
            }
            KeyStore::CredentialStore { bus } => (
                serde_json::json!(["--data-dir", self.data_dir]),
                vec![
                    ("DBUS_SESSION_BUS_ADDRESS".to_string(), bus.clone()),
                    // Not the key-file mode, whatever the environment says.
                    ("LOKET_KEY_FILE".to_string(), String::new()),
                ],
            ),
        };
        let (driver, port) = process::start_tauri_driver(&self.display_name, &env).await?;
        self.driver = Some(driver);
        let caps = serde_json::json!({
            "tauri:options": {
                "application": self.binary,
                "args": args,
            }
        });
        let serde_json::Value::Object(caps) = caps else { unreachable!() };
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("WebDriver session with the Loket window")?;
        self.client = Some(client);
        Ok(())
    }

    /// Close the window (the app exits) and stop the driver, keeping the display.
    pub async fn quit(&mut self) -> Result<()> {
        if let Some(client) = self.client.take() {
            client.close().await.context("closing the WebDriver session")?;
        }
        if let Some(driver) = self.driver.take() {
            driver.stop().await;
        }
        Ok(())
    }

    /// Quit and launch again on the same data directory.
    pub async fn restart(&mut self) -> Result<()> {
        self.quit().await?;
        self.start().await
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("app is running")
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The window's data key, in the documented key-file mode (beside, not inside, the data
    /// directory; the app creates it owner-only on first start).
    pub fn key_file(&self) -> PathBuf {
        key_file_for(&self.data_dir)
    }

    /// Open the window's store (after `quit`) with its key.
    pub fn open_store(&self) -> Result<loket_store::Store> {
        let key = std::fs::read_to_string(self.key_file()).context("reading the window's key file")?;
        let key = loket_store::StoreKey::from_hex(&key)?;
        Ok(loket_store::Store::open_in_dir(&self.data_dir, &key)?)
    }

    /// Wait until an element matching `css` is present.
    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for {css}"))
    }

    /// Wait until an element matching `css` contains `text`.
    pub async fn find_text(&self, css: &str, text: &str) -> Result<Element> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            for el in self.client().find_all(Locator::Css(css)).await? {
                if el.text().await.unwrap_or_default().contains(text) {
                    return Ok(el);
                }
            }
            if tokio::time::Instant::now() > deadline {
                bail!("no {css} containing {text:?} within {WAIT:?}");
            }
            // Polling the DOM for a condition with a deadline; not a fixed sleep.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Wait until no element matches `css` (e.g. a row that a change removes).
    pub async fn gone(&self, css: &str) -> Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.client().find_all(Locator::Css(css)).await?.is_empty() {
            if tokio::time::Instant::now() > deadline {
                bail!("{css} still there after {WAIT:?}");
            }
            // Polling the DOM for a condition with a deadline; not a fixed sleep.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Type into an input.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let el = self.find(css).await?;
        el.clear().await?;
        el.send_keys(text).await.with_context(|| format!("typing into {css}"))
    }

    /// Choose an option of a select by value, waiting until the option exists.
    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        // A select whose options are rendered again (a list the window read anew) can be
        // replaced between finding it and choosing: found again, up to three times.
        let mut last = None;
        for _ in 0..3 {
            self.find(&format!("{css} option[value=\"{value}\"]")).await?;
            match self.find(css).await?.select_by_value(value).await {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(anyhow::Error::from(last.expect("three attempts")).context(format!("selecting {value} in {css}")))
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css).await?.click().await.with_context(|| format!("clicking {css}"))
    }

    /// Save a screenshot of the window to `tests/artifacts/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client.as_ref().context("the window was closed")?.screenshot().await?;
        let dir = workspace_root().join("tests").join("artifacts");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }
}

/// Run one E2E test body against a freshly launched app on an empty data directory.
/// On failure a screenshot is saved; the app, driver and display are always stopped.
pub async fn run(name: &str, body: impl AsyncFnOnce(&mut App) -> Result<()>) -> Result<()> {
    run_with_files(name, &[], body).await
}

/// [`run`], with `files` (name, content) put in the data directory before the app starts (the
/// province's CA certificate, say).
pub async fn run_with_files(
    name: &str,
    files: &[(&str, Vec<u8>)],
    body: impl AsyncFnOnce(&mut App) -> Result<()>,
) -> Result<()> {
    run_binary(name, files, app_binary()?, body).await
}

/// [`run_with_files`] with the desktop `binary` (e.g. the one a package installed).
pub async fn run_binary(
    name: &str,
    files: &[(&str, Vec<u8>)],
    binary: PathBuf,
    body: impl AsyncFnOnce(&mut App) -> Result<()>,
) -> Result<()> {
    run_full(name, files, binary, process::SCREEN, body).await
}

/// [`run`] on a display of `screen` (`WIDTHxHEIGHT`, e.g. an office laptop's `1366x768`).
pub async fn run_on_screen(
    name: &str,
    screen: &str,
    body: impl AsyncFnOnce(&mut App) -> Result<()>,
) -> Result<()> {
    run_full(name, &[], app_binary()?, screen, body).await
}

async fn run_full(
    name: &str,
    files: &[(&str, Vec<u8>)],
    binary: PathBuf,
    screen: &str,
    body: impl AsyncFnOnce(&mut App) -> Result<()>,
) -> Result<()> {
    let data = tempfile_dir(name)?;
    for (file, content) in files {
        std::fs::write(data.join(file), content)?;
    }
    let mut app = App::launch_on(&data, KeyStore::KeyFile, binary, screen).await?;
    // A hung WebDriver call must fail the test, not the CI run.
    let outcome = match tokio::time::timeout(TEST_LIMIT, body(&mut app)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(anyhow::anyhow!("test body did not finish within {TEST_LIMIT:?}")),
    };
    if let Err(e) = &outcome {
        match tokio::time::timeout(Duration::from_secs(15), app.screenshot(name)).await {
            Ok(Ok(path)) => eprintln!("test {name} failed: {e:#}\nscreenshot: {}", path.display()),
            Ok(Err(s)) => eprintln!("test {name} failed: {e:#}\n(no screenshot: {s:#})"),
            Err(_) => eprintln!("test {name} failed: {e:#}\n(screenshot timed out)"),
        }
    }
    app.quit().await?;
    drop(app);
    std::fs::remove_dir_all(&data).ok();
    std::fs::remove_file(key_file_for(&data)).ok();
    outcome
}

/// Every file under `dir` (recursively) whose raw bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if std::fs::read(&path)?.windows(needle.len()).any(|w| w == needle) {
                found.push(path);
            }
        }
    }
    Ok(found)
}

fn tempfile_dir(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("loket-e2e-{name}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A real `loket-server` process on a SQLite file of its own, listening on a free port.
pub struct ServerProcess {
    child: std::process::Child,
    db: PathBuf,
    pub url: String,
}

impl ServerProcess {
    /// The server binary: `LOKET_SERVER_BIN`, else `<target>/debug/loket-server` (built by `make`).
    pub fn binary() -> Result<PathBuf> {
        if let Some(bin) = std::env::var_os("LOKET_SERVER_BIN") {
            return Ok(PathBuf::from(bin));
        }
        let bin = app_binary()?.with_file_name("loket-server");
        if !bin.exists() {
            bail!("{} is missing: build it with `make server`", bin.display());
        }
        Ok(bin)
    }

    /// Run an admin command against this server's database; returns its stdout.
    pub fn admin(db: &Path, args: &[&str]) -> Result<String> {
        Self::admin_with_password(db, args, "")
    }

    /// [`ServerProcess::admin`] for commands that read a password (`LOKET_PASSWORD`).
    pub fn admin_with_password(db: &Path, args: &[&str], password: &str) -> Result<String> {
        Self::admin_binary(&Self::binary()?, db, args, password)
    }

    /// IT creates a user of `office` (`roles` comma-separated) with `password`.
    pub fn add_user(db: &Path, user: &NewUser<'_>) -> Result<()> {
        Self::add_user_binary(&Self::binary()?, db, user)
    }

    /// [`ServerProcess::add_user`] with a given server binary.
    pub fn add_user_binary(bin: &Path, db: &Path, u: &NewUser<'_>) -> Result<()> {
        let args = [
            "user",
            "add",
            "--office",
            u.office,
            "--username",
            u.username,
            "--full-name",
            u.full_name,
            "--roles",
            u.roles,
        ];
        Self::admin_binary(bin, db, &args, u.password)?;
        Ok(())
    }

    /// [`ServerProcess::admin_with_password`] with a given server binary.
    pub fn admin_binary(bin: &Path, db: &Path, args: &[&str], password: &str) -> Result<String> {
        let out = std::process::Command::new(bin)
            .arg("--database")
            .arg(db)
            .args(args)
            .env("LOKET_PASSWORD", password)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .output()?;
        if !out.status.success() {
            bail!("loket-server {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    /// Start serving `db` on 127.0.0.1 (a free port; the server prints it).
    pub fn start(db: &Path) -> Result<Self> {
        Self::start_binary(&Self::binary()?, db)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// [`ServerProcess::start`] with a given server binary (the benchmarks use the release one);
    /// `db` may also be a `postgres://` URL.
    pub fn start_binary(bin: &Path, db: &Path) -> Result<Self> {
        Self::spawn(bin, db, None)
    }

    /// [`ServerProcess::start`] serving HTTPS with this certificate chain and key (PEM files);
    /// its URL names 127.0.0.1, which the certificate must cover.
    pub fn start_https(db: &Path, cert: &Path, key: &Path) -> Result<Self> {
        Self::spawn(&Self::binary()?, db, Some((cert, key)))
    }

    fn spawn(bin: &Path, db: &Path, tls: Option<(&Path, &Path)>) -> Result<Self> {
        let (child, addr) = Self::serve(bin, db, "127.0.0.1:0", tls)?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        Ok(Self { url: format!("{scheme}://{addr}"), child, db: db.to_path_buf() })
    }

    /// `loket-server serve` on `listen`: the process and the address it says it listens on.
    fn serve(
        bin: &Path,
        db: &Path,
        listen: &str,
        tls: Option<(&Path, &Path)>,
    ) -> Result<(std::process::Child, String)> {
        use std::io::BufRead;
        let mut command = std::process::Command::new(bin);
        command.arg("--database").arg(db).args(["serve", "--listen", listen]);
        if let Some((cert, key)) = tls {
            command.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        let mut child = command
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()?;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().context("server stdout")?).read_line(&mut line)?;
        let addr =
            line.trim().strip_prefix("listening on ").with_context(|| format!("server said {line:?}"))?;
        Ok((child, addr.to_string()))
    }

    pub fn db(&self) -> &Path {
        &self.db
    }

    /// Stop the server and start it again on the same address (what IT changed in its
    /// database from another process is then read afresh).
    pub fn restart(&mut self) -> Result<()> {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait()?;
        let addr = self.url.split_once("://").map(|(_, a)| a.to_string()).context("server url")?;
        ensure!(self.url.starts_with("http://"), "restart serves plain HTTP only");
        let (child, listening) = Self::serve(&Self::binary()?, &self.db, &addr, None)?;
        self.child = child;
        ensure!(listening == addr, "the server listens on {listening}, not {addr}");
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // A test may have stopped it (SIGSTOP): a stopped process does not act on SIGTERM.
        let _ = std::process::Command::new("kill").args(["-CONT", &self.child.id().to_string()]).status();
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

/// A desa of Kecamatan Sumur, where the tests' applicants live.
pub const VILLAGE: &str = "36.01.01.2001";

/// Fill the bansos form with a valid application of `nik` and `name` (not submitted).
pub async fn fill_bansos(app: &App, nik: &str, name: &str) -> Result<()> {
    let typed = [
        ("#nik", nik),
        ("#full-name", name),
        ("#address", "Kp. Cibadak RT 03/01"),
        ("#kk", "3601011501100003"),
    ];
    for (field, text) in typed.into_iter().chain([("#income", "Rp 750.000")]) {
        app.fill(field, text).await?;
    }
    for (field, value) in [("#village", VILLAGE), ("#category", "miskin"), ("#programme", "PKH")] {
        app.select(field, value).await?;
    }
    Ok(())
}

/// Register a bansos application of `nik` and `name` from the form; returns the number its
/// receipt shows (the receipt is closed).
pub async fn register_bansos(app: &App, nik: &str, name: &str) -> Result<String> {
    let number = register_bansos_keeping_receipt(app, nik, name).await?;
    app.click("#receipt-close").await?;
    Ok(number)
}

/// [`register_bansos`], the receipt left open.
pub async fn register_bansos_keeping_receipt(app: &App, nik: &str, name: &str) -> Result<String> {
    fill_bansos(app, nik, name).await?;
    app.click("#submit").await?;
    Ok(app.find("#receipt-number").await?.text().await?)
}

/// Register a complete SKTM (numbered at once); returns its number, the receipt left open.
pub async fn register_sktm_keeping_receipt(app: &App) -> Result<String> {
    app.click("#tab-permit").await?;
    app.select("#permit-service", "SKTM").await?;
    app.fill("#permit-nik", "3601 0112 0590 0001").await?;
    app.fill("#permit-name", "Budi Santoso").await?;
    app.fill("#permit-address", "Kp. Sumur RT 01/02").await?;
    app.select("#permit-village", VILLAGE).await?;
    app.fill("#permit-purpose", "Keringanan biaya sekolah").await?;
    for doc in ["ktp", "kk", "pengantar_rt", "pengantar_desa"] {
        app.click(&format!(".doc-check[value=\"{doc}\"]")).await?;
    }
    app.find_text("#permit-completeness", "Berkas lengkap").await?;
    app.click("#permit-submit").await?;
    Ok(app.find("#receipt-number").await?.text().await?)
}

/// Fill the hibah form for Yayasan Nurul Huda's mosque grant, its legal basis `legal` (not
/// submitted).
pub async fn fill_hibah(app: &App, legal: &str) -> Result<()> {
    app.click("#tab-hibah").await?;
    app.select("#hibah-programme", "HIBAH-IBADAH").await?;
    app.select("#hibah-village", VILLAGE).await?;
    for (field, text) in [
        ("#hibah-org", "Yayasan Nurul Huda"),
        ("#hibah-legal", legal),
        ("#hibah-npwp", "01.234.567.8-901.000"),
        ("#hibah-address", "Jl. Masjid No. 1"),
        ("#hibah-chair-nik", "3601011205700001"),
        ("#hibah-chair-name", "H. Mahmud"),
        ("#hibah-secretary-nik", "3601011208800002"),
        ("#hibah-secretary-name", "Rahmat"),
        ("#hibah-bank", "Bank BJB"),
        ("#hibah-account", "0012345678"),
        ("#hibah-holder", "Yayasan Nurul Huda"),
        ("#hibah-amount", "Rp 50.000.000"),
        ("#hibah-rab", "75.000.000"),
    ] {
        app.fill(field, text).await?;
    }
    Ok(())
}

/// Enroll the window with `server_url` and a one-time `code` from its first screen.
pub async fn enroll(app: &App, server_url: &str, code: &str) -> Result<()> {
    app.fill("#server-url", server_url).await?;
    app.fill("#enroll-code", code).await?;
    app.click("#enroll-submit").await
}

/// Log in as `username`; the header then names `full_name`.
pub async fn log_in(app: &App, username: &str, password: &str, full_name: &str) -> Result<()> {
    app.fill("#login-username", username).await?;
    app.fill("#login-password", password).await?;
    app.click("#login-submit").await?;
    app.find_text("#current-user", full_name).await?;
    Ok(())
}

/// Wait (with a deadline) until the server holds application `number` of Kecamatan Sumur in a
/// state `ok` accepts; the background sync runs on its own schedule.
pub async fn on_server(
    server: &ServerProcess,
    number: &str,
    ok: impl Fn(&loket_server::storage::SnapshotApplication) -> bool,
) -> Result<()> {
    use loket_server::storage::Storage;
    let storage = loket_server::storage::sqlite::SqliteStorage::open(server.db())?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let snapshot = storage.office_snapshot("36.01.01").await?;
        let found =
            snapshot.applications.into_iter().find(|a| a.registration_number.as_deref() == Some(number));
        if found.as_ref().is_some_and(&ok) {
            return Ok(());
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the server holds {found:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A server account as IT creates it.
pub struct NewUser<'a> {
    pub office: &'a str,
    pub username: &'a str,
    pub full_name: &'a str,
    /// Comma-separated: clerk, supervisor, admin.
    pub roles: &'a str,
    pub password: &'a str,
}

/// The actor of `username` on this laptop as logging in makes it: the user's key, synced
/// wrapped from the server, opened with `password`.
pub fn signing_actor(
    store: &loket_store::Store,
    username: &str,
    password: &str,
) -> Result<loket_store::Actor> {
    let user = store.office_user(username)?.with_context(|| format!("{username} has not been synced"))?;
    let key = loket_keys::UserKey::unwrap(&user.wrapped_key, password)?;
    Ok(loket_store::Actor::signing(username, &user.roles, std::sync::Arc::new(key)))
}

/// Create the laptop's first local user from the window's first screen.
pub async fn first_user(app: &App, username: &str, full_name: &str, password: &str) -> Result<()> {
    submit_first_user(app, username, full_name, password).await?;
    app.gone("#first-user-submit").await
}

/// Fill the first-user form and submit it (it may be refused).
pub async fn submit_first_user(app: &App, username: &str, full_name: &str, password: &str) -> Result<()> {
    app.fill("#first-username", username).await?;
    app.fill("#first-full-name", full_name).await?;
    app.fill("#first-password", password).await?;
    app.fill("#first-password-repeat", password).await?;
    app.click("#first-user-submit").await
}

/// The key of `username`, as a laptop of the office gets it: pulled wrapped from the server
/// and opened with `password`.
pub async fn pulled_key(
    client: &loket_sync::Client,
    cred: &loket_sync::Credential,
    username: &str,
    password: &str,
) -> Result<loket_keys::UserKey> {
    let page = client.pull(cred, 0, 1000).await?;
    let record = page
        .changes
        .iter()
        .rev()
        .filter(|c| c.kind == loket_protocol::ChangeKind::User)
        .filter_map(|c| serde_json::from_str::<loket_protocol::UserRecord>(c.data.get()).ok())
        .find(|u| u.username == username)
        .with_context(|| format!("{username} is not among the office's users"))?;
    Ok(loket_keys::UserKey::unwrap(&record.wrapped_key, password)?)
}

/// Take the workflow step `action` on the first application of the list, and wait until its
/// status reads `status`.
pub async fn take_step(app: &App, action: &str, status: &str) -> Result<()> {
    app.click(&format!("#applications tbody tr button[data-action='{action}']")).await?;
    app.find_text("#applications tbody tr .status", status).await?;
    Ok(())
}
