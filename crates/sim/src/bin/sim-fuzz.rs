//! `sim-fuzz`: runs many seeds of the cluster fuzzer (see `shoal_sim::fuzz`).
//!
//! Owns: argument parsing, the seed loop and reporting. Must never: affect a
//! run's outcome — the only inputs of a seed are the seed and `--nodes`. (The
//! wall clock is read only to report how long the loop took.)
//!
//! Usage:
//!   sim-fuzz [--seeds N] [--start-seed S] [--nodes N] [--keep-going] [--slow-ms MS]
//!   sim-fuzz --seed S [--nodes N] [--verbose]
//!
//! Exit code 1 when a seed violates an invariant (the loop stops at the first
//! failing seed unless `--keep-going`), 2 on bad arguments.

use std::process::ExitCode;
use std::time::Instant;

use shoal_sim::fuzz::{self, FuzzOptions, SeedOutcome};

#[derive(Debug)]
struct Args {
    seeds: u64,
    start_seed: u64,
    single: Option<u64>,
    verbose: bool,
    keep_going: bool,
    /// Print seeds that take longer than this (real ms).
    slow_ms: Option<u64>,
    options: FuzzOptions,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seeds: 1_000,
        start_seed: 0,
        single: None,
        verbose: false,
        keep_going: false,
        slow_ms: None,
        options: FuzzOptions::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            it.next()
                .ok_or_else(|| format!("{name} needs a value"))?
                .parse::<u64>()
                .map_err(|e| format!("{name}: {e}"))
        };
        match arg.as_str() {
            "--seeds" => args.seeds = value("--seeds")?,
            "--start-seed" => args.start_seed = value("--start-seed")?,
            "--seed" => args.single = Some(value("--seed")?),
            "--nodes" => {
                let n = value("--nodes")?;
                if !(1..=200).contains(&n) {
                    return Err("--nodes must be in 1..=200".to_owned());
                }
                args.options.nodes = Some(n as usize);
            }
            "--verbose" => args.verbose = true,
            "--keep-going" => args.keep_going = true,
            "--slow-ms" => args.slow_ms = Some(value("--slow-ms")?),
            "-h" | "--help" => {
                return Err("usage: sim-fuzz [--seeds N] [--start-seed S] [--nodes N] \
                            [--keep-going] [--slow-ms MS] | --seed S [--nodes N] [--verbose]"
                    .to_owned())
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn report_failure(outcome: &SeedOutcome, options: &FuzzOptions) {
    println!(
        "seed {} FAILED ({} nodes, node timeout {} ms, {} violation(s)):",
        outcome.seed,
        outcome.nodes,
        outcome.node_timeout_ms,
        outcome.violations.len()
    );
    for v in outcome.violations.iter().take(20) {
        println!("  {v}");
    }
    println!("replay: {}", fuzz::replay_command(outcome.seed, options));
}

fn run_single(seed: u64, args: &Args) -> ExitCode {
    let mut options = args.options.clone();
    options.capture_logs = args.verbose;
    let plan = fuzz::plan(seed, &options);
    let started = Instant::now();
    let (sim, outcome) = fuzz::execute(seed, &plan, &options);
    let elapsed = started.elapsed();
    if args.verbose {
        println!("plan: {:?}", plan.config);
        for line in &outcome.log {
            println!("  {line}");
        }
        for line in sim.logs() {
            println!(
                "  [{:>7}ms node {}] {:?} {}",
                line.at_ms, line.node, line.level, line.text
            );
        }
        for node in 0..sim.node_count() {
            println!(
                "--- node {node} nodes.conf:\n{}",
                sim.persisted_conf(node).unwrap_or_default()
            );
        }
    }
    println!(
        "seed {seed}: {} nodes, {} virtual ms, converged after {:?} ms, trace {:016x}, {:?}, \
         real {:.1} ms",
        outcome.nodes,
        outcome.virtual_ms,
        outcome.converged_after_ms,
        outcome.trace_hash,
        outcome.stats,
        elapsed.as_secs_f64() * 1000.0
    );
    if outcome.passed() {
        println!("1 seeds passed, 0 failed");
        ExitCode::SUCCESS
    } else {
        report_failure(&outcome, &args.options);
        println!("0 seeds passed, 1 failed");
        ExitCode::from(1)
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    if let Some(seed) = args.single {
        return run_single(seed, &args);
    }
    let started = Instant::now();
    let (mut passed, mut failed) = (0u64, 0u64);
    let mut slowest = (0.0f64, 0u64);
    for seed in args.start_seed..args.start_seed.saturating_add(args.seeds) {
        let t = Instant::now();
        let outcome = fuzz::run_seed(seed, &args.options);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if ms > slowest.0 {
            slowest = (ms, seed);
        }
        if args.slow_ms.is_some_and(|limit| ms > limit as f64) {
            println!(
                "slow seed {seed}: {ms:.1} ms real, {} nodes, node timeout {} ms, {} virtual ms, \
                 {} events",
                outcome.nodes, outcome.node_timeout_ms, outcome.virtual_ms, outcome.stats.events
            );
        }
        if outcome.passed() {
            passed += 1;
        } else {
            failed += 1;
            report_failure(&outcome, &args.options);
            if !args.keep_going {
                break;
            }
        }
    }
    let total = started.elapsed().as_secs_f64();
    let runs = (passed + failed).max(1);
    println!(
        "{passed} seeds passed, {failed} failed ({total:.1} s, {:.1} ms/seed on average, \
         slowest seed {} at {:.1} ms)",
        total * 1000.0 / runs as f64,
        slowest.1,
        slowest.0
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
