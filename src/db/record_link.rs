//! `record_link`: which person a source record version belongs to, and why.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "record_link")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_record_id: i64,
    pub person_id: i64,
    #[sea_orm(column_type = "Double")]
    pub weight: f64,
    pub rule: String,
    pub explanation: String,
    pub linked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::source_record::Entity",
        from = "Column::SourceRecordId",
        to = "super::source_record::Column::Id"
    )]
    SourceRecord,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id"
    )]
    Person,
}

impl ActiveModelBehavior for ActiveModel {}

impl Related<super::source_record::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SourceRecord.def()
    }
}
