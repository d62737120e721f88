//! Recorded cases: a person's case status (suspected, confirmed, ruled out, recovered), every
//! recording kept as its history.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait, QueryFilter as _, QueryOrder as _, Set,
};

use super::clean_note;
use crate::db::{case_status, next_id, person};
use crate::error::AppError;
use crate::register::{ChangeKind, Register};
use crate::states::CaseStatus;

impl Register {
    /// Records `status` for `person_id` (the person it redirects to) from `date`. The history
    /// is kept: the status on a day is the latest recording dated on or before it.
    pub async fn record_case(
        &self,
        person_id: i64,
        status: CaseStatus,
        date: NaiveDate,
        note: Option<&str>,
        recorded_by: &str,
    ) -> Result<case_status::Model, AppError> {
        let note = clean_note(note)?;
        if date > self.reference.clock.today() {
            return Err(AppError::BadInput(format!("不能记录将来的日期：{date}")));
        }
        let now = self.reference.clock.now();
        let write = self.db.write("a case status").await?;
        let live = person::Entity::find_by_id(person_id)
            .one(&write.txn)
            .await?
            .filter(|p| p.merged_into.is_none())
            .ok_or_else(|| AppError::NotFound(format!("人员 {person_id} 不存在")))?;
        let row = case_status::ActiveModel {
            id: Set(next_id(&write.txn, "case_status").await?),
            person_id: Set(live.id),
            status: Set(status),
            date: Set(date),
            note: Set(note),
            recorded_by: Set(recorded_by.to_owned()),
            recorded_at: Set(now),
        }
        .insert(&write.txn)
        .await?;
        write.commit().await?;
        self.announce(ChangeKind::Observation, vec![live.id]).await;
        Ok(row)
    }

    /// Every case status recorded for `person_id`, oldest first (by date, then recording).
    pub async fn cases_of(&self, person_id: i64) -> Result<Vec<case_status::Model>, AppError> {
        Ok(case_status::Entity::find()
            .filter(case_status::Column::PersonId.eq(person_id))
            .order_by_asc(case_status::Column::Date)
            .order_by_asc(case_status::Column::Id)
            .all(&self.db.conn)
            .await?)
    }
}
