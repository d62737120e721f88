//! Dashboards: the `statsChanged` subscription (counts only, open to DASHBOARD tokens), `ETag`
//! and `Cache-Control` on persisted-query GETs, and a WebSocket refused for its token closing
//! with 4401 and the reason.

use futures_util::StreamExt as _;
use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::intake::SourceKind;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::TestApp;
use crate::subscriptions::{Socket, assert_subscription_forbidden, connect, next_json, send};

crate::on_every_backend!(
    a_dashboard_gets_the_stats_at_start_and_after_every_change,
    a_role_without_aggregates_is_refused_stats_changed,
    a_persisted_get_carries_an_etag_and_answers_304_while_it_holds,
    a_websocket_refused_for_its_token_closes_with_4401_and_the_reason,
);

const STATS_FIELDS: &str = "persons batches suppressedBelow byLocationStatus { status count } recordsBySource { source count }";

async fn token(app: &TestApp, role: Role) -> String {
    let spec = TokenSpec::parse(role, None, None, &app.register.reference).expect("spec");
    app.register.create_token(spec).await.expect("token").token
}

/// The next `statsChanged` payload of operation "1".
async fn next_stats(socket: &mut Socket) -> Value {
    let message = next_json(socket).await;
    assert_eq!(
        (message["type"].as_str(), message["id"].as_str()),
        (Some("next"), Some("1")),
        "{message}"
    );
    assert!(message["payload"]["errors"].is_null(), "{message}");
    message["payload"]["data"]["statsChanged"].clone()
}

/// `stats` as `token`, over HTTP.
async fn stats(app: &TestApp, token: &str) -> Value {
    let (_, body) = app
        .post_as(
            Some(token),
            &format!("{{ stats {{ {STATS_FIELDS} }} }}"),
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["stats"].clone()
}

async fn a_dashboard_gets_the_stats_at_start_and_after_every_change(app: TestApp) {
    let dashboard = token(&app, Role::Dashboard).await;
    let mut socket = connect(&app, &dashboard).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query":
            format!("subscription {{ statsChanged {{ {STATS_FIELDS} }} }}") } }),
    )
    .await;
    // At once, before any change: the empty register.
    let first = next_stats(&mut socket).await;
    assert_eq!(first["batches"], 0, "{first}");
    assert_eq!(first, stats(&app, &dashboard).await);
    assert_eq!(
        first["suppressedBelow"], 5,
        "a dashboard's counts are suppressed"
    );

    // The first push is sent once the subscription listens: an import now is pushed.
    app.import_ok(SourceKind::Township, "township.csv").await;
    let after_one = next_stats(&mut socket).await;
    assert_eq!(after_one["batches"], 1, "{after_one}");
    assert_eq!(after_one, stats(&app, &dashboard).await);

    app.import_ok(SourceKind::Bigdata, "bigdata.json").await;
    let after_two = next_stats(&mut socket).await;
    assert_eq!(after_two["batches"], 2, "{after_two}");
    assert_eq!(after_two, stats(&app, &dashboard).await);

    // An analyst gets the same figures unsuppressed.
    let analyst = token(&app, Role::Analyst).await;
    let mut other = connect(&app, &analyst).await;
    send(
        &mut other,
        json!({ "id": "1", "type": "subscribe", "payload": { "query":
            "subscription { statsChanged { persons suppressedBelow } }" } }),
    )
    .await;
    let unsuppressed = next_stats(&mut other).await;
    assert!(unsuppressed["suppressedBelow"].is_null(), "{unsuppressed}");
    assert_eq!(
        unsuppressed["persons"],
        stats(&app, &app.admin_token).await["persons"]
    );

    send(&mut socket, json!({ "id": "1", "type": "complete" })).await;
    socket.close(None).await.expect("close");
}

async fn a_role_without_aggregates_is_refused_stats_changed(app: TestApp) {
    let spec = TokenSpec::parse(Role::Partner, None, Some("420100"), &app.register.reference)
        .expect("spec");
    let partner = app.register.create_token(spec).await.expect("token").token;
    assert_subscription_forbidden(&app, &partner, "subscription { statsChanged { batches } }")
        .await;
}

fn persisted(query: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hex::encode(Sha256::digest(query)) } })
}

/// A GET of the persisted `query` as the admin, with `If-None-Match` when given.
async fn get(app: &TestApp, query: &str, if_none_match: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.graphql_url())
        .bearer_auth(&app.admin_token)
        .query(&[("extensions", persisted(query).to_string())]);
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.send().await.expect("request")
}

async fn a_persisted_get_carries_an_etag_and_answers_304_while_it_holds(app: TestApp) {
    app.import_ok(SourceKind::Township, "township.csv").await;
    let query = "{ stats { persons batches } }";
    let registered = app
        .client
        .post(app.graphql_url())
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": query, "extensions": persisted(query) }))
        .send()
        .await
        .expect("request");
    assert_eq!(registered.status(), StatusCode::OK);

    let response = get(&app, query, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    assert_eq!(
        response.headers()["cache-control"],
        "private, no-cache",
        "kept by the client only, and asked again each time"
    );
    let body = response.bytes().await.expect("body");
    assert_eq!(etag, format!("\"{}\"", hex::encode(Sha256::digest(&body))));
    let data: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(data["data"]["stats"]["batches"], 1);

    // The same answer: 304 with no body.
    let again = get(&app, query, Some(&etag)).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"].to_str().expect("etag"), etag);
    assert!(again.bytes().await.expect("body").is_empty());
    let listed = get(&app, query, Some(&format!("\"other\", W/{etag}"))).await;
    assert_eq!(listed.status(), StatusCode::NOT_MODIFIED);

    // Once the register changes, the answer does and so does its ETag.
    app.import_ok(SourceKind::Bigdata, "bigdata.json").await;
    let changed = get(&app, query, Some(&etag)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"].to_str().expect("etag"), etag);
    let data: Value = changed.json().await.expect("JSON");
    assert_eq!(data["data"]["stats"]["batches"], 2);

    // A query sent in full over GET is not a persisted one: no ETag.
    let plain = app
        .client
        .get(app.graphql_url())
        .bearer_auth(&app.admin_token)
        .query(&[("query", query)])
        .send()
        .await
        .expect("request");
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get("etag").is_none());
    // Nor is an answer with errors (here: a hash the server does not know).
    let unknown = get(&app, "{ stats { persons } }", None).await;
    assert!(unknown.headers().get("etag").is_none());
}

/// The close frame a socket ends with after `connection_init` with `payload`.
async fn refused_init(app: &TestApp, payload: Value) -> (u16, String) {
    let mut request = format!("ws://{}/graphql/ws", app.addr)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket upgrade");
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("an answer within 10 s")
            .expect("a close frame before the end")
            .expect("a message");
        match message {
            Message::Close(Some(frame)) => return (frame.code.into(), frame.reason.to_string()),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("a close frame, not {other:?}"),
        }
    }
}

async fn a_websocket_refused_for_its_token_closes_with_4401_and_the_reason(app: TestApp) {
    let (code, reason) = refused_init(
        &app,
        json!({ "Authorization": "Bearer paicha_not_a_token_at_all_0000000000" }),
    )
    .await;
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("令牌无效"), "{reason}");

    let (code, reason) = refused_init(&app, json!({})).await;
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("需要令牌"), "{reason}");

    let (code, reason) = refused_init(&app, json!({ "Authorization": "Basic abc" })).await;
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("Bearer"), "{reason}");
}
