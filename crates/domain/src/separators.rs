//! The separators people type or copy into identification numbers: NIPs are written with dots
//! in official documents (the worked example of Perka BKN 22/2007 reads `19600809 198603 1
//! 001`, and many letters print `19600809.198603.1.001`), NPWPs as `01.234.567.8-901.000`,
//! NIKs and KKs in groups of four, phone numbers with dashes or dots. Each parser takes them
//! out before checking the digits, and the number is shown back in its canonical form (digits
//! only).

/// Whether `c` only separates groups of digits: white space (including the no-break space of
/// copied text), dots, and the hyphens and dashes of typed or copied text.
pub fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '.' | '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}')
}

/// `input` without its separators.
pub fn strip(input: &str) -> String {
    input.chars().filter(|c| !is_separator(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_of_typed_and_copied_numbers_go() {
        let cases = [
            ("19600809 198603 1 001", "196008091986031001"),
            ("19600809.198603.1.001", "196008091986031001"),
            ("3601-0112-0590-0001", "3601011205900001"),
            ("3601\u{a0}0112\u{a0}0590\u{a0}0001", "3601011205900001"),
            ("01.234.567.8\u{2011}901.000", "012345678901000"),
            ("0812–3456–7890", "081234567890"),
            ("3601/0112", "3601/0112"),
        ];
        for (input, want) in cases {
            assert_eq!(strip(input), want, "{input:?}");
        }
    }
}
