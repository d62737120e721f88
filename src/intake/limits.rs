//! What one file may hold, checked before the costly work of reading it: a file beyond the
//! limits of [`crate::config::limits`] is refused whole, with a message saying which limit.

use std::io::{Cursor, Read as _};

use super::{IntakeError, count};
pub use crate::config::limits::{
    MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_LINE_BYTES, MAX_ROWS, MAX_XLSX_ENTRIES,
    MAX_XLSX_RATIO, MAX_XLSX_UNPACKED_BYTES, RATIO_FREE_BYTES,
};

fn refuse(message: String) -> IntakeError {
    IntakeError::Unreadable(message)
}

/// Where in a file a refusal points, numbered as row rejections are: data rows from 1, the
/// header apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A table's header line.
    Header,
    /// A data row (from 1; for notices, a person among all persons of the file).
    Row(usize),
    /// A notice of a JSON file (from 1), apart from its persons.
    Notice(usize),
}

impl Place {
    /// Data row `row`, the header for 0.
    pub fn of_row(row: usize) -> Self {
        if row == 0 {
            Self::Header
        } else {
            Self::Row(row)
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Header => f.write_str("表头"),
            Self::Row(n) => write!(f, "第 {n} 行"),
            Self::Notice(n) => write!(f, "第 {n} 份协查通报"),
        }
    }
}

/// Where line `index` (from 0) of a text file is: for a table (`table`), the header is its
/// first line that is not blank and the data rows follow it, empty lines not counted (as the
/// CSV reader reads them); for NDJSON, lines that are not blank are the data rows. A cell
/// holding a line break (quoted) is not seen: the count is the lines'.
pub fn line_place(bytes: &[u8], index: usize, table: bool) -> Place {
    let mut header = !table;
    let mut rows = 0usize;
    for line in bytes.split(|b| *b == b'\n').take(index + 1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !header {
            header = !line.iter().all(|b| matches!(b, b' ' | b'\t' | b','));
            if header && table {
                continue;
            }
        } else if (table && !line.is_empty()) || (!table && !line.trim_ascii().is_empty()) {
            rows += 1;
        }
    }
    if header && (rows > 0 || !table) {
        Place::Row(rows.max(1))
    } else {
        Place::Header
    }
}

/// Refuses text whose lines are too long, before anything is decoded or parsed; `table` says
/// whether its first line is a header (CSV) or not (NDJSON). A long line with many commas is
/// reported as too many columns.
pub fn check_lines(bytes: &[u8], table: bool) -> Result<(), IntakeError> {
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.len() > MAX_LINE_BYTES {
            let place = line_place(bytes, i, table);
            let separators = line.iter().filter(|b| **b == b',').count();
            if table && separators >= MAX_COLUMNS {
                return Err(too_many_columns(place, separators + 1));
            }
            return Err(refuse(format!(
                "{place}长 {} 字节，超过每行 {MAX_LINE_BYTES} 字节的上限",
                line.len(),
            )));
        }
    }
    Ok(())
}

/// The row at `place` has `columns` columns.
pub fn too_many_columns(place: Place, columns: usize) -> IntakeError {
    refuse(format!(
        "{place}有 {columns} 列，超过每行 {MAX_COLUMNS} 列的上限"
    ))
}

/// Refuses a file of `rows` data rows when they are more than [`MAX_ROWS`].
pub fn check_rows(rows: usize) -> Result<(), IntakeError> {
    if rows > MAX_ROWS {
        return Err(refuse(format!(
            "文件有 {rows} 行数据，超过每个文件 {MAX_ROWS} 行的上限，请拆分后导入"
        )));
    }
    Ok(())
}

/// Refuses a file found to reach data row `row` while it is read, when that is beyond
/// [`MAX_ROWS`] (the count made before reading has missed it).
pub fn check_row_reached(row: usize) -> Result<(), IntakeError> {
    if row > MAX_ROWS {
        return Err(refuse(format!(
            "文件至少有 {row} 行数据，超过每个文件 {MAX_ROWS} 行的上限，请拆分后导入"
        )));
    }
    Ok(())
}

/// Refuses CSV text of more data rows than [`MAX_ROWS`] before any is read: its line breaks
/// bound its records from above, and only text with more of them is counted record by record.
pub fn check_csv_rows(text: &str) -> Result<(), IntakeError> {
    // Records are at most the line breaks plus one, and one of them is the header.
    if count::line_breaks(text.as_bytes()) <= MAX_ROWS {
        return Ok(());
    }
    check_rows(count::csv_rows(text))
}

/// Refuses NDJSON text of more data rows than [`MAX_ROWS`] before it is parsed: a line that is
/// not blank is a row, or a notice of as many rows as it has persons.
pub fn check_ndjson_rows(text: &str) -> Result<(), IntakeError> {
    let rows = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            if line.contains("persons") {
                count::json_item_rows(line)
            } else {
                1
            }
        })
        .fold(0usize, usize::saturating_add);
    check_rows(rows)
}

/// Refuses a JSON document of more data rows than [`MAX_ROWS`] before it is parsed into
/// values (see [`count::json_rows`]).
pub fn check_json_rows(text: &str) -> Result<(), IntakeError> {
    // An item takes two bytes at least, its comma included.
    if text.len().div_ceil(2) <= MAX_ROWS {
        return Ok(());
    }
    count::json_rows(text).map_or(Ok(()), check_rows)
}

/// Refuses a table of `rows` data rows under `columns` header columns when it has more cells
/// than [`MAX_CELLS`].
pub fn check_cells(rows: usize, columns: usize) -> Result<(), IntakeError> {
    if rows.saturating_mul(columns) > MAX_CELLS {
        return Err(refuse(format!(
            "文件至少有 {rows} 行 × {columns} 列，超过 {MAX_CELLS} 个单元格的上限，请拆分后导入"
        )));
    }
    Ok(())
}

/// Refuses a cell at `place` longer than [`MAX_CELL_CHARS`].
pub fn check_cell(place: Place, column: &str, value: &str) -> Result<(), IntakeError> {
    // Bytes first: most cells are far below the limit in bytes, let alone characters.
    if value.len() > MAX_CELL_CHARS && value.chars().count() > MAX_CELL_CHARS {
        return Err(refuse(format!(
            "{place}“{column}”列的单元格超过 {MAX_CELL_CHARS} 个字符的上限"
        )));
    }
    Ok(())
}

/// Checks an XLSX container before a spreadsheet reader unpacks it: a bounded number of
/// entries, and each entry's unpacked size — declared, and then actually counted while
/// unpacking, since a ZIP bomb may lie about it — within [`MAX_XLSX_UNPACKED_BYTES`] in all and
/// [`MAX_XLSX_RATIO`] to 1 beyond [`RATIO_FREE_BYTES`].
pub fn check_zip(bytes: &[u8]) -> Result<(), IntakeError> {
    let broken = |e: zip::result::ZipError| refuse(format!("XLSX 文件已损坏或不完整（{e}）"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(broken)?;
    if archive.len() > MAX_XLSX_ENTRIES {
        return Err(refuse(format!(
            "XLSX 文件含 {} 个部件，超过 {MAX_XLSX_ENTRIES} 个的上限",
            archive.len()
        )));
    }
    let bomb = |name: &str| {
        refuse(format!(
            "XLSX 文件中的“{name}”解压后过大（疑似压缩炸弹），拒绝读取"
        ))
    };
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(broken)?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let allowed = entry
            .compressed_size()
            .saturating_mul(MAX_XLSX_RATIO)
            .max(RATIO_FREE_BYTES)
            .min(MAX_XLSX_UNPACKED_BYTES - total);
        if entry.size() > allowed {
            return Err(bomb(&name));
        }
        let mut counted: u64 = 0;
        let mut limited = entry.take(allowed + 1);
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = limited
                .read(&mut buffer)
                .map_err(|e| refuse(format!("XLSX 文件已损坏或不完整（{e}）")))?;
            if n == 0 {
                break;
            }
            counted += n as u64;
            if counted > allowed {
                return Err(bomb(&name));
            }
        }
        total += counted;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            writer.start_file(*name, options).expect("entry");
            writer.write_all(data).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    #[test]
    fn an_ordinary_container_passes() {
        let bytes = zip_of(&[("a.xml", b"<a>hello</a>"), ("b.xml", &[b'x'; 10_000])]);
        check_zip(&bytes).expect("an ordinary container passes");
    }

    #[test]
    fn an_entry_unpacking_far_beyond_its_packed_size_is_a_bomb() {
        let zeros = vec![0u8; (RATIO_FREE_BYTES + 1024 * 1024) as usize];
        let bytes = zip_of(&[("xl/worksheets/sheet1.xml", &zeros)]);
        let err = check_zip(&bytes).expect_err("bomb");
        assert!(err.to_string().contains("压缩炸弹"), "{err}");
    }

    #[test]
    fn lines_and_cells_beyond_the_limits_are_refused() {
        check_lines(b"a,b\n1,2\n", true).expect("short lines pass");
        let long = format!("a\n{}\n", "x".repeat(MAX_LINE_BYTES + 1));
        let message = check_lines(long.as_bytes(), true)
            .expect_err("long")
            .to_string();
        assert!(message.contains("第 1 行长"), "{message}");
        let wide = ",".repeat(MAX_LINE_BYTES + 1);
        let message = check_lines(wide.as_bytes(), true)
            .expect_err("wide")
            .to_string();
        assert!(
            message.contains("表头有") && message.contains("列"),
            "{message}"
        );
        let refusal = |result: Result<(), IntakeError>| match result {
            Err(IntakeError::Unreadable(message)) => message,
            other => panic!("must be refused: {other:?}"),
        };
        check_cell(Place::Row(3), "备注", &"字".repeat(MAX_CELL_CHARS))
            .expect("a cell at the limit");
        let cell = refusal(check_cell(
            Place::Row(3),
            "备注",
            &"字".repeat(MAX_CELL_CHARS + 1),
        ));
        assert!(cell.contains("第 3 行“备注”列"), "{cell}");
        check_rows(MAX_ROWS).expect("rows at the limit");
        let rows = refusal(check_rows(MAX_ROWS + 1));
        assert!(
            rows.contains(&MAX_ROWS.to_string()) && rows.contains(&(MAX_ROWS + 1).to_string()),
            "{rows}"
        );
        check_cells(1_000_000, 40).expect("cells at the limit");
        let cells = refusal(check_cells(1_000_000, 41));
        assert!(cells.contains("1000000 行 × 41 列"), "{cells}");
    }

    #[test]
    fn lines_are_placed_as_rows_are_numbered_the_header_apart() {
        let csv = b"\n , \r\nname,phone\n\nA,1\r\n,\nB,2\n";
        let places: Vec<Place> = (0..7).map(|i| line_place(csv, i, true)).collect();
        use Place::{Header, Row};
        assert_eq!(
            places,
            [Header, Header, Header, Header, Row(1), Row(2), Row(3)]
        );
        let ndjson = b"{\"a\":1}\n\n{\"b\":2}\n";
        assert_eq!(line_place(ndjson, 0, false), Row(1));
        assert_eq!(line_place(ndjson, 2, false), Row(2));
    }

    #[test]
    fn a_text_over_the_row_limit_is_refused_by_its_count() {
        let mut csv = String::from("name\n");
        csv.push_str(&"a\n".repeat(MAX_ROWS));
        check_csv_rows(&csv).expect("rows at the limit");
        csv.push_str("a\n");
        let message = check_csv_rows(&csv).expect_err("over").to_string();
        assert!(
            message.contains(&format!("{} 行数据", MAX_ROWS + 1)),
            "{message}"
        );
        // Line breaks inside quoted cells are no rows.
        let quoted = format!("name\n\"{}\"\n", "\n".repeat(MAX_ROWS + 10));
        check_csv_rows(&quoted).expect("one row");

        let ndjson = "{}\n".repeat(MAX_ROWS + 1);
        assert!(check_ndjson_rows(&ndjson).is_err());
        let json = format!("[{}{{}}]", "{},".repeat(MAX_ROWS));
        assert!(check_json_rows(&json).is_err());
        let notice = format!(r#"[{{"persons":[{}{{}}]}}]"#, "{},".repeat(MAX_ROWS));
        assert!(check_json_rows(&notice).is_err());
        check_json_rows(&format!("[{}{{}}]", "{},".repeat(MAX_ROWS - 1))).expect("at the limit");
    }
}
