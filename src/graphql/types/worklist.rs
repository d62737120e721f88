//! A township's verification worklist: the persons it still has to check on site.

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::common::{Read, Shown};
use super::enums::Source;
use super::person::Person;
use crate::access::Scoped as _;
use crate::access::guard::principal;
use crate::db::person;
use crate::graphql::loaders::{RecordById, RegisterLoader};
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

/// A person still to be verified on site, with the hint that put them on this list.
#[Object]
impl WorklistItem {
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
