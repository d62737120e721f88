//! Intake: every source in every format, headers, encodings, versions, rejects, atomicity.

use paicha::error::AppError;
use paicha::intake::SourceKind;
use paicha::register::ImportRequest;
use paicha::register::import::ReadAhead;

use crate::helpers::{
    Backend, TestApp, import_failing_on_purpose, import_file, list_failing_after, open_register,
    phone_list, sample_bytes,
};

crate::on_every_backend!(
    each_source_is_imported_from_each_format,
    chinese_headers_in_simplified_and_traditional_characters_are_understood,
    a_gb18030_file_is_detected_and_read,
    a_mapping_file_names_headers_paicha_does_not_know,
    importing_the_same_file_twice_changes_nothing,
    a_changed_row_becomes_a_new_version_and_the_rest_stay_unchanged,
    rejected_rows_are_reported_with_their_row_number_and_reason,
    an_unreadable_file_is_refused_whole_and_nothing_is_written,
    a_failure_in_the_middle_of_a_batch_leaves_no_half_batch,
    a_file_unreadable_after_rows_already_written_is_refused_whole,
    unknown_columns_and_formula_like_cells_are_kept_raw,
    problems_are_stored_once_beside_the_normalised_identity,
    a_file_read_ahead_of_its_import_is_imported_as_it_would_be_otherwise,
);

async fn each_source_is_imported_from_each_format(app: TestApp) {
    let csv = app.import_ok(SourceKind::Township, "township.csv").await;
    assert_eq!((csv.rows_read, csv.rows_accepted), (10, 9));
    assert_eq!(csv.format, "csv");

    let xlsx = app.import_ok(SourceKind::Township, "township.xlsx").await;
    assert_eq!(
        (xlsx.rows_read, xlsx.rows_accepted, xlsx.rows_rejected),
        (8, 8, 0)
    );
    assert_eq!(xlsx.format, "xlsx");

    let ndjson = app.import_ok(SourceKind::Bigdata, "bigdata.ndjson").await;
    assert_eq!(
        (ndjson.rows_read, ndjson.rows_accepted),
        (12, 12),
        "blank line skipped"
    );
    assert_eq!(ndjson.format, "ndjson");

    let json = app.import_ok(SourceKind::Bigdata, "bigdata.json").await;
    assert_eq!((json.rows_read, json.rows_accepted), (5, 5));

    let external = app.import_ok(SourceKind::External, "external.json").await;
    assert_eq!((external.rows_accepted, external.notices), (5, 2));
    assert_eq!(app.count("notice").await, 2);

    let records = app.count("source_record").await;
    assert_eq!(records, 9 + 8 + 12 + 5 + 5);
    assert_eq!(
        app.count("record_link").await,
        records,
        "every record has a person"
    );
}

async fn chinese_headers_in_simplified_and_traditional_characters_are_understood(app: TestApp) {
    let bom = app
        .import_ok(SourceKind::Township, "township_bom.csv")
        .await;
    assert_eq!((bom.rows_read, bom.rows_accepted), (10, 9));
    let trad = app
        .import_ok(SourceKind::Township, "township_trad.csv")
        .await;
    assert_eq!((trad.rows_read, trad.rows_accepted), (5, 5));

    let data = app
        .gql_data(
            r#"{ sourceRecords(first: 50) { edges { node { recordId normalized { name township idClass } } } } }"#,
            serde_json::json!({}),
        )
        .await;
    let nodes: Vec<&serde_json::Value> = data["sourceRecords"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"])
        .collect();
    let tt1 = nodes
        .iter()
        .find(|n| n["recordId"] == "TT-0001")
        .expect("TT-0001");
    assert_eq!(
        tt1["normalized"]["name"], "郑伟",
        "Traditional name converted"
    );
    assert_eq!(tt1["normalized"]["township"], "东岳街道");
    let ts1 = nodes
        .iter()
        .find(|n| n["recordId"] == "TS-0001")
        .expect("TS-0001");
    assert_eq!(ts1["normalized"]["name"], "张伟");
    assert_eq!(ts1["normalized"]["idClass"], "VALID");
}

async fn a_gb18030_file_is_detected_and_read(app: TestApp) {
    let bytes = sample_bytes("township_gb18030.csv");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the sample is not UTF-8"
    );
    let report = app
        .import_ok(SourceKind::Township, "township_gb18030.csv")
        .await;
    assert_eq!((report.rows_read, report.rows_accepted), (6, 6));
    let person = app
        .register
        .person_by_id_number("42010619890502011X")
        .await
        .expect("query")
        .expect("GB-0001 in the register");
    assert_eq!(person.name.as_deref(), Some("龚䶮"));
    let full_width = app
        .register
        .person_by_id_number("421102197203150199")
        .await
        .expect("query")
        .expect("full-width ID digits folded: GB-0003 in the register");
    assert_eq!(full_width.name.as_deref(), Some("徐振东"));
}

async fn a_mapping_file_names_headers_paicha_does_not_know(app: TestApp) {
    let bytes = sample_bytes("custom_headers.csv");
    let without = import_file(
        &app.register,
        SourceKind::Township,
        "custom_headers.csv",
        &bytes,
    )
    .await;
    assert_eq!(
        without.rows_accepted, 0,
        "no header known, no row identifies a person"
    );
    assert_eq!(without.rows_rejected, 4);

    let mapping = String::from_utf8(sample_bytes("custom_headers.map.toml")).expect("utf-8");
    let mut edited = bytes.clone();
    edited.extend_from_slice(b"\n"); // another file: the first was recorded as a batch
    let mut request = ImportRequest::new(
        SourceKind::Township,
        "custom_headers.csv",
        edited.clone(),
        "test",
    );
    request.mapping = Some(&mapping);
    let with = app.register.import(request).await.expect("import");
    assert_eq!((with.rows_read, with.rows_accepted), (4, 4));
    let person = app
        .register
        .person_by_id_number("411599198405060283")
        .await
        .expect("query")
        .expect("row 1 by its mapped ID column");
    assert_eq!(person.name.as_deref(), Some("何丽"));

    let bad = ImportRequest {
        mapping: Some("\"人员名称\" = \"nmae\""),
        ..ImportRequest::new(SourceKind::Township, "x.csv", &b"a\n1\n"[..], "test")
    };
    match app.register.import(bad).await {
        Err(AppError::BadInput(message)) => assert!(message.contains("nmae"), "{message}"),
        other => panic!("a mapping to an unknown field must be refused: {other:?}"),
    }
}

async fn importing_the_same_file_twice_changes_nothing(app: TestApp) {
    let first = app.import_ok(SourceKind::Township, "township.csv").await;
    let counts = (
        app.count("import_batch").await,
        app.count("source_record").await,
        app.count("person").await,
    );
    let second = app.import_ok(SourceKind::Township, "township.csv").await;
    assert!(second.already_imported);
    assert_eq!(second.batch_id, first.batch_id);
    assert_eq!((second.records_new, second.records_new_version), (0, 0));
    assert_eq!(second.records_unchanged, 9);
    assert_eq!(
        counts,
        (
            app.count("import_batch").await,
            app.count("source_record").await,
            app.count("person").await,
        )
    );
}

async fn a_changed_row_becomes_a_new_version_and_the_rest_stay_unchanged(app: TestApp) {
    app.import_ok(SourceKind::Township, "township.csv").await;
    let person_before = app.person_of(SourceKind::Township, "TS-0002").await;
    let v2 = app.import_ok(SourceKind::Township, "township_v2.csv").await;
    assert_eq!(v2.records_new_version, 1);
    assert_eq!(v2.records_new, 1);
    assert_eq!(v2.records_unchanged, 8);
    assert_eq!(v2.rejected.len(), 1);
    assert_eq!(app.count("source_record").await, 9 + 2, "old version kept");

    let data = app
        .gql_data(
            r#"{ current: sourceRecords(filter: {source: TOWNSHIP}) { totalCount }
                 all: sourceRecords(filter: {source: TOWNSHIP, allVersions: true}) {
                   totalCount edges { node { recordId version isCurrent } } } }"#,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(data["current"]["totalCount"], 10);
    assert_eq!(data["all"]["totalCount"], 11);
    let versions: Vec<(i64, bool)> = data["all"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["recordId"] == "TS-0002")
        .map(|e| {
            (
                e["node"]["version"].as_i64().expect("version"),
                e["node"]["isCurrent"].as_bool().expect("isCurrent"),
            )
        })
        .collect();
    assert_eq!(versions, vec![(1, false), (2, true)]);
    assert_eq!(
        app.person_of(SourceKind::Township, "TS-0002").await,
        person_before,
        "the new version stays with its person"
    );
    let person = app
        .register
        .person(person_before)
        .await
        .expect("query")
        .expect("person");
    let phones: Vec<String> = serde_json::from_str(&person.phones).expect("phones");
    assert!(phones.contains(&"15927110099".to_owned()), "{phones:?}");
    assert!(
        !phones.contains(&"15927110002".to_owned()),
        "old version's phone gone"
    );
}

async fn rejected_rows_are_reported_with_their_row_number_and_reason(app: TestApp) {
    let report = app.import_ok(SourceKind::Township, "township.csv").await;
    assert_eq!(report.rows_rejected, 1);
    assert_eq!(report.rejected[0].row, 4);
    assert!(
        report.rejected[0].reason.contains("姓名"),
        "{}",
        report.rejected[0].reason
    );

    let data = app
        .gql_data(
            r#"{ importBatches { totalCount edges { node { report { rowsRejected rejected { row reason } } } } } }"#,
            serde_json::json!({}),
        )
        .await;
    let report = &data["importBatches"]["edges"][0]["node"]["report"];
    assert_eq!(report["rowsRejected"], 1);
    assert_eq!(report["rejected"][0]["row"], 4);
}

async fn an_unreadable_file_is_refused_whole_and_nothing_is_written(app: TestApp) {
    for (source, name) in [
        (SourceKind::Township, "garbage.xlsx"),
        (SourceKind::Township, "truncated.xlsx"),
        (SourceKind::Township, "garbage.csv"),
        (SourceKind::External, "bad.json"),
        (SourceKind::Bigdata, "bad.json"),
    ] {
        match app.import(source, name).await {
            Err(AppError::BadInput(message)) => {
                assert!(message.contains("无法"), "{name}: {message}")
            }
            other => panic!("{name} must be refused: {other:?}"),
        }
    }
    let unknown = app
        .register
        .import(ImportRequest::new(
            SourceKind::Bigdata,
            "list.pdf",
            &b"%PDF"[..],
            "test",
        ))
        .await;
    assert!(matches!(unknown, Err(AppError::BadInput(_))));
    for table in ["import_batch", "source_record", "person", "record_link"] {
        assert_eq!(app.count(table).await, 0, "{table} must stay empty");
    }
}

async fn a_failure_in_the_middle_of_a_batch_leaves_no_half_batch(app: TestApp) {
    let csv = phone_list(1_200);
    import_failing_on_purpose(&app.register, list_failing_after(&csv, 500)).await;
    for table in [
        "import_batch",
        "source_record",
        "person",
        "record_link",
        "resolution_event",
    ] {
        assert_eq!(app.count(table).await, 0, "{table} rolled back");
    }
    let report = import_file(&app.register, SourceKind::Bigdata, "list.csv", csv).await;
    assert_eq!(report.records_new, 1_200);
    assert_eq!(app.count("source_record").await, 1_200);
}

/// Files are written a chunk at a time as they are read: a file found unreadable only far
/// down (here a cell beyond the length limit after 25 000 good rows, a chunk of them already
/// written) must still leave nothing, and so must a good file followed in the same command by
/// an unreadable one.
async fn a_file_unreadable_after_rows_already_written_is_refused_whole(app: TestApp) {
    let good = phone_list(25_000);
    let bad = format!("{good}R-late,{},13900000000\n", "长".repeat(40_000));
    let refused = app
        .register
        .import(ImportRequest::new(
            SourceKind::Bigdata,
            "list.csv",
            bad.as_bytes().to_vec(),
            "test",
        ))
        .await;
    match refused {
        Err(AppError::BadInput(message)) => assert!(message.contains("list.csv"), "{message}"),
        other => panic!("the file must be refused whole: {other:?}"),
    }
    let both = app
        .register
        .import_all(vec![
            ImportRequest::new(
                SourceKind::Bigdata,
                "good.csv",
                good.as_bytes().to_vec(),
                "test",
            ),
            ImportRequest::new(
                SourceKind::Township,
                "late.csv",
                bad.as_bytes().to_vec(),
                "test",
            ),
        ])
        .await;
    assert!(matches!(both, Err(AppError::BadInput(_))), "{both:?}");
    for table in [
        "import_batch",
        "notice",
        "source_record",
        "person",
        "record_link",
        "resolution_event",
    ] {
        assert_eq!(app.count(table).await, 0, "{table} must stay empty");
    }
}

async fn unknown_columns_and_formula_like_cells_are_kept_raw(app: TestApp) {
    app.import_ok(SourceKind::Township, "township.csv").await;
    app.import_ok(SourceKind::Township, "township.xlsx").await;
    let data = app
        .gql_data(
            r#"{ sourceRecords(first: 100) { edges { node { recordId raw } } } }"#,
            serde_json::json!({}),
        )
        .await;
    let edges = data["sourceRecords"]["edges"].as_array().expect("edges");
    let raw_of = |id: &str| {
        edges
            .iter()
            .find(|e| e["node"]["recordId"] == id)
            .map(|e| e["node"]["raw"].clone())
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(raw_of("TS-0001")["household_size"], "3");
    assert_eq!(
        raw_of("XL-0005")["备注"],
        "=1+1",
        "formulas are never evaluated"
    );
}

async fn problems_are_stored_once_beside_the_normalised_identity(app: TestApp) {
    use sea_orm::EntityTrait;

    app.import_ok(SourceKind::Township, "township.csv").await;
    let records = paicha::db::source_record::Entity::find()
        .all(&app.register.db().conn)
        .await
        .expect("records");
    assert_eq!(records.len(), 9);
    let with_problems: Vec<_> = records.iter().filter(|r| r.problems != "[]").collect();
    assert!(!with_problems.is_empty(), "the sample has doubtful rows");
    for r in &records {
        let normalized: serde_json::Value =
            serde_json::from_str(&r.normalized).expect("normalised identity is JSON");
        assert!(
            normalized.get("problems").is_none(),
            "{}: problems live in their own column only",
            r.record_id
        );
        assert!(normalized["name"].is_string() || normalized["id_number"].is_string());
    }
    // The rows again in a file that differs only by a trailing line break: each row's content
    // hash (taken over the JSON text the record keeps) finds every one unchanged.
    let mut bytes = sample_bytes("township.csv");
    bytes.push(b'\n');
    let again = import_file(
        &app.register,
        SourceKind::Township,
        "township-again.csv",
        &bytes,
    )
    .await;
    assert!(!again.already_imported);
    assert_eq!((again.records_new, again.records_unchanged), (0, 9));
    assert_eq!(app.count("record_link").await, 9);
}

/// The persons of a register as sets of their records' `(source, record ID)`, in order: a
/// partition that does not depend on how persons were numbered.
async fn partition(register: &paicha::register::Register) -> Vec<Vec<(String, String)>> {
    let mut persons: std::collections::BTreeMap<i64, Vec<(String, String)>> = Default::default();
    for (source, record, person) in register.export_records().await.expect("export") {
        persons.entry(person).or_default().push((source, record));
    }
    let mut persons: Vec<_> = persons.into_values().collect();
    persons.iter_mut().for_each(|records| records.sort());
    persons.sort();
    persons
}

async fn a_file_read_ahead_of_its_import_is_imported_as_it_would_be_otherwise(app: TestApp) {
    let files = [
        (SourceKind::Township, "township.csv"),
        (SourceKind::Bigdata, "bigdata.ndjson"),
    ];
    let contents: Vec<bytes::Bytes> = files
        .iter()
        .map(|(_, name)| sample_bytes(name).into())
        .collect();
    let requests = || -> Vec<ImportRequest<'_>> {
        files
            .iter()
            .zip(&contents)
            .map(|((source, name), bytes)| ImportRequest::new(*source, name, bytes.clone(), "test"))
            .collect()
    };
    let counts = |reports: &[paicha::intake::BatchReport]| -> Vec<(u32, u32, u32, u32, u32)> {
        reports
            .iter()
            .map(|r| {
                let persons = r.persons_created;
                (
                    r.rows_read,
                    r.rows_accepted,
                    r.records_new,
                    persons,
                    r.persons_matched,
                )
            })
            .collect()
    };
    // The first file's reading starts before the import, as the command line starts it
    // before it opens the database; the import takes it over.
    let register = &app.register;
    let first = requests().swap_remove(0);
    let ahead = ReadAhead::start(
        &register.reference,
        std::sync::Arc::clone(&register.profile),
        &first,
    );
    let read_ahead = register
        .import_all_read_ahead(requests(), Some(ahead))
        .await
        .expect("import");
    // The same files imported as they always were, into a register of their own.
    let (plain_register, _dir) =
        open_register(Backend::Sqlite, register.profile.as_ref().clone()).await;
    let plain = plain_register.import_all(requests()).await.expect("import");
    assert_eq!(counts(&read_ahead), counts(&plain));
    assert_eq!(counts(&plain)[0].0, 10);
    assert_eq!(partition(register).await, partition(&plain_register).await);

    // A reading started for a file that is not the first request's is dropped, and the file
    // imported read anew: here one that could not be read, before a readable one.
    let bad = ImportRequest::new(
        SourceKind::Township,
        "bad.xlsx",
        &b"not a workbook"[..],
        "t",
    );
    let ahead = ReadAhead::start(
        &register.reference,
        std::sync::Arc::clone(&register.profile),
        &bad,
    );
    let good = ImportRequest::new(
        SourceKind::Township,
        "township_v2.csv",
        sample_bytes("township_v2.csv"),
        "test",
    );
    let report = register
        .import_all_read_ahead(vec![good], Some(ahead))
        .await
        .expect("the readable file imports");
    assert_eq!(report[0].records_new_version, 1);
    // Taken over, an unreadable file's reading refuses the import by the file's name, and
    // nothing of it is written.
    let batches = app.count("import_batch").await;
    let ahead = ReadAhead::start(
        &register.reference,
        std::sync::Arc::clone(&register.profile),
        &bad,
    );
    match register.import_all_read_ahead(vec![bad], Some(ahead)).await {
        Err(AppError::BadInput(message)) => assert!(message.contains("bad.xlsx"), "{message}"),
        other => panic!("an unreadable file is refused: {other:?}"),
    }
    assert_eq!(app.count("import_batch").await, batches);
}
