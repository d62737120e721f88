//! `followup_alert`: a fever or a missed check of a person under observation, or a township's
//! daily report missing (no person, no slot).

use crate::states::{AlertKind, AlertState, Slot};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "followup_alert")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// The person; none for an alert about a township (`REPORT_MISSING`).
    pub person_id: Option<i64>,
    /// The person's township when raised, for scope.
    pub township: Option<String>,
    pub kind: AlertKind,
    /// The day and slot of the check.
    pub date: Date,
    /// The check; none for a missing report.
    pub slot: Option<Slot>,
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
