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

/// The cells of a cross-tabulation (`counts`, row-major over `shape`) as shown to a caller
/// held to groups of at least `min`, with the running totals of a day series when one of
/// the dimensions is one (`series`: that dimension, and each cell's running total, `None`
/// off the days).
///
/// A count of 1 to `min - 1` is withheld. Each row and column (every line of cells that
/// differ in one dimension only) adds up to a figure the caller may know, so in each line
/// the withheld counts are made to add up to `min` at least and to be two at least (one alone
/// would follow from the line's total), withholding the next smallest counts of the line,
/// until no line needs more. Along the days a running total is shown only when it, and its
/// rise since the last one shown (or since the persons reported before the series), is 0 or
/// `min` at least; the stretches of days between two running totals shown are then the lines
/// along the days, and a running total is withheld too when the stretch it closes could not
/// be made safe.
pub fn suppress_table(
    counts: &[u64],
    shape: &[usize],
    series: Option<(usize, &[Option<u64>])>,
    min: u64,
) -> (Vec<Option<u64>>, Vec<Option<u64>>) {
    let strides: Vec<usize> = (0..shape.len())
        .map(|i| shape[i + 1..].iter().product())
        .collect();
    let line_starts = |d: usize| -> Vec<usize> {
        (0..counts.len())
            .filter(|c| shape[d] > 0 && (c / strides[d]).is_multiple_of(shape[d]))
            .collect()
    };
    let along = |d: usize, start: usize| -> Vec<usize> {
        (0..shape[d]).map(|k| start + k * strides[d]).collect()
    };
    let mut lines: Vec<Vec<usize>> = Vec::new();
    let mut day_lines: Vec<Vec<usize>> = Vec::new();
    for d in 0..shape.len() {
        let of_d = line_starts(d).into_iter().map(|start| along(d, start));
        if series.is_some_and(|(day, _)| day == d) {
            day_lines.extend(of_d);
        } else {
            lines.extend(of_d);
        }
    }
    if shape.is_empty() {
        lines.push((0..counts.len()).collect());
    }
    let running = series.map_or(&[][..], |(_, r)| r);
    let total_at = |cell: usize| running.get(cell).copied().flatten();
    // The running totals that tell no small group away by their rise.
    let mut running_shown: Vec<Option<u64>> = vec![None; counts.len()];
    for line in &day_lines {
        let mut known: Option<u64> = None;
        for &cell in line {
            let Some(total) = total_at(cell) else {
                continue;
            };
            // Before the first day: the persons reported before the series.
            let last = *known.get_or_insert(total.saturating_sub(counts[cell]));
            let rise = total.saturating_sub(last);
            if (rise == 0 || rise >= min) && (total == 0 || total >= min) {
                running_shown[cell] = Some(total);
                known = Some(total);
            }
        }
    }
    let mut withheld: Vec<bool> = counts.iter().map(|&n| n > 0 && n < min).collect();
    let unsafe_line = |line: &[usize], withheld: &[bool]| -> bool {
        let hidden: Vec<u64> = line
            .iter()
            .filter(|&&c| withheld[c])
            .map(|&c| counts[c])
            .collect();
        let sum: u64 = hidden.iter().sum();
        hidden.len() == 1 || (sum > 0 && sum < min)
    };
    loop {
        // Each day line cut after every running total shown.
        let mut stretches: Vec<Vec<usize>> = Vec::new();
        for line in &day_lines {
            let mut stretch = Vec::new();
            for &cell in line {
                stretch.push(cell);
                if running_shown[cell].is_some() {
                    stretches.push(std::mem::take(&mut stretch));
                }
            }
            if !stretch.is_empty() {
                stretches.push(stretch);
            }
        }
        let mut changed = true;
        while changed {
            changed = false;
            for line in lines.iter().chain(&stretches) {
                while unsafe_line(line, &withheld) {
                    let smallest = line
                        .iter()
                        .filter(|&&c| !withheld[c] && counts[c] > 0)
                        .min_by_key(|&&c| (counts[c], c));
                    let Some(&c) = smallest else { break };
                    withheld[c] = true;
                    changed = true;
                }
            }
        }
        let mut dropped = false;
        for stretch in &stretches {
            if let Some(&last) = stretch.last()
                && running_shown[last].is_some()
                && unsafe_line(stretch, &withheld)
            {
                running_shown[last] = None;
                dropped = true;
            }
        }
        if !dropped {
            break;
        }
    }
    let shown = counts
        .iter()
        .zip(&withheld)
        .map(|(&n, &w)| (!w).then_some(n))
        .collect();
    (shown, running_shown)
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

    #[test]
    fn a_cross_tabulation_withholds_in_every_row_and_column() {
        // 2 x 3: rows [1, 7, 12] and [6, 6, 9]; columns [1, 6], [7, 6], [12, 9].
        let (shown, _) = suppress_table(&[1, 7, 12, 6, 6, 9], &[2, 3], None, 5);
        let withheld: Vec<usize> = (0..6).filter(|&i| shown[i].is_none()).collect();
        // The 1; its row's next smallest (7); its column's (6); and the second row, which
        // lost the 6, the next smallest of it (the other 6, also the 7's column partner).
        assert_eq!(withheld, vec![0, 1, 3, 4], "{shown:?}");
        for line in [[0, 1, 2].as_slice(), &[3, 4, 5], &[0, 3], &[1, 4], &[2, 5]] {
            let counts = [1u64, 7, 12, 6, 6, 9];
            let hidden: u64 = line
                .iter()
                .filter(|&&i| shown[i].is_none())
                .map(|&i| counts[i])
                .sum();
            assert!(hidden == 0 || hidden >= 5, "{line:?}: {hidden}");
        }
        // No dimension: the one group is the total.
        assert_eq!(suppress_table(&[3], &[], None, 5).0, vec![None]);
        assert_eq!(suppress_table(&[7], &[], None, 5).0, vec![Some(7)]);
    }

    #[test]
    fn a_running_total_is_shown_only_where_it_gives_no_small_group_away() {
        // Days: 1, 10, 2, 10; running totals from 0: 1, 11, 13, 23.
        let counts = [1, 10, 2, 10];
        let running = [Some(1), Some(11), Some(13), Some(23)];
        let (shown, totals) = suppress_table(&counts, &[4], Some((0, &running)), 5);
        assert_eq!(totals, vec![None, Some(11), None, Some(23)]);
        // Between the totals shown, what is withheld adds up to 5 at least (or nothing).
        assert_eq!(shown, vec![None, None, None, None], "{shown:?}");
        // Large days: everything shown.
        let (shown, totals) = suppress_table(
            &[5, 0, 6],
            &[3],
            Some((0, &[Some(25), Some(25), Some(31)])),
            5,
        );
        assert_eq!(shown, vec![Some(5), Some(0), Some(6)]);
        assert_eq!(totals, vec![Some(25), Some(25), Some(31)]);
    }
}
