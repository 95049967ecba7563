//! The use cases of the desktop app.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{SecondsFormat, Utc};
use loket_domain::aid::{self, BansosDraft, HibahDraft, MemberDraft, BANSOS_CATEGORIES, PROGRAMMES};
use loket_domain::applicant::ApplicantDraft;
use loket_domain::issue::{FieldIssue, Severity};
use loket_domain::permit::{self, PermitDetails, PermitDraft};
use loket_domain::region::{catalogue, Level, Region};
use loket_domain::service::{self, ServiceKind};
use loket_domain::staff::{self, StaffDraft};
use loket_domain::workflow::{self, Action, Role, Status};
use loket_store::{Actor, Application, Store};

use crate::dto::*;
use crate::indexer::Indexer;
use crate::AppError;

/// How many applications the list shows.
const LIST_LIMIT: u32 = 200;

/// One running Loket installation: its data directory and its store.
pub struct Loket {
    /// Shared with the background sync task.
    store: Arc<Mutex<Store>>,
    /// The background sync task, once started.
    sync: OnceLock<loket_sync::worker::WorkerHandle>,
    /// Indexes new applications for search right after they are saved.
    indexer: Option<Indexer>,
    data_dir: PathBuf,
    /// Who is at the counter: the logged-in office user, or — before the office's users have
    /// been synced from the provincial server — the local counter clerk.
    actor: Mutex<Actor>,
    /// Full name of the logged-in user, if any.
    user: Mutex<Option<String>>,
    /// Server address suggested for enrollment.
    default_server_url: Option<String>,
}

impl Loket {
    /// Open the installation in `data_dir` (created if missing).
    pub fn open(data_dir: &Path) -> Result<Self, AppError> {
        let store = Store::open_in_dir(data_dir)?;
        tracing::info!(path = %store.path().display(), "opened local store");
        let store = Arc::new(Mutex::new(store));
        Ok(Self {
            indexer: Indexer::start(store.clone()),
            store,
            sync: OnceLock::new(),
            data_dir: data_dir.to_path_buf(),
            actor: Mutex::new(local_clerk()),
            user: Mutex::new(None),
            default_server_url: None,
        })
    }

    /// Suggest this server address when enrolling (the shell passes `LOKET_SERVER_URL`).
    pub fn with_default_server_url(mut self, url: Option<String>) -> Self {
        self.default_server_url = url.filter(|u| !u.trim().is_empty());
        self
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to keep using.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The background sync task: the shell spawns the returned future on its tokio runtime once.
    /// Later calls return a future that does nothing.
    pub fn sync_task(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let poke = self.indexer.as_ref().map(Indexer::poker);
        let (handle, task) = loket_sync::worker::start(
            self.store.clone(),
            loket_sync::worker::WorkerConfig::default(),
            env!("CARGO_PKG_VERSION").to_string(),
            move || {
                if let Some(poke) = &poke {
                    poke();
                }
            },
        );
        let first = self.sync.set(handle).is_ok();
        async move {
            if first {
                task.await
            }
        }
    }

    /// Ask the background task to sync now (after a local change, or the user asked).
    pub fn sync_now(&self) {
        if let Some(h) = self.sync.get() {
            h.wake();
        }
    }

    /// What the background sync is doing, for the status bar.
    pub fn sync_status(&self) -> Result<SyncStatusDto, AppError> {
        let status = match self.sync.get() {
            Some(h) => h.status(),
            None => {
                let s = self.store();
                loket_sync::worker::SyncStatus {
                    pending: s.pending_count()?,
                    attention: s.attention_count()?,
                    ..Default::default()
                }
            }
        };
        Ok(sync_status_dto(&status))
    }

    fn actor(&self) -> Actor {
        self.actor.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The actor for a change: once the office's users are known, somebody must be logged in.
    fn acting(&self) -> Result<Actor, AppError> {
        let logged_in = self.user.lock().unwrap_or_else(|p| p.into_inner()).is_some();
        if !logged_in && self.store().office_user_count()? > 0 {
            return Err(AppError::LoginRequired);
        }
        Ok(self.actor())
    }

    /// Who is at the counter, and whether a login is needed.
    pub fn session(&self) -> Result<SessionDto, AppError> {
        let full_name = self.user.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let actor = self.actor();
        let users = self.store().office_user_count()?;
        Ok(SessionDto {
            login_required: users > 0 && full_name.is_none(),
            username: full_name.as_ref().map(|_| actor.username.clone()),
            full_name,
            roles: actor.roles.iter().map(|r| r.as_str().to_string()).collect(),
        })
    }

    /// Log in offline: the password is checked against the office user's argon2id hash synced
    /// from the provincial server. The same message for an unknown user and a wrong password.
    pub fn login(&self, input: LoginInput) -> Result<SessionDto, AppError> {
        let user = self.store().office_user(input.username.trim())?;
        let Some(user) = user.filter(|u| u.active) else { return Err(AppError::LoginFailed) };
        let ok = argon2::PasswordHash::new(&user.password_hash).is_ok_and(|h| {
            use argon2::PasswordVerifier;
            argon2::Argon2::default().verify_password(input.password.as_bytes(), &h).is_ok()
        });
        if !ok {
            tracing::info!("login refused");
            return Err(AppError::LoginFailed);
        }
        *self.actor.lock().unwrap_or_else(|p| p.into_inner()) =
            Actor::new(user.username.clone(), &user.roles);
        *self.user.lock().unwrap_or_else(|p| p.into_inner()) = Some(user.full_name);
        tracing::info!(user = %user.username, "logged in");
        self.session()
    }

    /// Log out; the next change needs a login again.
    pub fn logout(&self) -> Result<SessionDto, AppError> {
        *self.actor.lock().unwrap_or_else(|p| p.into_inner()) = local_clerk();
        *self.user.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.session()
    }

    /// Take a workflow step (review, approve, reject, return, ...) as the logged-in user.
    pub fn decide(&self, input: DecisionInput) -> Result<ApplicationDto, AppError> {
        let action = Action::parse(&input.action).ok_or(AppError::NotFound)?;
        self.change(|store, actor| {
            Ok(store.transition(&input.application_id, action, &input.note, actor, Utc::now())?)
        })
    }

    /// Tick (or untick) a document of a permit's checklist; a draft whose checklist is complete
    /// offers `submit`, which numbers it.
    pub fn set_document_received(&self, input: DocumentInput) -> Result<ApplicationDto, AppError> {
        self.change(|store, actor| {
            Ok(store.set_document_received(
                &input.application_id,
                &input.code,
                input.received,
                actor,
                Utc::now(),
            )?)
        })
    }

    /// A supervisor settles the open conflicts of an application: keep the server's values,
    /// or take the values the other device sent.
    pub fn resolve_conflicts(&self, input: ResolveInput) -> Result<ApplicationDto, AppError> {
        self.change(|store, actor| {
            let open = store.open_conflicts_of(&input.application_id)?;
            let ids: Vec<String> = open.iter().filter_map(|c| c.op_id.clone()).collect();
            let mut fields = serde_json::Map::new();
            if input.keep == "device" {
                for c in &open {
                    if let Some(f) = c.data.get("fields").and_then(|f| f.as_object()) {
                        fields.extend(f.clone());
                    }
                }
            }
            store.resolve_conflicts(&input.application_id, &ids, &fields, actor, Utc::now())?;
            Ok(store.application(&input.application_id)?)
        })
    }

    /// Attach a scanned document to an application (kept content-addressed on this device and
    /// uploaded by the background sync after the record).
    pub fn add_attachment(&self, input: AttachmentInput) -> Result<ApplicationDto, AppError> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(input.content_base64.trim())
            .map_err(|_| AppError::AttachmentType)?;
        self.change(|store, actor| {
            store.add_attachment(
                &input.application_id,
                &bytes,
                &input.file_name,
                &input.document_code,
                actor,
                Utc::now(),
            )?;
            Ok(store.application(&input.application_id)?)
        })
    }

    /// The content of an attachment; one registered on another device of the office is fetched
    /// from the provincial server the first time it is opened.
    pub async fn attachment_content(&self, sha256: &str) -> Result<AttachmentContentDto, AppError> {
        use base64::Engine as _;
        let present = self.store().attachment_present(sha256)?;
        if !present {
            let enrollment = self.store().enrollment()?.ok_or(AppError::AttachmentNotUploaded)?;
            let engine = loket_sync::engine::Engine::new(
                loket_sync::Client::new(&enrollment.server_url)?,
                loket_sync::Credential { token: enrollment.token, office_code: enrollment.office_code },
                env!("CARGO_PKG_VERSION"),
            );
            if !engine.fetch_attachment(&self.store, sha256).await? {
                return Err(AppError::AttachmentNotUploaded);
            }
        }
        let bytes = self.store().attachment_bytes(sha256)?;
        Ok(AttachmentContentDto {
            media_type: loket_store::sniff_media_type(&bytes)
                .unwrap_or("application/octet-stream")
                .to_string(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
        })
    }

    /// Version, data directory and schema, for the about panel.
    pub fn info(&self) -> Result<AppInfoDto, AppError> {
        Ok(AppInfoDto {
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: self.data_dir.display().to_string(),
            schema_version: self.store().schema_version()?,
            default_server_url: self.default_server_url.clone(),
        })
    }

    /// The 155 kecamatan of Banten with their kabupaten/kota.
    pub fn kecamatan_list(&self) -> Vec<KecamatanDto> {
        catalogue().kecamatan().map(kecamatan_dto).collect()
    }

    /// Desa and kelurahan of one kecamatan.
    pub fn villages(&self, kecamatan_code: &str) -> Vec<RegionDto> {
        catalogue()
            .villages_of(kecamatan_code)
            .map(|r| RegionDto { code: r.code.to_string(), name: village_name(r) })
            .collect()
    }

    /// The aid programmes (bansos and hibah) with their periods.
    pub fn programmes(&self) -> Vec<ProgrammeDto> {
        PROGRAMMES
            .iter()
            .map(|p| ProgrammeDto {
                code: p.code.to_string(),
                name: p.name.to_string(),
                kind: p.kind.as_str().to_string(),
                period: p.period.to_string(),
            })
            .collect()
    }

    /// The PATEN services of the counter.
    pub fn services(&self) -> Vec<ServiceDto> {
        service::SERVICES
            .iter()
            .map(|s| ServiceDto {
                code: s.code.to_string(),
                name: s.name.to_string(),
                kind: service_kind(s.kind).to_string(),
                documents: s
                    .documents
                    .iter()
                    .map(|d| DocumentDto { code: d.code.to_string(), name: d.name.to_string() })
                    .collect(),
                fee_rule: fee_rule(s.fee),
                sla_days: s.sla_days,
            })
            .collect()
    }

    /// Bansos recipient categories.
    pub fn categories(&self) -> Vec<CategoryDto> {
        BANSOS_CATEGORIES
            .iter()
            .map(|c| CategoryDto { code: c.code.to_string(), name: c.name.to_string() })
            .collect()
    }

    /// The configured office, if any.
    pub fn office(&self) -> Result<Option<OfficeDto>, AppError> {
        let mut store = self.store();
        let Some(code) = store.office_kecamatan()? else { return Ok(None) };
        let region = catalogue().get(&code).ok_or_else(|| AppError::UnknownKecamatan(code.clone()))?;
        Ok(Some(OfficeDto { kecamatan: kecamatan_dto(region), device_code: store.device_code()? }))
    }

    /// Choose which kecamatan office this installation serves.
    pub fn set_office(&self, kecamatan_code: &str) -> Result<OfficeDto, AppError> {
        let region = catalogue()
            .get(kecamatan_code)
            .filter(|r| r.level == Level::District)
            .ok_or_else(|| AppError::UnknownKecamatan(kecamatan_code.to_string()))?;
        self.store().set_office_kecamatan(region.code)?;
        tracing::info!(kecamatan = region.code, "office configured");
        self.office()?.ok_or(AppError::OfficeNotConfigured)
    }

    /// Enroll this device with the provincial server using a one-time code from IT. The office
    /// and the device code then come from the server.
    pub async fn enroll(&self, input: EnrollInput) -> Result<OfficeDto, AppError> {
        let client = loket_sync::Client::new(&input.server_url)?;
        let device_name = format!("Loket {}", env!("CARGO_PKG_VERSION"));
        let e = client.enroll(input.code.trim(), &device_name, env!("CARGO_PKG_VERSION")).await?;
        if catalogue().get(&e.office_code).is_none_or(|r| r.level != Level::District) {
            return Err(AppError::UnknownKecamatan(e.office_code));
        }
        let enrollment = loket_store::Enrollment {
            server_url: client.base_url().to_string(),
            device_id: e.device_id,
            token: e.token,
            office_code: e.office_code,
        };
        self.store().save_enrollment(&enrollment, &e.device_code)?;
        tracing::info!(office = %enrollment.office_code, device = %e.device_code, "device enrolled");
        self.sync_now();
        self.office()?.ok_or(AppError::OfficeNotConfigured)
    }

    /// Check the link with the provincial server.
    pub async fn connection(&self) -> Result<ConnectionDto, AppError> {
        let Some(e) = self.store().enrollment()? else {
            return Ok(ConnectionDto {
                status: "not_enrolled".into(),
                server_url: None,
                message: "Perangkat belum didaftarkan ke server provinsi (bekerja luring).".into(),
            });
        };
        let client = loket_sync::Client::new(&e.server_url)?;
        let cred = loket_sync::Credential { token: e.token.clone(), office_code: e.office_code.clone() };
        let (status, message) = match client.check(&cred).await.map_err(AppError::from) {
            Ok(()) => ("online", "Terhubung ke server provinsi.".to_string()),
            Err(AppError::ServerUnreachable) => (
                "offline",
                "Server provinsi tidak dapat dihubungi; data tetap tersimpan di perangkat ini.".to_string(),
            ),
            Err(e @ AppError::DeviceRevoked) => ("revoked", e.to_string()),
            Err(e @ AppError::UpgradeRequired) => ("upgrade_required", e.to_string()),
            Err(e) => return Err(e),
        };
        Ok(ConnectionDto { status: status.into(), server_url: Some(e.server_url), message })
    }

    /// Register a bansos application. Nothing is stored unless every check passes and every
    /// warning was confirmed.
    pub fn register_bansos(&self, input: BansosInput) -> Result<ApplicationDto, AppError> {
        let draft = BansosDraft {
            applicant: ApplicantDraft {
                nik: input.nik,
                full_name: input.full_name,
                address: input.address,
                village_code: input.village_code,
                phone: input.phone,
            },
            kk: input.kk,
            household: input
                .household
                .into_iter()
                .map(|m| MemberDraft { nik: m.nik, full_name: m.full_name, relationship: m.relationship })
                .collect(),
            monthly_income: i64::from(input.monthly_income),
            category_code: input.category_code,
            programme_code: input.programme_code,
        };
        self.register(
            aid::validate_bansos(&draft),
            |v| &v.warnings,
            input.confirm_warnings,
            |store, v, actor| store.register_bansos(v, actor, Utc::now()),
        )
    }

    /// Register a permit application. Submitted with its registration number when every
    /// required document was received; otherwise kept as a draft (no number yet).
    pub fn register_permit(&self, input: PermitInput) -> Result<ApplicationDto, AppError> {
        let kind = service::service(input.service_code.trim()).map(|s| s.kind);
        let details = match kind {
            Some(ServiceKind::Building) => PermitDetails::Building {
                location: input.location,
                land_area_m2: input.land_area_m2,
                building_area_m2: input.building_area_m2,
                building_use: input.building_use,
            },
            Some(ServiceKind::Business) => PermitDetails::Business {
                business_name: input.business_name,
                business_type: input.business_type,
                capital: whole_rupiah(input.capital),
                location: input.location,
            },
            Some(ServiceKind::Advertising) => PermitDetails::Advertising {
                advertising_text: input.advertising_text,
                area_m2: input.area_m2,
                location: input.location,
                months: input.months,
            },
            Some(ServiceKind::BusinessDomicile) => PermitDetails::BusinessDomicile {
                business_name: input.business_name,
                business_type: input.business_type,
                location: input.location,
            },
            Some(ServiceKind::Certificate) | None => PermitDetails::Certificate { purpose: input.purpose },
        };
        let draft = PermitDraft {
            applicant: ApplicantDraft {
                nik: input.nik,
                full_name: input.full_name,
                address: input.address,
                village_code: input.village_code,
                phone: input.phone,
            },
            service_code: input.service_code,
            details,
            documents_received: input.documents_received,
        };
        self.register(
            permit::validate_permit(&draft),
            |v| &v.warnings,
            input.confirm_warnings,
            |store, v, actor| store.register_permit(v, v.documents_complete(), actor, Utc::now()),
        )
    }

    /// Register a hibah application of an organisation: submitted, with its registration number.
    pub fn register_hibah(&self, input: HibahInput) -> Result<ApplicationDto, AppError> {
        let draft = HibahDraft {
            organization_name: input.organization_name,
            legal_basis: input.legal_basis,
            npwp: input.npwp,
            address: input.address,
            village_code: input.village_code,
            bank_name: input.bank_name,
            account_number: input.account_number,
            account_holder: input.account_holder,
            chair_nik: input.chair_nik,
            chair_name: input.chair_name,
            secretary_nik: input.secretary_nik,
            secretary_name: input.secretary_name,
            amount_proposed: whole_rupiah(input.amount_proposed),
            rab_total: whole_rupiah(input.rab_total),
            programme_code: input.programme_code,
        };
        self.register(
            aid::validate_hibah(&draft),
            |v| &v.warnings,
            input.confirm_warnings,
            |store, v, actor| store.register_hibah(v, actor, Utc::now()),
        )
    }

    /// Golongan/ruang of PNS and golongan of PPPK, for the staff form.
    pub fn golongan(&self) -> GolonganDto {
        GolonganDto {
            pns: staff::PNS_GOLONGAN.iter().map(|g| g.to_string()).collect(),
            pppk: staff::PPPK_GOLONGAN.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// The office's staff, by name.
    pub fn list_staff(&self) -> Result<Vec<StaffDto>, AppError> {
        Ok(self.store().list_staff()?.into_iter().map(staff_dto).collect())
    }

    /// Add a staff member (ASN record): supervisors and admins only.
    pub fn add_staff(&self, input: StaffInput) -> Result<StaffDto, AppError> {
        let actor = self.acting()?;
        if !actor.roles.iter().any(|r| matches!(r, Role::Supervisor | Role::Admin)) {
            return Err(AppError::StaffManagersOnly);
        }
        let unit_code = match input.unit_code.trim() {
            "" => self.store().office_kecamatan()?.ok_or(AppError::OfficeNotConfigured)?,
            code => code.to_string(),
        };
        let draft = StaffDraft {
            status: input.status,
            employee_number: input.employee_number,
            full_name: input.full_name,
            golongan: input.golongan,
            jabatan: input.jabatan,
            unit_code,
            active: true,
        };
        let valid = staff::validate_staff(&draft).map_err(|issues| AppError::Validation {
            issues: issue_dtos(&issues),
            needs_confirmation: false,
        })?;
        let row = self.store().add_staff(&valid, &actor, Utc::now())?;
        self.sync_now();
        Ok(staff_dto(row))
    }

    /// What every registration shares after building its draft: refuse errors, ask for the
    /// warnings to be confirmed, save as the acting user, then index and sync soon.
    fn register<V>(
        &self,
        validated: Result<V, Vec<FieldIssue>>,
        warnings: impl Fn(&V) -> &[FieldIssue],
        confirmed: bool,
        save: impl FnOnce(&mut Store, &V, &Actor) -> Result<Application, loket_store::StoreError>,
    ) -> Result<ApplicationDto, AppError> {
        let valid = validated.map_err(|issues| AppError::Validation {
            issues: issue_dtos(&issues),
            needs_confirmation: false,
        })?;
        if !warnings(&valid).is_empty() && !confirmed {
            return Err(AppError::Validation {
                issues: issue_dtos(warnings(&valid)),
                needs_confirmation: true,
            });
        }
        let dto = self.change(|store, actor| Ok(save(store, &valid, actor)?))?;
        if let Some(indexer) = &self.indexer {
            indexer.poke();
        }
        Ok(dto)
    }

    /// Change one application as the acting user, in one hold of the store; returns it as the
    /// UI shows it and wakes the background sync.
    fn change(
        &self,
        f: impl FnOnce(&mut Store, &Actor) -> Result<Application, AppError>,
    ) -> Result<ApplicationDto, AppError> {
        let actor = self.acting()?;
        let dto = {
            let mut store = self.store();
            let row = f(&mut store, &actor)?;
            application_dto(&store, &actor, row)?
        };
        self.sync_now();
        Ok(dto)
    }

    /// Applications, newest first.
    pub fn list_applications(&self) -> Result<Vec<ApplicationDto>, AppError> {
        let store = self.store();
        let actor = self.actor();
        store.list_applications(LIST_LIMIT)?.into_iter().map(|a| application_dto(&store, &actor, a)).collect()
    }

    /// Applications matching a name, NIK, registration number or organisation, newest first.
    pub fn search_applications(&self, query: &str) -> Result<Vec<ApplicationDto>, AppError> {
        let store = self.store();
        let actor = self.actor();
        store
            .search_applications(query, LIST_LIMIT)?
            .into_iter()
            .map(|a| application_dto(&store, &actor, a))
            .collect()
    }
}

fn sync_status_dto(s: &loket_sync::worker::SyncStatus) -> SyncStatusDto {
    use loket_sync::worker::SyncState as S;
    let clamp = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    let message = match s.state {
        S::NotEnrolled => "Belum terhubung ke server provinsi; data tersimpan di perangkat ini.".to_string(),
        S::Idle if s.pending == 0 => "Semua data sudah tersinkron.".to_string(),
        S::Idle => format!("{} perubahan menunggu dikirim.", s.pending),
        S::Syncing => "Sinkronisasi berjalan…".to_string(),
        S::Offline => format!(
            "Server tidak dapat dihubungi; {} perubahan aman di perangkat ini dan akan dikirim otomatis.",
            s.pending
        ),
        S::Revoked => "Perangkat ini telah dicabut oleh TI provinsi. Hubungi admin.".to_string(),
        S::UpgradeRequired => "Versi Loket terlalu lama untuk server. Perbarui aplikasi.".to_string(),
        S::Failed => "Sinkronisasi gagal; dicoba lagi otomatis.".to_string(),
    };
    SyncStatusDto {
        state: s.state.as_str().to_string(),
        pending: clamp(s.pending),
        last_success: s.last_success.clone(),
        pushed: s.progress.map(|p| clamp(p.pushed as i64)),
        pulled: s.progress.map(|p| clamp(p.pulled as i64)),
        attention: clamp(s.attention),
        clock_warning: s.clock_warning(),
        clock_offset_seconds: s.clock_offset_seconds.map(clamp),
        message,
    }
}

fn kecamatan_dto(r: &Region) -> KecamatanDto {
    let regency = r.parent_code().and_then(|c| catalogue().get(c)).map(|p| p.name).unwrap_or_default();
    KecamatanDto { code: r.code.to_string(), name: r.name.to_string(), regency: regency.to_string() }
}

fn village_name(r: &Region) -> String {
    let prefix = if r.level == Level::UrbanVillage { "Kelurahan" } else { "Desa" };
    format!("{prefix} {}", r.name)
}

fn village_label(code: &str) -> String {
    let c = catalogue();
    let Some(village) = c.get(code) else { return code.to_string() };
    let kec = village.parent_code().and_then(|k| c.get(k));
    let regency = kec.and_then(|k| k.parent_code()).and_then(|r| c.get(r));
    match (kec, regency) {
        (Some(k), Some(r)) => format!("{}, Kec. {}, {}", village_name(village), k.name, r.name),
        _ => village_name(village),
    }
}

fn action_label(a: Action) -> &'static str {
    match a {
        Action::Submit => "ajukan",
        Action::StartReview => "mulai periksa",
        Action::Approve => "setujui",
        Action::Reject => "tolak",
        Action::Return => "kembalikan",
        Action::Resubmit => "ajukan ulang",
        Action::Complete => "selesai",
        Action::Cancel => "batalkan",
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Draft => "draf",
        Status::Submitted => "diajukan",
        Status::InReview => "diperiksa",
        Status::Approved => "disetujui",
        Status::Rejected => "ditolak",
        Status::Returned => "dikembalikan",
        Status::Completed => "selesai",
        Status::Cancelled => "dibatalkan",
    }
}

fn local_clerk() -> Actor {
    Actor::new("petugas", &[Role::Clerk])
}

/// What an open conflict is about, in words for the supervisor.
fn conflict_text(c: &loket_store::ConflictRow) -> String {
    let d = &c.data;
    if let Some(fields) = d.get("fields").and_then(|f| f.as_object()) {
        let server = d.get("server_fields").and_then(|f| f.as_object());
        let parts: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                let label = match k.as_str() {
                    "applicant_name" => "Nama",
                    "applicant_address" => "Alamat",
                    "applicant_phone" => "Telepon",
                    "village_code" => "Desa/kelurahan",
                    other => other,
                };
                let theirs = v.as_str().unwrap_or_default();
                let ours = server.and_then(|s| s.get(k)).and_then(|v| v.as_str()).unwrap_or("—");
                format!("{label}: server \"{ours}\", perangkat lain \"{theirs}\"")
            })
            .collect();
        return format!("Perubahan bersamaan — {}", parts.join("; "));
    }
    let action = d.get("action").and_then(|a| a.as_str()).and_then(Action::parse).map(action_label);
    let status = d.get("server_status").and_then(|s| s.as_str()).and_then(Status::parse).map(status_label);
    format!(
        "Keputusan \"{}\" dari perangkat lain tidak berlaku: permohonan sudah {} di server",
        action.unwrap_or("?"),
        status.unwrap_or("berubah")
    )
}

fn application_dto(store: &Store, actor: &Actor, a: Application) -> Result<ApplicationDto, AppError> {
    let open = store.open_conflicts_of(&a.id)?;
    let attachments = store
        .attachments(&a.id)?
        .into_iter()
        .map(|x| AttachmentDto {
            sha256: x.sha256,
            file_name: x.file_name,
            media_type: x.media_type,
            size: u32::try_from(x.size).unwrap_or(u32::MAX),
        })
        .collect();
    let conflicts = open.iter().map(conflict_text).collect();
    let documents = if a.kind == "permit" {
        store
            .checklist(&a.id)?
            .into_iter()
            .map(|c| ChecklistDto { code: c.code, name: c.name, received: c.received })
            .collect()
    } else {
        Vec::new()
    };
    // A draft permit is submitted once its checklist is complete (the store refuses otherwise).
    let documents_complete = documents.iter().all(|d: &ChecklistDto| d.received);
    let actions = Action::ALL
        .iter()
        .filter(|act| {
            (**act != Action::Submit || documents_complete)
                && workflow::transition(a.status, **act, &actor.roles, "-").is_ok()
        })
        .map(|act| act.as_str().to_string())
        .collect();
    let aid_flags = store
        .aid_flags(&a.id)?
        .into_iter()
        .map(|f| AidFlagDto {
            other_office_label: catalogue()
                .get(&f.other_office_code)
                .map(|r| {
                    let k = kecamatan_dto(r);
                    format!("Kec. {}, {}", k.name, k.regency)
                })
                .unwrap_or_else(|| f.other_office_code.clone()),
            other_office_code: f.other_office_code,
            other_registration_number: f.other_registration_number,
            reason: f.reason,
        })
        .collect();
    let open_conflicts = u32::try_from(open.len()).unwrap_or(u32::MAX);
    let permit_service = (a.kind == "permit").then(|| service::service(&a.service_code)).flatten();
    let service_name = match a.kind.as_str() {
        "permit" => permit_service.map(|s| s.name),
        _ => aid::programme(&a.service_code).map(|p| p.name),
    }
    .unwrap_or(&a.service_code)
    .to_string();
    let due_date = match permit_service {
        // Only a running clock has a due date: no workflow history to read otherwise.
        Some(s) if a.status.sla_running() => {
            let today = (Utc::now() + chrono::Duration::hours(7)).date_naive();
            store.application_sla(&a.id, s.sla_days, today)?.due_date.map(|d| d.to_string())
        }
        _ => None,
    };
    let amount_proposed = (a.kind == "hibah")
        .then(|| a.details.get("amount_proposed").and_then(serde_json::Value::as_f64))
        .flatten();
    Ok(ApplicationDto {
        village_label: village_label(&a.village_code),
        service_name,
        id: a.id,
        registration_number: a.registration_number,
        kind: a.kind,
        service_code: a.service_code,
        status: a.status.as_str().to_string(),
        applicant_nik: a.applicant_nik,
        applicant_name: a.applicant_name,
        applicant_address: a.applicant_address,
        organization_name: a.organization_name,
        village_code: a.village_code,
        created_at: a.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        version: u32::try_from(a.version).unwrap_or(u32::MAX),
        aid_flags,
        open_conflicts,
        conflicts,
        actions,
        attachments,
        fee: u32::try_from(a.fee).unwrap_or(u32::MAX),
        amount_proposed,
        period: a.period,
        documents,
        due_date,
    })
}

/// A rupiah amount from the UI (a JSON number). Negative, fractional or non-finite amounts
/// become -1, which every amount check of the domain refuses with its own message.
fn whole_rupiah(x: f64) -> i64 {
    if x.is_finite() && x.fract() == 0.0 && x >= 0.0 {
        x.min(i64::MAX as f64) as i64
    } else {
        -1
    }
}

fn staff_dto(s: loket_store::StaffRow) -> StaffDto {
    StaffDto {
        id: s.id,
        status: s.status,
        employee_number: s.employee_number,
        full_name: s.full_name,
        golongan: s.golongan,
        jabatan: s.jabatan,
        unit_code: s.unit_code,
        active: s.active,
    }
}

fn service_kind(k: ServiceKind) -> &'static str {
    match k {
        ServiceKind::Building => "building",
        ServiceKind::Business => "business",
        ServiceKind::Advertising => "advertising",
        ServiceKind::Certificate => "certificate",
        ServiceKind::BusinessDomicile => "business_domicile",
    }
}

/// A fee rule in words, rupiah grouped with dots as printed in Indonesia.
fn fee_rule(fee: service::Fee) -> String {
    match fee {
        service::Fee::Free => "Gratis".to_string(),
        service::Fee::Fixed(x) => format!("Rp {}", rupiah(x)),
        service::Fee::PerSquareMetre(x) => format!("Rp {} per m²", rupiah(x)),
        service::Fee::PerSquareMetreMonth(x) => format!("Rp {} per m² per bulan", rupiah(x)),
    }
}

fn rupiah(x: u64) -> String {
    let digits = x.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn issue_dtos(issues: &[FieldIssue]) -> Vec<FieldIssueDto> {
    issues
        .iter()
        .map(|i| FieldIssueDto {
            field: i.field.to_string(),
            code: i.code.to_string(),
            message: i.message.clone(),
            severity: match i.severity {
                Severity::Error => SeverityDto::Error,
                Severity::Warning => SeverityDto::Warning,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(nik: &str) -> BansosInput {
        BansosInput {
            nik: nik.into(),
            full_name: "Ujang Suryana".into(),
            address: "Jl. Raya Sumur No. 5".into(),
            village_code: "36.01.01.2001".into(),
            kk: "3601011501100003".into(),
            monthly_income: 800_000,
            category_code: "lansia".into(),
            programme_code: "PKH".into(),
            ..Default::default()
        }
    }

    fn permit(service: &str, docs: &[&str]) -> PermitInput {
        PermitInput {
            nik: "3601011205900001".into(),
            full_name: "Ujang Suryana".into(),
            address: "Jl. Raya Sumur No. 5".into(),
            village_code: "36.01.01.2001".into(),
            service_code: service.into(),
            purpose: "Keringanan biaya sekolah".into(),
            location: "Kp. Sumur RT 01/02".into(),
            land_area_m2: 120,
            building_area_m2: 60,
            building_use: "Rumah tinggal".into(),
            documents_received: docs.iter().map(|d| d.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn permit_with_every_document_is_submitted_with_number_fee_and_due_date() {
        let (_dir, loket) = configured();
        let all = ["ktp", "bukti_tanah", "pbb", "denah", "pengantar_desa"];
        let saved = loket.register_permit(permit("PBG", &all)).unwrap();
        assert_eq!((saved.kind.as_str(), saved.status.as_str()), ("permit", "submitted"));
        assert!(saved.registration_number.is_some());
        assert_eq!(saved.fee, 60 * 10_000, "PBG levy per m² of building");
        assert_eq!(saved.documents.len(), 5);
        assert!(saved.documents.iter().all(|d| d.received));
        assert!(saved.due_date.is_some(), "the service-time clock runs once submitted");
        assert_eq!(loket.search_applications("ujang").unwrap().len(), 1);
    }

    #[test]
    fn permit_with_missing_documents_stays_a_draft_without_number() {
        let (_dir, loket) = configured();
        let saved = loket.register_permit(permit("SKTM", &["ktp", "kk"])).unwrap();
        assert_eq!(saved.status, "draft");
        assert_eq!(saved.registration_number, None);
        let missing: Vec<_> =
            saved.documents.iter().filter(|d| !d.received).map(|d| d.code.as_str()).collect();
        assert_eq!(missing, ["pengantar_rt", "pengantar_desa"]);
        assert_eq!(saved.due_date, None, "no clock before submission");
    }

    #[test]
    fn draft_permit_is_submitted_once_its_documents_are_complete() {
        let (_dir, loket) = configured();
        let draft = loket.register_permit(permit("SKTM", &["ktp", "kk"])).unwrap();
        assert!(!draft.actions.contains(&"submit".to_string()), "{:?}", draft.actions);
        let submit = |id: &str| {
            loket.decide(DecisionInput {
                application_id: id.into(),
                action: "submit".into(),
                note: String::new(),
            })
        };
        assert_eq!(submit(&draft.id).unwrap_err().code(), "documents_incomplete");
        let mut now = draft.clone();
        for code in ["pengantar_rt", "pengantar_desa"] {
            now = loket
                .set_document_received(DocumentInput {
                    application_id: draft.id.clone(),
                    code: code.into(),
                    received: true,
                })
                .unwrap();
        }
        assert!(now.documents.iter().all(|d| d.received));
        assert!(now.actions.contains(&"submit".to_string()), "{:?}", now.actions);
        let submitted = submit(&draft.id).unwrap();
        assert_eq!(submitted.status, "submitted");
        assert!(submitted.registration_number.is_some());
        assert!(submitted.due_date.is_some());
    }

    #[test]
    fn permit_details_are_validated_per_service() {
        let (_dir, loket) = configured();
        let cases: &[(PermitInput, &str, &str)] = &[
            (
                PermitInput { building_area_m2: 200, ..permit("PBG", &[]) },
                "building_area_m2",
                "area.exceeds_land",
            ),
            (
                PermitInput {
                    capital: -5.0,
                    business_name: "Warung".into(),
                    business_type: "Dagang".into(),
                    ..permit("IUMK", &[])
                },
                "capital",
                "capital.out_of_range",
            ),
            (
                PermitInput {
                    capital: 1.5,
                    business_name: "Warung".into(),
                    business_type: "Dagang".into(),
                    ..permit("IUMK", &[])
                },
                "capital",
                "capital.out_of_range",
            ),
            (
                PermitInput {
                    months: 13,
                    area_m2: 2,
                    advertising_text: "Diskon".into(),
                    ..permit("REKLAME", &[])
                },
                "months",
                "months.out_of_range",
            ),
            (permit("XYZ", &[]), "service_code", "service.unknown"),
        ];
        for (input, field, code) in cases {
            match loket.register_permit(input.clone()) {
                Err(AppError::Validation { issues, .. }) => assert!(
                    issues.iter().any(|i| i.field == *field && i.code == *code),
                    "{field}/{code} not in {issues:?}"
                ),
                other => panic!("{field}/{code}: expected a validation error, got {other:?}"),
            }
        }
        assert!(loket.list_applications().unwrap().is_empty(), "nothing stored");
    }

    fn hibah() -> HibahInput {
        HibahInput {
            organization_name: "Yayasan Nurul Huda".into(),
            legal_basis: "AHU-0012345.AH.01.04.Tahun 2019".into(),
            npwp: "01.234.567.8-901.000".into(),
            address: "Jl. Masjid No. 1".into(),
            village_code: "36.01.01.2001".into(),
            bank_name: "Bank BJB".into(),
            account_number: "0012345678".into(),
            account_holder: "Yayasan Nurul Huda".into(),
            chair_nik: "3601011205700001".into(),
            chair_name: "H. Mahmud".into(),
            secretary_nik: "3601011208800002".into(),
            secretary_name: "Rahmat".into(),
            amount_proposed: 50_000_000.0,
            rab_total: 75_000_000.0,
            programme_code: "HIBAH-IBADAH".into(),
            confirm_warnings: false,
        }
    }

    #[test]
    fn hibah_is_registered_for_the_organisation() {
        let (_dir, loket) = configured();
        let saved = loket.register_hibah(hibah()).unwrap();
        assert_eq!((saved.kind.as_str(), saved.status.as_str()), ("hibah", "submitted"));
        assert!(saved.registration_number.is_some());
        assert_eq!(saved.organization_name.as_deref(), Some("Yayasan Nurul Huda"));
        // The receipt shows what was asked for, and for which period.
        assert_eq!(saved.amount_proposed, Some(50_000_000.0));
        assert!(saved.period.as_deref().is_some_and(|p| !p.is_empty()));
        assert_eq!(loket.search_applications("nurul").unwrap().len(), 1);
    }

    #[test]
    fn hibah_amounts_and_legal_basis_are_checked() {
        let (_dir, loket) = configured();
        let cases: &[(HibahInput, &str, bool)] = &[
            (HibahInput { amount_proposed: 80_000_000.0, ..hibah() }, "amount_proposed", false),
            (HibahInput { amount_proposed: 0.5, ..hibah() }, "amount_proposed", false),
            (HibahInput { rab_total: -1.0, ..hibah() }, "rab_total", false),
            (HibahInput { chair_nik: "3601011205700000".into(), ..hibah() }, "chair_nik", false),
            (HibahInput { npwp: "12345".into(), ..hibah() }, "npwp", false),
            // An unusual SK number is a warning the clerk confirms, not a refusal.
            (HibahInput { legal_basis: "SK 12/2019".into(), ..hibah() }, "legal_basis", true),
        ];
        for (input, field, confirmable) in cases {
            match loket.register_hibah(input.clone()) {
                Err(AppError::Validation { issues, needs_confirmation }) => {
                    assert!(issues.iter().any(|i| i.field == *field), "{field} not in {issues:?}");
                    assert_eq!(needs_confirmation, *confirmable, "{field}");
                }
                other => panic!("{field}: expected a validation error, got {other:?}"),
            }
        }
        assert!(loket.list_applications().unwrap().is_empty(), "nothing stored");
        let confirmed = HibahInput { legal_basis: "SK 12/2019".into(), confirm_warnings: true, ..hibah() };
        assert_eq!(loket.register_hibah(confirmed).unwrap().status, "submitted");
    }

    #[test]
    fn services_carry_documents_and_fee_rules() {
        let (_dir, loket) = configured();
        let services = loket.services();
        let rule = |code: &str| services.iter().find(|s| s.code == code).unwrap().fee_rule.clone();
        assert_eq!(services.len(), 5);
        assert_eq!(rule("SKTM"), "Gratis");
        assert_eq!(rule("PBG"), "Rp 10.000 per m²");
        assert_eq!(rule("REKLAME"), "Rp 15.000 per m² per bulan");
        assert_eq!(rupiah(5_000_000_000), "5.000.000.000");
        assert_eq!(rupiah(999), "999");
    }

    fn configured() -> (tempfile::TempDir, Loket) {
        let dir = tempfile::tempdir().unwrap();
        let loket = Loket::open(dir.path()).unwrap();
        loket.set_office("36.01.01").unwrap();
        (dir, loket)
    }

    #[test]
    fn invalid_nik_stores_nothing() {
        let (_dir, loket) = configured();
        let err = loket.register_bansos(input("3601011205900000")).unwrap_err();
        assert_eq!(err.code(), "validation");
        let dto = crate::ErrorDto::from(err);
        assert_eq!(dto.issues[0].code, "nik.serial_zero");
        assert!(loket.list_applications().unwrap().is_empty());
    }

    #[test]
    fn unknown_region_needs_confirmation_then_saves() {
        let (_dir, loket) = configured();
        let err = loket.register_bansos(input("9999011205900001")).unwrap_err();
        assert_eq!(err.code(), "needs_confirmation");
        assert!(loket.list_applications().unwrap().is_empty());
        let saved = loket
            .register_bansos(BansosInput { confirm_warnings: true, ..input("9999011205900001") })
            .unwrap();
        assert_eq!(saved.village_label, "Desa Sumberjaya, Kec. Sumur, Kabupaten Pandeglang");
        assert_eq!(saved.service_name, "Program Keluarga Harapan (PKH)");
        assert_eq!(loket.search_applications("ujang").unwrap(), vec![saved.clone()]);
        assert_eq!(loket.list_applications().unwrap(), vec![saved]);
    }

    #[test]
    fn office_must_be_a_banten_kecamatan() {
        let dir = tempfile::tempdir().unwrap();
        let loket = Loket::open(dir.path()).unwrap();
        assert_eq!(loket.set_office("36.01").unwrap_err().code(), "unknown_kecamatan");
        assert_eq!(
            loket.register_bansos(input("3601011205900001")).unwrap_err().code(),
            "office_not_configured"
        );
        let office = loket.set_office("36.01.01").unwrap();
        assert_eq!(office.kecamatan.regency, "Kabupaten Pandeglang");
    }

    #[test]
    fn lists_are_complete() {
        let dir = tempfile::tempdir().unwrap();
        let loket = Loket::open(dir.path()).unwrap();
        assert_eq!(loket.kecamatan_list().len(), 155);
        assert!(loket.villages("36.01.01").iter().all(|v| v.code.starts_with("36.01.01.")));
        assert_eq!(loket.programmes().len(), PROGRAMMES.len());
        assert_eq!(loket.categories().len(), BANSOS_CATEGORIES.len());
    }

    fn synced_user(loket: &Loket, username: &str, roles: &[&str], password: &str) {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let hash = argon2::Argon2::default().hash_password(password.as_bytes(), &salt).unwrap().to_string();
        let change = loket_store::RemoteChange {
            server_seq: 1,
            kind: "user".into(),
            entity_id: username.into(),
            data: serde_json::json!({
                "id": username, "username": username, "full_name": "Kepala Seksi Kesos", "roles": roles,
                "password_hash": hash, "active": true,
            })
            .into(),
            hlc: None,
            received_at: "2026-11-28T00:00:00Z".into(),
        };
        loket.store().apply_remote(&[change], 1, Utc::now()).unwrap();
    }

    #[test]
    fn staff_are_kept_by_supervisors_with_checked_nip() {
        let (_dir, loket) = configured();
        let ahmad = StaffInput {
            status: "pns".into(),
            employee_number: "19850315 201001 1 002".into(),
            full_name: "Ahmad Fauzi".into(),
            golongan: "III/d".into(),
            jabatan: "Kepala Seksi Pelayanan".into(),
            unit_code: String::new(),
        };
        assert_eq!(loket.add_staff(ahmad.clone()).unwrap_err().code(), "staff_managers_only", "local clerk");
        synced_user(&loket, "kasi", &["supervisor"], "rahasia-panjang");
        loket.login(LoginInput { username: "kasi".into(), password: "rahasia-panjang".into() }).unwrap();
        let saved = loket.add_staff(ahmad.clone()).unwrap();
        assert_eq!(
            (saved.employee_number.as_deref(), saved.unit_code.as_str(), saved.active),
            (Some("198503152010011002"), "36.01.01", true)
        );
        assert_eq!(loket.add_staff(ahmad.clone()).unwrap_err().code(), "duplicate");
        let cases = [
            (StaffInput { employee_number: "198513152010011002".into(), ..ahmad.clone() }, "employee_number"),
            (StaffInput { golongan: "IX".into(), ..ahmad.clone() }, "golongan"),
            (StaffInput { status: "non_asn".into(), ..ahmad.clone() }, "employee_number"),
            (StaffInput { jabatan: " ".into(), ..ahmad.clone() }, "jabatan"),
        ];
        for (input, field) in cases {
            match loket.add_staff(input) {
                Err(AppError::Validation { issues, .. }) => {
                    assert!(issues.iter().any(|i| i.field == field), "{field}: {issues:?}")
                }
                other => panic!("{field}: expected a validation error, got {other:?}"),
            }
        }
        assert_eq!(loket.list_staff().unwrap(), [saved]);
    }

    #[test]
    fn offline_login_with_synced_users_then_decisions_by_role() {
        let (_dir, loket) = configured();
        assert!(!loket.session().unwrap().login_required, "no users synced yet: local clerk");
        let saved = loket.register_bansos(input("3601011205900001")).unwrap();
        assert!(saved.actions.is_empty() || !saved.actions.contains(&"approve".to_string()));

        synced_user(&loket, "kasi", &["clerk", "supervisor"], "rahasia-panjang");
        assert!(loket.session().unwrap().login_required);
        assert_eq!(loket.register_bansos(input("3601011205900002")).unwrap_err().code(), "login_required");
        let wrong = LoginInput { username: "kasi".into(), password: "salah".into() };
        assert_eq!(loket.login(wrong).unwrap_err().code(), "login_failed");
        let nobody = LoginInput { username: "siapa".into(), password: "rahasia-panjang".into() };
        assert_eq!(loket.login(nobody).unwrap_err().code(), "login_failed");

        let s =
            loket.login(LoginInput { username: "kasi".into(), password: "rahasia-panjang".into() }).unwrap();
        assert_eq!((s.login_required, s.username.as_deref()), (false, Some("kasi")));
        let listed = &loket.list_applications().unwrap()[0];
        assert!(listed.actions.contains(&"start_review".to_string()), "{:?}", listed.actions);
        let step = |action: &str, note: &str| {
            loket.decide(DecisionInput {
                application_id: saved.id.clone(),
                action: action.into(),
                note: note.into(),
            })
        };
        assert_eq!(step("start_review", "").unwrap().status, "in_review");
        assert_eq!(step("reject", "").unwrap_err().code(), "workflow", "a rejection needs a reason");
        let approved = step("approve", "").unwrap();
        assert_eq!(
            (approved.status.as_str(), approved.actions.as_slice()),
            ("approved", &["complete".to_string()][..])
        );

        loket.logout().unwrap();
        assert_eq!(step("complete", "").unwrap_err().code(), "login_required");
    }

    #[test]
    fn attachments_are_checked_by_content_and_listed() {
        use base64::Engine as _;
        let (_dir, loket) = configured();
        let saved = loket.register_bansos(input("3601011205900001")).unwrap();
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let attach = |content: String, name: &str| {
            loket.add_attachment(AttachmentInput {
                application_id: saved.id.clone(),
                file_name: name.into(),
                document_code: "ktp".into(),
                content_base64: content,
            })
        };
        // A renamed text file is not a PDF.
        assert_eq!(attach(b64(b"hello"), "ktp.pdf").unwrap_err().code(), "attachment_type");
        assert_eq!(
            attach(b64(&vec![b'%'; 11 * 1024 * 1024]), "big.pdf").unwrap_err().code(),
            "attachment_too_large"
        );
        let dto = attach(b64(b"%PDF-1.7 scan"), "ktp.pdf").unwrap();
        assert_eq!(dto.attachments.len(), 1);
        assert_eq!(
            (dto.attachments[0].file_name.as_str(), dto.attachments[0].media_type.as_str()),
            ("ktp.pdf", "application/pdf")
        );
        assert_eq!(loket.list_applications().unwrap()[0].attachments, dto.attachments);
    }
}
