//! The one writer. Every write transaction of the register — imports, decisions, tokens —
//! begins through [`super::Db::write`], which makes writers take turns in this process (a
//! mutex), across processes (a lock file beside an SQLite database, a PostgreSQL advisory
//! lock) and inside SQLite (`BEGIN IMMEDIATE`, so no transaction that has read can lose its
//! snapshot to another's commit). A writer that has to wait says for whom it waits; one
//! serving a request with a deadline gives up before it with [`Busy`].

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

use crate::config::limits::{WRITER_BUSY_MARGIN, WRITER_POLL};

/// Arbitrary but fixed key of the PostgreSQL advisory lock that makes writers take turns
/// across several paicha servers and commands sharing one database.
pub(super) const PG_WRITER_LOCK_KEY: i64 = 0x7061_6963_6861;

/// A writer gave up waiting for another one: what it waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    /// Who was writing, as it described itself (`the import of township.csv (process 4711)`).
    pub holder: String,
}

/// Where a writer that has to wait says so (the command line prints it; a server logs it).
#[derive(Clone)]
pub struct WaitNotice(Arc<dyn Fn(&str) + Send + Sync>);

impl WaitNotice {
    /// Tells `f` each time a writer starts waiting, with a sentence naming for whom.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub(super) fn waiting_for(&self, holder: &str) {
        (self.0)(&format!("waiting for {holder} to finish"));
    }
}

impl Default for WaitNotice {
    fn default() -> Self {
        Self::new(|message| tracing::info!("{message}"))
    }
}

impl std::fmt::Debug for WaitNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WaitNotice")
    }
}

/// When a writer waiting must give up, if ever: shortly before the request's deadline.
pub(super) fn give_up_at(deadline: Option<Instant>) -> Option<Instant> {
    deadline.map(|d| d.checked_sub(WRITER_BUSY_MARGIN).unwrap_or(d))
}

/// The file beside an SQLite database whose lock writers of every process take in turn; it
/// holds the current writer's description. The operating system releases the lock when its
/// holder ends, however it ends: nothing stale is left to clear.
#[derive(Debug, Clone)]
pub(super) struct LockFile {
    path: PathBuf,
}

impl LockFile {
    /// The lock file of the SQLite database at `database`.
    pub(super) fn beside(database: &Path) -> Self {
        let mut path = database.as_os_str().to_owned();
        path.push("-writer");
        Self {
            path: PathBuf::from(path),
        }
    }

    /// The database the lock file is beside.
    pub(super) fn database(&self) -> PathBuf {
        let text = self.path.as_os_str().to_string_lossy();
        PathBuf::from(text.strip_suffix("-writer").unwrap_or(&text).to_owned())
    }

    /// Takes the lock for `purpose`, waiting while another process holds it (saying so once
    /// through `notice`), until `give_up` if given. The lock is held as long as the file is.
    pub(super) async fn acquire(
        &self,
        purpose: &str,
        give_up: Option<Instant>,
        notice: &WaitNotice,
    ) -> Result<Result<File, Busy>, std::io::Error> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.path)?;
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let holder = self.holder();
                    if !told {
                        notice.waiting_for(&holder);
                        told = true;
                    }
                    if give_up.is_some_and(|at| Instant::now() >= at) {
                        return Ok(Err(Busy { holder }));
                    }
                    tokio::time::sleep(WRITER_POLL).await;
                }
                Err(TryLockError::Error(e)) => return Err(e),
            }
        }
        // Only the holder writes the description; a waiter reads it.
        file.set_len(0)?;
        (&file).write_all(describe(purpose).as_bytes())?;
        Ok(Ok(file))
    }

    /// The description the current holder wrote (a generic one while it is being written).
    fn holder(&self) -> String {
        std::fs::read_to_string(&self.path)
            .ok()
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| "another writer".to_owned())
    }
}

/// A writer's description as others see it.
fn describe(purpose: &str) -> String {
    format!("{purpose} (process {})", std::process::id())
}

/// Takes the PostgreSQL advisory lock inside `txn`, held until it ends; waits as
/// [`LockFile::acquire`] does.
pub(super) async fn lock_postgres(
    txn: &DatabaseTransaction,
    purpose: &str,
    give_up: Option<Instant>,
    notice: &WaitNotice,
) -> Result<Result<(), Busy>, DbErr> {
    let key = PG_WRITER_LOCK_KEY;
    let free = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1) AS got",
            [key.into()],
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "got"))
        .transpose()?
        .unwrap_or(false);
    if !free {
        let holder = postgres_holder(txn).await?;
        notice.waiting_for(&holder);
        if let Some(at) = give_up {
            let ms = at
                .saturating_duration_since(Instant::now())
                .as_millis()
                .max(1);
            txn.execute_unprepared(&format!("SET LOCAL lock_timeout = {ms}"))
                .await?;
        }
        let locked = txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [key.into()],
            ))
            .await;
        match locked {
            Ok(_) => {}
            Err(e) if is_lock_timeout(&e) => return Ok(Err(Busy { holder })),
            Err(e) => return Err(e),
        }
        if give_up.is_some() {
            txn.execute_unprepared("SET LOCAL lock_timeout = 0").await?;
        }
    }
    // Seen by writers waiting, through pg_stat_activity; reset when the transaction ends.
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('application_name', $1, true)",
        [format!("paicha: {}", describe(purpose)).into()],
    ))
    .await?;
    Ok(Ok(()))
}

/// The description the session holding the PostgreSQL writer lock gave itself.
async fn postgres_holder(txn: &DatabaseTransaction) -> Result<String, DbErr> {
    let key = PG_WRITER_LOCK_KEY;
    // A bigint advisory key is shown as its high and low halves; advisory locks are per
    // database.
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a.application_name AS holder FROM pg_locks l \
             JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1",
            [(key >> 32).into(), (key & 0xffff_ffff).into()],
        ))
        .await?;
    let holder = row
        .map(|r| r.try_get::<Option<String>>("", "holder"))
        .transpose()?
        .flatten()
        .map(|name| name.trim_start_matches("paicha: ").to_owned())
        .filter(|name| !name.is_empty());
    Ok(holder.unwrap_or_else(|| "another writer".to_owned()))
}

/// PostgreSQL's `lock_not_available` (55P03): `lock_timeout` ran out.
fn is_lock_timeout(err: &DbErr) -> bool {
    super::error_code(err).as_deref() == Some("55P03")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_writer_waits_for_the_first_says_for_whom_and_gives_up_at_its_deadline() {
        let dir = tempfile::tempdir().expect("temp dir");
        let lock = LockFile::beside(&dir.path().join("paicha.db"));
        let heard = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let notice = {
            let heard = heard.clone();
            WaitNotice::new(move |m| heard.lock().expect("heard").push(m.to_owned()))
        };

        let first = lock
            .acquire("the import of township.csv", None, &notice)
            .await
            .expect("io")
            .expect("free");
        let busy = lock
            .acquire("a decision", Some(Instant::now()), &notice)
            .await
            .expect("io")
            .expect_err("held by the first");
        assert!(
            busy.holder
                .starts_with("the import of township.csv (process ")
        );
        let heard_now = heard.lock().expect("heard").clone();
        assert_eq!(heard_now.len(), 1);
        assert!(
            heard_now[0].starts_with("waiting for the import of township.csv (process "),
            "{heard_now:?}"
        );

        drop(first);
        let second = lock
            .acquire("a decision", Some(Instant::now()), &notice)
            .await
            .expect("io");
        assert!(second.is_ok(), "free again once the first is dropped");
    }
}
