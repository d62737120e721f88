//! The letter with its list as one self-contained HTML page (inline CSS, A4 print styles, no
//! external resource), from `templates/letter.html`; every value escaped by the template.

use serde::Serialize;

use super::super::document::LetterDocument;
use super::blocks::{self, Block, BlockKind};
use crate::error::AppError;

/// What `letter.html` sees.
#[derive(Serialize)]
struct PageContext<'a> {
    title: &'a str,
    blocks: &'a [Block],
    signature: &'a str,
    date: &'a str,
    seal: &'a str,
    list_label: &'a str,
    list_title: &'a str,
    columns: &'a [&'a str],
    rows: Vec<Vec<String>>,
}

/// The HTML page of `document`.
pub(super) fn render(document: &LetterDocument) -> Result<String, AppError> {
    let wording = blocks::wording(document)?;
    let context = PageContext {
        title: wording.first(BlockKind::Title),
        blocks: &wording.blocks,
        signature: wording.first(BlockKind::Signature),
        date: wording.first(BlockKind::Date),
        seal: wording.first(BlockKind::Seal),
        list_label: wording.first(BlockKind::ListLabel),
        list_title: wording.first(BlockKind::ListTitle),
        columns: super::columns(document.kind),
        rows: super::rows(document),
    };
    blocks::environment()
        .get_template("letter.html")
        .and_then(|template| template.render(minijinja::value::Serde(&context)))
        .map_err(blocks::template_error)
}
