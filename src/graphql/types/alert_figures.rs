//! The follow-up's alerts by township and by day (`stats { alertsByTownship alertsByDay }`):
//! counts a dashboard may read, no person.

use async_graphql::SimpleObject;
use chrono::NaiveDate;

use super::followup::{AlertKind, AlertState};
use crate::register::followup::AlertTable;
use crate::register::query::suppression::suppress_table;

/// Alerts of one kind in one state in one township.
#[derive(SimpleObject, Clone, Debug)]
pub struct TownshipAlertCount {
    /// The township (null: alerts without a township of the county).
    pub township: Option<String>,
    /// The kind.
    pub kind: AlertKind,
    /// The state.
    pub state: AlertState,
    /// Alerts (null: withheld, see `Stats.suppressedBelow`).
    pub count: Option<u64>,
}

/// Alerts of one kind in one state about one day.
#[derive(SimpleObject, Clone, Debug)]
pub struct DayAlertCount {
    /// The day of the check the alerts are about (China time; a missing report's day).
    pub day: NaiveDate,
    /// The kind.
    pub kind: AlertKind,
    /// The state.
    pub state: AlertState,
    /// Alerts (null: withheld, see `Stats.suppressedBelow`).
    pub count: Option<u64>,
}

/// Every cell of `table` as `make` builds it, the counts withheld below `min` when there is
/// one, in every row and column as `aggregates` withholds its groups.
pub fn shown<K: Clone, T>(
    table: &AlertTable<K>,
    min: Option<u64>,
    make: impl Fn(K, AlertKind, AlertState, Option<u64>) -> T,
) -> Vec<T> {
    let counts: Vec<Option<u64>> = match min {
        Some(min) => suppress_table(&table.counts, &table.shape(), None, min).0,
        None => table.counts.iter().copied().map(Some).collect(),
    };
    table
        .cells()
        .zip(counts)
        .map(|((key, kind, state, _), count)| make(key.clone(), kind.into(), state.into(), count))
        .collect()
}
