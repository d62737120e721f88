//! Places: the demo county's gazetteer and the national division table never panic on text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use paicha::Reference;

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| Reference::load(None).expect("the demo county loads"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let r = reference();
    let township = r.gazetteer.match_township(&text);
    let _ = r.gazetteer.match_village(township.as_ref().map(|m| m.township.as_str()), &text);
    let _ = r.gazetteer.match_village(None, &text);
    let _ = r.gazetteer.parse_address(&text, r.divisions);
    let _ = r.gazetteer.locate(&text, r.divisions);
    let _ = r.gazetteer.is_in_county(&text);
    let _ = r.divisions.resolve_place(&text);
});
