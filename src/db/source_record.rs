//! `source_record`: one version of one row of a source, raw and normalised, kept forever.

use crate::intake::SourceKind;
use crate::normalize::{IdClass, Sex};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "source_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub batch_id: i64,
    pub source: SourceKind,
    pub record_id: String,
    /// Who the record ID belongs to (see `register::import::record_scope`): a record ID is
    /// unique only within its sender.
    pub record_scope: String,
    pub version: i32,
    pub is_current: bool,
    pub row_number: i32,
    pub notice_id: Option<i64>,
    pub raw: String,
    pub content_hash: String,
    pub name: Option<String>,
    pub name_pinyin: Option<String>,
    pub id_number: Option<String>,
    pub id_class: Option<IdClass>,
    pub phones: String,
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    pub township: Option<String>,
    pub village: Option<String>,
    pub jurisdiction_code: Option<String>,
    pub arrival_date: Option<Date>,
    pub report_date: Option<Date>,
    pub normalized: String,
    pub problems: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_one = "super::record_link::Entity")]
    RecordLink,
}

impl Related<super::record_link::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RecordLink.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
