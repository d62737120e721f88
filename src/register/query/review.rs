//! What resolution leaves for analysts: the candidates waiting for review, and the model it
//! matched with.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::page::{Page, PageArgs, page_of};
use crate::db::{match_model, review_candidate};
use crate::error::AppError;
use crate::register::Register;
use crate::states::ReviewState;

impl Register {
    /// A page of review candidates still waiting for an analyst, strongest first by ID order.
    pub async fn review_candidates(
        &self,
        args: PageArgs,
    ) -> Result<Page<review_candidate::Model>, AppError> {
        page_of(
            review_candidate::Entity::find()
                .filter(review_candidate::Column::State.eq(ReviewState::Pending)),
            review_candidate::Column::Id,
            args,
            &self.db.conn,
        )
        .await
    }

    /// The model of the latest resolution run.
    pub async fn latest_model(&self) -> Result<Option<match_model::Model>, AppError> {
        Ok(match_model::Entity::find()
            .order_by_desc(match_model::Column::Id)
            .one(&self.db.conn)
            .await?)
    }
}
