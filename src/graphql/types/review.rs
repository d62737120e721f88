//! Pairs of records the engine could not decide, and why two records were judged alike.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::common::Read;
use super::enums::ReviewState;
use super::person::{Person, person_of_record};
use super::record::{SourceRecord, record_by_id};
use crate::db::review_candidate;
use crate::error::AppError;

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

/// The comparisons stored as JSON in an `explanation` column.
pub fn explanation_of(read: Read, json: &str) -> Result<Vec<MatchExplanation>, AppError> {
    #[derive(serde::Deserialize)]
    struct Stored {
        field: String,
        level: String,
        weight: f64,
    }
    let stored: Vec<Stored> = read.json(json)?;
    Ok(stored
        .into_iter()
        .map(|s| MatchExplanation {
            field: s.field,
            level: s.level,
            weight: s.weight,
        })
        .collect())
}

/// A pair of records the engine could not decide: more alike than strangers, less than the
/// same person. An analyst decides it.
pub struct ReviewCandidate(pub review_candidate::Model);

/// A pair of records the engine could not decide, for an analyst.
#[Object]
impl ReviewCandidate {
    /// Candidate ID.
    async fn id(&self) -> ID {
        ID::from(self.0.id)
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
    async fn explanation(&self) -> Result<Vec<MatchExplanation>> {
        let read = Read::new("ReviewCandidate.explanation", "review_candidate", self.0.id);
        Ok(explanation_of(read, &self.0.explanation)?)
    }
    /// Waiting for an analyst, or decided.
    async fn state(&self) -> ReviewState {
        self.0.state.into()
    }
    /// When the engine raised it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
