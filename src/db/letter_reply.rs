//! `letter_reply`: what a letter's addressee answered of one of its persons.

use crate::states::ReplyOutcome;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_reply")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub letter_id: i64,
    pub person_id: i64,
    pub outcome: ReplyOutcome,
    /// For `MOVED_ON`: where the person went, as a division code and name.
    pub place_code: Option<String>,
    pub place_name: Option<String>,
    pub note: Option<String>,
    /// The county's day the reply was recorded: its date as location evidence.
    pub replied_on: Date,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
