//! External notices (协查函) keep their header with their records, and a record ID is the
//! sender's: another sender's record ID, or the same ID for another person, never overwrites
//! a record (issue 19).

use paicha::intake::SourceKind;
use serde_json::{Value, json};

use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::http::Limits;

use crate::helpers::{
    AccessMode, Backend, TestApp, import_file, sample_bytes, spawn_app_configured,
};

crate::on_every_backend!(
    a_notice_keeps_its_header_with_its_records,
    notices_are_listed_by_sender_number_and_send_date,
    another_senders_record_id_does_not_overwrite_a_record,
    a_record_id_of_the_same_sender_for_another_person_is_a_conflict_not_a_new_version,
    a_correction_of_the_same_person_is_still_a_new_version,
    a_township_record_id_is_its_townships,
);

/// Tests that open a hub of their own (with tokens required).
mod with_tokens {
    use super::a_township_officer_lists_the_notices_about_its_township;
    crate::on_both_backends!(a_township_officer_lists_the_notices_about_its_township);
}

/// The demo county's three files, as `serve --demo` imports them.
async fn seed_demo(app: &TestApp) {
    assert_eq!(paicha::demo::seed(&app.register).await.expect("demo"), 3);
}

/// Every current record of `source` with its person and notice, a page at a time.
async fn records(app: &TestApp, source: &str) -> Vec<Value> {
    let mut nodes: Vec<Value> = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .gql_data(
                "query($source: Source, $after: String) {
                    sourceRecords(filter: { source: $source }, first: 10, after: $after) {
                    totalCount pageInfo { hasNextPage endCursor }
                    edges { node {
                        id recordId batchId isCurrent
                        normalized { name reportDate }
                        notice { id number sendingJurisdiction { code name } sender sendDate
                            contact }
                        person { id name hubeiLink firstReported records { source } }
                    } } } }",
                json!({ "source": source, "after": after }),
            )
            .await;
        let connection = &data["sourceRecords"];
        nodes.extend(
            connection["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone()),
        );
        if connection["pageInfo"]["hasNextPage"] != json!(true) {
            assert_eq!(connection["totalCount"], json!(nodes.len()), "every page");
            return nodes;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

async fn a_notice_keeps_its_header_with_its_records(app: TestApp) {
    seed_demo(&app).await;
    let external = records(&app, "EXTERNAL").await;
    assert_eq!(external.len(), 50);
    let mut external_only = 0;
    for r in &external {
        let notice = &r["notice"];
        let number = notice["number"]
            .as_str()
            .expect("every person has its notice");
        assert!(!number.is_empty());
        let code = notice["sendingJurisdiction"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("the sender resolves: {notice}"));
        assert!(code.starts_with("42"), "{notice}");
        let send_date = notice["sendDate"].as_str().expect("send date");
        // The send date is the persons' report date.
        assert_eq!(r["normalized"]["reportDate"], json!(send_date), "{r}");
        // The contact's phone is masked; the name stays.
        let contact = notice["contact"].as_str().expect("contact");
        assert!(contact.contains('*'), "{contact}");
        assert!(!contact.contains("82761035"), "{contact}");

        let person = &r["person"];
        let sources: Vec<&str> = person["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| r["source"].as_str().expect("source"))
            .collect();
        if sources.iter().all(|s| *s == "EXTERNAL") {
            external_only += 1;
            // Reported on the day the notice was sent, not on the day it was imported.
            let first = person["firstReported"].as_str().expect("first reported");
            assert!(first <= send_date, "{person} {notice}");
            assert!(first.starts_with("2020-"), "{person}");
            // The sender is evidence of the Hubei link.
            let link = person["hubeiLink"].as_str().expect("link");
            let expected = if code.starts_with("4201") {
                "WUHAN"
            } else {
                "OTHER_HUBEI"
            };
            assert!(
                link == expected || link == "WUHAN",
                "{person} from {notice}: {link}"
            );
        }
    }
    assert!(external_only > 0, "the demo has external-only persons");

    // No person of the demo was new on the day of the import.
    let data = app
        .gql_data(
            "{ aggregates { newPersonsPerDay { day source count } byDay { day count } } }",
            json!({}),
        )
        .await;
    for series in ["newPersonsPerDay", "byDay"] {
        for day in data["aggregates"][series].as_array().expect("series") {
            assert!(
                day["day"].as_str().expect("day").starts_with("2020-"),
                "{series}: {day}"
            );
        }
    }

    // The batch read back counts its notices.
    let data = app
        .gql_data(
            "{ importBatches(first: 10) { edges { node { fileName
                report { notices recordIdConflicts { rowNumber } } } } } }",
            json!({}),
        )
        .await;
    let notices: Vec<(String, i64)> = data["importBatches"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (
                e["node"]["fileName"].as_str().expect("name").to_owned(),
                e["node"]["report"]["notices"].as_i64().expect("notices"),
            )
        })
        .collect();
    assert_eq!(
        notices,
        [
            ("bigdata.csv".to_owned(), 0),
            ("township.csv".to_owned(), 0),
            ("external.json".to_owned(), 5)
        ]
    );

    // The contact unmasked for an admin who asks.
    let data = app
        .gql_data(
            "{ sourceRecords(filter: { source: EXTERNAL }, first: 1) { edges { node {
                notice { contact(unmasked: true) } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["sourceRecords"]["edges"][0]["node"]["notice"]["contact"],
        json!("张科长 027-82761035")
    );
}

async fn notices_are_listed_by_sender_number_and_send_date(app: TestApp) {
    seed_demo(&app).await;
    let list = |filter: Value| {
        let app = &app;
        async move {
            let data = app
                .gql_data(
                    "query($filter: NoticeFilterInput) { notices(filter: $filter, first: 50) {
                        totalCount
                        edges { node { number sendingJurisdiction { code } sendDate
                            recordCount records { recordId } } } } }",
                    json!({ "filter": filter }),
                )
                .await;
            data["notices"].clone()
        }
    };
    let all = list(json!({})).await;
    assert_eq!(all["totalCount"], json!(5));
    let persons: i64 = all["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let node = &e["node"];
            assert_eq!(
                node["recordCount"],
                json!(node["records"].as_array().expect("records").len())
            );
            node["recordCount"].as_i64().expect("count")
        })
        .sum();
    assert_eq!(persons, 50);

    // Prefix-aware: 4201 and 420100 are every district of Wuhan.
    for code in ["4201", "420100"] {
        let wuhan = list(json!({ "sendingJurisdiction": code })).await;
        assert_eq!(wuhan["totalCount"], json!(3), "{code}");
        for e in wuhan["edges"].as_array().expect("edges") {
            let code = e["node"]["sendingJurisdiction"]["code"]
                .as_str()
                .expect("code");
            assert!(code.starts_with("4201"), "{code}");
        }
    }
    assert_eq!(
        list(json!({ "sendingJurisdiction": "42" })).await["totalCount"],
        json!(5)
    );
    let by_number = list(json!({ "number": "孝南防指协〔2020〕5号" })).await;
    assert_eq!(by_number["totalCount"], json!(1));
    assert_eq!(
        by_number["edges"][0]["node"]["sendDate"],
        json!("2020-01-31")
    );
    let by_day = list(json!({ "sendDateFrom": "2020-01-29", "sendDateTo": "2020-01-30" })).await;
    assert_eq!(by_day["totalCount"], json!(2));

    // Pages follow each other.
    let data = app
        .gql_data(
            "{ notices(first: 2) { pageInfo { hasNextPage endCursor } edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["notices"]["pageInfo"]["hasNextPage"], json!(true));
    let after = data["notices"]["pageInfo"]["endCursor"].clone();
    let next = app
        .gql_data(
            "query($after: String) { notices(first: 10, after: $after) { edges { node { id } } } }",
            json!({ "after": after }),
        )
        .await;
    assert_eq!(next["notices"]["edges"].as_array().expect("edges").len(), 3);

    // A code that is not one is the caller's mistake, said so.
    let body = app
        .gql(
            "{ notices(filter: { sendingJurisdiction: \"武汉\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        json!("BAD_USER_INPUT"),
        "{body}"
    );
}

/// The demo's current notice records JA17-01..03 and XN05-01..02: record ID, name, person.
async fn demo_notice_persons(app: &TestApp) -> Vec<(String, String, String)> {
    let mut found: Vec<(String, String, String)> = records(app, "EXTERNAL")
        .await
        .into_iter()
        .filter(|r| r["batchId"] == json!("3"))
        .map(|r| {
            (
                r["recordId"].as_str().expect("id").to_owned(),
                r["normalized"]["name"].as_str().expect("name").to_owned(),
                r["person"]["id"].as_str().expect("person").to_owned(),
            )
        })
        .filter(|(id, _, _)| {
            ["JA17-01", "JA17-02", "JA17-03", "XN05-01", "XN05-02"].contains(&id.as_str())
        })
        .collect();
    found.sort();
    found
}

async fn another_senders_record_id_does_not_overwrite_a_record(app: TestApp) {
    seed_demo(&app).await;
    let before = demo_notice_persons(&app).await;
    assert_eq!(before.len(), 5);
    let report = import_file(
        &app.register,
        SourceKind::External,
        "external.json",
        sample_bytes("external.json"),
    )
    .await;
    // Five persons the demo did not know, under record IDs the demo's notices used.
    assert_eq!(report.records_new, 5, "{report:?}");
    assert_eq!(report.records_new_version, 0, "{report:?}");
    assert!(report.persons_created > 0, "{report:?}");
    let rows: Vec<(u32, &str)> = report
        .record_id_conflicts
        .iter()
        .map(|c| (c.row, c.record_id.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (1, "JA17-01"),
            (2, "JA17-02"),
            (3, "JA17-03"),
            (4, "XN05-01"),
            (5, "XN05-02")
        ]
    );
    assert!(report.record_id_conflicts[0].reason.contains("另一人"));

    // The demo's persons keep their notice records, current and theirs.
    assert_eq!(demo_notice_persons(&app).await, before);
    assert_eq!(records(&app, "EXTERNAL").await.len(), 55);

    // The batch read back reports the conflicts too.
    let data = app
        .gql_data(
            "{ importBatches(last: 1) { edges { node { report {
                notices personsCreated recordIdConflicts { rowNumber recordId reason } } } } } }",
            json!({}),
        )
        .await;
    let read_back = &data["importBatches"]["edges"][0]["node"]["report"];
    assert_eq!(read_back["notices"], json!(2));
    assert_eq!(
        read_back["recordIdConflicts"]
            .as_array()
            .expect("conflicts")
            .len(),
        5
    );
    assert_eq!(
        read_back["recordIdConflicts"][0]["recordId"],
        json!("JA17-01")
    );

    // Importing it again changes nothing and reports nothing new.
    let again = import_file(
        &app.register,
        SourceKind::External,
        "external.json",
        sample_bytes("external.json"),
    )
    .await;
    assert!(again.already_imported);
    assert!(again.record_id_conflicts.is_empty());
}

/// A notice of `sender` numbered `number` with one person.
fn notice(sender: &str, number: &str, person: Value) -> String {
    json!([{
        "notice_no": number,
        "sending_jurisdiction": sender,
        "send_date": "2020-01-28",
        "contact": "王科长 027-85772316",
        "note": "请协助核查。",
        "persons": [person],
    }])
    .to_string()
}

async fn a_record_id_of_the_same_sender_for_another_person_is_a_conflict_not_a_new_version(
    app: TestApp,
) {
    let first = json!({ "record_id": "01", "name": "张伟", "sex": "男",
        "id_number": "420102198507150036", "phone": "13871234501" });
    let other = json!({ "record_id": "01", "name": "赵磊", "sex": "男",
        "id_number": "411502198812190158", "phone": "13349761234" });
    let a = import_file(
        &app.register,
        SourceKind::External,
        "a.json",
        notice("湖北省武汉市江岸区", "协〔2020〕1号", first.clone()),
    )
    .await;
    assert_eq!(a.records_new, 1);
    // Another sender's record 01 is its own record: no version, no conflict.
    let b = import_file(
        &app.register,
        SourceKind::External,
        "b.json",
        notice("湖北省武汉市洪山区", "协〔2020〕1号", other.clone()),
    )
    .await;
    assert_eq!((b.records_new, b.records_new_version), (1, 0), "{b:?}");
    assert!(b.record_id_conflicts.is_empty(), "{b:?}");
    // The same sender's record 01 for another person: a new record, reported.
    let c = import_file(
        &app.register,
        SourceKind::External,
        "c.json",
        notice("湖北省武汉市江岸区", "协〔2020〕1号", other),
    )
    .await;
    assert_eq!((c.records_new, c.records_new_version), (1, 0), "{c:?}");
    assert_eq!(c.record_id_conflicts.len(), 1, "{c:?}");
    let current = records(&app, "EXTERNAL").await;
    assert_eq!(current.len(), 3);
    assert!(current.iter().all(|r| r["isCurrent"] == json!(true)));
    // Each record stays with its own person.
    for r in &current {
        assert_eq!(r["normalized"]["name"], r["person"]["name"], "{r}");
    }
}

async fn a_correction_of_the_same_person_is_still_a_new_version(app: TestApp) {
    let sender = "湖北省武汉市江岸区";
    let import = |name: &'static str, person: Value| {
        let app = &app;
        async move {
            import_file(
                &app.register,
                SourceKind::External,
                name,
                notice(sender, "协〔2020〕1号", person),
            )
            .await
        }
    };
    // An ID number with a typo (its check digit fails), then the notice corrected: the
    // same person's record in a new version.
    let person = json!({ "record_id": "01", "name": "张伟", "sex": "男",
        "id_number": "420102198507150037", "phone": "13871234501" });
    import("a.json", person.clone()).await;
    let mut corrected = person.clone();
    corrected["id_number"] = json!("420102198507150036");
    let again = import("a2.json", corrected.clone()).await;
    assert_eq!(
        (again.records_new, again.records_new_version),
        (0, 1),
        "{again:?}"
    );
    assert!(again.record_id_conflicts.is_empty());
    // Another phone too.
    corrected["phone"] = json!("13871234599");
    let third = import("a3.json", corrected.clone()).await;
    assert_eq!(
        (third.records_new, third.records_new_version),
        (0, 1),
        "{third:?}"
    );
    assert_eq!(records(&app, "EXTERNAL").await.len(), 1);

    // The same name with another valid ID number is another person of that name.
    let mut namesake = corrected;
    namesake["id_number"] = json!("411502198812190158");
    let other = import("a4.json", namesake).await;
    assert_eq!(
        (other.records_new, other.records_new_version),
        (1, 0),
        "{other:?}"
    );
    assert_eq!(other.record_id_conflicts.len(), 1);
    assert!(
        other.record_id_conflicts[0].reason.contains("有效身份证号"),
        "{other:?}"
    );
    assert_eq!(records(&app, "EXTERNAL").await.len(), 2);
}

async fn a_township_record_id_is_its_townships(app: TestApp) {
    let header = "编号,乡镇,村(社区),姓名,身份证号码,联系电话\n";
    let a = format!("{header}T-1,城关镇,河口村,张伟,420102198507150036,13871234501\n");
    let b = format!("{header}T-1,白鹭镇,白鹭湖村,赵磊,411502198812190158,13349761234\n");
    import_file(&app.register, SourceKind::Township, "a.csv", a).await;
    let other = import_file(&app.register, SourceKind::Township, "b.csv", b).await;
    // Another township's T-1 is its own record, not a new version of the first.
    assert_eq!(
        (other.records_new, other.records_new_version),
        (1, 0),
        "{other:?}"
    );
    assert!(other.record_id_conflicts.is_empty());
    assert_eq!(records(&app, "TOWNSHIP").await.len(), 2);
}

async fn a_township_officer_lists_the_notices_about_its_township(backend: Backend) {
    let Some(app) =
        spawn_app_configured(backend, AccessMode::Required, Limits::default(), None).await
    else {
        return;
    };
    seed_demo(&app).await;
    let token = |role: Role, township: Option<&'static str>| {
        let app = &app;
        async move {
            let spec =
                TokenSpec::parse(role, township, None, &app.register.reference).expect("spec");
            app.register.create_token(spec).await.expect("token").token
        }
    };
    let officer = token(Role::Township, Some("龙井乡")).await;
    let query = "{ notices(first: 10) { totalCount edges { node { number
        records { normalized { township } } contact(unmasked: true) } } } }";
    let (_, body) = app.post_as(Some(&officer), query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let notices = &body["data"]["notices"];
    let total = notices["totalCount"].as_i64().expect("total");
    assert!((1..5).contains(&total), "{body}");
    for e in notices["edges"].as_array().expect("edges") {
        let records = e["node"]["records"].as_array().expect("records");
        assert!(!records.is_empty(), "{body}");
        for r in records {
            assert_eq!(r["normalized"]["township"], json!("龙井乡"), "{body}");
        }
        // The officer who answers the notice may call its sender.
        let contact = e["node"]["contact"].as_str().expect("contact");
        assert!(!contact.contains('*'), "{contact}");
    }

    // An analyst lists them all, masked, and may not unmask the contact.
    let analyst = token(Role::Analyst, None).await;
    let (_, body) = app
        .post_as(
            Some(&analyst),
            "{ notices(first: 10) { totalCount edges { node { contact } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["notices"]["totalCount"], json!(5), "{body}");
    let (_, body) = app
        .post_as(
            Some(&analyst),
            "{ notices(first: 1) { edges { node { contact(unmasked: true) } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        json!("FORBIDDEN"),
        "{body}"
    );
}
