//! Persons written out for `exportPersons`: the persons a filter selects (the condition
//! `persons` lists by), masked as the caller reads them, one row each under Chinese headers,
//! as CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese) or XLSX.

use std::collections::HashMap;

use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::person_filter::PersonFilter;
use crate::db::{person, record_link, source_record};
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::normalize::Sex;
use crate::privacy::{escape_csv_cell, mask_text};
use crate::register::{HubeiLink, LocationStatus, Register};

/// The format of an export file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV: UTF-8 with a byte-order mark, CRLF line ends.
    Csv,
    /// An Excel workbook of one sheet.
    Xlsx,
}

impl ExportFormat {
    /// The file name extension (`csv`, `xlsx`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    /// The media type the file is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The name as the API writes it (`CSV`, `XLSX`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Xlsx => "XLSX",
        }
    }
}

/// The header of an export, one column per field, in the order of the row.
pub const EXPORT_HEADER: [&str; 16] = [
    "人员编号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "联系电话",
    "乡镇",
    "村（社区）",
    "现住址",
    "与湖北关联",
    "来源地",
    "抵达日期",
    "状态",
    "所在辖区",
    "首次报告日期",
    "来源",
];

/// The persons of an export, as the cells of its rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonSheet {
    /// One row per person, each of [`EXPORT_HEADER`]'s columns.
    pub rows: Vec<Vec<String>>,
    /// The persons written, in the order of the rows.
    pub persons: Vec<i64>,
}

impl Register {
    /// The persons `filter` selects among those `visible` lets the caller see, by person ID,
    /// with the sources of their current records among the records `records_visible` lets the
    /// caller see; ID numbers, phones, birth dates and free text masked unless `unmasked`.
    /// More than `cap` persons are refused, naming the limit: an export is never cut short.
    pub async fn export_person_sheet(
        &self,
        filter: &PersonFilter,
        visible: Condition,
        records_visible: Condition,
        unmasked: bool,
        cap: usize,
    ) -> Result<PersonSheet, AppError> {
        self.check_person_filter(filter)?;
        let conn = &self.db.conn;
        let cond = self.person_condition(filter).add(visible);
        let persons = person::Entity::find()
            .filter(cond.clone())
            .order_by_asc(person::Column::Id)
            .limit(u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1))
            .all(conn)
            .await?;
        if persons.len() > cap {
            return Err(AppError::BadInput(format!(
                "筛选出的人员超过一次导出的上限（{cap} 人），请缩小筛选范围后分批导出"
            )));
        }
        let selected = Query::select()
            .column(person::Column::Id)
            .from(person::Entity)
            .cond_where(cond)
            .to_owned();
        let pairs: Vec<(i64, String)> = source_record::Entity::find()
            .select_only()
            .column(record_link::Column::PersonId)
            .column(source_record::Column::Source)
            .inner_join(record_link::Entity)
            .filter(source_record::Column::IsCurrent.eq(true))
            .filter(record_link::Column::PersonId.in_subquery(selected))
            .filter(records_visible)
            .distinct()
            .into_tuple()
            .all(conn)
            .await?;
        let mut sources: HashMap<i64, Vec<SourceKind>> = HashMap::new();
        for (person, source) in pairs {
            if let Some(kind) = SourceKind::from_db(&source) {
                sources.entry(person).or_default().push(kind);
            }
        }
        let mut sheet = PersonSheet::default();
        for p in persons {
            let mut kinds = sources.remove(&p.id).unwrap_or_default();
            kinds.sort_by_key(|k| SourceKind::ALL.iter().position(|a| a == k));
            sheet.persons.push(p.id);
            sheet.rows.push(row(&p, &kinds, unmasked)?);
        }
        Ok(sheet)
    }
}

/// The cells of one person's row.
fn row(p: &person::Model, sources: &[SourceKind], unmasked: bool) -> Result<Vec<String>, AppError> {
    let shown = |value: &str| {
        if unmasked {
            value.to_owned()
        } else {
            mask_text(value)
        }
    };
    let phones: Vec<String> = serde_json::from_str(&p.phones).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "reading the stored phones of person {}: {e}",
            p.id
        ))
    })?;
    let text = |value: &Option<String>| value.as_deref().map(shown).unwrap_or_default();
    let date = |value: Option<chrono::NaiveDate>| value.map(|d| d.to_string()).unwrap_or_default();
    Ok(vec![
        p.id.to_string(),
        p.name.clone().unwrap_or_default(),
        p.sex.map(sex_label).unwrap_or_default().to_owned(),
        // Masked to its year with the ID number (privacy.rs): `1990-**-**`.
        p.birth_date
            .map(|d| shown(&d.to_string()))
            .unwrap_or_default(),
        text(&p.id_number),
        phones
            .iter()
            .map(|v| shown(v))
            .collect::<Vec<_>>()
            .join("；"),
        p.township.clone().unwrap_or_default(),
        p.village.clone().unwrap_or_default(),
        text(&p.address),
        hubei_link_label(p.hubei_link).to_owned(),
        text(&p.origin),
        date(p.arrival_date),
        status_label(p.location_status).to_owned(),
        p.jurisdiction_name
            .clone()
            .or_else(|| p.jurisdiction_code.clone())
            .unwrap_or_default(),
        date(p.first_reported),
        sources
            .iter()
            .map(|s| source_label(*s))
            .collect::<Vec<_>>()
            .join("、"),
    ])
}

fn sex_label(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "男",
        Sex::Female => "女",
    }
}

fn hubei_link_label(link: HubeiLink) -> &'static str {
    match link {
        HubeiLink::Wuhan => "武汉",
        HubeiLink::OtherHubei => "湖北其他地区",
        HubeiLink::Unknown => "未知",
    }
}

fn status_label(status: LocationStatus) -> &'static str {
    match status {
        LocationStatus::InCounty => "在县内",
        LocationStatus::OutOfCounty => "在县外",
        LocationStatus::PendingVerification => "待核实",
    }
}

pub(super) fn source_label(source: SourceKind) -> &'static str {
    match source {
        SourceKind::Bigdata => "大数据核查",
        SourceKind::Township => "镇办实地核查",
        SourceKind::External => "外地通报协查",
    }
}

impl PersonSheet {
    /// The file of the sheet in `format`, its header first.
    pub fn encode(&self, format: ExportFormat) -> Result<Vec<u8>, AppError> {
        encode_sheet(&EXPORT_HEADER, "人员", &self.rows, format)
    }
}

/// A sheet of `rows` under `header` as a file in `format`: CSV in UTF-8 with a byte-order
/// mark and CRLF line ends, as Excel opens it, or a workbook of one sheet named `name`, the
/// header row frozen. A cell that a spreadsheet would run as a formula is escaped
/// (`privacy::escape_csv_cell`); every workbook cell is a string, never a formula.
pub fn encode_sheet(
    header: &[&str],
    name: &str,
    rows: &[Vec<String>],
    format: ExportFormat,
) -> Result<Vec<u8>, AppError> {
    match format {
        ExportFormat::Csv => csv_sheet(header, rows),
        ExportFormat::Xlsx => xlsx_sheet(header, name, rows),
    }
}

fn csv_sheet(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let internal = |e: csv::Error| AppError::Internal(anyhow::Error::from(e));
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        writer.write_record(header).map_err(internal)?;
        for row in rows {
            writer
                .write_record(row.iter().map(|v| escape_csv_cell(v)))
                .map_err(internal)?;
        }
        writer
            .flush()
            .map_err(|e| AppError::Internal(anyhow::Error::from(e)))?;
    }
    Ok(out)
}

fn xlsx_sheet(header: &[&str], name: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let internal = |e: rust_xlsxwriter::XlsxError| AppError::Internal(anyhow::Error::from(e));
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(internal)?;
    sheet.set_name(name).map_err(internal)?;
    sheet.set_freeze_panes(1, 0).map_err(internal)?;
    for (col, title) in (0u16..).zip(header) {
        let width = if matches!(
            *title,
            "身份证号" | "联系电话" | "现住址" | "来源地" | "线索"
        ) {
            24
        } else {
            12
        };
        sheet.set_column_width(col, width).map_err(internal)?;
        sheet.write_string(0, col, *title).map_err(internal)?;
    }
    for (row, cells) in (1u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(cells) {
            if !cell.is_empty() {
                sheet.write_string(row, col, cell).map_err(internal)?;
            }
        }
    }
    workbook.save_to_buffer().map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> PersonSheet {
        PersonSheet {
            rows: vec![vec![
                "7".into(),
                "张三".into(),
                "男".into(),
                "1990-**-**".into(),
                "420102********1234".into(),
                "=HYPERLINK(\"x\")".into(),
                "城关镇".into(),
                "".into(),
                "".into(),
                "武汉".into(),
                "".into(),
                "".into(),
                "在县内".into(),
                "".into(),
                "2020-01-25".into(),
                "镇办实地核查".into(),
            ]],
            persons: vec![7],
        }
    }

    #[test]
    fn csv_starts_with_a_bom_has_chinese_headers_and_escapes_formulas() {
        let bytes = sheet().encode(ExportFormat::Csv).expect("csv");
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
        let mut lines = text.split("\r\n");
        assert_eq!(lines.next(), Some(EXPORT_HEADER.join(",").as_str()));
        let row = lines.next().expect("a row");
        assert!(row.contains("张三") && row.contains("'=HYPERLINK"), "{row}");
    }

    #[test]
    fn xlsx_is_a_workbook_calamine_reads_back() {
        use calamine::{Reader as _, Xlsx};
        let bytes = sheet().encode(ExportFormat::Xlsx).expect("xlsx");
        let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
        let range = workbook.worksheet_range("人员").expect("the sheet");
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(rows[0], EXPORT_HEADER.map(str::to_owned).to_vec());
        assert_eq!(rows[1][1], "张三");
        assert_eq!(rows[1][5], "=HYPERLINK(\"x\")", "a string, not a formula");
    }
}
