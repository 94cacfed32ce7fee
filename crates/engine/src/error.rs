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
        /// The command name as sent.
        name: String,
        /// The first arguments, quoted as Redis quotes them.
        args_preview: String,
    },
    /// `-ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand {
        /// The subcommand as sent.
        subcommand: String,
        /// The container command, upper case.
        command: String,
    },
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
        let text = self.to_string();
        text.split(' ').next().unwrap_or("ERR").to_string()
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
            CommandError::UnknownCommand { name, args_preview } => write!(
                f,
                "ERR unknown command '{name}', with args beginning with: {args_preview}"
            ),
            CommandError::UnknownSubcommand {
                subcommand,
                command,
            } => {
                write!(
                    f,
                    "ERR unknown subcommand '{subcommand}'. Try {command} HELP."
                )
            }
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

/// Redis's rendering of a command name or argument inside error messages
/// (`sdscatrepr`-free variant used by `processCommand`: the raw text, cut to
/// 128 bytes, with non-printable bytes replaced).
pub(crate) fn quote_for_error(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(128)];
    String::from_utf8_lossy(cut).into_owned()
}

/// The `with args beginning with: ` tail of the unknown-command error:
/// each argument as `'arg' `, stopping before the text would exceed 128 bytes.
pub(crate) fn args_preview(args: &[bytes::Bytes]) -> String {
    let mut preview = String::new();
    for arg in args {
        let remaining = 128usize.saturating_sub(preview.len());
        if remaining == 0 {
            break;
        }
        let text = String::from_utf8_lossy(arg);
        let cut: String = text.chars().take(remaining).collect();
        preview.push('\'');
        preview.push_str(&cut);
        preview.push_str("' ");
    }
    preview
}
