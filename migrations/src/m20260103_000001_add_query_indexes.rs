//! Indexes behind the API's filters, orderings and `searchPersons`: no new columns, only ways
//! to reach rows without scanning the register.
//!
//! Plain SQL, identical on SQLite and PostgreSQL. The expression indexes must use the very
//! expressions the queries in `src/register/query.rs` write:
//! - `substr(id_number, 15)`: the last four characters of an 18-character ID number, so a
//!   search by "the last digits" narrows on an index before `LIKE '%…'` checks the rest;
//! - `replace(name_pinyin, ' ', '')`: pinyin without its syllable spaces, so `zhangsan`,
//!   `zhang san` and `Zhang San` find 张三.
//!
//! The `reviewPending` filter reads review candidates by record: the indexes for that,
//! `ix_review_candidate_record_a` and `_b`, come with m20260105_000001_create_match_index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index name, table, indexed expression)
const INDEXES: &[(&str, &str, &str)] = &[
    // searchPersons: names, pinyin and ID suffixes, on persons and on the records behind them
    ("ix_person_name", "person", "name"),
    (
        "ix_person_pinyin_compact",
        "person",
        "replace(name_pinyin, ' ', '')",
    ),
    ("ix_person_id_suffix", "person", "substr(id_number, 15)"),
    ("ix_source_record_name", "source_record", "name"),
    (
        "ix_source_record_pinyin_compact",
        "source_record",
        "replace(name_pinyin, ' ', '')",
    ),
    (
        "ix_source_record_id_suffix",
        "source_record",
        "substr(id_number, 15)",
    ),
    // persons filters and orderings
    ("ix_person_village", "person", "village"),
    ("ix_person_arrival_date", "person", "arrival_date, id"),
    ("ix_person_first_reported", "person", "first_reported, id"),
    ("ix_person_name_pinyin", "person", "name_pinyin, id"),
    ("ix_person_updated_at", "person", "updated_at, id"),
    // events: by the other person of a merge / decision, by kind and by time
    (
        "ix_resolution_event_other_person",
        "resolution_event",
        "other_person_id",
    ),
    ("ix_resolution_event_kind", "resolution_event", "kind"),
    ("ix_resolution_event_at", "resolution_event", "at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, table, expr) in INDEXES {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON {table} ({expr})"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
