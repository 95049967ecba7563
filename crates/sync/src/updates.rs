//! The app's own updates, from the provincial server (issue 16): what the server offers this
//! laptop, the signed bundle (resumed where a cut download stopped), and the report of a
//! failed install. Verifying and installing the bundle is the desktop shell's (the updater
//! plugin checks the signature against the key built into the app).

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use loket_protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use reqwest::StatusCode;

use crate::{Client, Credential, SyncError};

static APP_VERSION: OnceLock<String> = OnceLock::new();

/// Name the app's version for every request of this process (the shell's, from its bundle
/// configuration: the version the updater compares and the installer carries). Only the first
/// call counts.
pub fn set_app_version(version: &str) {
    let _ = APP_VERSION.set(version.to_string());
}

/// The app's version: what [`set_app_version`] named, or this crate's build version.
pub fn app_version() -> &'static str {
    APP_VERSION.get().map(String::as_str).unwrap_or(env!("CARGO_PKG_VERSION"))
}

/// A bundle download may take minutes on an office line; each read must make progress within
/// this (the client's usual 30 s covers whole small requests, not a bundle).
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

impl Client {
    /// The update the server offers this laptop now (the updater's JSON), or `None` (204).
    pub async fn update_offer(
        &self,
        cred: &Credential,
        target: &str,
        arch: &str,
        current_version: &str,
    ) -> Result<Option<serde_json::Value>, SyncError> {
        let r = self
            .http
            .get(format!("{}/api/v1/updates/{target}/{arch}/{current_version}", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token)
            .send()
            .await;
        let r = Self::answer(r).await?;
        if r.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        r.json().await.map(Some).map_err(|e| SyncError::Protocol(format!("update offer: {e}")))
    }

    /// Download the bundle at `url` (one of this server's artifacts) into `part`, continuing
    /// from what `part` already holds; `progress(received, total)` as bytes arrive. Returns the
    /// whole bundle. The credential is only ever sent to this client's own server.
    pub async fn download_update(
        &self,
        cred: &Credential,
        url: &str,
        part: &Path,
        mut progress: impl FnMut(u64, Option<u64>) + Send,
    ) -> Result<Vec<u8>, SyncError> {
        let ours = format!("{}/api/v1/updates/artifacts/", self.base);
        if !url.starts_with(&ours) || url[ours.len()..].contains(['/', '?', '#']) {
            return Err(SyncError::BadUrl(url.to_string()));
        }
        let store_err = |e: std::io::Error| SyncError::Protocol(format!("{}: {e}", part.display()));
        let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        let mut request = self
            .http
            .get(url)
            .timeout(DOWNLOAD_TIMEOUT)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token);
        if have > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let r = request.send().await.map_err(crate::tls::request_error)?;
        let (mut file, mut received, total) = match r.status() {
            // The rest of it.
            StatusCode::PARTIAL_CONTENT => {
                let total = r
                    .headers()
                    .get(reqwest::header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.rsplit('/').next())
                    .and_then(|t| t.parse::<u64>().ok());
                let file = std::fs::OpenOptions::new().append(true).open(part).map_err(store_err)?;
                (file, have, total)
            }
            // Everything (no range asked, or the server ignored it): start over.
            StatusCode::OK => {
                let total = r.content_length();
                (std::fs::File::create(part).map_err(store_err)?, 0, total)
            }
            // What we hold is not a start of this bundle (it changed): start over.
            StatusCode::RANGE_NOT_SATISFIABLE => {
                std::fs::remove_file(part).map_err(store_err)?;
                return Box::pin(self.download_update(cred, url, part, progress)).await;
            }
            _ => return Err(Self::error(r).await),
        };
        let mut r = r;
        progress(received, total);
        while let Some(chunk) = r.chunk().await.map_err(crate::tls::request_error)? {
            file.write_all(&chunk).map_err(store_err)?;
            received += chunk.len() as u64;
            progress(received, total);
        }
        file.sync_all().map_err(store_err)?;
        drop(file);
        if total.is_some_and(|t| t != received) {
            return Err(SyncError::Unreachable(format!("download cut at {received} of {total:?} bytes")));
        }
        std::fs::read(part).map_err(store_err)
    }

    /// Tell the server this laptop could not install `version` (counted for IT).
    pub async fn report_update_failed(&self, cred: &Credential, version: &str) -> Result<(), SyncError> {
        let r = self
            .http
            .post(format!("{}/api/v1/updates/failed/{version}", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token)
            .send()
            .await;
        Self::answer(r).await.map(|_| ())
    }
}
