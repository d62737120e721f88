//! Reading and normalising a file on a thread of its own, a chunk of rows at a time, so that
//! reading the next rows overlaps writing the ones before them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{NaiveDate, Utc};

use super::models::json_text;
use super::{ImportRequest, refused};
use crate::Reference;
use crate::error::AppError;
use crate::followup::remarks::RemarkFinding;
use crate::intake::{self, Field, HeaderMap, NoticeIn, SourceRow};
use crate::normalize::{self, NormalizeContext, RawIdentity};
use crate::register::golden::StoredIdentity;
use crate::register::resolution::values::{field_values, needs_raw};
use crate::resolve::compare::FieldValue;
use crate::resolve::profile::Profile;

/// The most rows read, normalised (on every core) and written together.
pub(super) const NORMALISE_CHUNK: usize = 20_000;

/// An accepted row as the writer needs it, with its normalised identity and comparison values.
pub(super) struct Prepared {
    pub(super) row_number: u32,
    pub(super) record_id: String,
    /// Every column as it arrived (JSON text).
    pub(super) raw_json: String,
    pub(super) notice: Option<usize>,
    pub(super) content_hash: String,
    /// The identity without its problems, which are kept apart.
    pub(super) identity: StoredIdentity,
    /// The texts of the record's JSON columns, made where the row was normalised.
    pub(super) json: RecordJson,
    pub(super) values: Vec<FieldValue>,
}

/// A record's JSON columns as text.
pub(super) struct RecordJson {
    /// The identity (without its problems).
    pub(super) normalized: String,
    pub(super) problems: String,
    pub(super) phones: String,
}

/// What a file's rows are normalised with, owned so that the reading thread can hold it.
pub(super) struct Normaliser {
    pub(super) profile: Arc<Profile>,
    pub(super) reference: Reference,
    /// The import's day, for dates written without a year and ages.
    pub(super) today: NaiveDate,
}

impl Normaliser {
    /// A normaliser for an import starting now.
    fn new(profile: Arc<Profile>, reference: Reference) -> Self {
        Self {
            profile,
            reference,
            today: Utc::now().date_naive(),
        }
    }

    /// Normalises `rows` on every core (normalisation is pure; the order is kept) and makes
    /// their comparison values and JSON texts; `rows` is left empty.
    fn prepare(&self, rows: &mut Vec<SourceRow>, notices: &[NoticeIn]) -> Vec<Prepared> {
        let with_raw = needs_raw(&self.profile);
        let prepare = |chunk: &[SourceRow]| -> Vec<(StoredIdentity, RecordJson, Vec<FieldValue>)> {
            chunk
                .iter()
                .map(|row| {
                    let mut identity = self.normalize_row(row, notices);
                    let raw = with_raw
                        .then(|| serde_json::from_str(&row.raw_json).ok())
                        .flatten();
                    let values = field_values(&self.profile, &identity, raw.as_ref());
                    let problems = std::mem::take(&mut identity.identity.problems);
                    let json = RecordJson {
                        normalized: json_text(&identity),
                        problems: json_text(&problems),
                        phones: json_text(
                            &identity
                                .identity
                                .phones
                                .iter()
                                .map(|p| &p.number)
                                .collect::<Vec<_>>(),
                        ),
                    };
                    (identity, json, values)
                })
                .collect()
        };
        let made = crate::parallel::map_chunks(rows, 10_000, prepare);
        rows.drain(..)
            .zip(made)
            .map(|(row, (identity, json, values))| Prepared {
                row_number: row.row_number,
                record_id: row.record_id,
                raw_json: row.raw_json,
                notice: row.notice,
                content_hash: row.content_hash,
                identity,
                json,
                values,
            })
            .collect()
    }

    fn normalize_row(&self, row: &SourceRow, notices: &[NoticeIn]) -> StoredIdentity {
        let notice = row.notice.and_then(|i| notices.get(i));
        let reference = reference_date(row, notice, self.today);
        let get = |f: Field| row.get(f);
        let header = |f: Field| notice.and_then(|n| n.fields.get(&f)).map(String::as_str);
        // The notice's sender is where its persons came from (the jurisdiction that found
        // them there), when the row names no origin of its own and the sender is a division
        // of the national table: a Wuhan district's notice links its persons to Wuhan.
        let sender = header(Field::SendingJurisdiction)
            .filter(|s| self.reference.divisions.resolve_place(s).is_some());
        let notes: Vec<&str> = [Field::Remark, Field::Symptoms]
            .into_iter()
            .filter_map(get)
            .collect();
        let raw = RawIdentity {
            name: get(Field::Name),
            id_number: get(Field::IdNumber),
            phone: get(Field::Phone),
            sex: get(Field::Sex),
            age: get(Field::Age),
            birth_date: get(Field::BirthDate),
            township: get(Field::Township),
            village: get(Field::Village),
            address: get(Field::Address).or(get(Field::CurrentAddress)),
            // Where the person lives now says where they are unless the row says otherwise:
            // a township form's 现住址 outside the county means the person has left.
            current_location: get(Field::CurrentLocation)
                .or(get(Field::CurrentAddress))
                .or(get(Field::Address)),
            origin: get(Field::Origin)
                .filter(|o| !o.trim().is_empty())
                .or(sender),
            arrival_date: get(Field::ArrivalDate),
            // A notice's persons were reported on the day it was sent.
            report_date: get(Field::ReportDate)
                .or(get(Field::BatchDate))
                .or(header(Field::SendDate)),
            notes,
        };
        let ctx = NormalizeContext {
            divisions: self.reference.divisions,
            gazetteer: &self.reference.gazetteer,
            reference_date: reference,
        };
        let mut identity = normalize::normalize_record(&raw, &ctx);
        identity.remark = get(Field::Remark).and_then(|text| {
            remark_location(text, &self.reference.gazetteer, self.reference.divisions)
        });
        StoredIdentity {
            identity,
            address: get(Field::Address)
                .or(get(Field::CurrentAddress))
                .map(str::to_owned),
            origin: get(Field::Origin).map(str::to_owned),
        }
    }
}

/// What the reading thread hands the writer, in this order: `Opened`, any number of `Rows`,
/// `Done`.
pub(super) enum Reading {
    /// The file is open: its format and its notices, complete before the first row.
    Opened {
        format: intake::FileFormat,
        notices: Vec<NoticeIn>,
    },
    /// The next accepted rows, normalised.
    Rows(Vec<Prepared>),
    /// The end of the file.
    Done(ReadDone),
}

/// What reading a whole file found besides its rows, and the time it took.
pub(super) struct ReadDone {
    pub(super) read: intake::FileRead,
    pub(super) reading: Duration,
    pub(super) normalising: Duration,
}

/// Chunks read ahead of the writer: one in the channel and one being made while the writer
/// writes a third, so at most three chunks of rows are held at once...
const READ_AHEAD: usize = 1;

/// ...unless the chunks are small: then as many as hold about this many rows wait in the
/// channel, so that a small file whose reading starts before the register is open (see
/// [`ReadAhead`]) is read through meanwhile. A file of 40 000 lines or more reads in chunks of
/// 10 000 rows or more and keeps [`READ_AHEAD`].
const READ_AHEAD_ROWS: usize = 10_000;

/// The rows of a file as its reading thread sends them.
pub(super) struct Rows {
    receiver: tokio::sync::mpsc::Receiver<Result<Reading, intake::IntakeError>>,
    /// The file's lines: an estimate of a table's rows (only a guide, for a progress bar).
    pub(super) lines: usize,
}

impl Rows {
    /// The next message: an unreadable file refuses `req`; a thread that stopped without
    /// saying why (a panic) is an internal error.
    pub(super) async fn next(&mut self, req: &ImportRequest<'_>) -> Result<Reading, AppError> {
        match self.receiver.recv().await {
            Some(message) => message.map_err(|e| refused(req, e)),
            None => Err(AppError::Internal(anyhow::anyhow!(
                "the file's reading thread stopped"
            ))),
        }
    }
}

/// Reads and normalises `req`'s file on a thread of its own, a chunk of rows at a time, so
/// that reading and normalising the next rows overlap writing the ones before them. The
/// thread stops at the end of the file, at the first error (which it sends), or when the
/// writer drops the returned [`Rows`]. Rows go in chunks of about a quarter of the file's
/// lines, at least 1 000 (or `most`, if fewer) and at most `most`, so that even a small
/// file's writing overlaps its reading.
pub(super) fn read_in_background(
    req: &ImportRequest<'_>,
    headers: HeaderMap,
    normaliser: Normaliser,
    most: usize,
) -> Result<Rows, AppError> {
    let lines = req.bytes.iter().filter(|b| **b == b'\n').count();
    let chunk = (lines / 4).clamp(1_000.min(most), most);
    let (sender, receiver) = tokio::sync::mpsc::channel((READ_AHEAD_ROWS / chunk).max(READ_AHEAD));
    let source = req.source;
    let file_name = req.file_name.to_owned();
    let bytes = req.bytes.clone();
    std::thread::Builder::new()
        .name("paicha-read".to_owned())
        .spawn(move || {
            let send = |message| sender.blocking_send(message).is_ok();
            let mut reader = match intake::RowReader::open(source, &file_name, &bytes, &headers) {
                Ok(reader) => reader,
                Err(e) => {
                    send(Err(e));
                    return;
                }
            };
            let opened = Reading::Opened {
                format: reader.format(),
                notices: reader.notices().to_vec(),
            };
            if !send(Ok(opened)) {
                return;
            }
            let (mut reading, mut normalising) = (Duration::ZERO, Duration::ZERO);
            let mut rows: Vec<SourceRow> = Vec::with_capacity(chunk);
            loop {
                let started = Instant::now();
                match reader.fill(chunk, &mut rows) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        send(Err(e));
                        return;
                    }
                }
                let read = Instant::now();
                reading += read - started;
                let prepared = normaliser.prepare(&mut rows, reader.notices());
                normalising += read.elapsed();
                if !send(Ok(Reading::Rows(prepared))) {
                    return;
                }
            }
            send(Ok(Reading::Done(ReadDone {
                read: reader.finish(),
                reading,
                normalising,
            })));
        })
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot start a reading thread: {e}")))?;
    Ok(Rows { receiver, lines })
}

/// The reading and normalising of an import's file, started before the register is open: the
/// command line starts its first file's while it opens the database (on a new register:
/// creates its tables), which takes about as long as reading a small file (FEBRL4's first
/// 5 000 rows). The import takes it over for the request of the same file
/// ([`super::Register::import_all_read_ahead`]); dropped, its thread stops.
pub struct ReadAhead {
    /// The file's content being read: the request it belongs to holds the same bytes.
    bytes: Bytes,
    file_name: String,
    rows: Result<Rows, AppError>,
}

impl ReadAhead {
    /// Starts reading `req`'s file as an import with `profile` for the county of `reference`
    /// would (a file that cannot be read is refused when the import takes it over).
    pub fn start(reference: &Reference, profile: Arc<Profile>, req: &ImportRequest<'_>) -> Self {
        let rows = headers_for(&profile, req).and_then(|headers| {
            let normaliser = Normaliser::new(profile, reference.clone());
            read_in_background(req, headers, normaliser, NORMALISE_CHUNK)
        });
        Self {
            bytes: req.bytes.clone(),
            file_name: req.file_name.to_owned(),
            rows,
        }
    }

    /// Whether this reads `req`'s file: the same name and the same bytes (not a copy).
    pub(super) fn is_for(&self, req: &ImportRequest<'_>) -> bool {
        self.file_name == req.file_name
            && self.bytes.as_ptr() == req.bytes.as_ptr()
            && self.bytes.len() == req.bytes.len()
    }

    /// The rows as the reading thread sends them.
    pub(super) fn into_rows(self) -> Result<Rows, AppError> {
        self.rows
    }
}

/// How the columns of `req`'s file are read: its mapping file's headers, or intake's own,
/// with the fields `profile` identifies persons by.
pub(super) fn headers_for(
    profile: &Profile,
    req: &ImportRequest<'_>,
) -> Result<HeaderMap, AppError> {
    Ok(match req.mapping {
        Some(mapping) => HeaderMap::with_mapping(mapping).map_err(AppError::BadInput)?,
        None => HeaderMap::default(),
    }
    .identified_by(&profile.identifying))
}

/// What a remark says of where the person is, as the normalised identity keeps it.
pub(crate) fn remark_location(
    text: &str,
    gazetteer: &normalize::Gazetteer,
    divisions: &normalize::Divisions,
) -> Option<normalize::RemarkLocation> {
    let reading = crate::followup::remarks::read_remark(text, gazetteer, divisions)?;
    let rule = reading.rule.as_str().to_owned();
    Some(match reading.finding {
        RemarkFinding::Away(division) => normalize::RemarkLocation {
            away: true,
            code: division.map(|d| d.code.clone()),
            name: division.map(|d| {
                divisions
                    .full_name(&d.code)
                    .unwrap_or_else(|| d.name.clone())
            }),
            township: None,
            village: None,
            rule,
        },
        RemarkFinding::Home { township, village } => normalize::RemarkLocation {
            away: false,
            code: None,
            name: None,
            township,
            village,
            rule,
        },
    })
}

/// The reading thread broke the order of its messages.
pub(super) fn reader_lost() -> AppError {
    AppError::Internal(anyhow::anyhow!(
        "the file's reading thread sent out of order"
    ))
}

/// The date a row is about: its report or batch date, its notice's date, else today. Gives the
/// year to dates written as `1月23日`.
fn reference_date(row: &SourceRow, notice: Option<&NoticeIn>, today: NaiveDate) -> NaiveDate {
    let explicit = |text: &str| {
        // Only a date that carries its own year can set the year of the others.
        normalize::parse_date(text, today)
            .ok()
            .filter(|_| text.contains(['-', '/', '年']) || text.len() == 8)
    };
    [Field::ReportDate, Field::BatchDate, Field::ArrivalDate]
        .into_iter()
        .filter_map(|f| row.get(f))
        .chain(notice.and_then(|n| n.fields.get(&Field::SendDate).map(String::as_str)))
        .find_map(explicit)
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::SourceKind;

    fn normaliser() -> Normaliser {
        Normaliser {
            profile: Arc::new(
                Profile::builtin("cn-identity")
                    .expect("built in")
                    .expect("profile"),
            ),
            reference: Reference::load(None).expect("demo county"),
            today: NaiveDate::from_ymd_opt(2020, 2, 1).expect("date"),
        }
    }

    /// The reading thread's messages for `csv`, read `chunk` rows (at most 1 000) at a time: the rows of
    /// each `Rows` by record ID, then whether it ended with `Done` (else with a refusal).
    async fn messages(csv: String, chunk: usize) -> (Vec<Vec<String>>, Result<u32, AppError>) {
        let req = ImportRequest::new(SourceKind::Bigdata, "list.csv", csv, "test");
        let mut rows =
            read_in_background(&req, HeaderMap::default(), normaliser(), chunk).expect("thread");
        assert!(matches!(
            rows.next(&req).await.expect("opened"),
            Reading::Opened { .. }
        ));
        let mut chunks = Vec::new();
        loop {
            match rows.next(&req).await {
                Ok(Reading::Rows(prepared)) => {
                    chunks.push(prepared.into_iter().map(|p| p.record_id).collect());
                }
                Ok(Reading::Done(done)) => return (chunks, Ok(done.read.rows_read)),
                Ok(Reading::Opened { .. }) => panic!("opened twice"),
                Err(e) => return (chunks, Err(e)),
            }
        }
    }

    #[tokio::test]
    async fn the_reading_thread_sends_a_file_in_chunks_in_order_then_what_it_found() {
        let mut csv = "序号,姓名,手机号\n".to_owned();
        for n in 1..=5 {
            csv.push_str(&format!("B{n},张{n},1380013800{n}\n"));
        }
        // A row naming nobody is rejected on the way and counted as read.
        csv.push_str("B6,,\n");
        let (chunks, done) = messages(csv, 2).await;
        assert_eq!(chunks, [vec!["B1", "B2"], vec!["B3", "B4"], vec!["B5"]]);
        assert_eq!(done.expect("read whole"), 6);
    }

    #[tokio::test]
    async fn a_file_unreadable_after_its_first_chunks_is_refused_after_them() {
        let mut csv = "序号,姓名,手机号\n".to_owned();
        for n in 1..=4 {
            csv.push_str(&format!("B{n},张{n},1380013800{n}\n"));
        }
        // A cell longer than intake allows, in the fifth row.
        csv.push_str(&format!("B5,{},13800138005\n", "长".repeat(40_000)));
        csv.push_str("B6,张六,13800138006\n");
        let (chunks, done) = messages(csv, 2).await;
        // The rows before it were sent (the writer rolls them back), nothing after it.
        assert_eq!(chunks, [vec!["B1", "B2"], vec!["B3", "B4"]]);
        assert!(
            matches!(done, Err(AppError::BadInput(ref m)) if m.contains("list.csv")),
            "{done:?}"
        );
    }

    #[tokio::test]
    async fn a_reading_started_ahead_belongs_to_its_own_file_only_and_reads_it_through() {
        let normaliser = normaliser();
        let csv = "序号,姓名,手机号\nA1,张一,13800138001\nA2,张二,13800138002\n";
        let req = ImportRequest::new(SourceKind::Bigdata, "list.csv", csv, "test");
        let ahead = ReadAhead::start(&normaliser.reference, normaliser.profile, &req);
        assert!(ahead.is_for(&req));
        // The same content under another name, or a copy of it under the same name: another
        // request's file.
        let renamed = ImportRequest::new(SourceKind::Bigdata, "other.csv", req.bytes.clone(), "t");
        assert!(!ahead.is_for(&renamed));
        let copied = ImportRequest::new(SourceKind::Bigdata, "list.csv", csv.to_owned(), "test");
        assert!(!ahead.is_for(&copied));
        let mut rows = ahead.into_rows().expect("reading");
        assert!(matches!(rows.next(&req).await, Ok(Reading::Opened { .. })));
        match rows.next(&req).await {
            Ok(Reading::Rows(prepared)) => {
                let ids: Vec<&str> = prepared.iter().map(|p| p.record_id.as_str()).collect();
                assert_eq!(ids, ["A1", "A2"]);
            }
            _ => panic!("the rows come next"),
        }
        assert!(matches!(rows.next(&req).await, Ok(Reading::Done(_))));
    }
}
