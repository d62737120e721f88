//! `serve --demo`: fills an empty register with the demo county's sample files.

use crate::error::AppError;
use crate::intake::SourceKind;
use crate::register::{ImportRequest, Register};

/// The demo scenario's last day: the newest notice was sent then. `serve --demo` pins the
/// county's today to it (unless `--today` says otherwise), so the demo shows observations, due
/// checks and alerts as they stood then rather than everything released years ago.
pub const SCENARIO_LAST_DAY: (i32, u32, u32) = (2020, 2, 1);

/// [`SCENARIO_LAST_DAY`] as a date.
pub fn scenario_last_day() -> Option<chrono::NaiveDate> {
    let (y, m, d) = SCENARIO_LAST_DAY;
    chrono::NaiveDate::from_ymd_opt(y, m, d)
}

/// The demo files shipped in `fixtures/demo/`, in the order a county received them.
const DEMO_FILES: [(SourceKind, &str, &[u8]); 3] = [
    (
        SourceKind::Bigdata,
        "bigdata.csv",
        include_bytes!("../fixtures/demo/bigdata.csv"),
    ),
    (
        SourceKind::Township,
        "township.csv",
        include_bytes!("../fixtures/demo/township.csv"),
    ),
    (
        SourceKind::External,
        "external.json",
        include_bytes!("../fixtures/demo/external.json"),
    ),
];

/// Imports the demo files when the register has no batch yet; returns how many were imported.
pub async fn seed(register: &Register) -> Result<usize, AppError> {
    if register.stats().await?.batches > 0 {
        return Ok(0);
    }
    for (source, name, bytes) in DEMO_FILES {
        let report = register
            .import(ImportRequest::new(source, name, bytes, "demo"))
            .await?;
        tracing::info!(
            file = name,
            rows.accepted = report.rows_accepted,
            rows.rejected = report.rows_rejected,
            persons.created = report.persons_created,
            "demo file imported"
        );
    }
    Ok(DEMO_FILES.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scenario_ends_on_the_day_of_its_newest_notice() {
        let notices: serde_json::Value =
            serde_json::from_slice(include_bytes!("../fixtures/demo/external.json"))
                .expect("the demo notices");
        let newest = notices
            .as_array()
            .expect("notices")
            .iter()
            .filter_map(|n| n["send_date"].as_str())
            .filter_map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .max();
        assert_eq!(newest, scenario_last_day());
    }
}
