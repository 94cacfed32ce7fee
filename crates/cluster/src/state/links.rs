//! Bus links: creation, connection outcome, teardown (reference §5 "Transport",
//! §5.7, §6.3; Redis `createClusterLink`, `freeClusterLink`,
//! `clusterLinkConnectHandler`, `freeClusterLinkOnBufferLimitReached`).
//!
//! Owns: the link table and the node ↔ link associations. Must never: perform the
//! I/O itself — it only emits [`Effect::Connect`]/[`Effect::Disconnect`].

use crate::bus::message::{MessageType, NodeFlags};

use super::node_table::NodeKey;
use super::{ClusterState, Effect, Link, LinkEvent, LinkId, LogLevel, MAX_UNBOUND_LINKS};

impl ClusterState {
    /// The shell accepted an inbound bus connection from `peer_ip`, on our local
    /// address `local_ip` (used to learn our own IP from MEETs, §5.6 step 5).
    pub fn accept_link(&mut self, now_ms: i64, peer_ip: &str, local_ip: &str) -> LinkId {
        self.bound_unbound_links();
        let id = self.alloc_link_id();
        self.links.insert(
            id,
            Link {
                node: None,
                inbound: true,
                created_ms: now_ms,
                connected: true,
                pending_bytes: 0,
                peer_ip: peer_ip.to_owned(),
                local_ip: local_ip.to_owned(),
            },
        );
        id
    }

    /// Reports a connection outcome, a close, or drained send-buffer bytes.
    pub fn handle_link_event(&mut self, now_ms: i64, link: LinkId, event: LinkEvent) {
        match event {
            LinkEvent::Connected => self.on_connected(now_ms, link),
            LinkEvent::ConnectFailed => {
                if let Some(node) = self.links.get(&link).and_then(|l| l.node) {
                    let (name, ip, cport) = self
                        .nodes
                        .get(node)
                        .map(|n| (n.id, n.ip.clone(), n.cport))
                        .unwrap_or_default();
                    self.log(
                        LogLevel::Verbose,
                        format!("Connection with Node {name} at {ip}:{cport} failed"),
                    );
                }
                self.forget_link(link);
            }
            LinkEvent::Closed => self.forget_link(link),
            LinkEvent::Drained { bytes } => {
                if let Some(l) = self.links.get_mut(&link) {
                    l.pending_bytes = l.pending_bytes.saturating_sub(bytes);
                }
            }
        }
        self.finish_input(now_ms);
    }

    fn alloc_link_id(&mut self) -> LinkId {
        let id = LinkId(self.next_link_id);
        self.next_link_id = self.next_link_id.saturating_add(1);
        id
    }

    /// Keeps the number of not-yet-identified inbound links bounded by closing the
    /// oldest ones (Redis has no bound; a flood of silent connections would
    /// otherwise grow the table forever).
    fn bound_unbound_links(&mut self) {
        let unbound: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(_, l)| l.node.is_none())
            .map(|(id, _)| *id)
            .collect();
        if unbound.len() >= MAX_UNBOUND_LINKS {
            let excess = unbound.len() + 1 - MAX_UNBOUND_LINKS;
            for id in unbound.into_iter().take(excess) {
                self.free_link(id);
            }
        }
    }

    /// `createClusterLink(node)` + connect: a new outbound link for `node`.
    pub(super) fn connect_node(&mut self, now_ms: i64, node: NodeKey) {
        let Some((node_id, ip, cport)) =
            self.nodes.get(node).map(|n| (n.id, n.ip.clone(), n.cport))
        else {
            return;
        };
        if ip.is_empty() || cport == 0 {
            // Redis gets a synchronous connect error for such an address: it
            // pretends a ping is pending so that failure detection still runs.
            if let Some(n) = self.nodes.get_mut(node) {
                if n.ping_sent_ms == 0 {
                    n.ping_sent_ms = now_ms;
                }
            }
            return;
        }
        let id = self.alloc_link_id();
        self.links.insert(
            id,
            Link {
                node: Some(node),
                inbound: false,
                created_ms: now_ms,
                connected: false,
                pending_bytes: 0,
                // The address we connect to is this link's peer address.
                peer_ip: ip.clone(),
                local_ip: String::new(),
            },
        );
        if let Some(n) = self.nodes.get_mut(node) {
            n.link = Some(id);
        }
        self.effects.push_back(Effect::Connect {
            link: id,
            node_id,
            ip,
            bus_port: cport,
        });
    }

    /// `clusterLinkConnectHandler`: queue a MEET or PING right away.
    fn on_connected(&mut self, now_ms: i64, link: LinkId) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if l.inbound || l.connected {
            return;
        }
        l.connected = true;
        let Some(node) = l.node else {
            return;
        };
        let Some((old_ping_sent, meet)) = self
            .nodes
            .get(node)
            .map(|n| (n.ping_sent_ms, n.flags.contains(NodeFlags::MEET)))
        else {
            return;
        };
        let kind = if meet {
            MessageType::Meet
        } else {
            MessageType::Ping
        };
        self.send_ping(now_ms, link, kind);
        if let Some(n) = self.nodes.get_mut(node) {
            // Keep the original ping time so failure detection is not reset by a
            // reconnect.
            if old_ping_sent != 0 {
                n.ping_sent_ms = old_ping_sent;
            }
            n.flags.remove(NodeFlags::MEET);
        }
    }

    /// The shell reports the link gone: drop it without emitting a Disconnect.
    fn forget_link(&mut self, link: LinkId) {
        if let Some(l) = self.links.remove(&link) {
            self.detach_link(link, &l);
        }
    }

    /// `freeClusterLink`: forget the link and ask the shell to close it.
    pub(super) fn free_link(&mut self, link: LinkId) {
        if let Some(l) = self.links.remove(&link) {
            self.detach_link(link, &l);
            self.effects.push_back(Effect::Disconnect { link });
        }
    }

    fn detach_link(&mut self, link: LinkId, l: &Link) {
        if let Some(node) = l.node.and_then(|k| self.nodes.get_mut(k)) {
            if node.link == Some(link) {
                node.link = None;
            }
            if node.inbound_link == Some(link) {
                node.inbound_link = None;
            }
        }
    }

    /// `setClusterNodeToInboundClusterLink`.
    pub(super) fn bind_inbound_link(&mut self, node: NodeKey, link: LinkId) {
        let old = self.nodes.get(node).and_then(|n| n.inbound_link);
        if let Some(n) = self.nodes.get_mut(node) {
            n.inbound_link = Some(link);
        }
        if let Some(l) = self.links.get_mut(&link) {
            l.node = Some(node);
        }
        // A peer has one outbound link to us, so an older inbound link from the
        // same node is a leftover of a reconnect. Redis 7.0 only logs and keeps
        // it until the peer closes it; Shoal closes it so that a peer opening
        // connection after connection cannot grow the link table without bound.
        if let Some(old) = old.filter(|&old| old != link) {
            self.free_link(old);
        }
    }

    /// `freeClusterLinkOnBufferLimitReached` for both links of `node`.
    pub(super) fn enforce_sendbuf_limit(&mut self, node: NodeKey) {
        let limit = self.config.link_sendbuf_limit_bytes;
        if limit == 0 {
            return;
        }
        let Some((id, out, inb)) = self.nodes.get(node).map(|n| (n.id, n.link, n.inbound_link))
        else {
            return;
        };
        for link in [out, inb].into_iter().flatten() {
            let Some((pending, inbound)) =
                self.links.get(&link).map(|l| (l.pending_bytes, l.inbound))
            else {
                continue;
            };
            if pending > limit {
                self.log(
                    LogLevel::Warning,
                    format!(
                        "Freeing cluster link({} node {id}, used memory: {pending}) due to \
                         exceeding send buffer memory limit.",
                        if inbound { "from" } else { "to" }
                    ),
                );
                self.free_link(link);
                self.links_buffer_limit_exceeded += 1;
            }
        }
    }
}
