//! Hub to hub, outbound (issue 23): the transactional outbox of letters sent to partner hubs.
//!
//! - `outbox`: one row per letter issued electronically to a jurisdiction with a partner hub,
//!   written in the issue's own transaction, so a letter is never issued without its delivery
//!   and never delivered without being issued. It holds the exact request (path, body,
//!   `Idempotency-Key`): every attempt sends the same bytes, so the receiver's idempotency
//!   makes a retry after a lost answer harmless. `next_attempt_at` is when the worker may try
//!   again (exponential backoff with jitter); `lease_until` is how long the server that
//!   claimed the row has to try it — several servers on one database never send a row at
//!   once, and a server that died mid-attempt leaves a row another takes up once the lease
//!   ends. `state`: `PENDING` (to deliver), `DELIVERED` (2xx), `FAILED` (the receiver said the
//!   request itself is wrong; never tried again);
//! - `delivery_attempt`: every attempt, its HTTP status (null when there was no answer) and
//!   error, never personal data; `Letter.deliveries` lists them.
//!
//! Plain SQL, identical on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE outbox ( \
         id bigint NOT NULL PRIMARY KEY, \
         letter_id bigint NOT NULL, \
         partner_code varchar NOT NULL, \
         kind varchar NOT NULL, \
         path varchar NOT NULL, \
         idempotency_key varchar NOT NULL, \
         body text NOT NULL, \
         state varchar NOT NULL, \
         attempts integer NOT NULL, \
         next_attempt_at timestamp with time zone NOT NULL, \
         lease_until timestamp with time zone NULL, \
         created_at timestamp with time zone NOT NULL, \
         delivered_at timestamp with time zone NULL)",
    // One delivery per letter: issuing twice is refused by the letter's life anyway.
    "CREATE UNIQUE INDEX ux_outbox_letter ON outbox (letter_id)",
    // The worker's question: pending rows due now.
    "CREATE INDEX ix_outbox_due ON outbox (state, next_attempt_at)",
    "CREATE TABLE delivery_attempt ( \
         id bigint NOT NULL PRIMARY KEY, \
         outbox_id bigint NOT NULL, \
         letter_id bigint NOT NULL, \
         attempt integer NOT NULL, \
         at timestamp with time zone NOT NULL, \
         status integer NULL, \
         error varchar NULL, \
         took_ms bigint NOT NULL)",
    "CREATE INDEX ix_delivery_attempt_letter ON delivery_attempt (letter_id)",
];

const DOWN: &[&str] = &["DROP TABLE delivery_attempt", "DROP TABLE outbox"];

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
