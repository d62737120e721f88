//! Splitting pure work over the machine's cores (two here, at most four used).

/// `work` over `items` in order, on every core when there are at least `threshold` items;
/// each thread takes one contiguous share. A panic in any share is raised again here.
pub fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    threshold: usize,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    map_range(items.len(), threshold, |range| work(&items[range]))
}

/// `work` over the indices `0..len` in order, as [`map_chunks`] does over items: each thread
/// takes one contiguous range.
pub fn map_range<R: Send>(
    len: usize,
    threshold: usize,
    work: impl Fn(std::ops::Range<usize>) -> Vec<R> + Sync,
) -> Vec<R> {
    let mut shares = map_shares(len, threshold, work);
    if shares.len() == 1 {
        return shares.pop().unwrap_or_default();
    }
    // Joined into a list made to size at once, not grown (and copied) as the shares arrive.
    let mut all = Vec::with_capacity(shares.iter().map(Vec::len).sum());
    for share in shares {
        all.extend(share);
    }
    all
}

/// `work` over the indices `0..len` as [`map_range`] does, each thread's results kept apart
/// (in the order of their ranges), for a caller that need not join them.
pub fn map_shares<R: Send>(
    len: usize,
    threshold: usize,
    work: impl Fn(std::ops::Range<usize>) -> Vec<R> + Sync,
) -> Vec<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    if len == 0 || len < threshold || threads < 2 {
        return vec![work(0..len)];
    }
    let share = len.div_ceil(threads);
    let work = &work;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..len)
            .step_by(share)
            .map(|start| s.spawn(move || work(start..(start + share).min(len))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_whether_split_or_not() {
        let items: Vec<u32> = (0..10_001).collect();
        let double = |c: &[u32]| c.iter().map(|x| x * 2).collect::<Vec<_>>();
        let split = map_chunks(&items, 1, double);
        let whole = map_chunks(&items, usize::MAX, double);
        assert_eq!(split, whole);
        assert_eq!(split[10_000], 20_000);
        let ranged = map_range(items.len(), 1, |r| r.map(|i| i as u32 * 2).collect());
        assert_eq!(ranged, whole);
        assert!(map_range(0, 1, |r| r.collect::<Vec<_>>()).is_empty());
    }
}
