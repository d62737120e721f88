//! External notices (协查函) with their headers: listed by sender, number and send date, and
//! the notice of a record.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};

use super::page::{Page, PageArgs, page_of};
use super::person_filter::DateRange;
use crate::access::guard::{ScopedEntity, code_prefix};
use crate::access::{Principal, Role};
use crate::db::{notice, source_record};
use crate::error::AppError;
use crate::register::Register;

/// Which notices to list. Every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    /// Sent by this jurisdiction or one inside it (GB/T 2260 code, prefix-aware: `4201` or
    /// `420100` is all of Wuhan).
    pub sending_jurisdiction: Option<String>,
    /// Notices of this number (as written on the notice).
    pub number: Option<String>,
    /// Sent within this range of days.
    pub send_date: DateRange,
}

/// A notice belongs to the jurisdiction that sent it: a partner sees the notices sent from
/// inside its jurisdiction; townships are handled in [`notice_visibility`].
impl ScopedEntity for notice::Entity {
    fn township_column() -> Option<notice::Column> {
        None
    }
    fn jurisdiction_column() -> Option<notice::Column> {
        Some(notice::Column::SendingJurisdictionCode)
    }
}

/// The notices `principal` may list: every notice for the roles that see everything; for a
/// township officer, the notices with a current record in its township (the notices it has
/// to answer); for a partner, those it sent; none for the others.
pub fn notice_visibility(principal: &Principal) -> Condition {
    match (principal.role, principal.township.as_deref()) {
        (Role::Township, Some(township)) => Condition::all().add(
            notice::Column::Id.in_subquery(
                Query::select()
                    .column(source_record::Column::NoticeId)
                    .from(source_record::Entity)
                    .and_where(source_record::Column::Township.eq(township))
                    .and_where(source_record::Column::IsCurrent.eq(true))
                    .and_where(source_record::Column::NoticeId.is_not_null())
                    .to_owned(),
            ),
        ),
        _ => crate::access::guard::row_filter::<notice::Entity>(principal),
    }
}

impl Register {
    /// A page of notices, oldest first, of those `visible` lets the caller see.
    pub async fn notices(
        &self,
        filter: &NoticeFilter,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<notice::Model>, AppError> {
        let mut select = notice::Entity::find().filter(visible);
        if let Some(code) = filter.sending_jurisdiction.as_deref() {
            let code = code.trim();
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) || code.len() > 6 {
                return Err(AppError::BadInput(format!(
                    "发函地区应为 2 至 6 位行政区划代码（如 4201 为武汉市）：{code}"
                )));
            }
            select = select
                .filter(notice::Column::SendingJurisdictionCode.starts_with(code_prefix(code)));
        }
        if let Some(number) = filter.number.as_deref() {
            select = select.filter(notice::Column::NoticeNo.eq(number.trim()));
        }
        if let Some(from) = filter.send_date.from {
            select = select.filter(notice::Column::SendDate.gte(from));
        }
        if let Some(to) = filter.send_date.to {
            select = select.filter(notice::Column::SendDate.lte(to));
        }
        page_of(select, notice::Column::Id, args, &self.db.conn).await
    }

    /// Notices by ID (those found).
    pub async fn notices_by_id(&self, ids: &[i64]) -> Result<Vec<notice::Model>, AppError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(notice::Entity::find()
            .filter(notice::Column::Id.is_in(ids.to_vec()))
            .all(&self.db.conn)
            .await?)
    }

    /// How many current records each of `notices` has (a notice without any is left out).
    pub async fn notice_record_counts(
        &self,
        notices: &[i64],
    ) -> Result<HashMap<i64, u64>, AppError> {
        if notices.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(Option<i64>, i64)> = source_record::Entity::find()
            .select_only()
            .column(source_record::Column::NoticeId)
            .column_as(Expr::col(source_record::Column::Id).count(), "n")
            .filter(source_record::Column::NoticeId.is_in(notices.to_vec()))
            .filter(source_record::Column::IsCurrent.eq(true))
            .group_by(source_record::Column::NoticeId)
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, n)| Some((id?, u64::try_from(n).unwrap_or(0))))
            .collect())
    }

    /// The current records of notice `notice`, of those `visible` lets the caller see, in
    /// the notice's order.
    pub async fn notice_records(
        &self,
        notice: i64,
        visible: Condition,
    ) -> Result<Vec<source_record::Model>, AppError> {
        use sea_orm::QueryOrder as _;
        Ok(source_record::Entity::find()
            .filter(visible)
            .filter(source_record::Column::NoticeId.eq(notice))
            .filter(source_record::Column::IsCurrent.eq(true))
            .order_by_asc(source_record::Column::RowNumber)
            .order_by_asc(source_record::Column::Id)
            .all(&self.db.conn)
            .await?)
    }
}
