//! `observation`: a person's home medical observation (居家医学观察), one per person who has
//! been in the county.

use crate::states::ObservationState;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "observation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: i64,
    /// The person's township, for scope (copied from the person at each update).
    pub township: Option<String>,
    pub state: ObservationState,
    /// Day 1.
    pub start_date: Date,
    /// The last day under observation.
    pub end_date: Date,
    /// Where a transferred person went.
    pub place: Option<String>,
    pub note: Option<String>,
    /// The state was set by hand (`updateObservation`): automatic changes leave it.
    pub manual: bool,
    /// The person is in the county now; false once they are not (the row stays).
    pub active: bool,
    /// When the register first placed the person in the county: checks due before are not
    /// counted as missed.
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
