//! Dates as they arrive on screening lists: ISO, compact, slashes, dots, Chinese, month/day only,
//! Excel serial numbers.

use chrono::{Datelike, Duration, NaiveDate};
use thiserror::Error;

use super::name::fold_width;

/// Why a date cell could not be read. A date is never guessed: an impossible or ambiguous date is
/// an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DateError {
    /// The cell is empty or white space.
    #[error("日期为空")]
    Empty,
    /// The text does not look like any known date form.
    #[error("无法识别的日期格式")]
    Unrecognised,
    /// The form is known but the date does not exist (`2020-02-30`, `13.45`).
    #[error("日期不存在")]
    Impossible,
    /// The date exists but lies outside 1900–2100.
    #[error("日期超出合理范围")]
    OutOfRange,
}

/// Earliest year accepted.
const MIN_YEAR: i32 = 1900;
/// Latest year accepted.
const MAX_YEAR: i32 = 2100;

/// Parses a date cell.
///
/// Accepted forms: `2020-01-23`, `20200123`, `2020/1/23`, `2020.1.23`, `2020年1月23日`, a date
/// followed by a time (`2020-01-23 00:00:00`, `2020-01-23T08:00`), month and day alone
/// (`1月23日`, `1月23号`, `1.23`, `1-23`, `1/23`) which take the year of `reference`, and Excel
/// serial numbers written as text (`43853`, `43853.5`, five digits, 1900 date system).
///
/// ```text
/// parse_date("2020年1月23日", ref) == Ok(2020-01-23)
/// parse_date("1.23", 2020-02-01)    == Ok(2020-01-23)
/// parse_date("43853", ref)          == Ok(2020-01-22)
/// parse_date("2020-02-30", ref)     == Err(DateError::Impossible)
/// ```
pub fn parse_date(raw: &str, reference: NaiveDate) -> Result<NaiveDate, DateError> {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    if trimmed.is_empty() {
        return Err(DateError::Empty);
    }
    let date_part = strip_time(trimmed);
    if let Some(serial) = excel_decimal(date_part) {
        return excel_serial(serial);
    }

    // Up to three runs of digits separated by single separators, without allocating.
    let mut tokens: [u32; 3] = [0; 3];
    let mut token_len: [u8; 3] = [0; 3];
    let mut count = 0usize;
    let mut in_number = false;
    let mut ended = false; // after 日 / 号 nothing may follow
    for c in date_part.chars().map(fold_width) {
        if ended {
            return Err(DateError::Unrecognised);
        }
        if let Some(digit) = c.to_digit(10) {
            if !in_number {
                if count == 3 {
                    return Err(DateError::Unrecognised);
                }
                count += 1;
                in_number = true;
            }
            let i = count - 1;
            if token_len[i] >= 8 {
                return Err(DateError::Unrecognised);
            }
            tokens[i] = tokens[i] * 10 + digit;
            token_len[i] += 1;
            continue;
        }
        if !in_number {
            return Err(DateError::Unrecognised);
        }
        in_number = false;
        match c {
            '-' | '/' | '.' | '年' | '月' | '—' | '_' => {}
            '日' | '号' => ended = true,
            _ => return Err(DateError::Unrecognised),
        }
    }
    // A separator with nothing after it (`2020-01-`) is malformed; 日 / 号 is a proper end.
    if count == 0 || (!in_number && !ended) {
        return Err(DateError::Unrecognised);
    }

    match count {
        1 => single_number(tokens[0], token_len[0]),
        2 => {
            // month/day with the reference year; a four-digit first part is not a month.
            if token_len[0] > 2 || token_len[1] > 2 {
                return Err(DateError::Unrecognised);
            }
            ymd(reference.year(), tokens[0], tokens[1])
        }
        _ => {
            if token_len[0] != 4 || token_len[1] > 2 || token_len[2] > 2 {
                return Err(DateError::Unrecognised);
            }
            ymd(tokens[0] as i32, tokens[1], tokens[2])
        }
    }
}

/// `2020-01-23 00:00:00` / `2020-01-23T08:00` → the date part, when the rest is a time of day.
fn strip_time(text: &str) -> &str {
    let split = text
        .char_indices()
        .find(|&(i, c)| (c == ' ' || c == 'T' || c == '\u{3000}') && i > 0);
    match split {
        Some((i, c)) => {
            let rest = text[i + c.len_utf8()..].trim();
            let looks_like_time = !rest.is_empty()
                && rest.contains(':')
                && rest
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | 'Z' | '+' | '-'));
            if looks_like_time { &text[..i] } else { text }
        }
        None => text,
    }
}

fn single_number(value: u32, len: u8) -> Result<NaiveDate, DateError> {
    match len {
        8 => ymd((value / 10_000) as i32, value / 100 % 100, value % 100),
        5 => excel_serial(value),
        _ => Err(DateError::Unrecognised),
    }
}

/// `43853.5`: an Excel serial with a time-of-day fraction; the whole days count.
fn excel_decimal(text: &str) -> Option<u32> {
    let (whole, fraction) = text.split_once('.')?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() == 5 && all_digits(whole) && all_digits(fraction) {
        whole.parse().ok()
    } else {
        None
    }
}

/// Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 the non-existent 1900-02-29.
fn excel_serial(serial: u32) -> Result<NaiveDate, DateError> {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).ok_or(DateError::Impossible)?;
    let date = base
        .checked_add_signed(Duration::days(i64::from(serial)))
        .ok_or(DateError::OutOfRange)?;
    in_range(date)
}

fn ymd(year: i32, month: u32, day: u32) -> Result<NaiveDate, DateError> {
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::Impossible)?;
    in_range(date)
}

fn in_range(date: NaiveDate) -> Result<NaiveDate, DateError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        Ok(date)
    } else {
        Err(DateError::OutOfRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        match NaiveDate::from_ymd_opt(y, m, day) {
            Some(date) => date,
            None => panic!("bad test date"),
        }
    }

    #[test]
    fn every_documented_form_gives_the_same_day() {
        let reference = d(2020, 2, 1);
        for raw in [
            "2020-01-23",
            "20200123",
            "2020/1/23",
            "2020/01/23",
            "2020.1.23",
            "2020年1月23日",
            "2020年01月23号",
            "1月23日",
            "1月23号",
            "1.23",
            "1-23",
            "1/23",
            "2020-01-23 00:00:00",
            "2020/1/23 8:30",
            "2020-01-23T00:00:00",
            " ２０２０－０１－２３ ",
            "43853",
            "43853.0",
            "43853.75",
            "43853.541666666664",
        ] {
            assert_eq!(parse_date(raw, reference), Ok(d(2020, 1, 23)), "{raw:?}");
        }
    }

    #[test]
    fn month_and_day_take_the_year_of_the_reference_date() {
        assert_eq!(parse_date("12.31", d(2019, 6, 1)), Ok(d(2019, 12, 31)));
        assert_eq!(parse_date("2月29日", d(2020, 3, 1)), Ok(d(2020, 2, 29)));
        assert_eq!(
            parse_date("2月29日", d(2021, 3, 1)),
            Err(DateError::Impossible)
        );
    }

    #[test]
    fn excel_serial_numbers_count_from_the_1900_epoch() {
        let reference = d(2020, 1, 1);
        assert_eq!(parse_date("43831", reference), Ok(d(2020, 1, 1)));
        assert_eq!(parse_date("43830", reference), Ok(d(2019, 12, 31)));
    }

    #[test]
    fn impossible_dates_are_errors_never_guesses() {
        let reference = d(2020, 2, 1);
        for raw in [
            "2020-02-30",
            "13.45",
            "2020-13-01",
            "20201301",
            "0.0",
            "2019年2月29日",
        ] {
            assert_eq!(
                parse_date(raw, reference),
                Err(DateError::Impossible),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn unknown_forms_are_unrecognised() {
        let reference = d(2020, 2, 1);
        for raw in [
            "明天",
            "23/1/2020",
            "2020-01-",
            "2020-01-23-05",
            "123",
            "0123",
            "2020 01",
            "abc",
            "1月下旬",
            "2020-01-23 上午",
        ] {
            assert_eq!(
                parse_date(raw, reference),
                Err(DateError::Unrecognised),
                "{raw:?}"
            );
        }
        assert_eq!(parse_date("  ", reference), Err(DateError::Empty));
        assert_eq!(
            parse_date("1800-01-01", reference),
            Err(DateError::OutOfRange)
        );
    }

    proptest! {
        #[test]
        fn any_real_date_round_trips_through_its_common_forms(days in 0i64..70_000) {
            let date = d(1901, 1, 1) + Duration::days(days);
            let reference = d(2020, 2, 1);
            for raw in [
                date.format("%Y-%m-%d").to_string(),
                date.format("%Y%m%d").to_string(),
                date.format("%Y/%-m/%-d").to_string(),
                date.format("%Y年%-m月%-d日").to_string(),
            ] {
                prop_assert_eq!(parse_date(&raw, reference), Ok(date), "{}", raw);
            }
        }

        #[test]
        fn no_input_makes_parse_date_panic(raw in any::<String>()) {
            let _ = parse_date(&raw, d(2020, 1, 1));
        }

        #[test]
        fn no_digit_soup_makes_parse_date_panic(raw in "[0-9年月日号./ :T-]{0,30}") {
            let _ = parse_date(&raw, d(2020, 1, 1));
        }
    }
}
