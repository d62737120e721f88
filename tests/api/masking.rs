//! A malicious insider with a low-privilege (ANALYST) token: no combination of the fields it
//! is served rebuilds a masked value (issue 18, findings 1 and 2), over queries and the
//! `registerChanges` subscription alike; an ADMIN asking `unmasked: true` still sees all.

use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::intake::SourceKind;
use paicha::normalize::id_number::check_digit;
use paicha::normalize::phone::extract_phones_from_text;
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_file};
use crate::subscriptions::{connect, next_json, send};

crate::on_every_backend!(
    a_masked_id_number_and_the_birth_dates_served_beside_it_never_rebuild_the_number,
    phones_and_id_numbers_written_any_way_reach_an_analyst_masked,
    the_subscription_pushes_records_masked,
);

async fn analyst_token(app: &TestApp) -> String {
    let spec = TokenSpec::parse(Role::Analyst, None, None, &app.register.reference).expect("spec");
    app.register.create_token(spec).await.expect("token").token
}

/// Every node of the connection `field` (`persons`, `sourceRecords` …) with `selection`, page
/// by page (a page of everything is over the complexity limit), as `token` (`None`: ADMIN).
async fn every_node(
    app: &TestApp,
    token: Option<&str>,
    field: &str,
    selection: &str,
) -> Vec<Value> {
    let query = format!(
        "query($after: String) {{ {field}(first: 40, after: $after) {{
            pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {selection} }} }} }} }}"
    );
    let token = token.unwrap_or(&app.admin_token);
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let (_, body) = app
            .post_as(Some(token), &query, json!({ "after": after }))
            .await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        let page = &body["data"][field];
        nodes.extend(
            page["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            return nodes;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Every field of a person (and its records) that serves an identity, a date or free text.
const EVERYTHING: &str = "id idNumber birthDate birthYear origin address phones
    golden { idNumber { value conflicts { value } } birthDate { value conflicts { value } }
             phones { value conflicts { value } } address { value conflicts { value } } }
    records { recordId raw normalized { idNumber idCandidates birthDate birthYear address
                                        phones { number } } }";

async fn a_masked_id_number_and_the_birth_dates_served_beside_it_never_rebuild_the_number(
    app: TestApp,
) {
    app.import_all_samples().await;
    let full = every_node(
        &app,
        None,
        "persons",
        "id idNumber(unmasked: true) birthDate(unmasked: true)",
    )
    .await;
    let token = analyst_token(&app).await;
    let served = every_node(&app, Some(&token), "persons", EVERYTHING).await;

    let mut attacked = 0;
    for node in &full {
        let (Some(id), Some(born)) = (node["idNumber"].as_str(), node["birthDate"].as_str()) else {
            continue;
        };
        attacked += 1;
        let seen = served
            .iter()
            .find(|n| n["id"] == node["id"])
            .expect("the analyst sees every person")
            .to_string();
        // The attack: the masked number's ends and any birth date served beside it.
        let masked = &id[6..14];
        let compact = born.replace('-', "");
        assert_eq!(masked, compact, "the masked part is the birth date");
        for written in [born, compact.as_str()] {
            assert!(
                !seen.contains(written),
                "person {} serves {written} beside its masked ID number: {seen}",
                node["id"]
            );
        }
        assert!(!seen.contains(id), "{seen}");
        assert!(
            seen.contains(&format!("\"birthYear\":{}", &born[..4])),
            "{seen}"
        );
    }
    assert!(attacked > 20, "only {attacked} persons with an ID number");
}

/// A valid ID number born on `born` (`YYYYMMDD`).
fn id_number(region: &str, born: &str, sequence: &str) -> String {
    let first17 = format!("{region}{born}{sequence}");
    let check = check_digit(&first17).expect("17 digits");
    format!("{first17}{check}")
}

/// What the attack file hides, digits only.
struct Secrets {
    file: String,
    digits: Vec<String>,
}

fn attack_file() -> Secrets {
    let own = id_number("420102", "19900101", "123");
    let relative = id_number("420103", "19900202", "124");
    let dashed = format!(
        "{}-{}-{}-{}",
        &own[..6],
        &own[6..10],
        &own[10..14],
        &own[14..]
    );
    let file = json!([{
        "record_id": "13966667777",
        "name": "钱七",
        "id_number": dashed,
        "phone": 13912345678_i64,
        "origin": format!("亲属电话13977778888 身份证{relative}"),
        "location": "青溪县城关镇",
        "arrival_date": "2020-01-21",
        "remark": ["158 1623 1919", { "亲属": ["139-0000-1111", 15900002222_i64] }],
    }])
    .to_string();
    let digits = [
        "13966667777",
        "13912345678",
        "13977778888",
        "15816231919",
        "13900001111",
        "15900002222",
        "19900101",
        "19900202",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([own, relative])
    .collect();
    Secrets { file, digits }
}

async fn import_attack(app: &TestApp, secrets: &Secrets) {
    import_file(
        &app.register,
        SourceKind::Bigdata,
        "attack.json",
        &secrets.file,
    )
    .await;
}

/// Asserts that none of `secrets` can be read in `served`, however it is spelled there, and
/// that the phone finder finds no phone in any of its text.
fn assert_nothing_leaks(served: &Value, secrets: &Secrets) {
    let text = served.to_string();
    let digits_only: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '　'))
        .collect();
    for secret in &secrets.digits {
        assert!(!digits_only.contains(secret), "{secret} leaks: {text}");
    }
    walk(served, &mut |s| {
        assert!(extract_phones_from_text(s).is_empty(), "a phone in {s:?}");
    });
}

fn walk(value: &Value, check: &mut impl FnMut(&str)) {
    match value {
        Value::String(s) => check(s),
        Value::Number(n) => {
            assert!(
                n.as_u64().is_none_or(|n| n < 1_000_000),
                "a number that may be a phone: {n}"
            );
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, check)),
        Value::Object(map) => map.values().for_each(|v| walk(v, check)),
        Value::Null | Value::Bool(_) => {}
    }
}

const RECORD: &str =
    "recordId raw normalized { idNumber birthDate birthYear address phones { number } }
    person { idNumber birthDate birthYear origin address phones
             golden { idNumber { value } birthDate { value } phones { value } } }";

async fn phones_and_id_numbers_written_any_way_reach_an_analyst_masked(app: TestApp) {
    let secrets = attack_file();
    app.import_all_samples().await;
    import_attack(&app, &secrets).await;
    let token = analyst_token(&app).await;

    let records = Value::Array(every_node(&app, Some(&token), "sourceRecords", RECORD).await);
    assert!(records.to_string().contains("钱七"), "the record is served");
    assert_nothing_leaks(&records, &secrets);

    let pair = format!("a {{ {RECORD} }} b {{ {RECORD} }}");
    let candidates = Value::Array(every_node(&app, Some(&token), "reviewCandidates", &pair).await);
    assert!(
        !candidates.as_array().is_some_and(Vec::is_empty),
        "candidates to look at"
    );
    assert_nothing_leaks(&candidates, &secrets);

    // An ADMIN asking unmasked still sees everything, as stored.
    let full = Value::Array(
        every_node(
            &app,
            None,
            "sourceRecords",
            "recordId(unmasked: true) raw(unmasked: true) person { origin(unmasked: true) }",
        )
        .await,
    )
    .to_string();
    for secret in [
        "13966667777",
        "13912345678",
        "158 1623 1919",
        "139-0000-1111",
    ] {
        assert!(full.contains(secret), "{secret} is not served unmasked");
    }
    assert!(full.contains("15900002222"), "{full}");
}

async fn the_subscription_pushes_records_masked(app: TestApp) {
    let secrets = attack_file();
    let token = analyst_token(&app).await;
    let mut socket = connect(&app, &token).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": format!(
            "subscription {{ registerChanges {{ events(first: 500) {{ sourceRecord {{ {RECORD} }} }} }} }}"
        ) } }),
    )
    .await;
    // The subscription is registered once the server has read the message; give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    import_attack(&app, &secrets).await;
    let message = next_json(&mut socket).await;
    assert_eq!(message["type"], "next", "{message}");
    assert!(message["payload"].get("errors").is_none(), "{message}");
    assert!(message.to_string().contains("钱七"), "{message}");
    assert_nothing_leaks(&message["payload"], &secrets);
    send(&mut socket, json!({ "id": "1", "type": "complete" })).await;
}
