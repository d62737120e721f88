//! The role × operation matrix: every root query and mutation of the schema (enumerated by
//! introspection, so a new field without a call here or a declared rule in
//! `paicha::graphql::rules` fails) as every role and without a token,
//! allowed or refused; the township scope on lookups, search, lists and records; masking per
//! role; the audit log of unmasked reads and the actor of changes.

use std::collections::{BTreeMap, BTreeSet};

use paicha::access::token::TokenSpec;
use paicha::access::{Permission, Role};
use paicha::graphql::rules;
use paicha::intake::SourceKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, sample_bytes};

crate::on_every_backend!(
    every_operation_is_allowed_or_refused_as_the_role_table_says,
    a_township_officer_sees_only_its_township,
    masking_follows_the_role_and_unmasked_reads_are_audited,
);

/// The township the test's TOWNSHIP token serves (persons of the samples live there and
/// elsewhere).
const TOWNSHIP: &str = "城关镇";
/// The jurisdiction of the test's PARTNER token (Wuhan).
const PARTNER: &str = "420100";

/// A token of every role, the admin's being the hub's own.
struct Tokens(BTreeMap<Role, String>);

impl Tokens {
    async fn issue(app: &TestApp) -> Self {
        let mut tokens = BTreeMap::new();
        tokens.insert(Role::Admin, app.admin_token.clone());
        for (role, township, partner) in [
            (Role::Analyst, None, None),
            (Role::Clerk, None, None),
            (Role::Township, Some(TOWNSHIP), None),
            (Role::Partner, None, Some(PARTNER)),
            (Role::Dashboard, None, None),
        ] {
            let spec = TokenSpec::parse(role, township, partner, &app.register.reference)
                .expect("token spec");
            let issued = app.register.create_token(spec).await.expect("token");
            tokens.insert(role, issued.token);
        }
        Self(tokens)
    }

    fn of(&self, role: Role) -> &str {
        &self.0[&role]
    }
}

async fn post(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    app.post_as(token, query, variables).await
}

/// The notices of a partner in Wuhan: the sample notices sent from there (a partner may
/// submit only notices its own jurisdiction sends).
const WUHAN_NOTICES: &str = "external_wuhan.json";

/// A sample file's bytes, or the sample notices of [`WUHAN_NOTICES`].
fn upload_bytes(file: &str) -> Vec<u8> {
    if file != WUHAN_NOTICES {
        return sample_bytes(file);
    }
    let notices: Value =
        serde_json::from_slice(&sample_bytes("external.json")).expect("JSON notices");
    let wuhan: Vec<Value> = notices
        .as_array()
        .expect("an array of notices")
        .iter()
        .filter(|n| {
            n["sending_jurisdiction"]
                .as_str()
                .is_some_and(|j| j.contains("武汉"))
        })
        .cloned()
        .collect();
    assert!(!wuhan.is_empty(), "the samples hold a notice from Wuhan");
    serde_json::to_vec(&wuhan).expect("JSON")
}

/// `importBatch` of a sample file as a multipart upload.
/// The "source" of an upload case that imports a temperature sheet.
const TEMPERATURES: &str = "TEMPERATURES";
/// The "source" of an upload case that imports a team sheet.
const TEAMS: &str = "TEAMS";

async fn upload(
    app: &TestApp,
    token: Option<&str>,
    source: &str,
    file: &str,
) -> (StatusCode, Value) {
    if source == TEMPERATURES {
        // A temperature sheet whose only row names no person: read, the row refused.
        let operations = json!({
            "query": "mutation($f: Upload!) { importTemperatures(file: $f) { rows rejected { row reason } } }",
            "variables": { "f": null },
        });
        let sheet = b"person_id,date,morning\n999999,2020-01-25,36.5\n".to_vec();
        return app.upload_as(token, &operations, file, sheet).await;
    }
    if source == TEAMS {
        // A team sheet whose only row names no person: read, the row refused.
        let operations = json!({
            "query": "mutation($f: Upload!) { importTeams(file: $f) { rows teams rejected { row reason } } }",
            "variables": { "f": null },
        });
        let sheet = "人员编号,村医,村医电话\n999999,吴春生,13903760101\n"
            .as_bytes()
            .to_vec();
        return app.upload_as(token, &operations, file, sheet).await;
    }
    let operations = json!({
        "query": format!(
            "mutation($f: Upload!) {{ importBatch(source: {source}, file: $f) {{ batchId }} }}"
        ),
        "variables": { "f": null },
    });
    app.upload_as(token, &operations, file, upload_bytes(file))
        .await
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned))
        .collect()
}

/// The names of the root fields of `type_key` (`queryType`, `mutationType`, `subscriptionType`).
async fn root_fields(app: &TestApp, type_key: &str) -> BTreeSet<String> {
    let data = app
        .gql_data(
            &format!("{{ __schema {{ {type_key} {{ fields {{ name }} }} }} }}"),
            json!({}),
        )
        .await;
    data["__schema"][type_key]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect()
}

/// How the matrix calls a root field; who may call it is the field's declared rule
/// (`paicha::graphql::rules::ROOT_FIELDS`), the same the field's guard reads.
struct Case {
    field: &'static str,
    call: Call,
    /// The one of the field's declared permissions this call's arguments need, where they
    /// narrow it (`importBatch` of a township file needs `Import`; `SubmitNotice` admits
    /// external notices only).
    narrowed_to: Option<Permission>,
}

impl Case {
    /// Whether `role` may make this call, by the field's declared rule.
    fn allows(&self, role: Role) -> bool {
        match self.narrowed_to {
            Some(permission) => {
                assert!(
                    rules::permissions(self.field).contains(&permission),
                    "{} is not declared with {permission:?}",
                    self.field
                );
                permission.allows(role)
            }
            None => rules::allows(self.field, role),
        }
    }
}

enum Call {
    /// A JSON request with this document and these variables.
    Json(&'static str),
    /// `importBatch` of a sample file of a source kind.
    Upload(&'static str, &'static str),
}

/// A call of every root field (who may make it is declared in `rules::ROOT_FIELDS`).
fn cases() -> Vec<Case> {
    use Call::{Json, Upload};
    vec![
        Case {
            field: "viewer",
            call: Json("{ viewer { role township permissions canUnmask county today } }"),
            narrowed_to: None,
        },
        Case {
            field: "persons",
            call: Json(
                "{ persons(first: 3) { totalCount edges { node { id name township idNumber phones } } } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "searchPersons",
            call: Json(
                "{ searchPersons(text: \"黄丽华\") { totalCount edges { node { id township } } } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "person",
            call: Json("query($person: ID!) { person(id: $person) { id } }"),
            narrowed_to: None,
        },
        Case {
            field: "personByIdNumber",
            call: Json(
                "query($idNumber: String!) { personByIdNumber(idNumber: $idNumber) { id } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "sourceRecords",
            call: Json("{ sourceRecords(first: 3) { totalCount edges { node { id recordId } } } }"),
            narrowed_to: None,
        },
        Case {
            field: "importBatches",
            call: Json("{ importBatches(first: 3) { totalCount } }"),
            narrowed_to: None,
        },
        Case {
            field: "events",
            call: Json("{ events(first: 3) { totalCount edges { node { kind actor } } } }"),
            narrowed_to: None,
        },
        Case {
            field: "reviewCandidates",
            call: Json("{ reviewCandidates(first: 3) { totalCount } }"),
            narrowed_to: None,
        },
        Case {
            field: "reviewGroups",
            call: Json("{ reviewGroups(first: 3) { totalCount } }"),
            narrowed_to: None,
        },
        Case {
            field: "matchModel",
            call: Json("{ matchModel { __typename } }"),
            narrowed_to: None,
        },
        Case {
            field: "aggregates",
            call: Json("{ aggregates { persons byTownship { township count } } }"),
            narrowed_to: None,
        },
        Case {
            field: "stats",
            call: Json("{ stats { persons followup { countyWorklist teamIncomplete } } }"),
            narrowed_to: None,
        },
        Case {
            field: "auditLog",
            call: Json("{ auditLog(first: 3) { totalCount } }"),
            narrowed_to: None,
        },
        Case {
            field: "notices",
            call: Json("{ notices(first: 3) { totalCount edges { node { number } } } }"),
            narrowed_to: None,
        },
        Case {
            field: "verificationWorklist",
            call: Json(
                "{ verificationWorklist(first: 3) { totalCount edges { node { arrivalDate } } } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "importBatch",
            call: Upload("TOWNSHIP", "township.csv"),
            narrowed_to: Some(Permission::Import),
        },
        Case {
            field: "importBatch",
            call: Upload("EXTERNAL", WUHAN_NOTICES),
            narrowed_to: None,
        },
        Case {
            field: "decideCandidate",
            call: Json("mutation { decideCandidate(id: \"999999\", decision: SAME) { id } }"),
            narrowed_to: None,
        },
        Case {
            field: "mergePersons",
            call: Json("mutation { mergePersons(a: \"999998\", b: \"999999\") { id } }"),
            narrowed_to: None,
        },
        Case {
            field: "splitPerson",
            call: Json("mutation { splitPerson(id: \"999999\", recordIds: [\"999999\"]) { id } }"),
            narrowed_to: None,
        },
        Case {
            field: "resolveHouseholdLink",
            call: Json(
                "mutation { resolveHouseholdLink(id: \"999999\", outcome: UNREACHABLE) { outcome } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "exportPersons",
            call: Json("mutation { exportPersons(format: CSV) { rows } }"),
            narrowed_to: None,
        },
        Case {
            field: "alerts",
            call: Json("{ alerts(first: 3) { totalCount edges { node { id kind state } } } }"),
            narrowed_to: None,
        },
        Case {
            field: "updateObservation",
            call: Json(
                "mutation { updateObservation(personId: \"999999\", state: LOST_CONTACT) { state } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "recordTemperature",
            call: Json(
                "mutation { recordTemperature(personId: \"999999\", celsius: 36.5, takenAt: \"2020-01-25T00:00:00Z\") { correction } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "acknowledgeAlert",
            call: Json("mutation { acknowledgeAlert(id: \"999999\") { state } }"),
            narrowed_to: None,
        },
        Case {
            field: "resolveAlert",
            call: Json("mutation { resolveAlert(id: \"999999\") { state } }"),
            narrowed_to: None,
        },
        Case {
            field: "importTemperatures",
            call: Upload(TEMPERATURES, "temperatures.csv"),
            narrowed_to: None,
        },
        Case {
            field: "partners",
            call: Json("{ partners { code name baseUrl createdAt rotatedAt } }"),
            narrowed_to: None,
        },
        Case {
            field: "addPartner",
            call: Json(
                "mutation { addPartner(code: \"420102\", name: \"武汉市江岸区\", baseUrl: \"http://127.0.0.1:9/\") { partner { code } secret } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "removePartner",
            call: Json("mutation { removePartner(code: \"999999\") }"),
            narrowed_to: None,
        },
        Case {
            field: "rotatePartnerSecret",
            call: Json("mutation { rotatePartnerSecret(code: \"999999\") { secret } }"),
            narrowed_to: None,
        },
        Case {
            field: "importTeams",
            call: Upload(TEAMS, "teams.csv"),
            narrowed_to: None,
        },
        Case {
            field: "assignTeam",
            call: Json("mutation { assignTeam(personId: \"999999\", members: []) { role } }"),
            narrowed_to: None,
        },
        Case {
            field: "dailyReports",
            call: Json(
                "{ dailyReports(date: \"2020-01-25\") { township status registerCount differs } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "briefing",
            call: Json("{ briefing(date: \"2020-01-25\") { text figures { key value } } }"),
            narrowed_to: None,
        },
        Case {
            field: "fileDailyReport",
            call: Json(
                "mutation { fileDailyReport(township: \"城关镇\", date: \"2020-01-25\", newPersons: 0) { replaced } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "recordCase",
            call: Json("mutation { recordCase(personId: \"999999\", status: SUSPECTED) { id } }"),
            narrowed_to: None,
        },
        Case {
            field: "letters",
            call: Json(
                "{ letters(first: 3) { totalCount edges { node { id state jurisdiction { code } } } } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "letter",
            call: Json("{ letter(id: \"999999\") { id } }"),
            narrowed_to: None,
        },
        Case {
            field: "lettersUnaddressed",
            call: Json("{ lettersUnaddressed { id } }"),
            narrowed_to: None,
        },
        Case {
            field: "draftLetters",
            call: Json("mutation { draftLetters { id state } }"),
            narrowed_to: None,
        },
        Case {
            field: "issueLetter",
            call: Json("mutation { issueLetter(id: \"999999\", channel: POST) { number } }"),
            narrowed_to: None,
        },
        Case {
            field: "acknowledgeLetter",
            call: Json("mutation { acknowledgeLetter(id: \"999999\") { state } }"),
            narrowed_to: None,
        },
        Case {
            field: "cancelLetter",
            call: Json("mutation { cancelLetter(id: \"999999\") { state } }"),
            narrowed_to: None,
        },
        Case {
            field: "recordLetterReply",
            call: Json(
                "mutation { recordLetterReply(id: \"999999\", persons: [{ personId: \"1\", outcome: OBSERVED }]) { state } }",
            ),
            narrowed_to: None,
        },
        Case {
            field: "replyToNotice",
            call: Json("mutation { replyToNotice(noticeId: \"999999\") { id } }"),
            narrowed_to: None,
        },
    ]
}

async fn every_operation_is_allowed_or_refused_as_the_role_table_says(app: TestApp) {
    app.import_all_samples().await;
    let tokens = Tokens::issue(&app).await;
    let cases = cases();

    // Every root field of the schema has a rule here, and every rule a field.
    let mut schema_fields = root_fields(&app, "queryType").await;
    schema_fields.extend(root_fields(&app, "mutationType").await);
    let covered: BTreeSet<String> = cases.iter().map(|c| c.field.to_owned()).collect();
    assert_eq!(
        schema_fields, covered,
        "a root field without a call in the matrix"
    );
    // Every root field, subscriptions included, has a declared rule, and every rule a field.
    let mut all_fields = schema_fields.clone();
    all_fields.extend(root_fields(&app, "subscriptionType").await);
    let declared: BTreeSet<String> = rules::ROOT_FIELDS
        .iter()
        .map(|(field, _)| (*field).to_owned())
        .collect();
    assert_eq!(all_fields, declared, "a root field without a declared rule");
    // Subscriptions are checked over the WebSocket in tests/api/subscriptions.rs and access.rs.
    assert_eq!(
        root_fields(&app, "subscriptionType").await,
        BTreeSet::from([
            "alertRaised".to_owned(),
            "registerChanges".to_owned(),
            "statsChanged".to_owned()
        ])
    );

    // An in-scope person of the township officer, with its ID number.
    let data = app
        .gql_data(
            "query($t: String) { persons(first: 1, filter: { township: $t }) { edges { node { id idNumber(unmasked: true) } } } }",
            json!({ "t": TOWNSHIP }),
        )
        .await;
    let node = &data["persons"]["edges"][0]["node"];
    let variables = json!({
        "person": node["id"],
        "idNumber": node["idNumber"].as_str().unwrap_or("420102199001011234"),
    });

    let mut checked = 0;
    for case in &cases {
        for role in [None].into_iter().chain(Role::ALL.into_iter().map(Some)) {
            let token = role.map(|r| tokens.of(r));
            let (status, body) = match case.call {
                Call::Json(query) => post(&app, token, query, variables.clone()).await,
                Call::Upload(source, file) => upload(&app, token, source, file).await,
            };
            let codes = codes(&body);
            let who = format!("{} as {role:?}: {body}", case.field);
            match role {
                None => {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{who}");
                    assert_eq!(codes, ["UNAUTHENTICATED"], "{who}");
                    assert!(body.get("data").is_none(), "{who}");
                }
                Some(role) if case.allows(role) => {
                    assert_eq!(status, StatusCode::OK, "{who}");
                    assert!(
                        codes
                            .iter()
                            .all(|c| c != "FORBIDDEN" && c != "UNAUTHENTICATED"),
                        "{who}"
                    );
                    // Allowed reads answer; allowed changes of objects that do not exist
                    // answer NOT_FOUND.
                    assert!(
                        codes.is_empty() || codes.iter().all(|c| c == "NOT_FOUND"),
                        "{who}"
                    );
                }
                Some(_) => {
                    assert_eq!(status, StatusCode::OK, "{who}");
                    assert_eq!(codes, ["FORBIDDEN"], "{who}");
                    assert!(
                        body["data"].is_null() || body["data"][case.field].is_null(),
                        "nothing leaks: {who}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, cases.len() * (Role::ALL.len() + 1));
}

async fn a_township_officer_sees_only_its_township(app: TestApp) {
    app.import_all_samples().await;
    let tokens = Tokens::issue(&app).await;
    let officer = Some(tokens.of(Role::Township));
    let all = app
        .gql_data(
            "{ persons(first: 500) { totalCount edges { node { id name township } } } }",
            json!({}),
        )
        .await;
    let persons = all["persons"]["edges"].as_array().expect("edges").clone();
    let here = persons
        .iter()
        .filter(|e| e["node"]["township"] == TOWNSHIP)
        .count() as u64;
    let elsewhere = persons
        .iter()
        .find(|e| e["node"]["township"] != TOWNSHIP && e["node"]["name"].is_string())
        .expect("a person of another township or none")["node"]
        .clone();
    assert!(here > 0 && here < all["persons"]["totalCount"].as_u64().expect("n"));

    // The list: its township's persons only, counted in SQL.
    let (_, body) = post(
        &app,
        officer,
        "{ persons(first: 500) { totalCount edges { node { id township } } } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["persons"]["totalCount"], here, "{body}");
    let edges = body["data"]["persons"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len() as u64, here, "{body}");
    for edge in edges {
        assert_eq!(edge["node"]["township"], TOWNSHIP);
    }
    // Even when the filter asks for another township.
    let (_, body) = post(
        &app,
        officer,
        "query($t: String) { persons(first: 5, filter: { township: $t }) { totalCount } }",
        json!({ "t": elsewhere["township"] }),
    )
    .await;
    assert_eq!(body["data"]["persons"]["totalCount"], 0, "{body}");

    // By ID: another township's person answers null, as a person that does not exist.
    let (_, body) = post(
        &app,
        officer,
        "query($id: ID!) { person(id: $id) { id name } }",
        json!({ "id": elsewhere["id"] }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert!(body["data"]["person"].is_null(), "{body}");

    // Through search: by the name of that person, nothing of another township; only its own
    // township's persons the admin's search finds.
    let admin_search = app
        .gql_data(
            "query($t: String!) { searchPersons(text: $t, first: 100) { totalCount edges { node { township } } } }",
            json!({ "t": elsewhere["name"] }),
        )
        .await;
    assert!(admin_search["searchPersons"]["totalCount"].as_u64() >= Some(1));
    let admin_hits = admin_search["searchPersons"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(
        admin_hits.len() as u64,
        admin_search["searchPersons"]["totalCount"]
            .as_u64()
            .expect("n"),
        "{admin_search}"
    );
    let own_hits = admin_hits
        .iter()
        .filter(|e| e["node"]["township"] == TOWNSHIP)
        .count();
    let (_, body) = post(
        &app,
        officer,
        "query($t: String!) { searchPersons(text: $t) { totalCount edges { node { township } } } }",
        json!({ "t": elsewhere["name"] }),
    )
    .await;
    let hits = body["data"]["searchPersons"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(hits.len(), own_hits, "{body}");
    assert_eq!(
        body["data"]["searchPersons"]["totalCount"], own_hits,
        "{body}"
    );
    for edge in hits {
        assert_eq!(edge["node"]["township"], TOWNSHIP, "{body}");
    }

    // Records: its township's only; batches belong to no township; aggregates not at all.
    let (_, body) = post(
        &app,
        officer,
        "{ sourceRecords(first: 500) { edges { node { normalized { township } person { township } } } } importBatches { totalCount } }",
        json!({}),
    )
    .await;
    let records = body["data"]["sourceRecords"]["edges"]
        .as_array()
        .expect("edges");
    assert!(!records.is_empty(), "{body}");
    for edge in records {
        assert_eq!(edge["node"]["normalized"]["township"], TOWNSHIP, "{body}");
        let person = &edge["node"]["person"];
        assert!(person.is_null() || person["township"] == TOWNSHIP, "{body}");
    }
    assert_eq!(body["data"]["importBatches"]["totalCount"], 0, "{body}");
    let (_, body) = post(&app, officer, "{ aggregates { persons } }", json!({})).await;
    assert_eq!(codes(&body), ["FORBIDDEN"], "{body}");
}

async fn masking_follows_the_role_and_unmasked_reads_are_audited(app: TestApp) {
    app.import_ok(SourceKind::Township, "township.csv").await;
    let tokens = Tokens::issue(&app).await;
    let query = "query Look($t: String) { persons(first: 1, filter: { township: $t }) { edges { node { id idNumber phones } } } }";
    let unmasked = "query Reveal($t: String) { persons(first: 1, filter: { township: $t }) { edges { node { id idNumber(unmasked: true) phones(unmasked: true) } } } }";
    let vars = json!({ "t": TOWNSHIP });

    // Masked for everyone who reads persons; never a '*' free ID number.
    for role in [Role::Admin, Role::Analyst, Role::Township] {
        let (_, body) = post(&app, Some(tokens.of(role)), query, vars.clone()).await;
        let node = &body["data"]["persons"]["edges"][0]["node"];
        assert!(
            node["idNumber"].as_str().expect("id number").contains('*'),
            "{role}: {body}"
        );
    }
    assert_eq!(
        app.audit_entries().await.len(),
        0,
        "masked reads are not audited"
    );

    // Unmasked: ADMIN and the person's TOWNSHIP; ANALYST is refused.
    let (_, body) = post(&app, Some(tokens.of(Role::Analyst)), unmasked, vars.clone()).await;
    assert!(
        codes(&body).iter().all(|c| c == "FORBIDDEN") && !codes(&body).is_empty(),
        "{body}"
    );
    assert_eq!(
        app.audit_entries().await.len(),
        0,
        "refused reads read nothing"
    );
    let mut seen = Vec::new();
    for role in [Role::Admin, Role::Township] {
        let (_, body) = post(&app, Some(tokens.of(role)), unmasked, vars.clone()).await;
        assert!(body.get("errors").is_none(), "{role}: {body}");
        let node = &body["data"]["persons"]["edges"][0]["node"];
        assert!(
            !node["idNumber"].as_str().expect("id number").contains('*'),
            "{body}"
        );
        seen.push(node["id"].clone());
    }

    // Each unmasked read is in the audit log: who, which person, which fields, the operation.
    let (_, log) = post(
        &app,
        Some(tokens.of(Role::Admin)),
        "{ auditLog(first: 10, filter: { kind: UNMASKED_READ }) { totalCount edges { node { at role tokenId persons fields operation } } } }",
        json!({}),
    )
    .await;
    let entries = log["data"]["auditLog"]["edges"]
        .as_array()
        .expect("entries");
    assert_eq!(entries.len(), 2, "{log}");
    for (entry, (role, person)) in entries
        .iter()
        .zip([Role::Admin, Role::Township].iter().zip(&seen))
    {
        let e = &entry["node"];
        assert_eq!(e["role"], role.as_str(), "{log}");
        assert!(e["tokenId"].is_string(), "{log}");
        assert_eq!(e["persons"], json!([person]), "{log}");
        assert_eq!(e["fields"], json!(["idNumber", "phones"]), "{log}");
        assert_eq!(e["operation"], "Reveal: persons", "{log}");
    }
    // The filter by token: the township officer's entry alone.
    let officer_token = &entries[1]["node"]["tokenId"];
    let (_, log) = post(
        &app,
        Some(tokens.of(Role::Admin)),
        "query($t: ID) { auditLog(filter: { tokenId: $t }) { totalCount } }",
        json!({ "t": officer_token }),
    )
    .await;
    assert_eq!(log["data"]["auditLog"]["totalCount"], 1, "{log}");

    // A change names its actor: the token that made it.
    let upload_as = async |role: Role, file: &str| {
        upload(&app, Some(tokens.of(role)), "EXTERNAL", file)
            .await
            .1
    };
    let body = upload_as(Role::Partner, "external.json").await;
    // A partner speaks for its own jurisdiction only: notices sent from elsewhere are
    // refused whole, and nothing is written.
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    // Also once the county's own staff have imported the same file: the partner is not told
    // of that import.
    let body = upload_as(Role::Admin, "external.json").await;
    assert!(body.get("errors").is_none(), "{body}");
    let body = upload_as(Role::Partner, "external.json").await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let body = upload_as(Role::Partner, WUHAN_NOTICES).await;
    assert!(body.get("errors").is_none(), "{body}");
    let batches = app
        .gql_data(
            "{ importBatches(last: 1) { edges { node { importedBy } } } }",
            json!({}),
        )
        .await;
    let by = batches["importBatches"]["edges"][0]["node"]["importedBy"]
        .as_str()
        .expect("importedBy");
    assert!(by.starts_with("token:"), "{by}");
}
