//! RESP2/RESP3 wire codecs: the request parser (client → server), the reply
//! writer (server → client) and a reply decoder (for tests and Shoal's own
//! client tools).
//!
//! This crate owns byte-exact framing only. It never performs I/O, never reads
//! a clock and never interprets commands.

mod frame;
mod number;
mod reply;
mod request;

pub use frame::{encode_command, parse_frame, Frame, FrameError, MAX_FRAME_DEPTH};
pub use number::{format_double, parse_i64_strict};
pub use reply::{Protocol, ReplyWriter};
pub use request::{ParseLimits, ProtocolError, RequestParser};
