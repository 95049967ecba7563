//! The OpenAPI document, generated from the handlers' annotations (`api.rs`) and the
//! protocol's own types (`loket-protocol`'s `openapi` feature). `docs/openapi.json` is this
//! document as committed; a test checks the two are the same
//! (`LOKET_UPDATE_OPENAPI=1 cargo test -p loket-server --lib openapi` writes it).

use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

/// The protocol header every `/api/v1` request carries (but the document itself).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct Protocol {
    /// The client's protocol version: older than the server's minimum is `426`, newer than
    /// the server's is `400 protocol_unsupported`.
    #[serde(rename = "x-loket-protocol")]
    #[param(rename = "x-loket-protocol", minimum = 1, maximum = 4294967295_u64)]
    pub protocol: u32,
}

/// The office in the path: the device's own (dotted kecamatan code).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OfficePath {
    /// e.g. `36.01.01`.
    #[param(max_length = 64)]
    pub office: String,
}

/// The laptop asking for an update: its platform and the version it runs (the updater's
/// `{{target}}`, `{{arch}}` and `{{current_version}}`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UpdatePath {
    /// `linux`, `windows` or `darwin`.
    #[param(max_length = 16)]
    pub target: String,
    /// `x86_64`, `aarch64`, …
    #[param(max_length = 16)]
    pub arch: String,
    /// The app's version (semver).
    #[param(max_length = 64)]
    pub current_version: String,
}

/// A release's version (semver).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VersionPath {
    #[param(max_length = 64)]
    pub version: String,
}

/// A byte range of a download (`bytes=START-` or `bytes=START-END`), to resume one that was cut.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct RangeHeader {
    #[serde(rename = "range")]
    #[param(rename = "range", required = false, pattern = "^bytes=[0-9]+-[0-9]*$")]
    pub range: Option<String>,
}

/// An attachment's name: the SHA-256 of its content.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ShaPath {
    /// Lower-case hex SHA-256.
    #[param(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
}

/// A page of changes after a checkpoint.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullParams {
    /// The checkpoint (`next` of the previous page); 0 for the beginning.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Changes per page (1 to 1,000; more is taken as 1,000).
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
}

/// Where a chunk goes in the attachment, and the attachment's size.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// Byte offset of this chunk: where the upload is.
    #[param(minimum = 0)]
    pub offset: i64,
    /// The attachment's size in bytes (1 to 10 MiB), as its attach operation declared.
    #[param(minimum = 1, maximum = 10485760)]
    pub size: i64,
}

/// The refusals of a JSON body every endpoint taking one may answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a description of responses, never built
pub enum BodyRefusals {
    /// `payload_too_large` (over the body limit, or over 8 MiB once decoded); a push of more than
    /// 500 operations: `too_many_operations`
    #[response(status = 413)]
    TooLarge(loket_protocol::ApiError),
    /// `content_type`: not `application/json`
    #[response(status = 415)]
    ContentType(loket_protocol::ApiError),
}

/// The refusals every sync endpoint (push, changes, attachments) may answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a description of responses, never built
pub enum SyncRefusals {
    /// `unauthenticated`, `device_revoked`
    #[response(status = 401)]
    Unauthenticated(loket_protocol::ApiError),
    /// `forbidden`: another office than the device's
    #[response(status = 403)]
    Forbidden(loket_protocol::ApiError),
    /// `upgrade_required`
    #[response(status = 426)]
    UpgradeRequired(loket_protocol::ApiError),
    /// `rate_limited`: the device's sync rate (with `Retry-After`)
    #[response(status = 429)]
    RateLimited(loket_protocol::ApiError),
    /// `server_busy` (with `Retry-After`), `storage_unavailable`
    #[response(status = 503)]
    Unavailable(loket_protocol::ApiError),
}

/// The device's bearer credential.
struct DeviceAuth;

impl Modify for DeviceAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token from enrollment"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Loket provincial server",
        description = "Enrollment, users and the sync API of Loket. Every /api/v1 endpoint except this document requires the x-loket-protocol header. Errors are always {code, message}: the code is stable and callers branch on it.",
        license(name = "Proprietary")
    ),
    paths(
        crate::api::healthz,
        crate::api::readyz,
        crate::api::openapi,
        crate::api::enroll,
        crate::api::login,
        crate::api::push,
        crate::api::pull,
        crate::api::blob_status,
        crate::api::blob_upload,
        crate::api::blob_download,
        crate::api::device_wiped,
        crate::api::device_key,
        crate::updates::check,
        crate::updates::artifact,
        crate::updates::failed,
        crate::receipts::verify_api,
    ),
    components(schemas(loket_protocol::ApiError, loket_protocol::OpKind, loket_protocol::ChangeKind, loket_protocol::Entity)),
    modifiers(&DeviceAuth)
)]
pub struct ApiDoc;

/// The document as committed: pretty JSON with a final newline.
pub fn document() -> String {
    let mut text = ApiDoc::openapi().to_pretty_json().expect("the document encodes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed document is the generated one.
    #[test]
    fn openapi_is_generated_and_committed() {
        let generated = document();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
        if std::env::var_os("LOKET_UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap();
        assert!(
            committed == generated,
            "docs/openapi.json is not the generated document: run LOKET_UPDATE_OPENAPI=1 cargo test -p loket-server --lib openapi"
        );
        assert_eq!(crate::api::OPENAPI, committed, "the server serves the committed document");
    }
}
