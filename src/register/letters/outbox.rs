//! A letter's delivery to a partner hub, in the register: the outbox row written in the
//! issue's own transaction, the delivery worker's claims (one server at a time per row), its
//! attempts, and the letter `DELIVERED` once the partner took it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, ConnectionTrait as _, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, Set,
};

use super::event;
use crate::access::guard::code_prefix;
use crate::db::{
    delivery_attempt, import_batch, letter, next_id, notice, observation, outbox, partner, person,
    record_link, source_record,
};
use crate::error::AppError;
use crate::exchange::inbound::NOTICES_PATH;
use crate::exchange::payload::{self, PersonReply, RepliesBody};
use crate::letters::lifecycle::{Action, next};
use crate::letters::wording::Finding;
use crate::register::{ChangeKind, Register};
use crate::states::{LetterKind, OutboxKind, OutboxState};

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered 2xx: delivered.
    Delivered { status: u16 },
    /// No answer, or one worth trying again after `retry_in` (5xx, 401, 429 …).
    Retry {
        status: Option<u16>,
        error: String,
        retry_in: std::time::Duration,
    },
    /// The receiver refused the request itself: never tried again.
    Failed { status: u16, error: String },
}

/// The actor of a partner's writes (`partner:420102`), as its imports are recorded.
pub fn partner_actor(code: &str) -> String {
    format!("partner:{code}")
}

/// The partner hub whose jurisdiction holds `code` (the most specific one), if any.
async fn covering_partner(
    txn: &DatabaseTransaction,
    code: &str,
) -> Result<Option<String>, AppError> {
    let codes: Vec<String> = partner::Entity::find()
        .select_only()
        .column(partner::Column::Code)
        .into_tuple()
        .all(txn)
        .await?;
    Ok(codes
        .into_iter()
        .filter(|p| code.starts_with(code_prefix(p)))
        .max_by_key(|p| code_prefix(p).len()))
}

/// The person `id` stands for now (a merged person: the survivor).
async fn current_person(
    txn: &DatabaseTransaction,
    id: i64,
) -> Result<Option<person::Model>, AppError> {
    let mut current = id;
    for _ in 0..16 {
        match person::Entity::find_by_id(current).one(txn).await? {
            Some(p) => match p.merged_into {
                Some(into) => current = into,
                None => return Ok(Some(p)),
            },
            None => return Ok(None),
        }
    }
    Ok(None)
}

impl Register {
    /// Our county as the national division table names it: a notice's sender.
    fn county_place(&self) -> String {
        let g = &self.reference.gazetteer;
        format!("{}{}{}", g.province, g.city, g.name)
    }

    /// The partner hub and request of letter `issued` (issued electronically in `txn`), or
    /// `None` when its addressee has no partner hub: a request goes as a notice to the
    /// addressee's hub; a reply goes back to the hub its notice came from (else the
    /// partner of the notice's sender), as per-person outcomes.
    async fn outbound_request(
        &self,
        txn: &DatabaseTransaction,
        issued: &letter::Model,
    ) -> Result<Option<(String, OutboxKind, String, Vec<u8>)>, AppError> {
        let number = issued.number.clone().unwrap_or_default();
        match issued.kind {
            LetterKind::Request => {
                let Some(code) = issued.jurisdiction_code.as_deref() else {
                    return Ok(None);
                };
                let Some(partner) = covering_partner(txn, code).await? else {
                    return Ok(None);
                };
                // Read beside the transaction: the letter's persons are committed already
                // (no other writer runs), only its number is this transaction's.
                let mut document = self.letter_document(issued.id).await?;
                document.number = Some(number);
                document.date = issued.issued_on.unwrap_or(document.date);
                document.reply_by = Some(self.reference.letters.reply_by(document.date));
                let notice = payload::notice_of(&document, &self.county_place());
                let body = serde_json::to_vec(&notice).map_err(|e| AppError::Internal(e.into()))?;
                Ok(Some((
                    partner,
                    OutboxKind::Notice,
                    NOTICES_PATH.to_owned(),
                    body,
                )))
            }
            LetterKind::Reply => {
                let Some(notice_id) = issued.notice_id else {
                    return Ok(None);
                };
                let Some(notice) = notice::Entity::find_by_id(notice_id).one(txn).await? else {
                    return Ok(None);
                };
                let by_partner = import_batch::Entity::find_by_id(notice.batch_id)
                    .one(txn)
                    .await?
                    .and_then(|b| b.imported_by.strip_prefix("partner:").map(str::to_owned));
                let partner = match by_partner {
                    Some(code)
                        if partner::Entity::find()
                            .filter(partner::Column::Code.eq(&code))
                            .one(txn)
                            .await?
                            .is_some() =>
                    {
                        Some(code)
                    }
                    _ => match notice.sending_jurisdiction_code.as_deref() {
                        Some(code) => covering_partner(txn, code).await?,
                        None => None,
                    },
                };
                let Some(partner) = partner else {
                    return Ok(None);
                };
                let replies = self.notice_outcomes(txn, &notice).await?;
                let body = RepliesBody {
                    letter_no: notice.notice_no.clone(),
                    reply_no: Some(number),
                    replies,
                };
                let body = serde_json::to_vec(&body).map_err(|e| AppError::Internal(e.into()))?;
                let path = payload::replies_path(&notice.notice_no);
                Ok(Some((partner, OutboxKind::Reply, path, body)))
            }
        }
    }

    /// What the register knows of each person of `notice`, by the record ID the notice
    /// carried, as reply outcomes (see [`payload::reply_of`]).
    async fn notice_outcomes(
        &self,
        txn: &DatabaseTransaction,
        notice: &notice::Model,
    ) -> Result<Vec<PersonReply>, AppError> {
        let records: Vec<(i64, String)> = source_record::Entity::find()
            .select_only()
            .columns([source_record::Column::Id, source_record::Column::RecordId])
            .filter(source_record::Column::NoticeId.eq(notice.id))
            .filter(source_record::Column::IsCurrent.eq(true))
            .order_by_asc(source_record::Column::RowNumber)
            .into_tuple()
            .all(txn)
            .await?;
        let links: HashMap<i64, i64> = record_link::Entity::find()
            .filter(record_link::Column::SourceRecordId.is_in(records.iter().map(|r| r.0)))
            .all(txn)
            .await?
            .into_iter()
            .map(|l| (l.source_record_id, l.person_id))
            .collect();
        let mut replies = Vec::new();
        for (record, record_id) in records {
            let Some(linked) = links.get(&record) else {
                continue;
            };
            let Some(p) = current_person(txn, *linked).await? else {
                continue;
            };
            let watched = observation::Entity::find_by_id(p.id)
                .one(txn)
                .await?
                .map(|o| (o.start_date, o.state));
            let finding = Finding::of(p.location_status, p.jurisdiction_name.clone(), watched);
            let (outcome, place) = payload::reply_of(
                &finding,
                p.jurisdiction_code.as_deref(),
                notice.sending_jurisdiction_code.as_deref(),
            );
            replies.push(PersonReply {
                record_id,
                outcome,
                place,
                note: Some(finding.words()),
            });
        }
        Ok(replies)
    }

    /// Writes letter `issued`'s outbox row in `txn` (the issue's own transaction) when its
    /// addressee has a partner hub; returns the partner's code. The request is made now and
    /// kept: every attempt sends the same bytes under the same `Idempotency-Key`.
    pub(super) async fn enqueue_delivery(
        &self,
        txn: &DatabaseTransaction,
        issued: &letter::Model,
        actor: &str,
    ) -> Result<Option<String>, AppError> {
        let Some((partner, kind, path, body)) = self.outbound_request(txn, issued).await? else {
            return Ok(None);
        };
        let prefix = match kind {
            OutboxKind::Notice => "letter",
            OutboxKind::Reply => "reply",
        };
        let key = format!(
            "{prefix}-{}-{}-{}",
            self.reference.gazetteer.code,
            issued.year.unwrap_or_default(),
            issued.serial.unwrap_or_default()
        );
        let now = Utc::now();
        outbox::ActiveModel {
            id: Set(next_id(txn, "outbox").await?),
            letter_id: Set(issued.id),
            partner_code: Set(partner.clone()),
            kind: Set(kind),
            path: Set(path),
            idempotency_key: Set(key),
            body: Set(String::from_utf8_lossy(&body).into_owned()),
            state: Set(OutboxState::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
        }
        .insert(txn)
        .await?;
        event(
            txn,
            issued.id,
            None,
            "QUEUED",
            partner.clone(),
            actor,
            self.reference.clock.now(),
        )
        .await?;
        Ok(Some(partner))
    }

    /// Claims up to `limit` outbox rows due now for this server for `lease`: their attempt
    /// count goes up and no other server takes them until the lease ends. On PostgreSQL the
    /// rows are locked `FOR UPDATE SKIP LOCKED` while claimed, so servers on one database
    /// claim different rows; SQLite has one writer.
    pub async fn claim_deliveries(
        &self,
        limit: u64,
        lease: std::time::Duration,
    ) -> Result<Vec<outbox::Model>, AppError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let due = || {
            outbox::Entity::find()
                .select_only()
                .column(outbox::Column::Id)
                .filter(outbox::Column::State.eq(OutboxState::Pending))
                .filter(outbox::Column::NextAttemptAt.lte(now))
                .filter(
                    Condition::any()
                        .add(outbox::Column::LeaseUntil.is_null())
                        .add(outbox::Column::LeaseUntil.lt(now)),
                )
        };
        // Nothing due is the usual answer: asked of the readers, without the writer's turn.
        if due()
            .into_tuple::<i64>()
            .one(&self.db.conn)
            .await?
            .is_none()
        {
            return Ok(Vec::new());
        }
        let write = self.db.write("claiming deliveries").await?;
        let txn = &write.txn;
        let mut due = due()
            .order_by_asc(outbox::Column::NextAttemptAt)
            .order_by_asc(outbox::Column::Id)
            .limit(limit);
        if txn.get_database_backend() == DbBackend::Postgres {
            due = due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let ids: Vec<i64> = due.into_tuple().all(txn).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        outbox::Entity::update_many()
            .col_expr(outbox::Column::LeaseUntil, Expr::value(until))
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .filter(outbox::Column::Id.is_in(ids.clone()))
            .exec(txn)
            .await?;
        let rows = outbox::Entity::find()
            .filter(outbox::Column::Id.is_in(ids))
            .order_by_asc(outbox::Column::Id)
            .all(txn)
            .await?;
        write.commit().await?;
        Ok(rows)
    }

    /// Records how an attempt at `row` (as claimed) ended: the attempt itself, and the row
    /// delivered (the letter `DELIVERED`), due again later, or failed for good. A row another
    /// server delivered meanwhile stays delivered.
    pub async fn record_delivery(
        &self,
        row: &outbox::Model,
        at: DateTime<Utc>,
        took: std::time::Duration,
        outcome: &AttemptOutcome,
    ) -> Result<(), AppError> {
        let now = Utc::now();
        let write = self.db.write("a delivery attempt").await?;
        let txn = &write.txn;
        let (status, error) = match outcome {
            AttemptOutcome::Delivered { status } => (Some(*status), None),
            AttemptOutcome::Retry { status, error, .. } => (*status, Some(error.clone())),
            AttemptOutcome::Failed { status, error } => (Some(*status), Some(error.clone())),
        };
        delivery_attempt::ActiveModel {
            id: Set(next_id(txn, "delivery_attempt").await?),
            outbox_id: Set(row.id),
            letter_id: Set(row.letter_id),
            attempt: Set(row.attempts),
            at: Set(at),
            status: Set(status.map(i32::from)),
            error: Set(error.map(|e| e.chars().take(500).collect())),
            took_ms: Set(i64::try_from(took.as_millis()).unwrap_or(i64::MAX)),
        }
        .insert(txn)
        .await?;
        let Some(current) = outbox::Entity::find_by_id(row.id).one(txn).await? else {
            write.commit().await?;
            return Ok(());
        };
        if current.state != OutboxState::Pending {
            write.commit().await?;
            return Ok(());
        }
        let mut update = current.into_active_model();
        update.lease_until = Set(None);
        let mut delivered = false;
        match outcome {
            AttemptOutcome::Delivered { .. } => {
                update.state = Set(OutboxState::Delivered);
                update.delivered_at = Set(Some(now));
                delivered = true;
            }
            AttemptOutcome::Retry { retry_in, .. } => {
                let wait = chrono::Duration::from_std(*retry_in).unwrap_or(chrono::Duration::MAX);
                update.next_attempt_at = Set(now + wait);
            }
            AttemptOutcome::Failed { .. } => update.state = Set(OutboxState::Failed),
        }
        update.update(txn).await?;
        let actor = partner_actor(&row.partner_code);
        let clock = self.reference.clock.now();
        if delivered {
            if let Some(letter) = letter::Entity::find_by_id(row.letter_id).one(txn).await? {
                let state = next(letter.state, Action::Deliver).unwrap_or(letter.state);
                if state != letter.state {
                    let mut moved = letter.into_active_model();
                    moved.state = Set(state);
                    moved.updated_at = Set(clock);
                    moved.update(txn).await?;
                }
            }
            event(
                txn,
                row.letter_id,
                None,
                "DELIVERED",
                row.partner_code.clone(),
                &actor,
                clock,
            )
            .await?;
        } else if matches!(outcome, AttemptOutcome::Failed { .. }) {
            let detail = format!("{} HTTP {}", row.partner_code, status.unwrap_or_default());
            event(
                txn,
                row.letter_id,
                None,
                "DELIVERY_FAILED",
                detail,
                &actor,
                clock,
            )
            .await?;
        }
        write.commit().await?;
        if delivered {
            self.announce(ChangeKind::Letter, Vec::new()).await;
        }
        Ok(())
    }

    /// When the next pending delivery is due (`None`: nothing to deliver).
    pub async fn next_delivery_due(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        Ok(outbox::Entity::find()
            .filter(outbox::Column::State.eq(OutboxState::Pending))
            .order_by_asc(outbox::Column::NextAttemptAt)
            .one(&self.db.conn)
            .await?
            .map(|r| match r.lease_until {
                Some(lease) if lease > r.next_attempt_at => lease,
                _ => r.next_attempt_at,
            }))
    }

    /// Letter `id`'s delivery to a partner hub, if it has one.
    pub async fn letter_outbox(&self, id: i64) -> Result<Option<outbox::Model>, AppError> {
        Ok(outbox::Entity::find()
            .filter(outbox::Column::LetterId.eq(id))
            .one(&self.db.conn)
            .await?)
    }

    /// The attempts to deliver letter `id`, oldest first.
    pub async fn letter_deliveries(
        &self,
        id: i64,
    ) -> Result<Vec<delivery_attempt::Model>, AppError> {
        Ok(delivery_attempt::Entity::find()
            .filter(delivery_attempt::Column::LetterId.eq(id))
            .order_by_asc(delivery_attempt::Column::Id)
            .all(&self.db.conn)
            .await?)
    }

    /// Wakes the delivery worker (after a commit that queued a delivery).
    pub fn wake_deliveries(&self) {
        self.outbox_wake.notify_one();
    }

    /// What the delivery worker waits on besides its timer.
    pub fn deliveries_woken(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.outbox_wake.clone()
    }
}
