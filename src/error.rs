//! The one error type the API returns, and the codes clients branch on.

use async_graphql::ErrorExtensions as _;

/// `extensions.code` values of GraphQL errors.
pub mod code {
    /// The request was understood but its input is wrong; the message says what to fix.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// The object asked for does not exist.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The caller is known but may not do this.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// The caller did not prove who they are.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// The request conflicts with the register's current state.
    pub const CONFLICT: &str = "CONFLICT";
    /// Something failed inside paicha; details are in the server log, not in the response.
    pub const INTERNAL: &str = "INTERNAL";
    /// The caller's token sent more requests than its rate allows; retry after `Retry-After`.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The request ran longer than the server allows and was stopped; nothing of it was kept.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// Another write (an import, most often) held the register until the request's time ran
    /// out; nothing was written. Retry after `Retry-After` seconds (HTTP 503).
    pub const BUSY: &str = "BUSY";
    /// The disk holding the database is full; nothing of the write was kept.
    pub const STORAGE_FULL: &str = "STORAGE_FULL";
}

/// Seconds a client told `BUSY` is asked to wait before it retries.
pub const BUSY_RETRY_AFTER_SECS: u64 = 5;

/// What went wrong, as the client sees it.
///
/// Deliberately not `Display`: async-graphql turns any `Display` error into a GraphQL error
/// without a code, and every error of paicha's API must carry one. `?` in a resolver goes
/// through `From<AppError> for async_graphql::Error` below instead.
#[derive(Debug)]
pub enum AppError {
    /// The input cannot be used: `BAD_USER_INPUT` with this message.
    BadInput(String),
    /// No such object: `NOT_FOUND` with this message.
    NotFound(String),
    /// The request conflicts with the current state: `CONFLICT` with this message.
    Conflict(String),
    /// The caller's role or scope does not allow this: `FORBIDDEN` with this message.
    Forbidden(String),
    /// No valid token (missing, unknown, expired or revoked): `UNAUTHENTICATED` with this
    /// message.
    Unauthenticated(String),
    /// Another writer held the register until this one had to give up: `BUSY`, naming it.
    Busy(String),
    /// The disk is full: `STORAGE_FULL`, naming where the database is.
    StorageFull(String),
    /// Anything else: `INTERNAL` with a fixed message; the cause goes to the log only.
    Internal(anyhow::Error),
}

impl AppError {
    /// `BUSY`: the writer that held the register was `holder`.
    pub fn busy(holder: &str) -> Self {
        Self::Busy(format!(
            "登记册正由另一项写入占用（{holder}），本次未写入任何内容，请 {BUSY_RETRY_AFTER_SECS} 秒后重试"
        ))
    }

    /// `STORAGE_FULL`: the disk of the database at `location` is full.
    pub fn storage_full(location: &str) -> Self {
        Self::StorageFull(format!(
            "存储空间已满：{location} 所在的磁盘没有剩余空间，本次写入已撤销、未保存任何内容；请清理磁盘后重试"
        ))
    }

    /// The message the client sees.
    pub fn message(&self) -> &str {
        match self {
            Self::BadInput(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Forbidden(m)
            | Self::Unauthenticated(m)
            | Self::Busy(m)
            | Self::StorageFull(m) => m,
            Self::Internal(_) => "internal error",
        }
    }

    /// The database error behind this one, if it is an internal error caused by one.
    pub fn db_error(&self) -> Option<&sea_orm::DbErr> {
        match self {
            Self::Internal(cause) => cause.chain().find_map(|e| e.downcast_ref()),
            _ => None,
        }
    }

    /// For the command line, where the operator may see the cause of an internal error.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            Self::Internal(cause) => cause,
            other => anyhow::anyhow!("{}", other.message()),
        }
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadInput(_) => code::BAD_USER_INPUT,
            Self::NotFound(_) => code::NOT_FOUND,
            Self::Conflict(_) => code::CONFLICT,
            Self::Forbidden(_) => code::FORBIDDEN,
            Self::Unauthenticated(_) => code::UNAUTHENTICATED,
            Self::Busy(_) => code::BUSY,
            Self::StorageFull(_) => code::STORAGE_FULL,
            Self::Internal(_) => code::INTERNAL,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    /// A lock held too long and a full disk are the client's to hear of; anything else is
    /// internal. (The register names where its database is: [`crate::db::Db::explain`].)
    fn from(err: sea_orm::DbErr) -> Self {
        match crate::db::error_class(&err) {
            Some(crate::db::ErrorClass::Busy) => Self::busy("another writer"),
            Some(crate::db::ErrorClass::StorageFull) => Self::storage_full("the database"),
            _ => Self::Internal(err.into()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            // Logged once, here, where it leaves the server; never sent to the client.
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let code = err.code();
        async_graphql::Error::new(err.message()).extend_with(|_, e| e.set("code", code))
    }
}
