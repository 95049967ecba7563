//! The installation the shell holds, and what every use case shares: the store, the acting
//! user, and the one way an application is changed. The use cases are `impl Loket` blocks in
//! modules of their own (`session`, `registration`, `decisions`, `staff`, `catalogue`,
//! `server_link`, `attachments`, `listing`); how a stored record is shown is `present`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::Utc;
use loket_domain::workflow::Role;
use loket_store::{Actor, Application, Store};

use crate::dto::ApplicationDto;
use crate::indexer::Indexer;
use crate::present;
use crate::AppError;

/// One running Loket installation: its data directory and its store.
pub struct Loket {
    /// Shared with the background sync task.
    pub(crate) store: Arc<Mutex<Store>>,
    /// The background sync task, once started.
    pub(crate) sync: OnceLock<loket_sync::worker::WorkerHandle>,
    /// Indexes new applications for search right after they are saved.
    pub(crate) indexer: Option<Indexer>,
    pub(crate) data_dir: PathBuf,
    /// Who is at the counter: the logged-in office user, or — before the office's users have
    /// been synced from the provincial server — the local counter clerk.
    pub(crate) actor: Mutex<Actor>,
    /// Full name of the logged-in user, if any.
    pub(crate) user: Mutex<Option<String>>,
    /// Server address suggested for enrollment.
    pub(crate) default_server_url: Option<String>,
}

impl Loket {
    /// Open the installation in `data_dir` (created if missing).
    pub fn open(data_dir: &Path) -> Result<Self, AppError> {
        let store = Store::open_in_dir(data_dir)?;
        tracing::info!(path = %store.path().display(), "opened local store");
        let store = Arc::new(Mutex::new(store));
        Ok(Self {
            indexer: Indexer::start(store.clone()),
            store,
            sync: OnceLock::new(),
            data_dir: data_dir.to_path_buf(),
            actor: Mutex::new(local_clerk()),
            user: Mutex::new(None),
            default_server_url: None,
        })
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

    pub(crate) fn actor(&self) -> Actor {
        self.actor.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The actor for a change: once the office's users are known, somebody must be logged in.
    pub(crate) fn acting(&self) -> Result<Actor, AppError> {
        let logged_in = self.user.lock().unwrap_or_else(|p| p.into_inner()).is_some();
        if !logged_in && self.store().office_users_known()? {
            return Err(AppError::LoginRequired);
        }
        Ok(self.actor())
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
            present::application_rows(&store, &actor, store.application_rows(&[id])?, Utc::now())?
                .pop()
                .ok_or(AppError::NotFound)?
        };
        self.sync_now();
        Ok(dto)
    }
}

/// The counter clerk who works before the office's users are known.
pub(crate) fn local_clerk() -> Actor {
    Actor::new("petugas", &[Role::Clerk])
}
