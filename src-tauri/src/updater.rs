//! The app's own updates. `tauri-plugin-updater` checks a bundle's minisign signature (and the
//! version it was signed for) against the public key in `tauri.conf.json`, and installs it;
//! the façade does the network: what the provincial server offers this laptop, the resumable
//! download, pushing pending work before the install, the report of a failed install.
//!
//! A check runs at start-up and every few hours, or when the user (or a 426 from sync) asks.
//! An offered bundle downloads in the background and is verified at once; it installs only
//! when the user confirms.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loket_app::{AppError, ErrorDto, Loket, UpdateStatusDto};
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};

/// Between background checks.
const CHECK_EVERY: Duration = Duration::from_secs(4 * 3600);

/// The update state the window reads.
#[derive(Default)]
pub struct Updates {
    status: Mutex<UpdateStatusDto>,
    /// A verified bundle waiting for the user's confirmation.
    ready: Mutex<Option<(Update, Arc<Vec<u8>>)>>,
    busy: AtomicBool,
    /// Checks the server was asked since the app started.
    checks: AtomicU32,
    wake: tokio::sync::Notify,
    /// Told at each change of `status` (the window's event).
    changes: crate::events::Changes,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Updates {
    pub fn status(&self) -> UpdateStatusDto {
        lock(&self.status).clone()
    }

    fn set(&self, s: UpdateStatusDto) {
        *lock(&self.status) = s;
        self.changes.bump();
    }

    /// Be told at each change of the status.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Check now (the user asked, or sync was refused for this version).
    pub fn check_now(&self) {
        self.wake.notify_one();
    }
}

/// The plugin's verdicts in the IPC error shape.
fn app_error(e: tauri_plugin_updater::Error) -> AppError {
    use tauri_plugin_updater::Error as E;
    match e {
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => AppError::UpdateRejected(e.to_string()),
        E::InsecureTransportProtocol => AppError::UpdateInsecure,
        other => AppError::UpdateFailed(other.to_string()),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The background task: a check at start-up, then every [`CHECK_EVERY`] or when woken.
pub async fn task<R: Runtime>(app: AppHandle<R>, loket: Arc<Loket>, updates: Arc<Updates>) {
    loop {
        check(&app, &loket, &updates).await;
        tokio::select! {
            _ = updates.wake.notified() => {}
            _ = tokio::time::sleep(CHECK_EVERY) => {}
        }
    }
}

/// Ask the server, download what it offers and verify it. Failures are shown; offline is not
/// a failure (the next check tries again).
async fn check<R: Runtime>(app: &AppHandle<R>, loket: &Arc<Loket>, updates: &Arc<Updates>) {
    if updates.busy.swap(true, Ordering::SeqCst) {
        return;
    }
    if !matches!(updates.status(), UpdateStatusDto::Ready { .. } | UpdateStatusDto::Installed { .. }) {
        match fetch(app, loket, updates).await {
            Ok(status) => updates.set(status),
            Err((_, AppError::ServerUnreachable)) => {
                updates.set(UpdateStatusDto::UpToDate { checked_at: None });
            }
            Err((version, e)) => {
                tracing::warn!(error = %e, ?version, "update check failed");
                let attempt = updates.checks.load(Ordering::SeqCst);
                updates.set(UpdateStatusDto::Failed { version, error: ErrorDto::from(e), attempt });
            }
        }
    }
    updates.busy.store(false, Ordering::SeqCst);
}

async fn fetch<R: Runtime>(
    app: &AppHandle<R>,
    loket: &Arc<Loket>,
    updates: &Arc<Updates>,
) -> Result<UpdateStatusDto, (Option<String>, AppError)> {
    let fail = |e: AppError| (None, e);
    let Some(endpoint) = loket.update_endpoint().map_err(fail)? else {
        return Ok(UpdateStatusDto::UpToDate { checked_at: None });
    };
    updates.set(UpdateStatusDto::Checking);
    updates.checks.fetch_add(1, Ordering::SeqCst);
    let endpoint = endpoint.parse().map_err(|_| fail(AppError::ServerUrl))?;
    let updater = app
        .updater_builder()
        .endpoints(vec![endpoint])
        .and_then(|b| b.build())
        .map_err(|e| fail(app_error(e)))?;
    let platform = tauri_plugin_updater::target().unwrap_or_default();
    let (target, arch) = platform.split_once('-').unwrap_or((platform.as_str(), ""));
    let Some(offer) = loket.update_offer(target, arch).await.map_err(fail)? else {
        return Ok(UpdateStatusDto::UpToDate { checked_at: Some(now()) });
    };
    // Only a newer version becomes an update (no downgrade, whatever the server says).
    let Some(update) = updater.restore_update(offer).map_err(|e| fail(app_error(e)))? else {
        return Ok(UpdateStatusDto::UpToDate { checked_at: Some(now()) });
    };
    let version = update.version.clone();
    let notes = update.body.clone().unwrap_or_default();
    tracing::info!(%version, "an update is offered; downloading");
    let progress = {
        let (updates, version, notes) = (updates.clone(), version.clone(), notes.clone());
        move |received: u64, total: Option<u64>| {
            updates.set(UpdateStatusDto::Downloading {
                version: version.clone(),
                notes: notes.clone(),
                received: u32::try_from(received).unwrap_or(u32::MAX),
                total: total.map(|t| u32::try_from(t).unwrap_or(u32::MAX)),
            })
        }
    };
    let bytes = loket
        .download_update(&version, update.download_url.as_str(), progress)
        .await
        .map_err(|e| (Some(version.clone()), e))?;
    if let Err(e) = update.verify(&bytes) {
        let e = app_error(e);
        tracing::error!(%version, error = %e, "the downloaded update does not verify; discarded");
        let _ = loket.discard_update(&version);
        if let Err(report) = loket.report_update_failed(&version).await {
            tracing::warn!(error = %report, "the failed update could not be reported");
        }
        return Err((Some(version), e));
    }
    *lock(&updates.ready) = Some((update, Arc::new(bytes)));
    Ok(UpdateStatusDto::Ready { version, notes })
}

/// Install the verified bundle the user confirmed. Pending work is pushed first; when that
/// cannot be done the window says so, and `force` installs anyway (the work stays in the local
/// store and the new version sends it).
pub async fn install(
    loket: &Arc<Loket>,
    updates: &Arc<Updates>,
    force: bool,
) -> Result<UpdateStatusDto, ErrorDto> {
    let Some((update, bytes)) = lock(&updates.ready).take() else {
        return Err(AppError::UpdateFailed("belum ada pembaruan yang siap dipasang".into()).into());
    };
    let version = update.version.clone();
    if !force {
        if let Err(e) = loket.push_before_update().await {
            *lock(&updates.ready) = Some((update, bytes));
            return Err(e.into());
        }
    }
    updates.set(UpdateStatusDto::Installing { version: version.clone() });
    let installed = tauri::async_runtime::spawn_blocking(move || update.install(bytes.as_slice())).await;
    match installed {
        Ok(Ok(())) => {
            tracing::info!(%version, "update installed");
            let _ = loket.discard_update(&version);
            let status = UpdateStatusDto::Installed { version };
            updates.set(status.clone());
            Ok(status)
        }
        Ok(Err(e)) => {
            let e = app_error(e);
            tracing::error!(%version, error = %e, "the update did not install");
            if let Err(report) = loket.report_update_failed(&version).await {
                tracing::warn!(error = %report, "the failed update could not be reported");
            }
            let error = ErrorDto::from(e);
            let attempt = updates.checks.load(Ordering::SeqCst);
            updates.set(UpdateStatusDto::Failed { version: Some(version), error: error.clone(), attempt });
            Err(error)
        }
        Err(e) => Err(AppError::UpdateFailed(e.to_string()).into()),
    }
}
