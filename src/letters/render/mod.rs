//! Writing a [`LetterDocument`] out in each of its formats: the formal letter with its list as
//! PDF ([`pdf`]) and HTML ([`html`]), both from the same wording ([`blocks`], the templates
//! under `templates/`), and the list alone as CSV and XLSX.

mod blocks;
mod font;
mod html;
mod layout;
mod pdf;

use super::document::{DocumentFormat, DocumentKind, LetterDocument};
use crate::error::AppError;
use crate::register::query::{ExportFormat, encode_sheet};

/// The file of `document` in `format`.
pub fn render(document: &LetterDocument, format: DocumentFormat) -> Result<Vec<u8>, AppError> {
    match format {
        DocumentFormat::Pdf => pdf::render(document).map(|pdf| {
            tracing::debug!(
                pages = pdf.pages,
                missing = pdf.missing,
                "letter PDF rendered"
            );
            pdf.bytes
        }),
        DocumentFormat::Html => html::render(document).map(String::into_bytes),
        DocumentFormat::Csv => sheet(document, ExportFormat::Csv),
        DocumentFormat::Xlsx => sheet(document, ExportFormat::Xlsx),
    }
}

/// The list's columns of a request (协查函): why the county believes each person is there.
pub const REQUEST_COLUMNS: [&str; 9] = [
    "序号",
    "姓名",
    "性别",
    "身份证号",
    "联系电话",
    "现住址",
    "抵达日期",
    "与湖北关联",
    "判定依据",
];

/// The list's columns of a reply (回函): what the county found of each person.
pub const REPLY_COLUMNS: [&str; 9] = [
    "序号",
    "姓名",
    "性别",
    "身份证号",
    "联系电话",
    "现住址",
    "抵达日期",
    "与湖北关联",
    "核查结果",
];

/// The list's header for `kind`.
pub fn columns(kind: DocumentKind) -> &'static [&'static str; 9] {
    match kind {
        DocumentKind::Request => &REQUEST_COLUMNS,
        DocumentKind::Reply => &REPLY_COLUMNS,
    }
}

/// The list's rows, in the order of [`columns`]: numbered from 1, each value on one line.
pub fn rows(document: &LetterDocument) -> Vec<Vec<String>> {
    (1..)
        .zip(&document.persons)
        .map(|(seq, person)| {
            let last = match document.kind {
                DocumentKind::Request => &person.reason,
                DocumentKind::Reply => &person.finding,
            };
            std::iter::once(seq.to_string())
                .chain(
                    [
                        &person.name,
                        &person.sex,
                        &person.id_number,
                        &person.phone,
                        &person.current_address,
                        &person.arrival_date,
                        &person.hubei_link,
                        last,
                    ]
                    .into_iter()
                    .map(|value| blocks::one_line(value)),
                )
                .collect()
        })
        .collect()
}

/// The list alone as a sheet: the Chinese header, then one row per person.
fn sheet(document: &LetterDocument, format: ExportFormat) -> Result<Vec<u8>, AppError> {
    let name = match document.kind {
        DocumentKind::Request => "协查人员名单",
        DocumentKind::Reply => "核查情况",
    };
    encode_sheet(columns(document.kind), name, &rows(document), format)
}

#[cfg(test)]
pub(crate) mod sample;
#[cfg(test)]
mod tests;
