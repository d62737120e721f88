//! Phone numbers: digits only, country code stripped, mobiles validated by number segment,
//! landlines kept with their area code; several numbers per cell; numbers found in free text.

use serde::{Deserialize, Serialize};

use super::Problem;
use super::name::fold_width;

/// Mobile or fixed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PhoneKind {
    /// An 11-digit mobile number, `1[3-9]x xxxx xxxx`.
    Mobile,
    /// A fixed line: area code (`010`, `02x`, `0xxx`) and a 7–8 digit subscriber number, or the
    /// subscriber number alone when the cell had no area code.
    Landline,
}

impl PhoneKind {
    /// The stable wire form: `MOBILE` or `LANDLINE`.
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Mobile => "MOBILE",
            PhoneKind::Landline => "LANDLINE",
        }
    }
}

/// One normalised phone number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone {
    /// Digits only, no country code: `18958607910`, `03761234567`.
    pub number: String,
    /// Mobile or landline.
    pub kind: PhoneKind,
    /// True when found inside free text (a remark or note) rather than in the phone cell.
    pub from_text: bool,
}

/// Most space-separated digit groups one phone is written in (`+86 189 5860 7910`).
const MAX_GROUPS: usize = 5;
/// Longest digit string considered (`0086` + a 12-digit landline).
const MAX_DIGITS: usize = 16;

/// Reads a phone cell, which may hold several numbers.
///
/// Numbers are separated by `/`, `,`, `、`, `;`, words, or by spaces between *complete* numbers:
/// `189 5860 7910` is one phone, `18958607910 13912345678` two. `+86`, `0086` and `86` before a
/// mobile are stripped; dashes, dots and brackets inside a number are ignored. Digits that make
/// no phone give a `PHONE_INVALID` problem; a fixed line without area code is kept with a
/// `PHONE_NO_AREA_CODE` problem.
///
/// ```text
/// parse_phones("+86-189 5860 7910/0376-1234567")
///     -> [18958607910 (Mobile), 03761234567 (Landline)], no problems
/// parse_phones("1234")  -> [], [PHONE_INVALID]
/// ```
pub fn parse_phones(cell: &str) -> (Vec<Phone>, Vec<Problem>) {
    let mut phones = Vec::new();
    let mut problems = Vec::new();
    scan(cell, false, &mut phones, &mut problems);
    (phones, problems)
}

/// Finds the phones written inside free text (a remark such as `其子电话13912345678，已联系`).
///
/// Only mobiles and landlines with an area code count (a bare 7–8 digit number in prose is more
/// likely an amount or a date); every phone is marked `from_text`.
///
/// ```text
/// extract_phones_from_text("2020年1月23日返乡，联系人电话：139 1234 5678")
///     -> [13912345678 (Mobile, from_text)]
/// ```
pub fn extract_phones_from_text(text: &str) -> Vec<Phone> {
    let mut phones = Vec::new();
    let mut problems = Vec::new();
    scan(text, true, &mut phones, &mut problems);
    phones
}

/// Normalises exactly one phone number (`+86 189-5860-7910` → `18958607910`); `None` when the
/// text is not one valid number.
pub fn normalize_phone(raw: &str) -> Option<Phone> {
    let mut digits = String::with_capacity(raw.len());
    for c in raw.chars().map(fold_width) {
        match c {
            '0'..='9' => digits.push(c),
            '+' if digits.is_empty() => digits.push(c),
            c if is_soft(c) => {}
            _ => return None,
        }
    }
    classify(&digits).map(|(number, kind)| Phone {
        number,
        kind,
        from_text: false,
    })
}

/// Characters that may sit inside one written number or between its groups.
fn is_soft(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '(' | ')' | '.' | '—' | '–' | '_' | '~' | '（' | '）'
        )
}

/// Splits `text` into segments (between hard separators) of digit groups (between soft ones)
/// and assembles the groups into phones.
fn scan(text: &str, from_text: bool, phones: &mut Vec<Phone>, problems: &mut Vec<Problem>) {
    let mut groups: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in text.chars().map(fold_width) {
        match c {
            '0'..='9' => current.push(c),
            '+' => {
                flush(&mut current, &mut groups);
                current.push('+');
            }
            c if is_soft(c) => flush(&mut current, &mut groups),
            _ => {
                flush(&mut current, &mut groups);
                assemble(&groups, from_text, phones, problems);
                groups.clear();
            }
        }
    }
    flush(&mut current, &mut groups);
    assemble(&groups, from_text, phones, problems);
}

fn flush(current: &mut String, groups: &mut Vec<String>) {
    if current.bytes().any(|b| b.is_ascii_digit()) {
        groups.push(std::mem::take(current));
    } else {
        current.clear();
    }
}

/// At each group, takes the longest run of up to [`MAX_GROUPS`] groups that forms a valid phone.
fn assemble(
    groups: &[String],
    from_text: bool,
    phones: &mut Vec<Phone>,
    problems: &mut Vec<Problem>,
) {
    let mut i = 0;
    let mut invalid_run = false;
    let mut joined = String::with_capacity(MAX_DIGITS + 1);
    while i < groups.len() {
        let mut best: Option<(usize, String, PhoneKind)> = None;
        joined.clear();
        for (k, group) in groups[i..].iter().take(MAX_GROUPS).enumerate() {
            if k > 0 && group.starts_with('+') {
                break;
            }
            joined.push_str(group);
            if joined.len() > MAX_DIGITS {
                break;
            }
            if let Some((number, kind)) = classify(&joined) {
                best = Some((k + 1, number, kind));
            }
        }
        match best {
            Some((used, number, kind)) => {
                if invalid_run {
                    push_invalid(from_text, problems);
                    invalid_run = false;
                }
                let local = kind == PhoneKind::Landline && !number.starts_with('0');
                if local && from_text {
                    // In prose a bare 7–8 digit number is rarely a phone.
                } else {
                    if local {
                        problems.push(Problem::new(
                            "PHONE_NO_AREA_CODE",
                            "phone",
                            "固定电话缺少区号，已按原号码保留",
                        ));
                    }
                    push_unique(phones, number, kind, from_text);
                }
                i += used;
            }
            None => {
                if let Some((a, b)) = split_two_mobiles(&groups[i]) {
                    push_unique(phones, a, PhoneKind::Mobile, from_text);
                    push_unique(phones, b, PhoneKind::Mobile, from_text);
                } else {
                    invalid_run = true;
                }
                i += 1;
                if groups[i - 1].starts_with('+') {
                    // A foreign number: its groups are not phones of ours either.
                    while i < groups.len() && !groups[i].starts_with('+') {
                        i += 1;
                    }
                }
            }
        }
    }
    if invalid_run {
        push_invalid(from_text, problems);
    }
}

fn push_invalid(from_text: bool, problems: &mut Vec<Problem>) {
    if !from_text {
        problems.push(Problem::new(
            "PHONE_INVALID",
            "phone",
            "电话号码无法识别（位数或号段不符）",
        ));
    }
}

fn push_unique(phones: &mut Vec<Phone>, number: String, kind: PhoneKind, from_text: bool) {
    if !phones.iter().any(|p| p.number == number) {
        phones.push(Phone {
            number,
            kind,
            from_text,
        });
    }
}

/// Two mobiles typed without any separator (`1895860791013912345678`).
fn split_two_mobiles(group: &str) -> Option<(String, String)> {
    if group.len() == 22 && is_mobile(&group[..11]) && is_mobile(&group[11..]) {
        Some((group[..11].to_owned(), group[11..].to_owned()))
    } else {
        None
    }
}

/// `digits` is ASCII digits with an optional leading `+`.
fn classify(digits: &str) -> Option<(String, PhoneKind)> {
    let (plus, mut n) = match digits.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, digits),
    };
    let mut had_country_code = false;
    if plus {
        // Only Chinese numbers are screened here.
        n = n.strip_prefix("86")?;
        had_country_code = true;
    } else if let Some(rest) = n.strip_prefix("0086") {
        n = rest;
        had_country_code = true;
    } else if n.len() == 13 && n.starts_with("861") && is_mobile(&n[2..]) {
        n = &n[2..];
        had_country_code = true;
    }
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if is_mobile(n) {
        return Some((n.to_owned(), PhoneKind::Mobile));
    }
    // `0` + mobile, as some dial a mobile from another city.
    if n.len() == 12 && n.starts_with("01") && is_mobile(&n[1..]) {
        return Some((n[1..].to_owned(), PhoneKind::Mobile));
    }
    if had_country_code && !n.starts_with('0') {
        // +86 376 1234567: the trunk prefix 0 is dropped after a country code.
        let with_zero = format!("0{n}");
        return is_landline_with_area(&with_zero).then_some((with_zero, PhoneKind::Landline));
    }
    if is_landline_with_area(n) {
        return Some((n.to_owned(), PhoneKind::Landline));
    }
    if !had_country_code && is_local(n) {
        return Some((n.to_owned(), PhoneKind::Landline));
    }
    None
}

fn is_mobile(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

fn is_landline_with_area(n: &str) -> bool {
    let b = n.as_bytes();
    if b.len() < 10 || b[0] != b'0' {
        return false;
    }
    let area_len = match (b[1], b[2]) {
        (b'1', b'0') | (b'2', _) => 3,
        (b'3'..=b'9', _) => 4,
        _ => return false,
    };
    let subscriber = &b[area_len..];
    (7..=8).contains(&subscriber.len()) && subscriber[0] != b'0'
}

fn is_local(n: &str) -> bool {
    let b = n.as_bytes();
    (7..=8).contains(&b.len()) && (b'2'..=b'9').contains(&b[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn numbers(cell: &str) -> Vec<String> {
        parse_phones(cell).0.into_iter().map(|p| p.number).collect()
    }

    fn codes(cell: &str) -> Vec<String> {
        parse_phones(cell)
            .1
            .into_iter()
            .map(|p| p.code.into_owned())
            .collect()
    }

    #[test]
    fn a_mobile_written_in_any_usual_way_becomes_eleven_digits() {
        for cell in [
            "18958607910",
            "189 5860 7910",
            "189-5860-7910",
            "+86 189 5860 7910",
            "+86-18958607910",
            "+8618958607910",
            "0086 18958607910",
            "8618958607910",
            "１８９５８６０７９１０",
            " 18958607910 ",
            "018958607910",
            "(+86)189.5860.7910",
        ] {
            let (phones, problems) = parse_phones(cell);
            assert_eq!(
                phones,
                vec![Phone {
                    number: "18958607910".into(),
                    kind: PhoneKind::Mobile,
                    from_text: false
                }],
                "{cell:?}"
            );
            assert!(problems.is_empty(), "{cell:?}: {problems:?}");
        }
    }

    #[test]
    fn every_mobile_segment_from_13_to_19_is_accepted() {
        for prefix in ["13", "14", "15", "16", "17", "18", "19"] {
            let number = format!("{prefix}912345678");
            assert_eq!(numbers(&number), vec![number.clone()]);
        }
    }

    #[test]
    fn eleven_digits_outside_the_mobile_segments_are_invalid() {
        for cell in ["12912345678", "10912345678", "11912345678"] {
            assert!(numbers(cell).is_empty(), "{cell}");
            assert_eq!(codes(cell), vec!["PHONE_INVALID"], "{cell}");
        }
    }

    #[test]
    fn landlines_keep_their_area_code() {
        let cases = [
            ("0376-1234567", "03761234567"),
            ("0376 12345678", "037612345678"),
            ("(0376)1234567", "03761234567"),
            ("010-62345678", "01062345678"),
            ("027-85551234", "02785551234"),
            ("+86 376 1234567", "03761234567"),
        ];
        for (cell, expected) in cases {
            let (phones, problems) = parse_phones(cell);
            assert_eq!(phones.len(), 1, "{cell}");
            assert_eq!(phones[0].number, expected, "{cell}");
            assert_eq!(phones[0].kind, PhoneKind::Landline, "{cell}");
            assert!(problems.is_empty(), "{cell}");
        }
    }

    #[test]
    fn a_landline_without_area_code_is_kept_and_flagged() {
        let (phones, problems) = parse_phones("6234567");
        assert_eq!(phones[0].number, "6234567");
        assert_eq!(phones[0].kind, PhoneKind::Landline);
        assert_eq!(problems[0].code, "PHONE_NO_AREA_CODE");
    }

    #[test]
    fn several_phones_in_one_cell_are_all_found() {
        let expected = vec!["18958607910".to_owned(), "13912345678".to_owned()];
        for cell in [
            "18958607910/13912345678",
            "18958607910,13912345678",
            "18958607910，13912345678",
            "18958607910、13912345678",
            "18958607910;13912345678",
            "18958607910 13912345678",
            "189 5860 7910 139 1234 5678",
            "本人18958607910 家属13912345678",
            "1895860791013912345678",
            "18958607910-13912345678",
        ] {
            assert_eq!(numbers(cell), expected, "{cell:?}");
            assert!(codes(cell).is_empty(), "{cell:?}");
        }
        assert_eq!(
            numbers("18958607910/0376-1234567"),
            vec!["18958607910".to_owned(), "03761234567".to_owned()]
        );
    }

    #[test]
    fn the_same_phone_twice_in_a_cell_is_kept_once() {
        assert_eq!(
            numbers("18958607910/189 5860 7910"),
            vec!["18958607910".to_owned()]
        );
    }

    #[test]
    fn digits_that_make_no_phone_are_reported_without_the_digits() {
        let (phones, problems) = parse_phones("1895860791/13912345678");
        assert_eq!(phones.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "PHONE_INVALID");
        assert!(!problems[0].message.contains("1895860791"));
        assert_eq!(codes("+1 202 555 0100"), vec!["PHONE_INVALID"]);
    }

    #[test]
    fn cells_without_digits_give_nothing_and_no_problem() {
        for cell in ["", "无", "-", "不详", "  "] {
            assert_eq!(parse_phones(cell), (vec![], vec![]), "{cell:?}");
        }
    }

    #[test]
    fn phones_inside_free_text_are_found_and_marked() {
        let phones = extract_phones_from_text(
            "2020年1月23日从武汉返乡，体温36.5，其子电话139 1234 5678，座机0376-1234567",
        );
        let found: Vec<_> = phones
            .iter()
            .map(|p| (p.number.as_str(), p.from_text))
            .collect();
        assert_eq!(found, vec![("13912345678", true), ("03761234567", true)]);
    }

    #[test]
    fn free_text_numbers_that_are_not_phones_are_ignored() {
        for text in [
            "身份证420102199001011234",
            "2020-01-23返乡",
            "金额1234567元",
            "车次G1234，座位05车12F",
        ] {
            assert!(extract_phones_from_text(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn normalize_phone_accepts_exactly_one_number() {
        assert_eq!(
            normalize_phone("+86 189-5860-7910").map(|p| p.number),
            Some("18958607910".to_owned())
        );
        assert_eq!(normalize_phone("18958607910/13912345678"), None);
        assert_eq!(normalize_phone("abc"), None);
    }

    proptest! {
        #[test]
        fn parsing_a_normalised_phone_again_changes_nothing(cell in "[0-9 +/,-]{0,30}") {
            let (once, _) = parse_phones(&cell);
            for phone in once {
                let (twice, problems) = parse_phones(&phone.number);
                prop_assert_eq!(twice.len(), 1);
                prop_assert_eq!(&twice[0].number, &phone.number);
                prop_assert_eq!(twice[0].kind, phone.kind);
                prop_assert!(problems.iter().all(|p| p.code != "PHONE_INVALID"));
            }
        }

        #[test]
        fn any_mobile_survives_formatting_noise(
            second in 3u8..=9,
            rest in "[0-9]{9}",
            prefix in prop::sample::select(vec!["", "+86", "+86 ", "0086", "86", "+86-"]),
            split in prop::bool::ANY,
        ) {
            let number = format!("1{second}{rest}");
            let body = if split {
                format!("{} {} {}", &number[..3], &number[3..7], &number[7..])
            } else {
                number.clone()
            };
            let (phones, problems) = parse_phones(&format!("{prefix}{body}"));
            prop_assert_eq!(phones.len(), 1);
            prop_assert_eq!(&phones[0].number, &number);
            prop_assert!(problems.is_empty());
        }

        #[test]
        fn no_input_makes_the_phone_parsers_panic(raw in any::<String>()) {
            let _ = parse_phones(&raw);
            let _ = extract_phones_from_text(&raw);
            let _ = normalize_phone(&raw);
        }
    }
}
