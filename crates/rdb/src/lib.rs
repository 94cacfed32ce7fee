//! Redis's serialization formats for values: the RDB value encoding, the
//! DUMP/RESTORE payload around it, and the codecs they use (LZF, CRC64).
//!
//! Owns byte-exact encoding and decoding only. Must never do I/O, read a
//! clock or touch a keyspace: callers hand in values and bytes. Decoding
//! treats every input as hostile (RESTORE payloads come from clients).

pub mod crc64;
pub mod lzf;
pub mod payload;
