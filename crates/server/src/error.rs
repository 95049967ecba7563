//! The one error shape of the HTTP API: `{code, message}` with a fitting status.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loket_protocol::ApiError as Body;
use serde::de::DeserializeOwned;

use crate::storage::StorageError;

/// An error response. Handlers return `Result<_, ApiError>` and use `?`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Body,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
    /// A `Content-Range` header (416: `bytes */<size>`).
    pub content_range: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Body { code: code.into(), message: message.into(), min_version: None },
            retry_after: None,
            content_range: None,
        }
    }

    pub fn unauthorized(code: &str, message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden_office", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        if let Some(range) = self.content_range.and_then(|r| r.parse().ok()) {
            response.headers_mut().insert(header::CONTENT_RANGE, range);
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(what) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            StorageError::Duplicate(what) => {
                Self::new(StatusCode::CONFLICT, "duplicate", format!("{what} already exists"))
            }
            StorageError::CodeInvalid => {
                Self::new(StatusCode::BAD_REQUEST, "enrollment_code_invalid", "enrollment code is not valid")
            }
            StorageError::CodeUsed => {
                Self::new(StatusCode::GONE, "enrollment_code_used", "enrollment code was already used")
            }
            StorageError::CodeExpired => {
                Self::new(StatusCode::GONE, "enrollment_code_expired", "enrollment code has expired")
            }
            StorageError::LinkRequired => Self::new(
                StatusCode::CONFLICT,
                "link_required",
                "the laptop has a local user; ask IT for an enrollment code that names the account to link",
            ),
            StorageError::LinkMismatch(user) => Self::new(
                StatusCode::CONFLICT,
                "link_mismatch",
                format!("this enrollment code links the laptop's user to account {user}"),
            ),
            StorageError::BlobOffset { received } => Self::new(
                StatusCode::CONFLICT,
                "upload_offset",
                format!("upload must continue at byte {received}"),
            ),
            StorageError::BlobMismatch => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "upload_hash_mismatch",
                "uploaded content does not match its SHA-256; start again",
            ),
            StorageError::BlobInvalid(why) => Self::new(StatusCode::BAD_REQUEST, "upload_invalid", why),
            StorageError::BlobNotExpected => Self::new(
                StatusCode::CONFLICT,
                "attachment_not_expected",
                "upload an attachment after its attach operation was accepted",
            ),
            StorageError::BlobType(declared) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "attachment_type_mismatch",
                format!("the content is not the declared {declared}"),
            ),
            other => {
                // Internals are logged, never sent.
                tracing::error!(error = %other, "storage failure");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "storage is unavailable; retry later",
                )
            }
        }
    }
}

/// `Json<T>` whose rejections use [`ApiError`].
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let gzip = req.headers().get(header::CONTENT_ENCODING).is_some_and(|v| v.as_bytes() == b"gzip");
        if gzip {
            return gzip_json(req, state).await.map(Self);
        }
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "content_type",
                    "expected application/json",
                ),
                JsonRejection::BytesRejection(ref r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "request body is too large",
                    )
                }
                JsonRejection::JsonSyntaxError(_) => {
                    ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "request body is not valid JSON")
                }
                JsonRejection::JsonDataError(e) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    format!("request body does not match: {}", e.body_text()),
                ),
                other => ApiError::new(other.status(), "bad_request", other.body_text()),
            }),
        }
    }
}

/// Largest request body after gzip decoding (the compressed body has the router's limit).
pub const MAX_DECODED_BODY: u64 = loket_protocol::MAX_PUSH_BYTES;

/// A gzip-encoded JSON body: decoded with a size cap (no zip bombs), then parsed.
async fn gzip_json<S: Send + Sync, T: DeserializeOwned>(req: Request, state: &S) -> Result<T, ApiError> {
    use std::io::Read;
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            "expected application/json",
        ));
    }
    let body = axum::body::Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body is too large")
        } else {
            ApiError::new(r.status(), "bad_request", r.body_text())
        }
    })?;
    let mut decoded = Vec::with_capacity(body.len() * 4);
    flate2::read::GzDecoder::new(&body[..]).take(MAX_DECODED_BODY + 1).read_to_end(&mut decoded).map_err(
        |_| ApiError::new(StatusCode::BAD_REQUEST, "malformed_gzip", "request body is not valid gzip"),
    )?;
    if decoded.len() as u64 > MAX_DECODED_BODY {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "request body is too large",
        ));
    }
    serde_json::from_slice(&decoded).map_err(|e| {
        if e.is_data() {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("request body does not match: {e}"),
            )
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "request body is not valid JSON")
        }
    })
}

/// `Path<T>` whose rejections use [`ApiError`] (an undecodable segment is `400 invalid_path`).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> axum::extract::FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Self(v)),
            Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text())),
        }
    }
}
