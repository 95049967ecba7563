//! `loket-server`: the provincial server and IT's admin commands.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use loket_server::api::{self, ApiConfig};
use loket_server::config::{Config, FileConfig, Flags};
use loket_server::retention::Policy;
use loket_server::{admin, backup, open_storage};

/// mimalloc instead of glibc's malloc: a push allocates and frees millions of small JSON
/// nodes, and glibc's allocator was a fifth of the server's CPU doing it (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "loket-server", version, about = "Loket provincial server")]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "LOKET_CONFIG")]
    config: Option<PathBuf>,
    /// `postgres://…` URL, or a SQLite file path (default: loket-server.sqlite3).
    #[arg(long, global = true, env = "DATABASE_URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        /// Address to listen on (port 0 picks a free port; the address is printed).
        #[arg(long, env = "LOKET_LISTEN")]
        listen: Option<String>,
        /// PEM certificate chain: serve HTTPS (with --tls-key).
        #[arg(long, env = "LOKET_TLS_CERT")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of the certificate.
        #[arg(long, env = "LOKET_TLS_KEY")]
        tls_key: Option<PathBuf>,
    },
    /// Manage offices.
    #[command(subcommand)]
    Office(OfficeCmd),
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Issue a one-time enrollment code for a device of an office.
    EnrollCode {
        #[arg(long)]
        office: String,
        /// Link the laptop's first local user (created before enrollment) to this account of
        /// the office; its work before enrollment is then accepted.
        #[arg(long)]
        user: Option<String>,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 24)]
        hours: i64,
    },
    /// Manage enrolled devices.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Who looked at a citizen's data: views of their applications, attachments opened, and
    /// searches for their NIK or KK (matched by keyed hash), oldest first.
    Audit {
        /// The NIK or KK number (16 digits; dots, dashes and spaces are ignored).
        #[arg(long)]
        nik: String,
        /// How far back, in days.
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// The monthly recap across offices: applications registered in the month (WIB) per
    /// kecamatan, by status, with fees.
    Report {
        /// `YYYY-MM`.
        #[arg(long)]
        month: String,
        /// A kabupaten/kota (`36.01`) or one kecamatan (`36.01.01`); the whole province when
        /// omitted.
        #[arg(long, default_value = "36")]
        region: String,
    },
    /// Check a receipt's QR code (what a scanner reads from it): genuine, altered, or signed by
    /// a device the province did not certify. Exits 0 only when genuine.
    Verify {
        /// The scanned text (`LKT2.…`); `-` reads it from standard input.
        payload: String,
    },
    /// Remove the personal data of records past their retention period (docs/RETENTION.md).
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// Signed app releases for the laptops: publish, roll out, stop (docs/UPDATES.md).
    #[command(subcommand)]
    Release(ReleaseCmd),
    /// The holiday calendars the service standards count (docs/CALENDAR.md).
    #[command(subcommand)]
    Holiday(HolidayCmd),
    /// The PATEN service catalogue (docs/CATALOGUE.md).
    #[command(subcommand)]
    Catalogue(CatalogueCmd),
    /// Aid across kecamatan (the provincial view).
    #[command(subcommand)]
    Aid(AidCmd),
    /// Back up the server's data, attachments included, to a file (while it serves; SQLite:
    /// online backup, PostgreSQL: pg_dump), checked before it is complete.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Check a backup file: readable, sound, and what it holds.
    CheckBackup {
        #[arg(long)]
        file: PathBuf,
    },
    /// Restore the server's data from a backup (stop the server first). Devices then send
    /// again what the backup lacks.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum AidCmd {
    /// Duplicate-aid pairs: both kecamatan, their registration numbers, programme and period.
    /// An office quotes the reference its window shows (`DUP-…`).
    Duplicates {
        #[arg(long)]
        reference: Option<String>,
        /// Only pairs touching this office.
        #[arg(long)]
        office: Option<String>,
    },
}

#[derive(Subcommand)]
enum OfficeCmd {
    /// Create the offices of all 155 kecamatan of Banten.
    ImportBanten,
    /// Create one office by kecamatan code (e.g. 36.01.01).
    Add { code: String },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user; the password is read from LOKET_PASSWORD or the first line of stdin.
    Add {
        #[arg(long)]
        office: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        full_name: String,
        /// Comma-separated: clerk, supervisor, admin.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// NIP / NI PPPK of the staff member the account belongs to: when an office's laptop
        /// deactivates that staff record, or transfers the member away, the account is
        /// deactivated too.
        #[arg(long)]
        nip: Option<String>,
    },
    /// Say which staff member (NIP / NI PPPK) an existing account belongs to.
    Link {
        #[arg(long)]
        username: String,
        #[arg(long)]
        nip: String,
    },
    /// A forgotten password: a new password (LOKET_PASSWORD or stdin) and a new signing key.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
    /// Change a password, keeping the user's key: the current password from
    /// LOKET_OLD_PASSWORD or the first line of stdin, the new one from LOKET_PASSWORD or the next.
    ChangePassword {
        #[arg(long)]
        username: String,
    },
    /// Users: office, username, roles, active or deactivated.
    List {
        /// Only this office's users.
        #[arg(long)]
        office: Option<String>,
    },
    /// Deactivate a user who left: no more logins, decisions in their name are refused, and the
    /// office's laptops drop them on their next sync.
    Deactivate {
        #[arg(long)]
        username: String,
    },
    /// Reactivate a deactivated user.
    Reactivate {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum ReleaseCmd {
    /// Publish a release: a bundle per platform, each with its signature beside it
    /// (`<file>.sig`). It starts at `--rollout` percent of the laptops (0: none until promoted).
    Publish {
        #[arg(long)]
        version: String,
        #[arg(long, default_value = "")]
        notes: String,
        /// PLATFORM=FILE, e.g. linux-x86_64=loket_0.2.0_amd64.deb (repeatable).
        #[arg(long = "artifact", required = true)]
        artifacts: Vec<String>,
        #[arg(long, default_value_t = 0)]
        rollout: u8,
        /// Only these kabupaten/kota or kecamatan (dotted codes, comma-separated).
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
    },
    /// Trust the public key releases are signed with (the `.pub` file of `tauri signer
    /// generate`; the same key as `plugins.updater.pubkey` in the app's tauri.conf.json).
    TrustKey { file: std::path::PathBuf },
    /// Releases with their state, rollout and progress (offered, downloaded, installed).
    List,
    /// Offer a release to nobody for now.
    Pause { version: String },
    /// Offer a paused release again.
    Resume { version: String },
    /// Widen (or narrow) a release's rollout.
    Promote {
        version: String,
        #[arg(long)]
        rollout: u8,
    },
    /// Withdraw a release for good.
    Yank { version: String },
    /// Refuse sync to apps older than this version (426; the window offers the update).
    Minimum { version: String },
}

#[derive(Subcommand)]
enum HolidayCmd {
    /// Check a calendar file (CSV: date,kind,name) without loading it.
    Check {
        #[arg(long)]
        file: std::path::PathBuf,
        /// A kabupaten/kota's own holidays (kind libur_daerah); without it, the national calendar.
        #[arg(long)]
        regency: Option<String>,
    },
    /// Load a calendar file: it replaces the days of the years it covers, and every office
    /// concerned is told what changed through sync.
    Load {
        #[arg(long)]
        file: std::path::PathBuf,
        /// A kabupaten/kota's own holidays (kind libur_daerah); without it, the national calendar.
        #[arg(long)]
        regency: Option<String>,
    },
    /// The published days, with each kabupaten/kota's cuti bersama setting.
    List,
    /// Whether cuti bersama counts as a working day for the service standard in a kabupaten/kota
    /// (by default it does not: the clock stops on cuti bersama).
    Policy {
        #[arg(long)]
        regency: String,
        #[arg(long, value_enum)]
        cuti_bersama: CutiBersama,
    },
}

#[derive(Subcommand)]
enum CatalogueCmd {
    /// Check a catalogue file (JSON) before it is published: every problem is listed.
    Check {
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// Publish a checked catalogue version to the offices it covers (a published version never
    /// changes: a new one has a higher version).
    Publish {
        #[arg(long)]
        file: std::path::PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CutiBersama {
    /// Offices serve on cuti bersama: the service clock runs.
    Working,
    /// The service clock stops on cuti bersama.
    Off,
}

#[derive(Subcommand)]
enum RetentionCmd {
    /// Redact the applications past their period (on the server, then on every laptop through
    /// sync) and delete old access records. Defaults: permits and bansos 5 years after they are
    /// finished, hibah 10 years, unsubmitted drafts 90 days, access records 2 years.
    Run {
        /// Count what is due; change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, default_value_t = Policy::default().permit_days)]
        permit_days: u32,
        #[arg(long, default_value_t = Policy::default().bansos_days)]
        bansos_days: u32,
        #[arg(long, default_value_t = Policy::default().hibah_days)]
        hibah_days: u32,
        #[arg(long, default_value_t = Policy::default().draft_days)]
        draft_days: u32,
        #[arg(long, default_value_t = Policy::default().access_days)]
        access_days: u32,
    },
}

#[derive(Subcommand)]
enum DeviceCmd {
    /// List devices: office, last sync, app version, pending operations reported, and how many
    /// of their operations were refused (by code).
    List,
    /// Revoke a device: it gets 401 from then on.
    Revoke { id: String },
}

async fn release_command(storage: &dyn loket_server::storage::Storage, cmd: ReleaseCmd) -> Result<()> {
    use loket_server::rules::release::ReleaseState as S;
    use loket_server::updates;
    match cmd {
        ReleaseCmd::Publish { version, notes, artifacts, rollout, regions } => {
            updates::publish(storage, &version, &notes, &artifacts, rollout, &regions).await?;
            println!("release {version} published at {rollout}% (promote it with `release promote`)");
        }
        ReleaseCmd::TrustKey { file } => {
            let key = std::fs::read_to_string(&file).with_context(|| format!("{}", file.display()))?;
            let id = updates::trust_key(storage, &key).await?;
            println!("releases must now be signed by key {id}");
        }
        ReleaseCmd::List => {
            println!(
                "{:<12} {:<7} {:>4}  {:<20} {:<27} progress",
                "version", "state", "pct", "regions", "published"
            );
            for r in storage.releases().await? {
                let counts = storage.rollout_counts(&r.version).await?;
                let progress: Vec<String> = counts.iter().map(|(e, n)| format!("{e} {n}")).collect();
                let regions = if r.regions.is_empty() { "all".to_string() } else { r.regions.join(",") };
                println!(
                    "{:<12} {:<7} {:>3}%  {:<20} {:<27} {}",
                    r.version,
                    r.state.as_str(),
                    r.percent,
                    regions,
                    r.published_at,
                    progress.join(", ")
                );
            }
            if let Some(min) = storage.minimum_app_version().await? {
                println!("minimum app version: {min}");
            }
            match storage.release_key().await? {
                Some(key) => println!("signing key: {}", loket_server::release_key::key_id(&key)?),
                None => println!("signing key: none trusted yet (release trust-key)"),
            }
        }
        ReleaseCmd::Pause { version } => updates::update(storage, &version, Some(S::Paused), None).await?,
        ReleaseCmd::Resume { version } => updates::update(storage, &version, Some(S::Active), None).await?,
        ReleaseCmd::Promote { version, rollout } => {
            updates::update(storage, &version, None, Some(rollout)).await?
        }
        ReleaseCmd::Yank { version } => updates::update(storage, &version, Some(S::Yanked), None).await?,
        ReleaseCmd::Minimum { version } => {
            let v = semver::Version::parse(version.trim_start_matches('v'))
                .with_context(|| format!("{version:?} is not a version"))?;
            storage.set_minimum_app_version(&v.to_string()).await?;
            println!("apps older than {v} are refused sync (426) and offered the update");
        }
    }
    Ok(())
}

async fn holiday_command(storage: &dyn loket_server::storage::Storage, cmd: HolidayCmd) -> Result<()> {
    use loket_server::holidays;
    let read = |file: &std::path::Path| {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
    };
    match cmd {
        // Checked before any storage is opened (a check needs none).
        HolidayCmd::Check { .. } => {}
        HolidayCmd::Load { file, regency } => {
            let p = holidays::load(storage, &read(&file)?, regency.as_deref()).await?;
            println!(
                "{} days loaded for {}; {} offices told {} calendar changes",
                p.days,
                regency.as_deref().unwrap_or("the whole province"),
                p.offices,
                p.changes
            );
        }
        HolidayCmd::List => {
            for d in storage.holidays().await? {
                println!("{:<6} {}  {:<15} {}", d.region, d.day, d.kind.as_str(), d.name);
            }
            for (regency, working) in storage.holiday_policies().await? {
                let what = if working { "a working day" } else { "off" };
                println!("{regency}: cuti bersama is {what}");
            }
        }
        HolidayCmd::Policy { regency, cuti_bersama } => {
            let working = matches!(cuti_bersama, CutiBersama::Working);
            let p = holidays::policy(storage, &regency, working).await?;
            println!("{regency}: {} offices told {} calendar changes", p.offices, p.changes);
        }
    }
    Ok(())
}

fn read_password() -> Result<String> {
    read_secret("LOKET_PASSWORD")
}

/// A secret from `var`, or else the next line of stdin.
fn read_secret(var: &str) -> Result<String> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let file = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let mut flags = Flags { database: cli.database.clone(), ..Flags::default() };
    if let Command::Serve { listen, tls_cert, tls_key } = &cli.command {
        flags =
            Flags { listen: listen.clone(), tls_cert: tls_cert.clone(), tls_key: tls_key.clone(), ..flags };
    }
    let config = Config::resolve(flags, file)?;
    let postgres = config.database.starts_with("postgres://") || config.database.starts_with("postgresql://");
    match &cli.command {
        Command::Holiday(HolidayCmd::Check { file, regency }) => {
            let text =
                std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            let days = loket_server::holidays::check(&text, regency.as_deref())?;
            println!("{}: {} days, no errors", file.display(), days.len());
            return Ok(());
        }
        Command::Catalogue(CatalogueCmd::Check { file }) => {
            let text =
                std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            match loket_domain::catalogue::parse(&text) {
                Ok(c) => println!(
                    "{}: catalogue of {} version {} from {}, {} services, no errors",
                    file.display(),
                    c.region,
                    c.version,
                    c.effective_from,
                    c.services.len()
                ),
                Err(errors) => anyhow::bail!("the catalogue file has errors:\n{}", errors.join("\n")),
            }
            return Ok(());
        }
        Command::Backup { to } => {
            let summary = if postgres {
                backup::backup_postgres(&config.database, to)?
            } else {
                backup::backup_sqlite(std::path::Path::new(&config.database), to)?
            };
            println!("backup written to {}: {summary}", to.display());
            return Ok(());
        }
        Command::CheckBackup { file } => {
            let summary = if postgres { backup::check_postgres(file)? } else { backup::check_sqlite(file)? };
            println!("{} is a sound backup: {summary}", file.display());
            return Ok(());
        }
        Command::Restore { from } => {
            let restored = if postgres {
                backup::restore_postgres(from, &config.database).await?
            } else {
                backup::restore_sqlite(from, std::path::Path::new(&config.database)).await?
            };
            println!(
                "restored from {}: {}; new data epoch {}",
                from.display(),
                restored.summary,
                restored.epoch
            );
            if let Some(previous) = restored.previous {
                println!("the database it replaced is kept at {}", previous.display());
            }
            println!("devices will send again what the backup lacks at their next sync");
            return Ok(());
        }
        _ => {}
    }
    // A server serving a SQLite file holds its lock: `restore` cannot run under it.
    let _serving = match (&cli.command, postgres) {
        (Command::Serve { .. }, false) => Some(backup::lock_serving(std::path::Path::new(&config.database))?),
        (Command::Serve { .. }, true) => Some(backup::lock_serving_postgres(&config.database, true).await?),
        _ => None,
    };
    let storage = open_storage(&config.database).await.context("opening storage")?;

    match cli.command {
        Command::Serve { .. } => {
            let durability = storage.durability().await?;
            if !durability.durable {
                bail!("storage is not durable ({}); refusing to acknowledge writes", durability.setting);
            }
            tracing::info!(backend = storage.backend(), durability = %durability.setting, "storage ready");
            let router = api::router(
                storage,
                ApiConfig {
                    body_limit: config.body_limit_bytes,
                    auth_rate_limit: config.auth_rate_limit_per_minute,
                    auth_rate_window: Duration::from_secs(60),
                    trusted_proxies: config.trusted_proxies.clone(),
                    lockout: loket_server::lockout::LockoutPolicy::default(),
                    sync_rate_limit: config.sync_rate_limit_per_minute,
                },
            );
            let tls = match &config.tls {
                Some((cert, key)) => Some(loket_server::tls::load(cert, key)?),
                None => None,
            };
            let listener = tokio::net::TcpListener::bind(&config.listen)
                .await
                .with_context(|| format!("binding {}", config.listen))?;
            let addr = listener.local_addr()?;
            if tls.is_none() && !addr.ip().is_loopback() && !config.allow_plain_http {
                bail!(
                    "refusing to serve plain HTTP on {addr}: give tls_cert and tls_key to serve HTTPS, or, \
                     behind a reverse proxy that terminates TLS, set allow_plain_http = true and trusted_proxies"
                );
            }
            println!("listening on {addr}");
            let limits = config.limits.clone();
            tracing::info!(max_connections = limits.max_connections, header_timeout = ?limits.header_timeout, "connection limits");
            match tls {
                Some(tls) => {
                    tracing::info!(%addr, "serving HTTPS");
                    let listener = loket_server::tls::TlsListener::new(listener, tls)?;
                    loket_server::serve::serve(listener, router, limits.clone(), shutdown_signal()).await;
                }
                None => {
                    tracing::info!(%addr, "serving plain HTTP");
                    // Answers go out at once: no Nagle delay on small JSON responses.
                    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                        if let Err(e) = tcp.set_nodelay(true) {
                            tracing::debug!(error = %e, "TCP_NODELAY not set");
                        }
                    });
                    loket_server::serve::serve(listener, router, limits, shutdown_signal()).await;
                }
            }
            tracing::info!("server stopped");
        }
        Command::Office(OfficeCmd::ImportBanten) => {
            println!("{} offices", admin::import_banten(storage.as_ref()).await?);
        }
        Command::Office(OfficeCmd::Add { code }) => {
            println!("{}", admin::add_office(storage.as_ref(), &code).await?);
        }
        Command::User(UserCmd::Add { office, username, full_name, roles, nip }) => {
            let password = read_password()?;
            let u = admin::add_user(
                storage.as_ref(),
                &office,
                &username,
                &full_name,
                &roles,
                &password,
                nip.as_deref(),
            )
            .await?;
            println!("user {} ({}) created for office {}", u.username, u.roles.join(","), u.office_code);
        }
        Command::User(UserCmd::Link { username, nip }) => {
            let u = admin::link_staff(storage.as_ref(), &username, &nip).await?;
            println!("user {} belongs to the staff member of NIP {}", u.username, u.nip.unwrap_or_default());
        }
        Command::User(UserCmd::ResetPassword { username }) => {
            admin::reset_password(storage.as_ref(), &username, &read_password()?).await?;
            println!("password of {username} reset; a new signing key was issued");
        }
        Command::User(UserCmd::ChangePassword { username }) => {
            let old = read_secret("LOKET_OLD_PASSWORD")?;
            let new = read_password()?;
            admin::change_password(storage.as_ref(), &username, &old, &new).await?;
            println!("password of {username} changed");
        }
        Command::User(UserCmd::List { office }) => {
            println!("{:<9} {:<24} {:<28} {:<24} status", "office", "username", "full name", "roles");
            for u in admin::users(storage.as_ref(), office.as_deref()).await? {
                let status = if u.active { "active" } else { "deactivated" };
                let roles = u.roles.join(",");
                println!("{:<9} {:<24} {:<28} {roles:<24} {status}", u.office_code, u.username, u.full_name);
            }
        }
        Command::User(UserCmd::Deactivate { username }) => {
            admin::set_active(storage.as_ref(), &username, false).await?;
            println!("user {username} deactivated");
        }
        Command::User(UserCmd::Reactivate { username }) => {
            admin::set_active(storage.as_ref(), &username, true).await?;
            println!("user {username} reactivated");
        }
        Command::EnrollCode { office, user, hours } => {
            println!(
                "{}",
                admin::issue_linking_code(storage.as_ref(), &office, user.as_deref(), hours).await?
            );
        }
        Command::Device(DeviceCmd::List) => {
            println!(
                "{:<36}  {:<9} {:<5} {:<12} {:>7}  {:<27} {:<8} {:<27} refused",
                "id", "office", "code", "version", "pending", "last sync", "status", "wiped at"
            );
            for v in admin::devices(storage.as_ref()).await? {
                let d = &v.device;
                println!(
                    "{:<36}  {:<9} {:<5} {:<12} {:>7}  {:<27} {:<8} {:<27} {}",
                    d.id,
                    d.office_code,
                    d.device_code,
                    d.app_version,
                    d.pending_reported,
                    d.last_sync_at.as_deref().unwrap_or("-"),
                    match (&d.wiped_at, d.revoked) {
                        (Some(_), _) => "wiped",
                        (None, true) => "revoked",
                        (None, false) => "active",
                    },
                    d.wiped_at.as_deref().unwrap_or("-"),
                    v.refusal_summary()
                );
            }
        }
        Command::Aid(AidCmd::Duplicates { reference, office }) => {
            let pairs = admin::duplicates(storage.as_ref(), reference.as_deref(), office.as_deref()).await?;
            println!(
                "{:<12}  {:<4} {:<12} {:<7} {:<9} {:<20} {:<9} {:<20} flagged",
                "reference", "by", "programme", "period", "office", "number", "office", "number"
            );
            for (r, p) in &pairs {
                println!(
                    "{:<12}  {:<4} {:<12} {:<7} {:<9} {:<20} {:<9} {:<20} {}",
                    r,
                    p.reason,
                    p.programme,
                    p.period.as_deref().unwrap_or("-"),
                    p.office_code,
                    p.registration_number.as_deref().unwrap_or("-"),
                    p.other_office_code,
                    p.other_registration_number.as_deref().unwrap_or("-"),
                    p.created_at
                );
            }
            if pairs.is_empty() {
                println!("(none)");
            }
        }
        Command::Retention(RetentionCmd::Run {
            dry_run,
            permit_days,
            bansos_days,
            hibah_days,
            draft_days,
            access_days,
        }) => {
            let policy = Policy { permit_days, bansos_days, hibah_days, draft_days, access_days };
            let report =
                loket_server::retention::run(storage.as_ref(), &policy, chrono::Utc::now(), dry_run).await?;
            let verb = if dry_run { "due" } else { "redacted" };
            for (kind, n) in &report.redacted {
                println!("{kind:<7} {n:>7} {verb}");
            }
            if !dry_run {
                println!("access  {:>7} records deleted", report.access_pruned);
            }
        }
        Command::Release(cmd) => release_command(storage.as_ref(), cmd).await?,
        Command::Holiday(cmd) => holiday_command(storage.as_ref(), cmd).await?,
        Command::Catalogue(CatalogueCmd::Publish { file }) => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let offices = loket_server::catalogues::publish(storage.as_ref(), &text).await?;
            println!("{}: published to {offices} offices", file.display());
        }
        // Checked before any storage is opened (a check needs none).
        Command::Catalogue(CatalogueCmd::Check { .. }) => {}
        Command::Report { month, region } => {
            let rows = loket_server::reports::recap(storage.as_ref(), &month, &region).await?;
            println!("Applications registered in {month} (WIB), offices under {region}:");
            print!("{}", loket_server::reports::table(&rows));
        }
        Command::Verify { payload } => {
            let payload = if payload == "-" { std::io::read_to_string(std::io::stdin())? } else { payload };
            let r = loket_server::receipts::verify(storage.as_ref(), &payload).await?;
            println!("{}", loket_server::receipts::verdict_text(r.verdict));
            if let Some(c) = &r.claim {
                println!("number:    {}", c.number.as_deref().unwrap_or("(draft)"));
                println!("office:    {}", c.office);
                println!("service:   {}", c.service);
                println!("name:      {}", c.name);
                println!("nik:       {}", c.nik_masked.as_deref().unwrap_or("-"));
                println!("issued:    {}", c.issued_at);
                println!("issued by: {} ({})", r.issued_by.as_deref().unwrap_or("?"), c.user);
                println!("device:    {}", r.device.as_deref().or(c.device.as_deref()).unwrap_or("-"));
                println!("on server: {}", if r.known_to_server { "yes" } else { "not yet" });
                if let Some(at) = &r.device_revoked_at {
                    println!("warning:   {}", loket_server::receipts::revoked_text(at));
                }
            }
            if r.verdict != loket_protocol::ReceiptVerdict::Genuine {
                std::process::exit(2);
            }
        }
        Command::Audit { nik, days } => {
            let rows = admin::audit(storage.as_ref(), &nik, days).await?;
            println!(
                "{:<27}  {:<9} {:<6} {:<16} {:<17} {:<20} attachment",
                "received", "office", "device", "user", "action", "application"
            );
            for r in &rows {
                println!(
                    "{:<27}  {:<9} {:<6} {:<16} {:<17} {:<20} {}",
                    r.received_at,
                    r.office_code,
                    r.device_code.as_deref().unwrap_or("-"),
                    r.username,
                    r.action,
                    r.registration_number.as_deref().or(r.application_id.as_deref()).unwrap_or("-"),
                    r.attachment.as_deref().unwrap_or("-")
                );
            }
            if rows.is_empty() {
                println!("(none in the last {days} days)");
            }
        }
        Command::Device(DeviceCmd::Revoke { id }) => {
            if !admin::revoke(storage.as_ref(), &id).await? {
                bail!("no active device {id}");
            }
            println!("device {id} revoked");
        }
        Command::Backup { .. } | Command::CheckBackup { .. } | Command::Restore { .. } => {
            unreachable!("handled before the storage is opened")
        }
    }
    Ok(())
}
