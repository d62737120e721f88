//! GraphQL object types over the register's rows.

use async_graphql::{ComplexObject, Context, Enum, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::loaders::{
    EventsOfPerson, LinksOfPerson, PersonById, PersonOfRecord, RecordById, RegisterLoader,
};
use crate::access::Scoped as _;
use crate::access::guard::{in_scope, unmask};
use crate::db::{
    audit_log, import_batch, match_model, person, record_link, resolution_event, review_candidate,
    source_record,
};
use crate::intake::{self, SourceKind};
use crate::normalize::{self, Problem};
use crate::privacy::{mask_digits_in_text, mask_id_number, mask_phone};
use crate::register;
use crate::register::golden::{Golden, GoldenField, StoredIdentity};

/// Where a record came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Source {
    /// 大数据核查: lists pushed by the province (telecom roaming, rail and air manifests).
    Bigdata,
    /// 镇办实地核查: door-to-door checks by township and street offices.
    Township,
    /// 外地通报协查: notices from other jurisdictions.
    External,
}

impl From<Source> for SourceKind {
    fn from(s: Source) -> Self {
        match s {
            Source::Bigdata => SourceKind::Bigdata,
            Source::Township => SourceKind::Township,
            Source::External => SourceKind::External,
        }
    }
}

impl From<SourceKind> for Source {
    fn from(s: SourceKind) -> Self {
        match s {
            SourceKind::Bigdata => Source::Bigdata,
            SourceKind::Township => Source::Township,
            SourceKind::External => Source::External,
        }
    }
}

fn source_of(db: &str) -> Option<Source> {
    SourceKind::from_db(db).map(Source::from)
}

/// Where a person is, as decided from the evidence.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum LocationStatus {
    /// Living in the county: home observation applies.
    InCounty,
    /// Elsewhere, in the jurisdiction named: a notification letter goes there.
    OutOfCounty,
    /// Not yet verified on site (for instance known only from a big-data list).
    PendingVerification,
}

impl From<LocationStatus> for register::LocationStatus {
    fn from(s: LocationStatus) -> Self {
        match s {
            LocationStatus::InCounty => Self::InCounty,
            LocationStatus::OutOfCounty => Self::OutOfCounty,
            LocationStatus::PendingVerification => Self::PendingVerification,
        }
    }
}

impl From<register::LocationStatus> for LocationStatus {
    fn from(s: register::LocationStatus) -> Self {
        match s {
            register::LocationStatus::InCounty => Self::InCounty,
            register::LocationStatus::OutOfCounty => Self::OutOfCounty,
            register::LocationStatus::PendingVerification => Self::PendingVerification,
        }
    }
}

/// How a person is linked to Hubei.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum HubeiLink {
    /// Came from (or through) Wuhan.
    Wuhan,
    /// Came from elsewhere in Hubei province.
    OtherHubei,
    /// No origin recorded yet.
    Unknown,
}

impl From<HubeiLink> for register::HubeiLink {
    fn from(s: HubeiLink) -> Self {
        match s {
            HubeiLink::Wuhan => Self::Wuhan,
            HubeiLink::OtherHubei => Self::OtherHubei,
            HubeiLink::Unknown => Self::Unknown,
        }
    }
}

impl From<register::HubeiLink> for HubeiLink {
    fn from(s: register::HubeiLink) -> Self {
        match s {
            register::HubeiLink::Wuhan => Self::Wuhan,
            register::HubeiLink::OtherHubei => Self::OtherHubei,
            register::HubeiLink::Unknown => Self::Unknown,
        }
    }
}

/// Sex, from the record or decoded from the ID number.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

fn sex_of(s: Option<&str>) -> Option<Sex> {
    match s {
        Some("MALE") => Some(Sex::Male),
        Some("FEMALE") => Some(Sex::Female),
        _ => None,
    }
}

impl From<normalize::Sex> for Sex {
    fn from(s: normalize::Sex) -> Self {
        match s {
            normalize::Sex::Male => Sex::Male,
            normalize::Sex::Female => Sex::Female,
        }
    }
}

/// How an ID number was classified.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum IdClass {
    /// An 18-character number whose check digit is right.
    Valid,
    /// 18 characters, but the check digit is wrong: a typo somewhere.
    ChecksumFailed,
    /// Partly hidden with `*`: only the known prefix and suffix can be compared.
    Masked,
    /// Not an ID number.
    Malformed,
}

impl From<normalize::IdClass> for IdClass {
    fn from(c: normalize::IdClass) -> Self {
        match c {
            normalize::IdClass::Valid => IdClass::Valid,
            normalize::IdClass::ChecksumFailed => IdClass::ChecksumFailed,
            normalize::IdClass::Masked => IdClass::Masked,
            normalize::IdClass::Malformed => IdClass::Malformed,
        }
    }
}

fn id_text(id: &str, unmasked: bool) -> String {
    if unmasked {
        id.to_owned()
    } else {
        mask_id_number(id)
    }
}

fn phone_text(phone: &str, unmasked: bool) -> String {
    if unmasked {
        phone.to_owned()
    } else {
        mask_phone(phone)
    }
}

fn phones_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// A county-level jurisdiction of the national division table.
#[derive(SimpleObject, Clone, Debug)]
pub struct Jurisdiction {
    /// GB/T 2260 code, 6 digits.
    pub code: String,
    /// Full name, e.g. 湖北省武汉市江岸区.
    pub name: Option<String>,
}

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
    fn from_field(f: &GoldenField, mask: impl Fn(&str) -> String) -> Self {
        let ids = |v: &[i64]| v.iter().map(|i| ID(i.to_string())).collect();
        Self {
            value: f.value.as_deref().map(&mask),
            source_record_ids: ids(&f.sources),
            conflicts: f
                .conflicts
                .iter()
                .map(|c| GoldenConflict {
                    value: mask(&c.value),
                    source_record_ids: ids(&c.sources),
                })
                .collect(),
        }
    }
}

/// The golden record field by field, with provenance and conflicts.
pub struct GoldenRecord {
    golden: Golden,
    unmasked: bool,
}

/// The golden record field by field, with provenance and conflicts.
#[Object]
impl GoldenRecord {
    /// The name most records agree on.
    async fn name(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.name, str::to_owned)
    }
    /// The valid ID number the records give.
    async fn id_number(&self) -> GoldenValue {
        let unmasked = self.unmasked;
        GoldenValue::from_field(&self.golden.id_number, |v| id_text(v, unmasked))
    }
    /// Every phone the records give, most reported first.
    async fn phones(&self) -> Vec<GoldenValue> {
        let unmasked = self.unmasked;
        self.golden
            .phones
            .iter()
            .map(|p| GoldenValue::from_field(p, |v| phone_text(v, unmasked)))
            .collect()
    }
    /// Birth date (`YYYY-MM-DD`).
    async fn birth_date(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.birth_date, str::to_owned)
    }
    /// Sex (`MALE` or `FEMALE`).
    async fn sex(&self) -> GoldenValue {
        GoldenValue::from_field(&self.golden.sex, str::to_owned)
    }
    /// Address, preferring an on-site check's.
    async fn address(&self) -> GoldenValue {
        let unmasked = self.unmasked;
        GoldenValue::from_field(&self.golden.address, |v| {
            if unmasked {
                v.to_owned()
            } else {
                mask_digits_in_text(v)
            }
        })
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

/// Why a source record belongs to its person.
#[derive(SimpleObject, Clone, Debug)]
pub struct MatchExplanation {
    /// The field compared (`id_number`, `name`, `phone` …).
    pub field: String,
    /// How the values compared (`EXACT`, `ONE_EDIT`, `MASKED_AGREE` …).
    pub level: String,
    /// The match weight it contributed (log2 likelihood ratio).
    pub weight: f64,
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
    async fn explanation(&self) -> Vec<MatchExplanation> {
        explanation_of(&self.link.explanation)
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
        ID(self.0.id.to_string())
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
        let unmasked = self.reveal(ctx, "idNumber", unmasked)?;
        Ok(self.0.id_number.as_deref().map(|v| id_text(v, unmasked)))
    }
    /// Every phone known for the person, masked (`138****5678`) unless `unmasked: true`
    /// (ADMIN and the person's TOWNSHIP only; each unmasked read is audited).
    async fn phones(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Vec<String>> {
        let unmasked = self.reveal(ctx, "phones", unmasked)?;
        Ok(phones_of(&self.0.phones)
            .iter()
            .map(|p| phone_text(p, unmasked))
            .collect())
    }
    /// Birth date, from a valid ID number when there is one.
    async fn birth_date(&self) -> Option<NaiveDate> {
        self.0.birth_date
    }
    /// Sex.
    async fn sex(&self) -> Option<Sex> {
        sex_of(self.0.sex.as_deref())
    }
    /// Address as written, with digit runs masked unless `unmasked: true` (as `idNumber`).
    async fn address(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Option<String>> {
        let unmasked = self.reveal(ctx, "address", unmasked)?;
        Ok(self.0.address.as_deref().map(|a| {
            if unmasked {
                a.to_owned()
            } else {
                mask_digits_in_text(a)
            }
        }))
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
        register::LocationStatus::from_str_opt(&self.0.location_status)
            .map_or(LocationStatus::PendingVerification, LocationStatus::from)
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
    /// Wuhan, other Hubei, or unknown.
    async fn hubei_link(&self) -> HubeiLink {
        match self.0.hubei_link.as_str() {
            "WUHAN" => HubeiLink::Wuhan,
            "OTHER_HUBEI" => HubeiLink::OtherHubei,
            _ => HubeiLink::Unknown,
        }
    }
    /// Where the person came from, as written.
    async fn origin(&self) -> Option<&str> {
        self.0.origin.as_deref()
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
    /// ID numbers, phones and addresses masked unless `unmasked: true` (as `idNumber`).
    async fn golden(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<GoldenRecord> {
        let unmasked = self.reveal(ctx, "golden", unmasked)?;
        let golden: Golden = serde_json::from_str(&self.0.golden)
            .map_err(|e| crate::error::AppError::Internal(e.into()))?;
        Ok(GoldenRecord { golden, unmasked })
    }
    /// The person's current source records, each with why it was linked.
    async fn links(&self, ctx: &Context<'_>) -> Result<Vec<RecordLink>> {
        Ok(self
            .linked(ctx)
            .await?
            .into_iter()
            .map(|(record, link)| RecordLink { record, link })
            .collect())
    }
    /// The person's current source records, oldest first.
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
}

impl Person {
    /// Whether `field` is served unmasked (`access::guard::unmask`: permission, scope, audit).
    fn reveal(
        &self,
        ctx: &Context<'_>,
        field: &'static str,
        requested: bool,
    ) -> Result<bool, crate::error::AppError> {
        unmask(ctx, self.0.id, self.0.scope(), field, requested)
    }

    async fn linked(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<(source_record::Model, record_link::Model)>> {
        let loader = ctx.data::<RegisterLoader>()?;
        Ok(loader
            .load_one(LinksOfPerson(self.0.id))
            .await?
            .unwrap_or_default())
    }
}

/// The person a record belongs to; null when the caller may not see that person (a record
/// of the caller's township linked to a person placed elsewhere).
async fn person_of_record(ctx: &Context<'_>, record: i64) -> Result<Option<Person>> {
    let loader = ctx.data::<RegisterLoader>()?;
    let found = loader.load_one(PersonOfRecord(record)).await?;
    Ok(found
        .map(|p| in_scope(ctx, p))
        .transpose()?
        .flatten()
        .map(Person))
}

/// A record by ID; null when the caller may not see it.
async fn record_by_id(ctx: &Context<'_>, record: i64) -> Result<Option<SourceRecord>> {
    let loader = ctx.data::<RegisterLoader>()?;
    let found = loader.load_one(RecordById(record)).await?;
    Ok(found
        .map(|r| in_scope(ctx, r))
        .transpose()?
        .flatten()
        .map(SourceRecord))
}

/// Something doubtful found in a record while normalising it.
#[derive(SimpleObject, Clone, Debug)]
pub struct RecordProblem {
    /// Stable machine code, e.g. `ID_CHECKSUM_FAILED`.
    pub code: String,
    /// The canonical field it was found in.
    pub field: String,
    /// What it means, in Chinese.
    pub message: String,
}

impl From<Problem> for RecordProblem {
    fn from(p: Problem) -> Self {
        Self {
            code: p.code.into_owned(),
            field: p.field.into_owned(),
            message: p.message.into_owned(),
        }
    }
}

/// A phone found in a record.
#[derive(SimpleObject, Clone, Debug)]
pub struct RecordPhone {
    /// Digits only (masked unless asked unmasked).
    pub number: String,
    /// `MOBILE` or `LANDLINE`.
    pub kind: String,
    /// True when it was found inside free text (a remark) rather than a phone column.
    pub from_text: bool,
}

/// A source record's identity after normalisation.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct NormalizedIdentity {
    /// Name: white space and dots removed, full-width folded, Simplified characters.
    pub name: Option<String>,
    /// Toneless pinyin of the name.
    pub name_pinyin: Option<String>,
    /// Surname (compound surnames such as 欧阳 kept whole).
    pub surname: Option<String>,
    /// ID number (18 characters; masked forms keep their `*`), masked unless asked unmasked.
    pub id_number: Option<String>,
    /// How the ID number was classified.
    pub id_class: Option<IdClass>,
    /// For an ID number that fails its checksum: valid numbers one edit away (masked).
    pub id_candidates: Vec<String>,
    /// Phones from the phone columns and from free text.
    pub phones: Vec<RecordPhone>,
    /// Birth date, from the ID number or the record.
    pub birth_date: Option<NaiveDate>,
    /// Sex, from the record or the ID number.
    pub sex: Option<Sex>,
    /// Township of the county gazetteer.
    pub township: Option<String>,
    /// Village or community of the county gazetteer.
    pub village: Option<String>,
    /// True when the record places the person inside the county, false outside, null unknown.
    pub in_county: Option<bool>,
    /// Where the person is when outside the county.
    pub jurisdiction: Option<Jurisdiction>,
    /// True when the origin is in Wuhan.
    pub origin_wuhan: Option<bool>,
    /// True when the origin is in Hubei province.
    pub origin_hubei: Option<bool>,
    /// Arrival date.
    pub arrival_date: Option<NaiveDate>,
    /// Report or check date.
    pub report_date: Option<NaiveDate>,
    #[graphql(skip)]
    pub address: Option<String>,
    #[graphql(skip)]
    pub unmasked: bool,
}

#[ComplexObject]
impl NormalizedIdentity {
    /// The address as written (digit runs masked unless asked unmasked).
    async fn address(&self) -> Option<String> {
        self.address.as_deref().map(|a| {
            if self.unmasked {
                a.to_owned()
            } else {
                mask_digits_in_text(a)
            }
        })
    }
}

/// One version of one row of a source file, kept raw and forever.
pub struct SourceRecord(pub source_record::Model);

impl SourceRecord {
    fn stored(&self) -> StoredIdentity {
        serde_json::from_str(&self.0.normalized).unwrap_or_default()
    }

    /// Whether `field` is served unmasked (`access::guard::unmask`), the read audited under
    /// the record's person.
    async fn reveal(
        &self,
        ctx: &Context<'_>,
        field: &'static str,
        requested: bool,
    ) -> Result<bool> {
        if !requested {
            return Ok(false);
        }
        let loader = ctx.data::<RegisterLoader>()?;
        let person = loader
            .load_one(PersonOfRecord(self.0.id))
            .await?
            .map_or(0, |p| p.id);
        Ok(unmask(ctx, person, self.0.scope(), field, requested)?)
    }
}

/// One version of one row of a source file, kept raw and forever.
#[Object]
impl SourceRecord {
    /// Internal ID of this record version.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The source it came from.
    async fn source(&self) -> Option<Source> {
        source_of(&self.0.source)
    }
    /// The source's own key for the row (for external notices, the person entry's).
    async fn record_id(&self) -> &str {
        &self.0.record_id
    }
    /// 1 for the first content seen under this record ID, then 2, 3 …
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// False once a newer version of the record arrived.
    async fn is_current(&self) -> bool {
        self.0.is_current
    }
    /// Data row number in its file (1 = first row after the header).
    async fn row_number(&self) -> i32 {
        self.0.row_number
    }
    /// The import batch it arrived in.
    async fn batch_id(&self) -> ID {
        ID(self.0.batch_id.to_string())
    }
    /// Every column as it arrived, by original header; digit runs (ID numbers, phones) masked
    /// unless `unmasked: true` (ADMIN and the record's TOWNSHIP only; audited).
    async fn raw(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Json<serde_json::Value>> {
        let unmasked = self.reveal(ctx, "raw", unmasked).await?;
        let mut raw: serde_json::Value =
            serde_json::from_str(&self.0.raw).unwrap_or(serde_json::Value::Null);
        if !unmasked && let serde_json::Value::Object(map) = &mut raw {
            for value in map.values_mut() {
                if let serde_json::Value::String(s) = value {
                    *s = mask_digits_in_text(s);
                }
            }
        }
        Ok(Json(raw))
    }
    /// The identity after normalisation; ID numbers, phones and the address masked unless
    /// `unmasked: true` (as `raw`).
    async fn normalized(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<NormalizedIdentity> {
        let unmasked = self.reveal(ctx, "normalized", unmasked).await?;
        let stored = self.stored();
        let i = stored.identity;
        Ok(NormalizedIdentity {
            name: i.name,
            name_pinyin: i.name_pinyin,
            surname: i.surname,
            id_number: i.id_number.map(|v| id_text(&v, unmasked)),
            id_class: i.id_class.map(IdClass::from),
            id_candidates: i
                .id_candidates
                .iter()
                .map(|v| id_text(v, unmasked))
                .collect(),
            phones: i
                .phones
                .iter()
                .map(|p| RecordPhone {
                    number: phone_text(&p.number, unmasked),
                    kind: match p.kind {
                        normalize::PhoneKind::Mobile => "MOBILE".to_owned(),
                        normalize::PhoneKind::Landline => "LANDLINE".to_owned(),
                    },
                    from_text: p.from_text,
                })
                .collect(),
            birth_date: i.birth_date,
            sex: i.sex.map(Sex::from),
            township: i.township,
            village: i.village,
            in_county: i.in_county,
            jurisdiction: i.jurisdiction_code.map(|code| Jurisdiction {
                code,
                name: i.jurisdiction_name,
            }),
            origin_wuhan: i.origin_wuhan,
            origin_hubei: i.origin_hubei,
            arrival_date: i.arrival_date,
            report_date: i.report_date,
            address: stored.address,
            unmasked,
        })
    }
    /// What normalisation found wrong or doubtful, as evidence (never a reason to drop it).
    async fn problems(&self) -> Vec<RecordProblem> {
        serde_json::from_str::<Vec<Problem>>(&self.0.problems)
            .unwrap_or_default()
            .into_iter()
            .map(RecordProblem::from)
            .collect()
    }
    /// The person this record belongs to.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person_of_record(ctx, self.0.id).await
    }
    /// When it was stored.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A row that was not imported, and why.
#[derive(SimpleObject, Clone, Debug)]
pub struct RejectedRow {
    /// Data row number (1 = the first row after the header).
    pub row: u32,
    /// Why, in words a clerk can act on.
    pub reason: String,
}

impl From<intake::RejectedRow> for RejectedRow {
    fn from(r: intake::RejectedRow) -> Self {
        Self {
            row: r.row,
            reason: r.reason,
        }
    }
}

/// What importing one file read, kept, refused and changed.
#[derive(SimpleObject, Clone, Debug)]
pub struct BatchReport {
    /// The batch the file was recorded as (the earlier batch when it was already imported).
    pub batch_id: ID,
    /// The source kind.
    pub source: Option<Source>,
    /// The file's name.
    pub file_name: String,
    /// `csv`, `xlsx`, `json` or `ndjson`.
    pub format: String,
    /// sha256 of the file's bytes.
    pub sha256: String,
    /// True when this very file had been imported before: nothing was written.
    pub already_imported: bool,
    /// Data rows read.
    pub rows_read: u32,
    /// Rows kept.
    pub rows_accepted: u32,
    /// Rows refused.
    pub rows_rejected: u32,
    /// Each refused row with its number and reason.
    pub rejected: Vec<RejectedRow>,
    /// Records seen for the first time.
    pub records_new: u32,
    /// Records whose content had been imported before.
    pub records_unchanged: u32,
    /// Records that existed with other content: stored as a new version.
    pub records_new_version: u32,
    /// Persons added to the register.
    pub persons_created: u32,
    /// Persons already in the register that gained records.
    pub persons_matched: u32,
    /// External notices in the file.
    pub notices: u32,
}

impl From<intake::BatchReport> for BatchReport {
    fn from(r: intake::BatchReport) -> Self {
        Self {
            batch_id: ID(r.batch_id.to_string()),
            source: source_of(&r.source),
            file_name: r.file_name,
            format: r.format,
            sha256: r.sha256,
            already_imported: r.already_imported,
            rows_read: r.rows_read,
            rows_accepted: r.rows_accepted,
            rows_rejected: r.rows_rejected,
            rejected: r.rejected.into_iter().map(RejectedRow::from).collect(),
            records_new: r.records_new,
            records_unchanged: r.records_unchanged,
            records_new_version: r.records_new_version,
            persons_created: r.persons_created,
            persons_matched: r.persons_matched,
            notices: r.notices,
        }
    }
}

/// One imported file.
pub struct ImportBatch(pub import_batch::Model);

/// One imported file.
#[Object]
impl ImportBatch {
    /// Batch ID.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The source kind.
    async fn source(&self) -> Option<Source> {
        source_of(&self.0.source)
    }
    /// The file's name.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// `csv`, `xlsx`, `json` or `ndjson`.
    async fn format(&self) -> &str {
        &self.0.format
    }
    /// sha256 of the file's bytes.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// Who imported it.
    async fn imported_by(&self) -> &str {
        &self.0.imported_by
    }
    /// When.
    async fn imported_at(&self) -> DateTime<Utc> {
        self.0.imported_at
    }
    /// The batch report: counts and rejected rows.
    async fn report(&self) -> BatchReport {
        register::query::batch_report(&self.0).into()
    }
}

/// A count of persons in one location status.
#[derive(SimpleObject, Clone, Debug)]
pub struct LocationStatusCount {
    /// The status.
    pub status: LocationStatus,
    /// Persons in it.
    pub count: u64,
}

/// A count of persons with one Hubei link.
#[derive(SimpleObject, Clone, Debug)]
pub struct HubeiLinkCount {
    /// The link.
    pub link: HubeiLink,
    /// Persons with it.
    pub count: u64,
}

/// A count of current source records from one source.
#[derive(SimpleObject, Clone, Debug)]
pub struct SourceCount {
    /// The source.
    pub source: Source,
    /// Current records from it.
    pub count: u64,
}

/// The register's headline figures.
#[derive(SimpleObject, Clone, Debug)]
pub struct Stats {
    /// Persons in the register.
    pub persons: u64,
    /// Persons by location status (every status listed, zero included).
    pub by_location_status: Vec<LocationStatusCount>,
    /// Persons by Hubei link.
    pub by_hubei_link: Vec<HubeiLinkCount>,
    /// Current source records by source (every source listed, zero included).
    pub records_by_source: Vec<SourceCount>,
    /// Import batches.
    pub batches: u64,
}

impl From<register::query::Stats> for Stats {
    fn from(s: register::query::Stats) -> Self {
        Self {
            persons: s.persons,
            by_location_status: s
                .by_location_status
                .into_iter()
                .map(|(status, count)| LocationStatusCount {
                    status: status.into(),
                    count,
                })
                .collect(),
            by_hubei_link: s
                .by_hubei_link
                .into_iter()
                .map(|(link, count)| HubeiLinkCount {
                    link: link.into(),
                    count,
                })
                .collect(),
            records_by_source: s
                .records_by_source
                .into_iter()
                .map(|(source, count)| SourceCount {
                    source: source.into(),
                    count,
                })
                .collect(),
            batches: s.batches,
        }
    }
}

fn explanation_of(json: &str) -> Vec<MatchExplanation> {
    #[derive(serde::Deserialize)]
    struct Stored {
        field: String,
        level: String,
        weight: f64,
    }
    serde_json::from_str::<Vec<Stored>>(json)
        .unwrap_or_default()
        .into_iter()
        .map(|s| MatchExplanation {
            field: s.field,
            level: s.level,
            weight: s.weight,
        })
        .collect()
}

/// A pair of records the engine could not decide: more alike than strangers, less than the
/// same person. An analyst decides it.
pub struct ReviewCandidate(pub review_candidate::Model);

/// A pair of records the engine could not decide, for an analyst.
#[Object]
impl ReviewCandidate {
    /// Candidate ID.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The first record of the pair.
    async fn a(&self, ctx: &Context<'_>) -> Result<Option<SourceRecord>> {
        record_by_id(ctx, self.0.record_a).await
    }
    /// The second record of the pair.
    async fn b(&self, ctx: &Context<'_>) -> Result<Option<SourceRecord>> {
        record_by_id(ctx, self.0.record_b).await
    }
    /// The person the first record belongs to now.
    async fn person_a(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person_of_record(ctx, self.0.record_a).await
    }
    /// The person the second record belongs to now.
    async fn person_b(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person_of_record(ctx, self.0.record_b).await
    }
    /// Total match weight: log2 odds that the two are one person, the prior included.
    async fn total_weight(&self) -> f64 {
        self.0.total_weight
    }
    /// The same as a probability.
    async fn match_probability(&self) -> f64 {
        let odds = self.0.total_weight.exp2();
        odds / (1.0 + odds)
    }
    /// Field by field: how the two records compared and what it weighed.
    async fn explanation(&self) -> Vec<MatchExplanation> {
        explanation_of(&self.0.explanation)
    }
    /// `PENDING`, `SAME` or `DIFFERENT`.
    async fn state(&self) -> &str {
        &self.0.state
    }
    /// When the engine raised it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One level of a compared field, with its trained parameters.
#[derive(SimpleObject, Clone, Debug)]
pub struct ModelLevel {
    /// Level name, e.g. `EXACT`, `PINYIN`, `MASKED_AGREE`, `DIFFERENT`.
    pub level: String,
    /// P(level | same person).
    pub m: f64,
    /// P(level | different persons).
    pub u: f64,
    /// log2(m / u): what the level adds to a pair's match weight.
    pub weight: f64,
}

/// A compared field of the model.
#[derive(SimpleObject, Clone, Debug)]
pub struct ModelField {
    /// Field name.
    pub field: String,
    /// Its levels, best first.
    pub levels: Vec<ModelLevel>,
}

/// How many candidate pairs one blocking rule produced.
#[derive(SimpleObject, Clone, Debug)]
pub struct BlockingRuleStats {
    /// The rule's name.
    pub rule: String,
    /// Pairs it produced.
    pub pairs: u64,
    /// Pairs no earlier rule had produced.
    pub new_pairs: u64,
    /// Blocks skipped for being too large.
    pub skipped_blocks: u64,
}

/// The trained match model of the latest resolution run: the weights behind every decision.
pub struct MatchModel(pub match_model::Model);

/// The trained match model of the latest resolution run.
#[Object]
impl MatchModel {
    /// Matching profile, e.g. `cn-identity`.
    async fn profile(&self) -> &str {
        &self.0.profile
    }
    /// When it was trained.
    async fn trained_at(&self) -> DateTime<Utc> {
        self.0.trained_at
    }
    /// Share of candidate pairs that are the same person (EM's estimate).
    async fn lambda(&self) -> f64 {
        self.model().map_or(0.0, |m| m.lambda)
    }
    /// Records trained on.
    async fn records(&self) -> u64 {
        self.model().map_or(0, |m| m.report.records as u64)
    }
    /// Candidate pairs compared.
    async fn candidate_pairs(&self) -> u64 {
        self.model().map_or(0, |m| m.report.pairs as u64)
    }
    /// EM iterations run.
    async fn em_iterations(&self) -> u64 {
        self.model().map_or(0, |m| m.report.iterations as u64)
    }
    /// Every compared field with its levels' m, u and weight.
    async fn fields(&self) -> Vec<ModelField> {
        self.model()
            .map(|m| {
                m.params
                    .iter()
                    .map(|p| ModelField {
                        field: p.field.clone(),
                        levels: p
                            .levels
                            .iter()
                            .zip(&p.m)
                            .zip(&p.u)
                            .zip(p.weights())
                            .map(|(((level, m), u), weight)| ModelLevel {
                                level: level.clone(),
                                m: *m,
                                u: *u,
                                weight,
                            })
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    /// Candidate pairs per blocking rule.
    async fn blocking(&self) -> Vec<BlockingRuleStats> {
        serde_json::from_str::<Vec<crate::resolve::block::BlockingStats>>(&self.0.blocking)
            .unwrap_or_default()
            .into_iter()
            .map(|b| BlockingRuleStats {
                rule: b.rule,
                pairs: b.pairs,
                new_pairs: b.new_pairs,
                skipped_blocks: b.skipped_blocks,
            })
            .collect()
    }
}

impl MatchModel {
    fn model(&self) -> Option<crate::resolve::model::Model> {
        serde_json::from_str(&self.0.model).ok()
    }
}

/// What a resolution event records.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EventKind {
    /// A person entered the register with its founding record.
    Create,
    /// A record joined an existing person.
    Link,
    /// Two persons became one (the other person redirects to this one).
    Merge,
    /// Records were split off into a new person.
    Split,
    /// An analyst decided: same, different, merge or split.
    Decision,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 5] = [
        Self::Create,
        Self::Link,
        Self::Merge,
        Self::Split,
        Self::Decision,
    ];

    /// The name stored in the database.
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Link => "LINK",
            Self::Merge => "MERGE",
            Self::Split => "SPLIT",
            Self::Decision => "DECISION",
        }
    }
}

/// One entry of the append-only history of how the register came to be as it is.
pub struct ResolutionEvent(pub resolution_event::Model);

/// One entry of the append-only history of how the register came to be as it is.
#[Object]
impl ResolutionEvent {
    /// Event ID (events are numbered in the order they happened).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What happened.
    async fn kind(&self) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_db() == self.0.kind)
    }
    /// ID of the person it happened to (as stored: it may have been merged away since).
    async fn person_id(&self) -> ID {
        ID(self.0.person_id.to_string())
    }
    /// The person it happened to (the survivor, if that person was merged away since); null
    /// when the caller may not see that person.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let loader = ctx.data::<RegisterLoader>()?;
        let found = loader.load_one(PersonById(self.0.person_id)).await?;
        Ok(found
            .map(|p| in_scope(ctx, p))
            .transpose()?
            .flatten()
            .map(Person))
    }
    /// ID of the other person of a merge or decision.
    async fn other_person_id(&self) -> Option<ID> {
        self.0.other_person_id.map(|p| ID(p.to_string()))
    }
    /// The source record it concerns, if one.
    async fn source_record(&self, ctx: &Context<'_>) -> Result<Option<SourceRecord>> {
        match self.0.source_record_id {
            Some(id) => record_by_id(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The import batch that caused it, if one.
    async fn batch_id(&self) -> Option<ID> {
        self.0.batch_id.map(|b| ID(b.to_string()))
    }
    /// Who caused it: an importer, an analyst, `graphql`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The details as stored (match weights, the records involved, the verdict); digit runs
    /// are not personal data here: only IDs and weights.
    async fn detail(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.detail).unwrap_or(serde_json::Value::Null))
    }
}

/// Persons first reported on one day.
#[derive(SimpleObject, Clone, Debug)]
pub struct DayCount {
    /// The day.
    pub day: NaiveDate,
    /// Persons.
    pub count: u64,
}

/// Persons of one township.
#[derive(SimpleObject, Clone, Debug)]
pub struct TownshipCount {
    /// The township (null: not known in a township of the county).
    pub township: Option<String>,
    /// Persons.
    pub count: u64,
}

/// Persons a source reported for the first time on one day.
#[derive(SimpleObject, Clone, Debug)]
pub struct DaySourceCount {
    /// The day.
    pub day: NaiveDate,
    /// The source.
    pub source: Source,
    /// Persons.
    pub count: u64,
}

/// Dashboard figures over the persons a filter selects, computed in one request.
#[derive(SimpleObject, Clone, Debug)]
pub struct Aggregates {
    /// Persons selected.
    pub persons: u64,
    /// Persons by the day they were first reported, oldest first.
    pub by_day: Vec<DayCount>,
    /// Persons by township, most first.
    pub by_township: Vec<TownshipCount>,
    /// Persons by location status (every status listed, zero included).
    pub by_status: Vec<LocationStatusCount>,
    /// Persons by Hubei link (every link listed, zero included).
    pub by_hubei_link: Vec<HubeiLinkCount>,
    /// Persons with a current record from each source (every source listed; a person
    /// reported by two sources counts in both).
    pub by_source: Vec<SourceCount>,
    /// Time series: persons each source reported for the first time, per day and source
    /// (the record's report date, else the day it was imported).
    pub new_persons_per_day: Vec<DaySourceCount>,
}

impl From<register::query::Aggregates> for Aggregates {
    fn from(a: register::query::Aggregates) -> Self {
        Self {
            persons: a.persons,
            by_day: a
                .by_day
                .into_iter()
                .map(|(day, count)| DayCount { day, count })
                .collect(),
            by_township: a
                .by_township
                .into_iter()
                .map(|(township, count)| TownshipCount { township, count })
                .collect(),
            by_status: a
                .by_status
                .into_iter()
                .map(|(status, count)| LocationStatusCount {
                    status: status.into(),
                    count,
                })
                .collect(),
            by_hubei_link: a
                .by_hubei_link
                .into_iter()
                .map(|(link, count)| HubeiLinkCount {
                    link: link.into(),
                    count,
                })
                .collect(),
            by_source: a
                .by_source
                .into_iter()
                .map(|(source, count)| SourceCount {
                    source: source.into(),
                    count,
                })
                .collect(),
            new_persons_per_day: a
                .new_per_day_by_source
                .into_iter()
                .map(|(day, source, count)| DaySourceCount {
                    day,
                    source: source.into(),
                    count,
                })
                .collect(),
        }
    }
}

/// Why an audit-log entry was written.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AuditKind {
    /// ID numbers, phones or addresses were returned unmasked.
    UnmaskedRead,
    /// The register was changed (an import, a decision, a merge, a split).
    Mutation,
}

impl AuditKind {
    /// Every kind.
    pub const ALL: [AuditKind; 2] = [Self::UnmaskedRead, Self::Mutation];

    /// The name stored in the database.
    pub fn as_db(self) -> &'static str {
        match self {
            Self::UnmaskedRead => crate::access::audit::AuditKind::UnmaskedRead.as_str(),
            Self::Mutation => crate::access::audit::AuditKind::Mutation.as_str(),
        }
    }
}

/// One entry of the append-only audit log: who read personal data unmasked, or changed the
/// register, and when.
pub struct AuditEntry(pub audit_log::Model);

/// One entry of the append-only audit log: who read personal data unmasked, or changed the
/// register, and when.
#[Object]
impl AuditEntry {
    /// Entry ID (entries are numbered in the order they were written).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The token that acted (null for the command line).
    async fn token_id(&self) -> Option<ID> {
        self.0.token_id.map(|t| ID(t.to_string()))
    }
    /// Its role (`ADMIN` …; `CLI` for the command line).
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// Why the entry was written.
    async fn kind(&self) -> Option<AuditKind> {
        AuditKind::ALL
            .into_iter()
            .find(|k| k.as_db() == self.0.kind)
    }
    /// The operation: the client's operation name and the root fields that ran
    /// (`GetPerson: person`).
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// IDs of the persons read or changed.
    async fn persons(&self) -> Vec<ID> {
        serde_json::from_str::<Vec<i64>>(&self.0.persons)
            .unwrap_or_default()
            .into_iter()
            .map(|p| ID(p.to_string()))
            .collect()
    }
    /// The fields read unmasked (`idNumber`, `phones` …); empty for changes.
    async fn fields(&self) -> Vec<String> {
        serde_json::from_str(&self.0.fields).unwrap_or_default()
    }
}
