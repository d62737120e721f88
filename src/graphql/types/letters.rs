//! Letters: the county's 协查函 to other jurisdictions and its 回函 to their notices.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::common::Jurisdiction;
use crate::access::audit::AuditTrail;
use crate::access::guard::{Scope, Scoped};
use crate::db::{letter, letter_event, letter_reply};
use crate::error::AppError;
use crate::letters::document::DocumentFormat;
use crate::register::Register;

/// Which document a letter is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::LetterKind")]
pub enum LetterKind {
    /// 协查函: the county asks the addressee to put its persons there under home medical
    /// observation and to report back.
    Request,
    /// 回函: the county's answer to a notice it received, person by person.
    Reply,
}

/// Where a letter stands: `DRAFT` → `ISSUED` (numbered) → `DELIVERED` (sent to a partner hub,
/// which took it) → `ACKNOWLEDGED` → `REPLIED`, or `CANCELLED` while a draft.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::LetterState")]
pub enum LetterState {
    /// Being put together: `draftLetters` may still add persons; no number yet.
    Draft,
    /// Sent, with its number and channel; no longer editable.
    Issued,
    /// Sent electronically to the addressee's partner hub, which took it (answered 2xx).
    Delivered,
    /// The addressee confirmed receipt.
    Acknowledged,
    /// The addressee answered for every person of the letter.
    Replied,
    /// Dropped while a draft; its persons are free for another letter.
    Cancelled,
}

/// How a letter was sent.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::LetterChannel")]
pub enum LetterChannel {
    /// By post.
    Post,
    /// By fax.
    Fax,
    /// Electronically (e-mail, a partner hub, the provincial platform).
    Electronic,
    /// By hand.
    Hand,
}

/// What the addressee answered of one person.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::ReplyOutcome")]
pub enum ReplyOutcome {
    /// Found and under home medical observation there.
    Observed,
    /// Not found there.
    NotFound,
    /// Moved on to another place (`place`): the person is open for a letter there.
    MovedOn,
    /// Came back to our county: location evidence (rule `letter.reply`), the person enters
    /// follow-up here.
    ReturnedToCounty,
}

/// A format a letter's document is served in.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum LetterFormat {
    /// The formal letter with its list, PDF (CJK font embedded).
    Pdf,
    /// The formal letter with its list, one HTML page.
    Html,
    /// The list only, CSV (UTF-8 with a byte-order mark).
    Csv,
    /// The list only, an Excel workbook.
    Xlsx,
}

impl From<DocumentFormat> for LetterFormat {
    fn from(f: DocumentFormat) -> Self {
        match f {
            DocumentFormat::Pdf => Self::Pdf,
            DocumentFormat::Html => Self::Html,
            DocumentFormat::Csv => Self::Csv,
            DocumentFormat::Xlsx => Self::Xlsx,
        }
    }
}

/// One document of a letter: where to download it (with the same token; audited as an
/// unmasked read).
#[derive(SimpleObject, Clone, Debug)]
pub struct LetterDocumentLink {
    /// The format.
    pub format: LetterFormat,
    /// The path on this server (`/letters/7.pdf`).
    pub url: String,
}

/// One person of a letter's list, unmasked: a letter exists to hand these details to the
/// jurisdiction that must act on them. Every read is audited.
#[derive(SimpleObject, Clone, Debug)]
pub struct LetterPerson {
    /// The person in the register.
    pub person_id: ID,
    /// 姓名.
    pub name: String,
    /// 性别 (`男`, `女`, or empty).
    pub sex: String,
    /// 身份证号, unmasked.
    pub id_number: String,
    /// 联系电话, unmasked.
    pub phone: String,
    /// 现住址: where the person is believed to be.
    pub current_address: String,
    /// 抵达日期, or empty.
    pub arrival_date: String,
    /// 与湖北关联, in words.
    pub hubei_link: String,
    /// Requests: why the county believes the person is there (the deciding location
    /// evidence, in words).
    pub reason: String,
    /// Replies to notices: what the register knows of the person, in words.
    pub finding: String,
}

/// What the addressee answered of one person.
pub struct LetterReply(pub letter_reply::Model);

/// What the addressee answered of one person.
#[Object]
impl LetterReply {
    /// The person.
    async fn person_id(&self) -> ID {
        ID::from(self.0.person_id)
    }
    /// The answer.
    async fn outcome(&self) -> ReplyOutcome {
        self.0.outcome.into()
    }
    /// For `MOVED_ON`: where the person went.
    async fn place(&self) -> Option<Jurisdiction> {
        self.0.place_code.clone().map(|code| Jurisdiction {
            code,
            name: self.0.place_name.clone(),
        })
    }
    /// The addressee's note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The county's day the answer was recorded.
    async fn replied_on(&self) -> NaiveDate {
        self.0.replied_on
    }
    /// When it was recorded.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

/// One attempt to deliver a letter to the addressee's partner hub.
pub struct LetterDelivery(pub crate::db::delivery_attempt::Model);

/// One attempt to deliver a letter to the addressee's partner hub.
#[Object]
impl LetterDelivery {
    /// 1 for the first attempt.
    async fn attempt(&self) -> i32 {
        self.0.attempt
    }
    /// When it began.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The partner hub's HTTP status; null when no answer came (no connection, timed out).
    async fn status(&self) -> Option<i32> {
        self.0.status
    }
    /// What went wrong (the partner's error code and message, or why no answer came); null
    /// when the letter was taken.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}

/// Something that happened to a letter or one of its persons.
pub struct LetterEvent(pub letter_event::Model);

/// Something that happened to a letter or one of its persons.
#[Object]
impl LetterEvent {
    /// `DRAFTED`, `PERSON_ADDED`, `ISSUED`, `QUEUED` (for the partner hub named in the
    /// detail), `DELIVERED`, `DELIVERY_FAILED`, `ACKNOWLEDGED`, `REPLY`, `CANCELLED`,
    /// `PERSON_LEFT` (came back into the county), `PERSON_MERGED` (merged into another
    /// person: the entry stands for the survivor, or leaves when the survivor has one).
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The person concerned, for events of one person.
    async fn person_id(&self) -> Option<ID> {
        self.0.person_id.map(ID::from)
    }
    /// Details (the number and channel of an issue, the outcome of a reply …).
    async fn detail(&self) -> &str {
        &self.0.detail
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// A letter of the county: a 协查函 to a jurisdiction or a 回函 to a notice.
pub struct Letter(pub letter::Model);

impl Scoped for Letter {
    fn scope(&self) -> Scope<'_> {
        Scope {
            township: None,
            jurisdiction: self.0.jurisdiction_code.as_deref(),
        }
    }
}

/// A letter of the county: a 协查函 to a jurisdiction or a 回函 to a notice.
#[Object]
impl Letter {
    /// The letter's ID.
    async fn id(&self) -> ID {
        ID::from(self.0.id)
    }
    /// Request (协查函) or reply (回函).
    async fn kind(&self) -> LetterKind {
        self.0.kind.into()
    }
    /// Its number (`青溪防指函〔2020〕7号`), given when issued; null for a draft.
    async fn number(&self) -> Option<&str> {
        self.0.number.as_deref()
    }
    /// Where it stands.
    async fn state(&self) -> LetterState {
        self.0.state.into()
    }
    /// How it was sent, once issued.
    async fn channel(&self) -> Option<LetterChannel> {
        self.0.channel.map(Into::into)
    }
    /// The jurisdiction it is addressed to (county level, or the city or province when that
    /// is all that is known of where its persons are).
    async fn jurisdiction(&self) -> Jurisdiction {
        Jurisdiction {
            code: self.0.jurisdiction_code.clone().unwrap_or_default(),
            name: Some(self.0.jurisdiction_name.clone()),
        }
    }
    /// For a reply: the notice it answers.
    async fn notice_id(&self) -> Option<ID> {
        self.0.notice_id.map(ID::from)
    }
    /// Its list, unmasked (every read audited): the persons still on it.
    async fn persons(&self, ctx: &Context<'_>) -> Result<Vec<LetterPerson>> {
        let register = ctx.data::<Register>()?;
        let document = register.letter_document(self.0.id).await?;
        let trail = ctx.data_opt::<AuditTrail>().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "no audit trail in the request: a letter's list is never served unaudited"
            ))
        })?;
        for p in &document.persons {
            trail.note_unmasked(p.person_id, "idNumber");
            trail.note_unmasked(p.person_id, "phones");
        }
        Ok(document
            .persons
            .into_iter()
            .map(|p| LetterPerson {
                person_id: ID::from(p.person_id),
                name: p.name,
                sex: p.sex,
                id_number: p.id_number,
                phone: p.phone,
                current_address: p.current_address,
                arrival_date: p.arrival_date,
                hubei_link: p.hubei_link,
                reason: p.reason,
                finding: p.finding,
            })
            .collect())
    }
    /// How many persons are on it.
    async fn person_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let register = ctx.data::<Register>()?;
        let entries = register.letter_persons(self.0.id).await?;
        Ok(entries
            .iter()
            .filter(|e| e.status != crate::states::LetterPersonStatus::Left)
            .count() as u64)
    }
    /// Its documents: the letter as PDF and HTML, its list as CSV and XLSX. Fetch them with
    /// the same token; each download is audited as an unmasked read.
    async fn documents(&self) -> Vec<LetterDocumentLink> {
        DocumentFormat::ALL
            .into_iter()
            .map(|format| LetterDocumentLink {
                format: format.into(),
                url: format!("/letters/{}.{}", self.0.id, format.extension()),
            })
            .collect()
    }
    /// When it was drafted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was issued.
    async fn issued_at(&self) -> Option<DateTime<Utc>> {
        self.0.issued_at
    }
    /// The county's day of issue: the letter's date.
    async fn issued_on(&self) -> Option<NaiveDate> {
        self.0.issued_on
    }
    /// When its receipt was confirmed.
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }
    /// When its last answer came in.
    async fn replied_at(&self) -> Option<DateTime<Utc>> {
        self.0.replied_at
    }
    /// Requests: the day feedback is asked for (the letter's date plus `[letters]
    /// reply_days`), once issued.
    async fn reply_by(&self, ctx: &Context<'_>) -> Result<Option<NaiveDate>> {
        let register = ctx.data::<Register>()?;
        Ok(self
            .0
            .issued_on
            .filter(|_| self.0.kind == crate::states::LetterKind::Request)
            .map(|d| register.reference.letters.reply_by(d)))
    }
    /// Issued (or acknowledged) and still not answered for every person `[letters]
    /// overdue_days` after its date.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        let register = ctx.data::<Register>()?;
        let due = (register.reference.letters).overdue_before(register.reference.clock.today());
        Ok(
            crate::register::letters::AWAITING_REPLY.contains(&self.0.state)
                && self.0.issued_on.is_some_and(|d| d < due),
        )
    }
    /// The answers recorded, oldest first.
    async fn replies(&self, ctx: &Context<'_>) -> Result<Vec<LetterReply>> {
        let register = ctx.data::<Register>()?;
        Ok(register
            .letter_replies(self.0.id)
            .await?
            .into_iter()
            .map(LetterReply)
            .collect())
    }
    /// Its delivery attempts to the addressee's partner hub, oldest first (empty for a
    /// letter not sent to a partner hub). Tried again with a growing wait until the hub
    /// takes it: the letter is then `DELIVERED`.
    async fn deliveries(&self, ctx: &Context<'_>) -> Result<Vec<LetterDelivery>> {
        let register = ctx.data::<Register>()?;
        Ok(register
            .letter_deliveries(self.0.id)
            .await?
            .into_iter()
            .map(LetterDelivery)
            .collect())
    }
    /// What happened to it, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<LetterEvent>> {
        let register = ctx.data::<Register>()?;
        Ok(register
            .letter_events(self.0.id)
            .await?
            .into_iter()
            .map(LetterEvent)
            .collect())
    }
}

/// Which letters to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct LetterFilterInput {
    /// Only letters in this state.
    pub state: Option<LetterState>,
    /// Only letters addressed to this jurisdiction or inside it (a GB/T 2260 code).
    pub jurisdiction: Option<String>,
    /// Only letters issued on or after this day.
    pub issued_from: Option<NaiveDate>,
    /// Only letters issued on or before this day.
    pub issued_to: Option<NaiveDate>,
    /// `true`: only issued letters without a complete answer `[letters] overdue_days` after
    /// their date; `false`: only the others.
    pub overdue: Option<bool>,
}

/// A page of letters, newest first.
#[derive(SimpleObject)]
pub struct LetterConnection {
    /// How many match the filter, on all pages.
    pub total_count: u64,
    /// Whether there are pages before and after this one, and its first and last cursors.
    pub page_info: async_graphql::connection::PageInfo,
    /// The letters of this page, each with its cursor.
    pub edges: Vec<LetterEdge>,
}

/// One letter of a page, with its cursor.
#[derive(SimpleObject)]
pub struct LetterEdge {
    /// Opaque position of this letter: pass it as `after`.
    pub cursor: String,
    /// The letter.
    pub node: Letter,
}

/// The addressee's answer for one person, as given to `recordLetterReply`.
#[derive(InputObject, Clone, Debug)]
pub struct LetterReplyInput {
    /// The person (on the letter, not yet answered).
    pub person_id: ID,
    /// The answer.
    pub outcome: ReplyOutcome,
    /// For `MOVED_ON`: where the person went (a place name such as `武汉市江岸区`, or a
    /// GB/T 2260 code).
    pub place: Option<String>,
    /// The addressee's note.
    pub note: Option<String>,
}

/// How many letters are in one state.
#[derive(SimpleObject, Clone, Debug)]
pub struct LetterStateCount {
    /// The state.
    pub state: LetterState,
    /// How many letters.
    pub count: u64,
}

/// Issued letters in one state, by their day of issue.
#[derive(SimpleObject, Clone, Debug)]
pub struct LetterDayCount {
    /// The county's day of issue (the letter's date).
    pub day: NaiveDate,
    /// The state.
    pub state: LetterState,
    /// How many letters.
    pub count: u64,
}
