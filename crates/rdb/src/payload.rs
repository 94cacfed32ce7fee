//! DUMP payloads: `<type byte><RDB-encoded value><RDB version, 2 bytes LE>
//! <CRC64 of everything before, 8 bytes LE>` (Redis `createDumpPayload`,
//! `verifyDumpPayload`, `rdbSaveObject`/`rdbLoadObject` for strings).
//!
//! Owns the byte format of one value. Must never panic or allocate beyond
//! what the payload's own size justifies: RESTORE feeds it client bytes.

use shoal_keyspace::{parse_strict_i64, StringValue, Value};
use thiserror::Error;

use crate::crc64::crc64;
use crate::lzf;

/// RDB format version Redis 7.0 writes (`RDB_VERSION`).
pub const RDB_VERSION: u16 = 10;

/// `RDB_TYPE_STRING`.
const TYPE_STRING: u8 = 0;

/// First-byte tags of the RDB length encoding (`rdbSaveLen`).
const LEN_6BIT: u8 = 0;
const LEN_14BIT: u8 = 1;
const LEN_32BIT: u8 = 0x80;
const LEN_64BIT: u8 = 0x81;
/// `RDB_ENCVAL`: the length field is a special string encoding.
const ENCODED: u8 = 3;
const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// The most a byte of LZF input can expand to (a 3-byte back-reference
/// copies up to 264 bytes): a claimed original length beyond this is a lie.
const LZF_MAX_EXPANSION: usize = 88;

/// Why a payload was refused, as RESTORE words it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, from a newer RDB version, or a checksum mismatch.
    #[error("DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    /// The value inside does not decode (or is of a type not supported yet).
    #[error("Bad data format")]
    BadFormat,
}

/// Serializes a value as `DUMP` does. `compress` is `rdbcompression`.
pub fn dump(value: &Value, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    match value {
        Value::String(string) => {
            out.push(TYPE_STRING);
            string.with_bytes(|bytes| write_string(&mut out, bytes, compress));
        }
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks the footer (`verifyDumpPayload`): at least 10 bytes, an RDB
/// version Redis 7.0 can read, and the CRC64.
pub fn verify(payload: &[u8]) -> Result<(), PayloadError> {
    let body_len = payload
        .len()
        .checked_sub(10)
        .ok_or(PayloadError::VersionOrChecksum)?;
    let version = u16::from_le_bytes([payload[body_len], payload[body_len + 1]]);
    if version > RDB_VERSION {
        return Err(PayloadError::VersionOrChecksum);
    }
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&payload[body_len + 2..]);
    if crc64(0, &payload[..body_len + 2]) != u64::from_le_bytes(stored) {
        return Err(PayloadError::VersionOrChecksum);
    }
    Ok(())
}

/// Verifies and decodes a payload into a value (RESTORE). Bytes between
/// the value and the footer are ignored, as Redis 7.0 does.
pub fn restore(payload: &[u8]) -> Result<Value, PayloadError> {
    verify(payload)?;
    let mut reader = Reader {
        bytes: &payload[..payload.len() - 10],
    };
    match reader.byte()? {
        TYPE_STRING => Ok(Value::String(reader.string()?)),
        _ => Err(PayloadError::BadFormat),
    }
}

/// `rdbSaveRawString`: small integers int-encoded, strings over 20 bytes
/// LZF-compressed when that saves at least 4 bytes, else verbatim.
fn write_string(out: &mut Vec<u8>, bytes: &[u8], compress: bool) {
    if bytes.len() <= 11 {
        if let Some(value) = parse_strict_i64(bytes) {
            if write_integer(out, value) {
                return;
            }
        }
    }
    if compress && bytes.len() > 20 {
        if let Some(compressed) = lzf::compress(bytes, bytes.len() - 4) {
            out.push(ENCODED << 6 | ENC_LZF);
            write_len(out, compressed.len() as u64);
            write_len(out, bytes.len() as u64);
            out.extend_from_slice(&compressed);
            return;
        }
    }
    write_len(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// `rdbEncodeInteger`: false when the value needs more than 32 bits.
fn write_integer(out: &mut Vec<u8>, value: i64) -> bool {
    if let Ok(small) = i8::try_from(value) {
        out.extend_from_slice(&[ENCODED << 6 | ENC_INT8, small as u8]);
    } else if let Ok(medium) = i16::try_from(value) {
        out.push(ENCODED << 6 | ENC_INT16);
        out.extend_from_slice(&medium.to_le_bytes());
    } else if let Ok(large) = i32::try_from(value) {
        out.push(ENCODED << 6 | ENC_INT32);
        out.extend_from_slice(&large.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// `rdbSaveLen`.
fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(LEN_6BIT << 6 | len as u8);
    } else if len < 1 << 14 {
        out.push(LEN_14BIT << 6 | (len >> 8) as u8);
        out.push(len as u8);
    } else if let Ok(len) = u32::try_from(len) {
        out.push(LEN_32BIT);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(LEN_64BIT);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// A length field: a plain length, or one of the special string encodings.
enum Length {
    Plain(usize),
    Encoded(u8),
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], PayloadError> {
        if count > self.bytes.len() {
            return Err(PayloadError::BadFormat);
        }
        let (head, rest) = self.bytes.split_at(count);
        self.bytes = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, PayloadError> {
        Ok(self.take(1)?[0])
    }

    /// `rdbLoadLenByRef`.
    fn length(&mut self) -> Result<Length, PayloadError> {
        let first = self.byte()?;
        let plain = |len: u64| {
            usize::try_from(len)
                .map(Length::Plain)
                .map_err(|_| PayloadError::BadFormat)
        };
        match first >> 6 {
            LEN_6BIT => plain(u64::from(first & 0x3f)),
            LEN_14BIT => plain(u64::from(first & 0x3f) << 8 | u64::from(self.byte()?)),
            ENCODED => Ok(Length::Encoded(first & 0x3f)),
            _ => match first {
                LEN_32BIT => {
                    let mut word = [0u8; 4];
                    word.copy_from_slice(self.take(4)?);
                    plain(u64::from(u32::from_be_bytes(word)))
                }
                LEN_64BIT => {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(self.take(8)?);
                    plain(u64::from_be_bytes(word))
                }
                _ => Err(PayloadError::BadFormat),
            },
        }
    }

    fn plain_length(&mut self) -> Result<usize, PayloadError> {
        match self.length()? {
            Length::Plain(len) => Ok(len),
            Length::Encoded(_) => Err(PayloadError::BadFormat),
        }
    }

    /// `rdbGenericLoadStringObject(RDB_LOAD_ENC)` + `tryObjectEncoding`.
    fn string(&mut self) -> Result<StringValue, PayloadError> {
        match self.length()? {
            Length::Plain(len) => Ok(StringValue::from_bytes(self.take(len)?)),
            Length::Encoded(ENC_INT8) => Ok(StringValue::from_i64(i64::from(self.byte()? as i8))),
            Length::Encoded(ENC_INT16) => {
                let bytes = self.take(2)?;
                Ok(StringValue::from_i64(i64::from(i16::from_le_bytes([
                    bytes[0], bytes[1],
                ]))))
            }
            Length::Encoded(ENC_INT32) => {
                let mut word = [0u8; 4];
                word.copy_from_slice(self.take(4)?);
                Ok(StringValue::from_i64(i64::from(i32::from_le_bytes(word))))
            }
            Length::Encoded(ENC_LZF) => {
                let compressed_len = self.plain_length()?;
                let original_len = self.plain_length()?;
                let compressed = self.take(compressed_len)?;
                if original_len > compressed_len.saturating_mul(LZF_MAX_EXPANSION) {
                    return Err(PayloadError::BadFormat);
                }
                let bytes = lzf::decompress(compressed, original_len)
                    .map_err(|_| PayloadError::BadFormat)?;
                Ok(StringValue::from_bytes(&bytes))
            }
            Length::Encoded(_) => Err(PayloadError::BadFormat),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// (value, DUMP payload) pairs captured from redis-server 7.0.15
    /// (`SET k <value>`, `DUMP k`), default `rdbcompression yes`.
    const GOLDEN: &[(&str, &str)] = &[
        ("313233", "00c07b0a0048e253e1007a67b9"),
        ("2d35", "00c0fb0a0049c4c6f4d7263f68"),
        ("333030", "00c12c010a00954261f265825c10"),
        ("3730303030", "00c2701101000a0001a408fe953095a5"),
        ("33303030303030303030", "000a333030303030303030300a00e7076b7954bb7947"),
        ("303132", "00033031320a008f5463e9547eeb0c"),
        ("68656c6c6f", "000568656c6c6f0a006372df766534200a"),
        ("", "00000a005d9b5c400f7fa2da"),
        ("2d30", "00022d300a00d5411fd9d6d050cc"),
        ("2b35", "00022b350a0087d1480711b44cc2"),
        (
            "39323233333732303336383534373735383037",
            "0013393232333337323033363835343737353830370a003a657e9481e85f22",
        ),
        ("2d32313437343833363438", "00c2000000800a00c74f873e33558187"),
        ("32313437343833363437", "00c2ffffff7f0a002c74e59ee02eada1"),
        ("32313437343833363438", "000a323134373438333634380a00e7b129a34c1d76ee"),
        ("2d313238", "00c0800a009966326d2f0c5bd9"),
        ("313237", "00c07f0a000db5eb315254c514"),
        ("313238", "00c180000a00eb7ab3b510cf4b65"),
        ("2d3332373638", "00c100800a00b540064753bb1ace"),
        ("3332373637", "00c1ff7f0a00495a37da17f4d52b"),
        ("3332373638", "00c2008000000a0045d82eedd5bda910"),
        (
            "616161616161616161616161616161616161616161",
            "00c30615016161e00a000a00fd0cb36807413f68",
        ),
        (
            "6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839",
            "00246162636465666768696a6b6c6d6e6f707172737475767778797a303132333435363738390a00c3d18e5aec8d8f0d",
        ),
        (
            "78787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878",
            "00c3094064017878e057000178780a005db7f663bb08625f",
        ),
        (
            "6162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162",
            "00c30a405002616261e042010161620a00949d5f0eb1dea445",
        ),
        (
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
            "00c3404a40801f000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f0000e0343f013e3f0a00fbb1423a0383418d",
        ),
        ("3131313131313131313131", "000b31313131313131313131310a00e22d0a1ca071c3b5"),
        ("3132333435363738393031", "000b31323334353637383930310a00304e52d727176510"),
    ];

    #[test]
    fn dump_matches_redis_and_restores() {
        for (value, payload) in GOLDEN {
            let (value, payload) = (hex(value), hex(payload));
            let stored = Value::String(StringValue::from_bytes(&value));
            assert_eq!(dump(&stored, true), payload, "value {value:?}");
            let restored = restore(&payload).unwrap();
            assert_eq!(restored, stored, "value {value:?}");
            // The same bytes in a non-int string encode the same way.
            let raw = Value::String(StringValue::from_bytes_no_int(&value));
            assert_eq!(dump(&raw, true), payload, "raw {value:?}");
        }
    }

    #[test]
    fn without_compression_long_strings_are_verbatim() {
        let value = Value::String(StringValue::from_bytes(&[b'x'; 100]));
        let payload = dump(&value, false);
        assert_eq!(&payload[..3], &[0x00, 0x40, 100]);
        assert_eq!(restore(&payload).unwrap(), value);
    }

    #[test]
    fn damaged_payloads_are_refused() {
        let good = hex("000568656c6c6f0a006372df766534200a");
        assert_eq!(restore(&good[..9]), Err(PayloadError::VersionOrChecksum));
        let mut flipped = good.clone();
        flipped[3] ^= 1;
        assert_eq!(restore(&flipped), Err(PayloadError::VersionOrChecksum));
        // A newer RDB version is refused even with a right checksum.
        let mut newer = good[..good.len() - 10].to_vec();
        newer.extend_from_slice(&11u16.to_le_bytes());
        let crc = crc64(0, &newer);
        newer.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(restore(&newer), Err(PayloadError::VersionOrChecksum));
        // Well-formed footers around broken bodies.
        for body in [
            &b""[..],
            &[0x05][..],
            &[0x00, 0x05, b'h'][..],
            &[0x00, 0xc4][..],
            &[0x00, 0xc3, 0x01, 0x7f, 0x00][..],
            &[0x00, 0x82][..],
            &[0x00, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
        ] {
            let mut payload = body.to_vec();
            payload.extend_from_slice(&RDB_VERSION.to_le_bytes());
            let crc = crc64(0, &payload);
            payload.extend_from_slice(&crc.to_le_bytes());
            assert_eq!(restore(&payload), Err(PayloadError::BadFormat), "{body:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600), compress: bool) {
            let value = Value::String(StringValue::from_bytes(&bytes));
            proptest::prop_assert_eq!(restore(&dump(&value, compress)).unwrap(), value);
        }

        #[test]
        fn hostile_payloads_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let mut payload = body.clone();
            payload.extend_from_slice(&RDB_VERSION.to_le_bytes());
            let crc = crc64(0, &payload);
            payload.extend_from_slice(&crc.to_le_bytes());
            let _ = restore(&payload);
            let _ = restore(&body);
        }
    }
}
