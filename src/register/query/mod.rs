//! Reading the register: pages of persons, records and batches, and the headline figures.

mod export;
mod figures;
mod history;
mod page;
mod person_filter;
mod persons;
mod records;
mod relations;
mod review;
mod search;
pub mod suppression;

pub use figures::{Aggregates, Stats};
pub use history::{AuditFilter, EventFilter};
pub use page::{Cursor, Page, PageArgs};
pub use person_filter::{DateRange, PersonFilter};
pub use persons::{PersonOrder, PersonOrderField};
pub use records::{RecordFilter, batch_report};
pub use search::{MatchedOn, SearchHit, SearchedIdentifier, hit_cursor};
