//! `serve --demo`: fills an empty register with the demo county's sample files, and the
//! follow-up of the persons under observation on the scenario's last day (teams, readings
//! twice a day, alerts; see [`followup`]).

mod followup;

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

/// Imports the demo files when the register has no batch yet, then the follow-up sheets of
/// the scenario's last week, one letter through its life ([`seed_letter`]) and the daily
/// reports and cases ([`seed_reports`]); returns how many files were imported.
///
/// Everything is written at fixed instants of the scenario, whatever the register's clock and
/// the real time: the files at 07:00 China time on the last day (before its first check falls
/// due, so the observations count that day's checks), the readings and the sweep of missed
/// checks at 20:30 (after its last). The demo is the same on every run, and a server whose
/// today is the last day (`serve --demo`) finds no check of it left unflagged at any hour.
pub async fn seed(register: &Register) -> Result<usize, AppError> {
    if register.stats().await?.batches > 0 {
        return Ok(0);
    }
    let last = scenario_last_day()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the demo's last day is no date")))?;
    let morning = followup::at(register, followup::china_at(last, 7, 0)?);
    for (source, name, bytes) in DEMO_FILES {
        let report = morning
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
    followup::seed(&morning, last).await?;
    seed_letter(&morning).await?;
    seed_reports(register).await?;
    Ok(DEMO_FILES.len())
}

/// Townships whose daily report for the scenario's last day is missing in the demo (the
/// others reported; every township reported the day before).
pub const DEMO_MISSING_REPORTS: usize = 3;

/// The demo's daily reports and cases (issue 22): every township's report for the day before
/// the scenario's last day, all but the last [`DEMO_MISSING_REPORTS`] townships' for the last
/// day (one of them a zero report, one filed twice), and two recorded cases.
async fn seed_reports(register: &Register) -> Result<(), AppError> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
    let Some(last) = scenario_last_day() else {
        return Ok(());
    };
    let Some(before) = last.pred_opt() else {
        return Ok(());
    };
    let townships: Vec<String> = register
        .reference
        .gazetteer
        .townships
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let reporting = townships.len().saturating_sub(DEMO_MISSING_REPORTS);
    for (day, count) in [(before, townships.len()), (last, reporting)] {
        for township in &townships[..count] {
            // What the register shows, as a township would count it.
            let found = register
                .count_persons(&crate::register::reports::register_filter(township, day))
                .await?;
            let found = i64::try_from(found).unwrap_or(0);
            register
                .file_daily_report(township, day, found, None, "demo")
                .await?;
        }
    }
    // A correction: the first township refiles the last day with one more person (kept as
    // history; the register then differs).
    if let Some(first) = townships.first() {
        let stated = register
            .count_persons(&crate::register::reports::register_filter(first, last))
            .await?;
        register
            .file_daily_report(
                first,
                last,
                i64::try_from(stated).unwrap_or(0) + 1,
                Some("补报一人，待核实"),
                "demo",
            )
            .await?;
    }
    let in_county: Vec<i64> = crate::db::person::Entity::find()
        .filter(crate::db::person::Column::MergedInto.is_null())
        .filter(
            crate::db::person::Column::LocationStatus.eq(crate::states::LocationStatus::InCounty),
        )
        .order_by_asc(crate::db::person::Column::Id)
        .all(&register.db().conn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .take(2)
        .collect();
    use crate::states::CaseStatus::{Confirmed, RuledOut, Suspected};
    for (person, steps) in in_county
        .iter()
        .zip([&[Suspected, Confirmed][..], &[Suspected, RuledOut][..]])
    {
        for (status, day) in steps.iter().zip([before, last]) {
            register
                .record_case(*person, *status, day, None, "demo")
                .await?;
        }
    }
    Ok(())
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
