//! The node table (`server.cluster->nodes` and `clusterNode`, reference §6).
//!
//! Owns: per-node records and their lookup by id. Nodes are addressed internally
//! by a stable [`NodeKey`] so that renaming a handshake node (§5.7) does not
//! invalidate references from slots, replicas or failure reports. Must never:
//! expose iteration in hash order — iteration is by node id (ascending), which is
//! what every output of the state machine uses.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use crate::bus::message::{NodeFlags, NodeId, SlotBitmap};

use super::{FailReport, LinkId};

/// Stable internal handle of a node; never reused within one state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NodeKey(NonZeroU32);

/// One known node (`clusterNode`).
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) id: NodeId,
    pub(crate) created_ms: i64,
    pub(crate) flags: NodeFlags,
    pub(crate) config_epoch: u64,
    /// Slots this node owns (mirror of `slot_owner` entries pointing here).
    pub(crate) slots: SlotBitmap,
    pub(crate) num_slots: usize,
    /// `slaveof`.
    pub(crate) primary: Option<NodeKey>,
    /// `slaves[]`, in the order they were added.
    pub(crate) replicas: Vec<NodeKey>,
    pub(crate) ping_sent_ms: i64,
    pub(crate) pong_received_ms: i64,
    pub(crate) data_received_ms: i64,
    pub(crate) fail_time_ms: i64,
    pub(crate) voted_time_ms: i64,
    pub(crate) repl_offset_time_ms: i64,
    pub(crate) orphaned_time_ms: i64,
    pub(crate) repl_offset: u64,
    pub(crate) ip: String,
    pub(crate) hostname: String,
    pub(crate) port: u16,
    pub(crate) pport: u16,
    pub(crate) cport: u16,
    /// Outbound link (`node->link`).
    pub(crate) link: Option<LinkId>,
    /// Inbound link (`node->inbound_link`).
    pub(crate) inbound_link: Option<LinkId>,
    /// At most one report per reporting node, so bounded by the table size.
    pub(crate) fail_reports: Vec<FailReport>,
}

impl Node {
    /// `createClusterNode`.
    pub(crate) fn new(id: NodeId, flags: NodeFlags, now_ms: i64) -> Node {
        Node {
            id,
            created_ms: now_ms,
            flags,
            config_epoch: 0,
            slots: SlotBitmap::new(),
            num_slots: 0,
            primary: None,
            replicas: Vec::new(),
            ping_sent_ms: 0,
            pong_received_ms: 0,
            data_received_ms: 0,
            fail_time_ms: 0,
            voted_time_ms: 0,
            repl_offset_time_ms: 0,
            orphaned_time_ms: 0,
            repl_offset: 0,
            ip: String::new(),
            hostname: String::new(),
            port: 0,
            pport: 0,
            cport: 0,
            link: None,
            inbound_link: None,
            fail_reports: Vec::new(),
        }
    }

    pub(crate) fn is_primary(&self) -> bool {
        self.flags.contains(NodeFlags::PRIMARY)
    }

    pub(crate) fn is_replica(&self) -> bool {
        self.flags.contains(NodeFlags::REPLICA)
    }

    /// `nodeTimedOut`: flagged PFAIL.
    pub(crate) fn timed_out(&self) -> bool {
        self.flags.contains(NodeFlags::PFAIL)
    }

    /// `nodeFailed`: flagged FAIL.
    pub(crate) fn failed(&self) -> bool {
        self.flags.contains(NodeFlags::FAIL)
    }

    pub(crate) fn in_handshake(&self) -> bool {
        self.flags.contains(NodeFlags::HANDSHAKE)
    }
}

/// All known nodes, including myself.
#[derive(Clone, Debug)]
pub(crate) struct NodeTable {
    nodes: BTreeMap<NodeKey, Node>,
    by_id: BTreeMap<NodeId, NodeKey>,
    next_key: u32,
}

impl Default for NodeTable {
    fn default() -> Self {
        NodeTable {
            nodes: BTreeMap::new(),
            by_id: BTreeMap::new(),
            next_key: 1,
        }
    }
}

impl NodeTable {
    /// Adds a node (`clusterAddNode`). If a node with the same id exists the old
    /// entry is shadowed in the id index; callers check with [`Self::lookup`] first.
    pub(crate) fn insert(&mut self, node: Node) -> NodeKey {
        let raw = self.next_key;
        self.next_key = self.next_key.saturating_add(1);
        let key = NodeKey(NonZeroU32::new(raw).unwrap_or(NonZeroU32::MIN));
        self.by_id.insert(node.id, key);
        self.nodes.insert(key, node);
        key
    }

    pub(crate) fn get(&self, key: NodeKey) -> Option<&Node> {
        self.nodes.get(&key)
    }

    pub(crate) fn get_mut(&mut self, key: NodeKey) -> Option<&mut Node> {
        self.nodes.get_mut(&key)
    }

    /// `clusterLookupNode` by exact id.
    pub(crate) fn lookup(&self, id: &NodeId) -> Option<NodeKey> {
        self.by_id.get(id).copied()
    }

    /// `clusterRenameNode`.
    pub(crate) fn rename(&mut self, key: NodeKey, new_id: NodeId) {
        let Some(node) = self.nodes.get_mut(&key) else {
            return;
        };
        if self.by_id.get(&node.id) == Some(&key) {
            self.by_id.remove(&node.id);
        }
        node.id = new_id;
        self.by_id.insert(new_id, key);
    }

    /// Removes the entry; references elsewhere must be cleared by the caller.
    pub(crate) fn remove(&mut self, key: NodeKey) -> Option<Node> {
        let node = self.nodes.remove(&key)?;
        if self.by_id.get(&node.id) == Some(&key) {
            self.by_id.remove(&node.id);
        }
        Some(node)
    }

    /// Number of nodes (`dictSize(server.cluster->nodes)`).
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Snapshot of all keys ordered by node id (safe to mutate while iterating).
    pub(crate) fn keys_by_id(&self) -> Vec<NodeKey> {
        self.by_id.values().copied().collect()
    }

    /// Iterates nodes ordered by node id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (NodeKey, &Node)> + '_ {
        self.by_id
            .values()
            .filter_map(move |k| self.nodes.get(k).map(|n| (*k, n)))
    }

    /// The key at position `index` in id order (for random picks).
    pub(crate) fn key_at(&self, index: usize) -> Option<NodeKey> {
        self.by_id.values().nth(index).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: u8) -> NodeId {
        NodeId::from_bytes([c; 40])
    }

    #[test]
    fn insert_lookup_rename_remove() {
        let mut table = NodeTable::default();
        let a = table.insert(Node::new(id(b'b'), NodeFlags::PRIMARY, 0));
        let b = table.insert(Node::new(id(b'a'), NodeFlags::REPLICA, 0));
        assert_ne!(a, b);
        assert_eq!(table.lookup(&id(b'b')), Some(a));
        // Iteration is by id, not by insertion.
        assert_eq!(table.keys_by_id(), vec![b, a]);
        table.rename(a, id(b'0'));
        assert_eq!(table.lookup(&id(b'b')), None);
        assert_eq!(table.lookup(&id(b'0')), Some(a));
        assert_eq!(table.keys_by_id(), vec![a, b]);
        assert_eq!(table.key_at(1), Some(b));
        assert_eq!(table.key_at(2), None);
        let removed = table.remove(a).map(|n| n.id);
        assert_eq!(removed, Some(id(b'0')));
        assert_eq!(table.len(), 1);
        assert!(table.remove(a).is_none());
        assert!(table.get(a).is_none());
    }
}
