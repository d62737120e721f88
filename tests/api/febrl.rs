//! The FEBRL4 benchmark through the whole hub: import both files with the `febrl` profile,
//! resolve, export, score. Runs when `../shared/data/febrl` is beside the repository.

use paicha::intake::SourceKind;
use paicha::register::ImportRequest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn febrl4_is_linked_with_an_f1_of_at_least_0_999() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/febrl");
    if !dir.join("febrl4_a.csv").exists() {
        eprintln!("../shared/data/febrl not found: FEBRL test skipped");
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        tmp.path().join("febrl.db").display()
    );
    let reference = paicha::Reference::load(None).expect("county");
    let profile = paicha::config::load_profile("febrl").expect("febrl profile");
    let register = paicha::open_register_with(&url, reference, profile)
        .await
        .expect("register");
    let mapping = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/febrl/febrl.map.toml"),
    )
    .expect("mapping");
    for name in ["febrl4_a.csv", "febrl4_b.csv"] {
        let bytes = std::fs::read(dir.join(name)).expect("FEBRL file");
        let mut request = ImportRequest::new(SourceKind::Bigdata, name, bytes.clone(), "test");
        request.mapping = Some(&mapping);
        let report = register.import(request).await.expect("import");
        assert_eq!(report.rows_accepted, 5_000, "{name}");
    }
    let predicted: Vec<(String, u64)> = register
        .export_records()
        .await
        .expect("export")
        .into_iter()
        .map(|(_, record_id, person)| (record_id, person as u64))
        .collect();
    let truth_text = std::fs::read_to_string(dir.join("febrl4_truth_clusters.csv")).expect("truth");
    let truth: Vec<(String, u64)> = truth_text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (rec, entity) = line.split_once(',')?;
            Some((rec.to_owned(), entity.trim().parse().ok()?))
        })
        .collect();
    let scores = paicha::eval::pairwise(&predicted, &truth);
    assert!(scores.f1 >= 0.999, "{scores:?}");
}
