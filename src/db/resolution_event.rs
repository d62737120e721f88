//! `resolution_event`: the append-only history of how the register came to be as it is.

use crate::states::EventKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "resolution_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub kind: EventKind,
    pub person_id: i64,
    pub other_person_id: Option<i64>,
    pub source_record_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub actor: String,
    pub at: DateTimeUtc,
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
