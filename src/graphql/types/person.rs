//! A person of the register, its golden record, and how its records are linked to it.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Datelike as _, NaiveDate, Utc};

use super::common::{Jurisdiction, Read, Shown, ids, visible};
use super::enums::{HubeiLink, LocationStatus, Sex};
use super::history::ResolutionEvent;
use super::location::LocationEvidence;
use super::record::SourceRecord;
use super::review::{MatchExplanation, explanation_of};
use crate::access::Scoped as _;
use crate::access::guard::unmask;
use crate::db::{person, record_link, source_record};
use crate::error::AppError;
use crate::graphql::loaders::{
    EventsOfPerson, PersonOfRecord, RecordById, RegisterLoader, records_of_person, visible_records,
};
use crate::register::golden::{Golden, GoldenField};

/// A person of the register: the golden record of all source records found to be them.
pub struct Person(pub person::Model);

/// One value of the golden record and the source records it came from.
#[derive(SimpleObject, Clone, Debug)]
pub struct GoldenValue {
    /// The value chosen (masked unless asked unmasked, for ID numbers and phones).
    pub value: Option<String>,
    /// IDs of the source records that give this value.
    pub source_record_ids: Vec<ID>,
    /// Other values some records give instead.
    pub conflicts: Vec<GoldenConflict>,
}

/// A value that disagrees with the golden record's choice.
#[derive(SimpleObject, Clone, Debug)]
pub struct GoldenConflict {
    /// The disagreeing value.
    pub value: String,
    /// IDs of the source records that give it.
    pub source_record_ids: Vec<ID>,
}

impl GoldenValue {
    fn from_field(f: &GoldenField, show: impl Fn(&str) -> String) -> Self {
        Self {
            value: f.value.as_deref().map(&show),
            source_record_ids: ids(&f.sources),
            conflicts: f
                .conflicts
                .iter()
                .map(|c| GoldenConflict {
                    value: show(&c.value),
                    source_record_ids: ids(&c.sources),
                })
                .collect(),
        }
    }
}

/// The golden record field by field, with provenance and conflicts.
pub struct GoldenRecord {
    golden: Golden,
    shown: Shown,
}

/// The golden record field by field, with provenance and conflicts.
#[Object]
impl GoldenRecord {
    /// The name most records agree on.
    async fn name(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.name, str::to_owned)
    }
    /// The valid ID number the records give (masked unless asked unmasked).
    async fn id_number(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.id_number, |v| self.shown.id_number(v))
    }
    /// Every phone the records give, most reported first.
    async fn phones(&self) -> Vec<GoldenValue> {
        self.golden
            .phones
            .iter()
            .map(|p| GoldenValue::from_field(p, |v| self.shown.phone(v)))
            .collect()
    }
    /// Birth date (`YYYY-MM-DD`); the year only (`1990-**-**`) unless asked unmasked, as a
    /// masked ID number hides exactly the birth date.
    async fn birth_date(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.birth_date, |v| self.shown.text(v))
    }
    /// Sex (`MALE` or `FEMALE`).
    async fn sex(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.sex, str::to_owned)
    }
    /// Address, preferring an on-site check's.
    async fn address(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.address, |v| self.shown.text(v))
    }
    /// Township of the county gazetteer.
    async fn township(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.township, str::to_owned)
    }
    /// Village or community of the county gazetteer.
    async fn village(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.village, str::to_owned)
    }
}

/// A source record's link to its person.
pub struct RecordLink {
    record: source_record::Model,
    link: record_link::Model,
}

/// A source record's link to its person.
#[Object]
impl RecordLink {
    /// The source record.
    async fn record(&self) -> SourceRecord {
        SourceRecord(self.record.clone())
    }
    /// Total match weight of the decision (0 for the record that founded the person).
    async fn weight(&self) -> f64 {
        self.link.weight
    }
    /// The rule that linked it: `ID_EXACT`, `NAME_AND_PHONE`, `NEW_PERSON` …
    async fn rule(&self) -> &str {
        &self.link.rule
    }
    /// The comparisons behind the decision, field by field (the prior first).
    async fn explanation(&self) -> Result<Vec<MatchExplanation>> {
        let read = Read::new(
            "RecordLink.explanation",
            "record_link",
            self.link.source_record_id,
        );
        Ok(explanation_of(read, &self.link.explanation)?)
    }
    /// When the link was made.
    async fn linked_at(&self) -> DateTime<Utc> {
        self.link.linked_at
    }
}

/// A person of the register: the golden record of all source records found to be them.
#[Object]
impl Person {
    /// Stable person ID; a merged-away ID still answers with the surviving person.
    async fn id(&self) -> ID {
        ID::from(self.0.id)
    }
    /// Name in Simplified characters.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// Toneless pinyin of the name.
    async fn name_pinyin(&self) -> Option<&str> {
        self.0.name_pinyin.as_deref()
    }
    /// 18-digit ID number, masked (`420102********1234`) unless `unmasked: true` (ADMIN and
    /// the person's TOWNSHIP only; each unmasked read is audited).
    async fn id_number(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Option<String>> {
        let shown = self.reveal(ctx, "idNumber", unmasked)?;
        Ok(self.0.id_number.as_deref().map(|v| shown.id_number(v)))
    }
    /// Every phone known for the person, masked (`138****5678`) unless `unmasked: true`
    /// (ADMIN and the person's TOWNSHIP only; each unmasked read is audited).
    async fn phones(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Vec<String>> {
        let shown = self.reveal(ctx, "phones", unmasked)?;
        let phones: Vec<String> = self.read("Person.phones").json(&self.0.phones)?;
        Ok(phones.iter().map(|p| shown.phone(p)).collect())
    }
    /// Birth date, from a valid ID number when there is one; null unless `unmasked: true`
    /// (as `idNumber`): a masked ID number hides exactly the birth date, so a masked reader
    /// gets `birthYear` only.
    async fn birth_date(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Option<NaiveDate>> {
        let shown = self.reveal(ctx, "birthDate", unmasked)?;
        Ok(shown.birth_date(self.0.birth_date))
    }
    /// Year of birth (shown to every reader, unlike the full `birthDate`).
    async fn birth_year(&self) -> Option<i32> {
        self.0.birth_date.map(|d| d.year())
    }
    /// Sex.
    async fn sex(&self) -> Option<Sex> {
        self.0.sex.map(Sex::from)
    }
    /// Address as written, with phones and ID numbers masked unless `unmasked: true` (as `idNumber`).
    async fn address(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Option<String>> {
        let shown = self.reveal(ctx, "address", unmasked)?;
        Ok(self.0.address.as_deref().map(|a| shown.text(a)))
    }
    /// Township of the county, when the person is known there.
    async fn township(&self) -> Option<&str> {
        self.0.township.as_deref()
    }
    /// Village or community of the county.
    async fn village(&self) -> Option<&str> {
        self.0.village.as_deref()
    }
    /// Where the person is: in the county, outside it, or not yet verified.
    async fn location_status(&self) -> LocationStatus {
        self.0.location_status.into()
    }
    /// The jurisdiction where a person outside the county is.
    async fn jurisdiction(&self) -> Option<Jurisdiction> {
        self.0.jurisdiction_code.as_ref().map(|code| Jurisdiction {
            code: code.clone(),
            name: self.0.jurisdiction_name.clone(),
        })
    }
    /// True when the sources disagree on where the person is.
    async fn location_conflict(&self) -> bool {
        self.0.location_conflict
    }
    /// Every piece of evidence of where the person is, oldest report first: each current
    /// record that says, what it says, the rule that read it, and which piece decided
    /// `locationStatus`. Records the caller may not see are shown without their ID.
    async fn location_evidence(&self, ctx: &Context<'_>) -> Result<Vec<LocationEvidence>> {
        let golden: Golden = self.read("Person.locationEvidence").json(&self.0.golden)?;
        let caller = crate::access::guard::principal(ctx)?;
        let loader = ctx.data::<RegisterLoader>()?;
        let records = loader
            .load_many(
                golden
                    .location_evidence
                    .iter()
                    .map(|p| RecordById(p.record)),
            )
            .await?;
        Ok(golden
            .location_evidence
            .into_iter()
            .map(|p| {
                let record = records
                    .get(&RecordById(p.record))
                    .filter(|r| caller.may_see(r.scope()));
                LocationEvidence::of(p, record)
            })
            .collect())
    }
    /// True when the sources disagree on where the person is or on a field of the golden
    /// record (an ID number one typo away included); the persons filter `hasConflicts`
    /// selects the same persons.
    async fn has_conflicts(&self) -> Result<bool> {
        let golden: Golden = self.read("Person.hasConflicts").json(&self.0.golden)?;
        Ok(golden.has_conflicts())
    }
    /// Wuhan, other Hubei, or unknown.
    async fn hubei_link(&self) -> HubeiLink {
        self.0.hubei_link.into()
    }
    /// Where the person came from, as written; phones, ID numbers and birth dates in it masked
    /// unless `unmasked: true` (as `idNumber`).
    async fn origin(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Option<String>> {
        let shown = self.reveal(ctx, "origin", unmasked)?;
        Ok(self.0.origin.as_deref().map(|o| shown.text(o)))
    }
    /// Earliest arrival date reported.
    async fn arrival_date(&self) -> Option<NaiveDate> {
        self.0.arrival_date
    }
    /// The day the person was first reported by any source.
    async fn first_reported(&self) -> Option<NaiveDate> {
        self.0.first_reported
    }
    /// The golden record field by field: which records each value came from, and conflicts;
    /// ID numbers, phones, addresses and birth dates masked unless `unmasked: true` (as
    /// `idNumber`). Only the records the caller may see are named, and only the conflicting
    /// values they give (a TOWNSHIP caller: its township's records, as `records`).
    async fn golden(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<GoldenRecord> {
        let shown = self.reveal(ctx, "golden", unmasked)?;
        let mut golden: Golden = self.read("Person.golden").json(&self.0.golden)?;
        let seen = visible_records(ctx, golden.source_records()).await?;
        golden.retain_sources(|r| seen.contains(&r));
        Ok(GoldenRecord { golden, shown })
    }
    /// The person's current source records, each with why it was linked (those the caller may
    /// see: a TOWNSHIP caller, its township's).
    async fn links(&self, ctx: &Context<'_>) -> Result<Vec<RecordLink>> {
        Ok(self
            .linked(ctx)
            .await?
            .into_iter()
            .map(|(record, link)| RecordLink { record, link })
            .collect())
    }
    /// The person's current source records, oldest first (those the caller may see, as
    /// `sourceRecords`).
    async fn records(&self, ctx: &Context<'_>) -> Result<Vec<SourceRecord>> {
        Ok(self
            .linked(ctx)
            .await?
            .into_iter()
            .map(|(record, _)| SourceRecord(record))
            .collect())
    }
    /// How the register came to hold this person: creation, links, merges, splits and
    /// analysts' decisions, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<ResolutionEvent>> {
        let loader = ctx.data::<RegisterLoader>()?;
        Ok(loader
            .load_one(EventsOfPerson(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ResolutionEvent)
            .collect())
    }
    /// When the person entered the register.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the golden record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The person's home medical observation (居家医学观察); null for a person who has never
    /// been placed in the county.
    async fn observation(&self, ctx: &Context<'_>) -> Result<Option<super::followup::Observation>> {
        let register = ctx.data::<crate::register::Register>()?;
        Ok(register
            .observation_of(self.0.id)
            .await?
            .map(super::followup::Observation))
    }
    /// Every case status recorded for the person (`recordCase`), oldest first; the last is the
    /// present one. Empty when no case was recorded.
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<super::reports::CaseRecord>> {
        let register = ctx.data::<crate::register::Register>()?;
        Ok(register
            .cases_of(self.0.id)
            .await?
            .into_iter()
            .map(super::reports::CaseRecord)
            .collect())
    }
    /// Every temperature reading of the person, oldest check first; a reading a later one of
    /// the same day and slot corrected is kept, marked `corrected`.
    async fn readings(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::followup::TemperatureReading>> {
        let register = ctx.data::<crate::register::Register>()?;
        Ok(register
            .readings_of(self.0.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// The person's responsible team (五包一), in the order of the roles; phones masked
    /// unless asked unmasked.
    async fn team(&self, ctx: &Context<'_>) -> Result<Vec<super::followup::TeamMember>> {
        let register = ctx.data::<crate::register::Register>()?;
        Ok(register
            .team_of(self.0.id)
            .await?
            .into_iter()
            .map(|row| super::followup::TeamMember {
                row,
                person: self.0.id,
                township: self.0.township.clone(),
            })
            .collect())
    }
    /// The letters the person is or was on, oldest first (ADMIN, ANALYST, CLERK; a township
    /// officer is refused).
    #[graphql(guard = "crate::access::guard::Permission::ReadLetters.guard()")]
    async fn letters(&self, ctx: &Context<'_>) -> Result<Vec<super::letters::Letter>> {
        let register = ctx.data::<crate::register::Register>()?;
        Ok(register
            .person_letters(self.0.id)
            .await?
            .into_iter()
            .map(super::letters::Letter)
            .collect())
    }
}

impl Person {
    /// How `field` is shown (`access::guard::unmask`: permission, scope, audit).
    fn reveal(
        &self,
        ctx: &Context<'_>,
        field: &'static str,
        requested: bool,
    ) -> Result<Shown, AppError> {
        unmask(ctx, self.0.id, self.0.scope(), field, requested).map(Shown::new)
    }

    /// `field` reading this person's row.
    fn read(&self, field: &'static str) -> Read {
        Read::new(field, "person", self.0.id)
    }

    async fn linked(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<(source_record::Model, record_link::Model)>> {
        records_of_person(ctx, self.0.id).await
    }
}

/// The person a record belongs to; null when the caller may not see that person (a record
/// of the caller's township linked to a person placed elsewhere).
pub async fn person_of_record(ctx: &Context<'_>, record: i64) -> Result<Option<Person>> {
    let loader = ctx.data::<RegisterLoader>()?;
    let found = loader.load_one(PersonOfRecord(record)).await?;
    Ok(visible(ctx, found)?.map(Person))
}
