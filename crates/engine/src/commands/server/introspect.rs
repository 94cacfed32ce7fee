//! COMMAND and its subcommands (Redis `commandCommand` family): command
//! introspection driven entirely by the command table, plus the Redis
//! 7.0.15 metadata rows do not carry yet (tips, key specifications, doc
//! history; see `meta.rs`).
//!
//! It reads the static table only: it never executes a command and never
//! depends on node state.

use std::sync::OnceLock;

use bytes::Bytes;
use shoal_resp::ReplyWriter;

use crate::context::Ctx;
use crate::error::CommandError;
use crate::table::{CommandResult, CommandSpec, CommandTable, Flags, KeySpec};

use super::meta::{self, BeginSearch, CommandMeta, FindKeys, KeySpecMeta};
use super::{sub_row, INTROSPECTION_ACL, LOADING_STALE};

/// COMMAND's subcommand rows.
pub(super) const SUBCOMMANDS: &[CommandSpec] = &[
    sub_row(
        "command|count",
        2,
        LOADING_STALE,
        INTROSPECTION_ACL,
        "Get total number of Redis commands",
        "2.8.13",
        "O(1)",
        command_count,
    ),
    sub_row(
        "command|docs",
        -2,
        LOADING_STALE,
        INTROSPECTION_ACL,
        "Get array of specific Redis command documentation",
        "7.0.0",
        "O(N) where N is the number of commands to look up",
        command_docs,
    ),
    sub_row(
        "command|getkeys",
        -4,
        LOADING_STALE,
        INTROSPECTION_ACL,
        "Extract keys given a full Redis command",
        "2.8.13",
        "O(N) where N is the number of arguments to the command",
        command_getkeys,
    ),
    sub_row(
        "command|getkeysandflags",
        -4,
        LOADING_STALE,
        INTROSPECTION_ACL,
        "Extract keys and access flags given a full Redis command",
        "7.0.0",
        "O(N) where N is the number of arguments to the command",
        command_getkeysandflags,
    ),
    sub_row(
        "command|help",
        2,
        LOADING_STALE,
        INTROSPECTION_ACL,
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
        command_help,
    ),
    sub_row(
        "command|info",
        -2,
        LOADING_STALE,
        INTROSPECTION_ACL,
        "Get array of specific Redis command details, or all when no argument is given.",
        "2.8.13",
        "O(N) where N is the number of commands to look up",
        command_info,
    ),
    sub_row(
        "command|list",
        -2,
        LOADING_STALE,
        INTROSPECTION_ACL,
        "Get an array of Redis command names",
        "7.0.0",
        "O(N) where N is the total number of Redis commands",
        command_list,
    ),
];

/// Redis's ACL category order (`ACLCommandCategories`), which COMMAND INFO
/// follows whatever order a row lists its categories in.
const ACL_CATEGORY_ORDER: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The command table, built once from every family's rows (the engine
/// builds its own copy; both come from the same static rows).
pub(crate) fn command_table() -> &'static CommandTable {
    static TABLE: OnceLock<CommandTable> = OnceLock::new();
    TABLE.get_or_init(|| CommandTable::new(crate::commands::FAMILIES))
}

/// A command by full name, `get` or `config|get` (Redis
/// `lookupCommandBySds`): one `|` at most, case-insensitive.
pub(crate) fn lookup_full_name(name: &[u8]) -> Option<&'static CommandSpec> {
    let table = command_table();
    match name.iter().position(|&byte| byte == b'|') {
        None => table.get(name),
        Some(split) => {
            let sub_name = &name[split + 1..];
            if sub_name.contains(&b'|') {
                return None;
            }
            table.get(&name[..split])?.subcommand(sub_name)
        }
    }
}

/// `COMMAND` alone: every command's details.
pub(super) fn command_all(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.args.len() > 1 {
        // The dispatcher routes words after COMMAND to subcommand rows.
        return Err(CommandError::UnknownSubcommand {
            subcommand: String::from_utf8_lossy(ctx.arg(1)).into_owned(),
            command: "COMMAND".to_string(),
        });
    }
    let table = command_table();
    ctx.out.array(table.len());
    for spec in table.iter() {
        write_info(ctx.out, spec);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.out.integer(command_table().len() as i64);
    Ok(())
}

/// COMMAND INFO [name ...]: details, `nil` for unknown names.
fn command_info(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.args.len() == 2 {
        let table = command_table();
        ctx.out.array(table.len());
        for spec in table.iter() {
            write_info(ctx.out, spec);
        }
        return Ok(());
    }
    ctx.out.array(ctx.args.len() - 2);
    for name in &ctx.args[2..] {
        match lookup_full_name(name) {
            Some(spec) => write_info(ctx.out, spec),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// COMMAND DOCS [name ...]: a map of full name → docs; unknown names are
/// skipped.
fn command_docs(ctx: &mut Ctx<'_>) -> CommandResult {
    let specs: Vec<&'static CommandSpec> = if ctx.args.len() == 2 {
        command_table().iter().collect()
    } else {
        ctx.args[2..]
            .iter()
            .filter_map(|name| lookup_full_name(name))
            .collect()
    };
    ctx.out.map(specs.len());
    for spec in specs {
        ctx.out.bulk(spec.name.as_bytes());
        write_docs(ctx.out, spec);
    }
    Ok(())
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern].
fn command_list(ctx: &mut Ctx<'_>) -> CommandResult {
    enum Filter<'a> {
        All,
        Module,
        AclCategory(&'a [u8]),
        Pattern(&'a [u8]),
    }
    let mut filter = Filter::All;
    let mut index = 2;
    while index < ctx.args.len() {
        let more = ctx.args.len() - 1 - index;
        if !(ctx.arg_is(index, "FILTERBY") && more == 2) {
            return Err(CommandError::Syntax);
        }
        let value = ctx.arg(index + 2);
        filter = if ctx.arg_is(index + 1, "MODULE") {
            Filter::Module
        } else if ctx.arg_is(index + 1, "ACLCAT") {
            Filter::AclCategory(value)
        } else if ctx.arg_is(index + 1, "PATTERN") {
            Filter::Pattern(value)
        } else {
            return Err(CommandError::Syntax);
        };
        index += 3;
    }
    let matches = |spec: &CommandSpec| match filter {
        Filter::All => true,
        // Shoal has no modules, so no command belongs to one.
        Filter::Module => false,
        Filter::AclCategory(category) => spec
            .acl_categories
            .iter()
            .any(|own| own.as_bytes().eq_ignore_ascii_case(category)),
        Filter::Pattern(pattern) => {
            shoal_keyspace::glob::string_match(pattern, spec.name.as_bytes(), true)
        }
    };
    let mut names: Vec<&'static str> = Vec::new();
    for spec in command_table().iter() {
        for row in std::iter::once(spec).chain(spec.subcommands.iter()) {
            if matches(row) {
                names.push(row.name);
            }
        }
    }
    ctx.out.bulk_array(names.iter().map(|name| name.as_bytes()));
    Ok(())
}

fn command_getkeys(ctx: &mut Ctx<'_>) -> CommandResult {
    getkeys(ctx, false)
}

fn command_getkeysandflags(ctx: &mut Ctx<'_>) -> CommandResult {
    getkeys(ctx, true)
}

/// Redis `getKeysSubcommandImpl`: the keys of the command given after the
/// subcommand, found exactly as dispatch finds them (the row's `KeySpec`).
fn getkeys(ctx: &mut Ctx<'_>, with_flags: bool) -> CommandResult {
    let command: &[Bytes] = &ctx.args[2..];
    let Some(spec) = lookup_command(command) else {
        return Err(CommandError::err("Invalid command specified"));
    };
    if matches!(spec.keys, KeySpec::None) {
        return Err(CommandError::err("The command has no key arguments"));
    }
    if !spec.arity_ok(command.len()) {
        return Err(CommandError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let positions = spec.keys.key_indexes(command);
    let positions: Vec<usize> = positions
        .into_iter()
        .filter(|&at| at < command.len())
        .collect();
    if positions.is_empty() && !spec.flags.contains(Flags::NO_MANDATORY_KEYS) {
        return Err(CommandError::err("Invalid arguments specified for command"));
    }
    let flagged = if with_flags {
        flagged_positions(spec, command)
    } else {
        Vec::new()
    };
    ctx.out.array(positions.len());
    for position in positions {
        if with_flags {
            ctx.out.array(2);
            ctx.out.bulk(&command[position]);
            let flags = flagged
                .iter()
                .find(|(at, _)| *at == position)
                .map_or_else(|| derived_key_flags(spec), |(_, flags)| *flags);
            ctx.out.set(flags.len());
            for flag in flags {
                ctx.out.simple(flag);
            }
        } else {
            ctx.out.bulk(&command[position]);
        }
    }
    Ok(())
}

/// Redis `lookupCommand` over a full command line: the container itself when
/// there is no second word or it has no subcommands.
fn lookup_command(command: &[Bytes]) -> Option<&'static CommandSpec> {
    let spec = command_table().get(command.first()?)?;
    if command.len() == 1 || spec.subcommands.is_empty() {
        return Some(spec);
    }
    spec.subcommand(&command[1])
}

/// Key positions with their flags per Redis's key specifications
/// (`getKeysUsingKeySpecs` with partial results), and the flags of the two
/// commands whose flags depend on their arguments (`setGetKeys`,
/// `bitfieldGetKeys`).
fn flagged_positions(
    spec: &CommandSpec,
    command: &[Bytes],
) -> Vec<(usize, &'static [&'static str])> {
    const OVERWRITE: &[&str] = &["OW", "update"];
    const READ_WRITE: &[&str] = &["RW", "access", "update"];
    const READ_ONLY: &[&str] = &["RO", "access"];
    match spec.name {
        "set" => {
            let get = command
                .iter()
                .skip(3)
                .any(|arg| arg.eq_ignore_ascii_case(b"GET"));
            return vec![(1, if get { READ_WRITE } else { OVERWRITE })];
        }
        "bitfield" => {
            return vec![(
                1,
                if bitfield_is_read_only(command) {
                    READ_ONLY
                } else {
                    READ_WRITE
                },
            )]
        }
        _ => {}
    }
    let Some(meta) = meta::lookup(spec.name) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for key_spec in meta.key_specs {
        if key_spec.flags.contains(&"not_key") {
            continue;
        }
        for position in key_spec_positions(key_spec, command) {
            found.push((position, key_spec.flags));
        }
    }
    found
}

/// Redis `bitfieldGetKeys`: read-only unless a SET/INCRBY (or a syntax
/// error) appears.
fn bitfield_is_read_only(command: &[Bytes]) -> bool {
    let mut index = 2;
    while index < command.len() {
        let remaining = command.len() - index - 1;
        let arg = &command[index];
        if arg.eq_ignore_ascii_case(b"GET") && remaining >= 2 {
            index += 3;
        } else if (arg.eq_ignore_ascii_case(b"SET") || arg.eq_ignore_ascii_case(b"INCRBY"))
            && remaining >= 3
        {
            return false;
        } else if arg.eq_ignore_ascii_case(b"OVERFLOW") && remaining >= 1 {
            index += 2;
        } else {
            return false;
        }
    }
    true
}

/// The positions one key specification yields for `command` (empty when it
/// does not apply or is invalid for these arguments).
fn key_spec_positions(key_spec: &KeySpecMeta, command: &[Bytes]) -> Vec<usize> {
    let argc = command.len() as i64;
    let first = match key_spec.begin_search {
        BeginSearch::Index(index) => i64::from(index),
        BeginSearch::Keyword { keyword, startfrom } => {
            let startfrom = i64::from(startfrom);
            let start = if startfrom > 0 {
                startfrom
            } else {
                argc + startfrom
            };
            let end = if startfrom > 0 { argc - 1 } else { 1 };
            let step = if start <= end { 1 } else { -1 };
            let mut index = start;
            let mut found = None;
            while index != end + step {
                if index >= argc || index < 1 {
                    break;
                }
                if command[index as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                    found = Some(index + 1);
                    break;
                }
                index += step;
            }
            match found {
                Some(first) => first,
                None => return Vec::new(),
            }
        }
        BeginSearch::Unknown => return Vec::new(),
    };
    let (first, last, step) = match key_spec.find_keys {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            let lastkey = i64::from(lastkey);
            let last = if lastkey >= 0 {
                first + lastkey
            } else if limit == 0 {
                argc + lastkey
            } else {
                first + ((argc - first) / i64::from(limit) + lastkey)
            };
            (first, last, i64::from(keystep))
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            let Some(count) = usize::try_from(first + i64::from(keynumidx))
                .ok()
                .and_then(|at| command.get(at))
                .and_then(|arg| shoal_resp::parse_i64_strict(arg))
                .filter(|count| *count >= 0)
            else {
                return Vec::new();
            };
            let first = first + i64::from(firstkey);
            (first, first + count - 1, i64::from(keystep))
        }
        FindKeys::Unknown => return Vec::new(),
    };
    if last >= argc || last < first || first >= argc || step <= 0 {
        return Vec::new();
    }
    (first..=last)
        .step_by(step as usize)
        .map(|index| index as usize)
        .collect()
}

/// Key flags for a command Redis 7.0.15 does not describe: the worst case
/// for writers, read access for readers.
fn derived_key_flags(spec: &CommandSpec) -> &'static [&'static str] {
    if spec.flags.contains(Flags::READONLY) && !spec.flags.contains(Flags::WRITE) {
        &["RO", "access"]
    } else {
        &["RW", "access", "update"]
    }
}

/// The key specifications COMMAND INFO shows: Redis's own when the command
/// is a Redis command, else one derived from the row's `KeySpec`.
fn key_specs_of(spec: &CommandSpec, meta: Option<&'static CommandMeta>) -> Vec<KeySpecMeta> {
    if let Some(meta) = meta.filter(|meta| !meta.key_specs.is_empty()) {
        return meta.key_specs.to_vec();
    }
    let flags = derived_key_flags(spec);
    match spec.keys {
        KeySpec::None => Vec::new(),
        KeySpec::Range { first, last, step } => vec![KeySpecMeta {
            notes: "",
            flags,
            begin_search: BeginSearch::Index(first),
            find_keys: FindKeys::Range {
                lastkey: if last >= 0 { last - first } else { last },
                keystep: step,
                limit: 0,
            },
        }],
        KeySpec::Custom { .. } => vec![KeySpecMeta {
            notes: "",
            flags,
            begin_search: BeginSearch::Unknown,
            find_keys: FindKeys::Unknown,
        }],
    }
}

/// COMMAND INFO flags: Redis hides `may_replicate` and derives
/// `movablekeys` (keys not at fixed positions), printed before `allow_busy`.
fn info_flags(spec: &CommandSpec, key_specs: &[KeySpecMeta]) -> Vec<&'static str> {
    let movable = matches!(spec.keys, KeySpec::Custom { .. })
        || key_specs.iter().any(|key_spec| {
            !matches!(key_spec.begin_search, BeginSearch::Index(_))
                || !matches!(key_spec.find_keys, FindKeys::Range { .. })
        });
    let mut names: Vec<&'static str> = spec
        .flags
        .names()
        .into_iter()
        .filter(|name| !matches!(*name, "may_replicate" | "allow_busy"))
        .collect();
    if movable {
        names.push("movablekeys");
    }
    if spec.flags.contains(Flags::ALLOW_BUSY) {
        names.push("allow_busy");
    }
    names
}

fn sorted_categories(spec: &CommandSpec) -> Vec<&'static str> {
    let mut categories = spec.acl_categories.to_vec();
    categories.sort_by_key(|category| {
        ACL_CATEGORY_ORDER
            .iter()
            .position(|known| known == category)
            .unwrap_or(usize::MAX)
    });
    categories
}

/// One COMMAND INFO entry (Redis `addReplyCommandInfo`).
pub(crate) fn write_info(out: &mut ReplyWriter, spec: &'static CommandSpec) {
    let meta = meta::lookup(spec.name);
    let key_specs = key_specs_of(spec, meta);
    let (first, last, step) = spec.keys.legacy_triple();
    out.array(10);
    out.bulk(spec.name.as_bytes());
    out.integer(i64::from(spec.arity));
    let flags = info_flags(spec, &key_specs);
    out.set(flags.len());
    for flag in flags {
        out.simple(flag);
    }
    out.integer(i64::from(first));
    out.integer(i64::from(last));
    out.integer(i64::from(step));
    let categories = sorted_categories(spec);
    out.set(categories.len());
    for category in categories {
        out.simple(&format!("@{category}"));
    }
    let tips = meta.map_or(&[][..], |meta| meta.tips);
    out.set(tips.len());
    for tip in tips {
        out.bulk(tip.as_bytes());
    }
    out.set(key_specs.len());
    for key_spec in &key_specs {
        write_key_spec(out, key_spec);
    }
    if spec.subcommands.is_empty() {
        out.set(0);
    } else {
        out.array(spec.subcommands.len());
        for sub in spec.subcommands {
            write_info(out, sub);
        }
    }
}

fn write_key_spec(out: &mut ReplyWriter, key_spec: &KeySpecMeta) {
    out.map(if key_spec.notes.is_empty() { 3 } else { 4 });
    if !key_spec.notes.is_empty() {
        out.bulk(b"notes");
        out.bulk(key_spec.notes.as_bytes());
    }
    out.bulk(b"flags");
    out.set(key_spec.flags.len());
    for flag in key_spec.flags {
        out.simple(flag);
    }
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match key_spec.begin_search {
        BeginSearch::Index(index) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.integer(i64::from(index));
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.integer(i64::from(startfrom));
        }
        BeginSearch::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match key_spec.find_keys {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            for (name, value) in [("lastkey", lastkey), ("keystep", keystep), ("limit", limit)] {
                out.bulk(name.as_bytes());
                out.integer(i64::from(value));
            }
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            for (name, value) in [
                ("keynumidx", keynumidx),
                ("firstkey", firstkey),
                ("keystep", keystep),
            ] {
                out.bulk(name.as_bytes());
                out.integer(i64::from(value));
            }
        }
        FindKeys::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
}

/// One COMMAND DOCS entry (Redis `addReplyCommandDocs`). Argument
/// descriptions (`arguments`) are not served yet.
pub(crate) fn write_docs(out: &mut ReplyWriter, spec: &'static CommandSpec) {
    let meta = meta::lookup(spec.name);
    let doc_flags = meta.map_or(&[][..], |meta| meta.doc_flags);
    let deprecated_since = meta.map_or("", |meta| meta.deprecated_since);
    let replaced_by = meta.map_or("", |meta| meta.replaced_by);
    let history = meta.map_or(&[][..], |meta| meta.history);
    let texts = [("summary", spec.summary), ("since", spec.since)];
    let fields = 1
        + texts.iter().filter(|(_, text)| !text.is_empty()).count()
        + usize::from(!spec.complexity.is_empty())
        + usize::from(!doc_flags.is_empty())
        + usize::from(!deprecated_since.is_empty())
        + usize::from(!replaced_by.is_empty())
        + usize::from(!history.is_empty())
        + usize::from(!spec.subcommands.is_empty());
    out.map(fields);
    for (name, text) in texts {
        if !text.is_empty() {
            out.bulk(name.as_bytes());
            out.bulk(text.as_bytes());
        }
    }
    out.bulk(b"group");
    out.bulk(spec.group.as_bytes());
    if !spec.complexity.is_empty() {
        out.bulk(b"complexity");
        out.bulk(spec.complexity.as_bytes());
    }
    if !doc_flags.is_empty() {
        out.bulk(b"doc_flags");
        out.set(doc_flags.len());
        for flag in doc_flags {
            out.simple(flag);
        }
    }
    for (name, text) in [
        ("deprecated_since", deprecated_since),
        ("replaced_by", replaced_by),
    ] {
        if !text.is_empty() {
            out.bulk(name.as_bytes());
            out.bulk(text.as_bytes());
        }
    }
    if !history.is_empty() {
        out.bulk(b"history");
        out.set(history.len());
        for (version, description) in history {
            out.array(2);
            out.bulk(version.as_bytes());
            out.bulk(description.as_bytes());
        }
    }
    if !spec.subcommands.is_empty() {
        out.bulk(b"subcommands");
        out.map(spec.subcommands.len());
        for sub in spec.subcommands {
            out.bulk(sub.name.as_bytes());
            write_docs(out, sub);
        }
    }
}

fn command_help(ctx: &mut Ctx<'_>) -> CommandResult {
    const LINES: &[&str] = &[
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ];
    crate::commands::connection::write_help(ctx, LINES);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{bulk, error, simple, TestNode};
    use shoal_resp::{Frame, Protocol};

    fn set(items: Vec<Frame>) -> Frame {
        Frame::Set(items)
    }

    fn map(items: Vec<(&str, Frame)>) -> Frame {
        Frame::Map(
            items
                .into_iter()
                .map(|(key, value)| (bulk(key), value))
                .collect(),
        )
    }

    fn simples(items: &[&str]) -> Vec<Frame> {
        items.iter().map(|item| simple(item)).collect()
    }

    fn int(value: i64) -> Frame {
        Frame::Integer(value)
    }

    fn decode(bytes: &[u8]) -> Frame {
        match shoal_resp::parse_frame(bytes) {
            Ok(Some((frame, used))) => {
                assert_eq!(used, bytes.len());
                frame
            }
            other => panic!("undecodable {other:?}"),
        }
    }

    /// The RESP3 reply of redis-server 7.0.15 to `COMMAND INFO get`.
    fn oracle_get_info() -> Frame {
        Frame::Array(vec![
            bulk("get"),
            int(2),
            set(simples(&["readonly", "fast"])),
            int(1),
            int(1),
            int(1),
            set(simples(&["@read", "@string", "@fast"])),
            set(vec![]),
            set(vec![map(vec![
                ("flags", set(simples(&["RO", "access"]))),
                (
                    "begin_search",
                    map(vec![
                        ("type", bulk("index")),
                        ("spec", map(vec![("index", int(1))])),
                    ]),
                ),
                (
                    "find_keys",
                    map(vec![
                        ("type", bulk("range")),
                        (
                            "spec",
                            map(vec![
                                ("lastkey", int(0)),
                                ("keystep", int(1)),
                                ("limit", int(0)),
                            ]),
                        ),
                    ]),
                ),
            ])]),
            set(vec![]),
        ])
    }

    #[test]
    fn info_get_matches_redis() {
        let mut node = TestNode::new();
        node.run("HELLO 3");
        assert_eq!(
            node.run("COMMAND INFO get"),
            Frame::Array(vec![oracle_get_info()])
        );
        assert_eq!(
            node.run("COMMAND INFO GET"),
            Frame::Array(vec![oracle_get_info()])
        );
    }

    #[test]
    fn info_resp2_matches_redis_bytes() {
        // `COMMAND INFO config|get nosuch` on redis-server 7.0.15, RESP2.
        let mut out = ReplyWriter::new(Protocol::Resp2);
        let spec = lookup_full_name(b"config|get").expect("config|get exists");
        write_info(&mut out, spec);
        assert_eq!(
            String::from_utf8_lossy(out.as_bytes()),
            "*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n\
             +stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n\
             *0\r\n"
        );
        let mut node = TestNode::new();
        let Frame::Array(entries) = node.run("COMMAND INFO config|get nosuch") else {
            panic!("COMMAND INFO is an array");
        };
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0], decode(out.as_bytes()));
        assert_eq!(entries[1], Frame::Null);
    }

    #[test]
    fn info_of_container_lists_subcommands() {
        let mut node = TestNode::new();
        node.run("HELLO 3");
        let Frame::Array(entries) = node.run("COMMAND INFO config") else {
            panic!("array")
        };
        let Frame::Array(fields) = &entries[0] else {
            panic!("entry is an array")
        };
        assert_eq!(fields[0], bulk("config"));
        assert_eq!(fields[1], int(-2));
        assert_eq!(fields[2], set(vec![]));
        assert_eq!(fields[6], set(simples(&["@slow"])));
        let Frame::Array(subcommands) = &fields[9] else {
            panic!("subcommands are an array")
        };
        assert_eq!(subcommands.len(), 5);
        let Frame::Array(config_set) = &subcommands[1] else {
            panic!("array")
        };
        assert_eq!(config_set[0], bulk("config|set"));
        assert_eq!(
            config_set[7],
            set(vec![
                bulk("request_policy:all_nodes"),
                bulk("response_policy:all_succeeded")
            ])
        );
    }

    #[test]
    fn count_matches_table() {
        let mut node = TestNode::new();
        let expected = node.engine.table().len() as i64;
        assert!(expected >= COMMANDS_IN_THIS_FAMILY);
        assert_eq!(node.run("COMMAND COUNT"), int(expected));
        assert_eq!(
            node.run("COMMAND COUNT x"),
            error("ERR wrong number of arguments for 'command|count' command")
        );
    }

    const COMMANDS_IN_THIS_FAMILY: i64 = super::super::COMMANDS.len() as i64;

    #[test]
    fn info_without_names_lists_everything() {
        let mut node = TestNode::new();
        let all = node.run("COMMAND INFO");
        let Frame::Array(entries) = &all else {
            panic!("array")
        };
        assert_eq!(entries.len(), node.engine.table().len());
        let mut out = ReplyWriter::new(Protocol::Resp2);
        out.array(command_table().len());
        for spec in command_table().iter() {
            write_info(&mut out, spec);
        }
        assert_eq!(decode(out.as_bytes()), all);
    }

    #[test]
    fn bare_command_lists_everything() {
        let mut node = TestNode::new();
        let all = node.run("COMMAND INFO");
        let spec = command_table().get(b"command").expect("command row");
        // Through the handler: dispatching a bare container is the engine's job.
        assert_eq!(
            super::super::run_handler(&mut node, spec, &["COMMAND"]),
            all
        );
        assert_eq!(
            super::super::run_handler(&mut node, spec, &["COMMAND", "x"]),
            error("ERR unknown subcommand 'x'. Try COMMAND HELP.")
        );
    }

    #[test]
    fn getkeys_follows_key_specs() {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("COMMAND GETKEYS SET a b"),
            Frame::Array(vec![bulk("a")])
        );
        assert_eq!(
            node.run("COMMAND GETKEYS MSET a 1 b 2 c 3"),
            Frame::Array(vec![bulk("a"), bulk("b"), bulk("c")])
        );
        assert_eq!(
            node.run("COMMAND GETKEYS MEMORY USAGE k"),
            Frame::Array(vec![bulk("k")])
        );
        assert_eq!(
            node.run("COMMAND GETKEYS nosuch a b"),
            error("ERR Invalid command specified")
        );
        assert_eq!(
            node.run("COMMAND GETKEYS CONFIG nosuch a"),
            error("ERR Invalid command specified")
        );
        assert_eq!(
            node.run("COMMAND GETKEYS set a"),
            error("ERR Invalid number of arguments specified for command")
        );
        assert_eq!(
            node.run("COMMAND GETKEYS ping x y"),
            error("ERR The command has no key arguments")
        );
        assert_eq!(
            node.run("COMMAND GETKEYS config get x"),
            error("ERR The command has no key arguments")
        );
        assert_eq!(
            node.run("COMMAND GETKEYS get"),
            error("ERR wrong number of arguments for 'command|getkeys' command")
        );
    }

    #[test]
    fn getkeysandflags_matches_redis() {
        let mut node = TestNode::new();
        let keyed =
            |key: &str, flags: &[&str]| Frame::Array(vec![bulk(key), Frame::Array(simples(flags))]);
        assert_eq!(
            node.run("COMMAND GETKEYSANDFLAGS set a b"),
            Frame::Array(vec![keyed("a", &["OW", "update"])])
        );
        assert_eq!(
            node.run("COMMAND GETKEYSANDFLAGS set k v get"),
            Frame::Array(vec![keyed("k", &["RW", "access", "update"])])
        );
        assert_eq!(
            node.run("COMMAND GETKEYSANDFLAGS mset a 1 b 2"),
            Frame::Array(vec![
                keyed("a", &["OW", "update"]),
                keyed("b", &["OW", "update"])
            ])
        );
        node.run("HELLO 3");
        assert_eq!(
            node.run("COMMAND GETKEYSANDFLAGS get a"),
            Frame::Array(vec![Frame::Array(vec![
                bulk("a"),
                set(simples(&["RO", "access"]))
            ])])
        );
    }

    #[test]
    fn key_spec_evaluation() {
        let args = |line: &str| -> Vec<Bytes> {
            line.split(' ')
                .map(|word| Bytes::copy_from_slice(word.as_bytes()))
                .collect()
        };
        let keynum = KeySpecMeta {
            notes: "",
            flags: &["RO"],
            begin_search: BeginSearch::Index(2),
            find_keys: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                keystep: 1,
            },
        };
        assert_eq!(
            key_spec_positions(&keynum, &args("eval s 2 a b c")),
            vec![3, 4]
        );
        assert_eq!(
            key_spec_positions(&keynum, &args("eval s 0")),
            Vec::<usize>::new()
        );
        assert_eq!(
            key_spec_positions(&keynum, &args("eval s 9 a")),
            Vec::<usize>::new()
        );
        assert_eq!(
            key_spec_positions(&keynum, &args("eval s x a")),
            Vec::<usize>::new()
        );
        assert_eq!(
            key_spec_positions(&keynum, &args("eval s")),
            Vec::<usize>::new()
        );
        let streams = KeySpecMeta {
            notes: "",
            flags: &["RO"],
            begin_search: BeginSearch::Keyword {
                keyword: "STREAMS",
                startfrom: 1,
            },
            find_keys: FindKeys::Range {
                lastkey: -1,
                keystep: 1,
                limit: 2,
            },
        };
        assert_eq!(
            key_spec_positions(&streams, &args("xread count 1 streams a b 0 0")),
            vec![4, 5]
        );
        assert_eq!(
            key_spec_positions(&streams, &args("xread count 1")),
            Vec::<usize>::new()
        );
        let migrate = KeySpecMeta {
            notes: "",
            flags: &["RW"],
            begin_search: BeginSearch::Keyword {
                keyword: "KEYS",
                startfrom: -2,
            },
            find_keys: FindKeys::Range {
                lastkey: -1,
                keystep: 1,
                limit: 0,
            },
        };
        assert_eq!(
            key_spec_positions(&migrate, &args("migrate h p \"\" 0 5 KEYS a b")),
            vec![7, 8]
        );
        assert!(bitfield_is_read_only(&args("bitfield k GET u8 0")));
        assert!(!bitfield_is_read_only(&args(
            "bitfield k GET u8 0 SET u8 0 1"
        )));
        assert!(!bitfield_is_read_only(&args("bitfield k OVERFLOW")));
    }

    #[test]
    fn list_and_filters() {
        let mut node = TestNode::new();
        let Frame::Array(all) = node.run("COMMAND LIST") else {
            panic!("array")
        };
        let subcommands: usize = command_table()
            .iter()
            .map(|spec| spec.subcommands.len())
            .sum();
        assert_eq!(all.len(), command_table().len() + subcommands);
        assert!(all.contains(&bulk("config|get")));
        assert_eq!(
            node.run("COMMAND LIST FILTERBY PATTERN conf*"),
            Frame::Array(
                [
                    "config",
                    "config|get",
                    "config|set",
                    "config|resetstat",
                    "config|rewrite",
                    "config|help"
                ]
                .iter()
                .map(|name| bulk(name))
                .collect()
            )
        );
        let Frame::Array(dangerous) = node.run("COMMAND LIST FILTERBY ACLCAT DANGEROUS") else {
            panic!("array")
        };
        assert!(dangerous.contains(&bulk("config|set")));
        assert!(!dangerous.contains(&bulk("config|help")));
        assert_eq!(
            node.run("COMMAND LIST FILTERBY ACLCAT nosuch"),
            Frame::Array(vec![])
        );
        assert_eq!(
            node.run("COMMAND LIST FILTERBY MODULE x"),
            Frame::Array(vec![])
        );
        assert_eq!(node.run("COMMAND LIST FILTERBY"), error("ERR syntax error"));
        assert_eq!(
            node.run("COMMAND LIST FILTERBY foo bar"),
            error("ERR syntax error")
        );
        assert_eq!(
            node.run("COMMAND LIST foo bar baz"),
            error("ERR syntax error")
        );
    }

    #[test]
    fn docs_match_redis() {
        let mut node = TestNode::new();
        node.run("HELLO 3");
        assert_eq!(
            node.run("COMMAND DOCS nosuch time"),
            map(vec![(
                "time",
                map(vec![
                    ("summary", bulk("Return the current server time")),
                    ("since", bulk("2.6.0")),
                    ("group", bulk("server")),
                    ("complexity", bulk("O(1)")),
                ])
            )])
        );
        // History from the metadata table; MONITOR has no complexity.
        let Frame::Map(entries) = node.run("COMMAND DOCS config|get monitor") else {
            panic!("map")
        };
        assert_eq!(entries[0].0, bulk("config|get"));
        let Frame::Map(fields) = &entries[0].1 else {
            panic!("map")
        };
        assert_eq!(
            fields.last(),
            Some(&(
                bulk("history"),
                set(vec![Frame::Array(vec![
                    bulk("7.0.0"),
                    bulk("Added the ability to pass multiple pattern parameters in one call")
                ])])
            ))
        );
        let Frame::Map(fields) = &entries[1].1 else {
            panic!("map")
        };
        assert_eq!(fields.len(), 3);
        let Frame::Map(all) = node.run("COMMAND DOCS") else {
            panic!("map")
        };
        assert_eq!(all.len(), command_table().len());
    }

    #[test]
    fn help_text() {
        let mut node = TestNode::new();
        let Frame::Array(lines) = node.run("COMMAND HELP") else {
            panic!("array")
        };
        assert_eq!(lines.len(), 21);
        assert_eq!(lines[20], simple("    Prints this help."));
        assert_eq!(
            node.run("COMMAND nosuch"),
            error("ERR unknown subcommand 'nosuch'. Try COMMAND HELP.")
        );
    }

    #[test]
    fn metadata_is_sorted_and_known_commands_resolve() {
        assert!(meta::COMMAND_META
            .windows(2)
            .all(|pair| pair[0].name < pair[1].name));
        assert!(meta::lookup("config|set").is_some());
        assert!(meta::lookup("nosuch").is_none());
        assert_eq!(
            lookup_full_name(b"CONFIG|GET").map(|spec| spec.name),
            Some("config|get")
        );
        assert!(lookup_full_name(b"config|get|x").is_none());
        assert!(lookup_full_name(b"time|x").is_none());
        assert!(lookup_full_name(b"config|").is_none());
        assert!(lookup_full_name(b"").is_none());
    }

    #[test]
    fn flags_hide_may_replicate_and_order_allow_busy() {
        let mut node = TestNode::new();
        let Frame::Array(entries) = node.run("COMMAND INFO shutdown") else {
            panic!("array")
        };
        let Frame::Array(fields) = &entries[0] else {
            panic!("array")
        };
        assert_eq!(
            fields[2],
            Frame::Array(simples(&[
                "admin",
                "noscript",
                "loading",
                "stale",
                "no_multi",
                "allow_busy"
            ]))
        );
    }
}
