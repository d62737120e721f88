//! GraphQL object types over the register's rows, one file per subject.

mod alert_figures;
mod audit;
mod batch;
mod common;
mod enums;
pub mod followup;
mod followup_figures;
mod history;
pub mod letters;
mod location;
mod model;
mod notice;
mod partner;
mod person;
mod record;
pub mod reports;
mod review;
mod search;
mod stats;
mod worklist;

pub use audit::AuditEntry;
pub use batch::{BatchReport, ImportBatch, RecordIdConflict, RejectedRow};
pub use common::{Jurisdiction, Read, Shown, check_range, ids, parse_id, visible};
pub use enums::{AuditKind, EventKind, HubeiLink, IdClass, LocationStatus, Sex, Source};
pub use followup_figures::FollowupFigures;
pub use history::ResolutionEvent;
pub use location::LocationEvidence;
pub use model::{BlockingRuleStats, MatchModel, ModelField, ModelLevel};
pub use notice::{Notice, NoticeFilterInput};
pub use partner::{Partner, PartnerWithSecret};
pub use person::{GoldenConflict, GoldenRecord, GoldenValue, Person, RecordLink};
pub use record::{NormalizedIdentity, RecordPhone, RecordProblem, SourceRecord, record_by_id};
pub use review::{MatchExplanation, RecordPair, ReviewCandidate, ReviewFilterInput, ReviewOrder};
pub use search::{MatchedOn, PersonSearchConnection, PersonSearchHit};
pub use stats::{AggregateGroup, GroupBy, GroupKeys};
pub use stats::{
    Aggregates, DayCount, DaySourceCount, HubeiLinkCount, LocationStatusCount, SourceCount, Stats,
    TownshipCount,
};
pub use worklist::{HouseholdTask, WorklistHint, WorklistItem};

#[cfg(test)]
mod tests;
