//! The register's figures: the headline counts and the dashboard's groups, counted in SQL.

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter,
    QuerySelect,
};

use super::person_filter::PersonFilter;
use crate::db::{import_batch, person, record_link, source_record};
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::register::{HubeiLink, LocationStatus, Register};
use crate::states::Stored;

/// The headline figures of the register.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub persons: u64,
    pub by_location_status: Vec<(LocationStatus, u64)>,
    pub by_hubei_link: Vec<(HubeiLink, u64)>,
    pub records_by_source: Vec<(SourceKind, u64)>,
    pub batches: u64,
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
        })
    }

    /// Dashboard figures over the persons `filter` selects, grouped in SQL.
    pub async fn aggregates(&self, filter: &PersonFilter) -> Result<Aggregates, AppError> {
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
        })
    }
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
