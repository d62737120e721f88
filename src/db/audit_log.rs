//! `audit_log`: append-only record of every unmasked read of personal data and every change.

use crate::access::audit::AuditKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub token_id: Option<i64>,
    pub role: String,
    pub kind: AuditKind,
    pub operation: String,
    pub persons: String,
    pub fields: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
