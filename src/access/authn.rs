//! Authentication: the bearer token of an HTTP request or of a WebSocket `connection_init`
//! payload becomes a [`Principal`]; and the rate limit each token — or, for a request without a
//! valid token, each client address — is held to.
//!
//! Access control is on for every server `paicha serve` starts ([`Access::required`]): a
//! request without a valid token is refused with `UNAUTHENTICATED`. [`Access::open`] exists
//! for the tests written before the guards were wired: there a request *without* a token runs
//! as [`Principal::unrestricted`], while a request *with* a token is still checked and runs as
//! that token.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, header};
use chrono::Utc;
use governor::clock::{Clock as _, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

use super::token::{self, Standing};
use super::{Principal, Session};
use crate::config::limits::DEFAULT_REQUESTS_PER_MINUTE;
use crate::db::Db;
use crate::error::AppError;

/// Whether requests must carry a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every request needs a valid token.
    Required,
    /// Requests without a token run unrestricted (tests only; see the module docs).
    Open,
}

/// Whose requests a rate counts: a token's (`None`: requests run without one, access control
/// off), or those of a client address that sent no valid token (`None`: the address is not
/// known, all such clients together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RateKey {
    Token(Option<i64>),
    Peer(Option<IpAddr>),
}

type Limiter = RateLimiter<RateKey, HashMapStateStore<RateKey>, DefaultClock>;

/// How a server authenticates its callers and limits their rate. Cheap to clone.
#[derive(Clone)]
pub struct Access {
    mode: Mode,
    pub(super) db: Db,
    limiter: Arc<Limiter>,
    clock: DefaultClock,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").field("mode", &self.mode).finish()
    }
}

impl Access {
    /// Every request needs a valid token of `db`'s `api_token` table.
    pub fn required(db: Db) -> Self {
        Self::new(Mode::Required, db)
    }

    /// Requests without a token run as [`Principal::unrestricted`]; tokens given are checked.
    pub fn open(db: Db) -> Self {
        Self::new(Mode::Open, db)
    }

    fn new(mode: Mode, db: Db) -> Self {
        let per_minute = NonZeroU32::new(DEFAULT_REQUESTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        Self {
            mode,
            db,
            limiter: Arc::new(RateLimiter::hashmap(quota(per_minute))),
            clock: DefaultClock::default(),
        }
    }

    /// Holds every token to `per_minute` requests a minute (bursts of a tenth of it, at least 1).
    #[must_use]
    pub fn with_rate_limit(mut self, per_minute: NonZeroU32) -> Self {
        self.limiter = Arc::new(RateLimiter::hashmap(quota(per_minute)));
        self
    }

    /// Whether requests must carry a token.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The caller of an HTTP request, from its `Authorization: Bearer …` header.
    pub async fn authenticate_headers(&self, headers: &HeaderMap) -> Result<Principal, AppError> {
        let value = match headers.get(header::AUTHORIZATION) {
            None => None,
            Some(v) => Some(v.to_str().map_err(|_| malformed())?),
        };
        self.authenticate_value(value).await
    }

    /// The caller of a WebSocket connection, from its `connection_init` payload
    /// `{ "Authorization": "Bearer …" }` (the key in any case).
    pub async fn authenticate_connection_init(
        &self,
        payload: &serde_json::Value,
    ) -> Result<Principal, AppError> {
        let value = connection_init_value(payload)?;
        self.authenticate_value(value).await
    }

    /// For async-graphql's WebSocket `on_connection_init`: the connection's data holding its
    /// caller, or the `UNAUTHENTICATED` error that closes it.
    pub async fn on_connection_init(
        &self,
        payload: serde_json::Value,
    ) -> async_graphql::Result<async_graphql::Data> {
        let principal = self.authenticate_connection_init(&payload).await?;
        let mut data = async_graphql::Data::default();
        data.insert(principal);
        Ok(data)
    }

    /// The [`Session`] of a WebSocket connection whose `connection_init` payload is
    /// `payload` (as [`Self::authenticate_connection_init`]).
    pub async fn open_session(&self, payload: &serde_json::Value) -> Result<Session, AppError> {
        let value = connection_init_value(payload)?;
        let standing = self.standing(value).await?;
        Ok(Session::new(self.clone(), standing))
    }

    async fn authenticate_value(&self, value: Option<&str>) -> Result<Principal, AppError> {
        Ok(self.standing(value).await?.principal)
    }

    async fn standing(&self, value: Option<&str>) -> Result<Standing, AppError> {
        let Some(value) = value else {
            return match self.mode {
                Mode::Open => Ok(Standing {
                    principal: Principal::unrestricted(),
                    expires_at: None,
                }),
                Mode::Required => Err(AppError::Unauthenticated(
                    "需要令牌：请在 Authorization 头中提供 Bearer 令牌".into(),
                )),
            };
        };
        let token = bearer(value).ok_or_else(malformed)?;
        token::standing(&self.db.conn, token, Utc::now()).await
    }

    /// Counts one request of `principal` against its token's rate: `Err(wait)` when the
    /// token must wait that long before its next request.
    pub fn check_rate(&self, principal: &Principal) -> Result<(), Duration> {
        self.check_key(RateKey::Token(principal.token_id))
    }

    /// Counts `requests` more against `principal`'s token, one at a time (a search costs as
    /// much as a request of its own): `Err(wait)` at the first the token may not make yet.
    pub fn charge(&self, principal: &Principal, requests: usize) -> Result<(), Duration> {
        (0..requests).try_for_each(|_| self.check_key(RateKey::Token(principal.token_id)))
    }

    /// Counts one request without a valid token against the address it came from (`None`:
    /// unknown, counted with every other unknown one), so that guessing tokens is as slow as
    /// using one.
    pub fn check_peer_rate(&self, peer: Option<IpAddr>) -> Result<(), Duration> {
        self.check_key(RateKey::Peer(peer))
    }

    fn check_key(&self, key: RateKey) -> Result<(), Duration> {
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

fn quota(per_minute: NonZeroU32) -> Quota {
    let burst = NonZeroU32::new(per_minute.get() / 10).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

/// The `Authorization` value of a `connection_init` payload (the key in any case).
fn connection_init_value(payload: &serde_json::Value) -> Result<Option<&str>, AppError> {
    match payload.as_object().and_then(|o| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v)
    }) {
        None => Ok(None),
        Some(v) => Ok(Some(v.as_str().ok_or_else(malformed)?)),
    }
}

fn malformed() -> AppError {
    AppError::Unauthenticated("Authorization 头格式应为“Bearer 令牌”".into())
}

/// The token of an `Authorization` value `Bearer …` (the scheme in any case).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer   abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
    }

    #[test]
    fn a_quota_allows_a_tenth_of_its_minute_at_once() {
        let limiter: Limiter = RateLimiter::hashmap(quota(NonZeroU32::new(20).expect("nonzero")));
        let one = RateKey::Token(Some(1));
        limiter.check_key(&one).expect("the first of the burst");
        limiter.check_key(&one).expect("the second of the burst");
        let refused = limiter.check_key(&one).expect_err("burst of 2 spent");
        // 20 a minute: the next request is allowed within 3 s.
        let wait = refused.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()));
        assert!(
            wait > std::time::Duration::ZERO && wait <= std::time::Duration::from_secs(3),
            "{wait:?}"
        );
        limiter
            .check_key(&RateKey::Token(Some(2)))
            .expect("per token");
        limiter
            .check_key(&RateKey::Peer(None))
            .expect("clients without a token apart");
    }
}
