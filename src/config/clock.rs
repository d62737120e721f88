//! The county's "today": the real date in China time, unless pinned (`--today YYYY-MM-DD`,
//! env `PAICHA_TODAY`) to replay a past day, as the demo does with its scenario's last day.

use chrono::{DateTime, NaiveDate, Utc};

use crate::followup::observation::{china, china_date};

/// What time it is for the county.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    pinned: Option<NaiveDate>,
    /// A present that does not move (the demo's seeding writes its scenario this way).
    frozen: Option<DateTime<Utc>>,
}

impl Clock {
    /// The real clock.
    pub fn real() -> Self {
        Self::default()
    }

    /// A clock whose date is `today` (China time); the time of day runs as the real one does, so
    /// checks fall due through the day.
    pub fn pinned(today: NaiveDate) -> Self {
        Self {
            pinned: Some(today),
            frozen: None,
        }
    }

    /// A clock stopped at `now`: every write made through it is made "at" that instant,
    /// whatever the real time is (the demo seeds its scenario so, the same on every run).
    pub fn frozen(now: DateTime<Utc>) -> Self {
        Self {
            pinned: Some(china_date(now)),
            frozen: Some(now),
        }
    }

    /// The pinned date, if any.
    pub fn pin(&self) -> Option<NaiveDate> {
        self.pinned
    }

    /// The present instant: today's date at the real time of day, China time.
    pub fn now(&self) -> DateTime<Utc> {
        self.at(Utc::now())
    }

    /// The county's date today, China time.
    pub fn today(&self) -> NaiveDate {
        china_date(self.now())
    }

    /// `real`, moved to the pinned date when there is one.
    fn at(&self, real: DateTime<Utc>) -> DateTime<Utc> {
        if let Some(now) = self.frozen {
            return now;
        }
        let Some(day) = self.pinned else {
            return real;
        };
        let time = real.with_timezone(&china()).time();
        day.and_time(time)
            .and_local_timezone(china())
            .single()
            .map_or(real, |at| at.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_clock_keeps_the_time_of_day_on_its_date() {
        let day = NaiveDate::from_ymd_opt(2020, 2, 1).expect("date");
        let clock = Clock::pinned(day);
        // 03:30 UTC is 11:30 in China.
        let real = NaiveDate::from_ymd_opt(2026, 12, 6)
            .and_then(|d| d.and_hms_opt(3, 30, 0))
            .expect("time")
            .and_utc();
        let at = clock.at(real);
        assert_eq!(china_date(at), day);
        assert_eq!(
            at.with_timezone(&china()).time(),
            chrono::NaiveTime::from_hms_opt(11, 30, 0).expect("time")
        );
        assert_eq!(clock.today(), day);
        assert_eq!(Clock::real().at(real), real);
        let stopped = Clock::frozen(at);
        assert_eq!(stopped.at(real), at);
        assert_eq!(stopped.pin(), Some(day));
    }
}
