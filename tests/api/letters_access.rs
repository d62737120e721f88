//! Letters: numbers under concurrent issues, who sees which letter (a PARTNER its own, audited;
//! a DASHBOARD counts; a TOWNSHIP nothing), and the document routes.
//!
//! The route tests check real documents (status 200 and the media type, a PDF starting with
//! `%PDF`, the HTML naming the addressee): they need the renderer of `src/letters/render/`.

use std::collections::BTreeSet;

use paicha::access::Role;
use paicha::access::token::TokenSpec;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, paicha_command, run_ok};
use crate::letters::{LETTER, draft, import_notice, import_the_usual, issue, notice, to};

crate::on_every_backend!(
    concurrent_issues_take_every_number_once_without_a_gap,
    a_partner_sees_its_own_letters_with_their_persons_audited,
    the_documents_are_served_to_who_may_read_the_letter,
    a_clerk_drafts_lists_and_renders_on_the_command_line,
    a_clerk_lists_the_notices_it_answers_but_not_their_persons,
);

async fn token(app: &TestApp, role: Role, partner: Option<&str>) -> String {
    let spec = TokenSpec::parse(
        role,
        (role == Role::Township).then_some("城关镇"),
        partner,
        &app.register.reference,
    )
    .expect("spec");
    app.register.create_token(spec).await.expect("token").token
}

async fn a_clerk_lists_the_notices_it_answers_but_not_their_persons(app: TestApp) {
    import_the_usual(&app).await;
    let clerk = token(&app, Role::Clerk, None).await;
    let (_, body) = app
        .post_as(
            Some(&clerk),
            "{ notices(first: 10) { totalCount edges { node { id number sender recordCount } } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let count = body["data"]["notices"]["totalCount"]
        .as_u64()
        .expect("count");
    assert!(count >= 1, "{body}");
    let node = &body["data"]["notices"]["edges"][0]["node"];
    assert!(
        node["recordCount"].as_u64().expect("recordCount") >= 1,
        "{body}"
    );
    // It answers the notice …
    let (_, body) = app
        .post_as(
            Some(&clerk),
            "mutation($n: ID!) { replyToNotice(noticeId: $n) { id kind state } }",
            json!({ "n": node["id"] }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["replyToNotice"]["state"], "DRAFT", "{body}");
    // … without reading the notice's persons, which are source records.
    let (_, body) = app
        .post_as(
            Some(&clerk),
            "{ notices(first: 1) { edges { node { records { id recordId } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
}

async fn concurrent_issues_take_every_number_once_without_a_gap(app: TestApp) {
    let places = [
        ("甲", "湖北省孝感市孝南区书院街1号"),
        ("乙", "湖北省武汉市江岸区1号"),
        ("丙", "湖北省武汉市江汉区2号"),
        ("丁", "湖北省武汉市硚口区3号"),
        ("戊", "湖北省武汉市汉阳区4号"),
        ("己", "湖北省武汉市武昌区5号"),
        ("庚", "广东省深圳市南山区6号"),
        ("辛", "广东省深圳市福田区7号"),
    ];
    import_notice(
        &app,
        "eight.json",
        notice("孝南防指协〔2020〕11号", &places, 40),
    )
    .await;
    let letters = draft(&app).await;
    assert_eq!(letters.len(), 8, "{letters:?}");
    let clerk = token(&app, Role::Clerk, None).await;
    let issues = letters.iter().map(|l| {
        let request = app
            .client
            .post(app.graphql_url())
            .bearer_auth(&clerk)
            .json(&json!({
                "query": "mutation($id: ID!) { issueLetter(id: $id, channel: POST) { number } }",
                "variables": { "id": l["id"] },
            }));
        async move {
            let body: Value = request
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("JSON");
            body["data"]["issueLetter"]["number"]
                .as_str()
                .unwrap_or_else(|| panic!("issued: {body}"))
                .to_owned()
        }
    });
    let numbers: Vec<String> = futures_util::future::join_all(issues).await;
    let year = chrono::Utc::now().format("%Y").to_string();
    let expected: BTreeSet<String> = (1..=8)
        .map(|n| format!("青溪防指函〔{year}〕{n}号"))
        .collect();
    let got: BTreeSet<String> = numbers.iter().cloned().collect();
    assert_eq!(got.len(), 8, "no number twice: {numbers:?}");
    assert_eq!(got, expected, "1..8, no gap");
    // The next one follows.
    import_notice(
        &app,
        "ninth.json",
        notice(
            "孝南防指协〔2020〕12号",
            &[("壬", "湖北省孝感市孝南区车站路9号")],
            60,
        ),
    )
    .await;
    let ninth = issue(&app, &draft(&app).await, "420902").await;
    assert_eq!(ninth["number"], format!("青溪防指函〔{year}〕9号"));
}

async fn a_partner_sees_its_own_letters_with_their_persons_audited(app: TestApp) {
    import_the_usual(&app).await;
    let letters = draft(&app).await;
    let wuhan = to(&letters, "420100").clone();
    let partner = token(&app, Role::Partner, Some("420900")).await;
    // A draft is addressed to nobody yet.
    let (_, body) = app
        .post_as(Some(&partner), "{ letters { totalCount } }", json!({}))
        .await;
    assert_eq!(body["data"]["letters"]["totalCount"], 0, "{body}");
    let xiaonan = issue(&app, &letters, "420902").await;
    let before = app.audit_entries().await.len();

    let (_, body) = app
        .post_as(
            Some(&partner),
            &format!("{{ letters(first: 10) {{ totalCount edges {{ node {{ {LETTER} }} }} }} }}"),
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["letters"]["totalCount"], 1, "{body}");
    let node = &body["data"]["letters"]["edges"][0]["node"];
    assert_eq!(node["id"], xiaonan["id"]);
    let persons = node["persons"].as_array().expect("persons");
    assert_eq!(persons.len(), 2);
    assert!(
        persons
            .iter()
            .all(|p| p["idNumber"].as_str().map(str::len) == Some(18))
    );
    let (_, body) = app
        .post_as(
            Some(&partner),
            "query($id: ID!) { letter(id: $id) { id } }",
            json!({ "id": wuhan["id"] }),
        )
        .await;
    assert!(
        body["data"]["letter"].is_null(),
        "another jurisdiction's: {body}"
    );
    // Every read of the persons is audited.
    let entries = app.audit_entries().await;
    let read = entries[before..]
        .iter()
        .find(|e| e.kind == paicha::access::audit::AuditKind::UnmaskedRead)
        .expect("an unmasked read");
    assert_eq!(read.role, "PARTNER");
    let audited: Vec<i64> = serde_json::from_str(&read.persons).expect("persons");
    assert_eq!(audited.len(), 2);

    // A partner may not draft; a township sees no letter; a dashboard counts them.
    let (_, body) = app
        .post_as(
            Some(&partner),
            "mutation { draftLetters { id } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let township = token(&app, Role::Township, None).await;
    let (_, body) = app
        .post_as(Some(&township), "{ letters { totalCount } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let dashboard = token(&app, Role::Dashboard, None).await;
    let (_, body) = app
        .post_as(
            Some(&dashboard),
            "{ stats { lettersByState { state count } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["stats"]["lettersByState"],
        json!([{ "state": "DRAFT", "count": 2 }, { "state": "ISSUED", "count": 1 }]),
        "{body}"
    );
    // By day of issue: the one letter issued, on its day; drafts have none.
    let issued = app
        .gql_data(
            "{ letters(filter: { state: ISSUED }) { edges { node { issuedOn } } } }",
            json!({}),
        )
        .await;
    let day = issued["letters"]["edges"][0]["node"]["issuedOn"].clone();
    assert!(day.is_string(), "{issued}");
    let (_, body) = app
        .post_as(
            Some(&dashboard),
            "{ stats { lettersByIssueDay { day state count } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["stats"]["lettersByIssueDay"],
        json!([{ "day": day, "state": "ISSUED", "count": 1 }]),
        "{body}"
    );
}

async fn the_documents_are_served_to_who_may_read_the_letter(app: TestApp) {
    import_the_usual(&app).await;
    let letters = draft(&app).await;
    let xiaonan = issue(&app, &letters, "420902").await;
    let url = |path: &str| format!("http://{}{path}", app.addr);
    let clerk = token(&app, Role::Clerk, None).await;
    let before = app.audit_entries().await.len();
    let documents = xiaonan["documents"].as_array().expect("documents");
    for document in documents {
        let path = document["url"].as_str().expect("url");
        let response = app
            .client
            .get(url(path))
            .bearer_auth(&clerk)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let media = response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .expect("text")
            .to_owned();
        let bytes = response.bytes().await.expect("body");
        match document["format"].as_str().expect("format") {
            "PDF" => {
                assert_eq!(media, "application/pdf");
                assert!(bytes.starts_with(b"%PDF"), "{path}");
            }
            "HTML" => {
                assert!(media.starts_with("text/html"), "{media}");
                let html = String::from_utf8_lossy(&bytes);
                assert!(html.contains("孝南区"), "the addressee");
                assert!(
                    html.contains("周一") && html.contains("周二"),
                    "every person"
                );
            }
            "CSV" => {
                assert!(media.starts_with("text/csv"), "{media}");
                assert!(String::from_utf8_lossy(&bytes).contains("周一"));
            }
            "XLSX" => {
                assert_eq!(
                    media,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                );
                assert!(bytes.starts_with(b"PK"), "a zip");
            }
            other => panic!("format {other}"),
        }
    }
    // Each download is audited as an unmasked read of the letter's persons.
    let downloads = app.audit_entries().await[before..]
        .iter()
        .filter(|e| e.operation.starts_with("GET /letters/"))
        .count();
    assert_eq!(downloads, documents.len());

    let pdf = url(&format!(
        "/letters/{}.pdf",
        xiaonan["id"].as_str().expect("id")
    ));
    let status = app.client.get(&pdf).send().await.expect("sent").status();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a token is required");
    let partner = token(&app, Role::Partner, Some("440300")).await;
    let status = app
        .client
        .get(&pdf)
        .bearer_auth(&partner)
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another jurisdiction's letter"
    );
    let township = token(&app, Role::Township, None).await;
    let status = app
        .client
        .get(&pdf)
        .bearer_auth(&township)
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let status = app
        .client
        .get(url("/letters/999999.pdf"))
        .bearer_auth(&clerk)
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// `paicha letters draft`, `list` and `render` (the render needs the real renderer).
async fn a_clerk_drafts_lists_and_renders_on_the_command_line(app: TestApp) {
    import_the_usual(&app).await;
    let db = app.database_url.clone();
    let drafted = run_ok(paicha_command(&db).args(["letters", "draft"]));
    assert!(drafted.contains("孝南区\t2 人"), "{drafted}");
    assert!(drafted.contains("共 3 封草稿"), "{drafted}");
    let listed = run_ok(paicha_command(&db).args(["letters", "list"]));
    assert_eq!(
        listed.lines().count(),
        4,
        "a header and three letters: {listed}"
    );
    assert!(listed.contains("草稿"), "{listed}");
    let id = listed
        .lines()
        .find(|l| l.contains("孝南区"))
        .and_then(|l| l.split('\t').next())
        .expect("the letter to 孝南区")
        .to_owned();
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().to_str().expect("path").to_owned();
    let before = app.audit_entries().await.len();
    let written = run_ok(paicha_command(&db).args([
        "letters", "render", "--id", &id, "--format", "html", "--out", &out,
    ]));
    let path = written.trim();
    let html = std::fs::read_to_string(path).expect("the file");
    assert!(html.contains("孝南区") && html.contains("周一"), "{path}");
    let entries = app.audit_entries().await;
    assert!(
        entries[before..]
            .iter()
            .any(|e| e.operation.starts_with("paicha letters render")),
        "audited"
    );
}
