//! `partner`: a jurisdiction whose paicha hub we exchange with, and the secret shared with it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "partner")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// GB/T 2260 code of the partner's jurisdiction.
    pub code: String,
    pub name: String,
    /// Where its hub answers (`https://hub.example/`).
    pub base_url: String,
    /// The shared secret (hex) both hubs sign with; never served.
    pub secret: String,
    pub created_at: DateTimeUtc,
    pub rotated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
