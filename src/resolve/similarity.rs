//! String similarities for the comparisons, without allocating: Jaro–Winkler and Levenshtein
//! distance capped at the largest level a comparison tells apart.
//!
//! Training compares a hundred thousand or more random pairs field by field (u), and scoring
//! every candidate pair: these two functions are most of that work. They give exactly what
//! `strsim` gives (the same algorithm, the same arithmetic in the same order), on the strings'
//! bytes when both are ASCII or their characters in a buffer on the stack, so no pair
//! allocates and no character is decoded twice; strings longer than [`SHORT`] characters go to
//! `strsim` itself.

/// The longest string (in characters) compared on the stack: a bit per character of each side
/// marks its matches in Jaro.
const SHORT: usize = 64;

/// Jaro–Winkler similarity of `a` and `b`, as `strsim::jaro_winkler` computes it.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a.is_ascii() && b.is_ascii() && a.len() <= SHORT && b.len() <= SHORT {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        return winkler(a, b, jaro_ascii(a, b));
    }
    let mut buffers = ([char::default(); SHORT], [char::default(); SHORT]);
    match (chars(a, &mut buffers.0), chars(b, &mut buffers.1)) {
        (Some(a), Some(b)) => winkler(a, b, jaro(a, b)),
        _ => strsim::jaro_winkler(a, b),
    }
}

/// The Levenshtein distance of `a` and `b` (in characters), or `cap` when it is `cap` or more.
pub fn edits_up_to(a: &str, b: &str, cap: usize) -> usize {
    if a.is_ascii() && b.is_ascii() && a.len() <= SHORT && b.len() <= SHORT {
        return capped_levenshtein(a.as_bytes(), b.as_bytes(), cap);
    }
    let mut buffers = ([char::default(); SHORT], [char::default(); SHORT]);
    match (chars(a, &mut buffers.0), chars(b, &mut buffers.1)) {
        (Some(a), Some(b)) => capped_levenshtein(a, b, cap),
        _ => strsim::levenshtein(a, b).min(cap),
    }
}

/// The characters of `s` in `buffer`, or `None` when there are more than it holds.
fn chars<'a>(s: &str, buffer: &'a mut [char; SHORT]) -> Option<&'a [char]> {
    let mut n = 0;
    for c in s.chars() {
        *buffer.get_mut(n)? = c;
        n += 1;
    }
    Some(&buffer[..n])
}

/// Jaro–Winkler of two sequences whose Jaro similarity is `sim`: plus a tenth of the rest for
/// each of the first four elements that agree, when `sim` is above 0.7.
fn winkler<T: PartialEq>(a: &[T], b: &[T], sim: f64) -> f64 {
    if sim > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// How far apart two matching elements may be in Jaro's sense, or the similarity itself
/// when a side is empty (1 when both are, 0 when one is).
fn match_window(a_len: usize, b_len: usize) -> Result<usize, f64> {
    match (a_len, b_len) {
        (0, 0) => Err(1.0),
        (0, _) | (_, 0) => Err(0.0),
        _ => Ok((a_len.max(b_len) / 2).saturating_sub(1)),
    }
}

/// Jaro similarity of two ASCII strings of at most [`SHORT`] bytes, as [`jaro`] finds it but
/// a word at a time: where each byte occurs in `b` is a bit mask, so the first unmatched
/// occurrence within a byte's window of `a` is the lowest bit of three masks and-ed.
fn jaro_ascii(a: &[u8], b: &[u8]) -> f64 {
    let (a_len, b_len) = (a.len(), b.len());
    let range = match match_window(a_len, b_len) {
        Ok(range) => range,
        Err(similarity) => return similarity,
    };
    let mut at = [0_u64; 128];
    for (j, &y) in b.iter().enumerate() {
        at[usize::from(y & 0x7f)] |= 1 << j;
    }
    let (mut a_flags, mut b_flags) = (0_u64, 0_u64);
    let mut matches = 0_usize;
    for (i, &x) in a.iter().enumerate() {
        let low = i.saturating_sub(range);
        let high = b_len.min(i + range + 1);
        if low >= high {
            continue;
        }
        // Bits low..high; high is at most 64 and low below it.
        let window = (u64::MAX >> (64 - high)) & (u64::MAX << low);
        let open = at[usize::from(x & 0x7f)] & !b_flags & window;
        if open != 0 {
            a_flags |= 1 << i;
            b_flags |= open & open.wrapping_neg();
            matches += 1;
        }
    }
    finish_jaro(a, b, a_flags, b_flags, matches)
}

/// Jaro similarity of two sequences of at most [`SHORT`] elements.
fn jaro<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
    let (a_len, b_len) = (a.len(), b.len());
    let range = match match_window(a_len, b_len) {
        Ok(range) => range,
        Err(similarity) => return similarity,
    };
    // Bit i of a mask: element i has been matched.
    let (mut a_flags, mut b_flags) = (0u64, 0u64);
    let mut matches = 0_usize;
    for (i, x) in a.iter().enumerate() {
        let low = i.saturating_sub(range);
        let high = b_len.min(i + range + 1);
        for (j, y) in b.iter().enumerate().take(high).skip(low) {
            if b_flags & (1 << j) == 0 && x == y {
                a_flags |= 1 << i;
                b_flags |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    finish_jaro(a, b, a_flags, b_flags, matches)
}

/// Jaro similarity from the matched elements of `a` and `b` (bit masks) and their number.
fn finish_jaro<T: PartialEq>(a: &[T], b: &[T], a_flags: u64, b_flags: u64, matches: usize) -> f64 {
    let (a_len, b_len) = (a.len(), b.len());
    if matches == 0 {
        return 0.0;
    }
    // Matched elements of `a` and of `b`, in order, that differ: half of them transpose.
    let mut transpositions = 0_usize;
    let (mut left, mut right) = (a_flags, b_flags);
    while left != 0 && right != 0 {
        let (i, j) = (left.trailing_zeros(), right.trailing_zeros());
        left &= left - 1;
        right &= right - 1;
        if a.get(i as usize) != b.get(j as usize) {
            transpositions += 1;
        }
    }
    transpositions /= 2;
    ((matches as f64 / a_len as f64)
        + (matches as f64 / b_len as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

/// Levenshtein distance of two sequences of at most [`SHORT`] elements, or `cap` when it is
/// `cap` or more: it stops as soon as a row of the table has no cell below `cap` (no later
/// row can have one).
fn capped_levenshtein<T: PartialEq>(a: &[T], b: &[T], cap: usize) -> usize {
    if a.len().abs_diff(b.len()) >= cap {
        return cap;
    }
    let mut row = [0_usize; SHORT];
    for (j, cell) in row.iter_mut().enumerate().take(b.len()) {
        *cell = j + 1;
    }
    let mut result = b.len();
    for (i, x) in a.iter().enumerate() {
        result = i + 1;
        let mut lowest = result;
        let mut diagonal = i;
        for (y, cell) in b.iter().zip(row.iter_mut()) {
            let substituted = diagonal + usize::from(x != y);
            diagonal = *cell;
            result = (result + 1).min(substituted).min(diagonal + 1);
            *cell = result;
            lowest = lowest.min(result);
        }
        if lowest >= cap {
            return cap;
        }
    }
    result.min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs that exercise ASCII, other scripts, empty, transposed, long and repeated strings.
    fn pairs() -> Vec<(String, String)> {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "martha",
            "marhta",
            "dwayne",
            "duane",
            "dixon",
            "dicksonx",
            "jones",
            "johnson",
            "painter",
            "paintre",
            "xu",
            "aaaa",
            "aaab",
            "19151111",
            "19151117",
            "51911111",
            "2020-01-23",
            "王伟",
            "王韦",
            "李娜",
            "wang wei",
            "cheeseburger",
            "cheese fries",
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm",
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",
            "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五",
        ];
        let mut out = Vec::new();
        for a in words {
            for b in words {
                out.push((a.to_owned(), b.to_owned()));
            }
        }
        out
    }

    #[test]
    fn jaro_winkler_is_strsims_to_the_bit() {
        for (a, b) in pairs() {
            assert_eq!(
                jaro_winkler(&a, &b).to_bits(),
                strsim::jaro_winkler(&a, &b).to_bits(),
                "{a} / {b}"
            );
        }
    }

    #[test]
    fn capped_edits_are_strsims_up_to_the_cap() {
        for (a, b) in pairs() {
            for cap in [1, 3, 100] {
                assert_eq!(
                    edits_up_to(&a, &b, cap),
                    strsim::levenshtein(&a, &b).min(cap),
                    "{a} / {b} capped at {cap}"
                );
            }
        }
    }

    #[test]
    fn random_strings_agree_with_strsim() {
        // Short strings over a small alphabet: many near misses, repeats and transpositions.
        let mut state = 7_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let word = |next: &mut dyn FnMut() -> u64| -> String {
            let len = (next() % 12) as usize;
            (0..len)
                .map(|_| ['a', 'b', 'c', 'd', '伟'][(next() % 5) as usize])
                .collect()
        };
        for _ in 0..20_000 {
            let (a, b) = (word(&mut next), word(&mut next));
            assert_eq!(
                jaro_winkler(&a, &b).to_bits(),
                strsim::jaro_winkler(&a, &b).to_bits(),
                "{a} / {b}"
            );
            assert_eq!(edits_up_to(&a, &b, 3), strsim::levenshtein(&a, &b).min(3));
        }
    }
}
