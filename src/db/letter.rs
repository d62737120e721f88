//! `letter`: a notification letter (协查函) or a reply to a notice (回函).

use crate::states::{LetterChannel, LetterKind, LetterState};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "letter")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub kind: LetterKind,
    pub state: LetterState,
    /// The addressed jurisdiction's GB/T 2260 code (county, city or province level); `None`
    /// for a reply to a notice whose sender did not resolve to a division.
    pub jurisdiction_code: Option<String>,
    /// The addressed jurisdiction's name (`孝南区`, `武汉市`).
    pub jurisdiction_name: String,
    /// For a reply: the notice answered.
    pub notice_id: Option<i64>,
    /// The year of the number's series and the number in it, given at issue.
    pub year: Option<i32>,
    pub serial: Option<i32>,
    /// The number as printed (`青溪防指函〔2020〕7号`).
    pub number: Option<String>,
    pub channel: Option<LetterChannel>,
    pub drafted_by: String,
    pub created_at: DateTimeUtc,
    /// The county's day of issue (the letter's date).
    pub issued_on: Option<Date>,
    pub issued_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub replied_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::access::guard::ScopedEntity for Entity {
    fn township_column() -> Option<Column> {
        None
    }

    fn jurisdiction_column() -> Option<Column> {
        Some(Column::JurisdictionCode)
    }
}
