//! The county's briefing as of the end of a day (China time): every figure counted from the
//! register, each with the persons filter that lists its persons.
//!
//! "As of" a day: the persons are those first reported on or before it (by the sources' own
//! report dates), the cases those recorded with a date on or before it, the missing reports
//! those with no report dated that day. Later imports of later reports leave a past day's
//! figures as they were. Where the register keeps only the present state (a person's location
//! status, observation state, team, open alerts), a past day's figure counts the persons known
//! then in their present state: the persons filter can list exactly those, and a figure that
//! could not be checked by its list would not be worth printing.

use chrono::NaiveDate;

use super::letter_figures::{LetterFigures, letter_figures};
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::register::query::{DateRange, PersonFilter};
use crate::register::{LocationStatus, Register};
use crate::states::{AlertKind, CaseStatus, ObservationState};

/// One figure of the briefing.
#[derive(Debug, Clone)]
pub struct Figure {
    /// A stable key (`in_county`, `under_observation` …).
    pub key: FigureKey,
    /// What it counts, in Chinese.
    pub label: &'static str,
    pub value: u64,
    /// The persons it counts (their number is `value`); none for a figure that counts no
    /// persons (letters, townships).
    pub filter: Option<PersonFilter>,
}

/// A figure's key.
pub type FigureKey = &'static str;

/// The figures of one township (the sheet of figures by township).
#[derive(Debug, Clone)]
pub struct TownshipFigures {
    pub township: String,
    /// In the same order as [`TOWNSHIP_COLUMNS`].
    pub values: Vec<u64>,
    /// The township filed its report for the day.
    pub reported: bool,
    /// The figure it stated, when it did.
    pub stated: Option<i64>,
}

/// The briefing of a day.
#[derive(Debug, Clone)]
pub struct Briefing {
    pub date: NaiveDate,
    /// The county's name.
    pub county: String,
    pub figures: Vec<Figure>,
    pub letters: LetterFigures,
    /// Townships with no report dated that day.
    pub missing_townships: Vec<String>,
}

impl Briefing {
    /// The value of figure `key` (0 when there is none).
    pub fn value(&self, key: &str) -> u64 {
        self.figures
            .iter()
            .find(|f| f.key == key)
            .map_or(0, |f| f.value)
    }
}

/// The per-township columns of the sheet of figures: key and Chinese header.
pub const TOWNSHIP_COLUMNS: &[(FigureKey, &str)] = &[
    ("linked_total", "摸排总数"),
    ("in_county", "在县内"),
    ("outside", "在县外"),
    ("pending_verification", "待核实"),
    ("new_today", "当日新增"),
    ("under_observation", "居家医学观察中"),
    ("team_complete", "已落实监管责任"),
    ("team_incomplete", "正在落实监管责任"),
];

/// The persons known by the end of `date`.
fn known_by(date: NaiveDate) -> PersonFilter {
    PersonFilter {
        first_reported: DateRange {
            from: None,
            to: Some(date),
        },
        ..PersonFilter::default()
    }
}

/// The figure definitions of a day: key, label, filter. `township` narrows each to one.
fn definitions(
    date: NaiveDate,
    township: Option<&str>,
) -> Vec<(FigureKey, &'static str, PersonFilter)> {
    let base = PersonFilter {
        township: township.map(str::to_owned),
        ..known_by(date)
    };
    let with = |f: &dyn Fn(&mut PersonFilter)| {
        let mut filter = base.clone();
        f(&mut filter);
        filter
    };
    let located = |s: LocationStatus| with(&|f| f.location_status = Some(vec![s]));
    let sourced = |s: SourceKind| with(&|f| f.found_by = Some(vec![s]));
    let observed = |s: ObservationState| with(&|f| f.observation_state = Some(vec![s]));
    let case = |s: CaseStatus| {
        with(&|f| {
            f.case_status = Some(vec![s]);
            f.case_as_of = Some(date);
        })
    };
    vec![
        ("linked_total", "摸排与湖北、武汉有关联人员", base.clone()),
        ("in_county", "在县内", located(LocationStatus::InCounty)),
        ("outside", "在县外", located(LocationStatus::OutOfCounty)),
        (
            "pending_verification",
            "待核实所在地",
            located(LocationStatus::PendingVerification),
        ),
        ("by_bigdata", "大数据核查发现", sourced(SourceKind::Bigdata)),
        (
            "by_township",
            "镇办实地核查发现",
            sourced(SourceKind::Township),
        ),
        (
            "by_external",
            "外地通报协查发现",
            sourced(SourceKind::External),
        ),
        (
            "new_today",
            "当日新增",
            with(&|f| f.first_reported.from = Some(date)),
        ),
        (
            "under_observation",
            "居家医学观察中",
            observed(ObservationState::UnderObservation),
        ),
        (
            "released",
            "已解除观察",
            observed(ObservationState::Released),
        ),
        (
            "transferred",
            "已转运",
            observed(ObservationState::Transferred),
        ),
        (
            "lost_contact",
            "失联",
            observed(ObservationState::LostContact),
        ),
        (
            "team_complete",
            "已落实监管责任（五包一）",
            with(&|f| f.team_incomplete = Some(false)),
        ),
        (
            "team_incomplete",
            "正在落实监管责任",
            with(&|f| f.team_incomplete = Some(true)),
        ),
        (
            "checks_due",
            "当日应测体温人数",
            observed(ObservationState::UnderObservation),
        ),
        (
            "checks_done",
            "当日已测体温人数",
            with(&|f| {
                f.observation_state = Some(vec![ObservationState::UnderObservation]);
                f.temperature_on = Some(date);
            }),
        ),
        (
            "open_fevers",
            "发热预警未处理人数",
            with(&|f| f.open_alert = Some(vec![AlertKind::Fever])),
        ),
        (
            "letters_persons",
            "协查函涉及人数",
            with(&|f| {
                f.letter_covered = Some(true);
                f.letter_as_of = Some(date);
            }),
        ),
        (
            "persons_without_letter",
            "县外尚未发函人数",
            with(&|f| {
                f.location_status = Some(vec![LocationStatus::OutOfCounty]);
                f.letter_covered = Some(false);
                f.letter_as_of = Some(date);
            }),
        ),
        ("confirmed", "确诊病例", case(CaseStatus::Confirmed)),
        ("suspected", "疑似病例", case(CaseStatus::Suspected)),
    ]
}

impl Register {
    /// The briefing as of the end of `date` (China time).
    pub async fn briefing(&self, date: NaiveDate) -> Result<Briefing, AppError> {
        let mut figures = Vec::new();
        for (key, label, filter) in definitions(date, None) {
            figures.push(Figure {
                key,
                label,
                value: self.count_persons(&filter).await?,
                filter: Some(filter),
            });
        }
        let mut letters = letter_figures(self, date).await?;
        let value = |key: &str| figures.iter().find(|f| f.key == key).map_or(0, |f| f.value);
        letters.persons_covered = value("letters_persons");
        letters.persons_without_letter = value("persons_without_letter");
        for (key, label, value) in [
            ("letters_issued", "已发协查函（份）", letters.letters_issued),
            (
                "letter_replies",
                "已收到回函（份）",
                letters.replies_received,
            ),
        ] {
            figures.push(Figure {
                key,
                label,
                value,
                filter: None,
            });
        }
        let missing_townships = self.townships_missing(date).await?;
        figures.push(Figure {
            key: "townships_missing",
            label: "未报告的乡镇（街道）",
            value: missing_townships.len() as u64,
            filter: None,
        });
        Ok(Briefing {
            date,
            county: self.reference.gazetteer.name.clone(),
            figures,
            letters,
            missing_townships,
        })
    }

    /// The figures of [`TOWNSHIP_COLUMNS`] for every township of the county on `date`, with
    /// its report.
    pub async fn briefing_by_township(
        &self,
        date: NaiveDate,
    ) -> Result<Vec<TownshipFigures>, AppError> {
        let reports = self.daily_reports(date).await?;
        let mut out = Vec::new();
        for report in reports {
            let defs = definitions(date, Some(&report.township));
            let mut values = Vec::new();
            for (key, _) in TOWNSHIP_COLUMNS {
                let value = match defs.iter().find(|(k, _, _)| k == key) {
                    Some((_, _, filter)) => self.count_persons(filter).await?,
                    None => 0,
                };
                values.push(value);
            }
            out.push(TownshipFigures {
                township: report.township,
                values,
                reported: report.report.is_some(),
                stated: report.report.map(|r| r.new_persons),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_person_figure_counts_only_persons_known_by_the_day() {
        let day = NaiveDate::from_ymd_opt(2020, 2, 1).expect("date");
        for (key, _, filter) in definitions(day, None) {
            assert_eq!(filter.first_reported.to, Some(day), "{key}");
        }
    }
}
