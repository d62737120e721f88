//! Follow-up of the persons in the county (issue 20): home medical observation, the team
//! answering for each person (五包一), temperature readings and the alerts they raise.
//!
//! - `observation`: one row per person who has been `IN_COUNTY` (kept when they leave it,
//!   `active` false), with its period, state and the township it belongs to;
//! - `team_member`: the members of a person's team, one row per role;
//! - `temperature_reading`: every reading as recorded; a later reading of the same person, day
//!   and slot supersedes the earlier one (`superseded`), which is kept;
//! - `followup_alert`: fever and missed-check alerts, with their state.
//!
//! Plain SQL, identical on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE observation ( \
         person_id bigint NOT NULL PRIMARY KEY, \
         township varchar NULL, \
         state varchar NOT NULL, \
         start_date date NOT NULL, \
         end_date date NOT NULL, \
         place varchar NULL, \
         note varchar NULL, \
         manual boolean NOT NULL DEFAULT false, \
         active boolean NOT NULL DEFAULT true, \
         created_at timestamp with time zone NOT NULL, \
         updated_at timestamp with time zone NOT NULL)",
    "CREATE INDEX ix_observation_township ON observation (township, state)",
    "CREATE TABLE team_member ( \
         id bigint NOT NULL PRIMARY KEY, \
         person_id bigint NOT NULL, \
         role varchar NOT NULL, \
         name varchar NOT NULL, \
         phone varchar NOT NULL, \
         assigned_at timestamp with time zone NOT NULL)",
    "CREATE UNIQUE INDEX ux_team_member_role ON team_member (person_id, role)",
    "CREATE TABLE temperature_reading ( \
         id bigint NOT NULL PRIMARY KEY, \
         person_id bigint NOT NULL, \
         date date NOT NULL, \
         slot varchar NOT NULL, \
         celsius double precision NOT NULL, \
         taken_at timestamp with time zone NOT NULL, \
         recorded_at timestamp with time zone NOT NULL, \
         superseded boolean NOT NULL DEFAULT false)",
    "CREATE INDEX ix_temperature_reading_person ON temperature_reading (person_id, date, slot)",
    "CREATE TABLE followup_alert ( \
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
    "CREATE INDEX ix_followup_alert_person ON followup_alert (person_id, kind, date, slot)",
    "CREATE INDEX ix_followup_alert_state ON followup_alert (state, kind, township)",
];

const DOWN: &[&str] = &[
    "DROP TABLE followup_alert",
    "DROP TABLE temperature_reading",
    "DROP TABLE team_member",
    "DROP TABLE observation",
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
        run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN).await
    }
}
