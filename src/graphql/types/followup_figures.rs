//! The follow-up in figures (`stats { followup }`): counts a dashboard may read, no person.

use async_graphql::SimpleObject;

use super::followup::{AlertKind, AlertState, ObservationState};
use super::stats::TownshipCount;
use crate::register::followup::FollowupFigures as Figures;
use crate::register::query::suppression::{suppress, suppress_one};

/// Persons whose observation is in one state.
#[derive(SimpleObject, Clone, Debug)]
pub struct ObservationStateCount {
    /// The state.
    pub state: ObservationState,
    /// Persons (null: withheld, see `Stats.suppressedBelow`).
    pub count: Option<u64>,
}

/// Alerts of one kind.
#[derive(SimpleObject, Clone, Debug)]
pub struct AlertKindCount {
    /// The kind.
    pub kind: AlertKind,
    /// Alerts (null: withheld, see `Stats.suppressedBelow`).
    pub count: Option<u64>,
}

/// Alerts in one state.
#[derive(SimpleObject, Clone, Debug)]
pub struct AlertStateCount {
    /// The state.
    pub state: AlertState,
    /// Alerts (null: withheld, see `Stats.suppressedBelow`).
    pub count: Option<u64>,
}

/// The follow-up's counts (issue 20). For a DASHBOARD caller, counts below
/// `Stats.suppressedBelow` are withheld as the other figures are.
#[derive(SimpleObject, Clone, Debug)]
pub struct FollowupFigures {
    /// Persons with an observation in the county now, by its state (every state listed).
    pub by_observation_state: Vec<ObservationStateCount>,
    /// Alerts raised and not yet acknowledged or resolved, by kind (every kind listed).
    pub open_alerts_by_kind: Vec<AlertKindCount>,
    /// Alerts by state (every state listed).
    pub alerts_by_state: Vec<AlertStateCount>,
    /// Persons on the county's own verification worklist (no hint of a township).
    pub county_worklist: Option<u64>,
    /// Persons on each township's verification worklist (every township of the county).
    pub worklist_by_township: Vec<TownshipCount>,
    /// Persons under observation whose responsible team (五包一) lacks one of the five roles.
    pub team_incomplete: Option<u64>,
}

/// The counts of one list, withheld below `min` when there is one.
fn shown<K>(groups: Vec<(K, u64)>, min: Option<u64>) -> Vec<(K, Option<u64>)> {
    let counts = match min {
        Some(min) => suppress(&groups.iter().map(|(_, n)| *n).collect::<Vec<_>>(), min),
        None => groups.iter().map(|(_, n)| Some(*n)).collect(),
    };
    groups.into_iter().map(|(k, _)| k).zip(counts).collect()
}

/// One count, withheld below `min` when there is one.
fn one(count: u64, min: Option<u64>) -> Option<u64> {
    match min {
        Some(min) => suppress_one(count, min),
        None => Some(count),
    }
}

impl FollowupFigures {
    /// The figures as shown to a caller held to groups of at least `min` (`None`: everything).
    pub fn shown(f: Figures, min: Option<u64>) -> Self {
        Self {
            by_observation_state: shown(f.by_observation_state, min)
                .into_iter()
                .map(|(state, count)| ObservationStateCount {
                    state: state.into(),
                    count,
                })
                .collect(),
            open_alerts_by_kind: shown(f.open_alerts_by_kind, min)
                .into_iter()
                .map(|(kind, count)| AlertKindCount {
                    kind: kind.into(),
                    count,
                })
                .collect(),
            alerts_by_state: shown(f.alerts_by_state, min)
                .into_iter()
                .map(|(state, count)| AlertStateCount {
                    state: state.into(),
                    count,
                })
                .collect(),
            county_worklist: one(f.county_worklist, min),
            worklist_by_township: shown(f.worklist_by_township, min)
                .into_iter()
                .map(|(township, count)| TownshipCount {
                    township: Some(township),
                    count,
                })
                .collect(),
            team_incomplete: one(f.team_incomplete, min),
        }
    }
}
