//! Signed app updates for the laptops (issue 16): the dynamic endpoint `tauri-plugin-updater`
//! asks, and the artifacts it downloads — by range, so a cut download resumes.
//!
//! `GET /api/v1/updates/{target}/{arch}/{current_version}` answers the updater's JSON
//! (`version`, `notes`, `pub_date`, `url`, `signature`) when a release is offered to this laptop
//! (`rules::release::offer`), or 204. Both need the device's credential: the rollout is per
//! device, and IT sees each step (`offered`, `downloaded`; `installed` when the laptop syncs
//! with the new version).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use semver::Version;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::{device_for_updates, AppState};
use crate::error::{ApiError, ApiPath};
use crate::rules::release::{offer, Rollout};

/// What the updater is told when there is an update for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateOffer {
    pub version: String,
    pub notes: String,
    /// RFC 3339.
    pub pub_date: String,
    /// Where the signed bundle is (this server).
    pub url: String,
    /// The bundle's minisign signature (the `.sig` file's content).
    pub signature: String,
}

/// A version named in a path (`0.2.0`, or `v0.2.0`).
fn version_of(path: &str) -> Result<Version, ApiError> {
    Version::parse(path.trim_start_matches('v'))
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_version", format!("not a version: {e}")))
}

/// Where this server is reached from the laptop that asked: `X-Forwarded-Proto` and `Host`
/// as the request carried them (plain `http` only to loopback addresses).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let loopback = host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or(if loopback {
        "http"
    } else {
        "https"
    });
    format!("{scheme}://{host}")
}

#[utoipa::path(get, path = "/api/v1/updates/{target}/{arch}/{current_version}", tag = "updates",
    params(crate::openapi::Protocol, crate::openapi::UpdatePath),
    security(("device" = [])), responses(
    (status = 200, description = "A release this laptop is offered", body = UpdateOffer),
    (status = 204, description = "Nothing for this laptop now"),
    (status = 400, description = "`invalid_version`, `invalid_path`, `protocol_required`, `protocol_unsupported`", body = loket_protocol::ApiError),
    crate::openapi::SyncRefusals))]
pub async fn check(
    State(s): State<AppState>,
    ApiPath((target, arch, current)): ApiPath<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let device = device_for_updates(&s, &headers).await?;
    let current = version_of(&current)?;
    let rows = s.storage.releases().await?;
    let releases: Vec<Rollout> = rows
        .iter()
        .filter_map(|r| {
            Some(Rollout {
                version: Version::parse(&r.version).ok()?,
                state: r.state,
                percent: r.percent,
                regions: r.regions.clone(),
            })
        })
        .collect();
    let Some(offered) = offer(&releases, &current, &device.id, &device.office_code) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let version = offered.version.to_string();
    let platform = format!("{target}-{arch}");
    let Some(artifact) = s.storage.artifacts(&version).await?.into_iter().find(|a| a.target == platform)
    else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let release = rows.into_iter().find(|r| r.version == version);
    s.storage.rollout_event(&version, &device.id, "offered", Utc::now()).await?;
    let offer = UpdateOffer {
        version,
        notes: release.as_ref().map(|r| r.notes.clone()).unwrap_or_default(),
        pub_date: release.map(|r| r.published_at).unwrap_or_default(),
        url: format!("{}/api/v1/updates/artifacts/{}", base_url(&headers), artifact.sha256),
        signature: artifact.signature,
    };
    Ok(Json(offer).into_response())
}

#[utoipa::path(post, path = "/api/v1/updates/failed/{version}", tag = "updates",
    params(crate::openapi::Protocol, crate::openapi::VersionPath),
    security(("device" = [])), responses(
    (status = 204, description = "Counted for IT (`release list`)"),
    (status = 400, description = "`invalid_version`, `invalid_path`, `protocol_required`, `protocol_unsupported`", body = loket_protocol::ApiError),
    (status = 404, description = "`not_found`: no such release", body = loket_protocol::ApiError),
    crate::openapi::SyncRefusals))]
/// The laptop could not install a release it was offered (the signature did not verify, the
/// installer stopped): counted for IT as the rollout's `failed` step.
pub async fn failed(
    State(s): State<AppState>,
    ApiPath(version): ApiPath<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let device = device_for_updates(&s, &headers).await?;
    let version = version_of(&version)?.to_string();
    if !s.storage.releases().await?.iter().any(|r| r.version == version) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such release"));
    }
    s.storage.rollout_event(&version, &device.id, "failed", Utc::now()).await?;
    tracing::warn!(device = %device.id, %version, "a laptop could not install a release");
    Ok(StatusCode::NO_CONTENT)
}

/// `bytes=START-` or `bytes=START-END` (inclusive end), within `size`; `None` for the whole.
fn range(headers: &HeaderMap, size: i64) -> Result<Option<(i64, i64)>, ApiError> {
    let Some(value) = headers.get(header::RANGE) else { return Ok(None) };
    let unsatisfiable = || {
        let mut e = ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "range_not_satisfiable",
            format!("the content has {size} bytes"),
        );
        e.content_range = Some(format!("bytes */{size}"));
        e
    };
    let spec = value.to_str().ok().and_then(|v| v.strip_prefix("bytes=")).ok_or_else(unsatisfiable)?;
    let (start, end) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let start: i64 = start.trim().parse().map_err(|_| unsatisfiable())?;
    let end: i64 = match end.trim() {
        "" => size - 1,
        e => e.parse::<i64>().map_err(|_| unsatisfiable())?.min(size - 1),
    };
    if start < 0 || start > end || start >= size {
        return Err(unsatisfiable());
    }
    Ok(Some((start, end + 1)))
}

#[utoipa::path(get, path = "/api/v1/updates/artifacts/{sha256}", tag = "updates",
    params(crate::openapi::Protocol, crate::openapi::ShaPath, crate::openapi::RangeHeader),
    security(("device" = [])), responses(
    (status = 200, description = "The whole signed bundle", content_type = "application/octet-stream", body = Vec<u8>),
    (status = 206, description = "The bytes asked for (`Content-Range`)", content_type = "application/octet-stream", body = Vec<u8>),
    (status = 400, description = "`invalid_sha256`, `invalid_path`, `protocol_required`, `protocol_unsupported`", body = loket_protocol::ApiError),
    (status = 404, description = "`not_found`: no such artifact", body = loket_protocol::ApiError),
    (status = 416, description = "`range_not_satisfiable`", body = loket_protocol::ApiError),
    crate::openapi::SyncRefusals))]
pub async fn artifact(
    State(s): State<AppState>,
    ApiPath(sha256): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let device = device_for_updates(&s, &headers).await?;
    crate::api::check_sha(&sha256)?;
    let a = s
        .storage
        .artifact_by_sha(&sha256)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such artifact"))?;
    let asked = range(&headers, a.size)?;
    let (start, end) = asked.unwrap_or((0, a.size));
    let bytes = s.storage.artifact_bytes(&sha256, start, end).await?;
    if end == a.size {
        s.storage.rollout_event(&a.version, &device.id, "downloaded", Utc::now()).await?;
    }
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/octet-stream"));
    h.insert(header::ACCEPT_RANGES, header::HeaderValue::from_static("bytes"));
    if asked.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let value = format!("bytes {start}-{}/{}", end - 1, a.size);
        response.headers_mut().insert(header::CONTENT_RANGE, value.parse().expect("ASCII"));
    }
    Ok(response)
}

/// Why IT's release command was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("{0:?} is not a version (semver, e.g. 0.2.0)")]
    Version(String),
    #[error("a rollout is 0 to 100 percent, not {0}")]
    Percent(u8),
    #[error("{0:?} is not PLATFORM=FILE with PLATFORM one of {PLATFORMS:?}")]
    Artifact(String),
    #[error("{0} is not a kabupaten/kota or kecamatan of Banten")]
    Region(String),
    #[error("{path}: {source}")]
    File { path: String, source: std::io::Error },
    /// No key to check signatures against: `release trust-key` first.
    #[error("no release key is trusted yet: run `loket-server release trust-key <key>.pub` first")]
    NoKey,
    #[error("{file}: {source}")]
    Signature { file: String, source: crate::release_key::SignatureError },
    #[error(transparent)]
    Key(crate::release_key::SignatureError),
    #[error("release {0} is not known, or it was yanked")]
    NoRelease(String),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

/// The platforms the updater asks for (`{{target}}-{{arch}}`).
pub const PLATFORMS: &[&str] = &[
    "linux-x86_64",
    "linux-aarch64",
    "windows-x86_64",
    "windows-aarch64",
    "darwin-x86_64",
    "darwin-aarch64",
];

/// Trust `key` (the content of a `tauri signer generate` `.pub` file) for releases; its key id.
pub async fn trust_key(s: &dyn crate::storage::Storage, key: &str) -> Result<String, ReleaseError> {
    let key = key.trim();
    let id = crate::release_key::key_id(key).map_err(ReleaseError::Key)?;
    s.set_release_key(key).await?;
    Ok(id)
}

/// Publish release `version` from bundle files, each signed beside it (`<file>.sig`, from
/// `tauri build` or `tauri signer sign`) by the trusted key for this version: `artifacts` are
/// `PLATFORM=FILE`.
pub async fn publish(
    s: &dyn crate::storage::Storage,
    version: &str,
    notes: &str,
    artifacts: &[String],
    percent: u8,
    regions: &[String],
) -> Result<(), ReleaseError> {
    let version = Version::parse(version.trim_start_matches('v'))
        .map_err(|_| ReleaseError::Version(version.to_string()))?
        .to_string();
    if percent > 100 {
        return Err(ReleaseError::Percent(percent));
    }
    let catalogue = loket_domain::region::catalogue();
    for r in regions {
        if !r.starts_with("36.") || catalogue.get(r).is_none() {
            return Err(ReleaseError::Region(r.clone()));
        }
    }
    let key = s.release_key().await?.ok_or(ReleaseError::NoKey)?;
    let read = |path: &str| {
        std::fs::read(path).map_err(|source| ReleaseError::File { path: path.to_string(), source })
    };
    let mut list = Vec::new();
    for spec in artifacts {
        let (target, path) = spec
            .split_once('=')
            .filter(|(t, p)| PLATFORMS.contains(t) && !p.is_empty())
            .ok_or_else(|| ReleaseError::Artifact(spec.clone()))?;
        let signature = String::from_utf8_lossy(&read(&format!("{path}.sig"))?).trim().to_string();
        let file_name = std::path::Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = read(path)?;
        crate::release_key::verify(&key, &bytes, &signature, &version)
            .map_err(|source| ReleaseError::Signature { file: path.to_string(), source })?;
        list.push(crate::storage::NewArtifact { target: target.to_string(), file_name, signature, bytes });
    }
    let release = crate::storage::NewRelease {
        version,
        notes: notes.to_string(),
        percent,
        regions: regions.to_vec(),
        artifacts: list,
    };
    Ok(s.publish_release(&release, Utc::now()).await?)
}

/// Change a release's state or rollout (`pause`, `resume`, `promote`, `yank`).
pub async fn update(
    s: &dyn crate::storage::Storage,
    version: &str,
    state: Option<crate::rules::release::ReleaseState>,
    percent: Option<u8>,
) -> Result<(), ReleaseError> {
    if let Some(p) = percent.filter(|p| *p > 100) {
        return Err(ReleaseError::Percent(p));
    }
    if !s.update_release(version, state, percent, Utc::now()).await? {
        return Err(ReleaseError::NoRelease(version.to_string()));
    }
    Ok(())
}
