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
//! only ever reallocate while a chunk fills up, through sizes every new
//! chunk reuses, and waste at most one size-class rounding per slot.

/// Elements per chunk (a power of two, so positions split with shifts).
const CHUNK_SHIFT: u32 = 4;
const CHUNK_LEN: usize = 1 << CHUNK_SHIFT;
const CHUNK_MASK: usize = CHUNK_LEN - 1;

/// Chunks whose pointers live inside the `ChunkedVec` itself: a lookup in
/// the first `INLINE_CHUNKS * CHUNK_LEN` positions (64: every slot of a
/// million keys over 16384 slots, ~61 per slot on average) goes straight
/// from the slot header to the chunk, without a cache miss on a separate
/// chunk-pointer array. 4 pointers of 16 bytes plus the overflow `Vec` keep
/// the `SlotTable` header at 128 bytes (two adjacent cache lines).
const INLINE_CHUNKS: usize = 4;

/// A vector of `T` in chunks of 16; every chunk but the last is full.
///
/// Each chunk is a `Box<[T]>` of exactly its length (16 bytes of pointer
/// where a `Vec` takes 24, so four fit inline). A push reallocates the last
/// chunk by one element: jemalloc does that in place within a size class,
/// and every size class up to a full chunk (768 bytes for 48-byte entries)
/// is reused by the other slots' chunks as they fill, so nothing freed on
/// the way stays stranded.
pub(crate) struct ChunkedVec<T> {
    head: [Box<[T]>; INLINE_CHUNKS],
    /// Chunks `INLINE_CHUNKS..`, only allocated past 64 elements.
    tail: Vec<Box<[T]>>,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec {
            head: std::array::from_fn(|_| Box::default()),
            tail: Vec::new(),
        }
    }
}

impl<T> ChunkedVec<T> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        match self.tail.last() {
            Some(last) => ((INLINE_CHUNKS + self.tail.len() - 1) << CHUNK_SHIFT) + last.len(),
            None => self.head.iter().map(|chunk| chunk.len()).sum(),
        }
    }

    /// Length of the first chunk: a read of the inline chunk pointers.
    #[inline]
    pub(crate) fn first_chunk_len(&self) -> usize {
        self.head[0].len()
    }

    #[inline]
    fn chunk(&self, chunk: usize) -> Option<&[T]> {
        match self.head.get(chunk) {
            Some(inline) => Some(inline),
            None => self.tail.get(chunk - INLINE_CHUNKS).map(|boxed| &**boxed),
        }
    }

    #[inline]
    fn chunk_mut(&mut self, chunk: usize) -> Option<&mut Box<[T]>> {
        match self.head.get_mut(chunk) {
            Some(inline) => Some(inline),
            None => self.tail.get_mut(chunk - INLINE_CHUNKS),
        }
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.chunk(index >> CHUNK_SHIFT)?.get(index & CHUNK_MASK)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunk_mut(index >> CHUNK_SHIFT)?
            .get_mut(index & CHUNK_MASK)
    }

    /// Appends `value` at position `len()`.
    pub(crate) fn push(&mut self, value: T) {
        let chunk = self.len() >> CHUNK_SHIFT;
        if chunk >= INLINE_CHUNKS && chunk - INLINE_CHUNKS == self.tail.len() {
            self.tail.push(Box::default());
        }
        if let Some(last) = self.chunk_mut(chunk) {
            let mut grown = Vec::from(std::mem::take(last));
            // Exactly one more: the chunk stays a jemalloc size class fit.
            grown.reserve_exact(1);
            grown.push(value);
            *last = grown.into_boxed_slice();
        }
    }

    /// Removes the element at `index`; the last element takes its place.
    pub(crate) fn swap_remove(&mut self, index: usize) -> Option<T> {
        let len = self.len();
        if index >= len {
            return None;
        }
        let last_index = len - 1;
        let last_chunk = last_index >> CHUNK_SHIFT;
        let last = {
            let chunk = self.chunk_mut(last_chunk)?;
            let mut shrunk = Vec::from(std::mem::take(chunk));
            let last = shrunk.pop()?;
            *chunk = shrunk.into_boxed_slice();
            last
        };
        if last_chunk >= INLINE_CHUNKS && self.tail.last().is_some_and(|chunk| chunk.is_empty()) {
            self.tail.pop();
            if self.tail.len() < self.tail.capacity() / 4 {
                self.tail.shrink_to(self.tail.len() * 2);
            }
        }
        if index == last_index {
            // `index` was the last position itself.
            return Some(last);
        }
        let slot = self.get_mut(index)?;
        Some(std::mem::replace(slot, last))
    }

    /// All elements in position order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.head
            .iter()
            .chain(self.tail.iter())
            .flat_map(|chunk| chunk.iter())
    }

    /// Bytes allocated (chunk buffers and the overflow chunk list).
    pub(crate) fn allocated_bytes(&self) -> usize {
        self.tail.capacity() * std::mem::size_of::<Box<[T]>>()
            + self.len() * std::mem::size_of::<T>()
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
                .head
                .iter()
                .chain(chunked.tail.iter())
                .all(|chunk| chunk.len() <= CHUNK_LEN));
            let last_full = chunked
                .head
                .iter()
                .chain(chunked.tail.iter())
                .rev()
                .skip_while(|chunk| chunk.is_empty())
                .skip(1)
                .all(|chunk| chunk.len() == CHUNK_LEN);
            assert!(last_full, "every chunk but the last is full");
        }
        if let Some(value) = chunked.get_mut(5) {
            *value = 500;
        }
        assert_eq!(chunked.get(5), Some(&500));
        while chunked.len() > 0 {
            chunked.swap_remove(0);
        }
        assert!(chunked.tail.is_empty() && chunked.tail.capacity() < 4);
        assert!(chunked.head.iter().all(|chunk| chunk.is_empty()));
        assert_eq!(chunked.iter().count(), 0);
    }
}
