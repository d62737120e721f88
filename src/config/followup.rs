//! The `[followup]` table of the county file: home observation and temperature checks.
//!
//! ```toml
//! [followup]
//! observation_days = 14    # day 14 under observation, day 15 released
//! morning_due = "12:00"    # a morning check not taken by then is missed (China time)
//! afternoon_due = "20:00"
//! fever_at = 37.3          # °C
//! ```
//!
//! Every key is optional; the defaults are the values above.

use anyhow::{Context as _, ensure};
use chrono::NaiveTime;
use serde::Deserialize;

use crate::followup::observation::Rules;

#[derive(Deserialize, Default)]
struct CountyFile {
    #[serde(default)]
    followup: Section,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Section {
    observation_days: Option<u32>,
    morning_due: Option<String>,
    afternoon_due: Option<String>,
    fever_at: Option<f64>,
}

/// The follow-up rules of a county file's text (its `[followup]` table, the defaults where a
/// key is missing).
pub(super) fn rules(county_file: &str) -> anyhow::Result<Rules> {
    let section = toml::from_str::<CountyFile>(county_file)?.followup;
    let defaults = Rules::default();
    let time = |key: &str, value: Option<String>, default: NaiveTime| match value {
        None => Ok(default),
        Some(text) => NaiveTime::parse_from_str(&text, "%H:%M")
            .with_context(|| format!("[followup] {key} must be a time like \"12:00\": {text:?}")),
    };
    let rules = Rules {
        observation_days: section
            .observation_days
            .unwrap_or(defaults.observation_days),
        morning_due: time("morning_due", section.morning_due, defaults.morning_due)?,
        afternoon_due: time(
            "afternoon_due",
            section.afternoon_due,
            defaults.afternoon_due,
        )?,
        fever_at: section.fever_at.unwrap_or(defaults.fever_at),
        plausible: defaults.plausible,
    };
    ensure!(
        (1..=60).contains(&rules.observation_days),
        "[followup] observation_days must be between 1 and 60"
    );
    ensure!(
        rules.morning_due < rules.afternoon_due,
        "[followup] morning_due must come before afternoon_due"
    );
    ensure!(
        rules.plausible.0 < rules.fever_at && rules.fever_at < rules.plausible.1,
        "[followup] fever_at must be a temperature between {} and {} °C",
        rules.plausible.0,
        rules.plausible.1
    );
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_county_file_without_the_table_has_the_defaults() {
        let rules = rules("name = \"青溪县\"\n").expect("rules");
        assert_eq!(rules, Rules::default());
    }

    #[test]
    fn the_table_sets_the_rules() {
        let rules = rules(
            "name = \"x\"\n[followup]\nobservation_days = 7\nmorning_due = \"11:30\"\n\
             fever_at = 37.5\n",
        )
        .expect("rules");
        assert_eq!(rules.observation_days, 7);
        assert_eq!(
            rules.morning_due,
            NaiveTime::from_hms_opt(11, 30, 0).expect("time")
        );
        assert_eq!(rules.afternoon_due, Rules::default().afternoon_due);
        assert!((rules.fever_at - 37.5).abs() < f64::EPSILON);
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        for (text, key) in [
            ("[followup]\nobservation_days = 0\n", "observation_days"),
            ("[followup]\nmorning_due = \"noon\"\n", "morning_due"),
            ("[followup]\nmorning_due = \"21:00\"\n", "morning_due"),
            ("[followup]\nfever_at = 50\n", "fever_at"),
        ] {
            let error = format!("{:#}", rules(text).expect_err(text));
            assert!(error.contains(key), "{text}: {error}");
        }
        assert!(rules("[followup]\nobservaton_days = 14\n").is_err());
    }
}
