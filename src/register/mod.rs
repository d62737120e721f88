//! The register: use cases over the database — importing batches, reading persons and
//! records, the figures the command centre reports.

pub mod decisions;
pub mod golden;
pub mod import;
pub mod query;
pub mod resolution;

pub use decisions::Verdict;
pub use golden::{HubeiLink, LocationStatus};
pub use import::{ImportRequest, NoProgress, Progress};

use std::sync::Arc;

use crate::config::Reference;
use crate::db::Db;
use crate::resolve::profile::Profile;

/// The register over one database, with the reference data it normalises against and the
/// matching profile it resolves with.
#[derive(Clone, Debug)]
pub struct Register {
    pub db: Db,
    pub reference: Reference,
    pub profile: Arc<Profile>,
}

impl Register {
    /// A register on `db` for the county of `reference`, matching with `profile`.
    pub fn new(db: Db, reference: Reference, profile: Profile) -> Self {
        Self {
            db,
            reference,
            profile: Arc::new(profile),
        }
    }
}
