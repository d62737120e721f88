//! Notification letters (issue 21): the county's 协查函 to the jurisdictions where its persons
//! outside it are, and its 回函 answering the notices it receives.
//!
//! - `letter`: one letter, its kind, state, addressee, channel and number (given at issue);
//!   `(year, serial)` is unique, so two issues can never share a number;
//! - `letter_person`: a person on a letter's list; at most one `OPEN` entry per person (no
//!   person is in two open letters), by a partial unique index;
//! - `letter_reply`: what the addressee answered of one person;
//! - `letter_series`: the last number given in each year (numbers are gap-free per year);
//! - `letter_event`: what happened to a letter and its persons (drafted, issued, a person who
//!   came back into the county or was merged left it, …).
//!
//! Plain SQL, identical on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE letter ( \
         id bigint NOT NULL PRIMARY KEY, \
         kind varchar NOT NULL, \
         state varchar NOT NULL, \
         jurisdiction_code varchar NULL, \
         jurisdiction_name varchar NOT NULL, \
         notice_id bigint NULL, \
         year integer NULL, \
         serial integer NULL, \
         number varchar NULL, \
         channel varchar NULL, \
         drafted_by varchar NOT NULL, \
         created_at timestamp with time zone NOT NULL, \
         issued_on date NULL, \
         issued_at timestamp with time zone NULL, \
         acknowledged_at timestamp with time zone NULL, \
         replied_at timestamp with time zone NULL, \
         updated_at timestamp with time zone NOT NULL)",
    "CREATE UNIQUE INDEX ux_letter_number ON letter (year, serial)",
    "CREATE INDEX ix_letter_state ON letter (state, jurisdiction_code)",
    "CREATE INDEX ix_letter_notice ON letter (notice_id)",
    "CREATE TABLE letter_person ( \
         id bigint NOT NULL PRIMARY KEY, \
         letter_id bigint NOT NULL, \
         person_id bigint NOT NULL, \
         status varchar NOT NULL, \
         finding varchar NULL, \
         added_at timestamp with time zone NOT NULL, \
         left_at timestamp with time zone NULL)",
    "CREATE INDEX ix_letter_person_letter ON letter_person (letter_id)",
    "CREATE INDEX ix_letter_person_person ON letter_person (person_id, status)",
    "CREATE UNIQUE INDEX ux_letter_person_open ON letter_person (person_id) WHERE status = 'OPEN'",
    "CREATE TABLE letter_reply ( \
         id bigint NOT NULL PRIMARY KEY, \
         letter_id bigint NOT NULL, \
         person_id bigint NOT NULL, \
         outcome varchar NOT NULL, \
         place_code varchar NULL, \
         place_name varchar NULL, \
         note varchar NULL, \
         replied_on date NOT NULL, \
         recorded_by varchar NOT NULL, \
         recorded_at timestamp with time zone NOT NULL)",
    "CREATE INDEX ix_letter_reply_letter ON letter_reply (letter_id)",
    "CREATE INDEX ix_letter_reply_person ON letter_reply (person_id)",
    "CREATE TABLE letter_series ( \
         year integer NOT NULL PRIMARY KEY, \
         last integer NOT NULL)",
    "CREATE TABLE letter_event ( \
         id bigint NOT NULL PRIMARY KEY, \
         letter_id bigint NOT NULL, \
         person_id bigint NULL, \
         kind varchar NOT NULL, \
         detail varchar NOT NULL, \
         actor varchar NOT NULL, \
         at timestamp with time zone NOT NULL)",
    "CREATE INDEX ix_letter_event_letter ON letter_event (letter_id)",
];

const DOWN: &[&str] = &[
    "DROP TABLE letter_event",
    "DROP TABLE letter_series",
    "DROP TABLE letter_reply",
    "DROP TABLE letter_person",
    "DROP TABLE letter",
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
