//! Incremental request parser (Redis `processMultibulkBuffer` /
//! `processInlineBuffer`). STUB: the API is fixed; the implementation is being written.

use bytes::{Bytes, BytesMut};

/// Limits enforced while parsing (from config).
#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    /// `proto-max-bulk-len`: largest accepted bulk argument, bytes.
    pub max_bulk_len_bytes: u64,
    /// Largest accepted multibulk count (Redis: 1024*1024 for unauthenticated... see impl).
    pub max_multibulk_len: u64,
    /// Whether the client is authenticated (Redis applies tighter limits before AUTH).
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

/// A malformed request. `Display` is the exact Redis error text (without the
/// leading `-`); the server replies with it and closes the connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Any protocol error, with Redis's exact message.
    #[error("{0}")]
    Message(String),
}

/// Parses requests out of a connection's query buffer.
#[derive(Debug, Default)]
pub struct RequestParser {
    _state: (),
}

impl RequestParser {
    /// A parser in its initial state.
    pub fn new() -> Self {
        RequestParser::default()
    }

    /// Parses the next complete request from the front of `buf`, consuming
    /// its bytes. `Ok(None)`: more input needed (never an error). An empty
    /// inline line yields `Ok(Some(vec![]))`-free behaviour: it is skipped.
    pub fn parse(
        &mut self,
        _buf: &mut BytesMut,
        _limits: &ParseLimits,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        Ok(None)
    }
}
