//! Names: normalising and pinyin never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paicha::normalize::name::{classify_name, to_pinyin};
use paicha::normalize::normalize_name;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = normalize_name(&text);
    let _ = classify_name(&text);
    let _ = to_pinyin(&text);
});
