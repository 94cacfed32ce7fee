//! Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
//! SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, with Redis 7.0.15's replies.
//!
//! It owns the subscription bookkeeping on both sides: the node registry
//! (`Node::pubsub`, channel → subscriber ids) and each client's own sets
//! (`Client::pubsub_*`), which must always agree. It also owns the RESP2
//! "subscribed context" rule the dispatcher applies and message encoding.
//!
//! It never writes to another client's connection: messages for other
//! clients leave as `Effect::Deliver`, encoded for the receiver's protocol
//! (RESP2 array or RESP3 push). A publisher subscribed to its own channel gets
//! the message in its own reply stream, before the PUBLISH reply, as Redis
//! writes it (`addReplyPubsubMessage` runs before `addReplyLongLong`). It
//! never talks to the cluster bus either: a PUBLISH on a cluster node queues
//! `Effect::ClusterPublish`, and messages arriving from the bus come back in
//! through [`deliver_publish`], which does not propagate again.

use bytes::Bytes;
use shoal_keyspace::glob::string_match;
use shoal_keyspace::KeyEvent;
use shoal_resp::{Protocol, ReplyWriter};

use crate::client::{Client, ClientId, ReplyMode};
use crate::commands::server::subcommand_syntax_error;
use crate::context::Ctx;
use crate::error::CommandError;
use crate::node::{Effect, Node};
use crate::table::{CommandResult, CommandSpec, Flags, Handler, KeySpec};

const PUBSUB_SLOW: &[&str] = &["pubsub", "slow"];
const PUBSUB_FAST: &[&str] = &["pubsub", "fast"];

const SUBSCRIBE_FLAGS: Flags = Flags::PUBSUB
    .with(Flags::NOSCRIPT)
    .with(Flags::LOADING)
    .with(Flags::STALE);
// PUBLISH is replicated in Redis (`may_replicate`, hidden by COMMAND INFO),
// which is also why CLIENT PAUSE WRITE holds it back.
const PUBLISH_FLAGS: Flags = Flags::PUBSUB
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::FAST)
    .with(Flags::MAY_REPLICATE);
const INTROSPECT_FLAGS: Flags = Flags::PUBSUB.with(Flags::LOADING).with(Flags::STALE);

/// Rows of the pubsub family.
pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "subscribe",
        arity: -2,
        flags: SUBSCRIBE_FLAGS,
        acl_categories: PUBSUB_SLOW,
        group: "pubsub",
        summary: "Listen for messages published to the given channels",
        since: "2.0.0",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        handler: Some(subscribe),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "unsubscribe",
        arity: -1,
        flags: SUBSCRIBE_FLAGS,
        acl_categories: PUBSUB_SLOW,
        group: "pubsub",
        summary: "Stop listening for messages posted to the given channels",
        since: "2.0.0",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        handler: Some(unsubscribe),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "psubscribe",
        arity: -2,
        flags: SUBSCRIBE_FLAGS,
        acl_categories: PUBSUB_SLOW,
        group: "pubsub",
        summary: "Listen for messages published to channels matching the given patterns",
        since: "2.0.0",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        handler: Some(psubscribe),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "punsubscribe",
        arity: -1,
        flags: SUBSCRIBE_FLAGS,
        acl_categories: PUBSUB_SLOW,
        group: "pubsub",
        summary: "Stop listening for messages posted to channels matching the given patterns",
        since: "2.0.0",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed \
                     and M is the number of total patterns subscribed in the system (by any \
                     client).",
        handler: Some(punsubscribe),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "publish",
        arity: 3,
        flags: PUBLISH_FLAGS,
        acl_categories: PUBSUB_FAST,
        group: "pubsub",
        summary: "Post a message to a channel",
        since: "2.0.0",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving \
                     channel and M is the total number of subscribed patterns (by any client).",
        handler: Some(publish),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "ssubscribe",
        arity: -2,
        flags: SUBSCRIBE_FLAGS,
        acl_categories: PUBSUB_SLOW,
        // Shard channels route like keys in a cluster (COMMAND INFO 1 -1 1,
        // key spec flagged `not_key`).
        keys: KeySpec::ALL,
        group: "pubsub",
        summary: "Listen for messages published to the given shard channels",
        since: "7.0.0",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        handler: Some(ssubscribe),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "sunsubscribe",
        arity: -1,
        flags: SUBSCRIBE_FLAGS,
        acl_categories: PUBSUB_SLOW,
        keys: KeySpec::ALL,
        group: "pubsub",
        summary: "Stop listening for messages posted to the given shard channels",
        since: "7.0.0",
        complexity: "O(N) where N is the number of clients already subscribed to a shard \
                     channel.",
        handler: Some(sunsubscribe),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "spublish",
        arity: 3,
        flags: PUBLISH_FLAGS,
        acl_categories: PUBSUB_FAST,
        keys: KeySpec::ONE,
        group: "pubsub",
        summary: "Post a message to a shard channel",
        since: "7.0.0",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard \
                     channel.",
        handler: Some(spublish),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pubsub",
        arity: -2,
        acl_categories: &["slow"],
        group: "pubsub",
        summary: "A container for Pub/Sub commands",
        since: "2.8.0",
        complexity: "Depends on subcommand.",
        subcommands: PUBSUB_SUBCOMMANDS,
        ..CommandSpec::DEFAULT
    },
];

const PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "pubsub|channels",
        arity: -2,
        flags: INTROSPECT_FLAGS,
        acl_categories: PUBSUB_SLOW,
        group: "pubsub",
        summary: "List active channels",
        since: "2.8.0",
        complexity: "O(N) where N is the number of active channels, and assuming constant time \
                     pattern matching (relatively short channels and patterns)",
        handler: Some(pubsub_channels),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pubsub|numsub",
        arity: -2,
        flags: INTROSPECT_FLAGS,
        acl_categories: PUBSUB_SLOW,
        group: "pubsub",
        summary: "Get the count of subscribers for channels",
        since: "2.8.0",
        complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        handler: Some(pubsub_numsub),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pubsub|numpat",
        arity: 2,
        flags: INTROSPECT_FLAGS,
        acl_categories: PUBSUB_SLOW,
        group: "pubsub",
        summary: "Get the count of unique patterns pattern subscriptions",
        since: "2.8.0",
        complexity: "O(1)",
        handler: Some(pubsub_numpat),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pubsub|shardchannels",
        arity: -2,
        flags: INTROSPECT_FLAGS,
        acl_categories: PUBSUB_SLOW,
        group: "pubsub",
        summary: "List active shard channels",
        since: "7.0.0",
        complexity: "O(N) where N is the number of active shard channels, and assuming constant \
                     time pattern matching (relatively short shard channels).",
        handler: Some(pubsub_shardchannels),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pubsub|shardnumsub",
        arity: -2,
        flags: INTROSPECT_FLAGS,
        acl_categories: PUBSUB_SLOW,
        group: "pubsub",
        summary: "Get the count of subscribers for shard channels",
        since: "7.0.0",
        complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested \
                     shard channels",
        handler: Some(pubsub_shardnumsub),
        ..CommandSpec::DEFAULT
    },
    CommandSpec {
        name: "pubsub|help",
        arity: 2,
        flags: Flags::LOADING.with(Flags::STALE),
        acl_categories: &["slow"],
        group: "pubsub",
        summary: "Show helpful text about the different subcommands",
        since: "6.2.0",
        complexity: "O(1)",
        handler: Some(pubsub_help),
        ..CommandSpec::DEFAULT
    },
];

// ---------------------------------------------------------------------------
// Dispatcher hooks
// ---------------------------------------------------------------------------

/// Commands a subscribed RESP2 client may still run (Redis processCommand).
const ALLOWED_IN_CONTEXT: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// The RESP2 subscribed-context rule: while a RESP2 client is subscribed to
/// anything, only the commands in `ALLOWED_IN_CONTEXT` run. RESP3 clients
/// have no limits (pushes are distinguishable from replies there).
pub(crate) fn check_context(client: &Client, spec: &'static CommandSpec) -> CommandResult {
    if client.resp != 2 || !client.is_pubsub() || ALLOWED_IN_CONTEXT.contains(&spec.name) {
        return Ok(());
    }
    Err(CommandError::err(format!(
        "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are \
         allowed in this context",
        super::full_name(spec)
    )))
}

/// Runs just before a handler: RESET drops every subscription without
/// notifications (Redis `clearClientConnectionState`), and PING from a
/// subscribed RESP2 client gets the subscribed-mode reply instead.
pub(crate) fn prepare(
    node: &mut Node,
    client: &mut Client,
    spec: &'static CommandSpec,
    handler: Handler,
) -> Handler {
    match spec.name {
        "reset" => {
            unsubscribe_all(node, client);
            handler
        }
        "ping" if client.resp == 2 && client.is_pubsub() => subscribed_ping,
        _ => handler,
    }
}

/// PING in RESP2 subscribed mode (Redis pingCommand): `["pong", ""]`, or
/// `["pong", <message>]`, so the reply reads like a pushed message.
fn subscribed_ping(ctx: &mut Ctx<'_>) -> CommandResult {
    let message: &[u8] = match ctx.args.len() {
        1 => b"",
        2 => ctx.arg(1),
        _ => return Err(CommandError::WrongArity("ping".to_string())),
    };
    ctx.out.array(2);
    ctx.out.bulk(b"pong");
    ctx.out.bulk(message);
    Ok(())
}

/// Drops every subscription of `client`, on both sides, without replying
/// (disconnect, RESET).
pub(crate) fn unsubscribe_all(node: &mut Node, client: &mut Client) {
    let id = client.id;
    for channel in std::mem::take(&mut client.pubsub_channels) {
        registry_remove(&mut node.pubsub.channels, &channel, id);
    }
    for pattern in std::mem::take(&mut client.pubsub_patterns) {
        registry_remove(&mut node.pubsub.patterns, &pattern, id);
    }
    for channel in std::mem::take(&mut client.pubsub_shard_channels) {
        registry_remove(&mut node.pubsub.shard_channels, &channel, id);
    }
}

/// Removes `id` from `name`'s subscribers, dropping the entry when it
/// empties (Redis deletes empty channels so PUBSUB CHANNELS omits them).
fn registry_remove(
    registry: &mut std::collections::BTreeMap<Bytes, std::collections::BTreeSet<ClientId>>,
    name: &[u8],
    id: ClientId,
) {
    if let Some(subscribers) = registry.get_mut(name) {
        subscribers.remove(&id);
        if subscribers.is_empty() {
            registry.remove(name);
        }
    }
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

fn protocol_of(resp: u8) -> Protocol {
    if resp == 3 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    }
}

/// A (un)subscribe confirmation (Redis `addReplyPubsub(Un)Subscribed`):
/// `[kind, channel-or-null, count]`, a push in RESP3.
fn write_confirmation(out: &mut ReplyWriter, kind: &[u8], channel: Option<&[u8]>, count: usize) {
    out.push(3);
    out.bulk(kind);
    match channel {
        Some(channel) => out.bulk(channel),
        None => out.null(),
    }
    out.integer(count as i64);
}

/// Writes a confirmation into the running command's reply as a push:
/// Redis sets `CLIENT_PUSHING` around it (`addReplyPubsubSubscribed` and
/// friends), in RESP2 too, so it gets through CLIENT REPLY OFF/SKIP.
fn confirm(ctx: &mut Ctx<'_>, kind: &[u8], channel: Option<&[u8]>, count: usize) {
    let start = ctx.out.len();
    write_confirmation(ctx.out, kind, channel, count);
    ctx.client.pushed_ranges.push((start, ctx.out.len()));
}

/// What one receiver gets for one publish.
#[derive(Clone, Debug)]
enum Delivery {
    /// `message` (a channel subscription).
    Message,
    /// `pmessage` through this pattern.
    PatternMessage(Bytes),
    /// `smessage` (a shard channel subscription).
    ShardMessage,
}

/// Encodes one delivery (Redis `addReplyPubsubMessage` /
/// `addReplyPubsubPatMessage`).
fn write_delivery(out: &mut ReplyWriter, delivery: &Delivery, channel: &[u8], message: &[u8]) {
    match delivery {
        Delivery::Message => {
            out.push(3);
            out.bulk(b"message");
        }
        Delivery::ShardMessage => {
            out.push(3);
            out.bulk(b"smessage");
        }
        Delivery::PatternMessage(pattern) => {
            out.push(4);
            out.bulk(b"pmessage");
            out.bulk(pattern);
        }
    }
    out.bulk(channel);
    out.bulk(message);
}

fn encode_delivery(resp: u8, delivery: &Delivery, channel: &[u8], message: &[u8]) -> Vec<u8> {
    let mut out = ReplyWriter::new(protocol_of(resp));
    write_delivery(&mut out, delivery, channel, message);
    out.take()
}

// ---------------------------------------------------------------------------
// Publishing
// ---------------------------------------------------------------------------

/// Every (receiver, delivery) of a publish, in Redis's order: channel
/// subscribers, then pattern subscribers pattern by pattern. A client
/// subscribed both ways (or through several patterns) appears once per way
/// and counts once per way, as in Redis.
fn receivers(node: &Node, channel: &[u8], shard: bool) -> Vec<(ClientId, Delivery)> {
    let mut found = Vec::new();
    if shard {
        if let Some(subscribers) = node.pubsub.shard_channels.get(channel) {
            found.extend(subscribers.iter().map(|id| (*id, Delivery::ShardMessage)));
        }
        return found;
    }
    if let Some(subscribers) = node.pubsub.channels.get(channel) {
        found.extend(subscribers.iter().map(|id| (*id, Delivery::Message)));
    }
    for (pattern, subscribers) in &node.pubsub.patterns {
        if string_match(pattern, channel, false) {
            found.extend(
                subscribers
                    .iter()
                    .map(|id| (*id, Delivery::PatternMessage(pattern.clone()))),
            );
        }
    }
    found
}

/// Queues one delivery for a registered (not executing) client; false when
/// the id is unknown (then nothing is counted).
fn deliver_to_registered(
    node: &mut Node,
    id: ClientId,
    delivery: &Delivery,
    channel: &[u8],
    message: &[u8],
) -> bool {
    let Some(receiver) = node.clients.get(id) else {
        return false;
    };
    // Redis 7.0.15 pushes Pub/Sub messages even under CLIENT REPLY OFF.
    let bytes = encode_delivery(receiver.resp, delivery, channel, message);
    node.effects.push(Effect::Deliver { client: id, bytes });
    true
}

/// Delivers a message to the local subscribers of `channel` (shard
/// subscribers when `shard`) and returns how many deliveries were made (the
/// PUBLISH reply). Every receiver gets an `Effect::Deliver` encoded for its
/// own protocol. Unlike PUBLISH it never queues `Effect::ClusterPublish`:
/// this is the entry point for messages arriving over the cluster bus.
/// Call it between commands (a client executing a command is not in the
/// registry and would be missed).
pub fn deliver_publish(node: &mut Node, channel: &[u8], message: &[u8], shard: bool) -> usize {
    receivers(node, channel, shard)
        .into_iter()
        .filter(|(id, delivery)| deliver_to_registered(node, *id, delivery, channel, message))
        .count()
}

/// PUBLISH / SPUBLISH for the executing client: deliveries to itself go into
/// its own reply stream ahead of the count, the rest become effects.
fn publish_from(ctx: &mut Ctx<'_>, shard: bool) -> usize {
    let (channel, message) = (ctx.arg(1), ctx.arg(2));
    let count = publish_local(
        ctx.node,
        Some((&*ctx.client, &mut *ctx.out)),
        channel,
        message,
        shard,
    );
    if ctx.node.config.get_bool("cluster-enabled") {
        ctx.node.effects.push(Effect::ClusterPublish {
            channel: ctx.args[1].clone(),
            message: ctx.args[2].clone(),
            shard,
        });
    }
    count
}

fn publish(ctx: &mut Ctx<'_>) -> CommandResult {
    let count = publish_from(ctx, false);
    ctx.out.integer(count as i64);
    Ok(())
}

fn spublish(ctx: &mut Ctx<'_>) -> CommandResult {
    let count = publish_from(ctx, true);
    ctx.out.integer(count as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// Keyspace notifications (Redis notify.c)
// ---------------------------------------------------------------------------

/// The client running the current command and its reply sink: a
/// notification it is subscribed to goes straight into its reply, in order
/// with it (Redis appends the push to the client's output as it happens).
pub(crate) type Current<'a> = Option<(&'a Client, &'a mut ReplyWriter)>;

/// True when `expired` or `keymiss` events reach a channel (class `x` or
/// `m`, plus `K` or `E`): the keyspace then logs those key events.
pub(crate) fn wants_key_events(flags: u32) -> bool {
    use shoal_config::notify;
    flags & (notify::EXPIRED | notify::KEY_MISS) != 0
        && flags & (notify::KEYSPACE | notify::KEYEVENT) != 0
}

/// True when read misses are logged for `keymiss` events.
pub(crate) fn wants_key_misses(flags: u32) -> bool {
    wants_key_events(flags) && flags & shoal_config::notify::KEY_MISS != 0
}

/// Redis `lookupKeyRead` on a miss: logs a `keymiss` event (published after
/// any `expired` event of the same lookup, as in Redis) when they are on.
pub(crate) fn note_key_miss(node: &mut Node, db: usize, key: &[u8]) {
    if wants_key_misses(node.limits.keyspace_events) {
        node.keyspace.db_mut(db).note_miss(key);
    }
}

/// Redis `notifyKeyspaceEvent`: when `class` is enabled, publishes `event`
/// on `__keyspace@<db>__:<key>` (K) and `key` on `__keyevent@<db>__:<event>`
/// (E). Local delivery only: Redis does not carry these over the cluster bus.
pub(crate) fn notify_keyspace_event(
    node: &mut Node,
    mut current: Current<'_>,
    class: u32,
    event: &str,
    key: &[u8],
    db: usize,
) {
    use shoal_config::notify;
    let flags = node.limits.keyspace_events;
    if flags & class == 0 {
        return;
    }
    if flags & notify::KEYSPACE != 0 {
        let channel = [format!("__keyspace@{db}__:").as_bytes(), key].concat();
        publish_local(
            node,
            reborrow(&mut current),
            &channel,
            event.as_bytes(),
            false,
        );
    }
    if flags & notify::KEYEVENT != 0 {
        let channel = format!("__keyevent@{db}__:{event}");
        publish_local(node, current, channel.as_bytes(), key, false);
    }
}

fn reborrow<'a>(current: &'a mut Current<'_>) -> Current<'a> {
    current
        .as_mut()
        .map(|(client, out)| (&**client, &mut **out))
}

/// True when the keyspace logged `expired` or `keymiss` events not yet
/// published (never while nobody listens for them).
pub(crate) fn has_key_events(node: &Node) -> bool {
    wants_key_events(node.limits.keyspace_events)
        && (0..node.keyspace.db_count()).any(|db| node.keyspace.db(db).has_key_events())
}

/// Publishes the `expired` and `keymiss` events the keyspace logged since
/// the last call, in the order they happened.
pub(crate) fn publish_key_events(node: &mut Node, mut current: Current<'_>) {
    use shoal_config::notify;
    if !wants_key_events(node.limits.keyspace_events) {
        return;
    }
    for db in 0..node.keyspace.db_count() {
        if !node.keyspace.db(db).has_key_events() {
            continue;
        }
        for event in node.keyspace.db_mut(db).take_key_events() {
            let (class, name, key) = match &event {
                KeyEvent::Expired(key) => (notify::EXPIRED, "expired", key),
                KeyEvent::Missed(key) => (notify::KEY_MISS, "keymiss", key),
            };
            notify_keyspace_event(node, reborrow(&mut current), class, name, key, db);
        }
    }
}

/// Delivers a message to this node's subscribers of `channel` (shard
/// channel subscribers when `shard`); returns how many received it. The
/// current client's own copy goes into its reply stream, even under CLIENT
/// REPLY OFF/SKIP (as an effect then: the dispatcher drops that reply, and
/// Redis 7.0.15 still pushes the message).
fn publish_local(
    node: &mut Node,
    mut current: Current<'_>,
    channel: &[u8],
    message: &[u8],
    shard: bool,
) -> usize {
    let mut count = 0;
    for (id, delivery) in receivers(node, channel, shard) {
        match current.as_mut() {
            Some((client, out)) if client.id == id => {
                count += 1;
                match client.reply_mode {
                    ReplyMode::On | ReplyMode::Skip => {
                        write_delivery(out, &delivery, channel, message)
                    }
                    ReplyMode::Off | ReplyMode::SkipNext => {
                        let bytes = encode_delivery(client.resp, &delivery, channel, message);
                        node.effects.push(Effect::Deliver { client: id, bytes });
                    }
                }
            }
            _ => {
                if deliver_to_registered(node, id, &delivery, channel, message) {
                    count += 1;
                }
            }
        }
    }
    count
}

// ---------------------------------------------------------------------------
// Subscribing
// ---------------------------------------------------------------------------

fn subscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = ctx.client.id;
    for channel in &ctx.args[1..] {
        if ctx.client.pubsub_channels.insert(channel.clone()) {
            let subscribers = ctx.node.pubsub.channels.entry(channel.clone());
            subscribers.or_default().insert(id);
        }
        let count = ctx.client.subscription_count();
        confirm(ctx, b"subscribe", Some(channel), count);
    }
    Ok(())
}

fn ssubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = ctx.client.id;
    for channel in &ctx.args[1..] {
        if ctx.client.pubsub_shard_channels.insert(channel.clone()) {
            let subscribers = ctx.node.pubsub.shard_channels.entry(channel.clone());
            subscribers.or_default().insert(id);
        }
        let count = ctx.client.shard_subscription_count();
        confirm(ctx, b"ssubscribe", Some(channel), count);
    }
    Ok(())
}

fn psubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = ctx.client.id;
    for pattern in &ctx.args[1..] {
        if !ctx.client.pubsub_patterns.contains(pattern) {
            ctx.client.pubsub_patterns.push(pattern.clone());
            let subscribers = ctx.node.pubsub.patterns.entry(pattern.clone());
            subscribers.or_default().insert(id);
        }
        let count = ctx.client.subscription_count();
        confirm(ctx, b"psubscribe", Some(pattern), count);
    }
    Ok(())
}

/// One UNSUBSCRIBE step: forget `channel` for the client (if subscribed)
/// and confirm with the remaining count.
fn unsubscribe_channel(ctx: &mut Ctx<'_>, channel: &[u8]) {
    let id = ctx.client.id;
    if ctx.client.pubsub_channels.remove(channel) {
        registry_remove(&mut ctx.node.pubsub.channels, channel, id);
    }
    let count = ctx.client.subscription_count();
    confirm(ctx, b"unsubscribe", Some(channel), count);
}

fn unsubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.args.len() > 1 {
        for channel in &ctx.args[1..] {
            unsubscribe_channel(ctx, channel);
        }
        return Ok(());
    }
    // Every channel, in sorted order (Redis walks its dict in hash order).
    let channels: Vec<Bytes> = ctx.client.pubsub_channels.iter().cloned().collect();
    if channels.is_empty() {
        let count = ctx.client.subscription_count();
        confirm(ctx, b"unsubscribe", None, count);
    }
    for channel in &channels {
        unsubscribe_channel(ctx, channel);
    }
    Ok(())
}

fn sunsubscribe_channel(ctx: &mut Ctx<'_>, channel: &[u8]) {
    let id = ctx.client.id;
    if ctx.client.pubsub_shard_channels.remove(channel) {
        registry_remove(&mut ctx.node.pubsub.shard_channels, channel, id);
    }
    let count = ctx.client.shard_subscription_count();
    confirm(ctx, b"sunsubscribe", Some(channel), count);
}

fn sunsubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.args.len() > 1 {
        for channel in &ctx.args[1..] {
            sunsubscribe_channel(ctx, channel);
        }
        return Ok(());
    }
    let channels: Vec<Bytes> = ctx.client.pubsub_shard_channels.iter().cloned().collect();
    if channels.is_empty() {
        let count = ctx.client.shard_subscription_count();
        confirm(ctx, b"sunsubscribe", None, count);
    }
    for channel in &channels {
        sunsubscribe_channel(ctx, channel);
    }
    Ok(())
}

fn punsubscribe_pattern(ctx: &mut Ctx<'_>, pattern: &[u8]) {
    let id = ctx.client.id;
    let patterns = &mut ctx.client.pubsub_patterns;
    if let Some(position) = patterns.iter().position(|own| own == pattern) {
        patterns.remove(position);
        registry_remove(&mut ctx.node.pubsub.patterns, pattern, id);
    }
    let count = ctx.client.subscription_count();
    confirm(ctx, b"punsubscribe", Some(pattern), count);
}

fn punsubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.args.len() > 1 {
        for pattern in &ctx.args[1..] {
            punsubscribe_pattern(ctx, pattern);
        }
        return Ok(());
    }
    // Subscription order, as Redis 7.0 walks its pattern list.
    let patterns = ctx.client.pubsub_patterns.clone();
    if patterns.is_empty() {
        let count = ctx.client.subscription_count();
        confirm(ctx, b"punsubscribe", None, count);
    }
    for pattern in &patterns {
        punsubscribe_pattern(ctx, pattern);
    }
    Ok(())
}

/// Drops every shard subscription whose channel hashes to `slot`, telling
/// each subscriber with an `sunsubscribe` message, as Redis does when a
/// cluster node loses a slot (`pubsubShardUnsubscribeAllChannelsInSlot`).
/// Returns the number of channels removed. Call it between commands: the
/// client executing a command is not in the registry and would keep its
/// subscriptions.
pub fn unsubscribe_shard_slot(node: &mut Node, slot: u16) -> usize {
    let channels: Vec<Bytes> = node
        .pubsub
        .shard_channels
        .keys()
        .filter(|channel| shoal_keyspace::key_hash_slot(channel) == slot)
        .cloned()
        .collect();
    for channel in &channels {
        let subscribers = node
            .pubsub
            .shard_channels
            .remove(channel)
            .unwrap_or_default();
        for id in subscribers {
            let Some(client) = node.clients.get_mut(id) else {
                continue;
            };
            client.pubsub_shard_channels.remove(channel);
            let mut out = ReplyWriter::new(protocol_of(client.resp));
            let count = client.shard_subscription_count();
            write_confirmation(&mut out, b"sunsubscribe", Some(channel), count);
            node.effects.push(Effect::Deliver {
                client: id,
                bytes: out.take(),
            });
        }
    }
    channels.len()
}

// ---------------------------------------------------------------------------
// PUBSUB introspection
// ---------------------------------------------------------------------------

/// PUBSUB CHANNELS / SHARDCHANNELS: names with subscribers, optionally
/// filtered by a glob (no pattern lists every name, even the empty one,
/// which `*` does not match in Redis's `stringmatchlen`).
fn list_channels(ctx: &mut Ctx<'_>, shard: bool) -> CommandResult {
    let pattern = match ctx.args.len() {
        2 => None,
        3 => Some(ctx.arg(2)),
        _ => return Err(subcommand_syntax_error(ctx)),
    };
    let registry = if shard {
        &ctx.node.pubsub.shard_channels
    } else {
        &ctx.node.pubsub.channels
    };
    let names: Vec<&Bytes> = registry
        .keys()
        .filter(|name| pattern.is_none_or(|pattern| string_match(pattern, name, false)))
        .collect();
    ctx.out.bulk_array(names);
    Ok(())
}

/// PUBSUB NUMSUB / SHARDNUMSUB: a flat `[name, count, ...]` array (also in
/// RESP3: Redis 7.0 replies with an array, not a map).
fn count_subscribers(ctx: &mut Ctx<'_>, shard: bool) -> CommandResult {
    let registry = if shard {
        &ctx.node.pubsub.shard_channels
    } else {
        &ctx.node.pubsub.channels
    };
    let names = &ctx.args[2..];
    ctx.out.array(names.len() * 2);
    for name in names {
        ctx.out.bulk(name);
        let count = registry
            .get(name)
            .map_or(0, |subscribers| subscribers.len());
        ctx.out.integer(count as i64);
    }
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx<'_>) -> CommandResult {
    list_channels(ctx, false)
}

fn pubsub_shardchannels(ctx: &mut Ctx<'_>) -> CommandResult {
    list_channels(ctx, true)
}

fn pubsub_numsub(ctx: &mut Ctx<'_>) -> CommandResult {
    count_subscribers(ctx, false)
}

fn pubsub_shardnumsub(ctx: &mut Ctx<'_>) -> CommandResult {
    count_subscribers(ctx, true)
}

fn pubsub_numpat(ctx: &mut Ctx<'_>) -> CommandResult {
    // Distinct patterns, not pattern subscriptions.
    ctx.out.integer(ctx.node.pubsub.patterns.len() as i64);
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx<'_>) -> CommandResult {
    const LINES: &[&str] = &[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: \
         '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    super::connection::write_help(ctx, LINES);
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Expected bytes were captured from a real redis-server 7.0.15 with raw
    //! sockets (two connections, RESP2 and RESP3).

    use bytes::Bytes;
    use shoal_config::Config;
    use shoal_resp::ReplyWriter;

    use super::protocol_of;
    use crate::client::{ClientId, ConnectInfo};
    use crate::engine::{Engine, ExecOutcome};
    use crate::node::Effect;

    const CONTEXT_ERROR_GET: &[u8] = b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / \
        (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n";

    /// An engine with several clients; every command's whole output (all
    /// frames it wrote) comes back as raw bytes.
    struct Harness {
        engine: Engine,
        now_us: i64,
    }

    impl Harness {
        fn new() -> Self {
            Harness::with_config(Config::default())
        }

        fn with_config(config: Config) -> Self {
            let now_us = 1_700_000_000_000_000;
            Harness {
                engine: Engine::new(config, 7, now_us / 1000),
                now_us,
            }
        }

        fn cluster() -> Self {
            let mut config = Config::default();
            let loaded = config.load_text("cluster-enabled yes\n", &mut |_| Ok(String::new()));
            assert!(loaded.is_ok(), "{loaded:?}");
            Harness::with_config(config)
        }

        fn connect(&mut self) -> ClientId {
            let connected = self.engine.connect(
                ConnectInfo {
                    peer_addr: "127.0.0.1:50001".into(),
                    ..ConnectInfo::default()
                },
                self.now_us / 1000,
            );
            connected.expect("connect")
        }

        fn exec_raw(&mut self, id: ClientId, args: &[&[u8]]) -> (ExecOutcome, Vec<u8>) {
            let resp = self.engine.node.clients.get(id).map_or(2, |c| c.resp);
            let mut out = ReplyWriter::new(protocol_of(resp));
            let args: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
            let outcome = self.engine.execute(id, &args, self.now_us, &mut out);
            (outcome, out.take())
        }

        fn exec(&mut self, id: ClientId, line: &str) -> Vec<u8> {
            let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            let (outcome, bytes) = self.exec_raw(id, &args);
            assert_eq!(outcome, ExecOutcome::Done, "{line}");
            bytes
        }

        /// Drains the effects, returning the deliveries and the rest.
        fn deliveries(&mut self) -> (Vec<(ClientId, Vec<u8>)>, Vec<Effect>) {
            let mut delivered = Vec::new();
            let mut other = Vec::new();
            for effect in self.engine.take_effects() {
                match effect {
                    Effect::Deliver { client, bytes } => delivered.push((client, bytes)),
                    effect => other.push(effect),
                }
            }
            (delivered, other)
        }
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    #[test]
    fn active_expiry_publishes_expired_events() {
        let mut h = Harness::new();
        let listener = h.connect();
        let writer = h.connect();
        h.exec(writer, "config set notify-keyspace-events Ex");
        h.exec(listener, "subscribe __keyevent@0__:expired");
        h.exec(writer, "set k1 v px 5");
        h.exec(writer, "set k2 v px 5");
        let (early, _) = h.deliveries();
        assert!(
            early.is_empty(),
            "{:?}",
            early.iter().map(|(_, b)| text(b)).collect::<Vec<_>>()
        );
        h.now_us += 1_000_000;
        h.engine.tick(h.now_us / 1000);
        let (delivered, _) = h.deliveries();
        let mut keys: Vec<String> = delivered
            .iter()
            .map(|(client, bytes)| {
                assert_eq!(*client, listener);
                text(bytes)
            })
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$2\r\nk1\r\n",
                "*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$2\r\nk2\r\n",
            ]
        );
        // Turned off, expiry keeps no names and publishes nothing.
        h.exec_raw(writer, &[b"config", b"set", b"notify-keyspace-events", b""]);
        h.exec(writer, "set k3 v px 5");
        h.now_us += 1_000_000;
        h.engine.tick(h.now_us / 1000);
        assert!(h.deliveries().0.is_empty());
        assert!(!h.engine.node.keyspace.db(0).has_key_events());
    }

    /// A RESP3 client subscribed to its own keys' events gets them inline,
    /// before the reply of the command that caused them (as Redis appends
    /// the push to the client's output at notify time).
    #[test]
    fn a_resp3_subscriber_gets_its_own_events_before_the_reply() {
        let mut h = Harness::new();
        let client = h.connect();
        h.exec(client, "hello 3");
        h.exec(client, "config set notify-keyspace-events KEA");
        h.exec(client, "subscribe __keyspace@0__:k");
        assert_eq!(
            text(&h.exec(client, "set k v")),
            ">3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n+OK\r\n"
        );
        assert!(h.deliveries().0.is_empty());
    }

    #[test]
    fn subscribe_replies_once_per_channel_with_running_count() {
        let mut h = Harness::new();
        let a = h.connect();
        assert_eq!(
            text(&h.exec(a, "subscribe c1 c2 c1")),
            "*3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nc2\r\n:2\r\n\
             *3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:2\r\n"
        );
        // Patterns add to the same count; a repeated pattern does not.
        assert_eq!(
            text(&h.exec(a, "psubscribe b* a* c* a*")),
            "*3\r\n$10\r\npsubscribe\r\n$2\r\nb*\r\n:3\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:4\r\n\
             *3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:5\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:5\r\n"
        );
        // PUNSUBSCRIBE without arguments walks patterns in subscription order.
        assert_eq!(
            text(&h.exec(a, "punsubscribe")),
            "*3\r\n$12\r\npunsubscribe\r\n$2\r\nb*\r\n:4\r\n*3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:3\r\n\
             *3\r\n$12\r\npunsubscribe\r\n$2\r\nc*\r\n:2\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "unsubscribe")),
            "*3\r\n$11\r\nunsubscribe\r\n$2\r\nc1\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$2\r\nc2\r\n:0\r\n"
        );
        // Nothing left: one reply with a null channel.
        assert_eq!(
            text(&h.exec(a, "unsubscribe")),
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "punsubscribe")),
            "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "sunsubscribe")),
            "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"
        );
        assert_eq!(text(&h.exec(a, "get x")), "$-1\r\n");
        assert!(h.engine.node.pubsub.channels.is_empty());
        assert!(h.engine.node.pubsub.patterns.is_empty());
    }

    #[test]
    fn unsubscribe_counts_include_patterns_and_unknown_channels_reply_too() {
        let mut h = Harness::new();
        let a = h.connect();
        h.exec(a, "psubscribe a*");
        // Null channel, count 1 (the pattern).
        assert_eq!(
            text(&h.exec(a, "unsubscribe")),
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "unsubscribe zz")),
            "*3\r\n$11\r\nunsubscribe\r\n$2\r\nzz\r\n:1\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "punsubscribe *1 a*")),
            "*3\r\n$12\r\npunsubscribe\r\n$2\r\n*1\r\n:1\r\n*3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:0\r\n"
        );
    }

    #[test]
    fn publish_reaches_channel_then_pattern_subscribers() {
        let mut h = Harness::new();
        let a = h.connect();
        let b = h.connect();
        h.exec(a, "subscribe c1 c2");
        h.exec(a, "psubscribe c*");
        h.deliveries();
        assert_eq!(text(&h.exec(b, "publish c1 m")), ":2\r\n");
        let (delivered, other) = h.deliveries();
        assert!(other.is_empty(), "standalone: no cluster propagation");
        assert_eq!(
            delivered,
            vec![
                (
                    a,
                    b"*3\r\n$7\r\nmessage\r\n$2\r\nc1\r\n$1\r\nm\r\n".to_vec()
                ),
                (
                    a,
                    b"*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc1\r\n$1\r\nm\r\n".to_vec()
                ),
            ]
        );
        assert_eq!(text(&h.exec(b, "publish cx m2")), ":1\r\n");
        let (delivered, _) = h.deliveries();
        assert_eq!(
            delivered,
            vec![(
                a,
                b"*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\ncx\r\n$2\r\nm2\r\n".to_vec()
            )]
        );
        assert_eq!(text(&h.exec(b, "publish nobody m")), ":0\r\n");
        assert!(h.deliveries().0.is_empty());
    }

    #[test]
    fn each_receiver_gets_its_own_protocol() {
        let mut h = Harness::new();
        let resp2 = h.connect();
        let resp3 = h.connect();
        let publisher = h.connect();
        h.exec(resp3, "hello 3");
        assert_eq!(
            text(&h.exec(resp3, "subscribe c")),
            ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
        );
        h.exec(resp2, "subscribe c");
        assert_eq!(text(&h.exec(publisher, "publish c m")), ":2\r\n");
        let (delivered, _) = h.deliveries();
        assert_eq!(
            delivered,
            vec![
                (
                    resp2,
                    b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n".to_vec()
                ),
                (
                    resp3,
                    b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n".to_vec()
                ),
            ]
        );
        // RESP3 (un)subscribe confirmations are pushes with a RESP3 null.
        h.exec(resp3, "unsubscribe");
        assert_eq!(
            text(&h.exec(resp3, "unsubscribe")),
            ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"
        );
    }

    #[test]
    fn self_publish_writes_the_message_before_the_reply() {
        let mut h = Harness::new();
        let a = h.connect();
        h.exec(a, "hello 3");
        h.exec(a, "subscribe c1");
        h.exec(a, "psubscribe c*");
        h.deliveries();
        assert_eq!(
            text(&h.exec(a, "publish c1 self")),
            ">3\r\n$7\r\nmessage\r\n$2\r\nc1\r\n$4\r\nself\r\n\
             >4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc1\r\n$4\r\nself\r\n:2\r\n"
        );
        assert!(h.deliveries().0.is_empty());
        h.exec(a, "ssubscribe s1");
        assert_eq!(
            text(&h.exec(a, "spublish s1 selfs")),
            ">3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$5\r\nselfs\r\n:1\r\n"
        );
    }

    #[test]
    fn self_publish_under_client_reply_off_still_pushes() {
        let mut h = Harness::new();
        let a = h.connect();
        h.exec(a, "hello 3");
        h.exec(a, "subscribe c");
        assert!(h.exec(a, "client reply off").is_empty());
        assert!(h.exec(a, "publish c self").is_empty());
        let (delivered, _) = h.deliveries();
        assert_eq!(
            delivered,
            vec![(
                a,
                b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$4\r\nself\r\n".to_vec()
            )]
        );
        h.exec(a, "client reply on");
        h.exec(a, "client reply skip");
        assert!(h.exec(a, "publish c skipped").is_empty());
        assert_eq!(h.deliveries().0.len(), 1);
        assert_eq!(text(&h.exec(a, "ping")), "+PONG\r\n");
    }

    #[test]
    fn resp2_subscribed_context_allows_only_pubsub_commands() {
        let mut h = Harness::new();
        let a = h.connect();
        h.exec(a, "subscribe c1");
        assert_eq!(h.exec(a, "get x"), CONTEXT_ERROR_GET);
        assert_eq!(
            text(&h.exec(a, "client list")),
            "-ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / \
             QUIT / RESET are allowed in this context\r\n"
        );
        assert!(text(&h.exec(a, "hello 3")).starts_with("-ERR Can't execute 'hello'"));
        // Lookup and arity errors come first.
        assert_eq!(
            text(&h.exec(a, "nosuch")),
            "-ERR unknown command 'nosuch', with args beginning with: \r\n"
        );
        assert_eq!(
            text(&h.exec(a, "set")),
            "-ERR wrong number of arguments for 'set' command\r\n"
        );
        // PING answers like a message.
        assert_eq!(text(&h.exec(a, "ping")), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        assert_eq!(
            text(&h.exec(a, "ping hi")),
            "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "ping hi x")),
            "-ERR wrong number of arguments for 'ping' command\r\n"
        );
        // Still subscribed after unsubscribing an unknown channel.
        h.exec(a, "unsubscribe zz");
        assert_eq!(h.exec(a, "get x"), CONTEXT_ERROR_GET);
        h.exec(a, "unsubscribe c1");
        assert_eq!(text(&h.exec(a, "get x")), "$-1\r\n");
        assert_eq!(text(&h.exec(a, "ping")), "+PONG\r\n");
        // A shard subscription alone is enough, and a pattern unsubscription
        // leaves it in place.
        h.exec(a, "ssubscribe s1");
        h.exec(a, "punsubscribe *");
        assert_eq!(h.exec(a, "get x"), CONTEXT_ERROR_GET);
        h.exec(a, "sunsubscribe");
        assert_eq!(text(&h.exec(a, "get x")), "$-1\r\n");
        // Rejections count as rejected calls of the command.
        let stats = h.engine.node.stats.commands.get("get").cloned();
        assert_eq!(stats.map(|s| (s.rejected_calls, s.calls)), Some((3, 2)));
    }

    #[test]
    fn resp3_clients_have_no_context_limits() {
        let mut h = Harness::new();
        let a = h.connect();
        h.exec(a, "hello 3");
        h.exec(a, "subscribe c1");
        assert_eq!(text(&h.exec(a, "get x")), "_\r\n");
        assert_eq!(text(&h.exec(a, "ping")), "+PONG\r\n");
        // Back to RESP2 while subscribed: the limits apply again.
        h.exec(a, "hello 2");
        assert_eq!(h.exec(a, "get x"), CONTEXT_ERROR_GET);
    }

    #[test]
    fn reset_and_quit_and_disconnect_drop_subscriptions() {
        let mut h = Harness::new();
        let a = h.connect();
        let b = h.connect();
        h.exec(a, "subscribe c1");
        h.exec(a, "psubscribe p*");
        h.exec(a, "ssubscribe s1");
        assert_eq!(text(&h.exec(a, "reset")), "+RESET\r\n");
        assert_eq!(text(&h.exec(a, "get x")), "$-1\r\n");
        assert_eq!(
            text(&h.exec(b, "pubsub numsub c1")),
            "*2\r\n$2\r\nc1\r\n:0\r\n"
        );
        assert_eq!(text(&h.exec(b, "pubsub numpat")), ":0\r\n");
        assert_eq!(text(&h.exec(b, "pubsub shardchannels")), "*0\r\n");

        h.exec(a, "subscribe q");
        h.exec(a, "psubscribe q*");
        let (outcome, reply) = h.exec_raw(a, &[b"quit"]);
        assert_eq!(
            (outcome, text(&reply).as_str()),
            (ExecOutcome::Close, "+OK\r\n")
        );
        h.engine.disconnect(a);
        assert_eq!(
            text(&h.exec(b, "pubsub numsub q")),
            "*2\r\n$1\r\nq\r\n:0\r\n"
        );
        assert_eq!(text(&h.exec(b, "publish q m")), ":0\r\n");
        assert!(h.engine.node.pubsub.channels.is_empty());
        assert!(h.engine.node.pubsub.patterns.is_empty());
        assert!(h.deliveries().0.is_empty());
    }

    #[test]
    fn shard_channels_are_separate_from_channels() {
        let mut h = Harness::new();
        let a = h.connect();
        let b = h.connect();
        assert_eq!(
            text(&h.exec(a, "ssubscribe s1 s2")),
            "*3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$2\r\ns2\r\n:2\r\n"
        );
        // SUBSCRIBE's count does not include shard channels.
        assert_eq!(
            text(&h.exec(a, "subscribe c1")),
            "*3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:1\r\n"
        );
        h.exec(a, "psubscribe *");
        h.deliveries();
        assert_eq!(text(&h.exec(b, "publish s1 m")), ":1\r\n");
        let (delivered, _) = h.deliveries();
        assert_eq!(
            delivered,
            vec![(
                a,
                b"*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$2\r\ns1\r\n$1\r\nm\r\n".to_vec()
            )]
        );
        assert_eq!(text(&h.exec(b, "spublish s1 sm")), ":1\r\n");
        let (delivered, _) = h.deliveries();
        assert_eq!(
            delivered,
            vec![(
                a,
                b"*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$2\r\nsm\r\n".to_vec()
            )]
        );
        assert_eq!(text(&h.exec(b, "spublish c1 sm")), ":0\r\n");
        assert_eq!(
            text(&h.exec(b, "pubsub shardchannels")),
            "*2\r\n$2\r\ns1\r\n$2\r\ns2\r\n"
        );
        assert_eq!(
            text(&h.exec(b, "pubsub shardchannels s*")),
            "*2\r\n$2\r\ns1\r\n$2\r\ns2\r\n"
        );
        assert_eq!(text(&h.exec(b, "pubsub shardchannels x*")), "*0\r\n");
        assert_eq!(
            text(&h.exec(b, "pubsub shardnumsub s1 s3")),
            "*4\r\n$2\r\ns1\r\n:1\r\n$2\r\ns3\r\n:0\r\n"
        );
        assert_eq!(text(&h.exec(b, "pubsub shardnumsub")), "*0\r\n");
        assert_eq!(
            text(&h.exec(a, "sunsubscribe zz")),
            "*3\r\n$12\r\nsunsubscribe\r\n$2\r\nzz\r\n:2\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "sunsubscribe")),
            "*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:1\r\n*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns2\r\n:0\r\n"
        );
    }

    #[test]
    fn pubsub_introspection() {
        let mut h = Harness::new();
        let a = h.connect();
        let b = h.connect();
        let c = h.connect();
        h.exec_raw(a, &[b"subscribe", b"", b"c2", b"c1"]);
        h.exec(a, "psubscribe c* *1");
        h.exec(c, "psubscribe c*");
        // No pattern lists every channel; `*` does not match the empty name.
        assert_eq!(
            text(&h.exec(b, "pubsub channels")),
            "*3\r\n$0\r\n\r\n$2\r\nc1\r\n$2\r\nc2\r\n"
        );
        assert_eq!(
            text(&h.exec(b, "pubsub channels *")),
            "*2\r\n$2\r\nc1\r\n$2\r\nc2\r\n"
        );
        assert_eq!(text(&h.exec(b, "pubsub channels *1")), "*1\r\n$2\r\nc1\r\n");
        assert_eq!(text(&h.exec(b, "pubsub channels C*")), "*0\r\n");
        assert_eq!(
            text(&h.exec(b, "pubsub numsub c1 zz c1")),
            "*6\r\n$2\r\nc1\r\n:1\r\n$2\r\nzz\r\n:0\r\n$2\r\nc1\r\n:1\r\n"
        );
        assert_eq!(text(&h.exec(b, "pubsub numsub")), "*0\r\n");
        // Distinct patterns: c* (twice) and *1.
        assert_eq!(text(&h.exec(b, "pubsub numpat")), ":2\r\n");
        // c1 reaches a through the channel and both patterns, c through c*.
        assert_eq!(text(&h.exec(b, "publish c1 z")), ":4\r\n");
        // The empty channel is a channel like any other.
        h.deliveries();
        assert_eq!(text(&h.exec_raw(b, &[b"publish", b"", b"m"]).1), ":1\r\n");
        let (delivered, _) = h.deliveries();
        assert_eq!(
            delivered,
            vec![(a, b"*3\r\n$7\r\nmessage\r\n$0\r\n\r\n$1\r\nm\r\n".to_vec())]
        );
    }

    #[test]
    fn pubsub_errors_and_help() {
        let mut h = Harness::new();
        let a = h.connect();
        assert_eq!(
            text(&h.exec(a, "PUBSUB Channels a b")),
            "-ERR unknown subcommand or wrong number of arguments for 'Channels'. Try PUBSUB \
             HELP.\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "pubsub shardchannels a b")),
            "-ERR unknown subcommand or wrong number of arguments for 'shardchannels'. Try \
             PUBSUB HELP.\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "pubsub foo")),
            "-ERR unknown subcommand 'foo'. Try PUBSUB HELP.\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "pubsub numpat x")),
            "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
        );
        assert_eq!(
            text(&h.exec(a, "pubsub help x")),
            "-ERR wrong number of arguments for 'pubsub|help' command\r\n"
        );
        for (line, name) in [
            ("pubsub", "pubsub"),
            ("subscribe", "subscribe"),
            ("psubscribe", "psubscribe"),
            ("ssubscribe", "ssubscribe"),
            ("publish a", "publish"),
            ("spublish a b c", "spublish"),
        ] {
            assert_eq!(
                text(&h.exec(a, line)),
                format!("-ERR wrong number of arguments for '{name}' command\r\n")
            );
        }
        assert_eq!(
            text(&h.exec(a, "pubsub help")),
            "*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n\
             +CHANNELS [<pattern>]\r\n\
             +    Return the currently active channels matching a <pattern> (default: '*').\r\n\
             +NUMPAT\r\n+    Return number of subscriptions to patterns.\r\n\
             +NUMSUB [<channel> ...]\r\n\
             +    Return the number of subscribers for the specified channels, excluding\r\n\
             +    pattern subscriptions(default: no channels).\r\n\
             +SHARDCHANNELS [<pattern>]\r\n\
             +    Return the currently active shard level channels matching a <pattern> \
             (default: '*').\r\n\
             +SHARDNUMSUB [<shardchannel> ...]\r\n\
             +    Return the number of subscribers for the specified shard level channel(s)\r\n\
             +HELP\r\n+    Prints this help.\r\n"
        );
    }

    #[test]
    fn binary_channels_and_messages_pass_through() {
        let mut h = Harness::new();
        let a = h.connect();
        let b = h.connect();
        let (_, reply) = h.exec_raw(a, &[b"subscribe", b"\x00bin\xff", b"c"]);
        assert_eq!(
            reply,
            b"*3\r\n$9\r\nsubscribe\r\n$5\r\n\x00bin\xff\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:2\r\n"
        );
        h.exec_raw(a, &[b"psubscribe", b"[\xff\x00]*"]);
        let (_, reply) = h.exec_raw(b, &[b"publish", b"\x00bin\xff", b"\r\n\x00"]);
        assert_eq!(reply, b":2\r\n");
        let (delivered, _) = h.deliveries();
        assert_eq!(
            delivered,
            vec![
                (a, b"*3\r\n$7\r\nmessage\r\n$5\r\n\x00bin\xff\r\n$3\r\n\r\n\x00\r\n".to_vec()),
                (
                    a,
                    b"*4\r\n$8\r\npmessage\r\n$5\r\n[\xff\x00]*\r\n$5\r\n\x00bin\xff\r\n$3\r\n\r\n\x00\r\n"
                        .to_vec()
                ),
            ]
        );
    }

    #[test]
    fn cluster_nodes_queue_propagation_and_bus_delivery_does_not() {
        let mut h = Harness::cluster();
        let a = h.connect();
        let b = h.connect();
        h.exec(a, "subscribe c");
        h.exec(a, "ssubscribe s");
        h.deliveries();
        assert_eq!(text(&h.exec(b, "publish c m")), ":1\r\n");
        let (delivered, other) = h.deliveries();
        assert_eq!(delivered.len(), 1);
        assert_eq!(
            other,
            vec![Effect::ClusterPublish {
                channel: Bytes::from_static(b"c"),
                message: Bytes::from_static(b"m"),
                shard: false,
            }]
        );
        assert_eq!(text(&h.exec(b, "spublish s m")), ":1\r\n");
        let (_, other) = h.deliveries();
        assert_eq!(
            other,
            vec![Effect::ClusterPublish {
                channel: Bytes::from_static(b"s"),
                message: Bytes::from_static(b"m"),
                shard: true,
            }]
        );
        // A message from the bus: local delivery only.
        assert_eq!(
            super::deliver_publish(&mut h.engine.node, b"c", b"bus", false),
            1
        );
        assert_eq!(
            super::deliver_publish(&mut h.engine.node, b"s", b"bus", true),
            1
        );
        assert_eq!(
            super::deliver_publish(&mut h.engine.node, b"none", b"bus", false),
            0
        );
        let (delivered, other) = h.deliveries();
        assert!(other.is_empty());
        assert_eq!(
            delivered,
            vec![
                (
                    a,
                    b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$3\r\nbus\r\n".to_vec()
                ),
                (
                    a,
                    b"*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$3\r\nbus\r\n".to_vec()
                ),
            ]
        );
    }

    #[test]
    fn losing_a_slot_unsubscribes_its_shard_channels() {
        let mut h = Harness::new();
        let a = h.connect();
        h.exec(a, "ssubscribe {x}1 {x}2 y");
        let slot = shoal_keyspace::key_hash_slot(b"x");
        assert_eq!(super::unsubscribe_shard_slot(&mut h.engine.node, slot), 2);
        let (delivered, _) = h.deliveries();
        assert_eq!(
            delivered,
            vec![
                (
                    a,
                    b"*3\r\n$12\r\nsunsubscribe\r\n$4\r\n{x}1\r\n:2\r\n".to_vec()
                ),
                (
                    a,
                    b"*3\r\n$12\r\nsunsubscribe\r\n$4\r\n{x}2\r\n:1\r\n".to_vec()
                ),
            ]
        );
        assert_eq!(
            text(&h.exec(a, "sunsubscribe")),
            "*3\r\n$12\r\nsunsubscribe\r\n$1\r\ny\r\n:0\r\n"
        );
        assert_eq!(super::unsubscribe_shard_slot(&mut h.engine.node, slot), 0);
    }

    #[test]
    fn client_pause_write_holds_publish_but_not_subscribe() {
        let mut h = Harness::new();
        let a = h.connect();
        let b = h.connect();
        h.exec(a, "client pause 10000 write");
        assert_eq!(
            h.exec_raw(b, &[b"publish", b"c", b"m"]).0,
            ExecOutcome::Paused
        );
        assert_eq!(
            h.exec_raw(b, &[b"spublish", b"c", b"m"]).0,
            ExecOutcome::Paused
        );
        assert_eq!(text(&h.exec(b, "pubsub numpat")), ":0\r\n");
        assert_eq!(
            text(&h.exec(b, "subscribe c")),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
        );
    }

    #[test]
    fn command_info_rows_match_redis() {
        let mut h = Harness::new();
        let a = h.connect();
        assert_eq!(
            text(&h.exec(a, "command info publish ssubscribe")),
            "*2\r\n*10\r\n$7\r\npublish\r\n:3\r\n*4\r\n+pubsub\r\n+loading\r\n+stale\r\n+fast\r\n\
             :0\r\n:0\r\n:0\r\n*2\r\n+@pubsub\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n\
             *10\r\n$10\r\nssubscribe\r\n:-2\r\n*4\r\n+pubsub\r\n+noscript\r\n+loading\r\n\
             +stale\r\n:1\r\n:-1\r\n:1\r\n*2\r\n+@pubsub\r\n+@slow\r\n*0\r\n*1\r\n*6\r\n\
             $5\r\nflags\r\n*1\r\n+not_key\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n\
             $5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n\
             $4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n\
             $7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
        );
    }
}
