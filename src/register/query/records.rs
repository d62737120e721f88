//! Source records and the import batches that brought them.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::page::{Page, PageArgs, page_of};
use crate::db::{import_batch, source_record};
use crate::error::AppError;
use crate::intake::{BatchReport, RecordIdConflict, RejectedRow, SourceKind};
use crate::register::Register;

/// Which source records to list.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub source: Option<SourceKind>,
    pub batch_id: Option<i64>,
    /// Include superseded versions too (default: current versions only).
    pub all_versions: bool,
}

impl Register {
    /// A page of source records, of those `visible` lets the caller see.
    pub async fn source_records(
        &self,
        filter: &RecordFilter,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<source_record::Model>, AppError> {
        let mut select = source_record::Entity::find().filter(visible);
        if !filter.all_versions {
            select = select.filter(source_record::Column::IsCurrent.eq(true));
        }
        if let Some(source) = filter.source {
            select = select.filter(source_record::Column::Source.eq(source.as_db()));
        }
        if let Some(batch) = filter.batch_id {
            select = select.filter(source_record::Column::BatchId.eq(batch));
        }
        page_of(select, source_record::Column::Id, args, &self.db.conn).await
    }

    /// A page of import batches, of those `visible` lets the caller see.
    pub async fn import_batches(
        &self,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<import_batch::Model>, AppError> {
        page_of(
            import_batch::Entity::find().filter(visible),
            import_batch::Column::Id,
            args,
            &self.db.conn,
        )
        .await
    }

    /// A source record version by ID.
    pub async fn source_record(&self, id: i64) -> Result<Option<source_record::Model>, AppError> {
        Ok(source_record::Entity::find_by_id(id)
            .one(&self.db.conn)
            .await?)
    }
}

/// The report of a stored batch; its stored rejected rows that cannot be read are an error.
pub fn batch_report(b: &import_batch::Model) -> Result<BatchReport, AppError> {
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    let rejected = serde_json::from_str::<Vec<RejectedRow>>(&b.rejected).map_err(|e| {
        // Where and what kind only: the rows' reasons may quote the file's values.
        anyhow::anyhow!(
            "reading the rejected rows of batch {}: {:?} error at line {} column {}",
            b.id,
            e.classify(),
            e.line(),
            e.column()
        )
    })?;
    let record_id_conflicts = serde_json::from_str::<Vec<RecordIdConflict>>(&b.record_id_conflicts)
        .map_err(|e| {
            anyhow::anyhow!(
                "reading the record ID conflicts of batch {}: {:?} error at line {} column {}",
                b.id,
                e.classify(),
                e.line(),
                e.column()
            )
        })?;
    Ok(BatchReport {
        batch_id: b.id,
        source: b.source,
        file_name: b.file_name.clone(),
        format: b.format.clone(),
        sha256: b.sha256.clone(),
        already_imported: false,
        rows_read: n(b.rows_read),
        rows_accepted: n(b.rows_accepted),
        rows_rejected: n(b.rows_rejected),
        rejected,
        records_new: n(b.records_new),
        records_unchanged: n(b.records_unchanged),
        records_new_version: n(b.records_new_version),
        persons_created: n(b.persons_created),
        persons_matched: n(b.persons_matched),
        notices: n(b.notices),
        record_id_conflicts,
    })
}
