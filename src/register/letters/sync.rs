//! Persons who leave the letter world: those merged into another person (a merged person keeps
//! one entry) and those who came back into the county, each with a letter event; and a reply
//! saying a person came back, applied as location evidence.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, DatabaseTransaction, EntityTrait,
    IntoActiveModel as _, QueryFilter as _, QueryOrder as _, Set,
};

use super::event;
use crate::db::{letter_person, letter_reply, person};
use crate::error::AppError;
use crate::followup::evidence::{REPLY_RULE, reply_prevails};
use crate::intake::SourceKind;
use crate::letters::entries::{MergedEntry, merged_entry};
use crate::register::golden::{Golden, LocationPiece};
use crate::register::{ChangeKind, LocationStatus, Register};
use crate::states::{LetterPersonStatus, ReplyOutcome};

impl Register {
    /// Brings the open entries of letters up to date with the register: an entry of a person
    /// merged into another stands for the survivor (or leaves when the survivor has an open
    /// entry already); an entry of a person now in the county leaves its letter. The replies
    /// that a person came back are weighed again first (a resolution run rewrote the golden
    /// records from the records alone). Run after every import and decision.
    pub async fn sync_letters(&self) -> Result<(), AppError> {
        let now = self.reference.clock.now();
        let write = self.db.write("the letters' persons").await?;
        let txn = &write.txn;
        self.reapply_reply_evidence(txn, now).await?;
        let open = letter_person::Entity::find()
            .filter(letter_person::Column::Status.eq(LetterPersonStatus::Open))
            .all(txn)
            .await?;
        if open.is_empty() {
            write.commit().await?;
            return Ok(());
        }
        let ids: Vec<i64> = open.iter().map(|e| e.person_id).collect();
        let persons: std::collections::HashMap<i64, (Option<i64>, LocationStatus)> =
            person::Entity::find()
                .filter(person::Column::Id.is_in(ids))
                .all(txn)
                .await?
                .into_iter()
                .map(|p| (p.id, (p.merged_into, p.location_status)))
                .collect();
        let mut open_persons: std::collections::HashSet<i64> =
            open.iter().map(|e| e.person_id).collect();
        let mut changed = false;
        for entry in open {
            let Some((merged_into, status)) = persons.get(&entry.person_id).copied() else {
                continue;
            };
            let (letter_id, person_id) = (entry.letter_id, entry.person_id);
            if let Some(survivor) = merged_into {
                let mut update = entry.into_active_model();
                let detail = format!("并入人员 {survivor}");
                match merged_entry(open_persons.contains(&survivor)) {
                    MergedEntry::Repoint => {
                        update.person_id = Set(survivor);
                        open_persons.insert(survivor);
                    }
                    MergedEntry::Leave => {
                        update.status = Set(LetterPersonStatus::Left);
                        update.left_at = Set(Some(now));
                    }
                }
                open_persons.remove(&person_id);
                update.update(txn).await?;
                event(
                    txn,
                    letter_id,
                    Some(person_id),
                    "PERSON_MERGED",
                    detail,
                    "register",
                    now,
                )
                .await?;
                changed = true;
            } else if status == LocationStatus::InCounty {
                let mut update = entry.into_active_model();
                update.status = Set(LetterPersonStatus::Left);
                update.left_at = Set(Some(now));
                update.update(txn).await?;
                open_persons.remove(&person_id);
                event(
                    txn,
                    letter_id,
                    Some(person_id),
                    "PERSON_LEFT",
                    "已返回本县".to_owned(),
                    "register",
                    now,
                )
                .await?;
                changed = true;
            }
        }
        write.commit().await?;
        if changed {
            // Not through `announce`: that would run this sweep again.
            let _ = self.changes.send(crate::register::RegisterChange {
                kind: ChangeKind::Letter,
                at: now,
                batch_ids: Vec::new(),
                events_after: 0,
                events_to: 0,
            });
        }
        Ok(())
    }

    /// Applies again the `RETURNED_TO_COUNTY` answers whose persons a resolution run has
    /// rewritten since (a golden record is made from the records alone, so the run dropped
    /// the reply's piece): the reply is weighed again against the records' evidence as it is
    /// now.
    async fn reapply_reply_evidence(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let returned = letter_reply::Entity::find()
            .filter(letter_reply::Column::Outcome.eq(ReplyOutcome::ReturnedToCounty))
            .order_by_asc(letter_reply::Column::Id)
            .all(txn)
            .await?;
        for reply in returned {
            self.apply_reply_evidence(txn, &[reply.person_id], reply.replied_on, now)
                .await?;
        }
        Ok(())
    }

    /// Applies `RETURNED_TO_COUNTY` answers of `persons` (replied on `replied_on`) as location
    /// evidence: where the reply prevails over the deciding record
    /// ([`reply_prevails`]), the person is `IN_COUNTY` and the reply is the deciding piece of
    /// their location evidence (rule `letter.reply`); follow-up picks them up. A person whose
    /// evidence holds the reply already is left as is.
    pub(super) async fn apply_reply_evidence(
        &self,
        txn: &DatabaseTransaction,
        persons: &[i64],
        replied_on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        for id in persons {
            let Some(row) = person::Entity::find_by_id(*id).one(txn).await? else {
                continue;
            };
            if row.merged_into.is_some() {
                continue;
            }
            let Ok(mut golden) = serde_json::from_str::<Golden>(&row.golden) else {
                continue;
            };
            if golden
                .location_evidence
                .iter()
                .any(|p| p.rule == REPLY_RULE)
            {
                continue;
            }
            let deciding = golden
                .location_evidence
                .iter()
                .find(|p| p.deciding)
                .map(|p| (p.source, p.report_date));
            if !reply_prevails(replied_on, deciding) {
                continue;
            }
            for piece in &mut golden.location_evidence {
                piece.deciding = false;
            }
            golden.location_evidence.push(LocationPiece {
                record: 0,
                source: SourceKind::External,
                status: LocationStatus::InCounty,
                code: None,
                name: None,
                township: row.township.clone(),
                village: row.village.clone(),
                report_date: replied_on,
                rule: REPLY_RULE.to_owned(),
                deciding: true,
            });
            golden.location_status = LocationStatus::InCounty;
            golden.jurisdiction_code = None;
            golden.jurisdiction_name = None;
            let text = serde_json::to_string(&golden)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            let mut update = row.into_active_model();
            update.location_status = Set(LocationStatus::InCounty);
            update.jurisdiction_code = Set(None);
            update.jurisdiction_name = Set(None);
            update.golden = Set(text);
            update.updated_at = Set(now);
            update.update(txn).await?;
        }
        Ok(())
    }
}
