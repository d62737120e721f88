//! GraphQL over HTTP: queries, pagination, uploads, media types and status codes.

use serde_json::{Value, json};

use crate::helpers::{TestApp, sample_bytes};
use paicha::intake::SourceKind;

crate::on_every_backend!(
    persons_are_listed_as_a_relay_connection_page_by_page,
    a_person_is_found_by_id_number_written_any_way,
    source_records_show_their_normalised_identity_and_problems,
    a_file_uploaded_with_import_batch_is_imported,
);

async fn persons_are_listed_as_a_relay_connection_page_by_page(app: TestApp) {
    app.import_all_samples().await;
    let query = r#"query($after: String, $before: String, $first: Int, $last: Int) {
        persons(first: $first, after: $after, last: $last, before: $before) {
          totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { id locationStatus } } } }"#;
    let page1 = app.gql_data(query, json!({ "first": 3 })).await;
    let total = page1["persons"]["totalCount"].as_u64().expect("total");
    assert!(total > 20, "total {total}");
    assert_eq!(page1["persons"]["edges"].as_array().map(Vec::len), Some(3));
    assert_eq!(page1["persons"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(page1["persons"]["pageInfo"]["hasPreviousPage"], false);

    let end = page1["persons"]["pageInfo"]["endCursor"].clone();
    let page2 = app
        .gql_data(query, json!({ "first": 3, "after": end }))
        .await;
    assert_eq!(page2["persons"]["pageInfo"]["hasPreviousPage"], true);
    let first_ids: Vec<String> = page1["persons"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let second_ids: Vec<String> = page2["persons"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(first_ids.len(), 3, "{page1}");
    assert_eq!(second_ids.len(), 3, "{page2}");
    assert!(
        first_ids.iter().all(|id| !second_ids.contains(id)),
        "pages overlap"
    );

    let back = app
        .gql_data(
            query,
            json!({ "last": 2, "before": page2["persons"]["pageInfo"]["startCursor"] }),
        )
        .await;
    let back_ids: Vec<String> = back["persons"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(back_ids, first_ids[1..].to_vec());

    let last = app.gql_data(query, json!({ "last": 1 })).await;
    assert_eq!(last["persons"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(last["persons"]["pageInfo"]["hasPreviousPage"], true);

    let empty = app
        .gql_data(
            query,
            json!({ "first": 5, "after": last["persons"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(empty["persons"]["edges"].as_array().map(Vec::len), Some(0));
    assert_eq!(empty["persons"]["totalCount"].as_u64(), Some(total));

    let filtered = app
        .gql_data(
            r#"{ persons(first: 100, filter: {locationStatus: OUT_OF_COUNTY}) {
                   totalCount edges { node { locationStatus jurisdiction { code name } } } } }"#,
            json!({}),
        )
        .await;
    let edges = filtered["persons"]["edges"].as_array().expect("edges");
    assert!(!edges.is_empty());
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["locationStatus"] == "OUT_OF_COUNTY")
    );

    let too_big = app.gql(query, json!({ "first": 100_000 })).await;
    assert_eq!(too_big["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn a_person_is_found_by_id_number_written_any_way(app: TestApp) {
    app.import_all_samples().await;
    let query = r#"query($n: String!) { personByIdNumber(idNumber: $n) {
        name idNumber full: idNumber(unmasked: true) birthDate birthYear
        born: birthDate(unmasked: true) sex } }"#;
    for written in [
        "420902196705200246",
        "420902670520024",
        "４２０９０２１９６７０５２００２４６",
    ] {
        let data = app.gql_data(query, json!({ "n": written })).await;
        let person = &data["personByIdNumber"];
        assert_eq!(person["name"], "黄丽华", "{written}");
        assert_eq!(person["idNumber"], "420902********0246");
        assert_eq!(person["full"], "420902196705200246");
        assert_eq!(
            person["birthDate"],
            Value::Null,
            "masked beside the masked ID number"
        );
        assert_eq!(person["birthYear"], 1967);
        assert_eq!(person["born"], "1967-05-20");
        assert_eq!(person["sex"], "FEMALE");
    }
    let bad = app.gql(query, json!({ "n": "12345" })).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let missing = app
        .gql_data(query, json!({ "n": "11010519491231002X" }))
        .await;
    assert!(missing["personByIdNumber"].is_null());
}

async fn source_records_show_their_normalised_identity_and_problems(app: TestApp) {
    app.import_ok(SourceKind::Township, "township.csv").await;
    let data = app
        .gql_data(
            r#"{ sourceRecords(first: 20, filter: {source: TOWNSHIP}) { edges { node {
                 recordId source rowNumber
                 normalized(unmasked: true) { name idNumber idClass idCandidates phones { number fromText } }
                 problems { code field message }
                 person { id } } } } }"#,
            json!({}),
        )
        .await;
    let edges = data["sourceRecords"]["edges"].as_array().expect("edges");
    let node = |id: &str| {
        edges
            .iter()
            .map(|e| &e["node"])
            .find(|n| n["recordId"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let ts3 = node("TS-0003");
    assert_eq!(ts3["normalized"]["idClass"], "CHECKSUM_FAILED");
    let candidates: Vec<&str> = ts3["normalized"]["idCandidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(candidates.contains(&"420106197411020510"), "{candidates:?}");
    assert!(
        ts3["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .any(|p| p["code"] == "ID_CHECKSUM_FAILED")
    );
    assert_eq!(ts3["normalized"]["phones"][0]["number"], "18958607910");

    let ts8 = node("TS-0008");
    assert_eq!(ts8["normalized"]["phones"][0]["number"], "13912345678");
    assert_eq!(ts8["normalized"]["phones"][0]["fromText"], true);
    assert_eq!(ts8["rowNumber"], 8);
    assert!(ts8["person"]["id"].is_string());
}

async fn a_file_uploaded_with_import_batch_is_imported(app: TestApp) {
    let operations = json!({
        "query": "mutation($file: Upload!) { importBatch(source: TOWNSHIP, file: $file) { rowsRead rowsAccepted rejected { row reason } personsCreated } }",
        "variables": { "file": null }
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", r#"{ "0": ["variables.file"] }"#)
        .part(
            "0",
            reqwest::multipart::Part::bytes(sample_bytes("township.csv"))
                .file_name("township.csv")
                .mime_str("text/csv")
                .expect("mime"),
        );
    let response = app
        .client
        .post(app.graphql_url())
        .bearer_auth(&app.admin_token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(body.get("errors").is_none(), "{body}");
    let report = &body["data"]["importBatch"];
    assert_eq!(report["rowsRead"], 10);
    assert_eq!(report["rowsAccepted"], 9);
    assert_eq!(report["rejected"][0]["row"], 4);
    assert!(report["personsCreated"].as_u64() >= Some(8));
}

#[tokio::test]
async fn the_endpoint_follows_graphql_over_http() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .expect("app");
    let url = app.graphql_url();
    let client = &app.client;

    let get = client
        .get(&url)
        .bearer_auth(&app.admin_token)
        .query(&[("query", "{ stats { persons } }")])
        .header("accept", "application/graphql-response+json")
        .send()
        .await
        .expect("GET");
    assert_eq!(get.status(), 200);
    assert!(
        get.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/graphql-response+json")
    );

    let mutation = client
        .get(&url)
        .bearer_auth(&app.admin_token)
        .query(&[("query", "mutation { __typename }")])
        .send()
        .await
        .expect("GET mutation");
    assert_eq!(mutation.status(), 405);

    let invalid = client
        .post(&url)
        .bearer_auth(&app.admin_token)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ noSuchField }" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(invalid.status(), 400);
    let body: serde_json::Value = invalid.json().await.expect("JSON");
    assert!(body.get("data").is_none());

    let legacy = client
        .post(&url)
        .bearer_auth(&app.admin_token)
        .header("accept", "application/json")
        .json(&json!({ "query": "{ noSuchField }" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(legacy.status(), 200);
    assert!(
        legacy.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/json")
    );

    let not_acceptable = client
        .post(&url)
        .bearer_auth(&app.admin_token)
        .header("accept", "text/plain")
        .json(&json!({ "query": "{ stats { persons } }" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(not_acceptable.status(), 406);

    let unsupported = client
        .post(&url)
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/plain")
        .body("{ stats { persons } }")
        .send()
        .await
        .expect("POST");
    assert_eq!(unsupported.status(), 415);

    // GraphiQL's introspection query nests types nine levels deep: within the depth limit.
    let introspection = client
        .post(&url)
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": "{ __schema { queryType { name } types { name fields { name args { name type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } } } }" }))
        .send()
        .await
        .expect("introspection");
    assert_eq!(introspection.status(), 200);
    let body: serde_json::Value = introspection.json().await.expect("JSON");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");

    let graphiql = client
        .get(&url)
        .bearer_auth(&app.admin_token)
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET GraphiQL");
    assert_eq!(graphiql.status(), 200);
    assert!(
        graphiql
            .text()
            .await
            .unwrap_or_default()
            .contains("graphiql")
    );
}

mod graphiql {
    use serde_json::json;

    use crate::helpers::TestApp;

    crate::on_every_backend!(graphiql_opens_with_example_queries_that_all_run);

    async fn graphiql_opens_with_example_queries_that_all_run(app: TestApp) {
        app.import_all_samples().await;
        let page = app
            .client
            .get(app.graphql_url())
            .bearer_auth(&app.admin_token)
            .header("accept", "text/html")
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("HTML");
        assert!(page.contains("defaultTabs"), "{page}");
        assert!(page.contains("/graphql/ws"));
        for (title, query) in paicha::http::EXAMPLES {
            let tab = serde_json::to_string(query).expect("JSON");
            assert!(page.contains(&tab), "{title} is a tab");
            if query.contains("subscription ") {
                continue;
            }
            let data = app.gql_data(query, json!({})).await;
            let answered = data.as_object().is_some_and(|d| !d.is_empty());
            assert!(answered, "{title}: {data}");
        }
        let search = app.gql_data(paicha::http::EXAMPLES[3].1, json!({})).await;
        assert!(
            search["searchPersons"]["totalCount"]
                .as_u64()
                .is_some_and(|n| n >= 1)
        );
    }
}
