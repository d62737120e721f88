//! Resident identity card numbers (居民身份证号码, GB 11643): cleaning, check digit
//! (ISO 7064 MOD 11-2), 15 → 18 digit upgrade, decoding, masked numbers and near misses.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::name::fold_width;
use super::{Divisions, Problem, Sex};

/// What kind of ID number a cell held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdClass {
    /// 18 characters, check digit right, birth date real.
    Valid,
    /// 18 characters whose check digit does not match: a typo somewhere; see the candidates.
    ChecksumFailed,
    /// Partly hidden (`420102********1234`): a partial key from the known prefix and suffix.
    Masked,
    /// Anything else: wrong length, letters, impossible birth date.
    Malformed,
}

impl IdClass {
    /// The stable wire form: `VALID`, `CHECKSUM_FAILED`, `MASKED` or `MALFORMED`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdClass::Valid => "VALID",
            IdClass::ChecksumFailed => "CHECKSUM_FAILED",
            IdClass::Masked => "MASKED",
            IdClass::Malformed => "MALFORMED",
        }
    }
}

/// An ID number after cleaning and decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedId {
    /// Half-width, without spaces or dashes, `X` upper-case; 15-digit numbers upgraded to 18;
    /// masked numbers as 18 characters with `*` for every hidden one (when they can be aligned).
    pub normalized: String,
    /// Valid, checksum failed, masked or malformed.
    pub class: IdClass,
    /// The birth date encoded in positions 7–14, when those digits are known and form a real
    /// date (also decoded for a checksum failure, where it is likely but not certain).
    pub birth_date: Option<NaiveDate>,
    /// The sex encoded by the 17th digit, when known.
    pub sex: Option<Sex>,
    /// The 6-digit region code of issue (first six digits), when known.
    pub region_code: Option<String>,
    /// True when `region_code` is in the national division table.
    pub region_known: bool,
    /// For a masked number: the digits before the first `*`.
    pub masked_prefix: Option<String>,
    /// For a masked number: the digits (and `X`) after the last `*`.
    pub masked_suffix: Option<String>,
    /// For a checksum failure: the valid numbers one edit away (one digit changed, or two
    /// adjacent characters swapped), each with a real birth date; sorted.
    pub candidates: Vec<String>,
    /// True when the cell held a 15-digit number (birth years 19xx) upgraded to 18 digits.
    pub upgraded_from_15: bool,
    /// True when the birth-date digits are all known but form no real date (or one before
    /// 1900 / after 2030).
    pub birth_date_invalid: bool,
}

/// Weights of the first 17 digits (2^(17-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of the weighted sum mod 11.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";
/// Birth years outside this range make the number implausible.
const BIRTH_YEARS: std::ops::RangeInclusive<i32> = 1900..=2030;

/// The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits; `None` unless
/// `first17` is exactly 17 ASCII digits.
///
/// ```text
/// check_digit("11010519491231002") == Some('X')
/// ```
pub fn check_digit(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(CHECK_CHARS[(sum % 11) as usize]))
}

/// Cleans, classifies and decodes an ID number cell; `None` for an empty or white-space cell.
///
/// Cleaning folds full-width characters, removes white space, dashes and a leading `'` (Excel's
/// text marker), and upper-cases `x`. `*`, `＊` and `×` are masks; a single `×` in last place
/// after 17 digits is read as `X`. A region code missing from `divisions` is only noted
/// (`region_known == false`): old codes are common on real cards.
///
/// ```text
/// parse_id_number("420102 19900101 123x", &d) -> class Valid or ChecksumFailed, "…123X"
/// parse_id_number("420102********1234", &d)   -> Masked, prefix "420102", suffix "1234"
/// parse_id_number("420102900101123", &d)      -> 18 digits, upgraded_from_15
/// ```
pub fn parse_id_number(raw: &str, divisions: &Divisions) -> Option<ParsedId> {
    let cleaned = clean(raw);
    if cleaned.is_empty() {
        return None;
    }
    let bytes = cleaned.as_bytes();
    let mut parsed = ParsedId {
        normalized: String::new(),
        class: IdClass::Malformed,
        birth_date: None,
        sex: None,
        region_code: None,
        region_known: false,
        masked_prefix: None,
        masked_suffix: None,
        candidates: Vec::new(),
        upgraded_from_15: false,
        birth_date_invalid: false,
    };

    if bytes.contains(&b'*') {
        parse_masked(&cleaned, &mut parsed);
    } else if bytes.len() == 15 && bytes.iter().all(u8::is_ascii_digit) {
        let mut first17 = String::with_capacity(18);
        first17.push_str(&cleaned[..6]);
        first17.push_str("19");
        first17.push_str(&cleaned[6..]);
        if let Some(check) = check_digit(&first17) {
            first17.push(check);
        }
        parsed.normalized = first17;
        parsed.upgraded_from_15 = true;
        decode_full(&mut parsed);
        parsed.class = if parsed.birth_date_invalid {
            IdClass::Malformed
        } else {
            IdClass::Valid
        };
    } else if is_full_shape(bytes) {
        parsed.normalized = cleaned;
        decode_full(&mut parsed);
        let checksum_ok = check_digit(&parsed.normalized[..17])
            .is_some_and(|c| c as u8 == parsed.normalized.as_bytes()[17]);
        parsed.class = if !checksum_ok {
            parsed.candidates = near_misses(&parsed.normalized);
            IdClass::ChecksumFailed
        } else if parsed.birth_date_invalid {
            IdClass::Malformed
        } else {
            IdClass::Valid
        };
    } else {
        parsed.normalized = cleaned;
    }

    if let Some(code) = &parsed.region_code {
        parsed.region_known = divisions.get(code).is_some();
    }
    Some(parsed)
}

impl ParsedId {
    /// The problems this number gives a record: `ID_CHECKSUM_FAILED`, `ID_MASKED`,
    /// `ID_MALFORMED`, `ID_BIRTH_DATE_INVALID`, `ID_REGION_UNKNOWN`, `ID_UPGRADED_FROM_15`.
    /// Messages never contain the number.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let field = "id_number";
        match self.class {
            IdClass::Valid => {}
            IdClass::ChecksumFailed => problems.push(Problem::new(
                "ID_CHECKSUM_FAILED",
                field,
                format!(
                    "身份证号校验位不符，可能有录入错误；一处改动即有效的号码 {} 个",
                    self.candidates.len()
                ),
            )),
            IdClass::Masked => problems.push(Problem::new(
                "ID_MASKED",
                field,
                "身份证号部分隐去，仅保留已知的前后位用于比对",
            )),
            IdClass::Malformed => problems.push(Problem::new(
                "ID_MALFORMED",
                field,
                if self.birth_date_invalid {
                    "身份证号中的出生日期不存在或不合理"
                } else {
                    "身份证号位数或字符不符合规范"
                },
            )),
        }
        if self.birth_date_invalid && self.class != IdClass::Malformed {
            problems.push(Problem::new(
                "ID_BIRTH_DATE_INVALID",
                field,
                "身份证号中的出生日期不存在或不合理",
            ));
        }
        if self.region_code.is_some() && !self.region_known {
            problems.push(Problem::new(
                "ID_REGION_UNKNOWN",
                field,
                "身份证号前六位地区码不在现行行政区划表中（可能为旧代码）",
            ));
        }
        if self.upgraded_from_15 {
            problems.push(Problem::new(
                "ID_UPGRADED_FROM_15",
                field,
                "15位身份证号已按规则升为18位",
            ));
        }
        problems
    }
}

fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars().map(fold_width) {
        match c {
            c if c.is_whitespace() => {}
            '-' | '—' | '–' | '－' | '\'' | '‘' | '’' | '`' => {}
            'x' | 'X' => out.push('X'),
            '*' | '×' | '✕' | '﹡' => out.push(if c == '×' { '×' } else { '*' }),
            c => out.push(c),
        }
    }
    // 17 digits and a final `×`: a typed `X`, not a mask.
    if let Some(head) = out.strip_suffix('×')
        && head.len() == 17
        && head.bytes().all(|b| b.is_ascii_digit())
    {
        let mut fixed = head.to_owned();
        fixed.push('X');
        return fixed;
    }
    if out.contains('×') {
        out = out.replace('×', "*");
    }
    out
}

/// 17 digits then a digit or `X`.
fn is_full_shape(bytes: &[u8]) -> bool {
    bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X')
}

/// Decodes region, birth date and sex of an 18-character number (digits or `*`).
fn decode_full(parsed: &mut ParsedId) {
    let b = parsed.normalized.as_bytes();
    if b.len() != 18 {
        return;
    }
    if b[..6].iter().all(u8::is_ascii_digit) {
        parsed.region_code = Some(parsed.normalized[..6].to_owned());
    }
    if b[6..14].iter().all(u8::is_ascii_digit) {
        match birth_date_of(&b[6..14]) {
            Some(date) => parsed.birth_date = Some(date),
            None => parsed.birth_date_invalid = true,
        }
    }
    if b[16].is_ascii_digit() {
        parsed.sex = Some(Sex::from_id_digit(b[16] - b'0'));
    }
}

/// `yyyymmdd` digits → a real, plausible date.
fn birth_date_of(digits: &[u8]) -> Option<NaiveDate> {
    let n = |r: std::ops::Range<usize>| {
        digits[r]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let year = n(0..4) as i32;
    let date = NaiveDate::from_ymd_opt(year, n(4..6), n(6..8))?;
    BIRTH_YEARS.contains(&date.year()).then_some(date)
}

fn parse_masked(cleaned: &str, parsed: &mut ParsedId) {
    let b = cleaned.as_bytes();
    let allowed = b
        .iter()
        .enumerate()
        .all(|(i, &c)| c.is_ascii_digit() || c == b'*' || (c == b'X' && i + 1 == b.len()));
    let known = b.iter().filter(|c| **c != b'*').count();
    if !allowed || known == 0 {
        parsed.normalized = cleaned.to_owned();
        parsed.class = IdClass::Malformed;
        return;
    }
    let prefix_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let suffix_len = b.iter().rev().take_while(|c| **c != b'*').count();

    let aligned = if b.len() == 18 {
        Some(cleaned.to_owned())
    } else if b.len() == 15 && !cleaned.ends_with('X') {
        // A masked 15-digit number (which has no check character): insert the century when
        // the year digits are known.
        let century = if b[6..8].iter().all(u8::is_ascii_digit) {
            "19"
        } else {
            "**"
        };
        Some(format!("{}{}{}*", &cleaned[..6], century, &cleaned[6..]))
    } else if prefix_len + suffix_len <= 17 && known == prefix_len + suffix_len {
        // Longer or shorter masks: the hidden run stands for whatever is missing (only when no
        // digit sits between two masks, which could not be placed).
        let stars = 18 - prefix_len - suffix_len;
        Some(format!(
            "{}{}{}",
            &cleaned[..prefix_len],
            "*".repeat(stars),
            &cleaned[b.len() - suffix_len..]
        ))
    } else {
        None
    };
    match aligned {
        Some(normalized) => {
            let nb = normalized.as_bytes();
            let p = nb.iter().take_while(|c| c.is_ascii_digit()).count();
            let s = nb.iter().rev().take_while(|c| **c != b'*').count();
            parsed.masked_prefix = (p > 0).then(|| normalized[..p].to_owned());
            parsed.masked_suffix = (s > 0).then(|| normalized[nb.len() - s..].to_owned());
            parsed.normalized = normalized;
            parsed.class = IdClass::Masked;
            decode_full(parsed);
        }
        None => {
            parsed.normalized = cleaned.to_owned();
            parsed.class = IdClass::Malformed;
        }
    }
}

/// The valid numbers one edit away from `number` (18 characters, checksum failing): one
/// character changed, or two adjacent characters swapped; each with a plausible birth date.
fn near_misses(number: &str) -> Vec<String> {
    let original: [u8; 18] = match number.as_bytes().try_into() {
        Ok(bytes) => bytes,
        Err(_) => return Vec::new(),
    };
    let mut found: Vec<[u8; 18]> = Vec::new();
    let mut consider = |candidate: [u8; 18]| {
        if candidate != original && passes(&candidate) && !found.contains(&candidate) {
            found.push(candidate);
        }
    };
    // One wrong character: for each of the first 17 positions at most one digit fits.
    for i in 0..17 {
        for d in b'0'..=b'9' {
            if d != original[i] {
                let mut c = original;
                c[i] = d;
                consider(c);
            }
        }
    }
    // A wrong check character.
    let mut c = original;
    if let Some(check) = std::str::from_utf8(&original[..17])
        .ok()
        .and_then(check_digit)
    {
        c[17] = check as u8;
        consider(c);
    }
    // Two adjacent characters swapped.
    for i in 0..17 {
        if original[i] != original[i + 1] {
            let mut c = original;
            c.swap(i, i + 1);
            consider(c);
        }
    }
    let mut out: Vec<String> = found
        .into_iter()
        .filter_map(|c| String::from_utf8(c.to_vec()).ok())
        .collect();
    out.sort_unstable();
    out
}

fn passes(candidate: &[u8; 18]) -> bool {
    // The checksum first: it is cheap and rejects ten candidates in eleven.
    is_full_shape(candidate)
        && std::str::from_utf8(&candidate[..17])
            .ok()
            .and_then(check_digit)
            .is_some_and(|c| c as u8 == candidate[17])
        && birth_date_of(&candidate[6..14]).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn divisions() -> &'static Divisions {
        Divisions::embedded()
    }

    /// A valid number built from its first 17 digits with our own check digit.
    fn valid(first17: &str) -> String {
        match check_digit(first17) {
            Some(c) => format!("{first17}{c}"),
            None => panic!("bad test digits {first17}"),
        }
    }

    fn parse(raw: &str) -> ParsedId {
        match parse_id_number(raw, divisions()) {
            Some(p) => p,
            None => panic!("{raw:?} should parse"),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        match NaiveDate::from_ymd_opt(y, m, d) {
            Some(date) => date,
            None => panic!("bad test date"),
        }
    }

    #[test]
    fn the_check_digit_follows_iso_7064_mod_11_2() {
        // The standard's own example (GB 11643-1999 appendix).
        assert_eq!(check_digit("11010519491231002"), Some('X'));
        // 4·7+4·9+0·10+5·5+2·8+4·4+1·2+9·1+8·6+0·3+0·7+1·9+0·10+1·5+0·8+0·4+1·2 = 196;
        // 196 mod 11 = 9 → '3'.
        assert_eq!(check_digit("44052419800101001"), Some('3'));
        assert_eq!(check_digit("1101051949123100"), None);
        assert_eq!(check_digit("1101051949123100A"), None);
    }

    #[test]
    fn a_valid_number_is_decoded() {
        let number = valid("42010219900307123");
        let p = parse(&number);
        assert_eq!(p.class, IdClass::Valid);
        assert_eq!(p.normalized, number);
        assert_eq!(p.birth_date, Some(date(1990, 3, 7)));
        assert_eq!(p.sex, Some(Sex::Male));
        assert_eq!(p.region_code.as_deref(), Some("420102"));
        assert!(p.region_known);
        assert!(p.candidates.is_empty());
        assert!(p.problems().is_empty());
    }

    #[test]
    fn an_even_seventeenth_digit_is_female() {
        let p = parse(&valid("42098119850815004"));
        assert_eq!(p.sex, Some(Sex::Female));
    }

    #[test]
    fn formatting_noise_is_cleaned() {
        let number = valid("42010219900307123");
        let spaced = format!("{} {} {}", &number[..6], &number[6..14], &number[14..]);
        let dashed = format!("{}-{}-{}", &number[..6], &number[6..14], &number[14..]);
        let full_width: String = number
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
            .collect();
        for raw in [
            spaced,
            dashed,
            full_width,
            format!("'{number}"),
            format!(" {number}\t"),
        ] {
            assert_eq!(parse(&raw).normalized, number, "{raw:?}");
            assert_eq!(parse(&raw).class, IdClass::Valid, "{raw:?}");
        }
    }

    #[test]
    fn a_lower_case_x_or_a_times_sign_as_check_character_is_an_upper_case_x() {
        let number = valid("11010519491231002");
        assert!(number.ends_with('X'));
        let lower = number.replace('X', "x");
        let times = number.replace('X', "×");
        assert_eq!(parse(&lower).normalized, number);
        assert_eq!(parse(&times).normalized, number);
        assert_eq!(parse(&times).class, IdClass::Valid);
    }

    #[test]
    fn a_fifteen_digit_number_is_upgraded_to_eighteen() {
        let p = parse("420102900307123");
        assert_eq!(p.class, IdClass::Valid);
        assert!(p.upgraded_from_15);
        assert_eq!(p.normalized, valid("42010219900307123"));
        assert_eq!(p.birth_date, Some(date(1990, 3, 7)));
        assert_eq!(p.sex, Some(Sex::Male));
        let codes: Vec<_> = p.problems().into_iter().map(|p| p.code).collect();
        assert_eq!(codes, vec!["ID_UPGRADED_FROM_15"]);
    }

    #[test]
    fn masked_numbers_keep_their_known_prefix_and_suffix() {
        let cases = [
            (
                "420102********1234",
                "420102********1234",
                Some("420102"),
                Some("1234"),
            ),
            (
                "4213**********9719",
                "4213**********9719",
                Some("4213"),
                Some("9719"),
            ),
            (
                "4201**********123X",
                "4201**********123X",
                Some("4201"),
                Some("123X"),
            ),
            (
                "420102****1234",
                "420102********1234",
                Some("420102"),
                Some("1234"),
            ),
            (
                "420102**************1234",
                "420102********1234",
                Some("420102"),
                Some("1234"),
            ),
            (
                "420102×××××××××××1234",
                "420102********1234",
                Some("420102"),
                Some("1234"),
            ),
            (
                "**************1234",
                "**************1234",
                None,
                Some("1234"),
            ),
            (
                "420102199001011***",
                "420102199001011***",
                Some("420102199001011"),
                None,
            ),
        ];
        for (raw, normalized, prefix, suffix) in cases {
            let p = parse(raw);
            assert_eq!(p.class, IdClass::Masked, "{raw}");
            assert_eq!(p.normalized, normalized, "{raw}");
            assert_eq!(p.masked_prefix.as_deref(), prefix, "{raw}");
            assert_eq!(p.masked_suffix.as_deref(), suffix, "{raw}");
        }
    }

    #[test]
    fn a_masked_number_with_digits_between_masks_of_the_wrong_length_is_malformed() {
        // The visible middle digit could not be put in its place.
        assert_eq!(parse("×0*").class, IdClass::Malformed);
        assert_eq!(parse("4201**1990**1234").class, IdClass::Malformed);
        assert_eq!(parse("4201**19900101**34").class, IdClass::Masked);
        assert_eq!(
            parse("4201**19900101**34").birth_date,
            NaiveDate::from_ymd_opt(1990, 1, 1)
        );
    }

    #[test]
    fn a_masked_number_decodes_what_is_still_visible() {
        let p = parse("420102199001011***");
        assert_eq!(p.region_code.as_deref(), Some("420102"));
        assert_eq!(p.birth_date, Some(date(1990, 1, 1)));
        assert_eq!(p.sex, None);
        let p = parse("4213**********9719");
        assert_eq!(p.region_code, None);
        assert_eq!(p.birth_date, None);
        assert_eq!(p.sex, Some(Sex::Male));
    }

    #[test]
    fn a_wrong_check_digit_fails_and_offers_the_near_misses() {
        let number = valid("42010219900307123");
        let mut typo = number.clone().into_bytes();
        typo[10] = if typo[10] == b'5' { b'6' } else { b'5' };
        let typo = String::from_utf8(typo).unwrap_or_default();
        let p = parse(&typo);
        assert_eq!(p.class, IdClass::ChecksumFailed);
        assert!(p.candidates.contains(&number), "{:?}", p.candidates);
        for candidate in &p.candidates {
            assert_eq!(parse(candidate).class, IdClass::Valid);
        }
        assert_eq!(p.problems()[0].code, "ID_CHECKSUM_FAILED");
        assert!(!p.problems()[0].message.contains(&typo));
    }

    #[test]
    fn an_impossible_birth_date_makes_a_number_malformed() {
        let p = parse(&valid("42010219900230123"));
        assert_eq!(p.class, IdClass::Malformed);
        assert!(p.birth_date_invalid);
        assert_eq!(p.birth_date, None);
        assert_eq!(p.problems()[0].code, "ID_MALFORMED");
    }

    #[test]
    fn an_unknown_region_is_a_flag_not_a_rejection() {
        // 422201: the former 孝感地区 code, gone from today's table but on many old cards.
        let p = parse(&valid("42220119700101123"));
        assert_eq!(p.class, IdClass::Valid);
        assert!(!p.region_known);
        let codes: Vec<_> = p.problems().into_iter().map(|p| p.code).collect();
        assert_eq!(codes, vec!["ID_REGION_UNKNOWN"]);
    }

    #[test]
    fn wrong_lengths_and_letters_are_malformed() {
        for raw in [
            "4201021990",
            "42010219900307123",
            "4201021990030712345",
            "42010A199003071234",
            "身份证",
        ] {
            assert_eq!(parse(raw).class, IdClass::Malformed, "{raw}");
        }
        assert_eq!(parse_id_number("   ", divisions()), None);
        assert_eq!(parse_id_number("", divisions()), None);
    }

    #[test]
    fn id_class_has_stable_wire_names() {
        assert_eq!(IdClass::Valid.as_str(), "VALID");
        assert_eq!(IdClass::ChecksumFailed.as_str(), "CHECKSUM_FAILED");
        assert_eq!(IdClass::Masked.as_str(), "MASKED");
        assert_eq!(IdClass::Malformed.as_str(), "MALFORMED");
        assert_eq!(
            serde_json::to_string(&IdClass::ChecksumFailed)
                .ok()
                .as_deref(),
            Some("\"CHECKSUM_FAILED\"")
        );
    }

    fn arb_valid() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec![
                "420102", "420106", "110105", "440305", "411502", "422201",
            ]),
            0i64..40_000,
            0u32..1000,
        )
            .prop_map(|(region, days, seq)| {
                let birth = date(1920, 1, 1) + chrono::Duration::days(days);
                valid(&format!("{region}{}{seq:03}", birth.format("%Y%m%d")))
            })
    }

    proptest! {
        #[test]
        fn any_valid_number_survives_formatting_noise(
            number in arb_valid(),
            cuts in prop::collection::vec(0usize..18, 0..4),
            separator in prop::sample::select(vec![" ", "-", "\u{3000}", " - "]),
            full_width in prop::bool::ANY,
        ) {
            let mut noisy = String::new();
            for (i, c) in number.chars().enumerate() {
                if cuts.contains(&i) {
                    noisy.push_str(separator);
                }
                let c = if c == 'X' { 'x' } else { c };
                noisy.push(if full_width { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c });
            }
            let p = parse(&noisy);
            prop_assert_eq!(p.class, IdClass::Valid);
            prop_assert_eq!(p.normalized, number);
        }

        #[test]
        fn a_single_wrong_digit_is_detected_and_the_true_number_is_a_candidate(
            number in arb_valid(),
            position in 0usize..18,
            delta in 1u8..10,
        ) {
            let mut bytes = number.clone().into_bytes();
            let old = if bytes[position] == b'X' { 10 } else { bytes[position] - b'0' };
            let new = (old + delta) % 10;
            bytes[position] = b'0' + new;
            prop_assume!(bytes != number.as_bytes());
            let typo = String::from_utf8(bytes).unwrap_or_default();
            let p = parse(&typo);
            // MOD 11-2 detects every single substitution.
            prop_assert_eq!(p.class, IdClass::ChecksumFailed);
            prop_assert!(p.candidates.contains(&number));
        }

        #[test]
        fn an_adjacent_transposition_is_detected_and_undone(number in arb_valid(), position in 0usize..17) {
            let mut bytes = number.clone().into_bytes();
            bytes.swap(position, position + 1);
            prop_assume!(bytes != number.as_bytes());
            let swapped = String::from_utf8(bytes).unwrap_or_default();
            let p = parse(&swapped);
            prop_assert!(
                p.class == IdClass::ChecksumFailed || p.class == IdClass::Malformed,
                "{:?}", p.class
            );
            if p.class == IdClass::ChecksumFailed {
                prop_assert!(p.candidates.contains(&number));
            }
        }

        #[test]
        fn normalising_an_id_twice_changes_nothing(raw in "[0-9xX*× -]{0,22}") {
            normalising_twice_changes_nothing(&raw)?;
        }

        #[test]
        fn no_input_makes_parse_id_number_panic(raw in any::<String>()) {
            let _ = parse_id_number(&raw, divisions());
        }
    }

    fn normalising_twice_changes_nothing(raw: &str) -> Result<(), TestCaseError> {
        if let Some(once) = parse_id_number(raw, divisions()) {
            let twice = parse(&once.normalized);
            prop_assert_eq!(&twice.normalized, &once.normalized);
            if !once.upgraded_from_15 {
                prop_assert_eq!(twice.class, once.class);
            }
        }
        Ok(())
    }

    #[test]
    fn a_15_character_mask_ending_in_x_is_no_15_digit_number() {
        // Found by the property above: taken for a masked 15-digit number, its X landed
        // inside the 18-character form, which then read as malformed.
        let raw = "××0××**00*0×**x";
        assert_eq!(parse(raw).class, IdClass::Malformed);
        normalising_twice_changes_nothing(raw).expect("stable");
    }
}
