//! The records' canonical order: what keeps a run independent of the order its records
//! arrived in (issue 25).
//!
//! A run's records come in ID order, and IDs follow the order the files were imported in.
//! Whatever a run does by position — the random pairs u is estimated from, which of two
//! equally strong pairs clusters first, which weak record is placed first — it does in the
//! order of the records' contents instead: each record's key is a hash of its comparison
//! values, so the same records give the same sample and the same ties whatever their IDs.

use super::compare::FieldValue;

/// The records' ranks in content order: `rank[i]` is record `i`'s place when the records
/// are sorted by [`content_key`] (records with the same values by their index, the only
/// order left to go by, and one that cannot matter: their comparisons are the same).
pub fn ranks(records: &[Vec<FieldValue>]) -> Vec<u32> {
    let order = order(records);
    let mut rank = vec![0u32; records.len()];
    for (place, &record) in order.iter().enumerate() {
        rank[record as usize] = place as u32;
    }
    rank
}

/// The record indices sorted by [`content_key`] (then by index).
pub fn order(records: &[Vec<FieldValue>]) -> Vec<u32> {
    let keys: Vec<u64> = records.iter().map(|r| content_key(r)).collect();
    let mut order: Vec<u32> = (0..records.len() as u32).collect();
    order.sort_unstable_by_key(|&i| (keys[i as usize], i));
    order
}

/// A hash of a record's comparison values (FNV-1a 64 over each field's kind and values, a
/// set's values sorted), the same for the same values on every run and machine.
pub fn content_key(record: &[FieldValue]) -> u64 {
    let mut h = Fnv::default();
    for value in record {
        match value {
            FieldValue::Missing => h.byte(0),
            FieldValue::Text(v) => {
                h.byte(1);
                h.text(v);
            }
            FieldValue::Set(values) => {
                h.byte(2);
                let mut sorted: Vec<&str> = values.iter().map(|v| &**v).collect();
                sorted.sort_unstable();
                for v in sorted {
                    h.text(v);
                }
            }
            FieldValue::Name(name) => {
                h.byte(3);
                h.text(name.full());
                h.text(name.pinyin());
            }
            FieldValue::Id(id) => {
                h.byte(4);
                h.text(id.full.as_deref().unwrap_or(""));
                h.byte(u8::from(id.valid));
                h.text(id.masked.as_deref().unwrap_or(""));
                for c in &id.candidates {
                    h.text(c);
                }
            }
        }
    }
    h.0
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }

    /// A text and its end (so `ab`+`c` and `a`+`bc` differ).
    fn text(&mut self, s: &str) {
        for &b in s.as_bytes() {
            self.byte(b);
        }
        self.byte(0xff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, phones: &[&str]) -> Vec<FieldValue> {
        vec![
            FieldValue::text(Some(name)),
            FieldValue::Set(phones.iter().map(|p| (*p).into()).collect()),
        ]
    }

    #[test]
    fn the_same_records_in_another_order_rank_the_same() {
        let records = vec![
            record("周建军", &["13598761234"]),
            record("李秀英", &["13598761234", "13700001111"]),
            record("周明", &[]),
        ];
        let ranks_forward = ranks(&records);
        let reversed: Vec<Vec<FieldValue>> = records.iter().rev().cloned().collect();
        let ranks_back = ranks(&reversed);
        for i in 0..records.len() {
            assert_eq!(ranks_forward[i], ranks_back[records.len() - 1 - i]);
        }
    }

    #[test]
    fn a_sets_order_and_a_fields_split_do_not_change_the_key() {
        assert_eq!(
            content_key(&record("周明", &["1", "2"])),
            content_key(&record("周明", &["2", "1"]))
        );
        assert_ne!(
            content_key(&[FieldValue::text(Some("ab")), FieldValue::text(Some("c"))]),
            content_key(&[FieldValue::text(Some("a")), FieldValue::text(Some("bc"))])
        );
        assert_ne!(
            content_key(&record("周明", &[])),
            content_key(&record("周敏", &[]))
        );
    }
}
