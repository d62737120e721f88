//! Analysts' decisions: deciding a review candidate, merging two persons, splitting records off
//! a person. Each is stored as constraints on pairs of records (`review_candidate` rows in
//! state `SAME` or `DIFFERENT`) that every later resolution run honours, and each re-resolves
//! the register at once.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::Register;
use super::resolution::Reach;
use crate::db::read_back::persons_of;
use crate::db::{
    self, person, record_link, resolution_event, review_candidate, rows, source_record,
};
use crate::error::AppError;
use crate::states::{EventKind, ReviewState, Stored as _};

/// An analyst's verdict on a pair of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The two records are one person.
    Same,
    /// The two records are two persons.
    Different,
}

impl Verdict {
    /// The state a candidate decided this way is stored in.
    fn state(self) -> ReviewState {
        match self {
            Verdict::Same => ReviewState::Same,
            Verdict::Different => ReviewState::Different,
        }
    }
}

impl Register {
    /// Decides a pending review candidate and re-resolves the register; `note` is kept with
    /// the decision. The decision is between the two persons: the run it sets off withdraws
    /// the other pending pairs of the same two persons (see `resolution::write::reviews`).
    ///
    /// A candidate already decided or withdrawn is a conflict that says which and why
    /// (`编号为 7 的候选已于 … 判定为同一人（SAME）`, `编号为 7 的候选已不存在：两条记录已合并为同一人`).
    #[tracing::instrument(skip_all, fields(candidate.id = id), err(level = "debug", Debug))]
    pub async fn decide_candidate(
        &self,
        id: i64,
        verdict: Verdict,
        note: Option<&str>,
        actor: &str,
    ) -> Result<review_candidate::Model, AppError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS) {
            return Err(AppError::BadInput(format!(
                "备注不能超过 {NOTE_MAX_CHARS} 个字符"
            )));
        }
        let write = self
            .db
            .write(&format!("a decision on candidate {id}"))
            .await?;
        let txn = &write.txn;
        let after = super::newest_event(txn).await?;
        let candidate = review_candidate::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("没有编号为 {id} 的审核候选")))?;
        if let Some(why) = not_pending(&candidate) {
            return Err(AppError::Conflict(why));
        }
        let now = Utc::now();
        review_candidate::Entity::update_many()
            .col_expr(
                review_candidate::Column::State,
                Expr::value(verdict.state()),
            )
            .col_expr(review_candidate::Column::DecidedBy, Expr::value(actor))
            .col_expr(review_candidate::Column::DecidedAt, Expr::value(now))
            .col_expr(
                review_candidate::Column::Note,
                Expr::value(note.map(str::to_owned)),
            )
            .filter(review_candidate::Column::Id.eq(id))
            .exec(txn)
            .await?;
        let persons = persons_of(txn, &[candidate.record_a, candidate.record_b]).await?;
        event(
            txn,
            EventKind::Decision,
            persons
                .get(&candidate.record_a)
                .copied()
                .unwrap_or_default(),
            persons.get(&candidate.record_b).copied(),
            actor,
            json!({
                "candidate": id,
                "verdict": verdict.state().as_str(),
                "records": [candidate.record_a, candidate.record_b],
                "weight": candidate.total_weight,
            }),
        )
        .await?;
        let touched = [candidate.record_a, candidate.record_b];
        self.resolve_register(
            txn,
            Vec::new(),
            &HashMap::new(),
            &HashMap::new(),
            Reach::Records(&touched),
            actor,
        )
        .await?;
        let decided = review_candidate::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("decided candidate vanished")))?;
        write.commit().await?;
        self.announce_after(super::ChangeKind::Decision, Vec::new(), Some(after))
            .await;
        Ok(decided)
    }

    /// Makes two persons one: the older ID survives, the other redirects to it.
    #[tracing::instrument(skip_all, err(level = "debug", Debug))]
    pub async fn merge_persons(
        &self,
        a: i64,
        b: i64,
        actor: &str,
    ) -> Result<person::Model, AppError> {
        let (a, b) = (self.live_id(a).await?, self.live_id(b).await?);
        if a == b {
            return Err(AppError::BadInput("两个编号是同一人员".into()));
        }
        let write = self.db.write("a merge of two persons").await?;
        let txn = &write.txn;
        let after = super::newest_event(txn).await?;
        let ra = first_record(txn, a).await?;
        let rb = first_record(txn, b).await?;
        constrain(txn, &[(ra, rb)], Verdict::Same, actor).await?;
        event(
            txn,
            EventKind::Decision,
            a.min(b),
            Some(a.max(b)),
            actor,
            json!({ "verdict": "MERGE_PERSONS", "persons": [a, b] }),
        )
        .await?;
        self.resolve_register(
            txn,
            Vec::new(),
            &HashMap::new(),
            &HashMap::new(),
            Reach::Records(&[ra, rb]),
            actor,
        )
        .await?;
        write.commit().await?;
        self.announce_after(super::ChangeKind::Decision, Vec::new(), Some(after))
            .await;
        self.person(a.min(b))
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("merged person vanished")))
    }

    /// Splits `records` off person `id` into a person of their own.
    #[tracing::instrument(skip_all, err(level = "debug", Debug))]
    pub async fn split_person(
        &self,
        id: i64,
        records: &[i64],
        actor: &str,
    ) -> Result<person::Model, AppError> {
        let id = self.live_id(id).await?;
        if records.is_empty() {
            return Err(AppError::BadInput("请指定要拆分出的记录".into()));
        }
        let write = self.db.write("a split of a person").await?;
        let txn = &write.txn;
        let after = super::newest_event(txn).await?;
        let own = current_records(txn, id).await?;
        if let Some(r) = records.iter().find(|r| !own.contains(r)) {
            return Err(AppError::BadInput(format!("记录 {r} 不属于人员 {id}")));
        }
        let rest: Vec<i64> = own
            .iter()
            .copied()
            .filter(|r| !records.contains(r))
            .collect();
        if rest.is_empty() {
            return Err(AppError::BadInput(
                "不能把一个人员的全部记录拆分出去".into(),
            ));
        }
        let apart: Vec<(i64, i64)> = records
            .iter()
            .flat_map(|r| rest.iter().map(move |o| (*r, *o)))
            .collect();
        constrain(txn, &apart, Verdict::Different, actor).await?;
        let together: Vec<(i64, i64)> = records[1..].iter().map(|r| (records[0], *r)).collect();
        constrain(txn, &together, Verdict::Same, actor).await?;
        event(
            txn,
            EventKind::Decision,
            id,
            None,
            actor,
            json!({ "verdict": "SPLIT_PERSON", "records": records }),
        )
        .await?;
        self.resolve_register(
            txn,
            Vec::new(),
            &HashMap::new(),
            &HashMap::new(),
            Reach::Records(&own),
            actor,
        )
        .await?;
        let new_person = persons_of(txn, &records[..1])
            .await?
            .get(&records[0])
            .copied()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("split record lost its person")))?;
        write.commit().await?;
        self.announce_after(super::ChangeKind::Decision, Vec::new(), Some(after))
            .await;
        self.person(new_person)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("split person vanished")))
    }

    /// The ID a person answers to now (following merges), or `NotFound`.
    pub(super) async fn live_id(&self, id: i64) -> Result<i64, AppError> {
        self.person(id)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| AppError::NotFound(format!("没有编号为 {id} 的人员")))
    }
}

/// The longest note an analyst may keep with a decision, in characters.
pub const NOTE_MAX_CHARS: usize = 2000;

/// Why a candidate can no longer be decided, in the words of the API's answer; `None` while
/// it is pending.
pub fn not_pending(candidate: &review_candidate::Model) -> Option<String> {
    let id = candidate.id;
    match candidate.state {
        ReviewState::Pending => None,
        ReviewState::Same | ReviewState::Different => {
            let when = candidate.decided_at.map_or_else(String::new, |at| {
                format!("于 {} ", at.format("%Y-%m-%d %H:%M UTC"))
            });
            let by = candidate
                .decided_by
                .as_deref()
                .map_or_else(String::new, |who| format!("由 {who} "));
            Some(format!(
                "编号为 {id} 的候选已{when}{by}判定为{}，不能再次判定",
                verdict_words(candidate.state)
            ))
        }
        ReviewState::Withdrawn => Some(format!(
            "编号为 {id} 的候选已不存在：{}",
            candidate
                .closed_reason
                .as_deref()
                .unwrap_or("重新比对后已不再列为待审核候选")
        )),
    }
}

/// A decided state in the words of the API's answers: `同一人（SAME）`, `不同人（DIFFERENT）`.
pub(crate) fn verdict_words(state: ReviewState) -> &'static str {
    match state {
        ReviewState::Same => "同一人（SAME）",
        ReviewState::Different => "不同人（DIFFERENT）",
        ReviewState::Pending => "待审核（PENDING）",
        ReviewState::Withdrawn => "已撤回（WITHDRAWN）",
    }
}

/// Stores analysts' constraints on pairs of records: a pair already stored (pending,
/// withdrawn or decided) keeps its row and ID and takes the new verdict.
pub(super) async fn constrain(
    txn: &DatabaseTransaction,
    pairs: &[(i64, i64)],
    verdict: Verdict,
    actor: &str,
) -> Result<(), AppError> {
    let now = Utc::now();
    let pairs: BTreeSet<(i64, i64)> = pairs
        .iter()
        .filter(|(a, b)| a != b)
        .map(|&(a, b)| (a.min(b), a.max(b)))
        .collect();
    let first = db::next_id(txn, "review_candidate").await?;
    let rows: Vec<review_candidate::Model> = (first..)
        .zip(pairs)
        .map(|(id, (a, b))| review_candidate::Model {
            id,
            record_a: a,
            record_b: b,
            total_weight: 0.0,
            explanation: "[]".to_owned(),
            state: verdict.state(),
            decided_by: Some(actor.to_owned()),
            decided_at: Some(now),
            created_at: now,
            note: None,
            closed_reason: None,
        })
        .collect();
    let upsert = rows::OnConflict::Update {
        key: vec![
            review_candidate::Column::RecordA,
            review_candidate::Column::RecordB,
        ],
        update: vec![
            review_candidate::Column::State,
            review_candidate::Column::DecidedBy,
            review_candidate::Column::DecidedAt,
            review_candidate::Column::ClosedReason,
        ],
    };
    let backend = txn.get_database_backend();
    for chunk in rows.chunks(500) {
        if let Some(statement) = rows::insert::<review_candidate::Entity>(backend, chunk, &upsert) {
            txn.execute_raw(statement).await?;
        }
    }
    Ok(())
}

/// The current records of a person, oldest first.
pub(super) async fn current_records(
    txn: &DatabaseTransaction,
    person: i64,
) -> Result<Vec<i64>, AppError> {
    let linked: Vec<i64> = record_link::Entity::find()
        .select_only()
        .column(record_link::Column::SourceRecordId)
        .filter(record_link::Column::PersonId.eq(person))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(source_record::Entity::find()
        .select_only()
        .column(source_record::Column::Id)
        .filter(source_record::Column::Id.is_in(linked))
        .filter(source_record::Column::IsCurrent.eq(true))
        .order_by_asc(source_record::Column::Id)
        .into_tuple()
        .all(txn)
        .await?)
}

async fn first_record(txn: &DatabaseTransaction, person: i64) -> Result<i64, AppError> {
    current_records(txn, person)
        .await?
        .first()
        .copied()
        .ok_or_else(|| AppError::Conflict(format!("人员 {person} 没有当前记录")))
}

pub(super) async fn event(
    txn: &DatabaseTransaction,
    kind: EventKind,
    person: i64,
    other: Option<i64>,
    actor: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let id = db::next_id(txn, "resolution_event").await?;
    resolution_event::Entity::insert(resolution_event::ActiveModel::from(
        resolution_event::Model {
            id,
            kind,
            person_id: person,
            other_person_id: other,
            source_record_id: None,
            batch_id: None,
            actor: actor.to_owned(),
            at: Utc::now(),
            detail: detail.to_string(),
        },
    ))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
