//! How long personal data is kept, and the run that removes what is past it
//! (`loket-server retention run`, docs/RETENTION.md).
//!
//! The periods are the province's to set (its Jadwal Retensi Arsip); the defaults below are
//! placeholders chosen long rather than short. A record's period runs from its last change once
//! it is finished (approved, rejected, completed or cancelled); a draft never submitted is
//! removed sooner. Removing means redacting: the record stays, with what statistics need, and
//! the people in it are gone — on the server and, through a `redacted` change, on every laptop.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use loket_domain::workflow::ApplicationKind;

use crate::storage::{Storage, StorageError};

/// Days personal data is kept, per record kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Permit and letter applications (PATEN), after they are finished.
    pub permit_days: u32,
    /// Social aid (bansos) applications, after they are finished.
    pub bansos_days: u32,
    /// Grant (hibah) applications, after they are finished: longer, for audits of regional
    /// grants.
    pub hibah_days: u32,
    /// Drafts never submitted, after their last change.
    pub draft_days: u32,
    /// Access records (who looked at whose data).
    pub access_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            permit_days: 5 * 365,
            bansos_days: 5 * 365,
            hibah_days: 10 * 365,
            draft_days: 90,
            access_days: 2 * 365,
        }
    }
}

impl Policy {
    pub fn days(&self, kind: ApplicationKind) -> u32 {
        match kind {
            ApplicationKind::Permit => self.permit_days,
            ApplicationKind::Bansos => self.bansos_days,
            ApplicationKind::Hibah => self.hibah_days,
        }
    }
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Applications redacted, per kind.
    pub redacted: Vec<(ApplicationKind, u64)>,
    /// Access records deleted (not counted in a dry run).
    pub access_pruned: u64,
}

fn before(now: DateTime<Utc>, days: u32) -> String {
    (now - Duration::days(i64::from(days))).to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Redact every application past `policy`, and delete old access records; a `dry_run` only
/// counts the applications.
pub async fn run(
    s: &dyn Storage,
    policy: &Policy,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Report, StorageError> {
    const PAGE: u32 = 500;
    let mut report = Report::default();
    let draft_before = before(now, policy.draft_days);
    for kind in [ApplicationKind::Permit, ApplicationKind::Bansos, ApplicationKind::Hibah] {
        let finished_before = before(now, policy.days(kind));
        let mut count = 0;
        if dry_run {
            count = s.retention_due(kind, &finished_before, &draft_before, u32::MAX).await?.len() as u64;
        } else {
            loop {
                let due = s.retention_due(kind, &finished_before, &draft_before, PAGE).await?;
                if due.is_empty() {
                    break;
                }
                for id in due {
                    if s.redact_application(&id, now).await? {
                        count += 1;
                    }
                }
            }
        }
        report.redacted.push((kind, count));
    }
    if !dry_run {
        report.access_pruned = s.prune_access_log(&before(now, policy.access_days)).await?;
        if report.access_pruned > 0 || report.redacted.iter().any(|(_, n)| *n > 0) {
            s.compact().await?;
        }
        tracing::info!(?report, "retention run");
    }
    Ok(report)
}
