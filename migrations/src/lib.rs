//! Database migrations of paicha, one file per migration, applied in order on start and by
//! `paicha migrate`. Migrations are append-only: never edit one that has shipped.

pub use sea_orm_migration::prelude::*;

mod m20260101_000001_create_register;
mod m20260102_000001_create_review_and_model;
mod m20260103_000001_add_query_indexes;
mod m20260104_000001_create_access_and_audit;
mod m20260105_000001_create_match_index;
mod m20260106_000001_match_key_without_rowid;
mod m20260107_000001_notice_header;
mod m20260108_000001_review_pairs;
mod m20260109_000001_followup;
mod m20260110_000001_letters;
mod m20260111_000001_reports;
mod m20260113_000001_partners;
mod m20260114_000001_outbox;
mod m20260115_000001_household;
mod m20260116_000001_batch_model;

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_create_register::Migration),
            Box::new(m20260102_000001_create_review_and_model::Migration),
            Box::new(m20260103_000001_add_query_indexes::Migration),
            Box::new(m20260104_000001_create_access_and_audit::Migration),
            Box::new(m20260105_000001_create_match_index::Migration),
            Box::new(m20260106_000001_match_key_without_rowid::Migration),
            Box::new(m20260107_000001_notice_header::Migration),
            Box::new(m20260108_000001_review_pairs::Migration),
            Box::new(m20260109_000001_followup::Migration),
            Box::new(m20260110_000001_letters::Migration),
            Box::new(m20260111_000001_reports::Migration),
            Box::new(m20260113_000001_partners::Migration),
            Box::new(m20260114_000001_outbox::Migration),
            Box::new(m20260115_000001_household::Migration),
            Box::new(m20260116_000001_batch_model::Migration),
        ]
    }
}
