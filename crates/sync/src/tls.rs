//! How the desktop talks to the provincial server: HTTPS, verified against the platform's
//! roots and, where IT runs its own CA, the provincial CA certificate; plain HTTP only to this
//! machine (a server started by `make run`) unless a development flag allows it.

use std::path::Path;
use std::sync::{OnceLock, RwLock};

use crate::SyncError;

/// What the process trusts. Installed once by the shell ([`TlsPolicy::install`]); tests pass
/// their own to [`crate::Client::with_policy`].
#[derive(Debug, Clone, Default)]
pub struct TlsPolicy {
    /// Extra trusted roots, e.g. the province's own CA.
    pub roots: Vec<reqwest::Certificate>,
    /// Allow `http://` to other machines (development only: everything crosses in clear).
    pub allow_plain_http: bool,
}

static CURRENT: OnceLock<RwLock<TlsPolicy>> = OnceLock::new();

impl TlsPolicy {
    /// A policy that also trusts the CA certificate(s) in the PEM file at `path`.
    pub fn with_ca_file(mut self, path: &Path) -> Result<Self, SyncError> {
        let fail = |message: String| SyncError::CaFile { path: path.display().to_string(), message };
        let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(e.to_string()))?;
        if certs.is_empty() {
            return Err(fail("no PEM certificate in the file".into()));
        }
        self.roots.extend(certs);
        Ok(self)
    }

    /// Make this the policy of every [`crate::Client::new`] in the process.
    pub fn install(self) {
        let lock = CURRENT.get_or_init(|| RwLock::new(TlsPolicy::default()));
        *lock.write().unwrap_or_else(|p| p.into_inner()) = self;
    }

    /// The process's policy.
    pub fn current() -> Self {
        CURRENT.get().map(|l| l.read().unwrap_or_else(|p| p.into_inner()).clone()).unwrap_or_default()
    }

    /// TLS settings on a client builder; `https_only` for an `https://` server (no redirect
    /// may downgrade it).
    pub(crate) fn apply(&self, builder: reqwest::ClientBuilder, https_only: bool) -> reqwest::ClientBuilder {
        let mut builder =
            builder.use_rustls_tls().https_only(https_only).min_tls_version(reqwest::tls::Version::TLS_1_2);
        for cert in &self.roots {
            builder = builder.add_root_certificate(cert.clone());
        }
        builder
    }
}

/// `localhost`, 127.0.0.0/8 or ::1: traffic that never leaves the machine.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A failed request: an untrusted certificate is not a network problem that goes away.
pub(crate) fn request_error(e: reqwest::Error) -> SyncError {
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    if chain.contains("certificate") || chain.contains("UnknownIssuer") || chain.contains("NotValidForName") {
        SyncError::Certificate(chain)
    } else {
        SyncError::Unreachable(chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;

    #[test]
    fn plain_http_only_to_this_machine() {
        let strict = TlsPolicy::default();
        for ok in [
            "http://127.0.0.1:8787",
            "http://localhost:8080/",
            "http://[::1]:9000",
            "https://loket.bantenprov.go.id",
        ] {
            assert!(Client::with_policy(ok, &strict).is_ok(), "{ok}");
        }
        for insecure in
            ["http://10.0.0.5:8080", "http://loket.bantenprov.go.id", "http://127.0.0.1.example.org"]
        {
            assert!(
                matches!(Client::with_policy(insecure, &strict), Err(SyncError::InsecureUrl(_))),
                "{insecure}"
            );
        }
        let dev = TlsPolicy { allow_plain_http: true, ..TlsPolicy::default() };
        assert!(Client::with_policy("http://10.0.0.5:8080", &dev).is_ok());
        for bad in ["ftp://x.example", "loket", "https://"] {
            assert!(matches!(Client::with_policy(bad, &strict), Err(SyncError::BadUrl(_))), "{bad}");
        }
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = std::env::temp_dir().join(format!("loket-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        assert!(matches!(TlsPolicy::default().with_ca_file(&path), Err(SyncError::CaFile { .. })));
        assert!(matches!(
            TlsPolicy::default().with_ca_file(&dir.join("missing.pem")),
            Err(SyncError::CaFile { .. })
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
