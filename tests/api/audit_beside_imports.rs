//! The audit log never breaks or blocks the work it records: unmasked reads are answered and
//! audited while an import writes, and the import succeeds however many reads are audited
//! meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use paicha::access::audit::{self, AuditKind};
use paicha::db::{Db, audit_log};
use paicha::intake::SourceKind;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, phone_list};

crate::on_every_backend!(
    an_http_import_succeeds_while_an_admin_reads_unmasked_data,
    an_unmasked_read_is_answered_and_audited_while_the_writer_is_held,
);

const UNMASKED: &str = "query Reveal { persons(first: 1) { edges { node { id idNumber(unmasked: true) phones(unmasked: true) } } } }";

/// Reads unmasked by an admin over HTTP: the person read (which must be unmasked); the read
/// must succeed.
async fn read_unmasked(app: &TestApp) -> Value {
    let (status, body) = app
        .post_as(Some(&app.admin_token), UNMASKED, json!({}))
        .await;
    assert!(status.is_success(), "{status}: {body}");
    assert!(body.get("errors").is_none(), "the read fails: {body}");
    let node = body["data"]["persons"]["edges"][0]["node"].clone();
    let id_number = node["idNumber"].as_str().expect("an ID number");
    assert!(!id_number.contains('*'), "unmasked: {body}");
    node
}

/// The unmasked reads in the audit log.
async fn unmasked_reads_audited(app: &TestApp) -> Vec<audit_log::Model> {
    let mut entries = app.audit_entries().await;
    entries.retain(|e| e.kind == AuditKind::UnmaskedRead);
    entries
}

/// The reads an admin makes at most while an import runs (15 a second for 40 s).
const MOST_READS: usize = 600;

async fn an_http_import_succeeds_while_an_admin_reads_unmasked_data(app: TestApp) {
    app.import_ok(SourceKind::Township, "township.csv").await;
    let app = Arc::new(app);

    // An admin reads unmasked data some 15 times a second until the import is done; the
    // import starts once the first read is answered, so the two overlap.
    let imported = Arc::new(AtomicBool::new(false));
    let (first_read, reading) = tokio::sync::oneshot::channel();
    let reader = tokio::spawn({
        let app = Arc::clone(&app);
        let imported = Arc::clone(&imported);
        async move {
            let mut pace = tokio::time::interval(Duration::from_millis(66));
            let mut first_read = Some(first_read);
            let mut reads = Vec::new();
            while reads.len() < MOST_READS && !imported.load(Ordering::Acquire) {
                pace.tick().await;
                reads.push(read_unmasked(&app).await);
                if let Some(started) = first_read.take() {
                    let _ = started.send(());
                }
            }
            reads
        }
    });
    reading.await.expect("the first read is answered");

    let operations = json!({
        "query": "mutation($f: Upload!) { importBatch(source: BIGDATA, file: $f) { batchId rowsAccepted } }",
        "variables": { "f": null },
    });
    let csv = phone_list(20_000);
    let (status, body) = app
        .upload_as(
            Some(&app.admin_token),
            &operations,
            "phones.csv",
            csv.into_bytes(),
        )
        .await;
    imported.store(true, Ordering::Release);
    let reads = reader.await.expect("the reader ran");

    assert!(status.is_success(), "{status}: {body}");
    assert!(body.get("errors").is_none(), "the import fails: {body}");
    assert_eq!(
        body["data"]["importBatch"]["rowsAccepted"], 20_000,
        "{body}"
    );
    assert!(!reads.is_empty());
    let audited = unmasked_reads_audited(&app).await;
    assert_eq!(audited.len(), reads.len(), "every read is audited");
    for (entry, read) in audited.iter().zip(&reads) {
        let person: i64 = read["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("a numeric person ID");
        assert_eq!(entry.persons, format!("[{person}]"));
        assert_eq!(entry.operation, "Reveal: persons");
    }
}

async fn an_unmasked_read_is_answered_and_audited_while_the_writer_is_held(app: TestApp) {
    app.import_ok(SourceKind::Township, "township.csv").await;

    // A long import holds the register's writer: its lock, and a write begun (SQLite's lock
    // on the file is taken by the first write, not by BEGIN).
    let db = app.register.db();
    let import = db
        .write("the import of a long file")
        .await
        .expect("the writer");
    import
        .txn
        .execute_raw(Statement::from_string(
            db.backend(),
            "UPDATE person SET township = township WHERE id < 0",
        ))
        .await
        .expect("a write begun");

    // Read and audited while the import still holds the writer.
    let read = read_unmasked(&app).await;
    let audited = unmasked_reads_audited(&app).await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(
        audited[0].persons,
        format!("[{}]", read["id"].as_str().expect("an ID"))
    );

    import.txn.rollback().await.expect("the import ends");
}

/// Rows written to the register's own `audit_log` before the log had a file of its own (a
/// register upgraded in place) are copied once into the new file, IDs kept, and the log goes on
/// after them.
#[tokio::test]
async fn an_upgraded_register_keeps_the_audit_rows_it_held() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let db = Db::connect(&url).await.expect("connect");
    // The old log's rows, written as the register of an earlier version wrote them.
    let old_log = crate::helpers::raw_connection(&url).await;
    for id in [4, 9] {
        audit_log::Entity::insert(audit_log::ActiveModel {
            id: Set(id),
            at: Set(chrono::Utc::now()),
            token_id: Set(Some(1)),
            role: Set("ADMIN".to_owned()),
            kind: Set(AuditKind::UnmaskedRead),
            operation: Set("person".to_owned()),
            persons: Set("[3]".to_owned()),
            fields: Set(r#"["idNumber"]"#.to_owned()),
        })
        .exec(&old_log)
        .await
        .expect("a row of the old log");
    }
    old_log.close().await.expect("close");
    db.conn.clone().close().await.expect("close");
    db.audit().conn.clone().close().await.expect("close");
    // As before the audit log had a file: none.
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.path().join(format!("old.audit.db{suffix}"));
        if file.exists() {
            std::fs::remove_file(file).expect("remove");
        }
    }

    let db = Db::connect(&url).await.expect("reopen");
    let entry = audit::AuditEntry::by(
        Some(&paicha::access::Principal::unrestricted()),
        AuditKind::Mutation,
        "mergePersons",
    );
    audit::record(db.audit(), &entry).await.expect("append");
    let log = audit::entries(db.audit()).await.expect("the log");
    let ids: Vec<i64> = log.iter().map(|e| e.id).collect();
    assert_eq!(ids, [4, 9, 10], "{log:?}");
    assert_eq!(log[0].fields, r#"["idNumber"]"#);
    assert_eq!(log[2].kind, AuditKind::Mutation);
    assert!(dir.path().join("old.audit.db").exists());

    // Opened again, nothing is copied twice.
    let again = Db::connect(&url).await.expect("reopen");
    let log = audit::entries(again.audit()).await.expect("the log");
    assert_eq!(log.len(), 3);
}

/// An in-memory register has an in-memory audit log of its own.
#[tokio::test]
async fn an_in_memory_register_audits_in_memory() {
    let db = Db::connect("sqlite::memory:").await.expect("connect");
    let entry = audit::AuditEntry::by(None, AuditKind::Mutation, "mergePersons");
    audit::record(db.audit(), &entry).await.expect("append");
    let log = audit::entries(db.audit()).await.expect("the log");
    assert_eq!(log.len(), 1);
    let in_register = audit_log::Entity::find()
        .count(&db.conn)
        .await
        .expect("count");
    assert_eq!(in_register, 0, "the register's own table is left alone");
}
