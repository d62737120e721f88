//! The match index: every current record's blocking keys (hashed), so a batch finds the
//! records it may match without blocking the whole register. A block grown past the
//! profile's `max_block` is marked oversized instead, and never compared again.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
};

use super::plan::Placed;
use crate::db::read_back::{IN_CHUNK, packed_ints};
use crate::db::{match_key, match_key_oversized, overlap};
use crate::register::Register;
use crate::resolve::block::{distinct_hash, key_hashes};
use crate::resolve::compare::FieldValue;
use crate::resolve::profile::Profile;

const MATCH_KEY_COLUMNS: (&str, &str) = ("match_key", "key_hash, source_record_id, id_hash");
const OVERSIZED_COLUMNS: (&str, &str) = ("match_key_oversized", "key_hash");
/// Rows of the match index a statement writes (see [`overlap::Transport::chunk`]).
const INDEX_ROWS: usize = 1_000;

/// What the match index says of a batch's keys.
#[derive(Default)]
pub(super) struct Matched {
    /// Records already in the register that share a key with a fresh record.
    pub records: Vec<i64>,
    /// Keys whose block is too large, in the register with the batch.
    pub oversized: HashSet<i64>,
}

impl Register {
    /// Adds the fresh records' index `rows` (key hash, record, ID hash) to the match index and
    /// returns the register's records they meet. One whose valid ID number differs from the
    /// fresh records' is met only in a block of the `household` keys (see
    /// [`household_key_hashes`](crate::resolve::block::household_key_hashes)) that also holds
    /// a record without a valid ID number. A block that grows past `max_block` is marked
    /// oversized and its records leave the index: it is never compared again.
    pub(super) async fn index_fresh(
        &self,
        txn: &DatabaseTransaction,
        rows: &[[i64; 3]],
        household: &HashSet<i64>,
    ) -> Result<Matched, DbErr> {
        let mut fresh_of: BTreeMap<i64, Vec<[i64; 3]>> = BTreeMap::new();
        for row in rows {
            fresh_of.entry(row[0]).or_default().push(*row);
        }
        let distinct: Vec<i64> = fresh_of.keys().copied().collect();
        let mut matched = Matched {
            oversized: oversized_among(txn, distinct.iter().copied()).await?,
            ..Matched::default()
        };
        let open: Vec<i64> = distinct
            .into_iter()
            .filter(|k| !matched.oversized.contains(k))
            .collect();
        let mut members = block_members(txn, &open).await?;
        let mut added: Vec<[i64; 3]> = Vec::new();
        let mut grown = Vec::new();
        for key in open {
            let fresh = &fresh_of[&key];
            let known = members.remove(&key).unwrap_or_default();
            if known.len() + fresh.len() > self.profile.max_block {
                grown.push(key);
                matched.oversized.insert(key);
                continue;
            }
            added.extend_from_slice(fresh);
            // A record without a valid ID number in a household's block (a phone-only row
            // under its phone) may be any member's, and which one it is is decided among them
            // all: the whole block is met. Otherwise a record whose valid ID number differs
            // from every fresh record's is not met (no pair with them could merge).
            let open_to_all = household.contains(&key) && known.iter().any(|&(_, id)| id == 0);
            let apart = |a: i64, b: i64| a != 0 && b != 0 && a != b;
            matched.records.extend(
                known
                    .into_iter()
                    .filter(|(_, id)| open_to_all || fresh.iter().any(|f| !apart(f[2], *id)))
                    .map(|(record, _)| record),
            );
        }
        for chunk in grown.chunks(IN_CHUNK) {
            match_key::Entity::delete_many()
                .filter(match_key::Column::KeyHash.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
        let grown: Vec<[i64; 1]> = grown.into_iter().map(|k| [k]).collect();
        insert_values(txn, OVERSIZED_COLUMNS, &grown).await?;
        insert_values(txn, MATCH_KEY_COLUMNS, &added).await?;
        matched.records.sort_unstable();
        matched.records.dedup();
        Ok(matched)
    }
}

/// The records the index holds under each of `keys`, with the hash of their valid ID number.
async fn block_members(
    txn: &DatabaseTransaction,
    keys: &[i64],
) -> Result<HashMap<i64, Vec<(i64, i64)>>, DbErr> {
    let mut members: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    let packed = txn.get_database_backend() == DbBackend::Sqlite;
    for chunk in keys.chunks(IN_CHUNK) {
        if packed {
            let rows = packed_ints::<3>(
                txn,
                "key_hash || ',' || source_record_id || ',' || id_hash",
                "match_key WHERE key_hash",
                chunk,
            )
            .await?;
            for [key, record, id] in rows {
                members.entry(key).or_default().push((record, id));
            }
            continue;
        }
        let rows: Vec<(i64, i64, i64)> = match_key::Entity::find()
            .select_only()
            .columns([
                match_key::Column::KeyHash,
                match_key::Column::SourceRecordId,
                match_key::Column::IdHash,
            ])
            .filter(match_key::Column::KeyHash.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        for (key, record, id) in rows {
            members.entry(key).or_default().push((record, id));
        }
    }
    Ok(members)
}

/// The keys among `keys` marked oversized in the match index.
pub(super) async fn oversized_among(
    txn: &DatabaseTransaction,
    keys: impl IntoIterator<Item = i64>,
) -> Result<HashSet<i64>, DbErr> {
    let keys: Vec<i64> = keys.into_iter().collect();
    let mut found = HashSet::new();
    let packed = txn.get_database_backend() == DbBackend::Sqlite;
    for chunk in keys.chunks(IN_CHUNK) {
        if packed {
            let rows =
                packed_ints::<1>(txn, "key_hash", "match_key_oversized WHERE key_hash", chunk)
                    .await?;
            found.extend(rows.into_iter().map(|[k]| k));
            continue;
        }
        found.extend(
            match_key_oversized::Entity::find()
                .select_only()
                .column(match_key_oversized::Column::KeyHash)
                .filter(match_key_oversized::Column::KeyHash.is_in(chunk.iter().copied()))
                .into_tuple::<i64>()
                .all(txn)
                .await?,
        );
    }
    Ok(found)
}

/// Rebuilds the match index from every current record (`records`, with their comparison
/// `values`): each key's records, or the key marked oversized when its block is larger than
/// `max_block`.
pub(super) async fn rebuild_index(
    txn: &DatabaseTransaction,
    profile: &Profile,
    records: &[Placed],
    values: &[Vec<FieldValue>],
) -> Result<(), DbErr> {
    match_key::Entity::delete_many().exec(txn).await?;
    match_key_oversized::Entity::delete_many().exec(txn).await?;
    // Each record's keys are made and sorted on every core, each core's share apart: the
    // index of a million records is millions of rows, written from the shares merged in
    // order rather than from a copy of them all (0.13 GB more at the import's peak).
    let shares: Vec<Vec<[i64; 3]>> = crate::parallel::map_shares(records.len(), 50_000, |share| {
        let mut rows: Vec<[i64; 3]> = share
            .flat_map(|i| index_rows(profile, records[i].id, &values[i]))
            .collect();
        rows.sort_unstable();
        rows
    });
    let transport = overlap::Transport::of(txn);
    let mut blocks = Blocks::new(&shares, profile.max_block, transport.chunk(INDEX_ROWS));
    let chunks = std::iter::from_fn(|| blocks.next_chunk());
    insert_chunks(txn, transport, MATCH_KEY_COLUMNS, chunks).await?;
    let oversized: Vec<[i64; 1]> = blocks.oversized.into_iter().map(|k| [k]).collect();
    insert_values(txn, OVERSIZED_COLUMNS, &oversized).await
}

/// Rows of the match index in chunks of `chunk` rows (the last one shorter), merged in order
/// from sorted shares, without the blocks larger than `max_block` (whose keys are gathered in
/// `oversized`, in order).
struct Blocks<'a> {
    shares: Vec<std::iter::Peekable<std::slice::Iter<'a, [i64; 3]>>>,
    max_block: usize,
    chunk: usize,
    /// The rows of the block being read, until its last row tells whether it is kept.
    block: Vec<[i64; 3]>,
    /// Rows of blocks kept, to be written.
    ready: Vec<[i64; 3]>,
    oversized: Vec<i64>,
}

impl<'a> Blocks<'a> {
    fn new(shares: &'a [Vec<[i64; 3]>], max_block: usize, chunk: usize) -> Self {
        Self {
            shares: shares.iter().map(|s| s.iter().peekable()).collect(),
            max_block,
            chunk,
            block: Vec::new(),
            ready: Vec::new(),
            oversized: Vec::new(),
        }
    }

    /// The smallest row left in any share.
    fn next_row(&mut self) -> Option<[i64; 3]> {
        let (_, share) = self
            .shares
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| s.peek().map(|row| (**row, i)))
            .min()?;
        self.shares[share].next().copied()
    }

    /// The next rows to write, `None` at the end.
    fn next_chunk(&mut self) -> Option<Vec<[i64; 3]>> {
        while self.ready.len() < self.chunk {
            let row = self.next_row();
            if row.is_none_or(|r| self.block.first().is_some_and(|b| b[0] != r[0])) {
                // The block before this row is complete.
                if self.block.len() > self.max_block {
                    self.oversized.push(self.block[0][0]);
                    self.block.clear();
                } else {
                    self.ready.append(&mut self.block);
                }
            }
            match row {
                Some(row) => self.block.push(row),
                None => break,
            }
        }
        if self.ready.is_empty() {
            return None;
        }
        let rest = self.ready.split_off(self.chunk.min(self.ready.len()));
        Some(std::mem::replace(&mut self.ready, rest))
    }
}

/// A record's rows in the match index: (key hash, record, hash of its valid ID number).
pub(super) fn index_rows(profile: &Profile, record: i64, values: &[FieldValue]) -> Vec<[i64; 3]> {
    let id = distinct_hash(profile, values);
    key_hashes(profile, values)
        .into_iter()
        .map(|key| [key, record, id])
        .collect()
}

/// Inserts rows of integers into `(table, columns)`, a thousand rows a write (see
/// [`overlap::Transport::insert_integers`]), each made while the one before is written.
async fn insert_values<const N: usize>(
    txn: &DatabaseTransaction,
    columns: (&str, &str),
    data: &[[i64; N]],
) -> Result<(), DbErr> {
    let transport = overlap::Transport::of(txn);
    insert_chunks(
        txn,
        transport,
        columns,
        data.chunks(transport.chunk(INDEX_ROWS)),
    )
    .await
}

/// Inserts rows of integers into `(table, columns)`, a write for each of `chunks`, each
/// made while the one before is written.
async fn insert_chunks<const N: usize, C: AsRef<[[i64; N]]>>(
    txn: &DatabaseTransaction,
    transport: overlap::Transport,
    (table, columns): (&str, &str),
    chunks: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    overlap::write_each(txn, chunks, |chunk| {
        transport.insert_integers(table, columns, chunk.as_ref())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_merge_in_order_in_full_chunks_without_oversized_blocks() {
        // Key 5 has four rows across the shares (over a limit of three), key 7 three.
        let shares = vec![
            vec![[1, 10, 0], [5, 11, 0], [5, 12, 0], [7, 13, 0], [9, 14, 0]],
            vec![[2, 20, 0], [5, 21, 0], [7, 22, 0], [7, 23, 0]],
            vec![],
            vec![[0, 30, 0], [5, 31, 0], [9, 32, 0]],
        ];
        let mut blocks = Blocks::new(&shares, 3, 2);
        let chunks: Vec<Vec<[i64; 3]>> = std::iter::from_fn(|| blocks.next_chunk()).collect();
        assert!(chunks.iter().rev().skip(1).all(|c| c.len() == 2));
        let mut expected: Vec<[i64; 3]> = shares.concat();
        expected.sort_unstable();
        expected.retain(|row| row[0] != 5);
        assert_eq!(chunks.concat(), expected);
        assert_eq!(blocks.oversized, vec![5]);

        let empty: Vec<Vec<[i64; 3]>> = vec![vec![], vec![]];
        let mut blocks = Blocks::new(&empty, 3, 2);
        assert!(blocks.next_chunk().is_none());
    }
}
