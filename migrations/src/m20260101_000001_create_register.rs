//! The register's first tables: import batches, raw source records (kept forever), external
//! notices, persons, the link from each record to its person, and the append-only resolution
//! events.
//!
//! Structured values (raw rows, normalised identities, golden records, explanations) are JSON
//! documents in TEXT columns on both backends: the writer serialises each once, straight from
//! its Rust type, which keeps a 100 000-row import within seconds; readers parse them back.
//!
//! Primary keys are 64-bit integers assigned by the single resolution writer (it holds the
//! writer lock while it allocates them), so a batch can insert thousands of rows with one
//! statement and still know every key it wrote.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportBatch::Table)
                    .col(big_pk(ImportBatch::Id))
                    // BIGDATA | TOWNSHIP | EXTERNAL
                    .col(ColumnDef::new(ImportBatch::Source).string().not_null())
                    .col(ColumnDef::new(ImportBatch::FileName).string().not_null())
                    // sha256 of the file's bytes: the same file imported twice is a no-op.
                    .col(ColumnDef::new(ImportBatch::Sha256).string().not_null())
                    .col(ColumnDef::new(ImportBatch::Format).string().not_null())
                    .col(ColumnDef::new(ImportBatch::ImportedBy).string().not_null())
                    .col(
                        ColumnDef::new(ImportBatch::ImportedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ImportBatch::RowsRead).integer().not_null())
                    .col(
                        ColumnDef::new(ImportBatch::RowsAccepted)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportBatch::RowsRejected)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ImportBatch::RecordsNew).integer().not_null())
                    .col(
                        ColumnDef::new(ImportBatch::RecordsUnchanged)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportBatch::RecordsNewVersion)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportBatch::PersonsCreated)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportBatch::PersonsMatched)
                            .integer()
                            .not_null(),
                    )
                    // [{row, reason}] for every rejected row, so a clerk can fix and resend them.
                    .col(ColumnDef::new(ImportBatch::Rejected).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_import_batch_source_sha256")
                    .table(ImportBatch::Table)
                    .col(ImportBatch::Source)
                    .col(ImportBatch::Sha256)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notice::Table)
                    .col(big_pk(Notice::Id))
                    .col(ColumnDef::new(Notice::BatchId).big_integer().not_null())
                    .col(ColumnDef::new(Notice::NoticeNo).string().not_null())
                    .col(
                        ColumnDef::new(Notice::SendingJurisdiction)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Notice::SendDate).date())
                    .col(ColumnDef::new(Notice::Contact).string())
                    .col(ColumnDef::new(Notice::Note).text())
                    // The notice object without its persons, every key kept.
                    .col(ColumnDef::new(Notice::Raw).text().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notice::Table, Notice::BatchId)
                            .to(ImportBatch::Table, ImportBatch::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SourceRecord::Table)
                    .col(big_pk(SourceRecord::Id))
                    .col(
                        ColumnDef::new(SourceRecord::BatchId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SourceRecord::Source).string().not_null())
                    // The source's own key for the row; for external notices the person entry's.
                    .col(ColumnDef::new(SourceRecord::RecordId).string().not_null())
                    // 1 for the first content seen under (source, record_id), then 2, 3 …
                    .col(ColumnDef::new(SourceRecord::Version).integer().not_null())
                    // Only the newest version of a record takes part in resolution.
                    .col(ColumnDef::new(SourceRecord::IsCurrent).boolean().not_null())
                    .col(ColumnDef::new(SourceRecord::RowNumber).integer().not_null())
                    .col(ColumnDef::new(SourceRecord::NoticeId).big_integer())
                    // Every column of the row as it arrived, unknown ones too.
                    .col(ColumnDef::new(SourceRecord::Raw).text().not_null())
                    // sha256 of the canonicalised raw row: equal hash = unchanged record.
                    .col(
                        ColumnDef::new(SourceRecord::ContentHash)
                            .string()
                            .not_null(),
                    )
                    // The normalised identity, one column per field the matcher and the API use.
                    .col(ColumnDef::new(SourceRecord::Name).string())
                    .col(ColumnDef::new(SourceRecord::NamePinyin).string())
                    .col(ColumnDef::new(SourceRecord::IdNumber).string())
                    .col(ColumnDef::new(SourceRecord::IdClass).string())
                    .col(ColumnDef::new(SourceRecord::Phones).text().not_null())
                    .col(ColumnDef::new(SourceRecord::BirthDate).date())
                    .col(ColumnDef::new(SourceRecord::Sex).string())
                    .col(ColumnDef::new(SourceRecord::Township).string())
                    .col(ColumnDef::new(SourceRecord::Village).string())
                    .col(ColumnDef::new(SourceRecord::JurisdictionCode).string())
                    .col(ColumnDef::new(SourceRecord::ArrivalDate).date())
                    .col(ColumnDef::new(SourceRecord::ReportDate).date())
                    // The whole normalised identity and the problems found, as evidence.
                    .col(ColumnDef::new(SourceRecord::Normalized).text().not_null())
                    .col(ColumnDef::new(SourceRecord::Problems).text().not_null())
                    .col(
                        ColumnDef::new(SourceRecord::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SourceRecord::Table, SourceRecord::BatchId)
                            .to(ImportBatch::Table, ImportBatch::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SourceRecord::Table, SourceRecord::NoticeId)
                            .to(Notice::Table, Notice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_source_record_key_version")
                    .table(SourceRecord::Table)
                    .col(SourceRecord::Source)
                    .col(SourceRecord::RecordId)
                    .col(SourceRecord::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_source_record_batch", SourceRecord::BatchId),
            ("ix_source_record_id_number", SourceRecord::IdNumber),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SourceRecord::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .col(big_pk(Person::Id))
                    // Set when this person was merged into another: person(id) follows it.
                    .col(ColumnDef::new(Person::MergedInto).big_integer())
                    // The golden record: the best value of each field across the linked records.
                    .col(ColumnDef::new(Person::Name).string())
                    .col(ColumnDef::new(Person::NamePinyin).string())
                    .col(ColumnDef::new(Person::IdNumber).string())
                    .col(ColumnDef::new(Person::Phones).text().not_null())
                    .col(ColumnDef::new(Person::BirthDate).date())
                    .col(ColumnDef::new(Person::Sex).string())
                    .col(ColumnDef::new(Person::Address).string())
                    .col(ColumnDef::new(Person::Township).string())
                    .col(ColumnDef::new(Person::Village).string())
                    // IN_COUNTY | OUT_OF_COUNTY | PENDING_VERIFICATION
                    .col(ColumnDef::new(Person::LocationStatus).string().not_null())
                    .col(ColumnDef::new(Person::JurisdictionCode).string())
                    .col(ColumnDef::new(Person::JurisdictionName).string())
                    // True when the sources disagree on where the person is.
                    .col(
                        ColumnDef::new(Person::LocationConflict)
                            .boolean()
                            .not_null(),
                    )
                    // WUHAN | OTHER_HUBEI | UNKNOWN
                    .col(ColumnDef::new(Person::HubeiLink).string().not_null())
                    .col(ColumnDef::new(Person::Origin).string())
                    .col(ColumnDef::new(Person::ArrivalDate).date())
                    .col(ColumnDef::new(Person::FirstReported).date())
                    // Per field: the value chosen, the records it came from, conflicting values.
                    .col(ColumnDef::new(Person::Golden).text().not_null())
                    .col(
                        ColumnDef::new(Person::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Person::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_person_id_number", Person::IdNumber),
            ("ix_person_location_status", Person::LocationStatus),
            ("ix_person_township", Person::Township),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Person::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RecordLink::Table)
                    // One link per source record version: the person it belongs to.
                    .col(
                        ColumnDef::new(RecordLink::SourceRecordId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RecordLink::PersonId)
                            .big_integer()
                            .not_null(),
                    )
                    // Total match weight of the decision (0 for the record that founded the person).
                    .col(ColumnDef::new(RecordLink::Weight).double().not_null())
                    // Which rule linked it, e.g. ID_EXACT, NAME_AND_PHONE, NEW_PERSON.
                    .col(ColumnDef::new(RecordLink::Rule).string().not_null())
                    .col(ColumnDef::new(RecordLink::Explanation).text().not_null())
                    .col(
                        ColumnDef::new(RecordLink::LinkedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RecordLink::Table, RecordLink::SourceRecordId)
                            .to(SourceRecord::Table, SourceRecord::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RecordLink::Table, RecordLink::PersonId)
                            .to(Person::Table, Person::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_record_link_person")
                    .table(RecordLink::Table)
                    .col(RecordLink::PersonId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ResolutionEvent::Table)
                    .col(big_pk(ResolutionEvent::Id))
                    // CREATE | LINK | MERGE | SPLIT | DECISION | STATUS_CHANGE
                    .col(ColumnDef::new(ResolutionEvent::Kind).string().not_null())
                    .col(
                        ColumnDef::new(ResolutionEvent::PersonId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ResolutionEvent::OtherPersonId).big_integer())
                    .col(ColumnDef::new(ResolutionEvent::SourceRecordId).big_integer())
                    .col(ColumnDef::new(ResolutionEvent::BatchId).big_integer())
                    .col(ColumnDef::new(ResolutionEvent::Actor).string().not_null())
                    .col(
                        ColumnDef::new(ResolutionEvent::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // Weights and the per-field explanation behind the event.
                    .col(ColumnDef::new(ResolutionEvent::Detail).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_resolution_event_person")
                    .table(ResolutionEvent::Table)
                    .col(ResolutionEvent::PersonId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ResolutionEvent::Table.into_iden(),
            RecordLink::Table.into_iden(),
            Person::Table.into_iden(),
            SourceRecord::Table.into_iden(),
            Notice::Table.into_iden(),
            ImportBatch::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A 64-bit primary key whose values the writer assigns.
fn big_pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .primary_key()
        .to_owned()
}

#[derive(DeriveIden)]
enum ImportBatch {
    Table,
    Id,
    Source,
    FileName,
    Sha256,
    Format,
    ImportedBy,
    ImportedAt,
    RowsRead,
    RowsAccepted,
    RowsRejected,
    RecordsNew,
    RecordsUnchanged,
    RecordsNewVersion,
    PersonsCreated,
    PersonsMatched,
    Rejected,
}

#[derive(DeriveIden)]
#[expect(
    clippy::enum_variant_names,
    reason = "column names: the notice's number is notice_no"
)]
enum Notice {
    Table,
    Id,
    BatchId,
    NoticeNo,
    SendingJurisdiction,
    SendDate,
    Contact,
    Note,
    Raw,
}

#[derive(DeriveIden)]
enum SourceRecord {
    Table,
    Id,
    BatchId,
    Source,
    RecordId,
    Version,
    IsCurrent,
    RowNumber,
    NoticeId,
    Raw,
    ContentHash,
    Name,
    NamePinyin,
    IdNumber,
    IdClass,
    Phones,
    BirthDate,
    Sex,
    Township,
    Village,
    JurisdictionCode,
    ArrivalDate,
    ReportDate,
    Normalized,
    Problems,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    MergedInto,
    Name,
    NamePinyin,
    IdNumber,
    Phones,
    BirthDate,
    Sex,
    Address,
    Township,
    Village,
    LocationStatus,
    JurisdictionCode,
    JurisdictionName,
    LocationConflict,
    HubeiLink,
    Origin,
    ArrivalDate,
    FirstReported,
    Golden,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RecordLink {
    Table,
    SourceRecordId,
    PersonId,
    Weight,
    Rule,
    Explanation,
    LinkedAt,
}

#[derive(DeriveIden)]
enum ResolutionEvent {
    Table,
    Id,
    Kind,
    PersonId,
    OtherPersonId,
    SourceRecordId,
    BatchId,
    Actor,
    At,
    Detail,
}
