//! Invariant: a primary votes at most once per epoch (reference
//! `redis-cluster-7.0.md` §6.7 "Master voting": "I have not voted in this epoch
//! (lastVoteEpoch ≠ currentEpoch) … Then lastVoteEpoch = currentEpoch,
//! save+fsync, send FAILOVER_AUTH_ACK").
//!
//! Owns: three observations per node. (1) `last_vote_epoch` never decreases,
//! across restarts too (it is fsynced before the ACK leaves). (2) At most one
//! FAILOVER_AUTH_ACK per (voter, epoch) over the whole run — the epoch of an ACK
//! is its header's currentEpoch, which the voter just stored as lastVoteEpoch.
//! (3) The step that emits an ACK also emits an fsynced nodes.conf recording the
//! vote, so a crash right after cannot make the node vote again in that epoch.
//! Must never: decode frames other than ACKs (the checker filters by type).

use std::collections::BTreeMap;

use shoal_cluster::state::ClusterState;

#[derive(Debug)]
pub(super) struct SingleVotePerEpoch {
    last_vote: Vec<u64>,
    /// Greatest `lastVoteEpoch` written with fsync, per node.
    persisted_vote: Vec<u64>,
    /// ACKs seen per (voter, epoch).
    acks: BTreeMap<(usize, u64), u32>,
    /// Highest ACK epoch emitted by the current step.
    step_ack: Option<u64>,
    /// Highest lastVoteEpoch persisted with fsync by the current step.
    step_fsynced_vote: Option<u64>,
}

impl SingleVotePerEpoch {
    pub(super) fn new(nodes: usize) -> Self {
        SingleVotePerEpoch {
            last_vote: vec![0; nodes],
            persisted_vote: vec![0; nodes],
            acks: BTreeMap::new(),
            step_ack: None,
            step_fsynced_vote: None,
        }
    }

    pub(super) fn begin_step(&mut self, _node: usize) {
        self.step_ack = None;
        self.step_fsynced_vote = None;
    }

    pub(super) fn on_ack(&mut self, node: usize, epoch: u64) -> Vec<String> {
        let mut out = Vec::new();
        let count = self.acks.entry((node, epoch)).or_insert(0);
        *count += 1;
        if *count > 1 {
            out.push(format!("voted {} times in epoch {epoch}", *count));
        }
        self.step_ack = self.step_ack.max(Some(epoch));
        out
    }

    /// `last_vote_epoch` is the `vars lastVoteEpoch` of the file just written.
    pub(super) fn on_persist(&mut self, node: usize, last_vote_epoch: u64, fsync: bool) {
        if fsync {
            self.step_fsynced_vote = self.step_fsynced_vote.max(Some(last_vote_epoch));
            if let Some(p) = self.persisted_vote.get_mut(node) {
                *p = (*p).max(last_vote_epoch);
            }
        }
    }

    pub(super) fn end_step(&mut self, node: usize, state: &ClusterState) -> Vec<String> {
        let mut out = Vec::new();
        let now = state.last_vote_epoch();
        if let Some(last) = self.last_vote.get_mut(node) {
            if now < *last {
                out.push(format!("last_vote_epoch went down from {} to {now}", *last));
            }
            *last = now;
        }
        if let Some(epoch) = self.step_ack.take() {
            match self.step_fsynced_vote {
                Some(persisted) if persisted >= epoch => {}
                other => out.push(format!(
                    "FAILOVER_AUTH_ACK for epoch {epoch} sent without an fsynced nodes.conf \
                     recording the vote (persisted lastVoteEpoch: {other:?})"
                )),
            }
        }
        self.step_fsynced_vote = None;
        out
    }

    pub(super) fn on_restart(&mut self, node: usize, state: &ClusterState) -> Vec<String> {
        let mut out = Vec::new();
        let loaded = state.last_vote_epoch();
        let floor = self.persisted_vote.get(node).copied().unwrap_or(0);
        if loaded < floor {
            out.push(format!(
                "restarted with last_vote_epoch {loaded}, below the fsynced {floor}"
            ));
        }
        if let Some(last) = self.last_vote.get_mut(node) {
            *last = loaded;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_cluster::state::ClusterConfig;

    fn node(last_vote_epoch: u64) -> ClusterState {
        let text = format!(
            "{} 10.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-10\n\
             vars currentEpoch {last_vote_epoch} lastVoteEpoch {last_vote_epoch}\n",
            "b".repeat(40)
        );
        ClusterState::load(ClusterConfig::default(), &text, 1_000, 1).expect("valid conf")
    }

    #[test]
    fn one_ack_per_epoch_with_fsync_is_fine() {
        let mut inv = SingleVotePerEpoch::new(1);
        inv.begin_step(0);
        assert!(inv.on_ack(0, 5).is_empty());
        inv.on_persist(0, 5, true);
        assert!(inv.end_step(0, &node(5)).is_empty());
        inv.begin_step(0);
        assert!(inv.on_ack(0, 6).is_empty());
        inv.on_persist(0, 6, true);
        assert!(inv.end_step(0, &node(6)).is_empty());
    }

    #[test]
    fn second_ack_in_an_epoch_is_reported() {
        let mut inv = SingleVotePerEpoch::new(1);
        inv.begin_step(0);
        assert!(inv.on_ack(0, 5).is_empty());
        inv.on_persist(0, 5, true);
        assert!(inv.end_step(0, &node(5)).is_empty());
        inv.begin_step(0);
        let details = inv.on_ack(0, 5);
        assert_eq!(details.len(), 1);
        assert!(details[0].contains("2 times in epoch 5"));
    }

    #[test]
    fn ack_without_fsynced_vote_is_reported() {
        let mut inv = SingleVotePerEpoch::new(1);
        inv.begin_step(0);
        assert!(inv.on_ack(0, 3).is_empty());
        // Written, but without fsync.
        inv.on_persist(0, 3, false);
        assert_eq!(inv.end_step(0, &node(3)).len(), 1);
        inv.begin_step(0);
        assert!(inv.on_ack(0, 4).is_empty());
        // Fsynced, but recording an older vote.
        inv.on_persist(0, 3, true);
        assert_eq!(inv.end_step(0, &node(4)).len(), 1);
    }

    #[test]
    fn vote_epoch_going_down_is_reported_also_after_restart() {
        let mut inv = SingleVotePerEpoch::new(1);
        inv.begin_step(0);
        assert!(inv.end_step(0, &node(4)).is_empty());
        inv.begin_step(0);
        assert_eq!(inv.end_step(0, &node(2)).len(), 1);
        inv.on_persist(0, 4, true);
        assert_eq!(inv.on_restart(0, &node(3)).len(), 1);
        assert!(inv.on_restart(0, &node(4)).is_empty());
    }
}
