//! Test support: an engine with one client and a `run("SET k v")` helper
//! that returns the decoded reply, in the style of Dragonfly's
//! `BaseFamilyTest::Run`. Used by unit tests across the crate and by other
//! crates' tests.

use bytes::Bytes;
use shoal_config::Config;
use shoal_resp::{parse_frame, Frame, Protocol, ReplyWriter};

use crate::client::{ClientId, ConnectInfo};
use crate::engine::{Engine, ExecOutcome};

/// An engine plus one connected client and a settable clock.
pub struct TestNode {
    /// The engine under test.
    pub engine: Engine,
    /// The client commands run as.
    pub client: ClientId,
    /// Current Unix time in ms (tests advance it by hand).
    pub now_ms: i64,
    out: ReplyWriter,
    last_args: Vec<Bytes>,
}

impl Default for TestNode {
    fn default() -> Self {
        TestNode::with_config(Config::default())
    }
}

impl TestNode {
    /// A node with default configuration.
    pub fn new() -> Self {
        TestNode::default()
    }

    /// A node with the given configuration.
    pub fn with_config(config: Config) -> Self {
        let now_ms = 1_700_000_000_000;
        let mut engine = Engine::new(config, 7, now_ms);
        let client = engine
            .connect(
                ConnectInfo {
                    peer_addr: "127.0.0.1:50000".into(),
                    local_addr: "127.0.0.1:6379".into(),
                    fd: 8,
                },
                now_ms,
            )
            .unwrap_or(0);
        TestNode {
            engine,
            client,
            now_ms,
            out: ReplyWriter::new(Protocol::Resp2),
            last_args: Vec::new(),
        }
    }

    /// Runs a command given as words separated by spaces (double quotes group
    /// words; `\xHH`-free). Returns the single decoded reply (or `Frame::Null`
    /// when the reply was suppressed).
    pub fn run(&mut self, line: &str) -> Frame {
        let args = split_words(line);
        let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
        self.run_args(&args)
    }

    /// Runs a command given as raw arguments.
    pub fn run_args(&mut self, args: &[&[u8]]) -> Frame {
        let args: Vec<Bytes> = args.iter().map(|arg| Bytes::copy_from_slice(arg)).collect();
        let outcome = self
            .engine
            .execute(self.client, &args, self.now_ms * 1000, &mut self.out);
        assert_ne!(outcome, ExecOutcome::Paused, "test command was paused");
        self.last_args = args;
        let bytes = self.out.take();
        self.out.set_protocol(if self.resp3() {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        });
        if bytes.is_empty() {
            return Frame::Null;
        }
        match parse_frame(&bytes) {
            Ok(Some((frame, used))) => {
                assert_eq!(used, bytes.len(), "command wrote more than one reply");
                frame
            }
            other => panic!(
                "undecodable reply {other:?}: {:?}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }

    fn resp3(&self) -> bool {
        self.engine
            .node
            .clients
            .get(self.client)
            .is_some_and(|client| client.resp == 3)
    }

    /// Records a duration for the last command run, as the shell does after
    /// timing `execute`.
    pub fn record_duration(&mut self, duration_us: i64) {
        self.engine
            .record_duration(self.client, &self.last_args, duration_us, self.now_ms);
    }

    /// Advances the clock.
    pub fn advance_ms(&mut self, delta_ms: i64) {
        self.now_ms += delta_ms;
    }
}

fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut has_word = false;
    for character in line.chars() {
        match character {
            '"' => {
                in_quotes = !in_quotes;
                has_word = true;
            }
            ' ' if !in_quotes => {
                if has_word {
                    words.push(std::mem::take(&mut current));
                    has_word = false;
                }
            }
            other => {
                current.push(other);
                has_word = true;
            }
        }
    }
    if has_word {
        words.push(current);
    }
    words
}

/// Shorthand for a bulk-string frame.
pub fn bulk(text: &str) -> Frame {
    Frame::Bulk(text.as_bytes().to_vec())
}

/// Shorthand for an error frame.
pub fn error(text: &str) -> Frame {
    Frame::Error(text.to_string())
}

/// Shorthand for a simple-string frame.
pub fn simple(text: &str) -> Frame {
    Frame::Simple(text.to_string())
}

/// One command's COMMAND INFO essentials as Redis prints them: (name, arity,
/// flags, (first, last, step), ACL categories).
pub type CommandInfoRow = (
    &'static str,
    i32,
    &'static [&'static str],
    (i32, i32, i32),
    &'static [&'static str],
);

/// Asserts that each named row exists in `rows` (top-level rows of a family
/// or the whole table) with Redis's arity, flags, key triple and ACL
/// categories, and, when `group` is given, that COMMAND DOCS group.
pub fn assert_rows_match(
    rows: &[crate::table::CommandSpec],
    expected: &[CommandInfoRow],
    group: Option<&str>,
) {
    for (name, arity, flags, triple, acl) in expected {
        let spec = rows
            .iter()
            .find(|spec| spec.name.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(spec.arity, *arity, "{name}");
        assert_eq!(spec.flags.names(), *flags, "{name}");
        assert_eq!(spec.keys.legacy_triple(), *triple, "{name}");
        assert_eq!(spec.acl_categories, *acl, "{name}");
        if let Some(group) = group {
            assert_eq!(spec.group, group, "{name}");
        }
    }
}

/// The key argument indexes the row named `args[0]` finds in `args`.
pub fn key_indexes(rows: &[crate::table::CommandSpec], args: &[&str]) -> Option<Vec<usize>> {
    let spec = rows
        .iter()
        .find(|spec| spec.name.eq_ignore_ascii_case(args[0]))?;
    let args: Vec<Bytes> = args
        .iter()
        .map(|arg| Bytes::copy_from_slice(arg.as_bytes()))
        .collect();
    Some(spec.keys.key_indexes(&args))
}
