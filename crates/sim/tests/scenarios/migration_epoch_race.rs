//! Slot migration (`redis-cli --cluster reshard`, reference §3.3, §4.4) and the
//! configEpoch bump it relies on (§6.8 "bump-without-consensus … SETSLOT NODE on
//! import completion").
//!
//! The ignored test is a minimal reproduction of a divergence the fuzzer found
//! (`sim-fuzz --seed 79`, before migrations were gated on settled epochs). The
//! importing node bumps its configEpoch to `currentEpoch + 1` of *its* view; if
//! the source's configEpoch has grown meanwhile and the news has not reached the
//! target yet, the target claims the slot with a *lower* epoch than the source.
//! A node that has not processed the source's SETSLOT NODE yet (here a replica of
//! the source, which redis-cli does not send SETSLOT to) answers the claim with
//! an UPDATE about the source (§6.8 reverse check); the target then rebinds its
//! own slot to the source (`clusterUpdateSlotsConfigWith`: owner's epoch <
//! sender's) and would delete its keys, while the source has already given the
//! slot up. Nobody claims the slot any more, so the views never converge. Shoal
//! follows Redis 7.0 `cluster.c` step by step here, so this is the Redis protocol
//! race reproduced faithfully, not a deviation; see the report for a fix.

use shoal_cluster::state::{Effect, SetSlotAction};

use crate::common::NODE_TIMEOUT_MS;

const SLOT: u16 = 6000;

/// A(0): 0-5460, B(1): 5461-10922, C(2): 10923-16383, D(3) replica of B,
/// distinct epochs 1, 2, 3 set before meeting (as redis-cli does).
fn cluster() -> shoal_sim::Simulator {
    // A long node timeout keeps the links of a partitioned node open (they are
    // only recycled after node_timeout of silence), so frames held by the
    // partition flow as soon as it heals.
    let mut sim = shoal_sim::Simulator::new(shoal_sim::SimConfig {
        node_timeout_ms: 15_000,
        ..shoal_sim::SimConfig::new(4, 70)
    });
    for (node, epoch) in [(0, 1), (1, 2), (2, 3)] {
        sim.set_config_epoch(node, epoch).expect("SET-CONFIG-EPOCH");
    }
    sim.add_slots(0, 0..=5460).expect("ADDSLOTS");
    sim.add_slots(1, 5461..=10922).expect("ADDSLOTS");
    sim.add_slots(2, 10923..=16383).expect("ADDSLOTS");
    for i in 1..4 {
        sim.meet(i, i - 1).expect("MEET");
    }
    assert!(sim.run_until(|s| s.all_know_each_other(), 20_000));
    sim.replicate(3, 1).expect("REPLICATE");
    assert!(sim.run_until(|s| s.converged(), 20_000));
    sim
}

/// redis-cli's slot move with no keys: IMPORTING on the target, MIGRATING on
/// the source, then SETSLOT NODE on the target, the source and the other
/// primaries (not replicas).
fn move_slot(sim: &mut shoal_sim::Simulator, from: usize, to: usize, others: &[usize]) {
    let (from_id, to_id) = (sim.node_id(from).to_string(), sim.node_id(to).to_string());
    let mut set = |node: usize, action: SetSlotAction| {
        sim.admin(node, |s, now| s.set_slot(now, SLOT, action, 0))
            .expect("alive")
            .expect("SETSLOT");
    };
    set(to, SetSlotAction::Importing(from_id));
    set(from, SetSlotAction::Migrating(to_id.clone()));
    set(to, SetSlotAction::Node(to_id.clone()));
    set(from, SetSlotAction::Node(to_id.clone()));
    for &other in others {
        set(other, SetSlotAction::Node(to_id.clone()));
    }
}

#[test]
fn migration_with_settled_epochs_converges() {
    let mut sim = cluster();
    move_slot(&mut sim, 1, 0, &[2]);
    assert!(
        sim.run_until(|s| s.converged(), 10 * NODE_TIMEOUT_MS),
        "{:?}",
        sim.convergence_violations()
    );
    assert_eq!(
        sim.state(3).expect("up").slot_owner(SLOT),
        Some(sim.node_id(0))
    );
    sim.assert_no_violations();
}

#[test]
#[ignore = "Redis 7.0 protocol race, reproduced faithfully: a migration target \
            whose view of the epochs is stale claims the slot with a lower \
            configEpoch than the source and loses it to an UPDATE"]
fn migration_target_with_a_stale_epoch_keeps_the_slot() {
    let mut sim = cluster();
    // A cannot hear B, C or D while they bump epochs (CLUSTER BUMPEPOCH only
    // bumps a node whose epoch is not the greatest): B → 4, C → 5, B → 6.
    // A still believes the greatest epoch is 3.
    sim.partition(&[0], &[1, 2, 3]);
    let current =
        |s: &shoal_sim::Simulator, node: usize| s.state(node).map(|st| st.current_epoch());
    for (node, learner, epoch) in [(1, 2, 4), (2, 1, 5), (1, 3, 6)] {
        assert_eq!(sim.bump_epoch(node), Some((true, epoch)));
        assert!(sim.run_until(|s| current(s, learner) == Some(epoch), 10_000));
    }
    sim.heal();
    // The operator moves slot 6000 from B to A right away: A bumps to 4 < 6.
    move_slot(&mut sim, 1, 0, &[2]);
    let a_epoch = sim.state(0).expect("up").my_config_epoch();
    let b_epoch = sim.state(1).expect("up").my_config_epoch();
    assert!(
        a_epoch < b_epoch,
        "the race needs A ({a_epoch}) < B ({b_epoch})"
    );
    let converged = sim.run_until(|s| s.converged(), 10 * NODE_TIMEOUT_MS);
    // With the race, A also dropped the keys it had just imported.
    let deleted = sim
        .data_effects(0)
        .iter()
        .any(|(_, e)| matches!(e, Effect::DeleteKeysInSlots { slots } if slots.contains(&SLOT)));
    assert!(
        !deleted,
        "A deleted the keys of slot {SLOT} it had just imported"
    );
    assert!(
        converged,
        "A thinks slot {SLOT} is {:?}'s, B thinks {:?}'s: {:?}",
        sim.state(0).and_then(|s| s.slot_owner(SLOT)),
        sim.state(1).and_then(|s| s.slot_owner(SLOT)),
        sim.convergence_violations()
    );
}
