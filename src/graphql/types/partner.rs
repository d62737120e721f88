//! Partner hubs (hub-to-hub exchange): the jurisdictions whose paicha hubs we exchange
//! notices with. Their secrets are never served, except once in the answer that made them.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};

use crate::exchange::partners;

/// A partner hub: another jurisdiction's paicha, which signs its requests to ours with the
/// secret we share (and we ours to it).
#[derive(Debug, Clone, SimpleObject)]
pub struct Partner {
    /// GB/T 2260 code of its jurisdiction (sent as `X-Paicha-Partner`).
    pub code: String,
    /// Its name (`武汉市江岸区`).
    pub name: String,
    /// Where its hub answers.
    pub base_url: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When its secret was last replaced; null: never.
    pub rotated_at: Option<DateTime<Utc>>,
}

impl From<partners::Partner> for Partner {
    fn from(p: partners::Partner) -> Self {
        Self {
            code: p.code,
            name: p.name,
            base_url: p.base_url,
            created_at: p.created_at,
            rotated_at: p.rotated_at,
        }
    }
}

/// A partner just added or given a new secret, with that secret: shown this once and never
/// again; give it to the partner's administrator (`paicha partner add --secret …` there).
#[derive(Debug, Clone, SimpleObject)]
pub struct PartnerWithSecret {
    /// The partner.
    pub partner: Partner,
    /// The shared secret both hubs sign with (HMAC-SHA256).
    pub secret: String,
}

impl From<partners::WithSecret> for PartnerWithSecret {
    fn from(p: partners::WithSecret) -> Self {
        Self {
            partner: p.partner.into(),
            secret: p.secret,
        }
    }
}
