//! The PATEN catalogue versions IT publishes (issue 17): checked, kept for good (a version
//! never changes), and sent to every office they cover — all offices for the province's (`36`),
//! a kabupaten/kota's offices for its own. The laptops use the version in effect for new
//! applications; each application keeps the version it was registered under, and the server
//! checks a registration (its documents and fee) against that version. Format and procedure:
//! docs/CATALOGUE.md.

use chrono::Utc;
use loket_domain::catalogue::{self, CatalogueFile};
use loket_protocol::{CataloguePayload, ChangeBody, OpBody, Relayed};

use crate::rules::holiday::regency_of;
use crate::storage::{NewCatalogue, Storage, StorageError};

/// Why IT's catalogue command was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The file's problems (nothing was published).
    #[error("the catalogue file has errors:\n{}", .0.join("\n"))]
    File(Vec<String>),
    #[error("version {version} of the catalogue of {region} is already published (a published version never changes: raise the version)")]
    Published { region: String, version: u32 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn change(file: &CatalogueFile, text: &str) -> String {
    let payload = CataloguePayload {
        region: file.region.clone(),
        version: file.version,
        effective_from: file.effective_from.clone(),
        file: text.to_string(),
    };
    ChangeBody::Record(Relayed(OpBody::CataloguePublish(payload))).encode()
}

fn entity(file: &CatalogueFile) -> String {
    format!("{}@{}", file.region, file.version)
}

/// Check and publish a catalogue file; returns how many offices were told.
pub async fn publish(s: &dyn Storage, text: &str) -> Result<usize, CatalogueError> {
    let file = catalogue::parse(text).map_err(CatalogueError::File)?;
    let offices: Vec<String> = s
        .offices()
        .await?
        .into_iter()
        .map(|o| o.code)
        .filter(|code| file.region == "36" || regency_of(code) == file.region)
        .collect();
    let data = change(&file, text);
    let new = NewCatalogue {
        region: file.region.clone(),
        version: file.version,
        effective_from: file.effective_from.clone(),
        file: text.to_string(),
        changes: offices.iter().map(|o| (o.clone(), entity(&file), data.clone())).collect(),
    };
    match s.publish_catalogue(&new, Utc::now()).await {
        Err(StorageError::Duplicate(_)) => {
            return Err(CatalogueError::Published { region: file.region, version: file.version })
        }
        other => other?,
    }
    catalogue::register(file);
    Ok(offices.len())
}

/// Make every published version known to this process (a registration names the version it
/// was made under; the server checks it against that version). Reads only what it lacks.
pub async fn know_published(s: &dyn Storage) -> Result<(), StorageError> {
    let known = catalogue::known();
    for (region, version) in s.catalogue_versions().await? {
        if known.iter().any(|k| k.region == region && k.version == version) {
            continue;
        }
        if let Some(text) = s.catalogue_file(&region, version).await? {
            match catalogue::parse(&text) {
                Ok(file) => {
                    catalogue::register(file);
                }
                Err(errors) => {
                    tracing::error!(%region, version, ?errors, "a stored catalogue does not check")
                }
            }
        }
    }
    Ok(())
}

/// The published versions for offices created after they were published.
pub async fn changes_for_new_offices(
    s: &dyn Storage,
    offices: &[String],
) -> Result<Vec<(String, String, String)>, StorageError> {
    let mut out = Vec::new();
    for (region, version) in s.catalogue_versions().await? {
        let Some(text) = s.catalogue_file(&region, version).await? else { continue };
        let Ok(file) = catalogue::parse(&text) else { continue };
        for office in offices.iter().filter(|o| region == "36" || regency_of(o) == region) {
            out.push((office.clone(), entity(&file), change(&file, &text)));
        }
    }
    Ok(out)
}
