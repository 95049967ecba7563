//! Indonesian phone numbers, normalised to the national form `08…` / `0xx…`.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    #[error("Nomor telepon wajib diisi.")]
    Empty,
    #[error("Nomor telepon hanya boleh berisi angka, spasi, titik, +, - dan tanda kurung.")]
    InvalidChars,
    #[error("Nomor telepon harus diawali 0, 62 atau +62.")]
    Prefix,
    #[error("Nomor telepon harus 9 sampai 13 digit.")]
    Length,
}

impl PhoneError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "phone.empty",
            Self::InvalidChars => "phone.invalid_chars",
            Self::Prefix => "phone.prefix",
            Self::Length => "phone.length",
        }
    }
}

/// Validate and normalise: `+62 812-3456-7890` → `081234567890`.
pub fn parse_phone(input: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    if !trimmed.chars().all(|c| c.is_ascii_digit() || crate::separators::is_separator(c) || "+()".contains(c))
    {
        return Err(PhoneError::InvalidChars);
    }
    if trimmed.chars().skip(1).any(|c| c == '+') {
        return Err(PhoneError::InvalidChars);
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let national = if let Some(rest) = digits.strip_prefix("62") {
        format!("0{rest}")
    } else if digits.starts_with('0') && !trimmed.starts_with('+') {
        digits
    } else {
        return Err(PhoneError::Prefix);
    };
    if !(9..=13).contains(&national.len()) || national.starts_with("00") {
        return Err(PhoneError::Length);
    }
    Ok(national)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_table() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("081234567890", Ok("081234567890")),
            ("+62 812-3456-7890", Ok("081234567890")),
            ("6281234567890", Ok("081234567890")),
            ("(0254) 201234", Ok("0254201234")),
            ("0812.3456.7890", Ok("081234567890")),
            ("0812\u{2013}3456\u{2013}7890", Ok("081234567890")),
            ("\u{2013}0812345678", Ok("0812345678")),
            ("", Err("phone.empty")),
            ("0812abc", Err("phone.invalid_chars")),
            ("0812+345678", Err("phone.invalid_chars")),
            ("812345678", Err("phone.prefix")),
            ("+1 555 1234", Err("phone.prefix")),
            ("0812345", Err("phone.length")),
            ("08123456789012", Err("phone.length")),
        ];
        for (input, want) in cases {
            let got = parse_phone(input).map_err(|e| e.code());
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "{input:?}");
        }
    }
}
