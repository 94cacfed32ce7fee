//! The keys of one hash slot: a dense vector of entries, a hash index over
//! it, and the slot's TTL records.
//!
//! Owns the storage invariants of a slot and nothing about time, counting
//! across slots or commands. Must never reorder entries except by
//! `swap_remove` (the SCAN guarantee in `scan.rs` rests on it: the only entry
//! that ever moves is the last one, and only into a hole below it) and never
//! let the index, the TTL records and the `has_ttl` flags disagree.
//!
//! Layout, and why:
//! - `entries` holds every key and value inline (48 bytes each) densely, in
//!   chunks of 16 (`chunked.rs`). Dense storage wastes at most one partly
//!   filled chunk per slot, where an open-addressing table holding entries
//!   inline wastes up to half its buckets: with 1M keys over 16384 slots
//!   (~61 per slot) hashbrown's power-of-two sizing lands at ~1.8 buckets
//!   per key, which for 48-byte entries alone would exceed Redis's 88 bytes
//!   per key.
//! - `index: HashTable<u32>` maps key hash to entry position; a 4-byte
//!   bucket keeps that same 1.8x overhead cheap.
//! - TTLs live in `SlotTtl`, allocated only while the slot has a key with a
//!   TTL: dense `records` (so active expiry can walk them with a cursor) and
//!   an index from entry position to record.

use hashbrown::HashTable;

use crate::chunked::ChunkedVec;
use crate::entry::Entry;
use crate::hash::{hash_key, hash_position};

/// The most entries one slot may hold: positions are `u32` and the SCAN
/// cursor needs `u32::MAX - position` to be non-zero.
const MAX_SLOT_ENTRIES: usize = (u32::MAX - 1) as usize;

/// An expiry time and the entry it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TtlRecord {
    /// Absolute expiry, Unix milliseconds.
    pub(crate) at_ms: i64,
    /// Position of the entry in `SlotTable::entries`.
    pub(crate) position: u32,
}

#[derive(Default)]
struct SlotTtl {
    records: Vec<TtlRecord>,
    /// Record index, hashed by the entry position it belongs to.
    index: HashTable<u32>,
}

/// One slot's keys. See the module doc.
///
/// 128 bytes, aligned to 128: a lookup reads the index header and the first
/// chunk pointers, and with this alignment they sit in one adjacent-line
/// pair that the CPU fetches together (one miss per lookup, not two).
#[derive(Default)]
#[repr(align(128))]
pub(crate) struct SlotTable {
    entries: ChunkedVec<Entry>,
    index: HashTable<u32>,
    ttl: Option<Box<SlotTtl>>,
}

/// The key hash of the entry at `position` (index rehashing). Positions in
/// the index always name an entry; a missing one hashes to 0 harmlessly.
fn key_hash_at(entries: &ChunkedVec<Entry>, position: u32) -> u64 {
    entries
        .get(position as usize)
        .map_or(0, |entry| hash_key(entry.key()))
}

fn position_u32(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

impl SlotTable {
    /// Number of keys.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Number of keys with a TTL.
    pub(crate) fn ttl_len(&self) -> usize {
        self.ttl.as_ref().map_or(0, |ttl| ttl.records.len())
    }

    /// All entries, in position order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.entries.iter()
    }

    /// The entry at `position`, if any.
    pub(crate) fn entry(&self, position: usize) -> Option<&Entry> {
        self.entries.get(position)
    }

    /// The entry at `position`, mutably, if any.
    pub(crate) fn entry_mut(&mut self, position: usize) -> Option<&mut Entry> {
        self.entries.get_mut(position)
    }

    /// Position of `key`, whose `hash_key` is `hash`.
    pub(crate) fn find(&self, key: &[u8], hash: u64) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(hash, |&position| {
                entries
                    .get(position as usize)
                    .is_some_and(|e| e.key() == key)
            })
            .map(|&position| position as usize)
    }

    /// Prefetch stage 1: reads the slot header (index header and chunk
    /// pointers) so the next stage finds it cached. See `Db::prefetch`.
    #[inline]
    pub(crate) fn touch_header(&self) -> usize {
        self.index.len() ^ self.entries.first_chunk_len()
    }

    /// Prefetch stage 2: probes the index for `hash` without comparing keys,
    /// which reads the control bytes and the matching bucket; returns the
    /// first candidate position.
    #[inline]
    pub(crate) fn touch_index(&self, hash: u64) -> Option<u32> {
        let mut candidate = None;
        self.index.find(hash, |&position| {
            candidate.get_or_insert(position);
            false
        });
        candidate
    }

    /// Prefetch stage 3: reads the first bytes of the entry at `position`.
    #[inline]
    pub(crate) fn touch_entry(&self, position: u32) -> usize {
        self.entries
            .get(position as usize)
            .map_or(0, |entry| entry.key().len())
    }

    /// Appends a new entry (the caller checked the key is absent) and returns
    /// its position.
    pub(crate) fn insert(&mut self, hash: u64, entry: Entry) -> usize {
        assert!(self.entries.len() < MAX_SLOT_ENTRIES, "slot table full");
        let position = self.entries.len();
        self.entries.push(entry);
        let entries = &self.entries;
        self.index
            .insert_unique(hash, position_u32(position), |&other| {
                key_hash_at(entries, other)
            });
        position
    }

    /// Removes the entry at `position`, returning it and its TTL. The last
    /// entry moves into the hole (see the module doc).
    pub(crate) fn remove(&mut self, position: usize) -> Option<(Entry, Option<i64>)> {
        let entry = self.entries.get(position)?;
        let hash = hash_key(entry.key());
        let at_ms = if entry.has_ttl() {
            self.clear_ttl(position)
        } else {
            None
        };
        let target = position_u32(position);
        let removed = self
            .index
            .find_entry(hash, |&other| other == target)
            .map(|found| {
                found.remove();
            });
        assert!(removed.is_ok(), "slot index lost position {position}");

        let last = self.entries.len() - 1;
        let entry = self.entries.swap_remove(position)?;
        if let Some(moved) = self.entries.get(position) {
            // The last entry now sits at `position`.
            let moved_has_ttl = moved.has_ttl();
            let moved_hash = hash_key(moved.key());
            let last_u32 = position_u32(last);
            let found = self.index.find_mut(moved_hash, |&other| other == last_u32);
            assert!(found.is_some(), "slot index lost position {last}");
            if let Some(slot) = found {
                *slot = target;
            }
            if moved_has_ttl {
                self.move_ttl(last_u32, target);
            }
        }
        self.shrink_index_if_sparse();
        Some((entry, at_ms))
    }

    /// Gives index memory back once three quarters of it are unused (Redis
    /// shrinks dicts below 10 % fill; 25 % keeps churn cheap). Entry chunks
    /// are freed as they empty.
    fn shrink_index_if_sparse(&mut self) {
        let len = self.entries.len();
        if self.index.capacity() > 32 && len < self.index.capacity() / 4 {
            let entries = &self.entries;
            self.index
                .shrink_to(len, |&other| key_hash_at(entries, other));
        }
    }

    /// Removes every entry.
    pub(crate) fn take_all(&mut self) -> usize {
        let count = self.entries.len();
        *self = SlotTable::default();
        count
    }

    fn ttl_record_index(ttl: &SlotTtl, position: u32) -> Option<usize> {
        let records = &ttl.records;
        ttl.index
            .find(hash_position(position), |&record| {
                records[record as usize].position == position
            })
            .map(|&record| record as usize)
    }

    /// The TTL of the entry at `position`.
    pub(crate) fn ttl_at(&self, position: usize) -> Option<i64> {
        if !self.entries.get(position)?.has_ttl() {
            return None;
        }
        let ttl = self.ttl.as_ref()?;
        let record = Self::ttl_record_index(ttl, position_u32(position))?;
        Some(ttl.records[record].at_ms)
    }

    /// Sets the TTL of the entry at `position`; true when it had none.
    pub(crate) fn set_ttl(&mut self, position: usize, at_ms: i64) -> bool {
        let Some(entry) = self.entries.get_mut(position) else {
            return false;
        };
        let had_ttl = entry.has_ttl();
        entry.set_has_ttl(true);
        let ttl = self.ttl.get_or_insert_with(Box::default);
        let position = position_u32(position);
        if had_ttl {
            let record = Self::ttl_record_index(ttl, position);
            assert!(record.is_some(), "TTL flag without record at {position}");
            if let Some(record) = record {
                ttl.records[record].at_ms = at_ms;
            }
            return false;
        }
        let record = position_u32(ttl.records.len());
        ttl.records.push(TtlRecord { at_ms, position });
        let records = &ttl.records;
        ttl.index
            .insert_unique(hash_position(position), record, |&other| {
                hash_position(records[other as usize].position)
            });
        true
    }

    /// Removes the TTL of the entry at `position`, returning it.
    pub(crate) fn clear_ttl(&mut self, position: usize) -> Option<i64> {
        let entry = self.entries.get_mut(position)?;
        if !entry.has_ttl() {
            return None;
        }
        entry.set_has_ttl(false);
        let ttl = self.ttl.as_mut()?;
        let SlotTtl { records, index } = &mut **ttl;
        let position = position_u32(position);
        let record = {
            let records = &*records;
            index
                .find_entry(hash_position(position), |&record| {
                    records[record as usize].position == position
                })
                .ok()
                .map(|found| found.remove().0 as usize)
        };
        assert!(record.is_some(), "TTL flag without record at {position}");
        let record = record?;
        let last = records.len() - 1;
        let removed = records.swap_remove(record);
        if record != last {
            // The last record moved into the hole: repoint its index entry.
            let moved_position = records[record].position;
            let last_u32 = position_u32(last);
            if let Some(slot) =
                index.find_mut(hash_position(moved_position), |&other| other == last_u32)
            {
                *slot = position_u32(record);
            }
        }
        if records.is_empty() {
            self.ttl = None;
        }
        Some(removed.at_ms)
    }

    /// The entry at `from` moved to `to`: re-key its TTL record.
    fn move_ttl(&mut self, from: u32, to: u32) {
        let Some(ttl) = self.ttl.as_mut() else {
            return;
        };
        let SlotTtl { records, index } = &mut **ttl;
        let record = {
            let records = &*records;
            index
                .find_entry(hash_position(from), |&record| {
                    records[record as usize].position == from
                })
                .ok()
                .map(|found| found.remove().0)
        };
        assert!(record.is_some(), "TTL flag without record at {from}");
        if let Some(record) = record {
            records[record as usize].position = to;
            let records = &*records;
            index.insert_unique(hash_position(to), record, |&other| {
                hash_position(records[other as usize].position)
            });
        }
    }

    /// The TTL record at `index` in the slot's record order (active expiry).
    pub(crate) fn ttl_record(&self, index: usize) -> Option<TtlRecord> {
        self.ttl.as_ref()?.records.get(index).copied()
    }

    /// Bytes allocated by the slot's own structures (not keys' and values'
    /// out-of-line bytes), from capacities.
    pub(crate) fn allocated_bytes(&self) -> usize {
        let entries = self.entries.allocated_bytes();
        let index = self.index.allocation_size();
        let ttl = self.ttl.as_ref().map_or(0, |ttl| {
            std::mem::size_of::<SlotTtl>()
                + ttl.records.capacity() * std::mem::size_of::<TtlRecord>()
                + ttl.index.allocation_size()
        });
        entries + index + ttl
    }

    /// Checks every structural invariant (tests only).
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        assert_eq!(self.index.len(), self.entries.len());
        for (position, entry) in self.entries.iter().enumerate() {
            assert_eq!(
                self.find(entry.key(), hash_key(entry.key())),
                Some(position)
            );
        }
        assert_eq!(self.entries.iter().count(), self.entries.len());
        let flagged = self.entries.iter().filter(|entry| entry.has_ttl()).count();
        assert_eq!(flagged, self.ttl_len());
        if let Some(ttl) = &self.ttl {
            assert!(!ttl.records.is_empty(), "empty TTL part must be freed");
            assert_eq!(ttl.index.len(), ttl.records.len());
            for (record_index, record) in ttl.records.iter().enumerate() {
                assert!(self
                    .entries
                    .get(record.position as usize)
                    .is_some_and(Entry::has_ttl));
                assert_eq!(
                    Self::ttl_record_index(ttl, record.position),
                    Some(record_index)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string_value::StringValue;
    use crate::value::Value;

    fn put(table: &mut SlotTable, key: &[u8]) -> usize {
        let value = Value::String(StringValue::from_bytes(key));
        table.insert(hash_key(key), Entry::new(key, value, 0))
    }

    #[test]
    fn insert_find_remove_with_ttls() {
        let mut table = SlotTable::default();
        let keys: Vec<Vec<u8>> = (0..200).map(|i| format!("k{i}").into_bytes()).collect();
        for key in &keys {
            put(&mut table, key);
        }
        for (i, key) in keys.iter().enumerate() {
            if i % 3 == 0 {
                let position = table.find(key, hash_key(key)).expect("present");
                assert!(table.set_ttl(position, i as i64));
                assert!(!table.set_ttl(position, i as i64 + 1000));
            }
        }
        table.check_invariants();
        assert_eq!(table.ttl_len(), 67);
        // Remove from the front so the last entry keeps moving into holes.
        for (i, key) in keys.iter().enumerate().take(150) {
            let position = table.find(key, hash_key(key)).expect("present");
            let (entry, at_ms) = table.remove(position).expect("removed");
            assert_eq!(entry.key(), key.as_slice());
            assert_eq!(at_ms, (i % 3 == 0).then_some(i as i64 + 1000));
            table.check_invariants();
        }
        for (i, key) in keys.iter().enumerate().skip(150) {
            let position = table.find(key, hash_key(key)).expect("present");
            assert_eq!(
                table.ttl_at(position),
                (i % 3 == 0).then_some(i as i64 + 1000)
            );
        }
        assert_eq!(table.len(), 50);
        assert!(table.find(b"k0", hash_key(b"k0")).is_none());
        assert!(table.remove(50).is_none());
    }

    #[test]
    fn ttl_part_is_freed_when_last_ttl_goes() {
        let mut table = SlotTable::default();
        let position = put(&mut table, b"a");
        put(&mut table, b"b");
        assert!(table.set_ttl(position, 5));
        assert!(table.ttl.is_some());
        assert_eq!(table.clear_ttl(position), Some(5));
        assert_eq!(table.clear_ttl(position), None);
        assert!(table.ttl.is_none());
        table.check_invariants();
        assert!(!table.set_ttl(99, 1), "no entry at 99");
        assert_eq!(table.ttl_at(99), None);
    }

    #[test]
    fn header_is_two_cache_lines() {
        assert_eq!(std::mem::size_of::<SlotTable>(), 128);
    }

    #[test]
    fn growth_is_bounded_and_shrinks() {
        let mut table = SlotTable::default();
        for i in 0..1000u32 {
            put(&mut table, &i.to_le_bytes());
        }
        let full = table.allocated_bytes();
        // Entries plus a 4-byte index bucket at most 2.3x over, plus slack.
        assert!(full < 1000 * (48 + 12) + 2048, "{full}");
        while table.len() > 10 {
            table.remove(0);
        }
        assert!(
            table.allocated_bytes() < full / 20,
            "{}",
            table.allocated_bytes()
        );
        table.check_invariants();
        assert_eq!(table.take_all(), 10);
        assert_eq!(table.len(), 0);
    }
}
