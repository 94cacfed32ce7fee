//! The node: everything one Shoal process owns besides sockets — the
//! keyspace, the configuration, statistics, the client registry and the
//! outbox of effects for the shell. There is exactly one owner of a `Node`
//! (the engine), so the data path takes no locks.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};
use shoal_config::Config;
use shoal_keyspace::{AccessPolicy, Keyspace};

use crate::client::{Client, ClientId};
use crate::slowlog::{LatencyMonitor, SlowLog};

/// Hot-path limits cached from the configuration (refreshed on CONFIG SET).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len_bytes: u64,
    /// `client-query-buffer-limit`.
    pub client_query_buffer_limit_bytes: u64,
    /// `maxclients`.
    pub max_clients: u64,
    /// `timeout` in seconds (0 = never).
    pub idle_timeout_seconds: i64,
    /// Normal-class `client-output-buffer-limit`: (hard, soft, soft seconds).
    pub output_buffer_limit_normal: (u64, u64, u64),
    /// Pub/Sub-class `client-output-buffer-limit`: (hard, soft, soft seconds).
    pub output_buffer_limit_pubsub: (u64, u64, u64),
    /// `latency-monitor-threshold` (0 = off).
    pub latency_monitor_threshold_ms: u64,
    /// `notify-keyspace-events` as `shoal_config::notify` bits (0 = off).
    pub keyspace_events: u32,
    /// `latency-tracking`: per-command latency histograms are kept.
    pub latency_tracking: bool,
}

impl Limits {
    /// Reads the limits out of a configuration.
    pub fn from_config(config: &Config) -> Self {
        let (hard, soft, seconds) =
            config.client_output_buffer_limit(shoal_config::ClientClass::Normal);
        Limits {
            proto_max_bulk_len_bytes: config.get_i64("proto-max-bulk-len").max(0) as u64,
            client_query_buffer_limit_bytes: config.get_i64("client-query-buffer-limit").max(0)
                as u64,
            max_clients: config.get_i64("maxclients").max(0) as u64,
            idle_timeout_seconds: config.get_i64("timeout"),
            output_buffer_limit_normal: (hard, soft, seconds.max(0) as u64),
            output_buffer_limit_pubsub: {
                let (hard, soft, seconds) =
                    config.client_output_buffer_limit(shoal_config::ClientClass::PubSub);
                (hard, soft, seconds.max(0) as u64)
            },
            latency_monitor_threshold_ms: config.get_i64("latency-monitor-threshold").max(0) as u64,
            keyspace_events: config.notify_keyspace_events(),
            latency_tracking: config.get_bool("latency-tracking"),
        }
    }
}

/// How the keyspace records key accesses, from `maxmemory-policy`
/// (`allkeys-lfu` and `volatile-lfu` keep Redis's LFU counter, every other
/// policy the LRU clock), `lfu-log-factor` and `lfu-decay-time`.
pub(crate) fn access_policy(config: &Config) -> AccessPolicy {
    let to_u32 = |name: &str| u32::try_from(config.get_i64(name).max(0)).unwrap_or(u32::MAX);
    AccessPolicy {
        lfu: config.get_enum("maxmemory-policy").contains("lfu"),
        lfu_log_factor: to_u32("lfu-log-factor"),
        lfu_decay_time_minutes: to_u32("lfu-decay-time"),
    }
}

/// Mixed into the node's seed for the keyspace's LFU-increment generator,
/// so that seeding it takes nothing from [`Node::random`]'s stream.
const ACCESS_RANDOM_SEED_TAG: u64 = 0x4C46_5543_4F55_4E54;

/// Something the engine needs the shell to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Close a client's connection (CLIENT KILL, idle timeout).
    CloseClient(ClientId),
    /// Send pre-encoded bytes to a client (MONITOR feed).
    Deliver {
        /// The receiving client.
        client: ClientId,
        /// Encoded RESP.
        bytes: Vec<u8>,
    },
    /// Stop the process (SHUTDOWN).
    Shutdown {
        /// Save before exiting.
        save: bool,
    },
    /// Listen again with the configured `port`/`bind` after a CONFIG SET
    /// inside EXEC (which had to reply first); on failure restore the
    /// change with `Engine::restore_listen_change` and listen again.
    Relisten(crate::commands::server::config::ListenChange),
    /// Write a line to the server log at warning level (DEBUG LOG).
    LogWarning(String),
    /// Block the whole server, as Redis's DEBUG SLEEP does.
    BlockServer {
        /// How long.
        duration_ms: u64,
    },
    /// Configuration values changed (the shell re-reads what it uses).
    ConfigChanged(Vec<&'static str>),
    /// Write the configuration file (CONFIG REWRITE).
    RewriteConfig,
    /// Write `ClusterState::to_nodes_conf()` to nodes.conf and fsync it
    /// (CLUSTER SAVECONFIG; Redis `clusterSaveConfig(1)`).
    SaveClusterConfig,
    /// A PUBLISH (`shard: false`) or SPUBLISH (`shard: true`) ran on a
    /// cluster node: forward it over the cluster bus (Redis
    /// `clusterPropagatePublish` / `clusterPropagatePublishShard`). Receivers
    /// deliver it with `deliver_publish`, which never re-propagates.
    ClusterPublish {
        /// The channel (or shard channel).
        channel: Bytes,
        /// The message.
        message: Bytes,
        /// SPUBLISH (to the shard's nodes only) rather than PUBLISH (to all).
        shard: bool,
    },
}

/// Pub/Sub subscriptions of the whole node (Redis `server.pubsub_channels`,
/// `server.pubsub_patterns`, `server.pubsubshard_channels`). Ordered maps
/// keep PUBSUB CHANNELS and delivery order deterministic. An entry exists
/// only while it has at least one subscriber. Maintained by
/// `commands/pubsub.rs` only.
#[derive(Debug, Default)]
pub struct PubSub {
    /// Channel → subscribed clients.
    pub channels: BTreeMap<Bytes, BTreeSet<ClientId>>,
    /// Pattern → subscribed clients.
    pub patterns: BTreeMap<Bytes, BTreeSet<ClientId>>,
    /// Shard channel → subscribed clients.
    pub shard_channels: BTreeMap<Bytes, BTreeSet<ClientId>>,
}

/// What a watcher saw when it sent WATCH (see `commands/transaction.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watcher {
    /// The watching client.
    pub client: ClientId,
    /// The key existed (and was not expired) at WATCH time.
    pub existed: bool,
    /// Its absolute expiry then, Unix ms (`None`: absent or no TTL).
    pub expire_at_ms: Option<i64>,
}

/// WATCH bookkeeping of the whole node (Redis `db->watched_keys`,
/// `c->watched_keys` and `CLIENT_DIRTY_CAS`). Ordered maps keep everything
/// deterministic; an entry exists only while something is watched.
/// Maintained by `commands/transaction.rs` only, whose module doc explains
/// how keys get touched.
#[derive(Debug, Default)]
pub struct Watches {
    /// Per database index: key → its watchers, in WATCH order.
    pub dbs: Vec<BTreeMap<Bytes, Vec<Watcher>>>,
    /// Client → the (database, key) pairs it watches, in WATCH order.
    pub by_client: BTreeMap<ClientId, Vec<(usize, Bytes)>>,
    /// Clients whose watched keys were modified: their EXEC fails.
    pub dirty: BTreeSet<ClientId>,
}

impl Watches {
    /// True while some client watches a key: only then do writes look for
    /// watchers (the check on the write path).
    pub fn is_active(&self) -> bool {
        !self.by_client.is_empty()
    }

    /// True when `client`'s next EXEC fails because a watched key changed
    /// (CLIENT LIST flag `d`; expiry is only noticed at EXEC).
    pub fn is_dirty(&self, client: ClientId) -> bool {
        self.dirty.contains(&client)
    }
}

/// Per-command statistics (INFO commandstats and latencystats).
#[derive(Clone, Debug, Default)]
pub struct CommandStats {
    /// Latency distribution while `latency-tracking` is on (allocated on
    /// the first recorded call).
    pub latency: Option<Box<crate::latency_histogram::LatencyHistogram>>,
    /// Successful or failed executions.
    pub calls: u64,
    /// Microseconds spent.
    pub usec: u64,
    /// Rejected before execution (arity, auth, ...).
    pub rejected_calls: u64,
    /// Executed and replied with an error.
    pub failed_calls: u64,
}

/// Server-wide counters (INFO stats).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Commands executed.
    pub total_commands_processed: u64,
    /// Connections accepted.
    pub total_connections_received: u64,
    /// Connections refused (maxclients).
    pub rejected_connections: u64,
    /// Successful key lookups by read commands.
    pub keyspace_hits: u64,
    /// Failed key lookups by read commands.
    pub keyspace_misses: u64,
    /// Bytes read from clients.
    pub net_input_bytes: u64,
    /// Bytes written to clients.
    pub net_output_bytes: u64,
    /// Error replies sent.
    pub total_error_replies: u64,
    /// Error replies by code (INFO errorstats).
    pub error_counts: BTreeMap<String, u64>,
    /// Per command (full name such as `client|list`).
    pub commands: BTreeMap<&'static str, CommandStats>,
    /// Clients closed for exceeding a buffer limit.
    pub client_query_buffer_limit_disconnections: u64,
    /// Clients closed for output buffer limits.
    pub client_output_buffer_limit_disconnections: u64,
    /// Peak of `used_memory`.
    pub used_memory_peak_bytes: u64,
}

/// Registry of connected clients. The executing client is taken out while
/// its command runs (so a handler holds `&mut Client` and `&mut Node`); that
/// happens per command, so it is a hash map with a fixed (deterministic)
/// hasher rather than an ordered map. Iteration order is by id.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    clients: hashbrown::HashMap<ClientId, Box<Client>, IdHasherBuilder>,
}

/// Hasher for small integer ids: one multiply (Fibonacci hashing).
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasherBuilder;

/// The hasher built by `IdHasherBuilder`.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher(u64);

impl std::hash::BuildHasher for IdHasherBuilder {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0 ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl ClientRegistry {
    /// Adds a client.
    pub fn insert(&mut self, client: Box<Client>) {
        self.clients.insert(client.id, client);
    }

    /// Removes a client.
    pub fn remove(&mut self, id: ClientId) -> Option<Box<Client>> {
        self.clients.remove(&id)
    }

    /// A client by id.
    pub fn get(&self, id: ClientId) -> Option<&Client> {
        self.clients.get(&id).map(|client| &**client)
    }

    /// A client by id, mutably.
    pub fn get_mut(&mut self, id: ClientId) -> Option<&mut Client> {
        self.clients.get_mut(&id).map(|client| &mut **client)
    }

    /// All registered clients in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        let mut clients: Vec<&Client> = self.clients.values().map(|client| &**client).collect();
        clients.sort_unstable_by_key(|client| client.id);
        clients.into_iter()
    }

    /// All registered clients, mutably, in id order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Client> {
        let mut clients: Vec<&mut Client> = self
            .clients
            .values_mut()
            .map(|client| &mut **client)
            .collect();
        clients.sort_unstable_by_key(|client| client.id);
        clients.into_iter()
    }

    /// Number of registered clients (not counting one taken out to execute).
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// True when no client is registered.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }
}

/// `CLIENT PAUSE` state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// Pause ends at this Unix ms.
    pub until_ms: i64,
    /// Only write commands are paused (`WRITE` mode).
    pub writes_only: bool,
}

/// Memory figures the shell measures (allocator statistics).
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryReport {
    /// Bytes allocated by the process (INFO used_memory).
    pub used_memory_bytes: u64,
    /// Resident set size.
    pub used_memory_rss_bytes: u64,
    /// Allocator's view of active bytes.
    pub allocator_active_bytes: u64,
    /// Allocator's view of resident bytes.
    pub allocator_resident_bytes: u64,
}

/// CPU time the shell measures (getrusage), in microseconds, for INFO cpu.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuReport {
    /// System time of the process (`RUSAGE_SELF`).
    pub sys_us: i64,
    /// User time of the process.
    pub user_us: i64,
    /// System time of waited-for children (`RUSAGE_CHILDREN`).
    pub children_sys_us: i64,
    /// User time of waited-for children.
    pub children_user_us: i64,
    /// System time of the main thread (`RUSAGE_THREAD`).
    pub main_thread_sys_us: i64,
    /// User time of the main thread.
    pub main_thread_user_us: i64,
}

/// Process facts the shell provides for INFO server.
#[derive(Clone, Debug, Default)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// TCP port.
    pub tcp_port: u16,
    /// Path of the executable.
    pub executable: String,
    /// Path of the configuration file, if any.
    pub config_file: String,
    /// Operating system description (`uname -srm`).
    pub os: String,
}

/// One node's whole state.
pub struct Node {
    /// The data.
    pub keyspace: Keyspace,
    /// Configuration values.
    pub config: Config,
    /// Cached hot-path limits.
    pub limits: Limits,
    /// Counters.
    pub stats: Stats,
    /// Connected clients (minus the one executing).
    pub clients: ClientRegistry,
    /// Changes since the last save.
    pub dirty: u64,
    /// Effects queued for the shell.
    pub effects: Vec<Effect>,
    /// A MIGRATE waiting for the shell's I/O (see `commands::migrate`).
    pub pending_migration: Option<Box<crate::commands::migrate::MigrationRequest>>,
    /// A CONFIG SET of port/bind waiting for the shell's listeners.
    pub pending_listen_change: Option<crate::commands::server::config::ListenChange>,
    /// DEBUG PAUSE-CRON: the periodic `Engine::tick` does nothing.
    pub cron_paused: bool,
    /// Seeded randomness (RANDOMKEY, SPOP, ...).
    pub random: SmallRng,
    /// 40-hex run id.
    pub run_id: String,
    /// Start time, Unix ms.
    pub start_ms: i64,
    /// Client pause, if any.
    pub pause: Option<Pause>,
    /// MIGRATE connections the shell keeps open (INFO
    /// `migrate_cached_sockets`), reported by the shell.
    pub migrate_cached_sockets: usize,
    /// SLOWLOG entries.
    pub slowlog: SlowLog,
    /// LATENCY events.
    pub latency: LatencyMonitor,
    /// Allocator figures, refreshed by the shell.
    pub memory: MemoryReport,
    /// CPU times, refreshed by the shell every cron tick.
    pub cpu: CpuReport,
    /// Sampled rates for INFO stats.
    pub instant_metrics: crate::metrics::InstantMetrics,
    /// Process facts for INFO.
    pub process: ProcessInfo,
    /// Next client id.
    pub next_client_id: ClientId,
    /// Active expire is enabled (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire_enabled: bool,
    /// Unix time of the last successful save.
    pub last_save_seconds: i64,
    /// Clients in MONITOR mode.
    pub monitors: Vec<ClientId>,
    /// Pub/Sub subscriptions (INFO stats `pubsub_channels` = `channels.len()`,
    /// `pubsub_patterns` = `patterns.len()`, `pubsubshard_channels` =
    /// `shard_channels.len()`).
    pub pubsub: PubSub,
    /// The cluster state machine when `cluster-enabled yes`; the shell
    /// creates or loads it after `Node::new` and drains its effects. `None`
    /// means standalone: CLUSTER commands are refused, nothing is routed.
    pub cluster: Option<shoal_cluster::state::ClusterState>,
    /// WATCHed keys and dirty watchers (MULTI/EXEC optimistic locking).
    pub watches: Watches,
}

impl Node {
    /// A node with an empty keyspace. `seed` drives all its randomness.
    pub fn new(config: Config, seed: u64, now_ms: i64) -> Self {
        let databases = config.get_i64("databases").max(1) as usize;
        let mut random = SmallRng::seed_from_u64(seed);
        let run_id = (0..40)
            .map(|_| char::from(b"0123456789abcdef"[(random.next_u32() % 16) as usize]))
            .collect();
        let limits = Limits::from_config(&config);
        let slowlog = SlowLog::new(
            config.get_i64("slowlog-log-slower-than"),
            config.get_i64("slowlog-max-len").max(0) as usize,
        );
        let mut keyspace = Keyspace::new(databases);
        keyspace.set_access_policy(access_policy(&config));
        keyspace.seed_access_random(seed ^ ACCESS_RANDOM_SEED_TAG);
        keyspace.set_key_event_log(
            crate::commands::pubsub::wants_key_events(limits.keyspace_events),
            crate::commands::pubsub::wants_key_misses(limits.keyspace_events),
        );
        Node {
            keyspace,
            limits,
            config,
            stats: Stats::default(),
            clients: ClientRegistry::default(),
            dirty: 0,
            effects: Vec::new(),
            pending_migration: None,
            cron_paused: false,
            pending_listen_change: None,
            random,
            run_id,
            start_ms: now_ms,
            pause: None,
            migrate_cached_sockets: 0,
            slowlog,
            latency: LatencyMonitor::default(),
            memory: MemoryReport::default(),
            cpu: CpuReport::default(),
            instant_metrics: crate::metrics::InstantMetrics::default(),
            process: ProcessInfo::default(),
            next_client_id: 1,
            active_expire_enabled: true,
            last_save_seconds: now_ms / 1000,
            monitors: Vec::new(),
            pubsub: PubSub::default(),
            cluster: None,
            watches: Watches::default(),
        }
    }

    /// Starts, extends or ends (`None`) a client pause. While one lasts the
    /// keyspace keeps expired keys instead of deleting them (Redis
    /// `checkClientPauseTimeoutAndReturnIfPaused` in `expireIfNeeded` and
    /// `activeExpireCycle`).
    pub fn set_pause(&mut self, pause: Option<Pause>) {
        self.pause = pause;
        self.keyspace.set_keep_expired(pause.is_some());
    }

    /// Re-reads cached values after a configuration change.
    pub fn refresh_from_config(&mut self) {
        self.limits = Limits::from_config(&self.config);
        self.keyspace.set_access_policy(access_policy(&self.config));
        self.keyspace.set_key_event_log(
            crate::commands::pubsub::wants_key_events(self.limits.keyspace_events),
            crate::commands::pubsub::wants_key_misses(self.limits.keyspace_events),
        );
        self.slowlog.configure(
            self.config.get_i64("slowlog-log-slower-than"),
            self.config.get_i64("slowlog-max-len").max(0) as usize,
        );
    }

    /// Counts an error reply in errorstats.
    pub fn count_error(&mut self, code: &str) {
        self.stats.total_error_replies += 1;
        // Redis caps errorstats at 128 distinct codes to bound memory.
        if self.stats.error_counts.len() < 128 || self.stats.error_counts.contains_key(code) {
            *self.stats.error_counts.entry(code.to_string()).or_insert(0) += 1;
        }
    }
}
