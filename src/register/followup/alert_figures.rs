//! The follow-up's alerts in figures by township and by day, for dashboards: counts only.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait as _, EntityTrait, QuerySelect as _};

use crate::db::followup_alert;
use crate::error::AppError;
use crate::register::Register;
use crate::states::{AlertKind, AlertState, Stored as _};

/// The most days `alerts_by_day` lists.
const MAX_DAYS: i64 = 366;

/// Alerts cross-tabulated by kind and state (the last two dimensions, every kind and every
/// state listed, zero included), row-major: the first key varies slowest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertTable<K> {
    /// The keys of the first dimension, in order.
    pub keys: Vec<K>,
    /// One count per (key, kind, state), row-major.
    pub counts: Vec<u64>,
}

impl<K> AlertTable<K> {
    /// The shape of the table: keys, kinds, states.
    pub fn shape(&self) -> [usize; 3] {
        [self.keys.len(), AlertKind::ALL.len(), AlertState::ALL.len()]
    }

    /// Every cell: its key, kind, state and count, in table order.
    pub fn cells(&self) -> impl Iterator<Item = (&K, AlertKind, AlertState, u64)> {
        let (kinds, states) = (AlertKind::ALL.len(), AlertState::ALL.len());
        self.counts.iter().enumerate().filter_map(move |(i, n)| {
            Some((
                self.keys.get(i / (kinds * states))?,
                *AlertKind::ALL.get((i / states) % kinds)?,
                *AlertState::ALL.get(i % states)?,
                *n,
            ))
        })
    }
}

/// Counts `rows` of (key, kind, state, n) into a table over `keys`.
fn table<K: Eq + std::hash::Hash + Clone>(
    keys: Vec<K>,
    rows: impl Iterator<Item = (K, AlertKind, AlertState, u64)>,
) -> AlertTable<K> {
    let (kinds, states) = (AlertKind::ALL.len(), AlertState::ALL.len());
    let at: HashMap<K, usize> = keys
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    let mut counts = vec![0u64; keys.len() * kinds * states];
    for (key, kind, state, n) in rows {
        let (Some(k), Some(j), Some(s)) = (
            at.get(&key),
            AlertKind::ALL.iter().position(|x| *x == kind),
            AlertState::ALL.iter().position(|x| *x == state),
        ) else {
            continue;
        };
        counts[(k * kinds + j) * states + s] += n;
    }
    AlertTable { keys, counts }
}

/// Alerts counted by (township, day, kind, state).
type AlertRows = Vec<(Option<String>, NaiveDate, AlertKind, AlertState, i64)>;

impl Register {
    async fn alert_rows(&self) -> Result<AlertRows, AppError> {
        Ok(followup_alert::Entity::find()
            .select_only()
            .column(followup_alert::Column::Township)
            .column(followup_alert::Column::Date)
            .column(followup_alert::Column::Kind)
            .column(followup_alert::Column::State)
            .column_as(followup_alert::Column::Id.count(), "n")
            .group_by(followup_alert::Column::Township)
            .group_by(followup_alert::Column::Date)
            .group_by(followup_alert::Column::Kind)
            .group_by(followup_alert::Column::State)
            .into_tuple()
            .all(&self.db.conn)
            .await?)
    }

    /// Alerts by township (every township of the gazetteer, then `None` for alerts without
    /// a township of the county when there are any), kind and state.
    pub async fn alerts_by_township(&self) -> Result<AlertTable<Option<String>>, AppError> {
        let rows = self.alert_rows().await?;
        let mut keys: Vec<Option<String>> = self
            .reference
            .gazetteer
            .townships
            .iter()
            .map(|t| Some(t.name.clone()))
            .collect();
        if rows.iter().any(|r| !keys.contains(&r.0)) {
            keys.push(None);
        }
        let county = keys.clone();
        let rows = rows.into_iter().map(move |(t, _, kind, state, n)| {
            let t = if county.contains(&t) { t } else { None };
            (t, kind, state, n.unsigned_abs())
        });
        Ok(table(keys, rows))
    }

    /// Alerts by the day of the check they are about (China time; a missing report's day),
    /// kind and state: every day from the first alert's to the last's (at most a year, the
    /// latest), zero included.
    pub async fn alerts_by_day(&self) -> Result<AlertTable<NaiveDate>, AppError> {
        let rows = self.alert_rows().await?;
        let last = rows.iter().map(|r| r.1).max();
        let first = rows.iter().map(|r| r.1).min();
        let keys: Vec<NaiveDate> = match (first, last) {
            (Some(first), Some(last)) => {
                let first = first.max(last - chrono::Duration::days(MAX_DAYS - 1));
                first.iter_days().take_while(|d| *d <= last).collect()
            }
            _ => Vec::new(),
        };
        let rows = rows
            .into_iter()
            .map(|(_, day, kind, state, n)| (day, kind, state, n.unsigned_abs()));
        Ok(table(keys, rows))
    }
}
