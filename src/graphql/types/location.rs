//! Where a person is: the pieces of location evidence behind their status.

use async_graphql::{ID, SimpleObject};
use chrono::NaiveDate;

use super::common::{Jurisdiction, Shown};
use super::enums::{LocationStatus, Source};
use crate::db::source_record;
use crate::register::golden::LocationPiece;

/// One source record's word on where the person is, read by a named rule.
#[derive(SimpleObject, Clone, Debug)]
pub struct LocationEvidence {
    /// The kind of source the record came from.
    pub source: Source,
    /// The internal ID of the source record version; null when the caller may not see it (a
    /// TOWNSHIP caller sees its township's records only, as `Person.records`).
    pub source_record_id: Option<ID>,
    /// The source's own key for the record, masked as `SourceRecord.recordId` is by default;
    /// null when the caller may not see the record.
    pub record_id: Option<String>,
    /// What the record says: `IN_COUNTY` or `OUT_OF_COUNTY`.
    pub status: LocationStatus,
    /// The division outside the county where the record places the person (county level when
    /// named, else the city or province), when it names one.
    pub place: Option<Jurisdiction>,
    /// The township of the county where the record places the person, when named.
    pub township: Option<String>,
    /// The village or community of the county, when named.
    pub village: Option<String>,
    /// The record's report or check date (its import day when it gives none).
    pub report_date: NaiveDate,
    /// The rule that read it: `township.cell`, `township.address`, `remark.stays_at`,
    /// `remark.went_to`, `remark.away_unnamed`, `remark.at_home`, `notice.address`,
    /// `bigdata.location`.
    pub rule: String,
    /// True for the piece that decided the person's status (an on-site check beats a notice,
    /// which beats a big-data hint; within one kind the latest report date wins).
    pub deciding: bool,
}

impl LocationEvidence {
    /// The piece as shown to a caller who sees its `record` (none when they may not).
    pub fn of(piece: LocationPiece, record: Option<&source_record::Model>) -> Self {
        Self {
            source: piece.source.into(),
            source_record_id: record.map(|r| ID::from(r.id)),
            record_id: record.map(|r| Shown::new(false).text(&r.record_id)),
            status: piece.status.into(),
            place: piece.code.map(|code| Jurisdiction {
                code,
                name: piece.name,
            }),
            township: piece.township,
            village: piece.village,
            report_date: piece.report_date,
            rule: piece.rule,
            deciding: piece.deciding,
        }
    }
}
