//! A source record as it arrived and as it was normalised.

use async_graphql::{ComplexObject, Context, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Datelike as _, NaiveDate, Utc};

use super::common::{Jurisdiction, Read, Shown, visible};
use super::enums::{IdClass, Sex, Source};
use super::notice::{Notice, notice_by_id};
use super::person::{Person, person_of_record};
use crate::access::Scoped as _;
use crate::access::guard::unmask;
use crate::db::source_record;
use crate::graphql::loaders::{PersonOfRecord, RecordById, RegisterLoader};
use crate::normalize::Problem;
use crate::register::golden::StoredIdentity;

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
    /// Birth date, from the ID number or the record; null unless asked unmasked (a masked ID
    /// number hides exactly the birth date): see `birthYear`.
    pub birth_date: Option<NaiveDate>,
    /// Year of birth, shown to every reader.
    pub birth_year: Option<i32>,
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
    pub shown: Shown,
}

#[ComplexObject]
impl NormalizedIdentity {
    /// The address as written (phones, ID numbers and birth dates masked unless asked
    /// unmasked).
    async fn address(&self) -> Option<String> {
        self.address.as_deref().map(|a| self.shown.text(a))
    }
}

impl NormalizedIdentity {
    fn new(stored: StoredIdentity, shown: Shown) -> Self {
        let i = stored.identity;
        Self {
            name: i.name,
            name_pinyin: i.name_pinyin,
            surname: i.surname,
            id_number: i.id_number.map(|v| shown.id_number(&v)),
            id_class: i.id_class.map(IdClass::from),
            id_candidates: i.id_candidates.iter().map(|v| shown.id_number(v)).collect(),
            phones: i
                .phones
                .iter()
                .map(|p| RecordPhone {
                    number: shown.phone(&p.number),
                    kind: p.kind.as_str().to_owned(),
                    from_text: p.from_text,
                })
                .collect(),
            birth_date: shown.birth_date(i.birth_date),
            birth_year: i.birth_date.map(|d| d.year()),
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
            shown,
        }
    }
}

/// One version of one row of a source file, kept raw and forever.
pub struct SourceRecord(pub source_record::Model);

impl SourceRecord {
    /// `field` reading this record's row.
    fn read(&self, field: &'static str) -> Read {
        Read::new(field, "source_record", self.0.id)
    }

    /// How `field` is shown (`access::guard::unmask`), the read audited under the record's
    /// person.
    async fn reveal(
        &self,
        ctx: &Context<'_>,
        field: &'static str,
        requested: bool,
    ) -> Result<Shown> {
        if !requested {
            return Ok(Shown::new(false));
        }
        let loader = ctx.data::<RegisterLoader>()?;
        let person = loader
            .load_one(PersonOfRecord(self.0.id))
            .await?
            .map_or(0, |p| p.id);
        Ok(unmask(ctx, person, self.0.scope(), field, requested).map(Shown::new)?)
    }
}

/// One version of one row of a source file, kept raw and forever.
#[Object]
impl SourceRecord {
    /// Internal ID of this record version.
    async fn id(&self) -> ID {
        ID::from(self.0.id)
    }
    /// The source it came from.
    async fn source(&self) -> Option<Source> {
        Some(self.0.source.into())
    }
    /// The source's own key for the row (for external notices, the person entry's); a key
    /// that is a phone or an ID number is masked unless `unmasked: true` (as `raw`).
    async fn record_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<String> {
        let shown = self.reveal(ctx, "recordId", unmasked).await?;
        Ok(shown.text(&self.0.record_id))
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
        ID::from(self.0.batch_id)
    }
    /// Every column as it arrived, by original header; phones, ID numbers and birth dates
    /// masked in every value at any depth (numbers included) unless `unmasked: true` (ADMIN and the record's TOWNSHIP only; audited).
    async fn raw(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Json<serde_json::Value>> {
        let shown = self.reveal(ctx, "raw", unmasked).await?;
        let raw: serde_json::Value = self.read("SourceRecord.raw").json(&self.0.raw)?;
        Ok(Json(shown.json(raw)))
    }
    /// The identity after normalisation; ID numbers, phones, the birth date and the address
    /// masked unless
    /// `unmasked: true` (as `raw`).
    async fn normalized(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<NormalizedIdentity> {
        let shown = self.reveal(ctx, "normalized", unmasked).await?;
        let stored = self
            .read("SourceRecord.normalized")
            .json(&self.0.normalized)?;
        Ok(NormalizedIdentity::new(stored, shown))
    }
    /// What normalisation found wrong or doubtful, as evidence (never a reason to drop it).
    async fn problems(&self) -> Result<Vec<RecordProblem>> {
        let problems: Vec<Problem> = self.read("SourceRecord.problems").json(&self.0.problems)?;
        Ok(problems.into_iter().map(RecordProblem::from).collect())
    }
    /// The person this record belongs to.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person_of_record(ctx, self.0.id).await
    }
    /// When it was stored.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The external notice (协查函) the record is a person of, with its header (number,
    /// sender, send date, contact); null for records of other sources.
    async fn notice(&self, ctx: &Context<'_>) -> Result<Option<Notice>> {
        match self.0.notice_id {
            Some(id) => notice_by_id(ctx, id).await,
            None => Ok(None),
        }
    }
}

/// A record by ID; null when the caller may not see it.
pub async fn record_by_id(ctx: &Context<'_>, record: i64) -> Result<Option<SourceRecord>> {
    let loader = ctx.data::<RegisterLoader>()?;
    let found = loader.load_one(RecordById(record)).await?;
    Ok(visible(ctx, found)?.map(SourceRecord))
}
