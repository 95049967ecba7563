//! TLS to PostgreSQL, as libpq's `sslmode` says in `DATABASE_URL`:
//!
//! - `disable` (or none): plain TCP — a database on the same host or a private link;
//! - `prefer`, `require`: encrypted; `require` refuses a server without TLS. As with libpq,
//!   neither checks the server's certificate;
//! - `verify-ca`, `verify-full`: encrypted and the certificate verified against the system's
//!   roots plus `sslrootcert` (a PEM file), including the host name (both are treated as
//!   `verify-full`, the stricter).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::SslMode;

use super::StorageError;

/// How to connect: the URL without the TLS parameters tokio-postgres does not know, the mode,
/// and the TLS client configuration (none for `disable`).
pub(crate) struct PgTls {
    pub url: String,
    pub mode: SslMode,
    pub client: Option<rustls::ClientConfig>,
}

fn bad(message: String) -> StorageError {
    StorageError::Backend(format!("DATABASE_URL: {message}"))
}

/// Read `sslmode` and `sslrootcert` from a `postgres://` URL.
pub(crate) fn from_url(url: &str) -> Result<PgTls, StorageError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (mut mode, mut root_file, mut rest) = ("disable".to_string(), None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => mode = v.to_string(),
            Some(("sslrootcert", v)) => root_file = Some(v.to_string()),
            _ => rest.push(pair),
        }
    }
    let url = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?;
    let (mode, client) = match mode.as_str() {
        "disable" => (SslMode::Disable, None),
        "prefer" | "require" => {
            let verifier = Arc::new(EncryptOnly(provider));
            let client = builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth();
            let mode = if mode == "prefer" { SslMode::Prefer } else { SslMode::Require };
            (mode, Some(client))
        }
        "verify-ca" | "verify-full" => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            if let Some(path) = &root_file {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
                roots.add_parsable_certificates(certs);
            }
            (SslMode::Require, Some(builder.with_root_certificates(roots).with_no_client_auth()))
        }
        other => {
            return Err(bad(format!(
                "sslmode {other:?} is not one of disable, prefer, require, verify-ca, verify-full"
            )))
        }
    };
    Ok(PgTls { url, mode, client })
}

/// A handshake signature's check.
type Signed = Result<HandshakeSignatureValid, rustls::Error>;

/// `sslmode=require`: the connection is encrypted and the handshake signed, but, as libpq
/// does for `require`, the certificate itself is not checked against any root.
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> Signed {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> Signed {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_from_the_url() {
        let t = from_url("postgres://u:p@db.example/loket?sslmode=verify-full&application_name=x").unwrap();
        assert_eq!(
            (t.url.as_str(), t.mode),
            ("postgres://u:p@db.example/loket?application_name=x", SslMode::Require)
        );
        assert!(t.client.is_some());
        let t = from_url("postgres://u:p@127.0.0.1/loket").unwrap();
        assert_eq!((t.mode, t.client.is_none()), (SslMode::Disable, true));
        assert_eq!(from_url("postgres://h/d?sslmode=require").unwrap().mode, SslMode::Require);
        assert!(from_url("postgres://h/d?sslmode=always").is_err());
        assert!(from_url("postgres://h/d?sslmode=verify-full&sslrootcert=/nonexistent.pem").is_err());
    }
}
