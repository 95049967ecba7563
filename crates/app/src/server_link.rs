//! The link with the provincial server: enrollment, the connection check, the background sync
//! and its status.

use loket_domain::region::{catalogue, Level};

use crate::dto::{AppInfoDto, ConnectionDto, ConnectionState, EnrollInput, OfficeDto, SyncStatusDto};
use crate::{present, AppError, Loket};

const LANGUAGE_SETTING: &str = "ui.language";

/// The file in the data directory where IT may put the province's CA certificate (PEM).
pub const CA_FILE_NAME: &str = "ca-provinsi.pem";

/// How this process talks to the provincial server: HTTPS verified against the platform's
/// roots, plus the province's CA from `ca_file` (or `ca-provinsi.pem` in the data directory);
/// plain `http://` to other machines only when `allow_plain_http` (development).
pub fn configure_tls(
    data_dir: &std::path::Path,
    ca_file: Option<std::path::PathBuf>,
    allow_plain_http: bool,
) -> Result<(), AppError> {
    let mut policy = loket_sync::TlsPolicy { allow_plain_http, ..Default::default() };
    let in_data_dir = data_dir.join(CA_FILE_NAME);
    if let Some(path) = ca_file.or_else(|| in_data_dir.exists().then_some(in_data_dir)) {
        policy = policy.with_ca_file(&path)?;
        tracing::info!(ca = %path.display(), "trusting the provincial CA");
    }
    if allow_plain_http {
        tracing::warn!("plain http:// to other machines is allowed (development only)");
    }
    policy.install();
    Ok(())
}

impl Loket {
    /// The background sync task: the shell spawns the returned future on its tokio runtime once.
    /// Later calls return a future that does nothing.
    pub fn sync_task(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let host = crate::retirement::SyncHost {
            data_dir: self.data_dir.clone(),
            keys: self.keys.clone(),
            wiped: self.wiped.clone(),
            pulled: self.indexer.as_ref().map(|i| Box::new(i.poker()) as Box<dyn Fn() + Send + Sync>),
        };
        let (handle, task) = loket_sync::worker::start(
            self.store.clone(),
            loket_sync::worker::WorkerConfig::default(),
            crate::app_version().to_string(),
            std::sync::Arc::new(host),
        );
        let first = self.sync.set(handle).is_ok();
        async move {
            if first {
                task.await
            }
        }
    }

    /// Be told when the background sync's status changes (once `sync_task` was started): the
    /// shell turns each change into an event for the window.
    pub fn watch_sync(&self) -> Option<loket_sync::worker::StatusWatch> {
        self.sync.get().map(|h| h.watch())
    }

    /// Ask the background task to sync now (after a local change, or the user asked).
    pub fn sync_now(&self) {
        if let Some(h) = self.sync.get() {
            h.wake();
        }
    }

    /// What the background sync is doing, for the status bar.
    pub fn sync_status(&self) -> Result<SyncStatusDto, AppError> {
        let status = match self.sync.get() {
            Some(h) => h.status(),
            None => {
                let s = self.store();
                loket_sync::worker::SyncStatus {
                    pending: s.pending_count()?,
                    attention: s.attention_count()?,
                    ..Default::default()
                }
            }
        };
        Ok(present::sync_status(&status))
    }

    /// The window's language on this laptop.
    pub fn language(&self) -> Result<crate::dto::Language, AppError> {
        Ok(match self.store().setting(LANGUAGE_SETTING)?.as_deref() {
            Some("en") => crate::dto::Language::En,
            _ => crate::dto::Language::Id,
        })
    }

    /// Choose the window's language (a preference of the laptop: no login needed).
    pub fn set_language(&self, language: crate::dto::Language) -> Result<crate::dto::Language, AppError> {
        self.not_wiped()?;
        let code = match language {
            crate::dto::Language::Id => "id",
            crate::dto::Language::En => "en",
        };
        self.store().set_setting(LANGUAGE_SETTING, code)?;
        Ok(language)
    }

    /// Version, data directory and schema, for the about panel.
    pub fn info(&self) -> Result<AppInfoDto, AppError> {
        // One guard: two `self.store()` in one expression would wait on each other.
        let store = self.store();
        Ok(AppInfoDto {
            version: crate::app_version().to_string(),
            data_dir: self.data_dir.display().to_string(),
            schema_version: store.schema_version()?,
            default_server_url: self.default_server_url.clone(),
            receipt_key_certified: store.device_certificate()?.is_some(),
        })
    }

    /// Enroll this device with the provincial server using a one-time code from IT. The office
    /// and the device code then come from the server.
    pub async fn enroll(&self, input: EnrollInput) -> Result<OfficeDto, AppError> {
        self.not_wiped()?;
        let client = loket_sync::Client::new(&input.server_url)?;
        let device_name = format!("Loket {}", crate::app_version());
        // The first local user, if any, is linked to the account the code names.
        let local_user = self.store().local_user()?.map(|u| loket_protocol::LocalUser {
            username: u.username,
            public_key: u.public_key,
            wrapped_key: u.wrapped_key,
        });
        let e = client.enroll_with(input.code.trim(), &device_name, crate::app_version(), local_user).await?;
        if catalogue().get(&e.office_code).is_none_or(|r| r.level != Level::District) {
            return Err(AppError::UnknownKecamatan(e.office_code));
        }
        let enrollment = loket_store::Enrollment {
            server_url: client.base_url().to_string(),
            device_id: e.device_id,
            token: e.token,
            office_code: e.office_code,
        };
        self.store().save_enrollment(&enrollment, &e.device_code)?;
        tracing::info!(office = %enrollment.office_code, device = %e.device_code, "device enrolled");
        self.sync_now();
        self.office()?.ok_or(AppError::OfficeNotConfigured)
    }

    /// Check the link with the provincial server.
    pub async fn connection(&self) -> Result<ConnectionDto, AppError> {
        let Some(e) = self.store().enrollment()? else {
            return Ok(ConnectionDto { status: ConnectionState::NotEnrolled, server_url: None });
        };
        let client = loket_sync::Client::new(&e.server_url)?;
        let cred = loket_sync::Credential { token: e.token.clone(), office_code: e.office_code.clone() };
        let status = match client.check(&cred).await.map_err(AppError::from) {
            Ok(()) => ConnectionState::Online,
            Err(AppError::ServerUnreachable) => ConnectionState::Offline,
            Err(AppError::DeviceRevoked) => ConnectionState::Revoked,
            Err(AppError::UpgradeRequired) => ConnectionState::UpgradeRequired,
            Err(e) => return Err(e),
        };
        Ok(ConnectionDto { status, server_url: Some(e.server_url) })
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::configured;

    /// The about panel says whether the province certified this device's receipt key.
    #[test]
    fn the_about_panel_says_whether_the_receipt_key_is_certified() {
        let (_dir, loket) = configured();
        let info = loket.info().unwrap();
        assert!(!info.receipt_key_certified && info.schema_version > 0);
        loket.store().set_device_certificate("certificate.signature").unwrap();
        assert!(loket.info().unwrap().receipt_key_certified);
    }
}
