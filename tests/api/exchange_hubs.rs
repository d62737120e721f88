//! Hub to hub, both ways, with real hubs on loopback, each on its own database and port: a
//! letter issued electronically on hub A arrives at hub B as an external notice, B's reply
//! comes back to A's letter; deliveries survive a receiver that is down, failing or hanging;
//! the replies endpoint is signed and idempotent.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use paicha::access::token::TokenSpec;
use paicha::access::{Access, Role};
use paicha::exchange::delivery::{DeliverySettings, spawn_delivery};
use paicha::exchange::partners::PartnerSpec;
use paicha::exchange::payload::replies_path;
use paicha::exchange::signing;
use paicha::intake::SourceKind;
use paicha::{Reference, Register};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::helpers::{Backend, count_rows, fresh_database, import_file};

crate::on_both_backends!(
    a_letter_goes_to_the_partner_hub_and_its_reply_comes_back,
    a_hub_that_is_down_gets_the_letter_once_when_it_is_back,
    servers_on_one_database_claim_each_delivery_once,
    a_letter_issued_electronically_without_a_partner_hub_is_issued_as_before,
);

mod sqlite_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_receiver_that_fails_or_hangs_at_first_gets_the_letter_in_the_end() {
        super::a_receiver_that_fails_or_hangs_at_first_gets_the_letter_in_the_end().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn replies_are_signed_idempotent_and_only_for_the_partners_letters() {
        super::replies_are_signed_idempotent_and_only_for_the_partners_letters().await;
    }
}

/// Hub A: 罗山县 (Henan), whose letters go out.
const COUNTY_A: &str = r#"
name = "罗山县"
code = "411521"
province = "河南省"
city = "信阳市"

[[townships]]
name = "龙山街道"
villages = ["龙山社区"]
"#;

/// Hub B: 江岸区 (Wuhan), where A's persons are.
const COUNTY_B: &str = r#"
name = "江岸区"
code = "420102"
province = "湖北省"
city = "武汉市"

[[townships]]
name = "大智街道"
aliases = ["大智"]
villages = ["大智社区"]

[[townships]]
name = "一元街道"
aliases = ["一元"]
villages = ["一元社区"]
"#;

const CODE_A: &str = "411521";
const CODE_B: &str = "420102";

/// A notice hub A received (by file) of two persons who are in Jiang'an: A's letter goes to B.
const NOTICE_TO_A: &str = r#"{"notice_no":"孝南防指协〔2020〕9号","sending_jurisdiction":"湖北省孝感市孝南区",
 "send_date":"2020-01-30","contact":"陈股长","note":"",
 "persons":[
  {"record_id":"XN9-01","name":"周建国","sex":"男","id_number":"42010219800101001X","phone":"13871230001",
   "current_address":"湖北省武汉市江岸区大智街道大智社区","note":""},
  {"record_id":"XN9-02","name":"吴秀英","sex":"女","id_number":"420102198505050023","phone":"13871230002",
   "current_address":"湖北省武汉市江岸区一元街道一元社区","note":""}]}"#;

/// B's own township check of 周建国.
const TOWNSHIP_B: &str = "record_id,township,village,name,sex,id_number,phone,arrival_date,report_date\n\
     DZ-01,大智街道,大智社区,周建国,男,42010219800101001X,13871230001,2020-01-28,2020-01-29\n";

/// Fast retries for tests: the first wait 50 ms, the longest 400 ms, calls of at most 2 s.
fn fast() -> DeliverySettings {
    DeliverySettings {
        retry_first: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        timeout: Duration::from_secs(2),
        concurrency: 4,
        poll: Duration::from_millis(200),
    }
}

/// A running hub: its register, address, ADMIN token, and what stops it.
struct Hub {
    register: Register,
    addr: SocketAddr,
    token: String,
    database_url: String,
    county: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
}

fn county_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("county file");
    path
}

/// Starts a hub for `county` on the database at `url` (migrated on open), on `port` (0: any),
/// with its delivery worker, as `paicha serve` runs one.
async fn start(county: &std::path::Path, url: &str, port: u16, settings: DeliverySettings) -> Hub {
    let reference = Reference::load(Some(county))
        .expect("county")
        .with_today(chrono::NaiveDate::from_ymd_opt(2020, 2, 1));
    let register = paicha::open_register(url, reference)
        .await
        .expect("register");
    let token = register
        .create_token(TokenSpec::parse(Role::Admin, None, None, &register.reference).expect("spec"))
        .await
        .expect("token")
        .token;
    let app = paicha::http::router(
        paicha::graphql::schema(register.clone()),
        Access::required(register.db().clone()),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await;
    });
    let worker = spawn_delivery(&register, settings).expect("worker");
    Hub {
        register,
        addr,
        token,
        database_url: url.to_owned(),
        county: county.to_path_buf(),
        stop: Some(stop),
        server,
        worker,
    }
}

impl Hub {
    /// Stops serving and delivering (the database stays).
    async fn stop(mut self) -> (PathBuf, String, u16) {
        self.worker.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.server).await;
        self.server.abort();
        (
            self.county.clone(),
            self.database_url.clone(),
            self.addr.port(),
        )
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    async fn gql(&self, query: &str, variables: Value) -> Value {
        let body: Value = reqwest::Client::new()
            .post(format!("http://{}/graphql", self.addr))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    async fn count(&self, table: &str) -> i64 {
        count_rows(&self.register, table).await
    }

    /// Letter `id` with its state, replies and deliveries.
    async fn letter(&self, id: &str) -> Value {
        self.gql(
            "query($id: ID!) { letter(id: $id) { id number state kind
               replies { personId outcome place { code } note }
               deliveries { attempt at status error } } }",
            json!({ "id": id }),
        )
        .await["letter"]
            .clone()
    }

    /// Drafts the letters and issues the one to `code` electronically; returns it.
    async fn issue_letter_to(&self, code: &str) -> Value {
        let drafts = self
            .gql(
                "mutation { draftLetters { id jurisdiction { code } } }",
                json!({}),
            )
            .await;
        let id = drafts["draftLetters"]
            .as_array()
            .expect("drafts")
            .iter()
            .find(|l| l["jurisdiction"]["code"] == code)
            .map(|l| l["id"].clone())
            .unwrap_or_else(|| panic!("a draft to {code}: {drafts}"));
        self.gql(
            "mutation($id: ID!) { issueLetter(id: $id, channel: ELECTRONIC) { id number state } }",
            json!({ "id": id }),
        )
        .await["issueLetter"]
            .clone()
    }
}

/// Polls `check` until it gives a value or `within` passes (then fails with `what`).
async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Registers each hub as the other's partner, with one shared secret.
async fn pair(a: &Hub, b: &Hub) -> String {
    let d = a.register.reference.divisions;
    let spec = PartnerSpec::parse(d, CODE_B, "武汉市江岸区", &b.url(), None).expect("spec");
    let secret = a
        .register
        .add_partner(spec)
        .await
        .expect("partner B")
        .secret;
    let spec =
        PartnerSpec::parse(d, CODE_A, "信阳市罗山县", &a.url(), Some(&secret)).expect("spec");
    b.register.add_partner(spec).await.expect("partner A");
    secret
}

/// A has two persons in Jiang'an (from a notice it received by file); B has checked one of
/// them itself.
async fn seed(a: &Hub, b: &Hub) {
    import_file(
        &a.register,
        SourceKind::External,
        "notice.json",
        NOTICE_TO_A,
    )
    .await;
    import_file(&b.register, SourceKind::Township, "dazhi.csv", TOWNSHIP_B).await;
}

/// B's notices with number `number`: (notice id, record IDs of its persons).
async fn notices_at(b: &Hub, number: &str) -> Vec<(i64, Vec<String>)> {
    let conn = &b.register.db().conn;
    let notices = paicha::db::notice::Entity::find()
        .filter(paicha::db::notice::Column::NoticeNo.eq(number))
        .all(conn)
        .await
        .expect("notices");
    let mut out = Vec::new();
    for n in notices {
        let mut ids: Vec<String> = paicha::db::source_record::Entity::find()
            .filter(paicha::db::source_record::Column::NoticeId.eq(n.id))
            .all(conn)
            .await
            .expect("records")
            .into_iter()
            .map(|r| r.record_id)
            .collect();
        ids.sort();
        out.push((n.id, ids));
    }
    out
}

/// A's persons on letter `id`, as the notice names them (their IDs), ascending.
async fn persons_on(a: &Hub, id: &str) -> Vec<String> {
    let mut ids: Vec<String> = a
        .register
        .letter_persons(id.parse().expect("id"))
        .await
        .expect("persons")
        .into_iter()
        .map(|p| p.person_id.to_string())
        .collect();
    ids.sort();
    ids
}

async fn a_letter_goes_to_the_partner_hub_and_its_reply_comes_back(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let (da, db) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let a = start(
        &county_file(&dir, "a.toml", COUNTY_A),
        &fresh_database(backend, &da).await.expect("db"),
        0,
        fast(),
    )
    .await;
    let b = start(
        &county_file(&dir, "b.toml", COUNTY_B),
        &fresh_database(backend, &db).await.expect("db"),
        0,
        fast(),
    )
    .await;
    pair(&a, &b).await;
    seed(&a, &b).await;

    // A issues its letter to Jiang'an electronically.
    let issued = a.issue_letter_to(CODE_B).await;
    let (id, number) = (
        issued["id"].as_str().expect("id").to_owned(),
        issued["number"].as_str().expect("number").to_owned(),
    );
    assert_eq!(issued["state"], "ISSUED");

    // Within seconds: delivered, one attempt, 2xx.
    let letter = eventually(Duration::from_secs(20), "A's letter delivered", || async {
        let l = a.letter(&id).await;
        (l["state"] == "DELIVERED").then_some(l)
    })
    .await;
    let deliveries = letter["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 1, "{letter}");
    assert_eq!(deliveries[0]["status"], 200);
    assert_eq!(deliveries[0]["error"], Value::Null);

    // B shows one external notice with exactly the letter's persons, matched into its
    // register: 周建国 is one person with B's own township record.
    let notices = notices_at(&b, &number).await;
    assert_eq!(notices.len(), 1, "one notice");
    let (notice_id, record_ids) = &notices[0];
    assert_eq!(record_ids, &persons_on(&a, &id).await);
    let zhou = b
        .gql(
            "{ personByIdNumber(idNumber: \"42010219800101001X\") { records { source } } }",
            json!({}),
        )
        .await;
    let sources: Vec<&str> = zhou["personByIdNumber"]["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["source"].as_str())
        .collect();
    assert!(
        sources.contains(&"TOWNSHIP") && sources.contains(&"EXTERNAL"),
        "{zhou}"
    );

    // B answers the notice and issues its reply electronically.
    let reply = b
        .gql(
            "mutation($n: ID!) { replyToNotice(noticeId: $n) { id jurisdiction { code } } }",
            json!({ "n": notice_id.to_string() }),
        )
        .await["replyToNotice"]
        .clone();
    assert_eq!(reply["jurisdiction"]["code"], CODE_A);
    let reply_id = reply["id"].as_str().expect("id").to_owned();
    b.gql(
        "mutation($id: ID!) { issueLetter(id: $id, channel: ELECTRONIC) { state } }",
        json!({ "id": reply_id }),
    )
    .await;

    // A's letter is REPLIED, person by person, with what B's register knows.
    let letter = eventually(Duration::from_secs(20), "A's letter replied", || async {
        let l = a.letter(&id).await;
        (l["state"] == "REPLIED").then_some(l)
    })
    .await;
    let mut answered: Vec<(String, String)> = letter["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .map(|r| {
            (
                r["personId"].as_str().unwrap_or_default().to_owned(),
                r["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    answered.sort();
    let persons = persons_on(&a, &id).await;
    assert_eq!(
        answered.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        persons
    );
    // 周建国 is in Jiang'an under B's observation; so is 吴秀英 (the notice placed her there).
    assert!(answered.iter().all(|r| r.1 == "OBSERVED"), "{letter}");
    assert!(
        letter["replies"][0]["note"]
            .as_str()
            .is_some_and(|n| n.contains("我县")),
        "{letter}"
    );
    // B's reply was delivered once.
    let b_reply = eventually(Duration::from_secs(10), "B's reply delivered", || async {
        let l = b.letter(&reply_id).await;
        (l["state"] == "DELIVERED").then_some(l)
    })
    .await;
    assert_eq!(b_reply["deliveries"].as_array().map(Vec::len), Some(1));
    assert_eq!(a.count("letter_reply").await, 2);
    a.stop().await;
    b.stop().await;
}

async fn a_hub_that_is_down_gets_the_letter_once_when_it_is_back(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let (da, db) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let a = start(
        &county_file(&dir, "a.toml", COUNTY_A),
        &fresh_database(backend, &da).await.expect("db"),
        0,
        fast(),
    )
    .await;
    let b = start(
        &county_file(&dir, "b.toml", COUNTY_B),
        &fresh_database(backend, &db).await.expect("db"),
        0,
        fast(),
    )
    .await;
    pair(&a, &b).await;
    seed(&a, &b).await;
    let (county_b, url_b, port_b) = b.stop().await;

    let issued = a.issue_letter_to(CODE_B).await;
    let id = issued["id"].as_str().expect("id").to_owned();
    let number = issued["number"].as_str().expect("number").to_owned();

    // A keeps trying, each attempt recorded with why it failed.
    let tried = eventually(Duration::from_secs(20), "three failed attempts", || async {
        let l = a.letter(&id).await;
        let d = l["deliveries"].as_array().cloned().unwrap_or_default();
        (d.len() >= 3).then_some(l)
    })
    .await;
    assert_eq!(tried["state"], "ISSUED");
    for (i, d) in tried["deliveries"]
        .as_array()
        .expect("d")
        .iter()
        .enumerate()
    {
        assert_eq!(d["attempt"], i as i64 + 1);
        assert_eq!(d["status"], Value::Null, "no answer: {d}");
        assert!(d["error"].as_str().is_some_and(|e| !e.is_empty()), "{d}");
    }

    // B comes back on the same port and database: the letter arrives, once.
    let b = start(&county_b, &url_b, port_b, fast()).await;
    let letter = eventually(
        Duration::from_secs(20),
        "delivered after restart",
        || async {
            let l = a.letter(&id).await;
            (l["state"] == "DELIVERED").then_some(l)
        },
    )
    .await;
    let deliveries = letter["deliveries"].as_array().expect("deliveries");
    assert_eq!(
        deliveries.last().map(|d| d["status"].clone()),
        Some(json!(200))
    );
    assert_eq!(
        deliveries.iter().filter(|d| d["status"] == 200).count(),
        1,
        "one delivery: {letter}"
    );
    assert_eq!(notices_at(&b, &number).await.len(), 1);
    assert_eq!(b.count("exchange_receipt").await, 1);
    // And nothing more goes out.
    let outbox = a
        .register
        .letter_outbox(id.parse().expect("id"))
        .await
        .expect("outbox")
        .expect("a row");
    assert_eq!(outbox.state, paicha::states::OutboxState::Delivered);
    a.stop().await;
    b.stop().await;
}

/// What the flaky receiver saw of each request: its key, body hash and signature check.
#[derive(Clone, Default)]
struct Seen(Arc<std::sync::Mutex<Vec<(String, String, bool)>>>);

async fn a_receiver_that_fails_or_hangs_at_first_gets_the_letter_in_the_end() {
    let dir = tempfile::tempdir().expect("dir");
    let da = tempfile::tempdir().expect("dir");
    let settings = DeliverySettings {
        timeout: Duration::from_millis(500),
        ..fast()
    };
    let a = start(
        &county_file(&dir, "a.toml", COUNTY_A),
        &fresh_database(Backend::Sqlite, &da).await.expect("db"),
        0,
        settings,
    )
    .await;
    import_file(
        &a.register,
        SourceKind::External,
        "notice.json",
        NOTICE_TO_A,
    )
    .await;

    // The receiver: 500 twice, then hangs past A's time limit, then takes the letter.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Seen::default();
    let secret = "s".repeat(40);
    let receiver = {
        let (calls, seen, secret) = (calls.clone(), seen.clone(), secret.clone());
        axum::Router::new().route(
            "/api/v1/notices",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let (calls, seen, secret) = (calls.clone(), seen.clone(), secret.clone());
                    async move {
                        let n = calls.fetch_add(1, Ordering::SeqCst);
                        let h = |name: &str| {
                            headers
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        let ok = signing::verify(
                            secret.as_bytes(),
                            "POST",
                            "/api/v1/notices",
                            &h("x-paicha-timestamp"),
                            &h("x-paicha-signature"),
                            &body,
                            chrono::Utc::now().timestamp(),
                        )
                        .is_ok();
                        let digest =
                            format!("{:x}", body.len()) + &String::from_utf8_lossy(&body[..16]);
                        if let Ok(mut s) = seen.0.lock() {
                            s.push((h("idempotency-key"), digest, ok));
                        }
                        match n {
                            0 | 1 => (StatusCode::INTERNAL_SERVER_ERROR, "{}".to_owned()),
                            2 => {
                                tokio::time::sleep(Duration::from_secs(5)).await;
                                (StatusCode::OK, "{}".to_owned())
                            }
                            _ => (StatusCode::OK, "{\"batch_id\":1}".to_owned()),
                        }
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });
    let d = a.register.reference.divisions;
    let spec = PartnerSpec::parse(
        d,
        CODE_B,
        "武汉市江岸区",
        &format!("http://{addr}/"),
        Some(&secret),
    )
    .expect("spec");
    a.register.add_partner(spec).await.expect("partner");

    let issued = a.issue_letter_to(CODE_B).await;
    let id = issued["id"].as_str().expect("id").to_owned();
    let letter = eventually(Duration::from_secs(20), "delivered in the end", || async {
        let l = a.letter(&id).await;
        (l["state"] == "DELIVERED").then_some(l)
    })
    .await;
    let statuses: Vec<Value> = letter["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| d["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(500), json!(500), Value::Null, json!(200)]);
    let errors: Vec<Value> = letter["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| d["error"].clone())
        .collect();
    assert!(
        errors[2].as_str().is_some_and(|e| e.contains("超时")),
        "{errors:?}"
    );
    assert_eq!(errors[3], Value::Null);
    // The same request every time, signed every time.
    let seen = seen.0.lock().expect("seen").clone();
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|s| s.2), "every attempt signed");
    assert!(seen.iter().all(|s| s.0 == seen[0].0 && s.1 == seen[0].1));
    assert_eq!(seen[0].0, "letter-411521-2020-1");
    a.stop().await;
}

async fn replies_are_signed_idempotent_and_only_for_the_partners_letters() {
    let dir = tempfile::tempdir().expect("dir");
    let da = tempfile::tempdir().expect("dir");
    let a = start(
        &county_file(&dir, "a.toml", COUNTY_A),
        &fresh_database(Backend::Sqlite, &da).await.expect("db"),
        0,
        fast(),
    )
    .await;
    import_file(
        &a.register,
        SourceKind::External,
        "notice.json",
        NOTICE_TO_A,
    )
    .await;
    let d = a.register.reference.divisions;
    // B is a partner whose hub is not reachable: the letter is issued by post here.
    let spec =
        PartnerSpec::parse(d, CODE_B, "武汉市江岸区", "http://127.0.0.1:9/", None).expect("spec");
    let secret = a.register.add_partner(spec).await.expect("partner").secret;
    let spec =
        PartnerSpec::parse(d, "420103", "武汉市江汉区", "http://127.0.0.1:9/", None).expect("spec");
    let other = a.register.add_partner(spec).await.expect("partner").secret;
    let drafts = a.gql("mutation { draftLetters { id } }", json!({})).await;
    let id = drafts["draftLetters"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let issued = a
        .gql(
            "mutation($id: ID!) { issueLetter(id: $id, channel: POST) { number } }",
            json!({ "id": id }),
        )
        .await;
    let number = issued["issueLetter"]["number"]
        .as_str()
        .expect("n")
        .to_owned();
    let persons = persons_on(&a, &id).await;
    let body = serde_json::to_vec(&json!({
        "letter_no": number,
        "reply_no": "鄂岸防指函〔2020〕3号",
        "replies": [
            {"record_id": persons[0], "outcome": "OBSERVED", "note": "已在我区找到"},
            {"record_id": persons[1], "outcome": "MOVED_ON", "place": "420103"},
        ]
    }))
    .expect("JSON");
    let path = replies_path(&number);
    let post = |partner: &'static str, secret: String, key: &'static str, body: Vec<u8>| {
        let url = format!("http://{}{}", a.addr, path);
        let path = path.clone();
        async move {
            let signed = signing::sign(
                partner,
                secret.as_bytes(),
                "POST",
                &path,
                &body,
                chrono::Utc::now().timestamp(),
            );
            let mut request = reqwest::Client::new()
                .post(url)
                .header("idempotency-key", key)
                .body(body);
            for (name, value) in signed.headers() {
                request = request.header(name, value);
            }
            let response = request.send().await.expect("request");
            let status = response.status();
            let replayed = response.headers().get("idempotent-replayed").is_some();
            (
                status,
                response.json::<Value>().await.expect("JSON"),
                replayed,
            )
        }
    };
    let written = || async {
        [
            a.count("letter_reply").await,
            a.count("exchange_receipt").await,
            a.count("letter_event").await,
        ]
    };
    let before = written().await;

    // A bad signature: refused, nothing written.
    let (status, answer, _) = post(CODE_B, "x".repeat(64), "r-1", body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    assert_eq!(answer["error"]["code"], "BAD_SIGNATURE");
    assert_eq!(written().await, before);

    // Another partner's reply to a letter not addressed to it: refused, nothing written.
    let (status, answer, _) = post("420103", other, "r-1", body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["error"]["code"], "UNKNOWN_LETTER");
    assert_eq!(written().await, before);

    // The partner's reply: recorded.
    let (status, first, replayed) = post(CODE_B, secret.clone(), "r-1", body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(!replayed);
    assert_eq!(first["state"], "REPLIED");
    assert_eq!(first["recorded"], 2);
    let after = written().await;
    assert_eq!(after[0], before[0] + 2);
    let letter = a.letter(&id).await;
    assert_eq!(letter["state"], "REPLIED");
    let moved = letter["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .find(|r| r["outcome"] == "MOVED_ON")
        .cloned()
        .expect("moved on");
    assert_eq!(moved["place"]["code"], "420103");

    // The same request again: the first answer, nothing written.
    let (status, again, replayed) = post(CODE_B, secret.clone(), "r-1", body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(replayed);
    assert_eq!(again, first);
    assert_eq!(written().await, after);

    // Another request under the same key: refused.
    let mut changed: Value = serde_json::from_slice(&body).expect("JSON");
    changed["reply_no"] = json!("another");
    let changed = serde_json::to_vec(&changed).expect("JSON");
    let (status, answer, _) = post(CODE_B, secret.clone(), "r-1", changed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    // A new key for a letter already answered in full: a conflict, nothing written.
    let (status, answer, _) = post(CODE_B, secret, "r-2", body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(written().await, after);
    a.stop().await;
}

async fn servers_on_one_database_claim_each_delivery_once(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let da = tempfile::tempdir().expect("dir");
    let url = fresh_database(backend, &da).await.expect("db");
    let county = county_file(&dir, "a.toml", COUNTY_A);
    let reference = || {
        Reference::load(Some(&county))
            .expect("county")
            .with_today(chrono::NaiveDate::from_ymd_opt(2020, 2, 1))
    };
    // Two servers' registers on one database, no worker running.
    let one = paicha::open_register(&url, reference()).await.expect("one");
    let two = paicha::open_register(&url, reference()).await.expect("two");
    import_file(&one, SourceKind::External, "notice.json", NOTICE_TO_A).await;
    let spec = PartnerSpec::parse(
        one.reference.divisions,
        CODE_B,
        "江岸区",
        "http://127.0.0.1:9/",
        None,
    )
    .expect("spec");
    one.add_partner(spec).await.expect("partner");
    let letters = one.draft_letters("test").await.expect("drafts");
    let state = paicha::states::LetterChannel::Electronic;
    one.issue_letter(letters[0].id, state, "test")
        .await
        .expect("issued");
    assert_eq!(count_rows(&one, "outbox").await, 1);

    let lease = Duration::from_secs(60);
    let (a, b) = tokio::join!(
        one.claim_deliveries(4, lease),
        two.claim_deliveries(4, lease)
    );
    let claimed = a.expect("claim").len() + b.expect("claim").len();
    assert_eq!(claimed, 1, "one server claims the row");
    // Leased: nobody claims it again until the lease ends.
    assert!(
        two.claim_deliveries(4, lease)
            .await
            .expect("claim")
            .is_empty()
    );
    assert!(
        one.claim_deliveries(4, lease)
            .await
            .expect("claim")
            .is_empty()
    );
}

async fn a_letter_issued_electronically_without_a_partner_hub_is_issued_as_before(
    backend: Backend,
) {
    let dir = tempfile::tempdir().expect("dir");
    let da = tempfile::tempdir().expect("dir");
    let a = start(
        &county_file(&dir, "a.toml", COUNTY_A),
        &fresh_database(backend, &da).await.expect("db"),
        0,
        fast(),
    )
    .await;
    import_file(
        &a.register,
        SourceKind::External,
        "notice.json",
        NOTICE_TO_A,
    )
    .await;
    let issued = a.issue_letter_to(CODE_B).await;
    assert_eq!(issued["state"], "ISSUED");
    assert_eq!(a.count("outbox").await, 0);
    let letter = a.letter(issued["id"].as_str().expect("id")).await;
    assert_eq!(letter["deliveries"], json!([]));
    a.stop().await;
}
