//! Intake: reading source files into rows (DESIGN §1 "Sources" and "Intake rules").
//!
//! This stage only reads and checks: it turns a file's bytes into accepted rows (every column
//! kept raw, the known ones also under their canonical field) and rejected rows with their row
//! number and reason. A file that cannot be read at all is refused whole. Writing is the
//! register's job.

pub mod count;
pub mod headers;
pub mod limits;
pub mod report;
pub mod tabular;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub use headers::{Field, HeaderLookup, HeaderMap};
use limits::Place;

use crate::config::limits::MAX_REJECTED_ROWS_KEPT;
pub use report::{BatchReport, RecordIdConflict, RejectedRow};

/// The three kinds of source (DESIGN §1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SourceKind {
    /// 大数据核查: lists pushed by the province.
    Bigdata,
    /// 镇办实地核查: door-to-door checks by township offices.
    Township,
    /// 外地通报协查: notices from other jurisdictions.
    External,
}

impl SourceKind {
    /// Every source kind.
    pub const ALL: [SourceKind; 3] = [Self::Bigdata, Self::Township, Self::External];

    /// The name stored in the database and shown in the API (`BIGDATA` …).
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Bigdata => "BIGDATA",
            Self::Township => "TOWNSHIP",
            Self::External => "EXTERNAL",
        }
    }

    /// The name used on the command line and in exported files (`bigdata` …).
    pub fn as_cli(self) -> &'static str {
        match self {
            Self::Bigdata => "bigdata",
            Self::Township => "township",
            Self::External => "external",
        }
    }

    /// Reads the database form back.
    pub fn from_db(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_db() == s)
    }

    /// How strongly this source's word on where a person is counts: an on-site check beats a
    /// notice, which beats a big-data hint.
    pub fn location_rank(self) -> u8 {
        match self {
            Self::Township => 3,
            Self::External => 2,
            Self::Bigdata => 1,
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_cli())
    }
}

impl FromStr for SourceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.as_cli() == lower)
            .ok_or_else(|| format!("unknown source kind '{s}': use bigdata, township or external"))
    }
}

/// A file format intake reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
    Json,
    Ndjson,
}

impl FileFormat {
    /// The format a file name's extension says.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(Self::Csv),
            "xlsx" | "xlsm" => Some(Self::Xlsx),
            "json" => Some(Self::Json),
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            _ => None,
        }
    }

    /// Lower-case name (`csv`, `xlsx`, `json`, `ndjson`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Json => "json",
            Self::Ndjson => "ndjson",
        }
    }
}

/// Why a file was refused whole.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The bytes are not a readable file of the format they claim (message in Chinese).
    #[error("文件无法读取：{0}")]
    Unreadable(String),
    /// The file name says no format intake knows.
    #[error("不支持的文件类型“{0}”：请使用 CSV、XLSX、JSON 或 NDJSON")]
    UnknownFormat(String),
}

/// An external notice (协查函) as it arrived.
#[derive(Debug, Clone, Default)]
pub struct NoticeIn {
    /// Canonical notice fields (`notice_no`, `sending_jurisdiction`, `send_date`, …).
    pub fields: BTreeMap<Field, String>,
    /// The notice object without its persons, every key kept.
    pub raw: Map<String, Value>,
}

/// One accepted row.
#[derive(Debug, Clone)]
pub struct SourceRow {
    /// Data row number in the file (1 = the first row after the header; for notices, the
    /// position of the person among all persons of the file).
    pub row_number: u32,
    /// The source's key for the row (`auto-…` from the content when the file has none).
    pub record_id: String,
    /// Every column as it arrived, by its original header: a JSON object's text (keys in
    /// order), as stored and as hashed. Kept as text, not as a map, so that a million rows
    /// read do not hold a million maps.
    pub raw_json: String,
    /// The known columns by canonical field, trimmed, empty cells left out.
    pub fields: BTreeMap<Field, String>,
    /// Index into the file's notices ([`RowReader::notices`]) for persons of an external notice.
    pub notice: Option<usize>,
    /// sha256 of the row's content (and its notice's): equal hash = unchanged record.
    pub content_hash: String,
}

impl SourceRow {
    /// A canonical field's value, if the row has it.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.fields.get(&field).map(String::as_str)
    }
}

/// A file read into rows.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub rows_read: u32,
    pub rows: Vec<SourceRow>,
    pub rejected: Vec<RejectedRow>,
    pub notices: Vec<NoticeIn>,
}

/// Reads one file of `source` kind into rows held together (see [`RowReader`], which hands
/// them on a few at a time).
pub fn read_file(
    source: SourceKind,
    file_name: &str,
    bytes: &[u8],
    headers: &HeaderMap,
) -> Result<(FileFormat, ParsedFile), IntakeError> {
    let mut reader = RowReader::open(source, file_name, bytes, headers)?;
    let mut rows = Vec::new();
    while reader.fill(usize::MAX, &mut rows)? > 0 {}
    let format = reader.format();
    let read = reader.finish();
    Ok((
        format,
        ParsedFile {
            rows_read: read.rows_read,
            rows,
            rejected: read.rejected,
            notices: read.notices,
        },
    ))
}

/// What reading a file found besides its accepted rows.
#[derive(Debug, Default)]
pub struct FileRead {
    pub rows_read: u32,
    /// Rows rejected, all of them counted.
    pub rows_rejected: u32,
    /// The first [`MAX_REJECTED_ROWS_KEPT`] rejected rows with their reasons: a report of a
    /// million rejected rows would help no clerk and cost the hub its memory and storage.
    pub rejected: Vec<RejectedRow>,
    pub notices: Vec<NoticeIn>,
}

impl FileRead {
    /// Counts a rejected row, and keeps it when fewer than [`MAX_REJECTED_ROWS_KEPT`] are.
    fn reject(&mut self, row: u32, reason: String) {
        self.rows_rejected = self.rows_rejected.saturating_add(1);
        if self.rejected.len() < MAX_REJECTED_ROWS_KEPT {
            self.rejected.push(RejectedRow { row, reason });
        }
    }
}

/// Reads one file of a source, handing its accepted rows on a few at a time.
///
/// Rows of CSV files of the county's own sources are read, checked and handed on as they are
/// asked for, so a large file is never held as a table of cells or of maps. Other files are
/// read whole when they are opened (workbooks and JSON are parsed whole), and so are notices,
/// whose rows are grouped into notices first: [`RowReader::notices`] is complete before the
/// first row is handed on. An error refuses the file whole; the caller throws away whatever
/// rows it was already handed.
pub struct RowReader<'a> {
    format: FileFormat,
    admission: Admission<'a>,
    pending: Pending<'a>,
}

/// Rows not yet asked for.
enum Pending<'a> {
    /// A CSV file read as its rows are asked for, with the keys of its columns.
    Csv {
        rows: Box<tabular::CsvRows<'a>>,
        keys: Vec<String>,
    },
    /// Rows read whole when the file was opened.
    Read(std::vec::IntoIter<Candidate>),
}

impl<'a> RowReader<'a> {
    /// Opens `bytes` as a file of `source` kind; `file_name` decides the format by its
    /// extension. A file that cannot be read at all is refused here or by a later
    /// [`RowReader::fill`].
    pub fn open(
        source: SourceKind,
        file_name: &str,
        bytes: &'a [u8],
        headers: &'a HeaderMap,
    ) -> Result<Self, IntakeError> {
        let format = FileFormat::from_file_name(file_name)
            .ok_or_else(|| IntakeError::UnknownFormat(file_name.to_owned()))?;
        let mut admission = Admission {
            headers: HeaderLookup::new(headers),
            read: FileRead::default(),
            seen: rustc_hash::FxHashMap::default(),
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut notices = Vec::new();
        match format {
            FileFormat::Csv => {
                let rows = tabular::CsvRows::new(tabular::decode_text(bytes)?)?;
                check_known_columns(rows.headers(), &mut admission.headers, false)?;
                let keys = column_keys(rows.headers());
                let mut pending = Pending::Csv {
                    rows: Box::new(rows),
                    keys,
                };
                if source != SourceKind::External {
                    return Ok(Self {
                        format,
                        admission,
                        pending,
                    });
                }
                // Rows wait to be admitted only where notices are made from all of them.
                while let Some(candidate) = pending.next()? {
                    candidates.push(candidate);
                }
            }
            FileFormat::Xlsx => {
                let table = tabular::read_xlsx(bytes)?;
                check_known_columns(&table.headers, &mut admission.headers, false)?;
                limits::check_cells(table.rows.len(), table.headers.len())?;
                let keys = column_keys(&table.headers);
                candidates.extend(table.rows.into_iter().map(|(row_number, cells)| {
                    (row_number, cells.map(|c| RawRow::from_cells(&keys, c)))
                }));
            }
            FileFormat::Json | FileFormat::Ndjson => {
                let objects = if format == FileFormat::Json {
                    json_objects(bytes)?
                } else {
                    ndjson_objects(bytes)?
                };
                let nested = objects.iter().any(|o| o.contains_key("persons"));
                if nested && source != SourceKind::External {
                    return Err(IntakeError::Unreadable(
                        "含 persons 人员数组的协查通报只能作为外地通报协查（EXTERNAL）导入".into(),
                    ));
                }
                check_objects(&objects, nested)?;
                let persons = objects
                    .iter()
                    .filter_map(|o| match o.get("persons") {
                        Some(Value::Array(persons)) => Some(persons),
                        _ => None,
                    })
                    .flatten()
                    .filter_map(Value::as_object);
                let keys = if nested {
                    persons.flat_map(|p| p.keys()).collect::<Vec<_>>()
                } else {
                    objects.iter().flat_map(|o| o.keys()).collect()
                };
                check_known_columns(keys, &mut admission.headers, true)?;
                if nested {
                    notice_rows(
                        objects,
                        &mut admission.headers,
                        &mut notices,
                        &mut candidates,
                    )?;
                } else {
                    for (i, object) in objects.into_iter().enumerate() {
                        candidates.push((row_no(i), Ok(RawRow::from_object(object, None))));
                    }
                }
            }
        }
        if source == SourceKind::External && notices.is_empty() {
            group_flat_notices(&mut candidates, &mut admission.headers, &mut notices);
            if notices.is_empty() {
                return Err(IntakeError::Unreadable(
                    "文件中没有协查通报：外地通报协查应为含 persons 人员数组的协查通报（JSON），\
                     或每行写明协查函编号（notice_no）的表格"
                        .into(),
                ));
            }
        }
        admission.read.notices = notices;
        Ok(Self {
            format,
            admission,
            pending: Pending::Read(candidates.into_iter()),
        })
    }

    /// The file's format.
    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// The file's notices (external notices only; complete from the start).
    pub fn notices(&self) -> &[NoticeIn] {
        &self.admission.read.notices
    }

    /// Appends up to `n` more accepted rows to `out` (rows rejected on the way are kept for
    /// [`RowReader::finish`]) and says how many it appended: 0 at the end of the file.
    pub fn fill(&mut self, n: usize, out: &mut Vec<SourceRow>) -> Result<usize, IntakeError> {
        let mut added = 0;
        while added < n {
            let Some((row_number, candidate)) = self.pending.next()? else {
                break;
            };
            if let Some(row) = self.admission.admit(row_number, candidate) {
                out.push(row);
                added += 1;
            }
        }
        Ok(added)
    }

    /// What the reading found besides the accepted rows: the rows read and rejected, and the
    /// notices.
    pub fn finish(self) -> FileRead {
        self.admission.read
    }
}

impl Pending<'_> {
    /// The next row, not yet admitted; `None` at the end of the file.
    fn next(&mut self) -> Result<Option<Candidate>, IntakeError> {
        match self {
            Pending::Csv { rows, keys } => {
                let Some((row_number, cells)) = rows.next_row()? else {
                    return Ok(None);
                };
                // Every row becomes a map over every header: the cell limit before it is made.
                limits::check_cells(row_number as usize, keys.len())?;
                Ok(Some((
                    row_number,
                    cells.map(|c| RawRow::from_cells(keys, c)),
                )))
            }
            Pending::Read(rows) => Ok(rows.next()),
        }
    }
}

/// The keys of a table's columns: their headers, `column_N` for a column without one.
fn column_keys(headers: &[String]) -> Vec<String> {
    headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            if header.is_empty() {
                format!("column_{}", i + 1)
            } else {
                header.clone()
            }
        })
        .collect()
}

/// Accepts or rejects rows one at a time.
struct Admission<'m> {
    headers: HeaderLookup<'m>,
    read: FileRead,
    /// Record IDs accepted so far, with their row numbers.
    seen: rustc_hash::FxHashMap<String, u32>,
}

impl Admission<'_> {
    /// The row if it is accepted; a rejected row is kept with its number and reason.
    fn admit(&mut self, row_number: u32, candidate: Result<RawRow, String>) -> Option<SourceRow> {
        self.read.rows_read = self.read.rows_read.saturating_add(1);
        match candidate.and_then(|raw| accept(raw, &mut self.headers, &self.read.notices)) {
            Ok(mut row) => {
                row.row_number = row_number;
                if let Some(first) = self.seen.get(&row.record_id) {
                    self.read.reject(
                        row_number,
                        format!("编号“{}”与第 {first} 行重复", row.record_id),
                    );
                    None
                } else {
                    self.seen.insert(row.record_id.clone(), row_number);
                    Some(row)
                }
            }
            Err(reason) => {
                self.read.reject(row_number, reason);
                None
            }
        }
    }
}

/// A row with its number before acceptance, or why it is refused before.
type Candidate = (u32, Result<RawRow, String>);

/// A row before acceptance: its columns by original header.
#[derive(Debug)]
struct RawRow {
    raw: Map<String, Value>,
    notice: Option<usize>,
}

impl RawRow {
    fn from_object(object: Map<String, Value>, notice: Option<usize>) -> Self {
        Self {
            raw: object,
            notice,
        }
    }
}

impl RawRow {
    /// A table row as a map over every column (missing trailing cells empty).
    fn from_cells(keys: &[String], cells: Vec<String>) -> Self {
        let mut cells = cells.into_iter();
        let raw = keys
            .iter()
            .map(|key| (key.clone(), Value::String(cells.next().unwrap_or_default())))
            .collect();
        Self { raw, notice: None }
    }
}

fn row_no(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// The limits of [`limits`] on JSON objects: how many keys each, how long each value (nested
/// values by their JSON text). Objects are data rows, or with `notices` notices whose persons
/// are the data rows (numbered across the file).
fn check_objects(objects: &[Map<String, Value>], notices: bool) -> Result<(), IntakeError> {
    fn check(place: Place, object: &Map<String, Value>) -> Result<(), IntakeError> {
        if object.len() > limits::MAX_COLUMNS {
            return Err(limits::too_many_columns(place, object.len()));
        }
        for (key, value) in object {
            limits::check_cell(place, "", key)?;
            match value {
                Value::String(s) => limits::check_cell(place, key, s)?,
                Value::Array(_) | Value::Object(_) if key != "persons" => {
                    limits::check_cell(place, key, &value.to_string())?;
                }
                _ => {}
            }
        }
        Ok(())
    }
    let mut rows = 0usize;
    for (n, object) in objects.iter().enumerate() {
        if !notices {
            check(Place::Row(n + 1), object)?;
            continue;
        }
        check(Place::Notice(n + 1), object)?;
        if let Some(Value::Array(persons)) = object.get("persons") {
            for person in persons {
                rows += 1;
                if let Value::Object(person) = person {
                    check(Place::Row(rows), person)?;
                }
            }
        }
    }
    Ok(())
}

/// What a JSON file should hold, for the messages refusing one that does not.
const JSON_EXPECTED: &str =
    "应为对象的数组，每个对象一个人员（外地通报协查也可以是含 persons 人员数组的协查通报）";

/// Refuses a file none of whose columns (a table's headers, the keys of JSON objects) intake
/// knows, naming the columns it expected: a file without a header row, or of something else.
fn check_known_columns<'k>(
    columns: impl IntoIterator<Item = &'k String>,
    headers: &mut HeaderLookup<'_>,
    json: bool,
) -> Result<(), IntakeError> {
    let identifying = headers.map().identifying();
    for column in columns {
        if headers.field(column).is_some()
            || identifying.is_some_and(|names| names.contains(column))
        {
            return Ok(());
        }
    }
    let (found, expected) = if json {
        (
            "JSON 对象中没有可识别的字段名",
            format!("{JSON_EXPECTED}；人员对象应"),
        )
    } else {
        ("表头中没有可识别的列名", "文件应有表头行，".to_owned())
    };
    let needed = match identifying {
        Some(names) => format!("至少含 {} 之一", names.join("、")),
        None => "至少含 姓名、身份证号、手机号 之一，常用的还有 编号、性别、年龄、住址、乡镇、\
                 村(社区)、来源地、抵达日期（英文 name、id_number、phone 等亦可）"
            .to_owned(),
    };
    Err(IntakeError::Unreadable(format!(
        "{found}：{expected}{needed}；其他列名请用映射文件指明对应的字段"
    )))
}

fn json_objects(bytes: &[u8]) -> Result<Vec<Map<String, Value>>, IntakeError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| IntakeError::Unreadable("JSON 文件必须是 UTF-8 编码".into()))?;
    limits::check_json_rows(text)?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| IntakeError::Unreadable(format!("JSON 无法解析：{e}")))?;
    let objects = match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(o) => Ok(o),
                _ => Err(IntakeError::Unreadable(format!(
                    "JSON 数组第 {} 项不是对象：{JSON_EXPECTED}",
                    i + 1
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Value::Object(o) => vec![o],
        _ => {
            return Err(IntakeError::Unreadable(format!(
                "JSON 文件不是对象或对象数组：{JSON_EXPECTED}"
            )));
        }
    };
    if objects.is_empty() {
        return Err(IntakeError::Unreadable(format!(
            "JSON 文件没有数据：{JSON_EXPECTED}"
        )));
    }
    Ok(objects)
}

fn ndjson_objects(bytes: &[u8]) -> Result<Vec<Map<String, Value>>, IntakeError> {
    limits::check_lines(bytes, false)?;
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| IntakeError::Unreadable("NDJSON 文件必须是 UTF-8 编码".into()))?;
    limits::check_ndjson_rows(text)?;
    let mut objects = Vec::new();
    // Lines that are not blank are the data rows.
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let row = objects.len() + 1;
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o)) => objects.push(o),
            Ok(_) => {
                return Err(IntakeError::Unreadable(format!(
                    "NDJSON 第 {row} 行不是对象：每行应为一个人员对象"
                )));
            }
            Err(e) => {
                return Err(IntakeError::Unreadable(format!(
                    "NDJSON 第 {row} 行无法解析：{e}"
                )));
            }
        }
    }
    if objects.is_empty() {
        return Err(IntakeError::Unreadable(
            "NDJSON 文件没有数据：每行应为一个人员对象".into(),
        ));
    }
    Ok(objects)
}

/// Splits nested notices (`{notice_no, …, persons: [...]}`) into notices and person rows.
fn notice_rows(
    objects: Vec<Map<String, Value>>,
    headers: &mut HeaderLookup<'_>,
    notices: &mut Vec<NoticeIn>,
    out: &mut Vec<Candidate>,
) -> Result<(), IntakeError> {
    for (n, mut object) in objects.into_iter().enumerate() {
        let persons = match object.remove("persons") {
            Some(Value::Array(persons)) => persons,
            Some(_) | None => {
                return Err(IntakeError::Unreadable(format!(
                    "第 {} 份协查通报缺少 persons 人员数组",
                    n + 1
                )));
            }
        };
        let notice = NoticeIn {
            fields: canonical_fields(&object, headers),
            raw: object,
        };
        let index = notices.len();
        let notice_label = notice
            .fields
            .get(&Field::NoticeNo)
            .cloned()
            .unwrap_or_else(|| format!("第 {} 份", n + 1));
        notices.push(notice);
        for person in persons {
            let row = row_no(out.len());
            let candidate = match person {
                Value::Object(o) => Ok(RawRow::from_object(o, Some(index))),
                _ => Err(format!("协查通报“{notice_label}”中的人员不是对象")),
            };
            out.push((row, candidate));
        }
    }
    Ok(())
}

/// External notices given as a flat table: each row names its notice in `notice_no` (and the
/// other notice columns); rows of one notice number share one notice.
fn group_flat_notices(
    rows: &mut [Candidate],
    headers: &mut HeaderLookup<'_>,
    notices: &mut Vec<NoticeIn>,
) {
    let notice_fields = [
        Field::NoticeNo,
        Field::SendingJurisdiction,
        Field::SendDate,
        Field::Contact,
    ];
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (_, row) in rows.iter_mut() {
        let Ok(row) = row else { continue };
        let fields = canonical_fields(&row.raw, headers);
        let Some(no) = fields.get(&Field::NoticeNo) else {
            continue;
        };
        let key = format!(
            "{no}\u{1f}{}",
            fields
                .get(&Field::SendingJurisdiction)
                .map_or("", String::as_str)
        );
        let index = *by_key.entry(key).or_insert_with(|| {
            let mut notice = NoticeIn::default();
            for f in notice_fields {
                if let Some(v) = fields.get(&f) {
                    notice.fields.insert(f, v.clone());
                    notice
                        .raw
                        .insert(f.as_str().to_owned(), Value::String(v.clone()));
                }
            }
            notices.push(notice);
            notices.len() - 1
        });
        row.notice = Some(index);
    }
}

fn value_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

fn canonical_fields(
    raw: &Map<String, Value>,
    headers: &mut HeaderLookup<'_>,
) -> BTreeMap<Field, String> {
    let mut fields = BTreeMap::new();
    for (key, value) in raw {
        if let (Some(field), Some(text)) = (headers.field(key), value_text(value)) {
            // The first non-empty column of a field wins (`note` and `remark` both given).
            fields.entry(field).or_insert(text);
        }
    }
    fields
}

/// Checks a row: it must name the person somehow (a name, an ID number or a phone).
fn accept(
    raw: RawRow,
    headers: &mut HeaderLookup<'_>,
    notices: &[NoticeIn],
) -> Result<SourceRow, String> {
    let fields = canonical_fields(&raw.raw, headers);
    match headers.map().identifying() {
        None => {
            let identifies = [Field::Name, Field::IdNumber, Field::Phone]
                .iter()
                .any(|f| fields.contains_key(f));
            if !identifies {
                return Err("缺少姓名、身份证号和手机号，无法识别人员".into());
            }
        }
        Some(names) => {
            let present = |name: &String| {
                Field::from_canonical(name).is_some_and(|f| fields.contains_key(&f))
                    || raw.raw.get(name).and_then(value_text).is_some()
            };
            if !names.iter().any(present) {
                return Err(format!("缺少可识别人员的字段（{}）", names.join("、")));
            }
        }
    }
    let raw_json = serde_json::to_string(&raw.raw).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(raw_json.as_bytes());
    if let Some(notice) = raw.notice.and_then(|i| notices.get(i)) {
        hasher.update(serde_json::to_vec(&notice.raw).unwrap_or_default());
    }
    let content_hash = hex::encode(hasher.finalize());
    let record_id = match fields.get(&Field::RecordId) {
        Some(id) => id.clone(),
        None => format!("auto-{}", &content_hash[..16]),
    };
    Ok(SourceRow {
        row_number: 0,
        record_id,
        raw_json,
        fields,
        notice: raw.notice,
        content_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(source: SourceKind, name: &str, text: &str) -> ParsedFile {
        read_file(source, name, text.as_bytes(), &HeaderMap::default())
            .expect("readable")
            .1
    }

    #[test]
    fn rows_without_name_id_or_phone_are_rejected_with_their_number() {
        let parsed = read(
            SourceKind::Township,
            "t.csv",
            "编号,姓名,手机号,备注\nA1,张三,,\nA2,,,只有备注\nA3,,13800138000,\n",
        );
        assert_eq!(parsed.rows_read, 3);
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rejected.len(), 1);
        assert_eq!(parsed.rejected[0].row, 2);
    }

    #[test]
    fn unknown_columns_are_kept_raw() {
        let parsed = read(
            SourceKind::Township,
            "t.csv",
            "record_id,name,household_size\nA1,张三,4\n",
        );
        let raw: Value = serde_json::from_str(&parsed.rows[0].raw_json).expect("JSON");
        assert_eq!(raw["household_size"], "4");
        assert_eq!(parsed.rows[0].get(Field::Name), Some("张三"));
    }

    #[test]
    fn nested_notices_become_person_rows_of_their_notice() {
        let parsed = read(
            SourceKind::External,
            "n.json",
            r#"[{"notice_no":"鄂协1号","sending_jurisdiction":"湖北省武汉市江岸区",
                "persons":[{"record_id":"N1","name":"李四"},{"record_id":"N2","phone":"13900000000"}]}]"#,
        );
        assert_eq!(parsed.notices.len(), 1);
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[1].notice, Some(0));
        assert_eq!(parsed.rows[1].row_number, 2);
    }

    #[test]
    fn duplicate_record_ids_in_one_file_are_rejected_after_the_first() {
        let parsed = read(
            SourceKind::Bigdata,
            "b.csv",
            "record_id,phone\nX,13800138000\nX,13800138001\n",
        );
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rejected[0].row, 2);
    }

    proptest::proptest! {
        #[test]
        fn no_bytes_make_a_reader_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            ext in proptest::sample::select(vec!["csv", "xlsx", "json", "ndjson"]),
        ) {
            let name = format!("f.{ext}");
            for source in SourceKind::ALL {
                let _ = read_file(source, &name, &bytes, &HeaderMap::default());
            }
        }

        #[test]
        fn no_bytes_in_a_cell_make_normalisation_panic(
            cells in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), 13),
        ) {
            let text: Vec<String> = cells.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
            let cell = |i: usize| Some(text[i].as_str());
            let raw = crate::normalize::RawIdentity {
                name: cell(0), id_number: cell(1), phone: cell(2), sex: cell(3), age: cell(4),
                birth_date: cell(5), township: cell(6), village: cell(7), address: cell(8),
                current_location: cell(9), origin: cell(10), arrival_date: cell(11),
                report_date: cell(12), notes: vec![text[0].as_str()],
            };
            let reference = crate::config::Reference::load(None).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let ctx = crate::normalize::NormalizeContext {
                divisions: reference.divisions,
                gazetteer: &reference.gazetteer,
                reference_date: chrono::NaiveDate::from_ymd_opt(2020, 1, 28).unwrap_or_default(),
            };
            let _ = crate::normalize::normalize_record(&raw, &ctx);
        }
    }

    #[test]
    fn truncated_json_refuses_the_whole_file() {
        let err = read_file(
            SourceKind::Bigdata,
            "b.json",
            br#"[{"phone":"1"#,
            &HeaderMap::default(),
        );
        assert!(matches!(err, Err(IntakeError::Unreadable(_))));
    }
}
