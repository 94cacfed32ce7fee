//! Every client-visible error of the engine, with Redis 7.0's exact text.
//!
//! All error strings live here so that a reply never drifts from Redis's
//! wording; `kind()` gives the prefix INFO `errorstats` counts by.

use std::fmt;

/// An error reply. `Display` gives the full text without the leading `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// `-ERR syntax error`
    Syntax,
    /// `-WRONGTYPE ...`
    WrongType,
    /// `-ERR value is not an integer or out of range`
    NotInteger,
    /// `-ERR value is not a valid float`
    NotFloat,
    /// `-ERR increment or decrement would overflow`
    Overflow,
    /// `-ERR wrong number of arguments for '<name>' command`
    WrongArity(String),
    /// `-ERR unknown command '<name>', with args beginning with: ...`
    UnknownCommand {
        /// The command name as sent (see [`quote_for_error`]).
        name: Vec<u8>,
        /// The first arguments, quoted as Redis quotes them.
        args_preview: Vec<u8>,
    },
    /// `-ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand {
        /// The subcommand as sent (see [`quote_for_error`]).
        subcommand: Vec<u8>,
        /// The container command, upper case.
        command: String,
    },
    /// A message holding client bytes that need not be UTF-8, complete
    /// with its code (`ERR ...`).
    Bytes(Vec<u8>),
    /// `-ERR no such key`
    NoSuchKey,
    /// `-ERR DB index is out of range`
    DbIndexOutOfRange,
    /// `-ERR invalid expire time in '<cmd>' command`
    InvalidExpireTime(String),
    /// `-NOAUTH Authentication required.`
    NoAuth,
    /// `-WRONGPASS invalid username-password pair or user is disabled.`
    WrongPass,
    /// `-ERR string exceeds maximum allowed size (proto-max-bulk-len)`
    StringTooLong,
    /// `-ERR bit offset is not an integer or out of range`
    BitOffset,
    /// `-ERR bit is not an integer or out of range`
    BitValue,
    /// Any other error, full text including its prefix (e.g. `ERR ...`).
    Custom(String),
}

impl CommandError {
    /// A `-ERR <message>` error.
    pub fn err(message: impl Into<String>) -> Self {
        CommandError::Custom(format!("ERR {}", message.into()))
    }

    /// The error code INFO errorstats counts (`ERR`, `WRONGTYPE`, ...).
    pub fn kind(&self) -> String {
        let text = self.to_bytes();
        let code = text.split(|&byte| byte == b' ').next().unwrap_or(b"ERR");
        String::from_utf8_lossy(code).into_owned()
    }

    /// The message as sent to the client: client bytes echoed in it are
    /// kept as they were (Redis formats them with `%s` into the reply).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            CommandError::UnknownCommand { name, args_preview } => [
                &b"ERR unknown command '"[..],
                name,
                b"', with args beginning with: ",
                args_preview,
            ]
            .concat(),
            CommandError::UnknownSubcommand {
                subcommand,
                command,
            } => [
                &b"ERR unknown subcommand '"[..],
                subcommand,
                b"'. Try ",
                command.as_bytes(),
                b" HELP.",
            ]
            .concat(),
            CommandError::Bytes(bytes) => bytes.clone(),
            other => other.to_string().into_bytes(),
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Syntax => f.write_str("ERR syntax error"),
            CommandError::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            CommandError::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            CommandError::NotFloat => f.write_str("ERR value is not a valid float"),
            CommandError::Overflow => f.write_str("ERR increment or decrement would overflow"),
            CommandError::WrongArity(name) => {
                write!(f, "ERR wrong number of arguments for '{name}' command")
            }
            CommandError::UnknownCommand { .. }
            | CommandError::UnknownSubcommand { .. }
            | CommandError::Bytes(_) => f.write_str(&String::from_utf8_lossy(&self.to_bytes())),
            CommandError::NoSuchKey => f.write_str("ERR no such key"),
            CommandError::DbIndexOutOfRange => f.write_str("ERR DB index is out of range"),
            CommandError::InvalidExpireTime(command) => {
                write!(f, "ERR invalid expire time in '{command}' command")
            }
            CommandError::NoAuth => f.write_str("NOAUTH Authentication required."),
            CommandError::WrongPass => {
                f.write_str("WRONGPASS invalid username-password pair or user is disabled.")
            }
            CommandError::StringTooLong => {
                f.write_str("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
            }
            CommandError::BitOffset => {
                f.write_str("ERR bit offset is not an integer or out of range")
            }
            CommandError::BitValue => f.write_str("ERR bit is not an integer or out of range"),
            CommandError::Custom(text) => f.write_str(text),
        }
    }
}

/// A client argument as Redis's `"%.128s"` prints it into an error: the raw
/// bytes up to the first NUL (C string), at most 128 of them. The reply
/// writer later turns CR and LF into spaces.
pub(crate) fn quote_for_error(bytes: &[u8]) -> Vec<u8> {
    c_string_prefix(bytes, 128).to_vec()
}

impl CommandError {
    /// `-ERR {before}{arg}{after}`: a client argument echoed as Redis's `%s`
    /// prints it (raw bytes up to a NUL).
    pub(crate) fn err_with_arg(before: &str, arg: &[u8], after: &str) -> CommandError {
        CommandError::Bytes(
            [
                b"ERR ",
                before.as_bytes(),
                c_string_prefix(arg, usize::MAX),
                after.as_bytes(),
            ]
            .concat(),
        )
    }
}

/// `%.*s` of a C string: bytes before the first NUL, at most `max_bytes`.
pub(crate) fn c_string_prefix(bytes: &[u8], max_bytes: usize) -> &[u8] {
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len())
        .min(max_bytes);
    &bytes[..end]
}

/// The `with args beginning with: ` tail of the unknown-command error:
/// each argument as `'arg' `, stopping before the text would exceed 128 bytes.
/// (Redis: `sdscatprintf(args, "'%.*s' ", 128 - sdslen(args), arg)` while
/// `sdslen(args) < 128`.)
pub(crate) fn args_preview(args: &[bytes::Bytes]) -> Vec<u8> {
    let mut preview = Vec::new();
    for arg in args {
        let remaining = 128usize.saturating_sub(preview.len());
        if remaining == 0 {
            break;
        }
        preview.push(b'\'');
        preview.extend_from_slice(c_string_prefix(arg, remaining));
        preview.extend_from_slice(b"' ");
    }
    preview
}
