//! The reply writer: every handler writes its reply into a `ReplyWriter`
//! (Redis's `addReply*` family), never into a returned tree, so a pipeline's
//! replies accumulate in one buffer and leave in one write.
//!
//! RESP3-only types degrade to their RESP2 forms exactly as Redis 7.0 does
//! (`networking.c`): maps become flat arrays, sets arrays, doubles bulk
//! strings, booleans integers, verbatim strings bulk strings, nulls `$-1`.

use crate::number::format_double;

/// Protocol version negotiated with `HELLO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, the default for a new connection.
    #[default]
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

/// Accumulates encoded replies for one connection.
#[derive(Debug, Default)]
pub struct ReplyWriter {
    buf: Vec<u8>,
    protocol: Protocol,
}

impl ReplyWriter {
    /// A writer for `protocol` with an empty buffer.
    pub fn new(protocol: Protocol) -> Self {
        ReplyWriter {
            buf: Vec::with_capacity(256),
            protocol,
        }
    }

    /// The protocol replies are encoded in.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Switches protocol (HELLO); affects replies written afterwards.
    pub fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = protocol;
    }

    /// True when RESP3 is in effect.
    pub fn is_resp3(&self) -> bool {
        self.protocol == Protocol::Resp3
    }

    /// Encoded bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Number of encoded bytes pending.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Drops pending bytes (keeps the allocation).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Drops everything written after `len` (used to undo a partial reply).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// Takes the pending bytes out, leaving the writer empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Mutable access to the raw buffer, for callers that append pre-encoded
    /// RESP (MONITOR lines, replies captured by MULTI/EXEC).
    pub fn raw_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Appends already-encoded RESP bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string `+text`. `text` must not contain CR or LF.
    pub fn simple(&mut self, text: &str) {
        self.simple_bytes(text.as_bytes());
    }

    /// A simple string from bytes; CR and LF are replaced by spaces as Redis's
    /// `addReplyStatusLength` callers guarantee.
    pub fn simple_bytes(&mut self, text: &[u8]) {
        self.buf.push(b'+');
        self.push_line_safe(text);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply. `message` carries its own prefix (`ERR ...`,
    /// `WRONGTYPE ...`); a leading `-` is added. Newlines are replaced by
    /// spaces, as `addReplyErrorLength` does.
    pub fn error(&mut self, message: &str) {
        self.error_bytes(message.as_bytes());
    }

    /// An error whose message holds arbitrary bytes (client input echoed
    /// back); CR and LF become spaces so the reply stays one line.
    pub fn error_bytes(&mut self, message: &[u8]) {
        self.buf.push(b'-');
        self.push_line_safe(message);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn push_line_safe(&mut self, text: &[u8]) {
        for &byte in text {
            self.buf.push(if byte == b'\r' || byte == b'\n' {
                b' '
            } else {
                byte
            });
        }
    }

    /// An integer `:n`.
    pub fn integer(&mut self, value: i64) {
        self.buf.push(b':');
        self.push_decimal(value);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn push_decimal(&mut self, value: i64) {
        self.buf
            .extend_from_slice(DecimalBuf::new(value).as_bytes());
    }

    fn header(&mut self, prefix: u8, len: usize) {
        self.buf.push(prefix);
        self.push_decimal(len as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string `$len\r\nbytes\r\n`.
    pub fn bulk(&mut self, bytes: &[u8]) {
        self.header(b'$', bytes.len());
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `value`.
    pub fn bulk_integer(&mut self, value: i64) {
        let digits = DecimalBuf::new(value);
        self.bulk(digits.as_bytes());
    }

    /// The null reply for a missing bulk string: `$-1` (RESP2) or `_` (RESP3).
    pub fn null(&mut self) {
        match self.protocol {
            Protocol::Resp2 => self.buf.extend_from_slice(b"$-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// The null reply for a missing array: `*-1` (RESP2) or `_` (RESP3).
    pub fn null_array(&mut self) {
        match self.protocol {
            Protocol::Resp2 => self.buf.extend_from_slice(b"*-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// An array header of `len` elements; the caller writes the elements.
    pub fn array(&mut self, len: usize) {
        self.header(b'*', len);
    }

    /// A map header of `len` key/value pairs (RESP2: an array of `2 * len`).
    pub fn map(&mut self, len: usize) {
        match self.protocol {
            Protocol::Resp2 => self.header(b'*', len * 2),
            Protocol::Resp3 => self.header(b'%', len),
        }
    }

    /// A set header (RESP2: an array).
    pub fn set(&mut self, len: usize) {
        match self.protocol {
            Protocol::Resp2 => self.header(b'*', len),
            Protocol::Resp3 => self.header(b'~', len),
        }
    }

    /// A push header (RESP2: an array), for pub/sub messages.
    pub fn push(&mut self, len: usize) {
        match self.protocol {
            Protocol::Resp2 => self.header(b'*', len),
            Protocol::Resp3 => self.header(b'>', len),
        }
    }

    /// A double, formatted like Redis's `%.17g` (RESP2: as a bulk string).
    pub fn double(&mut self, value: f64) {
        let text = format_double(value);
        match self.protocol {
            Protocol::Resp2 => self.bulk(text.as_bytes()),
            Protocol::Resp3 => {
                self.buf.push(b',');
                self.buf.extend_from_slice(text.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A boolean (RESP2: `:1` / `:0`).
    pub fn boolean(&mut self, value: bool) {
        match self.protocol {
            Protocol::Resp2 => self.integer(i64::from(value)),
            Protocol::Resp3 => {
                self.buf
                    .extend_from_slice(if value { b"#t\r\n" } else { b"#f\r\n" })
            }
        }
    }

    /// A verbatim string with a 3-letter format such as `txt` (RESP2: bulk).
    pub fn verbatim(&mut self, format: &str, bytes: &[u8]) {
        debug_assert_eq!(format.len(), 3, "verbatim formats are three bytes");
        match self.protocol {
            Protocol::Resp2 => self.bulk(bytes),
            Protocol::Resp3 => {
                self.header(b'=', bytes.len() + 4);
                self.buf.extend_from_slice(format.as_bytes());
                self.buf.push(b':');
                self.buf.extend_from_slice(bytes);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// An array of bulk strings.
    pub fn bulk_array<I, B>(&mut self, items: I)
    where
        I: IntoIterator<Item = B>,
        I::IntoIter: ExactSizeIterator,
        B: AsRef<[u8]>,
    {
        let items = items.into_iter();
        self.array(items.len());
        for item in items {
            self.bulk(item.as_ref());
        }
    }
}

/// A small stack buffer holding a decimal integer.
struct DecimalBuf {
    bytes: [u8; 20],
    start: usize,
}

impl DecimalBuf {
    fn new(value: i64) -> Self {
        let mut bytes = [0u8; 20];
        let mut start = bytes.len();
        let mut magnitude = value.unsigned_abs();
        loop {
            start -= 1;
            bytes[start] = b'0' + (magnitude % 10) as u8;
            magnitude /= 10;
            if magnitude == 0 {
                break;
            }
        }
        if value < 0 {
            start -= 1;
            bytes[start] = b'-';
        }
        DecimalBuf { bytes, start }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_encodings() {
        let mut w = ReplyWriter::new(Protocol::Resp2);
        w.ok();
        w.integer(-42);
        w.integer(i64::MIN);
        w.bulk(b"hi");
        w.null();
        w.null_array();
        w.map(1);
        w.boolean(true);
        w.double(1.5);
        w.error("ERR bad\r\nthing");
        w.bulk_integer(-7);
        assert_eq!(
            w.as_bytes(),
            &b"+OK\r\n:-42\r\n:-9223372036854775808\r\n$2\r\nhi\r\n$-1\r\n*-1\r\n*2\r\n:1\r\n$3\r\n1.5\r\n-ERR bad  thing\r\n$2\r\n-7\r\n"[..]
        );
    }

    #[test]
    fn resp3_encodings() {
        let mut w = ReplyWriter::new(Protocol::Resp3);
        w.null();
        w.map(2);
        w.set(1);
        w.boolean(false);
        w.double(f64::INFINITY);
        w.verbatim("txt", b"abc");
        w.push(3);
        assert_eq!(
            w.as_bytes(),
            &b"_\r\n%2\r\n~1\r\n#f\r\n,inf\r\n=7\r\ntxt:abc\r\n>3\r\n"[..]
        );
    }
}
