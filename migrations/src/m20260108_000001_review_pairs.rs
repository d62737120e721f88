//! Review candidates keyed by their pair of records, so a candidate keeps its ID across
//! resolution runs, and the analyst's note on a decision.
//!
//! - every pair is stored low record first (`record_a < record_b`), duplicates of a pair are
//!   folded into one row (a decided row wins over a pending one, the newest decision over
//!   older ones), and a unique index `ux_review_candidate_pair` keeps it so;
//! - `note`: what the analyst wrote with the decision;
//! - `closed_reason`: why a candidate left the queue without a decision (state `WITHDRAWN`),
//!   in the words the API answers with.
//!
//! Plain SQL where sea-query has no statement for it; identical on SQLite and PostgreSQL (both
//! read the old values on the right of `SET`, so the swap is one statement).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const STATEMENTS: &[&str] = &[
    "UPDATE review_candidate SET record_a = record_b, record_b = record_a \
     WHERE record_a > record_b",
    // A pending row whose pair was also decided goes.
    "DELETE FROM review_candidate WHERE state = 'PENDING' AND EXISTS (\
     SELECT 1 FROM review_candidate d WHERE d.record_a = review_candidate.record_a \
     AND d.record_b = review_candidate.record_b AND d.state <> 'PENDING')",
    // Of the rest, the newest row of each pair stays.
    "DELETE FROM review_candidate WHERE EXISTS (\
     SELECT 1 FROM review_candidate d WHERE d.record_a = review_candidate.record_a \
     AND d.record_b = review_candidate.record_b AND d.id > review_candidate.id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in STATEMENTS {
            db.execute_unprepared(sql).await?;
        }
        for column in [ReviewCandidate::Note, ReviewCandidate::ClosedReason] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReviewCandidate::Table)
                        .add_column(ColumnDef::new(column).text().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_review_candidate_pair")
                    .table(ReviewCandidate::Table)
                    .col(ReviewCandidate::RecordA)
                    .col(ReviewCandidate::RecordB)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_review_candidate_pair")
                    .table(ReviewCandidate::Table)
                    .to_owned(),
            )
            .await?;
        for column in [ReviewCandidate::ClosedReason, ReviewCandidate::Note] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReviewCandidate::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ReviewCandidate {
    Table,
    RecordA,
    RecordB,
    Note,
    ClosedReason,
}
