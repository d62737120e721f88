//! Synthetic benchmark data: a population of persons linked to Hubei and the three sources'
//! files about them, with the noise each source really has, plus the truth of which record is
//! whom (`paicha synth`).
//!
//! Pure: [`generate`] returns the files' contents; writing them is the command line's job. The
//! same seed gives the same bytes. Everyone is fictional: names are drawn from lists, ID numbers
//! carry correct check characters over invented sequence numbers, phones are random.
//!
//! Each person has one true identity (name, valid 18-digit ID, birth date, sex agreeing with the
//! ID, one or two mobiles, a home in a township and village of the county or a place outside it,
//! an origin in Hubei, an arrival day in 2020-01-10..=25); about 30 % live in households of 2–5
//! sharing one phone and one address, and mostly one journey home (in 30 % of households some
//! members came another day). Each person then appears in one to three sources (about
//! 1.8 records a person: 40 % big-data rows, 45 % township rows, 15 % notice persons) written the
//! way that source writes: masked or missing ID numbers and phone-only rows on big-data lists
//! (half of a household phone's nameless rows show the registered holder's masked ID);
//! typos, 15-digit and full-width ID numbers, Traditional and homophone names, spaced, prefixed,
//! doubled or remark-only phones, township aliases and traditional ages on township forms;
//! the same person reported by two townships or in two notices. About 0.5 % of the rows name
//! nobody (no name, ID or phone): intake rejects them and the truth leaves them out.

mod ids;
mod names;
mod people;
mod places;
mod sources;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::Reference;

pub use people::REFERENCE_DAY;

/// A generator of its own for a decision about one person or household, seeded from `key`
/// (an ID number): a draw made this way leaves every other draw of the data as it was.
fn seeded(key: &str) -> StdRng {
    let seed = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    StdRng::seed_from_u64(seed)
}

/// The generated files and what they hold.
#[derive(Debug, Clone)]
pub struct SynthFiles {
    /// 大数据核查 list: CSV, UTF-8 with BOM, CRLF, Chinese headers.
    pub bigdata_csv: String,
    /// 镇办实地核查 forms: CSV, UTF-8, mixed Simplified / Traditional headers.
    pub township_csv: String,
    /// 外地通报协查 notices: a JSON array of notices with their persons.
    pub external_json: String,
    /// `source,record_id,person_id`: one row per record intake accepts.
    pub truth_csv: String,
    /// `person_id,status,township,jurisdiction`: where each person really is (`IN_COUNTY`
    /// with the township, `OUT_OF_COUNTY` with the GB/T 2260 code), for `paicha eval
    /// --location`.
    pub location_csv: String,
    /// Counts and the noise mix.
    pub stats: SynthStats,
}

/// Counts of what was generated (no personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// Persons in the population.
    pub persons: usize,
    /// Households of 2–5.
    pub households: usize,
    /// Persons living in a household.
    pub household_members: usize,
    /// Persons who appear in at least one accepted record.
    pub persons_in_truth: usize,
    /// Accepted records by source (`bigdata`, `township`, `external`).
    pub records: BTreeMap<&'static str, usize>,
    /// The deliberately unusable rows, `(source, record_id)`: intake must reject exactly these.
    pub rejected: Vec<(&'static str, String)>,
    /// Noise applied, by `(source, kind)`: how many accepted records carry it.
    pub noise: BTreeMap<(&'static str, &'static str), usize>,
    /// Persons by the number of distinct sources they appear in (1, 2, 3).
    pub persons_by_sources: BTreeMap<usize, usize>,
}

impl SynthStats {
    /// Accepted records of all sources.
    pub fn total_records(&self) -> usize {
        self.records.values().sum()
    }

    /// A readable summary: counts, then each kind of noise with its share of its source's rows.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let total = self.total_records();
        let pct = |n: usize, of: usize| {
            if of == 0 {
                0.0
            } else {
                100.0 * n as f64 / of as f64
            }
        };
        let _ = writeln!(
            out,
            "persons: {} ({} in {} households; {} in the truth)",
            self.persons, self.household_members, self.households, self.persons_in_truth
        );
        let _ = writeln!(
            out,
            "records: {total} accepted ({:.2} a person), {} rejected",
            total as f64 / self.persons.max(1) as f64,
            self.rejected.len()
        );
        for (source, n) in &self.records {
            let rejected = self.rejected.iter().filter(|(s, _)| s == source).count();
            let _ = writeln!(
                out,
                "  {source:<9} {n:>7} ({:.1} %), {rejected} rejected",
                pct(*n, total)
            );
        }
        let _ = writeln!(
            out,
            "persons by number of sources: {}",
            self.persons_by_sources
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(out, "noise (share of the source's accepted rows):");
        for ((source, kind), n) in &self.noise {
            let of = self.records.get(source).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "  {source:<9} {kind:<40} {n:>7} {:>6.2} %",
                pct(*n, of)
            );
        }
        out
    }
}

/// Generates `persons` persons and the three sources' files about them, deterministically for
/// `seed`, against the county and division table of `reference`.
pub fn generate(persons: usize, seed: u64, reference: &Reference) -> SynthFiles {
    let mut rng = StdRng::seed_from_u64(seed);
    let places = places::Places::new(reference);
    let (population, households) = people::population(persons, reference, &places, &mut rng);
    sources::render(&population, households, reference, &places, &mut rng)
}

/// An index drawn with the given weights (all zero: the first).
fn pick_weighted(rng: &mut (impl Rng + ?Sized), weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    if total == 0 {
        return 0;
    }
    let mut x = rng.random_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}
