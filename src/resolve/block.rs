//! Blocking: which pairs of records are compared at all.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::compare::FieldValue;
use super::profile::{KeyPart, Profile, Transform};

/// How many candidate pairs one blocking rule produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockingStats {
    /// The rule's name.
    pub rule: String,
    /// Pairs it produced (before removing pairs another rule had produced already).
    pub pairs: u64,
    /// Pairs it was the first rule to produce.
    pub new_pairs: u64,
    /// Blocks skipped for being larger than the profile's `max_block`.
    pub skipped_blocks: u64,
}

/// The key values one record has under a rule (several when a part has several values).
pub fn keys(profile: &Profile, rule: usize, record: &[FieldValue]) -> Vec<String> {
    let mut keys = vec![String::new()];
    for part in &profile.blocking[rule].key {
        let Some(field) = profile.field_index(&part.field) else {
            return Vec::new();
        };
        let values = part_values(part, &record[field]);
        if values.is_empty() {
            return Vec::new();
        }
        keys = keys
            .iter()
            .flat_map(|k| {
                values.iter().map(move |v| {
                    let mut key = k.clone();
                    key.push('\u{1f}');
                    key.push_str(v);
                    key
                })
            })
            .collect();
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn part_values(part: &KeyPart, value: &FieldValue) -> Vec<String> {
    let chars = |s: &str, from_end: bool| -> Option<String> {
        let n = part.n.max(1);
        let count = s.chars().count();
        if count < n {
            return None;
        }
        Some(if from_end {
            s.chars().skip(count - n).collect()
        } else {
            s.chars().take(n).collect()
        })
    };
    match (part.transform, value) {
        (_, FieldValue::Missing) => Vec::new(),
        (
            Transform::IdForms,
            FieldValue::Id {
                full,
                valid,
                candidates,
                ..
            },
        ) => {
            let mut forms: Vec<String> = candidates.clone();
            if let Some(f) = full
                && *valid
            {
                forms.push(f.clone());
            }
            forms
        }
        (Transform::IdEnds, FieldValue::Id { full, masked, .. }) => {
            let ends = |s: &str| {
                (s.len() == 18 && !s[..4].contains('*') && !s[14..].contains('*'))
                    .then(|| format!("{}{}", &s[..4], &s[14..]))
            };
            full.as_deref()
                .and_then(ends)
                .or_else(|| masked.as_deref().and_then(ends))
                .into_iter()
                .collect()
        }
        (Transform::Pinyin, FieldValue::Name { pinyin, .. }) if !pinyin.is_empty() => {
            vec![pinyin.clone()]
        }
        (Transform::Value, FieldValue::Set(values)) => values.clone(),
        (Transform::Value, v) => v.terms().into_iter().map(str::to_owned).collect(),
        (Transform::Prefix, v) => v
            .terms()
            .into_iter()
            .filter_map(|t| chars(t, false))
            .collect(),
        (Transform::Suffix, v) => v
            .terms()
            .into_iter()
            .filter_map(|t| chars(t, true))
            .collect(),
        _ => Vec::new(),
    }
}

/// The candidate pairs `(a, b)` with `a < b`, sorted, and what each rule contributed.
///
/// `comparable(a, b)` filters pairs (for instance to compare only records of two different
/// files); a block larger than the profile's `max_block` is skipped whole.
pub fn candidate_pairs(
    profile: &Profile,
    records: &[Vec<FieldValue>],
    comparable: impl Fn(u32, u32) -> bool,
) -> (Vec<(u32, u32)>, Vec<BlockingStats>) {
    let mut seen: HashMap<(u32, u32), ()> = HashMap::new();
    let mut pairs = Vec::new();
    let mut stats = Vec::new();
    for rule in 0..profile.blocking.len() {
        let mut blocks: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (i, record) in records.iter().enumerate() {
            for key in keys(profile, rule, record) {
                blocks.entry(key).or_default().push(i as u32);
            }
        }
        let mut stat = BlockingStats {
            rule: profile.blocking[rule].name.clone(),
            pairs: 0,
            new_pairs: 0,
            skipped_blocks: 0,
        };
        for members in blocks.values() {
            if members.len() > profile.max_block {
                stat.skipped_blocks += 1;
                continue;
            }
            for (x, &a) in members.iter().enumerate() {
                for &b in &members[x + 1..] {
                    let pair = (a.min(b), a.max(b));
                    if pair.0 == pair.1 || !comparable(pair.0, pair.1) {
                        continue;
                    }
                    stat.pairs += 1;
                    if seen.insert(pair, ()).is_none() {
                        stat.new_pairs += 1;
                        pairs.push(pair);
                    }
                }
            }
        }
        stats.push(stat);
    }
    pairs.sort_unstable();
    (pairs, stats)
}
