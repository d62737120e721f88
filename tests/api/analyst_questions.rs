//! The nine questions analysts asked of the demo (issue 19), each answered by one request, and
//! each answer checked against the register by other means.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::subscriptions::{connect, next_json, send};

crate::on_every_backend!(
    counts_by_hubei_link_and_place,
    unverified_arrivals_in_a_township,
    new_persons_per_day_by_source,
    conflicts_and_why,
    search_by_fragments,
    out_of_county_persons_by_jurisdiction,
    the_review_queue_with_a_decision,
    a_live_subscription_during_an_import,
    an_export_for_clerks,
);

async fn demo(app: &TestApp) {
    paicha::demo::seed(&app.register).await.expect("demo");
}

/// `totalCount` of `persons(filter: …)`.
async fn total(app: &TestApp, filter: Value) -> i64 {
    let data = app
        .gql_data(
            "query($f: PersonFilterInput) { persons(filter: $f) { totalCount } }",
            json!({ "f": filter }),
        )
        .await;
    data["persons"]["totalCount"].as_i64().expect("totalCount")
}

fn groups(data: &Value) -> &Vec<Value> {
    data["aggregates"]["groups"].as_array().expect("groups")
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("an integer: {v}"))
}

async fn counts_by_hubei_link_and_place(app: TestApp) {
    demo(&app).await;
    let data = app
        .gql_data(
            "{ stats { persons } aggregates(groupBy: [HUBEI_LINK, STATUS, TOWNSHIP]) {
                 persons dataAsOf groups { keys { hubeiLink status township } count } } }",
            json!({}),
        )
        .await;
    let persons = int(&data["stats"]["persons"]);
    assert_eq!(int(&data["aggregates"]["persons"]), persons);
    assert!(data["aggregates"]["dataAsOf"].is_string(), "{data}");
    let groups = groups(&data);
    assert_eq!(
        groups.iter().map(|g| int(&g["count"])).sum::<i64>(),
        persons
    );
    // Every township of the gazetteer is listed, at zero too.
    let townships: std::collections::BTreeSet<&str> = groups
        .iter()
        .filter_map(|g| g["keys"]["township"].as_str())
        .collect();
    assert_eq!(
        townships.len(),
        app.register.reference.gazetteer.townships.len(),
        "{townships:?}"
    );
    // Each non-empty group is what the persons filter finds.
    for g in groups.iter().filter(|g| int(&g["count"]) > 0) {
        let keys = &g["keys"];
        let mut filter = json!({
            "hubeiLink": [keys["hubeiLink"]],
            "locationStatus": [keys["status"]],
        });
        match keys["township"].as_str() {
            Some(t) => filter["township"] = json!(t),
            None => continue,
        }
        assert_eq!(total(&app, filter).await, int(&g["count"]), "{g}");
    }
}

async fn unverified_arrivals_in_a_township(app: TestApp) {
    demo(&app).await;
    let query = "query($f: PersonFilterInput) { persons(filter: $f, first: 500) {
                   totalCount edges { node { id records { source } } } } }";
    // The township with the most persons that no on-site check has found yet.
    let data = app
        .gql_data(
            "{ aggregates(filter: { missingSource: TOWNSHIP }, groupBy: [TOWNSHIP]) {
                 groups { keys { township } count } } }",
            json!({}),
        )
        .await;
    let busiest = groups(&data)
        .iter()
        .filter(|g| g["keys"]["township"].is_string())
        .max_by_key(|g| int(&g["count"]))
        .expect("a township")
        .clone();
    let township = busiest["keys"]["township"].as_str().expect("township");
    assert!(int(&busiest["count"]) > 0, "{data}");

    // The question, in one request.
    let filter = json!({ "township": township, "missingSource": "TOWNSHIP" });
    let answer = app.gql_data(query, json!({ "f": filter })).await;
    let nodes = answer["persons"]["edges"].as_array().expect("edges");
    assert_eq!(
        int(&answer["persons"]["totalCount"]),
        int(&busiest["count"])
    );
    for n in nodes {
        let sources: Vec<&str> = n["node"]["records"]
            .as_array()
            .expect("records")
            .iter()
            .filter_map(|r| r["source"].as_str())
            .collect();
        assert!(!sources.contains(&"TOWNSHIP"), "{n}");
    }
    // The same count by hand: the township's persons without a township record.
    let all = app
        .gql_data(query, json!({ "f": { "township": township } }))
        .await;
    let unchecked = all["persons"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|n| {
            !n["node"]["records"]
                .as_array()
                .expect("records")
                .iter()
                .any(|r| r["source"] == "TOWNSHIP")
        })
        .count();
    assert_eq!(nodes.len(), unchecked);
}

async fn new_persons_per_day_by_source(app: TestApp) {
    demo(&app).await;
    let data = app
        .gql_data(
            r#"{ aggregates(groupBy: [DAY, SOURCE], days: { from: "2020-01-20", to: "2020-02-02" }) {
                 groups { keys { day source } count runningTotal } } }"#,
            json!({}),
        )
        .await;
    let mut by_source: BTreeMap<String, Vec<(String, i64, i64)>> = BTreeMap::new();
    for g in groups(&data) {
        let (Some(day), Some(source)) = (g["keys"]["day"].as_str(), g["keys"]["source"].as_str())
        else {
            continue;
        };
        by_source.entry(source.to_owned()).or_default().push((
            day.to_owned(),
            int(&g["count"]),
            int(&g["runningTotal"]),
        ));
    }
    assert_eq!(by_source.len(), 3, "{data}");
    for (source, days) in &by_source {
        // Every day of the range, empty days included, with a running total.
        assert_eq!(days.len(), 14, "{source}: {days:?}");
        assert!(
            days.iter().any(|d| d.1 == 0),
            "{source}: an empty day filled"
        );
        let mut running = days[0].2 - days[0].1;
        for (day, count, total) in days {
            running += count;
            assert_eq!(running, *total, "{source} {day}");
        }
        // The last running total is everyone that source found by then.
        let found = total(
            &app,
            json!({ "source": [source], "firstReported": { "to": "2020-02-02" } }),
        )
        .await;
        assert_eq!(days[13].2, found, "{source}");
    }
    // The notices are on their send dates, not on the day the file was imported.
    let external = &by_source["EXTERNAL"];
    assert!(
        external.iter().map(|d| d.1).sum::<i64>() > 0,
        "{external:?}"
    );
}

async fn conflicts_and_why(app: TestApp) {
    demo(&app).await;
    let data = app
        .gql_data(
            "{ persons(filter: { conflicts: [ID_NUMBER, NAME] }, first: 100) { totalCount
                 edges { node { id hasConflicts golden {
                   idNumber { value conflicts { value sourceRecordIds } }
                   name { value conflicts { value sourceRecordIds } } } } } } }",
            json!({}),
        )
        .await;
    let edges = data["persons"]["edges"].as_array().expect("edges");
    assert!(
        !edges.is_empty(),
        "the demo has persons whose sources disagree"
    );
    for e in edges {
        let golden = &e["node"]["golden"];
        assert_eq!(e["node"]["hasConflicts"], true, "{e}");
        let why: usize = ["idNumber", "name"]
            .iter()
            .map(|f| golden[f]["conflicts"].as_array().map_or(0, Vec::len))
            .sum();
        assert!(why > 0, "a conflict says which values disagree: {e}");
    }
    let any = total(&app, json!({ "hasConflicts": true })).await;
    assert!(any >= int(&data["persons"]["totalCount"]));
}

async fn search_by_fragments(app: TestApp) {
    demo(&app).await;
    let data = app
        .gql_data(
            r#"{ searchPersons(text: "pan", first: 20) { totalCount
                 edges { matchedOn node { name namePinyin } } } }"#,
            json!({}),
        )
        .await;
    let edges = data["searchPersons"]["edges"].as_array().expect("edges");
    assert!(!edges.is_empty(), "a name beginning in pinyin: {data}");
    assert!(
        edges.iter().all(|e| e["node"]["namePinyin"]
            .as_str()
            .is_some_and(|p| p.starts_with("pan"))),
        "{data}"
    );
    for e in edges {
        assert!(
            e["matchedOn"]
                .as_array()
                .is_some_and(|m| m.contains(&json!("PINYIN"))),
            "{e}"
        );
    }
    // A surname alone, combined with a filter.
    let data = app
        .gql_data(
            r#"{ searchPersons(text: "潘", filter: { locationStatus: [IN_COUNTY, PENDING_VERIFICATION, OUT_OF_COUNTY] }) {
                 edges { matchedOn node { name } } } }"#,
            json!({}),
        )
        .await;
    let edges = data["searchPersons"]["edges"].as_array().expect("edges");
    assert!(!edges.is_empty(), "{data}");
    assert!(
        edges.iter().all(|e| e["node"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with('潘'))),
        "{data}"
    );
}

async fn out_of_county_persons_by_jurisdiction(app: TestApp) {
    demo(&app).await;
    let data = app
        .gql_data(
            "{ aggregates(filter: { locationStatus: [OUT_OF_COUNTY] }, groupBy: [JURISDICTION]) {
                 persons groups { keys { jurisdiction { code name } } count } } }",
            json!({}),
        )
        .await;
    let out = total(&app, json!({ "locationStatus": ["OUT_OF_COUNTY"] })).await;
    assert!(out > 0);
    assert_eq!(int(&data["aggregates"]["persons"]), out);
    let groups = groups(&data);
    assert_eq!(groups.iter().map(|g| int(&g["count"])).sum::<i64>(), out);
    for g in groups {
        let Some(code) = g["keys"]["jurisdiction"]["code"].as_str() else {
            continue;
        };
        let n = total(
            &app,
            json!({ "locationStatus": ["OUT_OF_COUNTY"], "jurisdiction": code }),
        )
        .await;
        assert_eq!(n, int(&g["count"]), "{g}");
    }
    // A prefix: all of Wuhan.
    let wuhan: i64 = groups
        .iter()
        .filter(|g| {
            g["keys"]["jurisdiction"]["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("4201"))
        })
        .map(|g| int(&g["count"]))
        .sum();
    let by_prefix = total(
        &app,
        json!({ "locationStatus": ["OUT_OF_COUNTY"], "jurisdiction": "4201" }),
    )
    .await;
    assert_eq!(by_prefix, wuhan);
}

async fn the_review_queue_with_a_decision(app: TestApp) {
    demo(&app).await;
    let queue = "{ reviewCandidates(filter: { minProbability: 0.0 }, orderBy: PROBABILITY_DESC, first: 100) {
                   totalCount edges { node { id state matchProbability
                     personA { id } personB { id } pairs { id }
                     a { source recordId(unmasked: true) } b { source recordId(unmasked: true) } } } } }";
    let before = app.gql_data(queue, json!({})).await;
    let edges = before["reviewCandidates"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    assert!(edges.len() >= 2, "the demo has a review queue: {before}");
    let probabilities: Vec<f64> = edges
        .iter()
        .filter_map(|e| e["node"]["matchProbability"].as_f64())
        .collect();
    assert!(
        probabilities.windows(2).all(|w| w[0] >= w[1]),
        "{probabilities:?}"
    );
    let first = &edges[0]["node"];
    let id = first["id"].as_str().expect("id");
    let decided = app
        .gql_data(
            "mutation($id: ID!) { decideCandidate(id: $id, decision: SAME, note: \"同一人，身份证号一致\") {
                 id state note } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(decided["decideCandidate"]["note"], "同一人，身份证号一致");
    // The rest of the queue keeps its IDs: every item between two other persons is still
    // there under the same ID (the merged person may raise new candidates of its own).
    let after = app.gql_data(queue, json!({})).await;
    let pending = |v: &Value| -> Vec<Value> {
        v["reviewCandidates"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .filter(|e| e["node"]["state"] == "PENDING")
            .map(|e| e["node"].clone())
            .collect()
    };
    let (a, b) = (&first["personA"]["id"], &first["personB"]["id"]);
    let new_ids: Vec<Value> = pending(&after).iter().map(|n| n["id"].clone()).collect();
    assert!(!new_ids.contains(&json!(id)));
    let untouched: Vec<Value> = pending(&before)
        .into_iter()
        .filter(|n| {
            let persons = [&n["personA"]["id"], &n["personB"]["id"]];
            !persons.contains(&a) && !persons.contains(&b)
        })
        .collect();
    assert!(!untouched.is_empty(), "{before}");
    for item in &untouched {
        assert!(
            new_ids.contains(&item["id"]),
            "candidate {} was renumbered",
            item["id"]
        );
    }
    // The two records are of one person now.
    let app = &app;
    let person_of = |record: &Value| {
        let source = match record["source"].as_str() {
            Some("BIGDATA") => paicha::intake::SourceKind::Bigdata,
            Some("TOWNSHIP") => paicha::intake::SourceKind::Township,
            _ => paicha::intake::SourceKind::External,
        };
        let id = record["recordId"].as_str().expect("recordId").to_owned();
        async move { app.person_of(source, &id).await }
    };
    assert_eq!(person_of(&first["a"]).await, person_of(&first["b"]).await);
}

async fn a_live_subscription_during_an_import(app: TestApp) {
    demo(&app).await;
    let mut socket = connect(&app, &app.admin_token).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe",
                "payload": { "query": "subscription { statsChanged { persons batches } }" } }),
    )
    .await;
    let first = next_json(&mut socket).await;
    assert_eq!(first["type"], "next", "{first}");
    let batches = int(&first["payload"]["data"]["statsChanged"]["batches"]);
    app.import_ok(paicha::intake::SourceKind::Township, "township.csv")
        .await;
    let pushed = next_json(&mut socket).await;
    let stats = &pushed["payload"]["data"]["statsChanged"];
    assert_eq!(int(&stats["batches"]), batches + 1, "{pushed}");
    let now = app.gql_data("{ stats { persons } }", json!({})).await;
    assert_eq!(stats["persons"], now["stats"]["persons"]);
}

async fn an_export_for_clerks(app: TestApp) {
    demo(&app).await;
    let data = app
        .gql_data(
            "mutation { exportPersons(filter: { locationStatus: [OUT_OF_COUNTY] }, format: XLSX) {
                 url rows format expiresAt } }",
            json!({}),
        )
        .await;
    let export = &data["exportPersons"];
    let out = total(&app, json!({ "locationStatus": ["OUT_OF_COUNTY"] })).await;
    assert_eq!(int(&export["rows"]), out);
    let url = export["url"].as_str().expect("url");
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        format!("http://{}{url}", app.addr)
    };
    let response = app
        .client
        .get(url)
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("body");
    assert!(bytes.starts_with(b"PK"), "an XLSX file is a ZIP container");
}
