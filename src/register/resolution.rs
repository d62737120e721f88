//! Running the resolution engine over the register and writing what changed: links, persons
//! (created, merged with a redirect, split off), golden records, events, review candidates
//! and the trained model.
//!
//! Every run resolves all current records together, so the partition depends only on the
//! records and the analysts' decisions, never on the order batches arrived in. Person IDs are
//! kept stable: a cluster keeps the ID of the person most of its records belonged to; when a
//! cluster holds several persons the oldest ID survives and the others redirect to it; a part
//! split off gets a new ID.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::json;

use super::Register;
use super::golden::{Evidence, StoredIdentity, golden_record};
use super::import::persons_of;
use crate::db::bulk::SuspendedIndexes;
use crate::db::{
    self, match_key, match_key_oversized, match_model, person, record_link, resolution_event,
    review_candidate, source_record,
};
use crate::db::{overlap, rows};
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::normalize::IdClass;
use crate::resolve::block::{distinct_hash, key_hashes};
use crate::resolve::cluster::Constraints;
use crate::resolve::compare::{FieldValue, IdValue, NameValue};
use crate::resolve::engine;
use crate::resolve::model::{Model, Score};
use crate::resolve::profile::Profile;
use crate::telemetry::StageTimer;

/// Rows per statement for the writes below.
const CHUNK: usize = 500;

/// An event to write: kind, person, other person, record, detail JSON.
type Event = (&'static str, i64, Option<i64>, Option<i64>, String);

/// IDs per `IN (…)` list when reading part of the register.
const IN_CHUNK: usize = 5_000;

/// What a resolution run changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolutionSummary {
    pub persons_created: u32,
    pub persons_matched: u32,
    pub persons_merged: u32,
    pub persons_split: u32,
    pub links_changed: u32,
    pub review_candidates: u32,
    /// The person each fresh record belongs to now.
    pub new_record_persons: HashMap<i64, i64>,
    /// For each person the run created (not split off): the fresh record that founded it.
    pub founded_in: HashMap<i64, i64>,
}

/// A record the running import has just written.
pub struct FreshRecord {
    pub id: i64,
    pub source: SourceKind,
    /// `None` once an import of more records than a run holds identities for has let it go
    /// (see [`super::IDENTITIES_HELD`]): the golden records read it back from the register.
    pub identity: Option<StoredIdentity>,
    /// Its comparison values, made as it was read.
    pub values: Vec<FieldValue>,
}

/// A current record as the run needs it.
struct Current {
    id: i64,
    source: SourceKind,
    /// `None` once a large run has let it go (see [`super::IDENTITIES_HELD`]): the golden
    /// records read it back from the register.
    identity: Option<Box<StoredIdentity>>,
    raw: Option<serde_json::Map<String, serde_json::Value>>,
    created_on: chrono::NaiveDate,
    /// The person the record is linked to.
    person: Option<i64>,
    /// For a new version of a record: the person its previous version was linked to.
    inherited: Option<i64>,
}

/// The field values of a record for `profile`: normalised identity fields by name, any other
/// field from the raw row's column of that name.
pub fn field_values(
    profile: &Profile,
    identity: &StoredIdentity,
    raw: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Vec<FieldValue> {
    let i = &identity.identity;
    let date = |d: Option<chrono::NaiveDate>| {
        d.map_or(FieldValue::Missing, |d| {
            FieldValue::Text(d.to_string().into())
        })
    };
    profile
        .fields
        .iter()
        .map(|f| match f.name.as_str() {
            "id_number" => match (&i.id_number, i.id_class) {
                (Some(n), Some(IdClass::Valid)) => FieldValue::Id(Box::new(IdValue {
                    full: Some(n.clone()),
                    valid: true,
                    candidates: Vec::new(),
                    masked: None,
                })),
                (Some(n), Some(IdClass::ChecksumFailed)) => FieldValue::Id(Box::new(IdValue {
                    full: Some(n.clone()),
                    valid: false,
                    candidates: i.id_candidates.clone(),
                    masked: None,
                })),
                (Some(n), Some(IdClass::Masked)) if n.len() == 18 => {
                    FieldValue::Id(Box::new(IdValue {
                        full: None,
                        valid: false,
                        candidates: Vec::new(),
                        masked: Some(n.clone()),
                    }))
                }
                _ => FieldValue::Missing,
            },
            "name" => match (&i.name, &i.name_pinyin) {
                (Some(full), pinyin) => {
                    FieldValue::Name(NameValue::new(full, pinyin.as_deref().unwrap_or_default()))
                }
                _ => FieldValue::Missing,
            },
            "phones" => {
                FieldValue::Set(i.phones.iter().map(|p| p.number.as_str().into()).collect())
            }
            "birth_date" => date(i.birth_date),
            "arrival_date" => date(i.arrival_date),
            "sex" => FieldValue::text(i.sex.map(|s| s.as_str())),
            "township" => FieldValue::text(i.township.as_deref()),
            "village" => FieldValue::text(i.village.as_deref()),
            "address" => FieldValue::text(identity.address.as_deref()),
            "origin" => FieldValue::text(identity.origin.as_deref()),
            column => FieldValue::text(
                raw.and_then(|r| r.get(column))
                    .and_then(serde_json::Value::as_str),
            ),
        })
        .collect()
}

/// True when the profile reads columns of the raw row (not only the normalised identity).
pub(super) fn needs_raw(profile: &Profile) -> bool {
    const IDENTITY: [&str; 10] = [
        "id_number",
        "name",
        "phones",
        "birth_date",
        "arrival_date",
        "sex",
        "township",
        "village",
        "address",
        "origin",
    ];
    profile
        .fields
        .iter()
        .any(|f| !IDENTITY.contains(&f.name.as_str()))
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

/// How much of the register a run resolves.
enum Scope {
    /// Every current record, with a model trained now; the match index is rebuilt.
    Whole,
    /// The fresh and touched records and every record of the persons they may belong to,
    /// with the stored model: a batch matched against the register.
    Part(Box<Model>),
}

impl Register {
    /// Retrains the match model on the whole register and resolves every record again (a
    /// large register otherwise keeps its model until it has grown by the profile's
    /// `retrain_growth`).
    pub async fn resolve_all(&self, actor: &str) -> Result<ResolutionSummary, AppError> {
        let write = self.db.write().await?;
        let summary = self
            .resolve_register(
                &write.txn,
                Vec::new(),
                &HashMap::new(),
                &HashMap::new(),
                Reach::Everything,
                actor,
            )
            .await?;
        write.commit().await?;
        Ok(summary)
    }

    /// Resolves the register inside `txn` and writes what changed. `fresh` are the records
    /// the batches being imported just wrote (kept in memory, so they are not read back),
    /// `batch_of` their batches; `inherited` maps a new version of a record to the person of
    /// the version it replaces; `reach` says what set the run off.
    ///
    /// A small register, one that has grown much since its model was trained, or one without
    /// a stored model is resolved whole with a model trained now (so the partition depends
    /// only on the records and decisions, never on the order batches arrived in). Otherwise
    /// only the persons the fresh and touched records may belong to are resolved again, with
    /// the stored model: the batch is matched against the register through its match index.
    pub(super) async fn resolve_register(
        &self,
        txn: &DatabaseTransaction,
        mut fresh: Vec<FreshRecord>,
        inherited: &HashMap<i64, i64>,
        batch_of: &HashMap<i64, i64>,
        reach: Reach<'_>,
        actor: &str,
    ) -> Result<ResolutionSummary, AppError> {
        let now = Utc::now();
        let mut clock = StageTimer::new();
        let profile = &self.profile;
        let first_fresh = fresh.iter().map(|f| f.id).min().unwrap_or(i64::MAX);
        let new_records: BTreeSet<i64> = fresh.iter().map(|f| f.id).collect();
        let fresh_values: Vec<Vec<FieldValue>> = fresh
            .iter_mut()
            .map(|f| std::mem::take(&mut f.values))
            .collect();
        let scope = match reach {
            Reach::Everything => Scope::Whole,
            Reach::Batch(_) | Reach::Records(_) => self.scope(txn, fresh.len()).await?,
        };
        let (touched, meanwhile) = match reach {
            Reach::Records(records) => (records, SuspendedIndexes::default()),
            Reach::Batch(indexes) => (&[][..], indexes),
            Reach::Everything => (&[][..], SuspendedIndexes::default()),
        };
        let with_raw = needs_raw(profile);
        let mut oversized = HashSet::new();
        let mut records = match &scope {
            Scope::Whole => load_current(txn, with_raw, Selection::Below(first_fresh)).await?,
            Scope::Part(_) => {
                let fresh_keys: Vec<[i64; 3]> = fresh
                    .iter()
                    .zip(&fresh_values)
                    .flat_map(|(f, v)| index_rows(profile, f.id, v))
                    .collect();
                let found = self.index_fresh(txn, &fresh_keys).await?;
                clock.lap("match index");
                oversized = found.oversized;
                let mut seeds: Vec<i64> = found.records;
                seeds.extend_from_slice(touched);
                seeds.retain(|r| !new_records.contains(r));
                let mut persons: BTreeSet<i64> =
                    persons_of(txn, &seeds).await?.into_values().collect();
                persons.extend(inherited.values().copied());
                let members = records_of(txn, &persons).await?;
                clock.lap("neighbours");
                load_current(txn, with_raw, Selection::Ids(&members)).await?
            }
        };
        let today = now.date_naive();
        let hold = records.len() + fresh.len() <= self.identities_held;
        records.extend(fresh.into_iter().map(|f| Current {
            id: f.id,
            source: f.source,
            identity: f.identity.filter(|_| hold).map(Box::new),
            raw: None,
            created_on: today,
            person: None,
            inherited: None,
        }));
        for r in &mut records {
            r.inherited = inherited.get(&r.id).copied();
        }
        let loaded = records.len() - fresh_values.len();
        let empty = StoredIdentity::default();
        let values: Vec<Vec<FieldValue>> = records[..loaded]
            .iter_mut()
            .map(|r| {
                let values = field_values(
                    profile,
                    r.identity.as_deref().unwrap_or(&empty),
                    r.raw.as_ref(),
                );
                if !hold {
                    r.identity = None;
                }
                values
            })
            .chain(fresh_values)
            .collect();
        clock.lap("records");
        if let Scope::Part(_) = scope {
            // Blocks too large in the whole register are skipped here too.
            let keys: BTreeSet<i64> = values[..loaded]
                .iter()
                .flat_map(|v| key_hashes(profile, v))
                .collect();
            oversized.extend(oversized_among(txn, keys).await?);
        }
        let index_of: HashMap<i64, u32> = records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i as u32))
            .collect();
        let constraints = load_constraints(txn, &index_of).await?;
        clock.lap("load");
        let stored = match &scope {
            Scope::Whole => None,
            Scope::Part(model) => Some(model.as_ref()),
        };
        // Indexes set aside by a bulk import are built on the connection's worker while the
        // engine computes on this thread: the database has nothing else to do then.
        let building = meanwhile.len();
        let (built, run) = overlap::while_writing(meanwhile.restore(txn), || {
            engine::run(
                profile,
                &values,
                |_, _| true,
                &constraints,
                stored,
                &oversized,
            )
        })
        .await;
        built?;
        clock.lap("blocking, training, scoring, clustering");
        if building > 0 {
            tracing::debug!(indexes = building, "indexes rebuilt while the engine ran");
        }
        if let Scope::Whole = scope {
            rebuild_index(txn, profile, &records, &values).await?;
            clock.lap("match index written");
        }
        drop(values);

        // Clusters in the order of their first record.
        let mut clusters: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (i, c) in run.clustering.cluster.iter().enumerate() {
            clusters.entry(*c).or_default().push(i as u32);
        }

        // The heir of each existing person: the cluster holding most of its records.
        let mut holdings: BTreeMap<i64, BTreeMap<u32, usize>> = BTreeMap::new();
        for (i, r) in records.iter().enumerate() {
            if let Some(p) = r.person.or(r.inherited) {
                *holdings
                    .entry(p)
                    .or_default()
                    .entry(run.clustering.cluster[i])
                    .or_default() += 1;
            }
        }
        let mut heirs_of: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
        for (person, by_cluster) in &holdings {
            let heir = by_cluster
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(c, _)| *c);
            if let Some(c) = heir {
                heirs_of.entry(c).or_default().push(*person);
            }
        }

        let mut next_person = db::next_id(txn, "person").await?;
        let mut summary = ResolutionSummary::default();
        let mut person_of_cluster: BTreeMap<u32, i64> = BTreeMap::new();
        let mut merged: Vec<(i64, i64)> = Vec::new(); // (absorbed, kept)
        let mut split: Vec<(i64, i64)> = Vec::new(); // (from, new)
        let mut created: BTreeSet<i64> = BTreeSet::new();
        for (&c, members) in &clusters {
            let person = match heirs_of.get(&c).map(Vec::as_slice) {
                Some([kept, absorbed @ ..]) => {
                    for a in absorbed {
                        merged.push((*a, *kept));
                    }
                    *kept
                }
                _ => {
                    let id = next_person;
                    next_person += 1;
                    created.insert(id);
                    let from: BTreeSet<i64> = members
                        .iter()
                        .filter_map(|&m| {
                            records[m as usize].person.or(records[m as usize].inherited)
                        })
                        .collect();
                    for f in from {
                        split.push((f, id));
                    }
                    id
                }
            };
            person_of_cluster.insert(c, person);
        }

        clock.lap("persons of clusters");
        // Links that are new or changed, and the persons whose records changed.
        let mut affected: BTreeSet<i64> = BTreeSet::new();
        let mut new_links = Vec::new();
        let mut changed_links: Vec<(i64, i64, f64, String, String)> = Vec::new();
        let mut matched: BTreeSet<i64> = BTreeSet::new();
        let mut events: Vec<Event> = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let person = person_of_cluster[&run.clustering.cluster[i]];
            let (weight, rule, explanation) = match &run.clustering.links[i] {
                Some(link) => (
                    link.score.total,
                    if link.decided { "ANALYST" } else { "MATCH" },
                    explain(&link.score),
                ),
                None => (0.0, "FOUNDER", "[]".to_owned()),
            };
            match r.person {
                None => {
                    new_links.push(record_link::Model {
                        source_record_id: r.id,
                        person_id: person,
                        weight: finite(weight),
                        rule: rule.to_owned(),
                        explanation: explanation.clone(),
                        linked_at: now,
                    });
                    affected.insert(person);
                    if let Some(old) = r.inherited {
                        affected.insert(old);
                    }
                    if new_records.contains(&r.id) {
                        summary.new_record_persons.insert(r.id, person);
                        if created.contains(&person) {
                            let founder = summary.founded_in.entry(person).or_insert(r.id);
                            *founder = (*founder).min(r.id);
                        } else {
                            matched.insert(person);
                        }
                    }
                    events.push((
                        if created.contains(&person) {
                            "CREATE"
                        } else {
                            "LINK"
                        },
                        person,
                        None,
                        Some(r.id),
                        // The field-by-field explanation is the link's own; the event keeps
                        // what the decision rested on.
                        json!({ "weight": finite(weight), "rule": rule }).to_string(),
                    ));
                }
                Some(old) if old != person => {
                    changed_links.push((
                        r.id,
                        person,
                        finite(weight),
                        rule.to_owned(),
                        explanation,
                    ));
                    affected.insert(person);
                    affected.insert(old);
                }
                Some(_) => {}
            }
        }
        summary.links_changed = changed_links.len() as u32;
        summary
            .founded_in
            .retain(|p, _| !split.iter().any(|(_, n)| n == p));
        summary.persons_created = created
            .iter()
            .filter(|p| !split.iter().any(|(_, n)| n == *p))
            .count() as u32;
        summary.persons_matched = matched.len() as u32;
        summary.persons_merged = merged.len() as u32;
        summary.persons_split = split.len() as u32;
        for (absorbed, kept) in &merged {
            affected.insert(*kept);
            events.push((
                "MERGE",
                *kept,
                Some(*absorbed),
                None,
                json!({ "absorbed": absorbed }).to_string(),
            ));
        }
        for (from, new) in &split {
            affected.insert(*from);
            events.push((
                "SPLIT",
                *new,
                Some(*from),
                None,
                json!({ "split_from": from }).to_string(),
            ));
        }

        clock.lap("plan");
        // Persons: golden records of every affected person, redirects for the merged ones.
        // New and changed persons alike are written with multi-row upserts: a run that
        // touches thousands of persons issues a few statements, not thousands. Each chunk's
        // evidence and rows are made just before they are written, so a run over a million
        // records never holds a million golden records at once.
        let mut members_of: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, cluster) in run.clustering.cluster.iter().enumerate() {
            let person = person_of_cluster[cluster];
            if affected.contains(&person) {
                members_of.entry(person).or_default().push(i);
            }
        }
        let golden_upsert = rows::OnConflict::Update {
            key: vec![person::Column::Id],
            update: person_columns_kept_fresh(),
        };
        let members_of: Vec<(i64, Vec<usize>)> = members_of.into_iter().collect();
        let backend = txn.get_database_backend();
        // Golden records are made on a thread of their own, a chunk of persons at a time,
        // while this one reads the identities a large run let go and writes the persons.
        let mut golden = GoldenWriter::start(backend, golden_upsert, now)?;
        let mut chunks = members_of.chunks(CHUNK);
        // Time spent reading identities back, waiting for golden records and writing them.
        let (mut reading, mut waiting, mut writing) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        loop {
            while golden.has_room()
                && let Some(chunk) = chunks.next()
            {
                let started = Instant::now();
                let missing: Vec<i64> = chunk
                    .iter()
                    .flat_map(|(_, members)| members)
                    .map(|&i| &records[i])
                    .filter(|r| r.identity.is_none())
                    .map(|r| r.id)
                    .collect();
                let stored = normalized_of(txn, &missing).await?;
                golden.send(golden_chunk(chunk, &records, stored))?;
                reading += started.elapsed();
            }
            let started = Instant::now();
            let next = golden.next().await?;
            waiting += started.elapsed();
            match next {
                None => break,
                Some(Some(statement)) => {
                    let started = Instant::now();
                    txn.execute_raw(statement).await?;
                    writing += started.elapsed();
                }
                Some(None) => {}
            }
        }
        tracing::debug!(
            reading = reading.as_millis() as u64,
            waiting = waiting.as_millis() as u64,
            writing = writing.as_millis() as u64,
            "persons written (ms)"
        );
        clock.lap("persons");
        // Links, once their persons exist.
        let relinked: Vec<record_link::Model> =
            new_links
                .into_iter()
                .chain(changed_links.into_iter().map(
                    |(record, person, weight, rule, explanation)| record_link::Model {
                        source_record_id: record,
                        person_id: person,
                        weight,
                        rule,
                        explanation,
                        linked_at: now,
                    },
                ))
                .collect();
        let link_upsert = rows::OnConflict::Update {
            key: vec![record_link::Column::SourceRecordId],
            update: vec![
                record_link::Column::PersonId,
                record_link::Column::Weight,
                record_link::Column::Rule,
                record_link::Column::Explanation,
                record_link::Column::LinkedAt,
            ],
        };
        overlap::write_each(txn, relinked.chunks(CHUNK), |chunk| {
            rows::insert::<record_link::Entity>(backend, chunk, &link_upsert)
        })
        .await?;
        for (absorbed, kept) in &merged {
            person::Entity::update_many()
                .col_expr(person::Column::MergedInto, Expr::value(*kept))
                .col_expr(person::Column::UpdatedAt, Expr::value(now))
                .filter(person::Column::Id.eq(*absorbed))
                .exec(txn)
                .await?;
            // Persons redirected to the absorbed one now redirect to the survivor.
            person::Entity::update_many()
                .col_expr(person::Column::MergedInto, Expr::value(*kept))
                .filter(person::Column::MergedInto.eq(*absorbed))
                .exec(txn)
                .await?;
        }

        clock.lap("links");
        // Events.
        let mut next_event = db::next_id(txn, "resolution_event").await?;
        let event_rows = |chunk: Vec<Event>| {
            let models: Vec<resolution_event::Model> = chunk
                .into_iter()
                .map(|(kind, person_id, other, record, detail)| {
                    let id = next_event;
                    next_event += 1;
                    resolution_event::Model {
                        id,
                        kind: kind.to_owned(),
                        person_id,
                        other_person_id: other,
                        source_record_id: record,
                        batch_id: record.and_then(|r| batch_of.get(&r).copied()),
                        actor: actor.to_owned(),
                        at: now,
                        detail,
                    }
                })
                .collect();
            rows::insert::<resolution_event::Entity>(backend, &models, &rows::OnConflict::Fail)
        };
        overlap::write_each(txn, overlap::chunks_of(events, CHUNK), event_rows).await?;

        clock.lap("events");
        // Review candidates: the pending ones among the records resolved are replaced by this
        // run's.
        match &scope {
            Scope::Whole => {
                review_candidate::Entity::delete_many()
                    .filter(review_candidate::Column::State.eq("PENDING"))
                    .exec(txn)
                    .await?;
            }
            Scope::Part(_) => {
                let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
                for chunk in ids.chunks(IN_CHUNK) {
                    review_candidate::Entity::delete_many()
                        .filter(review_candidate::Column::State.eq("PENDING"))
                        .filter(
                            sea_orm::Condition::any()
                                .add(review_candidate::Column::RecordA.is_in(chunk.to_vec()))
                                .add(review_candidate::Column::RecordB.is_in(chunk.to_vec())),
                        )
                        .exec(txn)
                        .await?;
                }
            }
        }
        let mut next_review = db::next_id(txn, "review_candidate").await?;
        let reviews: Vec<review_candidate::Model> = run
            .clustering
            .review
            .iter()
            .map(|pair| {
                let id = next_review;
                next_review += 1;
                review_candidate::Model {
                    id,
                    record_a: records[pair.a as usize].id,
                    record_b: records[pair.b as usize].id,
                    total_weight: finite(pair.score.total),
                    explanation: explain(&pair.score),
                    state: "PENDING".to_owned(),
                    decided_by: None,
                    decided_at: None,
                    created_at: now,
                }
            })
            .collect();
        summary.review_candidates = reviews.len() as u32;
        overlap::write_each(txn, reviews.chunks(CHUNK), |chunk| {
            rows::insert::<review_candidate::Entity>(backend, chunk, &rows::OnConflict::Fail)
        })
        .await?;

        clock.lap("review");
        // A model trained now is stored, so every weight can be shown and later batches are
        // matched with it.
        if let Scope::Whole = scope {
            let model_id = db::next_id(txn, "match_model").await?;
            match_model::Entity::insert(match_model::ActiveModel::from(match_model::Model {
                id: model_id,
                profile: profile.name.clone(),
                trained_at: now,
                model: serde_json::to_string(&run.model).unwrap_or_default(),
                blocking: serde_json::to_string(&run.blocking).unwrap_or_default(),
                term_frequency: Some(run.model.stored_terms()),
            }))
            .exec_without_returning(txn)
            .await?;
        }
        tracing::info!(
            whole = matches!(scope, Scope::Whole),
            records = records.len(),
            pairs = run.pairs,
            persons.created = summary.persons_created,
            persons.merged = summary.persons_merged,
            persons.split = summary.persons_split,
            review = summary.review_candidates,
            "register resolved"
        );
        Ok(summary)
    }
}

/// The person columns a resolution run rewrites (not the ID, the creation time or a redirect).
fn person_columns_kept_fresh() -> Vec<person::Column> {
    use person::Column as C;
    vec![
        C::Name,
        C::NamePinyin,
        C::IdNumber,
        C::Phones,
        C::BirthDate,
        C::Sex,
        C::Address,
        C::Township,
        C::Village,
        C::LocationStatus,
        C::JurisdictionCode,
        C::JurisdictionName,
        C::LocationConflict,
        C::HubeiLink,
        C::Origin,
        C::ArrivalDate,
        C::FirstReported,
        C::Golden,
        C::UpdatedAt,
    ]
}

/// Weights are stored finite (a forbidden pair's minus infinity is written as -1000).
fn finite(weight: f64) -> f64 {
    if weight.is_finite() { weight } else { -1000.0 }
}

fn explain(score: &Score) -> String {
    serde_json::to_string(&score.fields).unwrap_or_else(|_| "[]".to_owned())
}

/// Which current records to load.
enum Selection<'a> {
    /// Those written before the batch being imported (IDs below this).
    Below(i64),
    /// These (the ones not current are left out).
    Ids(&'a [i64]),
}

/// `column` within one part of a selection.
fn within<C: ColumnTrait>(column: C, part: &Selection<'_>) -> sea_orm::sea_query::SimpleExpr {
    match part {
        Selection::Below(below) => column.lt(*below),
        Selection::Ids(ids) => column.is_in(ids.iter().copied()),
    }
}

/// Chunks of persons sent to the golden-record thread before the first comes back.
const GOLDEN_AHEAD: usize = 2;

/// A record's identity as the golden-record thread gets it: held through the run, or the
/// normalised JSON text read back from the register.
enum IdentityIn {
    Held(Box<StoredIdentity>),
    Stored(String),
}

/// Persons with their records: (record, source, imported on, identity).
type GoldenChunk = Vec<(i64, Vec<(i64, SourceKind, chrono::NaiveDate, IdentityIn)>)>;

/// A chunk of persons (each with its members' indices into `records`) for the golden-record
/// thread; `stored` holds the normalised JSON of the members whose identity was let go.
fn golden_chunk(
    chunk: &[(i64, Vec<usize>)],
    records: &[Current],
    mut stored: HashMap<i64, String>,
) -> GoldenChunk {
    chunk
        .iter()
        .map(|(person, members)| {
            let evidence = members
                .iter()
                .map(|&i| {
                    let r = &records[i];
                    let identity = match &r.identity {
                        Some(identity) => IdentityIn::Held(identity.clone()),
                        None => IdentityIn::Stored(stored.remove(&r.id).unwrap_or_default()),
                    };
                    (r.id, r.source, r.created_on, identity)
                })
                .collect();
            (*person, evidence)
        })
        .collect()
}

/// A thread that turns chunks of persons into the statements that upsert their golden
/// records, in the order the chunks were sent. It stops when its [`GoldenWriter`] is dropped.
struct GoldenWriter {
    jobs: std::sync::mpsc::SyncSender<GoldenChunk>,
    statements: tokio::sync::mpsc::Receiver<Option<Statement>>,
    /// Chunks sent and not yet answered.
    in_flight: usize,
}

impl GoldenWriter {
    fn start(
        backend: DbBackend,
        upsert: rows::OnConflict<person::Column>,
        now: chrono::DateTime<Utc>,
    ) -> Result<Self, AppError> {
        let (jobs, chunks) = std::sync::mpsc::sync_channel::<GoldenChunk>(GOLDEN_AHEAD);
        let (sender, statements) = tokio::sync::mpsc::channel(GOLDEN_AHEAD);
        std::thread::Builder::new()
            .name("paicha-golden".to_owned())
            .spawn(move || {
                for chunk in chunks {
                    let models: Vec<person::Model> = chunk
                        .into_iter()
                        .map(|(person, records)| {
                            let evidence: Vec<Evidence> = records
                                .into_iter()
                                .map(|(record, source, imported_on, identity)| Evidence {
                                    record,
                                    source,
                                    identity: match identity {
                                        IdentityIn::Held(identity) => *identity,
                                        IdentityIn::Stored(text) => {
                                            serde_json::from_str(&text).unwrap_or_default()
                                        }
                                    },
                                    imported_on,
                                })
                                .collect();
                            super::import::person_model(person, &golden_record(&evidence), now)
                        })
                        .collect();
                    let statement = rows::insert::<person::Entity>(backend, &models, &upsert);
                    if sender.blocking_send(statement).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| {
                AppError::Internal(anyhow::anyhow!(
                    "cannot start the golden-record thread: {e}"
                ))
            })?;
        Ok(Self {
            jobs,
            statements,
            in_flight: 0,
        })
    }

    /// True while fewer than [`GOLDEN_AHEAD`] chunks are unanswered: a chunk sent then is
    /// taken without waiting.
    fn has_room(&self) -> bool {
        self.in_flight < GOLDEN_AHEAD
    }

    /// Hands a chunk of persons to the thread.
    fn send(&mut self, chunk: GoldenChunk) -> Result<(), AppError> {
        self.jobs.send(chunk).map_err(|_| stopped())?;
        self.in_flight += 1;
        Ok(())
    }

    /// The statement of the oldest chunk unanswered (`Some(None)` for a chunk of no
    /// persons), or `None` when every chunk sent has been answered.
    async fn next(&mut self) -> Result<Option<Option<Statement>>, AppError> {
        if self.in_flight == 0 {
            return Ok(None);
        }
        let statement = self.statements.recv().await.ok_or_else(stopped)?;
        self.in_flight -= 1;
        Ok(Some(statement))
    }
}

/// The golden-record thread stopped without an answer (it panicked).
fn stopped() -> AppError {
    AppError::Internal(anyhow::anyhow!("the golden-record thread stopped"))
}

/// The stored normalised JSON of `records`, by record.
///
/// Records that lie close together in ID order (the members of a chunk of new persons mostly
/// do: a first import creates persons in the order of their records) are read as ranges of
/// IDs, scanned in order, rather than looked up one by one; the rest by their IDs.
async fn normalized_of(
    txn: &DatabaseTransaction,
    records: &[i64],
) -> Result<HashMap<i64, String>, DbErr> {
    let mut out = HashMap::with_capacity(records.len());
    let mut sorted = records.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let (ranges, scattered) = id_ranges(&sorted);
    let wanted: HashSet<i64> = sorted.iter().copied().collect();
    // SQLite hands a query's rows over packed into one text; elsewhere row by row.
    let packed = txn.get_database_backend() == DbBackend::Sqlite;
    for (first, last) in ranges {
        let rows = if packed {
            normalized_packed(txn, "BETWEEN ? AND ?", vec![first.into(), last.into()]).await?
        } else {
            normalized_where(txn, source_record::Column::Id.between(first, last)).await?
        };
        out.extend(rows.into_iter().filter(|(id, _)| wanted.contains(id)));
    }
    for chunk in scattered.chunks(IN_CHUNK) {
        let rows = if packed {
            let among = format!("IN ({})", vec!["?"; chunk.len()].join(", "));
            normalized_packed(txn, &among, chunk.iter().map(|&id| id.into()).collect()).await?
        } else {
            normalized_where(txn, source_record::Column::Id.is_in(chunk.to_vec())).await?
        };
        out.extend(rows);
    }
    Ok(out)
}

/// The normalised JSON of the records `condition` selects, row by row.
async fn normalized_where(
    txn: &DatabaseTransaction,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<Vec<(i64, String)>, DbErr> {
    source_record::Entity::find()
        .select_only()
        .columns([source_record::Column::Id, source_record::Column::Normalized])
        .filter(condition)
        .into_tuple()
        .all(txn)
        .await
}

/// Separates a record's ID from its JSON in [`normalized_packed`]'s text.
const UNIT_SEPARATOR: char = '\u{1f}';
/// Separates one record from the next there.
const RECORD_SEPARATOR: char = '\u{1e}';

/// The normalised JSON of the records whose ID is `which` (`BETWEEN ? AND ?`, `IN (?, …)`)
/// on SQLite, read as one text.
///
/// The driver hands each row over on its own, its values copied twice, which cost more than
/// SQLite's reading them: a million identities read back row by row took 5.6 s. Here they
/// come back as one row, `id` and JSON joined by control characters that JSON text never
/// holds unescaped.
async fn normalized_packed(
    txn: &DatabaseTransaction,
    which: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<(i64, String)>, DbErr> {
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!(
                "SELECT group_concat(id || char(31) || normalized, char(30)) AS texts \
                 FROM source_record WHERE id {which}"
            ),
            values,
        ))
        .await?;
    let Some(texts) = row
        .map(|r| r.try_get::<Option<String>>("", "texts"))
        .transpose()?
        .flatten()
    else {
        return Ok(Vec::new());
    };
    texts
        .split(RECORD_SEPARATOR)
        .map(|entry| {
            entry
                .split_once(UNIT_SEPARATOR)
                .and_then(|(id, json)| Some((id.parse().ok()?, json.to_owned())))
                .ok_or_else(|| DbErr::Custom("an unreadable normalised record".to_owned()))
        })
        .collect()
}

/// Runs of at least this many IDs, no two of them further apart than [`RANGE_GAP`], are read
/// as a range.
const RANGE_MIN: usize = 64;
/// The widest gap between two IDs of one range: at most this many rows are read in vain.
const RANGE_GAP: i64 = 4;

/// Splits sorted, distinct IDs into dense ranges `(first, last)` and the IDs outside them.
fn id_ranges(sorted: &[i64]) -> (Vec<(i64, i64)>, Vec<i64>) {
    let mut ranges = Vec::new();
    let mut scattered = Vec::new();
    for run in sorted.chunk_by(|a, b| b - a <= RANGE_GAP) {
        match run {
            [first, .., last] if run.len() >= RANGE_MIN => ranges.push((*first, *last)),
            _ => scattered.extend_from_slice(run),
        }
    }
    (ranges, scattered)
}

/// The selected current records, in ID order, with the persons they are linked to.
async fn load_current(
    txn: &DatabaseTransaction,
    with_raw: bool,
    selection: Selection<'_>,
) -> Result<Vec<Current>, DbErr> {
    let parts: Vec<Selection<'_>> = match selection {
        Selection::Below(below) => vec![Selection::Below(below)],
        Selection::Ids(ids) => ids.chunks(IN_CHUNK).map(Selection::Ids).collect(),
    };
    let mut rows: Vec<(i64, String, String, chrono::DateTime<Utc>)> = Vec::new();
    let mut raws: HashMap<i64, String> = HashMap::new();
    let mut person_of: HashMap<i64, i64> = HashMap::new();
    for part in &parts {
        rows.extend(
            source_record::Entity::find()
                .select_only()
                .columns([
                    source_record::Column::Id,
                    source_record::Column::Source,
                    source_record::Column::Normalized,
                ])
                .column(source_record::Column::CreatedAt)
                .filter(source_record::Column::IsCurrent.eq(true))
                .filter(within(source_record::Column::Id, part))
                .into_tuple::<(i64, String, String, chrono::DateTime<Utc>)>()
                .all(txn)
                .await?,
        );
        if with_raw {
            raws.extend(
                source_record::Entity::find()
                    .select_only()
                    .columns([source_record::Column::Id, source_record::Column::Raw])
                    .filter(source_record::Column::IsCurrent.eq(true))
                    .filter(within(source_record::Column::Id, part))
                    .into_tuple::<(i64, String)>()
                    .all(txn)
                    .await?,
            );
        }
        person_of.extend(
            record_link::Entity::find()
                .select_only()
                .columns([
                    record_link::Column::SourceRecordId,
                    record_link::Column::PersonId,
                ])
                .filter(within(record_link::Column::SourceRecordId, part))
                .into_tuple::<(i64, i64)>()
                .all(txn)
                .await?,
        );
    }
    rows.sort_unstable_by_key(|r| r.0);
    Ok(rows
        .into_iter()
        .filter_map(|(id, source, normalized, created)| {
            Some(Current {
                id,
                source: SourceKind::from_db(&source)?,
                identity: Some(Box::new(
                    serde_json::from_str(&normalized).unwrap_or_default(),
                )),
                raw: raws.get(&id).and_then(|r| serde_json::from_str(r).ok()),
                created_on: created.date_naive(),
                person: person_of.get(&id).copied(),
                inherited: None,
            })
        })
        .collect())
}

/// The records linked to `persons`.
async fn records_of(txn: &DatabaseTransaction, persons: &BTreeSet<i64>) -> Result<Vec<i64>, DbErr> {
    let persons: Vec<i64> = persons.iter().copied().collect();
    let mut records = Vec::new();
    for chunk in persons.chunks(IN_CHUNK) {
        records.extend(
            record_link::Entity::find()
                .select_only()
                .column(record_link::Column::SourceRecordId)
                .filter(record_link::Column::PersonId.is_in(chunk.iter().copied()))
                .into_tuple::<i64>()
                .all(txn)
                .await?,
        );
    }
    records.sort_unstable();
    records.dedup();
    Ok(records)
}

/// What the match index says of a batch's keys.
#[derive(Default)]
struct Matched {
    /// Records already in the register that share a key with a fresh record.
    records: Vec<i64>,
    /// Keys whose block is too large, in the register with the batch.
    oversized: HashSet<i64>,
}

impl Register {
    /// Adds the fresh records' index `rows` (key hash, record, ID hash) to the match index and
    /// returns the register's records they meet (never one whose valid ID number differs
    /// from the fresh record's). A block that grows past `max_block` is marked oversized and
    /// its records leave the index: it is never compared again.
    async fn index_fresh(
        &self,
        txn: &DatabaseTransaction,
        rows: &[[i64; 3]],
    ) -> Result<Matched, DbErr> {
        let mut fresh_of: BTreeMap<i64, Vec<[i64; 3]>> = BTreeMap::new();
        for row in rows {
            fresh_of.entry(row[0]).or_default().push(*row);
        }
        let distinct: Vec<i64> = fresh_of.keys().copied().collect();
        let mut matched = Matched {
            oversized: oversized_among(txn, distinct.iter().copied()).await?,
            ..Matched::default()
        };
        let open: Vec<i64> = distinct
            .into_iter()
            .filter(|k| !matched.oversized.contains(k))
            .collect();
        let mut members: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for chunk in open.chunks(IN_CHUNK) {
            let rows: Vec<(i64, i64, i64)> = match_key::Entity::find()
                .select_only()
                .columns([
                    match_key::Column::KeyHash,
                    match_key::Column::SourceRecordId,
                    match_key::Column::IdHash,
                ])
                .filter(match_key::Column::KeyHash.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
            for (key, record, id) in rows {
                members.entry(key).or_default().push((record, id));
            }
        }
        let mut added: Vec<[i64; 3]> = Vec::new();
        let mut grown = Vec::new();
        for key in open {
            let fresh = &fresh_of[&key];
            let known = members.remove(&key).unwrap_or_default();
            if known.len() + fresh.len() > self.profile.max_block {
                grown.push(key);
                matched.oversized.insert(key);
                continue;
            }
            added.extend_from_slice(fresh);
            let apart = |a: i64, b: i64| a != 0 && b != 0 && a != b;
            matched.records.extend(
                known
                    .into_iter()
                    .filter(|(_, id)| fresh.iter().any(|f| !apart(f[2], *id)))
                    .map(|(record, _)| record),
            );
        }
        for chunk in grown.chunks(IN_CHUNK) {
            match_key::Entity::delete_many()
                .filter(match_key::Column::KeyHash.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
        let grown: Vec<[i64; 1]> = grown.into_iter().map(|k| [k]).collect();
        insert_values(txn, "match_key_oversized (key_hash)", &grown).await?;
        insert_values(txn, MATCH_KEY_COLUMNS, &added).await?;
        matched.records.sort_unstable();
        matched.records.dedup();
        Ok(matched)
    }

    /// Whether this run resolves the whole register or matches against it (see
    /// [`Register::resolve_register`]).
    async fn scope(&self, txn: &DatabaseTransaction, fresh: usize) -> Result<Scope, DbErr> {
        let settings = &self.profile.model;
        let current = linked_records(txn).await? + fresh;
        if current < settings.resolve_whole_below {
            return Ok(Scope::Whole);
        }
        let stored = match_model::Entity::find()
            .order_by_desc(match_model::Column::Id)
            .one(txn)
            .await?;
        let Some(model) = stored
            .and_then(|m| Model::restore(&self.profile, &m.model, m.term_frequency.as_deref()?))
        else {
            return Ok(Scope::Whole);
        };
        let trained_on = model.report.records as f64;
        if current as f64 > trained_on * (1.0 + settings.retrain_growth) {
            return Ok(Scope::Whole);
        }
        Ok(Scope::Part(Box::new(model)))
    }
}

/// The register's size near enough to decide how to write and resolve a batch: its linked
/// record versions, counted on a narrow table.
pub(super) async fn linked_records(txn: &DatabaseTransaction) -> Result<usize, DbErr> {
    Ok(record_link::Entity::find().count(txn).await? as usize)
}

/// The keys among `keys` marked oversized in the match index.
async fn oversized_among(
    txn: &DatabaseTransaction,
    keys: impl IntoIterator<Item = i64>,
) -> Result<HashSet<i64>, DbErr> {
    let keys: Vec<i64> = keys.into_iter().collect();
    let mut found = HashSet::new();
    for chunk in keys.chunks(IN_CHUNK) {
        found.extend(
            match_key_oversized::Entity::find()
                .select_only()
                .column(match_key_oversized::Column::KeyHash)
                .filter(match_key_oversized::Column::KeyHash.is_in(chunk.iter().copied()))
                .into_tuple::<i64>()
                .all(txn)
                .await?,
        );
    }
    Ok(found)
}

/// Rebuilds the match index from every current record: each key's records, or the key marked
/// oversized when its block is larger than `max_block`.
async fn rebuild_index(
    txn: &DatabaseTransaction,
    profile: &Profile,
    records: &[Current],
    values: &[Vec<FieldValue>],
) -> Result<(), DbErr> {
    match_key::Entity::delete_many().exec(txn).await?;
    match_key_oversized::Entity::delete_many().exec(txn).await?;
    // Each record's keys are made on every core.
    let mut rows: Vec<[i64; 3]> = crate::parallel::map_range(records.len(), 50_000, |share| {
        share
            .flat_map(|i| index_rows(profile, records[i].id, &values[i]))
            .collect()
    });
    rows.sort_unstable();
    // Oversized blocks are dropped in place: the index of a million records is millions of
    // rows, not to be copied while the run still holds every record.
    let oversized: Vec<[i64; 1]> = rows
        .chunk_by(|a, b| a[0] == b[0])
        .filter(|block| block.len() > profile.max_block)
        .map(|block| [block[0][0]])
        .collect();
    rows.retain(|row| oversized.binary_search(&[row[0]]).is_err());
    insert_values(txn, "match_key_oversized (key_hash)", &oversized).await?;
    insert_values(txn, MATCH_KEY_COLUMNS, &rows).await
}

const MATCH_KEY_COLUMNS: &str = "match_key (key_hash, source_record_id, id_hash)";

/// A record's rows in the match index: (key hash, record, hash of its valid ID number).
fn index_rows(profile: &Profile, record: i64, values: &[FieldValue]) -> Vec<[i64; 3]> {
    let id = distinct_hash(profile, values);
    key_hashes(profile, values)
        .into_iter()
        .map(|key| [key, record, id])
        .collect()
}

/// Inserts rows of integers into `table (columns)` with multi-row statements of bound
/// values: one statement text for every full chunk, prepared once and kept in the
/// connection's cache, instead of a new text of literals parsed for each chunk.
async fn insert_values<const N: usize>(
    txn: &DatabaseTransaction,
    table: &str,
    data: &[[i64; N]],
) -> Result<(), DbErr> {
    const ROWS: usize = 1_000;
    let backend = txn.get_database_backend();
    let text = |count: usize| {
        format!(
            "INSERT INTO {table} VALUES {}",
            rows::placeholders(backend, count, N)
        )
    };
    let full = text(ROWS);
    // Each statement's values are gathered while the one before it runs.
    overlap::write_each(txn, data.chunks(ROWS), |chunk| {
        let sql = if chunk.len() == ROWS {
            full.clone()
        } else {
            text(chunk.len())
        };
        let values = chunk
            .iter()
            .flatten()
            .map(|v| sea_orm::Value::BigInt(Some(*v)));
        Some(Statement::from_sql_and_values(backend, sql, values))
    })
    .await
}

/// Analysts' decisions on pairs of current records, as constraints on the clustering.
async fn load_constraints(
    txn: &DatabaseTransaction,
    index_of: &HashMap<i64, u32>,
) -> Result<Constraints, DbErr> {
    let decided: Vec<(i64, i64, String)> = review_candidate::Entity::find()
        .select_only()
        .columns([
            review_candidate::Column::RecordA,
            review_candidate::Column::RecordB,
            review_candidate::Column::State,
        ])
        .filter(review_candidate::Column::State.ne("PENDING"))
        .into_tuple()
        .all(txn)
        .await?;
    let mut constraints = Constraints::default();
    for (a, b, state) in decided {
        let (Some(&a), Some(&b)) = (index_of.get(&a), index_of.get(&b)) else {
            continue;
        };
        match state.as_str() {
            "SAME" => constraints.same.push((a, b)),
            "DIFFERENT" => constraints.different.push((a, b)),
            _ => {}
        }
    }
    Ok(constraints)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_close_together_are_read_as_ranges_and_the_rest_one_by_one() {
        let mut ids: Vec<i64> = (100..200).collect();
        // A gap of RANGE_GAP keeps a run whole; a wider one ends it.
        ids.extend((200 + RANGE_GAP - 1..300).step_by(2));
        ids.extend([1_000, 1_010, 5_000]);
        let short: Vec<i64> = (10_000..10_000 + RANGE_MIN as i64 - 1).collect();
        ids.extend(&short);
        ids.sort_unstable();
        let (ranges, scattered) = id_ranges(&ids);
        assert_eq!(ranges, vec![(100, 299)]);
        let mut expected = vec![1_000, 1_010, 5_000];
        expected.extend(&short);
        assert_eq!(
            scattered, expected,
            "a run shorter than RANGE_MIN is looked up"
        );
        assert_eq!(id_ranges(&[]), (Vec::new(), Vec::new()));
    }

    #[tokio::test]
    async fn identities_read_back_packed_are_the_stored_texts() {
        use sea_orm::TransactionTrait;
        let (_dir, db) = crate::db::scratch().await;
        let txn = db.conn.begin().await.expect("begin");
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await
            .expect("defer");
        // JSON holding the separators (escaped, as JSON text holds them), quotes and CJK.
        txn.execute_unprepared(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) \
             INSERT INTO source_record (id, batch_id, source, record_id, version, is_current, \
             row_number, raw, content_hash, phones, normalized, problems, created_at) \
             SELECT i, 1, 'TOWNSHIP', 'R' || i, 1, 1, i, '{}', 'h', '[]', \
             json_object('i', i, 'name', '张' || char(30) || char(31) || '\"三\"'), '[]', \
             '2020-01-20T00:00:00+00:00' FROM n",
        )
        .await
        .expect("records");
        // A dense run, scattered records, and one that is not there.
        let mut wanted: Vec<i64> = (10..=150).collect();
        wanted.extend([7, 200, 333, 399, 5_000]);
        let got = normalized_of(&txn, &wanted).await.expect("read back");
        // Row by row, as the driver reads them.
        let stored: HashMap<i64, String> =
            normalized_where(&txn, source_record::Column::Id.is_in(wanted.clone()))
                .await
                .expect("stored")
                .into_iter()
                .collect();
        assert_eq!(got.len(), wanted.len() - 1);
        assert_eq!(got, stored);
        assert!(got[&7].contains("\\u001e"), "{}", got[&7]);
        txn.rollback().await.expect("rollback");
    }
}
