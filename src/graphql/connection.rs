//! Relay cursor connections (`totalCount`, `pageInfo`, `edges { cursor node }`).
//!
//! Written here rather than taken from async-graphql so that every connection and edge type
//! carries a description in the schema.

use async_graphql::connection::PageInfo;

use super::types::{
    AuditEntry, ImportBatch, Notice, Person, ResolutionEvent, ReviewCandidate, SourceRecord,
};
use crate::config::limits::{DEFAULT_PAGE, MAX_PAGE};
use crate::error::AppError;
use crate::register::query::{Cursor, Page, PageArgs};

macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, " (a Relay cursor connection).")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $conn {
            /// How many match the filter, on all pages.
            pub total_count: u64,
            /// Whether there are pages before and after this one, and its first and last cursors.
            pub page_info: PageInfo,
            /// The items of this page, each with its cursor.
            pub edges: Vec<$edge>,
        }

        #[doc = concat!("One of the ", $what, " of a page, with its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque position of this item: pass it as `after` or `before`.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl $conn {
            /// The connection of a page, each row made a node.
            pub fn from_page<T>(
                page: Page<T>,
                key: impl Fn(&T) -> Cursor,
                node: impl Fn(T) -> $node,
            ) -> Self {
                let edges: Vec<$edge> = page
                    .items
                    .into_iter()
                    .map(|item| $edge {
                        cursor: encode_cursor(&key(&item)),
                        node: node(item),
                    })
                    .collect();
                let page_info = $crate::graphql::connection::page_info(
                    page.has_previous,
                    page.has_next,
                    edges.first().map(|e| &e.cursor),
                    edges.last().map(|e| &e.cursor),
                );
                Self {
                    total_count: page.total,
                    page_info,
                    edges,
                }
            }
        }
    };
}

connection!(PersonConnection, PersonEdge, Person, "persons");
connection!(
    ReviewGroupConnection,
    ReviewGroupEdge,
    super::review_groups::ReviewGroup,
    "review groups"
);
connection!(
    WorklistConnection,
    WorklistEdge,
    super::types::WorklistItem,
    "persons to verify on site"
);
connection!(
    SourceRecordConnection,
    SourceRecordEdge,
    SourceRecord,
    "source records"
);
connection!(
    ReviewCandidateConnection,
    ReviewCandidateEdge,
    ReviewCandidate,
    "review candidates"
);
connection!(
    ImportBatchConnection,
    ImportBatchEdge,
    ImportBatch,
    "import batches"
);

connection!(
    ResolutionEventConnection,
    ResolutionEventEdge,
    ResolutionEvent,
    "resolution events"
);

connection!(
    AuditEntryConnection,
    AuditEntryEdge,
    AuditEntry,
    "audit-log entries"
);

connection!(NoticeConnection, NoticeEdge, Notice, "external notices");

/// The cursor of a row listed by its ID alone.
pub fn id_cursor(id: i64) -> Cursor {
    Cursor { id, value: None }
}

/// A cursor as the client sees it: the row ID, then (for lists ordered by another column)
/// `:` and that column's value as JSON.
pub(crate) fn encode_cursor(cursor: &Cursor) -> String {
    match &cursor.value {
        None => cursor.id.to_string(),
        Some(value) => format!("{}:{value}", cursor.id),
    }
}

/// Reads a cursor.
fn cursor(value: Option<String>, name: &str) -> Result<Option<Cursor>, AppError> {
    let bad = || AppError::BadInput(format!("{name} 不是有效的游标"));
    value
        .map(|c| {
            let (id, value) = match c.split_once(':') {
                Some((id, value)) => (
                    id,
                    Some(serde_json::from_str::<serde_json::Value>(value).map_err(|_| bad())?),
                ),
                None => (c.as_str(), None),
            };
            Ok(Cursor {
                id: id.parse::<i64>().map_err(|_| bad())?,
                value,
            })
        })
        .transpose()
}

/// Reads a page size.
fn page_size(value: Option<i32>, name: &str) -> Result<Option<u64>, AppError> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(AppError::BadInput(format!("{name} 不能为负数"))),
        Some(n) if n.unsigned_abs() as u64 > MAX_PAGE => Err(AppError::BadInput(format!(
            "{name} 超过每页上限 {MAX_PAGE}"
        ))),
        Some(n) => Ok(Some(n.unsigned_abs() as u64)),
    }
}

/// Relay pagination arguments as given, checked.
pub fn page_args(
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
) -> Result<PageArgs, AppError> {
    Ok(PageArgs {
        after: cursor(after, "after")?,
        before: cursor(before, "before")?,
        first: page_size(first, "first")?,
        last: page_size(last, "last")?,
    })
}

/// The page info of a page whose first and last edges have these cursors.
pub(crate) fn page_info(
    has_previous: bool,
    has_next: bool,
    first: Option<&String>,
    last: Option<&String>,
) -> PageInfo {
    PageInfo {
        has_previous_page: has_previous,
        has_next_page: has_next,
        start_cursor: first.cloned(),
        end_cursor: last.cloned(),
    }
}

/// The complexity of a connection field: its selection counted once per item of the largest
/// page it may return (the default page when neither `first` nor `last` is given).
pub fn page_complexity(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let items = first.or(last).map_or(DEFAULT_PAGE, |n| {
        u64::from(n.max(0).unsigned_abs()).min(MAX_PAGE)
    });
    1 + usize::try_from(items)
        .unwrap_or(usize::MAX)
        .saturating_mul(child_complexity)
}
