//! The database: connection (embedded SQLite by default, PostgreSQL for scale), migrations,
//! the single-writer lock, and the sea-orm entities.

pub mod api_token;
pub mod audit_log;
pub mod audit_store;
pub mod bulk;
pub mod case_status;
pub mod daily_report;
pub mod delivery_attempt;
pub mod exchange_receipt;
pub mod followup_alert;
pub mod household_link;
pub mod import_batch;
pub mod letter;
pub mod letter_event;
pub mod letter_person;
pub mod letter_reply;
pub mod match_key;
pub mod match_key_oversized;
pub mod match_model;
pub mod notice;
pub mod observation;
pub mod outbox;
pub mod overlap;
pub mod partner;
pub mod person;
pub mod pg_bulk;
pub mod pg_copy;
pub mod pull_state;
pub mod read_back;
pub mod record_link;
pub mod resolution_event;
pub mod review_candidate;
pub mod rows;
pub mod source_record;
pub mod stored;
pub mod team_member;
pub mod temperature_reading;
pub mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
pub use audit_store::AuditStore;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, RuntimeErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::AppError;

/// The default database: an SQLite file in the working directory, created when missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://paicha.db?mode=rwc";

/// A handle on the register's database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    /// The readers' connection pool: readers use it directly and never wait for the writer.
    /// It cannot write (SQLite `query_only`, PostgreSQL read-only transactions): every write
    /// goes through [`Db::write`]. (A command opened [`Sharing::Alone`] has one connection,
    /// its writer's, here too.)
    pub conn: DatabaseConnection,
    /// The writer's connection: [`Db::write`] begins its transactions here, migrations and
    /// checkpoints run here.
    writer_conn: DatabaseConnection,
    /// The audit log, beside the register: writing it never waits for the register's writer.
    audit: AuditStore,
    /// Writers of this process take turns here.
    writer: Arc<Mutex<()>>,
    /// Who writes in this process now, for writers that wait.
    holder: Arc<std::sync::Mutex<Option<String>>>,
    /// Writers of this process waiting for their turn now.
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    /// The SQLite database's lock file, which writers of every process take in turn (`None`
    /// on PostgreSQL and for an in-memory database).
    lock_file: Option<writer::LockFile>,
    /// Where a writer that has to wait says so.
    notice: writer::WaitNotice,
    /// SQLite's write-ahead log, copied back into the database file after commits.
    wal: Arc<WalCheckpoints>,
    /// The fewest rows a write of one table copies on PostgreSQL (see [`pg_copy`]).
    copy_min_rows: usize,
}

/// The state of the background checkpoints of an SQLite database (see
/// [`Db::checkpoint_in_background`]).
#[derive(Debug, Default)]
struct WalCheckpoints {
    /// A commit added to the log since the last checkpoint began.
    dirty: AtomicBool,
    /// Held by the checkpoint running: one at a time, and the last one waits for the others.
    running: Mutex<()>,
}

/// A write transaction holding the writer lock: only one batch or decision resolves at a time.
pub struct WriteTxn<'a> {
    /// The transaction; commit it with [`WriteTxn::commit`].
    pub txn: DatabaseTransaction,
    _turn: Turn<'a>,
    /// The lock file's lock, released when the transaction ends.
    _lock_file: Option<std::fs::File>,
    /// Where bulk rows are copied on PostgreSQL (see [`pg_copy`]), connected at first use.
    stager: Option<Arc<pg_copy::Stager>>,
    db: &'a Db,
}

/// This process's writer turn; who holds it is forgotten when it ends.
struct Turn<'a> {
    _guard: MutexGuard<'a, ()>,
    holder: &'a std::sync::Mutex<Option<String>>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        *self
            .holder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

tokio::task_local! {
    /// When the request being served must be done, set by the HTTP layer around a request it
    /// runs under `tokio::time::timeout` with the same limit: a write that reaches its commit
    /// later is rolled back and waits for that timer.
    pub static DEADLINE: std::time::Instant;
}

impl WriteTxn<'_> {
    /// Commits the transaction and releases the writer lock; rolls it back instead when the
    /// request's [`DEADLINE`] has passed.
    pub async fn commit(self) -> Result<(), DbErr> {
        let late = DEADLINE
            .try_with(|deadline| std::time::Instant::now() >= *deadline)
            .unwrap_or(false);
        if late {
            self.txn.rollback().await?;
            // The deadline is set only under the HTTP layer's timer, which has fired: wait
            // for it to answer TIMEOUT (nothing was written) rather than race it.
            let never: std::convert::Infallible = std::future::pending().await;
            match never {}
        }
        self.txn.commit().await?;
        if let Some(stager) = &self.stager {
            // What the transaction copied it has dropped: this only closes the side
            // connection, and a failure costs nothing written.
            if let Err(e) = stager.close().await {
                tracing::warn!(error = %e, "closing the side connection of a write failed");
            }
        }
        self.db.checkpoint_in_background();
        Ok(())
    }

    /// Runs `write` so that its bulk rows go through `COPY` on PostgreSQL (see
    /// [`pg_copy`]); elsewhere it just runs it. `write` is boxed here: an import's or a whole
    /// run's future is large, and held inline by the copy's scope it overflowed a runtime
    /// worker's stack in debug builds.
    pub fn staged<F: std::future::Future>(
        &self,
        write: F,
    ) -> impl std::future::Future<Output = F::Output> {
        pg_copy::staged(self.stager.clone(), Box::pin(write))
    }
}

/// The page size of a new SQLite database, in bytes.
pub const PAGE_SIZE: u32 = 16_384;

/// How a process shares an SQLite database with others (nothing changes on PostgreSQL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sharing {
    /// Readers and one writer at a time, in this process and others: a server, or a command
    /// beside one. Commits go to a write-ahead log, which readers never wait for.
    #[default]
    Shared,
    /// A command that writes in bulk and expects to be the database's only user while it runs
    /// (`paicha import`, `paicha resolve`). It opens the database with a rollback journal, so
    /// a transaction's pages are written once, into the database file, instead of into the
    /// log first and copied into the file after the commit: for a first million records that
    /// copy is some 3 GB. A rollback journal needs the database to itself: when another
    /// process has it open (a running server) the write-ahead log stays and the command works
    /// as a `Shared` one would. [`Db::release`] goes back to the log. The command holds one
    /// connection, its writer's; a server started while it writes waits for it to finish.
    Alone,
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and applies pending migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_with(url, Sharing::Shared).await
    }

    /// Connects to `url` for the given [`Sharing`] and applies pending migrations.
    pub async fn connect_with(url: &str, sharing: Sharing) -> anyhow::Result<Self> {
        Self::connect_announcing(url, sharing, writer::WaitNotice::default()).await
    }

    /// Connects as [`Db::connect_with`] does, telling `notice` whenever a writer (this
    /// connection's migrations included) has to wait for another process's (the command line
    /// prints it).
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn connect_announcing(
        url: &str,
        sharing: Sharing,
        notice: writer::WaitNotice,
    ) -> anyhow::Result<Self> {
        let writer_conn = Database::connect(pool_options(url, sharing, Pool::Writer))
            .await
            .context("Failed to connect to the database")?;
        let lock_file = sqlite_path(url).map(|path| writer::LockFile::beside(&path));
        // Migrated before the audit log opens: a new audit file takes its table from here.
        migrate_in_turn(&writer_conn, lock_file.as_ref(), &notice).await?;
        let audit = AuditStore::open(url, &writer_conn).await?;
        if sharing == Sharing::Alone && writer_conn.get_database_backend() == DbBackend::Sqlite {
            use_rollback_journal(&writer_conn).await;
        }
        // Alone, a command has one connection: a second would keep the journal from changing.
        // An in-memory database is one connection's own: readers share the writer's.
        let sqlite = url.starts_with("sqlite:");
        let conn = if sqlite && (sharing == Sharing::Alone || lock_file.is_none()) {
            writer_conn.clone()
        } else {
            Database::connect(pool_options(url, sharing, Pool::Readers))
                .await
                .context("Failed to connect to the database")?
        };
        let db = Self {
            conn,
            writer_conn,
            audit,
            writer: Arc::new(Mutex::new(())),
            holder: Arc::default(),
            waiting: Arc::default(),
            lock_file,
            notice,
            wal: Arc::default(),
            copy_min_rows: pg_copy::COPY_MIN_ROWS,
        };
        Ok(db)
    }

    /// The same database, its writes copying rows on PostgreSQL from `rows` rows of one
    /// table at once (see [`pg_copy`]).
    pub fn with_copy_min_rows(mut self, rows: usize) -> Self {
        self.copy_min_rows = rows;
        self
    }

    /// Applies every migration not yet applied (on the writer's connection).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.writer_conn, None)
            .await
            .context("Failed to apply database migrations")
    }

    /// Undoes the last `steps` migrations (on the writer's connection): for testing that a
    /// migration can be undone and done again without losing rows.
    pub async fn undo_migrations(&self, steps: u32) -> anyhow::Result<()> {
        Migrator::down(&self.writer_conn, Some(steps))
            .await
            .context("Failed to undo database migrations")
    }

    /// The audit log's store (see [`audit_store`]).
    pub fn audit(&self) -> &AuditStore {
        &self.audit
    }

    /// The writer's connection, for unit tests of what writes (outside [`Db::write`]'s turns).
    #[cfg(test)]
    pub(crate) fn writer_conn(&self) -> &DatabaseConnection {
        &self.writer_conn
    }

    /// Where the database is, for messages: the SQLite file, or `PostgreSQL`.
    pub fn location(&self) -> String {
        location_of(self.lock_file.as_ref(), self.backend())
    }

    /// The backend in use.
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Begins the one write transaction allowed at a time, for `purpose` (`the import of
    /// township.csv`, said to writers that wait for it): in this process, across processes
    /// (the lock file beside an SQLite database, an advisory lock on PostgreSQL held until
    /// commit) and inside SQLite (`BEGIN IMMEDIATE`). A writer waits its turn, saying so
    /// through [`Db::connect_announcing`]; under a request's [`DEADLINE`] it gives up shortly
    /// before it with [`AppError::Busy`].
    pub async fn write(&self, purpose: &str) -> Result<WriteTxn<'_>, AppError> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let turn = self.take_turn(purpose).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        turn
    }

    /// Writers of this process waiting for their turn now (they wait for a write of this
    /// process or of another).
    pub fn writers_waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    async fn take_turn(&self, purpose: &str) -> Result<WriteTxn<'_>, AppError> {
        let give_up = writer::give_up_at(DEADLINE.try_with(|d| *d).ok());
        let guard = match self.writer.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                let holder = self.writer_here();
                self.notice.waiting_for(&holder);
                match give_up {
                    Some(at) => tokio::time::timeout_at(at.into(), self.writer.lock())
                        .await
                        .map_err(|_| AppError::busy(&holder))?,
                    None => self.writer.lock().await,
                }
            }
        };
        let lock_file = match &self.lock_file {
            Some(lock) => Some(
                lock.acquire(purpose, give_up, &self.notice)
                    .await
                    .map_err(|e| anyhow::Error::new(e).context("taking the writer's lock file"))?
                    .map_err(|busy| AppError::busy(&busy.holder))?,
            ),
            None => None,
        };
        let txn = match self.backend() {
            DbBackend::Sqlite => {
                self.writer_conn
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..TransactionOptions::default()
                    })
                    .await?
            }
            _ => {
                let txn = self.writer_conn.begin().await?;
                writer::lock_postgres(&txn, purpose, give_up, &self.notice)
                    .await?
                    .map_err(|busy| AppError::busy(&busy.holder))?;
                txn
            }
        };
        *self
            .holder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(purpose.to_owned());
        Ok(WriteTxn {
            txn,
            _turn: Turn {
                _guard: guard,
                holder: &self.holder,
            },
            _lock_file: lock_file,
            stager: pg_copy::Stager::for_connection(&self.writer_conn, self.copy_min_rows),
            db: self,
        })
    }

    /// `err` in the client's words where it is about this database: a full disk names where
    /// the database is; a lock that outlasted SQLite's busy timeout is `BUSY`, not internal.
    pub fn explain(&self, err: AppError) -> AppError {
        let class = match &err {
            AppError::StorageFull(_) => Some(ErrorClass::StorageFull),
            other => other.db_error().and_then(error_class),
        };
        match class {
            Some(ErrorClass::StorageFull) => AppError::storage_full(&self.location()),
            Some(ErrorClass::Busy) if matches!(err, AppError::Internal(_)) => {
                AppError::busy("another writer")
            }
            _ => err,
        }
    }

    /// Who writes in this process now, for a writer that waits.
    fn writer_here(&self) -> String {
        self.holder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| "another write of this process".to_owned())
    }

    /// Copies SQLite's write-ahead log back into the database file in a task of its own, so
    /// that a commit does not wait for it (SQLite's own checkpoint at commit is turned off:
    /// after a batch of 10 000 records into a million, it took longer than the batch's whole
    /// matching). The checkpoint is passive: it never waits for readers or the writer, and
    /// what it cannot copy yet the next one does. Nothing to do on PostgreSQL.
    fn checkpoint_in_background(&self) {
        if self.backend() != DbBackend::Sqlite {
            return;
        }
        let wal = Arc::clone(&self.wal);
        wal.dirty.store(true, Ordering::Release);
        let conn = self.conn.clone();
        tokio::spawn(async move {
            let _running = wal.running.lock().await;
            // A checkpoint that ran while this one waited may have copied this commit too.
            if wal.dirty.swap(false, Ordering::AcqRel)
                && let Err(e) = conn
                    .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                    .await
            {
                tracing::warn!(error = %e, "background checkpoint failed");
            }
        });
    }

    /// The journal SQLite keeps for this database now: `wal`, or `delete` for a database
    /// opened [`Sharing::Alone`] while no other process had it open. `None` on PostgreSQL.
    pub async fn journal_mode(&self) -> Result<Option<String>, DbErr> {
        if self.backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let row = self
            .conn
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA journal_mode",
            ))
            .await?;
        row.map(|r| r.try_get_by_index::<String>(0)).transpose()
    }

    /// Hands a database opened [`Sharing::Alone`] back in write-ahead-log mode, as the command
    /// ends, so that it is found as a server leaves it; nothing to do otherwise.
    pub async fn release(&self) -> Result<(), DbErr> {
        if self.journal_mode().await?.is_some_and(|m| m != "wal") {
            self.writer_conn
                .execute_unprepared("PRAGMA journal_mode = WAL")
                .await?;
        }
        Ok(())
    }

    /// Copies the whole write-ahead log into the database file and empties it (SQLite), as a
    /// command ends; nothing to do on PostgreSQL. (A checkpoint is allowed to readers: it
    /// changes no data.)
    pub async fn checkpoint(&self) -> Result<(), DbErr> {
        if self.backend() == DbBackend::Sqlite {
            let _running = self.wal.running.lock().await;
            self.wal.dirty.store(false, Ordering::Release);
            self.conn
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
        Ok(())
    }
}

/// Which pool of a [`Db`] a connection belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pool {
    /// The writer's: transactions of [`Db::write`], migrations, checkpoints.
    Writer,
    /// The readers': cannot write.
    Readers,
}

/// How the connections of `pool` to `url` are made for `sharing`.
fn pool_options(url: &str, sharing: Sharing, pool: Pool) -> ConnectOptions {
    // A rollback journal is set once connected, where a refusal can be told apart.
    let (journal, synchronous, mmap_size) = match sharing {
        Sharing::Shared => (
            Some(SqliteJournalMode::Wal),
            SqliteSynchronous::Normal,
            "17179869184",
        ),
        // A rollback journal is only safe from power loss when synced at every step. The
        // file is not mapped: its pages are written in place, and a mapped page read back
        // (building an index reads whole tables) would count in the process's resident
        // set, 3.2 GB for a first million records instead of 1.6 GB.
        Sharing::Alone => (None, SqliteSynchronous::Full, "0"),
    };
    // Readers cannot write: whatever tries fails at once, in tests as in production.
    let query_only = if pool == Pool::Readers { "ON" } else { "OFF" };
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(move |o| {
            let o = match journal {
                Some(mode) => o.journal_mode(mode),
                None => o,
            };
            o.synchronous(synchronous)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                // Up to 128 MiB of pages cached per connection (SQLite's default is 2 MiB):
                // a million-record register's indexes are written at random places.
                .pragma("cache_size", "-131072")
                // Pages read through a memory map rather than copied in by `pread`: a batch
                // matched against a large register reads its match index and neighbours at
                // random places (for 10 000 records into a million: 3.8 s → 2.0 s with the
                // machine busy, 2.0 s → 1.7–1.9 s idle). The map is address space, not
                // memory, though its pages count in the resident set; SQLite maps the file
                // only up to its size.
                .pragma("mmap_size", mmap_size)
                // Checkpoints run after the commit, not in it: see
                // [`Db::checkpoint_in_background`].
                .pragma("wal_autocheckpoint", "0")
                // A new database is laid out in 16 KiB pages (SQLite's default is 4 KiB;
                // an existing file keeps its own). A transaction's pages go to the
                // write-ahead log, and every page read looks the log up first, at a cost
                // growing with the log's length in pages: a first million records imports
                // 1.3× faster (182 → 141 s, the index builds 35 → 17 s), and a batch into
                // it takes as long as before (see BENCHMARKS.md).
                .page_size(PAGE_SIZE)
                .pragma("query_only", query_only)
        })
        .map_sqlx_postgres_opts(move |o| {
            if pool == Pool::Readers {
                o.options([("default_transaction_read_only", "on")])
            } else {
                o
            }
        });
    // One writer at a time (its mutex and lock): one connection, two on PostgreSQL where a
    // waiting writer looks up who holds the lock. SQLite serialises writers anyway; a few
    // readers are plenty.
    let most = match (url.starts_with("sqlite:"), pool) {
        (true, Pool::Writer) => 1,
        (true, Pool::Readers) => 4,
        (false, Pool::Writer) => 2,
        (false, Pool::Readers) => 16,
    };
    options.max_connections(most).min_connections(1);
    options
}

/// Moves an SQLite database opened [`Sharing::Alone`] out of its write-ahead log. SQLite
/// refuses at once (`database is locked`) while another process has the file open; the
/// log then stays, and so does everything else.
async fn use_rollback_journal(conn: &DatabaseConnection) {
    match conn
        .execute_unprepared("PRAGMA journal_mode = DELETE")
        .await
    {
        Ok(_) => tracing::debug!("writing alone, with a rollback journal"),
        Err(e) => tracing::info!(
            error = %e,
            "the database is open elsewhere: writing through its write-ahead log"
        ),
    }
}

/// Migrates `conn` once no other process writes (a command importing alone may hold the file
/// for a while: this waits for it, saying so through `notice`), after making sure the
/// database can be written at all.
async fn migrate_in_turn(
    conn: &DatabaseConnection,
    lock_file: Option<&writer::LockFile>,
    notice: &writer::WaitNotice,
) -> anyhow::Result<()> {
    let backend = conn.get_database_backend();
    let _turn = match lock_file {
        Some(lock) => {
            let purpose = "the start of a paicha command or server";
            match lock.acquire(purpose, None, notice).await {
                Ok(turn) => {
                    Some(turn.map_err(|busy| anyhow::anyhow!("{} is writing", busy.holder))?)
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::PermissionDenied
                            | std::io::ErrorKind::ReadOnlyFilesystem
                    ) =>
                {
                    anyhow::bail!(read_only_message(&location_of(lock_file, backend)))
                }
                Err(e) => {
                    return Err(
                        anyhow::Error::new(e).context("Failed to take the database's lock file")
                    );
                }
            }
        }
        None => None,
    };
    if backend == DbBackend::Sqlite && is_read_only(conn).await {
        anyhow::bail!(read_only_message(&location_of(lock_file, backend)));
    }
    if backend != DbBackend::Sqlite {
        // PostgreSQL: each migration in a transaction of its own (sea-orm-migration's way).
        return Migrator::up(conn, None)
            .await
            .context("Failed to apply database migrations");
    }
    // On SQLite sea-orm-migration runs each statement on its own, each a transaction synced
    // to disk: a new database's ~100 statements took most of a small import. One transaction
    // writes them once, and a failure leaves the database as it was.
    let migrated = async {
        let txn = conn.begin().await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await
    };
    migrated
        .await
        .context("Failed to apply database migrations")
}

/// True when SQLite refuses a write to the database (read-only file, folder or mount): a
/// write rolled back, since `BEGIN` alone succeeds there. One transaction, so that every
/// statement runs on the same connection of the pool. Busy or any other failure is left to
/// the migration that follows, which says what it is.
async fn is_read_only(conn: &DatabaseConnection) -> bool {
    let probe = async {
        let txn = conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await?;
        txn.execute_unprepared("CREATE TABLE paicha_write_probe (x INTEGER)")
            .await?;
        txn.rollback().await
    };
    matches!(probe.await, Err(e) if error_class(&e) == Some(ErrorClass::ReadOnly))
}

/// Why a database that cannot be written is refused, and the fix.
fn read_only_message(location: &str) -> String {
    format!(
        "the database {location} cannot be written (read-only file, folder or mount): give the \
         user running paicha write access to the file and its folder (SQLite writes `-wal`, \
         `-shm` and `-writer` files beside it), or point --database-url elsewhere"
    )
}

/// Where a database is, for messages: the SQLite file, or `PostgreSQL`.
fn location_of(lock_file: Option<&writer::LockFile>, backend: DbBackend) -> String {
    match lock_file {
        Some(lock) => lock.database().display().to_string(),
        None if backend == DbBackend::Postgres => "PostgreSQL".to_owned(),
        None => "in memory".to_owned(),
    }
}

/// What kind of failure a database error is, where paicha answers it in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Another writer holds the lock (SQLite `BUSY`/`LOCKED`, PostgreSQL `lock_not_available`).
    Busy,
    /// The disk is full (SQLite `FULL`, PostgreSQL `disk_full`).
    StorageFull,
    /// The database cannot be written (SQLite `READONLY`).
    ReadOnly,
}

/// The database's own error behind `err`, if any.
fn database_error(err: &DbErr) -> Option<&(dyn sea_orm::sqlx::error::DatabaseError + 'static)> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sea_orm::sqlx::Error::Database(d) => Some(d.as_ref()),
            _ => None,
        },
        _ => None,
    }
}

/// The database's own code of `err`: SQLite's (extended) result code as digits, PostgreSQL's
/// SQLSTATE.
pub fn error_code(err: &DbErr) -> Option<String> {
    database_error(err)?.code().map(|c| c.into_owned())
}

/// What kind of failure `err` is, when it is one paicha answers in its own words.
pub fn error_class(err: &DbErr) -> Option<ErrorClass> {
    let error = database_error(err)?;
    let code = error.code()?;
    if error
        .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        return match code.as_ref() {
            "55P03" => Some(ErrorClass::Busy),
            "53100" => Some(ErrorClass::StorageFull),
            "25006" => Some(ErrorClass::ReadOnly),
            _ => None,
        };
    }
    // SQLite: extended codes carry the primary code in their low byte.
    match code.parse::<u32>().ok()? & 0xff {
        5 | 6 => Some(ErrorClass::Busy),
        13 => Some(ErrorClass::StorageFull),
        8 => Some(ErrorClass::ReadOnly),
        _ => None,
    }
}

/// The file of an SQLite URL (`sqlite://paicha.db?mode=rwc`, `sqlite:paicha.db`); `None` for
/// an in-memory database or another backend.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:" && !rest.contains("mode=memory"))
        .then(|| PathBuf::from(path))
}

/// The next free primary key of `table` (the writer lock makes this safe).
pub async fn next_id(txn: &DatabaseTransaction, table: &str) -> Result<i64, DbErr> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COALESCE(MAX(id), 0) AS m FROM {table}"),
        ))
        .await?;
    let max: i64 = match row {
        Some(row) => row.try_get("", "m")?,
        None => 0,
    };
    Ok(max + 1)
}

/// A new SQLite register in a temporary directory, for unit tests: the directory (and the
/// database with it) goes when the returned guard is dropped.
#[cfg(test)]
pub(crate) async fn scratch() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("scratch.db").display()
    );
    let db = Db::connect(&url).await.expect("connect");
    (dir, db)
}

/// A new PostgreSQL register, for unit tests: a database `scratch_{tag}_{pid}` made afresh at
/// `PAICHA_TEST_POSTGRES_URL`, with a connection to the server to drop it by
/// ([`drop_scratch_postgres`]). `None` when the variable is not set.
#[cfg(test)]
pub(crate) async fn scratch_postgres(tag: &str) -> Option<(DatabaseConnection, String, Db)> {
    let base = std::env::var("PAICHA_TEST_POSTGRES_URL").ok()?;
    let name = format!("scratch_{tag}_{}", std::process::id());
    let admin = sea_orm::Database::connect(&base).await.expect("reachable");
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create");
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
    let db = Db::connect(&format!("{prefix}/{name}"))
        .await
        .expect("connect");
    Some((admin, name, db))
}

/// Drops a database made by [`scratch_postgres`].
#[cfg(test)]
pub(crate) async fn drop_scratch_postgres(admin: DatabaseConnection, name: String, db: Db) {
    drop(db);
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .expect("drop");
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn page_size(conn: &DatabaseConnection) -> i64 {
        conn.query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA page_size",
        ))
        .await
        .expect("query")
        .expect("a row")
        .try_get("", "page_size")
        .expect("page size")
    }

    #[tokio::test]
    async fn a_new_sqlite_database_is_migrated_in_one_transaction() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("clash.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        // A table in the way of a late migration (the outbox's): that migration fails.
        let clash = sea_orm::Database::connect(&url).await.expect("connect");
        clash
            .execute_unprepared("CREATE TABLE outbox (x INTEGER)")
            .await
            .expect("made");
        clash.close().await.expect("close");
        assert!(
            Db::connect(&url).await.is_err(),
            "the outbox migration fails"
        );
        // Nothing of the migrations before it stayed: the database is as it was.
        let left = sea_orm::Database::connect(&url).await.expect("connect");
        let tables: Vec<String> = left
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            ))
            .await
            .expect("query")
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).expect("name"))
            .collect();
        assert_eq!(tables, ["outbox"]);
        left.close().await.expect("close");

        // Once the table is out of the way, the same database is migrated whole.
        let fixed = sea_orm::Database::connect(&url).await.expect("connect");
        fixed
            .execute_unprepared("DROP TABLE outbox")
            .await
            .expect("dropped");
        fixed.close().await.expect("close");
        let db = Db::connect(&url).await.expect("migrated");
        let applied = db
            .conn
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) FROM seaql_migrations",
            ))
            .await
            .expect("query")
            .expect("a row")
            .try_get_by_index::<i64>(0)
            .expect("count");
        assert_eq!(applied, Migrator::migrations().len() as i64);
    }

    #[tokio::test]
    async fn a_new_database_has_large_pages_and_an_older_one_keeps_its_own() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = |name: &str| format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
        let new = Db::connect(&url("new.db")).await.expect("connect");
        assert_eq!(page_size(&new.conn).await, i64::from(PAGE_SIZE));

        // A register made with SQLite's default pages before: still opened and migrated.
        let old = sea_orm::Database::connect(url("old.db"))
            .await
            .expect("connect");
        old.execute_unprepared("PRAGMA page_size = 4096; CREATE TABLE t (x INTEGER)")
            .await
            .expect("made with 4 KiB pages");
        old.close().await.expect("close");
        let old = Db::connect(&url("old.db")).await.expect("connect");
        assert_eq!(page_size(&old.conn).await, 4096);
        let tables = old
            .conn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT name FROM sqlite_master WHERE name = 'person'",
            ))
            .await
            .expect("query");
        assert_eq!(tables.len(), 1, "migrated");
    }
}
