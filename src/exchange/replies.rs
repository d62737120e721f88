//! `POST /api/v1/letters/{number}/replies`: a partner hub's per-person replies to one of our
//! letters (its number percent-encoded in the path), signed like notices (`signing`), with an
//! `Idempotency-Key`. The body is [`RepliesBody`]: each person named by the `record_id` our
//! notice carried, with an outcome (`OBSERVED`, `NOT_FOUND`, `MOVED_ON` with a place,
//! `RETURNED_TO_COUNTY`) and a note. Recorded as `recordLetterReply` records a clerk's, only
//! for letters addressed to the partner's jurisdiction, with the receipt in the same
//! transaction: a replay gets the first answer and writes nothing. A refused request writes
//! nothing and answers `{"error": {"code", "message"}}`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

use super::answer::{Refusal, code};
use super::inbound::{internal, json_answer, read_body, verify, within_deadline};
use super::payload::RepliesBody;
use crate::error::AppError;
use crate::register::Register;
use crate::register::letters::partner_replies::{PartnerRequest, RepliesRecorded};

/// The route of the replies endpoint.
pub const REPLIES_ROUTE: &str = "/api/v1/letters/{number}/replies";

fn refusal(e: AppError) -> Refusal {
    match e {
        AppError::BadInput(m) => Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, code::BAD_REPLY, m),
        AppError::NotFound(m) => Refusal::new(StatusCode::NOT_FOUND, code::UNKNOWN_LETTER, m),
        AppError::Conflict(m) => Refusal::new(StatusCode::CONFLICT, code::CONFLICT, m),
        AppError::Busy(m) => Refusal::new(StatusCode::SERVICE_UNAVAILABLE, code::BUSY, m),
        other => internal(other),
    }
}

/// Answers a partner's replies to our letter `number`.
pub(super) async fn receive_replies(
    State(register): State<Register>,
    Path(number): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let run = replies(&register, &number, &method, uri.path(), &headers, body);
    within_deadline("replies", &headers, run).await
}

async fn replies(
    register: &Register,
    number: &str,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    let body = read_body(headers, body).await?;
    let verified = verify(register, method, path, headers, &body).await?;
    let request = PartnerRequest {
        partner: verified.partner,
        key: verified.key,
        request_sha256: verified.request_sha256,
    };
    let parsed: RepliesBody = serde_json::from_slice(&body).map_err(|e| {
        Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code::BAD_REPLY,
            format!("请求体应为回复 JSON（letter_no 与 replies 人员数组）：{e}"),
        )
    })?;
    if parsed.letter_no.trim() != number {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code::BAD_REPLY,
            "请求体的 letter_no 与路径中的函件编号不一致",
        ));
    }
    if parsed.replies.is_empty() {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code::BAD_REPLY,
            "replies 至少要有一名人员",
        ));
    }
    let recorded = register
        .record_partner_replies(&request, number, &parsed)
        .await
        .map_err(refusal)?;
    match recorded {
        RepliesRecorded::Recorded(answer) => Ok(json_answer(answer, false)),
        RepliesRecorded::Replayed(answer) => {
            tracing::info!(
                partner = %request.partner,
                status = "replayed",
                "exchange replies answered again"
            );
            Ok(json_answer(answer, true))
        }
        RepliesRecorded::KeyReused => Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code::IDEMPOTENCY_KEY_REUSED,
            "该 Idempotency-Key 已用于另一请求；新请求请用新的键",
        )),
    }
}
