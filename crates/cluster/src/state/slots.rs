//! Slot ownership and roles (reference §6.8, §0.9; Redis `clusterAddSlot`,
//! `clusterDelSlot`, `clusterUpdateSlotsConfigWith`, `clusterSetNodeAsMaster`,
//! `clusterSetMaster`, `clusterNodeAddSlave`, `clusterDelNode`).
//!
//! Owns: every change to `slot_owner`, per-node slot bitmaps, primary/replica
//! links between nodes, and node deletion. Must never: leave a reference to a
//! deleted node behind (slots, open slots, replicas, failure reports, links).

use crate::bus::message::{NodeFlags, SlotBitmap};

use super::node_table::NodeKey;
use super::{ClusterState, Effect, LogLevel, SLOT_COUNT};

impl ClusterState {
    /// The owner of `slot`.
    pub(super) fn owner(&self, slot: u16) -> Option<NodeKey> {
        self.slot_owner.get(usize::from(slot)).copied().flatten()
    }

    /// `clusterMastersHaveSlaves`.
    fn primaries_have_replicas(&self) -> bool {
        self.nodes
            .iter()
            .any(|(_, n)| !n.is_replica() && !n.replicas.is_empty())
    }

    /// `clusterAddSlot`: fails (false) when the slot is already assigned.
    pub(super) fn add_slot(&mut self, node: NodeKey, slot: u16) -> bool {
        if usize::from(slot) >= SLOT_COUNT || self.owner(slot).is_some() {
            return false;
        }
        let have_replicas = self.primaries_have_replicas();
        let Some(n) = self.nodes.get_mut(node) else {
            return false;
        };
        if !n.slots.get(slot) {
            n.slots.set(slot);
            n.num_slots += 1;
            // A primary getting its first slot becomes a replica-migration target
            // if some primary has replicas (redis#3043).
            if n.num_slots == 1 && have_replicas {
                n.flags.insert(NodeFlags::MIGRATE_TO);
            }
        }
        if let Some(owner) = self.slot_owner.get_mut(usize::from(slot)) {
            *owner = Some(node);
        }
        true
    }

    /// `clusterDelSlot`: false when the slot was unassigned.
    pub(super) fn del_slot(&mut self, slot: u16) -> bool {
        let Some(owner) = self.owner(slot) else {
            return false;
        };
        // My shard stops serving it: shard-channel subscribers must go.
        if self.nodes_in_shard_of(owner).contains(&self.myself) {
            self.lost_slots.push(slot);
        }
        if let Some(n) = self.nodes.get_mut(owner) {
            if n.slots.get(slot) {
                n.slots.clear(slot);
                n.num_slots = n.num_slots.saturating_sub(1);
            }
        }
        if let Some(entry) = self.slot_owner.get_mut(usize::from(slot)) {
            *entry = None;
        }
        self.owner_not_claiming.clear(slot);
        true
    }

    /// `clusterDelNodeSlots`: number of slots removed.
    pub(super) fn del_node_slots(&mut self, node: NodeKey) -> usize {
        let slots: Vec<u16> = match self.nodes.get(node) {
            Some(n) => n.slots.iter().collect(),
            None => return 0,
        };
        for &slot in &slots {
            self.del_slot(slot);
        }
        slots.len()
    }

    /// `clusterNodeAddSlave`.
    pub(super) fn add_replica(&mut self, primary: NodeKey, replica: NodeKey) {
        if let Some(p) = self.nodes.get_mut(primary) {
            if p.replicas.contains(&replica) {
                return;
            }
            p.replicas.push(replica);
            p.flags.insert(NodeFlags::MIGRATE_TO);
        }
    }

    /// `clusterNodeRemoveSlave`.
    pub(super) fn remove_replica(&mut self, primary: NodeKey, replica: NodeKey) {
        if let Some(p) = self.nodes.get_mut(primary) {
            if let Some(pos) = p.replicas.iter().position(|&r| r == replica) {
                p.replicas.remove(pos);
                if p.replicas.is_empty() {
                    p.flags.remove(NodeFlags::MIGRATE_TO);
                }
            }
        }
    }

    /// `clusterSetNodeAsMaster`: `node` is (now) a primary.
    pub(super) fn set_node_as_primary(&mut self, node: NodeKey) {
        let Some(n) = self.nodes.get(node) else {
            return;
        };
        if n.is_primary() {
            return;
        }
        if let Some(old_primary) = n.primary {
            self.remove_replica(old_primary, node);
            if node != self.myself {
                if let Some(n) = self.nodes.get_mut(node) {
                    n.flags.insert(NodeFlags::MIGRATE_TO);
                }
            }
        }
        if let Some(n) = self.nodes.get_mut(node) {
            n.flags.remove(NodeFlags::REPLICA);
            n.flags.insert(NodeFlags::PRIMARY);
            n.primary = None;
        }
        self.todo_save();
        self.todo_update_state();
    }

    /// `clusterSetMaster`: myself becomes a replica of `primary` (requires that
    /// I own no slots).
    pub(super) fn set_my_primary(&mut self, primary: NodeKey) {
        if primary == self.myself || self.myself_node().num_slots != 0 {
            // Redis asserts both; refuse instead of corrupting the state.
            return;
        }
        if self.myself_is_primary() {
            let me = self.myself_node_mut();
            me.flags.remove(NodeFlags::PRIMARY | NodeFlags::MIGRATE_TO);
            me.flags.insert(NodeFlags::REPLICA);
            self.close_all_slots();
        } else if let Some(old) = self.myself_node().primary {
            let me = self.myself;
            self.remove_replica(old, me);
        }
        self.myself_node_mut().primary = Some(primary);
        let me = self.myself;
        self.add_replica(primary, me);
        if let Some(p) = self.nodes.get(primary) {
            self.effects.push_back(Effect::ReplicateFrom {
                primary_id: p.id,
                ip: p.ip.clone(),
                port: p.port,
            });
        }
        self.reset_manual_failover();
    }

    /// `clusterCloseAllSlots`.
    pub(super) fn close_all_slots(&mut self) {
        self.migrating_to.clear();
        self.importing_from.clear();
    }

    /// `resetManualFailover` (primary side: lift the write pause).
    pub(super) fn reset_manual_failover(&mut self) {
        if self.mf.replica.is_some() {
            self.effects.push_back(Effect::ResumeWrites);
        }
        self.mf = super::ManualFailover::default();
    }

    /// `clusterUpdateSlotsConfigWith`: `sender` (a primary) claims `slots` under
    /// `sender_epoch`; rebind what it wins and react if we lost our slots.
    pub(super) fn update_slots_config_with(
        &mut self,
        sender: NodeKey,
        sender_epoch: u64,
        slots: &SlotBitmap,
    ) {
        if sender == self.myself {
            self.log(
                LogLevel::Warning,
                "Discarding UPDATE message about myself.".to_owned(),
            );
            return;
        }
        let cur_primary = if self.myself_is_primary() {
            Some(self.myself)
        } else {
            self.myself_node().primary
        };
        let mut new_primary = None;
        let mut dirty_slots: Vec<u16> = Vec::new();
        let mut sender_slots = 0usize;
        let mut migrated_our_slots = 0usize;

        for slot in 0..SLOT_COUNT as u16 {
            let owner = self.owner(slot);
            if slots.get(slot) {
                sender_slots += 1;
                if owner == Some(sender) {
                    self.owner_not_claiming.clear(slot);
                    continue;
                }
                // An importing slot is only closed by the admin (redis-cli).
                if self.importing_from.contains_key(&slot) {
                    continue;
                }
                let unclaimed = owner.is_none() || self.owner_not_claiming.get(slot);
                let older = owner
                    .and_then(|k| self.nodes.get(k))
                    .is_some_and(|n| n.config_epoch < sender_epoch);
                if unclaimed || older {
                    // Redis only marks slots that still hold keys; the shell knows
                    // keys, so every lost slot of mine is reported and deleting keys
                    // of an empty slot is a no-op.
                    if owner == Some(self.myself) {
                        dirty_slots.push(slot);
                    }
                    if owner.is_some() && owner == cur_primary {
                        new_primary = Some(sender);
                        migrated_our_slots += 1;
                    }
                    self.del_slot(slot);
                    self.add_slot(sender, slot);
                    self.todo_save_fsync();
                    self.todo_update_state();
                }
            } else if owner == Some(sender) {
                // Still bound to the sender, which stopped claiming it: keep the
                // binding (no client errors) but never propagate it in UPDATEs.
                self.owner_not_claiming.set(slot);
            }
        }

        let cur_primary_slots = cur_primary
            .and_then(|k| self.nodes.get(k))
            .map_or(0, |n| n.num_slots);
        let my_primary = self.myself_node().primary;
        let grand_primary = my_primary
            .and_then(|k| self.nodes.get(k))
            .and_then(|n| n.primary);
        if new_primary.is_some()
            && cur_primary_slots == 0
            && (self.config.allow_replica_migration || sender_slots == migrated_our_slots)
        {
            let id = self.node_id_of(sender);
            self.log(
                LogLevel::Warning,
                format!("Configuration change detected. Reconfiguring myself as a replica of {id}"),
            );
            self.set_my_primary(sender);
            self.todo_save_fsync();
            self.todo_update_state();
        } else if let Some(grand) = grand_primary.filter(|&g| g != self.myself) {
            // A replica whose primary became a replica: follow the new primary.
            let id = self.node_id_of(grand);
            self.log(
                LogLevel::Warning,
                format!("I'm a sub-replica! Reconfiguring myself as a replica of grandmaster {id}"),
            );
            self.set_my_primary(grand);
            self.todo_save_fsync();
            self.todo_update_state();
        } else if !dirty_slots.is_empty() {
            self.effects
                .push_back(Effect::DeleteKeysInSlots { slots: dirty_slots });
        }
    }

    /// `clusterDelNode` + `freeClusterNode`: forget a node entirely.
    pub(super) fn del_node(&mut self, node: NodeKey) {
        if node == self.myself {
            return;
        }
        self.importing_from.retain(|_, k| *k != node);
        self.migrating_to.retain(|_, k| *k != node);
        let owned: Vec<u16> = self
            .nodes
            .get(node)
            .map(|n| n.slots.iter().collect())
            .unwrap_or_default();
        for slot in owned {
            self.del_slot(slot);
        }
        // Remove failure reports sent by this node.
        for key in self.nodes.keys_by_id() {
            if let Some(n) = self.nodes.get_mut(key) {
                n.fail_reports.retain(|r| r.reporter != node);
            }
        }
        let Some(removed) = self.nodes.get(node).cloned() else {
            return;
        };
        for replica in &removed.replicas {
            if let Some(r) = self.nodes.get_mut(*replica) {
                if r.primary == Some(node) {
                    r.primary = None;
                }
            }
        }
        if removed.is_replica() {
            if let Some(primary) = removed.primary {
                self.remove_replica(primary, node);
            }
        }
        // Also drop it from any replica list it may still be in.
        for key in self.nodes.keys_by_id() {
            if let Some(n) = self.nodes.get_mut(key) {
                n.replicas.retain(|r| *r != node);
            }
        }
        if self.mf.replica == Some(node) {
            self.mf.replica = None;
        }
        if let Some(link) = removed.link {
            self.free_link(link);
        }
        if let Some(link) = removed.inbound_link {
            self.free_link(link);
        }
        // Inbound links that were bound to it but replaced by a newer one.
        let stale: Vec<_> = self
            .links
            .iter()
            .filter(|(_, l)| l.node == Some(node))
            .map(|(id, _)| *id)
            .collect();
        for link in stale {
            self.free_link(link);
        }
        self.nodes.remove(node);
    }
}
