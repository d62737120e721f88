//! Hostile and broken files: each is refused whole with a clear message and nothing of it is
//! written. The files are made here (nothing big is committed).

use std::io::{Cursor, Write as _};

use paicha::error::AppError;
use paicha::intake::SourceKind;
use paicha::register::ImportRequest;
use rand::{RngCore as _, SeedableRng as _};

use crate::helpers::{TestApp, import_file, paicha_command, upload_form};

crate::on_every_backend!(
    a_truncated_xlsx_is_refused,
    a_zip_bomb_posing_as_xlsx_is_refused_without_unpacking_it,
    a_zip_bomb_that_lies_about_its_size_is_stopped_while_unpacking,
    a_cell_at_the_far_corner_of_a_sheet_is_refused_by_the_column_limit,
    binary_garbage_is_refused_in_every_format,
    a_csv_with_a_million_columns_is_refused,
    a_100_mb_line_is_refused,
    invalid_utf8_and_mixed_encodings_are_refused,
    formulas_in_cells_are_never_evaluated,
    an_upload_beyond_the_size_limit_is_refused_over_http,
    an_xlsx_with_its_one_data_row_far_down_holds_one_row_and_rejects_none,
    blank_rows_are_no_rows_and_keep_the_numbers_of_the_rows_after_them,
    a_batch_keeps_the_first_thousand_rejected_rows_and_counts_them_all,
);

/// A minimal XLSX workbook of one sheet whose `<sheetData>` is `rows`.
pub(crate) fn xlsx(rows: &str) -> Vec<u8> {
    xlsx_with_sheet(format!(
        r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    ).as_bytes())
}

pub(crate) fn xlsx_with_sheet(sheet: &[u8]) -> Vec<u8> {
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts: [(&str, &[u8]); 5] = [
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).leak().as_bytes(),
        ),
        (
            "xl/workbook.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#).leak().as_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#).leak().as_bytes(),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts {
        writer.start_file(name, options).expect("zip entry");
        writer.write_all(data).expect("zip write");
    }
    writer.finish().expect("zip finish").into_inner()
}

/// An inline-string cell.
pub(crate) fn cell(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// Imports `bytes` as file `name` of `source` and returns the refusal's message; panics when
/// the file is not refused as unusable input.
pub(crate) async fn refusal(app: &TestApp, source: SourceKind, name: &str, bytes: &[u8]) -> String {
    match app
        .register
        .import(ImportRequest::new(source, name, bytes.to_vec(), "test"))
        .await
    {
        Err(AppError::BadInput(message)) => message,
        other => panic!("{name} must be refused: {other:?}"),
    }
}

pub(crate) async fn assert_nothing_written(app: &TestApp) {
    for table in [
        "import_batch",
        "source_record",
        "notice",
        "person",
        "record_link",
        "resolution_event",
    ] {
        assert_eq!(app.count(table).await, 0, "{table} must stay empty");
    }
}

async fn a_truncated_xlsx_is_refused(app: TestApp) {
    let whole = xlsx(&format!(
        r#"<row r="1">{}{}</row><row r="2">{}{}</row>"#,
        cell("A1", "姓名"),
        cell("B1", "手机号"),
        cell("A2", "张三"),
        cell("B2", "13800138000")
    ));
    let report = import_file(&app.register, SourceKind::Township, "whole.xlsx", &whole).await;
    assert_eq!(report.rows_accepted, 1);
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .expect("a fresh hub");
    for cut in [whole.len() / 2, whole.len() - 10, 30] {
        let message = refusal(&app, SourceKind::Township, "cut.xlsx", &whole[..cut]).await;
        assert!(
            message.contains("XLSX") && message.contains("无法读取"),
            "{message}"
        );
    }
    assert_nothing_written(&app).await;
}

/// A sheet of 20 MiB of spaces (past the 16 MiB any entry may unpack to whatever its ratio):
/// it packs about 1000 to 1.
fn bomb_sheet() -> Vec<u8> {
    let mut sheet = br#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#.to_vec();
    sheet.resize(sheet.len() + 20 * 1024 * 1024, b' ');
    sheet.extend_from_slice(b"</sheetData></worksheet>");
    sheet
}

async fn a_zip_bomb_posing_as_xlsx_is_refused_without_unpacking_it(app: TestApp) {
    let bomb = xlsx_with_sheet(&bomb_sheet());
    assert!(bomb.len() < 1024 * 1024, "packed: {} bytes", bomb.len());
    let message = refusal(&app, SourceKind::Township, "bomb.xlsx", &bomb).await;
    assert!(message.contains("压缩炸弹"), "{message}");
    assert_nothing_written(&app).await;
}

/// Rewrites the unpacked size of every entry, in the local headers and the central directory,
/// to `size`: a ZIP that lies about what it holds.
fn lie_about_sizes(zip: &mut [u8], size: u32) {
    let mut i = 0;
    while i + 30 <= zip.len() {
        let field = match &zip[i..i + 4] {
            b"PK\x03\x04" => Some(i + 22),
            b"PK\x01\x02" => Some(i + 24),
            _ => None,
        };
        if let Some(at) = field {
            zip[at..at + 4].copy_from_slice(&size.to_le_bytes());
        }
        i += 1;
    }
}

async fn a_zip_bomb_that_lies_about_its_size_is_stopped_while_unpacking(app: TestApp) {
    let mut bomb = xlsx_with_sheet(&bomb_sheet());
    lie_about_sizes(&mut bomb, 1000);
    let message = refusal(&app, SourceKind::Township, "liar.xlsx", &bomb).await;
    assert!(
        message.contains("压缩炸弹") || message.contains("损坏"),
        "{message}"
    );
    assert_nothing_written(&app).await;
}

async fn a_cell_at_the_far_corner_of_a_sheet_is_refused_by_the_column_limit(app: TestApp) {
    // Read as a grid, A1 and XFD1048576 would span 17 billion cells.
    let corner = xlsx(&format!(
        r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
        cell("A1", "姓名"),
        cell("XFD1048576", "x")
    ));
    let message = refusal(&app, SourceKind::Township, "corner.xlsx", &corner).await;
    assert!(message.contains("列的上限"), "{message}");
    assert_nothing_written(&app).await;
}

async fn binary_garbage_is_refused_in_every_format(app: TestApp) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_200_123);
    for ext in ["csv", "xlsx", "json", "ndjson"] {
        for _ in 0..4 {
            let mut bytes = vec![0u8; 4096];
            rng.fill_bytes(&mut bytes);
            let name = format!("garbage.{ext}");
            let message = refusal(&app, SourceKind::Bigdata, &name, &bytes).await;
            assert!(message.contains("无法读取"), "{name}: {message}");
        }
    }
    // Garbage behind a valid ZIP signature.
    let mut fake = b"PK\x03\x04".to_vec();
    fake.extend(std::iter::repeat_n(0xA5u8, 2048));
    let message = refusal(&app, SourceKind::Bigdata, "fake.xlsx", &fake).await;
    assert!(message.contains("XLSX"), "{message}");
    assert_nothing_written(&app).await;
}

async fn a_csv_with_a_million_columns_is_refused(app: TestApp) {
    let mut csv = String::from("姓名");
    for i in 0..1_000_000 {
        csv.push_str(&format!(",c{i}"));
    }
    csv.push_str("\n张三\n");
    let message = refusal(&app, SourceKind::Township, "wide.csv", csv.as_bytes()).await;
    assert!(message.contains("列的上限"), "{message}");

    // Short cells: a million columns in 2 MB.
    let narrow = format!("姓名{}\n张三\n", ",".repeat(999_999));
    let message = refusal(&app, SourceKind::Township, "wide2.csv", narrow.as_bytes()).await;
    assert!(message.contains("1000000 列"), "{message}");
    assert_nothing_written(&app).await;
}

async fn a_100_mb_line_is_refused(app: TestApp) {
    let mut csv = b"record_id,name,remark\nR1,".to_vec();
    csv.resize(csv.len() + 100 * 1024 * 1024, b'x');
    csv.extend_from_slice(",note\nR2,李四,ok\n".as_bytes());
    let message = refusal(&app, SourceKind::Township, "long.csv", &csv).await;
    // Data rows are numbered from 1, the header apart, as row rejections are.
    assert!(
        message.contains("第 1 行") && message.contains("字节"),
        "{message}"
    );
    let mut ndjson = br#"{"name":""#.to_vec();
    ndjson.resize(ndjson.len() + 100 * 1024 * 1024, b'x');
    ndjson.extend_from_slice(b"\"}\n");
    let message = refusal(&app, SourceKind::Bigdata, "long.ndjson", &ndjson).await;
    assert!(message.contains("第 1 行"), "{message}");
    // One JSON document may be one long line; a 100 MB value is still refused, by the cell limit.
    let json = [
        br#"[{"name":""#.as_slice(),
        &ndjson[9..ndjson.len() - 1],
        b"]",
    ]
    .concat();
    let message = refusal(&app, SourceKind::Bigdata, "long.json", &json).await;
    assert!(message.contains("字符的上限"), "{message}");
    assert_nothing_written(&app).await;
}

async fn invalid_utf8_and_mixed_encodings_are_refused(app: TestApp) {
    // Neither UTF-8 nor GB18030.
    let invalid = b"name,phone\n\xFF\xFE\xFF,13800138000\n";
    let message = refusal(&app, SourceKind::Township, "bad.csv", invalid).await;
    assert!(
        message.contains("UTF-8") && message.contains("GB18030"),
        "{message}"
    );

    // A UTF-8 header with a GB18030 row pasted under it.
    let mut mixed = "姓名,手机号,备注\n张三,13800138000,本地\n"
        .as_bytes()
        .to_vec();
    let (gb, _, _) = encoding_rs::GB18030.encode("李四,13900139000,外地\n");
    mixed.extend_from_slice(&gb);
    let message = refusal(&app, SourceKind::Township, "mixed.csv", &mixed).await;
    assert!(
        message.contains("混用") && message.contains("表头是 UTF-8，第 2 行不是"),
        "{message}"
    );

    for name in ["bad.json", "bad.ndjson"] {
        let message = refusal(&app, SourceKind::Bigdata, name, b"{\"name\":\"\xC0\xAF\"}").await;
        assert!(message.contains("UTF-8"), "{name}: {message}");
    }
    assert_nothing_written(&app).await;
}

async fn formulas_in_cells_are_never_evaluated(app: TestApp) {
    // B2's formula would give 2; the workbook stored 3 for it, and 3 is what is read. C2 has a
    // formula and no stored value: it reads as empty, never as the formula's result.
    let sheet = xlsx(&format!(
        r#"<row r="1">{}{}{}{}</row><row r="2">{}<c r="B2"><f>1+1</f><v>3</v></c><c r="C2"><f>HYPERLINK("http://evil.example","x")</f></c>{}</row>"#,
        cell("A1", "record_id"),
        cell("B1", "age"),
        cell("C1", "remark"),
        cell("D1", "name"),
        cell("A2", "F1"),
        cell("D2", "=cmd|' /C calc'!A0")
    ));
    let report = import_file(&app.register, SourceKind::Township, "f.xlsx", &sheet).await;
    assert_eq!(report.rows_accepted, 1);
    let csv = "record_id,name,phone\nF2,=HYPERLINK(\"http://evil.example\"),13800138000\n";
    import_file(&app.register, SourceKind::Township, "f.csv", csv).await;
    let data = app
        .gql_data(
            r#"{ sourceRecords(first: 10) { edges { node { recordId raw } } } }"#,
            serde_json::json!({}),
        )
        .await;
    let raw_of = |id: &str| {
        data["sourceRecords"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .find(|e| e["node"]["recordId"] == id)
            .map(|e| e["node"]["raw"].clone())
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(raw_of("F1")["age"], "3", "the stored value, not 1+1");
    assert_eq!(
        raw_of("F1")["remark"],
        "",
        "no stored value, nothing evaluated"
    );
    assert_eq!(raw_of("F1")["name"], "=cmd|' /C calc'!A0", "kept as text");
    assert_eq!(raw_of("F2")["name"], "=HYPERLINK(\"http://evil.example\")");
}

async fn an_upload_beyond_the_size_limit_is_refused_over_http(app: TestApp) {
    // The same hub's database, served with a 1 MiB body limit.
    let limits = paicha::http::Limits {
        body_bytes: 1024 * 1024,
        upload_bytes: 512 * 1024,
        ..paicha::http::Limits::default()
    };
    let router = paicha::http::router_with_limits(
        paicha::graphql::schema(app.register.clone()),
        paicha::access::Access::required(app.register.db().clone()),
        limits,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/graphql", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let upload = |size: usize| {
        let mut csv = b"name,phone\n".to_vec();
        while csv.len() < size {
            csv.extend_from_slice("张三,13800138000\n".as_bytes());
        }
        let operations = serde_json::json!({
            "query": "mutation($f: Upload!) { importBatch(source: TOWNSHIP, file: $f) { rowsAccepted } }",
            "variables": { "f": null },
        });
        upload_form(&operations, "big.csv", csv)
    };
    // Over each limit, up to nearly twice the body limit: the server reads and discards the
    // rest of a refused body before it answers, so the client reads the 413 answer rather
    // than a broken pipe, however little of the body the socket buffers hold.
    for size in [
        600 * 1024,
        1024 * 1024 + 64 * 1024,
        2 * 1024 * 1024 - 64 * 1024,
    ] {
        let response = app
            .client
            .post(&url)
            .bearer_auth(&app.admin_token)
            .multipart(upload(size))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 413, "{size} bytes");
        let body: serde_json::Value = response.json().await.expect("JSON body");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("MiB"), "{message}");
    }
    for size in [1024 * 1024 + 64 * 1024, 2 * 1024 * 1024 - 64 * 1024] {
        let json = serde_json::json!({ "query": format!("{{ stats {{ persons }} }} #{}", "x".repeat(size)) });
        let response = app
            .client
            .post(&url)
            .bearer_auth(&app.admin_token)
            .json(&json)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 413, "a JSON body of {size} bytes");
    }
    assert_nothing_written(&app).await;
}

/// `paicha export` escapes values a spreadsheet would run as formulas (CSV injection).
#[test]
fn exported_csv_values_that_look_like_formulas_are_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
    let file = dir.path().join("f.csv");
    std::fs::write(
        &file,
        "record_id,name,phone\n=1+1,=HYPERLINK(\"http://evil.example\"),13800138000\n@SUM,+张三,13900139000\n",
    )
    .expect("write");
    let run = |args: &[&str]| crate::helpers::run_ok(paicha_command(&db).args(args));
    run(&["import", "township", file.to_str().expect("path")]);
    let records = run(&["export", "records"]);
    assert!(records.contains("township,'=1+1,"), "{records}");
    assert!(records.contains("township,'@SUM,"), "{records}");
    let persons = run(&["export", "persons"]);
    assert!(persons.contains(",'+张三,"), "{persons}");
    assert!(persons.contains("\"'=HYPERLINK("), "{persons}");
    assert!(
        !persons
            .lines()
            .any(|l| l.split(',').any(|c| c.starts_with('=')))
    );
}

/// A 1.6 KB workbook whose one data row is at row 1 048 000 once took the hub to 1.4 GB and
/// stored a million rejected empty rows: empty rows are no rows.
async fn an_xlsx_with_its_one_data_row_far_down_holds_one_row_and_rejects_none(app: TestApp) {
    let far = 1_048_000;
    let book = xlsx(&format!(
        r#"<row r="1">{}{}</row><row r="{far}">{}{}</row>"#,
        cell("A1", "姓名"),
        cell("B1", "手机号"),
        cell(&format!("A{far}"), "张三"),
        cell(&format!("B{far}"), "13800138000")
    ));
    assert!(book.len() < 4096, "{} bytes", book.len());
    let report = import_file(&app.register, SourceKind::Township, "far.xlsx", &book).await;
    assert_eq!(
        (report.rows_read, report.rows_accepted, report.rows_rejected),
        (1, 1, 0)
    );
    assert!(report.rejected.is_empty());
    let stored = app
        .gql_data(
            "{ importBatches { edges { node { report { rowsRejected rejected { row } } } } } \
               sourceRecords { edges { node { rowNumber } } } }",
            serde_json::json!({}),
        )
        .await;
    let node = &stored["importBatches"]["edges"][0]["node"]["report"];
    assert_eq!(node["rowsRejected"], 0, "{stored}");
    // The row keeps its number in the sheet (data rows numbered from 1 under the header).
    assert_eq!(
        stored["sourceRecords"]["edges"][0]["node"]["rowNumber"],
        far - 1,
        "{stored}"
    );
}

async fn blank_rows_are_no_rows_and_keep_the_numbers_of_the_rows_after_them(app: TestApp) {
    let csv = "name,phone,remark\n,,\n张三,13800138000,\n , ,\n,,\n李四,,无号码\n,,note\n";
    let report = import_file(&app.register, SourceKind::Township, "blank.csv", csv).await;
    assert_eq!(
        (report.rows_read, report.rows_accepted, report.rows_rejected),
        (3, 2, 1),
        "{report:?}"
    );
    assert_eq!(report.rejected[0].row, 6, "{report:?}");
    let book = xlsx(&format!(
        r#"<row r="1">{}{}</row><row r="2"></row><row r="3">{}{}</row><row r="5">{}</row><row r="9"><c r="A9"/></row>"#,
        cell("A1", "姓名"),
        cell("B1", "备注"),
        cell("A3", "张三"),
        cell("B3", "13800138000"),
        cell("B5", "无人"),
    ));
    let report = import_file(&app.register, SourceKind::Township, "blank.xlsx", &book).await;
    assert_eq!(
        (report.rows_read, report.rows_accepted, report.rows_rejected),
        (2, 1, 1),
        "{report:?}"
    );
    assert_eq!(report.rejected[0].row, 4, "{report:?}");
}

async fn a_batch_keeps_the_first_thousand_rejected_rows_and_counts_them_all(app: TestApp) {
    let kept = paicha::config::limits::MAX_REJECTED_ROWS_KEPT;
    let mut csv = String::from("name,phone,remark\n张三,13800138000,\n");
    for i in 0..kept + 500 {
        csv.push_str(&format!(",,没有姓名和号码 {i}\n"));
    }
    let report = import_file(&app.register, SourceKind::Township, "many.csv", &csv).await;
    let total = u32::try_from(kept + 500).expect("small");
    assert_eq!(report.rows_rejected, total);
    assert_eq!(report.rows_read, total + 1);
    assert_eq!(report.rejected.len(), kept);
    assert_eq!(report.rejected[0].row, 2);
    assert_eq!(
        report.rejected[kept - 1].row,
        u32::try_from(kept + 1).expect("small")
    );
    let stored = app
        .gql_data(
            "{ importBatches { edges { node { report { rowsRejected rejected { row } } } } } }",
            serde_json::json!({}),
        )
        .await;
    let node = &stored["importBatches"]["edges"][0]["node"]["report"];
    assert_eq!(node["rowsRejected"], total);
    assert_eq!(node["rejected"].as_array().map(Vec::len), Some(kept));
}
