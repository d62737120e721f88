//! Resolution: deciding which person a normalised source record belongs to.
//!
//! Pure: no I/O. Two engines live here: the Fellegi–Sunter engine (`profile`, `compare`,
//! `block`, `model`, `cluster`, `engine`) and the foundation's rule-based matcher below —
//! deterministic rules over exact keys — which the register uses until it moves to the engine.

pub mod block;
pub mod cluster;
pub mod compare;
pub mod engine;
pub mod model;
pub mod profile;

use std::collections::HashMap;

use serde::Serialize;

use crate::normalize::IdClass;

/// The identity of a record as the matcher sees it.
#[derive(Debug, Clone, Default)]
pub struct RecordKey<'a> {
    pub name: Option<&'a str>,
    pub id_number: Option<&'a str>,
    pub id_class: Option<IdClass>,
    /// Valid numbers one edit away from a number that failed its checksum.
    pub id_candidates: &'a [String],
    pub phones: Vec<&'a str>,
}

/// What the index keeps of a person: its name, its valid ID number, the masked ID numbers
/// its records gave, and its phones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonKey {
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub masked_ids: Vec<String>,
    pub phones: Vec<String>,
}

impl PersonKey {
    /// True when a full number agrees with the known digits of a masked one of this person.
    fn masked_agrees_with(&self, full: &str) -> bool {
        self.masked_ids.iter().any(|m| masked_agrees(m, full))
    }
}

/// The rule that decided a record's person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rule {
    /// The same valid ID number.
    IdExact,
    /// An ID number one typo away from the person's, and the same name.
    IdNearMissAndName,
    /// The same name and a shared phone, no conflicting ID numbers.
    NameAndPhone,
    /// No name; a shared phone and a masked ID number whose known digits agree.
    PhoneAndMaskedId,
    /// No name and no usable ID; the only person known on that phone.
    OnlyPersonOnPhone,
    /// No person matched: the record founds a new one.
    NewPerson,
}

impl Rule {
    /// The name stored in `record_link.rule`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::IdExact => "ID_EXACT",
            Rule::IdNearMissAndName => "ID_NEAR_MISS_AND_NAME",
            Rule::NameAndPhone => "NAME_AND_PHONE",
            Rule::PhoneAndMaskedId => "PHONE_AND_MASKED_ID",
            Rule::OnlyPersonOnPhone => "ONLY_PERSON_ON_PHONE",
            Rule::NewPerson => "NEW_PERSON",
        }
    }
}

/// One field's part in a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldComparison {
    /// Canonical field name (`id_number`, `name`, `phone`).
    pub field: &'static str,
    /// How the values compared, e.g. `EXACT`, `ONE_EDIT`, `MASKED_AGREE`.
    pub level: &'static str,
    /// The log-likelihood weight this comparison contributed.
    pub weight: f64,
}

/// The person a record belongs to, or none, with the reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub person: Option<i64>,
    pub rule: Rule,
    pub weight: f64,
    pub explanation: Vec<FieldComparison>,
}

// Fixed weights of the rule-based matcher (log2 likelihood ratios of typical m/u values).
const W_ID_EXACT: f64 = 18.0;
const W_ID_ONE_EDIT: f64 = 10.0;
const W_ID_MASKED: f64 = 8.0;
const W_NAME_EXACT: f64 = 7.0;
const W_PHONE_EXACT: f64 = 6.0;

/// An in-memory index of the register's persons by ID number and by phone.
#[derive(Debug, Default)]
pub struct PersonIndex {
    persons: HashMap<i64, PersonKey>,
    by_id: HashMap<String, i64>,
    by_phone: HashMap<String, Vec<i64>>,
}

impl PersonIndex {
    /// Number of persons indexed.
    pub fn len(&self) -> usize {
        self.persons.len()
    }

    /// True when no person is indexed.
    pub fn is_empty(&self) -> bool {
        self.persons.is_empty()
    }

    /// Adds a person, or replaces what the index knew of it.
    pub fn upsert(&mut self, id: i64, key: PersonKey) {
        self.remove(id);
        if let Some(number) = &key.id_number {
            self.by_id.entry(number.clone()).or_insert(id);
        }
        for phone in &key.phones {
            let ids = self.by_phone.entry(phone.clone()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        self.persons.insert(id, key);
    }

    /// Forgets a person.
    pub fn remove(&mut self, id: i64) {
        let Some(old) = self.persons.remove(&id) else {
            return;
        };
        if let Some(number) = &old.id_number
            && self.by_id.get(number) == Some(&id)
        {
            self.by_id.remove(number);
        }
        for phone in &old.phones {
            if let Some(ids) = self.by_phone.get_mut(phone) {
                ids.retain(|p| *p != id);
                if ids.is_empty() {
                    self.by_phone.remove(phone);
                }
            }
        }
    }

    /// What the index knows of a person.
    pub fn get(&self, id: i64) -> Option<&PersonKey> {
        self.persons.get(&id)
    }

    /// Decides which indexed person `record` belongs to.
    pub fn resolve(&self, record: &RecordKey<'_>) -> Decision {
        let valid_id = match record.id_class {
            Some(IdClass::Valid) => record.id_number,
            _ => None,
        };
        if let Some(number) = valid_id
            && let Some(&person) = self.by_id.get(number)
        {
            return decision(
                person,
                Rule::IdExact,
                vec![cmp("id_number", "EXACT", W_ID_EXACT)],
            );
        }
        if record.id_class == Some(IdClass::ChecksumFailed)
            && let Some(name) = record.name
        {
            for candidate in record.id_candidates {
                if let Some(&person) = self.by_id.get(candidate)
                    && self.persons[&person].name.as_deref() == Some(name)
                {
                    return decision(
                        person,
                        Rule::IdNearMissAndName,
                        vec![
                            cmp("id_number", "ONE_EDIT", W_ID_ONE_EDIT),
                            cmp("name", "EXACT", W_NAME_EXACT),
                        ],
                    );
                }
            }
        }

        let mut on_phone: Vec<i64> = Vec::new();
        for phone in &record.phones {
            for &person in self.by_phone.get(*phone).map_or(&[][..], Vec::as_slice) {
                if !on_phone.contains(&person) {
                    on_phone.push(person);
                }
            }
        }
        on_phone.sort_unstable();
        let id_conflicts = |key: &PersonKey| match (valid_id, key.id_number.as_deref()) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        if let Some(name) = record.name
            && let Some(&person) = on_phone.iter().find(|p| {
                let key = &self.persons[p];
                key.name.as_deref() == Some(name) && !id_conflicts(key)
            })
        {
            return decision(
                person,
                Rule::NameAndPhone,
                vec![
                    cmp("name", "EXACT", W_NAME_EXACT),
                    cmp("phone", "EXACT", W_PHONE_EXACT),
                ],
            );
        }
        // A nameless person known only from a big-data list: its masked ID's digits agree.
        if let Some(full) = valid_id {
            let agreeing: Vec<i64> = on_phone
                .iter()
                .copied()
                .filter(|p| {
                    let key = &self.persons[p];
                    key.id_number.is_none()
                        && key.masked_agrees_with(full)
                        && record
                            .name
                            .is_none_or(|n| key.name.as_deref().is_none_or(|k| k == n))
                })
                .collect();
            if let [person] = agreeing[..] {
                return decision(
                    person,
                    Rule::PhoneAndMaskedId,
                    vec![
                        cmp("id_number", "MASKED_AGREE", W_ID_MASKED),
                        cmp("phone", "EXACT", W_PHONE_EXACT),
                    ],
                );
            }
        }
        if record.name.is_some() {
            return new_person();
        }
        if record.id_class == Some(IdClass::Masked)
            && let Some(masked) = record.id_number
        {
            let agreeing: Vec<i64> = on_phone
                .iter()
                .copied()
                .filter(|p| {
                    self.persons[p]
                        .id_number
                        .as_deref()
                        .is_some_and(|full| masked_agrees(masked, full))
                })
                .collect();
            if let [person] = agreeing[..] {
                return decision(
                    person,
                    Rule::PhoneAndMaskedId,
                    vec![
                        cmp("id_number", "MASKED_AGREE", W_ID_MASKED),
                        cmp("phone", "EXACT", W_PHONE_EXACT),
                    ],
                );
            }
            return new_person();
        }
        if valid_id.is_none()
            && let [person] = on_phone[..]
        {
            return decision(
                person,
                Rule::OnlyPersonOnPhone,
                vec![cmp("phone", "EXACT", W_PHONE_EXACT)],
            );
        }
        new_person()
    }
}

/// True when the known digits of a masked number (`420102********1234`) agree with `full`.
pub fn masked_agrees(masked: &str, full: &str) -> bool {
    if masked.len() != full.len() {
        return false;
    }
    masked
        .bytes()
        .zip(full.bytes())
        .all(|(m, f)| m == b'*' || m == f)
}

fn cmp(field: &'static str, level: &'static str, weight: f64) -> FieldComparison {
    FieldComparison {
        field,
        level,
        weight,
    }
}

fn decision(person: i64, rule: Rule, explanation: Vec<FieldComparison>) -> Decision {
    Decision {
        person: Some(person),
        rule,
        weight: explanation.iter().map(|c| c.weight).sum(),
        explanation,
    }
}

fn new_person() -> Decision {
    Decision {
        person: None,
        rule: Rule::NewPerson,
        weight: 0.0,
        explanation: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> PersonIndex {
        let mut index = PersonIndex::default();
        index.upsert(
            1,
            PersonKey {
                name: Some("张伟".into()),
                id_number: Some("420102199001011234".into()),
                masked_ids: Vec::new(),
                phones: vec!["13800138000".into()],
            },
        );
        index.upsert(
            2,
            PersonKey {
                name: Some("张丽".into()),
                id_number: Some("420102199203041221".into()),
                masked_ids: Vec::new(),
                phones: vec!["13800138000".into()],
            },
        );
        index
    }

    #[test]
    fn the_same_valid_id_number_is_the_same_person() {
        let d = index().resolve(&RecordKey {
            id_number: Some("420102199001011234"),
            id_class: Some(IdClass::Valid),
            ..RecordKey::default()
        });
        assert_eq!((d.person, d.rule), (Some(1), Rule::IdExact));
    }

    #[test]
    fn family_members_sharing_a_phone_are_told_apart_by_name() {
        let d = index().resolve(&RecordKey {
            name: Some("张丽"),
            phones: vec!["13800138000"],
            ..RecordKey::default()
        });
        assert_eq!((d.person, d.rule), (Some(2), Rule::NameAndPhone));
    }

    #[test]
    fn a_phone_shared_by_a_family_alone_decides_nothing() {
        let d = index().resolve(&RecordKey {
            phones: vec!["13800138000"],
            ..RecordKey::default()
        });
        assert_eq!(d.person, None);
    }

    #[test]
    fn a_masked_id_picks_the_family_member_whose_digits_agree() {
        let d = index().resolve(&RecordKey {
            id_number: Some("420102********1221"),
            id_class: Some(IdClass::Masked),
            phones: vec!["13800138000"],
            ..RecordKey::default()
        });
        assert_eq!((d.person, d.rule), (Some(2), Rule::PhoneAndMaskedId));
    }

    #[test]
    fn a_full_id_finds_the_nameless_list_entry_whose_masked_digits_agree() {
        let mut index = index();
        index.upsert(
            3,
            PersonKey {
                masked_ids: vec!["4201**********5678".into()],
                phones: vec!["13900000000".into()],
                ..PersonKey::default()
            },
        );
        let d = index.resolve(&RecordKey {
            name: Some("李强"),
            id_number: Some("420102198801015678"),
            id_class: Some(IdClass::Valid),
            phones: vec!["13900000000"],
            ..RecordKey::default()
        });
        assert_eq!((d.person, d.rule), (Some(3), Rule::PhoneAndMaskedId));
        let other = index.resolve(&RecordKey {
            name: Some("李强"),
            id_number: Some("420102198801011111"),
            id_class: Some(IdClass::Valid),
            phones: vec!["13900000000"],
            ..RecordKey::default()
        });
        assert_eq!(other.person, None, "digits disagree");
    }

    #[test]
    fn two_different_valid_ids_are_never_the_same_person() {
        let d = index().resolve(&RecordKey {
            name: Some("张伟"),
            id_number: Some("420102199001015678"),
            id_class: Some(IdClass::Valid),
            phones: vec!["13800138000"],
            ..RecordKey::default()
        });
        assert_eq!(d.person, None);
    }
}
