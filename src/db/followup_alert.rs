//! `followup_alert`: a fever or a missed check of a person under observation.

use crate::states::{AlertKind, AlertState, Slot};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "followup_alert")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub person_id: i64,
    /// The person's township when raised, for scope.
    pub township: Option<String>,
    pub kind: AlertKind,
    /// The day and slot of the check.
    pub date: Date,
    pub slot: Slot,
    /// The reading, for a fever.
    pub celsius: Option<f64>,
    pub state: AlertState,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
