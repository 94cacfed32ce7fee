//! Test-only in-memory network for [`ClusterState`]s.
//!
//! Owns: wiring effects of several state machines together — connects become
//! accepted links on the target, sends are encoded bytes decoded by the codec and
//! delivered in FIFO order, virtual time advances in 100 ms ticks. Must never:
//! sleep or use real sockets; everything is deterministic.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::bus::codec;
use crate::bus::message::{BusMessage, NodeId};

use super::{ClusterConfig, ClusterState, Effect, LinkEvent, LinkId};

/// One simulated node.
pub(crate) struct SimNode {
    pub(crate) state: ClusterState,
    pub(crate) ip: String,
    pub(crate) port: u16,
    pub(crate) bus_port: u16,
    /// Last nodes.conf written (on [`Effect::PersistConfig`]).
    pub(crate) persisted: Option<String>,
    /// Effects other than link/persist traffic, for assertions.
    pub(crate) other_effects: Vec<Effect>,
    pub(crate) down: bool,
}

enum What {
    Message(Box<BusMessage>),
    Event(LinkEvent),
}

struct Delivery {
    to: usize,
    link: LinkId,
    what: What,
}

/// A deterministic network of nodes.
pub(crate) struct Sim {
    pub(crate) nodes: Vec<SimNode>,
    pub(crate) now_ms: i64,
    /// Link endpoint → the peer endpoint.
    pairs: BTreeMap<(usize, LinkId), (usize, LinkId)>,
    queue: VecDeque<Delivery>,
    /// Unordered pairs of nodes that cannot talk.
    cut: BTreeSet<(usize, usize)>,
    /// Messages of these type codes are dropped (like DEBUG DROP-CLUSTER-PACKET-FILTER).
    pub(crate) drop_types: BTreeSet<u16>,
    pub(crate) delivered: u64,
}

pub(crate) const START_MS: i64 = 1_700_000_000_000;

pub(crate) fn node_config(i: usize, node_timeout_ms: i64) -> ClusterConfig {
    let port = 7000 + i as u16;
    ClusterConfig {
        node_timeout_ms,
        port,
        bus_port: port + 10_000,
        ..ClusterConfig::default()
    }
}

/// A deterministic id for node `i`: `i` in hex, padded with `0`.
pub(crate) fn test_id(i: usize) -> NodeId {
    let text = format!("{:040x}", i + 1);
    NodeId::parse(&text).unwrap_or(NodeId::NULL)
}

impl Sim {
    /// `n` fresh nodes with ids `test_id(i)`, IPs 10.0.0.(i+1).
    pub(crate) fn new(n: usize, node_timeout_ms: i64) -> Sim {
        let mut nodes = Vec::new();
        for i in 0..n {
            let config = node_config(i, node_timeout_ms);
            let (port, bus_port) = (config.port, config.bus_port);
            let state = ClusterState::new(config, Some(test_id(i)), START_MS, 1000 + i as u64);
            nodes.push(SimNode {
                state,
                ip: format!("10.0.0.{}", i + 1),
                port,
                bus_port,
                persisted: None,
                other_effects: Vec::new(),
                down: false,
            });
        }
        let mut sim = Sim {
            nodes,
            now_ms: START_MS,
            pairs: BTreeMap::new(),
            queue: VecDeque::new(),
            cut: BTreeSet::new(),
            drop_types: BTreeSet::new(),
            delivered: 0,
        };
        sim.run_until_quiet();
        sim
    }

    pub(crate) fn state(&self, i: usize) -> &ClusterState {
        &self.nodes[i].state
    }

    pub(crate) fn state_mut(&mut self, i: usize) -> &mut ClusterState {
        &mut self.nodes[i].state
    }

    fn find(&self, ip: &str, bus_port: u16) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.ip == ip && n.bus_port == bus_port)
    }

    fn is_cut(&self, a: usize, b: usize) -> bool {
        self.cut.contains(&(a.min(b), a.max(b)))
    }

    /// Moves every pending effect of every node into the delivery queue.
    fn collect_effects(&mut self) -> bool {
        let mut any = false;
        for i in 0..self.nodes.len() {
            while let Some(effect) = self.nodes[i].state.poll_effect() {
                any = true;
                self.apply_effect(i, effect);
            }
        }
        any
    }

    fn apply_effect(&mut self, i: usize, effect: Effect) {
        match effect {
            Effect::Connect {
                link, ip, bus_port, ..
            } => {
                let target = self
                    .find(&ip, bus_port)
                    .filter(|&j| !self.nodes[j].down && !self.is_cut(i, j) && !self.nodes[i].down);
                match target {
                    Some(j) => {
                        let (peer_ip, local_ip) =
                            (self.nodes[i].ip.clone(), self.nodes[j].ip.clone());
                        let now = self.now_ms;
                        let lj = self.nodes[j].state.accept_link(now, &peer_ip, &local_ip);
                        self.pairs.insert((i, link), (j, lj));
                        self.pairs.insert((j, lj), (i, link));
                        self.queue.push_back(Delivery {
                            to: i,
                            link,
                            what: What::Event(LinkEvent::Connected),
                        });
                    }
                    None => self.queue.push_back(Delivery {
                        to: i,
                        link,
                        what: What::Event(LinkEvent::ConnectFailed),
                    }),
                }
            }
            Effect::Send { link, bytes } => {
                let len = bytes.len() as u64;
                if let Some(&(j, lj)) = self.pairs.get(&(i, link)) {
                    let msg =
                        codec::decode(&bytes).expect("the state machine encodes valid frames");
                    if !self.drop_types.contains(&msg.type_code()) {
                        self.queue.push_back(Delivery {
                            to: j,
                            link: lj,
                            what: What::Message(Box::new(msg)),
                        });
                    }
                    self.queue.push_back(Delivery {
                        to: i,
                        link,
                        what: What::Event(LinkEvent::Drained { bytes: len }),
                    });
                }
            }
            Effect::Disconnect { link } => {
                if let Some((j, lj)) = self.pairs.remove(&(i, link)) {
                    self.pairs.remove(&(j, lj));
                    self.queue.push_back(Delivery {
                        to: j,
                        link: lj,
                        what: What::Event(LinkEvent::Closed),
                    });
                }
            }
            Effect::PersistConfig { .. } => {
                self.nodes[i].persisted = Some(self.nodes[i].state.to_nodes_conf());
            }
            Effect::Log { .. } => {}
            other => self.nodes[i].other_effects.push(other),
        }
    }

    /// Hands effects that a test drained from node `i` back to the network.
    pub(crate) fn replay(&mut self, i: usize, effects: Vec<Effect>) {
        for effect in effects {
            self.apply_effect(i, effect);
        }
    }

    /// Delivers queued messages/events until nothing is left.
    pub(crate) fn run_until_quiet(&mut self) {
        let mut budget = 1_000_000u32;
        loop {
            self.collect_effects();
            let Some(d) = self.queue.pop_front() else {
                break;
            };
            budget = budget
                .checked_sub(1)
                .expect("the network does not converge");
            if self.nodes[d.to].down {
                continue;
            }
            let now = self.now_ms;
            match d.what {
                What::Message(msg) => {
                    self.delivered += 1;
                    self.nodes[d.to].state.handle_message(now, d.link, *msg);
                }
                What::Event(event) => self.nodes[d.to].state.handle_link_event(now, d.link, event),
            }
        }
    }

    /// One 100 ms tick on every live node, then delivery until quiet.
    pub(crate) fn tick(&mut self) {
        self.now_ms += 100;
        let now = self.now_ms;
        for node in self.nodes.iter_mut().filter(|n| !n.down) {
            node.state.handle_tick(now);
        }
        self.run_until_quiet();
    }

    pub(crate) fn advance(&mut self, ms: i64) {
        for _ in 0..(ms / 100) {
            self.tick();
        }
    }

    /// Runs ticks until `done` holds (or panics after `max_ms`).
    pub(crate) fn run_until(&mut self, max_ms: i64, mut done: impl FnMut(&Sim) -> bool) {
        let deadline = self.now_ms + max_ms;
        while !done(self) {
            assert!(
                self.now_ms < deadline,
                "condition not reached within {max_ms} ms"
            );
            self.tick();
        }
    }

    fn close_links_between(&mut self, a: usize, b: usize) {
        let doomed: Vec<((usize, LinkId), (usize, LinkId))> = self
            .pairs
            .iter()
            .filter(|((x, _), (y, _))| (*x == a && *y == b) || (*x == b && *y == a))
            .map(|(k, v)| (*k, *v))
            .collect();
        for (here, there) in doomed {
            self.pairs.remove(&here);
            self.pairs.remove(&there);
            self.queue.push_back(Delivery {
                to: here.0,
                link: here.1,
                what: What::Event(LinkEvent::Closed),
            });
        }
    }

    /// Stops node `i`: its connections close, it receives nothing.
    pub(crate) fn kill(&mut self, i: usize) {
        self.nodes[i].down = true;
        for j in 0..self.nodes.len() {
            if j != i {
                self.close_links_between(i, j);
            }
        }
        self.run_until_quiet();
    }

    /// Brings node `i` back with the same state (a process pause, not a restart).
    pub(crate) fn revive(&mut self, i: usize) {
        self.nodes[i].down = false;
        // Its own links were closed by the peers; let it notice too.
        let mine: Vec<LinkId> = self.nodes[i].state.link_ids();
        let now = self.now_ms;
        for link in mine {
            if !self.pairs.contains_key(&(i, link)) {
                self.nodes[i]
                    .state
                    .handle_link_event(now, link, LinkEvent::Closed);
            }
        }
        self.run_until_quiet();
    }

    /// Cuts `a` from `b` (existing connections close, new ones fail).
    pub(crate) fn partition(&mut self, a: usize, b: usize) {
        self.cut.insert((a.min(b), a.max(b)));
        self.close_links_between(a, b);
        self.run_until_quiet();
    }

    pub(crate) fn heal(&mut self) {
        self.cut.clear();
    }

    /// Node `from` runs CLUSTER MEET towards node `to`.
    pub(crate) fn meet(&mut self, from: usize, to: usize) {
        let (ip, port, bus) = (
            self.nodes[to].ip.clone(),
            self.nodes[to].port,
            self.nodes[to].bus_port,
        );
        let now = self.now_ms;
        self.nodes[from]
            .state
            .meet(now, &ip, i64::from(port), i64::from(bus))
            .expect("valid address");
        self.run_until_quiet();
    }

    /// Forms a full mesh by chained MEETs (every node meets node 0) and waits.
    pub(crate) fn form_mesh(&mut self) {
        for i in 1..self.nodes.len() {
            self.meet(i, 0);
        }
        let n = self.nodes.len();
        self.run_until(30_000, |sim| sim.all_know_each_other(n));
        // Inbound links are tied to their node by the first message from it.
        self.run_until(30_000, |sim| {
            sim.nodes
                .iter()
                .all(|x| x.state.links_view().len() == 2 * (n - 1))
        });
    }

    pub(crate) fn all_know_each_other(&self, n: usize) -> bool {
        self.nodes.iter().filter(|x| !x.down).all(|node| {
            let text = node.state.cluster_nodes_text(false);
            text.lines().count() == n
                && !text.contains("handshake")
                && !text.contains("disconnected")
                && !text.contains(" :")
        })
    }

    /// redis-cli's consistency signature of node `i`'s CLUSTER NODES (§0.7).
    pub(crate) fn signature(&self, i: usize) -> String {
        let text = self.nodes[i].state.cluster_nodes_text(false);
        let mut lines: Vec<String> = text
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(' ').collect();
                let mut slots: Vec<&str> = fields
                    .get(8..)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|t| !t.starts_with('['))
                    .copied()
                    .collect();
                if slots.is_empty() {
                    return None;
                }
                slots.sort_unstable();
                Some(format!("{}:{}", fields[0], slots.join(",")))
            })
            .collect();
        lines.sort();
        lines.join("|")
    }
}
