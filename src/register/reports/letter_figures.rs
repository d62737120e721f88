//! The briefing's figures about letters to the jurisdictions where the persons outside the
//! county are (协查函), behind one function.

use chrono::NaiveDate;

use crate::error::AppError;
use crate::register::Register;

/// The letter figures of the briefing as of the end of a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LetterFigures {
    /// Letters issued (numbered) on or before the day.
    pub letters_issued: u64,
    /// Persons outside the county those letters cover.
    pub persons_covered: u64,
    /// Persons outside the county no issued letter covers yet.
    pub persons_without_letter: u64,
    /// Replies received on or before the day.
    pub replies_received: u64,
}

impl LetterFigures {
    /// Every one of `outside` persons outside the county is covered by an issued letter.
    pub fn all_covered(&self, outside: u64) -> bool {
        outside > 0 && self.persons_covered >= outside && self.persons_without_letter == 0
    }
}

/// The letter figures as of the end of `as_of` (China time).
///
/// MERGE: computed from the letters tables when the letters branch lands.
pub async fn letter_figures(
    register: &Register,
    as_of: NaiveDate,
) -> Result<LetterFigures, AppError> {
    let _ = (register, as_of);
    Ok(LetterFigures::default())
}
