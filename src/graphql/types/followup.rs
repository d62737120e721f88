//! Follow-up of the persons in the county: home observation, temperature readings, alerts and
//! the responsible team (五包一).

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::common::Shown;
use super::person::Person;
use crate::access::guard::{Scope, Scoped, unmask};
use crate::db::{followup_alert, observation, team_member, temperature_reading};
use crate::register::Register;
use crate::register::followup::period_of;

/// Where a person's home medical observation (居家医学观察) stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::ObservationState")]
pub enum ObservationState {
    /// Within the observation period.
    UnderObservation,
    /// The period is over with no open fever alert (set by the register on its own).
    Released,
    /// Moved to concentrated quarantine or a hospital (`place` says where).
    Transferred,
    /// The team cannot reach the person.
    LostContact,
}

/// One of the two daily temperature checks.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::Slot")]
pub enum Slot {
    /// The morning check (due by 12:00 China time by default).
    Morning,
    /// The afternoon check (due by 20:00 China time by default).
    Afternoon,
}

/// What a follow-up alert is about.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::AlertKind")]
pub enum AlertKind {
    /// A reading at or above the fever threshold (37.3 °C by default).
    Fever,
    /// A check whose hour passed without a reading.
    MissedCheck,
    /// A township whose daily report for the day was not filed by the due hour (no person).
    ReportMissing,
}

/// Where a follow-up alert stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::AlertState")]
pub enum AlertState {
    /// Raised; nobody has answered it yet.
    Open,
    /// Someone has seen it and is on it.
    Acknowledged,
    /// Dealt with.
    Resolved,
}

/// A member's role in a person's responsible team (五包一).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::TeamRole")]
pub enum TeamRole {
    /// 乡镇干部.
    TownshipCadre,
    /// 村干部.
    VillageCadre,
    /// 村医.
    VillageDoctor,
    /// 民警.
    PoliceOfficer,
    /// 网格员.
    GridWorker,
}

/// A person's home medical observation.
pub struct Observation(pub observation::Model);

/// A person's home medical observation (居家医学观察): 14 days (the county file's
/// `[followup] observation_days`) from the arrival date, or the first report when none.
#[Object]
impl Observation {
    /// Where it stands.
    async fn state(&self) -> ObservationState {
        self.0.state.into()
    }
    /// Day 1 of the observation.
    async fn start_date(&self) -> NaiveDate {
        self.0.start_date
    }
    /// The last day under observation.
    async fn end_date(&self) -> NaiveDate {
        self.0.end_date
    }
    /// Which day of the observation the county's today is (1 on the start date; above the
    /// period's length once it is over).
    async fn day(&self, ctx: &Context<'_>) -> Result<i64> {
        let today = ctx.data::<Register>()?.reference.clock.today();
        Ok(period_of(&self.0).day(today))
    }
    /// Whether the person is in the county now (an observation stays, inactive, when the
    /// register no longer places the person there).
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Where a transferred person went (concentrated quarantine site, hospital).
    async fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }
    /// The note of the last change by hand.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One temperature reading.
#[derive(SimpleObject, Clone, Debug)]
pub struct TemperatureReading {
    /// The China date it was taken on.
    pub date: NaiveDate,
    /// The check it fills.
    pub slot: Slot,
    /// The temperature, °C.
    pub celsius: f64,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// True when a later reading of the same day and slot corrected it: that one counts, this
    /// one is kept only as history.
    pub corrected: bool,
}

impl From<temperature_reading::Model> for TemperatureReading {
    fn from(r: temperature_reading::Model) -> Self {
        Self {
            date: r.date,
            slot: r.slot.into(),
            celsius: r.celsius,
            taken_at: r.taken_at,
            corrected: r.superseded,
        }
    }
}

/// What `recordTemperature` recorded.
#[derive(SimpleObject)]
pub struct TemperatureRecorded {
    /// The reading.
    pub reading: TemperatureReading,
    /// True when it corrects an earlier reading of the same day and slot.
    pub correction: bool,
    /// The fever alert it raised, if any.
    pub alert: Option<Alert>,
}

/// A fever or a missed check of a person under observation.
pub struct Alert(pub followup_alert::Model);

impl Scoped for followup_alert::Model {
    fn scope(&self) -> Scope<'_> {
        Scope {
            township: self.township.as_deref(),
            jurisdiction: None,
        }
    }
}

/// A fever or a missed check of a person under observation.
#[Object]
impl Alert {
    /// The alert's ID.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// A fever or a missed check.
    async fn kind(&self) -> AlertKind {
        self.0.kind.into()
    }
    /// Open, acknowledged or resolved.
    async fn state(&self) -> AlertState {
        self.0.state.into()
    }
    /// The person's ID; null for an alert about a township (`REPORT_MISSING`).
    async fn person_id(&self) -> Option<ID> {
        self.0.person_id.map(|id| ID(id.to_string()))
    }
    /// The person (null when the caller may not see them, and for `REPORT_MISSING`).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let register = ctx.data::<Register>()?;
        let Some(person_id) = self.0.person_id else {
            return Ok(None);
        };
        let Some(person) = register.person(person_id).await? else {
            return Ok(None);
        };
        Ok(crate::access::guard::in_scope(ctx, person)?.map(Person))
    }
    /// The person's township when the alert was raised.
    async fn township(&self) -> Option<&str> {
        self.0.township.as_deref()
    }
    /// The day of the check (China time).
    async fn date(&self) -> NaiveDate {
        self.0.date
    }
    /// The check; null for `REPORT_MISSING`.
    async fn slot(&self) -> Option<Slot> {
        self.0.slot.map(Into::into)
    }
    /// The reading, for a fever.
    async fn celsius(&self) -> Option<f64> {
        self.0.celsius
    }
    /// The note of the last answer.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When it was raised.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Which alerts to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct AlertFilterInput {
    /// Only alerts of this kind.
    pub kind: Option<AlertKind>,
    /// Only alerts in this state.
    pub state: Option<AlertState>,
    /// Only alerts of persons of this township (any spelling the gazetteer knows).
    pub township: Option<String>,
}

/// A page of alerts, newest first.
#[derive(SimpleObject)]
pub struct AlertConnection {
    /// How many match the filter, on all pages.
    pub total_count: u64,
    /// Whether there are pages before and after this one, and its first and last cursors.
    pub page_info: async_graphql::connection::PageInfo,
    /// The alerts of this page, each with its cursor.
    pub edges: Vec<AlertEdge>,
}

/// One alert of a page, with its cursor.
#[derive(SimpleObject)]
pub struct AlertEdge {
    /// Opaque position of this alert: pass it as `after`.
    pub cursor: String,
    /// The alert.
    pub node: Alert,
}

/// One member of a person's responsible team, as given to `assignTeam`.
#[derive(InputObject, Clone, Debug)]
pub struct TeamMemberInput {
    /// The member's role (one member per role).
    pub role: TeamRole,
    /// The member's name.
    pub name: String,
    /// The member's phone.
    pub phone: String,
}

/// One member of a person's responsible team.
pub struct TeamMember {
    pub row: team_member::Model,
    /// The person's ID and scope, for unmasking.
    pub person: i64,
    pub township: Option<String>,
}

/// One member of a person's responsible team (五包一).
#[Object]
impl TeamMember {
    /// The member's role.
    async fn role(&self) -> TeamRole {
        self.row.role.into()
    }
    /// The member's name (digits in it masked, as in free text, unless `unmasked: true`).
    async fn name(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<String> {
        Ok(self.shown(ctx, "team", unmasked)?.text(&self.row.name))
    }
    /// The member's phone, masked (`138****5678`) unless `unmasked: true` (ADMIN and the
    /// person's TOWNSHIP only; each unmasked read is audited).
    async fn phone(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<String> {
        Ok(self.shown(ctx, "team", unmasked)?.phone(&self.row.phone))
    }
    /// When the team was assigned.
    async fn assigned_at(&self) -> DateTime<Utc> {
        self.row.assigned_at
    }
}

impl TeamMember {
    fn shown(
        &self,
        ctx: &Context<'_>,
        field: &'static str,
        requested: bool,
    ) -> Result<Shown, crate::error::AppError> {
        let scope = Scope {
            township: self.township.as_deref(),
            jurisdiction: None,
        };
        unmask(ctx, self.person, scope, field, requested).map(Shown::new)
    }
}

/// A row of a temperature sheet not taken.
#[derive(SimpleObject, Clone, Debug)]
pub struct RejectedReading {
    /// The row's number in the file (the header is row 1).
    pub row: u32,
    /// Why, in Chinese.
    pub reason: String,
}

/// What `importTemperatures` did.
#[derive(SimpleObject, Clone, Debug)]
pub struct TemperatureSheetReport {
    /// Data rows read.
    pub rows: u32,
    /// Readings written.
    pub readings: u32,
    /// Readings that corrected an earlier one of the same day and slot.
    pub corrections: u32,
    /// Fever alerts raised.
    pub fevers: u32,
    /// Rows not taken, with their numbers and why.
    pub rejected: Vec<RejectedReading>,
}

impl From<crate::register::followup::TemperatureSheetReport> for TemperatureSheetReport {
    fn from(r: crate::register::followup::TemperatureSheetReport) -> Self {
        Self {
            rows: r.rows,
            readings: r.readings,
            corrections: r.corrections,
            fevers: r.fevers,
            rejected: r
                .rejected
                .into_iter()
                .map(|x| RejectedReading {
                    row: x.row,
                    reason: x.reason,
                })
                .collect(),
        }
    }
}

/// What `importTeams` did.
#[derive(SimpleObject, Clone, Debug)]
pub struct TeamSheetReport {
    /// Data rows read.
    pub rows: u32,
    /// Teams assigned (each replacing the person's team).
    pub teams: u32,
    /// Rows not taken, with their numbers and why.
    pub rejected: Vec<RejectedReading>,
}

impl From<crate::register::followup::TeamSheetReport> for TeamSheetReport {
    fn from(r: crate::register::followup::TeamSheetReport) -> Self {
        Self {
            rows: r.rows,
            teams: r.teams,
            rejected: r
                .rejected
                .into_iter()
                .map(|x| RejectedReading {
                    row: x.row,
                    reason: x.reason,
                })
                .collect(),
        }
    }
}
