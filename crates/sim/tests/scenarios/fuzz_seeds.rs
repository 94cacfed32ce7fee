//! A fixed set of fuzz seeds (the `sim-fuzz` scenario generator) as a test, so
//! regressions show up in `cargo test`.

use shoal_sim::fuzz::{self, FuzzOptions};

#[test]
fn fifty_fixed_seeds_pass() {
    let options = FuzzOptions::default();
    let mut failures = Vec::new();
    for seed in 0..50 {
        let outcome = fuzz::run_seed(seed, &options);
        if !outcome.passed() {
            failures.push(format!(
                "seed {seed}: {}\n  replay: {}",
                outcome
                    .violations
                    .iter()
                    .take(5)
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("\n  "),
                fuzz::replay_command(seed, &options)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fixed_node_counts_pass() {
    for nodes in [1, 2, 8] {
        let options = FuzzOptions {
            nodes: Some(nodes),
            ..FuzzOptions::default()
        };
        for seed in 1000..1003 {
            let outcome = fuzz::run_seed(seed, &options);
            assert!(
                outcome.passed(),
                "{nodes} nodes, seed {seed}: {:?}",
                outcome.violations
            );
        }
    }
}
