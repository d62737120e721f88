//! Hub to hub, inbound: a partner hub's signed notices at `POST /api/v1/notices`, imported once
//! per idempotency key; refusals that write nothing; partners managed while the server runs.

use paicha::exchange::partners::PartnerSpec;
use paicha::exchange::signing;
use paicha::intake::SourceKind;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait as _;
use serde_json::{Value, json};

use crate::helpers::{TestApp, count_rows, import_file, paicha_command, run_ok, sample_bytes};

crate::on_every_backend!(
    a_signed_notice_is_imported_and_its_persons_matched,
    a_replay_with_the_same_key_writes_nothing_and_answers_the_same,
    refused_requests_write_nothing,
    a_partner_added_while_the_server_runs_works_at_once,
    two_identical_requests_at_once_import_once,
    a_partner_added_on_the_command_line_works_on_the_running_server,
    a_secret_sealed_at_rest_still_signs_and_verifies,
);

/// Wuhan's Jiang'an district, the sender of the sample's first notice.
const JIANGAN: &str = "420102";

/// The first sample notice (three persons, sent from Jiang'an), with another number when
/// `number` is given.
fn jiangan_notice(number: Option<&str>) -> Vec<u8> {
    let notices: Value = serde_json::from_slice(&sample_bytes("external.json")).expect("JSON");
    let mut notice = notices[0].clone();
    if let Some(number) = number {
        notice["notice_no"] = json!(number);
    }
    serde_json::to_vec(&notice).expect("JSON")
}

async fn add_partner(app: &TestApp, code: &str) -> String {
    let spec = PartnerSpec::parse(
        app.register.reference.divisions,
        code,
        "武汉市江岸区",
        "http://127.0.0.1:9/",
        None,
    )
    .expect("partner");
    app.register.add_partner(spec).await.expect("added").secret
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Posts `body` to the notices endpoint signed as `partner` with `secret` at `at`, with the
/// idempotency key `key` (none when `None`).
async fn post_signed(
    app: &TestApp,
    partner: &str,
    secret: &str,
    at: i64,
    key: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value, bool) {
    let signed = signing::sign(
        partner,
        secret.as_bytes(),
        "POST",
        "/api/v1/notices",
        &body,
        at,
    );
    let mut request = app
        .client
        .post(format!("http://{}/api/v1/notices", app.addr))
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in signed.headers() {
        request = request.header(name, value);
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body, replayed)
}

async fn persons(app: &TestApp) -> i64 {
    app.gql_data("{ stats { persons } }", json!({})).await["stats"]["persons"]
        .as_i64()
        .expect("a count")
}

/// What an exchange may write: batches, notices, records and receipts.
async fn written(app: &TestApp) -> [i64; 4] {
    [
        count_rows(&app.register, "import_batch").await,
        count_rows(&app.register, "notice").await,
        count_rows(&app.register, "source_record").await,
        count_rows(&app.register, "exchange_receipt").await,
    ]
}

async fn a_signed_notice_is_imported_and_its_persons_matched(app: TestApp) {
    // The township has already checked 张伟 (TS-0001) and 赵磊 (TS-0010), two of the
    // notice's three persons.
    import_file(
        &app.register,
        SourceKind::Township,
        "township.csv",
        sample_bytes("township.csv"),
    )
    .await;
    let before = persons(&app).await;
    let secret = add_partner(&app, JIANGAN).await;

    let (status, answer, replayed) = post_signed(
        &app,
        JIANGAN,
        &secret,
        now(),
        Some("letter-17"),
        jiangan_notice(None),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(!replayed);
    assert_eq!(answer["notices"], json!(["鄂汉岸防控协〔2020〕17号"]));
    assert_eq!(answer["rows_accepted"], 3, "{answer}");
    let rows: Vec<_> = answer["accepted"]
        .as_array()
        .expect("accepted")
        .iter()
        .map(|p| (p["row"].clone(), p["record_id"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!(1), json!("JA17-01")),
            (json!(2), json!("JA17-02")),
            (json!(3), json!("JA17-03"))
        ]
    );
    assert_eq!(answer["rejected"], json!([]));
    // An EXTERNAL batch, imported by the partner.
    let batch = app
        .gql_data(
            "{ importBatches { edges { node { id source importedBy } } } }",
            json!({}),
        )
        .await;
    let node = batch["importBatches"]["edges"]
        .as_array()
        .expect("batches")
        .iter()
        .map(|e| e["node"].clone())
        .find(|n| n["source"] == "EXTERNAL")
        .expect("the notice's batch");
    assert_eq!(node["id"], answer["batch_id"].to_string().as_str());
    assert_eq!(node["importedBy"], "partner:420102");
    // 张伟 (and 赵磊) are matched to the township's persons; 钱文博 is new.
    let data = app
        .gql_data(
            "{ personByIdNumber(idNumber: \"420102198507150036\") { records { source recordId } } }",
            json!({}),
        )
        .await;
    let sources: Vec<_> = data["personByIdNumber"]["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["source"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        sources.contains(&"TOWNSHIP".to_owned()) && sources.contains(&"EXTERNAL".to_owned()),
        "{data}"
    );
    assert_eq!(persons(&app).await, before + 1);
}

async fn a_replay_with_the_same_key_writes_nothing_and_answers_the_same(app: TestApp) {
    let secret = add_partner(&app, JIANGAN).await;
    let body = jiangan_notice(None);
    let (status, first, _) =
        post_signed(&app, JIANGAN, &secret, now(), Some("k-1"), body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let after_first = written(&app).await;

    // Signed again (a new timestamp), as a sender retrying after a lost answer would.
    let (status, again, replayed) =
        post_signed(&app, JIANGAN, &secret, now() - 1, Some("k-1"), body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert!(replayed, "a replay says so");
    assert_eq!(again, first, "the first answer, again");
    assert_eq!(written(&app).await, after_first, "nothing written");

    // The same key with another body is refused.
    let other = jiangan_notice(Some("鄂汉岸防控协〔2020〕18号"));
    let (status, refused, _) = post_signed(&app, JIANGAN, &secret, now(), Some("k-1"), other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(written(&app).await, after_first, "nothing written");
}

async fn refused_requests_write_nothing(app: TestApp) {
    let secret = add_partner(&app, JIANGAN).await;
    let body = jiangan_notice(None);
    let empty = written(&app).await;
    let stale = now() - 301;
    let wrong_secret = "w".repeat(64);
    let oversized = {
        let mut notice: Value = serde_json::from_slice(&body).expect("JSON");
        notice["note"] = json!("长".repeat(3 * 1024 * 1024));
        serde_json::to_vec(&notice).expect("JSON")
    };
    for (what, partner, secret, at, key, body, status, code) in [
        (
            "bad signature",
            JIANGAN,
            wrong_secret.as_str(),
            now(),
            Some("a"),
            body.clone(),
            401,
            "BAD_SIGNATURE",
        ),
        (
            "unknown partner",
            "420103",
            secret.as_str(),
            now(),
            Some("b"),
            body.clone(),
            401,
            "UNKNOWN_PARTNER",
        ),
        (
            "stale timestamp",
            JIANGAN,
            secret.as_str(),
            stale,
            Some("c"),
            body.clone(),
            401,
            "STALE_TIMESTAMP",
        ),
        (
            "no idempotency key",
            JIANGAN,
            secret.as_str(),
            now(),
            None,
            body.clone(),
            400,
            "IDEMPOTENCY_KEY_REQUIRED",
        ),
        (
            "oversized body",
            JIANGAN,
            secret.as_str(),
            now(),
            Some("d"),
            oversized,
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "not notices",
            JIANGAN,
            secret.as_str(),
            now(),
            Some("e"),
            b"[1,2]".to_vec(),
            422,
            "BAD_NOTICE",
        ),
    ] {
        let (got, answer, _) = post_signed(&app, partner, secret, at, key, body).await;
        assert_eq!(got.as_u16(), status, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{what}: {answer}");
        assert_eq!(written(&app).await, empty, "{what}: nothing written");
    }
    // Unsigned.
    let response = app
        .client
        .post(format!("http://{}/api/v1/notices", app.addr))
        .header("idempotency-key", "f")
        .body(body.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let answer: Value = response.json().await.expect("JSON");
    assert_eq!(answer["error"]["code"], "UNSIGNED");
    // A notice sent from outside the partner's jurisdiction (Xiaogan's, by Jiang'an).
    let notices: Value = serde_json::from_slice(&sample_bytes("external.json")).expect("JSON");
    let xiaogan = serde_json::to_vec(&notices[1]).expect("JSON");
    let (got, answer, _) = post_signed(&app, JIANGAN, &secret, now(), Some("g"), xiaogan).await;
    assert_eq!(got, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["error"]["code"], "FORBIDDEN");
    assert_eq!(written(&app).await, empty, "nothing written");
}

async fn a_partner_added_while_the_server_runs_works_at_once(app: TestApp) {
    let body = jiangan_notice(None);
    let secret = "s".repeat(40);
    let (status, answer, _) =
        post_signed(&app, JIANGAN, &secret, now(), Some("1"), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");

    // Added over GraphQL by an admin, with the secret the partner made.
    let added = app
        .gql_data(
            "mutation($s: String) { addPartner(code: \"420102\", name: \"武汉市江岸区\", baseUrl: \"https://jiangan.example/\", secret: $s) { partner { code name baseUrl rotatedAt } secret } }",
            json!({ "s": secret }),
        )
        .await;
    assert_eq!(added["addPartner"]["secret"], secret.as_str());
    assert_eq!(added["addPartner"]["partner"]["rotatedAt"], Value::Null);
    let (status, answer, _) =
        post_signed(&app, JIANGAN, &secret, now(), Some("1"), body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Listed without a secret (the type has none).
    let listed = app.gql_data("{ partners { code name } }", json!({})).await;
    assert_eq!(
        listed["partners"],
        json!([{ "code": "420102", "name": "武汉市江岸区" }])
    );

    // A new secret: the old one stops working at once, the new one works.
    let rotated = app
        .gql_data(
            "mutation { rotatePartnerSecret(code: \"420102\") { secret partner { rotatedAt } } }",
            json!({}),
        )
        .await;
    let new_secret = rotated["rotatePartnerSecret"]["secret"]
        .as_str()
        .expect("a new secret")
        .to_owned();
    assert_eq!(new_secret.len(), 64);
    let (status, _, _) = post_signed(&app, JIANGAN, &secret, now(), Some("2"), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) =
        post_signed(&app, JIANGAN, &new_secret, now(), Some("2"), body.clone()).await;
    assert_eq!(status, StatusCode::OK);

    // Removed: refused at once.
    let removed = app
        .gql_data("mutation { removePartner(code: \"420102\") }", json!({}))
        .await;
    assert_eq!(removed["removePartner"], true);
    let (status, answer, _) = post_signed(&app, JIANGAN, &new_secret, now(), Some("3"), body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["error"]["code"], "UNKNOWN_PARTNER");
}

async fn two_identical_requests_at_once_import_once(app: TestApp) {
    let secret = add_partner(&app, JIANGAN).await;
    let body = jiangan_notice(None);
    let at = now();
    let (a, b) = tokio::join!(
        post_signed(&app, JIANGAN, &secret, at, Some("same"), body.clone()),
        post_signed(&app, JIANGAN, &secret, at, Some("same"), body.clone()),
    );
    assert_eq!(
        (a.0, b.0),
        (StatusCode::OK, StatusCode::OK),
        "{} {}",
        a.1,
        b.1
    );
    assert_eq!(a.1, b.1, "one answer");
    assert!(a.2 ^ b.2, "one of them is the replay");
    assert_eq!(count_rows(&app.register, "import_batch").await, 1);
    assert_eq!(count_rows(&app.register, "exchange_receipt").await, 1);
}

/// `paicha partner …` beside a running server, on its database.
async fn a_partner_added_on_the_command_line_works_on_the_running_server(app: TestApp) {
    let url = app.database_url.clone();
    let run = move |args: &'static [&'static str]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || run_ok(paicha_command(&url).args(args)))
    };
    let secret = run(&[
        "partner",
        "add",
        "--code",
        "420102",
        "--name",
        "武汉市江岸区",
        "--url",
        "https://jiangan.example/",
    ])
    .await
    .expect("ran");
    let secret = secret.trim().to_owned();
    assert_eq!(secret.len(), 64, "the new secret, printed once: {secret}");

    let body = jiangan_notice(None);
    let (status, answer, _) =
        post_signed(&app, JIANGAN, &secret, now(), Some("cli-1"), body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let listed = run(&["partner", "list"]).await.expect("ran");
    assert!(
        listed.contains("420102\t武汉市江岸区\thttps://jiangan.example/"),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "never the secret: {listed}");

    let rotated = run(&["partner", "rotate-secret", "420102"])
        .await
        .expect("ran");
    let rotated = rotated.trim().to_owned();
    assert_eq!(rotated.len(), 64);
    let (status, _, _) =
        post_signed(&app, JIANGAN, &secret, now(), Some("cli-2"), body.clone()).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old secret stops working"
    );
    let (status, _, _) =
        post_signed(&app, JIANGAN, &rotated, now(), Some("cli-2"), body.clone()).await;
    assert_eq!(status, StatusCode::OK);

    run(&["partner", "remove", "420102"]).await.expect("ran");
    let (status, _, _) = post_signed(&app, JIANGAN, &rotated, now(), Some("cli-3"), body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// With `PAICHA_SECRETS_KEY` set, the database holds the secret sealed, and a server with the
/// key verifies requests signed with it.
async fn a_secret_sealed_at_rest_still_signs_and_verifies(app: TestApp) {
    let key = "ab".repeat(32);
    let url = app.database_url.clone();
    let cli_key = key.clone();
    let secret = tokio::task::spawn_blocking(move || {
        run_ok(
            paicha_command(&url)
                .env("PAICHA_SECRETS_KEY", &cli_key)
                .args([
                    "partner",
                    "add",
                    "--code",
                    "420102",
                    "--name",
                    "江岸区",
                    "--url",
                    "http://127.0.0.1:9/",
                ]),
        )
    })
    .await
    .expect("ran");
    let secret = secret.trim().to_owned();
    let conn = &app.register.db().conn;
    let stored = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT secret FROM partner",
        ))
        .await
        .expect("query")
        .expect("a row")
        .try_get::<String>("", "secret")
        .expect("secret");
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(!stored.contains(&secret));

    // A server with the key verifies the partner's requests.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut server = paicha_command(&app.database_url)
        .env("PAICHA_SECRETS_KEY", &key)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    let base = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while app
        .client
        .get(format!("{base}/health"))
        .send()
        .await
        .is_err()
        && started.elapsed() < std::time::Duration::from_secs(60)
    {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let body = jiangan_notice(None);
    let signed = signing::sign(
        JIANGAN,
        secret.as_bytes(),
        "POST",
        "/api/v1/notices",
        &body,
        now(),
    );
    let mut request = app
        .client
        .post(format!("{base}/api/v1/notices"))
        .header("idempotency-key", "sealed-1")
        .body(body);
    for (name, value) in signed.headers() {
        request = request.header(name, value);
    }
    let status = request.send().await.map(|r| r.status());
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(status.ok(), Some(StatusCode::OK));

    // Without the key, the sealed secret cannot be read: refused as an internal error,
    // nothing written.
    let before = written(&app).await;
    let (status, answer, _) = post_signed(
        &app,
        JIANGAN,
        &secret,
        now(),
        Some("sealed-2"),
        jiangan_notice(Some("2")),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
    assert_eq!(answer["error"]["code"], "INTERNAL");
    assert_eq!(written(&app).await, before);
}
