//! Home medical observation (居家医学观察) and its temperature checks, as pure rules.
//!
//! Days are counted in China time (UTC+8, no daylight saving): an observation that starts on
//! the arrival date has that date as day 1; with 14 days, day 14 is still under observation and
//! day 15 is released (when no fever alert is open). Two checks a day, a slot passing without a
//! reading once its hour is over; a reading of 37.3 °C or more is a fever.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, Offset as _, Utc};

use crate::states::{ObservationState, Slot};

/// China time: UTC+8 all year.
pub fn china() -> FixedOffset {
    // 8 hours is within the ±24 h that `east_opt` accepts: the fallback is never taken.
    FixedOffset::east_opt(8 * 3600).unwrap_or(Utc.fix())
}

/// The China date of an instant.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china()).date_naive()
}

/// The county's rules for observation and checks (`[followup]` in the county file).
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Days of observation (14).
    pub observation_days: u32,
    /// When the morning check is due, China time (12:00).
    pub morning_due: NaiveTime,
    /// When the afternoon check is due, China time (20:00).
    pub afternoon_due: NaiveTime,
    /// The lowest temperature that is a fever, °C (37.3).
    pub fever_at: f64,
    /// The range of readings accepted, °C (34–43).
    pub plausible: (f64, f64),
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            observation_days: 14,
            morning_due: NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN),
            afternoon_due: NaiveTime::from_hms_opt(20, 0, 0).unwrap_or(NaiveTime::MIN),
            fever_at: 37.3,
            plausible: (34.0, 43.0),
        }
    }
}

/// The days of one observation: from its first day to its last, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Day 1.
    pub first: NaiveDate,
    /// The last day under observation (day 14 by default).
    pub last: NaiveDate,
}

impl Period {
    /// The observation that starts on `start` (the arrival date, or the first report when none).
    pub fn starting(start: NaiveDate, rules: &Rules) -> Self {
        let days = u64::from(rules.observation_days.max(1) - 1);
        Self {
            first: start,
            last: start.checked_add_days(Days::new(days)).unwrap_or(start),
        }
    }

    /// Which day of the observation `date` is (1 on the first day; 0 or less before it).
    pub fn day(&self, date: NaiveDate) -> i64 {
        (date - self.first).num_days() + 1
    }

    /// True when `date` is within the period.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    /// Every day of the period up to `until` (included).
    pub fn days_until(&self, until: NaiveDate) -> impl Iterator<Item = NaiveDate> {
        let last = self.last.min(until);
        self.first.iter_days().take_while(move |d| *d <= last)
    }
}

/// The state an observation moves to by itself on `today`: released once the period is over,
/// unless a fever alert is still open. Manual states (transferred, lost contact) stay.
pub fn automatic_state(
    current: ObservationState,
    period: &Period,
    today: NaiveDate,
    open_fever: bool,
) -> ObservationState {
    match current {
        ObservationState::UnderObservation if today > period.last && !open_fever => {
            ObservationState::Released
        }
        other => other,
    }
}

/// When `slot` of `date` is due, as an instant.
pub fn due(date: NaiveDate, slot: Slot, rules: &Rules) -> DateTime<Utc> {
    let time = match slot {
        Slot::Morning => rules.morning_due,
        Slot::Afternoon => rules.afternoon_due,
    };
    match date.and_time(time).and_local_timezone(china()).single() {
        Some(at) => at.with_timezone(&Utc),
        None => date.and_time(time).and_utc(),
    }
}

/// The slot a reading taken at `at` fills when none is given: the morning before the morning
/// check's hour, the afternoon after it.
pub fn slot_of(at: DateTime<Utc>, rules: &Rules) -> Slot {
    if at.with_timezone(&china()).time() < rules.morning_due {
        Slot::Morning
    } else {
        Slot::Afternoon
    }
}

/// Why a reading is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Outside the plausible range.
    Implausible { celsius: f64, low: f64, high: f64 },
    /// Taken after `now`.
    InTheFuture,
    /// Taken on a day outside the observation.
    OutsideObservation { date: NaiveDate, period: Period },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Implausible { celsius, low, high } => {
                write!(
                    f,
                    "体温 {celsius} ℃ 不在 {low}–{high} ℃ 之间，请核对后重新录入"
                )
            }
            Self::InTheFuture => f.write_str("测量时间晚于当前时间"),
            Self::OutsideObservation { date, period } => write!(
                f,
                "{date} 不在此人的居家医学观察期（{} 至 {}）内",
                period.first, period.last
            ),
        }
    }
}

/// Checks a reading of `celsius` taken at `at`, `now` being the county's present, for a person
/// observed over `period`.
pub fn check_reading(
    celsius: f64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    period: &Period,
    rules: &Rules,
) -> Result<(), Refusal> {
    let (low, high) = rules.plausible;
    if !(low..=high).contains(&celsius) {
        return Err(Refusal::Implausible { celsius, low, high });
    }
    if at > now {
        return Err(Refusal::InTheFuture);
    }
    let date = china_date(at);
    if !period.covers(date) {
        return Err(Refusal::OutsideObservation {
            date,
            period: *period,
        });
    }
    Ok(())
}

/// True when a reading is a fever.
pub fn is_fever(celsius: f64, rules: &Rules) -> bool {
    celsius >= rules.fever_at
}

/// The checks of `period` whose hour has passed by `now` with no reading among `taken` (the
/// days and slots that have one), oldest first.
pub fn missed_checks(
    period: &Period,
    taken: &[(NaiveDate, Slot)],
    now: DateTime<Utc>,
    rules: &Rules,
) -> Vec<(NaiveDate, Slot)> {
    period
        .days_until(china_date(now))
        .flat_map(|d| [(d, Slot::Morning), (d, Slot::Afternoon)])
        .filter(|(d, s)| due(*d, *s, rules) <= now && !taken.contains(&(*d, *s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, m, d).expect("date")
    }

    /// `h:m` China time on 2020-`m`-`d`, as an instant.
    fn at(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        date(m, d)
            .and_hms_opt(h, min, 0)
            .expect("time")
            .and_local_timezone(china())
            .single()
            .expect("instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn day_14_is_under_observation_and_day_15_released() {
        let rules = Rules::default();
        let period = Period::starting(date(1, 20), &rules);
        assert_eq!(period.last, date(2, 2));
        assert_eq!(period.day(date(2, 2)), 14);
        let under = ObservationState::UnderObservation;
        assert_eq!(automatic_state(under, &period, date(2, 2), false), under);
        assert_eq!(
            automatic_state(under, &period, date(2, 3), false),
            ObservationState::Released
        );
        // An open fever alert holds the release; manual states stay.
        assert_eq!(automatic_state(under, &period, date(2, 3), true), under);
        let transferred = ObservationState::Transferred;
        assert_eq!(
            automatic_state(transferred, &period, date(3, 1), false),
            transferred
        );
    }

    #[test]
    fn days_are_counted_in_china_time() {
        // 16:30 UTC on 2 February is 00:30 on 3 February in China: day 15.
        let late = NaiveDate::from_ymd_opt(2020, 2, 2)
            .and_then(|d| d.and_hms_opt(16, 30, 0))
            .expect("time")
            .and_utc();
        assert_eq!(china_date(late), date(2, 3));
        let period = Period::starting(date(1, 20), &Rules::default());
        assert_eq!(period.day(china_date(late)), 15);
    }

    #[test]
    fn observation_days_come_from_the_rules() {
        let rules = Rules {
            observation_days: 7,
            ..Rules::default()
        };
        assert_eq!(Period::starting(date(1, 20), &rules).last, date(1, 26));
    }

    #[test]
    fn readings_are_checked() {
        let rules = Rules::default();
        let period = Period::starting(date(1, 20), &rules);
        let now = at(1, 25, 9, 0);
        assert_eq!(
            check_reading(36.5, at(1, 25, 8, 0), now, &period, &rules),
            Ok(())
        );
        assert!(matches!(
            check_reading(45.0, at(1, 25, 8, 0), now, &period, &rules),
            Err(Refusal::Implausible { .. })
        ));
        assert!(matches!(
            check_reading(33.9, at(1, 25, 8, 0), now, &period, &rules),
            Err(Refusal::Implausible { .. })
        ));
        assert_eq!(
            check_reading(36.5, at(1, 25, 10, 0), now, &period, &rules),
            Err(Refusal::InTheFuture)
        );
        assert!(matches!(
            check_reading(36.5, at(1, 19, 8, 0), now, &period, &rules),
            Err(Refusal::OutsideObservation { .. })
        ));
        assert!(
            Refusal::Implausible {
                celsius: 45.0,
                low: 34.0,
                high: 43.0
            }
            .to_string()
            .contains("45")
        );
        assert!(is_fever(37.3, &rules));
        assert!(!is_fever(37.2, &rules));
    }

    #[test]
    fn a_slot_is_missed_once_its_hour_has_passed_without_a_reading() {
        let rules = Rules::default();
        let period = Period::starting(date(1, 20), &rules);
        let taken = [(date(1, 20), Slot::Morning), (date(1, 20), Slot::Afternoon)];
        // 21 January, 11:59: the morning check is not late yet.
        assert!(missed_checks(&period, &taken, at(1, 21, 11, 59), &rules).is_empty());
        // 12:00: it is.
        assert_eq!(
            missed_checks(&period, &taken, at(1, 21, 12, 0), &rules),
            vec![(date(1, 21), Slot::Morning)]
        );
        // 20:00: both.
        assert_eq!(
            missed_checks(&period, &taken, at(1, 21, 20, 0), &rules).len(),
            2
        );
        // After the period, nothing beyond its last day.
        let missed = missed_checks(&period, &[], at(3, 1, 8, 0), &rules);
        assert_eq!(missed.len(), 28);
        assert_eq!(missed.last(), Some(&(date(2, 2), Slot::Afternoon)));
    }

    #[test]
    fn a_reading_without_a_slot_fills_the_one_of_its_hour() {
        let rules = Rules::default();
        assert_eq!(slot_of(at(1, 21, 7, 30), &rules), Slot::Morning);
        assert_eq!(slot_of(at(1, 21, 15, 0), &rules), Slot::Afternoon);
    }
}
