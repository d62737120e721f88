//! Refusing early and holding nothing: a file over the row limit is refused by its count before
//! any row is read or written; a file with nothing to import, or not of what intake reads, is
//! refused naming what was expected; file-level messages number rows as row rejections do; a
//! failed import leaves no write-ahead log behind.

use std::time::{Duration, Instant};

use paicha::config::limits::MAX_ROWS;
use paicha::intake::SourceKind;
use sea_orm::ConnectionTrait as _;

use crate::helpers::{
    TestApp, import_failing_on_purpose, import_file, list_failing_after, phone_list,
};
use crate::hostile::{assert_nothing_written, cell, refusal, xlsx_with_sheet};

crate::on_every_backend!(
    a_file_over_the_row_limit_is_refused_by_its_count_before_anything_is_written,
    a_file_with_a_header_and_no_rows_is_refused,
    a_file_none_of_whose_headers_is_known_is_refused_naming_the_expected_ones,
    json_that_is_not_what_its_source_expects_is_refused_saying_what_was_expected,
    file_level_messages_number_rows_as_row_rejections_do,
    a_failed_import_leaves_no_write_ahead_log_behind,
);

/// Refuses `bytes` and checks the refusal came quickly (the rows were counted, not imported)
/// and names the limit and the count.
async fn refused_by_count(app: &TestApp, source: SourceKind, name: &str, bytes: &[u8]) {
    let started = Instant::now();
    let message = refusal(app, source, name, bytes).await;
    let took = started.elapsed();
    assert!(
        message.contains(&format!("{} 行数据", MAX_ROWS + 1))
            && message.contains(&MAX_ROWS.to_string()),
        "{name}: {message}"
    );
    assert!(
        took < Duration::from_secs(10),
        "{name}: refused after {took:?}"
    );
}

async fn a_file_over_the_row_limit_is_refused_by_its_count_before_anything_is_written(
    app: TestApp,
) {
    let mut csv = String::from("姓名,手机号\n");
    csv.push_str(&"张\n".repeat(MAX_ROWS + 1));
    refused_by_count(&app, SourceKind::Bigdata, "big.csv", csv.as_bytes()).await;
    // Rows read whole for notices are counted first too.
    let notices = csv.replacen("姓名,手机号", "协查函编号,姓名", 1);
    refused_by_count(&app, SourceKind::External, "big.csv", notices.as_bytes()).await;
    let ndjson = "{\"name\":\"张\"}\n".repeat(MAX_ROWS + 1);
    refused_by_count(&app, SourceKind::Bigdata, "big.ndjson", ndjson.as_bytes()).await;
    let json = format!("[{}{{}}]", "{},".repeat(MAX_ROWS));
    refused_by_count(&app, SourceKind::Bigdata, "big.json", json.as_bytes()).await;
    let persons = format!(
        r#"[{{"notice_no":"协1号","persons":[{}{{}}]}}]"#,
        "{},".repeat(MAX_ROWS)
    );
    refused_by_count(&app, SourceKind::External, "big.json", persons.as_bytes()).await;
    // A sheet declaring more rows than the limit is refused before its cells are read.
    let sheet = format!(
        r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:B{}"/><sheetData><row r="1">{}{}</row><row r="2">{}{}</row></sheetData></worksheet>"#,
        MAX_ROWS + 2,
        cell("A1", "姓名"),
        cell("B1", "手机号"),
        cell("A2", "张三"),
        cell("B2", "13800138000"),
    );
    let xlsx = xlsx_with_sheet(sheet.as_bytes());
    refused_by_count(&app, SourceKind::Township, "big.xlsx", &xlsx).await;
    assert_nothing_written(&app).await;

    // A file within the limit still imports.
    let report = import_file(
        &app.register,
        SourceKind::Bigdata,
        "list.csv",
        phone_list(3),
    )
    .await;
    assert_eq!(report.rows_accepted, 3);
}

async fn a_file_with_a_header_and_no_rows_is_refused(app: TestApp) {
    for (name, bytes) in [
        (
            "header.csv",
            b"\xEF\xBB\xBF\xE5\xA7\x93\xE5\x90\x8D,phone\r\n\r\n".to_vec(),
        ),
        ("header.csv", "\n姓名,身份证号,手机号\n".as_bytes().to_vec()),
        (
            "header.xlsx",
            crate::hostile::xlsx(&format!(r#"<row r="1">{}</row>"#, cell("A1", "姓名"))),
        ),
    ] {
        let message = refusal(&app, SourceKind::Township, name, &bytes).await;
        assert!(
            message.contains("只有表头，没有数据行"),
            "{name}: {message}"
        );
    }
    for (name, text) in [("empty.json", "[]"), ("empty.ndjson", "\n\n")] {
        let message = refusal(&app, SourceKind::Bigdata, name, text.as_bytes()).await;
        assert!(message.contains("没有数据"), "{name}: {message}");
    }
    assert_nothing_written(&app).await;
}

async fn a_file_none_of_whose_headers_is_known_is_refused_naming_the_expected_ones(app: TestApp) {
    // Columns of something else, and a list without its header row: its first person read
    // as the header.
    for csv in [
        "foo,bar\n1,2\n",
        "张三,420102198801015672,13933334444\n李四,420102198801015699,13933335555\n",
    ] {
        let message = refusal(&app, SourceKind::Township, "list.csv", csv.as_bytes()).await;
        assert!(
            message.contains("表头中没有可识别的列名")
                && ["姓名", "身份证号", "手机号", "映射文件"]
                    .iter()
                    .all(|h| message.contains(h)),
            "{message}"
        );
        // The message never repeats what the file holds: it may be a person.
        assert!(
            !message.contains("张三") && !message.contains("1393333"),
            "{message}"
        );
    }
    for text in [r#"{"foo":1}"#, r#"[{"foo":1},{"bar":2}]"#] {
        let message = refusal(&app, SourceKind::Bigdata, "list.json", text.as_bytes()).await;
        assert!(
            message.contains("没有可识别的字段名") && message.contains("身份证号"),
            "{message}"
        );
    }
    assert_nothing_written(&app).await;
}

async fn json_that_is_not_what_its_source_expects_is_refused_saying_what_was_expected(
    app: TestApp,
) {
    let external = [
        (r#"{"foo": 1}"#, "没有可识别的字段名"),
        ("[1,2]", "第 1 项不是对象"),
        ("\"协查\"", "不是对象或对象数组"),
        (r#"[{"name":"李强","phone":"13933334444"}]"#, "没有协查通报"),
        (
            r#"[{"notice_no":"协1号","persons":[{"foo":1}]}]"#,
            "没有可识别的字段名",
        ),
    ];
    for (text, says) in external {
        let message = refusal(&app, SourceKind::External, "n.json", text.as_bytes()).await;
        assert!(
            message.contains(says) && message.contains("persons"),
            "{text}: {message}"
        );
    }
    let notices = r#"[{"notice_no":"协1号","persons":[{"name":"李强"}]}]"#;
    let message = refusal(&app, SourceKind::Bigdata, "n.json", notices.as_bytes()).await;
    assert!(message.contains("EXTERNAL"), "{message}");
    assert_nothing_written(&app).await;
}

async fn file_level_messages_number_rows_as_row_rejections_do(app: TestApp) {
    // A blank line before the header, then rows: the second data row is row 2 whether it is
    // rejected (a cell more than the header) or refuses the file (a cell too long, too many
    // columns).
    let rejected = import_file(
        &app.register,
        SourceKind::Township,
        "rows.csv",
        "\n姓名,手机号\n张三,13800138000\n李四,13900139000,多\n",
    )
    .await;
    assert_eq!(rejected.rejected[0].row, 2);

    let long = format!(
        "\n姓名,手机号\n张三,13800138000\n{},1\n",
        "长".repeat(40_000)
    );
    let message = refusal(&app, SourceKind::Township, "long.csv", long.as_bytes()).await;
    assert!(message.contains("第 2 行“姓名”列"), "{message}");
    let wide = format!(
        "\n姓名,手机号\n张三,13800138000\n李四{}\n",
        ",".repeat(1_000)
    );
    let message = refusal(&app, SourceKind::Township, "wide.csv", wide.as_bytes()).await;
    assert!(message.contains("第 2 行有 1001 列"), "{message}");
    let header = format!("姓名{}\n张三\n", ",".repeat(1_000));
    let message = refusal(&app, SourceKind::Township, "wide.csv", header.as_bytes()).await;
    assert!(message.contains("表头有 1001 列"), "{message}");
    // NDJSON has no header: its objects are its rows, blank lines not counted.
    let ndjson = "{\"name\":\"张三\"}\n\n[1]\n";
    let message = refusal(&app, SourceKind::Bigdata, "rows.ndjson", ndjson.as_bytes()).await;
    assert!(message.contains("第 2 行不是对象"), "{message}");
    // A notice's persons are numbered across the file, as their rejections are.
    let notices = format!(
        r#"[{{"notice_no":"协1号","persons":[{{"name":"李强"}}]}},{{"notice_no":"协2号","persons":[{{"name":"{}"}}]}}]"#,
        "长".repeat(40_000)
    );
    let message = refusal(&app, SourceKind::External, "n.json", notices.as_bytes()).await;
    assert!(message.contains("第 2 行“name”列"), "{message}");
}

/// The SQLite file of `app`'s register; `None` on PostgreSQL.
async fn sqlite_file(app: &TestApp) -> Option<std::path::PathBuf> {
    let conn = &app.register.db().conn;
    if conn.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return None;
    }
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await
        .expect("database list")
        .expect("the main database");
    Some(row.try_get::<String>("", "file").expect("its file").into())
}

fn wal_bytes(db: &std::path::Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

async fn a_failed_import_leaves_no_write_ahead_log_behind(app: TestApp) {
    let db = sqlite_file(&app).await;
    import_file(
        &app.register,
        SourceKind::Bigdata,
        "first.csv",
        phone_list(300),
    )
    .await;
    if let Some(db) = &db {
        assert!(wal_bytes(db) > 0, "a commit goes to the log first");
    }
    let csv = phone_list(1_200);
    import_failing_on_purpose(&app.register, list_failing_after(&csv, 500)).await;
    if let Some(db) = &db {
        assert_eq!(wal_bytes(db), 0, "the log is emptied after the rollback");
    }
    assert_eq!(app.count("import_batch").await, 1);
    assert_eq!(app.count("source_record").await, 300);
}
