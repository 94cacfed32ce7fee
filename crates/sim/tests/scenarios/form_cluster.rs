//! (a) A cluster formed from chained MEETs reaches cluster_state:ok on every node
//! with identical slot maps (reference §5.7 handshake, §6.4 gossip discovery,
//! §6.6 cluster state).

use shoal_cluster::state::SLOT_COUNT;

use crate::common::{assign_and_chain, even_range, sim, wait_formed};

fn forms(n: usize, seed: u64) {
    let mut sim = sim(n, seed);
    assign_and_chain(&mut sim, n);
    // Only node i-1 was told about node i: the rest is gossip.
    wait_formed(&mut sim, 30_000);
    assert!(sim.slot_maps_agree());
    let map = sim.slot_map(0).expect("node 0 is up");
    assert_eq!(map.len(), SLOT_COUNT);
    for i in 0..n {
        for slot in even_range(i, n) {
            assert_eq!(map[usize::from(slot)], Some(sim.node_id(i)), "slot {slot}");
        }
        let state = sim.state(i).expect("up");
        assert_eq!(state.known_nodes(), n);
        assert_eq!(state.cluster_size(), n);
    }
    assert!(sim.converged(), "{:?}", sim.convergence_violations());
    // Stays formed: nothing flaps over a few node timeouts.
    sim.run_for(20_000);
    assert!(sim.all_cluster_ok() && sim.converged());
    sim.assert_no_violations();
}

#[test]
fn three_nodes_form_a_cluster() {
    forms(3, 1);
}

#[test]
fn six_nodes_form_a_cluster() {
    forms(6, 2);
}

#[test]
fn six_nodes_form_over_a_slow_reordering_network() {
    let mut sim = sim(6, 3);
    sim.set_net(shoal_sim::NetConfig {
        min_delay_ms: 1,
        max_delay_ms: 60,
        drop_probability: 0.0,
        reorder_probability: 0.2,
        max_chunks: 4,
    });
    assign_and_chain(&mut sim, 6);
    wait_formed(&mut sim, 60_000);
    assert!(sim.slot_maps_agree());
    sim.assert_no_violations();
}

#[test]
fn three_primaries_with_three_replicas_form() {
    let mut sim = sim(6, 4);
    assign_and_chain(&mut sim, 3);
    wait_formed(&mut sim, 30_000);
    for (replica, primary) in [(3, 0), (4, 1), (5, 2)] {
        sim.replicate(replica, primary).expect("REPLICATE");
    }
    let roles_spread = sim.run_until(
        |s| {
            (3..6).all(|r| {
                (0..6).all(|obs| {
                    s.flags_seen_by(obs, r)
                        .is_some_and(|f| f.contains(shoal_cluster::bus::NodeFlags::REPLICA))
                })
            })
        },
        10_000,
    );
    assert!(roles_spread, "every node learns the replicas' role");
    assert!(sim.converged(), "{:?}", sim.convergence_violations());
    sim.assert_no_violations();
}
