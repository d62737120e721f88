//! `delivery_attempt`: one attempt to deliver an outbox row, with the answer it got.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_attempt")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub outbox_id: i64,
    pub letter_id: i64,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub at: DateTimeUtc,
    /// The receiver's HTTP status; `None` when no answer came (refused, timed out).
    pub status: Option<i32>,
    /// What went wrong (the receiver's error code and message, or the transport's), without
    /// personal data; `None` for a delivery.
    pub error: Option<String>,
    pub took_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
