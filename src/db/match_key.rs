//! `match_key`: the blocking keys of the register's records (a hash of rule and key each), the
//! index a batch is matched through.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_hash: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_record_id: i64,
    /// A hash of the record's valid full ID number; 0 when it has none.
    pub id_hash: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
