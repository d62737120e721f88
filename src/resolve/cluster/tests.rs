//! Unit tests of the clustering's rules on what is asked and what is linked.

use super::*;

#[test]
fn an_address_with_more_places_before_it_is_the_same_household() {
    assert!(same_household("青溪县黄湾镇潘集村7组44号", "潘集村7组44号"));
    assert!(same_household(
        "潘集村7组44号",
        "河南省信阳市青溪县黄湾镇潘集村7组44号"
    ));
    assert!(!same_household("潘集村7组44号", "潘集村7组45号"));
    // A township's name alone names no household.
    assert!(!same_household("信阳市青溪县黄湾镇", "青溪县黄湾镇"));
}

#[test]
fn a_family_members_record_is_not_raised_when_only_the_household_agrees() {
    let profile = crate::config::load_profile("cn-identity").expect("profile");
    let model = Model::untrained(&profile);
    let field = |field: &str, weight: f64| super::super::model::FieldScore {
        field: field.to_owned(),
        level: String::new(),
        weight,
    };
    let score = |fields: Vec<super::super::model::FieldScore>| Score {
        total: fields.iter().map(|f| f.weight).sum(),
        fields,
        forbidden: false,
    };
    // Another ID number, the same phone and address: a relative.
    let relative = score(vec![
        field("prior", 1.2),
        field("id_number", -7.6),
        field("phones", 13.8),
        field("address", 0.0),
    ]);
    assert!(only_household_agrees(&model, &relative));
    // The same, with a birth date agreeing: a question for an analyst.
    let more = score(vec![
        field("id_number", -7.6),
        field("phones", 13.8),
        field("birth_date", 14.1),
    ]);
    assert!(!only_household_agrees(&model, &more));
    // No ID number to tell them apart: a question too.
    let phone_only = score(vec![field("phones", 13.8)]);
    assert!(!only_household_agrees(&model, &phone_only));
}

/// A record of the cn-identity profile with the given fields set.
fn record(
    profile: &crate::resolve::profile::Profile,
    set: &[(&str, FieldValue)],
) -> Vec<FieldValue> {
    let mut r = vec![FieldValue::Missing; profile.fields.len()];
    for (field, value) in set {
        r[profile.field_index(field).expect("field")] = value.clone();
    }
    r
}

fn id(full: Option<&str>, masked: Option<&str>) -> FieldValue {
    FieldValue::Id(Box::new(super::super::compare::IdValue {
        full: full.map(Into::into),
        valid: full.is_some(),
        candidates: Vec::new(),
        masked: masked.map(Into::into),
    }))
}

fn phone(p: &str) -> FieldValue {
    FieldValue::Set(vec![p.into()].into_boxed_slice())
}

fn name(n: &str) -> FieldValue {
    FieldValue::Name(super::super::compare::NameValue::new(n, ""))
}

#[test]
fn a_nameless_mask_is_not_asked_about_a_person_two_other_fields_tell_apart() {
    let profile = crate::config::load_profile("cn-identity").expect("profile");
    let model = Model::untrained(&profile);
    let nameless = record(
        &profile,
        &[
            ("id_number", id(None, Some("4115**********0378"))),
            ("phones", phone("13598761234")),
        ],
    );
    let named = record(
        &profile,
        &[
            ("id_number", id(Some("411599198104300378"), None)),
            ("name", name("周建军")),
            ("phones", phone("13700001111")),
        ],
    );
    let records = vec![nameless.clone(), named.clone()];
    let field = |field: &str, weight: f64| super::super::model::FieldScore {
        field: field.to_owned(),
        level: String::new(),
        weight,
    };
    let pair = |fields: Vec<super::super::model::FieldScore>| ReviewPair {
        a: 0,
        b: 1,
        score: Score {
            total: fields.iter().map(|f| f.weight).sum(),
            fields,
            forbidden: false,
        },
    };
    // The mask fits, the phone and the arrival date differ: a stranger's row.
    let apart = pair(vec![
        field("prior", -0.1),
        field("id_number", 9.0),
        field("phones", -4.1),
        field("arrival_date", -2.7),
    ]);
    assert!(a_mask_alone_against_disagreement(&model, &records, &apart));
    // Only the phone differs and nothing else agrees: the mask alone, not asked.
    let mask_alone = pair(vec![
        field("prior", -0.1),
        field("id_number", 9.0),
        field("phones", -4.1),
    ]);
    assert!(a_mask_alone_against_disagreement(
        &model,
        &records,
        &mask_alone
    ));
    // Only the phone differs, and the arrival day agrees (a second SIM?): asked.
    let second_sim = pair(vec![
        field("prior", -0.1),
        field("id_number", 9.0),
        field("phones", -4.1),
        field("arrival_date", 3.8),
    ]);
    assert!(!a_mask_alone_against_disagreement(
        &model,
        &records,
        &second_sim
    ));
    // A row that names someone is asked whatever disagrees.
    let mut with_name = nameless;
    with_name[profile.field_index("name").expect("name")] = name("周建君");
    let records = vec![with_name, named];
    assert!(!a_mask_alone_against_disagreement(&model, &records, &apart));
}

#[test]
fn a_member_known_without_an_address_does_not_break_the_household() {
    let profile = crate::config::load_profile("cn-identity").expect("profile");
    let model = Model::untrained(&profile);
    let shared = "13598761234";
    let member = |n: &str, number: &str, address: Option<&str>| {
        let mut fields = vec![
            ("id_number", id(Some(number), None)),
            ("name", name(n)),
            ("phones", phone(shared)),
        ];
        if let Some(a) = address {
            fields.push(("address", FieldValue::text(Some(a))));
        }
        record(&profile, &fields)
    };
    let records = vec![
        member(
            "周建军",
            "411599198104300378",
            Some("青溪县城关镇幸福路8号"),
        ),
        member("李秀英", "411599198306120420", Some("幸福路8号")),
        // Known only from a big-data list: no address.
        member("周明", "41159920110914003X", None),
        record(&profile, &[("phones", phone(shared))]),
    ];
    let scored: Vec<(u32, u32, f64)> = (0..3)
        .map(|m| (m, 3, model.total(&records[m as usize], &records[3]).0))
        .collect();
    assert!(scored.iter().all(|s| s.2 >= profile.thresholds.merge));
    let clustering = cluster(&model, &records, &scored, &Constraints::default());
    assert_eq!(clustering.households.len(), 1, "{:?}", clustering.review);
    let link = &clustering.households[0];
    assert_eq!(link.records, [3]);
    assert_eq!(link.members, [0, 1, 2]);
    assert_eq!(link.shared, "青溪县城关镇幸福路8号");
    assert!(clustering.review.is_empty());
    // The same records in another order: the same link.
    let reversed: Vec<Vec<FieldValue>> = records.iter().rev().cloned().collect();
    let scored: Vec<(u32, u32, f64)> = scored.iter().map(|&(m, w, t)| (3 - w, 3 - m, t)).collect();
    let again = cluster(&model, &reversed, &scored, &Constraints::default());
    assert_eq!(again.households.len(), 1);
    assert_eq!(again.households[0].records, [0]);
    assert_eq!(again.households[0].members, [1, 2, 3]);
}

#[test]
fn a_phone_housemates_each_fit_is_the_households_however_much_better_one_fits() {
    let profile = crate::config::load_profile("cn-identity").expect("profile");
    let model = Model::untrained(&profile);
    let shared = "13598761234";
    let member = |n: &str, number: &str, arrival: &str| {
        record(
            &profile,
            &[
                ("id_number", id(Some(number), None)),
                ("name", name(n)),
                ("phones", phone(shared)),
                ("address", FieldValue::text(Some("青溪县城关镇幸福路8号"))),
                ("arrival_date", FieldValue::text(Some(arrival))),
            ],
        )
    };
    let records = vec![
        member("周建军", "411599198104300378", "2020-01-20"),
        member("李秀英", "411599198306120420", "2020-01-23"),
        // A telecom row: the phone, and the day its holder arrived.
        record(
            &profile,
            &[
                ("phones", phone(shared)),
                ("arrival_date", FieldValue::text(Some("2020-01-20"))),
            ],
        ),
    ];
    let scored: Vec<(u32, u32, f64)> = (0..2)
        .map(|m| (m, 2, model.total(&records[m as usize], &records[2]).0))
        .collect();
    // Both could take the row, and the first fits clearly best (the same arrival day).
    assert!(scored.iter().all(|s| s.2 >= profile.thresholds.merge));
    let (first, second) = (
        model.total_ungrouped(&records[0], &records[2]),
        model.total_ungrouped(&records[1], &records[2]),
    );
    assert!(
        first - second >= profile.ambiguity_margin,
        "{first} {second}"
    );
    // A household's members travel together: the day does not tell whose phone it is.
    let clustering = cluster(&model, &records, &scored, &Constraints::default());
    assert_eq!(clustering.cluster, [0, 1, 2]);
    assert_eq!(clustering.households.len(), 1);
    assert_eq!(clustering.households[0].records, [2]);
    assert_eq!(clustering.households[0].members, [0, 1]);
    // Without the housemate, the row is the one person's.
    let alone = [records[0].clone(), records[2].clone()];
    let clustering = cluster(
        &model,
        &alone,
        &[(0, 1, scored[0].2)],
        &Constraints::default(),
    );
    assert_eq!(clustering.cluster, [0, 0]);
    assert!(clustering.households.is_empty());
}

#[test]
fn a_mask_whose_shown_digits_differ_from_a_number_is_another_person() {
    let profile = crate::config::load_profile("cn-identity").expect("profile");
    let model = Model::untrained(&profile);
    let shared = "13598761234";
    let holder = |masked: &str| {
        record(
            &profile,
            &[
                ("id_number", id(None, Some(masked))),
                ("phones", phone(shared)),
            ],
        )
    };
    let person = record(
        &profile,
        &[
            ("id_number", id(Some("411599198306120420"), None)),
            ("name", name("李秀英")),
            ("phones", phone(shared)),
        ],
    );
    // The phone's registered holder is someone else: never the same person, whatever the
    // phone says.
    let other = model.score(&holder("4115**********0378"), &person);
    assert!(other.forbidden);
    assert_eq!(other.total, f64::NEG_INFINITY);
    let masks = model.total(&holder("4115**********0378"), &holder("4115**********0420"));
    assert_eq!(masks.0, f64::NEG_INFINITY);
    // A mask the number fits is evidence as before.
    let fits = model.score(&holder("4115**********0420"), &person);
    assert!(!fits.forbidden);
    assert!(fits.total >= profile.thresholds.merge);
}
