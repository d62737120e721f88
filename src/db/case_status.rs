//! `case_status`: a case status recorded for a person (suspected, confirmed, ruled out,
//! recovered). A person's status on a day is the latest recording dated on or before it.

use crate::states::CaseStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "case_status")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub person_id: i64,
    pub status: CaseStatus,
    /// The day the status holds from.
    pub date: Date,
    pub note: Option<String>,
    /// Who recorded it: the token's role and ID.
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
