//! What a run loads before the engine runs: how much of the register it resolves (the whole
//! register with a model trained now, or the part a batch may match with the stored model),
//! the current records of that part with their comparison values, and the analysts'
//! decisions on them.

use std::collections::{BTreeSet, HashMap, HashSet};

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::FreshRecord;
use super::golden_writer::Member;
use super::match_index::{index_rows, oversized_among};
use super::plan::Placed;
use super::values::{field_values, needs_raw};
use crate::db::read_back::{self, IN_CHUNK};
use crate::db::{match_model, record_link, review_candidate, source_record};
use crate::intake::SourceKind;
use crate::register::Register;
use crate::register::golden::StoredIdentity;
use crate::resolve::block::{household_key_hashes, key_hashes};
use crate::resolve::cluster::Constraints;
use crate::resolve::compare::FieldValue;
use crate::resolve::model::Model;
use crate::states::ReviewState;
use crate::telemetry::StageTimer;

/// How much of the register a run resolves.
pub(super) enum Scope {
    /// Every current record, with a model trained now; the match index is rebuilt.
    Whole,
    /// The fresh and touched records and every record of the persons they may belong to: a
    /// batch matched against the register.
    Part(Part),
}

/// The model a [`Scope::Part`] is matched with.
pub(super) struct Part {
    /// The stored model and its ID; `None`: one trained now on the part (retraining was due
    /// as a batch arrived, see [`crate::resolve::profile::ModelSettings::retrain_on_part`]).
    pub stored: Option<(i64, Box<Model>)>,
    /// Current records of the register, the fresh ones included.
    pub register: usize,
}

/// What set a run off, as far as its scope goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Setoff {
    /// A batch of this many fresh records.
    Batch(usize),
    /// An analyst's decision.
    Decision,
}

/// Whether the register, at `current` records, has grown beyond `growth` since `model` was
/// trained (then `paicha resolve` or the idle server retrains it).
pub(super) fn retrain_due(model: &Model, current: usize, growth: f64) -> bool {
    current as f64 > model.report.register_size() as f64 * (1.0 + growth)
}

/// The records of a run, in the engine's order: the register's current records of its scope
/// (by ID), then the fresh ones.
pub(super) struct Gathered {
    pub placed: Vec<Placed>,
    pub members: Vec<Member>,
    pub values: Vec<Vec<FieldValue>>,
    /// Blocking keys too large to compare.
    pub oversized: HashSet<i64>,
}

/// The records that set a run off.
pub(super) struct Seeds<'a> {
    /// The records the import being resolved wrote.
    pub fresh: Vec<FreshRecord>,
    /// New versions of records: the person of the version each replaces.
    pub inherited: &'a HashMap<i64, i64>,
    /// The records an analyst's decision touched.
    pub touched: &'a [i64],
}

/// A current record as it is loaded.
struct Current {
    placed: Placed,
    member: Member,
    raw: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Register {
    /// Whether this run resolves the whole register or matches against it (see
    /// [`Register::resolve_register`]): whole without a usable stored model or below the
    /// profile's `resolve_whole_below`; otherwise the part a batch or decision may change,
    /// however much the register grew since the model was trained.
    pub(super) async fn scope(
        &self,
        txn: &DatabaseTransaction,
        setoff: Setoff,
    ) -> anyhow::Result<Scope> {
        let settings = &self.profile.model;
        let fresh = match setoff {
            Setoff::Batch(fresh) => fresh,
            Setoff::Decision => 0,
        };
        let current = read_back::linked_records(txn).await? + fresh;
        if current < settings.resolve_whole_below {
            return Ok(Scope::Whole);
        }
        let Some((id, model)) = self.stored_model(txn).await? else {
            return Ok(Scope::Whole);
        };
        let retrain = matches!(setoff, Setoff::Batch(_))
            && settings.retrain_on_part
            && retrain_due(&model, current, settings.retrain_growth);
        Ok(Scope::Part(Part {
            stored: (!retrain).then(|| (id, Box::new(model))),
            register: current,
        }))
    }

    /// The latest stored model and its ID, when it is of this profile and holds its term
    /// frequencies (otherwise the next run trains anew). One that cannot be read is an error
    /// (`paicha resolve` trains anew).
    pub(super) async fn stored_model(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
    ) -> anyhow::Result<Option<(i64, Model)>> {
        let stored = match_model::Entity::find()
            .order_by_desc(match_model::Column::Id)
            .one(txn)
            .await?;
        let Some((id, model, Some(terms))) = stored.map(|m| (m.id, m.model, m.term_frequency))
        else {
            return Ok(None);
        };
        let model = Model::restore(&self.profile, &model, &terms).with_context(|| {
            format!("reading the stored match model {id} (`paicha resolve` trains a new one)")
        })?;
        Ok(model.map(|m| (id, m)))
    }

    /// The records a run over `scope` resolves: the register's current records (all of them,
    /// or those the `seeds` may belong with), then the fresh ones.
    pub(super) async fn gather(
        &self,
        txn: &DatabaseTransaction,
        scope: &Scope,
        seeds: Seeds<'_>,
        now: DateTime<Utc>,
        clock: &mut StageTimer,
    ) -> anyhow::Result<Gathered> {
        let Seeds {
            mut fresh,
            inherited,
            touched,
        } = seeds;
        let profile = &self.profile;
        let fresh_values: Vec<Vec<FieldValue>> = fresh
            .iter_mut()
            .map(|f| std::mem::take(&mut f.values))
            .collect();
        let with_raw = needs_raw(profile);
        let mut oversized = HashSet::new();
        let records = match scope {
            Scope::Whole => {
                let first_fresh = fresh.iter().map(|f| f.id).min().unwrap_or(i64::MAX);
                load_current(txn, with_raw, Selection::Below(first_fresh)).await?
            }
            Scope::Part(_) => {
                let fresh_keys: Vec<[i64; 3]> = fresh
                    .iter()
                    .zip(&fresh_values)
                    .flat_map(|(f, v)| index_rows(profile, f.id, v))
                    .collect();
                let household: HashSet<i64> = fresh_values
                    .iter()
                    .flat_map(|v| household_key_hashes(profile, v))
                    .collect();
                let found = self.index_fresh(txn, &fresh_keys, &household).await?;
                clock.lap("match index");
                oversized = found.oversized;
                let members = neighbours(txn, found.records, touched, &fresh, inherited).await?;
                clock.lap("neighbours");
                load_current(txn, with_raw, Selection::Ids(&members)).await?
            }
        };
        let hold = records.len() + fresh.len() <= self.identities_held;
        let loaded = records.len();
        let today = now.date_naive();
        let empty = StoredIdentity::default();
        // Made straight into the three lists: a million fresh records staged as `Current`
        // first held about 0.1 GB more while the lists were made.
        let total = loaded + fresh.len();
        let mut values: Vec<Vec<FieldValue>> = Vec::with_capacity(total);
        let mut placed = Vec::with_capacity(total);
        let mut members = Vec::with_capacity(total);
        for mut r in records {
            let identity = r.member.identity.as_deref().unwrap_or(&empty);
            values.push(field_values(profile, identity, r.raw.as_ref()));
            if !hold {
                r.member.identity = None;
            }
            r.placed.inherited = inherited.get(&r.placed.id).copied();
            placed.push(r.placed);
            members.push(r.member);
        }
        for f in fresh {
            placed.push(Placed {
                id: f.id,
                person: None,
                inherited: inherited.get(&f.id).copied(),
                fresh: true,
            });
            members.push(Member {
                source: f.source,
                created_on: today,
                identity: f.identity.filter(|_| hold),
            });
        }
        values.extend(fresh_values);
        clock.lap("records");
        if let Scope::Part(_) = scope {
            // Blocks too large in the whole register are skipped here too.
            let keys: BTreeSet<i64> = values[..loaded]
                .iter()
                .flat_map(|v| key_hashes(profile, v))
                .collect();
            oversized.extend(oversized_among(txn, keys).await?);
        }
        Ok(Gathered {
            placed,
            members,
            values,
            oversized,
        })
    }
}

/// The register's records a batch may belong with: every record of the persons of the
/// records it `met` in the match index or `touched`, and of the persons its new versions
/// inherit.
async fn neighbours(
    txn: &DatabaseTransaction,
    met: Vec<i64>,
    touched: &[i64],
    fresh: &[FreshRecord],
    inherited: &HashMap<i64, i64>,
) -> Result<Vec<i64>, DbErr> {
    let new_records: BTreeSet<i64> = fresh.iter().map(|f| f.id).collect();
    let mut seeds = met;
    seeds.extend_from_slice(touched);
    seeds.retain(|r| !new_records.contains(r));
    let mut persons: BTreeSet<i64> = read_back::persons_of(txn, &seeds)
        .await?
        .into_values()
        .collect();
    persons.extend(inherited.values().copied());
    read_back::records_of(txn, &persons).await
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

/// A stored record as [`load_current`] reads it: ID, source, normalised JSON, written on.
type StoredRow = (i64, SourceKind, String, NaiveDate);

/// The current records among `ids` with their persons, on SQLite: read as one text, as
/// [`read_back::normalized_of`] reads identities (the driver's row-by-row copies cost more
/// than SQLite's reading). Normalised JSON never holds the separators unescaped, and the
/// stored creation time is RFC 3339 in UTC, so its first ten characters are its date.
async fn current_packed(
    txn: &DatabaseTransaction,
    ids: &[i64],
) -> anyhow::Result<Vec<(StoredRow, Option<i64>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT group_concat(r.id || char(31) || r.source || char(31) \
         || substr(r.created_at, 1, 10) || char(31) || ifnull(l.person_id, '') \
         || char(31) || r.normalized, char(30)) AS texts \
         FROM source_record r LEFT JOIN record_link l ON l.source_record_id = r.id \
         WHERE r.is_current = 1 AND r.id IN ({})",
        vec!["?"; ids.len()].join(", ")
    );
    let values = ids.iter().map(|&id| id.into()).collect();
    let Some(texts) = read_back::packed_text(txn, sql, values)
        .await
        .context("reading the current records")?
    else {
        return Ok(Vec::new());
    };
    texts
        .split(read_back::RECORD_SEPARATOR)
        .map(read_current)
        .collect()
}

/// One record of [`current_packed`]'s text.
fn read_current(entry: &str) -> anyhow::Result<(StoredRow, Option<i64>)> {
    let mut parts = entry.splitn(5, read_back::UNIT_SEPARATOR);
    let mut next = || parts.next().unwrap_or_default();
    let id: i64 = next().parse().context("reading a current record's ID")?;
    let (source, created, person, normalized) = (next(), next(), next(), next());
    let source = SourceKind::from_db(source)
        .with_context(|| format!("record {id} has no source: {source:?}"))?;
    let created: NaiveDate = created
        .parse()
        .with_context(|| format!("record {id} has no creation date: {created:?}"))?;
    let person = match person {
        "" => None,
        p => Some(
            p.parse()
                .with_context(|| format!("record {id} has no readable person: {p:?}"))?,
        ),
    };
    Ok(((id, source, normalized.to_owned(), created), person))
}

/// The selected current records, in ID order, with the persons they are linked to. A record
/// whose stored source, identity or raw row cannot be read is an error naming it.
async fn load_current(
    txn: &DatabaseTransaction,
    with_raw: bool,
    selection: Selection<'_>,
) -> anyhow::Result<Vec<Current>> {
    let parts: Vec<Selection<'_>> = match selection {
        Selection::Below(below) => vec![Selection::Below(below)],
        Selection::Ids(ids) => ids.chunks(IN_CHUNK).map(Selection::Ids).collect(),
    };
    let mut rows: Vec<StoredRow> = Vec::new();
    let mut raws: HashMap<i64, String> = HashMap::new();
    let mut person_of: HashMap<i64, i64> = HashMap::new();
    let packed = txn.get_database_backend() == DbBackend::Sqlite;
    for part in &parts {
        if let (true, Selection::Ids(ids)) = (packed, part) {
            for (row, person) in current_packed(txn, ids).await? {
                person_of.extend(person.map(|p| (row.0, p)));
                rows.push(row);
            }
        } else {
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
                    .into_tuple::<(i64, SourceKind, String, DateTime<Utc>)>()
                    .all(txn)
                    .await
                    .map(|rows| {
                        rows.into_iter()
                            .map(|(id, source, normalized, created)| {
                                (id, source, normalized, created.date_naive())
                            })
                            .collect::<Vec<StoredRow>>()
                    })
                    .context("reading the current records")?,
            );
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
    }
    rows.sort_unstable_by_key(|r| r.0);
    rows.into_iter()
        .map(|(id, source, normalized, created)| {
            Ok(Current {
                placed: Placed {
                    id,
                    person: person_of.get(&id).copied(),
                    inherited: None,
                    fresh: false,
                },
                member: Member {
                    source,
                    created_on: created,
                    identity: Some(Box::new(read_identity(id, &normalized)?)),
                },
                raw: raws.get(&id).map(|raw| read_raw(id, raw)).transpose()?,
            })
        })
        .collect()
}

/// A record's identity from its stored normalised JSON.
pub(super) fn read_identity(record: i64, text: &str) -> anyhow::Result<StoredIdentity> {
    serde_json::from_str(text)
        .with_context(|| format!("reading the stored identity of record {record}"))
}

/// A record's raw row from its stored JSON.
fn read_raw(record: i64, text: &str) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_str(text)
        .with_context(|| format!("reading the stored raw row of record {record}"))
}

/// Analysts' decisions on pairs of the run's `records`, as constraints on the clustering.
pub(super) async fn load_constraints(
    txn: &DatabaseTransaction,
    records: &[Placed],
) -> anyhow::Result<Constraints> {
    let index_of: HashMap<i64, u32> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i as u32))
        .collect();
    let decided: Vec<(i64, i64, i64, ReviewState)> = review_candidate::Entity::find()
        .select_only()
        .columns([
            review_candidate::Column::Id,
            review_candidate::Column::RecordA,
            review_candidate::Column::RecordB,
            review_candidate::Column::State,
        ])
        .filter(review_candidate::Column::State.is_in([ReviewState::Same, ReviewState::Different]))
        .into_tuple()
        .all(txn)
        .await
        .context("reading the analysts' decided review candidates")?;
    let mut constraints = Constraints::default();
    for (id, a, b, state) in decided {
        let (Some(&a), Some(&b)) = (index_of.get(&a), index_of.get(&b)) else {
            continue;
        };
        match state {
            ReviewState::Same => constraints.same.push((a, b)),
            ReviewState::Different => constraints.different.push((a, b)),
            ReviewState::Pending | ReviewState::Withdrawn => {
                anyhow::bail!("review candidate {id} read as decided is undecided")
            }
        }
    }
    Ok(constraints)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_stored_identity_is_an_error_naming_the_record() {
        let err = read_identity(42, "{\"name\": ").expect_err("corrupt JSON");
        assert_eq!(err.to_string(), "reading the stored identity of record 42");
        let err = read_identity(43, "[]").expect_err("not an identity");
        assert!(err.to_string().contains("record 43"), "{err:#}");
        // An empty text is no identity either (it was once read as an empty one).
        assert!(read_identity(44, "").is_err());
        let read = read_identity(45, r#"{"phones":[],"origin":"武汉"}"#).expect("sparse");
        assert_eq!(read.origin.as_deref(), Some("武汉"));
    }

    #[tokio::test]
    async fn current_records_read_back_packed_carry_their_persons_and_dates() {
        use sea_orm::{ConnectionTrait as _, TransactionTrait as _};
        let (_dir, db) = crate::db::scratch().await;
        let txn = db.writer_conn().begin().await.expect("begin");
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await
            .expect("defer");
        // Records 1..=5: 3 is no longer current, 4 has no link; JSON holding quotes and CJK.
        txn.execute_unprepared(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) \
             INSERT INTO source_record (id, batch_id, source, record_id, version, is_current, \
             row_number, raw, content_hash, phones, normalized, problems, created_at) \
             SELECT i, 1, CASE i WHEN 2 THEN 'BIGDATA' ELSE 'TOWNSHIP' END, 'R' || i, 1, \
             i != 3, i, '{}', 'h', '[]', json_object('name', '张\"三' || i, 'phones', json('[]')), '[]', \
             '2020-01-2' || i || 'T23:59:00.5+00:00' FROM n; \
             INSERT INTO record_link (source_record_id, person_id, weight, rule, explanation, \
             linked_at) VALUES (1, 10, 0, 'FOUNDER', '[]', '2020-01-20T00:00:00+00:00'), \
             (2, 10, 0, 'MATCH', '[]', '2020-01-20T00:00:00+00:00'), \
             (5, 11, 0, 'FOUNDER', '[]', '2020-01-20T00:00:00+00:00')",
        )
        .await
        .expect("records");
        let mut got = current_packed(&txn, &[1, 2, 3, 4, 5, 6])
            .await
            .expect("read back");
        got.sort_by_key(|(row, _)| row.0);
        let seen: Vec<(i64, SourceKind, NaiveDate, Option<i64>)> = got
            .iter()
            .map(|((id, source, _, on), person)| (*id, *source, *on, *person))
            .collect();
        let day = |d| NaiveDate::from_ymd_opt(2020, 1, d).expect("date");
        assert_eq!(
            seen,
            [
                (1, SourceKind::Township, day(21), Some(10)),
                (2, SourceKind::Bigdata, day(22), Some(10)),
                (4, SourceKind::Township, day(24), None),
                (5, SourceKind::Township, day(25), Some(11)),
            ]
        );
        let identity = read_identity(1, &got[0].0.2).expect("identity");
        assert_eq!(identity.identity.name.as_deref(), Some("张\"三1"));
        assert!(read_current("x\u{1f}TOWNSHIP").is_err());
        assert!(read_current("1\u{1f}NOWHERE\u{1f}2020-01-01\u{1f}\u{1f}{}").is_err());
        txn.rollback().await.expect("rollback");
    }

    #[test]
    fn an_unreadable_raw_row_is_an_error_naming_the_record() {
        let err = read_raw(7, "[1, 2]").expect_err("not a row");
        assert_eq!(err.to_string(), "reading the stored raw row of record 7");
    }
}
