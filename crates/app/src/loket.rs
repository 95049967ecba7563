//! The installation the shell holds, and what every use case shares: the store, the acting
//! user, and the one way an application is changed. The use cases are `impl Loket` blocks in
//! modules of their own (`session`, `registration`, `decisions`, `staff`, `catalogue`,
//! `server_link`, `attachments`, `listing`); how a stored record is shown is `present`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use loket_store::{Actor, Application, Store};

use crate::dto::ApplicationDto;
use crate::indexer::Indexer;
use crate::present;
use crate::{AppError, KeySource};

/// One running Loket installation: its data directory and its store.
pub struct Loket {
    /// Shared with the background sync task.
    pub(crate) store: Arc<Mutex<Store>>,
    /// The background sync task, once started.
    pub(crate) sync: OnceLock<loket_sync::worker::WorkerHandle>,
    /// Indexes new applications for search right after they are saved.
    pub(crate) indexer: Option<Indexer>,
    pub(crate) data_dir: PathBuf,
    /// Where the data key is kept (deleted when a revoked device wipes its data).
    pub(crate) keys: KeySource,
    /// The device was revoked and its data deleted: every command is refused.
    pub(crate) wiped: Arc<AtomicBool>,
    /// The last search for a whole NIK or KK that was recorded (`listing`).
    pub(crate) last_number_search: Mutex<crate::listing::LastNumberSearch>,
    /// Who is at the counter, and whether the session is locked.
    pub(crate) session: Mutex<Session>,
    /// A logged-in session locks after this long without the user doing anything.
    pub(crate) idle_lock: Duration,
    /// Aid and grant decisions ask for the password again when it was last entered longer ago.
    pub(crate) reauth_after: Duration,
    /// Server address suggested for enrollment.
    pub(crate) default_server_url: Option<String>,
    /// Where reports are exported (default: `ekspor/` in the data directory).
    pub(crate) export_dir: Option<PathBuf>,
}

impl Loket {
    /// Open the installation in `data_dir` (created if missing), its data encrypted under the
    /// key `keys` keeps (made on first start).
    pub fn open(data_dir: &Path, keys: &KeySource) -> Result<Self, AppError> {
        let key = keys.load_or_create(data_dir)?;
        let store = Store::open_in_dir(data_dir, &key)?;
        tracing::info!(path = %store.path().display(), "opened local store");
        let store = Arc::new(Mutex::new(store));
        Ok(Self {
            indexer: Indexer::start(store.clone()),
            store,
            sync: OnceLock::new(),
            data_dir: data_dir.to_path_buf(),
            keys: keys.clone(),
            wiped: Arc::new(AtomicBool::new(false)),
            last_number_search: Mutex::new(None),
            session: Mutex::new(Session::default()),
            idle_lock: DEFAULT_IDLE_LOCK,
            reauth_after: DEFAULT_REAUTH,
            default_server_url: None,
            export_dir: None,
        })
    }

    /// Export reports to `dir` (the shell passes the user's downloads folder).
    pub fn with_export_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.export_dir = dir;
        self
    }

    /// Suggest this server address when enrolling (the shell passes `LOKET_SERVER_URL`).
    pub fn with_default_server_url(mut self, url: Option<String>) -> Self {
        self.default_server_url = url.filter(|u| !u.trim().is_empty());
        self
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to keep using.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lock the session after `idle` without activity (the shell passes
    /// `LOKET_IDLE_LOCK_SECONDS`; ten minutes by default).
    pub fn with_idle_lock(mut self, idle: Duration) -> Self {
        self.idle_lock = idle;
        self
    }

    /// Ask for the password again before an aid or grant decision when it was last entered
    /// longer than `after` ago (the shell passes `LOKET_REAUTH_SECONDS`; 15 minutes by default).
    pub fn with_reauth_after(mut self, after: Duration) -> Self {
        self.reauth_after = after;
        self
    }

    pub(crate) fn session_state(&self) -> MutexGuard<'_, Session> {
        let mut s = self.session.lock().unwrap_or_else(|p| p.into_inner());
        // Idle too long: locked from now on, whatever comes next.
        if s.user.is_some() && s.last_activity.elapsed() >= self.idle_lock {
            s.lock();
        }
        s
    }

    /// The user a command runs as: once the office's users are known, somebody must be logged
    /// in and the session unlocked. Checked here, not in the window.
    fn current(&self) -> Result<Actor, AppError> {
        self.not_wiped()?;
        let users_known = self.users_known()?;
        let s = self.session_state();
        match &s.user {
            Some(_) if s.locked => Err(AppError::SessionLocked),
            Some(u) => Ok(u.actor.clone()),
            None if users_known => Err(AppError::LoginRequired),
            None => Err(AppError::FirstUserRequired),
        }
    }

    /// Refuse once a revoked device has deleted its data (nothing could be kept any more).
    pub(crate) fn not_wiped(&self) -> Result<(), AppError> {
        if self.wiped.load(Ordering::SeqCst) {
            Err(AppError::DeviceWiped)
        } else {
            Ok(())
        }
    }

    /// Whether people here log in (the office's users are known, or will come from the server
    /// this laptop is enrolled with) rather than create the laptop's first user.
    pub(crate) fn users_known(&self) -> Result<bool, AppError> {
        let store = self.store();
        Ok(store.office_users_known()? || store.enrollment()?.is_some())
    }

    /// The actor for a change (it counts as activity).
    pub(crate) fn acting(&self) -> Result<Actor, AppError> {
        let actor = self.current()?;
        self.keep_alive();
        Ok(actor)
    }

    /// The actor for reading the office's records (lists, search, staff, attachments): the same
    /// checks as for a change, but the window's own refreshes are no activity.
    pub(crate) fn reading(&self) -> Result<Actor, AppError> {
        self.current()
    }

    /// The user is at the keyboard: the idle clock starts again (unless already locked).
    pub fn keep_alive(&self) {
        let mut s = self.session_state();
        if !s.locked {
            s.last_activity = Instant::now();
        }
    }

    /// Change one application as the acting user, in one hold of the store; returns it as the
    /// UI shows it and wakes the background sync.
    pub(crate) fn change(
        &self,
        f: impl FnOnce(&mut Store, &Actor) -> Result<Application, AppError>,
    ) -> Result<ApplicationDto, AppError> {
        let actor = self.acting()?;
        let dto = {
            let mut store = self.store();
            let id = f(&mut store, &actor)?.id;
            let row = store.application_row(&id)?;
            present::application_rows(&store, &actor, vec![row], Utc::now())?
                .pop()
                .ok_or(AppError::NotFound)?
        };
        self.sync_now();
        Ok(dto)
    }
}

/// The counter clerk who works before the office's users are known.
/// How long a session stays open without activity, unless the shell says otherwise.
pub const DEFAULT_IDLE_LOCK: Duration = Duration::from_secs(10 * 60);
/// How long after the password was last entered an aid or grant decision asks for it again.
pub const DEFAULT_REAUTH: Duration = Duration::from_secs(15 * 60);

/// The logged-in user.
#[derive(Debug, Clone)]
pub(crate) struct LoggedIn {
    /// The user, with their unwrapped key while the session is open (dropped when it locks).
    pub actor: Actor,
    pub full_name: String,
    /// The user's wrapped key: unlocking is opening it again with the password.
    pub wrapped_key: String,
    /// When the password was last entered (login, unlock, re-authentication).
    pub authenticated_at: Instant,
}

/// The counter's session.
#[derive(Debug)]
pub(crate) struct Session {
    pub user: Option<LoggedIn>,
    pub locked: bool,
    pub last_activity: Instant,
}

impl Session {
    /// Lock: nothing is done as the user until their password opens the key again.
    pub(crate) fn lock(&mut self) {
        self.locked = true;
        if let Some(u) = &mut self.user {
            u.actor.key = None;
        }
    }
}

impl Default for Session {
    fn default() -> Self {
        Self { user: None, locked: false, last_activity: Instant::now() }
    }
}
