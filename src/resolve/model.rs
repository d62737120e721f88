//! The Fellegi–Sunter model: u from random pairs, m by EM, log-likelihood weights, scores.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::compare::{Comparison, FieldValue, mask_key};
use super::frequencies::{equal_share, term_frequencies};
use super::profile::Profile;

/// A small, seeded generator (SplitMix64): training samples the same pairs every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// What training saw and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    /// Records the model was trained on.
    pub records: usize,
    /// Candidate pairs EM ran over.
    pub pairs: usize,
    /// Distinct comparison patterns among them.
    pub patterns: usize,
    /// EM iterations run.
    pub iterations: usize,
    /// Random pairs u was estimated from.
    pub u_pairs: usize,
    /// True when EM's estimate was thrown away for the priors (see `Model::train`).
    #[serde(default)]
    pub em_rejected: bool,
    /// Current records of the register when the model was trained: more than `records`
    /// when it was trained on a batch and its neighbourhood (0 in models stored before this
    /// was kept: then `records` was the register).
    #[serde(default)]
    pub register: usize,
}

impl TrainingReport {
    /// The register's size the model's age is measured from (see
    /// [`super::profile::ModelSettings::retrain_growth`]).
    pub fn register_size(&self) -> usize {
        self.records.max(self.register)
    }
}

/// Trained parameters of one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldParams {
    /// The field's name.
    pub field: String,
    /// Level names, best first.
    pub levels: Vec<String>,
    /// P(level | same person).
    pub m: Vec<f64>,
    /// P(level | different persons).
    pub u: Vec<f64>,
}

impl FieldParams {
    /// log2(m / u) of each level.
    pub fn weights(&self) -> Vec<f64> {
        self.m
            .iter()
            .zip(&self.u)
            .map(|(m, u)| (m / u).log2())
            .collect()
    }

    /// Each level with its weight, `EXACT 17.3, DIFFERENT -7.6`, for benchmark printouts.
    pub fn weights_text(&self) -> String {
        self.levels
            .iter()
            .zip(self.weights())
            .map(|(l, w)| format!("{l} {w:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A trained model: everything needed to score a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The profile it was trained for.
    pub profile: Profile,
    /// Share of candidate pairs that are the same person.
    pub lambda: f64,
    /// Per field, in profile order.
    pub params: Vec<FieldParams>,
    /// Per field with term frequencies on: how often each value occurs, relative to the average
    /// value (1 = as often as values usually occur). For an ID number: how many distinct valid
    /// numbers of the data fit each mask's shown digits (see [`mask_key`]).
    #[serde(skip)]
    pub term_frequency: Vec<Option<HashMap<String, f64>>>,
    /// The chance that a mask fits a stranger's number, from the data's valid numbers (see
    /// [`MaskChance`]); `None` without term frequencies on an ID number field.
    #[serde(default)]
    pub mask_chance: Option<MaskChance>,
    pub report: TrainingReport,
    /// The profile's correlated groups, and each field's group.
    #[serde(skip)]
    groups: Vec<Vec<usize>>,
    #[serde(skip)]
    group_of: Vec<Option<usize>>,
}

/// How many of the data's distinct valid full ID numbers show each prefix and each suffix that
/// masks show (`4201`, `420102`, `1234`), to price a mask's agreement with a full number.
///
/// The chance that a full number fits a mask by accident is far from the same for every mask: a
/// county's own region code, or Wuhan's `4201`, begins a third or more of the numbers, a
/// district's six digits a few per cent. Random pairs cannot measure it either: among a few
/// hundred thousand of them a mask fits a full number by chance less than once, so a sampled u
/// sits at the estimator's floor. The share of numbers with the mask's prefix times the share
/// with its suffix is the chance itself (prefix and suffix are independent: region and birth
/// against sequence number and check digit).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MaskChance {
    /// Distinct valid full numbers counted.
    pub numbers: u64,
    /// How many of them begin with each shown prefix.
    pub prefixes: HashMap<String, u64>,
    /// How many of them end with each shown suffix.
    pub suffixes: HashMap<String, u64>,
}

impl MaskChance {
    /// Counts the prefixes and suffixes of the mask shapes in `records` (field `f`) among the
    /// records' distinct valid full numbers; `None` when there are no masks or no numbers.
    fn count(f: usize, records: &[Vec<FieldValue>]) -> Option<Self> {
        let mut shapes: Vec<(usize, usize)> = records
            .iter()
            .filter_map(|r| mask_key(&r[f]))
            .filter_map(|k| k.split_once('|').map(|(p, s)| (p.len(), s.len())))
            .collect();
        shapes.sort_unstable();
        shapes.dedup();
        if shapes.is_empty() {
            return None;
        }
        let full: rustc_hash::FxHashSet<&str> =
            records.iter().filter_map(|r| r[f].valid_id()).collect();
        if full.is_empty() {
            return None;
        }
        let mut chance = Self {
            numbers: full.len() as u64,
            ..Self::default()
        };
        let mut prefix_lengths: Vec<usize> = shapes.iter().map(|s| s.0).collect();
        let mut suffix_lengths: Vec<usize> = shapes.iter().map(|s| s.1).collect();
        prefix_lengths.dedup();
        suffix_lengths.sort_unstable();
        suffix_lengths.dedup();
        for n in full {
            for &p in &prefix_lengths {
                if let Some(prefix) = n.get(..p) {
                    *chance.prefixes.entry(prefix.to_owned()).or_default() += 1;
                }
            }
            for &s in &suffix_lengths {
                if let Some(suffix) = n.len().checked_sub(s).and_then(|at| n.get(at..)) {
                    *chance.suffixes.entry(suffix.to_owned()).or_default() += 1;
                }
            }
        }
        Some(chance)
    }

    /// The chance that a random valid number of the data fits the mask with key `key` (as
    /// [`mask_key`] makes it); half a number where none shows the prefix or suffix.
    pub fn fit(&self, key: &str) -> Option<f64> {
        let (prefix, suffix) = key.split_once('|')?;
        if self.numbers == 0 {
            return None;
        }
        let n = self.numbers as f64;
        let share = |count: Option<&u64>| {
            let count = count.copied().unwrap_or(0) as f64;
            count.max(0.5) / n
        };
        let prefix_share = if prefix.is_empty() {
            1.0
        } else {
            share(self.prefixes.get(prefix))
        };
        Some((prefix_share * share(self.suffixes.get(suffix))).min(1.0))
    }
}

/// One field's part in a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldScore {
    /// The field's name.
    pub field: String,
    /// The level the two values compared at.
    pub level: String,
    /// Its weight, log2(m/u) (term-frequency adjusted where the profile says so).
    pub weight: f64,
}

/// The score of a pair of records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Total match weight: log2 prior odds plus every field's weight. Minus infinity when a
    /// hard rule forbids the match.
    pub total: f64,
    /// The fields that could be compared.
    pub fields: Vec<FieldScore>,
    /// True when two different valid values of the profile's distinguishing field met.
    pub forbidden: bool,
}

impl Score {
    /// Match probability of the total weight.
    pub fn probability(&self) -> f64 {
        if self.total == f64::NEG_INFINITY {
            return 0.0;
        }
        let odds = self.total.exp2();
        odds / (1.0 + odds)
    }
}

/// The levels of many pairs, compared once and read by both EM and scoring: one byte per
/// field and pair, [`PairLevels::MISSING`] where either value is missing.
#[derive(Debug, Clone, Default)]
pub struct PairLevels {
    width: usize,
    levels: Vec<u8>,
}

impl PairLevels {
    /// A field that could not be compared.
    const MISSING: u8 = u8::MAX;

    /// Compares every pair of `pairs`, on every core.
    pub fn compare(profile: &Profile, records: &[Vec<FieldValue>], pairs: &[(u32, u32)]) -> Self {
        let width = profile.fields.len();
        let levels =
            crate::parallel::map_chunks(pairs, 20_000, |share| {
                let mut out = Vec::with_capacity(share.len() * width);
                for &(a, b) in share {
                    let (a, b) = (&records[a as usize], &records[b as usize]);
                    out.extend(profile.fields.iter().enumerate().map(|(f, spec)| {
                        spec.comparison.level(&a[f], &b[f]).unwrap_or(Self::MISSING)
                    }));
                }
                out
            });
        Self { width, levels }
    }

    /// Pairs compared.
    pub fn len(&self) -> usize {
        self.levels.len().checked_div(self.width).unwrap_or(0)
    }

    /// True when no pair was compared.
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// The levels of pair `i`, one byte per field.
    fn of(&self, i: usize) -> &[u8] {
        &self.levels[i * self.width..(i + 1) * self.width]
    }

    fn level(byte: u8) -> Option<u8> {
        (byte != Self::MISSING).then_some(byte)
    }
}

impl Model {
    /// The model with the profile's prior m and u, before any training.
    pub fn untrained(profile: &Profile) -> Self {
        let params = profile
            .fields
            .iter()
            .enumerate()
            .map(|(f, spec)| {
                let levels = spec.comparison.levels();
                FieldParams {
                    field: spec.name.clone(),
                    levels: levels.iter().map(|l| (*l).to_owned()).collect(),
                    m: (0..levels.len()).map(|l| profile.prior(f, l).m).collect(),
                    u: (0..levels.len()).map(|l| profile.prior(f, l).u).collect(),
                }
            })
            .collect();
        let (groups, group_of) = correlated_groups(profile);
        Self {
            profile: profile.clone(),
            lambda: profile.model.prior,
            params,
            term_frequency: vec![None; profile.fields.len()],
            mask_chance: None,
            report: TrainingReport::default(),
            groups,
            group_of,
        }
    }

    /// A stored model (as [`Model::stored_terms`] and serde wrote it) made usable again for
    /// `profile`: `None` when it was trained for another profile; an error when it cannot be read.
    pub fn restore(
        profile: &Profile,
        model: &str,
        terms: &str,
    ) -> Result<Option<Self>, serde_json::Error> {
        let mut model: Model = serde_json::from_str(model)?;
        if model.profile != *profile {
            return Ok(None);
        }
        let mut stored: HashMap<String, HashMap<String, f64>> = serde_json::from_str(terms)?;
        model.term_frequency = profile
            .fields
            .iter()
            .map(|f| {
                f.term_frequency
                    .then(|| stored.remove(&f.name).unwrap_or_default())
            })
            .collect();
        (model.groups, model.group_of) = correlated_groups(profile);
        Ok(Some(model))
    }

    /// The term frequencies to store with the model, as JSON by field name: only values more
    /// common than the average value, since only those change a weight.
    pub fn stored_terms(&self) -> String {
        let terms: std::collections::BTreeMap<&str, std::collections::BTreeMap<&str, f64>> = self
            .profile
            .fields
            .iter()
            .zip(&self.term_frequency)
            .filter_map(|(f, tf)| {
                let common = tf
                    .as_ref()?
                    .iter()
                    .filter(|(_, ratio)| **ratio > 1.0)
                    .map(|(k, r)| (k.as_str(), *r))
                    .collect();
                Some((f.name.as_str(), common))
            })
            .collect();
        serde_json::to_string(&terms).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Trains on `records`: term frequencies from all values, u from random pairs, then m and
    /// the prior by EM over the candidate pairs (their `levels`), plus `forbidden` pairs the
    /// blocks held that a hard rule rules out (counted as certain non-matches in the prior,
    /// never compared). Deterministic for a profile's seed.
    pub fn train(
        profile: &Profile,
        records: &[Vec<FieldValue>],
        levels: &PairLevels,
        forbidden: u64,
    ) -> Self {
        Self::from_records(profile, records).with_m(levels, forbidden)
    }

    /// The first part of [`Model::train`], the part that needs the records alone (not the
    /// candidate pairs): term frequencies, mask chances and u from random pairs. A run does it
    /// while it blocks and compares.
    pub fn from_records(profile: &Profile, records: &[Vec<FieldValue>]) -> Self {
        let mut lap = crate::telemetry::StageTimer::new();
        let mut model = Self::untrained(profile);
        model.report.records = records.len();
        model.term_frequency = term_frequencies(profile, records);
        lap.lap("term frequencies");
        model.mask_chance = profile
            .fields
            .iter()
            .position(|f| f.term_frequency && matches!(f.comparison, Comparison::IdNumber))
            .and_then(|f| MaskChance::count(f, records));
        lap.lap("mask chances");
        model.estimate_u(records);
        lap.lap("u from random pairs");
        model
    }

    /// The rest of [`Model::train`] on a model [`Model::from_records`] made: m and the prior
    /// by EM over the candidate pairs' `levels` and `forbidden` pairs.
    pub fn with_m(mut self, levels: &PairLevels, forbidden: u64) -> Self {
        let mut lap = crate::telemetry::StageTimer::new();
        self.estimate_m(levels, forbidden);
        lap.lap("m by EM");
        self
    }

    fn estimate_u(&mut self, records: &[Vec<FieldValue>]) {
        let n = records.len() as u64;
        if records.len() < self.profile.model.min_records_for_u.max(2) {
            return;
        }
        let mut rng = SplitMix(self.profile.model.seed);
        let mut counts: Vec<Vec<u64>> = self.params.iter().map(|p| vec![0; p.m.len()]).collect();
        let samples = self.profile.model.u_sample_pairs;
        // The pairs are drawn in order, then compared on every core. Positions are drawn in
        // the records' content order, not their IDs': the same records give the same sample
        // whatever order they were imported in.
        let by_content = super::canonical::order(records);
        let sampled: Vec<(u32, u32)> = (0..samples)
            .filter_map(|_| {
                let a = by_content[(rng.next() % n) as usize];
                let b = by_content[(rng.next() % n) as usize];
                (a != b).then_some((a, b))
            })
            .collect();
        let levels = PairLevels::compare(&self.profile, records, &sampled);
        // Each field's share of equal values, a pass over the records each: on both cores
        // for a large register (a million records: about 2 s on one).
        let fields = &self.profile.fields;
        let exact: Vec<Option<f64>> = crate::parallel::map_range(
            fields.len(),
            if records.len() >= 50_000 {
                2
            } else {
                usize::MAX
            },
            |range| {
                range
                    .map(|f| equal_share(&fields[f].comparison, f, records))
                    .collect()
            },
        );
        for i in 0..levels.len() {
            for (f, &level) in levels.of(i).iter().enumerate() {
                if let Some(l) = PairLevels::level(level) {
                    counts[f][l as usize] += 1;
                }
            }
        }
        self.report.u_pairs = samples;
        for (f, field_counts) in counts.iter().enumerate() {
            let total: u64 = field_counts.iter().sum();
            if total < 100 {
                continue; // too few comparable pairs: keep the prior
            }
            // The prior counts as ten pairs; no level falls below half a pair's share.
            let floor = 0.5 / total as f64;
            let prior = &self.params[f].u.clone();
            let u: Vec<f64> = field_counts
                .iter()
                .zip(prior)
                .map(|(c, p)| ((*c as f64 + 10.0 * p) / (total as f64 + 10.0)).max(floor))
                .collect();
            let sum: f64 = u.iter().sum();
            let mut u: Vec<f64> = u.into_iter().map(|x| x / sum).collect();
            // The first level of every comparison but an ID number's is "the values are equal",
            // whose chance is counted exactly rather than sampled: a name two random records
            // share is rarer than one in 25 000, so the sample holds a handful of such pairs
            // and the weight of agreeing names moved by two and a half bits between two parts
            // of one register (issue 25).
            if let Some(exact) = exact[f] {
                let rest: f64 = u[1..].iter().sum();
                let scale = if rest > 0.0 {
                    (1.0 - exact) / rest
                } else {
                    0.0
                };
                u[0] = exact;
                for x in &mut u[1..] {
                    *x *= scale;
                }
            }
            self.params[f].u = u;
        }
    }

    fn estimate_m(&mut self, levels: &PairLevels, forbidden: u64) {
        // Candidate pairs repeat a few comparison patterns: EM runs over patterns and counts.
        let mut counts: rustc_hash::FxHashMap<&[u8], u64> = rustc_hash::FxHashMap::default();
        for i in 0..levels.len() {
            *counts.entry(levels.of(i)).or_default() += 1;
        }
        let mut patterns: Vec<(Vec<Option<u8>>, u64)> = counts
            .into_iter()
            .map(|(p, n)| (p.iter().map(|&l| PairLevels::level(l)).collect(), n))
            .collect();
        patterns.sort_unstable();
        self.report.pairs = levels.len();
        self.report.patterns = patterns.len();
        if levels.len() < self.profile.model.min_pairs_for_em {
            return;
        }
        let total: f64 = patterns.iter().map(|(_, c)| *c as f64).sum::<f64>() + forbidden as f64;
        let before = (self.params.clone(), self.lambda);
        for iteration in 0..self.profile.model.em_iterations {
            let log_u: Vec<Vec<f64>> = self
                .params
                .iter()
                .map(|p| p.u.iter().map(|x| x.ln()).collect())
                .collect();
            let log_m: Vec<Vec<f64>> = self
                .params
                .iter()
                .map(|p| p.m.iter().map(|x| x.ln()).collect())
                .collect();
            let mut m_num: Vec<Vec<f64>> =
                self.params.iter().map(|p| vec![0.0; p.m.len()]).collect();
            let mut matched = 0.0;
            for (pattern, count) in &patterns {
                let (mut lm, mut lu) = (self.lambda.ln(), (1.0 - self.lambda).ln());
                for (f, level) in pattern.iter().enumerate() {
                    if let Some(l) = level {
                        lm += log_m[f][*l as usize];
                        lu += log_u[f][*l as usize];
                    }
                }
                let p = 1.0 / (1.0 + (lu - lm).exp());
                let weight = p * *count as f64;
                matched += weight;
                for (f, level) in pattern.iter().enumerate() {
                    if let Some(l) = level {
                        m_num[f][*l as usize] += weight;
                    }
                }
            }
            let mut change: f64 = 0.0;
            for (f, num) in m_num.iter().enumerate() {
                let den: f64 = num.iter().sum();
                if den <= 0.0 || !self.profile.fields[f].train_m {
                    continue;
                }
                let levels = num.len() as f64;
                for (l, x) in num.iter().enumerate() {
                    // A small pseudo-count keeps every level possible.
                    let m = ((x + 0.01) / (den + 0.01 * levels)).clamp(1e-6, 1.0 - 1e-6);
                    change = change.max((m - self.params[f].m[l]).abs());
                    self.params[f].m[l] = m;
                }
            }
            let lambda = (matched / total).clamp(1e-6, 1.0 - 1e-6);
            change = change.max((lambda - self.lambda).abs());
            self.lambda = lambda;
            self.report.iterations = iteration + 1;
            if change < 1e-6 {
                break;
            }
        }
        // EM that ends with (almost) every pair a match, or none, has found no structure to
        // learn from — typically a file with no duplicates in it yet: keep the priors.
        if !(0.001..=0.99).contains(&self.lambda) {
            (self.params, self.lambda) = before;
            self.report.em_rejected = true;
        }
    }

    /// Scores a pair of records, field by field.
    pub fn score(&self, a: &[FieldValue], b: &[FieldValue]) -> Score {
        let mut fields = Vec::new();
        let (total, forbidden, _) = self.evaluate(a, b, None, Some(&mut fields), true);
        Score {
            total,
            fields,
            forbidden,
        }
    }

    /// The total match weight of a pair (minus infinity when forbidden) and whether any field
    /// could be compared; no explanation is built.
    pub fn total(&self, a: &[FieldValue], b: &[FieldValue]) -> (f64, bool) {
        let (total, _, comparable) = self.evaluate(a, b, None, None, true);
        (total, comparable)
    }

    /// The total match weight of every pair whose levels were compared into `levels` (minus
    /// infinity when forbidden), on every core: the levels are not compared again.
    pub fn totals(
        &self,
        records: &[Vec<FieldValue>],
        pairs: &[(u32, u32)],
        levels: &PairLevels,
    ) -> Vec<f64> {
        crate::parallel::map_range(pairs.len(), 20_000, |share| {
            share
                .map(|i| {
                    let (a, b) = pairs[i];
                    let (a, b) = (&records[a as usize], &records[b as usize]);
                    self.evaluate(a, b, Some(levels.of(i)), None, true).0
                })
                .collect()
        })
    }

    /// The total with every agreement counted, correlated or not: it cannot decide a match,
    /// but among persons sharing a household it tells which one a weak record fits best
    /// (same arrival, same origin, same place).
    pub fn total_ungrouped(&self, a: &[FieldValue], b: &[FieldValue]) -> f64 {
        self.evaluate(a, b, None, None, false).0
    }

    /// The total weight of a pair, whether a hard rule forbids it, and whether any field could
    /// be compared. The levels are the pair's `known` ones (as [`PairLevels`] holds them) or
    /// compared here (`None`); `explain` receives each field's weight, and `grouped` counts
    /// only the strongest agreement of each correlated group.
    fn evaluate(
        &self,
        a: &[FieldValue],
        b: &[FieldValue],
        known: Option<&[u8]>,
        explain: Option<&mut Vec<FieldScore>>,
        grouped: bool,
    ) -> (f64, bool, bool) {
        let prior = (self.lambda / (1.0 - self.lambda)).log2();
        let mut total = prior;
        let mut forbidden = false;
        let mut comparable = false;
        let distinct = self
            .profile
            .distinct_when_different
            .as_deref()
            .and_then(|name| self.profile.field_index(name));
        // Per correlated group: the strongest agreement so far and the field that gave it.
        let mut group_best: Vec<Option<(f64, usize)>> = vec![None; self.groups.len()];
        let mut weights: Vec<Option<(u8, f64)>> = vec![None; self.profile.fields.len()];
        for (f, spec) in self.profile.fields.iter().enumerate() {
            let level = match known {
                Some(levels) => PairLevels::level(levels[f]),
                None => spec.comparison.level(&a[f], &b[f]),
            };
            let Some(level) = level else {
                continue;
            };
            comparable = true;
            let l = level as usize;
            let params = &self.params[f];
            let mut weight = (params.m[l] / params.u[l]).log2();
            if let Some(tf) = &self.term_frequency[f] {
                if matches!(spec.comparison, Comparison::IdNumber) {
                    if (MASKED_AGREE..=MASKED_PARTIAL).contains(&l)
                        && let Some(key) = mask_key(&a[f]).or_else(|| mask_key(&b[f]))
                    {
                        // Against a full number, the mask's own chance of fitting a stranger's
                        // number is its u (see `MaskChance`). Two masks agree by accident as
                        // often as a stranger's number shows the digits both of them show.
                        let fits = if has_full(&a[f]) || has_full(&b[f]) {
                            Some(key.clone())
                        } else {
                            mask_key(&b[f]).map(|other| shared_mask_key(&key, &other))
                        };
                        if let Some(chance) = self
                            .mask_chance
                            .as_ref()
                            .zip(fits)
                            .and_then(|(c, fits)| c.fit(&fits))
                        {
                            weight = (params.m[l] / chance).log2();
                        }
                        // A mask that k persons' numbers fit points at each of them with odds
                        // 1/k at best: blocking on a mask offers every one of them.
                        if let Some(k) = tf.get(&key) {
                            weight -= k.log2().max(0.0);
                        }
                    }
                } else if l == 0
                    && let Some(ratio) = shared_term(&a[f], &b[f]).and_then(|t| tf.get(t))
                {
                    // A value more common than values usually are (a phone a whole family
                    // gives, a frequent surname) says that much less.
                    weight -= ratio.log2().max(0.0);
                }
            }
            // Two different valid ID numbers are two persons; so are a mask and a valid
            // number (or two masks) whose shown digits differ: the mask is its row's holder's
            // number, and a person whose number it cannot be is not that holder.
            let names_a_number = |v: &FieldValue| v.valid_id().is_some() || mask_key(v).is_some();
            // The level first: `mask_key` builds a string, and this runs for every pair.
            if Some(f) == distinct
                && l == params.m.len() - 1
                && names_a_number(&a[f])
                && names_a_number(&b[f])
            {
                forbidden = true;
            }
            weights[f] = Some((level, weight));
            match self.group_of[f] {
                Some(g) if grouped && weight > 0.0 => {
                    if group_best[g].is_none_or(|(w, _)| weight > w) {
                        group_best[g] = Some((weight, f));
                    }
                }
                _ => total += weight,
            }
        }
        for (w, _) in group_best.iter().flatten() {
            total += w;
        }
        if let Some(out) = explain {
            out.push(FieldScore {
                field: "prior".to_owned(),
                level: "PRIOR".to_owned(),
                weight: prior,
            });
            for (f, found) in weights.iter().enumerate() {
                let Some((level, weight)) = found else {
                    continue;
                };
                // An agreement outdone by a stronger one of its group counts nothing.
                let counted = match self.group_of[f] {
                    Some(g) if *weight > 0.0 => {
                        if group_best[g].is_some_and(|(_, best)| best == f) {
                            *weight
                        } else {
                            0.0
                        }
                    }
                    _ => *weight,
                };
                out.push(FieldScore {
                    field: self.profile.fields[f].name.clone(),
                    level: self.params[f].levels[*level as usize].clone(),
                    weight: counted,
                });
            }
        }
        if forbidden {
            total = f64::NEG_INFINITY;
        }
        (total, forbidden, comparable)
    }
}

/// The profile's correlated groups as field positions, and each field's group.
fn correlated_groups(profile: &Profile) -> (Vec<Vec<usize>>, Vec<Option<usize>>) {
    let groups: Vec<Vec<usize>> = profile
        .correlated
        .iter()
        .map(|g| g.iter().filter_map(|f| profile.field_index(f)).collect())
        .collect();
    let mut group_of = vec![None; profile.fields.len()];
    for (g, fields) in groups.iter().enumerate() {
        for &f in fields {
            group_of[f] = Some(g);
        }
    }
    (groups, group_of)
}

/// The key of the digits two agreeing masks both show: the shorter of their shown prefixes and
/// of their shown suffixes (`420102|1234` and `4201|01234` share `4201|1234`).
fn shared_mask_key(a: &str, b: &str) -> String {
    let (pa, sa) = a.split_once('|').unwrap_or((a, ""));
    let (pb, sb) = b.split_once('|').unwrap_or((b, ""));
    let prefix = if pa.len() <= pb.len() { pa } else { pb };
    let suffix = if sa.len() <= sb.len() { sa } else { sb };
    format!("{prefix}|{suffix}")
}

/// True for an ID number written in full (valid or not).
fn has_full(v: &FieldValue) -> bool {
    matches!(v, FieldValue::Id(id) if id.full.is_some())
}

/// The value two agreeing values share (for a set, the rarest shared one is not known here:
/// the first shared one is taken).
fn shared_term<'a>(a: &'a FieldValue, b: &FieldValue) -> Option<&'a str> {
    match (a, b) {
        (FieldValue::Set(x), FieldValue::Set(y)) => x.iter().find(|v| y.contains(v)).map(|v| &**v),
        _ => a.terms().first().copied(),
    }
}

/// Levels of an ID number comparison where a mask agrees (see [`Comparison::IdNumber`]).
const MASKED_AGREE: usize = 2;
const MASKED_PARTIAL: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::compare::{IdValue, NameValue};

    fn record(profile: &Profile, id: FieldValue) -> Vec<FieldValue> {
        let mut r = vec![FieldValue::Missing; profile.fields.len()];
        r[profile.field_index("id_number").unwrap()] = id;
        r
    }

    fn full(n: &str) -> FieldValue {
        FieldValue::Id(Box::new(IdValue {
            full: Some(n.into()),
            valid: true,
            candidates: Vec::new(),
            masked: None,
        }))
    }

    fn masked(m: &str) -> FieldValue {
        FieldValue::Id(Box::new(IdValue {
            full: None,
            valid: false,
            candidates: Vec::new(),
            masked: Some(m.into()),
        }))
    }

    fn id_weight(model: &Model, a: &[FieldValue], b: &[FieldValue]) -> f64 {
        model
            .score(a, b)
            .fields
            .iter()
            .find(|f| f.field == "id_number")
            .map(|f| f.weight)
            .unwrap()
    }

    #[test]
    fn a_stored_model_that_cannot_be_read_is_an_error_not_a_missing_model() {
        let profile = Profile::builtin("cn-identity").unwrap().unwrap();
        let err = Model::restore(&profile, "{\"profile\":", "{}").expect_err("truncated JSON");
        assert!(err.is_eof(), "{err}");
        let err = Model::restore(&profile, "[]", "{}").expect_err("not a model");
        assert!(err.is_data(), "{err}");
    }

    #[test]
    fn totals_from_levels_compared_once_equal_totals_compared_anew() {
        use crate::resolve::compare::NameValue;
        let profile = Profile::builtin("cn-identity").unwrap().unwrap();
        let (name, phones, id) = (
            profile.field_index("name").unwrap(),
            profile.field_index("phones").unwrap(),
            profile.field_index("id_number").unwrap(),
        );
        let people = [
            (
                "张伟",
                "zhang wei",
                "13800000001",
                Some(full("420102198507151234")),
            ),
            ("张伟", "zhang wei", "13800000001", None),
            (
                "章伟",
                "zhang wei",
                "13800000002",
                Some(masked("4201**********1234")),
            ),
            (
                "李娜",
                "li na",
                "13800000001",
                Some(full("420103199001012222")),
            ),
            (
                "李娜",
                "li na",
                "13900000009",
                Some(full("420103199001012222")),
            ),
        ];
        let records: Vec<Vec<FieldValue>> = people
            .iter()
            .map(|(full_name, pinyin, phone, number)| {
                let mut r = vec![FieldValue::Missing; profile.fields.len()];
                r[name] = FieldValue::Name(NameValue::new(full_name, pinyin));
                r[phones] = FieldValue::Set(vec![(*phone).into()].into_boxed_slice());
                if let Some(n) = number {
                    r[id] = n.clone();
                }
                r
            })
            .collect();
        let pairs: Vec<(u32, u32)> = (0..5u32)
            .flat_map(|a| (a + 1..5).map(move |b| (a, b)))
            .collect();
        let levels = PairLevels::compare(&profile, &records, &pairs);
        assert_eq!(levels.len(), pairs.len());
        let model = Model::train(&profile, &records, &levels, 0);
        let totals = model.totals(&records, &pairs, &levels);
        assert_eq!(totals.len(), pairs.len());
        for (&(a, b), total) in pairs.iter().zip(totals) {
            let anew = model.total(&records[a as usize], &records[b as usize]).0;
            assert!(
                total == anew || (total - anew).abs() < 1e-12,
                "pair ({a}, {b}): {total} against {anew}"
            );
        }
        // Two different valid numbers: forbidden either way.
        assert_eq!(
            model.totals(
                &records,
                &[(0, 3)],
                &PairLevels::compare(&profile, &records, &[(0, 3)])
            ),
            vec![f64::NEG_INFINITY]
        );
    }

    #[test]
    fn the_chance_that_two_values_are_equal_is_counted_not_sampled() {
        let mut profile = Profile::builtin("cn-identity").unwrap().unwrap();
        profile.model.min_records_for_u = 2;
        profile.model.u_sample_pairs = 2_000;
        let (name, phones, id) = (
            profile.field_index("name").unwrap(),
            profile.field_index("phones").unwrap(),
            profile.field_index("id_number").unwrap(),
        );
        // 400 records: names 张伟 ×4, 李娜 ×3, the rest their own; every record its own phone
        // but two that share one, one of them holding a second phone.
        let records: Vec<Vec<FieldValue>> = (0..400)
            .map(|i| {
                let mut r = vec![FieldValue::Missing; profile.fields.len()];
                let n = match i {
                    0..4 => "张伟".to_owned(),
                    4..7 => "李娜".to_owned(),
                    _ => format!("王{i}"),
                };
                r[name] = FieldValue::Name(NameValue::new(&n, ""));
                let phone = if i == 1 { 0 } else { i };
                r[phones] = FieldValue::Set(if i == 1 {
                    vec![format!("138{phone:08}").into(), "13900000000".into()].into()
                } else {
                    vec![format!("138{phone:08}").into()].into()
                });
                r
            })
            .collect();
        let mut model = Model::untrained(&profile);
        model.estimate_u(&records);
        let pairs = 400.0 * 399.0 / 2.0;
        let u = |f: usize| &model.params[f].u;
        // 张伟: 6 pairs, 李娜: 3; one pair shares a phone.
        assert!((u(name)[0] - 9.0 / pairs).abs() < 1e-15, "{:?}", u(name));
        assert!(
            (u(phones)[0] - 1.0 / pairs).abs() < 1e-15,
            "{:?}",
            u(phones)
        );
        for f in [name, phones] {
            assert!((u(f).iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        // An ID number's first level also takes a near miss: it stays the prior here.
        assert_eq!(u(id), &Model::untrained(&profile).params[id].u);
    }

    #[test]
    fn a_mask_several_numbers_fit_weighs_less_than_one_only_one_fits() {
        let mut profile = Profile::builtin("cn-identity").unwrap().unwrap();
        let id = profile.field_index("id_number").unwrap();
        profile.fields[id].term_frequency = true;
        let records = vec![
            record(&profile, masked("4201**********1234")),
            record(&profile, full("420102198507151234")),
            record(&profile, full("420103199001011234")),
            record(&profile, masked("4202**********5678")),
            record(&profile, full("420201198001015678")),
        ];
        let mut model = Model::untrained(&profile);
        let plain = id_weight(&model, &records[0], &records[1]);
        model.term_frequency = term_frequencies(&profile, &records);
        let shared = id_weight(&model, &records[0], &records[1]);
        let alone = id_weight(&model, &records[3], &records[4]);
        assert!(
            (plain - alone).abs() < 1e-9,
            "one fitting number: no change"
        );
        assert!(
            (alone - shared - 1.0).abs() < 1e-9,
            "two fitting numbers: one bit less"
        );
        // A full number's exact agreement is not touched.
        let exact = id_weight(&model, &records[1], &records[1]);
        assert!((exact - Model::untrained(&profile).params[0].weights()[0]).abs() < 1e-9);
    }

    #[test]
    fn a_mask_weighs_by_how_many_numbers_show_its_prefix_and_suffix() {
        let profile = Profile::builtin("cn-identity").unwrap().unwrap();
        // Four numbers begin with 4201, one with 4202; each suffix occurs once.
        let records = vec![
            record(&profile, masked("4201**********1234")),
            record(&profile, masked("4202**********5678")),
            record(&profile, full("420102198507151234")),
            record(&profile, full("420103199001012222")),
            record(&profile, full("420104199001013333")),
            record(&profile, full("420105199001014444")),
            record(&profile, full("420201198001015678")),
        ];
        let id = profile.field_index("id_number").unwrap();
        let chance = MaskChance::count(id, &records).unwrap();
        assert_eq!(chance.numbers, 5);
        assert_eq!(chance.prefixes.get("4201"), Some(&4));
        let common = chance.fit("4201|1234").unwrap();
        assert!((common - 4.0 / 5.0 * 1.0 / 5.0).abs() < 1e-12);
        let rare = chance.fit("4202|5678").unwrap();
        assert!((rare - 1.0 / 25.0).abs() < 1e-12);
        // A suffix no number shows counts as half a number.
        assert!((chance.fit("4201|9999").unwrap() - 4.0 / 5.0 * 0.5 / 5.0).abs() < 1e-12);

        let mut model = Model::untrained(&profile);
        model.term_frequency = term_frequencies(&profile, &records);
        model.mask_chance = Some(chance);
        let m = model.params[id].m[MASKED_PARTIAL];
        let w_common = id_weight(&model, &records[0], &records[2]);
        let w_rare = id_weight(&model, &records[1], &records[6]);
        assert!((w_common - (m / common).log2()).abs() < 1e-9, "{w_common}");
        assert!((w_rare - (m / rare).log2()).abs() < 1e-9, "{w_rare}");
        assert!(
            (w_rare - w_common - 2.0).abs() < 1e-9,
            "a prefix four times as common: 2 bits"
        );
        // Two masks agree by accident as often as a stranger's number shows their digits.
        let two_masks = id_weight(&model, &records[0], &records[0]);
        assert!((two_masks - w_common).abs() < 1e-9, "{two_masks}");
        // Of two masks' shapes, only the digits both show count: `420102********1234`
        // against `4201**********1234` is priced as `4201|1234`, whichever comes first.
        let longer = record(&profile, masked("420102********1234"));
        let w_shapes = id_weight(&model, &longer, &records[0]);
        assert!((w_shapes - w_common).abs() < 1e-9, "{w_shapes}");
        assert!((id_weight(&model, &records[0], &longer) - w_common).abs() < 1e-9);
        assert_eq!(shared_mask_key("420102|01234", "4201|1234"), "4201|1234");
    }
}
