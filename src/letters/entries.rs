//! Who is on which open letter: the rules that keep every person on at most one open letter
//! while letters are drafted, persons merged, letters answered and persons come back.

/// What becomes of a merged person's open entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergedEntry {
    /// The entry now stands for the surviving person (who had no open entry).
    Repoint,
    /// The entry leaves its letter: the surviving person already has an open entry.
    Leave,
}

/// The merged person's open entry becomes the survivor's unless the survivor already has one
/// (a merged person keeps one entry).
pub fn merged_entry(survivor_has_open_entry: bool) -> MergedEntry {
    if survivor_has_open_entry {
        MergedEntry::Leave
    } else {
        MergedEntry::Repoint
    }
}

/// Whether a person may be put on a new letter: outside the county, not merged away, with no
/// open entry, and not settled by an answer (observed, not found, or back in the county); a
/// person answered `MOVED_ON` is free again, for a letter to the new place.
pub fn draftable(out_of_county: bool, merged: bool, has_open: bool, settled: bool) -> bool {
    out_of_county && !merged && !has_open && !settled
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// An in-memory register of letters driven by the same rules as the database's.
    #[derive(Default)]
    struct Ledger {
        /// Person → (out of county, merged).
        persons: BTreeMap<i64, (bool, bool)>,
        /// Letter → (open, draft, destination).
        letters: Vec<(bool, bool, u8)>,
        /// (letter, person, open).
        entries: Vec<(usize, i64, bool)>,
        settled: BTreeSet<i64>,
        destination: BTreeMap<i64, u8>,
    }

    impl Ledger {
        fn has_open(&self, p: i64) -> bool {
            self.entries.iter().any(|(_, q, open)| *q == p && *open)
        }

        fn draft(&mut self) {
            let ids: Vec<i64> = self.persons.keys().copied().collect();
            for p in ids {
                let (out, merged) = self.persons[&p];
                if !draftable(out, merged, self.has_open(p), self.settled.contains(&p)) {
                    continue;
                }
                let to = self.destination.get(&p).copied().unwrap_or(0);
                let letter = match self.letters.iter().position(|l| l.1 && l.2 == to) {
                    Some(l) => l,
                    None => {
                        self.letters.push((true, true, to));
                        self.letters.len() - 1
                    }
                };
                self.entries.push((letter, p, true));
            }
        }

        fn issue(&mut self, l: usize) {
            if let Some(letter) = self.letters.get_mut(l)
                && letter.1
            {
                letter.1 = false;
            }
        }

        fn close_entry(&mut self, p: i64) {
            for e in &mut self.entries {
                if e.1 == p {
                    e.2 = false;
                }
            }
        }

        fn merge(&mut self, a: i64, b: i64) {
            if a == b || self.persons[&a].1 || self.persons[&b].1 {
                return;
            }
            if let Some(e) = self.entries.iter().position(|(_, q, o)| *q == a && *o) {
                match merged_entry(self.has_open(b)) {
                    MergedEntry::Repoint => self.entries[e].1 = b,
                    MergedEntry::Leave => self.entries[e].2 = false,
                }
            }
            if let Some(x) = self.persons.get_mut(&a) {
                x.1 = true;
            }
        }

        fn reply(&mut self, p: i64, outcome: u8) {
            let Some(&(l, _, _)) = self.entries.iter().find(|(_, q, o)| *q == p && *o) else {
                return;
            };
            if self.letters[l].1 {
                return; // no reply before issue
            }
            self.close_entry(p);
            match outcome {
                0 => {
                    self.settled.insert(p);
                }
                1 => {
                    self.destination.insert(p, 9);
                }
                _ => {
                    self.settled.insert(p);
                    if let Some(x) = self.persons.get_mut(&p) {
                        x.0 = false;
                    }
                }
            }
        }

        fn check(&self) -> Result<(), String> {
            let mut seen = BTreeSet::new();
            for (l, p, open) in &self.entries {
                if *open && self.letters[*l].0 && !seen.insert(*p) {
                    return Err(format!("person {p} is in two open letters"));
                }
            }
            Ok(())
        }
    }

    fn op() -> impl Strategy<Value = (u8, i64, i64)> {
        (0u8..4, 0i64..8, 0i64..8)
    }

    proptest! {
        #[test]
        fn no_person_is_ever_in_two_open_letters(ops in proptest::collection::vec(op(), 1..40)) {
            let mut ledger = Ledger::default();
            for p in 0..8 {
                ledger.persons.insert(p, (true, false));
                ledger.destination.insert(p, u8::try_from(p % 3).unwrap_or(0));
            }
            for (kind, a, b) in ops {
                match kind {
                    0 => ledger.draft(),
                    1 => ledger.issue(usize::try_from(a).unwrap_or(0) % ledger.letters.len().max(1)),
                    2 => ledger.merge(a, b),
                    _ => ledger.reply(a, u8::try_from(b % 3).unwrap_or(0)),
                }
                prop_assert!(ledger.check().is_ok(), "{:?}", ledger.check());
            }
        }
    }

    #[test]
    fn a_merged_person_keeps_one_entry() {
        assert_eq!(merged_entry(true), MergedEntry::Leave);
        assert_eq!(merged_entry(false), MergedEntry::Repoint);
        assert!(draftable(true, false, false, false));
        assert!(!draftable(true, false, true, false));
        assert!(!draftable(true, true, false, false));
        assert!(!draftable(false, false, false, false));
        assert!(!draftable(true, false, false, true));
    }
}
