//! The demo (`serve --demo`) shows the follow-up (issue 20): persons under observation with
//! readings twice a day over several days, one open fever alert, a missed check, one
//! incomplete team, worklists with persons on them, and a township form whose remark places a
//! person outside the county; and it is the same whatever the real time of day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use paicha::followup::observation::china;
use serde_json::{Value, json};

use paicha::access::Role;
use paicha::access::token::TokenSpec;

use crate::helpers::{Backend, TestApp, spawn_demo_app};

crate::on_both_backends!(
    the_demo_shows_the_follow_up_through_graphql,
    the_demo_sweeps_to_nothing_new_at_any_hour_of_its_last_day,
    a_dashboard_reads_the_follow_up_in_figures,
    aggregates_count_observation_states_by_township_and_by_day,
    stats_count_alerts_by_township_and_by_day,
);

async fn seeded(backend: Backend) -> TestApp {
    let app = spawn_demo_app(backend).await.expect("the backend");
    assert_eq!(paicha::demo::seed(&app.register).await.expect("demo"), 3);
    app
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("an integer: {v}"))
}

async fn alert_count(app: &TestApp, filter: Value) -> i64 {
    let data = app
        .gql_data(
            "query($f: AlertFilterInput) { alerts(filter: $f, first: 1) { totalCount } }",
            json!({ "f": filter }),
        )
        .await;
    int(&data["alerts"]["totalCount"])
}

/// Every person in the county with their observation, readings, team and evidence.
async fn in_county(app: &TestApp) -> Vec<Value> {
    let data = app
        .gql_data(
            "{ persons(filter: { locationStatus: [IN_COUNTY] }, first: 500) { totalCount edges { node {
                 id observation { state active } readings { date slot celsius corrected }
                 team { role } } } } }",
            json!({}),
        )
        .await;
    let persons = &data["persons"];
    let nodes: Vec<Value> = persons["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(nodes.len() as i64, int(&persons["totalCount"]));
    nodes
}

async fn the_demo_shows_the_follow_up_through_graphql(backend: Backend) {
    let app = seeded(backend).await;

    // Persons under observation, with readings twice a day over several days.
    let persons = in_county(&app).await;
    let watched: Vec<&Value> = persons
        .iter()
        .filter(|p| p["observation"]["state"] == "UNDER_OBSERVATION")
        .collect();
    assert!(watched.len() >= 10, "{} under observation", watched.len());
    for person in &watched {
        let mut slots: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for r in person["readings"].as_array().expect("readings") {
            slots
                .entry(r["date"].as_str().expect("date"))
                .or_default()
                .insert(r["slot"].as_str().expect("slot"));
        }
        assert!(!slots.is_empty(), "no readings: {person}");
        let last = slots.keys().next_back().copied();
        assert_eq!(last, Some("2020-02-01"), "{person}");
        // Every day but the last has both checks (the missed one is on the last day).
        for (day, taken) in slots.iter().rev().skip(1) {
            assert_eq!(taken.len(), 2, "{day}: {person}");
        }
    }
    assert!(
        watched
            .iter()
            .any(|p| p["readings"].as_array().expect("readings").len() >= 10),
        "readings over several days"
    );

    // Exactly one open fever, at least one missed check.
    assert_eq!(
        alert_count(&app, json!({ "kind": "FEVER", "state": "OPEN" })).await,
        1
    );
    assert_eq!(alert_count(&app, json!({ "kind": "FEVER" })).await, 1);
    let missed = alert_count(&app, json!({ "kind": "MISSED_CHECK" })).await;
    assert!(missed >= 1, "{missed} missed checks");

    // One incomplete team; everyone else under observation has all five.
    let incomplete = app
        .gql_data(
            "{ persons(filter: { teamIncomplete: true }) { totalCount edges { node { id team { role } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(int(&incomplete["persons"]["totalCount"]), 1, "{incomplete}");
    let lacking = incomplete["persons"]["edges"][0]["node"]["id"].clone();
    for person in &watched {
        let roles = person["team"].as_array().expect("team").len();
        if person["id"] == lacking {
            assert!((1..5).contains(&roles), "{person}");
        } else {
            assert_eq!(roles, 5, "{person}");
        }
    }

    // Worklists with persons on them: the county's own and a township's.
    let mut townships_with_work = 0;
    for township in app
        .register
        .reference
        .gazetteer
        .townships
        .iter()
        .map(|t| t.name.clone())
    {
        let data = app
            .gql_data(
                "query($t: String) { verificationWorklist(township: $t, first: 1) { totalCount } }",
                json!({ "t": township }),
            )
            .await;
        if int(&data["verificationWorklist"]["totalCount"]) > 0 {
            townships_with_work += 1;
        }
    }
    assert!(townships_with_work >= 1, "no township has a worklist");
    let county = app
        .gql_data(
            "{ verificationWorklist(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(
        int(&county["verificationWorklist"]["totalCount"]) >= 1,
        "{county}"
    );

    // A township form whose remark places a person outside the county, and decides.
    let away = app
        .gql_data(
            "{ persons(filter: { locationStatus: [OUT_OF_COUNTY], source: [TOWNSHIP] }, first: 500) {
                 edges { node { id locationEvidence { source rule status deciding place { code name } } } } } }",
            json!({}),
        )
        .await;
    let placed_by_remark = away["persons"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .flat_map(|e| {
            e["node"]["locationEvidence"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|ev| {
            ev["source"] == "TOWNSHIP"
                && ev["status"] == "OUT_OF_COUNTY"
                && ev["deciding"] == true
                && ev["rule"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("remark."))
                && ev["place"]["code"].is_string()
        })
        .count();
    assert!(placed_by_remark >= 1, "{away}");
}

/// `h:m` China time on the demo's last day.
fn last_day_at(h: u32, m: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2020, 2, 1)
        .and_then(|d| d.and_hms_opt(h, m, 0))
        .and_then(|t| t.and_local_timezone(china()).single())
        .expect("instant")
        .with_timezone(&Utc)
}

async fn the_demo_sweeps_to_nothing_new_at_any_hour_of_its_last_day(backend: Backend) {
    let app = seeded(backend).await;
    let before = app.count("followup_alert").await;
    // What the server's sweeper does at its start and every minute, on its pinned today at
    // the real time of day …
    let synced = app.register.sync_observations().await.expect("sync");
    assert_eq!(synced, Default::default());
    let swept = app.register.sweep_followup().await.expect("sweep");
    assert_eq!(swept, Default::default());
    // … and at any hour of that day, before and after each check falls due.
    for (h, m) in [
        (0, 5),
        (8, 0),
        (11, 59),
        (12, 1),
        (15, 30),
        (19, 59),
        (20, 1),
        (23, 59),
    ] {
        let swept = app
            .register
            .sweep_followup_at(last_day_at(h, m))
            .await
            .expect("sweep");
        assert_eq!(swept, Default::default(), "at {h}:{m}");
    }
    assert_eq!(app.count("followup_alert").await, before);
}

const FOLLOWUP_FIGURES: &str = "{ stats { suppressedBelow followup {
    byObservationState { state count } openAlertsByKind { kind count }
    alertsByState { state count } countyWorklist worklistByTownship { township count }
    teamIncomplete } } }";

/// The count of the entry of `list` whose `key` is `value`.
fn count_of(list: &Value, key: &str, value: &str) -> Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|e| e[key] == value)
        .unwrap_or_else(|| panic!("{value} in {list}"))["count"]
        .clone()
}

async fn a_dashboard_reads_the_follow_up_in_figures(backend: Backend) {
    let app = seeded(backend).await;
    let admin = app.gql_data(FOLLOWUP_FIGURES, json!({})).await;
    assert!(admin["stats"]["suppressedBelow"].is_null(), "{admin}");
    let figures = &admin["stats"]["followup"];

    // Each figure is what the lists themselves count.
    let watched = in_county(&app)
        .await
        .iter()
        .filter(|p| p["observation"]["state"] == "UNDER_OBSERVATION")
        .count() as i64;
    assert_eq!(
        int(&count_of(
            &figures["byObservationState"],
            "state",
            "UNDER_OBSERVATION"
        )),
        watched
    );
    assert_eq!(
        int(&count_of(&figures["openAlertsByKind"], "kind", "FEVER")),
        1
    );
    assert_eq!(
        int(&count_of(
            &figures["openAlertsByKind"],
            "kind",
            "MISSED_CHECK"
        )),
        alert_count(&app, json!({ "kind": "MISSED_CHECK", "state": "OPEN" })).await
    );
    for state in ["OPEN", "ACKNOWLEDGED", "RESOLVED"] {
        assert_eq!(
            int(&count_of(&figures["alertsByState"], "state", state)),
            alert_count(&app, json!({ "state": state })).await,
            "{state}"
        );
    }
    assert_eq!(int(&figures["teamIncomplete"]), 1);
    let list = |township: Value| {
        let app = &app;
        async move {
            let data = app
                .gql_data(
                    "query($t: String) { verificationWorklist(township: $t, first: 1) { totalCount } }",
                    json!({ "t": township }),
                )
                .await;
            int(&data["verificationWorklist"]["totalCount"])
        }
    };
    assert_eq!(int(&figures["countyWorklist"]), list(Value::Null).await);
    let townships = figures["worklistByTownship"].as_array().expect("townships");
    assert_eq!(
        townships.len(),
        app.register.reference.gazetteer.townships.len()
    );
    for t in townships {
        assert_eq!(int(&t["count"]), list(t["township"].clone()).await, "{t}");
    }

    // A dashboard reads the same figures, small ones withheld, and nothing of a person.
    let spec =
        TokenSpec::parse(Role::Dashboard, None, None, &app.register.reference).expect("spec");
    let dashboard = app.register.create_token(spec).await.expect("token").token;
    let (_, body) = app
        .post_as(Some(&dashboard), FOLLOWUP_FIGURES, json!({}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let min = int(&body["data"]["stats"]["suppressedBelow"]);
    let shown = &body["data"]["stats"]["followup"];
    assert!(
        shown["teamIncomplete"].is_null(),
        "1 is below {min}: {shown}"
    );
    assert_eq!(
        count_of(&shown["byObservationState"], "state", "UNDER_OBSERVATION"),
        json!(watched)
    );
    for (list, key) in [
        ("byObservationState", "state"),
        ("openAlertsByKind", "kind"),
        ("alertsByState", "state"),
        ("worklistByTownship", "township"),
    ] {
        for entry in shown[list].as_array().expect("a list") {
            let value = entry[key].as_str().expect("a key");
            let full = count_of(&figures[list], key, value);
            // Withheld, or the same count; a count below the minimum (but zero) is never shown.
            assert!(
                entry["count"].is_null()
                    || (entry["count"] == full && (int(&full) == 0 || int(&full) >= min)),
                "{list} {value}: {entry} against {full}"
            );
        }
    }
    let (_, refused) = app
        .post_as(
            Some(&dashboard),
            "{ alerts(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(refused["errors"].is_array(), "{refused}");
}

const OBSERVATION_GROUPS: &str = "query($by: [GroupBy!]) { aggregates(groupBy: $by) {
    suppressedBelow groups { keys { township day observationState } count runningTotal } } }";

/// Every person with their township, first day reported and observation.
async fn everyone(app: &TestApp) -> Vec<Value> {
    let data = app
        .gql_data(
            "{ persons(first: 500) { totalCount edges { node {
                 township firstReported observation { state active } } } } }",
            json!({}),
        )
        .await;
    let nodes: Vec<Value> = data["persons"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(nodes.len() as i64, int(&data["persons"]["totalCount"]));
    nodes
}

/// A person's observation state now (null: not observed in the county now).
fn state_now(p: &Value) -> Value {
    match p["observation"]["active"].as_bool() {
        Some(true) => p["observation"]["state"].clone(),
        _ => Value::Null,
    }
}

async fn aggregates_count_observation_states_by_township_and_by_day(backend: Backend) {
    let app = seeded(backend).await;
    let persons = everyone(&app).await;
    let figures = app
        .gql_data(
            "{ stats { followup { byObservationState { state count } } } }",
            json!({}),
        )
        .await;
    let states = [
        "UNDER_OBSERVATION",
        "RELEASED",
        "TRANSFERRED",
        "LOST_CONTACT",
    ];

    // By township: every township of the gazetteer under every state and none, zero included.
    let by = app
        .gql_data(
            OBSERVATION_GROUPS,
            json!({ "by": ["TOWNSHIP", "OBSERVATION_STATE"] }),
        )
        .await["aggregates"]["groups"]
        .as_array()
        .expect("groups")
        .clone();
    let mut townships: Vec<Value> = app
        .register
        .reference
        .gazetteer
        .townships
        .iter()
        .map(|t| json!(t.name))
        .collect();
    if persons.iter().any(|p| p["township"].is_null()) {
        townships.push(Value::Null);
    }
    let mut keys: Vec<Value> = states.iter().map(|s| json!(s)).collect();
    keys.push(Value::Null);
    assert_eq!(by.len(), townships.len() * keys.len(), "{by:?}");
    for t in &townships {
        for s in &keys {
            let group = by
                .iter()
                .find(|g| g["keys"]["township"] == *t && g["keys"]["observationState"] == *s)
                .unwrap_or_else(|| panic!("{t} {s} listed: {by:?}"));
            let want = persons
                .iter()
                .filter(|p| p["township"] == *t && state_now(p) == *s)
                .count() as i64;
            assert_eq!(int(&group["count"]), want, "{t} {s}");
        }
    }
    // The states add up to the follow-up's figures.
    for s in states {
        let sum: i64 = by
            .iter()
            .filter(|g| g["keys"]["observationState"] == s)
            .map(|g| int(&g["count"]))
            .sum();
        assert_eq!(
            json!(sum),
            count_of(
                &figures["stats"]["followup"]["byObservationState"],
                "state",
                s
            ),
            "{s}"
        );
    }
    assert!(
        by.iter()
            .any(|g| g["keys"]["observationState"] == "UNDER_OBSERVATION" && int(&g["count"]) > 0)
    );

    // By day first reported: the states of the persons reported each day, running totals.
    let by = app
        .gql_data(
            OBSERVATION_GROUPS,
            json!({ "by": ["DAY", "OBSERVATION_STATE"] }),
        )
        .await["aggregates"]["groups"]
        .as_array()
        .expect("groups")
        .clone();
    let mut running: BTreeMap<String, i64> = BTreeMap::new();
    for g in &by {
        let (day, s) = (&g["keys"]["day"], &g["keys"]["observationState"]);
        let want = persons
            .iter()
            .filter(|p| p["firstReported"] == *day && state_now(p) == *s)
            .count() as i64;
        assert_eq!(int(&g["count"]), want, "{day} {s}");
        if !day.is_null() {
            let total = running.entry(s.to_string()).or_default();
            *total += want;
            assert_eq!(int(&g["runningTotal"]), *total, "{day} {s}");
        }
    }

    // A dashboard: the same groups, those of fewer than the minimum withheld.
    let spec =
        TokenSpec::parse(Role::Dashboard, None, None, &app.register.reference).expect("spec");
    let dashboard = app.register.create_token(spec).await.expect("token").token;
    let truth = app
        .gql_data(
            OBSERVATION_GROUPS,
            json!({ "by": ["TOWNSHIP", "OBSERVATION_STATE"] }),
        )
        .await["aggregates"]["groups"]
        .clone();
    let (_, body) = app
        .post_as(
            Some(&dashboard),
            OBSERVATION_GROUPS,
            json!({ "by": ["TOWNSHIP", "OBSERVATION_STATE"] }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let min = int(&body["data"]["aggregates"]["suppressedBelow"]);
    let shown = body["data"]["aggregates"]["groups"]
        .as_array()
        .expect("groups");
    let truth = truth.as_array().expect("groups");
    assert_eq!(shown.len(), truth.len());
    let mut withheld = 0;
    for (g, t) in shown.iter().zip(truth) {
        assert_eq!(g["keys"], t["keys"]);
        let n = int(&t["count"]);
        if (1..min).contains(&n) {
            assert!(g["count"].is_null(), "{g} is {n}");
        }
        if g["count"].is_null() {
            withheld += 1;
        } else {
            assert_eq!(g["count"], t["count"]);
        }
    }
    assert!(withheld > 0, "the demo holds small groups: {truth:?}");
}

const ALERT_FIGURES: &str = "{ stats { suppressedBelow
    alertsByTownship { township kind state count } alertsByDay { day kind state count } } }";

async fn stats_count_alerts_by_township_and_by_day(backend: Backend) {
    let app = seeded(backend).await;
    let data = app
        .gql_data(
            "{ alerts(first: 500) { totalCount edges { node { township date kind state } } } }",
            json!({}),
        )
        .await;
    let alerts: Vec<Value> = data["alerts"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(alerts.len() as i64, int(&data["alerts"]["totalCount"]));
    assert!(alerts.len() >= 2, "the demo raises alerts: {alerts:?}");
    let full = app.gql_data(ALERT_FIGURES, json!({})).await["stats"].clone();
    let (kinds, states) = (3, 3);

    let by_township = full["alertsByTownship"].as_array().expect("townships");
    let townships = app.register.reference.gazetteer.townships.len();
    assert!(
        [townships, townships + 1].contains(&(by_township.len() / (kinds * states))),
        "{by_township:?}"
    );
    assert_eq!(by_township.len() % (kinds * states), 0);
    for g in by_township {
        let want = alerts
            .iter()
            .filter(|a| {
                a["township"] == g["township"] && a["kind"] == g["kind"] && a["state"] == g["state"]
            })
            .count() as i64;
        assert_eq!(int(&g["count"]), want, "{g}");
    }
    let by_day = full["alertsByDay"].as_array().expect("days");
    let days: BTreeSet<&str> = alerts
        .iter()
        .map(|a| a["date"].as_str().expect("date"))
        .collect();
    let (first, last) = (date(days.first()), date(days.last()));
    assert_eq!(
        by_day.len() as i64,
        ((last - first).num_days() + 1) * (kinds * states) as i64
    );
    for g in by_day {
        let want = alerts
            .iter()
            .filter(|a| a["date"] == g["day"] && a["kind"] == g["kind"] && a["state"] == g["state"])
            .count() as i64;
        assert_eq!(int(&g["count"]), want, "{g}");
    }

    // A dashboard: the same cells, small counts withheld.
    let spec =
        TokenSpec::parse(Role::Dashboard, None, None, &app.register.reference).expect("spec");
    let dashboard = app.register.create_token(spec).await.expect("token").token;
    let (_, body) = app
        .post_as(Some(&dashboard), ALERT_FIGURES, json!({}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let shown = &body["data"]["stats"];
    let min = int(&shown["suppressedBelow"]);
    for list in ["alertsByTownship", "alertsByDay"] {
        let (shown, full) = (
            shown[list].as_array().expect("shown"),
            full[list].as_array().expect("full"),
        );
        assert_eq!(shown.len(), full.len());
        for (s, f) in shown.iter().zip(full) {
            let n = int(&f["count"]);
            assert!(
                (s["count"].is_null() && n > 0)
                    || (s["count"] == f["count"] && (n == 0 || n >= min)),
                "{list}: {s} against {f}"
            );
        }
    }
}

fn date(d: Option<&&str>) -> NaiveDate {
    d.expect("a day").parse().expect("a date")
}
