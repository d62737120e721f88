//! Where the audit log is written: a store of its own, so that auditing a read never waits for
//! the register's writer, and an import never fails because readers are being audited.
//!
//! SQLite lets one writer at a time into a database file, and an import may hold the
//! register's for over a minute: an audit row written there would wait for it (or, written
//! first, make the import fail). On SQLite the audit log therefore lives in a file of its own
//! beside the register (`paicha.db` → `paicha.audit.db`), in write-ahead-log mode with its own
//! small pool. On PostgreSQL row inserts do not conflict with the import's advisory lock: the
//! log stays in the register's database (migration m20260104 made its table there), reached
//! through a pool of its own so that the code path is the same.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

use super::audit_log;

/// Legacy audit rows copied per statement when an audit file is first made.
const COPY_CHUNK: u64 = 1_000;

/// The audit log's own connection pool, and the lock its writers take turns at. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AuditStore {
    /// The audit log's pool: an SQLite file of its own beside the register, or on PostgreSQL
    /// a pool of its own on the register's database.
    pub conn: DatabaseConnection,
    /// Audit rows are appended one at a time in this process (SQLite's busy wait is a poll).
    lock: Arc<Mutex<()>>,
}

impl AuditStore {
    /// Opens the audit log of the register at `register_url`, whose pool is `register`. On
    /// SQLite the audit file is made when missing, with the rows of the register's own
    /// `audit_log` table (the log lived there before), copied once with their IDs.
    #[tracing::instrument(skip_all, err)]
    pub async fn open(register_url: &str, register: &DatabaseConnection) -> anyhow::Result<Self> {
        let url = match register.get_database_backend() {
            DbBackend::Sqlite => audit_url(register_url),
            _ => register_url.to_owned(),
        };
        let mut options = ConnectOptions::new(url);
        options
            .sqlx_logging(false)
            .acquire_timeout(Duration::from_secs(30))
            // One connection: audit rows are few and small, and a second connection opened at
            // the same moment on a new file can find it locked while the first turns on its
            // write-ahead log (SQLite does not wait for that). It stays open, and is never
            // retired, so that an in-memory log lives as long.
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    // Unmasked data leaves only once its audit row is on disk.
                    .synchronous(SqliteSynchronous::Full)
                    // A writer in another process (a second server on the file) is waited for.
                    .busy_timeout(Duration::from_secs(30))
            });
        let conn = Database::connect(options)
            .await
            .context("Failed to open the audit log")?;
        if conn.get_database_backend() == DbBackend::Sqlite {
            prepare_audit_file(&conn, register)
                .await
                .context("Failed to prepare the audit log's file")?;
        }
        Ok(Self {
            conn,
            lock: Arc::default(),
        })
    }

    /// Waits for this process's other audit writers; append while holding the guard.
    pub async fn writer(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().await
    }
}

/// The URL of the audit file of the SQLite register at `register_url`: the same options,
/// `.audit` before the file's extension (`paicha.db` → `paicha.audit.db`). An in-memory
/// register gets an in-memory log of its own.
pub fn audit_url(register_url: &str) -> String {
    let rest = register_url
        .strip_prefix("sqlite://")
        .or_else(|| register_url.strip_prefix("sqlite:"))
        .unwrap_or(register_url);
    let (path, params) = match rest.split_once('?') {
        Some((path, params)) => (path, Some(params)),
        None => (rest, None),
    };
    let audit_path = if path.is_empty() || path == ":memory:" {
        ":memory:".to_owned()
    } else {
        let (dir, name) = match path.rsplit_once('/') {
            Some((dir, name)) => (Some(dir), name),
            None => (None, path),
        };
        let name = match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => format!("{stem}.audit.{ext}"),
            _ => format!("{name}.audit"),
        };
        match dir {
            Some(dir) => format!("{dir}/{name}"),
            None => name,
        }
    };
    let scheme = if audit_path == ":memory:" {
        "sqlite:"
    } else {
        "sqlite://"
    };
    match params {
        Some(params) => format!("{scheme}{audit_path}?{params}"),
        None => format!("{scheme}{audit_path}"),
    }
}

/// Makes the audit file's table, index and append-only triggers when missing — those migration
/// m20260104 made in the (migrated) register, replayed from its schema — and copies the
/// register's audit rows into it. One write transaction from its start, so that two processes
/// opening a new file do it once; none when the table is there (a read-only register opens as
/// well).
async fn prepare_audit_file(
    conn: &DatabaseConnection,
    register: &DatabaseConnection,
) -> anyhow::Result<()> {
    if !audit_log_definitions(conn).await?.is_empty() {
        return Ok(());
    }
    let definitions = audit_log_definitions(register).await?;
    anyhow::ensure!(
        !definitions.is_empty(),
        "the register has no audit_log table to copy"
    );
    let txn = conn
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    if !audit_log_definitions(&txn).await?.is_empty() {
        txn.rollback().await?;
        return Ok(());
    }
    for sql in &definitions {
        txn.execute_unprepared(sql).await?;
    }
    let copied = copy_legacy_rows(register, &txn).await?;
    txn.commit().await?;
    tracing::info!(audit.copied_rows = copied, "made the audit log's file");
    Ok(())
}

/// The statements that made table `audit_log` of the SQLite database of `conn`, its index and
/// its triggers: the table first; none when there is no such table.
async fn audit_log_definitions(conn: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    conn.query_all_raw(Statement::from_string(
        DbBackend::Sqlite,
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'audit_log' AND sql IS NOT NULL \
         ORDER BY type <> 'table', name",
    ))
    .await?
    .iter()
    .map(|row| row.try_get_by_index::<String>(0))
    .collect()
}

/// Copies every row of the register's `audit_log` (where the log lived before it had a file
/// of its own), IDs kept, into the new audit file; the count copied. The register's table
/// stays as it is: it is append-only.
async fn copy_legacy_rows(
    register: &DatabaseConnection,
    txn: &DatabaseTransaction,
) -> Result<u64, DbErr> {
    let mut after = 0;
    let mut copied = 0;
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(after))
            .order_by_asc(audit_log::Column::Id)
            .limit(COPY_CHUNK)
            .all(register)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(copied);
        };
        after = last.id;
        copied += rows.len() as u64;
        audit_log::Entity::insert_many(rows.into_iter().map(|row| audit_log::ActiveModel {
            id: Set(row.id),
            at: Set(row.at),
            token_id: Set(row.token_id),
            role: Set(row.role),
            kind: Set(row.kind),
            operation: Set(row.operation),
            persons: Set(row.persons),
            fields: Set(row.fields),
        }))
        .exec(txn)
        .await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_file_sits_beside_the_register_with_its_options() {
        assert_eq!(
            audit_url("sqlite://paicha.db?mode=rwc"),
            "sqlite://paicha.audit.db?mode=rwc"
        );
        assert_eq!(
            audit_url("sqlite:///var/lib/paicha/county.sqlite?mode=rw"),
            "sqlite:///var/lib/paicha/county.audit.sqlite?mode=rw"
        );
        assert_eq!(audit_url("sqlite:data/reg"), "sqlite://data/reg.audit");
        assert_eq!(
            audit_url("sqlite://./v1.2/.hidden"),
            "sqlite://./v1.2/.hidden.audit"
        );
    }

    #[tokio::test]
    async fn the_audit_file_has_the_registers_audit_table_index_and_triggers() {
        let (_dir, db) = crate::db::scratch().await;
        let made_here = audit_log_definitions(&db.audit().conn)
            .await
            .expect("the audit file's schema");
        assert_eq!(made_here.len(), 4, "{made_here:?}");
        assert_eq!(
            made_here,
            audit_log_definitions(&db.conn)
                .await
                .expect("the register's schema")
        );
    }

    #[test]
    fn an_in_memory_register_has_an_in_memory_log() {
        assert_eq!(audit_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(audit_url("sqlite://:memory:"), "sqlite::memory:");
        assert_eq!(
            audit_url("sqlite://?mode=memory"),
            "sqlite::memory:?mode=memory"
        );
        assert_eq!(
            audit_url("sqlite://reg.db?mode=memory"),
            "sqlite://reg.audit.db?mode=memory"
        );
    }
}
