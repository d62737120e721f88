//! Phones: cells and free text never panic; every phone found is digits only.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paicha::normalize::phone::normalize_phone;
use paicha::normalize::{extract_phones_from_text, parse_phones};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (phones, _) = parse_phones(&text);
    let found = extract_phones_from_text(&text);
    for phone in phones.iter().chain(&found).chain(normalize_phone(&text).as_ref()) {
        assert!(phone.number.bytes().all(|b| b.is_ascii_digit()), "{:?}", phone.number);
    }
});
