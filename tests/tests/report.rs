//! The month's report in the real window, on a 1366×768 screen: the recap counts what was
//! registered, with its chart; the CSV and the XLSX it exports hold, service by service and
//! status by status, the counts the laptop's database holds.

use std::collections::BTreeMap;

use anyhow::{ensure, Context, Result};
use calamine::{open_workbook, Reader, Xlsx};
use loket_e2e::{register_bansos, register_sktm_keeping_receipt, run_on_screen};

type Counts = BTreeMap<(String, String), u64>;

/// The counts in an export's recap rows: (service code, status label) → count.
fn counts_of(rows: impl Iterator<Item = Vec<String>>) -> Result<Counts> {
    let mut out = Counts::new();
    for row in rows {
        let count: f64 = row[4].parse().with_context(|| format!("count in {row:?}"))?;
        *out.entry((row[1].clone(), row[3].clone())).or_default() += count as u64;
    }
    Ok(out)
}

fn label(status: &str) -> &'static str {
    match status {
        "draft" => "Draf",
        "submitted" => "Diajukan",
        "in_review" => "Diperiksa",
        "approved" => "Disetujui",
        _ => "?",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_monthly_recap_exports_csv_and_xlsx_matching_the_database() -> Result<()> {
    run_on_screen("the_monthly_recap_exports_csv_and_xlsx_matching_the_database", "1366x768", async |app| {
        loket_e2e::first_user(app, "petugas", "Siti Petugas", "sandi-laptop-2026").await?;
        app.select("#office-kecamatan", "36.01.01").await?;
        app.click("#office-save").await?;
        register_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        register_bansos(app, "3601011205900002", "Dewi Lestari").await?;
        register_sktm_keeping_receipt(app).await?;
        app.click("#receipt-close").await?;

        app.click("#tab-report").await?;
        app.find_text("#report-total", "3").await?;
        app.find("#report-chart svg rect").await?;
        app.find_text("#report-services tr[data-service='PKH'] .num", "2").await?;
        app.find_text("#report-aid", "Desa").await?;
        app.screenshot("1366x768-report").await?;

        app.click("#export-csv").await?;
        let csv_path = app.find("#export-path").await?.text().await?;
        ensure!(csv_path.ends_with(".csv"), "{csv_path}");
        app.click("#export-xlsx").await?;
        let xlsx_path = app.find_text("#export-path", ".xlsx").await?.text().await?;
        app.quit().await?;

        // What the database holds.
        let store = app.open_store()?;
        let mut db = Counts::new();
        let mut stmt = store.raw_connection().prepare(
            "SELECT service_code, status, count(*) FROM application GROUP BY service_code, status",
        )?;
        for row in
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?
        {
            let (service, status, n) = row?;
            db.insert((service, label(&status).to_string()), n as u64);
        }
        ensure!(db.values().sum::<u64>() == 3, "{db:?}");

        let text = std::fs::read_to_string(&csv_path)?;
        ensure!(text.starts_with('\u{feff}'), "a spreadsheet reads it as UTF-8");
        let csv = counts_of(
            text.trim_start_matches('\u{feff}')
                .lines()
                .skip(1)
                .map(|l| l.split(';').map(String::from).collect()),
        )?;
        ensure!(csv == db, "CSV {csv:?} ≠ database {db:?}");

        let mut book: Xlsx<_> = open_workbook(&xlsx_path)?;
        ensure!(book.sheet_names() == ["Rekap layanan", "Bantuan per desa"], "{:?}", book.sheet_names());
        let sheet = book.worksheet_range("Rekap layanan")?;
        let title = sheet.get_value((0, 0)).map(|c| c.to_string()).unwrap_or_default();
        ensure!(title.contains("Kecamatan Sumur") && title.contains("20"), "title {title}");
        let rows = sheet.rows().skip(4).map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>());
        let xlsx = counts_of(rows)?;
        ensure!(xlsx == db, "XLSX {xlsx:?} ≠ database {db:?}");
        for p in [csv_path, xlsx_path] {
            std::fs::remove_file(p).ok();
        }
        Ok(())
    })
    .await
}
