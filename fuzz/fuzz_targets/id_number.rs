//! ID numbers: any text parses or is refused without panicking, and what parses is consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paicha::normalize::{Divisions, IdClass, parse_id_number};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(parsed) = parse_id_number(&text, Divisions::embedded()) {
        let _ = parsed.problems();
        if parsed.class == IdClass::Valid {
            assert_eq!(parsed.normalized.len(), 18, "a valid number has 18 characters");
        }
    }
});
