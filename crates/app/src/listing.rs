//! The application list and search. Each row is read with everything it shows in one query
//! (`Store::newest_application_rows`), not five per row.

use chrono::Utc;

use crate::dto::ApplicationDto;
use crate::{present, AppError, Loket};

/// How many applications the list shows.
const LIST_LIMIT: u32 = 200;

impl Loket {
    /// Applications, newest first.
    pub fn list_applications(&self) -> Result<Vec<ApplicationDto>, AppError> {
        let actor = self.reading()?;
        let store = self.store();
        let rows = store.newest_application_rows(LIST_LIMIT)?;
        present::application_rows(&store, &actor, rows, Utc::now())
    }

    /// Applications matching a name, NIK, registration number or organisation, newest first.
    pub fn search_applications(&self, query: &str) -> Result<Vec<ApplicationDto>, AppError> {
        let actor = self.acting()?;
        let store = self.store();
        let rows = store.search_application_rows(query, LIST_LIMIT)?;
        present::application_rows(&store, &actor, rows, Utc::now())
    }
}
