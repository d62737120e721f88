//! Importing files: read, normalise, store raw, resolve to persons — one transaction.
//!
//! - this module: the import itself — batches, their records (new versions retiring old
//!   ones), the resolution run at the end;
//! - [`reading`]: reading and normalising a file on a thread of its own, a chunk at a time;
//! - [`models`]: the stored rows an import writes (batch, notices, records).

mod again;
mod models;
mod reading;
mod versions;

use again::{already_imported, mark_already_imported};
use models::{batch_model, insert_all, notice_model, notice_scope, record_model};
pub use reading::ReadAhead;
use reading::{Prepared, Reading, Rows, headers_for, reader_lost};
use versions::{SAME_ID_OTHER_PERSON, other_person, record_scope, stored_versions};

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
};
use sha2::{Digest, Sha256};

use super::Register;
use super::resolution::{FreshRecord, Reach};
use crate::access::submission;
use crate::config::limits::MAX_REJECTED_ROWS_KEPT;
use crate::db::bulk::{self, SuspendedIndexes};
use crate::db::read_back::{linked_records, persons_of};
use crate::db::{self, import_batch, notice, source_record};
use crate::db::{overlap, rows};
use crate::error::AppError;
use crate::intake::{self, BatchReport, RecordIdConflict, SourceKind};
use crate::telemetry::StageTimer;

/// Rows per INSERT statement (SQLite allows 32 766 bound values per statement).
pub(super) const CHUNK: usize = 500;

/// Reports how far a long import has come (a progress bar on a terminal, nothing elsewhere).
pub trait Progress: Send + Sync {
    /// A stage of `total` steps begins.
    fn start(&self, _stage: &str, _total: u64) {}
    /// `n` more steps are done.
    fn advance(&self, _n: u64) {}
    /// The import is over.
    fn finish(&self) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {}

/// One file to import.
pub struct ImportRequest<'a> {
    pub source: SourceKind,
    pub file_name: &'a str,
    /// The file's content, shared with the thread that reads it (a `Vec<u8>` or `String`
    /// converts without a copy).
    pub bytes: Bytes,
    /// A mapping file (TOML `"column" = "field"`) for headers intake does not know.
    pub mapping: Option<&'a str>,
    /// Who imports it (a user name or token label; `cli` from the command line).
    pub actor: &'a str,
    pub progress: &'a dyn Progress,
    /// For a partner's upload: the jurisdiction (GB/T 2260 code) every notice must be sent
    /// by; `None` for the county's own staff.
    pub sender: Option<&'a str>,
    /// Test hook: fail after writing this many records, to prove a batch is all or nothing.
    #[doc(hidden)]
    pub fail_after_records: Option<usize>,
}

impl<'a> ImportRequest<'a> {
    /// A request with no mapping file, no progress and `actor` as the importer.
    pub fn new(
        source: SourceKind,
        file_name: &'a str,
        bytes: impl Into<Bytes>,
        actor: &'a str,
    ) -> Self {
        Self {
            source,
            file_name,
            bytes: bytes.into(),
            mapping: None,
            actor,
            progress: &NoProgress,
            sender: None,
            fail_after_records: None,
        }
    }
}

/// Work an import does in its own transaction for its caller: the hub-to-hub exchange
/// records the request a batch answers (its idempotency key) atomically with the batch.
#[async_trait::async_trait]
pub trait ImportHook: Send + Sync {
    /// Runs in the writer's turn before anything is written: `Some(answer)` answers the
    /// request without importing (nothing is written).
    async fn before(
        &self,
        txn: &DatabaseTransaction,
    ) -> Result<Option<serde_json::Value>, AppError>;
    /// Runs after the batch is written and resolved, before the commit; its answer is
    /// returned with the reports. An error rolls the batch back.
    async fn after(
        &self,
        txn: &DatabaseTransaction,
        reports: &[BatchReport],
    ) -> Result<serde_json::Value, AppError>;
}

/// What [`Register::import_hooked`] did.
#[derive(Debug)]
pub enum Hooked {
    /// The hook answered before the import: nothing was written.
    Answered(serde_json::Value),
    /// The file was imported (or found imported before), with the hook's answer.
    Imported {
        reports: Vec<BatchReport>,
        answer: Option<serde_json::Value>,
    },
}

/// What happens to a prepared row in this batch.
enum Plan {
    Unchanged,
    /// A record the register did not hold, written as `version` (1 unless its record ID
    /// already named another person's record in the same scope).
    New {
        version: i32,
    },
    /// A new version of the same person's record `old_id`.
    NewVersion {
        old_id: i64,
        version: i32,
    },
}

/// What the files of one command have written so far, for the resolution run at its end.
#[derive(Default)]
struct Command {
    fresh: Vec<FreshRecord>,
    inherited: HashMap<i64, i64>,
    batch_of: HashMap<i64, i64>,
    /// Records the register held before the command (counted once it matters).
    register_size: Option<usize>,
    /// Indexes set aside for a bulk write (see [`Register::maybe_suspend_indexes`]).
    suspended: Option<SuspendedIndexes>,
}

/// One file being written as it is read.
struct Batch<'r> {
    req: &'r ImportRequest<'r>,
    id: i64,
    report: BatchReport,
    notice_ids: Vec<i64>,
    /// The record scope of each notice's persons (see [`record_scope`]).
    notice_scopes: Vec<String>,
    now: chrono::DateTime<Utc>,
    /// Records of the file written so far.
    written: usize,
    /// False when the register held no record of the file's source as the file began: then
    /// every row is new and none is looked up.
    look_up: bool,
}

impl Register {
    /// Imports one file as one batch and returns its report.
    ///
    /// A file that cannot be read is refused whole (`BadInput`) and nothing is written;
    /// re-importing a file already imported is a no-op; any failure while writing rolls the
    /// whole batch back.
    pub async fn import(&self, req: ImportRequest<'_>) -> Result<BatchReport, AppError> {
        self.import_all(vec![req])
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("an import made no report")))
    }

    /// Imports several files, each as its own batch, in one transaction with one resolution
    /// run at the end. One unreadable file refuses them all: nothing is written.
    ///
    /// Each file is written as it is read, a chunk of rows at a time, so a million-row file is
    /// never held whole; an error anywhere rolls the transaction back.
    #[tracing::instrument(skip_all, fields(files = requests.len()), err(level = "debug", Debug))]
    pub async fn import_all(
        &self,
        requests: Vec<ImportRequest<'_>>,
    ) -> Result<Vec<BatchReport>, AppError> {
        self.import_all_read_ahead(requests, None).await
    }

    /// [`Register::import_all`], taking over `ahead`, the reading of the first request's file
    /// started before the register was open (see [`ReadAhead`]). A reading of another file is
    /// dropped.
    pub async fn import_all_read_ahead(
        &self,
        requests: Vec<ImportRequest<'_>>,
        ahead: Option<ReadAhead>,
    ) -> Result<Vec<BatchReport>, AppError> {
        match self.write_imports(requests, ahead, None).await {
            Ok(Hooked::Imported { reports, .. }) => Ok(reports),
            Ok(Hooked::Answered(_)) => Err(AppError::Internal(anyhow::anyhow!(
                "an import without a hook was answered by one"
            ))),
            Err(e) => Err(self.db.explain(e)),
        }
    }

    /// Imports one file as one batch with `hook` run in the import's own transaction, before
    /// anything is written and after the batch is resolved (see [`ImportHook`]): what the hook
    /// writes commits or rolls back with the batch.
    #[tracing::instrument(skip_all, err(level = "debug", Debug))]
    pub async fn import_hooked(
        &self,
        req: ImportRequest<'_>,
        hook: &dyn ImportHook,
    ) -> Result<Hooked, AppError> {
        self.write_imports(vec![req], None, Some(hook))
            .await
            .map_err(|e| self.db.explain(e))
    }

    async fn write_imports(
        &self,
        mut requests: Vec<ImportRequest<'_>>,
        ahead: Option<ReadAhead>,
        hook: Option<&dyn ImportHook>,
    ) -> Result<Hooked, AppError> {
        let mut stage = StageTimer::new();
        // The events of the run are the importer's (one command, one importer).
        let actor = requests
            .first()
            .map_or_else(String::new, |r| r.actor.to_owned());

        let files: Vec<&str> = requests.iter().map(|r| r.file_name).collect();
        let write = self
            .db
            .write(&format!("the import of {}", files.join(", ")))
            .await?;
        if let Some(hook) = hook {
            match hook.before(&write.txn).await {
                Ok(None) => {}
                Ok(Some(answer)) => {
                    // Answered without importing: nothing of this request is written.
                    write.txn.rollback().await?;
                    return Ok(Hooked::Answered(answer));
                }
                Err(e) => {
                    self.roll_back(write).await;
                    return Err(e);
                }
            }
        }
        let written = match write
            .staged(self.write_all(&write.txn, &mut requests, ahead, &actor, &mut stage))
            .await
        {
            Ok((reports, after)) => match hook {
                Some(hook) => hook
                    .after(&write.txn, &reports)
                    .await
                    .map(|answer| (reports, after, Some(answer))),
                None => Ok((reports, after, None)),
            },
            Err(e) => Err(e),
        };
        let (reports, after, answer) = match written {
            Ok(written) => written,
            Err(e) => {
                self.roll_back(write).await;
                return Err(e);
            }
        };
        write.commit().await?;
        stage.lap("commit");
        let written: Vec<i64> = reports
            .iter()
            .filter(|r| !r.already_imported)
            .map(|r| r.batch_id)
            .collect();
        if !written.is_empty() {
            self.announce_after(super::ChangeKind::Import, written, Some(after))
                .await;
        }
        for report in reports.iter().filter(|r| !r.already_imported) {
            tracing::info!(
                batch.id = report.batch_id,
                rows.accepted = report.rows_accepted,
                rows.rejected = report.rows_rejected,
                records.new = report.records_new,
                persons.created = report.persons_created,
                "batch imported"
            );
        }
        Ok(Hooked::Imported { reports, answer })
    }

    /// Rolls back an import that failed, and empties SQLite's write-ahead log of what it had
    /// written there: a large batch spills its pages into the log before its commit, and
    /// without this the log stays as large as the batch that never was (best effort, logged
    /// when it fails). The writer lock is held until the log is emptied.
    async fn roll_back(&self, write: db::WriteTxn<'_>) {
        if let Err(e) = write.txn.rollback().await {
            tracing::warn!(error = %e, "rolling back a failed import failed");
        }
        if let Err(e) = self.db.checkpoint().await {
            tracing::warn!(error = %e, "emptying the write-ahead log after a failed import failed");
        }
    }

    /// Writes the files of one command in `txn`, each as its own batch, and resolves them in
    /// one run; returns their reports and the newest resolution event before it wrote.
    /// Each file's bytes are let go once its rows are written (a large file's are not held
    /// through the resolution run). Nothing is committed here.
    async fn write_all(
        &self,
        txn: &DatabaseTransaction,
        requests: &mut [ImportRequest<'_>],
        ahead: Option<ReadAhead>,
        actor: &str,
        stage: &mut StageTimer,
    ) -> Result<(Vec<BatchReport>, i64), AppError> {
        let after = super::newest_event(txn).await?;
        let mut command = Command::default();
        let mut reports: Vec<BatchReport> = Vec::new();
        let mut seen: Vec<(SourceKind, String)> = Vec::new();
        // Each file is read and normalised while the one before it is written: its reading
        // starts as the one before begins to be written (two 5 000-row files of FEBRL4 were
        // read one after the other, the writer idle meanwhile). The first file's may have
        // started before the register was opened (`ahead`).
        let mut read_ahead: Option<(usize, Result<Rows, AppError>)> = ahead
            .filter(|ahead| requests.first().is_some_and(|first| ahead.is_for(first)))
            .map(|ahead| (0, ahead.into_rows()));
        for i in 0..requests.len() {
            let req = &requests[i];
            let sha256 = hex::encode(Sha256::digest(&req.bytes));
            if let Some(report) = already_imported(txn, req.source, &sha256).await? {
                if let Some(sender) = req.sender {
                    // A partner learns of a file's earlier import only for its own notices.
                    self.check_sender_of(req, sender)?;
                }
                reports.push(report);
                continue;
            }
            let key = (req.source, sha256);
            if let Some(i) = seen.iter().position(|k| *k == key) {
                // The same file twice in one command: the second is the first's no-op.
                let mut report = reports[i].clone();
                mark_already_imported(&mut report);
                reports.push(report);
                continue;
            }
            let reading = match read_ahead.take() {
                Some((next, reading)) if next == i => reading?,
                _ => self.start_reading(req)?,
            };
            if let Some(next) = requests.get(i + 1) {
                read_ahead = Some((i + 1, self.start_reading(next)));
            }
            let report = self
                .import_file(txn, req, reading, key.1.clone(), &mut command)
                .await?;
            requests[i].bytes = Bytes::new();
            seen.push(key);
            reports.push(report);
        }
        stage.lap("read, normalise and store");

        let Command {
            fresh,
            inherited,
            batch_of,
            suspended,
            ..
        } = command;
        let in_bulk = suspended.is_some();
        let mut suspended = suspended.unwrap_or_default();
        // The records' indexes are built while the engine runs (nothing writes records after
        // this point); the persons' once the persons are written.
        let records_indexes = suspended.take("source_record");
        if fresh.is_empty() {
            records_indexes.restore(txn).await?;
        } else {
            let summary = self
                .resolve_register(
                    txn,
                    fresh,
                    &inherited,
                    &batch_of,
                    Reach::Batch(records_indexes),
                    actor,
                )
                .await?;
            for report in reports.iter_mut().filter(|r| !r.already_imported) {
                let in_batch = |record: &i64| batch_of.get(record) == Some(&report.batch_id);
                let mut created = BTreeSet::new();
                let mut matched = BTreeSet::new();
                for (record, person) in &summary.new_record_persons {
                    if !in_batch(record) {
                        continue;
                    }
                    // A person is created by the batch of its founding record; any other
                    // batch with records of it matched it.
                    match summary.founded_in.get(person) {
                        Some(founder) if in_batch(founder) => {
                            created.insert(*person);
                        }
                        _ => {
                            matched.insert(*person);
                        }
                    }
                }
                report.persons_created = u32::try_from(created.len()).unwrap_or(u32::MAX);
                report.persons_matched = u32::try_from(matched.len()).unwrap_or(u32::MAX);
                import_batch::Entity::update_many()
                    .col_expr(
                        import_batch::Column::PersonsCreated,
                        Expr::value(i64::from(report.persons_created)),
                    )
                    .col_expr(
                        import_batch::Column::PersonsMatched,
                        Expr::value(i64::from(report.persons_matched)),
                    )
                    .col_expr(import_batch::Column::ModelId, Expr::value(summary.model))
                    .filter(import_batch::Column::Id.eq(report.batch_id))
                    .exec(txn)
                    .await?;
            }
        }
        stage.lap("resolve");
        if !suspended.is_empty() {
            suspended.restore(txn).await?;
            stage.lap("rebuild indexes");
        }
        if in_bulk {
            bulk::refresh_statistics(txn, &bulk::IMPORT_TABLES).await?;
            stage.lap("statistics");
        }
        Ok((reports, after))
    }

    /// Starts reading and normalising `req`'s file on a thread of its own, a chunk of rows at
    /// a time (see [`ReadAhead::start`]).
    fn start_reading(&self, req: &ImportRequest<'_>) -> Result<Rows, AppError> {
        ReadAhead::start(&self.reference, Arc::clone(&self.profile), req).into_rows()
    }

    /// Writes one file as one batch, a chunk of rows at a time as `reading` reads and
    /// normalises them: the batch, its notices, its records (retiring old versions). The file
    /// is refused whole (`BadInput`) when it cannot be read; the caller's transaction then
    /// rolls back whatever was written of it.
    async fn import_file(
        &self,
        txn: &DatabaseTransaction,
        req: &ImportRequest<'_>,
        mut reading: Rows,
        sha256: String,
        command: &mut Command,
    ) -> Result<BatchReport, AppError> {
        let now = Utc::now();
        let today = now.date_naive();
        let (format, notices) = match reading.next(req).await? {
            Reading::Opened { format, notices } => (format, notices),
            _ => return Err(reader_lost()),
        };
        if let Some(sender) = req.sender {
            // Notices are complete once the file is open: one sent from outside the partner's
            // jurisdiction refuses the file before anything of it is written.
            submission::check_senders(self.reference.divisions, sender, &notices)?;
        }
        req.progress.start("import", reading.lines as u64);

        let id = db::next_id(txn, "import_batch").await?;
        let report = BatchReport::new(
            id,
            req.source,
            req.file_name.to_owned(),
            format.as_str().to_owned(),
            sha256,
        );
        // The batch row comes first (records refer to it); its counts are written at the end.
        import_batch::Entity::insert(batch_model(id, &report, req.actor, now))
            .exec_without_returning(txn)
            .await?;
        let first_notice = db::next_id(txn, "notice").await?;
        let notice_ids: Vec<i64> = (0..notices.len() as i64)
            .map(|i| first_notice + i)
            .collect();
        let notice_rows: Vec<notice::Model> = notices
            .iter()
            .zip(&notice_ids)
            .map(|(n, nid)| notice_model(*nid, id, n, today, self.reference.divisions))
            .collect();
        let notice_scopes: Vec<String> = notice_rows.iter().map(notice_scope).collect();
        let notice_models: Vec<notice::ActiveModel> =
            notice_rows.into_iter().map(Into::into).collect();
        insert_all(txn, notice_models).await?;

        let mut batch = Batch {
            req,
            id,
            report,
            notice_ids,
            notice_scopes,
            now,
            written: 0,
            look_up: holds_source(txn, req.source).await?,
        };
        let mut accepted = 0usize;
        // Time spent waiting for rows and writing them, for tuning.
        let (mut waiting, mut writing) = (Duration::ZERO, Duration::ZERO);
        let read = loop {
            let started = Instant::now();
            let next = reading.next(req).await?;
            waiting += started.elapsed();
            let prepared = match next {
                Reading::Rows(prepared) => prepared,
                Reading::Done(done) => break done,
                Reading::Opened { .. } => return Err(reader_lost()),
            };
            let started = Instant::now();
            accepted += prepared.len();
            self.write_records(txn, &mut batch, prepared, command)
                .await?;
            writing += started.elapsed();
        };
        tracing::debug!(
            reading = read.reading.as_millis() as u64,
            normalising = read.normalising.as_millis() as u64,
            waiting = waiting.as_millis() as u64,
            writing = writing.as_millis() as u64,
            "file read (ms)"
        );
        req.progress.finish();
        let read = read.read;
        if req.sender.is_some() {
            // Rows without any notice, now that they are counted.
            submission::check_rows_have_notice(&read.notices, accepted)?;
        }
        let Batch { mut report, .. } = batch;
        report.rows_read = read.rows_read;
        report.rows_accepted = u32::try_from(accepted).unwrap_or(u32::MAX);
        report.rows_rejected = read.rows_rejected;
        report.rejected = read.rejected;
        report.notices = u32::try_from(read.notices.len()).unwrap_or(u32::MAX);
        // Every column written again (a model converts to an update of nothing changed).
        import_batch::Entity::update(batch_model(id, &report, req.actor, now).reset_all())
            .exec(txn)
            .await?;
        Ok(report)
    }

    /// Writes one chunk of a file's rows: new records and new versions (retiring the old
    /// ones); rows the register already holds unchanged are only counted.
    async fn write_records(
        &self,
        txn: &DatabaseTransaction,
        batch: &mut Batch<'_>,
        prepared: Vec<Prepared>,
        command: &mut Command,
    ) -> Result<(), AppError> {
        let req = batch.req;
        let scopes: Vec<String> = prepared
            .iter()
            .map(|p| record_scope(req.source, p, &batch.notice_scopes))
            .collect();
        let mut existing = if batch.look_up {
            stored_versions(txn, req.source, &prepared).await?
        } else {
            HashMap::new()
        };
        let report = &mut batch.report;
        let plans: Vec<Plan> = prepared
            .iter()
            .zip(&scopes)
            .map(|(p, scope)| {
                let key = (scope.clone(), p.record_id.clone());
                let Some(stored) = existing.get_mut(&key) else {
                    return Plan::New { version: 1 };
                };
                if stored.current.iter().any(|e| e.hash == p.content_hash) {
                    return Plan::Unchanged;
                }
                stored.max_version += 1;
                let version = stored.max_version;
                // The newest current version that is the row's person (a correction).
                match stored
                    .current
                    .iter()
                    .rev()
                    .find(|e| other_person(e, p).is_none())
                {
                    Some(e) => Plan::NewVersion {
                        old_id: e.id,
                        version,
                    },
                    None => {
                        let reason = stored
                            .current
                            .iter()
                            .find_map(|e| other_person(e, p))
                            .unwrap_or(SAME_ID_OTHER_PERSON);
                        if report.record_id_conflicts.len() < MAX_REJECTED_ROWS_KEPT {
                            report.record_id_conflicts.push(RecordIdConflict {
                                row: p.row_number,
                                record_id: p.record_id.clone(),
                                reason: reason.to_owned(),
                            });
                        }
                        Plan::New { version }
                    }
                }
            })
            .collect();
        for plan in &plans {
            match plan {
                Plan::Unchanged => report.records_unchanged += 1,
                Plan::New { .. } => report.records_new += 1,
                Plan::NewVersion { .. } => report.records_new_version += 1,
            }
        }
        let unchanged = plans
            .iter()
            .filter(|p| matches!(p, Plan::Unchanged))
            .count();
        req.progress.advance(unchanged as u64);
        let old_ids: Vec<i64> = plans
            .iter()
            .filter_map(|p| match p {
                Plan::NewVersion { old_id, .. } => Some(*old_id),
                _ => None,
            })
            .collect();
        let old_persons = persons_of(txn, &old_ids).await?;
        for chunk in old_ids.chunks(CHUNK) {
            source_record::Entity::update_many()
                .col_expr(source_record::Column::IsCurrent, Expr::value(false))
                .filter(source_record::Column::Id.is_in(chunk.to_vec()))
                .exec(txn)
                .await?;
        }
        let incoming = plans.len() - unchanged;
        self.maybe_suspend_indexes(txn, command, incoming).await?;

        // Records are built and written a few hundred at a time, and each row's identity and
        // values move on to the resolution run.
        let mut next_record = db::next_id(txn, "source_record").await?;
        let mut pending = prepared
            .into_iter()
            .zip(scopes)
            .zip(plans)
            .filter(|(_, plan)| !matches!(plan, Plan::Unchanged))
            .peekable();
        let transport = overlap::Transport::of(txn);
        let chunk_rows = transport.chunk(CHUNK);
        let (batch_id, now, source) = (batch.id, batch.now, req.source);
        let notice_ids = &batch.notice_ids;
        // The next chunk's rows and write, made while the one before it is written.
        let mut make_chunk = || -> Option<(overlap::Write, usize)> {
            pending.peek()?;
            let mut chunk = Vec::with_capacity(chunk_rows);
            for ((p, scope), plan) in pending.by_ref().take(chunk_rows) {
                let version = match plan {
                    Plan::Unchanged => continue,
                    Plan::New { version } | Plan::NewVersion { version, .. } => version,
                };
                let record = next_record;
                next_record += 1;
                if let Plan::NewVersion { old_id, .. } = plan
                    && let Some(person) = old_persons.get(&old_id)
                {
                    command.inherited.insert(record, *person);
                }
                let notice_id = p.notice.and_then(|i| notice_ids.get(i).copied());
                let (model, identity, values) = record_model(
                    record,
                    batch_id,
                    source,
                    version,
                    p,
                    (notice_id, scope),
                    now,
                );
                chunk.push(model);
                command.batch_of.insert(record, batch_id);
                command.fresh.push(FreshRecord {
                    id: record,
                    source,
                    identity: Some(Box::new(identity)),
                    values,
                });
            }
            let write =
                transport.insert::<source_record::Entity>(&chunk, &rows::OnConflict::Fail)?;
            Some((write, chunk.len()))
        };
        let mut next = make_chunk();
        let mut written = batch.written;
        while let Some((write, rows)) = next {
            let (result, following) =
                overlap::while_writing(write.execute(txn), &mut make_chunk).await;
            result?;
            next = following;
            written += rows;
            req.progress.advance(rows as u64);
            if req.fail_after_records.is_some_and(|n| written >= n) {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "injected failure after {written} records"
                )));
            }
        }
        batch.written = written;
        // A run over more records than it holds identities for reads them back for golden
        // records: they can go now (the newest first, up to those already let go).
        if command.fresh.len() > self.identities_held {
            for f in command.fresh.iter_mut().rev() {
                if f.identity.take().is_none() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Sets the secondary indexes of the tables an import writes aside once the command has
    /// come to write at least the bulk minimum of records and at least as many as the
    /// register held: they are rebuilt once before the commit (see [`crate::db::bulk`]).
    /// `incoming` records are about to be written.
    async fn maybe_suspend_indexes(
        &self,
        txn: &DatabaseTransaction,
        command: &mut Command,
        incoming: usize,
    ) -> Result<(), DbErr> {
        let writing = command.fresh.len() + incoming;
        if command.suspended.is_some() || incoming == 0 || writing < self.bulk_min_records {
            return Ok(());
        }
        let register_size = match command.register_size {
            Some(n) => n,
            None => {
                let n = linked_records(txn).await?;
                command.register_size = Some(n);
                n
            }
        };
        if writing >= register_size {
            // The wide tables, whose indexes are keyed by names, ID numbers and places that
            // arrive in no order; links and events arrive nearly in the order of their keys.
            // On PostgreSQL, the foreign keys of records and links too (checked row by row).
            let mut suspended = bulk::suspend_indexes(txn, &["source_record", "person"]).await?;
            suspended
                .extend(bulk::suspend_foreign_keys(txn, &["source_record", "record_link"]).await?);
            command.suspended = Some(suspended);
        }
        Ok(())
    }

    /// Reads a partner's file through without writing it and refuses it as the import would
    /// (see [`submission`]).
    fn check_sender_of(&self, req: &ImportRequest<'_>, sender: &str) -> Result<(), AppError> {
        let headers = headers_for(&self.profile, req)?;
        let (_, file) = intake::read_file(req.source, req.file_name, &req.bytes, &headers)
            .map_err(|e| refused(req, e))?;
        submission::check_senders(self.reference.divisions, sender, &file.notices)?;
        submission::check_rows_have_notice(&file.notices, file.rows.len())
    }
}

/// A file refused whole: the reason, after the file's name.
pub(super) fn refused(req: &ImportRequest<'_>, e: intake::IntakeError) -> AppError {
    AppError::BadInput(format!("{}：{e}", req.file_name))
}

/// True when the register holds any record of `source`.
async fn holds_source(txn: &DatabaseTransaction, source: SourceKind) -> Result<bool, DbErr> {
    Ok(source_record::Entity::find()
        .select_only()
        .column(source_record::Column::Id)
        .filter(source_record::Column::Source.eq(source.as_db()))
        .into_tuple::<i64>()
        .one(txn)
        .await?
        .is_some())
}
