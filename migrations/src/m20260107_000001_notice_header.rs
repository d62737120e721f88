//! The notice's header and a record ID's sender (issue 19):
//!
//! - `notice.sending_jurisdiction_code`: the GB/T 2260 code the sender's name resolves to
//!   (null when it does not), so notices are listed and filtered by jurisdiction;
//! - `source_record.record_scope`: who a record ID belongs to. A record ID is unique only
//!   within its sender: an external notice's sender and number
//!   (`sending_jurisdiction/notice_no`), a township check's township, the province for a
//!   big-data list (one sender, the empty scope). "The same record in a new version" is decided
//!   by `(source, record_scope, record_id)`; the records already stored get their scope from
//!   the columns they already have. The unique key of a record version takes the scope in;
//! - `import_batch.notices` and `import_batch.record_id_conflicts`: what the batch report
//!   says about notices and record IDs that arrived for another person, kept so a batch read
//!   back reports what its import reported (notices counted for the batches already stored).
//!
//! Plain SQL, identical on SQLite and PostgreSQL (one column per `ALTER TABLE`, as SQLite
//! requires).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "ALTER TABLE notice ADD COLUMN sending_jurisdiction_code varchar NULL",
    "ALTER TABLE source_record ADD COLUMN record_scope varchar NOT NULL DEFAULT ''",
    "UPDATE source_record SET record_scope = COALESCE((SELECT n.sending_jurisdiction || '/' || n.notice_no \
         FROM notice n WHERE n.id = source_record.notice_id), '') \
         WHERE source = 'EXTERNAL' AND notice_id IS NOT NULL",
    "UPDATE source_record SET record_scope = COALESCE(township, '') WHERE source = 'TOWNSHIP'",
    "DROP INDEX ux_source_record_key_version",
    "CREATE UNIQUE INDEX ux_source_record_key_version \
         ON source_record (source, record_id, record_scope, version)",
    "ALTER TABLE import_batch ADD COLUMN notices integer NOT NULL DEFAULT 0",
    "ALTER TABLE import_batch ADD COLUMN record_id_conflicts text NOT NULL DEFAULT '[]'",
    "UPDATE import_batch SET notices = \
         (SELECT COUNT(*) FROM notice n WHERE n.batch_id = import_batch.id)",
];

const DOWN: &[&str] = &[
    "ALTER TABLE import_batch DROP COLUMN record_id_conflicts",
    "ALTER TABLE import_batch DROP COLUMN notices",
    "DROP INDEX ux_source_record_key_version",
    "CREATE UNIQUE INDEX ux_source_record_key_version \
         ON source_record (source, record_id, version)",
    "ALTER TABLE source_record DROP COLUMN record_scope",
    "ALTER TABLE notice DROP COLUMN sending_jurisdiction_code",
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
