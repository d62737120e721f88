//! Daily report sheets (CSV or XLSX): one row per township and day, with the new persons
//! found and a note. Rows that cannot be taken are reported with their number and why; the
//! rest are written in one transaction, so a sheet is never half-written.

use super::daily::{check_report, write_report};
use crate::error::AppError;
use crate::intake::FileFormat;
use crate::intake::tabular::{CsvRows, Table, cell_of, decode_text, read_xlsx};
use crate::normalize::date::parse_date;
use crate::register::{ChangeKind, Register};

/// Most data rows a sheet may hold.
const MAX_ROWS: usize = 5_000;

/// A row of a sheet not taken, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RejectedReportRow {
    /// The row's number in the file (the header is row 1).
    pub row: u32,
    /// Why, in Chinese.
    pub reason: String,
}

/// What a daily report sheet import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DailyReportSheetReport {
    /// Data rows read.
    pub rows: u32,
    /// Reports filed.
    pub filed: u32,
    /// Reports that replaced an earlier filing of the same township and day.
    pub replaced: u32,
    /// Rows not taken.
    pub rejected: Vec<RejectedReportRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Township,
    Date,
    NewPersons,
    Note,
}

/// The columns a sheet may have, by the headers each is known by.
const COLUMNS: &[(Column, &[&str])] = &[
    (
        Column::Township,
        &[
            "township",
            "乡镇",
            "镇(街道)",
            "乡镇(街道)",
            "镇办",
            "乡镇街道",
        ],
    ),
    (Column::Date, &["date", "日期", "报告日期", "上报日期"]),
    (
        Column::NewPersons,
        &[
            "new_persons",
            "newpersons",
            "新增人数",
            "新增",
            "新增排查人数",
        ],
    ),
    (Column::Note, &["note", "remark", "备注"]),
];

fn read_table(file_name: &str, bytes: &[u8]) -> Result<Table, AppError> {
    let unreadable = |e: crate::intake::IntakeError| AppError::BadInput(e.to_string());
    let table = match FileFormat::from_file_name(file_name) {
        Some(FileFormat::Csv) => {
            let mut reader =
                CsvRows::new(decode_text(bytes).map_err(unreadable)?).map_err(unreadable)?;
            let mut rows = Vec::new();
            while let Some(row) = reader.next_row().map_err(unreadable)? {
                rows.push(row);
            }
            Table {
                headers: reader.headers().to_vec(),
                rows,
            }
        }
        Some(FileFormat::Xlsx) => read_xlsx(bytes).map_err(unreadable)?,
        _ => {
            return Err(AppError::BadInput(format!(
                "日报表应为 CSV 或 XLSX 文件：{file_name}"
            )));
        }
    };
    if table.rows.len() > MAX_ROWS {
        return Err(AppError::BadInput(format!(
            "日报表最多 {MAX_ROWS} 行，请分开导入"
        )));
    }
    Ok(table)
}

/// A row ready to write.
struct Row {
    township: String,
    date: chrono::NaiveDate,
    new_persons: i64,
    note: Option<String>,
}

impl Register {
    /// Imports a daily report sheet: each row's township (any spelling the gazetteer knows;
    /// `may_file` says which townships the caller may file for), date and new persons, checked
    /// as `fileDailyReport` checks them. Rows refused are reported; the others are written in
    /// one transaction (a later row of the same township and day replaces an earlier one).
    pub async fn import_daily_reports(
        &self,
        file_name: &str,
        bytes: &[u8],
        filed_by: &str,
        may_file: impl Fn(&str) -> bool,
    ) -> Result<DailyReportSheetReport, AppError> {
        let table = read_table(file_name, bytes)?;
        let columns = table.columns_of(COLUMNS);
        if ![Column::Township, Column::Date, Column::NewPersons]
            .iter()
            .all(|c| columns.contains_key(c))
        {
            return Err(AppError::BadInput(
                "日报表须有乡镇、日期、新增人数三列".into(),
            ));
        }
        let today = self.reference.clock.today();
        let mut report = DailyReportSheetReport::default();
        let mut rows = Vec::new();
        for (number, cells) in table.rows {
            let row = number + 1;
            report.rows += 1;
            let cells = match cells {
                Ok(cells) => cells,
                Err(reason) => {
                    report.rejected.push(RejectedReportRow { row, reason });
                    continue;
                }
            };
            let cell = |c: Column| cell_of(&columns, &cells, c);
            match self.read_report_row(&cell, today, &may_file) {
                Ok(r) => rows.push(r),
                Err(reason) => report.rejected.push(RejectedReportRow { row, reason }),
            }
        }
        let now = self.reference.clock.now();
        let write = self.db.write("a daily report sheet").await?;
        for r in rows {
            let filed = write_report(
                &write.txn,
                &r.township,
                r.date,
                r.new_persons,
                r.note,
                filed_by,
                now,
            )
            .await?;
            report.filed += 1;
            report.replaced += u32::from(filed.replaced);
        }
        write.commit().await?;
        if report.filed > 0 {
            self.announce(ChangeKind::Observation, Vec::new()).await;
        }
        Ok(report)
    }

    fn read_report_row<'c>(
        &self,
        cell: &impl Fn(Column) -> Option<&'c str>,
        today: chrono::NaiveDate,
        may_file: &impl Fn(&str) -> bool,
    ) -> Result<Row, String> {
        let township = cell(Column::Township).ok_or("缺少乡镇")?;
        let township = self
            .canonical_township(township)
            .map_err(|e| e.message().to_owned())?;
        if !may_file(&township) {
            return Err(format!("无权填报{township}的日报"));
        }
        let date = cell(Column::Date).ok_or("缺少日期")?;
        let date = parse_date(date, today).map_err(|_| format!("日期“{date}”无法识别"))?;
        let figure = cell(Column::NewPersons).ok_or("缺少新增人数（零报告请填 0）")?;
        let new_persons: i64 = figure
            .parse()
            .map_err(|_| format!("新增人数“{figure}”不是整数"))?;
        check_report(date, new_persons, today)?;
        let note = super::clean_note(cell(Column::Note)).map_err(|e| e.message().to_owned())?;
        Ok(Row {
            township,
            date,
            new_persons,
            note,
        })
    }
}
