//! Clustering scored pairs into persons without chaining strangers together.
//!
//! Pairs at or above the merge threshold join their clusters strongest first, but only when
//! the two clusters agree as wholes: no hard rule or analyst decision separates any of their
//! members, and the average weight over every comparable pair across them still reaches the
//! threshold (average linkage). One strong link between two otherwise different clusters is
//! not enough.
//!
//! What is left undecided goes to review, except what no analyst need be asked (issue 25): a
//! weak record that fits several members of one household equally well is linked to the
//! household ([`HouseholdLink`]: one call to make), a pair across clusters that different ID
//! numbers keep apart is not raised, nor a pair of two relatives (their ID numbers differ and
//! only what a household shares agrees), nor a row naming nobody but by a masked ID number
//! against a person two other fields tell apart from it.
//!
//! Nothing here depends on the records' order or IDs: ties are broken by the records'
//! contents (see [`super::canonical`]).

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::canonical;
use super::compare::{FieldValue, mask_key};
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

/// A weak record (a phone and nothing that names a person) that fits several persons of one
/// household equally well: the household shares the phone (the persons' records agree on
/// the profile's `household` fields, the address). Linking it to any one member would be a
/// guess and asking about each member raises one review pair per member; it is linked to the
/// household instead, its records kept a person of their own, and whoever calls the number
/// settles which member answered it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdLink {
    /// The weak records (a cluster of them sharing the phone), lowest first.
    pub records: Vec<u32>,
    /// One record of each member the weak records fit equally well (its best pair with
    /// them), in record order; at least two.
    pub members: Vec<u32>,
    /// The member records' shared value of the first `household` field (the address).
    pub shared: String,
    /// The weight of the best pair between the weak records and a member.
    pub weight: f64,
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
    /// Weak records linked to a household rather than to one person (none of their pairs is
    /// raised for review), in the order of their first record.
    pub households: Vec<HouseholdLink>,
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

    // Equally strong pairs (the same comparison pattern weighs the same) are taken in the
    // order of their records' contents, and weak clusters placed in that order: not the
    // records' IDs, which follow the order the files were imported in.
    let rank = canonical::ranks(records);
    let pair_rank = |a: u32, b: u32| {
        let (x, y) = (rank[a as usize], rank[b as usize]);
        (x.min(y), x.max(y))
    };
    let mut order: Vec<usize> = (0..scored.len()).collect();
    order.sort_by(|&x, &y| {
        let (a, b) = (&scored[x], &scored[y]);
        b.2.total_cmp(&a.2)
            .then(pair_rank(a.0, a.1).cmp(&pair_rank(b.0, b.1)))
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
        // A weak record an analyst placed with a person (a call that settled whose phone it
        // is) is placed: its other pairs are asked as any pair is.
        if rw == rs || dsu.members[rw as usize].iter().any(|&m| !weak[m as usize]) {
            continue;
        }
        let entry = fits.entry(rw).or_default();
        if !entry.iter().any(|(c, _)| *c == rs) {
            entry.push((rs, idx));
        }
    }
    let first_rank = |dsu: &Dsu, root: u32| {
        dsu.members[root as usize]
            .iter()
            .map(|&m| rank[m as usize])
            .min()
            .unwrap_or(u32::MAX)
    };
    let mut fits: Vec<(u32, Vec<(u32, usize)>)> = fits.into_iter().collect();
    fits.sort_by_cached_key(|(root, _)| first_rank(&dsu, *root));
    let mut households: Vec<HouseholdLink> = Vec::new();
    for (weak_root, found) in fits {
        // A strong cluster another weak one joined since may answer to that one's root.
        let mut candidates: Vec<(u32, usize)> = Vec::with_capacity(found.len());
        for (strong_root, idx) in found {
            let root = dsu.find(strong_root);
            if !candidates.iter().any(|(c, _)| *c == root) {
                candidates.push((root, idx));
            }
        }
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
        ranked.sort_by_cached_key(|r| first_rank(&dsu, r.2));
        ranked.sort_by(|x, y| y.1.total_cmp(&x.1));
        let Some(&(fit, best, strong_root, _)) = ranked.first() else {
            continue;
        };
        let runner_up = ranked.get(1).map_or(f64::NEG_INFINITY, |r| r.1);
        let clear = fit >= thresholds.merge && best - runner_up >= model.profile.ambiguity_margin;
        // A phone that members of one household each fit well enough to merge with is the
        // household's: what they share (arrival, origin, place) cannot tell which member the
        // row is, however much better one member's records happen to fit (issue 25: such
        // rows given to a housemate were about a fifth of the wrong merges at 110 000
        // persons).
        let tie = if clear {
            Tie::AllThatFit
        } else {
            Tie::WithinMargin
        };
        let link = household(model, records, &mut dsu, weak_root, &ranked, scored, tie);
        if let Some(link) = link {
            households.push(link);
        } else if clear {
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

    // The clusters an analyst has put records into are asked about as before, whatever
    // their ID numbers say: the analyst's screen still shows those candidates.
    let decided: HashSet<u32> = constraints
        .same
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .flat_map(|r| dsu.members[cluster[r as usize] as usize].iter().copied())
        .collect();
    let in_household: HashSet<u32> = households
        .iter()
        .flat_map(|h| h.records.iter().copied())
        .collect();
    let mut review: Vec<ReviewPair> = scored
        .iter()
        .enumerate()
        .filter(|(idx, (a, b, total))| {
            cluster[*a as usize] != cluster[*b as usize]
                && !in_household.contains(a)
                && !in_household.contains(b)
                && !different.contains(&((*a).min(*b), (*a).max(*b)))
                && total.is_finite()
                && (*total >= thresholds.review || refused.contains(idx))
                && (decided.contains(a)
                    || decided.contains(b)
                    || !kept_apart(model, records, &dsu.members, &cluster, *a, *b))
        })
        .map(|(_, (a, b, _))| ReviewPair {
            a: *a,
            b: *b,
            score: model.score(&records[*a as usize], &records[*b as usize]),
        })
        .filter(|pair| {
            !only_household_agrees(model, &pair.score)
                && !a_mask_alone_against_disagreement(model, records, pair)
        })
        .collect();
    review.sort_by(|x, y| y.score.total.total_cmp(&x.score.total));
    households.sort_by_key(|h| h.records.first().copied());
    Clustering {
        cluster,
        links,
        review,
        households,
    }
}

/// Which of the persons a weak cluster fits are asked whether they are one household.
#[derive(Clone, Copy)]
enum Tie {
    /// Those within the ambiguity margin of the best fit (no one fits clearly best).
    WithinMargin,
    /// Every one fitting well enough to merge (one fits clearly best).
    AllThatFit,
}

/// The household link of the weak cluster `weak_root` when the persons it fits best
/// (`ranked`: fit to decide, fit to rank, strong cluster, pair; best first; which of them
/// count is `tie`) are several, each fitting well enough to merge on its own, and all of
/// them that show a value of each of the profile's `household` fields share it (at least two
/// show it: a member known only from a big-data row has no address, and nothing in it
/// speaks against the household its phone points to); `None` otherwise (the pairs go to
/// review).
fn household(
    model: &Model,
    records: &[Vec<FieldValue>],
    dsu: &mut Dsu,
    weak_root: u32,
    ranked: &[(f64, f64, u32, usize)],
    scored: &[(u32, u32, f64)],
    tie: Tie,
) -> Option<HouseholdLink> {
    let profile = &model.profile;
    let fields: Vec<usize> = profile
        .household
        .iter()
        .filter_map(|f| profile.field_index(f))
        .collect();
    let best = ranked.first()?.1;
    let tied: Vec<&(f64, f64, u32, usize)> = match tie {
        Tie::WithinMargin => ranked
            .iter()
            .take_while(|r| best - r.1 < profile.ambiguity_margin)
            .collect(),
        Tie::AllThatFit => ranked
            .iter()
            .filter(|r| r.0 >= profile.thresholds.merge)
            .collect(),
    };
    if fields.is_empty() || tied.len() < 2 || tied.iter().any(|r| r.0 < profile.thresholds.merge) {
        return None;
    }
    // For each household field, a value every tied person showing one shows on one of its
    // records (at least two persons show it; a person known only from records without it,
    // a big-data row has no address, says nothing against it).
    let mut shared: Vec<String> = Vec::with_capacity(fields.len());
    for &f in &fields {
        let shown: Vec<Vec<&str>> = tied
            .iter()
            .map(|&&(_, _, strong_root, _)| {
                let root = dsu.find(strong_root);
                dsu.members[root as usize]
                    .iter()
                    .flat_map(|&r| records[r as usize][f].terms())
                    .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
                    .collect::<Vec<&str>>()
            })
            .filter(|values| !values.is_empty())
            .collect();
        if shown.len() < 2 {
            return None;
        }
        let (first, rest) = shown.split_first()?;
        let common = first.iter().find(|&&key| {
            rest.iter()
                .all(|values| values.iter().any(|&v| same_household(v, key)))
        })?;
        // The fullest form of it any member shows (with the county and township).
        let fullest = shown
            .iter()
            .flatten()
            .filter(|&&v| same_household(v, common))
            .max_by_key(|v| v.len())
            .unwrap_or(common);
        shared.push((*fullest).to_owned());
    }
    let weak = dsu.find(weak_root);
    let mut weak_records = dsu.members[weak as usize].clone();
    weak_records.sort_unstable();
    let mut members: Vec<u32> = tied
        .iter()
        .map(|&&(_, _, _, idx)| {
            let (a, b, _) = scored[idx];
            if weak_records.binary_search(&a).is_ok() {
                b
            } else {
                a
            }
        })
        .collect();
    members.sort_unstable();
    Some(HouseholdLink {
        records: weak_records,
        members,
        shared: shared.into_iter().next().unwrap_or_default(),
        weight: tied.iter().map(|r| r.0).fold(f64::NEG_INFINITY, f64::max),
    })
}

/// True when a pair's distinguishing fields disagree (the ID numbers differ) and nothing but
/// what a household shares agrees (the profile's `correlated` fields: phone, address …): two
/// members of one family, not a question for an analyst. Such pairs are not raised.
fn only_household_agrees(model: &Model, score: &Score) -> bool {
    let profile = &model.profile;
    let Some(distinct) = profile.distinct_when_different.as_deref() else {
        return false;
    };
    let shared = |field: &str| profile.correlated.iter().flatten().any(|f| f == field);
    score
        .fields
        .iter()
        .any(|f| f.field == distinct && f.weight < 0.0)
        && score
            .fields
            .iter()
            // The prior is no field: a model whose prior odds favour a match still
            // counts only the fields.
            .filter(|f| profile.field_index(&f.field).is_some())
            .all(|f| f.weight <= 0.0 || shared(&f.field))
}

/// True when one record of a pair names nobody but by a masked ID number (the profile's
/// `weak_when_missing` fields but the distinguishing one are missing: no name) and at least
/// two other fields disagree with the other record (its phone and its arrival date, its
/// township …), or one does and none agrees (the mask alone against another phone). A
/// mask's shown digits fit many strangers' numbers, and a row with nothing else to name its
/// holder is a stranger's when its own phone says so and nothing else speaks for it: such
/// pairs are not raised (on the synthetic county of 20 000 persons, 3 of 681 of the first
/// kind were the same person; at 110 000 persons, 112 of 3 481 of the second; BENCHMARKS.md,
/// "Review queue").
fn a_mask_alone_against_disagreement(
    model: &Model,
    records: &[Vec<FieldValue>],
    pair: &ReviewPair,
) -> bool {
    let profile = &model.profile;
    let Some(distinct) = profile.distinct_when_different.as_deref() else {
        return false;
    };
    let Some(id) = profile.field_index(distinct) else {
        return false;
    };
    let names: Vec<usize> = profile
        .weak_when_missing
        .iter()
        .filter(|f| f.as_str() != distinct)
        .filter_map(|f| profile.field_index(f))
        .collect();
    let nameless_mask = |r: u32| {
        let record = &records[r as usize];
        !names.is_empty()
            && names.iter().all(|&f| record[f].is_missing())
            && mask_key(&record[id]).is_some()
    };
    if !nameless_mask(pair.a) && !nameless_mask(pair.b) {
        return false;
    }
    let others = || {
        pair.score
            .fields
            .iter()
            .filter(|f| f.field != distinct)
            .filter(|f| profile.field_index(&f.field).is_some()) // not the prior
    };
    let disagreeing = others().filter(|f| f.weight < 0.0).count();
    let agreeing = others().filter(|f| f.weight > 0.0).count();
    disagreeing >= 2 || (disagreeing >= 1 && agreeing == 0)
}

/// True when two values of a household field name one household: one is the other with more
/// of the places before it (`青溪县黄湾镇潘集村7组44号` and `潘集村7组44号`), and the shorter
/// shows a number (a house number, not just a township's name).
fn same_household(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.chars().any(|c| c.is_ascii_digit()) && long.ends_with(short)
}

/// True when the clusters of `a` and `b` are kept apart by a hard rule (two of their records
/// have different valid ID numbers): no decision on the pair could make them one person by
/// weight, and an analyst's "same" would join two persons the ID numbers tell apart, so the
/// pair is not raised. A record whose masked ID fits its holder (placed with them) and also a
/// stranger's number is the common case. (Not asked for clusters an analyst has joined
/// records into: see `cluster`.)
fn kept_apart(
    model: &Model,
    records: &[Vec<FieldValue>],
    members: &[Vec<u32>],
    cluster: &[u32],
    a: u32,
    b: u32,
) -> bool {
    let (ca, cb) = (
        &members[cluster[a as usize] as usize],
        &members[cluster[b as usize] as usize],
    );
    ca.iter().any(|&x| {
        cb.iter().any(|&y| {
            model.total(&records[x as usize], &records[y as usize]).0 == f64::NEG_INFINITY
        })
    })
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

#[cfg(test)]
mod tests;
