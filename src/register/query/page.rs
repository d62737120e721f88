//! Keyset paging: a page of rows after or before a cursor, in a list's order.

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Value,
};

use crate::config::limits::{DEFAULT_PAGE, MAX_PAGE};
use crate::error::AppError;

/// A page of rows in key order, and the total matching the filter.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub has_next: bool,
    pub has_previous: bool,
}

/// A position in a keyset-ordered list: the row's ID and, when the list is ordered by another
/// column, that column's value in the row (`None` for SQL NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub id: i64,
    pub value: Option<serde_json::Value>,
}

/// Keyset pagination arguments: rows after `after` (and before `before`) in the list's order,
/// the first `first` or the last `last` of them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    pub first: Option<u64>,
    pub last: Option<u64>,
}

/// The keys a list is ordered by: an optional (nullable) column, then the row ID.
pub(super) struct SortKey<C> {
    pub(super) column: Option<C>,
    pub(super) id: C,
    pub(super) descending: bool,
}

impl<C: ColumnTrait> SortKey<C> {
    fn by_id(id: C) -> Self {
        Self {
            column: None,
            id,
            descending: false,
        }
    }

    /// Rows strictly after `(value, id)` in ascending order (NULLs last).
    fn ascending_after(&self, value: Option<Value>, id: i64) -> Condition {
        match (self.column, value) {
            (None, _) => Condition::all().add(self.id.gt(id)),
            (Some(col), Some(v)) => Condition::any()
                .add(col.gt(v.clone()))
                .add(Condition::all().add(col.eq(v)).add(self.id.gt(id)))
                .add(col.is_null()),
            (Some(col), None) => Condition::all().add(col.is_null()).add(self.id.gt(id)),
        }
    }

    /// Rows strictly before `(value, id)` in ascending order (NULLs last).
    fn ascending_before(&self, value: Option<Value>, id: i64) -> Condition {
        match (self.column, value) {
            (None, _) => Condition::all().add(self.id.lt(id)),
            (Some(col), Some(v)) => Condition::any()
                .add(col.lt(v.clone()))
                .add(Condition::all().add(col.eq(v)).add(self.id.lt(id))),
            (Some(col), None) => Condition::any().add(col.is_not_null()).add(self.id.lt(id)),
        }
    }

    fn after(&self, value: Option<Value>, id: i64) -> Condition {
        if self.descending {
            self.ascending_before(value, id)
        } else {
            self.ascending_after(value, id)
        }
    }

    fn before(&self, value: Option<Value>, id: i64) -> Condition {
        if self.descending {
            self.ascending_after(value, id)
        } else {
            self.ascending_before(value, id)
        }
    }

    fn order<E: EntityTrait>(
        &self,
        select: sea_orm::Select<E>,
        reverse: bool,
    ) -> sea_orm::Select<E> {
        let dir = if self.descending != reverse {
            Order::Desc
        } else {
            Order::Asc
        };
        let mut select = select;
        if let Some(col) = self.column {
            // NULLs last; a column that holds no NULL orders by itself, so its `(col, id)`
            // index serves the order (SQLite sorts the whole table for `col IS NULL` first).
            if col.def().is_null() {
                select = select.order_by(Expr::col(col).is_null(), dir.clone());
            }
            select = select.order_by(col, dir.clone());
        }
        select.order_by(self.id, dir)
    }
}

/// A cursor's position as SQL values: (sort column value, ID).
pub(super) type Position = (Option<Value>, i64);

/// A page of rows in ID order.
pub(super) async fn page_of<E, C>(
    select: sea_orm::Select<E>,
    key: C,
    args: PageArgs,
    conn: &sea_orm::DatabaseConnection,
) -> Result<Page<E::Model>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    let after = args.after.as_ref().map(|c| (None, c.id));
    let before = args.before.as_ref().map(|c| (None, c.id));
    keyset_page(select, &SortKey::by_id(key), after, before, &args, conn).await
}

/// A page of rows in `key` order, after `after` and before `before`.
pub(super) async fn keyset_page<E, C>(
    select: sea_orm::Select<E>,
    key: &SortKey<C>,
    after: Option<Position>,
    before: Option<Position>,
    args: &PageArgs,
    conn: &sea_orm::DatabaseConnection,
) -> Result<Page<E::Model>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    let total = select.clone().count(conn).await?;
    let mut bounded = select;
    let has_after = after.is_some();
    let has_before = before.is_some();
    if let Some((value, id)) = after {
        bounded = bounded.filter(key.after(value, id));
    }
    if let Some((value, id)) = before {
        bounded = bounded.filter(key.before(value, id));
    }
    let take = Ord::min(args.first.or(args.last).unwrap_or(DEFAULT_PAGE), MAX_PAGE);
    let from_end = args.first.is_none() && args.last.is_some();
    let rows = key
        .order(bounded, from_end)
        .limit(take + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > take;
    let mut items: Vec<E::Model> = rows.into_iter().take(take as usize).collect();
    if from_end {
        items.reverse();
    }
    let (has_next, has_previous) = if from_end {
        (has_before, more)
    } else {
        (more, has_after)
    };
    Ok(Page {
        items,
        total,
        has_next,
        has_previous,
    })
}
