//! `household_link`: a phone-only person linked to the household whose shared phone it
//! carries (the `HOUSEHOLD` link kind), with the call its township is asked to make.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "household_link")]
pub struct Model {
    /// The first of the phone-only records.
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_record_id: i64,
    /// The person of the phone-only records (a person of their own: never merged into a
    /// member).
    pub person_id: i64,
    /// Every phone-only record of the link, as a JSON array of record IDs.
    pub records: String,
    /// The household members the records fit equally well, as a JSON array of person IDs.
    pub members: String,
    /// The address the members share.
    pub address: String,
    /// The township whose verification worklist gets the call (the members' township).
    pub township: Option<String>,
    /// The best pair's match weight (log2 odds).
    #[sea_orm(column_type = "Double")]
    pub weight: f64,
    /// Why the link was made, in the words a township officer reads.
    pub explanation: String,
    pub linked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
