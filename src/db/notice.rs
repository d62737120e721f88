//! `notice`: an external notice (协查函) from another jurisdiction; its persons are source records.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notice")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub batch_id: i64,
    pub notice_no: String,
    pub sending_jurisdiction: String,
    /// The GB/T 2260 code the sender's name resolves to (null when it does not).
    pub sending_jurisdiction_code: Option<String>,
    pub send_date: Option<Date>,
    pub contact: Option<String>,
    pub note: Option<String>,
    pub raw: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
