//! Read-only views of the state (reference §3.2: CLUSTER INFO, NODES, SLOTS,
//! SHARDS, LINKS, REPLICAS, MYID; §6.11 nodes.conf; §3.6 routing data).
//!
//! Owns: turning the state into the exact texts Redis prints and into structured
//! values the engine serializes as RESP. Must never: mutate the state or iterate
//! in an order that is not deterministic (everything is ordered by node id,
//! where Redis uses its unordered dict).

use std::ops::RangeInclusive;

use crate::bus::message::{MessageType, NodeFlags, NodeId};
use crate::nodes_conf::{self, NodeLine, OpenSlot, OpenSlotDirection};
use crate::routing::SlotView;

use super::node_table::{Node, NodeKey};
use super::{parse_lookup_id, type_index, ClusterState, EndpointType, LinkId, SLOT_COUNT};

/// A node as CLUSTER SLOTS shows it: `[endpoint, port, id, metadata]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEndpoint {
    /// Preferred endpoint; `None` = RESP null (`unknown-endpoint`).
    pub endpoint: Option<String>,
    /// Client port (plaintext port for a plaintext client of a TLS cluster).
    pub port: u16,
    /// Node id.
    pub id: NodeId,
    /// Extra networking metadata (`ip`, `hostname`), in Redis order.
    pub metadata: Vec<(&'static str, String)>,
}

/// One CLUSTER SLOTS entry: a maximal run of slots with the same owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotRange {
    /// First slot.
    pub start: u16,
    /// Last slot (inclusive).
    pub end: u16,
    /// The owner.
    pub primary: NodeEndpoint,
    /// Available replicas of the owner (not FAIL, replication offset ≠ 0).
    pub replicas: Vec<NodeEndpoint>,
}

/// One node of a CLUSTER SHARDS entry (map keys in Redis order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardNodeView {
    /// `id`.
    pub id: NodeId,
    /// `port` (omitted when `None`).
    pub port: Option<u16>,
    /// `tls-port` (only in TLS clusters).
    pub tls_port: Option<u16>,
    /// `ip`.
    pub ip: String,
    /// `endpoint` (empty string for `unknown-endpoint`).
    pub endpoint: String,
    /// `hostname` (only when the node has one).
    pub hostname: Option<String>,
    /// `role`: `master` or `replica`.
    pub role: &'static str,
    /// `replication-offset`.
    pub replication_offset: u64,
    /// `health`: `online`, `fail` or `loading`.
    pub health: &'static str,
}

/// One CLUSTER SHARDS entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardView {
    /// `slots` as `(start, end)` pairs (flattened into integers by the engine).
    pub slots: Vec<(u16, u16)>,
    /// `nodes`: the primary first, then its replicas.
    pub nodes: Vec<ShardNodeView>,
}

/// One CLUSTER LINKS entry (map keys in Redis order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkView {
    /// `direction`: `to` (outbound) or `from` (inbound).
    pub direction: &'static str,
    /// `node`: the peer's id.
    pub node: NodeId,
    /// `create-time` (Unix ms).
    pub create_time_ms: i64,
    /// `events`: `r`, `w`, `rw` or empty.
    pub events: String,
    /// `send-buffer-allocated`.
    pub send_buffer_allocated: u64,
    /// `send-buffer-used`.
    pub send_buffer_used: u64,
}

impl ClusterState {
    /// My node id (`CLUSTER MYID`).
    pub fn my_id(&self) -> NodeId {
        self.myself_node().id
    }

    /// Number of known nodes, myself and handshake nodes included.
    pub fn known_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Ids of all known nodes, ascending.
    pub fn node_ids(&self) -> Vec<NodeId> {
        self.nodes.iter().map(|(_, n)| n.id).collect()
    }

    /// The owner of `slot`.
    pub fn slot_owner(&self, slot: u16) -> Option<NodeId> {
        self.owner(slot).map(|k| self.node_id_of(k))
    }

    /// The node `slot` is migrating to (only meaningful on its owner).
    pub fn migrating(&self, slot: u16) -> Option<NodeId> {
        self.migrating_to.get(&slot).map(|k| self.node_id_of(*k))
    }

    /// The node `slot` is being imported from.
    pub fn importing(&self, slot: u16) -> Option<NodeId> {
        self.importing_from.get(&slot).map(|k| self.node_id_of(*k))
    }

    /// `cluster_state:ok`.
    pub fn cluster_ok(&self) -> bool {
        self.state_ok
    }

    /// True when myself is a primary.
    pub fn is_primary(&self) -> bool {
        self.myself_is_primary()
    }

    /// My primary when I am a replica.
    pub fn my_primary(&self) -> Option<NodeId> {
        self.myself_node().primary.map(|k| self.node_id_of(k))
    }

    /// `currentEpoch`.
    pub fn current_epoch(&self) -> u64 {
        self.current_epoch
    }

    /// `lastVoteEpoch`.
    pub fn last_vote_epoch(&self) -> u64 {
        self.last_vote_epoch
    }

    /// My own configEpoch (not my primary's).
    pub fn my_config_epoch(&self) -> u64 {
        self.myself_node().config_epoch
    }

    /// `cluster_size`.
    pub fn cluster_size(&self) -> usize {
        self.size
    }

    /// Number of slots I own.
    pub fn my_slot_count(&self) -> usize {
        self.myself_node().num_slots
    }

    /// CLUSTER FLUSHSLOTS/RESET helpers: the slots I own, ascending.
    pub fn my_slots(&self) -> Vec<u16> {
        self.myself_node().slots.iter().collect()
    }

    /// The node's flag word as this node sees it (for tests and tools).
    pub fn node_flags(&self, id: &NodeId) -> Option<NodeFlags> {
        self.nodes
            .lookup(id)
            .and_then(|k| self.nodes.get(k))
            .map(|n| n.flags)
    }

    /// The node's configEpoch as this node knows it.
    pub fn node_config_epoch(&self, id: &NodeId) -> Option<u64> {
        self.nodes
            .lookup(id)
            .and_then(|k| self.nodes.get(k))
            .map(|n| n.config_epoch)
    }

    /// The `host:port` a client is redirected to for node `id` (MOVED/ASK).
    pub fn redirect_address(&self, id: &NodeId, use_pport: bool) -> Option<String> {
        let node = self.nodes.lookup(id).and_then(|k| self.nodes.get(k))?;
        Some(format!(
            "{}:{}",
            self.preferred_endpoint(node),
            client_port(node, use_pport)
        ))
    }

    /// `getPreferredEndpoint`.
    fn preferred_endpoint<'a>(&self, node: &'a Node) -> &'a str {
        match self.config.preferred_endpoint_type {
            EndpointType::Ip => &node.ip,
            EndpointType::Hostname => {
                if node.hostname.is_empty() {
                    "?"
                } else {
                    &node.hostname
                }
            }
            EndpointType::Unknown => "",
        }
    }

    /// CLUSTER INFO text (§3.2.1), exactly as Redis 7.0 prints it.
    pub fn cluster_info_text(&self) -> String {
        let (mut assigned, mut ok, mut pfail, mut fail) = (0, 0, 0, 0);
        for owner in self.slot_owner.iter().flatten() {
            let Some(node) = self.nodes.get(*owner) else {
                continue;
            };
            assigned += 1;
            if node.failed() {
                fail += 1;
            } else if node.timed_out() {
                pfail += 1;
            } else {
                ok += 1;
            }
        }
        let me = self.myself_node();
        let my_epoch = match me.primary.and_then(|k| self.nodes.get(k)) {
            Some(p) if me.is_replica() => p.config_epoch,
            _ => me.config_epoch,
        };
        let mut out = format!(
            "cluster_state:{}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{ok}\r\n\
             cluster_slots_pfail:{pfail}\r\ncluster_slots_fail:{fail}\r\n\
             cluster_known_nodes:{}\r\ncluster_size:{}\r\ncluster_current_epoch:{}\r\n\
             cluster_my_epoch:{my_epoch}\r\n",
            if self.state_ok { "ok" } else { "fail" },
            self.nodes.len(),
            self.size,
            self.current_epoch,
        );
        for (counters, direction) in [
            (&self.stats_sent, "sent"),
            (&self.stats_received, "received"),
        ] {
            let mut total = 0u64;
            for t in MessageType::ALL {
                let count = counters.get(type_index(t)).copied().unwrap_or(0);
                if count == 0 {
                    continue;
                }
                total += count;
                out.push_str(&format!(
                    "cluster_stats_messages_{}_{direction}:{count}\r\n",
                    t.redis_name()
                ));
            }
            out.push_str(&format!("cluster_stats_messages_{direction}:{total}\r\n"));
        }
        out.push_str(&format!(
            "total_cluster_links_buffer_limit_exceeded:{}\r\n",
            self.links_buffer_limit_exceeded
        ));
        out
    }

    /// The fields of `node`'s CLUSTER NODES line.
    fn node_line(&self, key: NodeKey, node: &Node, use_pport: bool) -> NodeLine {
        let primary = node.primary.and_then(|k| self.nodes.get(k));
        let config_epoch = match primary {
            Some(p) if node.is_replica() => p.config_epoch,
            _ => node.config_epoch,
        };
        let mut open_slots = Vec::new();
        if node.flags.contains(NodeFlags::MYSELF) {
            // Migrating wins when a slot is both (Redis checks it first).
            let mut slots: Vec<u16> = self
                .migrating_to
                .keys()
                .chain(self.importing_from.keys())
                .copied()
                .collect();
            slots.sort_unstable();
            slots.dedup();
            for slot in slots {
                let (direction, other) = match self.migrating_to.get(&slot) {
                    Some(k) => (OpenSlotDirection::Migrating, *k),
                    None => match self.importing_from.get(&slot) {
                        Some(k) => (OpenSlotDirection::Importing, *k),
                        None => continue,
                    },
                };
                open_slots.push(OpenSlot {
                    slot,
                    direction,
                    node_id: self.node_id_of(other),
                });
            }
        }
        NodeLine {
            id: node.id,
            ip: node.ip.clone(),
            port: client_port(node, use_pport),
            bus_port: node.cport,
            hostname: node.hostname.clone(),
            flags: node.flags,
            primary_id: primary.map(|p| p.id),
            ping_sent_ms: node.ping_sent_ms,
            pong_received_ms: node.pong_received_ms,
            config_epoch,
            connected: node.link.is_some() || key == self.myself,
            slots: node.slots.ranges(),
            open_slots,
        }
    }

    /// CLUSTER NODES text (§3.2.2): one `\n`-terminated line per node, ordered by
    /// node id. `use_pport`: report plaintext ports (TLS cluster, plaintext
    /// client).
    pub fn cluster_nodes_text(&self, use_pport: bool) -> String {
        self.nodes_description(use_pport, NodeFlags::NONE)
    }

    fn nodes_description(&self, use_pport: bool, filter: NodeFlags) -> String {
        let mut out = String::new();
        for (key, node) in self.nodes.iter() {
            if node.flags.intersects(filter) {
                continue;
            }
            out.push_str(&nodes_conf::format_node_line(
                &self.node_line(key, node, use_pport),
            ));
            out.push('\n');
        }
        out
    }

    /// The nodes.conf content Redis would write now (§6.11): every node but the
    /// ones in handshake, then the `vars` line.
    pub fn to_nodes_conf(&self) -> String {
        let mut out = self.nodes_description(false, NodeFlags::HANDSHAKE);
        out.push_str(&nodes_conf::format_vars(
            self.current_epoch,
            self.last_vote_epoch,
        ));
        out
    }

    /// CLUSTER REPLICAS / SLAVES: one CLUSTER NODES line (no newline) per replica.
    pub fn replicas_text(&self, id_text: &str, use_pport: bool) -> Result<Vec<String>, String> {
        let Some(key) = parse_lookup_id(id_text).and_then(|id| self.nodes.lookup(&id)) else {
            return Err(format!("ERR Unknown node {id_text}"));
        };
        let Some(node) = self.nodes.get(key) else {
            return Err(format!("ERR Unknown node {id_text}"));
        };
        if node.is_replica() {
            return Err("ERR The specified node is not a master".to_owned());
        }
        Ok(node
            .replicas
            .iter()
            .filter_map(|&r| self.nodes.get(r).map(|n| (r, n)))
            .map(|(r, n)| nodes_conf::format_node_line(&self.node_line(r, n, use_pport)))
            .collect())
    }

    fn endpoint_view(&self, node: &Node, use_pport: bool) -> NodeEndpoint {
        let kind = self.config.preferred_endpoint_type;
        let endpoint = match kind {
            EndpointType::Unknown => None,
            _ => Some(self.preferred_endpoint(node).to_owned()),
        };
        let mut metadata = Vec::new();
        if kind != EndpointType::Ip {
            metadata.push(("ip", node.ip.clone()));
        }
        if kind != EndpointType::Hostname && !node.hostname.is_empty() {
            metadata.push(("hostname", node.hostname.clone()));
        }
        NodeEndpoint {
            endpoint,
            port: client_port(node, use_pport),
            id: node.id,
            metadata,
        }
    }

    /// `isReplicaAvailable`: not FAIL and a non-zero replication offset.
    fn replica_available(&self, key: NodeKey, node: &Node) -> bool {
        if node.failed() {
            return false;
        }
        let offset = if key == self.myself {
            self.repl_offset
        } else {
            node.repl_offset
        };
        offset != 0
    }

    /// CLUSTER SLOTS data (§3.2.3), in slot order.
    pub fn slots_view(&self, use_pport: bool) -> Vec<SlotRange> {
        let mut out = Vec::new();
        let mut start = 0usize;
        while start < SLOT_COUNT {
            let owner = self.slot_owner.get(start).copied().flatten();
            let mut end = start;
            while end + 1 < SLOT_COUNT && self.slot_owner.get(end + 1).copied().flatten() == owner {
                end += 1;
            }
            if let Some(node) = owner.and_then(|k| self.nodes.get(k)) {
                let replicas = node
                    .replicas
                    .iter()
                    .filter_map(|&r| self.nodes.get(r).map(|n| (r, n)))
                    .filter(|(r, n)| self.replica_available(*r, n))
                    .map(|(_, n)| self.endpoint_view(n, use_pport))
                    .collect();
                out.push(SlotRange {
                    start: start as u16,
                    end: end as u16,
                    primary: self.endpoint_view(node, use_pport),
                    replicas,
                });
            }
            start = end + 1;
        }
        out
    }

    /// CLUSTER SHARDS data (§3.2.4): one entry per primary, ordered by id.
    pub fn shards_view(&self) -> Vec<ShardView> {
        let mut out = Vec::new();
        for (key, node) in self.nodes.iter() {
            if node.is_replica() {
                continue;
            }
            let slots = node
                .slots
                .ranges()
                .into_iter()
                .map(|r: RangeInclusive<u16>| (*r.start(), *r.end()))
                .collect();
            let nodes = self
                .nodes_in_shard_of(key)
                .into_iter()
                .filter_map(|k| self.nodes.get(k).map(|n| (k, n)))
                .map(|(k, n)| self.shard_node_view(k, n))
                .collect();
            out.push(ShardView { slots, nodes });
        }
        out
    }

    fn shard_node_view(&self, key: NodeKey, node: &Node) -> ShardNodeView {
        let tls = self.config.tls_cluster;
        let plaintext = if tls { node.pport } else { node.port };
        let tls_port = if tls { node.port } else { 0 };
        let offset = if key == self.myself {
            self.repl_offset
        } else {
            node.repl_offset
        };
        let health = if node.failed() {
            "fail"
        } else if node.is_replica() && offset == 0 {
            "loading"
        } else {
            "online"
        };
        ShardNodeView {
            id: node.id,
            port: (plaintext != 0).then_some(plaintext),
            tls_port: (tls_port != 0).then_some(tls_port),
            ip: node.ip.clone(),
            endpoint: self.preferred_endpoint(node).to_owned(),
            hostname: (!node.hostname.is_empty()).then(|| node.hostname.clone()),
            role: if node.is_replica() {
                "replica"
            } else {
                "master"
            },
            replication_offset: offset,
            health,
        }
    }

    /// CLUSTER LINKS data (§3.2.5): per node (by id) its outbound then inbound link.
    pub fn links_view(&self) -> Vec<LinkView> {
        let mut out = Vec::new();
        for (_, node) in self.nodes.iter() {
            for link in [node.link, node.inbound_link].into_iter().flatten() {
                if let Some(view) = self.link_view(link, node.id) {
                    out.push(view);
                }
            }
        }
        out
    }

    fn link_view(&self, id: LinkId, node: NodeId) -> Option<LinkView> {
        let link = self.links.get(&id)?;
        let mut events = String::new();
        if link.connected {
            events.push('r');
        }
        if link.pending_bytes > 0 {
            events.push('w');
        }
        Some(LinkView {
            direction: if link.inbound { "from" } else { "to" },
            node,
            create_time_ms: link.created_ms,
            events,
            send_buffer_allocated: link.pending_bytes,
            send_buffer_used: link.pending_bytes,
        })
    }

    /// Message counters `(sent, received)` for one type (CLUSTER INFO stats).
    pub fn message_stats(&self, t: MessageType) -> (u64, u64) {
        let i = type_index(t);
        (
            self.stats_sent.get(i).copied().unwrap_or(0),
            self.stats_received.get(i).copied().unwrap_or(0),
        )
    }

    /// Links the state machine currently tracks (ids ascending).
    pub fn link_ids(&self) -> Vec<LinkId> {
        self.links.keys().copied().collect()
    }
}

/// The client port shown for `node` (`pport` for plaintext clients of a TLS
/// cluster when known).
fn client_port(node: &Node, use_pport: bool) -> u16 {
    if use_pport && node.pport != 0 {
        node.pport
    } else {
        node.port
    }
}

impl SlotView for ClusterState {
    fn owner_of(&self, slot: u16) -> Option<NodeId> {
        self.slot_owner(slot)
    }

    fn myself(&self) -> NodeId {
        self.my_id()
    }

    fn my_primary(&self) -> Option<NodeId> {
        if self.myself_is_replica() {
            ClusterState::my_primary(self)
        } else {
            None
        }
    }

    fn migrating_to(&self, slot: u16) -> Option<NodeId> {
        self.migrating(slot)
    }

    fn is_importing(&self, slot: u16) -> bool {
        self.importing_from.contains_key(&slot)
    }

    fn cluster_ok(&self) -> bool {
        self.state_ok
    }

    fn allow_reads_when_down(&self) -> bool {
        self.config.allow_reads_when_down
    }

    fn allow_pubsubshard_when_down(&self) -> bool {
        self.config.allow_pubsubshard_when_down
    }

    fn redirect_address(&self, node: &NodeId, use_pport: bool) -> String {
        ClusterState::redirect_address(self, node, use_pport).unwrap_or_else(|| ":0".to_owned())
    }
}
