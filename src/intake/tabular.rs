//! Readers of tabular files: CSV (UTF-8 with or without BOM, or GB18030) and XLSX.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::IntakeError;

/// A sheet of text cells: the header row and the data rows (numbered from 1, header excluded).
#[derive(Debug, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(u32, Result<Vec<String>, String>)>,
}

/// Decodes CSV bytes: UTF-8 (a BOM is dropped) or, when that fails, GB18030.
///
/// Bytes that are neither, or that hold NUL bytes (a binary file), refuse the file whole.
pub fn decode_text(bytes: &[u8]) -> Result<String, IntakeError> {
    if bytes.contains(&0) {
        return Err(IntakeError::Unreadable(
            "文件含有二进制内容（NUL 字节），不是文本表格".into(),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or_else(|| IntakeError::Unreadable("文件编码既不是 UTF-8 也不是 GB18030".into()))
}

/// Reads CSV text into a table. A row with more cells than the header is kept as an error
/// for that row alone; missing trailing cells are empty.
pub fn read_csv(text: &str) -> Result<Table, IntakeError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table::default();
    let mut row_number = 0u32;
    for record in reader.records() {
        let record = record.map_err(|e| IntakeError::Unreadable(format!("CSV 无法解析：{e}")))?;
        if table.headers.is_empty() {
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            table.headers = record.iter().map(|h| h.trim().to_owned()).collect();
            continue;
        }
        row_number += 1;
        if record.iter().all(|c| c.trim().is_empty()) {
            table.rows.push((row_number, Err("空行".into())));
            continue;
        }
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if cells.len() > table.headers.len() {
            table.rows.push((
                row_number,
                Err(format!(
                    "该行有 {} 列，表头只有 {} 列",
                    cells.len(),
                    table.headers.len()
                )),
            ));
        } else {
            table.rows.push((row_number, Ok(cells)));
        }
    }
    if table.headers.is_empty() {
        return Err(IntakeError::Unreadable("文件为空，没有表头".into()));
    }
    Ok(table)
}

/// Reads the first worksheet of an XLSX workbook. Formulas are never evaluated: a cell gives
/// the value the workbook stored for it.
pub fn read_xlsx(bytes: &[u8]) -> Result<Table, IntakeError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| IntakeError::Unreadable(format!("XLSX 文件无法读取：{e}")))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| IntakeError::Unreadable("XLSX 文件没有工作表".into()))?;
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| IntakeError::Unreadable(format!("工作表“{sheet}”无法读取：{e}")))?;
    let mut table = Table::default();
    let mut row_number = 0u32;
    for row in range.rows() {
        if table.headers.is_empty() {
            if row.iter().all(|c| cell_text(c).trim().is_empty()) {
                continue;
            }
            table.headers = row.iter().map(|c| cell_text(c).trim().to_owned()).collect();
            continue;
        }
        row_number += 1;
        if row.iter().all(|c| cell_text(c).trim().is_empty()) {
            table.rows.push((row_number, Err("空行".into())));
            continue;
        }
        if let Some(pos) = row.iter().position(|c| matches!(c, Data::Error(_))) {
            let header = table.headers.get(pos).cloned().unwrap_or_default();
            table.rows.push((
                row_number,
                Err(format!("“{header}”列的单元格是错误值，无法读取")),
            ));
            continue;
        }
        table
            .rows
            .push((row_number, Ok(row.iter().map(cell_text).collect())));
    }
    if table.headers.is_empty() {
        return Err(IntakeError::Unreadable("工作表为空，没有表头".into()));
    }
    // Trailing empty rows of a sheet are formatting, not data.
    while matches!(table.rows.last(), Some((_, Err(reason))) if reason == "空行") {
        table.rows.pop();
    }
    Ok(table)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        // Phones and ID numbers typed as numbers arrive as floats: print them whole.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) if d.time() == chrono::NaiveTime::MIN => d.date().to_string(),
            Some(d) => d.to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb18030_text_is_decoded_and_utf8_bom_dropped() {
        let (gb, _, _) = encoding_rs::GB18030.encode("姓名,手机号\n张三,13800138000\n");
        assert_eq!(
            decode_text(&gb).expect("gb18030"),
            "姓名,手机号\n张三,13800138000\n"
        );
        let bom = b"\xEF\xBB\xBFname\n".to_vec();
        assert_eq!(decode_text(&bom).expect("utf8"), "name\n");
    }

    #[test]
    fn binary_bytes_are_refused() {
        assert!(decode_text(b"PK\x03\x04\x00\x00garbage").is_err());
        assert!(decode_text(&[0xFF, 0xFE, 0xFD, 0x81, 0x30]).is_err());
    }

    #[test]
    fn a_row_longer_than_the_header_is_an_error_of_that_row_only() {
        let table = read_csv("a,b\n1,2\n1,2,3\n4\n").expect("table");
        assert_eq!(table.rows.len(), 3);
        assert!(table.rows[0].1.is_ok());
        assert!(table.rows[1].1.is_err());
        assert_eq!(table.rows[2].1.as_ref().map(Vec::len), Ok(1));
    }
}
