//! The review queue: pairs of persons the engine could not decide, with the pairs of records
//! between them, and why two records were judged alike.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::common::Read;
use super::enums::ReviewState;
use super::person::{Person, person_of_record};
use super::record::{SourceRecord, record_by_id};
use crate::db::review_candidate;
use crate::error::AppError;
use crate::register::query::{ReviewFilter, ReviewItem, ReviewPairRow};

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

/// Which review candidates `reviewCandidates` lists.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ReviewFilterInput {
    /// Candidates either of whose persons lives in this township (any form of a gazetteer
    /// name: `城关`, `城關镇` …). An unknown name is `BAD_USER_INPUT`.
    pub township: Option<String>,
    /// Candidates whose `matchProbability` (rivals weighed) is at least this, 0 to 1.
    pub min_probability: Option<f64>,
    /// Candidates in this state; `PENDING` (the queue) when left out.
    pub state: Option<ReviewState>,
}

impl From<ReviewFilterInput> for ReviewFilter {
    fn from(f: ReviewFilterInput) -> Self {
        ReviewFilter {
            township: f.township,
            min_probability: f.min_probability,
            state: f.state.map(Into::into),
        }
    }
}

/// The order of the review queue.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
#[graphql(remote = "crate::register::query::ReviewOrder")]
pub enum ReviewOrder {
    /// Most probable first (`matchProbability`), then by ID. The default.
    #[default]
    ProbabilityDesc,
    /// Oldest first: the order the candidates were raised in.
    CreatedAt,
    /// By candidate ID.
    Id,
}

/// One item of the review queue: two persons the engine could not decide are one, with
/// every pair of their records it left for an analyst (`pairs`). The headline fields (`a`,
/// `b`, `matchProbability`, `explanation` …) are those of the best pair. The ID is the
/// smallest candidate ID among the pairs and survives later resolution runs; deciding it
/// decides between the two persons.
pub struct ReviewCandidate(pub ReviewItem);

impl ReviewCandidate {
    fn best(&self) -> &review_candidate::Model {
        &self.0.best().row
    }
}

/// A pair of records the engine could not decide, for an analyst: the best pair between two
/// persons, and all of them in `pairs`.
#[Object]
impl ReviewCandidate {
    /// Candidate ID: stays the same from one resolution run to the next while the candidate
    /// is pending.
    async fn id(&self) -> ID {
        ID::from(self.0.id)
    }
    /// The first record of the best pair.
    async fn a(&self, ctx: &Context<'_>) -> Result<Option<SourceRecord>> {
        record_by_id(ctx, self.best().record_a).await
    }
    /// The second record of the best pair.
    async fn b(&self, ctx: &Context<'_>) -> Result<Option<SourceRecord>> {
        record_by_id(ctx, self.best().record_b).await
    }
    /// The person the first record belongs to now.
    async fn person_a(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person_of_record(ctx, self.best().record_a).await
    }
    /// The person the second record belongs to now.
    async fn person_b(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person_of_record(ctx, self.best().record_b).await
    }
    /// Total match weight of the best pair: log2 odds that the two are one person, the prior
    /// included.
    async fn total_weight(&self) -> f64 {
        self.best().total_weight
    }
    /// The probability that the two are one person, with the rivals weighed: the other
    /// persons the same records are candidates for. A record that fits three relatives
    /// equally is about a third for each, not 0.996. `pairProbability` is the pair alone.
    async fn match_probability(&self) -> f64 {
        self.0.best().match_probability
    }
    /// The best pair's own probability, from its match weight alone (`2^w / (1 + 2^w)`).
    async fn pair_probability(&self) -> f64 {
        self.0.best().pair_probability
    }
    /// Field by field: how the best pair compared and what it weighed.
    async fn explanation(&self) -> Result<Vec<MatchExplanation>> {
        let best = self.best();
        let read = Read::new("ReviewCandidate.explanation", "review_candidate", best.id);
        Ok(explanation_of(read, &best.explanation)?)
    }
    /// Every pair of records between the two persons left for an analyst, most probable
    /// first.
    async fn pairs(&self) -> Vec<RecordPair> {
        self.0.pairs.iter().cloned().map(RecordPair).collect()
    }
    /// Waiting for an analyst, decided, or withdrawn.
    async fn state(&self) -> ReviewState {
        self.best().state.into()
    }
    /// When the engine raised its first pair.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at()
    }
    /// What the analyst wrote with the decision.
    async fn note(&self) -> Option<&str> {
        self.best().note.as_deref()
    }
    /// When it was decided (or withdrawn).
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.best().decided_at
    }
    /// Who decided it.
    async fn decided_by(&self) -> Option<&str> {
        self.best().decided_by.as_deref()
    }
    /// Why a `WITHDRAWN` candidate left the queue (`两条记录已合并为同一人` …).
    async fn closed_reason(&self) -> Option<&str> {
        self.best().closed_reason.as_deref()
    }
}

/// One pair of records of a review candidate.
pub struct RecordPair(pub ReviewPairRow);

/// One pair of records of a review candidate, with how they compared.
#[Object]
impl RecordPair {
    /// The pair's own candidate ID (`decideCandidate` takes it too).
    async fn id(&self) -> ID {
        ID::from(self.0.row.id)
    }
    /// The first record.
    async fn a(&self, ctx: &Context<'_>) -> Result<Option<SourceRecord>> {
        record_by_id(ctx, self.0.row.record_a).await
    }
    /// The second record.
    async fn b(&self, ctx: &Context<'_>) -> Result<Option<SourceRecord>> {
        record_by_id(ctx, self.0.row.record_b).await
    }
    /// Match weight: log2 odds that the two are one person, the prior included.
    async fn total_weight(&self) -> f64 {
        self.0.row.total_weight
    }
    /// The probability with the rivals of both records weighed (see
    /// `ReviewCandidate.matchProbability`).
    async fn match_probability(&self) -> f64 {
        self.0.match_probability
    }
    /// The pair's own probability, from its weight alone.
    async fn pair_probability(&self) -> f64 {
        self.0.pair_probability
    }
    /// Field by field: how the two records compared and what it weighed.
    async fn explanation(&self) -> Result<Vec<MatchExplanation>> {
        let read = Read::new("RecordPair.explanation", "review_candidate", self.0.row.id);
        Ok(explanation_of(read, &self.0.row.explanation)?)
    }
}
