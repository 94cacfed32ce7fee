//! Cluster commands: the CLUSTER container (every 7.0 subcommand), ASKING,
//! READONLY and READWRITE; the routing guard every keyed command passes on a
//! cluster node (MOVED/ASK/CROSSSLOT/TRYAGAIN/CLUSTERDOWN, reference
//! `redis-cluster-7.0.md` §3.6–§3.7); the cluster-mode restriction of SELECT
//! (§3.8); and the data side of the state machine's effects (deleting the
//! keys of lost slots, flushing everything on CLUSTER RESET of a replica).
//!
//! The cluster itself — node table, slots, epochs, failure detection, the
//! bus — is `shoal_cluster::state::ClusterState`, reached through
//! `node.cluster` (`None` on a standalone node). This module only turns
//! arguments into calls on it and its results into RESP, with Redis 7.0's
//! exact argument-parsing errors (§3.1). It must never drain the state
//! machine's effects (the shell does, after each command batch, and calls
//! back [`delete_keys_in_slots`] / [`flush_all_data`] for the data ones),
//! decide routing itself (`shoal_cluster::routing` does), or touch sockets,
//! files or clocks.

use bytes::Bytes;
use shoal_cluster::bus::message::NodeFlags;
use shoal_cluster::routing::RouteFlags;
use shoal_cluster::state::{ClusterState, SetSlotAction, SLOT_COUNT};
use shoal_keyspace::key_hash_slot;
use shoal_resp::parse_i64_strict;

use crate::client::Client;
use crate::context::Ctx;
use crate::error::CommandError;
use crate::node::{Effect, Node};
use crate::table::{CommandResult, CommandSpec, Flags, Handler, KeySpec};

use super::connection::write_help;

const SLOW: &[&str] = &["slow"];
const ADMIN_SLOW: &[&str] = &["admin", "slow", "dangerous"];
const FAST_CONNECTION: &[&str] = &["fast", "connection"];

/// Read-only views (INFO, NODES, SLOTS, ...).
const VIEW: Flags = Flags::STALE;
/// Subcommands that change the cluster configuration.
const ADMIN: Flags = Flags::ADMIN
    .with(Flags::STALE)
    .with(Flags::NO_ASYNC_LOADING);
/// COUNT-FAILURE-REPORTS, REPLICAS, SLAVES: admin but no `no_async_loading`.
const ADMIN_VIEW: Flags = Flags::ADMIN.with(Flags::STALE);

/// "ERR This instance has cluster support disabled" (every CLUSTER
/// subcommand, ASKING, READONLY and READWRITE on a standalone node).
const DISABLED: &str = "This instance has cluster support disabled";

/// Rows of the cluster family.
pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "cluster",
        arity: -2,
        acl_categories: SLOW,
        group: "cluster",
        summary: "A container for cluster commands",
        since: "3.0.0",
        complexity: "Depends on subcommand.",
        subcommands: CLUSTER_SUBCOMMANDS,
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "asking",
        arity: 1,
        flags: Flags::FAST,
        acl_categories: FAST_CONNECTION,
        group: "cluster",
        summary: "Sent by cluster clients after an -ASK redirect",
        since: "3.0.0",
        handler: Some(asking),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "readonly",
        arity: 1,
        flags: Flags::LOADING.with(Flags::STALE).with(Flags::FAST),
        acl_categories: FAST_CONNECTION,
        group: "cluster",
        summary: "Enables read queries for a connection to a cluster replica node",
        since: "3.0.0",
        handler: Some(readonly),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "readwrite",
        arity: 1,
        flags: Flags::LOADING.with(Flags::STALE).with(Flags::FAST),
        acl_categories: FAST_CONNECTION,
        group: "cluster",
        summary: "Disables read queries for a connection to a cluster replica node",
        since: "3.0.0",
        handler: Some(readwrite),
        ..CommandSpec::DEFAULT
    },
];

/// A CLUSTER subcommand row (values from Redis 7.0.15 COMMAND INFO/DOCS).
#[allow(clippy::too_many_arguments)]
const fn sub(
    name: &'static str,
    arity: i32,
    flags: Flags,
    acl_categories: &'static [&'static str],
    summary: &'static str,
    since: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandSpec {
    CommandSpec::leaf(
        name,
        arity,
        flags,
        acl_categories,
        KeySpec::None,
        "cluster",
        summary,
        since,
        complexity,
        handler,
    )
}

const SLOTS_RANGE_COMPLEXITY: &str = "O(N) where N is the total number of the slots between the \
                                      start slot and end slot arguments.";

#[rustfmt::skip]
const CLUSTER_SUBCOMMANDS: &[CommandSpec] = &[
    sub("cluster|addslots", -3, ADMIN, ADMIN_SLOW,
        "Assign new hash slots to receiving node", "3.0.0",
        "O(N) where N is the total number of hash slot arguments", cluster_addslots),
    sub("cluster|addslotsrange", -4, ADMIN, ADMIN_SLOW,
        "Assign new hash slots to receiving node", "7.0.0",
        SLOTS_RANGE_COMPLEXITY, cluster_addslotsrange),
    sub("cluster|bumpepoch", 2, ADMIN, ADMIN_SLOW,
        "Advance the cluster config epoch", "3.0.0",
        "O(1)", cluster_bumpepoch),
    sub("cluster|count-failure-reports", 3, ADMIN_VIEW, ADMIN_SLOW,
        "Return the number of failure reports active for a given node", "3.0.0",
        "O(N) where N is the number of failure reports", cluster_count_failure_reports),
    sub("cluster|countkeysinslot", 3, VIEW, SLOW,
        "Return the number of local keys in the specified hash slot", "3.0.0",
        "O(1)", cluster_countkeysinslot),
    sub("cluster|delslots", -3, ADMIN, ADMIN_SLOW,
        "Set hash slots as unbound in receiving node", "3.0.0",
        "O(N) where N is the total number of hash slot arguments", cluster_delslots),
    sub("cluster|delslotsrange", -4, ADMIN, ADMIN_SLOW,
        "Set hash slots as unbound in receiving node", "7.0.0",
        SLOTS_RANGE_COMPLEXITY, cluster_delslotsrange),
    sub("cluster|failover", -2, ADMIN, ADMIN_SLOW,
        "Forces a replica to perform a manual failover of its master.", "3.0.0",
        "O(1)", cluster_failover),
    sub("cluster|flushslots", 2, ADMIN, ADMIN_SLOW,
        "Delete a node's own slots information", "3.0.0",
        "O(1)", cluster_flushslots),
    sub("cluster|forget", 3, ADMIN, ADMIN_SLOW,
        "Remove a node from the nodes table", "3.0.0",
        "O(1)", cluster_forget),
    sub("cluster|getkeysinslot", 4, VIEW, SLOW,
        "Return local key names in the specified hash slot", "3.0.0",
        "O(log(N)) where N is the number of requested keys", cluster_getkeysinslot),
    sub("cluster|help", 2, Flags::LOADING.with(Flags::STALE), SLOW,
        "Show helpful text about the different subcommands", "5.0.0",
        "O(1)", cluster_help),
    sub("cluster|info", 2, VIEW, SLOW,
        "Provides info about Redis Cluster node state", "3.0.0",
        "O(1)", cluster_info),
    sub("cluster|keyslot", 3, VIEW, SLOW,
        "Returns the hash slot of the specified key", "3.0.0",
        "O(N) where N is the number of bytes in the key", cluster_keyslot),
    sub("cluster|links", 2, VIEW, SLOW,
        "Returns a list of all TCP links to and from peer nodes in cluster", "7.0.0",
        "O(N) where N is the total number of Cluster nodes", cluster_links),
    sub("cluster|meet", -4, ADMIN, ADMIN_SLOW,
        "Force a node cluster to handshake with another node", "3.0.0",
        "O(1)", cluster_meet),
    sub("cluster|myid", 2, VIEW, SLOW,
        "Return the node id", "3.0.0",
        "O(1)", cluster_myid),
    sub("cluster|nodes", 2, VIEW, SLOW,
        "Get Cluster config for the node", "3.0.0",
        "O(N) where N is the total number of Cluster nodes", cluster_nodes),
    sub("cluster|replicas", 3, ADMIN_VIEW, ADMIN_SLOW,
        "List replica nodes of the specified master node", "5.0.0",
        "O(1)", cluster_replicas),
    sub("cluster|replicate", 3, ADMIN, ADMIN_SLOW,
        "Reconfigure a node as a replica of the specified master node", "3.0.0",
        "O(1)", cluster_replicate),
    sub("cluster|reset", -2, Flags::ADMIN.with(Flags::NOSCRIPT).with(Flags::STALE), ADMIN_SLOW,
        "Reset a Redis Cluster node", "3.0.0",
        "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a \
         side effect.", cluster_reset),
    sub("cluster|saveconfig", 2, ADMIN, ADMIN_SLOW,
        "Forces the node to save cluster state on disk", "3.0.0",
        "O(1)", cluster_saveconfig),
    sub("cluster|set-config-epoch", 3, ADMIN, ADMIN_SLOW,
        "Set the configuration epoch in a new node", "3.0.0",
        "O(1)", cluster_set_config_epoch),
    sub("cluster|setslot", -4, ADMIN, ADMIN_SLOW,
        "Bind a hash slot to a specific node", "3.0.0",
        "O(1)", cluster_setslot),
    sub("cluster|shards", 2, VIEW, SLOW,
        "Get array of cluster slots to node mappings", "7.0.0",
        "O(N) where N is the total number of cluster nodes", cluster_shards),
    sub("cluster|slaves", 3, ADMIN_VIEW, ADMIN_SLOW,
        "List replica nodes of the specified master node", "3.0.0",
        "O(1)", cluster_replicas),
    sub("cluster|slots", 2, VIEW, SLOW,
        "Get array of Cluster slot to node mappings", "3.0.0",
        "O(N) where N is the total number of Cluster nodes", cluster_slots),
];

// ---------------------------------------------------------------------------
// Hooks called by the dispatcher (engine.rs).
// ---------------------------------------------------------------------------

/// The routing guard (Redis `processCommand` → `getNodeByQuery`, §3.6): on a
/// cluster node, a command with key arguments (channels for SSUBSCRIBE,
/// SUNSUBSCRIBE, SPUBLISH) runs only if this node serves their slot;
/// otherwise the error is the redirection (`MOVED 866 127.0.0.1:7001`, ...),
/// which the dispatcher counts as a rejected call and in errorstats under its
/// prefix, as Redis does. `asking` is the client's one-shot ASKING flag for
/// this command. Keyless commands, and every command on a standalone node,
/// always pass.
pub(crate) fn route(
    node: &mut Node,
    client: &Client,
    spec: &'static CommandSpec,
    args: &[Bytes],
    asking: bool,
    now_ms: i64,
) -> CommandResult {
    let Node {
        cluster, keyspace, ..
    } = node;
    let Some(state) = cluster.as_ref() else {
        return Ok(());
    };
    if matches!(spec.keys, KeySpec::None) {
        return Ok(());
    }
    let keys: Vec<&[u8]> = spec
        .keys
        .key_indexes(args)
        .into_iter()
        .filter_map(|index| args.get(index))
        .map(|key| key.as_ref())
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    let flags = RouteFlags {
        write: spec.flags.contains(Flags::WRITE),
        // MULTI/EXEC does not exist yet: no queued transaction to consider.
        exec_has_write: false,
        readonly_client: client.readonly,
        // Redis's `asking` command flag (RESTORE-ASKING, which MIGRATE
        // sends to the target of a slot migration).
        asking: asking || spec.flags.contains(Flags::ASKING),
        pubsub_shard: matches!(spec.name, "ssubscribe" | "sunsubscribe" | "spublish"),
        migrate: spec.name == "migrate",
        // No TLS: the client port is always the plaintext one.
        use_pport: false,
    };
    // Redis checks existence in DB 0 without touching the key (the only
    // database a cluster node has).
    let db = keyspace.db_mut(0);
    let route = shoal_cluster::routing::route(state, &keys, flags, |key| db.contains(key, now_ms));
    match route.error_text() {
        None => Ok(()),
        Some(text) => Err(CommandError::Custom(text)),
    }
}

/// Runs just before a handler: on a cluster node SELECT accepts only DB 0
/// (§3.8), and RESET drops READONLY (Redis `clearClientConnectionState`; the
/// ASKING flag was already consumed by the dispatcher).
pub(crate) fn prepare(
    node: &Node,
    client: &mut Client,
    spec: &'static CommandSpec,
    handler: Handler,
) -> Handler {
    match spec.name {
        "reset" => {
            client.readonly = false;
            handler
        }
        "select" if node.config.get_bool("cluster-enabled") => select_in_cluster,
        _ => handler,
    }
}

/// SELECT on a cluster node (Redis `selectCommand`): the index is parsed as a
/// C `int` first (`getIntFromObjectOrReply`, with its own out-of-range
/// error); any index but 0 is then refused, before the database range check.
fn select_in_cluster(ctx: &mut Ctx<'_>) -> CommandResult {
    let index = ctx.arg_i64(1)?;
    if i32::try_from(index).is_err() {
        return Err(CommandError::err(
            "value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    if index != 0 {
        return Err(CommandError::err("SELECT is not allowed in cluster mode"));
    }
    ctx.client.db = 0;
    ctx.out.ok();
    Ok(())
}

// ---------------------------------------------------------------------------
// Data side of the state machine's effects (called by the shell).
// ---------------------------------------------------------------------------

/// Deletes every key of `slots` in DB 0 (the state machine's
/// `Effect::DeleteKeysInSlots`, Redis `delKeysInSlot`): each deleted key
/// counts as a change. Returns how many keys were deleted. Out-of-range slots
/// are ignored.
pub fn delete_keys_in_slots(node: &mut Node, slots: &[u16]) -> usize {
    let db = node.keyspace.db_mut(0);
    let deleted: usize = slots.iter().map(|&slot| db.clear_slot(slot)).sum();
    node.dirty += deleted as u64;
    deleted
}

/// Empties every database (the state machine's `Effect::FlushAllData`, sent
/// by CLUSTER RESET on a replica; Redis `emptyData`, which does not count
/// changes). Returns how many keys there were.
pub fn flush_all_data(node: &mut Node) -> usize {
    crate::commands::transaction::signal_flushed_db(node, None);
    node.keyspace.clear_all()
}

/// The slots of DB 0 that hold keys, ascending: the input of
/// `ClusterState::verify_config_with_data` at startup (§6.13).
pub fn slots_with_keys(node: &Node) -> Vec<u16> {
    let db = node.keyspace.db(0);
    (0..SLOT_COUNT as u16)
        .filter(|&slot| db.slot_len(slot) > 0)
        .collect()
}

// ---------------------------------------------------------------------------
// Argument parsing shared by the subcommands.
// ---------------------------------------------------------------------------

fn disabled() -> CommandError {
    CommandError::err(DISABLED)
}

/// The state machine, or the "cluster support disabled" error that every
/// cluster command gives first on a standalone node.
fn state(node: &mut Node) -> Result<&mut ClusterState, CommandError> {
    node.cluster.as_mut().ok_or_else(disabled)
}

/// An error text from the state machine (already `ERR ...`).
fn state_error(text: String) -> CommandError {
    CommandError::Custom(text)
}

/// Redis `getSlotOrReply`: a strict integer in 0..16383.
fn parse_slot(arg: &[u8]) -> Result<u16, CommandError> {
    parse_i64_strict(arg)
        .filter(|slot| (0..SLOT_COUNT as i64).contains(slot))
        .map(|slot| slot as u16)
        .ok_or_else(|| CommandError::err("Invalid or out of range slot"))
}

/// A node id (or other text) argument as the state machine takes it.
fn text_arg(ctx: &Ctx<'_>, index: usize) -> String {
    String::from_utf8_lossy(ctx.arg(index)).into_owned()
}

use crate::commands::server::subcommand_syntax_error;

fn myself_is_replica(state: &ClusterState) -> bool {
    state
        .node_flags(&state.my_id())
        .is_some_and(|flags| flags.contains(NodeFlags::REPLICA))
}

// ---------------------------------------------------------------------------
// ASKING, READONLY, READWRITE (§3.4).
// ---------------------------------------------------------------------------

fn asking(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    ctx.client.asking = true;
    ctx.out.ok();
    Ok(())
}

fn readonly(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    ctx.client.readonly = true;
    ctx.out.ok();
    Ok(())
}

fn readwrite(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    ctx.client.readonly = false;
    ctx.out.ok();
    Ok(())
}

// ---------------------------------------------------------------------------
// Views (§3.2).
// ---------------------------------------------------------------------------

fn cluster_info(ctx: &mut Ctx<'_>) -> CommandResult {
    let text = state(ctx.node)?.cluster_info_text();
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn cluster_myid(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = state(ctx.node)?.my_id();
    ctx.out.bulk(id.as_bytes());
    Ok(())
}

fn cluster_nodes(ctx: &mut Ctx<'_>) -> CommandResult {
    let text = state(ctx.node)?.cluster_nodes_text(false);
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn cluster_slots(ctx: &mut Ctx<'_>) -> CommandResult {
    let ranges = state(ctx.node)?.slots_view(false);
    let out = &mut *ctx.out;
    out.array(ranges.len());
    for range in &ranges {
        out.array(3 + range.replicas.len());
        out.integer(i64::from(range.start));
        out.integer(i64::from(range.end));
        for node in std::iter::once(&range.primary).chain(&range.replicas) {
            out.array(4);
            match &node.endpoint {
                Some(endpoint) => out.bulk(endpoint.as_bytes()),
                // `unknown-endpoint`: a null, unlike SHARDS' empty string.
                None => out.null(),
            }
            out.integer(i64::from(node.port));
            out.bulk(node.id.as_bytes());
            out.map(node.metadata.len());
            for (key, value) in &node.metadata {
                out.bulk(key.as_bytes());
                out.bulk(value.as_bytes());
            }
        }
    }
    Ok(())
}

fn cluster_shards(ctx: &mut Ctx<'_>) -> CommandResult {
    let shards = state(ctx.node)?.shards_view();
    let out = &mut *ctx.out;
    out.array(shards.len());
    for shard in &shards {
        out.map(2);
        out.bulk(b"slots");
        out.array(shard.slots.len() * 2);
        for &(start, end) in &shard.slots {
            out.integer(i64::from(start));
            out.integer(i64::from(end));
        }
        out.bulk(b"nodes");
        out.array(shard.nodes.len());
        for node in &shard.nodes {
            // Redis `addNodeDetailsToShardReply`: optional keys are left out.
            let fields = 6
                + usize::from(node.port.is_some())
                + usize::from(node.tls_port.is_some())
                + usize::from(node.hostname.is_some());
            out.map(fields);
            out.bulk(b"id");
            out.bulk(node.id.as_bytes());
            if let Some(port) = node.port {
                out.bulk(b"port");
                out.integer(i64::from(port));
            }
            if let Some(port) = node.tls_port {
                out.bulk(b"tls-port");
                out.integer(i64::from(port));
            }
            out.bulk(b"ip");
            out.bulk(node.ip.as_bytes());
            out.bulk(b"endpoint");
            out.bulk(node.endpoint.as_bytes());
            if let Some(hostname) = &node.hostname {
                out.bulk(b"hostname");
                out.bulk(hostname.as_bytes());
            }
            out.bulk(b"role");
            out.bulk(node.role.as_bytes());
            out.bulk(b"replication-offset");
            out.integer(i64::try_from(node.replication_offset).unwrap_or(i64::MAX));
            out.bulk(b"health");
            out.bulk(node.health.as_bytes());
        }
    }
    Ok(())
}

fn cluster_links(ctx: &mut Ctx<'_>) -> CommandResult {
    let links = state(ctx.node)?.links_view();
    let out = &mut *ctx.out;
    out.array(links.len());
    for link in &links {
        out.map(6);
        out.bulk(b"direction");
        out.bulk(link.direction.as_bytes());
        out.bulk(b"node");
        out.bulk(link.node.as_bytes());
        out.bulk(b"create-time");
        out.integer(link.create_time_ms);
        out.bulk(b"events");
        out.bulk(link.events.as_bytes());
        out.bulk(b"send-buffer-allocated");
        out.integer(i64::try_from(link.send_buffer_allocated).unwrap_or(i64::MAX));
        out.bulk(b"send-buffer-used");
        out.integer(i64::try_from(link.send_buffer_used).unwrap_or(i64::MAX));
    }
    Ok(())
}

fn cluster_replicas(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = text_arg(ctx, 2);
    let lines = state(ctx.node)?
        .replicas_text(&id, false)
        .map_err(state_error)?;
    ctx.out.array(lines.len());
    for line in &lines {
        ctx.out.bulk(line.as_bytes());
    }
    Ok(())
}

fn cluster_count_failure_reports(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = text_arg(ctx, 2);
    let now_ms = ctx.now_ms;
    let count = state(ctx.node)?
        .count_failure_reports(now_ms, &id)
        .map_err(state_error)?;
    ctx.out.integer(count as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// Keys and slots of this node's data.
// ---------------------------------------------------------------------------

fn cluster_keyslot(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    let slot = key_hash_slot(ctx.arg(2));
    ctx.out.integer(i64::from(slot));
    Ok(())
}

fn cluster_countkeysinslot(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    let slot = ctx.arg_i64(2)?;
    if !(0..SLOT_COUNT as i64).contains(&slot) {
        return Err(CommandError::err("Invalid slot"));
    }
    let count = ctx.node.keyspace.db(0).slot_len(slot as u16);
    ctx.out.integer(count as i64);
    Ok(())
}

fn cluster_getkeysinslot(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    let slot = ctx.arg_i64(2)?;
    let max_keys = ctx.arg_i64(3)?;
    if !(0..SLOT_COUNT as i64).contains(&slot) || max_keys < 0 {
        return Err(CommandError::err("Invalid slot or number of keys"));
    }
    let count = usize::try_from(max_keys).unwrap_or(usize::MAX);
    let keys = ctx.node.keyspace.db(0).keys_in_slot(slot as u16, count);
    ctx.out.array(keys.len());
    for key in &keys {
        ctx.out.bulk(key);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Configuration changes (§3.1, §3.3).
// ---------------------------------------------------------------------------

fn cluster_meet(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    if ctx.args.len() > 5 {
        return Err(subcommand_syntax_error(ctx));
    }
    let ip = text_arg(ctx, 2);
    let Some(port) = parse_i64_strict(ctx.arg(3)) else {
        return Err(CommandError::err_with_arg(
            "Invalid TCP base port specified: ",
            ctx.arg(3),
            "",
        ));
    };
    let bus_port = match ctx.args.get(4) {
        Some(arg) => parse_i64_strict(arg).ok_or_else(|| {
            CommandError::err_with_arg("Invalid TCP bus port specified: ", arg, "")
        })?,
        // CLUSTER_PORT_INCR; out-of-range sums fail the address check.
        None => port.saturating_add(10_000),
    };
    let now_ms = ctx.now_ms;
    state(ctx.node)?
        .meet(now_ms, &ip, port, bus_port)
        .map_err(state_error)?;
    ctx.out.ok();
    Ok(())
}

fn cluster_addslots(ctx: &mut Ctx<'_>) -> CommandResult {
    update_slots(ctx, false)
}

fn cluster_delslots(ctx: &mut Ctx<'_>) -> CommandResult {
    update_slots(ctx, true)
}

/// ADDSLOTS / DELSLOTS: every argument is parsed before any is checked
/// against the slot table (Redis `clusterCommand`).
fn update_slots(ctx: &mut Ctx<'_>, del: bool) -> CommandResult {
    state(ctx.node)?;
    let slots = ctx.args[2..]
        .iter()
        .map(|arg| parse_slot(arg))
        .collect::<Result<Vec<u16>, _>>()?;
    let now_ms = ctx.now_ms;
    let state = state(ctx.node)?;
    let result = if del {
        state.del_slots(now_ms, &slots)
    } else {
        state.add_slots(now_ms, &slots)
    };
    result.map_err(state_error)?;
    ctx.out.ok();
    Ok(())
}

fn cluster_addslotsrange(ctx: &mut Ctx<'_>) -> CommandResult {
    update_slot_ranges(ctx, false)
}

fn cluster_delslotsrange(ctx: &mut Ctx<'_>) -> CommandResult {
    update_slot_ranges(ctx, true)
}

/// ADDSLOTSRANGE / DELSLOTSRANGE. Redis parses and checks pair by pair, so a
/// bad number in a later pair is reported only if the earlier pairs are valid:
/// on a parse error the valid prefix is checked on a throwaway copy of the
/// state, which gives the state machine's own error for it if any.
fn update_slot_ranges(ctx: &mut Ctx<'_>, del: bool) -> CommandResult {
    state(ctx.node)?;
    if ctx.args.len() % 2 == 1 {
        return Err(CommandError::WrongArity(ctx.spec.name.to_string()));
    }
    let mut ranges = Vec::with_capacity((ctx.args.len() - 2) / 2);
    let mut parse_error = None;
    for pair in ctx.args[2..].chunks_exact(2) {
        match (parse_slot(&pair[0]), parse_slot(&pair[1])) {
            (Ok(start), Ok(end)) => ranges.push((start, end)),
            (Err(error), _) | (_, Err(error)) => {
                parse_error = Some(error);
                break;
            }
        }
    }
    let now_ms = ctx.now_ms;
    let state = state(ctx.node)?;
    let apply = |state: &mut ClusterState, ranges: &[(u16, u16)]| {
        if del {
            state.del_slots_range(now_ms, ranges)
        } else {
            state.add_slots_range(now_ms, ranges)
        }
    };
    if let Some(error) = parse_error {
        if !ranges.is_empty() {
            let mut probe = state.clone();
            apply(&mut probe, &ranges).map_err(state_error)?;
        }
        return Err(error);
    }
    apply(state, &ranges).map_err(state_error)?;
    ctx.out.ok();
    Ok(())
}

fn cluster_flushslots(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    let db_empty = ctx.node.keyspace.db(0).is_empty();
    let now_ms = ctx.now_ms;
    state(ctx.node)?
        .flush_slots(now_ms, db_empty)
        .map_err(state_error)?;
    ctx.out.ok();
    Ok(())
}

fn cluster_setslot(ctx: &mut Ctx<'_>) -> CommandResult {
    // Redis refuses replicas before even parsing the slot.
    if myself_is_replica(state(ctx.node)?) {
        return Err(CommandError::err("Please use SETSLOT only with masters."));
    }
    let slot = parse_slot(ctx.arg(2))?;
    let argc = ctx.args.len();
    let action = if ctx.arg_is(3, "migrating") && argc == 5 {
        SetSlotAction::Migrating(text_arg(ctx, 4))
    } else if ctx.arg_is(3, "importing") && argc == 5 {
        SetSlotAction::Importing(text_arg(ctx, 4))
    } else if ctx.arg_is(3, "stable") && argc == 4 {
        SetSlotAction::Stable
    } else if ctx.arg_is(3, "node") && argc == 5 {
        SetSlotAction::Node(text_arg(ctx, 4))
    } else {
        return Err(CommandError::err(
            "Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
        ));
    };
    let keys_in_slot = ctx.node.keyspace.db(0).slot_len(slot);
    let now_ms = ctx.now_ms;
    state(ctx.node)?
        .set_slot(now_ms, slot, action, keys_in_slot)
        .map_err(state_error)?;
    ctx.out.ok();
    Ok(())
}

fn cluster_bumpepoch(ctx: &mut Ctx<'_>) -> CommandResult {
    let now_ms = ctx.now_ms;
    let (bumped, epoch) = state(ctx.node)?.bump_epoch(now_ms);
    let word = if bumped { "BUMPED" } else { "STILL" };
    ctx.out.simple(&format!("{word} {epoch}"));
    Ok(())
}

fn cluster_set_config_epoch(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    let epoch = ctx.arg_i64(2)?;
    let now_ms = ctx.now_ms;
    state(ctx.node)?
        .set_config_epoch(now_ms, epoch)
        .map_err(state_error)?;
    ctx.out.ok();
    Ok(())
}

fn cluster_forget(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = text_arg(ctx, 2);
    let now_ms = ctx.now_ms;
    state(ctx.node)?.forget(now_ms, &id).map_err(state_error)?;
    ctx.out.ok();
    Ok(())
}

fn cluster_replicate(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    let id = text_arg(ctx, 2);
    let db_empty = ctx.node.keyspace.db(0).is_empty();
    let now_ms = ctx.now_ms;
    state(ctx.node)?
        .replicate(now_ms, &id, db_empty)
        .map_err(state_error)?;
    ctx.out.ok();
    Ok(())
}

fn cluster_reset(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    if ctx.args.len() > 3 {
        return Err(subcommand_syntax_error(ctx));
    }
    let hard = match ctx.args.get(2) {
        None => false,
        Some(_) if ctx.arg_is(2, "hard") => true,
        Some(_) if ctx.arg_is(2, "soft") => false,
        Some(_) => return Err(CommandError::Syntax),
    };
    // Redis looks at the client's database, which is DB 0 in cluster mode.
    let db_empty = ctx.db().is_empty();
    let now_ms = ctx.now_ms;
    state(ctx.node)?
        .reset(now_ms, hard, db_empty)
        .map_err(state_error)?;
    ctx.out.ok();
    Ok(())
}

/// CLUSTER SAVECONFIG: the shell writes and fsyncs nodes.conf when it drains
/// [`Effect::SaveClusterConfig`]. The reply cannot wait for the write, so a
/// failed write is logged by the shell instead of being Redis's
/// "ERR error saving the cluster node config: ..." reply.
fn cluster_saveconfig(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    ctx.node.effects.push(Effect::SaveClusterConfig);
    ctx.out.ok();
    Ok(())
}

/// CLUSTER FAILOVER [FORCE|TAKEOVER] (§6.10): the state machine implements
/// only the primary's side of a manual failover, so after Redis's checks a
/// replica answers with an error instead of starting one.
fn cluster_failover(ctx: &mut Ctx<'_>) -> CommandResult {
    state(ctx.node)?;
    if ctx.args.len() > 3 {
        return Err(subcommand_syntax_error(ctx));
    }
    let force = match ctx.args.get(2) {
        None => false,
        Some(_) if ctx.arg_is(2, "force") || ctx.arg_is(2, "takeover") => true,
        Some(_) => return Err(CommandError::Syntax),
    };
    let state = state(ctx.node)?;
    if state.is_primary() {
        return Err(CommandError::err(
            "You should send CLUSTER FAILOVER to a replica",
        ));
    }
    let Some(primary) = state.my_primary() else {
        return Err(CommandError::err(
            "I'm a replica but my master is unknown to me",
        ));
    };
    let primary_failed = state
        .node_flags(&primary)
        .is_some_and(|flags| flags.contains(NodeFlags::FAIL));
    if !force && primary_failed {
        return Err(CommandError::err(
            "Master is down or failed, please use CLUSTER FAILOVER FORCE",
        ));
    }
    Err(CommandError::err(
        "CLUSTER FAILOVER is not supported yet: replicas cannot start a failover",
    ))
}

fn cluster_help(ctx: &mut Ctx<'_>) -> CommandResult {
    const LINES: &[&str] = &[
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ADDSLOTS <slot> [<slot> ...]",
        "    Assign slots to current node.",
        "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Assign slots which are between <start-slot> and <end-slot> to current node.",
        "BUMPEPOCH",
        "    Advance the cluster config epoch.",
        "COUNT-FAILURE-REPORTS <node-id>",
        "    Return number of failure reports for <node-id>.",
        "COUNTKEYSINSLOT <slot>",
        "    Return the number of keys in <slot>.",
        "DELSLOTS <slot> [<slot> ...]",
        "    Delete slots information from current node.",
        "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Delete slots information which are between <start-slot> and <end-slot> from \
         current node.",
        "FAILOVER [FORCE|TAKEOVER]",
        "    Promote current replica node to being a master.",
        "FORGET <node-id>",
        "    Remove a node from the cluster.",
        "GETKEYSINSLOT <slot> <count>",
        "    Return key names stored by current node in a slot.",
        "FLUSHSLOTS",
        "    Delete current node own slots information.",
        "INFO",
        "    Return information about the cluster.",
        "KEYSLOT <key>",
        "    Return the hash slot for <key>.",
        "MEET <ip> <port> [<bus-port>]",
        "    Connect nodes into a working cluster.",
        "MYID",
        "    Return the node id.",
        "NODES",
        "    Return cluster configuration seen by node. Output format:",
        "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
        "REPLICATE <node-id>",
        "    Configure current node as replica to <node-id>.",
        "RESET [HARD|SOFT]",
        "    Reset current node (default: soft).",
        "SET-CONFIG-EPOCH <epoch>",
        "    Set config epoch of current node.",
        "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
        "    Set slot state.",
        "REPLICAS <node-id>",
        "    Return <node-id> replicas.",
        "SAVECONFIG",
        "    Force saving cluster configuration on disk.",
        "SLOTS",
        "    Return information about slots range mappings. Each range is made of:",
        "    start, end, master and replicas IP addresses, ports and ids",
        "SHARDS",
        "    Return information about slot range mappings and the nodes associated with them.",
        "LINKS",
        "    Return information about all network links between this node and its peers.",
        "    Output format is an array where each array element is a map containing attributes \
         of a link",
        "HELP",
        "    Prints this help.",
    ];
    state(ctx.node)?;
    write_help(ctx, LINES);
    Ok(())
}

#[cfg(test)]
mod tests {
    use shoal_cluster::bus::message::NodeId;
    use shoal_cluster::state::{ClusterConfig, ClusterState};
    use shoal_config::Config;
    use shoal_keyspace::{StringValue, Value};
    use shoal_resp::Frame;

    use super::*;
    use crate::testing::{bulk, error, simple, TestNode};

    /// Real nodes.conf files written by Redis 7.0.15 (crates/cluster fixtures).
    const SIX_NODE_0: &str =
        include_str!("../../../cluster/tests/fixtures/nodes-conf/six-node-0.conf");
    const SIX_NODE_3: &str =
        include_str!("../../../cluster/tests/fixtures/nodes-conf/six-node-3.conf");
    const MIGRATING: &str =
        include_str!("../../../cluster/tests/fixtures/nodes-conf/migrating-hostname-fail.conf");
    const IMPORTING: &str =
        include_str!("../../../cluster/tests/fixtures/nodes-conf/importing-fail.conf");

    /// Owns 0-5460 (`hello`, slot 866) at 127.0.0.1:21129.
    const NODE_A: &str = "eed1c5a152de2255c860576d1eb46e5d914eb158";
    /// Owns 5461-10922 at 127.0.0.1:21130.
    const NODE_B: &str = "6562247ec6ba5acad3a32d8b49981d9b4754c261";
    /// Owns 10923-16383 (`foo`, slot 12182) at 127.0.0.1:21131.
    const NODE_C: &str = "884adf177123810d39b8f1ac4c9df30591158c67";
    /// Replica of NODE_A.
    const REPLICA_OF_A: &str = "5c0f6924ba7a5761ebc1dfc027b3807843810c7f";
    const FRESH_ID: &str = "93d07cd6562769b8c6111a8d2ff604ddaa855879";

    fn cluster_enabled_config() -> Config {
        let args = ["--cluster-enabled".to_string(), "yes".to_string()];
        match Config::from_args(&args, &mut |_| Ok(String::new())) {
            Ok(config) => config,
            Err(error) => panic!("config: {error}"),
        }
    }

    /// A fresh cluster node (no slots, knows only itself), as the shell
    /// creates it when there is no nodes.conf.
    fn fresh() -> TestNode {
        let mut node = TestNode::with_config(cluster_enabled_config());
        let id = NodeId::parse(FRESH_ID);
        let state = ClusterState::new(ClusterConfig::default(), id, node.now_ms, 11);
        node.engine.node.cluster = Some(state);
        node
    }

    /// A cluster node restored from a nodes.conf text.
    fn loaded(text: &str) -> TestNode {
        let mut node = TestNode::with_config(cluster_enabled_config());
        let state = match ClusterState::load(ClusterConfig::default(), text, node.now_ms, 11) {
            Ok(state) => state,
            Err(error) => panic!("nodes.conf: {error}"),
        };
        node.engine.node.cluster = Some(state);
        node
    }

    fn state(node: &mut TestNode) -> &mut ClusterState {
        match node.engine.node.cluster.as_mut() {
            Some(state) => state,
            None => panic!("not a cluster node"),
        }
    }

    /// Runs the state machine's cron for three seconds: long enough for a
    /// primary that just got full coverage to declare `cluster_state:ok`
    /// (Redis waits 2 s, `CLUSTER_WRITABLE_DELAY`).
    fn settle(node: &mut TestNode) {
        for _ in 0..30 {
            node.advance_ms(100);
            let now_ms = node.now_ms;
            state(node).handle_tick(now_ms);
        }
    }

    /// A fresh node owning every slot, with `cluster_state:ok`.
    fn single_node_cluster() -> TestNode {
        let mut node = fresh();
        assert_eq!(node.run("CLUSTER ADDSLOTSRANGE 0 16383"), simple("OK"));
        settle(&mut node);
        assert!(state(&mut node).cluster_ok());
        node
    }

    fn loaded_ok(text: &str) -> TestNode {
        let mut node = loaded(text);
        settle(&mut node);
        assert!(state(&mut node).cluster_ok());
        node
    }

    /// A key whose hash slot is `slot`.
    fn key_in_slot(slot: u16) -> String {
        (0..1_000_000)
            .map(|i| format!("key:{i}"))
            .find(|key| key_hash_slot(key.as_bytes()) == slot)
            .unwrap_or_default()
    }

    fn put(node: &mut TestNode, key: &str) {
        let now_ms = node.now_ms;
        let value = Value::String(StringValue::from_bytes(b"v"));
        node.engine
            .node
            .keyspace
            .db_mut(0)
            .set(key.as_bytes(), value, false, now_ms);
    }

    fn text(frame: Frame) -> String {
        match frame {
            Frame::Bulk(bytes) | Frame::Verbatim(_, bytes) => {
                String::from_utf8_lossy(&bytes).into_owned()
            }
            other => panic!("not a string reply: {other:?}"),
        }
    }

    fn items(frame: Frame) -> Vec<Frame> {
        match frame {
            Frame::Array(items) => items,
            other => panic!("not an array: {other:?}"),
        }
    }

    fn error_count(node: &TestNode, code: &str) -> u64 {
        node.engine
            .node
            .stats
            .error_counts
            .get(code)
            .copied()
            .unwrap_or(0)
    }

    fn command_stats(node: &TestNode, name: &str) -> (u64, u64, u64) {
        let stats = node
            .engine
            .node
            .stats
            .commands
            .get(name)
            .cloned()
            .unwrap_or_default();
        (stats.calls, stats.rejected_calls, stats.failed_calls)
    }

    #[test]
    fn standalone_refuses_every_cluster_command() {
        let mut node = TestNode::new();
        let disabled = error("ERR This instance has cluster support disabled");
        for line in [
            "CLUSTER INFO",
            "CLUSTER HELP",
            "CLUSTER KEYSLOT foo",
            "CLUSTER ADDSLOTS 1",
            "CLUSTER MEET 127.0.0.1 x",
            "CLUSTER SETSLOT x foo",
            "CLUSTER FAILOVER foo bar",
            "ASKING",
            "READONLY",
            "READWRITE",
        ] {
            assert_eq!(node.run(line), disabled, "{line}");
        }
        // The table's checks come first, as in Redis.
        assert_eq!(
            node.run("CLUSTER foo"),
            error("ERR unknown subcommand 'foo'. Try CLUSTER HELP.")
        );
        assert_eq!(
            node.run("CLUSTER KEYSLOT"),
            error("ERR wrong number of arguments for 'cluster|keyslot' command")
        );
        assert_eq!(
            node.run("CLUSTER"),
            error("ERR wrong number of arguments for 'cluster' command")
        );
        // No routing without a cluster: any key is served.
        assert_eq!(node.run("SET foo bar"), simple("OK"));
        assert_eq!(node.run("SELECT 1"), simple("OK"));
    }

    #[test]
    fn info_myid_nodes_keyslot() {
        let mut node = fresh();
        assert_eq!(node.run("CLUSTER MYID"), bulk(FRESH_ID));
        let info = text(node.run("CLUSTER INFO"));
        assert_eq!(
            info,
            "cluster_state:fail\r\ncluster_slots_assigned:0\r\ncluster_slots_ok:0\r\n\
             cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\n\
             cluster_size:1\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n\
             cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n\
             total_cluster_links_buffer_limit_exceeded:0\r\n"
        );
        let nodes = text(node.run("CLUSTER NODES"));
        assert_eq!(
            nodes,
            format!("{FRESH_ID} :6379@16379 myself,master - 0 0 0 connected\n")
        );
        assert_eq!(node.run("CLUSTER KEYSLOT foo"), Frame::Integer(12182));
        assert_eq!(node.run("CLUSTER KEYSLOT hello"), Frame::Integer(866));
        assert_eq!(
            node.run("CLUSTER KEYSLOT {user1000}.following"),
            node.run("CLUSTER KEYSLOT user1000")
        );
        assert_eq!(node.run("CLUSTER KEYSLOT \"\""), Frame::Integer(0));
        // RESP3: INFO and NODES are verbatim text, as in Redis.
        node.run("HELLO 3");
        assert_eq!(
            node.run("CLUSTER INFO"),
            Frame::Verbatim("txt".into(), info.into_bytes())
        );
        assert_eq!(
            node.run("CLUSTER NODES"),
            Frame::Verbatim("txt".into(), nodes.into_bytes())
        );
        assert_eq!(node.run("CLUSTER MYID"), bulk(FRESH_ID));
    }

    #[test]
    fn info_section_and_hello_report_cluster_mode() {
        let mut node = fresh();
        assert_eq!(
            node.run("INFO cluster"),
            bulk("# Cluster\r\ncluster_enabled:1\r\n")
        );
        let clients = text(node.run("INFO clients"));
        assert!(
            clients.contains("\r\ncluster_connections:0\r\n"),
            "{clients}"
        );
        assert_eq!(node.run("CLUSTER MEET 127.0.0.1 7001"), simple("OK"));
        let clients = text(node.run("INFO clients"));
        assert!(
            clients.contains("\r\ncluster_connections:2\r\n"),
            "{clients}"
        );
        let hello = items(node.run("HELLO"));
        let mode = hello.iter().position(|field| *field == bulk("mode"));
        assert_eq!(
            mode.and_then(|index| hello.get(index + 1)),
            Some(&bulk("cluster"))
        );
    }

    #[test]
    fn help_lists_every_subcommand() {
        let mut node = fresh();
        let lines = items(node.run("CLUSTER HELP"));
        assert_eq!(lines.len(), 56);
        assert_eq!(
            lines.first(),
            Some(&simple(
                "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
            ))
        );
        assert_eq!(lines.last(), Some(&simple("    Prints this help.")));
        assert!(lines.contains(&simple(
            "    Delete slots information which are between <start-slot> and <end-slot> from \
             current node."
        )));
    }

    #[test]
    fn addslots_errors_and_atomicity() {
        let mut node = fresh();
        let invalid = error("ERR Invalid or out of range slot");
        for line in [
            "CLUSTER ADDSLOTS abc",
            "CLUSTER ADDSLOTS 16384",
            "CLUSTER ADDSLOTS -1",
            "CLUSTER ADDSLOTS +1",
            "CLUSTER ADDSLOTS 01",
            "CLUSTER ADDSLOTS 1 2 99999999999999999999",
            "CLUSTER DELSLOTS x",
        ] {
            assert_eq!(node.run(line), invalid, "{line}");
        }
        assert_eq!(
            node.run("CLUSTER ADDSLOTS 1 1"),
            error("ERR Slot 1 specified multiple times")
        );
        assert_eq!(
            node.run("CLUSTER DELSLOTS 5"),
            error("ERR Slot 5 is already unassigned")
        );
        assert_eq!(node.run("CLUSTER ADDSLOTS 1"), simple("OK"));
        // All arguments are checked before any slot is taken.
        assert_eq!(
            node.run("CLUSTER ADDSLOTS 2 3 1"),
            error("ERR Slot 1 is already busy")
        );
        assert_eq!(state(&mut node).slot_owner(2), None);
        // A parse error anywhere wins over a busy slot (all parsed first).
        assert_eq!(node.run("CLUSTER ADDSLOTS 1 x"), invalid);
        assert_eq!(node.run("CLUSTER ADDSLOTS 2 3"), simple("OK"));
        assert_eq!(state(&mut node).my_slots(), vec![1, 2, 3]);
        assert_eq!(node.run("CLUSTER DELSLOTS 2"), simple("OK"));
        assert_eq!(state(&mut node).my_slots(), vec![1, 3]);
        // Each change asks the shell to persist nodes.conf.
        let mut persisted = false;
        while let Some(effect) = state(&mut node).poll_effect() {
            persisted |= matches!(effect, shoal_cluster::state::Effect::PersistConfig { .. });
        }
        assert!(persisted);
        let (calls, rejected, failed) = command_stats(&node, "cluster|addslots");
        assert_eq!((calls, rejected, failed), (11, 0, 9));
    }

    #[test]
    fn addslotsrange_and_delslotsrange() {
        let mut node = fresh();
        assert_eq!(
            node.run("CLUSTER ADDSLOTSRANGE 1 2 3"),
            error("ERR wrong number of arguments for 'cluster|addslotsrange' command")
        );
        assert_eq!(
            node.run("CLUSTER ADDSLOTSRANGE 1"),
            error("ERR wrong number of arguments for 'cluster|addslotsrange' command")
        );
        assert_eq!(
            node.run("CLUSTER ADDSLOTSRANGE 5 3"),
            error("ERR start slot number 5 is greater than end slot number 3")
        );
        assert_eq!(
            node.run("CLUSTER ADDSLOTSRANGE x 3"),
            error("ERR Invalid or out of range slot")
        );
        assert_eq!(
            node.run("CLUSTER ADDSLOTSRANGE 0 16384"),
            error("ERR Invalid or out of range slot")
        );
        // Pair by pair, as Redis: an earlier bad pair wins over a later parse error.
        assert_eq!(
            node.run("CLUSTER ADDSLOTSRANGE 5 3 x 1"),
            error("ERR start slot number 5 is greater than end slot number 3")
        );
        assert_eq!(node.run("CLUSTER ADDSLOTSRANGE 0 5 100 100"), simple("OK"));
        assert_eq!(
            node.run("CLUSTER ADDSLOTSRANGE 6 9 4 4 x 1"),
            error("ERR Slot 4 is already busy")
        );
        assert_eq!(
            node.run("CLUSTER ADDSLOTSRANGE 10 11 x 1"),
            error("ERR Invalid or out of range slot")
        );
        // The check of the valid prefix changed nothing.
        assert_eq!(state(&mut node).slot_owner(10), None);
        assert_eq!(
            node.run("CLUSTER ADDSLOTSRANGE 10 12 12 13"),
            error("ERR Slot 12 specified multiple times")
        );
        assert_eq!(state(&mut node).my_slot_count(), 7);
        assert_eq!(
            node.run("CLUSTER DELSLOTSRANGE 0 1 50 60"),
            error("ERR Slot 50 is already unassigned")
        );
        assert_eq!(node.run("CLUSTER DELSLOTSRANGE 0 1 100 100"), simple("OK"));
        assert_eq!(state(&mut node).my_slots(), vec![2, 3, 4, 5]);
        let (calls, rejected, failed) = command_stats(&node, "cluster|addslotsrange");
        // The odd count is the handler's arity error: a failed call, as in
        // Redis; too few arguments fail the table's arity check (rejected).
        assert_eq!((calls, rejected, failed), (9, 1, 8));
    }

    #[test]
    fn slots_shards_and_links_replies() {
        let mut node = fresh();
        assert_eq!(node.run("CLUSTER SLOTS"), Frame::Array(vec![]));
        assert_eq!(node.run("CLUSTER ADDSLOTSRANGE 0 5 100 100"), simple("OK"));
        let me = || {
            Frame::Array(vec![
                bulk(""),
                Frame::Integer(6379),
                bulk(FRESH_ID),
                Frame::Array(vec![]),
            ])
        };
        assert_eq!(
            node.run("CLUSTER SLOTS"),
            Frame::Array(vec![
                Frame::Array(vec![Frame::Integer(0), Frame::Integer(5), me()]),
                Frame::Array(vec![Frame::Integer(100), Frame::Integer(100), me()]),
            ])
        );
        // Same bytes as Redis 7.0.15 (a fresh node has no IP yet).
        assert_eq!(
            node.run("CLUSTER SHARDS"),
            Frame::Array(vec![Frame::Array(vec![
                bulk("slots"),
                Frame::Array([0, 5, 100, 100].into_iter().map(Frame::Integer).collect()),
                bulk("nodes"),
                Frame::Array(vec![Frame::Array(vec![
                    bulk("id"),
                    bulk(FRESH_ID),
                    bulk("port"),
                    Frame::Integer(6379),
                    bulk("ip"),
                    bulk(""),
                    bulk("endpoint"),
                    bulk(""),
                    bulk("role"),
                    bulk("master"),
                    bulk("replication-offset"),
                    Frame::Integer(0),
                    bulk("health"),
                    bulk("online"),
                ])]),
            ])])
        );
        assert_eq!(node.run("CLUSTER LINKS"), Frame::Array(vec![]));
        node.run("HELLO 3");
        let shards = items(node.run("CLUSTER SHARDS"));
        assert!(matches!(shards.first(), Some(Frame::Map(fields)) if fields.len() == 2));
        let slots = items(node.run("CLUSTER SLOTS"));
        let Some(Frame::Array(entry)) = slots.first() else {
            panic!("no slot range: {slots:?}");
        };
        let Some(Frame::Array(primary)) = entry.get(2) else {
            panic!("no primary: {entry:?}");
        };
        assert_eq!(primary.get(3), Some(&Frame::Map(vec![])));
    }

    #[test]
    fn loaded_cluster_views() {
        let mut node = loaded(SIX_NODE_0);
        assert_eq!(node.run("CLUSTER MYID"), bulk(NODE_A));
        let slots = items(node.run("CLUSTER SLOTS"));
        assert_eq!(slots.len(), 3);
        // Replicas with a zero replication offset are left out, as in Redis.
        assert_eq!(
            slots.first(),
            Some(&Frame::Array(vec![
                Frame::Integer(0),
                Frame::Integer(5460),
                Frame::Array(vec![
                    bulk("127.0.0.1"),
                    Frame::Integer(6379),
                    bulk(NODE_A),
                    Frame::Array(vec![]),
                ]),
            ]))
        );
        let shards = items(node.run("CLUSTER SHARDS"));
        assert_eq!(shards.len(), 3);
        for shard in shards {
            let fields = items(shard);
            let Some(Frame::Array(nodes)) = fields.get(3) else {
                panic!("no nodes: {fields:?}");
            };
            assert_eq!(nodes.len(), 2, "a primary and its replica");
        }
        let nodes = text(node.run("CLUSTER NODES"));
        assert_eq!(nodes.lines().count(), 6);
        assert!(nodes.ends_with('\n'));
        let replicas = items(node.run(&format!("CLUSTER REPLICAS {NODE_A}")));
        assert_eq!(replicas.len(), 1);
        let line = text(replicas.into_iter().next().unwrap_or(Frame::Null));
        assert!(line.starts_with(REPLICA_OF_A), "{line}");
        assert!(!line.ends_with('\n'));
        assert_eq!(
            node.run(&format!("CLUSTER SLAVES {REPLICA_OF_A}")),
            error("ERR The specified node is not a master")
        );
        assert_eq!(
            node.run(&format!("CLUSTER COUNT-FAILURE-REPORTS {NODE_C}")),
            Frame::Integer(0)
        );
        let known = |node: &mut TestNode| state(node).known_nodes();
        assert_eq!(known(&mut node), 6);
        assert_eq!(
            node.run(&format!("CLUSTER FORGET {NODE_A}")),
            error("ERR I tried hard but I can't forget myself...")
        );
        assert_eq!(node.run(&format!("CLUSTER FORGET {NODE_C}")), simple("OK"));
        assert_eq!(known(&mut node), 5);
        // Links appear once the cron connects to the peers.
        settle(&mut node);
        let links = items(node.run("CLUSTER LINKS"));
        assert!(!links.is_empty());
        for link in links {
            let fields = items(link);
            let keys: Vec<Frame> = fields.iter().step_by(2).cloned().collect();
            assert_eq!(
                keys,
                [
                    "direction",
                    "node",
                    "create-time",
                    "events",
                    "send-buffer-allocated",
                    "send-buffer-used"
                ]
                .map(bulk)
            );
            assert_eq!(fields.get(1), Some(&bulk("to")));
        }
    }

    #[test]
    fn unknown_nodes() {
        let mut node = fresh();
        for line in [
            "CLUSTER COUNT-FAILURE-REPORTS abc",
            "CLUSTER FORGET abc",
            "CLUSTER REPLICATE abc",
            "CLUSTER REPLICAS abc",
            "CLUSTER SLAVES abc",
        ] {
            assert_eq!(node.run(line), error("ERR Unknown node abc"), "{line}");
        }
        assert_eq!(
            node.run(&format!("CLUSTER REPLICATE {FRESH_ID}")),
            error("ERR Can't replicate myself")
        );
    }

    #[test]
    fn countkeysinslot_and_getkeysinslot() {
        let mut node = single_node_cluster();
        assert_eq!(node.run("SET foo 1"), simple("OK"));
        assert_eq!(node.run("SET {foo}bar 2"), simple("OK"));
        assert_eq!(node.run("SET hello 3"), simple("OK"));
        assert_eq!(node.run("CLUSTER COUNTKEYSINSLOT 12182"), Frame::Integer(2));
        assert_eq!(node.run("CLUSTER COUNTKEYSINSLOT 866"), Frame::Integer(1));
        assert_eq!(node.run("CLUSTER COUNTKEYSINSLOT 0"), Frame::Integer(0));
        let mut keys = items(node.run("CLUSTER GETKEYSINSLOT 12182 10"));
        keys.sort_by_key(|key| format!("{key:?}"));
        assert_eq!(keys, vec![bulk("foo"), bulk("{foo}bar")]);
        assert_eq!(items(node.run("CLUSTER GETKEYSINSLOT 12182 1")).len(), 1);
        assert_eq!(
            node.run("CLUSTER GETKEYSINSLOT 12182 0"),
            Frame::Array(vec![])
        );
        assert_eq!(
            node.run("CLUSTER GETKEYSINSLOT 866 9223372036854775807"),
            Frame::Array(vec![bulk("hello")])
        );
        let not_integer = error("ERR value is not an integer or out of range");
        assert_eq!(node.run("CLUSTER COUNTKEYSINSLOT x"), not_integer);
        assert_eq!(
            node.run("CLUSTER COUNTKEYSINSLOT 99999999999999999999"),
            not_integer
        );
        assert_eq!(
            node.run("CLUSTER COUNTKEYSINSLOT 16384"),
            error("ERR Invalid slot")
        );
        assert_eq!(
            node.run("CLUSTER COUNTKEYSINSLOT -1"),
            error("ERR Invalid slot")
        );
        let invalid = error("ERR Invalid slot or number of keys");
        assert_eq!(node.run("CLUSTER GETKEYSINSLOT 16384 1"), invalid);
        assert_eq!(node.run("CLUSTER GETKEYSINSLOT 1 -1"), invalid);
        assert_eq!(node.run("CLUSTER GETKEYSINSLOT x 1"), not_integer);
        assert_eq!(node.run("CLUSTER GETKEYSINSLOT 1 x"), not_integer);
        // Integer errors come before the range check of the other argument.
        assert_eq!(node.run("CLUSTER GETKEYSINSLOT 16384 x"), not_integer);
    }

    #[test]
    fn routing_follows_slot_ownership_and_cluster_state() {
        let mut node = fresh();
        let unbound = error("CLUSTERDOWN Hash slot not served");
        assert_eq!(node.run("GET foo"), unbound);
        assert_eq!(node.run("SET foo bar"), unbound);
        // The first key decides before the others are compared.
        assert_eq!(node.run("MSET a 1 b 2"), unbound);
        // Keyless commands always run.
        assert_eq!(node.run("PING"), simple("PONG"));
        assert_eq!(node.run("DBSIZE"), Frame::Integer(0));
        assert_eq!(error_count(&node, "CLUSTERDOWN"), 3);
        assert_eq!(command_stats(&node, "get"), (0, 1, 0));
        assert_eq!(command_stats(&node, "mset"), (0, 1, 0));

        assert_eq!(node.run("CLUSTER ADDSLOTSRANGE 0 16383"), simple("OK"));
        // Owned, but the state is still `fail` for CLUSTER_WRITABLE_DELAY.
        assert_eq!(
            node.run("GET foo"),
            error("CLUSTERDOWN The cluster is down")
        );
        settle(&mut node);
        assert_eq!(node.run("GET foo"), Frame::Null);
        assert_eq!(node.run("SET foo bar"), simple("OK"));
        assert_eq!(node.run("GET foo"), bulk("bar"));
        assert_eq!(
            node.run("MSET a 1 b 2"),
            error("CROSSSLOT Keys in request don't hash to the same slot")
        );
        assert_eq!(node.run("MSET {a}1 x {a}2 y a z"), simple("OK"));
        assert_eq!(error_count(&node, "CROSSSLOT"), 1);
        assert_eq!(command_stats(&node, "mset"), (1, 2, 0));
    }

    #[test]
    fn keys_owned_elsewhere_are_moved() {
        let mut node = loaded_ok(SIX_NODE_0);
        assert_eq!(node.run("GET foo"), error("MOVED 12182 127.0.0.1:21131"));
        assert_eq!(node.run("SET foo x"), error("MOVED 12182 127.0.0.1:21131"));
        assert_eq!(node.run("GET c"), error("MOVED 7365 127.0.0.1:21130"));
        assert_eq!(node.run("GET hello"), Frame::Null);
        assert_eq!(node.run("SET hello x"), simple("OK"));
        assert_eq!(error_count(&node, "MOVED"), 3);
        assert_eq!(command_stats(&node, "get"), (1, 2, 0));
        let errorstats = text(node.run("INFO errorstats"));
        assert!(
            errorstats.contains("errorstat_MOVED:count=3\r\n"),
            "{errorstats}"
        );
        // Shard channels route like keys.
        assert_eq!(
            node.run("SPUBLISH foo m"),
            error("MOVED 12182 127.0.0.1:21131")
        );
        assert_eq!(
            node.run("SSUBSCRIBE hello foo"),
            error("CROSSSLOT Keys in request don't hash to the same slot")
        );
        assert_eq!(node.run("SPUBLISH hello m"), Frame::Integer(0));
        // Reads stay local with READONLY only on replicas of the owner.
        assert_eq!(node.run("READONLY"), simple("OK"));
        assert_eq!(node.run("GET foo"), error("MOVED 12182 127.0.0.1:21131"));
    }

    #[test]
    fn migrating_slot_asks_for_missing_keys() {
        let mut node = loaded_ok(MIGRATING);
        let key = key_in_slot(100);
        let ask = error("ASK 100 127.0.0.1:21130");
        assert_eq!(node.run(&format!("GET {key}")), ask);
        put(&mut node, &key);
        assert_eq!(node.run(&format!("GET {key}")), bulk("v"));
        // One key here and one not: the client must retry later.
        let tagged = format!("{{{key}}}x");
        assert_eq!(key_hash_slot(tagged.as_bytes()), 100);
        assert_eq!(
            node.run(&format!("MGET {key} {tagged}")),
            error("TRYAGAIN Multiple keys request during rehashing of slot")
        );
        assert_eq!(error_count(&node, "ASK"), 1);
        assert_eq!(error_count(&node, "TRYAGAIN"), 1);
    }

    #[test]
    fn importing_slot_serves_after_asking_once() {
        let mut node = loaded_ok(IMPORTING);
        let key = key_in_slot(100);
        let moved = error("MOVED 100 127.0.0.1:21129");
        assert_eq!(node.run(&format!("GET {key}")), moved);
        assert_eq!(node.run("ASKING"), simple("OK"));
        assert_eq!(node.run(&format!("GET {key}")), Frame::Null);
        // ASKING is one-shot.
        assert_eq!(node.run(&format!("GET {key}")), moved);
        // Any command consumes it, even a rejected or keyless one.
        assert_eq!(node.run("ASKING"), simple("OK"));
        assert_eq!(node.run("PING"), simple("PONG"));
        assert_eq!(node.run(&format!("GET {key}")), moved);
        assert_eq!(node.run("ASKING"), simple("OK"));
        assert_eq!(node.run(&format!("SET {key} v")), simple("OK"));
        assert_eq!(node.run(&format!("GET {key}")), moved);
        assert_eq!(node.run("ASKING"), simple("OK"));
        assert_eq!(node.run(&format!("GET {key}")), bulk("v"));
    }

    /// MIGRATE's RESTORE-ASKING lands in an importing slot without a prior
    /// ASKING (Redis's `asking` command flag); plain RESTORE is redirected.
    #[test]
    fn restore_asking_lands_in_an_importing_slot() {
        let mut node = loaded_ok(IMPORTING);
        let key = key_in_slot(100);
        let payload = shoal_rdb::payload::dump(
            &shoal_keyspace::Value::String(shoal_keyspace::StringValue::from_bytes(b"moved")),
            true,
        );
        let restore = |node: &mut TestNode, command: &[u8]| {
            node.run_args(&[command, key.as_bytes(), b"0", &payload])
        };
        assert_eq!(
            restore(&mut node, b"RESTORE"),
            error("MOVED 100 127.0.0.1:21129")
        );
        assert_eq!(restore(&mut node, b"RESTORE-ASKING"), simple("OK"));
        assert_eq!(node.run("ASKING"), simple("OK"));
        assert_eq!(node.run(&format!("GET {key}")), bulk("moved"));
    }

    #[test]
    fn replica_serves_reads_only_in_readonly_mode() {
        let mut node = loaded_ok(SIX_NODE_3);
        let moved = error("MOVED 12182 127.0.0.1:21131");
        assert_eq!(node.run("GET foo"), moved);
        assert_eq!(node.run("READONLY"), simple("OK"));
        assert_eq!(node.run("GET foo"), Frame::Null);
        assert_eq!(node.run("SET foo x"), moved);
        // Not my primary's slot: still redirected.
        assert_eq!(node.run("GET hello"), error("MOVED 866 127.0.0.1:21129"));
        assert_eq!(node.run("READWRITE"), simple("OK"));
        assert_eq!(node.run("GET foo"), moved);
        assert_eq!(node.run("READONLY"), simple("OK"));
        assert_eq!(node.run("RESET"), simple("RESET"));
        assert_eq!(node.run("GET foo"), moved);
        // A replica refuses SETSLOT before looking at the slot, and FAILOVER
        // (the election side is not implemented) with an error.
        assert_eq!(
            node.run("CLUSTER SETSLOT x stable"),
            error("ERR Please use SETSLOT only with masters.")
        );
        assert_eq!(
            node.run("CLUSTER FAILOVER"),
            error("ERR CLUSTER FAILOVER is not supported yet: replicas cannot start a failover")
        );
        assert_eq!(
            node.run("CLUSTER FAILOVER bogus"),
            error("ERR syntax error")
        );
    }

    #[test]
    fn select_is_restricted_in_cluster_mode() {
        let mut node = fresh();
        let refused = error("ERR SELECT is not allowed in cluster mode");
        assert_eq!(node.run("SELECT 1"), refused);
        assert_eq!(node.run("SELECT -1"), refused);
        assert_eq!(node.run("SELECT 100"), refused);
        assert_eq!(node.run("SELECT 0"), simple("OK"));
        assert_eq!(
            node.run("SELECT x"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("SELECT 2147483648"),
            error("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        assert_eq!(command_stats(&node, "select"), (6, 0, 5));
        // Even without a state machine yet, the configuration decides.
        let mut bare = TestNode::with_config(cluster_enabled_config());
        assert_eq!(bare.run("SELECT 1"), refused);
        assert_eq!(
            bare.run("CLUSTER INFO"),
            error("ERR This instance has cluster support disabled")
        );
    }

    #[test]
    fn setslot() {
        let mut node = loaded_ok(SIX_NODE_0);
        assert_eq!(
            node.run("CLUSTER SETSLOT x stable"),
            error("ERR Invalid or out of range slot")
        );
        assert_eq!(
            node.run("CLUSTER SETSLOT 16384 stable"),
            error("ERR Invalid or out of range slot")
        );
        let bad_action =
            error("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
        for line in [
            "CLUSTER SETSLOT 1 foo",
            "CLUSTER SETSLOT 1 stable extra",
            "CLUSTER SETSLOT 1 node",
            "CLUSTER SETSLOT 1 migrating",
            "CLUSTER SETSLOT 1 importing a b",
        ] {
            assert_eq!(node.run(line), bad_action, "{line}");
        }
        assert_eq!(
            node.run("CLUSTER SETSLOT 1 importing abc"),
            error("ERR I'm already the owner of hash slot 1")
        );
        assert_eq!(
            node.run("CLUSTER SETSLOT 12182 importing abc"),
            error("ERR I don't know about node abc")
        );
        assert_eq!(
            node.run(&format!("CLUSTER SETSLOT 12182 MIGRATING {NODE_B}")),
            error("ERR I'm not the owner of hash slot 12182")
        );
        assert_eq!(
            node.run(&format!("CLUSTER SETSLOT 866 migrating {REPLICA_OF_A}")),
            error("ERR Target node is not a master")
        );
        assert_eq!(node.run("SET hello v"), simple("OK"));
        assert_eq!(
            node.run(&format!("CLUSTER SETSLOT 866 node {NODE_C}")),
            error(
                "ERR Can't assign hashslot 866 to a different node while I still hold keys for \
                 this hash slot."
            )
        );
        assert_eq!(
            node.run(&format!("CLUSTER SETSLOT 866 migrating {NODE_C}")),
            simple("OK")
        );
        let nodes = text(node.run("CLUSTER NODES"));
        assert!(nodes.contains(&format!("[866->-{NODE_C}]")), "{nodes}");
        assert_eq!(node.run("GET hello"), bulk("v"));
        assert_eq!(node.run("CLUSTER SETSLOT 866 stable"), simple("OK"));
        assert_eq!(state(&mut node).migrating(866), None);
        // Importing a slot owned elsewhere, then taking it over.
        assert_eq!(
            node.run(&format!("CLUSTER SETSLOT 12182 importing {NODE_C}")),
            simple("OK")
        );
        assert_eq!(
            node.run(&format!("CLUSTER SETSLOT 12182 node {NODE_A}")),
            simple("OK")
        );
        assert_eq!(state(&mut node).slot_owner(12182), NodeId::parse(NODE_A));
        assert_eq!(node.run("GET foo"), Frame::Null);
    }

    #[test]
    fn meet_parses_like_redis() {
        let mut node = fresh();
        assert_eq!(
            node.run("CLUSTER MEET 127.0.0.1 x"),
            error("ERR Invalid TCP base port specified: x")
        );
        assert_eq!(
            node.run("CLUSTER MEET 127.0.0.1 1 x"),
            error("ERR Invalid TCP bus port specified: x")
        );
        for (line, address) in [
            ("CLUSTER MEET 127.0.0.1 70000", "127.0.0.1:70000"),
            ("CLUSTER MEET foo 1", "foo:1"),
            ("CLUSTER MEET 127.0.0.1 0", "127.0.0.1:0"),
            ("CLUSTER MEET 127.0.0.1 -5", "127.0.0.1:-5"),
            ("CLUSTER MEET 127.0.0.1 60000", "127.0.0.1:60000"),
            (
                "CLUSTER MEET 127.0.0.1 9223372036854775807",
                "127.0.0.1:9223372036854775807",
            ),
        ] {
            assert_eq!(
                node.run(line),
                error(&format!("ERR Invalid node address specified: {address}")),
                "{line}"
            );
        }
        assert_eq!(
            node.run("CLUSTER Meet 127.0.0.1 1 2 3"),
            error(
                "ERR unknown subcommand or wrong number of arguments for 'Meet'. Try CLUSTER HELP."
            )
        );
        assert_eq!(
            node.run("CLUSTER MEET 127.0.0.1"),
            error("ERR wrong number of arguments for 'cluster|meet' command")
        );
        assert_eq!(node.run("CLUSTER MEET 127.0.0.1 7001"), simple("OK"));
        assert_eq!(node.run("CLUSTER MEET ::1 7002 17002"), simple("OK"));
        assert_eq!(state(&mut node).known_nodes(), 3);
        let nodes = text(node.run("CLUSTER NODES"));
        assert!(
            nodes.contains(" 127.0.0.1:7001@17001 handshake "),
            "{nodes}"
        );
        assert!(nodes.contains(" ::1:7002@17002 handshake "), "{nodes}");
    }

    #[test]
    fn epochs() {
        let mut node = fresh();
        assert_eq!(node.run("CLUSTER BUMPEPOCH"), simple("BUMPED 1"));
        assert_eq!(node.run("CLUSTER BUMPEPOCH"), simple("STILL 1"));
        assert_eq!(
            node.run("CLUSTER SET-CONFIG-EPOCH x"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("CLUSTER SET-CONFIG-EPOCH -1"),
            error("ERR Invalid config epoch specified: -1")
        );
        assert_eq!(
            node.run("CLUSTER SET-CONFIG-EPOCH 5"),
            error("ERR Node config epoch is already non-zero")
        );
        let mut other = fresh();
        assert_eq!(other.run("CLUSTER SET-CONFIG-EPOCH 5"), simple("OK"));
        let info = text(other.run("CLUSTER INFO"));
        assert!(info.contains("cluster_current_epoch:5\r\ncluster_my_epoch:5\r\n"));
        assert_eq!(other.run("CLUSTER MEET 127.0.0.1 7001"), simple("OK"));
        assert_eq!(
            other.run("CLUSTER SET-CONFIG-EPOCH 6"),
            error(
                "ERR The user can assign a config epoch only when the node does not know any \
                 other node."
            )
        );
    }

    #[test]
    fn failover_on_a_primary() {
        let mut node = fresh();
        let primary = error("ERR You should send CLUSTER FAILOVER to a replica");
        assert_eq!(node.run("CLUSTER FAILOVER"), primary);
        assert_eq!(node.run("CLUSTER FAILOVER force"), primary);
        assert_eq!(node.run("CLUSTER FAILOVER TAKEOVER"), primary);
        assert_eq!(node.run("CLUSTER FAILOVER foo"), error("ERR syntax error"));
        assert_eq!(
            node.run("CLUSTER Failover force x"),
            error(
                "ERR unknown subcommand or wrong number of arguments for 'Failover'. Try \
                 CLUSTER HELP."
            )
        );
    }

    #[test]
    fn reset_flushslots_replicate() {
        let mut node = single_node_cluster();
        assert_eq!(node.run("SET foo bar"), simple("OK"));
        assert_eq!(node.run("CLUSTER RESET foo"), error("ERR syntax error"));
        assert_eq!(
            node.run("CLUSTER RESET hard x"),
            error(
                "ERR unknown subcommand or wrong number of arguments for 'RESET'. Try CLUSTER \
                 HELP."
            )
        );
        assert_eq!(
            node.run("CLUSTER RESET"),
            error("ERR CLUSTER RESET can't be called with master nodes containing keys")
        );
        assert_eq!(
            node.run("CLUSTER FLUSHSLOTS"),
            error("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
        );
        assert_eq!(node.run("DEL foo"), Frame::Integer(1));
        assert_eq!(node.run("CLUSTER FLUSHSLOTS"), simple("OK"));
        assert_eq!(state(&mut node).my_slot_count(), 0);
        assert_eq!(node.run("CLUSTER ADDSLOTS 1"), simple("OK"));
        assert_eq!(node.run("CLUSTER RESET SOFT"), simple("OK"));
        assert_eq!(state(&mut node).my_slot_count(), 0);
        assert_eq!(node.run("CLUSTER MYID"), bulk(FRESH_ID));
        assert_eq!(node.run("CLUSTER RESET hard"), simple("OK"));
        assert_ne!(node.run("CLUSTER MYID"), bulk(FRESH_ID));

        // REPLICATE: a primary with keys or slots cannot become a replica.
        let mut node = loaded_ok(SIX_NODE_0);
        let refused =
            error("ERR To set a master the node must be empty and without assigned slots.");
        assert_eq!(node.run(&format!("CLUSTER REPLICATE {NODE_C}")), refused);
        assert_eq!(
            node.run(&format!("CLUSTER REPLICATE {REPLICA_OF_A}")),
            error("ERR I can only replicate a master, not a replica.")
        );
        assert_eq!(node.run("CLUSTER DELSLOTSRANGE 0 5460"), simple("OK"));
        assert_eq!(
            node.run(&format!("CLUSTER REPLICATE {NODE_C}")),
            simple("OK")
        );
        assert!(!state(&mut node).is_primary());
        assert_eq!(state(&mut node).my_primary(), NodeId::parse(NODE_C));
    }

    #[test]
    fn saveconfig_asks_the_shell_to_write_nodes_conf() {
        let mut node = fresh();
        node.engine.take_effects();
        assert_eq!(node.run("CLUSTER SAVECONFIG"), simple("OK"));
        assert_eq!(node.engine.take_effects(), vec![Effect::SaveClusterConfig]);
    }

    #[test]
    fn data_effects() {
        let mut node = single_node_cluster();
        for line in ["SET foo 1", "SET {foo}2 2", "SET hello 3", "SET a 4"] {
            assert_eq!(node.run(line), simple("OK"));
        }
        assert_eq!(slots_with_keys(&node.engine.node), vec![866, 12182, 15495]);
        let dirty = node.engine.node.dirty;
        assert_eq!(
            delete_keys_in_slots(&mut node.engine.node, &[12182, 866, 3, 16384, u16::MAX]),
            3
        );
        assert_eq!(node.engine.node.dirty, dirty + 3);
        assert_eq!(node.run("DBSIZE"), Frame::Integer(1));
        assert_eq!(slots_with_keys(&node.engine.node), vec![15495]);
        assert_eq!(flush_all_data(&mut node.engine.node), 1);
        assert_eq!(node.run("DBSIZE"), Frame::Integer(0));
        assert!(slots_with_keys(&node.engine.node).is_empty());
    }

    /// Parses reply bytes captured from a real Redis 7.0.15.
    fn redis_reply(bytes: &[u8]) -> Frame {
        match shoal_resp::parse_frame(bytes) {
            Ok(Some((frame, used))) if used == bytes.len() => frame,
            other => panic!("bad capture: {other:?}"),
        }
    }

    #[test]
    fn command_info_and_docs_match_redis() {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("COMMAND INFO asking readonly"),
            redis_reply(
                b"*2\r\n*10\r\n$6\r\nasking\r\n:1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n\
                  *2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n*10\r\n$8\r\nreadonly\r\n\
                  :1\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n\
                  +@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"
            )
        );
        assert_eq!(
            node.run("COMMAND INFO cluster|setslot"),
            redis_reply(
                b"*1\r\n*10\r\n$15\r\ncluster|setslot\r\n:-4\r\n*3\r\n+admin\r\n+stale\r\n\
                  +no_async_loading\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n\
                  +@dangerous\r\n*0\r\n*0\r\n*0\r\n"
            )
        );
        assert_eq!(
            node.run("COMMAND DOCS readwrite"),
            redis_reply(
                b"*2\r\n$9\r\nreadwrite\r\n*8\r\n$7\r\nsummary\r\n$64\r\nDisables read \
                  queries for a connection to a cluster replica node\r\n$5\r\nsince\r\n$5\r\n\
                  3.0.0\r\n$5\r\ngroup\r\n$7\r\ncluster\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n"
            )
        );
    }

    #[test]
    fn command_rows_match_redis() {
        let table = crate::commands::table();
        let Some(cluster) = table.get(b"CLUSTER") else {
            panic!("no CLUSTER row");
        };
        assert_eq!(cluster.subcommands.len(), 27);
        let Some(setslot) = cluster.subcommand(b"setslot") else {
            panic!("no SETSLOT row");
        };
        assert_eq!(
            setslot.flags.names(),
            ["admin", "stale", "no_async_loading"]
        );
        let Some(reset) = cluster.subcommand(b"RESET") else {
            panic!("no RESET row");
        };
        assert_eq!(reset.flags.names(), ["admin", "noscript", "stale"]);
        let Some(readonly) = table.get(b"readonly") else {
            panic!("no READONLY row");
        };
        assert_eq!(readonly.flags.names(), ["loading", "stale", "fast"]);
    }
}
