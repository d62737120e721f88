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

/// Indexes dropped by [`suspend_indexes`], with the statements that create them again.
#[derive(Debug, Default)]
#[must_use = "suspended indexes must be restored before the transaction commits"]
pub struct SuspendedIndexes {
    /// `(table, CREATE INDEX …)`, the statement exactly as the schema holds it.
    creates: Vec<(String, String)>,
}

impl SuspendedIndexes {
    /// How many indexes were set aside.
    pub fn len(&self) -> usize {
        self.creates.len()
    }

    /// True when nothing was set aside (another backend, or no secondary index).
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
/// elsewhere nothing is dropped) and returns what [`SuspendedIndexes::restore`] needs to build them again.
/// The caller restores them before it commits; a rollback brings them back by itself.
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
            txn.execute_unprepared(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
                .await?;
            suspended.creates.push(((*table).to_owned(), create));
        }
    }
    Ok(suspended)
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
}
