//! The review queue grouped per record: a phone-only or masked row that fits several persons
//! raises one candidate per person, and a reviewer decides them together. Groups are ranked
//! by what a decision changes: the records of the persons it joins or keeps apart, then the
//! persons, then the best probability.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::page::{Page, PageArgs};
use super::review::{ReviewFilter, ReviewItem};
use crate::config::limits::{DEFAULT_PAGE, MAX_PAGE};
use crate::db::read_back::{IN_CHUNK, persons_of};
use crate::db::record_link;
use crate::error::AppError;
use crate::register::Register;

/// The candidates of one record, decided together.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewGroup {
    /// The record the candidates share: of the records of each candidate, the one with the
    /// most candidates (the lowest ID on a tie).
    pub record: i64,
    /// Its candidates (items of the queue: one per pair of persons), most probable first.
    pub items: Vec<ReviewItem>,
    /// The persons its decisions join or keep apart: the record's and every other side's.
    pub persons: u32,
    /// The records those persons hold: how much of the register the decisions move.
    pub records: u64,
}

impl ReviewGroup {
    /// The probability of its best candidate.
    pub fn best_probability(&self) -> f64 {
        self.items
            .first()
            .map_or(0.0, |item| item.best().match_probability)
    }
}

/// Groups `items` per record and ranks the groups: most records moved first, then most
/// persons, then the most probable best candidate, then the lowest record ID. `person_of`
/// maps a record to its person (a record without one counts as a person of one record);
/// `records_of` maps a person to the number of records it holds.
pub fn rank_groups(
    items: Vec<ReviewItem>,
    person_of: &HashMap<i64, i64>,
    records_of: &HashMap<i64, u64>,
) -> Vec<ReviewGroup> {
    let records_in = |item: &ReviewItem| -> Vec<i64> {
        let mut r: Vec<i64> = item
            .pairs
            .iter()
            .flat_map(|p| [p.row.record_a, p.row.record_b])
            .collect();
        r.sort_unstable();
        r.dedup();
        r
    };
    let mut count: HashMap<i64, usize> = HashMap::new();
    for item in &items {
        for r in records_in(item) {
            *count.entry(r).or_default() += 1;
        }
    }
    let mut by_record: BTreeMap<i64, Vec<ReviewItem>> = BTreeMap::new();
    for item in items {
        let records = records_in(&item);
        let pivot = records
            .iter()
            .copied()
            .max_by_key(|r| (count.get(r).copied().unwrap_or(0), std::cmp::Reverse(*r)))
            .unwrap_or(item.id);
        by_record.entry(pivot).or_default().push(item);
    }
    let who = |record: i64| person_of.get(&record).copied().map_or(-record, |p| p);
    let mut groups: Vec<ReviewGroup> = by_record
        .into_iter()
        .map(|(record, mut items)| {
            items.sort_by(|x, y| {
                y.best()
                    .match_probability
                    .total_cmp(&x.best().match_probability)
                    .then(x.id.cmp(&y.id))
            });
            let mut persons: Vec<i64> = items
                .iter()
                .flat_map(|i| i.pairs.iter())
                .flat_map(|p| [who(p.row.record_a), who(p.row.record_b)])
                .collect();
            persons.push(who(record));
            persons.sort_unstable();
            persons.dedup();
            let records = persons
                .iter()
                .map(|p| records_of.get(p).copied().unwrap_or(1))
                .sum();
            ReviewGroup {
                record,
                items,
                persons: persons.len() as u32,
                records,
            }
        })
        .collect();
    groups.sort_by(rank);
    groups
}

/// The order of ranked groups (see [`rank_groups`]).
fn rank(x: &ReviewGroup, y: &ReviewGroup) -> Ordering {
    y.records
        .cmp(&x.records)
        .then(y.persons.cmp(&x.persons))
        .then(y.best_probability().total_cmp(&x.best_probability()))
        .then(x.record.cmp(&y.record))
}

impl Register {
    /// A page of the review queue grouped per record and ranked by what a decision changes
    /// ([`rank_groups`]); `filter` and `only_township` keep candidates as
    /// [`Self::review_queue`] does. The cursor is the group's record: a page starts after (or
    /// ends before) the group of that record, wherever it ranks now.
    pub async fn review_groups(
        &self,
        filter: &ReviewFilter,
        args: &PageArgs,
        only_township: Option<Option<&str>>,
    ) -> Result<Page<ReviewGroup>, AppError> {
        let items = self.review_items(filter, only_township).await?;
        let records: Vec<i64> = items
            .iter()
            .flat_map(|i| i.pairs.iter())
            .flat_map(|p| [p.row.record_a, p.row.record_b])
            .collect();
        let person_of = persons_of(&self.db.conn, &records).await?;
        let mut persons: Vec<i64> = person_of.values().copied().collect();
        persons.sort_unstable();
        persons.dedup();
        let mut records_of: HashMap<i64, u64> = HashMap::new();
        for chunk in persons.chunks(IN_CHUNK) {
            let rows: Vec<(i64, i64)> = record_link::Entity::find()
                .select_only()
                .column(record_link::Column::PersonId)
                .column_as(record_link::Column::SourceRecordId.count(), "n")
                .filter(record_link::Column::PersonId.is_in(chunk.to_vec()))
                .group_by(record_link::Column::PersonId)
                .into_tuple()
                .all(&self.db.conn)
                .await?;
            records_of.extend(rows.into_iter().map(|(p, n)| (p, n.max(0) as u64)));
        }
        let groups = rank_groups(items, &person_of, &records_of);
        Ok(window(groups, args))
    }
}

/// The page of ranked `groups` that `args` asks for (cursors are the groups' records).
fn window(groups: Vec<ReviewGroup>, args: &PageArgs) -> Page<ReviewGroup> {
    let total = groups.len() as u64;
    let at = |cursor: &Option<super::page::Cursor>| {
        cursor
            .as_ref()
            .map(|c| groups.iter().position(|g| g.record == c.id))
    };
    let start = match at(&args.after) {
        Some(Some(i)) => i + 1,
        Some(None) => groups.len(),
        None => 0,
    };
    let end = match at(&args.before) {
        Some(Some(i)) => i,
        Some(None) => 0,
        None => groups.len(),
    }
    .max(start);
    let take = Ord::min(args.first.or(args.last).unwrap_or(DEFAULT_PAGE), MAX_PAGE) as usize;
    let from_end = args.first.is_none() && args.last.is_some();
    let (from, to) = if from_end {
        (end.saturating_sub(take).max(start), end)
    } else {
        (start, (start + take).min(end))
    };
    let (has_previous, has_next) = (from > 0, to < groups.len());
    let items = groups.into_iter().skip(from).take(to - from).collect();
    Page {
        items,
        total,
        has_next,
        has_previous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::review_candidate;
    use crate::register::query::review::ReviewPairRow;
    use crate::states::ReviewState;

    /// An item of one pair of records with its probability.
    fn item(id: i64, a: i64, b: i64, p: f64) -> ReviewItem {
        let now = chrono::Utc::now();
        ReviewItem {
            id,
            pairs: vec![ReviewPairRow {
                row: review_candidate::Model {
                    id,
                    record_a: a,
                    record_b: b,
                    total_weight: 10.0,
                    explanation: "[]".into(),
                    state: ReviewState::Pending,
                    decided_by: None,
                    decided_at: None,
                    created_at: now,
                    note: None,
                    closed_reason: None,
                },
                pair_probability: p,
                match_probability: p,
            }],
        }
    }

    #[test]
    fn candidates_group_on_their_shared_record_ranked_by_what_a_decision_moves() {
        // Record 1 (a phone-only row) is a candidate for persons 10, 20, 30; records 4 and 5
        // are one candidate between two persons with many records; records 6 and 7 the same
        // size as 4 and 5 but less probable.
        let person_of = HashMap::from([
            (1, 100),
            (2, 10),
            (3, 20),
            (8, 30),
            (4, 40),
            (5, 50),
            (6, 60),
            (7, 70),
        ]);
        let records_of = HashMap::from([
            (100, 1),
            (10, 2),
            (20, 2),
            (30, 2),
            (40, 5),
            (50, 4),
            (60, 5),
            (70, 4),
        ]);
        let items = vec![
            item(11, 1, 2, 0.33),
            item(12, 1, 3, 0.34),
            item(13, 1, 8, 0.30),
            item(14, 4, 5, 0.6),
            item(15, 6, 7, 0.9),
        ];
        let groups = rank_groups(items, &person_of, &records_of);
        let order: Vec<(i64, u32, u64)> = groups
            .iter()
            .map(|g| (g.record, g.persons, g.records))
            .collect();
        // 7 records moved by record 1's three candidates, then the two nine-record groups,
        // the more probable first.
        assert_eq!(order, vec![(6, 2, 9), (4, 2, 9), (1, 4, 7)]);
        let ranked = |g: &ReviewGroup| g.items.iter().map(|i| i.id).collect::<Vec<_>>();
        assert_eq!(ranked(&groups[2]), vec![12, 11, 13], "most probable first");
        assert_eq!(groups[0].best_probability(), 0.9);
    }

    #[test]
    fn a_page_of_groups_starts_after_its_cursor() {
        let groups: Vec<ReviewGroup> = (1..=5)
            .map(|record| ReviewGroup {
                record,
                items: Vec::new(),
                persons: 2,
                records: 2,
            })
            .collect();
        let args = PageArgs {
            after: Some(super::super::page::Cursor { id: 2, value: None }),
            first: Some(2),
            ..PageArgs::default()
        };
        let page = window(groups, &args);
        let records: Vec<i64> = page.items.iter().map(|g| g.record).collect();
        assert_eq!(records, vec![3, 4]);
        assert!(page.has_next && page.has_previous);
        assert_eq!(page.total, 5);
    }
}
