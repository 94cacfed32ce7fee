//! Configuration loading errors, rendered byte for byte like Redis 7.0.15 prints them
//! (`loadServerConfigFromString`'s `loaderr:` block and `loadServerConfig`'s
//! "can't open config file" log line).
//!
//! It owns only error values and their text; it must never print or exit (the server
//! decides how to report them: the fatal block goes to stderr, then exit code 1).

use std::fmt;

/// The Redis version shown in the fatal error banner. Shoal speaks Redis 7.0.15.
pub const REDIS_VERSION: &str = "7.0.15";

/// Where a fatal configuration error happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorLocation {
    /// 1-based line number inside the text being parsed (the included file for errors in
    /// an `include`d file; command-line options follow the file after one extra line).
    pub line: usize,
    /// The offending line, trimmed of surrounding spaces, tabs and CR/LF.
    pub text: String,
}

/// A configuration error that stops the server at startup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `*** FATAL CONFIG FILE ERROR ***`: a bad directive, argument count or value.
    /// `location` is `None` for the sanity checks done after the whole text was read
    /// (e.g. "replicaof directive not allowed in cluster mode").
    Fatal {
        /// The line that failed, if the error is tied to one.
        location: Option<ErrorLocation>,
        /// The reason, e.g. "Bad directive or wrong number of arguments".
        message: String,
    },
    /// The configuration file (or an included one) could not be read. Redis logs this at
    /// warning level ("Fatal error, can't open config file '%s': %s") and exits 1.
    Open {
        /// The path as given.
        path: String,
        /// `strerror(errno)`, e.g. "No such file or directory".
        reason: String,
    },
}

impl ConfigError {
    /// A fatal error tied to a line; used by the server for directives it validates later
    /// (`rename-command`, `user`), with the location recorded in [`crate::FileDirective`].
    pub fn fatal_at(line: usize, text: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Fatal {
            location: Some(ErrorLocation {
                line,
                text: text.into(),
            }),
            message: message.into(),
        }
    }

    /// A fatal error not tied to a line.
    pub fn fatal(message: impl Into<String>) -> Self {
        ConfigError::Fatal {
            location: None,
            message: message.into(),
        }
    }

    /// An "can't open config file" error from an I/O error; the text is the C
    /// `strerror` part only (Rust appends " (os error N)", which Redis does not print).
    pub fn open(path: &str, err: &std::io::Error) -> Self {
        let text = err.to_string();
        let reason = match text.find(" (os error ") {
            Some(pos) => text[..pos].to_string(),
            None => text,
        };
        ConfigError::Open {
            path: path.to_string(),
            reason,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Fatal { location, message } => {
                write!(
                    f,
                    "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n"
                )?;
                if let Some(loc) = location {
                    writeln!(f, "Reading the configuration file, at line {}", loc.line)?;
                    writeln!(f, ">>> '{}'", loc.text)?;
                }
                writeln!(f, "{message}")
            }
            ConfigError::Open { path, reason } => {
                write!(f, "Fatal error, can't open config file '{path}': {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_layout_matches_redis() {
        let err = ConfigError::fatal_at(2, "foo bar", "Bad directive or wrong number of arguments");
        assert_eq!(
            err.to_string(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, \
             at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"
        );
        let err = ConfigError::fatal("replicaof directive not allowed in cluster mode");
        assert_eq!(
            err.to_string(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nreplicaof directive not allowed \
             in cluster mode\n"
        );
    }

    #[test]
    fn open_error_strips_os_error_suffix() {
        let io = std::io::Error::from_raw_os_error(2);
        let err = ConfigError::open("/nonexistent/x.conf", &io);
        assert_eq!(
            err.to_string(),
            "Fatal error, can't open config file '/nonexistent/x.conf': No such file or directory"
        );
    }
}
