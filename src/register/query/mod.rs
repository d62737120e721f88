//! Reading the register: pages of persons, records and batches, and the headline figures.

mod export;
mod export_persons;
mod figures;
mod history;
mod notices;
mod page;
mod person_filter;
mod persons;
mod records;
mod relations;
mod review;
mod review_groups;
mod search;
pub mod suppression;
mod worklist;

pub use export_persons::{EXPORT_HEADER, ExportFormat, PersonSheet, encode_sheet};
pub use figures::{Aggregates, Group, GroupBy, GroupKeys, Groups, MAX_GROUPS, Stats};
pub use history::{AuditFilter, EventFilter};
pub use notices::{NoticeFilter, notice_visibility};
pub use page::{Cursor, Page, PageArgs};
pub use person_filter::{ConflictField, DateRange, PersonFilter, found_by_order};
pub use persons::{PersonOrder, PersonOrderField};
pub use records::{RecordFilter, batch_report};
pub use review::{ReviewFilter, ReviewItem, ReviewOrder, ReviewPairRow, review_cursor};
pub use review_groups::{ReviewGroup, rank_groups};
pub use search::{MatchedOn, SearchHit, SearchedIdentifier, hit_cursor};
pub use worklist::{WORKLIST_HEADER, WorklistHint, worklist_hint};
