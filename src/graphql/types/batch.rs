//! An imported file and its batch report.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::enums::Source;
use crate::access::guard::principal;
use crate::access::{Principal, Role};
use crate::db::import_batch;
use crate::intake;
use crate::register;

/// A row that was not imported, and why.
#[derive(SimpleObject, Clone, Debug)]
pub struct RejectedRow {
    /// Data row number (1 = the first row after the header).
    pub row: u32,
    /// Why, in words a clerk can act on.
    pub reason: String,
}

impl From<intake::RejectedRow> for RejectedRow {
    fn from(r: intake::RejectedRow) -> Self {
        Self {
            row: r.row,
            reason: r.reason,
        }
    }
}

/// A row whose record ID the register already held for another person: imported as a new
/// record, not as a new version of the other person's (a record ID is unique only within its
/// sender, and a sender may reuse one).
#[derive(SimpleObject, Clone, Debug)]
pub struct RecordIdConflict {
    /// Data row number (1 = the first row after the header; for notices, the person's
    /// position among all persons of the file).
    pub row_number: u32,
    /// The record ID the row shares with the other person's record (masked where it is a
    /// phone or an ID number).
    pub record_id: String,
    /// Why the row was taken for another person, in Chinese.
    pub reason: String,
}

impl From<intake::RecordIdConflict> for RecordIdConflict {
    fn from(c: intake::RecordIdConflict) -> Self {
        Self {
            row_number: c.row,
            record_id: crate::privacy::mask_text(&c.record_id),
            reason: c.reason,
        }
    }
}

/// What importing one file read, kept, refused and changed.
#[derive(SimpleObject, Clone, Debug)]
pub struct BatchReport {
    /// The batch the file was recorded as (the earlier batch when it was already imported).
    pub batch_id: ID,
    /// The source kind.
    pub source: Option<Source>,
    /// The file's name.
    pub file_name: String,
    /// `csv`, `xlsx`, `json` or `ndjson`.
    pub format: String,
    /// sha256 of the file's bytes.
    pub sha256: String,
    /// True when this very file had been imported before: nothing was written.
    pub already_imported: bool,
    /// Data rows read.
    pub rows_read: u32,
    /// Rows kept.
    pub rows_accepted: u32,
    /// Rows refused, all of them counted.
    pub rows_rejected: u32,
    /// The refused rows with their numbers and reasons: the first 1 000 of them (`rowsRejected`
    /// counts them all).
    pub rejected: Vec<RejectedRow>,
    /// Records seen for the first time (null for a PARTNER: see `personsMatched`).
    pub records_new: Option<u32>,
    /// Records whose content had been imported before (null for a PARTNER).
    pub records_unchanged: Option<u32>,
    /// Records that existed with other content: stored as a new version (null for a PARTNER).
    pub records_new_version: Option<u32>,
    /// Persons added to the register (null for a PARTNER).
    pub persons_created: Option<u32>,
    /// Persons already in the register that gained records. Null for a PARTNER, as every
    /// figure of what the file matched: a partner learns what was accepted and rejected,
    /// never whether someone is in the register.
    pub persons_matched: Option<u32>,
    /// External notices in the file.
    pub notices: u32,
    /// Rows whose record ID the register held for another person's record: imported as new
    /// records and listed here, the other person's record left as it was (null for a
    /// PARTNER, as every figure of what the file matched).
    pub record_id_conflicts: Option<Vec<RecordIdConflict>>,
}

impl From<intake::BatchReport> for BatchReport {
    fn from(r: intake::BatchReport) -> Self {
        Self {
            batch_id: ID::from(r.batch_id),
            source: Some(r.source.into()),
            file_name: r.file_name,
            format: r.format,
            sha256: r.sha256,
            already_imported: r.already_imported,
            rows_read: r.rows_read,
            rows_accepted: r.rows_accepted,
            rows_rejected: r.rows_rejected,
            rejected: r.rejected.into_iter().map(RejectedRow::from).collect(),
            records_new: Some(r.records_new),
            records_unchanged: Some(r.records_unchanged),
            records_new_version: Some(r.records_new_version),
            persons_created: Some(r.persons_created),
            persons_matched: Some(r.persons_matched),
            notices: r.notices,
            record_id_conflicts: Some(
                r.record_id_conflicts
                    .into_iter()
                    .map(RecordIdConflict::from)
                    .collect(),
            ),
        }
    }
}

impl BatchReport {
    /// The report as `caller` may read it: without what the file matched in the register for
    /// a PARTNER (whether an ID number's person existed is not a partner's to learn).
    pub fn for_caller(mut self, caller: &Principal) -> Self {
        if caller.role == Role::Partner {
            self.records_new = None;
            self.records_unchanged = None;
            self.records_new_version = None;
            self.persons_created = None;
            self.persons_matched = None;
            self.record_id_conflicts = None;
        }
        self
    }
}

/// One imported file.
pub struct ImportBatch(pub import_batch::Model);

/// One imported file.
#[Object]
impl ImportBatch {
    /// Batch ID.
    async fn id(&self) -> ID {
        ID::from(self.0.id)
    }
    /// The source kind.
    async fn source(&self) -> Option<Source> {
        Some(self.0.source.into())
    }
    /// The file's name.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// `csv`, `xlsx`, `json` or `ndjson`.
    async fn format(&self) -> &str {
        &self.0.format
    }
    /// sha256 of the file's bytes.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// Who imported it.
    async fn imported_by(&self) -> &str {
        &self.0.imported_by
    }
    /// When.
    async fn imported_at(&self) -> DateTime<Utc> {
        self.0.imported_at
    }
    /// The match model (`matchModel`'s ID) the batch's records were matched with: one its
    /// own run trained, or the one stored before it. Empty for a batch that wrote no record
    /// and for batches imported before the model was recorded.
    async fn match_model_id(&self) -> Option<ID> {
        self.0.model_id.map(ID::from)
    }
    /// The batch report: counts and rejected rows (for a PARTNER, without what it matched).
    async fn report(&self, ctx: &Context<'_>) -> Result<BatchReport> {
        let report = register::query::batch_report(&self.0)?;
        Ok(BatchReport::from(report).for_caller(principal(ctx)?))
    }
}
