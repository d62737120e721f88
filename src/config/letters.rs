//! The `[letters]` table of the county file: how the county's letters are numbered and signed.
//!
//! ```toml
//! [letters]
//! series = "青溪防指函〔{year}〕{n}号"   # {year} and {n} are filled in at issue
//! sender = "青溪县新冠肺炎疫情防控指挥部"
//! contact = "李明"
//! phone = "0376-5123456"
//! reply_days = 3      # feedback asked for within this many days of the letter's date
//! overdue_days = 7    # an issued letter without a reply after this many days is overdue
//! ```
//!
//! Every key is optional; the defaults are the demo county's values above.

use anyhow::ensure;
use chrono::NaiveDate;
use serde::Deserialize;

/// How the county's letters are numbered and signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterSettings {
    /// The number's pattern: `{year}` and `{n}` are replaced at issue.
    pub series: String,
    /// The sender in full.
    pub sender: String,
    /// The contact person printed on the letter.
    pub contact: String,
    /// The contact's phone.
    pub phone: String,
    /// Feedback is asked for by the letter's date plus this many days.
    pub reply_days: u32,
    /// An issued letter without a reply after this many days is overdue.
    pub overdue_days: u32,
}

impl Default for LetterSettings {
    fn default() -> Self {
        Self {
            series: "青溪防指函〔{year}〕{n}号".into(),
            sender: "青溪县新冠肺炎疫情防控指挥部".into(),
            contact: "李明".into(),
            phone: "0376-5123456".into(),
            reply_days: 3,
            overdue_days: 7,
        }
    }
}

impl LetterSettings {
    /// The number of the `n`th letter of `year` (`青溪防指函〔2020〕7号`).
    pub fn number(&self, year: i32, n: i32) -> String {
        self.series
            .replace("{year}", &year.to_string())
            .replace("{n}", &n.to_string())
    }

    /// The day feedback is asked for on a letter dated `date`.
    pub fn reply_by(&self, date: NaiveDate) -> NaiveDate {
        date + chrono::Duration::days(i64::from(self.reply_days))
    }

    /// On `today`, an issued letter still unanswered is overdue when dated before this day.
    pub fn overdue_before(&self, today: NaiveDate) -> NaiveDate {
        today - chrono::Duration::days(i64::from(self.overdue_days))
    }
}

#[derive(Deserialize, Default)]
struct CountyFile {
    #[serde(default)]
    letters: Section,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Section {
    series: Option<String>,
    sender: Option<String>,
    contact: Option<String>,
    phone: Option<String>,
    reply_days: Option<u32>,
    overdue_days: Option<u32>,
}

/// The letter settings of a county file's text (its `[letters]` table, the defaults where a
/// key is missing).
pub(super) fn settings(county_file: &str) -> anyhow::Result<LetterSettings> {
    let section = toml::from_str::<CountyFile>(county_file)?.letters;
    let d = LetterSettings::default();
    let settings = LetterSettings {
        series: section.series.unwrap_or(d.series),
        sender: section.sender.unwrap_or(d.sender),
        contact: section.contact.unwrap_or(d.contact),
        phone: section.phone.unwrap_or(d.phone),
        reply_days: section.reply_days.unwrap_or(d.reply_days),
        overdue_days: section.overdue_days.unwrap_or(d.overdue_days),
    };
    ensure!(
        settings.series.contains("{n}"),
        "[letters] series must contain {{n}}, the letter's number in its year"
    );
    ensure!(
        (1..=90).contains(&settings.reply_days),
        "[letters] reply_days must be between 1 and 90"
    );
    ensure!(
        (1..=365).contains(&settings.overdue_days),
        "[letters] overdue_days must be between 1 and 365"
    );
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_county_file_without_the_table_has_the_defaults() {
        let s = settings("name = \"青溪县\"\n").expect("settings");
        assert_eq!(s, LetterSettings::default());
        assert_eq!(s.number(2020, 7), "青溪防指函〔2020〕7号");
    }

    #[test]
    fn the_table_sets_the_keys_and_bad_values_are_refused() {
        let s = settings("[letters]\nseries = \"X〔{year}〕{n}\"\noverdue_days = 10\n")
            .expect("settings");
        assert_eq!(s.number(2021, 1), "X〔2021〕1");
        assert_eq!(s.overdue_days, 10);
        for (text, key) in [
            ("[letters]\nseries = \"X\"\n", "series"),
            ("[letters]\nreply_days = 0\n", "reply_days"),
            ("[letters]\noverdue_days = 0\n", "overdue_days"),
        ] {
            let error = format!("{:#}", settings(text).expect_err(text));
            assert!(error.contains(key), "{text}: {error}");
        }
        assert!(settings("[letters]\nsenders = \"x\"\n").is_err());
    }
}
