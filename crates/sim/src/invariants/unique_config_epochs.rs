//! Invariant (checked at quiescence): the configEpochs of primaries that serve
//! slots are unique, and every node knows each of them (reference
//! `redis-cluster-7.0.md` §6.8 "Collision: on PING/PONG/MEET from a master with
//! the same configEpoch as mine … if my node id is lexicographically smaller →
//! currentEpoch += 1, configEpoch = currentEpoch", so "eventually all primaries
//! differ"; configEpochs spread through every header).
//!
//! Owns: the uniqueness check and the "everyone learned the final epochs" check.
//! Must never: require uniqueness among slot-less primaries or replicas — the
//! collision rule covers them too, but only slot owners matter for ownership.

use std::collections::BTreeMap;

use super::{short, Snapshot};

pub(super) fn check(snapshot: &Snapshot<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut by_epoch: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for v in snapshot.views {
        if v.state.is_primary() && v.state.my_slot_count() > 0 {
            by_epoch
                .entry(v.state.my_config_epoch())
                .or_default()
                .push(v.index);
        }
    }
    for (epoch, owners) in &by_epoch {
        if owners.len() > 1 {
            out.push(format!(
                "primaries {owners:?} serve slots with the same configEpoch {epoch}"
            ));
        }
    }
    // Every node must have learned each slot owner's final configEpoch.
    for owner in snapshot.views {
        if !(owner.state.is_primary() && owner.state.my_slot_count() > 0) {
            continue;
        }
        let id = owner.state.my_id();
        let epoch = owner.state.my_config_epoch();
        for v in snapshot.views.iter().filter(|v| v.index != owner.index) {
            let known = v.state.node_config_epoch(&id);
            if known != Some(epoch) {
                out.push(format!(
                    "node {} knows configEpoch {known:?} for node {} ({}), which has {epoch}",
                    v.index,
                    owner.index,
                    short(&id)
                ));
            }
        }
    }
    out
}
