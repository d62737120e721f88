//! `temperature_reading`: one temperature reading of a person under observation. A later
//! reading of the same day and slot supersedes the earlier one, which is kept.

use crate::states::Slot;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "temperature_reading")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub person_id: i64,
    /// The China date it was taken on.
    pub date: Date,
    pub slot: Slot,
    pub celsius: f64,
    pub taken_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
    /// A later reading of the same day and slot counts instead.
    pub superseded: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
