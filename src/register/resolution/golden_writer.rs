//! Writing the golden records of the persons a run changed: made on a thread of their own, a
//! chunk of persons at a time, while the run's thread reads back the identities a large run
//! let go and writes the persons with multi-row upserts — a run that touches thousands of
//! persons issues a few statements, not thousands, and never holds a million golden records
//! at once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseTransaction;

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
    let mut held: Option<Write> = None;
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
            let statuses = stored_statuses(txn, &existing)
                .await
                .context("reading the location status of a chunk of persons")?;
            golden.send((golden_chunk(chunk, placed, members, stored)?, statuses))?;
            reading += started.elapsed();
        }
        let started = Instant::now();
        let next = golden.next().await?;
        waiting += started.elapsed();
        let (last, write) = match next {
            None => (true, None),
            Some((write, events)) => {
                changes.extend(events);
                (false, write.map(Write::copying))
            }
        };
        if let Some(write) = std::mem::replace(&mut held, write) {
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

/// The stored location status of each of `persons` (those in the register).
async fn stored_statuses(
    txn: &DatabaseTransaction,
    persons: &[i64],
) -> anyhow::Result<HashMap<i64, LocationStatus>> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QuerySelect as _};
    if persons.is_empty() {
        return Ok(HashMap::new());
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
            let status = LocationStatus::from_stored(&status)
                .with_context(|| format!("person {id} has no location status: {status:?}"))?;
            Ok((id, status))
        })
        .collect()
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

/// The upsert of one chunk's golden records: the person rows from `chunk`.
fn golden_rows(
    (chunk, statuses): (GoldenChunk, HashMap<i64, LocationStatus>),
    transport: Transport,
    upsert: &rows::OnConflict<person::Column>,
    now: DateTime<Utc>,
) -> Answer {
    let mut changes = Vec::new();
    let models = chunk
        .into_iter()
        .map(|(person, records)| {
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
            if let Some(old) = statuses.get(&person) {
                changes.extend(location_change(person, *old, &golden));
            }
            person_model(person, &golden, now)
        })
        .collect::<anyhow::Result<Vec<person::Model>>>()?;
    Ok((transport.insert::<person::Entity>(&models, upsert), changes))
}

/// What the thread answers a chunk with: its statement (none for a chunk of no persons).
type Answer = anyhow::Result<(Option<Write>, Vec<Event>)>;

/// A thread that turns chunks of persons into the statements that upsert their golden
/// records, in the order the chunks were sent. It stops when its [`GoldenWriter`] is dropped
/// or after the first chunk it cannot make.
struct GoldenWriter {
    jobs: std::sync::mpsc::SyncSender<(GoldenChunk, HashMap<i64, LocationStatus>)>,
    statements: tokio::sync::mpsc::Receiver<Answer>,
    /// Chunks sent and not yet answered.
    in_flight: usize,
}

impl GoldenWriter {
    fn start(transport: Transport, now: DateTime<Utc>) -> anyhow::Result<Self> {
        let upsert = rows::OnConflict::Update {
            key: vec![person::Column::Id],
            update: person_columns_kept_fresh(),
        };
        let (jobs, chunks) = std::sync::mpsc::sync_channel::<(
            GoldenChunk,
            HashMap<i64, LocationStatus>,
        )>(GOLDEN_AHEAD);
        let (sender, statements) = tokio::sync::mpsc::channel(GOLDEN_AHEAD);
        std::thread::Builder::new()
            .name("paicha-golden".to_owned())
            .spawn(move || {
                for chunk in chunks {
                    let answer = golden_rows(chunk, transport, &upsert, now);
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
    fn send(&mut self, chunk: (GoldenChunk, HashMap<i64, LocationStatus>)) -> anyhow::Result<()> {
        self.jobs.send(chunk).map_err(|_| stopped())?;
        self.in_flight += 1;
        Ok(())
    }

    /// The statement of the oldest chunk unanswered (`Some(None)` for a chunk of no
    /// persons), or `None` when every chunk sent has been answered.
    async fn next(&mut self) -> anyhow::Result<Option<(Option<Write>, Vec<Event>)>> {
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
        let upsert = rows::OnConflict::Fail;
        let (statement, changes) = golden_rows(
            (chunk, HashMap::new()),
            Transport::statements(DbBackend::Sqlite),
            &upsert,
            Utc::now(),
        )
        .expect("rows");
        let Some(Write::Statement(statement)) = statement else {
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
            &upsert,
            Utc::now(),
        )
        .expect_err("an empty text is no identity");
        assert!(err.to_string().contains("record 9"), "{err}");
    }
}
