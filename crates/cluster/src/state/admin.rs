//! CLUSTER subcommands that change state (reference §3.1, §3.3, §6.12, §6.14;
//! Redis `clusterCommand`).
//!
//! Owns: validation and effects of MEET, ADDSLOTS[RANGE], DELSLOTS[RANGE],
//! FLUSHSLOTS, SETSLOT, BUMPEPOCH, SET-CONFIG-EPOCH, FORGET, RESET, REPLICATE and
//! COUNT-FAILURE-REPORTS. Errors are the exact Redis error text without the
//! leading `-`. Must never: parse RESP arguments — the engine turns arguments into
//! numbers/strings (and owns argument-parsing errors such as "ERR Invalid or out
//! of range slot" for non-numeric input).

use std::net::IpAddr;

use crate::bus::message::NodeFlags;

use super::gossip::PongTarget;
use super::node_table::{Node, NodeKey};
use super::{parse_lookup_id, random_node_id, ClusterState, Effect, LogLevel, SLOT_COUNT};

/// The action of `CLUSTER SETSLOT <slot> …`; node ids are the raw client text so
/// that error replies can echo it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetSlotAction {
    /// `IMPORTING <node-id>`.
    Importing(String),
    /// `MIGRATING <node-id>`.
    Migrating(String),
    /// `STABLE`.
    Stable,
    /// `NODE <node-id>`.
    Node(String),
}

const ERR_INVALID_SLOT: &str = "ERR Invalid or out of range slot";

impl ClusterState {
    /// `CLUSTER MEET ip port bus-port`: start a handshake (§5.7). Ports are taken
    /// as integers so the range check and its error match Redis.
    pub fn meet(&mut self, now_ms: i64, ip: &str, port: i64, bus_port: i64) -> Result<(), String> {
        let invalid = || format!("ERR Invalid node address specified: {ip}:{port}");
        let Ok(addr) = ip.parse::<IpAddr>() else {
            return Err(invalid());
        };
        if !(1..=65535).contains(&port) || !(1..=65535).contains(&bus_port) {
            return Err(invalid());
        }
        let (port, bus_port) = (port as u16, bus_port as u16);
        // inet_ntop normal form.
        let norm_ip = addr.to_string();
        let in_progress = self.nodes.iter().any(|(_, n)| {
            n.in_handshake()
                && n.ip.eq_ignore_ascii_case(&norm_ip)
                && n.port == port
                && n.cport == bus_port
        });
        if !in_progress && self.nodes.len() < super::MAX_KNOWN_NODES {
            let id = random_node_id(&mut self.rng);
            let mut node = Node::new(id, NodeFlags::HANDSHAKE | NodeFlags::MEET, now_ms);
            node.ip = norm_ip;
            node.port = port;
            node.cport = bus_port;
            self.nodes.insert(node);
        }
        self.finish_input(now_ms);
        Ok(())
    }

    /// `CLUSTER ADDSLOTS slot…`.
    pub fn add_slots(&mut self, now_ms: i64, slots: &[u16]) -> Result<(), String> {
        let ranges: Vec<(u16, u16)> = slots.iter().map(|&s| (s, s)).collect();
        if slots.iter().any(|&s| usize::from(s) >= SLOT_COUNT) {
            return Err(ERR_INVALID_SLOT.to_owned());
        }
        self.update_slots_admin(now_ms, &ranges, false, false)
    }

    /// `CLUSTER ADDSLOTSRANGE start end …`.
    pub fn add_slots_range(&mut self, now_ms: i64, ranges: &[(u16, u16)]) -> Result<(), String> {
        self.update_slots_admin(now_ms, ranges, false, true)
    }

    /// `CLUSTER DELSLOTS slot…`.
    pub fn del_slots(&mut self, now_ms: i64, slots: &[u16]) -> Result<(), String> {
        let ranges: Vec<(u16, u16)> = slots.iter().map(|&s| (s, s)).collect();
        if slots.iter().any(|&s| usize::from(s) >= SLOT_COUNT) {
            return Err(ERR_INVALID_SLOT.to_owned());
        }
        self.update_slots_admin(now_ms, &ranges, true, false)
    }

    /// `CLUSTER DELSLOTSRANGE start end …`.
    pub fn del_slots_range(&mut self, now_ms: i64, ranges: &[(u16, u16)]) -> Result<(), String> {
        self.update_slots_admin(now_ms, ranges, true, true)
    }

    /// `checkSlotAssignmentsOrReply` over every range, then `clusterUpdateSlots`.
    fn update_slots_admin(
        &mut self,
        now_ms: i64,
        ranges: &[(u16, u16)],
        del: bool,
        range_form: bool,
    ) -> Result<(), String> {
        let mut seen = vec![false; SLOT_COUNT];
        for &(start, end) in ranges {
            if usize::from(start) >= SLOT_COUNT || usize::from(end) >= SLOT_COUNT {
                return Err(ERR_INVALID_SLOT.to_owned());
            }
            if range_form && start > end {
                return Err(format!(
                    "ERR start slot number {start} is greater than end slot number {end}"
                ));
            }
            for slot in start..=end {
                let assigned = self.owner(slot).is_some();
                if del && !assigned {
                    return Err(format!("ERR Slot {slot} is already unassigned"));
                }
                if !del && assigned {
                    return Err(format!("ERR Slot {slot} is already busy"));
                }
                let Some(flag) = seen.get_mut(usize::from(slot)) else {
                    return Err(ERR_INVALID_SLOT.to_owned());
                };
                if *flag {
                    return Err(format!("ERR Slot {slot} specified multiple times"));
                }
                *flag = true;
            }
        }
        for (slot, &marked) in seen.iter().enumerate() {
            if !marked {
                continue;
            }
            let slot = slot as u16;
            // We are now the real owner (or nobody is): importing is over.
            self.importing_from.remove(&slot);
            if del {
                self.del_slot(slot);
            } else {
                self.add_slot(self.myself, slot);
            }
        }
        self.todo_update_state();
        self.todo_save();
        self.finish_input(now_ms);
        Ok(())
    }

    /// `CLUSTER FLUSHSLOTS`; `db_empty` tells whether DB 0 has no keys.
    pub fn flush_slots(&mut self, now_ms: i64, db_empty: bool) -> Result<(), String> {
        if !db_empty {
            return Err("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.".to_owned());
        }
        self.del_node_slots(self.myself);
        self.todo_update_state();
        self.todo_save();
        self.finish_input(now_ms);
        Ok(())
    }

    /// Looks up a node named by client text for SETSLOT/FORGET/REPLICATE.
    fn lookup_text(&self, text: &str) -> Option<NodeKey> {
        parse_lookup_id(text).and_then(|id| self.nodes.lookup(&id))
    }

    /// `CLUSTER SETSLOT slot action` (§3.3). `keys_in_slot` is the number of keys
    /// this node holds in `slot` (`countKeysInSlot`).
    pub fn set_slot(
        &mut self,
        now_ms: i64,
        slot: u16,
        action: SetSlotAction,
        keys_in_slot: usize,
    ) -> Result<(), String> {
        if self.myself_is_replica() {
            return Err("ERR Please use SETSLOT only with masters.".to_owned());
        }
        if usize::from(slot) >= SLOT_COUNT {
            return Err(ERR_INVALID_SLOT.to_owned());
        }
        let owner = self.owner(slot);
        match action {
            SetSlotAction::Migrating(id_text) => {
                if owner != Some(self.myself) {
                    return Err(format!("ERR I'm not the owner of hash slot {slot}"));
                }
                let target = self.known_primary(&id_text, true)?;
                self.migrating_to.insert(slot, target);
            }
            SetSlotAction::Importing(id_text) => {
                if owner == Some(self.myself) {
                    return Err(format!("ERR I'm already the owner of hash slot {slot}"));
                }
                let source = self.known_primary(&id_text, true)?;
                self.importing_from.insert(slot, source);
            }
            SetSlotAction::Stable => {
                self.importing_from.remove(&slot);
                self.migrating_to.remove(&slot);
            }
            SetSlotAction::Node(id_text) => {
                let target = self.known_primary(&id_text, false)?;
                if owner == Some(self.myself) && target != self.myself && keys_in_slot != 0 {
                    return Err(format!(
                        "ERR Can't assign hashslot {slot} to a different node while I still \
                         hold keys for this hash slot."
                    ));
                }
                // No keys left: assigning the slot elsewhere closes the migration.
                if keys_in_slot == 0 {
                    self.migrating_to.remove(&slot);
                }
                let slot_was_mine = owner == Some(self.myself);
                self.del_slot(slot);
                self.add_slot(target, slot);
                if slot_was_mine
                    && target != self.myself
                    && self.myself_node().num_slots == 0
                    && self.config.allow_replica_migration
                {
                    let id = self.node_id_of(target);
                    self.log(
                        LogLevel::Warning,
                        format!(
                            "Configuration change detected. Reconfiguring myself as a replica \
                             of {id}"
                        ),
                    );
                    self.set_my_primary(target);
                    self.todo_save_fsync();
                    self.todo_update_state();
                }
                if target == self.myself && self.importing_from.contains_key(&slot) {
                    // A manually migrated slot: claim it under a fresh epoch so the
                    // new ownership wins everywhere, and say so right away.
                    if self.bump_epoch_without_consensus() {
                        self.log(
                            LogLevel::Warning,
                            format!("configEpoch updated after importing slot {slot}"),
                        );
                    }
                    self.importing_from.remove(&slot);
                    self.broadcast_pong(now_ms, PongTarget::All);
                }
            }
        }
        self.todo_save();
        self.todo_update_state();
        self.finish_input(now_ms);
        Ok(())
    }

    /// Node lookup with SETSLOT's errors. `migrate_form` selects the
    /// MIGRATING/IMPORTING wording ("I don't know about node") over NODE's
    /// ("Unknown node").
    fn known_primary(&self, id_text: &str, migrate_form: bool) -> Result<NodeKey, String> {
        let Some(key) = self.lookup_text(id_text) else {
            return Err(if migrate_form {
                format!("ERR I don't know about node {id_text}")
            } else {
                format!("ERR Unknown node {id_text}")
            });
        };
        if self.node_is_replica(key) {
            return Err("ERR Target node is not a master".to_owned());
        }
        Ok(key)
    }

    /// `CLUSTER BUMPEPOCH`: `(bumped, my config epoch)` for `+BUMPED n` / `+STILL n`.
    pub fn bump_epoch(&mut self, now_ms: i64) -> (bool, u64) {
        let bumped = self.bump_epoch_without_consensus();
        let epoch = self.myself_node().config_epoch;
        self.finish_input(now_ms);
        (bumped, epoch)
    }

    /// `CLUSTER SET-CONFIG-EPOCH epoch`.
    pub fn set_config_epoch(&mut self, now_ms: i64, epoch: i64) -> Result<(), String> {
        if epoch < 0 {
            return Err(format!("ERR Invalid config epoch specified: {epoch}"));
        }
        if self.nodes.len() > 1 {
            return Err(
                "ERR The user can assign a config epoch only when the node does not \
                        know any other node."
                    .to_owned(),
            );
        }
        if self.myself_node().config_epoch != 0 {
            return Err("ERR Node config epoch is already non-zero".to_owned());
        }
        let epoch = epoch as u64;
        self.myself_node_mut().config_epoch = epoch;
        self.log(
            LogLevel::Warning,
            format!("configEpoch set to {epoch} via CLUSTER SET-CONFIG-EPOCH"),
        );
        if self.current_epoch < epoch {
            self.current_epoch = epoch;
        }
        self.todo_update_state();
        self.todo_save();
        self.finish_input(now_ms);
        Ok(())
    }

    /// `CLUSTER FORGET node-id`: delete the node and blacklist it for 60 s.
    pub fn forget(&mut self, now_ms: i64, id_text: &str) -> Result<(), String> {
        let Some(key) = self.lookup_text(id_text) else {
            return Err(format!("ERR Unknown node {id_text}"));
        };
        if key == self.myself {
            return Err("ERR I tried hard but I can't forget myself...".to_owned());
        }
        if self.myself_is_replica() && self.myself_node().primary == Some(key) {
            return Err("ERR Can't forget my master!".to_owned());
        }
        let id = self.node_id_of(key);
        self.blacklist_add(now_ms, id);
        self.del_node(key);
        self.todo_update_state();
        self.todo_save();
        self.finish_input(now_ms);
        Ok(())
    }

    /// `CLUSTER RESET [HARD|SOFT]` (§6.14). `db_empty`: DB 0 has no keys.
    pub fn reset(&mut self, now_ms: i64, hard: bool, db_empty: bool) -> Result<(), String> {
        if self.myself_is_primary() && !db_empty {
            return Err(
                "ERR CLUSTER RESET can't be called with master nodes containing keys".to_owned(),
            );
        }
        if self.myself_is_replica() {
            let me = self.myself;
            self.set_node_as_primary(me);
            self.effects.push_back(Effect::StopReplication);
            self.effects.push_back(Effect::FlushAllData);
        }
        self.close_all_slots();
        self.reset_manual_failover();
        for slot in 0..SLOT_COUNT as u16 {
            self.del_slot(slot);
        }
        for key in self.nodes.keys_by_id() {
            if key != self.myself {
                self.del_node(key);
            }
        }
        if hard {
            self.current_epoch = 0;
            self.last_vote_epoch = 0;
            self.myself_node_mut().config_epoch = 0;
            self.log(
                LogLevel::Warning,
                "configEpoch set to 0 via CLUSTER RESET HARD".to_owned(),
            );
            let new_id = random_node_id(&mut self.rng);
            let me = self.myself;
            self.nodes.rename(me, new_id);
            self.log(
                LogLevel::Notice,
                format!("Node hard reset, now I'm {new_id}"),
            );
        }
        self.todo_save_fsync();
        self.todo_update_state();
        self.finish_input(now_ms);
        Ok(())
    }

    /// `CLUSTER REPLICATE node-id`; `my_db_empty`: DB 0 has no keys.
    pub fn replicate(
        &mut self,
        now_ms: i64,
        id_text: &str,
        my_db_empty: bool,
    ) -> Result<(), String> {
        let Some(key) = self.lookup_text(id_text) else {
            return Err(format!("ERR Unknown node {id_text}"));
        };
        if key == self.myself {
            return Err("ERR Can't replicate myself".to_owned());
        }
        if self.node_is_replica(key) {
            return Err("ERR I can only replicate a master, not a replica.".to_owned());
        }
        if self.myself_is_primary() && (self.myself_node().num_slots != 0 || !my_db_empty) {
            return Err(
                "ERR To set a master the node must be empty and without assigned slots.".to_owned(),
            );
        }
        self.set_my_primary(key);
        self.todo_update_state();
        self.todo_save();
        self.finish_input(now_ms);
        Ok(())
    }

    /// `CLUSTER COUNT-FAILURE-REPORTS node-id`: valid (unexpired) reports.
    pub fn count_failure_reports(&self, now_ms: i64, id_text: &str) -> Result<usize, String> {
        let Some(key) = self.lookup_text(id_text) else {
            return Err(format!("ERR Unknown node {id_text}"));
        };
        let max_age = self
            .config
            .node_timeout_ms
            .saturating_mul(super::FAIL_REPORT_VALIDITY_MULT);
        Ok(self.nodes.get(key).map_or(0, |n| {
            n.fail_reports
                .iter()
                .filter(|r| now_ms - r.time_ms <= max_age)
                .count()
        }))
    }

    /// `verifyClusterConfigWithData` (§6.13): at startup a primary takes
    /// unassigned slots it has keys for, and marks slots owned elsewhere that it
    /// has keys for as importing (so `redis-cli --cluster fix` can repair them).
    /// `slots_with_keys` lists the slots of DB 0 that hold keys. Returns whether
    /// the configuration changed (and was queued for an fsynced save).
    pub fn verify_config_with_data(&mut self, now_ms: i64, slots_with_keys: &[u16]) -> bool {
        if self.myself_is_replica() {
            return false;
        }
        let mut changed = false;
        for &slot in slots_with_keys {
            if usize::from(slot) >= SLOT_COUNT {
                continue;
            }
            let owner = self.owner(slot);
            if owner == Some(self.myself) || self.importing_from.contains_key(&slot) {
                continue;
            }
            changed = true;
            match owner {
                None => {
                    self.log(
                        LogLevel::Warning,
                        format!(
                            "I have keys for unassigned slot {slot}. Taking responsibility for it."
                        ),
                    );
                    self.add_slot(self.myself, slot);
                }
                Some(other) => {
                    self.log(
                        LogLevel::Warning,
                        format!(
                            "I have keys for slot {slot}, but the slot is assigned to another \
                             node. Setting it to importing state."
                        ),
                    );
                    self.importing_from.insert(slot, other);
                }
            }
        }
        if changed {
            self.todo_save_fsync();
        }
        self.finish_input(now_ms);
        changed
    }

    /// `DEBUG CLUSTERLINK KILL to|from|all <node-id>`: close our outbound and/or
    /// inbound link with a node (they are re-created by the cron / the peer).
    pub fn debug_kill_links(
        &mut self,
        now_ms: i64,
        id_text: &str,
        outbound: bool,
        inbound: bool,
    ) -> Result<(), String> {
        let Some(key) = self.lookup_text(id_text) else {
            return Err(format!("ERR Unknown node {id_text}"));
        };
        let (out, inb) = self
            .nodes
            .get(key)
            .map(|n| (n.link, n.inbound_link))
            .unwrap_or_default();
        if outbound {
            if let Some(link) = out {
                self.free_link(link);
            }
        }
        if inbound {
            if let Some(link) = inb {
                self.free_link(link);
            }
        }
        self.finish_input(now_ms);
        Ok(())
    }

    /// `DEBUG DROP-CLUSTER-PACKET-FILTER <type>`: drop received messages of this
    /// type code (`None` = drop nothing, Redis's `-1`).
    pub fn set_drop_packet_filter(&mut self, type_code: Option<u16>) {
        self.drop_packet_filter = type_code;
    }
}
