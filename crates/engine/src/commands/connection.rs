//! Connection commands: PING ECHO QUIT RESET SELECT AUTH HELLO and CLIENT.
//! They change only the executing client's state (or, for CLIENT KILL and
//! PAUSE, queue effects and node-wide pause state).

use bytes::Bytes;
use shoal_resp::Protocol;

use crate::client::{Client, ReplyMode};
use crate::context::Ctx;
use crate::error::CommandError;
use crate::node::{Effect, Pause};
use crate::table::{CommandResult, CommandSpec, Flags, KeySpec};

const CONNECTION: &[&str] = &["connection", "fast"];
const CONNECTION_SLOW: &[&str] = &["connection", "slow"];
const ADMIN_CONNECTION: &[&str] = &["admin", "slow", "dangerous", "connection"];

const PING_FLAGS: Flags = Flags::FAST;
const HANDSHAKE_FLAGS: Flags = Flags::NOSCRIPT
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::FAST)
    .with(Flags::NO_AUTH)
    .with(Flags::ALLOW_BUSY);

/// Rows of the connection family.
pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: PING_FLAGS,
        acl_categories: CONNECTION,
        group: "connection",
        summary: "Ping the server",
        handler: Some(ping),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: Flags::LOADING.with(Flags::STALE).with(Flags::FAST),
        acl_categories: CONNECTION,
        group: "connection",
        summary: "Echo the given string",
        handler: Some(echo),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "quit",
        arity: -1,
        flags: HANDSHAKE_FLAGS,
        acl_categories: CONNECTION,
        group: "connection",
        summary: "Close the connection",
        handler: Some(quit),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "reset",
        arity: 1,
        flags: HANDSHAKE_FLAGS,
        acl_categories: CONNECTION,
        group: "connection",
        summary: "Reset the connection",
        since: "6.2.0",
        handler: Some(reset),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "select",
        arity: 2,
        flags: Flags::LOADING.with(Flags::STALE).with(Flags::FAST),
        acl_categories: CONNECTION,
        group: "connection",
        summary: "Change the selected database for the current connection",
        handler: Some(select),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "auth",
        arity: -2,
        flags: HANDSHAKE_FLAGS,
        acl_categories: CONNECTION,
        group: "connection",
        summary: "Authenticate to the server",
        complexity: "O(N) where N is the number of passwords defined for the user",
        handler: Some(auth),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "hello",
        arity: -1,
        flags: HANDSHAKE_FLAGS,
        acl_categories: CONNECTION,
        group: "connection",
        summary: "Handshake with Redis",
        since: "6.0.0",
        handler: Some(hello),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "client",
        arity: -2,
        acl_categories: &["slow"],
        group: "connection",
        summary: "A container for client connection commands",
        since: "2.4.0",
        complexity: "Depends on subcommand.",
        subcommands: CLIENT_SUBCOMMANDS,
        ..CommandSpec::DEFAULT
    },
];

const CLIENT_FLAGS: Flags = Flags::NOSCRIPT.with(Flags::LOADING).with(Flags::STALE);
const CLIENT_ADMIN_FLAGS: Flags = CLIENT_FLAGS.with(Flags::ADMIN);

const CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    client_row(
        "client|id",
        2,
        CLIENT_FLAGS,
        CONNECTION_SLOW,
        "Returns the client ID for the current connection",
        "5.0.0",
        "O(1)",
        client_id,
    ),
    client_row(
        "client|setname",
        3,
        CLIENT_FLAGS,
        CONNECTION_SLOW,
        "Set the current connection name",
        "2.6.9",
        "O(1)",
        client_setname,
    ),
    client_row(
        "client|getname",
        2,
        CLIENT_FLAGS,
        CONNECTION_SLOW,
        "Get the current connection name",
        "2.6.9",
        "O(1)",
        client_getname,
    ),
    client_row(
        "client|list",
        -2,
        CLIENT_ADMIN_FLAGS,
        ADMIN_CONNECTION,
        "Get the list of client connections",
        "2.4.0",
        "O(N) where N is the number of client connections",
        client_list,
    ),
    client_row(
        "client|info",
        2,
        CLIENT_FLAGS,
        CONNECTION_SLOW,
        "Returns information about the current client connection.",
        "6.2.0",
        "O(1)",
        client_info,
    ),
    client_row(
        "client|kill",
        -3,
        CLIENT_ADMIN_FLAGS,
        ADMIN_CONNECTION,
        "Kill the connection of a client",
        "2.4.0",
        "O(N) where N is the number of client connections",
        client_kill,
    ),
    client_row(
        "client|pause",
        -3,
        CLIENT_ADMIN_FLAGS,
        ADMIN_CONNECTION,
        "Stop processing commands from clients for some time",
        "2.9.50",
        "O(1)",
        client_pause,
    ),
    client_row(
        "client|unpause",
        2,
        CLIENT_ADMIN_FLAGS,
        ADMIN_CONNECTION,
        "Resume processing of clients that were paused",
        "6.2.0",
        "O(N) Where N is the number of paused clients",
        client_unpause,
    ),
    client_row(
        "client|reply",
        3,
        CLIENT_FLAGS,
        CONNECTION_SLOW,
        "Instruct the server whether to reply to commands",
        "3.2.0",
        "O(1)",
        client_reply,
    ),
    client_row(
        "client|no-evict",
        3,
        CLIENT_ADMIN_FLAGS,
        ADMIN_CONNECTION,
        "Set client eviction mode for the current connection",
        "7.0.0",
        "O(1)",
        client_no_evict,
    ),
    client_row(
        "client|help",
        2,
        Flags::LOADING.with(Flags::STALE),
        CONNECTION_SLOW,
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
        client_help,
    ),
];

#[allow(clippy::too_many_arguments)]
const fn client_row(
    name: &'static str,
    arity: i32,
    flags: Flags,
    acl_categories: &'static [&'static str],
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
        KeySpec::None,
        "connection",
        summary,
        since,
        complexity,
        handler,
    )
}

fn ping(ctx: &mut Ctx<'_>) -> CommandResult {
    match ctx.args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(ctx.arg(1)),
        _ => return Err(CommandError::WrongArity("ping".to_string())),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.out.bulk(ctx.arg(1));
    Ok(())
}

fn quit(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.client.close_after_reply = true;
    ctx.out.ok();
    Ok(())
}

fn reset(ctx: &mut Ctx<'_>) -> CommandResult {
    let client = &mut *ctx.client;
    client.db = 0;
    client.name = None;
    client.resp = 2;
    client.reply_mode = ReplyMode::On;
    client.no_evict = false;
    if client.monitor {
        client.monitor = false;
        let id = client.id;
        ctx.node.monitors.retain(|monitor| *monitor != id);
    }
    client.authenticated = ctx.node.config.get_str("requirepass").is_empty();
    ctx.out.set_protocol(Protocol::Resp2);
    ctx.out.simple("RESET");
    Ok(())
}

fn select(ctx: &mut Ctx<'_>) -> CommandResult {
    let index = ctx.arg_i64(1)?;
    if index < 0 || index >= ctx.node.keyspace.db_count() as i64 {
        return Err(CommandError::DbIndexOutOfRange);
    }
    ctx.client.db = index as usize;
    ctx.out.ok();
    Ok(())
}

/// Checks a username/password pair against `requirepass` (Shoal has only the
/// `default` user until ACLs arrive).
fn check_password(ctx: &Ctx<'_>, user: &[u8], password: &[u8]) -> bool {
    let required = ctx.node.config.get_str("requirepass");
    user == b"default" && (required.is_empty() || required.as_bytes() == password)
}

fn auth(ctx: &mut Ctx<'_>) -> CommandResult {
    let (user, password): (&[u8], &[u8]) = match ctx.args.len() {
        2 => {
            if ctx.node.config.get_str("requirepass").is_empty() {
                return Err(CommandError::err(
                    "AUTH <password> called without any password configured for the default \
                     user. Are you sure your configuration is correct?",
                ));
            }
            (b"default", ctx.arg(1))
        }
        3 => (ctx.arg(1), ctx.arg(2)),
        _ => return Err(CommandError::Syntax),
    };
    if check_password(ctx, user, password) {
        ctx.client.authenticated = true;
        ctx.out.ok();
        Ok(())
    } else {
        Err(CommandError::WrongPass)
    }
}

fn hello(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut protocol = None;
    let mut next = 1;
    if ctx.args.len() >= 2 {
        let version = shoal_resp::parse_i64_strict(ctx.arg(1)).ok_or_else(|| {
            CommandError::err("Protocol version is not an integer or out of range")
        })?;
        if !(2..=3).contains(&version) {
            return Err(CommandError::Custom(
                "NOPROTO unsupported protocol version".to_string(),
            ));
        }
        protocol = Some(version as u8);
        next = 2;
    }
    let mut credentials = None;
    let mut name = None;
    while next < ctx.args.len() {
        let remaining = ctx.args.len() - next - 1;
        if ctx.arg_is(next, "AUTH") && remaining >= 2 {
            credentials = Some((ctx.arg(next + 1), ctx.arg(next + 2)));
            next += 3;
        } else if ctx.arg_is(next, "SETNAME") && remaining >= 1 {
            let candidate = ctx.arg(next + 1);
            validate_client_name(candidate)?;
            name = Some(candidate);
            next += 2;
        } else {
            return Err(CommandError::err_with_arg(
                "Syntax error in HELLO option '",
                ctx.arg(next),
                "'",
            ));
        }
    }
    if let Some((user, password)) = credentials {
        if !check_password(ctx, user, password) {
            return Err(CommandError::WrongPass);
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Err(CommandError::Custom(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time"
                .to_string(),
        ));
    }
    if let Some(name) = name {
        ctx.client.name = (!name.is_empty()).then(|| Bytes::copy_from_slice(name));
    }
    if let Some(version) = protocol {
        ctx.client.resp = version;
        ctx.out.set_protocol(if version == 3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        });
    }
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(crate::REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.integer(i64::from(ctx.client.resp));
    out.bulk(b"id");
    out.integer(ctx.client.id as i64);
    out.bulk(b"mode");
    let mode: &[u8] = if ctx.node.config.get_bool("cluster-enabled") {
        b"cluster"
    } else {
        b"standalone"
    };
    out.bulk(mode);
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

fn validate_client_name(name: &[u8]) -> CommandResult {
    // Redis allows printable ASCII without spaces (`clientSetName`).
    if name.iter().any(|&byte| !(b'!'..=b'~').contains(&byte)) {
        return Err(CommandError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

fn client_id(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.out.integer(ctx.client.id as i64);
    Ok(())
}

fn client_setname(ctx: &mut Ctx<'_>) -> CommandResult {
    let name = ctx.arg(2);
    validate_client_name(name)?;
    ctx.client.name = (!name.is_empty()).then(|| Bytes::copy_from_slice(name));
    ctx.out.ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx<'_>) -> CommandResult {
    match &ctx.client.name {
        Some(name) => ctx.out.bulk(name),
        None => ctx.out.null(),
    }
    Ok(())
}

/// One CLIENT LIST line (without the trailing newline), fields in Redis
/// 7.0's order. `argv_bytes` is the size of the arguments the client is
/// executing now (Redis `argv_len_sum`: the caller's own command, 0 for
/// every other client).
pub(crate) fn client_info_line(
    client: &Client,
    now_ms: i64,
    watch_dirty: bool,
    argv_bytes: usize,
) -> String {
    let name = client
        .name
        .as_ref()
        .map(|name| String::from_utf8_lossy(name))
        .unwrap_or_default();
    // Redis 7.0 `getClientInfoString` order: O P x d c r e.
    let mut flags = String::new();
    let flag_table = [
        (client.monitor, 'O'),
        (client.is_pubsub(), 'P'),
        (client.in_multi(), 'x'),
        (client.postponed, 'b'),
        (watch_dirty, 'd'),
        (client.close_after_reply, 'c'),
        (client.readonly, 'r'),
        (client.no_evict, 'e'),
    ];
    for (set, flag) in flag_table {
        if set {
            flags.push(flag);
        }
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let buffers = client.buffers;
    let query_free = buffers
        .query_buffer_capacity_bytes
        .saturating_sub(buffers.query_buffer_bytes);
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
         ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp=0 obl=0 \
         oll=0 omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={}",
        client.id,
        client.connection.peer_addr,
        client.connection.local_addr,
        client.connection.fd,
        name,
        (now_ms - client.created_ms).max(0) / 1000,
        (now_ms - client.last_interaction_ms).max(0) / 1000,
        flags,
        client.db,
        client.pubsub_channels.len(),
        client.pubsub_patterns.len(),
        client.pubsub_shard_channels.len(),
        client.multi_len(),
        buffers.query_buffer_bytes,
        query_free,
        argv_bytes,
        buffers.query_buffer_capacity_bytes,
        buffers.output_buffer_bytes,
        buffers.query_buffer_capacity_bytes + buffers.output_buffer_bytes + argv_bytes,
        client.last_command,
        client.resp,
    )
}

fn client_list(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut wanted_ids: Option<Vec<u64>> = None;
    let mut wanted_pubsub: Option<bool> = None;
    let mut index = 2;
    while index < ctx.args.len() {
        if ctx.arg_is(index, "TYPE") && index + 1 < ctx.args.len() {
            let kind = ctx.arg(index + 1).to_ascii_lowercase();
            if !matches!(
                &kind[..],
                b"normal" | b"master" | b"replica" | b"slave" | b"pubsub"
            ) {
                return Err(CommandError::err_with_arg(
                    "Unknown client type '",
                    ctx.arg(index + 1),
                    "'",
                ));
            }
            match &kind[..] {
                b"normal" => wanted_pubsub = Some(false),
                b"pubsub" => wanted_pubsub = Some(true),
                // No replication links exist yet: no master/replica clients.
                _ => wanted_ids = Some(Vec::new()),
            }
            index += 2;
        } else if ctx.arg_is(index, "ID") && index + 1 < ctx.args.len() {
            let mut ids = Vec::new();
            for position in index + 1..ctx.args.len() {
                let id = ctx
                    .arg_i64(position)
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| CommandError::err("Invalid client ID"))?;
                ids.push(id as u64);
            }
            wanted_ids = Some(ids);
            index = ctx.args.len();
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let now_ms = ctx.now_ms;
    let (me, argv_bytes) = (ctx.client.id, args_bytes(ctx.args));
    let mut clients: Vec<&Client> = ctx.node.clients.iter().collect();
    clients.push(ctx.client);
    clients.sort_by_key(|client| client.id);
    let mut text = String::new();
    for client in clients {
        if let Some(ids) = &wanted_ids {
            if !ids.contains(&client.id) {
                continue;
            }
        }
        if wanted_pubsub.is_some_and(|pubsub| pubsub != client.is_pubsub()) {
            continue;
        }
        let watch_dirty = ctx.node.watches.is_dirty(client.id);
        let argv_bytes = if client.id == me { argv_bytes } else { 0 };
        text.push_str(&client_info_line(client, now_ms, watch_dirty, argv_bytes));
        text.push('\n');
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Redis `argv_len_sum`: the bytes of a command's arguments.
fn args_bytes(args: &[Bytes]) -> usize {
    args.iter().map(Bytes::len).sum()
}

fn client_info(ctx: &mut Ctx<'_>) -> CommandResult {
    let watch_dirty = ctx.node.watches.is_dirty(ctx.client.id);
    let argv_bytes = args_bytes(ctx.args);
    let mut line = client_info_line(ctx.client, ctx.now_ms, watch_dirty, argv_bytes);
    line.push('\n');
    ctx.out.verbatim("txt", line.as_bytes());
    Ok(())
}

fn client_kill(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.args.len() == 3 {
        // Old form: CLIENT KILL addr.
        let addr = ctx.arg(2);
        let target = std::iter::once(&*ctx.client)
            .chain(ctx.node.clients.iter())
            .find(|client| client.connection.peer_addr.as_bytes() == addr)
            .map(|client| client.id);
        let Some(target) = target else {
            return Err(CommandError::err("No such client"));
        };
        kill(ctx, target);
        ctx.out.ok();
        return Ok(());
    }
    let mut filter_id = None;
    let mut filter_addr: Option<Vec<u8>> = None;
    let mut filter_laddr: Option<Vec<u8>> = None;
    let mut filter_kind: Option<&'static str> = None;
    let mut filter_user: Option<Vec<u8>> = None;
    let mut skip_me = true;
    let mut index = 2;
    while index < ctx.args.len() {
        if index + 1 >= ctx.args.len() {
            return Err(CommandError::Syntax);
        }
        let value = ctx.arg(index + 1);
        if ctx.arg_is(index, "ID") {
            // Redis parses with strtol-like leniency: junk reads as 0.
            let id = shoal_resp::parse_i64_strict(value).unwrap_or(0);
            if id <= 0 {
                return Err(CommandError::err("client-id should be greater than 0"));
            }
            filter_id = Some(id as u64);
        } else if ctx.arg_is(index, "TYPE") {
            let kind = value.to_ascii_lowercase();
            match &kind[..] {
                b"normal" => filter_kind = Some("normal"),
                b"pubsub" => filter_kind = Some("pubsub"),
                b"master" | b"replica" | b"slave" => filter_kind = Some("replication"),
                _ => {
                    return Err(CommandError::err_with_arg(
                        "Unknown client type '",
                        value,
                        "'",
                    ))
                }
            }
        } else if ctx.arg_is(index, "ADDR") {
            filter_addr = Some(value.to_vec());
        } else if ctx.arg_is(index, "LADDR") {
            filter_laddr = Some(value.to_vec());
        } else if ctx.arg_is(index, "USER") {
            // Only the default user exists (no ACL users yet); Redis looks
            // the name up and refuses an unknown one.
            if value != b"default" {
                return Err(CommandError::err_with_arg("No such user '", value, "'"));
            }
            filter_user = Some(value.to_vec());
        } else if ctx.arg_is(index, "SKIPME") {
            if value.eq_ignore_ascii_case(b"yes") {
                skip_me = true;
            } else if value.eq_ignore_ascii_case(b"no") {
                skip_me = false;
            } else {
                return Err(CommandError::Syntax);
            }
        } else {
            return Err(CommandError::Syntax);
        }
        index += 2;
    }
    let me = ctx.client.id;
    let targets: Vec<u64> = std::iter::once(&*ctx.client)
        .chain(ctx.node.clients.iter())
        .filter(|client| filter_id.is_none_or(|id| client.id == id))
        .filter(|client| {
            filter_addr
                .as_deref()
                .is_none_or(|addr| client.connection.peer_addr.as_bytes() == addr)
        })
        .filter(|client| {
            filter_laddr
                .as_deref()
                .is_none_or(|addr| client.connection.local_addr.as_bytes() == addr)
        })
        .filter(|client| match filter_kind {
            None => true,
            Some("normal") => !client.is_pubsub(),
            Some("pubsub") => client.is_pubsub(),
            Some(_) => false,
        })
        .filter(|_| filter_user.as_deref().is_none_or(|user| user == b"default"))
        .filter(|client| !(skip_me && client.id == me))
        .map(|client| client.id)
        .collect();
    for target in &targets {
        kill(ctx, *target);
    }
    ctx.out.integer(targets.len() as i64);
    Ok(())
}

fn kill(ctx: &mut Ctx<'_>, target: u64) {
    if target == ctx.client.id {
        ctx.client.close_after_reply = true;
    } else {
        ctx.node.effects.push(Effect::CloseClient(target));
    }
}

fn client_pause(ctx: &mut Ctx<'_>) -> CommandResult {
    let timeout_ms = shoal_resp::parse_i64_strict(ctx.arg(2))
        .filter(|timeout| *timeout >= 0)
        .ok_or_else(|| CommandError::err("timeout is not an integer or out of range"))?;
    let writes_only = match ctx.args.len() {
        3 => false,
        4 if ctx.arg_is(3, "WRITE") => true,
        4 if ctx.arg_is(3, "ALL") => false,
        _ => return Err(CommandError::Syntax),
    };
    let until_ms = ctx.now_ms.saturating_add(timeout_ms);
    // A new pause never shortens an existing one, and ALL wins over WRITE.
    let pause = match ctx.node.pause {
        Some(current) => Pause {
            until_ms: current.until_ms.max(until_ms),
            writes_only: current.writes_only && writes_only,
        },
        None => Pause {
            until_ms,
            writes_only,
        },
    };
    ctx.node.set_pause(Some(pause));
    ctx.out.ok();
    Ok(())
}

fn client_unpause(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.node.set_pause(None);
    ctx.out.ok();
    Ok(())
}

fn client_reply(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.arg_is(2, "ON") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.out.ok();
    } else if ctx.arg_is(2, "OFF") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if ctx.arg_is(2, "SKIP") {
        // Under OFF, SKIP changes nothing (Redis sets SKIP_NEXT only when
        // CLIENT_REPLY_OFF is clear).
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::Skip;
        }
    } else {
        return Err(CommandError::Syntax);
    }
    Ok(())
}

fn client_no_evict(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.arg_is(2, "ON") {
        ctx.client.no_evict = true;
    } else if ctx.arg_is(2, "OFF") {
        ctx.client.no_evict = false;
    } else {
        return Err(CommandError::Syntax);
    }
    ctx.out.ok();
    Ok(())
}

fn client_help(ctx: &mut Ctx<'_>) -> CommandResult {
    const LINES: &[&str] = &[
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    ];
    write_help(ctx, LINES);
    Ok(())
}

/// Writes a HELP reply: an array of status lines.
pub(crate) fn write_help(ctx: &mut Ctx<'_>, lines: &[&str]) {
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.simple(line);
    }
}
