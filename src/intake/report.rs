//! The batch report: what an import read, kept, refused and changed.

use serde::{Deserialize, Serialize};

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// Data row number (1 = the first row after the header).
    pub row: u32,
    /// Why, in words a clerk can act on.
    pub reason: String,
}

/// A row whose record ID the register already held for another person: imported as a new
/// record, not as a new version of the other person's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordIdConflict {
    /// Data row number (1 = the first row after the header).
    pub row: u32,
    /// The record ID the row and the stored record share.
    pub record_id: String,
    /// Why the row was not taken for a new version, in Chinese.
    pub reason: String,
}

/// The outcome of importing one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchReport {
    /// The batch the file was recorded as (the earlier batch when it was already imported).
    pub batch_id: i64,
    pub source: super::SourceKind,
    pub file_name: String,
    pub format: String,
    pub sha256: String,
    /// True when this very file had been imported before: nothing was written.
    pub already_imported: bool,
    pub rows_read: u32,
    pub rows_accepted: u32,
    /// Rows rejected, all of them counted.
    pub rows_rejected: u32,
    /// The first rejected rows (`config::limits::MAX_REJECTED_ROWS_KEPT`) with their reasons.
    pub rejected: Vec<RejectedRow>,
    /// Records seen for the first time.
    pub records_new: u32,
    /// Records whose content had already been imported.
    pub records_unchanged: u32,
    /// Records that exist with other content: stored as a new version.
    pub records_new_version: u32,
    pub persons_created: u32,
    pub persons_matched: u32,
    pub notices: u32,
    /// Rows whose record ID the register held for another person (imported as new records).
    #[serde(default)]
    pub record_id_conflicts: Vec<RecordIdConflict>,
}

impl BatchReport {
    /// The report of batch `batch_id` before any row is read: every count zero.
    pub fn new(
        batch_id: i64,
        source: super::SourceKind,
        file_name: String,
        format: String,
        sha256: String,
    ) -> Self {
        Self {
            batch_id,
            source,
            file_name,
            format,
            sha256,
            already_imported: false,
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            rejected: Vec::new(),
            records_new: 0,
            records_unchanged: 0,
            records_new_version: 0,
            persons_created: 0,
            persons_matched: 0,
            notices: 0,
            record_id_conflicts: Vec::new(),
        }
    }

    /// A few lines for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "batch {} ({} {}, {}){}\n  rows: {} read, {} accepted, {} rejected\n  records: {} new, {} unchanged, {} new version\n  persons: {} created, {} matched\n",
            self.batch_id,
            self.source.as_db(),
            self.file_name,
            self.format,
            if self.already_imported {
                " — already imported, nothing changed"
            } else {
                ""
            },
            self.rows_read,
            self.rows_accepted,
            self.rows_rejected,
            self.records_new,
            self.records_unchanged,
            self.records_new_version,
            self.persons_created,
            self.persons_matched,
        );
        for r in &self.rejected {
            out.push_str(&format!("  rejected row {}: {}\n", r.row, r.reason));
        }
        for c in &self.record_id_conflicts {
            out.push_str(&format!(
                "  record ID conflict, row {} ({}): {}\n",
                c.row,
                crate::privacy::mask_text(&c.record_id),
                c.reason
            ));
        }
        out
    }
}
