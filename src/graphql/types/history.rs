//! The append-only history of how the register came to be as it is.

use async_graphql::{Context, ID, Json, Object, Result};
use chrono::{DateTime, Utc};

use super::common::{Read, visible};
use super::enums::EventKind;
use super::person::Person;
use super::record::{SourceRecord, record_by_id};
use crate::db::resolution_event;
use crate::graphql::loaders::{PersonById, RegisterLoader};

/// One entry of the append-only history of how the register came to be as it is.
pub struct ResolutionEvent(pub resolution_event::Model);

impl ResolutionEvent {
    /// `field` reading this event's row.
    fn read(&self, field: &'static str) -> Read {
        Read::new(field, "resolution_event", self.0.id)
    }
}

/// One entry of the append-only history of how the register came to be as it is.
#[Object]
impl ResolutionEvent {
    /// Event ID (events are numbered in the order they happened).
    async fn id(&self) -> ID {
        ID::from(self.0.id)
    }
    /// What happened.
    async fn kind(&self) -> Option<EventKind> {
        Some(self.0.kind.into())
    }
    /// ID of the person it happened to (as stored: it may have been merged away since).
    async fn person_id(&self) -> ID {
        ID::from(self.0.person_id)
    }
    /// The person it happened to (the survivor, if that person was merged away since); null
    /// when the caller may not see that person.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let loader = ctx.data::<RegisterLoader>()?;
        let found = loader.load_one(PersonById(self.0.person_id)).await?;
        Ok(visible(ctx, found)?.map(Person))
    }
    /// ID of the other person of a merge or decision.
    async fn other_person_id(&self) -> Option<ID> {
        self.0.other_person_id.map(ID::from)
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
        self.0.batch_id.map(ID::from)
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
    async fn detail(&self) -> Result<Json<serde_json::Value>> {
        let detail = self.read("ResolutionEvent.detail").json(&self.0.detail)?;
        Ok(Json(detail))
    }
}
