//! Invariant: what a node persists loads back into the same configuration
//! (reference `redis-cluster-7.0.md` §6.11 "nodes.conf": any format error on
//! load is "Unrecoverable error: corrupted cluster config file."; loading
//! restores nodes, roles, slots, epochs and the vote).
//!
//! Owns: the round trip written file → `ClusterState::load` → `to_nodes_conf()`
//! → same configuration. It runs on every restart (the simulator loads the file
//! anyway) and on a deterministic sample of fsynced writes (epochs, slots,
//! roles, votes — the writes Redis makes durable): the first of each node and
//! then every [`SAMPLE_EVERY`]th, skipping configurations already verified.
//! Loading costs O(slots × nodes), hence the sampling. Fields that a load
//! legitimately changes are normalised: non-zero ping/pong times become "now",
//! links start disconnected, a replica's configEpoch is forced to 0 (§6.11
//! "Replica configEpoch forced to 0"; the file shows the primary's, or the
//! replica's own when its primary is unknown), and currentEpoch is raised to the
//! greatest configEpoch. Must never: write files.

use std::collections::{BTreeMap, BTreeSet};

use shoal_cluster::bus::NodeFlags;
use shoal_cluster::nodes_conf::{self, NodeLine, NodesConf};
use shoal_cluster::state::{ClusterConfig, ClusterState};

/// One fsynced write in this many is reloaded (per node).
const SAMPLE_EVERY: u64 = 4;

#[derive(Debug, Default)]
pub(super) struct PersistedConfigLoads {
    /// Fsynced writes seen per node.
    fsynced: BTreeMap<usize, u64>,
    /// Configurations already verified, by hash of their normalised form.
    verified: BTreeSet<u64>,
}

/// `line` with the fields a reload may change replaced by stable values.
fn normalise(line: &NodeLine) -> NodeLine {
    let mut line = line.clone();
    line.ping_sent_ms = i64::from(line.ping_sent_ms != 0);
    line.pong_received_ms = i64::from(line.pong_received_ms != 0);
    line.connected = false;
    if line.flags.contains(NodeFlags::REPLICA) {
        line.config_epoch = 0;
    }
    line
}

/// Differences between a written file and the configuration loaded from it.
fn compare(text: &str, loaded: &ClusterState) -> Vec<String> {
    let written = match nodes_conf::parse(text) {
        Ok(conf) => conf,
        Err(err) => return vec![format!("written nodes.conf does not parse: {err}\n{text}")],
    };
    let again = loaded.to_nodes_conf();
    let reloaded = match nodes_conf::parse(&again) {
        Ok(conf) => conf,
        Err(err) => {
            return vec![format!(
                "reloaded configuration does not serialise back: {err}\n{again}"
            )]
        }
    };
    compare_parsed(text, &written, &again, &reloaded)
}

fn compare_parsed(
    text: &str,
    written: &NodesConf,
    again: &str,
    reloaded: &NodesConf,
) -> Vec<String> {
    let mut out = Vec::new();
    let before: Vec<NodeLine> = written.nodes.iter().map(normalise).collect();
    let after: Vec<NodeLine> = reloaded.nodes.iter().map(normalise).collect();
    if before != after {
        out.push(format!(
            "nodes.conf does not survive a reload:\nwritten:\n{text}\nreloaded:\n{again}"
        ));
    }
    if reloaded.last_vote_epoch != written.last_vote_epoch {
        out.push(format!(
            "lastVoteEpoch {} reloads as {}",
            written.last_vote_epoch, reloaded.last_vote_epoch
        ));
    }
    if reloaded.current_epoch < written.current_epoch {
        out.push(format!(
            "currentEpoch {} reloads as {}",
            written.current_epoch, reloaded.current_epoch
        ));
    }
    out
}

impl PersistedConfigLoads {
    /// A write by `node`; `written` is the state whose `to_nodes_conf()` is the
    /// file.
    pub(super) fn on_persist(
        &mut self,
        now_ms: i64,
        node: usize,
        config: &ClusterConfig,
        written: &ClusterState,
        fsync: bool,
    ) -> Vec<String> {
        if !fsync {
            return Vec::new();
        }
        let count = self.fsynced.entry(node).or_insert(0);
        *count += 1;
        if !(*count - 1).is_multiple_of(SAMPLE_EVERY) {
            return Vec::new();
        }
        self.verify(now_ms, config, &written.to_nodes_conf())
    }

    /// Loads `text` and compares (cached by normalised content).
    fn verify(&mut self, now_ms: i64, config: &ClusterConfig, text: &str) -> Vec<String> {
        let written = match nodes_conf::parse(text) {
            Ok(conf) => conf,
            Err(err) => return vec![format!("written nodes.conf does not parse: {err}\n{text}")],
        };
        let before: Vec<NodeLine> = written.nodes.iter().map(normalise).collect();
        let key = text_hash(&format!(
            "{before:?} {} {}",
            written.current_epoch, written.last_vote_epoch
        ));
        if self.verified.contains(&key) {
            return Vec::new();
        }
        let loaded = match ClusterState::load(config.clone(), text, now_ms, 0) {
            Ok(state) => state,
            Err(err) => return vec![format!("written nodes.conf does not load: {err}\n{text}")],
        };
        let again = loaded.to_nodes_conf();
        let out = match nodes_conf::parse(&again) {
            Ok(reloaded) => compare_parsed(text, &written, &again, &reloaded),
            Err(err) => vec![format!(
                "reloaded configuration does not serialise back: {err}\n{again}"
            )],
        };
        if out.is_empty() {
            self.verified.insert(key);
        }
        out
    }

    /// A restart loaded `text` into `loaded`.
    pub(super) fn on_restart(&mut self, text: &str, loaded: &ClusterState) -> Vec<String> {
        compare(text, loaded)
    }
}

fn text_hash(text: &str) -> u64 {
    let mut h = crate::trace::TraceHasher::default();
    h.bytes(text.as_bytes());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const ID_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn verify(text: &str) -> Vec<String> {
        PersistedConfigLoads::default().verify(5_000, &ClusterConfig::default(), text)
    }

    fn load(text: &str) -> ClusterState {
        ClusterState::load(ClusterConfig::default(), text, 5_000, 1).expect("loads")
    }

    #[test]
    fn a_real_config_round_trips() {
        let text = format!(
            "{ID_A} 10.0.0.1:6379@16379 myself,master - 0 0 3 connected 0-100\n\
             {ID_B} 10.0.0.2:6379@16379 slave {ID_A} 0 1700000000000 3 connected\n\
             vars currentEpoch 3 lastVoteEpoch 1\n"
        );
        assert!(verify(&text).is_empty(), "{:?}", verify(&text));
        assert!(compare(&text, &load(&text)).is_empty());
    }

    #[test]
    fn a_config_that_loses_information_is_reported() {
        // Two nodes claim slot 5: the loader drops the second claim, so the
        // reloaded file differs from the written one.
        let text = format!(
            "{ID_A} 10.0.0.1:6379@16379 myself,master - 0 0 3 connected 0-10\n\
             {ID_B} 10.0.0.2:6379@16379 master - 0 0 2 connected 5\n\
             vars currentEpoch 3 lastVoteEpoch 0\n"
        );
        let details = verify(&text);
        assert_eq!(details.len(), 1, "{details:?}");
        assert!(details[0].contains("does not survive a reload"));
        assert_eq!(compare(&text, &load(&text)).len(), 1);
    }

    #[test]
    fn a_different_loaded_state_is_reported_at_restart() {
        let text = format!(
            "{ID_A} 10.0.0.1:6379@16379 myself,master - 0 0 3 connected 0-10\n\
             vars currentEpoch 3 lastVoteEpoch 2\n"
        );
        let other = format!(
            "{ID_A} 10.0.0.1:6379@16379 myself,master - 0 0 3 connected 0-10\n\
             vars currentEpoch 3 lastVoteEpoch 1\n"
        );
        let details = PersistedConfigLoads::default().on_restart(&text, &load(&other));
        assert_eq!(details.len(), 1, "{details:?}");
        assert!(details[0].contains("lastVoteEpoch 2 reloads as 1"));
    }

    #[test]
    fn unparsable_configs_are_reported() {
        let no_myself = format!("{ID_B} 10.0.0.2:6379@16379 master - 0 0 2 connected\n");
        let details = verify(&no_myself);
        assert_eq!(details.len(), 1);
        assert!(details[0].contains("no myself line"), "{details:?}");
        let garbage = verify("this is not a nodes.conf\n");
        assert_eq!(garbage.len(), 1);
        assert!(garbage[0].contains("does not parse"), "{garbage:?}");
        let at_restart = compare(
            "",
            &load(&format!(
                "{ID_A} 10.0.0.1:6379@16379 myself,master - 0 0 3 connected\n"
            )),
        );
        assert_eq!(at_restart.len(), 1, "{at_restart:?}");
    }

    #[test]
    fn only_a_sample_of_fsynced_writes_is_reloaded_and_repeats_are_cached() {
        let text = format!(
            "{ID_A} 10.0.0.1:6379@16379 myself,master - 0 0 3 connected 0-10\n\
             vars currentEpoch 3 lastVoteEpoch 0\n"
        );
        let state = load(&text);
        let config = ClusterConfig::default();
        let mut inv = PersistedConfigLoads::default();
        assert!(inv.on_persist(1, 0, &config, &state, false).is_empty());
        assert!(inv.verified.is_empty(), "plain writes are not reloaded");
        assert!(inv.on_persist(1, 0, &config, &state, true).is_empty());
        assert_eq!(inv.verified.len(), 1);
        assert_eq!(inv.fsynced.get(&0), Some(&1));
        for _ in 0..SAMPLE_EVERY {
            assert!(inv.on_persist(1, 0, &config, &state, true).is_empty());
        }
        assert_eq!(inv.verified.len(), 1);
    }
}
