//! The 100 ms timer (reference §6.2, §6.3, §6.9; Redis `clusterCron`).
//!
//! Owns: reconnects, handshake expiry, ping scheduling, link recycling, PFAIL
//! detection, send-buffer limits, manual-failover timeout and replica migration.
//! Must never: read a clock — "now" is the `now_ms` argument.

use rand::Rng;

use crate::bus::message::{MessageType, NodeFlags};

use super::node_table::NodeKey;
use super::{ClusterState, LogLevel, REPLICA_MIGRATION_DELAY_MS};

impl ClusterState {
    /// `clusterCron`: call every 100 ms (see [`ClusterState::next_deadline`]).
    pub fn handle_tick(&mut self, now_ms: i64) {
        self.last_tick_ms = now_ms;
        self.cron_iteration += 1;
        let nt = self.config.node_timeout_ms;
        let handshake_timeout = nt.max(1000);
        let mut update_state = false;

        // Pass 1: buffers, reconnects, handshake expiry.
        self.stats_pfail_nodes = 0;
        for key in self.nodes.keys_by_id() {
            self.enforce_sendbuf_limit(key);
            let Some(node) = self.nodes.get(key) else {
                continue;
            };
            if node.flags.intersects(NodeFlags::MYSELF | NodeFlags::NOADDR) {
                continue;
            }
            if node.flags.contains(NodeFlags::PFAIL) {
                self.stats_pfail_nodes += 1;
            }
            if node.in_handshake() && now_ms - node.created_ms > handshake_timeout {
                self.del_node(key);
                continue;
            }
            if node.link.is_none() {
                self.connect_node(now_ms, key);
            }
        }

        // About once a second, ping the node with the oldest pong among 5
        // random picks.
        if self.cron_iteration.is_multiple_of(10) {
            let mut best: Option<(NodeKey, i64)> = None;
            let len = self.nodes.len();
            for _ in 0..5 {
                let index = self.rng.gen_range(0..len);
                let Some(key) = self.nodes.key_at(index) else {
                    continue;
                };
                let Some(node) = self.nodes.get(key) else {
                    continue;
                };
                if node.link.is_none() || node.ping_sent_ms != 0 {
                    continue;
                }
                if node
                    .flags
                    .intersects(NodeFlags::MYSELF | NodeFlags::HANDSHAKE)
                {
                    continue;
                }
                if best.is_none_or(|(_, pong)| pong > node.pong_received_ms) {
                    best = Some((key, node.pong_received_ms));
                }
            }
            if let Some((key, _)) = best {
                if let Some(link) = self.nodes.get(key).and_then(|n| n.link) {
                    self.send_ping(now_ms, link, MessageType::Ping);
                }
            }
        }

        // Pass 2: link health, proactive pings, PFAIL, orphan statistics.
        let myself_replica = self.myself_is_replica();
        let my_primary = self.myself_node().primary;
        let mut orphaned_primaries = 0usize;
        let mut max_replicas = 0usize;
        let mut this_replicas = 0usize;
        for key in self.nodes.keys_by_id() {
            let Some(node) = self.nodes.get(key) else {
                continue;
            };
            if node
                .flags
                .intersects(NodeFlags::MYSELF | NodeFlags::NOADDR | NodeFlags::HANDSHAKE)
            {
                continue;
            }
            if myself_replica && node.is_primary() && !node.failed() {
                let ok_replicas = self.count_non_failing_replicas(key);
                if ok_replicas == 0
                    && node.num_slots > 0
                    && node.flags.contains(NodeFlags::MIGRATE_TO)
                {
                    orphaned_primaries += 1;
                }
                max_replicas = max_replicas.max(ok_replicas);
                if my_primary == Some(key) {
                    this_replicas = ok_replicas;
                }
            }
            let Some(node) = self.nodes.get(key) else {
                continue;
            };
            let ping_delay = now_ms - node.ping_sent_ms;
            let data_delay = now_ms - node.data_received_ms;
            if let Some(link) = node.link {
                let link_age = self.links.get(&link).map_or(0, |l| now_ms - l.created_ms);
                if link_age > nt
                    && node.ping_sent_ms != 0
                    && ping_delay > nt / 2
                    && data_delay > nt / 2
                {
                    // No traffic at all for a while: recycle the connection.
                    self.free_link(link);
                }
            }
            let Some(node) = self.nodes.get(key) else {
                continue;
            };
            if let Some(link) = node.link {
                if node.ping_sent_ms == 0 && now_ms - node.pong_received_ms > nt / 2 {
                    self.send_ping(now_ms, link, MessageType::Ping);
                    continue;
                }
                if self.mf.end_ms != 0 && self.myself_is_primary() && self.mf.replica == Some(key) {
                    self.send_ping(now_ms, link, MessageType::Ping);
                    continue;
                }
            }
            let Some(node) = self.nodes.get_mut(key) else {
                continue;
            };
            if node.ping_sent_ms == 0 {
                continue;
            }
            // Any data received counts as liveness.
            let node_delay = ping_delay.min(data_delay);
            if node_delay > nt && !node.flags.intersects(NodeFlags::PFAIL | NodeFlags::FAIL) {
                node.flags.insert(NodeFlags::PFAIL);
                let id = node.id;
                update_state = true;
                self.log(LogLevel::Debug, format!("*** NODE {id} possibly failing"));
            }
        }

        // Manual failover timeout (primary side).
        if self.mf.end_ms != 0 && self.mf.end_ms < now_ms {
            self.log(LogLevel::Warning, "Manual failover timed out.".to_owned());
            self.reset_manual_failover();
        }

        if self.myself_is_replica()
            && orphaned_primaries > 0
            && max_replicas >= 2
            && this_replicas == max_replicas
            && self.config.allow_replica_migration
        {
            self.handle_replica_migration(now_ms, max_replicas);
        }

        if update_state || !self.state_ok {
            self.update_state(now_ms);
        }
        self.finish_input(now_ms);
    }

    /// `clusterCountNonFailingSlaves`.
    fn count_non_failing_replicas(&self, primary: NodeKey) -> usize {
        self.nodes.get(primary).map_or(0, |p| {
            p.replicas
                .iter()
                .filter(|&&r| self.nodes.get(r).is_some_and(|n| !n.failed()))
                .count()
        })
    }

    /// `clusterHandleSlaveMigration` (§6.9).
    fn handle_replica_migration(&mut self, now_ms: i64, max_replicas: usize) {
        if !self.state_ok {
            return;
        }
        let Some(my_primary) = self.myself_node().primary else {
            return;
        };
        let ok_replicas = self.nodes.get(my_primary).map_or(0, |p| {
            p.replicas
                .iter()
                .filter(|&&r| {
                    self.nodes
                        .get(r)
                        .is_some_and(|n| !n.failed() && !n.timed_out())
                })
                .count()
        });
        if ok_replicas <= self.config.migration_barrier as usize {
            return;
        }
        let mut candidate = self.myself;
        let mut target = None;
        for key in self.nodes.keys_by_id() {
            let Some(node) = self.nodes.get(key) else {
                continue;
            };
            let mut is_orphaned = !(node.is_replica()
                || node.failed()
                || !node.flags.contains(NodeFlags::MIGRATE_TO));
            let ok = if node.is_primary() {
                self.count_non_failing_replicas(key)
            } else {
                0
            };
            if ok > 0 {
                is_orphaned = false;
            }
            let num_slots = node.num_slots;
            let replicas = node.replicas.clone();
            if is_orphaned {
                if target.is_none() && num_slots > 0 {
                    target = Some(key);
                }
                if let Some(n) = self.nodes.get_mut(key) {
                    if n.orphaned_time_ms == 0 {
                        n.orphaned_time_ms = now_ms;
                    }
                }
            } else if let Some(n) = self.nodes.get_mut(key) {
                n.orphaned_time_ms = 0;
            }
            if ok == max_replicas {
                for r in replicas {
                    let candidate_id = self.node_id_of(candidate);
                    if self.node_id_of(r).as_bytes() < candidate_id.as_bytes() {
                        candidate = r;
                    }
                }
            }
        }
        let Some(target) = target else {
            return;
        };
        let orphaned_since = self
            .nodes
            .get(target)
            .map_or(now_ms, |n| n.orphaned_time_ms);
        if candidate == self.myself && now_ms - orphaned_since > REPLICA_MIGRATION_DELAY_MS {
            let id = self.node_id_of(target);
            self.log(
                LogLevel::Warning,
                format!("Migrating to orphaned master {id}"),
            );
            self.set_my_primary(target);
        }
    }
}
