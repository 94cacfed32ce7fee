//! The pure parts of `shoal cluster`: the node plan (ports, roles, slot
//! ranges), the per-node config file text, the `nodes.txt` state file format,
//! and parsing of `CLUSTER NODES` / `CLUSTER INFO` replies.
//!
//! This module must never touch the network, processes, the clock or the
//! file system, so everything here is unit-testable with plain values.

use std::fmt;

/// Number of hash slots in a Redis Cluster (cluster spec, "Key distribution
/// model").
pub(crate) const SLOT_COUNT: u32 = 16384;

/// The bus port is the client port + 10000 (reference §1.2); Redis refuses to
/// start with a client port above this when `cluster-port` is unset.
pub(crate) const MAX_CLIENT_PORT: u16 = 55535;

/// Offset from a node's client port to its cluster bus port.
pub(crate) const BUS_PORT_OFFSET: u16 = 10000;

/// An inclusive slot range `start..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotRange {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl SlotRange {
    /// How many slots the range holds.
    pub(crate) fn len(&self) -> u32 {
        self.end - self.start + 1
    }
}

impl fmt::Display for SlotRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// Splits the 16384 slots among `primaries` exactly as `redis-cli --cluster
/// create` does (reference §4.5 step 2): primary *i* gets
/// `[first, lround(cursor + 16384/N - 1)]` with a floating cursor, and the
/// last primary always ends at 16383, so 3 primaries get 0-5460, 5461-10922,
/// 10923-16383 and the remainder is spread instead of piled on one node.
pub(crate) fn allocate_slots(primaries: usize) -> Result<Vec<SlotRange>, String> {
    let count = u32::try_from(primaries)
        .ok()
        .filter(|count| (1..=SLOT_COUNT).contains(count))
        .ok_or_else(|| format!("the number of primaries must be 1..={SLOT_COUNT}"))?;
    let slots_per_node = f64::from(SLOT_COUNT) / f64::from(count);
    let mut ranges = Vec::with_capacity(primaries);
    let mut first: u32 = 0;
    let mut cursor = 0.0_f64;
    for index in 0..count {
        // `f64::round` rounds half away from zero, like C's `lround`. The
        // value is within 0..16384 here, so the cast cannot truncate.
        let rounded = (cursor + slots_per_node - 1.0).round().max(0.0) as u32;
        let mut last = rounded;
        if last > SLOT_COUNT - 1 || index == count - 1 {
            last = SLOT_COUNT - 1;
        }
        if last < first {
            last = first;
        }
        ranges.push(SlotRange {
            start: first,
            end: last,
        });
        first = last + 1;
        cursor += slots_per_node;
    }
    Ok(ranges)
}

/// What a planned node becomes once the cluster is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlannedRole {
    /// Owns `slots`.
    Primary {
        /// The slots assigned with CLUSTER ADDSLOTSRANGE.
        slots: SlotRange,
    },
    /// Replicates the node at index `primary_index` of the plan.
    Replica {
        /// Index into the plan of the primary this node replicates.
        primary_index: usize,
    },
}

/// One node of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PlannedNode {
    /// Client port; the bus port is this + 10000.
    pub(crate) port: u16,
    /// Role after formation.
    pub(crate) role: PlannedRole,
}

/// The node layout: `primaries` primaries on `base_port..`, then
/// `primaries * replicas_per_primary` replicas on the following ports,
/// assigned to primaries round-robin (replica *j* follows primary
/// `j % primaries`), so every primary gets the same number of replicas.
pub(crate) fn plan_nodes(
    primaries: usize,
    replicas_per_primary: usize,
    base_port: u16,
) -> Result<Vec<PlannedNode>, String> {
    let slots = allocate_slots(primaries)?;
    let total = replicas_per_primary
        .checked_add(1)
        .and_then(|per_shard| per_shard.checked_mul(primaries))
        .ok_or_else(|| "too many nodes".to_string())?;
    if base_port == 0 {
        return Err("--base-port must be at least 1".to_string());
    }
    let last_port = u16::try_from(total - 1)
        .ok()
        .and_then(|span| base_port.checked_add(span))
        .filter(|last| *last <= MAX_CLIENT_PORT)
        .ok_or_else(|| {
            format!(
                "{total} nodes starting at port {base_port} would need ports above \
                 {MAX_CLIENT_PORT} (each node's bus port is its port + {BUS_PORT_OFFSET})"
            )
        })?;
    let mut plan = Vec::with_capacity(total);
    for (port, slots) in (base_port..=last_port).zip(slots) {
        plan.push(PlannedNode {
            port,
            role: PlannedRole::Primary { slots },
        });
    }
    let replica_ports = base_port.saturating_add(plan.len() as u16)..=last_port;
    for (replica_index, port) in replica_ports.enumerate() {
        plan.push(PlannedNode {
            port,
            role: PlannedRole::Replica {
                primary_index: replica_index % primaries,
            },
        });
    }
    Ok(plan)
}

/// Settings that go into one node's config file.
#[derive(Clone, Debug)]
pub(crate) struct NodeConfig<'a> {
    /// Client port.
    pub(crate) port: u16,
    /// The `bind` directive value (one or more addresses, space separated).
    pub(crate) bind: &'a str,
    /// `cluster-node-timeout`, milliseconds.
    pub(crate) node_timeout_ms: u64,
    /// Absolute path of the node's own directory (`dir`).
    pub(crate) dir: &'a str,
}

/// Name of the per-node config file inside `<dir>/<port>/`.
pub(crate) const CONFIG_FILE_NAME: &str = "server.conf";

/// The node's log file name (relative to its `dir`).
pub(crate) fn log_file_name(port: u16) -> String {
    format!("{port}.log")
}

/// The node's pid file name (relative to its `dir`).
pub(crate) fn pid_file_name(port: u16) -> String {
    format!("{port}.pid")
}

/// The config file text for one node, in redis.conf syntax (accepted by both
/// `redis-server` and `shoal-server`). File names are relative: the server
/// `chdir`s into `dir` while loading the config (redis.conf "dir"), and we
/// also start it there. Persistence is off (`save ""`, `appendonly no`):
/// this is a scratch cluster and `stop` uses SHUTDOWN NOSAVE; pass
/// `-- --appendonly yes` to keep data across restarts.
pub(crate) fn node_config_text(config: &NodeConfig<'_>) -> String {
    let port = config.port;
    let lines = [
        "# Written by `shoal cluster start`; rewritten on every start.".to_string(),
        format!("port {port}"),
        format!("bind {}", config.bind),
        "daemonize no".to_string(),
        "cluster-enabled yes".to_string(),
        format!("cluster-config-file nodes-{port}.conf"),
        format!("cluster-node-timeout {}", config.node_timeout_ms),
        format!("dir {}", quote_config_value(config.dir)),
        format!("logfile {}", log_file_name(port)),
        format!("pidfile {}", pid_file_name(port)),
        "save \"\"".to_string(),
        "appendonly no".to_string(),
    ];
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// A config value as one redis.conf word: bare when it only has characters
/// that never need quoting, else double-quoted with the escapes Redis's
/// `sdssplitargs` understands (`\\`, `\"`, `\n`, `\r`, `\t`, `\xHH`).
pub(crate) fn quote_config_value(value: &str) -> String {
    let bare = !value.is_empty()
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"/._-+:@,=%".contains(&byte));
    if bare {
        return value.to_string();
    }
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for character in value.chars() {
        match character {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            control if control.is_ascii_control() => {
                quoted.push_str(&format!("\\x{:02x}", u32::from(control)));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

/// Name of the state file in the cluster directory.
pub(crate) const STATE_FILE_NAME: &str = "nodes.txt";

/// One line of the state file: a node we started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StateEntry {
    /// Client port (also the node's sub-directory name).
    pub(crate) port: u16,
    /// Pid of the server process as spawned.
    pub(crate) pid: u32,
    /// Address the tool connects to.
    pub(crate) host: String,
}

/// Serializes the state file: a comment header, then `<port> <pid> <host>`
/// per node.
pub(crate) fn format_state(entries: &[StateEntry]) -> String {
    let mut text = String::from("# shoal cluster state: <port> <pid> <host>, one node per line\n");
    for entry in entries {
        text.push_str(&format!("{} {} {}\n", entry.port, entry.pid, entry.host));
    }
    text
}

/// Parses the state file. Blank lines and `#` comments are skipped; the host
/// column is optional (defaults to 127.0.0.1). Pids 0 and 1 are rejected:
/// `kill 0` would signal our own process group and pid 1 is init.
pub(crate) fn parse_state(text: &str) -> Result<Vec<StateEntry>, String> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what}: {line:?}", index + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (port, pid, host) = match fields.as_slice() {
            [port, pid] => (*port, *pid, "127.0.0.1"),
            [port, pid, host] => (*port, *pid, *host),
            _ => return Err(bad("expected `<port> <pid> [host]`")),
        };
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|port| *port != 0)
            .ok_or_else(|| bad("bad port"))?;
        let pid = pid
            .parse::<u32>()
            .ok()
            .filter(|pid| *pid > 1)
            .ok_or_else(|| bad("bad pid"))?;
        entries.push(StateEntry {
            port,
            pid,
            host: host.to_string(),
        });
    }
    Ok(entries)
}

/// One line of `CLUSTER NODES` (reference §3.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NodeLine {
    /// 40-hex node id.
    pub(crate) id: String,
    /// Client port parsed from `ip:port@cport[,hostname]`; 0 when unknown.
    pub(crate) port: u16,
    /// Comma-separated flags (`myself`, `master`, `slave`, `handshake`, ...).
    pub(crate) flags: Vec<String>,
    /// The replicated primary's id, for replicas.
    pub(crate) primary_id: Option<String>,
    /// Slot tokens (`N` or `A-B`), excluding `[...]` migration tokens.
    pub(crate) slot_tokens: Vec<String>,
}

impl NodeLine {
    fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|own| own == flag)
    }

    /// This is the node that answered.
    pub(crate) fn is_myself(&self) -> bool {
        self.has_flag("myself")
    }

    /// Flagged `slave` (the wire word for replica).
    pub(crate) fn is_replica(&self) -> bool {
        self.has_flag("slave")
    }

    /// Still in the MEET handshake, or without a known address: not yet a
    /// real member as far as this node is concerned.
    pub(crate) fn is_joining(&self) -> bool {
        self.has_flag("handshake") || self.has_flag("noaddr")
    }

    /// Number of slots in the slot tokens (malformed tokens count as 0).
    pub(crate) fn slot_count(&self) -> u32 {
        self.slot_tokens
            .iter()
            .map(|token| match token.split_once('-') {
                Some((start, end)) => match (start.parse::<u32>(), end.parse::<u32>()) {
                    (Ok(start), Ok(end)) if start <= end => end - start + 1,
                    _ => 0,
                },
                None => u32::from(token.parse::<u32>().is_ok()),
            })
            .sum()
    }
}

/// Parses a whole `CLUSTER NODES` reply. Every line must have at least the 8
/// fixed fields; slot tokens follow.
pub(crate) fn parse_cluster_nodes(text: &str) -> Result<Vec<NodeLine>, String> {
    let mut nodes = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(' ').filter(|field| !field.is_empty()).collect();
        let (Some(id), Some(address), Some(flags), Some(primary)) =
            (fields.first(), fields.get(1), fields.get(2), fields.get(3))
        else {
            return Err(format!("malformed CLUSTER NODES line: {line:?}"));
        };
        if fields.len() < 8 {
            return Err(format!("malformed CLUSTER NODES line: {line:?}"));
        }
        // `ip:port@cport[,hostname]`: the port sits between the last ':' of
        // the part before the last '@' and that '@' (reference §4.2).
        let before_bus = address.rsplit_once('@').map_or(*address, |(head, _)| head);
        let port = before_bus
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse::<u16>().ok())
            .unwrap_or(0);
        nodes.push(NodeLine {
            id: (*id).to_string(),
            port,
            flags: flags.split(',').map(str::to_string).collect(),
            primary_id: (*primary != "-").then(|| (*primary).to_string()),
            slot_tokens: fields
                .iter()
                .skip(8)
                .filter(|token| !token.starts_with('['))
                .map(|token| (*token).to_string())
                .collect(),
        });
    }
    Ok(nodes)
}

/// redis-cli's "do all nodes agree" signature (reference §4.2): for every
/// line with slots, `id:` + its slot tokens sorted and joined by `,`; lines
/// sorted and joined by `|`.
pub(crate) fn slot_signature(nodes: &[NodeLine]) -> String {
    let mut lines: Vec<String> = nodes
        .iter()
        .filter(|node| !node.slot_tokens.is_empty())
        .map(|node| {
            let mut tokens = node.slot_tokens.clone();
            tokens.sort();
            format!("{}:{}", node.id, tokens.join(","))
        })
        .collect();
    lines.sort();
    lines.join("|")
}

/// The value of `field` in a `CLUSTER INFO` / `INFO` text (`field:value`
/// lines ending in `\r\n`).
pub(crate) fn info_field<'a>(text: &'a str, field: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        line.trim_end_matches('\r')
            .split_once(':')
            .filter(|(name, _)| *name == field)
            .map(|(_, value)| value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(primaries: usize) -> Vec<(u32, u32)> {
        allocate_slots(primaries)
            .unwrap()
            .iter()
            .map(|range| (range.start, range.end))
            .collect()
    }

    /// Every allocation must tile 0..=16383 without gaps or overlap, and
    /// sizes may differ by at most one slot.
    fn assert_tiles(primaries: usize) {
        let slots = allocate_slots(primaries).unwrap();
        assert_eq!(slots.len(), primaries);
        let mut next = 0;
        for range in &slots {
            assert_eq!(range.start, next, "{primaries}: {slots:?}");
            assert!(range.end >= range.start);
            next = range.end + 1;
        }
        assert_eq!(next, SLOT_COUNT);
        let sizes: Vec<u32> = slots.iter().map(SlotRange::len).collect();
        let min = sizes.iter().min().unwrap();
        let max = sizes.iter().max().unwrap();
        assert!(max - min <= 1, "{primaries}: {sizes:?}");
    }

    #[test]
    fn three_primaries_match_redis_cli() {
        // The split redis-cli 7.0 prints for `--cluster create` of 3 masters.
        assert_eq!(ranges(3), vec![(0, 5460), (5461, 10922), (10923, 16383)]);
    }

    #[test]
    fn other_counts_match_redis_cli_rounding() {
        assert_eq!(ranges(1), vec![(0, 16383)]);
        assert_eq!(ranges(2), vec![(0, 8191), (8192, 16383)]);
        // 16384 / 5 = 3276.8: lround(3275.8) = 3276, lround(6552.6) = 6553, ...
        assert_eq!(
            ranges(5),
            vec![
                (0, 3276),
                (3277, 6553),
                (6554, 9829),
                (9830, 13106),
                (13107, 16383)
            ]
        );
        assert_eq!(ranges(6).first(), Some(&(0, 2730)));
    }

    #[test]
    fn allocations_tile_the_slot_space() {
        for primaries in [1, 2, 3, 4, 5, 6, 7, 10, 13, 100, 1000, 16383, 16384] {
            assert_tiles(primaries);
        }
    }

    #[test]
    fn bad_primary_counts_are_rejected() {
        assert!(allocate_slots(0).is_err());
        assert!(allocate_slots(16385).is_err());
        assert!(allocate_slots(usize::MAX).is_err());
    }

    #[test]
    fn plan_assigns_replicas_round_robin() {
        let plan = plan_nodes(3, 2, 30001).unwrap();
        let ports: Vec<u16> = plan.iter().map(|node| node.port).collect();
        assert_eq!(ports, (30001..=30009).collect::<Vec<_>>());
        let replica_of: Vec<usize> = plan
            .iter()
            .filter_map(|node| match node.role {
                PlannedRole::Replica { primary_index } => Some(primary_index),
                PlannedRole::Primary { .. } => None,
            })
            .collect();
        assert_eq!(replica_of, vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(
            plan[1].role,
            PlannedRole::Primary {
                slots: SlotRange {
                    start: 5461,
                    end: 10922
                }
            }
        );
    }

    #[test]
    fn plan_rejects_ports_without_room_for_the_bus() {
        assert!(plan_nodes(3, 0, MAX_CLIENT_PORT - 2).is_ok());
        let error = plan_nodes(3, 0, MAX_CLIENT_PORT - 1).unwrap_err();
        assert!(error.contains("55535"), "{error}");
        assert!(plan_nodes(3, 0, 0).is_err());
        assert!(plan_nodes(3, usize::MAX, 30001).is_err());
        assert!(plan_nodes(0, 1, 30001).is_err());
    }

    #[test]
    fn config_text_has_every_directive() {
        let text = node_config_text(&NodeConfig {
            port: 30002,
            bind: "127.0.0.1",
            node_timeout_ms: 2000,
            dir: "/tmp/shoal cluster/30002",
        });
        let directives: Vec<&str> = text.lines().filter(|line| !line.starts_with('#')).collect();
        assert_eq!(
            directives,
            vec![
                "port 30002",
                "bind 127.0.0.1",
                "daemonize no",
                "cluster-enabled yes",
                "cluster-config-file nodes-30002.conf",
                "cluster-node-timeout 2000",
                "dir \"/tmp/shoal cluster/30002\"",
                "logfile 30002.log",
                "pidfile 30002.pid",
                "save \"\"",
                "appendonly no",
            ]
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn config_values_are_quoted_only_when_needed() {
        assert_eq!(quote_config_value("/a/b-c_d.e"), "/a/b-c_d.e");
        assert_eq!(quote_config_value(""), "\"\"");
        assert_eq!(quote_config_value("a b"), "\"a b\"");
        assert_eq!(quote_config_value("q\"\\"), "\"q\\\"\\\\\"");
        assert_eq!(quote_config_value("l\n\x01"), "\"l\\n\\x01\"");
        assert_eq!(quote_config_value("/tmp/é"), "\"/tmp/é\"");
    }

    #[test]
    fn state_file_round_trips() {
        let entries = vec![
            StateEntry {
                port: 30001,
                pid: 4242,
                host: "127.0.0.1".into(),
            },
            StateEntry {
                port: 30002,
                pid: 4243,
                host: "::1".into(),
            },
        ];
        assert_eq!(parse_state(&format_state(&entries)).unwrap(), entries);
        // The host column is optional.
        assert_eq!(
            parse_state("\n30003 77\n").unwrap(),
            vec![StateEntry {
                port: 30003,
                pid: 77,
                host: "127.0.0.1".into()
            }]
        );
    }

    #[test]
    fn state_file_rejects_bad_lines() {
        for bad in [
            "30001",
            "30001 12 h extra",
            "x 12",
            "0 12",
            "70000 12",
            "30001 0",
            "30001 1",
            "30001 -5",
        ] {
            let error = parse_state(bad).unwrap_err();
            assert!(error.starts_with("line 1:"), "{bad}: {error}");
        }
        assert!(parse_state("# only a comment\n").unwrap().is_empty());
    }

    const NODES: &str = "\
07c3 127.0.0.1:30004@40004 slave e7d1 0 1426238317239 4 connected\n\
67ed 127.0.0.1:30002@40002,host-b master - 0 1426238316232 2 connected 5461-10922\n\
e7d1 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460 [5461->-67ed] [7-<-67ed]\n\
292f :30003@40003 handshake - 0 0 0 disconnected 10923 10924-16383\n";

    #[test]
    fn cluster_nodes_lines_parse() {
        let nodes = parse_cluster_nodes(NODES).unwrap();
        assert_eq!(nodes.len(), 4);
        assert!(nodes[0].is_replica());
        assert_eq!(nodes[0].primary_id.as_deref(), Some("e7d1"));
        assert_eq!(nodes[0].port, 30004);
        assert_eq!(
            nodes[1].port, 30002,
            "hostname suffix must not break the port"
        );
        assert_eq!(nodes[1].primary_id, None);
        assert!(nodes[2].is_myself());
        assert_eq!(nodes[2].slot_tokens, vec!["0-5460"]);
        assert_eq!(nodes[2].slot_count(), 5461);
        assert!(nodes[3].is_joining());
        assert_eq!(nodes[3].slot_count(), 1 + 5460);
        assert!(!nodes[2].is_joining());
    }

    #[test]
    fn malformed_cluster_nodes_is_an_error() {
        assert!(parse_cluster_nodes("abc 1.2.3.4:5@6 master -\n").is_err());
        assert!(parse_cluster_nodes("").unwrap().is_empty());
        // A garbage address is tolerated as port 0, not a panic.
        let nodes = parse_cluster_nodes("id nonsense master - 0 0 0 connected\n").unwrap();
        assert_eq!(nodes[0].port, 0);
        let weird = NodeLine {
            slot_tokens: vec!["9-3".into(), "x".into(), "1-y".into()],
            ..nodes[0].clone()
        };
        assert_eq!(weird.slot_count(), 0);
    }

    #[test]
    fn signature_ignores_line_and_token_order() {
        let nodes = parse_cluster_nodes(NODES).unwrap();
        let mut reversed = nodes.clone();
        reversed.reverse();
        reversed[0].slot_tokens.reverse();
        assert_eq!(slot_signature(&nodes), slot_signature(&reversed));
        assert_eq!(
            slot_signature(&nodes),
            "292f:10923,10924-16383|67ed:5461-10922|e7d1:0-5460"
        );
        let mut moved = nodes;
        moved[1].slot_tokens = vec!["5461-10921".into()];
        assert_ne!(slot_signature(&moved), slot_signature(&reversed));
    }

    #[test]
    fn info_fields_are_found_by_exact_name() {
        let text = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_size:3\r\n";
        assert_eq!(info_field(text, "cluster_state"), Some("ok"));
        assert_eq!(info_field(text, "cluster_size"), Some("3"));
        assert_eq!(info_field(text, "cluster_slots"), None);
        assert_eq!(info_field("", "cluster_state"), None);
    }
}
