//! The rendered documents: the PDF's text read back, its pages, the HTML snapshot and its
//! escaping, the sheets.

use std::collections::HashMap;
use std::io::Read;

use super::super::document::{DocumentFormat, DocumentKind};
use super::sample::{person, reply, request};
use super::{html, pdf, render};

/// The PDF's text in reading order, read back through its ToUnicode map: every `TJ` array's
/// glyph codes, a line per `ET`. Enough for the PDFs krilla writes (one CID font, two-byte
/// codes, Flate-compressed streams).
fn pdf_text(bytes: &[u8]) -> String {
    let streams = pdf_streams(bytes);
    let mut map: HashMap<u16, String> = HashMap::new();
    for stream in &streams {
        let text = String::from_utf8_lossy(stream);
        if let Some(start) = text.find("beginbfchar") {
            let mut tokens = hex_strings(&text[start..]).into_iter();
            while let (Some(code), Some(unicode)) = (tokens.next(), tokens.next()) {
                let code = u16::from_str_radix(&code, 16).expect("a code");
                map.insert(code, utf16_hex(&unicode));
            }
        }
    }
    assert!(!map.is_empty(), "the PDF has a ToUnicode map");
    let mut out = String::new();
    for stream in streams.iter().filter(|s| find(s, b"BT").is_some()) {
        // Byte lines: a literal string holds raw code bytes, not UTF-8.
        for line in stream.split(|b| *b == b'\n') {
            let open = line.iter().position(|b| *b == b'[');
            let close = line.windows(3).rposition(|w| w == b"]TJ");
            if let (Some(open), Some(close)) = (open, close) {
                let codes = pdf_string_bytes(&line[open + 1..close]);
                for pair in codes.chunks(2) {
                    let code = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
                    out.push_str(map.get(&code).map_or("\u{fffd}", String::as_str));
                }
            } else if line == b"ET" {
                out.push('\n');
            }
        }
    }
    out
}

/// The bytes of the strings in a `TJ` array: literal `(..)` strings with their escapes and
/// hexadecimal `<..>` strings; numbers (kerning) are skipped.
fn pdf_string_bytes(array: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < array.len() {
        match array[i] {
            b'(' => {
                // Balanced parentheses stand unescaped inside a literal string.
                let mut depth = 0;
                i += 1;
                while i < array.len() && (array[i] != b')' || depth > 0) {
                    if array[i] == b'(' {
                        depth += 1;
                    } else if array[i] == b')' {
                        depth -= 1;
                    }
                    if array[i] == b'\\' {
                        i += 1;
                        match array.get(i) {
                            Some(d @ b'0'..=b'7') => {
                                let mut value = u32::from(d - b'0');
                                for _ in 0..2 {
                                    match array.get(i + 1) {
                                        Some(d @ b'0'..=b'7') => {
                                            value = value * 8 + u32::from(d - b'0');
                                            i += 1;
                                        }
                                        _ => break,
                                    }
                                }
                                out.push(value as u8);
                            }
                            Some(b'n') => out.push(b'\n'),
                            Some(b'r') => out.push(b'\r'),
                            Some(b't') => out.push(b'\t'),
                            Some(b'b') => out.push(8),
                            Some(b'f') => out.push(12),
                            Some(other) => out.push(*other),
                            None => {}
                        }
                    } else {
                        out.push(array[i]);
                    }
                    i += 1;
                }
                i += 1;
            }
            b'<' => {
                let close = array[i..]
                    .iter()
                    .position(|b| *b == b'>')
                    .map_or(array.len(), |p| i + p);
                let hex: Vec<u8> = array[i + 1..close]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                for pair in hex.chunks(2) {
                    let text = std::str::from_utf8(pair).expect("hex");
                    out.push(u8::from_str_radix(text, 16).expect("hex"));
                }
                i = close + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The PDF's streams, inflated where they are compressed.
fn pdf_streams(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut streams = Vec::new();
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b">>\nstream\n") {
        let start = at + found + b">>\nstream\n".len();
        let Some(length) = find(&bytes[start..], b"endstream") else {
            break;
        };
        let raw = &bytes[start..start + length];
        let head = &bytes[at..at + found];
        let dict = &head[head.len().saturating_sub(300)..];
        if find(dict, b"FlateDecode").is_some() {
            let mut inflated = Vec::new();
            if flate2::read::ZlibDecoder::new(raw)
                .read_to_end(&mut inflated)
                .is_ok()
            {
                streams.push(inflated);
            }
        } else {
            streams.push(raw.to_vec());
        }
        at = start + length;
    }
    streams
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn hex_strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let hex: String = after[..close]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            out.push(hex);
        }
        rest = &after[close + 1..];
    }
    out
}

fn utf16_hex(hex: &str) -> String {
    let units: Vec<u16> = hex
        .as_bytes()
        .chunks(4)
        .filter_map(|c| u16::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect();
    String::from_utf16_lossy(&units)
}

#[test]
fn the_pdf_text_holds_the_addressee_the_number_and_every_name() {
    let mut document = request(6);
    document.persons[5].name = "欧阳子涵".to_owned();
    let pdf = pdf::render(&document).expect("pdf");
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    assert_eq!(pdf.missing, 0);
    let text = pdf_text(&pdf.bytes);
    let flat = text.replace('\n', "");
    assert!(text.contains("孝南区新冠肺炎疫情防控指挥部："), "{text}");
    for expected in [
        "青溪防指函〔2020〕7号",
        "关于协助落实有关人员居家医学观察措施的函",
        "2020年2月1日",
        "2020年2月4日前",
        "盖章处",
        "判定依据",
        "420902199001011000",
    ] {
        assert!(
            flat.contains(expected),
            "{expected} in the PDF's text:\n{text}"
        );
    }
    for person in &document.persons {
        assert!(text.contains(&person.name), "{} in the PDF", person.name);
    }
    // Embedded, subset, with its ToUnicode map: the file stays small.
    assert!(pdf.bytes.len() < 200_000, "{} bytes", pdf.bytes.len());
}

#[test]
fn the_pdf_text_agrees_with_pdftotext_where_it_is_installed() {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("letter.pdf");
    let document = request(3);
    std::fs::write(&path, render(&document, DocumentFormat::Pdf).expect("pdf")).expect("write");
    let Ok(out) = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
    else {
        println!("pdftotext is not installed: the PDF's text was read back in Rust only");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("孝南区新冠肺炎疫情防控指挥部"), "{text}");
    for person in &document.persons {
        assert!(text.contains(&person.name), "{} in:\n{text}", person.name);
    }
}

#[test]
fn a_long_list_flows_over_several_pages_under_a_repeated_header() {
    let document = request(120);
    let pdf = pdf::render(&document).expect("pdf");
    assert!(pdf.pages >= 5, "{} pages", pdf.pages);
    let text = pdf_text(&pdf.bytes);
    let headers = text.matches("与湖北关联").count();
    // The letter's page has no table; every list page repeats the header.
    assert_eq!(headers, pdf.pages - 1, "{text}");
    for n in [1, 60, 120] {
        assert!(text.contains(&format!("— {n} —")) || n > pdf.pages);
    }
    assert!(text.contains(&format!("— {} —", pdf.pages)));
    for person in &document.persons {
        assert!(text.contains(&person.id_number));
    }
}

#[test]
fn a_row_taller_than_a_page_is_split_not_lost() {
    let mut document = request(2);
    document.persons[1].reason = "很长的判定依据。".repeat(400);
    let pdf = pdf::render(&document).expect("pdf");
    assert!(pdf.pages >= 3, "{} pages", pdf.pages);
    // Every character of the long cell is drawn once (page breaks cut the phrase, not it).
    let text = pdf_text(&pdf.bytes);
    assert_eq!(text.matches('很').count(), 400);
    assert_eq!(text.matches('长').count(), 400);
}

#[test]
fn a_character_missing_from_the_font_is_drawn_as_a_square_and_counted() {
    let mut document = request(1);
    document.persons[0].name = "张\u{20000}".to_owned();
    let pdf = pdf::render(&document).expect("pdf");
    assert_eq!(pdf.missing, 1);
    // Drawn as □, its text still reads back as the character.
    let text = pdf_text(&pdf.bytes);
    assert!(text.contains("张\u{20000}"), "{text}");
}

#[test]
fn the_reply_answers_the_notice_with_the_findings() {
    let document = reply(2);
    let pdf = pdf::render(&document).expect("pdf");
    let text = pdf_text(&pdf.bytes).replace('\n', "");
    for expected in [
        "关于协查人员核查情况的复函",
        "孝南防指函〔2020〕12号",
        "草稿（未编号）",
        "核查结果",
        "在我县，自2020-01-25起居家医学观察",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    let page = html::render(&document).expect("html");
    assert!(page.contains("核查结果") && !page.contains("判定依据"));
}

#[test]
fn the_html_page_matches_its_snapshot() {
    let page = html::render(&request(3)).expect("html");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/letters/render/fixtures/request.html"
    );
    if std::env::var_os("PAICHA_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &page).expect("write the snapshot");
    }
    let expected = std::fs::read_to_string(path).expect("the snapshot");
    assert_eq!(
        page, expected,
        "set PAICHA_UPDATE_SNAPSHOTS=1 to accept a change"
    );
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("src="));
}

#[test]
fn hostile_values_are_escaped_in_the_html() {
    let mut document = request(1);
    document.persons[0].name = "<script>alert('x')</script>&".to_owned();
    document.addressee = "孝南区\"><img src=x onerror=alert(1)>".to_owned();
    let page = html::render(&document).expect("html");
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("<img"));
    assert!(page.contains("&lt;script&gt;alert("));
    assert!(page.contains("&amp;"));
}

#[test]
fn a_line_break_in_a_value_does_not_forge_a_block() {
    let mut document = request(1);
    document.contact = "李明\nseal|伪造的盖章处".to_owned();
    let page = html::render(&document).expect("html");
    assert!(page.contains("李明 seal|伪造的盖章处"));
}

#[test]
fn the_sheets_hold_the_chinese_header_and_one_row_per_person() {
    let document = request(2);
    let csv = render(&document, DocumentFormat::Csv).expect("csv");
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(csv[3..].to_vec()).expect("UTF-8");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "序号,姓名,性别,身份证号,联系电话,现住址,抵达日期,与湖北关联,判定依据"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[1].starts_with("1,张伟,男,420902199001011000,13800000000,"));
    assert!(lines[2].starts_with("2,王芳,女,"));

    let mut answer = reply(1);
    answer.persons[0].finding = "=cmd|' /C calc'!A0".to_owned();
    let csv = render(&answer, DocumentFormat::Csv).expect("csv");
    let text = String::from_utf8(csv[3..].to_vec()).expect("UTF-8");
    assert!(
        text.starts_with("序号,姓名,性别,身份证号,联系电话,现住址,抵达日期,与湖北关联,核查结果")
    );
    assert!(!text.contains(",=cmd"), "{text}");

    let xlsx = render(&document, DocumentFormat::Xlsx).expect("xlsx");
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("a workbook");
    use calamine::Reader;
    let range = workbook.worksheet_range("协查人员名单").expect("the sheet");
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|row| row.iter().map(|cell| cell.to_string()).collect())
        .collect();
    assert_eq!(rows[0][8], "判定依据");
    assert_eq!(rows[1][1], "张伟");
    assert_eq!(rows[2][3], "420902199001011001");
    assert_eq!(rows.len(), 3);
}

#[test]
fn every_format_renders_for_both_kinds() {
    for kind in [DocumentKind::Request, DocumentKind::Reply] {
        let mut document = request(2);
        document.kind = kind;
        for format in DocumentFormat::ALL {
            let bytes = render(&document, format).expect("rendered");
            assert!(!bytes.is_empty());
        }
    }
}

/// Writes a sample PDF to look at: `cargo test --lib letters::render -- --ignored`.
#[test]
#[ignore]
fn write_the_sample_pdf() {
    let mut document = request(8);
    document.persons.push(person(8));
    std::fs::write(
        "/tmp/render-sample.pdf",
        render(&document, DocumentFormat::Pdf).expect("pdf"),
    )
    .expect("write");
    std::fs::write(
        "/tmp/render-sample.html",
        render(&document, DocumentFormat::Html).expect("html"),
    )
    .expect("write");
}
