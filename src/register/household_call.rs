//! The result of a household verification call (issue 25). A phone-only row that fits several
//! members of one household equally well is linked to the household (`household_link`) and
//! becomes one call on the township's worklist; whoever made the call records what it found:
//! whose number it is (the row joins that member, as an analyst's "same" would join them),
//! nobody's of the household (the row stays a person of its own, the task closed), or that
//! nobody answered (the task stays open). Each result is kept in the persons' history.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::Register;
use super::decisions::{Verdict, constrain, current_records, event};
use super::followup::clean_note;
use super::resolution::Reach;
use crate::db::household_link;
use crate::db::read_back::persons_of;
use crate::error::AppError;
use crate::states::EventKind;

/// What a household verification call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The number is this member's: the phone-only records join them.
    Member,
    /// The number is none of the members': the records stay a person of their own and the
    /// household is no longer asked about.
    NotInHousehold,
    /// Nobody answered, or the answer settled nothing: the task stays open.
    Unreachable,
}

impl CallOutcome {
    /// The outcome as the persons' history stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "MEMBER",
            Self::NotInHousehold => "NOT_IN_HOUSEHOLD",
            Self::Unreachable => "UNREACHABLE",
        }
    }
}

/// What recording a call changed.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecorded {
    /// The person the phone-only records belong to now (the member, or their own).
    pub person: i64,
    /// The household link still open (the call is to be made again), `None` once closed.
    pub open: Option<household_link::Model>,
}

impl Register {
    /// Records the result of the call the household link of `person` (the phone-only
    /// person on a township's worklist) asked for: `outcome`, with `member` (a person the
    /// link lists) for [`CallOutcome::Member`]. `township`: the caller serves only this
    /// township (a link of another is `FORBIDDEN`). `note` (up to 2000 characters) is kept
    /// in the history. MEMBER and NOT_IN_HOUSEHOLD are stored as analysts' decisions on
    /// pairs of records (the row and the member the same, the row and every other member
    /// different) and re-resolve the register at once.
    #[tracing::instrument(skip_all, fields(person.id = person), err(level = "debug", Debug))]
    pub async fn resolve_household_link(
        &self,
        person: i64,
        outcome: CallOutcome,
        member: Option<i64>,
        note: Option<&str>,
        township: Option<&str>,
        actor: &str,
    ) -> Result<CallRecorded, AppError> {
        let note = clean_note(note)?;
        let member = match (outcome, member) {
            (CallOutcome::Member, Some(m)) => Some(self.live_id(m).await?),
            (CallOutcome::Member, None) => {
                return Err(AppError::BadInput(
                    "核实结果为 MEMBER 时须指明号码使用人（memberId）".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(AppError::BadInput(format!(
                    "核实结果为 {} 时不应指明成员（memberId）",
                    outcome.as_str()
                )));
            }
            (_, None) => None,
        };
        let person = self.live_id(person).await?;
        let link = self.household_of(person).await?.ok_or_else(|| {
            AppError::NotFound(format!("人员 {person} 没有待拨打核实的同户号码任务"))
        })?;
        if township.is_some_and(|t| link.township.as_deref() != Some(t)) {
            return Err(AppError::Forbidden(
                "该核实任务不在当前令牌的乡镇范围内".into(),
            ));
        }
        let members = self.live_members(&link).await?;
        if let Some(m) = member
            && !members.contains(&m)
        {
            return Err(AppError::BadInput(format!(
                "人员 {m} 不是该户核实任务所列的成员"
            )));
        }
        let write = self
            .db
            .write(&format!("the household call of person {person}"))
            .await?;
        let txn = &write.txn;
        let after = super::newest_event(txn).await?;
        if reopened(txn, person).await?.as_ref() != Some(&link) {
            return Err(AppError::Conflict(format!(
                "人员 {person} 的同户核实任务已在此期间变更，请刷新后重试"
            )));
        }
        let records: Vec<i64> = serde_json::from_str(&link.records).map_err(|e| {
            AppError::Internal(anyhow::anyhow!(
                "reading the records of household link {}: {e}",
                link.source_record_id
            ))
        })?;
        event(
            txn,
            EventKind::Decision,
            person,
            member,
            actor,
            json!({
                "verdict": format!("HOUSEHOLD_{}", outcome.as_str()),
                "household": link.source_record_id,
                "records": records,
                "members": members,
                "note": note,
            }),
        )
        .await?;
        if outcome == CallOutcome::Unreachable {
            write.commit().await?;
            return Ok(CallRecorded {
                person,
                open: Some(link),
            });
        }
        let first = link.source_record_id;
        let mut touched = records.clone();
        let mut same = Vec::new();
        let mut different = Vec::new();
        for &m in &members {
            let Some(&record) = current_records(txn, m).await?.first() else {
                continue;
            };
            touched.push(record);
            if Some(m) == member {
                same.push((first, record));
            } else {
                different.push((first, record));
            }
        }
        if outcome == CallOutcome::Member && same.is_empty() {
            return Err(AppError::Conflict(format!(
                "人员 {} 没有当前记录",
                member.unwrap_or_default()
            )));
        }
        constrain(txn, &same, Verdict::Same, actor).await?;
        constrain(txn, &different, Verdict::Different, actor).await?;
        self.resolve_register(
            txn,
            Vec::new(),
            &HashMap::new(),
            &HashMap::new(),
            Reach::Records(&touched),
            actor,
        )
        .await?;
        let now_of = persons_of(txn, &[first]).await?;
        let open = reopened(txn, person).await?;
        write.commit().await?;
        self.announce_after(super::ChangeKind::Decision, Vec::new(), Some(after))
            .await;
        Ok(CallRecorded {
            person: now_of.get(&first).copied().unwrap_or(person),
            open,
        })
    }

    /// The persons a link lists, as they answer now (following merges); one merged away
    /// since without a survivor is left out.
    async fn live_members(&self, link: &household_link::Model) -> Result<Vec<i64>, AppError> {
        let listed: Vec<i64> = serde_json::from_str(&link.members).map_err(|e| {
            AppError::Internal(anyhow::anyhow!(
                "reading the members of household link {}: {e}",
                link.source_record_id
            ))
        })?;
        let mut members = Vec::with_capacity(listed.len());
        for m in listed {
            match self.live_id(m).await {
                Ok(live) if !members.contains(&live) => members.push(live),
                Ok(_) | Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(members)
    }
}

/// The household link of `person` after a run, if one is still made.
async fn reopened(
    txn: &DatabaseTransaction,
    person: i64,
) -> Result<Option<household_link::Model>, AppError> {
    Ok(household_link::Entity::find()
        .filter(household_link::Column::PersonId.eq(person))
        .order_by_asc(household_link::Column::SourceRecordId)
        .one(txn)
        .await?)
}
