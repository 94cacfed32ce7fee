//! DEBUG (Redis `debugCommand`): the subset test suites and tools rely on —
//! HELP, SLEEP, SET-ACTIVE-EXPIRE, OBJECT, DIGEST, DIGEST-VALUE, RELOAD,
//! CHANGE-REPL-ID, POPULATE, PROTOCOL, ERROR, LOG, PAUSE-CRON,
//! DROP-CLUSTER-PACKET-FILTER and CLUSTERLINK KILL — gated by
//! `enable-debug-command` exactly as Redis gates it.
//!
//! It never blocks or sleeps itself (DEBUG SLEEP queues
//! `Effect::BlockServer` for the shell) and never crashes the process on
//! request (ASSERT, SEGFAULT, PANIC and friends are not offered).

use shoal_keyspace::{is_expired, StringValue, Value};

use crate::context::Ctx;
use crate::error::CommandError;
use crate::node::{Effect, Node};
use crate::table::CommandResult;

use super::sha1::{hex, sha1};
use super::{is_local_client, subcommand_syntax_error};

/// Longest DEBUG SLEEP honoured, so a huge or infinite argument cannot make
/// the shell compute an unrepresentable deadline (one year).
const MAX_SLEEP_MS: u64 = 365 * 24 * 3600 * 1000;

/// Redis's `OBJ_SHARED_INTEGERS`: small integers are shared objects.
const SHARED_INTEGERS: i64 = 10_000;

/// DEBUG subcommand [arg ...].
pub(super) fn debug(ctx: &mut Ctx<'_>) -> CommandResult {
    if !ctx
        .node
        .config
        .allows_protected("enable-debug-command", is_local_client(ctx.client))
    {
        return Err(CommandError::err(
            "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", \
             you can run it from a local connection, otherwise you need to set this option in \
             the configuration file, and then restart the server.",
        ));
    }
    let argc = ctx.args.len();
    let is = |word: &str| ctx.arg_is(1, word);
    if is("HELP") && argc == 2 {
        debug_help(ctx);
    } else if is("SLEEP") && argc == 3 {
        let seconds = parse_c_double(ctx.arg(2));
        let duration_ms = (seconds * 1000.0).clamp(0.0, MAX_SLEEP_MS as f64) as u64;
        if duration_ms > 0 {
            ctx.node.effects.push(Effect::BlockServer { duration_ms });
        }
        ctx.out.ok();
    } else if is("SET-ACTIVE-EXPIRE") && argc == 3 {
        ctx.node.active_expire_enabled = crate::commands::atoi(ctx.arg(2)) != 0;
        ctx.out.ok();
    } else if is("OBJECT") && argc == 3 {
        let line = object_line(ctx)?;
        ctx.out.simple(&line);
    } else if is("DIGEST") && argc == 2 {
        let digest = dataset_digest(ctx.node, ctx.now_ms);
        ctx.out.simple(&hex(&digest));
    } else if is("DIGEST-VALUE") && argc >= 2 {
        let now_ms = ctx.now_ms;
        let digests: Vec<String> = ctx.args[2..]
            .iter()
            .map(|key| {
                let db = ctx.node.keyspace.db_mut(ctx.client.db);
                let expire = db.expire_at_ms(key, now_ms);
                let mut digest = [0u8; 20];
                if let Some(value) = db.lookup_no_touch(key, now_ms) {
                    object_digest(&mut digest, value, expire);
                }
                hex(&digest)
            })
            .collect();
        ctx.out.array(digests.len());
        for digest in digests {
            ctx.out.simple(&digest);
        }
    } else if is("RELOAD") {
        for index in 2..argc {
            if !["MERGE", "NOFLUSH", "NOSAVE"]
                .iter()
                .any(|option| ctx.arg_is(index, option))
            {
                return Err(CommandError::err(
                    "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                ));
            }
        }
        // Shoal has no persistence yet: a save followed by a load yields the
        // same dataset, so the round trip is the identity.
        ctx.out.ok();
    } else if is("CHANGE-REPL-ID") && argc == 2 {
        // No replication ids to change yet.
        ctx.out.ok();
    } else if is("POPULATE") && (3..=5).contains(&argc) {
        populate(ctx)?;
    } else if is("PROTOCOL") && argc == 3 {
        protocol(ctx)?;
    } else if is("ERROR") && argc == 3 {
        // Written as is, "-" + the string with newlines made spaces; not an
        // error reply of the server's own (errorstats do not count it).
        let text: Vec<u8> = ctx
            .arg(2)
            .iter()
            .map(|&byte| {
                if byte == b'\n' || byte == b'\r' {
                    b' '
                } else {
                    byte
                }
            })
            .collect();
        ctx.out.raw(&[&b"-"[..], &text, b"\r\n"].concat());
    } else if is("LOG") && argc == 3 {
        let text = format!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.arg(2)));
        ctx.node.effects.push(Effect::LogWarning(text));
        ctx.out.ok();
    } else if is("DROP-CLUSTER-PACKET-FILTER") && argc == 3 {
        let packet_type = ctx.arg_i64(2)?;
        if let Some(state) = ctx.node.cluster.as_mut() {
            // -1 (or any code no message has) drops nothing.
            state.set_drop_packet_filter(u16::try_from(packet_type).ok());
        }
        ctx.out.ok();
    } else if is("CLUSTERLINK") && argc == 5 && ctx.arg_is(2, "KILL") {
        cluster_link_kill(ctx)?;
    } else if is("PAUSE-CRON") && argc == 3 {
        ctx.node.cron_paused = crate::commands::atoi(ctx.arg(2)) != 0;
        ctx.out.ok();
    } else {
        return Err(subcommand_syntax_error(ctx));
    }
    Ok(())
}

/// DEBUG CLUSTERLINK KILL to|from|all <node-id>: closes our outbound and/or
/// inbound bus link with a node; the cron and the peer build them again.
fn cluster_link_kill(ctx: &mut Ctx<'_>) -> CommandResult {
    let now_ms = ctx.now_ms;
    let id = String::from_utf8_lossy(ctx.arg(4)).into_owned();
    let direction = ctx.arg(3).to_ascii_lowercase();
    let Some(state) = ctx.node.cluster.as_mut() else {
        return Err(CommandError::err(
            "Debug option only available for cluster mode enabled setup!",
        ));
    };
    // The node is looked up before the direction is checked, as in Redis.
    state
        .debug_kill_links(now_ms, &id, false, false)
        .map_err(CommandError::Custom)?;
    let (outbound, inbound) = match &direction[..] {
        b"to" => (true, false),
        b"from" => (false, true),
        b"all" => (true, true),
        // Redis 7.0 follows this error with a stray +OK (two replies to one
        // command); one reply keeps clients in step.
        _ => {
            return Err(CommandError::Bytes(
                [&b"ERR Unknown direction "[..], ctx.arg(3)].concat(),
            ))
        }
    };
    state
        .debug_kill_links(now_ms, &id, outbound, inbound)
        .map_err(CommandError::Custom)?;
    ctx.out.ok();
    Ok(())
}

/// Most keys one DEBUG POPULATE creates: Redis sizes its dict for the count
/// first and answers "OOM in dictTryExpand" when that cannot be allocated;
/// beyond this no machine holds the keys.
const MAX_POPULATE_KEYS: i64 = 1 << 36;

/// DEBUG POPULATE count [prefix] [size]: keys `prefix:N` (default `key`)
/// with values `value:N`, cut or zero-padded to `size` bytes; existing keys
/// are left alone. No dirty count and no keyspace events, as in Redis.
fn populate(ctx: &mut Ctx<'_>) -> CommandResult {
    let positive = |bytes: &[u8]| {
        shoal_resp::parse_i64_strict(bytes)
            .filter(|value| *value >= 0)
            .ok_or_else(|| CommandError::err("value is out of range, must be positive"))
    };
    let count = positive(ctx.arg(2))?;
    if count > MAX_POPULATE_KEYS {
        return Err(CommandError::err("OOM in dictTryExpand"));
    }
    let value_size = match ctx.args.get(4) {
        Some(size) => positive(size)? as usize,
        None => 0,
    };
    let prefix = ctx.args.get(3).map_or(&b"key"[..], |prefix| &prefix[..]);
    let (db, now_ms) = (ctx.client.db, ctx.now_ms);
    for index in 0..count {
        // Redis formats both into a 128-byte buffer: at most 127 bytes.
        let mut key = [prefix, b":", index.to_string().as_bytes()].concat();
        key.truncate(127);
        if ctx.db().lookup(&key, now_ms).is_some() {
            continue;
        }
        let mut value = format!("value:{index}").into_bytes();
        if value_size > 0 {
            value.resize(value_size, 0);
        }
        let value = Value::from(StringValue::from_bytes_no_int(&value));
        ctx.db().set_with_expire(&key, value, None, now_ms);
        crate::commands::transaction::touch_key(ctx.node, db, &key, now_ms);
    }
    ctx.out.ok();
    Ok(())
}

/// DEBUG PROTOCOL type: a sample reply of each RESP3 type (with Redis's
/// RESP2 fallbacks), for client test suites.
fn protocol(ctx: &mut Ctx<'_>) -> CommandResult {
    let name = ctx.arg(2).to_ascii_lowercase();
    let out = &mut *ctx.out;
    match &name[..] {
        b"string" => out.bulk(b"Hello World"),
        b"integer" => out.integer(12345),
        // Redis's sample value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => out.double(3.141),
        b"bignum" => {
            let digits = b"1234567999999999999999999999999999999";
            if out.is_resp3() {
                out.raw(&[&b"("[..], digits, b"\r\n"].concat());
            } else {
                out.bulk(digits);
            }
        }
        b"null" => out.null(),
        b"array" | b"set" => {
            if name == b"set" {
                out.set(3);
            } else {
                out.array(3);
            }
            for number in 0..3 {
                out.integer(number);
            }
        }
        b"map" => {
            out.map(3);
            for number in 0..3 {
                out.integer(number);
                out.boolean(number == 1);
            }
        }
        b"attrib" => {
            if out.is_resp3() {
                out.raw(b"|1\r\n");
                out.bulk(b"key-popularity");
                out.array(2);
                out.bulk(b"key:123");
                out.integer(90);
            }
            out.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !out.is_resp3() {
                return Err(CommandError::err("RESP2 is not supported by this command"));
            }
            out.push(2);
            out.bulk(b"server-cpu-usage");
            out.integer(42);
            out.bulk(b"Some real reply following the push reply");
        }
        b"verbatim" => out.verbatim("txt", b"This is a verbatim\nstring"),
        b"true" => out.boolean(true),
        b"false" => out.boolean(false),
        _ => {
            return Err(CommandError::err(
                "Wrong protocol type name. Please use one of the following: \
                 string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ))
        }
    }
    Ok(())
}

fn debug_help(ctx: &mut Ctx<'_>) {
    // Redis's text for the subcommands Shoal offers.
    const LINES: &[&str] = &[
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "CLUSTERLINK KILL <to|from|all> <node-id>",
        "    Kills the link based on the direction to/from (both) with the provided node.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "DROP-CLUSTER-PACKET-FILTER <packet-type>",
        "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "HELP",
        "    Prints this help.",
    ];
    crate::commands::connection::write_help(ctx, LINES);
}

/// C `strtod` on an argument: the longest numeric prefix, 0 when there is
/// none (Redis's DEBUG SLEEP accepts `abc` as 0).
fn parse_c_double(bytes: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned();
    let text = text.trim_start();
    let numeric_len = text
        .char_indices()
        .take_while(|(_, character)| {
            character.is_ascii_digit() || matches!(character, '+' | '-' | '.' | 'e' | 'E')
        })
        .count();
    (1..=numeric_len)
        .rev()
        .find_map(|len| text[..len].parse::<f64>().ok())
        .filter(|value| !value.is_nan())
        .unwrap_or(0.0)
}

/// The DEBUG OBJECT status line (Redis's format; the address is a stable
/// stand-in derived from the key, and `serializedlength` assumes no LZF
/// compression).
fn object_line(ctx: &mut Ctx<'_>) -> Result<String, CommandError> {
    let key = ctx.arg(2);
    let now_ms = ctx.now_ms;
    let policy = ctx.node.config.get_str("maxmemory-policy");
    let shares_integers = ctx.node.config.get_u64("maxmemory") == 0
        || !(policy.contains("lru") || policy.contains("lfu"));
    let db = ctx.node.keyspace.db_mut(ctx.client.db);
    // Redis prints the raw `robj.lru` and `estimateObjectIdleTime` over it,
    // whatever the policy: under LFU both read the LFU pair as a clock.
    let lru = db.access_field(key, now_ms).unwrap_or(0);
    let idle_seconds = db.idle_ms(key, now_ms).unwrap_or(0).max(0) / 1000;
    let value = db
        .lookup_no_touch(key, now_ms)
        .ok_or(CommandError::NoSuchKey)?;
    let encoding = value.encoding_name();
    let (serialized_length, shared) = match value.as_string() {
        Some(string) => {
            let integer = string.as_i64().filter(|_| encoding == "int");
            let shared = shares_integers
                && integer.is_some_and(|value| (0..SHARED_INTEGERS).contains(&value));
            (serialized_string_len(&string.as_bytes(), integer), shared)
        }
        None => (0, false),
    };
    let refcount = if shared { i64::from(i32::MAX) } else { 1 };
    Ok(format!(
        "Value at:{} refcount:{refcount} encoding:{encoding} serializedlength:{serialized_length} \
         lru:{lru} lru_seconds_idle:{idle_seconds}",
        pseudo_address(key)
    ))
}

/// A pointer-looking, deterministic stand-in for Redis's `%p` of the value.
fn pseudo_address(key: &[u8]) -> String {
    // FNV-1a, aligned to 16 bytes like an allocation.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("0x7f{:010x}", hash & 0xff_ffff_fff0)
}

/// Bytes an RDB length prefix takes (`rdbSaveLen`).
fn rdb_length_prefix(len: u64) -> u64 {
    if len < 64 {
        1
    } else if len < 16_384 {
        2
    } else if len <= u64::from(u32::MAX) {
        5
    } else {
        9
    }
}

/// `rdbSavedObjectLen` of a string without LZF: integers in 8/16/32 bits
/// take 2/3/5 bytes (`rdbTryIntegerEncoding` also tries strings up to 11
/// bytes), everything else a length prefix plus the bytes.
fn serialized_string_len(bytes: &[u8], integer: Option<i64>) -> u64 {
    let integer = integer.or_else(|| {
        (bytes.len() <= 11)
            .then(|| shoal_resp::parse_i64_strict(bytes))
            .flatten()
    });
    if let Some(value) = integer {
        if i8::try_from(value).is_ok() {
            return 2;
        }
        if i16::try_from(value).is_ok() {
            return 3;
        }
        if i32::try_from(value).is_ok() {
            return 5;
        }
    }
    let len = bytes.len() as u64;
    rdb_length_prefix(len) + len
}

/// Redis `xorDigest`: XOR the SHA-1 of `data` into `digest`.
fn xor_digest(digest: &mut [u8; 20], data: &[u8]) {
    for (byte, hashed) in digest.iter_mut().zip(sha1(data)) {
        *byte ^= hashed;
    }
}

/// Redis `mixDigest`: XOR in the SHA-1 of `data`, then hash the result
/// (order dependent, unlike `xor_digest`).
fn mix_digest(digest: &mut [u8; 20], data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(digest);
}

/// Redis's `OBJ_*` type codes, which the digest mixes in.
fn type_code(value: &Value) -> u32 {
    match value.type_name() {
        "string" => 0,
        "list" => 1,
        "set" => 2,
        "zset" => 3,
        "hash" => 4,
        "stream" => 6,
        _ => 5,
    }
}

/// Redis `xorObjectDigest` for one value.
fn object_digest(digest: &mut [u8; 20], value: &Value, expire_at_ms: Option<i64>) {
    mix_digest(digest, &type_code(value).to_be_bytes());
    match value.as_string() {
        Some(string) => mix_digest(digest, &string.as_bytes()),
        // Aggregates get Redis's element-wise digests when their types land.
        None => mix_digest(digest, value.type_name().as_bytes()),
    }
    if expire_at_ms.is_some() {
        xor_digest(digest, b"!!expire!!");
    }
}

/// Redis `computeDatasetDigest`: order-independent over keys, dependent on
/// which database holds them; all zeros for an empty dataset. Keys whose TTL
/// passed but were not reclaimed yet are left out, so the digest describes
/// what clients can read.
fn dataset_digest(node: &Node, now_ms: i64) -> [u8; 20] {
    let mut dataset = [0u8; 20];
    for index in 0..node.keyspace.db_count() {
        let db = node.keyspace.db(index);
        if db.is_empty() {
            continue;
        }
        let mut keys = [0u8; 20];
        let mut live = false;
        db.for_each(&mut |key, value, expire_at_ms| {
            if expire_at_ms.is_some_and(|at_ms| is_expired(at_ms, now_ms)) {
                return;
            }
            live = true;
            let mut digest = [0u8; 20];
            mix_digest(&mut digest, key);
            object_digest(&mut digest, value, expire_at_ms);
            // Redis folds each key's digest in with `xorDigest`, which hashes it.
            xor_digest(&mut keys, &digest);
        });
        if live {
            mix_digest(&mut dataset, &(index as u32).to_be_bytes());
            for (byte, key_byte) in dataset.iter_mut().zip(keys) {
                *byte ^= key_byte;
            }
        }
    }
    dataset
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ConnectInfo;
    use crate::testing::{error, simple, TestNode};
    use shoal_keyspace::StringValue;
    use shoal_resp::Frame;

    const REFUSED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is \
                           set to \"local\", you can run it from a local connection, otherwise \
                           you need to set this option in the configuration file, and then \
                           restart the server.";

    fn node_with_debug(setting: &str) -> TestNode {
        let mut config = shoal_config::Config::default();
        let mut no_files = |_: &str| -> std::io::Result<String> { Ok(String::new()) };
        config
            .load_text(&format!("enable-debug-command {setting}\n"), &mut no_files)
            .expect("valid configuration");
        TestNode::with_config(config)
    }

    fn set(node: &mut TestNode, db: usize, key: &str, value: &str, expire_at_ms: Option<i64>) {
        let now_ms = node.now_ms;
        let store = node.engine.node.keyspace.db_mut(db);
        store.set(
            key.as_bytes(),
            Value::String(StringValue::from_bytes(value.as_bytes())),
            false,
            now_ms,
        );
        if let Some(at_ms) = expire_at_ms {
            assert!(store.set_expire_at_ms(key.as_bytes(), at_ms, now_ms));
        }
    }

    #[test]
    fn refused_by_default() {
        let mut node = TestNode::new();
        assert_eq!(node.run("DEBUG DIGEST"), error(REFUSED));
        assert_eq!(
            node.run("DEBUG"),
            error("ERR wrong number of arguments for 'debug' command")
        );
    }

    #[test]
    fn local_allows_loopback_only() {
        let mut node = node_with_debug("local");
        assert_eq!(node.run("DEBUG SET-ACTIVE-EXPIRE 1"), simple("OK"));
        // Remote clients need protected mode off (no password is set).
        assert_eq!(node.run("CONFIG SET protected-mode no"), simple("OK"));
        let remote = node
            .engine
            .connect(
                ConnectInfo {
                    peer_addr: "192.0.2.7:4000".into(),
                    local_addr: String::new(),
                    fd: 9,
                },
                node.now_ms,
            )
            .expect("room for a client");
        node.client = remote;
        assert_eq!(node.run("DEBUG SET-ACTIVE-EXPIRE 1"), error(REFUSED));
        let mut node = node_with_debug("yes");
        assert_eq!(node.run("CONFIG SET protected-mode no"), simple("OK"));
        node.client = node
            .engine
            .connect(
                ConnectInfo {
                    peer_addr: "192.0.2.7:4000".into(),
                    local_addr: String::new(),
                    fd: 9,
                },
                node.now_ms,
            )
            .expect("room for a client");
        assert_eq!(node.run("DEBUG SET-ACTIVE-EXPIRE 1"), simple("OK"));
    }

    #[test]
    fn digest_matches_redis() {
        let mut node = node_with_debug("yes");
        assert_eq!(
            node.run("DEBUG DIGEST"),
            simple("0000000000000000000000000000000000000000")
        );
        set(&mut node, 0, "foo", "bar", None);
        set(&mut node, 0, "n", "12345", None);
        set(&mut node, 0, "long", &"x".repeat(50), None);
        // Values from redis-server 7.0.15 with the same dataset.
        assert_eq!(
            node.run("DEBUG DIGEST"),
            simple("477823ab8ed1c1e49c92843eef444083bf2c9c56")
        );
        assert_eq!(
            node.run("DEBUG DIGEST-VALUE foo nokey n"),
            Frame::Array(vec![
                simple("68467c70ae30376e7ce005bcc8827f5ba7fd67dc"),
                simple("0000000000000000000000000000000000000000"),
                simple("e1cf90774e995ae03de66e8109dc5cb9d9c2dc83"),
            ])
        );
        let expire_at_ms = node.now_ms + 1_000_000;
        set(&mut node, 3, "z", "zz", Some(expire_at_ms));
        assert_eq!(
            node.run("DEBUG DIGEST"),
            simple("e0ba4f6dafc294fd7575c9cc10d9657e44ebb057")
        );
        node.run("SELECT 3");
        assert_eq!(
            node.run("DEBUG DIGEST-VALUE z"),
            Frame::Array(vec![simple("de13fbec632b62cf785fe3ca0dfc7bd0f3d2ab54")])
        );
        assert_eq!(node.run("DEBUG DIGEST-VALUE"), Frame::Array(vec![]));
        // Once the key's TTL passed it no longer counts.
        node.advance_ms(1_000_001);
        assert_eq!(
            node.run("DEBUG DIGEST"),
            simple("477823ab8ed1c1e49c92843eef444083bf2c9c56")
        );
    }

    #[test]
    fn object_line_format() {
        let mut node = node_with_debug("yes");
        set(&mut node, 0, "foo", "bar", None);
        set(&mut node, 0, "n", "12345", None);
        set(&mut node, 0, "small", "7", None);
        let line = |node: &mut TestNode, key: &str| match node.run(&format!("DEBUG OBJECT {key}")) {
            Frame::Simple(line) => line,
            other => panic!("DEBUG OBJECT replied {other:?}"),
        };
        let foo = line(&mut node, "foo");
        assert!(foo.starts_with("Value at:0x7f"), "{foo}");
        let lru = (node.now_ms / 1000) % (1 << 24);
        assert!(
            foo.ends_with(&format!(
                " refcount:1 encoding:embstr serializedlength:4 lru:{lru} lru_seconds_idle:0"
            )),
            "{foo}"
        );
        assert!(line(&mut node, "n").contains("encoding:int serializedlength:3 "));
        assert!(line(&mut node, "small").contains(" refcount:2147483647 encoding:int "));
        assert_eq!(node.run("DEBUG OBJECT nokey"), error("ERR no such key"));
        assert_eq!(
            node.run("DEBUG OBJECT"),
            error(
                "ERR unknown subcommand or wrong number of arguments for 'OBJECT'. Try DEBUG HELP."
            )
        );
    }

    #[test]
    fn object_line_prints_the_raw_lfu_field_under_lfu() {
        let mut node = node_with_debug("yes");
        assert_eq!(
            node.run("CONFIG SET maxmemory-policy allkeys-lfu"),
            simple("OK")
        );
        assert_eq!(node.run("SET foo bar"), simple("OK"));
        let Frame::Simple(line) = node.run("DEBUG OBJECT foo") else {
            panic!("DEBUG OBJECT replies a status")
        };
        // Redis prints robj.lru (minutes << 8 | counter) and
        // estimateObjectIdleTime over it, as if it were an LRU clock.
        let lru = ((node.now_ms / 60_000) & 0xFFFF) << 8 | 5;
        let clock = (node.now_ms / 1000) & 0xFF_FFFF;
        let idle = if clock >= lru {
            clock - lru
        } else {
            clock + (0xFF_FFFF - lru)
        };
        assert!(
            line.ends_with(&format!(" lru:{lru} lru_seconds_idle:{idle}")),
            "{line}"
        );
    }

    #[test]
    fn serialized_lengths() {
        assert_eq!(serialized_string_len(b"", None), 1);
        assert_eq!(serialized_string_len(b"bar", None), 4);
        assert_eq!(serialized_string_len(b"-5", Some(-5)), 2);
        assert_eq!(serialized_string_len(b"12345", Some(12345)), 3);
        assert_eq!(serialized_string_len(b"2147483647", Some(2_147_483_647)), 5);
        assert_eq!(
            serialized_string_len(b"2147483648", Some(2_147_483_648)),
            11
        );
        assert_eq!(
            serialized_string_len(b"12345678901", Some(12_345_678_901)),
            12
        );
        assert_eq!(serialized_string_len(&[b'x'; 64], None), 66);
        assert_eq!(serialized_string_len(&[b'x'; 16_384], None), 16_389);
    }

    #[test]
    fn sleep_and_active_expire() {
        let mut node = node_with_debug("yes");
        assert_eq!(node.run("DEBUG SLEEP 0.25"), simple("OK"));
        assert_eq!(
            node.engine.take_effects(),
            vec![Effect::BlockServer { duration_ms: 250 }]
        );
        assert_eq!(node.run("DEBUG SLEEP 0"), simple("OK"));
        assert_eq!(node.run("DEBUG SLEEP abc"), simple("OK"));
        assert_eq!(node.run("DEBUG SLEEP -1"), simple("OK"));
        assert!(node.engine.take_effects().is_empty());
        assert_eq!(node.run("DEBUG SLEEP 1e999"), simple("OK"));
        assert_eq!(
            node.engine.take_effects(),
            vec![Effect::BlockServer {
                duration_ms: MAX_SLEEP_MS
            }]
        );
        assert_eq!(node.run("DEBUG SET-ACTIVE-EXPIRE 0"), simple("OK"));
        assert!(!node.engine.node.active_expire_enabled);
        assert_eq!(node.run("DEBUG set-active-expire 2"), simple("OK"));
        assert!(node.engine.node.active_expire_enabled);
        assert_eq!(node.run("DEBUG SET-ACTIVE-EXPIRE x"), simple("OK"));
        assert!(!node.engine.node.active_expire_enabled);
    }

    #[test]
    fn c_number_parsing() {
        assert_eq!(parse_c_double(b"1.5s"), 1.5);
        assert_eq!(parse_c_double(b"  2"), 2.0);
        assert_eq!(parse_c_double(b"e5"), 0.0);
        assert_eq!(parse_c_double(b""), 0.0);
        assert_eq!(parse_c_double(b"nan"), 0.0);
        assert_eq!(crate::commands::atoi(b"12abc"), 12);
        assert_eq!(crate::commands::atoi(b" -3"), -3);
        assert_eq!(crate::commands::atoi(b"x"), 0);
        assert_eq!(crate::commands::atoi(b"99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn reload_change_repl_id_help_and_errors() {
        let mut node = node_with_debug("yes");
        assert_eq!(node.run("DEBUG RELOAD"), simple("OK"));
        assert_eq!(node.run("DEBUG RELOAD NOSAVE merge NOFLUSH"), simple("OK"));
        assert_eq!(
            node.run("DEBUG RELOAD NOSAVE x"),
            error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
        );
        assert_eq!(node.run("DEBUG CHANGE-REPL-ID"), simple("OK"));
        let Frame::Array(help) = node.run("DEBUG HELP") else {
            panic!("array")
        };
        assert_eq!(help.len(), 51);
        assert_eq!(
            node.run("debug nosuch a"),
            error(
                "ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP."
            )
        );
        assert_eq!(
            node.run("DEBUG HELP x"),
            error(
                "ERR unknown subcommand or wrong number of arguments for 'HELP'. Try DEBUG HELP."
            )
        );
    }

    /// The RESP3 forms of DEBUG PROTOCOL, byte for byte as redis-server
    /// 7.0.15 sends them after HELLO 3 (the oracle scripts cover RESP2).
    #[test]
    fn protocol_replies_match_redis_in_resp3() {
        let mut node = node_with_debug("yes");
        let _ = node.run("HELLO 3");
        let cases: &[(&str, &[u8])] = &[
            ("string", b"$11\r\nHello World\r\n"),
            ("integer", b":12345\r\n"),
            ("double", b",3.141\r\n"),
            ("bignum", b"(1234567999999999999999999999999999999\r\n"),
            ("null", b"_\r\n"),
            ("array", b"*3\r\n:0\r\n:1\r\n:2\r\n"),
            ("set", b"~3\r\n:0\r\n:1\r\n:2\r\n"),
            ("map", b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"),
            (
                "attrib",
                b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n\
                  $39\r\nSome real reply following the attribute\r\n",
            ),
            (
                "push",
                b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n\
                  $40\r\nSome real reply following the push reply\r\n",
            ),
            ("verbatim", b"=29\r\ntxt:This is a verbatim\nstring\r\n"),
            ("true", b"#t\r\n"),
            ("false", b"#f\r\n"),
        ];
        for (name, expected) in cases {
            let args: Vec<bytes::Bytes> = ["DEBUG", "PROTOCOL", name]
                .iter()
                .map(|word| bytes::Bytes::from(*word))
                .collect();
            let mut out = shoal_resp::ReplyWriter::new(shoal_resp::Protocol::Resp3);
            node.engine
                .execute(node.client, &args, node.now_ms * 1000, &mut out);
            assert_eq!(
                String::from_utf8_lossy(&out.take()),
                String::from_utf8_lossy(expected),
                "{name}"
            );
        }
    }

    #[test]
    fn pause_cron_stops_active_expiry() {
        let mut node = node_with_debug("yes");
        node.run("SET k v PX 10");
        assert_eq!(node.run("DEBUG PAUSE-CRON 1"), simple("OK"));
        node.advance_ms(1000);
        node.engine.tick(node.now_ms);
        assert_eq!(node.engine.node.keyspace.db(0).len(), 1, "cron paused");
        assert_eq!(node.run("DEBUG PAUSE-CRON 0"), simple("OK"));
        for _ in 0..10 {
            node.engine.tick(node.now_ms);
        }
        assert_eq!(node.engine.node.keyspace.db(0).len(), 0, "cron resumed");
    }

    #[test]
    fn log_queues_a_warning_line() {
        let mut node = node_with_debug("yes");
        assert_eq!(node.run("DEBUG LOG \"hi there\""), simple("OK"));
        assert!(node
            .engine
            .take_effects()
            .contains(&Effect::LogWarning("DEBUG LOG: hi there".to_string())));
    }

    /// DEBUG CLUSTERLINK KILL and DROP-CLUSTER-PACKET-FILTER on a cluster
    /// node: Redis's checks in Redis's order.
    #[test]
    fn cluster_link_kill_and_packet_filter() {
        use shoal_cluster::state::{ClusterConfig, ClusterState};
        let mut node = node_with_debug("yes");
        assert_eq!(
            node.run("DEBUG CLUSTERLINK KILL all abc"),
            error("ERR Debug option only available for cluster mode enabled setup!")
        );
        let id = "93d07cd6562769b8c6111a8d2ff604ddaa855879";
        let state = ClusterState::new(
            ClusterConfig::default(),
            shoal_cluster::bus::NodeId::parse(id),
            node.now_ms,
            11,
        );
        node.engine.node.cluster = Some(state);
        assert_eq!(
            node.run("DEBUG CLUSTERLINK KILL sideways abc"),
            error("ERR Unknown node abc")
        );
        assert_eq!(
            node.run(&format!("DEBUG CLUSTERLINK KILL sideways {id}")),
            error("ERR Unknown direction sideways")
        );
        assert_eq!(
            node.run(&format!("DEBUG CLUSTERLINK KILL all {id}")),
            simple("OK")
        );
        assert_eq!(node.run("DEBUG DROP-CLUSTER-PACKET-FILTER 1"), simple("OK"));
        assert_eq!(
            node.run("DEBUG DROP-CLUSTER-PACKET-FILTER -1"),
            simple("OK")
        );
    }
}
