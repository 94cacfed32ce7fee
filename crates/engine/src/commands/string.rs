//! The string family (Redis 7.0.15 `t_string.c`): GET, SET and its
//! variants (SETNX SETEX PSETEX GETSET GETDEL GETEX), MGET MSET MSETNX,
//! APPEND STRLEN, the counters (INCR DECR INCRBY DECRBY INCRBYFLOAT), ranges
//! (GETRANGE SUBSTR SETRANGE) and LCS. It also exports the typed lookups and
//! reply helpers the bitmap family shares.
//!
//! It owns the semantics of these commands — option parsing and precedence,
//! exact error texts, `server.dirty` and keyspace hit/miss accounting. It
//! never reads a clock (expiry times derive from `ctx.now_ms`), never looks
//! inside non-string values (they are rejected with WRONGTYPE) and never
//! panics on client input.

use bytes::Bytes;
use shoal_keyspace::{StringValue, Value};
use shoal_resp::{parse_i64_strict, ReplyWriter};

use crate::context::Ctx;
use crate::error::CommandError;
use crate::node::Node;
use crate::table::{CommandResult, CommandSpec, Flags, KeySpec};
use shoal_config::notify;

const READ_FAST: &[&str] = &["read", "string", "fast"];
const READ_SLOW: &[&str] = &["read", "string", "slow"];
const WRITE_FAST: &[&str] = &["write", "string", "fast"];
const WRITE_SLOW: &[&str] = &["write", "string", "slow"];

const READONLY_FAST: Flags = Flags::READONLY.with(Flags::FAST);
const WRITE_DENYOOM: Flags = Flags::WRITE.with(Flags::DENYOOM);
const WRITE_DENYOOM_FAST: Flags = WRITE_DENYOOM.with(Flags::FAST);
const WRITE_FAST_FLAGS: Flags = Flags::WRITE.with(Flags::FAST);

/// Keys at every other argument from 1 (MSET, MSETNX).
const KEY_VALUE_PAIRS: KeySpec = KeySpec::Range {
    first: 1,
    last: -1,
    step: 2,
};
/// LCS's two keys.
const TWO_KEYS: KeySpec = KeySpec::Range {
    first: 1,
    last: 2,
    step: 1,
};

const RANGE_COMPLEXITY: &str = "O(N) where N is the length of the returned string. The \
     complexity is ultimately determined by the returned length, but because creating a \
     substring from an existing string is very cheap, it can be considered O(1) for small \
     strings.";

/// A row with the string group and the fields every string command shares.
#[allow(clippy::too_many_arguments)]
const fn row(
    name: &'static str,
    arity: i32,
    flags: Flags,
    acl_categories: &'static [&'static str],
    keys: KeySpec,
    summary: &'static str,
    since: &'static str,
    complexity: &'static str,
    handler: fn(&mut Ctx<'_>) -> CommandResult,
) -> CommandSpec {
    CommandSpec::leaf(
        name,
        arity,
        flags,
        acl_categories,
        keys,
        "string",
        summary,
        since,
        complexity,
        handler,
    )
}

/// Rows of the string family, as `COMMAND INFO` / `COMMAND DOCS` of Redis
/// 7.0.15 report them.
#[rustfmt::skip]
pub(crate) const COMMANDS: &[CommandSpec] = &[
    row("get", 2, READONLY_FAST, READ_FAST, KeySpec::ONE,
        "Get the value of a key", "1.0.0", "O(1)", get),
    row("set", -3, WRITE_DENYOOM, WRITE_SLOW, KeySpec::ONE,
        "Set the string value of a key", "1.0.0", "O(1)", set),
    row("setnx", 3, WRITE_DENYOOM_FAST, WRITE_FAST, KeySpec::ONE,
        "Set the value of a key, only if the key does not exist", "1.0.0", "O(1)", setnx),
    row("setex", 4, WRITE_DENYOOM, WRITE_SLOW, KeySpec::ONE,
        "Set the value and expiration of a key", "2.0.0", "O(1)", setex),
    row("psetex", 4, WRITE_DENYOOM, WRITE_SLOW, KeySpec::ONE,
        "Set the value and expiration in milliseconds of a key", "2.6.0", "O(1)", psetex),
    row("getset", 3, WRITE_DENYOOM_FAST, WRITE_FAST, KeySpec::ONE,
        "Set the string value of a key and return its old value", "1.0.0", "O(1)", getset),
    row("getdel", 2, WRITE_FAST_FLAGS, WRITE_FAST, KeySpec::ONE,
        "Get the value of a key and delete the key", "6.2.0", "O(1)", getdel),
    row("getex", -2, WRITE_FAST_FLAGS, WRITE_FAST, KeySpec::ONE,
        "Get the value of a key and optionally set its expiration", "6.2.0", "O(1)", getex),
    row("mget", -2, READONLY_FAST, READ_FAST, KeySpec::ALL,
        "Get the values of all the given keys", "1.0.0",
        "O(N) where N is the number of keys to retrieve.", mget),
    row("mset", -3, WRITE_DENYOOM, WRITE_SLOW, KEY_VALUE_PAIRS,
        "Set multiple keys to multiple values", "1.0.1",
        "O(N) where N is the number of keys to set.", mset),
    row("msetnx", -3, WRITE_DENYOOM, WRITE_SLOW, KEY_VALUE_PAIRS,
        "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1",
        "O(N) where N is the number of keys to set.", msetnx),
    row("append", 3, WRITE_DENYOOM_FAST, WRITE_FAST, KeySpec::ONE,
        "Append a value to a key", "2.0.0",
        "O(1). The amortized time complexity is O(1) assuming the appended value is small and \
         the already present value is of any size, since the dynamic string library used by \
         Redis will double the free space available on every reallocation.", append),
    row("strlen", 2, READONLY_FAST, READ_FAST, KeySpec::ONE,
        "Get the length of the value stored in a key", "2.2.0", "O(1)", strlen),
    row("incr", 2, WRITE_DENYOOM_FAST, WRITE_FAST, KeySpec::ONE,
        "Increment the integer value of a key by one", "1.0.0", "O(1)", incr),
    row("decr", 2, WRITE_DENYOOM_FAST, WRITE_FAST, KeySpec::ONE,
        "Decrement the integer value of a key by one", "1.0.0", "O(1)", decr),
    row("incrby", 3, WRITE_DENYOOM_FAST, WRITE_FAST, KeySpec::ONE,
        "Increment the integer value of a key by the given amount", "1.0.0", "O(1)", incrby),
    row("decrby", 3, WRITE_DENYOOM_FAST, WRITE_FAST, KeySpec::ONE,
        "Decrement the integer value of a key by the given number", "1.0.0", "O(1)", decrby),
    row("incrbyfloat", 3, WRITE_DENYOOM_FAST, WRITE_FAST, KeySpec::ONE,
        "Increment the float value of a key by the given amount", "2.6.0", "O(1)", incrbyfloat),
    row("getrange", 4, Flags::READONLY, READ_SLOW, KeySpec::ONE,
        "Get a substring of the string stored at a key", "2.4.0", RANGE_COMPLEXITY, getrange),
    row("substr", 4, Flags::READONLY, READ_SLOW, KeySpec::ONE,
        "Get a substring of the string stored at a key", "1.0.0", RANGE_COMPLEXITY, getrange),
    row("setrange", 4, WRITE_DENYOOM, WRITE_SLOW, KeySpec::ONE,
        "Overwrite part of a string at key starting at the specified offset", "2.2.0",
        "O(1), not counting the time taken to copy the new string in place. Usually, this \
         string is very small so the amortized complexity is O(1). Otherwise, complexity is \
         O(M) with M being the length of the value argument.", setrange),
    row("lcs", -3, Flags::READONLY, READ_SLOW, TWO_KEYS,
        "Find longest common substring", "7.0.0",
        "O(N*M) where N and M are the lengths of s1 and s2, respectively", lcs),
];

// ---------------------------------------------------------------------------
// Helpers shared with the bitmap family
// ---------------------------------------------------------------------------

/// The string inside a value; `None` for any other type (WRONGTYPE).
// Only strings exist today; the wildcard arm starts matching when lists,
// hashes and sets join `Value`.
#[allow(unreachable_patterns)]
pub(crate) fn string_of(value: &mut Value) -> Option<&mut StringValue> {
    match value {
        Value::String(string) => Some(string),
        _ => None,
    }
}

/// Redis's `lookupKeyRead` + `checkType(OBJ_STRING)`: lazy expiry, a
/// keyspace hit or miss (counted even when the type is wrong, as Redis
/// does), then WRONGTYPE for non-strings.
pub(crate) fn read_string<'n>(
    node: &'n mut Node,
    db: usize,
    key: &[u8],
    now_ms: i64,
) -> Result<Option<&'n mut StringValue>, CommandError> {
    match node.keyspace.db_mut(db).lookup_read(key, now_ms) {
        None => {
            node.stats.keyspace_misses += 1;
            Ok(None)
        }
        Some(value) => {
            node.stats.keyspace_hits += 1;
            string_of(value).map(Some).ok_or(CommandError::WrongType)
        }
    }
}

/// Redis's `lookupKeyWrite` + `checkType(OBJ_STRING)`: lazy expiry without
/// hit/miss accounting.
pub(crate) fn write_string<'n>(
    node: &'n mut Node,
    db: usize,
    key: &[u8],
    now_ms: i64,
) -> Result<Option<&'n mut StringValue>, CommandError> {
    match node.keyspace.db_mut(db).lookup(key, now_ms) {
        None => Ok(None),
        Some(value) => string_of(value).map(Some).ok_or(CommandError::WrongType),
    }
}

/// A string value as a bulk reply. Int-encoded values are printed straight
/// into the reply (Redis's `addReplyBulk` on an `OBJ_ENCODING_INT` object),
/// without allocating their digits.
pub(crate) fn reply_string(out: &mut ReplyWriter, value: &StringValue) {
    value.with_bytes(|bytes| out.bulk(bytes));
}

/// A string in the raw encoding. Redis builds SETRANGE-created, SETBIT,
/// BITFIELD and BITOP results with `createObject(OBJ_STRING, sds)`, which is
/// never int- or embstr-encoded (OBJECT ENCODING says `raw`).
pub(crate) fn raw_string(bytes: Vec<u8>) -> Value {
    Value::String(StringValue::from_raw_vec(bytes))
}

/// The part of an argument a C string function sees: Redis compares option
/// keywords with `strcasecmp` (or byte tests ending at `'\0'`), so
/// `"NX\0junk"` is `NX`.
pub(crate) fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&byte| byte == 0) {
        Some(end) => &arg[..end],
        None => arg,
    }
}

/// True when `arg`, read as a C string, equals `keyword` ignoring ASCII case.
pub(crate) fn keyword_is(arg: &[u8], keyword: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(keyword.as_bytes())
}

/// A strict integer argument (`getLongLongFromObjectOrReply`).
fn integer_arg(arg: &[u8]) -> Result<i64, CommandError> {
    parse_i64_strict(arg).ok_or(CommandError::NotInteger)
}

/// The integer a string holds, as `getLongLongFromObject` reads it: the
/// int encoding directly, otherwise a strict `string2ll` parse.
fn integer_of(value: &StringValue) -> Option<i64> {
    value.as_i64()
}

// ---------------------------------------------------------------------------
// GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX
// ---------------------------------------------------------------------------

/// SET/GETEX option bits (Redis's `OBJ_*` flags in t_string.c).
const OPT_NX: u32 = 1 << 0;
const OPT_XX: u32 = 1 << 1;
const OPT_EX: u32 = 1 << 2;
const OPT_PX: u32 = 1 << 3;
const OPT_KEEPTTL: u32 = 1 << 4;
const OPT_GET: u32 = 1 << 5;
const OPT_EXAT: u32 = 1 << 6;
const OPT_PXAT: u32 = 1 << 7;
const OPT_PERSIST: u32 = 1 << 8;

/// Parses SET (`for_set`, options from argument 3) or GETEX (from argument
/// 2) options exactly as `parseExtendedStringArgumentsOrReply`: the same
/// mutual exclusions, repeated options allowed, and an expire option
/// without a value is a syntax error. Returns the flags and the index of
/// the expire value.
fn parse_string_options(
    args: &[Bytes],
    for_set: bool,
) -> Result<(u32, Option<usize>), CommandError> {
    const ANY_EXPIRE: u32 = OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT;
    let mut flags = 0u32;
    let mut expire = None;
    let mut index = if for_set { 3 } else { 2 };
    while index < args.len() {
        let option = c_str(&args[index]);
        let has_value = index + 1 < args.len();
        let is = |word: &str| option.eq_ignore_ascii_case(word.as_bytes());
        let timed = |own: u32| -> bool {
            flags & (OPT_KEEPTTL | OPT_PERSIST | (ANY_EXPIRE & !own)) == 0 && has_value
        };
        if is("nx") && flags & OPT_XX == 0 && for_set {
            flags |= OPT_NX;
        } else if is("xx") && flags & OPT_NX == 0 && for_set {
            flags |= OPT_XX;
        } else if is("get") && for_set {
            flags |= OPT_GET;
        } else if is("keepttl") && flags & (OPT_PERSIST | ANY_EXPIRE) == 0 && for_set {
            flags |= OPT_KEEPTTL;
        } else if is("persist") && !for_set && flags & (ANY_EXPIRE | OPT_KEEPTTL) == 0 {
            flags |= OPT_PERSIST;
        } else if let Some(unit) = [
            ("ex", OPT_EX),
            ("px", OPT_PX),
            ("exat", OPT_EXAT),
            ("pxat", OPT_PXAT),
        ]
        .into_iter()
        .find_map(|(word, unit)| (is(word) && timed(unit)).then_some(unit))
        {
            flags |= unit;
            expire = Some(index + 1);
            index += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        index += 1;
    }
    Ok((flags, expire))
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute expiry in Unix ms
/// for an EX/PX/EXAT/PXAT value. Zero, negative and overflowing times are
/// `invalid expire time in '<command>' command`; EXAT/PXAT in the past are
/// accepted (the key then expires lazily).
fn expire_at_ms(arg: &[u8], flags: u32, now_ms: i64, command: &str) -> Result<i64, CommandError> {
    let invalid = || CommandError::InvalidExpireTime(command.to_string());
    let mut when_ms = integer_arg(arg)?;
    let seconds = flags & (OPT_EX | OPT_EXAT) != 0;
    if when_ms <= 0 || (seconds && when_ms > i64::MAX / 1000) {
        return Err(invalid());
    }
    if seconds {
        when_ms *= 1000;
    }
    if flags & (OPT_EX | OPT_PX) != 0 {
        // C adds with wrap-around and then rejects a non-positive result.
        when_ms = when_ms.checked_add(now_ms).ok_or_else(invalid)?;
    }
    if when_ms <= 0 {
        return Err(invalid());
    }
    Ok(when_ms)
}

/// GET key.
fn get(ctx: &mut Ctx<'_>) -> CommandResult {
    match read_string(ctx.node, ctx.client.db, &ctx.args[1], ctx.now_ms)? {
        Some(value) => reply_string(ctx.out, value),
        None => ctx.out.null(),
    }
    Ok(())
}

/// How `set_generic` answers: SET's `+OK`/nil or SETNX's `:1`/`:0`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetReply {
    OkOrNull,
    OneOrZero,
}

/// Redis's `setGenericCommand` after option parsing: the GET part first
/// (its WRONGTYPE aborts everything), then the NX/XX condition, the write,
/// the expiry and the reply (none of its own with GET: the old value was
/// the reply).
fn set_generic(
    ctx: &mut Ctx<'_>,
    flags: u32,
    value_index: usize,
    expire_at_ms: Option<i64>,
    reply: SetReply,
) -> CommandResult {
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let key = &ctx.args[1];
    let node = &mut *ctx.node;
    if flags & OPT_GET != 0 {
        match read_string(node, db, key, now_ms)? {
            Some(old) => reply_string(ctx.out, old),
            None => ctx.out.null(),
        }
    }
    let keyspace_db = node.keyspace.db_mut(db);
    let keep_ttl = flags & OPT_KEEPTTL != 0;
    if flags & (OPT_NX | OPT_XX) != 0 || keep_ttl {
        // lookupKeyWrite: also reclaims an expired key so KEEPTTL cannot
        // resurrect its old TTL. Its access is counted by the `set` below
        // (Redis's setKey skips its own lookup here), or, when the write is
        // abandoned, right away.
        let found = keyspace_db.contains(key, now_ms);
        if (flags & OPT_NX != 0 && found) || (flags & OPT_XX != 0 && !found) {
            if found {
                keyspace_db.lookup(key, now_ms);
            }
            if flags & OPT_GET == 0 {
                match reply {
                    SetReply::OkOrNull => ctx.out.null(),
                    SetReply::OneOrZero => ctx.out.integer(0),
                }
            }
            return Ok(());
        }
    }
    let value = Value::String(StringValue::from_bytes(&ctx.args[value_index]));
    let created = if keep_ttl {
        keyspace_db.set(key, value, true, now_ms)
    } else {
        keyspace_db.set_with_expire(key, value, expire_at_ms, now_ms)
    };
    node.dirty += 1;
    notify_set(ctx, key, created);
    if expire_at_ms.is_some() {
        ctx.notify(notify::GENERIC, "expire", key);
    }
    if flags & OPT_GET == 0 {
        match reply {
            SetReply::OkOrNull => ctx.out.ok(),
            SetReply::OneOrZero => ctx.out.integer(1),
        }
    }
    Ok(())
}

/// The events of Redis's `setKey` + `notifyKeyspaceEvent("set")`: `new`
/// first when the key was created (dbAdd), then `set`.
pub(crate) fn notify_set(ctx: &mut Ctx<'_>, key: &[u8], created: bool) {
    if created {
        ctx.notify(notify::NEW, "new", key);
    }
    ctx.notify(notify::STRING, "set", key);
}

/// SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT time|KEEPTTL].
fn set(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.args.len() == 3 {
        // The benchmarked plain form: no options, no lookup.
        let (db, now_ms) = (ctx.client.db, ctx.now_ms);
        let value = Value::String(StringValue::from_bytes(&ctx.args[2]));
        let created = ctx
            .node
            .keyspace
            .db_mut(db)
            .set(&ctx.args[1], value, false, now_ms);
        ctx.node.dirty += 1;
        notify_set(ctx, ctx.arg(1), created);
        ctx.out.ok();
        return Ok(());
    }
    let (flags, expire) = parse_string_options(ctx.args, true)?;
    let when_ms = match expire {
        Some(index) => Some(expire_at_ms(
            &ctx.args[index],
            flags,
            ctx.now_ms,
            ctx.spec.name,
        )?),
        None => None,
    };
    set_generic(ctx, flags, 2, when_ms, SetReply::OkOrNull)
}

/// SETNX key value: `:1` when set, `:0` when the key exists.
fn setnx(ctx: &mut Ctx<'_>) -> CommandResult {
    set_generic(ctx, OPT_NX, 2, None, SetReply::OneOrZero)
}

/// SETEX key seconds value.
fn setex(ctx: &mut Ctx<'_>) -> CommandResult {
    let when_ms = expire_at_ms(&ctx.args[2], OPT_EX, ctx.now_ms, ctx.spec.name)?;
    set_generic(ctx, OPT_EX, 3, Some(when_ms), SetReply::OkOrNull)
}

/// PSETEX key milliseconds value.
fn psetex(ctx: &mut Ctx<'_>) -> CommandResult {
    let when_ms = expire_at_ms(&ctx.args[2], OPT_PX, ctx.now_ms, ctx.spec.name)?;
    set_generic(ctx, OPT_PX, 3, Some(when_ms), SetReply::OkOrNull)
}

/// GETSET key value: the old value (or nil), then an unconditional SET that
/// clears any TTL.
fn getset(ctx: &mut Ctx<'_>) -> CommandResult {
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let node = &mut *ctx.node;
    match read_string(node, db, &ctx.args[1], now_ms)? {
        Some(old) => reply_string(ctx.out, old),
        None => ctx.out.null(),
    }
    let value = Value::String(StringValue::from_bytes(&ctx.args[2]));
    let created = node
        .keyspace
        .db_mut(db)
        .set(&ctx.args[1], value, false, now_ms);
    node.dirty += 1;
    notify_set(ctx, ctx.arg(1), created);
    Ok(())
}

/// GETDEL key: the value, then the key is deleted (one change when it existed).
fn getdel(ctx: &mut Ctx<'_>) -> CommandResult {
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let node = &mut *ctx.node;
    match read_string(node, db, &ctx.args[1], now_ms)? {
        Some(old) => reply_string(ctx.out, old),
        None => {
            ctx.out.null();
            return Ok(());
        }
    }
    if node
        .keyspace
        .db_mut(db)
        .remove(&ctx.args[1], now_ms)
        .is_some()
    {
        node.dirty += 1;
        ctx.notify(notify::GENERIC, "del", ctx.arg(1));
    }
    Ok(())
}

/// GETEX key [EX|PX|EXAT|PXAT time|PERSIST]. Order as in Redis: options
/// (syntax), lookup (nil when missing, even with a bad time), type, then
/// the time value; an EXAT/PXAT not after now deletes the key.
fn getex(ctx: &mut Ctx<'_>) -> CommandResult {
    let (flags, expire) = parse_string_options(ctx.args, false)?;
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let key = &ctx.args[1];
    let node = &mut *ctx.node;
    let Some(value) = read_string(node, db, key, now_ms)? else {
        ctx.out.null();
        return Ok(());
    };
    let when_ms = match expire {
        Some(index) => Some(expire_at_ms(
            &ctx.args[index],
            flags,
            now_ms,
            ctx.spec.name,
        )?),
        None => None,
    };
    reply_string(ctx.out, value);
    let keyspace_db = node.keyspace.db_mut(db);
    let event = match when_ms {
        Some(when_ms) if flags & (OPT_EXAT | OPT_PXAT) != 0 && when_ms <= now_ms => {
            keyspace_db.remove(key, now_ms);
            Some("del")
        }
        Some(when_ms) => {
            keyspace_db.set_expire_at_ms(key, when_ms, now_ms);
            Some("expire")
        }
        None if flags & OPT_PERSIST != 0 && keyspace_db.persist(key, now_ms) => Some("persist"),
        None => None,
    };
    if let Some(event) = event {
        node.dirty += 1;
        ctx.notify(notify::GENERIC, event, key);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// MGET MSET MSETNX
// ---------------------------------------------------------------------------

/// MGET key [key ...]: one bulk per key, nil for missing keys and for
/// values of other types (never WRONGTYPE).
fn mget(ctx: &mut Ctx<'_>) -> CommandResult {
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let node = &mut *ctx.node;
    ctx.out.array(ctx.args.len() - 1);
    for key in &ctx.args[1..] {
        match node.keyspace.db_mut(db).lookup_read(key, now_ms) {
            Some(value) => {
                node.stats.keyspace_hits += 1;
                match string_of(value) {
                    Some(string) => reply_string(ctx.out, string),
                    None => ctx.out.null(),
                }
            }
            None => {
                node.stats.keyspace_misses += 1;
                // Only a miss (or an expiry) logs events. Redis publishes
                // them during the lookup: a RESP3 subscriber's own pushes
                // sit inside the array, before this key's nil.
                crate::commands::pubsub::publish_key_events(
                    node,
                    Some((&*ctx.client, &mut *ctx.out)),
                );
                ctx.out.null();
            }
        }
    }
    Ok(())
}

/// Redis's `msetGenericCommand`: an odd pair count is an arity error; with
/// `nx` nothing is written when any key exists. Each pair is one change.
fn mset_generic(ctx: &mut Ctx<'_>, nx: bool) -> CommandResult {
    if !ctx.args[1..].chunks_exact(2).remainder().is_empty() {
        return Err(CommandError::WrongArity(ctx.spec.name.to_string()));
    }
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let node = &mut *ctx.node;
    let keyspace_db = node.keyspace.db_mut(db);
    if nx
        && ctx.args[1..]
            .iter()
            .step_by(2)
            .any(|key| keyspace_db.lookup(key, now_ms).is_some())
    {
        ctx.out.integer(0);
        return Ok(());
    }
    node.dirty += (ctx.args.len() as u64 - 1) / 2;
    for pair in ctx.args[1..].chunks_exact(2) {
        let created = ctx.node.keyspace.db_mut(db).set(
            &pair[0],
            Value::String(StringValue::from_bytes(&pair[1])),
            false,
            now_ms,
        );
        notify_set(ctx, &pair[0], created);
    }
    if nx {
        ctx.out.integer(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// MSET key value [key value ...].
fn mset(ctx: &mut Ctx<'_>) -> CommandResult {
    mset_generic(ctx, false)
}

/// MSETNX key value [key value ...].
fn msetnx(ctx: &mut Ctx<'_>) -> CommandResult {
    mset_generic(ctx, true)
}

// ---------------------------------------------------------------------------
// APPEND STRLEN GETRANGE SETRANGE
// ---------------------------------------------------------------------------

/// Redis's `checkStringLength`: a result longer than proto-max-bulk-len is
/// refused (with overflow-safe arithmetic).
fn check_string_length(ctx_max_bytes: u64, size: u64, append: u64) -> Result<(), CommandError> {
    match size.checked_add(append) {
        Some(total) if total <= ctx_max_bytes => Ok(()),
        _ => Err(CommandError::StringTooLong),
    }
}

/// APPEND key value: the new length. A missing key is created with the
/// value as SET would store it (even when empty).
fn append(ctx: &mut Ctx<'_>) -> CommandResult {
    let (db, now_ms, max_bytes) = (ctx.client.db, ctx.now_ms, ctx.max_string_len());
    let (key, suffix) = (&ctx.args[1], &ctx.args[2]);
    let node = &mut *ctx.node;
    let total = match write_string(node, db, key, now_ms)? {
        Some(string) => {
            check_string_length(max_bytes, string.len() as u64, suffix.len() as u64)?;
            let bytes = string.make_raw();
            bytes.extend_from_slice(suffix);
            bytes.len()
        }
        None => {
            let value = Value::String(StringValue::from_bytes(suffix));
            node.keyspace.db_mut(db).set(key, value, false, now_ms);
            ctx.notify(notify::NEW, "new", key);
            suffix.len()
        }
    };
    ctx.node.dirty += 1;
    ctx.notify(notify::STRING, "append", key);
    ctx.out.integer(total as i64);
    Ok(())
}

/// STRLEN key: 0 for a missing key.
fn strlen(ctx: &mut Ctx<'_>) -> CommandResult {
    let length = match read_string(ctx.node, ctx.client.db, &ctx.args[1], ctx.now_ms)? {
        Some(value) => value.len(),
        None => 0,
    };
    ctx.out.integer(length as i64);
    Ok(())
}

/// GETRANGE key start end (and SUBSTR). Indexes are parsed before the
/// lookup; negative indexes count from the end and the range is clamped.
fn getrange(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut start = integer_arg(&ctx.args[2])?;
    let mut end = integer_arg(&ctx.args[3])?;
    let Some(value) = read_string(ctx.node, ctx.client.db, &ctx.args[1], ctx.now_ms)? else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let bytes = value.as_bytes();
    let length = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        ctx.out.bulk(b"");
        return Ok(());
    }
    if start < 0 {
        start = start.wrapping_add(length);
    }
    if end < 0 {
        end = end.wrapping_add(length);
    }
    start = start.max(0);
    end = end.max(0).min(length - 1);
    if start > end || length == 0 {
        ctx.out.bulk(b"");
    } else {
        ctx.out.bulk(&bytes[start as usize..=end as usize]);
    }
    Ok(())
}

/// SETRANGE key offset value: the new length. An empty value never creates
/// or changes anything; a new key is zero-padded up to `offset`.
fn setrange(ctx: &mut Ctx<'_>) -> CommandResult {
    let offset = integer_arg(&ctx.args[2])?;
    if offset < 0 {
        return Err(CommandError::err("offset is out of range"));
    }
    let (db, now_ms, max_bytes) = (ctx.client.db, ctx.now_ms, ctx.max_string_len());
    let (key, patch) = (&ctx.args[1], &ctx.args[3]);
    let node = &mut *ctx.node;
    let offset = offset as u64;
    let length = match write_string(node, db, key, now_ms)? {
        Some(string) => {
            if patch.is_empty() {
                ctx.out.integer(string.len() as i64);
                return Ok(());
            }
            check_string_length(max_bytes, offset, patch.len() as u64)?;
            let (start, end) = (offset as usize, offset as usize + patch.len());
            let bytes = string.make_raw();
            if bytes.len() < end {
                bytes.resize(end, 0);
            }
            bytes[start..end].copy_from_slice(patch);
            bytes.len()
        }
        None => {
            if patch.is_empty() {
                ctx.out.integer(0);
                return Ok(());
            }
            check_string_length(max_bytes, offset, patch.len() as u64)?;
            let start = offset as usize;
            let mut bytes = vec![0u8; start + patch.len()];
            bytes[start..].copy_from_slice(patch);
            let length = bytes.len();
            node.keyspace
                .db_mut(db)
                .set(key, raw_string(bytes), false, now_ms);
            ctx.notify(notify::NEW, "new", key);
            length
        }
    };
    ctx.node.dirty += 1;
    ctx.notify(notify::STRING, "setrange", key);
    ctx.out.integer(length as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// INCR DECR INCRBY DECRBY INCRBYFLOAT
// ---------------------------------------------------------------------------

/// Redis's `incrDecrCommand`: a missing key counts as 0; the result is
/// stored int-encoded in place, keeping the key's TTL (`dbOverwrite`).
fn incr_by(ctx: &mut Ctx<'_>, increment: i64) -> CommandResult {
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let key = &ctx.args[1];
    let node = &mut *ctx.node;
    let keyspace_db = node.keyspace.db_mut(db);
    let result = match keyspace_db.lookup(key, now_ms) {
        Some(value) => {
            let string = string_of(value).ok_or(CommandError::WrongType)?;
            let current = integer_of(string).ok_or(CommandError::NotInteger)?;
            let result = current
                .checked_add(increment)
                .ok_or(CommandError::Overflow)?;
            *string = StringValue::from_i64(result);
            result
        }
        None => {
            keyspace_db.set(
                key,
                Value::String(StringValue::from_i64(increment)),
                false,
                now_ms,
            );
            ctx.notify(notify::NEW, "new", key);
            increment
        }
    };
    ctx.node.dirty += 1;
    ctx.notify(notify::STRING, "incrby", key);
    ctx.out.integer(result);
    Ok(())
}

/// INCR key.
fn incr(ctx: &mut Ctx<'_>) -> CommandResult {
    incr_by(ctx, 1)
}

/// DECR key.
fn decr(ctx: &mut Ctx<'_>) -> CommandResult {
    incr_by(ctx, -1)
}

/// INCRBY key increment (parsed before the lookup).
fn incrby(ctx: &mut Ctx<'_>) -> CommandResult {
    let increment = integer_arg(&ctx.args[2])?;
    incr_by(ctx, increment)
}

/// DECRBY key decrement; `i64::MIN` cannot be negated.
fn decrby(ctx: &mut Ctx<'_>) -> CommandResult {
    let decrement = integer_arg(&ctx.args[2])?;
    if decrement == i64::MIN {
        return Err(CommandError::err("decrement would overflow"));
    }
    incr_by(ctx, -decrement)
}

/// INCRBYFLOAT key increment: both operands read as x87 `long double`
/// (`strtold`), added in extended precision, stored and replied as the
/// `%.17Lf` text with trailing zeros removed. The TTL is kept.
fn incrbyfloat(ctx: &mut Ctx<'_>) -> CommandResult {
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let (key, increment) = (&ctx.args[1], &ctx.args[2]);
    let node = &mut *ctx.node;
    let keyspace_db = node.keyspace.db_mut(db);
    let sum = |current: long_double::LongDouble| -> Result<String, CommandError> {
        let increment = long_double::parse(increment).ok_or(CommandError::NotFloat)?;
        let sum = long_double::add(current, increment);
        if sum.is_nan_or_infinite() {
            return Err(CommandError::err("increment would produce NaN or Infinity"));
        }
        Ok(long_double::format_human(sum))
    };
    let text = match keyspace_db.lookup(key, now_ms) {
        Some(value) => {
            let string = string_of(value).ok_or(CommandError::WrongType)?;
            // An integer (int-encoded or not) converts exactly, as strtold would.
            let current = match integer_of(string) {
                Some(integer) => long_double::LongDouble::from_i64(integer),
                None => long_double::parse(&string.as_bytes()).ok_or(CommandError::NotFloat)?,
            };
            let text = sum(current)?;
            // createStringObject: embstr or raw, never int (OBJECT ENCODING).
            *string = StringValue::from_bytes_no_int(text.as_bytes());
            text
        }
        None => {
            let text = sum(long_double::LongDouble::from_i64(0))?;
            let value = Value::String(StringValue::from_bytes_no_int(text.as_bytes()));
            keyspace_db.set(key, value, false, now_ms);
            ctx.notify(notify::NEW, "new", key);
            text
        }
    };
    ctx.node.dirty += 1;
    ctx.notify(notify::STRING, "incrbyfloat", key);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

// ---------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------

/// One matched range of `LCS ... IDX`: positions in the first and second
/// string (inclusive) and the match length.
struct LcsMatch {
    first: (u32, u32),
    second: (u32, u32),
    length: u32,
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: Redis's
/// dynamic-programming LCS, including its backtracking order (so the same
/// common subsequence and the same ranges come out) and its limits on the
/// transient table size.
fn lcs(ctx: &mut Ctx<'_>) -> CommandResult {
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    let node = &mut *ctx.node;
    // Both keys are looked up (and counted) before either type is checked.
    let mut fetch = |key: &[u8]| match node.keyspace.db_mut(db).lookup_read(key, now_ms) {
        None => {
            node.stats.keyspace_misses += 1;
            Some(Vec::new())
        }
        Some(value) => {
            node.stats.keyspace_hits += 1;
            string_of(value).map(|string| string.as_bytes().into_owned())
        }
    };
    let first = fetch(&ctx.args[1]);
    let second = fetch(&ctx.args[2]);
    let (Some(a), Some(b)) = (first, second) else {
        return Err(CommandError::err(
            "The specified keys must contain string values",
        ));
    };
    let (mut get_len, mut get_idx, mut with_match_len, mut min_match_len) =
        (false, false, false, 0i64);
    let mut index = 3;
    while index < ctx.args.len() {
        let option = &ctx.args[index];
        let more = index + 1 < ctx.args.len();
        if keyword_is(option, "IDX") {
            get_idx = true;
        } else if keyword_is(option, "LEN") {
            get_len = true;
        } else if keyword_is(option, "WITHMATCHLEN") {
            with_match_len = true;
        } else if keyword_is(option, "MINMATCHLEN") && more {
            min_match_len = integer_arg(&ctx.args[index + 1])?.max(0);
            index += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        index += 1;
    }
    if get_idx && get_len {
        return Err(CommandError::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    if a.len() as u64 >= u64::from(u32::MAX - 1) || b.len() as u64 >= u64::from(u32::MAX - 1) {
        return Err(CommandError::err("String too long for LCS"));
    }
    let (a_len, b_len) = (a.len(), b.len());
    let cells = (a_len as u64 + 1) * (b_len as u64 + 1);
    let Some(table_bytes) = cells.checked_mul(4) else {
        return Err(CommandError::err(
            "Insufficient memory, failed allocating transient memory for LCS",
        ));
    };
    if table_bytes > ctx.node.limits.proto_max_bulk_len_bytes {
        return Err(CommandError::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells as usize).is_err() {
        return Err(CommandError::err(
            "Insufficient memory, failed allocating transient memory for LCS",
        ));
    }
    table.resize(cells as usize, 0);
    let width = b_len + 1;
    // table[i * width + j] = LCS length of a[..i] and b[..j].
    for i in 1..=a_len {
        for j in 1..=b_len {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[a_len * width + b_len];
    let compute_lcs = get_idx || !get_len;
    let mut result = vec![0u8; if compute_lcs { total as usize } else { 0 }];
    let mut matches = Vec::new();
    // Backtrack exactly as Redis does: `alen` in `a_start` marks "no range".
    let no_range = a_len as u32;
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (no_range, 0u32, 0u32, 0u32);
    let (mut i, mut j, mut idx) = (a_len, b_len, total as usize);
    while compute_lcs && i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == no_range {
                a_start = (i - 1) as u32;
                a_end = a_start;
                b_start = (j - 1) as u32;
                b_end = b_start;
            } else if a_start == i as u32 && b_start == j as u32 {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != no_range {
                emit = true;
            }
        }
        if emit {
            let length = a_end.wrapping_sub(a_start).wrapping_add(1);
            if min_match_len == 0 || i64::from(length) >= min_match_len {
                matches.push(LcsMatch {
                    first: (a_start, a_end),
                    second: (b_start, b_end),
                    length,
                });
            }
            a_start = no_range;
        }
    }
    let out = &mut *ctx.out;
    if get_idx {
        out.map(2);
        out.bulk(b"matches");
        out.array(matches.len());
        for found in &matches {
            out.array(2 + usize::from(with_match_len));
            out.array(2);
            out.integer(i64::from(found.first.0));
            out.integer(i64::from(found.first.1));
            out.array(2);
            out.integer(i64::from(found.second.0));
            out.integer(i64::from(found.second.1));
            if with_match_len {
                out.integer(i64::from(found.length));
            }
        }
        out.bulk(b"len");
        out.integer(i64::from(total));
    } else if get_len {
        out.integer(i64::from(total));
    } else {
        out.bulk(&result);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// x87 long double emulation for INCRBYFLOAT
// ---------------------------------------------------------------------------

mod long_double {
    //! x86-64 `long double` (x87 80-bit extended precision) emulation for
    //! INCRBYFLOAT. Redis parses both operands with glibc `strtold`
    //! (`string2ld`), adds them in extended precision and prints the sum
    //! with `%.17Lf` (`ld2string`, `LD_STR_HUMAN`). Each step here is exact
    //! integer arithmetic followed by a single round-to-nearest-even — what
    //! the FPU and glibc do — so the digits match redis-server byte for
    //! byte, including values up to ~1.19e4932 and subnormals.
    //!
    //! It owns number conversion only and never panics on any input.

    use std::cmp::Ordering;

    /// Exponent of the least significant bit of the smallest subnormal.
    const MIN_LSB_EXPONENT: i64 = -16445;
    /// Largest LSB exponent of a finite value: the maximum is (2^64 - 1) * 2^16320.
    const MAX_LSB_EXPONENT: i64 = 16320;
    /// Redis's `MAX_LONG_DOUBLE_CHARS`: `string2ld` rejects inputs this long.
    const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;
    /// Significant bits computed before the final rounding (64 + guard bits).
    const WORKING_BITS: u64 = 66;

    /// An extended-precision value.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) enum LongDouble {
        /// `significand * 2^exponent`; zero has `significand == 0`. A nonzero
        /// significand has bit 63 set unless `exponent` is the subnormal minimum.
        Finite {
            /// Sign (negative zero exists, as in C).
            negative: bool,
            /// The 64-bit significand.
            significand: u64,
            /// Power of two of the significand's least significant bit.
            exponent: i64,
        },
        /// Positive or negative infinity.
        Infinite {
            /// Sign.
            negative: bool,
        },
        /// Not a number (infinity minus infinity).
        NaN,
    }

    impl LongDouble {
        /// An `i64` converted exactly (64-bit significand), as `(long double)long`.
        pub(super) fn from_i64(value: i64) -> LongDouble {
            round(value < 0, u128::from(value.unsigned_abs()), false, 0)
        }

        /// True for infinities and NaN (`isnan(value) || isinf(value)`).
        pub(super) fn is_nan_or_infinite(self) -> bool {
            !matches!(self, LongDouble::Finite { .. })
        }
    }

    /// Rounds `(magnitude + fraction) * 2^scale` to extended precision,
    /// nearest-even, where `sticky` says a nonzero `fraction` (< 1) was
    /// discarded. Callers keep at least two guard bits when `sticky` is set.
    fn round(negative: bool, magnitude: u128, sticky: bool, scale: i64) -> LongDouble {
        if magnitude == 0 {
            return LongDouble::Finite {
                negative,
                significand: 0,
                exponent: 0,
            };
        }
        let bits = i64::from(128 - magnitude.leading_zeros());
        let top = bits - 1 + scale;
        let mut lsb = (top - 63).max(MIN_LSB_EXPONENT);
        let drop = lsb - scale;
        let mut kept: u128 = if drop <= 0 {
            magnitude << (-drop)
        } else if drop > 128 {
            0
        } else {
            let kept = if drop == 128 { 0 } else { magnitude >> drop };
            let half = (magnitude >> (drop - 1)) & 1 == 1;
            let below_half = if drop == 1 {
                0
            } else {
                magnitude & ((1u128 << (drop - 1)) - 1)
            };
            if half && (below_half != 0 || sticky || kept & 1 == 1) {
                kept + 1
            } else {
                kept
            }
        };
        if kept == 1u128 << 64 {
            kept = 1u128 << 63;
            lsb += 1;
        }
        if lsb > MAX_LSB_EXPONENT {
            return LongDouble::Infinite { negative };
        }
        if kept == 0 {
            return LongDouble::Finite {
                negative,
                significand: 0,
                exponent: 0,
            };
        }
        LongDouble::Finite {
            negative,
            significand: kept as u64,
            exponent: lsb,
        }
    }

    /// Redis's `string2ld`: `strtold` must consume the whole argument;
    /// leading space, NaN, overflow to infinity and underflow to zero are
    /// rejected (subnormal results and an explicit `inf` are accepted).
    pub(super) fn parse(bytes: &[u8]) -> Option<LongDouble> {
        if bytes.is_empty() || bytes.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        let (negative, rest) = match bytes[0] {
            b'-' => (true, &bytes[1..]),
            b'+' => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::Infinite { negative });
        }
        let parsed = if rest.len() > 2 && rest[0] == b'0' && (rest[1] == b'x' || rest[1] == b'X') {
            parse_hex(negative, &rest[2..])?
        } else {
            parse_decimal(negative, rest)?
        };
        match parsed {
            LongDouble::Finite { .. } => Some(parsed),
            // Overflow: strtold's ERANGE with HUGE_VAL.
            LongDouble::Infinite { .. } | LongDouble::NaN => None,
        }
    }

    /// `[+-]digits` of an exponent, saturating far beyond any exponent that
    /// matters; `None` when there is no digit.
    fn parse_exponent(bytes: &[u8]) -> Option<i64> {
        let (negative, digits) = match bytes.first() {
            Some(b'-') => (true, &bytes[1..]),
            Some(b'+') => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let value = digits.iter().fold(0i64, |acc, &digit| {
            (acc * 10 + i64::from(digit - b'0')).min(1 << 40)
        });
        Some(if negative { -value } else { value })
    }

    /// Splits `mantissa[marker exponent]`.
    fn split_exponent(bytes: &[u8], markers: [u8; 2]) -> Option<(&[u8], i64)> {
        match bytes.iter().position(|byte| markers.contains(byte)) {
            Some(index) => Some((&bytes[..index], parse_exponent(&bytes[index + 1..])?)),
            None => Some((bytes, 0)),
        }
    }

    /// `int[.frac]` with at least one digit in total.
    fn split_mantissa(bytes: &[u8], is_digit: fn(&u8) -> bool) -> Option<(&[u8], &[u8])> {
        let (int_part, frac_part) = match bytes.iter().position(|&byte| byte == b'.') {
            Some(index) => (&bytes[..index], &bytes[index + 1..]),
            None => (bytes, &[][..]),
        };
        if int_part.len() + frac_part.len() == 0
            || !int_part.iter().all(is_digit)
            || !frac_part.iter().all(is_digit)
        {
            return None;
        }
        Some((int_part, frac_part))
    }

    fn parse_decimal(negative: bool, bytes: &[u8]) -> Option<LongDouble> {
        let (mantissa, exponent) = split_exponent(bytes, [b'e', b'E'])?;
        let (int_part, frac_part) = split_mantissa(mantissa, u8::is_ascii_digit)?;
        let digits: Vec<u8> = int_part
            .iter()
            .chain(frac_part)
            .map(|digit| digit - b'0')
            .collect();
        let leading = digits.iter().take_while(|&&digit| digit == 0).count();
        let digits = &digits[leading..];
        let trailing = digits.iter().rev().take_while(|&&digit| digit == 0).count();
        let digits = &digits[..digits.len() - trailing];
        if digits.is_empty() {
            return Some(LongDouble::Finite {
                negative,
                significand: 0,
                exponent: 0,
            });
        }
        // value = digits * 10^exp10, and value < 10^magnitude10.
        let exp10 = exponent - frac_part.len() as i64 + trailing as i64;
        let magnitude10 = digits.len() as i64 + exp10;
        if magnitude10 > 4934 {
            return Some(LongDouble::Infinite { negative });
        }
        if magnitude10 < -4952 {
            return None; // rounds to zero: ERANGE
        }
        let mantissa = Big::from_decimal_digits(digits);
        let value = if exp10 >= 0 {
            let (top, sticky, shift) = mantissa
                .mul(&Big::pow10(exp10 as u64))
                .top_bits(WORKING_BITS);
            round(negative, top, sticky, shift)
        } else {
            // Scale the numerator so the quotient has WORKING_BITS bits.
            let divisor = Big::pow10((-exp10) as u64);
            let shift = divisor.bit_len() as i64 - mantissa.bit_len() as i64 + WORKING_BITS as i64;
            let (numerator, low_sticky) = if shift >= 0 {
                (mantissa.shl(shift as u64), false)
            } else {
                let bits = (-shift) as u64;
                (mantissa.shr(bits), mantissa.low_bits_nonzero(bits))
            };
            let (quotient, remainder) = numerator.div_rem_bits(&divisor);
            round(negative, quotient, remainder || low_sticky, -shift)
        };
        match value {
            LongDouble::Finite { significand: 0, .. } => None, // underflow: ERANGE
            value => Some(value),
        }
    }

    fn parse_hex(negative: bool, bytes: &[u8]) -> Option<LongDouble> {
        let (mantissa, exponent) = split_exponent(bytes, [b'p', b'P'])?;
        let (int_part, frac_part) = split_mantissa(mantissa, u8::is_ascii_hexdigit)?;
        let mut accumulated: u128 = 0;
        let mut sticky = false;
        let mut scale = exponent;
        for (index, &digit) in int_part.iter().chain(frac_part).enumerate() {
            let in_fraction = index >= int_part.len();
            let value = u128::from(hex_value(digit));
            if accumulated == 0 && value == 0 {
                if in_fraction {
                    scale -= 4;
                }
            } else if accumulated >> 120 == 0 {
                accumulated = accumulated << 4 | value;
                if in_fraction {
                    scale -= 4;
                }
            } else {
                sticky |= value != 0;
                if !in_fraction {
                    scale += 4;
                }
            }
        }
        if accumulated == 0 {
            return Some(LongDouble::Finite {
                negative,
                significand: 0,
                exponent: 0,
            });
        }
        match round(negative, accumulated, sticky, scale) {
            LongDouble::Finite { significand: 0, .. } => None,
            value => Some(value),
        }
    }

    fn hex_value(digit: u8) -> u8 {
        match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => digit.wrapping_sub(b'A').wrapping_add(10),
        }
    }

    /// `a + b` in extended precision, rounded to nearest-even.
    pub(super) fn add(a: LongDouble, b: LongDouble) -> LongDouble {
        use LongDouble::{Finite, Infinite, NaN};
        let (
            Finite {
                negative: a_negative,
                significand: a_significand,
                exponent: a_exponent,
            },
            Finite {
                negative: b_negative,
                significand: b_significand,
                exponent: b_exponent,
            },
        ) = (a, b)
        else {
            return match (a, b) {
                (NaN, _) | (_, NaN) => NaN,
                (Infinite { negative: first }, Infinite { negative: second })
                    if first != second =>
                {
                    NaN
                }
                (Infinite { .. }, _) => a,
                _ => b,
            };
        };
        if a_significand == 0 && b_significand == 0 {
            // +0 + -0 is +0 when rounding to nearest.
            return Finite {
                negative: a_negative && b_negative,
                significand: 0,
                exponent: 0,
            };
        }
        if a_significand == 0 {
            return b;
        }
        if b_significand == 0 {
            return a;
        }
        let (high, low) = if a_exponent >= b_exponent {
            (
                (a_negative, a_significand, a_exponent),
                (b_negative, b_significand, b_exponent),
            )
        } else {
            (
                (b_negative, b_significand, b_exponent),
                (a_negative, a_significand, a_exponent),
            )
        };
        let gap = (high.2 - low.2) as u64;
        // The operand with the larger exponent is normalised; one more than
        // 66 binary places below it is under a quarter ULP and cannot change
        // the rounded sum.
        if gap > 130 {
            return Finite {
                negative: high.0,
                significand: high.1,
                exponent: high.2,
            };
        }
        let high_magnitude = Big::from_u128(u128::from(high.1)).shl(gap);
        let low_magnitude = Big::from_u128(u128::from(low.1));
        let (negative, magnitude) = if high.0 == low.0 {
            (high.0, high_magnitude.add(&low_magnitude))
        } else {
            match high_magnitude.cmp(&low_magnitude) {
                Ordering::Equal => {
                    return Finite {
                        negative: false,
                        significand: 0,
                        exponent: 0,
                    }
                }
                Ordering::Greater => (high.0, high_magnitude.sub(&low_magnitude)),
                Ordering::Less => (low.0, low_magnitude.sub(&high_magnitude)),
            }
        };
        let (top, sticky, shift) = magnitude.top_bits(WORKING_BITS);
        round(negative, top, sticky, shift + low.2)
    }

    /// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf`, then trailing zeros
    /// and a bare point removed, and `-0` printed as `0`.
    pub(super) fn format_human(value: LongDouble) -> String {
        let LongDouble::Finite {
            negative,
            significand,
            exponent,
        } = value
        else {
            return match value {
                LongDouble::Infinite { negative: true } => "-inf".to_string(),
                LongDouble::Infinite { negative: false } => "inf".to_string(),
                _ => "nan".to_string(),
            };
        };
        let body = if significand == 0 {
            "0".to_string()
        } else if exponent >= 0 {
            Big::from_u128(u128::from(significand))
                .shl(exponent as u64)
                .to_decimal()
        } else {
            // Scale by 10^17 and drop the binary fraction, nearest-even as
            // glibc's printf does on exact ties.
            const SCALE: u128 = 100_000_000_000_000_000;
            let shift = exponent.unsigned_abs();
            let scaled = u128::from(significand) * SCALE; // < 2^121
            let rounded = if shift >= 128 {
                0
            } else {
                let quotient = scaled >> shift;
                let remainder = scaled & ((1u128 << shift) - 1);
                let half = 1u128 << (shift - 1);
                if remainder > half || (remainder == half && quotient & 1 == 1) {
                    quotient + 1
                } else {
                    quotient
                }
            };
            let text = format!("{}.{:017}", rounded / SCALE, rounded % SCALE);
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        if negative && body != "0" {
            format!("-{body}")
        } else {
            body
        }
    }

    /// A minimal unsigned big integer (little-endian 32-bit limbs, no
    /// trailing zero limbs): just what exact parsing and printing need.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Big {
        limbs: Vec<u32>,
    }

    impl Big {
        fn from_u128(mut value: u128) -> Big {
            let mut limbs = Vec::new();
            while value != 0 {
                limbs.push(value as u32);
                value >>= 32;
            }
            Big { limbs }
        }

        fn normalized(mut self) -> Big {
            while self.limbs.last() == Some(&0) {
                self.limbs.pop();
            }
            self
        }

        fn is_zero(&self) -> bool {
            self.limbs.is_empty()
        }

        fn bit_len(&self) -> u64 {
            match self.limbs.last() {
                None => 0,
                Some(&top) => self.limbs.len() as u64 * 32 - u64::from(top.leading_zeros()),
            }
        }

        fn bit(&self, index: u64) -> bool {
            self.limbs
                .get((index / 32) as usize)
                .is_some_and(|limb| (limb >> (index % 32)) & 1 == 1)
        }

        fn mul_small_add(&mut self, factor: u32, addend: u32) {
            let mut carry = u64::from(addend);
            for limb in &mut self.limbs {
                let product = u64::from(*limb) * u64::from(factor) + carry;
                *limb = product as u32;
                carry = product >> 32;
            }
            if carry != 0 {
                self.limbs.push(carry as u32);
            }
        }

        fn from_decimal_digits(digits: &[u8]) -> Big {
            let mut value = Big { limbs: Vec::new() };
            for chunk in digits.chunks(9) {
                let chunk_value = chunk
                    .iter()
                    .fold(0u32, |acc, &digit| acc * 10 + u32::from(digit));
                value.mul_small_add(10u32.pow(chunk.len() as u32), chunk_value);
            }
            value.normalized()
        }

        fn pow10(mut exponent: u64) -> Big {
            let mut value = Big::from_u128(1);
            while exponent > 0 {
                let step = exponent.min(9);
                value.mul_small_add(10u32.pow(step as u32), 0);
                exponent -= step;
            }
            value
        }

        fn mul(&self, other: &Big) -> Big {
            let mut limbs = vec![0u32; self.limbs.len() + other.limbs.len()];
            for (i, &a) in self.limbs.iter().enumerate() {
                let mut carry = 0u64;
                for (j, &b) in other.limbs.iter().enumerate() {
                    let total = u64::from(a) * u64::from(b) + u64::from(limbs[i + j]) + carry;
                    limbs[i + j] = total as u32;
                    carry = total >> 32;
                }
                limbs[i + other.limbs.len()] = carry as u32;
            }
            Big { limbs }.normalized()
        }

        fn add(&self, other: &Big) -> Big {
            let len = self.limbs.len().max(other.limbs.len());
            let mut limbs = Vec::with_capacity(len + 1);
            let mut carry = 0u64;
            for index in 0..len {
                let total = u64::from(self.limbs.get(index).copied().unwrap_or(0))
                    + u64::from(other.limbs.get(index).copied().unwrap_or(0))
                    + carry;
                limbs.push(total as u32);
                carry = total >> 32;
            }
            limbs.push(carry as u32);
            Big { limbs }.normalized()
        }

        /// `self - other`; callers guarantee `self >= other`.
        fn sub(&self, other: &Big) -> Big {
            let mut result = self.clone();
            result.sub_assign(other);
            result
        }

        fn sub_assign(&mut self, other: &Big) {
            let mut borrow = 0i64;
            for (index, limb) in self.limbs.iter_mut().enumerate() {
                let mut total = i64::from(*limb)
                    - i64::from(other.limbs.get(index).copied().unwrap_or(0))
                    - borrow;
                borrow = 0;
                if total < 0 {
                    total += 1 << 32;
                    borrow = 1;
                }
                *limb = total as u32;
            }
            while self.limbs.last() == Some(&0) {
                self.limbs.pop();
            }
        }

        fn shl(&self, bits: u64) -> Big {
            if self.is_zero() {
                return self.clone();
            }
            let bit_shift = (bits % 32) as u32;
            let mut limbs = vec![0u32; (bits / 32) as usize];
            let mut carry = 0u32;
            for &limb in &self.limbs {
                if bit_shift == 0 {
                    limbs.push(limb);
                } else {
                    limbs.push(limb << bit_shift | carry);
                    carry = limb >> (32 - bit_shift);
                }
            }
            limbs.push(carry);
            Big { limbs }.normalized()
        }

        fn shr(&self, bits: u64) -> Big {
            let limb_shift = (bits / 32) as usize;
            if limb_shift >= self.limbs.len() {
                return Big { limbs: Vec::new() };
            }
            let bit_shift = (bits % 32) as u32;
            let source = &self.limbs[limb_shift..];
            let limbs = source
                .iter()
                .enumerate()
                .map(|(index, &limb)| {
                    let high = match (bit_shift, source.get(index + 1)) {
                        (0, _) | (_, None) => 0,
                        (_, Some(&next)) => next << (32 - bit_shift),
                    };
                    limb >> bit_shift | high
                })
                .collect();
            Big { limbs }.normalized()
        }

        fn low_bits_nonzero(&self, bits: u64) -> bool {
            let full = (bits / 32) as usize;
            if self.limbs.iter().take(full).any(|&limb| limb != 0) {
                return true;
            }
            let partial = (bits % 32) as u32;
            partial != 0
                && self
                    .limbs
                    .get(full)
                    .is_some_and(|&limb| limb & ((1u32 << partial) - 1) != 0)
        }

        /// Splits `self = top * 2^shift + rest`, `top` holding at most `bits`
        /// (≤ 128) significant bits; also says whether `rest` is nonzero.
        fn top_bits(&self, bits: u64) -> (u128, bool, i64) {
            let shift = self.bit_len().saturating_sub(bits);
            let top = self.shr(shift);
            let value = top
                .limbs
                .iter()
                .rev()
                .fold(0u128, |acc, &limb| acc << 32 | u128::from(limb));
            (value, self.low_bits_nonzero(shift), shift as i64)
        }

        fn shl1_or(&mut self, bit: bool) {
            let mut carry = u32::from(bit);
            for limb in &mut self.limbs {
                let next = *limb >> 31;
                *limb = *limb << 1 | carry;
                carry = next;
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }

        /// Long division whose quotient fits 128 bits (callers scale the
        /// numerator so it does); also says whether a remainder is left.
        fn div_rem_bits(&self, divisor: &Big) -> (u128, bool) {
            let numerator_bits = self.bit_len();
            let divisor_bits = divisor.bit_len();
            if numerator_bits < divisor_bits || divisor.is_zero() {
                return (0, !self.is_zero());
            }
            let top = numerator_bits - divisor_bits;
            let mut remainder = self.shr(top + 1);
            let mut quotient = 0u128;
            for index in (0..=top).rev() {
                remainder.shl1_or(self.bit(index));
                quotient <<= 1;
                if remainder >= *divisor {
                    remainder.sub_assign(divisor);
                    quotient |= 1;
                }
            }
            (quotient, !remainder.is_zero())
        }

        fn div_rem_small(&mut self, divisor: u32) -> u32 {
            let mut remainder = 0u64;
            for limb in self.limbs.iter_mut().rev() {
                let current = remainder << 32 | u64::from(*limb);
                *limb = (current / u64::from(divisor)) as u32;
                remainder = current % u64::from(divisor);
            }
            while self.limbs.last() == Some(&0) {
                self.limbs.pop();
            }
            remainder as u32
        }

        fn to_decimal(&self) -> String {
            let mut value = self.clone();
            let mut chunks = Vec::new();
            while !value.is_zero() {
                chunks.push(value.div_rem_small(1_000_000_000));
            }
            let mut text = String::with_capacity(chunks.len() * 9 + 1);
            let mut iter = chunks.iter().rev();
            text.push_str(&iter.next().map_or_else(|| "0".to_string(), u32::to_string));
            for chunk in iter {
                text.push_str(&format!("{chunk:09}"));
            }
            text
        }
    }

    impl PartialOrd for Big {
        fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    impl Ord for Big {
        fn cmp(&self, other: &Big) -> Ordering {
            self.limbs
                .len()
                .cmp(&other.limbs.len())
                .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// INCRBYFLOAT's arithmetic on two argument strings, or the error kind.
        fn incr(current: &str, increment: &str) -> String {
            match (parse(current.as_bytes()), parse(increment.as_bytes())) {
                (Some(a), Some(b)) => {
                    let sum = add(a, b);
                    if sum.is_nan_or_infinite() {
                        "NANINF".to_string()
                    } else {
                        format_human(sum)
                    }
                }
                _ => "NOTFLOAT".to_string(),
            }
        }

        #[test]
        fn matches_redis_on_everyday_values() {
            // Observed from redis-server 7.0.15 (x86-64, glibc).
            assert_eq!(incr("0", "10.5"), "10.5");
            assert_eq!(incr("10.5", "3.0e3"), "3010.5");
            assert_eq!(incr("3010.5", "1.1"), "3011.60000000000000009");
            assert_eq!(
                incr("3011.60000000000000009", "2.2"),
                "3013.80000000000000004"
            );
            assert_eq!(incr("1.1", "2.2"), "3.3");
            assert_eq!(incr("0", "5.0e3"), "5000");
            assert_eq!(incr("5000", "5.0e30"), "4999999999999999999917321879552");
            assert_eq!(incr("0", "0x1p3"), "8");
            assert_eq!(incr("0", "0x1.8p-1"), "0.75");
            assert_eq!(incr("0", "+.5e-3"), "0.0005");
            assert_eq!(incr("0", "1."), "1");
            assert_eq!(incr("0", "-0"), "0");
            assert_eq!(incr("0", "-0.000000000000000001"), "0");
            assert_eq!(incr("0", "1e-18"), "0");
            assert_eq!(incr("0", "5e-18"), "0");
            assert_eq!(incr("0", "1.5e-17"), "0.00000000000000002");
            assert_eq!(incr("7", "-7"), "0");
        }

        #[test]
        fn ties_round_to_even_when_printing() {
            // 2^-18 is exact: ...625 at the 18th decimal rounds to even.
            assert_eq!(incr("0", "0.000003814697265625"), "0.00000381469726562");
            assert_eq!(incr("0", "0.000003814697265627"), "0.00000381469726563");
        }

        #[test]
        fn huge_and_tiny_magnitudes() {
            let e400 = incr("0", "1e400");
            assert_eq!(e400.len(), 401);
            assert!(e400.starts_with("10000000000000000000281880683947586514586453433629"));
            let max = incr("0", "1.7976931348623157e308");
            assert!(max.starts_with("179769313486231569995921046774104434048386446944329178"));
            assert_eq!(incr(&max, "1.7976931348623157e308").len(), 309);
            assert_eq!(incr("0", "1e4932").len(), 4933);
            assert_eq!(incr("1e4932", "1e4932"), "NANINF");
            assert_eq!(incr("0", "1e4933"), "NOTFLOAT");
            // A subnormal is a valid float; too small to represent is not.
            assert_eq!(incr("0", "1e-4940"), "0");
            assert_eq!(incr("0", "1e-4960"), "NOTFLOAT");
            assert_eq!(incr("0", "0x1p-16445"), "0");
            assert_eq!(incr("0", "0x1p-16447"), "NOTFLOAT");
        }

        #[test]
        fn rejects_what_string2ld_rejects() {
            for bad in [
                "",
                " 1",
                "1 ",
                "abc",
                "nan",
                "NaN",
                "1e",
                "1e+",
                ".",
                "0x",
                "0x.p1",
                "0x1p",
                "e5",
                "--1",
                "+-1",
                "1.2.3",
                "1e5.5",
                "0x1.8p1.5",
                "\u{0}1",
            ] {
                assert_eq!(incr("0", bad), "NOTFLOAT", "{bad:?}");
            }
            assert_eq!(incr("0", &"1".repeat(5120)), "NOTFLOAT");
            assert_eq!(incr("0", "inf"), "NANINF");
            assert_eq!(incr("0", "-Infinity"), "NANINF");
            assert_eq!(incr("inf", "-inf"), "NANINF");
            assert_eq!(incr("0", "0e99999999999999999999"), "0");
            assert_eq!(incr("0", "1e99999999999999999999"), "NOTFLOAT");
        }

        #[test]
        fn integers_convert_exactly() {
            assert_eq!(
                format_human(LongDouble::from_i64(i64::MAX)),
                "9223372036854775807"
            );
            assert_eq!(
                format_human(LongDouble::from_i64(i64::MIN)),
                "-9223372036854775808"
            );
            assert_eq!(format_human(LongDouble::from_i64(0)), "0");
            // 2^64 + 1 is halfway between 2^64 and 2^64 + 2: ties to even.
            assert_eq!(incr("18446744073709551617", "0"), "18446744073709551616");
            assert_eq!(incr("18446744073709551619", "0"), "18446744073709551620");
        }
    }
}

#[cfg(test)]
mod tests {
    use shoal_resp::Frame;

    use crate::testing::{
        assert_rows_match, bulk, error, key_indexes, simple, CommandInfoRow, TestNode,
    };

    fn int(value: i64) -> Frame {
        Frame::Integer(value)
    }

    fn array(items: Vec<Frame>) -> Frame {
        Frame::Array(items)
    }

    fn ok() -> Frame {
        simple("OK")
    }

    fn hits_misses(node: &TestNode) -> (u64, u64) {
        (
            node.engine.node.stats.keyspace_hits,
            node.engine.node.stats.keyspace_misses,
        )
    }

    fn dirty(node: &TestNode) -> u64 {
        node.engine.node.dirty
    }

    #[test]
    fn rows_match_redis_command_info() {
        let table = crate::commands::table();
        // (name, arity, flags, first, last, step, acl) from COMMAND INFO, 7.0.15.
        let expected: &[CommandInfoRow] = &[
            (
                "get",
                2,
                &["readonly", "fast"],
                (1, 1, 1),
                &["read", "string", "fast"],
            ),
            (
                "set",
                -3,
                &["write", "denyoom"],
                (1, 1, 1),
                &["write", "string", "slow"],
            ),
            (
                "setnx",
                3,
                &["write", "denyoom", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "setex",
                4,
                &["write", "denyoom"],
                (1, 1, 1),
                &["write", "string", "slow"],
            ),
            (
                "psetex",
                4,
                &["write", "denyoom"],
                (1, 1, 1),
                &["write", "string", "slow"],
            ),
            (
                "getset",
                3,
                &["write", "denyoom", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "getdel",
                2,
                &["write", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "getex",
                -2,
                &["write", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "mget",
                -2,
                &["readonly", "fast"],
                (1, -1, 1),
                &["read", "string", "fast"],
            ),
            (
                "mset",
                -3,
                &["write", "denyoom"],
                (1, -1, 2),
                &["write", "string", "slow"],
            ),
            (
                "msetnx",
                -3,
                &["write", "denyoom"],
                (1, -1, 2),
                &["write", "string", "slow"],
            ),
            (
                "append",
                3,
                &["write", "denyoom", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "strlen",
                2,
                &["readonly", "fast"],
                (1, 1, 1),
                &["read", "string", "fast"],
            ),
            (
                "incr",
                2,
                &["write", "denyoom", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "decr",
                2,
                &["write", "denyoom", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "incrby",
                3,
                &["write", "denyoom", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "decrby",
                3,
                &["write", "denyoom", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "incrbyfloat",
                3,
                &["write", "denyoom", "fast"],
                (1, 1, 1),
                &["write", "string", "fast"],
            ),
            (
                "getrange",
                4,
                &["readonly"],
                (1, 1, 1),
                &["read", "string", "slow"],
            ),
            (
                "substr",
                4,
                &["readonly"],
                (1, 1, 1),
                &["read", "string", "slow"],
            ),
            (
                "setrange",
                4,
                &["write", "denyoom"],
                (1, 1, 1),
                &["write", "string", "slow"],
            ),
            (
                "lcs",
                -3,
                &["readonly"],
                (1, 2, 1),
                &["read", "string", "slow"],
            ),
        ];
        assert_rows_match(super::COMMANDS, expected, Some("string"));
        let lcs = table.get(b"LCS").map(|spec| (spec.since, spec.summary));
        assert_eq!(lcs, Some(("7.0.0", "Find longest common substring")));
        let mset_keys = key_indexes(super::COMMANDS, &["mset", "a", "1", "b", "2"]);
        assert_eq!(mset_keys, Some(vec![1, 3]));
    }

    #[test]
    fn get_and_plain_set() {
        let mut node = TestNode::new();
        assert_eq!(node.run("GET k"), Frame::Null);
        assert_eq!(node.run("SET k v"), ok());
        assert_eq!(node.run("GET k"), bulk("v"));
        assert_eq!(node.run("SET k 123"), ok());
        assert_eq!(node.run("GET k"), bulk("123"));
        assert_eq!(node.run("SET k -9223372036854775808"), ok());
        assert_eq!(node.run("GET k"), bulk("-9223372036854775808"));
        assert_eq!(node.run("SET k \"\""), ok());
        assert_eq!(node.run("GET k"), bulk(""));
        assert_eq!(node.run_args(&[b"SET", b"\x00\xff", b"\r\n\x00"]), ok());
        assert_eq!(
            node.run_args(&[b"GET", b"\x00\xff"]),
            Frame::Bulk(b"\r\n\x00".to_vec())
        );
        assert_eq!(
            node.run("GET"),
            error("ERR wrong number of arguments for 'get' command")
        );
        assert_eq!(
            node.run("GET a b"),
            error("ERR wrong number of arguments for 'get' command")
        );
        assert_eq!(
            node.run("SET k"),
            error("ERR wrong number of arguments for 'set' command")
        );
    }

    #[test]
    fn get_counts_hits_and_misses_and_set_dirty() {
        let mut node = TestNode::new();
        let before = hits_misses(&node);
        node.run("GET missing");
        let dirty_before = dirty(&node);
        node.run("SET k v");
        node.run("GET k");
        assert_eq!(hits_misses(&node), (before.0 + 1, before.1 + 1));
        assert_eq!(dirty(&node), dirty_before + 1);
    }

    #[test]
    fn set_nx_xx_get_combinations() {
        // Replies observed from redis-server 7.0.15.
        let mut node = TestNode::new();
        assert_eq!(node.run("SET k v NX GET"), Frame::Null);
        assert_eq!(node.run("SET k v2 NX GET"), bulk("v"));
        assert_eq!(node.run("GET k"), bulk("v"));
        assert_eq!(node.run("SET k v3 XX GET"), bulk("v"));
        assert_eq!(node.run("GET k"), bulk("v3"));
        assert_eq!(node.run("SET nokey v XX GET"), Frame::Null);
        assert_eq!(node.run("SET nokey v XX"), Frame::Null);
        assert_eq!(node.run("GET nokey"), Frame::Null);
        assert_eq!(node.run("SET k v NX"), Frame::Null);
        assert_eq!(node.run("SET k v xx"), ok());
        assert_eq!(node.run("SET k w get"), bulk("v"));
        assert_eq!(node.run("SET k x nx nx"), Frame::Null);
        assert_eq!(node.run("SET k v3 GET NX XX"), error("ERR syntax error"));
        assert_eq!(node.run("SET k v XX NX"), error("ERR syntax error"));
        assert_eq!(node.run("SET k v get get"), bulk("w"));
        // Redis compares keywords as C strings: "nx\0zz" is NX.
        assert_eq!(
            node.run_args(&[b"SET", b"k", b"v", b"nx\x00zz"]),
            Frame::Null
        );
        assert_eq!(node.run_args(&[b"SET", b"k2", b"v", b"nx\x00zz"]), ok());
    }

    #[test]
    fn set_option_syntax_errors() {
        let mut node = TestNode::new();
        for line in [
            "SET k v EX",
            "SET k v EX 1 PX 1",
            "SET k v PX 1 EX 1",
            "SET k v EXAT 1 PXAT 1",
            "SET k v KEEPTTL EX 1",
            "SET k v EX 1 KEEPTTL",
            "SET k v PERSIST",
            "SET k v foo",
            "SET k v NX XX",
            "SET k v PXAT",
        ] {
            assert_eq!(node.run(line), error("ERR syntax error"), "{line}");
        }
        // Syntax is checked before the expire value.
        assert_eq!(node.run("SET k v EX abc foo"), error("ERR syntax error"));
        assert_eq!(node.run("GET k"), Frame::Null);
    }

    #[test]
    fn set_expire_options() {
        let mut node = TestNode::new();
        let now_ms = node.now_ms;
        assert_eq!(node.run("SET k v EX 10"), ok());
        assert_eq!(node.run("PTTL k"), int(10_000));
        assert_eq!(node.run("SET k v PX 1500"), ok());
        assert_eq!(node.run("PTTL k"), int(1500));
        assert_eq!(
            node.run(&format!("SET k v EXAT {}", now_ms / 1000 + 100)),
            ok()
        );
        assert_eq!(node.run("PEXPIRETIME k"), int((now_ms / 1000 + 100) * 1000));
        assert_eq!(node.run(&format!("SET k v PXAT {}", now_ms + 5)), ok());
        assert_eq!(node.run("PEXPIRETIME k"), int(now_ms + 5));
        assert_eq!(node.run("SET k v2 KEEPTTL"), ok());
        assert_eq!(node.run("PEXPIRETIME k"), int(now_ms + 5));
        assert_eq!(node.run("SET k v3"), ok());
        assert_eq!(node.run("PTTL k"), int(-1));
        assert_eq!(node.run("SET k v EX 10 EX 20"), ok());
        assert_eq!(node.run("TTL k"), int(20));
        assert_eq!(node.run("SET k v EX 5 GET"), bulk("v"));
        assert_eq!(node.run("TTL k"), int(5));
        node.advance_ms(5_001);
        assert_eq!(node.run("GET k"), Frame::Null);
    }

    #[test]
    fn set_expire_time_errors() {
        let mut node = TestNode::new();
        let invalid = error("ERR invalid expire time in 'set' command");
        for line in [
            "SET k v EX 0",
            "SET k v EX -1",
            "SET k v PX 0",
            "SET k v PXAT 0",
            "SET k v EXAT -5",
            "SET k v EX 9223372036854775",
            "SET k v EX 9223372036854776",
            "SET k v PX 9223372036854775807",
            "SET k v EXAT 9223372036854776",
        ] {
            assert_eq!(node.run(line), invalid, "{line}");
        }
        assert_eq!(
            node.run("SET k v EX abc"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("SET k v EX 1.5"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(node.run("GET k"), Frame::Null);
        // The largest absolute times are accepted.
        assert_eq!(node.run("SET k v EXAT 9223372036854775"), ok());
        assert_eq!(node.run("SET k v PXAT 9223372036854775807"), ok());
        assert_eq!(node.run("PEXPIRETIME k"), int(i64::MAX));
    }

    #[test]
    fn set_with_past_absolute_time_replies_ok_and_expires_lazily() {
        // Redis 7.0.15: `SET k v EXAT 1` is +OK, DBSIZE still counts the key
        // until it is touched, and GET then misses.
        let mut node = TestNode::new();
        assert_eq!(node.run("SET k v EXAT 1"), ok());
        assert_eq!(node.run("DBSIZE"), int(1));
        assert_eq!(node.run("GET k"), Frame::Null);
        assert_eq!(node.run("DBSIZE"), int(0));
        assert_eq!(node.run("SET k v PXAT 1 GET"), Frame::Null);
        assert_eq!(node.run("EXISTS k"), int(0));
    }

    #[test]
    fn keepttl_does_not_revive_an_expired_ttl() {
        let mut node = TestNode::new();
        node.run("SET k v PX 10");
        node.advance_ms(11);
        assert_eq!(node.run("SET k v2 KEEPTTL"), ok());
        assert_eq!(node.run("PTTL k"), int(-1));
        assert_eq!(node.run("GET k"), bulk("v2"));
    }

    #[test]
    fn set_get_counts_a_lookup() {
        let mut node = TestNode::new();
        node.run("SET k v");
        let before = hits_misses(&node);
        let dirty_before = dirty(&node);
        node.run("SET k v XX GET");
        node.run("SET k2 v NX GET");
        node.run("SET k v NX");
        assert_eq!(hits_misses(&node), (before.0 + 1, before.1 + 1));
        assert_eq!(dirty(&node), dirty_before + 2);
    }

    #[test]
    fn setnx_setex_psetex() {
        let mut node = TestNode::new();
        assert_eq!(node.run("SETNX k v"), int(1));
        assert_eq!(node.run("SETNX k w"), int(0));
        assert_eq!(node.run("GET k"), bulk("v"));
        assert_eq!(node.run("SETEX k3 10 v"), ok());
        assert_eq!(node.run("TTL k3"), int(10));
        assert_eq!(node.run("PSETEX k4 100000 v"), ok());
        assert_eq!(node.run("PTTL k4"), int(100_000));
        assert_eq!(
            node.run("SETEX k3 0 v"),
            error("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            node.run("SETEX k3 -5 v"),
            error("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            node.run("SETEX k3 9223372036854775 v"),
            error("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            node.run("SETEX k3 abc v"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("PSETEX k4 0 v"),
            error("ERR invalid expire time in 'psetex' command")
        );
        assert_eq!(
            node.run("PSETEX k4 9223372036854775807 v"),
            error("ERR invalid expire time in 'psetex' command")
        );
        assert_eq!(
            node.run("SETEX k 1"),
            error("ERR wrong number of arguments for 'setex' command")
        );
        assert_eq!(
            node.run("SETNX k"),
            error("ERR wrong number of arguments for 'setnx' command")
        );
        node.advance_ms(10_001);
        assert_eq!(node.run("GET k3"), Frame::Null);
        assert_eq!(node.run("SETNX k3 again"), int(1));
    }

    #[test]
    fn getset_and_getdel() {
        let mut node = TestNode::new();
        assert_eq!(node.run("GETSET k v"), Frame::Null);
        node.run("EXPIRE k 100");
        assert_eq!(node.run("GETSET k w"), bulk("v"));
        assert_eq!(node.run("TTL k"), int(-1));
        assert_eq!(node.run("GET k"), bulk("w"));
        let dirty_before = dirty(&node);
        assert_eq!(node.run("GETDEL k"), bulk("w"));
        assert_eq!(node.run("GETDEL k"), Frame::Null);
        assert_eq!(dirty(&node), dirty_before + 1);
        assert_eq!(node.run("EXISTS k"), int(0));
        node.run("SET n 42");
        assert_eq!(node.run("GETSET n 77"), bulk("42"));
        assert_eq!(node.run("GETDEL n"), bulk("77"));
    }

    #[test]
    fn getex_options_and_order_of_errors() {
        let mut node = TestNode::new();
        // Missing key: nil even with a bad time; syntax is checked first.
        assert_eq!(node.run("GETEX nokey EX 0"), Frame::Null);
        assert_eq!(node.run("GETEX nokey EX abc"), Frame::Null);
        assert_eq!(node.run("GETEX nokey foo"), error("ERR syntax error"));
        node.run("SET k v");
        assert_eq!(
            node.run("GETEX k EX 0"),
            error("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(
            node.run("GETEX k EX abc"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("GETEX k EX 9223372036854775"),
            error("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(
            node.run("GETEX k PX 9223372036854775807"),
            error("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(
            node.run("GETEX k EXAT -1"),
            error("ERR invalid expire time in 'getex' command")
        );
        for line in [
            "GETEX k KEEPTTL",
            "GETEX k PERSIST EX 10",
            "GETEX k EX 10 PERSIST",
            "GETEX k GET",
            "GETEX k NX",
            "GETEX k EX",
        ] {
            assert_eq!(node.run(line), error("ERR syntax error"), "{line}");
        }
        assert_eq!(node.run("GETEX k"), bulk("v"));
        assert_eq!(node.run("GETEX k EX 100"), bulk("v"));
        assert_eq!(node.run("TTL k"), int(100));
        assert_eq!(node.run("GETEX k PX 5000"), bulk("v"));
        assert_eq!(node.run("PTTL k"), int(5000));
        let dirty_before = dirty(&node);
        assert_eq!(node.run("GETEX k PERSIST"), bulk("v"));
        assert_eq!(node.run("GETEX k PERSIST"), bulk("v"));
        assert_eq!(dirty(&node), dirty_before + 1);
        assert_eq!(node.run("TTL k"), int(-1));
        let now_ms = node.now_ms;
        assert_eq!(
            node.run(&format!("GETEX k PXAT {}", now_ms + 50)),
            bulk("v")
        );
        assert_eq!(node.run("PEXPIRETIME k"), int(now_ms + 50));
        // An absolute time not after now deletes the key at once.
        assert_eq!(node.run(&format!("GETEX k PXAT {now_ms}")), bulk("v"));
        assert_eq!(node.run("EXISTS k"), int(0));
        node.run("SET k v");
        assert_eq!(node.run("GETEX k EXAT 1"), bulk("v"));
        assert_eq!(node.run("EXISTS k"), int(0));
        assert_eq!(
            node.run("GETEX"),
            error("ERR wrong number of arguments for 'getex' command")
        );
    }

    #[test]
    fn mget_mset_msetnx() {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("MSET a 1 b"),
            error("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(
            node.run("MSET"),
            error("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(
            node.run("MSETNX a"),
            error("ERR wrong number of arguments for 'msetnx' command")
        );
        assert_eq!(
            node.run("MSETNX a 1 b"),
            error("ERR wrong number of arguments for 'msetnx' command")
        );
        let dirty_before = dirty(&node);
        assert_eq!(node.run("MSET a 1 b 2"), ok());
        assert_eq!(dirty(&node), dirty_before + 2);
        assert_eq!(node.run("MSETNX a 1 c 3"), int(0));
        assert_eq!(node.run("GET c"), Frame::Null);
        assert_eq!(node.run("MSETNX c 3 d 4"), int(1));
        assert_eq!(node.run("MSETNX e 1 e 2"), int(1));
        assert_eq!(node.run("GET e"), bulk("2"));
        let before = hits_misses(&node);
        assert_eq!(
            node.run("MGET a missing c e"),
            array(vec![bulk("1"), Frame::Null, bulk("3"), bulk("2")])
        );
        assert_eq!(hits_misses(&node), (before.0 + 3, before.1 + 1));
        assert_eq!(
            node.run("MGET"),
            error("ERR wrong number of arguments for 'mget' command")
        );
        node.run("EXPIRE a 100");
        node.run("MSET a 9");
        assert_eq!(node.run("TTL a"), int(-1));
    }

    #[test]
    fn append_and_strlen() {
        let mut node = TestNode::new();
        assert_eq!(node.run("STRLEN nokey"), int(0));
        assert_eq!(node.run("APPEND newkey \"\""), int(0));
        assert_eq!(node.run("EXISTS newkey"), int(1));
        assert_eq!(node.run("APPEND k 123"), int(3));
        assert_eq!(node.run("OBJECT ENCODING k"), bulk("int"));
        assert_eq!(node.run("APPEND k 45"), int(5));
        assert_eq!(node.run("GET k"), bulk("12345"));
        assert_eq!(node.run("OBJECT ENCODING k"), bulk("raw"));
        assert_eq!(node.run("STRLEN k"), int(5));
        node.run("SET n -17");
        assert_eq!(node.run("STRLEN n"), int(3));
        node.run("EXPIRE k 100");
        assert_eq!(node.run("APPEND k x"), int(6));
        assert_eq!(node.run("TTL k"), int(100));
        node.engine.node.limits.proto_max_bulk_len_bytes = 8;
        assert_eq!(node.run("APPEND k xy"), int(8));
        assert_eq!(
            node.run("APPEND k z"),
            error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        );
        assert_eq!(node.run("STRLEN k"), int(8));
    }

    #[test]
    fn incr_family() {
        let mut node = TestNode::new();
        assert_eq!(node.run("INCR a"), int(1));
        assert_eq!(node.run("DECR a"), int(0));
        assert_eq!(node.run("INCRBY a 10"), int(10));
        assert_eq!(node.run("DECRBY a 5"), int(5));
        assert_eq!(node.run("DECRBY a -5"), int(10));
        assert_eq!(node.run("DECR fresh"), int(-1));
        assert_eq!(
            node.run("INCRBY a abc"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("INCRBY a 9223372036854775807"),
            error("ERR increment or decrement would overflow")
        );
        assert_eq!(
            node.run("DECRBY a -9223372036854775808"),
            error("ERR decrement would overflow")
        );
        assert_eq!(
            node.run("INCRBY a -9223372036854775808"),
            int(-9_223_372_036_854_775_798)
        );
        node.run("SET big 9223372036854775807");
        assert_eq!(
            node.run("INCR big"),
            error("ERR increment or decrement would overflow")
        );
        node.run("SET small -9223372036854775808");
        assert_eq!(
            node.run("DECR small"),
            error("ERR increment or decrement would overflow")
        );
        for value in [
            "1.5",
            "\" 1\"",
            "01",
            "-0",
            "12345678901234567890",
            "abc",
            "\"\"",
        ] {
            node.run(&format!("SET bad {value}"));
            assert_eq!(
                node.run("INCR bad"),
                error("ERR value is not an integer or out of range"),
                "{value}"
            );
        }
        node.run("SET t 5");
        node.run("EXPIRE t 100");
        assert_eq!(node.run("INCR t"), int(6));
        assert_eq!(node.run("TTL t"), int(100));
        assert_eq!(node.run("GET t"), bulk("6"));
        assert_eq!(node.run("OBJECT ENCODING t"), bulk("int"));
        let dirty_before = dirty(&node);
        node.run("INCRBY t 0");
        assert_eq!(dirty(&node), dirty_before + 1);
        assert_eq!(
            node.run("INCR"),
            error("ERR wrong number of arguments for 'incr' command")
        );
        assert_eq!(
            node.run("INCRBY a"),
            error("ERR wrong number of arguments for 'incrby' command")
        );
    }

    #[test]
    fn incrbyfloat() {
        let mut node = TestNode::new();
        // Results are stored as created strings, never int-encoded.
        assert_eq!(node.run("INCRBYFLOAT e 3000"), bulk("3000"));
        assert_eq!(node.run("OBJECT ENCODING e"), bulk("embstr"));
        assert_eq!(node.run("INCRBYFLOAT e 0.5"), bulk("3000.5"));
        assert_eq!(node.run("INCRBYFLOAT f 10.5"), bulk("10.5"));
        assert_eq!(node.run("INCRBYFLOAT f 3.0e3"), bulk("3010.5"));
        assert_eq!(
            node.run("INCRBYFLOAT f 1.1"),
            bulk("3011.60000000000000009")
        );
        assert_eq!(
            node.run("INCRBYFLOAT f 2.2"),
            bulk("3013.80000000000000004")
        );
        assert_eq!(node.run("GET f"), bulk("3013.80000000000000004"));
        assert_eq!(node.run("INCRBYFLOAT g 5.0e3"), bulk("5000"));
        assert_eq!(
            node.run("INCRBYFLOAT g 5.0e30"),
            bulk("4999999999999999999917321879552")
        );
        node.run("SET i 10");
        assert_eq!(node.run("INCRBYFLOAT i 1.5"), bulk("11.5"));
        node.run("SET s hello");
        assert_eq!(
            node.run("INCRBYFLOAT s 1"),
            error("ERR value is not a valid float")
        );
        assert_eq!(
            node.run("INCRBYFLOAT i abc"),
            error("ERR value is not a valid float")
        );
        assert_eq!(
            node.run("INCRBYFLOAT i \" 1\""),
            error("ERR value is not a valid float")
        );
        assert_eq!(
            node.run("INCRBYFLOAT h 1e4933"),
            error("ERR value is not a valid float")
        );
        assert_eq!(
            node.run("INCRBYFLOAT h nan"),
            error("ERR value is not a valid float")
        );
        assert_eq!(
            node.run("INCRBYFLOAT h inf"),
            error("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(node.run("EXISTS h"), int(0));
        node.run("SET m 1e4932");
        assert_eq!(
            node.run("INCRBYFLOAT m 1e4932"),
            error("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(node.run("INCRBYFLOAT z 1e-4940"), bulk("0"));
        node.run("SET t 1");
        node.run("EXPIRE t 100");
        assert_eq!(node.run("INCRBYFLOAT t -1"), bulk("0"));
        assert_eq!(node.run("TTL t"), int(100));
        let Frame::Bulk(huge) = node.run("INCRBYFLOAT big 1e400") else {
            panic!("INCRBYFLOAT replies with a bulk string")
        };
        assert_eq!(huge.len(), 401);
        assert_eq!(
            node.run("INCRBYFLOAT x"),
            error("ERR wrong number of arguments for 'incrbyfloat' command")
        );
    }

    #[test]
    fn getrange_and_substr() {
        let mut node = TestNode::new();
        node.run("SET s \"Hello World\"");
        let cases = [
            ("0 4", "Hello"),
            ("-5 -1", "World"),
            ("-1 -5", ""),
            ("5 3", ""),
            ("0 -100", "H"),
            ("-100 -100", "H"),
            ("-100 100", "Hello World"),
            ("20 30", ""),
            ("10 10", "d"),
            ("11 11", ""),
            ("-9223372036854775808 9223372036854775807", "Hello World"),
        ];
        for (range, expected) in cases {
            assert_eq!(
                node.run(&format!("GETRANGE s {range}")),
                bulk(expected),
                "{range}"
            );
        }
        assert_eq!(node.run("SUBSTR s 0 2"), bulk("Hel"));
        assert_eq!(
            node.run("GETRANGE s a 1"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("GETRANGE s 1 a"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(node.run("GETRANGE missing 0 -1"), bulk(""));
        assert_eq!(
            node.run("GETRANGE missing a 1"),
            error("ERR value is not an integer or out of range")
        );
        node.run("SET i 12345");
        assert_eq!(node.run("GETRANGE i 1 2"), bulk("23"));
        node.run("SET e \"\"");
        assert_eq!(node.run("GETRANGE e 0 -1"), bulk(""));
        assert_eq!(node.run("GETRANGE e -1 0"), bulk(""));
    }

    #[test]
    fn setrange() {
        let mut node = TestNode::new();
        node.run("SET s \"Hello World\"");
        assert_eq!(node.run("SETRANGE s 6 Redis"), int(11));
        assert_eq!(node.run("GET s"), bulk("Hello Redis"));
        assert_eq!(
            node.run("SETRANGE s -1 x"),
            error("ERR offset is out of range")
        );
        assert_eq!(
            node.run("SETRANGE s a x"),
            error("ERR value is not an integer or out of range")
        );
        let dirty_before = dirty(&node);
        assert_eq!(node.run("SETRANGE s 20 \"\""), int(11));
        assert_eq!(node.run("SETRANGE missing 5 \"\""), int(0));
        assert_eq!(dirty(&node), dirty_before);
        assert_eq!(node.run("EXISTS missing"), int(0));
        assert_eq!(node.run("SETRANGE missing 5 ab"), int(7));
        assert_eq!(
            node.run("GET missing"),
            Frame::Bulk(b"\x00\x00\x00\x00\x00ab".to_vec())
        );
        assert_eq!(node.run("OBJECT ENCODING missing"), bulk("raw"));
        node.run("SET i 12345");
        assert_eq!(node.run("SETRANGE i 0 9"), int(5));
        assert_eq!(node.run("GET i"), bulk("92345"));
        assert_eq!(node.run("SETRANGE i 7 x"), int(8));
        assert_eq!(node.run("GET i"), Frame::Bulk(b"92345\x00\x00x".to_vec()));
        let too_long = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        assert_eq!(node.run("SETRANGE s 536870912 x"), too_long);
        assert_eq!(node.run("SETRANGE s 9223372036854775807 x"), too_long);
        assert_eq!(node.run("SETRANGE s 9223372036854775807 \"\""), int(11));
        assert_eq!(node.run("SETRANGE new 536870912 x"), too_long);
        assert_eq!(
            node.run("SETRANGE new 9223372036854775808 x"),
            error("ERR value is not an integer or out of range")
        );
        node.engine.node.limits.proto_max_bulk_len_bytes = 16;
        assert_eq!(node.run("SETRANGE new 15 x"), int(16));
        assert_eq!(node.run("SETRANGE new 15 xy"), too_long);
    }

    #[test]
    fn lcs() {
        let mut node = TestNode::new();
        assert_eq!(node.run("LCS a b"), bulk(""));
        node.run("SET a ohmytext");
        node.run("SET b mynewtext");
        assert_eq!(node.run("LCS a b"), bulk("mytext"));
        assert_eq!(node.run("LCS a b LEN"), int(6));
        assert_eq!(node.run("LCS a b len len"), int(6));
        assert_eq!(node.run("LCS a b WITHMATCHLEN"), bulk("mytext"));
        assert_eq!(node.run("LCS a b MINMATCHLEN 3 LEN"), int(6));
        let range = |a: (i64, i64), b: (i64, i64), len: Option<i64>| {
            let mut items = vec![
                array(vec![int(a.0), int(a.1)]),
                array(vec![int(b.0), int(b.1)]),
            ];
            items.extend(len.map(int));
            array(items)
        };
        let idx =
            |matches: Vec<Frame>| array(vec![bulk("matches"), array(matches), bulk("len"), int(6)]);
        assert_eq!(
            node.run("LCS a b IDX"),
            idx(vec![
                range((4, 7), (5, 8), None),
                range((2, 3), (0, 1), None)
            ])
        );
        assert_eq!(
            node.run("LCS a b IDX MINMATCHLEN 4"),
            idx(vec![range((4, 7), (5, 8), None)])
        );
        assert_eq!(
            node.run("LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN"),
            idx(vec![range((4, 7), (5, 8), Some(4))])
        );
        assert_eq!(
            node.run("LCS a b idx withmatchlen"),
            idx(vec![
                range((4, 7), (5, 8), Some(4)),
                range((2, 3), (0, 1), Some(2))
            ])
        );
        assert_eq!(
            node.run("LCS a b MINMATCHLEN -5 IDX"),
            idx(vec![
                range((4, 7), (5, 8), None),
                range((2, 3), (0, 1), None)
            ])
        );
        assert_eq!(
            node.run("LCS a missing IDX"),
            array(vec![bulk("matches"), array(vec![]), bulk("len"), int(0)])
        );
        assert_eq!(
            node.run("LCS a b LEN IDX"),
            error("ERR If you want both the length and indexes, please just use IDX.")
        );
        assert_eq!(node.run("LCS a b foo"), error("ERR syntax error"));
        assert_eq!(node.run("LCS a b MINMATCHLEN"), error("ERR syntax error"));
        assert_eq!(
            node.run("LCS a b MINMATCHLEN 1 foo"),
            error("ERR syntax error")
        );
        assert_eq!(
            node.run("LCS a b MINMATCHLEN x"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("LCS a"),
            error("ERR wrong number of arguments for 'lcs' command")
        );
        node.run("SET k v");
        assert_eq!(
            node.run("LCS k k IDX WITHMATCHLEN MINMATCHLEN 0"),
            array(vec![
                bulk("matches"),
                array(vec![range((0, 0), (0, 0), Some(1))]),
                bulk("len"),
                int(1)
            ])
        );
        node.run("SET i 12");
        assert_eq!(node.run("LCS a i"), bulk(""));
        let before = hits_misses(&node);
        node.run("LCS a nope");
        assert_eq!(hits_misses(&node), (before.0 + 1, before.1 + 1));
        node.engine.node.limits.proto_max_bulk_len_bytes = 100;
        assert_eq!(
            node.run("LCS a b"),
            error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
        );
    }

    #[test]
    fn lcs_idx_is_a_map_in_resp3() {
        let mut node = TestNode::new();
        node.run("HELLO 3");
        node.run("SET a ohmytext");
        node.run("SET b mynewtext");
        let range = array(vec![
            array(vec![int(4), int(7)]),
            array(vec![int(5), int(8)]),
        ]);
        assert_eq!(
            node.run("LCS a b IDX MINMATCHLEN 4"),
            Frame::Map(vec![
                (bulk("matches"), array(vec![range])),
                (bulk("len"), int(6)),
            ])
        );
    }

    /// Deterministic xorshift stream for argument soups.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn hostile_arguments_never_panic() {
        let mut node = TestNode::new();
        // Keep accidental huge offsets cheap.
        node.engine.node.limits.proto_max_bulk_len_bytes = 4096;
        node.run("SET s hello");
        node.run("SET n 42");
        node.run("SET e \"\"");
        node.run_args(&[b"SET", b"bin", b"\x00\xff\x80"]);
        let keys: &[&[u8]] = &[b"s", b"n", b"e", b"bin", b"missing"];
        let tokens: &[&[u8]] = &[
            b"",
            b"0",
            b"1",
            b"-1",
            b"4095",
            b"4096",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"9223372036854775808",
            b"1.5",
            b"1e400",
            b"inf",
            b"nan",
            b"0x1p3",
            b"\x00",
            b"nx",
            b"xx",
            b"get",
            b"ex",
            b"px",
            b"exat",
            b"pxat",
            b"keepttl",
            b"persist",
            b"len",
            b"idx",
            b"minmatchlen",
            b"withmatchlen",
            b"s",
            b"n",
        ];
        let commands = [
            "GET",
            "SET",
            "SETNX",
            "SETEX",
            "PSETEX",
            "GETSET",
            "GETDEL",
            "GETEX",
            "MGET",
            "MSET",
            "MSETNX",
            "APPEND",
            "STRLEN",
            "INCR",
            "DECR",
            "INCRBY",
            "DECRBY",
            "INCRBYFLOAT",
            "GETRANGE",
            "SUBSTR",
            "SETRANGE",
            "LCS",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for command in commands {
            for _ in 0..150 {
                let mut args: Vec<&[u8]> = vec![command.as_bytes()];
                args.push(keys[(xorshift(&mut state) % keys.len() as u64) as usize]);
                for _ in 0..xorshift(&mut state) % 6 {
                    args.push(tokens[(xorshift(&mut state) % tokens.len() as u64) as usize]);
                }
                if let Frame::Error(text) = node.run_args(&args) {
                    assert!(
                        text.starts_with("ERR ") || text.starts_with("WRONGTYPE "),
                        "{command}: {text}"
                    );
                }
            }
        }
        assert!(node.engine.node.keyspace.total_keys() <= 64);
    }
}
