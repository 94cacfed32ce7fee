//! Determinism: a run is a pure function of its seed, so the same seed gives the
//! same trace hash twice, and a different seed a different one.

use shoal_sim::fuzz::{self, FuzzOptions};

use crate::common::{assign_and_chain, sim, wait_formed};

#[test]
fn same_fuzz_seed_same_trace() {
    let options = FuzzOptions::default();
    for seed in [3, 17, 99] {
        let a = fuzz::run_seed(seed, &options);
        let b = fuzz::run_seed(seed, &options);
        assert_eq!(a.trace_hash, b.trace_hash, "seed {seed}");
        assert_eq!(a.stats, b.stats, "seed {seed}");
        assert_eq!(a.virtual_ms, b.virtual_ms);
        assert_eq!(a.log, b.log);
    }
    let x = fuzz::run_seed(3, &options);
    let y = fuzz::run_seed(4, &options);
    assert_ne!(x.trace_hash, y.trace_hash);
}

fn scripted(seed: u64) -> (u64, String) {
    let mut sim = sim(4, seed);
    sim.set_net(shoal_sim::NetConfig::lossy());
    assign_and_chain(&mut sim, 4);
    wait_formed(&mut sim, 60_000);
    sim.partition(&[0], &[1, 2, 3]);
    sim.run_for(7_000);
    sim.kill(2);
    sim.heal();
    sim.run_for(3_000);
    sim.restart(2).expect("restart");
    sim.run_for(10_000);
    (
        sim.trace_hash(),
        sim.state(0).expect("up").cluster_nodes_text(false),
    )
}

#[test]
fn same_scripted_scenario_same_trace() {
    let (h1, nodes1) = scripted(60);
    let (h2, nodes2) = scripted(60);
    assert_eq!(h1, h2);
    assert_eq!(nodes1, nodes2);
    let (h3, _) = scripted(61);
    assert_ne!(h1, h3);
}
