//! A letter's wording, from its template: the text templates (`templates/request.txt`,
//! `templates/reply.txt`) write the letter as blocks, one a line (`kind|text`), which the HTML
//! template and the PDF layout both set, each in its own way. The wording lives only in the
//! templates; the code decides only how a kind of block looks.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use minijinja::Environment;
use serde::Serialize;

use super::super::document::{DocumentKind, LetterDocument};
use crate::error::AppError;

/// What a block of the letter is, which decides how it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum BlockKind {
    /// The sender as the letterhead, large and centred.
    Head,
    /// The letter's number (or that it is a draft), under the letterhead, right-aligned.
    Number,
    /// The title, centred.
    Title,
    /// The addressee, followed by a colon, flush left.
    Salutation,
    /// A paragraph of the body, its first line indented by two characters.
    Para,
    /// The attachment note under the body.
    Attachment,
    /// The sender's signature, right.
    Signature,
    /// The date under the signature.
    Date,
    /// The seal placeholder over the signature and date.
    Seal,
    /// The attachment's label (`附件`) on the list's first page.
    ListLabel,
    /// The list's title, centred over the list.
    ListTitle,
}

impl BlockKind {
    fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "head" => Self::Head,
            "number" => Self::Number,
            "title" => Self::Title,
            "salutation" => Self::Salutation,
            "para" => Self::Para,
            "attachment" => Self::Attachment,
            "signature" => Self::Signature,
            "date" => Self::Date,
            "seal" => Self::Seal,
            "list_label" => Self::ListLabel,
            "list_title" => Self::ListTitle,
            _ => return None,
        })
    }
}

/// One block of a letter's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Block {
    /// How the block is set.
    pub kind: BlockKind,
    /// Its text, on one line.
    pub text: String,
}

/// A letter's blocks in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Wording {
    /// The blocks of the letter, then of the list's heading.
    pub blocks: Vec<Block>,
}

impl Wording {
    /// The text of the first block of `kind`, or empty.
    pub fn first(&self, kind: BlockKind) -> &str {
        self.blocks
            .iter()
            .find(|block| block.kind == kind)
            .map_or("", |block| block.text.as_str())
    }
}

/// What the text templates see: the document's fields, each on one line, dates in words.
#[derive(Serialize)]
struct TextContext {
    number: Option<String>,
    addressee: String,
    sender: String,
    contact: String,
    contact_phone: String,
    date: String,
    reply_by: Option<String>,
    in_reply_to: Option<String>,
    count: usize,
}

/// The templates, loaded once: the text templates (no escaping) and the HTML page (escaped by
/// its `.html` name).
pub(super) fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        match minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
        {
            Ok(syntax) => env.set_syntax(syntax),
            Err(error) => tracing::error!(%error, "the letter templates' syntax"),
        }
        // The templates are part of the binary; a template that does not parse fails the tests
        // (every template is rendered there), and `render` reports it as an internal error.
        for (name, source) in [
            ("request.txt", include_str!("templates/request.txt")),
            ("reply.txt", include_str!("templates/reply.txt")),
            ("letter.html", include_str!("templates/letter.html")),
        ] {
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(template = name, %error, "a letter template does not parse");
            }
        }
        env
    })
}

/// A template error as the application's internal error.
pub(super) fn template_error(error: minijinja::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("letter template: {error}"))
}

/// The letter's wording: its text template rendered with the document, cut into blocks.
pub(super) fn wording(document: &LetterDocument) -> Result<Wording, AppError> {
    let name = match document.kind {
        DocumentKind::Request => "request.txt",
        DocumentKind::Reply => "reply.txt",
    };
    let context = TextContext {
        number: document.number.as_deref().map(one_line),
        addressee: one_line(&document.addressee),
        sender: one_line(&document.sender),
        contact: one_line(&document.contact),
        contact_phone: one_line(&document.contact_phone),
        date: chinese_date(document.date),
        reply_by: document.reply_by.map(chinese_date),
        in_reply_to: document.in_reply_to.as_deref().map(one_line),
        count: document.persons.len(),
    };
    let text = environment()
        .get_template(name)
        .and_then(|template| template.render(minijinja::value::Serde(&context)))
        .map_err(template_error)?;
    let mut blocks = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let (kind, text) = line
            .split_once('|')
            .and_then(|(kind, text)| Some((BlockKind::parse(kind.trim())?, text)))
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!(
                    "letter template {name}: a line is no block"
                ))
            })?;
        blocks.push(Block {
            kind,
            text: text.trim().to_owned(),
        });
    }
    Ok(Wording { blocks })
}

/// `text` on one line: line breaks, tabs and other control characters become spaces, so no
/// value can start a block of its own.
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A date as an official document writes it (GB/T 9704-2012): `2020年2月1日`.
pub(super) fn chinese_date(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_in_an_official_document() {
        let date = NaiveDate::from_ymd_opt(2020, 2, 1).expect("date");
        assert_eq!(chinese_date(date), "2020年2月1日");
    }

    #[test]
    fn a_line_break_in_a_value_cannot_start_a_block() {
        assert_eq!(one_line("孝南区\nseal|伪造\r\t"), "孝南区 seal|伪造");
    }
}
