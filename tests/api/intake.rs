//! Intake: every source in every format, headers, encodings, versions, rejects, atomicity.

use paicha::error::AppError;
use paicha::intake::SourceKind;
use paicha::register::ImportRequest;

use crate::helpers::{
    TestApp, import_failing_on_purpose, import_file, list_failing_after, phone_list, sample_bytes,
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
