//! The register's figures: the headline counts and the dashboard's groups, counted in SQL.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{
    Expr, ExprTrait as _, JoinType, Query, QueryStatementBuilder as _, SelectStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait as _, EntityTrait, FromQueryResult, Order,
    PaginatorTrait, QueryFilter, QueryOrder as _, QuerySelect,
};

use super::person_filter::{DateRange, PersonFilter};
use crate::db::{import_batch, observation, person, record_link, source_record};
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::register::{HubeiLink, LocationStatus, Register};
use crate::states::{ObservationState, Stored};

/// The headline figures of the register.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub persons: u64,
    pub by_location_status: Vec<(LocationStatus, u64)>,
    pub by_hubei_link: Vec<(HubeiLink, u64)>,
    pub records_by_source: Vec<(SourceKind, u64)>,
    pub batches: u64,
    /// When the newest import batch was committed (`None`: nothing imported yet).
    pub data_as_of: Option<DateTime<Utc>>,
}

/// Dashboard figures over the persons a filter selects, each group with its count.
#[derive(Debug, Clone, Default)]
pub struct Aggregates {
    pub persons: u64,
    /// Persons by the day they were first reported.
    pub by_day: Vec<(NaiveDate, u64)>,
    /// Persons by township (`None`: not known in a township of the county).
    pub by_township: Vec<(Option<String>, u64)>,
    /// Persons by location status (every status listed).
    pub by_status: Vec<(LocationStatus, u64)>,
    /// Persons by Hubei link (every link listed).
    pub by_hubei_link: Vec<(HubeiLink, u64)>,
    /// Persons with a current record from each source (every source listed; a person
    /// reported by two sources counts in both).
    pub by_source: Vec<(SourceKind, u64)>,
    /// New persons per day per source: each person counted on the day each source first
    /// reported them (the record's report date, else the day it was imported).
    pub new_per_day_by_source: Vec<(NaiveDate, SourceKind, u64)>,
    /// When the newest import batch was committed (`None`: nothing imported yet).
    pub data_as_of: Option<DateTime<Utc>>,
}

/// A dimension the persons a filter selects can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// The township of the county (every township of the gazetteer listed).
    Township,
    /// The location status.
    Status,
    /// The Hubei link.
    HubeiLink,
    /// Each source that has a current record of the person: a person found by two sources
    /// is in two groups.
    Source,
    /// The county-level jurisdiction: out of the county, the jurisdiction's code; in the
    /// county, the county's own; pending verification, none.
    Jurisdiction,
    /// The day the person was first reported.
    Day,
    /// The state of the person's observation in the county now (`None`: not observed in
    /// the county now).
    ObservationState,
}

/// The most groups one cross-tabulation may list (every combination of the keys counts, the
/// empty ones too).
pub const MAX_GROUPS: usize = 20_000;

/// The persons a filter selects, cross-tabulated: every combination of the keys of the
/// dimensions grouped by, zero counts included, laid out row-major over `shape` (the last
/// dimension varies fastest).
#[derive(Debug, Clone, Default)]
pub struct Groups {
    /// The dimensions, in the order asked, each once.
    pub dims: Vec<GroupBy>,
    /// How many keys each dimension has.
    pub shape: Vec<usize>,
    /// The groups, row-major over `shape`.
    pub groups: Vec<Group>,
}

/// One group of a cross-tabulation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    pub keys: GroupKeys,
    pub count: u64,
    /// Grouped by day, on a day: the persons of the same other keys first reported on that
    /// day or before (those before the range asked included).
    pub running_total: Option<u64>,
}

/// The keys of a group: one per dimension grouped by (`None` for the others, and for a group
/// of persons without a value: no township, no jurisdiction, no day).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupKeys {
    pub township: Option<String>,
    pub status: Option<LocationStatus>,
    pub hubei_link: Option<HubeiLink>,
    pub source: Option<SourceKind>,
    /// The GB/T 2260 code and the full name.
    pub jurisdiction: Option<(String, Option<String>)>,
    pub day: Option<NaiveDate>,
    pub observation_state: Option<ObservationState>,
}

#[derive(Debug, FromQueryResult)]
struct KeyCount {
    key: Option<String>,
    n: i64,
}

#[derive(Debug, FromQueryResult)]
struct DaySourceCount {
    day: Option<String>,
    source: String,
    n: i64,
}

impl Register {
    /// The headline figures.
    pub async fn stats(&self) -> Result<Stats, AppError> {
        let conn = &self.db.conn;
        let live = Condition::all().add(person::Column::MergedInto.is_null());
        let by = |col: person::Column| persons_by(conn, live.clone(), Expr::col(col), col);
        let statuses = by(person::Column::LocationStatus).await?;
        let links = by(person::Column::HubeiLink).await?;
        let sources = source_record::Entity::find()
            .select_only()
            .column_as(source_record::Column::Source, "key")
            .column_as(source_record::Column::Id.count(), "n")
            .filter(source_record::Column::IsCurrent.eq(true))
            .group_by(source_record::Column::Source)
            .into_model::<KeyCount>()
            .all(conn)
            .await?;
        Ok(Stats {
            persons: total(&statuses),
            by_location_status: counts_of(&statuses),
            by_hubei_link: counts_of(&links),
            records_by_source: counts_of(&sources),
            batches: import_batch::Entity::find().count(conn).await?,
            data_as_of: self.data_as_of().await?,
        })
    }

    /// Dashboard figures over the persons `filter` selects, grouped in SQL.
    pub async fn aggregates(&self, filter: &PersonFilter) -> Result<Aggregates, AppError> {
        self.check_person_filter(filter)?;
        let conn = &self.db.conn;
        let backend = self.db.backend();
        let cond = self.person_condition(filter);
        let by = |key: Expr, group: person::Column| persons_by(conn, cond.clone(), key, group);
        let days = by(
            Expr::cust(day_text(backend, "first_reported")),
            person::Column::FirstReported,
        )
        .await?;
        let by_column = |col: person::Column| by(Expr::col(col), col);
        let townships = by_column(person::Column::Township).await?;
        let statuses = by_column(person::Column::LocationStatus).await?;
        let links = by_column(person::Column::HubeiLink).await?;
        let series = new_per_day_by_source_query(backend, cond.clone());
        let series = DaySourceCount::find_by_statement(backend.build(&series))
            .all(conn)
            .await?;
        let (by_source, new_per_day_by_source) = source_counts(&series);
        Ok(Aggregates {
            persons: total(&statuses),
            by_day: day_counts(&days),
            by_township: township_counts(&townships),
            by_status: counts_of(&statuses),
            by_hubei_link: counts_of(&links),
            by_source,
            new_per_day_by_source,
            data_as_of: self.data_as_of().await?,
        })
    }

    /// When the newest import batch was committed (a batch is written in the transaction
    /// that commits its records): `None` before the first import.
    pub async fn data_as_of(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        Ok(import_batch::Entity::find()
            .select_only()
            .column(import_batch::Column::ImportedAt)
            .order_by_desc(import_batch::Column::ImportedAt)
            .limit(1)
            .into_tuple::<DateTime<Utc>>()
            .one(&self.db.conn)
            .await?)
    }

    /// The persons `filter` selects, cross-tabulated by `by` (each dimension once, in the
    /// order given), counted in SQL. Every combination of keys is listed, zero included:
    /// every township of the gazetteer, every status, link and source, every jurisdiction
    /// some person is in, and every day of `days` (by default the days of the data; persons
    /// reported before it count in the running totals only, those after it nowhere).
    /// `BAD_USER_INPUT` for `days` without `DAY`, and for more than [`MAX_GROUPS`] groups.
    pub async fn groups(
        &self,
        filter: &PersonFilter,
        by: &[GroupBy],
        days: DateRange,
    ) -> Result<Groups, AppError> {
        self.check_person_filter(filter)?;
        let dims = self.check_groups(by, days)?;
        let day_dim = dims.iter().position(|d| *d == GroupBy::Day);
        let backend = self.db.backend();
        let statement = self.group_statement(&dims, self.person_condition(filter));
        let rows = self
            .db
            .conn
            .query_all_raw(backend.build(&statement))
            .await?;
        let mut counted: Vec<(Vec<Option<String>>, u64)> = Vec::with_capacity(rows.len());
        for row in rows {
            let keys = (0..dims.len())
                .map(|i| row.try_get::<Option<String>>("", &format!("k{i}")))
                .collect::<Result<Vec<_>, _>>()?;
            counted.push((keys, count(row.try_get::<i64>("", "n")?)));
        }
        self.cross_tabulate(dims, day_dim, days, &counted)
    }

    /// The dimensions of `by`, each once in the order given; `BAD_USER_INPUT` for `days`
    /// without `DAY`, or a range that ends before it starts.
    pub fn check_groups(&self, by: &[GroupBy], days: DateRange) -> Result<Vec<GroupBy>, AppError> {
        let mut dims: Vec<GroupBy> = Vec::new();
        for d in by {
            if !dims.contains(d) {
                dims.push(*d);
            }
        }
        if !dims.contains(&GroupBy::Day) && (days.from.is_some() || days.to.is_some()) {
            return Err(AppError::BadInput(
                "日期范围 days 只用于按日（DAY）分组".into(),
            ));
        }
        if let (Some(from), Some(to)) = (days.from, days.to)
            && from > to
        {
            return Err(AppError::BadInput("days 的起始日期晚于结束日期".into()));
        }
        Ok(dims)
    }

    /// `SELECT k0, k1, …, COUNT(*) AS n FROM (SELECT <key expressions> FROM person … WHERE
    /// cond) AS g GROUP BY k0, k1, …`: grouped by the keys' names so that the key expressions
    /// (and their bound values) are written once, as PostgreSQL needs.
    fn group_statement(&self, dims: &[GroupBy], cond: Condition) -> SelectStatement {
        let backend = self.db.backend();
        let mut keyed = Query::select();
        keyed.from(person::Entity).cond_where(cond);
        if dims.is_empty() {
            keyed.column((person::Entity, person::Column::Id));
        }
        let col = |c: person::Column| Expr::col((person::Entity, c));
        for (i, dim) in dims.iter().enumerate() {
            let key: Expr = match dim {
                GroupBy::Township => col(person::Column::Township),
                GroupBy::Status => col(person::Column::LocationStatus),
                GroupBy::HubeiLink => col(person::Column::HubeiLink),
                GroupBy::Source => Expr::col(("person_source", "source")),
                GroupBy::Jurisdiction => {
                    let status = || col(person::Column::LocationStatus);
                    Expr::case(
                        status().eq(LocationStatus::InCounty.as_str()),
                        Expr::val(self.reference.gazetteer.code.clone()),
                    )
                    .case(
                        status().eq(LocationStatus::OutOfCounty.as_str()),
                        Expr::cust("substr(person.jurisdiction_code, 1, 6)"),
                    )
                    .into()
                }
                GroupBy::Day => Expr::cust(day_text(backend, "person.first_reported")),
                GroupBy::ObservationState => observation_state(),
            };
            keyed.expr_as(key, format!("k{i}"));
        }
        if dims.contains(&GroupBy::Source) {
            // (person, source) once for each source with a current record of the person.
            let person_sources = Query::select()
                .distinct()
                .column((record_link::Entity, record_link::Column::PersonId))
                .column((source_record::Entity, source_record::Column::Source))
                .from(record_link::Entity)
                .inner_join(
                    source_record::Entity,
                    Expr::col((source_record::Entity, source_record::Column::Id))
                        .equals((record_link::Entity, record_link::Column::SourceRecordId)),
                )
                .and_where(
                    Expr::col((source_record::Entity, source_record::Column::IsCurrent)).eq(true),
                )
                .to_owned();
            keyed.join_subquery(
                JoinType::InnerJoin,
                person_sources,
                "person_source",
                Expr::col(("person_source", "person_id"))
                    .equals((person::Entity, person::Column::Id)),
            );
        }
        let mut grouped = Query::select();
        grouped
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from_subquery(keyed, "g");
        for i in 0..dims.len() {
            grouped
                .column(format!("k{i}"))
                .group_by_col(format!("k{i}"));
        }
        grouped
    }

    /// The groups SQL counted (`counted`: keys as stored text, and counts), laid out over
    /// every combination of keys.
    fn cross_tabulate(
        &self,
        dims: Vec<GroupBy>,
        day_dim: Option<usize>,
        days: DateRange,
        counted: &[(Vec<Option<String>>, u64)],
    ) -> Result<Groups, AppError> {
        // The keys of each dimension, in the order they are listed.
        let observed = |i: usize| -> Vec<Option<String>> {
            let mut keys: Vec<Option<String>> = counted.iter().map(|(k, _)| k[i].clone()).collect();
            keys.sort_by(|a, b| (a.is_none(), a).cmp(&(b.is_none(), b)));
            keys.dedup();
            keys
        };
        let stored = |all: &[&'static str]| all.iter().map(|s| Some((*s).to_owned())).collect();
        let mut day_range: Option<(NaiveDate, NaiveDate)> = None;
        let mut domains: Vec<Vec<Option<String>>> = Vec::with_capacity(dims.len());
        for (i, dim) in dims.iter().enumerate() {
            let keys: Vec<Option<String>> = match dim {
                GroupBy::Township => {
                    let mut keys: Vec<Option<String>> = self
                        .reference
                        .gazetteer
                        .townships
                        .iter()
                        .map(|t| Some(t.name.clone()))
                        .collect();
                    for k in observed(i) {
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                    }
                    keys
                }
                GroupBy::Status => stored(&names::<LocationStatus>()),
                GroupBy::HubeiLink => stored(&names::<HubeiLink>()),
                GroupBy::Source => stored(&names::<SourceKind>()),
                GroupBy::Jurisdiction => observed(i),
                GroupBy::ObservationState => {
                    let mut keys: Vec<Option<String>> = stored(&names::<ObservationState>());
                    keys.push(None);
                    keys
                }
                GroupBy::Day => {
                    let seen = observed(i);
                    let parsed: Vec<NaiveDate> = seen
                        .iter()
                        .flatten()
                        .filter_map(|d| d.parse().ok())
                        .collect();
                    let from = days.from.or_else(|| parsed.iter().min().copied());
                    let to = days.to.or_else(|| parsed.iter().max().copied());
                    let mut keys = Vec::new();
                    if let (Some(from), Some(to)) = (from, to)
                        && from <= to
                    {
                        let n = (to - from).num_days().unsigned_abs();
                        if n >= MAX_GROUPS as u64 {
                            return Err(too_many_groups(n));
                        }
                        day_range = Some((from, to));
                        keys.extend(
                            from.iter_days()
                                .take_while(|d| *d <= to)
                                .map(|d| Some(d.to_string())),
                        );
                    }
                    if seen.contains(&None) {
                        keys.push(None);
                    }
                    keys
                }
            };
            domains.push(keys);
        }
        let shape: Vec<usize> = domains.iter().map(Vec::len).collect();
        let cells = shape
            .iter()
            .try_fold(1usize, |n, &k| {
                n.checked_mul(k).filter(|n| *n <= MAX_GROUPS)
            })
            .ok_or_else(|| too_many_groups(shape.iter().map(|&k| k as u64).product()))?;
        let strides: Vec<usize> = (0..shape.len())
            .map(|i| shape[i + 1..].iter().product())
            .collect();
        let positions: Vec<HashMap<&Option<String>, usize>> = domains
            .iter()
            .map(|keys| keys.iter().enumerate().map(|(p, k)| (k, p)).collect())
            .collect();
        let mut counts = vec![0u64; cells];
        // Persons reported before the range, per line of days (at the line's first cell).
        let mut before = vec![0u64; cells];
        'rows: for (keys, n) in counted {
            let mut cell = 0;
            let mut early = false;
            for (i, key) in keys.iter().enumerate() {
                let position = match (Some(i) == day_dim, day_range, key) {
                    (true, Some((from, to)), Some(day)) => {
                        let Ok(day) = day.parse::<NaiveDate>() else {
                            continue 'rows;
                        };
                        if day > to {
                            continue 'rows;
                        }
                        early = day < from;
                        positions[i].get(key).copied().unwrap_or(0)
                    }
                    _ => match positions[i].get(key) {
                        Some(&p) => p,
                        None => continue 'rows,
                    },
                };
                cell += position * strides[i];
            }
            if early {
                before[cell] += n;
            } else {
                counts[cell] += n;
            }
        }
        let mut running: Vec<Option<u64>> = vec![None; cells];
        if let (Some(d), Some((from, to))) = (day_dim, day_range) {
            let dated = usize::try_from((to - from).num_days()).unwrap_or(0) + 1;
            for start in (0..cells).filter(|c| (c / strides[d]).is_multiple_of(shape[d])) {
                let mut total = before[start];
                for p in 0..dated {
                    let cell = start + p * strides[d];
                    total += counts[cell];
                    running[cell] = Some(total);
                }
            }
        }
        let groups = (0..cells)
            .map(|cell| {
                let mut keys = GroupKeys::default();
                for (i, dim) in dims.iter().enumerate() {
                    let key = domains[i][(cell / strides[i]) % shape[i]].as_deref();
                    self.set_key(&mut keys, *dim, key);
                }
                Group {
                    keys,
                    count: counts[cell],
                    running_total: running[cell],
                }
            })
            .collect();
        Ok(Groups {
            dims,
            shape,
            groups,
        })
    }

    /// Sets the key of `dim` in `keys` from its stored text.
    fn set_key(&self, keys: &mut GroupKeys, dim: GroupBy, key: Option<&str>) {
        match dim {
            GroupBy::Township => keys.township = key.map(str::to_owned),
            GroupBy::Status => keys.status = key.and_then(LocationStatus::from_stored),
            GroupBy::HubeiLink => keys.hubei_link = key.and_then(HubeiLink::from_stored),
            GroupBy::Source => keys.source = key.and_then(SourceKind::from_db),
            GroupBy::Jurisdiction => {
                keys.jurisdiction = key.map(|code| (code.to_owned(), self.jurisdiction_name(code)));
            }
            GroupBy::Day => keys.day = key.and_then(|d| d.parse().ok()),
            GroupBy::ObservationState => {
                keys.observation_state = key.and_then(ObservationState::from_stored);
            }
        }
    }

    /// The full name of a county-level code (the county's own from its gazetteer).
    fn jurisdiction_name(&self, code: &str) -> Option<String> {
        let county = &self.reference.gazetteer;
        self.reference.divisions.full_name(code).or_else(|| {
            (code == county.code)
                .then(|| format!("{}{}{}", county.province, county.city, county.name))
        })
    }
}

/// The state of the person's active observation (`observation` has one row per person, the
/// person's own), NULL when the person is not observed in the county now.
fn observation_state() -> Expr {
    let state = Query::select()
        .column((observation::Entity, observation::Column::State))
        .from(observation::Entity)
        .and_where(
            Expr::col((observation::Entity, observation::Column::PersonId))
                .equals((person::Entity, person::Column::Id)),
        )
        .and_where(Expr::col((observation::Entity, observation::Column::Active)).eq(true))
        .to_owned();
    Expr::SubQuery(None, Box::new(state.into_sub_query_statement()))
}

/// The stored names of a stored state, in declaration order.
fn names<S: Stored>() -> Vec<&'static str> {
    S::ALL.iter().map(|s| s.as_str()).collect()
}

/// `BAD_USER_INPUT`: a cross-tabulation of `n` groups is more than one answer should hold.
fn too_many_groups(n: u64) -> AppError {
    AppError::BadInput(format!(
        "分组过多：{n} 组，最多 {MAX_GROUPS} 组；请减少分组维度或缩小日期范围"
    ))
}

/// Persons satisfying `cond`, counted by `key` (grouped by `group`).
async fn persons_by(
    conn: &sea_orm::DatabaseConnection,
    cond: Condition,
    key: Expr,
    group: person::Column,
) -> Result<Vec<KeyCount>, sea_orm::DbErr> {
    person::Entity::find()
        .select_only()
        .column_as(key, "key")
        .column_as(person::Column::Id.count(), "n")
        .filter(cond)
        .group_by(group)
        .into_model::<KeyCount>()
        .all(conn)
        .await
}

/// A group's count as SQL gave it (a count is never negative).
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The count of the group `key` among `rows` (0 when absent).
fn count_of(rows: &[KeyCount], key: &str) -> u64 {
    rows.iter()
        .find(|r| r.key.as_deref() == Some(key))
        .map_or(0, |r| count(r.n))
}

/// The persons counted in `groups`.
fn total(groups: &[KeyCount]) -> u64 {
    groups.iter().map(|r| count(r.n)).sum()
}

/// Every value of a stored state with its count among `groups` (0 when absent).
fn counts_of<S: Stored>(groups: &[KeyCount]) -> Vec<(S, u64)> {
    S::ALL
        .iter()
        .copied()
        .map(|s| (s, count_of(groups, s.as_str())))
        .collect()
}

/// The counts by day, in day order (groups without a day are left out).
fn day_counts(groups: &[KeyCount]) -> Vec<(NaiveDate, u64)> {
    let mut by_day: Vec<(NaiveDate, u64)> = groups
        .iter()
        .filter_map(|r| Some((r.key.as_deref()?.parse().ok()?, count(r.n))))
        .collect();
    by_day.sort();
    by_day
}

/// The counts by township, the largest first, ties by name.
fn township_counts(groups: &[KeyCount]) -> Vec<(Option<String>, u64)> {
    let mut by_township: Vec<(Option<String>, u64)> =
        groups.iter().map(|r| (r.key.clone(), count(r.n))).collect();
    by_township.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    by_township
}

/// The persons each source reported (every source listed), and the series of new persons
/// per day per source.
#[expect(
    clippy::type_complexity,
    reason = "the two fields of `Aggregates` it fills, as they are typed there"
)]
fn source_counts(
    series: &[DaySourceCount],
) -> (Vec<(SourceKind, u64)>, Vec<(NaiveDate, SourceKind, u64)>) {
    let mut by_source: Vec<(SourceKind, u64)> =
        SourceKind::ALL.into_iter().map(|s| (s, 0)).collect();
    let mut new_per_day_by_source = Vec::new();
    for row in series {
        let Some(source) = SourceKind::from_db(&row.source) else {
            continue;
        };
        if let Some(entry) = by_source.iter_mut().find(|(s, _)| *s == source) {
            entry.1 += count(row.n);
        }
        if let Some(day) = row.day.as_deref().and_then(|d| d.parse().ok()) {
            new_per_day_by_source.push((day, source, count(row.n)));
        }
    }
    (by_source, new_per_day_by_source)
}

/// The persons `cond` selects counted by (day, source), in that order: each person on the day
/// each source first reported them (the record's report date, else the day it was imported).
fn new_per_day_by_source_query(backend: sea_orm::DbBackend, cond: Condition) -> SelectStatement {
    // (person, source, the day that source first reported them), for the selected persons.
    let selected = Query::select()
        .column(person::Column::Id)
        .from(person::Entity)
        .cond_where(cond)
        .to_owned();
    let record_day = format!(
        "MIN(COALESCE({}, {}))",
        day_text(backend, "source_record.report_date"),
        day_text(backend, "source_record.created_at")
    );
    let firsts = Query::select()
        .column((record_link::Entity, record_link::Column::PersonId))
        .column((source_record::Entity, source_record::Column::Source))
        .expr_as(Expr::cust(record_day), "day")
        .from(record_link::Entity)
        .inner_join(
            source_record::Entity,
            Expr::col((source_record::Entity, source_record::Column::Id))
                .equals((record_link::Entity, record_link::Column::SourceRecordId)),
        )
        .and_where(Expr::col((source_record::Entity, source_record::Column::IsCurrent)).eq(true))
        .and_where(
            Expr::col((record_link::Entity, record_link::Column::PersonId)).in_subquery(selected),
        )
        .group_by_col((record_link::Entity, record_link::Column::PersonId))
        .group_by_col((source_record::Entity, source_record::Column::Source))
        .to_owned();
    Query::select()
        .column("day")
        .column("source")
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(firsts, "firsts")
        .group_by_col("day")
        .group_by_col("source")
        .order_by("day", Order::Asc)
        .order_by("source", Order::Asc)
        .to_owned()
}

/// A date or timestamp column as `YYYY-MM-DD` text (NULL stays NULL) on either backend.
fn day_text(backend: sea_orm::DbBackend, column: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("to_char({column}, 'YYYY-MM-DD')"),
        // SQLite keeps dates and timestamps as ISO text: the day is its first ten characters.
        _ => format!("substr({column}, 1, 10)"),
    }
}
