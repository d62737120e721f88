//! Issue 25, the review queue people can work through: a phone-only row that fits several
//! members of one household is linked to the household and becomes one call on the
//! township's worklist (never merged, no review pairs); the queue grouped per record.

use paicha::intake::SourceKind::{Bigdata, Township};
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_family_with_a_shared_phone, import_file};

crate::on_every_backend!(
    a_phone_only_row_fitting_a_household_is_one_call_not_three_review_pairs,
    review_groups_hold_a_records_candidates_together,
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
