//! currentEpoch / configEpoch rules (reference §6.8; Redis
//! `clusterBumpConfigEpochWithoutConsensus`, `clusterHandleConfigEpochCollision`).
//!
//! Owns: the two ways a node assigns itself a configEpoch without an election.
//! Must never: decrease `current_epoch`.

use super::node_table::NodeKey;
use super::{ClusterState, LogLevel};

impl ClusterState {
    /// Bumps my configEpoch to a fresh `current_epoch + 1` if it is 0 or not the
    /// greatest known. Returns whether it changed.
    pub(super) fn bump_epoch_without_consensus(&mut self) -> bool {
        let max = self.max_epoch();
        let mine = self.myself_node().config_epoch;
        if mine == 0 || mine != max {
            self.current_epoch += 1;
            let epoch = self.current_epoch;
            self.myself_node_mut().config_epoch = epoch;
            self.todo_save_fsync();
            self.log(LogLevel::Warning, format!("New configEpoch set to {epoch}"));
            true
        } else {
            false
        }
    }

    /// Two primaries with the same configEpoch: the one with the smaller node id
    /// moves to a new epoch, so eventually all primaries differ. Redis saves and
    /// fsyncs synchronously here.
    pub(super) fn handle_config_epoch_collision(&mut self, sender: NodeKey) {
        let Some(s) = self.nodes.get(sender) else {
            return;
        };
        let me = self.myself_node();
        if s.config_epoch != me.config_epoch || !s.is_primary() || !me.is_primary() {
            return;
        }
        // Only the node with the lexicographically smaller id acts.
        if s.id.as_bytes() <= me.id.as_bytes() {
            return;
        }
        let sender_id = s.id;
        self.current_epoch += 1;
        let epoch = self.current_epoch;
        self.myself_node_mut().config_epoch = epoch;
        self.todo_save_fsync();
        self.log(
            LogLevel::Verbose,
            format!(
                "WARNING: configEpoch collision with node {sender_id}. configEpoch set to {epoch}"
            ),
        );
    }
}
