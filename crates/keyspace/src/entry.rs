//! One stored key: its bytes, its value, its access time and whether it has
//! a TTL, packed into 48 bytes.
//!
//! Owns the entry layout only. Must never grow past 48 bytes (memory is a
//! target: a million small keys must cost less than in Redis) and never hold
//! the TTL itself: keys without a TTL pay nothing for expiry, the TTL lives in
//! the slot's separate TTL records and the entry only carries a flag.

use crate::value::Value;

/// Keys up to this length live inside the entry; longer ones take one heap
/// allocation of exactly their length.
pub(crate) const INLINE_KEY_CAPACITY: usize = 17;

const FLAG_HAS_TTL: u8 = 1;

/// The key bytes plus entry metadata. Both variants carry the metadata so
/// the compiler packs it into the bytes the key storage leaves free: the
/// enum is 24 bytes, the same as a bare `Box<[u8]>` plus its tag.
#[derive(Clone)]
enum KeyCell {
    Inline {
        len: u8,
        flags: u8,
        access_time_s: u32,
        bytes: [u8; INLINE_KEY_CAPACITY],
    },
    Heap {
        flags: u8,
        access_time_s: u32,
        bytes: Box<[u8]>,
    },
}

/// A key with its value, as stored in a slot table.
#[derive(Clone)]
pub(crate) struct Entry {
    key: KeyCell,
    /// The value; public to the crate so lookups can hand out `&mut Value`.
    pub(crate) value: Value,
}

/// Seconds of Unix time as kept per key for OBJECT IDLETIME. Redis keeps a
/// 24-bit seconds clock (`LRU_CLOCK_RESOLUTION` 1000 ms); a `u32` of seconds
/// lasts until 2106. Times before the epoch clamp to 0.
pub(crate) fn access_clock_s(now_ms: i64) -> u32 {
    u32::try_from(now_ms.div_euclid(1000)).unwrap_or(if now_ms < 0 { 0 } else { u32::MAX })
}

impl Entry {
    /// A new entry without TTL, accessed at `now_ms`.
    pub(crate) fn new(key: &[u8], value: Value, now_ms: i64) -> Self {
        let access_time_s = access_clock_s(now_ms);
        let key = if key.len() <= INLINE_KEY_CAPACITY {
            let mut bytes = [0u8; INLINE_KEY_CAPACITY];
            bytes[..key.len()].copy_from_slice(key);
            KeyCell::Inline {
                len: key.len() as u8,
                flags: 0,
                access_time_s,
                bytes,
            }
        } else {
            KeyCell::Heap {
                flags: 0,
                access_time_s,
                bytes: key.into(),
            }
        };
        Entry { key, value }
    }

    /// The key bytes.
    #[inline]
    pub(crate) fn key(&self) -> &[u8] {
        match &self.key {
            KeyCell::Inline { len, bytes, .. } => &bytes[..usize::from(*len)],
            KeyCell::Heap { bytes, .. } => bytes,
        }
    }

    fn flags(&self) -> u8 {
        match &self.key {
            KeyCell::Inline { flags, .. } | KeyCell::Heap { flags, .. } => *flags,
        }
    }

    fn flags_mut(&mut self) -> &mut u8 {
        match &mut self.key {
            KeyCell::Inline { flags, .. } | KeyCell::Heap { flags, .. } => flags,
        }
    }

    /// True when the slot's TTL records hold an expiry for this key.
    #[inline]
    pub(crate) fn has_ttl(&self) -> bool {
        self.flags() & FLAG_HAS_TTL != 0
    }

    pub(crate) fn set_has_ttl(&mut self, has_ttl: bool) {
        let flags = self.flags_mut();
        if has_ttl {
            *flags |= FLAG_HAS_TTL;
        } else {
            *flags &= !FLAG_HAS_TTL;
        }
    }

    /// Last access, in seconds of Unix time.
    pub(crate) fn access_time_s(&self) -> u32 {
        match &self.key {
            KeyCell::Inline { access_time_s, .. } | KeyCell::Heap { access_time_s, .. } => {
                *access_time_s
            }
        }
    }

    /// Records an access at `now_ms`.
    pub(crate) fn touch(&mut self, now_ms: i64) {
        let now_s = access_clock_s(now_ms);
        match &mut self.key {
            KeyCell::Inline { access_time_s, .. } | KeyCell::Heap { access_time_s, .. } => {
                *access_time_s = now_s;
            }
        }
    }

    /// Bytes the key owns on the heap (0 when inline).
    pub(crate) fn key_heap_bytes(&self) -> usize {
        match &self.key {
            KeyCell::Inline { .. } => 0,
            KeyCell::Heap { bytes, .. } => bytes.len(),
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
            let entry = Entry::new(&key, string(b"v"), 5_000);
            assert_eq!(entry.key(), key.as_slice());
            assert_eq!(
                entry.key_heap_bytes(),
                if len > INLINE_KEY_CAPACITY { len } else { 0 }
            );
            assert!(!entry.has_ttl());
            assert_eq!(entry.access_time_s(), 5);
        }
    }

    #[test]
    fn flags_and_access_time_do_not_disturb_key() {
        for key in [&b"key:00000001"[..], &b"a-much-longer-key-than-inline"[..]] {
            let mut entry = Entry::new(key, string(b"v"), 0);
            entry.set_has_ttl(true);
            entry.touch(1_700_000_000_999);
            assert!(entry.has_ttl());
            assert_eq!(entry.access_time_s(), 1_700_000_000);
            assert_eq!(entry.key(), key);
            entry.set_has_ttl(false);
            assert!(!entry.has_ttl());
            assert_eq!(entry.key(), key);
        }
    }

    #[test]
    fn access_clock_clamps() {
        assert_eq!(access_clock_s(-1), 0);
        assert_eq!(access_clock_s(i64::MIN), 0);
        assert_eq!(access_clock_s(i64::MAX), u32::MAX);
        assert_eq!(access_clock_s(1999), 1);
    }
}
