//! Analysts' decisions: deciding a review candidate, merging two persons, splitting records off
//! a person. Each is stored as constraints on pairs of records (`review_candidate` rows in
//! state `SAME` or `DIFFERENT`) that every later resolution run honours, and each re-resolves
//! the register at once.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::Register;
use super::resolution::Reach;
use crate::db::read_back::persons_of;
use crate::db::{self, person, record_link, resolution_event, review_candidate, source_record};
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
    /// Decides a pending review candidate and re-resolves the register.
    #[tracing::instrument(skip_all, fields(candidate.id = id), err(level = "debug", Debug))]
    pub async fn decide_candidate(
        &self,
        id: i64,
        verdict: Verdict,
        actor: &str,
    ) -> Result<review_candidate::Model, AppError> {
        let write = self
            .db
            .write(&format!("a decision on candidate {id}"))
            .await?;
        let txn = &write.txn;
        let candidate = review_candidate::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("没有编号为 {id} 的待审核候选")))?;
        if candidate.state != ReviewState::Pending {
            return Err(AppError::Conflict(format!(
                "候选 {id} 已被裁定为 {}",
                candidate.state.as_str()
            )));
        }
        let now = Utc::now();
        review_candidate::Entity::update_many()
            .col_expr(
                review_candidate::Column::State,
                Expr::value(verdict.state()),
            )
            .col_expr(review_candidate::Column::DecidedBy, Expr::value(actor))
            .col_expr(review_candidate::Column::DecidedAt, Expr::value(now))
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
        self.announce(super::ChangeKind::Decision, Vec::new()).await;
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
        self.announce(super::ChangeKind::Decision, Vec::new()).await;
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
        self.announce(super::ChangeKind::Decision, Vec::new()).await;
        self.person(new_person)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("split person vanished")))
    }

    /// The ID a person answers to now (following merges), or `NotFound`.
    async fn live_id(&self, id: i64) -> Result<i64, AppError> {
        self.person(id)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| AppError::NotFound(format!("没有编号为 {id} 的人员")))
    }
}

/// Stores analysts' constraints on pairs of records.
async fn constrain(
    txn: &DatabaseTransaction,
    pairs: &[(i64, i64)],
    verdict: Verdict,
    actor: &str,
) -> Result<(), AppError> {
    let now = Utc::now();
    let mut next = db::next_id(txn, "review_candidate").await?;
    let rows: Vec<review_candidate::ActiveModel> = pairs
        .iter()
        .map(|&(a, b)| {
            let id = next;
            next += 1;
            review_candidate::Model {
                id,
                record_a: a.min(b),
                record_b: a.max(b),
                total_weight: 0.0,
                explanation: "[]".to_owned(),
                state: verdict.state(),
                decided_by: Some(actor.to_owned()),
                decided_at: Some(now),
                created_at: now,
            }
            .into()
        })
        .collect();
    for chunk in rows.chunks(500) {
        review_candidate::Entity::insert_many(chunk.iter().cloned())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The current records of a person, oldest first.
async fn current_records(txn: &DatabaseTransaction, person: i64) -> Result<Vec<i64>, AppError> {
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

async fn event(
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
