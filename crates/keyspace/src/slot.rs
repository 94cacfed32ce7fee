//! Key → hash slot: CRC16 (XMODEM) of the key, or of the first non-empty
//! `{hash tag}`, modulo 16384 (cluster spec "Keys distribution model").
//! STUB: being written.

/// Number of hash slots.
pub const SLOT_COUNT: usize = 16384;

/// The hash slot of `key`.
pub fn key_hash_slot(_key: &[u8]) -> u16 {
    0
}
