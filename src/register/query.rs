//! Reading the register: pages of persons, records and batches, and the headline figures.

use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{HubeiLink, LocationStatus, Register};
use crate::db::{import_batch, match_model, person, record_link, review_candidate, source_record};
use crate::error::AppError;
use crate::intake::{BatchReport, RejectedRow, SourceKind};
use crate::normalize::{IdClass, parse_id_number};

/// A page of rows in key order, and the total matching the filter.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub has_next: bool,
    pub has_previous: bool,
}

/// Keyset pagination arguments: rows with key greater than `after` (and less than `before`),
/// the first `first` or the last `last` of them.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageArgs {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub first: Option<u64>,
    pub last: Option<u64>,
}

/// Which persons to list.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub location_status: Option<LocationStatus>,
    pub township: Option<String>,
    pub hubei_link: Option<HubeiLink>,
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

/// Largest page a caller may ask for.
pub const MAX_PAGE: u64 = 500;

#[derive(Debug, FromQueryResult)]
struct GroupCount {
    key: String,
    n: i64,
}

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
    let total = select.clone().count(conn).await?;
    let mut bounded = select;
    if let Some(after) = args.after {
        bounded = bounded.filter(key.gt(after));
    }
    if let Some(before) = args.before {
        bounded = bounded.filter(key.lt(before));
    }
    let take = args.first.or(args.last).unwrap_or(50).min(MAX_PAGE);
    let from_end = args.first.is_none() && args.last.is_some();
    let rows = bounded
        .order_by(key, if from_end { Order::Desc } else { Order::Asc })
        .limit(take + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > take;
    let mut items: Vec<E::Model> = rows.into_iter().take(take as usize).collect();
    if from_end {
        items.reverse();
    }
    let (has_next, has_previous) = if from_end {
        (args.before.is_some(), more)
    } else {
        (more, args.after.is_some())
    };
    Ok(Page {
        items,
        total,
        has_next,
        has_previous,
    })
}

impl Register {
    /// A page of persons (merged-away persons are not listed; they redirect).
    pub async fn persons(
        &self,
        filter: &PersonFilter,
        args: PageArgs,
    ) -> Result<Page<person::Model>, AppError> {
        let mut cond = Condition::all().add(person::Column::MergedInto.is_null());
        if let Some(status) = filter.location_status {
            cond = cond.add(person::Column::LocationStatus.eq(status.as_str()));
        }
        if let Some(township) = &filter.township {
            let name = self
                .reference
                .gazetteer
                .match_township(township)
                .map(|m| m.name)
                .unwrap_or_else(|| township.clone());
            cond = cond.add(person::Column::Township.eq(name));
        }
        if let Some(link) = filter.hubei_link {
            cond = cond.add(person::Column::HubeiLink.eq(link.as_str()));
        }
        page_of(
            person::Entity::find().filter(cond),
            person::Column::Id,
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

    /// The current source records of a person, oldest first, with their links.
    pub async fn records_of_person(
        &self,
        person: i64,
    ) -> Result<Vec<(source_record::Model, record_link::Model)>, AppError> {
        let links = record_link::Entity::find()
            .filter(record_link::Column::PersonId.eq(person))
            .order_by_asc(record_link::Column::SourceRecordId)
            .all(&self.db.conn)
            .await?;
        let ids: Vec<i64> = links.iter().map(|l| l.source_record_id).collect();
        let records = source_record::Entity::find()
            .filter(source_record::Column::Id.is_in(ids))
            .filter(source_record::Column::IsCurrent.eq(true))
            .all(&self.db.conn)
            .await?;
        Ok(records
            .into_iter()
            .filter_map(|r| {
                let link = links.iter().find(|l| l.source_record_id == r.id)?.clone();
                Some((r, link))
            })
            .collect())
    }

    /// The person a source record version is linked to.
    pub async fn link_of_record(
        &self,
        record: i64,
    ) -> Result<Option<record_link::Model>, AppError> {
        Ok(record_link::Entity::find_by_id(record)
            .one(&self.db.conn)
            .await?)
    }

    /// A page of source records.
    pub async fn source_records(
        &self,
        filter: &RecordFilter,
        args: PageArgs,
    ) -> Result<Page<source_record::Model>, AppError> {
        let mut select = source_record::Entity::find();
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

    /// A page of import batches.
    pub async fn import_batches(
        &self,
        args: PageArgs,
    ) -> Result<Page<import_batch::Model>, AppError> {
        page_of(
            import_batch::Entity::find(),
            import_batch::Column::Id,
            args,
            &self.db.conn,
        )
        .await
    }

    /// The headline figures.
    pub async fn stats(&self) -> Result<Stats, AppError> {
        let conn = &self.db.conn;
        let live = person::Column::MergedInto.is_null();
        let by = |col: person::Column| {
            person::Entity::find()
                .select_only()
                .column_as(col, "key")
                .column_as(person::Column::Id.count(), "n")
                .filter(live.clone())
                .group_by(col)
                .into_model::<GroupCount>()
                .all(conn)
        };
        let statuses = by(person::Column::LocationStatus).await?;
        let links = by(person::Column::HubeiLink).await?;
        let sources = source_record::Entity::find()
            .select_only()
            .column_as(source_record::Column::Source, "key")
            .column_as(source_record::Column::Id.count(), "n")
            .filter(source_record::Column::IsCurrent.eq(true))
            .group_by(source_record::Column::Source)
            .into_model::<GroupCount>()
            .all(conn)
            .await?;
        let count_of = |rows: &[GroupCount], key: &str| {
            rows.iter()
                .find(|r| r.key == key)
                .map_or(0, |r| u64::try_from(r.n).unwrap_or(0))
        };
        Ok(Stats {
            persons: statuses
                .iter()
                .map(|r| u64::try_from(r.n).unwrap_or(0))
                .sum(),
            by_location_status: LocationStatus::ALL
                .into_iter()
                .map(|s| (s, count_of(&statuses, s.as_str())))
                .collect(),
            by_hubei_link: HubeiLink::ALL
                .into_iter()
                .map(|l| (l, count_of(&links, l.as_str())))
                .collect(),
            records_by_source: SourceKind::ALL
                .into_iter()
                .map(|s| (s, count_of(&sources, s.as_db())))
                .collect(),
            batches: import_batch::Entity::find().count(conn).await?,
        })
    }

    /// A page of review candidates still waiting for an analyst, strongest first by ID order.
    pub async fn review_candidates(
        &self,
        args: PageArgs,
    ) -> Result<Page<review_candidate::Model>, AppError> {
        page_of(
            review_candidate::Entity::find().filter(review_candidate::Column::State.eq("PENDING")),
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

/// The report of a stored batch.
pub fn batch_report(b: &import_batch::Model) -> BatchReport {
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    BatchReport {
        batch_id: b.id,
        source: b.source.clone(),
        file_name: b.file_name.clone(),
        format: b.format.clone(),
        sha256: b.sha256.clone(),
        already_imported: false,
        rows_read: n(b.rows_read),
        rows_accepted: n(b.rows_accepted),
        rows_rejected: n(b.rows_rejected),
        rejected: serde_json::from_str::<Vec<RejectedRow>>(&b.rejected).unwrap_or_default(),
        records_new: n(b.records_new),
        records_unchanged: n(b.records_unchanged),
        records_new_version: n(b.records_new_version),
        persons_created: n(b.persons_created),
        persons_matched: n(b.persons_matched),
        notices: 0,
    }
}
