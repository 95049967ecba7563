//! The month's report as files an office sends on: CSV (`;`-separated, UTF-8 with a byte-order
//! mark, as a spreadsheet set to Indonesian opens it) and XLSX (a real workbook: the recap and
//! aid by desa on two sheets, headers formatted, rupiah as numbers, dates written out).
//! Written to the export folder, complete or not at all (a temporary file renamed).

use std::path::{Path, PathBuf};

use loket_domain::workflow::{ApplicationKind, Status};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::dto::{ExportDto, ExportFormat, ExportInput, ReportDto, ReportInput};
use crate::{AppError, Loket};

const RECAP_HEADER: [&str; 8] = [
    "Jenis",
    "Kode layanan",
    "Layanan",
    "Status",
    "Jumlah",
    "Biaya/retribusi (Rp)",
    "Diputus",
    "Tepat waktu",
];
const AID_HEADER: [&str; 6] =
    ["Program", "Nama program", "Kode desa", "Desa/Kelurahan", "Jumlah", "Disetujui"];

/// The recap's rows as text cells: one per service and status.
fn recap_rows(r: &ReportDto) -> Vec<[String; 8]> {
    let mut out = Vec::new();
    for s in &r.services {
        for st in &s.by_status {
            // Fees, decisions and timeliness are the service's, on its first row only, so that a
            // column's sum is the month's.
            let first = std::ptr::eq(st, &s.by_status[0]);
            out.push([
                kind_label(s.kind).to_string(),
                s.service_code.clone(),
                s.service_name.clone(),
                status_label(st.status).to_string(),
                st.count.to_string(),
                if first { format!("{}", s.fees as u64) } else { "0".into() },
                if first { s.decided_with_standard.to_string() } else { "0".into() },
                if first { s.within_standard.to_string() } else { "0".into() },
            ]);
        }
    }
    out
}

/// The words for the enums in the files: the window's catalogue in Bahasa Indonesia.
fn kind_label(k: ApplicationKind) -> &'static str {
    match k {
        ApplicationKind::Permit => "Perizinan/nonperizinan",
        ApplicationKind::Bansos => "Bansos",
        ApplicationKind::Hibah => "Hibah",
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Draft => "Draf",
        Status::Submitted => "Diajukan",
        Status::InReview => "Diperiksa",
        Status::Approved => "Disetujui",
        Status::Rejected => "Ditolak",
        Status::Returned => "Dikembalikan",
        Status::Completed => "Selesai",
        Status::Cancelled => "Dibatalkan",
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(crate) fn csv(r: &ReportDto) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&RECAP_HEADER.join(";"));
    out.push_str("\r\n");
    for row in recap_rows(r) {
        out.push_str(&row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn header(ws: &mut Worksheet, row: u32, names: &[&str], f: &Format) -> Result<(), XlsxError> {
    for (i, n) in names.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, *n, f)?;
    }
    Ok(())
}

pub(crate) fn xlsx(r: &ReportDto) -> Result<Vec<u8>, XlsxError> {
    let title = Format::new().set_bold().set_font_size(13);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x0F766E))
        .set_font_color(Color::White)
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let rupiah = Format::new().set_num_format("#,##0");
    let mut wb = Workbook::new();

    let ws = wb.add_worksheet().set_name("Rekap layanan")?;
    ws.write_string_with_format(
        0,
        0,
        format!("Rekap pelayanan {} — {}", r.office_label, r.month_label),
        &title,
    )?;
    ws.write_string(1, 0, format!("Dibuat {} dengan Loket", r.made_on))?;
    header(ws, 3, &RECAP_HEADER, &head)?;
    for (i, row) in recap_rows(r).iter().enumerate() {
        let y = 4 + i as u32;
        for (x, cell) in row.iter().enumerate() {
            match x {
                4 | 6 | 7 => ws.write_number(y, x as u16, cell.parse::<f64>().unwrap_or(0.0))?,
                5 => ws.write_number_with_format(y, x as u16, cell.parse::<f64>().unwrap_or(0.0), &rupiah)?,
                _ => ws.write_string(y, x as u16, cell)?,
            };
        }
    }
    for (x, w) in [22.0, 14.0, 38.0, 14.0, 9.0, 18.0, 9.0, 11.0].into_iter().enumerate() {
        ws.set_column_width(x as u16, w)?;
    }
    ws.set_freeze_panes(4, 0)?;

    let ws = wb.add_worksheet().set_name("Bantuan per desa")?;
    ws.write_string_with_format(
        0,
        0,
        format!("Bansos dan hibah per desa — {} — {}", r.office_label, r.month_label),
        &title,
    )?;
    header(ws, 2, &AID_HEADER, &head)?;
    ws.write_string_with_format(2, 6, "Nilai hibah diajukan (Rp)", &head)?;
    for (i, a) in r.aid.iter().enumerate() {
        let y = 3 + i as u32;
        ws.write_string(y, 0, &a.programme_code)?;
        ws.write_string(y, 1, &a.programme_name)?;
        ws.write_string(y, 2, &a.village_code)?;
        ws.write_string(y, 3, &a.village_name)?;
        ws.write_number(y, 4, a.total)?;
        ws.write_number(y, 5, a.approved)?;
        ws.write_number_with_format(y, 6, a.amount, &rupiah)?;
    }
    for (x, w) in [12.0, 34.0, 16.0, 28.0, 9.0, 10.0, 22.0].into_iter().enumerate() {
        ws.set_column_width(x as u16, w)?;
    }
    ws.set_freeze_panes(3, 0)?;
    wb.save_to_buffer()
}

/// Write `bytes` to `path` whole: a temporary file beside it, synced, then renamed.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("part");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

impl Loket {
    /// Export the month's report to the export folder; returns where it is.
    pub fn export_report(&self, input: ExportInput) -> Result<ExportDto, AppError> {
        let report = self.report(ReportInput { month: input.month })?;
        let (bytes, ext) = match input.format {
            ExportFormat::Csv => (csv(&report), "csv"),
            ExportFormat::Xlsx => (xlsx(&report).map_err(|e| AppError::Export(e.to_string()))?, "xlsx"),
        };
        let office = self.office()?.map(|o| o.kecamatan.code.replace('.', "")).unwrap_or_default();
        let dir: PathBuf = self.export_dir.clone().unwrap_or_else(|| self.data_dir.join("ekspor"));
        std::fs::create_dir_all(&dir).map_err(|e| AppError::Export(e.to_string()))?;
        let path = dir.join(format!("rekap-{office}-{}.{ext}", report.month));
        write_whole(&path, &bytes).map_err(|e| AppError::Export(e.to_string()))?;
        tracing::info!(path = %path.display(), "report exported");
        Ok(ExportDto {
            path: path.display().to_string(),
            rows: report.services.iter().map(|s| s.by_status.len() as u32).sum(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{AidRecapDto, ServiceRecapDto, StatusCountDto};

    fn report() -> ReportDto {
        ReportDto {
            month: "2026-12".into(),
            month_label: "Desember 2026".into(),
            office_label: "Kecamatan Sumur; Pandeglang".into(),
            made_on: "2 Desember 2026".into(),
            total: 3,
            services: vec![ServiceRecapDto {
                service_code: "SKTM".into(),
                service_name: "Surat \"Keterangan\" Tidak Mampu".into(),
                kind: ApplicationKind::Permit,
                total: 3,
                by_status: vec![
                    StatusCountDto { status: Status::Approved, count: 2 },
                    StatusCountDto { status: Status::Submitted, count: 1 },
                ],
                fees: 1_500_000.0,
                decided_with_standard: 2,
                within_standard: 1,
            }],
            aid: vec![AidRecapDto {
                programme_code: "PKH".into(),
                programme_name: "PKH".into(),
                village_code: "36.01.01.2001".into(),
                village_name: "Desa Sumberjaya".into(),
                total: 4,
                approved: 1,
                amount: 0.0,
            }],
        }
    }

    #[test]
    fn the_csv_quotes_what_needs_it_and_sums_by_column() {
        let text = String::from_utf8(csv(&report())).unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], RECAP_HEADER.join(";"));
        assert_eq!(
            lines[1],
            "Perizinan/nonperizinan;SKTM;\"Surat \"\"Keterangan\"\" Tidak Mampu\";Disetujui;2;1500000;2;1"
        );
        assert_eq!(
            lines[2],
            "Perizinan/nonperizinan;SKTM;\"Surat \"\"Keterangan\"\" Tidak Mampu\";Diajukan;1;0;0;0"
        );
    }

    #[test]
    fn the_workbook_is_a_zip_with_both_sheets() {
        let bytes = xlsx(&report()).unwrap();
        assert!(bytes.starts_with(b"PK"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("xl/worksheets/sheet2.xml"), "two sheets");
    }
}
