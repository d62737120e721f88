//! The trained match model: the weights behind every decision.

use async_graphql::{ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::common::Read;
use crate::db::match_model;
use crate::error::AppError;
use crate::resolve::block::BlockingStats;
use crate::resolve::model::Model;

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

impl From<BlockingStats> for BlockingRuleStats {
    fn from(b: BlockingStats) -> Self {
        Self {
            rule: b.rule,
            pairs: b.pairs,
            new_pairs: b.new_pairs,
            skipped_blocks: b.skipped_blocks,
        }
    }
}

/// The trained match model of the latest resolution run: the weights behind every decision.
pub struct MatchModel(pub match_model::Model);

/// The trained match model of the latest resolution run.
#[Object]
impl MatchModel {
    /// Model ID (an import batch's `matchModelId` names the model it was matched with).
    async fn id(&self) -> ID {
        ID::from(self.0.id)
    }
    /// Matching profile, e.g. `cn-identity`.
    async fn profile(&self) -> &str {
        &self.0.profile
    }
    /// When it was trained.
    async fn trained_at(&self) -> DateTime<Utc> {
        self.0.trained_at
    }
    /// Share of candidate pairs that are the same person (EM's estimate).
    async fn lambda(&self) -> Result<f64> {
        Ok(self.model("MatchModel.lambda")?.lambda)
    }
    /// Records trained on.
    async fn records(&self) -> Result<u64> {
        Ok(self.model("MatchModel.records")?.report.records as u64)
    }
    /// Candidate pairs compared.
    async fn candidate_pairs(&self) -> Result<u64> {
        Ok(self.model("MatchModel.candidatePairs")?.report.pairs as u64)
    }
    /// EM iterations run.
    async fn em_iterations(&self) -> Result<u64> {
        Ok(self.model("MatchModel.emIterations")?.report.iterations as u64)
    }
    /// Every compared field with its levels' m, u and weight.
    async fn fields(&self) -> Result<Vec<ModelField>> {
        let model = self.model("MatchModel.fields")?;
        Ok(model
            .params
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
            .collect())
    }
    /// Candidate pairs per blocking rule.
    async fn blocking(&self) -> Result<Vec<BlockingRuleStats>> {
        let stored: Vec<BlockingStats> = self.read("MatchModel.blocking").json(&self.0.blocking)?;
        Ok(stored.into_iter().map(BlockingRuleStats::from).collect())
    }
}

impl MatchModel {
    /// `field` reading this model's row.
    fn read(&self, field: &'static str) -> Read {
        Read::new(field, "match_model", self.0.id)
    }

    /// The stored model, read by `field`.
    fn model(&self, field: &'static str) -> Result<Model, AppError> {
        self.read(field).json(&self.0.model)
    }
}
