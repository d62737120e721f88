//! Counting a file's data rows cheaply, before it is read: a file over the row limit is
//! refused before its rows are parsed, held or written. Line breaks bound a text file's rows
//! from above; only a file whose line breaks exceed the limit is counted exactly, record by
//! record, without keeping anything of them.
//!
//! Rows are counted as the readers number them: a table's data rows after its header (the
//! first record that is not blank), a JSON file's items — or the persons of each notice that
//! has them.

use serde::Deserializer as _;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Line breaks in `bytes` as a CSV reader counts them: `\n`, `\r\n` and a lone `\r`.
pub fn line_breaks(bytes: &[u8]) -> usize {
    let newlines = bytes.iter().filter(|b| **b == b'\n').count();
    let lone_returns = bytes
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
        .count();
    newlines + lone_returns
}

/// The data rows of CSV text as [`super::tabular::CsvRows`] numbers them: every record after
/// the header (the first record with a cell that is not blank). Empty lines are no records.
pub fn csv_rows(text: &str) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::ByteRecord::new();
    let mut header = false;
    let mut rows = 0;
    // A record the reader cannot parse ends the count; reading the file says why.
    while reader.read_byte_record(&mut record).unwrap_or(false) {
        if header {
            rows += 1;
        } else {
            header = record.iter().any(|cell| {
                String::from_utf8_lossy(cell)
                    .chars()
                    .any(|c| !c.is_whitespace())
            });
        }
    }
    rows
}

/// The data rows of a JSON document: the items of its top-level array (one for a lone
/// object), each notice counting as its persons. `None` when it is not JSON; reading it says
/// why.
pub fn json_rows(text: &str) -> Option<usize> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let rows = (&mut deserializer).deserialize_any(Document).ok()?;
    deserializer.end().ok()?;
    Some(rows)
}

/// The data rows of one line of an NDJSON file (1 unless it is a notice with persons).
pub fn json_item_rows(line: &str) -> usize {
    let mut deserializer = serde_json::Deserializer::from_str(line);
    (&mut deserializer).deserialize_any(Item).unwrap_or(1)
}

/// A whole document: an array of items or one item.
struct Document;

impl<'de> Visitor<'de> for Document {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of objects or an object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut rows = 0usize;
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            rows = rows.saturating_add(item);
        }
        Ok(rows)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<usize, A::Error> {
        Item.visit_map(map)
    }
}

/// One item: 1 row, or a notice's persons.
struct Item;

impl<'de> Visitor<'de> for Item {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut persons = None;
        while let Some(key) = map.next_key::<Key>()? {
            if key.0 {
                persons = map.next_value_seed(PersonsSeed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(persons.unwrap_or(1))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(1)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<usize, E> {
        Ok(1)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<usize, E> {
        Ok(1)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<usize, E> {
        Ok(1)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<usize, E> {
        Ok(1)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<usize, E> {
        Ok(1)
    }

    fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
        Ok(1)
    }
}

struct ItemSeed;

impl<'de> de::DeserializeSeed<'de> for ItemSeed {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(Item)
    }
}

/// Whether a key is `persons`.
struct Key(bool);

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IsPersons;
        impl Visitor<'_> for IsPersons {
            type Value = Key;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(Key(key == "persons"))
            }
        }
        d.deserialize_str(IsPersons)
    }
}

/// A notice's `persons`: how many when it is an array.
struct PersonsSeed;

impl<'de> de::DeserializeSeed<'de> for PersonsSeed {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        struct Persons;
        impl<'de> Visitor<'de> for Persons {
            type Value = Option<usize>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of persons")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut n = 0usize;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Some(n))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(None)
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
        }
        d.deserialize_any(Persons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_count_every_kind_of_line_end_once() {
        assert_eq!(line_breaks(b"a\nb\r\nc\rd"), 3);
        assert_eq!(line_breaks(b""), 0);
    }

    #[test]
    fn csv_rows_are_the_records_after_the_first_non_blank_one() {
        assert_eq!(
            csv_rows("\n , \n姓名,手机号\n\n张三,1\n,\n\"李\n四\",2\n"),
            3
        );
        assert_eq!(csv_rows("姓名,手机号\n"), 0);
        assert_eq!(csv_rows(""), 0);
    }

    #[test]
    fn json_rows_are_items_and_the_persons_of_notices() {
        assert_eq!(json_rows(r#"[{"a":1},{"b":[1,2]},3]"#), Some(3));
        assert_eq!(
            json_rows(r#"[{"notice_no":"1","persons":[{},{},{}]},{"persons":[]},{"a":1}]"#),
            Some(4)
        );
        assert_eq!(json_rows(r#"{"persons":[{"a":1},{"b":2}]}"#), Some(2));
        assert_eq!(json_rows(r#"{"foo":1}"#), Some(1));
        assert_eq!(json_rows(r#"[{"a":1}"#), None);
        assert_eq!(json_item_rows(r#"{"persons":[{},{}]}"#), 2);
        assert_eq!(json_item_rows("not json"), 1);
    }
}
