//! Resolution: deciding which person a normalised source record belongs to.
//!
//! Pure: no I/O, no database, no web types. The Fellegi–Sunter engine:
//! - `profile`: the comparison model as data (fields, levels with prior m and u, blocking
//!   rules, thresholds), read from `fixtures/profiles/*.toml`;
//! - `compare`: field values and the comparisons that grade two of them into levels;
//! - `similarity`: the string similarities those comparisons use, without allocating;
//! - `block`: the candidate pairs, from several blocking keys;
//! - `frequencies`: how common values are (term frequencies, masks' fits, equal values);
//! - `model`: u from random pairs, m and the prior by EM, weights and scores;
//! - `cluster`: pairs into persons (average linkage, hard rules, analysts' decisions);
//! - `canonical`: the records' order by content, so no step depends on their IDs' order;
//! - `engine`: one run of all of these.

pub mod block;
pub mod canonical;
pub mod cluster;
pub mod compare;
pub mod engine;
mod frequencies;
pub mod model;
pub mod profile;
pub mod similarity;
