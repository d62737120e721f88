//! The truth: which accepted record is whom, and which rows intake must reject.

use std::collections::{BTreeMap, BTreeSet};

use super::{BIGDATA, EXTERNAL, SynthStats, TOWNSHIP};

/// The records as they are numbered, source by source.
#[derive(Default)]
pub(super) struct Truth {
    /// Accepted records: `(source, record_id, person_id)`.
    accepted: Vec<(&'static str, String, usize)>,
    /// Rows that name nobody: `(source, record_id)`.
    rejected: Vec<(&'static str, String)>,
}

impl Truth {
    /// Records `id` of `source` as the person's (by person id), or as one to reject.
    pub(super) fn record(&mut self, source: &'static str, id: &str, person: Option<usize>) {
        match person {
            Some(p) => self.accepted.push((source, id.to_owned(), p)),
            None => self.rejected.push((source, id.to_owned())),
        }
    }

    /// `truth.csv` (by source, then record ID), and `stats` completed with the counts.
    pub(super) fn into_file(mut self, mut stats: SynthStats) -> (String, SynthStats) {
        let order = |s: &str| [BIGDATA, TOWNSHIP, EXTERNAL].iter().position(|x| *x == s);
        self.accepted
            .sort_by(|a, b| (order(a.0), &a.1).cmp(&(order(b.0), &b.1)));
        let mut truth_csv = String::from("source,record_id,person_id\n");
        for (source, id, person) in &self.accepted {
            truth_csv.push_str(&format!("{source},{id},{person}\n"));
        }

        for (source, _, _) in &self.accepted {
            *stats.records.entry(source).or_default() += 1;
        }
        let mut sources_of: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
        for (source, _, person) in &self.accepted {
            sources_of.entry(*person).or_default().insert(source);
        }
        stats.persons_in_truth = sources_of.len();
        for set in sources_of.values() {
            *stats.persons_by_sources.entry(set.len()).or_default() += 1;
        }
        stats.rejected = self.rejected;
        (truth_csv, stats)
    }
}
