//! A batch at least as large as the register is a bulk write: on SQLite the secondary indexes
//! of the tables it fills are dropped and built again, sorted, before the commit. The register
//! must come out exactly as with indexes maintained row by row, every index must come back, and
//! a failure in the middle must leave neither half a batch nor a missing index.

use paicha::db::{Db, Sharing, observation};
use paicha::intake::SourceKind;
use paicha::register::ImportRequest;
use paicha::resolve::profile::Profile;
use paicha::synth::generate;
use paicha::{Reference, Register};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryOrder, Statement};

use crate::helpers::{
    Backend, count_rows, import_failing_on_purpose, import_file, open_register, phone_list,
};

crate::on_both_backends!(
    a_bulk_import_writes_the_register_an_ordinary_one_writes,
    a_bulk_import_cut_off_midway_leaves_no_records_and_every_index,
    a_run_that_reads_identities_back_writes_the_golden_records_one_holding_them_writes,
);

/// A register on a fresh database; every import of at least `bulk_min` records into a register
/// no larger is a bulk write, and on PostgreSQL every write of at least `bulk_min` rows of one
/// table copies them (`COPY` through a staging table).
async fn open(backend: Backend, bulk_min: usize) -> (Register, tempfile::TempDir) {
    let profile = Profile::builtin("cn-identity")
        .expect("built-in profile")
        .expect("valid profile");
    let (register, dir) = open_register(backend, profile).await;
    let register = register
        .with_bulk_min_records(bulk_min)
        .with_copy_min_rows(bulk_min);
    (register, dir)
}

/// The names of every index of the register's database.
async fn index_names(register: &Register) -> Vec<String> {
    let conn = &register.db().conn;
    let sql = match register.db().backend() {
        DbBackend::Postgres => {
            "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() \
             ORDER BY 1"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY 1",
    };
    conn.query_all_raw(Statement::from_string(register.db().backend(), sql))
        .await
        .expect("list indexes")
        .into_iter()
        .map(|row| row.try_get::<String>("", "name").expect("index name"))
        .collect()
}

async fn a_bulk_import_writes_the_register_an_ordinary_one_writes(backend: Backend) {
    let files = generate(
        600,
        20_200_127,
        &Reference::load(None).expect("demo county"),
    );
    let (bulk, _a) = open(backend, 1).await;
    let (ordinary, _b) = open(backend, usize::MAX).await;
    let indexes = index_names(&bulk).await;
    assert!(indexes.len() > 20, "{indexes:?}");
    // The first file is a bulk write in `bulk` (the register is empty); the second is
    // smaller than the register it joins, so its indexes are maintained.
    import_both(&[&bulk, &ordinary], &files).await;
    assert_eq!(index_names(&bulk).await, indexes, "every index came back");
    assert_same_register(&bulk, &ordinary).await;
    // Resolved again whole: on PostgreSQL `bulk` copies its upserts of persons and links.
    for register in [&bulk, &ordinary] {
        register.resolve_all("test").await.expect("resolve");
    }
    assert_same_register(&bulk, &ordinary).await;
}

/// Imports the synthetic township file, then the big-data file, into each register.
async fn import_both(registers: &[&Register], files: &paicha::synth::SynthFiles) {
    for register in registers {
        for (source, name, text) in [
            (SourceKind::Township, "township.csv", &files.township_csv),
            (SourceKind::Bigdata, "bigdata.csv", &files.bigdata_csv),
        ] {
            import_file(register, source, name, text).await;
        }
    }
}

/// Both registers hold the same records in the same persons, with the same golden records.
async fn assert_same_register(a: &Register, b: &Register) {
    assert_eq!(
        a.export_records().await.expect("export"),
        b.export_records().await.expect("export"),
        "the same records in the same persons"
    );
    let persons = |p: Vec<paicha::db::person::Model>| -> Vec<_> {
        p.into_iter()
            .map(|p| (p.id, p.name, p.id_number, p.phones, p.golden, p.merged_into))
            .collect()
    };
    let written = persons(b.export_persons().await.expect("export"));
    assert!(written.len() > 300, "{} persons", written.len());
    assert_eq!(
        persons(a.export_persons().await.expect("export")),
        written,
        "the same golden records"
    );
    // The observations of a first list are a bulk write of their own.
    let observations = |r: &Register| {
        let conn = r.db().conn.clone();
        async move {
            observation::Entity::find()
                .order_by_asc(observation::Column::PersonId)
                .all(&conn)
                .await
                .expect("observations")
                .into_iter()
                .map(|o| (o.person_id, o.township, o.state, o.start_date, o.active))
                .collect::<Vec<_>>()
        }
    };
    let started = observations(b).await;
    assert!(started.len() > 300, "{} observations", started.len());
    assert_eq!(observations(a).await, started, "the same observations");
}

/// The import of a big-data list of phones (`helpers::phone_list`).
fn list_import(csv: &str) -> ImportRequest<'_> {
    ImportRequest::new(
        SourceKind::Bigdata,
        "list.csv",
        csv.as_bytes().to_vec(),
        "test",
    )
}

/// Imports `csv` into an empty `register`, cut off after 700 records, and checks that nothing
/// of it was written and every index is still there.
async fn assert_a_cut_off_import_leaves_nothing(register: &Register, csv: &str) {
    let indexes = index_names(register).await;
    let request = ImportRequest {
        fail_after_records: Some(700),
        ..list_import(csv)
    };
    import_failing_on_purpose(register, request).await;
    for table in ["import_batch", "source_record", "person", "record_link"] {
        assert_eq!(count_rows(register, table).await, 0, "{table} rolled back");
    }
    assert_eq!(index_names(register).await, indexes, "no index lost");
}

async fn a_bulk_import_cut_off_midway_leaves_no_records_and_every_index(backend: Backend) {
    let (register, _dir) = open(backend, 1).await;
    let indexes = index_names(&register).await;
    let csv = phone_list(1_200);
    assert_a_cut_off_import_leaves_nothing(&register, &csv).await;
    let report = register
        .import(list_import(&csv))
        .await
        .expect("the same file imports once the failure is gone");
    assert_eq!(report.records_new, 1_200);
    assert_eq!(index_names(&register).await, indexes);
}

/// A large run lets each record's identity go once its comparison values are made and reads
/// identities back for golden records; it must write exactly what a run holding them writes.
async fn a_run_that_reads_identities_back_writes_the_golden_records_one_holding_them_writes(
    backend: Backend,
) {
    let files = generate(
        600,
        20_200_128,
        &Reference::load(None).expect("demo county"),
    );
    let (reads_back, _a) = open(backend, usize::MAX).await;
    let reads_back = reads_back.with_identities_held(0);
    let (holds, _b) = open(backend, usize::MAX).await;
    // The second file is resolved whole too (the register is small), with the first file's
    // records read from the register and the second's fresh.
    import_both(&[&reads_back, &holds], &files).await;
    assert_same_register(&reads_back, &holds).await;
}

/// A register on the database at `url`, opened as `paicha import` opens it.
async fn open_alone(url: &str) -> Register {
    let profile = Profile::builtin("cn-identity")
        .expect("built-in profile")
        .expect("valid profile");
    Register::new(
        Db::connect_with(url, Sharing::Alone)
            .await
            .expect("open alone"),
        Reference::load(None).expect("demo county"),
        profile,
    )
}

/// `paicha import` opens SQLite alone: a rollback journal instead of the write-ahead log, so a
/// first load's pages are written once. It must write the very register a shared database
/// writes, roll a cut-off import back whole, hand the database back in write-ahead-log mode,
/// and keep the log (and still write) while another process has the database open.
#[tokio::test]
async fn a_register_opened_alone_writes_with_a_rollback_journal_and_gives_the_log_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("alone.db").display()
    );
    let reference = || Reference::load(None).expect("demo county");
    let alone = open_alone(&url).await.with_bulk_min_records(1);
    assert_eq!(
        alone.db().journal_mode().await.expect("mode").as_deref(),
        Some("delete")
    );

    // Cut off in the middle: nothing of the file, every index still there.
    let csv = phone_list(1_200);
    assert_a_cut_off_import_leaves_nothing(&alone, &csv).await;

    // The same register as one written through the log.
    let files = generate(600, 20_200_129, &reference());
    let (shared, _b) = open(Backend::Sqlite, 1).await;
    import_both(&[&alone, &shared], &files).await;
    assert_same_register(&alone, &shared).await;

    alone.db().release().await.expect("release");
    assert_eq!(
        alone.db().journal_mode().await.expect("mode").as_deref(),
        Some("wal")
    );
    alone.db().conn.clone().close().await.expect("close");

    // A server has the database open: the command keeps the log, and writes through it.
    let server = Db::connect(&url).await.expect("server");
    let started = std::time::Instant::now();
    let command = open_alone(&url).await;
    assert!(
        started.elapsed().as_secs() < 5,
        "the refusal is not waited for"
    );
    assert_eq!(
        command.db().journal_mode().await.expect("mode").as_deref(),
        Some("wal")
    );
    let before = count_rows(&command, "source_record").await;
    command
        .import(list_import(&csv))
        .await
        .expect("imports beside the server");
    let seen = server
        .conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT COUNT(*) AS n FROM source_record",
        ))
        .await
        .expect("the server reads")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("count");
    assert_eq!(seen, before + 1_200);
}
