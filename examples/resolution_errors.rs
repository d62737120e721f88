//! The resolution engine's errors by kind, against a truth file:
//! `cargo run --release --example resolution_errors -- DATABASE_URL TRUTH [PROFILE] [N]`.
//!
//! Reads the current records of a register (after `paicha import`), resolves them in memory
//! exactly as the register's last run did (all records together, ids in order, no analysts'
//! decisions), scores the clustering against the truth, and groups the missed pairs (same
//! person, apart) and the wrong pairs (different persons, together) by the shape of the two
//! records and how their fields compared. PROFILE is a built-in name or a TOML file (default
//! `cn-identity`), so a changed profile is measured without importing again; N is how many
//! classes of each kind to print (default 25). Only shapes, levels and weights are printed,
//! never a name, ID number or phone.

use std::collections::{BTreeMap, HashMap, HashSet};

use paicha::eval::{self, record_key};
use paicha::intake::SourceKind;
use paicha::register::golden::StoredIdentity;
use paicha::register::resolution::field_values;
use paicha::resolve::block::candidate_pairs;
use paicha::resolve::cluster::Constraints;
use paicha::resolve::compare::FieldValue;
use paicha::resolve::engine;
use paicha::resolve::model::Model;
use sea_orm::{ConnectionTrait, Database, Statement};

/// What a record carries, in a few letters: `N` name, `I` full ID (`i` failing its checksum),
/// `M10`/`M8` a mask showing ten / eight digits, `P` phone, `B`/`S` birth date / sex, `T`
/// township.
fn shape(record: &[FieldValue], model: &Model) -> String {
    let field = |name: &str| {
        model
            .profile
            .field_index(name)
            .map_or(&FieldValue::Missing, |f| &record[f])
    };
    let mut s = String::new();
    if !field("name").is_missing() {
        s.push('N');
    }
    if let FieldValue::Id(id) = field("id_number") {
        match (&id.full, &id.masked) {
            (Some(_), _) if id.valid => s.push('I'),
            (Some(_), _) => s.push('i'),
            (None, Some(m)) => {
                let shown = m.bytes().filter(|b| *b != b'*').count();
                s.push_str(if shown >= 10 { "M10" } else { "M8" });
            }
            _ => {}
        }
    }
    for (name, letter) in [
        ("phones", 'P'),
        ("birth_date", 'B'),
        ("sex", 'S'),
        ("township", 'T'),
    ] {
        if !field(name).is_missing() {
            s.push(letter);
        }
    }
    s
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, truth_path, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: resolution_errors DATABASE_URL TRUTH [PROFILE] [N]");
    };
    let profile = paicha::config::load_profile(rest.first().map_or("cn-identity", String::as_str))?;
    let show: usize = rest.get(1).and_then(|n| n.parse().ok()).unwrap_or(25);
    let truth = eval::parse_truth(&std::fs::read_to_string(truth_path)?)?;

    let rows: Vec<(String, String, String)> = tokio::runtime::Runtime::new()?.block_on(async {
        let db = Database::connect(url.as_str()).await?;
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT source, record_id, normalized FROM source_record \
                 WHERE is_current ORDER BY id",
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String>("", "source")?,
                    r.try_get::<String>("", "record_id")?,
                    r.try_get::<String>("", "normalized")?,
                ))
            })
            .collect::<Result<Vec<_>, sea_orm::DbErr>>()
    })?;
    let keys: Vec<String> = rows
        .iter()
        .map(|(source, record_id, _)| {
            let source = SourceKind::from_db(source).unwrap_or(SourceKind::Bigdata);
            record_key(truth.format, source, record_id)
        })
        .collect();
    let sources: Vec<&str> = rows.iter().map(|(s, _, _)| s.as_str()).collect();
    let values: Vec<Vec<FieldValue>> = rows
        .iter()
        .map(|(_, _, normalized)| {
            let identity: StoredIdentity = serde_json::from_str(normalized).unwrap_or_default();
            field_values(&profile, &identity, None)
        })
        .collect();

    let started = std::time::Instant::now();
    let run = engine::run(
        &profile,
        &values,
        |_, _| true,
        &Constraints::default(),
        None,
        &Default::default(),
    );
    let elapsed = started.elapsed();
    let cluster = &run.clustering.cluster;
    let predicted: Vec<(String, u64)> = keys
        .iter()
        .zip(cluster)
        .map(|(k, c)| (k.clone(), u64::from(*c)))
        .collect();
    let scores = eval::pairwise(&predicted, &truth.rows);
    print!("{}", scores.to_text());
    println!(
        "engine: {} records, {} pairs, {:.2} s, lambda {:.3}",
        values.len(),
        run.pairs,
        elapsed.as_secs_f64(),
        run.model.lambda
    );
    for p in &run.model.params {
        println!("  {:<13} {}", p.field, p.weights_text());
    }

    let person: HashMap<&str, u64> = truth.rows.iter().map(|(k, p)| (k.as_str(), *p)).collect();
    let person_of: Vec<Option<u64>> = keys
        .iter()
        .map(|k| person.get(k.as_str()).copied())
        .collect();
    let (candidates, _) = candidate_pairs(&profile, &values, |_, _| true, &Default::default());
    let candidates: HashSet<(u32, u32)> = candidates.into_iter().collect();
    let review: HashSet<(u32, u32)> = run
        .clustering
        .review
        .iter()
        .map(|r| (r.a.min(r.b), r.a.max(r.b)))
        .collect();

    let review_same = review
        .iter()
        .filter(|&&(a, b)| {
            person_of[a as usize].is_some() && person_of[a as usize] == person_of[b as usize]
        })
        .count();
    println!(
        "review pairs: {} ({} the same person), household links: {} (records {}, the holder among the members: {})",
        review.len(),
        review_same,
        run.clustering.households.len(),
        run.clustering
            .households
            .iter()
            .map(|h| h.records.len())
            .sum::<usize>(),
        run.clustering
            .households
            .iter()
            .filter(|h| h
                .members
                .iter()
                .any(|&m| person_of[m as usize] == person_of[h.records[0] as usize]))
            .count(),
    );

    // Every pair of records that is together on exactly one side.
    let mut by_person: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    let mut by_cluster: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for i in 0..values.len() as u32 {
        if let Some(p) = person_of[i as usize] {
            by_person.entry(p).or_default().push(i);
        }
        by_cluster.entry(cluster[i as usize]).or_default().push(i);
    }
    // Pairs inside one group of `groups` that `apart` says should not be together.
    let pairs_within = |groups: Vec<&Vec<u32>>, apart: &dyn Fn(u32, u32) -> bool| {
        let mut out = Vec::new();
        for members in groups {
            for (x, &a) in members.iter().enumerate() {
                out.extend(
                    members[x + 1..]
                        .iter()
                        .filter(|&&b| apart(a, b))
                        .map(|&b| (a, b)),
                );
            }
        }
        out
    };
    let missed = pairs_within(by_person.values().collect(), &|a, b| {
        cluster[a as usize] != cluster[b as usize]
    });
    let wrong = pairs_within(by_cluster.values().collect(), &|a, b| {
        person_of[a as usize] != person_of[b as usize]
    });

    // A pair's class: the two records' sources and shapes, and the levels of `fields`.
    let class_of = |a: u32, b: u32, score: &paicha::resolve::model::Score, fields: &[&str]| {
        let mut sides = [a, b].map(|r| {
            format!(
                "{}:{}",
                &sources[r as usize][..2],
                shape(&values[r as usize], &run.model)
            )
        });
        sides.sort();
        let levels: Vec<String> = score
            .fields
            .iter()
            .filter(|f| fields.contains(&f.field.as_str()))
            .map(|f| format!("{}={}", &f.field[..2], f.level))
            .collect();
        format!("{} ~ {} | {}", sides[0], sides[1], levels.join(" "))
    };

    // Candidate pairs of the classes above: how many are truly the same person, and how
    // many the clustering merged.
    let mut pair_classes: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for &(a, b) in &candidates {
        let score = run.model.score(&values[a as usize], &values[b as usize]);
        if score.total < run.model.profile.thresholds.review {
            continue;
        }
        let key = class_of(a, b, &score, &["id_number", "name", "phones"]);
        let e = pair_classes.entry(key).or_default();
        let same =
            person_of[a as usize].is_some() && person_of[a as usize] == person_of[b as usize];
        e.0 += usize::from(same);
        e.1 += usize::from(!same);
        e.2 += usize::from(cluster[a as usize] == cluster[b as usize]);
    }
    let mut pair_classes: Vec<_> = pair_classes.into_iter().filter(|(_, c)| c.1 > 0).collect();
    pair_classes.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(&b.0)));
    println!(
        "\ncandidate pairs above the review threshold, classes with strangers (same, strangers, together):"
    );
    for (key, (same, strangers, together)) in pair_classes.iter().take(show) {
        println!("{same:>6} {strangers:>6} {together:>6}  {key}");
    }

    // The review pairs by class: (same person, strangers).
    let mut review_classes: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for &(a, b) in &review {
        let score = run.model.score(&values[a as usize], &values[b as usize]);
        let e = review_classes
            .entry(class_of(a, b, &score, &["id_number", "name", "phones"]))
            .or_default();
        if person_of[a as usize].is_some() && person_of[a as usize] == person_of[b as usize] {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let mut review_classes: Vec<_> = review_classes.into_iter().collect();
    review_classes.sort_by(|a, b| (b.1.0 + b.1.1).cmp(&(a.1.0 + a.1.1)).then(a.0.cmp(&b.0)));
    println!("\nreview pairs by class (same, strangers):");
    for (key, (same, strangers)) in review_classes.iter().take(show) {
        println!("{same:>6} {strangers:>6}  {key}");
    }

    for (title, pairs) in [("missed pairs", &missed), ("wrong pairs", &wrong)] {
        let mut classes: BTreeMap<String, (usize, f64, f64)> = BTreeMap::new();
        for &(a, b) in pairs {
            let score = run.model.score(&values[a as usize], &values[b as usize]);
            let class = class_of(a, b, &score, &["id_number", "name", "phones", "birth_date"]);
            let pair = (a.min(b), a.max(b));
            let fate = if !candidates.contains(&pair) {
                "not blocked"
            } else if review.contains(&pair) {
                "review"
            } else {
                "scored"
            };
            let key = format!("{class} | {fate}");
            let entry = classes
                .entry(key)
                .or_insert((0, f64::INFINITY, f64::NEG_INFINITY));
            entry.0 += 1;
            entry.1 = entry.1.min(score.total);
            entry.2 = entry.2.max(score.total);
        }
        let mut classes: Vec<(String, (usize, f64, f64))> = classes.into_iter().collect();
        classes.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
        println!("\n{title}: {} in {} classes", pairs.len(), classes.len());
        for (key, (n, lo, hi)) in classes.iter().take(show) {
            println!("{n:>6}  [{lo:>6.1} .. {hi:>6.1}]  {key}");
        }
    }
    Ok(())
}
