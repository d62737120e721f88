//! Scoring where the register puts each person against where they really are (`paicha eval
//! --location`, on the `location.csv` that `paicha synth` writes).
//!
//! Pure: no I/O. A true person is scored through the register persons their records are
//! linked to (one, unless the register split them). A register person with a township form
//! or an external notice is right when its status is where the person is (`IN_COUNTY` or
//! `OUT_OF_COUNTY`); one known from big-data lists alone is right as `PENDING_VERIFICATION`
//! (not verified yet) or as where the person is. A true person is right when every register
//! person of theirs is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::{Truth, TruthError, record_key};
use crate::intake::SourceKind;
use crate::states::{LocationStatus, Stored as _};

/// Where a person really is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrueLocation {
    /// `IN_COUNTY` or `OUT_OF_COUNTY`.
    pub status: LocationStatus,
}

/// Location accuracy against the truth.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LocationScores {
    /// True persons scored: with a location in the truth and a record in the register.
    pub persons: u64,
    /// Of them, right.
    pub right: u64,
    /// `right / persons` (1 when none).
    pub accuracy: f64,
    /// True persons with a township form or a notice among their records.
    pub verified: u64,
    /// Of them, right.
    pub verified_right: u64,
    /// True persons known from big-data lists alone.
    pub bigdata_only: u64,
    /// Of them, right (pending verification, or where they are).
    pub bigdata_only_right: u64,
    /// Wrong register persons by `TRUE→REGISTER` status.
    pub wrong: BTreeMap<String, u64>,
    /// True persons of the record truth with no location in the location truth.
    pub unknown_location: u64,
}

impl LocationScores {
    /// Readable lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "location: persons={} right={} accuracy={:.4} (township or notice: {}/{}; big data only: {}/{})",
            self.persons,
            self.right,
            self.accuracy,
            self.verified_right,
            self.verified,
            self.bigdata_only_right,
            self.bigdata_only
        );
        if !self.wrong.is_empty() {
            let wrong: Vec<String> = self
                .wrong
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            let _ = writeln!(out, "location wrong (true→register): {}", wrong.join(", "));
        }
        out
    }
}

/// Reads `person_id,status[,township,jurisdiction]` (UTF-8, a BOM allowed).
pub fn parse_locations(text: &str) -> Result<HashMap<String, TrueLocation>, TruthError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| TruthError::UnknownHeader(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(person_col), Some(status_col)) = (col("person_id"), col("status")) else {
        return Err(TruthError::UnknownHeader(headers.join(",")));
    };
    let mut locations = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let bad = |reason: String| TruthError::BadRow { line, reason };
        let record = record.map_err(|e| bad(e.to_string()))?;
        let cell = |c: usize| record.get(c).map(str::trim).filter(|v| !v.is_empty());
        let Some(person) = cell(person_col) else {
            continue;
        };
        let status = cell(status_col)
            .and_then(LocationStatus::from_stored)
            .filter(|s| *s != LocationStatus::PendingVerification)
            .ok_or_else(|| bad("status must be IN_COUNTY or OUT_OF_COUNTY".into()))?;
        locations.insert(person.to_owned(), TrueLocation { status });
    }
    Ok(locations)
}

/// Scores the register's statuses (`statuses`, by register person) of the records
/// (`(source in DB form, record_id, register person)`, as `Register::export_records` gives
/// them) against the record truth and the true locations (by the truth's person IDs).
pub fn score_locations(
    records: &[(String, String, i64)],
    statuses: &HashMap<i64, LocationStatus>,
    truth: &Truth,
    locations: &HashMap<String, TrueLocation>,
) -> LocationScores {
    let whose: HashMap<&str, u64> = truth.rows.iter().map(|(k, l)| (k.as_str(), *l)).collect();
    // Register persons of each true person, and which sources each register person has.
    let mut persons_of: BTreeMap<u64, HashSet<i64>> = BTreeMap::new();
    let mut verified: HashSet<i64> = HashSet::new();
    for (source, record_id, person) in records {
        let Some(source) = SourceKind::from_db(source) else {
            continue;
        };
        let Some(label) = whose.get(record_key(truth.format, source, record_id).as_str()) else {
            continue;
        };
        persons_of.entry(*label).or_default().insert(*person);
        if source != SourceKind::Bigdata {
            verified.insert(*person);
        }
    }
    let mut scores = LocationScores::default();
    for (label, persons) in &persons_of {
        let name = usize::try_from(*label)
            .ok()
            .and_then(|l| truth.labels.get(l))
            .map_or("", String::as_str);
        let Some(truth) = locations.get(name) else {
            scores.unknown_location += 1;
            continue;
        };
        scores.persons += 1;
        let any_verified = persons.iter().any(|p| verified.contains(p));
        let mut right = true;
        for person in persons {
            let status = statuses
                .get(person)
                .copied()
                .unwrap_or(LocationStatus::PendingVerification);
            let ok = status == truth.status
                || (!verified.contains(person) && status == LocationStatus::PendingVerification);
            if !ok {
                right = false;
                *scores
                    .wrong
                    .entry(format!("{}→{}", truth.status.as_str(), status.as_str()))
                    .or_default() += 1;
            }
        }
        scores.right += u64::from(right);
        if any_verified {
            scores.verified += 1;
            scores.verified_right += u64::from(right);
        } else {
            scores.bigdata_only += 1;
            scores.bigdata_only_right += u64::from(right);
        }
    }
    scores.accuracy = if scores.persons == 0 {
        1.0
    } else {
        scores.right as f64 / scores.persons as f64
    };
    scores
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::parse_truth;

    #[test]
    fn verified_persons_must_be_where_they_are_and_big_data_ones_may_be_pending() {
        let truth = parse_truth(
            "source,record_id,person_id\n\
             township,T1,1\nbigdata,B1,1\nbigdata,B2,2\nexternal,E3,3\nbigdata,B4,4\n",
        )
        .expect("truth");
        let locations = parse_locations(
            "person_id,status,township,jurisdiction\n\
             1,IN_COUNTY,城关镇,\n2,OUT_OF_COUNTY,,420102\n3,OUT_OF_COUNTY,,420102\n4,IN_COUNTY,,\n",
        )
        .expect("locations");
        let records: Vec<(String, String, i64)> = [
            ("TOWNSHIP", "T1", 10),
            ("BIGDATA", "B1", 10),
            ("BIGDATA", "B2", 20),
            ("EXTERNAL", "E3", 30),
            ("BIGDATA", "B4", 40),
        ]
        .iter()
        .map(|(s, r, p)| ((*s).to_owned(), (*r).to_owned(), *p))
        .collect();
        let statuses: HashMap<i64, LocationStatus> = [
            (10, LocationStatus::InCounty),
            (20, LocationStatus::PendingVerification),
            (30, LocationStatus::InCounty),
            (40, LocationStatus::OutOfCounty),
        ]
        .into_iter()
        .collect();
        let scores = score_locations(&records, &statuses, &truth, &locations);
        assert_eq!(scores.persons, 4);
        assert_eq!(scores.right, 2, "{scores:?}");
        assert_eq!(scores.verified, 2);
        assert_eq!(scores.verified_right, 1);
        assert_eq!(scores.bigdata_only_right, 1);
        assert_eq!(scores.wrong.get("OUT_OF_COUNTY→IN_COUNTY"), Some(&1));
        assert_eq!(scores.wrong.get("IN_COUNTY→OUT_OF_COUNTY"), Some(&1));
    }
}
