//! State-machine tests: feed one input, assert the state and the exact effects
//! (openraft engine-test style), plus small simulated clusters in virtual time.

use bytes::Bytes;

use crate::bus::codec;
use crate::bus::message::{
    BusMessage, GossipEntry, IpField, MessageBody, MessageType, NodeFlags, NodeId, PingBody,
    PublishBody, SlotBitmap, UpdateBody,
};
use crate::routing::{route, Route, RouteFlags};

use super::harness::{node_config, test_id, Sim, START_MS};
use super::{ClusterConfig, ClusterState, Effect, LinkEvent, LinkId, LogLevel, SetSlotAction};

fn drain(state: &mut ClusterState) -> Vec<Effect> {
    std::iter::from_fn(|| state.poll_effect()).collect()
}

/// A compact, exact description of an effect list.
fn describe(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .map(|e| match e {
            Effect::Connect {
                link, ip, bus_port, ..
            } => format!("Connect {link} {ip}:{bus_port}"),
            Effect::Send { link, bytes } => {
                let msg = codec::decode(bytes).expect("valid frame");
                let name = msg.known_type().map_or("unknown", MessageType::redis_name);
                format!("Send {link} {name}")
            }
            Effect::Disconnect { link } => format!("Disconnect {link}"),
            Effect::PersistConfig { fsync } => format!("Persist fsync={fsync}"),
            Effect::Log { level, text } => format!("Log {level:?} {text}"),
            other => format!("{other:?}"),
        })
        .collect()
}

fn sent_messages(effects: &[Effect]) -> Vec<(LinkId, BusMessage)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { link, bytes } => Some((*link, codec::decode(bytes).expect("valid"))),
            _ => None,
        })
        .collect()
}

fn only_send(effects: &[Effect]) -> (LinkId, BusMessage) {
    let sends = sent_messages(effects);
    assert_eq!(sends.len(), 1, "{:?}", describe(effects));
    sends.into_iter().next().expect("one send")
}

fn id_text(i: usize) -> String {
    test_id(i).to_string()
}

impl ClusterState {
    fn outbound_link_of(&self, id: &NodeId) -> Option<LinkId> {
        self.nodes
            .lookup(id)
            .and_then(|k| self.nodes.get(k))
            .and_then(|n| n.link)
    }

    fn inbound_link_of(&self, id: &NodeId) -> Option<LinkId> {
        self.nodes
            .lookup(id)
            .and_then(|k| self.nodes.get(k))
            .and_then(|n| n.inbound_link)
    }
}

// ---------------------------------------------------------------------------
// MEET handshake, wired by hand through encode/decode.
// ---------------------------------------------------------------------------

#[test]
fn meet_handshake_by_hand() {
    let t = START_MS;
    let (a_id, b_id) = (test_id(0), test_id(1));
    let mut a = ClusterState::new(node_config(0, 15_000), Some(a_id), t, 1);
    let mut b = ClusterState::new(node_config(1, 15_000), Some(b_id), t, 2);
    assert_eq!(
        describe(&drain(&mut a)),
        vec![
            format!("Log Notice No cluster configuration found, I'm {a_id}"),
            "Persist fsync=true".to_owned()
        ]
    );
    drain(&mut b);

    // CLUSTER MEET creates a handshake node with a random name; nothing is sent
    // or saved yet.
    assert_eq!(a.meet(t, "10.0.0.2", 7001, 17001), Ok(()));
    assert!(drain(&mut a).is_empty());
    assert_eq!(a.known_nodes(), 2);
    let nodes = a.cluster_nodes_text(false);
    let handshake_line = nodes
        .lines()
        .find(|l| l.contains("handshake"))
        .expect("handshake line");
    assert!(
        handshake_line.ends_with(" 10.0.0.2:7001@17001 handshake - 0 0 0 disconnected"),
        "{handshake_line}"
    );
    // A second MEET to the same address while in progress is a no-op.
    assert_eq!(a.meet(t, "10.0.0.2", 7001, 17001), Ok(()));
    assert_eq!(a.known_nodes(), 2);

    // The cron connects.
    a.handle_tick(t + 100);
    let effects = drain(&mut a);
    assert_eq!(describe(&effects), vec!["Connect link#1 10.0.0.2:17001"]);
    let Effect::Connect {
        link: a_out,
        node_id: handshake_name,
        ..
    } = effects[0].clone()
    else {
        unreachable!()
    };
    assert_ne!(handshake_name, b_id);

    // B accepts; A's connect completes and it sends MEET (not PING).
    let b_in = b.accept_link(t + 110, "10.0.0.1", "10.0.0.2");
    a.handle_link_event(t + 110, a_out, LinkEvent::Connected);
    let effects = drain(&mut a);
    assert_eq!(describe(&effects), vec!["Send link#1 meet"]);
    let (_, meet) = only_send(&effects);
    assert_eq!(meet.header.sender_id, a_id);
    assert_eq!((meet.header.port, meet.header.bus_port), (7000, 17000));
    assert!(meet
        .header
        .flags
        .contains(NodeFlags::MYSELF | NodeFlags::PRIMARY));
    assert!(meet.header.announced_ip.is_unset());
    assert_eq!(meet.body.ping_body().map(|b| b.gossip.len()), Some(0));

    // B learns its own IP from the MEET, adds A in handshake, answers PONG.
    b.handle_message(t + 120, b_in, meet);
    let effects = drain(&mut b);
    assert_eq!(
        describe(&effects),
        vec![
            "Log Warning IP address for this node updated to 10.0.0.2".to_owned(),
            format!("Send {b_in} pong"),
            "Persist fsync=false".to_owned(),
        ]
    );
    assert_eq!(b.known_nodes(), 2);
    let b_nodes = b.cluster_nodes_text(false);
    assert!(
        b_nodes.contains(" 10.0.0.1:7000@17000 handshake - 0 0 0 disconnected\n"),
        "{b_nodes}"
    );
    assert!(b_nodes.contains(&format!(
        "{b_id} 10.0.0.2:7001@17001 myself,master - 0 0 0 connected\n"
    )));
    let (_, pong) = only_send(&effects);

    // A renames its handshake node to B's real id.
    a.handle_message(t + 130, a_out, pong);
    assert_eq!(
        describe(&drain(&mut a)),
        vec![
            format!("Log Debug Handshake with node {b_id} completed."),
            "Persist fsync=false".to_owned()
        ]
    );
    assert_eq!(
        a.cluster_nodes_text(false),
        format!(
            "{a_id} :7000@17000 myself,master - 0 0 0 connected\n\
             {b_id} 10.0.0.2:7001@17001 master - 0 {} 0 connected\n",
            t + 130
        )
    );

    // B's cron connects back to A and PINGs.
    b.handle_tick(t + 200);
    let effects = drain(&mut b);
    assert_eq!(describe(&effects), vec!["Connect link#2 10.0.0.1:17000"]);
    let Effect::Connect { link: b_out, .. } = effects[0].clone() else {
        unreachable!()
    };
    let a_in = a.accept_link(t + 210, "10.0.0.2", "10.0.0.1");
    b.handle_link_event(t + 210, b_out, LinkEvent::Connected);
    let effects = drain(&mut b);
    assert_eq!(describe(&effects), vec![format!("Send {b_out} ping")]);
    let (_, ping) = only_send(&effects);

    // A learns its IP, answers, and resolves the configEpoch collision (both 0,
    // A has the smaller id, so A moves).
    a.handle_message(t + 220, a_in, ping);
    let effects = drain(&mut a);
    assert_eq!(
        describe(&effects),
        vec![
            "Log Warning IP address for this node updated to 10.0.0.1".to_owned(),
            format!("Send {a_in} pong"),
            format!(
                "Log Verbose WARNING: configEpoch collision with node {b_id}. configEpoch set to 1"
            ),
            "Persist fsync=true".to_owned(),
        ]
    );
    assert_eq!((a.current_epoch(), a.my_config_epoch()), (1, 1));
    let (_, pong) = only_send(&effects);

    // B completes its side of the handshake.
    b.handle_message(t + 230, b_out, pong);
    assert_eq!(
        describe(&drain(&mut b)),
        vec![
            format!("Log Debug Handshake with node {a_id} completed."),
            "Persist fsync=false".to_owned()
        ]
    );
    assert_eq!(b.known_nodes(), 2);
    assert!(b.cluster_nodes_text(false).contains(&format!(
        "{a_id} 10.0.0.1:7000@17000 master - 0 {} 0 connected\n",
        t + 230
    )));
    // Two links per peer on A.
    let links = a.links_view();
    assert_eq!(
        links
            .iter()
            .map(|l| (l.direction, l.node))
            .collect::<Vec<_>>(),
        vec![("to", b_id), ("from", b_id)]
    );
}

#[test]
fn meet_rejects_bad_addresses() {
    let mut a = ClusterState::new(ClusterConfig::default(), Some(test_id(0)), START_MS, 1);
    for (ip, port, bus) in [
        ("10.0.0", 7000, 17000),
        ("host.example", 7000, 17000),
        ("10.0.0.1", 0, 17000),
        ("10.0.0.1", 70000, 17000),
        ("10.0.0.1", 7000, 0),
        ("10.0.0.1", -1, 17000),
    ] {
        assert_eq!(
            a.meet(START_MS, ip, port, bus),
            Err(format!("ERR Invalid node address specified: {ip}:{port}"))
        );
    }
    assert_eq!(a.known_nodes(), 1);
    // IPv6 is accepted and normalized.
    assert_eq!(a.meet(START_MS, "0:0:0:0:0:0:0:1", 7000, 17000), Ok(()));
    assert!(a
        .cluster_nodes_text(false)
        .contains(" ::1:7000@17000 handshake"));
}

#[test]
fn handshake_node_expires() {
    let mut sim = Sim::new(1, 1500);
    let now = sim.now_ms;
    sim.state_mut(0)
        .meet(now, "10.9.9.9", 7000, 17000)
        .expect("valid");
    sim.tick();
    assert_eq!(sim.state(0).known_nodes(), 2);
    sim.advance(1500);
    assert_eq!(sim.state(0).known_nodes(), 1);
}

// ---------------------------------------------------------------------------
// Small clusters in virtual time.
// ---------------------------------------------------------------------------

/// Three primaries with the classic 0-5460 / 5461-10922 / 10923-16383 layout.
fn three_primaries(node_timeout_ms: i64) -> Sim {
    let mut sim = Sim::new(3, node_timeout_ms);
    let now = sim.now_ms;
    for (i, (start, end)) in [(0u16, 5460u16), (5461, 10922), (10923, 16383)]
        .into_iter()
        .enumerate()
    {
        sim.state_mut(i)
            .add_slots_range(now, &[(start, end)])
            .expect("free slots");
        sim.state_mut(i)
            .set_config_epoch(now, i as i64 + 1)
            .expect("fresh node");
    }
    sim.run_until_quiet();
    sim.form_mesh();
    sim.run_until(10_000, |s| (0..3).all(|i| s.state(i).cluster_ok()));
    sim
}

#[test]
fn three_nodes_converge_by_chained_meets() {
    let mut sim = Sim::new(3, 15_000);
    // Only 1 and 2 meet 0; 1 and 2 find each other through gossip.
    sim.form_mesh();
    // Inbound links are tied to their node on the first message from it.
    sim.run_until(10_000, |s| {
        (0..3).all(|i| s.state(i).links_view().len() == 4)
    });
    for i in 0..3 {
        let state = sim.state(i);
        assert_eq!(state.known_nodes(), 3);
        assert_eq!(state.links_view().len(), 4, "node {i}");
        let nodes = state.cluster_nodes_text(false);
        for j in 0..3 {
            let expected = format!(
                "{} 10.0.0.{}:{}@{} ",
                id_text(j),
                j + 1,
                7000 + j,
                17000 + j
            );
            assert!(
                nodes.contains(&expected),
                "node {i} misses {expected}: {nodes}"
            );
        }
    }
    // Config epochs end up distinct through collision handling.
    sim.run_until(10_000, |s| {
        let mut epochs: Vec<u64> = (0..3).map(|i| s.state(i).my_config_epoch()).collect();
        epochs.sort_unstable();
        epochs.dedup();
        epochs.len() == 3
    });
    // Nothing is assigned: the cluster is down everywhere, size 0.
    sim.advance(3000);
    for i in 0..3 {
        assert!(!sim.state(i).cluster_ok());
        assert!(sim
            .state(i)
            .cluster_info_text()
            .contains("cluster_size:0\r\n"));
    }
}

#[test]
fn slots_propagate_and_cluster_becomes_ok() {
    let sim = three_primaries(15_000);
    let sig = sim.signature(0);
    assert_eq!(
        sig,
        format!(
            "{}:0-5460|{}:5461-10922|{}:10923-16383",
            id_text(0),
            id_text(1),
            id_text(2)
        )
    );
    for i in 0..3 {
        assert_eq!(sim.signature(i), sig);
        let info = sim.state(i).cluster_info_text();
        assert!(
            info.starts_with(
                "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n\
             cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:3\r\n\
             cluster_size:3\r\ncluster_current_epoch:3\r\n"
            ),
            "{info}"
        );
        assert!(info.contains(&format!("cluster_my_epoch:{}\r\n", i + 1)));
        assert!(info.ends_with("total_cluster_links_buffer_limit_exceeded:0\r\n"));
        assert_eq!(sim.state(i).slot_owner(5461), Some(test_id(1)));
    }
    let slots = sim.state(2).slots_view(false);
    assert_eq!(
        slots
            .iter()
            .map(|r| (r.start, r.end, r.primary.id))
            .collect::<Vec<_>>(),
        vec![
            (0, 5460, test_id(0)),
            (5461, 10922, test_id(1)),
            (10923, 16383, test_id(2))
        ]
    );
    assert_eq!(slots[1].primary.endpoint.as_deref(), Some("10.0.0.2"));
    assert_eq!(slots[1].primary.port, 7001);
    // Routing on top of the state.
    let key: &[u8] = b"foo"; // slot 12182, owned by node 2
    assert_eq!(
        route(sim.state(0), &[key], RouteFlags::default(), |_| true),
        Route::Moved {
            slot: 12182,
            address: "10.0.0.3:7002".to_owned()
        }
    );
    assert_eq!(
        route(sim.state(2), &[key], RouteFlags::default(), |_| true),
        Route::Local
    );
}

#[test]
fn same_seeds_replay_identically() {
    let run = || {
        let sim = three_primaries(15_000);
        let texts: Vec<String> = (0..3)
            .map(|i| sim.state(i).cluster_nodes_text(false))
            .collect();
        (texts, sim.delivered, sim.now_ms)
    };
    assert_eq!(run(), run());
}

#[test]
fn meeting_a_known_node_again_drops_the_handshake_node() {
    let mut sim = Sim::new(2, 15_000);
    sim.form_mesh();
    sim.meet(0, 1);
    assert_eq!(sim.state(0).known_nodes(), 3);
    sim.advance(500);
    assert_eq!(sim.state(0).known_nodes(), 2);
    assert!(sim.all_know_each_other(2));
}

#[test]
fn gossip_section_has_wanted_entries_plus_pfail_nodes() {
    let mut sim = Sim::new(5, 15_000);
    sim.form_mesh();
    let pfail = test_id(4);
    // Node 0 privately suspects node 4.
    if let Some(key) = sim.state(0).nodes.lookup(&pfail) {
        if let Some(n) = sim.state_mut(0).nodes.get_mut(key) {
            n.flags.insert(NodeFlags::PFAIL);
        }
    }
    let now = sim.now_ms + 100;
    sim.state_mut(0).handle_tick(now);
    drain(sim.state_mut(0));
    assert_eq!(sim.state(0).stats_pfail_nodes, 1);
    for _ in 0..20 {
        let link = sim.state(0).outbound_link_of(&test_id(1)).expect("link");
        sim.state_mut(0).send_ping(now, link, MessageType::Ping);
        let (_, msg) = only_send(&drain(sim.state_mut(0)));
        let gossip = &msg.body.ping_body().expect("ping body").gossip;
        // wanted = max(3, 5/10) capped at 5 - 2 = 3 random picks (the target may
        // be among them, as in Redis), then every PFAIL node once, last.
        assert!(gossip.len() <= 4 && gossip.len() >= 2, "{}", gossip.len());
        assert_eq!(gossip.last().map(|g| g.node_id), Some(pfail));
        assert!(gossip
            .last()
            .is_some_and(|g| g.flags.contains(NodeFlags::PFAIL)));
        assert_eq!(gossip.iter().filter(|g| g.node_id == pfail).count(), 1);
        assert!(gossip.iter().all(|g| g.node_id != test_id(0)));
        let mut ids: Vec<_> = gossip.iter().map(|g| g.node_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), gossip.len(), "no duplicates");
        let entry = gossip.iter().find(|g| g.node_id == test_id(2));
        if let Some(g) = entry {
            assert_eq!(g.ip.as_str(), Some("10.0.0.3"));
            assert_eq!((g.port, g.bus_port), (7002, 17002));
            assert_eq!(
                i64::from(g.pong_received_s),
                sim.state(0)
                    .nodes
                    .get(sim.state(0).nodes.lookup(&test_id(2)).expect("known"))
                    .map_or(0, |n| n.pong_received_ms / 1000)
            );
        }
    }
}

#[test]
fn replica_migrates_to_orphaned_primary() {
    let nt = 1000;
    let mut sim = Sim::new(5, nt);
    let now = sim.now_ms;
    sim.state_mut(0)
        .add_slots_range(now, &[(0, 8191)])
        .expect("free");
    sim.state_mut(1)
        .add_slots_range(now, &[(8192, 16383)])
        .expect("free");
    sim.state_mut(0).set_config_epoch(now, 1).expect("fresh");
    sim.state_mut(1).set_config_epoch(now, 2).expect("fresh");
    sim.form_mesh();
    let now = sim.now_ms;
    for (replica, primary) in [(2, 0), (3, 0), (4, 1)] {
        sim.state_mut(replica)
            .replicate(now, &id_text(primary), true)
            .expect("replicate");
    }
    sim.run_until_quiet();
    sim.run_until(10_000, |s| {
        (0..5).all(|i| {
            s.state(i)
                .replicas_text(&id_text(0), false)
                .is_ok_and(|r| r.len() == 2)
                && s.state(i)
                    .replicas_text(&id_text(1), false)
                    .is_ok_and(|r| r.len() == 1)
                && s.state(i).cluster_ok()
        })
    });
    // Node 1 loses its only replica: it is orphaned; node 2 (smallest id among
    // node 0's two replicas) migrates after 5 s.
    sim.kill(4);
    sim.run_until(20 * nt, |s| s.state(2).my_primary() == Some(test_id(1)));
    assert_eq!(sim.state(3).my_primary(), Some(test_id(0)));
    assert!(sim.nodes[2].other_effects.contains(&Effect::ReplicateFrom {
        primary_id: test_id(1),
        ip: "10.0.0.2".to_owned(),
        port: 7001
    }));
}

// ---------------------------------------------------------------------------
// Failure detection.
// ---------------------------------------------------------------------------

#[test]
fn pfail_becomes_fail_and_clears_later() {
    let nt = 1000;
    let mut sim = three_primaries(nt);
    let victim = test_id(2);
    sim.kill(2);
    sim.run_until(10 * nt, |s| {
        (0..2).all(|i| {
            s.state(i)
                .node_flags(&victim)
                .is_some_and(|f| f.contains(NodeFlags::FAIL))
        })
    });
    for i in 0..2 {
        let state = sim.state(i);
        assert!(!state
            .node_flags(&victim)
            .is_some_and(|f| f.contains(NodeFlags::PFAIL)));
        // Full coverage is required: a FAIL owner takes the cluster down.
        assert!(state
            .cluster_info_text()
            .contains("cluster_slots_fail:5461\r\n"));
    }
    sim.tick();
    assert!(!sim.state(0).cluster_ok());
    let fail_count = sim.state(0).message_stats(MessageType::Fail);
    assert!(fail_count.0 + fail_count.1 >= 1, "{fail_count:?}");

    // Back after a pause: a primary still owning slots keeps FAIL until
    // 2 × node_timeout after it was set, then it is cleared.
    sim.revive(2);
    sim.advance(500);
    assert!(sim
        .state(0)
        .node_flags(&victim)
        .is_some_and(|f| f.contains(NodeFlags::FAIL)));
    sim.run_until(4 * nt, |s| {
        (0..3).all(|i| {
            !s.state(i)
                .node_flags(&victim)
                .is_some_and(|f| f.intersects(NodeFlags::FAIL | NodeFlags::PFAIL))
        })
    });
    sim.run_until(10 * nt, |s| (0..3).all(|i| s.state(i).cluster_ok()));
}

#[test]
fn fail_message_from_known_sender_sets_fail() {
    let mut sim = three_primaries(15_000);
    let from = sim.state(1).build_header();
    let link = sim
        .state(0)
        .inbound_link_of(&test_id(1))
        .expect("inbound link");
    let msg = BusMessage::new(
        from,
        MessageBody::Fail {
            node_id: test_id(2),
        },
    );
    let now = sim.now_ms;
    sim.state_mut(0).handle_message(now, link, msg.clone());
    let effects = drain(sim.state_mut(0));
    assert_eq!(
        describe(&effects),
        vec![
            format!(
                "Log Notice FAIL message received from {} about {}",
                test_id(1),
                test_id(2)
            ),
            "Log Warning Cluster state changed: fail".to_owned(),
            "Persist fsync=false".to_owned(),
        ]
    );
    // A second FAIL about the same node changes nothing.
    sim.state_mut(0).handle_message(now, link, msg);
    assert!(drain(sim.state_mut(0)).is_empty());
}

#[test]
fn link_without_traffic_is_recycled_then_pfail() {
    let nt = 2000;
    let mut sim = three_primaries(nt);
    let before: Vec<_> = sim
        .state(0)
        .links_view()
        .into_iter()
        .filter(|l| l.direction == "to" && l.node == test_id(1))
        .map(|l| l.create_time_ms)
        .collect();
    // Node 1 can still connect and receive, but nothing it sends arrives.
    sim.drop_types.extend(0..11u16);
    sim.run_until(5 * nt, |s| {
        s.state(0)
            .node_flags(&test_id(1))
            .is_some_and(|f| f.contains(NodeFlags::PFAIL) || f.contains(NodeFlags::FAIL))
    });
    let after: Vec<_> = sim
        .state(0)
        .links_view()
        .into_iter()
        .filter(|l| l.direction == "to" && l.node == test_id(1))
        .map(|l| l.create_time_ms)
        .collect();
    assert_ne!(before, after, "the outbound link was recreated");
}

// ---------------------------------------------------------------------------
// Epochs and UPDATE.
// ---------------------------------------------------------------------------

#[test]
fn epoch_collision_only_moves_the_smaller_id() {
    let mut sim = three_primaries(15_000);
    // Force equal epochs: node 0 (smallest id) has node 1's configEpoch when
    // node 1's PING arrives.
    let epoch1 = sim.state(1).my_config_epoch();
    sim.state_mut(0).myself_node_mut().config_epoch = epoch1;
    let header = sim.state(1).build_header();
    let link = sim.state(0).inbound_link_of(&test_id(1)).expect("link");
    let now = sim.now_ms;
    let current = sim.state(0).current_epoch();
    sim.state_mut(0).handle_message(
        now,
        link,
        BusMessage::new(header, MessageBody::Ping(PingBody::default())),
    );
    let effects = drain(sim.state_mut(0));
    assert_eq!(sim.state(0).my_config_epoch(), current + 1);
    assert!(describe(&effects).contains(&format!(
        "Log Verbose WARNING: configEpoch collision with node {}. configEpoch set to {}",
        test_id(1),
        current + 1
    )));
    assert!(effects.contains(&Effect::PersistConfig { fsync: true }));

    // The larger id never moves.
    let epoch1 = sim.state(1).my_config_epoch();
    let mut header = sim.state(0).build_header();
    header.config_epoch = epoch1;
    let link = sim.state(1).inbound_link_of(&test_id(0)).expect("link");
    let current1 = sim.state(1).current_epoch();
    sim.state_mut(1).handle_message(
        now,
        link,
        BusMessage::new(header, MessageBody::Ping(PingBody::default())),
    );
    drain(sim.state_mut(1));
    assert_eq!(sim.state(1).my_config_epoch(), epoch1);
    assert!(sim.state(1).current_epoch() >= current1);
}

#[test]
fn update_message_rebinds_slots_and_demotes_emptied_primary() {
    let mut sim = three_primaries(15_000);
    let now = sim.now_ms;
    let link = sim.state(0).inbound_link_of(&test_id(1)).expect("link");
    let header = sim.state(1).build_header();
    // "Node 1 now owns 0-5460 under configEpoch 10."
    let update = UpdateBody {
        config_epoch: 10,
        node_id: test_id(1),
        slots: SlotBitmap::from_range(0..=10922),
    };
    sim.state_mut(0).handle_message(
        now,
        link,
        BusMessage::new(header.clone(), MessageBody::Update(update.clone())),
    );
    let effects = drain(sim.state_mut(0));
    let texts = describe(&effects);
    assert!(texts.contains(&format!(
        "Log Warning Configuration change detected. Reconfiguring myself as a replica of {}",
        test_id(1)
    )));
    assert!(effects.contains(&Effect::ReplicateFrom {
        primary_id: test_id(1),
        ip: "10.0.0.2".to_owned(),
        port: 7001
    }));
    assert!(effects.contains(&Effect::SlotsLost {
        slots: (0..=5460).collect()
    }));
    assert_eq!(effects.last(), Some(&Effect::PersistConfig { fsync: true }));
    let s0 = sim.state(0);
    assert!(!s0.is_primary());
    assert_eq!(s0.my_primary(), Some(test_id(1)));
    assert_eq!(s0.slot_owner(0), Some(test_id(1)));
    assert_eq!(s0.node_config_epoch(&test_id(1)), Some(10));
    assert!(s0.cluster_nodes_text(false).contains(&format!(
        "{} 10.0.0.1:7000@17000 myself,slave {} ",
        test_id(0),
        test_id(1)
    )));

    // The same UPDATE again is not newer: ignored.
    sim.state_mut(0).handle_message(
        now,
        link,
        BusMessage::new(header.clone(), MessageBody::Update(update)),
    );
    assert!(drain(sim.state_mut(0)).is_empty());
    // An UPDATE about an unknown node is ignored.
    let unknown = UpdateBody {
        config_epoch: 99,
        node_id: NodeId::from_bytes([b'f'; 40]),
        slots: SlotBitmap::from_range(0..=16383),
    };
    sim.state_mut(0).handle_message(
        now,
        link,
        BusMessage::new(header, MessageBody::Update(unknown)),
    );
    assert!(drain(sim.state_mut(0)).is_empty());
    assert_eq!(sim.state(0).slot_owner(16000), Some(test_id(2)));
}

#[test]
fn update_keeps_primary_with_other_slots_and_deletes_keys() {
    let mut sim = three_primaries(15_000);
    let now = sim.now_ms;
    let link = sim.state(0).inbound_link_of(&test_id(1)).expect("link");
    let header = sim.state(1).build_header();
    let update = UpdateBody {
        config_epoch: 10,
        node_id: test_id(1),
        slots: SlotBitmap::from_range(100..=10922),
    };
    sim.state_mut(0).handle_message(
        now,
        link,
        BusMessage::new(header, MessageBody::Update(update)),
    );
    let effects = drain(sim.state_mut(0));
    assert!(sim.state(0).is_primary());
    assert!(effects.contains(&Effect::DeleteKeysInSlots {
        slots: (100..=5460).collect()
    }));
    assert_eq!(sim.state(0).my_slot_count(), 100);
}

#[test]
fn stale_claim_gets_an_update() {
    let mut sim = three_primaries(15_000);
    let now = sim.now_ms;
    // Node 2 (epoch 3) pretends to own node 0's slots under epoch 0.
    let mut header = sim.state(2).build_header();
    header.config_epoch = 0;
    header.slots = SlotBitmap::from_range(0..=16383);
    let inbound = sim.state(0).inbound_link_of(&test_id(2)).expect("link");
    let outbound = sim.state(0).outbound_link_of(&test_id(2)).expect("link");
    sim.state_mut(0).handle_message(
        now,
        inbound,
        BusMessage::new(header, MessageBody::Ping(PingBody::default())),
    );
    let effects = drain(sim.state_mut(0));
    let sends = sent_messages(&effects);
    let updates: Vec<_> = sends
        .iter()
        .filter(|(_, m)| m.known_type() == Some(MessageType::Update))
        .collect();
    assert_eq!(updates.len(), 1, "{:?}", describe(&effects));
    let (link, msg) = updates[0];
    assert_eq!(*link, outbound);
    let MessageBody::Update(body) = &msg.body else {
        unreachable!()
    };
    assert_eq!(body.node_id, test_id(0));
    assert_eq!(body.config_epoch, 1);
    assert_eq!(body.slots, SlotBitmap::from_range(0..=5460));
    // Node 0 kept its slots.
    assert_eq!(sim.state(0).slot_owner(0), Some(test_id(0)));
}

#[test]
fn returning_stale_primary_is_demoted_by_update() {
    // 08-update-msg.tcl in miniature: while node 0 is partitioned away its slots
    // move to node 1 under a newer epoch; when it comes back it learns it lost
    // them and turns into a replica of node 1.
    let mut sim = Sim::new(3, 15_000);
    let now = sim.now_ms;
    sim.state_mut(0)
        .add_slots_range(now, &[(0, 9)])
        .expect("free");
    sim.state_mut(1)
        .add_slots_range(now, &[(10, 16383)])
        .expect("free");
    for i in 0..3 {
        sim.state_mut(i)
            .set_config_epoch(now, i as i64 + 1)
            .expect("fresh");
    }
    sim.form_mesh();
    sim.run_until(10_000, |s| (0..3).all(|i| s.state(i).cluster_ok()));
    sim.partition(0, 1);
    sim.partition(0, 2);
    let now = sim.now_ms;
    for slot in 0..=9u16 {
        sim.state_mut(1)
            .set_slot(now, slot, SetSlotAction::Importing(id_text(0)), 0)
            .expect("importing");
        sim.state_mut(1)
            .set_slot(now, slot, SetSlotAction::Node(id_text(1)), 0)
            .expect("node");
    }
    sim.run_until_quiet();
    assert_eq!(sim.state(1).my_config_epoch(), 4);
    assert_eq!(sim.state(2).slot_owner(0), Some(test_id(1)));
    assert_eq!(sim.state(0).slot_owner(0), Some(test_id(0)));
    sim.advance(1000);
    sim.heal();
    sim.run_until(20_000, |s| s.state(0).my_primary() == Some(test_id(1)));
    assert!(sim.nodes[0].other_effects.contains(&Effect::ReplicateFrom {
        primary_id: test_id(1),
        ip: "10.0.0.2".to_owned(),
        port: 7001
    }));
    sim.advance(3000);
    let sig = sim.signature(1);
    assert_eq!(sig, format!("{}:0-16383", test_id(1)));
    for i in 0..3 {
        assert_eq!(sim.signature(i), sig, "node {i}");
        assert!(sim.state(i).cluster_ok(), "node {i}");
    }
    assert!(sim.state(2).cluster_nodes_text(false).contains(&format!(
        "{} 10.0.0.1:7000@17000 slave {} ",
        test_id(0),
        test_id(1)
    )));
}

#[test]
fn minority_primary_goes_down_and_waits_before_rejoining() {
    let nt = 1000;
    let mut sim = three_primaries(nt);
    sim.partition(0, 1);
    sim.partition(0, 2);
    // Node 0 sees both others PFAIL (it cannot reach a FAIL quorum alone): it
    // is in the minority.
    sim.run_until(5 * nt, |s| !s.state(0).cluster_ok());
    assert!(sim.state(0).cluster_info_text().contains(
        "cluster_slots_ok:5461\r\ncluster_slots_pfail:10923\r\ncluster_slots_fail:0\r\n"
    ));
    sim.heal();
    let reachable = |s: &Sim| {
        [1, 2].iter().all(|&j| {
            !s.state(0)
                .node_flags(&test_id(j))
                .is_some_and(|f| f.intersects(NodeFlags::PFAIL | NodeFlags::FAIL))
        })
    };
    sim.run_until(10 * nt, reachable);
    let reachable_at = sim.now_ms;
    assert!(!sim.state(0).cluster_ok());
    sim.run_until(10 * nt, |s| s.state(0).cluster_ok());
    // Rejoin delay: node_timeout clamped to 500..5000 ms after the last time it
    // saw itself in the minority.
    assert!(
        sim.now_ms - reachable_at >= 900,
        "{}",
        sim.now_ms - reachable_at
    );
    sim.run_until(20 * nt, |s| (0..3).all(|i| s.state(i).cluster_ok()));
}

// ---------------------------------------------------------------------------
// Admin commands.
// ---------------------------------------------------------------------------

#[test]
fn addslots_delslots_errors_and_effects() {
    let mut a = ClusterState::new(ClusterConfig::default(), Some(test_id(0)), START_MS, 1);
    drain(&mut a);
    let t = START_MS;
    assert_eq!(
        a.add_slots(t, &[1, 2, 2]),
        Err("ERR Slot 2 specified multiple times".to_owned())
    );
    assert_eq!(
        a.add_slots(t, &[16384]),
        Err("ERR Invalid or out of range slot".to_owned())
    );
    assert_eq!(a.my_slot_count(), 0);
    assert_eq!(a.add_slots(t, &[5, 1]), Ok(()));
    assert_eq!(describe(&drain(&mut a)), vec!["Persist fsync=false"]);
    assert_eq!(
        a.add_slots(t, &[7, 5]),
        Err("ERR Slot 5 is already busy".to_owned())
    );
    assert_eq!(
        a.add_slots_range(t, &[(10, 9)]),
        Err("ERR start slot number 10 is greater than end slot number 9".to_owned())
    );
    assert_eq!(
        a.add_slots_range(t, &[(10, 20), (15, 30)]),
        Err("ERR Slot 15 specified multiple times".to_owned())
    );
    assert_eq!(a.add_slots_range(t, &[(10, 12)]), Ok(()));
    drain(&mut a);
    assert_eq!(a.my_slots(), vec![1, 5, 10, 11, 12]);
    assert!(a
        .cluster_nodes_text(false)
        .ends_with(" myself,master - 0 0 0 connected 1 5 10-12\n"));
    assert_eq!(
        a.del_slots(t, &[3]),
        Err("ERR Slot 3 is already unassigned".to_owned())
    );
    assert_eq!(a.del_slots(t, &[5, 11]), Ok(()));
    assert_eq!(
        describe(&drain(&mut a)),
        vec!["SlotsLost { slots: [5, 11] }", "Persist fsync=false"]
    );
    assert_eq!(
        a.del_slots_range(t, &[(10, 12)]),
        Err("ERR Slot 11 is already unassigned".to_owned())
    );
    assert_eq!(
        a.flush_slots(t, false),
        Err("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.".to_owned())
    );
    assert_eq!(a.flush_slots(t, true), Ok(()));
    assert_eq!(a.my_slot_count(), 0);
}

#[test]
fn setslot_rules() {
    let mut sim = three_primaries(15_000);
    let now = sim.now_ms;
    let (id0, id1) = (id_text(0), id_text(1));
    let s0 = sim.state_mut(0);
    assert_eq!(
        s0.set_slot(now, 6000, SetSlotAction::Migrating(id1.clone()), 0),
        Err("ERR I'm not the owner of hash slot 6000".to_owned())
    );
    assert_eq!(
        s0.set_slot(now, 100, SetSlotAction::Importing(id1.clone()), 0),
        Err("ERR I'm already the owner of hash slot 100".to_owned())
    );
    assert_eq!(
        s0.set_slot(now, 100, SetSlotAction::Migrating("nope".into()), 0),
        Err("ERR I don't know about node nope".to_owned())
    );
    assert_eq!(
        s0.set_slot(now, 100, SetSlotAction::Node("nope".into()), 0),
        Err("ERR Unknown node nope".to_owned())
    );
    assert_eq!(
        s0.set_slot(now, 100, SetSlotAction::Migrating(id1.clone()), 3),
        Ok(())
    );
    assert_eq!(
        s0.set_slot(now, 6000, SetSlotAction::Importing(id1.clone()), 0),
        Ok(())
    );
    assert!(s0
        .cluster_nodes_text(false)
        .contains(&format!(" connected 0-5460 [100->-{id1}] [6000-<-{id1}]\n")));
    assert_eq!(s0.migrating(100), Some(test_id(1)));
    assert_eq!(
        s0.set_slot(now, 100, SetSlotAction::Node(id1.clone()), 3),
        Err("ERR Can't assign hashslot 100 to a different node while I still hold keys for this hash slot.".to_owned())
    );
    assert_eq!(s0.set_slot(now, 6000, SetSlotAction::Stable, 0), Ok(()));
    assert_eq!(s0.importing(6000), None);
    drain(s0);

    // Complete the migration of slot 100 to node 1: importing side first.
    sim.state_mut(1)
        .set_slot(now, 100, SetSlotAction::Importing(id0.clone()), 0)
        .expect("importing");
    sim.state_mut(1)
        .set_slot(now, 100, SetSlotAction::Node(id_text(1)), 0)
        .expect("node");
    // The importer bumped its epoch without consensus and told everybody.
    let e1 = drain(sim.state_mut(1));
    assert!(describe(&e1)
        .contains(&"Log Warning configEpoch updated after importing slot 100".to_owned()));
    assert!(
        sent_messages(&e1)
            .iter()
            .filter(|(_, m)| m.known_type() == Some(MessageType::Pong))
            .count()
            >= 2
    );
    assert_eq!(sim.state(1).my_config_epoch(), 4);
    sim.replay(1, e1);
    sim.state_mut(0)
        .set_slot(now, 100, SetSlotAction::Node(id_text(1)), 0)
        .expect("source");
    assert_eq!(sim.state(0).migrating(100), None);
    // The importer's PONG broadcast alone informs everybody: no tick needed.
    sim.run_until_quiet();
    for i in 0..3 {
        assert_eq!(sim.state(i).slot_owner(100), Some(test_id(1)), "node {i}");
    }
}

#[test]
fn setslot_node_of_last_slot_turns_primary_into_replica() {
    let mut sim = Sim::new(2, 15_000);
    let now = sim.now_ms;
    sim.state_mut(0).add_slots(now, &[7]).expect("free");
    sim.form_mesh();
    sim.state_mut(0)
        .set_slot(now, 7, SetSlotAction::Node(id_text(1)), 0)
        .expect("ok");
    assert_eq!(sim.state(0).my_primary(), Some(test_id(1)));
    assert_eq!(
        sim.state_mut(0).set_slot(now, 7, SetSlotAction::Stable, 0),
        Err("ERR Please use SETSLOT only with masters.".to_owned())
    );
    let effects = drain(sim.state_mut(0));
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::ReplicateFrom { .. })));
}

#[test]
fn epoch_and_forget_and_replicate_errors() {
    let mut sim = three_primaries(15_000);
    let now = sim.now_ms;
    let s0 = sim.state_mut(0);
    assert_eq!(
        s0.set_config_epoch(now, -1),
        Err("ERR Invalid config epoch specified: -1".to_owned())
    );
    assert_eq!(
        s0.set_config_epoch(now, 5),
        Err("ERR The user can assign a config epoch only when the node does not know any other node.".to_owned())
    );
    assert_eq!(
        s0.forget(now, "abc"),
        Err("ERR Unknown node abc".to_owned())
    );
    assert_eq!(
        s0.forget(now, &id_text(0)),
        Err("ERR I tried hard but I can't forget myself...".to_owned())
    );
    assert_eq!(
        s0.replicate(now, "x", true),
        Err("ERR Unknown node x".to_owned())
    );
    assert_eq!(
        s0.replicate(now, &id_text(0), true),
        Err("ERR Can't replicate myself".to_owned())
    );
    assert_eq!(
        s0.replicate(now, &id_text(1), true),
        Err("ERR To set a master the node must be empty and without assigned slots.".to_owned())
    );
    assert_eq!(s0.count_failure_reports(now, &id_text(1)), Ok(0));
    assert_eq!(
        s0.count_failure_reports(now, "x"),
        Err("ERR Unknown node x".to_owned())
    );
    assert_eq!(
        s0.replicas_text("x", false),
        Err("ERR Unknown node x".to_owned())
    );
    assert_eq!(s0.replicas_text(&id_text(1), false), Ok(vec![]));
    // Uppercase ids are not ids (clusterLookupNode accepts only [a-z0-9]).
    assert_eq!(
        s0.forget(now, &id_text(1).to_uppercase().replace('0', "O")),
        Err(format!(
            "ERR Unknown node {}",
            id_text(1).to_uppercase().replace('0', "O")
        ))
    );
    let mut fresh = ClusterState::new(ClusterConfig::default(), Some(test_id(5)), now, 9);
    assert_eq!(fresh.set_config_epoch(now, 7), Ok(()));
    assert_eq!((fresh.my_config_epoch(), fresh.current_epoch()), (7, 7));
    assert_eq!(
        fresh.set_config_epoch(now, 8),
        Err("ERR Node config epoch is already non-zero".to_owned())
    );
    // BUMPEPOCH: already the max → STILL; otherwise BUMPED.
    assert_eq!(fresh.bump_epoch(now), (false, 7));
    let mut other = ClusterState::new(ClusterConfig::default(), Some(test_id(6)), now, 9);
    assert_eq!(other.bump_epoch(now), (true, 1));
}

#[test]
fn forget_blacklists_for_a_minute() {
    let mut sim = Sim::new(3, 5000);
    sim.form_mesh();
    let now = sim.now_ms;
    assert_eq!(sim.state_mut(0).forget(now, &id_text(2)), Ok(()));
    assert_eq!(sim.state(0).known_nodes(), 2);
    // Node 1 still gossips about node 2 but node 0 refuses it for 60 s.
    sim.advance(30_000);
    assert_eq!(sim.state(0).known_nodes(), 2);
    sim.run_until(45_000, |s| s.state(0).known_nodes() == 3);
    assert!(sim.now_ms - now >= 60_000);
}

#[test]
fn replica_is_gossiped_and_listed() {
    let mut sim = three_primaries(15_000);
    let now = sim.now_ms;
    // Node 3 joins empty and replicates node 0.
    let mut bigger = Sim::new(4, 15_000);
    std::mem::swap(&mut bigger.nodes[0], &mut sim.nodes[0]);
    std::mem::swap(&mut bigger.nodes[1], &mut sim.nodes[1]);
    std::mem::swap(&mut bigger.nodes[2], &mut sim.nodes[2]);
    bigger.now_ms = now;
    let mut sim = bigger;
    sim.meet(3, 0);
    sim.run_until(20_000, |s| s.all_know_each_other(4));
    let now = sim.now_ms;
    assert_eq!(sim.state_mut(3).replicate(now, &id_text(0), true), Ok(()));
    sim.run_until_quiet();
    assert!(sim.nodes[3].other_effects.contains(&Effect::ReplicateFrom {
        primary_id: test_id(0),
        ip: "10.0.0.1".to_owned(),
        port: 7000
    }));
    sim.state_mut(3).set_replication_offset(1234);
    sim.run_until(20_000, |s| {
        (0..3).all(|i| {
            s.state(i)
                .replicas_text(&id_text(0), false)
                .is_ok_and(|r| r.len() == 1)
        })
    });
    sim.advance(10_000);
    let line = format!("{} 10.0.0.4:7003@17003 slave {} ", test_id(3), test_id(0));
    for i in 0..3 {
        assert!(
            sim.state(i).cluster_nodes_text(false).contains(&line),
            "node {i}"
        );
    }
    let own = format!(
        "{} 10.0.0.4:7003@17003 myself,slave {} ",
        test_id(3),
        test_id(0)
    );
    assert!(sim.state(3).cluster_nodes_text(false).contains(&own));
    let slots = sim.state(2).slots_view(false);
    assert_eq!(
        slots[0].replicas.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![test_id(3)]
    );
    let shards = sim.state(1).shards_view();
    let shard0 = shards
        .iter()
        .find(|s| s.nodes.first().is_some_and(|n| n.id == test_id(0)))
        .expect("shard of node 0");
    assert_eq!(shard0.slots, vec![(0, 5460)]);
    assert_eq!(shard0.nodes[1].role, "replica");
    assert_eq!(shard0.nodes[1].replication_offset, 1234);
    assert_eq!(shard0.nodes[1].health, "online");
    // Reads from the replica with READONLY are local.
    let readonly = RouteFlags {
        readonly_client: true,
        ..RouteFlags::default()
    };
    assert_eq!(
        route(sim.state(3), &[b"hello"], readonly, |_| true),
        Route::Local
    );
    assert_eq!(
        route(sim.state(3), &[b"hello"], RouteFlags::default(), |_| true),
        Route::Moved {
            slot: 866,
            address: "10.0.0.1:7000".to_owned()
        }
    );
    // A replica cannot forget its primary.
    assert_eq!(
        sim.state_mut(3).forget(now, &id_text(0)),
        Err("ERR Can't forget my master!".to_owned())
    );
}

#[test]
fn reset_soft_and_hard() {
    let mut sim = three_primaries(15_000);
    let now = sim.now_ms;
    assert_eq!(
        sim.state_mut(0).reset(now, false, false),
        Err("ERR CLUSTER RESET can't be called with master nodes containing keys".to_owned())
    );
    assert_eq!(sim.state_mut(0).reset(now, false, true), Ok(()));
    let s0 = sim.state(0);
    assert_eq!(
        (s0.known_nodes(), s0.my_slot_count(), s0.my_id()),
        (1, 0, test_id(0))
    );
    assert!(s0.current_epoch() > 0);
    assert_eq!(sim.state_mut(1).reset(now, true, true), Ok(()));
    let s1 = sim.state(1);
    assert_eq!(
        (s1.known_nodes(), s1.current_epoch(), s1.my_config_epoch()),
        (1, 0, 0)
    );
    assert_ne!(s1.my_id(), test_id(1));
    assert!(s1.my_id().is_valid());
}

// ---------------------------------------------------------------------------
// Views.
// ---------------------------------------------------------------------------

#[test]
fn fresh_node_texts_match_redis() {
    let mut a = ClusterState::new(node_config(0, 15_000), Some(test_id(0)), START_MS, 1);
    assert_eq!(
        a.cluster_nodes_text(false),
        format!(
            "{} :7000@17000 myself,master - 0 0 0 connected\n",
            test_id(0)
        )
    );
    // Exactly what a fresh redis-server 7.0.15 answers (cluster_size starts at 1).
    let fresh_info = "cluster_state:fail\r\ncluster_slots_assigned:0\r\ncluster_slots_ok:0\r\n\
                      cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\n\
                      cluster_size:1\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n\
                      cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n\
                      total_cluster_links_buffer_limit_exceeded:0\r\n";
    assert_eq!(a.cluster_info_text(), fresh_info);
    assert_eq!(
        a.to_nodes_conf(),
        format!(
            "{} :7000@17000 myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n",
            test_id(0)
        )
    );
    // After the 2 s writable delay the size is recomputed (0 without slots).
    for k in 1..=25 {
        a.handle_tick(START_MS + k * 100);
    }
    assert!(a.cluster_info_text().contains("cluster_size:0\r\n"));
    assert!(!a.cluster_ok());
    assert_eq!(a.next_deadline(), Some(START_MS + 2600));
}

#[test]
fn hostname_extension_propagates_and_clears() {
    let mut sim = Sim::new(2, 15_000);
    sim.form_mesh();
    let mut config = sim.state(0).config().clone();
    config.announce_hostname = "node-a.example".to_owned();
    let now = sim.now_ms;
    sim.state_mut(0).update_config(now, config.clone());
    sim.run_until(20_000, |s| {
        s.state(1)
            .cluster_nodes_text(false)
            .contains("10.0.0.1:7000@17000,node-a.example master")
    });
    assert!(sim
        .state(0)
        .cluster_nodes_text(false)
        .contains("10.0.0.1:7000@17000,node-a.example myself,master"));
    config.announce_hostname.clear();
    let now = sim.now_ms;
    sim.state_mut(0).update_config(now, config);
    sim.run_until(20_000, |s| {
        !s.state(1).cluster_nodes_text(false).contains("node-a")
    });
}

#[test]
fn load_round_trips_real_redis_files() {
    let now = START_MS;
    let fixtures = [
        include_str!("../../tests/fixtures/nodes-conf/six-node-0.conf"),
        include_str!("../../tests/fixtures/nodes-conf/six-node-3.conf"),
        include_str!("../../tests/fixtures/nodes-conf/migrating-hostname-fail.conf"),
        include_str!("../../tests/fixtures/nodes-conf/importing-fail.conf"),
        include_str!("../../tests/fixtures/nodes-conf/joined-via-meet.conf"),
        include_str!("../../tests/fixtures/nodes-conf/fresh.conf"),
    ];
    for text in fixtures {
        let conf = crate::nodes_conf::parse(text).expect("valid");
        let me = conf
            .nodes
            .iter()
            .find(|n| n.flags.contains(NodeFlags::MYSELF))
            .expect("myself");
        let config = ClusterConfig {
            port: me.port,
            bus_port: me.bus_port,
            announce_hostname: me.hostname.clone(),
            ..ClusterConfig::default()
        };
        let state = ClusterState::load(config, text, now, 1).expect("loads");
        // Redis replaces non-zero ping/pong times with "now" and has no links
        // right after loading.
        let normalize = |line: &str| -> String {
            let mut f: Vec<String> = line.split(' ').map(str::to_owned).collect();
            if f.len() >= 8 && f[0] != "vars" {
                for i in [4, 5] {
                    if f[i] != "0" {
                        f[i] = now.to_string();
                    }
                }
                f[7] = if f[2].contains("myself") {
                    "connected"
                } else {
                    "disconnected"
                }
                .to_owned();
            }
            f.join(" ")
        };
        let mut expected: Vec<String> = text.lines().map(normalize).collect();
        let mut actual: Vec<String> = state.to_nodes_conf().lines().map(str::to_owned).collect();
        expected.sort();
        actual.sort();
        assert_eq!(actual, expected);
        // Re-loading our own output is a fixed point.
        let again = ClusterState::load(state.config().clone(), &state.to_nodes_conf(), now, 1)
            .expect("reloads");
        assert_eq!(again.to_nodes_conf(), state.to_nodes_conf());
    }
    // An empty file means "start fresh".
    assert!(matches!(
        ClusterState::load(ClusterConfig::default(), "", now, 1),
        Err(crate::nodes_conf::NodesConfError::Empty)
    ));
}

#[test]
fn loaded_replica_view_is_consistent() {
    let text = include_str!("../../tests/fixtures/nodes-conf/six-node-3.conf");
    let state = ClusterState::load(ClusterConfig::default(), text, START_MS, 1).expect("loads");
    assert!(!state.is_primary());
    assert_eq!(
        state.my_primary().map(|id| id.to_string()).as_deref(),
        Some("884adf177123810d39b8f1ac4c9df30591158c67")
    );
    assert_eq!(state.current_epoch(), 7);
    assert!(state.cluster_info_text().contains("cluster_my_epoch:3\r\n"));
}

// ---------------------------------------------------------------------------
// Pub/Sub, send-buffer limit, failover votes, manual failover.
// ---------------------------------------------------------------------------

#[test]
fn publish_reaches_everyone_and_shard_publish_only_the_shard() {
    let mut sim = Sim::new(3, 15_000);
    sim.form_mesh();
    let now = sim.now_ms;
    sim.state_mut(1)
        .replicate(now, &id_text(0), true)
        .expect("replicate");
    sim.advance(2000);
    for n in &mut sim.nodes {
        n.other_effects.clear();
    }
    let now = sim.now_ms;
    sim.state_mut(0).publish(now, b"news", b"hello", false);
    sim.run_until_quiet();
    let expected = Effect::DeliverPublish {
        channel: Bytes::from_static(b"news"),
        message: Bytes::from_static(b"hello"),
        shard: false,
    };
    for i in [1, 2] {
        assert_eq!(
            sim.nodes[i].other_effects,
            vec![expected.clone()],
            "node {i}"
        );
    }
    sim.state_mut(0).publish(now, b"shardch", b"x", true);
    sim.run_until_quiet();
    let shard = Effect::DeliverPublish {
        channel: Bytes::from_static(b"shardch"),
        message: Bytes::from_static(b"x"),
        shard: true,
    };
    assert_eq!(sim.nodes[1].other_effects.last(), Some(&shard));
    assert_eq!(sim.nodes[2].other_effects.len(), 1);
}

#[test]
fn sendbuf_limit_frees_link() {
    let t = START_MS;
    let mut config = node_config(0, 15_000);
    config.link_sendbuf_limit_bytes = 1000;
    let mut a = ClusterState::new(config, Some(test_id(0)), t, 1);
    a.meet(t, "10.0.0.2", 7001, 17001).expect("valid");
    a.handle_tick(t + 100);
    let Some(Effect::Connect { link, .. }) = drain(&mut a)
        .into_iter()
        .find(|e| matches!(e, Effect::Connect { .. }))
    else {
        unreachable!("connects")
    };
    a.handle_link_event(t + 110, link, LinkEvent::Connected);
    drain(&mut a);
    // The MEET (2256 bytes) is never drained: over the limit at the next tick.
    a.handle_tick(t + 200);
    let effects = drain(&mut a);
    let texts = describe(&effects);
    assert!(
        texts.iter().any(
            |t| t.starts_with("Log Warning Freeing cluster link(to node ")
                && t.ends_with(", used memory: 2256) due to exceeding send buffer memory limit.")
        ),
        "{texts:?}"
    );
    assert!(texts.contains(&format!("Disconnect {link}")));
    assert!(
        texts.iter().any(|t| t.starts_with("Connect ")),
        "reconnects at once"
    );
    assert!(a
        .cluster_info_text()
        .contains("total_cluster_links_buffer_limit_exceeded:1\r\n"));
    // Draining keeps a link under the limit.
    let new_link = effects
        .iter()
        .find_map(|e| match e {
            Effect::Connect { link, .. } => Some(*link),
            _ => None,
        })
        .expect("new link");
    a.handle_link_event(t + 210, new_link, LinkEvent::Connected);
    a.handle_link_event(t + 210, new_link, LinkEvent::Drained { bytes: 2256 });
    drain(&mut a);
    a.handle_tick(t + 300);
    assert!(!describe(&drain(&mut a))
        .iter()
        .any(|t| t.starts_with("Disconnect")));
}

#[test]
fn votes_for_a_replica_of_a_failed_primary_once_per_epoch() {
    let nt = 1000;
    let mut sim = Sim::new(4, nt);
    let now = sim.now_ms;
    sim.state_mut(0)
        .add_slots_range(now, &[(0, 5460)])
        .expect("free");
    sim.state_mut(1)
        .add_slots_range(now, &[(5461, 10922)])
        .expect("free");
    sim.state_mut(2)
        .add_slots_range(now, &[(10923, 16383)])
        .expect("free");
    for i in 0..3 {
        sim.state_mut(i)
            .set_config_epoch(now, i as i64 + 1)
            .expect("fresh");
    }
    sim.form_mesh();
    let now = sim.now_ms;
    sim.state_mut(3)
        .replicate(now, &id_text(1), true)
        .expect("replicate");
    sim.advance(3000);
    sim.kill(1);
    sim.run_until(10 * nt, |s| {
        s.state(0)
            .node_flags(&test_id(1))
            .is_some_and(|f| f.contains(NodeFlags::FAIL))
    });
    let mut header = sim.state(3).build_header();
    header.current_epoch = sim.state(0).current_epoch() + 1;
    let request = BusMessage::new(header.clone(), MessageBody::FailoverAuthRequest);
    let inbound = sim.state(0).inbound_link_of(&test_id(3)).expect("link");
    let outbound = sim.state(0).outbound_link_of(&test_id(3)).expect("link");
    let now = sim.now_ms;
    sim.state_mut(0)
        .handle_message(now, inbound, request.clone());
    let effects = drain(sim.state_mut(0));
    let (link, ack) = only_send(&effects);
    assert_eq!(link, outbound);
    assert_eq!(ack.known_type(), Some(MessageType::FailoverAuthAck));
    assert_eq!(sim.state(0).last_vote_epoch(), header.current_epoch);
    assert!(effects.contains(&Effect::PersistConfig { fsync: true }));
    assert!(describe(&effects).contains(&format!(
        "Log Warning Failover auth granted to {} for epoch {}",
        test_id(3),
        header.current_epoch
    )));
    // Same epoch again: already voted.
    sim.state_mut(0).handle_message(now, inbound, request);
    let effects = drain(sim.state_mut(0));
    assert!(sent_messages(&effects).is_empty());
    assert!(describe(&effects)
        .iter()
        .any(|t| t.contains("already voted for epoch")));
    // Next epoch but within 2 × node_timeout of the last vote for this primary.
    let mut next = header.clone();
    next.current_epoch += 1;
    sim.state_mut(0).handle_message(
        now,
        inbound,
        BusMessage::new(next.clone(), MessageBody::FailoverAuthRequest),
    );
    let effects = drain(sim.state_mut(0));
    assert!(sent_messages(&effects).is_empty());
    assert!(describe(&effects)
        .iter()
        .any(|t| t.contains("can't vote about this master before")));
    // A replica never votes.
    let link3 = sim.state(3).inbound_link_of(&test_id(0)).expect("link");
    sim.state_mut(3).handle_message(
        now,
        link3,
        BusMessage::new(next, MessageBody::FailoverAuthRequest),
    );
    assert!(sent_messages(&drain(sim.state_mut(3))).is_empty());
}

#[test]
fn mfstart_pauses_writes_and_times_out() {
    let mut sim = Sim::new(2, 15_000);
    let now = sim.now_ms;
    sim.state_mut(0)
        .add_slots_range(now, &[(0, 16383)])
        .expect("free");
    sim.form_mesh();
    let now = sim.now_ms;
    sim.state_mut(1)
        .replicate(now, &id_text(0), true)
        .expect("replicate");
    sim.advance(2000);
    let header = sim.state(1).build_header();
    let inbound = sim.state(0).inbound_link_of(&test_id(1)).expect("link");
    let now = sim.now_ms;
    sim.state_mut(0)
        .handle_message(now, inbound, BusMessage::new(header, MessageBody::MfStart));
    let effects = drain(sim.state_mut(0));
    assert!(effects.contains(&Effect::PauseWrites {
        until_ms: now + 10_000
    }));
    let (link, ping) = only_send(&effects);
    assert_eq!(link, inbound);
    assert_eq!(ping.known_type(), Some(MessageType::Ping));
    assert!(ping.header.mflags.paused());
    // Every tick pings the replica while the manual failover lasts.
    sim.state_mut(0).handle_tick(now + 100);
    let effects = drain(sim.state_mut(0));
    assert!(sent_messages(&effects)
        .iter()
        .any(|(_, m)| m.header.mflags.paused()));
    sim.state_mut(0).handle_tick(now + 5100);
    let effects = drain(sim.state_mut(0));
    assert!(effects.contains(&Effect::ResumeWrites));
    assert!(describe(&effects).contains(&"Log Warning Manual failover timed out.".to_owned()));
}

// ---------------------------------------------------------------------------
// Bad input.
// ---------------------------------------------------------------------------

#[test]
fn unknown_senders_and_links_are_handled_safely() {
    let t = START_MS;
    let mut a = ClusterState::new(node_config(0, 15_000), Some(test_id(0)), t, 1);
    drain(&mut a);
    let stranger = NodeId::from_bytes([b'9'; 40]);
    let header = crate::bus::message::Header::new(stranger);
    // A message on a link the state machine never handed out: counted, ignored.
    a.handle_message(
        t,
        LinkId(999),
        BusMessage::new(header.clone(), MessageBody::Ping(PingBody::default())),
    );
    assert!(drain(&mut a).is_empty());
    let link = a.accept_link(t, "10.0.0.9", "10.0.0.1");
    // PING from an unknown node: answered (Redis always answers), nothing learned.
    let gossip = PingBody::new(vec![GossipEntry {
        ip: IpField::new("10.0.0.8").expect("fits"),
        port: 1,
        bus_port: 2,
        flags: NodeFlags::PRIMARY,
        ..GossipEntry::new(NodeId::from_bytes([b'8'; 40]))
    }]);
    a.handle_message(
        t,
        link,
        BusMessage::new(header.clone(), MessageBody::Ping(gossip)),
    );
    let effects = drain(&mut a);
    assert_eq!(only_send(&effects).1.known_type(), Some(MessageType::Pong));
    assert_eq!(a.known_nodes(), 1);
    // Everything else from unknown senders is ignored.
    for body in [
        MessageBody::Fail {
            node_id: test_id(0),
        },
        MessageBody::Publish(PublishBody::default()),
        MessageBody::FailoverAuthRequest,
        MessageBody::FailoverAuthAck,
        MessageBody::MfStart,
        MessageBody::Update(UpdateBody {
            config_epoch: 9,
            node_id: test_id(0),
            slots: SlotBitmap::from_range(0..=16383),
        }),
        MessageBody::Unknown {
            type_code: 77,
            data: Bytes::from_static(b"??"),
        },
    ] {
        a.handle_message(t, link, BusMessage::new(header.clone(), body));
        for e in drain(&mut a) {
            assert!(matches!(e, Effect::Log { .. }), "{e:?}");
        }
    }
    assert_eq!(a.slot_owner(0), None);
    assert_eq!(a.current_epoch(), 0);
    // A MEET from an unknown node creates a handshake node and trusts its gossip.
    let mut meet_header = header;
    meet_header.port = 7009;
    meet_header.bus_port = 17009;
    let gossip = PingBody::new(vec![GossipEntry {
        ip: IpField::new("10.0.0.8").expect("fits"),
        port: 7008,
        bus_port: 17008,
        flags: NodeFlags::PRIMARY,
        ..GossipEntry::new(NodeId::from_bytes([b'8'; 40]))
    }]);
    a.handle_message(
        t,
        link,
        BusMessage::new(meet_header, MessageBody::Meet(gossip)),
    );
    drain(&mut a);
    assert_eq!(
        a.known_nodes(),
        2,
        "MEET gossip needs a known sender: only the handshake node"
    );
    assert!(a
        .cluster_nodes_text(false)
        .contains(" 10.0.0.9:7009@17009 handshake "));
    // Link events for unknown links are ignored.
    a.handle_link_event(t, LinkId(12345), LinkEvent::Connected);
    a.handle_link_event(t, LinkId(12345), LinkEvent::Closed);
    a.handle_link_event(t, LinkId(12345), LinkEvent::Drained { bytes: u64::MAX });
    assert!(drain(&mut a).is_empty());
}

#[test]
fn hostile_hostname_and_ip_cannot_break_the_nodes_format() {
    let mut sim = Sim::new(2, 15_000);
    sim.form_mesh();
    let header = sim.state(1).build_header();
    let link = sim.state(0).inbound_link_of(&test_id(1)).expect("link");
    let mut raw_ip = [0u8; 46];
    raw_ip[..12].copy_from_slice(b"1.2.3.4 \n9,x");
    let body = PingBody::new(vec![GossipEntry {
        ip: IpField::from_raw(raw_ip),
        port: 7777,
        bus_port: 17777,
        flags: NodeFlags::PRIMARY,
        ..GossipEntry::new(NodeId::from_bytes([b'7'; 40]))
    }])
    .with_hostname(Bytes::from_static(b"evil host,\n\x01name"));
    let now = sim.now_ms;
    sim.state_mut(0)
        .handle_message(now, link, BusMessage::new(header, MessageBody::Ping(body)));
    drain(sim.state_mut(0));
    let text = sim.state(0).cluster_nodes_text(false);
    assert!(
        text.contains("10.0.0.2:7001@17001,evilhostname master"),
        "{text}"
    );
    assert!(text.contains(" 1.2.3.49x:7777@17777 master "), "{text}");
    for line in text.lines() {
        assert!(line.split(' ').count() >= 8, "{line}");
    }
    let conf = sim.state(0).to_nodes_conf();
    assert!(ClusterState::load(sim.state(0).config().clone(), &conf, now, 1).is_ok());
}

#[test]
fn reconnecting_peer_replaces_its_inbound_link() {
    let mut sim = Sim::new(2, 15_000);
    sim.form_mesh();
    let old = sim.state(0).inbound_link_of(&test_id(1)).expect("link");
    let now = sim.now_ms;
    let new = sim.state_mut(0).accept_link(now, "10.0.0.2", "10.0.0.1");
    let header = sim.state(1).build_header();
    sim.state_mut(0).handle_message(
        now,
        new,
        BusMessage::new(header, MessageBody::Ping(PingBody::default())),
    );
    let effects = drain(sim.state_mut(0));
    assert!(effects.contains(&Effect::Disconnect { link: old }));
    assert_eq!(sim.state(0).inbound_link_of(&test_id(1)), Some(new));
    assert_eq!(sim.state(0).links_view().len(), 2);
}

#[test]
fn startup_data_reconciliation() {
    let mut sim = three_primaries(15_000);
    let now = sim.now_ms;
    // Node 0 has keys in its own slot 1, in node 1's slot 6000 and (after a
    // DELSLOTS) in the unassigned slot 2.
    sim.state_mut(0).del_slots(now, &[2]).expect("assigned");
    drain(sim.state_mut(0));
    assert!(sim.state_mut(0).verify_config_with_data(now, &[1, 2, 6000]));
    let effects = drain(sim.state_mut(0));
    assert_eq!(
        describe(&effects),
        vec![
            "Log Warning I have keys for unassigned slot 2. Taking responsibility for it."
                .to_owned(),
            "Log Warning I have keys for slot 6000, but the slot is assigned to another node. \
             Setting it to importing state."
                .to_owned(),
            "Persist fsync=true".to_owned(),
        ]
    );
    assert_eq!(sim.state(0).slot_owner(2), Some(test_id(0)));
    assert_eq!(sim.state(0).importing(6000), Some(test_id(1)));
    assert!(!sim.state_mut(0).verify_config_with_data(now, &[1, 2, 6000]));
}

#[test]
fn debug_link_kill_and_drop_filter() {
    let mut sim = Sim::new(2, 15_000);
    sim.form_mesh();
    let now = sim.now_ms;
    let out = sim.state(0).outbound_link_of(&test_id(1)).expect("link");
    let inb = sim.state(0).inbound_link_of(&test_id(1)).expect("link");
    assert_eq!(
        sim.state_mut(0).debug_kill_links(now, "nope", true, true),
        Err("ERR Unknown node nope".to_owned())
    );
    assert_eq!(
        sim.state_mut(0)
            .debug_kill_links(now, &id_text(1), true, false),
        Ok(())
    );
    assert_eq!(
        describe(&drain(sim.state_mut(0))),
        vec![format!("Disconnect {out}")]
    );
    assert_eq!(sim.state(0).inbound_link_of(&test_id(1)), Some(inb));
    // Dropped PINGs are counted but not answered.
    sim.state_mut(0)
        .set_drop_packet_filter(Some(MessageType::Ping.code()));
    let header = sim.state(1).build_header();
    sim.state_mut(0).handle_message(
        now,
        inb,
        BusMessage::new(header, MessageBody::Ping(PingBody::default())),
    );
    assert_eq!(
        describe(&drain(sim.state_mut(0))),
        vec!["Log Warning Dropping packet that matches debug drop filter"]
    );
}

#[test]
fn ignored_frames_are_counted_and_logged() {
    let t = START_MS;
    let mut a = ClusterState::new(node_config(0, 15_000), Some(test_id(0)), t, 1);
    drain(&mut a);
    let link = a.accept_link(t, "10.0.0.9", "10.0.0.1");
    let reason = codec::InvalidFrame::LengthMismatch {
        type_code: 0,
        totlen: 3000,
        expected: 2256,
    };
    a.handle_frame(t, link, codec::Frame::Ignored(reason));
    let effects = drain(&mut a);
    assert_eq!(
        effects,
        vec![Effect::Log {
            level: LogLevel::Warning,
            text: "Received invalid ping packet of length 3000 but expected length 2256".to_owned()
        }]
    );
    assert_eq!(a.message_stats(MessageType::Ping), (0, 1));
}

#[test]
fn derive_ports_like_redis() {
    use super::{derive_announced_ports, PortSettings};
    let plain = PortSettings {
        port: 7000,
        ..PortSettings::default()
    };
    assert_eq!(derive_announced_ports(&plain), (7000, 0, 17000));
    let custom_bus = PortSettings {
        cluster_port: 9999,
        announce_port: 8000,
        ..plain
    };
    assert_eq!(derive_announced_ports(&custom_bus), (8000, 0, 9999));
    let tls = PortSettings {
        port: 7000,
        tls_port: 7443,
        tls_cluster: true,
        announce_tls_port: 8443,
        announce_port: 8000,
        announce_bus_port: 19000,
        ..PortSettings::default()
    };
    assert_eq!(derive_announced_ports(&tls), (8443, 8000, 19000));
}
