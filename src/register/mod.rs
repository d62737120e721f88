//! The register: use cases over the database — importing batches, reading persons and
//! records, the figures the command centre reports.

pub mod golden;
pub mod import;
pub mod query;

pub use golden::{HubeiLink, LocationStatus};
pub use import::{ImportRequest, NoProgress, Progress};

use crate::config::Reference;
use crate::db::Db;

/// The register over one database, with the reference data it normalises against.
#[derive(Clone, Debug)]
pub struct Register {
    pub db: Db,
    pub reference: Reference,
}

impl Register {
    /// A register on `db` for the county of `reference`.
    pub fn new(db: Db, reference: Reference) -> Self {
        Self { db, reference }
    }
}
