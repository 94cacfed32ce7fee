//! Processing of received bus messages (reference §5.6, §6; Redis
//! `clusterProcessPacket` and the handlers it dispatches to).
//!
//! Owns: the reaction to every message type: sender resolution, epoch updates,
//! PONG replies, handshake completion, role switches, slot updates, UPDATE,
//! FAIL, PUBLISH, failover votes and MFSTART. Must never: trust a sender that is
//! unknown (or still in handshake) beyond what Redis does (MEET creates a
//! handshake node; everything else from unknown senders is ignored).

use crate::bus::codec::Frame;
use crate::bus::message::{BusMessage, Header, MessageBody, MessageType, NodeFlags, SlotBitmap};

use super::node_table::{Node, NodeKey};
use super::{
    ip_field_text, ClusterState, Effect, LinkId, LogLevel, MAX_KNOWN_NODES, MF_PAUSE_MULT,
    MF_TIMEOUT_MS,
};

impl ClusterState {
    /// Feeds one frame from the codec's `FrameReader`: messages are processed,
    /// ignored frames only counted in the receive stats (Redis counts the type
    /// before validating the length, §5.6 step 2).
    pub fn handle_frame(&mut self, now_ms: i64, link: LinkId, frame: Frame) {
        match frame {
            Frame::Message(msg) => self.handle_message(now_ms, link, msg),
            Frame::Ignored(reason) => {
                if let Some(code) = ignored_type(&reason) {
                    if let Some(counter) = self.stats_received.get_mut(usize::from(code)) {
                        *counter += 1;
                    }
                }
                self.log(LogLevel::Warning, reason.to_string());
            }
        }
    }

    /// Processes one decoded message received on `link` (`clusterProcessPacket`).
    pub fn handle_message(&mut self, now_ms: i64, link: LinkId, msg: BusMessage) {
        self.count_received(&msg);
        if self.drop_packet_filter == Some(msg.type_code()) {
            self.log(
                LogLevel::Warning,
                "Dropping packet that matches debug drop filter".to_owned(),
            );
        } else if self.links.contains_key(&link) {
            self.process_packet(now_ms, link, &msg);
        }
        self.finish_input(now_ms);
    }

    /// `getNodeFromLinkAndMsg`.
    fn resolve_sender(&mut self, link: LinkId, header: &Header) -> Option<NodeKey> {
        let link_node = self.links.get(&link).and_then(|l| l.node);
        if let Some(node) = link_node {
            if self.nodes.get(node).is_some_and(|n| !n.in_handshake()) {
                return Some(node);
            }
        }
        let sender = self.nodes.lookup(&header.sender_id)?;
        if link_node.is_none() {
            self.bind_inbound_link(sender, link);
        }
        Some(sender)
    }

    fn process_packet(&mut self, now_ms: i64, link: LinkId, msg: &BusMessage) {
        let header = &msg.header;
        let kind = msg.known_type();
        let sender = self.resolve_sender(link, header);
        let mut sender_config_epoch = 0;

        if let Some(s) = sender {
            if let Some(n) = self.nodes.get_mut(s) {
                n.data_received_ms = now_ms;
            }
        }
        if let Some(s) = sender.filter(|&s| self.nodes.get(s).is_some_and(|n| !n.in_handshake())) {
            sender_config_epoch = header.config_epoch;
            if header.current_epoch > self.current_epoch {
                self.current_epoch = header.current_epoch;
            }
            let mut bumped = false;
            if let Some(n) = self.nodes.get_mut(s) {
                if sender_config_epoch > n.config_epoch {
                    n.config_epoch = sender_config_epoch;
                    bumped = true;
                }
                n.repl_offset = header.replication_offset;
                n.repl_offset_time_ms = now_ms;
            }
            if bumped {
                self.todo_save_fsync();
            }
        }

        match &msg.body {
            MessageBody::Ping(body) | MessageBody::Pong(body) | MessageBody::Meet(body) => {
                let kind = kind.unwrap_or(MessageType::Ping);
                if kind != MessageType::Pong {
                    self.on_ping_or_meet(now_ms, link, header, kind, sender, &body.gossip);
                }
                self.on_ping_family(now_ms, link, msg, kind, sender, sender_config_epoch);
            }
            MessageBody::Fail { node_id } => {
                let Some(_) = sender else {
                    self.log(
                        LogLevel::Notice,
                        format!(
                            "Ignoring FAIL message from unknown node {} about {node_id}",
                            header.sender_id
                        ),
                    );
                    return;
                };
                let Some(failing) = self.nodes.lookup(node_id) else {
                    return;
                };
                let Some(n) = self.nodes.get_mut(failing) else {
                    return;
                };
                if n.flags.intersects(NodeFlags::FAIL | NodeFlags::MYSELF) {
                    return;
                }
                n.flags.insert(NodeFlags::FAIL);
                n.flags.remove(NodeFlags::PFAIL);
                n.fail_time_ms = now_ms;
                self.log(
                    LogLevel::Notice,
                    format!(
                        "FAIL message received from {} about {node_id}",
                        header.sender_id
                    ),
                );
                self.todo_save();
                self.todo_update_state();
            }
            MessageBody::Publish(body) | MessageBody::PublishShard(body) => {
                if sender.is_none() {
                    return;
                }
                self.effects.push_back(Effect::DeliverPublish {
                    channel: body.channel.clone(),
                    message: body.message.clone(),
                    shard: matches!(msg.body, MessageBody::PublishShard(_)),
                });
            }
            MessageBody::FailoverAuthRequest => {
                if let Some(s) = sender {
                    self.on_failover_auth_request(now_ms, s, header);
                }
            }
            MessageBody::FailoverAuthAck => {
                // Elections are not implemented: Shoal never asks for votes, so
                // an ACK has nothing to count (Redis ignores stale ACKs the same
                // way: they only matter during its own election).
            }
            MessageBody::MfStart => {
                if let Some(s) = sender {
                    self.on_mfstart(now_ms, link, s);
                }
            }
            MessageBody::Update(update) => {
                if sender.is_none() {
                    return;
                }
                let Some(node) = self.nodes.lookup(&update.node_id) else {
                    return;
                };
                let known_epoch = self.nodes.get(node).map_or(0, |n| n.config_epoch);
                if known_epoch >= update.config_epoch {
                    return;
                }
                if self.node_is_replica(node) {
                    self.set_node_as_primary(node);
                }
                if let Some(n) = self.nodes.get_mut(node) {
                    n.config_epoch = update.config_epoch;
                }
                self.todo_save_fsync();
                self.update_slots_config_with(node, update.config_epoch, &update.slots);
            }
            MessageBody::Module(_) => {
                // No module API: nothing subscribes to module messages.
            }
            MessageBody::Unknown { type_code, .. } => {
                self.log(
                    LogLevel::Warning,
                    format!("Received unknown packet type: {type_code}"),
                );
            }
        }
    }

    /// The PING/MEET-only part: own IP discovery, MEET from an unknown node, and
    /// the PONG reply (always sent, even to unknown senders).
    fn on_ping_or_meet(
        &mut self,
        now_ms: i64,
        link: LinkId,
        header: &Header,
        kind: MessageType,
        sender: Option<NodeKey>,
        gossip: &[crate::bus::message::GossipEntry],
    ) {
        let my_ip_unknown = self.myself_node().ip.is_empty();
        if (kind == MessageType::Meet || my_ip_unknown) && self.config.announce_ip.is_none() {
            let local_ip = self.links.get(&link).map(|l| l.local_ip.clone());
            if let Some(ip) = local_ip.filter(|ip| !ip.is_empty()) {
                if ip != self.myself_node().ip {
                    self.log(
                        LogLevel::Warning,
                        format!("IP address for this node updated to {ip}"),
                    );
                    self.myself_node_mut().ip = ip;
                    self.todo_save();
                }
            }
        }
        if sender.is_none() && kind == MessageType::Meet {
            if self.nodes.len() < MAX_KNOWN_NODES {
                let id = super::random_node_id(&mut self.rng);
                let mut node = Node::new(id, NodeFlags::HANDSHAKE, now_ms);
                node.ip = self.peer_address(link, header);
                node.port = header.port;
                node.pport = header.plaintext_port;
                node.cport = header.bus_port;
                self.nodes.insert(node);
                self.todo_save();
            }
            // MEET is trusted: process its gossip even though the sender is not
            // known yet.
            self.process_gossip(now_ms, None, gossip);
        }
        self.send_ping(now_ms, link, MessageType::Pong);
    }

    /// `nodeIp2String`: the announced IP, else the link's peer address.
    fn peer_address(&self, link: LinkId, header: &Header) -> String {
        if !header.announced_ip.is_unset() {
            ip_field_text(&header.announced_ip)
        } else {
            self.links
                .get(&link)
                .map(|l| l.peer_ip.clone())
                .unwrap_or_default()
        }
    }

    /// `nodeUpdateAddressIfNeeded`: true if the address changed.
    fn update_address_if_needed(&mut self, node: NodeKey, link: LinkId, header: &Header) -> bool {
        let Some(n) = self.nodes.get(node) else {
            return false;
        };
        if n.link == Some(link) {
            return false;
        }
        let ip = self.peer_address(link, header);
        if n.port == header.port
            && n.cport == header.bus_port
            && n.pport == header.plaintext_port
            && n.ip == ip
        {
            return false;
        }
        let old_link = n.link;
        let port = header.port;
        if let Some(n) = self.nodes.get_mut(node) {
            n.ip = ip.clone();
            n.port = header.port;
            n.pport = header.plaintext_port;
            n.cport = header.bus_port;
            n.flags.remove(NodeFlags::NOADDR);
        }
        if let Some(l) = old_link {
            self.free_link(l);
        }
        let id = self.node_id_of(node);
        self.log(
            LogLevel::Warning,
            format!("Address updated for node {id}, now {ip}:{port}"),
        );
        if self.myself_is_replica() && self.myself_node().primary == Some(node) {
            self.effects.push_back(Effect::ReplicateFrom {
                primary_id: id,
                ip,
                port,
            });
        }
        true
    }

    /// Configuration processing shared by PING, PONG and MEET.
    fn on_ping_family(
        &mut self,
        now_ms: i64,
        link: LinkId,
        msg: &BusMessage,
        kind: MessageType,
        sender: Option<NodeKey>,
        sender_config_epoch: u64,
    ) {
        let header = &msg.header;
        let Some(l) = self.links.get(&link) else {
            return;
        };
        let (inbound, link_node) = (l.inbound, l.node);

        if !inbound {
            let Some(ln) = link_node else {
                return;
            };
            let Some(ln_node) = self.nodes.get(ln) else {
                return;
            };
            if ln_node.in_handshake() {
                if let Some(s) = sender {
                    // We already know this node: fix its address and drop the
                    // handshake node (and with it this link).
                    let sid = self.node_id_of(s);
                    self.log(
                        LogLevel::Verbose,
                        format!(
                            "Handshake: we already know node {sid}, updating the address if needed."
                        ),
                    );
                    if self.update_address_if_needed(s, link, header) {
                        self.todo_save();
                        self.todo_update_state();
                    }
                    self.del_node(ln);
                    return;
                }
                // Handshake completed: take the real name and role.
                self.nodes.rename(ln, header.sender_id);
                if let Some(n) = self.nodes.get_mut(ln) {
                    n.flags.remove(NodeFlags::HANDSHAKE);
                    n.flags.insert(NodeFlags(
                        header.flags.0 & (NodeFlags::PRIMARY.0 | NodeFlags::REPLICA.0),
                    ));
                }
                self.log(
                    LogLevel::Debug,
                    format!("Handshake with node {} completed.", header.sender_id),
                );
                self.todo_save();
            } else if ln_node.id != header.sender_id {
                // The address now belongs to another node: forget the address.
                let (id, age) = (ln_node.id, now_ms - ln_node.created_ms);
                self.log(
                    LogLevel::Debug,
                    format!(
                        "PONG contains mismatching sender ID. About node {id} added {age} ms ago, \
                         having flags {}",
                        ln_node.flags.0
                    ),
                );
                if let Some(n) = self.nodes.get_mut(ln) {
                    n.flags.insert(NodeFlags::NOADDR);
                    n.ip.clear();
                    n.port = 0;
                    n.pport = 0;
                    n.cport = 0;
                }
                self.free_link(link);
                self.todo_save();
                return;
            }
        }

        // NOFAILOVER is dynamic: always trust the sender's latest value.
        if let Some(n) = sender.and_then(|s| self.nodes.get_mut(s)) {
            if header.flags.contains(NodeFlags::NOFAILOVER) {
                n.flags.insert(NodeFlags::NOFAILOVER);
            } else {
                n.flags.remove(NodeFlags::NOFAILOVER);
            }
        }

        if kind == MessageType::Ping {
            if let Some(s) = sender {
                if self.nodes.get(s).is_some_and(|n| !n.in_handshake())
                    && self.update_address_if_needed(s, link, header)
                {
                    self.todo_save();
                    self.todo_update_state();
                }
            }
        }

        if !inbound && kind == MessageType::Pong {
            if let Some(ln) = link_node {
                let mut cleared_pfail = false;
                let mut was_failed = false;
                if let Some(n) = self.nodes.get_mut(ln) {
                    n.pong_received_ms = now_ms;
                    n.ping_sent_ms = 0;
                    if n.timed_out() {
                        n.flags.remove(NodeFlags::PFAIL);
                        cleared_pfail = true;
                    } else if n.failed() {
                        was_failed = true;
                    }
                }
                if cleared_pfail {
                    self.todo_save();
                    self.todo_update_state();
                } else if was_failed {
                    self.clear_failure_if_needed(now_ms, ln);
                }
            }
        }

        // Role switch, decided by the header's `slaveof`.
        if let Some(s) = sender {
            match header.primary_id {
                None => self.set_node_as_primary(s),
                Some(primary_id) => {
                    let primary = self.nodes.lookup(&primary_id);
                    if self.node_is_primary(s) {
                        // A primary turned into a replica.
                        self.del_node_slots(s);
                        if let Some(n) = self.nodes.get_mut(s) {
                            n.flags.remove(NodeFlags::PRIMARY | NodeFlags::MIGRATE_TO);
                            n.flags.insert(NodeFlags::REPLICA);
                        }
                        self.todo_save();
                        self.todo_update_state();
                    }
                    if let Some(p) = primary {
                        let current = self.nodes.get(s).and_then(|n| n.primary);
                        if current != Some(p) {
                            if let Some(old) = current {
                                self.remove_replica(old, s);
                            }
                            self.add_replica(p, s);
                            if let Some(n) = self.nodes.get_mut(s) {
                                n.primary = Some(p);
                            }
                            self.todo_save();
                        }
                    }
                }
            }
        }

        // Slot claims: only when the claimed set differs from what we recorded.
        let mut dirty_slots = false;
        if let Some(s) = sender {
            // Compared with the sender's primary when it is a replica.
            let sender_primary = if self.node_is_primary(s) {
                Some(s)
            } else {
                self.nodes.get(s).and_then(|n| n.primary)
            };
            if let Some(sp) = sender_primary.and_then(|k| self.nodes.get(k)) {
                dirty_slots = sp.slots != header.slots;
            }
        }
        if let Some(s) = sender {
            if self.node_is_primary(s) && dirty_slots {
                self.update_slots_config_with(s, sender_config_epoch, &header.slots);
            }
            if dirty_slots {
                self.send_update_if_stale(s, sender_config_epoch, &header.slots);
            }
            if self.myself_is_primary()
                && self.node_is_primary(s)
                && self.nodes.get(s).is_some()
                && sender_config_epoch == self.myself_node().config_epoch
            {
                self.handle_config_epoch_collision(s);
            }
            if let Some(body) = msg.body.ping_body() {
                self.process_gossip(now_ms, Some(s), &body.gossip);
                self.process_ping_extensions(s, body);
            }
        }
    }

    /// The reverse check of §6.8: the sender claims a slot that a node with a
    /// greater configEpoch owns → tell it with an UPDATE (first offending slot).
    fn send_update_if_stale(&mut self, sender: NodeKey, sender_epoch: u64, claimed: &SlotBitmap) {
        for slot in claimed.iter() {
            let Some(owner) = self.owner(slot) else {
                continue;
            };
            if owner == sender || self.owner_not_claiming.get(slot) {
                continue;
            }
            let owner_epoch = self.nodes.get(owner).map_or(0, |n| n.config_epoch);
            if owner_epoch > sender_epoch {
                let (sid, oid) = (self.node_id_of(sender), self.node_id_of(owner));
                self.log(
                    LogLevel::Verbose,
                    format!(
                        "Node {sid} has old slots configuration, sending an UPDATE message \
                         about {oid}"
                    ),
                );
                if let Some(link) = self.nodes.get(sender).and_then(|n| n.link) {
                    self.send_update(link, owner);
                }
                break;
            }
        }
    }

    /// `clusterSendUpdate`: `node`'s id, configEpoch and slots, without the slots
    /// its owner no longer claims.
    pub(super) fn send_update(&mut self, link: LinkId, node: NodeKey) {
        let Some(n) = self.nodes.get(node) else {
            return;
        };
        let mut slots = n.slots.clone();
        for slot in n.slots.iter() {
            if self.owner_not_claiming.get(slot) {
                slots.clear(slot);
            }
        }
        let body = crate::bus::message::UpdateBody {
            config_epoch: n.config_epoch,
            node_id: n.id,
            slots,
        };
        let msg = self.message(MessageBody::Update(body));
        self.send_on_link(link, &msg);
    }

    /// `clusterSendFailoverAuthIfNeeded` (§6.7 "Master voting").
    fn on_failover_auth_request(&mut self, now_ms: i64, node: NodeKey, request: &Header) {
        let me = self.myself_node();
        if me.is_replica() || me.num_slots == 0 {
            return;
        }
        let Some(requester) = self.nodes.get(node) else {
            return;
        };
        let requester_id = requester.id;
        if request.current_epoch < self.current_epoch {
            self.log(
                LogLevel::Warning,
                format!(
                    "Failover auth denied to {requester_id}: reqEpoch ({}) < curEpoch({})",
                    request.current_epoch, self.current_epoch
                ),
            );
            return;
        }
        if self.last_vote_epoch == self.current_epoch {
            self.log(
                LogLevel::Warning,
                format!(
                    "Failover auth denied to {requester_id}: already voted for epoch {}",
                    self.current_epoch
                ),
            );
            return;
        }
        let primary = requester.primary;
        let force_ack = request.mflags.force_ack();
        let primary_failed = primary
            .and_then(|p| self.nodes.get(p))
            .is_some_and(|p| p.failed());
        if requester.is_primary() || primary.is_none() || (!primary_failed && !force_ack) {
            let reason = if requester.is_primary() {
                "it is a master node"
            } else if primary.is_none() {
                "I don't know its master"
            } else {
                "its master is up"
            };
            self.log(
                LogLevel::Warning,
                format!("Failover auth denied to {requester_id}: {reason}"),
            );
            return;
        }
        let Some(primary) = primary else {
            return;
        };
        let voted_ms = self.nodes.get(primary).map_or(0, |p| p.voted_time_ms);
        let window = self.config.node_timeout_ms.saturating_mul(2);
        if now_ms - voted_ms < window {
            self.log(
                LogLevel::Warning,
                format!(
                    "Failover auth denied to {requester_id}: can't vote about this master before \
                     {} milliseconds",
                    window - (now_ms - voted_ms)
                ),
            );
            return;
        }
        for slot in request.slots.iter() {
            let Some(owner) = self.owner(slot).and_then(|k| self.nodes.get(k)) else {
                continue;
            };
            if owner.config_epoch <= request.config_epoch {
                continue;
            }
            let owner_epoch = owner.config_epoch;
            self.log(
                LogLevel::Warning,
                format!(
                    "Failover auth denied to {requester_id}: slot {slot} epoch ({owner_epoch}) > \
                     reqEpoch ({})",
                    request.config_epoch
                ),
            );
            return;
        }
        self.last_vote_epoch = self.current_epoch;
        if let Some(p) = self.nodes.get_mut(primary) {
            p.voted_time_ms = now_ms;
        }
        self.todo_save_fsync();
        if let Some(link) = self.nodes.get(node).and_then(|n| n.link) {
            let msg = self.message(MessageBody::FailoverAuthAck);
            self.send_on_link(link, &msg);
        }
        let epoch = self.current_epoch;
        self.log(
            LogLevel::Warning,
            format!("Failover auth granted to {requester_id} for epoch {epoch}"),
        );
    }

    /// MFSTART from one of my replicas: pause writes and let it catch up
    /// (primary side of §6.10).
    fn on_mfstart(&mut self, now_ms: i64, link: LinkId, sender: NodeKey) {
        let is_my_replica = self
            .nodes
            .get(sender)
            .is_some_and(|n| n.primary == Some(self.myself));
        if !is_my_replica {
            return;
        }
        self.reset_manual_failover();
        self.mf.end_ms = now_ms + MF_TIMEOUT_MS;
        self.mf.replica = Some(sender);
        self.effects.push_back(Effect::PauseWrites {
            until_ms: now_ms + MF_TIMEOUT_MS * MF_PAUSE_MULT,
        });
        let id = self.node_id_of(sender);
        self.log(
            LogLevel::Warning,
            format!("Manual failover requested by replica {id}."),
        );
        // The replica learns our paused offset from this PING.
        self.send_ping(now_ms, link, MessageType::Ping);
    }
}

/// The message type an ignored frame had, for the receive stats.
fn ignored_type(reason: &crate::bus::codec::InvalidFrame) -> Option<u16> {
    use crate::bus::codec::InvalidFrame;
    match reason {
        InvalidFrame::UnsupportedVersion { .. } => None,
        InvalidFrame::LengthMismatch { type_code, .. }
        | InvalidFrame::ExtensionPadding { type_code, .. }
        | InvalidFrame::ExtensionOverflow { type_code, .. } => {
            (usize::from(*type_code) < 11).then_some(*type_code)
        }
    }
}
