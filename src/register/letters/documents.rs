//! The documents of letters: a letter read from the register, unmasked, as its templates need
//! it ([`LetterDocument`]); and the county's answer to a notice drafted from what the register
//! knows of each of its persons.

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, Set,
};

use super::event;
use crate::db::{
    letter, letter_person, next_id, notice, observation, person, record_link, source_record,
};
use crate::error::AppError;
use crate::letters::document::{DocumentKind, LetterDocument, LetterPerson};
use crate::letters::wording::{Finding, hubei_link, reason};
use crate::normalize::Sex;
use crate::register::Register;
use crate::register::golden::Golden;
use crate::states::{LetterKind, LetterPersonStatus};

/// A person's row of a letter's list, unmasked.
fn list_row(p: &person::Model, finding: Option<String>) -> LetterPerson {
    let golden = serde_json::from_str::<Golden>(&p.golden).ok();
    let phones: Vec<String> = serde_json::from_str(&p.phones).unwrap_or_default();
    let place = p
        .address
        .clone()
        .or_else(|| p.jurisdiction_name.clone())
        .unwrap_or_default();
    LetterPerson {
        person_id: p.id,
        name: p.name.clone().unwrap_or_default(),
        sex: match p.sex {
            Some(Sex::Male) => "男".to_owned(),
            Some(Sex::Female) => "女".to_owned(),
            None => String::new(),
        },
        id_number: p.id_number.clone().unwrap_or_default(),
        phone: phones.join("、"),
        current_address: place,
        arrival_date: p.arrival_date.map(|d| d.to_string()).unwrap_or_default(),
        hubei_link: hubei_link(p.hubei_link).to_owned(),
        reason: golden
            .map(|g| reason(&g.location_evidence))
            .unwrap_or_default(),
        finding: finding.unwrap_or_default(),
    }
}

impl Register {
    /// Letter `id` as a document: its addressee, number, dates, the sender of the county file,
    /// and its list (every person not gone from it), unmasked.
    pub async fn letter_document(&self, id: i64) -> Result<LetterDocument, AppError> {
        let conn = &self.db.conn;
        let letter = letter::Entity::find_by_id(id)
            .one(conn)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("函件 {id} 不存在")))?;
        let entries = letter_person::Entity::find()
            .filter(letter_person::Column::LetterId.eq(id))
            .filter(letter_person::Column::Status.ne(LetterPersonStatus::Left))
            .order_by_asc(letter_person::Column::Id)
            .all(conn)
            .await?;
        let ids: Vec<i64> = entries.iter().map(|e| e.person_id).collect();
        let persons: std::collections::HashMap<i64, person::Model> = person::Entity::find()
            .filter(person::Column::Id.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let settings = &self.reference.letters;
        let date = letter
            .issued_on
            .unwrap_or_else(|| self.reference.clock.today());
        let in_reply_to = match letter.notice_id {
            Some(n) => notice::Entity::find_by_id(n)
                .one(conn)
                .await?
                .map(|n| n.notice_no),
            None => None,
        };
        let kind = match letter.kind {
            LetterKind::Request => DocumentKind::Request,
            LetterKind::Reply => DocumentKind::Reply,
        };
        Ok(LetterDocument {
            kind,
            number: letter.number.clone(),
            addressee: format!("{}新冠肺炎疫情防控指挥部", letter.jurisdiction_name),
            addressee_jurisdiction: letter.jurisdiction_name.clone(),
            sender: settings.sender.clone(),
            contact: settings.contact.clone(),
            contact_phone: settings.phone.clone(),
            date,
            reply_by: (kind == DocumentKind::Request).then(|| settings.reply_by(date)),
            in_reply_to,
            persons: entries
                .iter()
                .filter_map(|e| {
                    persons
                        .get(&e.person_id)
                        .map(|p| list_row(p, e.finding.clone()))
                })
                .collect(),
        })
    }

    /// Drafts the county's answer (回函) to notice `notice_id`: a `REPLY` letter to the
    /// notice's sender listing each person of the notice with what the register knows of them
    /// (found in the county and under observation since a date, not found, or elsewhere and
    /// where). The draft is issued and numbered like any letter.
    pub async fn reply_to_notice(
        &self,
        notice_id: i64,
        actor: &str,
    ) -> Result<letter::Model, AppError> {
        let now = self.reference.clock.now();
        let write = self.db.write("a reply to a notice").await?;
        let txn = &write.txn;
        let notice = notice::Entity::find_by_id(notice_id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("通报 {notice_id} 不存在")))?;
        let records: Vec<i64> = source_record::Entity::find()
            .select_only()
            .column(source_record::Column::Id)
            .filter(source_record::Column::NoticeId.eq(notice_id))
            .filter(source_record::Column::IsCurrent.eq(true))
            .into_tuple()
            .all(txn)
            .await?;
        let record_persons: Vec<i64> = record_link::Entity::find()
            .select_only()
            .column(record_link::Column::PersonId)
            .filter(record_link::Column::SourceRecordId.is_in(records))
            .into_tuple()
            .all(txn)
            .await?;
        let mut ids: Vec<i64> = Vec::new();
        for id in record_persons {
            // The person as the register holds them now (a merged person: the survivor).
            let mut current = id;
            for _ in 0..8 {
                match person::Entity::find_by_id(current).one(txn).await? {
                    Some(p) => match p.merged_into {
                        Some(into) => current = into,
                        None => break,
                    },
                    None => break,
                }
            }
            if !ids.contains(&current) {
                ids.push(current);
            }
        }
        ids.sort_unstable();
        if ids.is_empty() {
            return Err(AppError::Conflict(format!(
                "通报 {notice_id} 没有人员，无需回函"
            )));
        }
        let letter = super::new_draft(
            next_id(txn, "letter").await?,
            LetterKind::Reply,
            (
                notice.sending_jurisdiction_code.clone(),
                notice.sending_jurisdiction.clone(),
            ),
            Some(notice_id),
            actor,
            now,
        )
        .insert(txn)
        .await?;
        let mut next = next_id(txn, "letter_person").await?;
        for id in ids {
            let Some(p) = person::Entity::find_by_id(id).one(txn).await? else {
                continue;
            };
            let watched = observation::Entity::find_by_id(id)
                .one(txn)
                .await?
                .map(|o| (o.start_date, o.state));
            let finding = Finding::of(p.location_status, p.jurisdiction_name.clone(), watched);
            letter_person::ActiveModel {
                id: Set(next),
                letter_id: Set(letter.id),
                person_id: Set(id),
                status: Set(LetterPersonStatus::Answered),
                finding: Set(Some(finding.words())),
                added_at: Set(now),
                left_at: Set(None),
            }
            .insert(txn)
            .await?;
            next += 1;
        }
        event(
            txn,
            letter.id,
            None,
            "DRAFTED",
            notice.notice_no.clone(),
            actor,
            now,
        )
        .await?;
        write.commit().await?;
        Ok(letter)
    }
}
