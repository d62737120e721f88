//! Dates: any text parses or is refused without panicking, against a fixed batch date.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use paicha::normalize::parse_date;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let reference = NaiveDate::from_ymd_opt(2020, 1, 28).unwrap_or_default();
    let _ = parse_date(&text, reference);
});
