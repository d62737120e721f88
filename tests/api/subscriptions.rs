//! Subscriptions over `graphql-transport-ws` at `/graphql/ws`: committed changes pushed.

use futures_util::{SinkExt, StreamExt};
use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::intake::SourceKind;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, import_file};

crate::on_every_backend!(
    an_import_is_pushed_to_a_subscriber_after_it_commits,
    a_role_that_may_not_read_history_is_refused_the_subscription,
    a_township_officer_is_pushed_the_alerts_of_its_own_township_only,
);

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON message of the socket (pings skipped), within ten seconds.
pub(crate) async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket is open")
            .expect("a message");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).expect("JSON");
            if value["type"] != "ping" {
                return value;
            }
        }
    }
}

pub(crate) async fn send(socket: &mut Socket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .expect("send");
}

/// A socket on `/graphql/ws` past `connection_init` with `token`, acknowledged.
pub(crate) async fn connect(app: &TestApp, token: &str) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", app.addr)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket upgrade");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    send(
        &mut socket,
        json!({
            "type": "connection_init",
            "payload": { "Authorization": format!("Bearer {token}") },
        }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
}

async fn a_role_that_may_not_read_history_is_refused_the_subscription(app: TestApp) {
    let spec =
        TokenSpec::parse(Role::Dashboard, None, None, &app.register.reference).expect("spec");
    let issued = app.register.create_token(spec).await.expect("token");
    assert_subscription_forbidden(
        &app,
        &issued.token,
        "subscription { registerChanges { kind } }",
    )
    .await;
}

/// Subscribing to `query` as `token` is refused: the guard's refusal is a field error, a
/// result with no data and FORBIDDEN.
pub(crate) async fn assert_subscription_forbidden(app: &TestApp, token: &str, query: &str) {
    let mut socket = connect(app, token).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    let message = next_json(&mut socket).await;
    assert_eq!(message["type"], "next", "{message}");
    assert!(message["payload"]["data"].is_null(), "{message}");
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{message}"
    );
    socket.close(None).await.expect("close");
}

async fn an_import_is_pushed_to_a_subscriber_after_it_commits(app: TestApp) {
    let mut socket = connect(&app, &app.admin_token).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query":
            "subscription { registerChanges(kinds: [IMPORT]) { kind batchIds eventCount
               events(first: 500) { kind person { id } } } }" } }),
    )
    .await;
    // The subscription is registered once the server has read the message; give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let report = app.import_ok(SourceKind::Township, "township.csv").await;
    let message = next_json(&mut socket).await;
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["id"], "1");
    let change = &message["payload"]["data"]["registerChanges"];
    assert_eq!(change["kind"], "IMPORT");
    assert_eq!(change["batchIds"], json!([report.batch_id.to_string()]));
    let events = change["events"].as_array().expect("events");
    let count = change["eventCount"].as_u64().expect("count");
    assert_eq!(count, app.count("resolution_event").await as u64);
    assert_eq!(events.len() as u64, count);
    assert!(count > 0, "importing new records writes events");
    let creates = events.iter().filter(|e| e["kind"] == "CREATE").count() as u32;
    assert_eq!(creates, report.persons_created);
    assert!(events.iter().all(|e| e["person"]["id"].is_string()));

    // The same file again writes nothing and announces nothing; another file does.
    app.import_ok(SourceKind::Township, "township.csv").await;
    let second = app.import_ok(SourceKind::Bigdata, "bigdata.json").await;
    let message = next_json(&mut socket).await;
    let change = &message["payload"]["data"]["registerChanges"];
    assert_eq!(
        change["batchIds"],
        json!([second.batch_id.to_string()]),
        "{message}"
    );

    send(&mut socket, json!({ "id": "1", "type": "complete" })).await;
    socket.close(None).await.expect("close");
}

/// Records a fever of `person` as the hub's admin, for `slot`; the alert's ID.
async fn fever(app: &TestApp, person: i64, slot: &str) -> String {
    let taken_at = app.register.reference.clock.now() - chrono::Duration::minutes(1);
    let (_, body) = app
        .post_as(
            Some(&app.admin_token),
            "mutation($id: ID!, $at: DateTime!, $slot: Slot) {
               recordTemperature(personId: $id, celsius: 38.4, takenAt: $at, slot: $slot) {
                 alert { id kind } } }",
            json!({ "id": person.to_string(), "at": taken_at, "slot": slot }),
        )
        .await;
    let alert = &body["data"]["recordTemperature"]["alert"];
    assert_eq!(alert["kind"], "FEVER", "{body}");
    alert["id"].as_str().expect("an alert ID").to_owned()
}

async fn a_township_officer_is_pushed_the_alerts_of_its_own_township_only(app: TestApp) {
    let today = app.register.reference.clock.today();
    let yesterday = today.pred_opt().expect("date");
    import_file(
        &app.register,
        SourceKind::Township,
        "alerts.csv",
        format!(
            "record_id,township,village,name,sex,id_number,phone,arrival_date,report_date\n\
             AL-1,城关镇,东大街社区,张伟,男,420102198507150036,13871234501,{yesterday},{today}\n\
             AL-2,长岭镇,黄冲村,刘丽,女,411599199206180260,18637612345,{yesterday},{today}\n"
        ),
    )
    .await;
    let ours = app.person_of(SourceKind::Township, "AL-1").await;
    let theirs = app.person_of(SourceKind::Township, "AL-2").await;
    let spec = TokenSpec::parse(
        Role::Township,
        Some("城关镇"),
        None,
        &app.register.reference,
    )
    .expect("spec");
    let officer = app.register.create_token(spec).await.expect("token").token;

    // Raised before the subscription: pushed from `after` on, the other township's left out.
    fever(&app, theirs, "MORNING").await;
    let first = fever(&app, ours, "MORNING").await;
    let mut socket = connect(&app, &officer).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query":
            "subscription { alertRaised(after: \"0\") { id kind state township personId celsius } }" } }),
    )
    .await;
    let message = next_json(&mut socket).await;
    assert_eq!(message["type"], "next", "{message}");
    let alert = &message["payload"]["data"]["alertRaised"];
    assert_eq!(alert["id"], first.as_str(), "{message}");
    assert_eq!(alert["township"], "城关镇");
    assert_eq!(alert["state"], "OPEN");
    assert_eq!(alert["personId"], ours.to_string());

    // Raised later: each pushed as it commits, still only the officer's township.
    fever(&app, theirs, "AFTERNOON").await;
    let second = fever(&app, ours, "AFTERNOON").await;
    let message = next_json(&mut socket).await;
    let alert = &message["payload"]["data"]["alertRaised"];
    assert_eq!(alert["id"], second.as_str(), "{message}");
    assert_eq!(alert["kind"], "FEVER");
    assert_eq!(alert["celsius"], 38.4);

    // A DASHBOARD token reads no persons' alerts.
    let spec =
        TokenSpec::parse(Role::Dashboard, None, None, &app.register.reference).expect("spec");
    let dashboard = app.register.create_token(spec).await.expect("token").token;
    assert_subscription_forbidden(&app, &dashboard, "subscription { alertRaised { id } }").await;

    send(&mut socket, json!({ "id": "1", "type": "complete" })).await;
    socket.close(None).await.expect("close");
}
