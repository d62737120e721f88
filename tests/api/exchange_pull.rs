//! Upstream pulls: a big-data list served by a small upstream server in the test, pulled with
//! `ETag` / `If-Modified-Since`: the first pull imports, the same list again is a no-op, a
//! changed one imports, and a failed pull writes nothing.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paicha::config::pull::PullSpec;
use paicha::exchange::pull::{Pulled, client, pull_once};
use paicha::intake::SourceKind;

use crate::helpers::{TestApp, count_rows, paicha_command, phone_list, run_ok};

crate::on_every_backend!(
    a_pulled_list_imports_once_until_it_changes,
    paicha_pull_imports_a_list_once,
    serve_pulls_the_lists_of_the_county_file,
);

/// What the upstream serves: a status, the list and its ETag; and how many requests came
/// with a matching `If-None-Match`.
#[derive(Default)]
struct Upstream {
    status: u16,
    list: String,
    etag: String,
    not_modified: usize,
}

type Shared = Arc<Mutex<Upstream>>;

async fn serve_list(State(upstream): State<Shared>, headers: HeaderMap) -> Response {
    let mut upstream = upstream.lock().expect("upstream");
    if upstream.status != 200 {
        return StatusCode::from_u16(upstream.status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response();
    }
    let asked = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if asked == Some(upstream.etag.as_str()) {
        upstream.not_modified += 1;
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::ETAG, upstream.etag.clone()),
            (header::CONTENT_TYPE, "text/csv".to_owned()),
        ],
        upstream.list.clone(),
    )
        .into_response()
}

async fn spawn_upstream(upstream: Shared) -> String {
    let app = axum::Router::new()
        .route("/bigdata/list.csv", axum::routing::get(serve_list))
        .with_state(upstream);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/bigdata/list.csv")
}

fn set(upstream: &Shared, status: u16, list: &str, etag: &str) {
    let mut u = upstream.lock().expect("upstream");
    u.status = status;
    u.list = list.to_owned();
    u.etag = etag.to_owned();
}

async fn batches(app: &TestApp) -> i64 {
    count_rows(&app.register, "import_batch").await
}

async fn a_pulled_list_imports_once_until_it_changes(app: TestApp) {
    let upstream: Shared = Arc::default();
    let url = spawn_upstream(upstream.clone()).await;
    let spec = PullSpec {
        url,
        every: std::time::Duration::from_secs(60),
        source: SourceKind::Bigdata,
    };
    let client = client().expect("client");
    let pull = async || pull_once(&app.register, &client, &spec).await;

    // A failing upstream: nothing written, nothing remembered.
    set(&upstream, 500, "", "");
    assert!(pull().await.is_err());
    assert_eq!(batches(&app).await, 0);
    assert_eq!(count_rows(&app.register, "pull_state").await, 0);

    // The first pull imports.
    set(&upstream, 200, &phone_list(5), "\"v1\"");
    match pull().await.expect("pulled") {
        Pulled::Imported(report) => {
            assert_eq!(report.rows_accepted, 5);
            assert_eq!(report.source, SourceKind::Bigdata);
        }
        other => panic!("imported, not {other:?}"),
    }
    assert_eq!(batches(&app).await, 1);

    // The same list again: the upstream answers 304, nothing is written.
    assert_eq!(pull().await.expect("pulled"), Pulled::Unchanged);
    assert_eq!(upstream.lock().expect("upstream").not_modified, 1);
    assert_eq!(batches(&app).await, 1);

    // The same bytes under another ETag: a no-op too.
    set(&upstream, 200, &phone_list(5), "\"v1-again\"");
    assert_eq!(pull().await.expect("pulled"), Pulled::Unchanged);
    assert_eq!(batches(&app).await, 1);
    assert_eq!(pull().await.expect("pulled"), Pulled::Unchanged);
    assert_eq!(upstream.lock().expect("upstream").not_modified, 2);

    // A changed list imports.
    set(&upstream, 200, &phone_list(7), "\"v2\"");
    match pull().await.expect("pulled") {
        Pulled::Imported(report) => assert_eq!(report.rows_accepted, 7),
        other => panic!("imported, not {other:?}"),
    }
    assert_eq!(batches(&app).await, 2);
    assert_eq!(
        app.gql_data("{ stats { persons } }", serde_json::json!({}))
            .await["stats"]["persons"],
        7
    );
}

/// `paicha pull bigdata --url URL`: one pull, then the same list again changes nothing.
async fn paicha_pull_imports_a_list_once(app: TestApp) {
    let upstream: Shared = Arc::default();
    let url = spawn_upstream(upstream.clone()).await;
    set(&upstream, 200, &phone_list(3), "\"v1\"");
    let db = app.database_url.clone();
    let pull = move || {
        let (db, url) = (db.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            run_ok(paicha_command(&db).args(["pull", "bigdata", "--url", &url]))
        })
    };
    let first = pull().await.expect("ran");
    assert!(first.contains('3'), "the batch report: {first}");
    assert_eq!(batches(&app).await, 1);
    let again = pull().await.expect("ran");
    assert!(again.contains("未变化"), "{again}");
    assert_eq!(batches(&app).await, 1);
}

/// `paicha serve` with a `[[pull]]` table in its county file pulls the list on start.
async fn serve_pulls_the_lists_of_the_county_file(app: TestApp) {
    let upstream: Shared = Arc::default();
    let url = spawn_upstream(upstream.clone()).await;
    set(&upstream, 200, &phone_list(4), "\"v1\"");
    let dir = tempfile::tempdir().expect("temp dir");
    let county = dir.path().join("county.toml");
    let demo = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/county.toml"),
    )
    .expect("demo county");
    std::fs::write(
        &county,
        format!("{demo}\n[[pull]]\nurl = \"{url}\"\nevery = \"1h\"\n"),
    )
    .expect("county file");
    let mut server = paicha_command(&app.database_url)
        .env("PAICHA_COUNTY", &county)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    let started = std::time::Instant::now();
    while batches(&app).await == 0 && started.elapsed() < std::time::Duration::from_secs(60) {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(batches(&app).await, 1, "the list was pulled on start");
    assert_eq!(count_rows(&app.register, "pull_state").await, 1);
}
