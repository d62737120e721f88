//! What a resolution run changes, worked out before anything is written: from where each
//! record stood before the run and the engine's clustering, the person each cluster is (kept,
//! merged or new), the links that are new or changed, the events, the persons whose golden
//! records must be written again and the review candidates. Pure: no database.
//!
//! Person IDs are kept stable: a person's heir is the cluster holding most of its records
//! (the first such cluster on a tie); a cluster that is the heir of several persons keeps the
//! oldest (smallest) ID and the others are merged into it; a cluster that is no person's heir
//! gets a new ID, split off from every person its records belonged to (a person created when
//! they belonged to none).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::ResolutionSummary;
use crate::resolve::cluster::Clustering;
use crate::resolve::model::Score;
use crate::states::EventKind;

/// Where a record of the run stood before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub id: i64,
    /// The person the record is linked to.
    pub person: Option<i64>,
    /// For a new version of a record: the person its previous version was linked to.
    pub inherited: Option<i64>,
    /// Written by the import this run resolves.
    pub fresh: bool,
}

impl Placed {
    /// The person the record belonged to before the run, if any.
    fn belonged_to(&self) -> Option<i64> {
        self.person.or(self.inherited)
    }
}

/// A record's link to write: a record without one, or one now linked to another person.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkChange {
    pub record: i64,
    pub person: i64,
    /// Stored finite (see [`finite`]).
    pub weight: f64,
    /// `FOUNDER`, `MATCH` or `ANALYST`.
    pub rule: &'static str,
    /// How each field compared, as JSON.
    pub explanation: String,
}

/// A resolution event to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `CREATE`, `LINK`, `MERGE` or `SPLIT`.
    pub kind: EventKind,
    pub person: i64,
    pub other: Option<i64>,
    pub record: Option<i64>,
    /// What the event rested on, as JSON.
    pub detail: String,
}

/// A pair of records left for an analyst.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub record_a: i64,
    pub record_b: i64,
    pub weight: f64,
    pub explanation: String,
}

/// A phone-only person linked to the household whose phone it carries (the `HOUSEHOLD` link
/// kind, see [`crate::resolve::cluster::HouseholdLink`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// Its records, lowest first (never empty).
    pub records: Vec<i64>,
    /// The person they are (of their own).
    pub person: i64,
    /// The persons of the household it fits equally well, in the order of their records.
    pub members: Vec<i64>,
    /// The address the members share.
    pub address: String,
    /// The best pair's weight, stored finite.
    pub weight: f64,
}

/// Everything a run writes, in the order it is written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// New links (in record order), then changed ones (in record order).
    pub links: Vec<LinkChange>,
    /// Persons merged: (absorbed, kept).
    pub merged: Vec<(i64, i64)>,
    /// Creations and links in record order, then merges, then splits.
    pub events: Vec<Event>,
    /// The persons whose golden records are written again, in ID order, each with its
    /// records (indices into the run's records).
    pub persons: Vec<(i64, Vec<usize>)>,
    pub reviews: Vec<Review>,
    /// Phone-only persons linked to a household, in the order of their first record.
    pub households: Vec<Household>,
    /// The figures of the run (its review candidates included).
    pub summary: ResolutionSummary,
}

/// The plan of a run over `records` (in the engine's order) that `clustering` partitioned;
/// new persons are numbered from `next_person`.
pub fn plan(
    records: &[Placed],
    clustering: &Clustering,
    next_person: i64,
) -> Result<Plan, serde_json::Error> {
    let persons = persons_of_clusters(records, &clustering.cluster, next_person);
    let mut plan = Plan::default();
    let mut affected = links(records, clustering, &persons, &mut plan)?;
    let summary = &mut plan.summary;
    let split_off: BTreeSet<i64> = persons.split.iter().map(|&(_, new)| new).collect();
    summary.founded_in.retain(|p, _| !split_off.contains(p));
    summary.persons_created = persons
        .created
        .iter()
        .filter(|p| !split_off.contains(p))
        .count() as u32;
    summary.persons_merged = persons.merged.len() as u32;
    summary.persons_split = persons.split.len() as u32;
    for &(absorbed, kept) in &persons.merged {
        affected.insert(kept);
        plan.events.push(Event {
            kind: EventKind::Merge,
            person: kept,
            other: Some(absorbed),
            record: None,
            detail: json!({ "absorbed": absorbed }).to_string(),
        });
    }
    for &(from, new) in &persons.split {
        affected.insert(from);
        plan.events.push(Event {
            kind: EventKind::Split,
            person: new,
            other: Some(from),
            record: None,
            detail: json!({ "split_from": from }).to_string(),
        });
    }
    let mut members_of: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, cluster) in clustering.cluster.iter().enumerate() {
        let person = persons.of_cluster[cluster];
        if affected.contains(&person) {
            members_of.entry(person).or_default().push(i);
        }
    }
    plan.persons = members_of.into_iter().collect();
    plan.reviews = clustering
        .review
        .iter()
        .map(|pair| {
            Ok(Review {
                record_a: records[pair.a as usize].id,
                record_b: records[pair.b as usize].id,
                weight: finite(pair.score.total),
                explanation: explain(&pair.score)?,
            })
        })
        .collect::<Result<_, serde_json::Error>>()?;
    plan.summary.review_candidates = plan.reviews.len() as u32;
    let person_of = |record: u32| persons.of_cluster[&clustering.cluster[record as usize]];
    plan.households = clustering
        .households
        .iter()
        .map(|h| {
            let mut members: Vec<i64> = h.members.iter().map(|&m| person_of(m)).collect();
            members.dedup();
            Household {
                records: h.records.iter().map(|&r| records[r as usize].id).collect(),
                person: person_of(h.records[0]),
                members,
                address: h.shared.clone(),
                weight: finite(h.weight),
            }
        })
        .collect();
    plan.merged = persons.merged;
    Ok(plan)
}

/// The person each cluster is, and the merges, splits and creations that makes.
struct Persons {
    of_cluster: BTreeMap<u32, i64>,
    /// (absorbed, kept)
    merged: Vec<(i64, i64)>,
    /// (from, new)
    split: Vec<(i64, i64)>,
    /// Every new ID, split off or not.
    created: BTreeSet<i64>,
}

/// Which person each cluster is (see the module's documentation).
fn persons_of_clusters(records: &[Placed], cluster: &[u32], next_person: i64) -> Persons {
    // Clusters in the order of their first record.
    let mut clusters: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, c) in cluster.iter().enumerate() {
        clusters.entry(*c).or_default().push(i as u32);
    }
    // The heir of each existing person: the cluster holding most of its records.
    let mut holdings: BTreeMap<i64, BTreeMap<u32, usize>> = BTreeMap::new();
    for (r, c) in records.iter().zip(cluster) {
        if let Some(p) = r.belonged_to() {
            *holdings.entry(p).or_default().entry(*c).or_default() += 1;
        }
    }
    let mut heirs_of: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
    for (person, by_cluster) in &holdings {
        let heir = by_cluster
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(c, _)| *c);
        if let Some(c) = heir {
            heirs_of.entry(c).or_default().push(*person);
        }
    }
    let mut persons = Persons {
        of_cluster: BTreeMap::new(),
        merged: Vec::new(),
        split: Vec::new(),
        created: BTreeSet::new(),
    };
    let mut next_person = next_person;
    for (&c, members) in &clusters {
        let person = match heirs_of.get(&c).map(Vec::as_slice) {
            Some([kept, absorbed @ ..]) => {
                for a in absorbed {
                    persons.merged.push((*a, *kept));
                }
                *kept
            }
            _ => {
                let id = next_person;
                next_person += 1;
                persons.created.insert(id);
                let from: BTreeSet<i64> = members
                    .iter()
                    .filter_map(|&m| records[m as usize].belonged_to())
                    .collect();
                for f in from {
                    persons.split.push((f, id));
                }
                id
            }
        };
        persons.of_cluster.insert(c, person);
    }
    persons
}

/// Adds the links that are new or changed, the creation and link events and the fresh
/// records' persons to `plan`; returns the persons whose records changed.
fn links(
    records: &[Placed],
    clustering: &Clustering,
    persons: &Persons,
    plan: &mut Plan,
) -> Result<BTreeSet<i64>, serde_json::Error> {
    let mut affected: BTreeSet<i64> = BTreeSet::new();
    let mut changed: Vec<LinkChange> = Vec::new();
    let mut matched: BTreeSet<i64> = BTreeSet::new();
    let summary = &mut plan.summary;
    for (i, r) in records.iter().enumerate() {
        let person = persons.of_cluster[&clustering.cluster[i]];
        let link = || -> Result<LinkChange, serde_json::Error> {
            let (weight, rule, explanation) = match &clustering.links[i] {
                Some(link) => (
                    link.score.total,
                    if link.decided { "ANALYST" } else { "MATCH" },
                    explain(&link.score)?,
                ),
                None => (0.0, "FOUNDER", "[]".to_owned()),
            };
            Ok(LinkChange {
                record: r.id,
                person,
                weight: finite(weight),
                rule,
                explanation,
            })
        };
        match r.person {
            None => {
                let link = link()?;
                affected.insert(person);
                if let Some(old) = r.inherited {
                    affected.insert(old);
                }
                let created = persons.created.contains(&person);
                if r.fresh {
                    summary.new_record_persons.insert(r.id, person);
                    if created {
                        let founder = summary.founded_in.entry(person).or_insert(r.id);
                        *founder = (*founder).min(r.id);
                    } else {
                        matched.insert(person);
                    }
                }
                plan.events.push(Event {
                    kind: if created {
                        EventKind::Create
                    } else {
                        EventKind::Link
                    },
                    person,
                    other: None,
                    record: Some(r.id),
                    // The field-by-field explanation is the link's own; the event keeps what
                    // the decision rested on.
                    detail: json!({ "weight": link.weight, "rule": link.rule }).to_string(),
                });
                plan.links.push(link);
            }
            Some(old) if old != person => {
                changed.push(link()?);
                affected.insert(person);
                affected.insert(old);
            }
            Some(_) => {}
        }
    }
    summary.links_changed = changed.len() as u32;
    summary.persons_matched = matched.len() as u32;
    plan.links.extend(changed);
    Ok(affected)
}

/// Weights are stored finite (a forbidden pair's minus infinity is written as -1000).
fn finite(weight: f64) -> f64 {
    if weight.is_finite() { weight } else { -1000.0 }
}

/// How each field of a pair compared, as JSON.
fn explain(score: &Score) -> Result<String, serde_json::Error> {
    serde_json::to_string(&score.fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::cluster::{Link, ReviewPair};
    use crate::resolve::model::FieldScore;

    /// The next person ID the register would hand out in these tests.
    const NEXT: i64 = 100;

    fn fresh(id: i64) -> Placed {
        Placed {
            id,
            person: None,
            inherited: None,
            fresh: true,
        }
    }

    fn linked(id: i64, person: i64) -> Placed {
        Placed {
            id,
            person: Some(person),
            inherited: None,
            fresh: false,
        }
    }

    fn score(total: f64) -> Score {
        Score {
            total,
            fields: vec![FieldScore {
                field: "name".to_owned(),
                level: "EXACT".to_owned(),
                weight: total,
            }],
            forbidden: false,
        }
    }

    /// A clustering: each record's cluster, and its link to the cluster's first record.
    fn clustering(cluster: &[u32]) -> Clustering {
        Clustering {
            cluster: cluster.to_vec(),
            links: cluster
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    (i as u32 != c).then(|| Link {
                        other: c,
                        score: score(12.5),
                        decided: false,
                    })
                })
                .collect(),
            review: Vec::new(),
            households: Vec::new(),
        }
    }

    fn kinds(plan: &Plan) -> Vec<(EventKind, i64, Option<i64>)> {
        plan.events
            .iter()
            .map(|e| (e.kind, e.person, e.other))
            .collect()
    }

    #[test]
    fn a_new_record_alone_founds_a_person_with_the_next_id() {
        let plan = plan(&[fresh(1)], &clustering(&[0]), NEXT).expect("plan");
        assert_eq!(plan.summary.persons_created, 1);
        assert_eq!(plan.summary.new_record_persons[&1], NEXT);
        assert_eq!(plan.summary.founded_in[&NEXT], 1);
        assert_eq!(plan.links.len(), 1);
        assert_eq!(plan.links[0].rule, "FOUNDER");
        assert_eq!(plan.links[0].explanation, "[]");
        assert_eq!(kinds(&plan), [(EventKind::Create, NEXT, None)]);
        assert_eq!(plan.events[0].detail, r#"{"rule":"FOUNDER","weight":0.0}"#);
        assert_eq!(plan.persons, [(NEXT, vec![0])]);
    }

    #[test]
    fn two_new_records_of_one_cluster_found_one_person_by_the_smaller_record() {
        let plan = plan(&[fresh(7), fresh(8)], &clustering(&[0, 0]), NEXT).expect("plan");
        assert_eq!(plan.summary.persons_created, 1);
        assert_eq!(plan.summary.founded_in[&NEXT], 7);
        assert_eq!(
            plan.links.iter().map(|l| l.rule).collect::<Vec<_>>(),
            ["FOUNDER", "MATCH"]
        );
        assert_eq!(plan.links[1].weight, 12.5);
        assert_eq!(
            kinds(&plan),
            [
                (EventKind::Create, NEXT, None),
                (EventKind::Create, NEXT, None)
            ]
        );
    }

    #[test]
    fn a_new_record_joining_a_person_links_to_it_and_creates_nobody() {
        let records = [linked(1, 5), linked(2, 5), fresh(3)];
        let plan = plan(&records, &clustering(&[0, 0, 0]), NEXT).expect("plan");
        assert_eq!(plan.summary.persons_created, 0);
        assert_eq!(plan.summary.persons_matched, 1);
        assert_eq!(plan.summary.new_record_persons[&3], 5);
        assert!(plan.summary.founded_in.is_empty());
        assert_eq!(plan.links.len(), 1, "the linked records stay as they are");
        assert_eq!((plan.links[0].record, plan.links[0].person), (3, 5));
        assert_eq!(kinds(&plan), [(EventKind::Link, 5, None)]);
        assert_eq!(plan.persons, [(5, vec![0, 1, 2])]);
    }

    #[test]
    fn a_run_that_changes_nothing_plans_nothing() {
        let records = [linked(1, 5), linked(2, 5), linked(3, 6)];
        let plan = plan(&records, &clustering(&[0, 0, 2]), NEXT).expect("plan");
        assert_eq!(plan, Plan::default());
    }

    #[test]
    fn two_persons_in_one_cluster_merge_into_the_older_id() {
        let records = [linked(1, 9), linked(2, 4), fresh(3)];
        let plan = plan(&records, &clustering(&[0, 0, 0]), NEXT).expect("plan");
        assert_eq!(plan.merged, [(9, 4)]);
        assert_eq!(plan.summary.persons_merged, 1);
        // Record 1 moves from 9 to 4: a changed link, written after the new one.
        assert_eq!(
            plan.links
                .iter()
                .map(|l| (l.record, l.person))
                .collect::<Vec<_>>(),
            [(3, 4), (1, 4)]
        );
        assert_eq!(plan.summary.links_changed, 1);
        assert_eq!(
            kinds(&plan),
            [(EventKind::Link, 4, None), (EventKind::Merge, 4, Some(9))]
        );
        assert_eq!(plan.events[1].detail, r#"{"absorbed":9}"#);
        // The absorbed person keeps no record: only the survivor's golden record is written.
        assert_eq!(plan.persons, [(4, vec![0, 1, 2])]);
    }

    #[test]
    fn a_part_split_off_gets_a_new_id_and_the_person_keeps_the_larger_part() {
        let records = [linked(1, 5), linked(2, 5), linked(3, 5)];
        let plan = plan(&records, &clustering(&[0, 0, 2]), NEXT).expect("plan");
        assert_eq!(plan.summary.persons_split, 1);
        assert_eq!(plan.summary.persons_created, 0, "a split creates nobody");
        assert_eq!((plan.links[0].record, plan.links[0].person), (3, NEXT));
        assert_eq!(plan.links[0].rule, "FOUNDER");
        assert_eq!(kinds(&plan), [(EventKind::Split, NEXT, Some(5))]);
        assert_eq!(plan.events[0].detail, r#"{"split_from":5}"#);
        assert_eq!(plan.persons, [(5, vec![0, 1]), (NEXT, vec![2])]);
    }

    #[test]
    fn a_person_split_in_halves_stays_with_the_first_half() {
        let records = [linked(1, 5), linked(2, 5)];
        let plan = plan(&records, &clustering(&[0, 1]), NEXT).expect("plan");
        assert_eq!((plan.links[0].record, plan.links[0].person), (2, NEXT));
        assert_eq!(kinds(&plan), [(EventKind::Split, NEXT, Some(5))]);
    }

    #[test]
    fn a_new_version_stays_with_the_person_of_the_version_it_replaces() {
        let new_version = Placed {
            inherited: Some(5),
            ..fresh(3)
        };
        let records = [linked(1, 5), new_version];
        let plan = plan(&records, &clustering(&[0, 0]), NEXT).expect("plan");
        assert_eq!(plan.summary.persons_matched, 1);
        assert_eq!(kinds(&plan), [(EventKind::Link, 5, None)]);
        // Alone, it still inherits the person: the old version's record left it.
        let plan = self::plan(&[new_version], &clustering(&[0]), NEXT).expect("plan");
        assert_eq!(plan.summary.new_record_persons[&3], 5);
        assert_eq!(kinds(&plan), [(EventKind::Link, 5, None)]);
    }

    #[test]
    fn an_analysts_link_is_marked_and_a_forbidden_pair_is_stored_finite() {
        let mut clustering = clustering(&[0, 0]);
        if let Some(link) = clustering.links[1].as_mut() {
            link.decided = true;
        }
        clustering.review.push(ReviewPair {
            a: 0,
            b: 1,
            score: score(f64::NEG_INFINITY),
        });
        let plan = plan(&[fresh(1), fresh(2)], &clustering, NEXT).expect("plan");
        assert_eq!(plan.links[1].rule, "ANALYST");
        assert_eq!(plan.summary.review_candidates, 1);
        assert_eq!((plan.reviews[0].record_a, plan.reviews[0].record_b), (1, 2));
        assert_eq!(plan.reviews[0].weight, -1000.0);
    }
}
