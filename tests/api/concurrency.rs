//! Two people at once: writers take turns, a writer that waits says for whom, and nothing
//! fails because of a lock — on SQLite as on PostgreSQL.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::Duration;

use paicha::db::Db;
use paicha::http::Limits;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{AccessMode, Backend, TestApp, spawn_app_configured};

crate::on_every_backend!(
    two_http_imports_at_once_both_land,
    an_http_import_waits_for_another_process_writing_then_lands,
    a_command_import_waits_for_a_write_in_progress_says_for_whom_then_lands,
    the_readers_connections_refuse_every_write,
);

/// With a short request limit of its own (`on_both_backends`: each test opens its hub).
mod deadline {
    use super::an_import_still_waiting_at_the_request_deadline_is_busy_and_writes_nothing;

    crate::on_both_backends!(
        an_import_still_waiting_at_the_request_deadline_is_busy_and_writes_nothing
    );
}

const IMPORT: &str =
    "mutation($f: Upload!) { importBatch(source: BIGDATA, file: $f) { rowsAccepted } }";

/// A big-data list of `rows` persons whose record IDs begin with `tag`.
fn list(tag: &str, rows: usize) -> Vec<u8> {
    let mut csv = String::from("record_id,name,phone\n");
    for i in 0..rows {
        csv.push_str(&format!("{tag}{i},测试{i},137{i:08}\n"));
    }
    csv.into_bytes()
}

async fn upload(app: &TestApp, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let operations = json!({ "query": IMPORT, "variables": { "f": null } });
    app.upload_as(Some(&app.admin_token), &operations, name, bytes)
        .await
}

/// Waits (polling, bounded) until a writer of `db`'s process waits for its turn.
async fn until_a_writer_waits(db: &Db) {
    for _ in 0..2_000 {
        if db.writers_waiting() > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no writer came to wait within 10 s");
}

async fn two_http_imports_at_once_both_land(app: TestApp) {
    let (first, second) = tokio::join!(
        upload(&app, "a.csv", list("A", 300)),
        upload(&app, "b.csv", list("B", 300)),
    );

    for (status, body) in [first, second] {
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["importBatch"]["rowsAccepted"], 300);
    }
    assert_eq!(app.count("import_batch").await, 2);
    assert_eq!(app.count("source_record").await, 600);
}

async fn an_http_import_waits_for_another_process_writing_then_lands(app: TestApp) {
    // A second handle on the database writes as another process (a command) would.
    let other = Db::connect(&app.database_url).await.expect("second handle");
    let held = other
        .write("the import of held.csv")
        .await
        .expect("the other writer's turn");

    let waiting = upload(&app, "waiting.csv", list("W", 50));
    let release = async {
        until_a_writer_waits(app.register.db()).await;
        held.commit().await.expect("the other writer commits");
    };
    let ((status, body), ()) = tokio::join!(waiting, release);

    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["importBatch"]["rowsAccepted"], 50);
    assert_eq!(app.count("import_batch").await, 1);
}

async fn a_command_import_waits_for_a_write_in_progress_says_for_whom_then_lands(app: TestApp) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("command.csv");
    std::fs::write(&file, list("C", 40)).expect("write the file");
    let held = app
        .register
        .db()
        .write("the import of held.csv")
        .await
        .expect("the server's turn");

    let mut command = crate::helpers::paicha_command(&app.database_url)
        .args(["import", "bigdata"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("paicha import starts");
    let stderr = command.stderr.take().expect("stderr");
    // The command's first words on its terminal: for whom it waits.
    let (said, rest) = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        let said = lines
            .by_ref()
            .map_while(Result::ok)
            .find(|line| line.contains("waiting for"));
        (said, lines)
    })
    .await
    .expect("reading stderr");
    held.commit().await.expect("the server commits");
    let status = tokio::task::spawn_blocking(move || {
        let _rest: Vec<_> = rest.map_while(Result::ok).collect();
        command.wait()
    })
    .await
    .expect("joined")
    .expect("the command ends");

    let said = said.expect("the command said it waits");
    assert!(
        said.starts_with("waiting for the import of held.csv (process "),
        "{said}"
    );
    assert!(said.ends_with(") to finish"), "{said}");
    assert!(status.success(), "the command's import lands: {status}");
    assert_eq!(app.count("import_batch").await, 1);
    assert_eq!(app.count("source_record").await, 40);
}

async fn an_import_still_waiting_at_the_request_deadline_is_busy_and_writes_nothing(
    backend: Backend,
) {
    let limits = Limits {
        timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let app = spawn_app_configured(
        backend,
        AccessMode::Required,
        limits,
        std::num::NonZeroU32::new(crate::helpers::TEST_RATE_PER_MINUTE),
    )
    .await
    .expect("the backend is configured");
    let other = Db::connect(&app.database_url).await.expect("second handle");
    let held = other
        .write("the import of held.csv")
        .await
        .expect("the other writer's turn");

    let request = app
        .client
        .post(app.graphql_url())
        .bearer_auth(&app.admin_token)
        .multipart(crate::helpers::upload_form(
            &json!({ "query": IMPORT, "variables": { "f": null } }),
            "late.csv",
            list("L", 20),
        ));
    let response = request.send().await.expect("request");
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = response.json().await.expect("JSON body");
    held.commit().await.expect("the other writer commits");

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BUSY", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("the import of held.csv"), "{message}");
    assert_eq!(retry_after.as_deref(), Some("5"));
    assert_eq!(app.count("import_batch").await, 0, "nothing was written");

    // Its turn comes once the other writer is done.
    let (status, body) = upload(&app, "late.csv", list("L", 20)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["importBatch"]["rowsAccepted"], 20);
}

/// No write path can go around the writer: the connections readers use refuse writes
/// (SQLite `query_only`, PostgreSQL read-only transactions), whatever the statement.
async fn the_readers_connections_refuse_every_write(app: TestApp) {
    use sea_orm::ConnectionTrait as _;
    app.import_ok(paicha::intake::SourceKind::Township, "township.csv")
        .await;
    let readers = &app.register.db().conn;

    let mut refused = Vec::new();
    for statement in [
        "DELETE FROM person",
        "UPDATE source_record SET record_id = 'x'",
        "INSERT INTO api_token (id, role, token_hash, created_at) VALUES (999, 'ADMIN', 'h', '2020-01-01')",
        "CREATE TABLE bypass (x INTEGER)",
    ] {
        let error = readers
            .execute_unprepared(statement)
            .await
            .expect_err("a reader cannot write");
        refused.push(paicha::db::error_class(&error));
    }

    assert_eq!(refused, [Some(paicha::db::ErrorClass::ReadOnly); 4]);
    assert!(app.count("person").await > 0, "nothing was deleted");
}
