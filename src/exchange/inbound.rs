//! `POST /api/v1/notices`: a partner hub's external notices, signed (`signing`), imported as
//! an `EXTERNAL` batch exactly as a file would be, under the partner's jurisdiction (every
//! notice sent from within it). The `Idempotency-Key` is recorded with the batch in the import's
//! own transaction: a replay with the same key gets the first answer and writes nothing, and
//! two identical requests at once import once (the writer's turn, and a unique key under it).
//! A refused request writes nothing and answers `{"error": {"code", "message"}}`.

use std::sync::Mutex;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use sea_orm::{ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseTransaction};
use sea_orm::{EntityTrait as _, QueryFilter as _};
use sha2::{Digest as _, Sha256};

use super::answer::{BodyOutline, NoticesAnswer, Refusal, code, outline};
use super::signing::{self, IDEMPOTENCY_HEADER, SignatureError};
use crate::config::limits::{
    DRAIN_TIME, MAX_EXCHANGE_BODY_BYTES, MAX_IDEMPOTENCY_KEY_CHARS, REQUEST_TIMEOUT,
};
use crate::db::{self, exchange_receipt};
use crate::error::AppError;
use crate::intake::{BatchReport, SourceKind};
use crate::register::{Hooked, ImportHook, ImportRequest, Register};
use futures_util::StreamExt as _;

/// The path partner hubs post their notices to.
pub const NOTICES_PATH: &str = "/api/v1/notices";

/// A replay says so in this header (`true`).
const REPLAYED_HEADER: &str = "idempotent-replayed";

/// The exchange routes of a hub serving `register`.
pub fn router(register: Register) -> Router {
    Router::new()
        .route(NOTICES_PATH, post(receive_notices))
        .route(
            super::replies::REPLIES_ROUTE,
            post(super::replies::receive_replies),
        )
        .with_state(register)
}

/// A partner's request, its signature checked.
pub(super) struct Verified {
    pub(super) partner: String,
    pub(super) key: String,
    /// sha256 of the method, path and body: what the key stands for.
    pub(super) request_sha256: String,
}

pub(super) fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn unauthorized(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::UNAUTHORIZED, code, message)
}

/// Reads the body up to the limit (413 beyond it, declared or sent).
pub(super) async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, Refusal> {
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            code::PAYLOAD_TOO_LARGE,
            format!(
                "请求体超过 {} MiB 的上限",
                MAX_EXCHANGE_BODY_BYTES / (1024 * 1024)
            ),
        )
    };
    let declared =
        header_text(headers, header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<usize>().ok());
    let mut data = body.into_data_stream();
    if declared.is_some_and(|n| n > MAX_EXCHANGE_BODY_BYTES) {
        drain(&mut data).await;
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = data.next().await {
        let chunk = chunk.map_err(|_| {
            Refusal::new(StatusCode::BAD_REQUEST, code::BAD_NOTICE, "请求体未能读完")
        })?;
        if bytes.len() + chunk.len() > MAX_EXCHANGE_BODY_BYTES {
            drain(&mut data).await;
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(bytes))
}

/// Reads and discards the rest of a body refused as too large (up to twice the limit, for at
/// most [`DRAIN_TIME`]), so the sender reads the 413 rather than a broken connection.
async fn drain(data: &mut axum::body::BodyDataStream) {
    let allowance = MAX_EXCHANGE_BODY_BYTES.saturating_mul(2);
    let discard = async {
        let mut read = 0usize;
        while let Some(Ok(chunk)) = data.next().await {
            read = read.saturating_add(chunk.len());
            if read > allowance {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}

/// Checks the signature headers against the partner's secret, read from the database now (a
/// partner added or rotated while the server runs counts at once), and the idempotency key.
pub(super) async fn verify(
    register: &Register,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Verified, Refusal> {
    let (Some(partner), Some(timestamp), Some(signature)) = (
        header_text(headers, signing::PARTNER_HEADER),
        header_text(headers, signing::TIMESTAMP_HEADER),
        header_text(headers, signing::SIGNATURE_HEADER),
    ) else {
        return Err(unauthorized(
            code::UNSIGNED,
            "请求须带 X-Paicha-Partner、X-Paicha-Timestamp 与 X-Paicha-Signature 签名头",
        ));
    };
    let row = super::partners::find(&register.db().conn, partner)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            unauthorized(
                code::UNKNOWN_PARTNER,
                format!("未登记的协作单位：{partner}"),
            )
        })?;
    let now = chrono::Utc::now().timestamp();
    signing::verify(
        row.secret.as_bytes(),
        method.as_str(),
        path,
        timestamp,
        signature,
        body,
        now,
    )
    .map_err(|e| match e {
        SignatureError::BadTimestamp | SignatureError::Stale(_) => {
            unauthorized(code::STALE_TIMESTAMP, e.to_string())
        }
        SignatureError::Mismatch => unauthorized(code::BAD_SIGNATURE, e.to_string()),
    })?;
    let key = header_text(headers, IDEMPOTENCY_HEADER)
        .filter(|k| {
            k.chars().count() <= MAX_IDEMPOTENCY_KEY_CHARS
                && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                code::IDEMPOTENCY_KEY_REQUIRED,
                format!(
                    "请求须带 Idempotency-Key（至多 {MAX_IDEMPOTENCY_KEY_CHARS} 个可见 ASCII 字符）"
                ),
            )
        })?;
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update(b"\n");
    hash.update(path.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    Ok(Verified {
        partner: row.code,
        key: key.to_owned(),
        request_sha256: hex::encode(hash.finalize()),
    })
}

pub(super) fn internal(e: AppError) -> Refusal {
    tracing::error!(error = ?e, "exchange request failed");
    Refusal::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        code::INTERNAL,
        "服务器内部错误，未写入任何内容",
    )
}

/// What the receipt of an earlier request with the same key says about this one.
enum Earlier {
    /// The same request: its answer.
    Same(String),
    /// Another request under the same key.
    Other,
}

async fn earlier(
    conn: &impl ConnectionTrait,
    request: &Verified,
) -> Result<Option<Earlier>, AppError> {
    let receipt = exchange_receipt::Entity::find()
        .filter(exchange_receipt::Column::PartnerCode.eq(&request.partner))
        .filter(exchange_receipt::Column::IdempotencyKey.eq(&request.key))
        .one(conn)
        .await?;
    Ok(receipt.map(|r| {
        if r.request_sha256 == request.request_sha256 {
            Earlier::Same(r.answer)
        } else {
            Earlier::Other
        }
    }))
}

/// Records the request's receipt in the import's transaction.
struct Receipt<'a> {
    request: &'a Verified,
    outline: &'a BodyOutline,
    /// Set by `before` when the key had been seen (another request won the race).
    earlier: Mutex<Option<Earlier>>,
}

#[async_trait::async_trait]
impl ImportHook for Receipt<'_> {
    async fn before(
        &self,
        txn: &DatabaseTransaction,
    ) -> Result<Option<serde_json::Value>, AppError> {
        let found = earlier(txn, self.request).await?;
        let answered = found.is_some();
        if let Ok(mut slot) = self.earlier.lock() {
            *slot = found;
        }
        Ok(answered.then_some(serde_json::Value::Null))
    }

    async fn after(
        &self,
        txn: &DatabaseTransaction,
        reports: &[BatchReport],
    ) -> Result<serde_json::Value, AppError> {
        let report = reports
            .first()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("an import made no report")))?;
        let answer = serde_json::to_value(NoticesAnswer::new(self.outline, report))
            .map_err(|e| AppError::Internal(e.into()))?;
        exchange_receipt::Entity::insert(exchange_receipt::ActiveModel {
            id: Set(db::next_id(txn, "exchange_receipt").await?),
            partner_code: Set(self.request.partner.clone()),
            idempotency_key: Set(self.request.key.clone()),
            request_sha256: Set(self.request.request_sha256.clone()),
            batch_id: Set(Some(report.batch_id)),
            answer: Set(answer.to_string()),
            received_at: Set(chrono::Utc::now()),
        })
        .exec_without_returning(txn)
        .await?;
        Ok(answer)
    }
}

pub(super) fn json_answer(answer: String, replayed: bool) -> Response {
    let mut response = (StatusCode::OK, answer).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if replayed {
        headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    response
}

fn replay(partner: &str, earlier: Earlier) -> Result<Response, Refusal> {
    match earlier {
        Earlier::Same(answer) => {
            tracing::info!(
                partner,
                status = "replayed",
                "exchange notices answered again"
            );
            Ok(json_answer(answer, true))
        }
        Earlier::Other => Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code::IDEMPOTENCY_KEY_REUSED,
            "该 Idempotency-Key 已用于另一请求；新请求请用新的键",
        )),
    }
}

/// The refusal of an import that failed: nothing of it was written.
fn import_refusal(e: AppError) -> Refusal {
    match e {
        AppError::BadInput(m) => {
            Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, code::BAD_NOTICE, m)
        }
        AppError::Forbidden(m) => Refusal::new(StatusCode::FORBIDDEN, code::FORBIDDEN, m),
        AppError::Busy(m) => Refusal::new(StatusCode::SERVICE_UNAVAILABLE, code::BUSY, m),
        other => internal(other),
    }
}

async fn receive_notices(
    State(register): State<Register>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let run = notices(&register, &method, &headers, body);
    within_deadline("notices", &headers, run).await
}

/// Runs an exchange request under the same time limit as any request (the deadline also
/// stops its commit), and logs a refusal without personal data: partner, status, code.
pub(super) async fn within_deadline(
    what: &'static str,
    headers: &HeaderMap,
    run: impl std::future::Future<Output = Result<Response, Refusal>>,
) -> Response {
    let deadline = std::time::Instant::now() + REQUEST_TIMEOUT;
    let run = crate::db::DEADLINE.scope(deadline, run);
    let outcome = match tokio::time::timeout(REQUEST_TIMEOUT, run).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            crate::error::code::TIMEOUT,
            format!(
                "请求处理超过 {} 秒，已中止，未保存任何内容",
                REQUEST_TIMEOUT.as_secs()
            ),
        )),
    };
    outcome.unwrap_or_else(|refusal| {
        tracing::warn!(
            partner = header_text(headers, signing::PARTNER_HEADER).unwrap_or("-"),
            status = refusal.status.as_u16(),
            code = refusal.code,
            what,
            "exchange request refused"
        );
        refusal.into_response()
    })
}

async fn notices(
    register: &Register,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    let body = read_body(headers, body).await?;
    let request = verify(register, method, NOTICES_PATH, headers, &body).await?;
    // A replay is answered from the receipt without waiting for the writer.
    if let Some(found) = earlier(&register.db().conn, &request)
        .await
        .map_err(internal)?
    {
        return replay(&request.partner, found);
    }
    let outline = outline(&body).ok_or_else(|| {
        Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code::BAD_NOTICE,
            "请求体应为协查通报 JSON：一个含 persons 人员数组的对象，或其数组",
        )
    })?;
    let file_name = format!("{}-{}.json", request.partner, request.key);
    let actor = format!("partner:{}", request.partner);
    let mut import = ImportRequest::new(SourceKind::External, &file_name, body.clone(), &actor);
    import.sender = Some(&request.partner);
    let hook = Receipt {
        request: &request,
        outline: &outline,
        earlier: Mutex::new(None),
    };
    let hooked = register
        .import_hooked(import, &hook)
        .await
        .map_err(import_refusal)?;
    match hooked {
        Hooked::Answered(_) => {
            let found = hook.earlier.lock().ok().and_then(|mut e| e.take());
            match found {
                Some(found) => replay(&request.partner, found),
                None => Err(internal(AppError::Internal(anyhow::anyhow!(
                    "a receipt answered without an earlier request"
                )))),
            }
        }
        Hooked::Imported { reports, answer } => {
            let report = reports.first();
            tracing::info!(
                partner = %request.partner,
                notices = ?outline.notices,
                batch.id = report.map(|r| r.batch_id),
                rows.accepted = report.map(|r| r.rows_accepted),
                rows.rejected = report.map(|r| r.rows_rejected),
                already_imported = report.is_some_and(|r| r.already_imported),
                status = "imported",
                "exchange notices received"
            );
            let answer = answer.map(|a| a.to_string()).unwrap_or_default();
            Ok(json_answer(answer, false))
        }
    }
}
