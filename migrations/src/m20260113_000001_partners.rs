//! Hub-to-hub exchange (issue 23), its first half:
//!
//! - `partner`: the jurisdictions whose paicha hubs we exchange with: GB/T 2260 code, name,
//!   base URL and the one secret shared with them. The secret signs (HMAC-SHA256) both ways,
//!   so it is kept itself, not a hash of it as a token is; it is never served back;
//! - `exchange_receipt`: every signed request a partner's hub made of ours, keyed by the
//!   partner and its `Idempotency-Key`, with the sha256 of the request and the answer given:
//!   a replay gets the first answer and writes nothing. The unique key makes two identical
//!   requests at once import once;
//! - `pull_state`: per upstream URL, the `ETag`, `Last-Modified` and sha256 of the last list
//!   pulled, so an unchanged list is not imported again.
//!
//! Plain SQL, identical on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE partner ( \
         id bigint NOT NULL PRIMARY KEY, \
         code varchar NOT NULL, \
         name varchar NOT NULL, \
         base_url varchar NOT NULL, \
         secret varchar NOT NULL, \
         created_at timestamp with time zone NOT NULL, \
         rotated_at timestamp with time zone NULL)",
    "CREATE UNIQUE INDEX ux_partner_code ON partner (code)",
    "CREATE TABLE exchange_receipt ( \
         id bigint NOT NULL PRIMARY KEY, \
         partner_code varchar NOT NULL, \
         idempotency_key varchar NOT NULL, \
         request_sha256 varchar NOT NULL, \
         batch_id bigint NULL, \
         answer text NOT NULL, \
         received_at timestamp with time zone NOT NULL)",
    "CREATE UNIQUE INDEX ux_exchange_receipt_key ON exchange_receipt (partner_code, idempotency_key)",
    "CREATE TABLE pull_state ( \
         url varchar NOT NULL PRIMARY KEY, \
         etag varchar NULL, \
         last_modified varchar NULL, \
         content_sha256 varchar NULL, \
         batch_id bigint NULL, \
         pulled_at timestamp with time zone NOT NULL)",
];

const DOWN: &[&str] = &[
    "DROP TABLE pull_state",
    "DROP TABLE exchange_receipt",
    "DROP TABLE partner",
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
