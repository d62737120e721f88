//! Writing a run's plan after its persons: links (and the redirects of merged persons),
//! events, review candidates, and a model trained by the run.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::load::Scope;
use super::plan::{Event, Household, LinkChange, Placed, Plan, Review};
use crate::db::read_back::IN_CHUNK;
use crate::db::{
    self, household_link, match_model, overlap, person, record_link, resolution_event,
    review_candidate, rows,
};
use crate::register::decisions::verdict_words;
use crate::resolve::engine::Run;
use crate::resolve::profile::Profile;
use crate::states::ReviewState;

/// Rows per statement.
const CHUNK: usize = 500;

/// Writes the plan's new and changed links (once their persons exist) and redirects each
/// merged person, and every person redirected to it, to the person it merged into.
pub(super) async fn links(
    txn: &DatabaseTransaction,
    plan: &Plan,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let transport = overlap::Transport::of(txn);
    let link = |l: &LinkChange| record_link::Model {
        source_record_id: l.record,
        person_id: l.person,
        weight: l.weight,
        rule: l.rule.to_owned(),
        explanation: l.explanation.clone(),
        linked_at: now,
    };
    let relinked: Vec<record_link::Model> = plan.links.iter().map(link).collect();
    let upsert = rows::OnConflict::Update {
        key: vec![record_link::Column::SourceRecordId],
        update: vec![
            record_link::Column::PersonId,
            record_link::Column::Weight,
            record_link::Column::Rule,
            record_link::Column::Explanation,
            record_link::Column::LinkedAt,
        ],
    };
    overlap::write_each(txn, relinked.chunks(transport.chunk(CHUNK)), |chunk| {
        transport.insert::<record_link::Entity>(chunk, &upsert)
    })
    .await
    .context("writing the links")?;
    redirect(txn, &plan.merged, now).await
}

/// Redirects each `merged` (absorbed, kept) person, and every person redirected to an
/// absorbed one, to the survivor at the end of its chain of merges. The persons redirected
/// to the absorbed ones are found with one scan of `person` per chunk, then moved by their
/// IDs (a scan per merge took 10 s for 400 merges in a register of 110 000 persons).
async fn redirect(
    txn: &DatabaseTransaction,
    merged: &[(i64, i64)],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let into: HashMap<i64, i64> = merged.iter().copied().collect();
    let survivor = |mut p: i64| {
        for _ in 0..=into.len() {
            match into.get(&p) {
                Some(&next) => p = next,
                None => break,
            }
        }
        p
    };
    // (survivor, whether the persons were absorbed now) -> persons.
    let mut moves: BTreeMap<(i64, bool), Vec<i64>> = BTreeMap::new();
    for &(absorbed, _) in merged {
        moves
            .entry((survivor(absorbed), true))
            .or_default()
            .push(absorbed);
    }
    let absorbed: Vec<i64> = merged.iter().map(|&(a, _)| a).collect();
    for chunk in absorbed.chunks(IN_CHUNK) {
        let redirected: Vec<(i64, Option<i64>)> = person::Entity::find()
            .select_only()
            .columns([person::Column::Id, person::Column::MergedInto])
            .filter(person::Column::MergedInto.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await
            .context("reading the persons redirected to merged ones")?;
        for (id, to) in redirected {
            if let Some(to) = to.filter(|_| !into.contains_key(&id)) {
                moves.entry((survivor(to), false)).or_default().push(id);
            }
        }
    }
    for ((kept, absorbed_now), persons) in moves {
        for chunk in persons.chunks(IN_CHUNK) {
            let mut update = person::Entity::update_many()
                .col_expr(person::Column::MergedInto, Expr::value(kept))
                .filter(person::Column::Id.is_in(chunk.iter().copied()));
            if absorbed_now {
                update = update.col_expr(person::Column::UpdatedAt, Expr::value(now));
            }
            update
                .exec(txn)
                .await
                .with_context(|| format!("redirecting persons to {kept}"))?;
        }
    }
    Ok(())
}

/// Appends `events` by `actor`, each record's with the batch `batch_of` says wrote it.
pub(super) async fn events(
    txn: &DatabaseTransaction,
    events: Vec<Event>,
    batch_of: &HashMap<i64, i64>,
    actor: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let transport = overlap::Transport::of(txn);
    let first = db::next_id(txn, "resolution_event").await?;
    let numbered: Vec<(i64, Event)> = (first..).zip(events).collect();
    let event_rows = |chunk: Vec<(i64, Event)>| {
        let models: Vec<resolution_event::Model> = chunk
            .into_iter()
            .map(|(id, e)| resolution_event::Model {
                id,
                kind: e.kind,
                person_id: e.person,
                other_person_id: e.other,
                source_record_id: e.record,
                batch_id: e.record.and_then(|r| batch_of.get(&r).copied()),
                actor: actor.to_owned(),
                at: now,
                detail: e.detail,
            })
            .collect();
        transport.insert::<resolution_event::Entity>(&models, &rows::OnConflict::Fail)
    };
    overlap::write_each(
        txn,
        overlap::chunks_of(numbered, transport.chunk(CHUNK)),
        event_rows,
    )
    .await
    .context("writing the events")
}

/// Writes the run's `reviews` over the candidates among its `records` (all of them when the
/// run was `Whole`); `cluster` is the engine's cluster of each record. Returns how many
/// candidates the run leaves pending.
///
/// A candidate is its pair of records (stored low record first, unique), so it keeps its ID
/// from run to run: a pair proposed again updates its row (weight and explanation), a
/// withdrawn pair proposed again is reopened under its old ID, a new pair gets a new ID.
///
/// An analyst's decision is between two persons: a pair across two clusters that an
/// analyst's decided pair already lies across is not proposed again, whichever records it
/// joins. A pending pair the run does not propose is withdrawn (`WITHDRAWN`) with the reason
/// the API gives when it is asked to decide it: its records were merged, its persons were
/// decided on through another pair, or it no longer looks alike enough.
pub(super) async fn reviews(
    txn: &DatabaseTransaction,
    scope: &Scope,
    records: &[Placed],
    cluster: &[u32],
    reviews: Vec<Review>,
    now: DateTime<Utc>,
) -> anyhow::Result<u32> {
    let index_of: HashMap<i64, usize> =
        records.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let cluster_of = |record: i64| index_of.get(&record).and_then(|&i| cluster.get(i)).copied();
    let existing = candidates_among(txn, scope, records)
        .await
        .context("reading the review candidates of the run's records")?;
    // The analysts' decisions still lying across two clusters: (low, high) cluster → row.
    let mut decided: HashMap<(u32, u32), &review_candidate::Model> = HashMap::new();
    for row in existing.values() {
        if !matches!(row.state, ReviewState::Same | ReviewState::Different) {
            continue;
        }
        if let (Some(ca), Some(cb)) = (cluster_of(row.record_a), cluster_of(row.record_b))
            && ca != cb
        {
            decided.entry((ca.min(cb), ca.max(cb))).or_insert(row);
        }
    }
    let across = |a: i64, b: i64| match (cluster_of(a), cluster_of(b)) {
        (Some(ca), Some(cb)) if ca != cb => decided.get(&(ca.min(cb), ca.max(cb))).copied(),
        _ => None,
    };

    let mut next = db::next_id(txn, "review_candidate").await?;
    let mut proposed: HashSet<(i64, i64)> = HashSet::new();
    let mut rows: Vec<review_candidate::Model> = Vec::new();
    for r in reviews {
        let key = (r.record_a.min(r.record_b), r.record_a.max(r.record_b));
        if across(key.0, key.1).is_some() || !proposed.insert(key) {
            continue;
        }
        let (id, created_at) = match existing.get(&key) {
            Some(row) if matches!(row.state, ReviewState::Same | ReviewState::Different) => {
                // Decided, yet its records are apart and no decision lies across them:
                // the decision stands, the pair is not asked again.
                proposed.remove(&key);
                continue;
            }
            Some(row) => (row.id, row.created_at),
            None => {
                next += 1;
                (next - 1, now)
            }
        };
        rows.push(review_candidate::Model {
            id,
            record_a: key.0,
            record_b: key.1,
            total_weight: r.weight,
            explanation: r.explanation,
            state: ReviewState::Pending,
            decided_by: None,
            decided_at: None,
            created_at,
            note: None,
            closed_reason: None,
        });
    }
    let pending = rows.len() as u32;
    let upsert = rows::OnConflict::Update {
        key: vec![
            review_candidate::Column::RecordA,
            review_candidate::Column::RecordB,
        ],
        update: vec![
            review_candidate::Column::TotalWeight,
            review_candidate::Column::Explanation,
            review_candidate::Column::State,
            review_candidate::Column::DecidedBy,
            review_candidate::Column::DecidedAt,
            review_candidate::Column::ClosedReason,
        ],
    };
    let transport = overlap::Transport::of(txn);
    overlap::write_each(txn, rows.chunks(transport.chunk(CHUNK)), |chunk| {
        transport.insert::<review_candidate::Entity>(chunk, &upsert)
    })
    .await
    .context("writing the review candidates")?;

    let mut withdrawn: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (key, row) in &existing {
        if row.state != ReviewState::Pending || proposed.contains(key) {
            continue;
        }
        let reason = match (cluster_of(key.0), cluster_of(key.1), across(key.0, key.1)) {
            (Some(ca), Some(cb), _) if ca == cb => "两条记录已合并为同一人".to_owned(),
            (_, _, Some(decision)) => format!(
                "两人已由编号为 {} 的候选判定为{}",
                decision.id,
                verdict_words(decision.state)
            ),
            (None, _, _) | (_, None, _) if matches!(scope, Scope::Whole) => {
                // A whole run places every current record: the other was replaced.
                "其中一条记录已被新版本取代".to_owned()
            }
            _ => "重新比对后，两条记录已不足以列为待审核候选".to_owned(),
        };
        withdrawn.entry(reason).or_default().push(row.id);
    }
    for (reason, ids) in withdrawn {
        for chunk in ids.chunks(IN_CHUNK) {
            review_candidate::Entity::update_many()
                .col_expr(
                    review_candidate::Column::State,
                    Expr::value(ReviewState::Withdrawn),
                )
                .col_expr(
                    review_candidate::Column::ClosedReason,
                    Expr::value(reason.clone()),
                )
                .col_expr(review_candidate::Column::DecidedAt, Expr::value(now))
                .filter(review_candidate::Column::Id.is_in(chunk.to_vec()))
                .exec(txn)
                .await
                .context("withdrawing the review candidates no longer proposed")?;
        }
    }
    Ok(pending)
}

/// Replaces the household links of the run's `records` (all of them when the run was
/// `Whole`) with the run's `households`; each goes on the worklist of its members' township
/// (the one most of them live in). Returns how many links the run made.
pub(super) async fn households(
    txn: &DatabaseTransaction,
    scope: &Scope,
    records: &[Placed],
    households: Vec<Household>,
    now: DateTime<Utc>,
) -> anyhow::Result<u32> {
    match scope {
        Scope::Whole => {
            household_link::Entity::delete_many()
                .exec(txn)
                .await
                .context("clearing the household links")?;
        }
        Scope::Part(_) => {
            let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
            for chunk in ids.chunks(IN_CHUNK) {
                household_link::Entity::delete_many()
                    .filter(household_link::Column::SourceRecordId.is_in(chunk.to_vec()))
                    .exec(txn)
                    .await
                    .context("clearing the household links of the run's records")?;
            }
        }
    }
    let members: Vec<i64> = households.iter().flat_map(|h| h.members.clone()).collect();
    let mut township_of: HashMap<i64, String> = HashMap::new();
    for chunk in members.chunks(IN_CHUNK) {
        let rows: Vec<(i64, Option<String>)> = person::Entity::find()
            .select_only()
            .columns([person::Column::Id, person::Column::Township])
            .filter(person::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(txn)
            .await
            .context("reading the townships of household members")?;
        township_of.extend(rows.into_iter().filter_map(|(id, t)| Some((id, t?))));
    }
    let mut rows: Vec<household_link::Model> = Vec::with_capacity(households.len());
    for h in households {
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &h.members {
            if let Some(t) = township_of.get(m) {
                *count.entry(t.as_str()).or_default() += 1;
            }
        }
        let township = count
            .iter()
            .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
            .map(|(t, _)| (*t).to_owned());
        let Some(&first) = h.records.first() else {
            continue;
        };
        rows.push(household_link::Model {
            source_record_id: first,
            person_id: h.person,
            records: serde_json::to_string(&h.records).context("writing the records")?,
            members: serde_json::to_string(&h.members).context("writing the members")?,
            explanation: household_explanation(&h.address, h.members.len()),
            address: h.address,
            township,
            weight: h.weight,
            linked_at: now,
        });
    }
    let made = rows.len() as u32;
    let transport = overlap::Transport::of(txn);
    overlap::write_each(txn, rows.chunks(transport.chunk(CHUNK)), |chunk| {
        transport.insert::<household_link::Entity>(chunk, &rows::OnConflict::Fail)
    })
    .await
    .context("writing the household links")?;
    Ok(made)
}

/// Why a phone-only record is linked to a household, in the words a township officer reads.
pub fn household_explanation(address: &str, members: usize) -> String {
    format!(
        "该号码由住址为「{address}」的一户 {members} 名成员共用，仅凭号码无法判断是其中哪一位：\
         请拨打该号码核实使用人"
    )
}

/// Every review candidate (any state) with a record among the run's `records` (all of them
/// when the run is `Whole`), by its pair.
async fn candidates_among(
    txn: &DatabaseTransaction,
    scope: &Scope,
    records: &[Placed],
) -> Result<HashMap<(i64, i64), review_candidate::Model>, sea_orm::DbErr> {
    let mut found = HashMap::new();
    let mut keep = |rows: Vec<review_candidate::Model>| {
        for row in rows {
            found.insert((row.record_a, row.record_b), row);
        }
    };
    match scope {
        Scope::Whole => keep(review_candidate::Entity::find().all(txn).await?),
        Scope::Part(_) => {
            let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
            for chunk in ids.chunks(IN_CHUNK) {
                keep(
                    review_candidate::Entity::find()
                        .filter(
                            sea_orm::Condition::any()
                                .add(review_candidate::Column::RecordA.is_in(chunk.to_vec()))
                                .add(review_candidate::Column::RecordB.is_in(chunk.to_vec())),
                        )
                        .all(txn)
                        .await?,
                );
            }
        }
    }
    Ok(found)
}

/// Stores the model a run trained, so every weight can be shown and later batches are
/// matched with it; returns its ID.
pub(super) async fn model(
    txn: &DatabaseTransaction,
    profile: &Profile,
    run: &Run,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let (model, blocking) = model_texts(run)?;
    let id = db::next_id(txn, "match_model").await?;
    match_model::Entity::insert(match_model::ActiveModel::from(match_model::Model {
        id,
        profile: profile.name.clone(),
        trained_at: now,
        model,
        blocking,
        term_frequency: Some(run.model.stored_terms()),
    }))
    .exec_without_returning(txn)
    .await
    .context("storing the match model")?;
    Ok(id)
}

/// A run's model and blocking figures as JSON text.
fn model_texts(run: &Run) -> anyhow::Result<(String, String)> {
    Ok((
        stored_json(&run.model, "the match model")?,
        stored_json(&run.blocking, "the blocking figures")?,
    ))
}

/// `value` as JSON text to store. One that cannot be written is an error: a model stored
/// empty could not be read back, and every later batch would resolve the whole register
/// again to train another.
fn stored_json<T: serde::Serialize + ?Sized>(value: &T, what: &str) -> anyhow::Result<String> {
    serde_json::to_string(value).with_context(|| format!("writing {what} as JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::model::Model;

    #[test]
    fn a_trained_model_is_stored_as_text_it_reads_back_from() {
        let profile = crate::config::load_profile("cn-identity").expect("profile");
        let run = Run {
            model: Model::untrained(&profile),
            clustering: Default::default(),
            blocking: Vec::new(),
            pairs: 0,
        };
        let (text, blocking) = model_texts(&run).expect("texts");
        assert_eq!(blocking, "[]");
        let terms = run.model.stored_terms();
        let back = Model::restore(&profile, &text, &terms)
            .expect("readable")
            .expect("same profile");
        assert_eq!(back.params, run.model.params);
    }

    #[test]
    fn a_value_that_cannot_be_written_is_an_error_not_an_empty_text() {
        // JSON object keys are strings: a map keyed by pairs cannot be written.
        let unwritable: HashMap<(u32, u32), f64> = HashMap::from([((1, 2), 0.5)]);
        let err = stored_json(&unwritable, "the match model").expect_err("no JSON for it");
        assert_eq!(err.to_string(), "writing the match model as JSON");
    }
}
