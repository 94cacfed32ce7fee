//! Cluster-mode black-box tests: `redis-cli --cluster` driving shoal nodes,
//! and a mixed cluster of shoal-server and real redis-server 7.0.15 nodes
//! talking over the cluster bus.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{redis_cli, redis_tools_available, start_cluster_node, wait_until, Kind, Server};

const NODE_TIMEOUT_MS: u64 = 1000;

fn cluster_cli(args: &[&str]) -> (bool, String) {
    let output = Command::new("redis-cli")
        .args(args)
        .output()
        .expect("run redis-cli");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn address(server: &Server) -> String {
    format!("127.0.0.1:{}", server.port)
}

fn cluster_info_field(port: u16, field: &str) -> String {
    redis_cli(port, &["cluster", "info"])
        .lines()
        .find_map(|line| {
            line.strip_prefix(&format!("{field}:"))
                .map(|value| value.trim().to_string())
        })
        .unwrap_or_default()
}

/// `id:slots` of every node that has slots, sorted: redis-cli's consistency
/// signature, which must be identical on every node.
fn slot_signature(port: u16) -> String {
    let nodes = redis_cli(port, &["cluster", "nodes"]);
    let mut entries: Vec<String> = nodes
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let slots: Vec<&str> = fields
                .iter()
                .skip(8)
                .filter(|token| !token.starts_with('['))
                .copied()
                .collect();
            (!slots.is_empty()).then(|| format!("{}:{}", fields[0], slots.join(",")))
        })
        .collect();
    entries.sort();
    entries.join("|")
}

fn my_id(port: u16) -> String {
    redis_cli(port, &["cluster", "myid"]).trim().to_string()
}

fn wait_cluster_ok(servers: &[&Server]) {
    let ok = wait_until(Duration::from_secs(30), || {
        servers
            .iter()
            .all(|server| cluster_info_field(server.port, "cluster_state") == "ok")
    });
    let states: Vec<String> = servers
        .iter()
        .map(|server| cluster_info_field(server.port, "cluster_state"))
        .collect();
    assert!(ok, "cluster did not reach ok: {states:?}");
}

fn create(servers: &[&Server]) {
    let mut args = vec!["--cluster".to_string(), "create".to_string()];
    args.extend(servers.iter().map(|server| address(server)));
    args.push("--cluster-yes".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (success, text) = cluster_cli(&args);
    assert!(
        success && text.contains("[OK] All 16384 slots covered"),
        "create failed:\n{text}"
    );
}

#[test]
fn redis_cli_cluster_manages_shoal_nodes() {
    if !redis_tools_available("redis_cli_cluster_manages_shoal_nodes") {
        return;
    }
    let a = start_cluster_node(Kind::Shoal, NODE_TIMEOUT_MS);
    let b = start_cluster_node(Kind::Shoal, NODE_TIMEOUT_MS);
    let c = start_cluster_node(Kind::Shoal, NODE_TIMEOUT_MS);
    create(&[&a, &b, &c]);
    wait_cluster_ok(&[&a, &b, &c]);

    let (success, text) = cluster_cli(&["--cluster", "check", &address(&a)]);
    assert!(
        success && text.contains("[OK] All nodes agree about slots configuration."),
        "{text}"
    );
    let (success, text) = cluster_cli(&["--cluster", "info", &address(&b)]);
    assert!(success && text.contains("3 masters"), "{text}");

    // redis-cli -c follows the redirection: foo lives in slot 12182.
    let (_, text) = cluster_cli(&["-c", "-p", &a.port.to_string(), "set", "foo", "bar"]);
    assert!(text.contains("OK"), "{text}");
    assert_eq!(
        redis_cli(a.port, &["cluster", "keyslot", "foo"]).trim(),
        "12182"
    );
    assert_eq!(
        redis_cli(a.port, &["cluster", "keyslot", "hello"]).trim(),
        "866"
    );
    let (_, text) = cluster_cli(&["-c", "-p", &b.port.to_string(), "get", "foo"]);
    assert!(text.contains("bar"), "{text}");

    // add-node as a primary, then as a replica of a chosen primary.
    let d = start_cluster_node(Kind::Shoal, NODE_TIMEOUT_MS);
    let (success, text) = cluster_cli(&["--cluster", "add-node", &address(&d), &address(&a)]);
    assert!(success, "add-node failed:\n{text}");
    let e = start_cluster_node(Kind::Shoal, NODE_TIMEOUT_MS);
    let primary = my_id(a.port);
    let (success, text) = cluster_cli(&[
        "--cluster",
        "add-node",
        &address(&e),
        &address(&a),
        "--cluster-slave",
        "--cluster-master-id",
        &primary,
    ]);
    assert!(success, "add-node --cluster-slave failed:\n{text}");
    assert!(
        wait_until(Duration::from_secs(10), || redis_cli(
            a.port,
            &["cluster", "nodes"]
        )
        .lines()
        .any(|line| line.contains(&format!("slave {primary}")))),
        "replica not visible"
    );

    // call and set-timeout reach every node.
    let (success, text) = cluster_cli(&["--cluster", "call", &address(&a), "ping"]);
    assert!(success && text.matches("PONG").count() >= 5, "{text}");
    let (success, text) = cluster_cli(&["--cluster", "set-timeout", &address(&a), "2000"]);
    assert!(success, "{text}");
    assert_eq!(
        redis_cli(b.port, &["config", "get", "cluster-node-timeout"])
            .lines()
            .nth(1),
        Some("2000")
    );

    // del-node removes the empty primary.
    let (success, text) = cluster_cli(&["--cluster", "del-node", &address(&a), &my_id(d.port)]);
    assert!(success, "del-node failed:\n{text}");
    assert!(wait_until(Duration::from_secs(10), || !redis_cli(
        a.port,
        &["cluster", "nodes"]
    )
    .contains(&my_id(d.port))));
}

#[test]
fn mixed_cluster_with_real_redis_nodes() {
    if !redis_tools_available("mixed_cluster_with_real_redis_nodes") {
        return;
    }
    let mut nodes: Vec<(Kind, Server)> = Vec::new();
    for kind in [
        Kind::Redis,
        Kind::Shoal,
        Kind::Redis,
        Kind::Shoal,
        Kind::Redis,
        Kind::Shoal,
    ] {
        nodes.push((kind, start_cluster_node(kind, NODE_TIMEOUT_MS)));
    }
    let servers: Vec<&Server> = nodes.iter().map(|(_, server)| server).collect();
    create(&servers);
    wait_cluster_ok(&servers);
    let signature = slot_signature(servers[0].port);
    assert!(
        wait_until(Duration::from_secs(10), || servers
            .iter()
            .all(|s| slot_signature(s.port) == signature)),
        "slot signatures differ"
    );

    // PUBLISH on one node reaches subscribers on every node.
    let mut subscribers = Vec::new();
    for server in &servers {
        let mut raw = common::Raw::connect(server.port);
        raw.call(&["SUBSCRIBE", "news"]);
        subscribers.push(raw);
    }
    for publisher in [servers[0].port, servers[1].port] {
        redis_cli(publisher, &["publish", "news", "hello"]);
        for raw in &mut subscribers {
            let frame = raw.read_frame();
            assert_eq!(
                frame,
                shoal_resp::Frame::Array(vec![
                    shoal_resp::Frame::Bulk(b"message".to_vec()),
                    shoal_resp::Frame::Bulk(b"news".to_vec()),
                    shoal_resp::Frame::Bulk(b"hello".to_vec()),
                ])
            );
        }
    }
    drop(subscribers);

    // A killed node of either kind is marked fail by every other node
    // within 2 x node timeout; restarted, it rejoins.
    for victim_index in [1usize, 2] {
        let victim_id = my_id(nodes[victim_index].1.port);
        nodes[victim_index].1.kill();
        let others: Vec<u16> = nodes
            .iter()
            .enumerate()
            .filter(|(index, _)| *index != victim_index)
            .map(|(_, (_, server))| server.port)
            .collect();
        let marked = wait_until(Duration::from_millis(2 * NODE_TIMEOUT_MS + 1500), || {
            others.iter().all(|port| {
                redis_cli(*port, &["cluster", "nodes"]).lines().any(|line| {
                    line.starts_with(&victim_id)
                        && line
                            .split(' ')
                            .nth(2)
                            .is_some_and(|flags| flags.split(',').any(|f| f == "fail"))
                })
            })
        });
        assert!(marked, "node {victim_index} not marked fail everywhere");
        let kind = nodes[victim_index].0;
        let args = common::cluster_args(NODE_TIMEOUT_MS);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        nodes[victim_index].1.restart(kind.program(), &args);
        assert_eq!(
            my_id(nodes[victim_index].1.port),
            victim_id,
            "identity lost on restart"
        );
        let servers: Vec<&Server> = nodes.iter().map(|(_, server)| server).collect();
        wait_cluster_ok(&servers);
        assert!(
            wait_until(Duration::from_secs(10), || others.iter().all(|port| {
                !redis_cli(*port, &["cluster", "nodes"]).lines().any(|line| {
                    line.starts_with(&victim_id)
                        && line
                            .split(' ')
                            .nth(2)
                            .is_some_and(|flags| flags.contains("fail"))
                })
            })),
            "restarted node still failing"
        );
    }
}

/// `redis-cli --cluster reshard` from a redis-server primary to a Shoal
/// primary: redis's MIGRATE sends SELECT 0 and RESTORE-ASKING to Shoal,
/// which takes the keys into its importing slots; afterwards every key
/// reads back through redirections and `--cluster check` is clean.
#[test]
fn reshard_moves_keys_from_redis_into_shoal_and_back_out() {
    if !redis_tools_available("reshard_moves_keys_from_redis_into_shoal_and_back_out") {
        return;
    }
    let nodes: Vec<Server> = [Kind::Redis, Kind::Shoal, Kind::Redis]
        .into_iter()
        .map(|kind| start_cluster_node(kind, NODE_TIMEOUT_MS))
        .collect();
    let servers: Vec<&Server> = nodes.iter().collect();
    create(&servers);
    wait_cluster_ok(&servers);
    // Keys in the first slots of node 0 (redis owns 0-5460), which a
    // 60-slot reshard from it moves.
    let mut keys = Vec::new();
    let mut index = 0;
    while keys.len() < 40 {
        let key = format!("key:{index}");
        index += 1;
        if shoal_keyspace::key_hash_slot(key.as_bytes()) < 60 {
            assert_eq!(redis_cli(nodes[0].port, &["set", &key, &key]).trim(), "OK");
            keys.push(key);
        }
    }
    let (from, to) = (my_id(nodes[0].port), my_id(nodes[1].port));
    let (success, text) = cluster_cli(&[
        "--cluster",
        "reshard",
        &address(&nodes[0]),
        "--cluster-from",
        &from,
        "--cluster-to",
        &to,
        "--cluster-slots",
        "60",
        "--cluster-yes",
    ]);
    assert!(success, "reshard failed:\n{text}");
    for key in &keys {
        let value = Command::new("redis-cli")
            .args(["-c", "-p", &nodes[2].port.to_string(), "get", key])
            .output()
            .expect("redis-cli");
        assert_eq!(String::from_utf8_lossy(&value.stdout).trim(), key.as_str());
    }
    let moved: u64 = (0..60)
        .map(|slot| {
            redis_cli(
                nodes[1].port,
                &["cluster", "countkeysinslot", &slot.to_string()],
            )
            .trim()
            .parse::<u64>()
            .unwrap()
        })
        .sum();
    assert_eq!(moved, keys.len() as u64, "keys not on the Shoal node");
    let clean = wait_until(Duration::from_secs(10), || {
        let (success, text) = cluster_cli(&["--cluster", "check", &address(&nodes[1])]);
        success && text.contains("[OK] All 16384 slots covered") && !text.contains("[WARNING]")
    });
    assert!(clean, "cluster check not clean after the reshard");

    // And out again: Shoal is the source, its MIGRATE moves the keys to
    // the other redis node.
    let target = my_id(nodes[2].port);
    let (success, text) = cluster_cli(&[
        "--cluster",
        "reshard",
        &address(&nodes[1]),
        "--cluster-from",
        &to,
        "--cluster-to",
        &target,
        "--cluster-slots",
        "60",
        "--cluster-yes",
    ]);
    assert!(success, "reshard out of Shoal failed:\n{text}");
    let count_in_first_slots = |port: u16| -> u64 {
        (0..60)
            .map(|slot| {
                redis_cli(port, &["cluster", "countkeysinslot", &slot.to_string()])
                    .trim()
                    .parse::<u64>()
                    .unwrap()
            })
            .sum()
    };
    assert_eq!(count_in_first_slots(nodes[1].port), 0, "keys left on Shoal");
    assert_eq!(count_in_first_slots(nodes[2].port), keys.len() as u64);
    for key in &keys {
        let value = Command::new("redis-cli")
            .args(["-c", "-p", &nodes[1].port.to_string(), "get", key])
            .output()
            .expect("redis-cli");
        assert_eq!(String::from_utf8_lossy(&value.stdout).trim(), key.as_str());
    }
    let clean = wait_until(Duration::from_secs(10), || {
        let (success, text) = cluster_cli(&["--cluster", "check", &address(&nodes[2])]);
        success && text.contains("[OK] All 16384 slots covered") && !text.contains("[WARNING]")
    });
    assert!(
        clean,
        "cluster check not clean after the reshard out of Shoal"
    );
}

/// Keys in every slot range, moved only by Shoal's own MIGRATE: a fourth
/// primary joins, `--cluster rebalance --cluster-use-empty-masters` gives
/// it a quarter of the slots with their keys, `--cluster reshard` empties
/// it again and `--cluster del-node` removes it. No key is lost.
#[test]
fn rebalance_and_drain_an_all_shoal_cluster_without_losing_keys() {
    if !redis_tools_available("rebalance_and_drain_an_all_shoal_cluster_without_losing_keys") {
        return;
    }
    let nodes: Vec<Server> = (0..4)
        .map(|_| start_cluster_node(Kind::Shoal, NODE_TIMEOUT_MS))
        .collect();
    let first_three: Vec<&Server> = nodes[..3].iter().collect();
    create(&first_three);
    wait_cluster_ok(&first_three);
    let keys: Vec<String> = (0..300).map(|index| format!("key:{index}")).collect();
    let port = nodes[0].port.to_string();
    for key in &keys {
        let (_, text) = cluster_cli(&["-c", "-p", &port, "set", key, &format!("v-{key}")]);
        assert!(text.contains("OK"), "{text}");
    }
    let total_keys = |servers: &[Server]| -> u64 {
        servers
            .iter()
            .map(|server| {
                redis_cli(server.port, &["dbsize"])
                    .trim()
                    .parse::<u64>()
                    .unwrap()
            })
            .sum()
    };
    let (success, text) = cluster_cli(&[
        "--cluster",
        "add-node",
        &address(&nodes[3]),
        &address(&nodes[0]),
    ]);
    assert!(success, "add-node failed:\n{text}");
    let all: Vec<&Server> = nodes.iter().collect();
    assert!(
        wait_until(Duration::from_secs(10), || all.iter().all(
            |server| redis_cli(server.port, &["cluster", "nodes"])
                .lines()
                .count()
                == 4
        )),
        "the new node did not join"
    );
    // redis-cli refuses to rebalance until every node agrees on the slots.
    assert!(
        wait_until(Duration::from_secs(10), || cluster_cli(&[
            "--cluster",
            "check",
            &address(&nodes[0])
        ])
        .1
        .contains("[OK] All nodes agree about slots configuration.")),
        "the nodes never agreed about the slots"
    );
    // As with redis-server, a new primary answers CLUSTERDOWN (to the
    // RESTORE-ASKING of a migration too) until its own state is ok.
    wait_cluster_ok(&all);
    let (success, text) = cluster_cli(&[
        "--cluster",
        "rebalance",
        &address(&nodes[0]),
        "--cluster-use-empty-masters",
    ]);
    assert!(success, "rebalance failed:\n{text}");
    let moved_in: u64 = redis_cli(nodes[3].port, &["dbsize"])
        .trim()
        .parse()
        .unwrap();
    assert!(moved_in > 30, "only {moved_in} keys reached the new node");
    assert_eq!(total_keys(&nodes), keys.len() as u64);

    // Drain it: all its slots back to the first node, then remove it.
    let slots = cluster_info_field(nodes[3].port, "cluster_slots_assigned");
    let drained = my_id(nodes[3].port);
    let owned: u64 = redis_cli(nodes[0].port, &["cluster", "nodes"])
        .lines()
        .find(|line| line.starts_with(&drained))
        .map(|line| {
            line.split(' ')
                .skip(8)
                .map(|range| match range.split_once('-') {
                    Some((low, high)) => {
                        high.parse::<u64>().unwrap() - low.parse::<u64>().unwrap() + 1
                    }
                    None => 1,
                })
                .sum()
        })
        .unwrap_or(0);
    assert!(owned > 0, "the new node owns no slots ({slots})");
    let (success, text) = cluster_cli(&[
        "--cluster",
        "reshard",
        &address(&nodes[0]),
        "--cluster-from",
        &drained,
        "--cluster-to",
        &my_id(nodes[0].port),
        "--cluster-slots",
        &owned.to_string(),
        "--cluster-yes",
    ]);
    assert!(success, "reshard failed:\n{text}");
    assert_eq!(redis_cli(nodes[3].port, &["dbsize"]).trim(), "0");
    let (success, text) = cluster_cli(&["--cluster", "del-node", &address(&nodes[0]), &drained]);
    assert!(success, "del-node failed:\n{text}");
    assert_eq!(total_keys(&nodes[..3]), keys.len() as u64);
    for key in keys.iter().step_by(7) {
        let (_, text) = cluster_cli(&["-c", "-p", &nodes[1].port.to_string(), "get", key]);
        assert_eq!(text.trim(), format!("v-{key}"));
    }
    let clean = wait_until(Duration::from_secs(10), || {
        let (success, text) = cluster_cli(&["--cluster", "check", &address(&nodes[0])]);
        success && text.contains("[OK] All 16384 slots covered") && !text.contains("[WARNING]")
    });
    assert!(clean, "cluster check not clean after draining the node");
}
