//! Which persons a list or a figure selects, as one SQL condition.

use chrono::NaiveDate;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition};

use crate::db::{person, record_link, review_candidate, source_record};
use crate::intake::SourceKind;
use crate::register::{HubeiLink, LocationStatus, Register};
use crate::states::{ReviewState, Stored as _};

/// An inclusive range of days; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Which persons to list. Every condition given must hold (AND); later capabilities
/// (observation, alerts, letters) add their conditions here.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub location_status: Option<LocationStatus>,
    pub township: Option<String>,
    pub village: Option<String>,
    /// Persons with a current record from this source.
    pub source: Option<SourceKind>,
    pub hubei_link: Option<HubeiLink>,
    pub arrival_date: DateRange,
    pub first_reported: DateRange,
    /// Persons with (true) or without (false) a review candidate waiting for an analyst.
    pub review_pending: Option<bool>,
    /// Persons whose sources disagree (on a golden-record field or on where they are).
    pub has_conflicts: Option<bool>,
}

impl Register {
    /// The SQL condition of a persons filter (live persons only).
    pub(super) fn person_condition(&self, filter: &PersonFilter) -> Condition {
        let mut cond = Condition::all().add(person::Column::MergedInto.is_null());
        if let Some(status) = filter.location_status {
            cond = cond.add(person::Column::LocationStatus.eq(status.as_str()));
        }
        let township = filter.township.as_ref().map(|t| {
            self.reference
                .gazetteer
                .match_township(t)
                .map_or_else(|| t.clone(), |m| m.name)
        });
        if let Some(name) = &township {
            cond = cond.add(person::Column::Township.eq(name.clone()));
        }
        if let Some(village) = &filter.village {
            let name = self
                .reference
                .gazetteer
                .match_village(township.as_deref(), village)
                .map_or_else(|| village.clone(), |m| m.name);
            cond = cond.add(person::Column::Village.eq(name));
        }
        if let Some(source) = filter.source {
            cond = cond.add(
                person::Column::Id.in_subquery(persons_with_records(
                    Condition::all()
                        .add(source_record::Column::IsCurrent.eq(true))
                        .add(source_record::Column::Source.eq(source.as_db())),
                )),
            );
        }
        if let Some(link) = filter.hubei_link {
            cond = cond.add(person::Column::HubeiLink.eq(link.as_str()));
        }
        cond = cond
            .add(date_range(person::Column::ArrivalDate, filter.arrival_date))
            .add(date_range(
                person::Column::FirstReported,
                filter.first_reported,
            ));
        if let Some(pending) = filter.review_pending {
            let in_pending = person::Column::Id.in_subquery(persons_in_pending_candidates());
            cond = cond.add(if pending {
                Condition::all().add(in_pending)
            } else {
                Condition::all().add(in_pending).not()
            });
        }
        if let Some(conflicts) = filter.has_conflicts {
            // The golden record is compact JSON: a field with conflicts lists at least one.
            let any = Condition::any()
                .add(person::Column::LocationConflict.eq(true))
                .add(person::Column::Golden.like(r#"%"conflicts":[{%"#));
            cond = cond.add(if conflicts { any } else { any.not() });
        }
        cond
    }
}

fn date_range(col: person::Column, range: DateRange) -> Condition {
    let mut cond = Condition::all();
    if let Some(from) = range.from {
        cond = cond.add(col.gte(from));
    }
    if let Some(to) = range.to {
        cond = cond.add(col.lte(to));
    }
    cond
}

/// `SELECT person_id FROM record_link WHERE source_record_id IN (SELECT id FROM source_record
/// WHERE cond)`: the persons some of whose records satisfy `cond`.
pub(super) fn persons_with_records(cond: Condition) -> SelectStatement {
    Query::select()
        .column(record_link::Column::PersonId)
        .from(record_link::Entity)
        .cond_where(
            record_link::Column::SourceRecordId.in_subquery(
                Query::select()
                    .column(source_record::Column::Id)
                    .from(source_record::Entity)
                    .cond_where(cond)
                    .to_owned(),
            ),
        )
        .to_owned()
}

/// The persons one of whose records is in a review candidate waiting for an analyst.
fn persons_in_pending_candidates() -> SelectStatement {
    let pending = |side: review_candidate::Column| {
        Query::select()
            .column(side)
            .from(review_candidate::Entity)
            .and_where(review_candidate::Column::State.eq(ReviewState::Pending))
            .to_owned()
    };
    Query::select()
        .column(record_link::Column::PersonId)
        .from(record_link::Entity)
        .cond_where(
            Condition::any()
                .add(
                    record_link::Column::SourceRecordId
                        .in_subquery(pending(review_candidate::Column::RecordA)),
                )
                .add(
                    record_link::Column::SourceRecordId
                        .in_subquery(pending(review_candidate::Column::RecordB)),
                ),
        )
        .to_owned()
}
