//! Writing the golden records of the persons a run changed: made on a thread of their own, a
//! chunk of persons at a time, while the run's thread reads back the identities a large run
//! let go and writes the persons with multi-row upserts — a run that touches thousands of
//! persons issues a few statements, not thousands, and never holds a million golden records
//! at once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait as _, DatabaseTransaction, DbBackend, IdenStatic as _, ModelTrait as _,
};

use super::load::read_identity;
use super::plan::{Event, Placed};
use crate::db::overlap::{Transport, Write};
use crate::db::{person, read_back, rows};
use crate::intake::SourceKind;
use crate::normalize::Sex;
use crate::register::golden::{Evidence, Golden, StoredIdentity, golden_record};
use crate::states::{EventKind, LocationStatus, Stored as _};

/// Persons per upsert statement.
const CHUNK: usize = 500;

/// Chunks of persons sent to the golden-record thread before the first comes back.
const GOLDEN_AHEAD: usize = 2;

/// A record as evidence for its person's golden record.
pub(super) struct Member {
    pub source: SourceKind,
    pub created_on: NaiveDate,
    /// `None` once a large run has let it go (see [`crate::register::IDENTITIES_HELD`]): it
    /// is read back from the register.
    pub identity: Option<Box<StoredIdentity>>,
}

/// Writes the golden records of `persons` (each with its records' indices into `placed` and
/// `members`), inserting new persons and updating the others.
///
/// Returns a `LOCATION` event for each person already in the register (an ID below
/// `first_new`) whose location status the rewrite changes, with the old and new status and
/// the deciding record.
pub(super) async fn write_persons(
    txn: &DatabaseTransaction,
    persons: &[(i64, Vec<usize>)],
    placed: &[Placed],
    members: &[Member],
    first_new: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Event>> {
    let transport = Transport::of(txn);
    let mut golden = GoldenWriter::start(transport, now)?;
    let mut changes = Vec::new();
    let mut chunks = persons.chunks(transport.chunk(CHUNK));
    // Time spent reading identities back, waiting for golden records and writing them.
    let (mut reading, mut waiting, mut writing) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    // The chunk answered last, held until the next one is answered: rows copied on
    // PostgreSQL are copied meanwhile (see `Write::copying`). SQLite's statements are held
    // too: 200 000 persons took 0.90–0.98 s so, 1.21–1.38 s written as they came.
    let mut held: Vec<Write> = Vec::new();
    loop {
        while golden.has_room()
            && let Some(chunk) = chunks.next()
        {
            let started = Instant::now();
            let missing: Vec<i64> = chunk
                .iter()
                .flat_map(|(_, of)| of)
                .filter(|&&i| members[i].identity.is_none())
                .map(|&i| placed[i].id)
                .collect();
            let stored = read_back::normalized_of(txn, &missing)
                .await
                .context("reading back the identities of a chunk of persons")?;
            let existing: Vec<i64> = chunk
                .iter()
                .map(|(p, _)| *p)
                .filter(|p| *p < first_new)
                .collect();
            let stored_persons = stored_persons(txn, &existing)
                .await
                .context("reading the stored rows of a chunk of persons")?;
            golden.send((
                golden_chunk(chunk, placed, members, stored)?,
                stored_persons,
            ))?;
            reading += started.elapsed();
        }
        let started = Instant::now();
        let next = golden.next().await?;
        waiting += started.elapsed();
        let (last, writes) = match next {
            None => (true, Vec::new()),
            Some((writes, events)) => {
                changes.extend(events);
                (false, writes.into_iter().map(Write::copying).collect())
            }
        };
        for write in std::mem::replace(&mut held, writes) {
            let started = Instant::now();
            write
                .execute(txn)
                .await
                .context("writing a chunk of golden records")?;
            writing += started.elapsed();
        }
        if last {
            break;
        }
    }
    tracing::debug!(
        reading = reading.as_millis() as u64,
        waiting = waiting.as_millis() as u64,
        writing = writing.as_millis() as u64,
        "persons written (ms)"
    );
    Ok(changes)
}

/// What the register holds of a person a run rewrites.
struct StoredPerson {
    /// Its location status, as the `LOCATION` events compare it.
    status: LocationStatus,
    /// Its values of the [`INDEXED`] columns, in that order, where they were read (SQLite).
    indexed: Option<Vec<serde_json::Value>>,
}

/// The stored row of each of `persons` (those in the register), as far as rewriting it needs.
async fn stored_persons(
    txn: &DatabaseTransaction,
    persons: &[i64],
) -> anyhow::Result<HashMap<i64, StoredPerson>> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QuerySelect as _};
    if persons.is_empty() {
        return Ok(HashMap::new());
    }
    if txn.get_database_backend() == DbBackend::Sqlite {
        return stored_persons_packed(txn, persons).await;
    }
    let rows: Vec<(i64, String)> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::LocationStatus)
        .filter(person::Column::Id.is_in(persons.to_vec()))
        .into_tuple()
        .all(txn)
        .await?;
    rows.into_iter()
        .map(|(id, status)| {
            let status = stored_status(id, &status)?;
            let indexed = None;
            Ok((id, StoredPerson { status, indexed }))
        })
        .collect()
}

/// [`stored_persons`] on SQLite, with their values of the [`INDEXED`] columns: read as one
/// JSON text ([`read_back::packed_text`]), which carries any value as it is, rather than
/// handed over by the driver row by row, each row waking its worker thread and this one.
async fn stored_persons_packed(
    txn: &DatabaseTransaction,
    persons: &[i64],
) -> anyhow::Result<HashMap<i64, StoredPerson>> {
    let indexed: Vec<String> = INDEXED
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    let sql = format!(
        "SELECT json_group_array(json_array(id, location_status, json_array({}))) AS texts \
         FROM person WHERE id IN ({})",
        indexed.join(", "),
        vec!["?"; persons.len()].join(", ")
    );
    let values = persons.iter().map(|&id| id.into()).collect();
    let Some(text) = read_back::packed_text(txn, sql, values).await? else {
        return Ok(HashMap::new());
    };
    let rows: Vec<(i64, String, Vec<serde_json::Value>)> =
        serde_json::from_str(&text).context("reading the packed rows of persons")?;
    rows.into_iter()
        .map(|(id, status, indexed)| {
            let status = stored_status(id, &status)?;
            let indexed = Some(indexed);
            Ok((id, StoredPerson { status, indexed }))
        })
        .collect()
}

/// The location status stored as `status` for person `id`.
fn stored_status(id: i64, status: &str) -> anyhow::Result<LocationStatus> {
    LocationStatus::from_stored(status)
        .with_context(|| format!("person {id} has no location status: {status:?}"))
}

/// The `LOCATION` event of a person whose status changed from `old` to the golden record's.
fn location_change(person: i64, old: LocationStatus, golden: &Golden) -> Option<Event> {
    if old == golden.location_status {
        return None;
    }
    let deciding = golden.location_evidence.iter().find(|p| p.deciding);
    Some(Event {
        kind: EventKind::Location,
        person,
        other: None,
        record: deciding.map(|p| p.record),
        detail: serde_json::json!({
            "from": old.as_str(),
            "to": golden.location_status.as_str(),
            "record": deciding.map(|p| p.record),
            "rule": deciding.map(|p| p.rule.as_str()),
            "jurisdiction": golden.jurisdiction_code,
        })
        .to_string(),
    })
}

/// The person columns an index of `person` reads, besides its ID and `updated_at`.
///
/// An upsert that sets one of them makes SQLite rewrite that index's entry of every row it
/// updates, whether the value changed or not: in `sqlite3`, 31 000 stored persons upserted
/// with every column took 0.45 s of CPU, with every column but these 0.06 s. A person whose
/// values here are the stored ones is upserted without them ([`Upserts::quiet`]).
const INDEXED: [person::Column; 8] = [
    person::Column::Name,
    person::Column::NamePinyin,
    person::Column::IdNumber,
    person::Column::Township,
    person::Column::Village,
    person::Column::LocationStatus,
    person::Column::ArrivalDate,
    person::Column::FirstReported,
];

/// The two upserts of a chunk of persons.
struct Upserts {
    /// Every column a run keeps fresh: new persons, and stored ones whose [`INDEXED`]
    /// values change or were not read.
    full: rows::OnConflict<person::Column>,
    /// Every such column but the [`INDEXED`] ones: stored persons whose [`INDEXED`] values
    /// stay as they are.
    quiet: rows::OnConflict<person::Column>,
}

impl Upserts {
    fn new() -> Self {
        let key = vec![person::Column::Id];
        let fresh = person_columns_kept_fresh();
        let quiet = fresh
            .iter()
            .copied()
            .filter(|c| !INDEXED.iter().any(|i| i.as_str() == c.as_str()))
            .collect();
        Self {
            full: rows::OnConflict::Update {
                key: key.clone(),
                update: fresh,
            },
            quiet: rows::OnConflict::Update { key, update: quiet },
        }
    }
}

/// True when `model`'s values of the [`INDEXED`] columns are `stored`, as
/// [`stored_persons_packed`] read them.
fn indexed_unchanged(model: &person::Model, stored: &[serde_json::Value]) -> bool {
    use sea_orm::sea_query::Value;
    use serde_json::Value as Json;
    stored.len() == INDEXED.len()
        && INDEXED
            .iter()
            .zip(stored)
            .all(|(column, stored)| match (model.get(*column), stored) {
                (Value::String(None) | Value::ChronoDate(None), Json::Null) => true,
                (Value::String(Some(new)), Json::String(old)) => new == *old,
                (Value::ChronoDate(Some(new)), Json::String(old)) => {
                    new.format("%Y-%m-%d").to_string() == *old
                }
                _ => false,
            })
}

/// The person columns a resolution run rewrites (not the ID, the creation time or a redirect).
fn person_columns_kept_fresh() -> Vec<person::Column> {
    use person::Column as C;
    vec![
        C::Name,
        C::NamePinyin,
        C::IdNumber,
        C::Phones,
        C::BirthDate,
        C::Sex,
        C::Address,
        C::Township,
        C::Village,
        C::LocationStatus,
        C::JurisdictionCode,
        C::JurisdictionName,
        C::LocationConflict,
        C::HubeiLink,
        C::Origin,
        C::ArrivalDate,
        C::FirstReported,
        C::Golden,
        C::UpdatedAt,
    ]
}

/// The stored row of person `id` with golden record `golden`.
pub(super) fn person_model(
    id: i64,
    golden: &Golden,
    now: DateTime<Utc>,
) -> anyhow::Result<person::Model> {
    Ok(person::Model {
        id,
        merged_into: None,
        name: golden.name.value.clone(),
        name_pinyin: golden.name_pinyin.clone(),
        id_number: golden.id_number.value.clone(),
        phones: json_of(id, "phones", &golden.phone_numbers())?,
        birth_date: golden
            .birth_date
            .value
            .as_deref()
            .and_then(|d| d.parse().ok()),
        sex: golden
            .sex
            .value
            .as_deref()
            .map(|s| {
                Sex::from_stored(s)
                    .with_context(|| format!("the golden sex of person {id} is no sex: {s:?}"))
            })
            .transpose()?,
        address: golden.address.value.clone(),
        township: golden.township.value.clone(),
        village: golden.village.value.clone(),
        location_status: golden.location_status,
        jurisdiction_code: golden.jurisdiction_code.clone(),
        jurisdiction_name: golden.jurisdiction_name.clone(),
        location_conflict: golden.location_conflict,
        hubei_link: golden.hubei_link,
        origin: golden.origin.clone(),
        arrival_date: golden.arrival_date,
        first_reported: golden.first_reported,
        golden: json_of(id, "golden record", golden)?,
        created_at: now,
        updated_at: now,
    })
}

/// `value`, the `what` of person `id`, as JSON text for a TEXT column.
fn json_of<T: serde::Serialize + ?Sized>(id: i64, what: &str, value: &T) -> anyhow::Result<String> {
    serde_json::to_string(value)
        .with_context(|| format!("writing the {what} of person {id} as JSON"))
}

/// A record's identity as the golden-record thread gets it: held through the run, or the
/// normalised JSON text read back from the register.
enum IdentityIn {
    Held(Box<StoredIdentity>),
    Stored(String),
}

/// Persons with their records: (record, source, imported on, identity).
type GoldenChunk = Vec<(i64, Vec<(i64, SourceKind, NaiveDate, IdentityIn)>)>;

/// A chunk of persons for the golden-record thread; `stored` holds the normalised JSON of the
/// members whose identity was let go.
fn golden_chunk(
    chunk: &[(i64, Vec<usize>)],
    placed: &[Placed],
    members: &[Member],
    mut stored: HashMap<i64, String>,
) -> anyhow::Result<GoldenChunk> {
    chunk
        .iter()
        .map(|(person, of)| {
            let evidence = of
                .iter()
                .map(|&i| {
                    let (id, m) = (placed[i].id, &members[i]);
                    let identity = match &m.identity {
                        Some(identity) => IdentityIn::Held(identity.clone()),
                        None => IdentityIn::Stored(stored.remove(&id).with_context(|| {
                            format!("reading back the stored identity of record {id}: no such row")
                        })?),
                    };
                    Ok((id, m.source, m.created_on, identity))
                })
                .collect::<anyhow::Result<_>>()?;
            Ok((*person, evidence))
        })
        .collect()
}

/// The upserts of one chunk's golden records: the person rows from `chunk`, those whose
/// [`INDEXED`] values stay as `stored` holds them apart from the rest.
fn golden_rows(
    (chunk, stored): (GoldenChunk, HashMap<i64, StoredPerson>),
    transport: Transport,
    upserts: &Upserts,
    now: DateTime<Utc>,
) -> Answer {
    let mut changes = Vec::new();
    let (mut quiet, mut full) = (Vec::new(), Vec::new());
    for (person, records) in chunk {
        let evidence = records
            .into_iter()
            .map(|(record, source, imported_on, identity)| {
                Ok(Evidence {
                    record,
                    source,
                    identity: match identity {
                        IdentityIn::Held(identity) => *identity,
                        IdentityIn::Stored(text) => read_identity(record, &text)?,
                    },
                    imported_on,
                })
            })
            .collect::<anyhow::Result<Vec<Evidence>>>()?;
        let golden = golden_record(&evidence);
        let stored = stored.get(&person);
        if let Some(old) = stored {
            changes.extend(location_change(person, old.status, &golden));
        }
        let model = person_model(person, &golden, now)?;
        match stored.and_then(|s| s.indexed.as_deref()) {
            Some(indexed) if indexed_unchanged(&model, indexed) => quiet.push(model),
            _ => full.push(model),
        }
    }
    let writes = [(&quiet, &upserts.quiet), (&full, &upserts.full)]
        .into_iter()
        .filter_map(|(models, upsert)| transport.insert::<person::Entity>(models, upsert))
        .collect();
    Ok((writes, changes))
}

/// What the thread answers a chunk with: its statements (none for a chunk of no persons).
type Answer = anyhow::Result<(Vec<Write>, Vec<Event>)>;

/// A thread that turns chunks of persons into the statements that upsert their golden
/// records, in the order the chunks were sent. It stops when its [`GoldenWriter`] is dropped
/// or after the first chunk it cannot make.
struct GoldenWriter {
    jobs: std::sync::mpsc::SyncSender<(GoldenChunk, HashMap<i64, StoredPerson>)>,
    statements: tokio::sync::mpsc::Receiver<Answer>,
    /// Chunks sent and not yet answered.
    in_flight: usize,
}

impl GoldenWriter {
    fn start(transport: Transport, now: DateTime<Utc>) -> anyhow::Result<Self> {
        let upserts = Upserts::new();
        let (jobs, chunks) = std::sync::mpsc::sync_channel::<(
            GoldenChunk,
            HashMap<i64, StoredPerson>,
        )>(GOLDEN_AHEAD);
        let (sender, statements) = tokio::sync::mpsc::channel(GOLDEN_AHEAD);
        std::thread::Builder::new()
            .name("paicha-golden".to_owned())
            .spawn(move || {
                for chunk in chunks {
                    let answer = golden_rows(chunk, transport, &upserts, now);
                    let failed = answer.is_err();
                    if sender.blocking_send(answer).is_err() || failed {
                        return;
                    }
                }
            })
            .context("starting the golden-record thread")?;
        Ok(Self {
            jobs,
            statements,
            in_flight: 0,
        })
    }

    /// True while fewer than [`GOLDEN_AHEAD`] chunks are unanswered: a chunk sent then is
    /// taken without waiting.
    fn has_room(&self) -> bool {
        self.in_flight < GOLDEN_AHEAD
    }

    /// Hands a chunk of persons to the thread.
    fn send(&mut self, chunk: (GoldenChunk, HashMap<i64, StoredPerson>)) -> anyhow::Result<()> {
        self.jobs.send(chunk).map_err(|_| stopped())?;
        self.in_flight += 1;
        Ok(())
    }

    /// The statements of the oldest chunk unanswered (none for a chunk of no persons), or
    /// `None` when every chunk sent has been answered.
    async fn next(&mut self) -> anyhow::Result<Option<(Vec<Write>, Vec<Event>)>> {
        if self.in_flight == 0 {
            return Ok(None);
        }
        let answer = self.statements.recv().await.ok_or_else(stopped)?;
        self.in_flight -= 1;
        Ok(Some(answer?))
    }
}

/// The golden-record thread stopped without an answer (it panicked, or stopped after an
/// error it has already answered with).
fn stopped() -> anyhow::Error {
    anyhow::anyhow!("the golden-record thread stopped")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::DbBackend;

    #[test]
    fn a_person_whose_record_was_not_read_back_is_an_error() {
        let placed = [Placed {
            id: 7,
            person: Some(1),
            inherited: None,
            fresh: false,
        }];
        let members = [Member {
            source: SourceKind::Township,
            created_on: NaiveDate::default(),
            identity: None,
        }];
        let Err(err) = golden_chunk(&[(1, vec![0])], &placed, &members, HashMap::new()) else {
            panic!("a chunk without the stored identity it needs");
        };
        assert!(err.to_string().contains("record 7"), "{err}");
    }

    #[test]
    fn golden_records_are_made_from_held_and_stored_identities_alike() {
        let chunk: GoldenChunk = vec![(
            1,
            vec![
                (
                    7,
                    SourceKind::Township,
                    NaiveDate::default(),
                    IdentityIn::Stored(r#"{"name":"张三","phones":[]}"#.to_owned()),
                ),
                (
                    8,
                    SourceKind::Bigdata,
                    NaiveDate::default(),
                    IdentityIn::Held(Box::default()),
                ),
            ],
        )];
        let upserts = Upserts::new();
        let (writes, changes) = golden_rows(
            (chunk, HashMap::new()),
            Transport::statements(DbBackend::Sqlite),
            &upserts,
            Utc::now(),
        )
        .expect("rows");
        let [Write::Statement(statement)] = &writes[..] else {
            panic!("a statement")
        };
        assert!(changes.is_empty());
        assert!(
            statement.sql.starts_with("INSERT INTO"),
            "{}",
            statement.sql
        );
        let corrupt: GoldenChunk = vec![(
            1,
            vec![(
                9,
                SourceKind::Township,
                NaiveDate::default(),
                IdentityIn::Stored(String::new()),
            )],
        )];
        let err = golden_rows(
            (corrupt, HashMap::new()),
            Transport::statements(DbBackend::Sqlite),
            &upserts,
            Utc::now(),
        )
        .expect_err("an empty text is no identity");
        assert!(err.to_string().contains("record 9"), "{err}");
    }

    /// A chunk of persons, each with its records' normalised JSON (records numbered from 1).
    fn stored_chunk(persons: &[(i64, &[&str])]) -> GoldenChunk {
        let mut record = 0;
        persons
            .iter()
            .map(|(person, identities)| {
                let records = identities
                    .iter()
                    .map(|json| {
                        record += 1;
                        let identity = IdentityIn::Stored((*json).to_owned());
                        (record, SourceKind::Township, NaiveDate::default(), identity)
                    })
                    .collect();
                (*person, records)
            })
            .collect()
    }

    /// The number of person rows a write inserts.
    fn rows_of(write: &Write) -> usize {
        use sea_orm::Iterable as _;
        let Write::Statement(statement) = write else {
            panic!("a statement")
        };
        let values = statement.values.as_ref().map_or(0, |v| v.0.len());
        values / person::Column::iter().count()
    }

    #[tokio::test]
    async fn stored_persons_whose_indexed_values_stay_are_rewritten_without_them() {
        use sea_orm::TransactionTrait as _;
        let (_dir, db) = crate::db::scratch().await;
        let txn = db.writer_conn().begin().await.expect("begin");
        let (transport, upserts) = (Transport::of(&txn), Upserts::new());
        let first = r#"{"name":"张三","township":"白鹭镇","arrival_date":"2020-01-21","in_county":true,"phones":[]}"#;
        let second = r#"{"name":"王五","township":"长岭镇","in_county":true,"phones":[]}"#;
        let chunk = stored_chunk(&[(1, &[first]), (2, &[second])]);
        let (writes, _) =
            golden_rows((chunk, HashMap::new()), transport, &upserts, Utc::now()).expect("rows");
        assert_eq!(writes.iter().map(rows_of).collect::<Vec<_>>(), [2]);
        for write in writes {
            write.execute(&txn).await.expect("insert");
        }
        let stored = stored_persons(&txn, &[1, 2, 3]).await.expect("stored");
        assert_eq!(stored.len(), 2, "person 3 is not in the register");
        assert_eq!(stored[&1].status, LocationStatus::InCounty);
        // Person 1 gains an address (no index reads it), person 2 another name, and person
        // 3 is new: only person 1 is rewritten without its indexed columns.
        let addressed = r#"{"name":"张三","township":"白鹭镇","arrival_date":"2020-01-21","in_county":true,"phones":[],"address":"白鹭镇东街1号"}"#;
        let renamed = r#"{"name":"李四","township":"长岭镇","in_county":true,"phones":[]}"#;
        let chunk = stored_chunk(&[(1, &[addressed]), (2, &[renamed]), (3, &[first])]);
        let (writes, _) =
            golden_rows((chunk, stored), transport, &upserts, Utc::now()).expect("rows");
        assert_eq!(writes.iter().map(rows_of).collect::<Vec<_>>(), [1, 2]);
        let Write::Statement(quiet) = &writes[0] else {
            panic!("a statement")
        };
        assert!(quiet.sql.contains(r#""golden" = "excluded"."golden""#));
        assert!(!quiet.sql.contains(r#""name" = "excluded"."name""#));
        for write in writes {
            write.execute(&txn).await.expect("upsert");
        }
        type Row = (i64, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = txn
            .query_all_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "SELECT id, name, address, township FROM person ORDER BY id",
            ))
            .await
            .expect("persons")
            .iter()
            .map(|r| {
                let text = |i| r.try_get_by_index::<Option<String>>(i).expect("text");
                (
                    r.try_get_by_index(0).expect("id"),
                    text(1),
                    text(2),
                    text(3),
                )
            })
            .collect();
        let text = |s: &str| Some(s.to_owned());
        assert_eq!(
            rows,
            [
                (1, text("张三"), text("白鹭镇东街1号"), text("白鹭镇")),
                (2, text("李四"), None, text("长岭镇")),
                (3, text("张三"), None, text("白鹭镇")),
            ]
        );
        // The name index follows the rename, and the file is whole.
        let named = |name: &str| {
            sea_orm::Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT group_concat(id) AS ids FROM person INDEXED BY ix_person_name \
                 WHERE name = ?",
                [name.into()],
            )
        };
        for (name, ids) in [("李四", Some("2")), ("王五", None), ("张三", Some("1,3"))] {
            let row = txn.query_one_raw(named(name)).await.expect("look-up");
            let found: Option<String> = row.expect("a row").try_get("", "ids").expect("ids");
            assert_eq!(found.as_deref(), ids, "{name}");
        }
        let check = txn
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA integrity_check",
            ))
            .await
            .expect("check")
            .expect("a row");
        assert_eq!(check.try_get_by_index::<String>(0).expect("ok"), "ok");
        txn.rollback().await.expect("rollback");
    }

    /// A rewrite without the [`INDEXED`] columns leaves every index of `person` as it was
    /// only while no index reads another column: an index added on one must add it there.
    #[tokio::test]
    async fn the_indexes_of_person_read_no_column_left_out_of_indexed() {
        use sea_orm::Iterable as _;
        let (_dir, db) = crate::db::scratch().await;
        let indexes: Vec<String> = db
            .writer_conn()
            .query_all_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'person' \
                 AND sql IS NOT NULL",
            ))
            .await
            .expect("indexes")
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("sql"))
            .collect();
        assert!(indexes.len() >= INDEXED.len(), "{indexes:?}");
        let word = |c: char| c.is_alphanumeric() || c == '_';
        for column in person::Column::iter() {
            let name = column.as_str();
            if name == "id" || name == "updated_at" || INDEXED.iter().any(|c| c.as_str() == name) {
                continue;
            }
            for sql in &indexes {
                let (_, on) = sql.split_once(" ON ").expect("CREATE INDEX … ON …");
                let read = on.split(|c: char| !word(c)).any(|w| w == name);
                assert!(!read, "{sql} reads {name}, which INDEXED leaves out");
            }
        }
    }
}
