//! Stored values read through the schema: a value that cannot be read is an error, never an
//! empty answer.

use async_graphql::{Request, Response};
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, ConnectionTrait as _};

use crate::access::Principal;
use crate::config::Reference;
use crate::db::person;
use crate::graphql::{PaichaSchema, schema};
use crate::register::{HubeiLink, LocationStatus, Register};
use crate::resolve::profile::Profile;

/// A person row with `phones` as given, every optional column left null.
fn person_row(id: i64, phones: &str) -> person::ActiveModel {
    let now = chrono::Utc::now();
    person::ActiveModel {
        id: Set(id),
        phones: Set(phones.to_owned()),
        location_status: Set(LocationStatus::PendingVerification),
        location_conflict: Set(false),
        hubei_link: Set(HubeiLink::Wuhan),
        golden: Set("{}".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// A schema over a scratch register holding `rows`, and the register's database.
async fn schema_with(
    rows: Vec<person::ActiveModel>,
) -> (tempfile::TempDir, PaichaSchema, crate::db::Db) {
    let (dir, db) = crate::db::scratch().await;
    for row in rows {
        row.insert(db.writer_conn()).await.expect("insert person");
    }
    let profile = Profile::builtin("cn-identity")
        .expect("built-in profile")
        .expect("valid profile");
    let reference = Reference::load(None).expect("demo county");
    let register = Register::new(db.clone(), reference, profile);
    (dir, schema(register), db)
}

async fn ask_as_admin(schema: &PaichaSchema, query: &str) -> Response {
    let admin = Principal::unrestricted();
    schema.execute(Request::new(query).data(admin)).await
}

fn codes(response: &Response) -> Vec<String> {
    response
        .errors
        .iter()
        .map(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .map(|c| c.to_string())
                .unwrap_or_default()
        })
        .collect()
}

/// The value at `pointer` in the response's data, if there is one (JSON null is none).
fn field(response: &Response, pointer: &str) -> Option<serde_json::Value> {
    let data = serde_json::to_value(&response.data).expect("data as JSON");
    data.pointer(pointer).filter(|v| !v.is_null()).cloned()
}

#[tokio::test]
async fn phones_stored_as_broken_json_are_an_internal_error_not_an_empty_list() {
    let (_dir, schema, _) = schema_with(vec![
        person_row(1, r#"["13812345678""#),
        person_row(2, "[]"),
    ])
    .await;

    let broken = ask_as_admin(&schema, r#"{ person(id: "1") { id phones } }"#).await;
    let fine = ask_as_admin(&schema, r#"{ person(id: "2") { id phones } }"#).await;

    assert_eq!(codes(&broken), [r#""INTERNAL""#], "{broken:?}");
    assert_eq!(field(&broken, "/person/phones"), None, "no empty list");
    assert!(
        !broken.errors[0].message.contains("1381"),
        "{}",
        broken.errors[0].message
    );
    assert!(fine.errors.is_empty(), "{fine:?}");
    assert_eq!(field(&fine, "/person/phones"), Some(serde_json::json!([])));
}

#[tokio::test]
async fn a_stored_state_no_enum_knows_is_an_internal_error_not_a_default() {
    let (_dir, schema, db) = schema_with(vec![person_row(1, "[]")]).await;
    // Written around the typed entity, as a damaged or hand-edited database would hold it.
    db.writer_conn()
        .execute_unprepared("UPDATE person SET hubei_link = 'SOMEWHERE' WHERE id = 1")
        .await
        .expect("damage the row");

    let response = ask_as_admin(&schema, r#"{ person(id: "1") { hubeiLink } }"#).await;

    assert_eq!(codes(&response), [r#""INTERNAL""#], "{response:?}");
    assert_eq!(field(&response, "/person/hubeiLink"), None, "no default");
}
