//! (c) Slot ownership changes made on both sides of a partition converge once it
//! heals, and a contested range goes to the claimant with the higher configEpoch
//! (reference §6.8 slot rules, UPDATE messages).

use shoal_cluster::bus::NodeId;

use crate::common::{sim, wait_formed, NODE_TIMEOUT_MS};

#[test]
fn slot_map_converges_after_a_partition_heals() {
    let mut sim = sim(5, 20);
    // 0..=11999 assigned up front; the rest is claimed during the partition.
    let initial = [(0, 0..=3999), (1, 4000..=7999), (2, 8000..=11999)];
    for (node, range) in initial.clone() {
        sim.add_slots(node, range).expect("ADDSLOTS");
    }
    for i in 1..5 {
        sim.meet(i, i - 1).expect("MEET");
    }
    let known = sim.run_until(|s| s.all_know_each_other(), 30_000);
    assert!(known);

    sim.partition(&[0, 1], &[2, 3, 4]);
    // Majority side: node 4 makes its configEpoch the greatest, then claims.
    let (_, epoch4) = sim.bump_epoch(4).expect("node 4 is up");
    sim.add_slots(3, 12000..=13999)
        .expect("ADDSLOTS on the majority side");
    sim.add_slots(4, 14000..=15999)
        .expect("ADDSLOTS on the majority side");
    // Minority side: node 1 claims part of the same range, and the rest.
    sim.add_slots(1, 15000..=16383)
        .expect("ADDSLOTS on the minority side");
    sim.run_for(3 * NODE_TIMEOUT_MS);
    assert!(!sim.slot_maps_agree(), "the sides cannot agree while cut");

    sim.heal();
    let converged = sim.run_until(|s| s.converged(), 10 * NODE_TIMEOUT_MS);
    assert!(converged, "{:?}", sim.convergence_violations());
    assert!(sim.all_cluster_ok());
    let map = sim.slot_map(0).expect("up");
    let owner = |slot: usize| map[slot];
    let id = |i: usize| -> Option<NodeId> { Some(sim.node_id(i)) };
    for (node, range) in initial {
        for slot in range {
            assert_eq!(owner(usize::from(slot)), id(node));
        }
    }
    assert_eq!(owner(12000), id(3));
    assert_eq!(owner(13999), id(3));
    // Contested: node 4 claimed with the greatest configEpoch and wins.
    let epoch1 = sim.state(1).expect("up").my_config_epoch();
    assert!(
        epoch4 > epoch1,
        "node 4 ({epoch4}) must beat node 1 ({epoch1})"
    );
    for slot in [14000, 15000, 15999] {
        assert_eq!(owner(slot), id(4), "slot {slot}");
    }
    // Uncontested part of node 1's claim stays node 1's.
    assert_eq!(owner(16000), id(1));
    assert_eq!(owner(16383), id(1));
    sim.assert_no_violations();
}

#[test]
fn a_minority_partition_goes_down_and_comes_back() {
    let mut sim = sim(5, 21);
    crate::common::assign_and_chain(&mut sim, 5);
    wait_formed(&mut sim, 30_000);
    sim.partition(&[0, 1], &[2, 3, 4]);
    // The minority loses sight of the majority of primaries (§6.6 quorum).
    let minority_down = sim.run_until(
        |s| !s.cluster_ok(0) && !s.cluster_ok(1),
        3 * NODE_TIMEOUT_MS,
    );
    assert!(minority_down);
    sim.heal();
    let back = sim.run_until(|s| s.converged(), 10 * NODE_TIMEOUT_MS);
    assert!(back, "{:?}", sim.convergence_violations());
    sim.assert_no_violations();
}
