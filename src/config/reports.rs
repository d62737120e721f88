//! The `[reports]` table of the county file: township daily reports.
//!
//! ```toml
//! [reports]
//! due_hour = 18    # a township's report for a day not filed by 18:00 (China time) is missing
//! ```
//!
//! Every key is optional; the default is the value above.

use anyhow::ensure;
use serde::Deserialize;

/// The rules of township daily reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRules {
    /// The hour of the day (China time, 0–23) by which a township files its report for that
    /// day; after it, a township that has not is a `REPORT_MISSING` alert.
    pub due_hour: u32,
}

impl Default for ReportRules {
    fn default() -> Self {
        Self { due_hour: 18 }
    }
}

#[derive(Deserialize, Default)]
struct CountyFile {
    #[serde(default)]
    reports: Section,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Section {
    due_hour: Option<u32>,
}

/// The report rules of a county file's text (its `[reports]` table, the defaults where a key
/// is missing).
pub(super) fn rules(county_file: &str) -> anyhow::Result<ReportRules> {
    let section = toml::from_str::<CountyFile>(county_file)?.reports;
    let rules = ReportRules {
        due_hour: section.due_hour.unwrap_or(ReportRules::default().due_hour),
    };
    ensure!(
        rules.due_hour <= 23,
        "[reports] due_hour must be an hour between 0 and 23"
    );
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_county_file_without_the_table_has_the_default_hour() {
        assert_eq!(
            rules("name = \"x\"\n").expect("rules"),
            ReportRules::default()
        );
        assert_eq!(
            rules("[reports]\ndue_hour = 9\n").expect("rules").due_hour,
            9
        );
        assert!(rules("[reports]\ndue_hour = 24\n").is_err());
        assert!(rules("[reports]\ndue = 9\n").is_err());
    }
}
