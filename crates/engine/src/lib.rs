//! The engine: command table, dispatch and command semantics of one node.
//!
//! It is synchronous and deterministic: no tokio, no sockets, no clock reads
//! (time arrives as `now_us`), no unseeded randomness (the node's RNG is
//! seeded by the caller). The server shell owns every socket and timer and
//! carries out the `Effect`s the engine queues.

pub mod client;
mod commands;
pub mod context;
pub mod engine;
pub mod error;
pub mod latency_histogram;
mod latency_report;
pub mod metrics;
pub mod node;
pub mod slowlog;
mod sparkline;
pub mod table;
pub mod testing;

pub use client::{BufferStats, Client, ClientId, ConnectInfo, ReplyMode};
pub use commands::cluster::{delete_keys_in_slots, flush_all_data, slots_with_keys};
pub use commands::migrate::{MigrationIo, MigrationRequest};
pub use commands::pubsub::{deliver_publish, unsubscribe_shard_slot};
pub use commands::server::config::ListenChange;
pub use context::Ctx;
pub use engine::{Engine, ExecOutcome, MAX_CLIENTS_ERROR};
pub use error::CommandError;
pub use node::{CpuReport, Effect, MemoryReport, Node, ProcessInfo, PubSub};
pub use table::{CommandSpec, CommandTable, Flags, KeySpec};

/// The Redis version Shoal is compatible with, reported where clients look
/// for it (HELLO, INFO `redis_version`).
pub const REDIS_VERSION: &str = "7.0.15";

/// Shoal's own version (INFO `shoal_version`).
pub const SHOAL_VERSION: &str = env!("CARGO_PKG_VERSION");
