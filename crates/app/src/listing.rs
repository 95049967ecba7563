//! The application list, search and detail. Each row is read with everything it shows in one
//! query (`Store::newest_application_rows`), not five per row.
//!
//! Lists carry NIKs masked; the full NIK is in an application's detail, and opening it is
//! recorded, as is a search for a full NIK or KK (`loket_store::Access`, UU 27/2022).

use std::time::{Duration, Instant};

use chrono::Utc;
use loket_store::Access;

use crate::dto::ApplicationDto;
use crate::{present, AppError, Loket};

/// How many applications the list shows.
const LIST_LIMIT: u32 = 200;

/// The window refreshes its list with the same query every few seconds: a search for the same
/// number by the same user counts once in this long.
const SEARCH_RECORD_EVERY: Duration = Duration::from_secs(10 * 60);

/// The last search for a full number that was recorded: user, number, when.
pub(crate) type LastNumberSearch = Option<(String, String, Instant)>;

impl Loket {
    /// Applications, newest first (NIKs masked).
    pub fn list_applications(&self) -> Result<Vec<ApplicationDto>, AppError> {
        let actor = self.reading()?;
        let store = self.store();
        let rows = store.newest_application_rows(LIST_LIMIT)?;
        Ok(masked(present::application_rows(&store, &actor, rows, Utc::now())?))
    }

    /// Applications matching a name, NIK, registration number or organisation, newest first
    /// (NIKs masked). A query that is a whole NIK or KK number is recorded.
    pub fn search_applications(&self, query: &str) -> Result<Vec<ApplicationDto>, AppError> {
        let actor = self.acting()?;
        let number: String = query.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
        let whole_number = number.len() == 16 && number.bytes().all(|b| b.is_ascii_digit());
        let mut store = self.store();
        if whole_number && self.first_search_in_a_while(&actor.username, &number) {
            store.record_access(Access::SearchNumber { number: &number }, &actor, Utc::now())?;
        }
        let rows = store.search_application_rows(query, LIST_LIMIT)?;
        Ok(masked(present::application_rows(&store, &actor, rows, Utc::now())?))
    }

    /// One application whole, its NIK in full, for the detail panel; the look is recorded.
    pub fn open_application(&self, id: &str) -> Result<ApplicationDto, AppError> {
        let actor = self.acting()?;
        let dto = {
            let mut store = self.store();
            let row = store.application_row(id)?;
            store.record_access(Access::ViewApplication { application_id: id }, &actor, Utc::now())?;
            present::application_rows(&store, &actor, vec![row], Utc::now())?
                .pop()
                .ok_or(AppError::NotFound)?
        };
        self.sync_now();
        Ok(dto)
    }

    /// Whether `user`'s search for `number` is new (not the window's refresh of the same one).
    fn first_search_in_a_while(&self, user: &str, number: &str) -> bool {
        let mut last = self.last_number_search.lock().unwrap_or_else(|p| p.into_inner());
        let repeat = last
            .as_ref()
            .is_some_and(|(u, n, at)| u == user && n == number && at.elapsed() < SEARCH_RECORD_EVERY);
        if !repeat {
            *last = Some((user.to_string(), number.to_string(), Instant::now()));
        }
        !repeat
    }
}

/// Rows as lists show them: the NIK masked only.
fn masked(mut rows: Vec<ApplicationDto>) -> Vec<ApplicationDto> {
    for row in &mut rows {
        row.applicant_nik = None;
    }
    rows
}

#[cfg(test)]
mod tests {
    use loket_protocol::{AccessAction, OpKind};

    use crate::test_support::{bansos, configured};

    /// The access record operations in the outbox: action, and whether the number is in it.
    fn accesses(loket: &crate::Loket) -> Vec<(AccessAction, Option<String>)> {
        let ops = loket.store().pending_ops_after(0, 1000).unwrap();
        ops.iter()
            .filter(|o| o.kind() == Some(OpKind::AccessRecord))
            .map(|o| {
                let p: loket_protocol::AccessPayload = serde_json::from_str(&o.payload).unwrap();
                (p.action, p.identifier)
            })
            .collect()
    }

    #[test]
    fn lists_mask_the_nik_and_looks_at_personal_data_are_recorded() {
        let (_dir, loket) = configured();
        let nik = "3601011205900001";
        let app = loket.register_bansos(bansos(nik)).unwrap();
        let listed = loket.list_applications().unwrap();
        assert_eq!(listed[0].applicant_nik, None);
        assert_eq!(listed[0].applicant_nik_masked.as_deref(), Some("3601********0001"));
        assert!(accesses(&loket).is_empty(), "a list is no look at one person");

        // The window searches again every few seconds with the same query: recorded once.
        for query in [nik, "3601 0112 0590 0001", nik] {
            assert_eq!(loket.search_applications(query).unwrap().len(), 1);
        }
        loket.search_applications("3601011501100003").unwrap(); // the household card
        loket.search_applications("Ujang").unwrap(); // a name: not a number
        assert_eq!(
            accesses(&loket),
            [
                (AccessAction::SearchNumber, Some(nik.to_string())),
                (AccessAction::SearchNumber, Some("3601011501100003".to_string())),
            ]
        );

        let detail = loket.open_application(&app.id).unwrap();
        assert_eq!(detail.applicant_nik.as_deref(), Some(nik));
        assert_eq!(accesses(&loket).last().unwrap().0, AccessAction::ViewApplication);
        assert_eq!(loket.open_application("no-such-id").unwrap_err().code(), "not_found");

        // The local audit chain names the number masked only.
        let store = loket.store();
        let raw = store.raw_connection();
        let numbers: Vec<String> = raw
            .prepare("SELECT change FROM audit_log WHERE entity = 'access'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(numbers.len(), 3);
        assert!(numbers.iter().all(|c| !c.contains(nik) && !c.contains("3601011501100003")), "{numbers:?}");
        assert!(store.verify_audit().unwrap().is_intact());
    }
}
