//! Tables of the resolution engine: the pairs left for an analyst to review, and the trained
//! match model (so the weights behind every decision can be shown).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewCandidate::Table)
                    .col(
                        ColumnDef::new(ReviewCandidate::Id)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    // The two source record versions compared (current versions when written).
                    .col(
                        ColumnDef::new(ReviewCandidate::RecordA)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ReviewCandidate::RecordB)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ReviewCandidate::TotalWeight)
                            .double()
                            .not_null(),
                    )
                    // [{field, level, weight}] — why the pair is neither clearly one nor two.
                    .col(
                        ColumnDef::new(ReviewCandidate::Explanation)
                            .text()
                            .not_null(),
                    )
                    // PENDING until an analyst decides SAME or DIFFERENT; pending pairs are
                    // replaced on every resolution run, decided ones are kept as constraints.
                    .col(ColumnDef::new(ReviewCandidate::State).string().not_null())
                    .col(ColumnDef::new(ReviewCandidate::DecidedBy).string())
                    .col(ColumnDef::new(ReviewCandidate::DecidedAt).timestamp_with_time_zone())
                    .col(
                        ColumnDef::new(ReviewCandidate::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_review_candidate_state")
                    .table(ReviewCandidate::Table)
                    .col(ReviewCandidate::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MatchModel::Table)
                    .col(
                        ColumnDef::new(MatchModel::Id)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MatchModel::Profile).string().not_null())
                    .col(
                        ColumnDef::new(MatchModel::TrainedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // The trained m, u and prior, with what training saw, as JSON.
                    .col(ColumnDef::new(MatchModel::Model).text().not_null())
                    // Candidate pairs per blocking rule of the run that trained it, as JSON.
                    .col(ColumnDef::new(MatchModel::Blocking).text().not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MatchModel::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ReviewCandidate::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ReviewCandidate {
    Table,
    Id,
    RecordA,
    RecordB,
    TotalWeight,
    Explanation,
    State,
    DecidedBy,
    DecidedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MatchModel {
    Table,
    Id,
    Profile,
    TrainedAt,
    Model,
    Blocking,
}
