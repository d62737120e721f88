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

/// The outcome of importing one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchReport {
    /// The batch the file was recorded as (the earlier batch when it was already imported).
    pub batch_id: i64,
    pub source: String,
    pub file_name: String,
    pub format: String,
    pub sha256: String,
    /// True when this very file had been imported before: nothing was written.
    pub already_imported: bool,
    pub rows_read: u32,
    pub rows_accepted: u32,
    pub rows_rejected: u32,
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
}

impl BatchReport {
    /// A few lines for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "batch {} ({} {}, {}){}\n  rows: {} read, {} accepted, {} rejected\n  records: {} new, {} unchanged, {} new version\n  persons: {} created, {} matched\n",
            self.batch_id,
            self.source,
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
        out
    }
}
