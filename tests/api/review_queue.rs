//! The review queue: candidate IDs that survive re-resolution, decisions between persons that
//! no other pair of records reopens, answers that say why a candidate cannot be decided, and
//! the queue per pair of persons (filter, order, rival-weighed probability, notes).

use paicha::intake::SourceKind::{Bigdata, Township};
use paicha::register::query::{PageArgs, ReviewFilter, ReviewOrder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_family_with_a_shared_phone, import_file};

crate::on_every_backend!(
    a_candidate_keeps_its_id_after_another_is_decided,
    persons_decided_different_are_not_asked_again_through_another_record,
    a_candidate_decided_or_gone_says_which_and_why,
    the_queue_is_per_pair_of_persons_with_rivals_weighed_and_filters,
);

const QUEUE: &str = "query($filter: ReviewFilterInput, $order: ReviewOrder) {
    reviewCandidates(filter: $filter, orderBy: $order) {
        totalCount
        edges { node {
            id state matchProbability pairProbability totalWeight note decidedBy decidedAt
            closedReason createdAt
            a { recordId } b { recordId } personA { id } personB { id }
            pairs { id matchProbability pairProbability a { recordId } b { recordId } }
        } }
    }
}";

const DECIDE: &str = "mutation($id: ID!, $d: Decision!, $note: String) {
    decideCandidate(id: $id, decision: $d, note: $note) { id state note decidedBy decidedAt }
}";

/// The nodes of the review queue under `filter`.
async fn queue(app: &TestApp, filter: Value) -> Vec<Value> {
    let data = app
        .gql_data(QUEUE, json!({ "filter": filter, "order": null }))
        .await;
    data["reviewCandidates"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// The record IDs of a pair node (`a`, `b`).
fn records(pair: &Value) -> [String; 2] {
    let id = |side: &str| pair[side]["recordId"].as_str().unwrap_or("").to_owned();
    [id("a"), id("b")]
}

/// Whether the node has a pair of records joining `x` and `y`.
fn joins(node: &Value, x: &str, y: &str) -> bool {
    node["pairs"].as_array().expect("pairs").iter().any(|p| {
        let r = records(p);
        (r[0] == x && r[1] == y) || (r[0] == y && r[1] == x)
    })
}

/// The pair of records `x`–`y` among the queue's nodes.
fn pair_of<'a>(nodes: &'a [Value], x: &str, y: &str) -> &'a Value {
    nodes
        .iter()
        .flat_map(|n| n["pairs"].as_array().expect("pairs").iter())
        .find(|p| {
            let r = records(p);
            (r[0] == x && r[1] == y) || (r[0] == y && r[1] == x)
        })
        .unwrap_or_else(|| panic!("{x}–{y} is a review candidate: {nodes:#?}"))
}

async fn decide(app: &TestApp, id: &Value, decision: &str, note: Option<&str>) -> Value {
    app.gql(DECIDE, json!({ "id": id, "d": decision, "note": note }))
        .await
}

/// The family of `import_family_with_a_shared_phone` with a second record of the father
/// (`F3`): the phone-only row `P1` is a candidate for the father through two records.
async fn import_family_with_two_father_records(app: &TestApp) {
    import_family_with_a_shared_phone(&app.register).await;
    import_file(
        &app.register,
        Township,
        "family2.csv",
        "record_id,township,name,id_number,phone\n\
         F3,城关镇,周建军,411599198104300378,13598761234\n",
    )
    .await;
}

/// The pending candidates as `(id, [record, record])`, with the fields clients have always
/// asked for.
async fn pending_pairs(app: &TestApp) -> Vec<(Value, [String; 2])> {
    let data = app
        .gql_data(
            "{ reviewCandidates { edges { node { id a { recordId } b { recordId } } } } }",
            json!({}),
        )
        .await;
    data["reviewCandidates"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| (e["node"]["id"].clone(), records(&e["node"])))
        .collect()
}

/// The ID of the pending candidate joining `x` and `y`.
fn id_of(pending: &[(Value, [String; 2])], x: &str, y: &str) -> Value {
    pending
        .iter()
        .find(|(_, r)| r.contains(&x.to_owned()) && r.contains(&y.to_owned()))
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("{x}–{y} is a review candidate: {pending:?}"))
}

async fn a_candidate_keeps_its_id_after_another_is_decided(app: TestApp) {
    import_family_with_a_shared_phone(&app.register).await;
    let before = pending_pairs(&app).await;
    let with_father = id_of(&before, "P1", "F1");
    let with_son = id_of(&before, "P1", "F2");
    let number = |id: &Value| id.as_str().and_then(|s| s.parse::<i64>().ok()).expect("ID");
    // The analyst takes the later-raised candidate first: renumbering would give the other a
    // new ID.
    let ((first, first_relative), (second, second_relative)) =
        if number(&with_father) > number(&with_son) {
            ((with_father, "F1"), (with_son, "F2"))
        } else {
            ((with_son, "F2"), (with_father, "F1"))
        };
    let decide = |id: &Value, decision: &str| {
        app.gql(
            "mutation($id: ID!, $d: Decision!) { decideCandidate(id: $id, decision: $d) { state } }",
            json!({ "id": id, "d": decision }),
        )
    };

    let decided = decide(&first, "SAME").await;
    assert_eq!(
        decided["data"]["decideCandidate"]["state"], "SAME",
        "{decided}"
    );
    assert_eq!(
        app.person_of(Bigdata, "P1").await,
        app.person_of(Township, first_relative).await
    );

    // The next click, with the ID the analyst's screen still shows.
    let after = pending_pairs(&app).await;
    assert_eq!(id_of(&after, "P1", second_relative), second, "{after:?}");
    let next = decide(&second, "DIFFERENT").await;
    assert_eq!(
        next["data"]["decideCandidate"]["state"], "DIFFERENT",
        "the candidate kept its ID: {next}"
    );

    // A later import resolves the register again: nothing decided is asked again.
    app.import_ok(Township, "township.csv").await;
    let later = pending_pairs(&app).await;
    assert!(
        !later.iter().any(|(id, _)| *id == first || *id == second),
        "{later:?}"
    );
}

async fn persons_decided_different_are_not_asked_again_through_another_record(app: TestApp) {
    import_family_with_two_father_records(&app).await;
    let father = app.person_of(Township, "F1").await;
    assert_eq!(app.person_of(Township, "F3").await, father);
    let nodes = queue(&app, json!(null)).await;
    let item = nodes
        .iter()
        .find(|n| joins(n, "P1", "F1"))
        .unwrap_or_else(|| panic!("phone × father is in the queue: {nodes:#?}"));
    assert!(
        joins(item, "P1", "F3"),
        "one item per pair of persons, with both record pairs: {item:#}"
    );
    let p1_f1 = pair_of(&nodes, "P1", "F1")["id"].clone();
    let p1_f3 = pair_of(&nodes, "P1", "F3")["id"].clone();

    let decided = decide(&app, &p1_f1, "DIFFERENT", Some("电话是家里座机，不是本人")).await;
    assert_eq!(
        decided["data"]["decideCandidate"]["state"], "DIFFERENT",
        "{decided}"
    );
    assert_ne!(app.person_of(Bigdata, "P1").await, father);

    // Neither now nor after a later run does the father's other record bring the pair back.
    for round in 0..2 {
        let pending = queue(&app, json!(null)).await;
        assert!(
            !pending
                .iter()
                .any(|n| joins(n, "P1", "F3") || joins(n, "P1", "F1")),
            "round {round}: asked again after the persons were decided apart: {pending:#?}"
        );
        app.import_ok(Township, "township.csv").await;
    }
    let again = decide(&app, &p1_f3, "SAME", None).await;
    assert_eq!(
        again["errors"][0]["extensions"]["code"], "CONFLICT",
        "{again}"
    );
    let expected = format!(
        "编号为 {} 的候选已不存在：两人已由编号为 {} 的候选判定为不同人（DIFFERENT）",
        p1_f3.as_str().expect("id"),
        p1_f1.as_str().expect("id")
    );
    assert_eq!(again["errors"][0]["message"], expected);
}

async fn a_candidate_decided_or_gone_says_which_and_why(app: TestApp) {
    import_family_with_two_father_records(&app).await;
    let nodes = queue(&app, json!(null)).await;
    let p1_f1 = pair_of(&nodes, "P1", "F1")["id"].clone();
    let p1_f3 = pair_of(&nodes, "P1", "F3")["id"].clone();
    let decided = decide(&app, &p1_f1, "SAME", Some("同一户，本人手机")).await;
    assert_eq!(
        decided["data"]["decideCandidate"]["state"], "SAME",
        "{decided}"
    );
    assert_eq!(
        decided["data"]["decideCandidate"]["note"],
        "同一户，本人手机"
    );

    let twice = decide(&app, &p1_f1, "DIFFERENT", None).await;
    assert_eq!(twice["errors"][0]["extensions"]["code"], "CONFLICT");
    let message = twice["errors"][0]["message"].as_str().expect("message");
    let id = p1_f1.as_str().expect("id");
    assert!(
        message.starts_with(&format!("编号为 {id} 的候选已于 "))
            && message.contains("判定为同一人（SAME）"),
        "{message}"
    );

    let gone = decide(&app, &p1_f3, "DIFFERENT", None).await;
    assert_eq!(
        gone["errors"][0]["extensions"]["code"], "CONFLICT",
        "{gone}"
    );
    assert_eq!(
        gone["errors"][0]["message"],
        format!(
            "编号为 {} 的候选已不存在：两条记录已合并为同一人",
            p1_f3.as_str().expect("id")
        )
    );
    let missing = decide(&app, &json!("999999"), "SAME", None).await;
    assert_eq!(missing["errors"][0]["extensions"]["code"], "NOT_FOUND");

    // The decision is listed with its note, who and when.
    let same = queue(&app, json!({ "state": "SAME" })).await;
    let shown = same
        .iter()
        .find(|n| n["id"] == p1_f1)
        .unwrap_or_else(|| panic!("the decision is listed: {same:#?}"));
    assert_eq!(shown["note"], "同一户，本人手机");
    assert!(shown["decidedBy"].is_string() && shown["decidedAt"].is_string());
    let withdrawn = queue(&app, json!({ "state": "WITHDRAWN" })).await;
    assert!(
        withdrawn
            .iter()
            .any(|n| n["closedReason"] == "两条记录已合并为同一人"),
        "{withdrawn:#?}"
    );
}

async fn the_queue_is_per_pair_of_persons_with_rivals_weighed_and_filters(app: TestApp) {
    import_family_with_a_shared_phone(&app.register).await;
    let nodes = queue(&app, json!(null)).await;
    assert_eq!(nodes.len(), 2, "phone × father, phone × son: {nodes:#?}");
    let mut adjusted = 0.0;
    for node in &nodes {
        let (p, raw) = (
            node["matchProbability"].as_f64().expect("p"),
            node["pairProbability"].as_f64().expect("raw"),
        );
        assert!(raw > 0.9, "the pair alone looks like a match: {node:#}");
        assert!(
            p < raw && p <= 0.5 + 1e-9,
            "a rival halves it at most: {node:#}"
        );
        adjusted += p;
    }
    assert!(adjusted <= 1.0 + 1e-9, "one record, one person at most");
    let by_probability = queue(&app, json!({ "minProbability": 0.9 })).await;
    assert!(by_probability.is_empty(), "{by_probability:#?}");

    // Township: either person's; an unknown name is refused by name.
    assert_eq!(queue(&app, json!({ "township": "城关镇" })).await.len(), 2);
    assert_eq!(queue(&app, json!({ "township": "城关" })).await.len(), 2);
    assert!(
        queue(&app, json!({ "township": "新华街道" }))
            .await
            .is_empty()
    );
    let unknown = app
        .gql(QUEUE, json!({ "filter": { "township": "火星镇" } }))
        .await;
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        unknown["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("火星镇")),
        "{unknown}"
    );

    // A caller scoped to a township sees its township's candidates only (none without one).
    let scoped = |township: Option<&'static str>| {
        let register = &app.register;
        async move {
            register
                .review_queue(
                    &ReviewFilter::default(),
                    ReviewOrder::default(),
                    &PageArgs::default(),
                    Some(township),
                )
                .await
                .expect("queue")
                .total
        }
    };
    assert_eq!(scoped(Some("城关镇")).await, 2);
    assert_eq!(scoped(Some("新华街道")).await, 0);
    assert_eq!(scoped(None).await, 0);

    // Orders and pages.
    let ordered = app
        .gql_data(
            "{ reviewCandidates(orderBy: CREATED_AT, first: 1) {
                totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }",
            json!({}),
        )
        .await;
    let page = &ordered["reviewCandidates"];
    assert_eq!(page["totalCount"], 2);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let rest = app
        .gql_data(
            "query($after: String) { reviewCandidates(orderBy: CREATED_AT, after: $after) {
                edges { node { id } } } }",
            json!({ "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let rest = rest["reviewCandidates"]["edges"].as_array().expect("edges");
    assert_eq!(rest.len(), 1);
    assert_ne!(rest[0]["node"]["id"], page["edges"][0]["node"]["id"]);
}
