//! Byte-exact encoder and validating, streaming decoder for Redis 7.0 cluster-bus
//! frames (reference §5).
//!
//! Owns: the wire layout ([`layout`]), [`encode`], [`decode`] and [`FrameReader`],
//! which reproduces what `clusterReadHandler` + `clusterProcessPacket` in Redis 7.0
//! do before any cluster logic runs (§5.6): the 8-byte signature/length check that
//! closes the link, and the per-type length check that silently drops a frame.
//! Must never: panic or allocate based on an untrusted length (buffers grow only as
//! bytes arrive, up to a cap), do I/O, or apply cluster semantics.

use bytes::{Bytes, BytesMut};

use super::message::{
    BusMessage, GossipEntry, Header, IpField, MessageBody, MessageFlags, MessageType, ModuleBody,
    NodeFlags, NodeId, PingBody, PingExtension, PublishBody, SlotBitmap, UpdateBody,
    WireClusterState, EXT_TYPE_HOSTNAME, IP_FIELD_LEN, NODE_ID_LEN, SLOT_BITMAP_LEN,
};

/// Byte offsets and sizes of the wire structures (Redis `cluster.h` static asserts,
/// reference §5.1, §5.3–§5.5).
pub mod layout {
    /// `sig`: "RCmb".
    pub const SIG: usize = 0;
    /// `totlen`: u32 BE total frame length.
    pub const TOTLEN: usize = 4;
    /// `ver`: u16 BE protocol version.
    pub const VER: usize = 8;
    /// `port`: u16 BE client port.
    pub const PORT: usize = 10;
    /// `type`: u16 BE message type.
    pub const TYPE: usize = 12;
    /// `count`: u16 BE gossip entries.
    pub const COUNT: usize = 14;
    /// `currentEpoch`: u64 BE.
    pub const CURRENT_EPOCH: usize = 16;
    /// `configEpoch`: u64 BE.
    pub const CONFIG_EPOCH: usize = 24;
    /// `offset`: u64 BE replication offset.
    pub const OFFSET: usize = 32;
    /// `sender`: 40-byte node id.
    pub const SENDER: usize = 40;
    /// `myslots`: 2048-byte bitmap.
    pub const MYSLOTS: usize = 80;
    /// `slaveof`: 40-byte node id or zeros.
    pub const SLAVEOF: usize = 2128;
    /// `myip`: 46-byte NUL-terminated string.
    pub const MYIP: usize = 2168;
    /// `extensions`: u16 BE number of ping extensions.
    pub const EXTENSIONS: usize = 2214;
    /// `notused1`: 30 zero bytes.
    pub const NOTUSED1: usize = 2216;
    /// `pport`: u16 BE plaintext port.
    pub const PPORT: usize = 2246;
    /// `cport`: u16 BE bus port.
    pub const CPORT: usize = 2248;
    /// `flags`: u16 BE node flags.
    pub const FLAGS: usize = 2250;
    /// `state`: u8.
    pub const STATE: usize = 2252;
    /// `mflags`: 3 bytes.
    pub const MFLAGS: usize = 2253;
    /// `data`: start of the body.
    pub const DATA: usize = 2256;

    /// Header length, `CLUSTERMSG_MIN_LEN`.
    pub const HEADER_LEN: usize = 2256;
    /// `sizeof(clusterMsg)`: header plus the largest fixed body (UPDATE).
    pub const MAX_FIXED_MESSAGE_LEN: usize = 4352;

    /// Size of one gossip entry.
    pub const GOSSIP_LEN: usize = 104;
    /// Gossip `nodename` offset.
    pub const GOSSIP_NODENAME: usize = 0;
    /// Gossip `ping_sent` offset (u32 BE seconds).
    pub const GOSSIP_PING_SENT: usize = 40;
    /// Gossip `pong_received` offset (u32 BE seconds).
    pub const GOSSIP_PONG_RECEIVED: usize = 44;
    /// Gossip `ip` offset.
    pub const GOSSIP_IP: usize = 48;
    /// Gossip `port` offset.
    pub const GOSSIP_PORT: usize = 94;
    /// Gossip `cport` offset.
    pub const GOSSIP_CPORT: usize = 96;
    /// Gossip `flags` offset.
    pub const GOSSIP_FLAGS: usize = 98;
    /// Gossip `pport` offset.
    pub const GOSSIP_PPORT: usize = 100;
    /// Gossip `notused1` offset (2 zero bytes).
    pub const GOSSIP_NOTUSED1: usize = 102;

    /// Ping extension header: u32 BE length, u16 BE type, u16 unused.
    pub const EXT_HEADER_LEN: usize = 8;

    /// FAIL body: 40-byte node id.
    pub const FAIL_BODY_LEN: usize = 40;
    /// PUBLISH body before the bulk data: u32 BE channel_len, u32 BE message_len.
    pub const PUBLISH_FIXED_LEN: usize = 8;
    /// UPDATE body: u64 BE configEpoch, 40-byte node id, 2048-byte bitmap.
    pub const UPDATE_BODY_LEN: usize = 2096;
    /// MODULE body before the payload: u64 raw module_id, u32 BE len, u8 type.
    pub const MODULE_FIXED_LEN: usize = 13;
}

use layout::*;

/// The 4 signature bytes every frame starts with.
pub const SIGNATURE: [u8; 4] = *b"RCmb";
/// `CLUSTER_PROTO_VER`; frames with another version are ignored.
pub const PROTOCOL_VERSION: u16 = 1;

/// Default cap on one frame: a 512 MiB PUBLISH payload (the default
/// `proto-max-bulk-len`) plus the largest header+body. Redis 7.0 has no cap at all;
/// a frame above the cap closes the link instead of exhausting memory.
pub const DEFAULT_MAX_FRAME_LEN: usize = 512 * 1024 * 1024 + MAX_FIXED_MESSAGE_LEN;

/// A problem with the first 8 bytes of a frame: Redis logs "Bad message length or
/// signature received from Cluster bus." and closes the link (§5.6 step 1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The frame does not start with "RCmb".
    #[error("Bad message length or signature received from Cluster bus. (signature {found:02x?})")]
    BadSignature {
        /// The 4 bytes found instead.
        found: [u8; 4],
    },
    /// `totlen` is smaller than the 2256-byte header.
    #[error("Bad message length or signature received from Cluster bus. (totlen {totlen})")]
    TooShort {
        /// The announced total length.
        totlen: u32,
    },
    /// `totlen` exceeds this reader's cap (Shoal-specific; Redis would allocate it).
    #[error("cluster bus frame of {totlen} bytes exceeds the {max_frame_len}-byte limit")]
    TooLarge {
        /// The announced total length.
        totlen: u32,
        /// The reader's limit.
        max_frame_len: usize,
    },
}

/// Why a complete, well-framed message is dropped without closing the link
/// (§5.6 step 2). The `Display` text follows the Redis log line where there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFrame {
    /// `ver` is not 1.
    #[error("unsupported cluster bus protocol version {version}")]
    UnsupportedVersion {
        /// The version found.
        version: u16,
    },
    /// `totlen` differs from the length implied by the type and body fields.
    #[error("Received invalid {} packet of length {totlen} but expected length {expected}", type_name(*.type_code))]
    LengthMismatch {
        /// Wire `type`.
        type_code: u16,
        /// Wire `totlen`.
        totlen: u32,
        /// Length implied by the body fields (computed without 32-bit wrap-around).
        expected: u64,
    },
    /// A ping extension length that is not a multiple of 8 (or, Shoal-specific, 0).
    #[error("Received a {} packet without proper padding ({ext_len} bytes)", type_name(*.type_code))]
    ExtensionPadding {
        /// Wire `type`.
        type_code: u16,
        /// The extension's length field.
        ext_len: u32,
    },
    /// A ping extension that does not fit in the frame.
    #[error("Received invalid {} packet with extension data that exceeds total packet length ({totlen})", type_name(*.type_code))]
    ExtensionOverflow {
        /// Wire `type`.
        type_code: u16,
        /// Wire `totlen`.
        totlen: u32,
    },
}

fn type_name(code: u16) -> &'static str {
    MessageType::from_code(code).map_or("unknown", MessageType::redis_name)
}

/// Error from [`decode`] on a standalone buffer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The buffer is shorter than the 8 bytes needed to read `totlen`.
    #[error("cluster bus frame truncated: {len} bytes")]
    Truncated {
        /// Bytes available.
        len: usize,
    },
    /// The 8-byte prefix check failed (a link would be closed).
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The buffer length differs from `totlen`.
    #[error("cluster bus frame has {actual} bytes but totlen says {totlen}")]
    FrameLength {
        /// Wire `totlen`.
        totlen: u32,
        /// Buffer length.
        actual: usize,
    },
    /// A complete frame that Redis would ignore.
    #[error(transparent)]
    Invalid(#[from] InvalidFrame),
}

/// One complete frame taken off a link.
// `Message` is the common case; boxing it would cost an allocation per frame just
// to shrink the rare `Ignored` variant.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A valid message.
    Message(BusMessage),
    /// A frame Redis would silently drop (link stays up); the reason is for logging.
    Ignored(InvalidFrame),
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

/// Encodes `msg` into one frame, computing `totlen`, `count`, `extensions` and the
/// `EXT_DATA` flag from the body, with all unused bytes zero (as Redis sends them).
///
/// Lengths are written as 32-bit like Redis's C code: a body larger than 4 GiB
/// would produce a frame the receiver ignores, never a panic.
pub fn encode(msg: &BusMessage) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(msg, &mut out);
    out
}

/// Like [`encode`], appending to `out`.
pub fn encode_into(msg: &BusMessage, out: &mut Vec<u8>) {
    let start = out.len();
    let ping = msg.body.ping_body();
    let (count, extensions) = match ping {
        Some(body) => (body.gossip.len(), body.extensions.len()),
        None => (0, 0),
    };
    write_header(out, &msg.header, msg.type_code(), count, extensions);
    match &msg.body {
        MessageBody::Ping(body) | MessageBody::Pong(body) | MessageBody::Meet(body) => {
            for entry in &body.gossip {
                write_gossip(out, entry);
            }
            for ext in &body.extensions {
                write_extension(out, ext);
            }
        }
        MessageBody::Fail { node_id } => out.extend_from_slice(node_id.as_bytes()),
        MessageBody::Publish(body) | MessageBody::PublishShard(body) => {
            out.extend_from_slice(&(body.channel.len() as u32).to_be_bytes());
            out.extend_from_slice(&(body.message.len() as u32).to_be_bytes());
            out.extend_from_slice(&body.channel);
            out.extend_from_slice(&body.message);
        }
        MessageBody::FailoverAuthRequest | MessageBody::FailoverAuthAck | MessageBody::MfStart => {}
        MessageBody::Update(body) => {
            out.extend_from_slice(&body.config_epoch.to_be_bytes());
            out.extend_from_slice(body.node_id.as_bytes());
            out.extend_from_slice(body.slots.as_bytes());
        }
        MessageBody::Module(body) => {
            out.extend_from_slice(&body.module_id);
            out.extend_from_slice(&(body.payload.len() as u32).to_be_bytes());
            out.push(body.module_type);
            out.extend_from_slice(&body.payload);
        }
        MessageBody::Unknown { data, .. } => out.extend_from_slice(data),
    }
    let totlen = (out.len() - start) as u32;
    if let Some(field) = out.get_mut(start + TOTLEN..start + TOTLEN + 4) {
        field.copy_from_slice(&totlen.to_be_bytes());
    }
}

fn write_header(out: &mut Vec<u8>, h: &Header, type_code: u16, count: usize, exts: usize) {
    out.extend_from_slice(&SIGNATURE);
    out.extend_from_slice(&0u32.to_be_bytes()); // totlen, patched at the end
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    out.extend_from_slice(&h.port.to_be_bytes());
    out.extend_from_slice(&type_code.to_be_bytes());
    out.extend_from_slice(&(count as u16).to_be_bytes());
    out.extend_from_slice(&h.current_epoch.to_be_bytes());
    out.extend_from_slice(&h.config_epoch.to_be_bytes());
    out.extend_from_slice(&h.replication_offset.to_be_bytes());
    out.extend_from_slice(h.sender_id.as_bytes());
    out.extend_from_slice(h.slots.as_bytes());
    out.extend_from_slice(h.primary_id.unwrap_or(NodeId::NULL).as_bytes());
    out.extend_from_slice(h.announced_ip.raw());
    out.extend_from_slice(&(exts as u16).to_be_bytes());
    out.extend_from_slice(&[0u8; PPORT - NOTUSED1]);
    out.extend_from_slice(&h.plaintext_port.to_be_bytes());
    out.extend_from_slice(&h.bus_port.to_be_bytes());
    out.extend_from_slice(&h.flags.0.to_be_bytes());
    out.push(h.state.to_byte());
    let mut mflags = h.mflags.0;
    // EXT_DATA is set exactly when extensions follow (clusterSendPing, §5.5).
    mflags[0] &= !MessageFlags::EXT_DATA;
    if exts > 0 {
        mflags[0] |= MessageFlags::EXT_DATA;
    }
    out.extend_from_slice(&mflags);
}

fn write_gossip(out: &mut Vec<u8>, g: &GossipEntry) {
    out.extend_from_slice(g.node_id.as_bytes());
    out.extend_from_slice(&g.ping_sent_s.to_be_bytes());
    out.extend_from_slice(&g.pong_received_s.to_be_bytes());
    out.extend_from_slice(g.ip.raw());
    out.extend_from_slice(&g.port.to_be_bytes());
    out.extend_from_slice(&g.bus_port.to_be_bytes());
    out.extend_from_slice(&g.flags.0.to_be_bytes());
    out.extend_from_slice(&g.plaintext_port.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
}

fn write_extension(out: &mut Vec<u8>, ext: &PingExtension) {
    match ext {
        PingExtension::Hostname(name) => {
            // hostname + NUL, zero-padded to 8 (getHostnamePingExtSize).
            let padded = (name.len() + 1).next_multiple_of(8);
            out.extend_from_slice(&((EXT_HEADER_LEN + padded) as u32).to_be_bytes());
            out.extend_from_slice(&EXT_TYPE_HOSTNAME.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name);
            out.resize(out.len() + padded - name.len(), 0);
        }
        PingExtension::Unknown { ext_type, data } => {
            out.extend_from_slice(&((EXT_HEADER_LEN + data.len()) as u32).to_be_bytes());
            out.extend_from_slice(&ext_type.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(data);
        }
    }
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

/// Checks the first 8 bytes of a frame the way `clusterReadHandler` does and
/// returns `totlen`.
fn check_prefix(prefix: &[u8; 8], max_frame_len: usize) -> Result<usize, LinkError> {
    let [s0, s1, s2, s3, l0, l1, l2, l3] = *prefix;
    let sig = [s0, s1, s2, s3];
    let totlen = u32::from_be_bytes([l0, l1, l2, l3]);
    if sig != SIGNATURE {
        return Err(LinkError::BadSignature { found: sig });
    }
    if (totlen as usize) < HEADER_LEN {
        return Err(LinkError::TooShort { totlen });
    }
    if totlen as usize > max_frame_len {
        return Err(LinkError::TooLarge {
            totlen,
            max_frame_len,
        });
    }
    Ok(totlen as usize)
}

/// Decodes one complete frame (`frame.len()` must equal its `totlen`).
///
/// Applies the same checks as [`FrameReader`] except the size cap: the 8-byte
/// prefix check ([`DecodeError::Link`]) and Redis's per-type validation
/// ([`DecodeError::Invalid`], a frame Redis would silently ignore).
pub fn decode(frame: &[u8]) -> Result<BusMessage, DecodeError> {
    decode_bytes(Bytes::copy_from_slice(frame))
}

/// Like [`decode`], taking ownership so payloads can share the buffer.
pub fn decode_bytes(frame: Bytes) -> Result<BusMessage, DecodeError> {
    let prefix: [u8; 8] = frame
        .get(..8)
        .and_then(|p| p.try_into().ok())
        .ok_or(DecodeError::Truncated { len: frame.len() })?;
    let totlen = check_prefix(&prefix, usize::MAX)?;
    if totlen != frame.len() {
        return Err(DecodeError::FrameLength {
            totlen: totlen as u32,
            actual: frame.len(),
        });
    }
    Ok(decode_checked(frame)?)
}

/// Field access on a frame that always bounds-checks; a short read becomes a
/// length mismatch rather than a panic.
struct View<'a> {
    buf: &'a [u8],
    type_code: u16,
}

impl View<'_> {
    fn short(&self, needed: usize) -> InvalidFrame {
        InvalidFrame::LengthMismatch {
            type_code: self.type_code,
            totlen: self.buf.len() as u32,
            expected: needed as u64,
        }
    }

    fn array<const N: usize>(&self, at: usize) -> Result<[u8; N], InvalidFrame> {
        self.buf
            .get(at..at + N)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| self.short(at + N))
    }

    fn u8(&self, at: usize) -> Result<u8, InvalidFrame> {
        Ok(u8::from_be_bytes(self.array(at)?))
    }

    fn u16(&self, at: usize) -> Result<u16, InvalidFrame> {
        Ok(u16::from_be_bytes(self.array(at)?))
    }

    fn u32(&self, at: usize) -> Result<u32, InvalidFrame> {
        Ok(u32::from_be_bytes(self.array(at)?))
    }

    fn u64(&self, at: usize) -> Result<u64, InvalidFrame> {
        Ok(u64::from_be_bytes(self.array(at)?))
    }

    fn node_id(&self, at: usize) -> Result<NodeId, InvalidFrame> {
        Ok(NodeId::from_bytes(self.array::<NODE_ID_LEN>(at)?))
    }
}

/// Decodes a frame whose prefix passed [`check_prefix`] and whose length equals
/// `totlen`, applying `clusterProcessPacket`'s validation (§5.6 step 2).
fn decode_checked(frame: Bytes) -> Result<BusMessage, InvalidFrame> {
    let totlen = frame.len();
    let mut v = View {
        buf: &frame,
        type_code: 0,
    };
    let version = v.u16(VER)?;
    v.type_code = v.u16(TYPE)?;
    let type_code = v.type_code;
    if version != PROTOCOL_VERSION {
        return Err(InvalidFrame::UnsupportedVersion { version });
    }
    let header = decode_header(&v)?;
    let mismatch = |expected: u64| InvalidFrame::LengthMismatch {
        type_code,
        totlen: totlen as u32,
        expected,
    };
    let check_len = |expected: u64| {
        if expected == totlen as u64 {
            Ok(())
        } else {
            Err(mismatch(expected))
        }
    };
    let Some(kind) = MessageType::from_code(type_code) else {
        // Unknown types are assumed well formed (explen = totlen).
        let data = frame.slice(DATA..);
        return Ok(BusMessage::new(
            header,
            MessageBody::Unknown { type_code, data },
        ));
    };
    let body = match kind {
        MessageType::Ping | MessageType::Pong | MessageType::Meet => {
            let body = decode_ping_body(&v, &frame)?;
            match kind {
                MessageType::Ping => MessageBody::Ping(body),
                MessageType::Pong => MessageBody::Pong(body),
                _ => MessageBody::Meet(body),
            }
        }
        MessageType::Fail => {
            check_len((DATA + FAIL_BODY_LEN) as u64)?;
            MessageBody::Fail {
                node_id: v.node_id(DATA)?,
            }
        }
        MessageType::Publish | MessageType::PublishShard => {
            // Redis sums these in 32 bits (and could wrap); we never do. Without room
            // for the two length fields Redis would read them past the frame.
            if totlen < DATA + PUBLISH_FIXED_LEN {
                return Err(mismatch((DATA + PUBLISH_FIXED_LEN) as u64));
            }
            let channel_len = u64::from(v.u32(DATA)?);
            let message_len = u64::from(v.u32(DATA + 4)?);
            let fixed = (DATA + PUBLISH_FIXED_LEN) as u64;
            check_len(fixed + channel_len + message_len)?;
            let channel_end = DATA + PUBLISH_FIXED_LEN + channel_len as usize;
            let body = PublishBody {
                channel: frame.slice(DATA + PUBLISH_FIXED_LEN..channel_end),
                message: frame.slice(channel_end..),
            };
            if kind == MessageType::Publish {
                MessageBody::Publish(body)
            } else {
                MessageBody::PublishShard(body)
            }
        }
        MessageType::FailoverAuthRequest | MessageType::FailoverAuthAck | MessageType::MfStart => {
            check_len(DATA as u64)?;
            match kind {
                MessageType::FailoverAuthRequest => MessageBody::FailoverAuthRequest,
                MessageType::FailoverAuthAck => MessageBody::FailoverAuthAck,
                _ => MessageBody::MfStart,
            }
        }
        MessageType::Update => {
            check_len((DATA + UPDATE_BODY_LEN) as u64)?;
            MessageBody::Update(UpdateBody {
                config_epoch: v.u64(DATA)?,
                node_id: v.node_id(DATA + 8)?,
                slots: SlotBitmap::from_bytes(&v.array::<SLOT_BITMAP_LEN>(DATA + 48)?),
            })
        }
        MessageType::Module => {
            if totlen < DATA + MODULE_FIXED_LEN {
                return Err(mismatch((DATA + MODULE_FIXED_LEN) as u64));
            }
            let payload_len = u64::from(v.u32(DATA + 8)?);
            check_len((DATA + MODULE_FIXED_LEN) as u64 + payload_len)?;
            MessageBody::Module(ModuleBody {
                module_id: v.array::<8>(DATA)?,
                module_type: v.u8(DATA + 12)?,
                payload: frame.slice(DATA + MODULE_FIXED_LEN..),
            })
        }
    };
    Ok(BusMessage::new(header, body))
}

fn decode_header(v: &View<'_>) -> Result<Header, InvalidFrame> {
    let primary_id = v.node_id(SLAVEOF)?;
    let mut mflags = v.array::<3>(MFLAGS)?;
    mflags[0] &= !MessageFlags::EXT_DATA;
    Ok(Header {
        port: v.u16(PORT)?,
        current_epoch: v.u64(CURRENT_EPOCH)?,
        config_epoch: v.u64(CONFIG_EPOCH)?,
        replication_offset: v.u64(OFFSET)?,
        sender_id: v.node_id(SENDER)?,
        slots: SlotBitmap::from_bytes(&v.array::<SLOT_BITMAP_LEN>(MYSLOTS)?),
        // Redis compares against CLUSTER_NODE_NULL_NAME (all zero) to tell a primary.
        primary_id: (!primary_id.is_null()).then_some(primary_id),
        announced_ip: IpField::from_raw(v.array::<IP_FIELD_LEN>(MYIP)?),
        plaintext_port: v.u16(PPORT)?,
        bus_port: v.u16(CPORT)?,
        flags: NodeFlags(v.u16(FLAGS)?),
        state: WireClusterState::from_byte(v.u8(STATE)?),
        mflags: MessageFlags(mflags),
    })
}

/// PING/PONG/MEET: gossip, then extensions validated exactly like Redis 7.0 when
/// `EXT_DATA` is set. Without `EXT_DATA` the extension section is not part of the
/// frame (Redis does not count it in the expected length), so none are decoded.
fn decode_ping_body(v: &View<'_>, frame: &Bytes) -> Result<PingBody, InvalidFrame> {
    let totlen = frame.len();
    let type_code = v.type_code;
    let count = usize::from(v.u16(COUNT)?);
    let gossip_end = DATA + GOSSIP_LEN * count;
    if gossip_end > totlen {
        return Err(InvalidFrame::LengthMismatch {
            type_code,
            totlen: totlen as u32,
            expected: gossip_end as u64,
        });
    }
    let mut gossip = Vec::with_capacity(count);
    for i in 0..count {
        gossip.push(decode_gossip(v, DATA + GOSSIP_LEN * i)?);
    }
    let mut extensions = Vec::new();
    let mut pos = gossip_end;
    let ext_data = v.u8(MFLAGS)? & MessageFlags::EXT_DATA != 0;
    if ext_data {
        let ext_count = v.u16(EXTENSIONS)?;
        let overflow = InvalidFrame::ExtensionOverflow {
            type_code,
            totlen: totlen as u32,
        };
        for _ in 0..ext_count {
            // Redis reads the extension header even past totlen (out of its frame);
            // we cannot, so a missing header is an overflow.
            if totlen - pos < EXT_HEADER_LEN {
                return Err(overflow);
            }
            let ext_len = v.u32(pos)?;
            // Redis 7.0 stores the length in a uint16_t for validation but walks with
            // the full u32; a length ≥ 64 KiB cannot be followed consistently, and a
            // zero length would not advance, so both are rejected here.
            if ext_len % 8 != 0 || ext_len == 0 {
                return Err(InvalidFrame::ExtensionPadding { type_code, ext_len });
            }
            if ext_len > u32::from(u16::MAX) || (totlen - pos) < ext_len as usize {
                return Err(overflow);
            }
            let ext_len = ext_len as usize;
            let ext_type = v.u16(pos + 4)?;
            let data = frame.slice(pos + EXT_HEADER_LEN..pos + ext_len);
            extensions.push(if ext_type == EXT_TYPE_HOSTNAME {
                // The hostname is a C string: it ends at the first NUL.
                let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                PingExtension::Hostname(data.slice(..end))
            } else {
                PingExtension::Unknown { ext_type, data }
            });
            pos += ext_len;
        }
    }
    if pos != totlen {
        return Err(InvalidFrame::LengthMismatch {
            type_code,
            totlen: totlen as u32,
            expected: pos as u64,
        });
    }
    Ok(PingBody { gossip, extensions })
}

fn decode_gossip(v: &View<'_>, at: usize) -> Result<GossipEntry, InvalidFrame> {
    Ok(GossipEntry {
        node_id: v.node_id(at + GOSSIP_NODENAME)?,
        ping_sent_s: v.u32(at + GOSSIP_PING_SENT)?,
        pong_received_s: v.u32(at + GOSSIP_PONG_RECEIVED)?,
        ip: IpField::from_raw(v.array::<IP_FIELD_LEN>(at + GOSSIP_IP)?),
        port: v.u16(at + GOSSIP_PORT)?,
        bus_port: v.u16(at + GOSSIP_CPORT)?,
        flags: NodeFlags(v.u16(at + GOSSIP_FLAGS)?),
        plaintext_port: v.u16(at + GOSSIP_PPORT)?,
    })
}

// ---------------------------------------------------------------------------
// Streaming reader
// ---------------------------------------------------------------------------

/// Accumulates bytes from one bus link and yields complete frames.
///
/// Feed it with [`push`](Self::push) and drain it with
/// [`next_frame`](Self::next_frame) until that returns `Ok(None)`. After a
/// [`LinkError`] the link must be closed; the reader stays failed and drops input.
/// Memory grows only with bytes actually pushed, and a frame whose `totlen` exceeds
/// the cap fails as soon as its first 8 bytes are in.
#[derive(Debug)]
pub struct FrameReader {
    buf: BytesMut,
    max_frame_len: usize,
    failed: Option<LinkError>,
}

impl Default for FrameReader {
    fn default() -> Self {
        FrameReader::new()
    }
}

impl FrameReader {
    /// A reader with [`DEFAULT_MAX_FRAME_LEN`].
    pub fn new() -> FrameReader {
        FrameReader::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A reader with a custom cap (raised to at least the 4352-byte
    /// `sizeof(clusterMsg)`, so every fixed-size message fits).
    pub fn with_max_frame_len(max_frame_len: usize) -> FrameReader {
        FrameReader {
            buf: BytesMut::new(),
            max_frame_len: max_frame_len.max(MAX_FIXED_MESSAGE_LEN),
            failed: None,
        }
    }

    /// Appends bytes received from the link (ignored once the reader has failed).
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes buffered but not yet returned as frames.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// How many more bytes complete the current frame (or its 8-byte prefix);
    /// reading at most this much mirrors Redis's `readlen` and keeps memory tight.
    /// Zero once the reader has failed.
    pub fn bytes_wanted(&self) -> usize {
        match self.peek_frame_len() {
            Ok(Some(totlen)) => totlen.saturating_sub(self.buf.len()).max(1),
            Ok(None) => 8 - self.buf.len(),
            Err(_) => 0,
        }
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed, or the error
    /// that means "close this link".
    pub fn next_frame(&mut self) -> Result<Option<Frame>, LinkError> {
        let totlen = match self.peek_frame_len() {
            Ok(Some(totlen)) => totlen,
            Ok(None) => return Ok(None),
            Err(err) => {
                if self.failed.is_none() {
                    self.failed = Some(err.clone());
                    self.buf = BytesMut::new();
                }
                return Err(err);
            }
        };
        if self.buf.len() < totlen {
            return Ok(None);
        }
        let frame = self.buf.split_to(totlen).freeze();
        if self.buf.is_empty() {
            // Give back a large buffer once a big frame has been consumed.
            self.buf = BytesMut::new();
        }
        Ok(Some(match decode_checked(frame) {
            Ok(msg) => Frame::Message(msg),
            Err(reason) => Frame::Ignored(reason),
        }))
    }

    /// `totlen` of the frame at the head of the buffer once its prefix is in.
    fn peek_frame_len(&self) -> Result<Option<usize>, LinkError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let Some(prefix) = self.buf.get(..8).and_then(|p| <[u8; 8]>::try_from(p).ok()) else {
            return Ok(None);
        };
        check_prefix(&prefix, self.max_frame_len).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::message::CLUSTER_SLOTS;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn id(c: u8) -> NodeId {
        NodeId::from_bytes([c; NODE_ID_LEN])
    }

    fn header() -> Header {
        Header {
            port: 7000,
            current_epoch: 7,
            config_epoch: 3,
            replication_offset: 12345,
            sender_id: id(b'a'),
            slots: SlotBitmap::from_range(0..=5460),
            primary_id: None,
            announced_ip: IpField::UNSET,
            plaintext_port: 0,
            bus_port: 17000,
            flags: NodeFlags::MYSELF | NodeFlags::PRIMARY,
            state: WireClusterState::Ok,
            mflags: MessageFlags::default(),
        }
    }

    fn gossip(c: u8) -> GossipEntry {
        GossipEntry {
            node_id: id(c),
            ping_sent_s: 1_700_000_000,
            pong_received_s: 1_700_000_001,
            ip: IpField::new("127.0.0.1").unwrap_or_default(),
            port: 7001,
            bus_port: 17001,
            flags: NodeFlags::PRIMARY,
            plaintext_port: 0,
        }
    }

    fn sample_bodies() -> Vec<MessageBody> {
        let ping = PingBody::new(vec![gossip(b'b'), gossip(b'c')]).with_hostname("host-a");
        vec![
            MessageBody::Ping(ping.clone()),
            MessageBody::Pong(PingBody::default()),
            MessageBody::Meet(ping),
            MessageBody::Fail { node_id: id(b'b') },
            MessageBody::Publish(PublishBody {
                channel: Bytes::from_static(b"news"),
                message: Bytes::from_static(b"hello"),
            }),
            MessageBody::FailoverAuthRequest,
            MessageBody::FailoverAuthAck,
            MessageBody::Update(UpdateBody {
                config_epoch: 9,
                node_id: id(b'c'),
                slots: SlotBitmap::from_range(100..=200),
            }),
            MessageBody::MfStart,
            MessageBody::Module(ModuleBody {
                module_id: 0x0102_0304_0506_0708u64.to_ne_bytes(),
                module_type: 5,
                payload: Bytes::from_static(b"xyz"),
            }),
            MessageBody::PublishShard(PublishBody {
                channel: Bytes::from_static(b""),
                message: Bytes::from_static(b"m"),
            }),
            MessageBody::Unknown {
                type_code: 11,
                data: Bytes::from_static(b"anything"),
            },
        ]
    }

    /// Independent length formula from the reference table §5.3.
    fn expected_len(body: &MessageBody) -> usize {
        match body {
            MessageBody::Ping(b) | MessageBody::Pong(b) | MessageBody::Meet(b) => {
                let ext: usize = b
                    .extensions
                    .iter()
                    .map(|e| match e {
                        PingExtension::Hostname(h) => 8 + (h.len() + 1).div_ceil(8) * 8,
                        PingExtension::Unknown { data, .. } => 8 + data.len(),
                    })
                    .sum();
                2256 + 104 * b.gossip.len() + ext
            }
            MessageBody::Fail { .. } => 2296,
            MessageBody::Publish(p) | MessageBody::PublishShard(p) => {
                2264 + p.channel.len() + p.message.len()
            }
            MessageBody::FailoverAuthRequest
            | MessageBody::FailoverAuthAck
            | MessageBody::MfStart => 2256,
            MessageBody::Update(_) => 4352,
            MessageBody::Module(m) => 2269 + m.payload.len(),
            MessageBody::Unknown { data, .. } => 2256 + data.len(),
        }
    }

    fn be16(buf: &[u8], at: usize) -> u16 {
        u16::from_be_bytes([buf[at], buf[at + 1]])
    }

    fn be32(buf: &[u8], at: usize) -> u32 {
        u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
    }

    fn set_be32(buf: &mut [u8], at: usize, v: u32) {
        buf[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }

    fn reader_frames(bytes: &[u8]) -> Vec<Frame> {
        let mut reader = FrameReader::new();
        reader.push(bytes);
        let mut out = Vec::new();
        while let Some(frame) = reader.next_frame().expect("link ok") {
            out.push(frame);
        }
        assert_eq!(reader.buffered_len(), 0);
        out
    }

    #[test]
    fn every_type_round_trips_with_reference_length() {
        for body in sample_bodies() {
            let msg = BusMessage::new(header(), body.clone());
            let bytes = encode(&msg);
            assert_eq!(bytes.len(), expected_len(&body), "{body:?}");
            assert_eq!(be32(&bytes, 4) as usize, bytes.len());
            assert_eq!(&bytes[..4], b"RCmb");
            assert_eq!(be16(&bytes, 8), 1);
            assert_eq!(be16(&bytes, 12), body.type_code());
            assert_eq!(decode(&bytes), Ok(msg.clone()));
            assert_eq!(reader_frames(&bytes), vec![Frame::Message(msg)]);
        }
    }

    #[test]
    fn ping_framing_fields() {
        let body = PingBody::new(vec![gossip(b'b'), gossip(b'c')]).with_hostname("host-a");
        let bytes = encode(&BusMessage::new(header(), MessageBody::Ping(body)));
        assert_eq!(be16(&bytes, 14), 2, "count");
        assert_eq!(be16(&bytes, 2214), 1, "extensions");
        assert_eq!(bytes[2253] & 0x04, 0x04, "EXT_DATA");
        let ext = 2256 + 2 * 104;
        assert_eq!(be32(&bytes, ext), 16, "8 + roundup8(len(host-a)+1)");
        assert_eq!(be16(&bytes, ext + 4), 0, "HOSTNAME type");
        assert_eq!(&bytes[ext + 8..ext + 16], b"host-a\0\0");
        // Gossip entry layout (§5.4).
        let g = 2256;
        assert_eq!(&bytes[g..g + 40], &[b'b'; 40]);
        assert_eq!(be32(&bytes, g + 40), 1_700_000_000);
        assert_eq!(be32(&bytes, g + 44), 1_700_000_001);
        assert_eq!(&bytes[g + 48..g + 58], b"127.0.0.1\0");
        assert_eq!(be16(&bytes, g + 94), 7001);
        assert_eq!(be16(&bytes, g + 96), 17001);
        assert_eq!(be16(&bytes, g + 98), 1);
        assert_eq!(be16(&bytes, g + 100), 0);
        // No extension: no EXT_DATA, even if the caller set the bit.
        let mut h = header();
        h.mflags.0[0] = 0xff;
        let plain = encode(&BusMessage::new(h, MessageBody::Pong(PingBody::default())));
        assert_eq!(plain[2253], 0xfb);
        assert_eq!(be16(&plain, 2214), 0);
    }

    #[test]
    fn module_id_is_raw_bytes() {
        let body = ModuleBody {
            module_id: *b"\x01\x02\x03\x04\x05\x06\x07\x08",
            module_type: 9,
            payload: Bytes::from_static(b"p"),
        };
        let bytes = encode(&BusMessage::new(header(), MessageBody::Module(body)));
        assert_eq!(&bytes[2256..2264], b"\x01\x02\x03\x04\x05\x06\x07\x08");
        assert_eq!(be32(&bytes, 2264), 1);
        assert_eq!(bytes[2268], 9);
        assert_eq!(&bytes[2269..], b"p");
    }

    #[test]
    fn replica_header_carries_primary_id() {
        let mut h = header();
        h.primary_id = Some(id(b'f'));
        let bytes = encode(&BusMessage::new(h.clone(), MessageBody::MfStart));
        assert_eq!(&bytes[2128..2168], &[b'f'; 40]);
        assert_eq!(decode(&bytes).map(|m| m.header), Ok(h));
    }

    #[test]
    fn bad_signature_closes_link_after_8_bytes() {
        let mut reader = FrameReader::new();
        reader.push(b"RCmx");
        assert_eq!(reader.next_frame(), Ok(None));
        assert_eq!(reader.bytes_wanted(), 4);
        reader.push(&4352u32.to_be_bytes());
        let err = reader.next_frame();
        assert_eq!(err, Err(LinkError::BadSignature { found: *b"RCmx" }));
        assert_eq!(
            err.map_err(|e| e.to_string().starts_with("Bad message length or signature")),
            Err(true)
        );
        // The reader stays failed and does not buffer anything more.
        reader.push(&[0; 10_000]);
        assert_eq!(reader.buffered_len(), 0);
        assert_eq!(reader.bytes_wanted(), 0);
        assert!(reader.next_frame().is_err());
    }

    #[test]
    fn short_totlen_closes_link() {
        let mut bytes = encode(&BusMessage::new(header(), MessageBody::MfStart));
        set_be32(&mut bytes, 4, 2255);
        let mut reader = FrameReader::new();
        reader.push(&bytes[..8]);
        assert_eq!(
            reader.next_frame(),
            Err(LinkError::TooShort { totlen: 2255 })
        );
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::Link(LinkError::TooShort { totlen: 2255 }))
        );
    }

    #[test]
    fn oversized_frame_fails_before_buffering_it() {
        let mut reader = FrameReader::with_max_frame_len(10_000);
        let mut prefix = b"RCmb".to_vec();
        prefix.extend_from_slice(&10_001u32.to_be_bytes());
        reader.push(&prefix);
        assert_eq!(
            reader.next_frame(),
            Err(LinkError::TooLarge {
                totlen: 10_001,
                max_frame_len: 10_000
            })
        );
        // The cap never drops below sizeof(clusterMsg).
        let update = encode(&BusMessage::new(
            header(),
            MessageBody::Update(UpdateBody::default()),
        ));
        let mut small = FrameReader::with_max_frame_len(0);
        small.push(&update);
        assert!(matches!(small.next_frame(), Ok(Some(Frame::Message(_)))));
    }

    #[test]
    fn huge_totlen_only_grows_with_received_bytes() {
        let mut reader = FrameReader::new();
        let mut prefix = b"RCmb".to_vec();
        prefix.extend_from_slice(&(512u32 * 1024 * 1024).to_be_bytes());
        reader.push(&prefix);
        assert_eq!(reader.next_frame(), Ok(None));
        assert_eq!(reader.buffered_len(), 8);
        assert_eq!(reader.bytes_wanted(), 512 * 1024 * 1024 - 8);
    }

    #[test]
    fn wrong_version_is_ignored_and_link_continues() {
        let msg = BusMessage::new(header(), MessageBody::FailoverAuthAck);
        let good = encode(&msg);
        let mut bad = good.clone();
        bad[8..10].copy_from_slice(&2u16.to_be_bytes());
        let mut stream = bad.clone();
        stream.extend_from_slice(&good);
        assert_eq!(
            reader_frames(&stream),
            vec![
                Frame::Ignored(InvalidFrame::UnsupportedVersion { version: 2 }),
                Frame::Message(msg)
            ]
        );
        assert_eq!(
            decode(&bad),
            Err(DecodeError::Invalid(InvalidFrame::UnsupportedVersion {
                version: 2
            }))
        );
    }

    #[test]
    fn fixed_size_types_with_wrong_totlen_are_ignored() {
        for (body, right) in [
            (MessageBody::Fail { node_id: id(b'x') }, 2296u64),
            (MessageBody::FailoverAuthRequest, 2256),
            (MessageBody::FailoverAuthAck, 2256),
            (MessageBody::MfStart, 2256),
            (MessageBody::Update(UpdateBody::default()), 4352),
        ] {
            let type_code = body.type_code();
            let mut bytes = encode(&BusMessage::new(header(), body));
            bytes.extend_from_slice(&[0; 8]);
            let totlen = bytes.len() as u32;
            set_be32(&mut bytes, 4, totlen);
            assert_eq!(
                reader_frames(&bytes),
                vec![Frame::Ignored(InvalidFrame::LengthMismatch {
                    type_code,
                    totlen,
                    expected: right
                })]
            );
        }
        // A FAIL cut to the bare header is ignored, not a panic.
        let mut fail = encode(&BusMessage::new(
            header(),
            MessageBody::Fail { node_id: id(b'x') },
        ));
        fail.truncate(2256);
        set_be32(&mut fail, 4, 2256);
        let err = decode(&fail).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("Received invalid fail packet of length 2256 but expected length 2296".into())
        );
    }

    #[test]
    fn gossip_count_must_match_totlen() {
        let body = PingBody::new(vec![gossip(b'b')]);
        let mut bytes = encode(&BusMessage::new(header(), MessageBody::Ping(body)));
        bytes[14..16].copy_from_slice(&2u16.to_be_bytes());
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::Invalid(InvalidFrame::LengthMismatch {
                type_code: 0,
                totlen: 2360,
                expected: 2464
            }))
        );
        bytes[14..16].copy_from_slice(&0u16.to_be_bytes());
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::Invalid(InvalidFrame::LengthMismatch {
                type_code: 0,
                totlen: 2360,
                expected: 2256
            }))
        );
    }

    #[test]
    fn publish_lengths_are_checked_without_wraparound() {
        let body = PublishBody {
            channel: Bytes::from_static(b"ch"),
            message: Bytes::from_static(b"msg"),
        };
        let good = encode(&BusMessage::new(header(), MessageBody::Publish(body)));
        let mut bad = good.clone();
        set_be32(&mut bad, 2256, 3);
        assert!(matches!(
            decode(&bad),
            Err(DecodeError::Invalid(InvalidFrame::LengthMismatch {
                expected: 2270,
                ..
            }))
        ));
        // channel_len + message_len + 2264 wraps to totlen in 32-bit arithmetic:
        // Redis 7.0 would accept it and read out of bounds; we ignore it.
        let mut wrap = good.clone();
        set_be32(&mut wrap, 2256, u32::MAX);
        set_be32(&mut wrap, 2260, 6);
        assert!(matches!(
            decode(&wrap),
            Err(DecodeError::Invalid(InvalidFrame::LengthMismatch { .. }))
        ));
        // PUBLISH with no room for its two length fields.
        let mut bare = good[..2256].to_vec();
        bare[12..14].copy_from_slice(&4u16.to_be_bytes());
        set_be32(&mut bare, 4, 2256);
        assert!(matches!(
            decode(&bare),
            Err(DecodeError::Invalid(InvalidFrame::LengthMismatch {
                expected: 2264,
                ..
            }))
        ));
    }

    #[test]
    fn module_length_is_checked() {
        let body = ModuleBody {
            module_id: [0; 8],
            module_type: 1,
            payload: Bytes::from_static(b"abc"),
        };
        let mut bytes = encode(&BusMessage::new(header(), MessageBody::Module(body)));
        set_be32(&mut bytes, 2264, 4);
        assert!(matches!(
            decode(&bytes),
            Err(DecodeError::Invalid(InvalidFrame::LengthMismatch {
                expected: 2273,
                ..
            }))
        ));
    }

    fn ping_with_ext(ext_type: u16, data: &[u8]) -> Vec<u8> {
        let body = PingBody {
            gossip: vec![gossip(b'b')],
            extensions: vec![PingExtension::Unknown {
                ext_type,
                data: Bytes::copy_from_slice(data),
            }],
        };
        encode(&BusMessage::new(header(), MessageBody::Ping(body)))
    }

    #[test]
    fn unknown_extension_is_skipped_not_an_error() {
        let mut body = PingBody::new(vec![gossip(b'b')]);
        body.extensions.push(PingExtension::Unknown {
            ext_type: 3,
            data: Bytes::from_static(&[7; 40]),
        });
        body.extensions
            .push(PingExtension::Hostname(Bytes::from_static(b"h")));
        let msg = BusMessage::new(header(), MessageBody::Pong(body));
        let bytes = encode(&msg);
        assert_eq!(be16(&bytes, 2214), 2);
        let decoded = decode(&bytes).expect("valid");
        assert_eq!(decoded, msg);
        let hostname = decoded
            .body
            .ping_body()
            .and_then(PingBody::hostname)
            .cloned();
        assert_eq!(hostname, Some(Bytes::from_static(b"h")));
    }

    #[test]
    fn extension_padding_and_overflow_are_ignored() {
        let ext = 2256 + 104;
        // Length not a multiple of 8.
        let mut bytes = ping_with_ext(9, &[0; 8]);
        set_be32(&mut bytes, ext, 12);
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::Invalid(InvalidFrame::ExtensionPadding {
                type_code: 0,
                ext_len: 12
            }))
        );
        // Zero length (would never advance).
        set_be32(&mut bytes, ext, 0);
        assert!(matches!(
            decode(&bytes),
            Err(DecodeError::Invalid(InvalidFrame::ExtensionPadding {
                ext_len: 0,
                ..
            }))
        ));
        // Longer than what is left of the frame.
        set_be32(&mut bytes, ext, 24);
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::Invalid(InvalidFrame::ExtensionOverflow {
                type_code: 0,
                totlen: bytes.len() as u32
            }))
        );
        // 64 KiB or more: Redis 7.0 truncates to 16 bits when validating.
        set_be32(&mut bytes, ext, 0x0001_0010);
        assert!(matches!(
            decode(&bytes),
            Err(DecodeError::Invalid(InvalidFrame::ExtensionOverflow { .. }))
        ));
        // Shorter than what is left: the leftover makes totlen mismatch.
        set_be32(&mut bytes, ext, 8);
        assert!(matches!(
            decode(&bytes),
            Err(DecodeError::Invalid(InvalidFrame::LengthMismatch { .. }))
        ));
        // More extensions announced than present.
        let mut two = ping_with_ext(9, &[0; 8]);
        two[2214..2216].copy_from_slice(&2u16.to_be_bytes());
        assert!(matches!(
            decode(&two),
            Err(DecodeError::Invalid(InvalidFrame::ExtensionOverflow { .. }))
        ));
    }

    #[test]
    fn extensions_without_ext_data_flag_are_not_part_of_the_frame() {
        // Redis only walks extensions for the length check when EXT_DATA is set.
        let mut bytes = ping_with_ext(9, &[0; 8]);
        bytes[2253] &= !MessageFlags::EXT_DATA;
        assert!(matches!(
            decode(&bytes),
            Err(DecodeError::Invalid(InvalidFrame::LengthMismatch {
                expected: 2360,
                ..
            }))
        ));
        bytes.truncate(2360);
        set_be32(&mut bytes, 4, 2360);
        let msg = decode(&bytes).expect("valid without extensions");
        assert_eq!(msg.body.ping_body().map(|b| b.extensions.len()), Some(0));
    }

    #[test]
    fn hostname_stops_at_first_nul() {
        let mut bytes = ping_with_ext(EXT_TYPE_HOSTNAME, b"abc\0def\0");
        let msg = decode(&bytes).expect("valid");
        assert_eq!(
            msg.body.ping_body().and_then(PingBody::hostname).cloned(),
            Some(Bytes::from_static(b"abc"))
        );
        // No NUL at all: take the whole extension data.
        let end = bytes.len();
        bytes[end - 8..].copy_from_slice(b"abcdefgh");
        let msg = decode(&bytes).expect("valid");
        assert_eq!(
            msg.body.ping_body().and_then(PingBody::hostname).cloned(),
            Some(Bytes::from_static(b"abcdefgh"))
        );
    }

    #[test]
    fn unknown_type_is_delivered_with_header() {
        let msg = BusMessage::new(
            header(),
            MessageBody::Unknown {
                type_code: 300,
                data: Bytes::new(),
            },
        );
        let mut bytes = encode(&msg);
        bytes[14..16].copy_from_slice(&5u16.to_be_bytes()); // count is not checked
        assert_eq!(decode(&bytes), Ok(msg));
    }

    #[test]
    fn decode_requires_exact_frame() {
        let bytes = encode(&BusMessage::new(header(), MessageBody::MfStart));
        assert_eq!(decode(&bytes[..5]), Err(DecodeError::Truncated { len: 5 }));
        assert_eq!(
            decode(&bytes[..100]),
            Err(DecodeError::FrameLength {
                totlen: 2256,
                actual: 100
            })
        );
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            decode(&long),
            Err(DecodeError::FrameLength { .. })
        ));
    }

    #[test]
    fn byte_at_a_time_matches_bulk() {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for body in sample_bodies() {
            let msg = BusMessage::new(header(), body);
            stream.extend_from_slice(&encode(&msg));
            expected.push(Frame::Message(msg));
        }
        let mut reader = FrameReader::new();
        let mut got = Vec::new();
        for b in &stream {
            assert!(reader.bytes_wanted() >= 1);
            reader.push(std::slice::from_ref(b));
            while let Some(frame) = reader.next_frame().expect("link ok") {
                got.push(frame);
            }
        }
        assert_eq!(got, expected);
        assert_eq!(reader.bytes_wanted(), 8);
    }

    #[test]
    fn header_offsets_match_reference() {
        let h = Header {
            port: 0x0a0b,
            current_epoch: 0x1011_1213_1415_1617,
            config_epoch: 0x1819_1a1b_1c1d_1e1f,
            replication_offset: 0x2021_2223_2425_2627,
            sender_id: id(b's'),
            slots: [0u16, 16383].into_iter().collect(),
            primary_id: Some(id(b'p')),
            announced_ip: IpField::new("10.1.2.3").unwrap_or_default(),
            plaintext_port: 0x3031,
            bus_port: 0x3233,
            flags: NodeFlags(0x3435),
            state: WireClusterState::Fail,
            mflags: MessageFlags([0x01, 0x02, 0x03]),
        };
        let body = PingBody::default().with_hostname("x");
        let b = encode(&BusMessage::new(h, MessageBody::Pong(body)));
        assert_eq!(&b[0..4], b"RCmb");
        assert_eq!(be32(&b, 4) as usize, b.len());
        assert_eq!(be16(&b, 8), 1);
        assert_eq!(be16(&b, 10), 0x0a0b);
        assert_eq!(be16(&b, 12), 1);
        assert_eq!(be16(&b, 14), 0);
        assert_eq!(&b[16..24], &0x1011_1213_1415_1617u64.to_be_bytes());
        assert_eq!(&b[24..32], &0x1819_1a1b_1c1d_1e1fu64.to_be_bytes());
        assert_eq!(&b[32..40], &0x2021_2223_2425_2627u64.to_be_bytes());
        assert_eq!(&b[40..80], &[b's'; 40]);
        assert_eq!(b[80], 1);
        assert_eq!(b[80 + 2047], 0x80);
        assert_eq!(&b[2128..2168], &[b'p'; 40]);
        assert_eq!(&b[2168..2177], b"10.1.2.3\0");
        assert_eq!(be16(&b, 2214), 1);
        assert!(b[2216..2246].iter().all(|&x| x == 0));
        assert_eq!(be16(&b, 2246), 0x3031);
        assert_eq!(be16(&b, 2248), 0x3233);
        assert_eq!(be16(&b, 2250), 0x3435);
        assert_eq!(b[2252], 1);
        assert_eq!(&b[2253..2256], &[0x05, 0x02, 0x03]);
        assert_eq!(CLUSTER_SLOTS / 8, SLOT_BITMAP_LEN);
    }

    // ------------------------------------------------------------------
    // Property tests
    // ------------------------------------------------------------------

    fn arb_id() -> impl Strategy<Value = NodeId> {
        prop::array::uniform32(any::<u8>()).prop_flat_map(|a| {
            prop::array::uniform8(any::<u8>()).prop_map(move |b| {
                let mut out = [0u8; NODE_ID_LEN];
                out[..32].copy_from_slice(&a);
                out[32..].copy_from_slice(&b);
                NodeId::from_bytes(out)
            })
        })
    }

    fn arb_ip() -> impl Strategy<Value = IpField> {
        "[0-9a-f.:]{0,45}".prop_map(|s| IpField::new(&s).unwrap_or_default())
    }

    fn arb_slots() -> impl Strategy<Value = SlotBitmap> {
        vec(0u16..CLUSTER_SLOTS as u16, 0..20).prop_map(|v| v.into_iter().collect())
    }

    fn arb_header() -> impl Strategy<Value = Header> {
        (
            (
                any::<u16>(),
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
                arb_id(),
            ),
            (
                arb_slots(),
                prop::option::of(arb_id()),
                arb_ip(),
                any::<u16>(),
            ),
            (any::<u16>(), any::<u16>(), any::<u8>(), any::<[u8; 3]>()),
        )
            .prop_map(
                |((port, ce, cfg, off, sender), (slots, primary, ip, pport), rest)| {
                    let (cport, flags, state, mut mflags) = rest;
                    mflags[0] &= !MessageFlags::EXT_DATA;
                    Header {
                        port,
                        current_epoch: ce,
                        config_epoch: cfg,
                        replication_offset: off,
                        sender_id: sender,
                        slots,
                        primary_id: primary.filter(|p| !p.is_null()),
                        announced_ip: ip,
                        plaintext_port: pport,
                        bus_port: cport,
                        flags: NodeFlags(flags),
                        state: WireClusterState::from_byte(state),
                        mflags: MessageFlags(mflags),
                    }
                },
            )
    }

    fn arb_gossip() -> impl Strategy<Value = GossipEntry> {
        (
            arb_id(),
            any::<u32>(),
            any::<u32>(),
            arb_ip(),
            any::<[u16; 4]>(),
        )
            .prop_map(|(node_id, ping, pong, ip, [port, cport, flags, pport])| {
                GossipEntry {
                    node_id,
                    ping_sent_s: ping,
                    pong_received_s: pong,
                    ip,
                    port,
                    bus_port: cport,
                    flags: NodeFlags(flags),
                    plaintext_port: pport,
                }
            })
    }

    fn arb_bytes(max: usize) -> impl Strategy<Value = Bytes> {
        vec(any::<u8>(), 0..max).prop_map(Bytes::from)
    }

    fn arb_ext() -> impl Strategy<Value = PingExtension> {
        prop_oneof![
            vec(1u8..=255, 0..30).prop_map(|v| PingExtension::Hostname(Bytes::from(v))),
            (1u16.., vec(any::<u8>(), 0..4)).prop_map(|(ext_type, words)| {
                // Unknown extension data must keep the total a multiple of 8.
                let data: Vec<u8> = words.iter().flat_map(|&w| [w; 8]).collect();
                PingExtension::Unknown {
                    ext_type,
                    data: Bytes::from(data),
                }
            }),
        ]
    }

    fn arb_ping() -> impl Strategy<Value = PingBody> {
        (vec(arb_gossip(), 0..4), vec(arb_ext(), 0..3)).prop_map(|(g, e)| PingBody {
            gossip: g,
            extensions: e,
        })
    }

    fn arb_publish() -> impl Strategy<Value = PublishBody> {
        (arb_bytes(16), arb_bytes(64))
            .prop_map(|(channel, message)| PublishBody { channel, message })
    }

    fn arb_body() -> impl Strategy<Value = MessageBody> {
        prop_oneof![
            arb_ping().prop_map(MessageBody::Ping),
            arb_ping().prop_map(MessageBody::Pong),
            arb_ping().prop_map(MessageBody::Meet),
            arb_id().prop_map(|node_id| MessageBody::Fail { node_id }),
            arb_publish().prop_map(MessageBody::Publish),
            arb_publish().prop_map(MessageBody::PublishShard),
            Just(MessageBody::FailoverAuthRequest),
            Just(MessageBody::FailoverAuthAck),
            Just(MessageBody::MfStart),
            (any::<u64>(), arb_id(), arb_slots()).prop_map(|(config_epoch, node_id, slots)| {
                MessageBody::Update(UpdateBody {
                    config_epoch,
                    node_id,
                    slots,
                })
            }),
            (any::<[u8; 8]>(), any::<u8>(), arb_bytes(32)).prop_map(
                |(module_id, module_type, payload)| MessageBody::Module(ModuleBody {
                    module_id,
                    module_type,
                    payload,
                })
            ),
            (11u16.., arb_bytes(32))
                .prop_map(|(type_code, data)| MessageBody::Unknown { type_code, data }),
        ]
    }

    fn arb_message() -> impl Strategy<Value = BusMessage> {
        (arb_header(), arb_body()).prop_map(|(h, b)| BusMessage::new(h, b))
    }

    /// Drains `bytes` through a reader in `chunk`-sized pushes; never panics.
    fn drain(bytes: &[u8], chunk: usize) -> (Vec<Frame>, Option<LinkError>) {
        let mut reader = FrameReader::with_max_frame_len(64 * 1024);
        let mut frames = Vec::new();
        for part in bytes.chunks(chunk.max(1)) {
            reader.push(part);
            loop {
                match reader.next_frame() {
                    Ok(Some(f)) => frames.push(f),
                    Ok(None) => break,
                    Err(e) => return (frames, Some(e)),
                }
            }
        }
        (frames, None)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn prop_round_trip(msg in arb_message()) {
            let bytes = encode(&msg);
            prop_assert_eq!(bytes.len(), expected_len(&msg.body));
            let decoded = decode(&bytes);
            prop_assert_eq!(decoded.as_ref(), Ok(&msg));
            if let Ok(decoded) = decoded {
                prop_assert_eq!(encode(&decoded), bytes);
            }
        }

        #[test]
        fn prop_random_bytes_never_panic(bytes in vec(any::<u8>(), 0..3000), chunk in 1usize..600) {
            let _ = decode(&bytes);
            let _ = drain(&bytes, chunk);
            // With a valid prefix the rest is random: must be a frame or need more.
            let mut framed = b"RCmb".to_vec();
            framed.extend_from_slice(&((bytes.len() + 2264) as u32).to_be_bytes());
            framed.extend_from_slice(&[0, 1]);
            framed.extend_from_slice(&[0; 2254]);
            framed.extend_from_slice(&bytes);
            let _ = decode(&framed);
            let (frames, err) = drain(&framed, chunk);
            prop_assert!(err.is_none());
            prop_assert!(frames.len() <= 1);
        }

        #[test]
        fn prop_truncated_and_mutated_frames_never_panic(
            msg in arb_message(),
            cut in any::<prop::sample::Index>(),
            flips in vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            chunk in 1usize..5000,
        ) {
            let bytes = encode(&msg);
            let truncated = &bytes[..cut.index(bytes.len())];
            prop_assert!(decode(truncated).is_err());
            let (frames, err) = drain(truncated, chunk);
            prop_assert!(frames.is_empty() && err.is_none());

            let mut mutated = bytes.clone();
            for (at, value) in &flips {
                let i = at.index(mutated.len());
                mutated[i] = *value;
            }
            let direct = decode(&mutated);
            let (frames, _) = drain(&mutated, chunk);
            // Whatever the reader yields for a single frame agrees with decode().
            if let Some(Frame::Message(m)) = frames.first() {
                prop_assert_eq!(direct.as_ref().ok(), Some(m));
            }
            if let Ok(m) = &direct {
                // Anything accepted re-encodes to a frame that decodes the same.
                let again = decode(&encode(m));
                prop_assert_eq!(again.as_ref(), Ok(m));
            }
        }
    }
}
