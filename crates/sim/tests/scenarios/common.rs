//! Helpers shared by the scenarios: building clusters the way redis-cli does
//! (ADDSLOTS on each primary, then chained MEETs) and waiting for them.

use shoal_cluster::state::SLOT_COUNT;
use shoal_sim::{SimConfig, Simulator};

/// Node timeout used by the scenarios (ms).
pub(crate) const NODE_TIMEOUT_MS: i64 = 5_000;

/// `n` nodes with `NODE_TIMEOUT_MS`, a reliable network, the given seed.
pub(crate) fn sim(n: usize, seed: u64) -> Simulator {
    Simulator::new(SimConfig {
        node_timeout_ms: NODE_TIMEOUT_MS,
        ..SimConfig::new(n, seed)
    })
}

/// The slot range primary `i` of `primaries` gets in an even split.
pub(crate) fn even_range(i: usize, primaries: usize) -> std::ops::RangeInclusive<u16> {
    let per = SLOT_COUNT / primaries;
    let start = i * per;
    let end = if i + 1 == primaries {
        SLOT_COUNT - 1
    } else {
        start + per - 1
    };
    (start as u16)..=(end as u16)
}

/// Splits every slot over nodes `0..primaries`, then chains MEETs
/// (node i meets node i-1) over all nodes.
pub(crate) fn assign_and_chain(sim: &mut Simulator, primaries: usize) {
    for i in 0..primaries {
        sim.add_slots(i, even_range(i, primaries))
            .expect("ADDSLOTS");
    }
    for i in 1..sim.node_count() {
        sim.meet(i, i - 1).expect("MEET");
    }
}

/// Waits until every node knows every other node, reports cluster_state:ok,
/// and every convergence invariant holds (epochs have spread, slots agree).
pub(crate) fn wait_formed(sim: &mut Simulator, deadline_ms: i64) {
    let formed = sim.run_until(
        |s| s.all_know_each_other() && s.all_cluster_ok() && s.converged(),
        deadline_ms,
    );
    assert!(
        formed,
        "cluster did not form within {deadline_ms} ms: {:?}",
        sim.convergence_violations()
    );
}
