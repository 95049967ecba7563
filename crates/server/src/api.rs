//! The HTTP API (`/api/v1/…`), health endpoints and the OpenAPI document.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use loket_protocol::{ApiError as ApiErrorBody, BlobStatus};
use loket_protocol::{
    DeviceKeyRequest, DeviceKeyResponse, EnrollRequest, EnrollResponse, LoginRequest, LoginResponse,
    PullResponse, PushRequest, PushResponse, RawPayload, Readiness, MAX_PULL_LIMIT, MAX_PUSH_OPS,
    MIN_PROTOCOL_VERSION, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use serde::Deserialize;
use tower_http::trace::TraceLayer;

use crate::auth;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::lockout::{Lockout, LockoutPolicy};
use crate::ratelimit::RateLimiter;
use crate::storage::{Device, NewDevice, Storage, StorageError};

/// The committed OpenAPI document (generated from these handlers and the protocol's types:
/// [`crate::openapi`]; a test keeps it current), served as is.
pub const OPENAPI: &str = include_str!("../docs/openapi.json");

/// Tunables of the API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Enrollment and login attempts per client address per window.
    pub auth_rate_limit: u32,
    pub auth_rate_window: Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the real client (for rate limits).
    pub trusted_proxies: Vec<IpAddr>,
    /// When repeated failed logins lock a username or an address.
    pub lockout: LockoutPolicy,
    /// Sync requests (push, pull, attachments) per device per minute. A first upload of
    /// 100,000 records is about 200 pushes; the default lets that through in a few minutes and
    /// stops a runaway or hostile device from taking the server for itself.
    pub sync_rate_limit: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit: 4 * 1024 * 1024,
            auth_rate_limit: 10,
            auth_rate_window: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
            lockout: LockoutPolicy::default(),
            sync_rate_limit: 3000,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub(crate) limiter: Arc<RateLimiter>,
    /// Sync requests per device.
    sync_limiter: Arc<RateLimiter<String>>,
    trusted_proxies: Arc<[IpAddr]>,
    lockout: Arc<Lockout>,
    /// The data's generation, read once (a restore happens with the server stopped).
    epoch: Arc<tokio::sync::OnceCell<String>>,
    /// The minimum app version IT set (`release minimum`, from another process): read again
    /// when older than [`MINIMUM_FRESH`].
    minimum: Arc<std::sync::Mutex<Option<MinimumRead>>>,
}

/// When the minimum app version was read, and what it was.
type MinimumRead = (std::time::Instant, Option<semver::Version>);

/// How long the server trusts the minimum app version it read.
const MINIMUM_FRESH: Duration = Duration::from_secs(30);

/// The header a laptop names its app version in.
pub const APP_VERSION_HEADER: &str = "x-loket-app-version";

impl AppState {
    async fn epoch(&self) -> Result<String, ApiError> {
        Ok(self.epoch.get_or_try_init(|| self.storage.epoch()).await?.clone())
    }

    async fn minimum(&self) -> Result<Option<semver::Version>, ApiError> {
        let cached = self.minimum.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some((_, v)) = cached.filter(|(at, _)| at.elapsed() < MINIMUM_FRESH) {
            return Ok(v);
        }
        let v = self.storage.minimum_app_version().await?.and_then(|v| semver::Version::parse(&v).ok());
        *self.minimum.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), v.clone()));
        Ok(v)
    }
}

/// Build the router.
pub fn router(storage: Arc<dyn Storage>, config: ApiConfig) -> Router {
    let state = AppState {
        storage,
        limiter: Arc::new(RateLimiter::new(config.auth_rate_limit, config.auth_rate_window)),
        sync_limiter: Arc::new(RateLimiter::new(config.sync_rate_limit, Duration::from_secs(60))),
        trusted_proxies: config.trusted_proxies.into(),
        lockout: Arc::new(Lockout::new(config.lockout)),
        epoch: Arc::new(tokio::sync::OnceCell::new()),
        minimum: Arc::new(std::sync::Mutex::new(None)),
    };
    let api = Router::new()
        .route("/enroll", post(enroll))
        .route("/login", post(login))
        .route("/offices/{office}/push", post(push))
        .route("/offices/{office}/changes", get(pull))
        .route("/offices/{office}/attachments/{sha256}", get(blob_download).put(blob_upload))
        .route("/offices/{office}/attachments/{sha256}/status", get(blob_status))
        .route("/offices/{office}/device/wiped", post(device_wiped))
        .route("/offices/{office}/device/key", post(device_key))
        .route("/updates/{target}/{arch}/{current_version}", get(crate::updates::check))
        .route("/updates/artifacts/{sha256}", get(crate::updates::artifact))
        .route("/updates/failed/{version}", post(crate::updates::failed))
        .route("/receipts/verify", post(crate::receipts::verify_api))
        .layer(middleware::from_fn(negotiate_protocol))
        .route("/openapi.json", get(openapi))
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/verify", get(crate::receipts::verify_page))
        .nest("/api/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(middleware::from_fn(crate::serve::refuse_when_busy))
        // gzip responses: sync JSON compresses several times over (the wire is what offices pay
        // for); the fastest level keeps the server's CPU for the database. Attachment contents
        // (scans, already compressed) are sent as they are. Gzip request bodies are decoded by
        // `ApiJson`.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when({
                    use tower_http::compression::predicate::{
                        DefaultPredicate, NotForContentType, Predicate,
                    };
                    DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream"))
                }),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}

#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process answers (also beyond the connection cap)")))]
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Storage answers", body = Readiness),
    (status = 503, description = "Storage does not answer", body = Readiness)))]
async fn readyz(State(s): State<AppState>) -> Response {
    let ready = s.storage.ping().await.is_ok();
    let body = Json(Readiness { ready, backend: s.storage.backend().to_string() });
    if ready {
        body.into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health",
    responses((status = 200, description = "This document", content_type = "application/json")))]
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Refuse clients without a protocol version, and old ones with 426 and the minimum version.
async fn negotiate_protocol(req: Request, next: Next) -> Result<Response, ApiError> {
    let version =
        req.headers().get(PROTOCOL_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u32>().ok());
    match version {
        None => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "protocol_required",
            format!("send the {PROTOCOL_HEADER} header"),
        )),
        Some(v) if v < MIN_PROTOCOL_VERSION => {
            let mut e = ApiError::new(
                StatusCode::UPGRADE_REQUIRED,
                "upgrade_required",
                format!("protocol {v} is no longer supported; update Loket"),
            );
            e.body.min_version = Some(MIN_PROTOCOL_VERSION);
            Err(e)
        }
        // A newer device than this server: said plainly, never served as an older protocol.
        Some(v) if v > PROTOCOL_VERSION => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "protocol_unsupported",
            format!("this server speaks protocols {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}, not {v}; the provincial server needs updating"),
        )),
        Some(_) => Ok(next.run(req).await),
    }
}

/// 429 for a client over its enrollment or login rate, with when to try again.
pub(crate) fn rate_limited(s: &AppState) -> ApiError {
    let mut e =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many attempts; wait a minute");
    e.retry_after = Some(s.limiter.window().as_secs().max(1));
    e
}

/// The address rate limits key on: the peer's, or — when the peer is a trusted reverse proxy —
/// the nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
pub(crate) fn client_ip(s: &AppState, req: &Request) -> IpAddr {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    forwarded_client(peer, forwarded, &s.trusted_proxies)
}

/// See [`client_ip`]: hops are read from the right (the ones a trusted proxy appended), and an
/// unreadable hop stops the walk at the last trusted address.
pub fn forwarded_client(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => return client,
        }
    }
    client
}

/// What a revoked device may still do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Revoked {
    /// Nothing (pull, download, the connection check).
    Refused,
    /// Hand over its work: push operations (each still needs a valid user's proof) and upload
    /// the attachments they announced, then report its wipe.
    MayHandOver,
}

/// The device behind a bearer token, or 401.
async fn authenticate(s: &AppState, headers: &HeaderMap, revoked: Revoked) -> Result<Device, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::unauthorized("unauthenticated", "device credential missing"))?;
    let device = s
        .storage
        .device_by_token(&auth::hash_secret(token.trim()))
        .await?
        .ok_or_else(|| ApiError::unauthorized("unauthenticated", "device credential not recognised"))?;
    if device.revoked && revoked == Revoked::Refused {
        return Err(ApiError::unauthorized("device_revoked", "this device has been revoked by IT"));
    }
    Ok(device)
}

/// The device behind an update request: authenticated (a revoked device gets no update), within
/// its sync rate.
pub(crate) async fn device_for_updates(s: &AppState, headers: &HeaderMap) -> Result<Device, ApiError> {
    let device = authenticate(s, headers, Revoked::Refused).await?;
    within_sync_rate(s, &device)?;
    Ok(device)
}

/// The device behind a sync request for `office`: authenticated, of that office, and within
/// its sync rate (429 with `Retry-After` otherwise).
async fn sync_device(
    s: &AppState,
    headers: &HeaderMap,
    office: &str,
    revoked: Revoked,
) -> Result<Device, ApiError> {
    let device = authenticate(s, headers, revoked).await?;
    if device.office_code != office {
        return Err(ApiError::forbidden("a device may only use its own office"));
    }
    within_sync_rate(s, &device)?;
    let app_version = headers.get(APP_VERSION_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let minimum = s.minimum().await?;
    if crate::rules::release::below_minimum(app_version, minimum.as_ref()) {
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "app_upgrade_required",
            format!(
                "this server serves Loket {} and newer; update the app",
                minimum.unwrap_or(semver::Version::new(0, 0, 0))
            ),
        ));
    }
    Ok(device)
}

/// 429 with `Retry-After` when the device goes faster than the sync rate.
fn within_sync_rate(s: &AppState, device: &Device) -> Result<(), ApiError> {
    if let Some(wait) = s.sync_limiter.wait(device.id.clone()) {
        tracing::warn!(device = %device.id, "sync rate limit reached");
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "this device is syncing faster than the server allows; it will continue shortly",
        );
        e.retry_after = Some(wait.as_secs().max(1));
        return Err(e);
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/enroll", tag = "devices",
    params(crate::openapi::Protocol), request_body = EnrollRequest, responses(
    (status = 200, description = "The device's credential (shown once)", body = EnrollResponse),
    (status = 400, description = "`enrollment_code_invalid`, `malformed_json`, `malformed_gzip`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    (status = 409, description = "`link_required`, `link_mismatch`: the laptop's first user and the code disagree", body = ApiErrorBody),
    (status = 410, description = "`enrollment_code_used`, `enrollment_code_expired`", body = ApiErrorBody),
    crate::openapi::BodyRefusals,
    (status = 422, description = "`invalid_body`, `invalid_local_user`", body = ApiErrorBody),
    (status = 426, description = "`upgrade_required`: the client's protocol is too old (`min_version`)", body = ApiErrorBody),
    (status = 429, description = "`rate_limited` (with `Retry-After`)", body = ApiErrorBody),
    (status = 503, description = "`server_busy` (with `Retry-After`), `storage_unavailable`, `device_code_exhausted`", body = ApiErrorBody)))]
async fn enroll(State(s): State<AppState>, req: Request) -> Result<Json<EnrollResponse>, ApiError> {
    if !s.limiter.allow(client_ip(&s, &req), "enroll") {
        return Err(rate_limited(&s));
    }
    let ApiJson(body) = ApiJson::<EnrollRequest>::from_request(req, &s).await?;
    if body.local_user.as_ref().is_some_and(|u| !loket_keys::is_public_key(&u.public_key)) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_local_user",
            "malformed public key",
        ));
    }
    let code_hash = auth::hash_secret(&auth::normalise_code(&body.code));
    let name: String = body.device_name.chars().filter(|c| !c.is_control()).take(100).collect();
    let token = auth::new_token();
    let token_hash = auth::hash_secret(&token);
    // A fresh device code can collide with an existing one; try a few.
    for _ in 0..8 {
        let new = NewDevice {
            id: uuid::Uuid::now_v7().to_string(),
            device_code: auth::new_device_code(),
            token_hash: token_hash.clone(),
            name: name.clone(),
            app_version: body.app_version.chars().take(40).collect(),
            local_user: body.local_user.clone(),
        };
        match s.storage.enroll_device(&code_hash, &new, Utc::now()).await {
            Ok(device) => {
                let office = s.storage.office(&device.office_code).await?;
                tracing::info!(device = %device.id, office = %device.office_code, "device enrolled");
                return Ok(Json(EnrollResponse {
                    device_id: device.id,
                    device_code: device.device_code,
                    token,
                    office_name: office.map(|o| o.name).unwrap_or_default(),
                    office_code: device.office_code,
                    server_time: Utc::now().to_rfc3339(),
                }));
            }
            Err(StorageError::Duplicate(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "device_code_exhausted",
        "could not allocate a device code",
    ))
}

/// A password hash of nobody's, checked when the username is unknown, so that an unknown user
/// takes as long to refuse as a wrong password.
static NOBODY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| auth::hash_password(&auth::new_token()));

/// Online login. Unknown users, deactivated users and wrong passwords get the same answer in the
/// same time; repeated failures lock the username and the address for a while ([`Lockout`]).
#[utoipa::path(post, path = "/api/v1/login", tag = "users",
    params(crate::openapi::Protocol), request_body = LoginRequest, responses(
    (status = 200, description = "The user, for an online login", body = LoginResponse),
    (status = 400, description = "`malformed_json`, `malformed_gzip`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    (status = 401, description = "`invalid_credentials` (unknown user, deactivated or wrong password alike)", body = ApiErrorBody),
    crate::openapi::BodyRefusals,
    (status = 422, description = "`invalid_body`", body = ApiErrorBody),
    (status = 426, description = "`upgrade_required`", body = ApiErrorBody),
    (status = 429, description = "`rate_limited`, `login_locked` (with `Retry-After`)", body = ApiErrorBody),
    (status = 503, description = "`server_busy`, `storage_unavailable`", body = ApiErrorBody)))]
async fn login(State(s): State<AppState>, req: Request) -> Result<Json<LoginResponse>, ApiError> {
    let ip = client_ip(&s, &req);
    if !s.limiter.allow(ip, "login") {
        return Err(rate_limited(&s));
    }
    let ApiJson(body) = ApiJson::<LoginRequest>::from_request(req, &s).await?;
    let username = body.username.trim();
    if let Some(wait) = s.lockout.locked(username, ip, std::time::Instant::now()) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "login_locked",
            "too many failed logins; try again later",
        );
        e.retry_after = Some(wait.as_secs().max(1));
        return Err(e);
    }
    let user = s.storage.user_by_username(username).await?;
    let ok = match &user {
        Some(u) => auth::verify_password(&body.password, &u.password_hash) && u.active,
        None => {
            auth::verify_password(&body.password, &NOBODY);
            false
        }
    };
    match user {
        Some(u) if ok => {
            s.lockout.succeeded(username);
            if auth::needs_rehash(&u.password_hash) {
                let stronger = crate::storage::UserUpdate::PasswordHash(auth::hash_password(&body.password));
                s.storage.update_user(&u.username, stronger, Utc::now()).await?;
                tracing::info!(user = %u.username, "password hash upgraded");
            }
            Ok(Json(LoginResponse {
                username: u.username,
                full_name: u.full_name,
                office_code: u.office_code,
                roles: u.roles,
            }))
        }
        _ => {
            s.lockout.failed(username, ip, std::time::Instant::now());
            Err(ApiError::unauthorized("invalid_credentials", "username or password is wrong"))
        }
    }
}

#[utoipa::path(post, path = "/api/v1/offices/{office}/push", tag = "sync",
    params(crate::openapi::Protocol, crate::openapi::OfficePath), request_body = PushRequest,
    security(("device" = [])), responses(
    (status = 200, description = "One result per operation, in order; a refused operation is refused alone", body = PushResponse),
    (status = 400, description = "`malformed_json`, `malformed_gzip`, `invalid_path`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    crate::openapi::BodyRefusals,
    (status = 422, description = "`invalid_body`: not a push (e.g. an unknown operation kind)", body = ApiErrorBody),
    crate::openapi::SyncRefusals))]
async fn push(
    State(s): State<AppState>,
    ApiPath(office): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let device = sync_device(&s, &headers, &office, Revoked::MayHandOver).await?;
    if body.ops.len() > MAX_PUSH_OPS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_operations",
            format!("at most {MAX_PUSH_OPS} operations per push"),
        ));
    }
    // A registration names the catalogue version it was made under: know every published one
    // (IT publishes from another process).
    crate::catalogues::know_published(s.storage.as_ref()).await?;
    let results = s.storage.push(&device, body.ops, Utc::now()).await?;
    s.storage.report_device(&device.id, &body.app_version, body.pending, Utc::now()).await?;
    s.storage.rollout_installed(&device.id, &body.app_version, Utc::now()).await?;
    Ok(Json(PushResponse { results, server_time: Utc::now().to_rfc3339(), epoch: Some(s.epoch().await?) }))
}

#[derive(Debug, Deserialize)]
struct PullQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/offices/{office}/changes", tag = "sync",
    params(crate::openapi::Protocol, crate::openapi::OfficePath, crate::openapi::PullParams),
    security(("device" = [])), responses(
    (status = 200, description = "A page of the office's changes after the checkpoint", body = PullResponse),
    (status = 400, description = "`invalid_query`, `invalid_path`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    crate::openapi::SyncRefusals))]
async fn pull(
    State(s): State<AppState>,
    ApiPath(office): ApiPath<String>,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PullResponse<RawPayload>>, ApiError> {
    sync_device(&s, &headers, &office, Revoked::Refused).await?;
    let Query(q) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let limit = q.limit.unwrap_or(MAX_PULL_LIMIT).clamp(1, MAX_PULL_LIMIT);
    let (changes, has_more) = s.storage.pull(&office, q.after.max(0), limit).await?;
    let next = changes.last().map_or(q.after.max(0), |c| c.server_seq);
    Ok(Json(PullResponse {
        changes,
        next,
        has_more,
        server_time: Some(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        epoch: Some(s.epoch().await?),
    }))
}

/// Where an attachment's upload is: `{size, received, complete}`; 404 before the first chunk.
#[utoipa::path(get, path = "/api/v1/offices/{office}/attachments/{sha256}/status", tag = "attachments",
    params(crate::openapi::Protocol, crate::openapi::OfficePath, crate::openapi::ShaPath),
    security(("device" = [])), responses(
    (status = 200, description = "How far the upload is", body = BlobStatus),
    (status = 400, description = "`invalid_sha256`, `invalid_path`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    (status = 404, description = "`not_found`: not announced by an accepted attach operation", body = ApiErrorBody),
    crate::openapi::SyncRefusals))]
async fn blob_status(
    State(s): State<AppState>,
    ApiPath((office, sha256)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<loket_protocol::BlobStatus>, ApiError> {
    let device = sync_device(&s, &headers, &office, Revoked::MayHandOver).await?;
    check_sha(&sha256)?;
    let status =
        s.storage.blob_status(&device.office_code, &sha256).await?.ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no upload of this attachment")
        })?;
    Ok(Json(status))
}

#[derive(Deserialize)]
struct UploadQuery {
    offset: i64,
    size: i64,
}

/// One chunk of an attachment, at `offset` of `size` bytes (resumable; see `blob_status`).
#[utoipa::path(put, path = "/api/v1/offices/{office}/attachments/{sha256}", tag = "attachments",
    params(crate::openapi::Protocol, crate::openapi::OfficePath, crate::openapi::ShaPath, crate::openapi::UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The bytes at `offset`, at most 1 MiB"),
    security(("device" = [])), responses(
    (status = 200, description = "How far the upload is now", body = BlobStatus),
    (status = 400, description = "`invalid_sha256`, `invalid_query`, `invalid_path`, `upload_invalid`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    (status = 409, description = "`upload_offset` (continue where the server is), `attachment_not_expected` (no accepted attach operation announced it)", body = ApiErrorBody),
    (status = 413, description = "`chunk_too_large`", body = ApiErrorBody),
    (status = 422, description = "`upload_hash_mismatch` (start again), `attachment_type_mismatch` (not the declared type)", body = ApiErrorBody),
    crate::openapi::SyncRefusals))]
async fn blob_upload(
    State(s): State<AppState>,
    ApiPath((office, sha256)): ApiPath<(String, String)>,
    headers: HeaderMap,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<loket_protocol::BlobStatus>, ApiError> {
    let device = sync_device(&s, &headers, &office, Revoked::MayHandOver).await?;
    check_sha(&sha256)?;
    let Query(q) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "chunk_too_large", "chunks are at most 1 MiB")
        }
        status => ApiError::new(status, "bad_request", e.body_text()),
    })?;
    if body.len() > loket_protocol::MAX_CHUNK_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "chunk_too_large",
            "chunks are at most 1 MiB",
        ));
    }
    let status = s
        .storage
        .blob_append(crate::storage::BlobChunk {
            office_code: device.office_code,
            sha256,
            size: q.size,
            offset: q.offset,
            bytes: body.to_vec(),
        })
        .await?;
    Ok(Json(status))
}

/// The content of a complete attachment of the device's office.
#[utoipa::path(get, path = "/api/v1/offices/{office}/attachments/{sha256}", tag = "attachments",
    params(crate::openapi::Protocol, crate::openapi::OfficePath, crate::openapi::ShaPath),
    security(("device" = [])), responses(
    (status = 200, description = "The content", content_type = "application/octet-stream", body = Vec<u8>),
    (status = 400, description = "`invalid_sha256`, `invalid_path`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    (status = 404, description = "`not_found`: not uploaded (yet)", body = ApiErrorBody),
    crate::openapi::SyncRefusals))]
async fn blob_download(
    State(s): State<AppState>,
    ApiPath((office, sha256)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let device = sync_device(&s, &headers, &office, Revoked::Refused).await?;
    check_sha(&sha256)?;
    let bytes =
        s.storage.blob_read(&device.office_code, &sha256).await?.ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "attachment not uploaded (yet)")
        })?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// A revoked device reports that it deleted its key and its local data (`device list` shows
/// it). Re-sending the report changes nothing.
#[utoipa::path(post, path = "/api/v1/offices/{office}/device/wiped", tag = "devices",
    params(crate::openapi::Protocol, crate::openapi::OfficePath),
    security(("device" = [])), responses(
    (status = 204, description = "The wipe is recorded"),
    (status = 400, description = "`invalid_path`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    (status = 409, description = "`device_not_revoked`: only a revoked device reports a wipe", body = ApiErrorBody),
    crate::openapi::SyncRefusals))]
async fn device_wiped(
    State(s): State<AppState>,
    ApiPath(office): ApiPath<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let device = sync_device(&s, &headers, &office, Revoked::MayHandOver).await?;
    if !s.storage.record_wipe(&device.id, Utc::now()).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "device_not_revoked",
            "only a device IT has revoked reports a wipe",
        ));
    }
    tracing::info!(device = %device.id, office = %device.office_code, "revoked device reports its wipe");
    Ok(StatusCode::NO_CONTENT)
}

/// A device registers the key it signs receipts with, and gets the province's certificate of
/// it (carried in every receipt it prints from then on). Asking again with the same key gives
/// a certificate again; another key is refused: a device has one receipt key.
#[utoipa::path(post, path = "/api/v1/offices/{office}/device/key", tag = "devices",
    params(crate::openapi::Protocol, crate::openapi::OfficePath), request_body = DeviceKeyRequest,
    security(("device" = [])), responses(
    (status = 200, description = "The province's certificate of the key", body = DeviceKeyResponse),
    (status = 400, description = "`malformed_json`, `malformed_gzip`, `invalid_path`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    (status = 409, description = "`device_key_taken`: the device (or another) has registered another key", body = ApiErrorBody),
    crate::openapi::BodyRefusals,
    (status = 422, description = "`invalid_body`: not an Ed25519 public key", body = ApiErrorBody),
    crate::openapi::SyncRefusals))]
async fn device_key(
    State(s): State<AppState>,
    ApiPath(office): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<DeviceKeyRequest>,
) -> Result<Json<DeviceKeyResponse>, ApiError> {
    let device = sync_device(&s, &headers, &office, Revoked::Refused).await?;
    if !loket_keys::is_public_key(&body.public_key) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "not an Ed25519 public key",
        ));
    }
    let taken =
        || ApiError::new(StatusCode::CONFLICT, "device_key_taken", "another receipt key is registered");
    match crate::receipts::certify(s.storage.as_ref(), &device, &body.public_key).await {
        Ok(Some(answer)) => Ok(Json(answer)),
        Ok(None) | Err(StorageError::Duplicate(_)) => Err(taken()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn check_sha(sha256: &str) -> Result<(), ApiError> {
    if loket_domain::attachment::is_sha256_hex(sha256) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_sha256",
            "attachment name must be a lower-case SHA-256",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn the_client_behind_trusted_proxies() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let trusted = [ip("127.0.0.1"), ip("10.0.0.5")];
        // Not from a proxy: the peer, whatever the header says.
        assert_eq!(forwarded_client(ip("203.0.113.7"), Some("10.1.1.1"), &trusted), ip("203.0.113.7"));
        // From a proxy: the nearest hop that is not a proxy.
        assert_eq!(forwarded_client(ip("127.0.0.1"), Some("10.1.1.1"), &trusted), ip("10.1.1.1"));
        assert_eq!(
            forwarded_client(ip("127.0.0.1"), Some("1.2.3.4, 10.1.1.1, 10.0.0.5"), &trusted),
            ip("10.1.1.1")
        );
        // No header, or garbage in it: the last trusted address.
        assert_eq!(forwarded_client(ip("127.0.0.1"), None, &trusted), ip("127.0.0.1"));
        assert_eq!(forwarded_client(ip("127.0.0.1"), Some("x, 10.0.0.5"), &trusted), ip("10.0.0.5"));
        assert_eq!(forwarded_client(ip("127.0.0.1"), Some("10.1.1.1"), &[]), ip("127.0.0.1"));
    }
}
