//! What a caller may learn beyond what it may see (issue 18): another township's records
//! through a person's nested fields, whether someone is in the register through a partner's
//! batch report, single persons through a dashboard's small groups.

use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::intake::SourceKind;
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_file};

crate::on_every_backend!(
    a_township_officer_sees_only_its_townships_records_of_a_person_on_every_path,
    a_partners_batch_report_never_says_whether_someone_is_in_the_register,
    a_dashboard_never_sees_a_group_small_enough_to_single_someone_out,
);

/// A token of `role` (TOWNSHIP: of `township`; PARTNER: of `partner`).
pub(crate) async fn token(
    app: &TestApp,
    role: Role,
    township: Option<&str>,
    partner: Option<&str>,
) -> String {
    let spec =
        TokenSpec::parse(role, township, partner, &app.register.reference).expect("token spec");
    app.register.create_token(spec).await.expect("token").token
}

/// One person reported twice by 柳林镇 and, in an older check, once by 城关镇 (with another
/// address): the newest on-site check places the person in 柳林镇.
async fn import_a_person_of_two_townships(app: &TestApp) {
    import_file(
        &app.register,
        SourceKind::Township,
        "liulin.csv",
        "record_id,township,name,id_number,phone,address,report_date\n\
         L1,柳林镇,张伟,420102198507150036,13871234501,柳林镇柳林村1号,2020-01-28\n\
         L2,柳林镇,张伟,420102198507150036,13871234501,柳林镇柳林村1号,2020-01-28\n",
    )
    .await;
    import_file(
        &app.register,
        SourceKind::Township,
        "chengguan.csv",
        "record_id,township,name,id_number,phone,address,report_date\n\
         C1,城关镇,张伟,420102198507150036,13900001111,城关镇东大街9号,2020-01-26\n",
    )
    .await;
}

/// Every `"sourceRecordIds"` and record `"id"` in `value`.
fn record_ids_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("sourceRecordIds", Value::Array(ids)) => {
                        out.extend(ids.iter().filter_map(|i| i.as_str().map(str::to_owned)));
                    }
                    _ => record_ids_in(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| record_ids_in(v, out)),
        _ => {}
    }
}

const PERSON_WITH_RECORDS: &str = "fragment P on Person { id township \
    records { id recordId raw normalized { township } } \
    links { record { id recordId } } \
    golden { address { value sourceRecordIds conflicts { value sourceRecordIds } } \
             phones { value sourceRecordIds conflicts { value sourceRecordIds } } \
             township { value sourceRecordIds conflicts { value sourceRecordIds } } } }";

async fn a_township_officer_sees_only_its_townships_records_of_a_person_on_every_path(
    app: TestApp,
) {
    import_a_person_of_two_townships(&app).await;
    let person = app.person_of(SourceKind::Township, "C1").await;
    assert_eq!(person, app.person_of(SourceKind::Township, "L1").await);
    let admin = app
        .gql_data(
            &format!("query($id: ID!) {{ person(id: $id) {{ ...P }} }} {PERSON_WITH_RECORDS}"),
            json!({ "id": person.to_string() }),
        )
        .await;
    let records = admin["person"]["records"].as_array().expect("records");
    assert_eq!(records.len(), 3, "{admin}");
    assert_eq!(admin["person"]["township"], "柳林镇", "{admin}");
    let elsewhere = records.iter().find(|r| r["recordId"] == "C1").expect("C1")["id"]
        .as_str()
        .expect("ID")
        .to_owned();
    let mut admin_sources = Vec::new();
    record_ids_in(&admin, &mut admin_sources);
    assert!(admin_sources.contains(&elsewhere), "{admin}");

    let officer = token(&app, Role::Township, Some("柳林镇"), None).await;
    for query in [
        format!("query($id: ID!) {{ person(id: $id) {{ ...P }} }} {PERSON_WITH_RECORDS}"),
        format!(
            "query($id: ID!) {{ persons(first: 10) {{ edges {{ node {{ ...P }} }} }} \
             sourceRecords(first: 10) {{ edges {{ node {{ person {{ ...P }} }} }} }} \
             x: person(id: $id) {{ ...P }} }} {PERSON_WITH_RECORDS}"
        ),
    ] {
        let (_, body) = app
            .post_as(Some(&officer), &query, json!({ "id": person.to_string() }))
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        let text = body.to_string();
        assert!(
            !text.contains("城关镇"),
            "another township's record: {body}"
        );
        // Its phone stays a phone of the person (as `Person.phones`), but no record of it.
        let mut seen = Vec::new();
        record_ids_in(&body, &mut seen);
        assert!(!seen.is_empty(), "{body}");
        assert!(!seen.contains(&elsewhere), "{body}");
        let found = body["data"]["person"]
            .as_object()
            .or_else(|| body["data"]["x"].as_object())
            .expect("the person of its township");
        assert_eq!(found["records"].as_array().map(Vec::len), Some(2), "{body}");
        assert_eq!(found["links"].as_array().map(Vec::len), Some(2), "{body}");
    }
}

/// A notice from Wuhan (江岸区) about one person with ID number `id_number`.
fn notice_about(id_number: &str, number: u32) -> Vec<u8> {
    serde_json::to_vec(&json!([{
        "notice_no": format!("鄂汉岸防控协〔2020〕{number}号"),
        "sending_jurisdiction": "湖北省武汉市江岸区",
        "send_date": "2020-01-28",
        "persons": [{
            "record_id": format!("JA{number}-01"),
            "name": "张伟",
            "id_number": id_number,
            "current_address": "青溪县城关镇东大街社区幸福路8号",
        }],
    }]))
    .expect("JSON")
}

const REPORT: &str = "rowsRead rowsAccepted rowsRejected rejected { row } notices \
    recordsNew recordsUnchanged recordsNewVersion personsCreated personsMatched";

async fn a_partners_batch_report_never_says_whether_someone_is_in_the_register(app: TestApp) {
    import_a_person_of_two_townships(&app).await;
    let partner = token(&app, Role::Partner, None, Some("420102")).await;
    let operations = json!({
        "query": format!("mutation($f: Upload!) {{ importBatch(source: EXTERNAL, file: $f) {{ {REPORT} }} }}"),
        "variables": { "f": null },
    });
    // A real ID number (in the register) and an invented one (valid, not in it).
    let mut answers = Vec::new();
    for (number, id_number) in [(17, "420102198507150036"), (18, "420102198709090959")] {
        let (_, body) = app
            .upload_as(
                Some(&partner),
                &operations,
                "notice.json",
                notice_about(id_number, number),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        let report = body["data"]["importBatch"].clone();
        assert_eq!(report["rowsAccepted"], 1, "{body}");
        for figure in [
            "recordsNew",
            "recordsUnchanged",
            "recordsNewVersion",
            "personsCreated",
            "personsMatched",
        ] {
            assert!(report[figure].is_null(), "{figure}: {body}");
        }
        answers.push(report);
    }
    assert_eq!(answers[0], answers[1], "the two answers tell nothing apart");

    // The admin's reports of the same batches say what matched.
    let admin = app
        .gql_data(
            &format!("{{ importBatches {{ edges {{ node {{ report {{ {REPORT} }} }} }} }} }}"),
            json!({}),
        )
        .await;
    let reports: Vec<&Value> = admin["importBatches"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"]["report"])
        .collect();
    assert_eq!(reports.len(), 4, "{admin}");
    assert_eq!(reports[2]["personsMatched"], 1, "{admin}");
    assert_eq!(reports[3]["personsCreated"], 1, "{admin}");
}

const FIGURES: &str = "{ aggregates { persons suppressedBelow \
      byDay { day count } byTownship { township count } byStatus { status count } \
      byHubeiLink { link count } bySource { source count } \
      newPersonsPerDay { day source count } } \
    stats { persons suppressedBelow byLocationStatus { status count } \
      byHubeiLink { link count } recordsBySource { source count } } }";

/// Every `"count"` in `value`, with the path of lists it is in.
fn counts_in(value: &Value, path: &str, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "count" {
                    out.push((path.to_owned(), v.clone()));
                } else {
                    counts_in(v, &format!("{path}.{key}"), out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| counts_in(v, path, out)),
        _ => {}
    }
}

async fn a_dashboard_never_sees_a_group_small_enough_to_single_someone_out(app: TestApp) {
    app.import_all_samples().await;
    let admin = app.gql_data(FIGURES, json!({})).await;
    assert!(admin["aggregates"]["suppressedBelow"].is_null(), "{admin}");
    let mut admin_counts = Vec::new();
    counts_in(&admin, "", &mut admin_counts);
    let small = |v: &Value| v.as_u64().is_some_and(|n| (1..5).contains(&n));
    assert!(
        admin_counts.iter().any(|(_, c)| small(c)),
        "the samples hold small groups: {admin}"
    );

    let dashboard = token(&app, Role::Dashboard, None, None).await;
    let (_, body) = app.post_as(Some(&dashboard), FIGURES, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let data = &body["data"];
    assert_eq!(data["aggregates"]["suppressedBelow"], 5, "{body}");
    assert_eq!(data["stats"]["suppressedBelow"], 5, "{body}");
    let mut shown = Vec::new();
    counts_in(data, "", &mut shown);
    assert_eq!(shown.len(), admin_counts.len(), "the same groups, listed");
    for ((path, count), (_, truth)) in shown.iter().zip(&admin_counts) {
        assert!(!small(count), "{path}: {count} in {body}");
        if small(truth) {
            assert!(count.is_null(), "{path}: {truth} shown as {count}");
        }
    }
    // What was withheld of a list adding up to the total cannot be told from the total: the
    // withheld counts add up to the minimum at least.
    for list in ["byStatus", "byHubeiLink"] {
        let truths = admin["aggregates"][list].as_array().expect("list");
        let shown = data["aggregates"][list].as_array().expect("list");
        let withheld: u64 = truths
            .iter()
            .zip(shown)
            .filter(|(_, s)| s["count"].is_null())
            .map(|(t, _)| t["count"].as_u64().expect("count"))
            .sum();
        assert!(
            withheld == 0 || withheld >= 5,
            "{list}: {withheld} withheld in {body}"
        );
    }
}
