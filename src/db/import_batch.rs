//! `import_batch`: one file imported from one source.

use crate::intake::SourceKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "import_batch")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub source: SourceKind,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    pub imported_by: String,
    pub imported_at: DateTimeUtc,
    pub rows_read: i32,
    pub rows_accepted: i32,
    pub rows_rejected: i32,
    pub records_new: i32,
    pub records_unchanged: i32,
    pub records_new_version: i32,
    pub persons_created: i32,
    pub persons_matched: i32,
    pub rejected: String,
    /// External notices in the file.
    pub notices: i32,
    /// Record IDs that arrived for another person (JSON list of `RecordIdConflict`).
    pub record_id_conflicts: String,
    /// The `match_model` its records were matched with (none before that was recorded, or
    /// when the batch wrote no record).
    pub model_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
