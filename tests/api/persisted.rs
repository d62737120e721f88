//! Automatic persisted queries: a dashboard sends a query's sha256, and the query itself only
//! when the server does not know it yet — over POST and over GET.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

crate::on_every_backend!(
    a_query_sent_once_runs_later_by_its_hash_over_post_and_get,
    a_persisted_mutation_does_not_run_over_get,
);

fn persisted(query: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hex::encode(Sha256::digest(query)) } })
}

async fn post(app: &TestApp, body: Value) -> Value {
    let response = app
        .client
        .post(app.graphql_url())
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

async fn get(app: &TestApp, params: &[(&str, String)]) -> (u16, Value) {
    let response = app
        .client
        .get(app.graphql_url())
        .bearer_auth(&app.admin_token)
        .header("accept", "application/graphql-response+json")
        .query(params)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

async fn a_query_sent_once_runs_later_by_its_hash_over_post_and_get(app: TestApp) {
    app.import_all_samples().await;
    let query = "{ stats { persons } }";
    let unknown = post(&app, json!({ "extensions": persisted(query) })).await;
    assert_eq!(
        unknown["errors"][0]["message"], "PersistedQueryNotFound",
        "{unknown}"
    );

    let first = post(
        &app,
        json!({ "query": query, "extensions": persisted(query) }),
    )
    .await;
    let persons = first["data"]["stats"]["persons"].as_u64().expect("persons");
    assert!(persons > 0);

    let by_hash = post(&app, json!({ "extensions": persisted(query) })).await;
    assert_eq!(
        by_hash["data"]["stats"]["persons"].as_u64(),
        Some(persons),
        "{by_hash}"
    );

    let (status, over_get) = get(&app, &[("extensions", persisted(query).to_string())]).await;
    assert_eq!(status, 200, "{over_get}");
    assert_eq!(over_get["data"]["stats"]["persons"].as_u64(), Some(persons));

    // Variables travel with the hash.
    let with_vars =
        "query($s: LocationStatus) { persons(filter: { locationStatus: $s }) { totalCount } }";
    post(&app, json!({ "query": with_vars, "extensions": persisted(with_vars), "variables": { "s": "IN_COUNTY" } })).await;
    let (status, counted) = get(
        &app,
        &[
            ("extensions", persisted(with_vars).to_string()),
            ("variables", json!({ "s": "IN_COUNTY" }).to_string()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{counted}");
    assert!(
        counted["data"]["persons"]["totalCount"]
            .as_u64()
            .is_some_and(|n| n > 0 && n < persons)
    );

    let mismatch = post(
        &app,
        json!({ "query": "{ stats { batches } }", "extensions": persisted(query) }),
    )
    .await;
    assert_eq!(
        mismatch["errors"][0]["message"],
        "provided sha does not match query"
    );
    assert_eq!(
        mismatch["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
}

async fn a_persisted_mutation_does_not_run_over_get(app: TestApp) {
    let mutation = "mutation { mergePersons(a: \"1\", b: \"2\") { id } }";
    // Persisting it over POST runs it (and it fails: there are no persons).
    let first = post(
        &app,
        json!({ "query": mutation, "extensions": persisted(mutation) }),
    )
    .await;
    assert_eq!(
        first["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{first}"
    );
    let (status, body) = get(&app, &[("extensions", persisted(mutation).to_string())]).await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}
