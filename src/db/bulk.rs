//! Bulk writes: secondary indexes set aside while a batch at least as large as the register is
//! written, and built again, sorted, before the commit.
//!
//! Maintaining an index row by row writes its pages at random places, once per row; building it
//! after the rows are in sorts once and writes each page once. For a first million records that
//! is most of the write time. The drop and the rebuild commit (or roll back) with the batch.
//! SQLite's readers keep reading their own snapshot meanwhile. PostgreSQL's `DROP INDEX` locks
//! the table until the commit, so its readers wait for the batch: the price of a first load (or
//! of a batch larger than the register), which is written several times faster.
//!
//! Unique indexes (and primary keys) stay: upserts and the register's own checks rely on them.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

use super::rows::quoted;

/// Indexes dropped by [`suspend_indexes`] (and foreign keys by [`suspend_foreign_keys`]), with
/// the statements that create them again.
#[derive(Debug, Default)]
#[must_use = "suspended indexes must be restored before the transaction commits"]
pub struct SuspendedIndexes {
    /// `(table, CREATE INDEX …)` or `(table, ALTER TABLE … ADD CONSTRAINT …)`, the definition
    /// exactly as the schema holds it.
    creates: Vec<(String, String)>,
}

impl SuspendedIndexes {
    /// How many indexes and foreign keys were set aside.
    pub fn len(&self) -> usize {
        self.creates.len()
    }

    /// True when nothing was set aside (another backend, or nothing of that kind).
    pub fn is_empty(&self) -> bool {
        self.creates.is_empty()
    }

    /// Takes out the indexes of `table`, to be restored apart from the others (once nothing
    /// more is written to that table).
    pub fn take(&mut self, table: &str) -> SuspendedIndexes {
        let (taken, kept) = std::mem::take(&mut self.creates)
            .into_iter()
            .partition(|(t, _)| t == table);
        self.creates = kept;
        SuspendedIndexes { creates: taken }
    }

    /// Adds what `other` set aside, to be restored with the rest.
    pub fn extend(&mut self, other: SuspendedIndexes) {
        self.creates.extend(other.creates);
    }

    /// Builds every suspended index again, inside `txn`, in one script: the connection is
    /// handed the whole of it at once, so a caller can do other work while it runs (see
    /// [`crate::db::overlap::while_writing`]).
    pub async fn restore(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        if self.creates.is_empty() {
            return Ok(());
        }
        let script: Vec<String> = self.creates.into_iter().map(|(_, c)| c).collect();
        txn.execute_unprepared(&script.join(";\n")).await?;
        Ok(())
    }
}

/// Drops the non-unique secondary indexes of `tables` inside `txn` (SQLite and PostgreSQL;
/// elsewhere nothing is dropped) and returns what [`SuspendedIndexes::restore`] needs to build
/// them again. The caller restores them before it commits; a rollback brings them back by itself.
pub async fn suspend_indexes(
    txn: &DatabaseTransaction,
    tables: &[&str],
) -> Result<SuspendedIndexes, DbErr> {
    let backend = txn.get_database_backend();
    let list = match backend {
        // `sql` is NULL for the indexes behind PRIMARY KEY and UNIQUE constraints.
        DbBackend::Sqlite => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? \
             AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
        }
        // Primary keys and unique constraints are unique indexes.
        DbBackend::Postgres => {
            "SELECT indexname AS name, indexdef AS sql FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = $1 \
             AND indexdef NOT LIKE 'CREATE UNIQUE%' ORDER BY indexname"
        }
        _ => return Ok(SuspendedIndexes::default()),
    };
    let mut suspended = SuspendedIndexes::default();
    for table in tables {
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                list,
                [(*table).into()],
            ))
            .await?;
        for row in rows {
            let name: String = row.try_get("", "name")?;
            let create: String = row.try_get("", "sql")?;
            txn.execute_unprepared(&format!("DROP INDEX {}", quoted(&name)))
                .await?;
            suspended.creates.push(((*table).to_owned(), create));
        }
    }
    Ok(suspended)
}

/// Drops the foreign keys of `tables` (the constraints they hold, not those pointing at them)
/// inside `txn` on PostgreSQL (elsewhere nothing is dropped), to be added again by
/// [`SuspendedIndexes::restore`]. PostgreSQL checks a foreign key row by row with a query that
/// also locks the row referred to, about 20 µs a row; added again after the batch, it is checked
/// once for the whole table by a join. Adding one locks both tables against other writers until
/// the commit, which only the register's writer is.
pub async fn suspend_foreign_keys(
    txn: &DatabaseTransaction,
    tables: &[&str],
) -> Result<SuspendedIndexes, DbErr> {
    let mut suspended = SuspendedIndexes::default();
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(suspended);
    }
    for table in tables {
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT conname::text AS name, pg_get_constraintdef(oid) AS definition \
                 FROM pg_constraint WHERE contype = 'f' \
                 AND conrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass \
                 ORDER BY conname",
                [(*table).into()],
            ))
            .await?;
        let quoted_table = quoted(table);
        for row in rows {
            let name: String = row.try_get("", "name")?;
            let definition: String = row.try_get("", "definition")?;
            let name = quoted(&name);
            txn.execute_unprepared(&format!(
                "ALTER TABLE {quoted_table} DROP CONSTRAINT {name}"
            ))
            .await?;
            suspended.creates.push((
                (*table).to_owned(),
                format!("ALTER TABLE {quoted_table} ADD CONSTRAINT {name} {definition}"),
            ));
        }
    }
    Ok(suspended)
}

/// The tables an import writes in bulk, whose planner statistics [`refresh_statistics`] gathers
/// after it.
pub const IMPORT_TABLES: [&str; 5] = [
    "source_record",
    "person",
    "record_link",
    "resolution_event",
    "match_key",
];

/// Gathers PostgreSQL's planner statistics of `tables` inside `txn` (elsewhere nothing is done),
/// after a bulk write changed them wholesale. A table loaded in one transaction has none until
/// autovacuum comes round: the next batch's lookups (`record_id IN (…)` over 500 keys, say) are
/// then planned as whole-table scans, 0.2 s each at 200 000 records. The wide `text` columns
/// (raw rows, JSON) are left out: no query filters on them, and they are most of the time.
pub async fn refresh_statistics(txn: &DatabaseTransaction, tables: &[&str]) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for table in tables {
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) \
                 AS columns FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 AND data_type <> 'text'",
                [(*table).into()],
            ))
            .await?;
        // No row, or NULL: a table without such columns (or none at all) has nothing to gather.
        let columns = match row {
            Some(row) => row.try_get::<Option<String>>("", "columns")?,
            None => None,
        };
        if let Some(columns) = columns {
            txn.execute_unprepared(&format!("ANALYZE {} ({columns})", quoted(table)))
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::TransactionTrait;

    use super::*;
    use crate::db::Db;

    /// The indexes of `tables`, by name and sorted, as `conn` sees them.
    async fn index_names(conn: &impl ConnectionTrait, tables: &[&str]) -> Vec<String> {
        let backend = conn.get_database_backend();
        let list = match backend {
            DbBackend::Postgres => {
                "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() \
                 AND tablename = $1"
            }
            _ => "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
        };
        let mut names = Vec::new();
        for table in tables {
            let rows = conn
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    list,
                    [(*table).into()],
                ))
                .await
                .expect("list indexes");
            names.extend(
                rows.iter()
                    .map(|r| r.try_get::<String>("", "name").expect("name")),
            );
        }
        names.sort();
        names
    }

    /// Runs `test` on a new SQLite register, then on a new PostgreSQL one when
    /// `PAICHA_TEST_POSTGRES_URL` is set.
    async fn on_both<F: AsyncFn(&Db)>(tag: &str, test: F) {
        let (_dir, db) = crate::db::scratch().await;
        test(&db).await;
        match crate::db::scratch_postgres(tag).await {
            Some((admin, name, db)) => {
                test(&db).await;
                crate::db::drop_scratch_postgres(admin, name, db).await;
            }
            None => eprintln!("PAICHA_TEST_POSTGRES_URL not set: PostgreSQL run skipped"),
        }
    }

    #[tokio::test]
    async fn suspended_indexes_are_restored_by_restore_and_by_a_rollback() {
        on_both("bulk_restore", async |db: &Db| {
            let before = index_names(db.writer_conn(), &["person"]).await;
            assert!(before.len() > 3, "{before:?}");

            let txn = db.writer_conn().begin().await.expect("begin");
            let suspended = suspend_indexes(&txn, &["person"]).await.expect("suspend");
            // Every secondary index of the table, none of the unique ones (the primary key's
            // has a name of its own on PostgreSQL only).
            let primary = before.iter().filter(|n| n.ends_with("_pkey")).count();
            assert_eq!(suspended.len(), before.len() - primary);
            suspended.restore(&txn).await.expect("restore");
            txn.commit().await.expect("commit");
            assert_eq!(index_names(db.writer_conn(), &["person"]).await, before);

            let txn = db.writer_conn().begin().await.expect("begin");
            let suspended = suspend_indexes(&txn, &["person", "source_record"])
                .await
                .expect("suspend");
            assert!(!suspended.is_empty());
            let during = index_names(&txn, &["person"]).await;
            assert!(during.iter().all(|n| n.ends_with("_pkey")), "{during:?}");
            // The unique index that upserts rely on stays.
            let records = index_names(&txn, &["source_record"]).await;
            assert!(
                records.contains(&"ux_source_record_key_version".to_owned()),
                "{records:?}"
            );
            txn.rollback().await.expect("rollback");
            drop(suspended);
            assert_eq!(index_names(db.writer_conn(), &["person"]).await, before);
        })
        .await;
    }

    #[tokio::test]
    async fn a_table_taken_out_is_restored_apart_from_the_others() {
        on_both("bulk_take", async |db: &Db| {
            let persons = index_names(db.writer_conn(), &["person"]).await;
            let records = index_names(db.writer_conn(), &["source_record"]).await;

            let txn = db.writer_conn().begin().await.expect("begin");
            let mut suspended = suspend_indexes(&txn, &["person", "source_record"])
                .await
                .expect("suspend");
            let taken = suspended.take("source_record");
            let unique = |names: &[String]| {
                names
                    .iter()
                    .filter(|n| n.ends_with("_pkey") || n.starts_with("ux_"))
                    .count()
            };
            // The unique indexes of source_record never left.
            assert_eq!(taken.len(), records.len() - unique(&records));
            assert_eq!(suspended.len(), persons.len() - unique(&persons));
            taken.restore(&txn).await.expect("restore records");
            let during = index_names(&txn, &["person", "source_record"]).await;
            let mut expected: Vec<String> = records
                .iter()
                .chain(persons.iter().filter(|n| n.ends_with("_pkey")))
                .cloned()
                .collect();
            expected.sort();
            assert_eq!(during, expected, "the records' indexes only");
            suspended.restore(&txn).await.expect("restore persons");
            SuspendedIndexes::default()
                .restore(&txn)
                .await
                .expect("nothing to restore");
            txn.commit().await.expect("commit");
            assert_eq!(index_names(db.writer_conn(), &["person"]).await, persons);
            assert_eq!(
                index_names(db.writer_conn(), &["source_record"]).await,
                records
            );
        })
        .await;
    }

    #[tokio::test]
    async fn statistics_are_gathered_inside_the_batch_on_postgresql_without_the_wide_texts() {
        on_both("bulk_statistics", async |db: &Db| {
            let txn = db.writer_conn().begin().await.expect("begin");
            refresh_statistics(&txn, &["source_record"])
                .await
                .expect("statistics");
            if txn.get_database_backend() != DbBackend::Postgres {
                // Nothing to gather: SQLite plans these lookups by its indexes alone.
                return txn.rollback().await.expect("rollback");
            }
            // The rows refer to a batch that is not there: only the statistics are tested.
            txn.execute_unprepared("SET LOCAL session_replication_role = replica")
                .await
                .expect("no foreign keys");
            txn.execute_unprepared(
                "INSERT INTO source_record (id, batch_id, source, record_id, version, is_current, \
                 row_number, raw, content_hash, phones, normalized, problems, created_at) \
                 SELECT n, 1, 'TOWNSHIP', 'R' || n, 1, true, n, '{}', 'h', '[]', '{}', '[]', now() \
                 FROM generate_series(1, 2000) AS n",
            )
            .await
            .expect("rows");
            refresh_statistics(&txn, &["source_record"])
                .await
                .expect("statistics");
            // Seen by the batch itself, before it commits.
            let columns: Vec<String> = txn
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT attname::text AS name FROM pg_stats \
                     WHERE tablename = 'source_record' ORDER BY 1",
                ))
                .await
                .expect("pg_stats")
                .iter()
                .map(|r| r.try_get::<String>("", "name").expect("name"))
                .collect();
            assert!(columns.contains(&"record_id".to_owned()), "{columns:?}");
            assert!(!columns.contains(&"raw".to_owned()), "{columns:?}");
            txn.rollback().await.expect("rollback");
        })
        .await;
    }

    #[tokio::test]
    async fn foreign_keys_set_aside_are_added_again_and_still_hold() {
        on_both("bulk_foreign_keys", async |db: &Db| {
            let txn = db.writer_conn().begin().await.expect("begin");
            let suspended = suspend_foreign_keys(&txn, &["record_link", "source_record"])
                .await
                .expect("suspend");
            if txn.get_database_backend() != DbBackend::Postgres {
                assert!(suspended.is_empty());
                return txn.rollback().await.expect("rollback");
            }
            // Two on each table: to the person and the record; to the batch and the notice.
            assert_eq!(suspended.len(), 4);
            // A link to nothing is taken while the keys are away...
            let orphan = "INSERT INTO record_link (source_record_id, person_id, weight, rule, \
                          explanation, linked_at) VALUES (1, 1, 0, 'r', '', now())";
            txn.execute_unprepared(orphan).await.expect("no check");
            // ...and refused as they come back, so nothing wrong can be committed.
            let restore = txn.begin().await.expect("savepoint");
            assert!(suspended.restore(&restore).await.is_err());
            restore.rollback().await.expect("back to the savepoint");
            txn.rollback().await.expect("rollback");

            let txn = db.writer_conn().begin().await.expect("begin");
            let suspended = suspend_foreign_keys(&txn, &["record_link"])
                .await
                .expect("suspend");
            suspended.restore(&txn).await.expect("restore");
            txn.commit().await.expect("commit");
            let refused = db
                .writer_conn()
                .execute_unprepared(
                    "INSERT INTO record_link (source_record_id, person_id, weight, rule, \
                     explanation, linked_at) VALUES (1, 1, 0, 'r', '', now())",
                )
                .await;
            assert!(refused.is_err(), "the foreign keys are back");
        })
        .await;
    }
}
