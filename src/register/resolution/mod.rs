//! Running the resolution engine over the register and writing what changed: links, persons
//! (created, merged with a redirect, split off), golden records, events, review candidates
//! and the trained model.
//!
//! Every run resolves all current records together, so the partition depends only on the
//! records and the analysts' decisions, never on the order batches arrived in. Person IDs are
//! kept stable: a cluster keeps the ID of the person most of its records belonged to; when a
//! cluster holds several persons the oldest ID survives and the others redirect to it; a part
//! split off gets a new ID.
//!
//! A run reads in this order:
//! - [`load`]: how much of the register to resolve, its records and the analysts' decisions
//!   (through the [`match_index`] when a batch is matched against a large register);
//! - the engine (`crate::resolve::engine`) partitions the records into persons;
//! - [`plan`]: what that changes — persons kept, merged, split off or created, links, events,
//!   review candidates — worked out without the database;
//! - [`golden_writer`] writes the golden records of the persons changed, then [`write`] the
//!   rest of the plan.
//!
//! [`values`] makes the comparison values the engine compares, here and in the import;
//! [`retrain`] retrains the model apart from imports.

mod golden_writer;
mod load;
mod match_index;
mod plan;
mod retrain;
pub mod values;
mod write;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use sea_orm::DatabaseTransaction;

use super::Register;
use super::golden::StoredIdentity;
use crate::db::bulk::SuspendedIndexes;
use crate::db::{self, overlap};
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::resolve::cluster::Constraints;
use crate::resolve::compare::FieldValue;
use crate::resolve::engine::{self, Run};
use crate::telemetry::StageTimer;
use load::{Gathered, Part, Scope, Seeds, Setoff};
pub use values::field_values;

/// What a resolution run changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolutionSummary {
    pub persons_created: u32,
    pub persons_matched: u32,
    pub persons_merged: u32,
    pub persons_split: u32,
    pub links_changed: u32,
    pub review_candidates: u32,
    /// Phone-only persons linked to a household (one call to make each) instead of raised
    /// as one review pair per member.
    pub household_links: u32,
    /// The person each fresh record belongs to now.
    pub new_record_persons: HashMap<i64, i64>,
    /// For each person the run created (not split off): the fresh record that founded it.
    pub founded_in: HashMap<i64, i64>,
    /// The stored match model the run matched with (trained by it, or stored before).
    pub model: Option<i64>,
}

/// A record the running import has just written.
pub struct FreshRecord {
    pub id: i64,
    pub source: SourceKind,
    /// `None` once an import of more records than a run holds identities for has let it go
    /// (see [`super::IDENTITIES_HELD`]): the golden records read it back from the register.
    /// Boxed, so that a record without it takes a few dozen bytes rather than the identity's
    /// hundreds (unboxed, a million-record import peaked 0.25 GB higher).
    pub identity: Option<Box<StoredIdentity>>,
    /// Its comparison values, made as it was read.
    pub values: Vec<FieldValue>,
}

/// What set a resolution run off, which says how much of the register it must look at.
#[derive(Debug)]
pub(super) enum Reach<'a> {
    /// A batch of fresh records, with the indexes its bulk write set aside: they are built
    /// while the engine runs.
    Batch(SuspendedIndexes),
    /// An analyst's decision on these records.
    Records(&'a [i64]),
    /// A request to retrain the model and resolve everything again.
    Everything,
}

impl Register {
    /// Retrains the match model on the whole register and resolves every record again (a
    /// large register otherwise keeps its model: imports match batches with it, and the
    /// server retrains only once the register has grown by the profile's `retrain_growth`
    /// and no import has run for a while).
    #[tracing::instrument(skip_all, err(level = "debug", Debug))]
    pub async fn resolve_all(&self, actor: &str) -> Result<ResolutionSummary, AppError> {
        let write = self
            .db
            .write("the resolution of the whole register")
            .await?;
        let summary = write
            .staged(self.resolve_register(
                &write.txn,
                Vec::new(),
                &HashMap::new(),
                &HashMap::new(),
                Reach::Everything,
                actor,
            ))
            .await?;
        write.commit().await?;
        Ok(summary)
    }

    /// Resolves the register inside `txn` and writes what changed. `fresh` are the records
    /// the batches being imported just wrote (kept in memory, so they are not read back),
    /// `batch_of` their batches; `inherited` maps a new version of a record to the person of
    /// the version it replaces; `reach` says what set the run off.
    ///
    /// A small register, or one without a stored model, is resolved whole with a model
    /// trained now (so the partition depends only on the records and decisions, never on the
    /// order batches arrived in). Otherwise only the persons the fresh and touched records may
    /// belong to are resolved again, with the stored model (or, when retraining is due as a
    /// batch arrives, one trained now on that part): the batch is matched against the
    /// register through its match index, and the rest of the register is left as it is.
    ///
    /// Errors say which step failed (`writing the links: …`); the caller's `?` makes them
    /// internal errors.
    #[tracing::instrument(skip_all, fields(records.fresh = fresh.len()))]
    pub(super) async fn resolve_register(
        &self,
        txn: &DatabaseTransaction,
        fresh: Vec<FreshRecord>,
        inherited: &HashMap<i64, i64>,
        batch_of: &HashMap<i64, i64>,
        reach: Reach<'_>,
        actor: &str,
    ) -> anyhow::Result<ResolutionSummary> {
        let now = Utc::now();
        let mut clock = StageTimer::new();
        let scope = match reach {
            Reach::Everything => Ok(Scope::Whole),
            Reach::Batch(_) => self.scope(txn, Setoff::Batch(fresh.len())).await,
            Reach::Records(_) => self.scope(txn, Setoff::Decision).await,
        };
        let scope = scope.context("choosing how much of the register to resolve")?;
        let (touched, meanwhile) = match reach {
            Reach::Records(records) => (records, SuspendedIndexes::default()),
            Reach::Batch(indexes) => (&[][..], indexes),
            Reach::Everything => (&[][..], SuspendedIndexes::default()),
        };
        let Gathered {
            placed,
            members,
            values,
            oversized,
        } = self
            .gather(
                txn,
                &scope,
                Seeds {
                    fresh,
                    inherited,
                    touched,
                },
                now,
                &mut clock,
            )
            .await
            .context("loading the records to resolve")?;
        let constraints = load::load_constraints(txn, &placed)
            .await
            .context("loading the analysts' decisions")?;
        clock.lap("load");
        let values = Arc::new(values);
        let mut run = match scope {
            Scope::Whole => {
                self.run_engine_indexing(txn, &placed, &values, oversized, constraints, meanwhile)
                    .await?
            }
            Scope::Part(ref part) => {
                self.run_engine(txn, part, &values, &oversized, &constraints, meanwhile)
                    .await?
            }
        };
        clock.lap("blocking, training, scoring, clustering");
        // Freeing every record's values takes a while on a large run: another thread does it.
        if let Err(e) = std::thread::Builder::new()
            .name("paicha-free".to_owned())
            .spawn(move || drop(values))
        {
            tracing::debug!(error = %e, "the values are freed here");
        }
        let next_person = db::next_id(txn, "person")
            .await
            .context("numbering new persons")?;
        let mut plan = plan::plan(&placed, &run.clustering, next_person)
            .context("planning the run's changes")?;
        tracing::debug!(
            persons = plan.persons.len(),
            links = plan.links.len(),
            events = plan.events.len(),
            "planned"
        );
        clock.lap("plan");
        let moved =
            golden_writer::write_persons(txn, &plan.persons, &placed, &members, next_person, now)
                .await?;
        plan.events.extend(moved);
        clock.lap("persons");
        write::links(txn, &plan, now).await?;
        clock.lap("links");
        write::events(txn, plan.events, batch_of, actor, now).await?;
        clock.lap("events");
        plan.summary.review_candidates = write::reviews(
            txn,
            &scope,
            &placed,
            &run.clustering.cluster,
            plan.reviews,
            now,
        )
        .await?;
        clock.lap("review");
        plan.summary.household_links = write::households(
            txn,
            &scope,
            &placed,
            std::mem::take(&mut plan.households),
            now,
        )
        .await?;
        clock.lap("households");
        plan.summary.model = Some(match &scope {
            Scope::Part(Part {
                stored: Some((id, _)),
                ..
            }) => *id,
            // A model trained now is stored, so every weight can be shown and later batches
            // are matched with it.
            Scope::Whole => {
                run.model.report.register = placed.len();
                write::model(txn, &self.profile, &run, now).await?
            }
            Scope::Part(Part { register, .. }) => {
                run.model.report.register = *register;
                write::model(txn, &self.profile, &run, now).await?
            }
        });
        report(&scope, placed.len(), &run, &plan.summary);
        Ok(plan.summary)
    }
}

impl Register {
    /// Runs the engine over the records' `values` of a `part` of the register (with its stored
    /// model, if any); the indexes a bulk import set aside are built on the connection's
    /// worker meanwhile: the database has nothing else to do then.
    async fn run_engine(
        &self,
        txn: &DatabaseTransaction,
        part: &Part,
        values: &[Vec<FieldValue>],
        oversized: &HashSet<i64>,
        constraints: &Constraints,
        meanwhile: SuspendedIndexes,
    ) -> anyhow::Result<Run> {
        let stored = part.stored.as_ref().map(|(_, model)| model.as_ref());
        let building = meanwhile.len();
        let (built, run) = overlap::while_writing(meanwhile.restore(txn), || {
            engine::run(
                &self.profile,
                values,
                |_, _| true,
                constraints,
                stored,
                oversized,
            )
        })
        .await;
        built.context("building the indexes set aside")?;
        if building > 0 {
            tracing::debug!(indexes = building, "indexes rebuilt while the engine ran");
        }
        Ok(run)
    }

    /// Runs the engine over the whole register on a thread of its own, while this task
    /// rebuilds the match index from the same records, then the indexes a bulk import set
    /// aside: neither waits for the other (FEBRL4's 10 000 records: the index took 70 ms after
    /// an engine run of 150 ms).
    async fn run_engine_indexing(
        &self,
        txn: &DatabaseTransaction,
        placed: &[plan::Placed],
        values: &Arc<Vec<Vec<FieldValue>>>,
        oversized: HashSet<i64>,
        constraints: Constraints,
        meanwhile: SuspendedIndexes,
    ) -> anyhow::Result<Run> {
        let engine = {
            let profile = Arc::clone(&self.profile);
            let values = Arc::clone(values);
            tokio::task::spawn_blocking(move || {
                engine::run(
                    &profile,
                    &values,
                    |_, _| true,
                    &constraints,
                    None,
                    &oversized,
                )
            })
        };
        // On a failure here the engine's thread finishes on its own, its run unused.
        match_index::rebuild_index(txn, &self.profile, placed, values)
            .await
            .context("rebuilding the match index")?;
        meanwhile
            .restore(txn)
            .await
            .context("building the indexes set aside")?;
        engine
            .await
            .map_err(|e| anyhow::anyhow!("the resolution engine stopped: {e}"))
    }
}

/// Logs what a run did (figures only: never a name, ID number or phone).
fn report(scope: &Scope, records: usize, run: &Run, summary: &ResolutionSummary) {
    tracing::info!(
        whole = matches!(scope, Scope::Whole),
        trained = !matches!(
            scope,
            Scope::Part(Part {
                stored: Some(_),
                ..
            })
        ),
        records,
        pairs = run.pairs,
        persons.created = summary.persons_created,
        persons.merged = summary.persons_merged,
        persons.split = summary.persons_split,
        review = summary.review_candidates,
        households = summary.household_links,
        "register resolved"
    );
}
