//! Follow-up of the persons in the county (issue 20): home medical observation, temperature
//! readings and the alerts they raise, the responsible team (五包一). The rules are pure, in
//! [`crate::followup::observation`]; these are the use cases over the database.
//!
//! Every person `IN_COUNTY` has an observation row: [`Register::sync_observations`] brings the
//! rows up to date after each import and decision, and [`Register::sweep_followup`] (the
//! server's background task every minute, and commands that read the register) releases
//! observations whose period is over and raises the missed-check alerts.

mod alert_figures;
mod alerts;
mod figures;
mod sheet;
mod teams;

pub use alert_figures::AlertTable;
pub use alerts::{AlertFilter, AlertPage};
pub use figures::FollowupFigures;
pub use sheet::{RejectedReading, TeamSheetReport, TemperatureSheetReport};
pub use teams::TeamMemberInput;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel as _, PaginatorTrait as _, QueryFilter as _, QuerySelect as _, Set,
};

use super::decisions::NOTE_MAX_CHARS as MAX_NOTE_CHARS;
use super::{ChangeKind, Register};
use crate::db::bulk::{self, SuspendedIndexes};
use crate::db::read_back::{self, InCounty};
use crate::db::rows::OnConflict;
use crate::db::{
    followup_alert, next_id, observation, overlap, resolution_event, temperature_reading,
};
use crate::error::AppError;
use crate::followup::observation::{
    Period, automatic_state, check_reading, china_date, due, is_fever, missed_checks, slot_of,
};
use crate::states::{AlertKind, AlertState, ObservationState, Slot, Stored as _};

/// How often the server sweeps the follow-up (releases, missed checks).
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Rows inserted per statement (well under SQLite's bound parameters).
const INSERT_CHUNK: usize = 500;

/// The most persons a change's observations are brought up to date for by their IDs; a
/// change of more is synced over every person.
const SYNC_PERSONS_BY_ID: usize = 50_000;

/// What a sweep changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Observations started (persons newly in the county), by a sync.
    pub started: usize,
    /// Observations released because their period is over.
    pub released: usize,
    /// Missed-check alerts raised.
    pub missed: usize,
    /// `REPORT_MISSING` alerts raised: townships whose daily report is overdue.
    pub reports_missing: usize,
}

/// A reading recorded, with the fever alert it raised.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub reading: temperature_reading::Model,
    /// An earlier reading of the same day and slot was superseded.
    pub corrected: bool,
    pub alert: Option<followup_alert::Model>,
}

/// The period of an observation row.
pub fn period_of(row: &observation::Model) -> Period {
    Period {
        first: row.start_date,
        last: row.end_date,
    }
}

/// A note as stored: trimmed, empty as none, refused when too long.
pub(crate) fn clean_note(note: Option<&str>) -> Result<Option<String>, AppError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note
        && n.chars().count() > MAX_NOTE_CHARS
    {
        return Err(AppError::BadInput(format!(
            "备注不能超过 {MAX_NOTE_CHARS} 个字符"
        )));
    }
    Ok(note.map(str::to_owned))
}

/// Person IDs with a fever alert not yet resolved.
async fn open_fevers(conn: &impl ConnectionTrait) -> Result<HashSet<i64>, AppError> {
    let rows: Vec<i64> = followup_alert::Entity::find()
        .select_only()
        .column(followup_alert::Column::PersonId)
        .filter(followup_alert::Column::Kind.eq(AlertKind::Fever))
        .filter(followup_alert::Column::State.ne(AlertState::Resolved))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

impl Register {
    /// The observation of a person (of the person it redirects to), if they have one.
    pub async fn observation_of(
        &self,
        person_id: i64,
    ) -> Result<Option<observation::Model>, AppError> {
        Ok(observation::Entity::find_by_id(person_id)
            .one(&self.db.conn)
            .await?)
    }

    /// Brings the observations up to date with the register on the county's today: one for
    /// every person `IN_COUNTY` (starting on the arrival date, or the first report when none),
    /// the township and period of each following the person's, released once over; persons no
    /// longer in the county keep theirs, inactive. Called after every import and decision.
    pub async fn sync_observations(&self) -> Result<SweepReport, AppError> {
        let today = self.reference.clock.today();
        self.sync_observations_on(today, self.reference.clock.now(), None)
            .await
    }

    /// [`Register::sync_observations`] for the persons of the resolution events written
    /// after event `after` only (those a change created, linked, merged, split or moved):
    /// what an import or a decision changed costs what it changed, not the register's size
    /// (issue 25: the whole sync after a 10 000-record batch into a register of a million
    /// persons read every person and every observation, 6 s of the batch's 20).
    pub async fn sync_observations_after(&self, after: i64) -> Result<SweepReport, AppError> {
        let mut stage = crate::telemetry::StageTimer::new();
        let today = self.reference.clock.today();
        let now = self.reference.clock.now();
        // A change of most of the register (its first large list) reads it whole, in two
        // queries rather than two per 500 persons. Events are one or two per person changed:
        // past twice the persons read by ID, they are not listed first (a million of them
        // took 1.1 s to list).
        let events = resolution_event::Entity::find()
            .filter(resolution_event::Column::Id.gt(after))
            .count(&self.db.conn)
            .await?;
        if events > 2 * SYNC_PERSONS_BY_ID as u64 {
            return self.sync_observations_on(today, now, None).await;
        }
        let persons = read_back::persons_of_events_after(&self.db.conn, after).await?;
        stage.lap("observations: the changed persons");
        let only = (persons.len() <= SYNC_PERSONS_BY_ID).then_some(persons.as_slice());
        self.sync_observations_on(today, now, only).await
    }

    /// [`Register::sync_observations`] as on `today`, `now` being the present instant, for
    /// the persons `only` (every person when `None`).
    async fn sync_observations_on(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        only: Option<&[i64]>,
    ) -> Result<SweepReport, AppError> {
        let mut stage = crate::telemetry::StageTimer::new();
        let rules = self.reference.followup.clone();
        let write = self.db.write("the follow-up of observations").await?;
        let txn = &write.txn;
        let observations_of = |ids: Option<&[i64]>| {
            let mut query = observation::Entity::find();
            if let Some(ids) = ids {
                query = query.filter(observation::Column::PersonId.is_in(ids.iter().copied()));
            }
            query.all(txn)
        };
        let mut in_county: Vec<InCounty> = Vec::new();
        let mut existing: HashMap<i64, observation::Model> = HashMap::new();
        match only {
            None => {
                in_county = read_back::in_county(txn, None).await?;
                existing.extend(
                    observations_of(None)
                        .await?
                        .into_iter()
                        .map(|o| (o.person_id, o)),
                );
            }
            Some(ids) => {
                for chunk in ids.chunks(INSERT_CHUNK) {
                    in_county.extend(read_back::in_county(txn, Some(chunk)).await?);
                    existing.extend(
                        observations_of(Some(chunk))
                            .await?
                            .into_iter()
                            .map(|o| (o.person_id, o)),
                    );
                }
            }
        }
        // How many observations the table holds, when every one was read.
        let read_all = only.is_none().then_some(existing.len());
        let fevers = open_fevers(txn).await?;
        stage.lap("observations: read");
        let mut report = SweepReport::default();
        let mut new_rows = Vec::new();
        let mut seen = HashSet::new();
        for (id, township, arrival, first_reported) in in_county {
            let Some(start) = arrival.or(first_reported) else {
                continue;
            };
            seen.insert(id);
            let period = Period::starting(start, &rules);
            let open_fever = fevers.contains(&id);
            match existing.remove(&id) {
                None => {
                    let state = automatic_state(
                        ObservationState::UnderObservation,
                        &period,
                        today,
                        open_fever,
                    );
                    report.started += 1;
                    new_rows.push(observation::Model {
                        person_id: id,
                        township,
                        state,
                        start_date: period.first,
                        end_date: period.last,
                        place: None,
                        note: None,
                        manual: false,
                        active: true,
                        created_at: now,
                        updated_at: now,
                    });
                }
                Some(row) => {
                    let mut state = row.state;
                    if !row.manual {
                        // A new arrival date can reopen a released observation.
                        if state == ObservationState::Released && today <= period.last {
                            state = ObservationState::UnderObservation;
                        }
                        state = automatic_state(state, &period, today, open_fever);
                    }
                    let changed = state != row.state
                        || township != row.township
                        || period.first != row.start_date
                        || period.last != row.end_date
                        || !row.active;
                    if !changed {
                        continue;
                    }
                    if row.state == ObservationState::UnderObservation
                        && state == ObservationState::Released
                    {
                        report.released += 1;
                    }
                    let mut update = row.into_active_model();
                    update.state = Set(state);
                    update.township = Set(township);
                    update.start_date = Set(period.first);
                    update.end_date = Set(period.last);
                    update.active = Set(true);
                    update.updated_at = Set(now);
                    update.update(txn).await?;
                }
            }
        }
        // Persons no longer in the county (or merged into another): kept, not active.
        let gone: Vec<i64> = existing
            .into_values()
            .filter(|o| o.active && !seen.contains(&o.person_id))
            .map(|o| o.person_id)
            .collect();
        for ids in gone.chunks(INSERT_CHUNK) {
            observation::Entity::update_many()
                .col_expr(
                    observation::Column::Active,
                    sea_orm::sea_query::Expr::value(false),
                )
                .col_expr(
                    observation::Column::UpdatedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(observation::Column::PersonId.is_in(ids.to_vec()))
                .exec(txn)
                .await?;
        }
        // A first large list starts more observations than there were: the table's index is
        // built once after them, not row by row (a million: see `crate::db::bulk`), on the
        // rule of an import's records.
        let in_bulk = new_rows.len() >= self.bulk_min_records
            && new_rows.len()
                > match read_all {
                    Some(stored) => stored,
                    None => observation::Entity::find().count(txn).await? as usize,
                };
        stage.lap("observations: planned");
        let suspended = if in_bulk {
            bulk::suspend_indexes(txn, &["observation"]).await?
        } else {
            SuspendedIndexes::default()
        };
        write
            .staged(async {
                let transport = overlap::Transport::of(txn);
                overlap::write_each(
                    txn,
                    new_rows.chunks(transport.chunk(INSERT_CHUNK)),
                    |chunk| transport.insert::<observation::Entity>(chunk, &OnConflict::Fail),
                )
                .await
            })
            .await?;
        stage.lap("observations: written");
        suspended.restore(txn).await?;
        if in_bulk {
            bulk::refresh_statistics(txn, &["observation"]).await?;
        }
        stage.lap("observations: indexed");
        write.commit().await?;
        stage.lap("observations: commit");
        Ok(report)
    }

    /// What a command does before it reads or changes the register: every observation
    /// brought up to date when `every_observation` (a reader's; an import syncs the persons
    /// it changes itself), then [`Register::sweep_followup`].
    pub async fn catch_up_followup(&self, every_observation: bool) -> Result<(), AppError> {
        if every_observation {
            self.sync_observations().await?;
        }
        self.sweep_followup().await.map(drop)
    }

    /// Brings the follow-up up to date now: releases the observations whose period is over
    /// (no fever open) and raises the missed-check alerts. Run by the server every minute and
    /// by commands that read the register; announces what changed.
    pub async fn sweep_followup(&self) -> Result<SweepReport, AppError> {
        self.sweep_followup_at(self.reference.clock.now()).await
    }

    /// Runs [`Register::sweep_followup`] now and then every [`SWEEP_EVERY`], in the
    /// background, until the task is aborted (the server's, so that no missed check waits for
    /// a request to be found).
    pub fn spawn_followup_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let register = self.clone();
        tokio::spawn(async move {
            // A register written before observations existed gets them at once.
            if let Err(e) = register.sync_observations().await {
                tracing::warn!(error = ?e, "could not bring the observations up to date");
            }
            let mut every = tokio::time::interval(SWEEP_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every.tick().await;
                if let Err(e) = register.sweep_followup().await {
                    tracing::warn!(error = ?e, "the follow-up sweep failed; next one in a minute");
                }
            }
        })
    }

    /// [`Register::sweep_followup`] as at `now` (tests move the present this way).
    pub async fn sweep_followup_at(&self, now: DateTime<Utc>) -> Result<SweepReport, AppError> {
        let mut report = SweepReport {
            released: self.release_over(china_date(now), now).await?,
            ..SweepReport::default()
        };
        report.missed = self.raise_missed_checks(now).await?;
        // Townships whose daily report is overdue (issue 22).
        report.reports_missing = self.raise_missing_reports(now).await?;
        if report.missed > 0 || report.reports_missing > 0 {
            self.announce(ChangeKind::Alert, Vec::new()).await;
        } else if report.released > 0 {
            self.announce(ChangeKind::Observation, Vec::new()).await;
        }
        Ok(report)
    }

    /// Releases the observations under way (not set by hand) whose period ended before
    /// `today` and whose person has no fever alert left open; returns how many. (Imports and
    /// decisions start and move observations: see [`Register::sync_observations`].)
    async fn release_over(&self, today: NaiveDate, now: DateTime<Utc>) -> Result<usize, AppError> {
        let write = self.db.write("the release of observations").await?;
        let txn = &write.txn;
        let over: Vec<i64> = observation::Entity::find()
            .select_only()
            .column(observation::Column::PersonId)
            .filter(observation::Column::Active.eq(true))
            .filter(observation::Column::Manual.eq(false))
            .filter(observation::Column::State.eq(ObservationState::UnderObservation))
            .filter(observation::Column::EndDate.lt(today))
            .into_tuple()
            .all(txn)
            .await?;
        let fevers = if over.is_empty() {
            HashSet::new()
        } else {
            open_fevers(txn).await?
        };
        let released: Vec<i64> = over.into_iter().filter(|p| !fevers.contains(p)).collect();
        for ids in released.chunks(INSERT_CHUNK) {
            observation::Entity::update_many()
                .col_expr(
                    observation::Column::State,
                    sea_orm::sea_query::Expr::value(ObservationState::Released.as_str()),
                )
                .col_expr(
                    observation::Column::UpdatedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(observation::Column::PersonId.is_in(ids.to_vec()))
                .exec(txn)
                .await?;
        }
        write.commit().await?;
        Ok(released.len())
    }

    /// Raises a `MISSED_CHECK` alert for every check of an observation under way whose hour
    /// has passed by `now` without a reading (checks due before the register knew the person
    /// are not counted); returns how many were raised.
    async fn raise_missed_checks(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let rules = self.reference.followup.clone();
        let write = self.db.write("the missed temperature checks").await?;
        let txn = &write.txn;
        let watched = observation::Entity::find()
            .filter(observation::Column::Active.eq(true))
            .filter(observation::Column::State.eq(ObservationState::UnderObservation))
            .all(txn)
            .await?;
        if watched.is_empty() {
            write.commit().await?;
            return Ok(0);
        }
        let mut taken: HashMap<i64, Vec<(NaiveDate, Slot)>> = HashMap::new();
        // Only the days of the observations under way matter.
        let since = watched
            .iter()
            .map(|o| o.start_date)
            .min()
            .unwrap_or(NaiveDate::MIN);
        let readings: Vec<(i64, NaiveDate, Slot)> = temperature_reading::Entity::find()
            .select_only()
            .columns([
                temperature_reading::Column::PersonId,
                temperature_reading::Column::Date,
                temperature_reading::Column::Slot,
            ])
            .filter(temperature_reading::Column::Date.gte(since))
            .into_tuple()
            .all(txn)
            .await?;
        for (person, date, slot) in readings {
            taken.entry(person).or_default().push((date, slot));
        }
        let flagged: Vec<(i64, NaiveDate, Slot)> = followup_alert::Entity::find()
            .select_only()
            .columns([
                followup_alert::Column::PersonId,
                followup_alert::Column::Date,
                followup_alert::Column::Slot,
            ])
            .filter(followup_alert::Column::Kind.eq(AlertKind::MissedCheck))
            .filter(followup_alert::Column::Date.gte(since))
            .into_tuple()
            .all(txn)
            .await?;
        for (person, date, slot) in flagged {
            taken.entry(person).or_default().push((date, slot));
        }
        let mut next = next_id(txn, "followup_alert").await?;
        let mut raised = Vec::new();
        for row in &watched {
            let done = taken.get(&row.person_id).map_or(&[][..], Vec::as_slice);
            for (date, slot) in missed_checks(&period_of(row), done, now, &rules) {
                if due(date, slot, &rules) < row.created_at {
                    continue;
                }
                raised.push(followup_alert::ActiveModel {
                    id: Set(next),
                    person_id: Set(Some(row.person_id)),
                    township: Set(row.township.clone()),
                    kind: Set(AlertKind::MissedCheck),
                    date: Set(date),
                    slot: Set(Some(slot)),
                    celsius: Set(None),
                    state: Set(AlertState::Open),
                    note: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                next += 1;
            }
        }
        let count = raised.len();
        while !raised.is_empty() {
            let rest = raised.split_off(raised.len().min(INSERT_CHUNK));
            followup_alert::Entity::insert_many(std::mem::replace(&mut raised, rest))
                .exec(txn)
                .await?;
        }
        write.commit().await?;
        Ok(count)
    }

    /// Sets a person's observation by hand: transferred (to `place`), lost contact, under
    /// observation again, or released early. A state set by hand stays until set again (back
    /// to `UNDER_OBSERVATION`, which the register then releases on its own).
    pub async fn update_observation(
        &self,
        person_id: i64,
        state: ObservationState,
        place: Option<&str>,
        note: Option<&str>,
    ) -> Result<observation::Model, AppError> {
        let note = clean_note(note)?;
        let place = clean_note(place)?;
        if state == ObservationState::Transferred && place.is_none() {
            return Err(AppError::BadInput(
                "转移（TRANSFERRED）须填写转往的集中隔离点或医院（place）".into(),
            ));
        }
        let now = self.reference.clock.now();
        let write = self.db.write("an observation update").await?;
        let Some(row) = observation::Entity::find_by_id(person_id)
            .one(&write.txn)
            .await?
        else {
            return Err(AppError::NotFound(format!(
                "人员 {person_id} 没有居家医学观察记录（不在县内）"
            )));
        };
        let mut update = row.into_active_model();
        update.state = Set(state);
        update.place = Set(place);
        update.note = Set(note);
        update.manual = Set(state != ObservationState::UnderObservation);
        update.updated_at = Set(now);
        let updated = update.update(&write.txn).await?;
        write.commit().await?;
        self.announce(ChangeKind::Observation, Vec::new()).await;
        Ok(updated)
    }

    /// Records a temperature reading of a person under observation, taken at `taken_at`, for
    /// `slot` (the slot of its hour when none). Refused (bad input, in Chinese) outside
    /// 34–43 °C, in the future, outside the observation or for a person not under it. A second
    /// reading of the same day and slot supersedes the first (both kept). A fever raises a
    /// `FEVER` alert; a reading for a slot flagged missed resolves that alert.
    pub async fn record_temperature(
        &self,
        person_id: i64,
        celsius: f64,
        taken_at: DateTime<Utc>,
        slot: Option<Slot>,
    ) -> Result<Recorded, AppError> {
        let rules = self.reference.followup.clone();
        let now = self.reference.clock.now();
        let slot = slot.unwrap_or_else(|| slot_of(taken_at, &rules));
        let write = self.db.write("a temperature reading").await?;
        let observed = observation::Entity::find_by_id(person_id)
            .one(&write.txn)
            .await?;
        let observed = self
            .check_reading_of(person_id, observed.as_ref(), celsius, taken_at, now)
            .map_err(AppError::BadInput)?;
        let recorded =
            write_reading(&write.txn, observed, celsius, taken_at, slot, now, &rules).await?;
        write.commit().await?;
        let kind = if recorded.alert.is_some() {
            ChangeKind::Alert
        } else {
            ChangeKind::Observation
        };
        self.announce(kind, Vec::new()).await;
        Ok(recorded)
    }

    /// The observation a reading of `person_id` goes to, or why it is refused (in Chinese).
    pub(crate) fn check_reading_of<'a>(
        &self,
        person_id: i64,
        observed: Option<&'a observation::Model>,
        celsius: f64,
        taken_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<&'a observation::Model, String> {
        let observed = observed
            .filter(|o| o.active && o.state == ObservationState::UnderObservation)
            .ok_or_else(|| format!("人员 {person_id} 不在居家医学观察中，不能录入体温"))?;
        check_reading(
            celsius,
            taken_at,
            now,
            &period_of(observed),
            &self.reference.followup,
        )
        .map_err(|refusal| refusal.to_string())?;
        Ok(observed)
    }

    /// Every reading of a person, oldest check first (a superseded reading before the one
    /// that corrected it).
    pub async fn readings_of(
        &self,
        person_id: i64,
    ) -> Result<Vec<temperature_reading::Model>, AppError> {
        let mut readings = temperature_reading::Entity::find()
            .filter(temperature_reading::Column::PersonId.eq(person_id))
            .all(&self.db.conn)
            .await?;
        let slot_order = |s: Slot| Slot::ALL.iter().position(|x| *x == s);
        readings.sort_by_key(|r| (r.date, slot_order(r.slot), r.id));
        Ok(readings)
    }
}

/// Writes a reading checked already (see [`Register::check_reading_of`]): the earlier reading
/// of its day and slot superseded, a missed-check alert of that slot answered, a fever alert
/// raised for a fever.
pub(crate) async fn write_reading(
    txn: &sea_orm::DatabaseTransaction,
    observed: &observation::Model,
    celsius: f64,
    taken_at: DateTime<Utc>,
    slot: Slot,
    now: DateTime<Utc>,
    rules: &crate::followup::observation::Rules,
) -> Result<Recorded, AppError> {
    let person_id = observed.person_id;
    let date = china_date(taken_at);
    let earlier = temperature_reading::Entity::update_many()
        .col_expr(
            temperature_reading::Column::Superseded,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(
            Condition::all()
                .add(temperature_reading::Column::PersonId.eq(person_id))
                .add(temperature_reading::Column::Date.eq(date))
                .add(temperature_reading::Column::Slot.eq(slot)),
        )
        .filter(temperature_reading::Column::Superseded.eq(false))
        .exec(txn)
        .await?;
    let reading = temperature_reading::ActiveModel {
        id: Set(next_id(txn, "temperature_reading").await?),
        person_id: Set(person_id),
        date: Set(date),
        slot: Set(slot),
        celsius: Set(celsius),
        taken_at: Set(taken_at),
        recorded_at: Set(now),
        superseded: Set(false),
    }
    .insert(txn)
    .await?;
    // The check is done now: a missed-check alert for it is answered.
    followup_alert::Entity::update_many()
        .col_expr(
            followup_alert::Column::State,
            sea_orm::sea_query::Expr::value(AlertState::Resolved.as_str()),
        )
        .col_expr(
            followup_alert::Column::Note,
            sea_orm::sea_query::Expr::value("已补录体温"),
        )
        .col_expr(
            followup_alert::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(followup_alert::Column::PersonId.eq(person_id))
        .filter(followup_alert::Column::Kind.eq(AlertKind::MissedCheck))
        .filter(followup_alert::Column::Date.eq(date))
        .filter(followup_alert::Column::Slot.eq(slot))
        .filter(followup_alert::Column::State.ne(AlertState::Resolved))
        .exec(txn)
        .await?;
    let alert = if is_fever(celsius, rules) {
        Some(
            followup_alert::ActiveModel {
                id: Set(next_id(txn, "followup_alert").await?),
                person_id: Set(Some(person_id)),
                township: Set(observed.township.clone()),
                kind: Set(AlertKind::Fever),
                date: Set(date),
                slot: Set(Some(slot)),
                celsius: Set(Some(celsius)),
                state: Set(AlertState::Open),
                note: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(txn)
            .await?,
        )
    } else {
        None
    };
    Ok(Recorded {
        reading,
        corrected: earlier.rows_affected > 0,
        alert,
    })
}
