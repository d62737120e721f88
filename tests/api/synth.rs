//! Synthetic benchmark data and its scoring: `paicha synth` writes the three sources' files and
//! their truth, `paicha eval` scores the register against a truth.

use std::collections::{BTreeSet, HashMap};

use paicha::Reference;
use paicha::eval::{PairwiseScores, TruthFormat, pairwise, parse_truth, predicted_rows};
use paicha::synth::{SynthFiles, generate};

use crate::helpers::{TestApp, import_synthetic, paicha_command, run_ok};

crate::on_every_backend!(
    importing_the_synthetic_files_accepts_exactly_the_truth_rows,
    eval_of_the_imported_register_agrees_with_a_brute_force_pair_count,
);

const PERSONS: usize = 300;
const SEED: u64 = 20_200_125;

fn files() -> SynthFiles {
    generate(PERSONS, SEED, &Reference::load(None).expect("demo county"))
}

/// `(source, record_id)` of every row of the three files, record IDs as written.
fn record_ids_in_files(files: &SynthFiles) -> Vec<(&'static str, String)> {
    let mut ids = Vec::new();
    for (source, text) in [
        ("bigdata", &files.bigdata_csv),
        ("township", &files.township_csv),
    ] {
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        for row in reader.records() {
            let row = row.expect("well-formed CSV");
            ids.push((source, row[0].to_owned()));
        }
    }
    let notices: serde_json::Value =
        serde_json::from_str(&files.external_json).expect("JSON notices");
    for notice in notices.as_array().expect("an array of notices") {
        for person in notice["persons"].as_array().expect("persons") {
            let id = person["record_id"].as_str().expect("record_id");
            ids.push(("external", id.to_owned()));
        }
    }
    ids
}

/// `(source, record_id, person_id)` rows of a truth CSV.
fn truth_rows(files: &SynthFiles) -> Vec<(String, String, u64)> {
    let mut reader = csv::Reader::from_reader(files.truth_csv.as_bytes());
    assert_eq!(
        reader.headers().expect("header"),
        vec!["source", "record_id", "person_id"]
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("well-formed truth");
            (
                r[0].to_owned(),
                r[1].to_owned(),
                r[2].parse().expect("numeric person_id"),
            )
        })
        .collect()
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_another_seed_other_ones() {
    let reference = Reference::load(None).expect("demo county");
    let a = generate(PERSONS, SEED, &reference);
    let b = generate(PERSONS, SEED, &reference);
    assert_eq!(a.bigdata_csv, b.bigdata_csv);
    assert_eq!(a.township_csv, b.township_csv);
    assert_eq!(a.external_json, b.external_json);
    assert_eq!(a.truth_csv, b.truth_csv);

    let c = generate(PERSONS, SEED + 1, &reference);
    assert_ne!(a.truth_csv, c.truth_csv);
    assert_ne!(a.township_csv, c.township_csv);
}

#[test]
fn every_truth_record_is_in_the_files_and_record_ids_are_unique_per_source() {
    let files = files();
    let in_files = record_ids_in_files(&files);
    let unique: BTreeSet<_> = in_files.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        in_files.len(),
        "record IDs repeat within a source"
    );

    let truth = truth_rows(&files);
    assert_eq!(
        truth.len(),
        files.stats.records.values().sum::<usize>(),
        "a truth row for every record the files are said to hold"
    );
    for (source, record_id, _) in &truth {
        assert!(
            unique.contains(&(source.as_str(), record_id.clone())),
            "{source}/{record_id} of the truth is in no file"
        );
    }
    // The files hold the truth's records and the deliberately unusable rows, nothing else.
    let rejected = &files.stats.rejected;
    assert_eq!(in_files.len(), truth.len() + rejected.len());
    assert!(!rejected.is_empty(), "some rows must be unusable");
    assert!(
        rejected.len() * 100 < truth.len(),
        "about 0.5 % unusable rows, not {} of {}",
        rejected.len(),
        truth.len()
    );

    // Every person appears, about 1.8 records each, in the demo's mix of sources.
    let persons: BTreeSet<u64> = truth.iter().map(|(_, _, p)| *p).collect();
    assert_eq!(persons.len(), PERSONS);
    let per_person = truth.len() as f64 / PERSONS as f64;
    assert!(
        (1.5..2.1).contains(&per_person),
        "{per_person} records a person"
    );
    let share = |source: &str| {
        truth.iter().filter(|(s, _, _)| s == source).count() as f64 / truth.len() as f64
    };
    assert!((0.3..0.5).contains(&share("bigdata")));
    assert!((0.35..0.55).contains(&share("township")));
    assert!((0.08..0.22).contains(&share("external")));
}

async fn importing_the_synthetic_files_accepts_exactly_the_truth_rows(app: TestApp) {
    let files = files();
    let reports = import_synthetic(&app.register, &files).await;
    assert_eq!(reports.len(), 3, "a report for each source");

    for (report, source) in reports.iter().zip(["bigdata", "township", "external"]) {
        let expected = files.stats.records.get(source).copied().unwrap_or(0);
        let rejected = files
            .stats
            .rejected
            .iter()
            .filter(|(s, _)| *s == source)
            .count();
        assert_eq!(report.rows_accepted as usize, expected, "{source} accepted");
        assert_eq!(report.rows_rejected as usize, rejected, "{source} rejected");
        assert!(
            report
                .rejected
                .iter()
                .all(|r| r.reason.contains("无法识别人员")),
            "{source}: a row was rejected for another reason: {:?}",
            report.rejected
        );
    }

    let registered: BTreeSet<(String, String)> = app
        .register
        .export_records()
        .await
        .expect("export")
        .into_iter()
        .map(|(source, record_id, _)| (source.to_ascii_lowercase(), record_id))
        .collect();
    let truth: BTreeSet<(String, String)> = truth_rows(&files)
        .into_iter()
        .map(|(source, record_id, _)| (source, record_id))
        .collect();
    assert_eq!(registered, truth);
}

/// tp, fp and fn counted over every pair of records both sides know.
fn brute_force(predicted: &[(String, u64)], truth: &[(String, u64)]) -> (u64, u64, u64) {
    let truth: HashMap<&str, u64> = truth.iter().map(|(k, c)| (k.as_str(), *c)).collect();
    let common: Vec<(u64, u64)> = predicted
        .iter()
        .filter_map(|(k, p)| truth.get(k.as_str()).map(|t| (*p, *t)))
        .collect();
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (i, a) in common.iter().enumerate() {
        for b in &common[i + 1..] {
            match (a.0 == b.0, a.1 == b.1) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                (false, false) => {}
            }
        }
    }
    (tp, fp, fn_)
}

fn assert_in_unit_range(s: &PairwiseScores) {
    for v in [s.precision, s.recall, s.f1] {
        assert!((0.0..=1.0).contains(&v), "{s:?}");
    }
}

async fn eval_of_the_imported_register_agrees_with_a_brute_force_pair_count(app: TestApp) {
    let files = files();
    import_synthetic(&app.register, &files).await;
    let truth = parse_truth(&files.truth_csv).expect("our truth format");
    assert_eq!(truth.format, TruthFormat::SourceRecords);

    let records = app.register.export_records().await.expect("export");
    let predicted = predicted_rows(&records, truth.format);
    let scores = pairwise(&predicted, &truth.rows);

    assert_in_unit_range(&scores);
    assert_eq!(scores.records as usize, truth.rows.len());
    assert_eq!((scores.only_predicted, scores.only_truth), (0, 0));
    assert_eq!(
        (scores.tp, scores.fp, scores.fn_),
        brute_force(&predicted, &truth.rows)
    );
    assert!(scores.true_pairs > 0, "the synthetic set has duplicates");

    let itself = pairwise(&truth.rows, &truth.rows);
    assert_eq!(
        (itself.precision, itself.recall, itself.f1),
        (1.0, 1.0, 1.0)
    );
    assert_eq!(itself.tp, scores.true_pairs);
}

#[test]
fn synth_then_import_then_eval_works_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let out = dir.path().join("synth");
    let summary = run_ok(
        paicha_command(&db)
            .args(["synth", "--persons", "200", "--seed", "7", "--out"])
            .arg(&out),
    );
    assert!(summary.contains("persons: 200"), "{summary}");
    for name in [
        "bigdata.csv",
        "township.csv",
        "external.json",
        "truth.csv",
        "location.csv",
    ] {
        assert!(out.join(name).is_file(), "{name} written");
    }
    for (source, name) in [
        ("bigdata", "bigdata.csv"),
        ("township", "township.csv"),
        ("external", "external.json"),
    ] {
        run_ok(
            paicha_command(&db)
                .args(["import", source])
                .arg(out.join(name)),
        );
    }

    let json = run_ok(
        paicha_command(&db)
            .args(["eval", "--json", "--truth"])
            .arg(out.join("truth.csv")),
    );
    let scores: serde_json::Value = serde_json::from_str(&json).expect("JSON scores");
    let f1 = scores["f1"].as_f64().expect("an f1 field");
    assert!((0.0..=1.0).contains(&f1), "{scores}");
    assert_eq!(scores["only_truth"], 0, "{scores}");
    assert_eq!(scores["truth_format"], "source_records");
    let truth_rows = std::fs::read_to_string(out.join("truth.csv"))
        .expect("truth")
        .lines()
        .count()
        - 1;
    assert_eq!(scores["records"], truth_rows);
    let json = run_ok(
        paicha_command(&db)
            .args(["eval", "--json", "--truth"])
            .arg(out.join("truth.csv"))
            .arg("--location")
            .arg(out.join("location.csv")),
    );
    let scores: serde_json::Value = serde_json::from_str(&json).expect("JSON scores");
    let accuracy = scores["location"]["accuracy"].as_f64().expect("location");
    assert!((0.0..=1.0).contains(&accuracy), "{scores}");
    assert!(
        scores["location"]["persons"].as_u64() > Some(150),
        "{scores}"
    );

    let text = run_ok(
        paicha_command(&db)
            .args(["eval", "--truth"])
            .arg(out.join("truth.csv")),
    );
    assert!(
        text.contains("pairs: predicted=") && text.contains(" f1="),
        "{text}"
    );
}
