//! Safety and convergence invariants checked while a simulation runs (reference
//! `redis-cluster-7.0.md` §5.6, §6.5–§6.8, §6.11).
//!
//! Owns: the [`Checker`] that the simulator calls after every step (cheap,
//! per-node checks) and the convergence checks run once the cluster is healed
//! and quiet. Each invariant lives in its own file and cites the spec section it
//! checks. Must never: change simulation state, consume randomness, or iterate a
//! hash map (violations must come out in the same order on every run).

mod cluster_recovers;
mod current_epoch_monotonic;
mod highest_epoch_owner;
mod keys_deleted_only_for_lost_slots;
mod persisted_config_loads;
mod single_vote_per_epoch;
mod slot_agreement;
mod unique_config_epochs;
mod wire_frames_valid;

use std::fmt;

use shoal_cluster::bus::{codec, MessageType, NodeId};
use shoal_cluster::state::{ClusterConfig, ClusterState, Effect, SLOT_COUNT};

use current_epoch_monotonic::CurrentEpochMonotonic;
use persisted_config_loads::PersistedConfigLoads;
use single_vote_per_epoch::SingleVotePerEpoch;
use wire_frames_valid::WireFramesValid;

/// Violations recorded beyond this many are counted but not stored.
const MAX_STORED_VIOLATIONS: usize = 64;

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Short name of the invariant (its file name).
    pub invariant: &'static str,
    /// Virtual time of detection, ms since the simulation started.
    pub at_ms: i64,
    /// The node the violation is about, when there is one.
    pub node: Option<usize>,
    /// What was observed.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.node {
            Some(node) => write!(
                f,
                "[{}] t={}ms node {}: {}",
                self.invariant, self.at_ms, node, self.detail
            ),
            None => write!(
                f,
                "[{}] t={}ms: {}",
                self.invariant, self.at_ms, self.detail
            ),
        }
    }
}

/// A live node as the convergence checks see it.
#[derive(Clone, Copy, Debug)]
pub struct NodeView<'a> {
    /// The simulator's index of the node.
    pub index: usize,
    /// Its state machine.
    pub state: &'a ClusterState,
}

/// Runs the per-step invariants and records violations.
#[derive(Debug)]
pub(crate) struct Checker {
    current_epoch: CurrentEpochMonotonic,
    votes: SingleVotePerEpoch,
    persisted: PersistedConfigLoads,
    frames: WireFramesValid,
    violations: Vec<Violation>,
    violation_count: usize,
    /// Every vote sent: (voter, epoch).
    votes_granted: Vec<(usize, u64)>,
}

impl Checker {
    pub(crate) fn new(nodes: usize) -> Checker {
        Checker {
            current_epoch: CurrentEpochMonotonic::new(nodes),
            votes: SingleVotePerEpoch::new(nodes),
            persisted: PersistedConfigLoads::default(),
            frames: WireFramesValid,
            violations: Vec::new(),
            violation_count: 0,
            votes_granted: Vec::new(),
        }
    }

    /// Every violation recorded so far (at most [`MAX_STORED_VIOLATIONS`]).
    pub(crate) fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Every FAILOVER_AUTH_ACK observed: (voter, epoch), in send order.
    pub(crate) fn votes_granted(&self) -> &[(usize, u64)] {
        &self.votes_granted
    }

    /// Number of violations, including those not stored.
    pub(crate) fn violation_count(&self) -> usize {
        self.violation_count
    }

    pub(crate) fn record(&mut self, violation: Violation) {
        self.violation_count += 1;
        if self.violations.len() < MAX_STORED_VIOLATIONS {
            self.violations.push(violation);
        }
    }

    fn record_all(
        &mut self,
        invariant: &'static str,
        at_ms: i64,
        node: usize,
        details: Vec<String>,
    ) {
        for detail in details {
            self.record(Violation {
                invariant,
                at_ms,
                node: Some(node),
                detail,
            });
        }
    }

    /// A step (one input) of `node` starts.
    pub(crate) fn begin_step(&mut self, node: usize) {
        self.votes.begin_step(node);
    }

    /// `node` emitted a frame. Only vote acknowledgements are decoded (the type
    /// sits at header offset 12, §5.1), so this stays cheap.
    pub(crate) fn on_send(&mut self, at_ms: i64, node: usize, bytes: &[u8]) {
        let type_code = bytes.get(12..14).map(|b| u16::from_be_bytes([b[0], b[1]]));
        if type_code != Some(MessageType::FailoverAuthAck.code()) {
            return;
        }
        match codec::decode(bytes) {
            Ok(msg) => {
                self.votes_granted.push((node, msg.header.current_epoch));
                let details = self.votes.on_ack(node, msg.header.current_epoch);
                self.record_all("single_vote_per_epoch", at_ms, node, details);
            }
            Err(err) => self.record(Violation {
                invariant: "wire_frames_valid",
                at_ms,
                node: Some(node),
                detail: format!("emitted FAILOVER_AUTH_ACK does not decode: {err}"),
            }),
        }
    }

    /// `node` asked for its nodes.conf to be written; `written` is a snapshot
    /// of the state whose `to_nodes_conf()` is the file content.
    pub(crate) fn on_persist(
        &mut self,
        at_ms: i64,
        now_ms: i64,
        node: usize,
        config: &ClusterConfig,
        written: &ClusterState,
        fsync: bool,
    ) {
        // `vars currentEpoch … lastVoteEpoch …` are exactly these two fields.
        let details = self.current_epoch.on_persist(node, written.current_epoch());
        self.record_all("current_epoch_monotonic", at_ms, node, details);
        self.votes
            .on_persist(node, written.last_vote_epoch(), fsync);
        let details = self
            .persisted
            .on_persist(now_ms, node, config, written, fsync);
        self.record_all("persisted_config_loads", at_ms, node, details);
    }

    /// The step of `node` is over; `state` is its state afterwards.
    pub(crate) fn end_step(&mut self, at_ms: i64, node: usize, state: &ClusterState) {
        let details = self.current_epoch.after_step(node, state);
        self.record_all("current_epoch_monotonic", at_ms, node, details);
        let details = self.votes.end_step(node, state);
        self.record_all("single_vote_per_epoch", at_ms, node, details);
    }

    /// `node` was restarted from its last nodes.conf (`text`).
    pub(crate) fn on_restart(&mut self, at_ms: i64, node: usize, state: &ClusterState, text: &str) {
        let details = self.persisted.on_restart(text, state);
        self.record_all("persisted_config_loads", at_ms, node, details);
        let details = self.current_epoch.on_restart(node, state);
        self.record_all("current_epoch_monotonic", at_ms, node, details);
        let details = self.votes.on_restart(node, state);
        self.record_all("single_vote_per_epoch", at_ms, node, details);
    }

    /// `node` emitted a data-plane effect; `state` is its state after the step.
    pub(crate) fn on_data_effect(
        &mut self,
        at_ms: i64,
        node: usize,
        state: &ClusterState,
        effect: &Effect,
    ) {
        let details = keys_deleted_only_for_lost_slots::check(state, effect);
        self.record_all("keys_deleted_only_for_lost_slots", at_ms, node, details);
    }

    /// The persisted nodes.conf of `node` could not be loaded at restart.
    pub(crate) fn on_load_failure(&mut self, at_ms: i64, node: usize, detail: String) {
        self.record(Violation {
            invariant: "persisted_config_loads",
            at_ms,
            node: Some(node),
            detail,
        });
    }

    /// A frame sent by an honest node was rejected by the receiving codec.
    pub(crate) fn on_bad_frame(&mut self, at_ms: i64, node: usize, detail: String) {
        let detail = self.frames.describe(detail);
        self.record(Violation {
            invariant: "wire_frames_valid",
            at_ms,
            node: Some(node),
            detail,
        });
    }
}

/// What the convergence checks share: the live nodes and each node's slot map
/// as indexes into `views`.
#[derive(Debug)]
pub(crate) struct Snapshot<'a> {
    pub(crate) views: &'a [NodeView<'a>],
    /// Per view: owner of every slot as an index into `views`, or
    /// [`UNASSIGNED`] / [`UNKNOWN_OWNER`].
    pub(crate) owners: Vec<Vec<u8>>,
}

/// Slot map code: nobody owns the slot.
pub(crate) const UNASSIGNED: u8 = u8::MAX;
/// Slot map code: owned by a node that is not among the views (dead or foreign).
pub(crate) const UNKNOWN_OWNER: u8 = u8::MAX - 1;

impl<'a> Snapshot<'a> {
    pub(crate) fn new(views: &'a [NodeView<'a>]) -> Snapshot<'a> {
        let ids: Vec<NodeId> = views.iter().map(|v| v.state.my_id()).collect();
        let owners = views.iter().map(|v| owner_codes(v.state, &ids)).collect();
        Snapshot { views, owners }
    }

    /// Display name of an owner code.
    pub(crate) fn owner_name(&self, code: u8) -> String {
        match code {
            UNASSIGNED => "nobody".to_owned(),
            UNKNOWN_OWNER => "a node outside the cluster".to_owned(),
            i => match self.views.get(usize::from(i)) {
                Some(v) => format!("node {} ({})", v.index, short(&v.state.my_id())),
                None => format!("#{i}"),
            },
        }
    }
}

/// The first 8 characters of a node id, for messages.
pub(crate) fn short(id: &NodeId) -> String {
    id.to_string().chars().take(8).collect()
}

type Check = fn(&Snapshot<'_>) -> Vec<String>;

/// The convergence checks in report order.
const CONVERGENCE_CHECKS: [(&str, Check); 4] = [
    ("cluster_recovers", cluster_recovers::check),
    ("slot_agreement", slot_agreement::check),
    ("highest_epoch_owner", highest_epoch_owner::check),
    ("unique_config_epochs", unique_config_epochs::check),
];

/// The convergence invariants, in a fixed order: everything that must hold once
/// faults are healed and the cluster had time to settle. Empty when converged.
pub fn convergence_violations(at_ms: i64, nodes: &[NodeView<'_>]) -> Vec<Violation> {
    let snapshot = Snapshot::new(nodes);
    let mut out = Vec::new();
    for (invariant, check) in CONVERGENCE_CHECKS {
        for detail in check(&snapshot) {
            out.push(Violation {
                invariant,
                at_ms,
                node: None,
                detail,
            });
        }
    }
    out
}

/// True when every convergence invariant holds; stops at the first failing
/// check, so it is cheap enough to poll while waiting for quiescence.
pub fn converged(nodes: &[NodeView<'_>]) -> bool {
    // The cheap, most often failing check first, before building slot maps.
    if !cluster_recovers::quick_check(nodes) {
        return false;
    }
    let snapshot = Snapshot::new(nodes);
    CONVERGENCE_CHECKS
        .iter()
        .all(|(_, check)| check(&snapshot).is_empty())
}

/// The owner of every slot in `state`'s view as an index into `ids`.
fn owner_codes(state: &ClusterState, ids: &[NodeId]) -> Vec<u8> {
    let mut out = vec![UNASSIGNED; SLOT_COUNT];
    // CLUSTER SLOTS ranges: one pass over the slot table, one id search per run.
    for range in state.slots_view(false) {
        let code = ids
            .iter()
            .position(|x| *x == range.primary.id)
            .and_then(|p| u8::try_from(p).ok())
            .filter(|&p| p < UNKNOWN_OWNER)
            .unwrap_or(UNKNOWN_OWNER);
        let (start, end) = (usize::from(range.start), usize::from(range.end));
        if let Some(run) = out.get_mut(start..=end) {
            run.fill(code);
        }
    }
    out
}
