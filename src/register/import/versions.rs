//! Which stored record a row is a version of: record IDs scoped by their sender, and a record
//! ID that arrives again for another person told apart from a correction.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::CHUNK;
use super::reading::Prepared;
use crate::db::source_record;
use crate::intake::SourceKind;
use crate::normalize::IdClass;

/// Who a row's record ID belongs to: a record ID is unique only within its sender. An
/// external notice's person: the notice's sender and number; a township check: its township;
/// a big-data list: the province, the one sender of such lists (the empty scope). A row and
/// a stored record are the same record only when source, scope and record ID all agree.
pub(super) fn record_scope(source: SourceKind, p: &Prepared, notice_scopes: &[String]) -> String {
    match source {
        SourceKind::External => p
            .notice
            .and_then(|i| notice_scopes.get(i))
            .cloned()
            .unwrap_or_default(),
        SourceKind::Township => p.identity.identity.township.clone().unwrap_or_default(),
        SourceKind::Bigdata => String::new(),
    }
}

/// A current version of a record the register holds, as far as deciding what a row with
/// its key is.
pub(super) struct Existing {
    pub(super) id: i64,
    pub(super) hash: String,
    pub(super) name: Option<String>,
    pub(super) id_number: Option<String>,
    pub(super) id_class: Option<IdClass>,
}

/// The stored versions of one record key: the newest version number, and its current
/// versions (one, unless a record ID arrived for another person: then one per person).
pub(super) struct Stored {
    pub(super) max_version: i32,
    pub(super) current: Vec<Existing>,
}

/// The reason for a record ID whose stored record is another person, when no finer one
/// applies.
pub(super) const SAME_ID_OTHER_PERSON: &str =
    "该编号已有属于另一人的记录：已作为新记录导入，未作为原记录的新版本";

/// Why the row `p` is not a new version of the stored record `e` but another person's
/// record under the same record ID, or `None` when it may be the same person (a correction
/// of some fields). Another person: both the name and the ID number differ, or both ID
/// numbers are valid and differ (a typo fixed leaves one of them invalid).
pub(super) fn other_person(e: &Existing, p: &Prepared) -> Option<&'static str> {
    let i = &p.identity.identity;
    let differ =
        |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a != b);
    let name_differs = differ(&e.name, &i.name);
    let id_differs = differ(&e.id_number, &i.id_number);
    if name_differs && id_differs {
        Some(
            "该编号已有记录，但姓名和身份证号均不同，是另一人：已作为新记录导入，未作为原记录的新版本",
        )
    } else if id_differs && e.id_class == Some(IdClass::Valid) && i.id_class == Some(IdClass::Valid)
    {
        Some(
            "该编号已有记录，但两个有效身份证号不同，是另一人：已作为新记录导入，未作为原记录的新版本",
        )
    } else {
        None
    }
}

/// The stored versions of the keys of `prepared` in `source`, by (scope, record ID).
pub(super) async fn stored_versions(
    txn: &DatabaseTransaction,
    source: SourceKind,
    prepared: &[Prepared],
) -> Result<HashMap<(String, String), Stored>, DbErr> {
    type Row = (
        i64,
        String,
        String,
        i32,
        bool,
        String,
        Option<String>,
        Option<String>,
        Option<IdClass>,
    );
    let mut stored: HashMap<(String, String), Stored> = HashMap::new();
    let mut ids: Vec<String> = prepared.iter().map(|p| p.record_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<Row> = source_record::Entity::find()
            .select_only()
            .columns([
                source_record::Column::Id,
                source_record::Column::RecordScope,
                source_record::Column::RecordId,
                source_record::Column::Version,
                source_record::Column::IsCurrent,
                source_record::Column::ContentHash,
                source_record::Column::Name,
                source_record::Column::IdNumber,
                source_record::Column::IdClass,
            ])
            .filter(source_record::Column::Source.eq(source.as_db()))
            .filter(source_record::Column::RecordId.is_in(chunk.to_vec()))
            .order_by_asc(source_record::Column::Version)
            .into_tuple()
            .all(txn)
            .await?;
        for (id, scope, record_id, version, is_current, hash, name, id_number, id_class) in rows {
            let key = stored.entry((scope, record_id)).or_insert(Stored {
                max_version: 0,
                current: Vec::new(),
            });
            key.max_version = key.max_version.max(version);
            if is_current {
                key.current.push(Existing {
                    id,
                    hash,
                    name,
                    id_number,
                    id_class,
                });
            }
        }
    }
    Ok(stored)
}
