//! Checking a receipt's QR code for an official or a citizen: `loket-server verify`, `POST
//! /api/v1/receipts/verify` and the `/verify` page all come here.

use loket_protocol::{ReceiptVerdict, ReceiptVerifyResponse};

use crate::rules::receipt::{judge, read, Known};
use crate::storage::{Storage, StorageError};

/// The verdict on `payload`, what it claims, who issued it, and whether the server holds the
/// application under that number.
pub async fn verify(storage: &dyn Storage, payload: &str) -> Result<ReceiptVerifyResponse, StorageError> {
    let Some((parts, claim)) = read(payload) else {
        return Ok(ReceiptVerifyResponse {
            verdict: ReceiptVerdict::NotReceipt,
            claim: None,
            issued_by: None,
            device: None,
            device_revoked_at: None,
            known_to_server: false,
        });
    };
    let facts = storage.receipt_facts(&claim.user, &claim.id, &claim.key_id).await?;
    let known = Known {
        signer: facts.signer.as_ref(),
        device: facts.device.as_ref(),
        province_keys: Some(&facts.province_keys),
    };
    let verdict = judge(&parts, &claim, &known);
    let genuine = verdict == ReceiptVerdict::Genuine;
    // The clerk's name, when the user the receipt names is of its office.
    let issued_by = match &facts.signer {
        Some(s) if genuine && s.office == claim.office => {
            storage.user_by_username(&claim.user).await?.map(|u| u.full_name)
        }
        _ => None,
    };
    let device = claim.device.clone().filter(|_| genuine);
    let device_revoked_at = facts.device.and_then(|d| d.revoked_at).filter(|_| genuine);
    let known_to_server = facts.registered.is_some_and(|number| number == claim.number);
    tracing::info!(verdict = ?verdict, office = %claim.office, "receipt checked");
    Ok(ReceiptVerifyResponse {
        verdict,
        claim: Some(claim),
        issued_by,
        device,
        device_revoked_at,
        known_to_server,
    })
}

/// Certify a device's receipt key with the province's key (made on first use), registering the
/// key for the device. `None`: the device has another key registered already.
pub async fn certify(
    storage: &dyn Storage,
    device: &crate::storage::Device,
    public_key: &str,
) -> Result<Option<loket_protocol::DeviceKeyResponse>, StorageError> {
    let key_id = loket_keys::key_id(public_key);
    if !storage.set_device_key(&device.id, &key_id, public_key).await? {
        return Ok(None);
    }
    let province = province_key(storage).await?;
    let certificate = loket_protocol::DeviceCertificate {
        device_code: device.device_code.clone(),
        office: device.office_code.clone(),
        public_key: public_key.to_string(),
        province_key_id: province.key_id(),
        issued_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let json = serde_json::to_string(&certificate).map_err(|e| StorageError::Backend(e.to_string()))?;
    tracing::info!(device = %device.device_code, office = %device.office_code, "device receipt key certified");
    Ok(Some(loket_protocol::DeviceKeyResponse {
        certificate: loket_keys::certify_device(&json, &province),
        province_public_key: province.public_key(),
    }))
}

/// The province's signing key, made and kept on first use.
pub async fn province_key(storage: &dyn Storage) -> Result<loket_keys::SigningKey, StorageError> {
    let fresh = loket_keys::SigningKey::generate();
    let candidate = crate::storage::ProvinceKey {
        key_id: fresh.key_id(),
        public_key: fresh.public_key(),
        secret: fresh.export_secret().to_string(),
    };
    let kept = storage.province_key(&candidate, chrono::Utc::now()).await?;
    loket_keys::SigningKey::from_secret(&kept.secret)
        .map_err(|e| StorageError::Backend(format!("province key: {e}")))
}

/// The warning for a genuine receipt of a device IT has since revoked.
pub fn revoked_text(at: &str) -> String {
    format!(
        "perangkat ini dicabut TI provinsi pada {at}; tanda terima yang terbit sesudahnya perlu \
         dicocokkan dengan kantor kecamatan."
    )
}

/// The verdict in Bahasa Indonesia, for the page and the CLI.
pub fn verdict_text(v: ReceiptVerdict) -> &'static str {
    match v {
        ReceiptVerdict::Genuine => "ASLI: ditandatangani perangkat kantor kecamatan yang disahkan provinsi.",
        ReceiptVerdict::Altered => {
            "TIDAK ASLI: isi kode tidak cocok dengan tanda tangannya (diubah atau dipalsukan)."
        }
        ReceiptVerdict::UnknownDevice => {
            "PERANGKAT TIDAK DIKENAL: penanda tangan tidak disahkan provinsi untuk kantor ini."
        }
        ReceiptVerdict::NotReceipt => "BUKAN TANDA TERIMA LOKET, atau kodenya rusak.",
    }
}

use axum::extract::{FromRequest, Query, Request, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use loket_protocol::{ApiError as ApiErrorBody, ReceiptVerifyRequest};

use crate::api::{client_ip, rate_limited, AppState};
use crate::error::{ApiError, ApiJson};

/// Check a receipt's QR code. Needs no credential (whoever holds the paper may ask); rate
/// limited per address. The answer holds only what the code itself says.
#[utoipa::path(post, path = "/api/v1/receipts/verify", tag = "receipts",
    params(crate::openapi::Protocol), request_body = ReceiptVerifyRequest, responses(
    (status = 200, description = "The verdict (`genuine`, `altered`, `unknown_device`, `not_receipt`) and what the code says", body = ReceiptVerifyResponse),
    (status = 400, description = "`malformed_json`, `malformed_gzip`, `protocol_required`, `protocol_unsupported`", body = ApiErrorBody),
    crate::openapi::BodyRefusals,
    (status = 422, description = "`invalid_body`", body = ApiErrorBody),
    (status = 426, description = "`upgrade_required`: the client's protocol is too old (`min_version`)", body = ApiErrorBody),
    (status = 429, description = "`rate_limited` (with `Retry-After`)", body = ApiErrorBody),
    (status = 503, description = "`server_busy`, `storage_unavailable`", body = ApiErrorBody)))]
pub(crate) async fn verify_api(
    State(s): State<AppState>,
    req: Request,
) -> Result<Json<ReceiptVerifyResponse>, ApiError> {
    if !s.limiter.allow(client_ip(&s, &req), "verify") {
        return Err(rate_limited(&s));
    }
    let ApiJson(body) = ApiJson::<ReceiptVerifyRequest>::from_request(req, &s).await?;
    Ok(Json(verify(s.storage.as_ref(), &body.payload).await?))
}

#[derive(serde::Deserialize)]
pub(crate) struct PageQuery {
    kode: Option<String>,
}

/// `GET /verify`: a page where an official pastes (or a scanner types) a receipt's code, and
/// `GET /verify?kode=…` its verdict. Plain HTML, no script, its own strict CSP.
pub(crate) async fn verify_page(
    State(s): State<AppState>,
    Query(q): Query<PageQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let result = match q.kode.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(_) if !s.limiter.allow(client_ip(&s, &req), "verify") => return Err(rate_limited(&s)),
        Some(code) => Some(verify(s.storage.as_ref(), code).await?),
    };
    let page = page(q.kode.as_deref().unwrap_or_default(), result.as_ref());
    Ok((
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        )],
        Html(page),
    )
        .into_response())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(code: &str, result: Option<&ReceiptVerifyResponse>) -> String {
    let mut body = String::new();
    if let Some(r) = result {
        let class = if r.verdict == ReceiptVerdict::Genuine { "ok" } else { "bad" };
        body.push_str(&format!(
            r#"<p id="verdict" class="{class}" data-verdict="{:?}">{}</p>"#,
            r.verdict,
            escape(verdict_text(r.verdict))
        ));
        if let Some(c) = &r.claim {
            let mut rows = vec![
                ("Nomor registrasi", c.number.clone().unwrap_or_else(|| "(draf)".into())),
                ("Kantor kecamatan", c.office.clone()),
                ("Layanan", c.service.clone()),
                ("Nama", c.name.clone()),
                ("NIK", c.nik_masked.clone().unwrap_or_else(|| "-".into())),
                ("Diterbitkan", c.issued_at.clone()),
                ("Petugas", r.issued_by.clone().unwrap_or_else(|| c.user.clone())),
                ("Perangkat", c.device.clone().unwrap_or_else(|| "-".into())),
            ];
            if r.verdict == ReceiptVerdict::Genuine {
                let known = if r.known_to_server {
                    "sudah diterima server provinsi"
                } else {
                    "belum diterima server provinsi (laptop kantor belum tersinkron)"
                };
                rows.push(("Berkas", known.into()));
                if let Some(at) = &r.device_revoked_at {
                    rows.push(("Perhatian", revoked_text(at)));
                }
            }
            body.push_str("<dl>");
            for (k, v) in rows {
                body.push_str(&format!("<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v)));
            }
            body.push_str(
                "</dl><p class=\"hint\">Cocokkan isian di atas dengan yang tercetak pada tanda terima.</p>",
            );
        }
    }
    format!(
        r#"<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Periksa tanda terima Loket</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}textarea{{width:100%;min-height:6rem}}.ok{{color:#0a6b2d;font-weight:bold}}.bad{{color:#a11;font-weight:bold}}dt{{font-weight:bold}}dd{{margin:0 0 .5rem}}.hint{{color:#555}}</style></head>
<body><h1>Periksa tanda terima</h1><p>Pindai kode QR pada tanda terima, lalu tempel isinya di sini.</p>
<form method="get" action="/verify"><textarea name="kode" id="kode" required>{}</textarea><p><button type="submit">Periksa</button></p></form>{body}</body></html>"#,
        escape(code)
    )
}
