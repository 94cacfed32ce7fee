//! shoal-sim: a deterministic simulator for Shoal's sans-IO cluster state
//! machine (`shoal_cluster::state::ClusterState`), in the style of TigerBeetle's
//! VOPR and raft-rs's test harness.
//!
//! Owns: the virtual-time network and node lifecycle ([`Simulator`]), the
//! scenario DSL on it, the safety/convergence invariants ([`invariants`]) and the
//! seeded fuzzer ([`fuzz`], binary `sim-fuzz`). Must never: read a clock, open a
//! socket or file, use unseeded randomness, or iterate a hash map — a run is a
//! pure function of its seed, which is what makes a failing seed replayable.

pub mod fuzz;
pub mod invariants;
mod sim;
mod trace;

pub use invariants::{NodeView, Violation};
pub use sim::{LogLine, NetConfig, SimConfig, SimStats, Simulator, START_MS};
