//! Invariant (liveness, checked at quiescence): once every fault is healed and
//! every node is back, the cluster recovers — every node knows every other node
//! (no handshake leftovers), nobody is flagged PFAIL/FAIL any more, and every
//! node reports `cluster_state:ok` when all slots are assigned (reference
//! `redis-cluster-7.0.md` §6.5 "Clearing FAIL … PFAIL is cleared by any PONG",
//! §6.6 "Cluster state", §5.7 handshake).
//!
//! Owns: the "is the cluster whole again" part of convergence. Must never: wait
//! or advance time itself — the caller decides how long quiescence may take.

use shoal_cluster::bus::NodeFlags;

use super::{short, NodeView, Snapshot, UNASSIGNED};

/// Flags that must be gone from every node's view after recovery.
const UNHEALTHY: NodeFlags = NodeFlags(
    NodeFlags::PFAIL.0 | NodeFlags::FAIL.0 | NodeFlags::HANDSHAKE.0 | NodeFlags::NOADDR.0,
);

/// Everything that is not recovered yet, one line per problem.
pub(super) fn check(snapshot: &Snapshot<'_>) -> Vec<String> {
    let views = snapshot.views;
    let mut out = Vec::new();
    for (pos, v) in views.iter().enumerate() {
        if v.state.known_nodes() != views.len() {
            out.push(format!(
                "node {} knows {} nodes, expected {}",
                v.index,
                v.state.known_nodes(),
                views.len()
            ));
        }
        for other in views.iter().filter(|o| o.index != v.index) {
            let id = other.state.my_id();
            match v.state.node_flags(&id) {
                None => out.push(format!(
                    "node {} does not know node {} ({})",
                    v.index,
                    other.index,
                    short(&id)
                )),
                Some(flags) if flags.intersects(UNHEALTHY) => out.push(format!(
                    "node {} sees node {} as {flags:?}",
                    v.index, other.index
                )),
                Some(_) => {}
            }
        }
        let fully_assigned = snapshot
            .owners
            .get(pos)
            .is_some_and(|owners| !owners.contains(&UNASSIGNED));
        let needs_coverage = v.state.config().require_full_coverage;
        if (fully_assigned || !needs_coverage) && !v.state.cluster_ok() {
            out.push(format!("node {} is not cluster_state:ok", v.index));
        }
    }
    out
}

/// A cheaper, partial form of [`check`] (no slot maps): false when the cluster
/// is visibly not recovered yet.
pub(super) fn quick_check(views: &[NodeView<'_>]) -> bool {
    views.iter().all(|v| {
        v.state.known_nodes() == views.len()
            && views.iter().filter(|o| o.index != v.index).all(|o| {
                v.state
                    .node_flags(&o.state.my_id())
                    .is_some_and(|f| !f.intersects(UNHEALTHY))
            })
    })
}
