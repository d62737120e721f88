//! The three sources' files about a population, each written the way that source writes.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;

use super::ids::{
    full_width, mask_prefecture, mask_region, mobile, one_wrong_digit, spaced_phone, swap_adjacent,
    to_15,
};
use super::names::{self, homophone_typo, to_traditional};
use super::people::{Home, Person};
use super::places::{Places, division_text, initials};
use super::{SynthFiles, SynthStats, pick_weighted};
use crate::Reference;

const BIGDATA: &str = "bigdata";
const TOWNSHIP: &str = "township";
const EXTERNAL: &str = "external";

/// Big-data list headers, as in `fixtures/demo/bigdata.csv`.
const BD_HEADERS: [&str; 10] = [
    "序号",
    "姓名",
    "身份证号",
    "手机号",
    "来源地",
    "抵达日期",
    "现所在地",
    "交通方式",
    "车次",
    "批次日期",
];
/// Township form headers, as in `fixtures/demo/township.csv` (`鄉鎮` in Traditional).
const TS_HEADERS: [&str; 16] = [
    "编号",
    "鄉鎮",
    "村(社区)",
    "姓名",
    "性别",
    "年龄",
    "身份证号码",
    "联系电话",
    "现住址",
    "来源地",
    "返乡日期",
    "交通方式",
    "症状",
    "核查人",
    "核查日期",
    "备注",
];

/// Days the province pushed big-data lists.
const BATCHES: [(i32, u32, u32); 4] = [(2020, 1, 25), (2020, 1, 27), (2020, 1, 30), (2020, 2, 2)];

const REMARKS: [&str; 8] = [
    "",
    "",
    "",
    "居家隔离",
    "已签承诺书",
    "已落实五包一",
    "每日测温正常",
    "已告知居家观察要求",
];
const GONE_REMARKS: [&str; 4] = [
    "已于1月26日离开本县",
    "电话核实，人已不在本地",
    "本人已返回工作地",
    "外出未归，电话联系",
];
const NOTICE_NOTES: [&str; 7] = [
    "自武汉返回",
    "与确诊病例同乘列车",
    "密切接触者",
    "曾到华南海鲜市场周边",
    "武汉务工返乡",
    "发热门诊就诊记录",
    "",
];

fn day(ymd: (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2).unwrap_or(super::REFERENCE_DAY)
}

/// A date as the sources write it: `2020-01-23`, `1月23日`, `1.23`, `20200123`, `2020/1/23`.
fn date_text(d: NaiveDate, style: u8) -> String {
    match style {
        1 => format!("{}月{}日", d.month(), d.day()),
        2 => format!("{}.{}", d.month(), d.day()),
        3 => d.format("%Y%m%d").to_string(),
        4 => format!("{}/{}/{}", d.year(), d.month(), d.day()),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}

/// One row of a file before its record number is given.
struct Row {
    /// The person, or `None` for a deliberately unusable row.
    person: Option<usize>,
    /// Cells in header order; the record-number cell is filled in last.
    cells: Vec<String>,
    /// Big data: the batch day; township: the township index.
    group: usize,
}

/// A person of a notice, with its notice fields.
#[derive(Serialize)]
struct NoticePerson {
    record_id: String,
    name: String,
    sex: String,
    id_number: String,
    phone: String,
    current_address: String,
    note: String,
}

/// An external notice (协查函), in the order intake reads its keys.
#[derive(Serialize)]
struct Notice {
    notice_no: String,
    sending_jurisdiction: String,
    send_date: String,
    contact: String,
    note: String,
    persons: Vec<NoticePerson>,
}

struct Gen<'a, R: Rng> {
    persons: &'a [Person],
    reference: &'a Reference,
    places: &'a Places,
    rng: &'a mut R,
    /// Every phone of the population, so that extra numbers are new ones.
    phones: HashSet<String>,
    noise: BTreeMap<(&'static str, &'static str), usize>,
    bigdata: Vec<Row>,
    township: Vec<Row>,
    /// Notice persons by sending jurisdiction (code): (person, the person's cells).
    external: BTreeMap<String, Vec<(Option<usize>, NoticePerson)>>,
    /// Per township: who checks there (核查人).
    reporters: Vec<String>,
}

impl<R: Rng> Gen<'_, R> {
    fn note(&mut self, source: &'static str, kind: &'static str) {
        *self.noise.entry((source, kind)).or_default() += 1;
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.rng.random_range(0..items.len())]
    }

    fn new_phone(&mut self) -> String {
        loop {
            let p = mobile(self.rng);
            if self.phones.insert(p.clone()) {
                return p;
            }
        }
    }

    fn county_prefix(&self) -> String {
        let g = &self.reference.gazetteer;
        format!("{}{}{}", g.province, g.city, g.name)
    }

    fn township_name(&self, t: usize) -> &str {
        &self.reference.gazetteer.townships[t].name
    }

    fn village_name(&self, t: usize, v: usize) -> &str {
        self.reference.gazetteer.townships[t]
            .villages
            .get(v)
            .map_or("", String::as_str)
    }

    // ------------------------------------------------------------------ big data

    /// The location hint of a big-data row: where the phone or ticket puts the person.
    fn location_hint(&mut self, p: &Person) -> String {
        let divisions = self.reference.divisions;
        if let Some(away) = &p.away {
            if self.chance(0.6) {
                self.note(BIGDATA, "location hint outside the county");
                let style = if self.chance(0.5) { 0 } else { 1 };
                return division_text(divisions, away, style);
            }
            return String::new();
        }
        if self.chance(0.04) {
            // Roaming data still places them where they came from.
            self.note(BIGDATA, "stale hint: still at the origin");
            return division_text(divisions, &p.origin, 0);
        }
        let Home::County { township, .. } = p.home else {
            return String::new();
        };
        let x: f64 = self.rng.random();
        if x < 0.55 {
            format!(
                "{}{}",
                self.reference.gazetteer.name,
                self.township_name(township)
            )
        } else if x < 0.7 {
            self.county_prefix()
        } else {
            String::new()
        }
    }

    /// One big-data row about `p` (a telecom entry for a phone holder, a manifest entry for a
    /// household member), in `batch` or a batch after the arrival.
    fn bigdata_row(
        &mut self,
        i: usize,
        batch: Option<usize>,
        hint: Option<String>,
    ) -> (usize, String) {
        let persons = self.persons;
        let p = &persons[i];
        let batch = batch.unwrap_or_else(|| {
            let possible: Vec<usize> = (0..BATCHES.len())
                .filter(|&b| day(BATCHES[b]) >= p.arrival)
                .collect();
            possible[self.rng.random_range(0..possible.len())]
        });
        let mut cells = vec![String::new(); BD_HEADERS.len()];
        if p.holds_phone {
            let phone_only = if p.household.is_some() { 0.35 } else { 0.15 };
            if self.chance(phone_only) {
                if let Some(mask) = registered_mask(p) {
                    self.note(BIGDATA, "no name, the holder's registered ID masked");
                    cells[2] = mask;
                } else {
                    self.note(BIGDATA, "phone only (no name, no ID)");
                    if p.household.is_some() {
                        self.note(BIGDATA, "phone only, a family's shared phone");
                    }
                }
            } else {
                if self.chance(0.55) {
                    cells[1] = self.bigdata_name(p);
                } else {
                    self.note(BIGDATA, "name missing");
                }
                cells[2] = self.bigdata_id(p, 0.2, 0.3, 0.2);
            }
            cells[3] = if p.phones.len() > 1 && self.chance(0.15) {
                self.note(BIGDATA, "the person's second phone");
                p.phones[1].clone()
            } else {
                p.phones[0].clone()
            };
        } else {
            // A rail or air manifest: each traveller by name and ID, the family phone as contact.
            self.note(BIGDATA, "manifest entry of a household member");
            if self.chance(0.92) {
                cells[1] = self.bigdata_name(p);
            } else {
                self.note(BIGDATA, "name missing");
            }
            cells[2] = self.bigdata_id(p, 0.45, 0.3, 0.25);
            cells[3] = p.phones[0].clone();
        }
        if self.chance(0.05) {
            self.note(BIGDATA, "phone with +86 prefix");
            cells[3] = format!("+86 {}", cells[3]);
        }
        let style = [0, 2, 2, 3][self.rng.random_range(0..4)];
        cells[4] = division_text(self.reference.divisions, &p.origin, style);
        cells[5] = date_text(p.arrival, [0, 1, 2, 3][self.rng.random_range(0..4)]);
        let hint = hint.unwrap_or_else(|| self.location_hint(p));
        cells[6].clone_from(&hint);
        cells[7] = p.travel.bigdata_text().to_owned();
        cells[8].clone_from(&p.train);
        cells[9] = date_text(day(BATCHES[batch]), 0);
        self.bigdata.push(Row {
            person: Some(i),
            cells,
            group: batch,
        });
        (batch, hint)
    }

    fn bigdata_name(&mut self, p: &Person) -> String {
        if self.chance(0.06)
            && let Some(typo) = homophone_typo(&p.name)
        {
            self.note(BIGDATA, "name homophone typo");
            return typo;
        }
        p.name.clone()
    }

    /// Full with `full`, masked `420102********` with `region`, `4201**********` with
    /// `prefecture`, else missing.
    fn bigdata_id(&mut self, p: &Person, full: f64, region: f64, prefecture: f64) -> String {
        let x: f64 = self.rng.random();
        if x < full {
            self.note(BIGDATA, "ID full");
            p.id_number.clone()
        } else if x < full + region {
            self.note(BIGDATA, "ID masked 420102********1234");
            mask_region(&p.id_number)
        } else if x < full + region + prefecture {
            self.note(BIGDATA, "ID masked 4201**********1234");
            mask_prefecture(&p.id_number)
        } else {
            self.note(BIGDATA, "ID missing");
            String::new()
        }
    }

    // ------------------------------------------------------------------ township

    /// One township form about `p`, filed by township `t` (village `v`). `second` marks the
    /// second report of the same person by another township.
    fn township_row(&mut self, i: usize, t: usize, v: usize, second: bool) {
        let persons = self.persons;
        let p = &persons[i];
        let reference = self.reference;
        let mut cells = vec![String::new(); TS_HEADERS.len()];
        let township = &reference.gazetteer.townships[t];
        let tname = township.name.clone();
        let short: Vec<&String> = township
            .aliases
            .iter()
            .filter(|a| a.chars().count() < tname.chars().count() && tname.starts_with(a.as_str()))
            .collect();
        let traditional: Vec<&String> = township
            .aliases
            .iter()
            .filter(|a| a.chars().count() == tname.chars().count() && **a != tname)
            .collect();
        let x: f64 = self.rng.random();
        cells[1] = if x < 0.15 && !short.is_empty() {
            self.note(TOWNSHIP, "township without suffix");
            short[0].clone()
        } else if x < 0.3 && !traditional.is_empty() {
            self.note(TOWNSHIP, "township in Traditional");
            traditional[0].clone()
        } else {
            tname.clone()
        };
        let village = self.village_name(t, v).to_owned();
        cells[2] = if self.chance(0.06) {
            self.note(TOWNSHIP, "village without suffix");
            let stem = village.trim_end_matches("社区").trim_end_matches('村');
            if stem.chars().count() >= 2 {
                stem.to_owned()
            } else {
                village.clone()
            }
        } else {
            village.clone()
        };
        let x: f64 = self.rng.random();
        cells[3] = if x < 0.08
            && let Some(t) = to_traditional(&p.name)
        {
            self.note(TOWNSHIP, "name in Traditional");
            t
        } else if x < 0.12
            && let Some(h) = homophone_typo(&p.name)
        {
            self.note(TOWNSHIP, "name homophone typo");
            h
        } else if x < 0.16 {
            self.note(TOWNSHIP, "name with a space");
            names::spaced(&p.name)
        } else {
            p.name.clone()
        };
        cells[4] = if p.male { "男" } else { "女" }.to_owned();
        let mut age = p.age();
        if self.chance(0.15) {
            self.note(TOWNSHIP, "age in traditional reckoning (+1)");
            age += 1;
        }
        cells[5] = if self.chance(0.1) {
            format!("{age}岁")
        } else {
            age.to_string()
        };
        cells[6] = self.township_id(p, second);
        let mut remark = self.pick(&REMARKS).to_owned();
        let phone = &p.phones[0];
        let x: f64 = self.rng.random();
        cells[7] = if x < 0.12 {
            self.note(TOWNSHIP, "phone spaced");
            spaced_phone(phone)
        } else if x < 0.2 {
            self.note(TOWNSHIP, "phone with +86- prefix");
            format!("+86-{phone}")
        } else if x < 0.25 {
            self.note(TOWNSHIP, "two phones in one cell");
            let other = match p.phones.get(1) {
                Some(second) => second.clone(),
                None => self.new_phone(),
            };
            let sep = self.pick(&["/", "，", "、", " ", ";"]);
            format!("{phone}{sep}{other}")
        } else if x < 0.29 {
            // The name or the ID number still names the person: the row stays usable.
            self.note(TOWNSHIP, "phone only in the remark");
            remark = format!("电话{phone}已联系");
            String::new()
        } else if x < 0.31 {
            self.note(TOWNSHIP, "landline only");
            format!("0376-{}", self.rng.random_range(2_000_000..9_000_000))
        } else {
            phone.clone()
        };
        if cells[7].is_empty() && cells[3].trim().is_empty() && cells[6].is_empty() {
            cells[7] = phone.clone();
        }
        let divisions = self.reference.divisions;
        let gone = p.away.clone();
        match (&p.home, &gone) {
            (_, Some(away)) => {
                self.note(TOWNSHIP, "checked, but gone elsewhere");
                cells[8] = match &p.home {
                    Home::Outside { address, .. } => address.clone(),
                    Home::County { .. } => super::places::street_address(divisions, away, self.rng),
                };
                let gone_remark = self.pick(&GONE_REMARKS);
                remark = if remark.starts_with("电话") {
                    format!("{remark}；{gone_remark}")
                } else {
                    gone_remark.to_owned()
                };
            }
            (Home::County { house, .. }, None) => {
                let x: f64 = self.rng.random();
                cells[8] = if x < 0.4 {
                    format!("{}{tname}{village}{house}", self.reference.gazetteer.name)
                } else if x < 0.8 {
                    format!("{village}{house}")
                } else {
                    format!("{}{tname}{village}{house}", self.county_prefix())
                };
            }
            (Home::Outside { address, .. }, None) => cells[8] = address.clone(),
        }
        let style = [0, 1, 1, 2, 3][self.rng.random_range(0..5)];
        cells[9] = division_text(divisions, &p.origin, style);
        cells[10] = date_text(p.arrival, [0, 0, 1, 2, 3, 4][self.rng.random_range(0..6)]);
        cells[11] = p.travel.township_text().to_owned();
        cells[12] = if self.chance(0.93) {
            "无".to_owned()
        } else {
            self.pick(&["发热", "咳嗽", "乏力", "发热37.6℃"]).to_owned()
        };
        cells[13].clone_from(&self.reporters[t]);
        let check = p.arrival.max(day((2020, 1, 25))) + Days::new(1 + self.rng.random_range(0..6));
        cells[14] = date_text(check + Days::new(u64::from(second)), 0);
        cells[15] = remark;
        self.township.push(Row {
            person: Some(i),
            cells,
            group: t,
        });
    }

    fn township_id(&mut self, p: &Person, second: bool) -> String {
        let id = &p.id_number;
        let x: f64 = self.rng.random();
        if x < 0.07 {
            self.note(TOWNSHIP, "ID one wrong digit");
            return one_wrong_digit(id, self.rng);
        }
        if x < 0.12
            && let Some(s) = swap_adjacent(id, self.rng)
        {
            self.note(TOWNSHIP, "ID two adjacent digits swapped");
            return s;
        }
        if x < 0.2
            && let Some(old) = to_15(id)
        {
            self.note(TOWNSHIP, "ID old 15-digit");
            return old;
        }
        if x < 0.22 {
            self.note(TOWNSHIP, "ID full-width digits");
            return full_width(id);
        }
        if x < 0.27 && !second {
            self.note(TOWNSHIP, "ID missing");
            return String::new();
        }
        if id.ends_with('X') && self.chance(0.5) {
            self.note(TOWNSHIP, "ID lower-case x");
            return id.to_lowercase();
        }
        id.clone()
    }

    // ------------------------------------------------------------------ notices

    /// One notice entry about `p`, from the jurisdiction `from`.
    fn notice_person(&mut self, i: usize, from: &str) {
        let persons = self.persons;
        let p = &persons[i];
        let divisions = self.reference.divisions;
        let x: f64 = self.rng.random();
        let id_number = if x < 0.05 {
            self.note(EXTERNAL, "ID missing");
            String::new()
        } else if x < 0.09 {
            self.note(EXTERNAL, "ID one wrong digit");
            one_wrong_digit(&p.id_number, self.rng)
        } else if x < 0.11
            && let Some(s) = swap_adjacent(&p.id_number, self.rng)
        {
            self.note(EXTERNAL, "ID two adjacent digits swapped");
            s
        } else if p.id_number.ends_with('X') && self.chance(0.5) {
            self.note(EXTERNAL, "ID lower-case x");
            p.id_number.to_lowercase()
        } else {
            p.id_number.clone()
        };
        let x: f64 = self.rng.random();
        let name = if x < 0.07
            && let Some(h) = homophone_typo(&p.name)
        {
            self.note(EXTERNAL, "name homophone typo");
            h
        } else if x < 0.11
            && let Some(t) = to_traditional(&p.name)
        {
            self.note(EXTERNAL, "name in Traditional");
            t
        } else {
            p.name.clone()
        };
        let x: f64 = self.rng.random();
        let phone = if x < 0.07 {
            // A number only the sender knows (a work phone, a relative's).
            self.note(EXTERNAL, "phone unknown to the other sources");
            self.new_phone()
        } else if x < 0.1 {
            self.note(EXTERNAL, "phone with +86- prefix");
            format!("+86-{}", p.phones[0])
        } else {
            p.phones[0].clone()
        };
        let current_address = match (&p.away, &p.home) {
            (Some(away), _) => {
                self.note(EXTERNAL, "current address outside the county");
                match &p.home {
                    Home::Outside { address, .. } => address.clone(),
                    Home::County { .. } => super::places::street_address(divisions, away, self.rng),
                }
            }
            (
                None,
                Home::County {
                    township,
                    village,
                    house,
                },
            ) => {
                let (t, v) = (
                    self.township_name(*township).to_owned(),
                    self.village_name(*township, *village).to_owned(),
                );
                let g = &self.reference.gazetteer;
                let x: f64 = self.rng.random();
                if x < 0.5 {
                    format!("{}{t}{v}{house}", self.county_prefix())
                } else if x < 0.8 {
                    format!("{}{t}{v}", g.name)
                } else {
                    format!("{}{}{t}", g.city, g.name)
                }
            }
            (None, Home::Outside { address, .. }) => address.clone(),
        };
        let sex = if p.male { "男" } else { "女" }.to_owned();
        let note = self.pick(&NOTICE_NOTES).to_owned();
        self.external.entry(from.to_owned()).or_default().push((
            Some(i),
            NoticePerson {
                record_id: String::new(),
                name,
                sex,
                id_number,
                phone,
                current_address,
                note,
            },
        ));
    }
}

/// The masked ID number a telecom list gives for a household's phone whose row carries no name:
/// `None` for half of them (and for a single's phone), which stay phone-only.
///
/// Mobile numbers are registered to a person by real name (since 2013), so an operator's list
/// can show the registered holder's ID number, masked as its lists mask them, even where it
/// leaves the name out. The draw uses a generator of its own (see [`super::seeded`]), so every
/// other row is drawn as without it.
fn registered_mask(p: &Person) -> Option<String> {
    p.household?;
    let mut rng = super::seeded(&p.id_number);
    if !rng.random_bool(0.5) {
        return None;
    }
    Some(if rng.random_bool(0.5) {
        mask_region(&p.id_number)
    } else {
        mask_prefecture(&p.id_number)
    })
}

/// Writes the population's records in the three sources' files.
pub fn render(
    persons: &[Person],
    households: usize,
    reference: &Reference,
    places: &Places,
    rng: &mut impl Rng,
) -> SynthFiles {
    let townships = reference.gazetteer.townships.len();
    let reporters = (0..townships)
        .map(|_| {
            let male = rng.random_bool(0.5);
            names::full_name(rng, male, None)
        })
        .collect();
    let mut g = Gen {
        persons,
        reference,
        places,
        rng,
        phones: persons
            .iter()
            .flat_map(|p| p.phones.iter().cloned())
            .collect(),
        noise: BTreeMap::new(),
        bigdata: Vec::new(),
        township: Vec::new(),
        external: BTreeMap::new(),
        reporters,
    };
    for (i, p) in persons.iter().enumerate() {
        // Which sources see the person: a township checks the county's residents, big data
        // catches phones and tickets, notices follow people from their jurisdiction.
        let (mut t, b, e) = match (&p.home, &p.away) {
            (Home::County { .. }, None) => (0.8, if p.holds_phone { 0.68 } else { 0.5 }, 0.24),
            (Home::County { .. }, Some(_)) => (0.7, 0.8, 0.4),
            (Home::Outside { .. }, _) => (0.3, 0.9, 0.55),
        };
        if townships == 0 {
            t = 0.0;
        }
        let mut seen = (g.chance(t), g.chance(b), g.chance(e));
        if !(seen.0 || seen.1 || seen.2) {
            match pick_weighted(g.rng, &[u32::from(townships > 0) * 45, 40, 15]) {
                0 => seen.0 = true,
                1 => seen.1 = true,
                _ => seen.2 = true,
            }
        }
        if seen.0 {
            let (tw, v) = match &p.home {
                Home::County {
                    township, village, ..
                } => (*township, *village),
                Home::Outside { .. } => {
                    let tw = g.rng.random_range(0..townships);
                    let n = reference.gazetteer.townships[tw].villages.len().max(1);
                    (tw, g.rng.random_range(0..n))
                }
            };
            g.township_row(i, tw, v, false);
            if p.away.is_none() && p.lives_in_county() && townships > 1 && g.chance(0.04) {
                // Reported again by another township (a relative's village, a workplace).
                let mut other = g.rng.random_range(0..townships - 1);
                if other >= tw {
                    other += 1;
                }
                let n = reference.gazetteer.townships[other].villages.len().max(1);
                let ov = g.rng.random_range(0..n);
                g.note(TOWNSHIP, "same person reported by a second township");
                g.township_row(i, other, ov, true);
            }
        }
        if seen.1 {
            let (batch, hint) = g.bigdata_row(i, None, None);
            if batch + 1 < BATCHES.len() && g.chance(0.06) {
                g.note(BIGDATA, "pushed again in a later batch");
                let later = g.rng.random_range(batch + 1..BATCHES.len());
                g.bigdata_row(i, Some(later), Some(hint));
            }
        }
        if seen.2 {
            g.notice_person(i, &p.origin);
            if g.chance(0.03) {
                let other = loop {
                    let o = places.origin(g.rng);
                    if o != p.origin {
                        break o;
                    }
                };
                g.note(EXTERNAL, "same person in a second notice");
                g.notice_person(i, &other);
            }
        }
    }
    finish(g, households)
}

/// Adds the unusable rows, numbers the records, and writes the files and the truth.
fn finish<R: Rng>(mut g: Gen<'_, R>, households: usize) -> SynthFiles {
    let mut stats = SynthStats {
        persons: g.persons.len(),
        households,
        household_members: g.persons.iter().filter(|p| p.household.is_some()).count(),
        noise: std::mem::take(&mut g.noise),
        ..SynthStats::default()
    };
    let unusable = |n: usize| (n * 5).div_ceil(1000);
    let divisions = g.reference.divisions;

    // Rows that name nobody: intake must reject them.
    for _ in 0..unusable(g.bigdata.len()) {
        let mut cells = vec![String::new(); BD_HEADERS.len()];
        let batch = g.rng.random_range(0..BATCHES.len());
        let origin = g.places.origin(g.rng);
        cells[4] = division_text(divisions, &origin, 2);
        cells[5] = date_text(day(BATCHES[0]) - Days::new(g.rng.random_range(1..10)), 0);
        cells[7] = "铁路".to_owned();
        cells[9] = date_text(day(BATCHES[batch]), 0);
        g.bigdata.push(Row {
            person: None,
            cells,
            group: batch,
        });
    }
    let townships = g.reference.gazetteer.townships.len();
    if townships > 0 {
        for _ in 0..unusable(g.township.len()) {
            let mut cells = vec![String::new(); TS_HEADERS.len()];
            let t = g.rng.random_range(0..townships);
            let n = g.reference.gazetteer.townships[t].villages.len().max(1);
            let v = g.rng.random_range(0..n);
            let village = g.village_name(t, v).to_owned();
            cells[1] = g.township_name(t).to_owned();
            cells[8] = format!("{village}{}组", g.rng.random_range(1..10));
            cells[2] = village;
            cells[9] = "武汉".to_owned();
            cells[13].clone_from(&g.reporters[t]);
            cells[14] = "2020-01-29".to_owned();
            cells[15] = "家中无人，信息待补".to_owned();
            g.township.push(Row {
                person: None,
                cells,
                group: t,
            });
        }
    }
    let notice_persons: usize = g.external.values().map(Vec::len).sum();
    for _ in 0..unusable(notice_persons) {
        let from = g.places.origin(g.rng);
        g.external.entry(from).or_default().push((
            None,
            NoticePerson {
                record_id: String::new(),
                name: String::new(),
                sex: String::new(),
                id_number: String::new(),
                phone: String::new(),
                current_address: g.reference.gazetteer.name.clone(),
                note: "信息不全，请核实".to_owned(),
            },
        ));
    }

    let mut truth: Vec<(&'static str, String, usize)> = Vec::new();
    let mut rejected = Vec::new();
    let mut record = |source: &'static str, id: &str, person: Option<usize>| match person {
        Some(p) => truth.push((source, id.to_owned(), p)),
        None => rejected.push((source, id.to_owned())),
    };

    // Big data: numbered per batch in a shuffled order, listed by number.
    let mut bigdata = std::mem::take(&mut g.bigdata);
    bigdata.shuffle(g.rng);
    let mut counters = [0usize; BATCHES.len()];
    for row in &mut bigdata {
        counters[row.group] += 1;
        row.cells[0] = format!(
            "DSJ-{}-{:05}",
            day(BATCHES[row.group]).format("%Y%m%d"),
            counters[row.group]
        );
    }
    bigdata.sort_by(|a, b| a.cells[0].cmp(&b.cells[0]));
    for row in &bigdata {
        record(BIGDATA, &row.cells[0], row.person.map(|i| g.persons[i].id));
    }
    let bigdata_csv = write_csv(&BD_HEADERS, &bigdata, true);

    // Township forms: numbered per township with its initials, in a shuffled file.
    let mut township = std::mem::take(&mut g.township);
    township.shuffle(g.rng);
    let prefixes = unique_tags(
        g.reference
            .gazetteer
            .townships
            .iter()
            .map(|t| initials(&t.name)),
    );
    let mut counters = vec![0usize; townships];
    for row in &mut township {
        counters[row.group] += 1;
        row.cells[0] = format!("{}-{:05}", prefixes[row.group], counters[row.group]);
        record(TOWNSHIP, &row.cells[0], row.person.map(|i| g.persons[i].id));
    }
    let township_csv = write_csv(&TS_HEADERS, &township, false);

    // Notices: per sending jurisdiction, its persons in notices of up to 30, numbered.
    let jurisdictions: Vec<String> = g.external.keys().cloned().collect();
    let tags = unique_tags(jurisdictions.iter().map(|code| {
        divisions.get(code).map_or_else(
            || "WD".to_owned(),
            |d| initials(d.name.trim_end_matches(['区', '县', '市'])),
        )
    }));
    let mut notices = Vec::new();
    let mut external = std::mem::take(&mut g.external);
    for (code, tag) in jurisdictions.iter().zip(&tags) {
        let Some(mut entries) = external.remove(code) else {
            continue;
        };
        entries.shuffle(g.rng);
        let division = divisions.get(code);
        let place = division.map_or_else(|| code.clone(), |d| d.name.clone());
        let short = place.trim_end_matches(['区', '县', '市']).to_owned();
        let full = divisions.full_name(code).unwrap_or_else(|| place.clone());
        let province = divisions
            .province_of(code)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        let area_code = if code.starts_with("4201") {
            "027".to_owned()
        } else {
            format!("07{}", g.rng.random_range(10..29))
        };
        let mut number = g.rng.random_range(3..20);
        let mut rest = entries.as_mut_slice();
        while !rest.is_empty() {
            let size = g.rng.random_range(8..=30).min(rest.len());
            let (chunk, tail) = rest.split_at_mut(size);
            rest = tail;
            let mut persons = Vec::with_capacity(chunk.len());
            for (k, (person, entry)) in chunk.iter_mut().enumerate() {
                entry.record_id = format!("{tag}{number:02}-{:02}", k + 1);
                record(EXTERNAL, &entry.record_id, person.map(|i| g.persons[i].id));
                persons.push(std::mem::replace(
                    entry,
                    NoticePerson {
                        record_id: String::new(),
                        name: String::new(),
                        sex: String::new(),
                        id_number: String::new(),
                        phone: String::new(),
                        current_address: String::new(),
                        note: String::new(),
                    },
                ));
            }
            let send = day((2020, 1, 27)) + Days::new(g.rng.random_range(0..10));
            let contact_surname = names::surname(g.rng);
            let title = g.pick(&["科长", "主任", "股长"]);
            notices.push(Notice {
                notice_no: format!("{short}防控协〔2020〕{number}号"),
                sending_jurisdiction: full.clone(),
                send_date: date_text(send, 0),
                contact: format!(
                    "{contact_surname}{title} {area_code}-{}",
                    g.rng.random_range(80_000_000..89_999_999)
                ),
                note: format!(
                    "经我区大数据排查，以下{}名人员近期自{}前往你县，请协助核查并落实居家隔离措施，及时反馈。",
                    persons.len(),
                    full.strip_prefix(province.as_str()).unwrap_or(&full)
                ),
                persons,
            });
            number += 1;
        }
    }
    // Notices arrive in date order.
    notices.sort_by(|a, b| a.send_date.cmp(&b.send_date));
    let mut external_json = serde_json::to_string_pretty(&notices).unwrap_or_default();
    external_json.push('\n');

    let order = |s: &str| [BIGDATA, TOWNSHIP, EXTERNAL].iter().position(|x| *x == s);
    truth.sort_by(|a, b| (order(a.0), &a.1).cmp(&(order(b.0), &b.1)));
    let mut truth_csv = String::from("source,record_id,person_id\n");
    for (source, id, person) in &truth {
        truth_csv.push_str(&format!("{source},{id},{person}\n"));
    }

    for (source, _, _) in &truth {
        *stats.records.entry(source).or_default() += 1;
    }
    let mut sources_of: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for (source, _, person) in &truth {
        sources_of.entry(*person).or_default().insert(source);
    }
    stats.persons_in_truth = sources_of.len();
    for set in sources_of.values() {
        *stats.persons_by_sources.entry(set.len()).or_default() += 1;
    }
    stats.rejected = rejected;
    SynthFiles {
        bigdata_csv,
        township_csv,
        external_json,
        truth_csv,
        stats,
    }
}

/// Tags made unique by a letter suffix where two places share initials (in input order).
fn unique_tags(tags: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    tags.map(|t| {
        let t = if t.is_empty() { "X".to_owned() } else { t };
        // A letter, not a digit: a notice's number follows the tag in its record IDs.
        let mut tag = t.clone();
        let mut suffix = b'B';
        while !seen.insert(tag.clone()) {
            tag = format!("{t}{}", char::from(suffix));
            suffix = suffix.saturating_add(1);
        }
        tag
    })
    .collect()
}

/// A CSV file: `bom_crlf` for the province's Windows-made lists (BOM, CRLF), else plain UTF-8.
fn write_csv(headers: &[&str], rows: &[Row], bom_crlf: bool) -> String {
    let mut builder = csv::WriterBuilder::new();
    if bom_crlf {
        builder.terminator(csv::Terminator::CRLF);
    }
    let mut w = builder.from_writer(Vec::new());
    let _ = w.write_record(headers);
    for row in rows {
        let _ = w.write_record(&row.cells);
    }
    let bytes = w.into_inner().unwrap_or_default();
    let text = String::from_utf8(bytes).unwrap_or_default();
    if bom_crlf {
        format!("\u{feff}{text}")
    } else {
        text
    }
}
