//! DataLoaders: every relation a page of objects asks for is read in one batch per relation,
//! not once per object (no N+1). Each key type names one relation.
//!
//! The loaders read the register as it is; what a caller may see of a relation is decided
//! once, by the scoped readers here ([`records_of_person`], [`visible_records`]), which every
//! path to a person's records uses: a TOWNSHIP caller sees only its township's records,
//! whether it lists them, reads a person's links or records, or a golden value's sources.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Context, Request, ServerResult};

use crate::access::Scoped as _;
use crate::access::guard::principal;
use crate::config::limits::LOADER_DELAY;
use crate::db::{person, record_link, resolution_event, source_record};
use crate::register::Register;

/// The loaders of one request, over its register. Each request gets its own (see
/// [`PerRequestLoaders`]), so what one caches never outlives the request.
pub type RegisterLoader = DataLoader<Loaders, HashMapCache>;

/// Reads relations of the register in batches.
pub struct Loaders {
    register: Register,
}

/// A caching loader over `register` (spawning its batches on the tokio runtime).
pub fn loader(register: Register) -> RegisterLoader {
    DataLoader::with_cache(Loaders { register }, tokio::spawn, HashMapCache::default())
        .delay(LOADER_DELAY)
}

/// Schema extension giving every request a fresh [`RegisterLoader`].
pub struct PerRequestLoaders(pub Register);

impl ExtensionFactory for PerRequestLoaders {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequestLoadersExtension(self.0.clone()))
    }
}

struct PerRequestLoadersExtension(Register);

#[async_trait::async_trait]
impl Extension for PerRequestLoadersExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        next.run(ctx, request.data(loader(self.0.clone()))).await
    }
}

/// Reads, in one batch each, the relations the selection asks of a page of persons, so that
/// resolving each person's fields finds them cached. Batching by delay alone splits a large
/// page into several batches when resolving it takes longer than the delay.
pub async fn prime_persons(
    ctx: &Context<'_>,
    persons: &[person::Model],
) -> async_graphql::Result<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    let loader = ctx.data::<RegisterLoader>()?;
    let ids = || persons.iter().map(|p| p.id);
    if node.field("links").exists() || node.field("records").exists() {
        let linked = loader.load_many(ids().map(LinksOfPerson)).await?;
        let asks_person = node.field("records").field("person").exists()
            || node.field("links").field("record").field("person").exists();
        if asks_person {
            let records = linked.values().flatten().map(|(r, _)| PersonOfRecord(r.id));
            loader.load_many(records).await?;
        }
    }
    if node.field("events").exists() {
        loader.load_many(ids().map(EventsOfPerson)).await?;
    }
    Ok(())
}

/// A person's current source records with their links that the caller may see, oldest first.
pub async fn records_of_person(
    ctx: &Context<'_>,
    person: i64,
) -> async_graphql::Result<Vec<(source_record::Model, record_link::Model)>> {
    let caller = principal(ctx)?;
    let loader = ctx.data::<RegisterLoader>()?;
    let mut linked = loader
        .load_one(LinksOfPerson(person))
        .await?
        .unwrap_or_default();
    linked.retain(|(record, _)| caller.may_see(record.scope()));
    Ok(linked)
}

/// Of the source records `records`, those the caller may see (all of them for a caller that
/// sees everything).
pub async fn visible_records(
    ctx: &Context<'_>,
    records: Vec<i64>,
) -> async_graphql::Result<HashSet<i64>> {
    let caller = principal(ctx)?;
    if caller.sees_everything() {
        return Ok(records.into_iter().collect());
    }
    let loader = ctx.data::<RegisterLoader>()?;
    let found = loader
        .load_many(records.into_iter().map(RecordById))
        .await?;
    Ok(found
        .into_values()
        .filter(|record| caller.may_see(record.scope()))
        .map(|record| record.id)
        .collect())
}

/// A person's current source records with their links, all of them: read them through
/// [`records_of_person`], which leaves out those the caller may not see.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct LinksOfPerson(pub i64);

/// The person a source record version belongs to (the survivor of any merge).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct PersonOfRecord(pub i64);

/// A person by ID (the survivor of any merge).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct PersonById(pub i64);

/// A source record version by ID.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct RecordById(pub i64);

/// A person's resolution events, oldest first.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct EventsOfPerson(pub i64);

fn ids<K: Copy>(keys: &[K], id: impl Fn(K) -> i64) -> Vec<i64> {
    keys.iter().map(|k| id(*k)).collect()
}

fn rekey<K, V>(map: HashMap<i64, V>, key: impl Fn(i64) -> K) -> HashMap<K, V>
where
    K: std::hash::Hash + Eq,
{
    map.into_iter().map(|(k, v)| (key(k), v)).collect()
}

impl Loader<LinksOfPerson> for Loaders {
    type Value = Vec<(source_record::Model, record_link::Model)>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LinksOfPerson],
    ) -> Result<HashMap<LinksOfPerson, Self::Value>, Self::Error> {
        let found = self
            .register
            .records_of_persons(&ids(keys, |k| k.0))
            .await?;
        Ok(rekey(found, LinksOfPerson))
    }
}

impl Loader<PersonOfRecord> for Loaders {
    type Value = person::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PersonOfRecord],
    ) -> Result<HashMap<PersonOfRecord, Self::Value>, Self::Error> {
        let found = self
            .register
            .persons_of_records(&ids(keys, |k| k.0))
            .await?;
        Ok(rekey(found, PersonOfRecord))
    }
}

impl Loader<PersonById> for Loaders {
    type Value = person::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PersonById],
    ) -> Result<HashMap<PersonById, Self::Value>, Self::Error> {
        let found = self.register.persons_by_ids(&ids(keys, |k| k.0)).await?;
        Ok(rekey(found, PersonById))
    }
}

impl Loader<RecordById> for Loaders {
    type Value = source_record::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[RecordById],
    ) -> Result<HashMap<RecordById, Self::Value>, Self::Error> {
        let found = self
            .register
            .source_records_by_ids(&ids(keys, |k| k.0))
            .await?;
        Ok(rekey(found, RecordById))
    }
}

impl Loader<EventsOfPerson> for Loaders {
    type Value = Vec<resolution_event::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[EventsOfPerson],
    ) -> Result<HashMap<EventsOfPerson, Self::Value>, Self::Error> {
        let found = self.register.events_of_persons(&ids(keys, |k| k.0)).await?;
        Ok(rekey(found, EventsOfPerson))
    }
}

/// An external notice by ID (the notice of a record).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct NoticeById(pub i64);

impl Loader<NoticeById> for Loaders {
    type Value = crate::db::notice::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[NoticeById],
    ) -> Result<HashMap<NoticeById, Self::Value>, Self::Error> {
        let found = self.register.notices_by_id(&ids(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|n| (NoticeById(n.id), n)).collect())
    }
}
