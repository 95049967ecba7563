//! The receipt (tanda terima) a citizen takes home: signed by this laptop's receipt key, with
//! the province's certificate of that key once the laptop enrolled, so that its QR code
//! verifies against the province (`loket-server verify`, the server's `/verify` page) even when
//! the laptop was offline, laid out as a PDF for A4 or an 80 mm roll, and kept
//! with the application on this laptop (`Store::save_receipt`). Issued once per number and
//! paper; opened again, the same receipt is shown.

use chrono::{DateTime, Datelike, Timelike, Utc};
use loket_protocol::ReceiptClaim;
use loket_store::ReceiptRow;

use crate::dto::{ApplicationDto, ApplicationKind, OfficeDto, QrDto, ReceiptDto};
use crate::receipt_pdf::{self, Block, ReceiptPaper};
use crate::{present, AppError, Loket};

const PAPER_SETTING: &str = "receipt.paper";

impl Loket {
    /// The paper receipts are laid out for on this laptop.
    pub fn receipt_paper(&self) -> Result<ReceiptPaper, AppError> {
        let s = self.store().setting(PAPER_SETTING)?;
        Ok(s.as_deref().and_then(ReceiptPaper::parse).unwrap_or_default())
    }

    /// Lay receipts out for `paper` from now on (a receipt opened again is issued anew).
    pub fn set_receipt_paper(&self, paper: ReceiptPaper) -> Result<ReceiptPaper, AppError> {
        self.acting()?;
        self.store().set_setting(PAPER_SETTING, paper.as_str())?;
        Ok(paper)
    }

    /// The receipt of an application: the one already issued for its number on this paper, or
    /// a new one issued by the user at the counter and signed by this device's key, its PDF
    /// kept with the application.
    pub fn receipt(&self, application_id: &str) -> Result<ReceiptDto, AppError> {
        let actor = self.acting()?;
        let paper = self.receipt_paper()?;
        let office = self.office()?.ok_or(AppError::OfficeNotConfigured)?;
        let app = {
            let store = self.store();
            let row = store.application_row(application_id)?;
            present::application_rows(&store, &actor, vec![row], Utc::now())?
                .pop()
                .ok_or(AppError::NotFound)?
        };
        if let Some(kept) = self.store().receipt(application_id)? {
            if kept.number == app.registration_number && kept.paper == paper.as_str() {
                return dto(kept, paper);
            }
        }
        // Signed by this device's key; once the device enrolled, the province's certificate of
        // that key goes with it.
        let (key, certificate) = {
            let mut store = self.store();
            (store.device_receipt_key()?, store.device_certificate()?)
        };
        let issued_by = self.session_state().user.as_ref().map(|u| u.full_name.clone()).unwrap_or_default();
        let now = Utc::now();
        let claim = claim(&app, &office, &actor.username, &key.key_id(), now);
        let claim_json = serde_json::to_string(&claim).map_err(|e| AppError::Storage(e.to_string()))?;
        let payload = loket_keys::seal_device_receipt(&claim_json, &key, certificate.as_deref());
        let title = title(&app);
        let pdf = receipt_pdf::render(paper, &title, &blocks(&app, &office, &issued_by, now), &payload);
        let row = ReceiptRow {
            application_id: application_id.to_string(),
            number: app.registration_number.clone(),
            paper: paper.as_str().to_string(),
            payload,
            sha256: String::new(),
            issued_at: now.to_rfc3339(),
        };
        let row = self.store().save_receipt(row, &pdf)?;
        tracing::info!(application = %application_id, paper = paper.as_str(), "receipt issued");
        dto(row, paper)
    }

    /// The PDF of the receipt issued for an application, base64 (none issued yet: not found).
    pub fn receipt_pdf(&self, application_id: &str) -> Result<String, AppError> {
        use base64::Engine as _;
        self.reading()?;
        let pdf = self.store().receipt_pdf(application_id)?.ok_or(AppError::NotFound)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(pdf))
    }
}

fn dto(row: ReceiptRow, paper: ReceiptPaper) -> Result<ReceiptDto, AppError> {
    Ok(ReceiptDto {
        qr: qr(&row.payload)?,
        payload: row.payload,
        paper,
        pdf_sha256: row.sha256,
        issued_at: row.issued_at,
    })
}

/// The QR code as one SVG path of unit squares (a 4-module quiet zone included in `size`).
fn qr(payload: &str) -> Result<QrDto, AppError> {
    use qrcode::{Color, EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::Storage(format!("QR: {e}")))?;
    let width = code.width();
    let mut path = String::new();
    for (i, c) in code.to_colors().into_iter().enumerate() {
        if c == Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", i % width + 4, i / width + 4));
        }
    }
    Ok(QrDto { size: width as u32 + 8, path })
}

fn title(app: &ApplicationDto) -> String {
    if app.registration_number.is_some() {
        "Tanda Terima Pendaftaran".into()
    } else {
        "Tanda Terima Berkas (Draf)".into()
    }
}

pub(crate) fn claim(
    app: &ApplicationDto,
    office: &OfficeDto,
    username: &str,
    key_id: &str,
    now: DateTime<Utc>,
) -> ReceiptClaim {
    let required = app.documents.len() as u32;
    let received = app.documents.iter().filter(|d| d.received).count() as u32;
    ReceiptClaim {
        number: app.registration_number.clone(),
        id: app.id.clone(),
        office: office.kecamatan.code.clone(),
        service: app.service_code.clone(),
        name: app.organization_name.clone().unwrap_or_else(|| app.applicant_name.clone()),
        nik_masked: app.applicant_nik_masked.clone(),
        issued_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        fee: (app.kind == ApplicationKind::Permit).then_some(u64::from(app.fee)),
        due: app.due_date.clone(),
        amount: app.amount_proposed.map(|a| a as u64),
        documents: (required > 0).then_some((received, required)),
        user: username.to_string(),
        key_id: key_id.to_string(),
        device: Some(office.device_code.clone()),
    }
}

pub(crate) const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// `2 Desember 2026`.
pub(crate) fn tanggal(date: chrono::NaiveDate) -> String {
    format!("{} {} {}", date.day(), MONTHS[date.month0() as usize], date.year())
}

/// `2 Desember 2026 14.05 WIB` (offices are in UTC+7).
fn waktu(t: DateTime<Utc>) -> String {
    let wib = t + chrono::Duration::hours(7);
    format!("{} {:02}.{:02} WIB", tanggal(wib.date_naive()), wib.hour(), wib.minute())
}

fn blocks(app: &ApplicationDto, office: &OfficeDto, issued_by: &str, now: DateTime<Utc>) -> Vec<Block> {
    let mut b = vec![
        Block::Title(title(app)),
        Block::Subtitle(format!("Kantor Kecamatan {}, {}", office.kecamatan.name, office.kecamatan.regency)),
        Block::Field(
            "Nomor registrasi",
            app.registration_number.clone().unwrap_or_else(|| "Diberikan setelah berkas lengkap".into()),
        ),
    ];
    if let Some(org) = &app.organization_name {
        b.push(Block::Field("Organisasi", org.clone()));
        b.push(Block::Field("Ketua", app.applicant_name.clone()));
    } else {
        b.push(Block::Field("Nama pemohon", app.applicant_name.clone()));
    }
    if let Some(nik) = &app.applicant_nik_masked {
        b.push(Block::Field("NIK", nik.clone()));
    }
    b.push(Block::Field("Alamat", format!("{}, {}", app.applicant_address, app.village_label)));
    b.push(Block::Field("Layanan", app.service_name.clone()));
    b.push(Block::Field("Tanggal", waktu(now)));
    if let Some(period) = &app.period {
        b.push(Block::Field("Periode", period.clone()));
    }
    if let Some(amount) = app.amount_proposed {
        b.push(Block::Field("Nilai hibah diajukan", format!("Rp {}", present::rupiah(amount as u64))));
    }
    if app.kind == ApplicationKind::Permit {
        let fee = if app.fee == 0 {
            "Gratis".into()
        } else {
            format!("Rp {}", present::rupiah(u64::from(app.fee)))
        };
        b.push(Block::Field("Biaya/retribusi", fee));
        if let Some(due) = app.due_date.as_deref().and_then(|d| d.parse().ok()) {
            b.push(Block::Field("Perkiraan selesai", tanggal(due)));
        }
    }
    b.push(Block::Field("Petugas", issued_by.to_string()));
    if !app.documents.is_empty() {
        b.push(Block::Heading("Kelengkapan berkas"));
        for d in &app.documents {
            let mark = if d.received { "[ada]" } else { "[belum]" };
            b.push(Block::Item(format!("{mark} {}", d.name)));
        }
    }
    b.push(Block::Note(
        "Simpan tanda terima ini. Sebutkan nomor registrasi saat menanyakan perkembangan permohonan. \
         Keaslian tanda terima dapat diperiksa dengan memindai kode QR di halaman verifikasi server \
         provinsi."
            .into(),
    ));
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bansos, configured};

    #[test]
    fn a_receipt_is_signed_kept_and_issued_once_per_number_and_paper() {
        let (_dir, loket) = configured();
        let app = loket.register_bansos(bansos("3601011205900001")).unwrap();
        let first = loket.receipt(&app.id).unwrap();
        // The payload verifies under the device's key and says what the paper says; the device
        // is not enrolled, so no certificate goes with it yet.
        let parts = loket_keys::open_receipt(&first.payload).unwrap();
        let key = loket.store().device_receipt_key().unwrap();
        assert!(parts.signed_by(&key.public_key()) && parts.certificate.is_none());
        let claim: ReceiptClaim = serde_json::from_str(&parts.claim_json).unwrap();
        assert_eq!(claim.number, app.registration_number);
        assert_eq!((claim.office.as_str(), claim.user.as_str()), ("36.01.01", "petugas"));
        assert_eq!(claim.device, Some(loket.store().device_code().unwrap()));
        assert_eq!(claim.nik_masked.as_deref(), Some("3601********0001"));
        assert!(!parts.claim_json.contains("3601011205900001"), "the whole NIK is never in the code");
        // Its PDF is kept with the application on this laptop (not uploaded as a scan).
        use base64::Engine as _;
        let pdf =
            base64::engine::general_purpose::STANDARD.decode(loket.receipt_pdf(&app.id).unwrap()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(loket.store().pending_count().unwrap(), 1, "only the registration waits to be sent");
        assert!(loket.open_application(&app.id).unwrap().attachments.is_empty());
        // Opened again: the same receipt. Another paper: a new one.
        assert_eq!(loket.receipt(&app.id).unwrap(), first);
        loket.set_receipt_paper(ReceiptPaper::Thermal80).unwrap();
        let thermal = loket.receipt(&app.id).unwrap();
        assert_eq!(thermal.paper, ReceiptPaper::Thermal80);
        assert_ne!(thermal.pdf_sha256, first.pdf_sha256);
    }

    /// Once the province certified the device's key, its receipts carry the certificate; the
    /// code stays small enough for a QR code an 80 mm roll prints at a readable module size.
    #[test]
    fn an_enrolled_devices_receipt_carries_the_provinces_certificate() {
        let (_dir, loket) = configured();
        let province = loket_keys::SigningKey::generate();
        let device_key = loket.store().device_receipt_key().unwrap();
        let cert = loket_protocol::DeviceCertificate {
            device_code: loket.store().device_code().unwrap(),
            office: "36.01.01".into(),
            public_key: device_key.public_key(),
            province_key_id: province.key_id(),
            issued_at: "2026-12-02T08:00:00Z".into(),
        };
        let certificate = loket_keys::certify_device(&serde_json::to_string(&cert).unwrap(), &province);
        loket.store().set_device_certificate(&certificate).unwrap();
        let app = loket.register_bansos(bansos("3601011205900001")).unwrap();
        let receipt = loket.receipt(&app.id).unwrap();
        let parts = loket_keys::open_receipt(&receipt.payload).unwrap();
        let c = parts.certificate.as_ref().expect("the certificate goes with it");
        assert!(c.signed_by(&province.public_key()) && parts.signed_by(&device_key.public_key()));
        // Version 20 (97 modules) holds 775 bytes at level M: 63.5 mm / 105 modules ≈ 0.6 mm.
        let modules = receipt.qr.size - 8;
        let uncertified = loket_keys::seal_device_receipt(&parts.claim_json, &device_key, None);
        eprintln!(
            "payload {} characters, QR {modules} modules; without the certificate {} characters, {} modules",
            receipt.payload.len(),
            uncertified.len(),
            qr(&uncertified).unwrap().size - 8
        );
        assert!(modules <= 97, "{} characters make a {modules}-module code", receipt.payload.len());
    }

    #[test]
    fn dates_are_written_the_indonesian_way_in_wib() {
        let t = DateTime::parse_from_rfc3339("2026-12-02T17:05:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(waktu(t), "3 Desember 2026 00.05 WIB");
        assert_eq!(tanggal("2026-08-17".parse().unwrap()), "17 Agustus 2026");
    }

    #[test]
    fn the_qr_path_draws_every_dark_module_inside_its_quiet_zone() {
        let q = qr("LKT1.abc.def").unwrap();
        assert_eq!(q.size, 21 + 8);
        assert!(q.path.starts_with("M4 4h1v1h-1z"), "the finder pattern's corner: {}", &q.path[..20]);
    }
}
