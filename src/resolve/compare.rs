//! Field values as the engine sees them, and the comparisons that grade two values into levels.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// One field of one record, prepared for comparison.
///
/// A run holds ten or so of these for every record it resolves (a million records: ten
/// million values), so they are kept small (24 bytes a value instead of 80): texts of up to
/// 24 bytes (dates, places, phones, ID numbers) held inline and longer ones boxed without
/// spare capacity, the ID number, the largest, behind a pointer, and a name's two forms in one
/// boxed string (an inline one would leave no spare byte for the variant's tag).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum FieldValue {
    /// No value: the comparison is skipped (it weighs nothing either way).
    #[default]
    Missing,
    /// A single text value.
    Text(CompactString),
    /// Several values of which any may agree (phones).
    Set(Box<[CompactString]>),
    /// A person name: Simplified form and toneless pinyin.
    Name(NameValue),
    /// An ID number.
    Id(Box<IdValue>),
}

// The size the comment above promises: the variants share the inline string's spare byte
// for their tag.
const _: () = assert!(std::mem::size_of::<FieldValue>() == 24);

/// An ID number as the engine compares it: the full number when known, valid numbers one edit
/// away, or the known digits of a masked number (`*` elsewhere).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdValue {
    pub full: Option<CompactString>,
    pub valid: bool,
    pub candidates: Vec<String>,
    pub masked: Option<CompactString>,
}

/// A person name's Simplified form and its toneless pinyin, kept as one string (the name, a
/// separator, the pinyin): one allocation instead of two, and a smaller [`FieldValue`].
#[derive(Debug, Clone, PartialEq)]
pub struct NameValue(Box<str>);

/// Between a name and its pinyin: a character pinyin never holds (split from the right, so a
/// name holding it stays whole).
const NAME_PINYIN: char = '\u{1f}';

impl NameValue {
    /// The name `full` with its pinyin (empty when unknown).
    pub fn new(full: &str, pinyin: &str) -> Self {
        Self(format!("{full}{NAME_PINYIN}{pinyin}").into())
    }

    /// The Simplified form.
    pub fn full(&self) -> &str {
        self.0
            .rsplit_once(NAME_PINYIN)
            .map_or(&self.0, |(full, _)| full)
    }

    /// The toneless pinyin, empty when unknown.
    pub fn pinyin(&self) -> &str {
        self.0
            .rsplit_once(NAME_PINYIN)
            .map_or("", |(_, pinyin)| pinyin)
    }
}

impl FieldValue {
    /// A text value, or `Missing` for an empty one.
    pub fn text(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some(v) if !v.is_empty() => Self::Text(v.into()),
            _ => Self::Missing,
        }
    }

    /// A valid ID number written in full.
    pub fn valid_id(&self) -> Option<&str> {
        match self {
            Self::Id(id) if id.valid => id.full.as_deref(),
            _ => None,
        }
    }

    /// True when there is nothing to compare.
    pub fn is_missing(&self) -> bool {
        match self {
            Self::Missing => true,
            Self::Set(values) => values.is_empty(),
            Self::Id(id) => id.full.is_none() && id.masked.is_none(),
            _ => false,
        }
    }

    /// The values term frequencies are counted on (each phone of a set counts).
    pub fn terms(&self) -> Vec<&str> {
        match self {
            Self::Text(v) => vec![v],
            Self::Set(values) => values.iter().map(|v| &**v).collect(),
            Self::Name(name) => vec![name.full()],
            Self::Id(id) => id.full.as_deref().into_iter().collect(),
            Self::Missing => Vec::new(),
        }
    }
}

/// How a field's two values are graded. Each kind produces a fixed list of levels, best first;
/// a profile gives each level its prior m and u.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Comparison {
    /// `EXACT` or `DIFFERENT`.
    Exact,
    /// `EXACT`, `JW_HIGH` (Jaro–Winkler ≥ `high`), `JW_MID` (≥ `mid`), `DIFFERENT`.
    JaroWinkler { high: f64, mid: f64 },
    /// `EXACT`, `EDIT_1`, `EDIT_2` (Levenshtein distance), `DIFFERENT`.
    Levenshtein,
    /// Person names: `EXACT`, `PINYIN` (homophones), `JW_HIGH` (≥ `high` on pinyin),
    /// `DIFFERENT`.
    Name { high: f64 },
    /// ID numbers: `EXACT`, `ONE_EDIT` (one is a near miss of the other), `MASKED_AGREE` (ten
    /// or more digits a mask shows agree, e.g. `420102********1234`), `MASKED_PARTIAL` (eight
    /// or nine agree, e.g. `4201**********1234`: thousands of people share such ends), or the
    /// known digits of a masked number agree), `DIFFERENT`.
    IdNumber,
    /// Sets of phones: `SHARED`, `ONE_DIGIT` (two phones differ in one digit), `DIFFERENT`.
    Phones,
    /// Dates `YYYY-MM-DD`: `EXACT`, `YEAR_MONTH`, `YEAR`, `DIFFERENT`.
    Date,
    /// Dates `YYYY-MM-DD` of events that all fall within a few weeks (arrivals from Wuhan in
    /// January 2020), where the year and month say nothing: `EXACT`, `NEAR` (at most `near`
    /// days apart: a date reported by another source, a day early or late), `DIFFERENT`.
    DaysApart { near: u32 },
}

impl Comparison {
    /// The levels this comparison produces, best first.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Self::Exact => &["EXACT", "DIFFERENT"],
            Self::JaroWinkler { .. } => &["EXACT", "JW_HIGH", "JW_MID", "DIFFERENT"],
            Self::Levenshtein => &["EXACT", "EDIT_1", "EDIT_2", "DIFFERENT"],
            Self::Name { .. } => &["EXACT", "PINYIN", "JW_HIGH", "DIFFERENT"],
            Self::IdNumber => &[
                "EXACT",
                "ONE_EDIT",
                "MASKED_AGREE",
                "MASKED_PARTIAL",
                "DIFFERENT",
            ],
            Self::Phones => &["SHARED", "ONE_DIGIT", "DIFFERENT"],
            Self::Date => &["EXACT", "YEAR_MONTH", "YEAR", "DIFFERENT"],
            Self::DaysApart { .. } => &["EXACT", "NEAR", "DIFFERENT"],
        }
    }

    /// The level of two values (an index into [`Comparison::levels`]), or `None` when either is
    /// missing or they cannot be compared (a masked number against a masked number).
    pub fn level(self, a: &FieldValue, b: &FieldValue) -> Option<u8> {
        if a.is_missing() || b.is_missing() {
            return None;
        }
        match self {
            Self::Exact => {
                let (a, b) = (text_of(a)?, text_of(b)?);
                Some(if a == b { 0 } else { 1 })
            }
            Self::JaroWinkler { high, mid } => {
                let (a, b) = (text_of(a)?, text_of(b)?);
                if a == b {
                    return Some(0);
                }
                let s = super::similarity::jaro_winkler(a, b);
                Some(if s >= high {
                    1
                } else if s >= mid {
                    2
                } else {
                    3
                })
            }
            Self::Levenshtein => {
                let (a, b) = (text_of(a)?, text_of(b)?);
                if a == b {
                    return Some(0);
                }
                Some(match super::similarity::edits_up_to(a, b, 3) {
                    1 => 1,
                    2 => 2,
                    _ => 3,
                })
            }
            Self::Name { high } => name_level(a, b, high),
            Self::IdNumber => id_level(a, b),
            Self::Phones => phones_level(a, b),
            Self::Date => {
                let (a, b) = (text_of(a)?, text_of(b)?);
                Some(if a == b {
                    0
                } else if a.get(..7).is_some() && a.get(..7) == b.get(..7) {
                    1
                } else if a.get(..4).is_some() && a.get(..4) == b.get(..4) {
                    2
                } else {
                    3
                })
            }
            Self::DaysApart { near } => {
                let (a, b) = (text_of(a)?, text_of(b)?);
                if a == b {
                    return Some(0);
                }
                let apart = day_number(a)?.abs_diff(day_number(b)?);
                Some(if apart <= near { 1 } else { 2 })
            }
        }
    }
}

/// The day a `YYYY-MM-DD` date is, counted from 1970-01-01 (days from civil, Howard
/// Hinnant's algorithm); `None` for anything else. It runs for every pair, so it parses the
/// bytes rather than building a calendar date.
fn day_number(date: &str) -> Option<i32> {
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i32> {
        bytes[range].iter().try_fold(0i32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i32::from(b - b'0'))
        })
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

fn text_of(v: &FieldValue) -> Option<&str> {
    match v {
        FieldValue::Text(t) => Some(t),
        FieldValue::Name(name) => Some(name.full()),
        FieldValue::Id(id) => id.full.as_deref(),
        _ => None,
    }
}

fn name_level(a: &FieldValue, b: &FieldValue, high: f64) -> Option<u8> {
    let (FieldValue::Name(a), FieldValue::Name(b)) = (a, b) else {
        let (a, b) = (text_of(a)?, text_of(b)?);
        return Some(if a == b { 0 } else { 3 });
    };
    let (pa, pb) = (a.pinyin(), b.pinyin());
    Some(if a.full() == b.full() {
        0
    } else if !pa.is_empty() && pa == pb {
        1
    } else if super::similarity::jaro_winkler(pa, pb) >= high {
        2
    } else {
        3
    })
}

/// True when the known digits of a masked number agree with `other` (full or masked).
pub fn masked_agrees(masked: &str, other: &str) -> bool {
    masked.len() == other.len()
        && masked
            .bytes()
            .zip(other.bytes())
            .all(|(m, o)| m == b'*' || o == b'*' || m == o)
}

/// The shown digits of a masked number as a key, `4201|1234` for `4201**********1234`;
/// `None` for anything but a mask.
pub fn mask_key(v: &FieldValue) -> Option<String> {
    let FieldValue::Id(id) = v else {
        return None;
    };
    let IdValue {
        full: None,
        masked: Some(m),
        ..
    } = &**id
    else {
        return None;
    };
    let prefix = m.split('*').next().unwrap_or_default();
    let suffix = m.rsplit('*').next().unwrap_or_default();
    Some(format!("{prefix}|{suffix}"))
}

/// The keys (as [`mask_key`] makes them) a full number has under each mask shape
/// `(shown prefix, shown suffix)`.
pub fn mask_keys(full: &str, shapes: &[(usize, usize)]) -> Vec<String> {
    shapes
        .iter()
        .filter(|(p, s)| p + s < full.len())
        .filter_map(|&(p, s)| {
            Some(format!(
                "{}|{}",
                full.get(..p)?,
                full.get(full.len() - s..)?
            ))
        })
        .collect()
}

fn id_level(a: &FieldValue, b: &FieldValue) -> Option<u8> {
    let (FieldValue::Id(a), FieldValue::Id(b)) = (a, b) else {
        return None;
    };
    let IdValue {
        full: fa,
        candidates: ca,
        masked: ma,
        ..
    } = &**a;
    let IdValue {
        full: fb,
        candidates: cb,
        masked: mb,
        ..
    } = &**b;
    match (fa, fb) {
        (Some(x), Some(y)) if x == y => Some(0),
        (Some(x), Some(y)) => {
            if ca.iter().any(|c| c == y) || cb.iter().any(|c| c == x) {
                Some(1)
            } else {
                Some(ID_DIFFERENT)
            }
        }
        // A mistyped full number agrees with a mask when it or one of its near misses does.
        (Some(full), None) => mb.as_deref().and_then(|m| masked_level(m, full, ca)),
        (None, Some(full)) => ma.as_deref().and_then(|m| masked_level(m, full, cb)),
        // Two masked numbers: digits both show must agree.
        (None, None) => {
            let (ma, mb) = (ma.as_deref()?, mb.as_deref()?);
            if ma.len() != mb.len() {
                return None;
            }
            let (mut shown, mut differ) = (0, false);
            for (x, y) in ma.bytes().zip(mb.bytes()) {
                if x != b'*' && y != b'*' {
                    shown += 1;
                    differ |= x != y;
                }
            }
            if differ {
                Some(ID_DIFFERENT)
            } else {
                agreement_level(shown)
            }
        }
    }
}

/// Level index of two ID numbers that differ.
const ID_DIFFERENT: u8 = 4;

/// The level of `shown` agreeing digits of a mask: ten or more a match of the mask, eight or
/// nine a partial one, fewer nothing.
fn agreement_level(shown: usize) -> Option<u8> {
    match shown {
        10.. => Some(2),
        8 | 9 => Some(3),
        _ => None,
    }
}

fn masked_level(masked: &str, full: &str, candidates: &[String]) -> Option<u8> {
    if masked_agrees(masked, full) || candidates.iter().any(|c| masked_agrees(masked, c)) {
        agreement_level(masked.bytes().filter(|b| *b != b'*').count())
    } else {
        Some(ID_DIFFERENT)
    }
}

fn phones_level(a: &FieldValue, b: &FieldValue) -> Option<u8> {
    let (FieldValue::Set(pa), FieldValue::Set(pb)) = (a, b) else {
        return None;
    };
    if pa.iter().any(|p| pb.contains(p)) {
        return Some(0);
    }
    let one_digit = pa.iter().any(|x| {
        pb.iter().any(|y| {
            x.len() == y.len() && x.bytes().zip(y.bytes()).filter(|(p, q)| p != q).count() == 1
        })
    });
    Some(if one_digit { 1 } else { 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(full: Option<&str>, candidates: &[&str], masked: Option<&str>) -> FieldValue {
        FieldValue::Id(Box::new(IdValue {
            full: full.map(Into::into),
            valid: true,
            candidates: candidates.iter().map(|c| (*c).to_owned()).collect(),
            masked: masked.map(Into::into),
        }))
    }

    #[test]
    fn id_numbers_grade_exact_near_miss_masked_and_different() {
        let c = Comparison::IdNumber;
        let a = id(Some("420102198507150036"), &[], None);
        assert_eq!(c.level(&a, &a), Some(0));
        let typo = id(Some("420102198507150063"), &["420102198507150036"], None);
        assert_eq!(c.level(&a, &typo), Some(1));
        let six_four = id(None, &[], Some("420102********0036"));
        assert_eq!(c.level(&a, &six_four), Some(2), "ten shown digits agree");
        let four_four = id(None, &[], Some("4201**********0036"));
        assert_eq!(c.level(&a, &four_four), Some(3), "eight shown digits agree");
        assert_eq!(c.level(&four_four, &four_four), Some(3));
        let other_mask = id(None, &[], Some("4201**********2684"));
        assert_eq!(
            c.level(&four_four, &other_mask),
            Some(4),
            "shown digits differ"
        );
        let short = id(None, &[], Some("4201**************"));
        assert_eq!(
            c.level(&four_four, &short),
            None,
            "four shown digits say nothing"
        );
        let other = id(Some("420102199001011234"), &[], None);
        assert_eq!(c.level(&a, &other), Some(4));
        assert_eq!(c.level(&a, &FieldValue::Missing), None);
    }

    #[test]
    fn masks_and_full_numbers_share_keys_by_shape() {
        let mask = id(None, &[], Some("4201**********0036"));
        assert_eq!(mask_key(&mask).as_deref(), Some("4201|0036"));
        assert_eq!(mask_key(&id(Some("420102198507150036"), &[], None)), None);
        assert_eq!(
            mask_keys("420102198507150036", &[(4, 4), (6, 4)]),
            ["4201|0036", "420102|0036"]
        );
    }

    #[test]
    fn values_stay_small() {
        // Ten or so per record, a million records in a large run.
        assert_eq!(std::mem::size_of::<FieldValue>(), 24);
        let name = NameValue::new("王伟", "wang wei");
        assert_eq!((name.full(), name.pinyin()), ("王伟", "wang wei"));
        let unknown = NameValue::new("王伟", "");
        assert_eq!((unknown.full(), unknown.pinyin()), ("王伟", ""));
    }

    #[test]
    fn names_grade_homophones_below_exact() {
        let name = |full: &str, pinyin: &str| FieldValue::Name(NameValue::new(full, pinyin));
        let c = Comparison::Name { high: 0.9 };
        assert_eq!(
            c.level(&name("王伟", "wang wei"), &name("王伟", "wang wei")),
            Some(0)
        );
        assert_eq!(
            c.level(&name("王伟", "wang wei"), &name("王韦", "wang wei")),
            Some(1)
        );
        assert_eq!(
            c.level(&name("王伟", "wang wei"), &name("李娜", "li na")),
            Some(3)
        );
    }

    #[test]
    fn phones_agree_when_any_is_shared() {
        let set = |v: &[&str]| FieldValue::Set(v.iter().map(|s| (*s).into()).collect());
        let c = Comparison::Phones;
        assert_eq!(
            c.level(
                &set(&["13800138000", "13900000000"]),
                &set(&["13900000000"])
            ),
            Some(0)
        );
        assert_eq!(
            c.level(&set(&["13800138000"]), &set(&["13800138001"])),
            Some(1)
        );
        assert_eq!(
            c.level(&set(&["13800138000"]), &set(&["15000000000"])),
            Some(2)
        );
    }

    #[test]
    fn strings_and_dates_grade_by_similarity() {
        let t = |s: &str| FieldValue::Text(s.into());
        let jw = Comparison::JaroWinkler {
            high: 0.92,
            mid: 0.8,
        };
        assert_eq!(jw.level(&t("painter"), &t("painter")), Some(0));
        assert_eq!(jw.level(&t("painter"), &t("paintre")), Some(1));
        assert_eq!(jw.level(&t("painter"), &t("xu")), Some(3));
        assert_eq!(
            Comparison::Levenshtein.level(&t("19151111"), &t("19151117")),
            Some(1)
        );
        assert_eq!(
            Comparison::Date.level(&t("2020-01-23"), &t("2020-01-25")),
            Some(1)
        );
    }

    #[test]
    fn days_apart_count_across_months_and_years() {
        let t = |s: &str| FieldValue::Text(s.into());
        let near = Comparison::DaysApart { near: 3 };
        assert_eq!(near.level(&t("2020-01-23"), &t("2020-01-23")), Some(0));
        assert_eq!(near.level(&t("2020-01-23"), &t("2020-01-20")), Some(1));
        assert_eq!(near.level(&t("2020-01-31"), &t("2020-02-02")), Some(1));
        assert_eq!(near.level(&t("2019-12-30"), &t("2020-01-02")), Some(1));
        assert_eq!(near.level(&t("2020-02-28"), &t("2020-03-01")), Some(1));
        // The same month says nothing: eleven days apart is another trip.
        assert_eq!(near.level(&t("2020-01-14"), &t("2020-01-25")), Some(2));
        assert_eq!(near.level(&t("2020-01-23"), &t("2020-01-27")), Some(2));
        // What is not a date cannot be compared.
        assert_eq!(near.level(&t("2020-01-23"), &t("2020-1-23")), None);
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2020-01-23"), Some(18_284));
        assert_eq!(day_number("2020-13-01"), None);
    }
}
