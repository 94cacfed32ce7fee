//! Invariant: a node's `current_epoch` never decreases (reference
//! `redis-cluster-7.0.md` §6.8 "currentEpoch: max seen in any header from a known
//! sender; persisted", and §6.11 for what survives a restart).
//!
//! Owns: per-node memory of the last observed and last persisted current epoch.
//! Within one process life the value may only grow. A restart reloads nodes.conf,
//! which Redis does not rewrite for every currentEpoch bump (only configEpoch and
//! vote changes are fsynced), so after a restart the floor is the last *persisted*
//! value, and the persisted values themselves must never go down either.
//! Must never: treat `CLUSTER RESET HARD` (which legitimately zeroes epochs) as
//! normal operation — the simulator never issues it.

use shoal_cluster::state::ClusterState;

#[derive(Debug)]
pub(super) struct CurrentEpochMonotonic {
    /// Last value seen after a step, per node.
    last_seen: Vec<u64>,
    /// Greatest `vars currentEpoch` written to nodes.conf, per node.
    persisted: Vec<u64>,
}

impl CurrentEpochMonotonic {
    pub(super) fn new(nodes: usize) -> Self {
        CurrentEpochMonotonic {
            last_seen: vec![0; nodes],
            persisted: vec![0; nodes],
        }
    }

    pub(super) fn after_step(&mut self, node: usize, state: &ClusterState) -> Vec<String> {
        let mut out = Vec::new();
        let now = state.current_epoch();
        if let Some(last) = self.last_seen.get_mut(node) {
            if now < *last {
                out.push(format!("current_epoch went down from {} to {now}", *last));
            }
            *last = now;
        }
        out
    }

    /// `current_epoch` is the `vars currentEpoch` of the file just written.
    pub(super) fn on_persist(&mut self, node: usize, current_epoch: u64) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(persisted) = self.persisted.get_mut(node) {
            if current_epoch < *persisted {
                out.push(format!(
                    "persisted currentEpoch went down from {} to {current_epoch}",
                    *persisted
                ));
            }
            *persisted = (*persisted).max(current_epoch);
        }
        out
    }

    pub(super) fn on_restart(&mut self, node: usize, state: &ClusterState) -> Vec<String> {
        let mut out = Vec::new();
        let loaded = state.current_epoch();
        let floor = self.persisted.get(node).copied().unwrap_or(0);
        if loaded < floor {
            out.push(format!(
                "restarted with current_epoch {loaded}, below the persisted {floor}"
            ));
        }
        if let Some(last) = self.last_seen.get_mut(node) {
            *last = loaded;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_cluster::state::ClusterConfig;

    fn node_with_epoch(epoch: u64) -> ClusterState {
        let text = format!(
            "{} 10.0.0.1:7000@17000 myself,master - 0 0 {epoch} connected\n\
             vars currentEpoch {epoch} lastVoteEpoch 0\n",
            "a".repeat(40)
        );
        ClusterState::load(ClusterConfig::default(), &text, 1_000, 1).expect("valid conf")
    }

    #[test]
    fn growth_is_fine_and_decrease_is_reported() {
        let mut inv = CurrentEpochMonotonic::new(1);
        assert!(inv.after_step(0, &node_with_epoch(3)).is_empty());
        assert!(inv.after_step(0, &node_with_epoch(5)).is_empty());
        let details = inv.after_step(0, &node_with_epoch(4));
        assert_eq!(details.len(), 1, "{details:?}");
        assert!(details[0].contains("from 5 to 4"));
    }

    #[test]
    fn restart_floor_is_the_persisted_value() {
        let mut inv = CurrentEpochMonotonic::new(1);
        assert!(inv.after_step(0, &node_with_epoch(9)).is_empty());
        assert!(inv.on_persist(0, 6).is_empty());
        // Reloading 7 after having seen 9 in memory is allowed (not persisted)...
        assert!(inv.on_restart(0, &node_with_epoch(7)).is_empty());
        // ...and the in-memory floor restarts from the loaded value.
        assert!(inv.after_step(0, &node_with_epoch(7)).is_empty());
        // Below the persisted value is not.
        assert_eq!(inv.on_restart(0, &node_with_epoch(5)).len(), 1);
    }

    #[test]
    fn persisted_value_must_not_shrink() {
        let mut inv = CurrentEpochMonotonic::new(2);
        assert!(inv.on_persist(1, 4).is_empty());
        assert_eq!(inv.on_persist(1, 3).len(), 1);
        // Another node is independent; unknown node indexes are ignored.
        assert!(inv.on_persist(0, 1).is_empty());
        assert!(inv.on_persist(7, 0).is_empty());
    }
}
