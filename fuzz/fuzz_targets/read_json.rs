//! The JSON reader: any bytes are read or refused whole, never a panic, for every source.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paicha::intake::{HeaderMap, SourceKind, read_file};

fuzz_target!(|data: &[u8]| {
    for source in SourceKind::ALL {
        let _ = read_file(source, "fuzz.json", data, &HeaderMap::default());
    }
});
