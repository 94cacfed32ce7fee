//! The engine: the synchronous heart of a node. The shell feeds it parsed
//! requests with the current time and sends back whatever it wrote; the
//! engine never touches a socket or a clock.
//!
//! `execute` runs Redis's `processCommand` guards in Redis's order — lookup,
//! arity, authentication, MULTI restrictions, cluster routing, pub/sub
//! context, client pause — then either queues the command (inside MULTI,
//! `commands/transaction.rs`) or runs it through [`call`]: the handler plus
//! Redis `call()`'s bookkeeping (stats, WATCH invalidation, MONITOR feed).
//! EXEC runs each queued command through the same [`call`]. CLIENT REPLY
//! modes apply to whole replies, once per request.

use bytes::Bytes;
use shoal_config::Config;
use shoal_resp::ReplyWriter;

use crate::client::{Client, ClientId, ConnectInfo, ReplyMode};
use crate::commands;
use crate::commands::migrate::{MigrationIo, MigrationRequest};
use crate::commands::server::config::ListenChange;
use crate::context::Ctx;
use crate::error::{args_preview, quote_for_error, CommandError};
use crate::node::{Effect, Node};
use crate::table::{CommandSpec, CommandTable, Flags, Handler, KeySpec};

/// What the shell should do after `execute`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecOutcome {
    /// Reply written (or suppressed); go on with the next request.
    Done,
    /// Clients are paused: nothing ran; retry the same request later.
    Paused,
    /// Write the pending replies, then close the connection (QUIT).
    Close,
    /// MIGRATE parked a request: the shell takes it with
    /// [`Engine::take_migration`], performs its I/O without running any
    /// other command, and completes it with [`Engine::finish_migration`].
    Migrate,
    /// CONFIG SET changed `port` or `bind`: the shell listens anew at once
    /// and completes the command with [`Engine::finish_listen_change`].
    Relisten,
}

/// Error text when `maxclients` is reached.
pub const MAX_CLIENTS_ERROR: &str = "ERR max number of clients reached";

/// Error text for a non-loopback client while `protected-mode` is on and no
/// password is set (Redis 7.0 `clientAcceptHandler`, verbatim).
pub const PROTECTED_MODE_ERROR: &str = "DENIED Redis is running in protected mode because \
    protected mode is enabled and no password is set for the default user. In this mode \
    connections are only accepted from the loopback interface. If you want to connect from \
    external computers to Redis you may adopt one of the following solutions: 1) Just disable \
    protected mode sending the command 'CONFIG SET protected-mode no' from the loopback \
    interface by connecting to Redis from the same host the server is running, however MAKE \
    SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make \
    this change permanent. 2) Alternatively you can just disable the protected mode by editing \
    the Redis configuration file, and setting the protected mode option to 'no', and then \
    restarting the server. 3) If you started the server manually just for testing, restart it \
    with the '--protected-mode no' option. 4) Setup a an authentication password for the \
    default user. NOTE: You only need to do one of the above things in order for the server to \
    start accepting connections from the outside.";

/// One node's engine.
pub struct Engine {
    /// All state.
    pub node: Node,
    table: CommandTable,
    /// The row of the last executed command, for `record_duration`.
    last_spec: Option<&'static CommandSpec>,
    /// How long the last executed command blocks the server through
    /// `Effect::BlockServer` (DEBUG SLEEP), for `record_duration`: the shell
    /// sleeps after the execution it measures, Redis inside the command.
    last_blocked_us: i64,
}

impl Engine {
    /// An engine with an empty dataset.
    pub fn new(config: Config, seed: u64, now_ms: i64) -> Self {
        Engine {
            node: Node::new(config, seed, now_ms),
            table: commands::table(),
            last_spec: None,
            last_blocked_us: 0,
        }
    }

    /// The command table.
    pub fn table(&self) -> &CommandTable {
        &self.table
    }

    /// Registers a new connection. `Err` carries the error line to send
    /// before closing (maxclients), as Redis's `acceptCommonHandler` does.
    pub fn connect(&mut self, info: ConnectInfo, now_ms: i64) -> Result<ClientId, &'static str> {
        self.node.stats.total_connections_received += 1;
        if self.node.clients.len() as u64 >= self.node.limits.max_clients {
            self.node.stats.rejected_connections += 1;
            return Err(MAX_CLIENTS_ERROR);
        }
        let password_required = !self.node.config.get_str("requirepass").is_empty();
        if self.node.config.get_bool("protected-mode")
            && !password_required
            && !commands::server::is_local_peer(&info.peer_addr)
        {
            self.node.stats.rejected_connections += 1;
            return Err(PROTECTED_MODE_ERROR);
        }
        let id = self.node.next_client_id;
        self.node.next_client_id += 1;
        self.node
            .clients
            .insert(Box::new(Client::new(id, info, now_ms, password_required)));
        Ok(id)
    }

    /// Forgets a closed connection.
    pub fn disconnect(&mut self, id: ClientId) {
        if let Some(mut client) = self.node.clients.remove(id) {
            // Pub/Sub: drop the client's subscriptions from the node registry.
            commands::pubsub::unsubscribe_all(&mut self.node, &mut client);
        }
        // Transactions: forget its WATCHed keys (Redis freeClient → unwatchAllKeys).
        commands::transaction::unwatch_all(&mut self.node, id);
        self.node.monitors.retain(|monitor| *monitor != id);
    }

    /// The MIGRATE parked by the last `execute` that returned
    /// [`ExecOutcome::Migrate`].
    pub fn take_migration(&mut self) -> Option<Box<MigrationRequest>> {
        self.node.pending_migration.take()
    }

    /// Completes a MIGRATE with the outcome of its I/O: deletes the keys the
    /// target accepted (unless COPY) and writes the reply. Returns whether
    /// the target's connection is now on the destination database, and the
    /// outcome for the connection (QUIT-style closing, CLIENT REPLY).
    pub fn finish_migration(
        &mut self,
        request: &MigrationRequest,
        io: &MigrationIo,
        now_us: i64,
        out: &mut ReplyWriter,
    ) -> (bool, ExecOutcome) {
        let Some(mut client) = self.node.clients.remove(request.client) else {
            return (false, ExecOutcome::Close);
        };
        let (reply_start, mode_at_start) = (out.len(), client.reply_mode);
        let on_destination =
            commands::migrate::finish(&mut self.node, &mut client, request, io, now_us / 1000, out);
        let outcome = self.finish_reply(&mut client, out, reply_start, mode_at_start, false);
        self.node.clients.insert(client);
        (on_destination, outcome)
    }

    /// The CONFIG SET parked by the last `execute` that returned
    /// [`ExecOutcome::Relisten`].
    pub fn take_listen_change(&mut self) -> Option<ListenChange> {
        self.node.pending_listen_change.take()
    }

    /// Completes a CONFIG SET of `port`/`bind` once the shell tried to
    /// listen with the new values: +OK, or Redis's apply-failure error with
    /// the old values restored (the shell then listens with them again).
    pub fn finish_listen_change(
        &mut self,
        change: &ListenChange,
        listened: bool,
        out: &mut ReplyWriter,
    ) -> ExecOutcome {
        let reply_start = out.len();
        commands::server::config::finish_listen_change(&mut self.node, change, listened, out);
        let Some(mut client) = self.node.clients.remove(change.client) else {
            return ExecOutcome::Close;
        };
        let mode_at_start = client.reply_mode;
        let outcome = self.finish_reply(&mut client, out, reply_start, mode_at_start, false);
        self.node.clients.insert(client);
        outcome
    }

    /// Restores the settings of a `port`/`bind` change the shell could not
    /// listen with after it was already answered (inside EXEC, see
    /// `Effect::Relisten`).
    pub fn restore_listen_change(&mut self, change: &ListenChange) {
        let mut discarded = ReplyWriter::new(shoal_resp::Protocol::Resp2);
        commands::server::config::finish_listen_change(
            &mut self.node,
            change,
            false,
            &mut discarded,
        );
    }

    /// Drains the effects queued for the shell.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.node.effects)
    }

    /// Executes one request for client `id`, writing its reply into `out`.
    pub fn execute(
        &mut self,
        id: ClientId,
        args: &[Bytes],
        now_us: i64,
        out: &mut ReplyWriter,
    ) -> ExecOutcome {
        let Some(mut client) = self.node.clients.remove(id) else {
            return ExecOutcome::Close;
        };
        let outcome = self.execute_for(&mut client, args, now_us, out);
        self.node.clients.insert(client);
        outcome
    }

    /// Warms the keyspace caches for a pipelined batch about to run on
    /// client `id` (see `Db::prefetch`): the keys of every request whose
    /// row names fixed key positions, in the client's current database.
    /// Pure hint: changes no state, so a batch that SELECTs or errors
    /// midway only loses a little warmth.
    pub fn prefetch(&self, id: ClientId, requests: &[Vec<Bytes>]) {
        let Some(db) = self.node.clients.get(id).map(|client| client.db) else {
            return;
        };
        if db >= self.node.keyspace.db_count() {
            return;
        }
        let keys = requests.iter().flat_map(|args| {
            // (first, last, step) of the key arguments; (1, 0, 1) is none.
            let (first, last, step) = match args.first().and_then(|name| self.table.get(name)) {
                Some(spec) if spec.subcommands.is_empty() => match spec.keys {
                    KeySpec::Range { first, last, step } if step > 0 && first > 0 => {
                        let len = args.len() as i32;
                        let last = if last < 0 {
                            len + last
                        } else {
                            last.min(len - 1)
                        };
                        (first, last, step)
                    }
                    _ => (1, 0, 1),
                },
                _ => (1, 0, 1),
            };
            (first..=last)
                .step_by(step as usize)
                .filter_map(|index| args.get(index as usize).map(|key| &key[..]))
        });
        self.node.keyspace.db(db).prefetch(keys);
    }

    /// The `client-output-buffer-limit` (hard bytes, soft bytes, soft
    /// seconds) of client `id`'s class (Redis `getClientType`): Pub/Sub
    /// while it has a subscription, else normal (MONITOR included).
    pub fn output_buffer_limits(&self, id: ClientId) -> (u64, u64, u64) {
        let subscribed = self.node.clients.get(id).is_some_and(|client| {
            client.subscription_count() + client.shard_subscription_count() > 0
        });
        if subscribed {
            self.node.limits.output_buffer_limit_pubsub
        } else {
            self.node.limits.output_buffer_limit_normal
        }
    }

    fn execute_for(
        &mut self,
        client: &mut Client,
        args: &[Bytes],
        now_us: i64,
        out: &mut ReplyWriter,
    ) -> ExecOutcome {
        let now_ms = now_us / 1000;
        if args.is_empty() {
            return ExecOutcome::Done;
        }
        client.last_interaction_ms = now_ms;
        // Cluster: ASKING is one-shot; every command but ASKING itself clears
        // it (Redis resetClient), except inside MULTI, where it lasts until
        // EXEC/DISCARD (`finish_reply` puts it back). Taken here, restored if
        // paused.
        let asking = std::mem::take(&mut client.asking);
        let reply_start = out.len();
        let mode_at_start = client.reply_mode;
        let spec = match self.resolve(args) {
            Ok(spec) => spec,
            Err((spec, error)) => {
                self.reject(client, spec, error, args, now_us, out);
                return self.finish_reply(client, out, reply_start, mode_at_start, asking);
            }
        };
        if let Err(error) = self.check_access(client, spec, args) {
            self.reject(client, Some(spec), error, args, now_us, out);
            return self.finish_reply(client, out, reply_start, mode_at_start, asking);
        }
        // Transactions (Redis processCommand): `no_multi` commands are
        // refused inside MULTI, and EXEC is routed as a whole on a cluster
        // node: all queued commands' keys together (§3.6). A misrouted EXEC
        // discards the transaction and gets the plain redirection.
        if client.multi.is_some() {
            if spec.flags.contains(Flags::NO_MULTI) {
                let error = CommandError::err("Command not allowed inside a transaction");
                self.reject(client, Some(spec), error, args, now_us, out);
                return self.finish_reply(client, out, reply_start, mode_at_start, asking);
            }
            if commands::transaction::is_exec(spec) {
                let route =
                    commands::transaction::route_exec(&mut self.node, client, asking, now_ms);
                if let Err(error) = route {
                    commands::transaction::discard_transaction(&mut self.node, client);
                    self.refuse(Some(spec), &error, out);
                    return self.finish_reply(client, out, reply_start, mode_at_start, asking);
                }
            }
        }
        // Cluster: redirect keyed commands this node must not serve (MOVED,
        // ASK, CROSSSLOT, TRYAGAIN, CLUSTERDOWN), after auth as in Redis.
        let route = commands::cluster::route(&mut self.node, client, spec, args, asking, now_ms);
        if let Err(error) = route {
            self.reject(client, Some(spec), error, args, now_us, out);
            return self.finish_reply(client, out, reply_start, mode_at_start, asking);
        }
        // Pub/Sub: a subscribed RESP2 client may run only a few commands
        // (checked after auth, before the pause, as in Redis processCommand).
        if let Err(error) = commands::pubsub::check_context(client, spec) {
            self.reject(client, Some(spec), error, args, now_us, out);
            return self.finish_reply(client, out, reply_start, mode_at_start, asking);
        }
        client.postponed = self.is_paused(client, spec, now_ms);
        if client.postponed {
            client.asking = asking;
            return ExecOutcome::Paused;
        }
        let Some(handler) = spec.handler else {
            // Containers always resolve to a subcommand row; a row without a
            // handler is a table bug, reported rather than panicking.
            let error = CommandError::err(format!("command '{}' has no handler", spec.name));
            self.reject(client, Some(spec), error, args, now_us, out);
            return self.finish_reply(client, out, reply_start, mode_at_start, asking);
        };
        client.last_command = commands::full_name(spec);
        // Transactions: inside MULTI everything but EXEC, DISCARD, MULTI,
        // WATCH, QUIT and RESET is queued and answered +QUEUED; it is neither
        // executed nor counted until EXEC.
        if client.multi.is_some() && !commands::transaction::runs_inside_multi(spec) {
            commands::transaction::queue(&self.node, client, spec, args);
            out.simple("QUEUED");
            return self.finish_reply(client, out, reply_start, mode_at_start, asking);
        }
        let effects_before = self.node.effects.len();
        call(&mut self.node, client, spec, handler, args, now_us, out);
        self.last_spec = Some(spec);
        self.last_blocked_us = blocked_us(self.node.effects.get(effects_before..).unwrap_or(&[]));
        if self.node.pending_migration.is_some() && spec.name == "migrate" {
            // The reply comes with `finish_migration`.
            return ExecOutcome::Migrate;
        }
        if self.node.pending_listen_change.is_some() && spec.name == "config|set" {
            // The reply comes with `finish_listen_change`.
            return ExecOutcome::Relisten;
        }
        self.finish_reply(client, out, reply_start, mode_at_start, asking)
    }

    /// Finds the row for `args`, descending into subcommands. An arity error
    /// carries the row so it is counted as a rejected call of that command.
    fn resolve(
        &self,
        args: &[Bytes],
    ) -> Result<&'static CommandSpec, (Option<&'static CommandSpec>, CommandError)> {
        let Some(spec) = self.table.get(&args[0]) else {
            return Err((
                None,
                CommandError::UnknownCommand {
                    name: quote_for_error(&args[0]),
                    args_preview: args_preview(&args[1..]),
                },
            ));
        };
        // A container with its own handler (COMMAND) runs it when called bare.
        if spec.subcommands.is_empty() || (args.len() == 1 && spec.handler.is_some()) {
            if !spec.arity_ok(args.len()) {
                return Err((Some(spec), CommandError::WrongArity(spec.name.to_string())));
            }
            return Ok(spec);
        }
        let Some(sub_name) = args.get(1) else {
            return Err((Some(spec), CommandError::WrongArity(spec.name.to_string())));
        };
        let Some(sub) = spec.subcommand(sub_name) else {
            return Err((
                Some(spec),
                CommandError::UnknownSubcommand {
                    subcommand: quote_for_error(sub_name),
                    command: spec.name.to_ascii_uppercase(),
                },
            ));
        };
        if !sub.arity_ok(args.len()) {
            return Err((Some(sub), CommandError::WrongArity(sub.name.to_string())));
        }
        Ok(sub)
    }

    fn check_access(
        &self,
        client: &Client,
        spec: &'static CommandSpec,
        _args: &[Bytes],
    ) -> Result<(), CommandError> {
        if !client.authenticated && !spec.flags.contains(Flags::NO_AUTH) {
            return Err(CommandError::NoAuth);
        }
        Ok(())
    }

    fn is_paused(&mut self, client: &Client, spec: &'static CommandSpec, now_ms: i64) -> bool {
        let Some(pause) = self.node.pause else {
            return false;
        };
        if now_ms >= pause.until_ms {
            self.node.set_pause(None);
            return false;
        }
        // Redis 7.0 postpones every command under a pause of ALL, CLIENT
        // UNPAUSE included (only a replica or the timeout ends it).
        !pause.writes_only
            || spec.flags.contains(Flags::WRITE)
            || spec.flags.contains(Flags::MAY_REPLICATE)
            // EXEC counts as a write when a queued command is one (Redis
            // `is_may_replicate_command` looks at `mstate.cmd_flags`).
            || commands::transaction::exec_may_replicate(client, spec)
    }

    /// A command refused before running (Redis `rejectCommand`): an open
    /// transaction is flagged so its EXEC fails with EXECABORT, and a refused
    /// EXEC itself aborts the transaction at once (`execCommandAbort`).
    fn reject(
        &mut self,
        client: &mut Client,
        spec: Option<&'static CommandSpec>,
        error: CommandError,
        args: &[Bytes],
        now_us: i64,
        out: &mut ReplyWriter,
    ) {
        let error = match spec {
            Some(spec) if commands::transaction::is_exec(spec) => {
                let error = commands::transaction::abort_exec(&mut self.node, client, &error);
                // The MULTI went to MONITOR already; EXEC closes it there.
                feed_monitors(&mut self.node, client, args, now_us);
                error
            }
            _ => {
                commands::transaction::flag_transaction(client);
                error
            }
        };
        self.refuse(spec, &error, out);
    }

    /// Counts a refused command (`rejected_calls`, errorstats) and writes its error.
    fn refuse(
        &mut self,
        spec: Option<&'static CommandSpec>,
        error: &CommandError,
        out: &mut ReplyWriter,
    ) {
        if let Some(spec) = spec {
            let full_name = commands::full_name(spec);
            self.node
                .stats
                .commands
                .entry(full_name)
                .or_default()
                .rejected_calls += 1;
        }
        self.node.count_error(&error.kind());
        out.error_bytes(&error.to_bytes());
    }

    /// Applies CLIENT REPLY OFF/SKIP and QUIT-style closing.
    /// `asking` is the ASKING flag taken at the start of the request: it
    /// survives while the client is inside MULTI (Redis resetClient).
    fn finish_reply(
        &mut self,
        client: &mut Client,
        out: &mut ReplyWriter,
        reply_start: usize,
        mode_at_start: ReplyMode,
        asking: bool,
    ) -> ExecOutcome {
        if client.multi.is_some() {
            client.asking |= asking;
        }
        // Redis drops every reply byte written while CLIENT_REPLY_OFF or
        // CLIENT_REPLY_SKIP is set. CLIENT REPLY ON clears both before it
        // replies +OK, so its reply shows; an OFF set midway through EXEC is
        // applied per queued command by EXEC.
        let suppressed = matches!(mode_at_start, ReplyMode::Off | ReplyMode::SkipNext)
            && client.reply_mode != ReplyMode::On;
        if suppressed {
            client.suppress_reply(out, reply_start);
        }
        client.pushed_ranges.clear();
        client.reply_mode = match (mode_at_start, client.reply_mode) {
            // CLIENT REPLY SKIP (directly or queued): the next command.
            (_, ReplyMode::Skip) => ReplyMode::SkipNext,
            (ReplyMode::SkipNext, ReplyMode::SkipNext) => ReplyMode::On,
            (_, mode) => mode,
        };
        if client.close_after_reply {
            ExecOutcome::Close
        } else {
            ExecOutcome::Done
        }
    }

    /// Records how long the last executed command took (measured by the
    /// shell around `execute`, plus the DEBUG SLEEP the shell carries out
    /// afterwards): commandstats, SLOWLOG, LATENCY. `args` are the same
    /// arguments that were executed.
    pub fn record_duration(&mut self, id: ClientId, args: &[Bytes], duration_us: i64, now_ms: i64) {
        let blocked_us = std::mem::take(&mut self.last_blocked_us);
        let Some(spec) = self.last_spec.take() else {
            return;
        };
        let duration_us = duration_us.saturating_add(blocked_us);
        let (peer, name) = match self.node.clients.get(id) {
            Some(client) => (
                client.connection.peer_addr.clone(),
                client.name.clone().unwrap_or_default(),
            ),
            None => (String::new(), Bytes::new()),
        };
        let caller = (peer.as_str(), &name[..]);
        record_command_duration(&mut self.node, caller, spec, args, duration_us, now_ms);
    }

    /// Periodic work (Redis `serverCron` at `hz`): active expiry, client
    /// timeouts, pause expiry. `budget` bounds the keys sampled.
    pub fn tick(&mut self, now_ms: i64) {
        if self.node.cron_paused {
            return;
        }
        if self
            .node
            .pause
            .is_some_and(|pause| now_ms >= pause.until_ms)
        {
            self.node.set_pause(None);
        }
        // Redis's activeExpireCycle returns at once while clients are paused.
        if self.node.active_expire_enabled && self.node.pause.is_none() {
            self.active_expire(now_ms);
        }
        commands::pubsub::publish_key_events(&mut self.node, None);
        self.close_idle_clients(now_ms);
        let stats = &self.node.stats;
        self.node.instant_metrics.maybe_sample(
            stats.total_commands_processed,
            stats.net_input_bytes,
            stats.net_output_bytes,
            now_ms,
        );
        let used = self.node.memory.used_memory_bytes;
        if used > self.node.stats.used_memory_peak_bytes {
            self.node.stats.used_memory_peak_bytes = used;
        }
    }

    fn active_expire(&mut self, now_ms: i64) {
        // Redis's slow cycle: ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP (20) keys per
        // loop scaled by active-expire-effort, over CRON_DBS_PER_CALL (16)
        // databases per call.
        let effort = self
            .node
            .config
            .get_i64("active-expire-effort")
            .clamp(1, 10) as usize;
        let keys_per_loop = 20 + 20 / 4 * (effort - 1);
        self.node
            .keyspace
            .active_expire_cycle(now_ms, keys_per_loop * 16);
    }

    fn close_idle_clients(&mut self, now_ms: i64) {
        let timeout_seconds = self.node.limits.idle_timeout_seconds;
        if timeout_seconds <= 0 {
            return;
        }
        let idle: Vec<ClientId> = self
            .node
            .clients
            .iter()
            .filter(|client| !client.monitor)
            .filter(|client| now_ms - client.last_interaction_ms > timeout_seconds * 1000)
            .map(|client| client.id)
            .collect();
        for id in idle {
            self.node.effects.push(Effect::CloseClient(id));
        }
    }
}

/// Runs one command that passed every guard, with Redis `call()`'s
/// bookkeeping: the pre-handler hooks, the handler (its error, if any,
/// replaces whatever it wrote), `calls`/`failed_calls`, errorstats,
/// `total_commands_processed`, WATCH invalidation of the keys a write
/// modified, and the MONITOR feed (after the command, so EXEC's inner
/// commands appear before EXEC itself). Used for top-level commands and by
/// EXEC for each queued one.
pub(crate) fn call(
    node: &mut Node,
    client: &mut Client,
    spec: &'static CommandSpec,
    handler: Handler,
    args: &[Bytes],
    now_us: i64,
    out: &mut ReplyWriter,
) {
    let reply_start = out.len();
    let full_name = commands::full_name(spec);
    // Pub/Sub: RESET drops subscriptions; PING in RESP2 subscribed mode
    // replies ["pong", <arg>].
    let handler = commands::pubsub::prepare(node, client, spec, handler);
    // Cluster: SELECT is restricted; RESET clears READONLY.
    let handler = commands::cluster::prepare(node, client, spec, handler);
    // Transactions: RESET discards MULTI and WATCH state.
    commands::transaction::prepare(node, client, spec);
    let dirty_before = node.dirty;
    let db = client.db;
    let mut ctx = Ctx {
        args,
        node: &mut *node,
        client: &mut *client,
        out: &mut *out,
        now_ms: now_us / 1000,
        now_us,
        spec,
    };
    let result = handler(&mut ctx);
    let stats = node.stats.commands.entry(full_name).or_default();
    stats.calls += 1;
    node.stats.total_commands_processed += 1;
    if let Err(error) = result {
        out.truncate(reply_start);
        if let Some(stats) = node.stats.commands.get_mut(full_name) {
            stats.failed_calls += 1;
        }
        node.count_error(&error.kind());
        out.error_bytes(&error.to_bytes());
    }
    // `expired` and `keymiss` events of the command's lookups that no event
    // of its own published first (GET of an expired key). Redis publishes
    // them inside the lookup, before the reply is written, so a RESP3
    // client subscribed to them gets its own pushes ahead of the reply:
    // they go in at the reply's start.
    if commands::pubsub::has_key_events(node) {
        let reply = out.raw_mut().split_off(reply_start);
        commands::pubsub::publish_key_events(node, Some((&*client, &mut *out)));
        out.raw(&reply);
    }
    // WATCH: a write that changed the dataset touches its keys (Redis
    // signalModifiedKey); free while nobody watches anything.
    if spec.flags.contains(Flags::WRITE) && node.watches.is_active() && node.dirty != dirty_before {
        commands::transaction::touch_written_keys(node, spec, args, db, now_us / 1000);
    }
    if !spec.flags.contains(Flags::SKIP_MONITOR) && !spec.flags.contains(Flags::ADMIN) {
        feed_monitors(node, client, args, now_us);
    }
}

/// Sends a MONITOR line for `args` to every monitor but the sender.
fn feed_monitors(node: &mut Node, client: &Client, args: &[Bytes], now_us: i64) {
    if node.monitors.is_empty() {
        return;
    }
    let line = commands::monitor_line(client, args, now_us);
    for monitor in &node.monitors {
        if *monitor != client.id {
            node.effects.push(Effect::Deliver {
                client: *monitor,
                bytes: line.clone(),
            });
        }
    }
}

/// What Redis's `call` records once a command ran for `duration_us`:
/// commandstats time and latency histogram, the latency monitor (fast
/// commands as `fast-command`), and unless the row says SKIP_SLOWLOG (EXEC
/// and friends, whose queued commands are recorded one by one) the slow
/// log with the caller's address and name.
pub(crate) fn record_command_duration(
    node: &mut Node,
    (peer, name): (&str, &[u8]),
    spec: &'static CommandSpec,
    args: &[Bytes],
    duration_us: i64,
    now_ms: i64,
) {
    let tracking = node.limits.latency_tracking;
    if let Some(stats) = node.stats.commands.get_mut(commands::full_name(spec)) {
        stats.usec += duration_us.max(0) as u64;
        if tracking {
            // Redis records `duration * 1000`: microseconds as ns.
            stats
                .latency
                .get_or_insert_with(Box::default)
                .record(duration_us.max(0) as u64 * 1000);
        }
    }
    let event = if spec.flags.contains(Flags::FAST) {
        "fast-command"
    } else {
        "command"
    };
    node.latency.record(
        event,
        (duration_us / 1000).max(0) as u64,
        node.limits.latency_monitor_threshold_ms,
        now_ms / 1000,
    );
    if !spec.flags.contains(Flags::SKIP_SLOWLOG) && node.slowlog.would_record(duration_us) {
        let name = Bytes::copy_from_slice(name);
        node.slowlog
            .record(args, duration_us, now_ms / 1000, peer, &name);
    }
}

/// Microseconds the `Effect::BlockServer`s among `effects` will block the
/// server (DEBUG SLEEP, also inside EXEC).
pub(crate) fn blocked_us(effects: &[Effect]) -> i64 {
    effects
        .iter()
        .map(|effect| match effect {
            Effect::BlockServer { duration_ms } => i64::try_from(*duration_ms)
                .unwrap_or(i64::MAX)
                .saturating_mul(1000),
            _ => 0,
        })
        .fold(0, i64::saturating_add)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::PROTECTED_MODE_ERROR;
    use crate::client::ConnectInfo;
    use crate::testing::{bulk, TestNode};

    fn request(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|word| Bytes::from(word.to_string()))
            .collect()
    }

    /// Protected mode (on by default, no password): only 127.0.0.1 and ::1
    /// may connect, exactly as Redis compares the peer address.
    #[test]
    fn protected_mode_admits_only_loopback_peers_without_a_password() {
        let mut node = TestNode::new();
        let try_peer = |node: &mut TestNode, peer: &str| {
            let info = ConnectInfo {
                peer_addr: peer.into(),
                ..ConnectInfo::default()
            };
            node.engine.connect(info, node.now_ms)
        };
        for peer in [
            "192.0.2.9:5000",
            "127.0.0.2:5000",
            "[::ffff:127.0.0.1]:5000",
            "",
        ] {
            assert_eq!(
                try_peer(&mut node, peer),
                Err(PROTECTED_MODE_ERROR),
                "{peer}"
            );
        }
        assert_eq!(node.engine.node.stats.rejected_connections, 4);
        assert!(try_peer(&mut node, "127.0.0.1:5000").is_ok());
        assert!(try_peer(&mut node, "[::1]:5000").is_ok());
        node.run("CONFIG SET requirepass secret");
        assert!(try_peer(&mut node, "192.0.2.9:5000").is_ok());
        node.run("CONFIG SET requirepass \"\"");
        node.run("CONFIG SET protected-mode no");
        assert!(try_peer(&mut node, "192.0.2.9:5000").is_ok());
    }

    /// Prefetching is a hint over any input: unknown commands, containers,
    /// keyless and multi-key rows, wrong arities, unknown clients. It must
    /// not panic and must change nothing the next commands see.
    #[test]
    fn prefetch_accepts_any_batch_and_changes_nothing() {
        let mut node = TestNode::new();
        node.run("SET k1 v1");
        node.run("SET {t}a 1");
        let batch = [
            request(&["GET", "k1"]),
            request(&["get"]),
            request(&["MSET", "k1", "x", "k2"]),
            request(&["MGET", "k1", "k2", "k3"]),
            request(&["CLIENT", "LIST"]),
            request(&["PING"]),
            request(&["NOSUCHCOMMAND", "k1"]),
            request(&["BITOP", "AND", "dest", "k1"]),
            request(&[]),
        ];
        node.engine.prefetch(node.client, &batch);
        node.engine.prefetch(node.client + 1000, &batch);
        assert_eq!(node.run("GET k1"), bulk("v1"));
        assert_eq!(node.run("DBSIZE"), shoal_resp::Frame::Integer(2));
    }
}
