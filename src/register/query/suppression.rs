//! Small-group suppression for callers who see aggregates only (dashboards): a count of
//! fewer persons than the minimum could single someone out, so it is withheld; and so is the
//! next smallest count of the same breakdown until the withheld counts add up to the minimum,
//! so that no withheld count follows from the total and the counts shown. Pure: no I/O.

/// The counts of one breakdown as shown to a caller held to groups of at least `min`: a count
/// of 1 to `min - 1` is `None`, and so are the smallest further counts needed for the
/// withheld ones to add up to `min` at least. Zero counts single no one out and are shown.
pub fn suppress(counts: &[u64], min: u64) -> Vec<Option<u64>> {
    let mut shown: Vec<Option<u64>> = counts
        .iter()
        .map(|&n| (n == 0 || n >= min).then_some(n))
        .collect();
    let withheld = |shown: &[Option<u64>]| -> u64 {
        counts
            .iter()
            .zip(shown)
            .filter(|(_, s)| s.is_none())
            .map(|(n, _)| n)
            .sum()
    };
    if shown.iter().all(Option::is_some) {
        return shown;
    }
    while withheld(&shown) < min {
        let smallest = shown
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.filter(|n| *n > 0).map(|n| (n, i)))
            .min();
        let Some((_, i)) = smallest else { break };
        shown[i] = None;
    }
    shown
}

/// A single count (a total) as shown to a caller held to groups of at least `min`.
pub fn suppress_one(count: u64, min: u64) -> Option<u64> {
    (count == 0 || count >= min).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_empty_groups_are_shown_and_small_ones_withheld() {
        assert_eq!(suppress(&[0, 7, 12], 5), vec![Some(0), Some(7), Some(12)]);
        assert_eq!(suppress_one(4, 5), None);
        assert_eq!(suppress_one(5, 5), Some(5));
        assert_eq!(suppress_one(0, 5), Some(0));
    }

    #[test]
    fn a_lone_small_group_takes_the_next_smallest_with_it_so_the_total_tells_nothing() {
        // Total 20: with only the 1 withheld, 20 - 7 - 12 would give it away.
        assert_eq!(
            suppress(&[1, 7, 12, 0], 5),
            vec![None, None, Some(12), Some(0)]
        );
        // Two small groups adding up to the minimum are enough.
        assert_eq!(suppress(&[2, 3, 9], 5), vec![None, None, Some(9)]);
        // Everything small: everything withheld.
        assert_eq!(suppress(&[1, 2], 5), vec![None, None]);
    }
}
