//! `daily_report`: one filing of a township's daily report (日报告、零报告) for a day. A later
//! filing of the same township and day supersedes the earlier one, which is kept.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// The canonical township of the county.
    pub township: String,
    /// The day reported on.
    pub date: Date,
    /// New persons the township found that day (zero is a report).
    pub new_persons: i64,
    pub note: Option<String>,
    /// Who filed it: the token's role and ID, or the sheet's file name.
    pub filed_by: String,
    pub filed_at: DateTimeUtc,
    /// A later filing of the same township and day counts instead.
    pub superseded: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
