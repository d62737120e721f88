//! Matching profiles: the comparison model as data (`fixtures/profiles/*.toml`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::compare::Comparison;

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProfileError {
    /// The TOML does not parse or lacks a key.
    #[error("profile does not parse: {0}")]
    Syntax(String),
    /// A field's levels do not match its comparison's levels.
    #[error("field `{field}`: levels must be exactly {expected:?}")]
    Levels {
        field: String,
        expected: Vec<&'static str>,
    },
    /// A probability is outside (0, 1).
    #[error("field `{field}` level `{level}`: m and u must lie strictly between 0 and 1")]
    Probability { field: String, level: String },
    /// A blocking rule or rule names a field the profile does not have.
    #[error("`{0}` is not a field of the profile")]
    UnknownField(String),
}

/// Prior m and u of one comparison level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LevelPrior {
    /// P(level | same person).
    pub m: f64,
    /// P(level | different persons).
    pub u: f64,
}

/// A compared field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSpec {
    /// The field's name (for the Chinese sources a normalised identity field; otherwise a
    /// column of the raw record).
    pub name: String,
    /// How two values are graded.
    pub comparison: Comparison,
    /// Prior m and u for each level of the comparison.
    pub levels: BTreeMap<String, LevelPrior>,
    /// Weigh an exact agreement by how common the value is (a phone a family shares says
    /// less than a phone only one person has). On an ID number it weighs a masked agreement
    /// instead: a mask that several persons' numbers fit says that much less, and a mask's
    /// agreement with a full number is priced by the mask's own chance of fitting a stranger's
    /// number (see `model::MaskChance`).
    #[serde(default)]
    pub term_frequency: bool,
    /// Let EM re-estimate m. Off for identifiers whose disagreement must keep its full weight:
    /// on data where families share phones and addresses, EM would otherwise learn that the
    /// same person often has two names or two ID numbers.
    #[serde(default = "yes")]
    pub train_m: bool,
}

fn yes() -> bool {
    true
}

fn two() -> f64 {
    2.0
}

/// How a blocking key takes its part from a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// The value itself (each value of a set).
    #[default]
    Value,
    /// The first `n` characters.
    Prefix,
    /// The last `n` characters.
    Suffix,
    /// The pinyin of a name.
    Pinyin,
    /// An ID number's valid forms: the full number when valid and its near-miss candidates.
    IdForms,
    /// An ID number's first 4 and last 4 characters, from a full or a masked number.
    IdEnds,
}

/// One part of a blocking key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPart {
    /// The field it comes from.
    pub field: String,
    /// What is taken of the value.
    #[serde(default)]
    pub transform: Transform,
    /// Characters for `prefix` and `suffix`.
    #[serde(default)]
    pub n: usize,
}

/// A blocking rule: records sharing its key are compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockingRule {
    /// A name for reports.
    pub name: String,
    /// The parts of the key; a record missing any part has no key under this rule.
    pub key: Vec<KeyPart>,
}

/// Training settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSettings {
    /// Starting guess of the share of candidate pairs that are the same person.
    pub prior: f64,
    /// EM iterations for m (at most; it stops when the parameters settle).
    pub em_iterations: usize,
    /// Random record pairs sampled to estimate u.
    pub u_sample_pairs: usize,
    /// Seed of the sampling: training is deterministic.
    pub seed: u64,
    /// Below this many candidate pairs EM is not run: m and the prior stay the profile's
    /// (a few hundred pairs cannot tell matches from families reliably).
    #[serde(default = "thousand")]
    pub min_pairs_for_em: usize,
    /// Below this many records u is not estimated either: in a small register two random
    /// records are too often the same person for random pairs to measure strangers.
    #[serde(default = "thousand")]
    pub min_records_for_u: usize,
    /// A register with fewer current records than this (or without a stored model) is
    /// resolved whole on every batch, with a freshly trained model; a larger one matches a
    /// batch against the register with the stored model, whatever it grew by since.
    #[serde(default = "fifty_thousand")]
    pub resolve_whole_below: usize,
    /// When the register has grown by more than this share since the stored model was
    /// trained, retraining is due: `paicha resolve`, or the server once no import has run for
    /// a while, retrains it on the whole register. An import never does.
    #[serde(default = "a_quarter")]
    pub retrain_growth: f64,
    /// When retraining is due as a batch arrives, the batch is matched with a model trained
    /// now on the batch and its neighbourhood (and stored) instead of the stored one; the rest
    /// of the register is not resolved again either way (issue 25).
    #[serde(default = "yes")]
    pub retrain_on_part: bool,
}

fn thousand() -> usize {
    1000
}

fn fifty_thousand() -> usize {
    50_000
}

fn a_quarter() -> f64 {
    0.25
}

/// Decision thresholds on the total match weight (log2 odds, prior included).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// At or above: the same person.
    pub merge: f64,
    /// At or above (and below `merge`): a review candidate for an analyst.
    pub review: f64,
}

/// A matching profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The profile's name (`cn-identity`, `febrl`).
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    pub model: ModelSettings,
    pub thresholds: Thresholds,
    /// Blocks larger than this are skipped (counted in the report): a key that common does
    /// not identify anyone.
    pub max_block: usize,
    /// A field whose two different valid values mean two different persons, whatever else
    /// agrees (the ID number).
    #[serde(default)]
    pub distinct_when_different: Option<String>,
    /// A record missing every one of these fields (a big-data entry with only a phone) is
    /// weak evidence of who it is: it joins a person only when one person clearly fits best.
    #[serde(default)]
    pub weak_when_missing: Vec<String>,
    /// How much better (in bits) the best person must fit a weak record than the next one.
    #[serde(default = "two")]
    pub ambiguity_margin: f64,
    /// Groups of fields that agree together for reasons other than being the same person
    /// (a household shares its phone, address and village): within a group only the strongest
    /// agreement counts, while every disagreement still does.
    #[serde(default)]
    pub correlated: Vec<Vec<String>>,
    /// The fields a household's members share where the sources list them (the address): a
    /// weak record that fits several persons equally well, all of whom share one value of
    /// each of these fields, is linked to their household instead of being raised as one
    /// review pair per member (see `crate::resolve::cluster::HouseholdLink`). Empty: no
    /// household links.
    #[serde(default)]
    pub household: Vec<String>,
    /// Fields (canonical or raw columns) of which an imported row needs one to be kept; empty
    /// for the default: a name, an ID number or a phone.
    #[serde(default)]
    pub identifying: Vec<String>,
    pub fields: Vec<FieldSpec>,
    pub blocking: Vec<BlockingRule>,
}

impl Profile {
    /// Reads and checks a profile.
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        let profile: Profile =
            toml::from_str(text).map_err(|e| ProfileError::Syntax(e.to_string()))?;
        profile.validate()?;
        Ok(profile)
    }

    /// The built-in profile of that name (`cn-identity` or `febrl`).
    pub fn builtin(name: &str) -> Option<Result<Self, ProfileError>> {
        let text = match name {
            "cn-identity" => include_str!("../../fixtures/profiles/cn-identity.toml"),
            "febrl" => include_str!("../../fixtures/profiles/febrl.toml"),
            _ => return None,
        };
        Some(Self::from_toml(text))
    }

    /// Index of a field by name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    fn validate(&self) -> Result<(), ProfileError> {
        for f in &self.fields {
            let expected = f.comparison.levels();
            let given: Vec<&str> = f.levels.keys().map(String::as_str).collect();
            let mut sorted_expected = expected.to_vec();
            sorted_expected.sort_unstable();
            if given != sorted_expected {
                return Err(ProfileError::Levels {
                    field: f.name.clone(),
                    expected: expected.to_vec(),
                });
            }
            for (level, p) in &f.levels {
                if !(p.m > 0.0 && p.m < 1.0 && p.u > 0.0 && p.u < 1.0) {
                    return Err(ProfileError::Probability {
                        field: f.name.clone(),
                        level: level.clone(),
                    });
                }
            }
        }
        let named = self
            .blocking
            .iter()
            .flat_map(|b| b.key.iter().map(|k| k.field.as_str()))
            .chain(self.distinct_when_different.as_deref())
            .chain(self.weak_when_missing.iter().map(String::as_str))
            .chain(self.correlated.iter().flatten().map(String::as_str))
            .chain(self.household.iter().map(String::as_str));
        for name in named {
            if self.field_index(name).is_none() {
                return Err(ProfileError::UnknownField(name.to_owned()));
            }
        }
        Ok(())
    }

    /// The prior of a field's level by index (levels in the comparison's order).
    pub fn prior(&self, field: usize, level: usize) -> LevelPrior {
        let spec = &self.fields[field];
        let name = spec.comparison.levels()[level];
        spec.levels[name]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_profiles_are_valid() {
        for name in ["cn-identity", "febrl"] {
            let profile = Profile::builtin(name).expect("known").expect("valid");
            assert_eq!(profile.name, name);
            assert!(!profile.blocking.is_empty());
        }
    }

    #[test]
    fn a_profile_missing_a_level_is_refused() {
        let text = include_str!("../../fixtures/profiles/febrl.toml")
            .replace("[fields.levels.JW_MID]", "[fields.levels.JW_MIDDLE]");
        assert!(matches!(
            Profile::from_toml(&text),
            Err(ProfileError::Levels { .. })
        ));
    }
}
