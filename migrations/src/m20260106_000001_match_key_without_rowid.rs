//! On SQLite, `match_key` becomes a `WITHOUT ROWID` table: its rows live in the primary-key
//! B-tree itself. As a rowid table every row was stored twice (the table, and the index behind
//! its primary key) and a lookup by key went through that index and then to the table for
//! `id_hash`; a batch matched against a million records reads and inserts tens of thousands
//! of keys at random places, so both halves counted. PostgreSQL keeps its table as it is.
//!
//! The rows are copied, not dropped: a large register's batches are matched through this index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        rebuild(manager, " WITHOUT ROWID").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        rebuild(manager, "").await
    }
}

/// Recreates `match_key` with `options` after its columns, keeping its rows: one call, so every
/// statement runs in order on one connection, inside a savepoint, so it all happens or none.
async fn rebuild(manager: &SchemaManager<'_>, options: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "SAVEPOINT match_key_rebuild; \
             CREATE TABLE match_key_next (\
                 key_hash bigint NOT NULL, \
                 source_record_id bigint NOT NULL, \
                 id_hash bigint NOT NULL, \
                 PRIMARY KEY (key_hash, source_record_id)\
             ){options}; \
             INSERT INTO match_key_next (key_hash, source_record_id, id_hash) \
                 SELECT key_hash, source_record_id, id_hash FROM match_key \
                 ORDER BY key_hash, source_record_id; \
             DROP TABLE match_key; \
             ALTER TABLE match_key_next RENAME TO match_key; \
             RELEASE match_key_rebuild;"
        ))
        .await?;
    Ok(())
}
