//! A dense vector stored as fixed-size chunks.
//!
//! Owns element storage for slot tables. Must never move elements between
//! positions except the `swap_remove` move of the last element (SCAN's
//! guarantee rests on it) and never reallocate a full chunk.
//!
//! Why chunks and not one `Vec`: a growing `Vec` reallocates, and the
//! buffers it frees on the way are of sizes nothing else asks for once every
//! slot has grown past them. Under a bulk load all 16384 slots grow in
//! lockstep, so those freed buffers add up to several times the live data
//! and stay resident (jemalloc keeps dirty pages ~10 s): measured, 1M keys
//! cost 97 bytes/key of RSS that way against 76 once purged. Chunks of 16
//! entries (768 bytes for 48-byte entries, an exact jemalloc size class)
//! only ever reallocate while a chunk fills 4 → 8 → 16, sizes every new
//! chunk reuses, and waste at most one partly filled chunk per slot.

/// Elements per chunk (a power of two, so positions split with shifts).
const CHUNK_SHIFT: u32 = 4;
const CHUNK_LEN: usize = 1 << CHUNK_SHIFT;
const CHUNK_MASK: usize = CHUNK_LEN - 1;

/// A vector of `T` in chunks of 16; every chunk but the last is full.
pub(crate) struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec { chunks: Vec::new() }
    }
}

impl<T> ChunkedVec<T> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        match self.chunks.last() {
            Some(last) => ((self.chunks.len() - 1) << CHUNK_SHIFT) + last.len(),
            None => 0,
        }
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.chunks
            .get(index >> CHUNK_SHIFT)?
            .get(index & CHUNK_MASK)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks
            .get_mut(index >> CHUNK_SHIFT)?
            .get_mut(index & CHUNK_MASK)
    }

    /// Appends `value` at position `len()`.
    pub(crate) fn push(&mut self, value: T) {
        if !matches!(self.chunks.last(), Some(last) if last.len() < CHUNK_LEN) {
            self.chunks.push(Vec::new());
        }
        if let Some(last) = self.chunks.last_mut() {
            if last.len() == last.capacity() {
                // 4 → 8 → 16, never beyond a chunk.
                let target = (last.capacity() * 2).clamp(4, CHUNK_LEN);
                last.reserve_exact(target - last.len());
            }
            last.push(value);
        }
    }

    /// Removes the element at `index`; the last element takes its place.
    pub(crate) fn swap_remove(&mut self, index: usize) -> Option<T> {
        if index >= self.len() {
            return None;
        }
        let last_chunk = self.chunks.last_mut()?;
        let last = last_chunk.pop()?;
        if last_chunk.is_empty() {
            self.chunks.pop();
            if self.chunks.len() < self.chunks.capacity() / 4 {
                self.chunks.shrink_to(self.chunks.len() * 2);
            }
        }
        if index == self.len() {
            // `index` was the last position itself.
            return Some(last);
        }
        let slot = self
            .chunks
            .get_mut(index >> CHUNK_SHIFT)?
            .get_mut(index & CHUNK_MASK)?;
        Some(std::mem::replace(slot, last))
    }

    /// All elements in position order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flatten()
    }

    /// Bytes allocated (chunk buffers and the chunk list).
    pub(crate) fn allocated_bytes(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Vec<T>>()
            + self.chunks.iter().map(Vec::capacity).sum::<usize>() * std::mem::size_of::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_swap_remove_like_vec() {
        let mut chunked = ChunkedVec::default();
        let mut plain = Vec::new();
        let mut state = 7u64;
        for step in 0..5000u32 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if plain.is_empty() || (state >> 33) % 3 < 2 {
                chunked.push(step);
                plain.push(step);
            } else {
                let index = (state >> 40) as usize % plain.len();
                assert_eq!(chunked.swap_remove(index), Some(plain.swap_remove(index)));
            }
            assert_eq!(chunked.len(), plain.len());
        }
        assert!(chunked.iter().eq(plain.iter()));
        for (index, value) in plain.iter().enumerate() {
            assert_eq!(chunked.get(index), Some(value));
        }
        assert_eq!(chunked.get(plain.len()), None);
        assert_eq!(chunked.swap_remove(plain.len()), None);
    }

    #[test]
    fn chunks_never_exceed_their_size_and_empty_ones_are_freed() {
        let mut chunked = ChunkedVec::default();
        for value in 0..100u64 {
            chunked.push(value);
            assert!(chunked
                .chunks
                .iter()
                .all(|chunk| chunk.capacity() <= CHUNK_LEN));
            let allocated = chunked.chunks.iter().map(Vec::capacity).sum::<usize>();
            assert!(allocated < chunked.len() + CHUNK_LEN);
        }
        if let Some(value) = chunked.get_mut(5) {
            *value = 500;
        }
        assert_eq!(chunked.get(5), Some(&500));
        while chunked.len() > 0 {
            chunked.swap_remove(0);
        }
        assert!(chunked.chunks.is_empty());
        assert_eq!(chunked.iter().count(), 0);
    }
}
