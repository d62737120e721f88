//! Daily township reports and recorded cases (issue 22).
//!
//! - `daily_report`: every filing of a township's daily report (日报告、零报告) for a day; a later
//!   filing for the same township and day supersedes the earlier one (`superseded`), which is
//!   kept as its history. At most one current filing per township and day.
//! - `case_status`: the case statuses recorded for a person (suspected, confirmed, ruled out,
//!   recovered), one row per recording; a person's status on a day is the latest row dated on
//!   or before it.
//! - `followup_alert`: `person_id` and `slot` become nullable, so that an alert about a
//!   township (a daily report missing) can be stored beside the alerts about persons.
//!
//! Plain SQL; the alert table's change differs by backend (SQLite cannot drop a NOT NULL in
//! place, so the table is rebuilt with its rows and indexes).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE daily_report ( \
         id bigint NOT NULL PRIMARY KEY, \
         township varchar NOT NULL, \
         date date NOT NULL, \
         new_persons bigint NOT NULL, \
         note varchar NULL, \
         filed_by varchar NOT NULL, \
         filed_at timestamp with time zone NOT NULL, \
         superseded boolean NOT NULL DEFAULT false)",
    // One current filing per township and day; superseded ones are the history.
    "CREATE UNIQUE INDEX ux_daily_report_current ON daily_report (township, date) \
         WHERE superseded = false",
    "CREATE INDEX ix_daily_report_date ON daily_report (date, township)",
    "CREATE TABLE case_status ( \
         id bigint NOT NULL PRIMARY KEY, \
         person_id bigint NOT NULL, \
         status varchar NOT NULL, \
         date date NOT NULL, \
         note varchar NULL, \
         recorded_by varchar NOT NULL, \
         recorded_at timestamp with time zone NOT NULL)",
    "CREATE INDEX ix_case_status_person ON case_status (person_id, date)",
];

const DOWN: &[&str] = &["DROP TABLE case_status", "DROP TABLE daily_report"];

/// The alert table with `person_id` and `slot` nullable (SQLite rebuilds it).
const ALERT_NULLABLE_SQLITE: &[&str] = &[
    "CREATE TABLE followup_alert_new ( \
         id bigint NOT NULL PRIMARY KEY, \
         person_id bigint NULL, \
         township varchar NULL, \
         kind varchar NOT NULL, \
         date date NOT NULL, \
         slot varchar NULL, \
         celsius double precision NULL, \
         state varchar NOT NULL, \
         note varchar NULL, \
         created_at timestamp with time zone NOT NULL, \
         updated_at timestamp with time zone NOT NULL)",
    "INSERT INTO followup_alert_new (id, person_id, township, kind, date, slot, celsius, state, \
         note, created_at, updated_at) SELECT id, person_id, township, kind, date, slot, celsius, \
         state, note, created_at, updated_at FROM followup_alert",
    "DROP TABLE followup_alert",
    "ALTER TABLE followup_alert_new RENAME TO followup_alert",
    "CREATE INDEX ix_followup_alert_person ON followup_alert (person_id, kind, date, slot)",
    "CREATE INDEX ix_followup_alert_state ON followup_alert (state, kind, township)",
];

const ALERT_NULLABLE_POSTGRES: &[&str] = &[
    "ALTER TABLE followup_alert ALTER COLUMN person_id DROP NOT NULL",
    "ALTER TABLE followup_alert ALTER COLUMN slot DROP NOT NULL",
];

/// Down: township alerts go (they cannot be stored without a person), the columns are NOT
/// NULL again.
const ALERT_NOT_NULL_SQLITE: &[&str] = &[
    "DELETE FROM followup_alert WHERE person_id IS NULL OR slot IS NULL",
    "CREATE TABLE followup_alert_old ( \
         id bigint NOT NULL PRIMARY KEY, \
         person_id bigint NOT NULL, \
         township varchar NULL, \
         kind varchar NOT NULL, \
         date date NOT NULL, \
         slot varchar NOT NULL, \
         celsius double precision NULL, \
         state varchar NOT NULL, \
         note varchar NULL, \
         created_at timestamp with time zone NOT NULL, \
         updated_at timestamp with time zone NOT NULL)",
    "INSERT INTO followup_alert_old SELECT id, person_id, township, kind, date, slot, celsius, \
         state, note, created_at, updated_at FROM followup_alert",
    "DROP TABLE followup_alert",
    "ALTER TABLE followup_alert_old RENAME TO followup_alert",
    "CREATE INDEX ix_followup_alert_person ON followup_alert (person_id, kind, date, slot)",
    "CREATE INDEX ix_followup_alert_state ON followup_alert (state, kind, township)",
];

const ALERT_NOT_NULL_POSTGRES: &[&str] = &[
    "DELETE FROM followup_alert WHERE person_id IS NULL OR slot IS NULL",
    "ALTER TABLE followup_alert ALTER COLUMN person_id SET NOT NULL",
    "ALTER TABLE followup_alert ALTER COLUMN slot SET NOT NULL",
];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP).await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, ALERT_NULLABLE_POSTGRES).await,
            _ => run(manager, ALERT_NULLABLE_SQLITE).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, ALERT_NOT_NULL_POSTGRES).await?,
            _ => run(manager, ALERT_NOT_NULL_SQLITE).await?,
        }
        run(manager, DOWN).await
    }
}
