//! Scoring the register against a truth: pairwise precision, recall and F1 (`paicha eval`).
//!
//! Pure: no I/O. A clustering is a list of `(record key, cluster label)`; two records form a
//! *pair* when they share a cluster. A true positive is a pair in both clusterings. Everything is
//! counted from cluster sizes and the contingency table of (predicted, true) cluster labels, so
//! the work is linear in the number of records however large the clusters are.
//!
//! Two truth formats are read, told apart by their header:
//! - `source,record_id,person_id` (what `paicha synth` and `fixtures/demo/truth.csv` write;
//!   the source in any case, `bigdata` or `BIGDATA`): keys are source and record ID;
//! - `rec_id,entity_id` (the FEBRL clusters files): `rec_id` is an opaque key matched against
//!   the record ID of a record of any source.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::str::FromStr as _;

use serde::Serialize;

use crate::intake::SourceKind;

pub mod location;

/// Pairwise scores of a predicted clustering against a true one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairwiseScores {
    /// Records present in both clusterings: the only ones scored.
    pub records: u64,
    /// Records of the predicted clustering missing from the truth (left out of the scores).
    pub only_predicted: u64,
    /// Records of the truth missing from the predicted clustering (left out of the scores).
    pub only_truth: u64,
    /// Keys given more than once on one side; the first occurrence counts.
    pub duplicate_keys: u64,
    /// Pairs in the same predicted cluster.
    pub predicted_pairs: u64,
    /// Pairs in the same true cluster.
    pub true_pairs: u64,
    /// Pairs in the same cluster on both sides.
    pub tp: u64,
    /// Predicted pairs that are not true pairs (wrong merges).
    pub fp: u64,
    /// True pairs that were not predicted (missed merges).
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// `tp / predicted_pairs`; 1 when nothing was merged.
    pub precision: f64,
    /// `tp / true_pairs`; 1 when the truth has no pairs.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub f1: f64,
}

impl PairwiseScores {
    /// Two readable lines: what was scored, and the pair counts with the scores.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "records: scored={} only_in_register={} only_in_truth={}{}",
            self.records,
            self.only_predicted,
            self.only_truth,
            if self.duplicate_keys > 0 {
                format!(" duplicate_keys={}", self.duplicate_keys)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "pairs: predicted={} true={} tp={} fp={} fn={} precision={:.4} recall={:.4} f1={:.4}",
            self.predicted_pairs,
            self.true_pairs,
            self.tp,
            self.fp,
            self.fn_,
            self.precision,
            self.recall,
            self.f1
        );
        out
    }
}

/// Number of unordered pairs among `n` records.
fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Keys to labels, the first occurrence of a key winning; also the number of repeats.
fn index(rows: &[(String, u64)]) -> (HashMap<&str, u64>, u64) {
    let mut map = HashMap::with_capacity(rows.len());
    let mut duplicates = 0;
    for (key, label) in rows {
        match map.entry(key.as_str()) {
            Entry::Vacant(v) => {
                v.insert(*label);
            }
            Entry::Occupied(_) => duplicates += 1,
        }
    }
    (map, duplicates)
}

/// Pairwise precision, recall and F1 of `predicted` against `truth`, each a list of
/// `(record key, cluster label)`. Records on one side only are left out of both (and counted).
pub fn pairwise(predicted: &[(String, u64)], truth: &[(String, u64)]) -> PairwiseScores {
    let (predicted, dup_p) = index(predicted);
    let (truth, dup_t) = index(truth);
    let mut predicted_sizes: HashMap<u64, u64> = HashMap::new();
    let mut true_sizes: HashMap<u64, u64> = HashMap::new();
    let mut joint: HashMap<(u64, u64), u64> = HashMap::new();
    let mut records = 0u64;
    for (key, p) in &predicted {
        let Some(t) = truth.get(key) else { continue };
        records += 1;
        *predicted_sizes.entry(*p).or_default() += 1;
        *true_sizes.entry(*t).or_default() += 1;
        *joint.entry((*p, *t)).or_default() += 1;
    }
    let predicted_pairs: u64 = predicted_sizes.values().map(|n| pairs(*n)).sum();
    let true_pairs: u64 = true_sizes.values().map(|n| pairs(*n)).sum();
    let tp: u64 = joint.values().map(|n| pairs(*n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let precision = ratio(tp, predicted_pairs);
    let recall = ratio(tp, true_pairs);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    PairwiseScores {
        records,
        only_predicted: predicted.len() as u64 - records,
        only_truth: truth.len() as u64 - records,
        duplicate_keys: dup_p + dup_t,
        predicted_pairs,
        true_pairs,
        tp,
        fp: predicted_pairs - tp,
        fn_: true_pairs - tp,
        precision,
        recall,
        f1,
    }
}

/// Which truth format a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TruthFormat {
    /// `source,record_id,person_id`: keyed by source and record ID.
    SourceRecords,
    /// `rec_id,entity_id` (FEBRL): keyed by record ID alone.
    Clusters,
}

/// A truth file read into `(record key, cluster label)`.
#[derive(Debug, Clone)]
pub struct Truth {
    /// The format found from the header.
    pub format: TruthFormat,
    /// Keys as [`record_key`] makes them for this format, with their cluster labels.
    pub rows: Vec<(String, u64)>,
    /// The cluster labels as the file writes them (the person IDs), by label number.
    pub labels: Vec<String>,
}

/// Why a truth file could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TruthError {
    /// The header is neither `source,record_id,person_id` nor `rec_id,entity_id`.
    #[error(
        "unknown truth format: the header must have source,record_id,person_id or rec_id,entity_id (found `{0}`)"
    )]
    UnknownHeader(String),
    /// A data line is not well-formed CSV or lacks a column.
    #[error("line {line}: {reason}")]
    BadRow {
        /// 1-based line number in the file (the header is line 1).
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// The key of a record: source and record ID, or the record ID alone for a
/// [`TruthFormat::Clusters`] truth.
pub fn record_key(format: TruthFormat, source: SourceKind, record_id: &str) -> String {
    match format {
        // The unit separator cannot occur in a CSV-carried source name.
        TruthFormat::SourceRecords => format!("{}\u{1f}{record_id}", source.as_db()),
        TruthFormat::Clusters => record_id.to_owned(),
    }
}

/// Reads a truth file (CSV, UTF-8, a BOM allowed); the format is told from the header.
/// Cluster labels are opaque strings, numbered in order of appearance.
pub fn parse_truth(text: &str) -> Result<Truth, TruthError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| TruthError::UnknownHeader(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (format, source_col, key_col, label_col) = match (
        col("source"),
        col("record_id"),
        col("person_id"),
        col("rec_id"),
        col("entity_id"),
    ) {
        (Some(s), Some(r), Some(p), _, _) => (TruthFormat::SourceRecords, Some(s), r, p),
        (_, _, _, Some(r), Some(e)) => (TruthFormat::Clusters, None, r, e),
        _ => return Err(TruthError::UnknownHeader(headers.join(","))),
    };
    let mut labels: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| TruthError::BadRow {
            line,
            reason: e.to_string(),
        })?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: usize, what: &str| {
            record
                .get(c)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| TruthError::BadRow {
                    line,
                    reason: format!("no {what}"),
                })
        };
        let record_id = cell(key_col, "record ID")?;
        let label = cell(label_col, "cluster")?;
        let key = match source_col {
            Some(c) => {
                let source = cell(c, "source")?;
                let source = SourceKind::from_str(source)
                    .map_err(|reason| TruthError::BadRow { line, reason })?;
                record_key(format, source, record_id)
            }
            None => record_id.to_owned(),
        };
        let next = labels.len() as u64;
        let label = *labels.entry(label.to_owned()).or_insert(next);
        rows.push((key, label));
    }
    let mut names = vec![String::new(); labels.len()];
    for (name, label) in labels {
        if let Some(slot) = usize::try_from(label).ok().and_then(|l| names.get_mut(l)) {
            *slot = name;
        }
    }
    Ok(Truth {
        format,
        rows,
        labels: names,
    })
}

/// The register's records (`(source in DB form, record_id, person_id)`, as
/// `Register::export_records` gives them) keyed for a truth of `format`. Rows of an unknown
/// source are skipped.
pub fn predicted_rows(
    records: &[(String, String, i64)],
    format: TruthFormat,
) -> Vec<(String, u64)> {
    records
        .iter()
        .filter_map(|(source, record_id, person)| {
            let source = SourceKind::from_db(source)?;
            Some((
                record_key(format, source, record_id),
                person.cast_unsigned(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    fn clustering(rows: &[(&str, u64)]) -> Vec<(String, u64)> {
        rows.iter().map(|(k, c)| ((*k).to_owned(), *c)).collect()
    }

    #[test]
    fn a_perfect_partition_scores_one() {
        let truth = clustering(&[("a", 1), ("b", 1), ("c", 2), ("d", 2), ("e", 2), ("f", 3)]);
        // Labels differ, the partition is the same.
        let predicted = clustering(&[("a", 9), ("b", 9), ("c", 7), ("d", 7), ("e", 7), ("f", 8)]);
        let s = pairwise(&predicted, &truth);
        assert_eq!((s.tp, s.fp, s.fn_), (4, 0, 0));
        assert_eq!((s.precision, s.recall, s.f1), (1.0, 1.0, 1.0));
        assert_eq!(s.records, 6);
    }

    #[test]
    fn a_split_cluster_costs_recall_only() {
        let truth = clustering(&[("a", 1), ("b", 1), ("c", 1), ("d", 1)]);
        let predicted = clustering(&[("a", 1), ("b", 1), ("c", 2), ("d", 2)]);
        let s = pairwise(&predicted, &truth);
        assert_eq!((s.predicted_pairs, s.true_pairs), (2, 6));
        assert_eq!((s.tp, s.fp, s.fn_), (2, 0, 4));
        assert_eq!(s.precision, 1.0);
        assert!((s.recall - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.f1 - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_wrong_merge_costs_precision_only() {
        let truth = clustering(&[("a", 1), ("b", 1), ("c", 2), ("d", 2)]);
        let predicted = clustering(&[("a", 5), ("b", 5), ("c", 5), ("d", 5)]);
        let s = pairwise(&predicted, &truth);
        assert_eq!((s.tp, s.fp, s.fn_), (2, 4, 0));
        assert!((s.precision - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.recall, 1.0);
    }

    #[test]
    fn records_on_one_side_only_are_left_out_and_counted() {
        let truth = clustering(&[("a", 1), ("b", 1), ("x", 1), ("y", 2)]);
        let predicted = clustering(&[("a", 1), ("b", 1), ("p", 1), ("q", 1), ("a", 3)]);
        let s = pairwise(&predicted, &truth);
        assert_eq!(s.records, 2);
        assert_eq!(
            (s.only_predicted, s.only_truth, s.duplicate_keys),
            (2, 2, 1)
        );
        assert_eq!((s.tp, s.fp, s.fn_), (1, 0, 0));

        let disjoint = pairwise(&clustering(&[("p", 1), ("q", 1)]), &truth);
        assert_eq!(disjoint.records, 0);
        assert_eq!((disjoint.tp, disjoint.predicted_pairs), (0, 0));
        assert_eq!(disjoint.f1, 1.0, "nothing to get wrong");
    }

    #[test]
    fn counts_agree_with_a_brute_force_over_all_pairs() {
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..20 {
            let n = rng.random_range(1..60);
            let truth: Vec<(String, u64)> = (0..n)
                .map(|i| (format!("r{i}"), rng.random_range(0..8)))
                .collect();
            let predicted: Vec<(String, u64)> = (0..n)
                .map(|i| (format!("r{i}"), rng.random_range(0..8)))
                .collect();
            let s = pairwise(&predicted, &truth);
            let (mut tp, mut fp, mut fn_) = (0, 0, 0);
            for i in 0..n {
                for j in i + 1..n {
                    let same_p = predicted[i].1 == predicted[j].1;
                    let same_t = truth[i].1 == truth[j].1;
                    match (same_p, same_t) {
                        (true, true) => tp += 1,
                        (true, false) => fp += 1,
                        (false, true) => fn_ += 1,
                        (false, false) => {}
                    }
                }
            }
            assert_eq!((s.tp, s.fp, s.fn_), (tp, fp, fn_));
        }
    }

    #[test]
    fn both_truth_formats_are_told_from_the_header() {
        let ours =
            parse_truth("\u{feff}source,record_id,person_id\nbigdata,D-1,7\nTOWNSHIP,T-1,7\n")
                .expect("our format");
        assert_eq!(ours.format, TruthFormat::SourceRecords);
        assert_eq!(
            ours.rows,
            vec![
                (record_key(ours.format, SourceKind::Bigdata, "D-1"), 0),
                (record_key(ours.format, SourceKind::Township, "T-1"), 0),
            ]
        );
        let febrl = parse_truth("rec_id,entity_id\nrec-1-org,1\nrec-1-dup-0,1\nrec-2-org,2\n")
            .expect("FEBRL format");
        assert_eq!(febrl.format, TruthFormat::Clusters);
        assert_eq!(febrl.rows[1], ("rec-1-dup-0".to_owned(), 0));
        assert_eq!(febrl.rows[2].1, 1);

        assert!(matches!(
            parse_truth("a,b\n1,2\n"),
            Err(TruthError::UnknownHeader(_))
        ));
        assert!(matches!(
            parse_truth("source,record_id,person_id\nfax,X-1,1\n"),
            Err(TruthError::BadRow { line: 2, .. })
        ));
    }

    #[test]
    fn register_rows_are_keyed_like_the_truth() {
        let rows = vec![
            ("BIGDATA".to_owned(), "D-1".to_owned(), 3),
            ("TOWNSHIP".to_owned(), "D-1".to_owned(), 4),
        ];
        let keyed = predicted_rows(&rows, TruthFormat::SourceRecords);
        assert_ne!(
            keyed[0].0, keyed[1].0,
            "sources keep equal record IDs apart"
        );
        let keyed = predicted_rows(&rows, TruthFormat::Clusters);
        assert_eq!(keyed[0].0, keyed[1].0, "FEBRL keys are record IDs alone");
    }
}
