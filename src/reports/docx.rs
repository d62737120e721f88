//! The briefing as a Word document (`.docx`) the office can edit: a title, the report's text
//! paragraph by paragraph, in 仿宋 (eastAsia font set, so Word uses it for the Chinese) with
//! the title in 宋体.
//!
//! Written as WordprocessingML with the `zip` crate the XLSX reader already uses: the DOCX
//! crates (docx-rs) bring a second major version of `zip` and `quick-xml` and the `image`
//! stack, for a document of a few paragraphs.

use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// The document's defaults: text the office types in later is 仿宋 三号 too.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="仿宋" w:hAnsi="仿宋" w:eastAsia="仿宋" w:cs="仿宋"/><w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>"#;

/// The body font (仿宋) and the title font (宋体).
const BODY_FONT: &str = "仿宋";
const TITLE_FONT: &str = "宋体";

/// XML-escapes text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One paragraph: `font` at `half_points` (32 = 三号, 44 = 二号), centred or indented two
/// characters, bold or not.
fn paragraph(text: &str, font: &str, half_points: u32, centred: bool, bold: bool) -> String {
    let layout = if centred {
        r#"<w:jc w:val="center"/>"#.to_owned()
    } else {
        r#"<w:ind w:firstLineChars="200" w:firstLine="640"/>"#.to_owned()
    };
    let font = escape(font);
    let bold = if bold { "<w:b/>" } else { "" };
    let run = format!(
        r#"<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}"/><w:lang w:eastAsia="zh-CN"/>{bold}<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>"#
    );
    format!(
        r#"<w:p><w:pPr><w:spacing w:line="560" w:lineRule="exact"/>{layout}</w:pPr><w:r>{run}<w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
        escape(text)
    )
}

/// The `word/document.xml` of `text`: the first line is the title, a line starting with a
/// section number (`一、`) a heading, every other non-empty line a paragraph.
pub fn document_xml(text: &str) -> String {
    let mut body = String::new();
    for (index, line) in text.lines().map(str::trim).enumerate() {
        if line.is_empty() {
            continue;
        }
        body.push_str(&match index {
            0 => paragraph(line, TITLE_FONT, 44, true, true),
            1 if line.starts_with('（') => paragraph(line, BODY_FONT, 32, true, false),
            _ if is_heading(line) => paragraph(line, "黑体", 32, false, false),
            _ => paragraph(line, BODY_FONT, 32, false, false),
        });
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>"#
    )
}

/// `一、…` to `十、…`.
fn is_heading(line: &str) -> bool {
    let mut chars = line.chars();
    matches!(chars.next(), Some('一'..='十'))
        && line.chars().nth(1) == Some('、')
        && line.chars().count() < 20
}

/// The `.docx` file of the briefing's `text`.
pub fn render(text: &str) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", RELS.to_owned()),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_owned()),
        ("word/styles.xml", STYLES.to_owned()),
        ("word/document.xml", document_xml(text)),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn the_document_opens_and_holds_the_text_in_a_cjk_font() {
        let text = "青溪县报告\n（截至2020年2月1日24时）\n\n一、疫情总体情况\n\n共摸排<1>人 & 在县外2人。\n";
        let bytes = render(text).expect("docx");
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut xml = String::new();
        archive
            .by_name("word/document.xml")
            .expect("the document part")
            .read_to_string(&mut xml)
            .expect("utf-8");
        assert!(archive.by_name("[Content_Types].xml").is_ok());
        assert!(xml.contains("共摸排&lt;1&gt;人 &amp; 在县外2人。"), "{xml}");
        assert!(xml.contains(r#"w:eastAsia="仿宋""#));
        assert!(xml.contains("一、疫情总体情况"));
    }
}
