//! The county gazetteer (townships and villages) and the places written on records: matching
//! township and village cells, splitting addresses, and deciding whether a place is inside the
//! county or which jurisdiction outside it.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::name::{canonical_text, to_pinyin};
use super::{Division, DivisionLevel, Divisions};

/// The county this hub serves, as read from its gazetteer TOML:
///
/// ```toml
/// name = "青溪县"
/// code = "411599"
/// province = "河南省"
/// city = "信阳市"
/// [[townships]]
/// name = "城关镇"
/// aliases = ["城关", "城關鎮"]
/// villages = ["东大街社区", "河口村"]
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Gazetteer {
    /// County name (`青溪县`).
    pub name: String,
    /// Six-digit county code; a code missing from the national table (a demo county) works too.
    pub code: String,
    /// Province name (`河南省`).
    pub province: String,
    /// Prefecture-level city name (`信阳市`).
    pub city: String,
    /// Townships and street offices of the county.
    #[serde(default)]
    pub townships: Vec<GazetteerTownship>,
    /// Lookup maps, built on first use.
    #[serde(skip)]
    index: OnceLock<GazetteerIndex>,
}

/// One township (镇/乡/街道) of the county.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GazetteerTownship {
    /// Canonical name (`城关镇`).
    pub name: String,
    /// Other ways it is written (`城关`, `城關鎮`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Villages and communities (村/社区), canonical names.
    #[serde(default)]
    pub villages: Vec<String>,
}

/// A township or village cell matched to the gazetteer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceMatch {
    /// Canonical name of what was matched (the township, or the village for a village match).
    pub name: String,
    /// Canonical name of the township (for a village match: the township it belongs to).
    pub township: String,
    /// True when the text was the canonical name itself; false when it matched through an
    /// alias, a missing suffix, Traditional characters or a homophone.
    pub exact: bool,
}

/// An address split into its parts, as far as they could be recognised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedAddress {
    /// Province name from the national table.
    pub province: Option<String>,
    /// Prefecture-level city name.
    pub city: Option<String>,
    /// County-level name (the gazetteer county when it is named, or one of its townships).
    pub county: Option<String>,
    /// Code of `county`.
    pub county_code: Option<String>,
    /// Canonical township of the gazetteer.
    pub township: Option<String>,
    /// Canonical village of the gazetteer.
    pub village: Option<String>,
    /// What is left: street, house number, group (`5组`), in canonical form.
    pub rest: String,
}

/// Where a place text puts a person relative to the county.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whereabouts<'a> {
    /// Inside the county, with the township and village when named.
    InCounty {
        /// Canonical township.
        township: Option<String>,
        /// Canonical village.
        village: Option<String>,
    },
    /// Outside the county, in this division (county-level when named, else city or province).
    Outside(&'a Division),
    /// Not enough to tell (`信阳市` alone: our county or a neighbour).
    Unknown,
}

const TOWNSHIP_SUFFIXES: &[&str] = &["街道办事处", "街道办", "办事处", "街道", "镇", "乡"];
const VILLAGE_SUFFIXES: &[&str] = &[
    "社区居民委员会",
    "村民委员会",
    "居民委员会",
    "社区居委会",
    "村委会",
    "居委会",
    "社区",
    "村委",
    "居委",
    "村",
];
const COUNTY_SUFFIXES: &[&str] = &["自治县", "县", "区", "市", "旗"];

#[derive(Debug, Clone, Default)]
struct GazetteerIndex {
    /// County name and its stem (`青溪县`, `青溪`).
    county_keys: Vec<String>,
    /// Province/city names and stems that may precede the county in an address.
    parent_keys: Vec<String>,
    /// Township keys, longest first: (key, township, is a stem).
    township_keys: Vec<(String, usize, bool)>,
    /// First characters of the township keys, sorted: a quick test before trying the keys.
    township_first_chars: Vec<char>,
    /// Township pinyin of the stem → township (unique only).
    township_pinyin: HashMap<String, usize>,
    /// Per township: village keys, longest first: (key, village, is a stem).
    village_keys: Vec<Vec<(String, usize, bool)>>,
    /// Village stem → (township, village), across the county; ambiguous stems left out.
    village_stems: HashMap<String, Option<(usize, usize)>>,
    /// Per township: village pinyin → village (unique only).
    village_pinyin: Vec<HashMap<String, Option<usize>>>,
    /// Canonical township names and aliases exactly as the gazetteer writes them: most cells
    /// hold one, and a hash look-up spares the conversions and scans below.
    township_exact: HashMap<String, usize>,
    /// Per township: its village names exactly as written.
    village_exact: Vec<HashMap<String, usize>>,
}

impl Gazetteer {
    /// Reads the gazetteer TOML (see the type's documentation for its shape).
    pub fn from_toml(text: &str) -> Result<Gazetteer, toml::de::Error> {
        toml::from_str(text)
    }

    fn index(&self) -> &GazetteerIndex {
        self.index.get_or_init(|| self.build_index())
    }

    fn build_index(&self) -> GazetteerIndex {
        let mut index = GazetteerIndex::default();
        let county = canonical_text(&self.name);
        let county_stem = strip_suffix(&county, COUNTY_SUFFIXES);
        index.county_keys.push(county.clone());
        if county_stem.chars().count() >= 2 && county_stem != county {
            index.county_keys.push(county_stem.to_owned());
        }
        for parent in [&self.province, &self.city] {
            let p = canonical_text(parent);
            let stem = strip_suffix(&p, &["自治区", "省", "市", "地区", "自治州", "盟"]).to_owned();
            if stem.chars().count() >= 2 && stem != p {
                index.parent_keys.push(stem);
            }
            if !p.is_empty() {
                index.parent_keys.push(p);
            }
        }
        index
            .parent_keys
            .sort_by_key(|k| std::cmp::Reverse(k.len()));

        let mut pinyin_owner: HashMap<String, Option<usize>> = HashMap::new();
        for (t, township) in self.townships.iter().enumerate() {
            let mut names = vec![canonical_text(&township.name)];
            names.extend(township.aliases.iter().map(|a| canonical_text(a)));
            for name in names.into_iter().filter(|n| !n.is_empty()) {
                let stem = strip_suffix(&name, TOWNSHIP_SUFFIXES).to_owned();
                if stem != name {
                    index.township_keys.push((name.clone(), t, false));
                }
                index.township_keys.push((stem.clone(), t, true));
                claim(&mut pinyin_owner, to_pinyin(&stem), t);
            }
            for exact in std::iter::once(&township.name).chain(&township.aliases) {
                index.township_exact.entry(exact.clone()).or_insert(t);
            }
            index.village_exact.push(
                township
                    .villages
                    .iter()
                    .enumerate()
                    .map(|(v, name)| (name.clone(), v))
                    .collect(),
            );
            let mut keys = Vec::new();
            let mut village_pinyin: HashMap<String, Option<usize>> = HashMap::new();
            for (v, village) in township.villages.iter().enumerate() {
                let name = canonical_text(village);
                if name.is_empty() {
                    continue;
                }
                let stem = strip_suffix(&name, VILLAGE_SUFFIXES).to_owned();
                if stem != name {
                    keys.push((name.clone(), v, false));
                }
                keys.push((stem.clone(), v, true));
                let pinyin = to_pinyin(&stem);
                village_pinyin
                    .entry(pinyin)
                    .and_modify(|o| {
                        if *o != Some(v) {
                            *o = None;
                        }
                    })
                    .or_insert(Some(v));
                index
                    .village_stems
                    .entry(stem)
                    .and_modify(|o| {
                        if *o != Some((t, v)) {
                            *o = None;
                        }
                    })
                    .or_insert(Some((t, v)));
            }
            keys.sort_by_key(|k| std::cmp::Reverse(k.0.len()));
            index.village_keys.push(keys);
            index.village_pinyin.push(village_pinyin);
        }
        index
            .township_keys
            .sort_by_key(|k| std::cmp::Reverse(k.0.len()));
        index.township_keys.dedup();
        index.township_first_chars = index
            .township_keys
            .iter()
            .filter_map(|(k, _, _)| k.chars().next())
            .collect();
        index.township_first_chars.sort_unstable();
        index.township_first_chars.dedup();
        index.township_pinyin = pinyin_owner
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        index
    }

    /// Matches a township cell (`城关镇`, `城关`, `城關鎮`, an alias, `青溪县城关镇`) to the
    /// canonical township; tolerant of Traditional characters, a missing `镇`/`乡`/`街道`/
    /// `办事处` suffix, a leading county/city/province, and homophones (`城官镇`).
    ///
    /// ```text
    /// match_township("城關")   -> PlaceMatch { name: "城关镇", township: "城关镇", exact: false }
    /// match_township("火星镇") -> None
    /// ```
    pub fn match_township(&self, raw: &str) -> Option<PlaceMatch> {
        let index = self.index();
        if let Some(&t) = index.township_exact.get(raw.trim()) {
            let name = self.townships[t].name.clone();
            return Some(PlaceMatch {
                exact: raw.trim() == name,
                township: name.clone(),
                name,
            });
        }
        let text = canonical_text(raw);
        let body = self.strip_county_prefix(&text);
        if body.is_empty() {
            return None;
        }
        let found = self
            .township_at_start(body, true)
            .filter(|(_, len)| is_tail(&body[*len..], TOWNSHIP_SUFFIXES) || *len == body.len())
            .map(|(t, _)| t)
            .or_else(|| {
                let stem = strip_suffix(body, TOWNSHIP_SUFFIXES);
                index.township_pinyin.get(&to_pinyin(stem)).copied()
            })
            // A cell holding township and village (`城关镇河口村`).
            .or_else(|| self.township_at_start(body, true).map(|(t, _)| t))?;
        let name = self.townships[found].name.clone();
        Some(PlaceMatch {
            exact: raw.trim() == name,
            township: name.clone(),
            name,
        })
    }

    /// Matches a village cell (`河口村`, `河口`, `東大街社區`, `城关镇河口村3组`) to a canonical
    /// village of `township` (any cell naming it) or, when no township is given or it is unknown,
    /// to the one village of the county with that name.
    pub fn match_village(&self, township: Option<&str>, raw: &str) -> Option<PlaceMatch> {
        let index = self.index();
        if let Some(t) = township.and_then(|t| index.township_exact.get(t))
            && let Some(&v) = index.village_exact[*t].get(raw.trim())
        {
            let township = &self.townships[*t];
            return Some(PlaceMatch {
                exact: true,
                name: township.villages[v].clone(),
                township: township.name.clone(),
            });
        }
        let text = canonical_text(raw);
        let mut body = self.strip_county_prefix(&text);
        // The cell may start with the township itself.
        let mut t = township.and_then(|t| {
            // Usually the canonical name already (from `match_township`).
            self.townships.iter().position(|x| x.name == t).or_else(|| {
                let m = self.match_township(t)?;
                self.townships.iter().position(|x| x.name == m.township)
            })
        });
        if let Some((found, len)) = self.township_at_start(body, false)
            && (t.is_none() || t == Some(found))
        {
            t = Some(found);
            body = &body[len..];
            body = strip_prefix_any(body, TOWNSHIP_SUFFIXES);
        }
        if body.is_empty() {
            return None;
        }
        let village = match t {
            Some(t) => self
                .village_at_start(t, body)
                .map(|(v, _)| (t, v))
                .or_else(|| {
                    let stem = strip_suffix(body, VILLAGE_SUFFIXES);
                    index.village_pinyin[t]
                        .get(&to_pinyin(stem))
                        .copied()
                        .flatten()
                        .map(|v| (t, v))
                }),
            None => {
                let stem = strip_suffix(body, VILLAGE_SUFFIXES);
                index.village_stems.get(stem).copied().flatten()
            }
        };
        let (t, v) = village?;
        let township = &self.townships[t];
        let name = township.villages[v].clone();
        Some(PlaceMatch {
            exact: raw.trim() == name,
            name,
            township: township.name.clone(),
        })
    }

    /// Splits an address into province, city, county, township, village and the rest, using the
    /// national table for what lies outside the county.
    ///
    /// ```text
    /// parse_address("河南省信阳市青溪县城关镇河口村5组", d)
    ///   -> 河南省 / 信阳市 / 青溪县 / 城关镇 / 河口村, rest "5组"
    /// parse_address("湖北省武汉市江岸区XX路1号", d)
    ///   -> 湖北省 / 武汉市 / 江岸区, rest "XX路1号"
    /// ```
    pub fn parse_address(&self, text: &str, divisions: &Divisions) -> ParsedAddress {
        self.parse_canonical(&canonical_text(text), divisions).0
    }

    /// [`Gazetteer::parse_address`] of canonical text, also giving the division resolved.
    fn parse_canonical<'d>(
        &self,
        canonical: &str,
        divisions: &'d Divisions,
    ) -> (ParsedAddress, Option<&'d Division>) {
        let mut out = ParsedAddress::default();
        let resolution = divisions.resolve_canonical(canonical.to_owned());
        let mut rest: &str = canonical;
        let mut outside = false;
        if let Some(r) = &resolution {
            let d = r.division;
            out.province = divisions.province_of(&d.code).map(|p| p.name.clone());
            out.city = divisions.city_of(&d.code).map(|c| c.name.clone());
            if d.level == DivisionLevel::County {
                out.county = Some(d.name.clone());
                out.county_code = Some(d.code.clone());
                outside = d.code != self.code;
            } else {
                outside = !self.code.starts_with(division_prefix(d));
            }
            if r.text == canonical {
                rest = canonical.get(r.end..).unwrap_or(canonical);
            }
        }
        let after_county = self.strip_county_prefix(rest);
        let county_named = after_county.len() != rest.len() && self.names_county(rest);
        if county_named {
            outside = false;
        }
        rest = after_county;
        if !outside {
            if let Some((t, len)) = self.township_at_start(rest, true) {
                out.township = Some(self.townships[t].name.clone());
                rest = strip_prefix_any(&rest[len..], TOWNSHIP_SUFFIXES);
                if let Some((v, len)) = self.village_at_start(t, rest) {
                    out.village = Some(self.townships[t].villages[v].clone());
                    rest = strip_prefix_any(&rest[len..], VILLAGE_SUFFIXES);
                }
            } else if let Some((t, v, len)) = self.any_village_at_start(rest) {
                out.township = Some(self.townships[t].name.clone());
                out.village = Some(self.townships[t].villages[v].clone());
                rest = strip_prefix_any(&rest[len..], VILLAGE_SUFFIXES);
            }
            if county_named || out.township.is_some() {
                out.county = Some(self.name.clone());
                out.county_code = Some(self.code.clone());
                out.province.get_or_insert_with(|| self.province.clone());
                out.city.get_or_insert_with(|| self.city.clone());
            }
        }
        out.rest = rest.to_owned();
        (out, resolution.map(|r| r.division))
    }

    /// Decides where a free-text place (`青溪县城关镇`, `城关镇`, `湖北省武汉市江岸区XX路`,
    /// `武汉江岸`) puts a person: inside the county (its name, or one of its townships or
    /// villages, with or without the province/city before it), outside it in a division of the
    /// national table, or unknown.
    pub fn locate<'d>(&self, text: &str, divisions: &'d Divisions) -> Whereabouts<'d> {
        let canonical = canonical_text(text);
        if canonical.is_empty() {
            return Whereabouts::Unknown;
        }
        let (parsed, resolved) = self.parse_canonical(&canonical, divisions);
        let in_county = || Whereabouts::InCounty {
            township: parsed.township.clone(),
            village: parsed.village.clone(),
        };
        if self.names_county(&canonical) {
            return in_county();
        }
        let ours_named =
            || parsed.township.is_some() || self.township_anywhere(&canonical).is_some();
        match resolved {
            Some(d) if d.code == self.code => in_county(),
            Some(d) if d.level == DivisionLevel::County => Whereabouts::Outside(d),
            Some(d) if self.code.starts_with(division_prefix(d)) => {
                if ours_named() {
                    self.in_county_from(&canonical, parsed.clone())
                } else {
                    Whereabouts::Unknown
                }
            }
            Some(d) => Whereabouts::Outside(d),
            None if ours_named() => self.in_county_from(&canonical, parsed.clone()),
            None => Whereabouts::Unknown,
        }
    }

    /// True when the place text is inside the county (see [`Gazetteer::locate`]), judged against
    /// the embedded national table.
    pub fn is_in_county(&self, text: &str) -> bool {
        matches!(
            self.locate(text, Divisions::embedded()),
            Whereabouts::InCounty { .. }
        )
    }

    fn in_county_from(&self, canonical: &str, parsed: ParsedAddress) -> Whereabouts<'static> {
        let township = parsed.township.or_else(|| {
            self.township_anywhere(canonical)
                .map(|t| self.townships[t].name.clone())
        });
        Whereabouts::InCounty {
            township,
            village: parsed.village,
        }
    }

    /// True when `canonical` names the county itself (`青溪县`, or `青溪` not followed by a
    /// street word).
    fn names_county(&self, canonical: &str) -> bool {
        let index = self.index();
        index.county_keys.iter().enumerate().any(|(i, key)| {
            canonical.match_indices(key.as_str()).any(|(at, _)| {
                let after = &canonical[at + key.len()..];
                i == 0
                    || !["路", "街", "大道", "河", "湖", "村", "镇", "乡"]
                        .iter()
                        .any(|w| after.starts_with(w))
            })
        })
    }

    /// Removes a leading province / city / county name of this county (`河南省信阳市青溪县`).
    fn strip_county_prefix<'t>(&self, text: &'t str) -> &'t str {
        let index = self.index();
        let mut rest = text;
        for key in &index.parent_keys {
            if let Some(r) = rest.strip_prefix(key.as_str()) {
                rest = r;
            }
        }
        for (i, key) in index.county_keys.iter().enumerate() {
            // The full name always goes; the bare stem (`青溪`) only before a township of the
            // county: `青溪街道` and `青溪社区` are places of 青溪县 named after it.
            if let Some(r) = rest.strip_prefix(key.as_str())
                && (i == 0 || self.township_at_start(r, true).is_some())
            {
                rest = r;
                break;
            }
        }
        rest
    }

    /// The township whose key starts `text`, and the key's length.
    fn township_at_start(&self, text: &str, allow_stem: bool) -> Option<(usize, usize)> {
        self.index()
            .township_keys
            .iter()
            .find(|(key, _, is_stem)| {
                text.starts_with(key.as_str())
                    && (!is_stem || allow_stem || is_tail(&text[key.len()..], TOWNSHIP_SUFFIXES))
            })
            .map(|(key, t, _)| (*t, key.len()))
    }

    /// A township named anywhere in `text` with its suffix or by its full name (`在城关镇家中`).
    fn township_anywhere(&self, text: &str) -> Option<usize> {
        let index = self.index();
        text.char_indices().find_map(|(at, c)| {
            index.township_first_chars.binary_search(&c).ok()?;
            let here = &text[at..];
            index
                .township_keys
                .iter()
                .find(|(key, _, is_stem)| {
                    key.chars().count() >= 2
                        && here.starts_with(key.as_str())
                        && (!is_stem || starts_with_any(&here[key.len()..], TOWNSHIP_SUFFIXES))
                })
                .map(|(_, t, _)| *t)
        })
    }

    fn village_at_start(&self, township: usize, text: &str) -> Option<(usize, usize)> {
        self.index()
            .village_keys
            .get(township)?
            .iter()
            .find_map(|(key, v, _)| text.starts_with(key.as_str()).then_some((*v, key.len())))
    }

    /// A village of any township starting `text`, when only one township has it.
    fn any_village_at_start(&self, text: &str) -> Option<(usize, usize, usize)> {
        let index = self.index();
        let mut found = None;
        for (t, keys) in index.village_keys.iter().enumerate() {
            if let Some((key, v, is_stem)) = keys
                .iter()
                .find(|(key, _, _)| text.starts_with(key.as_str()))
            {
                if *is_stem && !starts_with_any(&text[key.len()..], VILLAGE_SUFFIXES) {
                    continue;
                }
                if found.is_some() {
                    return None;
                }
                found = Some((t, *v, key.len()));
            }
        }
        found
    }
}

fn division_prefix(d: &Division) -> &str {
    match d.level {
        DivisionLevel::Province => &d.code[..2],
        DivisionLevel::City => &d.code[..4],
        DivisionLevel::County => &d.code,
    }
}

fn strip_suffix<'t>(text: &'t str, suffixes: &[&str]) -> &'t str {
    for suffix in suffixes {
        if let Some(stem) = text.strip_suffix(suffix)
            && !stem.is_empty()
        {
            return stem;
        }
    }
    text
}

fn strip_prefix_any<'t>(text: &'t str, prefixes: &[&str]) -> &'t str {
    prefixes
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(text)
}

fn starts_with_any(text: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| text.starts_with(p))
}

/// `rest` is empty or just a suffix.
fn is_tail(rest: &str, suffixes: &[&str]) -> bool {
    rest.is_empty() || suffixes.contains(&rest)
}

/// Records `key` → `t`, or marks the key ambiguous when another owner has it.
fn claim(owner: &mut HashMap<String, Option<usize>>, key: String, t: usize) {
    owner
        .entry(key)
        .and_modify(|o| {
            if *o != Some(t) {
                *o = None;
            }
        })
        .or_insert(Some(t));
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) const DEMO: &str = r#"
name = "青溪县"
code = "411599"
province = "河南省"
city = "信阳市"

[[townships]]
name = "城关镇"
aliases = ["城关", "城關鎮"]
villages = ["东大街社区", "河口村"]

[[townships]]
name = "白石乡"
villages = ["白石村", "柳林村"]

[[townships]]
name = "滨河街道"
aliases = ["滨河办事处"]
villages = ["滨河社区", "柳林社区"]
"#;

    pub(crate) fn demo() -> Gazetteer {
        match Gazetteer::from_toml(DEMO) {
            Ok(g) => g,
            Err(e) => panic!("demo gazetteer: {e}"),
        }
    }

    fn township(raw: &str) -> Option<String> {
        demo().match_township(raw).map(|m| m.name)
    }

    #[test]
    fn a_township_named_after_the_county_is_still_a_township() {
        let g = match Gazetteer::from_toml(include_str!("../../fixtures/county.toml")) {
            Ok(g) => g,
            Err(e) => panic!("demo county: {e}"),
        };
        let m = g.match_township(" 青溪街道辦事處").map(|m| m.name);
        assert_eq!(m.as_deref(), Some("青溪街道"));
        let m = g.match_township("青溪县青溪街道").map(|m| m.name);
        assert_eq!(m.as_deref(), Some("青溪街道"));
        let v = g
            .match_village(Some("青溪街道辦"), "青溪社區")
            .map(|m| m.name);
        assert_eq!(v.as_deref(), Some("青溪社区"));
    }

    #[test]
    fn the_gazetteer_reads_from_toml_with_defaults() {
        let g = demo();
        assert_eq!(g.name, "青溪县");
        assert_eq!(g.townships.len(), 3);
        assert!(g.townships[1].aliases.is_empty());
        assert_eq!(g.townships[0].villages, vec!["东大街社区", "河口村"]);
    }

    #[test]
    fn township_cells_match_with_or_without_suffix_alias_or_traditional_form() {
        for raw in [
            "城关镇",
            "城关",
            "城關鎮",
            "城關",
            " 城关镇 ",
            "青溪县城关镇",
            "河南省信阳市青溪县城关镇",
        ] {
            assert_eq!(township(raw).as_deref(), Some("城关镇"), "{raw}");
        }
        for raw in [
            "滨河街道",
            "滨河",
            "滨河办事处",
            "滨河街道办事处",
            "濱河街道",
        ] {
            assert_eq!(township(raw).as_deref(), Some("滨河街道"), "{raw}");
        }
        assert_eq!(township("白石").as_deref(), Some("白石乡"));
        assert_eq!(township("城官镇").as_deref(), Some("城关镇"), "homophone");
    }

    #[test]
    fn the_exact_flag_tells_canonical_names_from_variants() {
        let g = demo();
        assert_eq!(g.match_township("城关镇").map(|m| m.exact), Some(true));
        assert_eq!(g.match_township("城關鎮").map(|m| m.exact), Some(false));
        assert_eq!(g.match_township("城关").map(|m| m.exact), Some(false));
    }

    #[test]
    fn unknown_townships_do_not_match() {
        for raw in ["火星镇", "", "不详", "武汉市"] {
            assert_eq!(township(raw), None, "{raw}");
        }
    }

    #[test]
    fn villages_match_within_their_township() {
        let g = demo();
        let village =
            |t: Option<&str>, raw: &str| g.match_village(t, raw).map(|m| (m.name, m.township));
        let hekou = Some(("河口村".to_owned(), "城关镇".to_owned()));
        assert_eq!(village(Some("城关镇"), "河口村"), hekou);
        assert_eq!(village(Some("城关"), "河口"), hekou);
        assert_eq!(village(Some("城关镇"), "河口村委会"), hekou);
        assert_eq!(village(None, "河口村"), hekou);
        assert_eq!(village(None, "城关镇河口村"), hekou);
        assert_eq!(village(Some("城关镇"), "河口村3组"), hekou);
        assert_eq!(
            village(Some("城关镇"), "東大街社區"),
            Some(("东大街社区".to_owned(), "城关镇".to_owned()))
        );
        // 柳林 is a village in two townships: only its township decides.
        assert_eq!(village(None, "柳林"), None);
        assert_eq!(
            village(Some("滨河街道"), "柳林"),
            Some(("柳林社区".to_owned(), "滨河街道".to_owned()))
        );
        assert_eq!(village(Some("城关镇"), "白石村"), None);
    }

    #[test]
    fn addresses_split_into_their_parts() {
        let g = demo();
        let d = Divisions::embedded();
        let a = g.parse_address("河南省信阳市青溪县城关镇河口村5组", d);
        assert_eq!(a.province.as_deref(), Some("河南省"));
        assert_eq!(a.city.as_deref(), Some("信阳市"));
        assert_eq!(a.county.as_deref(), Some("青溪县"));
        assert_eq!(a.county_code.as_deref(), Some("411599"));
        assert_eq!(a.township.as_deref(), Some("城关镇"));
        assert_eq!(a.village.as_deref(), Some("河口村"));
        assert_eq!(a.rest, "5组");

        let a = g.parse_address("城关河口村8号", d);
        assert_eq!(a.township.as_deref(), Some("城关镇"));
        assert_eq!(a.village.as_deref(), Some("河口村"));
        assert_eq!(a.county.as_deref(), Some("青溪县"));
        assert_eq!(a.rest, "8号");

        let a = g.parse_address("湖北省武汉市江岸区XX路1号", d);
        assert_eq!(a.province.as_deref(), Some("湖北省"));
        assert_eq!(a.city.as_deref(), Some("武汉市"));
        assert_eq!(a.county.as_deref(), Some("江岸区"));
        assert_eq!(a.county_code.as_deref(), Some("420102"));
        assert_eq!(a.township, None);
        assert_eq!(a.rest, "XX路1号");
    }

    #[test]
    fn places_inside_the_county_are_recognised() {
        let g = demo();
        for text in [
            "青溪县",
            "青溪",
            "河南省信阳市青溪县",
            "信阳市青溪县城关镇",
            "城关镇",
            "城關鎮東大街社區",
            "在城关镇家中",
            "白石乡柳林村",
            "信阳市城关镇",
            "河口村",
        ] {
            assert!(g.is_in_county(text), "{text}");
        }
    }

    #[test]
    fn places_outside_the_county_resolve_to_their_jurisdiction() {
        let g = demo();
        let d = Divisions::embedded();
        let cases = [
            ("湖北省武汉市江岸区XX路", "420102"),
            ("武汉江岸", "420102"),
            ("孝感市", "420900"),
            ("广东深圳南山区", "440305"),
            ("信阳市平桥区城关镇", "411503"),
            ("湖北", "420000"),
        ];
        for (text, code) in cases {
            match g.locate(text, d) {
                Whereabouts::Outside(div) => assert_eq!(div.code, code, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
            assert!(!g.is_in_county(text), "{text}");
        }
    }

    #[test]
    fn places_that_could_be_either_are_unknown() {
        let g = demo();
        let d = Divisions::embedded();
        for text in ["信阳市", "河南省", "家中", "", "不详"] {
            assert_eq!(g.locate(text, d), Whereabouts::Unknown, "{text}");
        }
    }

    proptest! {
        #[test]
        fn no_input_makes_the_gazetteer_panic(raw in any::<String>()) {
            let g = demo();
            let d = Divisions::embedded();
            let _ = g.match_township(&raw);
            let _ = g.match_village(Some(&raw), &raw);
            let _ = g.match_village(None, &raw);
            let _ = g.parse_address(&raw, d);
            let _ = g.locate(&raw, d);
        }
    }
}
