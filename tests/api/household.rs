//! Issue 25, the review queue people can work through: a phone-only row that fits several
//! members of one household is linked to the household and becomes one call on the
//! township's worklist (never merged, no review pairs); the queue grouped per record.

use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::intake::SourceKind::{Bigdata, Township};
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_family_with_a_shared_phone, import_file};

crate::on_every_backend!(
    a_phone_only_row_fitting_a_household_is_one_call_not_three_review_pairs,
    review_groups_hold_a_records_candidates_together,
    a_call_naming_the_member_joins_the_row_to_them_and_closes_the_task,
    a_call_nobody_answers_keeps_the_task_and_one_for_nobody_of_the_household_closes_it,
    a_township_records_the_calls_of_its_own_tasks_only,
);

/// A household of three on a township form (one address, one phone), and a big-data row
/// with nothing but that phone.
async fn import_household_of_three(app: &TestApp) {
    import_file(
        &app.register,
        Township,
        "household.csv",
        "record_id,township,village,name,id_number,phone,address\n\
         H1,城关镇,东大街社区,周建军,411599198104300378,13598761234,青溪县城关镇东大街社区幸福路8号\n\
         H2,城关镇,东大街社区,李秀英,411599198306120420,13598761234,青溪县城关镇东大街社区幸福路8号\n\
         H3,城关镇,东大街社区,周明,41159920110914003X,13598761234,东大街社区幸福路8号\n",
    )
    .await;
    import_file(
        &app.register,
        Bigdata,
        "phones.csv",
        "record_id,phone\nP1,13598761234\n",
    )
    .await;
}

async fn a_phone_only_row_fitting_a_household_is_one_call_not_three_review_pairs(app: TestApp) {
    import_household_of_three(&app).await;

    // Nobody merged: four persons, the phone-only row one of its own.
    let mut ids = Vec::new();
    for (source, record) in [
        (Township, "H1"),
        (Township, "H2"),
        (Township, "H3"),
        (Bigdata, "P1"),
    ] {
        ids.push(app.person_of(source, record).await);
    }
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "nobody merged: {ids:?}");

    // One household link, zero review pairs.
    assert_eq!(app.count("household_link").await, 1);
    let queue = app
        .gql_data("{ reviewCandidates { totalCount } }", json!({}))
        .await;
    assert_eq!(queue["reviewCandidates"]["totalCount"], 0, "{queue}");

    // One call on the township's worklist, with the phone masked and the three members.
    let list = app
        .gql_data(
            "{ verificationWorklist(township: \"城关镇\", first: 50) { edges { node {
                 person { id }
                 household { rule explanation phones address memberCount weight
                             members { id } }
             } } } }",
            json!({}),
        )
        .await;
    let calls: Vec<&Value> = list["verificationWorklist"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"])
        .filter(|n| !n["household"].is_null())
        .collect();
    assert_eq!(calls.len(), 1, "{list}");
    let call = calls[0];
    assert_eq!(call["person"]["id"], json!(ids[3].to_string()));
    let task = &call["household"];
    assert_eq!(task["rule"], "HOUSEHOLD");
    assert_eq!(task["memberCount"], 3);
    assert_eq!(task["phones"], json!(["135****1234"]));
    let mut members: Vec<String> = task["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect();
    members.sort();
    let mut expected: Vec<String> = ids[..3].iter().map(i64::to_string).collect();
    expected.sort();
    assert_eq!(members, expected);
    let explanation = task["explanation"].as_str().expect("explanation");
    assert!(
        explanation.contains("3 名成员") && explanation.contains("幸福路8号"),
        "{explanation}"
    );
    assert_eq!(task["address"], "青溪县城关镇东大街社区幸福路8号");
}

async fn review_groups_hold_a_records_candidates_together(app: TestApp) {
    // Without an address the family is not known as a household: two review pairs, both
    // of the phone-only row, decided together in one group.
    import_family_with_a_shared_phone(&app.register).await;
    let data = app
        .gql_data(
            "{ reviewGroups(first: 10) { totalCount edges { cursor node {
                 record { recordId } personCount recordCount bestProbability
                 candidates { id matchProbability a { recordId } b { recordId } }
             } } } }",
            json!({}),
        )
        .await;
    let groups = &data["reviewGroups"];
    assert_eq!(groups["totalCount"], 1, "{data}");
    let group = &groups["edges"][0]["node"];
    assert_eq!(group["record"]["recordId"], "P1");
    assert_eq!(group["personCount"], 3);
    assert_eq!(group["recordCount"], 3);
    let candidates = group["candidates"].as_array().expect("candidates");
    assert_eq!(candidates.len(), 2);
    let p = |c: &Value| c["matchProbability"].as_f64().expect("probability");
    assert!(p(&candidates[0]) >= p(&candidates[1]));
    assert_eq!(group["bestProbability"], candidates[0]["matchProbability"]);
    let plain = app
        .gql_data("{ reviewCandidates { totalCount } }", json!({}))
        .await;
    assert_eq!(plain["reviewCandidates"]["totalCount"], 2);
}

const CALL: &str = "mutation($id: ID!, $outcome: HouseholdOutcome!, $member: ID, $note: String) {
    resolveHouseholdLink(id: $id, outcome: $outcome, memberId: $member, note: $note) {
        outcome person { id } household { memberCount }
    } }";

/// The persons of H1, H2, H3 and P1 of [`import_household_of_three`].
async fn household_persons(app: &TestApp) -> [i64; 4] {
    [
        app.person_of(Township, "H1").await,
        app.person_of(Township, "H2").await,
        app.person_of(Township, "H3").await,
        app.person_of(Bigdata, "P1").await,
    ]
}

/// The error codes of a GraphQL answer.
fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The verdicts of the register's `DECISION` events.
async fn verdicts(app: &TestApp) -> Vec<String> {
    let data = app
        .gql_data(
            "{ events(first: 50, filter: { kinds: [DECISION] }) { edges { node { detail } } } }",
            json!({}),
        )
        .await;
    data["events"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            e["node"]["detail"]["verdict"]
                .as_str()
                .expect("verdict")
                .to_owned()
        })
        .collect()
}

async fn a_call_naming_the_member_joins_the_row_to_them_and_closes_the_task(app: TestApp) {
    import_household_of_three(&app).await;
    let [_, wife, son, phone] = household_persons(&app).await;

    // Naming nobody, or a stranger, is refused and changes nothing.
    let vars = |outcome: &str, member: Option<i64>| {
        json!({ "id": phone.to_string(), "outcome": outcome,
                "member": member.map(|m| m.to_string()), "note": "本人接听，系妻子使用" })
    };
    let body = app.gql(CALL, vars("MEMBER", None)).await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");
    let body = app.gql(CALL, vars("MEMBER", Some(phone))).await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(app.count("household_link").await, 1);

    let data = app.gql_data(CALL, vars("MEMBER", Some(wife))).await;
    let call = &data["resolveHouseholdLink"];
    assert_eq!(call["outcome"], "MEMBER");
    assert_eq!(call["person"]["id"], json!(wife.to_string()));
    assert!(call["household"].is_null(), "{data}");

    // The row is the wife's now; the others stay apart; no link, no review pair.
    let [husband, wife_now, son_now, phone_now] = household_persons(&app).await;
    assert_eq!(phone_now, wife);
    assert_eq!((wife_now, son_now), (wife, son));
    assert!(husband != wife && son != wife);
    assert_eq!(app.count("household_link").await, 0);
    let queue = app
        .gql_data("{ reviewCandidates { totalCount } }", json!({}))
        .await;
    assert_eq!(queue["reviewCandidates"]["totalCount"], 0, "{queue}");
    assert!(
        verdicts(&app)
            .await
            .contains(&"HOUSEHOLD_MEMBER".to_owned()),
        "the call is in the phone-only person's history"
    );

    // A second call on the closed task finds none.
    let body = app.gql(CALL, vars("NOT_IN_HOUSEHOLD", None)).await;
    assert_eq!(codes(&body), ["NOT_FOUND"], "{body}");

    // Later runs keep the answer: importing the row again changes nothing.
    import_file(
        &app.register,
        Bigdata,
        "phones-again.csv",
        "record_id,phone\nP1,13598761234\n",
    )
    .await;
    assert_eq!(app.person_of(Bigdata, "P1").await, wife);
    assert_eq!(app.count("household_link").await, 0);
}

async fn a_call_nobody_answers_keeps_the_task_and_one_for_nobody_of_the_household_closes_it(
    app: TestApp,
) {
    import_household_of_three(&app).await;
    let [h1, h2, h3, phone] = household_persons(&app).await;
    let vars = |outcome: &str, member: Option<i64>| {
        json!({ "id": phone.to_string(), "outcome": outcome,
                "member": member.map(|m| m.to_string()) })
    };
    // A member named with another outcome is refused.
    let body = app.gql(CALL, vars("UNREACHABLE", Some(h1))).await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");

    let data = app.gql_data(CALL, vars("UNREACHABLE", None)).await;
    let call = &data["resolveHouseholdLink"];
    assert_eq!(call["outcome"], "UNREACHABLE");
    assert_eq!(call["person"]["id"], json!(phone.to_string()));
    assert_eq!(call["household"]["memberCount"], 3, "{data}");
    assert_eq!(app.count("household_link").await, 1, "the task stays open");

    let data = app.gql_data(CALL, vars("NOT_IN_HOUSEHOLD", None)).await;
    let call = &data["resolveHouseholdLink"];
    assert_eq!(call["person"]["id"], json!(phone.to_string()));
    assert!(call["household"].is_null(), "{data}");
    assert_eq!(household_persons(&app).await, [h1, h2, h3, phone]);
    assert_eq!(app.count("household_link").await, 0);
    let queue = app
        .gql_data("{ reviewCandidates { totalCount } }", json!({}))
        .await;
    assert_eq!(queue["reviewCandidates"]["totalCount"], 0, "{queue}");
    let mut kept = verdicts(&app).await;
    kept.sort();
    assert_eq!(
        kept,
        ["HOUSEHOLD_NOT_IN_HOUSEHOLD", "HOUSEHOLD_UNREACHABLE"],
        "both calls are in the history"
    );
}

async fn a_township_records_the_calls_of_its_own_tasks_only(app: TestApp) {
    import_household_of_three(&app).await;
    let phone = app.person_of(Bigdata, "P1").await;
    let token = |township: &'static str| {
        let app = &app;
        async move {
            let spec = TokenSpec::parse(
                Role::Township,
                Some(township),
                None,
                &app.register.reference,
            )
            .expect("spec");
            app.register.create_token(spec).await.expect("token").token
        }
    };
    let vars = json!({ "id": phone.to_string(), "outcome": "UNREACHABLE" });
    let other = token("黄湾镇").await;
    let (_, body) = app.post_as(Some(&other), CALL, vars.clone()).await;
    assert_eq!(codes(&body), ["FORBIDDEN"], "{body}");
    let own = token("城关镇").await;
    let (_, body) = app.post_as(Some(&own), CALL, vars).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["resolveHouseholdLink"]["outcome"],
        "UNREACHABLE"
    );
}
