//! What one file may hold, checked before the costly work of reading it: a file beyond the
//! limits of [`crate::config::limits`] is refused whole, with a message saying which limit.

use std::io::{Cursor, Read as _};

use super::IntakeError;
pub use crate::config::limits::{
    MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_LINE_BYTES, MAX_ROWS, MAX_XLSX_ENTRIES,
    MAX_XLSX_RATIO, MAX_XLSX_UNPACKED_BYTES, RATIO_FREE_BYTES,
};

fn refuse(message: String) -> IntakeError {
    IntakeError::Unreadable(message)
}

/// Refuses text whose lines are too long, before anything is decoded or parsed. A long line
/// with many commas is reported as too many columns.
pub fn check_lines(bytes: &[u8]) -> Result<(), IntakeError> {
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.len() > MAX_LINE_BYTES {
            let separators = line.iter().filter(|b| **b == b',').count();
            if separators >= MAX_COLUMNS {
                return Err(too_many_columns(i + 1, separators + 1));
            }
            return Err(refuse(format!(
                "第 {} 行长 {} 字节，超过每行 {} 字节的上限",
                i + 1,
                line.len(),
                MAX_LINE_BYTES
            )));
        }
    }
    Ok(())
}

/// Line `line` (counted from 1, the header included) has `columns` columns.
pub fn too_many_columns(line: usize, columns: usize) -> IntakeError {
    refuse(format!(
        "第 {line} 行有 {columns} 列，超过每行 {MAX_COLUMNS} 列的上限"
    ))
}

/// Refuses a file with more data rows than [`MAX_ROWS`].
pub fn check_rows(rows: usize) -> Result<(), IntakeError> {
    if rows > MAX_ROWS {
        return Err(refuse(format!(
            "文件超过 {MAX_ROWS} 行数据的上限，请拆分后导入"
        )));
    }
    Ok(())
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

/// Refuses a cell longer than [`MAX_CELL_CHARS`]; `row` is the data row (0 = the header).
pub fn check_cell(row: usize, column: &str, value: &str) -> Result<(), IntakeError> {
    // Bytes first: most cells are far below the limit in bytes, let alone characters.
    if value.len() > MAX_CELL_CHARS && value.chars().count() > MAX_CELL_CHARS {
        let place = if row == 0 {
            "表头".to_owned()
        } else {
            format!("第 {row} 行")
        };
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
        check_lines(b"a,b\n1,2\n").expect("short lines pass");
        let long = format!("a\n{}\n", "x".repeat(MAX_LINE_BYTES + 1));
        assert!(
            check_lines(long.as_bytes())
                .expect_err("long")
                .to_string()
                .contains("第 2 行")
        );
        let wide = ",".repeat(MAX_LINE_BYTES + 1);
        assert!(
            check_lines(wide.as_bytes())
                .expect_err("wide")
                .to_string()
                .contains("列")
        );
        let refusal = |result: Result<(), IntakeError>| match result {
            Err(IntakeError::Unreadable(message)) => message,
            other => panic!("must be refused: {other:?}"),
        };
        check_cell(3, "备注", &"字".repeat(MAX_CELL_CHARS)).expect("a cell at the limit");
        let cell = refusal(check_cell(3, "备注", &"字".repeat(MAX_CELL_CHARS + 1)));
        assert!(cell.contains("第 3 行“备注”列"), "{cell}");
        check_rows(MAX_ROWS).expect("rows at the limit");
        let rows = refusal(check_rows(MAX_ROWS + 1));
        assert!(rows.contains(&MAX_ROWS.to_string()), "{rows}");
        check_cells(1_000_000, 40).expect("cells at the limit");
        let cells = refusal(check_cells(1_000_000, 41));
        assert!(cells.contains("1000000 行 × 41 列"), "{cells}");
    }
}
