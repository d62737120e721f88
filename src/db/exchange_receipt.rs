//! `exchange_receipt`: a signed request a partner's hub made of ours, with the answer it got.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exchange_receipt")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub partner_code: String,
    pub idempotency_key: String,
    /// sha256 (hex) of the method, path and body: the same key with another body is refused.
    pub request_sha256: String,
    pub batch_id: Option<i64>,
    /// The JSON answer given the first time, given again to every replay.
    pub answer: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
