//! Scenario tests for the cluster state machine, each run in the deterministic
//! simulator (one module per scenario, reference `redis-cluster-7.0.md` §6).

mod common;
mod epoch_collision;
mod fail_detection;
mod form_cluster;
mod fuzz_seeds;
mod migration_epoch_race;
mod partition_heal;
mod restart_rejoin;
mod trace_determinism;
mod votes;
