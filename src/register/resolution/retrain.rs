//! Retraining apart from imports (issue 25): an import matches its batch with the stored
//! model however much the register grew, so the model is retrained on the whole register by
//! `paicha resolve`, or by the server once retraining is due (the register grew beyond the
//! profile's `retrain_growth` since the model was trained) and no batch was imported for a
//! while.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, QueryOrder, QuerySelect};

use super::ResolutionSummary;
use super::load::retrain_due;
use crate::config::limits::RETRAIN_CHECK_EVERY;
use crate::db::{import_batch, read_back};
use crate::error::AppError;
use crate::register::Register;

impl Register {
    /// Whether the match model is due for retraining: the register grew beyond the profile's
    /// `retrain_growth` since it was trained, or it has records and no usable model.
    pub async fn retrain_due(&self) -> Result<bool, AppError> {
        let conn = &self.db.conn;
        let current = read_back::linked_records(conn).await?;
        if current == 0 {
            return Ok(false);
        }
        Ok(match self.stored_model(conn).await? {
            None => true,
            Some((_, model)) => retrain_due(&model, current, self.profile.model.retrain_growth),
        })
    }

    /// Retrains the model on the whole register ([`Register::resolve_all`], as `actor`) when
    /// retraining is due and no batch was imported within `idle` before `now`; the run's
    /// summary, or `None` when nothing was done.
    pub async fn retrain_if_idle(
        &self,
        idle: Duration,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<Option<ResolutionSummary>, AppError> {
        let last: Option<DateTime<Utc>> = import_batch::Entity::find()
            .select_only()
            .column(import_batch::Column::ImportedAt)
            .order_by_desc(import_batch::Column::ImportedAt)
            .into_tuple()
            .one(&self.db.conn)
            .await?;
        let quiet = last
            .is_none_or(|at| now.signed_duration_since(at).to_std().unwrap_or_default() >= idle);
        if !quiet || !self.retrain_due().await? {
            return Ok(None);
        }
        tracing::info!(
            idle.s = idle.as_secs(),
            "retraining the match model on the idle register"
        );
        self.resolve_all(actor).await.map(Some)
    }

    /// Looks every minute whether retraining is due and the register idle for `idle`, and
    /// retrains then (see [`Register::retrain_if_idle`]); for as long as the task runs.
    pub fn spawn_retrainer(&self, idle: Duration) -> tokio::task::JoinHandle<()> {
        let register = self.clone();
        tokio::spawn(async move {
            let mut every =
                tokio::time::interval(RETRAIN_CHECK_EVERY.min(idle).max(Duration::from_secs(1)));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every.tick().await;
                if let Err(e) = register.retrain_if_idle(idle, Utc::now(), "server").await {
                    tracing::warn!(error = ?e, "retraining the match model failed; next try in a minute");
                }
            }
        })
    }
}
