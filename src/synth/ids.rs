//! Resident ID numbers (GB 11643) and phones as the sources write them, right and wrong.

use chrono::{Datelike, NaiveDate};
use rand::Rng;

use crate::normalize::id_number::check_digit;

/// An 18-digit number: region, birth date, sequence (odd = male) and its check character.
pub fn make_id(region: &str, birth: NaiveDate, seq: u16) -> String {
    let body = format!(
        "{region}{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        seq % 1000
    );
    let check = check_digit(&body).unwrap_or('0');
    format!("{body}{check}")
}

/// The first-generation 15-digit form (no century, no check character): only for people born
/// in the 1900s.
pub fn to_15(id18: &str) -> Option<String> {
    (id18.len() == 18 && &id18[6..8] == "19").then(|| format!("{}{}", &id18[..6], &id18[8..17]))
}

/// One digit of the body changed (the check character then fails: MOD 11-2 catches every
/// single-digit error).
pub fn one_wrong_digit(id18: &str, rng: &mut impl Rng) -> String {
    let mut bytes = id18.as_bytes().to_vec();
    let pos = rng.random_range(6..17);
    let old = bytes[pos];
    let mut new = old;
    while new == old {
        new = b'0' + rng.random_range(0..10u8);
    }
    bytes[pos] = new;
    String::from_utf8(bytes).unwrap_or_else(|_| id18.to_owned())
}

/// Two adjacent, different digits of the body swapped; `None` when all candidates are equal.
pub fn swap_adjacent(id18: &str, rng: &mut impl Rng) -> Option<String> {
    let bytes = id18.as_bytes();
    let candidates: Vec<usize> = (6..16).filter(|&i| bytes[i] != bytes[i + 1]).collect();
    if candidates.is_empty() {
        return None;
    }
    let i = candidates[rng.random_range(0..candidates.len())];
    let mut out = bytes.to_vec();
    out.swap(i, i + 1);
    String::from_utf8(out).ok()
}

/// `420102********1234`: the region kept, birth date and sequence hidden.
pub fn mask_region(id18: &str) -> String {
    format!("{}{}{}", &id18[..6], "*".repeat(8), &id18[14..])
}

/// `4201**********1234`: only the prefecture and the last four kept.
pub fn mask_prefecture(id18: &str) -> String {
    format!("{}{}{}", &id18[..4], "*".repeat(10), &id18[14..])
}

/// Full-width digits (and `Ｘ`), as typed with a Chinese input method.
pub fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' | 'X' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Mobile prefixes of the three carriers.
const MOBILE_PREFIXES: [&str; 30] = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "185", "186", "187",
    "188", "189", "191", "199",
];

/// An 11-digit mobile number (not checked for uniqueness here).
pub fn mobile(rng: &mut impl Rng) -> String {
    let prefix = MOBILE_PREFIXES[rng.random_range(0..MOBILE_PREFIXES.len())];
    format!("{prefix}{:08}", rng.random_range(0..100_000_000u32))
}

/// `189 5860 7910`.
pub fn spaced_phone(phone: &str) -> String {
    format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..])
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::normalize::{Divisions, IdClass, parse_id_number};

    fn class(raw: &str) -> IdClass {
        parse_id_number(raw, Divisions::embedded())
            .expect("a number")
            .class
    }

    #[test]
    fn made_numbers_are_valid_and_every_typo_fails_its_check() {
        let mut rng = StdRng::seed_from_u64(1);
        let birth = NaiveDate::from_ymd_opt(1985, 7, 15).expect("date");
        for seq in 0..200 {
            let id = make_id("420102", birth, seq);
            assert_eq!(class(&id), IdClass::Valid, "{id}");
            assert_ne!(class(&one_wrong_digit(&id, &mut rng)), IdClass::Valid);
            if let Some(swapped) = swap_adjacent(&id, &mut rng) {
                assert_ne!(class(&swapped), IdClass::Valid);
            }
        }
    }

    #[test]
    fn masks_and_old_numbers_have_the_usual_shapes() {
        let id = "42010219850715003X";
        assert_eq!(mask_region(id), "420102********003X");
        assert_eq!(mask_prefecture(id), "4201**********003X");
        assert_eq!(to_15(id).as_deref(), Some("420102850715003"));
        assert_eq!(to_15("420102200001010011"), None);
        assert_eq!(full_width("12X"), "１２Ｘ");
        assert_eq!(spaced_phone("18958607910"), "189 5860 7910");
    }
}
