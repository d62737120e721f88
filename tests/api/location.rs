//! Where each person is, decided from evidence: a township form that finds the person away,
//! the pieces of evidence shown with the one that decided, and a `LOCATION` event for each
//! change of status.

use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::intake::SourceKind::{Bigdata, Township};
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_file, paicha_command, run_ok};

crate::on_every_backend!(
    a_township_form_that_finds_the_person_away_places_them_outside_the_county,
    a_form_that_says_away_without_a_place_keeps_the_person_off_in_county,
    the_status_does_not_depend_on_the_order_the_forms_arrive,
    pending_persons_are_on_the_worklist_of_the_township_a_hint_points_to,
    the_worklist_is_exported_for_paper_masked_unless_asked_and_audited,
);

const ID: &str = "411599200303069949";

fn township_form(record: &str, date: &str, remark: &str) -> String {
    format!(
        "编号,乡镇,村(社区),姓名,身份证号码,联系电话,核查日期,备注\n\
         {record},白鹭镇,白鹭湖村,任婷婷,{ID},18004603184,{date},{remark}\n"
    )
}

fn big_data_hint() -> String {
    format!(
        "序号,姓名,身份证号,手机号,现所在地,批次日期\n\
         B1,任婷婷,{ID},18004603184,青溪县白鹭镇,2020-01-25\n"
    )
}

const PERSON: &str = r#"query($id: ID!) { person(id: $id) {
    locationStatus locationConflict jurisdiction { code name } township
    locationEvidence { source recordId status place { code name } township village
                       reportDate rule deciding }
    events { kind detail sourceRecord { recordId } } } }"#;

async fn person(app: &TestApp, id: i64) -> Value {
    app.gql_data(PERSON, json!({ "id": id.to_string() }))
        .await
        .get("person")
        .cloned()
        .expect("person")
}

fn location_events(person: &Value) -> Vec<(String, String, Value)> {
    person["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "LOCATION")
        .map(|e| {
            (
                e["detail"]["from"].as_str().unwrap_or_default().to_owned(),
                e["detail"]["to"].as_str().unwrap_or_default().to_owned(),
                e["sourceRecord"]["recordId"].clone(),
            )
        })
        .collect()
}

async fn a_township_form_that_finds_the_person_away_places_them_outside_the_county(app: TestApp) {
    import_file(&app.register, Bigdata, "list.csv", big_data_hint()).await;
    let id = app.person_of(Bigdata, "B1").await;
    let p = person(&app, id).await;
    assert_eq!(p["locationStatus"], "PENDING_VERIFICATION", "{p}");
    let evidence = p["locationEvidence"].as_array().expect("evidence");
    assert_eq!(evidence.len(), 1, "{p}");
    assert_eq!(evidence[0]["rule"], "bigdata.location");
    assert_eq!(evidence[0]["status"], "IN_COUNTY");
    assert_eq!(evidence[0]["township"], "白鹭镇");
    assert_eq!(evidence[0]["deciding"], true);
    assert!(
        location_events(&p).is_empty(),
        "a new person's first status is no change"
    );

    // The township checks her at home.
    import_file(
        &app.register,
        Township,
        "check1.csv",
        township_form("T1", "2020-01-26", "居家隔离"),
    )
    .await;
    assert_eq!(app.person_of(Township, "T1").await, id);
    let p = person(&app, id).await;
    assert_eq!(p["locationStatus"], "IN_COUNTY", "{p}");
    assert_eq!(p["locationConflict"], false);
    let deciding: Vec<&Value> = p["locationEvidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter(|e| e["deciding"] == true)
        .collect();
    assert_eq!(deciding.len(), 1, "{p}");
    assert_eq!(deciding[0]["rule"], "remark.at_home");
    assert_eq!(deciding[0]["recordId"], "T1");
    assert_eq!(
        location_events(&p),
        vec![(
            "PENDING_VERIFICATION".to_owned(),
            "IN_COUNTY".to_owned(),
            json!("T1")
        )]
    );

    // Three days later, a relative reports she is at work in Zhengzhou.
    import_file(
        &app.register,
        Township,
        "check2.csv",
        township_form("T2", "2020-01-29", "家属代报，本人现在郑州市金水区上班"),
    )
    .await;
    let p = person(&app, id).await;
    assert_eq!(p["locationStatus"], "OUT_OF_COUNTY", "{p}");
    assert_eq!(p["jurisdiction"]["code"], "410105", "{p}");
    assert_eq!(
        p["locationConflict"], true,
        "the earlier check found her at home"
    );
    let evidence = p["locationEvidence"].as_array().expect("evidence");
    assert_eq!(evidence.len(), 3, "{p}");
    let decided = evidence
        .iter()
        .find(|e| e["deciding"] == true)
        .expect("a deciding piece");
    assert_eq!(decided["source"], "TOWNSHIP");
    assert_eq!(decided["rule"], "remark.stays_at");
    assert_eq!(decided["status"], "OUT_OF_COUNTY");
    assert_eq!(decided["place"]["code"], "410105");
    assert_eq!(decided["reportDate"], "2020-01-29");
    assert_eq!(
        location_events(&p),
        vec![
            (
                "PENDING_VERIFICATION".to_owned(),
                "IN_COUNTY".to_owned(),
                json!("T1")
            ),
            (
                "IN_COUNTY".to_owned(),
                "OUT_OF_COUNTY".to_owned(),
                json!("T2")
            ),
        ]
    );

    // The persons filter and the events listing read the new kind too.
    let events = app
        .gql_data(
            "{ events(filter: { kinds: [LOCATION] }, first: 10) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(events["events"]["totalCount"], 2, "{events}");
}

async fn a_form_that_says_away_without_a_place_keeps_the_person_off_in_county(app: TestApp) {
    import_file(
        &app.register,
        Township,
        "check.csv",
        township_form("T1", "2020-01-29", "电话已联系；本人已返回工作地"),
    )
    .await;
    let id = app.person_of(Township, "T1").await;
    let p = person(&app, id).await;
    assert_eq!(p["locationStatus"], "OUT_OF_COUNTY", "{p}");
    assert_eq!(p["jurisdiction"], Value::Null);
    let evidence = p["locationEvidence"].as_array().expect("evidence");
    assert_eq!(evidence.len(), 1, "{p}");
    assert_eq!(evidence[0]["rule"], "remark.away_unnamed");
    assert_eq!(evidence[0]["place"], Value::Null);
}

async fn the_status_does_not_depend_on_the_order_the_forms_arrive(app: TestApp) {
    // The newer form (away) arrives first, the older (at home) after it.
    import_file(
        &app.register,
        Township,
        "check2.csv",
        township_form("T2", "2020-01-29", "在武汉未回"),
    )
    .await;
    import_file(
        &app.register,
        Township,
        "check1.csv",
        township_form("T1", "2020-01-26", "已返乡，居家隔离"),
    )
    .await;
    import_file(&app.register, Bigdata, "list.csv", big_data_hint()).await;
    let id = app.person_of(Township, "T1").await;
    let p = person(&app, id).await;
    assert_eq!(p["locationStatus"], "OUT_OF_COUNTY", "{p}");
    assert_eq!(p["jurisdiction"]["code"], "420100", "{p}");
    assert_eq!(p["locationConflict"], true);
    assert!(
        location_events(&p).is_empty(),
        "the status never changed: {p}"
    );
}

const WORKLIST: &str = r#"query($t: String) { verificationWorklist(township: $t, first: 10) {
    totalCount edges { node { person { id } hint { source recordId text } arrivalDate origin } } } }"#;

async fn worklist(app: &TestApp, token: Option<&str>, township: Option<&str>) -> Value {
    let (_, body) = app.post_as(token, WORKLIST, json!({ "t": township })).await;
    body
}

async fn pending_persons_are_on_the_worklist_of_the_township_a_hint_points_to(app: TestApp) {
    let list = format!(
        "序号,姓名,身份证号,手机号,来源地,抵达日期,现所在地,批次日期\n\
         B1,任婷婷,{ID},18004603184,武汉市江岸区,2020-01-20,青溪县白鹭镇,2020-01-25\n\
         B2,罗飞,,13366252056,武汉,2020-01-22,,2020-01-25\n"
    );
    import_file(&app.register, Bigdata, "list.csv", list).await;
    let hinted = app.person_of(Bigdata, "B1").await.to_string();
    let unhinted = app.person_of(Bigdata, "B2").await.to_string();
    let admin = app.access_required.then_some(app.admin_token.as_str());

    let body = worklist(&app, admin, Some("白鹭")).await;
    let list = &body["data"]["verificationWorklist"];
    assert_eq!(list["totalCount"], 1, "{body}");
    let item = &list["edges"][0]["node"];
    assert_eq!(item["person"]["id"], hinted.as_str());
    assert_eq!(item["hint"]["source"], "BIGDATA");
    assert_eq!(item["hint"]["recordId"], "B1");
    assert_eq!(item["hint"]["text"], "白鹭镇");
    assert_eq!(item["arrivalDate"], "2020-01-20");
    assert_eq!(item["origin"], "武汉市江岸区");

    let body = worklist(&app, admin, None).await;
    let list = &body["data"]["verificationWorklist"];
    assert_eq!(list["totalCount"], 1, "the county's own list: {body}");
    assert_eq!(list["edges"][0]["node"]["person"]["id"], unhinted.as_str());
    assert_eq!(list["edges"][0]["node"]["hint"], Value::Null);

    let body = worklist(&app, admin, Some("火星镇")).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("火星镇")),
        "{body}"
    );

    // A township officer sees its own township's list, not another's.
    let spec = TokenSpec::parse(
        Role::Township,
        Some("白鹭镇"),
        None,
        &app.register.reference,
    )
    .expect("spec");
    let officer = app.register.create_token(spec).await.expect("token").token;
    if app.access_required {
        let body = worklist(&app, Some(&officer), None).await;
        assert_eq!(
            body["data"]["verificationWorklist"]["totalCount"], 1,
            "{body}"
        );
        let body = worklist(&app, Some(&officer), Some("马岗乡")).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body}"
        );
    }

    // The township's check settles her: she leaves the list.
    import_file(
        &app.register,
        Township,
        "check.csv",
        township_form("T1", "2020-01-26", "居家隔离"),
    )
    .await;
    let body = worklist(&app, admin, Some("白鹭镇")).await;
    assert_eq!(
        body["data"]["verificationWorklist"]["totalCount"], 0,
        "{body}"
    );
}

async fn the_worklist_is_exported_for_paper_masked_unless_asked_and_audited(app: TestApp) {
    let list = format!(
        "序号,姓名,身份证号,手机号,来源地,抵达日期,现所在地,批次日期\n\
         B1,任婷婷,{ID},18004603184,武汉市江岸区,2020-01-20,青溪县白鹭镇白鹭湖村,2020-01-25\n"
    );
    import_file(&app.register, Bigdata, "list.csv", list).await;
    let export = |args: &[&str]| {
        run_ok(
            paicha_command(&app.database_url)
                .env("USER", "clerk-li")
                .args(["export", "worklist"])
                .args(args),
        )
    };
    let masked = export(&["--township", "白鹭", "--format", "csv"]);
    let mut lines = masked.lines();
    assert_eq!(
        lines.next(),
        Some("\u{feff}姓名,联系电话,线索来源,线索,抵达日期,来源地")
    );
    assert_eq!(
        lines.next(),
        Some("任婷婷,180****3184,大数据核查,白鹭镇白鹭湖村,2020-01-20,武汉市江岸区"),
        "{masked}"
    );
    assert_eq!(lines.next(), None);
    let full = export(&["--township", "白鹭镇", "--unmasked"]);
    assert!(full.contains("18004603184"), "{full}");
    let county = export(&[]);
    assert_eq!(county.lines().count(), 1, "nobody without a hint: {county}");

    let out = paicha_command(&app.database_url)
        .args([
            "export",
            "worklist",
            "--township",
            "白鹭镇",
            "--format",
            "xlsx",
        ])
        .output()
        .expect("run paicha");
    assert!(out.status.success());
    assert!(out.stdout.starts_with(b"PK"), "an XLSX workbook");

    let out = paicha_command(&app.database_url)
        .args(["export", "worklist", "--township", "火星镇"])
        .output()
        .expect("run paicha");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("火星镇"));

    let exports: Vec<_> = app
        .audit_entries()
        .await
        .into_iter()
        .filter(|e| e.kind == paicha::access::audit::AuditKind::Export)
        .collect();
    assert_eq!(exports.len(), 4, "{exports:?}");
    assert!(
        exports[..3]
            .iter()
            .all(|e| e.role == "CLI" && e.operation.contains("clerk-li")),
        "{exports:?}"
    );
    assert!(
        exports[0]
            .operation
            .contains("export worklist --township 白鹭镇 --format csv"),
        "{}",
        exports[0].operation
    );
    assert_eq!(exports[0].fields, "[]");
    assert!(
        exports[1].operation.contains("--unmasked"),
        "{}",
        exports[1].operation
    );
    assert_eq!(exports[1].fields, r#"["phones"]"#);
}
