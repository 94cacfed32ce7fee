//! The nodes.conf text format (reference §6.11, §3.2.2): one CLUSTER NODES line
//! per node, then `vars currentEpoch N lastVoteEpoch M`.
//!
//! Owns: parsing a nodes.conf file into plain [`NodeLine`]s and formatting one
//! node line exactly as Redis 7.0 `clusterGenNodeDescription` does (the same text
//! is used by CLUSTER NODES and CLUSTER REPLICAS). Must never: read or write files
//! (the shell does), or interpret the lines (the state machine does).

use std::fmt::Write as _;
use std::ops::RangeInclusive;

use crate::bus::message::{NodeFlags, NodeId, CLUSTER_SLOTS};

/// Why a nodes.conf text was rejected. Redis logs "Unrecoverable error:
/// corrupted cluster config file." and exits for all of these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NodesConfError {
    /// The file is empty: Redis starts a fresh node instead.
    #[error("empty cluster config file")]
    Empty,
    /// A line could not be parsed.
    #[error("corrupted cluster config file at line {line}: {reason}")]
    Corrupted {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// No line has the `myself` flag.
    #[error("corrupted cluster config file: no myself line")]
    NoMyself,
    /// Two different lines have the `myself` flag.
    #[error("corrupted cluster config file: more than one myself line")]
    MultipleMyself,
    /// More nodes than the state machine accepts.
    #[error("cluster config file describes too many nodes")]
    TooManyNodes,
}

/// Direction of an open slot shown on the `myself` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenSlotDirection {
    /// `[slot->-id]`: migrating to `id`.
    Migrating,
    /// `[slot-<-id]`: importing from `id`.
    Importing,
}

/// An open (migrating/importing) slot token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenSlot {
    /// The slot.
    pub slot: u16,
    /// Migrating or importing.
    pub direction: OpenSlotDirection,
    /// The other node.
    pub node_id: NodeId,
}

/// One node line, field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeLine {
    /// Node id.
    pub id: NodeId,
    /// IP (may be empty).
    pub ip: String,
    /// Client port.
    pub port: u16,
    /// Bus port.
    pub bus_port: u16,
    /// Hostname (empty = none, no `,hostname` suffix).
    pub hostname: String,
    /// Flags (`myself`, `master`, `slave`, `fail?`, `fail`, `handshake`,
    /// `noaddr`, `nofailover`).
    pub flags: NodeFlags,
    /// Primary of a replica (`-` when none).
    pub primary_id: Option<NodeId>,
    /// ping-sent, Unix ms.
    pub ping_sent_ms: i64,
    /// pong-recv, Unix ms.
    pub pong_received_ms: i64,
    /// configEpoch as printed.
    pub config_epoch: u64,
    /// `connected` / `disconnected`.
    pub connected: bool,
    /// Owned slot ranges, ascending.
    pub slots: Vec<RangeInclusive<u16>>,
    /// Open slots (only on the myself line), in slot order.
    pub open_slots: Vec<OpenSlot>,
}

/// A parsed nodes.conf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodesConf {
    /// Node lines in file order.
    pub nodes: Vec<NodeLine>,
    /// `vars currentEpoch`.
    pub current_epoch: u64,
    /// `vars lastVoteEpoch`.
    pub last_vote_epoch: u64,
}

/// Flag names in the order Redis prints them (`redisNodeFlagsTable`).
const FLAG_NAMES: [(NodeFlags, &str); 8] = [
    (NodeFlags::MYSELF, "myself"),
    (NodeFlags::PRIMARY, "master"),
    (NodeFlags::REPLICA, "slave"),
    (NodeFlags::PFAIL, "fail?"),
    (NodeFlags::FAIL, "fail"),
    (NodeFlags::HANDSHAKE, "handshake"),
    (NodeFlags::NOADDR, "noaddr"),
    (NodeFlags::NOFAILOVER, "nofailover"),
];

/// `representClusterNodeFlags`: `myself,master`, or `noflags`.
pub fn format_flags(flags: NodeFlags) -> String {
    let names: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(f, _)| flags.contains(*f))
        .map(|(_, name)| *name)
        .collect();
    if names.is_empty() {
        "noflags".to_owned()
    } else {
        names.join(",")
    }
}

/// Formats one line without the trailing `\n` (`clusterGenNodeDescription`).
pub fn format_node_line(line: &NodeLine) -> String {
    let mut out = String::with_capacity(128);
    let _ = write!(
        out,
        "{} {}:{}@{}",
        line.id, line.ip, line.port, line.bus_port
    );
    if !line.hostname.is_empty() {
        out.push(',');
        out.push_str(&line.hostname);
    }
    out.push(' ');
    out.push_str(&format_flags(line.flags));
    out.push(' ');
    match &line.primary_id {
        Some(id) => {
            let _ = write!(out, "{id}");
        }
        None => out.push('-'),
    }
    let _ = write!(
        out,
        " {} {} {} {}",
        line.ping_sent_ms,
        line.pong_received_ms,
        line.config_epoch,
        if line.connected {
            "connected"
        } else {
            "disconnected"
        }
    );
    for range in &line.slots {
        if range.start() == range.end() {
            let _ = write!(out, " {}", range.start());
        } else {
            let _ = write!(out, " {}-{}", range.start(), range.end());
        }
    }
    for open in &line.open_slots {
        let arrow = match open.direction {
            OpenSlotDirection::Migrating => "->-",
            OpenSlotDirection::Importing => "-<-",
        };
        let _ = write!(out, " [{}{}{}]", open.slot, arrow, open.node_id);
    }
    out
}

/// The final `vars` line, with its newline.
pub fn format_vars(current_epoch: u64, last_vote_epoch: u64) -> String {
    format!("vars currentEpoch {current_epoch} lastVoteEpoch {last_vote_epoch}\n")
}

/// Serializes a whole file (lines in the given order, then `vars`).
pub fn serialize(conf: &NodesConf) -> String {
    let mut out = String::new();
    for line in &conf.nodes {
        out.push_str(&format_node_line(line));
        out.push('\n');
    }
    out.push_str(&format_vars(conf.current_epoch, conf.last_vote_epoch));
    out
}

/// Parses a nodes.conf text. Blank lines are skipped (Redis pads files with
/// `\n` when they shrink); an all-blank text is [`NodesConfError::Empty`].
pub fn parse(text: &str) -> Result<NodesConf, NodesConfError> {
    if text.trim().is_empty() {
        return Err(NodesConfError::Empty);
    }
    let mut conf = NodesConf {
        nodes: Vec::new(),
        current_epoch: 0,
        last_vote_epoch: 0,
    };
    let mut myself_seen = false;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let fields: Vec<&str> = raw.split_ascii_whitespace().collect();
        let Some(first) = fields.first() else {
            continue;
        };
        let err = |reason: &str| NodesConfError::Corrupted {
            line: line_no,
            reason: reason.to_owned(),
        };
        if first.eq_ignore_ascii_case("vars") {
            if fields.len().is_multiple_of(2) {
                return Err(err("vars line needs name/value pairs"));
            }
            for pair in fields[1..].chunks_exact(2) {
                let (name, value) = (pair[0], pair[1]);
                let parsed = || {
                    value
                        .parse::<u64>()
                        .map_err(|_| err("vars value is not an unsigned integer"))
                };
                if name.eq_ignore_ascii_case("currentEpoch") {
                    conf.current_epoch = parsed()?;
                } else if name.eq_ignore_ascii_case("lastVoteEpoch") {
                    conf.last_vote_epoch = parsed()?;
                }
                // Unknown variables are skipped (Redis logs them).
            }
            continue;
        }
        let node = parse_node_line(&fields).map_err(|reason| err(&reason))?;
        if node.flags.contains(NodeFlags::MYSELF) {
            if myself_seen {
                return Err(NodesConfError::MultipleMyself);
            }
            myself_seen = true;
        }
        conf.nodes.push(node);
    }
    if !myself_seen {
        return Err(NodesConfError::NoMyself);
    }
    Ok(conf)
}

/// A node id as Redis accepts it in nodes.conf: 40 chars of `[a-z0-9]`.
fn parse_id(text: &str) -> Result<NodeId, String> {
    let bytes: [u8; 40] = text
        .as_bytes()
        .try_into()
        .map_err(|_| format!("bad node id {text:?}"))?;
    if !bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(format!("bad node id {text:?}"));
    }
    Ok(NodeId::from_bytes(bytes))
}

fn parse_slot(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|&s| usize::from(s) < CLUSTER_SLOTS)
        .ok_or_else(|| format!("bad slot {text:?}"))
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .map_err(|_| format!("bad port {text:?}"))
}

fn parse_node_line(fields: &[&str]) -> Result<NodeLine, String> {
    if fields.len() < 8 {
        return Err(format!(
            "a node line needs at least 8 fields, found {}",
            fields.len()
        ));
    }
    let id = parse_id(fields[0])?;

    // ip:port[@cport][,hostname]
    let (addr, hostname) = match fields[1].split_once(',') {
        Some((a, h)) => (a, h.to_owned()),
        None => (fields[1], String::new()),
    };
    let (ip_port, bus) = match addr.rsplit_once('@') {
        Some((a, b)) => (a, Some(b)),
        None => (addr, None),
    };
    let (ip, port) = ip_port
        .rsplit_once(':')
        .ok_or_else(|| format!("bad address {:?}", fields[1]))?;
    let port = parse_port(port)?;
    // Old files have no "@cport": Redis assumes port + 10000.
    let bus_port = match bus {
        Some(b) => parse_port(b)?,
        None => port.saturating_add(10_000),
    };

    let mut flags = NodeFlags::NONE;
    for name in fields[2].split(',') {
        let flag = FLAG_NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(f, _)| *f);
        match flag {
            Some(f) => flags.insert(f),
            None if name.eq_ignore_ascii_case("noflags") => {}
            None => return Err(format!("unknown flag {name:?}")),
        }
    }

    let primary_id = if fields[3].starts_with('-') {
        None
    } else {
        Some(parse_id(fields[3])?)
    };
    let ping_sent_ms = fields[4]
        .parse::<i64>()
        .map_err(|_| format!("bad ping-sent {:?}", fields[4]))?;
    let pong_received_ms = fields[5]
        .parse::<i64>()
        .map_err(|_| format!("bad pong-recv {:?}", fields[5]))?;
    let config_epoch = fields[6]
        .parse::<u64>()
        .map_err(|_| format!("bad config epoch {:?}", fields[6]))?;
    let connected = match fields[7] {
        "connected" => true,
        "disconnected" => false,
        other => return Err(format!("bad link state {other:?}")),
    };

    let mut slots = Vec::new();
    let mut open_slots = Vec::new();
    for token in &fields[8..] {
        if let Some(inner) = token.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| format!("bad open slot {token:?}"))?;
            let (slot, direction, rest) = if let Some((s, r)) = inner.split_once("->-") {
                (s, OpenSlotDirection::Migrating, r)
            } else if let Some((s, r)) = inner.split_once("-<-") {
                (s, OpenSlotDirection::Importing, r)
            } else {
                return Err(format!("bad open slot {token:?}"));
            };
            open_slots.push(OpenSlot {
                slot: parse_slot(slot)?,
                direction,
                node_id: parse_id(rest)?,
            });
        } else if let Some((a, b)) = token.split_once('-') {
            let (start, end) = (parse_slot(a)?, parse_slot(b)?);
            if start > end {
                return Err(format!("bad slot range {token:?}"));
            }
            slots.push(start..=end);
        } else {
            let slot = parse_slot(token)?;
            slots.push(slot..=slot);
        }
    }

    Ok(NodeLine {
        id,
        ip: ip.to_owned(),
        port,
        bus_port,
        hostname,
        flags,
        primary_id,
        ping_sent_ms,
        pong_received_ms,
        config_epoch,
        connected,
        slots,
        open_slots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: [(&str, &str); 6] = [
        (
            "six-node-0.conf",
            include_str!("../tests/fixtures/nodes-conf/six-node-0.conf"),
        ),
        (
            "six-node-3.conf",
            include_str!("../tests/fixtures/nodes-conf/six-node-3.conf"),
        ),
        (
            "migrating-hostname-fail.conf",
            include_str!("../tests/fixtures/nodes-conf/migrating-hostname-fail.conf"),
        ),
        (
            "importing-fail.conf",
            include_str!("../tests/fixtures/nodes-conf/importing-fail.conf"),
        ),
        (
            "fresh.conf",
            include_str!("../tests/fixtures/nodes-conf/fresh.conf"),
        ),
        (
            "joined-via-meet.conf",
            include_str!("../tests/fixtures/nodes-conf/joined-via-meet.conf"),
        ),
    ];

    /// Files written by a real redis-server 7.0.15 re-serialize byte for byte.
    #[test]
    fn real_redis_files_round_trip_exactly() {
        for (name, text) in FIXTURES {
            let conf = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(serialize(&conf), text, "{name}");
        }
    }

    #[test]
    fn parses_fields_of_a_real_line() {
        let conf = parse(FIXTURES[2].1).expect("parses");
        let me = conf
            .nodes
            .iter()
            .find(|n| n.flags.contains(NodeFlags::MYSELF))
            .expect("myself");
        assert_eq!(
            me.id.to_string(),
            "eed1c5a152de2255c860576d1eb46e5d914eb158"
        );
        assert_eq!(me.ip, "127.0.0.1");
        assert_eq!((me.port, me.bus_port), (21129, 31129));
        assert_eq!(me.hostname, "node-a.example");
        assert_eq!(me.flags, NodeFlags::MYSELF | NodeFlags::PRIMARY);
        assert_eq!(me.slots, vec![0..=5460]);
        assert_eq!(me.config_epoch, 7);
        assert_eq!(
            me.open_slots
                .iter()
                .map(|o| (o.slot, o.direction))
                .collect::<Vec<_>>(),
            vec![
                (100, OpenSlotDirection::Migrating),
                (200, OpenSlotDirection::Migrating)
            ]
        );
        let failed = conf
            .nodes
            .iter()
            .find(|n| n.flags.contains(NodeFlags::FAIL))
            .expect("a failed replica");
        assert!(failed.flags.contains(NodeFlags::REPLICA));
        assert!(!failed.connected);
        assert_eq!(failed.ping_sent_ms, 1_795_542_981_253);
        assert_eq!((conf.current_epoch, conf.last_vote_epoch), (7, 0));
    }

    #[test]
    fn fresh_file_has_empty_ip_and_zero_ports() {
        let conf = parse(FIXTURES[4].1).expect("parses");
        assert_eq!(conf.nodes.len(), 1);
        let me = &conf.nodes[0];
        assert_eq!((me.ip.as_str(), me.port, me.bus_port), ("", 0, 0));
        assert!(me.slots.is_empty());
    }

    #[test]
    fn old_format_without_bus_port_and_noflags() {
        let text = "0000000000000000000000000000000000000001 10.0.0.1:7000 myself,master - 0 0 3 connected 1 3-4\n\
                    0000000000000000000000000000000000000002 10.0.0.2:7001 noflags - 0 0 0 disconnected\n\
                    vars currentEpoch 3 lastVoteEpoch 1\n";
        let conf = parse(text).expect("parses");
        assert_eq!(conf.nodes[0].bus_port, 17000);
        assert_eq!(conf.nodes[0].slots, vec![1..=1, 3..=4]);
        assert_eq!(conf.nodes[1].flags, NodeFlags::NONE);
        assert_eq!(format_flags(conf.nodes[1].flags), "noflags");
        assert_eq!(conf.last_vote_epoch, 1);
    }

    #[test]
    fn ipv6_address_splits_at_last_colon() {
        let text = "0000000000000000000000000000000000000001 ::1:7000@17000 myself,master - 0 0 0 connected\n";
        let conf = parse(text).expect("parses");
        assert_eq!(conf.nodes[0].ip, "::1");
        assert_eq!(conf.nodes[0].port, 7000);
        assert_eq!(
            serialize(&conf),
            format!("{text}vars currentEpoch 0 lastVoteEpoch 0\n")
        );
    }

    #[test]
    fn blank_lines_are_skipped() {
        let text = format!("{}\n\n\n", FIXTURES[4].1);
        assert_eq!(parse(&text).map(|c| c.nodes.len()), Ok(1));
    }

    #[test]
    fn bad_inputs_are_rejected() {
        let me =
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself,master - 0 0 0 connected";
        assert_eq!(parse(""), Err(NodesConfError::Empty));
        assert_eq!(parse("\n \n"), Err(NodesConfError::Empty));
        let bad = [
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself,master - 0 0 0",
            "000000000000000000000000000000000000000X 1.2.3.4:1@2 myself,master - 0 0 0 connected",
            "0000000000000000000000000000000000000001 1.2.3.4 myself,master - 0 0 0 connected",
            "0000000000000000000000000000000000000001 1.2.3.4:99999@2 myself - 0 0 0 connected",
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself,bogus - 0 0 0 connected",
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself abc 0 0 0 connected",
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself - x 0 0 connected",
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself - 0 0 -1 connected",
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself - 0 0 0 maybe",
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself - 0 0 0 connected 16384",
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself - 0 0 0 connected 9-3",
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself - 0 0 0 connected [1->-x]",
            "0000000000000000000000000000000000000001 1.2.3.4:1@2 myself - 0 0 0 connected [1=>-0000000000000000000000000000000000000001]",
        ];
        for line in bad {
            assert!(
                matches!(parse(line), Err(NodesConfError::Corrupted { line: 1, .. })),
                "{line}"
            );
        }
        assert_eq!(
            parse("vars currentEpoch\n"),
            Err(NodesConfError::Corrupted {
                line: 1,
                reason: "vars line needs name/value pairs".to_owned()
            })
        );
        assert!(matches!(
            parse(&format!("{me}\nvars currentEpoch x lastVoteEpoch 0\n")),
            Err(NodesConfError::Corrupted { line: 2, .. })
        ));
        assert_eq!(
            parse(
                "0000000000000000000000000000000000000001 1.2.3.4:1@2 master - 0 0 0 connected\n"
            ),
            Err(NodesConfError::NoMyself)
        );
        assert_eq!(
            parse(&format!("{me}\n{me}\n")),
            Err(NodesConfError::MultipleMyself)
        );
        // Unknown vars are skipped like Redis does.
        assert!(parse(&format!("{me}\nvars foo 1 currentEpoch 2\n")).is_ok());
    }
}
