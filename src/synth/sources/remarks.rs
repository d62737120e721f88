//! What a township form's remark says of where the person is, written the many ways officers
//! write it: away at a named place (county, city or province level), away without a place,
//! at home after coming back, or about a relative rather than the person.
//!
//! These phrasings are the generator's own, kept apart from the reading rules' fixtures
//! (`crate::followup::remarks`), so that data generated with them checks the rules on
//! writing they were not built from.

use chrono::NaiveDate;
use rand::Rng;

use crate::normalize::divisions::Divisions;
use crate::normalize::place::Gazetteer;
use crate::synth::places::division_text;

/// Remarks that put the person at a place; `{p}` is the place, `{d}` a day (`1月25日`).
const NAMED: [&str; 28] = [
    "本人在{p}",
    "在{p}未回",
    "现在{p}上班",
    "已返回{p}",
    "家属代报，本人在{p}",
    "电话联系，人在{p}，暂不回来",
    "目前在{p}务工",
    "{d}已返回{p}",
    "春节前已去了{p}",
    "经核实，该人员现居{p}",
    "该员仍滞留{p}",
    "本人于{d}前往{p}",
    "现居住在{p}亲戚家",
    "本人一直在{p}工作，未返乡",
    "入户核查不在家，本人在{p}",
    "{d}回过家，又回到{p}",
    "其本人在{p}，家中只有老人",
    "本人现仍在{p}，电话已告知防控要求",
    "人还在{p}没回来",
    "核查时本人在{p}出差",
    "{d}已赴{p}",
    "电话核实：现在{p}",
    "已到{p}上班",
    "本人留在{p}过年",
    "本人已去往{p}",
    "暂住{p}，未回本县",
    "经电话核实目前在{p}居住",
    "本人在{p}隔离",
];

/// Remarks that say the person is away without naming where.
const UNNAMED: [&str; 14] = [
    "本人在外地",
    "电话核实，人已不在本地",
    "本人已返回工作地",
    "外出未归，电话联系",
    "外出务工，未返乡",
    "不在家，家属称在外地打工",
    "本人未在家",
    "人不在本地，已电话告知",
    "已返岗",
    "本人已返校",
    "入户核查：人不在",
    "在外省，暂未返回",
    "家属代报，本人在外地",
    "{d}离开本县",
];

/// Remarks of a person at home in the county, some naming where they came from or a
/// relative who is elsewhere (neither says the person is away).
const HOME: [&str; 12] = [
    "从{o}返回，居家隔离",
    "自{o}返乡后居家观察",
    "{d}由{o}回家，居家观察",
    "已返乡，在家",
    "在家，体温正常",
    "本人在家，每日测温",
    "家属在{o}，本人已返乡居家",
    "其子女在{o}未回，本人在家",
    "{d}从{o}回青，居家隔离14天",
    "居家观察中",
    "已回家，签订承诺书",
    "在本村家中隔离",
];

/// A place of division `code` as a remark names it: the county level, the city, or the
/// province, in full or short. A place in the county's own city (`gazetteer.city`) or
/// province is named at a level below them, as an officer of the county would (`信阳市` or
/// `河南省` would say nothing there).
fn place_text(
    gazetteer: &Gazetteer,
    divisions: &Divisions,
    code: &str,
    rng: &mut impl Rng,
) -> String {
    let named = |d: Option<&crate::normalize::divisions::Division>, name: &str| {
        d.is_some_and(|d| d.name == name)
    };
    let same_city = named(divisions.city_of(code), &gazetteer.city);
    let same_province = named(divisions.province_of(code), &gazetteer.province);
    let level = match (same_city, same_province) {
        (true, _) => rng.random_range(0..2),
        (false, true) => rng.random_range(0..4),
        (false, false) => rng.random_range(0..6),
    };
    match level {
        0 | 1 => division_text(divisions, code, rng.random_range(0..2)),
        2 | 3 => division_text(divisions, code, 2 + rng.random_range(0..2)),
        _ => match divisions.province_of(code) {
            Some(province) if rng.random_bool(0.5) => province.name.clone(),
            Some(province) => short_province(&province.name),
            None => division_text(divisions, code, 0),
        },
    }
}

/// `广东省` → `广东`, `广西壮族自治区` → `广西`, `北京市` → `北京`.
fn short_province(name: &str) -> String {
    for suffix in [
        "壮族自治区",
        "回族自治区",
        "维吾尔自治区",
        "自治区",
        "省",
        "市",
    ] {
        if let Some(short) = name.strip_suffix(suffix)
            && short.chars().count() >= 2
        {
            return short.to_owned();
        }
    }
    name.to_owned()
}

/// `1月25日`-style day.
fn day_text(day: NaiveDate) -> String {
    use chrono::Datelike as _;
    format!("{}月{}日", day.month(), day.day())
}

/// A remark of one found away, at division `away` when `named`; the day is when they left.
pub(super) fn away_remark(
    gazetteer: &Gazetteer,
    divisions: &Divisions,
    away: &str,
    named: bool,
    left: NaiveDate,
    rng: &mut impl Rng,
) -> String {
    let template = if named {
        NAMED[rng.random_range(0..NAMED.len())]
    } else {
        UNNAMED[rng.random_range(0..UNNAMED.len())]
    };
    template
        .replace("{p}", &place_text(gazetteer, divisions, away, rng))
        .replace("{d}", &day_text(left))
}

/// A remark of one at home, who came from `origin` on `arrival`.
pub(super) fn home_remark(
    divisions: &Divisions,
    origin: &str,
    arrival: NaiveDate,
    rng: &mut impl Rng,
) -> String {
    HOME[rng.random_range(0..HOME.len())]
        .replace(
            "{o}",
            &division_text(divisions, origin, rng.random_range(0..4)),
        )
        .replace("{d}", &day_text(arrival))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_are_shortened_as_people_say_them() {
        assert_eq!(short_province("广东省"), "广东");
        assert_eq!(short_province("广西壮族自治区"), "广西");
        assert_eq!(short_province("北京市"), "北京");
    }
}
