//! Reading the register: pages of persons, records and batches, and the headline figures.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Value,
};

use super::{HubeiLink, LocationStatus, Register};
use crate::access::audit::AuditKind;
use crate::config::limits::{DEFAULT_PAGE, MAX_PAGE, MIN_ID_SUFFIX};
use crate::db::{
    audit_log, import_batch, match_model, person, read_back, record_link, resolution_event,
    review_candidate, source_record,
};
use crate::error::AppError;
use crate::intake::{BatchReport, RejectedRow, SourceKind};
use crate::normalize::phone::normalize_phone;
use crate::normalize::{IdClass, normalize_name, parse_id_number};
use crate::states::{EventKind, ReviewState, Stored as _};

/// A page of rows in key order, and the total matching the filter.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub has_next: bool,
    pub has_previous: bool,
}

/// A position in a keyset-ordered list: the row's ID and, when the list is ordered by another
/// column, that column's value in the row (`None` for SQL NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub id: i64,
    pub value: Option<serde_json::Value>,
}

/// Keyset pagination arguments: rows after `after` (and before `before`) in the list's order,
/// the first `first` or the last `last` of them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    pub first: Option<u64>,
    pub last: Option<u64>,
}

/// Which audit-log entries to list; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries of this kind.
    pub kind: Option<AuditKind>,
    /// Only entries of this token.
    pub token_id: Option<i64>,
    /// Only entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only entries at or before this time.
    pub to: Option<DateTime<Utc>>,
}

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

/// The column persons are listed by; ties are broken by person ID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PersonOrderField {
    #[default]
    Id,
    NamePinyin,
    ArrivalDate,
    FirstReported,
    UpdatedAt,
}

/// The order of a persons list. NULLs sort after every value ascending, before descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersonOrder {
    pub field: PersonOrderField,
    pub descending: bool,
}

/// Which resolution events to list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Events of this person (as the subject or as the other person of a merge or decision).
    pub person_id: Option<i64>,
    /// Only these kinds.
    pub kinds: Vec<EventKind>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Which source records to list.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub source: Option<SourceKind>,
    pub batch_id: Option<i64>,
    /// Include superseded versions too (default: current versions only).
    pub all_versions: bool,
}

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

/// The keys a list is ordered by: an optional (nullable) column, then the row ID.
struct SortKey<C> {
    column: Option<C>,
    id: C,
    descending: bool,
}

impl<C: ColumnTrait> SortKey<C> {
    fn by_id(id: C) -> Self {
        Self {
            column: None,
            id,
            descending: false,
        }
    }

    /// Rows strictly after `(value, id)` in ascending order (NULLs last).
    fn ascending_after(&self, value: Option<Value>, id: i64) -> Condition {
        match (self.column, value) {
            (None, _) => Condition::all().add(self.id.gt(id)),
            (Some(col), Some(v)) => Condition::any()
                .add(col.gt(v.clone()))
                .add(Condition::all().add(col.eq(v)).add(self.id.gt(id)))
                .add(col.is_null()),
            (Some(col), None) => Condition::all().add(col.is_null()).add(self.id.gt(id)),
        }
    }

    /// Rows strictly before `(value, id)` in ascending order (NULLs last).
    fn ascending_before(&self, value: Option<Value>, id: i64) -> Condition {
        match (self.column, value) {
            (None, _) => Condition::all().add(self.id.lt(id)),
            (Some(col), Some(v)) => Condition::any()
                .add(col.lt(v.clone()))
                .add(Condition::all().add(col.eq(v)).add(self.id.lt(id))),
            (Some(col), None) => Condition::any().add(col.is_not_null()).add(self.id.lt(id)),
        }
    }

    fn after(&self, value: Option<Value>, id: i64) -> Condition {
        if self.descending {
            self.ascending_before(value, id)
        } else {
            self.ascending_after(value, id)
        }
    }

    fn before(&self, value: Option<Value>, id: i64) -> Condition {
        if self.descending {
            self.ascending_after(value, id)
        } else {
            self.ascending_before(value, id)
        }
    }

    fn order<E: EntityTrait>(
        &self,
        select: sea_orm::Select<E>,
        reverse: bool,
    ) -> sea_orm::Select<E> {
        let dir = if self.descending != reverse {
            Order::Desc
        } else {
            Order::Asc
        };
        let mut select = select;
        if let Some(col) = self.column {
            select = select
                .order_by(Expr::col(col).is_null(), dir.clone())
                .order_by(col, dir.clone());
        }
        select.order_by(self.id, dir)
    }
}

/// A cursor's position as SQL values: (sort column value, ID).
type Position = (Option<Value>, i64);

async fn page_of<E, C>(
    select: sea_orm::Select<E>,
    key: C,
    args: PageArgs,
    conn: &sea_orm::DatabaseConnection,
) -> Result<Page<E::Model>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    let after = args.after.as_ref().map(|c| (None, c.id));
    let before = args.before.as_ref().map(|c| (None, c.id));
    keyset_page(select, &SortKey::by_id(key), after, before, &args, conn).await
}

async fn keyset_page<E, C>(
    select: sea_orm::Select<E>,
    key: &SortKey<C>,
    after: Option<Position>,
    before: Option<Position>,
    args: &PageArgs,
    conn: &sea_orm::DatabaseConnection,
) -> Result<Page<E::Model>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    let total = select.clone().count(conn).await?;
    let mut bounded = select;
    let has_after = after.is_some();
    let has_before = before.is_some();
    if let Some((value, id)) = after {
        bounded = bounded.filter(key.after(value, id));
    }
    if let Some((value, id)) = before {
        bounded = bounded.filter(key.before(value, id));
    }
    let take = Ord::min(args.first.or(args.last).unwrap_or(DEFAULT_PAGE), MAX_PAGE);
    let from_end = args.first.is_none() && args.last.is_some();
    let rows = key
        .order(bounded, from_end)
        .limit(take + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > take;
    let mut items: Vec<E::Model> = rows.into_iter().take(take as usize).collect();
    if from_end {
        items.reverse();
    }
    let (has_next, has_previous) = if from_end {
        (has_before, more)
    } else {
        (more, has_after)
    };
    Ok(Page {
        items,
        total,
        has_next,
        has_previous,
    })
}

impl Register {
    /// A page of persons (merged-away persons are not listed; they redirect), of those
    /// `visible` lets the caller see (`access::row_filter`).
    pub async fn persons(
        &self,
        filter: &PersonFilter,
        order: PersonOrder,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<person::Model>, AppError> {
        let cond = self.person_condition(filter).add(visible);
        let key = SortKey {
            column: order.field.column(),
            id: person::Column::Id,
            descending: order.descending,
        };
        let position = |c: &Option<Cursor>| c.as_ref().map(|c| order.field.position(c)).transpose();
        let after = position(&args.after)?;
        let before = position(&args.before)?;
        keyset_page(
            person::Entity::find().filter(cond),
            &key,
            after,
            before,
            &args,
            &self.db.conn,
        )
        .await
    }

    /// The SQL condition of a persons filter (live persons only).
    pub(crate) fn person_condition(&self, filter: &PersonFilter) -> Condition {
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

    /// Persons found by `text`: a name (Simplified or Traditional characters, or toneless
    /// pinyin with or without spaces), a full ID number (15 or 18 digits, any formatting),
    /// the last four or more characters of an ID number, or a phone. Persons match on their
    /// golden record or on any of their current source records. Ordered by person ID. Only
    /// the persons `visible` lets the caller see are found.
    pub async fn search_persons(
        &self,
        text: &str,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<person::Model>, AppError> {
        let keys = SearchKeys::parse(text, self)?;
        let cond = Condition::all()
            .add(visible)
            .add(person::Column::MergedInto.is_null())
            .add(keys.person_condition());
        page_of(
            person::Entity::find().filter(cond),
            person::Column::Id,
            args,
            &self.db.conn,
        )
        .await
    }

    /// A page of resolution events, oldest first.
    pub async fn events(
        &self,
        filter: &EventFilter,
        args: PageArgs,
    ) -> Result<Page<resolution_event::Model>, AppError> {
        use resolution_event::Column as E;
        let mut cond = Condition::all();
        if let Some(person) = filter.person_id {
            cond = cond.add(
                Condition::any()
                    .add(E::PersonId.eq(person))
                    .add(E::OtherPersonId.eq(person)),
            );
        }
        if !filter.kinds.is_empty() {
            cond = cond.add(E::Kind.is_in(filter.kinds.iter().copied()));
        }
        if let Some(from) = filter.from {
            cond = cond.add(E::At.gte(from));
        }
        if let Some(to) = filter.to {
            cond = cond.add(E::At.lte(to));
        }
        page_of(
            resolution_event::Entity::find().filter(cond),
            E::Id,
            args,
            &self.db.conn,
        )
        .await
    }

    /// A person by ID; a person merged into another answers with the survivor.
    pub async fn person(&self, id: i64) -> Result<Option<person::Model>, AppError> {
        let mut id = id;
        // A redirect chain is short; the bound guards against a cycle in bad data.
        for _ in 0..16 {
            let Some(p) = person::Entity::find_by_id(id).one(&self.db.conn).await? else {
                return Ok(None);
            };
            match p.merged_into {
                Some(next) => id = next,
                None => return Ok(Some(p)),
            }
        }
        Ok(None)
    }

    /// The person with this ID number, written in any of the usual ways (15 or 18 digits,
    /// full-width digits, spaces). A number that is not a valid ID number is bad input.
    pub async fn person_by_id_number(&self, raw: &str) -> Result<Option<person::Model>, AppError> {
        let parsed = parse_id_number(raw, self.reference.divisions)
            .filter(|p| p.class == IdClass::Valid)
            .ok_or_else(|| AppError::BadInput("不是有效的身份证号码".into()))?;
        Ok(person::Entity::find()
            .filter(person::Column::IdNumber.eq(parsed.normalized))
            .filter(person::Column::MergedInto.is_null())
            .one(&self.db.conn)
            .await?)
    }

    /// The current source records of each person, oldest first, with their links: two
    /// statements for any number of persons.
    pub async fn records_of_persons(
        &self,
        persons: &[i64],
    ) -> Result<HashMap<i64, Vec<(source_record::Model, record_link::Model)>>, AppError> {
        let links = record_link::Entity::find()
            .filter(record_link::Column::PersonId.is_in(persons.iter().copied()))
            .all(&self.db.conn)
            .await?;
        let mut records: HashMap<i64, source_record::Model> = source_record::Entity::find()
            .filter(source_record::Column::Id.is_in(links.iter().map(|l| l.source_record_id)))
            .filter(source_record::Column::IsCurrent.eq(true))
            .all(&self.db.conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut found: HashMap<i64, Vec<(source_record::Model, record_link::Model)>> =
            persons.iter().map(|p| (*p, Vec::new())).collect();
        for link in links {
            if let Some(record) = records.remove(&link.source_record_id) {
                found
                    .entry(link.person_id)
                    .or_default()
                    .push((record, link));
            }
        }
        for list in found.values_mut() {
            list.sort_by_key(|(r, _)| r.id);
        }
        Ok(found)
    }

    /// The current source records of one person, oldest first, with their links.
    pub async fn records_of_person(
        &self,
        person: i64,
    ) -> Result<Vec<(source_record::Model, record_link::Model)>, AppError> {
        Ok(self
            .records_of_persons(&[person])
            .await?
            .remove(&person)
            .unwrap_or_default())
    }

    /// The link of a source record version to its person.
    pub async fn link_of_record(
        &self,
        record: i64,
    ) -> Result<Option<record_link::Model>, AppError> {
        Ok(record_link::Entity::find_by_id(record)
            .one(&self.db.conn)
            .await?)
    }

    /// Persons by ID, each merged-away ID answered with its survivor: one statement per step
    /// of the longest redirect chain.
    pub async fn persons_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, person::Model>, AppError> {
        let mut found = HashMap::new();
        // requested ID -> the ID to read next
        let mut pending: Vec<(i64, i64)> = ids.iter().map(|i| (*i, *i)).collect();
        // A redirect chain is short; the bound guards against a cycle in bad data.
        for _ in 0..16 {
            if pending.is_empty() {
                break;
            }
            let rows: HashMap<i64, person::Model> = person::Entity::find()
                .filter(person::Column::Id.is_in(pending.iter().map(|(_, next)| *next)))
                .all(&self.db.conn)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
            let mut next_round = Vec::new();
            for (asked, next) in pending {
                let Some(p) = rows.get(&next) else { continue };
                match p.merged_into {
                    Some(target) => next_round.push((asked, target)),
                    None => {
                        found.insert(asked, p.clone());
                    }
                }
            }
            pending = next_round;
        }
        Ok(found)
    }

    /// The person of each source record version (the survivor of any merge).
    pub async fn persons_of_records(
        &self,
        records: &[i64],
    ) -> Result<HashMap<i64, person::Model>, AppError> {
        let person_of = read_back::persons_of(&self.db.conn, records).await?;
        let mut persons: Vec<i64> = person_of.values().copied().collect();
        persons.sort_unstable();
        persons.dedup();
        let by_id = self.persons_by_ids(&persons).await?;
        Ok(person_of
            .into_iter()
            .filter_map(|(record, person)| Some((record, by_id.get(&person)?.clone())))
            .collect())
    }

    /// Source record versions by ID.
    pub async fn source_records_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, source_record::Model>, AppError> {
        Ok(source_record::Entity::find()
            .filter(source_record::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db.conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect())
    }

    /// Resolution events with IDs after `after`, up to `to`, oldest first, at most `limit`.
    pub async fn events_between(
        &self,
        after: i64,
        to: i64,
        limit: u64,
    ) -> Result<Vec<resolution_event::Model>, AppError> {
        use resolution_event::Column as E;
        Ok(resolution_event::Entity::find()
            .filter(E::Id.gt(after))
            .filter(E::Id.lte(to))
            .order_by_asc(E::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await?)
    }

    /// The resolution events of each person (as subject or as the other person), oldest first.
    pub async fn events_of_persons(
        &self,
        persons: &[i64],
    ) -> Result<HashMap<i64, Vec<resolution_event::Model>>, AppError> {
        use resolution_event::Column as E;
        let events = resolution_event::Entity::find()
            .filter(
                Condition::any()
                    .add(E::PersonId.is_in(persons.iter().copied()))
                    .add(E::OtherPersonId.is_in(persons.iter().copied())),
            )
            .order_by_asc(E::Id)
            .all(&self.db.conn)
            .await?;
        let mut found: HashMap<i64, Vec<resolution_event::Model>> =
            persons.iter().map(|p| (*p, Vec::new())).collect();
        for event in events {
            for person in [Some(event.person_id), event.other_person_id]
                .into_iter()
                .flatten()
            {
                if let Some(list) = found.get_mut(&person) {
                    list.push(event.clone());
                }
            }
        }
        Ok(found)
    }

    /// A page of source records, of those `visible` lets the caller see.
    pub async fn source_records(
        &self,
        filter: &RecordFilter,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<source_record::Model>, AppError> {
        let mut select = source_record::Entity::find().filter(visible);
        if !filter.all_versions {
            select = select.filter(source_record::Column::IsCurrent.eq(true));
        }
        if let Some(source) = filter.source {
            select = select.filter(source_record::Column::Source.eq(source.as_db()));
        }
        if let Some(batch) = filter.batch_id {
            select = select.filter(source_record::Column::BatchId.eq(batch));
        }
        page_of(select, source_record::Column::Id, args, &self.db.conn).await
    }

    /// A page of import batches, of those `visible` lets the caller see.
    pub async fn import_batches(
        &self,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<import_batch::Model>, AppError> {
        page_of(
            import_batch::Entity::find().filter(visible),
            import_batch::Column::Id,
            args,
            &self.db.conn,
        )
        .await
    }

    /// A page of the audit log, oldest first.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        args: PageArgs,
    ) -> Result<Page<audit_log::Model>, AppError> {
        use audit_log::Column as A;
        let mut cond = Condition::all();
        if let Some(kind) = &filter.kind {
            cond = cond.add(A::Kind.eq(*kind));
        }
        if let Some(token) = filter.token_id {
            cond = cond.add(A::TokenId.eq(token));
        }
        if let Some(from) = filter.from {
            cond = cond.add(A::At.gte(from));
        }
        if let Some(to) = filter.to {
            cond = cond.add(A::At.lte(to));
        }
        page_of(
            audit_log::Entity::find().filter(cond),
            A::Id,
            args,
            &self.db.conn,
        )
        .await
    }

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
            persons: statuses
                .iter()
                .map(|r| u64::try_from(r.n).unwrap_or(0))
                .sum(),
            by_location_status: LocationStatus::ALL
                .iter()
                .copied()
                .map(|s| (s, count_of(&statuses, s.as_str())))
                .collect(),
            by_hubei_link: HubeiLink::ALL
                .iter()
                .copied()
                .map(|l| (l, count_of(&links, l.as_str())))
                .collect(),
            records_by_source: SourceKind::ALL
                .into_iter()
                .map(|s| (s, count_of(&sources, s.as_db())))
                .collect(),
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
        let townships = by(
            Expr::col(person::Column::Township),
            person::Column::Township,
        )
        .await?;
        let statuses = by(
            Expr::col(person::Column::LocationStatus),
            person::Column::LocationStatus,
        )
        .await?;
        let links = by(
            Expr::col(person::Column::HubeiLink),
            person::Column::HubeiLink,
        )
        .await?;

        // (person, source, the day that source first reported them), for the selected persons.
        let selected = Query::select()
            .column(person::Column::Id)
            .from(person::Entity)
            .cond_where(cond.clone())
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
            .and_where(
                Expr::col((source_record::Entity, source_record::Column::IsCurrent)).eq(true),
            )
            .and_where(
                Expr::col((record_link::Entity, record_link::Column::PersonId))
                    .in_subquery(selected),
            )
            .group_by_col((record_link::Entity, record_link::Column::PersonId))
            .group_by_col((source_record::Entity, source_record::Column::Source))
            .to_owned();
        let series = Query::select()
            .column("day")
            .column("source")
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from_subquery(firsts, "firsts")
            .group_by_col("day")
            .group_by_col("source")
            .order_by("day", Order::Asc)
            .order_by("source", Order::Asc)
            .to_owned();
        let series = DaySourceCount::find_by_statement(backend.build(&series))
            .all(conn)
            .await?;

        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        let mut by_source: Vec<(SourceKind, u64)> =
            SourceKind::ALL.into_iter().map(|s| (s, 0)).collect();
        let mut new_per_day_by_source = Vec::new();
        for row in &series {
            let Some(source) = SourceKind::from_db(&row.source) else {
                continue;
            };
            if let Some(entry) = by_source.iter_mut().find(|(s, _)| *s == source) {
                entry.1 += n(row.n);
            }
            if let Some(day) = row.day.as_deref().and_then(|d| d.parse().ok()) {
                new_per_day_by_source.push((day, source, n(row.n)));
            }
        }
        let mut by_day: Vec<(NaiveDate, u64)> = days
            .iter()
            .filter_map(|r| Some((r.key.as_deref()?.parse().ok()?, n(r.n))))
            .collect();
        by_day.sort();
        let mut by_township: Vec<(Option<String>, u64)> =
            townships.iter().map(|r| (r.key.clone(), n(r.n))).collect();
        by_township.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(Aggregates {
            persons: statuses.iter().map(|r| n(r.n)).sum(),
            by_day,
            by_township,
            by_status: LocationStatus::ALL
                .iter()
                .copied()
                .map(|s| (s, count_of(&statuses, s.as_str())))
                .collect(),
            by_hubei_link: HubeiLink::ALL
                .iter()
                .copied()
                .map(|l| (l, count_of(&links, l.as_str())))
                .collect(),
            by_source,
            new_per_day_by_source,
        })
    }

    /// A page of review candidates still waiting for an analyst, strongest first by ID order.
    pub async fn review_candidates(
        &self,
        args: PageArgs,
    ) -> Result<Page<review_candidate::Model>, AppError> {
        page_of(
            review_candidate::Entity::find()
                .filter(review_candidate::Column::State.eq(ReviewState::Pending)),
            review_candidate::Column::Id,
            args,
            &self.db.conn,
        )
        .await
    }

    /// A source record version by ID.
    pub async fn source_record(&self, id: i64) -> Result<Option<source_record::Model>, AppError> {
        Ok(source_record::Entity::find_by_id(id)
            .one(&self.db.conn)
            .await?)
    }

    /// The model of the latest resolution run.
    pub async fn latest_model(&self) -> Result<Option<match_model::Model>, AppError> {
        Ok(match_model::Entity::find()
            .order_by_desc(match_model::Column::Id)
            .one(&self.db.conn)
            .await?)
    }

    /// Every current record as `(source, record_id, person_id)`, for `paicha export records`.
    pub async fn export_records(&self) -> Result<Vec<(String, String, i64)>, AppError> {
        let rows: Vec<(String, String, i64)> = source_record::Entity::find()
            .select_only()
            .column(source_record::Column::Source)
            .column(source_record::Column::RecordId)
            .column(record_link::Column::PersonId)
            .inner_join(record_link::Entity)
            .filter(source_record::Column::IsCurrent.eq(true))
            .order_by_asc(source_record::Column::Id)
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        Ok(rows)
    }

    /// Every person of the register (not the merged-away ones), by ID.
    pub async fn export_persons(&self) -> Result<Vec<person::Model>, AppError> {
        Ok(person::Entity::find()
            .filter(person::Column::MergedInto.is_null())
            .order_by_asc(person::Column::Id)
            .all(&self.db.conn)
            .await?)
    }
}

/// The report of a stored batch; its stored rejected rows that cannot be read are an error.
pub fn batch_report(b: &import_batch::Model) -> Result<BatchReport, AppError> {
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    let rejected = serde_json::from_str::<Vec<RejectedRow>>(&b.rejected).map_err(|e| {
        // Where and what kind only: the rows' reasons may quote the file's values.
        anyhow::anyhow!(
            "reading the rejected rows of batch {}: {:?} error at line {} column {}",
            b.id,
            e.classify(),
            e.line(),
            e.column()
        )
    })?;
    Ok(BatchReport {
        batch_id: b.id,
        source: b.source,
        file_name: b.file_name.clone(),
        format: b.format.clone(),
        sha256: b.sha256.clone(),
        already_imported: false,
        rows_read: n(b.rows_read),
        rows_accepted: n(b.rows_accepted),
        rows_rejected: n(b.rows_rejected),
        rejected,
        records_new: n(b.records_new),
        records_unchanged: n(b.records_unchanged),
        records_new_version: n(b.records_new_version),
        persons_created: n(b.persons_created),
        persons_matched: n(b.persons_matched),
        notices: 0,
    })
}

impl PersonOrderField {
    fn column(self) -> Option<person::Column> {
        match self {
            Self::Id => None,
            Self::NamePinyin => Some(person::Column::NamePinyin),
            Self::ArrivalDate => Some(person::Column::ArrivalDate),
            Self::FirstReported => Some(person::Column::FirstReported),
            Self::UpdatedAt => Some(person::Column::UpdatedAt),
        }
    }

    /// The cursor of `p` in a list ordered by this field.
    pub fn cursor(self, p: &person::Model) -> Cursor {
        let date = |d: Option<NaiveDate>| d.map(|d| serde_json::Value::String(d.to_string()));
        let value = match self {
            Self::Id => None,
            Self::NamePinyin => p.name_pinyin.clone().map(serde_json::Value::String),
            Self::ArrivalDate => date(p.arrival_date),
            Self::FirstReported => date(p.first_reported),
            Self::UpdatedAt => Some(serde_json::Value::String(
                p.updated_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            )),
        };
        Cursor { id: p.id, value }
    }

    /// A cursor as SQL values, checked against this field's type.
    fn position(self, cursor: &Cursor) -> Result<Position, AppError> {
        let wrong = || AppError::BadInput("游标与当前排序方式不符".into());
        if self == Self::Id {
            return Ok((None, cursor.id));
        }
        let value = match &cursor.value {
            None => return Err(wrong()),
            Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(match self {
                Self::Id | Self::NamePinyin => Value::from(s.clone()),
                Self::ArrivalDate | Self::FirstReported => {
                    Value::from(s.parse::<NaiveDate>().map_err(|_| wrong())?)
                }
                Self::UpdatedAt => Value::from(
                    DateTime::parse_from_rfc3339(s)
                        .map_err(|_| wrong())?
                        .with_timezone(&Utc),
                ),
            }),
            Some(_) => return Err(wrong()),
        };
        Ok((value, cursor.id))
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

/// The count of the group `key` among `rows` (0 when absent).
fn count_of(rows: &[KeyCount], key: &str) -> u64 {
    rows.iter()
        .find(|r| r.key.as_deref() == Some(key))
        .map_or(0, |r| u64::try_from(r.n).unwrap_or(0))
}

/// A date or timestamp column as `YYYY-MM-DD` text (NULL stays NULL) on either backend.
fn day_text(backend: sea_orm::DbBackend, column: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("to_char({column}, 'YYYY-MM-DD')"),
        // SQLite keeps dates and timestamps as ISO text: the day is its first ten characters.
        _ => format!("substr({column}, 1, 10)"),
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
fn persons_with_records(cond: Condition) -> SelectStatement {
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

/// What a search text can be, folded with the normalisers to the stored forms.
#[derive(Debug, Default)]
struct SearchKeys {
    /// Simplified name.
    name: Option<String>,
    /// Pinyin without spaces, lower case.
    pinyin: Option<String>,
    /// A valid 18-digit ID number.
    id_number: Option<String>,
    /// The last characters of an ID number (four or more).
    id_suffix: Option<String>,
    /// A phone, digits only.
    phone: Option<String>,
}

impl SearchKeys {
    fn parse(text: &str, register: &Register) -> Result<Self, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AppError::BadInput("搜索内容不能为空".into()));
        }
        let mut keys = Self::default();
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '·'))
            .collect();
        let is_id_like = |s: &str| {
            s.chars().enumerate().all(|(i, c)| {
                c.is_ascii_digit() || (i + 1 == s.chars().count() && c.eq_ignore_ascii_case(&'x'))
            })
        };
        if !compact.is_ascii() {
            keys.name = normalize_name(text).map(|n| n.full);
        } else if compact.chars().all(|c| c.is_ascii_alphabetic()) {
            keys.pinyin = Some(compact.to_ascii_lowercase());
        }
        if let Some(id) = parse_id_number(text, register.reference.divisions)
            .filter(|p| p.class == IdClass::Valid)
        {
            keys.id_number = Some(id.normalized);
        } else if compact.len() >= MIN_ID_SUFFIX && compact.len() < 18 && is_id_like(&compact) {
            keys.id_suffix = Some(compact.to_ascii_uppercase());
        }
        keys.phone = normalize_phone(text).map(|p| p.number);
        if keys.name.is_none()
            && keys.pinyin.is_none()
            && keys.id_number.is_none()
            && keys.id_suffix.is_none()
            && keys.phone.is_none()
        {
            return Err(AppError::BadInput(
                "请输入姓名、拼音、身份证号（或其末四位以上）或电话号码".into(),
            ));
        }
        Ok(keys)
    }

    /// The condition on one table's identity columns (person or source_record share names).
    fn condition<C: ColumnTrait>(&self, name: C, id_number: C, phones: C) -> Condition {
        let mut any = Condition::any();
        if let Some(n) = &self.name {
            any = any.add(name.eq(n.clone()));
        }
        if let Some(p) = &self.pinyin {
            any = any.add(Expr::cust("replace(name_pinyin, ' ', '')").eq(p.clone()));
        }
        if let Some(id) = &self.id_number {
            any = any.add(id_number.eq(id.clone()));
        }
        if let Some(suffix) = &self.id_suffix {
            // The indexed last four characters narrow; LIKE checks a longer suffix.
            let last4: String = suffix[suffix.len() - MIN_ID_SUFFIX..].to_owned();
            any = any.add(
                Condition::all()
                    .add(Expr::cust("substr(id_number, 15)").eq(last4))
                    .add(id_number.like(format!("%{suffix}"))),
            );
        }
        if let Some(phone) = &self.phone {
            // Phones are a compact JSON array of digit strings.
            any = any.add(phones.like(format!("%\"{phone}\"%")));
        }
        any
    }

    fn person_condition(&self) -> Condition {
        let on_person = self.condition(
            person::Column::Name,
            person::Column::IdNumber,
            person::Column::Phones,
        );
        let on_records = Condition::all()
            .add(source_record::Column::IsCurrent.eq(true))
            .add(self.condition(
                source_record::Column::Name,
                source_record::Column::IdNumber,
                source_record::Column::Phones,
            ));
        Condition::any()
            .add(on_person)
            .add(person::Column::Id.in_subquery(persons_with_records(on_records)))
    }
}
