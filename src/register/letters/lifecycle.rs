//! A letter's life in the register: issuing it (its number from the year's series, gap-free
//! and unique however many clerks issue at once), acknowledging, cancelling a draft, and
//! recording the addressee's answers.

use chrono::Datelike as _;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait as _, DatabaseTransaction,
    EntityTrait, IntoActiveModel as _, QueryFilter as _, Set, Statement,
};

use super::event;
use crate::db::{letter, letter_person, letter_reply, next_id};
use crate::error::AppError;
use crate::letters::grouping::addressee;
use crate::letters::lifecycle::{Action, next};
use crate::register::{ChangeKind, Register};
use crate::states::{LetterChannel, LetterPersonStatus, LetterState, ReplyOutcome, Stored as _};

/// The addressee's answer for one person.
#[derive(Debug, Clone)]
pub struct ReplyInput {
    /// The person, open on the letter.
    pub person_id: i64,
    /// The answer.
    pub outcome: ReplyOutcome,
    /// For `MOVED_ON`: where the person went (a place name or a division code).
    pub place: Option<String>,
    /// The addressee's note (up to 500 characters kept).
    pub note: Option<String>,
}

/// The letter `id` under the write transaction, or `NOT_FOUND`.
async fn load(txn: &DatabaseTransaction, id: i64) -> Result<letter::Model, AppError> {
    letter::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("函件 {id} 不存在")))
}

/// `letter`'s next state under `action`, or `CONFLICT` with why not.
fn step(letter: &letter::Model, action: Action) -> Result<LetterState, AppError> {
    next(letter.state, action)
        .map_err(|r| AppError::Conflict(format!("函件 {}：{}", letter.id, r.0)))
}

/// The next number of `year`'s series, taken in `txn`: the series row is created when
/// missing and incremented in place, so two transactions never take the same number (the
/// second waits for the first's row lock on PostgreSQL; SQLite has one writer) and a
/// transaction rolled back gives its number back.
async fn take_number(txn: &DatabaseTransaction, year: i32) -> Result<i32, AppError> {
    let backend = txn.get_database_backend();
    // The year is a number: written into the statement, the same text on both backends.
    txn.execute_raw(Statement::from_string(
        backend,
        format!("INSERT INTO letter_series (year, last) VALUES ({year}, 0) ON CONFLICT (year) DO NOTHING"),
    ))
    .await?;
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            format!("UPDATE letter_series SET last = last + 1 WHERE year = {year} RETURNING last"),
        ))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no letter series row for {year}")))?;
    Ok(row.try_get("", "last")?)
}

impl Register {
    /// Sends draft `id` by `channel`: it gets the next number of the year's series and the
    /// county's today as its date. Only a draft with persons may be issued.
    pub async fn issue_letter(
        &self,
        id: i64,
        channel: LetterChannel,
        actor: &str,
    ) -> Result<letter::Model, AppError> {
        let now = self.reference.clock.now();
        let today = self.reference.clock.today();
        let write = self.db.write("issuing a letter").await?;
        let txn = &write.txn;
        let current = load(txn, id).await?;
        let state = step(&current, Action::Issue)?;
        let persons = letter_person::Entity::find()
            .filter(letter_person::Column::LetterId.eq(id))
            .filter(letter_person::Column::Status.ne(LetterPersonStatus::Left))
            .all(txn)
            .await?;
        if persons.is_empty() {
            return Err(AppError::Conflict(format!("函件 {id} 没有人员，不能发出")));
        }
        let year = today.year();
        let serial = take_number(txn, year).await?;
        let number = self.reference.letters.number(year, serial);
        let mut update = current.into_active_model();
        update.state = Set(state);
        update.channel = Set(Some(channel));
        update.year = Set(Some(year));
        update.serial = Set(Some(serial));
        update.number = Set(Some(number.clone()));
        update.issued_on = Set(Some(today));
        update.issued_at = Set(Some(now));
        update.updated_at = Set(now);
        let issued = update.update(txn).await?;
        event(
            txn,
            id,
            None,
            "ISSUED",
            format!("{number} {}", channel.as_str()),
            actor,
            now,
        )
        .await?;
        // Sent electronically to a partner hub: its delivery is queued in this transaction.
        let queued = match channel {
            LetterChannel::Electronic => self.enqueue_delivery(txn, &issued, actor).await?,
            _ => None,
        };
        write.commit().await?;
        if let Some(partner) = queued {
            tracing::info!(
                partner = %partner,
                letter.id = id,
                letter.kind = issued.kind.as_str(),
                persons = persons.len(),
                "letter queued for a partner hub"
            );
            self.wake_deliveries();
        }
        self.announce(ChangeKind::Letter, Vec::new()).await;
        Ok(issued)
    }

    /// The addressee of issued letter `id` confirmed receipt.
    pub async fn acknowledge_letter(
        &self,
        id: i64,
        actor: &str,
    ) -> Result<letter::Model, AppError> {
        self.move_letter(id, Action::Acknowledge, "ACKNOWLEDGED", actor)
            .await
    }

    /// Drops draft `id`; its persons are free for another letter.
    pub async fn cancel_letter(&self, id: i64, actor: &str) -> Result<letter::Model, AppError> {
        self.move_letter(id, Action::Cancel, "CANCELLED", actor)
            .await
    }

    async fn move_letter(
        &self,
        id: i64,
        action: Action,
        kind: &str,
        actor: &str,
    ) -> Result<letter::Model, AppError> {
        let now = self.reference.clock.now();
        let write = self.db.write("a letter's state").await?;
        let txn = &write.txn;
        let current = load(txn, id).await?;
        let state = step(&current, action)?;
        if state == LetterState::Cancelled {
            letter_person::Entity::update_many()
                .col_expr(
                    letter_person::Column::Status,
                    sea_orm::sea_query::Expr::value(LetterPersonStatus::Left.as_str()),
                )
                .col_expr(
                    letter_person::Column::LeftAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(letter_person::Column::LetterId.eq(id))
                .filter(letter_person::Column::Status.eq(LetterPersonStatus::Open))
                .exec(txn)
                .await?;
        }
        let mut update = current.into_active_model();
        update.state = Set(state);
        if state == LetterState::Acknowledged {
            update.acknowledged_at = Set(Some(now));
        }
        update.updated_at = Set(now);
        let moved = update.update(txn).await?;
        event(txn, id, None, kind, String::new(), actor, now).await?;
        write.commit().await?;
        self.announce(ChangeKind::Letter, Vec::new()).await;
        Ok(moved)
    }

    /// Records the addressee's answers for persons of issued letter `id`. Each person must be
    /// open on the letter; a `MOVED_ON` answer needs the new place (the person is then open for
    /// a letter there). The letter is `REPLIED` once every person of it is answered.
    pub async fn record_letter_reply(
        &self,
        id: i64,
        answers: &[ReplyInput],
        actor: &str,
    ) -> Result<letter::Model, AppError> {
        if answers.is_empty() {
            return Err(AppError::BadInput("至少要登记一名人员的回复".into()));
        }
        let write = self.db.write("a letter's reply").await?;
        let updated = self.record_reply_in(&write.txn, id, answers, actor).await?;
        write.commit().await?;
        self.announce(ChangeKind::Letter, Vec::new()).await;
        Ok(updated)
    }

    /// [`Register::record_letter_reply`] in the write transaction `txn`, left to commit.
    pub(super) async fn record_reply_in(
        &self,
        txn: &DatabaseTransaction,
        id: i64,
        answers: &[ReplyInput],
        actor: &str,
    ) -> Result<letter::Model, AppError> {
        if answers.is_empty() {
            return Err(AppError::BadInput("至少要登记一名人员的回复".into()));
        }
        let now = self.reference.clock.now();
        let today = self.reference.clock.today();
        let current = load(txn, id).await?;
        // No reply before issue, checked before the persons.
        step(&current, Action::Reply { complete: false })?;
        let open: Vec<letter_person::Model> = letter_person::Entity::find()
            .filter(letter_person::Column::LetterId.eq(id))
            .filter(letter_person::Column::Status.eq(LetterPersonStatus::Open))
            .all(txn)
            .await?;
        let mut answered = std::collections::HashSet::new();
        let mut next_reply = next_id(txn, "letter_reply").await?;
        for answer in answers {
            let Some(entry) = open.iter().find(|e| e.person_id == answer.person_id) else {
                return Err(AppError::BadInput(format!(
                    "人员 {} 不在函件 {id} 的待回复名单中",
                    answer.person_id
                )));
            };
            if !answered.insert(answer.person_id) {
                return Err(AppError::BadInput(format!(
                    "人员 {} 在本次回复中出现了两次",
                    answer.person_id
                )));
            }
            let place = match (answer.outcome, answer.place.as_deref().map(str::trim)) {
                (ReplyOutcome::MovedOn, Some(text)) if !text.is_empty() => {
                    let divisions = self.reference.divisions;
                    let division = divisions
                        .get(text)
                        .or_else(|| divisions.resolve_place(text))
                        .ok_or_else(|| {
                            AppError::BadInput(format!("无法识别去向“{text}”：请写明省、市、县"))
                        })?;
                    addressee(divisions, &division.code).map(|a| (a.code, a.name))
                }
                (ReplyOutcome::MovedOn, _) => {
                    return Err(AppError::BadInput(format!(
                        "人员 {} 已转往他处：请填写新的去向（地名或区划代码）",
                        answer.person_id
                    )));
                }
                _ => None,
            };
            let note = answer
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| n.chars().take(500).collect::<String>());
            letter_reply::ActiveModel {
                id: Set(next_reply),
                letter_id: Set(id),
                person_id: Set(answer.person_id),
                outcome: Set(answer.outcome),
                place_code: Set(place.as_ref().map(|p| p.0.clone())),
                place_name: Set(place.as_ref().map(|p| p.1.clone())),
                note: Set(note),
                replied_on: Set(today),
                recorded_by: Set(actor.to_owned()),
                recorded_at: Set(now),
            }
            .insert(txn)
            .await?;
            next_reply += 1;
            let mut entry = entry.clone().into_active_model();
            entry.status = Set(LetterPersonStatus::Answered);
            entry.left_at = Set(Some(now));
            entry.update(txn).await?;
            let detail = match &place {
                Some((code, name)) => format!("{} {code} {name}", answer.outcome.as_str()),
                None => answer.outcome.as_str().to_owned(),
            };
            event(txn, id, Some(answer.person_id), "REPLY", detail, actor, now).await?;
        }
        let complete = open.iter().all(|e| answered.contains(&e.person_id));
        let state = step(&current, Action::Reply { complete })?;
        let mut update = current.into_active_model();
        update.state = Set(state);
        if state == LetterState::Replied {
            update.replied_at = Set(Some(now));
        }
        update.updated_at = Set(now);
        let updated = update.update(txn).await?;
        let returned: Vec<i64> = answers
            .iter()
            .filter(|a| a.outcome == ReplyOutcome::ReturnedToCounty)
            .map(|a| a.person_id)
            .collect();
        self.apply_reply_evidence(txn, &returned, today, now)
            .await?;
        Ok(updated)
    }
}
