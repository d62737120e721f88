//! Splitting pure work over the machine's cores (two here, at most four used).

/// `work` over `items` in order, on every core when there are at least `threshold` items;
/// each thread takes one contiguous share. A panic in any share is raised again here.
pub fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    threshold: usize,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    if items.len() < threshold || threads < 2 {
        return work(items);
    }
    let share = items.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(share)
            .map(|c| s.spawn(move || work(c)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
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
    }
}
