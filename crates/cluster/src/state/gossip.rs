//! PING/PONG/MEET construction and gossip processing (reference §6.4, §5.5;
//! Redis `clusterSendPing`, `clusterProcessGossipSection`,
//! `clusterProcessPingExtensions`, `clusterBroadcastPong`).
//!
//! Owns: which nodes go into a gossip section and what a received section does to
//! the node table (discovery, failure reports, pong-time refresh, address fixes).
//! Must never: pick gossip entries with anything but the seeded RNG.

use bytes::Bytes;
use rand::Rng;

use crate::bus::message::{
    GossipEntry, IpField, MessageBody, MessageType, NodeFlags, PingBody, PingExtension,
};

use super::node_table::{Node, NodeKey};
use super::{ip_field_text, ClusterState, LinkId, LogLevel, MAX_KNOWN_NODES};

/// Target of [`ClusterState::broadcast_pong`] (`CLUSTER_BROADCAST_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PongTarget {
    /// Every node with a link.
    All,
    /// Replicas of my primary (or of myself).
    LocalReplicas,
}

impl ClusterState {
    /// `clusterSendPing(link, type)` for PING, PONG or MEET.
    pub(super) fn send_ping(&mut self, now_ms: i64, link: LinkId, kind: MessageType) {
        let Some(l) = self.links.get(&link) else {
            return;
        };
        let (inbound, link_node) = (l.inbound, l.node);
        let known = self.nodes.len();
        let mut fresh_nodes = known.saturating_sub(2);
        let wanted = (known / 10).max(3).min(fresh_nodes);
        let mut pfail_wanted = self.stats_pfail_nodes;

        if !inbound && kind == MessageType::Ping {
            if let Some(node) = link_node.and_then(|k| self.nodes.get_mut(k)) {
                node.ping_sent_ms = now_ms;
            }
        }

        let mut gossip: Vec<GossipEntry> = Vec::with_capacity(wanted + pfail_wanted);
        let mut max_iterations = wanted * 3;
        while fresh_nodes > 0 && gossip.len() < wanted && max_iterations > 0 {
            max_iterations -= 1;
            let index = self.rng.gen_range(0..known);
            let Some(key) = self.nodes.key_at(index) else {
                continue;
            };
            if key == self.myself {
                continue;
            }
            let Some(node) = self.nodes.get(key) else {
                continue;
            };
            // PFAIL nodes are appended below.
            if node.flags.contains(NodeFlags::PFAIL) {
                continue;
            }
            if node
                .flags
                .intersects(NodeFlags::HANDSHAKE | NodeFlags::NOADDR)
                || (node.link.is_none() && node.num_slots == 0)
            {
                // Redis decrements here too ("technically not correct, but
                // saves CPU").
                fresh_nodes -= 1;
                continue;
            }
            if gossip.iter().any(|g| g.node_id == node.id) {
                continue;
            }
            gossip.push(gossip_entry(node));
            fresh_nodes = fresh_nodes.saturating_sub(1);
        }
        if pfail_wanted > 0 {
            for (_, node) in self.nodes.iter() {
                if pfail_wanted == 0 {
                    break;
                }
                if node
                    .flags
                    .intersects(NodeFlags::HANDSHAKE | NodeFlags::NOADDR)
                {
                    continue;
                }
                if !node.flags.contains(NodeFlags::PFAIL) {
                    continue;
                }
                gossip.push(gossip_entry(node));
                pfail_wanted -= 1;
            }
        }

        let mut body = PingBody::new(gossip);
        let hostname = &self.myself_node().hostname;
        if !hostname.is_empty() {
            body = body.with_hostname(Bytes::copy_from_slice(hostname.as_bytes()));
        }
        let body = match kind {
            MessageType::Pong => MessageBody::Pong(body),
            MessageType::Meet => MessageBody::Meet(body),
            _ => MessageBody::Ping(body),
        };
        let msg = self.message(body);
        self.send_on_link(link, &msg);
    }

    /// `clusterBroadcastPong`.
    pub(super) fn broadcast_pong(&mut self, now_ms: i64, target: PongTarget) {
        let my_primary = self.myself_node().primary;
        for key in self.nodes.keys_by_id() {
            let Some(node) = self.nodes.get(key) else {
                continue;
            };
            let Some(link) = node.link else {
                continue;
            };
            if key == self.myself || node.in_handshake() {
                continue;
            }
            if target == PongTarget::LocalReplicas {
                let local = node.is_replica()
                    && node.primary.is_some()
                    && (node.primary == Some(self.myself) || node.primary == my_primary);
                if !local {
                    continue;
                }
            }
            self.send_ping(now_ms, link, MessageType::Pong);
        }
    }

    /// `clusterProcessGossipSection`. `sender` is the resolved sender, if known.
    pub(super) fn process_gossip(
        &mut self,
        now_ms: i64,
        sender: Option<NodeKey>,
        gossip: &[GossipEntry],
    ) {
        for entry in gossip {
            let flags = entry.flags;
            let bad = flags.intersects(NodeFlags::FAIL | NodeFlags::PFAIL);
            if let Some(key) = self.nodes.lookup(&entry.node_id) {
                // Failure reports, only from primaries and not about myself.
                if let Some(s) = sender {
                    if self.node_is_primary(s) && key != self.myself {
                        if bad {
                            if self.add_failure_report(now_ms, key, s) {
                                let (from, about) = (self.node_id_of(s), self.node_id_of(key));
                                self.log(
                                    LogLevel::Verbose,
                                    format!("Node {from} reported node {about} as not reachable."),
                                );
                            }
                            self.mark_failing_if_needed(now_ms, key);
                        } else if self.del_failure_report(now_ms, key, s) {
                            let (from, about) = (self.node_id_of(s), self.node_id_of(key));
                            self.log(
                                LogLevel::Verbose,
                                format!("Node {from} reported node {about} is back online."),
                            );
                        }
                    }
                }
                // Adopt a fresher pong time seen by others when we have no
                // opinion of our own (no pending ping, no failure reports).
                let reports = self.failure_report_count(now_ms, key);
                if let Some(node) = self.nodes.get_mut(key) {
                    if !bad && node.ping_sent_ms == 0 && reports == 0 {
                        let pong_ms = i64::from(entry.pong_received_s) * 1000;
                        if pong_ms <= now_ms + 500 && pong_ms > node.pong_received_ms {
                            node.pong_received_ms = pong_ms;
                        }
                    }
                }
                // A node we consider failing but a peer can reach at another
                // address: switch to that address and reconnect.
                let entry_ip = ip_field_text(&entry.ip);
                let mut drop_link = None;
                if let Some(node) = self.nodes.get_mut(key) {
                    if node.flags.intersects(NodeFlags::FAIL | NodeFlags::PFAIL)
                        && !flags.contains(NodeFlags::NOADDR)
                        && !bad
                        && (!node.ip.eq_ignore_ascii_case(&entry_ip)
                            || node.port != entry.port
                            || node.cport != entry.bus_port)
                    {
                        drop_link = node.link;
                        node.ip = entry_ip;
                        node.port = entry.port;
                        node.pport = entry.plaintext_port;
                        node.cport = entry.bus_port;
                        node.flags.remove(NodeFlags::NOADDR);
                    }
                }
                if let Some(link) = drop_link {
                    self.free_link(link);
                }
            } else if sender.is_some()
                && !flags.contains(NodeFlags::NOADDR)
                && !self.blacklist_contains(now_ms, &entry.node_id)
            {
                if self.nodes.len() >= MAX_KNOWN_NODES {
                    self.log(
                        LogLevel::Warning,
                        format!(
                            "Ignoring gossip about node {}: node table is full",
                            entry.node_id
                        ),
                    );
                    continue;
                }
                // Trusted discovery: add with the advertised id and flags.
                let mut node = Node::new(entry.node_id, flags, now_ms);
                node.ip = ip_field_text(&entry.ip);
                node.port = entry.port;
                node.pport = entry.plaintext_port;
                node.cport = entry.bus_port;
                self.nodes.insert(node);
            }
        }
    }

    /// `clusterProcessPingExtensions`: the sender's hostname is whatever its last
    /// HOSTNAME extension says, or none.
    pub(super) fn process_ping_extensions(&mut self, sender: NodeKey, body: &PingBody) {
        let mut hostname: Option<String> = None;
        let mut unknown = Vec::new();
        for ext in &body.extensions {
            match ext {
                PingExtension::Hostname(name) => {
                    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                    // Printable ASCII without ',' (the CLUSTER NODES address
                    // separator): Redis only ever sends `[A-Za-z0-9.-]`.
                    hostname = Some(super::printable_text(&name[..end], b","));
                }
                PingExtension::Unknown { ext_type, .. } => unknown.push(*ext_type),
            }
        }
        for ext_type in unknown {
            self.log(
                LogLevel::Warning,
                format!("Received unknown extension type {ext_type}"),
            );
        }
        if let Some(node) = self.nodes.get_mut(sender) {
            node.hostname = hostname.unwrap_or_default();
        }
    }

    /// `clusterSendPublish` / `clusterPropagatePublish`: PUBLISH goes to every
    /// node with a link; PUBLISHSHARD to the other nodes of my shard.
    ///
    /// Redis 7.0 passes a NULL link for a shard node without a link, which turns
    /// into a cluster-wide broadcast; Shoal skips such nodes instead.
    pub fn publish(&mut self, now_ms: i64, channel: &[u8], message: &[u8], shard: bool) {
        let publish = crate::bus::message::PublishBody {
            channel: Bytes::copy_from_slice(channel),
            message: Bytes::copy_from_slice(message),
        };
        if !shard {
            let msg = self.message(MessageBody::Publish(publish));
            self.broadcast(&msg);
        } else {
            let msg = self.message(MessageBody::PublishShard(publish));
            let shard_nodes = self.nodes_in_shard_of(self.myself);
            for key in shard_nodes {
                if key == self.myself {
                    continue;
                }
                if let Some(link) = self.nodes.get(key).and_then(|n| n.link) {
                    self.send_on_link(link, &msg);
                }
            }
        }
        self.finish_input(now_ms);
    }

    /// `clusterGetNodesServingMySlots`: the primary of `key`'s shard, then its
    /// replicas. Empty when `key` is a replica with an unknown primary.
    pub(super) fn nodes_in_shard_of(&self, key: NodeKey) -> Vec<NodeKey> {
        let Some(node) = self.nodes.get(key) else {
            return Vec::new();
        };
        let primary = if node.is_primary() {
            Some(key)
        } else {
            node.primary
        };
        let Some(primary) = primary else {
            return Vec::new();
        };
        let mut out = vec![primary];
        if let Some(p) = self.nodes.get(primary) {
            out.extend(p.replicas.iter().copied());
        }
        out
    }
}

/// `clusterSetGossipEntry`.
fn gossip_entry(node: &Node) -> GossipEntry {
    GossipEntry {
        node_id: node.id,
        ping_sent_s: ms_to_wire_s(node.ping_sent_ms),
        pong_received_s: ms_to_wire_s(node.pong_received_ms),
        ip: IpField::new(super::truncate_to(&node.ip, 45)).unwrap_or(IpField::UNSET),
        port: node.port,
        bus_port: node.cport,
        flags: node.flags,
        plaintext_port: node.pport,
    }
}

/// `htonl(ms / 1000)`: truncating to 32 bits like the C code.
fn ms_to_wire_s(ms: i64) -> u32 {
    (ms / 1000) as u32
}
