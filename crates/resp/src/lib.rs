//! RESP2/RESP3 wire codecs: the request parser (client → server), the reply
//! writer (server → client) and a reply decoder (for tests and Shoal's own
//! client tools).
//!
//! This crate owns byte-exact framing only. It never performs I/O, never reads
//! a clock and never interprets commands.

mod reply;
mod request;
mod frame;
mod number;

pub use frame::{parse_frame, Frame, FrameError};
pub use number::{format_double, parse_i64_strict};
pub use reply::{Protocol, ReplyWriter};
pub use request::{ParseLimits, ProtocolError, RequestParser};
