//! Follow-up alerts: listing them, acknowledging and resolving them.

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, EntityTrait, IntoActiveModel as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, Set,
};

use super::clean_note;
use crate::config::limits::{DEFAULT_PAGE, MAX_PAGE};
use crate::db::followup_alert;
use crate::error::AppError;
use crate::register::{ChangeKind, Register};
use crate::states::{AlertKind, AlertState};

/// Which alerts to list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub kind: Option<AlertKind>,
    pub state: Option<AlertState>,
    pub township: Option<String>,
}

/// A page of alerts, newest first.
#[derive(Debug, Clone)]
pub struct AlertPage {
    pub items: Vec<followup_alert::Model>,
    pub total: u64,
    pub has_next: bool,
    pub has_previous: bool,
}

impl Register {
    /// Alerts matching `filter` among those `visible` to the caller, newest first: the
    /// first `first` after the alert `after`.
    pub async fn alerts(
        &self,
        filter: &AlertFilter,
        visible: Condition,
        first: Option<u64>,
        after: Option<i64>,
    ) -> Result<AlertPage, AppError> {
        let mut select = followup_alert::Entity::find().filter(visible);
        if let Some(kind) = filter.kind {
            select = select.filter(followup_alert::Column::Kind.eq(kind));
        }
        if let Some(state) = filter.state {
            select = select.filter(followup_alert::Column::State.eq(state));
        }
        if let Some(township) = filter.township.as_deref() {
            let canonical = self
                .reference
                .gazetteer
                .match_township(township)
                .map(|m| m.name.to_string())
                .ok_or_else(|| {
                    AppError::BadInput(format!("本县没有名为“{township}”的乡镇或街道"))
                })?;
            select = select.filter(followup_alert::Column::Township.eq(canonical));
        }
        let total = select.clone().count(&self.db.conn).await?;
        if let Some(after) = after {
            select = select.filter(followup_alert::Column::Id.lt(after));
        }
        let take = first.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE);
        let rows = select
            .order_by_desc(followup_alert::Column::Id)
            .limit(take + 1)
            .all(&self.db.conn)
            .await?;
        let has_next = rows.len() as u64 > take;
        Ok(AlertPage {
            items: rows.into_iter().take(take as usize).collect(),
            total,
            has_next,
            has_previous: after.is_some(),
        })
    }

    /// The alerts `visible` to the caller with an ID above `after`, oldest first (at most
    /// a page of them).
    pub async fn alerts_after(
        &self,
        visible: Condition,
        after: i64,
    ) -> Result<Vec<followup_alert::Model>, AppError> {
        Ok(followup_alert::Entity::find()
            .filter(visible)
            .filter(followup_alert::Column::Id.gt(after))
            .order_by_asc(followup_alert::Column::Id)
            .limit(MAX_PAGE)
            .all(&self.db.conn)
            .await?)
    }

    /// The highest alert ID so far (0 when there is none).
    pub async fn last_alert_id(&self) -> Result<i64, AppError> {
        let last = followup_alert::Entity::find()
            .order_by_desc(followup_alert::Column::Id)
            .one(&self.db.conn)
            .await?;
        Ok(last.map_or(0, |a| a.id))
    }

    /// One alert.
    pub async fn alert(&self, id: i64) -> Result<Option<followup_alert::Model>, AppError> {
        Ok(followup_alert::Entity::find_by_id(id)
            .one(&self.db.conn)
            .await?)
    }

    /// Moves alert `id` to `state` (`ACKNOWLEDGED` from `OPEN`; `RESOLVED` from either),
    /// with `note`. An alert already there or past it is a conflict.
    pub async fn answer_alert(
        &self,
        id: i64,
        state: AlertState,
        note: Option<&str>,
    ) -> Result<followup_alert::Model, AppError> {
        let note = clean_note(note)?;
        let now = self.reference.clock.now();
        let write = self.db.write("an alert's answer").await?;
        let Some(alert) = followup_alert::Entity::find_by_id(id)
            .one(&write.txn)
            .await?
        else {
            return Err(AppError::NotFound(format!("预警 {id} 不存在")));
        };
        let allowed = match state {
            AlertState::Acknowledged => alert.state == AlertState::Open,
            AlertState::Resolved => alert.state != AlertState::Resolved,
            AlertState::Open => false,
        };
        if !allowed {
            return Err(AppError::Conflict(format!(
                "预警 {id} 当前状态为 {}，不能改为 {}",
                crate::states::Stored::as_str(alert.state),
                crate::states::Stored::as_str(state)
            )));
        }
        let mut update = alert.into_active_model();
        update.state = Set(state);
        if note.is_some() {
            update.note = Set(note);
        }
        update.updated_at = Set(now);
        let updated = update.update(&write.txn).await?;
        write.commit().await?;
        self.announce(ChangeKind::Alert, Vec::new()).await;
        Ok(updated)
    }
}
