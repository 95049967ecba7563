//! Scanned documents attached to applications: which kinds of file are accepted (decided by
//! their content, never by a name) and how large one may be. The desktop checks a file before
//! storing it; the server checks an attach operation's declared type and size, and the first
//! bytes of its upload, against the same rules.

/// Largest accepted attachment: 10 MiB (a multi-page scan at office quality).
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;

/// Longest file name kept with an attachment, in characters.
pub const FILE_NAME_MAX: usize = 255;

/// The media types an attachment may have.
pub const ACCEPTED_MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// The media type of a file by its first bytes, if it is one we accept.
pub fn sniff_media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// Whether `s` is a lower-case hex SHA-256, the name of an attachment's content.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_decided_by_the_content() {
        assert_eq!(sniff_media_type(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff_media_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some("image/jpeg"));
        assert_eq!(sniff_media_type(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]), Some("image/png"));
        assert_eq!(sniff_media_type(b"MZ\x90\x00 this is an exe"), None);
        assert_eq!(sniff_media_type(b"<html>"), None);
        assert_eq!(sniff_media_type(b""), None);
    }

    #[test]
    fn attachments_are_named_by_lower_case_sha256() {
        assert!(is_sha256_hex(&"ab".repeat(32)));
        assert!(!is_sha256_hex(&"AB".repeat(32)));
        assert!(!is_sha256_hex("abc"));
    }
}
