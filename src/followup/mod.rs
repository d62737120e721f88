//! Follow-up of the persons of the register (DESIGN §1 "The register"): pure rules, no
//! database. Where each person is, read from the evidence of their records; home observation
//! and its temperature checks.

pub mod evidence;
pub mod observation;
pub mod remarks;
