//! Whole tables for `paicha export`.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::{person, record_link, source_record};
use crate::error::AppError;
use crate::register::Register;

impl Register {
    /// Every current record as `(source, record_id, person_id)`, for `paicha export records`.
    pub async fn export_records(&self) -> Result<Vec<(String, String, i64)>, AppError> {
        let rows: Vec<(String, String, i64)> = source_record::Entity::find()
            .select_only()
            .column(source_record::Column::Source)
            .column(source_record::Column::RecordId)
            .column(record_link::Column::PersonId)
            .inner_join(record_link::Entity)
            .filter(source_record::Column::IsCurrent.eq(true))
            .order_by_asc(source_record::Column::Id)
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        Ok(rows)
    }

    /// Every person of the register (not the merged-away ones), by ID.
    pub async fn export_persons(&self) -> Result<Vec<person::Model>, AppError> {
        Ok(person::Entity::find()
            .filter(person::Column::MergedInto.is_null())
            .order_by_asc(person::Column::Id)
            .all(&self.db.conn)
            .await?)
    }
}
