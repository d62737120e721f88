//! Readers of tabular files: CSV (UTF-8 with or without BOM, or GB18030) and XLSX.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::Hash;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::IntakeError;
use super::limits::{self, Place};

/// A data row with its number (from 1, the header excluded): its cells, or why it is refused.
pub type NumberedRow = (u32, Result<Vec<String>, String>);

/// A sheet of text cells: the header row and the data rows (numbered from 1, header excluded).
#[derive(Debug, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<NumberedRow>,
}

impl Table {
    /// Which column of the table each known column is: `known` names each with the headers it
    /// goes by (compared as [`super::headers::fold_header`] folds them); the first match wins.
    pub fn columns_of<K: Copy + Eq + Hash>(&self, known: &[(K, &[&str])]) -> HashMap<K, usize> {
        let mut columns = HashMap::new();
        for (index, header) in self.headers.iter().enumerate() {
            let folded = super::headers::fold_header(header);
            if let Some((column, _)) = known.iter().find(|(_, names)| {
                names
                    .iter()
                    .any(|n| super::headers::fold_header(n) == folded)
            }) {
                columns.entry(*column).or_insert(index);
            }
        }
        columns
    }
}

/// The cell of `column` in a row's `cells`, trimmed; `None` when the table has no such
/// column or the cell is empty.
pub fn cell_of<'a, K: Eq + Hash>(
    columns: &HashMap<K, usize>,
    cells: &'a [String],
    column: K,
) -> Option<&'a str> {
    columns
        .get(&column)
        .and_then(|i| cells.get(*i))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

/// Decodes CSV bytes: UTF-8 (a BOM is dropped) or, when that fails, GB18030.
///
/// Bytes that are neither, that hold NUL bytes (a binary file), or that mix UTF-8 lines with
/// lines in another encoding refuse the file whole; so do lines beyond
/// [`limits::MAX_LINE_BYTES`], checked before anything is decoded.
pub fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, IntakeError> {
    if bytes.contains(&0) {
        return Err(IntakeError::Unreadable(
            "文件含有二进制内容（NUL 字节），不是文本表格".into(),
        ));
    }
    limits::check_lines(bytes, true)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    check_single_encoding(bytes)?;
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| Cow::Owned(text.into_owned()))
        .ok_or_else(|| IntakeError::Unreadable("文件编码既不是 UTF-8 也不是 GB18030".into()))
}

/// Refuses bytes that are not UTF-8 as a whole but hold lines of Chinese text in UTF-8: two
/// encodings in one file (files pasted together, a cell edited in another program). Decoding it
/// as GB18030 would silently garble the UTF-8 lines.
fn check_single_encoding(bytes: &[u8]) -> Result<(), IntakeError> {
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let utf8_chinese = lines.iter().position(|line| {
        std::str::from_utf8(line)
            .is_ok_and(|text| text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)))
    });
    let other = lines
        .iter()
        .position(|line| std::str::from_utf8(line).is_err());
    match (utf8_chinese, other) {
        (Some(a), Some(b)) => Err(IntakeError::Unreadable(format!(
            "文件混用了多种编码：{}是 UTF-8，{}不是，请统一保存为 UTF-8 后再导入",
            limits::line_place(bytes, a, true),
            limits::line_place(bytes, b, true),
        ))),
        _ => Ok(()),
    }
}

/// Reads CSV text into a table. A row with more cells than the header is kept as an error
/// for that row alone; missing trailing cells are empty.
#[cfg(test)]
pub fn read_csv(text: &str) -> Result<Table, IntakeError> {
    let mut reader = CsvRows::new(Cow::Borrowed(text))?;
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        rows.push(row);
    }
    Ok(Table {
        headers: reader.headers,
        rows,
    })
}

/// The refusal of a table with a header and nothing under it.
fn header_only() -> IntakeError {
    IntakeError::Unreadable("文件只有表头，没有数据行：表头下应每行一个人员".into())
}

/// Decoded CSV text, owned or borrowed from the file's bytes, as the CSV reader reads it.
struct Text<'a>(Cow<'a, str>);

impl AsRef<[u8]> for Text<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The rows of a CSV file, read one at a time as they are asked for, so that a large file is
/// never held as a table. Data rows are numbered from 1 (the header excluded). A row with more
/// cells than the header is an error for that row alone; missing trailing cells are empty.
pub struct CsvRows<'a> {
    reader: csv::Reader<Cursor<Text<'a>>>,
    record: csv::StringRecord,
    headers: Vec<String>,
    row_number: u32,
    /// The first data row, read with the header.
    first: Option<NumberedRow>,
}

impl<'a> CsvRows<'a> {
    /// Opens decoded text (see [`decode_text`]) and reads its header: the first row that is
    /// not blank. Text of more data rows than [`limits::MAX_ROWS`] is refused before any is
    /// read; so is text without a header or without a row under it.
    pub fn new(text: Cow<'a, str>) -> Result<Self, IntakeError> {
        limits::check_csv_rows(&text)?;
        let mut rows = Self {
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(Cursor::new(Text(text))),
            record: csv::StringRecord::new(),
            headers: Vec::new(),
            row_number: 0,
            first: None,
        };
        while rows.read(Place::Header)? {
            if rows.record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            for h in &rows.record {
                limits::check_cell(Place::Header, "", h)?;
            }
            rows.headers = rows.record.iter().map(|h| h.trim().to_owned()).collect();
            rows.first = Some(rows.read_row()?.ok_or_else(header_only)?);
            return Ok(rows);
        }
        Err(IntakeError::Unreadable("文件为空，没有表头".into()))
    }

    /// The header's cells, trimmed.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The next data row with its number, or `None` at the end of the text.
    pub fn next_row(&mut self) -> Result<Option<NumberedRow>, IntakeError> {
        match self.first.take() {
            Some(first) => Ok(Some(first)),
            None => self.read_row(),
        }
    }

    /// Reads the next data row. A blank row (every cell empty) is no row: it is skipped,
    /// though it keeps its number, so that row numbers stay those of the file.
    fn read_row(&mut self) -> Result<Option<NumberedRow>, IntakeError> {
        loop {
            let place = Place::Row(self.row_number as usize + 1);
            if !self.read(place)? {
                return Ok(None);
            }
            self.row_number += 1;
            // Counted before reading (`new`): this only guards that count.
            limits::check_row_reached(self.row_number as usize)?;
            if !self.record.iter().all(|c| c.trim().is_empty()) {
                break;
            }
        }
        let place = Place::Row(self.row_number as usize);
        let row_number = self.row_number;
        let record = &self.record;
        for (i, cell) in record.iter().enumerate() {
            let header = self.headers.get(i).map_or("", String::as_str);
            limits::check_cell(place, header, cell)?;
        }
        let cells = if record.len() > self.headers.len() {
            Err(format!(
                "该行有 {} 列，表头只有 {} 列",
                record.len(),
                self.headers.len()
            ))
        } else {
            Ok(record.iter().map(str::to_owned).collect())
        };
        Ok(Some((row_number, cells)))
    }

    /// Reads the next record of the text, the row at `place`; false at its end.
    fn read(&mut self, place: Place) -> Result<bool, IntakeError> {
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| IntakeError::Unreadable(format!("CSV 无法解析：{e}")))?;
        if more && self.record.len() > limits::MAX_COLUMNS {
            return Err(limits::too_many_columns(place, self.record.len()));
        }
        Ok(more)
    }
}

/// Reads the first worksheet of an XLSX workbook. Formulas are never evaluated: a cell gives
/// the value the workbook stored for it.
///
/// The container is checked first ([`limits::check_zip`]: ZIP bombs), and the sheet is read
/// cell by cell, so that a cell far out (`XFD1048576`) is refused by the row and column limits
/// instead of making a grid of billions of empty cells. Empty rows are no rows: a sheet whose
/// one data row is at row 1 048 000 holds one row.
pub fn read_xlsx(bytes: &[u8]) -> Result<Table, IntakeError> {
    limits::check_zip(bytes)?;
    let mut workbook = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| IntakeError::Unreadable(format!("XLSX 文件无法读取：{e}")))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| IntakeError::Unreadable("XLSX 文件没有工作表".into()))?;
    let unreadable =
        |e: calamine::XlsxError| IntakeError::Unreadable(format!("工作表“{sheet}”无法读取：{e}"));
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(unreadable)?;
    // The range the sheet declares, when it does: its rows below the first are data rows.
    let declared = reader.dimensions();
    limits::check_rows(declared.end.0.saturating_sub(declared.start.0) as usize)?;
    // Non-empty cells by absolute row, in the order the sheet stores them.
    let mut rows: Vec<(u32, Vec<(u32, Data)>)> = Vec::new();
    let mut first_column = u32::MAX;
    // The header's row as far as the cells read so far tell (sheets store rows in order).
    let mut first_row = u32::MAX;
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, column) = cell.get_position();
        let value: Data = cell.get_value().clone().into();
        if value == Data::Empty {
            continue;
        }
        first_row = first_row.min(row);
        let data_row = (row - first_row) as usize;
        if column as usize >= limits::MAX_COLUMNS {
            return Err(limits::too_many_columns(
                Place::of_row(data_row),
                column as usize + 1,
            ));
        }
        limits::check_row_reached(data_row)?;
        first_column = first_column.min(column);
        match rows.last_mut() {
            Some((r, cells)) if *r == row => cells.push((column, value)),
            _ => rows.push((row, vec![(column, value)])),
        }
    }
    drop(reader);
    // Sheets normally store rows in order; tolerate those that do not.
    rows.sort_by_key(|(row, _)| *row);
    // As wide as the widest row, so that no cell is dropped for lack of a header.
    let last_column = rows
        .iter()
        .flat_map(|(_, cells)| cells.iter().map(|(c, _)| *c))
        .max()
        .unwrap_or(first_column);
    let mut table = Table::default();
    let mut row_number = 0u32;
    let mut next_row: Option<u32> = None;
    for (row, mut cells) in rows {
        cells.sort_by_key(|(column, _)| *column);
        let width = cells.last().map_or(0, |(c, _)| c - first_column + 1) as usize;
        let mut dense = vec![Data::Empty; width];
        for (column, value) in cells {
            dense[(column - first_column) as usize] = value;
        }
        if table.headers.is_empty() {
            if dense.iter().all(|c| cell_text(c).trim().is_empty()) {
                continue;
            }
            table.headers = dense
                .iter()
                .map(|c| cell_text(c).trim().to_owned())
                .collect();
            table
                .headers
                .resize((last_column - first_column + 1) as usize, String::new());
            for h in &table.headers {
                limits::check_cell(Place::Header, "", h)?;
            }
            next_row = Some(row + 1);
            continue;
        }
        // Rows the sheet skipped are empty rows: no rows of the table, though they keep their
        // numbers, so that row numbers stay those of the sheet.
        row_number += row - next_row.unwrap_or(row);
        next_row = Some(row + 1);
        row_number += 1;
        if dense.iter().all(|c| cell_text(c).trim().is_empty()) {
            continue;
        }
        // Only rows with content are held: memory follows the cells the file holds, never
        // the rows it declares or skips.
        limits::check_cells(table.rows.len() + 1, table.headers.len())?;
        if let Some(pos) = dense.iter().position(|c| matches!(c, Data::Error(_))) {
            let header = table.headers.get(pos).cloned().unwrap_or_default();
            table.rows.push((
                row_number,
                Err(format!("“{header}”列的单元格是错误值，无法读取")),
            ));
            continue;
        }
        let texts: Vec<String> = dense.iter().map(cell_text).collect();
        for (i, text) in texts.iter().enumerate() {
            let header = table.headers.get(i).map_or("", String::as_str);
            limits::check_cell(Place::Row(row_number as usize), header, text)?;
        }
        table.rows.push((row_number, Ok(texts)));
    }
    if table.headers.is_empty() {
        return Err(IntakeError::Unreadable("工作表为空，没有表头".into()));
    }
    if table.rows.is_empty() {
        return Err(header_only());
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
        let refusal = |bytes: &[u8]| match decode_text(bytes) {
            Err(IntakeError::Unreadable(message)) => message,
            other => panic!("{bytes:?} must be refused: {other:?}"),
        };
        let zip = refusal(b"PK\x03\x04\x00\x00garbage");
        assert!(zip.contains("二进制"), "{zip}");
        let neither = refusal(&[0xFF, 0xFE, 0xFD, 0x81, 0x30]);
        assert!(neither.contains("GB18030"), "{neither}");
    }

    #[test]
    fn a_row_longer_than_the_header_is_an_error_of_that_row_only() {
        let table = read_csv("a,b\n1,2\n1,2,3\n4\n").expect("table");
        assert_eq!(table.rows.len(), 3);
        assert_eq!(table.rows[0], (1, Ok(vec!["1".to_owned(), "2".to_owned()])));
        assert_eq!(
            table.rows[1],
            (2, Err("该行有 3 列，表头只有 2 列".to_owned()))
        );
        assert_eq!(table.rows[2].1.as_ref().map(Vec::len), Ok(1));
    }
}
