//! Daily township reports, recorded cases and the briefing (issue 22): every briefing figure
//! equals the count of the persons its filter lists (demo and synthetic county), a past day's
//! briefing is unchanged by later imports, zero and missing reports with their history, the
//! `REPORT_MISSING` alert, the wording rule, the documents.

use chrono::{DateTime, NaiveDate, Utc};
use paicha::access::Role;
use paicha::access::token::TokenSpec;
use paicha::followup::observation::china;
use paicha::intake::SourceKind;
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_file, import_synthetic};

crate::on_every_backend!(
    every_briefing_figure_equals_its_persons_list_on_the_demo,
    every_briefing_figure_equals_its_persons_list_on_a_synthetic_county,
    a_past_days_briefing_is_unchanged_by_later_imports,
    zero_and_later_reports_keep_their_history_and_missing_townships_show,
    a_township_files_for_its_own_township_only,
    a_report_not_filed_by_the_due_hour_is_an_alert_until_filed,
    a_case_status_keeps_its_history_on_the_person,
    the_briefing_documents_hold_its_text,
);

const BRIEFING: &str = "query($d: NaiveDate) { briefing(date: $d) {
    date text missingTownships figures { key label value personsFilter } } }";

const DAILY: &str = "query($d: NaiveDate) { dailyReports(date: $d) {
    township status registerCount differs registerFilter
    report { newPersons note superseded } history { newPersons superseded } } }";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn at(date: NaiveDate, h: u32) -> DateTime<Utc> {
    date.and_hms_opt(h, 0, 0)
        .expect("time")
        .and_local_timezone(china())
        .single()
        .expect("instant")
        .with_timezone(&Utc)
}

/// Every figure with a persons filter equals `persons(filter:).totalCount`; returns the
/// briefing.
async fn figures_match_their_lists(app: &TestApp, date: NaiveDate) -> Value {
    let briefing = app.gql_data(BRIEFING, json!({ "d": date })).await["briefing"].clone();
    let figures = briefing["figures"].as_array().expect("figures");
    let mut checked = 0;
    for figure in figures {
        let filter = &figure["personsFilter"];
        if filter.is_null() {
            continue;
        }
        let data = app
            .gql_data(
                "query($f: PersonFilterInput) { persons(filter: $f, first: 1) { totalCount } }",
                json!({ "f": filter }),
            )
            .await;
        assert_eq!(
            data["persons"]["totalCount"], figure["value"],
            "{}: {filter}",
            figure["key"]
        );
        checked += 1;
    }
    assert!(checked >= 15, "{briefing}");
    briefing
}

fn value(briefing: &Value, key: &str) -> u64 {
    briefing["figures"]
        .as_array()
        .expect("figures")
        .iter()
        .find(|f| f["key"] == key)
        .and_then(|f| f["value"].as_u64())
        .unwrap_or_else(|| panic!("no figure {key}: {briefing}"))
}

async fn every_briefing_figure_equals_its_persons_list_on_the_demo(app: TestApp) {
    paicha::demo::seed(&app.register).await.expect("demo");
    let last = paicha::demo::scenario_last_day().expect("last day");
    let briefing = figures_match_their_lists(&app, last).await;
    let text = briefing["text"].as_str().expect("text");
    assert!(text.contains("一、疫情总体情况"), "{text}");
    // How they were found: each person once, so the sources add up to the total.
    assert_eq!(
        value(&briefing, "by_township")
            + value(&briefing, "by_external")
            + value(&briefing, "by_bigdata"),
        value(&briefing, "linked_total")
    );
    let in_county = value(&briefing, "in_county");
    assert!(
        in_county > 0 && value(&briefing, "outside") > 0,
        "{briefing}"
    );
    assert!(
        text.contains(&format!(
            "共摸排在我县居住与湖北、武汉有关联人员{in_county}人，在县外{}人",
            value(&briefing, "outside")
        )),
        "{text}"
    );
    // The demo's teams are not all complete: the text says how many are.
    if value(&briefing, "team_incomplete") > 0 {
        assert!(!text.contains("全部落实了监管责任"), "{text}");
        assert!(
            text.contains(&format!(
                "尚有{}人正在落实",
                value(&briefing, "team_incomplete")
            )),
            "{text}"
        );
    }
    assert_eq!(value(&briefing, "confirmed"), 1, "{briefing}");
    assert!(text.contains("确诊病例1例"), "{text}");
    assert_eq!(
        value(&briefing, "townships_missing"),
        paicha::demo::DEMO_MISSING_REPORTS as u64
    );
    // dailyReports on the last day: some reported, some missing, one corrected (differs).
    let reports = app.gql_data(DAILY, json!({ "d": last })).await["dailyReports"].clone();
    let reports = reports.as_array().expect("reports");
    assert_eq!(
        reports.len(),
        app.register.reference.gazetteer.townships.len()
    );
    let missing = reports.iter().filter(|r| r["status"] == "MISSING").count();
    assert_eq!(missing, paicha::demo::DEMO_MISSING_REPORTS);
    assert!(reports.iter().any(|r| r["status"] == "REPORTED"));
    let corrected = &reports[0];
    assert_eq!(corrected["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(corrected["differs"], true, "{corrected}");
    for report in reports {
        let data = app
            .gql_data(
                "query($f: PersonFilterInput) { persons(filter: $f) { totalCount } }",
                json!({ "f": report["registerFilter"] }),
            )
            .await;
        assert_eq!(data["persons"]["totalCount"], report["registerCount"]);
    }
    // The dashboard's stats name today's missing townships.
    let stats = app
        .gql_data("{ stats { reportsMissingToday } }", json!({}))
        .await;
    assert!(stats["stats"]["reportsMissingToday"].is_array());
}

async fn every_briefing_figure_equals_its_persons_list_on_a_synthetic_county(app: TestApp) {
    let files = paicha::synth::generate(300, 20_200_222, &app.register.reference);
    import_synthetic(&app.register, &files).await;
    app.register.sync_observations().await.expect("sync");
    // Some cases, of every status, on two days.
    let ids: Vec<i64> = app
        .gql_data("{ persons(first: 4) { edges { node { id } } } }", json!({}))
        .await["persons"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["id"].as_str()?.parse().ok())
        .collect();
    use paicha::states::CaseStatus::*;
    for (id, status) in ids.iter().zip([Suspected, Confirmed, RuledOut, Recovered]) {
        app.register
            .record_case(*id, status, day(2020, 1, 28), None, "test")
            .await
            .expect("case");
    }
    for date in [day(2020, 1, 25), day(2020, 1, 28), day(2020, 2, 10)] {
        figures_match_their_lists(&app, date).await;
    }
}

/// A township check of one new person reported on `date`.
fn township_row(id: &str, name: &str, phone: &str, date: &str) -> String {
    format!(
        "record_id,township,village,name,phone,origin,arrival_date,report_date\n\
         {id},城关镇,河口村,{name},{phone},武汉市,2020-01-20,{date}\n"
    )
}

async fn a_past_days_briefing_is_unchanged_by_later_imports(app: TestApp) {
    let d = day(2020, 1, 26);
    import_file(
        &app.register,
        SourceKind::Township,
        "t1.csv",
        township_row("A-1", "王一", "13800000001", "2020-01-25"),
    )
    .await;
    app.register
        .file_daily_report("城关镇", d, 1, None, "test")
        .await
        .expect("report");
    let before = app.gql_data(BRIEFING, json!({ "d": d })).await;
    assert_eq!(value(&before["briefing"], "linked_total"), 1, "{before}");
    // Later reports: a new person, a case and a report dated after the day.
    import_file(
        &app.register,
        SourceKind::Township,
        "t2.csv",
        township_row("A-2", "李二", "13800000002", "2020-01-28"),
    )
    .await;
    app.register
        .file_daily_report("新华街道", day(2020, 1, 28), 0, None, "test")
        .await
        .expect("report");
    let after = app.gql_data(BRIEFING, json!({ "d": d })).await;
    assert_eq!(before, after);
    let later = app
        .gql_data(BRIEFING, json!({ "d": day(2020, 1, 28) }))
        .await;
    assert_eq!(value(&later["briefing"], "linked_total"), 2);
    assert_eq!(value(&later["briefing"], "new_today"), 1);
}

async fn zero_and_later_reports_keep_their_history_and_missing_townships_show(app: TestApp) {
    let d = day(2020, 1, 30);
    let file = "mutation($t: String!, $d: NaiveDate, $n: Int!, $note: String) {
        fileDailyReport(township: $t, date: $d, newPersons: $n, note: $note) {
          replaced report { township newPersons superseded } } }";
    let zero = app
        .gql_data(file, json!({ "t": "城關", "d": d, "n": 0 }))
        .await;
    assert_eq!(zero["fileDailyReport"]["replaced"], false);
    assert_eq!(zero["fileDailyReport"]["report"]["township"], "城关镇");
    assert_eq!(zero["fileDailyReport"]["report"]["newPersons"], 0);
    let again = app
        .gql_data(
            file,
            json!({ "t": "城关镇", "d": d, "n": 2, "note": "更正" }),
        )
        .await;
    assert_eq!(again["fileDailyReport"]["replaced"], true);
    let refused = app
        .gql(file, json!({ "t": "城关镇", "d": d, "n": -1 }))
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused}"
    );
    let unknown = app
        .gql(file, json!({ "t": "火星镇", "d": d, "n": 0 }))
        .await;
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let reports = app.gql_data(DAILY, json!({ "d": d })).await["dailyReports"].clone();
    let reports = reports.as_array().expect("list");
    let chengguan = reports
        .iter()
        .find(|r| r["township"] == "城关镇")
        .expect("城关镇");
    assert_eq!(chengguan["status"], "REPORTED");
    assert_eq!(chengguan["report"]["newPersons"], 2);
    assert_eq!(chengguan["report"]["note"], "更正");
    assert_eq!(
        chengguan["history"],
        json!([{ "newPersons": 0, "superseded": true }, { "newPersons": 2, "superseded": false }])
    );
    assert_eq!(chengguan["registerCount"], 0);
    assert_eq!(chengguan["differs"], true);
    let missing: Vec<&Value> = reports
        .iter()
        .filter(|r| r["status"] == "MISSING")
        .collect();
    assert_eq!(missing.len(), reports.len() - 1);
    assert!(
        missing
            .iter()
            .all(|r| r["report"].is_null() && r["differs"] == false)
    );

    // The sheet: a bad row is reported with its number, the good rows go in together.
    let sheet = "乡镇,日期,新增人数,备注\n新华街道,2020-01-30,0,零报告\n火星镇,2020-01-30,1,\n\
                 城关镇,2020-01-30,x,\n东岳,2020/1/30,3,\n";
    let report = app
        .register
        .import_daily_reports("daily.csv", sheet.as_bytes(), "test", |_| true)
        .await
        .expect("sheet");
    assert_eq!(report.rows, 4);
    assert_eq!(report.filed, 2);
    let rows: Vec<u32> = report.rejected.iter().map(|r| r.row).collect();
    assert_eq!(rows, [3, 4], "{:?}", report.rejected);
    let missing = app.register.townships_missing(d).await.expect("missing");
    assert_eq!(missing.len(), reports.len() - 3);
}

async fn a_township_files_for_its_own_township_only(app: TestApp) {
    let spec = TokenSpec::parse(
        Role::Township,
        Some("城关镇"),
        None,
        &app.register.reference,
    )
    .expect("spec");
    let token = app.register.create_token(spec).await.expect("token").token;
    let file = "mutation($t: String!) { fileDailyReport(township: $t, date: \"2020-01-30\", newPersons: 0) { replaced } }";
    let (_, own) = app
        .post_as(Some(&token), file, json!({ "t": "城关镇" }))
        .await;
    assert!(own.get("errors").is_none(), "{own}");
    let (_, other) = app
        .post_as(Some(&token), file, json!({ "t": "新华街道" }))
        .await;
    assert_eq!(other["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, listed) = app
        .post_as(Some(&token), DAILY, json!({ "d": "2020-01-30" }))
        .await;
    let listed = listed["data"]["dailyReports"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["township"], "城关镇");
    // A dashboard reads the briefing's counts, not the persons.
    let spec =
        TokenSpec::parse(Role::Dashboard, None, None, &app.register.reference).expect("spec");
    let dashboard = app.register.create_token(spec).await.expect("token").token;
    let (_, briefing) = app
        .post_as(Some(&dashboard), BRIEFING, json!({ "d": "2020-01-30" }))
        .await;
    assert!(briefing.get("errors").is_none(), "{briefing}");
    let (_, persons) = app
        .post_as(Some(&dashboard), "{ persons { totalCount } }", json!({}))
        .await;
    assert_eq!(persons["errors"][0]["extensions"]["code"], "FORBIDDEN");
    // Nor the reports' notes: the missing townships of today, in the stats.
    let (_, reports) = app
        .post_as(Some(&dashboard), DAILY, json!({ "d": "2020-01-30" }))
        .await;
    assert_eq!(reports["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, stats) = app
        .post_as(
            Some(&dashboard),
            "{ stats { reportsMissingToday } }",
            json!({}),
        )
        .await;
    assert_eq!(
        stats["data"]["stats"]["reportsMissingToday"]
            .as_array()
            .map(Vec::len),
        Some(app.register.reference.gazetteer.townships.len()),
        "nobody reported today: {stats}"
    );
}

async fn a_report_not_filed_by_the_due_hour_is_an_alert_until_filed(app: TestApp) {
    let d = day(2020, 1, 31);
    let due = app.register.reference.reports.due_hour;
    let before = app
        .register
        .sweep_followup_at(at(d, due - 1))
        .await
        .expect("sweep");
    assert_eq!(before.reports_missing, 0, "not due yet");
    app.register
        .file_daily_report("城关镇", d, 0, None, "test")
        .await
        .expect("report");
    let swept = app
        .register
        .sweep_followup_at(at(d, due))
        .await
        .expect("sweep");
    let townships = app.register.reference.gazetteer.townships.len();
    assert_eq!(swept.reports_missing, townships - 1);
    let again = app
        .register
        .sweep_followup_at(at(d, due + 1))
        .await
        .expect("sweep");
    assert_eq!(again.reports_missing, 0, "one alert per township and day");
    let alerts = "{ alerts(filter: { kind: REPORT_MISSING, state: OPEN }) {
        totalCount edges { node { personId person { id } township date slot } } } }";
    let data = app.gql_data(alerts, json!({})).await;
    assert_eq!(data["alerts"]["totalCount"], townships - 1);
    let node = &data["alerts"]["edges"][0]["node"];
    assert!(node["personId"].is_null() && node["person"].is_null() && node["slot"].is_null());
    assert_eq!(node["date"], d.to_string());
    // Filing answers the township's alert.
    let late = node["township"].as_str().expect("township").to_owned();
    app.register
        .file_daily_report(&late, d, 1, Some("补报"), "test")
        .await
        .expect("late report");
    let data = app.gql_data(alerts, json!({})).await;
    assert_eq!(data["alerts"]["totalCount"], townships - 2);
}

async fn a_case_status_keeps_its_history_on_the_person(app: TestApp) {
    import_file(
        &app.register,
        SourceKind::Township,
        "t.csv",
        township_row("C-1", "赵三", "13800000003", "2020-01-25"),
    )
    .await;
    let id = app.person_of(SourceKind::Township, "C-1").await;
    let record = "mutation($p: ID!, $s: CaseStatus!, $d: NaiveDate) {
        recordCase(personId: $p, status: $s, date: $d) { status date } }";
    for (status, date) in [("SUSPECTED", "2020-01-26"), ("CONFIRMED", "2020-01-28")] {
        app.gql_data(
            record,
            json!({ "p": id.to_string(), "s": status, "d": date }),
        )
        .await;
    }
    let data = app
        .gql_data(
            "query($p: ID!) { person(id: $p) { cases { status date } } }",
            json!({ "p": id.to_string() }),
        )
        .await;
    assert_eq!(
        data["person"]["cases"],
        json!([{ "status": "SUSPECTED", "date": "2020-01-26" },
               { "status": "CONFIRMED", "date": "2020-01-28" }])
    );
    for (date, suspected, confirmed) in [
        ("2020-01-25", 0, 0),
        ("2020-01-27", 1, 0),
        ("2020-01-29", 0, 1),
    ] {
        let b = app.gql_data(BRIEFING, json!({ "d": date })).await;
        assert_eq!(value(&b["briefing"], "suspected"), suspected, "{date}");
        assert_eq!(value(&b["briefing"], "confirmed"), confirmed, "{date}");
    }
    let missing = app
        .gql(
            "mutation { recordCase(personId: \"999999\", status: CONFIRMED) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(missing["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

async fn the_briefing_documents_hold_its_text(app: TestApp) {
    paicha::demo::seed(&app.register).await.expect("demo");
    let last = paicha::demo::scenario_last_day().expect("last day");
    let briefing = app.register.briefing(last).await.expect("briefing");
    let text = paicha::reports::text::render(&briefing).expect("text");
    let docx = paicha::reports::docx::render(&text).expect("docx");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("the DOCX is a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("word/document.xml").expect("document"),
        &mut xml,
    )
    .expect("UTF-8");
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        assert!(xml.contains(line.trim()), "{line}");
    }
    let townships = app
        .register
        .briefing_by_township(last)
        .await
        .expect("by township");
    let xlsx = paicha::reports::xlsx::render(&briefing, &townships).expect("xlsx");
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("xlsx opens");
    let sheet = calamine::Reader::worksheet_range(&mut workbook, "分乡镇").expect("sheet");
    assert_eq!(sheet.height(), townships.len() + 2);
}

#[test]
fn the_command_line_imports_report_sheets_and_writes_the_briefing() {
    use crate::helpers::{paicha_command, run_ok, sample};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    run_ok(
        paicha_command(&db)
            .args(["import", "township"])
            .arg(sample("township.csv")),
    );
    let sheet = dir.path().join("daily.csv");
    std::fs::write(
        &sheet,
        "乡镇,日期,新增人数\n城关镇,2020-01-30,0\n不存在乡,2020-01-30,1\n",
    )
    .expect("sheet");
    let out = run_ok(
        paicha_command(&db)
            .args(["import", "daily-reports", "--json"])
            .arg(&sheet),
    );
    let reports: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(reports[0]["filed"], 1, "{out}");
    assert_eq!(reports[0]["rejected"][0]["row"], 3, "{out}");

    let text = run_ok(paicha_command(&db).args(["report", "briefing", "--date", "2020-01-30"]));
    assert!(text.contains("一、疫情总体情况"), "{text}");
    assert!(text.contains("截至2020年1月30日24时"), "{text}");
    let docx = dir.path().join("briefing.docx");
    run_ok(
        paicha_command(&db)
            .args([
                "report",
                "briefing",
                "--date",
                "2020-01-30",
                "--format",
                "docx",
            ])
            .arg("--out")
            .arg(&docx),
    );
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(&docx).expect("docx")).expect("the DOCX is a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("word/document.xml").expect("document"),
        &mut xml,
    )
    .expect("UTF-8");
    assert!(xml.contains("一、疫情总体情况") && xml.contains("w:eastAsia"));
    let xlsx = dir.path().join("briefing.xlsx");
    run_ok(
        paicha_command(&db)
            .args([
                "report",
                "briefing",
                "--date",
                "2020-01-30",
                "--format",
                "xlsx",
            ])
            .arg("--out")
            .arg(&xlsx),
    );
    assert!(std::fs::metadata(&xlsx).expect("xlsx").len() > 0);
}
