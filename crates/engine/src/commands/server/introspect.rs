//! COMMAND and its subcommands (Redis `commandCommand` family): command
//! introspection driven entirely by the command table, plus the Redis
//! 7.0.15 metadata rows do not carry yet (tips, key specifications, doc
//! history, argument descriptions; see `meta.rs` and `meta_args.rs`).
//!
//! It reads the static table only: it never executes a command and never
//! depends on node state.

use std::sync::OnceLock;

use bytes::Bytes;
use shoal_resp::ReplyWriter;

use crate::context::Ctx;
use crate::error::CommandError;
use crate::table::{CommandResult, CommandSpec, CommandTable, Flags, KeySpec};

use super::meta::args::{self as meta_args, ArgMeta};
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
            subcommand: crate::error::quote_for_error(ctx.arg(1)),
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
    write_docs_map(ctx.out, &specs);
    Ok(())
}

/// The COMMAND DOCS reply: a map of full name → docs.
fn write_docs_map(out: &mut ReplyWriter, specs: &[&'static CommandSpec]) {
    out.map(specs.len());
    for spec in specs {
        out.bulk(spec.name.as_bytes());
        write_docs(out, spec);
    }
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

/// One COMMAND DOCS entry (Redis `addReplyCommandDocs`): fields in Redis's
/// order, absent ones left out; `arguments` as Redis 7.0.15 describes the
/// command (redis-cli builds its hints from them).
pub(crate) fn write_docs(out: &mut ReplyWriter, spec: &'static CommandSpec) {
    let meta = meta::lookup(spec.name);
    let arguments = meta_args::lookup(spec.name).unwrap_or(&[]);
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
        + usize::from(!arguments.is_empty())
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
    if !arguments.is_empty() {
        out.bulk(b"arguments");
        write_args(out, arguments);
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

/// An argument list (Redis `addReplyCommandArgList`): each argument a map
/// of name, type, then whichever of key_spec_index, token, summary, since,
/// deprecated_since, flags it has, and the nested `arguments` of a `oneof`
/// or `block` (always present for those, even when empty).
fn write_args(out: &mut ReplyWriter, arguments: &[ArgMeta]) {
    out.array(arguments.len());
    for arg in arguments {
        let texts = [
            ("token", arg.token),
            ("summary", arg.summary),
            ("since", arg.since),
            ("deprecated_since", arg.deprecated_since),
        ];
        let flag_count = arg.flag_names().count();
        let fields = 2
            + usize::from(arg.key_spec_index.is_some())
            + texts.iter().filter(|(_, text)| !text.is_empty()).count()
            + usize::from(flag_count > 0)
            + usize::from(arg.kind.is_container());
        out.map(fields);
        out.bulk(b"name");
        out.bulk(arg.name.as_bytes());
        out.bulk(b"type");
        out.bulk(arg.kind.name().as_bytes());
        if let Some(index) = arg.key_spec_index {
            out.bulk(b"key_spec_index");
            out.integer(i64::from(index));
        }
        for (name, text) in texts {
            if !text.is_empty() {
                out.bulk(name.as_bytes());
                out.bulk(text.as_bytes());
            }
        }
        if flag_count > 0 {
            out.bulk(b"flags");
            out.set(flag_count);
            for flag in arg.flag_names() {
                out.simple(flag);
            }
        }
        if arg.kind.is_container() {
            out.bulk(b"arguments");
            write_args(out, arg.arguments);
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
        // History, then the arguments (Redis `addReplyCommandDocs` order).
        let names: Vec<&Frame> = fields.iter().map(|(name, _)| name).collect();
        assert_eq!(
            names[names.len() - 2..],
            [&bulk("history"), &bulk("arguments")]
        );
        assert_eq!(
            fields[fields.len() - 2].1,
            set(vec![Frame::Array(vec![
                bulk("7.0.0"),
                bulk("Added the ability to pass multiple pattern parameters in one call")
            ])])
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

    /// `COMMAND DOCS get` on redis-server 7.0.15, RESP2.
    const ORACLE_DOCS_GET: &str =
        "*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\n\
since\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\n\
O(1)\r\n$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n\
$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n";

    /// `COMMAND DOCS set` on redis-server 7.0.15, RESP2.
    const ORACLE_DOCS_SET: &str =
        "*2\r\n$3\r\nset\r\n*12\r\n$7\r\nsummary\r\n$29\r\nSet the string value of a key\r\n\
$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n\
$4\r\nO(1)\r\n$7\r\nhistory\r\n*4\r\n*2\r\n$6\r\n2.6.12\r\n$44\r\n\
Added the `EX`, `PX`, `NX` and `XX` options.\r\n*2\r\n$5\r\n6.0.0\r\n$27\r\n\
Added the `KEEPTTL` option.\r\n*2\r\n$5\r\n6.2.0\r\n$42\r\n\
Added the `GET`, `EXAT` and `PXAT` option.\r\n*2\r\n$5\r\n7.0.0\r\n$55\r\n\
Allowed the `NX` and `GET` options to be used together.\r\n$9\r\narguments\r\n*5\r\n\
*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\n\
key_spec_index\r\n:0\r\n*4\r\n$4\r\nname\r\n$5\r\nvalue\r\n$4\r\ntype\r\n$6\r\n\
string\r\n*10\r\n$4\r\nname\r\n$9\r\ncondition\r\n$4\r\ntype\r\n$5\r\noneof\r\n\
$5\r\nsince\r\n$6\r\n2.6.12\r\n$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n\
*2\r\n*6\r\n$4\r\nname\r\n$2\r\nnx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\n\
token\r\n$2\r\nNX\r\n*6\r\n$4\r\nname\r\n$2\r\nxx\r\n$4\r\ntype\r\n$10\r\n\
pure-token\r\n$5\r\ntoken\r\n$2\r\nXX\r\n*10\r\n$4\r\nname\r\n$3\r\nget\r\n$4\r\n\
type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nGET\r\n$5\r\nsince\r\n$5\r\n\
6.2.0\r\n$5\r\nflags\r\n*1\r\n+optional\r\n*8\r\n$4\r\nname\r\n$10\r\nexpiration\r\n\
$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n\
*5\r\n*8\r\n$4\r\nname\r\n$7\r\nseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\n\
token\r\n$2\r\nEX\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n*8\r\n$4\r\nname\r\n$12\r\n\
milliseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\nPX\r\n$5\r\n\
since\r\n$6\r\n2.6.12\r\n*8\r\n$4\r\nname\r\n$17\r\nunix-time-seconds\r\n$4\r\n\
type\r\n$9\r\nunix-time\r\n$5\r\ntoken\r\n$4\r\nEXAT\r\n$5\r\nsince\r\n$5\r\n\
6.2.0\r\n*8\r\n$4\r\nname\r\n$22\r\nunix-time-milliseconds\r\n$4\r\ntype\r\n$9\r\n\
unix-time\r\n$5\r\ntoken\r\n$4\r\nPXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n*8\r\n$4\r\n\
name\r\n$7\r\nkeepttl\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$7\r\n\
KEEPTTL\r\n$5\r\nsince\r\n$5\r\n6.0.0\r\n";

    /// `COMMAND DOCS bitfield` on redis-server 7.0.15, RESP2.
    const ORACLE_DOCS_BITFIELD: &str = "*2\r\n$8\r\nbitfield\r\n*10\r\n$7\r\nsummary\r\n$56\r\n\
Perform arbitrary bitfield integer operations on strings\r\n$5\r\nsince\r\n$5\r\n\
3.2.0\r\n$5\r\ngroup\r\n$6\r\nbitmap\r\n$10\r\ncomplexity\r\n$34\r\n\
O(1) for each subcommand specified\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n\
$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n*8\r\n$4\r\n\
name\r\n$9\r\noperation\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n*2\r\n\
+optional\r\n+multiple\r\n$9\r\narguments\r\n*2\r\n*8\r\n$4\r\nname\r\n$15\r\n\
encoding_offset\r\n$4\r\ntype\r\n$5\r\nblock\r\n$5\r\ntoken\r\n$3\r\nGET\r\n$9\r\n\
arguments\r\n*2\r\n*4\r\n$4\r\nname\r\n$8\r\nencoding\r\n$4\r\ntype\r\n$6\r\n\
string\r\n*4\r\n$4\r\nname\r\n$6\r\noffset\r\n$4\r\ntype\r\n$7\r\ninteger\r\n*6\r\n\
$4\r\nname\r\n$5\r\nwrite\r\n$4\r\ntype\r\n$5\r\nblock\r\n$9\r\narguments\r\n*2\r\n\
*10\r\n$4\r\nname\r\n$13\r\nwrap_sat_fail\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\n\
token\r\n$8\r\nOVERFLOW\r\n$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n\
*3\r\n*6\r\n$4\r\nname\r\n$4\r\nwrap\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\n\
token\r\n$4\r\nWRAP\r\n*6\r\n$4\r\nname\r\n$3\r\nsat\r\n$4\r\ntype\r\n$10\r\n\
pure-token\r\n$5\r\ntoken\r\n$3\r\nSAT\r\n*6\r\n$4\r\nname\r\n$4\r\nfail\r\n$4\r\n\
type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$4\r\nFAIL\r\n*6\r\n$4\r\nname\r\n\
$15\r\nwrite_operation\r\n$4\r\ntype\r\n$5\r\noneof\r\n$9\r\narguments\r\n*2\r\n\
*8\r\n$4\r\nname\r\n$21\r\nencoding_offset_value\r\n$4\r\ntype\r\n$5\r\nblock\r\n\
$5\r\ntoken\r\n$3\r\nSET\r\n$9\r\narguments\r\n*3\r\n*4\r\n$4\r\nname\r\n$8\r\n\
encoding\r\n$4\r\ntype\r\n$6\r\nstring\r\n*4\r\n$4\r\nname\r\n$6\r\noffset\r\n$4\r\n\
type\r\n$7\r\ninteger\r\n*4\r\n$4\r\nname\r\n$5\r\nvalue\r\n$4\r\ntype\r\n$7\r\n\
integer\r\n*8\r\n$4\r\nname\r\n$25\r\nencoding_offset_increment\r\n$4\r\ntype\r\n\
$5\r\nblock\r\n$5\r\ntoken\r\n$6\r\nINCRBY\r\n$9\r\narguments\r\n*3\r\n*4\r\n$4\r\n\
name\r\n$8\r\nencoding\r\n$4\r\ntype\r\n$6\r\nstring\r\n*4\r\n$4\r\nname\r\n$6\r\n\
offset\r\n$4\r\ntype\r\n$7\r\ninteger\r\n*4\r\n$4\r\nname\r\n$9\r\nincrement\r\n\
$4\r\ntype\r\n$7\r\ninteger\r\n";

    /// `COMMAND DOCS scan` on redis-server 7.0.15, RESP2.
    const ORACLE_DOCS_SCAN: &str = "*2\r\n$4\r\nscan\r\n*12\r\n$7\r\nsummary\r\n$36\r\n\
Incrementally iterate the keys space\r\n$5\r\nsince\r\n$5\r\n2.8.0\r\n$5\r\n\
group\r\n$7\r\ngeneric\r\n$10\r\ncomplexity\r\n$169\r\n\
O(1) for every call. O(N) for a complete iteration, including enough command calls \
for the cursor to return back to 0. N is the number of elements inside the \
collection.\r\n$7\r\nhistory\r\n*1\r\n*2\r\n$5\r\n6.0.0\r\n$28\r\n\
Added the `TYPE` subcommand.\r\n$9\r\narguments\r\n*4\r\n*4\r\n$4\r\nname\r\n$6\r\n\
cursor\r\n$4\r\ntype\r\n$7\r\ninteger\r\n*8\r\n$4\r\nname\r\n$7\r\npattern\r\n$4\r\n\
type\r\n$7\r\npattern\r\n$5\r\ntoken\r\n$5\r\nMATCH\r\n$5\r\nflags\r\n*1\r\n\
+optional\r\n*8\r\n$4\r\nname\r\n$5\r\ncount\r\n$4\r\ntype\r\n$7\r\ninteger\r\n\
$5\r\ntoken\r\n$5\r\nCOUNT\r\n$5\r\nflags\r\n*1\r\n+optional\r\n*10\r\n$4\r\n\
name\r\n$4\r\ntype\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$4\r\nTYPE\r\n\
$5\r\nsince\r\n$5\r\n6.0.0\r\n$5\r\nflags\r\n*1\r\n+optional\r\n";

    /// `COMMAND DOCS cluster|setslot` on redis-server 7.0.15, RESP2.
    const ORACLE_DOCS_CLUSTER_SETSLOT: &str =
        "*2\r\n$15\r\ncluster|setslot\r\n*10\r\n$7\r\nsummary\r\n$35\r\n\
Bind a hash slot to a specific node\r\n$5\r\nsince\r\n$5\r\n3.0.0\r\n$5\r\ngroup\r\n\
$7\r\ncluster\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*2\r\n*4\r\n\
$4\r\nname\r\n$4\r\nslot\r\n$4\r\ntype\r\n$7\r\ninteger\r\n*6\r\n$4\r\nname\r\n\
$10\r\nsubcommand\r\n$4\r\ntype\r\n$5\r\noneof\r\n$9\r\narguments\r\n*4\r\n*6\r\n\
$4\r\nname\r\n$7\r\nnode-id\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$9\r\n\
IMPORTING\r\n*6\r\n$4\r\nname\r\n$7\r\nnode-id\r\n$4\r\ntype\r\n$6\r\nstring\r\n\
$5\r\ntoken\r\n$9\r\nMIGRATING\r\n*6\r\n$4\r\nname\r\n$7\r\nnode-id\r\n$4\r\n\
type\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$4\r\nNODE\r\n*6\r\n$4\r\nname\r\n$6\r\n\
stable\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$6\r\nSTABLE\r\n";

    /// `COMMAND DOCS scan` on redis-server 7.0.15 after `HELLO 3`.
    const ORACLE_DOCS_SCAN_RESP3: &str = "%1\r\n$4\r\nscan\r\n%6\r\n$7\r\nsummary\r\n$36\r\n\
Incrementally iterate the keys space\r\n$5\r\nsince\r\n$5\r\n2.8.0\r\n$5\r\n\
group\r\n$7\r\ngeneric\r\n$10\r\ncomplexity\r\n$169\r\n\
O(1) for every call. O(N) for a complete iteration, including enough command calls \
for the cursor to return back to 0. N is the number of elements inside the \
collection.\r\n$7\r\nhistory\r\n~1\r\n*2\r\n$5\r\n6.0.0\r\n$28\r\n\
Added the `TYPE` subcommand.\r\n$9\r\narguments\r\n*4\r\n%2\r\n$4\r\nname\r\n$6\r\n\
cursor\r\n$4\r\ntype\r\n$7\r\ninteger\r\n%4\r\n$4\r\nname\r\n$7\r\npattern\r\n$4\r\n\
type\r\n$7\r\npattern\r\n$5\r\ntoken\r\n$5\r\nMATCH\r\n$5\r\nflags\r\n~1\r\n\
+optional\r\n%4\r\n$4\r\nname\r\n$5\r\ncount\r\n$4\r\ntype\r\n$7\r\ninteger\r\n\
$5\r\ntoken\r\n$5\r\nCOUNT\r\n$5\r\nflags\r\n~1\r\n+optional\r\n%5\r\n$4\r\nname\r\n\
$4\r\ntype\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$4\r\nTYPE\r\n$5\r\n\
since\r\n$5\r\n6.0.0\r\n$5\r\nflags\r\n~1\r\n+optional\r\n";

    /// The `arguments` value of `COMMAND DOCS client|kill` on redis-server
    /// 7.0.15, RESP2.
    const ORACLE_ARGS_CLIENT_KILL: &str =
        "*1\r\n*6\r\n$4\r\nname\r\n$6\r\nfilter\r\n$4\r\ntype\r\n$5\r\noneof\r\n$9\r\n\
arguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$7\r\nip:port\r\n$4\r\ntype\r\n$6\r\n\
string\r\n$16\r\ndeprecated_since\r\n$6\r\n2.8.12\r\n*8\r\n$4\r\nname\r\n$10\r\n\
new-format\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n*1\r\n+multiple\r\n$9\r\n\
arguments\r\n*6\r\n*10\r\n$4\r\nname\r\n$9\r\nclient-id\r\n$4\r\ntype\r\n$7\r\n\
integer\r\n$5\r\ntoken\r\n$2\r\nID\r\n$5\r\nsince\r\n$6\r\n2.8.12\r\n$5\r\nflags\r\n\
*1\r\n+optional\r\n*12\r\n$4\r\nname\r\n$26\r\nnormal_master_slave_pubsub\r\n$4\r\n\
type\r\n$5\r\noneof\r\n$5\r\ntoken\r\n$4\r\nTYPE\r\n$5\r\nsince\r\n$6\r\n2.8.12\r\n\
$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*5\r\n*6\r\n$4\r\nname\r\n\
$6\r\nnormal\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$6\r\nNORMAL\r\n\
*8\r\n$4\r\nname\r\n$6\r\nmaster\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\n\
token\r\n$6\r\nMASTER\r\n$5\r\nsince\r\n$5\r\n3.2.0\r\n*6\r\n$4\r\nname\r\n$5\r\n\
slave\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$5\r\nSLAVE\r\n*8\r\n\
$4\r\nname\r\n$7\r\nreplica\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n\
$7\r\nREPLICA\r\n$5\r\nsince\r\n$5\r\n5.0.0\r\n*6\r\n$4\r\nname\r\n$6\r\npubsub\r\n\
$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$6\r\nPUBSUB\r\n*8\r\n$4\r\n\
name\r\n$8\r\nusername\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$4\r\n\
USER\r\n$5\r\nflags\r\n*1\r\n+optional\r\n*8\r\n$4\r\nname\r\n$7\r\nip:port\r\n\
$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$4\r\nADDR\r\n$5\r\nflags\r\n*1\r\n\
+optional\r\n*10\r\n$4\r\nname\r\n$7\r\nip:port\r\n$4\r\ntype\r\n$6\r\nstring\r\n\
$5\r\ntoken\r\n$5\r\nLADDR\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n$5\r\nflags\r\n*1\r\n\
+optional\r\n*8\r\n$4\r\nname\r\n$6\r\nyes/no\r\n$4\r\ntype\r\n$6\r\nstring\r\n\
$5\r\ntoken\r\n$6\r\nSKIPME\r\n$5\r\nflags\r\n*1\r\n+optional\r\n";

    /// The bytes COMMAND DOCS writes for `names` (through the reply writer
    /// the handler uses) and the frame the handler replies with.
    fn docs_reply(protocol: Protocol, names: &[&str]) -> (Vec<u8>, Frame) {
        let specs: Vec<&'static CommandSpec> = names
            .iter()
            .filter_map(|name| lookup_full_name(name.as_bytes()))
            .collect();
        let mut out = ReplyWriter::new(protocol);
        write_docs_map(&mut out, &specs);
        let mut node = TestNode::new();
        if protocol == Protocol::Resp3 {
            node.run("HELLO 3");
        }
        let line = format!("COMMAND DOCS {}", names.join(" "));
        (out.as_bytes().to_vec(), node.run(&line))
    }

    #[test]
    fn docs_arguments_match_redis_bytes() {
        for (name, oracle) in [
            ("get", ORACLE_DOCS_GET),
            ("set", ORACLE_DOCS_SET),
            ("bitfield", ORACLE_DOCS_BITFIELD),
            ("scan", ORACLE_DOCS_SCAN),
            ("cluster|setslot", ORACLE_DOCS_CLUSTER_SETSLOT),
        ] {
            let (bytes, frame) = docs_reply(Protocol::Resp2, &[name]);
            assert_eq!(String::from_utf8_lossy(&bytes), oracle, "{name}");
            assert_eq!(frame, decode(oracle.as_bytes()), "{name}");
        }
        // Several names at once, unknown ones skipped, names case-insensitive.
        let (bytes, frame) = docs_reply(Protocol::Resp2, &["GET", "nosuch", "set|x", "SET"]);
        let expected = format!(
            "*4\r\n{}{}",
            &ORACLE_DOCS_GET["*2\r\n".len()..],
            &ORACLE_DOCS_SET["*2\r\n".len()..]
        );
        assert_eq!(String::from_utf8_lossy(&bytes), expected);
        assert_eq!(frame, decode(expected.as_bytes()));
    }

    #[test]
    fn docs_arguments_match_redis_bytes_resp3() {
        let (bytes, frame) = docs_reply(Protocol::Resp3, &["scan"]);
        assert_eq!(String::from_utf8_lossy(&bytes), ORACLE_DOCS_SCAN_RESP3);
        assert_eq!(frame, decode(ORACLE_DOCS_SCAN_RESP3.as_bytes()));
    }

    #[test]
    fn client_kill_arguments_match_redis_bytes() {
        // Only the arguments: CLIENT KILL's row does not carry Redis's
        // complexity text yet.
        let arguments = meta_args::lookup("client|kill").expect("client|kill has arguments");
        let mut out = ReplyWriter::new(Protocol::Resp2);
        write_args(&mut out, arguments);
        assert_eq!(
            String::from_utf8_lossy(out.as_bytes()),
            ORACLE_ARGS_CLIENT_KILL
        );
        let mut node = TestNode::new();
        let Frame::Array(entries) = node.run("COMMAND DOCS client") else {
            panic!("COMMAND DOCS is a map (an array in RESP2)")
        };
        let Some(Frame::Array(subcommands)) = field(&entries[1], "subcommands") else {
            panic!("client has subcommands")
        };
        let kill = subcommands
            .chunks(2)
            .find(|pair| pair[0] == bulk("client|kill"))
            .map(|pair| &pair[1])
            .expect("client|kill is listed");
        assert_eq!(
            field(kill, "arguments"),
            Some(&decode(ORACLE_ARGS_CLIENT_KILL.as_bytes()))
        );
    }

    /// The value of `name` in a RESP2 docs map (a flat array).
    fn field<'a>(docs: &'a Frame, name: &str) -> Option<&'a Frame> {
        let Frame::Array(items) = docs else {
            panic!("docs are a flat map")
        };
        items
            .chunks(2)
            .find(|pair| pair[0] == bulk(name))
            .map(|pair| &pair[1])
    }

    /// Redis 7.0.15 commands that take arguments but document none.
    const UNDOCUMENTED_ARGUMENTS: &[&str] = &[
        "command",
        "command|getkeys",
        "command|getkeysandflags",
        "debug",
        "quit",
        "replconf",
    ];

    #[test]
    fn every_command_documents_its_arguments() {
        let mut node = TestNode::new();
        let Frame::Array(all) = node.run("COMMAND DOCS") else {
            panic!("flat map")
        };
        let mut checked = 0;
        for pair in all.chunks(2) {
            let Frame::Bulk(name) = &pair[0] else {
                panic!("names are bulk strings")
            };
            let name = std::str::from_utf8(name).expect("ASCII name");
            let spec = lookup_full_name(name.as_bytes()).expect("listed commands exist");
            let mut entries = vec![(spec, &pair[1])];
            if let Some(Frame::Array(subcommands)) = field(&pair[1], "subcommands") {
                assert_eq!(subcommands.len(), spec.subcommands.len() * 2);
                for (sub, docs) in spec.subcommands.iter().zip(subcommands.chunks(2)) {
                    assert_eq!(docs[0], bulk(sub.name));
                    entries.push((sub, &docs[1]));
                }
            }
            for (spec, docs) in entries {
                // Independent of the generated table: Redis documents the
                // arguments of every command whose arity admits any.
                let base_arity = if spec.name.contains('|') { 2 } else { 1 };
                let takes_arguments = spec.subcommands.is_empty()
                    && spec.arity != base_arity
                    && !UNDOCUMENTED_ARGUMENTS.contains(&spec.name);
                let arguments = field(docs, "arguments");
                assert_eq!(arguments.is_some(), takes_arguments, "{}", spec.name);
                let Some(Frame::Array(arguments)) = arguments else {
                    continue;
                };
                let generated = meta_args::lookup(spec.name).expect("generated");
                assert_eq!(arguments.len(), generated.len(), "{}", spec.name);
                // Every key argument points at one of the command's key specs.
                let key_specs = meta::lookup(spec.name).map_or(0, |meta| meta.key_specs.len());
                assert_key_spec_indexes(generated, key_specs, spec.name);
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} commands with arguments");
    }

    fn assert_key_spec_indexes(arguments: &[ArgMeta], key_specs: usize, name: &str) {
        for arg in arguments {
            if let Some(index) = arg.key_spec_index {
                assert!(usize::from(index) < key_specs, "{name} {}", arg.name);
            }
            assert_eq!(
                arg.kind == meta_args::ArgType::Key,
                arg.key_spec_index.is_some() && arg.kind != meta_args::ArgType::Pattern,
                "{name} {}",
                arg.name
            );
            assert_eq!(
                arg.kind.is_container(),
                !arg.arguments.is_empty(),
                "{name} {}",
                arg.name
            );
            assert_key_spec_indexes(arg.arguments, key_specs, name);
        }
    }

    #[test]
    fn argument_table_is_sorted() {
        assert!(meta_args::COMMAND_ARGS
            .windows(2)
            .all(|pair| pair[0].0 < pair[1].0));
        assert!(meta_args::lookup("set").is_some());
        assert!(meta_args::lookup("client|kill").is_some());
        assert!(meta_args::lookup("time").is_none());
        assert!(meta_args::lookup("nosuch").is_none());
        assert!(meta_args::lookup("").is_none());
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
