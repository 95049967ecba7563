//! Server configuration: command-line flags, then environment, then an optional TOML file,
//! then defaults.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Settings read from `loket-server.toml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database: Option<String>,
    pub body_limit_bytes: Option<usize>,
    pub auth_rate_limit_per_minute: Option<u32>,
    /// Sync requests (push, pull, attachments) per device per minute.
    pub sync_rate_limit_per_minute: Option<u32>,
    /// Connections served at once; more are answered `503 server_busy`.
    pub max_connections: Option<usize>,
    /// Connections one client address may hold (trusted proxies excepted).
    pub max_connections_per_client: Option<usize>,
    /// Seconds a client has to send a request's headers (and the longest idle keep-alive).
    pub header_timeout_seconds: Option<u64>,
    /// PEM certificate chain and private key: the server speaks HTTPS.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For` names the real client.
    #[serde(default)]
    pub trusted_proxies: Vec<IpAddr>,
    /// Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy on a
    /// private network).
    #[serde(default)]
    pub allow_plain_http: bool,
}

/// Settings given on the command line (or in the environment, which clap reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub listen: Option<String>,
    pub database: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: String,
    /// `postgres://…` or a SQLite file path.
    pub database: String,
    pub body_limit_bytes: usize,
    pub auth_rate_limit_per_minute: u32,
    pub sync_rate_limit_per_minute: u32,
    /// Bounds on the connections the server holds.
    pub limits: crate::serve::ServeLimits,
    /// Certificate and key files, when the server terminates TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub trusted_proxies: Vec<IpAddr>,
    pub allow_plain_http: bool,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "loket-server.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid {path}: {source}")]
    Parse { path: String, source: toml::de::Error },
    #[error("tls_cert and tls_key go together: give both, or neither")]
    TlsHalf,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        toml::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: path.display().to_string(), source })
    }
}

impl Config {
    /// Merge: flags (which clap already fills from the environment) over file over defaults.
    pub fn resolve(flags: Flags, file: FileConfig) -> Result<Self, ConfigError> {
        let tls = match (flags.tls_cert.or(file.tls_cert), flags.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err(ConfigError::TlsHalf),
        };
        Ok(Self {
            listen: flags.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string()),
            database: flags.database.or(file.database).unwrap_or_else(|| DEFAULT_DATABASE.to_string()),
            body_limit_bytes: file.body_limit_bytes.unwrap_or(4 * 1024 * 1024),
            auth_rate_limit_per_minute: file.auth_rate_limit_per_minute.unwrap_or(10),
            sync_rate_limit_per_minute: file
                .sync_rate_limit_per_minute
                .unwrap_or(crate::api::ApiConfig::default().sync_rate_limit),
            limits: {
                let d = crate::serve::ServeLimits::default();
                crate::serve::ServeLimits {
                    max_connections: file.max_connections.unwrap_or(d.max_connections).max(1),
                    max_per_client: file.max_connections_per_client.unwrap_or(d.max_per_client).max(1),
                    unlimited_clients: file.trusted_proxies.clone(),
                    header_timeout: file
                        .header_timeout_seconds
                        .map_or(d.header_timeout, |s| std::time::Duration::from_secs(s.max(1))),
                    ..d
                }
            },
            tls,
            trusted_proxies: file.trusted_proxies,
            allow_plain_http: file.allow_plain_http,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_over_defaults() {
        let file: FileConfig =
            toml::from_str("listen = \"0.0.0.0:9000\"\ndatabase = \"/var/lib/loket.db\"").unwrap();
        let flags = Flags { listen: Some("127.0.0.1:1".into()), ..Flags::default() };
        let c = Config::resolve(flags, file.clone()).unwrap();
        assert_eq!((c.listen.as_str(), c.database.as_str()), ("127.0.0.1:1", "/var/lib/loket.db"));
        let c = Config::resolve(Flags::default(), FileConfig::default()).unwrap();
        assert_eq!((c.listen.as_str(), c.database.as_str()), (DEFAULT_LISTEN, DEFAULT_DATABASE));
        assert_eq!((c.tls.clone(), c.allow_plain_http), (None, false));
        assert!(toml::from_str::<FileConfig>("colour = \"red\"").is_err(), "unknown keys are refused");
    }

    #[test]
    fn tls_and_proxies_from_the_file_and_flags() {
        let file: FileConfig = toml::from_str(
            "tls_cert = \"/etc/loket/cert.pem\"\ntls_key = \"/etc/loket/key.pem\"\ntrusted_proxies = [\"10.0.0.5\", \"::1\"]",
        )
        .unwrap();
        let c = Config::resolve(Flags::default(), file.clone()).unwrap();
        assert_eq!(c.tls, Some(("/etc/loket/cert.pem".into(), "/etc/loket/key.pem".into())));
        assert_eq!(c.trusted_proxies, ["10.0.0.5".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]);
        let flags = Flags { tls_cert: Some("/x/cert.pem".into()), ..Flags::default() };
        assert_eq!(Config::resolve(flags, file).unwrap().tls.unwrap().0, PathBuf::from("/x/cert.pem"));
        let half = Flags { tls_key: Some("/x/key.pem".into()), ..Flags::default() };
        assert!(matches!(Config::resolve(half, FileConfig::default()), Err(ConfigError::TlsHalf)));
        assert!(toml::from_str::<FileConfig>("trusted_proxies = [\"not an address\"]").is_err());
    }
}
