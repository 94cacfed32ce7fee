//! shoal-cluster: Redis 7.0–compatible cluster support, sans-IO.
//!
//! Owns the cluster-bus wire format ([`bus`]) and, later, the cluster state
//! machine built on it. Must never do I/O, read clocks or use unseeded randomness:
//! bytes, time and randomness are passed in by the server/simulator.

pub mod bus;
pub mod nodes_conf;
pub mod routing;
pub mod state;
