//! API tokens: created with a role and scope, shown once, stored only as a hash, revocable,
//! optionally expiring; and the lookup that turns a presented token into a [`Principal`].

use std::sync::LazyLock;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use rand::{RngCore as _, SeedableRng as _};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _,
    QueryFilter as _, QueryOrder as _,
};
use sha2::{Digest as _, Sha256};
use tokio::sync::watch;

use super::{Principal, Role};
use crate::config::Reference;
use crate::db::api_token;
use crate::error::AppError;

/// Every token starts with this, so a token pasted in the wrong place is recognisable.
pub const TOKEN_PREFIX: &str = "paicha_";

/// Random bytes in a token: 256 bits, beyond guessing, so a plain sha256 suffices to store it.
const TOKEN_BYTES: usize = 32;

/// A token to create, checked: the scope fits the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    pub role: Role,
    /// Canonical township name (`TOWNSHIP` only).
    pub township: Option<String>,
    /// Jurisdiction code (`PARTNER` only).
    pub partner: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Who the token is for.
    pub note: Option<String>,
}

impl TokenSpec {
    /// Checks the scope against the role and the reference data: a township token names a
    /// township of the county (any spelling the gazetteer knows; stored by its canonical name),
    /// a partner token a jurisdiction (a GB/T 2260 code or a place name); the other roles
    /// name neither.
    pub fn parse(
        role: Role,
        township: Option<&str>,
        partner: Option<&str>,
        reference: &Reference,
    ) -> Result<Self, AppError> {
        let township = match (role, township) {
            (Role::Township, Some(t)) => Some(
                reference
                    .gazetteer
                    .match_township(t)
                    .map(|m| m.township)
                    .ok_or_else(|| AppError::BadInput(format!("本县没有名为“{t}”的乡镇或街道")))?,
            ),
            (Role::Township, None) => {
                return Err(AppError::BadInput(
                    "TOWNSHIP 令牌必须用 --township 指定乡镇".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(AppError::BadInput(format!(
                    "只有 TOWNSHIP 令牌可以指定乡镇，{role} 不可以"
                )));
            }
            (_, None) => None,
        };
        let partner = match (role, partner) {
            (Role::Partner, Some(p)) => Some(jurisdiction_code(p, reference)?),
            (Role::Partner, None) => {
                return Err(AppError::BadInput(
                    "PARTNER 令牌必须用 --partner 指定辖区".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(AppError::BadInput(format!(
                    "只有 PARTNER 令牌可以指定辖区，{role} 不可以"
                )));
            }
            (_, None) => None,
        };
        Ok(Self {
            role,
            township,
            partner,
            expires_at: None,
            note: None,
        })
    }
}

/// The GB/T 2260 code of a jurisdiction given as a code or a place name.
fn jurisdiction_code(text: &str, reference: &Reference) -> Result<String, AppError> {
    let text = text.trim();
    let division = reference
        .divisions
        .get(text)
        .or_else(|| reference.divisions.resolve_place(text))
        .ok_or_else(|| {
            AppError::BadInput(format!("无法识别辖区“{text}”：请给出行政区划代码或名称"))
        })?;
    Ok(division.code.clone())
}

/// When a token given `--expires D` stops working: `D` is a number of days (`30d`) or hours
/// (`12h`), a date (`2020-03-01`: the token works through that day, China time) or an RFC 3339
/// instant.
pub fn parse_expiry(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    let text = text.trim();
    let bad = || {
        AppError::BadInput(format!(
            "无法识别有效期“{text}”：请写天数（30d）、小时数（12h）或日期（2020-03-01）"
        ))
    };
    let span = |digits: &str, unit: fn(i64) -> Option<Duration>| {
        digits
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .and_then(unit)
            .and_then(|d| now.checked_add_signed(d))
    };
    let at = if let Some(days) = text.strip_suffix('d') {
        span(days, Duration::try_days)
    } else if let Some(hours) = text.strip_suffix('h') {
        span(hours, Duration::try_hours)
    } else if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let china = FixedOffset::east_opt(8 * 3600).ok_or_else(bad)?;
        date.succ_opt()
            .and_then(|next| next.and_hms_opt(0, 0, 0))
            .and_then(|midnight| midnight.and_local_timezone(china).single())
            .map(|t| t.with_timezone(&Utc))
    } else {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    let at = at.ok_or_else(bad)?;
    if at <= now {
        return Err(AppError::BadInput(format!("有效期“{text}”已经过去")));
    }
    Ok(at)
}

/// A token just created: its row and the token itself, which is never shown again.
#[derive(Debug)]
pub struct Issued {
    pub row: api_token::Model,
    pub token: String,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::StdRng::from_os_rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// Creates a token; only its hash is stored.
pub async fn create(conn: &impl ConnectionTrait, spec: TokenSpec) -> Result<Issued, AppError> {
    let token = new_token();
    let row = api_token::ActiveModel {
        token_hash: Set(hash(&token)),
        role: Set(spec.role),
        township: Set(spec.township),
        partner: Set(spec.partner),
        note: Set(spec.note),
        created_at: Set(Utc::now()),
        expires_at: Set(spec.expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    tracing::info!(token.id = row.id, token.role = %row.role, "token created");
    Ok(Issued { row, token })
}

/// The note that marks the tokens `serve --demo` creates.
pub const DEMO_NOTE: &str = "serve --demo";

/// A fresh ADMIN token for `serve --demo`; the demo tokens of earlier starts are revoked, so
/// only the one printed last works.
pub async fn demo_admin(conn: &impl ConnectionTrait) -> Result<String, AppError> {
    let earlier = api_token::Entity::find()
        .filter(api_token::Column::Note.eq(DEMO_NOTE))
        .filter(api_token::Column::RevokedAt.is_null())
        .all(conn)
        .await?;
    for row in earlier {
        revoke(conn, row.id).await?;
    }
    let spec = TokenSpec {
        role: Role::Admin,
        township: None,
        partner: None,
        expires_at: None,
        note: Some(DEMO_NOTE.to_owned()),
    };
    Ok(create(conn, spec).await?.token)
}

/// Every token, oldest first (hashes included; callers show them to no one).
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<api_token::Model>, AppError> {
    Ok(api_token::Entity::find()
        .order_by_asc(api_token::Column::Id)
        .all(conn)
        .await?)
}

/// Revokes a token for good; `false` when it was revoked already.
pub async fn revoke(conn: &impl ConnectionTrait, id: i64) -> Result<bool, AppError> {
    let row = api_token::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("没有编号为 {id} 的令牌")))?;
    if row.revoked_at.is_some() {
        return Ok(false);
    }
    let mut active: api_token::ActiveModel = row.into();
    active.revoked_at = Set(Some(Utc::now()));
    active.update(conn).await?;
    tracing::info!(token.id = id, "token revoked");
    Ok(true)
}

/// The caller a presented token stands for: `UNAUTHENTICATED` when it is unknown, revoked or
/// expired at `now`.
pub async fn authenticate(
    conn: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Principal, AppError> {
    Ok(standing(conn, presented, now).await?.principal)
}

/// A token that works: the caller it stands for and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub principal: Principal,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Every revocation this process commits bumps this number, so a WebSocket connection
/// notices it without reading its token again on every operation ([`super::Session`]).
static REVOCATIONS: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// The number of revocations this process has committed, and word of the next one.
pub fn revocations() -> watch::Receiver<u64> {
    REVOCATIONS.subscribe()
}

/// Tells the open connections of this process that a token was revoked: called once the
/// revocation is committed.
pub fn announce_revocation() {
    REVOCATIONS.send_modify(|generation| *generation = generation.wrapping_add(1));
}

/// [`authenticate`], with the token's expiry.
pub async fn standing(
    conn: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Standing, AppError> {
    let presented = presented.trim();
    let invalid = || AppError::Unauthenticated("令牌无效".into());
    if !presented.starts_with(TOKEN_PREFIX)
        || presented.len() != TOKEN_PREFIX.len() + 2 * TOKEN_BYTES
    {
        return Err(invalid());
    }
    let row = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(presented)))
        .one(conn)
        .await?
        .ok_or_else(invalid)?;
    standing_of(&row, now)
}

/// Token `id` read again, as [`standing`] would find it at `now`.
pub async fn recheck(
    conn: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Standing, AppError> {
    let row = api_token::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("令牌无效".into()))?;
    standing_of(&row, now)
}

fn standing_of(row: &api_token::Model, now: DateTime<Utc>) -> Result<Standing, AppError> {
    if row.revoked_at.is_some() {
        return Err(revoked());
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Err(expired());
    }
    Ok(Standing {
        principal: principal_of(row)?,
        expires_at: row.expires_at,
    })
}

/// `UNAUTHENTICATED`: the token was revoked.
pub fn revoked() -> AppError {
    AppError::Unauthenticated("令牌已被吊销".into())
}

/// `UNAUTHENTICATED`: the token has expired.
pub fn expired() -> AppError {
    AppError::Unauthenticated("令牌已过期".into())
}

fn principal_of(row: &api_token::Model) -> Result<Principal, AppError> {
    Ok(Principal {
        token_id: Some(row.id),
        role: row.role,
        township: row.township.clone(),
        partner: row.partner.clone(),
    })
}

/// What a token row says of its state at `now`, for `paicha token list`.
pub fn status(row: &api_token::Model, now: DateTime<Utc>) -> &'static str {
    if row.revoked_at.is_some() {
        "revoked"
    } else if row.expires_at.is_some_and(|at| at <= now) {
        "expired"
    } else {
        "active"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Reference {
        Reference::load(None).expect("demo county")
    }

    /// The message of the `BAD_USER_INPUT` error `result` must be.
    fn bad_input<T: std::fmt::Debug>(result: Result<T, AppError>) -> String {
        match result {
            Err(AppError::BadInput(message)) => message,
            other => panic!("must be BAD_USER_INPUT: {other:?}"),
        }
    }

    #[test]
    fn a_township_token_stores_the_canonical_township() {
        let spec = TokenSpec::parse(Role::Township, Some("城關"), None, &reference())
            .expect("known township");
        assert_eq!(spec.township.as_deref(), Some("城关镇"));
        let unknown = bad_input(TokenSpec::parse(
            Role::Township,
            Some("火星镇"),
            None,
            &reference(),
        ));
        assert!(unknown.contains("火星镇"), "{unknown}");
        let missing = bad_input(TokenSpec::parse(Role::Township, None, None, &reference()));
        assert!(missing.contains("--township"), "{missing}");
    }

    #[test]
    fn a_partner_token_stores_a_jurisdiction_code() {
        let by_name = TokenSpec::parse(Role::Partner, None, Some("武汉市江岸区"), &reference())
            .expect("known place");
        assert_eq!(by_name.partner.as_deref(), Some("420102"));
        let by_code =
            TokenSpec::parse(Role::Partner, None, Some("420100"), &reference()).expect("code");
        assert_eq!(by_code.partner.as_deref(), Some("420100"));
    }

    #[test]
    fn only_township_and_partner_tokens_take_a_scope() {
        let r = reference();
        let township = bad_input(TokenSpec::parse(Role::Admin, Some("城关镇"), None, &r));
        assert!(
            township.contains("只有 TOWNSHIP 令牌可以指定乡镇"),
            "{township}"
        );
        let partner = bad_input(TokenSpec::parse(Role::Analyst, None, Some("420102"), &r));
        assert!(
            partner.contains("只有 PARTNER 令牌可以指定辖区"),
            "{partner}"
        );
        let both = bad_input(TokenSpec::parse(
            Role::Township,
            Some("城关镇"),
            Some("420102"),
            &r,
        ));
        assert!(both.contains("只有 PARTNER 令牌可以指定辖区"), "{both}");
        let dashboard = TokenSpec::parse(Role::Dashboard, None, None, &r).expect("no scope");
        assert_eq!((dashboard.township, dashboard.partner), (None, None));
    }

    #[test]
    fn expiry_is_given_in_days_hours_or_a_date() {
        let now = DateTime::parse_from_rfc3339("2020-02-01T10:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        assert_eq!(
            parse_expiry("30d", now).expect("days"),
            now + Duration::days(30)
        );
        assert_eq!(
            parse_expiry("12h", now).expect("hours"),
            now + Duration::hours(12)
        );
        // Through 2020-02-03 in China: until 2020-02-04 00:00 +08:00.
        assert_eq!(
            parse_expiry("2020-02-03", now).expect("date").to_rfc3339(),
            "2020-02-03T16:00:00+00:00"
        );
        let past = bad_input(parse_expiry("2020-01-01", now));
        assert!(past.contains("已经过去"), "in the past: {past}");
        for unreadable in ["0d", "soon"] {
            let message = bad_input(parse_expiry(unreadable, now));
            assert!(message.contains("无法识别有效期"), "{message}");
        }
    }

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
    }
}
