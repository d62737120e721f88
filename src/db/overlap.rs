//! Writing while the next rows are made: a statement is handed to the database, the rows of
//! the next one are built on this thread while the database writes, then the first is awaited.
//!
//! A bulk write alternates two kinds of work that need not wait for each other: making rows
//! (golden records, JSON texts, the statement and its values) and the database writing them.
//! SQLite runs each statement on its connection's own worker thread and PostgreSQL in its
//! own server process, so once a statement has been handed over this thread is free until the
//! answer comes back. On two cores, a stage that took the sum of the two now takes about the
//! larger of them.
//!
//! Statements are still executed one at a time and in order, inside the caller's transaction:
//! what is written, and what a failure rolls back, is exactly what it was without the overlap.

use std::future::Future;
use std::task::Poll;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, Statement};

use super::pg_bulk;
use super::pg_copy::{self, COPY_CHUNK, CopyRows};
use super::rows::{self, OnConflict};

/// One write of rows inside a transaction.
#[derive(Debug)]
pub enum Write {
    /// A statement: literal text, or text and its values.
    Statement(Statement),
    /// Rows copied in through a staging table (PostgreSQL, see [`pg_copy`]).
    Copy(CopyRows),
}

impl From<Statement> for Write {
    fn from(statement: Statement) -> Self {
        Self::Statement(statement)
    }
}

impl Write {
    /// Writes inside `txn`. A statement without values (literal SQL text) is executed
    /// unprepared, not kept in the connection's cache of statements, which it would only
    /// crowd out; one with values is prepared, and kept.
    pub async fn execute(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        match self {
            Self::Statement(statement) => match statement.values {
                None => txn.execute_unprepared(&statement.sql).await.map(drop),
                Some(_) => txn.execute_raw(statement).await.map(drop),
            },
            Self::Copy(rows) => rows.execute(txn).await,
        }
    }

    /// The same write, its rows copying now if they were made away from the writing task
    /// (see [`CopyRows::copying`]): executed after the write before it, they were copied
    /// meanwhile.
    pub fn copying(self) -> Self {
        match self {
            Self::Copy(rows) => Self::Copy(rows.copying()),
            statement => statement,
        }
    }
}

/// How rows of a write travel to its database: SQLite's multi-row statements
/// ([`rows`]), PostgreSQL's JSON parameter ([`pg_bulk`]), or `COPY` where the write copies
/// ([`pg_copy`]). Taken on the writing task ([`Transport::of`]); it may go to a thread that
/// makes the rows.
#[derive(Clone, Copy, Debug)]
pub struct Transport {
    backend: DbBackend,
    /// The fewest rows copied, where the write copies.
    copy_min: Option<usize>,
}

impl Transport {
    /// The transport of the write this task is doing through `db`.
    pub fn of(db: &impl ConnectionTrait) -> Self {
        let backend = db.get_database_backend();
        Self {
            backend,
            copy_min: match backend {
                DbBackend::Postgres => pg_copy::copy_min_rows(),
                _ => None,
            },
        }
    }

    /// Rows sent as statements only, never copied.
    pub fn statements(backend: DbBackend) -> Self {
        Self {
            backend,
            copy_min: None,
        }
    }

    /// Rows per write, for writes of `rows` rows where nothing is copied: where the write
    /// copies, [`COPY_CHUNK`].
    pub fn chunk(self, rows: usize) -> usize {
        if self.copy_min.is_some() {
            COPY_CHUNK
        } else {
            rows
        }
    }

    /// One write inserting `models` into `E`'s table, every column in the entity's order;
    /// `None` when there is nothing to insert.
    pub fn insert<E: EntityTrait>(
        self,
        models: &[E::Model],
        on_conflict: &OnConflict<E::Column>,
    ) -> Option<Write> {
        match self.backend {
            DbBackend::Postgres if self.copy_min.is_some_and(|min| models.len() >= min) => {
                pg_copy::rows::<E>(models, on_conflict).map(Write::Copy)
            }
            DbBackend::Postgres => pg_bulk::insert::<E>(models, on_conflict).map(Write::Statement),
            backend => rows::insert::<E>(backend, models, on_conflict).map(Write::Statement),
        }
    }

    /// One write inserting rows of integers into `table`'s `columns` (`a, b`); `None` when
    /// there are none. On SQLite a multi-row statement of bound values (the same text for
    /// every chunk of a size, prepared once and kept in the connection's cache); on
    /// PostgreSQL one array per column, or copied.
    pub fn insert_integers<const N: usize>(
        self,
        table: &str,
        columns: &str,
        data: &[[i64; N]],
    ) -> Option<Write> {
        match self.backend {
            DbBackend::Postgres if self.copy_min.is_some_and(|min| data.len() >= min) => {
                pg_copy::integer_rows(table, columns, data).map(Write::Copy)
            }
            DbBackend::Postgres => pg_bulk::insert_integers(&format!("{table} ({columns})"), data)
                .map(Write::Statement),
            backend if !data.is_empty() => {
                let sql = format!(
                    "INSERT INTO {table} ({columns}) VALUES {}",
                    rows::placeholders(backend, data.len(), N)
                );
                let values = data
                    .iter()
                    .flatten()
                    .map(|v| sea_orm::Value::BigInt(Some(*v)));
                Some(Write::Statement(Statement::from_sql_and_values(
                    backend, sql, values,
                )))
            }
            _ => None,
        }
    }
}

/// Runs `work` on this thread while `write` is under way, and returns both results.
///
/// `write` is polled once, which hands its statement to the database connection, then
/// `work` runs, then `write` is awaited. A write that finishes at its first poll (or one that
/// cannot be handed over without waiting) only loses the overlap, never its order.
pub async fn while_writing<W, T>(write: W, work: impl FnOnce() -> T) -> (W::Output, T)
where
    W: Future,
{
    let mut write = std::pin::pin!(write);
    let first = std::future::poll_fn(|cx| Poll::Ready(write.as_mut().poll(cx))).await;
    let made = work();
    let written = match first {
        Poll::Ready(out) => out,
        Poll::Pending => write.await,
    };
    (written, made)
}

/// Executes inside `txn` one write for each item of `items`, in order, each made by `make`
/// while the one before it is being written. `make` may return `None` for an item that
/// needs no write.
pub async fn write_each<I, F, W>(
    txn: &DatabaseTransaction,
    items: I,
    mut make: F,
) -> Result<(), DbErr>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Option<W>,
    W: Into<Write>,
{
    let mut items = items.into_iter();
    let mut next = || {
        for item in items.by_ref() {
            if let Some(write) = make(item) {
                return Some(write.into());
            }
        }
        None
    };
    let mut pending = next();
    while let Some(write) = pending {
        let (written, following) = while_writing(write.execute(txn), &mut next).await;
        written?;
        pending = following;
    }
    Ok(())
}

/// `items` in owned chunks of `size` (the last one shorter), so rows move into their
/// statements instead of being copied.
pub fn chunks_of<T>(items: Vec<T>, size: usize) -> impl Iterator<Item = Vec<T>> {
    let mut items = items.into_iter().peekable();
    std::iter::from_fn(move || {
        items.peek()?;
        Some(items.by_ref().take(size).collect())
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use sea_orm::{DbBackend, TransactionTrait};

    use super::*;

    #[tokio::test]
    async fn work_runs_after_the_write_is_handed_over_and_both_results_come_back() {
        // A write that is not ready at its first poll: `work` runs in between.
        let polls = Arc::new(AtomicUsize::new(0));
        let seen = polls.clone();
        let write = async move {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            7
        };
        let (written, made) = while_writing(write, || polls.load(Ordering::SeqCst) * 10).await;
        assert_eq!((written, made), (7, 10));
        // A write ready at once.
        let (written, made) = while_writing(async { 1 }, || 2).await;
        assert_eq!((written, made), (1, 2));
    }

    #[test]
    fn owned_chunks_cover_the_items_in_order() {
        let chunks: Vec<Vec<u32>> = chunks_of((0..7).collect(), 3).collect();
        assert_eq!(chunks, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        assert_eq!(chunks_of(Vec::<u32>::new(), 3).count(), 0);
    }

    #[tokio::test]
    async fn statements_are_written_in_order_and_a_failure_stops_the_rest() {
        let (_dir, db) = crate::db::scratch().await;
        let txn = db.writer_conn().begin().await.expect("begin");
        txn.execute_unprepared("CREATE TABLE t (n INTEGER PRIMARY KEY, after INTEGER)")
            .await
            .expect("create");
        // Each row refers to the one before it, so the rows must arrive in order.
        write_each(&txn, 0..50i64, |n| {
            (n % 7 != 3).then(|| {
                Statement::from_string(
                    DbBackend::Sqlite,
                    format!("INSERT INTO t SELECT {n}, (SELECT max(n) FROM t)"),
                )
            })
        })
        .await
        .expect("write");
        let rows = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT n, after FROM t ORDER BY n",
            ))
            .await
            .expect("read");
        let rows: Vec<(i64, Option<i64>)> = rows
            .iter()
            .map(|r| (r.try_get("", "n").unwrap(), r.try_get("", "after").unwrap()))
            .collect();
        let expected: Vec<i64> = (0..50).filter(|n| n % 7 != 3).collect();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), expected);
        for pair in rows.windows(2) {
            assert_eq!(pair[1].1, Some(pair[0].0));
        }

        // The third statement fails: the fourth is never written.
        let made = AtomicUsize::new(0);
        let err = write_each(&txn, 100..110i64, |n| {
            made.fetch_add(1, Ordering::SeqCst);
            let sql = if n == 102 {
                "INSERT INTO missing VALUES (1)".to_owned()
            } else {
                format!("INSERT INTO t VALUES ({n}, NULL)")
            };
            Some(Statement::from_string(DbBackend::Sqlite, sql))
        })
        .await;
        let refused = err.expect_err("the third statement fails");
        assert!(
            refused.to_string().contains("no such table: missing"),
            "{refused}"
        );
        // The one after the failed statement was made while it ran, and nothing after that.
        assert_eq!(made.load(Ordering::SeqCst), 4);
        let count = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) AS c FROM t WHERE n >= 100",
            ))
            .await
            .expect("count")
            .expect("row");
        assert_eq!(count.try_get::<i64>("", "c").unwrap(), 2);
        txn.rollback().await.expect("rollback");
    }
}
