//! One stored key: its bytes, its value, its 24-bit access field (Redis's
//! `robj.lru`: the LRU clock or the LFU pair, see `access.rs`) and whether it
//! has a TTL, packed into 48 bytes.
//!
//! Owns the entry layout only. Must never grow past 48 bytes (memory is a
//! target: a million small keys must cost less than in Redis) and never hold
//! the TTL itself: keys without a TTL pay nothing for expiry, the TTL lives in
//! the slot's separate TTL records and the entry only carries a flag.

use crate::value::Value;

/// Keys up to this length live inside the entry; longer ones take one heap
/// allocation of their length plus the entry's 4 metadata bytes.
/// 20 covers redis-benchmark's `counter:__rand_int__` keys and most
/// `object:id:field`-style keys, where a key compare would otherwise cost
/// one more cache miss per lookup.
pub(crate) const INLINE_KEY_CAPACITY: usize = 20;

/// Redis's LRU clock: seconds, 24 bits (`LRU_BITS`, `LRU_CLOCK_RESOLUTION`
/// 1000 ms), wrapping every ~194 days.
pub(crate) const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// Bytes of metadata at the front of an out-of-line key's allocation:
/// the flags byte, then the 3-byte access field (little endian).
const HEAP_META_BYTES: usize = 4;

const FLAG_HAS_TTL: u8 = 1;

/// Length of an inline key together with the has-TTL flag, as one byte the
/// compiler knows the valid values of: the other byte values are the niche
/// that tags the `Heap` variant, which keeps `KeyCell` at 24 bytes with 20
/// key bytes inline. Value = length | 32 when the key has a TTL.
#[rustfmt::skip]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum InlineTag {
    L0 = 0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15, L16, L17, L18,
    L19, L20,
    T0 = 32, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18,
    T19, T20,
}

const INLINE_TTL_BIT: u8 = 32;

#[rustfmt::skip]
const INLINE_TAGS: [InlineTag; 2 * (INLINE_KEY_CAPACITY + 1)] = {
    use InlineTag::*;
    [
        L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15, L16, L17, L18, L19,
        L20,
        T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19,
        T20,
    ]
};

impl InlineTag {
    fn new(len: usize, has_ttl: bool) -> Self {
        assert!(len <= INLINE_KEY_CAPACITY, "inline key of {len} bytes");
        INLINE_TAGS[len + usize::from(has_ttl) * (INLINE_KEY_CAPACITY + 1)]
    }

    #[inline]
    fn len(self) -> usize {
        usize::from(self as u8 & !INLINE_TTL_BIT)
    }

    #[inline]
    fn has_ttl(self) -> bool {
        self as u8 & INLINE_TTL_BIT != 0
    }
}

/// The key bytes plus entry metadata (has-TTL flag, access field), 24 bytes.
#[derive(Clone)]
enum KeyCell {
    Inline {
        tag: InlineTag,
        clock: [u8; 3],
        bytes: [u8; INLINE_KEY_CAPACITY],
    },
    /// `[flags, clock0, clock1, clock2, key bytes...]`: the metadata rides
    /// in the allocation so this variant needs no bytes beside the pointer.
    Heap { bytes: Box<[u8]> },
}

/// A key with its value, as stored in a slot table.
#[derive(Clone)]
pub(crate) struct Entry {
    key: KeyCell,
    /// The value; public to the crate so lookups can hand out `&mut Value`.
    pub(crate) value: Value,
}

/// Redis's `LRU_CLOCK()` at `now_ms`: Unix seconds modulo 2^24. Times
/// before the epoch clamp to 0.
pub(crate) fn lru_clock(now_ms: i64) -> u32 {
    let seconds = u64::try_from(now_ms.div_euclid(1000)).unwrap_or(0);
    (seconds & u64::from(LRU_CLOCK_MAX)) as u32
}

/// Seconds between an entry's access clock and `now_clock`, wrapping the
/// way Redis's `estimateObjectIdleTime` does.
pub(crate) fn idle_seconds(now_clock: u32, access_clock: u32) -> u32 {
    if now_clock >= access_clock {
        now_clock - access_clock
    } else {
        now_clock + (LRU_CLOCK_MAX - access_clock)
    }
}

/// The low 24 bits of `field`, little endian.
fn field_bytes(field: u32) -> [u8; 3] {
    let [b0, b1, b2, _] = (field & LRU_CLOCK_MAX).to_le_bytes();
    [b0, b1, b2]
}

impl Entry {
    /// A new entry without TTL whose access field is `access_field` (its
    /// low 24 bits; see `AccessState::initial_field`).
    pub(crate) fn new(key: &[u8], value: Value, access_field: u32) -> Self {
        let clock = field_bytes(access_field);
        let key = if key.len() <= INLINE_KEY_CAPACITY {
            let mut bytes = [0u8; INLINE_KEY_CAPACITY];
            bytes[..key.len()].copy_from_slice(key);
            KeyCell::Inline {
                tag: InlineTag::new(key.len(), false),
                clock,
                bytes,
            }
        } else {
            let mut bytes = Vec::with_capacity(HEAP_META_BYTES + key.len());
            bytes.push(0);
            bytes.extend_from_slice(&clock);
            bytes.extend_from_slice(key);
            KeyCell::Heap {
                bytes: bytes.into_boxed_slice(),
            }
        };
        Entry { key, value }
    }

    /// The key bytes.
    #[inline]
    pub(crate) fn key(&self) -> &[u8] {
        match &self.key {
            KeyCell::Inline { tag, bytes, .. } => &bytes[..tag.len()],
            KeyCell::Heap { bytes } => bytes.get(HEAP_META_BYTES..).unwrap_or_default(),
        }
    }

    /// True when the slot's TTL records hold an expiry for this key.
    #[inline]
    pub(crate) fn has_ttl(&self) -> bool {
        match &self.key {
            KeyCell::Inline { tag, .. } => tag.has_ttl(),
            KeyCell::Heap { bytes } => bytes.first().is_some_and(|flags| flags & FLAG_HAS_TTL != 0),
        }
    }

    pub(crate) fn set_has_ttl(&mut self, has_ttl: bool) {
        match &mut self.key {
            KeyCell::Inline { tag, .. } => *tag = InlineTag::new(tag.len(), has_ttl),
            KeyCell::Heap { bytes } => {
                if let Some(flags) = bytes.first_mut() {
                    if has_ttl {
                        *flags |= FLAG_HAS_TTL;
                    } else {
                        *flags &= !FLAG_HAS_TTL;
                    }
                }
            }
        }
    }

    /// The 24-bit access field: the LRU clock (see [`lru_clock`]) of the
    /// last access, or the LFU pair (see `access.rs`).
    pub(crate) fn access_field(&self) -> u32 {
        let clock = match &self.key {
            KeyCell::Inline { clock, .. } => *clock,
            KeyCell::Heap { bytes } => match bytes.get(1..HEAP_META_BYTES) {
                Some(&[b0, b1, b2]) => [b0, b1, b2],
                _ => [0; 3],
            },
        };
        u32::from_le_bytes([clock[0], clock[1], clock[2], 0])
    }

    /// Records an access at `now_ms` in the LRU reading of the field
    /// (`AccessState::record` picks between this and the LFU update).
    #[inline]
    pub(crate) fn touch(&mut self, now_ms: i64) {
        let now = field_bytes(lru_clock(now_ms));
        match &mut self.key {
            KeyCell::Inline { clock, .. } => *clock = now,
            KeyCell::Heap { bytes } => {
                if let Some(clock) = bytes.get_mut(1..HEAP_META_BYTES) {
                    clock.copy_from_slice(&now);
                }
            }
        }
    }

    /// Sets the access field directly (its low 24 bits).
    pub(crate) fn set_access_field(&mut self, field: u32) {
        let field = field_bytes(field);
        match &mut self.key {
            KeyCell::Inline { clock, .. } => *clock = field,
            KeyCell::Heap { bytes } => {
                if let Some(clock) = bytes.get_mut(1..HEAP_META_BYTES) {
                    clock.copy_from_slice(&field);
                }
            }
        }
    }

    /// Bytes the key owns on the heap (0 when inline).
    pub(crate) fn key_heap_bytes(&self) -> usize {
        match &self.key {
            KeyCell::Inline { .. } => 0,
            KeyCell::Heap { bytes } => bytes.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string_value::StringValue;

    fn string(bytes: &[u8]) -> Value {
        Value::String(StringValue::from_bytes(bytes))
    }

    #[test]
    fn entry_layout_is_compact() {
        assert_eq!(std::mem::size_of::<KeyCell>(), 24);
        assert_eq!(std::mem::size_of::<Entry>(), 48);
        assert!(
            std::mem::size_of::<Entry>() <= 48,
            "{}",
            std::mem::size_of::<Entry>()
        );
    }

    #[test]
    fn inline_and_heap_keys() {
        for len in [0, 1, INLINE_KEY_CAPACITY, INLINE_KEY_CAPACITY + 1, 300] {
            let key: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let entry = Entry::new(&key, string(b"v"), lru_clock(5_000));
            assert_eq!(entry.key(), key.as_slice());
            assert_eq!(
                entry.key_heap_bytes(),
                if len > INLINE_KEY_CAPACITY {
                    len + HEAP_META_BYTES
                } else {
                    0
                }
            );
            assert!(!entry.has_ttl());
            assert_eq!(entry.access_field(), 5);
        }
    }

    #[test]
    fn flags_and_access_time_do_not_disturb_key() {
        for key in [
            &b"key:00000001"[..],
            &b"counter:000000012345"[..],
            &b"a-much-longer-key-than-inline"[..],
        ] {
            let mut entry = Entry::new(key, string(b"v"), 0);
            entry.set_has_ttl(true);
            entry.touch(1_700_000_000_999);
            assert!(entry.has_ttl());
            assert_eq!(entry.access_field(), 1_700_000_000 & LRU_CLOCK_MAX);
            entry.set_access_field(0xAB_CDEF | 0x0100_0000);
            assert_eq!(entry.access_field(), 0xAB_CDEF);
            assert!(entry.has_ttl());
            assert_eq!(entry.key(), key);
            entry.set_has_ttl(false);
            assert!(!entry.has_ttl());
            assert_eq!(entry.key(), key);
        }
    }

    #[test]
    fn lru_clock_wraps_like_redis() {
        assert_eq!(lru_clock(-1), 0);
        assert_eq!(lru_clock(i64::MIN), 0);
        assert_eq!(lru_clock(1999), 1);
        assert_eq!(lru_clock(i64::from(LRU_CLOCK_MAX) * 1000), LRU_CLOCK_MAX);
        assert_eq!(lru_clock((i64::from(LRU_CLOCK_MAX) + 1) * 1000), 0);
        assert_eq!(idle_seconds(10, 4), 6);
        // estimateObjectIdleTime: clock + (LRU_CLOCK_MAX - lru) after a wrap.
        assert_eq!(idle_seconds(3, LRU_CLOCK_MAX - 2), 5);
    }

    #[test]
    fn inline_tags_round_trip() {
        for len in 0..=INLINE_KEY_CAPACITY {
            for has_ttl in [false, true] {
                let tag = InlineTag::new(len, has_ttl);
                assert_eq!((tag.len(), tag.has_ttl()), (len, has_ttl));
            }
        }
    }
}
