//! The match model each batch was resolved with (issue 25): `import_batch.model_id`, the
//! `match_model` a batch's records were matched with (trained by its run or stored before
//! it). Batches imported before this migration, and batches that wrote no record, have none.
//!
//! Plain SQL, identical on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &["ALTER TABLE import_batch ADD COLUMN model_id bigint NULL"];

const DOWN: &[&str] = &["ALTER TABLE import_batch DROP COLUMN model_id"];

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
