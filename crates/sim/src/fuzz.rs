//! Seeded fuzzing of whole-cluster runs (VOPR style): every seed picks a random
//! topology, slot assignment and fault schedule, runs it in the [`Simulator`],
//! heals everything and checks that the cluster converges without breaking an
//! invariant (reference `redis-cluster-7.0.md` §6).
//!
//! Owns: the random scenario generator ([`plan`]), its executor ([`run_seed`])
//! and the outcome report. Must never: use any randomness but the seed's, read
//! clocks, or let a scenario depend on anything but `(seed, FuzzOptions)` — the
//! replay command printed for a failing seed must reproduce it exactly.
//!
//! A run has three phases. Formation: nodes may get config epochs (all zero,
//! all equal, or random small values — collisions on purpose), claim slot ranges
//! with ADDSLOTSRANGE before they know each other (overlapping claims on
//! purpose), are joined by chained MEETs, and some become replicas. Faults, which
//! may overlap formation: partitions, kills and restarts, network changes (delay,
//! connection resets, reordering), forged vote requests from replicas, CLUSTER
//! BUMPEPOCH, link kills, and redis-cli style slot moves (gated, like a careful
//! operator, on the target having seen the source's configEpoch — see
//! `tests/scenarios/migration_epoch_race.rs` for why). Heal: partitions removed, dead nodes restarted, a clean network,
//! and an operator that re-issues MEET for nodes that still do not know each
//! other (what `redis-cli --cluster fix` would do); the run then waits for
//! quiescence and checks the convergence invariants.

use std::collections::BTreeMap;
use std::fmt;

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use shoal_cluster::state::{SetSlotAction, SLOT_COUNT};

use crate::invariants::Violation;
use crate::sim::{NetConfig, SimConfig, SimStats, Simulator};

/// Tunables of a fuzz run that are not derived from the seed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuzzOptions {
    /// Fixed node count (default: 3–7 from the seed).
    pub nodes: Option<usize>,
    /// Capture every log line (slower; for replaying one seed).
    pub capture_logs: bool,
}

/// One scripted step of a fuzz scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `CLUSTER ADDSLOTSRANGE` on a node.
    AddSlots {
        /// The node.
        node: usize,
        /// First slot.
        start: u16,
        /// Last slot.
        end: u16,
    },
    /// `CLUSTER MEET` from one node to another's address.
    Meet {
        /// Issuing node.
        from: usize,
        /// Target node.
        to: usize,
    },
    /// `CLUSTER SET-CONFIG-EPOCH` (only valid before the node knows others).
    SetConfigEpoch {
        /// The node.
        node: usize,
        /// The epoch.
        epoch: u64,
    },
    /// `CLUSTER REPLICATE` (retried until the primary is known).
    Replicate {
        /// The future replica.
        node: usize,
        /// Its primary.
        primary: usize,
    },
    /// Cut two groups apart.
    Partition {
        /// One side.
        side_a: Vec<usize>,
        /// The other side.
        side_b: Vec<usize>,
    },
    /// Remove every partition.
    Heal,
    /// Kill a node.
    Kill {
        /// The node.
        node: usize,
    },
    /// Restart a killed node from its nodes.conf.
    Restart {
        /// The node.
        node: usize,
    },
    /// Change the network.
    SetNet(NetConfig),
    /// A replica broadcasts FAILOVER_AUTH_REQUEST (forged by the simulator).
    RequestVotes {
        /// The replica.
        replica: usize,
        /// FORCEACK flag.
        force_ack: bool,
        /// Reuse the previous request's epoch.
        reuse_epoch: bool,
    },
    /// `CLUSTER BUMPEPOCH`.
    BumpEpoch {
        /// The node.
        node: usize,
    },
    /// Moves one (empty) slot to another primary the way `redis-cli --cluster
    /// reshard` does (§3.3, §4.4): IMPORTING on the target, MIGRATING on the
    /// owner, then SETSLOT NODE on the target, the owner and every other primary.
    MigrateSlot {
        /// The slot.
        slot: u16,
        /// The new owner.
        to: usize,
    },
    /// `DEBUG CLUSTERLINK KILL all <peer>` on a node.
    KillLinks {
        /// The node.
        node: usize,
        /// The peer whose links are closed.
        peer: usize,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::AddSlots { node, start, end } => {
                write!(f, "node {node} ADDSLOTSRANGE {start} {end}")
            }
            Action::Meet { from, to } => write!(f, "node {from} MEET node {to}"),
            Action::SetConfigEpoch { node, epoch } => {
                write!(f, "node {node} SET-CONFIG-EPOCH {epoch}")
            }
            Action::Replicate { node, primary } => {
                write!(f, "node {node} REPLICATE node {primary}")
            }
            Action::Partition { side_a, side_b } => write!(f, "partition {side_a:?} | {side_b:?}"),
            Action::Heal => write!(f, "heal partitions"),
            Action::Kill { node } => write!(f, "kill node {node}"),
            Action::Restart { node } => write!(f, "restart node {node}"),
            Action::SetNet(net) => write!(
                f,
                "network delay {}..{} ms, drop {:.3}, reorder {:.3}",
                net.min_delay_ms, net.max_delay_ms, net.drop_probability, net.reorder_probability
            ),
            Action::RequestVotes {
                replica,
                force_ack,
                reuse_epoch,
            } => write!(
                f,
                "node {replica} requests votes (force_ack={force_ack}, same epoch={reuse_epoch})"
            ),
            Action::BumpEpoch { node } => write!(f, "node {node} BUMPEPOCH"),
            Action::MigrateSlot { slot, to } => write!(f, "migrate slot {slot} to node {to}"),
            Action::KillLinks { node, peer } => {
                write!(f, "node {node} kills its links to node {peer}")
            }
        }
    }
}

/// A generated scenario: the cluster setup and its timed actions.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Simulator setup.
    pub config: SimConfig,
    /// Actions by virtual time (ms since start), in execution order.
    pub actions: Vec<(i64, Action)>,
    /// When faults stop and the heal phase starts (ms since start).
    pub heal_at_ms: i64,
    /// How long the heal phase may take to converge.
    pub settle_budget_ms: i64,
}

/// What one seed did.
#[derive(Clone, Debug)]
pub struct SeedOutcome {
    /// The seed.
    pub seed: u64,
    /// Node count.
    pub nodes: usize,
    /// Node timeout used.
    pub node_timeout_ms: i64,
    /// Every violation (per-step ones first, then convergence ones).
    pub violations: Vec<Violation>,
    /// Trace hash of the run (equal for two runs of the same seed).
    pub trace_hash: u64,
    /// Virtual time at the end.
    pub virtual_ms: i64,
    /// Virtual time the heal phase needed to converge (`None`: it did not).
    pub converged_after_ms: Option<i64>,
    /// Simulator counters.
    pub stats: SimStats,
    /// Actions executed, with their time and result (for replays).
    pub log: Vec<String>,
}

impl SeedOutcome {
    /// True when no invariant was violated.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The command that replays `seed` with full detail.
pub fn replay_command(seed: u64, options: &FuzzOptions) -> String {
    let nodes = options
        .nodes
        .map(|n| format!(" --nodes {n}"))
        .unwrap_or_default();
    format!("cargo run -p shoal-sim --release --bin sim-fuzz -- --seed {seed}{nodes} --verbose")
}

/// A random network for the fault phase.
fn random_net(rng: &mut SmallRng) -> NetConfig {
    let min_delay_ms = rng.gen_range(0..=5);
    let max_delay_ms = min_delay_ms + rng.gen_range(0..=100);
    let lossy = rng.gen_bool(0.5);
    NetConfig {
        min_delay_ms,
        max_delay_ms,
        drop_probability: if lossy { rng.gen_range(0.0..0.15) } else { 0.0 },
        reorder_probability: if rng.gen_bool(0.3) {
            rng.gen_range(0.0..0.1)
        } else {
            0.0
        },
        max_chunks: rng.gen_range(1..=4),
    }
}

/// Two non-empty random sides of `0..n` (every node on one side).
fn random_split(rng: &mut SmallRng, n: usize) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let cut = rng.gen_range(1..n.max(2));
    let (a, b) = order.split_at(cut.min(n));
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    (a, b)
}

/// Generates the scenario of `seed`.
pub fn plan(seed: u64, options: &FuzzOptions) -> Plan {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x5eed_f022_0c1a_57e5);
    let n = options
        .nodes
        .unwrap_or_else(|| rng.gen_range(3..=7))
        .clamp(1, 200);
    let node_timeout_ms = *[500i64, 1000, 2000, 3000].choose(&mut rng).unwrap_or(&1000);
    let formation_net = if rng.gen_bool(0.5) {
        NetConfig::reliable()
    } else {
        random_net(&mut rng)
    };
    let config = SimConfig {
        nodes: n,
        seed: rng.gen(),
        node_timeout_ms,
        require_full_coverage: true,
        net: formation_net,
    };
    let mut actions: Vec<(i64, Action)> = Vec::new();

    // Config epochs before anyone meets: none, all equal, or small random ones.
    match rng.gen_range(0..3) {
        0 => {}
        1 => {
            let epoch = rng.gen_range(1..=5);
            for node in 0..n {
                actions.push((0, Action::SetConfigEpoch { node, epoch }));
            }
        }
        _ => {
            for node in 0..n {
                let epoch = rng.gen_range(0..=3);
                if epoch > 0 {
                    actions.push((0, Action::SetConfigEpoch { node, epoch }));
                }
            }
        }
    }

    // Roles: up to a third of the nodes become replicas (never all of them).
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let replica_count = if n >= 4 && rng.gen_bool(0.5) {
        rng.gen_range(1..=n / 3)
    } else {
        0
    };
    let (replicas, primaries) = order.split_at(replica_count);
    let (replicas, mut primaries) = (replicas.to_vec(), primaries.to_vec());
    primaries.sort_unstable();

    // Slots: random ranges covering everything, each claimed by a primary; some
    // ranges are also (partly) claimed by another primary.
    let range_count = rng.gen_range(primaries.len()..=3 * primaries.len()).max(1);
    let mut cuts: Vec<u16> = (1..range_count)
        .map(|_| rng.gen_range(1..SLOT_COUNT as u16))
        .collect();
    cuts.push(0);
    cuts.push(SLOT_COUNT as u16);
    cuts.sort_unstable();
    cuts.dedup();
    for pair in cuts.windows(2) {
        let (start, end) = (pair[0], pair[1] - 1);
        let owner = *primaries.choose(&mut rng).unwrap_or(&0);
        let at = if rng.gen_bool(0.85) {
            0
        } else {
            rng.gen_range(0..2_000)
        };
        actions.push((
            at,
            Action::AddSlots {
                node: owner,
                start,
                end,
            },
        ));
        if primaries.len() > 1 && rng.gen_bool(0.25) {
            let other = *primaries.choose(&mut rng).unwrap_or(&0);
            let a = rng.gen_range(start..=end);
            let b = rng.gen_range(a..=end);
            actions.push((
                0,
                Action::AddSlots {
                    node: other,
                    start: a,
                    end: b,
                },
            ));
        }
    }

    // Chained MEETs (a random spanning tree) plus a few extra edges.
    for i in 1..n {
        let j = rng.gen_range(0..i);
        let (from, to) = if rng.gen_bool(0.5) { (i, j) } else { (j, i) };
        actions.push((rng.gen_range(1..1_500), Action::Meet { from, to }));
    }
    for _ in 0..rng.gen_range(0..=n) {
        let (from, to) = (rng.gen_range(0..n), rng.gen_range(0..n));
        if from != to {
            actions.push((rng.gen_range(1..3_000), Action::Meet { from, to }));
        }
    }
    for &node in &replicas {
        let primary = *primaries.choose(&mut rng).unwrap_or(&0);
        actions.push((
            rng.gen_range(1_500..4_000),
            Action::Replicate { node, primary },
        ));
    }

    // Faults.
    let fault_end = rng.gen_range(3..=8) * node_timeout_ms + 4_000;
    for _ in 0..rng.gen_range(0..=8) {
        let at = rng.gen_range(0..fault_end);
        let until = (at + rng.gen_range(node_timeout_ms / 2..=4 * node_timeout_ms)).min(fault_end);
        match rng.gen_range(0..10) {
            0 | 1 => {
                let (side_a, side_b) = random_split(&mut rng, n);
                actions.push((at, Action::Partition { side_a, side_b }));
                actions.push((until, Action::Heal));
            }
            2 | 3 => {
                let node = rng.gen_range(0..n);
                actions.push((at, Action::Kill { node }));
                actions.push((until, Action::Restart { node }));
            }
            4 | 5 => actions.push((at, Action::SetNet(random_net(&mut rng)))),
            6 | 7 => {
                if let Some(&replica) = replicas.choose(&mut rng) {
                    for k in 0..rng.gen_range(1..=3) {
                        actions.push((
                            at + k * rng.gen_range(0..200),
                            Action::RequestVotes {
                                replica,
                                force_ack: rng.gen_bool(0.5),
                                reuse_epoch: k > 0 && rng.gen_bool(0.5),
                            },
                        ));
                    }
                } else {
                    let node = rng.gen_range(0..n);
                    actions.push((at, Action::BumpEpoch { node }));
                }
            }
            8 => {
                if rng.gen_bool(0.5) {
                    let node = rng.gen_range(0..n);
                    actions.push((at, Action::BumpEpoch { node }));
                } else {
                    let to = *primaries.choose(&mut rng).unwrap_or(&0);
                    for _ in 0..rng.gen_range(1..=3) {
                        let slot = rng.gen_range(0..SLOT_COUNT as u16);
                        actions.push((at, Action::MigrateSlot { slot, to }));
                    }
                }
            }
            _ => {
                let node = rng.gen_range(0..n);
                let peer = rng.gen_range(0..n);
                if node != peer {
                    actions.push((at, Action::KillLinks { node, peer }));
                }
            }
        }
    }
    // Stable sort: same-time actions keep their generation order.
    actions.sort_by_key(|(at, _)| *at);
    let settle_budget_ms = 20 * node_timeout_ms.max(1_000) + 20_000;
    Plan {
        config,
        actions,
        heal_at_ms: fault_end,
        settle_budget_ms,
    }
}

/// How often the heal phase polls for convergence.
const SETTLE_POLL_MS: i64 = 500;

/// Runs one seed end to end. See the module docs for the phases.
pub fn run_seed(seed: u64, options: &FuzzOptions) -> SeedOutcome {
    let plan = plan(seed, options);
    let (sim, outcome) = execute(seed, &plan, options);
    drop(sim);
    outcome
}

/// Runs a plan; returns the simulator (for inspection) and the outcome.
pub fn execute(seed: u64, plan: &Plan, options: &FuzzOptions) -> (Simulator, SeedOutcome) {
    let mut sim = Simulator::new(plan.config.clone());
    sim.capture_logs(options.capture_logs);
    let mut log = Vec::new();
    // Pending actions by (time, insertion order); retries are re-inserted.
    let mut queue: BTreeMap<(i64, u64), Action> = BTreeMap::new();
    let mut next_seq = 0u64;
    for (at, action) in &plan.actions {
        queue.insert((*at, next_seq), action.clone());
        next_seq += 1;
    }
    let formation_end_ms = plan.heal_at_ms.min(10_000);
    while let Some(((at, _), action)) = queue.pop_first() {
        if at >= plan.heal_at_ms {
            break;
        }
        sim.run_for(at - sim.now_ms());
        let result = apply(&mut sim, &action);
        log.push(format!(
            "t={at}ms {action}: {}",
            result.clone().err().unwrap_or_else(|| "ok".into())
        ));
        // A REPLICATE before the primary is known is retried, as an operator would.
        if let (Action::Replicate { .. }, Err(_)) = (&action, &result) {
            if at + 500 < formation_end_ms {
                queue.insert((at + 500, next_seq), action);
                next_seq += 1;
            }
        }
    }

    // Heal.
    sim.run_for(plan.heal_at_ms - sim.now_ms());
    sim.heal();
    for node in 0..sim.node_count() {
        if !sim.is_alive(node) {
            let _ = sim.restart(node);
        }
    }
    sim.set_net(NetConfig::reliable());
    log.push(format!(
        "t={}ms heal: partitions removed, all nodes up",
        sim.now_ms()
    ));
    let heal_start = sim.now_ms();
    let deadline = heal_start + plan.settle_budget_ms;
    let handshake_ms = plan.config.node_timeout_ms.max(1_000);
    let mut last_repair = heal_start;
    let mut converged_after_ms = None;
    loop {
        if sim.converged() {
            converged_after_ms = Some(sim.now_ms() - heal_start);
            break;
        }
        if sim.now_ms() >= deadline {
            break;
        }
        // Operator repair: a node that still misses a peer after a handshake
        // timeout (and more) gets a fresh MEET to it.
        if sim.now_ms() - last_repair >= 2 * handshake_ms + 1_000 {
            last_repair = sim.now_ms();
            for (from, to) in missing_pairs(&sim) {
                let _ = sim.meet(from, to);
                log.push(format!(
                    "t={}ms repair: node {from} MEET node {to}",
                    sim.now_ms()
                ));
            }
        }
        sim.run_for(SETTLE_POLL_MS);
    }
    let mut violations: Vec<Violation> = sim.violations().to_vec();
    if converged_after_ms.is_none() {
        violations.extend(sim.convergence_violations());
        violations.push(Violation {
            invariant: "convergence",
            at_ms: sim.now_ms(),
            node: None,
            detail: format!(
                "the cluster did not converge within {} ms after healing",
                plan.settle_budget_ms
            ),
        });
    }
    let outcome = SeedOutcome {
        seed,
        nodes: plan.config.nodes,
        node_timeout_ms: plan.config.node_timeout_ms,
        violations,
        trace_hash: sim.trace_hash(),
        virtual_ms: sim.now_ms(),
        converged_after_ms,
        stats: sim.stats(),
        log,
    };
    (sim, outcome)
}

/// `(from, to)` pairs of live nodes where `from` does not know `to` at all.
fn missing_pairs(sim: &Simulator) -> Vec<(usize, usize)> {
    let n = sim.node_count();
    let mut out = Vec::new();
    for from in 0..n {
        for to in 0..n {
            if from != to && sim.is_alive(from) && sim.flags_seen_by(from, to).is_none() {
                out.push((from, to));
            }
        }
    }
    out
}

fn apply(sim: &mut Simulator, action: &Action) -> Result<(), String> {
    match action {
        Action::AddSlots { node, start, end } => {
            // Redis 7.0 accepts ADDSLOTS on a replica, but the claim then never
            // spreads (a replica's heartbeats carry its primary's slots), so the
            // cluster can never agree; an operator tool assigns slots to primaries
            // only, and so does the fuzzer.
            if sim.state(*node).is_some_and(|s| !s.is_primary()) {
                return Err("skipped: the node is a replica".to_owned());
            }
            sim.add_slots(*node, *start..=*end)
        }
        Action::Meet { from, to } => sim.meet(*from, *to),
        Action::SetConfigEpoch { node, epoch } => sim.set_config_epoch(*node, *epoch),
        Action::Replicate { node, primary } => sim.replicate(*node, *primary),
        Action::Partition { side_a, side_b } => {
            sim.partition(side_a, side_b);
            Ok(())
        }
        Action::Heal => {
            sim.heal();
            Ok(())
        }
        Action::Kill { node } => {
            sim.kill(*node);
            Ok(())
        }
        Action::Restart { node } => sim.restart(*node),
        Action::SetNet(net) => {
            sim.set_net(net.clone());
            Ok(())
        }
        Action::RequestVotes {
            replica,
            force_ack,
            reuse_epoch,
        } => sim
            .request_votes(*replica, *force_ack, *reuse_epoch)
            .map(|_| ()),
        Action::BumpEpoch { node } => sim
            .bump_epoch(*node)
            .map(|_| ())
            .ok_or_else(|| "node is down".to_owned()),
        Action::MigrateSlot { slot, to } => migrate_slot(sim, *slot, *to),
        Action::KillLinks { node, peer } => {
            let id = sim.node_id(*peer).to_string();
            sim.admin(*node, |s, now| s.debug_kill_links(now, &id, true, true))
                .unwrap_or_else(|| Err("node is down".to_owned()))
        }
    }
}

/// The slot move of `redis-cli` (`clusterManagerMoveSlot` with no keys): all
/// steps at one instant, rolled back if the first two fail (e.g. the nodes do not
/// know each other yet).
fn migrate_slot(sim: &mut Simulator, slot: u16, to: usize) -> Result<(), String> {
    let target = sim.state(to).ok_or("target is down")?;
    if !target.is_primary() {
        return Err("target is a replica".to_owned());
    }
    let owner_id = target
        .slot_owner(slot)
        .ok_or("slot unassigned in the target's view")?;
    let from = sim.index_of(&owner_id).ok_or("owner unknown")?;
    if from == to {
        return Err("target already owns the slot".to_owned());
    }
    let Some(source) = sim.state(from) else {
        return Err("owner is down".to_owned());
    };
    // A careful operator waits until the target has seen the source's
    // configEpoch: the target's bump-without-consensus takes its own
    // currentEpoch + 1, and a claim below the source's epoch can lose the slot
    // to an UPDATE from a node that has not seen the move yet (the Redis 7.0
    // race in tests/scenarios/migration_epoch_race.rs).
    let target_current = sim.state(to).map_or(0, |s| s.current_epoch());
    if target_current < source.my_config_epoch() {
        return Err("skipped: the target has not seen the source's epoch yet".to_owned());
    }
    let to_id = sim.node_id(to).to_string();
    let from_id = owner_id.to_string();
    let set = |sim: &mut Simulator, node: usize, action: SetSlotAction| {
        sim.admin(node, |s, now| s.set_slot(now, slot, action, 0))
            .unwrap_or_else(|| Err("node is down".to_owned()))
    };
    set(sim, to, SetSlotAction::Importing(from_id))?;
    if let Err(err) = set(sim, from, SetSlotAction::Migrating(to_id.clone())) {
        let _ = set(sim, to, SetSlotAction::Stable);
        return Err(err);
    }
    set(sim, to, SetSlotAction::Node(to_id.clone()))?;
    set(sim, from, SetSlotAction::Node(to_id.clone()))?;
    for other in 0..sim.node_count() {
        let primary = sim.state(other).is_some_and(|s| s.is_primary());
        if other != to && other != from && primary {
            // Like redis-cli, errors on the other primaries are ignored.
            let _ = set(sim, other, SetSlotAction::Node(to_id.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_a_function_of_the_seed() {
        let options = FuzzOptions::default();
        assert_eq!(plan(7, &options), plan(7, &options));
        assert_ne!(plan(7, &options), plan(8, &options));
    }

    #[test]
    fn plans_cover_every_slot_and_respect_the_node_count() {
        for seed in 0..40 {
            let p = plan(seed, &FuzzOptions::default());
            assert!((3..=7).contains(&p.config.nodes), "seed {seed}");
            let mut covered = vec![false; SLOT_COUNT];
            for (_, action) in &p.actions {
                if let Action::AddSlots { node, start, end } = action {
                    assert!(*node < p.config.nodes);
                    for s in *start..=*end {
                        covered[usize::from(s)] = true;
                    }
                }
            }
            assert!(
                covered.iter().all(|&c| c),
                "seed {seed} leaves slots uncovered"
            );
            assert!(p.actions.windows(2).all(|w| w[0].0 <= w[1].0));
        }
        let fixed = plan(
            3,
            &FuzzOptions {
                nodes: Some(5),
                ..FuzzOptions::default()
            },
        );
        assert_eq!(fixed.config.nodes, 5);
    }

    #[test]
    fn random_split_has_two_nonempty_sides() {
        let mut rng = SmallRng::seed_from_u64(1);
        for n in 2..8 {
            let (a, b) = random_split(&mut rng, n);
            assert!(!a.is_empty() && !b.is_empty());
            assert_eq!(a.len() + b.len(), n);
        }
    }

    #[test]
    fn replay_command_names_the_seed() {
        let cmd = replay_command(
            42,
            &FuzzOptions {
                nodes: Some(4),
                capture_logs: false,
            },
        );
        assert!(cmd.ends_with("--seed 42 --nodes 4 --verbose"), "{cmd}");
    }
}
