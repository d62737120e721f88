//! The bodies hubs send each other, pure: a request letter as the external notice it arrives
//! as (the README's external-notice JSON), a reply to a partner's notice as per-person
//! outcomes for `POST /api/v1/letters/{number}/replies`, and the answer to that.
//!
//! A person is named across hubs by the `record_id` the notice carried: the sending hub's
//! person ID. The receiving hub keeps it as the record's ID and answers with it.

use serde::{Deserialize, Serialize};

use crate::access::guard::code_prefix;
use crate::letters::document::{LetterDocument, LetterPerson};
use crate::letters::wording::Finding;
use crate::states::{LetterState, ReplyOutcome};

/// The path partner hubs post their replies to one of our letters to, for letter `number`
/// (percent-encoded: numbers hold CJK characters), as signed and as the router sees it.
pub fn replies_path(number: &str) -> String {
    let mut url = match reqwest::Url::parse("http://hub/") {
        Ok(url) => url,
        Err(_) => return String::new(),
    };
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.extend(["api", "v1", "letters", number, "replies"]);
    }
    url.path().to_owned()
}

/// One notice as the README's external-notice JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeOut {
    /// Our letter's number: the receiver answers to it.
    pub notice_no: String,
    /// Our county, as the national division table names it (`河南省信阳市罗山县`).
    pub sending_jurisdiction: String,
    /// The letter's date.
    pub send_date: String,
    /// The contact person and phone of the `[letters]` table.
    pub contact: String,
    pub note: String,
    pub persons: Vec<NoticePerson>,
}

/// One person of a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticePerson {
    /// Our person ID: the receiver's reply names the person by it.
    pub record_id: String,
    pub name: String,
    pub sex: String,
    pub id_number: String,
    pub phone: String,
    pub current_address: String,
    pub note: String,
}

fn person_note(p: &LetterPerson) -> String {
    let mut parts = Vec::new();
    if !p.hubei_link.is_empty() {
        parts.push(format!("与湖北关联：{}", p.hubei_link));
    }
    if !p.arrival_date.is_empty() {
        parts.push(format!("抵达日期：{}", p.arrival_date));
    }
    parts.join("；")
}

/// The notice request letter `document` (issued, so numbered) arrives as, sent by
/// `sending_jurisdiction`.
pub fn notice_of(document: &LetterDocument, sending_jurisdiction: &str) -> NoticeOut {
    NoticeOut {
        notice_no: document.number.clone().unwrap_or_default(),
        sending_jurisdiction: sending_jurisdiction.to_owned(),
        send_date: document.date.to_string(),
        contact: format!("{} {}", document.contact, document.contact_phone)
            .trim()
            .to_owned(),
        note: match document.reply_by {
            Some(by) => format!(
                "{}：以下{}名人员在你处，请协助落实居家医学观察，并于{by}前反馈。",
                document.sender,
                document.persons.len()
            ),
            None => document.sender.clone(),
        },
        persons: document
            .persons
            .iter()
            .map(|p| NoticePerson {
                record_id: p.person_id.to_string(),
                name: p.name.clone(),
                sex: p.sex.clone(),
                id_number: p.id_number.clone(),
                // The first phone: a notice has one phone field.
                phone: p.phone.split('、').next().unwrap_or_default().to_owned(),
                current_address: p.current_address.clone(),
                note: person_note(p),
            })
            .collect(),
    }
}

/// The body of `POST /api/v1/letters/{number}/replies`: the partner's answers to one of our
/// letters, person by person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepliesBody {
    /// The letter answered (its number, as in the path).
    pub letter_no: String,
    /// The partner's own reply letter's number, when it has one.
    #[serde(default)]
    pub reply_no: Option<String>,
    pub replies: Vec<PersonReply>,
}

/// The partner's answer for one person of the letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonReply {
    /// The `record_id` the notice carried for the person.
    pub record_id: String,
    /// `OBSERVED`, `NOT_FOUND`, `MOVED_ON` or `RETURNED_TO_COUNTY`.
    pub outcome: ReplyOutcome,
    /// For `MOVED_ON`: where the person went (a GB/T 2260 code or a place name).
    #[serde(default)]
    pub place: Option<String>,
    /// The partner's finding in words.
    #[serde(default)]
    pub note: Option<String>,
}

/// The answer to a `POST /api/v1/letters/{number}/replies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepliesAnswer {
    pub letter_no: String,
    /// The letter's state after the replies (`REPLIED` once every person is answered).
    pub state: LetterState,
    /// Persons answered by this request.
    pub recorded: u32,
}

/// What a hub answers of one person of a partner's notice, from what its register knows: in
/// the county (under observation or not yet) → `OBSERVED`; outside it, back in the notice's
/// sender's jurisdiction (`sender_code`) → `RETURNED_TO_COUNTY`; elsewhere at a known place
/// (`place_code`) → `MOVED_ON` there; not found or whereabouts unknown → `NOT_FOUND`. The
/// finding in words goes with it as the note.
pub fn reply_of(
    finding: &Finding,
    place_code: Option<&str>,
    sender_code: Option<&str>,
) -> (ReplyOutcome, Option<String>) {
    match finding {
        Finding::Observed { .. } | Finding::InCounty => (ReplyOutcome::Observed, None),
        Finding::Elsewhere(_) => match place_code {
            Some(code) if sender_code.is_some_and(|s| code.starts_with(code_prefix(s))) => {
                (ReplyOutcome::ReturnedToCounty, None)
            }
            Some(code) => (ReplyOutcome::MovedOn, Some(code.to_owned())),
            None => (ReplyOutcome::NotFound, None),
        },
        Finding::NotFound => (ReplyOutcome::NotFound, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_letter_number_is_percent_encoded_in_the_replies_path() {
        let path = replies_path("青溪防指函〔2020〕7号");
        assert!(path.starts_with("/api/v1/letters/%E9%9D%92"), "{path}");
        assert!(path.ends_with("/replies"));
        assert!(path.is_ascii());
        assert_eq!(replies_path("a/b"), "/api/v1/letters/a%2Fb/replies");
    }

    #[test]
    fn findings_become_outcomes() {
        let since = NaiveDate::from_ymd_opt(2020, 1, 25).expect("date");
        let observed = Finding::Observed {
            since,
            released: false,
        };
        assert_eq!(
            reply_of(&observed, None, Some("411521")).0,
            ReplyOutcome::Observed
        );
        let away = Finding::Elsewhere(Some("江岸区".into()));
        assert_eq!(
            reply_of(&away, Some("420102"), Some("411521")),
            (ReplyOutcome::MovedOn, Some("420102".into()))
        );
        assert_eq!(
            reply_of(&away, Some("411521"), Some("411500")).0,
            ReplyOutcome::ReturnedToCounty
        );
        assert_eq!(
            reply_of(&Finding::Elsewhere(None), None, None).0,
            ReplyOutcome::NotFound
        );
        assert_eq!(
            reply_of(&Finding::NotFound, None, None).0,
            ReplyOutcome::NotFound
        );
    }

    #[test]
    fn a_letter_becomes_a_notice_naming_its_persons_by_id() {
        let date = NaiveDate::from_ymd_opt(2020, 2, 1).expect("date");
        let document = LetterDocument {
            kind: crate::letters::document::DocumentKind::Request,
            number: Some("罗防指函〔2020〕1号".into()),
            addressee_jurisdiction: "江岸区".into(),
            addressee: "江岸区新冠肺炎疫情防控指挥部".into(),
            sender: "罗山县新冠肺炎疫情防控指挥部".into(),
            contact: "李明".into(),
            contact_phone: "0376-1".into(),
            date,
            reply_by: Some(date),
            in_reply_to: None,
            persons: vec![LetterPerson {
                person_id: 42,
                name: "张三".into(),
                phone: "13800000001、13800000002".into(),
                arrival_date: "2020-01-20".into(),
                hubei_link: "武汉".into(),
                ..LetterPerson::default()
            }],
        };
        let notice = notice_of(&document, "河南省信阳市罗山县");
        assert_eq!(notice.notice_no, "罗防指函〔2020〕1号");
        assert_eq!(notice.send_date, "2020-02-01");
        assert_eq!(notice.persons[0].record_id, "42");
        assert_eq!(notice.persons[0].phone, "13800000001");
        assert_eq!(
            notice.persons[0].note,
            "与湖北关联：武汉；抵达日期：2020-01-20"
        );
    }
}
