//! Command families. Each family file declares `COMMANDS`, its table rows,
//! next to the handlers; `table()` gathers them.

pub(crate) mod bitmap;
pub(crate) mod cluster;
pub(crate) mod connection;
pub(crate) mod generic;
pub(crate) mod migrate;
pub(crate) mod pubsub;
pub(crate) mod server;
pub(crate) mod string;
pub(crate) mod transaction;

use bytes::Bytes;

use crate::client::Client;
use crate::table::{CommandSpec, CommandTable};

/// Every family's rows.
pub(crate) const FAMILIES: &[&[CommandSpec]] = &[
    string::COMMANDS,
    bitmap::COMMANDS,
    generic::COMMANDS,
    migrate::COMMANDS,
    connection::COMMANDS,
    server::COMMANDS,
    pubsub::COMMANDS,
    cluster::COMMANDS,
    transaction::COMMANDS,
];

/// Builds the command table.
pub(crate) fn table() -> CommandTable {
    CommandTable::new(FAMILIES)
}

/// A row's full name (`get`, `client|list`).
pub(crate) fn full_name(spec: &'static CommandSpec) -> &'static str {
    spec.name
}

/// A MONITOR line: `+<sec>.<usec> [<db> <addr>] "arg" "arg"...`, arguments
/// quoted like Redis's `sdscatrepr`.
pub(crate) fn monitor_line(client: &Client, args: &[Bytes], now_us: i64) -> Vec<u8> {
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        now_us / 1_000_000,
        now_us % 1_000_000,
        client.db,
        client.connection.peer_addr
    )
    .into_bytes();
    for arg in args {
        line.push(b' ');
        line.extend_from_slice(repr(arg).as_bytes());
    }
    line.extend_from_slice(b"\r\n");
    line
}

/// Redis's `sdscatrepr`: a double-quoted string with C-style escapes.
pub(crate) fn repr(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + 2);
    text.push('"');
    for &byte in bytes {
        match byte {
            b'\\' => text.push_str("\\\\"),
            b'"' => text.push_str("\\\""),
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            b'\t' => text.push_str("\\t"),
            0x07 => text.push_str("\\a"),
            0x08 => text.push_str("\\b"),
            byte if byte.is_ascii_graphic() || byte == b' ' => text.push(char::from(byte)),
            byte => text.push_str(&format!("\\x{byte:02x}")),
        }
    }
    text.push('"');
    text
}

/// C `atoi`: optional whitespace and sign, then digits; 0 when none.
pub(crate) fn atoi(bytes: &[u8]) -> i64 {
    let mut rest = bytes
        .iter()
        .skip_while(|byte| byte.is_ascii_whitespace())
        .peekable();
    let negative = match rest.peek() {
        Some(b'-') => {
            rest.next();
            true
        }
        Some(b'+') => {
            rest.next();
            false
        }
        _ => false,
    };
    let mut value: i64 = 0;
    for byte in rest.take_while(|byte| byte.is_ascii_digit()) {
        value = value
            .saturating_mul(10)
            .saturating_add(i64::from(byte - b'0'));
    }
    if negative {
        -value
    } else {
        value
    }
}
