//! Daily township reports, recorded cases and the county's briefing (issue 22).

use async_graphql::{Enum, ID, Json, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};

use crate::db::{case_status, daily_report};
use crate::register::query::{DateRange, PersonFilter};
use crate::register::reports::{self as reports, TownshipReport};
use crate::states::Stored;

/// A person's case status.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::CaseStatus")]
pub enum CaseStatus {
    /// 疑似病例.
    Suspected,
    /// 确诊病例.
    Confirmed,
    /// 排除.
    RuledOut,
    /// 治愈.
    Recovered,
}

/// Whether a township has filed its daily report for the day.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DailyReportStatus {
    /// Filed (a zero report too).
    Reported,
    /// Not filed.
    Missing,
}

/// One filing of a township's daily report.
pub struct DailyReport(pub daily_report::Model);

/// One filing of a township's daily report (日报告；零报告 included).
#[Object]
impl DailyReport {
    /// The filing's ID.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The township (canonical name).
    async fn township(&self) -> &str {
        &self.0.township
    }
    /// The day reported on.
    async fn date(&self) -> NaiveDate {
        self.0.date
    }
    /// New persons the township found that day (0: a zero report).
    async fn new_persons(&self) -> i64 {
        self.0.new_persons
    }
    /// The township's note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When it was filed.
    async fn filed_at(&self) -> DateTime<Utc> {
        self.0.filed_at
    }
    /// True when a later filing of the same township and day replaced it.
    async fn superseded(&self) -> bool {
        self.0.superseded
    }
}

/// A report filed by `fileDailyReport`.
#[derive(SimpleObject)]
pub struct DailyReportFiled {
    /// The report now current for the township and day.
    pub report: DailyReport,
    /// True when it replaced an earlier filing (kept in the history).
    pub replaced: bool,
}

impl From<reports::DailyReportFiled> for DailyReportFiled {
    fn from(filed: reports::DailyReportFiled) -> Self {
        Self {
            report: DailyReport(filed.report),
            replaced: filed.replaced,
        }
    }
}

/// A township of the county on a day: its daily report or `MISSING`, and what the register
/// shows for it.
pub struct TownshipDailyReport(pub TownshipReport);

/// A township of the county on a day: its daily report or `MISSING`, and what the register
/// shows for it.
#[Object]
impl TownshipDailyReport {
    /// The township (canonical name).
    async fn township(&self) -> &str {
        &self.0.township
    }
    /// The day.
    async fn date(&self) -> NaiveDate {
        self.0.date
    }
    /// `REPORTED` or `MISSING`.
    async fn status(&self) -> DailyReportStatus {
        if self.0.report.is_some() {
            DailyReportStatus::Reported
        } else {
            DailyReportStatus::Missing
        }
    }
    /// The current filing; null while missing.
    async fn report(&self) -> Option<DailyReport> {
        self.0.report.clone().map(DailyReport)
    }
    /// Every filing for the day, oldest first: the ones replaced, then the current one.
    async fn history(&self) -> Vec<DailyReport> {
        self.0.history.iter().cloned().map(DailyReport).collect()
    }
    /// New persons the register shows for the township that day: persons first reported that
    /// day whose township is this one.
    async fn register_count(&self) -> u64 {
        self.0.register_count
    }
    /// True when the report's figure differs from `registerCount` (false while missing).
    async fn differs(&self) -> bool {
        self.0.differs()
    }
    /// The `PersonFilterInput` (as JSON) that lists the persons of `registerCount` with
    /// `persons(filter:)`.
    async fn register_filter(&self) -> Json<Value> {
        Json(filter_json(&self.0.register_filter()))
    }
}

/// A case status recorded for a person.
pub struct CaseRecord(pub case_status::Model);

/// A case status recorded for a person (`recordCase`); the history is kept.
#[Object]
impl CaseRecord {
    /// The recording's ID.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The person's ID.
    async fn person_id(&self) -> ID {
        ID(self.0.person_id.to_string())
    }
    /// The status.
    async fn status(&self) -> CaseStatus {
        self.0.status.into()
    }
    /// The day the status holds from.
    async fn date(&self) -> NaiveDate {
        self.0.date
    }
    /// The note given.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When it was recorded.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

/// One figure of the briefing, with the persons filter that lists its persons.
#[derive(SimpleObject)]
pub struct BriefingFigure {
    /// A stable key (`in_county`, `outside`, `under_observation`, `team_incomplete` …).
    pub key: String,
    /// What it counts, in Chinese.
    pub label: String,
    /// The figure.
    pub value: u64,
    /// The `PersonFilterInput` (as JSON) under which `persons(filter:)` lists exactly the
    /// persons counted (`totalCount` equals `value`); null for a figure that counts no persons
    /// (letters, townships).
    pub persons_filter: Option<Json<Value>>,
}

/// The county's briefing as of the end of a day (China time).
#[derive(SimpleObject)]
pub struct Briefing {
    /// The day.
    pub date: NaiveDate,
    /// The text, in the shape of the county's report (一、疫情总体情况).
    pub text: String,
    /// Every figure of the text.
    pub figures: Vec<BriefingFigure>,
    /// Townships with no daily report dated that day.
    pub missing_townships: Vec<String>,
}

impl Briefing {
    /// The GraphQL briefing of the register's, with its text.
    pub fn new(briefing: &reports::Briefing, text: String) -> Self {
        Self {
            date: briefing.date,
            text,
            figures: briefing
                .figures
                .iter()
                .map(|f| BriefingFigure {
                    key: f.key.to_owned(),
                    label: f.label.to_owned(),
                    value: f.value,
                    persons_filter: f.filter.as_ref().map(|filter| Json(filter_json(filter))),
                })
                .collect(),
            missing_townships: briefing.missing_townships.clone(),
        }
    }
}

/// A persons filter as the `PersonFilterInput` JSON that selects the same persons (the fields
/// the briefing and the daily reports use).
pub fn filter_json(filter: &PersonFilter) -> Value {
    fn names<T: Stored>(values: &[T]) -> Value {
        Value::Array(values.iter().map(|v| json!(v.as_str())).collect())
    }
    fn range(range: DateRange) -> Option<Value> {
        (range.from.is_some() || range.to.is_some()).then(|| {
            let mut m = Map::new();
            if let Some(from) = range.from {
                m.insert("from".into(), json!(from));
            }
            if let Some(to) = range.to {
                m.insert("to".into(), json!(to));
            }
            Value::Object(m)
        })
    }
    let mut m = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            m.insert(key.into(), value);
        }
    };
    put(
        "locationStatus",
        filter.location_status.as_deref().map(names),
    );
    put("township", filter.township.as_ref().map(|t| json!(t)));
    put("village", filter.village.as_ref().map(|v| json!(v)));
    put("source", filter.source.as_deref().map(names));
    put("hubeiLink", filter.hubei_link.as_deref().map(names));
    put("arrivalDate", range(filter.arrival_date));
    put("firstReported", range(filter.first_reported));
    put("reviewPending", filter.review_pending.map(|b| json!(b)));
    put("hasConflicts", filter.has_conflicts.map(|b| json!(b)));
    put(
        "jurisdiction",
        filter.jurisdiction.as_ref().map(|j| json!(j)),
    );
    put(
        "missingSource",
        filter.missing_source.map(|s| json!(s.as_str())),
    );
    put("teamIncomplete", filter.team_incomplete.map(|b| json!(b)));
    put(
        "observationState",
        filter.observation_state.as_deref().map(names),
    );
    put("caseStatus", filter.case_status.as_deref().map(names));
    put("caseAsOf", filter.case_as_of.map(|d| json!(d)));
    put("openAlert", filter.open_alert.as_deref().map(names));
    put("temperatureOn", filter.temperature_on.map(|d| json!(d)));
    put("letterCovered", filter.letter_covered.map(|b| json!(b)));
    put("letterAsOf", filter.letter_as_of.map(|d| json!(d)));
    put("foundBy", filter.found_by.as_deref().map(names));
    Value::Object(m)
}
