//! Bulk rows for PostgreSQL through `COPY`, inside the caller's transaction.
//!
//! The server reads `COPY`'s text format some three times faster than it unpacks the same
//! rows from a JSON parameter ([`super::pg_bulk`]): 200 000 records took 4.4 s of server
//! time as JSON, 1.2–1.4 s copied into a table without indexes and 0.8–1.1 s moved from
//! there into `source_record` (psql and the statement log, BENCHMARKS.md). But sqlx offers
//! `COPY` only on a connection it hands out, and a sea-orm transaction keeps its own
//! connection to itself.
//!
//! So rows are copied on a side connection into a staging table of their own (unlogged,
//! without indexes, committed there), and moved by one `INSERT … SELECT` inside the
//! caller's transaction, which then drops the staging table. What the transaction writes,
//! and what its rollback undoes, is exactly what the statement would have written. A
//! staging table outlives the transaction only when it is rolled back (the drop is undone
//! with it) or the process dies: [`Stager`] drops its own when its write ends, and the
//! first copy of a write drops any that another process left. That is safe because a
//! stager serves only a write holding the register's write turn (see
//! [`super::Db::write`]): no other writer is copying meanwhile.
//!
//! A copy starts on the side connection as soon as its rows are made, where they are made
//! on the writing task: the next chunk is copied while the transaction moves the one
//! before.
//!
//! The staging tables are made in the schema the register's tables are found in, by the
//! role that connects: the one that migrates the register, which may create tables there.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, AssertSqlSafe, Connection as _};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    Iterable, ModelTrait, RuntimeErr,
};
use tokio::task::JoinHandle;

use super::pg_bulk::{ColumnText, write_value};
use super::rows::{OnConflict, column_list, conflict_clause, quoted};

/// The fewest rows of one table a write copies by default: below it, the two round trips
/// and the staging table's creation cost more than unpacking JSON saves.
pub const COPY_MIN_ROWS: usize = 2_000;

/// Rows copied into one staging table: fewer tables made and dropped, against more rows
/// held at once.
pub const COPY_CHUNK: usize = 10_000;

/// What every staging table's name starts with.
const STAGE_PREFIX: &str = "paicha_stage_";

tokio::task_local! {
    /// The stager of the write this task is doing, where it may copy.
    static STAGE: Arc<Stager>;
}

/// The side connection of one write and the staging tables it made.
#[derive(Debug)]
pub struct Stager {
    options: Arc<PgConnectOptions>,
    /// The fewest rows of one table a write copies; fewer go as a JSON parameter.
    min_rows: usize,
    side: tokio::sync::Mutex<Side>,
}

#[derive(Debug, Default)]
struct Side {
    /// Connected at the first copy.
    conn: Option<PgConnection>,
    /// The side connection's server process.
    backend: i32,
    /// Every staging table made, dropped or not.
    made: Vec<String>,
    /// The column definitions of each table copied into, by its quoted name.
    columns: HashMap<String, String>,
}

impl Stager {
    /// A stager for a write through `conn` copying from `min_rows` rows of one table:
    /// `None` unless it is PostgreSQL. Nothing is connected until rows are copied.
    pub fn for_connection(conn: &DatabaseConnection, min_rows: usize) -> Option<Arc<Self>> {
        (conn.get_database_backend() == DbBackend::Postgres).then(|| {
            Arc::new(Self {
                options: conn.get_postgres_connection_pool().connect_options(),
                min_rows,
                side: tokio::sync::Mutex::default(),
            })
        })
    }

    /// Copies `data` (rows in `COPY`'s text format, columns `list`) into a new staging table
    /// shaped like `table`, committed on the side connection; returns its name.
    async fn copy_in(&self, table: &str, list: &str, data: &[u8]) -> Result<String, DbErr> {
        let mut guard = self.side.lock().await;
        let side: &mut Side = &mut guard;
        let conn = match &mut side.conn {
            Some(conn) => conn,
            empty => {
                let (conn, backend) = self.connect().await?;
                side.backend = backend;
                empty.insert(conn)
            }
        };
        // Named after the side connection's server process, which no other connection has
        // while this one lives, and numbered.
        let name = format!("{STAGE_PREFIX}{}_{}", side.backend, side.made.len());
        // Named before it is made: a table whose creation's answer was lost is dropped too.
        side.made.push(name.clone());
        // The table's columns from the catalog, not `LIKE`: a bulk write holds its tables
        // locked (their indexes dropped) until it commits.
        let columns = match side.columns.get(table) {
            Some(columns) => columns.clone(),
            None => {
                let columns: Option<String> = sqlx::query_scalar(
                    "SELECT string_agg(quote_ident(attname) || ' ' || \
                     format_type(atttypid, atttypmod), ', ' ORDER BY attnum) \
                     FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 \
                     AND NOT attisdropped",
                )
                .bind(table)
                .fetch_one(&mut *conn)
                .await
                .map_err(exec_err)?;
                let columns = columns
                    .ok_or_else(|| DbErr::Custom(format!("no columns to copy into {table}")))?;
                side.columns.insert(table.to_owned(), columns.clone());
                columns
            }
        };
        let create = format!("CREATE UNLOGGED TABLE {name} ({columns})");
        sqlx::raw_sql(AssertSqlSafe(create))
            .execute(&mut *conn)
            .await
            .map_err(exec_err)?;
        let mut copy = conn
            .copy_in_raw(&format!("COPY {name} ({list}) FROM STDIN"))
            .await
            .map_err(exec_err)?;
        if let Err(e) = copy.send(data).await {
            let _ = copy.abort("paicha: sending the rows failed").await;
            return Err(exec_err(e));
        }
        copy.finish().await.map_err(exec_err)?;
        Ok(name)
    }

    /// A new side connection and its server process, its commits not waited for (a
    /// staging table that a crash loses was never needed), after dropping the staging
    /// tables another process left.
    async fn connect(&self) -> Result<(PgConnection, i32), DbErr> {
        let mut conn = PgConnection::connect_with(&self.options)
            .await
            .map_err(exec_err)?;
        sqlx::raw_sql("SET synchronous_commit = off")
            .execute(&mut conn)
            .await
            .map_err(exec_err)?;
        let left: Option<String> = sqlx::query_scalar(
            "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables \
             WHERE tablename LIKE 'paicha\\_stage\\_%'",
        )
        .fetch_one(&mut conn)
        .await
        .map_err(exec_err)?;
        if let Some(left) = left {
            tracing::info!("dropping staging tables an earlier write left");
            sqlx::raw_sql(AssertSqlSafe(format!("DROP TABLE IF EXISTS {left}")))
                .execute(&mut conn)
                .await
                .map_err(exec_err)?;
        }
        let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .map_err(exec_err)?;
        Ok((conn, backend))
    }

    /// Drops what is left of this stager's staging tables (after a rollback: all of them)
    /// and closes its side connection. Called once the write's transaction has ended.
    pub async fn close(&self) -> Result<(), DbErr> {
        let side = std::mem::take(&mut *self.side.lock().await);
        close_side(side).await
    }
}

impl Drop for Stager {
    /// A stager not closed (its write failed) closes on its own, on the runtime, if any.
    fn drop(&mut self) {
        let side = std::mem::take(self.side.get_mut());
        if side.conn.is_some()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(e) = close_side(side).await {
                    tracing::warn!(error = %e, "dropping the staging tables of a write failed");
                }
            });
        }
    }
}

async fn close_side(side: Side) -> Result<(), DbErr> {
    let Some(mut conn) = side.conn else {
        return Ok(());
    };
    if !side.made.is_empty() {
        let drop = format!("DROP TABLE IF EXISTS {}", side.made.join(", "));
        sqlx::raw_sql(AssertSqlSafe(drop))
            .execute(&mut conn)
            .await
            .map_err(exec_err)?;
    }
    conn.close().await.map_err(exec_err)
}

/// Runs `write` with `stager` (if any) as the stager of this task's write.
pub async fn staged<F: Future>(stager: Option<Arc<Stager>>, write: F) -> F::Output {
    match stager {
        Some(stager) => STAGE.scope(stager, write).await,
        None => write.await,
    }
}

/// The fewest rows of one table this task's write copies; `None` when it copies nothing.
pub fn copy_min_rows() -> Option<usize> {
    STAGE.try_with(|stager| stager.min_rows).ok()
}

/// Rows of one table to copy, and how they end up in the table.
#[derive(Debug)]
pub struct CopyRows {
    table: String,
    list: String,
    conflict: String,
    rows: Rows,
}

#[derive(Debug)]
enum Rows {
    /// Made away from the writing task: copied when executed.
    Made(String),
    /// Being copied already, into the staging table the task answers with.
    Copying(JoinHandle<Result<String, DbErr>>),
}

/// `models` as rows to copy into `E`'s table, every column in the entity's order; `None`
/// when there are none. Made on the writing task of a staged write, they start copying at
/// once.
pub fn rows<E: EntityTrait>(
    models: &[E::Model],
    on_conflict: &OnConflict<E::Column>,
) -> Option<CopyRows> {
    if models.is_empty() {
        return None;
    }
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let mut data = String::with_capacity(models.len() * columns.len() * 16);
    for model in models {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                data.push('\t');
            }
            write_value::<CopyText>(&mut data, &model.get(*c));
        }
        data.push('\n');
    }
    Some(CopyRows::start(
        quoted(E::default().table_name()),
        column_list(&columns),
        conflict_clause(on_conflict),
        data,
    ))
}

/// Rows of integers to copy into `table`'s `columns` (`a, b`, as many as a row holds);
/// `None` when there are none.
pub fn integer_rows<const N: usize>(
    table: &str,
    columns: &str,
    data: &[[i64; N]],
) -> Option<CopyRows> {
    if data.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(data.len() * N * 12);
    for row in data {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            CopyText::bare(&mut text, v);
        }
        text.push('\n');
    }
    Some(CopyRows::start(
        table.to_owned(),
        columns.to_owned(),
        String::new(),
        text,
    ))
}

impl CopyRows {
    /// Rows in `data` for `table (list)`, copying at once where this task's write copies.
    fn start(table: String, list: String, conflict: String, data: String) -> Self {
        Self {
            table,
            list,
            conflict,
            rows: Rows::Made(data),
        }
        .copying()
    }

    /// The same rows, copying now if they were made away from the writing task and this
    /// task's write copies.
    pub fn copying(mut self) -> Self {
        if let Rows::Made(data) = &mut self.rows
            && let Ok(stager) = STAGE.try_with(Arc::clone)
        {
            let data = std::mem::take(data);
            let (table, list) = (self.table.clone(), self.list.clone());
            self.rows = Rows::Copying(tokio::spawn(async move {
                stager.copy_in(&table, &list, data.as_bytes()).await
            }));
        }
        self
    }

    /// Moves the rows into their table inside `txn`, through a staging table copied on the
    /// side connection of this task's stager.
    pub async fn execute(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        let stage = match self.rows {
            Rows::Copying(copying) => copying
                .await
                .map_err(|e| DbErr::Custom(format!("copying rows stopped: {e}")))??,
            Rows::Made(data) => {
                let stager = STAGE.try_with(Arc::clone).map_err(|_| {
                    DbErr::Custom("rows to copy outside a write that copies".to_owned())
                })?;
                stager
                    .copy_in(&self.table, &self.list, data.as_bytes())
                    .await?
            }
        };
        let (table, list, conflict) = (&self.table, &self.list, &self.conflict);
        txn.execute_unprepared(&format!(
            "INSERT INTO {table} ({list}) SELECT {list} FROM {stage}{conflict}; DROP TABLE {stage}"
        ))
        .await?;
        Ok(())
    }
}

/// Values in `COPY`'s text format: `\N` for NULL, backslash, tab, newline and carriage
/// return escaped.
struct CopyText;

impl ColumnText for CopyText {
    fn null(out: &mut String) {
        out.push_str("\\N");
    }

    fn text(out: &mut String, s: &str) {
        push_text(out, s);
    }

    fn json(out: &mut String, json: &serde_json::Value) {
        push_text(out, &json.to_string());
    }
}

/// Text with `COPY`'s separators and its escape character escaped.
fn push_text(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            b'\r' => "\\r",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(escape);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

fn exec_err(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

#[cfg(test)]
mod tests {
    use sea_orm::Statement;
    use sea_orm::sea_query::Value;

    use super::*;
    use crate::db::pg_bulk::tests::{KEYS, assert_written, awkward_rows, stamp as at};
    use crate::db::{record_link, source_record};

    fn copied(value: Value) -> String {
        let mut out = String::new();
        write_value::<CopyText>(&mut out, &value);
        out
    }

    #[test]
    fn values_are_written_as_copy_reads_them() {
        assert_eq!(copied(Value::String(None)), "\\N");
        assert_eq!(copied(Value::BigInt(None)), "\\N");
        assert_eq!(copied(Value::String(Some("\\N".to_owned()))), "\\\\N");
        assert_eq!(
            copied(Value::String(Some("a\tb\nc\r\\d\"e'".to_owned()))),
            "a\\tb\\nc\\r\\\\d\"e'"
        );
        assert_eq!(copied(Value::Bool(Some(true))), "true");
        assert_eq!(copied(Value::Double(Some(f64::NAN))), "NaN");
        assert_eq!(copied(Value::Double(Some(f64::NEG_INFINITY))), "-Infinity");
        assert_eq!(copied(Value::Double(Some(0.1))), "0.1");
        assert_eq!(copied(Value::Bytes(Some(vec![0, 255]))), "\\\\x00ff");
        assert_eq!(
            copied(Value::ChronoDateTimeUtc(Some(at(123_456_789)))),
            "2020-01-26T00:53:20.123456Z"
        );
    }

    async fn staging_tables(txn: &impl ConnectionTrait) -> i64 {
        txn.query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'paicha\\_stage\\_%'",
        ))
        .await
        .expect("query")
        .expect("a row")
        .try_get("", "n")
        .expect("count")
    }

    #[tokio::test]
    async fn rows_copied_in_a_write_read_back_as_written_and_leave_no_staging_table() {
        let Some((admin, name, db)) = crate::db::scratch_postgres("pg_copy").await else {
            eprintln!("PAICHA_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
            return;
        };
        let (records, links) = awkward_rows();

        // A write rolled back: its rows are gone, its staging tables are left behind.
        {
            let write = db.write("a copy rolled back").await.expect("write");
            write
                .txn
                .execute_unprepared("SET LOCAL session_replication_role = replica")
                .await
                .expect("no foreign keys");
            write
                .staged(async {
                    assert!(copy_min_rows().is_some());
                    let rows = rows::<source_record::Entity>(&records, &OnConflict::Fail);
                    rows.expect("rows").execute(&write.txn).await.expect("copy");
                })
                .await;
            write.txn.rollback().await.expect("rollback");
        }
        assert!(copy_min_rows().is_none());
        // And one that a process which died left.
        db.writer_conn()
            .execute_unprepared("CREATE UNLOGGED TABLE paicha_stage_0_0 (x int)")
            .await
            .expect("a leftover");

        let write = db.write("a copy committed").await.expect("write");
        let txn = &write.txn;
        // The rows refer to batches and persons that are not there: only the rows are tested.
        txn.execute_unprepared("SET LOCAL session_replication_role = replica")
            .await
            .expect("no foreign keys");
        write
            .staged(async {
                let upsert = OnConflict::Update {
                    key: vec![record_link::Column::SourceRecordId],
                    update: vec![record_link::Column::PersonId],
                };
                let again: Vec<record_link::Model> = links
                    .iter()
                    .map(|l| record_link::Model {
                        person_id: 7,
                        weight: 99.0,
                        ..l.clone()
                    })
                    .collect();
                // Made on the writing task: copying at once.
                for rows in [
                    rows::<source_record::Entity>(&records, &OnConflict::Fail),
                    rows::<record_link::Entity>(&links, &OnConflict::Fail),
                    rows::<record_link::Entity>(&again, &upsert),
                ] {
                    rows.expect("rows").execute(txn).await.expect("copy");
                }
                integer_rows("match_key", "key_hash, source_record_id, id_hash", &KEYS)
                    .expect("rows")
                    .execute(txn)
                    .await
                    .expect("copy keys");
                assert!(integer_rows::<3>("match_key", "key_hash", &[]).is_none());
                let outside = std::thread::spawn({
                    let again = again.clone();
                    move || rows::<record_link::Entity>(&again, &upsert).expect("rows")
                })
                .join()
                .expect("thread");
                // Made on another thread (as golden records are): copied when executed.
                assert!(matches!(outside.rows, Rows::Made(_)));
                outside.execute(txn).await.expect("copied when executed");
            })
            .await;
        // Outside the write's scope, rows cannot be copied.
        let stray = rows::<record_link::Entity>(&links, &OnConflict::Fail).expect("rows");
        assert!(stray.execute(txn).await.is_err());
        // Nothing of the rolled-back copy is left.
        assert_written(txn, &records, &links).await;
        // This write's first copy dropped what the rolled-back one left; its own are
        // dropped inside its transaction.
        assert_eq!(staging_tables(txn).await, 0);
        write.commit().await.expect("commit");
        assert_eq!(staging_tables(db.writer_conn()).await, 0);
        crate::db::drop_scratch_postgres(admin, name, db).await;
    }
}
