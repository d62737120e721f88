//! How common the register's values are, counted over every record: a value's frequency
//! against the average value's, how many numbers fit a mask, and the share of pairs whose
//! values are equal (u of a comparison's first level).

use std::collections::HashMap;

use super::compare::{Comparison, FieldValue, mask_key, mask_keys};
use super::profile::Profile;

/// For each mask of field `f` in `records`: how many distinct valid full numbers of the
/// records fit its shown digits.
pub(super) fn mask_fits(f: usize, records: &[Vec<FieldValue>]) -> HashMap<String, f64> {
    let mut masks: HashMap<String, f64> = records
        .iter()
        .filter_map(|r| mask_key(&r[f]))
        .map(|key| (key, 0.0))
        .collect();
    if masks.is_empty() {
        return masks;
    }
    let full: rustc_hash::FxHashSet<&str> =
        records.iter().filter_map(|r| r[f].valid_id()).collect();
    // The mask shapes (shown prefix and suffix lengths) that occur, to cut each number to.
    let mut shapes: Vec<(usize, usize)> = masks
        .keys()
        .filter_map(|k| k.split_once('|').map(|(p, s)| (p.len(), s.len())))
        .collect();
    shapes.sort_unstable();
    shapes.dedup();
    for n in full {
        for key in mask_keys(n, &shapes) {
            if let Some(count) = masks.get_mut(&key) {
                *count += 1.0;
            }
        }
    }
    masks
}

/// The share of pairs of records, both with a value of field `f`, whose values are equal
/// (share a term: a phone of a set): the u of a comparison's first level, counted over every
/// pair rather than sampled. `None` for an ID number (its first level also takes a near miss),
/// and when no two records share a value (the sample's floor stands).
pub(super) fn equal_share(
    comparison: &Comparison,
    f: usize,
    records: &[Vec<FieldValue>],
) -> Option<f64> {
    if matches!(comparison, Comparison::IdNumber) {
        return None;
    }
    let mut counts: rustc_hash::FxHashMap<&str, u64> = rustc_hash::FxHashMap::default();
    let mut present = 0u64;
    for record in records {
        let value = &record[f];
        if value.is_missing() {
            continue;
        }
        present += 1;
        let mut terms = value.terms();
        terms.sort_unstable();
        terms.dedup();
        for term in terms {
            *counts.entry(term).or_default() += 1;
        }
    }
    let equal: u64 = counts.values().map(|&c| c * (c - 1) / 2).sum();
    let pairs = present * present.saturating_sub(1) / 2;
    (equal > 0 && pairs > 0).then(|| (equal as f64 / pairs as f64).min(1.0))
}

/// For each field weighed by term frequency, how common each value is against the average
/// value (only those more common than that), or for an ID number how many numbers fit each
/// mask.
pub(super) fn term_frequencies(
    profile: &Profile,
    records: &[Vec<FieldValue>],
) -> Vec<Option<HashMap<String, f64>>> {
    profile
        .fields
        .iter()
        .enumerate()
        .map(|(f, spec)| {
            if !spec.term_frequency {
                return None;
            }
            if matches!(spec.comparison, Comparison::IdNumber) {
                return Some(mask_fits(f, records));
            }
            // Counted on borrowed values, each owned once at the end.
            let mut counts: rustc_hash::FxHashMap<&str, u64> = rustc_hash::FxHashMap::default();
            let mut total = 0u64;
            for record in records {
                for term in record[f].terms() {
                    *counts.entry(term).or_default() += 1;
                    total += 1;
                }
            }
            // Each value's count against the average count of a value: 1 is ordinary. Only
            // values more common than that change a weight, so only they are kept.
            let average = total as f64 / counts.len().max(1) as f64;
            Some(
                counts
                    .into_iter()
                    .map(|(k, c)| (k, c as f64 / average))
                    .filter(|(_, ratio)| *ratio > 1.0)
                    .map(|(k, ratio)| (k.to_owned(), ratio))
                    .collect(),
            )
        })
        .collect()
}
