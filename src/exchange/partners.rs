//! The registry of partner hubs: the jurisdictions we exchange with, each with its GB/T 2260
//! code, name, base URL and the one secret both hubs sign with.
//!
//! The secret is kept in the register's database (`partner.secret`), not a hash of it as a
//! token is: HMAC needs it to verify a partner's requests and to sign ours. It is sealed under
//! `PAICHA_SECRETS_KEY` when that is set (see [`super::sealing`]). It is shown once, when it is
//! made (`partner add`, `rotate-secret`), and never served again by any command or query; a
//! leaked secret is replaced with `rotate-secret` on both hubs.
//!
//! Every request looks its partner up in the database, so a partner added, rotated or removed
//! while the server runs counts at once.

use chrono::{DateTime, Utc};
use rand::{RngCore as _, SeedableRng as _};
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait};
use sea_orm::{EntityTrait as _, QueryFilter as _, QueryOrder as _};

use super::sealing::{self, SealingKey};
use crate::db::{self, partner};
use crate::error::AppError;
use crate::normalize::Divisions;
use crate::register::Register;

/// Random bytes in a generated secret (256 bits), written as 64 hex digits.
const SECRET_BYTES: usize = 32;
/// Fewest characters a secret given with `--secret` must have.
pub const MIN_SECRET_CHARS: usize = 32;

/// A partner as it is listed: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Partner {
    /// GB/T 2260 code of its jurisdiction.
    pub code: String,
    pub name: String,
    pub base_url: String,
    pub created_at: DateTime<Utc>,
    /// When its secret was last replaced (`None`: never).
    pub rotated_at: Option<DateTime<Utc>>,
}

impl From<partner::Model> for Partner {
    fn from(row: partner::Model) -> Self {
        Self {
            code: row.code,
            name: row.name,
            base_url: row.base_url,
            created_at: row.created_at,
            rotated_at: row.rotated_at,
        }
    }
}

/// A partner just added or given a new secret, with the secret: shown this once.
#[derive(Debug, Clone)]
pub struct WithSecret {
    pub partner: Partner,
    pub secret: String,
}

/// A partner to add, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerSpec {
    pub code: String,
    pub name: String,
    pub base_url: String,
    /// The secret to share; a new one is made when `None`.
    pub secret: Option<String>,
}

impl PartnerSpec {
    /// Checks a partner: `code` a county, city or province of the national division table,
    /// `name` not empty, `base_url` an `http(s)` URL, `secret` (when given) at least
    /// [`MIN_SECRET_CHARS`] visible ASCII characters.
    pub fn parse(
        divisions: &Divisions,
        code: &str,
        name: &str,
        base_url: &str,
        secret: Option<&str>,
    ) -> Result<Self, AppError> {
        let code = code.trim();
        if code.len() != 6 || divisions.get(code).is_none() {
            return Err(AppError::BadInput(format!(
                "“{code}”不是全国行政区划表（GB/T 2260）中的六位代码"
            )));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::BadInput("协作单位名称不能为空".into()));
        }
        let base_url = parse_url(base_url)?;
        let secret = secret.map(check_secret).transpose()?;
        Ok(Self {
            code: code.to_owned(),
            name: name.to_owned(),
            base_url,
            secret,
        })
    }
}

/// An `http(s)` URL, as given (trimmed).
pub fn parse_url(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    let url = reqwest::Url::parse(text)
        .map_err(|e| AppError::BadInput(format!("无法识别网址“{text}”：{e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(AppError::BadInput(format!(
            "网址“{text}”须以 http:// 或 https:// 开头并含主机名"
        )));
    }
    Ok(text.to_owned())
}

fn check_secret(secret: &str) -> Result<String, AppError> {
    let secret = secret.trim();
    if secret.chars().count() < MIN_SECRET_CHARS
        || !secret.bytes().all(|b| b.is_ascii_graphic())
        || secret.starts_with(sealing::SEALED_PREFIX)
    {
        return Err(AppError::BadInput(format!(
            "共享密钥须为至少 {MIN_SECRET_CHARS} 个可见 ASCII 字符（不给出时自动生成）"
        )));
    }
    Ok(secret.to_owned())
}

/// A new secret: 256 random bits from the operating system, as 64 hex digits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::StdRng::from_os_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The partner with `code`, its `secret` as stored (sealed or not).
async fn find_stored(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<partner::Model>, AppError> {
    Ok(partner::Entity::find()
        .filter(partner::Column::Code.eq(code))
        .one(conn)
        .await?)
}

/// The partner with `code`, its secret opened (for signing and verifying only).
pub async fn find(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<partner::Model>, AppError> {
    let Some(mut row) = find_stored(conn, code).await? else {
        return Ok(None);
    };
    let key = SealingKey::from_env()?;
    row.secret = sealing::open(key.as_ref(), &row.code, &row.secret)?;
    Ok(Some(row))
}

impl Register {
    /// Adds a partner hub; its secret (the one given, or a new one) is returned this once.
    /// A code already registered is a `CONFLICT`.
    #[tracing::instrument(skip_all, fields(partner = %spec.code), err(level = "debug", Debug))]
    pub async fn add_partner(&self, spec: PartnerSpec) -> Result<WithSecret, AppError> {
        let write = self.db().write("a new partner").await?;
        if find_stored(&write.txn, &spec.code).await?.is_some() {
            return Err(AppError::Conflict(format!(
                "协作单位 {} 已登记；更换密钥请用 rotate-secret",
                spec.code
            )));
        }
        let secret = spec.secret.unwrap_or_else(new_secret);
        let stored = sealing::seal(SealingKey::from_env()?.as_ref(), &spec.code, &secret)?;
        let row = partner::ActiveModel {
            id: Set(db::next_id(&write.txn, "partner").await?),
            code: Set(spec.code),
            name: Set(spec.name),
            base_url: Set(spec.base_url),
            secret: Set(stored),
            created_at: Set(Utc::now()),
            rotated_at: Set(None),
        }
        .insert(&write.txn)
        .await?;
        write.commit().await?;
        tracing::info!(partner = %row.code, "partner added");
        Ok(WithSecret {
            partner: row.into(),
            secret,
        })
    }

    /// Every partner hub, by code (never a secret).
    pub async fn partners(&self) -> Result<Vec<Partner>, AppError> {
        Ok(partner::Entity::find()
            .order_by_asc(partner::Column::Code)
            .all(&self.db().conn)
            .await?
            .into_iter()
            .map(Partner::from)
            .collect())
    }

    /// Removes the partner with `code`: its requests are refused from now on. False when
    /// there was none.
    #[tracing::instrument(skip_all, fields(partner = %code), err(level = "debug", Debug))]
    pub async fn remove_partner(&self, code: &str) -> Result<bool, AppError> {
        let write = self.db().write("a partner's removal").await?;
        let removed = partner::Entity::delete_many()
            .filter(partner::Column::Code.eq(code.trim()))
            .exec(&write.txn)
            .await?
            .rows_affected
            > 0;
        write.commit().await?;
        if removed {
            tracing::info!(partner = %code, "partner removed");
        }
        Ok(removed)
    }

    /// Gives the partner with `code` a new secret (the one given, or a new one), returned this
    /// once; the old one stops working at once. `NOT_FOUND` when there is no such partner.
    #[tracing::instrument(skip_all, fields(partner = %code), err(level = "debug", Debug))]
    pub async fn rotate_partner_secret(
        &self,
        code: &str,
        secret: Option<&str>,
    ) -> Result<WithSecret, AppError> {
        let secret = match secret {
            Some(s) => check_secret(s)?,
            None => new_secret(),
        };
        let write = self.db().write("a partner's new secret").await?;
        let row = find_stored(&write.txn, code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("没有代码为 {code} 的协作单位")))?;
        let stored = sealing::seal(SealingKey::from_env()?.as_ref(), &row.code, &secret)?;
        let mut active: partner::ActiveModel = row.into();
        active.secret = Set(stored);
        active.rotated_at = Set(Some(Utc::now()));
        let row = active.update(&write.txn).await?;
        write.commit().await?;
        tracing::info!(partner = %row.code, "partner secret rotated");
        Ok(WithSecret {
            partner: row.into(),
            secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partner_needs_a_known_code_a_name_and_an_http_url() {
        let d = Divisions::embedded();
        let ok = PartnerSpec::parse(d, "420102", "武汉市江岸区", "http://127.0.0.1:9/", None)
            .expect("valid");
        assert_eq!(ok.code, "420102");
        for (code, name, url) in [
            ("999999", "x", "http://h/"),
            ("4201", "x", "http://h/"),
            ("420102", " ", "http://h/"),
            ("420102", "x", "ftp://h/"),
            ("420102", "x", "not a url"),
        ] {
            assert!(
                matches!(
                    PartnerSpec::parse(d, code, name, url, None),
                    Err(AppError::BadInput(_))
                ),
                "{code} {name} {url}"
            );
        }
    }

    #[test]
    fn a_given_secret_must_be_long_enough_and_a_new_one_is_random() {
        let d = Divisions::embedded();
        let short = PartnerSpec::parse(d, "420102", "x", "http://h/", Some("short"));
        assert!(matches!(short, Err(AppError::BadInput(_))));
        let long = "s".repeat(MIN_SECRET_CHARS);
        let given = PartnerSpec::parse(d, "420102", "x", "http://h/", Some(&long));
        assert_eq!(given.expect("valid").secret.as_deref(), Some(long.as_str()));
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
