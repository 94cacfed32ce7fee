//! The Redis 7.0 cluster bus wire protocol (reference `redis-cluster-7.0.md` §5),
//! sans-IO: plain message types plus encode/decode.
//!
//! Owns: [`message`] (what a bus message contains) and [`codec`] (bytes ⇄ messages,
//! including Redis's receive-side validation). Must never: touch sockets or clocks,
//! or implement cluster behaviour (epochs, failover, gossip handling) — that belongs
//! to the state machine that consumes these types. Wire layout tables are in
//! `docs/cluster-bus.md`.

pub mod codec;
pub mod message;

pub use codec::{
    decode, decode_bytes, encode, encode_into, DecodeError, Frame, FrameReader, InvalidFrame,
    LinkError, DEFAULT_MAX_FRAME_LEN, PROTOCOL_VERSION, SIGNATURE,
};
pub use message::{
    BusMessage, GossipEntry, Header, IpField, MessageBody, MessageFlags, MessageType, ModuleBody,
    NodeFlags, NodeId, PingBody, PingExtension, PublishBody, SlotBitmap, UpdateBody,
    WireClusterState, CLUSTER_SLOTS, EXT_TYPE_HOSTNAME,
};
