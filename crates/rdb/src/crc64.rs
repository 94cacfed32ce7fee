//! Redis's CRC64 ("Jones" polynomial, reflected, init 0, no final xor), the
//! checksum at the end of DUMP payloads and RDB files.
//!
//! Owns the checksum only. Must never change: payloads checksummed by
//! redis-server have to verify here and the other way round.

/// 0xad93d23594c935a9, bit-reversed for the reflected (LSB-first) form.
const POLYNOMIAL_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const TABLE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut index = 0;
    while index < 256 {
        let mut crc = index as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLYNOMIAL_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[index] = crc;
        index += 1;
    }
    table
};

/// Continues a CRC64 over `bytes` (start with 0), as Redis's `crc64(crc, p, len)`.
pub fn crc64(crc: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(crc, |crc, &byte| {
        TABLE[((crc ^ u64::from(byte)) & 0xff) as usize] ^ (crc >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_check_values() {
        // Redis's crc64.c self-test value; DUMP payloads captured from
        // redis-server check the rest (payload.rs tests).
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(crc64(0, b""), 0);
    }

    #[test]
    fn continues_across_chunks() {
        let whole = crc64(0, b"hello world");
        assert_eq!(crc64(crc64(0, b"hello "), b"world"), whole);
    }
}
