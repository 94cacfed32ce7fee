//! (b) A killed node is flagged FAIL by every other node within 2 × node_timeout
//! of virtual time (reference §6.3 PFAIL after node_timeout, §6.5 FAIL on a
//! quorum of primaries' reports, FAIL broadcast).

use crate::common::{assign_and_chain, sim, wait_formed, NODE_TIMEOUT_MS};

fn killed_node_fails_everywhere(n: usize, primaries: usize, victim: usize, seed: u64) {
    let mut sim = sim(n, seed);
    assign_and_chain(&mut sim, primaries);
    wait_formed(&mut sim, 30_000);
    // Let the cluster settle into its steady ping rhythm first.
    sim.run_for(3 * NODE_TIMEOUT_MS);
    let killed_at = sim.now_ms();
    sim.kill(victim);
    let others: Vec<usize> = (0..n).filter(|&i| i != victim).collect();
    let all_fail = sim.run_until(
        |s| others.iter().all(|&o| s.sees_fail(o, victim)),
        2 * NODE_TIMEOUT_MS,
    );
    let elapsed = sim.now_ms() - killed_at;
    assert!(
        all_fail,
        "after {elapsed} ms only {:?} see node {victim} as FAIL",
        others
            .iter()
            .filter(|&&o| sim.sees_fail(o, victim))
            .collect::<Vec<_>>()
    );
    assert!(elapsed <= 2 * NODE_TIMEOUT_MS);
    // Its slots are served by nobody now: the cluster is down everywhere.
    if victim < primaries {
        assert!(sim.run_until(|s| others.iter().all(|&o| !s.cluster_ok(o)), 1_000));
    }
    sim.assert_no_violations();
}

#[test]
fn killed_primary_of_three_fails_within_two_node_timeouts() {
    killed_node_fails_everywhere(3, 3, 1, 10);
}

#[test]
fn killed_primary_of_six_fails_within_two_node_timeouts() {
    killed_node_fails_everywhere(6, 6, 4, 11);
}

#[test]
fn killed_slotless_node_fails_within_two_node_timeouts() {
    killed_node_fails_everywhere(5, 3, 4, 12);
}

#[test]
fn a_node_that_is_only_slow_is_not_failed() {
    // Delays well below node_timeout must not make anyone PFAIL.
    let mut sim = sim(4, 13);
    sim.set_net(shoal_sim::NetConfig {
        min_delay_ms: 100,
        max_delay_ms: 400,
        ..shoal_sim::NetConfig::reliable()
    });
    assign_and_chain(&mut sim, 4);
    wait_formed(&mut sim, 60_000);
    let flapped = sim.run_until(
        |s| (0..4).any(|a| (0..4).any(|b| a != b && s.sees_failing(a, b))),
        6 * NODE_TIMEOUT_MS,
    );
    assert!(!flapped, "a slow but live node was flagged failing");
    sim.assert_no_violations();
}
