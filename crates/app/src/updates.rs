//! Updates of the app itself (issue 16). The shell owns the updater plugin, which checks a
//! bundle's signature against the public key built into the app and installs it; this module
//! does the talking: what the provincial server offers this laptop, the bundle's download
//! (resumed where a cut one stopped), pushing the pending work before an install, and the
//! report of a failed install.

use std::path::PathBuf;
use std::time::Duration;

use crate::{AppError, Loket};

/// How long the push before an install may take before the window says it could not.
const PUSH_BEFORE_INSTALL: Duration = Duration::from_secs(90);

/// Name the app's version (the shell's, from its bundle configuration) for the server and the
/// about panel. Call once, before [`Loket::open`].
pub fn set_app_version(version: &str) {
    loket_sync::set_app_version(version);
}

/// The app's version as the server and the updater see it.
pub fn app_version() -> &'static str {
    loket_sync::app_version()
}

impl Loket {
    fn update_link(&self) -> Result<Option<(loket_sync::Client, loket_sync::Credential)>, AppError> {
        self.not_wiped()?;
        let Some(e) = self.store().enrollment()? else { return Ok(None) };
        let client = loket_sync::Client::new(&e.server_url)?;
        Ok(Some((client, loket_sync::Credential { token: e.token, office_code: e.office_code })))
    }

    /// The update endpoint of this laptop's server (the updater plugin's `endpoints`), or
    /// `None` before enrollment.
    pub fn update_endpoint(&self) -> Result<Option<String>, AppError> {
        Ok(self.update_link()?.map(|(client, _)| {
            format!(
                "{}/api/v1/updates/{{{{target}}}}/{{{{arch}}}}/{{{{current_version}}}}",
                client.base_url()
            )
        }))
    }

    /// What the server offers this laptop (`target`-`arch`, e.g. `linux`-`x86_64`): the updater's
    /// JSON, or `None` when nothing is offered or the laptop is not enrolled.
    pub async fn update_offer(
        &self,
        target: &str,
        arch: &str,
    ) -> Result<Option<serde_json::Value>, AppError> {
        let Some((client, cred)) = self.update_link()? else { return Ok(None) };
        Ok(client.update_offer(&cred, target, arch, app_version()).await?)
    }

    fn update_part(&self, version: &str) -> Result<PathBuf, AppError> {
        let safe = version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
        if !safe || version.is_empty() {
            return Err(AppError::UpdateFailed(format!("versi tidak sah: {version:?}")));
        }
        let dir = self.data_dir.join("updates");
        std::fs::create_dir_all(&dir).map_err(|e| AppError::Storage(e.to_string()))?;
        Ok(dir.join(format!("{version}.part")))
    }

    /// Download the bundle of `version` from `url` (the offer's), continuing a cut download;
    /// `progress(received, total)` as it arrives.
    pub async fn download_update(
        &self,
        version: &str,
        url: &str,
        progress: impl FnMut(u64, Option<u64>) + Send,
    ) -> Result<Vec<u8>, AppError> {
        let (client, cred) = self.update_link()?.ok_or(AppError::OfficeNotConfigured)?;
        let part = self.update_part(version)?;
        Ok(client.download_update(&cred, url, &part, progress).await?)
    }

    /// Forget the downloaded bundle of `version` (installed, or refused: the next try downloads
    /// afresh).
    pub fn discard_update(&self, version: &str) -> Result<(), AppError> {
        match std::fs::remove_file(self.update_part(version)?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(AppError::Storage(e.to_string())),
            _ => Ok(()),
        }
    }

    /// Before an install: send everything waiting to the server. `Err(UpdateWorkNotSent)` with
    /// the count when that could not be done now (offline, or the server refuses this version);
    /// the work stays in the local store either way and the new version sends it.
    pub async fn push_before_update(&self) -> Result<(), AppError> {
        self.not_wiped()?;
        let pending = || -> Result<i64, AppError> { Ok(self.store().pending_count()?) };
        let Some(handle) = self.sync.get() else {
            return match pending()? {
                0 => Ok(()),
                n => Err(AppError::UpdateWorkNotSent(n)),
            };
        };
        let status = tokio::time::timeout(PUSH_BEFORE_INSTALL, handle.sync_and_wait()).await.ok();
        match (status, pending()?) {
            (Some(_), 0) => Ok(()),
            (_, n) => {
                tracing::warn!(pending = n, "the pending work could not be sent before the update");
                Err(AppError::UpdateWorkNotSent(n.max(1)))
            }
        }
    }

    /// Tell the server this laptop could not install `version` (IT sees it in `release list`).
    pub async fn report_update_failed(&self, version: &str) -> Result<(), AppError> {
        let Some((client, cred)) = self.update_link()? else { return Ok(()) };
        Ok(client.report_update_failed(&cred, version).await?)
    }
}
