//! Invariant (every step): a node asks its shell to delete the keys of a slot
//! only when the slot really moved away from it (reference `redis-cluster-7.0.md`
//! §6.8 "Slot rules": "else delete keys of the lost slots I still hold").
//!
//! Owns: checking `Effect::DeleteKeysInSlots` against the node's state right
//! after the step that emitted it. `Effect::SlotsLost` is deliberately not
//! checked: Redis's `clusterDelSlot` drops shard-channel subscribers whenever a
//! slot is unbound from my shard, even when it is rebound to my shard in the
//! same step (SETSLOT NODE myself) or I follow the slot by becoming a replica of
//! its new owner, and Shoal does the same. Must never: judge whether the move
//! itself was right — that is what the convergence checks do.

use shoal_cluster::state::{ClusterState, Effect};

pub(super) fn check(state: &ClusterState, effect: &Effect) -> Vec<String> {
    let me = state.my_id();
    match effect {
        Effect::DeleteKeysInSlots { slots } => slots
            .iter()
            .filter(|&&slot| state.slot_owner(slot) == Some(me))
            .map(|slot| format!("asked to delete the keys of slot {slot}, which it still owns"))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_cluster::state::ClusterConfig;

    fn owner_of_0_to_10() -> ClusterState {
        let text = format!(
            "{} 10.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-10\n\
             vars currentEpoch 1 lastVoteEpoch 0\n",
            "c".repeat(40)
        );
        ClusterState::load(ClusterConfig::default(), &text, 1_000, 1).expect("valid conf")
    }

    #[test]
    fn deleting_keys_of_an_owned_slot_is_reported() {
        let state = owner_of_0_to_10();
        let details = check(&state, &Effect::DeleteKeysInSlots { slots: vec![3, 11] });
        assert_eq!(details.len(), 1, "{details:?}");
        assert!(details[0].contains("slot 3"));
        assert!(check(
            &state,
            &Effect::DeleteKeysInSlots {
                slots: vec![11, 400]
            }
        )
        .is_empty());
    }

    #[test]
    fn other_effects_are_not_judged() {
        let state = owner_of_0_to_10();
        assert!(check(&state, &Effect::SlotsLost { slots: vec![10] }).is_empty());
        assert!(check(&state, &Effect::StopReplication).is_empty());
    }
}
