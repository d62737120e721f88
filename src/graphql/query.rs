//! Root queries.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::connection::{
    ImportBatchConnection, PersonConnection, ReviewCandidateConnection, SourceRecordConnection,
    page_args,
};
use super::types::{
    HubeiLink, ImportBatch, LocationStatus, MatchModel, Person, ReviewCandidate, Source,
    SourceRecord, Stats,
};
use crate::error::AppError;
use crate::register::Register;
use crate::register::query::{PersonFilter, RecordFilter};

/// Which persons to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct PersonFilterInput {
    /// Only persons in this location status.
    pub location_status: Option<LocationStatus>,
    /// Only persons of this township (any spelling the gazetteer knows).
    pub township: Option<String>,
    /// Only persons with this link to Hubei.
    pub hubei_link: Option<HubeiLink>,
}

/// Which source records to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct SourceRecordFilterInput {
    /// Only records of this source.
    pub source: Option<Source>,
    /// Only records of this import batch.
    pub batch_id: Option<ID>,
    /// Include superseded versions too (default: current versions only).
    #[graphql(default = false)]
    pub all_versions: bool,
}

fn parse_id(id: &ID, what: &str) -> Result<i64, AppError> {
    id.parse::<i64>()
        .map_err(|_| AppError::BadInput(format!("“{}”不是有效的{what} ID", id.as_str())))
}

/// The root of every query.
pub struct Query;

/// The root of every query.
#[Object]
impl Query {
    /// Persons of the register, as a Relay connection ordered by person ID.
    async fn persons(
        &self,
        ctx: &Context<'_>,
        filter: Option<PersonFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<PersonConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let filter = filter.unwrap_or_default();
        let filter = PersonFilter {
            location_status: filter.location_status.map(Into::into),
            township: filter.township,
            hubei_link: filter.hubei_link.map(Into::into),
        };
        let page = register.persons(&filter, args).await?;
        Ok(PersonConnection::from_page(page, |p| p.id, Person))
    }

    /// A person by ID. An ID merged into another person answers with the surviving person.
    async fn person(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Person>> {
        let register = ctx.data::<Register>()?;
        Ok(register.person(parse_id(&id, "人员")?).await?.map(Person))
    }

    /// The person with this ID number (15 or 18 digits, any formatting).
    async fn person_by_id_number(
        &self,
        ctx: &Context<'_>,
        id_number: String,
    ) -> Result<Option<Person>> {
        let register = ctx.data::<Register>()?;
        Ok(register.person_by_id_number(&id_number).await?.map(Person))
    }

    /// Source records as they arrived, as a Relay connection ordered by record ID.
    async fn source_records(
        &self,
        ctx: &Context<'_>,
        filter: Option<SourceRecordFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<SourceRecordConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let filter = filter.unwrap_or_default();
        let filter = RecordFilter {
            source: filter.source.map(Into::into),
            batch_id: filter
                .batch_id
                .as_ref()
                .map(|id| parse_id(id, "批次"))
                .transpose()?,
            all_versions: filter.all_versions,
        };
        let page = register.source_records(&filter, args).await?;
        Ok(SourceRecordConnection::from_page(
            page,
            |r| r.id,
            SourceRecord,
        ))
    }

    /// Import batches, oldest first, as a Relay connection.
    async fn import_batches(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ImportBatchConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let page = register.import_batches(args).await?;
        Ok(ImportBatchConnection::from_page(
            page,
            |b| b.id,
            ImportBatch,
        ))
    }

    /// Pairs of records the engine could not decide, waiting for an analyst.
    async fn review_candidates(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ReviewCandidateConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let page = register.review_candidates(args).await?;
        Ok(ReviewCandidateConnection::from_page(
            page,
            |c| c.id,
            ReviewCandidate,
        ))
    }

    /// The trained match model of the latest resolution run (none before the first import).
    async fn match_model(&self, ctx: &Context<'_>) -> Result<Option<MatchModel>> {
        let register = ctx.data::<Register>()?;
        Ok(register.latest_model().await?.map(MatchModel))
    }

    /// The register's headline figures: persons by location status and Hubei link, records
    /// by source.
    async fn stats(&self, ctx: &Context<'_>) -> Result<Stats> {
        let register = ctx.data::<Register>()?;
        Ok(register.stats().await?.into())
    }
}
