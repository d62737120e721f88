//! Follow-up of the persons in the county (issue 20): home observation and its release after
//! day 14, temperature readings (refusals, corrections), fever and missed-check alerts, the
//! responsible team, the township's scope, and an alert pushed to a subscriber.

use chrono::{DateTime, Days, NaiveDate, Utc};
use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::followup::observation::{china, china_date, slot_of};
use paicha::intake::SourceKind;
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_file};
use crate::subscriptions::{connect, next_json, send};

crate::on_every_backend!(
    an_in_county_person_is_observed_until_day_14_and_released_on_day_15,
    an_open_fever_holds_the_release_until_it_is_resolved,
    readings_are_refused_corrected_and_a_fever_raises_an_alert,
    a_missed_check_raises_one_alert_and_a_taken_check_none,
    the_team_filter_lists_persons_under_observation_without_all_five,
    a_township_officer_follows_its_own_township_only,
    an_observation_changed_by_hand_stays_as_set,
    a_fever_alert_reaches_a_subscriber_within_a_second,
    a_temperature_sheet_is_taken_row_by_row_and_bad_rows_are_reported,
    a_team_sheet_is_taken_row_by_row_in_the_callers_township,
);

/// Three persons checked on site: 张伟 in 城关镇 arrived two days ago, 刘芳 in 城关镇 a month
/// ago, 刘丽 in 长岭镇 yesterday.
fn township_sheet(today: NaiveDate) -> String {
    let ago = |days: u64| today.checked_sub_days(Days::new(days)).expect("date");
    format!(
        "record_id,township,village,name,sex,id_number,phone,arrival_date,report_date\n\
         FU-1,城关镇,东大街社区,张伟,男,420102198507150036,13871234501,{},{}\n\
         FU-2,城关镇,河口村,刘芳,女,411599199003080227,15927110002,{},{}\n\
         FU-3,长岭镇,黄冲村,刘丽,女,411599199206180260,18637612345,{},{}\n",
        ago(2),
        ago(1),
        ago(30),
        ago(29),
        ago(1),
        ago(1),
    )
}

/// The county's today and the sheet imported; the three persons' IDs.
async fn seeded(app: &TestApp) -> (NaiveDate, [i64; 3]) {
    let today = app.register.reference.clock.today();
    import_file(
        &app.register,
        SourceKind::Township,
        "followup.csv",
        township_sheet(today),
    )
    .await;
    let ids = [
        app.person_of(SourceKind::Township, "FU-1").await,
        app.person_of(SourceKind::Township, "FU-2").await,
        app.person_of(SourceKind::Township, "FU-3").await,
    ];
    (today, ids)
}

/// `h:m` China time on `date`.
fn at(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    date.and_hms_opt(h, m, 0)
        .expect("time")
        .and_local_timezone(china())
        .single()
        .expect("instant")
        .with_timezone(&Utc)
}

async fn observation(app: &TestApp, person: i64) -> Value {
    app.gql_data(
        "query($id: ID!) { person(id: $id) { observation { state startDate endDate day place note active } } }",
        json!({ "id": person.to_string() }),
    )
    .await["person"]["observation"]
        .clone()
}

/// Records a reading as the hub's admin; the whole response.
async fn record(app: &TestApp, person: i64, celsius: f64, taken_at: DateTime<Utc>) -> Value {
    record_as(app, None, person, celsius, taken_at, None).await
}

async fn record_as(
    app: &TestApp,
    token: Option<&str>,
    person: i64,
    celsius: f64,
    taken_at: DateTime<Utc>,
    slot: Option<&str>,
) -> Value {
    let token = token.unwrap_or(&app.admin_token);
    app.post_as(
        Some(token),
        "mutation($id: ID!, $c: Float!, $at: DateTime!, $slot: Slot) {
           recordTemperature(personId: $id, celsius: $c, takenAt: $at, slot: $slot) {
             correction reading { date slot celsius corrected } alert { id kind state celsius }
           } }",
        json!({ "id": person.to_string(), "c": celsius, "at": taken_at, "slot": slot }),
    )
    .await
    .1
}

fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error: {body}"))
}

async fn alerts(app: &TestApp, token: Option<&str>, filter: Value) -> Value {
    let token = token.unwrap_or(&app.admin_token);
    let (_, body) = app
        .post_as(
            Some(token),
            "query($f: AlertFilterInput) { alerts(filter: $f, first: 100) {
               totalCount edges { node { id kind state personId township date slot celsius note } } } }",
            json!({ "f": filter }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["alerts"].clone()
}

async fn an_in_county_person_is_observed_until_day_14_and_released_on_day_15(app: TestApp) {
    let (today, [zhang, liu, _]) = seeded(&app).await;
    let arrival = today.checked_sub_days(Days::new(2)).expect("date");
    let last = arrival.checked_add_days(Days::new(13)).expect("date");
    let seen = observation(&app, zhang).await;
    assert_eq!(seen["state"], "UNDER_OBSERVATION", "{seen}");
    assert_eq!(seen["startDate"], arrival.to_string());
    assert_eq!(seen["endDate"], last.to_string());
    assert_eq!(seen["day"], 3);
    assert_eq!(seen["active"], true);
    // Arrived a month ago: released from the start.
    assert_eq!(observation(&app, liu).await["state"], "RELEASED");

    // Day 14, late in the evening China time: still under observation.
    app.register
        .sweep_followup_at(at(last, 23, 59))
        .await
        .expect("sweep");
    assert_eq!(observation(&app, zhang).await["state"], "UNDER_OBSERVATION");
    // Day 15 from its first minute: released.
    let report = app
        .register
        .sweep_followup_at(at(last.succ_opt().expect("date"), 0, 0))
        .await
        .expect("sweep");
    assert!(report.released >= 1, "{report:?}");
    assert_eq!(observation(&app, zhang).await["state"], "RELEASED");
}

async fn an_open_fever_holds_the_release_until_it_is_resolved(app: TestApp) {
    let (today, [_, _, li]) = seeded(&app).await;
    let now = app.register.reference.clock.now();
    let body = record(&app, li, 38.1, now - chrono::Duration::minutes(1)).await;
    let alert = body["data"]["recordTemperature"]["alert"].clone();
    assert_eq!(alert["kind"], "FEVER", "{body}");
    assert_eq!(alert["state"], "OPEN");
    let day_15 = today.checked_add_days(Days::new(13)).expect("date");
    app.register
        .sweep_followup_at(at(day_15, 9, 0))
        .await
        .expect("sweep");
    assert_eq!(
        observation(&app, li).await["state"],
        "UNDER_OBSERVATION",
        "an open fever holds the release"
    );
    let resolved = app
        .gql_data(
            "mutation($id: ID!) { resolveAlert(id: $id, note: \"复测正常\") { state note } }",
            json!({ "id": alert["id"] }),
        )
        .await;
    assert_eq!(resolved["resolveAlert"]["state"], "RESOLVED");
    assert_eq!(resolved["resolveAlert"]["note"], "复测正常");
    app.register
        .sweep_followup_at(at(day_15, 9, 1))
        .await
        .expect("sweep");
    assert_eq!(observation(&app, li).await["state"], "RELEASED");
}

async fn readings_are_refused_corrected_and_a_fever_raises_an_alert(app: TestApp) {
    let (_, [zhang, liu, _]) = seeded(&app).await;
    let now = app.register.reference.clock.now();
    // Two readings a minute apart, in one slot of one day (China time): in the first minutes
    // of a day or slot they are taken a few minutes earlier, in the slot before (run at 00:01
    // China time, the first fell on the day before and the second was no correction).
    let rules = &app.register.reference.followup;
    let same_slot = |t: DateTime<Utc>| (china_date(t), slot_of(t, rules));
    let back = if same_slot(now - chrono::Duration::minutes(2)) == same_slot(now) {
        0
    } else {
        5
    };
    let taken = now - chrono::Duration::minutes(2 + back);
    let corrected_at = now - chrono::Duration::minutes(1 + back);
    let first = record(&app, zhang, 36.5, taken).await;
    assert!(first.get("errors").is_none(), "{first}");
    assert_eq!(first["data"]["recordTemperature"]["correction"], false);
    assert!(first["data"]["recordTemperature"]["alert"].is_null());
    let slot = first["data"]["recordTemperature"]["reading"]["slot"].clone();
    // The same slot again: a correction, kept beside the first.
    let second = record(&app, zhang, 36.8, corrected_at).await;
    assert_eq!(
        second["data"]["recordTemperature"]["correction"], true,
        "{second}"
    );
    assert_eq!(second["data"]["recordTemperature"]["reading"]["slot"], slot);
    let readings = app
        .gql_data(
            "query($id: ID!) { person(id: $id) { readings { date slot celsius takenAt corrected } } }",
            json!({ "id": zhang.to_string() }),
        )
        .await["person"]["readings"]
        .clone();
    let readings = readings.as_array().expect("readings");
    assert_eq!(readings.len(), 2, "{readings:?}");
    assert_eq!(readings[0]["celsius"], 36.5);
    assert_eq!(readings[0]["corrected"], true);
    assert_eq!(readings[1]["celsius"], 36.8);
    assert_eq!(readings[1]["corrected"], false);
    assert_eq!(readings[1]["date"], china_date(taken).to_string());

    // Refusals, each saying why in Chinese.
    let implausible = record(&app, zhang, 45.0, taken).await;
    assert_eq!(error_code(&implausible), "BAD_USER_INPUT");
    assert!(
        implausible["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("45") && m.contains("34")),
        "{implausible}"
    );
    let future = record(&app, zhang, 36.6, now + chrono::Duration::hours(2)).await;
    assert_eq!(error_code(&future), "BAD_USER_INPUT");
    assert!(
        future["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("晚于当前时间")),
        "{future}"
    );
    let released = record(&app, liu, 36.6, taken).await;
    assert_eq!(error_code(&released), "BAD_USER_INPUT");
    assert!(
        released["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("不在居家医学观察中")),
        "{released}"
    );
    assert_eq!(
        app.count("temperature_reading").await,
        2,
        "nothing refused is kept"
    );

    // A fever: an alert, acknowledged then resolved, once each.
    let fever = record_as(&app, None, zhang, 37.3, taken, Some("AFTERNOON")).await;
    let alert = fever["data"]["recordTemperature"]["alert"].clone();
    assert_eq!(alert["kind"], "FEVER", "{fever}");
    assert_eq!(alert["celsius"], 37.3);
    let listed = alerts(&app, None, json!({ "kind": "FEVER", "state": "OPEN" })).await;
    assert_eq!(listed["totalCount"], 1, "{listed}");
    assert_eq!(listed["edges"][0]["node"]["personId"], zhang.to_string());
    assert_eq!(listed["edges"][0]["node"]["township"], "城关镇");
    let answer = |mutation: &'static str| {
        let app = &app;
        let id = alert["id"].clone();
        async move {
            app.gql(
                &format!("mutation($id: ID!) {{ {mutation}(id: $id, note: \"已电话联系\") {{ state note }} }}"),
                json!({ "id": id }),
            )
            .await
        }
    };
    let acknowledged = answer("acknowledgeAlert").await;
    assert_eq!(
        acknowledged["data"]["acknowledgeAlert"]["state"],
        "ACKNOWLEDGED"
    );
    assert_eq!(error_code(&answer("acknowledgeAlert").await), "CONFLICT");
    let resolved = answer("resolveAlert").await;
    assert_eq!(resolved["data"]["resolveAlert"]["state"], "RESOLVED");
    assert_eq!(error_code(&answer("resolveAlert").await), "CONFLICT");
    assert_eq!(
        alerts(&app, None, json!({ "state": "OPEN", "kind": "FEVER" })).await["totalCount"],
        0
    );
}

async fn a_missed_check_raises_one_alert_and_a_taken_check_none(app: TestApp) {
    let (_, [zhang, _, li]) = seeded(&app).await;
    let now = app.register.reference.clock.now();
    let taken = now - chrono::Duration::minutes(1);
    let body = record(&app, zhang, 36.4, taken).await;
    let slot = body["data"]["recordTemperature"]["reading"]["slot"].clone();
    assert!(slot.is_string(), "{body}");

    // A day later, every check due since the register knew them and not taken is missed.
    let later = now + chrono::Duration::days(1);
    let report = app.register.sweep_followup_at(later).await.expect("sweep");
    assert!(report.missed >= 2, "{report:?}");
    let missed = alerts(&app, None, json!({ "kind": "MISSED_CHECK" })).await;
    let edges = missed["edges"].as_array().expect("edges");
    assert_eq!(missed["totalCount"].as_u64(), Some(report.missed as u64));
    assert!(edges.iter().all(|e| e["node"]["state"] == "OPEN"));
    for person in [zhang, li] {
        let id = person.to_string();
        assert!(
            edges.iter().any(|e| e["node"]["personId"] == id.as_str()),
            "{person}: {missed}"
        );
    }
    // The check's day is the reading's (a minute before China midnight, yesterday's).
    let (zhang_id, taken_day) = (zhang.to_string(), china_date(taken).to_string());
    assert!(
        !edges
            .iter()
            .any(|e| e["node"]["personId"] == zhang_id.as_str()
                && e["node"]["date"] == taken_day.as_str()
                && e["node"]["slot"] == slot),
        "the check taken is not missed: {missed}"
    );
    // Sweeping again raises nothing new.
    let again = app.register.sweep_followup_at(later).await.expect("sweep");
    assert_eq!(again.missed, 0);
    // The township filter.
    let here = alerts(
        &app,
        None,
        json!({ "kind": "MISSED_CHECK", "township": "長嶺" }),
    )
    .await;
    let here_edges = here["edges"].as_array().expect("edges");
    assert!(!here_edges.is_empty());
    assert!(here_edges.iter().all(|e| e["node"]["township"] == "长岭镇"));
    let (_, unknown) = app
        .post_as(
            Some(&app.admin_token),
            "{ alerts(filter: { township: \"火星镇\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT");
}

async fn the_team_filter_lists_persons_under_observation_without_all_five(app: TestApp) {
    let (_, [zhang, liu, li]) = seeded(&app).await;
    let all_five = json!([
        { "role": "TOWNSHIP_CADRE", "name": "王强", "phone": "13900000001" },
        { "role": "VILLAGE_CADRE", "name": "李娜", "phone": "13900000002" },
        { "role": "VILLAGE_DOCTOR", "name": "赵敏", "phone": "13900000003" },
        { "role": "POLICE_OFFICER", "name": "孙杰", "phone": "13900000004" },
        { "role": "GRID_WORKER", "name": "周平", "phone": "13900000005" },
    ]);
    let assign = "mutation($id: ID!, $m: [TeamMemberInput!]!) {
        assignTeam(personId: $id, members: $m) { role name phone } }";
    let team = app
        .gql_data(assign, json!({ "id": zhang.to_string(), "m": all_five }))
        .await["assignTeam"]
        .clone();
    assert_eq!(team.as_array().map(Vec::len), Some(5));
    assert_eq!(team[0]["role"], "TOWNSHIP_CADRE");
    assert_eq!(team[0]["phone"], "139****0001", "masked by default");
    let partial = json!([{ "role": "VILLAGE_DOCTOR", "name": "赵敏", "phone": "13900000003" }]);
    app.gql_data(assign, json!({ "id": li.to_string(), "m": partial }))
        .await;
    let duplicate = json!([
        { "role": "VILLAGE_DOCTOR", "name": "赵敏", "phone": "13900000003" },
        { "role": "VILLAGE_DOCTOR", "name": "钱多", "phone": "13900000006" },
    ]);
    let refused = app
        .gql(assign, json!({ "id": li.to_string(), "m": duplicate }))
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");

    let listed = |incomplete: bool| {
        let app = &app;
        async move {
            let data = app
                .gql_data(
                    "query($i: Boolean) { persons(first: 50, filter: { teamIncomplete: $i }) { edges { node { id } } } }",
                    json!({ "i": incomplete }),
                )
                .await;
            let mut ids: Vec<String> = data["persons"]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
                .collect();
            ids.sort();
            ids
        }
    };
    // 刘丽 lacks four roles; 刘芳 is released, so not listed either way.
    assert_eq!(listed(true).await, vec![li.to_string()]);
    assert_eq!(listed(false).await, vec![zhang.to_string()]);
    let unmasked = app
        .gql_data(
            "query($id: ID!) { person(id: $id) { team { role name phone(unmasked: true) } } }",
            json!({ "id": zhang.to_string() }),
        )
        .await;
    assert_eq!(unmasked["person"]["team"][0]["phone"], "13900000001");
    assert_eq!(unmasked["person"]["team"][4]["role"], "GRID_WORKER");
    let _ = liu;
}

async fn a_township_officer_follows_its_own_township_only(app: TestApp) {
    let (_, [zhang, _, li]) = seeded(&app).await;
    let now = app.register.reference.clock.now();
    let spec = TokenSpec::parse(
        Role::Township,
        Some("城关镇"),
        None,
        &app.register.reference,
    )
    .expect("spec");
    let officer = app.register.create_token(spec).await.expect("token").token;
    let spec =
        TokenSpec::parse(Role::Dashboard, None, None, &app.register.reference).expect("spec");
    let dashboard = app.register.create_token(spec).await.expect("token").token;
    let taken = now - chrono::Duration::minutes(1);

    let own = record_as(&app, Some(&officer), zhang, 38.0, taken, None).await;
    assert!(own.get("errors").is_none(), "{own}");
    let other = record_as(&app, Some(&officer), li, 38.0, taken, None).await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    let by_admin = record(&app, li, 38.2, taken).await;
    assert!(by_admin.get("errors").is_none(), "{by_admin}");

    assert_eq!(alerts(&app, None, json!({})).await["totalCount"], 2);
    let seen = alerts(&app, Some(&officer), json!({})).await;
    assert_eq!(seen["totalCount"], 1, "{seen}");
    assert_eq!(seen["edges"][0]["node"]["personId"], zhang.to_string());
    // Even when asking for another township.
    assert_eq!(
        alerts(&app, Some(&officer), json!({ "township": "长岭镇" })).await["totalCount"],
        0
    );
    // An alert of another township cannot be answered.
    let theirs =
        alerts(&app, None, json!({ "township": "长岭镇" })).await["edges"][0]["node"]["id"].clone();
    let (_, body) = app
        .post_as(
            Some(&officer),
            "mutation($id: ID!) { resolveAlert(id: $id) { state } }",
            json!({ "id": theirs }),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let (_, body) = app
        .post_as(
            Some(&officer),
            "mutation($id: ID!) { updateObservation(personId: $id, state: LOST_CONTACT) { state } }",
            json!({ "id": li.to_string() }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    // A dashboard lists no alerts.
    let (_, body) = app
        .post_as(Some(&dashboard), "{ alerts { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
}

async fn an_observation_changed_by_hand_stays_as_set(app: TestApp) {
    let (today, [zhang, _, _]) = seeded(&app).await;
    let update = "mutation($id: ID!, $s: ObservationState!, $p: String) {
        updateObservation(personId: $id, state: $s, place: $p, note: \"送县人民医院\") { state place note } }";
    let no_place = app
        .gql(
            update,
            json!({ "id": zhang.to_string(), "s": "TRANSFERRED" }),
        )
        .await;
    assert_eq!(error_code(&no_place), "BAD_USER_INPUT");
    let moved = app
        .gql_data(
            update,
            json!({ "id": zhang.to_string(), "s": "TRANSFERRED", "p": "县人民医院" }),
        )
        .await;
    assert_eq!(moved["updateObservation"]["state"], "TRANSFERRED");
    assert_eq!(moved["updateObservation"]["place"], "县人民医院");
    // The sweep leaves it, after the period too; readings are refused.
    app.register
        .sweep_followup_at(at(
            today.checked_add_days(Days::new(20)).expect("date"),
            9,
            0,
        ))
        .await
        .expect("sweep");
    let seen = observation(&app, zhang).await;
    assert_eq!(seen["state"], "TRANSFERRED");
    assert_eq!(seen["note"], "送县人民医院");
    let now = app.register.reference.clock.now();
    let refused = record(&app, zhang, 36.5, now - chrono::Duration::minutes(1)).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    // A person never in the county has no observation to change.
    let (_, body) = app
        .post_as(
            Some(&app.admin_token),
            "mutation { updateObservation(personId: \"999999\", state: LOST_CONTACT) { state } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
}

async fn a_fever_alert_reaches_a_subscriber_within_a_second(app: TestApp) {
    let (_, [zhang, _, _]) = seeded(&app).await;
    let mut socket = connect(&app, &app.admin_token).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query":
            "subscription { registerChanges(kinds: [ALERT]) { kind } }" } }),
    )
    .await;
    // The subscription is registered once the server has read the message.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let now = app.register.reference.clock.now();
    let body = record(&app, zhang, 38.6, now - chrono::Duration::minutes(1)).await;
    assert!(body.get("errors").is_none(), "{body}");
    let committed = std::time::Instant::now();
    let message = tokio::time::timeout(std::time::Duration::from_secs(1), next_json(&mut socket))
        .await
        .expect("the alert within a second");
    assert!(committed.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(
        message["payload"]["data"]["registerChanges"]["kind"],
        "ALERT"
    );
    send(&mut socket, json!({ "id": "1", "type": "complete" })).await;
    socket.close(None).await.expect("close");
}

async fn import_sheet(app: &TestApp, name: &str, sheet: Vec<u8>) -> Value {
    let operations = json!({
        "query": "mutation($f: Upload!) { importTemperatures(file: $f) {
            rows readings corrections fevers rejected { row reason } } }",
        "variables": { "f": null },
    });
    app.upload_as(Some(&app.admin_token), &operations, name, sheet)
        .await
        .1
}

async fn a_temperature_sheet_is_taken_row_by_row_and_bad_rows_are_reported(app: TestApp) {
    let (today, [zhang, liu, li]) = seeded(&app).await;
    let day = today.pred_opt().expect("date");
    let sheet = format!(
        "人员编号,身份证号,姓名,联系电话,日期,上午,下午\n\
         {zhang},,,,{day},36.5,36.7℃\n\
         ,411599199206180260,,,{day},37.5,\n\
         ,,刘丽,186 3761 2345,{day},,36.6\n\
         {liu},,,,{day},36.5,\n\
         {zhang},,,,{day},45,\n\
         999999,,,,{day},36.5,\n\
         {zhang},,,,昨天,36.5,\n\
         {zhang},,,,{day},,\n"
    );
    let body = import_sheet(&app, "体温.csv", sheet.into_bytes()).await;
    assert!(body.get("errors").is_none(), "{body}");
    let report = &body["data"]["importTemperatures"];
    assert_eq!(report["rows"], 8, "{report}");
    assert_eq!(report["readings"], 4, "{report}");
    assert_eq!(report["fevers"], 1, "{report}");
    assert_eq!(report["corrections"], 0, "{report}");
    let rejected: Vec<u64> = report["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| r["row"].as_u64().expect("row"))
        .collect();
    assert_eq!(rejected, vec![5, 6, 7, 8, 9], "{report}");
    let reason = |row: usize| report["rejected"][row]["reason"].as_str().expect("reason");
    assert!(reason(0).contains("不在居家医学观察中"), "{report}");
    assert!(reason(1).contains("45"), "{report}");
    assert!(reason(3).contains("日期"), "{report}");
    assert_eq!(app.count("temperature_reading").await, 4);
    let open = alerts(&app, None, json!({ "kind": "FEVER" })).await;
    assert_eq!(open["edges"][0]["node"]["personId"], li.to_string());
    assert_eq!(open["edges"][0]["node"]["slot"], "MORNING");

    // The same sheet again: every reading a correction, nothing counted twice.
    let again = format!("人员编号,日期,上午,下午\n{zhang},{day},36.5,36.7\n");
    let body = import_sheet(&app, "体温.csv", again.into_bytes()).await;
    assert_eq!(
        body["data"]["importTemperatures"]["corrections"], 2,
        "{body}"
    );
    let readings = app
        .gql_data(
            "query($id: ID!) { person(id: $id) { readings { corrected } } }",
            json!({ "id": zhang.to_string() }),
        )
        .await;
    let counted = readings["person"]["readings"]
        .as_array()
        .expect("readings")
        .iter()
        .filter(|r| r["corrected"] == false)
        .count();
    assert_eq!(counted, 2);

    // A sheet without the columns it needs, or not a sheet, is refused whole.
    let body = import_sheet(&app, "体温.csv", "姓名,日期\n张伟,2020-01-01\n".into()).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let body = import_sheet(&app, "体温.json", b"[]".to_vec()).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(app.count("temperature_reading").await, 6);
}

/// `paicha import temperatures` and `paicha import teams`, on a county whose today is pinned: the report per file, rows
/// refused with their numbers.
#[test]
fn the_command_line_imports_a_temperature_sheet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    crate::helpers::run_ok(
        crate::helpers::paicha_command(&db)
            .args(["--today", "2020-01-27", "import", "township"])
            .arg(crate::helpers::sample("township.csv")),
    );
    // 张伟 arrived on 21 January: observed until 3 February.
    let sheet = dir.path().join("体温.csv");
    std::fs::write(
        &sheet,
        "身份证号,日期,上午,下午\n\
         420102198507150036,2020-01-26,36.5,38.0\n\
         420102198507150036,2020-01-19,36.5,\n",
    )
    .expect("write the sheet");
    let out = crate::helpers::run_ok(
        crate::helpers::paicha_command(&db)
            .args(["--today", "2020-01-27", "import", "temperatures", "--json"])
            .arg(&sheet),
    );
    let reports: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(reports[0]["rows"], 2, "{reports}");
    assert_eq!(reports[0]["readings"], 2, "{reports}");
    assert_eq!(reports[0]["fevers"], 1, "{reports}");
    assert_eq!(reports[0]["rejected"][0]["row"], 3, "{reports}");
    assert!(
        reports[0]["rejected"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("观察期")),
        "{reports}"
    );

    // A team sheet (五包一): one row per person, a name and a phone per role.
    let teams = dir.path().join("包保.csv");
    std::fs::write(
        &teams,
        "身份证号,乡镇干部,乡镇干部电话,村干部,村干部电话,村医,村医电话,民警,民警电话,网格员,网格员电话\n\
         420102198507150036,王强,13900000001,李娜,13900000002,赵敏,13900000003,孙杰,13900000004,周平,13900000005\n\
         411599199003080227,王强,13900000001,,,,,,,,\n\
         420102198507150036,王强,,,,,,,,,\n\
         420102198507150036,,,,,,,,,,\n",
    )
    .expect("write the sheet");
    let out = crate::helpers::run_ok(
        crate::helpers::paicha_command(&db)
            .args(["--today", "2020-01-27", "import", "teams", "--json"])
            .arg(&teams),
    );
    let reports: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(reports[0]["rows"], 4, "{reports}");
    assert_eq!(reports[0]["teams"], 2, "{reports}");
    assert_eq!(reports[0]["rejected"][0]["row"], 4, "{reports}");
    assert_eq!(reports[0]["rejected"][1]["row"], 5, "{reports}");
}

async fn import_teams_as(app: &TestApp, token: &str, sheet: String) -> Value {
    let operations = json!({
        "query": "mutation($f: Upload!) { importTeams(file: $f) { rows teams rejected { row reason } } }",
        "variables": { "f": null },
    });
    let (_, body) = app
        .upload_as(Some(token), &operations, "包保.csv", sheet.into_bytes())
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["importTeams"].clone()
}

async fn team_roles(app: &TestApp, person: i64) -> usize {
    app.gql_data(
        "query($id: ID!) { person(id: $id) { team { role } } }",
        json!({ "id": person.to_string() }),
    )
    .await["person"]["team"]
        .as_array()
        .expect("team")
        .len()
}

async fn a_team_sheet_is_taken_row_by_row_in_the_callers_township(app: TestApp) {
    let (_, [zhang, _, li]) = seeded(&app).await;
    let spec = TokenSpec::parse(
        Role::Township,
        Some("城关镇"),
        None,
        &app.register.reference,
    )
    .expect("spec");
    let officer = app.register.create_token(spec).await.expect("token").token;
    let header = "人员编号,乡镇干部,乡镇干部电话,村干部,村干部电话,村医,村医电话,民警,民警电话,网格员,网格员电话";
    let full = "周建国,13903760001,孙丽华,13903760002,吴春生,13903760003,郑国强,13903760004,钱晓燕,13903760005";
    let sheet = format!("{header}\n{zhang},{full}\n{li},{full}\n{zhang},周建国,,,,,,,,,\n");
    // 城关镇's officer: 张伟's team taken; 刘丽 (长岭镇) not found in its scope; a member
    // without a phone refused.
    let report = import_teams_as(&app, &officer, sheet.clone()).await;
    assert_eq!(report["rows"], 3, "{report}");
    assert_eq!(report["teams"], 1, "{report}");
    let rejected: Vec<u64> = report["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| r["row"].as_u64().expect("row"))
        .collect();
    assert_eq!(rejected, vec![3, 4], "{report}");
    assert!(
        report["rejected"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("找不到此人")),
        "{report}"
    );
    assert_eq!(team_roles(&app, zhang).await, 5);
    assert_eq!(team_roles(&app, li).await, 0);

    // The hub's admin: both persons.
    let report = import_teams_as(&app, &app.admin_token, sheet).await;
    assert_eq!(report["teams"], 2, "{report}");
    assert_eq!(team_roles(&app, li).await, 5);
}
