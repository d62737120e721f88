//! Places: Hubei origins, places outside the county from the national table, the county's
//! townships and villages, and the ways each is written.

use rand::Rng;

use super::pick_weighted;
use crate::Reference;
use crate::normalize::{DivisionLevel, Divisions};

/// Central Wuhan districts: most travellers came from these.
const WUHAN_CENTRAL: [&str; 7] = [
    "420102", "420103", "420104", "420105", "420106", "420107", "420111",
];

/// Streets for addresses outside the county.
const STREETS: [&str; 14] = [
    "解放大道",
    "中山大道",
    "建设大道",
    "发展大道",
    "友谊路",
    "和平大道",
    "珞喻路",
    "民主路",
    "长江路",
    "人民路",
    "槐荫大道",
    "北京路",
    "新华路",
    "光明街",
];

/// Roads for addresses of communities (社区) in the county.
const ROADS: [&str; 8] = [
    "幸福", "建设", "人民", "解放", "和平", "文化", "滨河", "新华",
];

/// County-level divisions to draw places from, chosen once from the national table.
#[derive(Debug, Clone)]
pub struct Places {
    /// Wuhan districts with their weights.
    wuhan: Vec<(String, u32)>,
    /// Other county-level divisions of Hubei.
    hubei: Vec<String>,
    /// Counties of the county's own prefecture (neighbours), the county left out.
    neighbours: Vec<String>,
    /// County-level divisions elsewhere in China (not Hubei).
    elsewhere: Vec<String>,
}

fn usable(name: &str) -> bool {
    !["开发", "新区", "管理", "示范", "园区", "工业", "高新"]
        .iter()
        .any(|w| name.contains(w))
}

impl Places {
    /// Draws the lists from the reference data.
    pub fn new(reference: &Reference) -> Self {
        let county = reference.gazetteer.code.as_str();
        let prefecture = county.get(..4).unwrap_or("");
        let mut wuhan = Vec::new();
        let mut hubei = Vec::new();
        let mut neighbours = Vec::new();
        let mut elsewhere = Vec::new();
        for d in reference.divisions.iter() {
            if d.level != DivisionLevel::County || d.is_placeholder() || !usable(&d.name) {
                continue;
            }
            if d.code == county {
                continue;
            }
            if d.code.starts_with("4201") {
                let w = if WUHAN_CENTRAL.contains(&d.code.as_str()) {
                    3
                } else {
                    1
                };
                wuhan.push((d.code.clone(), w));
            } else if d.code.starts_with("42") {
                hubei.push(d.code.clone());
            } else if !prefecture.is_empty() && d.code.starts_with(prefecture) {
                neighbours.push(d.code.clone());
            } else {
                elsewhere.push(d.code.clone());
            }
        }
        // A table without Hubei (a test table) still gives a usable generator.
        if wuhan.is_empty() {
            wuhan.push(("420102".to_owned(), 1));
        }
        if hubei.is_empty() {
            hubei.push("420902".to_owned());
        }
        if neighbours.is_empty() {
            neighbours.push("411502".to_owned());
        }
        if elsewhere.is_empty() {
            elsewhere.push("440305".to_owned());
        }
        Self {
            wuhan,
            hubei,
            neighbours,
            elsewhere,
        }
    }

    /// Where a traveller came from: four in five from Wuhan, the rest elsewhere in Hubei.
    pub fn origin(&self, rng: &mut impl Rng) -> String {
        if rng.random_bool(0.8) {
            let weights: Vec<u32> = self.wuhan.iter().map(|(_, w)| *w).collect();
            self.wuhan[pick_weighted(rng, &weights)].0.clone()
        } else {
            self.hubei[rng.random_range(0..self.hubei.len())].clone()
        }
    }

    /// A county-level place outside the county: a neighbour a third of the time.
    pub fn outside(&self, rng: &mut impl Rng) -> String {
        if rng.random_bool(0.35) {
            self.neighbours[rng.random_range(0..self.neighbours.len())].clone()
        } else {
            self.elsewhere[rng.random_range(0..self.elsewhere.len())].clone()
        }
    }

    /// The neighbouring district whose code is on many local ID cards (the prefecture seat).
    pub fn neighbour_code(&self) -> &str {
        &self.neighbours[0]
    }
}

/// A street address at a division: `湖北省武汉市江岸区解放大道118号`.
pub fn street_address(divisions: &Divisions, code: &str, rng: &mut impl Rng) -> String {
    format!(
        "{}{}{}号",
        divisions.full_name(code).unwrap_or_default(),
        STREETS[rng.random_range(0..STREETS.len())],
        rng.random_range(1..400)
    )
}

/// A house in a village (`3组25号`) or a community (`建设路18号`).
pub fn house(village: &str, rng: &mut impl Rng) -> String {
    if village.ends_with("社区") {
        format!(
            "{}路{}号",
            ROADS[rng.random_range(0..ROADS.len())],
            rng.random_range(1..150)
        )
    } else {
        format!("{}组{}号", rng.random_range(1..13), rng.random_range(1..70))
    }
}

/// How a division is written: 0 `湖北省武汉市江岸区`, 1 `武汉市江岸区`, 2 `武汉市`, 3 `武汉`.
pub fn division_text(divisions: &Divisions, code: &str, style: u8) -> String {
    let Some(d) = divisions.get(code) else {
        return code.to_owned();
    };
    let city = divisions.city_of(code).filter(|c| c.code != d.code);
    match (style, city) {
        (0, _) => divisions.full_name(code).unwrap_or_else(|| d.name.clone()),
        (1, Some(c)) => format!("{}{}", c.name, d.name),
        (2, Some(c)) => c.name.clone(),
        (3, Some(c)) => c.name.trim_end_matches('市').to_owned(),
        (3, None) if d.name.chars().count() > 2 => {
            d.name.trim_end_matches(['市', '县', '区']).to_owned()
        }
        _ => d.name.clone(),
    }
}

/// ASCII initials of a place name from its pinyin (`城关镇` → `CGZ`), for form numbers.
pub fn initials(name: &str) -> String {
    use pinyin::ToPinyin;
    name.chars()
        .filter_map(|c| c.to_pinyin().map(|p| p.first_letter().to_ascii_uppercase()))
        .collect()
}
