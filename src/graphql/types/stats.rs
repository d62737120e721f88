//! Headline figures and dashboard aggregates.

use async_graphql::SimpleObject;
use chrono::NaiveDate;

use super::enums::{HubeiLink, LocationStatus, Source};
use crate::intake::SourceKind;
use crate::register;

/// A count of persons in one location status.
#[derive(SimpleObject, Clone, Debug)]
pub struct LocationStatusCount {
    /// The status.
    pub status: LocationStatus,
    /// Persons in it.
    pub count: u64,
}

/// A count of persons with one Hubei link.
#[derive(SimpleObject, Clone, Debug)]
pub struct HubeiLinkCount {
    /// The link.
    pub link: HubeiLink,
    /// Persons with it.
    pub count: u64,
}

/// A count of current source records from one source.
#[derive(SimpleObject, Clone, Debug)]
pub struct SourceCount {
    /// The source.
    pub source: Source,
    /// Current records from it.
    pub count: u64,
}

/// The register's headline figures.
#[derive(SimpleObject, Clone, Debug)]
pub struct Stats {
    /// Persons in the register.
    pub persons: u64,
    /// Persons by location status (every status listed, zero included).
    pub by_location_status: Vec<LocationStatusCount>,
    /// Persons by Hubei link.
    pub by_hubei_link: Vec<HubeiLinkCount>,
    /// Current source records by source (every source listed, zero included).
    pub records_by_source: Vec<SourceCount>,
    /// Import batches.
    pub batches: u64,
}

/// Persons first reported on one day.
#[derive(SimpleObject, Clone, Debug)]
pub struct DayCount {
    /// The day.
    pub day: NaiveDate,
    /// Persons.
    pub count: u64,
}

/// Persons of one township.
#[derive(SimpleObject, Clone, Debug)]
pub struct TownshipCount {
    /// The township (null: not known in a township of the county).
    pub township: Option<String>,
    /// Persons.
    pub count: u64,
}

/// Persons a source reported for the first time on one day.
#[derive(SimpleObject, Clone, Debug)]
pub struct DaySourceCount {
    /// The day.
    pub day: NaiveDate,
    /// The source.
    pub source: Source,
    /// Persons.
    pub count: u64,
}

/// Dashboard figures over the persons a filter selects, computed in one request.
#[derive(SimpleObject, Clone, Debug)]
pub struct Aggregates {
    /// Persons selected.
    pub persons: u64,
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
}

impl From<(register::LocationStatus, u64)> for LocationStatusCount {
    fn from((status, count): (register::LocationStatus, u64)) -> Self {
        Self {
            status: status.into(),
            count,
        }
    }
}

impl From<(register::HubeiLink, u64)> for HubeiLinkCount {
    fn from((link, count): (register::HubeiLink, u64)) -> Self {
        Self {
            link: link.into(),
            count,
        }
    }
}

impl From<(SourceKind, u64)> for SourceCount {
    fn from((source, count): (SourceKind, u64)) -> Self {
        Self {
            source: source.into(),
            count,
        }
    }
}

impl From<(NaiveDate, u64)> for DayCount {
    fn from((day, count): (NaiveDate, u64)) -> Self {
        Self { day, count }
    }
}

impl From<(Option<String>, u64)> for TownshipCount {
    fn from((township, count): (Option<String>, u64)) -> Self {
        Self { township, count }
    }
}

impl From<(NaiveDate, SourceKind, u64)> for DaySourceCount {
    fn from((day, source, count): (NaiveDate, SourceKind, u64)) -> Self {
        Self {
            day,
            source: source.into(),
            count,
        }
    }
}

/// Each group of the register's figures as its GraphQL count.
fn counts<T, U: From<T>>(groups: Vec<T>) -> Vec<U> {
    groups.into_iter().map(U::from).collect()
}

impl From<register::query::Stats> for Stats {
    fn from(s: register::query::Stats) -> Self {
        Self {
            persons: s.persons,
            by_location_status: counts(s.by_location_status),
            by_hubei_link: counts(s.by_hubei_link),
            records_by_source: counts(s.records_by_source),
            batches: s.batches,
        }
    }
}

impl From<register::query::Aggregates> for Aggregates {
    fn from(a: register::query::Aggregates) -> Self {
        Self {
            persons: a.persons,
            by_day: counts(a.by_day),
            by_township: counts(a.by_township),
            by_status: counts(a.by_status),
            by_hubei_link: counts(a.by_hubei_link),
            by_source: counts(a.by_source),
            new_persons_per_day: counts(a.new_per_day_by_source),
        }
    }
}
