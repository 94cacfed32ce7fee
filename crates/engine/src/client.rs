//! Per-connection state the engine keeps (Redis's `client` struct minus the
//! socket and buffers, which belong to the server shell).

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::table::CommandSpec;

/// A client's identity in the engine (`CLIENT ID`).
pub type ClientId = u64;

/// `CLIENT REPLY` mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// Replies are sent.
    #[default]
    On,
    /// No replies until `CLIENT REPLY ON`.
    Off,
    /// The next command's reply is dropped.
    Skip,
    /// Internal: the command after SKIP, whose reply is dropped.
    SkipNext,
}

/// How a connection reached us, from the shell.
#[derive(Clone, Debug, Default)]
pub struct ConnectInfo {
    /// Peer address `ip:port`.
    pub peer_addr: String,
    /// Local address `ip:port`.
    pub local_addr: String,
    /// File descriptor number (CLIENT LIST `fd=`).
    pub fd: i64,
}

/// Buffer sizes the shell reports for CLIENT LIST / INFO.
#[derive(Clone, Copy, Debug, Default)]
pub struct BufferStats {
    /// Unparsed query buffer bytes.
    pub query_buffer_bytes: usize,
    /// Query buffer capacity.
    pub query_buffer_capacity_bytes: usize,
    /// Pending output bytes.
    pub output_buffer_bytes: usize,
}

/// A command queued between MULTI and EXEC (Redis `multiCmd`).
#[derive(Clone, Debug)]
pub struct QueuedCommand {
    /// The row that will run (the subcommand row for containers).
    pub spec: &'static CommandSpec,
    /// The arguments as sent, name included.
    pub args: Vec<Bytes>,
}

/// The MULTI state of a client (Redis `multiState` plus `CLIENT_DIRTY_EXEC`).
/// Maintained by `commands/transaction.rs` only.
#[derive(Clone, Debug, Default)]
pub struct MultiState {
    /// Commands queued so far, in order.
    pub commands: Vec<QueuedCommand>,
    /// A command was rejected while queueing: EXEC replies EXECABORT.
    pub aborted: bool,
}

/// One connected client.
#[derive(Clone, Debug)]
pub struct Client {
    /// Unique, increasing id.
    pub id: ClientId,
    /// Addresses and fd.
    pub connection: ConnectInfo,
    /// `CLIENT SETNAME`.
    pub name: Option<Bytes>,
    /// Selected database.
    pub db: usize,
    /// Passed AUTH (or no password is configured).
    pub authenticated: bool,
    /// RESP version (2 or 3) as set by HELLO.
    pub resp: u8,
    /// Connection time, Unix ms.
    pub created_ms: i64,
    /// Last command time, Unix ms (idle time, `timeout`).
    pub last_interaction_ms: i64,
    /// Full name of the last command (`client|list`).
    pub last_command: &'static str,
    /// `CLIENT REPLY` state.
    pub reply_mode: ReplyMode,
    /// Byte ranges of the reply buffer written as pushes by the command
    /// running now (pub/sub confirmations): Redis's `CLIENT_PUSHING`, which
    /// CLIENT REPLY OFF/SKIP does not suppress. Cleared after each command.
    pub pushed_ranges: Vec<(usize, usize)>,
    /// `CLIENT NO-EVICT`.
    pub no_evict: bool,
    /// In MONITOR mode.
    pub monitor: bool,
    /// Marked for closing after the pending replies are written (QUIT, CLIENT KILL of self).
    pub close_after_reply: bool,
    /// Its last request waits for CLIENT PAUSE to end (Redis
    /// `BLOCKED_POSTPONE`: counted in INFO `blocked_clients`, CLIENT LIST
    /// flag `b`).
    pub postponed: bool,
    /// Buffer sizes, refreshed by the shell.
    pub buffers: BufferStats,
    // --- Pub/Sub (owned by commands/pubsub.rs) ---
    /// SUBSCRIBE channels (Redis `c->pubsub_channels`).
    pub pubsub_channels: BTreeSet<Bytes>,
    /// PSUBSCRIBE patterns in subscription order: Redis 7.0 keeps them in a
    /// list, and PUNSUBSCRIBE without arguments replies in that order.
    pub pubsub_patterns: Vec<Bytes>,
    /// SSUBSCRIBE shard channels (Redis `c->pubsubshard_channels`).
    pub pubsub_shard_channels: BTreeSet<Bytes>,
    // --- Cluster (owned by commands/cluster.rs) ---
    /// ASKING was sent: the next command may be served on an importing slot
    /// (Redis `CLIENT_ASKING`; one-shot, cleared as each command starts).
    pub asking: bool,
    /// READONLY was sent: reads of my primary's slots are served on this
    /// replica (Redis `CLIENT_READONLY`; READWRITE and RESET clear it).
    pub readonly: bool,
    // --- Transactions (owned by commands/transaction.rs) ---
    /// Between MULTI and EXEC/DISCARD (Redis `CLIENT_MULTI`): commands are
    /// queued here instead of running. Boxed so an idle client pays one word.
    /// WATCHed keys live in `Node::watches`.
    pub multi: Option<Box<MultiState>>,
}

impl Client {
    /// A new client, unauthenticated when a password is required.
    pub fn new(
        id: ClientId,
        connection: ConnectInfo,
        now_ms: i64,
        password_required: bool,
    ) -> Self {
        Client {
            id,
            connection,
            name: None,
            db: 0,
            authenticated: !password_required,
            resp: 2,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_command: "NULL",
            reply_mode: ReplyMode::On,
            pushed_ranges: Vec::new(),
            no_evict: false,
            monitor: false,
            close_after_reply: false,
            postponed: false,
            buffers: BufferStats::default(),
            pubsub_channels: BTreeSet::new(),
            pubsub_patterns: Vec::new(),
            pubsub_shard_channels: BTreeSet::new(),
            asking: false,
            readonly: false,
            multi: None,
        }
    }

    /// Drops the reply bytes written from `start` on, as CLIENT REPLY
    /// OFF/SKIP does, except the pushes recorded in `pushed_ranges`, which
    /// stay in order (Redis `prepareClientToWrite` lets `CLIENT_PUSHING`
    /// output through).
    pub fn suppress_reply(&mut self, out: &mut shoal_resp::ReplyWriter, start: usize) {
        let mut kept = Vec::new();
        for &(first, end) in self
            .pushed_ranges
            .iter()
            .filter(|(first, _)| *first >= start)
        {
            if let Some(bytes) = out.as_bytes().get(first..end) {
                kept.extend_from_slice(bytes);
            }
        }
        out.truncate(start);
        out.raw(&kept);
        self.pushed_ranges.retain(|(first, _)| *first < start);
        if !kept.is_empty() {
            self.pushed_ranges.push((start, start + kept.len()));
        }
    }

    /// Channels plus patterns (Redis `clientSubscriptionsCount`): the count
    /// SUBSCRIBE/PSUBSCRIBE and their UNSUBSCRIBEs reply with; CLIENT LIST
    /// shows the parts as `sub=` and `psub=`.
    pub fn subscription_count(&self) -> usize {
        self.pubsub_channels.len() + self.pubsub_patterns.len()
    }

    /// Shard channels (Redis `clientShardSubscriptionsCount`, CLIENT LIST `ssub=`).
    pub fn shard_subscription_count(&self) -> usize {
        self.pubsub_shard_channels.len()
    }

    /// True while subscribed to anything (Redis's `CLIENT_PUBSUB` flag,
    /// CLIENT LIST flag `P`): a RESP2 client in this state may only run
    /// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET.
    pub fn is_pubsub(&self) -> bool {
        self.subscription_count() + self.shard_subscription_count() > 0
    }

    /// True between MULTI and EXEC/DISCARD (CLIENT LIST flag `x`).
    pub fn in_multi(&self) -> bool {
        self.multi.is_some()
    }

    /// Commands queued in the open transaction, -1 outside MULTI (CLIENT
    /// LIST `multi=`).
    pub fn multi_len(&self) -> i64 {
        self.multi
            .as_ref()
            .map_or(-1, |multi| multi.commands.len() as i64)
    }
}
