//! `GET /letters/{id}.{pdf|html|csv|xlsx}`: a letter's documents, rendered on request.
//!
//! A token is required (the route is behind [`super::admit`]) and must be one that reads
//! letters (ADMIN, ANALYST, CLERK, or a PARTNER for a letter sent to its jurisdiction);
//! a letter the token may not see answers 404 like one that does not exist. A document holds
//! its persons' ID numbers and phones unmasked: every download is written to the audit log as
//! an unmasked read, before the file leaves.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, MediaType, error_response};
use crate::access::Principal;
use crate::access::audit::{self, AuditEntry, AuditKind};
use crate::access::guard::{Permission, Scope};
use crate::error::{AppError, code};
use crate::letters::document::DocumentFormat;
use crate::letters::render::render;
use crate::register::Register;

/// The HTTP status of an error of the register or the renderer.
fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::BadInput(_) => StatusCode::BAD_REQUEST,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Busy(_) | AppError::StorageFull(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn failed(error: &AppError) -> Response {
    if let AppError::Internal(cause) = error {
        tracing::error!(error = format!("{cause:#}"), "a letter's document failed");
    }
    error_response(
        status_of(error),
        MediaType::Json,
        error.code(),
        error.message(),
    )
}

/// Serves one document of one letter.
pub(super) async fn document(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    Path(name): Path<String>,
) -> Response {
    let Some(Extension(principal)) = principal else {
        let mut response = error_response(
            StatusCode::UNAUTHORIZED,
            MediaType::Json,
            code::UNAUTHENTICATED,
            "需要令牌：请在 Authorization 头中提供 Bearer 令牌",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    };
    if !Permission::ReadLetters.allows(principal.role) {
        return failed(&crate::access::guard::forbidden(principal.role));
    }
    let not_found = || AppError::NotFound(format!("没有函件文件“{name}”"));
    let Some((id, format)) = name.rsplit_once('.').and_then(|(id, extension)| {
        Some((
            id.parse::<i64>().ok()?,
            DocumentFormat::from_extension(extension)?,
        ))
    }) else {
        return failed(&not_found());
    };
    let Some(register) = state.schema.data::<Register>() else {
        return failed(&AppError::Internal(anyhow::anyhow!(
            "no register in the schema"
        )));
    };
    let letter = match register.letter(id).await {
        Ok(Some(letter)) => letter,
        Ok(None) => return failed(&not_found()),
        Err(e) => return failed(&e),
    };
    let scope = Scope {
        township: None,
        jurisdiction: letter.jurisdiction_code.as_deref(),
    };
    let partner_early = principal.role == crate::access::Role::Partner
        && !crate::graphql::letters::sent(letter.state);
    if !principal.may_see(scope) || partner_early {
        return failed(&not_found());
    }
    let document = match register.letter_document(id).await {
        Ok(document) => document,
        Err(e) => return failed(&e),
    };
    let bytes = match render(&document, format) {
        Ok(bytes) => bytes,
        Err(e) => return failed(&e),
    };
    let mut entry = AuditEntry::by(
        Some(&principal),
        AuditKind::UnmaskedRead,
        format!("GET /letters/{name}"),
    );
    entry.persons = document.persons.iter().map(|p| p.person_id).collect();
    entry.persons.sort_unstable();
    entry.fields = ["idNumber", "phones"].map(str::to_owned).to_vec();
    // On disk before the file leaves: no letter is downloaded unaudited.
    if let Err(e) = audit::record(register.db().audit(), &entry).await {
        return failed(&e);
    }
    let file = match &letter.number {
        Some(_) => format!("letter-{id}.{}", format.extension()),
        None => format!("letter-{id}-draft.{}", format.extension()),
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
