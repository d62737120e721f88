//! Blocking: which pairs of records are compared at all.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::compare::{FieldValue, IdValue};
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
    /// Pairs its blocks held that a hard rule rules out (two different valid ID numbers): left
    /// out, but counted (once per rule) in the prior as certain non-matches.
    #[serde(default)]
    pub forbidden_pairs: u64,
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
        (Transform::IdForms, FieldValue::Id(id)) => {
            let mut forms: Vec<String> = id.candidates.clone();
            if let Some(f) = &id.full
                && id.valid
            {
                forms.push(f.to_string());
            }
            forms
        }
        (Transform::IdEnds, FieldValue::Id(id)) => {
            let IdValue { full, masked, .. } = &**id;
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
        (Transform::Pinyin, FieldValue::Name(name)) if !name.pinyin().is_empty() => {
            vec![name.pinyin().to_string()]
        }
        (Transform::Value, FieldValue::Set(values)) => {
            values.iter().map(|v| v.to_string()).collect()
        }
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

/// The hash of a rule's key, as the register's index stores it: FNV-1a over the rule's
/// position and the key, fixed forever (it is persisted), so two records share a hash exactly
/// when they share a key (but for a chance collision, which only adds a candidate pair).
pub fn key_hash(rule: usize, key: &str) -> i64 {
    fnv1a((rule as u32).to_le_bytes().iter().chain(key.as_bytes()))
}

fn fnv1a<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for byte in bytes {
        h ^= u64::from(*byte);
        h = h.wrapping_mul(PRIME);
    }
    h as i64
}

/// The value of the profile's distinguishing field when it is valid and whole (a valid full
/// ID number): two records with different ones are never the same person.
pub fn distinct_value<'a>(profile: &Profile, record: &'a [FieldValue]) -> Option<&'a str> {
    record[distinct_field(profile)?].valid_id()
}

fn distinct_field(profile: &Profile) -> Option<usize> {
    profile.field_index(profile.distinct_when_different.as_deref()?)
}

/// [`distinct_value`] hashed for the index (never 0); 0 when the record has none.
pub fn distinct_hash(profile: &Profile, record: &[FieldValue]) -> i64 {
    distinct_value(profile, record).map_or(0, |v| match fnv1a(v.as_bytes()) {
        0 => 1,
        h => h,
    })
}

/// Every key hash of a record under every rule of the profile, sorted and without repeats.
pub fn key_hashes(profile: &Profile, record: &[FieldValue]) -> Vec<i64> {
    hashes_under(profile, record, 0..profile.blocking.len())
}

/// A record's key hashes under `rules`, sorted and without repeats.
fn hashes_under(
    profile: &Profile,
    record: &[FieldValue],
    rules: impl Iterator<Item = usize>,
) -> Vec<i64> {
    let mut hashes: Vec<i64> = rules
        .flat_map(|rule| {
            keys(profile, rule, record)
                .into_iter()
                .map(move |k| key_hash(rule, &k))
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// The key hashes of a record under the rules that block on what a household shares (every
/// field of the key in one of the profile's `correlated` groups: the phone), sorted and
/// without repeats.
pub fn household_key_hashes(profile: &Profile, record: &[FieldValue]) -> Vec<i64> {
    let shared = |field: &str| profile.correlated.iter().flatten().any(|f| f == field);
    let rules = (0..profile.blocking.len())
        .filter(|&rule| profile.blocking[rule].key.iter().all(|p| shared(&p.field)));
    hashes_under(profile, record, rules)
}

/// The candidate pairs `(a, b)` with `a < b`, sorted, and what each rule contributed.
///
/// `comparable(a, b)` filters pairs (for instance to compare only records of two different
/// files); a block larger than the profile's `max_block` is skipped whole, and so is a block
/// whose key hash is in `oversized` (a block that is too large in the whole register when
/// only part of it is resolved).
pub fn candidate_pairs(
    profile: &Profile,
    records: &[Vec<FieldValue>],
    comparable: impl Fn(u32, u32) -> bool,
    oversized: &HashSet<i64>,
) -> (Vec<(u32, u32)>, Vec<BlockingStats>) {
    // Two different valid values of the distinguishing field (full ID numbers) are never the
    // same person: such a pair is not a candidate. Without this, a block of ID-number ends
    // holds every stranger whose number ends alike, and pairs grow with the square of the
    // register.
    let distinct = distinct_field(profile);
    let valid_id = |i: u32| distinct.and_then(|f| records[i as usize][f].valid_id());
    // Every pair a block holds, with the rule of the block: a pair is new for the first rule
    // (in profile order) that produces it.
    let mut found: Vec<(u32, u32, u32)> = Vec::new();
    let mut stats = Vec::new();
    for rule in 0..profile.blocking.len() {
        let mut stat = BlockingStats {
            rule: profile.blocking[rule].name.clone(),
            pairs: 0,
            new_pairs: 0,
            skipped_blocks: 0,
            forbidden_pairs: 0,
        };
        // (key hash, record), sorted: a block is a run of one hash. The keys are made on
        // every core.
        let mut entries: Vec<(i64, u32)> =
            crate::parallel::map_range(records.len(), 50_000, |share| {
                share
                    .flat_map(|i| {
                        keys(profile, rule, &records[i])
                            .into_iter()
                            .map(move |k| (key_hash(rule, &k), i as u32))
                    })
                    .collect()
            });
        entries.sort_unstable();
        for block in entries.chunk_by(|x, y| x.0 == y.0) {
            if block.len() > profile.max_block || oversized.contains(&block[0].0) {
                stat.skipped_blocks += 1;
                continue;
            }
            for (x, &(_, a)) in block.iter().enumerate() {
                let id_a = valid_id(a);
                for &(_, b) in &block[x + 1..] {
                    // Records come in order within a block; one record twice is a collision
                    // of two of its own keys.
                    if a == b || !comparable(a, b) {
                        continue;
                    }
                    if let (Some(x), Some(y)) = (id_a, valid_id(b))
                        && x != y
                    {
                        stat.forbidden_pairs += 1;
                        continue;
                    }
                    stat.pairs += 1;
                    found.push((a, b, rule as u32));
                }
            }
        }
        stats.push(stat);
    }
    found.sort_unstable();
    let mut pairs = Vec::with_capacity(found.len());
    for same in found.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
        let (a, b, first_rule) = same[0];
        stats[first_rule as usize].new_pairs += 1;
        pairs.push((a, b));
    }
    (pairs, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile::builtin("cn-identity")
            .expect("built-in profile")
            .expect("valid profile")
    }

    fn with_id(profile: &Profile, id: FieldValue) -> Vec<FieldValue> {
        let mut record = vec![FieldValue::Missing; profile.fields.len()];
        record[profile.field_index("id_number").expect("id_number field")] = id;
        record
    }

    fn valid(full: &str) -> FieldValue {
        FieldValue::Id(Box::new(IdValue {
            full: Some(full.into()),
            valid: true,
            candidates: Vec::new(),
            masked: None,
        }))
    }

    #[test]
    fn key_hashes_are_fixed_forever() {
        // The match index stores these: a change here orphans every stored key.
        // FNV-1a 64 of the rule's four little-endian bytes and the key, computed elsewhere.
        assert_eq!(key_hash(0, ""), 0x4d25_767f_9dce_13f5);
        assert_eq!(key_hash(2, "\u{1f}13800138000"), 4_667_150_506_067_770_504);
        assert_ne!(
            key_hash(2, "\u{1f}13800138000"),
            key_hash(3, "\u{1f}13800138000")
        );
    }

    #[test]
    fn a_households_keys_are_those_of_what_it_shares() {
        let profile = profile();
        let mut record = with_id(&profile, valid("420102198001011234"));
        record[profile.field_index("phones").expect("phones field")] =
            FieldValue::Set(vec!["13800138000".into()].into_boxed_slice());
        // The phone's key only: not the ID number's.
        let phone_rule = (0..profile.blocking.len())
            .find(|&r| profile.blocking[r].name == "phone")
            .expect("phone rule");
        assert_eq!(
            household_key_hashes(&profile, &record),
            vec![key_hash(phone_rule, "\u{1f}13800138000")]
        );
        assert!(key_hashes(&profile, &record).len() > 1);
    }

    #[test]
    fn two_different_valid_id_numbers_are_never_a_candidate_pair() {
        let profile = profile();
        let masked = FieldValue::Id(Box::new(IdValue {
            full: None,
            valid: false,
            candidates: Vec::new(),
            masked: Some("4201**********1234".into()),
        }));
        let records = vec![
            with_id(&profile, valid("420102198001011234")),
            with_id(&profile, valid("420106199002021234")),
            with_id(&profile, masked),
            with_id(&profile, valid("420102198001011234")),
        ];
        let (pairs, stats) = candidate_pairs(&profile, &records, |_, _| true, &HashSet::new());
        // The mask meets both numbers; the two different numbers never meet; the same number
        // twice does.
        assert_eq!(pairs, vec![(0, 2), (0, 3), (1, 2), (2, 3)]);
        assert!(stats.iter().any(|s| s.pairs > 0));
    }

    #[test]
    fn a_pair_found_by_several_rules_is_new_for_the_first_of_them_only() {
        let profile = profile();
        let phones = profile.field_index("phones").expect("phones field");
        let phone = |n: &str| FieldValue::Set(vec![n.into()].into_boxed_slice());
        let mut records = vec![
            with_id(&profile, valid("420102198001011234")),
            with_id(&profile, valid("420102198001011234")),
            with_id(&profile, FieldValue::Missing),
        ];
        records[0][phones] = phone("13800000001");
        records[1][phones] = phone("13800000001");
        records[2][phones] = phone("13800000001");
        let (pairs, stats) = candidate_pairs(&profile, &records, |_, _| true, &HashSet::new());
        assert_eq!(pairs, vec![(0, 1), (0, 2), (1, 2)]);
        let by_rule = |name: &str| {
            stats
                .iter()
                .find(|s| s.rule == name)
                .map(|s| (s.pairs, s.new_pairs))
                .expect("rule")
        };
        // The ID number finds (0, 1) first; the phone finds it again and the two others new.
        assert_eq!(by_rule("ID number (and its near misses)"), (1, 1));
        assert_eq!(by_rule("phone"), (3, 2));
        // Only the pair (0, 2) is left out when comparable() says so.
        let (pairs, _) =
            candidate_pairs(&profile, &records, |a, b| (a, b) != (0, 2), &HashSet::new());
        assert_eq!(pairs, vec![(0, 1), (1, 2)]);
    }

    #[test]
    fn an_oversized_key_skips_its_block() {
        let profile = profile();
        let records = vec![
            with_id(&profile, valid("420102198001011234")),
            with_id(&profile, valid("420102198001011234")),
        ];
        let keys = key_hashes(&profile, &records[0]);
        assert!(!keys.is_empty());
        let all: HashSet<i64> = keys.into_iter().collect();
        let (pairs, _) = candidate_pairs(&profile, &records, |_, _| true, &all);
        assert!(pairs.is_empty());
        let (pairs, _) = candidate_pairs(&profile, &records, |_, _| true, &HashSet::new());
        assert_eq!(pairs, vec![(0, 1)]);
    }
}
