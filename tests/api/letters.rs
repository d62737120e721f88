//! Letters (issue 21) through GraphQL: drafting by jurisdiction and the unaddressed list, the
//! lifecycle and its refusals, `MOVED_ON` reopening a person, `RETURNED_TO_COUNTY` as location
//! evidence, persons leaving open letters (back in the county, merged), answers to notices.
//! Numbering under concurrency, partner scoping and the document routes are in
//! `letters_access.rs`.

use paicha::intake::SourceKind;
use paicha::register::ImportRequest;
use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::on_every_backend!(
    drafting_groups_by_jurisdiction_and_lists_the_unaddressed,
    the_lifecycle_refuses_what_it_must,
    moved_on_reopens_the_person_for_a_letter_to_the_new_place,
    returned_to_county_is_location_evidence_and_starts_follow_up,
    a_person_back_in_the_county_or_merged_leaves_the_open_letter,
    a_notice_gets_an_answer_drafted_from_the_register,
);

/// An 18-digit ID number with the right check digit, from its first 17 digits.
pub fn id_number(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).expect("digit") * w)
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize] as char)
}

/// A notice from 孝南区 listing one person per `(name, address)`, IDs numbered from `seed`.
pub fn notice(number: &str, persons: &[(&str, &str)], seed: u32) -> Vec<u8> {
    let persons: Vec<Value> = persons
        .iter()
        .enumerate()
        .map(|(i, (name, address))| {
            let n = seed + u32::try_from(i).expect("small");
            json!({
                "record_id": format!("{number}-{n}"),
                "name": name,
                "sex": "男",
                "id_number": id_number(&format!("42090219800101{n:03}")),
                "phone": format!("13900{n:06}"),
                "current_address": address,
                "note": "自武汉返回",
            })
        })
        .collect();
    serde_json::to_vec(&json!([{
        "notice_no": number,
        "sending_jurisdiction": "湖北省孝感市孝南区",
        "send_date": "2020-01-28",
        "contact": "陈股长 0712-2853307",
        "note": "请协助核查",
        "persons": persons,
    }]))
    .expect("JSON")
}

/// Imports a notice; the persons it names are outside the county where their address is.
pub async fn import_notice(app: &TestApp, name: &str, bytes: Vec<u8>) {
    app.register
        .import(ImportRequest::new(
            SourceKind::External,
            name,
            bytes,
            "test",
        ))
        .await
        .expect("notice imported");
}

/// The usual notice: two persons in 孝南区, one known only in 武汉市, one in 深圳南山区.
pub async fn import_the_usual(app: &TestApp) {
    import_notice(
        app,
        "letters.json",
        notice(
            "孝南防指协〔2020〕9号",
            &[
                ("周一", "湖北省孝感市孝南区书院街1号"),
                ("周二", "湖北省孝感市孝南区广场街2号"),
                ("周三", "湖北省武汉市"),
                ("周四", "广东省深圳市南山区科技园8栋"),
            ],
            1,
        ),
    )
    .await;
}

/// A township form of a person away with no place named.
async fn import_away_unnamed(app: &TestApp) {
    let csv = format!(
        "record_id,township,village,name,sex,id_number,phone,address,origin,arrival_date,report_date,remark\n\
         TS-L1,城关镇,河口村,吴外,男,{},13911112222,城关镇河口村1号,武汉市,2020-01-20,2020-01-27,外出务工，现在外地\n",
        id_number("41159919900101123")
    );
    app.register
        .import(ImportRequest::new(
            SourceKind::Township,
            "away.csv",
            csv.into_bytes(),
            "test",
        ))
        .await
        .expect("form imported");
}

pub const LETTER: &str = "id number state channel kind jurisdiction { code name } \
    persons { personId name idNumber phone reason } documents { format url } issuedAt \
    replies { personId outcome place { code } } events { kind personId detail }";

pub async fn draft(app: &TestApp) -> Vec<Value> {
    let data = app
        .gql_data(
            &format!("mutation {{ draftLetters {{ {LETTER} }} }}"),
            json!({}),
        )
        .await;
    data["draftLetters"].as_array().expect("letters").clone()
}

/// The draft addressed to `code`.
pub fn to<'a>(letters: &'a [Value], code: &str) -> &'a Value {
    letters
        .iter()
        .find(|l| l["jurisdiction"]["code"] == code)
        .unwrap_or_else(|| panic!("a letter to {code}: {letters:?}"))
}

fn names(letter: &Value) -> Vec<String> {
    let mut names: Vec<String> = letter["persons"]
        .as_array()
        .expect("persons")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn drafting_groups_by_jurisdiction_and_lists_the_unaddressed(app: TestApp) {
    import_the_usual(&app).await;
    import_away_unnamed(&app).await;
    let letters = draft(&app).await;
    assert_eq!(letters.len(), 3, "{letters:?}");
    let xiaonan = to(&letters, "420902");
    assert_eq!(names(xiaonan), ["周一", "周二"]);
    assert_eq!(xiaonan["jurisdiction"]["name"], "孝南区");
    assert_eq!(xiaonan["state"], "DRAFT");
    assert!(xiaonan["number"].is_null());
    assert_eq!(
        names(to(&letters, "420100")),
        ["周三"],
        "known at city level only"
    );
    assert_eq!(names(to(&letters, "440305")), ["周四"]);
    // Unmasked, with the deciding evidence in words.
    let p = &xiaonan["persons"][0];
    assert_eq!(p["idNumber"].as_str().map(str::len), Some(18));
    assert!(
        p["reason"].as_str().expect("reason").contains("外地通报"),
        "{p}"
    );
    let formats: Vec<&str> = xiaonan["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| d["format"].as_str().expect("format"))
        .collect();
    assert_eq!(formats, ["PDF", "HTML", "CSV", "XLSX"]);

    // The person away without a place is listed, not dropped.
    let data = app
        .gql_data("{ lettersUnaddressed { name locationStatus } }", json!({}))
        .await;
    assert_eq!(
        data["lettersUnaddressed"],
        json!([{ "name": "吴外", "locationStatus": "OUT_OF_COUNTY" }])
    );

    // Drafting again adds nobody: every person is on an open letter.
    assert!(draft(&app).await.is_empty());
    // A new person for 孝南区 joins its draft rather than a new letter.
    import_notice(
        &app,
        "more.json",
        notice(
            "孝南防指协〔2020〕10号",
            &[("周五", "湖北省孝感市孝南区车站路5号")],
            20,
        ),
    )
    .await;
    let again = draft(&app).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["id"], xiaonan["id"]);
    assert_eq!(names(&again[0]), ["周一", "周二", "周五"]);
    let data = app
        .gql_data(
            "{ letters(filter: { state: DRAFT }) { totalCount } stats { lettersByState { state count } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["letters"]["totalCount"], 3);
    assert_eq!(
        data["stats"]["lettersByState"],
        json!([{ "state": "DRAFT", "count": 3 }])
    );
}

async fn the_lifecycle_refuses_what_it_must(app: TestApp) {
    import_the_usual(&app).await;
    let letters = draft(&app).await;
    let xiaonan = to(&letters, "420902").clone();
    let person = xiaonan["persons"][0]["personId"].clone();
    let reply = |id: &Value, person: &Value, outcome: &str| json!({ "id": id, "persons": [{ "personId": person, "outcome": outcome }] });
    const REPLY: &str = "mutation($id: ID!, $persons: [LetterReplyInput!]!) { recordLetterReply(id: $id, persons: $persons) { state replies { outcome } } }";

    // No reply before issue.
    let body = app
        .gql(REPLY, reply(&xiaonan["id"], &person, "OBSERVED"))
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");

    let data = app
        .gql_data(
            "mutation($id: ID!) { issueLetter(id: $id, channel: FAX) { state number channel issuedAt } }",
            json!({ "id": xiaonan["id"] }),
        )
        .await;
    let issued = &data["issueLetter"];
    assert_eq!(issued["state"], "ISSUED");
    assert_eq!(issued["channel"], "FAX");
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(issued["number"], format!("青溪防指函〔{year}〕1号"));

    // No edit after issue: not issued twice, not cancelled, not added to.
    for mutation in [
        "mutation($id: ID!) { issueLetter(id: $id, channel: POST) { state } }",
        "mutation($id: ID!) { cancelLetter(id: $id) { state } }",
    ] {
        let body = app.gql(mutation, json!({ "id": xiaonan["id"] })).await;
        assert_eq!(error_code(&body), "CONFLICT", "{mutation}: {body}");
    }
    import_notice(
        &app,
        "more.json",
        notice(
            "孝南防指协〔2020〕10号",
            &[("周五", "湖北省孝感市孝南区车站路5号")],
            20,
        ),
    )
    .await;
    let again = draft(&app).await;
    let new = to(&again, "420902");
    assert_ne!(
        new["id"], xiaonan["id"],
        "a new draft, the issued letter unchanged"
    );
    assert_eq!(names(new), ["周五"]);

    // A person not on the letter is refused; a partial reply keeps the letter open.
    let body = app
        .gql(
            REPLY,
            reply(&xiaonan["id"], &new["persons"][0]["personId"], "OBSERVED"),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let data = app
        .gql_data(
            "mutation($id: ID!) { acknowledgeLetter(id: $id) { state } }",
            json!({ "id": xiaonan["id"] }),
        )
        .await;
    assert_eq!(data["acknowledgeLetter"]["state"], "ACKNOWLEDGED");
    let data = app
        .gql_data(REPLY, reply(&xiaonan["id"], &person, "OBSERVED"))
        .await;
    assert_eq!(data["recordLetterReply"]["state"], "ACKNOWLEDGED");
    let body = app
        .gql(REPLY, reply(&xiaonan["id"], &person, "NOT_FOUND"))
        .await;
    assert_eq!(
        error_code(&body),
        "BAD_USER_INPUT",
        "answered already: {body}"
    );
    let other = xiaonan["persons"][1]["personId"].clone();
    let data = app
        .gql_data(REPLY, reply(&xiaonan["id"], &other, "NOT_FOUND"))
        .await;
    assert_eq!(data["recordLetterReply"]["state"], "REPLIED");
    let body = app
        .gql(REPLY, reply(&xiaonan["id"], &other, "OBSERVED"))
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");

    // A cancelled draft frees its persons.
    let wuhan = to(&letters, "420100");
    let data = app
        .gql_data(
            "mutation($id: ID!) { cancelLetter(id: $id) { state } }",
            json!({ "id": wuhan["id"] }),
        )
        .await;
    assert_eq!(data["cancelLetter"]["state"], "CANCELLED");
    let redrafted = draft(&app).await;
    assert_eq!(names(to(&redrafted, "420100")), ["周三"]);
    assert_ne!(to(&redrafted, "420100")["id"], wuhan["id"]);
    // Answered persons are settled: never drafted again.
    assert!(
        redrafted
            .iter()
            .all(|l| !names(l).contains(&"周一".to_owned())),
        "{redrafted:?}"
    );
    // Overdue: nothing issued more than 7 days ago.
    let data = app
        .gql_data(
            "{ letters(filter: { overdue: true }) { totalCount } issued: letters(filter: { state: REPLIED }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["letters"]["totalCount"], 0);
    assert_eq!(data["issued"]["totalCount"], 1);
}

/// Issues the draft to `code` of `letters` and returns it.
pub async fn issue(app: &TestApp, letters: &[Value], code: &str) -> Value {
    let data = app
        .gql_data(
            &format!(
                "mutation($id: ID!) {{ issueLetter(id: $id, channel: ELECTRONIC) {{ {LETTER} }} }}"
            ),
            json!({ "id": to(letters, code)["id"] }),
        )
        .await;
    data["issueLetter"].clone()
}

async fn moved_on_reopens_the_person_for_a_letter_to_the_new_place(app: TestApp) {
    import_the_usual(&app).await;
    let letters = draft(&app).await;
    let issued = issue(&app, &letters, "420902").await;
    let person = issued["persons"][0]["personId"].clone();
    let body = app
        .gql(
            "mutation($id: ID!, $p: ID!) { recordLetterReply(id: $id, persons: [{ personId: $p, outcome: MOVED_ON }]) { state } }",
            json!({ "id": issued["id"], "p": person }),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "BAD_USER_INPUT",
        "the new place is needed: {body}"
    );
    let data = app
        .gql_data(
            "mutation($id: ID!, $p: ID!) { recordLetterReply(id: $id, persons: [{ personId: $p, outcome: MOVED_ON, place: \"武汉市江岸区\", note: \"已去江岸\" }]) { state replies { outcome place { code name } note } } }",
            json!({ "id": issued["id"], "p": person }),
        )
        .await;
    let replies = &data["recordLetterReply"]["replies"];
    assert_eq!(replies[0]["place"]["code"], "420102", "{data}");
    let again = draft(&app).await;
    let jiangan = to(&again, "420102");
    assert_eq!(jiangan["persons"][0]["personId"], person);
    // The person's letters, oldest first.
    let data = app
        .gql_data(
            "query($p: ID!) { person(id: $p) { letters { jurisdiction { code } state } } }",
            json!({ "p": person }),
        )
        .await;
    assert_eq!(
        data["person"]["letters"],
        json!([
            { "jurisdiction": { "code": "420902" }, "state": "ISSUED" },
            { "jurisdiction": { "code": "420102" }, "state": "DRAFT" },
        ])
    );
}

async fn returned_to_county_is_location_evidence_and_starts_follow_up(app: TestApp) {
    import_the_usual(&app).await;
    let letters = draft(&app).await;
    let issued = issue(&app, &letters, "420902").await;
    let person = issued["persons"][0]["personId"].clone();
    app.gql_data(
        "mutation($id: ID!, $p: ID!) { recordLetterReply(id: $id, persons: [{ personId: $p, outcome: RETURNED_TO_COUNTY }]) { state } }",
        json!({ "id": issued["id"], "p": person }),
    )
    .await;
    let data = app
        .gql_data(
            "query($p: ID!) { person(id: $p) { locationStatus jurisdiction { code } locationEvidence { rule deciding status } observation { state } } }",
            json!({ "p": person }),
        )
        .await;
    let p = &data["person"];
    assert_eq!(p["locationStatus"], "IN_COUNTY", "{p}");
    assert!(p["jurisdiction"].is_null(), "{p}");
    let deciding: Vec<&Value> = p["locationEvidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter(|e| e["deciding"] == true)
        .collect();
    assert_eq!(deciding.len(), 1, "{p}");
    assert_eq!(deciding[0]["rule"], "letter.reply");
    assert_eq!(deciding[0]["status"], "IN_COUNTY");
    // In follow-up now (its period runs from the arrival date, by the follow-up rules).
    assert!(p["observation"]["state"].is_string(), "{p}");
    // A later notice placing the person in 孝南区 again does not outweigh the reply: the
    // reply is weighed again when the run rewrites the person.
    import_notice(
        &app,
        "again.json",
        notice(
            "孝南防指协〔2020〕13号",
            &[("周一", "湖北省孝感市孝南区书院街1号")],
            1,
        ),
    )
    .await;
    let data = app
        .gql_data(
            "query($p: ID!) { person(id: $p) { locationStatus locationEvidence { rule deciding } } }",
            json!({ "p": person }),
        )
        .await;
    assert_eq!(data["person"]["locationStatus"], "IN_COUNTY", "{data}");
    let evidence = data["person"]["locationEvidence"]
        .as_array()
        .expect("evidence");
    assert!(
        evidence
            .iter()
            .any(|e| e["rule"] == "letter.reply" && e["deciding"] == true),
        "{data}"
    );
    // Back in the county, the person is drafted no more.
    assert!(draft(&app).await.iter().all(|l| {
        l["persons"]
            .as_array()
            .expect("persons")
            .iter()
            .all(|q| q["personId"] != person)
    }));
}

async fn a_person_back_in_the_county_or_merged_leaves_the_open_letter(app: TestApp) {
    import_the_usual(&app).await;
    let letters = draft(&app).await;
    let xiaonan = to(&letters, "420902").clone();
    let (first, second) = (
        xiaonan["persons"][0]["personId"].clone(),
        xiaonan["persons"][1]["personId"].clone(),
    );
    let shenzhen = to(&letters, "440305")["persons"][0]["personId"].clone();

    // Merged: 周二 into 周一, both on the 孝南区 draft: one entry is left.
    app.gql_data(
        "mutation($a: ID!, $b: ID!) { mergePersons(a: $a, b: $b) { id } }",
        json!({ "a": first, "b": second }),
    )
    .await;
    let data = app
        .gql_data(
            &format!("query($id: ID!) {{ letter(id: $id) {{ {LETTER} }} }}"),
            json!({ "id": xiaonan["id"] }),
        )
        .await;
    let letter = &data["letter"];
    assert_eq!(
        letter["persons"].as_array().map(Vec::len),
        Some(1),
        "{letter}"
    );
    assert!(
        letter["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "PERSON_MERGED"),
        "{letter}"
    );

    // Back in the county: a township check finds 周四 at home.
    let csv = format!(
        "record_id,township,village,name,sex,id_number,phone,address,origin,arrival_date,report_date,remark\n\
         TS-L9,城关镇,河口村,周四,男,{},13900000004,城关镇河口村9号,武汉市,2020-01-20,2020-02-01,在家\n",
        id_number("42090219800101004")
    );
    app.register
        .import(ImportRequest::new(
            SourceKind::Township,
            "home.csv",
            csv.into_bytes(),
            "test",
        ))
        .await
        .expect("form imported");
    let data = app
        .gql_data(
            &format!("query($id: ID!) {{ letter(id: $id) {{ {LETTER} }} }}"),
            json!({ "id": to(&letters, "440305")["id"] }),
        )
        .await;
    let letter = &data["letter"];
    assert_eq!(letter["persons"], json!([]), "{letter}");
    let left = letter["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "PERSON_LEFT")
        .unwrap_or_else(|| panic!("an event: {letter}"));
    assert_eq!(left["personId"], shenzhen);
}

async fn a_notice_gets_an_answer_drafted_from_the_register(app: TestApp) {
    import_the_usual(&app).await;
    let data = app
        .gql_data(
            "{ notices(first: 5) { edges { node { id number } } } }",
            json!({}),
        )
        .await;
    let notice = data["notices"]["edges"]
        .as_array()
        .expect("notices")
        .iter()
        .find(|e| e["node"]["number"] == "孝南防指协〔2020〕9号")
        .expect("the notice")["node"]["id"]
        .clone();
    let data = app
        .gql_data(
            &format!("mutation($n: ID!) {{ replyToNotice(noticeId: $n) {{ {LETTER} persons {{ finding }} }} }}"),
            json!({ "n": notice }),
        )
        .await;
    let reply = &data["replyToNotice"];
    assert_eq!(reply["kind"], "REPLY");
    assert_eq!(reply["state"], "DRAFT");
    assert_eq!(reply["jurisdiction"]["code"], "420902");
    let persons = reply["persons"].as_array().expect("persons");
    assert_eq!(persons.len(), 4, "{reply}");
    assert!(
        persons.iter().all(|p| p["finding"]
            .as_str()
            .is_some_and(|f| f.contains("不在我县"))),
        "{reply}"
    );
    // Issued like any letter, numbered in the same series.
    let data = app
        .gql_data(
            "mutation($id: ID!) { issueLetter(id: $id, channel: POST) { number state } }",
            json!({ "id": reply["id"] }),
        )
        .await;
    assert_eq!(data["issueLetter"]["state"], "ISSUED");
}
