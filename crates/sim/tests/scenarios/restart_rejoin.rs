//! (e) A killed node restarted from its nodes.conf rejoins: it keeps its id,
//! slots and epochs, and nobody sees it as FAIL any more (reference §6.11
//! nodes.conf loading, §6.5 clearing FAIL on a reachable primary).

use crate::common::{assign_and_chain, sim, wait_formed, NODE_TIMEOUT_MS};

#[test]
fn restarted_primary_rejoins_and_fail_clears() {
    let mut sim = sim(3, 40);
    assign_and_chain(&mut sim, 3);
    wait_formed(&mut sim, 30_000);
    let victim = 2;
    let id = sim.node_id(victim);
    let slots_before = sim.state(victim).expect("up").my_slots();
    let epoch_before = sim.state(victim).expect("up").my_config_epoch();

    sim.kill(victim);
    assert!(!sim.is_alive(victim));
    let failed = sim.run_until(
        |s| s.sees_fail(0, victim) && s.sees_fail(1, victim),
        2 * NODE_TIMEOUT_MS,
    );
    assert!(failed);
    sim.run_for(NODE_TIMEOUT_MS);

    sim.restart(victim).expect("restart");
    let state = sim.state(victim).expect("restarted");
    assert_eq!(state.my_id(), id, "same identity from nodes.conf");
    assert_eq!(state.my_slots(), slots_before);
    assert_eq!(state.my_config_epoch(), epoch_before);
    assert_eq!(state.known_nodes(), 3, "it remembers its peers");

    // A primary with slots is un-FAILed once reachable and its FAIL is older
    // than 2 × node_timeout (nobody took its slots over).
    let rejoined = sim.run_until(
        |s| !s.sees_failing(0, victim) && !s.sees_failing(1, victim) && s.all_cluster_ok(),
        4 * NODE_TIMEOUT_MS,
    );
    assert!(rejoined, "{:?}", sim.convergence_violations());
    assert!(sim.converged());
    sim.assert_no_violations();
}

#[test]
fn restarted_replica_rejoins_as_a_replica() {
    let mut sim = sim(4, 41);
    assign_and_chain(&mut sim, 3);
    wait_formed(&mut sim, 30_000);
    sim.replicate(3, 0).expect("REPLICATE");
    sim.run_for(2_000);
    sim.kill(3);
    let failed = sim.run_until(|s| (0..3).all(|o| s.sees_fail(o, 3)), 2 * NODE_TIMEOUT_MS);
    assert!(failed);
    sim.restart(3).expect("restart");
    assert_eq!(
        sim.state(3).expect("up").my_primary(),
        Some(sim.node_id(0)),
        "still a replica of node 0 after the reload"
    );
    // A replica's FAIL clears as soon as it answers (§6.5).
    let back = sim.run_until(
        |s| (0..3).all(|o| !s.sees_failing(o, 3)),
        2 * NODE_TIMEOUT_MS,
    );
    assert!(back);
    assert!(sim.run_until(|s| s.converged(), 20_000));
    sim.assert_no_violations();
}

#[test]
fn a_node_killed_twice_in_a_row_still_rejoins() {
    let mut sim = sim(3, 42);
    assign_and_chain(&mut sim, 3);
    wait_formed(&mut sim, 30_000);
    for _ in 0..2 {
        sim.kill(0);
        sim.run_for(NODE_TIMEOUT_MS / 2);
        sim.restart(0).expect("restart");
        sim.run_for(NODE_TIMEOUT_MS / 2);
    }
    assert!(
        sim.run_until(|s| s.converged(), 10 * NODE_TIMEOUT_MS),
        "{:?}",
        sim.convergence_violations()
    );
    sim.assert_no_violations();
}
