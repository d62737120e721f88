//! Headline figures and dashboard aggregates.

use async_graphql::SimpleObject;
use chrono::NaiveDate;

use super::enums::{HubeiLink, LocationStatus, Source};
use crate::intake::SourceKind;
use crate::register;
use crate::register::query::suppression::{suppress, suppress_one};

/// A count of persons in one location status.
#[derive(SimpleObject, Clone, Debug)]
pub struct LocationStatusCount {
    /// The status.
    pub status: LocationStatus,
    /// Persons in it (null: withheld, see `suppressedBelow`).
    pub count: Option<u64>,
}

/// A count of persons with one Hubei link.
#[derive(SimpleObject, Clone, Debug)]
pub struct HubeiLinkCount {
    /// The link.
    pub link: HubeiLink,
    /// Persons with it (null: withheld, see `suppressedBelow`).
    pub count: Option<u64>,
}

/// A count of current source records from one source.
#[derive(SimpleObject, Clone, Debug)]
pub struct SourceCount {
    /// The source.
    pub source: Source,
    /// Current records from it (null: withheld, see `suppressedBelow`).
    pub count: Option<u64>,
}

/// The register's headline figures.
#[derive(SimpleObject, Clone, Debug)]
pub struct Stats {
    /// Persons in the register (null: withheld, see `suppressedBelow`).
    pub persons: Option<u64>,
    /// Persons by location status (every status listed, zero included).
    pub by_location_status: Vec<LocationStatusCount>,
    /// Persons by Hubei link.
    pub by_hubei_link: Vec<HubeiLinkCount>,
    /// Current source records by source (every source listed, zero included).
    pub records_by_source: Vec<SourceCount>,
    /// Import batches.
    pub batches: u64,
    /// For a DASHBOARD caller, the fewest persons a count may show: smaller counts are null,
    /// and so is the next smallest count of the same list when the total would give a
    /// withheld one away. Null for callers who may read persons (nothing is withheld).
    pub suppressed_below: Option<u64>,
}

/// Persons first reported on one day.
#[derive(SimpleObject, Clone, Debug)]
pub struct DayCount {
    /// The day.
    pub day: NaiveDate,
    /// Persons (null: withheld, see `suppressedBelow`).
    pub count: Option<u64>,
}

/// Persons of one township.
#[derive(SimpleObject, Clone, Debug)]
pub struct TownshipCount {
    /// The township (null: not known in a township of the county).
    pub township: Option<String>,
    /// Persons (null: withheld, see `suppressedBelow`).
    pub count: Option<u64>,
}

/// Persons a source reported for the first time on one day.
#[derive(SimpleObject, Clone, Debug)]
pub struct DaySourceCount {
    /// The day.
    pub day: NaiveDate,
    /// The source.
    pub source: Source,
    /// Persons (null: withheld, see `suppressedBelow`).
    pub count: Option<u64>,
}

/// Dashboard figures over the persons a filter selects, computed in one request.
#[derive(SimpleObject, Clone, Debug)]
pub struct Aggregates {
    /// Persons selected (null: withheld, see `suppressedBelow`).
    pub persons: Option<u64>,
    /// Persons by the day they were first reported, oldest first.
    pub by_day: Vec<DayCount>,
    /// Persons by township, most first.
    pub by_township: Vec<TownshipCount>,
    /// Persons by location status (every status listed, zero included).
    pub by_status: Vec<LocationStatusCount>,
    /// Persons by Hubei link (every link listed, zero included).
    pub by_hubei_link: Vec<HubeiLinkCount>,
    /// Persons with a current record from each source (every source listed; a person
    /// reported by two sources counts in both).
    pub by_source: Vec<SourceCount>,
    /// Time series: persons each source reported for the first time, per day and source
    /// (the record's report date, else the day it was imported).
    pub new_persons_per_day: Vec<DaySourceCount>,
    /// For a DASHBOARD caller, the fewest persons a count may show: smaller counts are null,
    /// and so is the next smallest count of the same list (of a source's days, in
    /// `newPersonsPerDay`) when the total would give a withheld one away. Null for callers
    /// who may read persons (nothing is withheld).
    pub suppressed_below: Option<u64>,
}

impl From<(register::LocationStatus, Option<u64>)> for LocationStatusCount {
    fn from((status, count): (register::LocationStatus, Option<u64>)) -> Self {
        Self {
            status: status.into(),
            count,
        }
    }
}

impl From<(register::HubeiLink, Option<u64>)> for HubeiLinkCount {
    fn from((link, count): (register::HubeiLink, Option<u64>)) -> Self {
        Self {
            link: link.into(),
            count,
        }
    }
}

impl From<(SourceKind, Option<u64>)> for SourceCount {
    fn from((source, count): (SourceKind, Option<u64>)) -> Self {
        Self {
            source: source.into(),
            count,
        }
    }
}

impl From<(NaiveDate, Option<u64>)> for DayCount {
    fn from((day, count): (NaiveDate, Option<u64>)) -> Self {
        Self { day, count }
    }
}

impl From<(Option<String>, Option<u64>)> for TownshipCount {
    fn from((township, count): (Option<String>, Option<u64>)) -> Self {
        Self { township, count }
    }
}

/// Each group of one breakdown of the register's figures as its GraphQL count, the counts
/// withheld below `min` when there is one (`register::query::suppression`).
fn counts<K, U: From<(K, Option<u64>)>>(groups: Vec<(K, u64)>, min: Option<u64>) -> Vec<U> {
    let shown = match min {
        Some(min) => suppress(&groups.iter().map(|(_, n)| *n).collect::<Vec<_>>(), min),
        None => groups.iter().map(|(_, n)| Some(*n)).collect(),
    };
    groups
        .into_iter()
        .zip(shown)
        .map(|((key, _), count)| U::from((key, count)))
        .collect()
}

/// A total, withheld below `min` when there is one.
fn total(count: u64, min: Option<u64>) -> Option<u64> {
    match min {
        Some(min) => suppress_one(count, min),
        None => Some(count),
    }
}

/// The series of new persons per day per source, each source's days one breakdown (they add
/// up to the source's count in `bySource`).
fn series(rows: Vec<(NaiveDate, SourceKind, u64)>, min: Option<u64>) -> Vec<DaySourceCount> {
    let mut shown: Vec<Option<u64>> = rows.iter().map(|(_, _, n)| Some(*n)).collect();
    if let Some(min) = min {
        for source in SourceKind::ALL {
            let of_source: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].1 == source).collect();
            let counts: Vec<u64> = of_source.iter().map(|&i| rows[i].2).collect();
            for (i, count) in of_source.into_iter().zip(suppress(&counts, min)) {
                shown[i] = count;
            }
        }
    }
    rows.into_iter()
        .zip(shown)
        .map(|((day, source, _), count)| DaySourceCount {
            day,
            source: source.into(),
            count,
        })
        .collect()
}

impl Stats {
    /// The headline figures as shown to a caller held to groups of at least `min` persons
    /// (`None`: a caller who may read persons, shown everything).
    pub fn shown(s: register::query::Stats, min: Option<u64>) -> Self {
        Self {
            persons: total(s.persons, min),
            by_location_status: counts(s.by_location_status, min),
            by_hubei_link: counts(s.by_hubei_link, min),
            records_by_source: counts(s.records_by_source, min),
            batches: s.batches,
            suppressed_below: min,
        }
    }
}

impl Aggregates {
    /// The dashboard figures as shown to a caller held to groups of at least `min` persons
    /// (`None`: a caller who may read persons, shown everything).
    pub fn shown(a: register::query::Aggregates, min: Option<u64>) -> Self {
        Self {
            persons: total(a.persons, min),
            by_day: counts(a.by_day, min),
            by_township: counts(a.by_township, min),
            by_status: counts(a.by_status, min),
            by_hubei_link: counts(a.by_hubei_link, min),
            by_source: counts(a.by_source, min),
            new_persons_per_day: series(a.new_per_day_by_source, min),
            suppressed_below: min,
        }
    }
}
