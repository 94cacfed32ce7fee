//! A decoded RESP2/RESP3 value (the RESP3 spec's types), its decoder and
//! encoder, for tests and Shoal's own client tools.
//!
//! This module owns reply-side framing only. It never performs I/O and is
//! not on the server's hot path; the server encodes replies with
//! `ReplyWriter` and parses requests with `RequestParser`. Decoding is
//! strict (every line must end in `\r\n`), incomplete input is never an
//! error, and nesting is bounded so hostile input cannot overflow the stack.

use memchr::memchr;

use crate::number::parse_i64_strict;

/// Deepest aggregate nesting [`parse_frame`] accepts; deeper input is a
/// [`FrameError`] rather than unbounded recursion.
pub const MAX_FRAME_DEPTH: usize = 512;

/// Initial capacity cap for aggregates, so a huge declared length in a short
/// input does not allocate up front.
const MAX_PREALLOCATED_ITEMS: usize = 1024;

/// One RESP value.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+text`
    Simple(String),
    /// `-text`
    Error(String),
    /// `:n`
    Integer(i64),
    /// `$n` bulk string
    Bulk(Vec<u8>),
    /// `$-1`, `*-1` or `_`
    Null,
    /// `*n`
    Array(Vec<Frame>),
    /// `%n`
    Map(Vec<(Frame, Frame)>),
    /// `~n`
    Set(Vec<Frame>),
    /// `>n`
    Push(Vec<Frame>),
    /// `,d` (kept as text so tests compare exact formatting)
    Double(String),
    /// `#t` / `#f`
    Boolean(bool),
    /// `=n fmt:text`
    Verbatim(String, Vec<u8>),
    /// `(n`
    BigNumber(String),
}

/// Malformed reply bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid RESP reply: {0}")]
pub struct FrameError(pub String);

fn invalid(what: impl Into<String>) -> FrameError {
    FrameError(what.into())
}

/// A decoded item and the offset just past it; `None` when incomplete.
type Decoded<T> = Result<Option<(T, usize)>, FrameError>;

/// Decodes one frame from the front of `bytes`: `Ok(Some((frame, used)))`,
/// `Ok(None)` when incomplete.
///
/// Text types (`+`, `-`, `,`, `(`, the verbatim format) are decoded as
/// UTF-8, with invalid bytes replaced (Redis may echo client bytes in
/// error messages). RESP3 attributes (`|n`) are decoded and dropped: the
/// result is the value that follows them.
pub fn parse_frame(bytes: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
    decode_value(bytes, 0, 0)
}

/// The line starting at `pos` (without its `\r\n`) and the offset after it.
fn decode_line(bytes: &[u8], pos: usize) -> Decoded<&[u8]> {
    let rest = bytes.get(pos..).unwrap_or_default();
    let Some(cr) = memchr(b'\r', rest) else {
        return Ok(None);
    };
    match rest.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') => Ok(Some((rest.get(..cr).unwrap_or_default(), pos + cr + 2))),
        Some(_) => Err(invalid("CR not followed by LF")),
    }
}

fn decode_integer(line: &[u8]) -> Result<i64, FrameError> {
    parse_i64_strict(line)
        .ok_or_else(|| invalid(format!("bad integer {:?}", String::from_utf8_lossy(line))))
}

/// A declared element count or length; `Ok(None)` for `-1` (null).
fn decode_length(line: &[u8]) -> Result<Option<usize>, FrameError> {
    match decode_integer(line)? {
        -1 => Ok(None),
        length => usize::try_from(length)
            .map(Some)
            .map_err(|_| invalid(format!("bad length {length}"))),
    }
}

/// `length` payload bytes at `pos`, followed by `\r\n`.
fn decode_blob(bytes: &[u8], pos: usize, length: usize) -> Decoded<&[u8]> {
    let end = pos
        .checked_add(length)
        .ok_or_else(|| invalid("length overflow"))?;
    let Some(trailer) = bytes.get(end..end.saturating_add(2)) else {
        return Ok(None);
    };
    if trailer.len() < 2 {
        return Ok(None);
    }
    if trailer != b"\r\n" {
        return Err(invalid("bulk payload not followed by CRLF"));
    }
    Ok(Some((bytes.get(pos..end).unwrap_or_default(), end + 2)))
}

fn text(line: &[u8]) -> String {
    String::from_utf8_lossy(line).into_owned()
}

/// `count` values starting at `pos`, each one level deeper than `depth`.
fn decode_items(bytes: &[u8], mut pos: usize, count: usize, depth: usize) -> Decoded<Vec<Frame>> {
    if depth >= MAX_FRAME_DEPTH {
        return Err(invalid(format!("nesting deeper than {MAX_FRAME_DEPTH}")));
    }
    let mut items = Vec::with_capacity(count.min(MAX_PREALLOCATED_ITEMS));
    for _ in 0..count {
        let Some((item, next)) = decode_value(bytes, pos, depth + 1)? else {
            return Ok(None);
        };
        items.push(item);
        pos = next;
    }
    Ok(Some((items, pos)))
}

fn decode_value(bytes: &[u8], mut pos: usize, depth: usize) -> Decoded<Frame> {
    // RESP3 attributes describe the value after them: decode and drop them.
    // A loop, not recursion, so a long run of attributes cannot overflow
    // the stack.
    while bytes.get(pos) == Some(&b'|') {
        let Some((line, after)) = decode_line(bytes, pos + 1)? else {
            return Ok(None);
        };
        let pairs = decode_length(line)?
            .and_then(|count| count.checked_mul(2))
            .ok_or_else(|| invalid("bad attribute length"))?;
        let Some((_, end)) = decode_items(bytes, after, pairs, depth)? else {
            return Ok(None);
        };
        pos = end;
    }
    let Some(&tag) = bytes.get(pos) else {
        return Ok(None);
    };
    let Some((line, after)) = decode_line(bytes, pos + 1)? else {
        return Ok(None);
    };
    let aggregate = |count: Option<usize>| -> Decoded<Vec<Frame>> {
        let count = count.ok_or_else(|| invalid("null aggregate of this type"))?;
        decode_items(bytes, after, count, depth)
    };
    let (frame, end) = match tag {
        b'+' => (Frame::Simple(text(line)), after),
        b'-' => (Frame::Error(text(line)), after),
        b':' => (Frame::Integer(decode_integer(line)?), after),
        b'$' => match decode_length(line)? {
            None => (Frame::Null, after),
            Some(length) => {
                let Some((payload, end)) = decode_blob(bytes, after, length)? else {
                    return Ok(None);
                };
                (Frame::Bulk(payload.to_vec()), end)
            }
        },
        b'=' => {
            let length = decode_length(line)?.ok_or_else(|| invalid("null verbatim string"))?;
            let Some((payload, end)) = decode_blob(bytes, after, length)? else {
                return Ok(None);
            };
            // "fmt:" — a three-byte format and a colon (RESP3 spec).
            match (payload.get(..3), payload.get(3), payload.get(4..)) {
                (Some(format), Some(b':'), Some(data)) => {
                    (Frame::Verbatim(text(format), data.to_vec()), end)
                }
                _ => return Err(invalid("verbatim string without a format prefix")),
            }
        }
        b'*' => match decode_length(line)? {
            None => (Frame::Null, after),
            Some(count) => {
                let Some((items, end)) = decode_items(bytes, after, count, depth)? else {
                    return Ok(None);
                };
                (Frame::Array(items), end)
            }
        },
        b'~' => {
            let Some((items, end)) = aggregate(decode_length(line)?)? else {
                return Ok(None);
            };
            (Frame::Set(items), end)
        }
        b'>' => {
            let Some((items, end)) = aggregate(decode_length(line)?)? else {
                return Ok(None);
            };
            (Frame::Push(items), end)
        }
        b'%' => {
            let pairs = decode_length(line)?
                .map(|count| {
                    count
                        .checked_mul(2)
                        .ok_or_else(|| invalid("length overflow"))
                })
                .transpose()?;
            let Some((items, end)) = aggregate(pairs)? else {
                return Ok(None);
            };
            let mut items = items.into_iter();
            let mut map = Vec::with_capacity(items.len() / 2);
            while let (Some(key), Some(value)) = (items.next(), items.next()) {
                map.push((key, value));
            }
            (Frame::Map(map), end)
        }
        b'_' if line.is_empty() => (Frame::Null, after),
        b'_' => return Err(invalid("null with a payload")),
        b',' => (Frame::Double(text(line)), after),
        b'#' => match line {
            b"t" => (Frame::Boolean(true), after),
            b"f" => (Frame::Boolean(false), after),
            _ => return Err(invalid("bad boolean")),
        },
        b'(' => (Frame::BigNumber(text(line)), after),
        other => return Err(invalid(format!("unknown type byte {other:#04x}"))),
    };
    Ok(Some((frame, end)))
}

/// Appends `text` with CR and LF replaced by spaces, so a line type can
/// never break framing (as `ReplyWriter` does).
fn push_line(out: &mut Vec<u8>, text: &[u8]) {
    out.extend(text.iter().map(|&byte| {
        if byte == b'\r' || byte == b'\n' {
            b' '
        } else {
            byte
        }
    }));
}

fn push_header(out: &mut Vec<u8>, tag: u8, length: usize) {
    out.push(tag);
    out.extend_from_slice(length.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

impl Frame {
    /// Appends this value as RESP3 (`Null` as `_`). CR/LF inside line types
    /// (`Simple`, `Error`, `Double`, `BigNumber`) are written as spaces.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let line = |out: &mut Vec<u8>, tag: u8, body: &[u8]| {
            out.push(tag);
            push_line(out, body);
            out.extend_from_slice(b"\r\n");
        };
        match self {
            Frame::Simple(body) => line(out, b'+', body.as_bytes()),
            Frame::Error(body) => line(out, b'-', body.as_bytes()),
            Frame::Integer(value) => line(out, b':', value.to_string().as_bytes()),
            Frame::Double(body) => line(out, b',', body.as_bytes()),
            Frame::BigNumber(body) => line(out, b'(', body.as_bytes()),
            Frame::Boolean(value) => line(out, b'#', if *value { b"t" } else { b"f" }),
            Frame::Null => out.extend_from_slice(b"_\r\n"),
            Frame::Bulk(payload) => {
                push_header(out, b'$', payload.len());
                out.extend_from_slice(payload);
                out.extend_from_slice(b"\r\n");
            }
            Frame::Verbatim(format, payload) => {
                push_header(out, b'=', format.len() + 1 + payload.len());
                out.extend_from_slice(format.as_bytes());
                out.push(b':');
                out.extend_from_slice(payload);
                out.extend_from_slice(b"\r\n");
            }
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                let tag = match self {
                    Frame::Set(_) => b'~',
                    Frame::Push(_) => b'>',
                    _ => b'*',
                };
                push_header(out, tag, items.len());
                for item in items {
                    item.encode(out);
                }
            }
            Frame::Map(pairs) => {
                push_header(out, b'%', pairs.len());
                for (key, value) in pairs {
                    key.encode(out);
                    value.encode(out);
                }
            }
        }
    }
}

/// Encodes a command as a RESP multibulk request (`*N` of `$len` bulks), as
/// clients send it.
pub fn encode_command(args: &[&[u8]]) -> Vec<u8> {
    let payload: usize = args.iter().map(|arg| arg.len() + 16).sum();
    let mut out = Vec::with_capacity(payload + 16);
    push_header(&mut out, b'*', args.len());
    for arg in args {
        push_header(&mut out, b'$', arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_whole(bytes: &[u8]) -> Frame {
        let (frame, used) = parse_frame(bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len(), "{bytes:?}");
        frame
    }

    fn bulk(text: &str) -> Frame {
        Frame::Bulk(text.as_bytes().to_vec())
    }

    #[test]
    fn decodes_every_type() {
        let cases: Vec<(&[u8], Frame)> = vec![
            (b"+OK\r\n", Frame::Simple("OK".into())),
            (b"-ERR bad\r\n", Frame::Error("ERR bad".into())),
            (b":-42\r\n", Frame::Integer(-42)),
            (b"$5\r\nhe\r\no\r\n", Frame::Bulk(b"he\r\no".to_vec())),
            (b"$0\r\n\r\n", Frame::Bulk(Vec::new())),
            (b"$-1\r\n", Frame::Null),
            (b"*-1\r\n", Frame::Null),
            (b"_\r\n", Frame::Null),
            (
                b"*2\r\n$1\r\na\r\n:1\r\n",
                Frame::Array(vec![bulk("a"), Frame::Integer(1)]),
            ),
            (b"*0\r\n", Frame::Array(Vec::new())),
            (
                b"%2\r\n+a\r\n:1\r\n+b\r\n_\r\n",
                Frame::Map(vec![
                    (Frame::Simple("a".into()), Frame::Integer(1)),
                    (Frame::Simple("b".into()), Frame::Null),
                ]),
            ),
            (b"~1\r\n$1\r\nx\r\n", Frame::Set(vec![bulk("x")])),
            (
                b">2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n",
                Frame::Push(vec![bulk("message"), bulk("hi")]),
            ),
            (b",1.5\r\n", Frame::Double("1.5".into())),
            (b",inf\r\n", Frame::Double("inf".into())),
            (b"#t\r\n", Frame::Boolean(true)),
            (b"#f\r\n", Frame::Boolean(false)),
            (
                b"=8\r\ntxt:ab\r\n\r\n",
                Frame::Verbatim("txt".into(), b"ab\r\n".to_vec()),
            ),
            (
                b"(3492890328409238509324850943850943825024385\r\n",
                Frame::BigNumber("3492890328409238509324850943850943825024385".into()),
            ),
            (b"|1\r\n+ttl\r\n:3\r\n+OK\r\n", Frame::Simple("OK".into())),
            (
                b"-ERR got '\xff'\r\n",
                Frame::Error("ERR got '\u{fffd}'".into()),
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(parse_whole(bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn reports_bytes_used_and_leaves_the_rest() {
        let (frame, used) = parse_frame(b":1\r\n+next\r\n").unwrap().unwrap();
        assert_eq!(frame, Frame::Integer(1));
        assert_eq!(used, 4);
    }

    #[test]
    fn every_proper_prefix_is_incomplete() {
        let full: &[u8] = b"*4\r\n%1\r\n+k\r\n=7\r\ntxt:abc\r\n$4\r\nx\r\ny\r\n~1\r\n>1\r\n#t\r\n\
              |1\r\n:1\r\n:2\r\n:3\r\n";
        let expected = Frame::Array(vec![
            Frame::Map(vec![(
                Frame::Simple("k".into()),
                Frame::Verbatim("txt".into(), b"abc".to_vec()),
            )]),
            Frame::Bulk(b"x\r\ny".to_vec()),
            Frame::Set(vec![Frame::Push(vec![Frame::Boolean(true)])]),
            Frame::Integer(3),
        ]);
        assert_eq!(parse_frame(full), Ok(Some((expected, full.len()))));
        for end in 0..full.len() {
            assert_eq!(parse_frame(&full[..end]), Ok(None), "prefix of {end} bytes");
        }
    }

    #[test]
    fn rejects_malformed_input() {
        for bytes in [
            &b"?x\r\n"[..],
            b"+a\rb\r\n",
            b":1.5\r\n",
            b":01\r\n",
            b"$-2\r\n",
            b"$x\r\n",
            b"$3\r\nabcd\r\n",
            b"*-2\r\n",
            b"~-1\r\n",
            b"%-1\r\n",
            b"_x\r\n",
            b"#x\r\n",
            b"=2\r\nab\r\n",
            b"=4\r\ntxtx\r\n",
            b"=-1\r\n",
        ] {
            assert!(parse_frame(bytes).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| {
            let mut bytes = b"*1\r\n".repeat(depth);
            bytes.extend_from_slice(b":7\r\n");
            bytes
        };
        let mut expected = Frame::Integer(7);
        for _ in 0..MAX_FRAME_DEPTH {
            expected = Frame::Array(vec![expected]);
        }
        assert_eq!(parse_whole(&nested(MAX_FRAME_DEPTH)), expected);
        assert!(parse_frame(&nested(MAX_FRAME_DEPTH + 1)).is_err());
        // Hostile depth fails fast, even before the input is complete.
        assert!(parse_frame(&b"*1\r\n".repeat(1_000_000)).is_err());
        assert!(parse_frame(&b"|1\r\n".repeat(100_000)).is_err());
        // A long run of sibling attributes is iterated, not recursed.
        let mut attributes = b"|0\r\n".repeat(200_000);
        attributes.extend_from_slice(b"#t\r\n");
        assert_eq!(parse_whole(&attributes), Frame::Boolean(true));
    }

    #[test]
    fn huge_declared_lengths_are_incomplete_not_allocated() {
        assert_eq!(parse_frame(b"*4000000000\r\n:1\r\n"), Ok(None));
        assert_eq!(parse_frame(b"$4000000000\r\nabc"), Ok(None));
        assert!(parse_frame(b"$9223372036854775807\r\n").unwrap().is_none());
    }

    #[test]
    fn encodes_commands_and_frames() {
        assert_eq!(
            encode_command(&[b"GET", b"k\r\n"]),
            b"*2\r\n$3\r\nGET\r\n$3\r\nk\r\n\r\n"
        );
        assert_eq!(encode_command(&[]), b"*0\r\n");
        let mut out = Vec::new();
        Frame::Array(vec![
            Frame::Null,
            Frame::Simple("a\nb".into()),
            Frame::Boolean(false),
        ])
        .encode(&mut out);
        assert_eq!(out, b"*3\r\n_\r\n+a b\r\n#f\r\n");
        out.clear();
        Frame::Verbatim("txt".into(), b"hi".to_vec()).encode(&mut out);
        assert_eq!(out, b"=6\r\ntxt:hi\r\n");
    }

    fn arb_frame() -> impl Strategy<Value = Frame> {
        let line_text = "[a-zA-Z0-9 :'_-]{0,12}";
        let leaf = prop_oneof![
            line_text.prop_map(Frame::Simple),
            line_text.prop_map(Frame::Error),
            any::<i64>().prop_map(Frame::Integer),
            proptest::collection::vec(any::<u8>(), 0..16).prop_map(Frame::Bulk),
            Just(Frame::Null),
            any::<f64>().prop_map(|value| Frame::Double(crate::format_double(value))),
            any::<bool>().prop_map(Frame::Boolean),
            ("[a-z]{3}", proptest::collection::vec(any::<u8>(), 0..16))
                .prop_map(|(format, data)| Frame::Verbatim(format, data)),
            "-?[1-9][0-9]{0,40}".prop_map(Frame::BigNumber),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Frame::Array),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Frame::Set),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Frame::Push),
                proptest::collection::vec((inner.clone(), inner), 0..3).prop_map(Frame::Map),
            ]
        })
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(frame in arb_frame()) {
            let mut bytes = Vec::new();
            frame.encode(&mut bytes);
            prop_assert_eq!(parse_frame(&bytes), Ok(Some((frame, bytes.len()))));
            for end in 0..bytes.len() {
                prop_assert_eq!(parse_frame(&bytes[..end]), Ok(None));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(Some((_, used))) = parse_frame(&bytes) {
                prop_assert!(used <= bytes.len());
            }
        }
    }
}
