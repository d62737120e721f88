//! One source record's identity, normalised field by field.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::name::{NameRejection, classify_name};
use super::place::Whereabouts;
use super::{
    Division, DivisionLevel, Divisions, Gazetteer, IdClass, Phone, Problem, Sex,
    extract_phones_from_text, parse_date, parse_id_number, parse_phones, parse_sex,
};

/// The identity fields of one source row as they arrived (canonical field names; all optional).
#[derive(Debug, Clone, Default)]
pub struct RawIdentity<'a> {
    /// Name as written (`姓名`).
    pub name: Option<&'a str>,
    /// ID number as written (`身份证号`), possibly masked or 15 digits.
    pub id_number: Option<&'a str>,
    /// A phone cell: may hold several phones, spaces, `+86`, dashes.
    pub phone: Option<&'a str>,
    /// Sex as written (`男`, `F`, `1` …).
    pub sex: Option<&'a str>,
    /// Age in years as written (may be `45岁`, or a traditional reckoning one year higher).
    pub age: Option<&'a str>,
    /// Birth date as written (any form [`super::parse_date`] reads).
    pub birth_date: Option<&'a str>,
    /// Township cell (`乡镇`, `镇(街道)`).
    pub township: Option<&'a str>,
    /// Village / community cell (`村(社区)`).
    pub village: Option<&'a str>,
    /// Home / current address (`address`, or `current_address` of an external notice person).
    pub address: Option<&'a str>,
    /// Where the person is now (`current_location` / `location`, a big-data location hint).
    pub current_location: Option<&'a str>,
    /// Where they came from (来源地/出发地), e.g. `武汉市` or `湖北省孝感市`.
    pub origin: Option<&'a str>,
    /// Arrival (return) date as written.
    pub arrival_date: Option<&'a str>,
    /// Report / check date as written.
    pub report_date: Option<&'a str>,
    /// Free-text cells (remark, note, symptoms …) searched for phones.
    pub notes: Vec<&'a str>,
}

/// Reference data and defaults a record is normalised against.
#[derive(Debug, Clone, Copy)]
pub struct NormalizeContext<'a> {
    /// The national division table.
    pub divisions: &'a Divisions,
    /// The county's gazetteer.
    pub gazetteer: &'a Gazetteer,
    /// The date the batch or report is about: gives the year for `1月23日` / `1.23`
    /// and the reference day for age cross-checks.
    pub reference_date: NaiveDate,
}

/// The normalised identity of one source record; stored with the raw row and shown in the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// Name with white space and middle dots removed, full-width folded, in Simplified characters.
    pub name: Option<String>,
    /// Toneless pinyin of `name`, syllables separated by one space (`ou yang xiao ming`).
    pub name_pinyin: Option<String>,
    /// Surname split off `name` (compound surnames such as `欧阳` included).
    pub surname: Option<String>,
    /// 18-character ID number (15-digit numbers upgraded), or the masked form with `*` kept.
    pub id_number: Option<String>,
    /// Valid, checksum failed, masked or malformed; `None` without an ID number.
    pub id_class: Option<IdClass>,
    /// For a number that fails its checksum: the valid numbers one edit away.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_candidates: Vec<String>,
    /// Phones from the phone cell, then those found in the notes (`from_text`).
    pub phones: Vec<Phone>,
    /// From a valid ID number, else from the record's birth date.
    pub birth_date: Option<NaiveDate>,
    /// From the record, else from a valid ID number.
    pub sex: Option<Sex>,
    /// Canonical township name from the county gazetteer.
    pub township: Option<String>,
    /// Canonical village / community name from the county gazetteer.
    pub village: Option<String>,
    /// True when the record's current place is known to be inside the county.
    pub in_county: Option<bool>,
    /// County-level jurisdiction (6-digit code) where the person is, when outside the county.
    pub jurisdiction_code: Option<String>,
    /// Its full name, e.g. `湖北省武汉市江岸区`.
    pub jurisdiction_name: Option<String>,
    /// Origin resolved to the division table: `true` when it is in Wuhan (4201xx).
    pub origin_wuhan: Option<bool>,
    /// `true` when the origin is in Hubei province (42xxxx).
    pub origin_hubei: Option<bool>,
    /// Arrival (return) date.
    pub arrival_date: Option<NaiveDate>,
    /// Report / check date.
    pub report_date: Option<NaiveDate>,
    /// What the record's remark says of where the person is, when it says something
    /// (`本人已返回工作地`, `在武汉未回`); read by `followup::remarks::read_remark`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<RemarkLocation>,
    /// Everything found wrong or doubtful, field by field (the register stores them in a
    /// column of their own, so a stored identity leaves an empty list out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// Where a remark puts the person: away (at a named division or not) or at home.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemarkLocation {
    /// True when the remark says the person is outside the county.
    pub away: bool,
    /// The division where the person is away, when named (county level when named, else the
    /// city or province).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Its full name (`湖北省武汉市`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The township of the county the remark names, when at home there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub township: Option<String>,
    /// The village the remark names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
    /// The rule that read it (`remark.went_to` …).
    pub rule: String,
}

/// Normalises one record's identity fields against the reference data.
///
/// Every field is normalised on its own (see the `normalize` functions), then cross-checked:
/// the ID's sex and birth date against the record's sex, birth date and age (the traditional
/// reckoning, one year more, is accepted). Rules:
/// - birth date from a valid ID number, else from `birth_date`; an age alone gives none;
/// - sex from the record, else from a valid ID number;
/// - township and village matched to the gazetteer (or read from an in-county address);
/// - `in_county`: a `current_location` outside the county → `false` with the jurisdiction;
///   otherwise a township cell that matches → `true`; otherwise `current_location`, or failing
///   that `address`, decides (inside → `true`, outside → `false` with the county-level or city
///   jurisdiction, unknown → `None`);
/// - `origin_wuhan` / `origin_hubei` only from `origin` (Wuhan = 4201xx, Hubei = 42xxxx; a
///   bare `湖北` leaves `origin_wuhan` unknown);
/// - phones from the phone cell, plus those found in the notes (marked `from_text`, each
///   reported as `PHONE_FROM_TEXT`, duplicates of the cell's dropped).
///
/// Problems never repeat the personal data they are about.
pub fn normalize_record(raw: &RawIdentity<'_>, ctx: &NormalizeContext<'_>) -> Identity {
    let mut id = Identity::default();
    let mut problems = Vec::new();

    // Name.
    if let Some(raw_name) = present(raw.name) {
        match classify_name(raw_name) {
            Ok(name) => {
                if name.converted_from_traditional {
                    problems.push(Problem::new(
                        "NAME_TRADITIONAL",
                        "name",
                        "姓名含繁体字，已转为简体",
                    ));
                }
                id.name = Some(name.full);
                id.name_pinyin = Some(name.pinyin);
                id.surname = name.surname;
            }
            Err(NameRejection::Placeholder) => problems.push(Problem::new(
                "NAME_PLACEHOLDER",
                "name",
                "姓名为占位内容（如“不详”“未知”），视为无姓名",
            )),
            Err(NameRejection::Empty) => {}
        }
    }

    // ID number.
    let parsed_id = present(raw.id_number).and_then(|n| parse_id_number(n, ctx.divisions));
    let valid_id = parsed_id.as_ref().filter(|p| p.class == IdClass::Valid);
    if let Some(p) = &parsed_id {
        problems.extend(p.problems());
        id.id_number = Some(p.normalized.clone());
        id.id_class = Some(p.class);
        id.id_candidates = p.candidates.clone();
    }

    // Sex.
    let record_sex = present(raw.sex).and_then(|s| {
        let sex = parse_sex(s);
        if sex.is_none() && !is_unknown_marker(s) {
            problems.push(Problem::new("SEX_INVALID", "sex", "性别无法识别"));
        }
        sex
    });
    let id_sex = valid_id.and_then(|p| p.sex);
    if let (Some(r), Some(i)) = (record_sex, id_sex)
        && r != i
    {
        problems.push(Problem::new(
            "ID_SEX_MISMATCH",
            "sex",
            "登记的性别与身份证号所示性别不符",
        ));
    }
    id.sex = record_sex.or(id_sex);

    // Birth date and age.
    let record_birth =
        present(raw.birth_date).and_then(|b| match parse_date(b, ctx.reference_date) {
            Ok(date) if date <= ctx.reference_date => Some(date),
            Ok(_) => {
                problems.push(Problem::new(
                    "DATE_INVALID",
                    "birth_date",
                    "出生日期晚于登记日期",
                ));
                None
            }
            Err(e) => {
                problems.push(Problem::new(
                    "DATE_INVALID",
                    "birth_date",
                    format!("出生日期无法识别：{e}"),
                ));
                None
            }
        });
    let id_birth = valid_id.and_then(|p| p.birth_date);
    if let (Some(r), Some(i)) = (record_birth, id_birth)
        && r != i
    {
        problems.push(Problem::new(
            "BIRTH_DATE_MISMATCH",
            "birth_date",
            "登记的出生日期与身份证号所示出生日期不符",
        ));
    }
    id.birth_date = id_birth.or(record_birth);
    if let Some(raw_age) = present(raw.age) {
        match parse_age(raw_age) {
            Some(age) => {
                let against = id_birth
                    .map(|b| (b, "ID_AGE_MISMATCH", "年龄与身份证号所示出生日期不符"))
                    .or_else(|| {
                        record_birth.map(|b| (b, "AGE_MISMATCH", "年龄与登记的出生日期不符"))
                    });
                if let Some((birth, code, message)) = against {
                    let actual = age_on(birth, ctx.reference_date);
                    // 虚岁: the traditional reckoning counts one year more.
                    if age != actual && age != actual + 1 {
                        problems.push(Problem::new(code, "age", message));
                    }
                }
            }
            None if !is_unknown_marker(raw_age) => {
                problems.push(Problem::new("AGE_INVALID", "age", "年龄无法识别"));
            }
            None => {}
        }
    }

    // Phones.
    if let Some(cell) = present(raw.phone) {
        let (phones, phone_problems) = parse_phones(cell);
        id.phones = phones;
        problems.extend(phone_problems);
    }
    for note in raw.notes.iter().filter(|n| !n.trim().is_empty()) {
        for phone in extract_phones_from_text(note) {
            if !id.phones.iter().any(|p| p.number == phone.number) {
                problems.push(Problem::new(
                    "PHONE_FROM_TEXT",
                    "notes",
                    "从备注等文字中提取到电话号码",
                ));
                id.phones.push(phone);
            }
        }
    }

    // Township and village.
    let gazetteer = ctx.gazetteer;
    let mut township_matched = false;
    if let Some(t) = present(raw.township) {
        match gazetteer.match_township(t) {
            Some(m) => {
                id.township = Some(m.name);
                township_matched = true;
            }
            None => problems.push(Problem::new(
                "TOWNSHIP_UNKNOWN",
                "township",
                "乡镇（街道）不在本县乡镇名录中",
            )),
        }
    }
    if let Some(v) = present(raw.village) {
        let township = id.township.as_deref().or(present(raw.township));
        match gazetteer.match_village(township, v) {
            Some(m) => {
                id.village = Some(m.name);
                if id.township.is_none() {
                    id.township = Some(m.township);
                }
            }
            None => problems.push(Problem::new(
                "VILLAGE_UNKNOWN",
                "village",
                "村（社区）不在该乡镇的村（社区）名录中",
            )),
        }
    }

    // Where the person is.
    let located = |field: &'static str, text: Option<&str>| {
        present(text).map(|t| (field, gazetteer.locate(t, ctx.divisions)))
    };
    let current = located("current_location", raw.current_location);
    let mut place_from: Option<(&'static str, Whereabouts<'_>)> = None;
    if let Some((field, w @ Whereabouts::Outside(_))) = &current {
        place_from = Some((field, w.clone()));
    } else if township_matched {
        id.in_county = Some(true);
    } else {
        // The address is read only when the current location does not settle it, and not at
        // all when it is the same text (intake passes a home address as both).
        let address = || {
            if present(raw.address) == present(raw.current_location) {
                None
            } else {
                located("address", raw.address)
            }
        };
        place_from = match current {
            Some((field, Whereabouts::Unknown)) => match address() {
                Some(a) if a.1 != Whereabouts::Unknown => Some(a),
                _ => Some((field, Whereabouts::Unknown)),
            },
            Some(c) => Some(c),
            None => address(),
        };
    }
    match place_from {
        Some((_, Whereabouts::InCounty { township, village })) => {
            id.in_county = Some(true);
            if id.township.is_none() {
                id.township = township;
                if id.village.is_none() {
                    id.village = village;
                }
            }
        }
        Some((_, Whereabouts::Outside(division))) => {
            id.in_county = Some(false);
            set_jurisdiction(&mut id, division, ctx.divisions);
        }
        Some((field, Whereabouts::Unknown)) => problems.push(Problem::new(
            "PLACE_UNRESOLVED",
            field,
            "无法根据所填地点判断是否在本县",
        )),
        None => {}
    }

    // Hubei / Wuhan link, from the origin only.
    if let Some(origin) = present(raw.origin) {
        match ctx.divisions.resolve_place(origin) {
            Some(d) => {
                let hubei = d.code.starts_with("42");
                id.origin_hubei = Some(hubei);
                id.origin_wuhan = if d.code.starts_with("4201") {
                    Some(true)
                } else if hubei && d.level == DivisionLevel::Province {
                    None
                } else {
                    Some(false)
                };
            }
            None => problems.push(Problem::new(
                "PLACE_UNRESOLVED",
                "origin",
                "来源地无法对应到行政区划",
            )),
        }
    }

    // Dates of the event.
    id.arrival_date = date_field(raw.arrival_date, "arrival_date", ctx, &mut problems);
    id.report_date = date_field(raw.report_date, "report_date", ctx, &mut problems);

    id.problems = problems;
    // Identities are kept for a whole run (a million at a time): no spare capacity.
    id.phones.shrink_to_fit();
    id
}

/// The cell, trimmed, when it holds anything.
fn present(cell: Option<&str>) -> Option<&str> {
    cell.map(str::trim).filter(|c| !c.is_empty())
}

/// Cells that say "not known" rather than giving a wrong value.
fn is_unknown_marker(cell: &str) -> bool {
    matches!(
        cell.trim(),
        "不详" | "未知" | "-" | "--" | "/" | "无" | "?" | "？"
    )
}

fn set_jurisdiction(id: &mut Identity, division: &Division, divisions: &Divisions) {
    id.jurisdiction_code = Some(division.code.clone());
    id.jurisdiction_name = divisions
        .full_name(&division.code)
        .or_else(|| Some(division.name.clone()));
}

fn date_field(
    cell: Option<&str>,
    field: &'static str,
    ctx: &NormalizeContext<'_>,
    problems: &mut Vec<Problem>,
) -> Option<NaiveDate> {
    let cell = present(cell)?;
    match parse_date(cell, ctx.reference_date) {
        Ok(date) => Some(date),
        Err(e) => {
            problems.push(Problem::new(
                "DATE_INVALID",
                field,
                format!("日期无法识别：{e}"),
            ));
            None
        }
    }
}

/// `45`, `45岁`, `45周岁`, `４５` → 45.
fn parse_age(cell: &str) -> Option<i32> {
    let cell = cell.trim();
    let digits: String = cell
        .chars()
        .map(super::name::fold_width)
        .take_while(char::is_ascii_digit)
        .collect();
    let rest = cell
        .chars()
        .map(super::name::fold_width)
        .skip(digits.chars().count())
        .collect::<String>();
    if digits.is_empty() || digits.len() > 3 {
        return None;
    }
    if !matches!(rest.trim(), "" | "岁" | "周岁" | "虚岁") {
        return None;
    }
    digits.parse().ok()
}

/// Full years between `birth` and `on`.
fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::super::PhoneKind;
    use super::super::id_number::check_digit;
    use super::super::place::tests::demo;
    use super::*;
    use proptest::prelude::*;

    fn valid(first17: &str) -> String {
        match check_digit(first17) {
            Some(c) => format!("{first17}{c}"),
            None => panic!("bad test digits"),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        match NaiveDate::from_ymd_opt(y, m, d) {
            Some(date) => date,
            None => panic!("bad test date"),
        }
    }

    fn normalize(raw: &RawIdentity<'_>) -> Identity {
        let gazetteer = demo();
        let ctx = NormalizeContext {
            divisions: Divisions::embedded(),
            gazetteer: &gazetteer,
            reference_date: date(2020, 1, 28),
        };
        normalize_record(raw, &ctx)
    }

    fn codes(id: &Identity) -> Vec<&str> {
        id.problems.iter().map(|p| p.code.as_ref()).collect()
    }

    #[test]
    fn a_clean_township_record_is_normalised_field_by_field() {
        let number = valid("41159919850315402");
        let raw = RawIdentity {
            name: Some(" 歐陽 曉明 "),
            id_number: Some(&number),
            phone: Some("189 5860 7910"),
            sex: Some("女"),
            age: Some("34"),
            township: Some("城关"),
            village: Some("河口"),
            origin: Some("湖北省武汉市江岸区"),
            arrival_date: Some("1月20日"),
            report_date: Some("2020-01-28"),
            notes: vec!["其夫电话13912345678"],
            ..RawIdentity::default()
        };
        let id = normalize(&raw);
        assert_eq!(id.name.as_deref(), Some("欧阳晓明"));
        assert_eq!(id.name_pinyin.as_deref(), Some("ou yang xiao ming"));
        assert_eq!(id.surname.as_deref(), Some("欧阳"));
        assert_eq!(id.id_number.as_deref(), Some(number.as_str()));
        assert_eq!(id.id_class, Some(IdClass::Valid));
        assert_eq!(id.birth_date, Some(date(1985, 3, 15)));
        assert_eq!(id.sex, Some(Sex::Female));
        assert_eq!(id.township.as_deref(), Some("城关镇"));
        assert_eq!(id.village.as_deref(), Some("河口村"));
        assert_eq!(id.in_county, Some(true));
        assert_eq!(id.origin_wuhan, Some(true));
        assert_eq!(id.origin_hubei, Some(true));
        assert_eq!(id.arrival_date, Some(date(2020, 1, 20)));
        assert_eq!(id.report_date, Some(date(2020, 1, 28)));
        let phones: Vec<_> = id
            .phones
            .iter()
            .map(|p| (p.number.as_str(), p.kind, p.from_text))
            .collect();
        assert_eq!(
            phones,
            vec![
                ("18958607910", PhoneKind::Mobile, false),
                ("13912345678", PhoneKind::Mobile, true)
            ]
        );
        // 411599 is the demo county, absent from the national table.
        assert_eq!(
            codes(&id),
            vec!["NAME_TRADITIONAL", "ID_REGION_UNKNOWN", "PHONE_FROM_TEXT"]
        );
    }

    #[test]
    fn id_problems_are_reported_without_the_number() {
        let number = valid("42010219900307123");
        let mut typo = number.clone().into_bytes();
        typo[3] = if typo[3] == b'1' { b'2' } else { b'1' };
        let typo = String::from_utf8(typo).unwrap_or_default();
        let id = normalize(&RawIdentity {
            id_number: Some(&typo),
            ..RawIdentity::default()
        });
        assert_eq!(id.id_class, Some(IdClass::ChecksumFailed));
        assert!(id.id_candidates.contains(&number));
        assert!(codes(&id).contains(&"ID_CHECKSUM_FAILED"));
        assert!(id.problems.iter().all(|p| !p.message.contains(&typo)));
        // A failing number gives no birth date or sex.
        assert_eq!(id.birth_date, None);
        assert_eq!(id.sex, None);

        for (raw, code) in [
            ("420102********1234", "ID_MASKED"),
            ("4201021990", "ID_MALFORMED"),
            ("420102900307123", "ID_UPGRADED_FROM_15"),
        ] {
            let id = normalize(&RawIdentity {
                id_number: Some(raw),
                ..RawIdentity::default()
            });
            assert!(codes(&id).contains(&code), "{raw}: {:?}", codes(&id));
        }
    }

    #[test]
    fn the_record_sex_wins_and_a_mismatch_is_flagged() {
        let male = valid("42010219900307123");
        let id = normalize(&RawIdentity {
            id_number: Some(&male),
            sex: Some("女"),
            ..RawIdentity::default()
        });
        assert_eq!(id.sex, Some(Sex::Female));
        assert_eq!(codes(&id), vec!["ID_SEX_MISMATCH"]);

        let id = normalize(&RawIdentity {
            id_number: Some(&male),
            ..RawIdentity::default()
        });
        assert_eq!(id.sex, Some(Sex::Male));
    }

    #[test]
    fn an_age_one_year_higher_is_the_traditional_reckoning() {
        // Born 1990-03-07; on 2020-01-28 they are 29.
        let number = valid("42010219900307123");
        for (age, ok) in [
            ("29", true),
            ("30岁", true),
            ("29周岁", true),
            ("31", false),
            ("27", false),
        ] {
            let id = normalize(&RawIdentity {
                id_number: Some(&number),
                age: Some(age),
                ..RawIdentity::default()
            });
            assert_eq!(!codes(&id).contains(&"ID_AGE_MISMATCH"), ok, "{age}");
        }
    }

    #[test]
    fn birth_date_comes_from_the_id_then_the_record_never_from_age() {
        let number = valid("42010219900307123");
        let id = normalize(&RawIdentity {
            id_number: Some(&number),
            birth_date: Some("1990-03-08"),
            ..RawIdentity::default()
        });
        assert_eq!(id.birth_date, Some(date(1990, 3, 7)));
        assert!(codes(&id).contains(&"BIRTH_DATE_MISMATCH"));

        let id = normalize(&RawIdentity {
            birth_date: Some("1990年3月8日"),
            ..RawIdentity::default()
        });
        assert_eq!(id.birth_date, Some(date(1990, 3, 8)));

        let id = normalize(&RawIdentity {
            age: Some("45"),
            ..RawIdentity::default()
        });
        assert_eq!(id.birth_date, None);
    }

    #[test]
    fn a_current_location_outside_the_county_gives_the_jurisdiction() {
        let id = normalize(&RawIdentity {
            current_location: Some("湖北省武汉市江岸区XX路1号"),
            ..RawIdentity::default()
        });
        assert_eq!(id.in_county, Some(false));
        assert_eq!(id.jurisdiction_code.as_deref(), Some("420102"));
        assert_eq!(id.jurisdiction_name.as_deref(), Some("湖北省武汉市江岸区"));

        let id = normalize(&RawIdentity {
            address: Some("广东深圳南山区"),
            ..RawIdentity::default()
        });
        assert_eq!(id.jurisdiction_code.as_deref(), Some("440305"));

        let id = normalize(&RawIdentity {
            current_location: Some("孝感市"),
            ..RawIdentity::default()
        });
        assert_eq!(id.in_county, Some(false));
        assert_eq!(id.jurisdiction_code.as_deref(), Some("420900"));
    }

    #[test]
    fn a_township_record_is_in_the_county_unless_its_location_says_otherwise() {
        let id = normalize(&RawIdentity {
            township: Some("白石乡"),
            address: Some("湖北省武汉市江岸区"),
            ..RawIdentity::default()
        });
        assert_eq!(id.in_county, Some(true));

        let id = normalize(&RawIdentity {
            township: Some("白石乡"),
            current_location: Some("武汉江岸"),
            ..RawIdentity::default()
        });
        assert_eq!(id.in_county, Some(false));
        assert_eq!(id.jurisdiction_code.as_deref(), Some("420102"));
    }

    #[test]
    fn an_in_county_address_fills_township_and_village() {
        let id = normalize(&RawIdentity {
            address: Some("青溪县城关镇河口村5组"),
            ..RawIdentity::default()
        });
        assert_eq!(id.in_county, Some(true));
        assert_eq!(id.township.as_deref(), Some("城关镇"));
        assert_eq!(id.village.as_deref(), Some("河口村"));
    }

    #[test]
    fn unknown_places_are_flagged_and_left_open() {
        let id = normalize(&RawIdentity {
            township: Some("火星镇"),
            village: Some("月亮村"),
            current_location: Some("外地"),
            origin: Some("不知道"),
            ..RawIdentity::default()
        });
        assert_eq!(id.in_county, None);
        assert_eq!(id.township, None);
        let codes = codes(&id);
        for code in ["TOWNSHIP_UNKNOWN", "VILLAGE_UNKNOWN", "PLACE_UNRESOLVED"] {
            assert!(codes.contains(&code), "{code}: {codes:?}");
        }
    }

    #[test]
    fn origin_decides_the_wuhan_and_hubei_link() {
        for (origin, wuhan, hubei) in [
            ("武汉", Some(true), Some(true)),
            ("汉口", Some(true), Some(true)),
            ("湖北武汉市", Some(true), Some(true)),
            ("湖北孝感", Some(false), Some(true)),
            ("湖北", None, Some(true)),
            ("广东深圳", Some(false), Some(false)),
        ] {
            let id = normalize(&RawIdentity {
                origin: Some(origin),
                ..RawIdentity::default()
            });
            assert_eq!(
                (id.origin_wuhan, id.origin_hubei),
                (wuhan, hubei),
                "{origin}"
            );
        }
        // Without an origin the ID's region says nothing about travel.
        let number = valid("42010219900307123");
        let id = normalize(&RawIdentity {
            id_number: Some(&number),
            ..RawIdentity::default()
        });
        assert_eq!((id.origin_wuhan, id.origin_hubei), (None, None));
    }

    #[test]
    fn bad_cells_become_problems_not_values() {
        let id = normalize(&RawIdentity {
            name: Some("不详"),
            phone: Some("12345"),
            sex: Some("X"),
            age: Some("很老"),
            arrival_date: Some("2020-02-30"),
            ..RawIdentity::default()
        });
        assert_eq!(id.name, None);
        assert!(id.phones.is_empty());
        let codes = codes(&id);
        for code in [
            "NAME_PLACEHOLDER",
            "PHONE_INVALID",
            "SEX_INVALID",
            "AGE_INVALID",
            "DATE_INVALID",
        ] {
            assert!(codes.contains(&code), "{code}: {codes:?}");
        }
    }

    #[test]
    fn a_phone_in_the_notes_that_is_also_in_the_cell_is_kept_once() {
        let id = normalize(&RawIdentity {
            phone: Some("18958607910"),
            notes: vec!["本人电话189-5860-7910"],
            ..RawIdentity::default()
        });
        assert_eq!(id.phones.len(), 1);
        assert!(!id.phones[0].from_text);
        assert!(!codes(&id).contains(&"PHONE_FROM_TEXT"));
    }

    #[test]
    fn an_empty_record_gives_an_empty_identity() {
        assert_eq!(normalize(&RawIdentity::default()), Identity::default());
    }

    proptest! {
        #[test]
        fn no_record_makes_normalisation_panic(
            cells in prop::collection::vec(any::<String>(), 12),
        ) {
            let raw = RawIdentity {
                name: Some(&cells[0]),
                id_number: Some(&cells[1]),
                phone: Some(&cells[2]),
                sex: Some(&cells[3]),
                age: Some(&cells[4]),
                birth_date: Some(&cells[5]),
                township: Some(&cells[6]),
                village: Some(&cells[7]),
                address: Some(&cells[8]),
                current_location: Some(&cells[9]),
                origin: Some(&cells[10]),
                arrival_date: Some(&cells[11]),
                report_date: Some(&cells[11]),
                notes: vec![&cells[0], &cells[8]],
            };
            let _ = normalize(&raw);
        }
    }
}
