//! The follow-up in figures, for dashboards: counts only, no person (issue 20).

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, EntityTrait, PaginatorTrait as _, QueryFilter as _, QuerySelect as _,
};

use crate::db::{followup_alert, observation, person};
use crate::error::AppError;
use crate::register::Register;
use crate::states::{
    AlertKind, AlertState, LocationStatus, ObservationState, Stored as _, TeamRole,
};

/// The follow-up's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowupFigures {
    /// Persons with an observation in the county now, by its state (every state listed).
    pub by_observation_state: Vec<(ObservationState, u64)>,
    /// Alerts open (raised, not yet acknowledged or resolved), by kind (every kind listed).
    pub open_alerts_by_kind: Vec<(AlertKind, u64)>,
    /// Alerts by state (every state listed).
    pub alerts_by_state: Vec<(AlertState, u64)>,
    /// Persons on the county's own verification worklist (no hint of a township).
    pub county_worklist: u64,
    /// Persons on each township's verification worklist (every township of the gazetteer).
    pub worklist_by_township: Vec<(String, u64)>,
    /// Persons under observation whose team (五包一) lacks a role.
    pub team_incomplete: u64,
}

/// Every value of `K` with its count in `rows` (zero when absent).
fn every<K: crate::states::Stored + Eq + std::hash::Hash>(rows: Vec<(K, i64)>) -> Vec<(K, u64)> {
    let counts: HashMap<K, i64> = rows.into_iter().collect();
    K::ALL
        .iter()
        .map(|k| (*k, counts.get(k).map_or(0, |n| n.unsigned_abs())))
        .collect()
}

impl Register {
    /// The follow-up's counts: observations by state, alerts by kind and state, worklist
    /// sizes, incomplete teams.
    pub async fn followup_figures(&self) -> Result<FollowupFigures, AppError> {
        let conn = &self.db.conn;
        let states: Vec<(ObservationState, i64)> = observation::Entity::find()
            .select_only()
            .column(observation::Column::State)
            .column_as(observation::Column::PersonId.count(), "n")
            .filter(observation::Column::Active.eq(true))
            .group_by(observation::Column::State)
            .into_tuple()
            .all(conn)
            .await?;
        let open: Vec<(AlertKind, i64)> = followup_alert::Entity::find()
            .select_only()
            .column(followup_alert::Column::Kind)
            .column_as(followup_alert::Column::Id.count(), "n")
            .filter(followup_alert::Column::State.eq(AlertState::Open))
            .group_by(followup_alert::Column::Kind)
            .into_tuple()
            .all(conn)
            .await?;
        let alert_states: Vec<(AlertState, i64)> = followup_alert::Entity::find()
            .select_only()
            .column(followup_alert::Column::State)
            .column_as(followup_alert::Column::Id.count(), "n")
            .group_by(followup_alert::Column::State)
            .into_tuple()
            .all(conn)
            .await?;
        let pending: Vec<(Option<String>, i64)> = person::Entity::find()
            .select_only()
            .column(person::Column::Township)
            .column_as(person::Column::Id.count(), "n")
            .filter(person::Column::MergedInto.is_null())
            .filter(person::Column::LocationStatus.eq(LocationStatus::PendingVerification.as_str()))
            .group_by(person::Column::Township)
            .into_tuple()
            .all(conn)
            .await?;
        let pending: HashMap<Option<String>, u64> = pending
            .into_iter()
            .map(|(t, n)| (t, n.unsigned_abs()))
            .collect();
        let team_incomplete = observation::Entity::find()
            .filter(observation::Column::Active.eq(true))
            .filter(observation::Column::State.eq(ObservationState::UnderObservation))
            .filter(Expr::cust(format!(
                "(SELECT COUNT(DISTINCT team_member.role) FROM team_member \
                 WHERE team_member.person_id = observation.person_id) < {}",
                TeamRole::ALL.len()
            )))
            .count(conn)
            .await?;
        Ok(FollowupFigures {
            by_observation_state: every(states),
            open_alerts_by_kind: every(open),
            alerts_by_state: every(alert_states),
            county_worklist: pending.get(&None).copied().unwrap_or(0),
            worklist_by_township: self
                .reference
                .gazetteer
                .townships
                .iter()
                .map(|t| {
                    let n = pending.get(&Some(t.name.clone())).copied().unwrap_or(0);
                    (t.name.clone(), n)
                })
                .collect(),
            team_incomplete,
        })
    }
}
