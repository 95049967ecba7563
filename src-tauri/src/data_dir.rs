//! Paths from the command line or the environment: where the data lives (`--data-dir PATH`,
//! else `LOKET_DATA_DIR`, else the OS app-data directory decided later by Tauri) and, in the
//! documented key-file mode, where its key is (`--key-file PATH`, else `LOKET_KEY_FILE`, else
//! the OS credential store). Tests and multi-office demos use these.

use std::ffi::OsString;
use std::path::PathBuf;

/// The value of `flag` (`--flag PATH` or `--flag=PATH`), else a non-empty `env`.
pub fn from_args_or_env(
    args: impl IntoIterator<Item = OsString>,
    flag: &str,
    env: Option<OsString>,
) -> Option<PathBuf> {
    let mut args = args.into_iter();
    let with_equals = format!("{flag}=");
    while let Some(arg) = args.next() {
        if arg == flag {
            return args.next().map(PathBuf::from);
        }
        if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix(with_equals.as_str())) {
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
        let got = from_args_or_env(args(&["loket", "--data-dir", "/a"]), "--data-dir", Some("/b".into()));
        assert_eq!(got, Some(PathBuf::from("/a")));
        let got = from_args_or_env(args(&["loket", "--data-dir=/c"]), "--data-dir", None);
        assert_eq!(got, Some(PathBuf::from("/c")));
    }

    #[test]
    fn each_flag_reads_its_own_value() {
        let a = args(&["loket", "--data-dir", "/d", "--key-file=/k"]);
        assert_eq!(from_args_or_env(a.clone(), "--key-file", None), Some(PathBuf::from("/k")));
        assert_eq!(from_args_or_env(a, "--data-dir", None), Some(PathBuf::from("/d")));
    }

    #[test]
    fn env_then_default() {
        assert_eq!(
            from_args_or_env(args(&["loket"]), "--data-dir", Some("/b".into())),
            Some(PathBuf::from("/b"))
        );
        assert_eq!(from_args_or_env(args(&["loket"]), "--data-dir", Some("".into())), None);
        assert_eq!(from_args_or_env(args(&["loket"]), "--data-dir", None), None);
    }
}
