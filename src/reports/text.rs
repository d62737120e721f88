//! The briefing's text, from a template in the shape of the county's report. It never claims
//! what the figures do not support: "全部落实了监管责任" only when every person under
//! observation has a complete team, "已发函通知所在地" only when every person outside the county
//! is covered by a letter.

use std::collections::BTreeMap;

use chrono::Datelike as _;
use minijinja::Environment;
use serde::Serialize;

use crate::register::reports::Briefing;

/// The template (`src/reports/briefing.txt.j2`).
const TEMPLATE: &str = include_str!("briefing.txt.j2");

#[derive(Serialize)]
struct Context<'a> {
    county: &'a str,
    year: i32,
    month: u32,
    day: u32,
    /// Every figure by key.
    f: BTreeMap<&'a str, u64>,
    team_all: bool,
    letters_all: bool,
    without_letter: u64,
    missing: &'a [String],
}

/// The briefing's text. Fails only when the template does (a programming error).
pub fn render(briefing: &Briefing) -> anyhow::Result<String> {
    let f: BTreeMap<&str, u64> = briefing.figures.iter().map(|f| (f.key, f.value)).collect();
    let outside = briefing.value("outside");
    let context = Context {
        county: &briefing.county,
        year: briefing.date.year(),
        month: briefing.date.month(),
        day: briefing.date.day(),
        team_all: briefing.value("under_observation") > 0 && briefing.value("team_incomplete") == 0,
        letters_all: briefing.letters.all_covered(outside),
        without_letter: briefing
            .letters
            .persons_without_letter
            .max(outside.saturating_sub(briefing.letters.persons_covered)),
        missing: &briefing.missing_townships,
        f,
    };
    let mut env = Environment::new();
    env.add_template("briefing", TEMPLATE)?;
    let text = env
        .get_template("briefing")?
        .render(minijinja::value::Serde(&context))?;
    Ok(text.trim_end().to_owned() + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::reports::{Figure, LetterFigures};

    fn briefing(values: &[(&'static str, u64)], letters: LetterFigures) -> Briefing {
        Briefing {
            date: chrono::NaiveDate::from_ymd_opt(2020, 2, 1).expect("date"),
            county: "青溪县".into(),
            figures: values
                .iter()
                .map(|(key, value)| Figure {
                    key,
                    label: "",
                    value: *value,
                    filter: None,
                })
                .collect(),
            letters,
            missing_townships: vec!["城关镇".into()],
        }
    }

    #[test]
    fn an_incomplete_team_is_not_called_complete() {
        let text = render(&briefing(
            &[
                ("in_county", 10),
                ("under_observation", 8),
                ("team_complete", 5),
                ("team_incomplete", 3),
                ("outside", 2),
            ],
            LetterFigures::default(),
        ))
        .expect("text");
        assert!(text.contains("一、疫情总体情况"), "{text}");
        assert!(
            text.contains("在我县居住与湖北、武汉有关联人员10人，在县外2人"),
            "{text}"
        );
        assert!(!text.contains("全部落实了监管责任"), "{text}");
        assert!(
            text.contains("已落实监管责任5人，尚有3人正在落实"),
            "{text}"
        );
        assert!(!text.contains("已发函通知所在地落实"), "{text}");
        assert!(text.contains("尚有2人待发函"), "{text}");
        assert!(text.contains("未报告的乡镇（街道）1个：城关镇"), "{text}");
    }

    #[test]
    fn complete_teams_and_letters_are_said_so() {
        let text = render(&briefing(
            &[
                ("in_county", 10),
                ("under_observation", 8),
                ("team_complete", 8),
                ("outside", 2),
            ],
            LetterFigures {
                letters_issued: 1,
                persons_covered: 2,
                persons_without_letter: 0,
                replies_received: 0,
            },
        ))
        .expect("text");
        assert!(text.contains("全部落实了监管责任"), "{text}");
        assert!(
            text.contains("已发函通知所在地落实居家医学观察措施"),
            "{text}"
        );
    }
}
