//! Headline figures and dashboard aggregates.

use async_graphql::{ComplexObject, Context, Enum, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::common::Jurisdiction;
use super::enums::{HubeiLink, LocationStatus, Source};
use crate::intake::SourceKind;
use crate::register;
use crate::register::query::suppression::{suppress, suppress_one, suppress_table};

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
#[graphql(complex)]
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
    /// When the newest import batch was committed: the figures hold everything imported
    /// until then (null before the first import).
    pub data_as_of: Option<DateTime<Utc>>,
    /// For a DASHBOARD caller, the fewest persons a count may show: smaller counts are null,
    /// and so is the next smallest count of the same list when the total would give a
    /// withheld one away. Null for callers who may read persons (nothing is withheld).
    pub suppressed_below: Option<u64>,
    /// Townships of the county with no daily report dated the county's today (日报告；a zero
    /// report counts as filed), in the gazetteer's order. Names only, no personal data.
    pub reports_missing_today: Vec<String>,
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
    /// The persons selected, cross-tabulated by the `groupBy` argument: one group for every
    /// combination of keys, zero counts included (every township of the county gazetteer,
    /// every status, link, source and observation state, every jurisdiction someone is in,
    /// every day of `days`),
    /// ordered by the keys in `groupBy` order. Without `groupBy`, one group: everyone. A
    /// person found by two sources counts once under each when grouped by `SOURCE`. For a
    /// DASHBOARD caller, a group of fewer persons than `suppressedBelow` is null, and so are
    /// the next smallest groups of the same row or column (of the same stretch of days
    /// between two running totals shown) until the withheld ones of each are two at least
    /// and add up to the minimum.
    pub groups: Vec<AggregateGroup>,
    /// When the newest import batch was committed: the figures hold everything imported
    /// until then (null before the first import).
    pub data_as_of: Option<DateTime<Utc>>,
}

/// A dimension `aggregates` can cross-tabulate the persons by.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::query::GroupBy")]
pub enum GroupBy {
    /// The township (every township of the county gazetteer listed, zero included; null:
    /// persons without a township of the county).
    Township,
    /// The location status.
    Status,
    /// The link to Hubei.
    HubeiLink,
    /// Each source with a current record of the person: a person found by two sources is
    /// counted once under each, so these groups can add up to more than the persons.
    Source,
    /// The county-level jurisdiction (GB/T 2260): where an out-of-county person is, the
    /// county itself for an in-county person; null for persons pending verification.
    Jurisdiction,
    /// The day the person was first reported (not the first day of their observation), every
    /// day of the range listed (null: persons without one); each group has a running total.
    /// With `OBSERVATION_STATE`: today's observation states of the persons reported each day.
    Day,
    /// The state of the person's home observation in the county now (every state listed,
    /// zero included; null: persons not observed in the county now). With `TOWNSHIP`: the
    /// observation states by township.
    ObservationState,
}

/// The keys of one group: the value of each dimension grouped by; null for the dimensions
/// not grouped by, and for a group of persons without a value.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct GroupKeys {
    /// `TOWNSHIP`: the township.
    pub township: Option<String>,
    /// `STATUS`: the location status.
    pub status: Option<LocationStatus>,
    /// `HUBEI_LINK`: the link to Hubei.
    pub hubei_link: Option<HubeiLink>,
    /// `SOURCE`: the source.
    pub source: Option<Source>,
    /// `JURISDICTION`: the county-level jurisdiction.
    pub jurisdiction: Option<Jurisdiction>,
    /// `DAY`: the day first reported.
    pub day: Option<NaiveDate>,
    /// `OBSERVATION_STATE`: the state of the observation in the county now.
    pub observation_state: Option<super::followup::ObservationState>,
}

/// One group of a cross-tabulation.
#[derive(SimpleObject, Clone, Debug)]
pub struct AggregateGroup {
    /// What the persons of the group share.
    pub keys: GroupKeys,
    /// Persons in the group (null: withheld, see `suppressedBelow`).
    pub count: Option<u64>,
    /// Grouped by `DAY`, on a day: the persons with the same other keys first reported on
    /// that day or before, those before the range asked included (null on the group without
    /// a day, and when withheld: a dashboard is shown a running total only where it tells no
    /// group of fewer than `suppressedBelow` persons away).
    pub running_total: Option<u64>,
}

impl AggregateGroup {
    /// The groups of a cross-tabulation as shown to a caller held to groups of at least
    /// `min` persons (`None`: a caller who may read persons, shown everything).
    pub fn shown(g: register::query::Groups, min: Option<u64>) -> Vec<Self> {
        let counts: Vec<u64> = g.groups.iter().map(|x| x.count).collect();
        let running: Vec<Option<u64>> = g.groups.iter().map(|x| x.running_total).collect();
        let (counts, running) = match min {
            Some(min) => {
                let day = g
                    .dims
                    .iter()
                    .position(|d| *d == register::query::GroupBy::Day);
                suppress_table(&counts, &g.shape, day.map(|d| (d, running.as_slice())), min)
            }
            None => (counts.into_iter().map(Some).collect(), running),
        };
        g.groups
            .into_iter()
            .zip(counts.into_iter().zip(running))
            .map(|(group, (count, running_total))| {
                let k = group.keys;
                Self {
                    keys: GroupKeys {
                        township: k.township,
                        status: k.status.map(Into::into),
                        hubei_link: k.hubei_link.map(Into::into),
                        source: k.source.map(Into::into),
                        jurisdiction: k
                            .jurisdiction
                            .map(|(code, name)| Jurisdiction { code, name }),
                        day: k.day,
                        observation_state: k.observation_state.map(Into::into),
                    },
                    count,
                    running_total,
                }
            })
            .collect()
    }
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

#[ComplexObject]
impl Stats {
    /// The follow-up in figures: observations by state, alerts by kind and state, the
    /// verification worklists' sizes, incomplete teams. Counts only, withheld below
    /// `suppressedBelow` for a DASHBOARD caller as the other figures are.
    async fn followup(&self, ctx: &Context<'_>) -> Result<super::FollowupFigures> {
        let register = ctx.data::<crate::register::Register>()?;
        Ok(super::FollowupFigures::shown(
            register.followup_figures().await?,
            self.suppressed_below,
        ))
    }

    /// Alerts by township, kind and state: every township of the county gazetteer (then
    /// null, for alerts without a township of the county, when there are any), every kind
    /// and every state, zero included. Counts only, withheld below `suppressedBelow` for a
    /// DASHBOARD caller in every row and column as `aggregates` withholds its groups.
    async fn alerts_by_township(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::alert_figures::TownshipAlertCount>> {
        let register = ctx.data::<crate::register::Register>()?;
        let table = register.alerts_by_township().await?;
        Ok(super::alert_figures::shown(
            &table,
            self.suppressed_below,
            |township, kind, state, count| super::alert_figures::TownshipAlertCount {
                township,
                kind,
                state,
                count,
            },
        ))
    }

    /// Alerts by the day of the check they are about (China time; for a missing report, the
    /// report's day), kind and state: every day from the first alert's to the last's (the
    /// latest 366 at most), every kind and every state, zero included. Counts only, withheld
    /// as in `alertsByTownship`.
    async fn alerts_by_day(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::alert_figures::DayAlertCount>> {
        let register = ctx.data::<crate::register::Register>()?;
        let table = register.alerts_by_day().await?;
        Ok(super::alert_figures::shown(
            &table,
            self.suppressed_below,
            |day, kind, state, count| super::alert_figures::DayAlertCount {
                day,
                kind,
                state,
                count,
            },
        ))
    }

    /// Letters by state (states without letters left out); no personal data, a dashboard
    /// sees them too.
    async fn letters_by_state(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::letters::LetterStateCount>> {
        let register = ctx.data::<crate::register::Register>()?;
        Ok(register
            .letter_counts()
            .await?
            .into_iter()
            .map(|(state, count)| super::letters::LetterStateCount {
                state: state.into(),
                count,
            })
            .collect())
    }

    /// Issued letters by day of issue and state (days and states without letters left
    /// out; drafts have no day of issue); no personal data, a dashboard sees them too.
    async fn letters_by_issue_day(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::letters::LetterDayCount>> {
        let register = ctx.data::<crate::register::Register>()?;
        Ok(register
            .letter_counts_by_issue_day()
            .await?
            .into_iter()
            .map(|(day, state, count)| super::letters::LetterDayCount {
                day,
                state: state.into(),
                count,
            })
            .collect())
    }
}

impl Stats {
    /// [`Stats::shown`] with the townships whose daily report for the county's today is
    /// missing.
    pub async fn with_reports(
        register: &crate::register::Register,
        min: Option<u64>,
    ) -> Result<Self, crate::error::AppError> {
        let mut stats = Self::shown(register.stats().await?, min);
        stats.reports_missing_today = register
            .townships_missing(register.reference.clock.today())
            .await?;
        Ok(stats)
    }

    /// The headline figures as shown to a caller held to groups of at least `min` persons
    /// (`None`: a caller who may read persons, shown everything).
    pub fn shown(s: register::query::Stats, min: Option<u64>) -> Self {
        Self {
            persons: total(s.persons, min),
            by_location_status: counts(s.by_location_status, min),
            by_hubei_link: counts(s.by_hubei_link, min),
            records_by_source: counts(s.records_by_source, min),
            batches: s.batches,
            data_as_of: s.data_as_of,
            suppressed_below: min,
            reports_missing_today: Vec::new(),
        }
    }
}

impl Aggregates {
    /// The dashboard figures as shown to a caller held to groups of at least `min` persons
    /// (`None`: a caller who may read persons, shown everything); `groups` empty (see
    /// [`AggregateGroup::shown`]).
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
            groups: Vec::new(),
            data_as_of: a.data_as_of,
        }
    }
}
