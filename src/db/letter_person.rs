//! `letter_person`: a person on a letter's list.

use crate::states::LetterPersonStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_person")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub letter_id: i64,
    pub person_id: i64,
    /// `OPEN` on an open letter; at most one open entry per person.
    pub status: LetterPersonStatus,
    /// For a reply to a notice: what the register knows of the person, in words.
    pub finding: Option<String>,
    pub added_at: DateTimeUtc,
    pub left_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
