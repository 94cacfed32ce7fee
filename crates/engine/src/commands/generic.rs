//! The generic (keyspace) command family: DEL UNLINK EXISTS TYPE KEYS SCAN
//! RANDOMKEY RENAME RENAMENX COPY MOVE TOUCH, the EXPIRE/TTL family, PERSIST,
//! OBJECT, and the database-wide DBSIZE FLUSHDB FLUSHALL SWAPDB.
//!
//! It owns the Redis 7.0.15 semantics of these commands — argument parsing,
//! option precedence, error texts, replies, `server.dirty` and keyspace
//! hit/miss accounting (`db.c`, `expire.c`, `object.c`). It never reaches
//! into a value's representation (that is the keyspace's job) and never
//! reads a clock: "now" is `ctx.now_ms`.

use rand::RngCore;
use shoal_keyspace::{Db, Value};
use shoal_resp::parse_i64_strict;

use crate::commands::connection::write_help;
use crate::commands::pubsub::note_key_miss;
use crate::context::Ctx;
use crate::error::CommandError;
use crate::table::{CommandResult, CommandSpec, Flags, KeySpec};
use shoal_config::notify;

const KEYSPACE_WRITE_SLOW: &[&str] = &["keyspace", "write", "slow"];
const KEYSPACE_WRITE_FAST: &[&str] = &["keyspace", "write", "fast"];
const KEYSPACE_READ_FAST: &[&str] = &["keyspace", "read", "fast"];
const KEYSPACE_READ_SLOW: &[&str] = &["keyspace", "read", "slow"];
const KEYSPACE_READ_SLOW_DANGEROUS: &[&str] = &["keyspace", "read", "slow", "dangerous"];
const KEYSPACE_WRITE_SLOW_DANGEROUS: &[&str] = &["keyspace", "write", "slow", "dangerous"];
const KEYSPACE_WRITE_FAST_DANGEROUS: &[&str] = &["keyspace", "write", "fast", "dangerous"];

const WRITE_FAST: Flags = Flags::WRITE.with(Flags::FAST);
const READONLY_FAST: Flags = Flags::READONLY.with(Flags::FAST);

/// RESTORE's and RESTORE-ASKING's documented complexity (COMMAND DOCS).
const RESTORE_COMPLEXITY: &str = "O(1) to create the new key and additional O(N*M) to reconstruct \
     the serialized value, where N is the number of Redis objects composing the value and M their \
     average size. For small string values the time complexity is thus O(1)+O(1*M) where M is \
     small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because \
     inserting values into sorted sets is O(log(N)).";

/// Keys at arguments 1 and 2 (RENAME, COPY).
const TWO_KEYS: KeySpec = KeySpec::Range {
    first: 1,
    last: 2,
    step: 1,
};
/// The key of an OBJECT subcommand (argument 2).
const OBJECT_KEY: KeySpec = KeySpec::Range {
    first: 2,
    last: 2,
    step: 1,
};

/// Rows of the generic family (and DBSIZE/FLUSHDB/FLUSHALL/SWAPDB, which
/// Redis files under the `server` group), as `COMMAND INFO`/`COMMAND DOCS`
/// of Redis 7.0.15 report them.
pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "del",
        arity: -2,
        flags: Flags::WRITE,
        acl_categories: KEYSPACE_WRITE_SLOW,
        keys: KeySpec::ALL,
        summary: "Delete a key",
        complexity: "O(N) where N is the number of keys that will be removed. When a key to \
                     remove holds a value other than a string, the individual complexity for \
                     this key is O(M) where M is the number of elements in the list, set, sorted \
                     set or hash. Removing a single key that holds a string value is O(1).",
        handler: Some(del),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "unlink",
        arity: -2,
        flags: WRITE_FAST,
        acl_categories: KEYSPACE_WRITE_FAST,
        keys: KeySpec::ALL,
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, \
                  but non blocking.",
        since: "4.0.0",
        complexity: "O(1) for each key removed regardless of its size. Then the command does \
                     O(N) work in a different thread in order to reclaim memory, where N is the \
                     number of allocations the deleted objects where composed of.",
        handler: Some(del),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "exists",
        arity: -2,
        flags: READONLY_FAST,
        acl_categories: KEYSPACE_READ_FAST,
        keys: KeySpec::ALL,
        summary: "Determine if a key exists",
        complexity: "O(N) where N is the number of keys to check.",
        handler: Some(exists),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "type",
        arity: 2,
        flags: READONLY_FAST,
        acl_categories: KEYSPACE_READ_FAST,
        keys: KeySpec::ONE,
        summary: "Determine the type stored at key",
        handler: Some(type_command),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "keys",
        arity: 2,
        flags: Flags::READONLY,
        acl_categories: KEYSPACE_READ_SLOW_DANGEROUS,
        summary: "Find all keys matching the given pattern",
        complexity: "O(N) with N being the number of keys in the database, under the assumption \
                     that the key names in the database and the given pattern have limited \
                     length.",
        handler: Some(keys),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "scan",
        arity: -2,
        flags: Flags::READONLY,
        acl_categories: KEYSPACE_READ_SLOW,
        summary: "Incrementally iterate the keys space",
        since: "2.8.0",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough \
                     command calls for the cursor to return back to 0. N is the number of \
                     elements inside the collection.",
        handler: Some(scan),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "randomkey",
        arity: 1,
        flags: Flags::READONLY,
        acl_categories: KEYSPACE_READ_SLOW,
        summary: "Return a random key from the keyspace",
        handler: Some(randomkey),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "rename",
        arity: 3,
        flags: Flags::WRITE,
        acl_categories: KEYSPACE_WRITE_SLOW,
        keys: TWO_KEYS,
        summary: "Rename a key",
        handler: Some(rename),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "renamenx",
        arity: 3,
        flags: WRITE_FAST,
        acl_categories: KEYSPACE_WRITE_FAST,
        keys: TWO_KEYS,
        summary: "Rename a key, only if the new key does not exist",
        handler: Some(renamenx),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "copy",
        arity: -3,
        flags: Flags::WRITE.with(Flags::DENYOOM),
        acl_categories: KEYSPACE_WRITE_SLOW,
        keys: TWO_KEYS,
        summary: "Copy a key",
        since: "6.2.0",
        complexity: "O(N) worst case for collections, where N is the number of nested items. \
                     O(1) for string values.",
        handler: Some(copy),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "move",
        arity: 3,
        flags: WRITE_FAST,
        acl_categories: KEYSPACE_WRITE_FAST,
        keys: KeySpec::ONE,
        summary: "Move a key to another database",
        handler: Some(move_command),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "touch",
        arity: -2,
        flags: READONLY_FAST,
        acl_categories: KEYSPACE_READ_FAST,
        keys: KeySpec::ALL,
        summary: "Alters the last access time of a key(s). Returns the number of existing keys \
                  specified.",
        since: "3.2.1",
        complexity: "O(N) where N is the number of keys that will be touched.",
        handler: Some(touch),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "expire",
        arity: -3,
        flags: WRITE_FAST,
        acl_categories: KEYSPACE_WRITE_FAST,
        keys: KeySpec::ONE,
        summary: "Set a key's time to live in seconds",
        handler: Some(expire),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pexpire",
        arity: -3,
        flags: WRITE_FAST,
        acl_categories: KEYSPACE_WRITE_FAST,
        keys: KeySpec::ONE,
        summary: "Set a key's time to live in milliseconds",
        since: "2.6.0",
        handler: Some(pexpire),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "expireat",
        arity: -3,
        flags: WRITE_FAST,
        acl_categories: KEYSPACE_WRITE_FAST,
        keys: KeySpec::ONE,
        summary: "Set the expiration for a key as a UNIX timestamp",
        since: "1.2.0",
        handler: Some(expireat),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pexpireat",
        arity: -3,
        flags: WRITE_FAST,
        acl_categories: KEYSPACE_WRITE_FAST,
        keys: KeySpec::ONE,
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        since: "2.6.0",
        handler: Some(pexpireat),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "expiretime",
        arity: 2,
        flags: READONLY_FAST,
        acl_categories: KEYSPACE_READ_FAST,
        keys: KeySpec::ONE,
        summary: "Get the expiration Unix timestamp for a key",
        since: "7.0.0",
        handler: Some(expiretime),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pexpiretime",
        arity: 2,
        flags: READONLY_FAST,
        acl_categories: KEYSPACE_READ_FAST,
        keys: KeySpec::ONE,
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        since: "7.0.0",
        handler: Some(pexpiretime),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "ttl",
        arity: 2,
        flags: READONLY_FAST,
        acl_categories: KEYSPACE_READ_FAST,
        keys: KeySpec::ONE,
        summary: "Get the time to live for a key in seconds",
        handler: Some(ttl),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pttl",
        arity: 2,
        flags: READONLY_FAST,
        acl_categories: KEYSPACE_READ_FAST,
        keys: KeySpec::ONE,
        summary: "Get the time to live for a key in milliseconds",
        since: "2.6.0",
        handler: Some(pttl),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "dump",
        arity: 2,
        flags: Flags::READONLY,
        acl_categories: KEYSPACE_READ_SLOW,
        keys: KeySpec::ONE,
        summary: "Return a serialized version of the value stored at the specified key.",
        since: "2.6.0",
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is \
                     the number of Redis objects composing the value and M their average size. \
                     For small string values the time complexity is thus O(1)+O(1*M) where M is \
                     small, so simply O(1).",
        handler: Some(dump),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "restore",
        arity: -4,
        flags: Flags::WRITE.with(Flags::DENYOOM),
        acl_categories: KEYSPACE_WRITE_SLOW_DANGEROUS,
        keys: KeySpec::ONE,
        summary: "Create a key using the provided serialized value, previously obtained using \
                  DUMP.",
        since: "2.6.0",
        complexity: RESTORE_COMPLEXITY,
        handler: Some(restore),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "restore-asking",
        arity: -4,
        flags: Flags::WRITE.with(Flags::DENYOOM).with(Flags::ASKING),
        acl_categories: KEYSPACE_WRITE_SLOW_DANGEROUS,
        keys: KeySpec::ONE,
        group: "server",
        summary: "An internal command for migrating keys in a cluster",
        since: "3.0.0",
        complexity: RESTORE_COMPLEXITY,
        handler: Some(restore),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "persist",
        arity: 2,
        flags: WRITE_FAST,
        acl_categories: KEYSPACE_WRITE_FAST,
        keys: KeySpec::ONE,
        summary: "Remove the expiration from a key",
        since: "2.2.0",
        handler: Some(persist),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "object",
        arity: -2,
        acl_categories: &["slow"],
        summary: "A container for object introspection commands",
        since: "2.2.3",
        complexity: "Depends on subcommand.",
        subcommands: OBJECT_SUBCOMMANDS,
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "dbsize",
        arity: 1,
        flags: READONLY_FAST,
        acl_categories: KEYSPACE_READ_FAST,
        group: "server",
        summary: "Return the number of keys in the selected database",
        handler: Some(dbsize),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "flushdb",
        arity: -1,
        flags: Flags::WRITE,
        acl_categories: KEYSPACE_WRITE_SLOW_DANGEROUS,
        group: "server",
        summary: "Remove all keys from the current database",
        complexity: "O(N) where N is the number of keys in the selected database",
        handler: Some(flushdb),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "flushall",
        arity: -1,
        flags: Flags::WRITE,
        acl_categories: KEYSPACE_WRITE_SLOW_DANGEROUS,
        group: "server",
        summary: "Remove all keys from all databases",
        complexity: "O(N) where N is the total number of keys in all databases",
        handler: Some(flushall),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "swapdb",
        arity: 3,
        flags: WRITE_FAST,
        acl_categories: KEYSPACE_WRITE_FAST_DANGEROUS,
        group: "server",
        summary: "Swaps two Redis databases",
        since: "4.0.0",
        complexity: "O(N) where N is the count of clients watching or blocking on keys from \
                     both databases.",
        handler: Some(swapdb),
        ..CommandSpec::DEFAULT
    },
];

/// OBJECT's subcommands, in the order `COMMAND INFO object` lists them.
const OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "object|help",
        arity: 2,
        flags: Flags::LOADING.with(Flags::STALE),
        acl_categories: &["keyspace", "slow"],
        summary: "Show helpful text about the different subcommands",
        since: "6.2.0",
        handler: Some(object_help),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "object|freq",
        arity: 3,
        flags: Flags::READONLY,
        acl_categories: KEYSPACE_READ_SLOW,
        keys: OBJECT_KEY,
        summary: "Get the logarithmic access frequency counter of a Redis object",
        since: "4.0.0",
        handler: Some(object_freq),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "object|idletime",
        arity: 3,
        flags: Flags::READONLY,
        acl_categories: KEYSPACE_READ_SLOW,
        keys: OBJECT_KEY,
        summary: "Get the time since a Redis object was last accessed",
        since: "2.2.3",
        handler: Some(object_idletime),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "object|encoding",
        arity: 3,
        flags: Flags::READONLY,
        acl_categories: KEYSPACE_READ_SLOW,
        keys: OBJECT_KEY,
        summary: "Inspect the internal encoding of a Redis object",
        since: "2.2.3",
        handler: Some(object_encoding),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "object|refcount",
        arity: 3,
        flags: Flags::READONLY,
        acl_categories: KEYSPACE_READ_SLOW,
        keys: OBJECT_KEY,
        summary: "Get the number of references to the value of the key",
        since: "2.2.3",
        handler: Some(object_refcount),
        ..CommandSpec::DEFAULT
    },
];

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// `getIntFromObjectOrReply` without a custom message: a strict integer that
/// must fit a C `int`.
fn parse_c_int(arg: &[u8]) -> Result<i64, CommandError> {
    let value = parse_i64_strict(arg).ok_or(CommandError::NotInteger)?;
    if !(i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&value) {
        return Err(CommandError::err(
            "value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    Ok(value)
}

/// Parses a DB index argument as COPY ... DB and MOVE do (`getIntFromObject`
/// then `selectDb`): not an integer, out of `int` range, or not an existing
/// database are three different errors.
fn parse_db_index(ctx: &Ctx<'_>, arg: &[u8]) -> Result<usize, CommandError> {
    let index = parse_c_int(arg)?;
    if index < 0 || index >= ctx.node.keyspace.db_count() as i64 {
        return Err(CommandError::DbIndexOutOfRange);
    }
    Ok(index as usize)
}

/// True when the node runs in cluster mode (only DB 0 exists for clients).
fn cluster_enabled(ctx: &Ctx<'_>) -> bool {
    ctx.node.config.get_bool("cluster-enabled")
}

/// Redis's `lookupKeyRead*`: lazy expiry, an access-time update unless
/// `touch` is false (`LOOKUP_NOTOUCH`), and keyspace hit/miss accounting.
/// `inspect` extracts what the caller needs from the value.
pub(crate) fn read_key<T>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    touch: bool,
    inspect: impl FnOnce(&Value) -> T,
) -> Option<T> {
    let found = read_key_quietly(ctx, key, touch, inspect);
    if found.is_none() {
        note_key_miss(ctx.node, ctx.client.db, key);
    }
    found
}

/// [`read_key`] without the `keymiss` event (Redis's `LOOKUP_NONOTIFY`,
/// used by OBJECT); misses still count in the statistics.
fn read_key_quietly<T>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    touch: bool,
    inspect: impl FnOnce(&Value) -> T,
) -> Option<T> {
    let now_ms = ctx.now_ms;
    let db = ctx.node.keyspace.db_mut(ctx.client.db);
    let value = if touch {
        db.lookup(key, now_ms)
    } else {
        db.lookup_no_touch(key, now_ms)
    };
    let found = value.map(|value| inspect(value));
    if found.is_some() {
        ctx.node.stats.keyspace_hits += 1;
    } else {
        ctx.node.stats.keyspace_misses += 1;
    }
    found
}

/// Redis's `lookupKeyWrite`: lazy expiry and an access-time update, without
/// hit/miss accounting.
fn write_key_exists(db: &mut Db, key: &[u8], now_ms: i64) -> bool {
    db.lookup(key, now_ms).is_some()
}

// ---------------------------------------------------------------------------
// DEL UNLINK EXISTS TYPE TOUCH
// ---------------------------------------------------------------------------

/// DEL and UNLINK (`delGenericCommand`): the number of keys removed; every
/// removal is one change. Shoal frees values inline, so UNLINK is DEL.
fn del(ctx: &mut Ctx<'_>) -> CommandResult {
    let now_ms = ctx.now_ms;
    let mut deleted = 0u64;
    for key in &ctx.args[1..] {
        if ctx.db().remove(key, now_ms).is_some() {
            deleted += 1;
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.add_dirty(deleted);
    ctx.out.integer(deleted as i64);
    Ok(())
}

/// EXISTS: counts every argument that names a live key (repeats count again).
fn exists(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut count = 0i64;
    for key in &ctx.args[1..] {
        if read_key(ctx, key, false, |_| ()).is_some() {
            count += 1;
        }
    }
    ctx.out.integer(count);
    Ok(())
}

/// TYPE: the value's type name as a status reply, `none` when missing.
fn type_command(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = ctx.arg(1);
    let name = read_key(ctx, key, false, Value::type_name).unwrap_or("none");
    ctx.out.simple(name);
    Ok(())
}

/// TOUCH: looks every key up (updating its access time) and counts the hits.
fn touch(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut count = 0i64;
    for key in &ctx.args[1..] {
        if read_key(ctx, key, true, |_| ()).is_some() {
            count += 1;
        }
    }
    ctx.out.integer(count);
    Ok(())
}

// ---------------------------------------------------------------------------
// KEYS SCAN RANDOMKEY DBSIZE
// ---------------------------------------------------------------------------

/// KEYS pattern: every live key matching the glob.
fn keys(ctx: &mut Ctx<'_>) -> CommandResult {
    let now_ms = ctx.now_ms;
    let pattern = ctx.arg(1);
    let found = ctx.db().keys_matching(pattern, now_ms);
    ctx.out.bulk_array(found.iter());
    Ok(())
}

/// Parses a SCAN cursor as Redis's `parseScanCursorOrReply` does with C
/// `strtoul`: leading whitespace is refused, a `+` or `-` sign is accepted
/// (`-1` wraps to 2^64-1), an empty string is cursor 0, anything after the
/// digits (up to the first NUL, where C stops reading) is an error, and so
/// is a magnitude above 2^64-1.
fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    let text = arg.split(|byte| *byte == 0).next().unwrap_or_default();
    if text
        .first()
        .is_some_and(|byte| matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        return None;
    }
    if text.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut magnitude = 0u64;
    for digit in digits {
        magnitude = magnitude
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
    }
    Some(if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
/// (`scanGenericCommand`): the keyspace walks the table; this applies the
/// pattern, then the type filter, which Redis performs with a read lookup
/// (so each type check counts as a keyspace hit).
fn scan(ctx: &mut Ctx<'_>) -> CommandResult {
    let cursor =
        parse_scan_cursor(ctx.arg(1)).ok_or_else(|| CommandError::err("invalid cursor"))?;
    let mut count = 10usize;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut index = 2;
    while index < ctx.args.len() {
        let has_value = ctx.args.len() - index >= 2;
        if ctx.arg_is(index, "COUNT") && has_value {
            let value = ctx.arg_i64(index + 1)?;
            if value < 1 {
                return Err(CommandError::Syntax);
            }
            count = usize::try_from(value).unwrap_or(usize::MAX);
        } else if ctx.arg_is(index, "MATCH") && has_value {
            let text = ctx.arg(index + 1);
            // A lone `*` matches everything, even the empty key, which the
            // glob matcher alone would not.
            pattern = (text != b"*").then_some(text);
        } else if ctx.arg_is(index, "TYPE") && has_value {
            type_name = Some(ctx.arg(index + 1));
        } else {
            return Err(CommandError::Syntax);
        }
        index += 2;
    }
    let now_ms = ctx.now_ms;
    let mut type_checks = 0u64;
    let mut filter = |key: &[u8], value: &Value| -> bool {
        if let Some(pattern) = pattern {
            if !shoal_keyspace::glob::string_match(pattern, key, false) {
                return false;
            }
        }
        if let Some(wanted) = type_name {
            type_checks += 1;
            if !value.type_name().as_bytes().eq_ignore_ascii_case(wanted) {
                return false;
            }
        }
        true
    };
    let (next, found) = ctx.db().scan(cursor, count, now_ms, &mut filter);
    ctx.node.stats.keyspace_hits += type_checks;
    ctx.out.array(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.bulk_array(found.iter());
    Ok(())
}

/// RANDOMKEY: a random live key, or a null reply for an empty database.
fn randomkey(ctx: &mut Ctx<'_>) -> CommandResult {
    let now_ms = ctx.now_ms;
    let node = &mut *ctx.node;
    let random = &mut node.random;
    let key = node
        .keyspace
        .db_mut(ctx.client.db)
        .random_key(&mut || random.next_u64(), now_ms);
    match key {
        Some(key) => ctx.out.bulk(&key),
        None => ctx.out.null(),
    }
    Ok(())
}

/// DBSIZE: keys in the selected database, counting keys whose TTL passed but
/// were not reclaimed yet (Redis's `dictSize`).
fn dbsize(ctx: &mut Ctx<'_>) -> CommandResult {
    let size = ctx.db().len();
    ctx.out.integer(size as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// RENAME RENAMENX COPY MOVE
// ---------------------------------------------------------------------------

fn rename(ctx: &mut Ctx<'_>) -> CommandResult {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx<'_>) -> CommandResult {
    rename_generic(ctx, true)
}

/// `renameGenericCommand`: the source must exist (even when renaming a key
/// to itself, which is then a no-op); the TTL and the access field (LRU
/// clock or LFU counter) travel with the value, which Redis moves as is.
fn rename_generic(ctx: &mut Ctx<'_>, nx: bool) -> CommandResult {
    let now_ms = ctx.now_ms;
    let (source, destination) = (ctx.arg(1), ctx.arg(2));
    let db = ctx.node.keyspace.db_mut(ctx.client.db);
    if !write_key_exists(db, source, now_ms) {
        return Err(CommandError::NoSuchKey);
    }
    if source == destination {
        if nx {
            ctx.out.integer(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    if write_key_exists(db, destination, now_ms) && nx {
        ctx.out.integer(0);
        return Ok(());
    }
    let Some(taken) = db.take(source, now_ms) else {
        // Checked above at the same instant; kept total rather than panicking.
        return Err(CommandError::NoSuchKey);
    };
    // Replaces the destination's value and TTL, as dbDelete + dbAdd do.
    db.put_taken(destination, taken, now_ms);
    ctx.add_dirty(1);
    // dbAdd of the destination (after deleting any old one) is always `new`.
    ctx.notify(notify::NEW, "new", destination);
    ctx.notify(notify::GENERIC, "rename_from", source);
    ctx.notify(notify::GENERIC, "rename_to", destination);
    if nx {
        ctx.out.integer(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE] (`copyCommand`).
fn copy(ctx: &mut Ctx<'_>) -> CommandResult {
    let source_db = ctx.client.db;
    let mut target_db = source_db;
    let mut replace = false;
    let mut index = 3;
    while index < ctx.args.len() {
        let additional = ctx.args.len() - index - 1;
        if ctx.arg_is(index, "REPLACE") {
            replace = true;
        } else if ctx.arg_is(index, "DB") && additional >= 1 {
            target_db = parse_db_index(ctx, ctx.arg(index + 1))?;
            index += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        index += 1;
    }
    if cluster_enabled(ctx) && (source_db != 0 || target_db != 0) {
        return Err(CommandError::err(
            "Copying to another database is not allowed in cluster mode",
        ));
    }
    let (source, destination) = (ctx.arg(1), ctx.arg(2));
    if source_db == target_db && source == destination {
        return Err(CommandError::err(
            "source and destination objects are the same",
        ));
    }
    let Some(value) = read_key(ctx, source, true, Value::clone) else {
        ctx.out.integer(0);
        return Ok(());
    };
    let now_ms = ctx.now_ms;
    let keyspace = &mut ctx.node.keyspace;
    let expire_at_ms = keyspace.db_mut(source_db).expire_at_ms(source, now_ms);
    let target = keyspace.db_mut(target_db);
    if write_key_exists(target, destination, now_ms) {
        if !replace {
            ctx.out.integer(0);
            return Ok(());
        }
        // dbDelete: the copy is a new object, which takes nothing (TTL,
        // access field) from the key it replaces.
        target.remove(destination, now_ms);
    }
    target.set_with_expire(destination, value, expire_at_ms, now_ms);
    ctx.add_dirty(1);
    ctx.notify_in(target_db, notify::NEW, "new", destination);
    ctx.notify_in(target_db, notify::GENERIC, "copy_to", destination);
    ctx.out.integer(1);
    Ok(())
}

/// MOVE key db (`moveCommand`): moves the value, its TTL and its access
/// field unless the target already holds the key.
fn move_command(ctx: &mut Ctx<'_>) -> CommandResult {
    if cluster_enabled(ctx) {
        return Err(CommandError::err("MOVE is not allowed in cluster mode"));
    }
    let source_db = ctx.client.db;
    let target_db = parse_db_index(ctx, ctx.arg(2))?;
    if source_db == target_db {
        return Err(CommandError::err(
            "source and destination objects are the same",
        ));
    }
    let now_ms = ctx.now_ms;
    let key = ctx.arg(1);
    let (source, target) = ctx.node.keyspace.two_dbs_mut(source_db, target_db);
    if !write_key_exists(source, key, now_ms) {
        ctx.out.integer(0);
        return Ok(());
    }
    if write_key_exists(target, key, now_ms) {
        ctx.out.integer(0);
        return Ok(());
    }
    let Some(taken) = source.take(key, now_ms) else {
        ctx.out.integer(0);
        return Ok(());
    };
    target.put_taken(key, taken, now_ms);
    ctx.add_dirty(1);
    ctx.notify_in(target_db, notify::NEW, "new", key);
    ctx.notify_in(source_db, notify::GENERIC, "move_from", key);
    ctx.notify_in(target_db, notify::GENERIC, "move_to", key);
    ctx.out.integer(1);
    Ok(())
}

// ---------------------------------------------------------------------------
// EXPIRE PEXPIRE EXPIREAT PEXPIREAT PERSIST
// ---------------------------------------------------------------------------

/// The NX/XX/GT/LT options of the EXPIRE family.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ExpireConditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// `parseExtendedExpireArgumentsOrReply`: every option word is checked
/// before the compatibility rules, and all of it before the time argument.
fn parse_expire_conditions(ctx: &Ctx<'_>) -> Result<ExpireConditions, CommandError> {
    let mut conditions = ExpireConditions::default();
    for index in 3..ctx.args.len() {
        if ctx.arg_is(index, "NX") {
            conditions.nx = true;
        } else if ctx.arg_is(index, "XX") {
            conditions.xx = true;
        } else if ctx.arg_is(index, "GT") {
            conditions.gt = true;
        } else if ctx.arg_is(index, "LT") {
            conditions.lt = true;
        } else {
            return Err(CommandError::err_with_arg(
                "Unsupported option ",
                ctx.arg(index),
                "",
            ));
        }
    }
    if conditions.nx && (conditions.xx || conditions.gt || conditions.lt) {
        return Err(CommandError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if conditions.gt && conditions.lt {
        return Err(CommandError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(conditions)
}

impl ExpireConditions {
    /// Whether the new absolute expiry may replace `current_ms` (`None` = no
    /// TTL, which GT treats as infinite and LT as "always greater").
    fn allow(self, current_ms: Option<i64>, when_ms: i64) -> bool {
        if self.nx && current_ms.is_some() {
            return false;
        }
        if self.xx && current_ms.is_none() {
            return false;
        }
        if self.gt && current_ms.is_none_or(|current| when_ms <= current) {
            return false;
        }
        if self.lt && current_ms.is_some_and(|current| when_ms >= current) {
            return false;
        }
        true
    }
}

fn expire(ctx: &mut Ctx<'_>) -> CommandResult {
    let base_ms = ctx.now_ms;
    expire_generic(ctx, base_ms, true)
}

fn pexpire(ctx: &mut Ctx<'_>) -> CommandResult {
    let base_ms = ctx.now_ms;
    expire_generic(ctx, base_ms, false)
}

fn expireat(ctx: &mut Ctx<'_>) -> CommandResult {
    expire_generic(ctx, 0, true)
}

fn pexpireat(ctx: &mut Ctx<'_>) -> CommandResult {
    expire_generic(ctx, 0, false)
}

/// `expireGenericCommand`: options, then the time (overflow of the unit
/// conversion or of `base_ms +` is an error), then the key. A time not after
/// now deletes the key (and replies 1), as Redis does on a primary.
fn expire_generic(ctx: &mut Ctx<'_>, base_ms: i64, seconds: bool) -> CommandResult {
    let conditions = parse_expire_conditions(ctx)?;
    let mut when_ms = ctx.arg_i64(2)?;
    let invalid = || CommandError::InvalidExpireTime(ctx.spec.name.to_string());
    if seconds {
        // C's LLONG_MIN / 1000 truncates toward zero, as Rust's division does.
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when_ms) {
            return Err(invalid());
        }
        when_ms *= 1000;
    }
    if when_ms > i64::MAX - base_ms {
        return Err(invalid());
    }
    when_ms += base_ms;
    let (now_ms, key) = (ctx.now_ms, ctx.arg(1));
    let db = ctx.node.keyspace.db_mut(ctx.client.db);
    if !write_key_exists(db, key, now_ms) {
        ctx.out.integer(0);
        return Ok(());
    }
    let current_ms = db.expire_at_ms(key, now_ms);
    if !conditions.allow(current_ms, when_ms) {
        ctx.out.integer(0);
        return Ok(());
    }
    let event = if when_ms <= now_ms {
        db.remove(key, now_ms);
        "del"
    } else {
        db.set_expire_at_ms(key, when_ms, now_ms);
        "expire"
    };
    ctx.add_dirty(1);
    ctx.notify(notify::GENERIC, event, key);
    ctx.out.integer(1);
    Ok(())
}

// ---------------------------------------------------------------------------
// DUMP RESTORE
// ---------------------------------------------------------------------------

/// DUMP key: the value in Redis's DUMP payload format, nil when missing.
fn dump(ctx: &mut Ctx<'_>) -> CommandResult {
    let compress = ctx.node.config.get_bool("rdbcompression");
    match read_key(ctx, ctx.arg(1), true, |value| {
        shoal_rdb::payload::dump(value, compress)
    }) {
        Some(payload) => ctx.out.bulk(&payload),
        None => ctx.out.null(),
    }
    Ok(())
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]
/// (Redis `restoreCommand`, checks in its order).
fn restore(ctx: &mut Ctx<'_>) -> CommandResult {
    let (mut replace, mut absolute_ttl) = (false, false);
    let (mut idle_seconds, mut frequency) = (None::<i64>, None::<i64>);
    let mut index = 4;
    while index < ctx.args.len() {
        let additional = ctx.args.len() - index - 1;
        if ctx.arg_is(index, "REPLACE") {
            replace = true;
        } else if ctx.arg_is(index, "ABSTTL") {
            absolute_ttl = true;
        } else if ctx.arg_is(index, "IDLETIME") && additional >= 1 && frequency.is_none() {
            let idle = ctx.arg_i64(index + 1)?;
            if idle < 0 {
                return Err(CommandError::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle_seconds = Some(idle);
            index += 1;
        } else if ctx.arg_is(index, "FREQ") && additional >= 1 && idle_seconds.is_none() {
            let freq = ctx.arg_i64(index + 1)?;
            if !(0..=255).contains(&freq) {
                return Err(CommandError::err(
                    "Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            frequency = Some(freq);
            index += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        index += 1;
    }
    let (now_ms, key) = (ctx.now_ms, ctx.arg(1));
    if !replace && write_key_exists(ctx.db(), key, now_ms) {
        return Err(CommandError::Custom(
            "BUSYKEY Target key name already exists.".to_string(),
        ));
    }
    let mut ttl_ms = ctx.arg_i64(2)?;
    if ttl_ms < 0 {
        return Err(CommandError::err("Invalid TTL value, must be >= 0"));
    }
    let value = shoal_rdb::payload::restore(ctx.arg(3))
        .map_err(|error| CommandError::err(error.to_string()))?;
    let deleted = replace && ctx.db().remove(key, now_ms).is_some();
    if ttl_ms != 0 && !absolute_ttl {
        ttl_ms = ttl_ms.wrapping_add(now_ms);
    }
    if ttl_ms != 0 && ttl_ms <= now_ms {
        // Already expired: the key is not created (an overwritten one is
        // simply deleted).
        if deleted {
            ctx.add_dirty(1);
            ctx.notify(notify::GENERIC, "del", key);
        }
        ctx.out.ok();
        return Ok(());
    }
    let expire_at_ms = (ttl_ms != 0).then_some(ttl_ms);
    let lfu = lfu_policy(ctx);
    let db = ctx.db();
    db.set_with_expire(key, value, expire_at_ms, now_ms);
    // objectSetLRUOrLFU: FREQ sets the LFU counter under an LFU policy,
    // IDLETIME the LRU clock under any other; the other one is ignored.
    if lfu {
        if let Some(freq) = frequency.and_then(|freq| u8::try_from(freq).ok()) {
            db.set_lfu_frequency(key, freq, now_ms);
        }
    } else if let Some(idle) = idle_seconds {
        db.set_idle_seconds(key, idle as u64, now_ms);
    }
    ctx.notify(notify::NEW, "new", key);
    ctx.notify(notify::GENERIC, "restore", key);
    ctx.add_dirty(1);
    ctx.out.ok();
    Ok(())
}

/// PERSIST: 1 when a TTL was removed.
fn persist(ctx: &mut Ctx<'_>) -> CommandResult {
    let now_ms = ctx.now_ms;
    let key = ctx.arg(1);
    let db = ctx.db();
    let removed = write_key_exists(db, key, now_ms) && db.persist(key, now_ms);
    if removed {
        ctx.add_dirty(1);
        ctx.notify(notify::GENERIC, "persist", key);
    }
    ctx.out.integer(i64::from(removed));
    Ok(())
}

// ---------------------------------------------------------------------------
// TTL PTTL EXPIRETIME PEXPIRETIME
// ---------------------------------------------------------------------------

fn ttl(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, false, false)
}

fn pttl(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, true, false)
}

fn expiretime(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, false, true)
}

fn pexpiretime(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, true, true)
}

/// `ttlGenericCommand`: -2 for a missing key, -1 without a TTL, else the
/// remaining (or absolute) time; seconds are rounded to the nearest.
fn ttl_generic(ctx: &mut Ctx<'_>, milliseconds: bool, absolute: bool) -> CommandResult {
    let key = ctx.arg(1);
    if read_key(ctx, key, false, |_| ()).is_none() {
        ctx.out.integer(-2);
        return Ok(());
    }
    let now_ms = ctx.now_ms;
    let Some(expire_at_ms) = ctx.db().expire_at_ms(key, now_ms) else {
        ctx.out.integer(-1);
        return Ok(());
    };
    let remaining_ms = if absolute {
        expire_at_ms
    } else {
        (expire_at_ms - now_ms).max(0)
    };
    let reply = if milliseconds {
        remaining_ms
    } else {
        // Redis computes (ttl+500)/1000; the i128 keeps the rounding exact
        // for expiry times near i64::MAX (PEXPIREAT k 9223372036854775807
        // then EXPIRETIME replies 9223372036854776 on Redis too).
        ((i128::from(remaining_ms) + 500) / 1000) as i64
    };
    ctx.out.integer(reply);
    Ok(())
}

// ---------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------

/// `maxmemory-policy` is one of the LFU policies (`MAXMEMORY_FLAG_LFU`).
fn lfu_policy(ctx: &Ctx<'_>) -> bool {
    ctx.node.config.get_enum("maxmemory-policy").contains("lfu")
}

/// Redis's `OBJ_SHARED_REFCOUNT`: the refcount of shared objects.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis's `OBJ_SHARED_INTEGERS`: integers below this are shared objects.
const SHARED_INTEGERS: i64 = 10_000;

/// OBJECT's key lookup (`objectCommandLookup`): a read lookup that neither
/// touches the access time nor publishes `keymiss`, but counts the miss.
fn object_lookup<T>(ctx: &mut Ctx<'_>, inspect: impl FnOnce(&Value) -> T) -> Option<T> {
    let key = ctx.arg(2);
    read_key_quietly(ctx, key, false, inspect)
}

fn object_encoding(ctx: &mut Ctx<'_>) -> CommandResult {
    match object_lookup(ctx, Value::encoding_name) {
        Some(name) => ctx.out.bulk(name.as_bytes()),
        None => ctx.out.null(),
    }
    Ok(())
}

/// OBJECT REFCOUNT: Shoal never shares values, except that it reports what
/// Redis reports for its shared small integers (0..9999, int-encoded, when
/// `maxmemory` is 0 or the policy is neither LRU nor LFU), so clients that
/// probe sharing see Redis's answer.
fn object_refcount(ctx: &mut Ctx<'_>) -> CommandResult {
    let small_integer = object_lookup(ctx, |value| {
        value.as_string().is_some_and(|string| {
            string.encoding_name() == "int"
                && string
                    .as_i64()
                    .is_some_and(|number| (0..SHARED_INTEGERS).contains(&number))
        })
    });
    let Some(small_integer) = small_integer else {
        ctx.out.null();
        return Ok(());
    };
    let policy = ctx.node.config.get_enum("maxmemory-policy");
    let sharing_allowed = ctx.node.config.get_u64("maxmemory") == 0
        || !(policy.contains("lru") || policy.contains("lfu"));
    ctx.out.integer(if small_integer && sharing_allowed {
        SHARED_REFCOUNT
    } else {
        1
    });
    Ok(())
}

fn object_idletime(ctx: &mut Ctx<'_>) -> CommandResult {
    if object_lookup(ctx, |_| ()).is_none() {
        ctx.out.null();
        return Ok(());
    }
    if lfu_policy(ctx) {
        return Err(CommandError::err(
            "An LFU maxmemory policy is selected, idle time not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to \
             adjust.",
        ));
    }
    let (now_ms, key) = (ctx.now_ms, ctx.arg(2));
    let idle_ms = ctx.db().idle_ms(key, now_ms).unwrap_or(0);
    ctx.out.integer(idle_ms.max(0) / 1000);
    Ok(())
}

/// OBJECT FREQ: the key's logarithmic access counter under an LFU policy,
/// decayed by one per `lfu-decay-time` minutes since its last decrement
/// (Redis's `LFUDecrAndReturn`; the stored counter is left as it is, and the
/// lookup does not count as an access). The keyspace keeps the counter in
/// the key's 24-bit access field the way Redis does, so after a policy
/// change the same bits are read the new way, as in Redis. One difference:
/// with `maxmemory` 0, Redis stores the integers 0..9999 as shared objects
/// whose single counter every such key bumps (starting from the LRU clock
/// at startup); Shoal counts per key.
fn object_freq(ctx: &mut Ctx<'_>) -> CommandResult {
    if object_lookup(ctx, |_| ()).is_none() {
        ctx.out.null();
        return Ok(());
    }
    if !lfu_policy(ctx) {
        return Err(CommandError::err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. Please note \
             that when switching between policies at runtime LRU and LFU data will take some \
             time to adjust.",
        ));
    }
    let (now_ms, key) = (ctx.now_ms, ctx.arg(2));
    let frequency = ctx.db().lfu_frequency(key, now_ms).unwrap_or(0);
    ctx.out.integer(i64::from(frequency));
    Ok(())
}

fn object_help(ctx: &mut Ctx<'_>) -> CommandResult {
    const LINES: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    write_help(ctx, LINES);
    Ok(())
}

// ---------------------------------------------------------------------------
// FLUSHDB FLUSHALL SWAPDB
// ---------------------------------------------------------------------------

/// `getFlushCommandFlags`: no argument, or exactly one of ASYNC/SYNC. Shoal
/// frees memory inline either way.
fn check_flush_arguments(ctx: &Ctx<'_>) -> CommandResult {
    match ctx.args.len() {
        1 => Ok(()),
        2 if ctx.arg_is(1, "SYNC") || ctx.arg_is(1, "ASYNC") => Ok(()),
        _ => Err(CommandError::Syntax),
    }
}

/// FLUSHDB: every removed key is one change.
fn flushdb(ctx: &mut Ctx<'_>) -> CommandResult {
    check_flush_arguments(ctx)?;
    let removed = ctx.db().clear();
    ctx.add_dirty(removed as u64);
    ctx.out.ok();
    Ok(())
}

/// FLUSHALL: every removed key of every database is one change.
fn flushall(ctx: &mut Ctx<'_>) -> CommandResult {
    check_flush_arguments(ctx)?;
    let removed = ctx.node.keyspace.clear_all();
    ctx.add_dirty(removed as u64);
    ctx.out.ok();
    Ok(())
}

/// SWAPDB index1 index2: clients keep their selected index and so see the
/// other database's data afterwards, as in Redis.
fn swapdb(ctx: &mut Ctx<'_>) -> CommandResult {
    if cluster_enabled(ctx) {
        return Err(CommandError::err("SWAPDB is not allowed in cluster mode"));
    }
    let first = parse_c_int(ctx.arg(1)).map_err(|_| CommandError::err("invalid first DB index"))?;
    let second =
        parse_c_int(ctx.arg(2)).map_err(|_| CommandError::err("invalid second DB index"))?;
    let db_count = ctx.node.keyspace.db_count() as i64;
    if first < 0 || first >= db_count || second < 0 || second >= db_count {
        return Err(CommandError::DbIndexOutOfRange);
    }
    ctx.node.keyspace.swap_dbs(first as usize, second as usize);
    ctx.add_dirty(1);
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Expected replies come from redis-server 7.0.15 running the same
    //! commands (see the module doc for the Redis functions mirrored).

    use super::*;
    use crate::testing::{bulk, error, simple, TestNode};
    use shoal_keyspace::StringValue;
    use shoal_resp::Frame;

    const SAME_OBJECT: &str = "ERR source and destination objects are the same";

    fn int(value: i64) -> Frame {
        Frame::Integer(value)
    }

    fn selected_db(node: &TestNode) -> usize {
        node.engine
            .node
            .clients
            .get(node.client)
            .map_or(0, |client| client.db)
    }

    /// Stores a string straight into the client's database (independent of
    /// the string family).
    fn set(node: &mut TestNode, key: &str, value: &str) {
        let db = selected_db(node);
        let now_ms = node.now_ms;
        node.engine.node.keyspace.db_mut(db).set(
            key.as_bytes(),
            Value::String(StringValue::from_bytes(value.as_bytes())),
            false,
            now_ms,
        );
    }

    /// The string under `key` in database `db`, without side effects on stats.
    fn get(node: &mut TestNode, db: usize, key: &str) -> Option<Vec<u8>> {
        let now_ms = node.now_ms;
        let value = node
            .engine
            .node
            .keyspace
            .db_mut(db)
            .lookup_no_touch(key.as_bytes(), now_ms)?;
        value
            .as_string()
            .map(|string| string.as_bytes().into_owned())
    }

    fn hits_misses(node: &TestNode) -> (u64, u64) {
        let stats = &node.engine.node.stats;
        (stats.keyspace_hits, stats.keyspace_misses)
    }

    fn sorted_keys(frame: Frame) -> Vec<String> {
        let Frame::Array(items) = frame else {
            panic!("not an array: {frame:?}")
        };
        let mut keys: Vec<String> = items
            .into_iter()
            .map(|item| match item {
                Frame::Bulk(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect();
        keys.sort();
        keys
    }

    fn set_config(node: &mut TestNode, name: &str, value: &str) {
        let result = node
            .engine
            .node
            .config
            .set(&[(name.as_bytes(), value.as_bytes())], true)
            .map(|_| ());
        assert_eq!(result, Ok(()));
        node.engine.node.refresh_from_config();
    }

    #[test]
    fn rows_match_redis_command_info() {
        // (name, arity, flags, first, last, step, acl) from COMMAND INFO.
        let expected: &[crate::testing::CommandInfoRow] = &[
            (
                "del",
                -2,
                &["write"],
                (1, -1, 1),
                &["keyspace", "write", "slow"],
            ),
            (
                "unlink",
                -2,
                &["write", "fast"],
                (1, -1, 1),
                &["keyspace", "write", "fast"],
            ),
            (
                "exists",
                -2,
                &["readonly", "fast"],
                (1, -1, 1),
                &["keyspace", "read", "fast"],
            ),
            (
                "type",
                2,
                &["readonly", "fast"],
                (1, 1, 1),
                &["keyspace", "read", "fast"],
            ),
            (
                "keys",
                2,
                &["readonly"],
                (0, 0, 0),
                &["keyspace", "read", "slow", "dangerous"],
            ),
            (
                "scan",
                -2,
                &["readonly"],
                (0, 0, 0),
                &["keyspace", "read", "slow"],
            ),
            (
                "randomkey",
                1,
                &["readonly"],
                (0, 0, 0),
                &["keyspace", "read", "slow"],
            ),
            (
                "rename",
                3,
                &["write"],
                (1, 2, 1),
                &["keyspace", "write", "slow"],
            ),
            (
                "renamenx",
                3,
                &["write", "fast"],
                (1, 2, 1),
                &["keyspace", "write", "fast"],
            ),
            (
                "copy",
                -3,
                &["write", "denyoom"],
                (1, 2, 1),
                &["keyspace", "write", "slow"],
            ),
            (
                "move",
                3,
                &["write", "fast"],
                (1, 1, 1),
                &["keyspace", "write", "fast"],
            ),
            (
                "touch",
                -2,
                &["readonly", "fast"],
                (1, -1, 1),
                &["keyspace", "read", "fast"],
            ),
            (
                "dump",
                2,
                &["readonly"],
                (1, 1, 1),
                &["keyspace", "read", "slow"],
            ),
            (
                "restore",
                -4,
                &["write", "denyoom"],
                (1, 1, 1),
                &["keyspace", "write", "slow", "dangerous"],
            ),
            (
                "restore-asking",
                -4,
                &["write", "denyoom", "asking"],
                (1, 1, 1),
                &["keyspace", "write", "slow", "dangerous"],
            ),
            (
                "expire",
                -3,
                &["write", "fast"],
                (1, 1, 1),
                &["keyspace", "write", "fast"],
            ),
            (
                "pexpireat",
                -3,
                &["write", "fast"],
                (1, 1, 1),
                &["keyspace", "write", "fast"],
            ),
            (
                "expiretime",
                2,
                &["readonly", "fast"],
                (1, 1, 1),
                &["keyspace", "read", "fast"],
            ),
            (
                "pttl",
                2,
                &["readonly", "fast"],
                (1, 1, 1),
                &["keyspace", "read", "fast"],
            ),
            (
                "persist",
                2,
                &["write", "fast"],
                (1, 1, 1),
                &["keyspace", "write", "fast"],
            ),
            ("object", -2, &[], (0, 0, 0), &["slow"]),
            (
                "dbsize",
                1,
                &["readonly", "fast"],
                (0, 0, 0),
                &["keyspace", "read", "fast"],
            ),
            (
                "flushall",
                -1,
                &["write"],
                (0, 0, 0),
                &["keyspace", "write", "slow", "dangerous"],
            ),
            (
                "swapdb",
                3,
                &["write", "fast"],
                (0, 0, 0),
                &["keyspace", "write", "fast", "dangerous"],
            ),
        ];
        crate::testing::assert_rows_match(COMMANDS, expected, None);
        let object = COMMANDS.iter().find(|spec| spec.name == "object");
        let Some(object) = object else {
            panic!("missing object")
        };
        let freq = object
            .subcommand(b"FREQ")
            .map(|spec| (spec.name, spec.keys.legacy_triple()));
        assert_eq!(freq, Some(("object|freq", (2, 2, 1))));
        let help = object
            .subcommand(b"help")
            .map(|spec| (spec.flags.names(), spec.since));
        assert_eq!(help, Some((vec!["loading", "stale"], "6.2.0")));
        let groups: Vec<&str> = ["dbsize", "flushdb", "flushall", "swapdb", "del"]
            .iter()
            .filter_map(|name| COMMANDS.iter().find(|spec| spec.name == *name))
            .map(|spec| spec.group)
            .collect();
        assert_eq!(groups, ["server", "server", "server", "server", "generic"]);
    }

    #[test]
    fn del_unlink_count_removed_keys_and_changes() {
        let mut node = TestNode::new();
        set(&mut node, "a", "1");
        set(&mut node, "b", "2");
        let dirty = node.engine.node.dirty;
        assert_eq!(node.run("DEL a a b zz"), int(2));
        assert_eq!(node.engine.node.dirty, dirty + 2);
        assert_eq!(get(&mut node, 0, "a"), None);
        set(&mut node, "a", "1");
        assert_eq!(node.run("UNLINK a zz"), int(1));
        assert_eq!(node.run("DEL zz"), int(0));
        assert_eq!(node.engine.node.dirty, dirty + 3);
        assert_eq!(
            node.run("DEL"),
            error("ERR wrong number of arguments for 'del' command")
        );
        assert_eq!(
            node.run("UNLINK"),
            error("ERR wrong number of arguments for 'unlink' command")
        );
        // A key whose TTL passed is not counted.
        set(&mut node, "t", "v");
        assert_eq!(node.run("PEXPIRE t 10"), int(1));
        node.advance_ms(11);
        assert_eq!(node.run("DEL t"), int(0));
    }

    #[test]
    fn exists_touch_type_count_hits_and_misses() {
        let mut node = TestNode::new();
        set(&mut node, "a", "1");
        let (hits, misses) = hits_misses(&node);
        assert_eq!(node.run("EXISTS a a zz"), int(2));
        assert_eq!(hits_misses(&node), (hits + 2, misses + 1));
        assert_eq!(node.run("TOUCH a a zz"), int(2));
        assert_eq!(hits_misses(&node), (hits + 4, misses + 2));
        assert_eq!(node.run("TYPE a"), simple("string"));
        assert_eq!(node.run("TYPE zz"), simple("none"));
        assert_eq!(hits_misses(&node), (hits + 5, misses + 3));
        assert_eq!(
            node.run("TYPE a b"),
            error("ERR wrong number of arguments for 'type' command")
        );
        assert_eq!(
            node.run("EXISTS"),
            error("ERR wrong number of arguments for 'exists' command")
        );
        // Expired keys neither exist nor have a type.
        assert_eq!(node.run("PEXPIRE a 5"), int(1));
        node.advance_ms(6);
        assert_eq!(node.run("EXISTS a"), int(0));
        assert_eq!(node.run("TYPE a"), simple("none"));
        assert_eq!(node.run("TOUCH a"), int(0));
    }

    #[test]
    fn write_commands_do_not_count_hits() {
        let mut node = TestNode::new();
        set(&mut node, "a", "1");
        let before = hits_misses(&node);
        node.run("EXPIRE a 100");
        node.run("EXPIRE zz 100");
        node.run("PERSIST a");
        node.run("RENAME a b");
        node.run("MOVE b 1");
        node.run("MOVE zz 1");
        assert_eq!(hits_misses(&node), before);
        // COPY reads its source like GET.
        node.run("SELECT 1");
        node.run("COPY b c");
        node.run("COPY zz c");
        assert_eq!(hits_misses(&node), (before.0 + 1, before.1 + 1));
    }

    #[test]
    fn keys_glob_patterns_match_redis() {
        let mut node = TestNode::new();
        let stored = [
            "hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "h[a]llo", "h\\llo",
            "a-b", "[x", "ab", "b", "c", "d", "e", "foo\\bar", "x]y",
        ];
        for key in stored {
            set(&mut node, key, "1");
        }
        let cases: &[(&str, &[&str])] = &[
            (
                "h?llo",
                &["h*llo", "h?llo", "h\\llo", "hallo", "hello", "hxllo"],
            ),
            ("h[ae]llo", &["hallo", "hello"]),
            ("h[^e]llo", &["h*llo", "h?llo", "h\\llo", "hallo", "hxllo"]),
            ("h[b-a]llo", &["hallo"]),
            ("h\\*llo", &["h*llo"]),
            ("h\\?llo", &["h?llo"]),
            ("h\\[a\\]llo", &["h[a]llo"]),
            ("[a-c]", &["b", "c"]),
            ("[!a]", &[]),
            ("*\\\\*", &["foo\\bar", "h\\llo"]),
            ("x\\]y", &["x]y"]),
            ("[", &[]),
            ("h[a", &[]),
            ("a[-]b", &["a-b"]),
            ("H*", &[]),
        ];
        for (pattern, expected) in cases {
            let reply = node.run_args(&[b"KEYS", pattern.as_bytes()]);
            assert_eq!(sorted_keys(reply), *expected, "KEYS {pattern}");
        }
        let all = sorted_keys(node.run("KEYS *"));
        let mut expected: Vec<&str> = stored.to_vec();
        expected.sort();
        assert_eq!(all, expected);
        assert_eq!(
            node.run("KEYS"),
            error("ERR wrong number of arguments for 'keys' command")
        );
    }

    #[test]
    fn keys_skips_expired_and_star_matches_the_empty_key() {
        let mut node = TestNode::new();
        set(&mut node, "", "empty");
        set(&mut node, "gone", "v");
        node.run("PEXPIRE gone 1");
        node.advance_ms(2);
        assert_eq!(sorted_keys(node.run("KEYS *")), [""]);
        assert_eq!(sorted_keys(node.run("SCAN 0 MATCH *").array_item(1)), [""]);
    }

    trait ArrayItem {
        fn array_item(self, index: usize) -> Frame;
    }

    impl ArrayItem for Frame {
        fn array_item(self, index: usize) -> Frame {
            match self {
                Frame::Array(mut items) if index < items.len() => items.swap_remove(index),
                other => panic!("no item {index} in {other:?}"),
            }
        }
    }

    #[test]
    fn scan_cursor_parsing_follows_strtoul() {
        assert_eq!(parse_scan_cursor(b"0"), Some(0));
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"+0"), Some(0));
        assert_eq!(parse_scan_cursor(b"-0"), Some(0));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_scan_cursor(b"7\0junk"), Some(7));
        for bad in [
            &b" 1"[..],
            b"1 ",
            b"0x1",
            b"99999999999999999999",
            b"18446744073709551616",
            b"abc",
            b"1.5",
            b"+",
            b"-",
            b"\t0",
        ] {
            assert_eq!(
                parse_scan_cursor(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn scan_errors_and_options() {
        let mut node = TestNode::new();
        set(&mut node, "k", "v");
        let invalid = error("ERR invalid cursor");
        assert_eq!(node.run("SCAN abc"), invalid);
        assert_eq!(node.run("SCAN x COUNT 0"), invalid);
        assert_eq!(node.run("SCAN 0 COUNT 0"), error("ERR syntax error"));
        assert_eq!(node.run("SCAN 0 COUNT -1"), error("ERR syntax error"));
        assert_eq!(
            node.run("SCAN 0 COUNT abc"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("SCAN 0 COUNT 99999999999999999999"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(node.run("SCAN 0 COUNT"), error("ERR syntax error"));
        assert_eq!(node.run("SCAN 0 MATCH"), error("ERR syntax error"));
        assert_eq!(node.run("SCAN 0 TYPE"), error("ERR syntax error"));
        assert_eq!(node.run("SCAN 0 foo bar"), error("ERR syntax error"));
        assert_eq!(
            node.run("SCAN 0 MATCH x COUNT 0"),
            error("ERR syntax error")
        );
        assert_eq!(
            node.run("SCAN"),
            error("ERR wrong number of arguments for 'scan' command")
        );
        let whole = Frame::Array(vec![bulk("0"), Frame::Array(vec![bulk("k")])]);
        let empty = Frame::Array(vec![bulk("0"), Frame::Array(vec![])]);
        assert_eq!(node.run("SCAN 0"), whole);
        assert_eq!(node.run("SCAN \"\""), whole);
        assert_eq!(node.run("SCAN 0 COUNT 9223372036854775807"), whole);
        assert_eq!(node.run("SCAN 0 TYPE STRING"), whole);
        // Negative cursors wrap like strtoul; past the table they end the scan.
        assert_eq!(node.run("SCAN -1"), empty);
        assert_eq!(node.run("SCAN 18446744073709551615"), empty);
        assert_eq!(node.run("SCAN -18446744073709551615 COUNT 100"), whole);
        assert_eq!(node.run("SCAN 18446744073709551616"), invalid);

        assert_eq!(node.run("SCAN 0 TYPE foo"), empty);
        assert_eq!(node.run("SCAN 0 TYPE none"), empty);
        // The last MATCH wins.
        assert_eq!(node.run("SCAN 0 MATCH k MATCH x"), empty);
        assert_eq!(node.run("SCAN 0 MATCH x MATCH k"), whole);
    }

    #[test]
    fn scan_type_filter_counts_a_hit_per_checked_key() {
        let mut node = TestNode::new();
        set(&mut node, "a", "1");
        set(&mut node, "b", "2");
        let before = hits_misses(&node);
        node.run("SCAN 0 COUNT 100");
        assert_eq!(hits_misses(&node), before);
        node.run("SCAN 0 COUNT 100 TYPE string");
        assert_eq!(hits_misses(&node), (before.0 + 2, before.1));
        node.run("SCAN 0 COUNT 100 TYPE string MATCH a");
        assert_eq!(hits_misses(&node), (before.0 + 3, before.1));
    }

    /// Runs a whole SCAN with COUNT 1, calling `between` after every call;
    /// returns every key seen.
    fn full_scan(
        node: &mut TestNode,
        options: &str,
        mut between: impl FnMut(&mut TestNode, usize),
    ) -> Vec<String> {
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        for call in 0..100_000 {
            let reply = node.run(&format!("SCAN {cursor} COUNT 1 {options}"));
            let Frame::Array(mut parts) = reply else {
                panic!("bad scan reply {reply:?}")
            };
            assert_eq!(parts.len(), 2);
            let keys = parts.pop().unwrap_or(Frame::Null);
            let Some(Frame::Bulk(next)) = parts.pop() else {
                panic!("bad cursor")
            };
            seen.extend(sorted_keys(keys));
            cursor = String::from_utf8_lossy(&next).into_owned();
            if cursor == "0" {
                return seen;
            }
            between(node, call);
        }
        panic!("SCAN did not terminate");
    }

    #[test]
    fn scan_returns_every_key_while_keys_are_added() {
        let mut node = TestNode::new();
        let originals: Vec<String> = (0..300).map(|index| format!("key:{index}")).collect();
        for key in &originals {
            set(&mut node, key, "v");
        }
        let seen = full_scan(&mut node, "", |node, call| {
            if call < 400 {
                set(node, &format!("added:{call}"), "v");
            }
        });
        for key in &originals {
            assert!(seen.contains(key), "SCAN missed {key}");
        }
        // MATCH only filters what is returned.
        let matched = full_scan(&mut node, "MATCH key:1*", |_, _| {});
        let mut matched: Vec<String> = matched;
        matched.sort();
        matched.dedup();
        let mut expected: Vec<String> = originals
            .iter()
            .filter(|key| key.starts_with("key:1"))
            .cloned()
            .collect();
        expected.sort();
        assert_eq!(matched, expected);
    }

    #[test]
    fn randomkey_returns_live_keys_or_null() {
        let mut node = TestNode::new();
        assert_eq!(node.run("RANDOMKEY"), Frame::Null);
        set(&mut node, "a", "1");
        set(&mut node, "b", "1");
        for _ in 0..20 {
            let reply = node.run("RANDOMKEY");
            assert!(reply == bulk("a") || reply == bulk("b"), "{reply:?}");
        }
        node.run("PEXPIRE a 1");
        node.run("PEXPIRE b 1");
        node.advance_ms(2);
        assert_eq!(node.run("RANDOMKEY"), Frame::Null);
        assert_eq!(
            node.run("RANDOMKEY x"),
            error("ERR wrong number of arguments for 'randomkey' command")
        );
    }

    #[test]
    fn rename_and_renamenx() {
        let mut node = TestNode::new();
        let no_such_key = error("ERR no such key");
        assert_eq!(node.run("RENAME a b"), no_such_key);
        assert_eq!(node.run("RENAMENX a b"), no_such_key);
        assert_eq!(node.run("RENAME a a"), no_such_key);
        set(&mut node, "a", "1");
        let dirty = node.engine.node.dirty;
        assert_eq!(node.run("RENAME a a"), simple("OK"));
        assert_eq!(node.run("RENAMENX a a"), int(0));
        assert_eq!(node.engine.node.dirty, dirty);
        assert_eq!(node.run("EXPIRE a 100"), int(1));
        assert_eq!(node.run("RENAME a b"), simple("OK"));
        assert_eq!(node.run("TTL b"), int(100));
        assert_eq!(node.run("EXISTS a"), int(0));
        set(&mut node, "c", "x");
        assert_eq!(node.run("RENAMENX b c"), int(0));
        assert_eq!(get(&mut node, 0, "c"), Some(b"x".to_vec()));
        // Overwriting drops the destination's value and TTL.
        assert_eq!(node.run("RENAME b c"), simple("OK"));
        assert_eq!(get(&mut node, 0, "c"), Some(b"1".to_vec()));
        assert_eq!(node.run("TTL c"), int(100));
        assert_eq!(node.run("RENAMENX c d"), int(1));
        assert_eq!(node.run("TTL d"), int(100));
        set(&mut node, "e", "plain");
        node.run("EXPIRE e 50");
        assert_eq!(node.run("RENAME d e"), simple("OK"));
        assert_eq!(node.run("TTL e"), int(100));
        set(&mut node, "f", "no ttl");
        assert_eq!(node.run("RENAME f e"), simple("OK"));
        assert_eq!(node.run("TTL e"), int(-1));
        assert_eq!(node.engine.node.dirty, dirty + 7);
        assert_eq!(
            node.run("RENAME a"),
            error("ERR wrong number of arguments for 'rename' command")
        );
    }

    #[test]
    fn copy_options_and_errors() {
        let mut node = TestNode::new();
        set(&mut node, "c", "1");
        node.run("EXPIRE c 100");
        assert_eq!(node.run("COPY c c"), error(SAME_OBJECT));
        assert_eq!(node.run("COPY c c DB 0"), error(SAME_OBJECT));
        let out_of_range = error("ERR DB index is out of range");
        assert_eq!(node.run("COPY c d DB 16"), out_of_range);
        assert_eq!(node.run("COPY c d DB -1"), out_of_range);
        assert_eq!(
            node.run("COPY c d DB abc"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("COPY c d DB 4294967296"),
            error("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        assert_eq!(node.run("COPY c d DB"), error("ERR syntax error"));
        assert_eq!(node.run("COPY c d foo"), error("ERR syntax error"));
        assert_eq!(
            node.run("COPY c"),
            error("ERR wrong number of arguments for 'copy' command")
        );
        assert_eq!(node.run("COPY missing d"), int(0));
        assert_eq!(node.run("COPY c c DB 1"), int(1));
        assert_eq!(node.run("COPY c d REPLACE REPLACE"), int(1));
        assert_eq!(node.run("TTL d"), int(100));
        assert_eq!(get(&mut node, 0, "d"), Some(b"1".to_vec()));
        set(&mut node, "d", "other");
        assert_eq!(node.run("COPY c d"), int(0));
        assert_eq!(get(&mut node, 0, "d"), Some(b"other".to_vec()));
        assert_eq!(node.run("COPY c d replace"), int(1));
        assert_eq!(get(&mut node, 0, "d"), Some(b"1".to_vec()));
        assert_eq!(node.run("COPY c x DB 2"), int(1));
        assert_eq!(get(&mut node, 2, "x"), Some(b"1".to_vec()));
        assert_eq!(get(&mut node, 0, "c"), Some(b"1".to_vec()));
        node.run("SELECT 2");
        assert_eq!(node.run("TTL x"), int(100));
        // The copy is independent of the source.
        node.run("SELECT 0");
        node.run("DEL c");
        assert_eq!(get(&mut node, 2, "x"), Some(b"1".to_vec()));
        // A copy without TTL replacing a key with one clears its TTL.
        set(&mut node, "plain", "p");
        assert_eq!(node.run("COPY plain d REPLACE"), int(1));
        assert_eq!(node.run("TTL d"), int(-1));
    }

    #[test]
    fn copy_across_databases_is_refused_in_cluster_mode() {
        let mut config = shoal_config::Config::default();
        let loaded = config.load_text("cluster-enabled yes\n", &mut |_| Ok(String::new()));
        assert!(loaded.is_ok(), "{loaded:?}");
        let mut node = TestNode::with_config(config);
        set(&mut node, "x", "1");
        assert_eq!(
            node.run("COPY x y DB 1"),
            error("ERR Copying to another database is not allowed in cluster mode")
        );
        assert_eq!(
            node.run("COPY x y DB 99"),
            error("ERR DB index is out of range")
        );
        assert_eq!(node.run("COPY x y DB 0"), int(1));
        assert_eq!(
            node.run("MOVE x 1"),
            error("ERR MOVE is not allowed in cluster mode")
        );
        assert_eq!(
            node.run("MOVE x abc"),
            error("ERR MOVE is not allowed in cluster mode")
        );
        assert_eq!(
            node.run("SWAPDB 0 1"),
            error("ERR SWAPDB is not allowed in cluster mode")
        );
    }

    #[test]
    fn move_between_databases() {
        let mut node = TestNode::new();
        set(&mut node, "c", "1");
        assert_eq!(node.run("MOVE c 0"), error(SAME_OBJECT));
        assert_eq!(node.run("MOVE missing 0"), error(SAME_OBJECT));
        assert_eq!(node.run("MOVE c 16"), error("ERR DB index is out of range"));
        assert_eq!(node.run("MOVE c -1"), error("ERR DB index is out of range"));
        assert_eq!(
            node.run("MOVE c abc"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("MOVE c 4294967296"),
            error("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        assert_eq!(node.run("MOVE missing 1"), int(0));
        node.run("EXPIRE c 100");
        let dirty = node.engine.node.dirty;
        assert_eq!(node.run("MOVE c 3"), int(1));
        assert_eq!(node.engine.node.dirty, dirty + 1);
        assert_eq!(get(&mut node, 0, "c"), None);
        assert_eq!(get(&mut node, 3, "c"), Some(b"1".to_vec()));
        node.run("SELECT 3");
        assert_eq!(node.run("TTL c"), int(100));
        // An existing key in the target blocks the move.
        node.run("SELECT 0");
        set(&mut node, "c", "again");
        assert_eq!(node.run("MOVE c 3"), int(0));
        assert_eq!(get(&mut node, 0, "c"), Some(b"again".to_vec()));
        assert_eq!(get(&mut node, 3, "c"), Some(b"1".to_vec()));
        // ...unless it has expired.
        node.advance_ms(100_001);
        assert_eq!(node.run("MOVE c 3"), int(1));
        assert_eq!(get(&mut node, 3, "c"), Some(b"again".to_vec()));
    }

    #[test]
    fn expire_option_errors_come_before_the_time() {
        let mut node = TestNode::new();
        set(&mut node, "k", "v");
        assert_eq!(
            node.run("EXPIRE k 100 foo"),
            error("ERR Unsupported option foo")
        );
        assert_eq!(
            node.run("EXPIRE k abc foo"),
            error("ERR Unsupported option foo")
        );
        assert_eq!(
            node.run("EXPIRE missing 100 bogus"),
            error("ERR Unsupported option bogus")
        );
        assert_eq!(
            node.run("EXPIRE k abc NX"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("EXPIRE k 1.5"),
            error("ERR value is not an integer or out of range")
        );
        let nx = error("ERR NX and XX, GT or LT options at the same time are not compatible");
        assert_eq!(node.run("EXPIRE k 100 NX XX"), nx);
        assert_eq!(node.run("EXPIRE k 100 NX GT"), nx);
        assert_eq!(node.run("PEXPIRE k 100 lt nx"), nx);
        assert_eq!(node.run("EXPIRE k 100 GT LT NX"), nx);
        assert_eq!(
            node.run("EXPIRE k 100 GT LT"),
            error("ERR GT and LT options at the same time are not compatible")
        );
        assert_eq!(
            node.run("EXPIRE k 100 GT LT bogus"),
            error("ERR Unsupported option bogus")
        );
        assert_eq!(
            node.run("EXPIRE k"),
            error("ERR wrong number of arguments for 'expire' command")
        );
        assert_eq!(node.run("TTL k"), int(-1));
    }

    #[test]
    fn expire_overflow_is_an_error_per_command() {
        let mut node = TestNode::new();
        set(&mut node, "k", "v");
        let expire = error("ERR invalid expire time in 'expire' command");
        assert_eq!(node.run("EXPIRE k 9223372036854775807"), expire);
        assert_eq!(node.run("EXPIRE k 9223372036854775"), expire);
        assert_eq!(node.run("EXPIRE k -9223372036854776"), expire);
        assert_eq!(
            node.run("PEXPIRE k 9223372036854775807"),
            error("ERR invalid expire time in 'pexpire' command")
        );
        assert_eq!(
            node.run("EXPIREAT k 9223372036854775807"),
            error("ERR invalid expire time in 'expireat' command")
        );
        assert_eq!(node.run("EXISTS k"), int(1));
        // The largest representable times are accepted.
        assert_eq!(node.run("PEXPIREAT k 9223372036854775807"), int(1));
        assert_eq!(node.run("PEXPIRETIME k"), int(i64::MAX));
        assert_eq!(node.run("EXPIRETIME k"), int(9_223_372_036_854_776));
        assert_eq!(node.run("PTTL k"), int(i64::MAX - node.now_ms));
        assert_eq!(node.run("EXPIREAT k 9223372036854775"), int(1));
        assert_eq!(node.run("EXPIRETIME k"), int(9_223_372_036_854_775));
        // The most negative accepted value deletes the key.
        assert_eq!(node.run("EXPIRE k -9223372036854775"), int(1));
        assert_eq!(node.run("EXISTS k"), int(0));
    }

    #[test]
    fn expire_in_the_past_deletes() {
        let mut node = TestNode::new();
        set(&mut node, "k", "v");
        let dirty = node.engine.node.dirty;
        assert_eq!(node.run("PEXPIREAT k -5"), int(1));
        assert_eq!(node.run("EXISTS k"), int(0));
        assert_eq!(node.engine.node.dirty, dirty + 1);
        set(&mut node, "k", "v");
        assert_eq!(node.run("EXPIRE k 0"), int(1));
        assert_eq!(node.run("EXISTS k"), int(0));
        set(&mut node, "k", "v");
        let now_ms = node.now_ms;
        assert_eq!(node.run(&format!("PEXPIREAT k {now_ms}")), int(1));
        assert_eq!(node.run("EXISTS k"), int(0));
        set(&mut node, "k", "v");
        assert_eq!(node.run(&format!("PEXPIREAT k {}", now_ms + 1)), int(1));
        assert_eq!(node.run("PTTL k"), int(1));
        assert_eq!(node.run("EXPIRE missing 100"), int(0));
        assert_eq!(node.run("EXPIRE missing -1"), int(0));
    }

    #[test]
    fn lazy_expiry_is_counted_but_a_past_expire_is_a_delete() {
        let mut node = TestNode::new();
        set(&mut node, "j", "v");
        let before = node.engine.node.keyspace.expired_keys();
        assert_eq!(node.run("EXPIRE j -1"), int(1));
        assert_eq!(node.engine.node.keyspace.expired_keys(), before);
        set(&mut node, "k", "v");
        node.run("PEXPIRE k 1");
        node.advance_ms(2);
        assert_eq!(node.run("EXISTS k"), int(0));
        assert_eq!(node.engine.node.keyspace.expired_keys(), before + 1);
    }

    #[test]
    fn expire_conditions_match_redis() {
        let mut node = TestNode::new();
        set(&mut node, "k", "v");
        // No TTL: XX and GT refuse, LT and NX accept.
        assert_eq!(node.run("EXPIRE k 100 XX"), int(0));
        assert_eq!(node.run("EXPIRE k 100 GT"), int(0));
        assert_eq!(node.run("EXPIRE k 100 xx lt"), int(0));
        assert_eq!(node.run("EXPIRE k 100 LT"), int(1));
        assert_eq!(node.run("TTL k"), int(100));
        assert_eq!(node.run("EXPIRE k 200 NX"), int(0));
        assert_eq!(node.run("EXPIRE k 50 GT"), int(0));
        assert_eq!(node.run("EXPIRE k 100 GT"), int(0));
        assert_eq!(node.run("EXPIRE k 200 GT"), int(1));
        assert_eq!(node.run("EXPIRE k 300 LT"), int(0));
        assert_eq!(node.run("EXPIRE k 200 LT"), int(0));
        assert_eq!(node.run("EXPIRE k 50 LT"), int(1));
        assert_eq!(node.run("EXPIRE k 50 XX LT"), int(0));
        assert_eq!(node.run("EXPIRE k 40 XX LT"), int(1));
        assert_eq!(node.run("TTL k"), int(40));
        assert_eq!(node.run("PERSIST k"), int(1));
        assert_eq!(node.run("EXPIRE k 100 nx nx"), int(1));
        node.run("PERSIST k");
        // GT never applies to a key without TTL, even in the past.
        assert_eq!(node.run("EXPIRE k -1 GT"), int(0));
        assert_eq!(node.run("EXISTS k"), int(1));
        // LT with a past time on a key without TTL deletes it.
        assert_eq!(node.run("EXPIRE k 0 LT"), int(1));
        assert_eq!(node.run("EXISTS k"), int(0));
    }

    #[test]
    fn ttl_family_values_and_rounding() {
        let mut node = TestNode::new();
        for command in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
            assert_eq!(
                node.run(&format!("{command} missing")),
                int(-2),
                "{command}"
            );
        }
        set(&mut node, "k", "v");
        for command in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
            assert_eq!(node.run(&format!("{command} k")), int(-1), "{command}");
        }
        // Seconds round to nearest (Redis: (ttl+500)/1000).
        for (ttl_ms, seconds) in [(1499, 1), (1500, 2), (499, 0), (500, 1)] {
            node.run(&format!("PEXPIRE k {ttl_ms}"));
            assert_eq!(node.run("TTL k"), int(seconds), "PX {ttl_ms}");
            assert_eq!(node.run("PTTL k"), int(ttl_ms));
        }
        node.run("PEXPIRE k 10000");
        let at_ms = node.now_ms + 10_000;
        assert_eq!(node.run("PEXPIRETIME k"), int(at_ms));
        assert_eq!(node.run("EXPIRETIME k"), int((at_ms + 500) / 1000));
        node.advance_ms(9_999);
        assert_eq!(node.run("PTTL k"), int(1));
        assert_eq!(node.run("TTL k"), int(0));
        node.advance_ms(1);
        // Still alive at exactly its expiry time, as in Redis (now > when).
        assert_eq!(node.run("PTTL k"), int(0));
        node.advance_ms(1);
        assert_eq!(node.run("PTTL k"), int(-2));
        assert_eq!(
            node.run("TTL"),
            error("ERR wrong number of arguments for 'ttl' command")
        );
        assert_eq!(
            node.run("PTTL a b"),
            error("ERR wrong number of arguments for 'pttl' command")
        );
    }

    #[test]
    fn persist_removes_only_existing_ttls() {
        let mut node = TestNode::new();
        set(&mut node, "k", "v");
        let dirty = node.engine.node.dirty;
        assert_eq!(node.run("PERSIST k"), int(0));
        assert_eq!(node.run("PERSIST missing"), int(0));
        assert_eq!(node.engine.node.dirty, dirty);
        node.run("EXPIRE k 10");
        assert_eq!(node.run("PERSIST k"), int(1));
        assert_eq!(node.run("TTL k"), int(-1));
        assert_eq!(node.run("PERSIST k"), int(0));
        assert_eq!(node.engine.node.dirty, dirty + 2);
    }

    #[test]
    fn object_subcommands() {
        let mut node = TestNode::new();
        assert_eq!(node.run("OBJECT encoding nokey"), Frame::Null);
        assert_eq!(node.run("OBJECT freq nokey"), Frame::Null);
        assert_eq!(node.run("OBJECT idletime nokey"), Frame::Null);
        assert_eq!(node.run("OBJECT refcount nokey"), Frame::Null);
        assert_eq!(
            node.run("OBJECT encoding"),
            error("ERR wrong number of arguments for 'object|encoding' command")
        );
        assert_eq!(
            node.run("OBJECT help x"),
            error("ERR wrong number of arguments for 'object|help' command")
        );
        assert_eq!(
            node.run("OBJECT foo"),
            error("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
        );
        assert_eq!(
            node.run("OBJECT"),
            error("ERR wrong number of arguments for 'object' command")
        );
        set(&mut node, "n", "100");
        set(&mut node, "big", "10000");
        set(&mut node, "neg", "-1");
        set(&mut node, "s", "hello");
        assert_eq!(node.run("OBJECT ENCODING n"), bulk("int"));
        assert_eq!(node.run("OBJECT ENCODING neg"), bulk("int"));
        assert_eq!(node.run("OBJECT ENCODING s"), bulk("embstr"));
        assert_eq!(node.run("OBJECT REFCOUNT n"), int(2_147_483_647));
        assert_eq!(node.run("OBJECT REFCOUNT big"), int(1));
        assert_eq!(node.run("OBJECT REFCOUNT neg"), int(1));
        assert_eq!(node.run("OBJECT REFCOUNT s"), int(1));
        assert_eq!(
            node.run("OBJECT FREQ s"),
            error(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
                 Please note that when switching between policies at runtime LRU and LFU data \
                 will take some time to adjust."
            )
        );
        assert_eq!(node.run("OBJECT IDLETIME s"), int(0));
        let Frame::Array(help) = node.run("OBJECT HELP") else {
            panic!("help is an array")
        };
        assert_eq!(help.len(), 15);
        assert_eq!(
            help.first(),
            Some(&simple(
                "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
            ))
        );
        assert_eq!(help.last(), Some(&simple("    Prints this help.")));
    }

    #[test]
    fn object_idletime_is_not_reset_by_introspection() {
        let mut node = TestNode::new();
        set(&mut node, "s", "hello");
        node.advance_ms(5_000);
        assert_eq!(node.run("OBJECT IDLETIME s"), int(5));
        assert_eq!(node.run("TYPE s"), simple("string"));
        assert_eq!(node.run("TTL s"), int(-1));
        assert_eq!(node.run("EXISTS s"), int(1));
        node.advance_ms(2_000);
        assert_eq!(node.run("OBJECT IDLETIME s"), int(7));
        // TOUCH updates the access time.
        node.run("TOUCH s");
        assert_eq!(node.run("OBJECT IDLETIME s"), int(0));
    }

    #[test]
    fn object_refcount_and_freq_follow_the_memory_policy() {
        let mut node = TestNode::new();
        set(&mut node, "n", "100");
        set_config(&mut node, "maxmemory-policy", "allkeys-lfu");
        set(&mut node, "s", "hello");
        assert_eq!(node.run("OBJECT FREQ s"), int(5));
        assert_eq!(
            node.run("OBJECT IDLETIME s"),
            error(
                "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note \
                 that when switching between policies at runtime LRU and LFU data will take \
                 some time to adjust."
            )
        );
        assert_eq!(node.run("OBJECT IDLETIME zz"), Frame::Null);
        // Without maxmemory, integers stay shared whatever the policy.
        assert_eq!(node.run("OBJECT REFCOUNT n"), int(2_147_483_647));
        set_config(&mut node, "maxmemory", "100mb");
        assert_eq!(node.run("OBJECT REFCOUNT n"), int(1));
        set_config(&mut node, "maxmemory-policy", "allkeys-lru");
        assert_eq!(node.run("OBJECT REFCOUNT n"), int(1));
        set_config(&mut node, "maxmemory-policy", "allkeys-random");
        assert_eq!(node.run("OBJECT REFCOUNT n"), int(2_147_483_647));
    }

    /// A node under `allkeys-lfu` with the given `lfu-log-factor`.
    fn lfu_node(log_factor: &str) -> TestNode {
        let mut node = TestNode::new();
        set_config(&mut node, "maxmemory-policy", "allkeys-lfu");
        set_config(&mut node, "lfu-log-factor", log_factor);
        node
    }

    #[test]
    fn object_freq_counts_accesses_and_decays() {
        let mut node = lfu_node("0");
        assert_eq!(node.run("SET s hello"), simple("OK"));
        assert_eq!(node.run("OBJECT FREQ s"), int(5));
        for _ in 0..100 {
            assert_eq!(node.run("GET s"), bulk("hello"));
        }
        // OBJECT, TYPE, EXISTS and TTL look up without counting an access.
        assert_eq!(node.run("OBJECT FREQ s"), int(105));
        node.run("TYPE s");
        node.run("EXISTS s");
        node.run("TTL s");
        assert_eq!(node.run("OBJECT FREQ s"), int(105));
        // One decrement per lfu-decay-time minutes since the last access
        // (the test clock starts 20 s into a minute).
        set_config(&mut node, "lfu-decay-time", "2");
        node.advance_ms(39_999);
        assert_eq!(node.run("OBJECT FREQ s"), int(105));
        node.advance_ms(1 + 60_000);
        assert_eq!(node.run("OBJECT FREQ s"), int(104));
        node.advance_ms(4 * 60_000);
        assert_eq!(node.run("OBJECT FREQ s"), int(102));
        // Reading stored nothing; an access stores the decayed counter + 1.
        node.run("TOUCH s");
        assert_eq!(node.run("OBJECT FREQ s"), int(103));
        set_config(&mut node, "lfu-decay-time", "0");
        node.advance_ms(600 * 60_000);
        assert_eq!(node.run("OBJECT FREQ s"), int(103));
        set_config(&mut node, "lfu-decay-time", "1");
        assert_eq!(node.run("OBJECT FREQ s"), int(0));
    }

    #[test]
    fn object_freq_with_the_default_log_factor_grows_logarithmically() {
        let mut node = lfu_node("10");
        node.run("SET s hello");
        for _ in 0..1_000 {
            node.run("GET s");
        }
        // redis.conf: factor 10, 1000 hits -> about 18.
        let Frame::Integer(frequency) = node.run("OBJECT FREQ s") else {
            panic!("OBJECT FREQ replies an integer")
        };
        assert!((15..=21).contains(&frequency), "{frequency}");
    }

    #[test]
    fn object_freq_follows_redis_writes_renames_and_copies() {
        // Each reply is what redis-server 7.0.15 gives for the same
        // sequence with lfu-log-factor 0.
        let mut node = lfu_node("0");
        node.run("SET k hello");
        node.run("GET k");
        node.run("GET k");
        assert_eq!(node.run("OBJECT FREQ k"), int(7));
        // setKey counts one access and the new value keeps the counter.
        node.run("SET k v2");
        assert_eq!(node.run("OBJECT FREQ k"), int(8));
        assert_eq!(node.run("SET k v3 NX"), Frame::Null);
        assert_eq!(node.run("OBJECT FREQ k"), int(9));
        node.run("SET k v3 XX");
        assert_eq!(node.run("OBJECT FREQ k"), int(10));
        node.run("SET k v4 GET");
        assert_eq!(node.run("OBJECT FREQ k"), int(12));
        node.run("GETSET k v5");
        assert_eq!(node.run("OBJECT FREQ k"), int(14));
        node.run("MSET k v6");
        assert_eq!(node.run("OBJECT FREQ k"), int(15));
        node.run("APPEND k x");
        assert_eq!(node.run("OBJECT FREQ k"), int(16));
        // RENAME moves the object, counter included (after its own access).
        node.run("SET k3 abc");
        node.run("RENAME k k3");
        assert_eq!(node.run("OBJECT FREQ k3"), int(17));
        // COPY makes a new object, also over a replaced destination.
        node.run("SET k5 hello");
        node.run("GET k5");
        assert_eq!(node.run("COPY k3 k5 REPLACE"), int(1));
        assert_eq!(node.run("OBJECT FREQ k5"), int(5));
        assert_eq!(node.run("OBJECT FREQ k3"), int(18));
        // MOVE keeps the object too.
        assert_eq!(node.run("MOVE k3 1"), int(1));
        node.run("SELECT 1");
        assert_eq!(node.run("OBJECT FREQ k3"), int(19));
        node.run("SELECT 0");
        // In-place writes count their lookup.
        node.run("SET n 12345");
        node.run("INCR n");
        assert_eq!(node.run("OBJECT FREQ n"), int(6));
        node.run("SET b abc KEEPTTL");
        node.run("SETRANGE b 0 x");
        node.run("SETBIT b 0 1");
        assert_eq!(node.run("OBJECT FREQ b"), int(7));
    }

    #[test]
    fn restore_freq_sets_the_counter_under_lfu_only() {
        let mut node = lfu_node("0");
        node.run("SET s hello");
        let Frame::Bulk(payload) = node.run("DUMP s") else {
            panic!("DUMP replies a bulk")
        };
        let restore = |node: &mut TestNode, key: &[u8], options: &[&[u8]]| {
            let mut args: Vec<&[u8]> = vec![b"RESTORE", key, b"0", &payload];
            args.extend_from_slice(options);
            node.run_args(&args)
        };
        assert_eq!(restore(&mut node, b"r", &[b"FREQ", b"100"]), simple("OK"));
        assert_eq!(node.run("OBJECT FREQ r"), int(100));
        assert_eq!(
            restore(&mut node, b"r", &[b"REPLACE", b"FREQ", b"255"]),
            simple("OK")
        );
        assert_eq!(node.run("OBJECT FREQ r"), int(255));
        node.run("GET r");
        assert_eq!(node.run("OBJECT FREQ r"), int(255));
        // IDLETIME is ignored under LFU: a new key's counter.
        assert_eq!(
            restore(&mut node, b"i", &[b"IDLETIME", b"1000"]),
            simple("OK")
        );
        assert_eq!(node.run("OBJECT FREQ i"), int(5));
        assert_eq!(
            restore(&mut node, b"x", &[b"FREQ", b"256"]),
            error("ERR Invalid FREQ value, must be >= 0 and <= 255")
        );
        // Under LRU, FREQ is ignored and IDLETIME honoured.
        set_config(&mut node, "maxmemory-policy", "allkeys-lru");
        assert_eq!(restore(&mut node, b"l", &[b"FREQ", b"100"]), simple("OK"));
        assert_eq!(node.run("OBJECT IDLETIME l"), int(0));
        assert_eq!(
            restore(&mut node, b"m", &[b"IDLETIME", b"1000"]),
            simple("OK")
        );
        assert_eq!(node.run("OBJECT IDLETIME m"), int(1000));
        assert_eq!(
            node.run("OBJECT FREQ m"),
            error(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
                 Please note that when switching between policies at runtime LRU and LFU data \
                 will take some time to adjust."
            )
        );
    }

    #[test]
    fn policy_switches_reinterpret_the_access_field() {
        let mut node = TestNode::new();
        // The LRU clock's low byte is then 200.
        node.advance_ms(200_000);
        node.run("SET s hello");
        set_config(&mut node, "maxmemory-policy", "volatile-lfu");
        // The LRU clock read as the LFU pair, as Redis does: the low byte
        // is the counter, decayed since "minute" clock >> 8 (without decay,
        // just the low byte).
        assert_eq!((node.now_ms / 1000) & 0xFF, 200);
        set_config(&mut node, "lfu-decay-time", "0");
        assert_eq!(node.run("OBJECT FREQ s"), int(200));
        set_config(&mut node, "lfu-decay-time", "1");
        let clock = (node.now_ms / 1000) & 0xFF_FFFF;
        let minutes = (node.now_ms / 60_000) & 0xFFFF;
        let last = clock >> 8;
        let elapsed = if minutes >= last {
            minutes - last
        } else {
            65_535 - last + minutes
        };
        assert_eq!(node.run("OBJECT FREQ s"), int((200 - elapsed).max(0)));
        node.run("SET t hello");
        assert_eq!(node.run("OBJECT FREQ t"), int(5));
        set_config(&mut node, "maxmemory-policy", "noeviction");
        assert_eq!(node.run("OBJECT IDLETIME s"), int(0));
    }

    #[test]
    fn object_lookups_count_hits_and_misses() {
        let mut node = TestNode::new();
        set(&mut node, "a", "1");
        let before = hits_misses(&node);
        node.run("OBJECT ENCODING a");
        node.run("OBJECT ENCODING zz");
        assert_eq!(hits_misses(&node), (before.0 + 1, before.1 + 1));
    }

    #[test]
    fn binary_keys_and_empty_keys_work_everywhere() {
        let mut node = TestNode::new();
        let key: &[u8] = b"\x00\xff\r\n";
        let other: &[u8] = b"";
        let db = selected_db(&node);
        let now_ms = node.now_ms;
        node.engine.node.keyspace.db_mut(db).set(
            key,
            Value::String(StringValue::from_bytes(b"bin")),
            false,
            now_ms,
        );
        assert_eq!(node.run_args(&[b"EXISTS", key]), int(1));
        assert_eq!(node.run_args(&[b"PEXPIRE", key, b"5000"]), int(1));
        assert_eq!(node.run_args(&[b"RENAME", key, other]), simple("OK"));
        assert_eq!(node.run_args(&[b"PTTL", other]), int(5000));
        assert_eq!(
            node.run_args(&[b"KEYS", b"*"]),
            Frame::Array(vec![bulk("")])
        );
        assert_eq!(node.run_args(&[b"MOVE", other, b"1"]), int(1));
        assert_eq!(node.run_args(&[b"COPY", other, key, b"DB", b"1"]), int(0));
        node.run("SELECT 1");
        assert_eq!(node.run_args(&[b"COPY", other, key]), int(1));
        assert_eq!(node.run_args(&[b"DEL", key, other]), int(2));
        // Redis echoes the raw byte; error texts are UTF-8 here, and the test
        // decoder is lossy, so only the shape is compared.
        assert_eq!(
            node.run_args(&[b"EXPIRE", b"k", b"1", b"\xff"]),
            error("ERR Unsupported option \u{fffd}")
        );
    }

    #[test]
    fn dbsize_flushdb_flushall() {
        let mut node = TestNode::new();
        assert_eq!(node.run("DBSIZE"), int(0));
        set(&mut node, "a", "1");
        set(&mut node, "b", "1");
        node.run("SELECT 3");
        set(&mut node, "a", "1");
        assert_eq!(node.run("DBSIZE"), int(1));
        node.run("SELECT 0");
        assert_eq!(node.run("DBSIZE"), int(2));
        assert_eq!(
            node.run("DBSIZE x"),
            error("ERR wrong number of arguments for 'dbsize' command")
        );
        assert_eq!(node.run("FLUSHDB foo"), error("ERR syntax error"));
        assert_eq!(node.run("FLUSHALL foo"), error("ERR syntax error"));
        assert_eq!(node.run("FLUSHALL async x"), error("ERR syntax error"));
        let dirty = node.engine.node.dirty;
        assert_eq!(node.run("FLUSHDB Async"), simple("OK"));
        assert_eq!(node.engine.node.dirty, dirty + 2);
        assert_eq!(node.run("DBSIZE"), int(0));
        assert_eq!(get(&mut node, 3, "a"), Some(b"1".to_vec()));
        assert_eq!(node.run("FLUSHDB"), simple("OK"));
        assert_eq!(node.engine.node.dirty, dirty + 2);
        set(&mut node, "z", "1");
        assert_eq!(node.run("FLUSHALL SYNC"), simple("OK"));
        assert_eq!(node.engine.node.dirty, dirty + 4);
        assert_eq!(get(&mut node, 3, "a"), None);
        assert_eq!(node.run("FLUSHALL"), simple("OK"));
        assert_eq!(node.engine.node.dirty, dirty + 4);
    }

    #[test]
    fn swapdb_swaps_data_under_selected_clients() {
        let mut node = TestNode::new();
        assert_eq!(node.run("SWAPDB 0 x"), error("ERR invalid second DB index"));
        assert_eq!(node.run("SWAPDB x 0"), error("ERR invalid first DB index"));
        assert_eq!(node.run("SWAPDB x y"), error("ERR invalid first DB index"));
        assert_eq!(
            node.run("SWAPDB 0 4294967296"),
            error("ERR invalid second DB index")
        );
        assert_eq!(
            node.run("SWAPDB 0 16"),
            error("ERR DB index is out of range")
        );
        assert_eq!(
            node.run("SWAPDB -1 0"),
            error("ERR DB index is out of range")
        );
        assert_eq!(
            node.run("SWAPDB 1"),
            error("ERR wrong number of arguments for 'swapdb' command")
        );
        set(&mut node, "zero", "0");
        node.run("SELECT 2");
        set(&mut node, "two", "2");
        node.run("EXPIRE two 100");
        let dirty = node.engine.node.dirty;
        assert_eq!(node.run("SWAPDB 0 0"), simple("OK"));
        assert_eq!(node.run("SWAPDB 0 2"), simple("OK"));
        assert_eq!(node.engine.node.dirty, dirty + 2);
        // The client still has DB 2 selected and now sees DB 0's old data.
        assert_eq!(sorted_keys(node.run("KEYS *")), ["zero"]);
        node.run("SELECT 0");
        assert_eq!(sorted_keys(node.run("KEYS *")), ["two"]);
        assert_eq!(node.run("TTL two"), int(100));
    }
}
