//! Where the data lives: `--data-dir PATH`, else `LOKET_DATA_DIR`, else the OS app-data
//! directory (decided later by Tauri). Tests and multi-office demos use the first two.

use std::ffi::OsString;
use std::path::PathBuf;

pub fn from_args_or_env(args: impl IntoIterator<Item = OsString>, env: Option<OsString>) -> Option<PathBuf> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--data-dir=")) {
            return Some(PathBuf::from(value));
        }
    }
    env.filter(|v| !v.is_empty()).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn flag_wins_over_env() {
        let got = from_args_or_env(args(&["loket", "--data-dir", "/a"]), Some("/b".into()));
        assert_eq!(got, Some(PathBuf::from("/a")));
        let got = from_args_or_env(args(&["loket", "--data-dir=/c"]), None);
        assert_eq!(got, Some(PathBuf::from("/c")));
    }

    #[test]
    fn env_then_default() {
        assert_eq!(from_args_or_env(args(&["loket"]), Some("/b".into())), Some(PathBuf::from("/b")));
        assert_eq!(from_args_or_env(args(&["loket"]), Some("".into())), None);
        assert_eq!(from_args_or_env(args(&["loket"]), None), None);
    }
}
