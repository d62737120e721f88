//! The JSON a partner's hub gets: the answer to its notices (accepted and rejected persons,
//! by row) and the error of a refused request. Pure: built from the request's body and the
//! batch report.

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::intake::BatchReport;

/// A person of the request, by its row: the position among all persons of the body
/// (1 = the first), as the batch report numbers rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    pub row: u32,
    /// The notice it came with.
    pub notice_no: Option<String>,
    /// The sender's key for the person.
    pub record_id: Option<String>,
    /// Why it was not imported (rejected persons only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer to a `POST /api/v1/notices`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticesAnswer {
    /// The batch the notices were imported as (the earlier one when the same body came before
    /// under another key).
    pub batch_id: i64,
    /// True when this very body had been imported before: nothing new was written.
    pub already_imported: bool,
    /// The notice numbers of the body.
    pub notices: Vec<String>,
    pub accepted: Vec<PersonRow>,
    pub rejected: Vec<PersonRow>,
    pub rows_accepted: u32,
    /// Rejected rows, all counted (`rejected` lists the first thousand).
    pub rows_rejected: u32,
}

/// What the body holds, read for the answer and the log (the import reads it on its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyOutline {
    pub notices: Vec<String>,
    pub persons: Vec<PersonRow>,
}

fn text_of(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Outlines a body of notices: one notice object or an array of them, each with `persons`
/// (or flat rows naming their `notice_no`). `None` when it is not JSON objects.
pub fn outline(body: &[u8]) -> Option<BodyOutline> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let objects = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => return None,
    };
    let mut out = BodyOutline::default();
    let push_notice = |out: &mut BodyOutline, number: &Option<String>| {
        if let Some(n) = number
            && !out.notices.contains(n)
        {
            out.notices.push(n.clone());
        }
    };
    for object in objects {
        let Value::Object(object) = object else {
            return None;
        };
        let notice_no = text_of(&object, "notice_no");
        push_notice(&mut out, &notice_no);
        // A flat row names its notice and is a person itself.
        let flat;
        let persons: Vec<&Value> = match object.get("persons") {
            Some(Value::Array(persons)) => persons.iter().collect(),
            _ => {
                flat = Value::Object(object.clone());
                vec![&flat]
            }
        };
        for person in persons {
            let record_id = match person {
                Value::Object(p) => text_of(p, "record_id"),
                _ => None,
            };
            let row = u32::try_from(out.persons.len() + 1).unwrap_or(u32::MAX);
            out.persons.push(PersonRow {
                row,
                notice_no: notice_no.clone(),
                record_id,
                reason: None,
            });
        }
    }
    Some(out)
}

impl NoticesAnswer {
    /// The answer of an import of `outline`'s body that reported `report`.
    pub fn new(outline: &BodyOutline, report: &BatchReport) -> Self {
        let reasons: HashMap<u32, &str> = report
            .rejected
            .iter()
            .map(|r| (r.row, r.reason.as_str()))
            .collect();
        let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
        for person in &outline.persons {
            match reasons.get(&person.row) {
                Some(reason) => rejected.push(PersonRow {
                    reason: Some((*reason).to_owned()),
                    ..person.clone()
                }),
                None => accepted.push(person.clone()),
            }
        }
        Self {
            batch_id: report.batch_id,
            already_imported: report.already_imported,
            notices: outline.notices.clone(),
            accepted,
            rejected,
            rows_accepted: report.rows_accepted,
            rows_rejected: report.rows_rejected,
        }
    }
}

/// Codes of refused exchange requests (`error.code`).
pub mod code {
    /// `X-Paicha-Partner`, `X-Paicha-Timestamp` or `X-Paicha-Signature` is missing (401).
    pub const UNSIGNED: &str = "UNSIGNED";
    /// No partner is registered under `X-Paicha-Partner` (401).
    pub const UNKNOWN_PARTNER: &str = "UNKNOWN_PARTNER";
    /// `X-Paicha-Timestamp` is more than 5 minutes from our clock, or not unix seconds (401).
    pub const STALE_TIMESTAMP: &str = "STALE_TIMESTAMP";
    /// The signature does not match the request and the partner's secret (401).
    pub const BAD_SIGNATURE: &str = "BAD_SIGNATURE";
    /// `Idempotency-Key` is missing, empty, too long or not visible ASCII (400).
    pub const IDEMPOTENCY_KEY_REQUIRED: &str = "IDEMPOTENCY_KEY_REQUIRED";
    /// The key was used before for another request (422).
    pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
    /// The body is over the limit (413).
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// The body is not notices the hub can read; nothing was written (422).
    pub const BAD_NOTICE: &str = "BAD_NOTICE";
    /// The body is not replies the hub can record (not the JSON, a person not on the letter,
    /// a `MOVED_ON` without a place …); nothing was written (422).
    pub const BAD_REPLY: &str = "BAD_REPLY";
    /// No letter with that number was sent to the partner's jurisdiction (404).
    pub const UNKNOWN_LETTER: &str = "UNKNOWN_LETTER";
    /// The letter takes no more replies (already answered in full); nothing written (409).
    pub const CONFLICT: &str = crate::error::code::CONFLICT;
    /// A notice is sent by a place outside the partner's jurisdiction (403).
    pub const FORBIDDEN: &str = crate::error::code::FORBIDDEN;
    /// The register is busy with another write; nothing was written, try again (503).
    pub const BUSY: &str = crate::error::code::BUSY;
    /// Something failed on our side; nothing was written (500).
    pub const INTERNAL: &str = crate::error::code::INTERNAL;
}

/// A refused request: its status, code and message, answered as
/// `{"error": {"code": …, "message": …}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    /// A refusal with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.code == code::BUSY {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::error::BUSY_RETRY_AFTER_SECS),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::{SourceKind, report::RejectedRow};

    #[test]
    fn persons_are_numbered_across_notices_and_split_by_the_report() {
        let body = br#"[{"notice_no":"A1","persons":[{"record_id":"1"},{"record_id":"2"}]},
                        {"notice_no":"A2","persons":[{"name":"x"}]}]"#;
        let outline = outline(body).expect("notices");
        assert_eq!(outline.notices, ["A1", "A2"]);
        assert_eq!(outline.persons.len(), 3);
        let mut report = BatchReport::new(
            7,
            SourceKind::External,
            "n".into(),
            "json".into(),
            "h".into(),
        );
        report.rows_accepted = 2;
        report.rows_rejected = 1;
        report.rejected.push(RejectedRow {
            row: 2,
            reason: "无姓名".into(),
        });
        let answer = NoticesAnswer::new(&outline, &report);
        assert_eq!(
            answer.accepted.iter().map(|p| p.row).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(answer.rejected[0].record_id.as_deref(), Some("2"));
        assert_eq!(answer.rejected[0].reason.as_deref(), Some("无姓名"));
        assert_eq!(answer.accepted[1].notice_no.as_deref(), Some("A2"));
    }

    #[test]
    fn a_body_that_is_not_objects_has_no_outline() {
        assert_eq!(outline(b"not json"), None);
        assert_eq!(outline(b"[1, 2]"), None);
        assert_eq!(
            outline(b"{\"notice_no\": 5, \"persons\": []}").map(|o| o.notices),
            Some(vec!["5".to_owned()])
        );
    }
}
