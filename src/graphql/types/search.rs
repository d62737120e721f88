//! What `searchPersons` answers: the persons found, best match first, each with what it
//! matched on.

use async_graphql::connection::PageInfo;
use async_graphql::{Enum, SimpleObject};

use super::person::Person;
use crate::graphql::connection::{encode_cursor, page_info};
use crate::register::query::{Page, SearchHit, hit_cursor};

/// What a search hit matched on.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::query::MatchedOn")]
pub enum MatchedOn {
    /// The name in characters (Traditional ones read as Simplified): whole, or its beginning
    /// (a surname alone).
    Name,
    /// The name's pinyin: whole, its beginning, or syllables heard alike (`gao ming` for
    /// 高敏); also a name written with other characters read alike.
    Pinyin,
    /// The ID number: whole, or its last four or more characters.
    IdSuffix,
    /// A phone: whole, or its last four or more digits.
    Phone,
}

/// A page of persons a search found, best match first (a Relay cursor connection).
#[derive(SimpleObject)]
pub struct PersonSearchConnection {
    /// How many persons the search found, on all pages.
    pub total_count: u64,
    /// Whether there are pages before and after this one, and its first and last cursors.
    pub page_info: PageInfo,
    /// The persons of this page, each with its cursor and what it matched on.
    pub edges: Vec<PersonSearchHit>,
}

/// A person a search found, with its cursor, what it matched on and how well.
#[derive(SimpleObject)]
pub struct PersonSearchHit {
    /// Opaque position of this hit: pass it as `after` or `before`.
    pub cursor: String,
    /// The person.
    pub node: Person,
    /// What the text matched: the name, its pinyin, the ID number's end, a phone's end;
    /// several when it matched more than one.
    pub matched_on: Vec<MatchedOn>,
    /// How well the person matches, 1 to 100 (100: a whole name, ID number or phone); hits
    /// are listed by it.
    pub match_quality: i32,
}

impl PersonSearchConnection {
    /// The connection of a page of hits.
    pub fn from_page(page: Page<SearchHit>) -> Self {
        let edges: Vec<PersonSearchHit> = page
            .items
            .into_iter()
            .map(|hit| PersonSearchHit {
                cursor: encode_cursor(&hit_cursor(&hit)),
                matched_on: hit.matched_on.iter().copied().map(Into::into).collect(),
                match_quality: i32::try_from(hit.quality).unwrap_or(i32::MAX),
                node: Person(hit.person),
            })
            .collect();
        let page_info = page_info(
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
