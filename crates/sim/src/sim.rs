//! The deterministic cluster simulator: N [`ClusterState`] nodes in one process,
//! wired together by a seeded, virtual-time network (reference
//! `redis-cluster-7.0.md` §5 "Transport", §5.7 handshake, §6.2 timers).
//!
//! Owns: virtual time, the event queue, simulated bus connections (one per
//! `Effect::Connect`, bytes flowing both ways through a real `FrameReader` per
//! direction), faults (delay, connection resets, reordering, partitions,
//! kill/restart from the last persisted nodes.conf) and the scenario DSL (`meet`, `add_slots`,
//! `run_for`, `run_until`, `partition`, `heal`, `kill`, `restart`, queries).
//!
//! Must never: read a clock, use unseeded randomness or iterate a hash map —
//! every run is a pure function of [`SimConfig`] and the calls made on the
//! simulator. Events at the same virtual millisecond run in scheduling order.
//!
//! Network model: what TCP can do to the cluster bus, and nothing it cannot
//! (Redis assumes TCP, §5 "Transport"). A connect reaches its target after a
//! random delay; a down or unknown target refuses it (`ConnectFailed`). Every
//! frame (and the final close) of a connection direction gets a sequence number
//! and an independent random delay; the receiver processes them strictly in
//! sequence order, so a slow frame holds back later ones (head-of-line blocking)
//! while other connections overtake it — that is the reordering the bus sees.
//! `reorder_probability` adds latency spikes to make it frequent. A frame is
//! never lost on a live connection: `drop_probability` instead resets the
//! connection (the frame and everything after it are lost, both ends get
//! `Closed`). A partition is a black hole: frames and closes crossing it are
//! retransmitted until it heals (connections survive), connects into it hang
//! until it heals or time out. Frames are pushed to the receiver's `FrameReader`
//! in random chunks, so partial reads are exercised. Killing a node closes its
//! connections (peers see `Closed` after the data already sent, as with a
//! process exit) and discards its state; restarting loads its last nodes.conf.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::ops::RangeInclusive;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use shoal_cluster::bus::{
    encode, BusMessage, Frame, FrameReader, Header, MessageBody, NodeFlags, NodeId, SlotBitmap,
    WireClusterState,
};
use shoal_cluster::state::{
    ClusterConfig, ClusterState, Effect, LinkEvent, LinkId, LogLevel, SLOT_COUNT, TICK_INTERVAL_MS,
};

use crate::invariants::{self, Checker, NodeView, Violation};
use crate::trace::TraceHasher;

/// Virtual Unix time (ms) at which every simulation starts. The state machine
/// takes Unix milliseconds (gossip carries seconds), so a realistic value is used.
pub const START_MS: i64 = 1_700_000_000_000;

/// Granularity of [`Simulator::run_until`] condition checks, in virtual ms.
const POLL_MS: i64 = 10;

/// Retransmission interval of a frame (or close, or SYN) blocked by a partition.
const RETRANSMIT_MS: i64 = 200;

/// A connect into a partition fails after this long (the kernel gives up on
/// the SYN much later, but the state machine recycles the link long before).
const CONNECT_TIMEOUT_MS: i64 = 20_000;

/// Network behaviour. Delays are per frame and per connect, uniform in
/// `min_delay_ms..=max_delay_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    /// Smallest one-way delay.
    pub min_delay_ms: i64,
    /// Largest one-way delay.
    pub max_delay_ms: i64,
    /// Probability that sending a frame resets its connection instead (the
    /// frame and everything after it are lost; both ends see `Closed`).
    pub drop_probability: f64,
    /// Probability that a frame suffers a latency spike of up to 10 ×
    /// `max_delay_ms`, holding back its connection while others overtake it.
    pub reorder_probability: f64,
    /// Frames are pushed to the receiver's reader in 1..=this many chunks.
    pub max_chunks: usize,
}

impl NetConfig {
    /// A LAN: 1–5 ms, nothing lost or reordered, frames in up to 3 chunks.
    pub fn reliable() -> NetConfig {
        NetConfig {
            min_delay_ms: 1,
            max_delay_ms: 5,
            drop_probability: 0.0,
            reorder_probability: 0.0,
            max_chunks: 3,
        }
    }

    /// A bad network: 1–80 ms, 2 % of frames reset their connection, 5 %
    /// latency spikes.
    pub fn lossy() -> NetConfig {
        NetConfig {
            min_delay_ms: 1,
            max_delay_ms: 80,
            drop_probability: 0.02,
            reorder_probability: 0.05,
            max_chunks: 4,
        }
    }
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig::reliable()
    }
}

/// How a simulation is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Number of nodes (at most 200).
    pub nodes: usize,
    /// Seed of every random choice (network, node ids, gossip picks).
    pub seed: u64,
    /// `cluster-node-timeout` of every node.
    pub node_timeout_ms: i64,
    /// `cluster-require-full-coverage` of every node.
    pub require_full_coverage: bool,
    /// The network at start (see [`Simulator::set_net`]).
    pub net: NetConfig,
}

impl SimConfig {
    /// `nodes` nodes, node timeout 5000 ms, a reliable network.
    pub fn new(nodes: usize, seed: u64) -> SimConfig {
        SimConfig {
            nodes,
            seed,
            node_timeout_ms: 5_000,
            require_full_coverage: true,
            net: NetConfig::reliable(),
        }
    }
}

/// Counters of what happened during a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Events processed (ticks, connects, deliveries, closes).
    pub events: u64,
    /// Frames handed to the network (including forged ones).
    pub frames_sent: u64,
    /// Frames delivered to a receiver's reader.
    pub frames_delivered: u64,
    /// Connections reset by the drop probability.
    pub resets: u64,
    /// Retransmissions of frames, closes and connects blocked by a partition.
    pub retransmits: u64,
    /// Outbound connections requested.
    pub connects: u64,
    /// Connections that failed to establish.
    pub connect_failures: u64,
    /// Close notifications delivered.
    pub closes: u64,
    /// nodes.conf writes.
    pub persists: u64,
    /// Node kills.
    pub kills: u64,
    /// Node restarts.
    pub restarts: u64,
    /// Sends on a link the simulator does not know (should stay 0).
    pub unknown_link_sends: u64,
}

/// A log line captured when [`Simulator::capture_logs`] is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Virtual ms since start.
    pub at_ms: i64,
    /// The node.
    pub node: usize,
    /// Severity.
    pub level: LogLevel,
    /// Text.
    pub text: String,
}

#[derive(Debug)]
struct SimNode {
    /// `None` while killed.
    state: Option<ClusterState>,
    /// Effects for the data plane (key deletion, replication, pub/sub, pauses),
    /// with their virtual time, across all lives of the node.
    data_effects: Vec<(i64, Effect)>,
    config: ClusterConfig,
    ip: String,
    /// Bumped on every kill so that events for a previous life are ignored.
    incarnation: u32,
    /// The state as of the last nodes.conf write: the file content is its
    /// `to_nodes_conf()`, computed only when needed (a snapshot is much cheaper
    /// than formatting 16384 slots per node on every write).
    persisted: Option<Box<ClusterState>>,
    id: NodeId,
}

#[derive(Clone, Copy, Debug)]
struct Endpoint {
    node: usize,
    link: LinkId,
    open: bool,
}

/// What travels in one direction of a connection.
#[derive(Debug)]
enum Item {
    Frame(Vec<u8>),
    /// FIN/RST: the sender's side is gone.
    Close,
}

/// One direction of a connection, named by its receiving side.
#[derive(Debug, Default)]
struct Direction {
    next_send_seq: u64,
    next_recv_seq: u64,
    /// Items that arrived ahead of a missing earlier one.
    arrived: BTreeMap<u64, Item>,
    /// The receive-side frame reader.
    reader: FrameReader,
}

impl Direction {
    /// Stamps the next outgoing item.
    fn next_seq(&mut self) -> u64 {
        let seq = self.next_send_seq;
        self.next_send_seq += 1;
        seq
    }

    /// Records an arrival (possibly ahead of earlier items).
    fn arrived(&mut self, seq: u64, item: Item) {
        if seq >= self.next_recv_seq {
            self.arrived.insert(seq, item);
        }
    }

    /// The next item in sequence, if it has arrived (TCP's in-order delivery).
    fn pop_ready(&mut self) -> Option<Item> {
        let item = self.arrived.remove(&self.next_recv_seq)?;
        self.next_recv_seq += 1;
        Some(item)
    }
}

/// One simulated TCP connection. Side 0 connected, side 1 accepted.
#[derive(Debug)]
struct Conn {
    ends: [Endpoint; 2],
    /// The node the connector reached for (`None`: no node has that address).
    target: Option<usize>,
    established: bool,
    /// Reset: nothing more is sent; closes are on their way to both ends.
    broken: bool,
    /// When the connect started (for the connect timeout).
    started_ms: i64,
    /// Frames written by the connector before the connection was up.
    pending: Vec<Vec<u8>>,
    /// Index = receiving side.
    dirs: [Direction; 2],
}

#[derive(Debug)]
enum Event {
    Tick {
        node: usize,
        incarnation: u32,
    },
    ConnectOutcome {
        conn: u64,
    },
    Arrive {
        conn: u64,
        to_side: usize,
        seq: u64,
        item: Item,
    },
}

#[derive(Debug)]
struct Scheduled {
    at_ms: i64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at_ms, self.seq) == (other.at_ms, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    /// Reversed: `BinaryHeap` is a max-heap and the earliest event must pop first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at_ms, other.seq).cmp(&(self.at_ms, self.seq))
    }
}

/// The simulator. See the module docs.
#[derive(Debug)]
pub struct Simulator {
    net: NetConfig,
    rng: SmallRng,
    /// Virtual Unix ms.
    now_ms: i64,
    seq: u64,
    queue: BinaryHeap<Scheduled>,
    nodes: Vec<SimNode>,
    conns: BTreeMap<u64, Conn>,
    next_conn: u64,
    /// (node, its link id) → (connection, side) for the node's current life.
    links: BTreeMap<(usize, LinkId), (u64, usize)>,
    /// Unordered node pairs that cannot talk.
    cut: BTreeSet<(usize, usize)>,
    checker: Checker,
    trace: TraceHasher,
    stats: SimStats,
    logs: Option<Vec<LogLine>>,
    /// Last epoch used by [`Simulator::request_votes`] per replica.
    election_epochs: BTreeMap<usize, u64>,
}

impl Simulator {
    /// Creates the nodes (fresh, no nodes.conf) at [`START_MS`]. Their first
    /// ticks are spread over the first 100 ms, like independent processes.
    pub fn new(config: SimConfig) -> Simulator {
        let mut rng = SmallRng::seed_from_u64(config.seed);
        let count = config.nodes.min(200);
        let mut sim = Simulator {
            net: config.net.clone(),
            rng: SmallRng::seed_from_u64(0),
            now_ms: START_MS,
            seq: 0,
            queue: BinaryHeap::new(),
            nodes: Vec::with_capacity(count),
            conns: BTreeMap::new(),
            next_conn: 1,
            links: BTreeMap::new(),
            cut: BTreeSet::new(),
            checker: Checker::new(count),
            trace: TraceHasher::default(),
            stats: SimStats::default(),
            logs: None,
            election_epochs: BTreeMap::new(),
        };
        for i in 0..count {
            let port = 7000 + i as u16;
            let node_config = ClusterConfig {
                node_timeout_ms: config.node_timeout_ms,
                require_full_coverage: config.require_full_coverage,
                port,
                bus_port: port + 10_000,
                ..ClusterConfig::default()
            };
            let state = ClusterState::new(node_config.clone(), None, START_MS, rng.gen());
            let id = state.my_id();
            sim.nodes.push(SimNode {
                state: Some(state),
                data_effects: Vec::new(),
                config: node_config,
                ip: format!("10.0.{}.{}", i / 250, i % 250 + 1),
                incarnation: 0,
                persisted: None,
                id,
            });
        }
        sim.rng = rng;
        for i in 0..count {
            let first_tick = START_MS + sim.rng.gen_range(1..=TICK_INTERVAL_MS);
            sim.schedule(
                first_tick,
                Event::Tick {
                    node: i,
                    incarnation: 0,
                },
            );
            // The initial PersistConfig of a fresh node.
            sim.input(i, |_, _| ());
        }
        sim
    }

    /// `nodes` nodes with [`SimConfig::new`] defaults.
    pub fn with_nodes(nodes: usize, seed: u64) -> Simulator {
        Simulator::new(SimConfig::new(nodes, seed))
    }

    // ---------------------------------------------------------------------
    // Queries
    // ---------------------------------------------------------------------

    /// Number of nodes (alive or not).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Virtual time elapsed since the start, in ms.
    pub fn now_ms(&self) -> i64 {
        self.now_ms - START_MS
    }

    /// Virtual Unix time in ms (what the state machines are given).
    pub fn unix_now_ms(&self) -> i64 {
        self.now_ms
    }

    /// The node's state machine, `None` while it is killed (or out of range).
    pub fn state(&self, node: usize) -> Option<&ClusterState> {
        self.nodes.get(node).and_then(|n| n.state.as_ref())
    }

    /// True unless the node is killed.
    pub fn is_alive(&self, node: usize) -> bool {
        self.state(node).is_some()
    }

    /// The node's id (stable across restarts). Panics on an out-of-range index:
    /// this is test DSL, not input handling.
    pub fn node_id(&self, node: usize) -> NodeId {
        self.nodes[node].id
    }

    /// The simulator index of the node with this id.
    pub fn index_of(&self, id: &NodeId) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == *id)
    }

    /// The node's configuration.
    pub fn node_config(&self, node: usize) -> Option<&ClusterConfig> {
        self.nodes.get(node).map(|n| &n.config)
    }

    /// The last nodes.conf the node wrote.
    pub fn persisted_conf(&self, node: usize) -> Option<String> {
        self.nodes
            .get(node)
            .and_then(|n| n.persisted.as_ref())
            .map(|s| s.to_nodes_conf())
    }

    /// Data-plane effects the node emitted (`DeleteKeysInSlots`, `SlotsLost`,
    /// `ReplicateFrom`, …) with their virtual time (ms since start).
    pub fn data_effects(&self, node: usize) -> &[(i64, Effect)] {
        self.nodes
            .get(node)
            .map_or(&[], |n| n.data_effects.as_slice())
    }

    /// `cluster_state:ok` on a live node.
    pub fn cluster_ok(&self, node: usize) -> bool {
        self.state(node).is_some_and(ClusterState::cluster_ok)
    }

    /// True when every live node reports `cluster_state:ok` (and one is alive).
    pub fn all_cluster_ok(&self) -> bool {
        let mut live = self
            .nodes
            .iter()
            .filter_map(|n| n.state.as_ref())
            .peekable();
        live.peek().is_some() && live.all(ClusterState::cluster_ok)
    }

    /// `target`'s flags as `observer` sees them (`None`: observer down or
    /// target unknown to it).
    pub fn flags_seen_by(&self, observer: usize, target: usize) -> Option<NodeFlags> {
        let id = self.nodes.get(target)?.id;
        self.state(observer)?.node_flags(&id)
    }

    /// True when `observer` flags `target` FAIL.
    pub fn sees_fail(&self, observer: usize, target: usize) -> bool {
        self.flags_seen_by(observer, target)
            .is_some_and(|f| f.contains(NodeFlags::FAIL))
    }

    /// True when `observer` flags `target` PFAIL or FAIL.
    pub fn sees_failing(&self, observer: usize, target: usize) -> bool {
        self.flags_seen_by(observer, target)
            .is_some_and(|f| f.intersects(NodeFlags(NodeFlags::PFAIL.0 | NodeFlags::FAIL.0)))
    }

    /// True when every live node knows every other node (by id) and none of
    /// them is in handshake, PFAIL, FAIL or without address.
    pub fn all_know_each_other(&self) -> bool {
        let bad = NodeFlags(
            NodeFlags::HANDSHAKE.0 | NodeFlags::NOADDR.0 | NodeFlags::PFAIL.0 | NodeFlags::FAIL.0,
        );
        let live: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.is_alive(i))
            .collect();
        live.iter().all(|&i| {
            self.state(i)
                .is_some_and(|s| s.known_nodes() == self.nodes.len())
                && live
                    .iter()
                    .filter(|&&j| j != i)
                    .all(|&j| self.flags_seen_by(i, j).is_some_and(|f| !f.intersects(bad)))
        })
    }

    /// The owner of every slot in the node's view (`None` if the node is down).
    pub fn slot_map(&self, node: usize) -> Option<Vec<Option<NodeId>>> {
        let state = self.state(node)?;
        Some(
            (0..SLOT_COUNT as u16)
                .map(|s| state.slot_owner(s))
                .collect(),
        )
    }

    /// True when every live node has the same slot map.
    pub fn slot_maps_agree(&self) -> bool {
        let views = self.live_views();
        let mut maps = views
            .iter()
            .map(|v| (0..SLOT_COUNT as u16).map(|s| v.state.slot_owner(s)));
        let Some(first) = maps.next() else {
            return true;
        };
        let first: Vec<Option<NodeId>> = first.collect();
        maps.all(|m| m.eq(first.iter().copied()))
    }

    /// Live nodes, for the invariant checks.
    pub fn live_views(&self) -> Vec<NodeView<'_>> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(index, n)| n.state.as_ref().map(|state| NodeView { index, state }))
            .collect()
    }

    /// Every FAILOVER_AUTH_ACK sent so far: `(voter, epoch)` in send order.
    pub fn votes_granted(&self) -> &[(usize, u64)] {
        self.checker.votes_granted()
    }

    /// Violations of the per-step invariants recorded so far.
    pub fn violations(&self) -> &[Violation] {
        self.checker.violations()
    }

    /// Number of per-step violations (including ones not stored).
    pub fn violation_count(&self) -> usize {
        self.checker.violation_count()
    }

    /// Runs the convergence invariants now (does not record them).
    pub fn convergence_violations(&self) -> Vec<Violation> {
        invariants::convergence_violations(self.now_ms(), &self.live_views())
    }

    /// True when every convergence invariant holds now.
    pub fn converged(&self) -> bool {
        invariants::converged(&self.live_views())
    }

    /// Panics with every per-step violation, if any (for scenario tests).
    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(
            v.is_empty(),
            "{} invariant violation(s):\n{}",
            self.violation_count(),
            v.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    /// A hash of every event and effect so far: equal for two runs of the same
    /// scenario and seed.
    pub fn trace_hash(&self) -> u64 {
        self.trace.finish()
    }

    /// Counters.
    pub fn stats(&self) -> SimStats {
        self.stats
    }

    /// Starts (or stops) keeping every log line of every node.
    pub fn capture_logs(&mut self, on: bool) {
        self.logs = on.then(|| self.logs.take().unwrap_or_default());
    }

    /// Captured log lines.
    pub fn logs(&self) -> &[LogLine] {
        self.logs.as_deref().unwrap_or(&[])
    }

    // ---------------------------------------------------------------------
    // Scenario DSL: admin commands
    // ---------------------------------------------------------------------

    /// Runs an admin operation on a live node at the current virtual time and
    /// routes the effects; `None` if the node is down.
    pub fn admin<R>(
        &mut self,
        node: usize,
        op: impl FnOnce(&mut ClusterState, i64) -> R,
    ) -> Option<R> {
        if !self.is_alive(node) {
            return None;
        }
        self.trace.word(0xad);
        self.trace.word(node as u64);
        self.input(node, op)
    }

    /// `CLUSTER MEET` from `from` to `to`'s address.
    pub fn meet(&mut self, from: usize, to: usize) -> Result<(), String> {
        let target = self.nodes.get(to).ok_or("no such node")?;
        let (ip, port, bus) = (
            target.ip.clone(),
            i64::from(target.config.port),
            i64::from(target.config.bus_port),
        );
        self.admin(from, |s, now| s.meet(now, &ip, port, bus))
            .unwrap_or_else(|| Err("node is down".to_owned()))
    }

    /// `CLUSTER ADDSLOTSRANGE start end` on `node`.
    pub fn add_slots(&mut self, node: usize, slots: RangeInclusive<u16>) -> Result<(), String> {
        let range = (*slots.start(), *slots.end());
        self.admin(node, |s, now| s.add_slots_range(now, &[range]))
            .unwrap_or_else(|| Err("node is down".to_owned()))
    }

    /// `CLUSTER SET-CONFIG-EPOCH epoch` on `node`.
    pub fn set_config_epoch(&mut self, node: usize, epoch: u64) -> Result<(), String> {
        let epoch = i64::try_from(epoch).map_err(|_| "epoch too large".to_owned())?;
        self.admin(node, |s, now| s.set_config_epoch(now, epoch))
            .unwrap_or_else(|| Err("node is down".to_owned()))
    }

    /// `CLUSTER BUMPEPOCH` on `node`: `(bumped, config epoch)`.
    pub fn bump_epoch(&mut self, node: usize) -> Option<(bool, u64)> {
        self.admin(node, |s, now| s.bump_epoch(now))
    }

    /// `CLUSTER REPLICATE <primary's id>` on `node` (its data set is empty).
    pub fn replicate(&mut self, node: usize, primary: usize) -> Result<(), String> {
        let id = self
            .nodes
            .get(primary)
            .ok_or("no such node")?
            .id
            .to_string();
        self.admin(node, |s, now| s.replicate(now, &id, true))
            .unwrap_or_else(|| Err("node is down".to_owned()))
    }

    /// Plays the election step a Shoal replica does not implement yet (§6.7
    /// step 5): `replica` broadcasts FAILOVER_AUTH_REQUEST on its connected
    /// outbound links, for a new epoch (its currentEpoch + 1, or one more than
    /// its previous forged request) or, with `reuse_epoch`, for the same epoch as
    /// its previous request (a retransmission). `force_ack` sets FORCEACK (manual
    /// failover). The frame is built from the replica's own view, as Redis's
    /// `clusterRequestFailoverAuth` would. Returns the epoch used.
    pub fn request_votes(
        &mut self,
        replica: usize,
        force_ack: bool,
        reuse_epoch: bool,
    ) -> Result<u64, String> {
        let node = self.nodes.get(replica).ok_or("no such node")?;
        let state = node.state.as_ref().ok_or("node is down")?;
        if state.is_primary() {
            return Err("node is a primary".to_owned());
        }
        let primary = state.my_primary().ok_or("replica without a primary")?;
        let last = self.election_epochs.get(&replica).copied();
        let epoch = match (reuse_epoch, last) {
            (true, Some(e)) => e,
            _ => state.current_epoch().max(last.unwrap_or(0)) + 1,
        };
        let mut header = Header::new(state.my_id());
        header.port = node.config.port;
        header.bus_port = node.config.bus_port;
        header.current_epoch = epoch;
        header.config_epoch = state.node_config_epoch(&primary).unwrap_or(0);
        let mut slots = SlotBitmap::new();
        for slot in 0..SLOT_COUNT as u16 {
            if state.slot_owner(slot) == Some(primary) {
                slots.set(slot);
            }
        }
        header.slots = slots;
        header.primary_id = Some(primary);
        header.flags = NodeFlags(NodeFlags::MYSELF.0 | NodeFlags::REPLICA.0);
        header.state = if state.cluster_ok() {
            WireClusterState::Ok
        } else {
            WireClusterState::Fail
        };
        header.mflags.set_force_ack(force_ack);
        let bytes = encode(&BusMessage::new(header, MessageBody::FailoverAuthRequest));
        self.election_epochs.insert(replica, epoch);
        let outbound: Vec<u64> = self
            .links_of(replica)
            .into_iter()
            .filter(|&(_, (conn, side))| {
                side == 0
                    && self
                        .conns
                        .get(&conn)
                        .is_some_and(|c| c.established && !c.broken && c.ends[0].open)
            })
            .map(|(_, (conn, _))| conn)
            .collect();
        self.trace.word(0xe1);
        self.trace.word(epoch);
        for conn in outbound {
            self.transmit(conn, 0, Item::Frame(bytes.clone()));
        }
        Ok(epoch)
    }

    // ---------------------------------------------------------------------
    // Scenario DSL: time
    // ---------------------------------------------------------------------

    /// Advances virtual time by `ms`, processing every event due.
    pub fn run_for(&mut self, ms: i64) {
        let target = self.now_ms.saturating_add(ms.max(0));
        self.run_to(target);
    }

    /// Advances time until `done` holds (checked every 10 virtual ms) or
    /// `deadline_ms` of virtual time have passed. True if `done` held.
    pub fn run_until(
        &mut self,
        mut done: impl FnMut(&Simulator) -> bool,
        deadline_ms: i64,
    ) -> bool {
        let deadline = self.now_ms.saturating_add(deadline_ms.max(0));
        loop {
            if done(self) {
                return true;
            }
            if self.now_ms >= deadline {
                return false;
            }
            let next = (self.now_ms + POLL_MS).min(deadline);
            self.run_to(next);
        }
    }

    fn run_to(&mut self, target: i64) {
        while self.queue.peek().is_some_and(|s| s.at_ms <= target) {
            let Some(next) = self.queue.pop() else {
                break;
            };
            self.now_ms = self.now_ms.max(next.at_ms);
            self.stats.events += 1;
            self.handle(next.event);
        }
        self.now_ms = self.now_ms.max(target);
    }

    // ---------------------------------------------------------------------
    // Scenario DSL: faults
    // ---------------------------------------------------------------------

    /// Replaces the network behaviour (applies to frames sent from now on).
    pub fn set_net(&mut self, net: NetConfig) {
        self.net = net;
    }

    /// The current network behaviour.
    pub fn net(&self) -> &NetConfig {
        &self.net
    }

    /// No node of `side_a` can talk to any node of `side_b` until [`heal`].
    ///
    /// [`heal`]: Simulator::heal
    pub fn partition(&mut self, side_a: &[usize], side_b: &[usize]) {
        for &a in side_a {
            for &b in side_b {
                if a != b {
                    self.cut.insert((a.min(b), a.max(b)));
                }
            }
        }
        self.trace.word(0x9a);
        self.trace.word(self.cut.len() as u64);
    }

    /// Cuts `node` off from every other node.
    pub fn isolate(&mut self, node: usize) {
        let others: Vec<usize> = (0..self.nodes.len()).filter(|&i| i != node).collect();
        self.partition(&[node], &others);
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        self.cut.clear();
        self.trace.word(0x4e);
    }

    /// True when `a` and `b` are partitioned from each other.
    pub fn is_cut(&self, a: usize, b: usize) -> bool {
        self.cut.contains(&(a.min(b), a.max(b)))
    }

    /// Kills `node`: its state is discarded and its connections close.
    pub fn kill(&mut self, node: usize) {
        let Some(n) = self.nodes.get_mut(node) else {
            return;
        };
        if n.state.take().is_none() {
            return;
        }
        n.incarnation = n.incarnation.wrapping_add(1);
        self.stats.kills += 1;
        self.trace.word(0x6b);
        self.trace.word(node as u64);
        for (key, (conn, side)) in self.links_of(node) {
            self.links.remove(&key);
            self.close_side(conn, side);
        }
    }

    /// Restarts a killed node from its last nodes.conf (`ClusterState::load`).
    /// A file that does not load is an invariant violation; the node then starts
    /// fresh, as Redis would after the operator removed the file.
    pub fn restart(&mut self, node: usize) -> Result<(), String> {
        if self.is_alive(node) {
            return Err("node is alive".to_owned());
        }
        let Some(n) = self.nodes.get(node) else {
            return Err("no such node".to_owned());
        };
        let seed: u64 = self.rng.gen();
        let config = n.config.clone();
        let text = n
            .persisted
            .as_ref()
            .map(|s| s.to_nodes_conf())
            .unwrap_or_default();
        let state = match ClusterState::load(config.clone(), &text, self.now_ms, seed) {
            Ok(state) => state,
            Err(err) => {
                let at = self.now_ms();
                self.checker.on_load_failure(
                    at,
                    node,
                    format!("restart could not load its nodes.conf: {err}\n{text}"),
                );
                ClusterState::new(config, None, self.now_ms, seed)
            }
        };
        self.checker.on_restart(self.now_ms(), node, &state, &text);
        let incarnation = match self.nodes.get_mut(node) {
            Some(n) => {
                n.id = state.my_id();
                n.state = Some(state);
                n.incarnation
            }
            None => return Err("no such node".to_owned()),
        };
        self.stats.restarts += 1;
        self.trace.word(0x75);
        self.trace.word(node as u64);
        let first_tick = self.now_ms + self.rng.gen_range(1..=TICK_INTERVAL_MS);
        self.schedule(first_tick, Event::Tick { node, incarnation });
        self.input(node, |_, _| ());
        Ok(())
    }

    // ---------------------------------------------------------------------
    // Engine
    // ---------------------------------------------------------------------

    fn schedule(&mut self, at_ms: i64, event: Event) {
        self.seq += 1;
        self.queue.push(Scheduled {
            at_ms,
            seq: self.seq,
            event,
        });
    }

    fn delay(&mut self) -> i64 {
        let (lo, hi) = (self.net.min_delay_ms.max(0), self.net.max_delay_ms.max(0));
        if hi <= lo {
            lo
        } else {
            self.rng.gen_range(lo..=hi)
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.gen_bool(p.min(1.0))
    }

    fn links_of(&self, node: usize) -> Vec<((usize, LinkId), (u64, usize))> {
        self.links
            .range((node, LinkId(0))..=(node, LinkId(u64::MAX)))
            .map(|(k, v)| (*k, *v))
            .collect()
    }

    /// Feeds one input to a live node, then routes all its effects; the
    /// per-step invariants run around it.
    fn input<R>(&mut self, node: usize, op: impl FnOnce(&mut ClusterState, i64) -> R) -> Option<R> {
        self.checker.begin_step(node);
        let now = self.now_ms;
        let out = self
            .nodes
            .get_mut(node)
            .and_then(|n| n.state.as_mut())
            .map(|state| op(state, now));
        self.drain_effects(node);
        let at = self.now_ms();
        if let Some(state) = self.nodes.get(node).and_then(|n| n.state.as_ref()) {
            self.checker.end_step(at, node, state);
        }
        out
    }

    fn drain_effects(&mut self, node: usize) {
        let mut drained: BTreeMap<LinkId, u64> = BTreeMap::new();
        loop {
            let effect = self
                .nodes
                .get_mut(node)
                .and_then(|n| n.state.as_mut())
                .and_then(ClusterState::poll_effect);
            match effect {
                Some(effect) => self.apply_effect(node, effect, &mut drained),
                None if drained.is_empty() => break,
                None => {
                    // Report written bytes (they left the socket buffer at once).
                    let now = self.now_ms;
                    let batch = std::mem::take(&mut drained);
                    if let Some(state) = self.nodes.get_mut(node).and_then(|n| n.state.as_mut()) {
                        for (link, bytes) in batch {
                            state.handle_link_event(now, link, LinkEvent::Drained { bytes });
                        }
                    }
                }
            }
        }
    }

    fn apply_effect(&mut self, node: usize, effect: Effect, drained: &mut BTreeMap<LinkId, u64>) {
        match effect {
            Effect::Connect {
                link, ip, bus_port, ..
            } => {
                self.trace.word(1);
                self.trace.word(link.0);
                let target = self
                    .nodes
                    .iter()
                    .position(|n| n.ip == ip && n.config.bus_port == bus_port);
                let id = self.next_conn;
                self.next_conn += 1;
                let placeholder = Endpoint {
                    node: target.unwrap_or(usize::MAX),
                    link: LinkId(0),
                    open: false,
                };
                self.conns.insert(
                    id,
                    Conn {
                        ends: [
                            Endpoint {
                                node,
                                link,
                                open: true,
                            },
                            placeholder,
                        ],
                        target,
                        established: false,
                        broken: false,
                        started_ms: self.now_ms,
                        pending: Vec::new(),
                        dirs: [Direction::default(), Direction::default()],
                    },
                );
                self.links.insert((node, link), (id, 0));
                self.stats.connects += 1;
                let at = self.now_ms + self.delay();
                self.schedule(at, Event::ConnectOutcome { conn: id });
            }
            Effect::Send { link, bytes } => {
                self.trace.word(2);
                self.trace.word(link.0);
                self.trace.bytes(&bytes);
                let at = self.now_ms();
                self.checker.on_send(at, node, &bytes);
                match self.links.get(&(node, link)).copied() {
                    None => self.stats.unknown_link_sends += 1,
                    Some((conn, side)) => {
                        let established = self.conns.get(&conn).is_some_and(|c| c.established);
                        if established {
                            *drained.entry(link).or_insert(0) += bytes.len() as u64;
                            self.transmit(conn, side, Item::Frame(bytes));
                        } else if let Some(c) = self.conns.get_mut(&conn) {
                            c.pending.push(bytes);
                        }
                    }
                }
            }
            Effect::Disconnect { link } => {
                self.trace.word(3);
                self.trace.word(link.0);
                if let Some((conn, side)) = self.links.remove(&(node, link)) {
                    self.close_side(conn, side);
                }
            }
            Effect::PersistConfig { fsync } => {
                self.trace.word(4);
                self.stats.persists += 1;
                let (at, now) = (self.now_ms(), self.now_ms);
                let Some(n) = self.nodes.get_mut(node) else {
                    return;
                };
                let Some(state) = n.state.as_ref() else {
                    return;
                };
                let snapshot = Box::new(state.clone());
                self.trace.word(snapshot.current_epoch());
                self.trace.word(snapshot.last_vote_epoch());
                self.trace.word(snapshot.my_config_epoch());
                self.checker
                    .on_persist(at, now, node, &n.config, &snapshot, fsync);
                n.persisted = Some(snapshot);
            }
            Effect::Log { level, text } => {
                let at = self.now_ms();
                if let Some(logs) = self.logs.as_mut() {
                    logs.push(LogLine {
                        at_ms: at,
                        node,
                        level,
                        text,
                    });
                }
            }
            other => {
                // Replication, key deletion, pub/sub and pause requests have no
                // data plane here: they are recorded for the scenarios.
                self.trace.word(5);
                self.trace.bytes(format!("{other:?}").as_bytes());
                let at = self.now_ms();
                if let Some(n) = self.nodes.get_mut(node) {
                    if let Some(state) = n.state.as_ref() {
                        self.checker.on_data_effect(at, node, state, &other);
                    }
                    n.data_effects.push((at, other));
                }
            }
        }
    }

    /// Puts an item on the wire from `from_side` of `conn` (in sequence).
    fn transmit(&mut self, conn: u64, from_side: usize, item: Item) {
        let from_side = from_side.min(1);
        let to_side = 1 - from_side;
        let is_frame = matches!(item, Item::Frame(_));
        if is_frame {
            self.stats.frames_sent += 1;
            let drop_p = self.net.drop_probability;
            if self.chance(drop_p) {
                self.reset(conn);
                return;
            }
        }
        let mut delay = self.delay();
        let spike_p = self.net.reorder_probability;
        if is_frame && self.chance(spike_p) {
            let max = self.net.max_delay_ms.max(1);
            delay += self.rng.gen_range(1..=10 * max);
        }
        let at = self.now_ms + delay;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.broken {
            return;
        }
        let seq = c.dirs[to_side].next_seq();
        self.schedule(
            at,
            Event::Arrive {
                conn,
                to_side,
                seq,
                item,
            },
        );
    }

    /// The connection breaks: nothing more gets through, and each end still
    /// open learns it after the data already on its way.
    fn reset(&mut self, conn: u64) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if c.broken || !c.established {
            return;
        }
        let open = [c.ends[0].open, c.ends[1].open];
        self.stats.resets += 1;
        self.trace.word(0x14);
        self.trace.word(conn);
        for (to_side, is_open) in open.into_iter().enumerate() {
            if is_open {
                self.transmit(conn, 1 - to_side, Item::Close);
            }
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.broken = true;
        }
    }

    /// `side` of `conn` is closed by its owner (or its process died): the peer
    /// learns it after the frames already in flight to it.
    fn close_side(&mut self, conn: u64, side: usize) {
        let side = side.min(1);
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.ends[side].open = false;
        let other = 1 - side;
        if !c.established {
            // The pending ConnectOutcome sees the closed connector and drops it.
            return;
        }
        if !c.ends[other].open {
            self.conns.remove(&conn);
        } else if !c.broken {
            self.transmit(conn, side, Item::Close);
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Tick { node, incarnation } => {
                let current = self
                    .nodes
                    .get(node)
                    .map(|n| (n.incarnation, n.state.is_some()));
                if current != Some((incarnation, true)) {
                    return;
                }
                self.trace.word(0x10);
                self.trace.int(self.now_ms);
                self.trace.word(node as u64);
                self.input(node, |s, now| s.handle_tick(now));
                let next = self.now_ms + TICK_INTERVAL_MS;
                self.schedule(next, Event::Tick { node, incarnation });
            }
            Event::ConnectOutcome { conn } => self.connect_outcome(conn),
            Event::Arrive {
                conn,
                to_side,
                seq,
                item,
            } => self.arrive(conn, to_side.min(1), seq, item),
        }
    }

    fn connect_outcome(&mut self, conn: u64) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let from = c.ends[0];
        if !from.open {
            self.conns.remove(&conn);
            return;
        }
        let (target, started_ms) = (c.target, c.started_ms);
        if let Some(t) = target {
            if self.is_cut(from.node, t) && self.now_ms - started_ms < CONNECT_TIMEOUT_MS {
                // The SYN is lost in the partition: retransmit it later.
                self.stats.retransmits += 1;
                let at = self.now_ms + RETRANSMIT_MS;
                self.schedule(at, Event::ConnectOutcome { conn });
                return;
            }
        }
        self.trace.word(0x11);
        self.trace.int(self.now_ms);
        self.trace.word(conn);
        let target = target.filter(|&t| self.is_alive(t) && !self.is_cut(from.node, t));
        let Some(target) = target else {
            self.conns.remove(&conn);
            self.links.remove(&(from.node, from.link));
            self.stats.connect_failures += 1;
            self.input(from.node, |s, now| {
                s.handle_link_event(now, from.link, LinkEvent::ConnectFailed)
            });
            return;
        };
        let peer_ip = self.nodes[from.node].ip.clone();
        let local_ip = self.nodes[target].ip.clone();
        // The acceptor's side: `accept_link`, registered before its effects run.
        self.checker.begin_step(target);
        let now = self.now_ms;
        let Some(accepted) = self
            .nodes
            .get_mut(target)
            .and_then(|n| n.state.as_mut())
            .map(|s| s.accept_link(now, &peer_ip, &local_ip))
        else {
            return;
        };
        self.links.insert((target, accepted), (conn, 1));
        let pending = match self.conns.get_mut(&conn) {
            Some(c) => {
                c.ends[1] = Endpoint {
                    node: target,
                    link: accepted,
                    open: true,
                };
                c.established = true;
                std::mem::take(&mut c.pending)
            }
            None => Vec::new(),
        };
        self.drain_effects(target);
        let at = self.now_ms();
        if let Some(n) = self.nodes.get(target) {
            if let Some(state) = n.state.as_ref() {
                self.checker.end_step(at, target, state);
            }
        }
        // The connector: buffered frames go first, then the connect handler runs
        // (it queues the MEET/PING behind them, as in Redis's send buffer).
        let written: u64 = pending.iter().map(|f| f.len() as u64).sum();
        for frame in pending {
            self.transmit(conn, 0, Item::Frame(frame));
        }
        self.input(from.node, |s, now| {
            if written > 0 {
                s.handle_link_event(now, from.link, LinkEvent::Drained { bytes: written });
            }
            s.handle_link_event(now, from.link, LinkEvent::Connected);
        });
    }

    /// An item reaches the receiving side; items are processed in sequence.
    fn arrive(&mut self, conn: u64, to_side: usize, seq: u64, item: Item) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let (to, from) = (c.ends[to_side], c.ends[1 - to_side]);
        if !to.open || !self.is_alive(to.node) {
            return;
        }
        if self.is_cut(from.node, to.node) {
            self.stats.retransmits += 1;
            let at = self.now_ms + RETRANSMIT_MS;
            self.schedule(
                at,
                Event::Arrive {
                    conn,
                    to_side,
                    seq,
                    item,
                },
            );
            return;
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.dirs[to_side].arrived(seq, item);
        }
        loop {
            let next = self
                .conns
                .get_mut(&conn)
                .and_then(|c| c.dirs[to_side].pop_ready());
            let Some(item) = next else {
                return;
            };
            let open = self.conns.get(&conn).is_some_and(|c| c.ends[to_side].open);
            if !open {
                return;
            }
            match item {
                Item::Frame(frame) => self.deliver(conn, to_side, to, &frame),
                Item::Close => {
                    self.stats.closes += 1;
                    self.trace.word(0x13);
                    self.trace.int(self.now_ms);
                    self.trace.word(conn);
                    self.links.remove(&(to.node, to.link));
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.ends[to_side].open = false;
                        if !c.ends[1 - to_side].open {
                            self.conns.remove(&conn);
                        }
                    }
                    self.input(to.node, |s, now| {
                        s.handle_link_event(now, to.link, LinkEvent::Closed)
                    });
                    return;
                }
            }
        }
    }

    /// Pushes one frame's bytes to the receiver's reader (in random chunks) and
    /// hands every completed frame to the state machine.
    fn deliver(&mut self, conn: u64, to_side: usize, to: Endpoint, frame: &[u8]) {
        self.stats.frames_delivered += 1;
        self.trace.word(0x12);
        self.trace.int(self.now_ms);
        self.trace.word(conn);
        let max_chunks = self.net.max_chunks.max(1).min(frame.len().max(1));
        let chunks = self.rng.gen_range(1..=max_chunks);
        let mut cuts: Vec<usize> = (1..chunks)
            .map(|_| self.rng.gen_range(1..frame.len().max(2)))
            .collect();
        cuts.push(0);
        cuts.push(frame.len());
        cuts.sort_unstable();
        cuts.dedup();
        let mut frames = Vec::new();
        let mut link_error = None;
        if let Some(c) = self.conns.get_mut(&conn) {
            let reader = &mut c.dirs[to_side].reader;
            for pair in cuts.windows(2) {
                reader.push(frame.get(pair[0]..pair[1]).unwrap_or(&[]));
                loop {
                    match reader.next_frame() {
                        Ok(Some(f)) => frames.push(f),
                        Ok(None) => break,
                        Err(err) => {
                            link_error = Some(err);
                            break;
                        }
                    }
                }
                if link_error.is_some() {
                    break;
                }
            }
        }
        for f in frames {
            if let Frame::Ignored(reason) = &f {
                let at = self.now_ms();
                self.checker
                    .on_bad_frame(at, to.node, format!("frame ignored: {reason}"));
            }
            self.input(to.node, |s, now| s.handle_frame(now, to.link, f));
            let still_open = self.conns.get(&conn).is_some_and(|c| c.ends[to_side].open);
            if !still_open {
                return;
            }
        }
        if let Some(err) = link_error {
            let at = self.now_ms();
            self.checker
                .on_bad_frame(at, to.node, format!("link error: {err}"));
            // The shell closes the link on a framing error.
            self.links.remove(&(to.node, to.link));
            self.close_side(conn, to_side);
            self.input(to.node, |s, now| {
                s.handle_link_event(now, to.link, LinkEvent::Closed)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formed(n: usize, seed: u64) -> Simulator {
        let mut sim = Simulator::new(SimConfig {
            node_timeout_ms: 2_000,
            ..SimConfig::new(n, seed)
        });
        let per = SLOT_COUNT as u16 / n as u16;
        for i in 0..n {
            let start = i as u16 * per;
            let end = if i + 1 == n {
                SLOT_COUNT as u16 - 1
            } else {
                start + per - 1
            };
            sim.add_slots(i, start..=end).expect("ADDSLOTS");
        }
        for i in 1..n {
            sim.meet(i, i - 1).expect("MEET");
        }
        assert!(sim.run_until(|s| s.all_know_each_other() && s.all_cluster_ok(), 20_000));
        sim
    }

    #[test]
    fn direction_delivers_in_sequence_whatever_the_arrival_order() {
        let mut dir = Direction::default();
        let seqs: Vec<u64> = (0..4).map(|_| dir.next_seq()).collect();
        assert_eq!(seqs, vec![0, 1, 2, 3]);
        dir.arrived(2, Item::Frame(vec![2]));
        dir.arrived(1, Item::Frame(vec![1]));
        assert!(dir.pop_ready().is_none(), "0 has not arrived");
        dir.arrived(0, Item::Frame(vec![0]));
        let mut got = Vec::new();
        while let Some(Item::Frame(f)) = dir.pop_ready() {
            got.push(f[0]);
        }
        assert_eq!(got, vec![0, 1, 2]);
        dir.arrived(3, Item::Close);
        assert!(matches!(dir.pop_ready(), Some(Item::Close)));
        // A duplicate of something already delivered is ignored.
        dir.arrived(1, Item::Frame(vec![1]));
        assert!(dir.pop_ready().is_none());
    }

    #[test]
    fn events_pop_in_time_then_scheduling_order() {
        let mut heap = BinaryHeap::new();
        for (at_ms, seq) in [(5, 1), (3, 2), (5, 0), (3, 3)] {
            heap.push(Scheduled {
                at_ms,
                seq,
                event: Event::ConnectOutcome { conn: 0 },
            });
        }
        let order: Vec<(i64, u64)> = std::iter::from_fn(|| heap.pop())
            .map(|s| (s.at_ms, s.seq))
            .collect();
        assert_eq!(order, vec![(3, 2), (3, 3), (5, 0), (5, 1)]);
    }

    #[test]
    fn a_partition_holds_frames_and_heal_delivers_them() {
        let mut sim = formed(2, 1);
        sim.partition(&[0], &[1]);
        let before = sim.stats();
        sim.run_for(1_500);
        let during = sim.stats();
        assert_eq!(during.frames_delivered, before.frames_delivered);
        assert!(during.retransmits > before.retransmits);
        assert_eq!(during.resets, 0);
        assert!(sim.is_cut(1, 0));
        sim.heal();
        sim.run_for(500);
        assert!(sim.stats().frames_delivered > during.frames_delivered);
        assert!(sim.run_until(|s| s.converged(), 20_000));
        sim.assert_no_violations();
    }

    #[test]
    fn kill_closes_peer_links_and_restart_reloads_the_node() {
        let mut sim = formed(3, 2);
        let id = sim.node_id(2);
        // Inbound links are tied to their node by the first message on them.
        let bound = sim.run_until(
            |s| s.state(0).is_some_and(|st| st.links_view().len() == 4),
            5_000,
        );
        assert!(bound, "one link each way per peer");
        sim.kill(2);
        assert!(!sim.is_alive(2));
        assert!(sim.state(2).is_none());
        sim.run_for(50);
        // Peers saw the close; their reconnects are refused.
        assert!(sim.stats().closes >= 4);
        assert!(sim.state(0).is_some_and(|s| s.links_view().len() < 4));
        sim.run_for(500);
        assert!(sim.stats().connect_failures > 0);
        assert_eq!(sim.restart(0), Err("node is alive".to_owned()));
        sim.restart(2).expect("restart");
        assert_eq!(sim.node_id(2), id);
        assert_eq!(sim.stats().restarts, 1);
        assert!(sim.run_until(|s| s.converged(), 20_000));
        sim.assert_no_violations();
    }

    #[test]
    fn drops_reset_connections_and_the_cluster_survives() {
        let mut sim = formed(3, 3);
        sim.set_net(NetConfig {
            drop_probability: 0.2,
            ..NetConfig::reliable()
        });
        sim.run_for(5_000);
        assert!(sim.stats().resets > 0);
        sim.set_net(NetConfig::reliable());
        assert!(sim.run_until(|s| s.converged(), 20_000));
        sim.assert_no_violations();
    }

    #[test]
    fn meeting_an_address_nobody_has_fails_to_connect() {
        let mut sim = Simulator::with_nodes(1, 4);
        sim.admin(0, |s, now| s.meet(now, "10.9.9.9", 7000, 17000))
            .expect("alive")
            .expect("valid address");
        sim.run_for(300);
        assert!(sim.stats().connect_failures > 0);
        assert_eq!(
            sim.state(0).map(|s| s.known_nodes()),
            Some(2),
            "handshake node"
        );
        // The handshake node expires after max(node_timeout, 1000) ms.
        sim.run_for(6_000);
        assert_eq!(sim.state(0).map(|s| s.known_nodes()), Some(1));
    }

    #[test]
    fn dsl_rejects_bad_requests() {
        let mut sim = Simulator::with_nodes(2, 5);
        assert!(sim.meet(0, 9).is_err());
        let (start, end) = (10u16, 5u16);
        assert!(sim.add_slots(0, start..=end).is_err(), "start > end");
        assert!(sim.add_slots(0, 0..=20_000).is_err(), "slot out of range");
        assert!(sim.request_votes(0, false, false).is_err(), "a primary");
        assert!(sim.request_votes(7, false, false).is_err());
        assert!(sim.replicate(0, 9).is_err());
        assert_eq!(sim.restart(9), Err("no such node".to_owned()));
        sim.kill(1);
        sim.kill(1);
        assert_eq!(sim.stats().kills, 1, "killing a dead node is a no-op");
        assert!(sim.meet(1, 0).is_err());
        assert!(sim.admin(1, |_, _| ()).is_none());
        assert!(sim.flags_seen_by(1, 0).is_none());
        assert!(sim.slot_map(1).is_none());
        assert!(!sim.cluster_ok(1));
        sim.kill(9);
        assert_eq!(sim.index_of(&sim.node_id(0)), Some(0));
        assert_eq!(sim.index_of(&NodeId::NULL), None);
    }

    #[test]
    fn time_only_moves_forward_and_run_until_respects_its_deadline() {
        let mut sim = Simulator::with_nodes(1, 6);
        assert_eq!(sim.now_ms(), 0);
        assert_eq!(sim.unix_now_ms(), START_MS);
        sim.run_for(250);
        assert_eq!(sim.now_ms(), 250);
        sim.run_for(-5);
        assert_eq!(sim.now_ms(), 250);
        assert!(!sim.run_until(|_| false, 1_000));
        assert_eq!(sim.now_ms(), 1_250);
        assert!(sim.run_until(|s| s.now_ms() >= 1_300, 1_000));
        assert_eq!(sim.now_ms(), 1_300);
        // A single node with no slots is never ok (§6.6: size 0).
        assert!(!sim.all_cluster_ok());
    }

    #[test]
    fn logs_are_captured_only_when_asked() {
        let mut sim = Simulator::with_nodes(2, 7);
        sim.meet(0, 1).expect("MEET");
        sim.run_for(500);
        assert!(sim.logs().is_empty());
        sim.capture_logs(true);
        sim.meet(1, 0).expect("MEET");
        sim.run_for(500);
        assert!(!sim.logs().is_empty());
        sim.capture_logs(false);
        assert!(sim.logs().is_empty());
    }
}
