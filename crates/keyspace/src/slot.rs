//! Key → hash slot: CRC16 (XMODEM) of the key, or of the first non-empty
//! `{hash tag}`, modulo 16384 (cluster spec "Keys distribution model",
//! Redis `keyHashSlot` in cluster.c).
//!
//! Owns only the slot function and its CRC table. Must never allocate or
//! fail: every byte string has a slot.

/// Number of hash slots.
pub const SLOT_COUNT: usize = 16384;

/// CRC16-CCITT polynomial as used by XMODEM (`x^16 + x^12 + x^5 + 1`).
const CRC16_POLYNOMIAL: u16 = 0x1021;

/// Byte-at-a-time lookup table, built at compile time so the hot path is one
/// table load, one shift and one xor per key byte (Redis `crc16tab`).
const CRC16_TABLE: [u16; 256] = build_crc16_table();

const fn build_crc16_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = (byte as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ CRC16_POLYNOMIAL
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
}

/// CRC16-XMODEM (poly 0x1021, init 0, no reflection, no final xor) of `bytes`.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc = (crc << 8) ^ CRC16_TABLE[usize::from((crc >> 8) as u8 ^ byte)];
    }
    crc
}

/// The bytes that decide a key's slot: the content of the first `{...}` when
/// it is non-empty, else the whole key. Only the first `{` counts, and the
/// tag ends at the first `}` after it (so `foo{{bar}}` hashes `{bar`).
pub fn hash_tag(key: &[u8]) -> &[u8] {
    let Some(open) = key.iter().position(|&byte| byte == b'{') else {
        return key;
    };
    let after_open = &key[open + 1..];
    match after_open.iter().position(|&byte| byte == b'}') {
        // `{}`: an empty tag means "hash the whole key" (cluster spec).
        Some(0) | None => key,
        Some(close) => &after_open[..close],
    }
}

/// The hash slot of `key`.
pub fn key_hash_slot(key: &[u8]) -> u16 {
    // SLOT_COUNT is a power of two, so the modulo is a mask (as in Redis).
    crc16(hash_tag(key)) & (SLOT_COUNT as u16 - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-by-bit reference implementation, to check the table.
    fn crc16_bitwise(bytes: &[u8]) -> u16 {
        let mut crc: u16 = 0;
        for &byte in bytes {
            crc ^= u16::from(byte) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
            }
        }
        crc
    }

    #[test]
    fn crc16_check_value() {
        // The standard CRC-16/XMODEM check value (cluster spec appendix).
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(crc16(b""), 0);
    }

    #[test]
    fn table_matches_bitwise_reference() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            assert_eq!(crc16(&bytes), crc16_bitwise(&bytes), "len {len}");
        }
    }

    #[test]
    fn known_slots() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.0.
        assert_eq!(key_hash_slot(b"foo"), 12182);
        assert_eq!(key_hash_slot(b"hello"), 866);
        assert_eq!(key_hash_slot(b"bar"), 5061);
        assert_eq!(key_hash_slot(b""), 0);
    }

    #[test]
    fn hash_tags() {
        assert_eq!(
            key_hash_slot(b"{user1000}.following"),
            key_hash_slot(b"{user1000}.followers")
        );
        assert_eq!(
            key_hash_slot(b"{user1000}.following"),
            key_hash_slot(b"user1000")
        );
        // Empty first tag: the whole key is hashed, a later tag is ignored.
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(key_hash_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") % 16384);
        // The tag ends at the first `}` after the first `{`.
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(key_hash_slot(b"foo{{bar}}zap"), key_hash_slot(b"{bar"));
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        // Unterminated or lone braces hash the whole key.
        assert_eq!(hash_tag(b"foo{bar"), b"foo{bar");
        assert_eq!(hash_tag(b"foo}bar{"), b"foo}bar{");
        assert_eq!(hash_tag(b"{"), b"{");
        assert_eq!(hash_tag(b"}{a}"), b"a");
    }

    #[test]
    fn every_slot_in_range() {
        for i in 0..5000u32 {
            let key = format!("key:{i}");
            assert!(usize::from(key_hash_slot(key.as_bytes())) < SLOT_COUNT);
        }
        assert!(usize::from(key_hash_slot(&[0xFF; 1000])) < SLOT_COUNT);
    }
}
