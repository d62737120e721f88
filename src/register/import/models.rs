//! The stored rows an import writes: its batch, its notices, its records.

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait};
use serde_json::Value;

use super::CHUNK;
use super::reading::Prepared;
use crate::db::{import_batch, notice, source_record};
use crate::intake::{BatchReport, Field, NoticeIn, SourceKind};
use crate::normalize::{self, Divisions};
use crate::register::golden::StoredIdentity;
use crate::resolve::compare::FieldValue;

/// A value as JSON text for a TEXT column (the types written here always serialise).
pub(super) fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub(super) async fn insert_all<A>(txn: &DatabaseTransaction, models: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<A> = models.by_ref().take(CHUNK).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The stored notice of a file's notice: its header as written, the sender's name resolved
/// to its division code (national table) when it can be.
pub(super) fn notice_model(
    id: i64,
    batch_id: i64,
    n: &NoticeIn,
    today: NaiveDate,
    divisions: &Divisions,
) -> notice::Model {
    let get = |f: Field| n.fields.get(&f).cloned();
    let sending_jurisdiction =
        get(Field::SendingJurisdiction).unwrap_or_else(|| "（未注明）".to_owned());
    let sending_jurisdiction_code = divisions
        .resolve_place(&sending_jurisdiction)
        .map(|d| d.code.clone());
    notice::Model {
        id,
        batch_id,
        notice_no: get(Field::NoticeNo).unwrap_or_else(|| "（无编号）".to_owned()),
        sending_jurisdiction,
        sending_jurisdiction_code,
        send_date: get(Field::SendDate).and_then(|d| normalize::parse_date(&d, today).ok()),
        contact: get(Field::Contact),
        note: n.raw.get("note").and_then(Value::as_str).map(str::to_owned),
        raw: json_text(&n.raw),
    }
}

/// Who a notice's record IDs belong to: its sender and its number, as stored (the migration
/// that brought `record_scope` wrote the same for the notices before it).
pub(super) fn notice_scope(n: &notice::Model) -> String {
    format!("{}/{}", n.sending_jurisdiction, n.notice_no)
}

/// The stored record of a prepared row, and the identity and values the resolution run goes
/// on with.
///
/// The identity's problems are stored once, in their own column, and leave the identity: the
/// normalised JSON and the run do without them.
pub(super) fn record_model(
    id: i64,
    batch_id: i64,
    source: SourceKind,
    version: i32,
    p: Prepared,
    (notice_id, record_scope): (Option<i64>, String),
    now: chrono::DateTime<Utc>,
) -> (source_record::Model, StoredIdentity, Vec<FieldValue>) {
    let identity = p.identity;
    let i = &identity.identity;
    let model = source_record::Model {
        id,
        batch_id,
        source,
        record_id: p.record_id,
        record_scope,
        version,
        is_current: true,
        row_number: i32::try_from(p.row_number).unwrap_or(i32::MAX),
        notice_id,
        raw: p.raw_json,
        content_hash: p.content_hash,
        name: i.name.clone(),
        name_pinyin: i.name_pinyin.clone(),
        id_number: i.id_number.clone(),
        id_class: i.id_class,
        phones: p.json.phones,
        birth_date: i.birth_date,
        sex: i.sex,
        township: i.township.clone(),
        village: i.village.clone(),
        jurisdiction_code: i.jurisdiction_code.clone(),
        arrival_date: i.arrival_date,
        report_date: i.report_date,
        normalized: p.json.normalized,
        problems: p.json.problems,
        created_at: now,
    };
    (model, identity, p.values)
}

pub(super) fn batch_model(
    id: i64,
    report: &BatchReport,
    actor: &str,
    now: chrono::DateTime<Utc>,
) -> import_batch::ActiveModel {
    let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    import_batch::Model {
        id,
        source: report.source,
        file_name: report.file_name.clone(),
        sha256: report.sha256.clone(),
        format: report.format.clone(),
        imported_by: actor.to_owned(),
        imported_at: now,
        rows_read: n(report.rows_read),
        rows_accepted: n(report.rows_accepted),
        rows_rejected: n(report.rows_rejected),
        records_new: n(report.records_new),
        records_unchanged: n(report.records_unchanged),
        records_new_version: n(report.records_new_version),
        persons_created: n(report.persons_created),
        persons_matched: n(report.persons_matched),
        rejected: json_text(&report.rejected),
        notices: n(report.notices),
        record_id_conflicts: json_text(&report.record_id_conflicts),
        model_id: None,
    }
    .into()
}
