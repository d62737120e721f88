//! The golden record (issue 19): place fields chosen together from the newest on-site check;
//! an ID number one typo off the golden one is a conflict, a shorter form of the address is
//! not.

use paicha::intake::SourceKind;
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_file};

crate::on_every_backend!(
    the_golden_place_never_mixes_the_township_and_village_of_different_checks,
    an_id_number_one_typo_off_is_a_conflict_and_a_shorter_address_is_not,
);

const HEADER: &str = "record_id,township,village,name,sex,age,id_number,phone,address,origin,arrival_date,report_date\n";

const GOLDEN: &str =
    "query($id: ID!) { person(id: $id) { township village address(unmasked: true) hasConflicts
    golden(unmasked: true) {
      township { value conflicts { value } }
      village { value }
      address { value sourceRecordIds conflicts { value } }
      idNumber { value sourceRecordIds conflicts { value sourceRecordIds } } } } }";

async fn golden_of(app: &TestApp, record_id: &str) -> Value {
    let id = app.person_of(SourceKind::Township, record_id).await;
    app.gql_data(GOLDEN, json!({ "id": id.to_string() }))
        .await
        .get("person")
        .cloned()
        .unwrap_or(Value::Null)
}

async fn conflicted_persons(app: &TestApp) -> Vec<String> {
    let data = app
        .gql_data(
            "{ persons(first: 100, filter: { hasConflicts: true }) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    data["persons"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn the_golden_place_never_mixes_the_township_and_village_of_different_checks(app: TestApp) {
    // The older check names only the township; the newer one, days later, another township
    // and its village. Both are on-site checks: the newer one is where the person is.
    let csv = format!(
        "{HEADER}\
         PM-1,高桥乡,,潘建国,男,45,411599197503120310,13912345601,高桥乡,武汉市,2020-01-20,2020-01-26\n\
         PM-2,杨柳乡,梅岭村,潘建国,男,45,411599197503120310,13912345601,杨柳乡梅岭村3组,武汉市,2020-01-20,2020-01-28\n"
    );
    import_file(&app.register, SourceKind::Township, "moved.csv", csv).await;
    assert_eq!(
        app.person_of(SourceKind::Township, "PM-1").await,
        app.person_of(SourceKind::Township, "PM-2").await,
        "one person"
    );
    let person = golden_of(&app, "PM-1").await;
    assert_eq!(person["township"], "杨柳乡", "{person}");
    assert_eq!(person["village"], "梅岭村", "{person}");
    assert_eq!(person["address"], "杨柳乡梅岭村3组", "{person}");
    assert_eq!(person["golden"]["township"]["value"], "杨柳乡", "{person}");
    assert_eq!(person["golden"]["village"]["value"], "梅岭村", "{person}");
    // The other township is shown as a conflict, not hidden.
    assert_eq!(
        person["golden"]["township"]["conflicts"][0]["value"], "高桥乡",
        "{person}"
    );
}

async fn an_id_number_one_typo_off_is_a_conflict_and_a_shorter_address_is_not(app: TestApp) {
    // HX-3's number has two neighbouring digits swapped (its checksum fails); HX-2 writes
    // the address of HX-1 shorter; a second person, WD-1, has records that agree.
    let csv = format!(
        "{HEADER}\
         HX-1,高桥乡,高桥村,黄秀英,女,31,411599198806070220,13912345602,河南省信阳市青溪县高桥乡高桥村5组,武汉市,2020-01-20,2020-01-27\n\
         HX-2,高桥乡,高桥村,黄秀英,女,31,411599198806070220,13912345602,信阳市青溪县高桥乡,武汉市,2020-01-20,2020-01-26\n\
         HX-3,高桥乡,高桥村,黄秀英,女,31,411599198806700220,13912345602,河南省信阳市青溪县高桥乡高桥村５组,武汉市,2020-01-20,2020-01-25\n\
         WD-1,高桥乡,罗洼村,王德明,男,58,411599199202140413,13912345603,高桥乡罗洼村2组,武汉市,2020-01-21,2020-01-26\n"
    );
    import_file(&app.register, SourceKind::Township, "typo.csv", csv).await;
    let person_id = app.person_of(SourceKind::Township, "HX-1").await;
    for other in ["HX-2", "HX-3"] {
        assert_eq!(
            app.person_of(SourceKind::Township, other).await,
            person_id,
            "{other} is the same person"
        );
    }
    let person = golden_of(&app, "HX-1").await;
    let id_number = &person["golden"]["idNumber"];
    assert_eq!(id_number["value"], "411599198806070220", "{person}");
    assert_eq!(
        id_number["conflicts"][0]["value"], "411599198806700220",
        "{person}"
    );
    assert_eq!(
        id_number["conflicts"].as_array().map(Vec::len),
        Some(1),
        "{person}"
    );
    let address = &person["golden"]["address"];
    assert_eq!(
        address["value"], "河南省信阳市青溪县高桥乡高桥村5组",
        "{person}"
    );
    assert_eq!(address["conflicts"], json!([]), "{person}");
    assert_eq!(
        address["sourceRecordIds"].as_array().map(Vec::len),
        Some(2),
        "the full-width form is the same address: {person}"
    );
    assert_eq!(person["hasConflicts"], true, "{person}");

    let conflicted = conflicted_persons(&app).await;
    assert!(
        conflicted.contains(&person_id.to_string()),
        "{conflicted:?}"
    );
    let agreeing = app.person_of(SourceKind::Township, "WD-1").await;
    assert!(
        !conflicted.contains(&agreeing.to_string()),
        "{conflicted:?}"
    );
    let other = golden_of(&app, "WD-1").await;
    assert_eq!(other["hasConflicts"], false, "{other}");
}
