//! One resolution run: block, train (or reuse a model), score, cluster.

use std::collections::HashSet;

use super::block::{BlockingStats, candidate_pairs};
use super::cluster::{Clustering, Constraints, cluster};
use super::compare::FieldValue;
use super::model::{Model, PairLevels};
use super::profile::Profile;
use crate::telemetry::StageTimer;

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The model the pairs were scored with.
    pub model: Model,
    /// Records grouped into persons, with links and review pairs.
    pub clustering: Clustering,
    /// Candidate pairs each blocking rule produced.
    pub blocking: Vec<BlockingStats>,
    /// Candidate pairs scored.
    pub pairs: usize,
}

/// Resolves `records` (field values in profile order): candidate pairs from blocking (only
/// those `comparable` allows), a model trained on them unless one is given, then clustering
/// under the analysts' `constraints`. Blocks whose key hash is in `oversized` are skipped (see
/// [`candidate_pairs`]).
pub fn run(
    profile: &Profile,
    records: &[Vec<FieldValue>],
    comparable: impl Fn(u32, u32) -> bool,
    constraints: &Constraints,
    model: Option<&Model>,
    oversized: &HashSet<i64>,
) -> Run {
    let mut lap = StageTimer::new();
    let (pairs, blocking) = candidate_pairs(profile, records, comparable, oversized);
    lap.lap("blocking");
    // Each pair is compared once, for training and scoring alike.
    let levels = PairLevels::compare(profile, records, &pairs);
    lap.lap("comparing");
    let model = match model {
        Some(m) => m.clone(),
        None => {
            let forbidden = blocking.iter().map(|b| b.forbidden_pairs).sum();
            Model::train(profile, records, &levels, forbidden)
        }
    };
    lap.lap("training");
    let totals = model.totals(records, &pairs, &levels);
    drop(levels);
    let scored: Vec<(u32, u32, f64)> = pairs
        .iter()
        .zip(totals)
        .map(|(&(a, b), total)| (a, b, total))
        .collect();
    lap.lap("scoring");
    let clustering = cluster(&model, records, &scored, constraints);
    lap.lap("clustering");
    Run {
        model,
        clustering,
        blocking,
        pairs: pairs.len(),
    }
}
