//! Letters as clerks use them: drafting letters for the persons outside the county, reading
//! them, and (in the submodules) their life, their documents, answers to notices, and the
//! persons who leave them.

mod documents;
mod lifecycle;
pub mod outbox;
pub mod partner_replies;
mod sync;

pub use lifecycle::ReplyInput;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, DatabaseTransaction, EntityTrait,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, Set,
};

use crate::config::limits::{DEFAULT_PAGE, MAX_PAGE};
use crate::db::{letter, letter_event, letter_person, letter_reply, next_id, person};
use crate::error::AppError;
use crate::letters::entries::draftable;
use crate::letters::grouping::{Addressee, group};
use crate::register::{LocationStatus, Register};
use crate::states::{LetterKind, LetterPersonStatus, LetterState, ReplyOutcome};

/// Which letters to list.
#[derive(Debug, Clone, Default)]
pub struct LetterFilter {
    /// Only letters in this state.
    pub state: Option<LetterState>,
    /// A jurisdiction code: letters addressed to it or inside it.
    pub jurisdiction: Option<String>,
    /// Only letters issued on or after this day.
    pub issued_from: Option<NaiveDate>,
    /// Only letters issued on or before this day.
    pub issued_to: Option<NaiveDate>,
    /// Issued letters still without a complete reply `[letters] overdue_days` after issue.
    pub overdue: Option<bool>,
}

/// A page of letters, newest first.
#[derive(Debug, Clone)]
pub struct LetterPage {
    /// The letters of the page.
    pub items: Vec<letter::Model>,
    /// How many match, on all pages.
    pub total: u64,
    /// Whether a page follows.
    pub has_next: bool,
    /// Whether a page comes before (an `after` was given).
    pub has_previous: bool,
}

/// Writes one letter event.
pub(crate) async fn event(
    txn: &DatabaseTransaction,
    letter_id: i64,
    person_id: Option<i64>,
    kind: &str,
    detail: String,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    letter_event::ActiveModel {
        id: Set(next_id(txn, "letter_event").await?),
        letter_id: Set(letter_id),
        person_id: Set(person_id),
        kind: Set(kind.to_owned()),
        detail: Set(detail),
        actor: Set(actor.to_owned()),
        at: Set(at),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Persons outside the county that may be put on a new letter, with their destination code:
/// the place a `MOVED_ON` answer named when that is their latest answer, else where the
/// register places them.
async fn draftable_persons<C: sea_orm::ConnectionTrait>(
    conn: &C,
) -> Result<Vec<(i64, Option<String>)>, AppError> {
    let outside: Vec<(i64, Option<String>)> = person::Entity::find()
        .select_only()
        .columns([person::Column::Id, person::Column::JurisdictionCode])
        .filter(person::Column::MergedInto.is_null())
        .filter(person::Column::LocationStatus.eq(LocationStatus::OutOfCounty))
        .order_by_asc(person::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let open: HashSet<i64> = letter_person::Entity::find()
        .select_only()
        .column(letter_person::Column::PersonId)
        .filter(letter_person::Column::Status.eq(LetterPersonStatus::Open))
        .into_tuple::<i64>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    // The latest answer of each person on a request letter.
    let mut latest: HashMap<i64, letter_reply::Model> = HashMap::new();
    for reply in letter_reply::Entity::find()
        .order_by_asc(letter_reply::Column::Id)
        .all(conn)
        .await?
    {
        latest.insert(reply.person_id, reply);
    }
    Ok(outside
        .into_iter()
        .filter_map(|(id, code)| {
            let answer = latest.get(&id);
            let settled = answer.is_some_and(|r| r.outcome != ReplyOutcome::MovedOn);
            if !draftable(true, false, open.contains(&id), settled) {
                return None;
            }
            let moved = answer.and_then(|r| r.place_code.clone());
            Some((id, moved.or(code)))
        })
        .collect())
}

/// The states of an issued letter still waiting for its answer (the ones that can be
/// overdue).
pub const AWAITING_REPLY: [LetterState; 3] = [
    LetterState::Issued,
    LetterState::Delivered,
    LetterState::Acknowledged,
];

/// A new, empty draft letter of `kind` to `to` (code, name), answering `notice_id` when a
/// reply.
fn new_draft(
    id: i64,
    kind: LetterKind,
    to: (Option<String>, String),
    notice_id: Option<i64>,
    actor: &str,
    now: DateTime<Utc>,
) -> letter::ActiveModel {
    letter::ActiveModel {
        id: Set(id),
        kind: Set(kind),
        state: Set(LetterState::Draft),
        jurisdiction_code: Set(to.0),
        jurisdiction_name: Set(to.1),
        notice_id: Set(notice_id),
        year: Set(None),
        serial: Set(None),
        number: Set(None),
        channel: Set(None),
        drafted_by: Set(actor.to_owned()),
        created_at: Set(now),
        issued_on: Set(None),
        issued_at: Set(None),
        acknowledged_at: Set(None),
        replied_at: Set(None),
        updated_at: Set(now),
    }
}

impl Register {
    /// Puts every person outside the county who is on no open letter into a letter to their
    /// destination: added to that jurisdiction's draft when there is one, else to a new draft.
    /// Returns the drafts written to, by ID.
    pub async fn draft_letters(&self, actor: &str) -> Result<Vec<letter::Model>, AppError> {
        self.draft_letters_to(actor, None).await
    }

    /// [`Register::draft_letters`] for the persons of one addressee only (`only`: its code),
    /// or of every addressee (`None`).
    pub async fn draft_letters_to(
        &self,
        actor: &str,
        only: Option<&str>,
    ) -> Result<Vec<letter::Model>, AppError> {
        let now = self.reference.clock.now();
        let write = self.db.write("drafting letters").await?;
        let txn = &write.txn;
        let grouping = group(self.reference.divisions, &draftable_persons(txn).await?);
        let mut touched = Vec::new();
        for (to, persons) in grouping.letters {
            if only.is_some_and(|code| code != to.code) {
                continue;
            }
            let existing = letter::Entity::find()
                .filter(letter::Column::Kind.eq(LetterKind::Request))
                .filter(letter::Column::State.eq(LetterState::Draft))
                .filter(letter::Column::JurisdictionCode.eq(to.code.as_str()))
                .one(txn)
                .await?;
            let draft = match existing {
                Some(draft) => draft,
                None => {
                    let draft = new_draft(
                        next_id(txn, "letter").await?,
                        LetterKind::Request,
                        (Some(to.code.clone()), to.name.clone()),
                        None,
                        actor,
                        now,
                    )
                    .insert(txn)
                    .await?;
                    event(txn, draft.id, None, "DRAFTED", to.name.clone(), actor, now).await?;
                    draft
                }
            };
            let mut next = next_id(txn, "letter_person").await?;
            for person in &persons {
                letter_person::ActiveModel {
                    id: Set(next),
                    letter_id: Set(draft.id),
                    person_id: Set(*person),
                    status: Set(LetterPersonStatus::Open),
                    finding: Set(None),
                    added_at: Set(now),
                    left_at: Set(None),
                }
                .insert(txn)
                .await?;
                next += 1;
                event(
                    txn,
                    draft.id,
                    Some(*person),
                    "PERSON_ADDED",
                    String::new(),
                    actor,
                    now,
                )
                .await?;
            }
            touched.push(draft);
        }
        write.commit().await?;
        touched.sort_by_key(|l| l.id);
        Ok(touched)
    }

    /// Where the persons a draft would take go: each addressee with its persons, ascending.
    pub async fn letter_destinations(&self) -> Result<Vec<(Addressee, Vec<i64>)>, AppError> {
        let persons = draftable_persons(&self.db.conn).await?;
        Ok(group(self.reference.divisions, &persons)
            .letters
            .into_iter()
            .collect())
    }

    /// Persons outside the county on no open letter whose destination is unknown (no letter
    /// can be addressed for them), ascending.
    pub async fn letters_unaddressed(&self) -> Result<Vec<i64>, AppError> {
        let persons = draftable_persons(&self.db.conn).await?;
        Ok(group(self.reference.divisions, &persons).unaddressed)
    }

    /// Letters matching `filter` among those `visible` to the caller, newest first: the
    /// first `first` after the letter `after`.
    pub async fn letters(
        &self,
        filter: &LetterFilter,
        visible: Condition,
        first: Option<u64>,
        after: Option<i64>,
    ) -> Result<LetterPage, AppError> {
        let mut select = letter::Entity::find().filter(visible);
        if let Some(state) = filter.state {
            select = select.filter(letter::Column::State.eq(state));
        }
        if let Some(code) = filter.jurisdiction.as_deref() {
            let prefix = crate::access::guard::code_prefix(code).to_owned();
            select = select.filter(letter::Column::JurisdictionCode.starts_with(prefix));
        }
        if let Some(from) = filter.issued_from {
            select = select.filter(letter::Column::IssuedOn.gte(from));
        }
        if let Some(to) = filter.issued_to {
            select = select.filter(letter::Column::IssuedOn.lte(to));
        }
        if let Some(overdue) = filter.overdue {
            let due = (self.reference.letters).overdue_before(self.reference.clock.today());
            let late = Condition::all()
                .add(letter::Column::State.is_in(AWAITING_REPLY))
                .add(letter::Column::IssuedOn.lt(due));
            select = select.filter(if overdue { late } else { late.not() });
        }
        let total = select.clone().count(&self.db.conn).await?;
        if let Some(after) = after {
            select = select.filter(letter::Column::Id.lt(after));
        }
        let take = first.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE);
        let rows = select
            .order_by_desc(letter::Column::Id)
            .limit(take + 1)
            .all(&self.db.conn)
            .await?;
        let has_next = rows.len() as u64 > take;
        Ok(LetterPage {
            items: rows.into_iter().take(take as usize).collect(),
            total,
            has_next,
            has_previous: after.is_some(),
        })
    }

    /// One letter.
    pub async fn letter(&self, id: i64) -> Result<Option<letter::Model>, AppError> {
        Ok(letter::Entity::find_by_id(id).one(&self.db.conn).await?)
    }

    /// The persons of a letter, in the order they joined (those who left included).
    pub async fn letter_persons(&self, id: i64) -> Result<Vec<letter_person::Model>, AppError> {
        Ok(letter_person::Entity::find()
            .filter(letter_person::Column::LetterId.eq(id))
            .order_by_asc(letter_person::Column::Id)
            .all(&self.db.conn)
            .await?)
    }

    /// The answers recorded for a letter, oldest first.
    pub async fn letter_replies(&self, id: i64) -> Result<Vec<letter_reply::Model>, AppError> {
        Ok(letter_reply::Entity::find()
            .filter(letter_reply::Column::LetterId.eq(id))
            .order_by_asc(letter_reply::Column::Id)
            .all(&self.db.conn)
            .await?)
    }

    /// What happened to a letter, oldest first.
    pub async fn letter_events(&self, id: i64) -> Result<Vec<letter_event::Model>, AppError> {
        Ok(letter_event::Entity::find()
            .filter(letter_event::Column::LetterId.eq(id))
            .order_by_asc(letter_event::Column::Id)
            .all(&self.db.conn)
            .await?)
    }

    /// The letters a person is or was on, oldest first.
    pub async fn person_letters(&self, person_id: i64) -> Result<Vec<letter::Model>, AppError> {
        let ids: Vec<i64> = letter_person::Entity::find()
            .select_only()
            .column(letter_person::Column::LetterId)
            .filter(letter_person::Column::PersonId.eq(person_id))
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        Ok(letter::Entity::find()
            .filter(letter::Column::Id.is_in(ids))
            .order_by_asc(letter::Column::Id)
            .all(&self.db.conn)
            .await?)
    }

    /// How many letters are in each state (states with none left out).
    pub async fn letter_counts(&self) -> Result<Vec<(LetterState, u64)>, AppError> {
        let rows: Vec<(LetterState, i64)> = letter::Entity::find()
            .select_only()
            .column(letter::Column::State)
            .column_as(letter::Column::Id.count(), "n")
            .group_by(letter::Column::State)
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        let mut counts: Vec<(LetterState, u64)> = rows
            .into_iter()
            .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
            .collect();
        counts.sort_by_key(|(s, _)| crate::states::Stored::as_str(*s));
        Ok(counts)
    }

    /// How many issued letters are in each state, by their day of issue (the county's day),
    /// in day order, then state; days and states without letters left out (drafts have no
    /// day of issue).
    pub async fn letter_counts_by_issue_day(
        &self,
    ) -> Result<Vec<(chrono::NaiveDate, LetterState, u64)>, AppError> {
        let rows: Vec<(chrono::NaiveDate, LetterState, i64)> = letter::Entity::find()
            .select_only()
            .column(letter::Column::IssuedOn)
            .column(letter::Column::State)
            .column_as(letter::Column::Id.count(), "n")
            .filter(letter::Column::IssuedOn.is_not_null())
            .group_by(letter::Column::IssuedOn)
            .group_by(letter::Column::State)
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        let mut counts: Vec<(chrono::NaiveDate, LetterState, u64)> = rows
            .into_iter()
            .map(|(d, s, n)| (d, s, u64::try_from(n).unwrap_or(0)))
            .collect();
        counts.sort_by_key(|(d, s, _)| (*d, crate::states::Stored::as_str(*s)));
        Ok(counts)
    }
}
