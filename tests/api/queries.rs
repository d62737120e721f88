//! The analysts' API: filters, ordering, search, events, aggregates, and no N+1.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::on_every_backend!(
    every_person_filter_selects_exactly_the_persons_it_describes,
    persons_page_forwards_and_backwards_in_every_order,
    persons_are_found_by_name_pinyin_id_number_its_last_digits_and_phone,
    events_are_listed_and_filtered_by_person_kind_and_time,
    aggregates_count_the_register_in_one_request,
    a_page_of_persons_with_records_and_links_takes_a_constant_number_of_statements,
);

const PERSON_FIELDS: &str = "id name namePinyin township village locationStatus hubeiLink \
    arrivalDate firstReported updatedAt locationConflict jurisdiction { code } \
    golden { name { conflicts { value } } idNumber { conflicts { value } } \
             birthDate { conflicts { value } } sex { conflicts { value } } \
             address { conflicts { value } } township { conflicts { value } } \
             village { conflicts { value } } phones { conflicts { value } } } \
    records { source }";

/// Every person of the register (at most 100) with the fields filters and groups look at.
pub(crate) async fn all_persons(app: &TestApp) -> Vec<Value> {
    let data = app
        .gql_data(
            &format!(
                "{{ persons(first: 100) {{ totalCount edges {{ node {{ {PERSON_FIELDS} }} }} }} }}"
            ),
            json!({}),
        )
        .await;
    let edges = data["persons"]["edges"].as_array().expect("edges").clone();
    assert_eq!(
        data["persons"]["totalCount"].as_u64(),
        Some(edges.len() as u64)
    );
    edges.into_iter().map(|e| e["node"].clone()).collect()
}

async fn ids_of(app: &TestApp, filter: Value) -> BTreeSet<String> {
    let data = app
        .gql_data(
            "query($f: PersonFilterInput) { persons(first: 500, filter: $f) { totalCount edges { node { id } } } }",
            json!({ "f": filter }),
        )
        .await;
    let ids: BTreeSet<String> = data["persons"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        data["persons"]["totalCount"].as_u64(),
        Some(ids.len() as u64)
    );
    ids
}

fn expected(persons: &[Value], keep: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    persons
        .iter()
        .filter(|p| keep(p))
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect()
}

fn has_conflicts(p: &Value) -> bool {
    if p["locationConflict"] == true {
        return true;
    }
    let golden = &p["golden"];
    let field = |f: &Value| f["conflicts"].as_array().is_some_and(|c| !c.is_empty());
    [
        "name",
        "idNumber",
        "birthDate",
        "sex",
        "address",
        "township",
        "village",
    ]
    .iter()
    .any(|k| field(&golden[*k]))
        || golden["phones"].as_array().into_iter().flatten().any(field)
}

async fn every_person_filter_selects_exactly_the_persons_it_describes(app: TestApp) {
    app.import_all_samples().await;
    let persons = all_persons(&app).await;
    let check = |name: &'static str, filter: Value, want: BTreeSet<String>| {
        let app = &app;
        async move {
            let got = ids_of(app, filter.clone()).await;
            assert_eq!(got, want, "filter {name}: {filter}");
        }
    };
    for status in ["IN_COUNTY", "OUT_OF_COUNTY", "PENDING_VERIFICATION"] {
        let want = expected(&persons, |p| p["locationStatus"] == status);
        assert!(!want.is_empty(), "the samples have persons {status}");
        check("locationStatus", json!({ "locationStatus": status }), want).await;
    }
    for link in ["WUHAN", "OTHER_HUBEI"] {
        let want = expected(&persons, |p| p["hubeiLink"] == link);
        assert!(!want.is_empty(), "the samples have persons {link}");
        check("hubeiLink", json!({ "hubeiLink": link }), want).await;
    }
    let township = persons
        .iter()
        .find_map(|p| p["township"].as_str())
        .expect("a township")
        .to_owned();
    check(
        "township",
        json!({ "township": township }),
        expected(&persons, |p| p["township"] == township.as_str()),
    )
    .await;
    let (vt, village) = persons
        .iter()
        .find_map(|p| Some((p["township"].as_str()?, p["village"].as_str()?)))
        .expect("a village");
    check(
        "village",
        json!({ "township": vt, "village": village }),
        expected(&persons, |p| p["township"] == vt && p["village"] == village),
    )
    .await;
    for source in ["BIGDATA", "TOWNSHIP", "EXTERNAL"] {
        let want = expected(&persons, |p| {
            p["records"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["source"] == source))
        });
        assert!(!want.is_empty(), "the samples have {source} persons");
        check("source", json!({ "source": source }), want).await;
    }
    // Date ranges: inclusive, either end open.
    let mut days: Vec<&str> = persons
        .iter()
        .filter_map(|p| p["arrivalDate"].as_str())
        .collect();
    days.sort_unstable();
    let (lo, hi) = (days[days.len() / 4], days[days.len() * 3 / 4]);
    check(
        "arrivalDate",
        json!({ "arrivalDate": { "from": lo, "to": hi } }),
        expected(&persons, |p| {
            p["arrivalDate"]
                .as_str()
                .is_some_and(|d| d >= lo && d <= hi)
        }),
    )
    .await;
    check(
        "arrivalDate from",
        json!({ "arrivalDate": { "from": hi } }),
        expected(&persons, |p| {
            p["arrivalDate"].as_str().is_some_and(|d| d >= hi)
        }),
    )
    .await;
    let reported = persons
        .iter()
        .find_map(|p| p["firstReported"].as_str())
        .expect("a report day")
        .to_owned();
    check(
        "firstReported",
        json!({ "firstReported": { "from": reported, "to": reported } }),
        expected(&persons, |p| p["firstReported"] == reported.as_str()),
    )
    .await;
    let bad = app
        .gql(
            "{ persons(filter: { arrivalDate: { from: \"2020-02-01\", to: \"2020-01-01\" } }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // Conflicts: the golden record or the location disagree.
    let conflicted = expected(&persons, has_conflicts);
    assert!(
        !conflicted.is_empty(),
        "the samples have conflicting sources"
    );
    check(
        "hasConflicts",
        json!({ "hasConflicts": true }),
        conflicted.clone(),
    )
    .await;
    check(
        "hasConflicts false",
        json!({ "hasConflicts": false }),
        expected(&persons, |p| !has_conflicts(p)),
    )
    .await;

    // Review state: the persons of the records of pending candidates.
    let candidates = app
        .gql_data(
            "{ reviewCandidates(first: 500) { edges { node { personA { id } personB { id } } } } }",
            json!({}),
        )
        .await;
    let pending: BTreeSet<String> = candidates["reviewCandidates"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .flat_map(|e| {
            [
                e["node"]["personA"]["id"].clone(),
                e["node"]["personB"]["id"].clone(),
            ]
        })
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    check(
        "reviewPending",
        json!({ "reviewPending": true }),
        pending.clone(),
    )
    .await;
    let all: BTreeSet<String> = expected(&persons, |_| true);
    check(
        "reviewPending false",
        json!({ "reviewPending": false }),
        all.difference(&pending).cloned().collect(),
    )
    .await;

    // Conditions combine with AND.
    check(
        "combined",
        json!({ "locationStatus": "IN_COUNTY", "hubeiLink": "WUHAN", "source": "TOWNSHIP" }),
        expected(&persons, |p| {
            p["locationStatus"] == "IN_COUNTY"
                && p["hubeiLink"] == "WUHAN"
                && p["records"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["source"] == "TOWNSHIP"))
        }),
    )
    .await;
}

/// Walks a persons list page by page with `first`/`after`, then back with `last`/`before`.
async fn walk(app: &TestApp, order: Value, page: usize) -> (Vec<String>, Vec<String>) {
    let query = r#"query($o: PersonOrderInput, $after: String, $before: String, $first: Int, $last: Int) {
        persons(orderBy: $o, first: $first, after: $after, last: $last, before: $before) {
          totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { node { id } } } }"#;
    let ids = |data: &Value| -> Vec<String> {
        data["persons"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let mut forward = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .gql_data(query, json!({ "o": order, "first": page, "after": after }))
            .await;
        assert!(ids(&data).len() <= page);
        forward.extend(ids(&data));
        assert_eq!(
            data["persons"]["pageInfo"]["hasPreviousPage"],
            !after.is_null()
        );
        if data["persons"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = data["persons"]["pageInfo"]["endCursor"].clone();
    }
    let mut backward = Vec::new();
    let mut before = Value::Null;
    loop {
        let data = app
            .gql_data(query, json!({ "o": order, "last": page, "before": before }))
            .await;
        let mut page_ids = ids(&data);
        page_ids.extend(backward);
        backward = page_ids;
        if data["persons"]["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = data["persons"]["pageInfo"]["startCursor"].clone();
    }
    (forward, backward)
}

async fn persons_page_forwards_and_backwards_in_every_order(app: TestApp) {
    app.import_all_samples().await;
    let persons = all_persons(&app).await;
    let id = |p: &Value| {
        p["id"]
            .as_str()
            .expect("id")
            .parse::<i64>()
            .expect("numeric")
    };
    for (field, key) in [
        ("ID", ""),
        ("NAME", "namePinyin"),
        ("ARRIVAL_DATE", "arrivalDate"),
        ("FIRST_REPORTED", "firstReported"),
        ("UPDATED_AT", "updatedAt"),
    ] {
        for direction in ["ASC", "DESC"] {
            let mut want: Vec<&Value> = persons.iter().collect();
            // Values ascending with missing ones last, ties by ID; DESC is the exact reverse.
            want.sort_by(|a, b| {
                let (va, vb) = (a[key].as_str(), b[key].as_str());
                let by_value = match (va, vb) {
                    (Some(x), Some(y)) if key == "updatedAt" => {
                        chrono::DateTime::parse_from_rfc3339(x)
                            .expect("time")
                            .cmp(&chrono::DateTime::parse_from_rfc3339(y).expect("time"))
                    }
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                };
                by_value.then(id(a).cmp(&id(b)))
            });
            if direction == "DESC" {
                want.reverse();
            }
            let want: Vec<String> = want
                .iter()
                .map(|p| p["id"].as_str().expect("id").to_owned())
                .collect();
            let order = json!({ "field": field, "direction": direction });
            let (forward, backward) = walk(&app, order.clone(), 7).await;
            assert_eq!(forward, want, "{field} {direction} forwards");
            assert_eq!(backward, want, "{field} {direction} backwards");
        }
    }
    // A cursor of one order is refused by another; an empty page past the end.
    let by_name = app
        .gql_data(
            r#"{ persons(first: 1, orderBy: { field: NAME }) { pageInfo { endCursor } } }"#,
            json!({}),
        )
        .await;
    let cursor = by_name["persons"]["pageInfo"]["endCursor"].clone();
    let wrong = app
        .gql(
            r#"query($c: String) { persons(after: $c, orderBy: { field: ARRIVAL_DATE }) { totalCount } }"#,
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let garbage = app
        .gql(
            r#"{ persons(after: "not a cursor") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(garbage["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let last = app
        .gql_data(
            r#"{ persons(last: 1, orderBy: { field: NAME, direction: DESC }) { pageInfo { endCursor } } }"#,
            json!({}),
        )
        .await;
    let empty = app
        .gql_data(
            r#"query($c: String) { persons(first: 5, after: $c, orderBy: { field: NAME, direction: DESC }) {
                 totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor } } }"#,
            json!({ "c": last["persons"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(empty["persons"]["edges"], json!([]));
    assert_eq!(empty["persons"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(
        empty["persons"]["totalCount"].as_u64(),
        Some(persons.len() as u64)
    );
    let none = app
        .gql_data(
            r#"{ persons(first: 0) { edges { cursor } pageInfo { hasNextPage } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(none["persons"]["edges"], json!([]));
    assert_eq!(none["persons"]["pageInfo"]["hasNextPage"], true);
}

async fn search(app: &TestApp, text: &str) -> Vec<String> {
    let data = app
        .gql_data(
            "query($t: String!) { searchPersons(text: $t, first: 50) { totalCount edges { node { name } } } }",
            json!({ "t": text }),
        )
        .await;
    data["searchPersons"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn persons_are_found_by_name_pinyin_id_number_its_last_digits_and_phone(app: TestApp) {
    app.import_all_samples().await;
    let person = app
        .gql_data(
            r#"{ personByIdNumber(idNumber: "420902196705200246") { id phones(unmasked: true) } }"#,
            json!({}),
        )
        .await;
    let phone = person["personByIdNumber"]["phones"][0]
        .as_str()
        .expect("a phone")
        .to_owned();
    let spaced = format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..]);
    for text in [
        "黄丽华",
        "黃麗華",
        " 黄 丽华 ",
        "huang li hua",
        "HuangLiHua",
        "420902196705200246",
        "420902670520024",
        "0246",
        "200246",
        phone.as_str(),
        spaced.as_str(),
    ] {
        let found = search(&app, text).await;
        assert!(found.iter().any(|n| n == "黄丽华"), "{text}: {found:?}");
    }
    assert!(search(&app, "欧阳无此人").await.is_empty());
    assert!(search(&app, "13900000000").await.is_empty());
    for bad in ["", "  ", "12", "#!"] {
        let body = app
            .gql(
                "query($t: String!) { searchPersons(text: $t) { totalCount } }",
                json!({ "t": bad }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{bad:?}"
        );
    }
}

async fn events_are_listed_and_filtered_by_person_kind_and_time(app: TestApp) {
    app.import_all_samples().await;
    let all = app
        .gql_data(
            "{ events(first: 200) { totalCount edges { cursor node { id kind personId otherPersonId at actor batchId detail person { id } } } } }",
            json!({}),
        )
        .await;
    let edges = all["events"]["edges"].as_array().expect("edges").clone();
    assert_eq!(
        all["events"]["totalCount"].as_u64(),
        Some(edges.len() as u64)
    );
    assert!(edges.iter().any(|e| e["node"]["kind"] == "CREATE"));
    assert!(edges.iter().any(|e| e["node"]["kind"] == "LINK"));
    let persons = app.count("person").await;
    let creates = edges
        .iter()
        .filter(|e| e["node"]["kind"] == "CREATE")
        .count();
    assert_eq!(creates as i64, persons, "one CREATE per person ever made");

    let links = app
        .gql_data(
            "{ events(first: 500, filter: { kinds: [LINK] }) { totalCount edges { node { kind } } } }",
            json!({}),
        )
        .await;
    let n_links = edges.iter().filter(|e| e["node"]["kind"] == "LINK").count();
    assert_eq!(links["events"]["totalCount"].as_u64(), Some(n_links as u64));

    let someone = edges
        .iter()
        .find(|e| e["node"]["kind"] == "LINK")
        .map(|e| e["node"]["personId"].clone())
        .expect("a linked person");
    let theirs = app
        .gql_data(
            "query($p: ID) { events(filter: { personId: $p }) { edges { node { personId otherPersonId } } } person(id: $p) { events { id } } }",
            json!({ "p": someone }),
        )
        .await;
    let their_edges = theirs["events"]["edges"].as_array().expect("edges");
    assert!(their_edges.len() >= 2, "created and linked");
    assert!(
        their_edges
            .iter()
            .all(|e| e["node"]["personId"] == someone || e["node"]["otherPersonId"] == someone)
    );
    assert_eq!(
        theirs["person"]["events"].as_array().map(Vec::len),
        Some(their_edges.len())
    );

    let at = edges[0]["node"]["at"].as_str().expect("at").to_owned();
    let before = app
        .gql_data(
            "query($t: DateTime) { events(filter: { to: $t }) { totalCount } later: events(filter: { from: \"2999-01-01T00:00:00Z\" }) { totalCount } }",
            json!({ "t": at }),
        )
        .await;
    assert!(before["events"]["totalCount"].as_u64().expect("n") >= 1);
    assert_eq!(before["later"]["totalCount"], 0);

    let page = app
        .gql_data(
            "query($c: String) { events(first: 2, after: $c) { edges { node { id } } } }",
            json!({ "c": edges[1]["cursor"] }),
        )
        .await;
    assert_eq!(
        page["events"]["edges"][0]["node"]["id"],
        edges[2]["node"]["id"]
    );
}

async fn aggregates_count_the_register_in_one_request(app: TestApp) {
    app.import_all_samples().await;
    let persons = all_persons(&app).await;
    let data = app
        .gql_data(
            "{ aggregates { persons byDay { day count } byTownship { township count }
                 byStatus { status count } byHubeiLink { link count } bySource { source count }
                 newPersonsPerDay { day source count } }
               wuhan: aggregates(filter: { hubeiLink: WUHAN }) { persons byStatus { status count } } }",
            json!({}),
        )
        .await;
    let a = &data["aggregates"];
    assert_eq!(a["persons"].as_u64(), Some(persons.len() as u64));
    let sum = |list: &Value| -> u64 {
        list.as_array()
            .expect("list")
            .iter()
            .map(|r| r["count"].as_u64().expect("n"))
            .sum()
    };
    assert_eq!(sum(&a["byStatus"]), persons.len() as u64);
    assert_eq!(sum(&a["byTownship"]), persons.len() as u64);
    assert_eq!(sum(&a["byHubeiLink"]), persons.len() as u64);
    let reported = persons
        .iter()
        .filter(|p| p["firstReported"].is_string())
        .count() as u64;
    assert_eq!(sum(&a["byDay"]), reported);
    let days: BTreeSet<&str> = persons
        .iter()
        .filter_map(|p| p["firstReported"].as_str())
        .collect();
    assert!(!days.is_empty(), "the samples report persons on some day");
    let by_day = a["byDay"].as_array().expect("days");
    assert_eq!(by_day.len(), days.len(), "one row a day: {by_day:?}");
    for row in by_day {
        let day = row["day"].as_str().expect("day");
        let want = persons.iter().filter(|p| p["firstReported"] == day).count() as u64;
        assert_eq!(row["count"].as_u64(), Some(want), "{day}");
    }
    let by_source = a["bySource"].as_array().expect("sources");
    assert_eq!(
        by_source.len(),
        3,
        "the samples hold every source: {by_source:?}"
    );
    for row in by_source {
        let source = row["source"].as_str().expect("source");
        let want = persons
            .iter()
            .filter(|p| {
                p["records"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["source"] == source))
            })
            .count() as u64;
        assert_eq!(row["count"].as_u64(), Some(want), "{source}");
        let series: u64 = a["newPersonsPerDay"]
            .as_array()
            .expect("series")
            .iter()
            .filter(|r| r["source"] == source)
            .map(|r| r["count"].as_u64().expect("n"))
            .sum();
        assert_eq!(
            series, want,
            "{source}: each person once, on the day the source first reported them"
        );
    }
    let wuhan = persons.iter().filter(|p| p["hubeiLink"] == "WUHAN").count() as u64;
    assert_eq!(data["wuhan"]["persons"].as_u64(), Some(wuhan));
    assert_eq!(sum(&data["wuhan"]["byStatus"]), wuhan);
}

/// SQL statements one GraphQL request runs, counted by sea-orm's metric callback on a
/// connection of its own.
pub(crate) async fn statements_for(app: &TestApp, query: &str) -> (usize, Value) {
    let counter = Arc::new(AtomicUsize::new(0));
    let mut db = app.register.db().clone();
    let seen = counter.clone();
    db.conn.set_metric_callback(move |info| {
        if std::env::var_os("SHOW_SQL").is_some() {
            eprintln!("SQL {}", info.statement.sql);
        }
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let register = paicha::register::Register::new(
        db,
        app.register.reference.clone(),
        (*app.register.profile).clone(),
    );
    let schema = paicha::graphql::schema(register);
    let admin = paicha::access::Principal {
        token_id: None,
        role: paicha::access::Role::Admin,
        township: None,
        partner: None,
    };
    let response = schema
        .execute(async_graphql::Request::new(query).data(admin))
        .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("JSON");
    (counter.load(Ordering::SeqCst), data)
}

async fn a_page_of_persons_with_records_and_links_takes_a_constant_number_of_statements(
    app: TestApp,
) {
    // A synthetic county large enough for a full page of 100 persons.
    let files = paicha::synth::generate(
        150,
        20_200_127,
        &paicha::Reference::load(None).expect("demo county"),
    );
    crate::helpers::import_synthetic(&app.register, &files).await;
    let page = |n: usize| {
        format!(
            "{{ persons(first: {n}) {{ edges {{ node {{ id name golden {{ name {{ value }} }}
                 records {{ recordId person {{ id }} }}
                 links {{ weight record {{ source }} }}
                 events {{ kind }} }} }} }} }}"
        )
    };
    let (small, _) = statements_for(&app, &page(2)).await;
    let (large, data) = statements_for(&app, &page(100)).await;
    let shown = data["persons"]["edges"].as_array().map_or(0, Vec::len);
    assert_eq!(shown, 100, "a full page of 100 persons");
    // count + page + links + records + events + (links + persons) of the records' person
    assert!(large <= 8, "{large} statements for {shown} persons");
    assert_eq!(
        small, large,
        "the statement count does not grow with the page"
    );
}
