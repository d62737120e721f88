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
}

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
    /// Anything else: `INTERNAL` with a fixed message; the cause goes to the log only.
    Internal(anyhow::Error),
}

impl AppError {
    /// The message the client sees.
    pub fn message(&self) -> &str {
        match self {
            Self::BadInput(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Forbidden(m)
            | Self::Unauthenticated(m) => m,
            Self::Internal(_) => "internal error",
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
            Self::Internal(_) => code::INTERNAL,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Internal(err.into())
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
