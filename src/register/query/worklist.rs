//! Township verification worklists: the persons still `PENDING_VERIFICATION`, each on the
//! list of the township a hint points to (a base-station or train location, an address, a
//! notice's destination), the others on the county's own list, until a township record or an
//! analyst settles where they are.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::export_persons::{PersonSheet, source_label};
use super::page::{Page, PageArgs, page_of};
use crate::db::{household_link, person, source_record};
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::privacy::mask_text;
use crate::register::Register;
use crate::register::golden::Golden;
use crate::states::{LocationStatus, Stored as _};

/// Where a person on a worklist was hinted at: the record that gave the township.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorklistHint {
    /// The source record that named the township.
    pub record: i64,
    /// What it says: the township, and the village when known (`白鹭镇白鹭湖村`).
    pub text: String,
}

impl Register {
    /// The canonical township of the gazetteer `township` names; `BAD_USER_INPUT` naming it
    /// when the county has no such township.
    pub fn worklist_township(&self, township: &str) -> Result<String, AppError> {
        self.reference
            .gazetteer
            .match_township(township)
            .map(|m| m.name)
            .ok_or_else(|| AppError::BadInput(format!("未知的乡镇：{township}")))
    }

    /// A page of the verification worklist of `township` (canonical; `None`: the county's
    /// own list of persons with no hint of a township), in person ID order, of the persons
    /// `visible` lets the caller see.
    ///
    /// With `households` (the caller is the county or the township's own officer: household
    /// calls are the township's), the list also holds the phone-only persons linked to a
    /// household of the township ([`household_link`]): one call to make each, whatever their
    /// own location status or hint.
    pub async fn verification_worklist(
        &self,
        township: Option<&str>,
        args: PageArgs,
        visible: Condition,
        households: bool,
    ) -> Result<Page<person::Model>, AppError> {
        let mut on_list = Condition::any().add(worklist_condition(township).add(visible));
        if households {
            let linked = sea_orm::sea_query::Query::select()
                .column(household_link::Column::PersonId)
                .from(household_link::Entity)
                .and_where(match township {
                    Some(t) => household_link::Column::Township.eq(t),
                    None => household_link::Column::Township.is_null(),
                })
                .to_owned();
            on_list = on_list.add(
                Condition::all()
                    .add(person::Column::MergedInto.is_null())
                    .add(person::Column::Id.in_subquery(linked)),
            );
        }
        let select = person::Entity::find().filter(on_list);
        page_of(select, person::Column::Id, args, &self.db.conn).await
    }

    /// The household link of `person` (a phone-only person linked to a household), if any.
    pub async fn household_of(
        &self,
        person: i64,
    ) -> Result<Option<household_link::Model>, AppError> {
        Ok(household_link::Entity::find()
            .filter(household_link::Column::PersonId.eq(person))
            .order_by_asc(household_link::Column::SourceRecordId)
            .one(&self.db.conn)
            .await?)
    }

    /// The worklist of `township` (as [`Self::verification_worklist`], every person on it)
    /// as the rows of [`WORKLIST_HEADER`], for offices that work on paper; phones, and ID
    /// numbers and phones in free text, masked unless `unmasked` (names are shown, as the API
    /// shows them).
    pub async fn worklist_sheet(
        &self,
        township: Option<&str>,
        unmasked: bool,
    ) -> Result<PersonSheet, AppError> {
        let persons = person::Entity::find()
            .filter(worklist_condition(township))
            .order_by_asc(person::Column::Id)
            .all(&self.db.conn)
            .await?;
        let mut hints = Vec::with_capacity(persons.len());
        for p in &persons {
            let golden: Golden = serde_json::from_str(&p.golden).map_err(|e| {
                AppError::Internal(anyhow::anyhow!(
                    "reading the golden record of person {}: {e}",
                    p.id
                ))
            })?;
            hints.push(worklist_hint(&golden));
        }
        let wanted: Vec<i64> = hints.iter().flatten().map(|h| h.record).collect();
        let mut sources: HashMap<i64, SourceKind> = HashMap::new();
        for chunk in wanted.chunks(500) {
            let rows: Vec<(i64, SourceKind)> = source_record::Entity::find()
                .select_only()
                .column(source_record::Column::Id)
                .column(source_record::Column::Source)
                .filter(source_record::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(&self.db.conn)
                .await?;
            sources.extend(rows);
        }
        let shown = |text: &str| {
            if unmasked {
                text.to_owned()
            } else {
                mask_text(text)
            }
        };
        let mut sheet = PersonSheet::default();
        for (p, hint) in persons.into_iter().zip(hints) {
            let phones: Vec<String> = serde_json::from_str(&p.phones).unwrap_or_default();
            let (source, text) = match hint {
                Some(h) => (
                    sources
                        .get(&h.record)
                        .map_or("", |s| source_label(*s))
                        .to_owned(),
                    h.text,
                ),
                None => (String::new(), String::new()),
            };
            sheet.rows.push(vec![
                p.name.clone().unwrap_or_default(),
                phones
                    .iter()
                    .map(|v| shown(v))
                    .collect::<Vec<_>>()
                    .join(";"),
                source,
                text,
                p.arrival_date.map(|d| d.to_string()).unwrap_or_default(),
                p.origin.as_deref().map(shown).unwrap_or_default(),
            ]);
            sheet.persons.push(p.id);
        }
        Ok(sheet)
    }
}

/// The columns of an exported worklist.
pub const WORKLIST_HEADER: [&str; 6] =
    ["姓名", "联系电话", "线索来源", "线索", "抵达日期", "来源地"];

/// The persons of a worklist: pending, not merged away, of the township (or of none).
fn worklist_condition(township: Option<&str>) -> Condition {
    Condition::all()
        .add(person::Column::MergedInto.is_null())
        .add(person::Column::LocationStatus.eq(LocationStatus::PendingVerification.as_str()))
        .add(match township {
            Some(t) => person::Column::Township.eq(t),
            None => person::Column::Township.is_null(),
        })
}

/// The hint that put a person on a township's list: the record that gave the golden
/// township (the first of them), with the township and village as text.
pub fn worklist_hint(golden: &Golden) -> Option<WorklistHint> {
    let township = golden.township.value.as_deref()?;
    let record = *golden.township.sources.first()?;
    let village = golden.village.value.as_deref().unwrap_or_default();
    Some(WorklistHint {
        record,
        text: format!("{township}{village}"),
    })
}
