//! Cross-slot bookkeeping: which slots hold keys (and keys with a TTL), and
//! prefix sums of per-slot key counts.
//!
//! Owns two helpers used by `Db`: a 16384-bit set with "next set bit at or
//! after" (so SCAN, KEYS and active expiry skip empty slots in at most 256
//! word reads), and a Fenwick tree of slot sizes (so RANDOMKEY picks the
//! n-th key overall in 14 steps, as Redis 7.4's kvstore does with its
//! `dict_size_index`). Must never hold anything but counts.

use crate::slot::SLOT_COUNT;

const WORDS: usize = SLOT_COUNT / 64;

/// A set of slots.
pub(crate) struct SlotSet {
    words: [u64; WORDS],
}

impl Default for SlotSet {
    fn default() -> Self {
        SlotSet { words: [0; WORDS] }
    }
}

impl SlotSet {
    pub(crate) fn set(&mut self, slot: usize, present: bool) {
        let (word, bit) = (slot / 64, slot % 64);
        if present {
            self.words[word] |= 1 << bit;
        } else {
            self.words[word] &= !(1 << bit);
        }
    }

    /// The smallest member `>= from`.
    pub(crate) fn next_from(&self, from: usize) -> Option<usize> {
        if from >= SLOT_COUNT {
            return None;
        }
        let mut word_index = from / 64;
        let mut word = self.words[word_index] & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                return Some(word_index * 64 + word.trailing_zeros() as usize);
            }
            word_index += 1;
            word = *self.words.get(word_index)?;
        }
    }

    /// The smallest member `>= from`, wrapping around to slot 0.
    pub(crate) fn next_wrapping(&self, from: usize) -> Option<usize> {
        self.next_from(from).or_else(|| self.next_from(0))
    }

    /// Members in ascending order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let mut next = self.next_from(0);
        std::iter::from_fn(move || {
            let current = next?;
            next = self.next_from(current + 1);
            Some(current)
        })
    }
}

/// Fenwick (binary indexed) tree over the key count of each slot.
pub(crate) struct SlotCounts {
    /// 1-based tree; `tree[0]` unused.
    tree: Vec<u64>,
}

impl Default for SlotCounts {
    fn default() -> Self {
        SlotCounts {
            tree: vec![0; SLOT_COUNT + 1],
        }
    }
}

impl SlotCounts {
    pub(crate) fn add(&mut self, slot: usize, delta: i64) {
        let mut node = slot + 1;
        while node <= SLOT_COUNT {
            self.tree[node] = self.tree[node].wrapping_add_signed(delta);
            node += node & node.wrapping_neg();
        }
    }

    /// The slot holding the key of overall rank `rank` (0-based, slots in
    /// order) and the rank within that slot. The caller keeps `rank` below
    /// the total.
    pub(crate) fn find(&self, mut rank: u64) -> (usize, u64) {
        let mut node = 0;
        let mut step = SLOT_COUNT;
        while step > 0 {
            let next = node + step;
            if next <= SLOT_COUNT && self.tree[next] <= rank {
                node = next;
                rank -= self.tree[next];
            }
            step /= 2;
        }
        (node, rank)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_set_next() {
        let mut set = SlotSet::default();
        assert_eq!(set.next_from(0), None);
        assert_eq!(set.next_wrapping(5), None);
        for slot in [0, 63, 64, 1000, 16383] {
            set.set(slot, true);
        }
        assert_eq!(set.next_from(0), Some(0));
        assert_eq!(set.next_from(1), Some(63));
        assert_eq!(set.next_from(64), Some(64));
        assert_eq!(set.next_from(65), Some(1000));
        assert_eq!(set.next_from(1001), Some(16383));
        assert_eq!(set.next_from(16384), None);
        assert_eq!(set.next_from(usize::MAX), None);
        set.set(16383, false);
        assert_eq!(set.next_from(1001), None);
        assert_eq!(set.next_wrapping(1001), Some(0));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![0, 63, 64, 1000]);
    }

    #[test]
    fn fenwick_finds_rank() {
        let mut counts = SlotCounts::default();
        let sizes = [(3usize, 2i64), (10, 1), (16383, 3)];
        for (slot, size) in sizes {
            counts.add(slot, size);
        }
        let expected = [(3, 0), (3, 1), (10, 0), (16383, 0), (16383, 1), (16383, 2)];
        for (rank, want) in expected.iter().enumerate() {
            assert_eq!(counts.find(rank as u64), *want, "rank {rank}");
        }
        counts.add(3, -2);
        assert_eq!(counts.find(0), (10, 0));
    }
}
