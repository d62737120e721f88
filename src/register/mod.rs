//! The register: use cases over the database — importing batches, reading persons and
//! records, the figures the command centre reports.

mod admin;
pub mod decisions;
pub mod followup;
pub mod golden;
pub mod household_call;
pub mod import;
pub mod letters;
pub mod query;
pub mod reports;
pub mod resolution;

pub use crate::states::{HubeiLink, LocationStatus};
pub use decisions::Verdict;
pub use import::{Hooked, ImportHook, ImportRequest, NoProgress, Progress};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait as _, EntityTrait, QuerySelect};
use tokio::sync::{Mutex, broadcast};

use crate::config::Reference;
use crate::config::limits::{
    BULK_MIN_RECORDS, CHANGE_BUFFER, DASHBOARD_MIN_GROUP, IDENTITIES_HELD,
};
use crate::db::{Db, resolution_event};
use crate::resolve::profile::Profile;

/// The register over one database, with the reference data it normalises against and the
/// matching profile it resolves with.
#[derive(Clone, Debug)]
pub struct Register {
    /// The database: private, so every write goes through the register's methods.
    db: Db,
    pub reference: Reference,
    pub profile: Arc<Profile>,
    changes: broadcast::Sender<RegisterChange>,
    /// The last resolution event announced by a change.
    announced: Arc<Mutex<i64>>,
    /// The fewest records an import must write, and at least as many as the register holds,
    /// for the tables' secondary indexes to be rebuilt after the batch instead of maintained
    /// row by row (see [`crate::db::bulk`]).
    bulk_min_records: usize,
    /// The most records a resolution run holds the identities of through the engine; a
    /// larger run lets them go once their comparison values are made and reads them back for
    /// golden records.
    identities_held: usize,
    /// Fewest persons a group of an aggregate may count for a caller who sees aggregates
    /// only (see [`DASHBOARD_MIN_GROUP`]).
    min_group: u64,
    /// Wakes the delivery worker when a letter for a partner hub is queued.
    outbox_wake: Arc<tokio::sync::Notify>,
}

/// What kind of write changed the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Files were imported (and the register re-resolved).
    Import,
    /// An analyst decided a candidate, merged persons or split one.
    Decision,
    /// A person's home observation changed: started, released, updated by hand, a reading
    /// recorded, a team assigned.
    Observation,
    /// A follow-up alert was raised (a fever, a missed check) or answered.
    Alert,
    /// A letter was issued, acknowledged, cancelled or answered.
    Letter,
}

/// A committed change of the register, announced to subscribers after the commit.
#[derive(Debug, Clone)]
pub struct RegisterChange {
    pub kind: ChangeKind,
    pub at: DateTime<Utc>,
    /// The batches an import wrote (none for a decision).
    pub batch_ids: Vec<i64>,
    /// The resolution events the change wrote: IDs after `events_after`, up to `events_to`.
    pub events_after: i64,
    pub events_to: i64,
}

impl Register {
    /// A register on `db` for the county of `reference`, matching with `profile`.
    pub fn new(db: Db, reference: Reference, profile: impl Into<Arc<Profile>>) -> Self {
        Self {
            db,
            reference,
            profile: profile.into(),
            changes: broadcast::channel(CHANGE_BUFFER).0,
            announced: Arc::new(Mutex::new(0)),
            bulk_min_records: BULK_MIN_RECORDS,
            identities_held: IDENTITIES_HELD,
            min_group: DASHBOARD_MIN_GROUP,
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The same register, withholding from dashboards the groups of aggregates smaller than
    /// `persons` (see [`DASHBOARD_MIN_GROUP`]).
    pub fn with_min_group(mut self, persons: u64) -> Self {
        self.min_group = persons;
        self
    }

    /// Fewest persons a group of an aggregate may count for a dashboard.
    pub fn min_group(&self) -> u64 {
        self.min_group
    }

    /// The same register, holding the identities of at most `records` records through a
    /// resolution run (see [`IDENTITIES_HELD`]).
    pub fn with_identities_held(mut self, records: usize) -> Self {
        self.identities_held = records;
        self
    }

    /// The same register, writing an import of at least `records` records (and at least as
    /// many as it holds) as a bulk write: secondary indexes rebuilt once after the batch.
    pub fn with_bulk_min_records(mut self, records: usize) -> Self {
        self.bulk_min_records = records;
        self
    }

    /// The same register, copying the rows of a write on PostgreSQL from `rows` rows of one
    /// table at once (see [`crate::db::pg_copy`]).
    pub fn with_copy_min_rows(mut self, rows: usize) -> Self {
        self.db = self.db.with_copy_min_rows(rows);
        self
    }

    /// The database, for tests and tools that inspect it. Writes go through the register's
    /// methods, never through this.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Changes committed from now on (in this process), in commit order.
    pub fn subscribe(&self) -> broadcast::Receiver<RegisterChange> {
        self.changes.subscribe()
    }

    /// Announces a committed change with the events written since the last announcement.
    /// Called after the commit, so a subscriber that reads on finds the change.
    pub(crate) async fn announce(&self, kind: ChangeKind, batch_ids: Vec<i64>) {
        self.announce_after(kind, batch_ids, None).await;
    }

    /// [`Register::announce`] of an import or a decision that wrote the resolution events
    /// after event `after` ([`newest_event`] before it wrote): only their persons'
    /// observations are brought up to date (every person's when `None`).
    pub(crate) async fn announce_after(
        &self,
        kind: ChangeKind,
        batch_ids: Vec<i64>,
        after: Option<i64>,
    ) {
        if matches!(kind, ChangeKind::Import | ChangeKind::Decision) {
            // On a task of its own, outside the request's deadline: the change is committed
            // already, and this write must not be cut off at its commit.
            let register = self.clone();
            let synced = tokio::spawn(async move {
                // Persons back in the county leave their letters (and a reply that brought one
                // back is weighed again) before the observations are brought up to date.
                if let Err(e) = register.sync_letters().await {
                    tracing::warn!(error = ?e, "could not bring the letters up to date");
                }
                match after {
                    Some(after) => register.sync_observations_after(after).await,
                    None => register.sync_observations().await,
                }
            })
            .await;
            if let Err(e) = synced
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| format!("{e:?}")))
            {
                // The change is committed; the server's next start or sweep of a command
                // brings the observations up to date.
                tracing::warn!(error = %e, "could not bring the observations up to date");
            }
        }
        let mut announced = self.announced.lock().await;
        let newest = match newest_event(&self.db.conn).await {
            Ok(newest) => newest,
            Err(e) => {
                // The change is committed; only its announcement is lost.
                tracing::warn!(error = %e, "could not read the newest event to announce a change");
                return;
            }
        };
        let change = RegisterChange {
            kind,
            at: Utc::now(),
            batch_ids,
            events_after: (*announced).min(newest),
            events_to: newest,
        };
        *announced = newest;
        // No subscriber is not an error.
        let _ = self.changes.send(change);
    }
}

/// The ID of the newest resolution event (0 when there is none): what a change writes comes
/// after it.
pub(crate) async fn newest_event(
    conn: &impl sea_orm::ConnectionTrait,
) -> Result<i64, sea_orm::DbErr> {
    let newest: Option<Option<i64>> = resolution_event::Entity::find()
        .select_only()
        .column_as(resolution_event::Column::Id.max(), "m")
        .into_tuple()
        .one(conn)
        .await?;
    Ok(newest.flatten().unwrap_or(0))
}
