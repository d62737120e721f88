//! `match_model`: the trained match model of each resolution run.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_model")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub profile: String,
    pub trained_at: DateTimeUtc,
    pub model: String,
    pub blocking: String,
    /// The term frequencies the model was trained with (JSON; only common values).
    pub term_frequency: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
