//! `serve --demo`: fills an empty register with the demo county's sample files.

use crate::error::AppError;
use crate::intake::SourceKind;
use crate::register::letters::ReplyInput;
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

/// Imports the demo files when the register has no batch yet, and puts one letter through its
/// life ([`seed_letter`]); returns how many files were imported.
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
    seed_letter(register).await?;
    Ok(DEMO_FILES.len())
}

/// One letter of the demo already through its life, so the letters and the briefing have
/// figures: the letter to the jurisdiction with the most persons outside the county is drafted,
/// issued by hand and answered `OBSERVED` for every person. The other persons outside the
/// county are left for a clerk to draft.
async fn seed_letter(register: &Register) -> Result<(), AppError> {
    let destinations = register.letter_destinations().await?;
    let Some((to, _)) = destinations
        .iter()
        .max_by_key(|(to, persons)| (persons.len(), std::cmp::Reverse(to.code.clone())))
    else {
        return Ok(());
    };
    let drafts = register.draft_letters_to("demo", Some(&to.code)).await?;
    for draft in drafts {
        register
            .issue_letter(draft.id, crate::states::LetterChannel::Hand, "demo")
            .await?;
        let answers: Vec<ReplyInput> = register
            .letter_persons(draft.id)
            .await?
            .into_iter()
            .map(|e| ReplyInput {
                person_id: e.person_id,
                outcome: crate::states::ReplyOutcome::Observed,
                place: None,
                note: Some("已落实居家医学观察".to_owned()),
            })
            .collect();
        register
            .record_letter_reply(draft.id, &answers, "demo")
            .await?;
    }
    Ok(())
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
