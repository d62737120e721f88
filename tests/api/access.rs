//! Access control over HTTP: tokens (missing, unknown, expired, revoked), the 401 body, the
//! caller reaching the audit log, the append-only log, rate and time limits, the WebSocket
//! `connection_init` payload, and the `token` and `audit` commands.

use std::num::NonZeroU32;
use std::process::Command;
use std::time::Duration;

use paicha::access::token::{self, TokenSpec};
use paicha::access::{Access, Role, audit};
use paicha::http::Limits;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait as _;
use serde_json::{Value, json};

use crate::helpers::{
    AccessMode, Backend, TestApp, paicha_command, sample_bytes, spawn_app_configured,
};

crate::on_every_backend!(
    a_request_without_a_valid_token_is_refused_with_unauthenticated,
    an_expired_token_stops_working,
    a_revoked_token_stops_working_and_the_others_keep_working,
    a_township_token_is_scoped_to_its_township_by_its_canonical_name,
    a_mutation_is_audited_with_the_token_that_made_it,
    a_merge_is_audited_with_the_persons_it_concerns,
    the_audit_log_refuses_updates_and_deletes,
    a_token_beyond_its_rate_is_told_to_wait,
    a_request_beyond_the_time_limit_is_stopped_and_nothing_is_written,
    a_websocket_connection_init_payload_is_authenticated,
    serve_demo_tokens_replace_each_other,
);

const STATS: &str = "{ stats { persons } }";

async fn post(app: &TestApp, token: Option<&str>, query: &str) -> (StatusCode, Value) {
    app.post_as(token, query, json!({})).await
}

/// A hub that refuses every request without a valid token, with the default rate limit.
async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_app_configured(backend, AccessMode::Required, Limits::default(), None).await
}

async fn new_token(app: &TestApp, spec: TokenSpec) -> (i64, String) {
    let issued = app.register.create_token(spec).await.expect("token");
    (issued.row.id, issued.token)
}

fn spec(app: &TestApp, role: Role, township: Option<&str>, partner: Option<&str>) -> TokenSpec {
    TokenSpec::parse(role, township, partner, &app.register.reference).expect("spec")
}

fn assert_unauthenticated(status: StatusCode, body: &Value, says: &str) {
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{message}");
    assert!(body.get("data").is_none());
}

async fn a_request_without_a_valid_token_is_refused_with_unauthenticated(app: TestApp) {
    let app_secured = &app;
    let (status, body) = post(app_secured, None, STATS).await;
    assert_unauthenticated(status, &body, "需要令牌");
    let response = app_secured
        .client
        .post(app_secured.graphql_url())
        .json(&json!({ "query": STATS }))
        .send()
        .await
        .expect("request");
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let unknown = format!("paicha_{}", "0".repeat(64));
    let (status, body) = post(app_secured, Some(&unknown), STATS).await;
    assert_unauthenticated(status, &body, "无效");
    let (status, body) = post(app_secured, Some("not-a-token"), STATS).await;
    assert_unauthenticated(status, &body, "无效");
    let response = app_secured
        .client
        .post(app_secured.graphql_url())
        .header(
            "authorization",
            format!("Basic {}", app_secured.admin_token),
        )
        .json(&json!({ "query": STATS }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = post(app_secured, Some(&app_secured.admin_token), STATS).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["stats"]["persons"], 0);

    // GraphiQL's page holds no data and needs no token; /health neither.
    let page = app_secured
        .client
        .get(app_secured.graphql_url())
        .header("accept", "text/html")
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), StatusCode::OK);
    let health = app_secured
        .client
        .get(format!("http://{}/health", app_secured.addr))
        .send()
        .await
        .expect("request");
    assert_eq!(health.status(), StatusCode::OK);
    // A GET with a query is a GraphQL request like any other.
    let get = app_secured
        .client
        .get(app_secured.graphql_url())
        .query(&[("query", STATS)])
        .send()
        .await
        .expect("request");
    assert_eq!(get.status(), StatusCode::UNAUTHORIZED);
}

fn backend_of(app: &TestApp) -> Backend {
    match app.register.db().backend() {
        sea_orm::DbBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

async fn an_expired_token_stops_working(app: TestApp) {
    let Some(app) = spawn(backend_of(&app)).await else {
        return;
    };
    let mut expired = spec(&app, Role::Analyst, None, None);
    expired.expires_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    let (_, expired) = new_token(&app, expired).await;
    let (status, body) = post(&app, Some(&expired), STATS).await;
    assert_unauthenticated(status, &body, "过期");

    let mut later = spec(&app, Role::Analyst, None, None);
    later.expires_at = Some(chrono::Utc::now() + chrono::Duration::days(1));
    let (_, later) = new_token(&app, later).await;
    let (status, _) = post(&app, Some(&later), STATS).await;
    assert_eq!(status, StatusCode::OK, "not yet expired");
}

async fn a_revoked_token_stops_working_and_the_others_keep_working(app: TestApp) {
    let Some(app) = spawn(backend_of(&app)).await else {
        return;
    };
    let (id, analyst) = new_token(&app, spec(&app, Role::Analyst, None, None)).await;
    assert_eq!(post(&app, Some(&analyst), STATS).await.0, StatusCode::OK);
    assert!(app.register.revoke_token(id).await.expect("revoke"));
    assert!(
        !app.register.revoke_token(id).await.expect("again"),
        "revoking twice changes nothing"
    );
    let (status, body) = post(&app, Some(&analyst), STATS).await;
    assert_unauthenticated(status, &body, "吊销");
    assert_eq!(
        post(&app, Some(&app.admin_token), STATS).await.0,
        StatusCode::OK
    );
    let missing = app.register.revoke_token(9_999).await;
    assert!(matches!(missing, Err(paicha::error::AppError::NotFound(_))));
}

async fn a_township_token_is_scoped_to_its_township_by_its_canonical_name(app: TestApp) {
    let (_, officer) = new_token(&app, spec(&app, Role::Township, Some("城關"), None)).await;
    let principal = token::authenticate(&app.register.db().conn, &officer, chrono::Utc::now())
        .await
        .expect("valid token");
    assert_eq!(principal.role, Role::Township);
    assert_eq!(principal.township.as_deref(), Some("城关镇"));
    let (_, partner) = new_token(&app, spec(&app, Role::Partner, None, Some("武汉市江岸区"))).await;
    let principal = token::authenticate(&app.register.db().conn, &partner, chrono::Utc::now())
        .await
        .expect("valid token");
    assert_eq!(principal.partner.as_deref(), Some("420102"));
    let rows = token::list(&app.register.db().conn).await.expect("list");
    assert_eq!(
        rows.len(),
        3,
        "the hub's admin token, the officer's and the partner's"
    );
    assert!(
        rows.iter()
            .all(|r| r.token_hash != officer && r.token_hash.len() == 64),
        "only hashes are stored"
    );
}

/// Imports a sample over HTTP as `token`; returns the response body.
async fn import_over_http(app: &TestApp, token: &str) -> Value {
    let operations = json!({
        "query": "mutation Upload($f: Upload!) { importBatch(source: TOWNSHIP, file: $f) { rowsAccepted } }",
        "variables": { "f": null },
        "operationName": "Upload",
    });
    app.upload_as(
        Some(token),
        &operations,
        "township.csv",
        sample_bytes("township.csv"),
    )
    .await
    .1
}

async fn a_mutation_is_audited_with_the_token_that_made_it(app: TestApp) {
    let (analyst_id, analyst) = new_token(&app, spec(&app, Role::Analyst, None, None)).await;
    let body = import_over_http(&app, &analyst).await;
    assert_eq!(body["data"]["importBatch"]["rowsAccepted"], 9, "{body}");
    // A failing mutation changes nothing and is not recorded as a change.
    let (_, failed) = post(
        &app,
        Some(&analyst),
        r#"mutation { decideCandidate(id: "999", decision: SAME) { state } }"#,
    )
    .await;
    assert_eq!(
        failed["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{failed}"
    );
    // Reads with masked data are not audited.
    post(&app, Some(&analyst), STATS).await;

    let entries = audit::entries(app.register.db().audit())
        .await
        .expect("log");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry.token_id, Some(analyst_id));
    assert_eq!(entry.role, "ANALYST");
    assert_eq!(entry.kind, audit::AuditKind::Mutation);
    assert_eq!(entry.operation, "Upload: importBatch");
    assert!(entry.at <= chrono::Utc::now());
}

async fn a_merge_is_audited_with_the_persons_it_concerns(app: TestApp) {
    app.import_all_samples().await;
    let (_, analyst) = new_token(&app, spec(&app, Role::Analyst, None, None)).await;
    let (_, page) = post(
        &app,
        Some(&analyst),
        "{ persons(first: 2) { edges { node { id } } } }",
    )
    .await;
    let ids: Vec<i64> = page["data"]["persons"]["edges"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|e| {
            e["node"]["id"]
                .as_str()
                .expect("id")
                .parse()
                .expect("numeric id")
        })
        .collect();
    assert_eq!(ids.len(), 2, "{page}");
    let merge = format!(
        r#"mutation {{ mergePersons(a: "{}", b: "{}") {{ id }} }}"#,
        ids[0], ids[1]
    );
    let (_, merged) = post(&app, Some(&analyst), &merge).await;
    assert!(merged.get("errors").is_none(), "{merged}");

    let entries = audit::entries(app.register.db().audit())
        .await
        .expect("log");
    let entry = entries
        .iter()
        .find(|e| e.operation.contains("mergePersons"))
        .expect("the merge is audited");
    assert_eq!(entry.kind, audit::AuditKind::Mutation);
    let persons: Vec<i64> = serde_json::from_str(&entry.persons).expect("a JSON list");
    for id in &ids {
        assert!(persons.contains(id), "{persons:?} holds {id}");
    }
}

async fn the_audit_log_refuses_updates_and_deletes(app: TestApp) {
    let entry = audit::AuditEntry {
        persons: vec![1, 2],
        fields: vec!["idNumber".into()],
        ..audit::AuditEntry::by(
            Some(&paicha::access::Principal::unrestricted()),
            audit::AuditKind::UnmaskedRead,
            "person",
        )
    };
    audit::record(app.register.db().audit(), &entry)
        .await
        .expect("append");
    let conn = &app.register.db().audit().conn;
    for statement in ["UPDATE audit_log SET role = 'X'", "DELETE FROM audit_log"] {
        let refused = conn
            .execute_unprepared(statement)
            .await
            .expect_err("the trigger refuses it");
        assert!(
            refused.to_string().contains("audit_log is append-only"),
            "{statement}: {refused}"
        );
    }
    let entries = audit::entries(app.register.db().audit())
        .await
        .expect("log");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].persons, "[1,2]");
    assert_eq!(entries[0].fields, r#"["idNumber"]"#);
    assert_eq!(entries[0].role, "ADMIN");
}

async fn a_token_beyond_its_rate_is_told_to_wait(app: TestApp) {
    // 10 a minute: a burst of 1, then one every 6 s.
    let Some(app) = spawn_app_configured(
        backend_of(&app),
        AccessMode::Required,
        Limits::default(),
        NonZeroU32::new(10),
    )
    .await
    else {
        return;
    };
    assert_eq!(
        post(&app, Some(&app.admin_token), STATS).await.0,
        StatusCode::OK
    );
    let response = app
        .client
        .post(app.graphql_url())
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": STATS }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=7).contains(&wait), "{wait}");
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    // Another token has its own rate.
    let (_, other) = new_token(&app, spec(&app, Role::Dashboard, None, None)).await;
    assert_eq!(post(&app, Some(&other), STATS).await.0, StatusCode::OK);
}

async fn a_request_beyond_the_time_limit_is_stopped_and_nothing_is_written(app: TestApp) {
    let limits = Limits {
        timeout: Duration::from_millis(1),
        ..Limits::default()
    };
    let Some(app) =
        spawn_app_configured(backend_of(&app), AccessMode::Required, limits, None).await
    else {
        return;
    };
    let operations = json!({
        "query": "mutation($f: Upload!) { importBatch(source: TOWNSHIP, file: $f) { rowsAccepted } }",
        "variables": { "f": null },
    });
    let (status, body) = app
        .upload_as(
            Some(&app.admin_token),
            &operations,
            "township.csv",
            sample_bytes("township.csv"),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT");
    // The cancelled import rolls back; give the connection a moment to return to the pool.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for table in ["import_batch", "source_record", "person"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}

async fn a_websocket_connection_init_payload_is_authenticated(app: TestApp) {
    let required = Access::required(app.register.db().clone());
    let bearer = format!("Bearer {}", app.admin_token);
    let principal = required
        .authenticate_connection_init(&json!({ "Authorization": bearer }))
        .await
        .expect("valid payload");
    assert_eq!(principal.role, Role::Admin);
    let admin = token::authenticate(
        &app.register.db().conn,
        &app.admin_token,
        chrono::Utc::now(),
    )
    .await
    .expect("the hub's admin token");
    assert_eq!(principal.token_id, admin.token_id);
    assert!(
        principal.token_id.is_some(),
        "a token's caller names its token"
    );
    let lower = required
        .authenticate_connection_init(&json!({ "authorization": bearer }))
        .await
        .expect("the key in any case");
    assert_eq!(lower.token_id, admin.token_id);
    for payload in [
        json!({}),
        Value::Null,
        json!({ "Authorization": "Bearer paicha_nope" }),
        json!({ "Authorization": 42 }),
    ] {
        let err = required
            .authenticate_connection_init(&payload)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), "UNAUTHENTICATED", "{payload}");
    }
    required
        .on_connection_init(json!({ "Authorization": bearer }))
        .await
        .expect("a valid payload opens the connection");
    let refused = required
        .on_connection_init(json!({}))
        .await
        .expect_err("a payload without a token closes it");
    assert_eq!(
        refused.extensions.and_then(|e| e.get("code").cloned()),
        Some(async_graphql::Value::from("UNAUTHENTICATED")),
        "{}",
        refused.message
    );
    let open = Access::open(app.register.db().clone());
    assert_eq!(
        open.authenticate_connection_init(&json!({}))
            .await
            .expect("open")
            .role,
        Role::Admin
    );
}

async fn serve_demo_tokens_replace_each_other(app: TestApp) {
    let conn = &app.register.db().conn;
    let first = app.register.demo_admin_token().await.expect("demo token");
    let second = app.register.demo_admin_token().await.expect("demo token");
    let now = chrono::Utc::now();
    let replaced = token::authenticate(conn, &first, now)
        .await
        .expect_err("the first demo token is revoked");
    assert!(
        matches!(&replaced, paicha::error::AppError::Unauthenticated(m) if m.contains("吊销")),
        "{replaced:?}"
    );
    let principal = token::authenticate(conn, &second, now)
        .await
        .expect("the last demo token works");
    assert_eq!(principal.role, Role::Admin);
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run paicha");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_token_and_audit_commands_create_list_revoke_and_export() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());

    let (ok, token, stderr) = run(paicha_command(&db).args([
        "token",
        "create",
        "--role",
        "township",
        "--township",
        "城關",
        "--expires",
        "30d",
        "--note",
        "城关镇卫生院",
    ]));
    assert!(ok, "{stderr}");
    let token = token.trim();
    assert!(token.starts_with("paicha_") && token.len() == 71, "{token}");
    assert!(stderr.contains("shown this once"), "{stderr}");

    let (ok, _, stderr) = run(paicha_command(&db).args(["token", "create", "--role", "township"]));
    assert!(!ok && stderr.contains("--township"), "{stderr}");
    let (ok, _, stderr) = run(paicha_command(&db).args([
        "token",
        "create",
        "--role",
        "township",
        "--township",
        "火星镇",
    ]));
    assert!(!ok && stderr.contains("火星镇"), "{stderr}");
    let (ok, _, stderr) = run(paicha_command(&db).args([
        "token",
        "create",
        "--role",
        "partner",
        "--township",
        "城关镇",
        "--partner",
        "420102",
    ]));
    assert!(
        !ok && stderr.contains("cannot be used with"),
        "--township and --partner exclude each other: {stderr}"
    );
    let (ok, _, stderr) = run(paicha_command(&db).args(["token", "create", "--role", "root"]));
    assert!(!ok && stderr.contains("ADMIN"), "{stderr}");

    let (ok, _, _) = run(paicha_command(&db).args(["token", "create", "--role", "dashboard"]));
    assert!(ok);
    let (ok, _, _) = run(paicha_command(&db).args(["token", "revoke", "2"]));
    assert!(ok);
    let (ok, list, _) = run(paicha_command(&db).args(["token", "list"]));
    assert!(ok);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(
        lines[1].starts_with("1\tTOWNSHIP\t城关镇\tactive\t") && lines[1].ends_with("城关镇卫生院"),
        "{list}"
    );
    assert!(lines[2].starts_with("2\tDASHBOARD\t\trevoked\t"), "{list}");
    assert!(!list.contains(token), "the token is never shown again");
    let (ok, _, stderr) = run(paicha_command(&db).args(["token", "revoke", "7"]));
    assert!(!ok && stderr.contains('7'), "{stderr}");

    let register = paicha::open_register(&db, paicha::Reference::load(None).expect("demo county"))
        .await
        .expect("register");
    let principal = token::authenticate(&register.db().conn, token, chrono::Utc::now())
        .await
        .expect("the created token works");
    let entry = audit::AuditEntry {
        persons: vec![3, 5],
        fields: vec!["idNumber".into(), "phones".into()],
        ..audit::AuditEntry::by(
            Some(&principal),
            audit::AuditKind::UnmaskedRead,
            "=cmd: person",
        )
    };
    audit::record(register.db().audit(), &entry)
        .await
        .expect("append");

    let (ok, csv, _) = run(paicha_command(&db).args(["audit", "export"]));
    assert!(ok);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,at,token_id,role,kind,operation,persons,fields"
    );
    assert!(
        lines[1].starts_with("1,")
            && lines[1].ends_with(",1,TOWNSHIP,UNMASKED_READ,'=cmd: person,3;5,idNumber;phones"),
        "{csv}"
    );
    let (ok, json, _) = run(paicha_command(&db).args(["audit", "export", "--format", "json"]));
    assert!(ok);
    let json: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(json[0]["persons"], json!([3, 5]));
    assert_eq!(json[0]["token_id"], 1);
    assert_eq!(json[0]["kind"], "UNMASKED_READ");
}
