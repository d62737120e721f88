//! `match_key_oversized`: blocking keys whose block grew past the profile's `max_block`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_key_oversized")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_hash: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
