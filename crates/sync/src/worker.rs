//! The background sync task and the status it publishes.
//!
//! The task runs a sync whenever it is woken (after a local change) or its interval passes.
//! When the server cannot be reached it waits with exponential backoff and full jitter (so a
//! province of laptops coming back online at once does not stampede the server), and retries
//! by itself. A too-old app stops retrying until woken: a person must act. A revoked device
//! hands over what the server still accepts from it, then its owner deletes the key and the
//! local data ([`Host::wipe`]) and the task reports that to the server and ends.
//! Status is a plain value behind a lock; the UI reads it whenever it wants.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use tokio::sync::Notify;

use crate::engine::{lock, Engine, Progress, RunReport, SharedStore};
use crate::{Client, Credential, SyncError};

/// A device whose clock is further than this from the server's gets a warning.
pub const CLOCK_SKEW_WARNING_SECONDS: i64 = 5 * 60;

/// What the sync is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum SyncState {
    /// Not enrolled with a server: working offline only.
    NotEnrolled,
    /// Synced; waiting for the next change or interval.
    Idle,
    Syncing,
    /// The server cannot be reached; retrying with backoff.
    Offline,
    /// The server revoked this device.
    Revoked,
    /// The device was revoked and its key and local data are deleted.
    Wiped,
    /// The server needs a newer app.
    UpgradeRequired,
    /// Something else failed; retrying with backoff.
    Failed,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotEnrolled => "not_enrolled",
            Self::Idle => "idle",
            Self::Syncing => "syncing",
            Self::Offline => "offline",
            Self::Revoked => "revoked",
            Self::Wiped => "wiped",
            Self::UpgradeRequired => "upgrade_required",
            Self::Failed => "failed",
        }
    }
}

/// The status the UI shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    pub state: SyncState,
    /// Operations waiting to be sent.
    pub pending: i64,
    /// RFC 3339 time of the last complete sync.
    pub last_success: Option<String>,
    /// Progress of the running sync.
    pub progress: Option<Progress>,
    /// Operations refused or quarantined, open conflicts, duplicate-aid flags.
    pub attention: i64,
    /// Server clock minus device clock, in seconds, when known.
    pub clock_offset_seconds: Option<i64>,
    /// The last error, for people (technical text; the UI words it).
    pub last_error: Option<String>,
    /// Failed attempts since the last success.
    pub failures: u32,
}

impl Default for SyncStatus {
    fn default() -> Self {
        Self {
            state: SyncState::NotEnrolled,
            pending: 0,
            last_success: None,
            progress: None,
            attention: 0,
            clock_offset_seconds: None,
            last_error: None,
            failures: 0,
        }
    }
}

impl SyncStatus {
    /// Whether the device clock is off by more than five minutes.
    pub fn clock_warning(&self) -> bool {
        self.clock_offset_seconds.is_some_and(|s| s.abs() > CLOCK_SKEW_WARNING_SECONDS)
    }
}

/// Timing of the background task.
#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// Between syncs when all is well (to pick up other devices' changes).
    pub interval: Duration,
    /// First retry delay after a failure; doubles per failure.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(15),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(120),
        }
    }
}

/// Delay before retry number `failures` (1-based): uniformly random in
/// `[0, min(max, base · 2^(failures-1))]` ("full jitter"). `unit` is a random number in [0, 1).
pub fn backoff(config: &WorkerConfig, failures: u32, unit: f64) -> Duration {
    let exp = config.backoff_base.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    exp.min(config.backoff_max).mul_f64(unit.clamp(0.0, 1.0))
}

/// What the background task needs from the app that owns the store.
pub trait Host: Send + Sync + 'static {
    /// A sync applied changes from the server (the desktop indexes them for search).
    fn pulled(&self);
    /// The device is revoked and the server holds everything it still accepts from it: delete
    /// the installation's key, then `store`'s data ([`loket_store::Store::wipe`]). Called with
    /// the store held, after checking that nothing waits to be sent, so nothing registered
    /// meanwhile is lost.
    fn wipe(&self, store: &mut loket_store::Store) -> Result<(), String>;
}

/// A handle to the running task: read its status, wake it, be told when it changes.
#[derive(Debug, Clone)]
pub struct WorkerHandle {
    status: Arc<Mutex<SyncStatus>>,
    wake: Arc<Notify>,
    /// Runs started and finished, and a signal at each finish ([`WorkerHandle::sync_and_wait`]).
    started: Arc<AtomicU64>,
    finished: Arc<AtomicU64>,
    done: Arc<Notify>,
    /// Bumped at every change of the status (the window is told instead of asking).
    changes: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for WorkerHandle {
    fn default() -> Self {
        Self {
            status: Arc::default(),
            wake: Arc::default(),
            started: Arc::default(),
            finished: Arc::default(),
            done: Arc::default(),
            changes: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }
}

/// Tells its holder when the sync status changed ([`WorkerHandle::watch`]).
#[derive(Debug)]
pub struct StatusWatch(tokio::sync::watch::Receiver<u64>);

impl StatusWatch {
    /// Wait for the next change (changes made meanwhile are told at once); `false` once the
    /// worker is gone.
    pub async fn changed(&mut self) -> bool {
        self.0.changed().await.is_ok()
    }
}

impl WorkerHandle {
    /// Be told of every change of the status from now on.
    pub fn watch(&self) -> StatusWatch {
        StatusWatch(self.changes.subscribe())
    }

    pub fn status(&self) -> SyncStatus {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sync as soon as possible (after a local change, or the user asked).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sync now and wait for a run that started after this call to finish; its status. (Before
    /// an update is installed: everything registered so far goes to the server first.) Waits
    /// for as long as it takes; callers bound it.
    pub async fn sync_and_wait(&self) -> SyncStatus {
        let target = self.started.load(Ordering::SeqCst) + 1;
        self.wake();
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.finished.load(Ordering::SeqCst) >= target {
                return self.status();
            }
            notified.await;
        }
    }

    fn update(&self, f: impl FnOnce(&mut SyncStatus)) {
        let changed = {
            let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
            let before = status.clone();
            f(&mut status);
            *status != before
        };
        if changed {
            self.changes.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

/// A small xorshift generator for jitter (no need for cryptographic randomness).
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        let seed = Utc::now().timestamp_nanos_opt().unwrap_or(1) as u64 ^ std::process::id() as u64;
        Self(seed | 1)
    }
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The engine for the store's enrollment, if the device is enrolled.
fn engine_for(store: &SharedStore, app_version: &str) -> Result<Option<Engine>, SyncError> {
    let Some(e) = lock(store).enrollment()? else { return Ok(None) };
    let client = Client::new(&e.server_url)?;
    Ok(Some(Engine::new(client, Credential { token: e.token, office_code: e.office_code }, app_version)))
}

fn refresh_counts(store: &SharedStore, handle: &WorkerHandle) {
    let counts = {
        let s = lock(store);
        (s.pending_count(), s.attention_count())
    };
    if let (Ok(pending), Ok(attention)) = counts {
        handle.update(|st| {
            st.pending = pending;
            st.attention = attention;
        });
    }
}

/// Run one sync now and record its outcome in the status. Returns the error, if any.
pub async fn sync_once(
    store: &SharedStore,
    handle: &WorkerHandle,
    app_version: &str,
) -> Result<RunReport, SyncError> {
    handle.started.fetch_add(1, Ordering::SeqCst);
    let result = run_once(store, handle, app_version).await;
    handle.finished.fetch_add(1, Ordering::SeqCst);
    handle.done.notify_waiters();
    result
}

async fn run_once(
    store: &SharedStore,
    handle: &WorkerHandle,
    app_version: &str,
) -> Result<RunReport, SyncError> {
    let engine = match engine_for(store, app_version) {
        Ok(Some(e)) => e,
        Ok(None) => {
            handle.update(|st| st.state = SyncState::NotEnrolled);
            refresh_counts(store, handle);
            return Ok(RunReport::default());
        }
        Err(e) => return Err(e),
    };
    // What waits to be sent, as the sync starts (the status bar shows it while a push is out).
    refresh_counts(store, handle);
    handle.update(|st| {
        st.state = SyncState::Syncing;
        st.progress = Some(Progress::default());
    });
    let h = handle.clone();
    let result = engine.run(store, &move |p| h.update(|st| st.progress = Some(p))).await;
    handle.update(|st| {
        st.progress = None;
        match &result {
            Ok(r) => {
                st.state = SyncState::Idle;
                st.failures = 0;
                st.last_error = None;
                st.last_success = Some(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true));
                if let Some(ms) = r.clock_offset_ms {
                    st.clock_offset_seconds = Some(ms / 1000);
                }
            }
            Err(e) => {
                st.failures += 1;
                st.last_error = Some(e.to_string());
                st.state = match e {
                    SyncError::Unreachable(_) => SyncState::Offline,
                    SyncError::Revoked | SyncError::HandedOver | SyncError::Unauthenticated => {
                        SyncState::Revoked
                    }
                    SyncError::UpgradeRequired { .. } => SyncState::UpgradeRequired,
                    _ => SyncState::Failed,
                };
            }
        }
    });
    refresh_counts(store, handle);
    result
}

/// After [`SyncError::HandedOver`]: when nothing waits to be sent, have the host delete the
/// key and the local data, in one hold of the store. Returns the credential to report the wipe
/// with, or `None` when work arrived meanwhile (sync again first).
pub async fn retire(
    store: &SharedStore,
    handle: &WorkerHandle,
    host: Arc<dyn Host>,
) -> Result<Option<(Client, Credential)>, SyncError> {
    let store = store.clone();
    let retired = tokio::task::spawn_blocking(move || -> Result<_, SyncError> {
        let mut s = lock(&store);
        let Some(e) = s.enrollment()? else { return Ok(None) };
        if s.pending_count()? > 0 {
            return Ok(None);
        }
        host.wipe(&mut s).map_err(SyncError::Wipe)?;
        Ok(Some(e))
    })
    .await
    .map_err(|e| SyncError::Protocol(format!("store task: {e}")))??;
    let Some(e) = retired else { return Ok(None) };
    handle.update(|st| {
        *st = SyncStatus { state: SyncState::Wiped, ..SyncStatus::default() };
    });
    tracing::warn!("device revoked: key and local data deleted");
    Ok(Some((Client::new(&e.server_url)?, Credential { token: e.token, office_code: e.office_code })))
}

/// Tell the server about the wipe, retrying with backoff while the network is down (the
/// credential lives only in memory now: a restart forgets it, and IT sees the device as
/// revoked, not wiped).
async fn report_wipe(client: &Client, cred: &Credential, config: &WorkerConfig, jitter: &mut Jitter) {
    let mut failures = 0;
    loop {
        match client.report_wiped(cred).await {
            Ok(()) => {
                tracing::info!("wipe reported to the server");
                return;
            }
            Err(e) if e.is_transient() => {
                failures += 1;
                tokio::time::sleep(backoff(config, failures, jitter.unit())).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the server did not take the wipe report");
                return;
            }
        }
    }
}

/// Start the background task: returns its handle and the future to spawn on a tokio runtime.
/// The task ends once a revoked device is wiped and has said so.
pub fn start(
    store: SharedStore,
    config: WorkerConfig,
    app_version: String,
    host: Arc<dyn Host>,
) -> (WorkerHandle, impl std::future::Future<Output = ()> + Send + 'static) {
    let handle = WorkerHandle::default();
    let h = handle.clone();
    let task = async move {
        let mut jitter = Jitter::new();
        loop {
            let wait = match sync_once(&store, &h, &app_version).await {
                Ok(report) => {
                    if report.pulled > 0 {
                        host.pulled();
                    }
                    config.interval
                }
                Err(SyncError::HandedOver) => match retire(&store, &h, host.clone()).await {
                    Ok(Some((client, cred))) => {
                        report_wipe(&client, &cred, &config, &mut jitter).await;
                        return;
                    }
                    // Work registered meanwhile: hand it over first.
                    Ok(None) => Duration::ZERO,
                    Err(e) => {
                        tracing::error!(error = %e, "deleting the revoked device's data failed");
                        h.update(|st| st.last_error = Some(e.to_string()));
                        backoff(&config, h.status().failures.max(1), jitter.unit())
                    }
                },
                Err(e) if e.is_transient() || matches!(e, SyncError::Store(_)) => {
                    let failures = h.status().failures;
                    let d = backoff(&config, failures, jitter.unit());
                    tracing::info!(failures, wait_ms = d.as_millis() as u64, error = %e, "sync failed; retrying");
                    d
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sync stopped until woken");
                    Duration::from_secs(3600)
                }
            };
            tokio::select! {
                _ = h.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    };
    (handle, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_below_it() {
        let c = WorkerConfig {
            interval: Duration::from_secs(15),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        };
        assert_eq!(backoff(&c, 1, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(&c, 3, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(&c, 7, 1.0), Duration::from_secs(60), "capped");
        assert_eq!(backoff(&c, 40, 1.0), Duration::from_secs(60), "no overflow");
        assert_eq!(backoff(&c, 3, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(&c, 3, 0.0), Duration::ZERO);
    }

    #[test]
    fn jitter_stays_in_the_unit_interval() {
        let mut j = Jitter(12345);
        for _ in 0..10_000 {
            let u = j.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn clock_warning_after_five_minutes_either_way() {
        let mut s = SyncStatus::default();
        assert!(!s.clock_warning());
        s.clock_offset_seconds = Some(300);
        assert!(!s.clock_warning());
        s.clock_offset_seconds = Some(-301);
        assert!(s.clock_warning());
    }
}
