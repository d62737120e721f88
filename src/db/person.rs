//! `person`: one entry of the register, with its golden record and location status.

use crate::normalize::Sex;
use crate::states::{HubeiLink, LocationStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub merged_into: Option<i64>,
    pub name: Option<String>,
    pub name_pinyin: Option<String>,
    pub id_number: Option<String>,
    pub phones: String,
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    pub address: Option<String>,
    pub township: Option<String>,
    pub village: Option<String>,
    pub location_status: LocationStatus,
    pub jurisdiction_code: Option<String>,
    pub jurisdiction_name: Option<String>,
    pub location_conflict: bool,
    pub hubei_link: HubeiLink,
    pub origin: Option<String>,
    pub arrival_date: Option<Date>,
    pub first_reported: Option<Date>,
    pub golden: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
