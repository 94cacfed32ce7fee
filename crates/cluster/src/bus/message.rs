//! Plain data types for Redis 7.0 cluster-bus messages (reference §5: header, node
//! flags, message bodies, gossip entries, ping extensions).
//!
//! Owns: the in-memory shape of a bus message and small helpers on it (slot bitmap,
//! node ids, flag words). Must never: do I/O, read clocks, or decide protocol
//! behaviour — framing lives in `codec`, cluster logic in the state machine.
//!
//! Fields that are pure framing (`sig`, `totlen`, `ver`, `count`, `extensions`, the
//! `EXT_DATA` mflag, zero padding) are not stored: the encoder derives them from the
//! body, so a message can never disagree with its own length fields.

use std::fmt;
use std::ops::RangeInclusive;

use bytes::Bytes;

/// Number of hash slots in a cluster (`CLUSTER_SLOTS`).
pub const CLUSTER_SLOTS: usize = 16384;
/// Bytes in a slot bitmap on the wire (`CLUSTER_SLOTS / 8`).
pub const SLOT_BITMAP_LEN: usize = CLUSTER_SLOTS / 8;
/// Length of a node id on the wire (`CLUSTER_NAMELEN`), not NUL-terminated.
pub const NODE_ID_LEN: usize = 40;
/// Size of an IP string field on the wire (`NET_IP_STR_LEN`), NUL-terminated.
pub const IP_FIELD_LEN: usize = 46;

/// Redis message type codes (`CLUSTERMSG_TYPE_*`, reference §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum MessageType {
    /// `CLUSTERMSG_TYPE_PING` = 0.
    Ping = 0,
    /// `CLUSTERMSG_TYPE_PONG` = 1.
    Pong = 1,
    /// `CLUSTERMSG_TYPE_MEET` = 2.
    Meet = 2,
    /// `CLUSTERMSG_TYPE_FAIL` = 3.
    Fail = 3,
    /// `CLUSTERMSG_TYPE_PUBLISH` = 4.
    Publish = 4,
    /// `CLUSTERMSG_TYPE_FAILOVER_AUTH_REQUEST` = 5.
    FailoverAuthRequest = 5,
    /// `CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK` = 6.
    FailoverAuthAck = 6,
    /// `CLUSTERMSG_TYPE_UPDATE` = 7.
    Update = 7,
    /// `CLUSTERMSG_TYPE_MFSTART` = 8.
    MfStart = 8,
    /// `CLUSTERMSG_TYPE_MODULE` = 9.
    Module = 9,
    /// `CLUSTERMSG_TYPE_PUBLISHSHARD` = 10.
    PublishShard = 10,
}

impl MessageType {
    /// All known types, in code order.
    pub const ALL: [MessageType; 11] = [
        MessageType::Ping,
        MessageType::Pong,
        MessageType::Meet,
        MessageType::Fail,
        MessageType::Publish,
        MessageType::FailoverAuthRequest,
        MessageType::FailoverAuthAck,
        MessageType::Update,
        MessageType::MfStart,
        MessageType::Module,
        MessageType::PublishShard,
    ];

    /// The wire code.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// Maps a wire code to a type; `None` for codes ≥ 11 (`CLUSTERMSG_TYPE_COUNT`).
    pub fn from_code(code: u16) -> Option<MessageType> {
        MessageType::ALL.get(usize::from(code)).copied()
    }

    /// The name Redis uses in its logs (`clusterGetMessageTypeString`).
    pub const fn redis_name(self) -> &'static str {
        match self {
            MessageType::Ping => "ping",
            MessageType::Pong => "pong",
            MessageType::Meet => "meet",
            MessageType::Fail => "fail",
            MessageType::Publish => "publish",
            MessageType::FailoverAuthRequest => "auth-req",
            MessageType::FailoverAuthAck => "auth-ack",
            MessageType::Update => "update",
            MessageType::MfStart => "mfstart",
            MessageType::Module => "module",
            MessageType::PublishShard => "publishshard",
        }
    }
}

/// A 40-byte node id exactly as it travels on the wire.
///
/// Real ids are 40 lowercase hex characters, but the bytes are kept raw so that a
/// decoded message re-encodes byte for byte; use [`NodeId::is_valid`] to check.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId([u8; NODE_ID_LEN]);

impl NodeId {
    /// All zero bytes: `CLUSTER_NODE_NULL_NAME`, used in `slaveof` for "no primary".
    pub const NULL: NodeId = NodeId([0; NODE_ID_LEN]);

    /// Wraps raw wire bytes.
    pub const fn from_bytes(bytes: [u8; NODE_ID_LEN]) -> NodeId {
        NodeId(bytes)
    }

    /// Parses a 40-character lowercase hex id (what `CLUSTER MYID` prints).
    pub fn parse(text: &str) -> Option<NodeId> {
        let bytes: [u8; NODE_ID_LEN] = text.as_bytes().try_into().ok()?;
        let id = NodeId(bytes);
        id.is_valid().then_some(id)
    }

    /// Builds an id from 20 random bytes (hex encoded), the way Redis's
    /// `getRandomHexChars` fills a new node name. Randomness comes from the caller.
    pub fn from_random_bytes(random: [u8; NODE_ID_LEN / 2]) -> NodeId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; NODE_ID_LEN];
        for (pair, byte) in out.chunks_exact_mut(2).zip(random) {
            if let [hi, lo] = pair {
                *hi = HEX[usize::from(byte >> 4)];
                *lo = HEX[usize::from(byte & 0x0f)];
            }
        }
        NodeId(out)
    }

    /// The raw 40 bytes.
    pub const fn as_bytes(&self) -> &[u8; NODE_ID_LEN] {
        &self.0
    }

    /// True for the all-zero id.
    pub fn is_null(&self) -> bool {
        self.0 == [0; NODE_ID_LEN]
    }

    /// True when every byte is a lowercase hex digit (Redis `verifyClusterNodeId`).
    pub fn is_valid(&self) -> bool {
        self.0
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

impl Default for NodeId {
    fn default() -> Self {
        NodeId::NULL
    }
}

impl fmt::Display for NodeId {
    /// Prints the id as text; non-printable bytes are escaped as `\xNN`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, &self.0)
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId(\"{self}\")")
    }
}

fn write_escaped(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for &b in bytes {
        if b.is_ascii_graphic() {
            write!(f, "{}", char::from(b))?;
        } else {
            write!(f, "\\x{b:02x}")?;
        }
    }
    Ok(())
}

/// A 46-byte NUL-terminated IP field (`myip` in the header, `ip` in gossip).
///
/// Kept raw for byte-exact round trips. An all-zero (first byte zero) header field
/// means "use the socket's peer address" (reference §5.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpField([u8; IP_FIELD_LEN]);

impl IpField {
    /// The unset (all zero) field.
    pub const UNSET: IpField = IpField([0; IP_FIELD_LEN]);

    /// Builds a field from text; `None` if it does not fit with its NUL terminator
    /// or contains a NUL.
    pub fn new(ip: &str) -> Option<IpField> {
        let src = ip.as_bytes();
        if src.len() >= IP_FIELD_LEN || src.contains(&0) {
            return None;
        }
        let mut out = [0u8; IP_FIELD_LEN];
        out.get_mut(..src.len())?.copy_from_slice(src);
        Some(IpField(out))
    }

    /// Wraps raw wire bytes.
    pub const fn from_raw(raw: [u8; IP_FIELD_LEN]) -> IpField {
        IpField(raw)
    }

    /// The raw 46 bytes.
    pub const fn raw(&self) -> &[u8; IP_FIELD_LEN] {
        &self.0
    }

    /// The bytes before the first NUL (all 45 usable bytes if Redis's forced
    /// terminator at index 45 is missing, which is how `nodeIp2String` reads it).
    pub fn as_bytes(&self) -> &[u8] {
        let usable = &self.0[..IP_FIELD_LEN - 1];
        let end = usable.iter().position(|&b| b == 0).unwrap_or(usable.len());
        &usable[..end]
    }

    /// The address as UTF-8 text, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }

    /// True when the first byte is NUL (Redis: "announced IP not set").
    pub fn is_unset(&self) -> bool {
        self.0[0] == 0
    }
}

impl Default for IpField {
    fn default() -> Self {
        IpField::UNSET
    }
}

impl fmt::Debug for IpField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IpField(\"")?;
        write_escaped(f, self.as_bytes())?;
        f.write_str("\")")
    }
}

/// The 16384-bit slot bitmap (`myslots`, UPDATE `slots`), LSB-first per byte:
/// slot `s` is bit `s & 7` of byte `s / 8` (reference §0.4).
///
/// Boxed so that headers and message bodies stay small to move around.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SlotBitmap(Box<[u8; SLOT_BITMAP_LEN]>);

impl SlotBitmap {
    /// An empty bitmap.
    pub fn new() -> SlotBitmap {
        SlotBitmap(Box::new([0; SLOT_BITMAP_LEN]))
    }

    /// Wraps raw wire bytes.
    pub fn from_bytes(bytes: &[u8; SLOT_BITMAP_LEN]) -> SlotBitmap {
        SlotBitmap(Box::new(*bytes))
    }

    /// A bitmap with every slot in `range` set (out-of-range slots are ignored).
    pub fn from_range(range: RangeInclusive<u16>) -> SlotBitmap {
        let mut map = SlotBitmap::new();
        map.set_range(range);
        map
    }

    /// The raw wire bytes.
    pub fn as_bytes(&self) -> &[u8; SLOT_BITMAP_LEN] {
        &self.0
    }

    /// True if `slot` is set; slots ≥ 16384 are never set.
    pub fn get(&self, slot: u16) -> bool {
        match self.0.get(usize::from(slot / 8)) {
            Some(byte) => byte & (1 << (slot & 7)) != 0,
            None => false,
        }
    }

    /// Sets `slot`; slots ≥ 16384 are ignored.
    pub fn set(&mut self, slot: u16) {
        if let Some(byte) = self.0.get_mut(usize::from(slot / 8)) {
            *byte |= 1 << (slot & 7);
        }
    }

    /// Clears `slot`; slots ≥ 16384 are ignored.
    pub fn clear(&mut self, slot: u16) {
        if let Some(byte) = self.0.get_mut(usize::from(slot / 8)) {
            *byte &= !(1 << (slot & 7));
        }
    }

    /// Sets every slot in `range` (the part ≥ 16384 is ignored).
    pub fn set_range(&mut self, range: RangeInclusive<u16>) {
        for slot in range {
            if usize::from(slot) >= CLUSTER_SLOTS {
                break;
            }
            self.set(slot);
        }
    }

    /// Number of set slots.
    pub fn count(&self) -> usize {
        self.0.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// True when no slot is set.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }

    /// Set slots in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..CLUSTER_SLOTS as u16).filter(move |&slot| self.get(slot))
    }

    /// Maximal runs of set slots, ascending (what `CLUSTER NODES` prints as
    /// `start-end` tokens).
    pub fn ranges(&self) -> Vec<RangeInclusive<u16>> {
        let mut out = Vec::new();
        let mut start: Option<u16> = None;
        for slot in 0..CLUSTER_SLOTS as u16 {
            match (self.get(slot), start) {
                (true, None) => start = Some(slot),
                (false, Some(s)) => {
                    out.push(s..=slot - 1);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            out.push(s..=(CLUSTER_SLOTS - 1) as u16);
        }
        out
    }
}

impl Default for SlotBitmap {
    fn default() -> Self {
        SlotBitmap::new()
    }
}

impl FromIterator<u16> for SlotBitmap {
    fn from_iter<I: IntoIterator<Item = u16>>(iter: I) -> Self {
        let mut map = SlotBitmap::new();
        for slot in iter {
            map.set(slot);
        }
        map
    }
}

impl fmt::Debug for SlotBitmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlotBitmap[")?;
        for (i, r) in self.ranges().iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if r.start() == r.end() {
                write!(f, "{}", r.start())?;
            } else {
                write!(f, "{}-{}", r.start(), r.end())?;
            }
        }
        f.write_str("]")
    }
}

/// Node flag word (`CLUSTER_NODE_*`, reference §5.2), used in the header and in
/// every gossip entry. Unknown bits are preserved.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NodeFlags(pub u16);

impl NodeFlags {
    /// No flags.
    pub const NONE: NodeFlags = NodeFlags(0);
    /// `CLUSTER_NODE_MASTER` (wire name "master").
    pub const PRIMARY: NodeFlags = NodeFlags(0x0001);
    /// `CLUSTER_NODE_SLAVE` (wire name "slave").
    pub const REPLICA: NodeFlags = NodeFlags(0x0002);
    /// `CLUSTER_NODE_PFAIL`: possibly failing (local opinion).
    pub const PFAIL: NodeFlags = NodeFlags(0x0004);
    /// `CLUSTER_NODE_FAIL`: confirmed failing.
    pub const FAIL: NodeFlags = NodeFlags(0x0008);
    /// `CLUSTER_NODE_MYSELF`: set by a real node on its own header flags.
    pub const MYSELF: NodeFlags = NodeFlags(0x0010);
    /// `CLUSTER_NODE_HANDSHAKE`: first contact not completed yet.
    pub const HANDSHAKE: NodeFlags = NodeFlags(0x0020);
    /// `CLUSTER_NODE_NOADDR`: address unknown.
    pub const NOADDR: NodeFlags = NodeFlags(0x0040);
    /// `CLUSTER_NODE_MEET`: send MEET instead of PING on the next connect.
    pub const MEET: NodeFlags = NodeFlags(0x0080);
    /// `CLUSTER_NODE_MIGRATE_TO`: primary eligible for replica migration.
    pub const MIGRATE_TO: NodeFlags = NodeFlags(0x0100);
    /// `CLUSTER_NODE_NOFAILOVER`: replica never fails over.
    pub const NOFAILOVER: NodeFlags = NodeFlags(0x0200);

    const NAMES: [(NodeFlags, &'static str); 10] = [
        (NodeFlags::PRIMARY, "master"),
        (NodeFlags::REPLICA, "slave"),
        (NodeFlags::PFAIL, "fail?"),
        (NodeFlags::FAIL, "fail"),
        (NodeFlags::MYSELF, "myself"),
        (NodeFlags::HANDSHAKE, "handshake"),
        (NodeFlags::NOADDR, "noaddr"),
        (NodeFlags::MEET, "meet"),
        (NodeFlags::MIGRATE_TO, "migrate_to"),
        (NodeFlags::NOFAILOVER, "nofailover"),
    ];

    /// True if every bit of `other` is set.
    pub const fn contains(self, other: NodeFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if any bit of `other` is set.
    pub const fn intersects(self, other: NodeFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Sets the bits of `other`.
    pub fn insert(&mut self, other: NodeFlags) {
        self.0 |= other.0;
    }

    /// Clears the bits of `other`.
    pub fn remove(&mut self, other: NodeFlags) {
        self.0 &= !other.0;
    }
}

impl std::ops::BitOr for NodeFlags {
    type Output = NodeFlags;
    fn bitor(self, rhs: NodeFlags) -> NodeFlags {
        NodeFlags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for NodeFlags {
    fn bitor_assign(&mut self, rhs: NodeFlags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for NodeFlags {
    /// Prints the flags with the names `CLUSTER NODES` uses, e.g. `myself,master`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        let mut first = true;
        f.write_str("NodeFlags(")?;
        for (flag, name) in NodeFlags::NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
                rest &= !flag.0;
            }
        }
        if rest != 0 {
            if !first {
                f.write_str(",")?;
            }
            write!(f, "{rest:#06x}")?;
        }
        f.write_str(")")
    }
}

/// The three `mflags` bytes of the header (reference §5.1).
///
/// `mflags[0]` bit 0x04 (`EXT_DATA`) is framing: the encoder sets it exactly when a
/// PING/PONG/MEET carries extensions and the decoder clears it, so it never shows up
/// here. All other bits are preserved as received.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MessageFlags(pub [u8; 3]);

impl MessageFlags {
    /// `CLUSTERMSG_FLAG0_PAUSED`: primary paused for a manual failover.
    pub const PAUSED: u8 = 0x01;
    /// `CLUSTERMSG_FLAG0_FORCEACK`: give the vote even though the primary is up.
    pub const FORCE_ACK: u8 = 0x02;
    /// `CLUSTERMSG_FLAG0_EXT_DATA`: ping extensions present (codec-managed).
    pub const EXT_DATA: u8 = 0x04;

    /// True if `PAUSED` is set.
    pub const fn paused(self) -> bool {
        self.0[0] & Self::PAUSED != 0
    }

    /// True if `FORCEACK` is set.
    pub const fn force_ack(self) -> bool {
        self.0[0] & Self::FORCE_ACK != 0
    }

    /// Sets or clears `PAUSED`.
    pub fn set_paused(&mut self, on: bool) {
        self.set_bit(Self::PAUSED, on);
    }

    /// Sets or clears `FORCEACK`.
    pub fn set_force_ack(&mut self, on: bool) {
        self.set_bit(Self::FORCE_ACK, on);
    }

    fn set_bit(&mut self, bit: u8, on: bool) {
        if on {
            self.0[0] |= bit;
        } else {
            self.0[0] &= !bit;
        }
    }
}

impl fmt::Debug for MessageFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MessageFlags(paused={}, force_ack={}, raw={:02x?})",
            self.paused(),
            self.force_ack(),
            self.0
        )
    }
}

/// The header `state` byte: the sender's view of the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WireClusterState {
    /// 0, `CLUSTER_OK`.
    #[default]
    Ok,
    /// 1, `CLUSTER_FAIL`.
    Fail,
    /// Any other byte (kept for round trips; Redis never sends one).
    Other(u8),
}

impl WireClusterState {
    /// Maps the wire byte.
    pub const fn from_byte(byte: u8) -> WireClusterState {
        match byte {
            0 => WireClusterState::Ok,
            1 => WireClusterState::Fail,
            other => WireClusterState::Other(other),
        }
    }

    /// The wire byte.
    pub const fn to_byte(self) -> u8 {
        match self {
            WireClusterState::Ok => 0,
            WireClusterState::Fail => 1,
            WireClusterState::Other(b) => b,
        }
    }
}

/// The fixed 2256-byte header shared by every message (`clusterMsg`, reference
/// §5.1), minus the framing fields the encoder computes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Header {
    /// Wire `port`: announced client port (the TLS port when `tls-cluster` is on).
    pub port: u16,
    /// Wire `currentEpoch`.
    pub current_epoch: u64,
    /// Wire `configEpoch`: the sender's, or its primary's when it is a replica.
    pub config_epoch: u64,
    /// Wire `offset`: replication offset.
    pub replication_offset: u64,
    /// Wire `sender`.
    pub sender_id: NodeId,
    /// Wire `myslots`: slots of the sender (of its primary when it is a replica).
    pub slots: SlotBitmap,
    /// Wire `slaveof`: `None` when the 40 bytes are all zero (the sender is a primary).
    pub primary_id: Option<NodeId>,
    /// Wire `myip`: announced IP, unset = "use the socket peer address".
    pub announced_ip: IpField,
    /// Wire `pport`: plaintext client port when `tls-cluster` is on, else 0.
    pub plaintext_port: u16,
    /// Wire `cport`: announced cluster-bus port.
    pub bus_port: u16,
    /// Wire `flags`: the sender's own flag word (includes MYSELF on real nodes).
    pub flags: NodeFlags,
    /// Wire `state`.
    pub state: WireClusterState,
    /// Wire `mflags` (without the codec-managed `EXT_DATA` bit).
    pub mflags: MessageFlags,
}

impl Header {
    /// A header from `sender_id` with every other field zero/empty.
    pub fn new(sender_id: NodeId) -> Header {
        Header {
            sender_id,
            ..Header::default()
        }
    }
}

/// One gossip entry (`clusterMsgDataGossip`, 104 bytes, reference §5.4).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GossipEntry {
    /// Wire `nodename`.
    pub node_id: NodeId,
    /// Wire `ping_sent`, in **seconds** (the sender's ms value / 1000).
    pub ping_sent_s: u32,
    /// Wire `pong_received`, in **seconds**.
    pub pong_received_s: u32,
    /// Wire `ip`.
    pub ip: IpField,
    /// Wire `port`: client port.
    pub port: u16,
    /// Wire `cport`: bus port.
    pub bus_port: u16,
    /// Wire `flags`: the node's flags as the sender sees them.
    pub flags: NodeFlags,
    /// Wire `pport`: plaintext port (TLS setups), else 0.
    pub plaintext_port: u16,
}

impl GossipEntry {
    /// An entry about `node_id` with every other field zero.
    pub fn new(node_id: NodeId) -> GossipEntry {
        GossipEntry {
            node_id,
            ..GossipEntry::default()
        }
    }
}

/// Ping extension type code of HOSTNAME, the only type Redis 7.0 knows.
pub const EXT_TYPE_HOSTNAME: u16 = 0;

/// One ping extension (reference §5.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PingExtension {
    /// Type 0: the sender's announced hostname (bytes before the NUL; the encoder
    /// adds the NUL and zero padding to a multiple of 8).
    Hostname(Bytes),
    /// Any other type (7.2's human-nodename/forgotten-node/shard-id, or garbage):
    /// Redis 7.0 logs and skips it. `data` is everything after the 8-byte extension
    /// header, padding included, so it re-encodes byte for byte.
    Unknown {
        /// Wire `type`.
        ext_type: u16,
        /// Extension payload after the 8-byte extension header.
        data: Bytes,
    },
}

/// Body of PING, PONG and MEET.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PingBody {
    /// Gossip section (`count` entries on the wire).
    pub gossip: Vec<GossipEntry>,
    /// Ping extensions, in wire order.
    pub extensions: Vec<PingExtension>,
}

impl PingBody {
    /// A body with these gossip entries and no extensions.
    pub fn new(gossip: Vec<GossipEntry>) -> PingBody {
        PingBody {
            gossip,
            extensions: Vec::new(),
        }
    }

    /// Adds a HOSTNAME extension (builder style).
    pub fn with_hostname(mut self, hostname: impl Into<Bytes>) -> PingBody {
        self.extensions
            .push(PingExtension::Hostname(hostname.into()));
        self
    }

    /// The hostname a 7.0 receiver would adopt: the last HOSTNAME extension, or
    /// `None` (Redis clears the sender's hostname when there is none, §0.2).
    pub fn hostname(&self) -> Option<&Bytes> {
        self.extensions.iter().rev().find_map(|ext| match ext {
            PingExtension::Hostname(name) => Some(name),
            PingExtension::Unknown { .. } => None,
        })
    }
}

/// Body of PUBLISH and PUBLISHSHARD.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PublishBody {
    /// Channel name.
    pub channel: Bytes,
    /// Message payload.
    pub message: Bytes,
}

/// Body of UPDATE: tells the receiver a node's newer configuration.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UpdateBody {
    /// Wire `configEpoch` of the node the update is about.
    pub config_epoch: u64,
    /// Wire `nodename`: the node the update is about.
    pub node_id: NodeId,
    /// Wire `slots`: that node's slots.
    pub slots: SlotBitmap,
}

/// Body of MODULE.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ModuleBody {
    /// Wire `module_id`: 8 bytes copied raw by Redis (host byte order, not
    /// big-endian). Kept as bytes so encoding never depends on this machine;
    /// `u64::from_ne_bytes` gives the value Redis sees on the same architecture.
    pub module_id: [u8; 8],
    /// Wire `type`: module-defined message type.
    pub module_type: u8,
    /// Wire `bulk_data` (`len` bytes).
    pub payload: Bytes,
}

/// A message body; the variant decides the wire `type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageBody {
    /// PING (0).
    Ping(PingBody),
    /// PONG (1).
    Pong(PingBody),
    /// MEET (2).
    Meet(PingBody),
    /// FAIL (3): `node_id` is failing.
    Fail {
        /// The failing node.
        node_id: NodeId,
    },
    /// PUBLISH (4).
    Publish(PublishBody),
    /// FAILOVER_AUTH_REQUEST (5), header only.
    FailoverAuthRequest,
    /// FAILOVER_AUTH_ACK (6), header only.
    FailoverAuthAck,
    /// UPDATE (7).
    Update(UpdateBody),
    /// MFSTART (8), header only.
    MfStart,
    /// MODULE (9).
    Module(ModuleBody),
    /// PUBLISHSHARD (10).
    PublishShard(PublishBody),
    /// A type ≥ 11: Redis 7.0 does not length-check it, still applies the header's
    /// epochs for a known sender, then logs "Received unknown packet type".
    Unknown {
        /// Wire `type`.
        type_code: u16,
        /// Everything after the header.
        data: Bytes,
    },
}

impl MessageBody {
    /// The wire `type` code.
    pub fn type_code(&self) -> u16 {
        match self {
            MessageBody::Unknown { type_code, .. } => *type_code,
            known => known.known_type().map_or(u16::MAX, MessageType::code),
        }
    }

    /// The message type, `None` for [`MessageBody::Unknown`].
    pub fn known_type(&self) -> Option<MessageType> {
        Some(match self {
            MessageBody::Ping(_) => MessageType::Ping,
            MessageBody::Pong(_) => MessageType::Pong,
            MessageBody::Meet(_) => MessageType::Meet,
            MessageBody::Fail { .. } => MessageType::Fail,
            MessageBody::Publish(_) => MessageType::Publish,
            MessageBody::FailoverAuthRequest => MessageType::FailoverAuthRequest,
            MessageBody::FailoverAuthAck => MessageType::FailoverAuthAck,
            MessageBody::Update(_) => MessageType::Update,
            MessageBody::MfStart => MessageType::MfStart,
            MessageBody::Module(_) => MessageType::Module,
            MessageBody::PublishShard(_) => MessageType::PublishShard,
            MessageBody::Unknown { .. } => return None,
        })
    }

    /// The gossip/extension body of PING, PONG or MEET.
    pub fn ping_body(&self) -> Option<&PingBody> {
        match self {
            MessageBody::Ping(b) | MessageBody::Pong(b) | MessageBody::Meet(b) => Some(b),
            _ => None,
        }
    }
}

/// A complete cluster-bus message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusMessage {
    /// The fixed header.
    pub header: Header,
    /// The type-specific body.
    pub body: MessageBody,
}

impl BusMessage {
    /// Pairs a header with a body.
    pub fn new(header: Header, body: MessageBody) -> BusMessage {
        BusMessage { header, body }
    }

    /// The wire `type` code.
    pub fn type_code(&self) -> u16 {
        self.body.type_code()
    }

    /// The message type, `None` for unknown codes.
    pub fn known_type(&self) -> Option<MessageType> {
        self.body.known_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_bitmap_is_lsb_first() {
        let mut map = SlotBitmap::new();
        map.set(0);
        map.set(9);
        map.set(16383);
        assert_eq!(map.as_bytes()[0], 0b0000_0001);
        assert_eq!(map.as_bytes()[1], 0b0000_0010);
        assert_eq!(map.as_bytes()[2047], 0b1000_0000);
        assert!(map.get(9) && !map.get(8) && map.get(16383));
        assert_eq!(map.count(), 3);
        map.clear(9);
        assert!(!map.get(9));
        assert_eq!(map.iter().collect::<Vec<_>>(), vec![0, 16383]);
    }

    #[test]
    fn slot_bitmap_out_of_range_is_ignored() {
        let mut map = SlotBitmap::new();
        map.set(16384);
        map.set(u16::MAX);
        map.set_range(16380..=u16::MAX);
        assert!(!map.get(16384) && !map.get(u16::MAX));
        assert_eq!(map.ranges(), vec![16380..=16383]);
        map.clear(40000);
        assert_eq!(map.count(), 4);
    }

    #[test]
    fn slot_bitmap_ranges() {
        let mut map: SlotBitmap = [1u16, 2, 3, 7, 100].into_iter().collect();
        map.set_range(200..=210);
        assert_eq!(map.ranges(), vec![1..=3, 7..=7, 100..=100, 200..=210]);
        assert_eq!(format!("{map:?}"), "SlotBitmap[1-3 7 100 200-210]");
        assert!(SlotBitmap::new().ranges().is_empty());
        assert!(SlotBitmap::new().is_empty());
        let full = SlotBitmap::from_range(0..=16383);
        assert_eq!(full.ranges(), vec![0..=16383]);
        assert_eq!(full.count(), CLUSTER_SLOTS);
    }

    #[test]
    fn node_id_parse_and_display() {
        let text = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";
        let id = NodeId::parse(text).expect("valid id");
        assert_eq!(id.to_string(), text);
        assert!(id.is_valid() && !id.is_null());
        assert_eq!(
            NodeId::parse("E7D1EECCE10FD6BB5EB35B9F99A514335D9BA9CA"),
            None
        );
        assert_eq!(NodeId::parse("abc"), None);
        assert!(NodeId::NULL.is_null());
        assert_eq!(NodeId::NULL.to_string(), "\\x00".repeat(40));
        let random = NodeId::from_random_bytes([0xab; 20]);
        assert_eq!(random.to_string(), "ab".repeat(20));
        assert!(random.is_valid());
    }

    #[test]
    fn ip_field_reads_to_nul_and_caps_at_45() {
        let ip = IpField::new("127.0.0.1").expect("fits");
        assert_eq!(ip.as_str(), Some("127.0.0.1"));
        assert!(!ip.is_unset());
        assert!(IpField::UNSET.is_unset());
        assert_eq!(IpField::UNSET.as_bytes(), b"");
        assert_eq!(IpField::new(&"1".repeat(46)), None);
        assert_eq!(IpField::new("a\0b"), None);
        assert!(IpField::new(&"1".repeat(45)).is_some());
        // No terminator at all: Redis forces byte 45 to NUL before using it.
        let raw = IpField::from_raw([b'9'; IP_FIELD_LEN]);
        assert_eq!(raw.as_bytes().len(), 45);
    }

    #[test]
    fn message_type_codes() {
        for (i, t) in MessageType::ALL.iter().enumerate() {
            assert_eq!(usize::from(t.code()), i);
            assert_eq!(MessageType::from_code(t.code()), Some(*t));
        }
        assert_eq!(MessageType::from_code(11), None);
        assert_eq!(MessageType::PublishShard.code(), 10);
        assert_eq!(MessageType::MfStart.redis_name(), "mfstart");
    }

    #[test]
    fn node_flags_debug_and_ops() {
        let mut flags = NodeFlags::MYSELF | NodeFlags::PRIMARY;
        assert_eq!(format!("{flags:?}"), "NodeFlags(master,myself)");
        flags.insert(NodeFlags(0x8000));
        assert_eq!(format!("{flags:?}"), "NodeFlags(master,myself,0x8000)");
        flags.remove(NodeFlags::PRIMARY);
        assert!(!flags.contains(NodeFlags::PRIMARY));
        assert!(flags.intersects(NodeFlags::MYSELF | NodeFlags::FAIL));
    }

    #[test]
    fn message_flags_bits() {
        let mut m = MessageFlags::default();
        m.set_paused(true);
        m.set_force_ack(true);
        assert_eq!(m.0, [0x03, 0, 0]);
        m.set_paused(false);
        assert!(!m.paused() && m.force_ack());
    }

    #[test]
    fn ping_body_hostname_is_last_one() {
        let body = PingBody::new(vec![]).with_hostname("a").with_hostname("b");
        assert_eq!(body.hostname().map(|b| &b[..]), Some(&b"b"[..]));
        assert_eq!(PingBody::default().hostname(), None);
    }

    #[test]
    fn body_type_codes() {
        assert_eq!(MessageBody::MfStart.type_code(), 8);
        let unknown = MessageBody::Unknown {
            type_code: 42,
            data: Bytes::new(),
        };
        assert_eq!(unknown.type_code(), 42);
        assert_eq!(unknown.known_type(), None);
        assert_eq!(
            MessageBody::Meet(PingBody::default()).known_type(),
            Some(MessageType::Meet)
        );
    }
}
