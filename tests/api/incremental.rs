//! A batch matched against a large register — through the stored model and the match index —
//! instead of the whole register resolved again.

use std::collections::{BTreeMap, BTreeSet};

use paicha::db::{household_link, match_key, match_key_oversized, match_model, review_candidate};
use paicha::eval::{PairwiseScores, TruthFormat, pairwise, parse_truth, predicted_rows};
use paicha::register::Verdict;
use paicha::resolve::profile::Profile;
use paicha::synth::{SynthFiles, generate};
use paicha::{Reference, Register};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use paicha::intake::SourceKind::{self, Bigdata, External, Township};

use crate::helpers::{Backend, import_file, import_synthetic, open_register};

const PERSONS: usize = 1500;
const SEED: u64 = 20_200_126;

crate::on_both_backends!(
    a_batch_matched_against_the_register_finds_what_resolving_everything_finds,
    a_decision_in_a_large_register_resolves_the_persons_it_concerns,
    the_migration_that_rebuilds_the_match_index_keeps_its_rows,
    a_households_phone_stays_the_households_when_one_member_is_reported_again,
);

/// A register on a fresh database whose profile resolves the whole register only below
/// `whole_below` records (the built-in profile: 50 000).
async fn open(backend: Backend, whole_below: usize) -> (Register, tempfile::TempDir) {
    let mut profile = Profile::builtin("cn-identity")
        .expect("built-in profile")
        .expect("valid profile");
    profile.model.resolve_whole_below = whole_below;
    open_register(backend, profile).await
}

fn files() -> SynthFiles {
    generate(PERSONS, SEED, &Reference::load(None).expect("demo county"))
}

/// `(source/record_id, person)` of every current record.
async fn partition(register: &Register) -> Vec<(String, u64)> {
    let records = register.export_records().await.expect("export");
    predicted_rows(&records, TruthFormat::SourceRecords)
}

/// The partition as a set of sets of record keys (person IDs left out).
fn groups(rows: &[(String, u64)]) -> BTreeSet<BTreeSet<String>> {
    let mut by_person: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for (key, person) in rows {
        by_person.entry(*person).or_default().insert(key.clone());
    }
    by_person.into_values().collect()
}

fn against_truth(rows: &[(String, u64)], files: &SynthFiles) -> PairwiseScores {
    let truth = parse_truth(&files.truth_csv).expect("truth");
    pairwise(rows, &truth.rows)
}

async fn models(register: &Register) -> u64 {
    match_model::Entity::find()
        .count(&register.db().conn)
        .await
        .expect("count models")
}

/// The match index: every (key hash, record) row and every oversized key.
async fn index(register: &Register) -> (BTreeSet<(i64, i64)>, BTreeSet<i64>) {
    let conn = &register.db().conn;
    let rows = match_key::Entity::find()
        .all(conn)
        .await
        .expect("match keys")
        .into_iter()
        .map(|k| (k.key_hash, k.source_record_id))
        .collect();
    let oversized = match_key_oversized::Entity::find()
        .all(conn)
        .await
        .expect("oversized keys")
        .into_iter()
        .map(|k| k.key_hash)
        .collect();
    (rows, oversized)
}

async fn a_batch_matched_against_the_register_finds_what_resolving_everything_finds(
    backend: Backend,
) {
    let files = files();
    let (whole, _a) = open(backend, usize::MAX).await;
    let (part, _b) = open(backend, 0).await;
    import_synthetic(&whole, &files).await;
    import_synthetic(&part, &files).await;

    // The whole register was resolved (and a model trained) for every batch. The large one
    // trained on the first batch; the second more than doubled the register, so it was
    // matched with a model trained on it and its neighbourhood (the rest of the register not
    // resolved again); the third (under a quarter more records) with that stored model.
    assert_eq!(models(&whole).await, 3);
    assert_eq!(models(&part).await, 2);

    let (w, p) = (partition(&whole).await, partition(&part).await);
    let (ws, ps) = (against_truth(&w, &files), against_truth(&p, &files));
    assert!(ws.f1 > 0.9, "resolving everything: {ws:?}");
    assert!(
        ps.f1 >= ws.f1 - 0.005,
        "matching the batch: F1 {} against {} resolving everything",
        ps.f1,
        ws.f1
    );
    let agreement = pairwise(&p, &w);
    assert!(agreement.f1 > 0.99, "the two partitions: {agreement:?}");

    // The index kept up batch by batch equals one rebuilt from every record.
    let kept = index(&part).await;
    assert!(!kept.0.is_empty(), "the index holds keys");
    part.resolve_all("test").await.expect("resolve everything");
    assert_eq!(kept, index(&part).await);

    // Retrained on the whole register, it finds exactly what resolving everything found.
    assert_eq!(models(&part).await, 3);
    assert_eq!(groups(&partition(&part).await), groups(&w));
}

/// The persons the two records of a candidate are linked to.
async fn persons_of(register: &Register, candidate: &review_candidate::Model) -> [i64; 2] {
    let mut persons = [0; 2];
    for (slot, record) in persons
        .iter_mut()
        .zip([candidate.record_a, candidate.record_b])
    {
        *slot = register
            .link_of_record(record)
            .await
            .expect("link query")
            .expect("every record is linked")
            .person_id;
    }
    persons
}

async fn a_decision_in_a_large_register_resolves_the_persons_it_concerns(backend: Backend) {
    let files = files();
    let (register, _dir) = open(backend, 0).await;
    import_synthetic(&register, &files).await;
    let person_of =
        |rows: &[(String, u64)]| -> BTreeMap<String, u64> { rows.iter().cloned().collect() };
    let pending = review_candidate::Entity::find()
        .filter(review_candidate::Column::State.eq("PENDING"))
        .order_by_asc(review_candidate::Column::Id)
        .all(&register.db().conn)
        .await
        .expect("candidates");
    assert!(
        pending.len() >= 2,
        "the synthetic county leaves pairs to review"
    );
    let before = person_of(&partition(&register).await);
    let persons_before = before.values().collect::<BTreeSet<_>>().len();

    // SAME: the two records' persons become one, and nothing else changes.
    let same = &pending[0];
    register
        .decide_candidate(same.id, Verdict::Same, None, "analyst")
        .await
        .expect("decide SAME");
    let persons = persons_of(&register, same).await;
    assert_eq!(persons[0], persons[1], "SAME makes one person");
    let after = person_of(&partition(&register).await);
    let persons_after = after.values().collect::<BTreeSet<_>>().len();
    assert!(
        persons_after == persons_before || persons_after + 1 == persons_before,
        "one merge at most: {persons_before} -> {persons_after}"
    );

    // DIFFERENT on a pair that was merged keeps them apart from now on.
    let different = pending
        .iter()
        .skip(1)
        .find(|c| c.record_a != same.record_a && c.record_b != same.record_b)
        .expect("a second candidate");
    register
        .decide_candidate(different.id, Verdict::Different, None, "analyst")
        .await
        .expect("decide DIFFERENT");
    let persons = persons_of(&register, different).await;
    assert_ne!(persons[0], persons[1], "DIFFERENT keeps two persons");
}

/// `m20260106` rebuilds `match_key` (as a `WITHOUT ROWID` table on SQLite): undone (with the
/// two migrations after it, whose own undoing is tried on a register with data too) and done
/// again on a register that holds keys, the index keeps every row.
async fn the_migration_that_rebuilds_the_match_index_keeps_its_rows(backend: Backend) {
    let files = files();
    let (register, _dir) = open(backend, usize::MAX).await;
    import_synthetic(&register, &files).await;
    let before = index(&register).await;
    assert!(!before.0.is_empty(), "the index holds keys");
    register
        .db()
        .undo_migrations(10)
        .await
        .expect("undo m20260106 and every migration after it");
    assert_eq!(index(&register).await, before, "kept by the undo");
    register.db().migrate().await.expect("apply it again");
    assert_eq!(index(&register).await, before, "kept by the migration");
}

async fn household_links(register: &Register) -> Vec<household_link::Model> {
    household_link::Entity::find()
        .all(&register.db().conn)
        .await
        .expect("household links")
}

/// The person of one record in a partition.
fn person_in(rows: &[(String, u64)], source: SourceKind, record_id: &str) -> u64 {
    let key = format!("{}\u{1f}{record_id}", source.as_db());
    rows.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, p)| *p)
        .unwrap_or_else(|| panic!("{source}/{record_id} not in {rows:?}"))
}

/// Issue 25, the wrong merges at 110 000 persons: a phone-only row linked to a household
/// must stay the household's when a later batch brings one member again. The batch's part
/// held that member's records and the row but not the housemate's (whose valid ID number
/// differs from every fresh record's), so the row fitted one member only and was merged
/// with them. A batch now meets every record of a phone's block that holds a record
/// without a valid ID number.
async fn a_households_phone_stays_the_households_when_one_member_is_reported_again(
    backend: Backend,
) {
    let (register, _dir) = open(backend, 0).await;
    let phone = "13598761234";
    // The province's list: the phone alone, and the wife's row with her name and phone.
    import_file(
        &register,
        Bigdata,
        "list.csv",
        format!(
            "record_id,name,phone,origin,arrival_date\n\
             P1,,{phone},武汉市,2020-01-21\n\
             B1,李秀英,{phone},武汉市,2020-01-21\n"
        ),
    )
    .await;
    // The township's forms: husband and wife, one address, one phone.
    import_file(
        &register,
        Township,
        "forms.csv",
        format!(
            "record_id,township,village,name,id_number,phone,address,origin,arrival_date\n\
             H1,城关镇,东大街社区,周建军,411599198104300378,{phone},青溪县城关镇东大街社区幸福路8号,武汉市,2020-01-21\n\
             H2,城关镇,东大街社区,李秀英,411599198306120420,{phone},青溪县城关镇东大街社区幸福路8号,武汉市,2020-01-21\n"
        ),
    )
    .await;
    let rows = partition(&register).await;
    let (row, husband, wife) = (
        person_in(&rows, Bigdata, "P1"),
        person_in(&rows, Township, "H1"),
        person_in(&rows, Township, "H2"),
    );
    assert_eq!(
        person_in(&rows, Bigdata, "B1"),
        wife,
        "the wife's two records: {rows:?}"
    );
    assert!(
        row != husband && row != wife && husband != wife,
        "three persons: {rows:?}"
    );
    let links = household_links(&register).await;
    assert_eq!(links.len(), 1, "the row is the household's: {links:?}");

    // Another jurisdiction's notice about the wife alone.
    import_file(
        &register,
        External,
        "notice.json",
        serde_json::json!([{
            "notice_no": "协〔2020〕7号",
            "sending_jurisdiction": "湖北省武汉市江岸区",
            "send_date": "2020-01-28",
            "persons": [{ "record_id": "01", "name": "李秀英", "sex": "女",
                          "id_number": "411599198306120420", "phone": phone }],
        }])
        .to_string(),
    )
    .await;
    let rows = partition(&register).await;
    let wife = person_in(&rows, Township, "H2");
    assert_eq!(
        person_in(&rows, External, "01"),
        wife,
        "the notice is the wife's"
    );
    assert_eq!(person_in(&rows, Bigdata, "B1"), wife);
    let row = person_in(&rows, Bigdata, "P1");
    assert!(
        row != wife && row != person_in(&rows, Township, "H1"),
        "the phone row is still nobody's but the household's: {rows:?}"
    );
    let links = household_links(&register).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].person_id, row as i64);
}
