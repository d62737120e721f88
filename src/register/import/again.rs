//! A file imported again: the earlier batch's report stands for it, and nothing is written.

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::db::import_batch;
use crate::error::AppError;
use crate::intake::{BatchReport, SourceKind};

/// The report of an earlier batch of the same file, if there was one.
pub(super) async fn already_imported(
    txn: &DatabaseTransaction,
    source: SourceKind,
    sha256: &str,
) -> Result<Option<BatchReport>, AppError> {
    let batch = import_batch::Entity::find()
        .filter(import_batch::Column::Source.eq(source.as_db()))
        .filter(import_batch::Column::Sha256.eq(sha256))
        .one(txn)
        .await?;
    batch
        .map(|b| {
            let mut report = crate::register::query::batch_report(&b)?;
            mark_already_imported(&mut report);
            Ok(report)
        })
        .transpose()
}

/// Turns a batch's report into the report of importing the same file again: nothing changed.
pub(super) fn mark_already_imported(report: &mut BatchReport) {
    report.already_imported = true;
    report.records_unchanged = report.rows_accepted;
    report.records_new = 0;
    report.records_new_version = 0;
    report.persons_created = 0;
    report.persons_matched = 0;
    report.record_id_conflicts.clear();
}
