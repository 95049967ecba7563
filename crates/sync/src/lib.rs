//! The desktop's link to the provincial server.
//!
//! - [`Client`]: the HTTP calls (enroll, check, push, pull) and their one error type.
//! - [`engine`]: one sync run — push the outbox in batches, settle every verdict, pull pages of
//!   changes and apply each atomically with its checkpoint. Safe to cut at any point: a re-sent
//!   operation gets its first verdict again, and a page is applied with its checkpoint or not
//!   at all.
//! - [`worker`]: the background task that runs the engine when the server is reachable, backs
//!   off with jitter when it is not, and publishes a status for the UI.

pub mod engine;
mod tls;
mod updates;
pub mod worker;

pub use tls::TlsPolicy;
pub use updates::{app_version, set_app_version};

use std::time::Duration;

use loket_protocol::{
    ApiError, BlobStatus, EnrollRequest, EnrollResponse, Operation, PullResponse, PushRequest, PushResponse,
    RawPayload, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use reqwest::StatusCode;
use thiserror::Error;

/// The header every request names the app's version in ([`app_version`]).
pub const APP_VERSION_HEADER: &str = "x-loket-app-version";

/// Why talking to the server failed. Callers branch on the variant.
#[derive(Debug, Error)]
pub enum SyncError {
    #[error("server address is not valid: {0}")]
    BadUrl(String),
    /// Plain `http://` to another machine: everything would cross the network in clear.
    #[error("plain http:// is only allowed to this machine: {0}")]
    InsecureUrl(String),
    /// The server's certificate is not trusted (not signed by a platform root or the provincial
    /// CA, expired, or for another name).
    #[error("server certificate is not trusted: {0}")]
    Certificate(String),
    /// The provincial CA file cannot be used.
    #[error("CA file {path}: {message}")]
    CaFile { path: String, message: String },
    #[error("server cannot be reached: {0}")]
    Unreachable(String),
    #[error("this device has been revoked")]
    Revoked,
    /// The device is revoked, and the server now holds everything it still accepts from it
    /// (every operation has its verdict, every attachment it takes is uploaded): the local data
    /// may go (see `worker::Host::wipe`).
    #[error("this device has been revoked; the server holds everything it still accepts from it")]
    HandedOver,
    #[error("device credential is not recognised")]
    Unauthenticated,
    #[error("the app is too old for the server (protocol {min_version} required)")]
    UpgradeRequired { min_version: u32 },
    /// The server refused the request; `code` is its stable error code.
    #[error("server refused: {code}: {message}")]
    Refused { status: u16, code: String, message: String },
    /// The server answered something this client cannot use (e.g. no verdict for an
    /// operation it sent).
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The server's data epoch changed: it was restored from a backup (the engine then sends
    /// again and pulls from the start; see `loket_store::Store::server_restored`).
    #[error("the server was restored from a backup (epoch {epoch})")]
    ServerRestored { epoch: String },
    /// The app could not delete a revoked device's key or data.
    #[error("deleting the local data failed: {0}")]
    Wipe(String),
    /// The local store failed.
    #[error("local store: {0}")]
    Store(#[from] loket_store::StoreError),
}

impl SyncError {
    /// Worth retrying later (the network or the server may recover by itself).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable(_) | Self::Protocol(_) | Self::ServerRestored { .. } => true,
            // A certificate is renewed or the CA installed by IT, not by waiting.
            Self::Refused { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// The gzip-compressed JSON body of a push of `ops`.
pub fn encode_push<P: serde::Serialize>(
    ops: Vec<Operation<P>>,
    pending: i64,
    app_version: &str,
) -> Result<Vec<u8>, SyncError> {
    gzip_json(&PushRequest { ops, pending, app_version: app_version.to_string() })
}

/// JSON, gzip-compressed (push bodies are large and repetitive: ~5× smaller).
fn gzip_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, SyncError> {
    use std::io::Write;
    let json = serde_json::to_vec(value).map_err(|e| SyncError::Protocol(format!("encode: {e}")))?;
    let mut enc =
        flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 4), flate2::Compression::fast());
    enc.write_all(&json).and_then(|_| enc.finish()).map_err(|e| SyncError::Protocol(format!("gzip: {e}")))
}

/// A client for one server.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

/// A stored device credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub token: String,
    pub office_code: String,
}

impl Client {
    /// A client under the process's TLS policy ([`TlsPolicy::install`]; by default: HTTPS
    /// verified against the platform's roots, plain HTTP only to this machine).
    pub fn new(server_url: &str) -> Result<Self, SyncError> {
        Self::with_policy(server_url, &TlsPolicy::current())
    }

    /// A client under `policy`.
    pub fn with_policy(server_url: &str, policy: &TlsPolicy) -> Result<Self, SyncError> {
        let base = server_url.trim().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base).map_err(|_| SyncError::BadUrl(server_url.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(SyncError::BadUrl(server_url.to_string()));
        }
        if url.scheme() == "http" && !policy.allow_plain_http && !tls::is_loopback(&url) {
            return Err(SyncError::InsecureUrl(base));
        }
        // Every request names the app's version: the server refuses sync below IT's minimum.
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            APP_VERSION_HEADER,
            reqwest::header::HeaderValue::from_str(app_version())
                .unwrap_or(reqwest::header::HeaderValue::from_static(env!("CARGO_PKG_VERSION"))),
        );
        let builder = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30));
        let http = policy
            .apply(builder, url.scheme() == "https")
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(Self { base, http })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn error(r: reqwest::Response) -> SyncError {
        let status = r.status();
        let body: Option<ApiError> = r.json().await.ok();
        match (status, body) {
            (StatusCode::UNAUTHORIZED, Some(b)) if b.code == "device_revoked" => SyncError::Revoked,
            (StatusCode::UNAUTHORIZED, _) => SyncError::Unauthenticated,
            // About the request, not its operations (the server is older than this app): wait
            // for IT to update it, never split the batch and quarantine what it holds.
            (StatusCode::BAD_REQUEST, Some(b))
                if b.code == "protocol_unsupported" || b.code == "protocol_required" =>
            {
                SyncError::Protocol(format!(
                    "the server does not speak protocol {PROTOCOL_VERSION}: {}",
                    b.message
                ))
            }
            (StatusCode::UPGRADE_REQUIRED, b) => SyncError::UpgradeRequired {
                min_version: b.and_then(|b| b.min_version).unwrap_or(PROTOCOL_VERSION + 1),
            },
            (s, Some(b)) => SyncError::Refused { status: s.as_u16(), code: b.code, message: b.message },
            (s, None) => {
                SyncError::Refused { status: s.as_u16(), code: "unknown".into(), message: s.to_string() }
            }
        }
    }

    /// A successful answer, or the request's failure as a [`SyncError`].
    async fn answer(r: reqwest::Result<reqwest::Response>) -> Result<reqwest::Response, SyncError> {
        let r = r.map_err(tls::request_error)?;
        if r.status().is_success() {
            Ok(r)
        } else {
            Err(Self::error(r).await)
        }
    }

    /// [`Client::answer`], with 404 as `None`.
    async fn answer_or_missing(
        r: reqwest::Result<reqwest::Response>,
    ) -> Result<Option<reqwest::Response>, SyncError> {
        match r {
            Ok(r) if r.status() == StatusCode::NOT_FOUND => Ok(None),
            r => Self::answer(r).await.map(Some),
        }
    }

    /// Exchange a one-time enrollment code for a device credential.
    pub async fn enroll(
        &self,
        code: &str,
        device_name: &str,
        app_version: &str,
    ) -> Result<EnrollResponse, SyncError> {
        self.enroll_with(code, device_name, app_version, None).await
    }

    /// Enroll, linking the laptop's first local user to the account the code names.
    pub async fn enroll_with(
        &self,
        code: &str,
        device_name: &str,
        app_version: &str,
        local_user: Option<loket_protocol::LocalUser>,
    ) -> Result<EnrollResponse, SyncError> {
        let r = self
            .http
            .post(format!("{}/api/v1/enroll", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .json(&EnrollRequest {
                code: code.into(),
                device_name: device_name.into(),
                app_version: app_version.into(),
                local_user,
            })
            .send()
            .await;
        let r = Self::answer(r).await?;
        r.json().await.map_err(|e| SyncError::Unreachable(e.to_string()))
    }

    /// Send a batch of operations; the server answers with one verdict per operation.
    pub async fn push<P: serde::Serialize>(
        &self,
        cred: &Credential,
        ops: Vec<Operation<P>>,
        pending: i64,
        app_version: &str,
    ) -> Result<PushResponse, SyncError> {
        self.push_encoded(cred, encode_push(ops, pending, app_version)?).await
    }

    /// Send a push body made by [`encode_push`] (made ahead, while the previous batch is out).
    pub async fn push_encoded(&self, cred: &Credential, body: Vec<u8>) -> Result<PushResponse, SyncError> {
        let r = self
            .http
            .post(format!("{}/api/v1/offices/{}/push", self.base, cred.office_code))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(body)
            .send()
            .await;
        let r = Self::answer(r).await?;
        r.json().await.map_err(|e| SyncError::Unreachable(e.to_string()))
    }

    /// One page of the office's changes after checkpoint `after`.
    ///
    /// The change data is kept as JSON text ([`RawPayload`]): it is parsed by the blocking
    /// thread that applies the page, not on the async runtime (a page of 1,000 applications is
    /// about a megabyte of JSON; parsing it was the largest single cost of a pull's fetch).
    pub async fn pull(
        &self,
        cred: &Credential,
        after: i64,
        limit: u32,
    ) -> Result<PullResponse<RawPayload>, SyncError> {
        let r = self
            .http
            .get(format!(
                "{}/api/v1/offices/{}/changes?after={after}&limit={limit}",
                self.base, cred.office_code
            ))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token)
            .send()
            .await;
        let r = Self::answer(r).await?;
        r.json().await.map_err(|e| SyncError::Unreachable(e.to_string()))
    }

    /// Where the upload of an attachment is (`None` before its first chunk).
    pub async fn blob_status(
        &self,
        cred: &Credential,
        sha256: &str,
    ) -> Result<Option<BlobStatus>, SyncError> {
        let r = self
            .http
            .get(format!("{}/api/v1/offices/{}/attachments/{sha256}/status", self.base, cred.office_code))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token)
            .send()
            .await;
        let Some(r) = Self::answer_or_missing(r).await? else { return Ok(None) };
        r.json().await.map(Some).map_err(|e| SyncError::Unreachable(e.to_string()))
    }

    /// Send the chunk of an attachment that starts at `offset`.
    pub async fn upload_chunk(
        &self,
        cred: &Credential,
        sha256: &str,
        size: i64,
        offset: i64,
        chunk: Vec<u8>,
    ) -> Result<BlobStatus, SyncError> {
        let r = self
            .http
            .put(format!(
                "{}/api/v1/offices/{}/attachments/{sha256}?offset={offset}&size={size}",
                self.base, cred.office_code
            ))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .bearer_auth(&cred.token)
            .body(chunk)
            .send()
            .await;
        let r = Self::answer(r).await?;
        r.json().await.map_err(|e| SyncError::Unreachable(e.to_string()))
    }

    /// The content of a complete attachment (`None` while the server does not have it all).
    pub async fn download(&self, cred: &Credential, sha256: &str) -> Result<Option<Vec<u8>>, SyncError> {
        let r = self
            .http
            .get(format!("{}/api/v1/offices/{}/attachments/{sha256}", self.base, cred.office_code))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token)
            .send()
            .await;
        let Some(r) = Self::answer_or_missing(r).await? else { return Ok(None) };
        r.bytes().await.map(|b| Some(b.to_vec())).map_err(|e| SyncError::Unreachable(e.to_string()))
    }

    /// Register this device's receipt key and get the province's certificate of it.
    pub async fn certify_device(
        &self,
        cred: &Credential,
        public_key: &str,
    ) -> Result<loket_protocol::DeviceKeyResponse, SyncError> {
        let r = self
            .http
            .post(format!("{}/api/v1/offices/{}/device/key", self.base, cred.office_code))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token)
            .json(&loket_protocol::DeviceKeyRequest { public_key: public_key.to_string() })
            .send()
            .await;
        let r = Self::answer(r).await?;
        r.json().await.map_err(|e| SyncError::Unreachable(e.to_string()))
    }

    /// Tell the server that this revoked device deleted its key and its local data.
    pub async fn report_wiped(&self, cred: &Credential) -> Result<(), SyncError> {
        let r = self
            .http
            .post(format!("{}/api/v1/offices/{}/device/wiped", self.base, cred.office_code))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token)
            .send()
            .await;
        Self::answer(r).await.map(|_| ())
    }

    /// Check the credential with the smallest possible pull.
    pub async fn check(&self, cred: &Credential) -> Result<(), SyncError> {
        let r = self
            .http
            .get(format!("{}/api/v1/offices/{}/changes?after=0&limit=1", self.base, cred.office_code))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&cred.token)
            .send()
            .await;
        let r = Self::answer(r).await?;
        r.json::<PullResponse>().await.map(|_| ()).map_err(|e| SyncError::Unreachable(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &'static str) -> reqwest::Response {
        reqwest::Response::from(http::Response::builder().status(status).body(body).expect("a response"))
    }

    /// A laptop updated before its server: every push is refused for its protocol. That is no
    /// verdict on the operations (which a 400 about a batch would quarantine): retried later.
    #[tokio::test]
    async fn a_server_older_than_the_app_is_waited_for_not_blamed_on_the_operations() {
        let older = answer(400, r#"{"code":"protocol_unsupported","message":"this server speaks up to 5"}"#);
        let e = Client::error(older).await;
        assert!(matches!(e, SyncError::Protocol(_)) && e.is_transient(), "{e:?}");
        let bad = Client::error(answer(400, r#"{"code":"malformed_json","message":"x"}"#)).await;
        assert!(matches!(bad, SyncError::Refused { status: 400, .. }), "{bad:?}");
    }
}
