//! The command table: one row per command (Redis's `commands.def` idea).
//!
//! A row drives dispatch, the arity check, key extraction (for routing and
//! `COMMAND GETKEYS`), `COMMAND INFO/DOCS/LIST/COUNT` and ACL categories.
//! Adding a command is one row here (in its family's `COMMANDS` slice), one
//! handler function and its tests. This module never executes anything.

use crate::context::Ctx;
use crate::error::CommandError;

/// What a handler returns: `Ok` after writing its reply, or an error written
/// by the dispatcher (a handler must not write anything before erroring).
pub type CommandResult = Result<(), CommandError>;

/// A command implementation.
pub type Handler = fn(&mut Ctx<'_>) -> CommandResult;

/// Command flags, named as `COMMAND INFO` prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(pub u32);

impl Flags {
    /// No flags.
    pub const NONE: Flags = Flags(0);
    /// `write`
    pub const WRITE: Flags = Flags(1 << 0);
    /// `readonly`
    pub const READONLY: Flags = Flags(1 << 1);
    /// `denyoom`
    pub const DENYOOM: Flags = Flags(1 << 2);
    /// `admin`
    pub const ADMIN: Flags = Flags(1 << 3);
    /// `pubsub`
    pub const PUBSUB: Flags = Flags(1 << 4);
    /// `noscript`
    pub const NOSCRIPT: Flags = Flags(1 << 5);
    /// `blocking`
    pub const BLOCKING: Flags = Flags(1 << 6);
    /// `loading`
    pub const LOADING: Flags = Flags(1 << 7);
    /// `stale`
    pub const STALE: Flags = Flags(1 << 8);
    /// `skip_monitor`
    pub const SKIP_MONITOR: Flags = Flags(1 << 9);
    /// `skip_slowlog`
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 10);
    /// `fast`
    pub const FAST: Flags = Flags(1 << 11);
    /// `no_auth`
    pub const NO_AUTH: Flags = Flags(1 << 12);
    /// `may_replicate`
    pub const MAY_REPLICATE: Flags = Flags(1 << 13);
    /// `no_mandatory_keys`
    pub const NO_MANDATORY_KEYS: Flags = Flags(1 << 14);
    /// `no_async_loading`
    pub const NO_ASYNC_LOADING: Flags = Flags(1 << 15);
    /// `no_multi`
    pub const NO_MULTI: Flags = Flags(1 << 16);
    /// `movablekeys` is derived, not declared; `allow_busy`
    pub const ALLOW_BUSY: Flags = Flags(1 << 17);
    /// `asking`: the command acts as if ASKING preceded it (RESTORE-ASKING).
    pub const ASKING: Flags = Flags(1 << 18);

    /// Union of flags (usable in consts).
    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// True when every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flag names in `COMMAND INFO` order.
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [(Flags, &str); 19] = [
            (Flags::WRITE, "write"),
            (Flags::READONLY, "readonly"),
            (Flags::DENYOOM, "denyoom"),
            (Flags::ADMIN, "admin"),
            (Flags::PUBSUB, "pubsub"),
            (Flags::NOSCRIPT, "noscript"),
            (Flags::BLOCKING, "blocking"),
            (Flags::LOADING, "loading"),
            (Flags::STALE, "stale"),
            (Flags::SKIP_MONITOR, "skip_monitor"),
            (Flags::SKIP_SLOWLOG, "skip_slowlog"),
            (Flags::ASKING, "asking"),
            (Flags::FAST, "fast"),
            (Flags::NO_AUTH, "no_auth"),
            (Flags::MAY_REPLICATE, "may_replicate"),
            (Flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
            (Flags::NO_ASYNC_LOADING, "no_async_loading"),
            (Flags::NO_MULTI, "no_multi"),
            (Flags::ALLOW_BUSY, "allow_busy"),
        ];
        NAMES
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect()
    }
}

/// Where a command's keys are (Redis's legacy first/last/step triple, plus
/// custom extraction for commands whose keys move).
#[derive(Clone, Copy, Debug)]
pub enum KeySpec {
    /// No keys.
    None,
    /// Keys at `first..=last` step `step`; `last` negative counts from the
    /// end (-1 = last argument). Indexes include the command name at 0.
    Range {
        /// Index of the first key.
        first: i32,
        /// Index of the last key (negative: from the end).
        last: i32,
        /// Distance between keys.
        step: i32,
    },
    /// Keys found by a function (movable keys), e.g. `BITOP`'s or `LCS`'s.
    Custom {
        /// First/last/step advertised in COMMAND INFO.
        first: i32,
        /// Last key index advertised.
        last: i32,
        /// Step advertised.
        step: i32,
        /// Returns the argument indexes of the keys.
        find: fn(&[bytes::Bytes]) -> Vec<usize>,
    },
}

impl KeySpec {
    /// A single key at argument 1.
    pub const ONE: KeySpec = KeySpec::Range {
        first: 1,
        last: 1,
        step: 1,
    };
    /// Every argument from 1 on is a key.
    pub const ALL: KeySpec = KeySpec::Range {
        first: 1,
        last: -1,
        step: 1,
    };

    /// Indexes of the key arguments of `args` (args[0] is the command name).
    pub fn key_indexes(&self, args: &[bytes::Bytes]) -> Vec<usize> {
        match *self {
            KeySpec::None => Vec::new(),
            KeySpec::Range { first, last, step } => {
                let len = args.len() as i32;
                let last = if last < 0 { len + last } else { last };
                let mut indexes = Vec::new();
                let mut index = first;
                while index <= last && index < len && step > 0 {
                    indexes.push(index as usize);
                    index += step;
                }
                indexes
            }
            KeySpec::Custom { find, .. } => find(args),
        }
    }

    /// The first/last/step triple COMMAND INFO advertises.
    pub fn legacy_triple(&self) -> (i32, i32, i32) {
        match *self {
            KeySpec::None => (0, 0, 0),
            KeySpec::Range { first, last, step } => (first, last, step),
            KeySpec::Custom {
                first, last, step, ..
            } => (first, last, step),
        }
    }
}

/// One command (or subcommand) row.
#[derive(Clone, Copy, Debug)]
pub struct CommandSpec {
    /// Lower-case name: `get`, or `container|sub` (e.g. `client|list`) for a
    /// subcommand row, which is also its full name in COMMAND and errors.
    pub name: &'static str,
    /// Redis arity: N = exactly N arguments including the name, -N = at least N.
    pub arity: i32,
    /// Flags.
    pub flags: Flags,
    /// ACL categories without the `@`, e.g. `&["string", "write", "slow"]`.
    pub acl_categories: &'static [&'static str],
    /// Key positions.
    pub keys: KeySpec,
    /// COMMAND DOCS group (`string`, `generic`, `bitmap`, `connection`, `server`, `cluster`).
    pub group: &'static str,
    /// COMMAND DOCS summary.
    pub summary: &'static str,
    /// COMMAND DOCS since.
    pub since: &'static str,
    /// COMMAND DOCS complexity.
    pub complexity: &'static str,
    /// The implementation; `None` for containers that only dispatch to subcommands.
    pub handler: Option<Handler>,
    /// Subcommands (containers such as CLIENT, CONFIG, OBJECT).
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// A row with defaults for the descriptive fields; families fill the rest
    /// with struct update syntax: `CommandSpec { name: "get", ..CommandSpec::DEFAULT }`.
    pub const DEFAULT: CommandSpec = CommandSpec {
        name: "",
        arity: 0,
        flags: Flags::NONE,
        acl_categories: &[],
        keys: KeySpec::None,
        group: "generic",
        summary: "",
        since: "1.0.0",
        complexity: "O(1)",
        handler: None,
        subcommands: &[],
    };

    /// A leaf row (a handler, no subcommands). Families wrap this with their
    /// group so their rows stay one line each.
    #[allow(clippy::too_many_arguments)]
    pub const fn leaf(
        name: &'static str,
        arity: i32,
        flags: Flags,
        acl_categories: &'static [&'static str],
        keys: KeySpec,
        group: &'static str,
        summary: &'static str,
        since: &'static str,
        complexity: &'static str,
        handler: Handler,
    ) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags,
            acl_categories,
            keys,
            group,
            summary,
            since,
            complexity,
            handler: Some(handler),
            subcommands: &[],
        }
    }

    /// True when `argc` satisfies the arity rule.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = i64::from(self.arity);
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// Finds a subcommand by case-insensitive name.
    pub fn subcommand(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommands.iter().find(|sub| {
            let short = sub
                .name
                .split_once('|')
                .map_or(sub.name, |(_, short)| short);
            short.as_bytes().eq_ignore_ascii_case(name)
        })
    }
}

/// The whole table: all family slices, looked up case-insensitively.
pub struct CommandTable {
    // Lookups only, never iterated; a fixed fast hasher (names are short).
    by_name:
        std::collections::HashMap<&'static str, &'static CommandSpec, crate::node::IdHasherBuilder>,
    ordered: Vec<&'static CommandSpec>,
}

impl CommandTable {
    /// Builds the lookup map from family slices. Panics on a duplicate name
    /// (a programming error caught by the table test).
    pub fn new(families: &[&'static [CommandSpec]]) -> Self {
        let mut by_name = std::collections::HashMap::with_hasher(crate::node::IdHasherBuilder);
        let mut ordered = Vec::new();
        for family in families {
            for spec in family.iter() {
                assert!(
                    by_name.insert(spec.name, spec).is_none(),
                    "duplicate command {}",
                    spec.name
                );
                ordered.push(spec);
            }
        }
        ordered.sort_by_key(|spec| spec.name);
        CommandTable { by_name, ordered }
    }

    /// Looks a command up by name, ignoring ASCII case.
    pub fn get(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        let mut lower = [0u8; 32];
        if name.len() > lower.len() {
            return None;
        }
        for (slot, byte) in lower.iter_mut().zip(name) {
            *slot = byte.to_ascii_lowercase();
        }
        let lower = std::str::from_utf8(&lower[..name.len()]).ok()?;
        self.by_name.get(lower).copied()
    }

    /// Every top-level command, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        self.ordered.iter().copied()
    }

    /// Number of top-level commands.
    pub fn len(&self) -> usize {
        self.ordered.len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.ordered.is_empty()
    }
}
