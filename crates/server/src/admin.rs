//! What provincial IT does: offices, users, enrollment codes, devices.

use chrono::{Duration, Utc};
use loket_domain::region::catalogue;
use loket_domain::staff::{validate_user, UserDraft};

use crate::auth;
use loket_keys::UserKey;

use crate::storage::{
    AidFlagPair, Credentials, Device, NewEnrollmentCode, Storage, StorageError, User, UserUpdate,
};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0} is not a kecamatan of Banten")]
    UnknownKecamatan(String),
    #[error("office {0} does not exist; create it first")]
    NoOffice(String),
    #[error("invalid user: {0}")]
    InvalidUser(String),
    #[error("password must be at least 10 characters")]
    WeakPassword,
    /// A password change needs the current password (a forgotten one is reset instead).
    #[error("the current password is not right")]
    WrongPassword,
    #[error("user {0} does not exist")]
    NoUser(String),
    /// Enrollment codes live from one hour to seven days.
    #[error("an enrollment code lives {min} to {max} hours, not {0}", min = CODE_HOURS.start(), max = CODE_HOURS.end())]
    CodeLifetime(i64),
    #[error("user {user} belongs to office {office}, not {code_office}")]
    UserOfOtherOffice { user: String, office: String, code_office: String },
    /// `audit` is asked about a number that is not 16 digits (separators are fine).
    #[error("{0} is not a NIK or KK number (16 digits)")]
    NotANumber(String),
    #[error("{0} is not a NIP (18 digits) or NI PPPK")]
    NotAnEmployeeNumber(String),
    #[error("the audit period is 1 to 3650 days, not {0}")]
    AuditDays(i64),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Create (or rename) the office of one Banten kecamatan.
pub async fn add_office(s: &dyn Storage, code: &str) -> Result<String, AdminError> {
    let region = catalogue()
        .kecamatan()
        .find(|r| r.code == code)
        .ok_or_else(|| AdminError::UnknownKecamatan(code.to_string()))?;
    let name = format!("Kecamatan {}", region.name);
    let new = s.office(region.code).await?.is_none();
    s.upsert_office(region.code, &name).await?;
    if new {
        calendar_for(s, &[region.code.to_string()]).await?;
    }
    Ok(name)
}

/// A new office's laptops learn the holiday calendar published before it existed.
async fn calendar_for(s: &dyn Storage, offices: &[String]) -> Result<(), AdminError> {
    match crate::holidays::publish_to_new_offices(s, offices).await {
        Ok(_) => Ok(()),
        Err(crate::holidays::HolidayError::Storage(e)) => Err(e.into()),
        Err(e) => Err(AdminError::Storage(StorageError::Backend(e.to_string()))),
    }
}

/// Create the offices of all 155 kecamatan of Banten.
pub async fn import_banten(s: &dyn Storage) -> Result<usize, AdminError> {
    let existing: std::collections::BTreeSet<String> =
        s.offices().await?.into_iter().map(|o| o.code).collect();
    let mut n = 0;
    let mut new = Vec::new();
    for r in catalogue().kecamatan() {
        s.upsert_office(r.code, &format!("Kecamatan {}", r.name)).await?;
        if !existing.contains(r.code) {
            new.push(r.code.to_string());
        }
        n += 1;
    }
    calendar_for(s, &new).await?;
    Ok(n)
}

/// A NIP or NI PPPK, as its digits.
fn employee_number(input: &str) -> Result<String, AdminError> {
    loket_domain::nip::parse_nip(input)
        .or_else(|_| loket_domain::nip::parse_ni_pppk(input))
        .map(|n| n.digits)
        .map_err(|_| AdminError::NotAnEmployeeNumber(input.to_string()))
}

/// Create a user bound to an office; `nip` names the staff member the account belongs to
/// (deactivating their staff record, or transferring them, then deactivates the account).
pub async fn add_user(
    s: &dyn Storage,
    office: &str,
    username: &str,
    full_name: &str,
    roles: &[String],
    password: &str,
    nip: Option<&str>,
) -> Result<User, AdminError> {
    let nip = nip.map(employee_number).transpose()?;
    if s.office(office).await?.is_none() {
        return Err(AdminError::NoOffice(office.to_string()));
    }
    let valid = validate_user(&UserDraft { username: username.into(), roles: roles.to_vec() }, true)
        .map_err(|issues| {
            AdminError::InvalidUser(issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join(" "))
        })?;
    check_strength(password)?;
    // The user's signing key is made here and kept only wrapped by the password; the server
    // forgets the private key as soon as this returns.
    let key = UserKey::generate();
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        office_code: office.to_string(),
        username: valid.username,
        full_name: full_name.trim().to_string(),
        roles: valid.roles.iter().map(|r| r.as_str().to_string()).collect(),
        password_hash: auth::hash_password(password),
        active: true,
        public_key: key.public_key(),
        wrapped_key: key.wrap(password),
        nip,
    };
    s.create_user(&user, Utc::now()).await?;
    Ok(user)
}

/// Say which staff member (by NIP / NI PPPK) an existing account belongs to.
pub async fn link_staff(s: &dyn Storage, username: &str, nip: &str) -> Result<User, AdminError> {
    let nip = employee_number(nip)?;
    match s.update_user(username, UserUpdate::Staff(nip), Utc::now()).await {
        Err(StorageError::NotFound(_)) => Err(AdminError::NoUser(username.to_string())),
        other => Ok(other?),
    }
}

fn check_strength(password: &str) -> Result<(), AdminError> {
    if password.chars().count() < 10 {
        return Err(AdminError::WeakPassword);
    }
    Ok(())
}

/// A forgotten password: a new password and a new key (the old key cannot be opened without
/// the old password). Operations already signed with the old key still verify.
pub async fn reset_password(s: &dyn Storage, username: &str, password: &str) -> Result<(), AdminError> {
    check_strength(password)?;
    let key = UserKey::generate();
    let credentials = Credentials {
        password_hash: auth::hash_password(password),
        public_key: key.public_key(),
        wrapped_key: key.wrap(password),
    };
    s.update_user(username, UserUpdate::Credentials(credentials), Utc::now()).await?;
    Ok(())
}

/// A password change: the same key, wrapped again under the new password.
pub async fn change_password(
    s: &dyn Storage,
    username: &str,
    old: &str,
    new: &str,
) -> Result<(), AdminError> {
    check_strength(new)?;
    let user = s.user_by_username(username).await?.ok_or_else(|| AdminError::NoUser(username.into()))?;
    let key = UserKey::unwrap(&user.wrapped_key, old).map_err(|_| AdminError::WrongPassword)?;
    let credentials = Credentials {
        password_hash: auth::hash_password(new),
        public_key: user.public_key,
        wrapped_key: key.wrap(new),
    };
    s.update_user(username, UserUpdate::Credentials(credentials), Utc::now()).await?;
    Ok(())
}

/// Deactivate (someone who left) or reactivate a user. A deactivated user cannot log in,
/// decisions in their name are refused, and the office's laptops drop them on their next sync.
pub async fn set_active(s: &dyn Storage, username: &str, active: bool) -> Result<User, AdminError> {
    Ok(s.update_user(username, UserUpdate::Active(active), Utc::now()).await?)
}

/// Users of an office (or of all), for IT.
pub async fn users(s: &dyn Storage, office: Option<&str>) -> Result<Vec<User>, AdminError> {
    Ok(s.list_users(office).await?)
}

/// How long an enrollment code may live, in hours: long enough to read it out on the phone and
/// type it, short enough that a code written on a note does not stay useful.
pub const CODE_HOURS: std::ops::RangeInclusive<i64> = 1..=168;

/// Issue a one-time enrollment code for an office, valid for `hours`.
pub async fn issue_enrollment_code(s: &dyn Storage, office: &str, hours: i64) -> Result<String, AdminError> {
    issue_linking_code(s, office, None, hours).await
}

/// Issue a one-time enrollment code for an office that links the laptop's first local user
/// (when it has one) to the account `user` of that office: the work done before enrollment is
/// then accepted with its signatures.
pub async fn issue_linking_code(
    s: &dyn Storage,
    office: &str,
    user: Option<&str>,
    hours: i64,
) -> Result<String, AdminError> {
    if !CODE_HOURS.contains(&hours) {
        return Err(AdminError::CodeLifetime(hours));
    }
    if s.office(office).await?.is_none() {
        return Err(AdminError::NoOffice(office.to_string()));
    }
    let user_id = match user {
        None => None,
        Some(name) => {
            let u = s.user_by_username(name).await?.ok_or_else(|| AdminError::NoUser(name.into()))?;
            if u.office_code != office {
                return Err(AdminError::UserOfOtherOffice {
                    user: u.username,
                    office: u.office_code,
                    code_office: office.into(),
                });
            }
            Some(u.id)
        }
    };
    let code = auth::new_enrollment_code();
    let expires = Utc::now() + Duration::hours(hours);
    let hash = auth::hash_secret(&auth::normalise_code(&code));
    s.create_enrollment_code(&NewEnrollmentCode {
        code_hash: &hash,
        office_code: office,
        user_id: user_id.as_deref(),
        expires_at: expires,
    })
    .await?;
    Ok(code)
}

/// A device as IT sees it: its record and its refused operations by code (most first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceView {
    pub device: Device,
    pub refusals: Vec<(String, i64)>,
}

impl DeviceView {
    /// All refused operations of the device.
    pub fn refused(&self) -> i64 {
        self.refusals.iter().map(|(_, n)| n).sum()
    }

    /// `12 (nik.checksum 9, unsigned 3)`, or `0`.
    pub fn refusal_summary(&self) -> String {
        if self.refusals.is_empty() {
            return "0".into();
        }
        let codes: Vec<String> = self.refusals.iter().take(3).map(|(c, n)| format!("{c} {n}")).collect();
        let more = if self.refusals.len() > 3 { ", …" } else { "" };
        format!("{} ({}{more})", self.refused(), codes.join(", "))
    }
}

pub async fn devices(s: &dyn Storage) -> Result<Vec<DeviceView>, AdminError> {
    let mut refusals = s.refusals().await?;
    Ok(s.list_devices()
        .await?
        .into_iter()
        .map(|device| {
            let mine = refusals
                .iter_mut()
                .filter(|r| r.device_id == device.id)
                .map(|r| (std::mem::take(&mut r.code), r.count))
                .collect();
            DeviceView { device, refusals: mine }
        })
        .collect())
}

/// Duplicate-aid pairs with their references, province-wide: all, one reference's, or those
/// touching one office.
pub async fn duplicates(
    s: &dyn Storage,
    reference: Option<&str>,
    office: Option<&str>,
) -> Result<Vec<(String, AidFlagPair)>, AdminError> {
    Ok(s.aid_flags()
        .await?
        .into_iter()
        .map(|p| (crate::rules::flag_reference(&p.application_id, &p.other_application_id), p))
        .filter(|(r, _)| reference.is_none_or(|want| r.eq_ignore_ascii_case(want.trim())))
        .filter(|(_, p)| office.is_none_or(|o| p.office_code == o || p.other_office_code == o))
        .collect())
}

/// Who looked at `number` (a NIK or KK, separators allowed) in the last `days` days: searches
/// for it (matched by keyed hash) and looks at the applications of that applicant or household,
/// oldest first.
pub async fn audit(
    s: &dyn Storage,
    number: &str,
    days: i64,
) -> Result<Vec<crate::storage::AccessRow>, AdminError> {
    let digits: String = number.chars().filter(|c| !matches!(c, '.' | '-' | ' ')).collect();
    if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AdminError::NotANumber(number.to_string()));
    }
    if !(1..=3650).contains(&days) {
        return Err(AdminError::AuditDays(days));
    }
    let since =
        (Utc::now() - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let hash = crate::storage::subject_hash(&s.audit_key().await?, &digits);
    Ok(s.accesses(&digits, &hash, &since).await?)
}

pub async fn revoke(s: &dyn Storage, id: &str) -> Result<bool, AdminError> {
    Ok(s.revoke_device(id, Utc::now()).await?)
}
