//! Masking of personal data for callers who may not see it in full.
//!
//! # The rule
//!
//! **No combination of the values served to a caller who may not see personal data in full
//! rebuilds a value masked for that caller.** Masking therefore goes by what a value *is*, not
//! by which field carries it, and every output path goes through [`mask_text`] (free text, record
//! keys, ID numbers, phones) or [`mask_json`] (raw rows, event details):
//!
//! - every run of 7 or more digit positions — digits (half- or full-width), `X` and mask
//!   characters (`*`, `＊`, `×`), joined by the separators a phone or ID number may be written
//!   with (spaces, dashes, dots, brackets, `+`) — keeps only its ends: the region code and last
//!   4 of an ID number (`420102********1234`), the first 3 and last 4 of a phone
//!   (`139 **** 5678`), fewer of a shorter run; no masked run keeps 7 digits in a row, so neither
//!   `normalize::phone` nor `normalize::id_number` finds a number in the output;
//! - a masked ID number hides exactly the birth date, so **a birth date is shown to its year
//!   only** wherever ID numbers are masked: `1990-**-**`, `1990年*月*日` in text, the year alone
//!   (`birthYear`) where a field's type is a date;
//! - JSON is masked at any depth; a number that holds such a run becomes a masked string.
//!
//! A caller allowed and asking to see values unmasked (`access::guard::unmask`, audited)
//! gets them as stored.

use crate::normalize::name::fold_width;

/// A value made safe for a CSV file a spreadsheet will open (CSV injection, OWASP): a value
/// beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so the
/// spreadsheet shows it as text instead of running it as a formula.
///
/// ```text
/// =HYPERLINK("http://x")  ->  '=HYPERLINK("http://x")
/// -5                      ->  '-5
/// 张三                    ->  张三
/// ```
pub fn escape_csv_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// `text` with every phone, ID number and birth date in it masked (the rule above).
///
/// ```text
/// 亲属电话139 1234 5678 身份证420102199001011234  ->  亲属电话139 **** 5678 身份证420102********1234
/// +86-158-1623-1919   ->  +86-1**-****-1919
/// 420103-199*0202-1248 ->  420103-********-1248
/// 出生1990年1月1日     ->  出生1990年*月*日
/// ```
pub fn mask_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().map(fold_width).collect();
    let original: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(original[i]);
            i += 1;
            continue;
        }
        if let Some(end) = date_end(&chars, i) {
            // The year is kept, month and day hidden.
            for (k, c) in original[i..end].iter().enumerate() {
                out.push(if k >= 4 && chars[i + k].is_ascii_digit() {
                    '*'
                } else {
                    *c
                });
            }
            i = end;
            continue;
        }
        let end = run_end(&chars, i);
        let n = (i..end).filter(|&k| is_position(&chars, k)).count();
        let (keep_start, keep_end) = kept_ends(n);
        let mut rank = 0;
        for (k, c) in original.iter().enumerate().take(end).skip(i) {
            let hidden = is_position(&chars, k) && rank >= keep_start && rank + keep_end < n;
            if is_position(&chars, k) {
                rank += 1;
            }
            out.push(if hidden { '*' } else { *c });
        }
        i = end;
    }
    out
}

/// `value` with every string and number masked as [`mask_text`], at any depth; object keys
/// too. A number that holds a phone or ID number becomes a masked string.
pub fn mask_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = mask_text(s),
        Value::Number(n) => {
            let written = n.to_string();
            let masked = mask_text(&written);
            if masked != written {
                *value = Value::String(masked);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        Value::Object(map) => {
            for (key, mut item) in std::mem::take(map) {
                mask_json(&mut item);
                map.insert(mask_text(&key), item);
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

/// How many digit positions of a run of `n` are kept at its start and its end: an ID number
/// keeps its region code and sequence number, a phone its operator prefix and last 4, a shorter
/// run its first 3. Every masked run hides at least 4 digits between at most 6 kept in a row.
fn kept_ends(n: usize) -> (usize, usize) {
    match n {
        0..=6 => (n, 0),
        7..=10 => (3, 0),
        11..=14 => (3, 4),
        15..=17 => (6, 3),
        _ => (6, 4),
    }
}

/// A digit, or a mask character: the positions of a written number.
fn is_digit_or_mask(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '×' | '✕' | '﹡')
}

/// A position of a run: a digit, a mask character, or an `X` check character right after a
/// digit.
fn is_position(chars: &[char], k: usize) -> bool {
    is_digit_or_mask(chars[k])
        || (matches!(chars[k], 'X' | 'x') && k > 0 && chars[k - 1].is_ascii_digit())
}

/// What may stand between the digits of one phone or ID number as written (the separators
/// `normalize::phone` and `normalize::id_number` skip).
fn is_joiner(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '—'
                | '–'
                | '_'
                | '~'
                | '.'
                | '('
                | ')'
                | '（'
                | '）'
                | '+'
                | '\''
                | '‘'
                | '’'
                | '`'
        )
}

/// The end (exclusive) of the run starting at digit `start`: positions joined by joiners,
/// ending on a position.
fn run_end(chars: &[char], start: usize) -> usize {
    let mut end = start + 1;
    let mut k = start + 1;
    while k < chars.len() {
        if is_position(chars, k) {
            end = k + 1;
        } else if !is_joiner(chars[k]) {
            break;
        }
        k += 1;
    }
    end
}

/// The end (exclusive) of a date written at `start` (`1990-01-01`, `1990/1/1`, `1990.01.01`,
/// `1990年1月1日`, `19900101`) standing alone, years 1900–2099.
fn date_end(chars: &[char], start: usize) -> Option<usize> {
    let digits = |from: usize, max: usize| {
        chars[from..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit() || **c == '*')
            .count()
    };
    // `None` for a part already masked.
    let number = |from: usize, len: usize| {
        chars[from..from + len]
            .iter()
            .try_fold(0, |n, c| c.to_digit(10).map(|d| n * 10 + d))
    };
    let alone = |end: usize| end >= chars.len() || !is_position(chars, end);
    if digits(start, 4) != 4 || !number(start, 4).is_some_and(|y| (1900..=2099).contains(&y)) {
        return None;
    }
    let real = |m: Option<u32>, d: Option<u32>| {
        m.is_none_or(|m| (1..=12).contains(&m)) && d.is_none_or(|d| (1..=31).contains(&d))
    };
    let y_end = start + 4;
    if digits(y_end, 9) == 4 {
        let end = y_end + 4;
        return (real(number(y_end, 2), number(y_end + 2, 2)) && alone(end)).then_some(end);
    }
    let sep = *chars.get(y_end)?;
    let second = match sep {
        '-' | '/' | '.' => sep,
        '年' => '月',
        _ => return None,
    };
    let m_len = digits(y_end + 1, 3);
    let m_end = y_end + 1 + m_len;
    if !(1..=2).contains(&m_len) || chars.get(m_end) != Some(&second) {
        return None;
    }
    let d_len = digits(m_end + 1, 3);
    let mut end = m_end + 1 + d_len;
    if !(1..=2).contains(&d_len) || !real(number(y_end + 1, m_len), number(m_end + 1, d_len)) {
        return None;
    }
    if matches!(chars.get(end), Some('日' | '号')) {
        end += 1;
    }
    alone(end).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::divisions::Divisions;
    use crate::normalize::id_number::{IdClass, check_digit, parse_id_number};
    use crate::normalize::phone::{extract_phones_from_text, parse_phones};
    use proptest::prelude::*;

    #[test]
    fn id_numbers_and_phones_keep_only_their_ends() {
        assert_eq!(mask_text("42010219900101123X"), "420102********123X");
        assert_eq!(mask_text("420102900101123"), "420102******123");
        assert_eq!(mask_text("13812345678"), "138****5678");
        assert_eq!(mask_text("03761234567"), "037****4567");
        assert_eq!(mask_text("2345678"), "234****");
    }

    #[test]
    fn values_a_spreadsheet_would_run_as_formulas_are_escaped() {
        for value in ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(escape_csv_cell(value), format!("'{value}"));
        }
        for value in ["张三", "13812345678", "", "a=b", " =1"] {
            assert_eq!(escape_csv_cell(value), value);
        }
    }

    #[test]
    fn phones_and_id_numbers_are_masked_however_they_are_written() {
        for (text, masked) in [
            (
                "电话13912345678已联系，住3号楼",
                "电话139****5678已联系，住3号楼",
            ),
            ("158 1623 1919", "158 **** 1919"),
            ("139-0000-1111", "139-****-1111"),
            ("+86 158 1623 1919", "+86 1** **** 1919"),
            ("１３９１２３４５６７８", "１３９****５６７８"),
            ("420103-199*0202-1248", "420103-********-1248"),
            ("420102 19900101 123x", "420102 ******** 123x"),
            (
                "亲属电话13977778888 身份证420102199001011234",
                "亲属电话139****8888 身份证420102********1234",
            ),
        ] {
            assert_eq!(mask_text(text), masked, "{text}");
        }
    }

    #[test]
    fn a_birth_date_is_shown_to_its_year() {
        for (text, masked) in [
            ("1990-01-01", "1990-**-**"),
            ("1990/1/1", "1990/*/*"),
            ("19900101", "1990****"),
            ("出生于1990年1月1日，", "出生于1990年*月*日，"),
            ("2020年1月23日返乡", "2020年*月**日返乡"),
        ] {
            assert_eq!(mask_text(text), masked, "{text}");
        }
        assert_eq!(mask_text("住3号楼201室"), "住3号楼201室");
    }

    #[test]
    fn json_is_masked_at_any_depth_and_numbers_become_masked_strings() {
        let mut raw = serde_json::json!({
            "电话": 13912345678_i64,
            "备注": ["x", {"亲属": ["139 1234 5678"]}],
            "年龄": 30,
            "出生": 19900101,
        });
        mask_json(&mut raw);
        assert_eq!(
            raw,
            serde_json::json!({
                "电话": "139****5678",
                "备注": ["x", {"亲属": ["139 **** 5678"]}],
                "年龄": 30,
                "出生": "1990****",
            })
        );
    }

    fn divisions() -> &'static Divisions {
        Divisions::embedded()
    }

    /// A valid 18-character ID number.
    fn arb_id() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["420102", "420103", "110105", "440305"]),
            1900i32..2021,
            1u32..13,
            1u32..29,
            0u32..1000,
        )
            .prop_map(|(region, y, m, d, seq)| {
                let first17 = format!("{region}{y:04}{m:02}{d:02}{seq:03}");
                let check = check_digit(&first17).unwrap_or('0');
                format!("{first17}{check}")
            })
    }

    fn arb_mobile() -> impl Strategy<Value = String> {
        (3u32..10, 0u64..1_000_000_000).prop_map(|(second, rest)| format!("1{second}{rest:09}"))
    }

    fn arb_landline() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["010", "027", "0376", "0712"]),
            2u64..10,
            0u64..1_000_000,
        )
            .prop_map(|(area, first, rest)| format!("{area}{first}{rest:06}"))
    }

    /// `digits` written as people write them: grouped by spaces or dashes, with `+86`, in
    /// full-width digits; an ID number also in its old 15-digit form.
    fn spelled(digits: String) -> impl Strategy<Value = String> {
        let grouped = prop::sample::select(vec![" ", "-", "", " - ", "　"]);
        (grouped, 0usize..5, any::<bool>()).prop_map(move |(sep, style, lower_x)| {
            let d = if lower_x {
                digits.replace('X', "x")
            } else {
                digits.clone()
            };
            match style {
                0 => d,
                1 => d
                    .chars()
                    .enumerate()
                    .flat_map(|(i, c)| {
                        let s = if i > 0 && i % 4 == 3 { sep } else { "" };
                        s.chars().chain(std::iter::once(c)).collect::<Vec<_>>()
                    })
                    .collect(),
                2 if d.len() == 11 => format!("+86{sep}{d}"),
                3 => d
                    .chars()
                    .map(|c| match c.to_digit(10) {
                        Some(n) => char::from_u32('０' as u32 + n).unwrap_or(c),
                        None => c,
                    })
                    .collect(),
                4 if d.len() == 18 && !d.ends_with(['X', 'x']) => {
                    format!("{}{}", &d[..6], &d[8..17])
                }
                _ => d,
            }
        })
    }

    fn arb_number() -> impl Strategy<Value = String> {
        prop_oneof![arb_id(), arb_mobile(), arb_landline()].prop_flat_map(spelled)
    }

    fn arb_text() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["", "亲属电话", "身份证：", "联系人 ", "住3号楼，"]),
            arb_number(),
            prop::sample::select(vec!["", "，已联系", " 已返乡", "。"]),
        )
            .prop_map(|(before, number, after)| format!("{before}{number}{after}"))
    }

    /// Nothing in `masked` that the normalisers read as a phone or a full ID number, and no 7
    /// digits in a row once separators are dropped.
    fn nothing_survives(masked: &str) -> Result<(), TestCaseError> {
        prop_assert!(extract_phones_from_text(masked).is_empty(), "{masked}");
        prop_assert!(parse_phones(masked).0.is_empty(), "{masked}");
        let mut run = 0;
        for c in masked.chars().map(fold_width).filter(|c| !is_joiner(*c)) {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            prop_assert!(run < 7, "{masked}");
        }
        for word in masked.split(|c: char| !is_position_char(fold_width(c)) && !is_joiner(c)) {
            if let Some(id) = parse_id_number(word, divisions()) {
                prop_assert!(
                    matches!(id.class, IdClass::Masked | IdClass::Malformed),
                    "{masked}"
                );
            }
        }
        Ok(())
    }

    fn is_position_char(c: char) -> bool {
        is_digit_or_mask(c) || matches!(c, 'X' | 'x')
    }

    proptest! {
        #[test]
        fn no_phone_or_id_number_survives_masking_in_text(text in arb_text()) {
            nothing_survives(&mask_text(&text))?;
        }

        #[test]
        fn no_phone_or_id_number_survives_masking_in_json(
            text in arb_text(),
            mobile in arb_mobile(),
            depth in 0usize..4,
        ) {
            let number: i64 = mobile.parse().map_err(|_| TestCaseError::fail("digits"))?;
            let mut value = serde_json::json!({ "备注": text, "电话": number });
            for _ in 0..depth {
                value = serde_json::json!([{ "嵌套": value }]);
            }
            mask_json(&mut value);
            nothing_survives(&value.to_string())?;
        }

        #[test]
        fn masking_twice_changes_nothing(text in arb_text()) {
            let once = mask_text(&text);
            prop_assert_eq!(mask_text(&once), once);
        }

        #[test]
        fn no_input_makes_masking_panic(text in any::<String>()) {
            let _ = mask_text(&text);
        }
    }
}
