//! Canonical field names, their usual Chinese headers, and `--map` mapping files.

use std::collections::HashMap;

use serde::Serialize;

/// A canonical field of a source row (DESIGN §1 "Sources").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    RecordId,
    Name,
    IdNumber,
    Phone,
    Sex,
    Age,
    BirthDate,
    Address,
    CurrentAddress,
    Township,
    Village,
    Origin,
    ArrivalDate,
    TravelMode,
    CurrentLocation,
    ListType,
    Carrier,
    TrainNo,
    BatchDate,
    Symptoms,
    Reporter,
    ReportDate,
    Remark,
    NoticeNo,
    SendingJurisdiction,
    SendDate,
    Contact,
}

impl Field {
    /// Every field, in canonical order.
    pub const ALL: [Field; 27] = [
        Field::RecordId,
        Field::Name,
        Field::IdNumber,
        Field::Phone,
        Field::Sex,
        Field::Age,
        Field::BirthDate,
        Field::Address,
        Field::CurrentAddress,
        Field::Township,
        Field::Village,
        Field::Origin,
        Field::ArrivalDate,
        Field::TravelMode,
        Field::CurrentLocation,
        Field::ListType,
        Field::Carrier,
        Field::TrainNo,
        Field::BatchDate,
        Field::Symptoms,
        Field::Reporter,
        Field::ReportDate,
        Field::Remark,
        Field::NoticeNo,
        Field::SendingJurisdiction,
        Field::SendDate,
        Field::Contact,
    ];

    /// The canonical English name, as in file headers and mapping files.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::RecordId => "record_id",
            Field::Name => "name",
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
            Field::Sex => "sex",
            Field::Age => "age",
            Field::BirthDate => "birth_date",
            Field::Address => "address",
            Field::CurrentAddress => "current_address",
            Field::Township => "township",
            Field::Village => "village",
            Field::Origin => "origin",
            Field::ArrivalDate => "arrival_date",
            Field::TravelMode => "travel_mode",
            Field::CurrentLocation => "current_location",
            Field::ListType => "list_type",
            Field::Carrier => "carrier",
            Field::TrainNo => "train_no",
            Field::BatchDate => "batch_date",
            Field::Symptoms => "symptoms",
            Field::Reporter => "reporter",
            Field::ReportDate => "report_date",
            Field::Remark => "remark",
            Field::NoticeNo => "notice_no",
            Field::SendingJurisdiction => "sending_jurisdiction",
            Field::SendDate => "send_date",
            Field::Contact => "contact",
        }
    }

    /// Other English spellings and the usual Chinese headers (Simplified; Traditional headers
    /// are converted to Simplified before lookup).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::RecordId => &["编号", "序号", "记录编号", "id", "no"],
            Field::Name => &["姓名", "名字"],
            Field::IdNumber => &[
                "身份证号",
                "身份证号码",
                "证件号码",
                "证件号",
                "身份证",
                "公民身份号码",
            ],
            Field::Phone => &["手机号", "手机号码", "联系电话", "电话", "手机", "phones"],
            Field::Sex => &["性别"],
            Field::Age => &["年龄"],
            Field::BirthDate => &["出生日期", "出生年月"],
            Field::Address => &["住址", "现住址", "家庭住址", "居住地址", "户籍地址"],
            Field::CurrentAddress => &["现居住地址", "当前住址"],
            Field::Township => &["乡镇", "镇(街道)", "乡镇(街道)", "镇街", "所属乡镇"],
            Field::Village => &["村(社区)", "村/社区", "村", "社区", "村(居)"],
            Field::Origin => &["来源地", "出发地", "来自"],
            Field::ArrivalDate => &["抵达日期", "返乡日期", "到达日期", "来县日期", "返回日期"],
            Field::TravelMode => &["交通方式", "出行方式"],
            Field::CurrentLocation => &["location", "现所在地", "所在地", "当前所在地"],
            Field::ListType => &["名单类型", "数据类型"],
            Field::Carrier => &["运营商", "承运单位"],
            Field::TrainNo => &["车次", "航班号", "车次航班", "车次/航班"],
            Field::BatchDate => &["批次日期", "推送日期"],
            Field::Symptoms => &["症状"],
            Field::Reporter => &["上报人", "核查人", "填报人"],
            Field::ReportDate => &["上报日期", "核查日期", "填报日期"],
            Field::Remark => &["note", "备注", "说明"],
            Field::NoticeNo => &["协查函编号", "通报编号", "函号"],
            Field::SendingJurisdiction => &["来函单位", "发函地区", "通报地区"],
            Field::SendDate => &["发函日期", "通报日期"],
            Field::Contact => &["联系人"],
        }
    }

    /// The field a canonical English name stands for.
    pub fn from_canonical(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// Folds a header for lookup: trimmed, spaces removed, full-width ASCII (parentheses too)
/// folded to half-width, Traditional characters converted, lower-cased.
pub fn fold_header(raw: &str) -> String {
    let half: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    fast2s::convert(&half).to_lowercase()
}

/// Decides which canonical field each header of a file stands for, and which fields make a
/// row identify a person.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    lookup: HashMap<String, Field>,
    /// Fields (canonical names or raw column names) of which a row needs one to be kept;
    /// `None`: a name, an ID number or a phone.
    identifying: Option<Vec<String>>,
}

impl Default for HeaderMap {
    fn default() -> Self {
        let mut lookup = HashMap::new();
        for field in Field::ALL {
            lookup.insert(field.as_str().to_owned(), field);
            for alias in field.aliases() {
                lookup.insert(fold_header(alias), field);
            }
        }
        Self {
            lookup,
            identifying: None,
        }
    }
}

impl HeaderMap {
    /// The default aliases plus a mapping file (TOML: `"source column" = "canonical_field"`).
    ///
    /// A mapping to a field that does not exist is an error naming it, so a typo in a mapping
    /// file never drops a column silently.
    pub fn with_mapping(mapping_toml: &str) -> Result<Self, String> {
        let table: toml::Table =
            toml::from_str(mapping_toml).map_err(|e| format!("映射文件无法解析：{e}"))?;
        let mut map = Self::default();
        for (column, value) in &table {
            let target = value
                .as_str()
                .ok_or_else(|| format!("映射文件中“{column}”的值必须是字段名字符串"))?;
            let field = Field::from_canonical(target).ok_or_else(|| {
                format!(
                    "映射文件中“{column}”指向未知字段“{target}”；可用字段：{}",
                    Field::ALL.map(Field::as_str).join(", ")
                )
            })?;
            map.lookup.insert(fold_header(column), field);
        }
        Ok(map)
    }

    /// The canonical field of a header, if it is known.
    pub fn field(&self, header: &str) -> Option<Field> {
        self.lookup.get(&fold_header(header)).copied()
    }

    /// Rows are kept when they have one of `fields` (canonical field names or raw column
    /// names) instead of a name, an ID number or a phone: a matching profile for other data
    /// (the FEBRL benchmark) names its own.
    pub fn identified_by(mut self, fields: &[String]) -> Self {
        if !fields.is_empty() {
            self.identifying = Some(fields.to_vec());
        }
        self
    }

    /// The fields a row needs one of, when not the default three.
    pub fn identifying(&self) -> Option<&[String]> {
        self.identifying.as_deref()
    }
}

/// A [`HeaderMap`] that remembers what it found for each header: a file repeats the same
/// headers on every row, and folding one (Traditional → Simplified included) costs more than
/// looking it up.
#[derive(Debug)]
pub struct HeaderLookup<'a> {
    map: &'a HeaderMap,
    /// Hashed with FxHash: every cell of every row is looked up here.
    seen: rustc_hash::FxHashMap<String, Option<Field>>,
}

impl<'a> HeaderLookup<'a> {
    /// The map looked up in.
    pub fn map(&self) -> &'a HeaderMap {
        self.map
    }

    /// A lookup over `map` that remembers its answers.
    pub fn new(map: &'a HeaderMap) -> Self {
        Self {
            map,
            seen: rustc_hash::FxHashMap::default(),
        }
    }

    /// The canonical field of a header, if it is known.
    pub fn field(&mut self, header: &str) -> Option<Field> {
        if let Some(field) = self.seen.get(header) {
            return *field;
        }
        let field = self.map.field(header);
        self.seen.insert(header.to_owned(), field);
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_headers_in_both_scripts_map_to_the_same_field() {
        let map = HeaderMap::default();
        assert_eq!(map.field("身份证号码"), Some(Field::IdNumber));
        assert_eq!(map.field("身份證號碼"), Some(Field::IdNumber));
        assert_eq!(map.field("村（社區）"), Some(Field::Village));
        assert_eq!(map.field(" 鄉鎮 "), Some(Field::Township));
        assert_eq!(map.field("Phone"), Some(Field::Phone));
        assert_eq!(map.field("household_size"), None);
    }

    #[test]
    fn a_mapping_file_adds_headers_and_rejects_unknown_fields() {
        let map = HeaderMap::with_mapping("\"人员名称\" = \"name\"\n").expect("valid mapping");
        assert_eq!(map.field("人员名称"), Some(Field::Name));
        let err = HeaderMap::with_mapping("\"x\" = \"nmae\"").expect_err("unknown field");
        assert!(err.contains("nmae"));
    }
}
