//! Analysts' decisions: review candidates, merging and splitting persons — and every later
//! run honouring them.

use paicha::intake::SourceKind::{Bigdata, Township};
use serde_json::json;

use crate::helpers::{TestApp, import_family_with_a_shared_phone};

crate::on_every_backend!(
    a_phone_a_family_shares_is_left_for_review_and_a_decision_settles_it,
    persons_merged_by_an_analyst_stay_merged_and_the_old_id_redirects,
    records_split_off_get_a_new_person_and_stay_apart,
);

async fn a_phone_a_family_shares_is_left_for_review_and_a_decision_settles_it(app: TestApp) {
    import_family_with_a_shared_phone(&app.register).await;
    let father = app.person_of(Township, "F1").await;
    let son = app.person_of(Township, "F2").await;
    let phone = app.person_of(Bigdata, "P1").await;
    assert!(phone != father && phone != son, "ambiguous: joins nobody");

    let data = app
        .gql_data(
            "{ reviewCandidates { totalCount edges { node { id a { recordId } b { recordId } } } } }",
            json!({}),
        )
        .await;
    let edges = data["reviewCandidates"]["edges"].as_array().expect("edges");
    let with_father = edges
        .iter()
        .map(|e| &e["node"])
        .find(|n| {
            let ids = [n["a"]["recordId"].as_str(), n["b"]["recordId"].as_str()];
            ids.contains(&Some("P1")) && ids.contains(&Some("F1"))
        })
        .unwrap_or_else(|| panic!("P1–F1 is a review candidate: {edges:?}"));

    let decided = app
        .gql_data(
            "mutation($id: ID!) { decideCandidate(id: $id, decision: SAME) { state } }",
            json!({ "id": with_father["id"] }),
        )
        .await;
    assert_eq!(decided["decideCandidate"]["state"], "SAME");
    assert_eq!(app.person_of(Bigdata, "P1").await, father);

    // The decision holds when more data arrives and the register is resolved again.
    app.import_ok(Township, "township.csv").await;
    assert_eq!(app.person_of(Bigdata, "P1").await, father);
    assert_ne!(app.person_of(Township, "F2").await, father);

    let again = app
        .gql(
            "mutation($id: ID!) { decideCandidate(id: $id, decision: DIFFERENT) { state } }",
            json!({ "id": with_father["id"] }),
        )
        .await;
    assert_eq!(again["errors"][0]["extensions"]["code"], "CONFLICT");
    assert_eq!(
        app.count("resolution_event WHERE kind = 'DECISION'").await,
        1
    );
}

async fn persons_merged_by_an_analyst_stay_merged_and_the_old_id_redirects(app: TestApp) {
    import_family_with_a_shared_phone(&app.register).await;
    let father = app.person_of(Township, "F1").await;
    let phone = app.person_of(Bigdata, "P1").await;
    let merged = app
        .gql_data(
            "mutation($a: ID!, $b: ID!) { mergePersons(a: $a, b: $b) { id } }",
            json!({ "a": phone.to_string(), "b": father.to_string() }),
        )
        .await;
    let survivor = father.min(phone);
    assert_eq!(merged["mergePersons"]["id"], survivor.to_string());
    assert_eq!(app.person_of(Bigdata, "P1").await, survivor);
    assert_eq!(app.person_of(Township, "F1").await, survivor);
    let redirected = app
        .gql_data(
            "query($id: ID!) { person(id: $id) { id } }",
            json!({ "id": father.max(phone).to_string() }),
        )
        .await;
    assert_eq!(redirected["person"]["id"], survivor.to_string());
    app.import_ok(Bigdata, "bigdata.json").await;
    assert_eq!(
        app.person_of(Bigdata, "P1").await,
        app.person_of(Township, "F1").await
    );
}

async fn records_split_off_get_a_new_person_and_stay_apart(app: TestApp) {
    app.import_all_samples().await;
    let p1 = app.person_of(Township, "TS-0001").await;
    let record = app
        .register
        .records_of_person(p1)
        .await
        .expect("records")
        .into_iter()
        .find(|(r, _)| r.record_id == "TT-0005")
        .map(|(r, _)| r.id)
        .expect("TT-0005 is one of P1's records");
    let split = app
        .gql_data(
            "mutation($id: ID!, $records: [ID!]!) { splitPerson(id: $id, recordIds: $records) { id } }",
            json!({ "id": p1.to_string(), "records": [record.to_string()] }),
        )
        .await;
    let new_id: i64 = split["splitPerson"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("new person ID");
    assert!(new_id > p1, "a split gives a new ID");
    assert_eq!(app.person_of(Township, "TT-0005").await, new_id);
    assert_eq!(
        app.person_of(Township, "TS-0001").await,
        p1,
        "the rest keeps the old ID"
    );

    app.import_ok(Township, "township_v2.csv").await;
    assert_ne!(
        app.person_of(Township, "TT-0005").await,
        app.person_of(Township, "TS-0001").await,
        "the split holds on later runs"
    );
    let bad = app
        .gql(
            "mutation($id: ID!) { splitPerson(id: $id, recordIds: [\"999999\"]) { id } }",
            json!({ "id": p1.to_string() }),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}
