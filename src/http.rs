//! The HTTP surface: `/graphql` (GraphQL over HTTP, GraphiQL for browsers), `/graphql/ws`
//! (subscriptions over `graphql-transport-ws`), `/exports/{id}` (the files `exportPersons`
//! makes, for the token that made them: `http/exports.rs`), `/letters/{id}.{pdf|html|csv|xlsx}`
//! (a letter's documents, audited: `http/letters.rs`), `/api/v1/notices` (partner hubs'
//! signed notices: `exchange::inbound`) and `/health`. A persisted query's
//! GET answer carries an `ETag` and answers `If-None-Match` with 304.
//!
//! The GraphQL handler is written here rather than mounted from async-graphql-axum so that it
//! follows the GraphQL-over-HTTP specification: media types chosen by `Accept`, mutations
//! refused over GET, request errors answered 400 under `application/graphql-response+json`.
//!
//! Every `/graphql` request passes [`admit`] first: its bearer token becomes the request's
//! [`Principal`] (401 `UNAUTHENTICATED` otherwise, see [`Access`]), the token's rate is checked
//! (429 `RATE_LIMITED`; without a valid token, the client address's rate) and the request runs
//! under a time limit (503 `TIMEOUT`). Bodies and uploads are capped by [`Limits`] (413). The
//! operations of one request share a [`RequestBudget`] of complexity and searches. Only the GraphiQL page itself needs no token: it
//! holds no data, and GraphiQL sends the token the user types into its headers. The page and
//! its assets (`/assets/graphiql/…`) come from the binary (`http/graphiql.rs`).

mod console;
pub mod exports;
mod graphiql;
mod letters;
mod ws;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_graphql::http::MultipartOptions;
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, ParseRequestError, Response as GqlResponse};
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::{StreamExt as _, TryStreamExt as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio_util::compat::TokioAsyncReadCompatExt;
use tokio_util::io::StreamReader;

use crate::access::{Access, Principal};
use crate::config::limits::{
    DRAIN_TIME, MAX_BATCH, MAX_BODY_BYTES, MAX_UPLOAD_BYTES, REQUEST_TIMEOUT,
};
use crate::error::{AppError, code};
use crate::graphql::PaichaSchema;
use crate::graphql::budget::RequestBudget;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// Size and time limits of the HTTP surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes: usize,
    /// Largest uploaded file, in bytes.
    pub upload_bytes: usize,
    /// Longest a request may run.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: MAX_BODY_BYTES,
            upload_bytes: MAX_UPLOAD_BYTES,
            timeout: REQUEST_TIMEOUT,
        }
    }
}

#[derive(Clone)]
struct AppState {
    schema: PaichaSchema,
    access: Access,
    limits: Limits,
    /// The files `exportPersons` made, served at `/exports/{id}` (`http/exports.rs`).
    exports: exports::ExportStore,
}

/// The router of the whole server, with the default [`Limits`].
pub fn router(schema: PaichaSchema, access: Access) -> Router {
    router_with_limits(schema, access, Limits::default())
}

/// The router of the whole server.
pub fn router_with_limits(schema: PaichaSchema, access: Access, limits: Limits) -> Router {
    // The hub-to-hub endpoints (`/api/v1/…`) authenticate by signature, not by token.
    let exchange = schema
        .data::<crate::register::Register>()
        .cloned()
        .map(crate::exchange::router)
        .unwrap_or_default();
    let state = AppState {
        schema,
        access,
        limits,
        exports: exports::ExportStore::default(),
    };
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/exports/{file}", get(exports::download))
        .route("/letters/{file}", get(letters::document))
        .route_layer(middleware::from_fn_with_state(state.clone(), admit))
        // Added after the layer: a WebSocket authenticates in its `connection_init` message
        // (browsers cannot set headers on a WebSocket), see [`graphql_ws`].
        .route("/graphql/ws", get(graphql_ws))
        .route("/health", get(|| async { "ok" }))
        .merge(graphiql::router())
        .merge(console::router())
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .with_state(state)
        .merge(exchange)
}

/// A GraphQL-shaped error response: `{"errors":[{"message", "extensions":{"code"}}]}`.
fn error_response(status: StatusCode, media: MediaType, code: &str, message: &str) -> Response {
    json_response(
        status,
        media,
        &json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }),
    )
}

/// True for a browser asking for the GraphiQL page (a GET for HTML without a query).
fn is_graphiql_page(method: &Method, headers: &HeaderMap, query_string: &str) -> bool {
    method == Method::GET
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
        && !query_string.contains("query=")
        && !query_string.contains("extensions=")
}

/// Authenticates the caller, checks its rate and runs the request under the time limit.
async fn admit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let media = negotiate(request.headers()).unwrap_or(MediaType::Json);
    if is_graphiql_page(
        request.method(),
        request.headers(),
        request.uri().query().unwrap_or(""),
    ) {
        return next.run(request).await;
    }
    let principal = match state.access.authenticate_headers(request.headers()).await {
        Ok(principal) => principal,
        Err(err) => {
            let status = match err {
                AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            // Without a valid token the client's address is held to the rate instead.
            if status == StatusCode::UNAUTHORIZED
                && let Err(wait) = state.access.check_peer_rate(peer(&request))
            {
                return rate_limited(media, wait);
            }
            if let AppError::Internal(cause) = &err {
                tracing::error!(error = format!("{cause:#}"), "token lookup failed");
            }
            let mut response = error_response(status, media, err.code(), err.message());
            if status == StatusCode::UNAUTHORIZED {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            return response;
        }
    };
    if let Err(wait) = state.access.check_rate(&principal) {
        return rate_limited(media, wait);
    }
    request.extensions_mut().insert(principal);
    // The deadline also stops a write transaction at its commit: a request that has run out
    // of time without yielding to the timer must not commit behind a TIMEOUT answer.
    let deadline = std::time::Instant::now() + state.limits.timeout;
    let run = crate::db::DEADLINE.scope(deadline, next.run(request));
    match tokio::time::timeout(state.limits.timeout, run).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                timeout.s = state.limits.timeout.as_secs_f64(),
                "request timed out"
            );
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                media,
                code::TIMEOUT,
                &format!(
                    "请求处理超过 {} 秒，已中止，未保存任何内容",
                    state.limits.timeout.as_secs()
                ),
            )
        }
    }
}

/// The address a request came from, when the server was started with it
/// (`into_make_service_with_connect_info`).
fn peer(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// 429 `RATE_LIMITED`, with the seconds to wait in `Retry-After`.
fn rate_limited(media: MediaType, wait: Duration) -> Response {
    let seconds = wait.as_secs() + 1;
    let mut response = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        media,
        code::RATE_LIMITED,
        &crate::graphql::budget::rate_message(seconds),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// The media type of the response, from the request's `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
            Self::Json => APPLICATION_JSON,
        }
    }
}

/// Picks the response media type; `None` when the client accepts neither JSON type.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    let mut best: Option<(MediaType, f32)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let range = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let media = match range.as_str() {
            GRAPHQL_RESPONSE_JSON => MediaType::GraphqlResponseJson,
            APPLICATION_JSON | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((m, bq)) => {
                q > bq || (q == bq && media == MediaType::GraphqlResponseJson && m != media)
            }
        };
        if better {
            best = Some((media, q));
        }
    }
    best.map(|(m, _)| m)
}

fn json_response(status: StatusCode, media: MediaType, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let content_type = format!("{}; charset=utf-8", media.as_str());
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

fn request_error(status: StatusCode, media: MediaType, message: &str) -> Response {
    error_response(status, media, code::BAD_USER_INPUT, message)
}

fn too_large(media: MediaType, limit: usize) -> Response {
    request_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        media,
        &format!("请求体或上传文件超过 {} MiB 的上限", limit / (1024 * 1024)),
    )
}

fn not_acceptable() -> Response {
    let mut response = request_error(
        StatusCode::NOT_ACCEPTABLE,
        MediaType::Json,
        "Accept must allow application/graphql-response+json or application/json",
    );
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// True when the response carries no data because the request itself was bad (it failed to
/// parse or validate), as opposed to errors raised while executing fields.
fn is_request_error(response: &GqlResponse) -> bool {
    response.data == async_graphql::Value::Null && !response.errors.is_empty()
}

fn render_one(response: &GqlResponse) -> Value {
    let mut value = serde_json::to_value(response).unwrap_or_else(|_| json!({}));
    let request_error = is_request_error(response);
    if let Value::Object(map) = &mut value {
        if request_error {
            map.remove("data");
        }
        // Parse, validation and limit errors come from async-graphql without a code: they
        // are the client's to fix. Every error leaves with an `extensions.code`.
        let fallback = if request_error {
            code::BAD_USER_INPUT
        } else {
            code::INTERNAL
        };
        for error in map
            .get_mut("errors")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Value::Object(error) = error {
                let extensions = error.entry("extensions").or_insert_with(|| json!({}));
                if let Value::Object(extensions) = extensions {
                    extensions
                        .entry("code")
                        .or_insert_with(|| Value::from(fallback));
                }
            }
        }
    }
    value
}

/// The status and `Retry-After` seconds of a response that failed only for now: another
/// write held the register (`BUSY`, 503) or the token's rate ran out (`RATE_LIMITED`, 429,
/// its searches counted). Nothing was written; the client retries.
fn retry_later(response: &GqlResponse) -> Option<(StatusCode, u64)> {
    response.errors.iter().find_map(|e| {
        let extensions = e.extensions.as_ref()?;
        match extensions.get("code")? {
            c if *c == async_graphql::Value::from(code::BUSY) => Some((
                StatusCode::SERVICE_UNAVAILABLE,
                crate::error::BUSY_RETRY_AFTER_SECS,
            )),
            c if *c == async_graphql::Value::from(code::RATE_LIMITED) => {
                match extensions.get("retryAfter")? {
                    async_graphql::Value::Number(n) => {
                        Some((StatusCode::TOO_MANY_REQUESTS, n.as_u64()?))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    })
}

fn render(batch: BatchResponse, media: MediaType) -> Response {
    match batch {
        BatchResponse::Single(response) => {
            let body = render_one(&response);
            if let Some((status, seconds)) = retry_later(&response) {
                let mut http = json_response(status, media, &body);
                http.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                return http;
            }
            let status = if media == MediaType::GraphqlResponseJson && is_request_error(&response) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            json_response(status, media, &body)
        }
        BatchResponse::Batch(responses) => json_response(
            StatusCode::OK,
            media,
            &Value::Array(responses.iter().map(render_one).collect()),
        ),
    }
}

/// The questions analysts ask most that the register answers now, opened as GraphiQL tabs:
/// (title, query).
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "在县内的人员（按乡镇）",
        "# 城关镇在县内的湖北关联人员，按抵达日期排序\nquery InCountyByTownship {\n  persons(first: 50, filter: { locationStatus: IN_COUNTY, township: \"城关镇\" },\n          orderBy: { field: ARRIVAL_DATE }) {\n    totalCount\n    pageInfo { hasNextPage endCursor }\n    edges { node { id name village hubeiLink origin arrivalDate phones } }\n  }\n}\n",
    ),
    (
        "在县外的人员（去向）",
        "# 在县外的人员及其所在地（协查函的对象）\nquery OutOfCounty {\n  persons(first: 50, filter: { locationStatus: [OUT_OF_COUNTY] }) {\n    totalCount\n    edges { node { id name jurisdiction { code name } arrivalDate firstReported } }\n  }\n  # 按所在县（市、区）汇总；jurisdiction: \"4201\" 即武汉市全部\n  aggregates(filter: { locationStatus: [OUT_OF_COUNTY] }, groupBy: [JURISDICTION]) {\n    groups { keys { jurisdiction { code name } } count }\n  }\n}\n",
    ),
    (
        "待核实的大数据人员",
        "# 仅见于大数据名单、尚待乡镇实地核实的人员（核查任务清单）\nquery PendingVerification {\n  persons(first: 100, filter: { locationStatus: [PENDING_VERIFICATION], missingSource: TOWNSHIP }) {\n    totalCount\n    edges { node { id name phones township records { source recordId } } }\n  }\n}\n",
    ),
    (
        "查找一个人",
        "# 姓氏、姓名开头（简体、繁体或拼音，如 pan、huang li、gao ming）、身份证号或电话的末四位以上均可\nquery Search {\n  searchPersons(text: \"huang li\", filter: { locationStatus: [IN_COUNTY, PENDING_VERIFICATION] }) {\n    totalCount\n    edges { matchedOn matchQuality node { id name idNumber phones locationStatus\n      links { rule weight record { source recordId } } } }\n  }\n}\n",
    ),
    (
        "来源不一致与待审核",
        "# 来源之间有冲突的人员，以及等待人工审核的疑似同一人\nquery Conflicts {\n  conflicts: persons(first: 50, filter: { conflicts: [NAME, ID_NUMBER, LOCATION] }) {\n    totalCount\n    edges { node { id name locationConflict golden {\n      name { value conflicts { value } } idNumber { value conflicts { value } } } } }\n  }\n  reviewCandidates(filter: { minProbability: 0.5 }, first: 20) {\n    totalCount\n    edges { node { id matchProbability pairProbability personA { id name } personB { id name }\n      pairs { a { source recordId } b { source recordId } explanation { field level weight } } } }\n  }\n}\n",
    ),
    (
        "看板汇总",
        "# 看板：按日、乡镇、来源、状态汇总，及每日各来源新增人员\nquery Dashboard {\n  aggregates {\n    persons\n    dataAsOf\n    byStatus { status count }\n    byHubeiLink { link count }\n    byTownship { township count }\n    bySource { source count }\n    byDay { day count }\n    newPersonsPerDay { day source count }\n  }\n}\n",
    ),
    (
        "每日新增（按来源）",
        "# 每日各来源新增人员，空白日补零，附累计\nquery NewPerDay {\n  aggregates(groupBy: [DAY, SOURCE], days: { from: \"2020-01-20\", to: \"2020-02-01\" }) {\n    groups { keys { day source } count runningTotal }\n  }\n}\n",
    ),
    (
        "外地协查通报",
        "# 外地发来的协查通报（按发函单位，4201 即武汉市全部）及其人员\nquery Notices {\n  notices(filter: { sendingJurisdiction: \"4201\" }, first: 20) {\n    totalCount\n    edges { node { number sender sendDate recordCount\n      records { recordId person { id name hubeiLink firstReported } } } }\n  }\n}\n",
    ),
    (
        "变更历史",
        "# 登记册的变更历史：新建、关联、合并、拆分、人工裁定\nquery History {\n  events(last: 20, filter: { kinds: [MERGE, SPLIT, DECISION] }) {\n    totalCount\n    edges { node { id kind at actor personId otherPersonId detail } }\n  }\n}\n",
    ),
    (
        "实时变更（订阅）",
        "# 每次导入或裁定提交后推送\nsubscription Changes {\n  registerChanges {\n    kind at batchIds eventCount\n    events(first: 20) { kind person { id name } }\n  }\n}\n",
    ),
    (
        "看板实时计数（订阅）",
        "# 开始时推送一次，此后每次导入或裁定提交后推送（DASHBOARD 令牌可用，小组计数隐去）\nsubscription Counts {\n  statsChanged {\n    persons batches suppressedBelow\n    byLocationStatus { status count }\n    byHubeiLink { link count }\n  }\n}\n",
    ),
    (
        "导出名单（CSV/XLSX）",
        "# 按筛选条件导出人员名单（按角色脱敏，写入审计日志）；用同一令牌 GET 返回的 url 下载，1 小时内有效\nmutation ExportInCounty {\n  exportPersons(filter: { locationStatus: IN_COUNTY }, format: XLSX) {\n    url rows expiresAt\n  }\n}\n",
    ),
];

/// The operation type a query document would run, when it can be told.
fn operation_type(query: &str, operation_name: Option<&str>) -> Option<OperationType> {
    let document = async_graphql::parser::parse_query(query).ok()?;
    crate::graphql::operation_type(&document, operation_name)
}

/// True when a request names a persisted query (automatic persisted queries): it may come
/// without its query text.
fn is_persisted(request: &async_graphql::Request) -> bool {
    request.extensions.contains_key("persistedQuery")
}

fn method_not_allowed(media: MediaType) -> Response {
    let mut response = request_error(
        StatusCode::METHOD_NOT_ALLOWED,
        media,
        crate::graphql::MUTATION_NOT_ALLOWED,
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

async fn graphql_get(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let query_string = request.uri().query().unwrap_or("");
    if is_graphiql_page(request.method(), &headers, query_string) {
        return graphiql::page(EXAMPLES);
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let gql_request = match async_graphql::http::parse_query_string(query_string) {
        Ok(r) => r,
        Err(e) => return request_error(StatusCode::BAD_REQUEST, media, &e.to_string()),
    };
    if gql_request.query.trim().is_empty() && !is_persisted(&gql_request) {
        return request_error(StatusCode::BAD_REQUEST, media, "missing query");
    }
    if operation_type(&gql_request.query, gql_request.operation_name.as_deref())
        == Some(OperationType::Mutation)
    {
        return method_not_allowed(media);
    }
    let read_only = crate::graphql::ReadOnly {
        operation_name: gql_request.operation_name.clone(),
    };
    let gql_request = match principal {
        Some(Extension(principal)) => gql_request.data(principal),
        None => gql_request,
    }
    .data(state.access.clone())
    .data(state.exports.clone())
    .data(RequestBudget::default());
    let persisted = is_persisted(&gql_request);
    let response = state.schema.execute(gql_request.data(read_only)).await;
    // A persisted mutation named by its hash alone is only recognised once looked up.
    if response
        .errors
        .first()
        .is_some_and(|e| e.message == crate::graphql::MUTATION_NOT_ALLOWED)
    {
        return method_not_allowed(media);
    }
    let cacheable = persisted && response.errors.is_empty();
    let rendered = render(BatchResponse::Single(response), media);
    if cacheable {
        return with_etag(rendered, &headers).await;
    }
    rendered
}

/// A persisted query's answer with a strong `ETag` (the sha256 of its body) and
/// `Cache-Control: private, no-cache`: a client may keep it but asks again each time, and a
/// request whose `If-None-Match` names the ETag is answered `304 Not Modified` without a body.
/// The answer depends on the caller's token, hence `private` and `Vary: Authorization`.
async fn with_etag(response: Response, request: &HeaderMap) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(Sha256::digest(&bytes)));
    let Ok(etag) = HeaderValue::from_str(&etag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let headers = &mut parts.headers;
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("authorization, accept"),
    );
    headers.insert(header::ETAG, etag.clone());
    if parts.status == StatusCode::OK && none_match(request, &etag) {
        let mut not_modified = Response::new(Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, value.clone());
            }
        }
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// True when the request's `If-None-Match` names `etag` (or is `*`); weak tags compare by
/// their value, as RFC 9110 has it for `If-None-Match`.
fn none_match(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

async fn graphql_post(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let supported = content_type.as_deref().is_some_and(|ct| {
        let ct = ct.to_ascii_lowercase();
        ct.starts_with(APPLICATION_JSON)
            || ct.starts_with(GRAPHQL_RESPONSE_JSON)
            || ct.starts_with("multipart/form-data")
    });
    if !supported {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "Content-Type must be application/json or multipart/form-data",
        );
    }
    let limit = state.limits.body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut data = body.into_data_stream();
    if declared.is_some_and(|n| n > limit) {
        drain(&mut data, limit).await;
        return too_large(media, limit);
    }
    // The body is read as a stream (uploads go to a temporary file), so the size limit is
    // counted here: axum's DefaultBodyLimit does not apply to a raw `Body`.
    let exceeded = Arc::new(AtomicBool::new(false));
    let mut seen = 0usize;
    let flag = Arc::clone(&exceeded);
    let stream = (&mut data).map_err(io::Error::other).map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len());
        if seen > limit {
            flag.store(true, Ordering::Relaxed);
            return Err(io::Error::other("request body too large"));
        }
        Ok(chunk)
    });
    let reader = StreamReader::new(stream).compat();
    let options = MultipartOptions::default()
        .max_file_size(state.limits.upload_bytes)
        .max_num_files(4);
    let received = async_graphql::http::receive_batch_body(content_type, reader, options).await;
    let batch = match received {
        Ok(batch) => batch,
        Err(ParseRequestError::PayloadTooLarge) => {
            drain(&mut data, limit).await;
            return too_large(media, state.limits.upload_bytes);
        }
        Err(_) if exceeded.load(Ordering::Relaxed) => {
            drain(&mut data, limit).await;
            return too_large(media, limit);
        }
        Err(e) => return request_error(StatusCode::BAD_REQUEST, media, &e.to_string()),
    };
    let batch = match batch {
        BatchRequest::Single(r) if r.query.trim().is_empty() && !is_persisted(&r) => {
            return request_error(StatusCode::BAD_REQUEST, media, "missing query");
        }
        BatchRequest::Batch(requests) if requests.is_empty() || requests.len() > MAX_BATCH => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                &format!("批量请求须含 1 至 {MAX_BATCH} 个操作"),
            );
        }
        other => other,
    };
    // One budget for the whole batch: its operations are limited together.
    let batch = match principal {
        Some(Extension(principal)) => batch.data(principal),
        None => batch,
    }
    .data(state.access.clone())
    .data(state.exports.clone())
    .data(RequestBudget::default());
    render(state.schema.execute_batch(batch).await, media)
}

/// Reads and discards the rest of a body refused as too large (`limit` being the body limit), at
/// most twice the limit more and for at most [`DRAIN_TIME`], before the 413 answer goes out. A
/// server that answers and closes while the client is still sending makes the client's next
/// write fail (a broken pipe or a reset), and the client never reads the answer; draining lets a
/// client that sent up to twice the limit see why it was refused. A larger body is cut off all
/// the same.
async fn drain(data: &mut axum::body::BodyDataStream, limit: usize) {
    let allowance = limit.saturating_mul(2);
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

/// GraphQL over a WebSocket. The connection is accepted only once its `connection_init`
/// payload carries a valid token (`{"Authorization": "Bearer …"}`); each of its operations is
/// then checked as an HTTP request is (`http/ws.rs`).
async fn graphql_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(protocol) = ws::protocol(&headers) else {
        return request_error(
            StatusCode::BAD_REQUEST,
            MediaType::Json,
            "Sec-WebSocket-Protocol must offer graphql-transport-ws or graphql-ws",
        );
    };
    let AppState {
        schema,
        access,
        limits,
        ..
    } = state;
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| ws::serve(socket, schema, access, limits, protocol))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn accept_chooses_the_media_type() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(MediaType::Json));
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(MediaType::GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(&accept("application/json")),
            Some(MediaType::Json)
        );
        assert_eq!(negotiate(&accept("text/plain")), None);
        assert_eq!(negotiate(&accept("*/*")), Some(MediaType::Json));
    }

    #[test]
    fn a_mutation_is_recognised_by_its_operation() {
        assert_eq!(
            operation_type("mutation { x }", None),
            Some(OperationType::Mutation)
        );
        assert_eq!(
            operation_type("query A { x } mutation B { y }", Some("A")),
            Some(OperationType::Query)
        );
    }
}
