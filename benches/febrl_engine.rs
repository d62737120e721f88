//! The resolution engine alone on FEBRL4: `cargo bench --bench febrl_engine [-- DIR]`.
//!
//! Reads `febrl4_a.csv`, `febrl4_b.csv` and `febrl4_truth_clusters.csv` from DIR (default
//! `../shared/data/febrl`), resolves the 10 000 records with the `febrl` profile (pairs across
//! the two files only), and prints the time of each step and the pairwise precision, recall and
//! F1 against the truth. `rec_id` is an opaque key.

use std::collections::HashMap;
use std::time::Instant;

use paicha::resolve::cluster::Constraints;
use paicha::resolve::compare::FieldValue;
use paicha::resolve::engine;
use paicha::resolve::profile::Profile;

fn read(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().cloned().unwrap_or_default();
    reader
        .records()
        .filter_map(Result::ok)
        .map(|r| {
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/febrl").to_owned());
    let dir = std::path::Path::new(&dir);
    let start = Instant::now();
    let a = read(&dir.join("febrl4_a.csv"));
    let b = read(&dir.join("febrl4_b.csv"));
    let truth: HashMap<String, String> = read(&dir.join("febrl4_truth_clusters.csv"))
        .into_iter()
        .map(|r| (r["rec_id"].clone(), r["entity_id"].clone()))
        .collect();
    let profile = match Profile::builtin("febrl") {
        Some(Ok(p)) => p,
        other => panic!("febrl profile: {other:?}"),
    };
    let rows: Vec<&HashMap<String, String>> = a.iter().chain(&b).collect();
    let records: Vec<Vec<FieldValue>> = rows
        .iter()
        .map(|row| {
            profile
                .fields
                .iter()
                .map(|f| FieldValue::text(row.get(&f.name).map(String::as_str)))
                .collect()
        })
        .collect();
    let read_time = start.elapsed();
    let split = a.len() as u32;
    let run = engine::run(
        &profile,
        &records,
        |x, y| (x < split) != (y < split),
        &Constraints::default(),
        None,
        &Default::default(),
    );
    let resolve_time = start.elapsed() - read_time;

    // Pairwise scores over the clusters.
    let mut predicted: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, c) in run.clustering.cluster.iter().enumerate() {
        predicted.entry(*c).or_default().push(i);
    }
    let entity = |i: usize| truth.get(&rows[i]["rec_id"]).cloned().unwrap_or_default();
    let (mut tp, mut fp) = (0u64, 0u64);
    for members in predicted.values() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if entity(i) == entity(j) {
                    tp += 1;
                } else {
                    fp += 1;
                }
            }
        }
    }
    let mut by_entity: HashMap<String, u64> = HashMap::new();
    for i in 0..rows.len() {
        *by_entity.entry(entity(i)).or_default() += 1;
    }
    let true_pairs: u64 = by_entity.values().map(|n| n * (n - 1) / 2).sum();
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / true_pairs.max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE);
    println!(
        "FEBRL4 engine: {} records, {} candidate pairs, read {:.3} s, resolve {:.3} s",
        records.len(),
        run.pairs,
        read_time.as_secs_f64(),
        resolve_time.as_secs_f64()
    );
    for s in &run.blocking {
        println!(
            "  blocking {:<35} pairs {:>8} new {:>8} skipped blocks {}",
            s.rule, s.pairs, s.new_pairs, s.skipped_blocks
        );
    }
    println!(
        "  lambda {:.5}, EM iterations {}",
        run.model.lambda, run.model.report.iterations
    );
    for p in &run.model.params {
        let w: Vec<String> = p
            .levels
            .iter()
            .zip(p.weights())
            .map(|(l, w)| format!("{l} {w:.1}"))
            .collect();
        println!("  {:<14} {}", p.field, w.join(", "));
    }
    println!(
        "pairs: predicted={} true={true_pairs} tp={tp} fp={fp} precision={precision:.4} recall={recall:.4} f1={f1:.4}",
        tp + fp
    );
}
