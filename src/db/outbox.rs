//! `outbox`: a letter waiting to be (or once) delivered to a partner hub, with the exact
//! request every attempt sends.

use crate::states::{OutboxKind, OutboxState};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub letter_id: i64,
    /// The partner hub it goes to (its GB/T 2260 code); its URL and secret are read at each
    /// attempt, so a partner moved or given a new secret counts at once.
    pub partner_code: String,
    pub kind: OutboxKind,
    /// The path on the partner's hub (`/api/v1/notices`, `/api/v1/letters/…/replies`),
    /// percent-encoded, as signed.
    pub path: String,
    pub idempotency_key: String,
    /// The JSON body, the same bytes at every attempt.
    pub body: String,
    pub state: OutboxState,
    /// Attempts begun so far.
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// Until when the server that claimed it is trying it.
    pub lease_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
