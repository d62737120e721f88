//! A township's verification worklist: the persons it still has to check on site.

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::common::{Read, Shown};
use super::enums::Source;
use super::person::Person;
use crate::access::Scoped as _;
use crate::access::guard::principal;
use crate::db::{household_link, person};
use crate::graphql::loaders::{PersonById, RecordById, RegisterLoader};
use crate::register::Register;
use crate::register::golden::Golden;
use crate::register::query::worklist_hint;

/// A person still to be verified on site, with the hint that put them on this list.
pub struct WorklistItem(pub person::Model);

/// What hinted at where a person on a worklist is.
#[derive(SimpleObject, Clone, Debug)]
pub struct WorklistHint {
    /// The kind of source the hint came from (a big-data location, a notice's address …).
    pub source: Source,
    /// The source's own key for the record, masked as `SourceRecord.recordId` is by default;
    /// null when the caller may not see the record.
    pub record_id: Option<String>,
    /// The hint itself: the township, and the village when known.
    pub text: String,
}

/// A call to make: the number of a phone-only big-data row that fits several members of one
/// household equally well (the family shares it in the township's records). The row is
/// linked to the household (link kind `HOUSEHOLD`), never merged into a member; whoever
/// answers says which member it is.
pub struct HouseholdTask(pub household_link::Model);

/// A call to make: a phone-only row linked to the household that shares its number.
#[Object]
impl HouseholdTask {
    /// The link kind: always `HOUSEHOLD`.
    async fn rule(&self) -> &'static str {
        "HOUSEHOLD"
    }
    /// Why the row is linked to the household and not to one member (the phone is shared
    /// by N members of the household at the address), in the officer's words.
    async fn explanation(&self) -> String {
        Shown::new(false).text(&self.0.explanation)
    }
    /// The number to call, masked (`138****5678`) as phones are read by default; the full
    /// number is `person.phones(unmasked: true)` (audited, for the callers allowed it).
    async fn phones(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let loader = ctx.data::<RegisterLoader>()?;
        let Some(person) = loader.load_one(PersonById(self.0.person_id)).await? else {
            return Ok(Vec::new());
        };
        let phones: Vec<String> =
            Read::new("HouseholdTask.phones", "person", person.id).json(&person.phones)?;
        Ok(phones.iter().map(|p| Shown::new(false).phone(p)).collect())
    }
    /// The address the household's members share, masked as addresses are.
    async fn address(&self) -> String {
        Shown::new(false).text(&self.0.address)
    }
    /// How many members the number fits equally well.
    async fn member_count(&self) -> Result<i32> {
        let members: Vec<i64> = Read::new(
            "HouseholdTask.memberCount",
            "household_link",
            self.0.source_record_id,
        )
        .json(&self.0.members)?;
        Ok(members.len() as i32)
    }
    /// The household's members the number fits, as the caller may see them (masked as
    /// `persons` masks them).
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        let ids: Vec<i64> = Read::new(
            "HouseholdTask.members",
            "household_link",
            self.0.source_record_id,
        )
        .json(&self.0.members)?;
        let loader = ctx.data::<RegisterLoader>()?;
        let caller = principal(ctx)?;
        let found = loader
            .load_many(ids.iter().map(|&id| PersonById(id)))
            .await?;
        Ok(ids
            .iter()
            .filter_map(|&id| found.get(&PersonById(id)))
            .filter(|p| caller.may_see(p.scope()))
            .map(|p| Person(p.clone()))
            .collect())
    }
    /// The best pair's match weight (log2 odds) between the row and a member.
    async fn weight(&self) -> f64 {
        self.0.weight
    }
}

/// A person still to be verified on site, with the hint that put them on this list.
#[Object]
impl WorklistItem {
    /// Set when the item is a call to make rather than a visit: the person is a phone-only
    /// row linked to a household of this township (see `HouseholdTask`); null otherwise.
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<HouseholdTask>> {
        let register = ctx.data::<Register>()?;
        Ok(register.household_of(self.0.id).await?.map(HouseholdTask))
    }
    /// The person (their fields masked as `persons` masks them).
    async fn person(&self) -> Person {
        Person(self.0.clone())
    }
    /// Where the hint of a township came from; null on the county's own list (no hint).
    async fn hint(&self, ctx: &Context<'_>) -> Result<Option<WorklistHint>> {
        let golden: Golden =
            Read::new("WorklistItem.hint", "person", self.0.id).json(&self.0.golden)?;
        let Some(hint) = worklist_hint(&golden) else {
            return Ok(None);
        };
        let loader = ctx.data::<RegisterLoader>()?;
        let caller = principal(ctx)?;
        let Some(record) = loader.load_one(RecordById(hint.record)).await? else {
            return Ok(None);
        };
        let seen = caller.may_see(record.scope());
        Ok(Some(WorklistHint {
            source: record.source.into(),
            record_id: seen.then(|| Shown::new(false).text(&record.record_id)),
            text: hint.text,
        }))
    }
    /// The earliest arrival date reported.
    async fn arrival_date(&self) -> Option<NaiveDate> {
        self.0.arrival_date
    }
    /// Where the person came from, as written, with phones and ID numbers in it masked.
    async fn origin(&self) -> Option<String> {
        self.0.origin.as_deref().map(|o| Shown::new(false).text(o))
    }
}
