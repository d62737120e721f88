//! Which persons a list or a figure selects, as one SQL condition.

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition};

use crate::db::{observation, person, record_link, review_candidate, source_record};
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::register::{HubeiLink, LocationStatus, Register};
use crate::states::{ReviewState, Stored as _};

/// An inclusive range of days; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A golden-record field whose sources can disagree, for [`PersonFilter::conflicts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictField {
    /// The name.
    Name,
    /// The ID number.
    IdNumber,
    /// Where the person is: the location status (in or out of the county), the township or
    /// the village.
    Location,
    /// The address.
    Address,
}

/// Which persons to list. Every condition given must hold (AND); a list of values holds when
/// any of them does (OR), and an empty list selects no one. Later capabilities (observation,
/// alerts, letters) add their conditions here.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    /// Persons in one of these location statuses.
    pub location_status: Option<Vec<LocationStatus>>,
    pub township: Option<String>,
    pub village: Option<String>,
    /// Persons with a current record from one of these sources.
    pub source: Option<Vec<SourceKind>>,
    /// Persons with one of these Hubei links.
    pub hubei_link: Option<Vec<HubeiLink>>,
    pub arrival_date: DateRange,
    pub first_reported: DateRange,
    /// Persons with (true) or without (false) a review candidate waiting for an analyst.
    pub review_pending: Option<bool>,
    /// Persons whose sources disagree (on a golden-record field or on where they are).
    pub has_conflicts: Option<bool>,
    /// A GB/T 2260 code or its prefix (`42`: Hubei, `4201`/`420100`: Wuhan, `420102`): persons
    /// whose jurisdiction is in it (in-county persons are in the county's own code).
    pub jurisdiction: Option<String>,
    /// Persons no current record of this source has found yet.
    pub missing_source: Option<SourceKind>,
    /// Persons whose golden record has a conflict on one of these fields.
    pub conflicts: Option<Vec<ConflictField>>,
    /// True: persons under observation whose team (五包一) lacks a role; false: persons under
    /// observation whose team is complete.
    pub team_incomplete: Option<bool>,
    /// Persons whose observation (in the county now) is in one of these states.
    pub observation_state: Option<Vec<crate::states::ObservationState>>,
    /// Persons whose case status (the latest recorded, dated on or before `case_as_of` when
    /// given) is one of these.
    pub case_status: Option<Vec<crate::states::CaseStatus>>,
    /// The day `case_status` is read on (its latest recording dated on or before it).
    pub case_as_of: Option<NaiveDate>,
    /// Persons with an alert of one of these kinds not yet resolved.
    pub open_alert: Option<Vec<crate::states::AlertKind>>,
    /// Persons with a temperature reading (not superseded) taken on this day.
    pub temperature_on: Option<NaiveDate>,
    /// Persons counted once by how they were found: the strongest source among their current
    /// records ([`found_by_order`]: a township check, then a notice, then big data) is one of
    /// these.
    pub found_by: Option<Vec<SourceKind>>,
    /// True: persons on an issued request letter (协查函) not left and not answered `MOVED_ON`;
    /// false: persons on none. Read as of the end of `letter_as_of` when given.
    pub letter_covered: Option<bool>,
    /// The day `letter_covered` is read on: letters issued, and moves answered, on or before it.
    pub letter_as_of: Option<NaiveDate>,
}

/// The sources from the strongest evidence of where a person is to the weakest: a township's
/// on-site check beats a notice, which beats a big-data hint (DESIGN "The register").
pub fn found_by_order() -> [SourceKind; 3] {
    [
        SourceKind::Township,
        SourceKind::External,
        SourceKind::Bigdata,
    ]
}

impl Register {
    /// `BAD_USER_INPUT` when `filter` names a township or village the county gazetteer does
    /// not know (after the usual normalisation: Traditional characters, missing suffixes,
    /// aliases) or a jurisdiction that is not a GB/T 2260 code or prefix: such a filter would
    /// answer nothing, which reads as "no one there" rather than "not understood".
    pub fn check_person_filter(&self, filter: &PersonFilter) -> Result<(), AppError> {
        let gazetteer = &self.reference.gazetteer;
        let township = match &filter.township {
            Some(t) => Some(
                gazetteer
                    .match_township(t)
                    .ok_or_else(|| AppError::BadInput(format!("未知的乡镇：{t}")))?
                    .name,
            ),
            None => None,
        };
        if let Some(village) = &filter.village
            && gazetteer
                .match_village(township.as_deref(), village)
                .is_none()
        {
            let in_townships: Vec<&str> = gazetteer
                .townships
                .iter()
                .filter(|t| gazetteer.match_village(Some(&t.name), village).is_some())
                .map(|t| t.name.as_str())
                .collect();
            return Err(AppError::BadInput(match &township {
                Some(t) => format!("未知的村（社区）：{t}没有{village}"),
                None if in_townships.len() > 1 => format!(
                    "{village}在多个乡镇都有（{}）：请同时给出乡镇",
                    in_townships.join("、")
                ),
                None => format!("未知的村（社区）：{village}"),
            }));
        }
        if let Some(code) = &filter.jurisdiction {
            jurisdiction_prefix(code)?;
        }
        Ok(())
    }

    /// The SQL condition of a persons filter (live persons only). Names the gazetteer does
    /// not know select no one: [`Register::check_person_filter`] refuses them first.
    pub(super) fn person_condition(&self, filter: &PersonFilter) -> Condition {
        let mut cond = Condition::all().add(person::Column::MergedInto.is_null());
        if let Some(statuses) = &filter.location_status {
            cond =
                cond.add(person::Column::LocationStatus.is_in(statuses.iter().map(|s| s.as_str())));
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
        if let Some(sources) = &filter.source {
            cond = cond.add(person::Column::Id.in_subquery(persons_with_current(sources)));
        }
        if let Some(source) = filter.missing_source {
            cond = cond.add(
                Condition::all()
                    .add(person::Column::Id.in_subquery(persons_with_current(&[source])))
                    .not(),
            );
        }
        if let Some(links) = &filter.hubei_link {
            cond = cond.add(person::Column::HubeiLink.is_in(links.iter().map(|l| l.as_str())));
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
        if let Some(code) = &filter.jurisdiction {
            cond = cond.add(self.jurisdiction_condition(code));
        }
        if let Some(incomplete) = filter.team_incomplete {
            cond = cond.add(
                person::Column::Id.in_subquery(persons_under_observation_with_team(!incomplete)),
            );
        }
        cond = self.followup_conditions(filter, cond);
        if let Some(fields) = &filter.conflicts {
            let backend = self.db.backend();
            let mut any = Condition::any();
            for field in fields {
                any = match field {
                    ConflictField::Name => any.add(golden_conflict(backend, "name")),
                    ConflictField::IdNumber => any.add(golden_conflict(backend, "id_number")),
                    ConflictField::Address => any.add(golden_conflict(backend, "address")),
                    ConflictField::Location => any
                        .add(person::Column::LocationConflict.eq(true))
                        .add(golden_conflict(backend, "township"))
                        .add(golden_conflict(backend, "village")),
                };
            }
            // An empty list selects no one, as an empty list of statuses does.
            cond = cond.add(if fields.is_empty() {
                Condition::all().add(Expr::cust("1 = 0"))
            } else {
                any
            });
        }
        cond
    }

    /// How many live persons `filter` selects (every person, whoever asks: for figures).
    pub async fn count_persons(&self, filter: &PersonFilter) -> Result<u64, AppError> {
        use sea_orm::{EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
        self.check_person_filter(filter)?;
        Ok(person::Entity::find()
            .filter(self.person_condition(filter))
            .count(&self.db.conn)
            .await?)
    }

    /// The conditions of the follow-up and case fields of `filter` (observation state, case
    /// status, open alerts, readings of a day), added to `cond`.
    fn followup_conditions(&self, filter: &PersonFilter, mut cond: Condition) -> Condition {
        use crate::db::{case_status, followup_alert, temperature_reading};
        use crate::states::AlertState;
        if let Some(states) = &filter.observation_state {
            cond = cond.add(
                person::Column::Id.in_subquery(
                    Query::select()
                        .column(observation::Column::PersonId)
                        .from(observation::Entity)
                        .and_where(observation::Column::Active.eq(true))
                        .and_where(
                            observation::Column::State.is_in(states.iter().map(|s| s.as_str())),
                        )
                        .to_owned(),
                ),
            );
        }
        if let Some(statuses) = &filter.case_status {
            // The latest recording (by date, then by ID) on or before the day.
            let on = filter
                .case_as_of
                .map(|d| format!("'{}'", d.format("%Y-%m-%d")));
            let dated = |alias: &str| {
                on.as_ref()
                    .map_or_else(String::new, |d| format!(" AND {alias}.date <= {d}"))
            };
            let latest = format!(
                "NOT EXISTS (SELECT 1 FROM case_status later                  WHERE later.person_id = case_status.person_id{}                  AND (later.date > case_status.date                  OR (later.date = case_status.date AND later.id > case_status.id)))",
                dated("later")
            );
            let mut select = Query::select();
            select
                .column(case_status::Column::PersonId)
                .from(case_status::Entity)
                .and_where(case_status::Column::Status.is_in(statuses.iter().map(|s| s.as_str())))
                .and_where(Expr::cust(latest));
            if let Some(day) = filter.case_as_of {
                select.and_where(case_status::Column::Date.lte(day));
            }
            cond = cond.add(person::Column::Id.in_subquery(select.to_owned()));
        }
        if let Some(kinds) = &filter.open_alert {
            cond = cond.add(
                person::Column::Id.in_subquery(
                    Query::select()
                        .column(followup_alert::Column::PersonId)
                        .from(followup_alert::Entity)
                        .and_where(followup_alert::Column::PersonId.is_not_null())
                        .and_where(followup_alert::Column::State.ne(AlertState::Resolved.as_str()))
                        .and_where(
                            followup_alert::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())),
                        )
                        .to_owned(),
                ),
            );
        }
        if let Some(sources) = &filter.found_by {
            let order = found_by_order();
            let mut any = Condition::any();
            for source in sources {
                let stronger: Vec<SourceKind> =
                    order.iter().copied().take_while(|s| s != source).collect();
                let mut this = Condition::all()
                    .add(person::Column::Id.in_subquery(persons_with_current(&[*source])));
                if !stronger.is_empty() {
                    this = this.add(
                        Condition::all()
                            .add(person::Column::Id.in_subquery(persons_with_current(&stronger)))
                            .not(),
                    );
                }
                any = any.add(this);
            }
            cond = cond.add(if sources.is_empty() {
                Condition::all().add(Expr::cust("1 = 0"))
            } else {
                any
            });
        }
        if let Some(day) = filter.temperature_on {
            cond = cond.add(
                person::Column::Id.in_subquery(
                    Query::select()
                        .column(temperature_reading::Column::PersonId)
                        .from(temperature_reading::Entity)
                        .and_where(temperature_reading::Column::Date.eq(day))
                        .and_where(temperature_reading::Column::Superseded.eq(false))
                        .to_owned(),
                ),
            );
        }
        if let Some(covered) = filter.letter_covered {
            let on_letter = person::Column::Id.in_subquery(letter_covered(filter.letter_as_of));
            cond = cond.add(if covered {
                Condition::all().add(on_letter)
            } else {
                Condition::all().add(on_letter).not()
            });
        }
        cond
    }

    /// The persons in the jurisdiction `code` names (a code or a prefix of one): those out of
    /// the county whose jurisdiction code starts with it, and the in-county persons when the
    /// county's own code does. A code that is no prefix selects no one.
    fn jurisdiction_condition(&self, code: &str) -> Condition {
        let Ok(prefix) = jurisdiction_prefix(code) else {
            return Condition::all().add(Expr::cust("1 = 0"));
        };
        let mut any =
            Condition::any().add(person::Column::JurisdictionCode.like(format!("{prefix}%")));
        if self.reference.gazetteer.code.starts_with(&prefix) {
            any = any.add(person::Column::LocationStatus.eq(LocationStatus::InCounty.as_str()));
        }
        any
    }
}

/// The prefix a jurisdiction filter matches codes by: the digits given, less the `00` pairs a
/// province or city code ends with (`420000` is `42`, `420100` is `4201`, `420102` itself).
/// `BAD_USER_INPUT` unless it is 2 to 12 digits.
fn jurisdiction_prefix(code: &str) -> Result<String, AppError> {
    let code = code.trim();
    if !(2..=12).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::BadInput(format!(
            "辖区应为 2 至 12 位的行政区划代码（GB/T 2260）或其前缀：{code}"
        )));
    }
    let mut prefix = code;
    while prefix.len() > 2 && prefix.len().is_multiple_of(2) && prefix.ends_with("00") {
        prefix = &prefix[..prefix.len() - 2];
    }
    Ok(prefix.to_owned())
}

/// The golden record's `field` lists at least one conflicting value (the golden record is a
/// JSON document in a TEXT column on both backends).
fn golden_conflict(backend: sea_orm::DbBackend, field: &str) -> Expr {
    Expr::cust(match backend {
        sea_orm::DbBackend::Postgres => {
            format!("jsonb_array_length((person.golden::jsonb) -> '{field}' -> 'conflicts') > 0")
        }
        _ => format!("json_array_length(person.golden, '$.{field}.conflicts') > 0"),
    })
}

/// The persons with a current record from one of `sources`.
fn persons_with_current(sources: &[SourceKind]) -> SelectStatement {
    persons_with_records(
        Condition::all()
            .add(source_record::Column::IsCurrent.eq(true))
            .add(source_record::Column::Source.is_in(sources.iter().map(|s| s.as_db()))),
    )
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
/// Persons under observation whose team holds every role (`complete`) or lacks one.
fn persons_under_observation_with_team(complete: bool) -> SelectStatement {
    use crate::states::{ObservationState, TeamRole};
    let roles = TeamRole::ALL.len();
    let compare = if complete { ">=" } else { "<" };
    Query::select()
        .column(observation::Column::PersonId)
        .from(observation::Entity)
        .and_where(observation::Column::Active.eq(true))
        .and_where(observation::Column::State.eq(ObservationState::UnderObservation))
        .and_where(Expr::cust(format!(
            "(SELECT COUNT(DISTINCT team_member.role) FROM team_member \
             WHERE team_member.person_id = observation.person_id) {compare} {roles}"
        )))
        .to_owned()
}

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

/// The persons an issued request letter covers (see [`PersonFilter::letter_covered`]): on its
/// list and not left, with no `MOVED_ON` answer on it, as of the end of `as_of` when given.
fn letter_covered(as_of: Option<NaiveDate>) -> SelectStatement {
    use crate::db::{letter, letter_person, letter_reply};
    use crate::states::{LetterKind, LetterPersonStatus, ReplyOutcome};
    use sea_orm::sea_query::ExprTrait as _;
    let mut moved = Query::select();
    moved
        .expr(Expr::val(1))
        .from(letter_reply::Entity)
        .and_where(
            Expr::col((letter_reply::Entity, letter_reply::Column::LetterId))
                .equals((letter_person::Entity, letter_person::Column::LetterId)),
        )
        .and_where(
            Expr::col((letter_reply::Entity, letter_reply::Column::PersonId))
                .equals((letter_person::Entity, letter_person::Column::PersonId)),
        )
        .and_where(
            Expr::col((letter_reply::Entity, letter_reply::Column::Outcome))
                .eq(ReplyOutcome::MovedOn.as_str()),
        );
    let mut select = Query::select();
    select
        .column((letter_person::Entity, letter_person::Column::PersonId))
        .from(letter_person::Entity)
        .inner_join(
            letter::Entity,
            Expr::col((letter::Entity, letter::Column::Id))
                .equals((letter_person::Entity, letter_person::Column::LetterId)),
        )
        .and_where(
            Expr::col((letter_person::Entity, letter_person::Column::Status))
                .ne(LetterPersonStatus::Left.as_str()),
        )
        .and_where(
            Expr::col((letter::Entity, letter::Column::Kind)).eq(LetterKind::Request.as_str()),
        )
        .and_where(Expr::col((letter::Entity, letter::Column::IssuedOn)).is_not_null());
    if let Some(day) = as_of {
        select.and_where(Expr::col((letter::Entity, letter::Column::IssuedOn)).lte(day));
        moved
            .and_where(Expr::col((letter_reply::Entity, letter_reply::Column::RepliedOn)).lte(day));
    }
    select.and_where(Expr::exists(moved).not());
    select
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jurisdiction_is_matched_by_its_code_less_the_zeros_of_a_province_or_city() {
        let prefix = |c: &str| jurisdiction_prefix(c).ok();
        assert_eq!(prefix("42").as_deref(), Some("42"));
        assert_eq!(prefix("420000").as_deref(), Some("42"));
        assert_eq!(prefix("4201").as_deref(), Some("4201"));
        assert_eq!(prefix("420100").as_deref(), Some("4201"));
        assert_eq!(prefix(" 420102 ").as_deref(), Some("420102"));
        assert_eq!(prefix("420102001").as_deref(), Some("420102001"));
        for bad in ["4", "武汉", "42a1", "4201020010001", ""] {
            assert!(prefix(bad).is_none(), "{bad}");
        }
    }
}
