//! The resolver's persistent index, so a batch is matched against the register without
//! reading the whole register: every current record's blocking keys, and with each trained
//! model the term frequencies it was trained with.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MatchKey::Table)
                    // A 64-bit hash of (blocking rule, key): records sharing it are candidates.
                    .col(ColumnDef::new(MatchKey::KeyHash).big_integer().not_null())
                    .col(
                        ColumnDef::new(MatchKey::SourceRecordId)
                            .big_integer()
                            .not_null(),
                    )
                    // A hash of the record's valid full ID number (0 when it has none): two
                    // different valid numbers are never the same person, so such a pair is
                    // not a candidate.
                    .col(ColumnDef::new(MatchKey::IdHash).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(MatchKey::KeyHash)
                            .col(MatchKey::SourceRecordId),
                    )
                    .to_owned(),
            )
            .await?;
        // Keys whose block has grown past the profile's `max_block`: never compared again, so
        // their records are not kept in `match_key`.
        manager
            .create_table(
                Table::create()
                    .table(MatchKeyOversized::Table)
                    .col(
                        ColumnDef::new(MatchKeyOversized::KeyHash)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .to_owned(),
            )
            .await?;
        // Pending review candidates of the records a batch touches are replaced by record.
        for (name, column) in [
            ("ix_review_candidate_record_a", ReviewCandidate::RecordA),
            ("ix_review_candidate_record_b", ReviewCandidate::RecordB),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ReviewCandidate::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        // Term frequencies of the model, by field: {"name": {"王伟": 3.2, …}, …} (only values
        // more common than the average value; the others count as ordinary).
        manager
            .alter_table(
                Table::alter()
                    .table(MatchModel::Table)
                    .add_column(ColumnDef::new(MatchModel::TermFrequency).text())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "ix_review_candidate_record_a",
            "ix_review_candidate_record_b",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(ReviewCandidate::Table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(MatchModel::Table)
                    .drop_column(MatchModel::TermFrequency)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(MatchKeyOversized::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MatchKey::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MatchKey {
    Table,
    KeyHash,
    SourceRecordId,
    IdHash,
}

#[derive(DeriveIden)]
enum MatchKeyOversized {
    Table,
    KeyHash,
}

#[derive(DeriveIden)]
enum ReviewCandidate {
    Table,
    RecordA,
    RecordB,
}

#[derive(DeriveIden)]
enum MatchModel {
    Table,
    TermFrequency,
}
