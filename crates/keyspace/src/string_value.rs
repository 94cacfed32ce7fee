//! String values and their encodings (Redis `OBJ_STRING` with
//! `OBJ_ENCODING_INT`, `OBJ_ENCODING_EMBSTR` and `OBJ_ENCODING_RAW`).
//!
//! Owns the compact representation of a string value: 24 bytes, integers
//! held as `i64`, strings up to 22 bytes held inline, longer ones in one heap
//! allocation, and strings mutated in place (APPEND, SETRANGE, SETBIT) in a
//! growable buffer. Must never lose the distinction Redis reports through
//! `OBJECT ENCODING`, and never panic on any byte content.

use std::borrow::Cow;
use std::fmt;

/// Longest string held inside the value itself (no allocation).
const INLINE_CAPACITY: usize = 22;

/// Redis `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`: strings up to this length are
/// reported as `embstr` when created by SET and friends.
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// Redis `LONG_STR_SIZE - 1`: only strings this short are tried as integers
/// (`tryObjectEncoding`, `string2ll`).
pub const MAX_INT_STRING_LEN: usize = 20;

#[derive(Clone)]
enum Repr {
    /// `int` encoding.
    Int(i64),
    /// `embstr`, short enough to live inline.
    Inline {
        len: u8,
        bytes: [u8; INLINE_CAPACITY],
    },
    /// Exact-size heap copy: `embstr` up to 44 bytes, `raw` beyond, as
    /// `tryObjectEncoding` would leave a string SET from a client.
    Boxed(Box<[u8]>),
    /// `raw`, growable: a value that was modified in place. Boxed because a
    /// bare `Vec` (24 bytes) would make every value 32 bytes; only values
    /// mutated in place pay the extra allocation.
    #[allow(clippy::box_collection)]
    Raw(Box<Vec<u8>>),
}

/// A string value, compactly encoded: integers as `i64`, short strings
/// inline, longer ones in one heap allocation.
#[derive(Clone)]
pub struct StringValue {
    repr: Repr,
}

/// Parses `bytes` as Redis `string2ll` does: optional `-`, no leading zeros,
/// no `+`, no spaces, no `-0`, at most 20 bytes, within `i64`.
pub fn parse_strict_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > MAX_INT_STRING_LEN {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let (&first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut magnitude = u64::from(first - b'0');
    for &digit in rest {
        if !digit.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
    }
    if negative {
        // -(i64::MIN) does not fit in i64, so compare in u64.
        if magnitude > i64::MIN.unsigned_abs() {
            return None;
        }
        Some(0i64.wrapping_sub_unsigned(magnitude))
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Writes `value` in decimal into `buffer`, returning the used tail.
fn format_i64(value: i64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut magnitude = value.unsigned_abs();
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if value < 0 {
        start -= 1;
        buffer[start] = b'-';
    }
    &buffer[start..]
}

fn decimal_len(value: i64) -> usize {
    let mut magnitude = value.unsigned_abs();
    let mut digits = 1;
    while magnitude >= 10 {
        magnitude /= 10;
        digits += 1;
    }
    digits + usize::from(value < 0)
}

impl StringValue {
    /// A value as `SET` stores it: int-encoded when the bytes are a strict
    /// decimal `i64` of at most 20 characters, else embstr (≤ 44 bytes) or raw.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if let Some(value) = parse_strict_i64(bytes) {
            return StringValue {
                repr: Repr::Int(value),
            };
        }
        Self::from_bytes_no_int(bytes)
    }

    /// Like [`StringValue::from_bytes`] but never int-encoded (Redis values
    /// created with `createStringObject`, e.g. INCRBYFLOAT results).
    pub fn from_bytes_no_int(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAPACITY {
            let mut inline = [0u8; INLINE_CAPACITY];
            inline[..bytes.len()].copy_from_slice(bytes);
            StringValue {
                repr: Repr::Inline {
                    len: bytes.len() as u8,
                    bytes: inline,
                },
            }
        } else {
            StringValue {
                repr: Repr::Boxed(bytes.into()),
            }
        }
    }

    /// An int-encoded value (INCR and friends).
    pub fn from_i64(value: i64) -> Self {
        StringValue {
            repr: Repr::Int(value),
        }
    }

    /// A raw-encoded value owning `bytes` (SETRANGE or APPEND creating a key
    /// the way Redis does with `createObject(OBJ_STRING, sds)`).
    pub fn from_raw_vec(bytes: Vec<u8>) -> Self {
        StringValue {
            repr: Repr::Raw(Box::new(bytes)),
        }
    }

    /// The integer value when the string is a strict decimal `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.repr {
            Repr::Int(value) => Some(*value),
            _ => parse_strict_i64(self.stored_bytes()),
        }
    }

    /// Length in bytes of the string form.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Int(value) => decimal_len(*value),
            _ => self.stored_bytes().len(),
        }
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The string form (borrowed unless int-encoded).
    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match &self.repr {
            Repr::Int(value) => Cow::Owned(format_i64(*value, &mut [0; 20]).to_vec()),
            _ => Cow::Borrowed(self.stored_bytes()),
        }
    }

    /// Calls `visit` with the string form without allocating, even for
    /// int-encoded values (GET on a counter).
    pub fn with_bytes<R>(&self, visit: impl FnOnce(&[u8]) -> R) -> R {
        match &self.repr {
            Repr::Int(value) => visit(format_i64(*value, &mut [0; 20])),
            _ => visit(self.stored_bytes()),
        }
    }

    /// Converts to the raw encoding and gives mutable access to the bytes
    /// (APPEND, SETRANGE, SETBIT, BITFIELD). Growth is amortised.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self.repr, Repr::Raw(_)) {
            let bytes = self.as_bytes().into_owned();
            self.repr = Repr::Raw(Box::new(bytes));
        }
        match &mut self.repr {
            Repr::Raw(bytes) => bytes,
            // Invariant: the branch above just stored `Repr::Raw`.
            _ => unreachable!("make_raw stored a raw buffer"),
        }
    }

    /// `int`, `embstr` or `raw`, as Redis reports it.
    pub fn encoding_name(&self) -> &'static str {
        match &self.repr {
            Repr::Int(_) => "int",
            Repr::Inline { .. } => "embstr",
            Repr::Boxed(bytes) if bytes.len() <= EMBSTR_SIZE_LIMIT => "embstr",
            Repr::Boxed(_) | Repr::Raw(_) => "raw",
        }
    }

    /// Bytes this value owns on the heap, beyond its own 24 bytes
    /// (MEMORY USAGE estimates).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Int(_) | Repr::Inline { .. } => 0,
            Repr::Boxed(bytes) => bytes.len(),
            Repr::Raw(bytes) => std::mem::size_of::<Vec<u8>>() + bytes.capacity(),
        }
    }

    /// The stored bytes of a non-int representation.
    fn stored_bytes(&self) -> &[u8] {
        match &self.repr {
            Repr::Int(_) => &[],
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Boxed(bytes) => bytes,
            Repr::Raw(bytes) => bytes,
        }
    }
}

/// Values compare by their string form, whatever the encoding (a counter
/// that reached 5 equals a SET of "5").
impl PartialEq for StringValue {
    fn eq(&self, other: &Self) -> bool {
        match (&self.repr, &other.repr) {
            (Repr::Int(left), Repr::Int(right)) => left == right,
            _ => self.with_bytes(|left| other.with_bytes(|right| left == right)),
        }
    }
}

impl Eq for StringValue {}

impl fmt::Debug for StringValue {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_bytes(|bytes| {
            write!(
                formatter,
                "StringValue({}: \"{}\")",
                self.encoding_name(),
                bytes.escape_ascii()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_integer_parsing_follows_string2ll() {
        for (text, expected) in [
            ("0", Some(0)),
            ("1", Some(1)),
            ("-1", Some(-1)),
            ("123456789", Some(123_456_789)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("-9223372036854775809", None),
            ("99999999999999999999", None),
            ("-0", None),
            ("00", None),
            ("01", None),
            ("+1", None),
            (" 1", None),
            ("1 ", None),
            ("-", None),
            ("", None),
            ("1a", None),
            ("1.0", None),
            ("\u{0661}", None),
        ] {
            assert_eq!(parse_strict_i64(text.as_bytes()), expected, "{text:?}");
        }
        assert_eq!(parse_strict_i64(b"000000000000000000001"), None);
    }

    #[test]
    fn encodings_follow_try_object_encoding() {
        assert_eq!(StringValue::from_bytes(b"12345").encoding_name(), "int");
        assert_eq!(StringValue::from_bytes(b"-12345").encoding_name(), "int");
        assert_eq!(StringValue::from_bytes(b"012345").encoding_name(), "embstr");
        assert_eq!(StringValue::from_bytes(b"").encoding_name(), "embstr");
        assert_eq!(
            StringValue::from_bytes(&[b'x'; 22]).encoding_name(),
            "embstr"
        );
        assert_eq!(
            StringValue::from_bytes(&[b'x'; 23]).encoding_name(),
            "embstr"
        );
        assert_eq!(
            StringValue::from_bytes(&[b'x'; 44]).encoding_name(),
            "embstr"
        );
        assert_eq!(StringValue::from_bytes(&[b'x'; 45]).encoding_name(), "raw");
        // 21 digits: too long to try as an integer.
        assert_eq!(
            StringValue::from_bytes(b"100000000000000000000").encoding_name(),
            "embstr"
        );
        assert_eq!(StringValue::from_i64(7).encoding_name(), "int");
        assert_eq!(
            StringValue::from_bytes_no_int(b"7").encoding_name(),
            "embstr"
        );
        assert_eq!(
            StringValue::from_raw_vec(b"7".to_vec()).encoding_name(),
            "raw"
        );
    }

    #[test]
    fn round_trips_bytes() {
        let samples: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"0".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"hello".to_vec(),
            vec![0u8, 255, 1, 2],
            vec![b'y'; 22],
            vec![b'y'; 23],
            vec![7u8; 44],
            vec![9u8; 1000],
        ];
        for sample in samples {
            let value = StringValue::from_bytes(&sample);
            assert_eq!(value.as_bytes().as_ref(), sample.as_slice());
            assert_eq!(value.len(), sample.len());
            assert_eq!(value.is_empty(), sample.is_empty());
            assert!(value.with_bytes(|bytes| bytes == sample.as_slice()));
        }
    }

    #[test]
    fn int_values_render_and_measure() {
        for number in [0, 1, 9, 10, -1, -10, 99, 100, i64::MAX, i64::MIN, 1234567] {
            let value = StringValue::from_i64(number);
            let text = number.to_string();
            assert_eq!(value.as_bytes().as_ref(), text.as_bytes());
            assert_eq!(value.len(), text.len());
            assert_eq!(value.as_i64(), Some(number));
            assert!(matches!(value.as_bytes(), Cow::Owned(_)));
        }
        assert_eq!(StringValue::from_bytes(b"abc").as_i64(), None);
        assert_eq!(StringValue::from_bytes_no_int(b"42").as_i64(), Some(42));
        assert_eq!(StringValue::from_bytes_no_int(b"042").as_i64(), None);
    }

    #[test]
    fn make_raw_converts_and_keeps_content() {
        let mut value = StringValue::from_i64(12);
        value.make_raw().extend_from_slice(b"34");
        assert_eq!(value.encoding_name(), "raw");
        assert_eq!(value.as_bytes().as_ref(), b"1234");
        // A raw value stays raw even though it now looks like an integer.
        assert_eq!(value.as_i64(), Some(1234));
        assert_eq!(value.encoding_name(), "raw");

        let mut short = StringValue::from_bytes(b"ab");
        short.make_raw().push(b'c');
        assert_eq!(short.as_bytes().as_ref(), b"abc");
        assert_eq!(short.encoding_name(), "raw");

        let mut long = StringValue::from_bytes(&[b'z'; 30]);
        long.make_raw().truncate(3);
        assert_eq!(long.as_bytes().as_ref(), b"zzz");
        assert!(long.heap_bytes() >= 3);
    }

    #[test]
    fn equality_ignores_encoding() {
        assert_eq!(StringValue::from_i64(5), StringValue::from_bytes(b"5"));
        assert_eq!(
            StringValue::from_i64(5),
            StringValue::from_raw_vec(b"5".to_vec())
        );
        assert_ne!(StringValue::from_i64(5), StringValue::from_bytes(b"05"));
        assert_ne!(StringValue::from_bytes(b"a"), StringValue::from_bytes(b"b"));
    }

    #[test]
    fn compact_layout() {
        assert!(std::mem::size_of::<StringValue>() <= 24);
        assert_eq!(StringValue::from_bytes(b"short").heap_bytes(), 0);
        assert_eq!(StringValue::from_i64(1 << 40).heap_bytes(), 0);
        assert_eq!(StringValue::from_bytes(&[1u8; 30]).heap_bytes(), 30);
    }

    #[test]
    fn debug_is_readable() {
        let text = format!("{:?}", StringValue::from_bytes(b"hi\n"));
        assert_eq!(text, "StringValue(embstr: \"hi\\n\")");
    }
}
