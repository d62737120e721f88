//! Writing a [`LetterDocument`] out in each of its formats.
//!
//! SCAFFOLD (replaced by the rendering branch before this session ends): the entry point the
//! register and the HTTP routes call, so both sides can be built at once.

use super::document::{DocumentFormat, LetterDocument};
use crate::error::AppError;

/// The file of `document` in `format`.
pub fn render(document: &LetterDocument, format: DocumentFormat) -> Result<Vec<u8>, AppError> {
    let _ = document;
    Err(AppError::BadInput(format!(
        "{} documents are not available yet",
        format.extension()
    )))
}
