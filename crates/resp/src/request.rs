//! Incremental request parser: Redis 7.0 `processInputBuffer`,
//! `processMultibulkBuffer` and `processInlineBuffer` (networking.c), and
//! `sdssplitargs` (sds.c) for inline commands.
//!
//! This module owns turning a connection's query buffer into argument
//! vectors, byte for byte as Redis does, including its quirks (see
//! [`RequestParser::parse`]). It never performs I/O, never interprets a
//! command and never copies multibulk argument bytes: arguments are
//! zero-copy slices of the query buffer.

use bytes::{Buf, Bytes, BytesMut};
use memchr::memchr2;

use crate::number::parse_i64_strict;

/// `PROTO_INLINE_MAX_SIZE` (server.h): the longest inline request, multibulk
/// count line or bulk length line Redis waits for before giving up, bytes.
const INLINE_MAX_BYTES: usize = 1024 * 64;

/// Bytes scanned byte by byte before switching to `memchr` for a line end.
const SHORT_LINE_BYTES: usize = 16;

/// Largest multibulk count an unauthenticated client may send (networking.c,
/// CVE-2021-32675 fix: `ll > 10 && authRequired(c)`).
const UNAUTHENTICATED_MAX_ARGS: i64 = 10;

/// Largest bulk an unauthenticated client may announce, bytes (networking.c:
/// `ll > 16384 && authRequired(c)`).
const UNAUTHENTICATED_MAX_BULK_BYTES: i64 = 16384;

/// Initial argument vector capacity cap (networking.c: `min(multibulklen,
/// 1024)`), so a huge declared count does not allocate up front.
const MAX_PREALLOCATED_ARGS: usize = 1024;

/// Limits enforced while parsing (from config and the client's auth state).
#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    /// `proto-max-bulk-len`: largest accepted bulk argument, bytes. Redis
    /// skips this check for the link to its primary (`CLIENT_MASTER`); pass
    /// `u64::MAX` there.
    pub max_bulk_len_bytes: u64,
    /// Largest accepted multibulk count; Redis 7.0 uses `INT_MAX` (not
    /// configurable). Larger counts fail with "invalid multibulk length".
    pub max_multibulk_len: u64,
    /// False while the client still has to authenticate (Redis `authRequired`:
    /// the default user has a password or is disabled, and the client has
    /// not authenticated). Unauthenticated clients may send at most 10
    /// arguments and bulks of at most 16384 bytes.
    pub authenticated: bool,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_bulk_len_bytes: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as u64,
            authenticated: true,
        }
    }
}

/// A malformed request. `Display` is the exact Redis error text after the
/// `-ERR ` prefix; [`ProtocolError::reply_bytes`] is the complete reply.
/// The server sends it and closes the connection after the reply
/// (Redis `setProtocolError` sets `CLIENT_CLOSE_AFTER_REPLY`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// More than 64 KiB buffered without a `\n` in inline mode.
    #[error("Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// `sdssplitargs` failed: an unterminated quote, or a closing quote
    /// followed by something other than a space.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// More than 64 KiB buffered after `*` without a `\r`.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// The `*` count is not a strict integer or exceeds the limit.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// More than 10 arguments before authentication.
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// More than 64 KiB buffered at a bulk header without a `\r`.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// A bulk header did not start with `$`; holds the byte found. CR and LF
    /// display as a space, as `addReplyErrorFormat` maps them; other
    /// non-ASCII bytes display as their Latin-1 character, while
    /// [`ProtocolError::reply_bytes`] carries the raw byte as Redis sends it.
    #[error("Protocol error: expected '$', got '{}'", display_byte(*.0))]
    ExpectedDollar(u8),
    /// The `$` length is not a strict integer, negative, or above
    /// `proto-max-bulk-len`.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A bulk longer than 16384 bytes before authentication.
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
}

/// The byte as `addReplyErrorFormat` leaves it: CR/LF become spaces.
fn sanitize_byte(byte: u8) -> u8 {
    if byte == b'\r' || byte == b'\n' {
        b' '
    } else {
        byte
    }
}

fn display_byte(byte: u8) -> char {
    char::from(sanitize_byte(byte))
}

impl ProtocolError {
    /// The complete error reply Redis sends, `-ERR <text>\r\n`, byte exact
    /// (including a raw non-UTF-8 byte in "expected '$', got 'X'").
    pub fn reply_bytes(&self) -> Vec<u8> {
        let mut out = b"-ERR ".to_vec();
        match self {
            ProtocolError::ExpectedDollar(byte) => {
                out.extend_from_slice(b"Protocol error: expected '$', got '");
                out.push(sanitize_byte(*byte));
                out.push(b'\'');
            }
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// Request framing chosen from the first byte (Redis `c->reqtype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RequestKind {
    Inline,
    Multibulk,
}

/// What one parsing step produced.
enum Step {
    /// More input is needed.
    Incomplete,
    /// An empty request (`*0`, `*-1`, blank inline line): skipped.
    Empty,
    /// A complete command.
    Command(Vec<Bytes>),
}

/// Parses requests out of a connection's query buffer.
///
/// Between calls the caller may only append to the buffer (the parser
/// remembers how far it has scanned the current header line, so input that
/// arrives in pieces is scanned once: O(total bytes)).
#[derive(Debug, Default)]
pub struct RequestParser {
    /// `c->reqtype`: `None` between requests.
    kind: Option<RequestKind>,
    /// `c->multibulklen`: arguments still to read; 0 while the `*` line is
    /// unread.
    remaining_args: usize,
    /// `c->bulklen`: length of the bulk being read, `None` while its `$`
    /// line is unread.
    bulk_len: Option<usize>,
    /// Arguments read so far for the current multibulk request.
    args: Vec<Bytes>,
    /// Offset into the buffer where the search for the current line's
    /// terminator resumes; bytes before it hold neither the terminator nor
    /// a NUL.
    line_scan_from: usize,
    /// A NUL precedes the current line's terminator. Redis finds line ends
    /// with `strchr`, which stops at NUL, so such a line never completes and
    /// only the 64 KiB limit can end the wait.
    line_blocked_by_nul: bool,
}

impl RequestParser {
    /// A parser in its initial state.
    pub fn new() -> Self {
        RequestParser::default()
    }

    /// Parses the next complete request from the front of `buf`, consuming
    /// its bytes (header bytes are consumed as soon as they are parsed, as
    /// Redis advances `qb_pos`). `Ok(None)`: more input is needed; partial
    /// input is never an error. Empty requests (`*0`, `*-1`, a blank or
    /// all-space inline line) are skipped, never returned.
    ///
    /// Redis 7.0 quirks kept on purpose, verified against redis-server:
    /// - the byte after a header's `\r` is skipped without checking it is
    ///   `\n`, and the two bytes after a bulk's payload are skipped without
    ///   checking they are `\r\n`;
    /// - a NUL before a header/inline line's terminator stalls the request
    ///   until the 64 KiB limit errors (Redis uses `strchr`);
    /// - the 64 KiB limits count all buffered bytes, so whether a long line
    ///   errors depends on how it arrives, as in Redis.
    ///
    /// After an error the parser is reset; the caller sends
    /// [`ProtocolError::reply_bytes`] and closes the connection.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        limits: &ParseLimits,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            let Some(&first) = buf.first() else {
                return Ok(None);
            };
            let kind = *self.kind.get_or_insert(if first == b'*' {
                RequestKind::Multibulk
            } else {
                RequestKind::Inline
            });
            let step = match kind {
                RequestKind::Inline => self.parse_inline(buf),
                RequestKind::Multibulk => self.parse_multibulk(buf, limits),
            };
            match step {
                Ok(Step::Incomplete) => return Ok(None),
                Ok(Step::Empty) => self.reset(),
                Ok(Step::Command(args)) => {
                    self.reset();
                    return Ok(Some(args));
                }
                Err(error) => {
                    self.reset();
                    return Err(error);
                }
            }
        }
    }

    /// When a bulk payload is being awaited, how many bytes the buffer must
    /// hold, counted from its front, to complete that bulk (payload plus the
    /// trailing `\r\n`; its header is already consumed). The server may
    /// `reserve` this much so a large argument lands in one allocation
    /// (Redis does the same for args of 32 KiB and more,
    /// `PROTO_MBULK_BIG_ARG`).
    pub fn pending_bulk_bytes(&self) -> Option<usize> {
        self.bulk_len.map(|len| len.saturating_add(2))
    }

    /// True when no request is partially parsed.
    pub fn is_idle(&self) -> bool {
        self.kind.is_none()
    }

    /// `resetClient`: back to "between requests".
    fn reset(&mut self) {
        self.kind = None;
        self.remaining_args = 0;
        self.bulk_len = None;
        self.args = Vec::new();
        self.reset_line();
    }

    fn reset_line(&mut self) {
        self.line_scan_from = 0;
        self.line_blocked_by_nul = false;
    }

    /// Finds the current line's `terminator` the way `strchr` does from the
    /// front of `buf` (stopping at NUL), resuming where the previous search
    /// stopped.
    fn find_line_end(&mut self, buf: &[u8], terminator: u8) -> Option<usize> {
        if self.line_blocked_by_nul {
            return None;
        }
        let from = self.line_scan_from.min(buf.len());
        let rest = buf.get(from..).unwrap_or_default();
        // Header lines (`$3\r`) are a few bytes long: a plain loop beats
        // memchr's setup cost there; long lines fall through to memchr.
        let short = rest.get(..SHORT_LINE_BYTES).unwrap_or(rest);
        let found = match short
            .iter()
            .position(|&byte| byte == terminator || byte == 0)
        {
            Some(offset) => Some(offset),
            None => memchr2(terminator, 0, rest.get(short.len()..).unwrap_or_default())
                .map(|offset| offset + short.len()),
        };
        match found {
            Some(offset) => {
                let at = from + offset;
                if buf.get(at) == Some(&terminator) {
                    // Stay on the terminator: a later call finds it at once.
                    self.line_scan_from = at;
                    Some(at)
                } else {
                    self.line_blocked_by_nul = true;
                    None
                }
            }
            None => {
                self.line_scan_from = buf.len();
                None
            }
        }
    }

    /// `processInlineBuffer`.
    fn parse_inline(&mut self, buf: &mut BytesMut) -> Result<Step, ProtocolError> {
        let Some(newline) = self.find_line_end(buf, b'\n') else {
            if buf.len() > INLINE_MAX_BYTES {
                return Err(ProtocolError::TooBigInlineRequest);
            }
            return Ok(Step::Incomplete);
        };
        // "Handle the \r\n case": strip one CR before the LF.
        let line_end = match newline.checked_sub(1) {
            Some(before) if buf.get(before) == Some(&b'\r') => before,
            _ => newline,
        };
        let line = buf.get(..line_end).unwrap_or_default();
        let args = split_inline_args(line).ok_or(ProtocolError::UnbalancedQuotes)?;
        buf.advance(newline + 1);
        self.reset_line();
        Ok(if args.is_empty() {
            Step::Empty
        } else {
            Step::Command(args)
        })
    }

    /// Finds a complete `\r`-terminated header line at the front of `buf`:
    /// `Ok(Some(cr))` with the index of its `\r` once one more byte (taken
    /// to be `\n`, unchecked as in Redis) is buffered.
    fn find_header_line(
        &mut self,
        buf: &[u8],
        too_long: ProtocolError,
    ) -> Result<Option<usize>, ProtocolError> {
        match self.find_line_end(buf, b'\r') {
            // "Buffer should also contain \n".
            Some(cr) if cr + 1 < buf.len() => Ok(Some(cr)),
            Some(_) => Ok(None),
            None if buf.len() > INLINE_MAX_BYTES => Err(too_long),
            None => Ok(None),
        }
    }

    /// `processMultibulkBuffer`.
    fn parse_multibulk(
        &mut self,
        buf: &mut BytesMut,
        limits: &ParseLimits,
    ) -> Result<Step, ProtocolError> {
        if self.remaining_args == 0 {
            if self.line_scan_from == 0 {
                if let Some(args) = parse_complete_multibulk(buf, limits) {
                    return Ok(Step::Command(args));
                }
            }
            let Some(cr) = self.find_header_line(buf, ProtocolError::TooBigMultibulkCount)? else {
                return Ok(Step::Incomplete);
            };
            // buf[0] is '*', so the count is buf[1..cr].
            let count = buf
                .get(1..cr)
                .and_then(parse_i64_strict)
                .filter(|&count| count <= 0 || count as u64 <= limits.max_multibulk_len)
                .ok_or(ProtocolError::InvalidMultibulkLength)?;
            if count > UNAUTHENTICATED_MAX_ARGS && !limits.authenticated {
                return Err(ProtocolError::UnauthenticatedMultibulkLength);
            }
            buf.advance(cr + 2);
            self.reset_line();
            if count <= 0 {
                return Ok(Step::Empty);
            }
            let count =
                usize::try_from(count).map_err(|_| ProtocolError::InvalidMultibulkLength)?;
            self.remaining_args = count;
            self.args = Vec::with_capacity(count.min(MAX_PREALLOCATED_ARGS));
        }

        while self.remaining_args > 0 {
            let bulk_len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(cr) = self.find_header_line(buf, ProtocolError::TooBigBulkCount)?
                    else {
                        return Ok(Step::Incomplete);
                    };
                    let first = buf.first().copied().unwrap_or_default();
                    if first != b'$' {
                        return Err(ProtocolError::ExpectedDollar(first));
                    }
                    let len = buf
                        .get(1..cr)
                        .and_then(parse_i64_strict)
                        .filter(|&len| len >= 0 && len as u64 <= limits.max_bulk_len_bytes)
                        .ok_or(ProtocolError::InvalidBulkLength)?;
                    if len > UNAUTHENTICATED_MAX_BULK_BYTES && !limits.authenticated {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidBulkLength)?;
                    buf.advance(cr + 2);
                    self.reset_line();
                    self.bulk_len = Some(len);
                    len
                }
            };
            // Payload plus the two trailing bytes (Redis skips them unchecked).
            if buf.len() < bulk_len.saturating_add(2) {
                return Ok(Step::Incomplete);
            }
            self.args.push(buf.split_to(bulk_len).freeze());
            buf.advance(2);
            self.bulk_len = None;
            self.remaining_args -= 1;
        }
        Ok(Step::Command(std::mem::take(&mut self.args)))
    }
}

/// Most arguments the fast path handles; longer commands take the general
/// path.
const FAST_PATH_MAX_ARGS: usize = 16;

/// A header line at `pos` (`*N` or `$N`) for the fast path: its value and
/// the offset after its `\r\n`, or `None` when it is not a complete, valid
/// line (the general path then decides what it is).
fn fast_header_line(bytes: &[u8], pos: usize) -> Option<(u64, usize)> {
    let digits_start = pos + 1;
    let window = bytes.get(digits_start..)?;
    let window = window.get(..FAST_PATH_MAX_DIGITS + 1).unwrap_or(window);
    let cr = window.iter().position(|&byte| byte == b'\r')?;
    let value = parse_small_decimal(window.get(..cr)?)?;
    let after = digits_start + cr + 2;
    // Redis only needs the byte after CR to exist.
    (after <= bytes.len()).then_some((value, after))
}

/// Longest number the fast path parses; 18 digits cannot overflow `u64`.
const FAST_PATH_MAX_DIGITS: usize = 18;

/// A non-negative decimal as `string2ll` reads it (no sign, no leading
/// zero except "0"), at most [`FAST_PATH_MAX_DIGITS`] digits; anything else
/// is left to the general path.
fn parse_small_decimal(digits: &[u8]) -> Option<u64> {
    match digits {
        [] => None,
        [b'0'] => Some(0),
        [b'0', ..] => None,
        _ if digits.len() > FAST_PATH_MAX_DIGITS => None,
        _ => digits.iter().try_fold(0u64, |value, &digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u64::from(digit - b'0'))
        }),
    }
}

/// Fast path for the common case: a whole, valid multibulk request of at
/// most [`FAST_PATH_MAX_ARGS`] arguments already buffered. Parses it in one
/// pass with offsets and splits the buffer once. Returns `None` whenever
/// anything is unusual (incomplete, invalid, over a limit); the general
/// path then produces the exact Redis outcome, so both paths agree.
fn parse_complete_multibulk(buf: &mut BytesMut, limits: &ParseLimits) -> Option<Vec<Bytes>> {
    let bytes: &[u8] = buf;
    let (count, mut pos) = fast_header_line(bytes, 0)?;
    let count = usize::try_from(count).ok().filter(|&count| {
        (1..=FAST_PATH_MAX_ARGS).contains(&count)
            && count as u64 <= limits.max_multibulk_len
            && (limits.authenticated || count as i64 <= UNAUTHENTICATED_MAX_ARGS)
    })?;
    let mut ranges = [(0usize, 0usize); FAST_PATH_MAX_ARGS];
    for range in ranges.iter_mut().take(count) {
        if bytes.get(pos) != Some(&b'$') {
            return None;
        }
        let (len, start) = fast_header_line(bytes, pos)?;
        if len > limits.max_bulk_len_bytes
            || (!limits.authenticated && len > UNAUTHENTICATED_MAX_BULK_BYTES as u64)
        {
            return None;
        }
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        // Payload plus the two trailing bytes (skipped unchecked).
        if end.checked_add(2)? > bytes.len() {
            return None;
        }
        *range = (start, end);
        pos = end + 2;
    }
    let request = buf.split_to(pos).freeze();
    Some(
        ranges
            .iter()
            .take(count)
            .map(|&(start, end)| request.slice(start..end))
            .collect(),
    )
}

/// C `isspace` in the C locale (Redis never sets `LC_CTYPE`).
fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(byte: Option<&u8>) -> Option<u8> {
    char::from(*byte?)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// `sdssplitargs`: splits an inline line into arguments; `None` on
/// unbalanced quotes. The line holds no NUL (the caller's `strchr`-style
/// search guarantees it), so its end plays the role of C's terminator.
/// Unquoted tokens end only at space, `\t`, `\r`, `\n` (not `\v`/`\f`,
/// which are nevertheless skipped between tokens), as in sds.c.
fn split_inline_args(line: &[u8]) -> Option<Vec<Bytes>> {
    let mut args = Vec::new();
    let mut pos = 0;
    loop {
        while line.get(pos).is_some_and(|&byte| is_c_space(byte)) {
            pos += 1;
        }
        if pos >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut in_double_quotes = false;
        let mut in_single_quotes = false;
        let mut done = false;
        while !done {
            let byte = line.get(pos).copied();
            let next = line.get(pos + 1).copied();
            if in_double_quotes {
                match byte {
                    None => return None,
                    Some(b'\\') if next == Some(b'x') => {
                        match (hex_value(line.get(pos + 2)), hex_value(line.get(pos + 3))) {
                            (Some(high), Some(low)) => {
                                current.push(high * 16 + low);
                                pos += 3;
                            }
                            // Not a hex escape: "\x" is an escaped 'x'.
                            _ => {
                                current.push(b'x');
                                pos += 1;
                            }
                        }
                    }
                    Some(b'\\') if next.is_some() => {
                        pos += 1;
                        current.push(match next {
                            Some(b'n') => b'\n',
                            Some(b'r') => b'\r',
                            Some(b't') => b'\t',
                            Some(b'b') => 0x08,
                            Some(b'a') => 0x07,
                            other => other.unwrap_or_default(),
                        });
                    }
                    Some(b'"') => {
                        // The closing quote must be followed by a space or
                        // the end of the line.
                        if next.is_some_and(|byte| !is_c_space(byte)) {
                            return None;
                        }
                        done = true;
                    }
                    Some(other) => current.push(other),
                }
            } else if in_single_quotes {
                match byte {
                    None => return None,
                    Some(b'\\') if next == Some(b'\'') => {
                        pos += 1;
                        current.push(b'\'');
                    }
                    Some(b'\'') => {
                        if next.is_some_and(|byte| !is_c_space(byte)) {
                            return None;
                        }
                        done = true;
                    }
                    Some(other) => current.push(other),
                }
            } else {
                match byte {
                    None | Some(b' ' | b'\n' | b'\r' | b'\t') => done = true,
                    Some(b'"') => in_double_quotes = true,
                    Some(b'\'') => in_single_quotes = true,
                    Some(other) => current.push(other),
                }
            }
            // "if (*p) p++": step past the byte just handled, if any.
            if pos < line.len() {
                pos += 1;
            }
        }
        args.push(Bytes::from(current));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Parses everything in `input` at once: the commands, then the error
    /// that stopped parsing (if any) and the bytes left unconsumed.
    fn parse_all(
        input: &[u8],
        limits: &ParseLimits,
    ) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>, usize) {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut commands = Vec::new();
        loop {
            match parser.parse(&mut buf, limits) {
                Ok(Some(args)) => commands.push(to_vecs(args)),
                Ok(None) => return (commands, None, buf.len()),
                Err(error) => return (commands, Some(error), buf.len()),
            }
        }
    }

    /// Feeds `input` in chunks of the given sizes (cycled), parsing after
    /// each append as the server does after each read.
    fn parse_chunked(
        input: &[u8],
        chunk_sizes: &[usize],
        limits: &ParseLimits,
    ) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>) {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut commands = Vec::new();
        let mut offset = 0;
        let mut chunk_index = 0;
        while offset < input.len() {
            let size = chunk_sizes[chunk_index % chunk_sizes.len()].max(1);
            chunk_index += 1;
            let end = (offset + size).min(input.len());
            buf.extend_from_slice(&input[offset..end]);
            offset = end;
            loop {
                match parser.parse(&mut buf, limits) {
                    Ok(Some(args)) => commands.push(to_vecs(args)),
                    Ok(None) => break,
                    Err(error) => return (commands, Some(error)),
                }
            }
        }
        (commands, None)
    }

    fn to_vecs(args: Vec<Bytes>) -> Vec<Vec<u8>> {
        args.into_iter().map(|arg| arg.to_vec()).collect()
    }

    fn command(args: &[&[u8]]) -> Vec<Vec<u8>> {
        args.iter().map(|arg| arg.to_vec()).collect()
    }

    fn only_error(input: &[u8], limits: &ParseLimits) -> ProtocolError {
        let (commands, error, _) = parse_all(input, limits);
        assert!(commands.is_empty(), "unexpected commands {commands:?}");
        error.expect("expected a protocol error")
    }

    fn unauthenticated() -> ParseLimits {
        ParseLimits {
            authenticated: false,
            ..ParseLimits::default()
        }
    }

    #[test]
    fn parses_typical_set() {
        let (commands, error, left) = parse_all(
            b"*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$3\r\nxxx\r\n",
            &ParseLimits::default(),
        );
        assert_eq!(commands, vec![command(&[b"SET", b"key:1", b"xxx"])]);
        assert_eq!(error, None);
        assert_eq!(left, 0);
    }

    #[test]
    fn arguments_share_the_query_buffer() {
        let mut buf = BytesMut::from(&b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n"[..]);
        let base = buf.as_ptr() as usize;
        let args = RequestParser::new()
            .parse(&mut buf, &ParseLimits::default())
            .unwrap()
            .unwrap();
        // Zero-copy: each argument points into the original allocation.
        assert_eq!(args[0].as_ptr() as usize, base + 8);
        assert_eq!(args[1].as_ptr() as usize, base + 18);
    }

    #[test]
    fn pipelined_commands_in_one_buffer() {
        let mut input = Vec::new();
        for index in 0..100 {
            let key = format!("key:{index}");
            input.extend_from_slice(&crate::encode_command(&[b"SET", key.as_bytes(), b"v"]));
            input.extend_from_slice(format!("GET {key}\r\n").as_bytes());
        }
        input.extend_from_slice(b"*1\r\n$4\r\nPI");
        let (commands, error, left) = parse_all(&input, &ParseLimits::default());
        assert_eq!(error, None);
        assert_eq!(commands.len(), 200);
        for (index, pair) in commands.chunks(2).enumerate() {
            let key = format!("key:{index}");
            assert_eq!(pair[0], command(&[b"SET", key.as_bytes(), b"v"]));
            assert_eq!(pair[1], command(&[b"GET", key.as_bytes()]));
        }
        // The partial bulk's headers are consumed; its payload waits.
        assert_eq!(left, 2);
    }

    #[test]
    fn binary_safe_arguments() {
        let payload: Vec<u8> = (0..=255u8).chain([b'\r', b'\n', 0, b'*', b'$']).collect();
        let input = crate::encode_command(&[b"SET", b"\0k\r\n", &payload]);
        let (commands, error, _) = parse_all(&input, &ParseLimits::default());
        assert_eq!(error, None);
        assert_eq!(commands, vec![command(&[b"SET", b"\0k\r\n", &payload])]);
    }

    #[test]
    fn empty_multibulk_and_blank_inline_lines_are_skipped() {
        let (commands, error, left) = parse_all(
            b"*0\r\n*-1\r\n*-5\r\n\r\n\n   \r\n\x0b\t\nPING\n",
            &ParseLimits::default(),
        );
        assert_eq!(error, None);
        assert_eq!(commands, vec![command(&[b"PING"])]);
        assert_eq!(left, 0);
    }

    #[test]
    fn empty_bulk_argument() {
        let (commands, _, _) =
            parse_all(b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", &ParseLimits::default());
        assert_eq!(commands, vec![command(&[b"ECHO", b""])]);
    }

    #[test]
    fn header_and_trailer_bytes_are_not_checked() {
        // Redis skips the byte after a header's CR and the two bytes after a
        // payload without looking at them (verified against redis-server).
        let (commands, error, _) = parse_all(
            b"*1\rX$4\r\nPING\r\n*1\r\n$4\rXPINGXY*1\r\n$4\r\nPING\r\n",
            &ParseLimits::default(),
        );
        assert_eq!(error, None);
        assert_eq!(commands, vec![command(&[b"PING"]); 3]);
    }

    #[test]
    fn cr_without_following_byte_waits() {
        let mut parser = RequestParser::new();
        let limits = ParseLimits::default();
        let mut buf = BytesMut::from(&b"*1\r"[..]);
        assert_eq!(parser.parse(&mut buf, &limits), Ok(None));
        buf.extend_from_slice(b"\n$4\r");
        assert_eq!(parser.parse(&mut buf, &limits), Ok(None));
        buf.extend_from_slice(b"\nPING\r");
        assert_eq!(parser.parse(&mut buf, &limits), Ok(None));
        assert_eq!(parser.pending_bulk_bytes(), Some(6));
        buf.extend_from_slice(b"\n");
        let args = parser.parse(&mut buf, &limits).unwrap().unwrap();
        assert_eq!(to_vecs(args), command(&[b"PING"]));
        assert!(parser.is_idle());
    }

    #[test]
    fn nul_before_line_end_stalls_like_strchr() {
        let limits = ParseLimits::default();
        for input in [
            &b"PI\0NG\r\nPING\r\n"[..],
            b"*1\0\r\n$4\r\nPING\r\n",
            b"*1\r\n$4\0\r\nPING\r\n",
        ] {
            let (commands, error, _) = parse_all(input, &limits);
            assert!(commands.is_empty() && error.is_none(), "{input:?}");
        }
        // ... until 64 KiB are buffered.
        let mut input = b"*1\r\n$4\0\r\n".to_vec();
        input.resize(INLINE_MAX_BYTES + 5, b'\r');
        assert_eq!(only_error(&input, &limits), ProtocolError::TooBigBulkCount);
    }

    #[test]
    fn error_texts_match_redis() {
        let cases: [(ProtocolError, &str); 9] = [
            (
                ProtocolError::TooBigInlineRequest,
                "Protocol error: too big inline request",
            ),
            (
                ProtocolError::UnbalancedQuotes,
                "Protocol error: unbalanced quotes in request",
            ),
            (
                ProtocolError::TooBigMultibulkCount,
                "Protocol error: too big mbulk count string",
            ),
            (
                ProtocolError::InvalidMultibulkLength,
                "Protocol error: invalid multibulk length",
            ),
            (
                ProtocolError::UnauthenticatedMultibulkLength,
                "Protocol error: unauthenticated multibulk length",
            ),
            (
                ProtocolError::TooBigBulkCount,
                "Protocol error: too big bulk count string",
            ),
            (
                ProtocolError::ExpectedDollar(b':'),
                "Protocol error: expected '$', got ':'",
            ),
            (
                ProtocolError::InvalidBulkLength,
                "Protocol error: invalid bulk length",
            ),
            (
                ProtocolError::UnauthenticatedBulkLength,
                "Protocol error: unauthenticated bulk length",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
            assert_eq!(error.reply_bytes(), format!("-ERR {text}\r\n").into_bytes());
        }
    }

    #[test]
    fn expected_dollar_reply_keeps_raw_byte_and_maps_newlines() {
        let limits = ParseLimits::default();
        let error = only_error(b"*1\r\n\xff\r\n", &limits);
        assert_eq!(error, ProtocolError::ExpectedDollar(0xff));
        assert_eq!(
            error.reply_bytes(),
            b"-ERR Protocol error: expected '$', got '\xff'\r\n"
        );
        let error = only_error(b"*1\r\n\r\n", &limits);
        assert_eq!(error.to_string(), "Protocol error: expected '$', got ' '");
        assert_eq!(
            error.reply_bytes(),
            b"-ERR Protocol error: expected '$', got ' '\r\n"
        );
        let error = only_error(b"*2\r\n$1\r\na\r\n:4\r\n", &limits);
        assert_eq!(error, ProtocolError::ExpectedDollar(b':'));
    }

    #[test]
    fn too_big_inline_request() {
        let limits = ParseLimits::default();
        let input = vec![b'A'; INLINE_MAX_BYTES + 1];
        assert_eq!(
            only_error(&input, &limits),
            ProtocolError::TooBigInlineRequest
        );
        // Exactly the limit still waits.
        let (_, error, _) = parse_all(&input[..INLINE_MAX_BYTES], &limits);
        assert_eq!(error, None);
        // A long line that arrives complete is accepted, as in Redis.
        let mut line = b"ECHO ".to_vec();
        line.extend_from_slice(&[b'A'; 70_000]);
        line.extend_from_slice(b"\r\n");
        let (commands, error, _) = parse_all(&line, &limits);
        assert_eq!(error, None);
        assert_eq!(commands[0][1].len(), 70_000);
    }

    #[test]
    fn too_big_count_strings() {
        let limits = ParseLimits::default();
        let mut input = b"*".to_vec();
        input.resize(INLINE_MAX_BYTES + 1, b'1');
        assert_eq!(
            only_error(&input, &limits),
            ProtocolError::TooBigMultibulkCount
        );
        let mut input = b"*1\r\n$".to_vec();
        input.resize(INLINE_MAX_BYTES + 10, b'1');
        assert_eq!(only_error(&input, &limits), ProtocolError::TooBigBulkCount);
    }

    #[test]
    fn invalid_multibulk_lengths() {
        let limits = ParseLimits::default();
        for input in [
            &b"*\r\n"[..],
            b"*01\r\n",
            b"*1 \r\n",
            b"*+1\r\n",
            b"*-0\r\n",
            b"*abc\r\n",
            b"*2147483648\r\n",
            b"*99999999999999999999999\r\n",
        ] {
            assert_eq!(
                only_error(input, &limits),
                ProtocolError::InvalidMultibulkLength,
                "{input:?}"
            );
        }
        // INT_MAX itself is accepted and waits for arguments.
        let (_, error, _) = parse_all(b"*2147483647\r\n", &limits);
        assert_eq!(error, None);
        let tight = ParseLimits {
            max_multibulk_len: 3,
            ..limits
        };
        assert_eq!(
            only_error(b"*4\r\n", &tight),
            ProtocolError::InvalidMultibulkLength
        );
    }

    #[test]
    fn invalid_bulk_lengths() {
        let limits = ParseLimits::default();
        for input in [
            &b"*1\r\n$-1\r\n"[..],
            b"*1\r\n$\r\n",
            b"*1\r\n$04\r\n",
            b"*1\r\n$ 4\r\n",
            b"*1\r\n$4x\r\n",
            b"*1\r\n$536870913\r\n",
            // 2^40
            b"*1\r\n$1099511627776\r\n",
        ] {
            assert_eq!(
                only_error(input, &limits),
                ProtocolError::InvalidBulkLength,
                "{input:?}"
            );
        }
        // proto-max-bulk-len itself is accepted and waits for the payload.
        let (_, error, _) = parse_all(b"*1\r\n$536870912\r\n", &limits);
        assert_eq!(error, None);
    }

    #[test]
    fn unauthenticated_limits() {
        let limits = unauthenticated();
        assert_eq!(
            only_error(b"*11\r\n", &limits),
            ProtocolError::UnauthenticatedMultibulkLength
        );
        assert_eq!(
            only_error(b"*10\r\n$16385\r\n", &limits),
            ProtocolError::UnauthenticatedBulkLength
        );
        // Invalid lengths are reported first, as in Redis.
        assert_eq!(
            only_error(b"*2147483648\r\n", &limits),
            ProtocolError::InvalidMultibulkLength
        );
        assert_eq!(
            only_error(b"*1\r\n$536870913\r\n", &limits),
            ProtocolError::InvalidBulkLength
        );
        // The limits themselves are fine.
        let (_, error, _) = parse_all(b"*10\r\n$16384\r\n", &limits);
        assert_eq!(error, None);
        // And authenticated clients are not limited.
        let (_, error, _) = parse_all(b"*11\r\n$16385\r\n", &ParseLimits::default());
        assert_eq!(error, None);
    }

    #[test]
    fn limits_apply_to_complete_requests() {
        // Complete requests (the fast path) obey the same limits.
        let set = crate::encode_command(&[b"SET", b"key", b"value"]);
        let tight_count = ParseLimits {
            max_multibulk_len: 2,
            ..ParseLimits::default()
        };
        assert_eq!(
            only_error(&set, &tight_count),
            ProtocolError::InvalidMultibulkLength
        );
        let tight_bulk = ParseLimits {
            max_bulk_len_bytes: 4,
            ..ParseLimits::default()
        };
        let (commands, error, _) = parse_all(&set, &tight_bulk);
        assert!(commands.is_empty());
        assert_eq!(error, Some(ProtocolError::InvalidBulkLength));
        let eleven = crate::encode_command(&[&b"x"[..]; 11]);
        assert_eq!(
            only_error(&eleven, &unauthenticated()),
            ProtocolError::UnauthenticatedMultibulkLength
        );
        let big = crate::encode_command(&[b"SET", b"k", &[b'v'; 16385]]);
        assert_eq!(
            only_error(&big, &unauthenticated()),
            ProtocolError::UnauthenticatedBulkLength
        );
        let (commands, error, _) = parse_all(&big, &ParseLimits::default());
        assert_eq!((commands.len(), error), (1, None));
    }

    #[test]
    fn long_commands_and_numbers_take_the_general_path() {
        let many: Vec<Vec<u8>> = (0..40)
            .map(|index| format!("a{index}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
        let (commands, error, _) =
            parse_all(&crate::encode_command(&refs), &ParseLimits::default());
        assert_eq!(error, None);
        assert_eq!(commands, vec![many]);
        assert_eq!(
            parse_small_decimal(b"123456789012345678"),
            Some(123_456_789_012_345_678)
        );
        assert_eq!(parse_small_decimal(b"1234567890123456789"), None);
        assert_eq!(parse_small_decimal(b"0"), Some(0));
        for rejected in [&b""[..], b"01", b"-1", b"+1", b"1a"] {
            assert_eq!(parse_small_decimal(rejected), None);
        }
    }

    #[test]
    fn inline_quoting() {
        let limits = ParseLimits::default();
        let cases: [(&[u8], Vec<Vec<u8>>); 12] = [
            (b"SET a b\r\n", command(&[b"SET", b"a", b"b"])),
            (b"  SET\t a   b  \n", command(&[b"SET", b"a", b"b"])),
            (
                b"ECHO \"a\\x41\\n\\q\" 'b\\'c'\r\n",
                command(&[b"ECHO", b"aA\nq", b"b'c"]),
            ),
            (
                b"ECHO \"\\r\\t\\b\\a\\\\\\\"\"\n",
                command(&[b"ECHO", b"\r\t\x08\x07\\\""]),
            ),
            (b"ECHO \"\\x4\"\r\n", command(&[b"ECHO", b"x4"])),
            (b"ECHO \"\\xzz\"\r\n", command(&[b"ECHO", b"xzz"])),
            (b"ECHO \"\\x00\\xFf\"\r\n", command(&[b"ECHO", b"\0\xff"])),
            (b"ECHO x\"y z\"\r\n", command(&[b"ECHO", b"xy z"])),
            (b"ECHO a\x0bb\r\n", command(&[b"ECHO", b"a\x0bb"])),
            (b"ECHO a\rb\r\n", command(&[b"ECHO", b"a", b"b"])),
            (b"ECHO '' \"\"\r\n", command(&[b"ECHO", b"", b""])),
            (
                b"ECHO 'a\\nb' \"c\"\x0bd\r\n",
                command(&[b"ECHO", b"a\\nb", b"c", b"d"]),
            ),
        ];
        for (input, expected) in cases {
            let (commands, error, left) = parse_all(input, &limits);
            assert_eq!(error, None, "{input:?}");
            assert_eq!(commands, vec![expected], "{input:?}");
            assert_eq!(left, 0);
        }
    }

    #[test]
    fn inline_unbalanced_quotes() {
        let limits = ParseLimits::default();
        for input in [
            &b"ECHO \"abc\r\n"[..],
            b"ECHO \"abc\"d\r\n",
            b"ECHO 'abc'd\r\n",
            b"ECHO 'abc\n",
            b"ECHO \"a\\\"\r\n",
            b"ECHO \"a\\\r\n",
        ] {
            assert_eq!(
                only_error(input, &limits),
                ProtocolError::UnbalancedQuotes,
                "{input:?}"
            );
        }
    }

    #[test]
    fn inline_line_waits_for_newline() {
        let mut parser = RequestParser::new();
        let limits = ParseLimits::default();
        let mut buf = BytesMut::from(&b"GET k\r"[..]);
        assert_eq!(parser.parse(&mut buf, &limits), Ok(None));
        buf.extend_from_slice(b"\nG");
        let args = parser.parse(&mut buf, &limits).unwrap().unwrap();
        assert_eq!(to_vecs(args), command(&[b"GET", b"k"]));
        assert_eq!(&buf[..], b"G");
    }

    #[test]
    fn header_scan_resumes_where_it_stopped() {
        // White-box: input arriving in pieces is not rescanned from the
        // start of the line.
        let mut parser = RequestParser::new();
        let limits = ParseLimits::default();
        let mut buf = BytesMut::from(&b"*1\r\n$123"[..]);
        assert_eq!(parser.parse(&mut buf, &limits), Ok(None));
        assert_eq!(&buf[..], b"$123");
        assert_eq!(parser.line_scan_from, 4);
        buf.extend_from_slice(b"45");
        assert_eq!(parser.parse(&mut buf, &limits), Ok(None));
        assert_eq!(parser.line_scan_from, 6);
        buf.extend_from_slice(b"\r\n");
        assert_eq!(parser.parse(&mut buf, &limits), Ok(None));
        assert_eq!(parser.pending_bulk_bytes(), Some(12347));
        assert!(buf.is_empty());
    }

    #[test]
    fn large_bulk_in_pieces() {
        let mut parser = RequestParser::new();
        let limits = ParseLimits::default();
        let payload: Vec<u8> = (0..1_000_000u32).map(|index| (index % 251) as u8).collect();
        let input = crate::encode_command(&[b"SET", b"big", &payload]);
        let mut buf = BytesMut::new();
        let mut result = None;
        for chunk in input.chunks(16 * 1024) {
            assert!(result.is_none());
            buf.extend_from_slice(chunk);
            result = parser.parse(&mut buf, &limits).unwrap();
        }
        assert_eq!(
            to_vecs(result.unwrap()),
            command(&[b"SET", b"big", &payload])
        );
    }

    #[test]
    fn parser_resets_after_error() {
        let mut parser = RequestParser::new();
        let limits = ParseLimits::default();
        let mut buf = BytesMut::from(&b"*1\r\n$x\r\n"[..]);
        assert_eq!(
            parser.parse(&mut buf, &limits),
            Err(ProtocolError::InvalidBulkLength)
        );
        assert!(parser.is_idle());
    }

    /// One command encoded as multibulk, or inline when its arguments allow.
    fn encode_request(args: &[Vec<u8>], inline: bool) -> Vec<u8> {
        if inline {
            let mut out = Vec::new();
            for arg in args {
                out.push(b'"');
                for &byte in arg {
                    out.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
                }
                out.extend_from_slice(b"\" ");
            }
            out.extend_from_slice(b"\r\n");
            out
        } else {
            let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            crate::encode_command(&refs)
        }
    }

    fn token_soup() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            Just(b"*".to_vec()),
            Just(b"$".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"'".to_vec()),
            Just(b"\\".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\0".to_vec()),
            (-3i64..40).prop_map(|n| n.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..4),
        ];
        proptest::collection::vec(token, 0..60).prop_map(|tokens| tokens.concat())
    }

    proptest! {
        #[test]
        fn chunked_feeding_equals_whole_feeding_for_commands(
            requests in proptest::collection::vec(
                (proptest::collection::vec(
                    proptest::collection::vec(any::<u8>(), 0..20), 1..5), any::<bool>()),
                1..8),
            chunk_sizes in proptest::collection::vec(1usize..16, 1..6),
        ) {
            let limits = ParseLimits::default();
            let input: Vec<u8> =
                requests.iter().flat_map(|(args, inline)| encode_request(args, *inline)).collect();
            let expected: Vec<Vec<Vec<u8>>> =
                requests.iter().map(|(args, _)| args.clone()).collect();
            let (whole, error, left) = parse_all(&input, &limits);
            prop_assert_eq!(&whole, &expected);
            prop_assert_eq!(error, None);
            prop_assert_eq!(left, 0);
            let (bytewise, error) = parse_chunked(&input, &[1], &limits);
            prop_assert_eq!(&bytewise, &expected);
            prop_assert_eq!(error, None);
            let (chunked, error) = parse_chunked(&input, &chunk_sizes, &limits);
            prop_assert_eq!(&chunked, &expected);
            prop_assert_eq!(error, None);
        }

        #[test]
        fn chunked_feeding_equals_whole_feeding_for_arbitrary_bytes(
            input in token_soup(),
            chunk_sizes in proptest::collection::vec(1usize..8, 1..4),
            authenticated in any::<bool>(),
            max_bulk_len_bytes in prop_oneof![Just(512 * 1024 * 1024), 0u64..8],
            max_multibulk_len in prop_oneof![Just(i32::MAX as u64), 0u64..4],
        ) {
            // Below 64 KiB nothing depends on how input arrives. Whole input
            // mostly takes the fast path, byte-by-byte input the general one.
            let limits = ParseLimits { authenticated, max_bulk_len_bytes, max_multibulk_len };
            let (whole, whole_error, _) = parse_all(&input, &limits);
            let (bytewise, bytewise_error) = parse_chunked(&input, &[1], &limits);
            prop_assert_eq!(&whole, &bytewise);
            prop_assert_eq!(&whole_error, &bytewise_error);
            let (chunked, chunked_error) = parse_chunked(&input, &chunk_sizes, &limits);
            prop_assert_eq!(&whole, &chunked);
            prop_assert_eq!(&whole_error, &chunked_error);
        }
    }
}
