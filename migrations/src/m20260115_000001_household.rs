//! Household links (issue 25): a big-data row with nothing but a phone that fits several
//! members of one household equally well (the phone is the family's) is linked to the
//! household, not to a member and not as one review pair per member.
//!
//! - `household_link`: one row per such phone-only person (keyed by its first record): the
//!   persons of the household it fits, the address they share, the township whose worklist
//!   gets the call to make, and the explanation shown with it. Every resolution run rewrites
//!   the rows of the records it resolved.
//!
//! Plain SQL, identical on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE household_link ( \
         source_record_id bigint NOT NULL PRIMARY KEY, \
         person_id bigint NOT NULL, \
         records text NOT NULL, \
         members text NOT NULL, \
         address text NOT NULL, \
         township varchar NULL, \
         weight double precision NOT NULL, \
         explanation text NOT NULL, \
         linked_at timestamp with time zone NOT NULL)",
    "CREATE INDEX ix_household_link_person ON household_link (person_id)",
    "CREATE INDEX ix_household_link_township ON household_link (township)",
];

const DOWN: &[&str] = &["DROP TABLE household_link"];

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
