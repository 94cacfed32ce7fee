//! Query routing: may this node run a keyed command, or must the client be
//! redirected? (reference §3.6, §3.7; Redis `getNodeByQuery` and
//! `clusterRedirectClient`).
//!
//! Owns: the decision and the exact error strings (MOVED, ASK, TRYAGAIN,
//! CROSSSLOT, three CLUSTERDOWN variants). Must never: look at the keyspace
//! itself — key existence is asked through the caller's closure, and only for
//! slots that are migrating or importing, as Redis does.

use shoal_keyspace::key_hash_slot;

use crate::bus::message::NodeId;

/// What routing needs to know about the cluster; implemented by
/// [`crate::state::ClusterState`] and by test doubles.
pub trait SlotView {
    /// Owner of `slot`, `None` if unassigned.
    fn owner_of(&self, slot: u16) -> Option<NodeId>;
    /// This node's id.
    fn myself(&self) -> NodeId;
    /// My primary when this node is a replica.
    fn my_primary(&self) -> Option<NodeId>;
    /// The node `slot` is migrating to (set on the owner during resharding).
    fn migrating_to(&self, slot: u16) -> Option<NodeId>;
    /// True while this node imports `slot`.
    fn is_importing(&self, slot: u16) -> bool;
    /// `cluster_state:ok`.
    fn cluster_ok(&self) -> bool;
    /// `cluster-allow-reads-when-down`.
    fn allow_reads_when_down(&self) -> bool;
    /// `cluster-allow-pubsubshard-when-down`.
    fn allow_pubsubshard_when_down(&self) -> bool;
    /// `endpoint:port` for redirections to `node`.
    fn redirect_address(&self, node: &NodeId, use_pport: bool) -> String;
}

/// Facts about the command and client that change the routing decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteFlags {
    /// The command itself has the `write` flag (for EXEC: EXEC's own flags,
    /// which are not `write` — Redis checks the command, not the transaction, for
    /// the cluster-down read-only rule).
    pub write: bool,
    /// EXEC of a transaction that contains a write command (`mstate.cmd_flags`).
    pub exec_has_write: bool,
    /// The client sent READONLY.
    pub readonly_client: bool,
    /// The client sent ASKING, or the command has the `asking` flag
    /// (RESTORE-ASKING).
    pub asking: bool,
    /// SSUBSCRIBE / SUNSUBSCRIBE / SPUBLISH (channels count as keys).
    pub pubsub_shard: bool,
    /// MIGRATE (always local on an open slot).
    pub migrate: bool,
    /// Plaintext client of a TLS cluster: redirect to `pport`.
    pub use_pport: bool,
}

/// Why a keyed command is refused while the cluster is down (or the slot is not
/// served).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownReason {
    /// `CLUSTERDOWN Hash slot not served`.
    Unbound,
    /// `CLUSTERDOWN The cluster is down`.
    State,
    /// `CLUSTERDOWN The cluster is down and only accepts read commands`.
    ReadOnlyState,
}

/// The routing decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Execute here.
    Local,
    /// `MOVED <slot> <endpoint>:<port>`.
    Moved {
        /// The slot.
        slot: u16,
        /// `endpoint:port`.
        address: String,
    },
    /// `ASK <slot> <endpoint>:<port>`.
    Ask {
        /// The slot.
        slot: u16,
        /// `endpoint:port`.
        address: String,
    },
    /// `TRYAGAIN Multiple keys request during rehashing of slot`.
    TryAgain,
    /// `CROSSSLOT Keys in request don't hash to the same slot`.
    CrossSlot,
    /// One of the CLUSTERDOWN errors.
    ClusterDown(DownReason),
}

impl Route {
    /// The error reply text without the leading `-` (`None` for [`Route::Local`]).
    pub fn error_text(&self) -> Option<String> {
        Some(match self {
            Route::Local => return None,
            Route::Moved { slot, address } => format!("MOVED {slot} {address}"),
            Route::Ask { slot, address } => format!("ASK {slot} {address}"),
            Route::TryAgain => "TRYAGAIN Multiple keys request during rehashing of slot".to_owned(),
            Route::CrossSlot => "CROSSSLOT Keys in request don't hash to the same slot".to_owned(),
            Route::ClusterDown(DownReason::Unbound) => {
                "CLUSTERDOWN Hash slot not served".to_owned()
            }
            Route::ClusterDown(DownReason::State) => "CLUSTERDOWN The cluster is down".to_owned(),
            Route::ClusterDown(DownReason::ReadOnlyState) => {
                "CLUSTERDOWN The cluster is down and only accepts read commands".to_owned()
            }
        })
    }
}

/// Decides where a command with `keys` (all keys of the command, or of every
/// queued command for EXEC; channels for sharded pub/sub) must run.
///
/// `key_exists` is called (without touching the key) only when the slot is
/// migrating or importing, once per key occurrence, like Redis's lookup.
pub fn route<V: SlotView + ?Sized>(
    view: &V,
    keys: &[&[u8]],
    flags: RouteFlags,
    mut key_exists: impl FnMut(&[u8]) -> bool,
) -> Route {
    let Some((&first, _)) = keys.split_first() else {
        // No keys: always executed locally.
        return Route::Local;
    };
    let myself = view.myself();
    let slot = key_hash_slot(first);
    let Some(owner) = view.owner_of(slot) else {
        return Route::ClusterDown(DownReason::Unbound);
    };
    let migrating = owner == myself && view.migrating_to(slot).is_some();
    let importing = !migrating && view.is_importing(slot);
    let mut multiple_keys = false;
    let mut missing_keys = 0usize;
    let mut existing_keys = 0usize;
    for (i, &key) in keys.iter().enumerate() {
        if i > 0 && key != first {
            if key_hash_slot(key) != slot {
                return Route::CrossSlot;
            }
            multiple_keys = true;
        }
        if (migrating || importing) && !flags.pubsub_shard {
            if key_exists(key) {
                existing_keys += 1;
            } else {
                missing_keys += 1;
            }
        }
    }

    if !view.cluster_ok() {
        if flags.pubsub_shard {
            if !view.allow_pubsubshard_when_down() {
                return Route::ClusterDown(DownReason::State);
            }
        } else if !view.allow_reads_when_down() {
            return Route::ClusterDown(DownReason::State);
        } else if flags.write {
            return Route::ClusterDown(DownReason::ReadOnlyState);
        }
    }

    if (migrating || importing) && flags.migrate {
        return Route::Local;
    }

    if migrating && missing_keys > 0 {
        if existing_keys > 0 {
            return Route::TryAgain;
        }
        let target = view.migrating_to(slot).unwrap_or(owner);
        return Route::Ask {
            slot,
            address: view.redirect_address(&target, flags.use_pport),
        };
    }

    if importing && flags.asking {
        if multiple_keys && missing_keys > 0 {
            return Route::TryAgain;
        }
        return Route::Local;
    }

    let is_write = flags.write || flags.exec_has_write;
    if (flags.readonly_client || flags.pubsub_shard)
        && !is_write
        && view.my_primary() == Some(owner)
    {
        return Route::Local;
    }

    if owner != myself {
        return Route::Moved {
            slot,
            address: view.redirect_address(&owner, flags.use_pport),
        };
    }
    Route::Local
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn id(c: u8) -> NodeId {
        NodeId::from_bytes([c; 40])
    }

    struct View {
        me: NodeId,
        primary: Option<NodeId>,
        owners: BTreeMap<u16, NodeId>,
        migrating: BTreeMap<u16, NodeId>,
        importing: Vec<u16>,
        ok: bool,
        reads_when_down: bool,
        pubsubshard_when_down: bool,
    }

    impl View {
        fn new() -> View {
            View {
                me: id(b'a'),
                primary: None,
                owners: BTreeMap::new(),
                migrating: BTreeMap::new(),
                importing: Vec::new(),
                ok: true,
                reads_when_down: false,
                pubsubshard_when_down: true,
            }
        }
    }

    impl SlotView for View {
        fn owner_of(&self, slot: u16) -> Option<NodeId> {
            self.owners.get(&slot).copied()
        }
        fn myself(&self) -> NodeId {
            self.me
        }
        fn my_primary(&self) -> Option<NodeId> {
            self.primary
        }
        fn migrating_to(&self, slot: u16) -> Option<NodeId> {
            self.migrating.get(&slot).copied()
        }
        fn is_importing(&self, slot: u16) -> bool {
            self.importing.contains(&slot)
        }
        fn cluster_ok(&self) -> bool {
            self.ok
        }
        fn allow_reads_when_down(&self) -> bool {
            self.reads_when_down
        }
        fn allow_pubsubshard_when_down(&self) -> bool {
            self.pubsubshard_when_down
        }
        fn redirect_address(&self, node: &NodeId, _use_pport: bool) -> String {
            let port = 6379 + u16::from(node.as_bytes()[0] - b'a');
            format!("127.0.0.1:{port}")
        }
    }

    const FOO: &[u8] = b"foo"; // slot 12182
    const FOO_TAG: &[u8] = b"{foo}bar"; // slot 12182 too
    const HELLO: &[u8] = b"hello"; // slot 866

    fn all_exist(_: &[u8]) -> bool {
        true
    }

    fn none_exist(_: &[u8]) -> bool {
        false
    }

    #[test]
    fn error_strings_are_exact() {
        let cases = [
            (
                Route::Moved {
                    slot: 3999,
                    address: "127.0.0.1:6381".into(),
                },
                "MOVED 3999 127.0.0.1:6381",
            ),
            (
                Route::Ask {
                    slot: 3999,
                    address: "127.0.0.1:6381".into(),
                },
                "ASK 3999 127.0.0.1:6381",
            ),
            (
                Route::CrossSlot,
                "CROSSSLOT Keys in request don't hash to the same slot",
            ),
            (
                Route::TryAgain,
                "TRYAGAIN Multiple keys request during rehashing of slot",
            ),
            (
                Route::ClusterDown(DownReason::Unbound),
                "CLUSTERDOWN Hash slot not served",
            ),
            (
                Route::ClusterDown(DownReason::State),
                "CLUSTERDOWN The cluster is down",
            ),
            (
                Route::ClusterDown(DownReason::ReadOnlyState),
                "CLUSTERDOWN The cluster is down and only accepts read commands",
            ),
        ];
        for (route, text) in cases {
            assert_eq!(route.error_text().as_deref(), Some(text));
        }
        assert_eq!(Route::Local.error_text(), None);
    }

    #[test]
    fn basic_outcomes() {
        let mut v = View::new();
        v.owners.insert(12182, id(b'a'));
        v.owners.insert(866, id(b'c'));
        let f = RouteFlags::default();
        assert_eq!(route(&v, &[], f, all_exist), Route::Local);
        assert_eq!(route(&v, &[FOO], f, all_exist), Route::Local);
        assert_eq!(route(&v, &[FOO, FOO_TAG, FOO], f, all_exist), Route::Local);
        assert_eq!(
            route(&v, &[HELLO], f, all_exist),
            Route::Moved {
                slot: 866,
                address: "127.0.0.1:6381".into()
            }
        );
        assert_eq!(route(&v, &[FOO, HELLO], f, all_exist), Route::CrossSlot);
        assert_eq!(
            route(&v, &[b"unassigned-key"], f, all_exist),
            Route::ClusterDown(DownReason::Unbound)
        );
        // The first key decides "unbound" before later keys are compared.
        assert_eq!(
            route(&v, &[b"unassigned-key", FOO], f, all_exist),
            Route::ClusterDown(DownReason::Unbound)
        );
    }

    #[test]
    fn cluster_down_rules() {
        let mut v = View::new();
        v.owners.insert(12182, id(b'a'));
        v.ok = false;
        let read = RouteFlags::default();
        let write = RouteFlags {
            write: true,
            ..RouteFlags::default()
        };
        assert_eq!(
            route(&v, &[FOO], read, all_exist),
            Route::ClusterDown(DownReason::State)
        );
        v.reads_when_down = true;
        assert_eq!(route(&v, &[FOO], read, all_exist), Route::Local);
        assert_eq!(
            route(&v, &[FOO], write, all_exist),
            Route::ClusterDown(DownReason::ReadOnlyState)
        );
        // EXEC's own flags decide (Redis quirk): a transaction with writes passes.
        let exec = RouteFlags {
            exec_has_write: true,
            ..RouteFlags::default()
        };
        assert_eq!(route(&v, &[FOO], exec, all_exist), Route::Local);
        let shard = RouteFlags {
            pubsub_shard: true,
            ..RouteFlags::default()
        };
        assert_eq!(route(&v, &[FOO], shard, all_exist), Route::Local);
        v.pubsubshard_when_down = false;
        assert_eq!(
            route(&v, &[FOO], shard, all_exist),
            Route::ClusterDown(DownReason::State)
        );
        // Keyless commands always run.
        assert_eq!(route(&v, &[], write, all_exist), Route::Local);
    }

    #[test]
    fn migrating_slot() {
        let mut v = View::new();
        v.owners.insert(12182, id(b'a'));
        v.migrating.insert(12182, id(b'b'));
        let f = RouteFlags::default();
        assert_eq!(route(&v, &[FOO], f, all_exist), Route::Local);
        assert_eq!(
            route(&v, &[FOO], f, none_exist),
            Route::Ask {
                slot: 12182,
                address: "127.0.0.1:6380".into()
            }
        );
        assert_eq!(route(&v, &[FOO, FOO_TAG], f, |k| k == FOO), Route::TryAgain);
        let migrate = RouteFlags {
            migrate: true,
            ..RouteFlags::default()
        };
        assert_eq!(route(&v, &[FOO], migrate, none_exist), Route::Local);
        // Shard pub/sub never checks existence: served by the source.
        let shard = RouteFlags {
            pubsub_shard: true,
            ..RouteFlags::default()
        };
        let mut asked = false;
        assert_eq!(
            route(&v, &[FOO], shard, |_| {
                asked = true;
                false
            }),
            Route::Local
        );
        assert!(!asked);
    }

    #[test]
    fn importing_slot() {
        let mut v = View::new();
        v.owners.insert(12182, id(b'b'));
        v.importing.push(12182);
        let plain = RouteFlags::default();
        let asking = RouteFlags {
            asking: true,
            ..RouteFlags::default()
        };
        let moved = Route::Moved {
            slot: 12182,
            address: "127.0.0.1:6380".into(),
        };
        assert_eq!(route(&v, &[FOO], plain, none_exist), moved);
        assert_eq!(route(&v, &[FOO], asking, none_exist), Route::Local);
        assert_eq!(route(&v, &[FOO, FOO], asking, none_exist), Route::Local);
        assert_eq!(
            route(&v, &[FOO, FOO_TAG], asking, |k| k == FOO),
            Route::TryAgain
        );
        assert_eq!(route(&v, &[FOO, FOO_TAG], asking, all_exist), Route::Local);
    }

    #[test]
    fn replica_reads() {
        let mut v = View::new();
        v.owners.insert(12182, id(b'b'));
        v.primary = Some(id(b'b'));
        let moved = Route::Moved {
            slot: 12182,
            address: "127.0.0.1:6380".into(),
        };
        let readonly = RouteFlags {
            readonly_client: true,
            ..RouteFlags::default()
        };
        assert_eq!(route(&v, &[FOO], RouteFlags::default(), all_exist), moved);
        assert_eq!(route(&v, &[FOO], readonly, all_exist), Route::Local);
        let readonly_write = RouteFlags {
            write: true,
            ..readonly
        };
        assert_eq!(route(&v, &[FOO], readonly_write, all_exist), moved);
        let readonly_exec_write = RouteFlags {
            exec_has_write: true,
            ..readonly
        };
        assert_eq!(route(&v, &[FOO], readonly_exec_write, all_exist), moved);
        let shard = RouteFlags {
            pubsub_shard: true,
            ..RouteFlags::default()
        };
        assert_eq!(route(&v, &[FOO], shard, all_exist), Route::Local);
        // Not my primary's slot: redirected even with READONLY.
        v.primary = Some(id(b'c'));
        assert_eq!(route(&v, &[FOO], readonly, all_exist), moved);
    }
}
