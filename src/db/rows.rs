//! Multi-row `INSERT` statements made straight from entity models.
//!
//! A bulk write of a million records, persons, links and events spent as much of its time in
//! the query builder as in SQLite: each row became an active model, each value was cloned into
//! the builder and cloned again into the statement, and the SQL text was written through the
//! builder's generic machinery (`perf`: `InsertMany::many`, value clones and drops, `push_param`
//! and `save_as` were a sixth of the writing thread). Here a row's values are taken from its
//! model once, in column order, and the text is plain placeholders: the same statement the
//! builder makes, for SQLite and PostgreSQL alike.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use sea_orm::sea_query::Value;
use sea_orm::{DbBackend, EntityTrait, IdenStatic, Iterable, ModelTrait, Statement};

/// What an insert does with a row whose key is taken.
pub enum OnConflict<C> {
    /// Nothing: the statement fails, as a plain `INSERT` does.
    Fail,
    /// The row at `key` takes the new values of `update` (an upsert).
    Update {
        /// The conflicting unique key.
        key: Vec<C>,
        /// The columns to overwrite.
        update: Vec<C>,
    },
}

/// One statement inserting `models` into `E`'s table, every column in the entity's order.
/// `None` when there is nothing to insert.
pub fn insert<E: EntityTrait>(
    backend: DbBackend,
    models: &[E::Model],
    on_conflict: &OnConflict<E::Column>,
) -> Option<Statement> {
    if models.is_empty() {
        return None;
    }
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let mut sql = format!(
        "INSERT INTO {} ({}",
        quoted(E::default().table_name()),
        column_list(&columns)
    );
    sql.push_str(") VALUES ");
    sql.push_str(&placeholders(backend, models.len(), columns.len()));
    let mut stamps = StampTexts::default();
    let values: Vec<Value> = models
        .iter()
        .flat_map(|model| columns.iter().map(|c| model.get(*c)))
        .map(|value| match backend {
            DbBackend::Sqlite => stamps.bound(value),
            _ => value,
        })
        .collect();
    sql.push_str(&conflict_clause(on_conflict));
    Some(Statement::from_sql_and_values(backend, sql, values))
}

/// The placeholders of `rows` rows of `columns` values each, `(?, ?), (?, ?)` (`$1`, `$2`, …
/// on PostgreSQL), as the query builder writes them.
pub fn placeholders(backend: DbBackend, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * (columns * 4 + 4));
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for i in 0..columns {
            if i > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DbBackend::Postgres => {
                    let _ = write!(sql, "${n}");
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// Timestamps as SQLite binds them: the driver formats a timestamp as RFC 3339 text (`AutoSi`
/// fractional seconds, `+00:00`) each time it binds one. The rows of a bulk write mostly
/// share one timestamp, the run's `now` (a million records, persons, links and events bind
/// some five million), so its text is made once and the same text bound.
#[derive(Default)]
struct StampTexts {
    last: Option<(DateTime<Utc>, String)>,
}

impl StampTexts {
    /// `value`, a timestamp turned into the text SQLite would have been given for it.
    fn bound(&mut self, value: Value) -> Value {
        let Value::ChronoDateTimeUtc(Some(at)) = value else {
            return value;
        };
        match &self.last {
            Some((last, text)) if *last == at => Value::String(Some(text.clone())),
            _ => {
                let text = at.to_rfc3339_opts(SecondsFormat::AutoSi, false);
                self.last = Some((at, text.clone()));
                Value::String(Some(text))
            }
        }
    }
}

/// `name` as an SQL identifier, quoted (SQLite and PostgreSQL alike).
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `columns` as the list an insert names them in: `"a", "b"`.
pub(super) fn column_list<C: IdenStatic>(columns: &[C]) -> String {
    let names: Vec<String> = columns.iter().map(|c| quoted(c.as_str())).collect();
    names.join(", ")
}

/// What an insert of rows does on a taken key, as SQL after its rows (empty when it fails).
pub(super) fn conflict_clause<C: IdenStatic>(on_conflict: &OnConflict<C>) -> String {
    let mut sql = String::new();
    if let OnConflict::Update { key, update } = on_conflict {
        let _ = write!(sql, " ON CONFLICT ({}) DO UPDATE SET ", column_list(key));
        for (i, c) in update.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let name = quoted(c.as_str());
            let _ = write!(sql, "{name} = \"excluded\".{name}");
        }
    }
    sql
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveModelTrait, ConnectionTrait, QueryTrait, TransactionTrait};

    use super::*;
    use crate::db::record_link;

    fn link(record: i64, person: i64, weight: f64) -> record_link::Model {
        record_link::Model {
            source_record_id: record,
            person_id: person,
            weight,
            rule: "MATCH".to_owned(),
            explanation: "[]".to_owned(),
            linked_at: chrono::DateTime::from_timestamp(1_580_000_000, 0).expect("time"),
        }
    }

    #[test]
    fn the_statement_is_the_one_the_query_builder_makes() {
        let models = vec![link(1, 10, 12.5), link(2, 10, 9.0)];
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let ours = insert::<record_link::Entity>(backend, &models, &OnConflict::Fail)
                .expect("a statement");
            let builder = record_link::Entity::insert_many(
                models.iter().cloned().map(record_link::ActiveModel::from),
            )
            .build(backend);
            assert_eq!(ours.sql, builder.sql, "{backend:?}");
            if backend == DbBackend::Postgres {
                // SQLite binds timestamps as text: see the next test.
                assert_eq!(ours.values, builder.values, "{backend:?}");
            }
            let upsert = OnConflict::Update {
                key: vec![record_link::Column::SourceRecordId],
                update: vec![record_link::Column::PersonId, record_link::Column::Weight],
            };
            let ours = insert::<record_link::Entity>(backend, &models, &upsert).expect("upsert");
            let builder = record_link::Entity::insert_many(
                models.iter().cloned().map(record_link::ActiveModel::from),
            )
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(record_link::Column::SourceRecordId)
                    .update_columns([record_link::Column::PersonId, record_link::Column::Weight])
                    .to_owned(),
            )
            .build(backend);
            assert_eq!(ours.sql, builder.sql, "{backend:?}");
        }
        assert!(insert::<record_link::Entity>(DbBackend::Sqlite, &[], &OnConflict::Fail).is_none());
    }

    #[tokio::test]
    async fn an_upsert_overwrites_only_the_named_columns() {
        let (_dir, db) = crate::db::scratch().await;
        let txn = db.writer_conn().begin().await.expect("begin");
        // Links refer to records and persons: the check is on the statement alone.
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await
            .expect("defer");
        let first = insert::<record_link::Entity>(
            DbBackend::Sqlite,
            &[link(1, 10, 12.5)],
            &OnConflict::Fail,
        )
        .expect("statement");
        txn.execute_raw(first).await.expect("insert");
        let again = insert::<record_link::Entity>(
            DbBackend::Sqlite,
            &[link(1, 20, 3.0), link(2, 20, 4.0)],
            &OnConflict::Update {
                key: vec![record_link::Column::SourceRecordId],
                update: vec![record_link::Column::PersonId],
            },
        )
        .expect("statement");
        txn.execute_raw(again).await.expect("upsert");
        let rows = record_link::Entity::find().all(&txn).await.expect("read");
        let got: Vec<(i64, i64, f64)> = rows
            .iter()
            .map(|l| (l.source_record_id, l.person_id, l.weight))
            .collect();
        // Record 1 moved to person 20 but kept its weight; record 2 is new.
        assert_eq!(got, vec![(1, 20, 12.5), (2, 20, 4.0)]);
        // A plain insert of a taken key fails.
        let taken = record_link::ActiveModel::from(link(2, 30, 1.0));
        let refused = taken.insert(&txn).await.expect_err("the key is taken");
        assert!(
            refused.to_string().contains("UNIQUE constraint failed"),
            "{refused}"
        );
        txn.rollback().await.expect("rollback");
    }

    #[tokio::test]
    async fn timestamps_bound_as_text_are_stored_as_the_driver_stores_them() {
        let (_dir, db) = crate::db::scratch().await;
        let txn = db.writer_conn().begin().await.expect("begin");
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await
            .expect("defer");
        let stamp = |nanos| chrono::DateTime::from_timestamp(1_580_000_000, nanos).expect("time");
        let stamps = [stamp(0), stamp(120_000_000), stamp(123_456_789), stamp(0)];
        // Through the driver's own binding, then through ours, the same timestamps.
        for (i, at) in stamps.iter().enumerate() {
            let mut model = link(i as i64, 10, 1.0);
            model.linked_at = *at;
            record_link::ActiveModel::from(model)
                .insert(&txn)
                .await
                .expect("insert");
        }
        let ours: Vec<record_link::Model> = stamps
            .iter()
            .enumerate()
            .map(|(i, at)| record_link::Model {
                linked_at: *at,
                ..link(100 + i as i64, 10, 1.0)
            })
            .collect();
        let statement = insert::<record_link::Entity>(DbBackend::Sqlite, &ours, &OnConflict::Fail)
            .expect("statement");
        assert!(
            statement
                .values
                .iter()
                .flat_map(|v| v.0.iter())
                .all(|v| !matches!(v, Value::ChronoDateTimeUtc(_))),
            "every timestamp bound as text"
        );
        txn.execute_raw(statement).await.expect("insert ours");
        let stored: Vec<(i64, String, String)> = txn
            .query_all_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "SELECT source_record_id, linked_at, typeof(linked_at) FROM record_link \
                 ORDER BY source_record_id",
            ))
            .await
            .expect("query")
            .iter()
            .map(|r| {
                (
                    r.try_get("", "source_record_id").expect("id"),
                    r.try_get("", "linked_at").expect("text"),
                    r.try_get("", "typeof(linked_at)").expect("type"),
                )
            })
            .collect();
        assert_eq!(stored.len(), 2 * stamps.len(), "{stored:?}");
        let (driver, bound) = stored.split_at(stamps.len());
        for (d, b) in driver.iter().zip(bound) {
            assert_eq!((&d.1, &d.2), (&b.1, &b.2), "records {} and {}", d.0, b.0);
        }
        // And they read back as the timestamps written.
        let back: Vec<chrono::DateTime<chrono::Utc>> = record_link::Entity::find()
            .all(&txn)
            .await
            .expect("read")
            .into_iter()
            .filter(|l| l.source_record_id >= 100)
            .map(|l| l.linked_at)
            .collect();
        assert_eq!(back, stamps);
        txn.rollback().await.expect("rollback");
    }
}
