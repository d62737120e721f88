//! The root query of the review queue grouped per record (issue 25): a reviewer decides a
//! record's candidates together, the groups that change the most first. Merged into the root
//! type by [`super::QueryRoot`].

use async_graphql::{Context, ID, Object, Result};

use super::connection::{ReviewGroupConnection, page_args};
use super::types::{ReviewCandidate, ReviewFilterInput, SourceRecord};
use crate::access::guard::principal;
use crate::register::Register;
use crate::register::query::{Cursor, ReviewGroup as Group};

/// The root query of review groups.
#[derive(Default)]
pub struct ReviewGroupQuery;

/// The candidates of one record, to decide together: a row that fits several persons raises
/// one candidate per person, and deciding one of them says much about the others.
pub struct ReviewGroup(pub Group);

/// The candidates of one record, to decide together, with what deciding them changes.
#[Object]
impl ReviewGroup {
    /// The ID of the record the candidates share (the one with the most of them).
    async fn record_id(&self) -> ID {
        ID::from(self.0.record)
    }
    /// The record the candidates share; null when the caller may not see it.
    async fn record(&self, ctx: &Context<'_>) -> Result<Option<SourceRecord>> {
        super::types::record_by_id(ctx, self.0.record).await
    }
    /// Its candidates, one per pair of persons, most probable first (decide each with
    /// `decideCandidate`).
    async fn candidates(&self) -> Vec<ReviewCandidate> {
        self.0.items.iter().cloned().map(ReviewCandidate).collect()
    }
    /// How many persons the group's decisions join or keep apart (the record's and every
    /// other side's).
    async fn person_count(&self) -> u32 {
        self.0.persons
    }
    /// How many records those persons hold: what the decisions move; groups are ranked by
    /// it first.
    async fn record_count(&self) -> u64 {
        self.0.records
    }
    /// The match probability of its best candidate (with rivals weighed, as
    /// `ReviewCandidate.matchProbability`).
    async fn best_probability(&self) -> f64 {
        self.0.best_probability()
    }
}

#[Object]
impl ReviewGroupQuery {
    /// The review queue grouped per record, as a Relay connection: each group holds the
    /// candidates of one record (the one most of them share), ranked by what deciding them
    /// changes: the records of the persons they join or keep apart, then the persons, then
    /// the best candidate's probability, then the record ID. `filter` keeps candidates as
    /// `reviewCandidates` does (pending ones by default); a caller scoped to a township sees
    /// only its township's. The cursor is the group's record.
    #[graphql(
        guard = "super::rules::guard(\"reviewGroups\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    async fn review_groups(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReviewFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ReviewGroupConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let caller = principal(ctx)?;
        let only_township = (!caller.sees_everything()).then_some(caller.township.as_deref());
        let page = register
            .review_groups(&filter.unwrap_or_default().into(), &args, only_township)
            .await?;
        Ok(ReviewGroupConnection::from_page(
            page,
            |g| Cursor {
                id: g.record,
                value: None,
            },
            ReviewGroup,
        ))
    }
}
