//! Access control and audit (DESIGN §2 "Access"): the API tokens callers present, and the
//! append-only log of every read of unmasked personal data and every change.
//!
//! Unlike the register's tables, both take their keys from the database (auto-increment):
//! tokens are created by `paicha token create` while a server may be running, and audit entries
//! are written by readers, which must never wait for the resolution writer's lock.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(
                        ColumnDef::new(ApiToken::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    // sha256 of the token (hex). The token itself is shown once and never stored:
                    // it is 256 random bits, so a plain hash cannot be reversed by guessing.
                    .col(
                        ColumnDef::new(ApiToken::TokenHash)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    // ADMIN | ANALYST | TOWNSHIP | PARTNER | DASHBOARD
                    .col(ColumnDef::new(ApiToken::Role).string().not_null())
                    // TOWNSHIP tokens: the canonical township name of the county gazetteer (the
                    // same value `person.township` holds).
                    .col(ColumnDef::new(ApiToken::Township).string())
                    // PARTNER tokens: the GB/T 2260 code of the partner's jurisdiction.
                    .col(ColumnDef::new(ApiToken::Partner).string())
                    // Who the token is for, as the operator wrote it (`--note`).
                    .col(ColumnDef::new(ApiToken::Note).string())
                    .col(
                        ColumnDef::new(ApiToken::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // No expiry when null.
                    .col(ColumnDef::new(ApiToken::ExpiresAt).timestamp_with_time_zone())
                    // Set once by `paicha token revoke`; a revoked token never works again.
                    .col(ColumnDef::new(ApiToken::RevokedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(
                        ColumnDef::new(AuditLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditLog::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // The token that acted; null for the command line and for a server running
                    // with access control off (tests), where `role` says so.
                    .col(ColumnDef::new(AuditLog::TokenId).big_integer())
                    .col(ColumnDef::new(AuditLog::Role).string().not_null())
                    // UNMASKED_READ | MUTATION
                    .col(ColumnDef::new(AuditLog::Kind).string().not_null())
                    // The GraphQL field that ran (`person`, `importBatch` …), with the client's
                    // operation name when it gave one (`GetPerson: person`).
                    .col(ColumnDef::new(AuditLog::Operation).string().not_null())
                    // JSON array of the person IDs read or changed.
                    .col(ColumnDef::new(AuditLog::Persons).text().not_null())
                    // JSON array of the fields read unmasked (`idNumber`, `phones`); empty for
                    // mutations.
                    .col(ColumnDef::new(AuditLog::Fields).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::At)
                    .to_owned(),
            )
            .await?;
        // The audit log is append-only in the database itself, not only by convention: an
        // UPDATE or DELETE fails whoever issues it.
        let conn = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for op in ["UPDATE", "DELETE"] {
                    conn.execute_unprepared(&format!(
                        "CREATE TRIGGER audit_log_no_{} BEFORE {op} ON audit_log \
                         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                        op.to_ascii_lowercase()
                    ))
                    .await?;
                }
            }
            DbBackend::Postgres => {
                conn.execute_unprepared(
                    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
                )
                .await?;
                conn.execute_unprepared(
                    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE \
                     ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only()")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ApiToken::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    TokenHash,
    Role,
    Township,
    Partner,
    Note,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    TokenId,
    Role,
    Kind,
    Operation,
    Persons,
    Fields,
}
