//! An open WebSocket is held to the rules of `/graphql`: a revoked or expired token closes it
//! (4401), whatever it was running; each operation counts against the token's rate and runs
//! under the time limit.

use std::num::NonZeroU32;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use paicha::access::Role;
use paicha::access::token::{self, TokenSpec};
use paicha::http::Limits;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestApp, raw_connection, spawn_like};
use crate::subscriptions::{Socket, connect, next_json};

crate::on_every_backend!(
    a_revoked_token_closes_its_open_socket_on_the_next_operation,
    a_revoked_token_ends_its_running_subscription,
    a_revocation_by_another_process_closes_the_socket_within_seconds,
    an_expiring_token_closes_its_socket_and_ends_its_subscription,
    operations_over_the_socket_count_against_the_tokens_rate,
    an_operation_over_the_socket_runs_under_the_time_limit,
);

const STATS: &str = "{ stats { persons } }";
const CHANGES: &str = "subscription { registerChanges { kind } }";

async fn analyst(
    app: &TestApp,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> (i64, String) {
    let mut spec =
        TokenSpec::parse(Role::Analyst, None, None, &app.register.reference).expect("spec");
    spec.expires_at = expires_at;
    let issued = app.register.create_token(spec).await.expect("token");
    (issued.row.id, issued.token)
}

/// Sends operation `id` with `query`; a socket the server has closed already is no error.
async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    let message = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
    let _ = socket.send(Message::Text(message.to_string().into())).await;
}

/// The answer to operation `id`: its `next` payload, then its `complete`.
async fn answer(socket: &mut Socket, id: &str, query: &str) -> Value {
    subscribe(socket, id, query).await;
    let next = next_json(socket).await;
    assert_eq!(
        (next["type"].as_str(), next["id"].as_str()),
        (Some("next"), Some(id)),
        "{next}"
    );
    let complete = next_json(socket).await;
    assert_eq!(complete["type"], "complete", "{complete}");
    next["payload"].clone()
}

/// The close frame the server ends the socket with, within ten seconds: its code and reason.
/// No operation may be answered before it.
async fn closing(socket: &mut Socket) -> (u16, String) {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the socket closes within 10 s")
            .expect("a close frame before the end")
            .expect("a message");
        match message {
            Message::Close(Some(frame)) => return (frame.code.into(), frame.reason.to_string()),
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).expect("JSON");
                assert_eq!(
                    value["type"], "ping",
                    "nothing is answered any more: {value}"
                );
            }
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("a close frame, not {other:?}"),
        }
    }
}

async fn a_revoked_token_closes_its_open_socket_on_the_next_operation(app: TestApp) {
    let (id, token) = analyst(&app, None).await;
    let mut socket = connect(&app, &token).await;
    let payload = answer(&mut socket, "1", STATS).await;
    assert!(payload["data"]["stats"]["persons"].is_number(), "{payload}");

    assert!(app.register.revoke_token(id).await.expect("revoke"));
    subscribe(&mut socket, "2", STATS).await;
    let (code, reason) = closing(&mut socket).await;
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("吊销"), "{reason}");

    // Other connections keep working.
    let mut admin = connect(&app, &app.admin_token).await;
    assert!(answer(&mut admin, "1", STATS).await["errors"].is_null());
}

async fn a_revoked_token_ends_its_running_subscription(app: TestApp) {
    let (id, token) = analyst(&app, None).await;
    let mut socket = connect(&app, &token).await;
    subscribe(&mut socket, "1", CHANGES).await;
    assert!(app.register.revoke_token(id).await.expect("revoke"));
    // No further operation: the revocation alone ends the subscription and the socket.
    let (code, reason) = closing(&mut socket).await;
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("吊销"), "{reason}");
}

async fn a_revocation_by_another_process_closes_the_socket_within_seconds(app: TestApp) {
    let (id, token) = analyst(&app, None).await;
    let mut socket = connect(&app, &token).await;
    subscribe(&mut socket, "1", CHANGES).await;
    // `paicha token revoke` writes the row from its own process: no word reaches the server.
    let other = raw_connection(&app.database_url).await;
    assert!(token::revoke(&other, id).await.expect("revoke"));
    let (code, reason) = closing(&mut socket).await;
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("吊销"), "{reason}");
}

async fn an_expiring_token_closes_its_socket_and_ends_its_subscription(app: TestApp) {
    let expires_at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let (_, token) = analyst(&app, Some(expires_at)).await;
    let mut socket = connect(&app, &token).await;
    subscribe(&mut socket, "1", CHANGES).await;
    let (code, reason) = closing(&mut socket).await;
    assert!(chrono::Utc::now() >= expires_at, "closed only once expired");
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("过期"), "{reason}");
}

async fn operations_over_the_socket_count_against_the_tokens_rate(app: TestApp) {
    // 10 a minute: a burst of 1, then one every 6 s.
    let Some(app) = spawn_like(&app, Limits::default(), NonZeroU32::new(10)).await else {
        return;
    };
    let mut socket = connect(&app, &app.admin_token).await;
    let first = answer(&mut socket, "1", STATS).await;
    assert!(first["errors"].is_null(), "{first}");
    for (id, query) in [
        ("2", STATS),
        ("3", "mutation { __typename }"),
        ("4", CHANGES),
    ] {
        let refused = answer(&mut socket, id, query).await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "RATE_LIMITED",
            "{refused}"
        );
        assert!(refused["data"].is_null(), "{refused}");
    }
}

async fn an_operation_over_the_socket_runs_under_the_time_limit(app: TestApp) {
    // A millisecond: far less than the many reads of `slow` take (90 root fields stay within
    // the complexity limit, each costing 50 more than its selection).
    let limits = Limits {
        timeout: Duration::from_millis(1),
        ..Limits::default()
    };
    let Some(app) = spawn_like(&app, limits, None).await else {
        return;
    };
    let mut socket = connect(&app, &app.admin_token).await;
    let slow: String = (0..90)
        .map(|i| format!("s{i}: stats {{ persons }} "))
        .collect();
    let slow = format!("{{ {slow}}}");
    let payload = answer(&mut socket, "1", &slow).await;
    assert_eq!(
        payload["errors"][0]["extensions"]["code"], "TIMEOUT",
        "{payload}"
    );
    // A subscription's events are not timed: its setup is accepted.
    subscribe(&mut socket, "2", CHANGES).await;
    let payload = answer(&mut socket, "3", &slow).await;
    assert_eq!(
        payload["errors"][0]["extensions"]["code"], "TIMEOUT",
        "{payload}"
    );
}
