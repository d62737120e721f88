//! Requests that multiply cheap work or confirm what is shown masked (issue 18, findings 4, 8
//! and 12): searches are capped, counted against the token's rate and audited; complexity is
//! counted across a batch with a floor per root field; guessing tokens is rate-limited by
//! address; a persisted query of another role is not found.

use std::num::NonZeroU32;

use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::http::Limits;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::helpers::{
    AccessMode, Backend, TestApp, import_family_with_a_shared_phone, spawn_app_configured,
};

crate::on_every_backend!(
    a_thousand_phone_guesses_in_one_request_are_refused_naming_the_cap,
    searches_in_a_batch_are_capped_together,
    every_search_counts_against_the_tokens_rate,
    a_search_by_a_full_phone_or_id_number_is_audited_by_its_hash,
    a_batch_of_cheap_aliases_is_too_complex_taken_together,
    requests_with_invalid_tokens_are_rate_limited_by_address,
    a_persisted_query_of_another_role_is_not_found,
);

/// POSTs `body` as `token` under `application/graphql-response+json`; (status, JSON).
async fn post(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let request = app
        .client
        .post(app.graphql_url())
        .header("accept", "application/graphql-response+json")
        .json(&body);
    app.send_as(Some(token), request).await
}

fn backend_of(app: &TestApp) -> Backend {
    match app.register.db().backend() {
        sea_orm::DbBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// `n` aliases of `searchPersons` guessing the phones 135987612xx from `from` on.
fn phone_guesses(from: usize, n: usize) -> String {
    let fields: String = (from..from + n)
        .map(|i| {
            format!(
                r#"g{i}: searchPersons(text: "135987612{:02}") {{ totalCount }} "#,
                i % 100
            )
        })
        .collect();
    format!("{{ {fields} }}")
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

async fn a_thousand_phone_guesses_in_one_request_are_refused_naming_the_cap(app: TestApp) {
    import_family_with_a_shared_phone(&app.register).await;
    let (status, body) = post(
        &app,
        &app.admin_token,
        json!({ "query": phone_guesses(0, 1000) }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(message(&body).contains("10"), "{body}");
    assert!(body.get("data").is_none());
    // Nothing ran, so nothing was searched for.
    assert!(app.audit_entries().await.is_empty());

    let (status, body) = post(
        &app,
        &app.admin_token,
        json!({ "query": phone_guesses(30, 10) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["g34"]["totalCount"], 3, "{body}");
}

async fn searches_in_a_batch_are_capped_together(app: TestApp) {
    let batch: Vec<Value> = (0..3)
        .map(|i| json!({ "query": phone_guesses(i * 4, 4) }))
        .collect();
    let (status, body) = post(&app, &app.admin_token, Value::Array(batch)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body[0].get("errors").is_none(), "{body}");
    assert!(body[1].get("errors").is_none(), "{body}");
    assert_eq!(
        body[2]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert!(body[2].get("data").is_none(), "{body}");
}

async fn every_search_counts_against_the_tokens_rate(app: TestApp) {
    // 100 a minute: a burst of 10.
    let Some(app) = spawn_app_configured(
        backend_of(&app),
        AccessMode::Required,
        Limits::default(),
        NonZeroU32::new(100),
    )
    .await
    else {
        return;
    };
    // The request and its 9 searches spend the burst.
    let (status, body) = post(
        &app,
        &app.admin_token,
        json!({ "query": phone_guesses(0, 9) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(
        &app,
        &app.admin_token,
        json!({ "query": "{ stats { persons } }" }),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
}

fn sha256(value: &str) -> String {
    hex::encode(Sha256::digest(value))
}

async fn a_search_by_a_full_phone_or_id_number_is_audited_by_its_hash(app: TestApp) {
    import_family_with_a_shared_phone(&app.register).await;
    let data = app
        .gql_data(
            r#"query Guess { byPhone: searchPersons(text: "135 9876 1234") { totalCount }
                             byName: searchPersons(text: "周明") { totalCount }
                             byEnd: searchPersons(text: "0378") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["byPhone"]["totalCount"], 3, "{data}");
    app.gql_data(
        r#"{ personByIdNumber(idNumber: "411599198104300378") { id } }"#,
        json!({}),
    )
    .await;

    let log = app.audit_entries().await;
    let searches: Vec<_> = log.iter().filter(|e| e.kind.as_str() == "SEARCH").collect();
    assert_eq!(searches.len(), 2, "{log:?}");
    assert_eq!(searches[0].operation, "Guess: searchPersons");
    assert_eq!(searches[0].role, "ADMIN");
    assert!(searches[0].token_id.is_some());
    // Only the full phone, hashed: never the value, nor the name or the ID ending.
    assert_eq!(
        searches[0].fields,
        json!([format!("phone:{}", sha256("13598761234"))]).to_string()
    );
    let found: Vec<i64> = serde_json::from_str(&searches[0].persons).expect("persons");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(!format!("{log:?}").contains("13598761234"));
    assert_eq!(
        searches[1].fields,
        json!([format!("idNumber:{}", sha256("411599198104300378"))]).to_string()
    );
    let found: Vec<i64> = serde_json::from_str(&searches[1].persons).expect("persons");
    assert_eq!(found.len(), 1);
}

async fn a_batch_of_cheap_aliases_is_too_complex_taken_together(app: TestApp) {
    let aliases = |n: usize| -> String {
        let fields: String = (0..n)
            .map(|i| format!("s{i}: stats {{ persons }} "))
            .collect();
        format!("{{ {fields} }}")
    };
    // 1 200 aliases in one operation: each root field costs 50 more than its selection.
    let (status, body) = post(&app, &app.admin_token, json!({ "query": aliases(1200) })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(message(&body).contains("too complex"), "{body}");

    // 10 operations of 1 200: none runs.
    let batch: Vec<Value> = (0..10).map(|_| json!({ "query": aliases(1200) })).collect();
    let (_, body) = post(&app, &app.admin_token, Value::Array(batch)).await;
    for response in body.as_array().expect("a batch answer") {
        assert!(message(response).contains("too complex"), "{response}");
    }

    // 10 operations of 100 (5 200 each) together exceed 25 000: the fifth and after are
    // refused.
    let batch: Vec<Value> = (0..10).map(|_| json!({ "query": aliases(100) })).collect();
    let (_, body) = post(&app, &app.admin_token, Value::Array(batch)).await;
    let answers = body.as_array().expect("a batch answer");
    assert!(
        answers[..4].iter().all(|r| r.get("errors").is_none()),
        "{body}"
    );
    assert!(
        answers[4..]
            .iter()
            .all(|r| message(r).contains("too complex")),
        "{body}"
    );
}

async fn requests_with_invalid_tokens_are_rate_limited_by_address(app: TestApp) {
    // 60 a minute: a burst of 6.
    let Some(app) = spawn_app_configured(
        backend_of(&app),
        AccessMode::Required,
        Limits::default(),
        NonZeroU32::new(60),
    )
    .await
    else {
        return;
    };
    let query = json!({ "query": "{ stats { persons } }" });
    for guess in 0..6 {
        let (status, body) = post(&app, &format!("guess-{guess}"), query.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (status, body) = post(&app, "guess-6", query.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    let (status, _) = app
        .send_as(None, app.client.post(app.graphql_url()).json(&query))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // A valid token has a rate of its own.
    let (status, body) = post(&app, &app.admin_token, query).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn a_persisted_query_of_another_role_is_not_found(app: TestApp) {
    let query = "{ auditLog { totalCount } }";
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(query) } });
    let (status, body) = post(
        &app,
        &app.admin_token,
        json!({ "query": query, "extensions": persisted }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let spec =
        TokenSpec::parse(Role::Dashboard, None, None, &app.register.reference).expect("spec");
    let dashboard = app.register.create_token(spec).await.expect("token").token;
    let (_, body) = post(&app, &dashboard, json!({ "extensions": persisted })).await;
    assert_eq!(message(&body), "PersistedQueryNotFound", "{body}");
    // The admin's hash still runs for the admin.
    let (status, body) = post(&app, &app.admin_token, json!({ "extensions": persisted })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["data"]["auditLog"]["totalCount"].is_number(), "{body}");
}
