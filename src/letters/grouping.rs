//! Which letter each person outside the county goes in: one letter per destination
//! jurisdiction, addressed at the most specific level the register knows (a county-level
//! division from the national table; a city or province when that is all that is known).
//! Persons whose destination is unknown are listed, never dropped.

use std::collections::BTreeMap;

use crate::normalize::{Divisions, divisions::DivisionLevel};

/// A jurisdiction a letter is addressed to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Addressee {
    /// Its GB/T 2260 code.
    pub code: String,
    /// Its name as the table gives it (`孝南区`, `武汉市`, `北京市`).
    pub name: String,
}

/// The jurisdiction a letter about a person at `code` goes to: the division itself when the
/// table has it as a real place; the city, then the province, for a code the table does not
/// have or a stand-in row (`市辖区`, `省直辖县级行政区划`); `None` when not even the province
/// is known.
pub fn addressee(divisions: &Divisions, code: &str) -> Option<Addressee> {
    let of = |d: &crate::normalize::divisions::Division| Addressee {
        code: d.code.clone(),
        name: d.name.clone(),
    };
    if let Some(d) = divisions.get(code)
        && !d.is_placeholder()
    {
        return Some(of(d));
    }
    let level = divisions.get(code).map(|d| d.level);
    if level != Some(DivisionLevel::City)
        && let Some(city) = divisions.city_of(code)
    {
        return Some(of(city));
    }
    divisions.province_of(code).map(of)
}

/// The persons to draft, grouped: one entry per addressee, and those without one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grouping {
    /// Addressee → persons, each list ascending.
    pub letters: BTreeMap<Addressee, Vec<i64>>,
    /// Persons whose destination is unknown, ascending.
    pub unaddressed: Vec<i64>,
}

/// Groups `persons` (person, destination code when known) by addressee.
pub fn group(divisions: &Divisions, persons: &[(i64, Option<String>)]) -> Grouping {
    let mut grouping = Grouping::default();
    for (person, destination) in persons {
        match destination.as_deref().and_then(|c| addressee(divisions, c)) {
            Some(to) => grouping.letters.entry(to).or_default().push(*person),
            None => grouping.unaddressed.push(*person),
        }
    }
    for list in grouping.letters.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    grouping.unaddressed.sort_unstable();
    grouping.unaddressed.dedup();
    grouping
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(a: &Option<Addressee>) -> Option<&str> {
        a.as_ref().map(|a| a.code.as_str())
    }

    #[test]
    fn a_county_is_addressed_as_itself_a_city_or_province_at_its_level() {
        let d = Divisions::embedded();
        assert_eq!(code(&addressee(d, "420902")), Some("420902"));
        assert_eq!(code(&addressee(d, "420100")), Some("420100"));
        assert_eq!(code(&addressee(d, "420000")), Some("420000"));
        // A county code the table does not have goes to its city.
        assert_eq!(code(&addressee(d, "420199")), Some("420100"));
        assert_eq!(addressee(d, "990000"), None);
    }

    #[test]
    fn persons_are_grouped_by_addressee_and_the_unknown_are_listed() {
        let d = Divisions::embedded();
        let g = group(
            d,
            &[
                (3, Some("420902".into())),
                (1, Some("420902".into())),
                (2, Some("420100".into())),
                (4, None),
                (5, Some("990000".into())),
            ],
        );
        assert_eq!(g.letters.len(), 2);
        let lists: Vec<&Vec<i64>> = g.letters.values().collect();
        assert!(lists.contains(&&vec![1, 3]));
        assert!(lists.contains(&&vec![2]));
        assert_eq!(g.unaddressed, vec![4, 5]);
    }
}
