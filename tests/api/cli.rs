//! The command line, run as a user would: import files, export the register.

use std::process::Command;

use crate::helpers::{paicha_command, sample};

#[test]
fn import_then_export_records_gives_one_row_per_current_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let out = paicha_command(&db)
        .args(["import", "township", "--json"])
        .arg(sample("township.csv"))
        .arg(sample("township_trad.csv"))
        .output()
        .expect("run paicha import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON reports");
    assert_eq!(reports[0]["rows_accepted"], 9);
    assert_eq!(reports[0]["rejected"][0]["row"], 4);
    assert_eq!(reports[1]["rows_accepted"], 5);

    let out = paicha_command(&db)
        .args(["export", "records", "--format", "csv"])
        .output()
        .expect("run paicha export");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("source,record_id,person_id"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 14);
    let person_of = |id: &str| {
        rows.iter()
            .find(|r| r.split(',').nth(1) == Some(id))
            .and_then(|r| r.split(',').nth(2))
            .map(str::to_owned)
    };
    assert!(rows[0].starts_with("township,TS-0001,"));
    assert_eq!(person_of("TS-0001"), person_of("TT-0005"));
}

#[test]
fn an_unreadable_file_fails_the_command_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let out = paicha_command(&db)
        .args(["import", "township"])
        .arg(sample("garbage.csv"))
        .output()
        .expect("run paicha import");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("garbage.csv") && stderr.contains("无法读取"),
        "{stderr}"
    );
}

#[test]
fn paicha_schema_prints_the_committed_sdl() {
    let out = Command::new(env!("CARGO_BIN_EXE_paicha"))
        .arg("schema")
        .output()
        .expect("run paicha schema");
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&out.stdout), committed);
}

#[test]
fn one_unreadable_file_refuses_the_whole_command_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let out = paicha_command(&db)
        .args(["import", "township"])
        .arg(sample("township.csv"))
        .arg(sample("garbage.csv"))
        .output()
        .expect("run paicha import");
    assert!(!out.status.success());
    let out = paicha_command(&db)
        .args(["export", "records"])
        .output()
        .expect("run paicha export");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(text.lines().count(), 1, "only the header: {text}");
}

#[test]
fn files_of_one_command_report_persons_created_and_matched_per_batch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let out = paicha_command(&db)
        .args(["import", "township", "--json"])
        .arg(sample("township.csv"))
        .arg(sample("township_trad.csv"))
        .output()
        .expect("run paicha import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(reports[0]["persons_created"], 9);
    assert_eq!(reports[0]["persons_matched"], 0);
    // TT-0005 is TS-0001 again: the second file matches one person and creates the rest.
    assert_eq!(reports[1]["persons_matched"], 1);
    assert_eq!(reports[1]["persons_created"], 4);
}

crate::on_every_backend!(every_export_is_written_to_the_audit_log_and_can_be_masked,);

/// `paicha export` writes every full ID number and phone: each export is audited (the OS user,
/// the command, the rows) and `--masked` masks them.
async fn every_export_is_written_to_the_audit_log_and_can_be_masked(app: crate::helpers::TestApp) {
    app.import_ok(paicha::intake::SourceKind::Township, "township.csv")
        .await;
    let persons = app.count("person").await;
    let export = |args: &[&str]| {
        crate::helpers::run_ok(
            paicha_command(&app.database_url)
                .env("USER", "clerk-wang")
                .arg("export")
                .args(args),
        )
    };
    let full = export(&["persons"]);
    assert!(full.contains("420102198507150036"), "{full}");
    let masked = export(&["persons", "--masked", "--format", "json"]);
    assert!(!masked.contains("420102198507150036"), "{masked}");
    assert!(!masked.contains("13871234501"), "{masked}");
    assert!(masked.contains("420102********0036"), "{masked}");
    assert!(masked.contains("138****4501"), "{masked}");
    export(&["records"]);

    let exports: Vec<_> = app
        .audit_entries()
        .await
        .into_iter()
        .filter(|e| e.kind == paicha::access::audit::AuditKind::Export)
        .collect();
    assert_eq!(exports.len(), 3, "{exports:?}");
    for entry in &exports {
        assert_eq!(entry.role, "CLI");
        assert!(
            entry.operation.contains("clerk-wang"),
            "{}",
            entry.operation
        );
    }
    assert!(
        exports[0].operation.contains("export persons --format csv")
            && exports[0].operation.contains(&format!("; {persons} rows")),
        "{}",
        exports[0].operation
    );
    assert_eq!(exports[0].fields, r#"["idNumber","phones"]"#);
    assert!(
        exports[1].operation.contains("--masked"),
        "{}",
        exports[1].operation
    );
    assert_eq!(exports[1].fields, "[]");
    assert!(
        exports[2].operation.contains("export records"),
        "{}",
        exports[2].operation
    );

    // Through the API, the admin reads them under their own kind.
    let data = app
        .gql_data(
            "{ auditLog(filter: { kind: EXPORT }) { totalCount } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(data["auditLog"]["totalCount"], 3, "{data}");
}
