//! Server configuration: command-line flags, then environment, then an optional TOML file,
//! then defaults.

use std::path::Path;

use serde::Deserialize;

/// Settings read from `loket-server.toml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database: Option<String>,
    pub body_limit_bytes: Option<usize>,
    pub auth_rate_limit_per_minute: Option<u32>,
}

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: String,
    /// `postgres://…` or a SQLite file path.
    pub database: String,
    pub body_limit_bytes: usize,
    pub auth_rate_limit_per_minute: u32,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "loket-server.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid {path}: {source}")]
    Parse { path: String, source: toml::de::Error },
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
    /// Merge: `flag` (which clap already fills from the environment) over file over default.
    pub fn resolve(listen: Option<String>, database: Option<String>, file: FileConfig) -> Self {
        Self {
            listen: listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string()),
            database: database.or(file.database).unwrap_or_else(|| DEFAULT_DATABASE.to_string()),
            body_limit_bytes: file.body_limit_bytes.unwrap_or(4 * 1024 * 1024),
            auth_rate_limit_per_minute: file.auth_rate_limit_per_minute.unwrap_or(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_over_defaults() {
        let file: FileConfig =
            toml::from_str("listen = \"0.0.0.0:9000\"\ndatabase = \"/var/lib/loket.db\"").unwrap();
        let c = Config::resolve(Some("127.0.0.1:1".into()), None, file.clone());
        assert_eq!((c.listen.as_str(), c.database.as_str()), ("127.0.0.1:1", "/var/lib/loket.db"));
        let c = Config::resolve(None, None, FileConfig::default());
        assert_eq!((c.listen.as_str(), c.database.as_str()), (DEFAULT_LISTEN, DEFAULT_DATABASE));
        assert!(toml::from_str::<FileConfig>("colour = \"red\"").is_err(), "unknown keys are refused");
    }
}
