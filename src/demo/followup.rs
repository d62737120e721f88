//! The demo's follow-up: the teams (五包一) and temperature sheets the townships sent in over
//! the scenario's last five days, as their sheets would bring them, with one fever, one missed
//! check and one incomplete team to show.
//!
//! Everything is written at fixed instants of the scenario (see [`super::seed`]), so the demo
//! is the same whatever the real time of day: the readings go up to the last day's afternoon,
//! and every check of that day falls due by 20:00 China time, so the server's sweeper, whose
//! present is the last day at the real time of day, never finds a check left to flag.

use chrono::{DateTime, Datelike as _, Days, NaiveDate, Utc};
use sea_orm::{ColumnTrait as _, EntityTrait, QueryFilter as _, QueryOrder as _};

use crate::config::clock::Clock;
use crate::db::observation;
use crate::error::AppError;
use crate::followup::observation::china;
use crate::register::Register;
use crate::states::ObservationState;

/// The first day of readings shown: five days of sheets, twice a day, up to the last day.
const FIRST_READING_DAY: (i32, u32, u32) = (2020, 1, 28);

/// The person under observation (by rank of person ID) whose team lacks two roles.
const INCOMPLETE_TEAM: usize = 0;

/// The person whose reading on the day before the last is a fever (the demo's open alert).
const FEVER: usize = 1;

/// The fever the demo shows.
const FEVER_CELSIUS: f64 = 37.8;

/// The person whose morning check of the last day was not taken (the demo's missed check).
const MISSED: usize = 2;

/// Team members' names (invented), in the order of the sheet's roles.
const MEMBER_NAMES: [&str; 5] = ["周建国", "孙丽华", "吴春生", "郑国强", "钱晓燕"];

/// `h:m` China time on `day`.
pub(super) fn china_at(day: NaiveDate, h: u32, m: u32) -> Result<DateTime<Utc>, AppError> {
    day.and_hms_opt(h, m, 0)
        .and_then(|t| t.and_local_timezone(china()).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("no instant {day} {h}:{m} in China time"))
        })
}

/// The same register with its present stopped at `now`.
pub(super) fn at(register: &Register, now: DateTime<Utc>) -> Register {
    let mut stopped = register.clone();
    stopped.reference.clock = Clock::frozen(now);
    stopped
}

/// Seeds the follow-up of the persons under observation on `last` (the scenario's last day):
/// their teams, through the team sheet, at the register's present; their readings twice a
/// day through the temperature sheet and the sweep of missed checks, at 20:30 on `last`.
pub(super) async fn seed(register: &Register, last: NaiveDate) -> Result<(), AppError> {
    let watched: Vec<observation::Model> = observation::Entity::find()
        .filter(observation::Column::Active.eq(true))
        .filter(observation::Column::State.eq(ObservationState::UnderObservation))
        .order_by_asc(observation::Column::PersonId)
        .all(&register.db().conn)
        .await?;
    if watched.len() <= MISSED {
        return Err(AppError::Internal(anyhow::anyhow!(
            "the demo has too few persons under observation"
        )));
    }
    register
        .import_teams("demo-teams.csv", teams_sheet(&watched).as_bytes(), |_| true)
        .await?;
    let first = NaiveDate::from_ymd_opt(
        FIRST_READING_DAY.0,
        FIRST_READING_DAY.1,
        FIRST_READING_DAY.2,
    )
    .unwrap_or(last);
    let evening = at(register, china_at(last, 20, 30)?);
    evening
        .import_temperatures(
            "demo-temperatures.csv",
            temperature_sheet(&watched, first, last).as_bytes(),
            |_| true,
        )
        .await?;
    evening
        .sweep_followup_at(evening.reference.clock.now())
        .await?;
    Ok(())
}

/// The team sheet: the five roles for everyone, but two left out for one person.
fn teams_sheet(watched: &[observation::Model]) -> String {
    let mut sheet = String::from("人员编号");
    for header in ["乡镇干部", "村干部", "村医", "民警", "网格员"] {
        sheet.push_str(&format!(",{header},{header}电话"));
    }
    sheet.push('\n');
    for (rank, row) in watched.iter().enumerate() {
        sheet.push_str(&row.person_id.to_string());
        for (r, name) in MEMBER_NAMES.iter().enumerate() {
            if rank == INCOMPLETE_TEAM && r >= 3 {
                sheet.push_str(",,");
            } else {
                // Invented numbers: 139 0376 then the rank and role.
                sheet.push_str(&format!(",{name},1390376{:02}{:02}", rank % 100, r));
            }
        }
        sheet.push('\n');
    }
    sheet
}

/// The temperature sheet: a row per person and day of their observation from `first` to
/// `last`, morning and afternoon, normal but for the one fever and the one missed check.
fn temperature_sheet(watched: &[observation::Model], first: NaiveDate, last: NaiveDate) -> String {
    let mut sheet = String::from("人员编号,日期,上午,下午\n");
    for (rank, row) in watched.iter().enumerate() {
        let mut day = row.start_date.max(first);
        let end = row.end_date.min(last);
        while day <= end {
            let normal = |slot: usize| {
                let k = rank * 7 + day.ordinal0() as usize * 3 + slot * 5;
                format!("{:.1}", 36.1 + (k % 9) as f64 / 10.0)
            };
            let morning = if rank == MISSED && day == last {
                String::new()
            } else {
                normal(0)
            };
            let afternoon = if rank == FEVER && Some(day) == last.pred_opt() {
                format!("{FEVER_CELSIUS:.1}")
            } else {
                normal(1)
            };
            sheet.push_str(&format!("{},{day},{morning},{afternoon}\n", row.person_id));
            day = day.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX);
        }
    }
    sheet
}
