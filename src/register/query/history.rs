//! The register's logs, oldest first: resolution events and the audit log.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::page::{Page, PageArgs, page_of};
use crate::access::audit::AuditKind;
use crate::db::{audit_log, resolution_event};
use crate::error::AppError;
use crate::register::Register;
use crate::states::EventKind;

/// Which resolution events to list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Events of this person (as the subject or as the other person of a merge or decision).
    pub person_id: Option<i64>,
    /// Only these kinds.
    pub kinds: Vec<EventKind>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Which audit-log entries to list; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries of this kind.
    pub kind: Option<AuditKind>,
    /// Only entries of this token.
    pub token_id: Option<i64>,
    /// Only entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only entries at or before this time.
    pub to: Option<DateTime<Utc>>,
}

impl EventFilter {
    /// The SQL condition of this filter.
    fn condition(&self) -> Condition {
        use resolution_event::Column as E;
        let mut cond = Condition::all();
        if let Some(person) = self.person_id {
            cond = cond.add(
                Condition::any()
                    .add(E::PersonId.eq(person))
                    .add(E::OtherPersonId.eq(person)),
            );
        }
        if !self.kinds.is_empty() {
            cond = cond.add(E::Kind.is_in(self.kinds.iter().copied()));
        }
        within(cond, E::At, self.from, self.to)
    }
}

impl AuditFilter {
    /// The SQL condition of this filter.
    fn condition(&self) -> Condition {
        use audit_log::Column as A;
        let mut cond = Condition::all();
        if let Some(kind) = &self.kind {
            cond = cond.add(A::Kind.eq(*kind));
        }
        if let Some(token) = self.token_id {
            cond = cond.add(A::TokenId.eq(token));
        }
        within(cond, A::At, self.from, self.to)
    }
}

/// `cond`, and `at` no earlier than `from` and no later than `to` where they are given.
fn within<C: ColumnTrait>(
    cond: Condition,
    at: C,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Condition {
    let mut cond = cond;
    if let Some(from) = from {
        cond = cond.add(at.gte(from));
    }
    if let Some(to) = to {
        cond = cond.add(at.lte(to));
    }
    cond
}

impl Register {
    /// A page of resolution events, oldest first.
    pub async fn events(
        &self,
        filter: &EventFilter,
        args: PageArgs,
    ) -> Result<Page<resolution_event::Model>, AppError> {
        page_of(
            resolution_event::Entity::find().filter(filter.condition()),
            resolution_event::Column::Id,
            args,
            &self.db.conn,
        )
        .await
    }

    /// Resolution events with IDs after `after`, up to `to`, oldest first, at most `limit`.
    pub async fn events_between(
        &self,
        after: i64,
        to: i64,
        limit: u64,
    ) -> Result<Vec<resolution_event::Model>, AppError> {
        use resolution_event::Column as E;
        Ok(resolution_event::Entity::find()
            .filter(E::Id.gt(after))
            .filter(E::Id.lte(to))
            .order_by_asc(E::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await?)
    }

    /// A page of the audit log, oldest first.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        args: PageArgs,
    ) -> Result<Page<audit_log::Model>, AppError> {
        page_of(
            audit_log::Entity::find().filter(filter.condition()),
            audit_log::Column::Id,
            args,
            &self.db.audit().conn,
        )
        .await
    }
}
