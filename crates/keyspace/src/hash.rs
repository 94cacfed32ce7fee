//! Fixed-seed hashing for the per-slot tables.
//!
//! Owns the hash functions the slot tables index by. Must never use random
//! state (the keyspace is deterministic: same commands, same layout, same
//! SCAN order) and never be used for anything that needs to resist chosen
//! collisions across processes.
//!
//! The construction is the folded 64×64→128 multiply used by foldhash and
//! wyhash: fast on short keys and well mixed in both the high bits
//! (hashbrown's control tags) and the low bits (bucket index).

const SEED: u64 = 0x243F_6A88_85A3_08D3;
const MULTIPLIER_0: u64 = 0xA076_1D64_78BD_642F;
const MULTIPLIER_1: u64 = 0xE703_7ED1_A0B4_28DB;

#[inline]
fn folded_multiply(left: u64, right: u64) -> u64 {
    let full = u128::from(left).wrapping_mul(u128::from(right));
    (full as u64) ^ ((full >> 64) as u64)
}

/// Hash of a key's bytes.
#[inline]
pub(crate) fn hash_key(key: &[u8]) -> u64 {
    let mut state = SEED ^ (key.len() as u64).wrapping_mul(MULTIPLIER_1);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        state = folded_multiply(state ^ u64::from_le_bytes(word), MULTIPLIER_0);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        state = folded_multiply(state ^ u64::from_le_bytes(word), MULTIPLIER_1);
    }
    folded_multiply(state ^ SEED, MULTIPLIER_0)
}

/// Hash of an entry position (the TTL index is keyed by position).
#[inline]
pub(crate) fn hash_position(position: u32) -> u64 {
    folded_multiply(u64::from(position) ^ SEED, MULTIPLIER_0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn deterministic_and_length_sensitive() {
        assert_eq!(hash_key(b"key:00000001"), hash_key(b"key:00000001"));
        assert_ne!(hash_key(b"a"), hash_key(b"a\0"));
        assert_ne!(hash_key(b""), hash_key(b"\0"));
        assert_ne!(hash_key(b"abcdefgh"), hash_key(b"abcdefgh\0"));
    }

    #[test]
    fn no_collisions_on_sequential_keys() {
        let hashes: BTreeSet<u64> = (0..20_000u32)
            .map(|i| hash_key(format!("key:{i:08}").as_bytes()))
            .collect();
        assert_eq!(hashes.len(), 20_000);
        let positions: BTreeSet<u64> = (0..20_000u32).map(hash_position).collect();
        assert_eq!(positions.len(), 20_000);
    }

    #[test]
    fn top_and_bottom_bits_spread() {
        // hashbrown uses the top 7 bits as tags and the low bits as bucket.
        let mut top = [0u32; 128];
        let mut low = [0u32; 128];
        for i in 0..12_800u32 {
            let hash = hash_key(format!("user:{i}").as_bytes());
            top[(hash >> 57) as usize] += 1;
            low[(hash & 127) as usize] += 1;
        }
        // Expected 100 per bucket; a poor mixer leaves buckets empty or 3x full.
        assert!(
            top.iter().all(|&count| (50..200).contains(&count)),
            "{top:?}"
        );
        assert!(
            low.iter().all(|&count| (50..200).contains(&count)),
            "{low:?}"
        );
    }
}
