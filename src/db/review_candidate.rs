//! `review_candidate`: a pair of records the engine could not decide, for an analyst. One row
//! per pair (`record_a < record_b`, unique): a pair keeps its ID across resolution runs.

use crate::states::ReviewState;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "review_candidate")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub record_a: i64,
    pub record_b: i64,
    #[sea_orm(column_type = "Double")]
    pub total_weight: f64,
    pub explanation: String,
    pub state: ReviewState,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// What the analyst wrote with the decision.
    pub note: Option<String>,
    /// Why a `WITHDRAWN` candidate left the queue, as the API says it.
    pub closed_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
