//! Daily township reports, recorded cases and the county's briefing (issue 22): the use cases
//! over the database. The briefing's wording and its documents are pure, in
//! [`crate::reports`].
//!
//! - [`Register::file_daily_report`]: a township's report for a day (zero is a report); a later
//!   filing replaces the earlier one, which is kept as history;
//! - [`Register::daily_reports`]: every township of the county on a day, its report or none,
//!   and what the register shows for it;
//! - [`Register::record_case`]: a person's case status, with its history;
//! - [`Register::briefing`]: the county's figures as of the end of a day, each with the persons
//!   filter that lists it.

mod briefing;
mod cases;
mod daily;
mod letter_figures;
mod sheet;

pub use briefing::{Briefing, Figure, FigureKey, TOWNSHIP_COLUMNS, TownshipFigures};
pub use daily::{DailyReportFiled, TownshipReport, register_filter};
pub use letter_figures::{LetterFigures, letter_figures};
pub use sheet::{DailyReportSheetReport, RejectedReportRow};

/// Longest note on a daily report or a case, in characters.
pub const NOTE_MAX_CHARS: usize = 500;

/// A note as stored: trimmed, empty as none, refused when too long.
fn clean_note(note: Option<&str>) -> Result<Option<String>, crate::error::AppError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note
        && n.chars().count() > NOTE_MAX_CHARS
    {
        return Err(crate::error::AppError::BadInput(format!(
            "备注不能超过 {NOTE_MAX_CHARS} 个字符"
        )));
    }
    Ok(note.map(str::to_owned))
}
