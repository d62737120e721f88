//! The sheet of the briefing's figures: the county's figures with their keys, and the figures
//! by township with each township's daily report.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::register::reports::{Briefing, TOWNSHIP_COLUMNS, TownshipFigures};

/// The `.xlsx` file: sheet `全县` (figure, key, value) and sheet `分乡镇` (one row per
/// township, a total row last).
pub fn render(briefing: &Briefing, townships: &[TownshipFigures]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let county = workbook.add_worksheet().set_name("全县")?;
    county.write_string_with_format(0, 0, "指标", &bold)?;
    county.write_string_with_format(0, 1, "键", &bold)?;
    county.write_string_with_format(0, 2, format!("截至{}", briefing.date), &bold)?;
    for (row, figure) in (1u32..).zip(&briefing.figures) {
        county.write_string(row, 0, figure.label)?;
        county.write_string(row, 1, figure.key)?;
        county.write_number(row, 2, figure.value as f64)?;
    }
    county.set_column_width(0, 28)?;
    county.set_column_width(1, 24)?;
    let sheet = workbook.add_worksheet().set_name("分乡镇")?;
    sheet.write_string_with_format(0, 0, "乡镇（街道）", &bold)?;
    let columns = u16::try_from(TOWNSHIP_COLUMNS.len()).unwrap_or(u16::MAX);
    for (col, (_, header)) in (1u16..).zip(TOWNSHIP_COLUMNS) {
        sheet.write_string_with_format(0, col, *header, &bold)?;
    }
    sheet.write_string_with_format(0, columns + 1, "日报", &bold)?;
    sheet.write_string_with_format(0, columns + 2, "报告新增", &bold)?;
    let mut totals = vec![0u64; TOWNSHIP_COLUMNS.len()];
    let mut row = 1u32;
    for township in townships {
        sheet.write_string(row, 0, &township.township)?;
        for (col, value) in (1u16..).zip(&township.values) {
            sheet.write_number(row, col, *value as f64)?;
        }
        for (total, value) in totals.iter_mut().zip(&township.values) {
            *total += value;
        }
        sheet.write_string(
            row,
            columns + 1,
            if township.reported {
                "已报"
            } else {
                "未报"
            },
        )?;
        if let Some(stated) = township.stated {
            sheet.write_number(row, columns + 2, stated as f64)?;
        }
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "合计（已知乡镇）", &bold)?;
    for (col, total) in (1u16..).zip(&totals) {
        sheet.write_number_with_format(row, col, *total as f64, &bold)?;
    }
    sheet.set_column_width(0, 16)?;
    workbook.save_to_buffer()
}
