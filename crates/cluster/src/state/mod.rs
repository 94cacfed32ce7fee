//! The sans-IO Redis Cluster 7.0 state machine (reference `redis-cluster-7.0.md`
//! §5–§6, `model-codebases.md` §3.6).
//!
//! Owns: the node table, slot ownership, epochs, links, failure detection, gossip,
//! the CLUSTER admin operations that change state, and the text/structured views
//! used by CLUSTER INFO/NODES/SLOTS/SHARDS/LINKS. It consumes inputs
//! ([`ClusterState::handle_message`], [`ClusterState::handle_link_event`],
//! [`ClusterState::handle_tick`], admin calls) and produces [`Effect`]s drained
//! with [`ClusterState::poll_effect`].
//!
//! Must never: touch sockets, files or clocks, use unseeded randomness, or let
//! hash-map iteration order leak into outputs. Time arrives as `now_ms` arguments
//! (Unix milliseconds), randomness comes from the seeded [`SmallRng`], and every
//! collection that is iterated is a `BTreeMap` or a sorted `Vec`.
//!
//! Behaviour follows Redis 7.0.15 `cluster.c` (read, not copied). Elections
//! (a replica asking for votes) are not implemented yet; voting for real Redis
//! replicas (FAILOVER_AUTH_REQUEST) and the primary side of a manual failover are.

mod admin;
mod cron;
mod epochs;
mod failure_detector;
mod gossip;
mod links;
mod messages;
mod node_table;
mod slots;
mod views;

#[cfg(test)]
mod harness;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};

use crate::bus::message::{
    BusMessage, Header, IpField, MessageBody, MessageType, NodeFlags, NodeId, SlotBitmap,
    WireClusterState,
};
use crate::nodes_conf::{self, NodesConfError};

pub use admin::SetSlotAction;
pub use views::{LinkView, NodeEndpoint, ShardNodeView, ShardView, SlotRange};

use node_table::{Node, NodeKey, NodeTable};

/// Number of hash slots (`CLUSTER_SLOTS`).
pub const SLOT_COUNT: usize = crate::bus::message::CLUSTER_SLOTS;

/// Period of [`ClusterState::handle_tick`] (`clusterCron` runs every 100 ms, §6.2).
pub const TICK_INTERVAL_MS: i64 = 100;

/// FORGET blacklist lifetime in seconds (`CLUSTER_BLACKLIST_TTL`, §6.12).
pub(crate) const BLACKLIST_TTL_S: i64 = 60;

/// Failure reports stay valid for node_timeout × this (§6.5).
pub(crate) const FAIL_REPORT_VALIDITY_MULT: i64 = 2;

/// A FAIL master that still owns slots is cleared after node_timeout × this (§6.5).
pub(crate) const FAIL_UNDO_TIME_MULT: i64 = 2;

/// Manual failover timeout (`CLUSTER_MF_TIMEOUT`, §6.10).
pub(crate) const MF_TIMEOUT_MS: i64 = 5000;

/// A primary pauses writes for this multiple of the manual failover timeout.
pub(crate) const MF_PAUSE_MULT: i64 = 2;

/// Replica migration waits for a target orphaned this long (§6.9).
pub(crate) const REPLICA_MIGRATION_DELAY_MS: i64 = 5000;

/// Upper bound on the node table. Redis has none; gossip from a hostile peer
/// could otherwise grow memory without limit. Far above the ~1000 nodes Redis
/// supports, so real clusters never reach it.
pub(crate) const MAX_KNOWN_NODES: usize = 16_384;

/// Upper bound on the FORGET blacklist (one entry per forgotten node id).
pub(crate) const MAX_BLACKLIST: usize = MAX_KNOWN_NODES;

/// Upper bound on links that are not yet tied to a node (accepted inbound links
/// that have not sent a message from a known sender). Older ones are dropped.
pub(crate) const MAX_UNBOUND_LINKS: usize = 4096;

/// Identifies one bus connection (inbound or outbound) for the shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u64);

impl fmt::Display for LinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "link#{}", self.0)
    }
}

/// Something that happened to a link, reported by the shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    /// Our outbound connection (requested by [`Effect::Connect`]) is established.
    Connected,
    /// Our outbound connection attempt failed.
    ConnectFailed,
    /// The connection was closed by the peer or by an I/O error.
    Closed,
    /// `bytes` of previously emitted [`Effect::Send`] data left the send buffer.
    /// Used for `cluster-link-sendbuf-limit` and CLUSTER LINKS buffer figures.
    Drained {
        /// Number of bytes written to the socket.
        bytes: u64,
    },
}

/// Severity of a [`Effect::Log`] line (Redis `LL_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `LL_DEBUG`.
    Debug,
    /// `LL_VERBOSE`.
    Verbose,
    /// `LL_NOTICE`.
    Notice,
    /// `LL_WARNING`.
    Warning,
}

/// An action the shell must perform for the state machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Open an outbound bus connection; report the outcome with
    /// [`LinkEvent::Connected`] or [`LinkEvent::ConnectFailed`]. [`Effect::Send`]s
    /// for this link may follow before it is connected: the shell buffers them and
    /// writes them once connected (Redis queues them in the link's send buffer).
    Connect {
        /// The new link.
        link: LinkId,
        /// The node we connect to (a random name while in handshake).
        node_id: NodeId,
        /// Address to connect to.
        ip: String,
        /// Bus port to connect to.
        bus_port: u16,
    },
    /// Write one encoded bus frame on a link.
    Send {
        /// The link.
        link: LinkId,
        /// The complete frame.
        bytes: Vec<u8>,
    },
    /// Close a link (the state machine already forgot it; no event is expected).
    Disconnect {
        /// The link.
        link: LinkId,
    },
    /// Write [`ClusterState::to_nodes_conf`] to nodes.conf (fsync if asked).
    /// Emitted once at the end of the input that changed the configuration;
    /// Redis saves before the packets queued in the same event-loop iteration
    /// reach the socket, so a shell that wants the same crash guarantees performs
    /// it before flushing the [`Effect::Send`]s produced by the same input.
    PersistConfig {
        /// Whether Redis would fsync this write (`CLUSTER_TODO_FSYNC_CONFIG`).
        fsync: bool,
    },
    /// My shard stopped serving these slots (ascending): clients subscribed to
    /// shard channels of these slots get `sunsubscribe`, blocked clients must be
    /// re-checked (Redis `removeChannelsInSlot` in `clusterDelSlot`).
    SlotsLost {
        /// The slots.
        slots: Vec<u16>,
    },
    /// Delete every key of these slots: ownership moved away while this node is
    /// still a primary (Redis `delKeysInSlot` on "dirty" slots, §6.8).
    DeleteKeysInSlots {
        /// The slots.
        slots: Vec<u16>,
    },
    /// Deliver a PUBLISH / PUBLISHSHARD received from the bus to local
    /// subscribers only (§6.15).
    DeliverPublish {
        /// Channel.
        channel: Bytes,
        /// Message.
        message: Bytes,
        /// True for PUBLISHSHARD (deliver to shard-channel subscribers).
        shard: bool,
    },
    /// Start (or re-point) replication to this primary (`replicationSetMaster`).
    ReplicateFrom {
        /// The primary's node id.
        primary_id: NodeId,
        /// Its IP.
        ip: String,
        /// Its client port.
        port: u16,
    },
    /// Stop replicating and act as a primary (`replicationUnsetMaster`).
    StopReplication,
    /// Remove all data (CLUSTER RESET on a replica, `emptyData`).
    FlushAllData,
    /// Pause client writes until `until_ms` (primary side of a manual failover).
    PauseWrites {
        /// Unix ms at which the pause ends at the latest.
        until_ms: i64,
    },
    /// Lift a pause started by [`Effect::PauseWrites`].
    ResumeWrites,
    /// A log line with the text Redis would log.
    Log {
        /// Severity.
        level: LogLevel,
        /// Text.
        text: String,
    },
}

/// `cluster-preferred-endpoint-type` (§2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EndpointType {
    /// `ip` (default).
    #[default]
    Ip,
    /// `hostname` (`?` when a node has none).
    Hostname,
    /// `unknown-endpoint` (empty string; null in CLUSTER SLOTS).
    Unknown,
}

/// Cluster configuration (the `cluster-*` directives of §2 that the state machine
/// uses). Ports are the *announced* ones; see [`derive_announced_ports`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `cluster-node-timeout` in ms.
    pub node_timeout_ms: i64,
    /// `cluster-announce-ip`; `None` = learn my IP from MEETs.
    pub announce_ip: Option<String>,
    /// Announced client port (header `port`).
    pub port: u16,
    /// Announced plaintext port when `tls-cluster` is on, else 0 (header `pport`).
    pub pport: u16,
    /// Announced bus port (header `cport`).
    pub bus_port: u16,
    /// `cluster-announce-hostname`; empty = none (no hostname ping extension).
    pub announce_hostname: String,
    /// `cluster-require-full-coverage`.
    pub require_full_coverage: bool,
    /// `cluster-allow-reads-when-down`.
    pub allow_reads_when_down: bool,
    /// `cluster-allow-pubsubshard-when-down`.
    pub allow_pubsubshard_when_down: bool,
    /// `cluster-allow-replica-migration`.
    pub allow_replica_migration: bool,
    /// `cluster-replica-no-failover`.
    pub replica_no_failover: bool,
    /// `cluster-migration-barrier`.
    pub migration_barrier: u32,
    /// `cluster-replica-validity-factor` (used by elections, not implemented yet).
    pub replica_validity_factor: u32,
    /// `cluster-preferred-endpoint-type`.
    pub preferred_endpoint_type: EndpointType,
    /// `cluster-link-sendbuf-limit` in bytes; 0 = no limit.
    pub link_sendbuf_limit_bytes: u64,
    /// `tls-cluster` (decides which port CLUSTER SHARDS reports as `tls-port`).
    pub tls_cluster: bool,
}

impl Default for ClusterConfig {
    /// Redis 7.0 defaults for a node listening on 6379 (bus 16379).
    fn default() -> Self {
        ClusterConfig {
            node_timeout_ms: 15_000,
            announce_ip: None,
            port: 6379,
            pport: 0,
            bus_port: 16379,
            announce_hostname: String::new(),
            require_full_coverage: true,
            allow_reads_when_down: false,
            allow_pubsubshard_when_down: true,
            allow_replica_migration: true,
            replica_no_failover: false,
            migration_barrier: 1,
            replica_validity_factor: 10,
            preferred_endpoint_type: EndpointType::Ip,
            link_sendbuf_limit_bytes: 0,
            tls_cluster: false,
        }
    }
}

/// Inputs of Redis `deriveAnnouncedPorts` (§2 "Announced-port derivation").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PortSettings {
    /// `port`.
    pub port: u16,
    /// `tls-port`.
    pub tls_port: u16,
    /// `tls-cluster`.
    pub tls_cluster: bool,
    /// `cluster-port` (0 = base port + 10000).
    pub cluster_port: u16,
    /// `cluster-announce-port`.
    pub announce_port: u16,
    /// `cluster-announce-tls-port`.
    pub announce_tls_port: u16,
    /// `cluster-announce-bus-port`.
    pub announce_bus_port: u16,
}

/// Computes the announced `(port, pport, cport)` triple from the port settings,
/// exactly as Redis 7.0 `deriveAnnouncedPorts` does.
pub fn derive_announced_ports(p: &PortSettings) -> (u16, u16, u16) {
    let base = if p.tls_cluster { p.tls_port } else { p.port };
    let mut port = base;
    let mut pport = if p.tls_cluster { p.port } else { 0 };
    let mut cport = if p.cluster_port != 0 {
        p.cluster_port
    } else {
        // Ports above 55535 are rejected at startup by Redis; wrap-free here.
        base.saturating_add(10_000)
    };
    if p.tls_cluster && p.announce_tls_port != 0 {
        port = p.announce_tls_port;
        pport = p.announce_port;
    } else if p.announce_port != 0 {
        port = p.announce_port;
    }
    if p.announce_bus_port != 0 {
        cport = p.announce_bus_port;
    }
    (port, pport, cport)
}

/// State of one bus connection.
#[derive(Clone, Debug)]
pub(crate) struct Link {
    /// The node this link belongs to (always set for outbound links; set for
    /// inbound links once a message from a known sender arrives).
    node: Option<NodeKey>,
    /// True for accepted connections.
    inbound: bool,
    /// Unix ms of creation (`ctime`).
    created_ms: i64,
    /// Outbound: the connect completed. Inbound: always true.
    connected: bool,
    /// Bytes emitted in [`Effect::Send`] and not yet reported as drained.
    pending_bytes: u64,
    /// Peer address of an inbound link (for `nodeIp2String`).
    peer_ip: String,
    /// Local address of an inbound link (for `connSockName`, own IP discovery).
    local_ip: String,
}

/// Deferred work flushed at the end of every input (`clusterDoBeforeSleep`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Todo {
    save_config: bool,
    fsync_config: bool,
    update_state: bool,
}

/// One failure report: `reporter` said the node is PFAIL/FAIL at `time_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FailReport {
    reporter: NodeKey,
    time_ms: i64,
}

/// Primary side of a manual failover (§6.10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ManualFailover {
    /// Unix ms at which it times out; 0 = none in progress (`mf_end`).
    end_ms: i64,
    /// The replica that asked (`mf_slave`).
    replica: Option<NodeKey>,
}

/// The Redis Cluster node state machine. See the module docs. `Clone` lets a
/// simulator fork a node's state.
#[derive(Clone)]
pub struct ClusterState {
    config: ClusterConfig,
    rng: SmallRng,
    nodes: NodeTable,
    myself: NodeKey,
    /// `server.cluster->slots[]`: owner of every slot.
    slot_owner: Vec<Option<NodeKey>>,
    /// `owner_not_claiming_slot`: bound slots whose owner stopped claiming them.
    owner_not_claiming: SlotBitmap,
    migrating_to: BTreeMap<u16, NodeKey>,
    importing_from: BTreeMap<u16, NodeKey>,
    current_epoch: u64,
    last_vote_epoch: u64,
    /// `CLUSTER_OK` when true.
    state_ok: bool,
    /// `server.cluster->size`: primaries with at least one slot (cached).
    size: usize,
    /// Static `first_call_time` of `clusterUpdateState` (0 = never called).
    state_first_call_ms: i64,
    /// Static `among_minority_time` of `clusterUpdateState`.
    among_minority_ms: i64,
    links: BTreeMap<LinkId, Link>,
    next_link_id: u64,
    /// FORGET blacklist: node id → expiry in Unix seconds.
    blacklist: BTreeMap<NodeId, i64>,
    cron_iteration: u64,
    /// Time of the last tick (creation time before the first one).
    last_tick_ms: i64,
    stats_pfail_nodes: usize,
    stats_sent: [u64; 11],
    stats_received: [u64; 11],
    links_buffer_limit_exceeded: u64,
    /// Replication offset of this node (master_repl_offset or processed offset).
    repl_offset: u64,
    mf: ManualFailover,
    /// `DEBUG DROP-CLUSTER-PACKET-FILTER`.
    drop_packet_filter: Option<u16>,
    todo: Todo,
    /// Slots my shard stopped serving during the current input.
    lost_slots: Vec<u16>,
    effects: VecDeque<Effect>,
}

impl fmt::Debug for ClusterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterState")
            .field("myself", &self.my_id())
            .field("known_nodes", &self.nodes.len())
            .field("current_epoch", &self.current_epoch)
            .field("state_ok", &self.state_ok)
            .finish_non_exhaustive()
    }
}

impl ClusterState {
    /// A fresh node (no nodes.conf): myself is a primary with no slots, epochs 0.
    /// `my_id` = `None` draws a random id from the seeded RNG. Emits the initial
    /// [`Effect::PersistConfig`] Redis performs at first start.
    pub fn new(config: ClusterConfig, my_id: Option<NodeId>, now_ms: i64, seed: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed);
        let id = my_id.unwrap_or_else(|| random_node_id(&mut rng));
        let mut myself = Node::new(id, NodeFlags::MYSELF | NodeFlags::PRIMARY, now_ms);
        myself.port = config.port;
        myself.pport = config.pport;
        myself.cport = config.bus_port;
        let mut nodes = NodeTable::default();
        let myself_key = nodes.insert(myself);
        let mut state = ClusterState::empty(config, rng, nodes, myself_key, now_ms);
        state.apply_myself_config();
        state.log(
            LogLevel::Notice,
            format!("No cluster configuration found, I'm {id}"),
        );
        state
            .effects
            .push_back(Effect::PersistConfig { fsync: true });
        state
    }

    /// Restores a node from nodes.conf text (§6.11). An empty (or blank) file is
    /// [`NodesConfError::Empty`]: Redis then starts fresh, i.e. call
    /// [`ClusterState::new`].
    pub fn load(
        config: ClusterConfig,
        nodes_conf_text: &str,
        now_ms: i64,
        seed: u64,
    ) -> Result<Self, NodesConfError> {
        let conf = nodes_conf::parse(nodes_conf_text)?;
        let rng = SmallRng::seed_from_u64(seed);
        // Pass 1: create every node mentioned anywhere (unknown primaries and
        // open-slot peers become flagless placeholders, as in clusterLoadConfig).
        let mut nodes = NodeTable::default();
        let mut myself_key = None;
        for line in &conf.nodes {
            let ids = std::iter::once(line.id)
                .chain(line.primary_id)
                .chain(line.open_slots.iter().map(|o| o.node_id));
            for id in ids {
                if nodes.lookup(&id).is_none() {
                    if nodes.len() >= MAX_KNOWN_NODES {
                        return Err(NodesConfError::TooManyNodes);
                    }
                    nodes.insert(Node::new(id, NodeFlags::NONE, now_ms));
                }
            }
            if line.flags.contains(NodeFlags::MYSELF) {
                myself_key = nodes.lookup(&line.id);
            }
        }
        let myself_key = myself_key.ok_or(NodesConfError::NoMyself)?;
        let mut state = ClusterState::empty(config, rng, nodes, myself_key, now_ms);

        // Pass 2: apply each line in file order, with the same helpers Redis
        // uses (so MIGRATE_TO flags come out the same way).
        for line in &conf.nodes {
            let Some(key) = state.nodes.lookup(&line.id) else {
                continue;
            };
            let primary = line.primary_id.and_then(|id| state.nodes.lookup(&id));
            if let Some(node) = state.nodes.get_mut(key) {
                node.ip = line.ip.clone();
                node.port = line.port;
                node.cport = line.bus_port;
                node.hostname = line.hostname.clone();
                node.flags = line.flags;
                if line.flags.contains(NodeFlags::FAIL) {
                    node.fail_time_ms = now_ms;
                }
                // Non-zero times are replaced by "now".
                if line.ping_sent_ms != 0 {
                    node.ping_sent_ms = now_ms;
                }
                if line.pong_received_ms != 0 {
                    node.pong_received_ms = now_ms;
                }
                node.config_epoch = line.config_epoch;
            }
            if let Some(p) = primary {
                if let Some(node) = state.nodes.get_mut(key) {
                    node.primary = Some(p);
                }
                state.add_replica(p, key);
            }
            for range in &line.slots {
                for slot in range.clone() {
                    // Fails silently when the slot is already taken.
                    state.add_slot(key, slot);
                }
            }
            for open in &line.open_slots {
                let Some(other) = state.nodes.lookup(&open.node_id) else {
                    continue;
                };
                match open.direction {
                    nodes_conf::OpenSlotDirection::Migrating => {
                        state.migrating_to.insert(open.slot, other);
                    }
                    nodes_conf::OpenSlotDirection::Importing => {
                        state.importing_from.insert(open.slot, other);
                    }
                }
            }
        }
        // Replicas' own configEpoch is not meaningful: the file shows their
        // primary's (reference §6.11 "Replica configEpoch forced to 0").
        for key in state.nodes.keys_by_id() {
            if let Some(node) = state.nodes.get_mut(key) {
                if node.is_replica() {
                    node.config_epoch = 0;
                }
            }
        }
        state.current_epoch = conf.current_epoch;
        state.last_vote_epoch = conf.last_vote_epoch;
        let max_epoch = state.max_epoch();
        if max_epoch > state.current_epoch {
            state.current_epoch = max_epoch;
        }
        if let Some(myself) = state.nodes.get_mut(myself_key) {
            myself.port = state.config.port;
            myself.pport = state.config.pport;
            myself.cport = state.config.bus_port;
        }
        state.apply_myself_config();
        state.log(
            LogLevel::Notice,
            format!("Node configuration loaded, I'm {}", state.my_id()),
        );
        // A replica resumes replication right away (Redis's cron does it as soon
        // as it sees a replica whose primary has an address).
        if state.myself_is_replica() {
            let primary = state.myself_node().primary.and_then(|k| state.nodes.get(k));
            if let Some(p) = primary.filter(|p| !p.ip.is_empty()) {
                let effect = Effect::ReplicateFrom {
                    primary_id: p.id,
                    ip: p.ip.clone(),
                    port: p.port,
                };
                state.effects.push_back(effect);
            }
        }
        Ok(state)
    }

    fn empty(
        config: ClusterConfig,
        rng: SmallRng,
        nodes: NodeTable,
        myself: NodeKey,
        now_ms: i64,
    ) -> Self {
        ClusterState {
            config,
            rng,
            nodes,
            myself,
            slot_owner: vec![None; SLOT_COUNT],
            owner_not_claiming: SlotBitmap::new(),
            migrating_to: BTreeMap::new(),
            importing_from: BTreeMap::new(),
            current_epoch: 0,
            last_vote_epoch: 0,
            state_ok: false,
            // clusterInit starts with size 1 until the first state update.
            size: 1,
            state_first_call_ms: 0,
            among_minority_ms: 0,
            links: BTreeMap::new(),
            next_link_id: 1,
            blacklist: BTreeMap::new(),
            cron_iteration: 0,
            last_tick_ms: now_ms,
            stats_pfail_nodes: 0,
            stats_sent: [0; 11],
            stats_received: [0; 11],
            links_buffer_limit_exceeded: 0,
            repl_offset: 0,
            mf: ManualFailover::default(),
            drop_packet_filter: None,
            todo: Todo::default(),
            lost_slots: Vec::new(),
            effects: VecDeque::new(),
        }
    }

    /// Applies a runtime configuration change (CONFIG SET of a `cluster-*`
    /// directive): own ports, announced IP/hostname and the NOFAILOVER flag follow
    /// immediately, as `clusterUpdateMyself*` do.
    pub fn update_config(&mut self, now_ms: i64, config: ClusterConfig) {
        let ip_changed = self.config.announce_ip != config.announce_ip;
        self.config = config;
        if ip_changed {
            let ip = self.config.announce_ip.clone().unwrap_or_default();
            if let Some(myself) = self.nodes.get_mut(self.myself) {
                myself.ip = ip;
            }
        }
        let (port, pport, cport) = (self.config.port, self.config.pport, self.config.bus_port);
        if let Some(myself) = self.nodes.get_mut(self.myself) {
            myself.port = port;
            myself.pport = pport;
            myself.cport = cport;
        }
        self.apply_myself_config();
        self.finish_input(now_ms);
    }

    /// `clusterUpdateMyselfFlags` + hostname + announced IP.
    fn apply_myself_config(&mut self) {
        let nofailover = self.config.replica_no_failover;
        let hostname = self.config.announce_hostname.clone();
        let announce_ip = self.config.announce_ip.clone();
        let mut flags_changed = false;
        if let Some(myself) = self.nodes.get_mut(self.myself) {
            let old = myself.flags;
            if nofailover {
                myself.flags.insert(NodeFlags::NOFAILOVER);
            } else {
                myself.flags.remove(NodeFlags::NOFAILOVER);
            }
            flags_changed = old != myself.flags;
            myself.hostname = hostname;
            if let Some(ip) = announce_ip {
                myself.ip = ip;
            }
        }
        if flags_changed {
            self.todo.save_config = true;
            self.todo.update_state = true;
        }
    }

    /// The current configuration.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Records this node's replication offset (primary: `master_repl_offset`,
    /// replica: processed offset); sent in every header.
    pub fn set_replication_offset(&mut self, offset: u64) {
        self.repl_offset = offset;
    }

    /// The next queued effect, in the order they were produced.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// True when effects are queued.
    pub fn has_effects(&self) -> bool {
        !self.effects.is_empty()
    }

    /// When [`ClusterState::handle_tick`] should run next: 100 ms after the
    /// previous tick (or after creation). Always `Some`: the cron never stops.
    pub fn next_deadline(&self) -> Option<i64> {
        Some(self.last_tick_ms.saturating_add(TICK_INTERVAL_MS))
    }

    // -----------------------------------------------------------------------
    // Shared helpers used by the submodules.
    // -----------------------------------------------------------------------

    fn myself_node(&self) -> &Node {
        // The myself entry is created at construction and never removed.
        match self.nodes.get(self.myself) {
            Some(node) => node,
            None => unreachable!("myself is always in the node table"),
        }
    }

    fn myself_node_mut(&mut self) -> &mut Node {
        match self.nodes.get_mut(self.myself) {
            Some(node) => node,
            None => unreachable!("myself is always in the node table"),
        }
    }

    fn myself_is_primary(&self) -> bool {
        self.myself_node().flags.contains(NodeFlags::PRIMARY)
    }

    fn myself_is_replica(&self) -> bool {
        self.myself_node().flags.contains(NodeFlags::REPLICA)
    }

    fn log(&mut self, level: LogLevel, text: String) {
        self.effects.push_back(Effect::Log { level, text });
    }

    fn node_id_of(&self, key: NodeKey) -> NodeId {
        self.nodes.get(key).map_or(NodeId::NULL, |n| n.id)
    }

    fn node_is_primary(&self, key: NodeKey) -> bool {
        self.nodes
            .get(key)
            .is_some_and(|n| n.flags.contains(NodeFlags::PRIMARY))
    }

    fn node_is_replica(&self, key: NodeKey) -> bool {
        self.nodes
            .get(key)
            .is_some_and(|n| n.flags.contains(NodeFlags::REPLICA))
    }

    /// `clusterGetMaxEpoch`.
    fn max_epoch(&self) -> u64 {
        self.nodes
            .iter()
            .map(|(_, n)| n.config_epoch)
            .max()
            .unwrap_or(0)
            .max(self.current_epoch)
    }

    /// Builds the header of a message from myself (`clusterBuildMessageHdr`).
    fn build_header(&self) -> Header {
        let myself = self.myself_node();
        let primary = if myself.flags.contains(NodeFlags::REPLICA) {
            myself
                .primary
                .and_then(|k| self.nodes.get(k))
                .unwrap_or(myself)
        } else {
            myself
        };
        let mut header = Header::new(myself.id);
        header.port = self.config.port;
        header.plaintext_port = self.config.pport;
        header.bus_port = self.config.bus_port;
        header.current_epoch = self.current_epoch;
        header.config_epoch = primary.config_epoch;
        header.replication_offset = self.repl_offset;
        header.slots = primary.slots.clone();
        header.primary_id = myself.primary.map(|k| self.node_id_of(k));
        header.announced_ip = match &self.config.announce_ip {
            // Redis copies at most 45 bytes (strncpy to NET_IP_STR_LEN-1).
            Some(ip) => IpField::new(truncate_to(ip, 45)).unwrap_or(IpField::UNSET),
            None => IpField::UNSET,
        };
        header.flags = myself.flags;
        header.state = if self.state_ok {
            WireClusterState::Ok
        } else {
            WireClusterState::Fail
        };
        if myself.flags.contains(NodeFlags::PRIMARY) && self.mf.end_ms != 0 {
            header.mflags.set_paused(true);
        }
        header
    }

    /// Queues `msg` on `link` (`clusterSendMessage`), counting it in the stats.
    fn send_on_link(&mut self, link: LinkId, msg: &BusMessage) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let bytes = crate::bus::codec::encode(msg);
        l.pending_bytes = l.pending_bytes.saturating_add(bytes.len() as u64);
        if let Some(t) = msg.known_type() {
            if let Some(counter) = self.stats_sent.get_mut(usize::from(t.code())) {
                *counter += 1;
            }
        }
        self.effects.push_back(Effect::Send { link, bytes });
    }

    /// `clusterBroadcastMessage`: every node with an outbound link, except myself
    /// and nodes in handshake.
    fn broadcast(&mut self, msg: &BusMessage) {
        for key in self.nodes.keys_by_id() {
            let Some(node) = self.nodes.get(key) else {
                continue;
            };
            if node
                .flags
                .intersects(NodeFlags::MYSELF | NodeFlags::HANDSHAKE)
            {
                continue;
            }
            if let Some(link) = node.link {
                self.send_on_link(link, msg);
            }
        }
    }

    /// Flushes deferred work (`clusterBeforeSleep`): state update, then config
    /// save; also emits the batched [`Effect::SlotsLost`].
    fn finish_input(&mut self, now_ms: i64) {
        let todo = std::mem::take(&mut self.todo);
        if todo.update_state {
            self.update_state(now_ms);
        }
        if !self.lost_slots.is_empty() {
            let mut slots = std::mem::take(&mut self.lost_slots);
            slots.sort_unstable();
            slots.dedup();
            self.effects.push_back(Effect::SlotsLost { slots });
        }
        if todo.save_config {
            self.effects.push_back(Effect::PersistConfig {
                fsync: todo.fsync_config,
            });
        }
    }

    fn todo_save(&mut self) {
        self.todo.save_config = true;
    }

    fn todo_save_fsync(&mut self) {
        self.todo.save_config = true;
        self.todo.fsync_config = true;
    }

    fn todo_update_state(&mut self) {
        self.todo.update_state = true;
    }

    /// `clusterUpdateState` (§6.6).
    fn update_state(&mut self, now_ms: i64) {
        const WRITABLE_DELAY_MS: i64 = 2000;
        const MIN_REJOIN_DELAY_MS: i64 = 500;
        const MAX_REJOIN_DELAY_MS: i64 = 5000;
        self.todo.update_state = false;
        if self.state_first_call_ms == 0 {
            self.state_first_call_ms = now_ms;
        }
        if self.myself_is_primary()
            && !self.state_ok
            && now_ms - self.state_first_call_ms < WRITABLE_DELAY_MS
        {
            return;
        }
        let mut new_ok = true;
        if self.config.require_full_coverage {
            // Owners come in long runs: remember the last verdict so the
            // 16384-slot walk does one node lookup per run, not per slot.
            let mut last = None;
            new_ok = self.slot_owner.iter().all(|owner| {
                let Some(key) = *owner else {
                    return false;
                };
                if let Some((last_key, last_ok)) = last {
                    if last_key == key {
                        return last_ok;
                    }
                }
                let ok = self
                    .nodes
                    .get(key)
                    .is_some_and(|n| !n.flags.contains(NodeFlags::FAIL));
                last = Some((key, ok));
                ok
            });
        }
        let mut size = 0;
        let mut reachable = 0;
        for (_, node) in self.nodes.iter() {
            if node.flags.contains(NodeFlags::PRIMARY) && node.num_slots > 0 {
                size += 1;
                if !node.flags.intersects(NodeFlags::FAIL | NodeFlags::PFAIL) {
                    reachable += 1;
                }
            }
        }
        self.size = size;
        let quorum = size / 2 + 1;
        if reachable < quorum {
            new_ok = false;
            self.among_minority_ms = now_ms;
        }
        if new_ok != self.state_ok {
            let rejoin_delay = self
                .config
                .node_timeout_ms
                .clamp(MIN_REJOIN_DELAY_MS, MAX_REJOIN_DELAY_MS);
            if new_ok && self.myself_is_primary() && now_ms - self.among_minority_ms < rejoin_delay
            {
                return;
            }
            self.log(
                LogLevel::Warning,
                format!(
                    "Cluster state changed: {}",
                    if new_ok { "ok" } else { "fail" }
                ),
            );
            self.state_ok = new_ok;
        }
    }

    fn message(&self, body: MessageBody) -> BusMessage {
        BusMessage::new(self.build_header(), body)
    }

    fn count_received(&mut self, msg: &BusMessage) {
        if let Some(t) = msg.known_type() {
            if let Some(counter) = self.stats_received.get_mut(usize::from(t.code())) {
                *counter += 1;
            }
        }
    }

    fn blacklist_cleanup(&mut self, now_ms: i64) {
        let now_s = now_ms.div_euclid(1000);
        self.blacklist.retain(|_, expire_s| *expire_s >= now_s);
    }

    fn blacklist_contains(&mut self, now_ms: i64, id: &NodeId) -> bool {
        self.blacklist_cleanup(now_ms);
        self.blacklist.contains_key(id)
    }

    fn blacklist_add(&mut self, now_ms: i64, id: NodeId) {
        self.blacklist_cleanup(now_ms);
        if self.blacklist.len() >= MAX_BLACKLIST && !self.blacklist.contains_key(&id) {
            // Drop the entry closest to expiry to stay bounded.
            if let Some(oldest) = self
                .blacklist
                .iter()
                .min_by_key(|(_, expire)| **expire)
                .map(|(k, _)| *k)
            {
                self.blacklist.remove(&oldest);
            }
        }
        self.blacklist
            .insert(id, now_ms.div_euclid(1000) + BLACKLIST_TTL_S);
    }
}

/// A random 40-hex-char node id (`getRandomHexChars`).
fn random_node_id(rng: &mut SmallRng) -> NodeId {
    let mut bytes = [0u8; 20];
    rng.fill_bytes(&mut bytes);
    NodeId::from_random_bytes(bytes)
}

/// The longest prefix of `s` of at most `max` bytes on a char boundary.
fn truncate_to(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Looks up a node id given as client text (`clusterLookupNode`: exactly 40
/// characters in `[a-z0-9]`, else unknown).
fn parse_lookup_id(text: &str) -> Option<NodeId> {
    let bytes: [u8; 40] = text.as_bytes().try_into().ok()?;
    bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        .then(|| NodeId::from_bytes(bytes))
}

/// Text form of a wire IP field. Real nodes send `inet_ntop` text; anything
/// that is not printable ASCII (spaces, control bytes, non-UTF-8) is dropped so
/// that a hostile peer cannot break the CLUSTER NODES / nodes.conf line format.
fn ip_field_text(ip: &IpField) -> String {
    printable_text(ip.as_bytes(), b",@")
}

/// Printable-ASCII projection of peer-supplied bytes, also dropping `extra`.
fn printable_text(bytes: &[u8], extra: &[u8]) -> String {
    bytes
        .iter()
        .filter(|b| b.is_ascii_graphic() && !extra.contains(b))
        .map(|&b| char::from(b))
        .collect()
}

/// Message-type stats index helper for tests and views.
fn type_index(t: MessageType) -> usize {
    usize::from(t.code())
}
