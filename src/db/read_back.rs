//! Reading parts of the register back in bulk: the normalised identities of records a large
//! resolution run let go, by dense ranges of IDs and (on SQLite) packed into one text per
//! query; which person each record is linked to, and back.

use std::collections::{BTreeSet, HashMap, HashSet};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Statement,
};

use chrono::NaiveDate;

use super::{person, record_link, resolution_event, source_record};
use crate::states::{LocationStatus, Stored as _};

/// IDs per `IN (…)` list when reading part of the register.
pub const IN_CHUNK: usize = 5_000;

/// Record IDs per `IN (…)` list when looking up the persons of a few records.
const LINK_CHUNK: usize = 500;

/// The person each of `records` is linked to (records without a link are left out).
pub async fn persons_of<C: ConnectionTrait>(
    conn: &C,
    records: &[i64],
) -> Result<HashMap<i64, i64>, DbErr> {
    let mut out = HashMap::new();
    if conn.get_database_backend() == DbBackend::Sqlite && records.len() > LINK_CHUNK {
        for chunk in records.chunks(IN_CHUNK) {
            let pairs = packed_ints::<2>(
                conn,
                "source_record_id || ',' || person_id",
                "record_link WHERE source_record_id",
                chunk,
            )
            .await?;
            out.extend(pairs.into_iter().map(|[r, p]| (r, p)));
        }
        return Ok(out);
    }
    for chunk in records.chunks(LINK_CHUNK) {
        let rows: Vec<(i64, i64)> = record_link::Entity::find()
            .select_only()
            .columns([
                record_link::Column::SourceRecordId,
                record_link::Column::PersonId,
            ])
            .filter(record_link::Column::SourceRecordId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// The records linked to `persons`, sorted.
pub async fn records_of(
    txn: &DatabaseTransaction,
    persons: &BTreeSet<i64>,
) -> Result<Vec<i64>, DbErr> {
    let persons: Vec<i64> = persons.iter().copied().collect();
    let mut records = Vec::new();
    let packed = txn.get_database_backend() == DbBackend::Sqlite;
    for chunk in persons.chunks(IN_CHUNK) {
        if packed {
            let found = packed_ints::<1>(
                txn,
                "source_record_id",
                "record_link WHERE person_id",
                chunk,
            )
            .await?;
            records.extend(found.into_iter().map(|[r]| r));
            continue;
        }
        records.extend(
            record_link::Entity::find()
                .select_only()
                .column(record_link::Column::SourceRecordId)
                .filter(record_link::Column::PersonId.is_in(chunk.iter().copied()))
                .into_tuple::<i64>()
                .all(txn)
                .await?,
        );
    }
    records.sort_unstable();
    records.dedup();
    Ok(records)
}

/// The register's size near enough to decide how to write and resolve a batch: its linked
/// record versions, counted on a narrow table.
pub async fn linked_records(txn: &impl ConnectionTrait) -> Result<usize, DbErr> {
    Ok(record_link::Entity::find().count(txn).await? as usize)
}

/// The stored normalised JSON of `records`, by record.
///
/// Records that lie close together in ID order (the members of a chunk of new persons mostly
/// do: a first import creates persons in the order of their records) are read as ranges of
/// IDs, scanned in order, rather than looked up one by one; the rest by their IDs.
pub async fn normalized_of(
    txn: &DatabaseTransaction,
    records: &[i64],
) -> Result<HashMap<i64, String>, DbErr> {
    let mut out = HashMap::with_capacity(records.len());
    let mut sorted = records.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let (ranges, scattered) = id_ranges(&sorted);
    let wanted: HashSet<i64> = sorted.iter().copied().collect();
    // SQLite hands a query's rows over packed into one text; elsewhere row by row.
    let packed = txn.get_database_backend() == DbBackend::Sqlite;
    for (first, last) in ranges {
        let rows = if packed {
            normalized_packed(txn, "BETWEEN ? AND ?", vec![first.into(), last.into()]).await?
        } else {
            normalized_where(txn, source_record::Column::Id.between(first, last)).await?
        };
        out.extend(rows.into_iter().filter(|(id, _)| wanted.contains(id)));
    }
    for chunk in scattered.chunks(IN_CHUNK) {
        let rows = if packed {
            let among = format!("IN ({})", vec!["?"; chunk.len()].join(", "));
            normalized_packed(txn, &among, chunk.iter().map(|&id| id.into()).collect()).await?
        } else {
            normalized_where(txn, source_record::Column::Id.is_in(chunk.to_vec())).await?
        };
        out.extend(rows);
    }
    Ok(out)
}

/// The normalised JSON of the records `condition` selects, row by row.
async fn normalized_where(
    txn: &DatabaseTransaction,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<Vec<(i64, String)>, DbErr> {
    source_record::Entity::find()
        .select_only()
        .columns([source_record::Column::Id, source_record::Column::Normalized])
        .filter(condition)
        .into_tuple()
        .all(txn)
        .await
}

/// Separates a record's fields in a packed text ([`packed_text`]).
pub const UNIT_SEPARATOR: char = '\u{1f}';
/// Separates one record from the next there.
pub const RECORD_SEPARATOR: char = '\u{1e}';

/// The one text column `texts` of `sql`'s one row on SQLite (a `group_concat` of packed
/// rows), `None` when it found nothing to join.
pub async fn packed_text(
    conn: &impl ConnectionTrait,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Result<Option<String>, DbErr> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<Option<String>>("", "texts"))
        .transpose()?
        .flatten())
}

/// The normalised JSON of the records whose ID is `which` (`BETWEEN ? AND ?`, `IN (?, …)`)
/// on SQLite, read as one text.
///
/// The driver hands each row over on its own, its values copied twice, which cost more than
/// SQLite's reading them: a million identities read back row by row took 5.6 s. Here they
/// come back as one row, `id` and JSON joined by control characters that JSON text never
/// holds unescaped.
async fn normalized_packed(
    txn: &DatabaseTransaction,
    which: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<(i64, String)>, DbErr> {
    let sql = format!(
        "SELECT group_concat(id || char(31) || normalized, char(30)) AS texts \
         FROM source_record WHERE id {which}"
    );
    let Some(texts) = packed_text(txn, sql, values).await? else {
        return Ok(Vec::new());
    };
    texts
        .split(RECORD_SEPARATOR)
        .map(|entry| {
            entry
                .split_once(UNIT_SEPARATOR)
                .and_then(|(id, json)| Some((id.parse().ok()?, json.to_owned())))
                .ok_or_else(|| DbErr::Custom("an unreadable normalised record".to_owned()))
        })
        .collect()
}

/// The rows of `SELECT columns FROM from IN (ids)` on SQLite, where `columns` joins `N`
/// integers with commas: read as one text (see [`normalized_packed`] for why), in no order.
pub async fn packed_ints<const N: usize>(
    conn: &impl ConnectionTrait,
    columns: &str,
    from: &str,
    ids: &[i64],
) -> Result<Vec<[i64; N]>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT group_concat({columns}, ';') AS texts FROM {from} IN ({})",
        vec!["?"; ids.len()].join(", ")
    );
    let values = ids.iter().map(|&id| id.into()).collect();
    let Some(texts) = packed_text(conn, sql, values).await? else {
        return Ok(Vec::new());
    };
    texts.split(';').map(read_ints).collect()
}

/// A person in the county as an observation needs them: ID, township, arrival date, first
/// report.
pub type InCounty = (i64, Option<String>, Option<NaiveDate>, Option<NaiveDate>);

/// The persons in the county (not merged into another), of `ids` or all. All of them are
/// read packed on SQLite ([`in_county_packed`]), the rest row by row.
pub async fn in_county(
    conn: &impl ConnectionTrait,
    ids: Option<&[i64]>,
) -> Result<Vec<InCounty>, DbErr> {
    if ids.is_none() && conn.get_database_backend() == DbBackend::Sqlite {
        return in_county_packed(conn, PACKED_PERSONS).await;
    }
    in_county_rows(conn, ids).await
}

/// [`in_county`] row by row, as the driver hands rows over.
async fn in_county_rows(
    conn: &impl ConnectionTrait,
    ids: Option<&[i64]>,
) -> Result<Vec<InCounty>, DbErr> {
    let mut query = person::Entity::find()
        .select_only()
        .columns([
            person::Column::Id,
            person::Column::Township,
            person::Column::ArrivalDate,
            person::Column::FirstReported,
        ])
        .filter(person::Column::MergedInto.is_null())
        .filter(person::Column::LocationStatus.eq(LocationStatus::InCounty.as_str()));
    if let Some(ids) = ids {
        query = query.filter(person::Column::Id.is_in(ids.iter().copied()));
    }
    query.into_tuple().all(conn).await
}

/// Person IDs per packed query of [`in_county_packed`]: a text of a few tens of MB.
const PACKED_PERSONS: i64 = 500_000;

/// Stands for a township that is NULL in a packed row (no township's name holds it).
const NULL_TEXT: &str = "\u{15}";

/// [`in_county`] of every person on SQLite, read as one packed text per `per_query` IDs
/// ([`PACKED_PERSONS`]; see [`normalized_packed`] for why): the observations' sync after a
/// first million records read them through the driver in 2.0 s.
async fn in_county_packed(
    conn: &impl ConnectionTrait,
    per_query: i64,
) -> Result<Vec<InCounty>, DbErr> {
    let sql = "SELECT group_concat(id || char(31) || coalesce(township, char(21)) || char(31) \
               || coalesce(arrival_date, '') || char(31) || coalesce(first_reported, ''), \
               char(30)) AS texts FROM person \
               WHERE id BETWEEN ? AND ? AND merged_into IS NULL AND location_status = ?";
    let in_county = [LocationStatus::InCounty.as_str().into()];
    let mut persons = Vec::new();
    packed_by_id_ranges(conn, "person", per_query, sql, &in_county, |texts| {
        for row in texts.split(RECORD_SEPARATOR) {
            persons.push(read_in_county(row)?);
        }
        Ok(())
    })
    .await?;
    Ok(persons)
}

/// Runs `sql` on SQLite once per `per_query` IDs of `table`, from its first ID to its last,
/// and hands `each` the packed text of every query that found rows, in ID order. `sql`'s
/// first two parameters are a range's first and last ID (`id BETWEEN ? AND ?`), `values`
/// the rest. One query's text stays of a bounded size however large the table grows.
pub async fn packed_by_id_ranges(
    conn: &impl ConnectionTrait,
    table: &str,
    per_query: i64,
    sql: &str,
    values: &[sea_orm::Value],
    mut each: impl FnMut(String) -> Result<(), DbErr>,
) -> Result<(), DbErr> {
    let bounds = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT min(id) AS first, max(id) AS last FROM {table}"),
        ))
        .await?;
    let Some(bounds) = bounds else {
        return Ok(());
    };
    let (Some(first), Some(last)) = (
        bounds.try_get::<Option<i64>>("", "first")?,
        bounds.try_get::<Option<i64>>("", "last")?,
    ) else {
        return Ok(());
    };
    let mut from = first;
    loop {
        let to = from.saturating_add(per_query - 1).min(last);
        let mut bound = vec![from.into(), to.into()];
        bound.extend(values.iter().cloned());
        if let Some(texts) = packed_text(conn, sql.to_owned(), bound).await? {
            each(texts)?;
        }
        if to == last {
            return Ok(());
        }
        from = to + 1;
    }
}

/// One packed row of [`in_county_packed`].
fn read_in_county(row: &str) -> Result<InCounty, DbErr> {
    let unreadable = || DbErr::Custom(format!("an unreadable packed person: {row:?}"));
    let date = |text: &str| match text {
        "" => Ok(None),
        text => text
            .parse::<NaiveDate>()
            .map(Some)
            .map_err(|_| unreadable()),
    };
    let mut parts = row.split(UNIT_SEPARATOR);
    let (Some(id), Some(township), Some(arrival), Some(first_reported), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(unreadable());
    };
    Ok((
        id.parse().map_err(|_| unreadable())?,
        (township != NULL_TEXT).then(|| township.to_owned()),
        date(arrival)?,
        date(first_reported)?,
    ))
}

/// The persons the resolution events after event `after` name (as the person, or as the
/// other person of a merge or split), each once, in ID order.
///
/// On SQLite they come back as one text: FEBRL4's 10 000 events, handed over row by row,
/// took an import's follow-up 17–27 ms to list, against 3 ms for SQLite to join them.
pub async fn persons_of_events_after(
    conn: &impl ConnectionTrait,
    after: i64,
) -> Result<Vec<i64>, DbErr> {
    let mut persons = if conn.get_database_backend() == DbBackend::Sqlite {
        let sql = "SELECT group_concat(p, ',') AS texts FROM \
                   (SELECT person_id AS p FROM resolution_event WHERE id > ?1 \
                   UNION SELECT other_person_id FROM resolution_event \
                   WHERE id > ?1 AND other_person_id IS NOT NULL)";
        match packed_text(conn, sql.to_owned(), vec![after.into()]).await? {
            Some(texts) => texts
                .split(',')
                .map(|p| read_ints::<1>(p).map(|[p]| p))
                .collect::<Result<Vec<i64>, DbErr>>()?,
            None => Vec::new(),
        }
    } else {
        persons_of_events_by_row(conn, after).await?
    };
    persons.sort_unstable();
    persons.dedup();
    Ok(persons)
}

/// [`persons_of_events_after`] as the driver reads them, row by row, unsorted and repeated.
async fn persons_of_events_by_row(
    conn: &impl ConnectionTrait,
    after: i64,
) -> Result<Vec<i64>, DbErr> {
    let rows: Vec<(i64, Option<i64>)> = resolution_event::Entity::find()
        .select_only()
        .columns([
            resolution_event::Column::PersonId,
            resolution_event::Column::OtherPersonId,
        ])
        .filter(resolution_event::Column::Id.gt(after))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .flat_map(|(person, other)| std::iter::once(person).chain(other))
        .collect())
}

/// `N` integers joined by commas.
fn read_ints<const N: usize>(text: &str) -> Result<[i64; N], DbErr> {
    let unreadable = || DbErr::Custom(format!("an unreadable packed row: {text:?}"));
    let mut out = [0; N];
    let mut parts = text.split(',');
    for slot in &mut out {
        *slot = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(unreadable)?;
    }
    if parts.next().is_some() {
        return Err(unreadable());
    }
    Ok(out)
}

/// Runs of at least this many IDs, no two of them further apart than [`RANGE_GAP`], are read
/// as a range.
const RANGE_MIN: usize = 64;
/// The widest gap between two IDs of one range: at most this many rows are read in vain.
const RANGE_GAP: i64 = 4;

/// Splits sorted, distinct IDs into dense ranges `(first, last)` and the IDs outside them.
fn id_ranges(sorted: &[i64]) -> (Vec<(i64, i64)>, Vec<i64>) {
    let mut ranges = Vec::new();
    let mut scattered = Vec::new();
    for run in sorted.chunk_by(|a, b| b - a <= RANGE_GAP) {
        match run {
            [first, .., last] if run.len() >= RANGE_MIN => ranges.push((*first, *last)),
            _ => scattered.extend_from_slice(run),
        }
    }
    (ranges, scattered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_close_together_are_read_as_ranges_and_the_rest_one_by_one() {
        let mut ids: Vec<i64> = (100..200).collect();
        // A gap of RANGE_GAP keeps a run whole; a wider one ends it.
        ids.extend((200 + RANGE_GAP - 1..300).step_by(2));
        ids.extend([1_000, 1_010, 5_000]);
        let short: Vec<i64> = (10_000..10_000 + RANGE_MIN as i64 - 1).collect();
        ids.extend(&short);
        ids.sort_unstable();
        let (ranges, scattered) = id_ranges(&ids);
        assert_eq!(ranges, vec![(100, 299)]);
        let mut expected = vec![1_000, 1_010, 5_000];
        expected.extend(&short);
        assert_eq!(
            scattered, expected,
            "a run shorter than RANGE_MIN is looked up"
        );
        assert_eq!(id_ranges(&[]), (Vec::new(), Vec::new()));
    }

    #[test]
    fn packed_rows_are_read_whole_or_refused() {
        assert_eq!(read_ints::<3>("1,-2,3").expect("three"), [1, -2, 3]);
        assert!(read_ints::<3>("1,2").is_err(), "too few");
        assert!(read_ints::<2>("1,2,3").is_err(), "too many");
        assert!(read_ints::<1>("x").is_err(), "not a number");
    }

    /// A transaction on a scratch register whose foreign keys are checked at its end (rows
    /// are written without the rows they refer to; every test rolls back).
    async fn deferred(db: &crate::db::Db) -> DatabaseTransaction {
        use sea_orm::TransactionTrait;
        let txn = db.writer_conn().begin().await.expect("begin");
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await
            .expect("defer");
        txn
    }

    #[tokio::test]
    async fn links_read_back_packed_are_the_stored_links() {
        let (_dir, db) = crate::db::scratch().await;
        let txn = deferred(&db).await;
        // Records 1..=1200 linked to persons 1..=400 (three records each).
        txn.execute_unprepared(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200) \
             INSERT INTO record_link (source_record_id, person_id, weight, rule, explanation, \
             linked_at) SELECT i, (i + 2) / 3, 0.0, 'FOUNDER', '[]', \
             '2020-01-20T00:00:00+00:00' FROM n",
        )
        .await
        .expect("links");
        // More records than one small look-up: read packed.
        let records: Vec<i64> = (1..=700).chain([5_000]).collect();
        let persons = persons_of(&txn, &records).await.expect("persons");
        assert_eq!(persons.len(), 700, "the record without a link is left out");
        assert_eq!((persons[&1], persons[&3], persons[&700]), (1, 1, 234));
        let wanted: BTreeSet<i64> = [2, 400, 9_999].into();
        let back = records_of(&txn, &wanted).await.expect("records");
        assert_eq!(back, [4, 5, 6, 1198, 1199, 1200]);
        txn.rollback().await.expect("rollback");
    }

    #[tokio::test]
    async fn persons_in_the_county_read_back_packed_are_the_stored_ones() {
        let (_dir, db) = crate::db::scratch().await;
        let txn = deferred(&db).await;
        // In the county with and without a township and dates (one township empty, not
        // NULL), one merged into another, one elsewhere, one not yet verified.
        txn.execute_unprepared(
            "INSERT INTO person (id, merged_into, phones, township, location_status, \
             location_conflict, hubei_link, arrival_date, first_reported, golden, created_at, \
             updated_at) SELECT column1, column2, '[]', column3, column4, 0, 'WUHAN', column5, \
             column6, '{}', '2020-01-20T00:00:00+00:00', '2020-01-20T00:00:00+00:00' FROM \
             (VALUES (1, NULL, '白鹭镇', 'IN_COUNTY', '2020-01-21', '2020-01-25'), \
             (2, NULL, NULL, 'IN_COUNTY', NULL, '2020-01-26'), \
             (3, NULL, '长岭镇', 'OUT_OF_COUNTY', '2020-01-22', NULL), \
             (5, 1, '白鹭镇', 'IN_COUNTY', '2020-01-21', NULL), \
             (6, NULL, '', 'IN_COUNTY', NULL, NULL), \
             (7, NULL, '李店乡', 'PENDING_VERIFICATION', NULL, NULL), \
             (9, NULL, '李店乡', 'IN_COUNTY', '2020-01-19', '2020-01-27'))",
        )
        .await
        .expect("persons");
        // As the driver reads them, row by row.
        let stored = in_county_rows(&txn, None).await.expect("stored");
        assert_eq!(stored.len(), 4);
        assert_eq!(in_county(&txn, None).await.expect("all"), stored);
        let some = in_county(&txn, Some(&[1, 3, 9])).await.expect("some");
        assert_eq!(some.iter().map(|p| p.0).collect::<Vec<_>>(), [1, 9]);
        // Two IDs per query: the gaps between IDs and the last query's end are crossed.
        for per_query in [2, PACKED_PERSONS] {
            let got = in_county_packed(&txn, per_query).await.expect("packed");
            assert_eq!(got, stored, "{per_query} IDs per query");
        }
        assert_eq!(
            stored[2].1.as_deref(),
            Some(""),
            "an empty township stays empty"
        );
        assert!(read_in_county("1\u{1f}x\u{1f}2020-13-01\u{1f}").is_err());
        assert!(read_in_county("1\u{1f}x\u{1f}").is_err());
        txn.rollback().await.expect("rollback");
    }

    #[tokio::test]
    async fn identities_read_back_packed_are_the_stored_texts() {
        let (_dir, db) = crate::db::scratch().await;
        let txn = deferred(&db).await;
        // JSON holding the separators (escaped, as JSON text holds them), quotes and CJK.
        txn.execute_unprepared(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) \
             INSERT INTO source_record (id, batch_id, source, record_id, version, is_current, \
             row_number, raw, content_hash, phones, normalized, problems, created_at) \
             SELECT i, 1, 'TOWNSHIP', 'R' || i, 1, 1, i, '{}', 'h', '[]', \
             json_object('i', i, 'name', '张' || char(30) || char(31) || '\"三\"'), '[]', \
             '2020-01-20T00:00:00+00:00' FROM n",
        )
        .await
        .expect("records");
        // A dense run, scattered records, and one that is not there.
        let mut wanted: Vec<i64> = (10..=150).collect();
        wanted.extend([7, 200, 333, 399, 5_000]);
        let got = normalized_of(&txn, &wanted).await.expect("read back");
        // Row by row, as the driver reads them.
        let stored: HashMap<i64, String> =
            normalized_where(&txn, source_record::Column::Id.is_in(wanted.clone()))
                .await
                .expect("stored")
                .into_iter()
                .collect();
        assert_eq!(got.len(), wanted.len() - 1);
        assert_eq!(got, stored);
        assert!(got[&7].contains("\\u001e"), "{}", got[&7]);
        txn.rollback().await.expect("rollback");
    }

    #[tokio::test]
    async fn persons_of_events_read_back_packed_are_the_stored_ones() {
        let (_dir, db) = crate::db::scratch().await;
        let txn = deferred(&db).await;
        assert_eq!(
            persons_of_events_after(&txn, 0).await.expect("none"),
            Vec::<i64>::new()
        );
        // Merges and splits name a second person; persons named twice, and events at or
        // before `after` left out.
        txn.execute_unprepared(
            "INSERT INTO resolution_event (id, kind, person_id, other_person_id, \
             source_record_id, batch_id, actor, at, detail) \
             SELECT column1, column2, column3, column4, NULL, NULL, 'test', \
             '2020-01-20T00:00:00+00:00', '{}' FROM (VALUES \
             (1, 'CREATE', 40, NULL), (2, 'CREATE', 7, NULL), \
             (3, 'LINK', 12, NULL), (4, 'MERGE', 12, 30), \
             (5, 'LINK', 9, NULL), (6, 'SPLIT', 30, 12), \
             (7, 'LINK', 1000000, NULL))",
        )
        .await
        .expect("events");
        let packed = persons_of_events_after(&txn, 2).await.expect("packed");
        assert_eq!(packed, [9, 12, 30, 1_000_000]);
        let mut by_row = persons_of_events_by_row(&txn, 2).await.expect("by row");
        assert_eq!(by_row.len(), 7, "{by_row:?}");
        by_row.sort_unstable();
        by_row.dedup();
        assert_eq!(packed, by_row);
        assert_eq!(
            persons_of_events_after(&txn, 7).await.expect("after all"),
            Vec::<i64>::new()
        );
        txn.rollback().await.expect("rollback");
    }
}
