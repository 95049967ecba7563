//! A receipt as a PDF: A4, or an 80 mm thermal roll as long as its content.
//!
//! Written directly with `pdf-writer` in the standard Helvetica fonts (WinAnsi encoding, no
//! font embedded: every PDF reader has them), and the QR code drawn as filled squares, so the
//! file is small (a few kB) and renders the same everywhere. Pure: bytes in memory, no IO.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use qrcode::{Color, EcLevel, QrCode};
use serde::{Deserialize, Serialize};
use specta::Type;

/// The paper a receipt is laid out for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptPaper {
    #[default]
    A4,
    /// A thermal printer's 80 mm roll (72 mm printable).
    Thermal80,
}

impl ReceiptPaper {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A4 => "a4",
            Self::Thermal80 => "thermal80",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::A4, Self::Thermal80].into_iter().find(|p| p.as_str() == s)
    }
}

/// One block of a receipt, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Title(String),
    Subtitle(String),
    /// A label and its value (the value wraps).
    Field(&'static str, String),
    Heading(&'static str),
    Item(String),
    Note(String),
}

struct Layout {
    width: f32,
    margin: f32,
    body: f32,
    title: f32,
    label_width: f32,
    qr_size: f32,
}

impl ReceiptPaper {
    fn layout(self) -> Layout {
        match self {
            // 210 × 297 mm.
            Self::A4 => Layout {
                width: 595.0,
                margin: 56.0,
                body: 11.0,
                title: 16.0,
                label_width: 150.0,
                qr_size: 150.0,
            },
            // 80 mm wide, 4 mm margins.
            Self::Thermal80 => Layout {
                width: 226.8,
                margin: 11.3,
                body: 7.5,
                title: 10.0,
                label_width: 70.0,
                qr_size: 150.0,
            },
        }
    }
}

const A4_HEIGHT: f32 = 842.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// The receipt's PDF, with `qr_payload` as its QR code.
pub fn render(paper: ReceiptPaper, title: &str, blocks: &[Block], qr_payload: &str) -> Vec<u8> {
    let l = paper.layout();
    let lines = lay_out(&l, blocks);
    let qr = QrCode::with_error_correction_level(qr_payload.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(qr_payload.as_bytes(), EcLevel::L))
        .ok();
    let text_height: f32 = lines.iter().map(|line| line.advance).sum();
    let height = match paper {
        ReceiptPaper::A4 => A4_HEIGHT,
        ReceiptPaper::Thermal80 => text_height + l.qr_size + 4.0 * l.margin,
    };

    let mut content = Content::new();
    let mut y = height - l.margin;
    for line in &lines {
        y -= line.advance;
        content.begin_text();
        content.set_font(if line.bold { BOLD } else { REGULAR }, line.size);
        content.next_line(l.margin + line.indent, y);
        content.show(Str(&win_ansi(&line.text)));
        content.end_text();
    }
    if let Some(qr) = qr {
        let modules = qr.width() as f32;
        let quiet = 4.0;
        let module = l.qr_size / (modules + 2.0 * quiet);
        let x0 = match paper {
            ReceiptPaper::A4 => l.margin,
            ReceiptPaper::Thermal80 => (l.width - l.qr_size) / 2.0,
        };
        let top = y - l.margin / 2.0 - quiet * module;
        content.set_fill_gray(0.0);
        // Each run of dark modules in a row is one rectangle: no seams between neighbours
        // for a rasteriser's anti-aliasing to lighten.
        let colors = qr.to_colors();
        for (row, line) in colors.chunks(qr.width()).enumerate() {
            let mut col = 0;
            while col < line.len() {
                if line[col] != Color::Dark {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < line.len() && line[col] == Color::Dark {
                    col += 1;
                }
                let (x, y) = (x0 + (quiet + start as f32) * module, top - (row as f32 + 1.0) * module);
                content.rect(x, y, (col - start) as f32 * module, module);
            }
        }
        content.fill_nonzero();
    }

    let (catalog, pages, page, contents, regular, bold, info) =
        (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5), Ref::new(6), Ref::new(7));
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    {
        let mut p = pdf.page(page);
        p.parent(pages).media_box(Rect::new(0.0, 0.0, l.width, height)).contents(contents);
        p.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
    }
    for (id, name) in [(regular, &b"Helvetica"[..]), (bold, &b"Helvetica-Bold"[..])] {
        pdf.type1_font(id).base_font(Name(name)).encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info).title(pdf_writer::TextStr(title)).producer(pdf_writer::TextStr("Loket"));
    let stream = content.finish();
    pdf.stream(contents, &stream);
    pdf.finish()
}

struct Line {
    text: String,
    size: f32,
    bold: bool,
    indent: f32,
    /// Distance from the previous line's baseline.
    advance: f32,
}

fn lay_out(l: &Layout, blocks: &[Block]) -> Vec<Line> {
    let full = l.width - 2.0 * l.margin;
    let mut out = Vec::new();
    let push = |out: &mut Vec<Line>, text: String, size: f32, bold: bool, indent: f32, gap: f32| {
        out.push(Line { text, size, bold, indent, advance: size * 1.35 + gap });
    };
    for block in blocks {
        match block {
            Block::Title(t) => {
                for (i, part) in wrap(t, full, l.title).into_iter().enumerate() {
                    push(&mut out, part, l.title, true, 0.0, if i == 0 { 0.0 } else { -2.0 });
                }
            }
            Block::Subtitle(t) => {
                for part in wrap(t, full, l.body) {
                    push(&mut out, part, l.body, false, 0.0, 0.0);
                }
            }
            Block::Heading(t) => push(&mut out, (*t).to_string(), l.body, true, 0.0, l.body * 0.8),
            Block::Field(label, value) => {
                push(&mut out, (*label).to_string(), l.body, false, 0.0, l.body * 0.2);
                for (i, part) in wrap(value, full - l.label_width, l.body).into_iter().enumerate() {
                    // The first part of the value sits on the label's baseline.
                    let advance = if i == 0 { 0.0 } else { l.body * 1.35 };
                    out.push(Line { text: part, size: l.body, bold: true, indent: l.label_width, advance });
                }
            }
            Block::Item(t) => {
                for part in wrap(t, full - l.body, l.body) {
                    push(&mut out, part, l.body, false, l.body, 0.0);
                }
            }
            Block::Note(t) => {
                for (i, part) in wrap(t, full, l.body * 0.9).into_iter().enumerate() {
                    push(&mut out, part, l.body * 0.9, false, 0.0, if i == 0 { l.body } else { 0.0 });
                }
            }
        }
    }
    out
}

/// Helvetica's advance widths, roughly, in thousandths of an em.
fn char_width(c: char) -> f32 {
    match c {
        ' ' | '.' | ',' | ':' | ';' | '!' | 'i' | 'j' | 'l' | '|' | '\'' => 278.0,
        'f' | 't' | 'r' | '(' | ')' | '/' | '-' | '*' => 333.0,
        'm' | 'M' | 'W' | 'w' => 833.0,
        c if c.is_ascii_uppercase() => 690.0,
        c if c.is_ascii_digit() => 556.0,
        _ => 556.0,
    }
}

fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(char_width).sum::<f32>() * size / 1000.0
}

/// Break `text` into lines no wider than `width` at `size` (a word longer than a line is cut).
fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&candidate, size) <= width || line.is_empty() && text_width(word, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word.to_string();
        while text_width(&rest, size) > width {
            let mut cut = rest.len();
            while cut > 1 && text_width(&rest[..cut], size) > width {
                cut = rest[..cut - 1].char_indices().last().map_or(1, |(i, _)| i.max(1));
            }
            lines.push(rest[..cut].to_string());
            rest = rest[cut..].to_string();
        }
        line = rest;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Text in the fonts' WinAnsi encoding: Latin-1 as is, a few typographic marks mapped, anything
/// else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '–' => 0x96,
            '—' => 0x97,
            '•' => 0x95,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks() -> Vec<Block> {
        vec![
            Block::Title("Tanda Terima Pendaftaran".into()),
            Block::Subtitle("Kantor Kecamatan Cimanuk, Kabupaten Pandeglang".into()),
            Block::Field("Nomor registrasi", "36.01.01-2026-ABCD-000001".into()),
            Block::Field(
                "Alamat",
                "Kampung Sukamaju RT 001 RW 002 Desa Sukamaju Kecamatan Cimanuk Kabupaten Pandeglang".into(),
            ),
            Block::Heading("Kelengkapan berkas"),
            Block::Item("[ada] KTP pemohon".into()),
            Block::Note("Simpan tanda terima ini.".into()),
        ]
    }

    #[test]
    fn both_papers_give_a_one_page_pdf_with_the_text_and_a_qr() {
        for paper in [ReceiptPaper::A4, ReceiptPaper::Thermal80] {
            let pdf = render(paper, "Tanda terima", &blocks(), "LKT1.abc.def");
            let text = String::from_utf8_lossy(&pdf);
            assert!(text.starts_with("%PDF-") && text.trim_end().ends_with("%%EOF"), "{paper:?}");
            assert!(text.contains("(36.01.01-2026-ABCD-000001)"), "{paper:?}");
            assert!(text.contains("/Count 1") && text.contains("WinAnsiEncoding"));
            assert!(text.contains(" re\n"), "the QR's modules are drawn");
        }
    }

    #[test]
    fn long_values_wrap_within_the_column_and_long_words_are_cut() {
        let lines = wrap("aaaa bbbb cccc dddd", text_width("aaaa bbbb", 10.0) + 0.1, 10.0);
        assert_eq!(lines, ["aaaa bbbb", "cccc dddd"]);
        let cut = wrap("0123456789012345678901234567890123456789", 50.0, 10.0);
        assert!(cut.len() > 1 && cut.iter().all(|l| text_width(l, 10.0) <= 50.0), "{cut:?}");
        assert_eq!(cut.concat(), "0123456789012345678901234567890123456789");
        assert_eq!(wrap("", 50.0, 10.0), [""]);
    }

    #[test]
    fn text_outside_win_ansi_becomes_a_question_mark() {
        assert_eq!(win_ansi("Rp 1.000 – ✓ é"), b"Rp 1.000 \x96 ? \xe9");
    }
}
