//! The key releases are signed with (issue 16). IT trusts its public key once (`loket-server
//! release trust-key`); from then on `release publish` refuses a bundle whose minisign
//! signature is not from that key, or that was signed for another version, so a mistaken or
//! foreign bundle never reaches a laptop (which checks the same against the key built into the
//! app).
//!
//! Both keys and signatures are in Tauri's form: base64 of minisign's text (`tauri signer
//! generate` writes `<key>.pub`, `tauri signer sign` and `tauri build` write `<file>.sig`).

use base64::Engine as _;
use minisign_verify::{PublicKey, Signature};

/// Why a key or a signature is not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("not a Tauri (minisign) public key: {0}")]
    Key(String),
    #[error("not a Tauri (minisign) signature: {0}")]
    Malformed(String),
    #[error("the signature does not verify against the trusted key (altered file, or another key)")]
    Invalid,
    #[error("signed for version {signed}, published as {version}")]
    Version { signed: String, version: String },
    #[error(
        "the signature names no version (sign with `tauri build`, or `tauri signer sign --app-version`)"
    )]
    NoVersion,
}

fn text(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

/// The public key in `b64` (the content of a `.pub` file, as in `tauri.conf.json`); its
/// minisign key id in hex.
pub fn key_id(b64: &str) -> Result<String, SignatureError> {
    let t = text(b64).ok_or_else(|| SignatureError::Key("not base64 text".into()))?;
    PublicKey::decode(&t).map_err(|e| SignatureError::Key(e.to_string()))?;
    // "untrusted comment: minisign public key: 942A6FD3EEDF8A56"
    let id = t.lines().next().and_then(|l| l.rsplit(' ').next()).unwrap_or_default();
    Ok(id.to_string())
}

/// Check that `signature` (a `.sig` file's content) is `key`'s over `bytes`, signed for
/// `version`.
pub fn verify(key: &str, bytes: &[u8], signature: &str, version: &str) -> Result<(), SignatureError> {
    let t = text(key).ok_or_else(|| SignatureError::Key("not base64 text".into()))?;
    let key = PublicKey::decode(&t).map_err(|e| SignatureError::Key(e.to_string()))?;
    let s = text(signature).ok_or_else(|| SignatureError::Malformed("not base64 text".into()))?;
    let sig = Signature::decode(&s).map_err(|e| SignatureError::Malformed(e.to_string()))?;
    key.verify(bytes, &sig, false).map_err(|_| SignatureError::Invalid)?;
    // The trusted comment is covered by the signature just verified.
    let signed = sig
        .trusted_comment()
        .split('\t')
        .find_map(|f| f.strip_prefix("version:"))
        .ok_or(SignatureError::NoVersion)?;
    let same = match (semver::Version::parse(signed.trim_start_matches('v')), semver::Version::parse(version))
    {
        (Ok(a), Ok(b)) => a == b,
        _ => signed == version,
    };
    if !same {
        return Err(SignatureError::Version { signed: signed.to_string(), version: version.to_string() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made for these tests with `tauri signer generate --ci -p ""` and
    // `tauri signer sign --app-version 0.1.1` over the bytes "hello\n"; the private key was
    // not kept.
    const KEY: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IDFDMEMxNjRDQkEwOTUwRkMKUldUOFVBbTZUQllNSEwwOVY5aW5ZMVdXdVpZZjZpazdKYW96RURhYzB0RE9CMS9YL21oTVQ1U2kK";
    const SIG: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IHNpZ25hdHVyZSBmcm9tIHRhdXJpIHNlY3JldCBrZXkKUlVUOFVBbTZUQllNSExSR1ArQUo5NDFHRllLL2UzZGZDSXBDczlhRkJSaVdwMnd3MVFCZFNDTVlJNnllYmJHRkF2K3hLOTF5VnZOa1pIc3YyYTFnZ2F0Y1RydkFlUXJsWUFvPQp0cnVzdGVkIGNvbW1lbnQ6IHRpbWVzdGFtcDoxNzk2MjE3MTA5CWZpbGU6Zi5kZWIJdmVyc2lvbjowLjEuMQpBRDdiM000d3Uwa0x4bVU5dzZKUTNLQXBPMDJFcWs2eUYzUjRIMmRTMnNncWNWMTh1Yzl2SUVyNDI2NmlKM044b3lYZktJWUUzaUtTS3hodzlONGZDUT09Cg==";
    // Another key, as in tauri.conf.json.
    const OTHER_KEY: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IDk0MkE2RkQzRUVERjhBNTYKUldSV2l0L3UwMjhxbERsZzNhM1JsRWt6TFBlSDF1clV5NTB0RU8rM1R0ZmtCMm8xdnI1SWZpcEoK";

    #[test]
    fn a_bundle_signed_by_the_trusted_key_for_its_version_passes() {
        assert_eq!(key_id(KEY).unwrap(), "1C0C164CBA0950FC");
        assert_eq!(verify(KEY, b"hello\n", SIG, "0.1.1"), Ok(()));
    }

    #[test]
    fn altered_foreign_or_misversioned_bundles_are_refused() {
        assert_eq!(verify(KEY, b"hellp\n", SIG, "0.1.1"), Err(SignatureError::Invalid));
        assert_eq!(verify(OTHER_KEY, b"hello\n", SIG, "0.1.1"), Err(SignatureError::Invalid));
        assert_eq!(
            verify(KEY, b"hello\n", SIG, "0.2.0"),
            Err(SignatureError::Version { signed: "0.1.1".into(), version: "0.2.0".into() })
        );
        assert!(matches!(
            verify(KEY, b"hello\n", "bm90IGEgc2ln", "0.1.1"),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(key_id("bm90IGEga2V5"), Err(SignatureError::Key(_))));
    }
}
