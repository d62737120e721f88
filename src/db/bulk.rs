//! Bulk writes: secondary indexes set aside while a batch at least as large as the register is
//! written, and built again, sorted, before the commit.
//!
//! Maintaining an index row by row writes its pages at random places, once per row; building it
//! after the rows are in sorts once and writes each page once. For a first million records that
//! is most of the write time. Only SQLite takes this path: its readers keep reading their own
//! snapshot while the writer drops and rebuilds indexes, and the drop and the rebuild commit (or
//! roll back) with the batch. A PostgreSQL `DROP INDEX` would lock readers out of the table until
//! the commit, so there the indexes are maintained as usual.
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

/// Drops the non-unique secondary indexes of `tables` inside `txn` (SQLite only; elsewhere
/// nothing is dropped) and returns what [`SuspendedIndexes::restore`] needs to build them again.
/// The caller restores them before it commits; a rollback brings them back by itself.
pub async fn suspend_indexes(
    txn: &DatabaseTransaction,
    tables: &[&str],
) -> Result<SuspendedIndexes, DbErr> {
    if txn.get_database_backend() != DbBackend::Sqlite {
        return Ok(SuspendedIndexes::default());
    }
    let mut suspended = SuspendedIndexes::default();
    for table in tables {
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                // `sql` is NULL for the indexes behind PRIMARY KEY and UNIQUE constraints.
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? \
                 AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
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

    async fn index_names(db: &Db, table: &str) -> Vec<String> {
        db.writer_conn()
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name",
                [table.into()],
            ))
            .await
            .expect("query")
            .into_iter()
            .map(|r| r.try_get::<String>("", "name").expect("name"))
            .collect()
    }

    #[tokio::test]
    async fn suspended_indexes_are_restored_by_restore_and_by_a_rollback() {
        let (_dir, db) = crate::db::scratch().await;
        let before = index_names(&db, "person").await;
        assert!(before.len() > 3, "{before:?}");

        let txn = db.writer_conn().begin().await.expect("begin");
        let suspended = suspend_indexes(&txn, &["person"]).await.expect("suspend");
        // Every secondary index of the table, none of the unique ones.
        assert_eq!(suspended.len(), before.len());
        suspended.restore(&txn).await.expect("restore");
        txn.commit().await.expect("commit");
        assert_eq!(index_names(&db, "person").await, before);

        let txn = db.writer_conn().begin().await.expect("begin");
        let suspended = suspend_indexes(&txn, &["person", "source_record"])
            .await
            .expect("suspend");
        assert!(!suspended.is_empty());
        let during: Vec<String> = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'person'",
            ))
            .await
            .expect("query")
            .into_iter()
            .map(|r| r.try_get::<String>("", "name").expect("name"))
            .collect();
        assert!(during.is_empty(), "{during:?}");
        // The unique index that upserts rely on stays.
        let unique = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT name FROM sqlite_master WHERE name = 'ux_source_record_key_version'",
            ))
            .await
            .expect("query");
        assert_eq!(unique.len(), 1);
        txn.rollback().await.expect("rollback");
        drop(suspended);
        assert_eq!(index_names(&db, "person").await, before);
    }

    #[tokio::test]
    async fn a_table_taken_out_is_restored_apart_from_the_others() {
        let (_dir, db) = crate::db::scratch().await;
        let persons = index_names(&db, "person").await;
        let records = index_names(&db, "source_record").await;

        let txn = db.writer_conn().begin().await.expect("begin");
        let mut suspended = suspend_indexes(&txn, &["person", "source_record"])
            .await
            .expect("suspend");
        let taken = suspended.take("source_record");
        // The unique index of source_record never left.
        assert_eq!(taken.len(), records.len() - 1);
        assert_eq!(suspended.len(), persons.len());
        taken.restore(&txn).await.expect("restore records");
        let during: Vec<String> = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT name FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name IN ('person', 'source_record') ORDER BY name",
            ))
            .await
            .expect("query")
            .into_iter()
            .map(|r| r.try_get::<String>("", "name").expect("name"))
            .collect();
        assert_eq!(during, records, "the records' indexes only");
        suspended.restore(&txn).await.expect("restore persons");
        SuspendedIndexes::default()
            .restore(&txn)
            .await
            .expect("nothing to restore");
        txn.commit().await.expect("commit");
        assert_eq!(index_names(&db, "person").await, persons);
        assert_eq!(index_names(&db, "source_record").await, records);
    }
}
