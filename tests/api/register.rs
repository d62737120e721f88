//! The register: the same person across sources is one person; where each person is.

use paicha::intake::SourceKind::{Bigdata, External, Township};
use paicha::states::LocationStatus::{InCounty, OutOfCounty, PendingVerification};

use crate::helpers::TestApp;

crate::on_every_backend!(
    the_same_person_reported_by_several_sources_is_one_person,
    family_members_sharing_a_phone_stay_different_persons,
    location_status_follows_the_strongest_evidence,
    importing_the_same_files_in_another_order_gives_the_same_persons,
    a_record_that_bridges_two_persons_merges_them_and_the_old_id_redirects,
    the_trained_model_and_the_review_candidates_are_in_the_api,
);

async fn the_same_person_reported_by_several_sources_is_one_person(app: TestApp) {
    app.import_all_samples().await;
    let p1 = app.person_of(Township, "TS-0001").await;
    assert_eq!(app.person_of(Township, "TT-0005").await, p1);
    assert_eq!(app.person_of(External, "JA17-01").await, p1);
    assert_eq!(app.person_of(Bigdata, "DSJ-20200125-0001").await, p1);

    let p5 = app.person_of(Township, "TS-0005").await;
    assert_eq!(
        app.person_of(External, "XN05-01").await,
        p5,
        "15-digit ID upgraded"
    );

    let p3 = app.person_of(Township, "TS-0003").await;
    assert_eq!(
        app.person_of(Bigdata, "DSJ-20200125-0003").await,
        p3,
        "phone written with spaces"
    );

    let p8 = app.person_of(Township, "TS-0008").await;
    assert_eq!(
        app.person_of(Bigdata, "DSJ-20200125-0006").await,
        p8,
        "phone found in the remark"
    );

    let golden = app
        .gql_data(
            r#"query($id: ID!) { person(id: $id) { name idNumber phones
                   links { rule weight record { source recordId } explanation { field level weight } } } }"#,
            serde_json::json!({ "id": p1.to_string() }),
        )
        .await;
    let person = &golden["person"];
    assert_eq!(person["name"], "张伟");
    assert_eq!(
        person["idNumber"], "420102********0036",
        "masked by default"
    );
    let links = person["links"].as_array().expect("links");
    assert!(links.len() >= 4, "{links:?}");
    assert!(
        links.iter().any(|l| l["rule"] == "MATCH"
            && l["explanation"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["field"] == "id_number" && e["level"] == "EXACT")),
        "{links:?}"
    );
    assert_eq!(
        links.iter().filter(|l| l["rule"] == "FOUNDER").count(),
        1,
        "one record founded the person"
    );
}

async fn family_members_sharing_a_phone_stay_different_persons(app: TestApp) {
    app.import_all_samples().await;
    let son = app.person_of(Township, "TS-0006").await;
    let father = app.person_of(Township, "TS-0007").await;
    assert_ne!(son, father);
    assert_eq!(
        app.person_of(Bigdata, "DSJ-20200125-0004").await,
        father,
        "the masked ID's digits pick the father"
    );
}

async fn location_status_follows_the_strongest_evidence(app: TestApp) {
    app.import_all_samples().await;
    let status = |id: i64| {
        let register = app.register.clone();
        async move {
            let p = register.person(id).await.expect("query").expect("person");
            (p.location_status, p.location_conflict, p.jurisdiction_code)
        }
    };
    let (s, _, _) = status(app.person_of(Township, "TS-0001").await).await;
    assert_eq!(s, InCounty);

    let (s, conflict, jurisdiction) = status(app.person_of(Township, "TS-0009").await).await;
    assert_eq!(
        s, OutOfCounty,
        "the on-site check says she went back to Hubei"
    );
    assert!(conflict, "the notice said she is in the county");
    assert_eq!(jurisdiction.as_deref(), Some("420902"));

    let (s, _, _) = status(app.person_of(Bigdata, "DSJ-20200125-0008").await).await;
    assert_eq!(
        s, PendingVerification,
        "a big-data hint alone is not a check"
    );

    let (s, _, jurisdiction) = status(app.person_of(External, "JA17-03").await).await;
    assert_eq!(s, OutOfCounty);
    assert_eq!(jurisdiction.as_deref(), Some("440305"), "深圳市南山区");

    let stats = app
        .gql_data(
            "{ stats { persons byLocationStatus { status count } recordsBySource { source count } } }",
            serde_json::json!({}),
        )
        .await;
    let by_status = stats["stats"]["byLocationStatus"].as_array().expect("list");
    for status in ["IN_COUNTY", "OUT_OF_COUNTY", "PENDING_VERIFICATION"] {
        assert!(
            by_status.iter().any(|e| e["status"] == status),
            "{status}: {by_status:?}"
        );
    }
    for entry in by_status {
        assert!(entry["count"].as_u64() > Some(0), "{entry}");
    }
    let in_statuses: u64 = by_status
        .iter()
        .map(|e| e["count"].as_u64().expect("n"))
        .sum();
    assert_eq!(
        Some(in_statuses),
        stats["stats"]["persons"].as_u64(),
        "{stats}"
    );
    let by_source = stats["stats"]["recordsBySource"].as_array().expect("list");
    assert_eq!(
        by_source.len(),
        3,
        "every source was imported: {by_source:?}"
    );
    for entry in by_source {
        assert!(entry["count"].as_u64() > Some(0), "{entry}");
    }
}

/// The partition of current records into persons, as sets of `source/record_id`.
async fn partition(app: &TestApp) -> std::collections::BTreeSet<Vec<String>> {
    let mut by_person: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
    for (source, record_id, person) in app.register.export_records().await.expect("export") {
        by_person
            .entry(person)
            .or_default()
            .push(format!("{source}/{record_id}"));
    }
    by_person
        .into_values()
        .map(|mut v| {
            v.sort();
            v
        })
        .collect()
}

async fn importing_the_same_files_in_another_order_gives_the_same_persons(app: TestApp) {
    app.import_all_samples().await;
    let forward = partition(&app).await;
    let other = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .expect("second app");
    for (source, name) in [
        (External, "external.json"),
        (Bigdata, "bigdata.json"),
        (Bigdata, "bigdata.ndjson"),
        (Township, "township.xlsx"),
        (Township, "township_gb18030.csv"),
        (Township, "township_trad.csv"),
        (Township, "township.csv"),
    ] {
        other.import_ok(source, name).await;
    }
    assert_eq!(forward, partition(&other).await);
}

async fn a_record_that_bridges_two_persons_merges_them_and_the_old_id_redirects(app: TestApp) {
    let import = |source, name: &'static str, text: &'static str| {
        crate::helpers::import_file(&app.register, source, name, text)
    };
    // A phone alone, then a name and ID with another phone: nothing ties them yet.
    import(
        Bigdata,
        "a.csv",
        "record_id,phone,location\nB1,13911112222,青溪县城关镇\n",
    )
    .await;
    import(
        External,
        "b.csv",
        "record_id,notice_no,name,id_number,phone\nE1,协1号,李强,420102198801015672,13933334444\n",
    )
    .await;
    let (p1, p2) = (
        app.person_of(Bigdata, "B1").await,
        app.person_of(External, "E1").await,
    );
    assert_ne!(p1, p2);

    // A township check gives the same ID number and both phones.
    import(
        Township,
        "c.csv",
        "record_id,township,name,id_number,phone\nT1,城关镇,李强,420102198801015672,13911112222/13933334444\n",
    )
    .await;
    let survivor = app.person_of(Township, "T1").await;
    assert_eq!(survivor, p1.min(p2), "the older ID survives");
    assert_eq!(app.person_of(Bigdata, "B1").await, survivor);
    assert_eq!(app.person_of(External, "E1").await, survivor);
    let absorbed = p1.max(p2);
    let redirected = app
        .gql_data(
            "query($id: ID!) { person(id: $id) { id name } }",
            serde_json::json!({ "id": absorbed.to_string() }),
        )
        .await;
    assert_eq!(redirected["person"]["id"], survivor.to_string());
    let events = app.count("resolution_event WHERE kind = 'MERGE'").await;
    assert_eq!(events, 1);
}

async fn the_trained_model_and_the_review_candidates_are_in_the_api(app: TestApp) {
    app.import_all_samples().await;
    // The samples' own doubt (a masked ID that fits its holder and a relative, whose ID
    // numbers differ) is not raised since issue 25; a family without an address is.
    crate::helpers::import_family_with_a_shared_phone(&app.register).await;
    let data = app
        .gql_data(
            r#"{ matchModel { profile lambda records candidatePairs
                   fields { field levels { level m u weight } }
                   blocking { rule pairs newPairs skippedBlocks } }
                 reviewCandidates(first: 5) { totalCount
                   edges { node { totalWeight matchProbability state
                     a { recordId } b { recordId } explanation { field level weight } } } } }"#,
            serde_json::json!({}),
        )
        .await;
    let model = &data["matchModel"];
    assert_eq!(model["profile"], "cn-identity");
    assert!(model["records"].as_u64() > Some(40));
    let id_field = model["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["field"] == "id_number")
        .expect("id_number compared");
    let exact = &id_field["levels"][0];
    assert_eq!(exact["level"], "EXACT");
    assert!(exact["weight"].as_f64() > Some(10.0), "{exact}");
    assert!(
        model["blocking"]
            .as_array()
            .expect("blocking")
            .iter()
            .any(|b| b["rule"] == "phone" && b["pairs"].as_u64() > Some(0))
    );
    let candidates = data["reviewCandidates"]["edges"].as_array().expect("edges");
    let total = data["reviewCandidates"]["totalCount"].as_u64().expect("n");
    assert!(total >= 1, "the samples leave something for review: {data}");
    assert_eq!(candidates.len() as u64, total.min(5), "{data}");
    for edge in candidates {
        let node = &edge["node"];
        assert_eq!(node["state"], "PENDING");
        assert!(node["a"]["recordId"].is_string() && node["b"]["recordId"].is_string());
        assert_eq!(node["explanation"][0]["field"], "prior");
    }
}
