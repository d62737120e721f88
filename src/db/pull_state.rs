//! `pull_state`: what was last pulled from an upstream list's URL.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pull_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// sha256 (hex) of the last list imported from the URL.
    pub content_sha256: Option<String>,
    pub batch_id: Option<i64>,
    pub pulled_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
