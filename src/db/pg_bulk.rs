//! Bulk rows for PostgreSQL: a chunk of rows sent as one JSON parameter and unpacked by the
//! server (`json_populate_recordset`), instead of one bound parameter per value.
//!
//! A multi-row `INSERT … VALUES` of 500 rows binds some ten thousand parameters; PostgreSQL
//! parses, binds and plans each of them, and sqlx encodes each one. One text parameter per
//! chunk keeps every row inside the caller's transaction, in the statement cache (the SQL
//! text is the same for every chunk) and out of the planner's way: the server turns the JSON
//! into rows of the table's own type in C. Large writes copy their rows instead
//! ([`super::pg_copy`]), which the server reads faster still but which needs a connection
//! beside the transaction's.
//!
//! Values are written as the table's columns read them from text: numbers and booleans as
//! JSON scalars, timestamps in RFC 3339 to the microsecond (what sqlx binds), dates as
//! `YYYY-MM-DD`, bytes as `\x…` hex, floats that JSON cannot hold (`NaN`, `Infinity`) as the
//! strings PostgreSQL reads them from.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::{OptionEnum, Value};
use sea_orm::{DbBackend, EntityTrait, IdenStatic, Iterable, ModelTrait, Statement};

use super::rows::{OnConflict, conflict_clause, quoted};

/// One statement inserting `models` into `E`'s table on PostgreSQL, every column in the
/// entity's order, the rows as one JSON parameter. `None` when there is nothing to insert.
pub fn insert<E: EntityTrait>(
    models: &[E::Model],
    on_conflict: &OnConflict<E::Column>,
) -> Option<Statement> {
    if models.is_empty() {
        return None;
    }
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let table = quoted(E::default().table_name());
    // Quoted for SQL, each name is also the JSON key of its value.
    let names: Vec<String> = columns.iter().map(|c| quoted(c.as_str())).collect();
    let list = names.join(", ");
    let sql = format!(
        "INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{table}, $1::json){}",
        conflict_clause(on_conflict)
    );
    let mut json = String::with_capacity(models.len() * columns.len() * 16);
    json.push('[');
    for (r, model) in models.iter().enumerate() {
        json.push_str(if r == 0 { "{" } else { ",{" });
        for (i, (c, name)) in columns.iter().zip(&names).enumerate() {
            if i > 0 {
                json.push(',');
            }
            // A column name is an identifier: quoted for SQL, it is also a JSON string.
            json.push_str(name);
            json.push(':');
            write_value::<Json>(&mut json, &model.get(*c));
        }
        json.push('}');
    }
    json.push(']');
    Some(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [Value::String(Some(json))],
    ))
}

/// How a text format writes the values of PostgreSQL columns: each value as the text its
/// column reads, in the format's own quoting.
pub(super) trait ColumnText {
    /// A NULL.
    fn null(out: &mut String);
    /// A number or a boolean, written as it is.
    fn bare(out: &mut String, v: impl std::fmt::Display) {
        let _ = write!(out, "{v}");
    }
    /// Any other text, quoted or escaped as the format needs.
    fn text(out: &mut String, s: &str);
    /// A JSON value.
    fn json(out: &mut String, json: &serde_json::Value);
}

/// Appends `value` to `out` in the format `F` as the text its column reads back as `value`:
/// timestamps in RFC 3339 to the microsecond (what sqlx binds), dates as `YYYY-MM-DD`, bytes
/// as `\x…` hex, floats that JSON cannot hold (`NaN`, `Infinity`) as the texts PostgreSQL
/// reads them from.
pub(super) fn write_value<F: ColumnText>(out: &mut String, value: &Value) {
    match value {
        Value::Bool(Some(b)) => F::bare(out, b),
        Value::TinyInt(Some(v)) => F::bare(out, v),
        Value::SmallInt(Some(v)) => F::bare(out, v),
        Value::Int(Some(v)) => F::bare(out, v),
        Value::BigInt(Some(v)) => F::bare(out, v),
        Value::TinyUnsigned(Some(v)) => F::bare(out, v),
        Value::SmallUnsigned(Some(v)) => F::bare(out, v),
        Value::Unsigned(Some(v)) => F::bare(out, v),
        Value::BigUnsigned(Some(v)) => F::bare(out, v),
        Value::Float(Some(v)) => write_float::<F>(out, f64::from(*v)),
        Value::Double(Some(v)) => write_float::<F>(out, *v),
        Value::String(Some(s)) => F::text(out, s),
        Value::Char(Some(c)) => F::text(out, c.encode_utf8(&mut [0; 4])),
        Value::Enum(OptionEnum::Some(e)) => F::text(out, &e.value),
        Value::Bytes(Some(bytes)) => F::text(out, &format!("\\x{}", hex::encode(bytes))),
        Value::Json(Some(json)) => F::json(out, json),
        Value::ChronoDateTimeUtc(Some(at)) => F::text(out, &stamp(at)),
        Value::ChronoDateTimeWithTimeZone(Some(at)) => {
            F::text(out, &stamp(&at.with_timezone(&Utc)));
        }
        Value::ChronoDateTime(Some(at)) => {
            F::text(out, &at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
        }
        Value::ChronoDate(Some(d)) => F::text(out, &d.format("%Y-%m-%d").to_string()),
        Value::ChronoTime(Some(t)) => F::text(out, &t.format("%H:%M:%S%.6f").to_string()),
        // Every `None`, and the variants the register's tables never hold.
        other => match sea_orm::sea_query::sea_value_to_json_value(other) {
            serde_json::Value::Null => F::null(out),
            serde_json::Value::String(s) => F::text(out, &s),
            json => F::json(out, &json),
        },
    }
}

/// A float; JSON has no `NaN` or infinities, PostgreSQL reads them from these texts.
fn write_float<F: ColumnText>(out: &mut String, v: f64) {
    if v.is_nan() {
        F::text(out, "NaN");
    } else if v.is_infinite() {
        F::text(out, if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // `{:?}` writes the shortest text that reads back as the same float.
        F::bare(out, format_args!("{v:?}"));
    }
}

/// Values as JSON: texts quoted, NULL as `null`.
struct Json;

impl ColumnText for Json {
    fn null(out: &mut String) {
        out.push_str("null");
    }

    fn text(out: &mut String, s: &str) {
        push_string(out, s);
    }

    fn json(out: &mut String, json: &serde_json::Value) {
        let _ = write!(out, "{json}");
    }
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

/// A JSON string: quotes, backslashes and control characters escaped.
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// A timestamp as sqlx binds it: to the microsecond, cut rather than rounded.
pub(super) fn stamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// One statement inserting rows of integers into `target` (`table (columns)`, one column for
/// each of the `N` values of a row) on PostgreSQL: each column sent as one array literal
/// (`{1,2,3}`, nothing in it to escape) and the rows made by `unnest`. `None` for no rows.
pub fn insert_integers<const N: usize>(target: &str, data: &[[i64; N]]) -> Option<Statement> {
    if data.is_empty() || N == 0 {
        return None;
    }
    let arrays: Vec<String> = (1..=N).map(|i| format!("${i}::text::int8[]")).collect();
    let sql = format!(
        "INSERT INTO {target} SELECT * FROM unnest({})",
        arrays.join(", ")
    );
    let values: Vec<Value> = (0..N)
        .map(|column| {
            let mut text = String::with_capacity(data.len() * 12 + 2);
            text.push('{');
            for (r, row) in data.iter().enumerate() {
                if r > 0 {
                    text.push(',');
                }
                push_display(&mut text, row[column]);
            }
            text.push('}');
            Value::String(Some(text))
        })
        .collect();
    Some(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
}

#[cfg(test)]
pub(super) mod tests {
    use sea_orm::{ConnectionTrait, QueryOrder, TransactionTrait};

    use super::*;
    use crate::db::{record_link, source_record};
    use crate::intake::SourceKind;
    use crate::normalize::{IdClass, Sex};

    /// Text no escaping must lose: separators of COPY and CSV, JSON's quotes and escapes, the
    /// control characters, a NUL-free stand-in for `\N`, and text beyond the BMP.
    pub(in crate::db) const AWKWARD: &[&str] = &[
        "",
        "tab\there",
        "new\nline\r\nand return",
        "back\\slash \\N \\\\ \\t",
        "\"quoted\" 'single'",
        "\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f}",
        "张三\u{3000}𠀀🙂",
        "{\"json\": [1, \"a\\\"b\"]}",
        "NULL",
        ",;|",
    ];

    pub(in crate::db) fn stamp(nanos: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_580_000_000, nanos).expect("time")
    }

    pub(in crate::db) fn link(record: i64, text: &str, weight: f64) -> record_link::Model {
        record_link::Model {
            source_record_id: record,
            person_id: record + 1000,
            weight,
            rule: text.to_owned(),
            explanation: format!("[{text}]"),
            linked_at: stamp(123_456_789),
        }
    }

    #[test]
    fn every_awkward_text_survives_the_json_parameter() {
        let models: Vec<record_link::Model> = AWKWARD
            .iter()
            .enumerate()
            .map(|(i, t)| link(i as i64, t, 0.1 * i as f64))
            .collect();
        let statement =
            insert::<record_link::Entity>(&models, &OnConflict::Fail).expect("a statement");
        let Some(values) = &statement.values else {
            panic!("one parameter")
        };
        let [Value::String(Some(json))] = values.0.as_slice() else {
            panic!("one text parameter: {:?}", values.0)
        };
        let rows: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(json).expect("valid JSON");
        assert_eq!(rows.len(), AWKWARD.len());
        for ((row, text), model) in rows.iter().zip(AWKWARD).zip(&models) {
            assert_eq!(row["rule"], serde_json::Value::from(*text));
            assert_eq!(
                row["explanation"],
                serde_json::Value::from(format!("[{text}]"))
            );
            assert_eq!(row["weight"].as_f64(), Some(model.weight));
            // Cut to the microsecond, as sqlx binds it.
            assert_eq!(row["linked_at"], "2020-01-26T00:53:20.123456Z");
        }
        assert!(
            statement
                .sql
                .ends_with("FROM json_populate_recordset(NULL::\"record_link\", $1::json)"),
            "{}",
            statement.sql
        );
        assert!(insert::<record_link::Entity>(&[], &OnConflict::Fail).is_none());
    }

    #[test]
    fn floats_json_cannot_hold_are_sent_as_postgresql_reads_them() {
        let mut out = String::new();
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
            -0.0,
            0.1,
        ] {
            write_value::<Json>(&mut out, &Value::Double(Some(v)));
            out.push(' ');
        }
        assert_eq!(out, "\"NaN\" \"Infinity\" \"-Infinity\" 1e-300 -0.0 0.1 ");
        let mut null = String::new();
        write_value::<Json>(&mut null, &Value::String(None));
        write_value::<Json>(&mut null, &Value::BigInt(None));
        assert_eq!(null, "nullnull");
    }

    #[test]
    fn integer_rows_go_as_one_array_per_column() {
        let statement = insert_integers(
            "match_key (key_hash, source_record_id, id_hash)",
            &[[1, -2, 3], [4, 5, i64::MIN]],
        )
        .expect("a statement");
        assert_eq!(
            statement.sql,
            "INSERT INTO match_key (key_hash, source_record_id, id_hash) SELECT * FROM \
             unnest($1::text::int8[], $2::text::int8[], $3::text::int8[])"
        );
        let values = statement.values.expect("values").0;
        assert_eq!(
            values,
            vec![
                Value::String(Some("{1,4}".to_owned())),
                Value::String(Some("{-2,5}".to_owned())),
                Value::String(Some(format!("{{3,{}}}", i64::MIN))),
            ]
        );
        assert!(insert_integers::<3>("t (a, b, c)", &[]).is_none());
    }

    pub(in crate::db) fn record(id: i64, text: &str) -> source_record::Model {
        let day = chrono::NaiveDate::from_ymd_opt(1990, 2, 28).expect("date");
        source_record::Model {
            id,
            batch_id: 1,
            source: SourceKind::Township,
            record_id: format!("R{id}"),
            record_scope: text.to_owned(),
            version: 1,
            is_current: id % 2 == 0,
            row_number: id as i32,
            notice_id: None,
            raw: text.to_owned(),
            content_hash: format!("h{id}"),
            name: (id % 3 != 0).then(|| text.to_owned()),
            name_pinyin: None,
            id_number: Some(format!("{id}\t{text}")),
            id_class: (id % 2 == 0).then_some(IdClass::Valid),
            phones: format!("[\"{id}\"]"),
            birth_date: Some(day),
            sex: (id % 2 == 1).then_some(Sex::Female),
            township: Some(text.to_owned()),
            village: None,
            jurisdiction_code: Some(String::new()),
            arrival_date: None,
            report_date: Some(day),
            normalized: format!("{{\"n\": {id}}}"),
            problems: "[]".to_owned(),
            created_at: stamp(999_999_999),
        }
    }

    /// A record and a link for each awkward text.
    pub(in crate::db) fn awkward_rows() -> (Vec<source_record::Model>, Vec<record_link::Model>) {
        let records: Vec<source_record::Model> = AWKWARD
            .iter()
            .enumerate()
            .map(|(i, t)| record(i as i64 + 1, t))
            .collect();
        let links: Vec<record_link::Model> = AWKWARD
            .iter()
            .enumerate()
            .map(|(i, t)| link(i as i64 + 1, t, [0.1, 1e-300, -2.5, 7.0][i % 4]))
            .collect();
        (records, links)
    }

    /// The match-index rows both PostgreSQL tests write.
    pub(in crate::db) const KEYS: [[i64; 3]; 3] = [[5, 1, 0], [5, 2, -9], [i64::MAX, 3, 1]];

    /// Asserts that `txn` holds `records`, `links` moved to person 7 by an upsert, and
    /// [`KEYS`], as written (timestamps to the microsecond).
    pub(in crate::db) async fn assert_written(
        txn: &sea_orm::DatabaseTransaction,
        records: &[source_record::Model],
        links: &[record_link::Model],
    ) {
        let stored = source_record::Entity::find()
            .order_by_asc(source_record::Column::Id)
            .all(txn)
            .await
            .expect("read records");
        let mut expected = records.to_vec();
        for r in &mut expected {
            // Stored to the microsecond.
            r.created_at = stamp(999_999_000);
        }
        assert_eq!(stored, expected);
        let stored = record_link::Entity::find()
            .order_by_asc(record_link::Column::SourceRecordId)
            .all(txn)
            .await
            .expect("read links");
        let expected: Vec<record_link::Model> = links
            .iter()
            .map(|l| record_link::Model {
                person_id: 7,
                linked_at: stamp(123_456_000),
                ..l.clone()
            })
            .collect();
        assert_eq!(stored, expected);
        let stored: Vec<(i64, i64, i64)> = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT key_hash, source_record_id, id_hash FROM match_key ORDER BY source_record_id",
            ))
            .await
            .expect("read keys")
            .iter()
            .map(|r| {
                (
                    r.try_get("", "key_hash").expect("key"),
                    r.try_get("", "source_record_id").expect("record"),
                    r.try_get("", "id_hash").expect("id"),
                )
            })
            .collect();
        assert_eq!(stored, vec![(5, 1, 0), (5, 2, -9), (i64::MAX, 3, 1)]);
    }

    #[tokio::test]
    async fn rows_written_through_postgresql_read_back_as_written() {
        let Some((admin, name, db)) = crate::db::scratch_postgres("pg_bulk").await else {
            eprintln!("PAICHA_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
            return;
        };
        let (records, links) = awkward_rows();
        let txn = db.writer_conn().begin().await.expect("begin");
        // The rows refer to batches and persons that are not there: only the rows are tested.
        txn.execute_unprepared("SET LOCAL session_replication_role = replica")
            .await
            .expect("no foreign keys");
        let statement =
            insert::<source_record::Entity>(&records, &OnConflict::Fail).expect("statement");
        txn.execute_raw(statement).await.expect("insert records");
        let statement =
            insert::<record_link::Entity>(&links, &OnConflict::Fail).expect("statement");
        txn.execute_raw(statement).await.expect("insert links");
        // An upsert overwrites only the named columns.
        let again: Vec<record_link::Model> = links
            .iter()
            .map(|l| record_link::Model {
                person_id: 7,
                weight: 99.0,
                ..l.clone()
            })
            .collect();
        let upsert = OnConflict::Update {
            key: vec![record_link::Column::SourceRecordId],
            update: vec![record_link::Column::PersonId],
        };
        let statement = insert::<record_link::Entity>(&again, &upsert).expect("statement");
        txn.execute_raw(statement).await.expect("upsert links");
        let statement = insert_integers("match_key (key_hash, source_record_id, id_hash)", &KEYS)
            .expect("statement");
        txn.execute_raw(statement).await.expect("insert keys");

        assert_written(&txn, &records, &links).await;
        txn.rollback().await.expect("rollback");
        crate::db::drop_scratch_postgres(admin, name, db).await;
    }
}
