//! The window on the screens offices have: a 1366×768 laptop and a 1920×1080 monitor. It opens
//! within the screen, no part of the page scrolls sideways, and the tabs are not covered by the
//! list beside them.

use anyhow::{ensure, Result};
use loket_e2e::run_on_screen;

/// Whether the element `css` is the topmost one at its own centre (nothing covers it).
async fn uncovered(app: &loket_e2e::App, css: &str) -> Result<bool> {
    let script = r#"
        const el = document.querySelector(arguments[0]);
        const r = el.getBoundingClientRect();
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return r.width > 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth
            && (top === el || el.contains(top));
    "#;
    let v = app.client().execute(script, vec![serde_json::json!(css)]).await?;
    Ok(v.as_bool().unwrap_or(false))
}

async fn no_sideways_scroll(app: &loket_e2e::App) -> Result<()> {
    let v = app
        .client()
        .execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![])
        .await?;
    let (scroll, inner) = (v[0].as_f64().unwrap_or(0.0), v[1].as_f64().unwrap_or(0.0));
    ensure!(scroll <= inner, "the page scrolls sideways: {scroll} > {inner}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_window_fits_a_1366_by_768_laptop_screen() -> Result<()> {
    run_on_screen("the_window_fits_a_1366_by_768_laptop_screen", "1366x768", async |app| {
        app.find("#enroll-submit").await?;
        let rect = app.client().get_window_rect().await?;
        ensure!(rect.1 + rect.3 <= 768 && rect.0 + rect.2 <= 1366, "the window is off the screen: {rect:?}");
        no_sideways_scroll(app).await?;
        app.screenshot("1366x768-first-run").await?;

        loket_e2e::first_user(app, "petugas", "Siti Petugas", "sandi-laptop-2026").await?;
        app.select("#office-kecamatan", "36.01.01").await?;
        app.click("#office-save").await?;
        app.find_text("#office-name", "Sumur").await?;
        for tab in ["#tab-staff", "#tab-handover", "#tab-settings"] {
            ensure!(uncovered(app, tab).await?, "{tab} is covered or off the window");
        }
        no_sideways_scroll(app).await?;
        app.click("#tab-staff").await?;
        app.find_text("#staff-title", "Data Pegawai").await?;
        app.screenshot("1366x768-workspace").await?;
        app.click("#tab-settings").await?;
        app.find("#settings-device").await?;
        no_sideways_scroll(app).await?;
        app.screenshot("1366x768-settings").await?;

        // The clerk's registration with a validation error, the receipt, the detail: each
        // within the screen (the README's screenshots, docs/screenshots/, come from here).
        app.click("#tab-bansos").await?;
        loket_e2e::fill_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        app.fill("#nik", "360101120590001").await?;
        app.click("#submit").await?;
        app.find_text("#nik-error", "harus 16 digit").await?;
        no_sideways_scroll(app).await?;
        app.screenshot("1366x768-registration-error").await?;
        app.fill("#nik", "3601 0112 0590 0001").await?;
        app.click("#submit").await?;
        app.find("#receipt-number").await?;
        app.find("#receipt-qr path").await?;
        ensure!(uncovered(app, "#receipt-close").await?, "the receipt's buttons are within the window");
        app.screenshot("1366x768-receipt").await?;
        app.click("#receipt-close").await?;
        app.click("#applications tbody tr .open-detail").await?;
        app.find("#application-detail").await?;
        no_sideways_scroll(app).await?;
        app.screenshot("1366x768-detail").await?;

        // English, from the settings; the labels change, and back.
        app.click("#tab-settings").await?;
        app.select("#settings-language", "en").await?;
        app.find_text("#tab-staff", "Staff").await?;
        app.find_text("#settings-title", "Settings").await?;
        app.find_text("#applications tbody tr .status", "Submitted").await?;
        // The forms and the Rust side's validation say it in English too.
        app.click("#tab-bansos").await?;
        app.find_text("label[for=nik]", "Applicant's NIK").await?;
        app.find_text("#submit", "Save registration").await?;
        loket_e2e::fill_bansos(app, "3601011205900002", "Ahmad <b>").await?;
        app.fill("#nik", "360101120590001").await?;
        app.click("#submit").await?;
        app.find_text("#nik-error", "A NIK has 16 digits.").await?;
        app.find_text("#full-name-issue-0", "A name has letters, spaces").await?;
        app.screenshot("1366x768-english").await?;
        app.click("#tab-settings").await?;
        app.select("#settings-language", "id").await?;
        app.find_text("#tab-staff", "Pegawai").await?;
        app.find_text("#applications tbody tr .status", "Diajukan").await?;
        app.click("#tab-bansos").await?;
        app.find_text("label[for=nik]", "NIK pemohon").await?;
        Ok(())
    })
    .await
}

/// The office's desktop monitor: 1920×1080. The window takes most of the screen (not the
/// laptop's 1280×720 in a corner), the same pages fit with nothing scrolling sideways, and the
/// form keeps a readable width while the list beside it takes the room that is left.
#[tokio::test(flavor = "multi_thread")]
async fn the_window_reads_well_on_a_1920_by_1080_monitor() -> Result<()> {
    run_on_screen("the_window_reads_well_on_a_1920_by_1080_monitor", "1920x1080", async |app| {
        app.find("#enroll-submit").await?;
        let (x, y, w, h) = app.client().get_window_rect().await?;
        ensure!(y + h <= 1080 && x + w <= 1920, "the window is off the screen: {:?}", (x, y, w, h));
        ensure!(w >= 1700 && h >= 950, "the window uses the monitor: {w}×{h}");
        no_sideways_scroll(app).await?;
        loket_e2e::first_user(app, "petugas", "Siti Petugas", "sandi-laptop-2026").await?;
        app.select("#office-kecamatan", "36.01.01").await?;
        app.click("#office-save").await?;
        app.find_text("#office-name", "Sumur").await?;
        for tab in ["#tab-staff", "#tab-report", "#tab-settings"] {
            ensure!(uncovered(app, tab).await?, "{tab} is covered or off the window");
        }
        app.click("#tab-bansos").await?;
        loket_e2e::fill_bansos(app, "3601011205900001", "Ahmad Hidayat").await?;
        app.click("#submit").await?;
        app.find("#receipt-number").await?;
        ensure!(uncovered(app, "#receipt-close").await?, "the receipt's buttons are within the window");
        app.click("#receipt-close").await?;
        app.find("#applications tbody tr").await?;
        no_sideways_scroll(app).await?;
        let widths = app
            .client()
            .execute(
                "return [document.querySelector('form').getBoundingClientRect().width,
                         document.querySelector('#applications').getBoundingClientRect().width];",
                vec![],
            )
            .await?;
        let (form, list) = (widths[0].as_f64().unwrap_or(0.0), widths[1].as_f64().unwrap_or(0.0));
        ensure!(form <= 760.0, "the form stretches to {form} px");
        ensure!(list >= 900.0, "the list keeps {list} px of the screen");
        app.screenshot("1920x1080-workspace").await?;
        for tab in ["#tab-staff", "#tab-report", "#tab-settings"] {
            app.click(tab).await?;
            no_sideways_scroll(app).await?;
        }
        Ok(())
    })
    .await
}
