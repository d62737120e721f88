//! Township verification worklists: the persons still `PENDING_VERIFICATION`, each on the
//! list of the township a hint points to (a base-station or train location, an address, a
//! notice's destination), the others on the county's own list, until a township record or an
//! analyst settles where they are.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::page::{Page, PageArgs, page_of};
use crate::db::person;
use crate::error::AppError;
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
    pub async fn verification_worklist(
        &self,
        township: Option<&str>,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<person::Model>, AppError> {
        let select = person::Entity::find().filter(worklist_condition(township).add(visible));
        page_of(select, person::Column::Id, args, &self.db.conn).await
    }

    /// Every person of the worklist of `township` (as [`Self::verification_worklist`]), for
    /// an export.
    pub async fn worklist_rows(
        &self,
        township: Option<&str>,
    ) -> Result<Vec<person::Model>, AppError> {
        use sea_orm::QueryOrder as _;
        Ok(person::Entity::find()
            .filter(worklist_condition(township))
            .order_by_asc(person::Column::Id)
            .all(&self.db.conn)
            .await?)
    }
}

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
