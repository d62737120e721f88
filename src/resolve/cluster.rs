//! Clustering scored pairs into persons without chaining strangers together.
//!
//! Pairs at or above the merge threshold join their clusters strongest first, but only when
//! the two clusters agree as wholes: no hard rule or analyst decision separates any of their
//! members, and the average weight over every comparable pair across them still reaches the
//! threshold (average linkage). One strong link between two otherwise different clusters is
//! not enough.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::compare::FieldValue;
use super::model::{Model, Score};

/// Analysts' decisions, which every run honours.
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    /// Pairs of records decided to be the same person.
    pub same: Vec<(u32, u32)>,
    /// Pairs of records decided to be different persons.
    pub different: Vec<(u32, u32)>,
}

/// Why a record is in its cluster: the pair that brought it there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// The record it was linked to.
    pub other: u32,
    /// How the two compared.
    pub score: Score,
    /// Made by an analyst's decision rather than by weight.
    pub decided: bool,
}

/// A pair between the thresholds (or refused by the cluster check) left for an analyst.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewPair {
    pub a: u32,
    pub b: u32,
    pub score: Score,
}

/// The partition of records into persons.
#[derive(Debug, Clone, Default)]
pub struct Clustering {
    /// For each record, its cluster: the smallest record index in it.
    pub cluster: Vec<u32>,
    /// For each record, the link that joined it to its cluster (none for the first record).
    pub links: Vec<Option<Link>>,
    /// Pairs for review, strongest first.
    pub review: Vec<ReviewPair>,
}

struct Dsu {
    parent: Vec<u32>,
    members: Vec<Vec<u32>>,
}

impl Dsu {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
            members: (0..n as u32).map(|i| vec![i]).collect(),
        }
    }

    fn find(&mut self, x: u32) -> u32 {
        let mut root = x;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        let mut x = x;
        while self.parent[x as usize] != root {
            let next = self.parent[x as usize];
            self.parent[x as usize] = root;
            x = next;
        }
        root
    }

    fn union(&mut self, a: u32, b: u32) {
        let (keep, gone) = if a < b { (a, b) } else { (b, a) };
        self.parent[gone as usize] = keep;
        let moved = std::mem::take(&mut self.members[gone as usize]);
        self.members[keep as usize].extend(moved);
    }
}

/// Clusters `records` from their scored candidate pairs `(a, b, total weight)`.
pub fn cluster(
    model: &Model,
    records: &[Vec<FieldValue>],
    scored: &[(u32, u32, f64)],
    constraints: &Constraints,
) -> Clustering {
    let n = records.len();
    let thresholds = model.profile.thresholds;
    let mut dsu = Dsu::new(n);
    let different: HashSet<(u32, u32)> = constraints
        .different
        .iter()
        .map(|&(a, b)| (a.min(b), a.max(b)))
        .collect();
    for &(a, b) in &constraints.same {
        let (ra, rb) = (dsu.find(a), dsu.find(b));
        if ra != rb {
            dsu.union(ra, rb);
        }
    }

    // Records missing every identifying field (a phone and nothing else) are weak: they are
    // clustered among themselves first, and join a person only when one clearly fits best.
    let weak_fields: Vec<usize> = model
        .profile
        .weak_when_missing
        .iter()
        .filter_map(|f| model.profile.field_index(f))
        .collect();
    let weak: Vec<bool> = records
        .iter()
        .map(|r| !weak_fields.is_empty() && weak_fields.iter().all(|&f| r[f].is_missing()))
        .collect();

    let mut order: Vec<usize> = (0..scored.len()).collect();
    order.sort_by(|&x, &y| {
        let (a, b) = (&scored[x], &scored[y]);
        b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1)))
    });
    let mut refused: HashSet<usize> = HashSet::new();
    let mut deferred: Vec<usize> = Vec::new();
    for idx in order {
        let (a, b, total) = &scored[idx];
        if *total < thresholds.merge {
            break;
        }
        if weak[*a as usize] != weak[*b as usize] {
            deferred.push(idx);
            continue;
        }
        let (ra, rb) = (dsu.find(*a), dsu.find(*b));
        if ra == rb {
            continue;
        }
        let (ma, mb) = (&dsu.members[ra as usize], &dsu.members[rb as usize]);
        if compatible(model, records, ma, mb, &different) {
            dsu.union(ra, rb);
        } else {
            refused.insert(idx);
        }
    }

    // Weak clusters join the one strong cluster that fits them clearly best.
    let mut fits: BTreeMap<u32, Vec<(u32, usize)>> = BTreeMap::new();
    for idx in deferred {
        let (a, b, _) = scored[idx];
        let (w, s) = if weak[a as usize] { (a, b) } else { (b, a) };
        let (rw, rs) = (dsu.find(w), dsu.find(s));
        let entry = fits.entry(rw).or_default();
        if !entry.iter().any(|(c, _)| *c == rs) {
            entry.push((rs, idx));
        }
    }
    for (weak_root, candidates) in fits {
        // (fit to decide, fit to rank, strong cluster, pair)
        let mut ranked: Vec<(f64, f64, u32, usize)> = candidates
            .into_iter()
            .map(|(strong_root, idx)| {
                let (weak_members, strong_members) = (
                    &dsu.members[weak_root as usize],
                    &dsu.members[strong_root as usize],
                );
                let fit = best_pair(model, records, weak_members, strong_members, &different)
                    .unwrap_or(f64::NEG_INFINITY);
                let rank = rank_fit(model, records, weak_members, strong_members);
                (fit, rank, strong_root, idx)
            })
            .collect();
        ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.2.cmp(&y.2)));
        let Some(&(fit, best, strong_root, _)) = ranked.first() else {
            continue;
        };
        let runner_up = ranked.get(1).map_or(f64::NEG_INFINITY, |r| r.1);
        if fit >= thresholds.merge && best - runner_up >= model.profile.ambiguity_margin {
            let (rw, rs) = (dsu.find(weak_root), dsu.find(strong_root));
            if rw != rs {
                dsu.union(rw, rs);
            }
        } else {
            for (_, _, _, idx) in ranked {
                refused.insert(idx);
            }
        }
    }
    let cluster: Vec<u32> = (0..n as u32).map(|i| dsu.find(i)).collect();

    // Each record but a cluster's first is explained by its strongest pair inside the cluster;
    // an analyst's decision explains it first.
    let mut links: Vec<Option<Link>> = vec![None; n];
    let mut offer = |record: u32, other: u32, score: &Score, decided: bool| {
        if cluster[record as usize] as usize == record as usize {
            return;
        }
        let slot = &mut links[record as usize];
        let better = match slot {
            None => true,
            Some(l) => {
                (decided && !l.decided) || (decided == l.decided && score.total > l.score.total)
            }
        };
        if better {
            *slot = Some(Link {
                other,
                score: score.clone(),
                decided,
            });
        }
    };
    for &(a, b) in &constraints.same {
        let score = model.score(&records[a as usize], &records[b as usize]);
        offer(a, b, &score, true);
        offer(b, a, &score, true);
    }
    // The strongest pair inside the cluster for each record, then its explanation.
    let mut best: Vec<Option<(f64, u32)>> = vec![None; n];
    for (a, b, total) in scored {
        if cluster[*a as usize] == cluster[*b as usize] {
            for (x, y) in [(*a, *b), (*b, *a)] {
                let slot = &mut best[x as usize];
                if slot.is_none_or(|(t, _)| *total > t) {
                    *slot = Some((*total, y));
                }
            }
        }
    }
    for (record, found) in best.iter().enumerate() {
        if let Some((_, other)) = found {
            let score = model.score(&records[record], &records[*other as usize]);
            offer(record as u32, *other, &score, false);
        }
    }

    let mut review: Vec<ReviewPair> = scored
        .iter()
        .enumerate()
        .filter(|(idx, (a, b, total))| {
            cluster[*a as usize] != cluster[*b as usize]
                && !different.contains(&((*a).min(*b), (*a).max(*b)))
                && total.is_finite()
                && (*total >= thresholds.review || refused.contains(idx))
        })
        .map(|(_, (a, b, _))| ReviewPair {
            a: *a,
            b: *b,
            score: model.score(&records[*a as usize], &records[*b as usize]),
        })
        .collect();
    review.sort_by(|x, y| y.score.total.total_cmp(&x.score.total));
    Clustering {
        cluster,
        links,
        review,
    }
}

/// True when two clusters may become one: nothing forbids it and, across them, the average
/// weight of the pairs that can be compared reaches the merge threshold.
fn compatible(
    model: &Model,
    records: &[Vec<FieldValue>],
    a: &[u32],
    b: &[u32],
    different: &HashSet<(u32, u32)>,
) -> bool {
    average(model, records, a, b, different)
        .is_some_and(|avg| avg >= model.profile.thresholds.merge)
}

/// The total weights of every pair across two clusters, with whether any field could be
/// compared; `None` when a hard rule or an analyst's decision separates any two members.
fn cross_totals(
    model: &Model,
    records: &[Vec<FieldValue>],
    a: &[u32],
    b: &[u32],
    different: &HashSet<(u32, u32)>,
) -> Option<Vec<(f64, bool)>> {
    let mut totals = Vec::with_capacity(a.len() * b.len());
    for &x in a {
        for &y in b {
            if different.contains(&(x.min(y), x.max(y))) {
                return None;
            }
            let (total, comparable) = model.total(&records[x as usize], &records[y as usize]);
            if total == f64::NEG_INFINITY {
                return None;
            }
            totals.push((total, comparable));
        }
    }
    Some(totals)
}

/// The average total weight of the comparable pairs across two clusters (minus infinity when
/// none is comparable); `None` when the clusters are kept apart.
fn average(
    model: &Model,
    records: &[Vec<FieldValue>],
    a: &[u32],
    b: &[u32],
    different: &HashSet<(u32, u32)>,
) -> Option<f64> {
    let comparable: Vec<f64> = cross_totals(model, records, a, b, different)?
        .into_iter()
        .filter_map(|(total, comparable)| comparable.then_some(total))
        .collect();
    Some(if comparable.is_empty() {
        f64::NEG_INFINITY
    } else {
        comparable.iter().sum::<f64>() / comparable.len() as f64
    })
}

/// The strongest pair between a weak cluster and a strong one; `None` when the clusters are
/// kept apart. A weak record says something only about the records sharing its phone: the
/// person's other records, with their other phones, neither confirm nor deny it.
fn best_pair(
    model: &Model,
    records: &[Vec<FieldValue>],
    weak: &[u32],
    strong: &[u32],
    different: &HashSet<(u32, u32)>,
) -> Option<f64> {
    Some(
        cross_totals(model, records, weak, strong, different)?
            .into_iter()
            .map(|(total, _)| total)
            .fold(f64::NEG_INFINITY, f64::max),
    )
}

/// How well a weak cluster fits a strong one, every agreement counted (see
/// [`Model::total_ungrouped`]): its strongest pair.
fn rank_fit(model: &Model, records: &[Vec<FieldValue>], weak: &[u32], strong: &[u32]) -> f64 {
    let mut best = f64::NEG_INFINITY;
    for &x in weak {
        for &y in strong {
            best = best.max(model.total_ungrouped(&records[x as usize], &records[y as usize]));
        }
    }
    best
}
