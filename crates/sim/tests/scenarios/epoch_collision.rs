//! (d) Primaries that start with the same configEpoch (0 for fresh nodes, or
//! one value set with SET-CONFIG-EPOCH) end up with unique ones (reference §6.8
//! "Collision": the node with the smaller id takes currentEpoch + 1).

use std::collections::BTreeSet;

use crate::common::{assign_and_chain, sim, wait_formed};

fn epochs_become_unique(n: usize, start_epoch: u64, seed: u64) {
    let mut sim = sim(n, seed);
    if start_epoch > 0 {
        for i in 0..n {
            sim.set_config_epoch(i, start_epoch)
                .expect("SET-CONFIG-EPOCH");
        }
    }
    let before: BTreeSet<u64> = (0..n)
        .map(|i| sim.state(i).expect("up").my_config_epoch())
        .collect();
    assert_eq!(before.len(), 1, "all start equal");
    assign_and_chain(&mut sim, n);
    wait_formed(&mut sim, 30_000);
    // wait_formed waited for convergence, which includes unique epochs among
    // slot owners; every node owns slots here, so all epochs differ.
    let epochs: Vec<u64> = (0..n)
        .map(|i| sim.state(i).expect("up").my_config_epoch())
        .collect();
    // Every epoch was freshly taken from currentEpoch, so none is below the start.
    assert!(epochs.iter().all(|&e| e >= start_epoch), "{epochs:?}");
    let max = epochs.iter().copied().max().unwrap_or(0);
    assert!(
        (0..n).all(|i| sim.state(i).expect("up").current_epoch() >= max),
        "currentEpoch covers every configEpoch"
    );
    let unique: BTreeSet<u64> = epochs.iter().copied().collect();
    assert_eq!(unique.len(), n, "config epochs are unique: {epochs:?}");
    sim.assert_no_violations();
}

#[test]
fn three_fresh_nodes_all_at_epoch_zero() {
    epochs_become_unique(3, 0, 30);
}

#[test]
fn six_fresh_nodes_all_at_epoch_zero() {
    epochs_become_unique(6, 0, 31);
}

#[test]
fn six_nodes_all_set_to_the_same_epoch() {
    epochs_become_unique(6, 7, 32);
}

#[test]
fn contested_slots_at_equal_epochs_resolve_to_one_owner() {
    // Both nodes claim every slot with configEpoch 0: nobody wins until the
    // collision rule gives one of them a greater epoch.
    let mut sim = sim(3, 33);
    sim.add_slots(0, 0..=16383).expect("ADDSLOTS");
    sim.add_slots(1, 0..=16383).expect("ADDSLOTS");
    sim.meet(1, 0).expect("MEET");
    sim.meet(2, 1).expect("MEET");
    let done = sim.run_until(|s| s.converged(), 30_000);
    assert!(done, "{:?}", sim.convergence_violations());
    let owner = sim.state(2).expect("up").slot_owner(0);
    let winner = (0..2)
        .find(|&i| Some(sim.node_id(i)) == owner)
        .expect("0 or 1 owns");
    let loser = 1 - winner;
    let (we, le) = (
        sim.state(winner).expect("up").my_config_epoch(),
        sim.state(loser).expect("up").my_config_epoch(),
    );
    assert!(we > le, "winner epoch {we} vs loser {le}");
    // The loser lost all its slots and became a replica of the winner (§6.8).
    assert_eq!(
        sim.state(loser).expect("up").my_primary(),
        Some(sim.node_id(winner))
    );
    sim.assert_no_violations();
}
