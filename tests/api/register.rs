//! The register: the same person across sources is one person; where each person is.

use paicha::intake::SourceKind::{Bigdata, External, Township};

use crate::helpers::TestApp;

crate::on_every_backend!(
    the_same_person_reported_by_several_sources_is_one_person,
    family_members_sharing_a_phone_stay_different_persons,
    location_status_follows_the_strongest_evidence,
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
    assert_eq!(s, "IN_COUNTY");

    let (s, conflict, jurisdiction) = status(app.person_of(Township, "TS-0009").await).await;
    assert_eq!(
        s, "OUT_OF_COUNTY",
        "the on-site check says she went back to Hubei"
    );
    assert!(conflict, "the notice said she is in the county");
    assert_eq!(jurisdiction.as_deref(), Some("420902"));

    let (s, _, _) = status(app.person_of(Bigdata, "DSJ-20200125-0008").await).await;
    assert_eq!(
        s, "PENDING_VERIFICATION",
        "a big-data hint alone is not a check"
    );

    let (s, _, jurisdiction) = status(app.person_of(External, "JA17-03").await).await;
    assert_eq!(s, "OUT_OF_COUNTY");
    assert_eq!(jurisdiction.as_deref(), Some("440305"), "深圳市南山区");

    let stats = app
        .gql_data(
            "{ stats { persons byLocationStatus { status count } recordsBySource { source count } } }",
            serde_json::json!({}),
        )
        .await;
    for entry in stats["stats"]["byLocationStatus"].as_array().expect("list") {
        assert!(entry["count"].as_u64() > Some(0), "{entry}");
    }
    for entry in stats["stats"]["recordsBySource"].as_array().expect("list") {
        assert!(entry["count"].as_u64() > Some(0), "{entry}");
    }
}
