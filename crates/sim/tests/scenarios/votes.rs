//! Votes: a primary grants at most one FAILOVER_AUTH_ACK per epoch and only for
//! a replica of a FAIL primary (reference §6.7 "Master voting"). Shoal replicas
//! do not run elections yet, so the simulator forges the replica's request.

use crate::common::{assign_and_chain, sim, wait_formed, NODE_TIMEOUT_MS};

#[test]
fn primaries_vote_once_per_epoch_for_a_failed_primarys_replica() {
    let mut sim = sim(4, 50);
    assign_and_chain(&mut sim, 3);
    wait_formed(&mut sim, 30_000);
    sim.replicate(3, 0).expect("REPLICATE");
    sim.run_for(2_000);

    // Primary up, no FORCEACK: nobody votes.
    let e1 = sim.request_votes(3, false, false).expect("a replica");
    sim.run_for(500);
    assert!(sim.votes_granted().is_empty(), "{:?}", sim.votes_granted());

    sim.kill(0);
    assert!(sim.run_until(
        |s| s.sees_fail(1, 0) && s.sees_fail(2, 0),
        2 * NODE_TIMEOUT_MS
    ));
    let e2 = sim.request_votes(3, false, false).expect("a replica");
    assert!(e2 > e1);
    sim.run_for(500);
    let mut voters: Vec<usize> = sim.votes_granted().iter().map(|&(v, _)| v).collect();
    voters.sort_unstable();
    assert_eq!(voters, vec![1, 2], "both live primaries with slots vote");
    assert!(sim.votes_granted().iter().all(|&(_, e)| e == e2));
    for voter in [1, 2] {
        assert_eq!(sim.state(voter).expect("up").last_vote_epoch(), e2);
    }

    // The same epoch again (a retransmitted request): no second vote.
    sim.request_votes(3, false, true).expect("a replica");
    sim.run_for(500);
    assert_eq!(sim.votes_granted().len(), 2);

    // A new epoch within 2 × node_timeout of the last vote for this primary's
    // replicas: refused too.
    sim.request_votes(3, false, false).expect("a replica");
    sim.run_for(500);
    assert_eq!(sim.votes_granted().len(), 2);

    // After 2 × node_timeout a new epoch gets new votes.
    sim.run_for(2 * NODE_TIMEOUT_MS);
    let e4 = sim.request_votes(3, false, false).expect("a replica");
    sim.run_for(500);
    assert_eq!(sim.votes_granted().len(), 4);
    assert!(sim.votes_granted()[2..].iter().all(|&(_, e)| e == e4));
    sim.assert_no_violations();
}

#[test]
fn force_ack_gets_votes_while_the_primary_is_up() {
    let mut sim = sim(4, 51);
    assign_and_chain(&mut sim, 3);
    wait_formed(&mut sim, 30_000);
    sim.replicate(3, 1).expect("REPLICATE");
    sim.run_for(2_000);
    let epoch = sim.request_votes(3, true, false).expect("a replica");
    sim.run_for(500);
    // Node 1 (its own primary) votes too: Redis does not exclude it (§6.7).
    let mut voters: Vec<usize> = sim.votes_granted().iter().map(|&(v, _)| v).collect();
    voters.sort_unstable();
    assert_eq!(voters, vec![0, 1, 2]);
    assert!(sim.votes_granted().iter().all(|&(_, e)| e == epoch));
    // Votes are durable: a voter restarted from nodes.conf remembers it.
    sim.kill(2);
    sim.restart(2).expect("restart");
    assert_eq!(sim.state(2).expect("up").last_vote_epoch(), epoch);
    sim.assert_no_violations();
}
