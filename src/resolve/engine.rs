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
    let (pairs, blocking, levels, model) = std::thread::scope(|s| {
        // What training needs of the records alone (term frequencies, u from random pairs)
        // is worked out on a thread of its own while the records are blocked and their pairs
        // compared: the two share nothing, and neither keeps both cores busy throughout
        // (FEBRL4: 59 ms beside 45).
        let from_records = model.is_none().then(|| {
            std::thread::Builder::new()
                .name("paicha-train".to_owned())
                .spawn_scoped(s, || Model::from_records(profile, records))
        });
        let (pairs, blocking) = candidate_pairs(profile, records, comparable, oversized);
        lap.lap("blocking");
        // Each pair is compared once, for training and scoring alike.
        let levels = PairLevels::compare(profile, records, &pairs);
        lap.lap("comparing");
        let forbidden = blocking.iter().map(|b| b.forbidden_pairs).sum();
        let model = match (model, from_records) {
            (Some(stored), _) => stored.clone(),
            (None, Some(Ok(thread))) => thread
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
                .with_m(&levels, forbidden),
            // No thread to be had: the same work, here.
            (None, _) => Model::train(profile, records, &levels, forbidden),
        };
        (pairs, blocking, levels, model)
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::compare::NameValue;

    /// A run works out what training needs of the records alone beside blocking: the model
    /// is the one training after blocking gives.
    #[test]
    fn a_run_trained_beside_its_blocking_has_the_model_trained_after_it() {
        let mut profile = Profile::builtin("cn-identity").unwrap().unwrap();
        profile.model.min_records_for_u = 2;
        let (name, phones) = (
            profile.field_index("name").unwrap(),
            profile.field_index("phones").unwrap(),
        );
        let (surnames, given) = (
            ["张", "李", "王", "刘", "陈"],
            ["伟", "娜", "芳", "敏", "静", "强"],
        );
        let records: Vec<Vec<FieldValue>> = (0..600)
            .map(|i| {
                let mut r = vec![FieldValue::Missing; profile.fields.len()];
                let n = format!("{}{}", surnames[i % 5], given[i / 5 % 6]);
                r[name] = FieldValue::Name(NameValue::new(&n, ""));
                r[phones] = FieldValue::Set(vec![format!("138{:08}", i / 2).into()].into());
                r
            })
            .collect();
        let none = HashSet::new();
        let trained = run(
            &profile,
            &records,
            |_, _| true,
            &Constraints::default(),
            None,
            &none,
        );

        let (pairs, blocking) = candidate_pairs(&profile, &records, |_, _| true, &none);
        let levels = PairLevels::compare(&profile, &records, &pairs);
        let forbidden = blocking.iter().map(|b| b.forbidden_pairs).sum();
        assert!(trained.pairs > 0 && trained.model.report.u_pairs > 0);
        assert_eq!(
            trained.model,
            Model::train(&profile, &records, &levels, forbidden)
        );
        // A stored model is used as it is.
        let stored = run(
            &profile,
            &records,
            |_, _| true,
            &Constraints::default(),
            Some(&trained.model),
            &none,
        );
        assert_eq!(stored.model, trained.model);
    }
}
