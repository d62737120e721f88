//! Whole tables for `paicha export`.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::db::{person, read_back, record_link, source_record};
use crate::error::AppError;
use crate::register::Register;

/// A record as `paicha export records` writes it: source, record ID, person ID.
pub type ExportedRecord = (String, String, i64);

impl Register {
    /// Every current record as `(source, record_id, person_id)`, by record ID, for `paicha
    /// export records`.
    pub async fn export_records(&self) -> Result<Vec<ExportedRecord>, AppError> {
        let conn = &self.db.conn;
        Ok(match conn.get_database_backend() {
            DbBackend::Sqlite => records_packed(conn, PACKED_RECORDS).await?,
            _ => records_by_row(conn).await?,
        })
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

/// The rows of [`Register::export_records`] as the driver hands them over, one by one.
async fn records_by_row(conn: &impl ConnectionTrait) -> Result<Vec<ExportedRecord>, DbErr> {
    source_record::Entity::find()
        .select_only()
        .column(source_record::Column::Source)
        .column(source_record::Column::RecordId)
        .column(record_link::Column::PersonId)
        .inner_join(record_link::Entity)
        .filter(source_record::Column::IsCurrent.eq(true))
        .order_by_asc(source_record::Column::Id)
        .into_tuple()
        .all(conn)
        .await
}

/// Record IDs per query of [`records_packed`]: one query's array stays some 40 MB, far
/// below SQLite's largest text (1 GB), however large the register grows.
const PACKED_RECORDS: i64 = 1_000_000;

/// [`Register::export_records`] on SQLite: the rows come back as one JSON array per
/// `per_query` record IDs, in record order. Handed over row by row, FEBRL4's 10 000 records
/// took the export 35 ms more than an empty register's, most of it the driver's worker and
/// this thread waking each other per row; SQLite builds the array in 8 ms. JSON carries any
/// record ID as it is.
async fn records_packed(
    conn: &impl ConnectionTrait,
    per_query: i64,
) -> Result<Vec<ExportedRecord>, DbErr> {
    let sql = "SELECT json_group_array(json_array(r.source, r.record_id, l.person_id) \
               ORDER BY r.id) AS texts \
               FROM source_record r JOIN record_link l ON l.source_record_id = r.id \
               WHERE r.id BETWEEN ? AND ? AND r.is_current";
    let mut records = Vec::new();
    read_back::packed_by_id_ranges(conn, "source_record", per_query, sql, &[], |texts| {
        let part: Vec<ExportedRecord> = serde_json::from_str(&texts)
            .map_err(|e| DbErr::Custom(format!("the exported records could not be read: {e}")))?;
        records.extend(part);
        Ok(())
    })
    .await?;
    Ok(records)
}

#[cfg(test)]
mod tests {
    use sea_orm::TransactionTrait;

    use super::*;

    #[tokio::test]
    async fn records_exported_packed_are_the_rows_the_driver_reads() {
        let (_dir, db) = crate::db::scratch().await;
        let txn = db.writer_conn().begin().await.expect("begin");
        // Links written without their persons: foreign keys checked at the end, which the
        // rollback never reaches.
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await
            .expect("defer");
        assert_eq!(records_packed(&txn, 2).await.expect("empty"), Vec::new());
        // Record IDs holding quotes, a backslash, JSON's and the packed reads' separators,
        // a line break, CJK and an emoji; inserted out of ID order; one record superseded
        // and one without a link, both left out.
        txn.execute_unprepared(
            "INSERT INTO source_record (id, batch_id, source, record_id, version, is_current, \
             row_number, raw, content_hash, phones, normalized, problems, created_at) \
             SELECT column1, 1, column2, column3, 1, column4, column1, '{}', 'h', '[]', '{}', \
             '[]', '2020-01-20T00:00:00+00:00' FROM (VALUES \
             (9, 'TOWNSHIP', '乡-\"9\"', 1), \
             (2, 'BIGDATA', 'a\\b' || char(30) || char(31) || char(10) || 'c', 1), \
             (5, 'EXTERNAL', '函 😷 5', 1), \
             (7, 'TOWNSHIP', 'old', 0), \
             (8, 'TOWNSHIP', 'unlinked', 1)); \
             INSERT INTO record_link (source_record_id, person_id, weight, rule, explanation, \
             linked_at) SELECT column1, column2, 0.0, 'FOUNDER', '[]', \
             '2020-01-20T00:00:00+00:00' FROM (VALUES (9, 3), (2, 1), (5, 3), (7, 4))",
        )
        .await
        .expect("records");
        let rows = records_by_row(&txn).await.expect("by row");
        assert_eq!(
            rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            [1, 3, 3],
            "{rows:?}"
        );
        assert_eq!(rows[0].1, "a\\b\u{1e}\u{1f}\nc");
        // Two record IDs per query, from the first record (2-3, 4-5, 6-7, 8-9): one query
        // finds only records left out (6-7), and the last ends at the last record.
        for per_query in [2, PACKED_RECORDS] {
            let packed = records_packed(&txn, per_query).await.expect("packed");
            assert_eq!(packed, rows, "{per_query} IDs per query");
        }
        txn.rollback().await.expect("rollback");
    }
}
