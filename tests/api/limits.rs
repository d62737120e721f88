//! Limits and error codes: every limit answers with a clear error, every error carries an
//! `extensions.code`, and nothing internal leaks.

use serde_json::{Value, json};

use crate::helpers::{TestApp, import_family_with_a_shared_phone};

crate::on_every_backend!(
    a_query_nested_too_deep_is_refused_before_it_runs,
    a_query_too_complex_for_its_page_sizes_is_refused,
    a_page_larger_than_the_maximum_is_bad_user_input,
    json_array_batches_run_up_to_the_limit_and_are_refused_beyond_it,
    not_found_and_conflict_come_with_their_codes,
    an_internal_error_says_nothing_of_its_cause,
);

/// POSTs a body and returns (status, JSON) under `application/graphql-response+json`.
async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.graphql_url())
        .bearer_auth(&app.admin_token)
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

fn code(body: &Value) -> &Value {
    &body["errors"][0]["extensions"]["code"]
}

async fn a_query_nested_too_deep_is_refused_before_it_runs(app: TestApp) {
    let mut selection = "id".to_owned();
    for _ in 0..7 {
        selection = format!("links {{ record {{ person {{ {selection} }} }} }}");
    }
    let query = format!("{{ persons(first: 1) {{ edges {{ node {{ {selection} }} }} }} }}");
    let (status, body) = post(&app, json!({ "query": query })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none());
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nested too deep")),
        "{body}"
    );
}

async fn a_query_too_complex_for_its_page_sizes_is_refused(app: TestApp) {
    // A page of 500 persons with their headline fields goes through (issue 19: it was refused
    // with 38 persons in the register).
    let headline = "id name namePinyin sex birthYear township village locationStatus hubeiLink \
                    arrivalDate firstReported createdAt updatedAt";
    let query =
        format!("{{ persons(first: 500) {{ totalCount edges {{ node {{ {headline} }} }} }} }}");
    let (status, body) = post(&app, json!({ "query": query })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    // So does a page of 100 with the golden record.
    let value = "value sourceRecordIds conflicts { value sourceRecordIds }";
    let golden = format!(
        "golden {{ name {{ {value} }} sex {{ {value} }} birthDate {{ {value} }} \
         idNumber {{ {value} }} phones {{ {value} }} township {{ {value} }} \
         village {{ {value} }} address {{ {value} }} }}"
    );
    let query =
        format!("{{ persons(first: 100) {{ edges {{ node {{ {headline} {golden} }} }} }} }}");
    let (status, body) = post(&app, json!({ "query": query })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");

    // 500 persons with their golden records and each record's normalised identity do not: the
    // error names the cost and the limit.
    let records = "records { id source recordId version rowNumber isCurrent createdAt \
                   normalized { name namePinyin idNumber birthDate sex township village } }";
    let query = format!(
        "{{ persons(first: 500) {{ edges {{ node {{ {headline} {golden} {records} }} }} }} }}"
    );
    let (status, body) = post(&app, json!({ "query": query })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let error = &body["errors"][0];
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("too complex") && m.contains("25000")),
        "{body}"
    );
    assert_eq!(error["extensions"]["limit"], 25_000, "{body}");
    let cost = error["extensions"]["cost"].as_u64().expect("cost");
    assert!(cost > 25_000, "{body}");
    // The same selection on a page of 50 costs a tenth (less the root field's 50) and runs.
    let query = query.replace("first: 500", "first: 50");
    let (status, body) = post(&app, json!({ "query": query })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
}

async fn a_page_larger_than_the_maximum_is_bad_user_input(app: TestApp) {
    for query in [
        "{ persons(first: 501) { totalCount } }",
        "{ events(last: 501) { totalCount } }",
        "{ sourceRecords(first: -1) { totalCount } }",
    ] {
        let body = app.gql(query, json!({})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{query}: {body}");
    }
}

async fn json_array_batches_run_up_to_the_limit_and_are_refused_beyond_it(app: TestApp) {
    let op = json!({ "query": "{ stats { persons } }" });
    let max = paicha::config::limits::MAX_BATCH;
    let (status, body) = post(&app, Value::Array(vec![op.clone(); max])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(max));
    assert!(
        body.as_array()
            .into_iter()
            .flatten()
            .all(|r| r["data"]["stats"]["persons"] == 0)
    );

    let (status, body) = post(&app, Value::Array(vec![op; max + 1])).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let (status, body) = post(&app, json!([])).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

async fn not_found_and_conflict_come_with_their_codes(app: TestApp) {
    import_family_with_a_shared_phone(&app.register).await;
    let decide = "mutation($id: ID!) { decideCandidate(id: $id, decision: DIFFERENT) { state } }";
    let missing = app.gql(decide, json!({ "id": "999999" })).await;
    assert_eq!(code(&missing), "NOT_FOUND", "{missing}");

    let candidates = app
        .gql_data("{ reviewCandidates { edges { node { id } } } }", json!({}))
        .await;
    let id = candidates["reviewCandidates"]["edges"][0]["node"]["id"].clone();
    assert!(id.is_string(), "a candidate to decide: {candidates}");
    app.gql_data(decide, json!({ "id": id })).await;
    let again = app.gql(decide, json!({ "id": id })).await;
    assert_eq!(code(&again), "CONFLICT", "{again}");

    let bad_id = app.gql(decide, json!({ "id": "abc" })).await;
    assert_eq!(code(&bad_id), "BAD_USER_INPUT", "{bad_id}");
}

async fn an_internal_error_says_nothing_of_its_cause(app: TestApp) {
    app.import_all_samples().await;
    // A golden record the server cannot read: only a damaged database does that.
    let conn = crate::helpers::raw_connection(&app.database_url).await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &conn,
        "UPDATE person SET golden = '{broken json' WHERE id = (SELECT MIN(id) FROM person WHERE merged_into IS NULL)",
    )
    .await
    .expect("damage one golden record");
    let body = app
        .gql(
            "{ persons(first: 1) { edges { node { id golden { name { value } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "INTERNAL", "{body}");
    assert_eq!(body["errors"][0]["message"], "internal error");
    // Nothing but the message, the code, where and which field: no cause.
    let error = body["errors"][0].as_object().expect("an error");
    let keys: Vec<&str> = error.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["extensions", "locations", "message", "path"],
        "{body}"
    );
    assert_eq!(error["extensions"], json!({ "code": "INTERNAL" }));
    assert!(
        body["data"]["persons"]["edges"][0]["node"]["id"].is_string(),
        "the rest answers"
    );
}
