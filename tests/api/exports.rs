//! `exportPersons`: the persons a filter selects, written to a CSV (UTF-8 with a BOM) or XLSX
//! file with Chinese headers, masked by role, audited, fetched from `/exports/{id}` by the
//! token that made it.

use calamine::{Reader as _, Xlsx};
use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::error::AppError;
use paicha::register::query::{EXPORT_HEADER, PersonFilter};
use reqwest::StatusCode;
use sea_orm::Condition;
use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::on_every_backend!(
    an_analyst_exports_a_masked_csv_with_a_bom_and_chinese_headers,
    a_township_officer_exports_its_township_unmasked_as_xlsx,
    an_export_beyond_the_cap_is_refused_not_cut_short,
);

const TOWNSHIP: &str = "城关镇";

async fn token(app: &TestApp, role: Role, township: Option<&str>) -> String {
    let spec = TokenSpec::parse(role, township, None, &app.register.reference).expect("spec");
    app.register.create_token(spec).await.expect("token").token
}

const EXPORT: &str =
    "mutation($f: PersonFilterInput, $format: ExportFormat!, $u: Boolean! = false) {
    exportPersons(filter: $f, format: $format, unmasked: $u) { url expiresAt rows format } }";

/// `exportPersons` as `token`: the answer's `exportPersons`, or the whole body on errors.
async fn export(app: &TestApp, token: &str, variables: Value) -> Result<Value, Value> {
    let (status, body) = app.post_as(Some(token), EXPORT, variables).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    if body.get("errors").is_some() {
        return Err(body);
    }
    Ok(body["data"]["exportPersons"].clone())
}

/// GETs a download path as `token` (`None`: without one): status, headers, body.
async fn download(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app.client.get(format!("http://{}{path}", app.addr));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body").to_vec();
    (status, headers, body)
}

/// `totalCount` of `persons(filter)` as `token`.
async fn count(app: &TestApp, token: &str, filter: Value) -> u64 {
    let (_, body) = app
        .post_as(
            Some(token),
            "query($f: PersonFilterInput) { persons(filter: $f) { totalCount } }",
            json!({ "f": filter }),
        )
        .await;
    body["data"]["persons"]["totalCount"]
        .as_u64()
        .unwrap_or_else(|| panic!("{body}"))
}

fn column(name: &str) -> usize {
    EXPORT_HEADER
        .iter()
        .position(|h| *h == name)
        .expect("a column")
}

async fn an_analyst_exports_a_masked_csv_with_a_bom_and_chinese_headers(app: TestApp) {
    app.import_all_samples().await;
    let analyst = token(&app, Role::Analyst, None).await;
    let filter = json!({ "locationStatus": "IN_COUNTY" });
    let expected = count(&app, &analyst, filter.clone()).await;
    assert!(expected > 1);

    let made = export(&app, &analyst, json!({ "f": filter, "format": "CSV" }))
        .await
        .expect("exported");
    assert_eq!(made["rows"], expected, "{made}");
    assert_eq!(made["format"], "CSV");
    let url = made["url"].as_str().expect("url");
    assert!(
        url.starts_with("/exports/") && url.ends_with(".csv"),
        "{url}"
    );
    let expires: chrono::DateTime<chrono::Utc> = made["expiresAt"]
        .as_str()
        .expect("expiresAt")
        .parse()
        .expect("a time");
    assert!(expires > chrono::Utc::now() + chrono::Duration::minutes(50));

    let (status, headers, body) = download(&app, url, Some(&analyst)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("disposition")
            .starts_with("attachment")
    );
    assert!(body.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 with a BOM");
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, EXPORT_HEADER.map(str::to_owned).to_vec());
    for required in [
        "姓名",
        "性别",
        "身份证号",
        "联系电话",
        "乡镇",
        "村（社区）",
        "现住址",
        "与湖北关联",
        "状态",
        "首次报告日期",
        "来源",
    ] {
        assert!(header.iter().any(|h| h == required), "{required}");
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len() as u64, expected);
    assert!(rows.iter().all(|r| &r[column("状态")] == "在县内"));
    // Masked as the analyst reads persons: no ID number or phone in full.
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| &r[column("身份证号")])
        .filter(|v| !v.is_empty())
        .collect();
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|v| v.contains('*')), "{ids:?}");
    let phones = rows
        .iter()
        .map(|r| &r[column("联系电话")])
        .filter(|v| !v.is_empty());
    assert!(phones.clone().count() > 0);
    assert!(phones.clone().all(|v| v.contains('*')));
    assert!(rows.iter().all(|r| !r[column("来源")].is_empty()));
    // The masked values are the API's.
    let listed = app
        .gql_data(
            "query($f: PersonFilterInput) { persons(first: 500, filter: $f) { edges { node { id name idNumber } } } }",
            json!({ "f": { "locationStatus": "IN_COUNTY" } }),
        )
        .await;
    let first = &listed["persons"]["edges"][0]["node"];
    let row = rows
        .iter()
        .find(|r| r[column("人员编号")] == *first["id"].as_str().expect("id"))
        .expect("the person is in the file");
    assert_eq!(row[column("姓名")], *first["name"].as_str().expect("name"));
    assert_eq!(
        row[column("身份证号")],
        *first["idNumber"].as_str().unwrap_or_default()
    );

    // Only the token that made the file fetches it.
    let (status, _, _) = download(&app, url, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = download(&app, url, Some(&app.admin_token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = download(
        &app,
        "/exports/0123456789abcdef0123456789abcdef.csv",
        Some(&analyst),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An analyst may not export unmasked; a dashboard not at all.
    let refused = export(&app, &analyst, json!({ "format": "CSV", "u": true }))
        .await
        .expect_err("refused");
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    let dashboard = token(&app, Role::Dashboard, None).await;
    let refused = export(&app, &dashboard, json!({ "format": "CSV" }))
        .await
        .expect_err("refused");
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );

    // Audited once, as an export (not as a change of the register), with the filter.
    let log = app.audit_entries().await;
    let exports: Vec<_> = log.iter().filter(|e| e.kind.as_str() == "EXPORT").collect();
    assert_eq!(exports.len(), 1, "{log:?}");
    let entry = exports[0];
    assert_eq!(entry.role, "ANALYST");
    assert!(entry.operation.contains("IN_COUNTY"), "{}", entry.operation);
    assert!(
        entry.operation.contains(&format!("{expected} rows")),
        "{}",
        entry.operation
    );
    assert_eq!(
        (entry.persons.as_str(), entry.fields.as_str()),
        ("[]", "[]")
    );
    assert!(log.iter().all(|e| e.kind.as_str() != "MUTATION"), "{log:?}");
}

async fn a_township_officer_exports_its_township_unmasked_as_xlsx(app: TestApp) {
    app.import_all_samples().await;
    let officer = token(&app, Role::Township, Some(TOWNSHIP)).await;
    let expected = count(&app, &officer, json!({})).await;
    let everyone = count(&app, &app.admin_token, json!({})).await;
    assert!(expected > 0 && expected < everyone);

    let made = export(&app, &officer, json!({ "format": "XLSX", "u": true }))
        .await
        .expect("exported");
    assert_eq!(made["rows"], expected, "{made}");
    let url = made["url"].as_str().expect("url");
    assert!(url.ends_with(".xlsx"), "{url}");
    let (status, headers, body) = download(&app, url, Some(&officer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(body)).expect("a workbook");
    let range = workbook.worksheet_range("人员").expect("the sheet");
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(rows[0], EXPORT_HEADER.map(str::to_owned).to_vec());
    assert_eq!(rows.len() as u64, expected + 1);
    assert!(rows[1..].iter().all(|r| r[column("乡镇")] == TOWNSHIP));
    // Unmasked: ID numbers as stored, each read audited with its person.
    let ids: Vec<&String> = rows[1..]
        .iter()
        .map(|r| &r[column("身份证号")])
        .filter(|v| !v.is_empty())
        .collect();
    assert!(!ids.is_empty());
    assert!(
        ids.iter().all(|v| v.len() == 18 && !v.contains('*')),
        "{ids:?}"
    );
    let log = app.audit_entries().await;
    let entry = log
        .iter()
        .find(|e| e.kind.as_str() == "EXPORT")
        .expect("an EXPORT entry");
    assert_eq!(entry.role, "TOWNSHIP");
    let persons: Vec<i64> = serde_json::from_str(&entry.persons).expect("persons");
    assert_eq!(persons.len() as u64, expected);
    assert!(entry.fields.contains("idNumber") && entry.fields.contains("phones"));
}

async fn an_export_beyond_the_cap_is_refused_not_cut_short(app: TestApp) {
    app.import_all_samples().await;
    let all = app
        .register
        .export_person_sheet(
            &PersonFilter::default(),
            Condition::all(),
            Condition::all(),
            false,
            1_000,
        )
        .await
        .expect("a sheet");
    let n = all.persons.len();
    assert!(n > 2);
    let exact = app
        .register
        .export_person_sheet(
            &PersonFilter::default(),
            Condition::all(),
            Condition::all(),
            false,
            n,
        )
        .await
        .expect("exactly the cap");
    assert_eq!(exact.rows.len(), n);
    let refused = app
        .register
        .export_person_sheet(
            &PersonFilter::default(),
            Condition::all(),
            Condition::all(),
            false,
            n - 1,
        )
        .await;
    match refused {
        Err(AppError::BadInput(message)) => {
            assert!(message.contains(&(n - 1).to_string()), "{message}")
        }
        other => panic!("refused, not {other:?}"),
    }
}
