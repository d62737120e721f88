//! What resolution leaves for analysts: the review queue, one item per pair of persons with
//! the pairs of records between them, and the model it matched with.
//!
//! The queue is grouped and ordered in memory: it holds the pairs the engine could not
//! decide, a small part of the register, and each item's probability depends on the other
//! candidates of its records (see [`adjusted_probabilities`]).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::page::{Cursor, Page, PageArgs};
use crate::config::limits::{DEFAULT_PAGE, MAX_PAGE};
use crate::db::read_back::{IN_CHUNK, persons_of};
use crate::db::{match_model, person, review_candidate};
use crate::error::AppError;
use crate::register::Register;
use crate::states::ReviewState;

/// Which review candidates to list.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    /// Candidates either of whose persons lives in this township (a name the gazetteer
    /// knows, in any form it reads).
    pub township: Option<String>,
    /// Candidates whose (adjusted) match probability is at least this.
    pub min_probability: Option<f64>,
    /// Candidates in this state; pending ones when `None`.
    pub state: Option<ReviewState>,
}

/// The order of the review queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReviewOrder {
    /// Most probable first (the adjusted probability), then by ID.
    #[default]
    ProbabilityDesc,
    /// Oldest first: the order candidates were raised in.
    CreatedAt,
    /// By candidate ID.
    Id,
}

/// One pair of records of a review item, with its probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewPairRow {
    pub row: review_candidate::Model,
    /// The pair's own probability, from its match weight alone.
    pub pair_probability: f64,
    /// The probability once the other candidates of its two records are weighed
    /// ([`adjusted_probabilities`]).
    pub match_probability: f64,
}

/// One item of the review queue: the pairs of records between two persons, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewItem {
    /// The smallest candidate ID among its pairs: it stays while that pair is pending.
    pub id: i64,
    /// Its pairs, most probable first; never empty.
    pub pairs: Vec<ReviewPairRow>,
}

impl ReviewItem {
    /// An item of one candidate row, its probability its own (no rivals weighed).
    pub fn single(row: review_candidate::Model) -> Self {
        let p = probability(row.total_weight);
        Self {
            id: row.id,
            pairs: vec![ReviewPairRow {
                row,
                pair_probability: p,
                match_probability: p,
            }],
        }
    }

    /// The best pair: the one its headline fields show.
    pub fn best(&self) -> &ReviewPairRow {
        &self.pairs[0]
    }

    /// When the first of its pairs was raised.
    pub fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.pairs
            .iter()
            .map(|p| p.row.created_at)
            .min()
            .unwrap_or(self.pairs[0].row.created_at)
    }

    /// Its place in `order`: items sort by this key, then by ID.
    fn sort_key(&self, order: ReviewOrder) -> f64 {
        match order {
            ReviewOrder::ProbabilityDesc => -self.best().match_probability,
            ReviewOrder::CreatedAt => self.created_at().timestamp_millis() as f64,
            ReviewOrder::Id => 0.0,
        }
    }
}

/// The probability of a match weight (log2 odds, the prior included).
pub fn probability(weight: f64) -> f64 {
    let odds = weight.exp2();
    if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    }
}

/// Each candidate's match probability with its rivals weighed: the candidates that offer one
/// of its records to another person.
///
/// A record belongs to at most one of the persons it is a candidate for, so the hypotheses
/// for record `r` are "it is person `j`" for each person `j` it is a candidate for, with odds
/// `o_j = 2^w_j` (`w_j` the weight of its best pair with `j`, the prior included), or "it is
/// none of them" with odds 1. Normalised, as Bayes' rule does over exclusive hypotheses:
///
/// ```text
/// P_r(i) = o_i / (1 + Σ_j o_j)
/// ```
///
/// With one candidate this is the pair's own probability `o / (1 + o)`; a phone-only row that
/// fits three relatives at `o = 250` each (0.996 alone) is 250 / 751 ≈ 0.33 for each. A pair
/// has two records, each with its own rivals: its adjusted probability is the smaller of the
/// two, `P(a, b) = min(P_a(b), P_b(a))`. Computed as `1 / (2^-w_i + Σ_j 2^(w_j - w_i))`, which
/// does not overflow for large weights. `person_of` maps a record to its person (a record
/// without one counts as a person of its own).
pub fn adjusted_probabilities(
    rows: &[review_candidate::Model],
    person_of: &HashMap<i64, i64>,
) -> Vec<f64> {
    let who = |record: i64| person_of.get(&record).copied().map_or(-record, |p| p);
    // For each record, its best weight with each other person.
    let mut rivals: HashMap<i64, HashMap<i64, f64>> = HashMap::new();
    for row in rows {
        for (mine, other) in [(row.record_a, row.record_b), (row.record_b, row.record_a)] {
            let best = rivals
                .entry(mine)
                .or_default()
                .entry(who(other))
                .or_insert(f64::NEG_INFINITY);
            *best = best.max(row.total_weight);
        }
    }
    let seen_from = |mine: i64, weight: f64| -> f64 {
        let Some(others) = rivals.get(&mine) else {
            return probability(weight);
        };
        let rest: f64 = others.values().map(|w| (w - weight).exp2()).sum();
        let denominator = (-weight).exp2() + rest.max(1.0);
        if denominator.is_finite() {
            1.0 / denominator
        } else {
            0.0
        }
    };
    rows.iter()
        .map(|row| {
            if !row.total_weight.is_finite() {
                return probability(row.total_weight);
            }
            seen_from(row.record_a, row.total_weight).min(seen_from(row.record_b, row.total_weight))
        })
        .collect()
}

impl Register {
    /// A page of the review queue: one item per pair of persons (the persons the two records
    /// of each candidate belong to now), filtered and ordered. `only_township`: the township
    /// a scoped caller is limited to (`Some(None)`: a scoped caller without one sees
    /// nothing). An unknown township name is `BAD_USER_INPUT` naming it.
    pub async fn review_queue(
        &self,
        filter: &ReviewFilter,
        order: ReviewOrder,
        args: &PageArgs,
        only_township: Option<Option<&str>>,
    ) -> Result<Page<ReviewItem>, AppError> {
        let mut items = self.review_items(filter, only_township).await?;
        items.sort_by(|x, y| compare(x.sort_key(order), x.id, y.sort_key(order), y.id));
        Ok(window(items, order, args))
    }

    /// Every item of the review queue `filter` and `only_township` keep (as
    /// [`Self::review_queue`] lists them), in no particular order.
    pub(super) async fn review_items(
        &self,
        filter: &ReviewFilter,
        only_township: Option<Option<&str>>,
    ) -> Result<Vec<ReviewItem>, AppError> {
        let township = filter
            .township
            .as_deref()
            .map(|t| {
                self.reference
                    .gazetteer
                    .match_township(t)
                    .map(|m| m.name)
                    .ok_or_else(|| AppError::BadInput(format!("本县没有名为「{t}」的乡镇")))
            })
            .transpose()?;
        if let Some(min) = filter.min_probability
            && !(0.0..=1.0).contains(&min)
        {
            return Err(AppError::BadInput(format!(
                "minProbability 须在 0 到 1 之间，收到 {min}"
            )));
        }
        let state = filter.state.unwrap_or(ReviewState::Pending);
        let rows = review_candidate::Entity::find()
            .filter(review_candidate::Column::State.eq(state))
            .order_by_asc(review_candidate::Column::Id)
            .all(&self.db.conn)
            .await?;
        let records: Vec<i64> = rows.iter().flat_map(|r| [r.record_a, r.record_b]).collect();
        let person_of = persons_of(&self.db.conn, &records).await?;
        let adjusted = adjusted_probabilities(&rows, &person_of);

        let who = |record: i64| person_of.get(&record).copied();
        let mut groups: BTreeMap<(i64, i64, i64), Vec<ReviewPairRow>> = BTreeMap::new();
        for (row, match_probability) in rows.into_iter().zip(adjusted) {
            let key = match (who(row.record_a), who(row.record_b)) {
                (Some(a), Some(b)) => (a.min(b), a.max(b), 0),
                _ => (0, 0, row.id),
            };
            groups.entry(key).or_default().push(ReviewPairRow {
                pair_probability: probability(row.total_weight),
                match_probability,
                row,
            });
        }

        let wanted: Vec<&str> = match (township.as_deref(), only_township) {
            (_, Some(None)) => return Ok(Vec::new()),
            (Some(t), Some(Some(mine))) if t != mine => return Ok(Vec::new()),
            (Some(t), _) => vec![t],
            (None, Some(Some(mine))) => vec![mine],
            (None, None) => Vec::new(),
        };
        let township_of = if wanted.is_empty() {
            HashMap::new()
        } else {
            self.townships_of(groups.keys().flat_map(|k| [k.0, k.1]))
                .await?
        };
        let items: Vec<ReviewItem> = groups
            .into_iter()
            .filter(|((a, b, _), _)| {
                wanted.is_empty()
                    || [a, b].iter().any(|p| {
                        township_of
                            .get(p)
                            .is_some_and(|t| wanted.contains(&t.as_str()))
                    })
            })
            .map(|(_, mut pairs)| {
                pairs.sort_by(|x, y| {
                    y.match_probability
                        .total_cmp(&x.match_probability)
                        .then(y.row.total_weight.total_cmp(&x.row.total_weight))
                        .then(x.row.id.cmp(&y.row.id))
                });
                let id = pairs.iter().map(|p| p.row.id).min().unwrap_or_default();
                ReviewItem { id, pairs }
            })
            .filter(|item| {
                filter
                    .min_probability
                    .is_none_or(|min| item.best().match_probability >= min)
            })
            .collect();
        Ok(items)
    }

    /// The township of each of `persons` that has one.
    async fn townships_of(
        &self,
        persons: impl Iterator<Item = i64>,
    ) -> Result<HashMap<i64, String>, AppError> {
        let ids: Vec<i64> = persons.filter(|p| *p > 0).collect();
        let mut found = HashMap::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let rows: Vec<(i64, Option<String>)> = person::Entity::find()
                .select_only()
                .columns([person::Column::Id, person::Column::Township])
                .filter(person::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(&self.db.conn)
                .await?;
            found.extend(rows.into_iter().filter_map(|(id, t)| Some((id, t?))));
        }
        Ok(found)
    }

    /// The model of the latest resolution run.
    pub async fn latest_model(&self) -> Result<Option<match_model::Model>, AppError> {
        Ok(match_model::Entity::find()
            .order_by_desc(match_model::Column::Id)
            .one(&self.db.conn)
            .await?)
    }
}

/// The cursor of an item listed in `order`: its ID and its sort key.
pub fn review_cursor(item: &ReviewItem, order: ReviewOrder) -> Cursor {
    Cursor {
        id: item.id,
        value: match order {
            ReviewOrder::Id => None,
            _ => Some(serde_json::json!(item.sort_key(order))),
        },
    }
}

fn compare(key_x: f64, id_x: i64, key_y: f64, id_y: i64) -> Ordering {
    key_x.total_cmp(&key_y).then(id_x.cmp(&id_y))
}

/// The page of `items` (sorted in `order`) that `args` asks for.
fn window(items: Vec<ReviewItem>, order: ReviewOrder, args: &PageArgs) -> Page<ReviewItem> {
    let total = items.len() as u64;
    let position = |c: &Cursor| {
        (
            c.value.as_ref().and_then(|v| v.as_f64()).unwrap_or(0.0),
            c.id,
        )
    };
    let after = args.after.as_ref().map(position);
    let before = args.before.as_ref().map(position);
    let inside: Vec<ReviewItem> = items
        .into_iter()
        .filter(|item| {
            let key = item.sort_key(order);
            after.is_none_or(|(k, id)| compare(key, item.id, k, id) == Ordering::Greater)
                && before.is_none_or(|(k, id)| compare(key, item.id, k, id) == Ordering::Less)
        })
        .collect();
    let take = Ord::min(args.first.or(args.last).unwrap_or(DEFAULT_PAGE), MAX_PAGE) as usize;
    let from_end = args.first.is_none() && args.last.is_some();
    let more = inside.len() > take;
    let items: Vec<ReviewItem> = if from_end {
        let skip = inside.len().saturating_sub(take);
        inside.into_iter().skip(skip).collect()
    } else {
        inside.into_iter().take(take).collect()
    };
    let (has_next, has_previous) = if from_end {
        (before.is_some(), more)
    } else {
        (more, after.is_some())
    };
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
    use chrono::Utc;

    fn row(id: i64, a: i64, b: i64, weight: f64) -> review_candidate::Model {
        review_candidate::Model {
            id,
            record_a: a,
            record_b: b,
            total_weight: weight,
            explanation: "[]".into(),
            state: ReviewState::Pending,
            decided_by: None,
            decided_at: None,
            created_at: Utc::now(),
            note: None,
            closed_reason: None,
        }
    }

    #[test]
    fn a_record_that_fits_three_persons_equally_is_a_third_for_each() {
        // Record 1 (phone only) against three relatives, each at odds 250 (0.996 alone).
        let w = 250f64.log2();
        let rows = [row(1, 1, 2, w), row(2, 1, 3, w), row(3, 1, 4, w)];
        let persons = HashMap::from([(1, 10), (2, 20), (3, 30), (4, 40)]);
        let p = adjusted_probabilities(&rows, &persons);
        assert!((probability(w) - 0.996).abs() < 0.001);
        for q in p {
            assert!((q - 250.0 / 751.0).abs() < 1e-9, "{q}");
        }
    }

    #[test]
    fn a_lone_candidate_keeps_its_own_probability_and_one_person_is_no_rival_to_itself() {
        let rows = [row(1, 1, 2, 3.0), row(2, 1, 3, 3.0)];
        // Records 2 and 3 are the same person: one hypothesis, not two.
        let persons = HashMap::from([(1, 10), (2, 20), (3, 20)]);
        for q in adjusted_probabilities(&rows, &persons) {
            assert!((q - probability(3.0)).abs() < 1e-12, "{q}");
        }
        let huge = [row(1, 1, 2, 2000.0), row(2, 1, 3, 1999.0)];
        let p = adjusted_probabilities(&huge, &HashMap::new());
        assert!(p.iter().all(|q| q.is_finite()));
        assert!((p[0] - 2.0 / 3.0).abs() < 1e-9 && (p[1] - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn pages_follow_the_order_and_the_cursor() {
        let items: Vec<ReviewItem> = (1..=5)
            .map(|i| ReviewItem::single(row(i, i, 100 + i, i as f64)))
            .collect();
        let mut sorted = items.clone();
        let order = ReviewOrder::ProbabilityDesc;
        sorted.sort_by(|x, y| compare(x.sort_key(order), x.id, y.sort_key(order), y.id));
        let first = window(
            sorted.clone(),
            order,
            &PageArgs {
                first: Some(2),
                ..Default::default()
            },
        );
        assert_eq!(first.items.iter().map(|i| i.id).collect::<Vec<_>>(), [5, 4]);
        assert!(first.has_next && !first.has_previous);
        let next = window(
            sorted,
            order,
            &PageArgs {
                first: Some(2),
                after: Some(review_cursor(&first.items[1], order)),
                ..Default::default()
            },
        );
        assert_eq!(next.items.iter().map(|i| i.id).collect::<Vec<_>>(), [3, 2]);
        assert_eq!(next.total, 5);
    }
}
