//! Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH (Redis 7.0.15
//! `multi.c`), plus the hooks the dispatcher calls to queue commands, flag
//! or abort a transaction when a command is refused, route EXEC on a cluster
//! node and invalidate WATCHes when keys change.
//!
//! Queueing (Redis `processCommand`): inside MULTI every command except EXEC,
//! DISCARD, MULTI, WATCH, QUIT and RESET passes all the usual guards (lookup,
//! arity, auth, `no_multi`, cluster routing, pub/sub context, pause) and is
//! then stored and answered `+QUEUED`. A command refused by a guard flags the
//! transaction (`flagTransaction`): EXEC then replies `-EXECABORT Transaction
//! discarded because of previous errors.`. A refused EXEC aborts at once with
//! `-EXECABORT Transaction discarded because of: <reason>`
//! (`execCommandAbort`). Errors a handler returns (MULTI nested, WATCH inside
//! MULTI) do not flag anything. EXEC runs each queued command through the
//! engine's `call` — stats, WATCH invalidation and MONITOR feed per command,
//! as Redis's `call()` does — and gathers the replies in one array; a
//! command's error is just an element.
//!
//! WATCH tracking: `Node::watches` maps (database, key) to its watchers and
//! each client to its watched keys; a client whose watched key changes is
//! marked dirty and its watches are dropped at once (Redis does the same in
//! `touchWatchedKey`). That gives the invariant this design rests on: **every
//! watch still registered refers to a key unchanged since its WATCH, except
//! for time passing**. The keyspace knows nothing about clients, so changes
//! are detected around commands instead of inside it:
//! - After every `write` command that increased `node.dirty` (Redis
//!   increments `server.dirty` exactly when it signals a modified key), its
//!   keys are touched: the key-spec keys in the client's database, except
//!   read-only sources (BITOP's sources, COPY's source) and with MOVE's and
//!   COPY's destination database. A touched key dirties its watchers unless
//!   it was absent both before and after the command — "before" comes from
//!   the watchers' own record thanks to the invariant, so `DEL k1 k2` with
//!   `k1` missing leaves `k1`'s watchers alone, as in Redis.
//! - FLUSHDB and FLUSHALL dirty the watchers whose key existed; SWAPDB dirties
//!   the watchers of both databases whose key existed before or exists after
//!   the swap (`touchAllWatchedKeysInDb`).
//! - Expiry (Redis 7.0 `isWatchedKeyExpired`): WATCH records the key's
//!   deadline; a key that was live at WATCH and whose deadline has passed
//!   when EXEC runs fails the EXEC, whether or not it was reclaimed yet. A
//!   key already expired at WATCH counts as absent, so merely reclaiming it
//!   changes nothing while re-creating it does (the "stale key" rules).
//!
//! Nothing is looked at while no client watches anything: the write path
//! pays one flag test and one emptiness test. A new `write` command whose
//! key arguments include read-only sources (SINTERSTORE, SORT ... STORE)
//! should get a case in `touch_written_keys` (else its sources' watchers
//! fail needlessly, which is safe), and one in the test that walks every
//! `write` row.
//!
//! Known differences from Redis: WATCH of a key whose TTL already passed
//! reclaims it (Redis leaves it for DBSIZE until something touches it); the
//! commands inside EXEC get no SLOWLOG entries or `usec` of their own (only
//! the shell measures time, around the whole EXEC); a queued CLIENT REPLY
//! acts after the EXEC reply (OFF drops all of it, SKIP the next request's)
//! where Redis cuts the EXEC array short.
//!
//! This module must never write replies for commands it does not own, look
//! at sockets or clocks, or iterate anything in an order that could change
//! output (all maps are ordered).

use bytes::Bytes;
use shoal_cluster::routing::RouteFlags;
use shoal_keyspace::is_expired;
use shoal_resp::parse_i64_strict;

use crate::client::{Client, ClientId, MultiState, QueuedCommand, ReplyMode};
use crate::context::Ctx;
use crate::engine::call;
use crate::error::CommandError;
use crate::node::{Node, Watcher, Watches};
use crate::table::{CommandResult, CommandSpec, Flags, Handler, KeySpec};

const FAST_TRANSACTION: &[&str] = &["fast", "transaction"];
const SLOW_TRANSACTION: &[&str] = &["slow", "transaction"];

/// MULTI, DISCARD, WATCH and UNWATCH: `noscript loading stale fast allow_busy`.
const CONTROL_FLAGS: Flags = Flags::NOSCRIPT
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::FAST)
    .with(Flags::ALLOW_BUSY);

/// EXEC's reply when a command was refused while queueing (Redis `shared.execaborterr`).
const EXECABORT_PREVIOUS_ERRORS: &str =
    "EXECABORT Transaction discarded because of previous errors.";

/// Rows of the transactions family (values from Redis 7.0.15 COMMAND INFO/DOCS).
pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "multi",
        arity: 1,
        flags: CONTROL_FLAGS,
        acl_categories: FAST_TRANSACTION,
        group: "transactions",
        summary: "Mark the start of a transaction block",
        since: "1.2.0",
        handler: Some(multi),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "exec",
        arity: 1,
        flags: Flags::NOSCRIPT
            .with(Flags::LOADING)
            .with(Flags::STALE)
            .with(Flags::SKIP_SLOWLOG),
        acl_categories: SLOW_TRANSACTION,
        group: "transactions",
        summary: "Execute all commands issued after MULTI",
        since: "1.2.0",
        complexity: "Depends on commands in the transaction",
        handler: Some(exec),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "discard",
        arity: 1,
        flags: CONTROL_FLAGS,
        acl_categories: FAST_TRANSACTION,
        group: "transactions",
        summary: "Discard all commands issued after MULTI",
        since: "2.0.0",
        complexity: "O(N), when N is the number of queued commands",
        handler: Some(discard),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "watch",
        arity: -2,
        flags: CONTROL_FLAGS,
        acl_categories: FAST_TRANSACTION,
        keys: KeySpec::ALL,
        group: "transactions",
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
        since: "2.2.0",
        complexity: "O(1) for every key.",
        handler: Some(watch),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "unwatch",
        arity: 1,
        flags: CONTROL_FLAGS,
        acl_categories: FAST_TRANSACTION,
        group: "transactions",
        summary: "Forget about all watched keys",
        since: "2.2.0",
        handler: Some(unwatch),
        ..CommandSpec::DEFAULT
    },
];

// ---------------------------------------------------------------------------
// Hooks called by the dispatcher (engine.rs).
// ---------------------------------------------------------------------------

/// True for the EXEC row.
pub(crate) fn is_exec(spec: &CommandSpec) -> bool {
    spec.name == "exec"
}

/// The commands that run immediately inside MULTI instead of being queued
/// (Redis processCommand's list: EXEC, DISCARD, MULTI, WATCH, QUIT, RESET).
pub(crate) fn runs_inside_multi(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Stores a command of an open transaction (Redis `queueMultiCommand`). An
/// already doomed transaction (refused command or dirty WATCH) stores
/// nothing — EXEC will not run it — but the client still gets `+QUEUED`.
pub(crate) fn queue(node: &Node, client: &mut Client, spec: &'static CommandSpec, args: &[Bytes]) {
    let dirty = node.watches.is_dirty(client.id);
    if let Some(multi) = client.multi.as_deref_mut() {
        if !multi.aborted && !dirty {
            multi.commands.push(QueuedCommand {
                spec,
                args: args.to_vec(),
            });
        }
    }
}

/// Marks an open transaction as failed (Redis `flagTransaction`), called for
/// every command refused before running.
pub(crate) fn flag_transaction(client: &mut Client) {
    if let Some(multi) = client.multi.as_deref_mut() {
        multi.aborted = true;
    }
}

/// A refused EXEC (Redis `execCommandAbort`, reached even outside MULTI):
/// the transaction and WATCHes are dropped and the refusal becomes
/// `EXECABORT Transaction discarded because of: <reason>`, the reason being
/// the refusal without a plain `ERR ` prefix (Redis builds those messages
/// without a code) but keeping any other code (`NOAUTH ...`).
pub(crate) fn abort_exec(
    node: &mut Node,
    client: &mut Client,
    error: &CommandError,
) -> CommandError {
    discard_transaction(node, client);
    let text = error.to_string();
    let reason = text.strip_prefix("ERR ").unwrap_or(&text);
    CommandError::Custom(format!(
        "EXECABORT Transaction discarded because of: {reason}"
    ))
}

/// Ends any transaction and forgets every WATCH of `client` (Redis
/// `discardTransaction`).
pub(crate) fn discard_transaction(node: &mut Node, client: &mut Client) {
    client.multi = None;
    unwatch_all(node, client.id);
}

/// Forgets every WATCH of `client` and its dirty mark (Redis `unwatchAllKeys`
/// plus clearing `CLIENT_DIRTY_CAS`): UNWATCH, EXEC, DISCARD, RESET,
/// disconnection.
pub(crate) fn unwatch_all(node: &mut Node, client: ClientId) {
    forget_keys(&mut node.watches, client);
    node.watches.dirty.remove(&client);
}

/// Runs before a handler: RESET drops the transaction and the WATCHes
/// (Redis `clearClientConnectionState` → `discardTransaction`).
pub(crate) fn prepare(node: &mut Node, client: &mut Client, spec: &CommandSpec) {
    if spec.name == "reset" {
        discard_transaction(node, client);
    }
}

/// True when `spec` is EXEC and a queued command writes or may replicate:
/// EXEC then waits out a CLIENT PAUSE WRITE like a write would (Redis
/// `is_may_replicate_command` looks at `mstate.cmd_flags`).
pub(crate) fn exec_may_replicate(client: &Client, spec: &CommandSpec) -> bool {
    is_exec(spec)
        && client.multi.as_deref().is_some_and(|multi| {
            multi.commands.iter().any(|queued| {
                queued.spec.flags.contains(Flags::WRITE)
                    || queued.spec.flags.contains(Flags::MAY_REPLICATE)
            })
        })
}

/// Cluster routing of EXEC (reference §3.6, Redis `getNodeByQuery` with
/// `mstate`): the keys of all queued commands together must be served here.
/// EXEC's own flags are not `write`, but the transaction counts as a write
/// for replica reads when any queued command is one (`exec_has_write`).
/// Standalone nodes and keyless transactions always pass.
pub(crate) fn route_exec(
    node: &mut Node,
    client: &Client,
    asking: bool,
    now_ms: i64,
) -> CommandResult {
    let Node {
        cluster, keyspace, ..
    } = node;
    let (Some(state), Some(multi)) = (cluster.as_ref(), client.multi.as_deref()) else {
        return Ok(());
    };
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut has_write = false;
    let mut pubsub_shard = false;
    for queued in &multi.commands {
        has_write |= queued.spec.flags.contains(Flags::WRITE);
        pubsub_shard |= matches!(queued.spec.name, "ssubscribe" | "sunsubscribe" | "spublish");
        keys.extend(
            queued
                .spec
                .keys
                .key_indexes(&queued.args)
                .into_iter()
                .filter_map(|index| queued.args.get(index))
                .map(|key| key.as_ref()),
        );
    }
    if keys.is_empty() {
        return Ok(());
    }
    let flags = RouteFlags {
        write: false,
        exec_has_write: has_write,
        readonly_client: client.readonly,
        asking,
        pubsub_shard,
        migrate: false,
        use_pport: false,
    };
    // As for single commands: existence in DB 0, without touching the key.
    let db = keyspace.db_mut(0);
    let route = shoal_cluster::routing::route(state, &keys, flags, |key| db.contains(key, now_ms));
    match route.error_text() {
        None => Ok(()),
        Some(text) => Err(CommandError::Custom(text)),
    }
}

/// Touches the keys a `write` command modified (it increased `node.dirty`);
/// `db` is the client's database when the command started. See the module
/// doc for the rules; keys read but never written are left alone.
pub(crate) fn touch_written_keys(
    node: &mut Node,
    spec: &CommandSpec,
    args: &[Bytes],
    db: usize,
    now_ms: i64,
) {
    match spec.name {
        "flushdb" => signal_flushed_db(node, Some(db)),
        "flushall" => signal_flushed_db(node, None),
        "swapdb" => {
            if let (Some(first), Some(second)) = (db_argument(args, 1), db_argument(args, 2)) {
                if first != second {
                    touch_swapped_db(node, first, now_ms);
                    touch_swapped_db(node, second, now_ms);
                }
            }
        }
        // MOVE key db: the key leaves this database and enters the other.
        "move" => {
            if let Some(key) = args.get(1) {
                touch_key(node, db, key, now_ms);
                if let Some(target) = db_argument(args, 2) {
                    touch_key(node, target, key, now_ms);
                }
            }
        }
        // COPY source destination [DB n] [REPLACE]: only the destination,
        // possibly in another database, is written.
        "copy" => {
            if let Some(destination) = args.get(2) {
                let target = copy_target_db(args).unwrap_or(db);
                touch_key(node, target, destination, now_ms);
            }
        }
        // BITOP op destkey key...: the sources are only read.
        "bitop" => {
            if let Some(destination) = args.get(2) {
                touch_key(node, db, destination, now_ms);
            }
        }
        _ => {
            for index in spec.keys.key_indexes(args) {
                if let Some(key) = args.get(index) {
                    touch_key(node, db, key, now_ms);
                }
            }
        }
    }
}

/// The watchers of every flushed database (`None`: all) whose key existed
/// are dirtied (Redis `signalFlushedDb` → `touchAllWatchedKeysInDb(db,
/// NULL)`). Also meant for data dropped outside commands (a replica's
/// CLUSTER RESET flush).
pub(crate) fn signal_flushed_db(node: &mut Node, db: Option<usize>) {
    let watches = &mut node.watches;
    let clients: Vec<ClientId> = watches
        .dbs
        .iter()
        .enumerate()
        .filter(|(index, _)| db.is_none_or(|db| db == *index))
        .flat_map(|(_, keys)| keys.values().flatten())
        .filter(|watcher| watcher.existed)
        .map(|watcher| watcher.client)
        .collect();
    for client in clients {
        mark_dirty(watches, client);
    }
}

// ---------------------------------------------------------------------------
// Handlers.
// ---------------------------------------------------------------------------

/// MULTI (`multiCommand`).
fn multi(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.client.multi.is_some() {
        return Err(CommandError::err("MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(Box::default());
    ctx.out.ok();
    Ok(())
}

/// DISCARD (`discardCommand`).
fn discard(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.client.multi.is_none() {
        return Err(CommandError::err("DISCARD without MULTI"));
    }
    discard_transaction(ctx.node, ctx.client);
    ctx.out.ok();
    Ok(())
}

/// EXEC (`execCommand`): EXECABORT if a command was refused while queueing,
/// a null array if a watched key changed (or expired), else every queued
/// command's reply in one array.
fn exec(ctx: &mut Ctx<'_>) -> CommandResult {
    let Some(transaction) = ctx.client.multi.take() else {
        return Err(CommandError::err("EXEC without MULTI"));
    };
    let id = ctx.client.id;
    let watched_changed = watched_keys_changed(&ctx.node.watches, id, ctx.now_ms);
    // Unwatch before running: the transaction's own writes must not dirty it.
    unwatch_all(ctx.node, id);
    let MultiState { commands, aborted } = *transaction;
    if aborted {
        return Err(CommandError::Custom(EXECABORT_PREVIOUS_ERRORS.to_string()));
    }
    if watched_changed {
        ctx.out.null_array();
        return Ok(());
    }
    // Under CLIENT REPLY OFF Redis drops the header, and every reply written
    // while OFF holds; a queued CLIENT REPLY OFF/ON switches that midway.
    if ctx.client.reply_mode != ReplyMode::Off {
        ctx.out.array(commands.len());
    }
    for queued in &commands {
        let reply_start = ctx.out.len();
        // Redis runs the queued commands with CLIENT_DENY_BLOCKING set, which
        // MONITOR refuses (it would stop replying per command).
        let handler = match queued.spec.name {
            "monitor" => Some(deny_monitor as Handler),
            "migrate" => Some(deny_migrate as Handler),
            _ => queued.spec.handler,
        };
        match handler {
            Some(handler) => {
                let effects_before = ctx.node.effects.len();
                call(
                    ctx.node,
                    ctx.client,
                    queued.spec,
                    handler,
                    &queued.args,
                    ctx.now_us,
                    ctx.out,
                );
                // Redis's `call` records each queued command on its own
                // (slow log, latency monitor, commandstats time); EXEC
                // itself stays out of the slow log. The engine cannot time
                // a command, so a queued command's duration is what it
                // blocks the server for (DEBUG SLEEP), else zero; the
                // shell's measurement of the whole EXEC goes to EXEC.
                let effects = ctx.node.effects.get(effects_before..).unwrap_or(&[]);
                let duration_us = crate::engine::blocked_us(effects);
                let caller = (
                    ctx.client.connection.peer_addr.as_str(),
                    ctx.client.name.as_deref().unwrap_or_default(),
                );
                crate::engine::record_command_duration(
                    ctx.node,
                    caller,
                    queued.spec,
                    &queued.args,
                    duration_us,
                    ctx.now_ms,
                );
                // A CONFIG SET of port/bind cannot wait for the listeners
                // inside a transaction: it answers now and the shell listens
                // after the batch (restoring the old values on failure).
                if let Some(change) = ctx.node.pending_listen_change.take() {
                    ctx.out.ok();
                    ctx.node.effects.push(crate::node::Effect::Relisten(change));
                }
            }
            // Never queued (the dispatcher refuses handler-less rows), but an
            // element must be written for each queued command.
            None => ctx.out.error(&format!(
                "ERR command '{}' has no handler",
                queued.spec.name
            )),
        }
        if ctx.client.reply_mode == ReplyMode::Off {
            ctx.client.suppress_reply(ctx.out, reply_start);
        }
    }
    // A queued ASKING applied to the commands after it only: the flag
    // ends with EXEC (Redis resetClient after EXEC).
    ctx.client.asking = false;
    Ok(())
}

/// MONITOR queued in a transaction (`monitorCommand` with
/// `CLIENT_DENY_BLOCKING`).
fn deny_monitor(_ctx: &mut Ctx<'_>) -> CommandResult {
    Err(CommandError::err(
        "MONITOR isn't allowed for DENY BLOCKING client",
    ))
}

/// MIGRATE queued in a transaction. Redis runs it synchronously inside
/// EXEC; here its I/O happens in the shell between commands, which a
/// transaction cannot wait for, so it is refused (a documented gap).
fn deny_migrate(_ctx: &mut Ctx<'_>) -> CommandResult {
    Err(CommandError::err(
        "MIGRATE is not supported inside MULTI/EXEC",
    ))
}

/// WATCH key [key ...] (`watchCommand`).
fn watch(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.client.multi.is_some() {
        return Err(CommandError::err("WATCH inside MULTI is not allowed"));
    }
    let id = ctx.client.id;
    // No point in watching more once the next EXEC is known to fail.
    if !ctx.node.watches.is_dirty(id) {
        let db = ctx.client.db;
        for key in &ctx.args[1..] {
            watch_key(ctx.node, id, db, key, ctx.now_ms);
        }
    }
    ctx.out.ok();
    Ok(())
}

/// UNWATCH (`unwatchCommand`).
fn unwatch(ctx: &mut Ctx<'_>) -> CommandResult {
    unwatch_all(ctx.node, ctx.client.id);
    ctx.out.ok();
    Ok(())
}

// ---------------------------------------------------------------------------
// WATCH bookkeeping.
// ---------------------------------------------------------------------------

/// Registers one watch (Redis `watchForKey`), recording whether the key is
/// live and its deadline. Watching the same key of the same database twice
/// is a no-op. Looking the key up reclaims it if it is already expired.
fn watch_key(node: &mut Node, client: ClientId, db: usize, key: &Bytes, now_ms: i64) {
    let watched = node.watches.by_client.entry(client).or_default();
    if watched
        .iter()
        .any(|(watched_db, watched_key)| *watched_db == db && watched_key == key)
    {
        return;
    }
    watched.push((db, key.clone()));
    let (existed, expire_at_ms) = if db < node.keyspace.db_count() {
        let data = node.keyspace.db_mut(db);
        if data.contains(key, now_ms) {
            (true, data.expire_at_ms(key, now_ms))
        } else {
            (false, None)
        }
    } else {
        (false, None)
    };
    let watches = &mut node.watches;
    if watches.dbs.len() <= db {
        watches.dbs.resize_with(db + 1, Default::default);
    }
    if let Some(keys) = watches.dbs.get_mut(db) {
        keys.entry(key.clone()).or_default().push(Watcher {
            client,
            existed,
            expire_at_ms,
        });
    }
}

/// EXEC's check: a watched key was touched, or a key that was live at
/// WATCH has expired since (Redis `isWatchedKeyExpired`).
fn watched_keys_changed(watches: &Watches, client: ClientId, now_ms: i64) -> bool {
    if watches.is_dirty(client) {
        return true;
    }
    let Some(watched) = watches.by_client.get(&client) else {
        return false;
    };
    watched.iter().any(|(db, key)| {
        watches
            .dbs
            .get(*db)
            .and_then(|keys| keys.get(key))
            .is_some_and(|watchers| {
                watchers.iter().any(|watcher| {
                    watcher.client == client
                        && watcher
                            .expire_at_ms
                            .is_some_and(|at_ms| is_expired(at_ms, now_ms))
                })
            })
    })
}

/// A write touched `key` of `db` (Redis `touchWatchedKey`): its watchers
/// are dirtied unless the key was absent before (per the watchers' record,
/// see the module doc) and is absent now.
pub(crate) fn touch_key(node: &mut Node, db: usize, key: &[u8], now_ms: i64) {
    let Some(watchers) = node.watches.dbs.get(db).and_then(|keys| keys.get(key)) else {
        return;
    };
    let existed_before = watchers.iter().any(|watcher| {
        watcher.existed
            && !watcher
                .expire_at_ms
                .is_some_and(|at_ms| is_expired(at_ms, now_ms))
    });
    if !existed_before {
        let exists_now =
            db < node.keyspace.db_count() && node.keyspace.db_mut(db).contains(key, now_ms);
        if !exists_now {
            return;
        }
    }
    let clients: Vec<ClientId> = watchers.iter().map(|watcher| watcher.client).collect();
    for client in clients {
        mark_dirty(&mut node.watches, client);
    }
}

/// After SWAPDB, database `db` holds the other one's data: a watcher is
/// dirtied if its key existed before or exists now (Redis
/// `touchAllWatchedKeysInDb(emptied, replaced_with)`; a key that is only an
/// expired leftover counts as absent on both sides).
fn touch_swapped_db(node: &mut Node, db: usize, now_ms: i64) {
    let Some(keys) = node.watches.dbs.get(db) else {
        return;
    };
    let mut clients = Vec::new();
    for (key, watchers) in keys {
        let exists_now =
            db < node.keyspace.db_count() && node.keyspace.db_mut(db).contains(key, now_ms);
        clients.extend(
            watchers
                .iter()
                .filter(|watcher| watcher.existed || exists_now)
                .map(|watcher| watcher.client),
        );
    }
    for client in clients {
        mark_dirty(&mut node.watches, client);
    }
}

/// Marks `client` dirty and drops its watches: nothing can make its EXEC
/// succeed again short of UNWATCH/EXEC/DISCARD (Redis does the same).
fn mark_dirty(watches: &mut Watches, client: ClientId) {
    watches.dirty.insert(client);
    forget_keys(watches, client);
}

/// Removes every watch of `client` from both indexes.
fn forget_keys(watches: &mut Watches, client: ClientId) {
    let Some(watched) = watches.by_client.remove(&client) else {
        return;
    };
    for (db, key) in watched {
        let Some(keys) = watches.dbs.get_mut(db) else {
            continue;
        };
        if let Some(watchers) = keys.get_mut(&key) {
            watchers.retain(|watcher| watcher.client != client);
            if watchers.is_empty() {
                keys.remove(&key);
            }
        }
    }
}

/// A database index argument of a command that already succeeded.
fn db_argument(args: &[Bytes], index: usize) -> Option<usize> {
    args.get(index)
        .and_then(|arg| parse_i64_strict(arg))
        .and_then(|value| usize::try_from(value).ok())
}

/// COPY's `DB n` option, if given (the last one wins, as in `copyCommand`).
fn copy_target_db(args: &[Bytes]) -> Option<usize> {
    let mut target = None;
    let mut index = 3;
    while index < args.len() {
        if args[index].eq_ignore_ascii_case(b"DB") {
            target = db_argument(args, index + 1).or(target);
            index += 1;
        }
        index += 1;
    }
    target
}

#[cfg(test)]
mod tests {
    //! Expected bytes come from redis-server 7.0.15 running the same
    //! commands (two connections where another client is involved).

    use bytes::Bytes;
    use shoal_cluster::state::{ClusterConfig, ClusterState};
    use shoal_config::Config;
    use shoal_resp::{Protocol, ReplyWriter};

    use crate::client::{ClientId, ConnectInfo};
    use crate::engine::ExecOutcome;
    use crate::node::Effect;
    use crate::testing::TestNode;

    const EXECABORT: &str = "-EXECABORT Transaction discarded because of previous errors.\r\n";
    const NULL_ARRAY: &str = "*-1\r\n";
    const PONG_ONLY: &str = "*1\r\n+PONG\r\n";

    /// Runs `line` (words split on spaces) as `client`; returns the raw reply.
    fn words(line: &str) -> Vec<Bytes> {
        line.split(' ')
            .filter(|word| !word.is_empty())
            .map(|word| Bytes::copy_from_slice(word.as_bytes()))
            .collect()
    }

    /// Executes `line` for the node's client at `now_us`, returning the
    /// outcome itself (a paused request writes nothing) into `out`.
    fn execute_at(
        node: &mut TestNode,
        line: &str,
        now_us: i64,
        out: &mut ReplyWriter,
    ) -> ExecOutcome {
        node.engine.execute(node.client, &words(line), now_us, out)
    }

    fn raw_as(node: &mut TestNode, client: ClientId, line: &str) -> String {
        let args = words(line);
        let resp3 = node
            .engine
            .node
            .clients
            .get(client)
            .is_some_and(|client| client.resp == 3);
        let mut out = ReplyWriter::new(if resp3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        });
        let outcome = node
            .engine
            .execute(client, &args, node.now_ms * 1000, &mut out);
        assert_ne!(outcome, ExecOutcome::Paused, "`{line}` was paused");
        String::from_utf8_lossy(&out.take()).into_owned()
    }

    /// Runs `line` as the test node's own client.
    fn raw(node: &mut TestNode, line: &str) -> String {
        let client = node.client;
        raw_as(node, client, line)
    }

    /// Connects a second client.
    fn connect(node: &mut TestNode) -> ClientId {
        let now_ms = node.now_ms;
        match node.engine.connect(
            ConnectInfo {
                peer_addr: "127.0.0.1:50001".into(),
                ..ConnectInfo::default()
            },
            now_ms,
        ) {
            Ok(id) => id,
            Err(error) => panic!("connect: {error}"),
        }
    }

    /// MULTI, PING, EXEC as the node's client: the EXEC reply.
    fn try_exec(node: &mut TestNode) -> String {
        assert_eq!(raw(node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(node, "PING"), "+QUEUED\r\n");
        raw(node, "EXEC")
    }

    fn watch_state_is_empty(node: &TestNode) -> bool {
        let watches = &node.engine.node.watches;
        watches.by_client.is_empty()
            && watches.dirty.is_empty()
            && watches.dbs.iter().all(|keys| keys.is_empty())
    }

    #[test]
    fn queued_commands_run_at_exec_with_errors_as_elements() {
        let mut node = TestNode::new();
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET k v"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "INCR k"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "GET k"), "+QUEUED\r\n");
        // Nothing ran yet.
        assert!(node.engine.node.keyspace.db(0).is_empty());
        assert_eq!(
            raw(&mut node, "EXEC"),
            "*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\nv\r\n"
        );
        assert_eq!(raw(&mut node, "EXEC"), "-ERR EXEC without MULTI\r\n");
        // An empty transaction.
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "*0\r\n");
    }

    #[test]
    fn discard_drops_the_queue() {
        let mut node = TestNode::new();
        assert_eq!(raw(&mut node, "DISCARD"), "-ERR DISCARD without MULTI\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET k v"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "DISCARD"), "+OK\r\n");
        assert_eq!(raw(&mut node, "GET k"), "$-1\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "-ERR EXEC without MULTI\r\n");
        assert_eq!(raw(&mut node, "DISCARD"), "-ERR DISCARD without MULTI\r\n");
    }

    #[test]
    fn handler_errors_inside_multi_do_not_abort() {
        let mut node = TestNode::new();
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(
            raw(&mut node, "MULTI"),
            "-ERR MULTI calls can not be nested\r\n"
        );
        assert_eq!(
            raw(&mut node, "WATCH x"),
            "-ERR WATCH inside MULTI is not allowed\r\n"
        );
        assert_eq!(raw(&mut node, "EXEC"), "*0\r\n");
    }

    #[test]
    fn refusals_while_queueing_abort_exec() {
        let cases: &[(&str, &str)] = &[
            (
                "SET k",
                "-ERR wrong number of arguments for 'set' command\r\n",
            ),
            (
                "FOO bar",
                "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n",
            ),
            (
                "MULTI foo",
                "-ERR wrong number of arguments for 'multi' command\r\n",
            ),
            (
                "DISCARD foo",
                "-ERR wrong number of arguments for 'discard' command\r\n",
            ),
            (
                "WATCH",
                "-ERR wrong number of arguments for 'watch' command\r\n",
            ),
            (
                "UNWATCH foo",
                "-ERR wrong number of arguments for 'unwatch' command\r\n",
            ),
            (
                "SHUTDOWN",
                "-ERR Command not allowed inside a transaction\r\n",
            ),
        ];
        for (command, refusal) in cases {
            let mut node = TestNode::new();
            assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
            assert_eq!(raw(&mut node, "SET k v"), "+QUEUED\r\n");
            assert_eq!(raw(&mut node, command), *refusal, "{command}");
            assert_eq!(raw(&mut node, "SET k2 v"), "+QUEUED\r\n");
            assert_eq!(raw(&mut node, "EXEC"), EXECABORT, "{command}");
            // Nothing ran and the transaction is over.
            assert_eq!(raw(&mut node, "GET k"), "$-1\r\n");
            assert_eq!(raw(&mut node, "EXEC"), "-ERR EXEC without MULTI\r\n");
        }
    }

    #[test]
    fn refused_exec_aborts_at_once() {
        let mut node = TestNode::new();
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET k v"), "+QUEUED\r\n");
        let abort = "-EXECABORT Transaction discarded because of: wrong number of arguments \
                     for 'exec' command\r\n";
        assert_eq!(raw(&mut node, "EXEC foo"), abort);
        assert_eq!(raw(&mut node, "GET k"), "$-1\r\n");
        // Outside MULTI too (Redis rejects EXEC the same way there).
        assert_eq!(raw(&mut node, "EXEC foo"), abort);
        let stats = node.engine.node.stats.commands.get("exec").cloned();
        assert_eq!(stats.map(|stats| stats.rejected_calls), Some(2));
        assert_eq!(
            node.engine.node.stats.error_counts.get("EXECABORT"),
            Some(&2)
        );
    }

    #[test]
    fn exec_refused_by_auth_or_pubsub_context_aborts() {
        let mut node = TestNode::new();
        assert_eq!(raw(&mut node, "CONFIG SET requirepass secret"), "+OK\r\n");
        let other = connect(&mut node);
        assert_eq!(
            raw_as(&mut node, other, "EXEC"),
            "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n"
        );
        assert_eq!(
            raw_as(&mut node, other, "MULTI"),
            "-NOAUTH Authentication required.\r\n"
        );
        let mut node = TestNode::new();
        raw(&mut node, "SUBSCRIBE ch");
        assert_eq!(
            raw(&mut node, "EXEC"),
            "-EXECABORT Transaction discarded because of: Can't execute 'exec': only \
             (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this \
             context\r\n"
        );
        assert_eq!(
            raw(&mut node, "MULTI"),
            "-ERR Can't execute 'multi': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT \
             / RESET are allowed in this context\r\n"
        );
    }

    #[test]
    fn watched_key_modified_by_another_client_fails_exec() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        assert_eq!(raw(&mut node, "SET k 1"), "+OK\r\n");
        assert_eq!(raw(&mut node, "WATCH k"), "+OK\r\n");
        assert_eq!(raw_as(&mut node, other, "SET k 2"), "+OK\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET k 3"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), NULL_ARRAY);
        assert_eq!(raw(&mut node, "GET k"), "$1\r\n2\r\n");
        // EXEC unwatched everything.
        assert!(watch_state_is_empty(&node));
        assert_eq!(try_exec(&mut node), PONG_ONLY);
    }

    #[test]
    fn own_writes_outside_multi_count_but_not_inside_exec() {
        let mut node = TestNode::new();
        assert_eq!(raw(&mut node, "WATCH x"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET x bar"), "+OK\r\n");
        assert_eq!(try_exec(&mut node), NULL_ARRAY);
        // The transaction's own writes do not fail it.
        assert_eq!(raw(&mut node, "WATCH x"), "+OK\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET x 1"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "INCR x"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "*2\r\n+OK\r\n:2\r\n");
    }

    #[test]
    fn watch_inside_exec_touches_other_watchers() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        assert_eq!(raw_as(&mut node, other, "WATCH k"), "+OK\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET k v"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "*1\r\n+OK\r\n");
        assert_eq!(raw_as(&mut node, other, "MULTI"), "+OK\r\n");
        assert_eq!(raw_as(&mut node, other, "PING"), "+QUEUED\r\n");
        assert_eq!(raw_as(&mut node, other, "EXEC"), NULL_ARRAY);
    }

    #[test]
    fn unwatch_discard_and_reset_forget_watches() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        for forget in ["UNWATCH", "DISCARD", "RESET"] {
            assert_eq!(raw(&mut node, "WATCH k"), "+OK\r\n");
            assert_eq!(raw_as(&mut node, other, "SET k v"), "+OK\r\n");
            match forget {
                "DISCARD" => {
                    assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
                    assert_eq!(raw(&mut node, "DISCARD"), "+OK\r\n");
                }
                "RESET" => assert_eq!(raw(&mut node, "RESET"), "+RESET\r\n"),
                _ => assert_eq!(raw(&mut node, "UNWATCH"), "+OK\r\n"),
            }
            assert!(watch_state_is_empty(&node), "{forget}");
            assert_eq!(try_exec(&mut node), PONG_ONLY, "{forget}");
        }
        // RESET inside MULTI ends the transaction.
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET q v"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "RESET"), "+RESET\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "-ERR EXEC without MULTI\r\n");
        assert_eq!(raw(&mut node, "GET q"), "$-1\r\n");
        // UNWATCH inside MULTI is queued like any command.
        assert_eq!(raw(&mut node, "WATCH k k"), "+OK\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "UNWATCH"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "*1\r\n+OK\r\n");
    }

    #[test]
    fn disconnect_forgets_watches() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        assert_eq!(raw_as(&mut node, other, "WATCH a b"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET a 1"), "+OK\r\n");
        assert!(node.engine.node.watches.is_dirty(other));
        node.engine.disconnect(other);
        assert!(watch_state_is_empty(&node));
    }

    #[test]
    fn watched_key_expiry_fails_exec() {
        let mut node = TestNode::new();
        node.engine.node.active_expire_enabled = false;
        assert_eq!(raw(&mut node, "SET x foo PX 100"), "+OK\r\n");
        assert_eq!(raw(&mut node, "WATCH x"), "+OK\r\n");
        node.advance_ms(150);
        assert_eq!(try_exec(&mut node), NULL_ARRAY);
        // Also when something reclaimed the key first.
        assert_eq!(raw(&mut node, "SET x foo PX 100"), "+OK\r\n");
        assert_eq!(raw(&mut node, "WATCH x"), "+OK\r\n");
        node.advance_ms(150);
        assert_eq!(raw(&mut node, "EXISTS x"), ":0\r\n");
        assert_eq!(try_exec(&mut node), NULL_ARRAY);
        // A TTL that has not passed yet changes nothing.
        assert_eq!(raw(&mut node, "SET x foo PX 1000"), "+OK\r\n");
        assert_eq!(raw(&mut node, "WATCH x"), "+OK\r\n");
        node.advance_ms(500);
        assert_eq!(try_exec(&mut node), PONG_ONLY);
    }

    #[test]
    fn watching_an_already_expired_key() {
        let mut node = TestNode::new();
        node.engine.node.active_expire_enabled = false;
        let other = connect(&mut node);
        // Reclaiming it is no change.
        assert_eq!(raw(&mut node, "SET x foo PX 1"), "+OK\r\n");
        node.advance_ms(10);
        assert_eq!(raw(&mut node, "WATCH x"), "+OK\r\n");
        assert_eq!(raw(&mut node, "EXISTS x"), ":0\r\n");
        assert_eq!(raw(&mut node, "DEL x"), ":0\r\n");
        assert_eq!(try_exec(&mut node), PONG_ONLY);
        // Re-creating it is, by this client or another.
        for writer in [node.client, other] {
            assert_eq!(raw(&mut node, "SET x foo PX 1"), "+OK\r\n");
            node.advance_ms(10);
            assert_eq!(raw(&mut node, "WATCH x"), "+OK\r\n");
            assert_eq!(raw_as(&mut node, writer, "SET x bar"), "+OK\r\n");
            assert_eq!(try_exec(&mut node), NULL_ARRAY);
        }
    }

    #[test]
    fn resp3_null_for_failed_watch() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        assert!(raw(&mut node, "HELLO 3").starts_with("%7\r\n"));
        assert_eq!(raw(&mut node, "WATCH k"), "+OK\r\n");
        assert_eq!(raw_as(&mut node, other, "SET k 1"), "+OK\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "_\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "DISCARD"), "+OK\r\n");
    }

    #[test]
    fn only_modified_keys_fail_watchers() {
        // Each case: setup (as the watcher), the watched key, the other
        // client's command that leaves the key alone, per redis-server.
        let cases: &[(&[&str], &str, &str)] = &[
            (&["SET k 5"], "k", "GET k"),
            (&["SET k 5"], "k", "EXISTS k"),
            (&["SET k 5"], "k", "TOUCH k"),
            (&["SET k 5"], "k", "GETEX k"),
            (&["SET k 5"], "k", "PERSIST k"),
            (&["SET k 5"], "k", "SETNX k v"),
            (&["SET k 5"], "k", "MSETNX k 1 z 2"),
            (&["SET k 5"], "k", "RENAME k k"),
            (&["SET k 5 EX 100"], "k", "EXPIRE k 200 NX"),
            (&["SET k 5"], "k", "SET other 1"),
            (&["SET k 5"], "k", "COPY k d"),
            (&["SET k 5"], "k", "BITOP AND dd k"),
            (&["SET k2 v"], "nokey", "DEL nokey k2"),
            (&["SET k2 v"], "nokey", "UNLINK nokey k2"),
            (&["SET k2 v"], "nokey", "GETDEL nokey"),
            (&["SET other 1"], "nokey", "FLUSHDB"),
            (&["SET k 5"], "k", "SELECT 1"),
            (
                &["SET k 5", "SELECT 1", "SET k 1", "SELECT 0"],
                "k",
                "SWAPDB 1 2",
            ),
            (&["SET other 1"], "zz", "SWAPDB 0 1"),
            (&["SET k 5"], "k", "MOVE other 1"),
        ];
        for (setup, key, command) in cases {
            let mut node = TestNode::new();
            let other = connect(&mut node);
            for line in *setup {
                raw(&mut node, line);
            }
            assert_eq!(raw(&mut node, &format!("WATCH {key}")), "+OK\r\n");
            raw_as(&mut node, other, command);
            assert_eq!(try_exec(&mut node), PONG_ONLY, "{command}");
        }
    }

    #[test]
    fn every_write_command_fails_watchers() {
        // Each case: setup (as the watcher), the other client's command
        // modifying the watched key `k` (db 0). Covers every `write` row.
        let cases: &[(&[&str], &str)] = &[
            (&["SET k 5"], "APPEND k x"),
            (&["SET k 5"], "BITFIELD k SET u8 0 1"),
            (&["SET s 5"], "BITOP AND k s"),
            (&["SET s 5"], "COPY s k"),
            (&["SET k 5"], "DECR k"),
            (&["SET k 5"], "DECRBY k 2"),
            (&["SET k 5"], "DEL k"),
            (&["SET k 5"], "EXPIRE k 100"),
            (&["SET k 5"], "EXPIREAT k 99999999999"),
            (&["SET k 5"], "EXPIRE k -1"),
            (&["SET k 5"], "FLUSHALL"),
            (&["SET k 5"], "FLUSHDB"),
            (&["SET k 5"], "GETDEL k"),
            (&["SET k 5"], "GETEX k PX 100000"),
            (&["SET k 5"], "GETSET k x"),
            (&["SET k 5"], "INCR k"),
            (&["SET k 5"], "INCRBY k 2"),
            (&["SET k 5"], "INCRBYFLOAT k 1.5"),
            (&["SET k 5"], "MOVE k 1"),
            (&["SELECT 1", "SET k 5", "SELECT 0"], "SELECT 1;MOVE k 0"),
            (&["SET k 5"], "MSET a 1 k 2"),
            (&[], "MSETNX k 1"),
            (&["SET k 5 EX 100"], "PERSIST k"),
            (&["SET k 5"], "PEXPIRE k 100000"),
            (&["SET k 5"], "PEXPIREAT k 99999999999999"),
            (&[], "PSETEX k 100000 v"),
            (&["SET s 5"], "RENAME s k"),
            (&["SET k 5"], "RENAME k s"),
            (&["SET s 5"], "RENAMENX s k"),
            (&["SET k 5"], "SET k 5"),
            (&[], "SETBIT k 1 1"),
            (&["SET k 5"], "SETEX k 100 v"),
            (&[], "SETNX k v"),
            (&["SET k 5"], "SETRANGE k 1 x"),
            (&["SELECT 1", "SET k 5", "SELECT 0"], "SWAPDB 0 1"),
            (&["SET k 5"], "SWAPDB 1 0"),
            (&["SET k 5"], "UNLINK k"),
        ];
        let mut covered = std::collections::BTreeSet::new();
        for (setup, command) in cases {
            let mut node = TestNode::new();
            let other = connect(&mut node);
            for line in *setup {
                raw(&mut node, line);
            }
            assert_eq!(raw(&mut node, "WATCH k"), "+OK\r\n");
            // `;` separates commands the other client runs in turn.
            for part in command.split(';') {
                let reply = raw_as(&mut node, other, part);
                assert!(!reply.starts_with('-'), "{part}: {reply}");
            }
            assert_eq!(try_exec(&mut node), NULL_ARRAY, "{command}");
            let last = command.rsplit(';').next().unwrap_or("");
            covered.insert(last.split(' ').next().unwrap_or("").to_ascii_lowercase());
        }
        // COPY into another database touches the key there.
        let mut node = TestNode::new();
        let other = connect(&mut node);
        raw(&mut node, "SET s v");
        raw(&mut node, "SELECT 2");
        assert_eq!(raw(&mut node, "WATCH d"), "+OK\r\n");
        raw(&mut node, "SELECT 0");
        assert_eq!(raw_as(&mut node, other, "COPY s d DB 2"), ":1\r\n");
        assert_eq!(try_exec(&mut node), NULL_ARRAY);
        // RESTORE (its payload is binary): DUMP from one key, RESTORE it
        // over the watched one.
        for command in ["restore", "restore-asking"] {
            let mut node = TestNode::new();
            let other = connect(&mut node);
            raw(&mut node, "SET s 5");
            assert_eq!(raw(&mut node, "WATCH k"), "+OK\r\n");
            let shoal_resp::Frame::Bulk(payload) = node.run("DUMP s") else {
                panic!("DUMP replies a bulk string");
            };
            let args = [
                Bytes::from(command),
                Bytes::from_static(b"k"),
                Bytes::from_static(b"0"),
                Bytes::from(payload),
            ];
            let mut out = ReplyWriter::new(shoal_resp::Protocol::Resp2);
            node.engine
                .execute(other, &args, node.now_ms * 1000, &mut out);
            assert_eq!(out.take(), b"+OK\r\n");
            assert_eq!(try_exec(&mut node), NULL_ARRAY);
            covered.insert(command.to_string());
        }
        // MIGRATE deletes the key once the target accepted it.
        let mut node = TestNode::new();
        let other = connect(&mut node);
        raw(&mut node, "SET k v");
        assert_eq!(raw(&mut node, "WATCH k"), "+OK\r\n");
        let args: Vec<Bytes> = ["MIGRATE", "127.0.0.1", "1", "k", "0", "100"]
            .iter()
            .map(|word| Bytes::from(*word))
            .collect();
        let mut out = ReplyWriter::new(shoal_resp::Protocol::Resp2);
        let outcome = node
            .engine
            .execute(other, &args, node.now_ms * 1000, &mut out);
        assert_eq!(outcome, crate::ExecOutcome::Migrate);
        let request = node.engine.take_migration().expect("parked");
        let io = crate::MigrationIo::Replies {
            selected: true,
            lines: vec![b"+OK".to_vec(), b"+OK".to_vec()],
            complete: true,
        };
        node.engine
            .finish_migration(&request, &io, node.now_ms * 1000, &mut out);
        assert_eq!(out.take(), b"+OK\r\n");
        assert_eq!(try_exec(&mut node), NULL_ARRAY);
        covered.insert("migrate".to_string());
        // The cases cover every write command of the table.
        let table = TestNode::new();
        for spec in table.engine.table().iter() {
            if spec.flags.contains(crate::table::Flags::WRITE) {
                assert!(
                    covered.contains(spec.name),
                    "no WATCH case for {}",
                    spec.name
                );
            }
        }
    }

    #[test]
    fn flushdb_only_touches_its_database() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        raw(&mut node, "SET k v");
        assert_eq!(raw(&mut node, "WATCH k"), "+OK\r\n");
        raw_as(&mut node, other, "SELECT 1");
        raw_as(&mut node, other, "SET x 1");
        assert_eq!(raw_as(&mut node, other, "FLUSHDB"), "+OK\r\n");
        assert_eq!(try_exec(&mut node), PONG_ONLY);
        // A flush that fails (syntax) touches nothing.
        assert_eq!(raw(&mut node, "WATCH k"), "+OK\r\n");
        raw_as(&mut node, other, "SELECT 0");
        assert_eq!(
            raw_as(&mut node, other, "FLUSHDB bogus"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(try_exec(&mut node), PONG_ONLY);
    }

    #[test]
    fn stats_count_exec_and_each_inner_command() {
        let mut node = TestNode::new();
        for line in [
            "MULTI", "SET k v", "INCR k", "foo", "EXEC", "MULTI", "SET k v", "INCR k", "GET k",
            "EXEC", "MULTI", "MULTI", "WATCH x", "EXEC",
        ] {
            raw(&mut node, line);
        }
        let stats = &node.engine.node.stats;
        let calls = |name: &str| {
            stats
                .commands
                .get(name)
                .map(|stats| (stats.calls, stats.failed_calls, stats.rejected_calls))
        };
        // As redis-server's INFO commandstats after the same commands.
        assert_eq!(calls("exec"), Some((3, 1, 0)));
        assert_eq!(calls("multi"), Some((4, 1, 0)));
        assert_eq!(calls("set"), Some((1, 0, 0)));
        assert_eq!(calls("incr"), Some((1, 1, 0)));
        assert_eq!(calls("get"), Some((1, 0, 0)));
        assert_eq!(calls("watch"), Some((1, 1, 0)));
        // EXEC and its 3 inner commands, the 4 MULTIs (one nested), WATCH,
        // the aborted EXEC; queued and refused commands are not counted.
        assert_eq!(stats.total_commands_processed, 11);
        assert_eq!(stats.total_error_replies, 5);
        assert_eq!(stats.error_counts.get("ERR"), Some(&4));
        assert_eq!(stats.error_counts.get("EXECABORT"), Some(&1));
    }

    #[test]
    fn monitor_sees_inner_commands_before_exec() {
        let mut node = TestNode::new();
        let monitor = connect(&mut node);
        assert_eq!(raw_as(&mut node, monitor, "MONITOR"), "+OK\r\n");
        node.engine.take_effects();
        for line in [
            "MULTI", "SET k v", "GET k", "EXEC", "MULTI", "FOO", "EXEC", "EXEC x",
        ] {
            raw(&mut node, line);
        }
        let lines: Vec<String> = node
            .engine
            .take_effects()
            .into_iter()
            .filter_map(|effect| match effect {
                Effect::Deliver { client, bytes } if client == monitor => {
                    let line = String::from_utf8_lossy(&bytes).into_owned();
                    line.split_once(']')
                        .map(|(_, args)| args.trim().to_string())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            lines,
            [
                "\"MULTI\"",
                "\"SET\" \"k\" \"v\"",
                "\"GET\" \"k\"",
                "\"EXEC\"",
                "\"MULTI\"",
                "\"EXEC\"",
                "\"EXEC\" \"x\"",
            ]
        );
    }

    #[test]
    fn queued_commands_are_not_counted_until_exec() {
        let mut node = TestNode::new();
        raw(&mut node, "MULTI");
        raw(&mut node, "SET k v");
        assert!(!node.engine.node.stats.commands.contains_key("set"));
        assert_eq!(node.engine.node.stats.total_commands_processed, 1);
        assert_eq!(
            node.engine
                .node
                .clients
                .get(node.client)
                .map(|client| (client.multi_len(), client.last_command)),
            Some((1, "set"))
        );
        raw(&mut node, "EXEC");
        assert_eq!(node.engine.node.stats.total_commands_processed, 3);
        assert_eq!(
            node.engine
                .node
                .clients
                .get(node.client)
                .map(|client| (client.multi_len(), client.last_command)),
            Some((-1, "exec"))
        );
    }

    #[test]
    fn a_dirty_transaction_stores_nothing() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        raw(&mut node, "WATCH k");
        raw_as(&mut node, other, "SET k v");
        raw(&mut node, "MULTI");
        assert_eq!(raw(&mut node, "SET a b"), "+QUEUED\r\n");
        assert_eq!(
            node.engine
                .node
                .clients
                .get(node.client)
                .map(|c| c.multi_len()),
            Some(0)
        );
        assert_eq!(raw(&mut node, "EXEC"), NULL_ARRAY);
        // WATCH after the key changed adds nothing either.
        raw(&mut node, "WATCH k");
        raw_as(&mut node, other, "SET k v2");
        assert_eq!(raw(&mut node, "WATCH j"), "+OK\r\n");
        assert!(!node
            .engine
            .node
            .watches
            .by_client
            .contains_key(&node.client));
        assert_eq!(try_exec(&mut node), NULL_ARRAY);
    }

    #[test]
    fn monitor_and_subscribe_inside_exec() {
        let mut node = TestNode::new();
        for line in ["MULTI", "MONITOR", "PING"] {
            raw(&mut node, line);
        }
        assert_eq!(
            raw(&mut node, "EXEC"),
            "*2\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n+PONG\r\n"
        );
        assert!(node.engine.node.monitors.is_empty());
        let monitor = node.engine.node.stats.commands.get("monitor").cloned();
        assert_eq!(
            monitor.map(|stats| (stats.calls, stats.failed_calls)),
            Some((1, 1))
        );
        // Commands after SUBSCRIBE already see the subscribed client.
        for line in ["MULTI", "SUBSCRIBE ch", "PING"] {
            raw(&mut node, line);
        }
        assert_eq!(
            raw(&mut node, "EXEC"),
            "*2\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n"
        );
        assert_eq!(raw(&mut node, "PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    }

    #[test]
    fn quit_runs_inside_multi() {
        let mut node = TestNode::new();
        raw(&mut node, "MULTI");
        raw(&mut node, "SET k v");
        let args = [Bytes::from_static(b"QUIT")];
        let mut out = ReplyWriter::new(Protocol::Resp2);
        let outcome = node
            .engine
            .execute(node.client, &args, node.now_ms * 1000, &mut out);
        assert_eq!(outcome, ExecOutcome::Close);
        assert_eq!(out.take(), b"+OK\r\n");
        node.engine.disconnect(node.client);
        assert_eq!(node.engine.node.keyspace.db(0).len(), 0);
    }

    #[test]
    fn client_pause_write_holds_exec_of_writes() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        raw(&mut node, "MULTI");
        raw(&mut node, "GET k");
        assert_eq!(
            raw_as(&mut node, other, "CLIENT PAUSE 10000 WRITE"),
            "+OK\r\n"
        );
        // A read-only transaction runs.
        assert_eq!(raw(&mut node, "EXEC"), "*1\r\n$-1\r\n");
        // One with a write waits, like the write itself would.
        raw(&mut node, "MULTI");
        let mut out = ReplyWriter::new(Protocol::Resp2);
        let now_us = node.now_ms * 1000;
        assert_eq!(
            execute_at(&mut node, "SET k v", now_us, &mut out),
            ExecOutcome::Paused
        );
        assert_eq!(raw_as(&mut node, other, "CLIENT UNPAUSE"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET k v"), "+QUEUED\r\n");
        assert_eq!(
            raw_as(&mut node, other, "CLIENT PAUSE 10000 WRITE"),
            "+OK\r\n"
        );
        assert_eq!(
            execute_at(&mut node, "EXEC", now_us, &mut out),
            ExecOutcome::Paused
        );
        assert!(out.is_empty());
    }

    /// A request held by CLIENT PAUSE counts as a blocked client (Redis
    /// `BLOCKED_POSTPONE`: INFO `blocked_clients`, CLIENT LIST flag `b`),
    /// and under a pause of ALL even CLIENT UNPAUSE waits, as in Redis 7.0.
    #[test]
    fn paused_requests_count_as_blocked_clients() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        assert_eq!(
            raw_as(&mut node, other, "CLIENT PAUSE 10000 WRITE"),
            "+OK\r\n"
        );
        let mut out = ReplyWriter::new(Protocol::Resp2);
        let now_us = node.now_ms * 1000;
        assert_eq!(
            execute_at(&mut node, "SET k v", now_us, &mut out),
            ExecOutcome::Paused
        );
        let info = raw_as(&mut node, other, "INFO clients");
        assert!(info.contains("blocked_clients:1\r\n"), "{info}");
        let list = raw_as(&mut node, other, "CLIENT LIST");
        assert!(list.contains(" flags=b "), "{list}");
        assert_eq!(raw_as(&mut node, other, "CLIENT UNPAUSE"), "+OK\r\n");
        assert_eq!(
            execute_at(&mut node, "SET k v", now_us, &mut out),
            ExecOutcome::Done
        );
        let info = raw_as(&mut node, other, "INFO clients");
        assert!(info.contains("blocked_clients:0\r\n"), "{info}");
        // Pause ALL: CLIENT UNPAUSE itself is postponed until the timeout.
        assert_eq!(
            raw_as(&mut node, other, "CLIENT PAUSE 10000 ALL"),
            "+OK\r\n"
        );
        assert_eq!(
            execute_at(&mut node, "CLIENT UNPAUSE", now_us, &mut out),
            ExecOutcome::Paused
        );
        let later_us = now_us + 10_001_000;
        assert_eq!(
            execute_at(&mut node, "CLIENT UNPAUSE", later_us, &mut out),
            ExecOutcome::Done
        );
    }

    /// Redis's pause.tcl "both active and passive expires are skipped
    /// during client pause": keys expire logically but nothing is deleted
    /// (no expired_keys) until the pause ends.
    #[test]
    fn expiry_deletes_nothing_while_clients_are_paused() {
        let mut node = TestNode::new();
        let expired_keys = |node: &mut TestNode| {
            let info = raw(node, "INFO stats");
            info.lines()
                .find_map(|line| line.strip_prefix("expired_keys:"))
                .map(|count| count.trim().to_string())
        };
        raw(&mut node, "MULTI");
        raw(&mut node, "SET foo bar PX 10");
        raw(&mut node, "SET baz qux PX 10");
        raw(&mut node, "CLIENT PAUSE 50000 WRITE");
        raw(&mut node, "EXEC");
        node.advance_ms(20);
        node.engine.tick(node.now_ms);
        assert_eq!(raw(&mut node, "GET foo"), "$-1\r\n");
        assert_eq!(raw(&mut node, "GET baz"), "$-1\r\n");
        node.engine.tick(node.now_ms);
        assert_eq!(expired_keys(&mut node).as_deref(), Some("0"));
        assert_eq!(raw(&mut node, "DBSIZE"), ":2\r\n");
        raw(&mut node, "CLIENT UNPAUSE");
        raw(&mut node, "GET foo");
        raw(&mut node, "GET baz");
        assert_eq!(expired_keys(&mut node).as_deref(), Some("2"));
        assert_eq!(raw(&mut node, "DBSIZE"), ":0\r\n");
    }

    #[test]
    fn bad_input_never_panics() {
        let mut node = TestNode::new();
        let other = connect(&mut node);
        let long_key = "k".repeat(10_000);
        for line in [
            "WATCH a a a a",
            &format!("WATCH {long_key}"),
            "SELECT 15",
            "WATCH x",
            "SELECT 0",
            "MOVE a 99999999999999999999",
            "COPY a b DB",
            "COPY a b DB x DB",
            "SWAPDB -1 0",
            "SWAPDB 0 99",
            "EXEC EXEC",
            "MULTI",
            "EXEC",
        ] {
            raw(&mut node, line);
            raw_as(&mut node, other, line);
        }
        // A watch in the last database still works.
        for line in ["SELECT 15", "WATCH x", "SELECT 0"] {
            raw(&mut node, line);
        }
        raw_as(&mut node, other, "SELECT 15");
        raw_as(&mut node, other, "SET x 1");
        assert_eq!(try_exec(&mut node), NULL_ARRAY);
    }

    // --- Cluster mode --------------------------------------------------

    /// Owns 0-5460 (`hello`, slot 866); `foo` (slot 12182) is at 127.0.0.1:21131.
    const SIX_NODE_0: &str =
        include_str!("../../../cluster/tests/fixtures/nodes-conf/six-node-0.conf");
    /// Imports slot 100 (owned by 127.0.0.1:21129).
    const IMPORTING: &str =
        include_str!("../../../cluster/tests/fixtures/nodes-conf/importing-fail.conf");
    /// A replica of the owner of 0-5460.
    const SIX_NODE_3: &str =
        include_str!("../../../cluster/tests/fixtures/nodes-conf/six-node-3.conf");

    fn cluster_node(nodes_conf: &str) -> TestNode {
        let args = ["--cluster-enabled".to_string(), "yes".to_string()];
        let config = match Config::from_args(&args, &mut |_| Ok(String::new())) {
            Ok(config) => config,
            Err(error) => panic!("config: {error}"),
        };
        let mut node = TestNode::with_config(config);
        let state = match ClusterState::load(ClusterConfig::default(), nodes_conf, node.now_ms, 11)
        {
            Ok(state) => state,
            Err(error) => panic!("nodes.conf: {error}"),
        };
        node.engine.node.cluster = Some(state);
        // Let the node declare cluster_state:ok (Redis waits 2 s).
        for _ in 0..30 {
            node.advance_ms(100);
            let now_ms = node.now_ms;
            if let Some(state) = node.engine.node.cluster.as_mut() {
                state.handle_tick(now_ms);
            }
        }
        node
    }

    #[test]
    fn cluster_routing_errors_while_queueing_abort() {
        let mut node = cluster_node(SIX_NODE_0);
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET hello x"), "+QUEUED\r\n");
        assert_eq!(
            raw(&mut node, "GET foo"),
            "-MOVED 12182 127.0.0.1:21131\r\n"
        );
        assert_eq!(
            raw(&mut node, "MSET a 1 b 2"),
            "-CROSSSLOT Keys in request don't hash to the same slot\r\n"
        );
        assert_eq!(raw(&mut node, "EXEC"), EXECABORT);
        assert_eq!(raw(&mut node, "GET hello"), "$-1\r\n");
        // All served here: runs.
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET hello x"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "GET hello"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "*2\r\n+OK\r\n$1\r\nx\r\n");
    }

    #[test]
    fn cluster_exec_is_routed_as_a_whole() {
        // Each queued command is fine alone, together they span two slots.
        let mut node = cluster_node(SIX_NODE_0);
        let local = (0..)
            .map(|n| format!("key{n}"))
            .find(|key| {
                let slot = shoal_keyspace::key_hash_slot(key.as_bytes());
                slot <= 5460 && slot != 866
            })
            .unwrap_or_default();
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET hello x"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, &format!("SET {local} 1")), "+QUEUED\r\n");
        assert_eq!(
            raw(&mut node, "EXEC"),
            "-CROSSSLOT Keys in request don't hash to the same slot\r\n"
        );
        // The transaction is gone; nothing ran.
        assert_eq!(raw(&mut node, "EXEC"), "-ERR EXEC without MULTI\r\n");
        assert_eq!(raw(&mut node, "GET hello"), "$-1\r\n");
        let stats = node.engine.node.stats.commands.get("exec").cloned();
        assert_eq!(stats.map(|stats| stats.rejected_calls), Some(1));
        // A slot lost between queueing and EXEC.
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET hello x"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "CLUSTER DELSLOTS 866"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "*2\r\n+OK\r\n+OK\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "PING"), "+QUEUED\r\n");
        assert_eq!(
            raw(&mut node, "GET hello"),
            "-CLUSTERDOWN Hash slot not served\r\n"
        );
        assert_eq!(raw(&mut node, "EXEC"), EXECABORT);
    }

    #[test]
    fn cluster_slot_lost_before_exec_discards_with_the_redirection() {
        let mut node = cluster_node(SIX_NODE_0);
        let other = connect(&mut node);
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "SET hello x"), "+QUEUED\r\n");
        assert_eq!(raw_as(&mut node, other, "CLUSTER DELSLOTS 866"), "+OK\r\n");
        assert_eq!(
            raw(&mut node, "EXEC"),
            "-CLUSTERDOWN Hash slot not served\r\n"
        );
        assert_eq!(raw(&mut node, "EXEC"), "-ERR EXEC without MULTI\r\n");
        assert_eq!(
            node.engine.node.stats.error_counts.get("CLUSTERDOWN"),
            Some(&1)
        );
    }

    #[test]
    fn cluster_asking_lasts_until_exec() {
        let mut node = cluster_node(IMPORTING);
        let key = (0..)
            .map(|n| format!("key{n}"))
            .find(|key| shoal_keyspace::key_hash_slot(key.as_bytes()) == 100)
            .unwrap_or_default();
        let moved = "-MOVED 100 127.0.0.1:21129\r\n";
        assert_eq!(raw(&mut node, "ASKING"), "+OK\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, &format!("SET {key} v")), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, &format!("GET {key}")), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "*2\r\n+OK\r\n$1\r\nv\r\n");
        // Over with the transaction.
        assert_eq!(raw(&mut node, &format!("GET {key}")), moved);
        // Without ASKING the queued command is redirected, which aborts.
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, &format!("GET {key}")), moved);
        assert_eq!(raw(&mut node, "EXEC"), EXECABORT);
        // A queued ASKING takes effect at EXEC only, and ends with it.
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "ASKING"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "*1\r\n+OK\r\n");
        assert_eq!(raw(&mut node, &format!("GET {key}")), moved);
    }

    #[test]
    fn cluster_replica_reads_unless_the_transaction_writes() {
        let mut node = cluster_node(SIX_NODE_3);
        assert_eq!(raw(&mut node, "READONLY"), "+OK\r\n");
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "GET foo"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "*1\r\n$-1\r\n");
        // A keyless write makes the whole transaction a write.
        assert_eq!(raw(&mut node, "MULTI"), "+OK\r\n");
        assert_eq!(raw(&mut node, "GET foo"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "FLUSHALL"), "+QUEUED\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "-MOVED 12182 127.0.0.1:21131\r\n");
        assert_eq!(raw(&mut node, "EXEC"), "-ERR EXEC without MULTI\r\n");
    }
}
