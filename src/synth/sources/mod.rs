//! The three sources' files about a population, each written the way that source writes.
//!
//! [`render`] decides which sources see each person and has each source write its rows
//! ([`bigdata`], [`township`], [`notices`]); [`finish`] then adds the rows that name nobody,
//! numbers every source's records and writes the files and the [`truth`].

mod bigdata;
mod notices;
mod remarks;
mod township;
mod truth;

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use rand::Rng;

use super::ids::mobile;
use super::names::{self, homophone_typo, to_traditional};
use super::people::{Home, Person};
use super::places::Places;
use super::{SynthFiles, SynthStats, pick_weighted};
use crate::Reference;
use notices::NoticePerson;
use truth::Truth;

const BIGDATA: &str = "bigdata";
const TOWNSHIP: &str = "township";
const EXTERNAL: &str = "external";

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

/// How many rows that name nobody go into a file of `rows` rows (0.5 %, rounded up).
fn unusable_count(rows: usize) -> usize {
    (rows * 5).div_ceil(1000)
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

impl Row {
    /// A row that names nobody: intake must reject it.
    fn nobody(cells: Vec<String>, group: usize) -> Self {
        Row {
            person: None,
            cells,
            group,
        }
    }
}

/// A way a source misspells a name: its kind of noise, and the misspelling (`None` where it
/// does not apply to a name).
type Misspelling = (&'static str, fn(&str) -> Option<String>);
const TRADITIONAL: Misspelling = ("name in Traditional", to_traditional);
const HOMOPHONE: Misspelling = ("name homophone typo", homophone_typo);

/// The writer of the three files: the population, the draws, and each source's rows so far.
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

    /// `name` as the first of `tries` whose draw holds and that applies writes it, noted
    /// under `source`.
    fn misspelt(
        &mut self,
        source: &'static str,
        tries: &[(bool, Misspelling)],
        name: &str,
    ) -> Option<String> {
        for &(draw, (kind, misspell)) in tries {
            if draw && let Some(spelt) = misspell(name) {
                self.note(source, kind);
                return Some(spelt);
            }
        }
        None
    }

    /// Which sources see `p` (township, big data, notices); at least one does.
    ///
    /// A township checks the county's residents, big data catches phones and tickets, notices
    /// follow people from their jurisdiction.
    fn sources_seeing(&mut self, p: &Person) -> (bool, bool, bool) {
        let townships = self.reference.gazetteer.townships.len();
        let (mut t, b, e) = match (&p.home, &p.away) {
            (Home::County { .. }, None) => (0.8, if p.holds_phone { 0.68 } else { 0.5 }, 0.24),
            (Home::County { .. }, Some(_)) => (0.7, 0.8, 0.4),
            (Home::Outside { .. }, _) => (0.3, 0.9, 0.55),
        };
        if townships == 0 {
            t = 0.0;
        }
        let mut seen = (self.chance(t), self.chance(b), self.chance(e));
        if !(seen.0 || seen.1 || seen.2) {
            match pick_weighted(self.rng, &[u32::from(townships > 0) * 45, 40, 15]) {
                0 => seen.0 = true,
                1 => seen.1 = true,
                _ => seen.2 = true,
            }
        }
        seen
    }
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
        let (by_township, by_bigdata, by_notice) = g.sources_seeing(p);
        if by_township {
            g.township_rows(i);
        }
        if by_bigdata {
            g.bigdata_rows(i);
        }
        if by_notice {
            g.notice_persons(i);
        }
    }
    finish(g, households)
}

/// Adds the unusable rows, numbers the records, and writes the files and the truth.
fn finish<R: Rng>(mut g: Gen<'_, R>, households: usize) -> SynthFiles {
    let stats = SynthStats {
        persons: g.persons.len(),
        households,
        household_members: g.persons.iter().filter(|p| p.household.is_some()).count(),
        noise: std::mem::take(&mut g.noise),
        ..SynthStats::default()
    };
    // Rows that name nobody: intake must reject them.
    g.unusable_bigdata_rows();
    g.unusable_township_rows();
    g.unusable_notice_persons();

    let mut truth = Truth::default();
    let bigdata_csv = g.bigdata_file(&mut truth);
    let township_csv = g.township_file(&mut truth);
    let external_json = g.notices_file(&mut truth);
    let (truth_csv, stats) = truth.into_file(stats);
    let location_csv = location_file(g.persons, g.reference);
    SynthFiles {
        bigdata_csv,
        township_csv,
        external_json,
        truth_csv,
        location_csv,
        stats,
    }
}

/// `location.csv`: where each person really is, `person_id,status,township,jurisdiction`
/// (`IN_COUNTY` with the township, or `OUT_OF_COUNTY` with the division code).
fn location_file(persons: &[Person], reference: &Reference) -> String {
    let mut csv = String::from("person_id,status,township,jurisdiction\n");
    for p in persons {
        match (&p.away, &p.home) {
            (Some(code), _) | (None, Home::Outside { code, .. }) => {
                csv.push_str(&format!("{},OUT_OF_COUNTY,,{code}\n", p.id));
            }
            (None, Home::County { township, .. }) => {
                let name = reference
                    .gazetteer
                    .townships
                    .get(*township)
                    .map_or("", |t| t.name.as_str());
                csv.push_str(&format!("{},IN_COUNTY,{name},\n", p.id));
            }
        }
    }
    csv
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
