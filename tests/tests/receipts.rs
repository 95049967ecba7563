//! Receipts in the real window: a permit, a bansos and a hibah application each get a signed
//! receipt whose PDF is kept with the application; the PDF renders (pdftoppm), its text
//! (pdftotext) holds the registration number, its QR code decodes to the signed payload, and
//! that payload — signed by the laptop's key, with the province's certificate of that key given
//! at enrollment — verifies with `loket-server verify` and on the server's `/verify` page; so
//! does one printed before the certificate came (found by its key). An altered payload, or one
//! signed by a device the province never certified, does not.

use anyhow::{bail, ensure, Context, Result};
use loket_e2e::{enroll, log_in, on_server, run, App, NewUser, ServerProcess};

const PASSWORD: &str = "sandi-petugas-2026";

async fn hibah(app: &App) -> Result<String> {
    loket_e2e::fill_hibah(app, "AHU-0012345.AH.01.04.Tahun 2019").await?;
    app.click("#hibah-submit").await?;
    Ok(app.find("#receipt-number").await?.text().await?)
}

/// The receipt shown is signed (its QR drawn) and saved; then it is closed.
async fn receipt_issued(app: &App, name: &str) -> Result<()> {
    app.find("#receipt-qr path").await?;
    app.find_text("#receipt-saved", "tersimpan").await?;
    app.screenshot(name).await?;
    app.click("#receipt-close").await
}

/// `loket-server verify`: its exit status and output.
fn verify(db: &std::path::Path, payload: &str) -> Result<(bool, String)> {
    let out = std::process::Command::new(ServerProcess::binary()?)
        .arg("--database")
        .arg(db)
        .args(["verify", payload])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()?;
    Ok((out.status.success(), String::from_utf8(out.stdout)?))
}

/// A one-page PDF rendered in grey (pdftoppm) at `dpi`, as a scanner would see it.
fn render(pdf: &std::path::Path, dpi: u32) -> Result<(usize, usize, Vec<u8>)> {
    let out = std::process::Command::new("pdftoppm")
        .args(["-gray", "-r", &dpi.to_string(), "-singlefile"])
        .arg(pdf)
        .output()?;
    ensure!(out.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&out.stderr));
    // Binary PGM: "P5", width, height, maxval, one byte per pixel.
    let data = out.stdout;
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8(data[start..i].to_vec())?);
    }
    ensure!(fields[0] == "P5" && fields[3] == "255", "not an 8-bit PGM: {fields:?}");
    let (w, h): (usize, usize) = (fields[1].parse()?, fields[2].parse()?);
    let pixels = data[i + 1..].to_vec();
    ensure!(pixels.len() == w * h, "{} bytes for {w}×{h}", pixels.len());
    Ok((w, h, pixels))
}

/// The one QR code on the page. rqrr's finder misses codes at some module sizes (this one's is
/// fractional), where a phone's camera sees several; the page is scanned at a few resolutions
/// and must decode at one of them.
fn decode_qr(pdf: &std::path::Path) -> Result<String> {
    for dpi in [300, 400, 250] {
        let (w, h, pixels) = render(pdf, dpi)?;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        let grids = img.detect_grids();
        ensure!(grids.len() <= 1, "{} QR codes on the page", grids.len());
        if let Some(grid) = grids.first() {
            let (_, content) = grid.decode().map_err(|e| anyhow::anyhow!("QR: {e:?}"))?;
            return Ok(content);
        }
    }
    bail!("no QR code found on {}", pdf.display())
}

fn pdf_text(pdf: &std::path::Path) -> Result<String> {
    let out = std::process::Command::new("pdftotext").arg(pdf).arg("-").output()?;
    ensure!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8(out.stdout)?)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_application_gets_a_receipt_whose_qr_verifies_with_the_province() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("server.sqlite3");
    ServerProcess::admin(&db, &["office", "add", "36.01.01"])?;
    let clerk = NewUser {
        office: "36.01.01",
        username: "petugas",
        full_name: "Siti Petugas",
        roles: "clerk",
        password: PASSWORD,
    };
    ServerProcess::add_user(&db, &clerk)?;
    let code = ServerProcess::admin(&db, &["enroll-code", "--office", "36.01.01"])?.trim().to_string();
    let server = ServerProcess::start(&db)?;
    let mut numbers = Vec::new();
    let work = dir.path().join("pdf");
    std::fs::create_dir_all(&work)?;
    run("each_kind_of_application_gets_a_receipt_whose_qr_verifies_with_the_province", async |app| {
        enroll(app, &server.url, &code).await?;
        log_in(app, "petugas", PASSWORD, "Siti Petugas").await?;
        // The first sync after enrollment has run: the province certified the device's key.
        app.find("#sync-last").await?;
        app.click("#tab-settings").await?;
        app.find("#settings-receipt-key[data-certified=\"true\"]").await?;
        app.click("#tab-permit").await?;
        numbers.push(loket_e2e::register_sktm_keeping_receipt(app).await?);
        receipt_issued(app, "receipt-permit").await?;
        app.click("#tab-bansos").await?;
        numbers.push(
            loket_e2e::register_bansos_keeping_receipt(app, "3601011205900001", "Ahmad Hidayat").await?,
        );
        receipt_issued(app, "receipt-bansos").await?;
        // The hibah's receipt on the thermal roll.
        app.click("#tab-settings").await?;
        // Settings read what is set (the paper with the version) before it is changed.
        app.find_text("#settings-version", "0.").await?;
        app.select("#settings-paper", "thermal80").await?;
        app.find("#settings-paper option[value=\"thermal80\"]:checked").await?;
        numbers.push(hibah(app).await?);
        app.find("#receipt[data-paper=\"thermal80\"]").await?;
        receipt_issued(app, "receipt-hibah-thermal").await?;
        for n in &numbers {
            on_server(&server, n, |_| true).await?;
        }
        app.quit().await?;

        let store = app.open_store()?;
        for (i, app_row) in store.list_applications(10)?.into_iter().rev().enumerate() {
            let number = app_row.registration_number.clone().context("numbered")?;
            ensure!(number == numbers[i], "{number} is not {}", numbers[i]);
            let receipt = store.receipt(&app_row.id)?.context("a receipt was issued")?;
            let pdf = work.join(format!("{number}.pdf"));
            std::fs::write(&pdf, store.receipt_pdf(&app_row.id)?.context("its PDF")?)?;

            let text = pdf_text(&pdf)?;
            ensure!(text.contains(&number), "the PDF's text lacks {number}:\n{text}");
            ensure!(text.contains("Siti Petugas"), "the clerk is named:\n{text}");
            let (w, h, _) = render(&pdf, 200)?;
            if i == 2 {
                let mm = w as f64 * 25.4 / 200.0;
                ensure!((mm - 80.0).abs() < 1.0 && h > w, "the thermal receipt is an 80 mm roll ({w}×{h})");
            } else {
                ensure!(h * 10 / w == 14, "A4 ({w}×{h})");
            }
            let scanned = decode_qr(&pdf)?;
            ensure!(scanned == receipt.payload, "the QR code holds the signed payload");
            let parts = loket_keys::open_receipt(&scanned).map_err(|e| anyhow::anyhow!("{e}"))?;
            ensure!(parts.certificate.is_some(), "{number}: the province's certificate goes with it");

            let (genuine, said) = verify(&db, &scanned)?;
            ensure!(genuine && said.contains("ASLI"), "{number}: {said}");
            ensure!(said.contains(&number) && said.contains("on server: yes"), "{said}");
            ensure!(!said.contains("3601011205900001"), "the whole NIK is never shown");

            // One character of the signed content changed: refused.
            let mut parts: Vec<String> = scanned.split('.').map(str::to_string).collect();
            let flipped = if parts[1].ends_with('A') { 'B' } else { 'A' };
            parts[1].pop();
            parts[1].push(flipped);
            let (ok, said) = verify(&db, &parts.join("."))?;
            ensure!(!ok && (said.contains("TIDAK ASLI") || said.contains("BUKAN")), "altered: {said}");
        }

        // The same code on the server's page, as an official's phone would open it.
        let receipt = store.receipt(&store.list_applications(10)?[0].id)?.context("receipt")?;
        let page = reqwest::Client::new()
            .get(format!("{}/verify", server.url))
            .query(&[("kode", receipt.payload.as_str())])
            .send()
            .await?;
        ensure!(page.headers().contains_key("content-security-policy"));
        let html = page.text().await?;
        ensure!(html.contains("data-verdict=\"Genuine\"") && html.contains("Siti Petugas"), "{html}");

        ensure!(html.contains("Perangkat"), "the device is named: {html}");

        // Printed before the device was certified (no certificate in the code): its key is the
        // one the device registered, so the province still knows it.
        let parts = loket_keys::open_receipt(&receipt.payload).map_err(|e| anyhow::anyhow!("{e}"))?;
        let device_key = app.open_store()?.device_receipt_key()?;
        let early = loket_keys::seal_device_receipt(&parts.claim_json, &device_key, None);
        let (ok, said) = verify(&db, &early)?;
        ensure!(ok && said.contains("ASLI"), "before the certificate: {said}");

        // Signed by a device the province never certified, with a "certificate" of its own
        // making, or with this device's certificate: not the province's.
        let stranger = loket_keys::SigningKey::generate();
        let mut claim: serde_json::Value = serde_json::from_str(&parts.claim_json)?;
        claim["k"] = stranger.key_id().into();
        let mut cert: serde_json::Value =
            serde_json::from_str(&parts.certificate.as_ref().context("certified")?.claim_json)?;
        cert["pk"] = stranger.public_key().into();
        let self_made = loket_keys::certify_device(&cert.to_string(), &stranger);
        let borrowed = receipt.payload.splitn(4, '.').nth(3).context("the certificate's parts")?.to_string();
        for cert in [Some(self_made.as_str()), Some(borrowed.as_str()), None] {
            let forged = loket_keys::seal_device_receipt(&claim.to_string(), &stranger, cert);
            let (ok, said) = verify(&db, &forged)?;
            ensure!(!ok && said.contains("PERANGKAT TIDAK DIKENAL"), "forged: {said}");
        }
        // IT revokes the laptop (lost, say): its receipts stay genuine, and say since when.
        let device_id = app.open_store()?.enrollment()?.context("enrolled")?.device_id;
        ServerProcess::admin(&db, &["device", "revoke", &device_id])?;
        let (ok, said) = verify(&db, &receipt.payload)?;
        ensure!(ok && said.contains("dicabut TI provinsi pada"), "revoked since: {said}");
        let (ok, said) = verify(&db, "https://contoh.go.id/")?;
        if ok || !said.contains("BUKAN") {
            bail!("not a receipt: {said}");
        }
        Ok(())
    })
    .await
}
