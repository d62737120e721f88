//! `letter_event`: what happened to a letter and its persons, oldest first.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub letter_id: i64,
    /// The person concerned, for events of one person.
    pub person_id: Option<i64>,
    /// `DRAFTED`, `PERSON_ADDED`, `ISSUED`, `ACKNOWLEDGED`, `REPLY`, `CANCELLED`,
    /// `PERSON_LEFT` (came back into the county), `PERSON_MERGED`.
    pub kind: String,
    pub detail: String,
    pub actor: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
