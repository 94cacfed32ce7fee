//! A decoded RESP2/RESP3 value, for tests and Shoal's own client tools.
//! STUB: the API is fixed; the implementation is being written.

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

/// Decodes one frame from the front of `bytes`: `Ok(Some((frame, used)))`,
/// `Ok(None)` when incomplete.
pub fn parse_frame(_bytes: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
    Ok(None)
}
