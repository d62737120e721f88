//! A partner hub's replies to one of our letters (`POST /api/v1/letters/{number}/replies`),
//! recorded as `recordLetterReply` records a clerk's, with the request's receipt in the same
//! transaction: a replay with the same `Idempotency-Key` gets the first answer and writes
//! nothing.

use sea_orm::QueryFilter as _;
use sea_orm::{ActiveValue::Set, ColumnTrait as _, DatabaseTransaction, EntityTrait as _};

use super::lifecycle::ReplyInput;
use super::outbox::partner_actor;
use crate::access::guard::code_prefix;
use crate::db::{exchange_receipt, letter, next_id, person};
use crate::error::AppError;
use crate::exchange::payload::{RepliesAnswer, RepliesBody};
use crate::register::{ChangeKind, Register};
use crate::states::{LetterKind, LetterState, ReplyOutcome, Stored as _};

/// A signed request of a partner, as its receipt keys it.
#[derive(Debug, Clone)]
pub struct PartnerRequest {
    /// The partner's code.
    pub partner: String,
    /// Its `Idempotency-Key`.
    pub key: String,
    /// sha256 of the method, path and body.
    pub request_sha256: String,
}

/// What became of a partner's replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepliesRecorded {
    /// Recorded now; the answer (JSON).
    Recorded(String),
    /// The same request came before: its answer, nothing written.
    Replayed(String),
    /// The key came before with another request: nothing written.
    KeyReused,
}

/// The receipt of an earlier request under `request`'s key, read in `txn`.
pub async fn earlier_receipt(
    txn: &impl sea_orm::ConnectionTrait,
    request: &PartnerRequest,
) -> Result<Option<RepliesRecorded>, AppError> {
    let receipt = exchange_receipt::Entity::find()
        .filter(exchange_receipt::Column::PartnerCode.eq(&request.partner))
        .filter(exchange_receipt::Column::IdempotencyKey.eq(&request.key))
        .one(txn)
        .await?;
    Ok(receipt.map(|r| {
        if r.request_sha256 == request.request_sha256 {
            RepliesRecorded::Replayed(r.answer)
        } else {
            RepliesRecorded::KeyReused
        }
    }))
}

/// The person the partner's `record_id` (our person ID, as the notice carried it) stands for
/// now: a merged person's survivor.
async fn person_of_record(txn: &DatabaseTransaction, record_id: &str) -> Result<i64, AppError> {
    let unknown = || AppError::BadInput(format!("record_id “{record_id}”不是本函件所列人员"));
    let mut current: i64 = record_id.trim().parse().map_err(|_| unknown())?;
    for _ in 0..16 {
        match person::Entity::find_by_id(current).one(txn).await? {
            Some(p) => match p.merged_into {
                Some(into) => current = into,
                None => return Ok(current),
            },
            None => return Err(unknown()),
        }
    }
    Err(unknown())
}

impl Register {
    /// Records `partner`'s replies `body` to our letter `number`, which must be a request
    /// letter sent to the partner's jurisdiction (`NOT_FOUND` otherwise, as for a letter that
    /// does not exist). All or nothing, like `recordLetterReply`.
    #[tracing::instrument(skip_all, fields(partner = %request.partner), err(level = "debug", Debug))]
    pub async fn record_partner_replies(
        &self,
        request: &PartnerRequest,
        number: &str,
        body: &RepliesBody,
    ) -> Result<RepliesRecorded, AppError> {
        let write = self.db.write("a partner's replies").await?;
        let txn = &write.txn;
        if let Some(found) = earlier_receipt(txn, request).await? {
            return Ok(found);
        }
        let missing = || AppError::NotFound(format!("没有发往贵方的函件“{number}”"));
        let letter = letter::Entity::find()
            .filter(letter::Column::Number.eq(number))
            .filter(letter::Column::Kind.eq(LetterKind::Request))
            .one(txn)
            .await?
            .ok_or_else(missing)?;
        let addressed = letter.state != LetterState::Draft
            && letter
                .jurisdiction_code
                .as_deref()
                .is_some_and(|c| c.starts_with(code_prefix(&request.partner)));
        if !addressed {
            return Err(missing());
        }
        let mut answers: Vec<ReplyInput> = Vec::new();
        for reply in &body.replies {
            let person_id = person_of_record(txn, &reply.record_id).await?;
            if answers.iter().any(|a| a.person_id == person_id) {
                continue;
            }
            answers.push(ReplyInput {
                person_id,
                outcome: reply.outcome,
                place: reply.place.clone(),
                note: reply.note.clone(),
            });
        }
        let actor = partner_actor(&request.partner);
        let updated = self
            .record_reply_in(txn, letter.id, &answers, &actor)
            .await?;
        let answer = RepliesAnswer {
            letter_no: number.to_owned(),
            state: updated.state,
            recorded: u32::try_from(answers.len()).unwrap_or(u32::MAX),
        };
        let answer = serde_json::to_string(&answer).map_err(|e| AppError::Internal(e.into()))?;
        exchange_receipt::Entity::insert(exchange_receipt::ActiveModel {
            id: Set(next_id(txn, "exchange_receipt").await?),
            partner_code: Set(request.partner.clone()),
            idempotency_key: Set(request.key.clone()),
            request_sha256: Set(request.request_sha256.clone()),
            batch_id: Set(None),
            answer: Set(answer.clone()),
            received_at: Set(chrono::Utc::now()),
        })
        .exec_without_returning(txn)
        .await?;
        write.commit().await?;
        tracing::info!(
            partner = %request.partner,
            letter.id = letter.id,
            letter.number = %number,
            persons = answers.len(),
            state = updated.state.as_str(),
            "partner replies recorded"
        );
        self.announce(ChangeKind::Letter, Vec::new()).await;
        if answers
            .iter()
            .any(|a| a.outcome == ReplyOutcome::ReturnedToCounty)
        {
            // The persons back in the county enter follow-up now.
            self.sync_observations().await?;
        }
        Ok(RepliesRecorded::Recorded(answer))
    }
}
