//! A record's comparison values: what the engine compares of each record, made from its
//! normalised identity (or its raw row) for the fields a profile names.

use chrono::NaiveDate;

use crate::normalize::IdClass;
use crate::register::golden::StoredIdentity;
use crate::resolve::compare::{FieldValue, IdValue, NameValue};
use crate::resolve::profile::Profile;

/// Makes one comparison value of a record from its normalised identity.
type FromIdentity = fn(&StoredIdentity) -> FieldValue;

/// The comparison fields taken from the normalised identity, by the name a profile gives
/// them. A profile field not in this table is read from the raw row's column of that name.
const IDENTITY_FIELDS: [(&str, FromIdentity); 10] = [
    ("id_number", id_number),
    ("name", name),
    ("phones", |s| {
        FieldValue::Set(
            s.identity
                .phones
                .iter()
                .map(|p| p.number.as_str().into())
                .collect(),
        )
    }),
    ("birth_date", |s| date(s.identity.birth_date)),
    ("arrival_date", |s| date(s.identity.arrival_date)),
    ("sex", |s| {
        FieldValue::text(s.identity.sex.map(|s| s.as_str()))
    }),
    ("township", |s| {
        FieldValue::text(s.identity.township.as_deref())
    }),
    ("village", |s| {
        FieldValue::text(s.identity.village.as_deref())
    }),
    ("address", |s| FieldValue::text(s.address.as_deref())),
    ("origin", |s| FieldValue::text(s.origin.as_deref())),
];

/// How the field called `name` is made from the identity, if it is one of the identity's.
fn from_identity(name: &str) -> Option<FromIdentity> {
    IDENTITY_FIELDS
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(_, make)| *make)
}

/// The field values of a record for `profile`: normalised identity fields by name, any other
/// field from the raw row's column of that name.
pub fn field_values(
    profile: &Profile,
    identity: &StoredIdentity,
    raw: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Vec<FieldValue> {
    profile
        .fields
        .iter()
        .map(|f| match from_identity(&f.name) {
            Some(make) => make(identity),
            None => FieldValue::text(
                raw.and_then(|r| r.get(&f.name))
                    .and_then(serde_json::Value::as_str),
            ),
        })
        .collect()
}

/// True when the profile reads columns of the raw row (not only the normalised identity).
pub fn needs_raw(profile: &Profile) -> bool {
    profile
        .fields
        .iter()
        .any(|f| from_identity(&f.name).is_none())
}

fn date(d: Option<NaiveDate>) -> FieldValue {
    d.map_or(FieldValue::Missing, |d| {
        FieldValue::Text(compact_str::format_compact!("{d}"))
    })
}

/// A valid number in full, a number failing its checksum with the valid ones it may have
/// been, or a masked 18-character number; anything else is missing.
fn id_number(s: &StoredIdentity) -> FieldValue {
    let i = &s.identity;
    match (&i.id_number, i.id_class) {
        (Some(n), Some(IdClass::Valid)) => FieldValue::Id(Box::new(IdValue {
            full: Some(n.as_str().into()),
            valid: true,
            candidates: Vec::new(),
            masked: None,
        })),
        (Some(n), Some(IdClass::ChecksumFailed)) => FieldValue::Id(Box::new(IdValue {
            full: Some(n.as_str().into()),
            valid: false,
            candidates: i.id_candidates.clone(),
            masked: None,
        })),
        (Some(n), Some(IdClass::Masked)) if n.len() == 18 => FieldValue::Id(Box::new(IdValue {
            full: None,
            valid: false,
            candidates: Vec::new(),
            masked: Some(n.as_str().into()),
        })),
        _ => FieldValue::Missing,
    }
}

fn name(s: &StoredIdentity) -> FieldValue {
    match (&s.identity.name, &s.identity.name_pinyin) {
        (Some(full), pinyin) => {
            FieldValue::Name(NameValue::new(full, pinyin.as_deref().unwrap_or_default()))
        }
        _ => FieldValue::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str) -> Profile {
        crate::config::load_profile(name).expect("profile")
    }

    #[test]
    fn the_builtin_profile_compares_the_identity_alone() {
        let profile = profile("cn-identity");
        assert!(!needs_raw(&profile));
        let mut identity = StoredIdentity::default();
        identity.identity.township = Some("城关镇".to_owned());
        identity.origin = Some("武汉".to_owned());
        let values = field_values(&profile, &identity, None);
        assert_eq!(values.len(), profile.fields.len());
        for (field, value) in profile.fields.iter().zip(&values) {
            let expected = match field.name.as_str() {
                "township" => FieldValue::Text("城关镇".into()),
                "origin" => FieldValue::Text("武汉".into()),
                "phones" => FieldValue::Set(Box::default()),
                _ => FieldValue::Missing,
            };
            assert_eq!(*value, expected, "{}", field.name);
        }
    }

    #[test]
    fn a_field_the_identity_does_not_hold_is_read_from_the_raw_row() {
        let profile = profile("febrl");
        assert!(needs_raw(&profile));
        let raw: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"given_name": " kate ", "postcode": 2600}"#).expect("raw");
        let values = field_values(&profile, &StoredIdentity::default(), Some(&raw));
        let of = |name: &str| {
            let i = profile.fields.iter().position(|f| f.name == name);
            values[i.expect("a field of the profile")].clone()
        };
        assert_eq!(of("given_name"), FieldValue::Text("kate".into()));
        // Only text counts; a number in the raw row is no value.
        assert_eq!(of("postcode"), FieldValue::Missing);
        assert_eq!(of("surname"), FieldValue::Missing);
    }
}
