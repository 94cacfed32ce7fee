//! Live interop test of the cluster *state machine* against real `redis-server`
//! 7.0 nodes: a `ClusterState` driven by a tiny blocking socket shell joins a
//! cluster of two real nodes (one MEETs us, we MEET the other), slots are split
//! three ways, and everybody must agree on the layout and reach `cluster_state:ok`;
//! then a real replica is attached to one real primary, that primary is killed,
//! both we and the surviving real primary must mark it FAIL (failure reports
//! travel between Redis and Shoal in gossip), and the real replica must win the
//! election — which needs our FAILOVER_AUTH_ACK, since it needs 2 of 3 votes.
//!
//! Owns only test code (sockets and clocks are fine here, not in the crate).
//! Needs `redis-server` and `redis-cli` on PATH; without them it prints a loud
//! "SKIPPED" line, or FAILS when `SHOAL_REQUIRE_REDIS_TOOLS=1`. Every process it
//! starts is killed by a Drop guard.

use std::collections::hash_map::RandomState;
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use shoal_cluster::bus::{FrameReader, NodeFlags, NodeId};
use shoal_cluster::state::{ClusterConfig, ClusterState, Effect, LinkEvent, LinkId, LogLevel};

fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn require_tools() -> Option<(PathBuf, PathBuf)> {
    match (tool("redis-server"), tool("redis-cli")) {
        (Some(server), Some(cli)) => Some((server, cli)),
        _ if std::env::var("SHOAL_REQUIRE_REDIS_TOOLS").as_deref() == Ok("1") => {
            panic!("redis-server/redis-cli not found on PATH and SHOAL_REQUIRE_REDIS_TOOLS=1")
        }
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED: redis-server/redis-cli not found (live state-machine test) ***\n"
            );
            None
        }
    }
}

struct Server {
    child: Option<Child>,
    dir: PathBuf,
}

/// The last lines of every server's log, printed when a wait times out so a
/// failure on CI says what the real nodes saw.
fn log_tails(servers: &[(&str, &PathBuf)]) -> String {
    let mut out = String::new();
    for (name, dir) in servers {
        let text = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
        // A replica retrying its dead primary logs three lines a second.
        let noise = [
            "Connecting to MASTER",
            "sync started",
            "Error condition on socket",
        ];
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| !noise.iter().any(|n| line.contains(n)))
            .collect();
        let start = lines.len().saturating_sub(60);
        out.push_str(&format!(
            "--- {name} log (last {} lines) ---\n",
            lines.len() - start
        ));
        for line in &lines[start..] {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn port_pair_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
        && TcpListener::bind(("127.0.0.1", port + 10000)).is_ok()
}

fn pick_ports(n: usize) -> Vec<u16> {
    let mut seed = RandomState::new().hash_one(std::process::id());
    let mut out = Vec::new();
    for _ in 0..2000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let port = 21000 + ((seed >> 33) % 1000) as u16;
        if !out.contains(&port) && port_pair_free(port) {
            out.push(port);
            if out.len() == n {
                return out;
            }
        }
    }
    panic!("no free port pairs in 21000-21999");
}

fn start_server(bin: &PathBuf, port: u16) -> Server {
    let dir = std::env::temp_dir().join(format!("shoal-live-state-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let child = Command::new(bin)
        .current_dir(&dir)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--cluster-enabled",
            "yes",
            "--cluster-node-timeout",
            "1000",
            "--repl-diskless-sync-delay",
            "0",
            "--loglevel",
            "notice",
            "--logfile",
            "redis.log",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    let server = Server {
        child: Some(child),
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        sleep(Duration::from_millis(20));
    }
    server
}

fn cli(cli: &PathBuf, port: u16, args: &[&str]) -> String {
    let out = Command::new(cli)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Conn {
    stream: TcpStream,
    reader: FrameReader,
    out: Vec<u8>,
}

/// A minimal blocking-socket shell around one `ClusterState`.
struct Shell {
    state: ClusterState,
    listener: TcpListener,
    conns: BTreeMap<LinkId, Conn>,
    events: Vec<(LinkId, LinkEvent)>,
    last_tick: i64,
    publishes: Vec<(Vec<u8>, Vec<u8>)>,
    /// Our state machine's log lines, stamped with the wall clock in ms.
    log: Vec<String>,
    /// Where the real servers keep their logs (name, directory).
    server_dirs: Vec<(String, PathBuf)>,
}

impl Shell {
    fn new(state: ClusterState, bus_port: u16) -> Shell {
        let listener = TcpListener::bind(("127.0.0.1", bus_port)).expect("bind bus port");
        listener.set_nonblocking(true).expect("nonblocking");
        Shell {
            state,
            listener,
            conns: BTreeMap::new(),
            events: Vec::new(),
            last_tick: 0,
            publishes: Vec::new(),
            log: Vec::new(),
            server_dirs: Vec::new(),
        }
    }

    fn apply_effects(&mut self) {
        while let Some(effect) = self.state.poll_effect() {
            match effect {
                Effect::Connect {
                    link, ip, bus_port, ..
                } => {
                    let addr: Option<SocketAddr> = format!("{ip}:{bus_port}").parse().ok();
                    let stream = addr.and_then(|a| {
                        TcpStream::connect_timeout(&a, Duration::from_millis(200)).ok()
                    });
                    match stream {
                        Some(stream) => {
                            stream.set_nonblocking(true).expect("nonblocking");
                            let _ = stream.set_nodelay(true);
                            self.conns.insert(
                                link,
                                Conn {
                                    stream,
                                    reader: FrameReader::new(),
                                    out: Vec::new(),
                                },
                            );
                            self.events.push((link, LinkEvent::Connected));
                        }
                        None => self.events.push((link, LinkEvent::ConnectFailed)),
                    }
                }
                Effect::Send { link, bytes } => {
                    if let Some(conn) = self.conns.get_mut(&link) {
                        conn.out.extend_from_slice(&bytes);
                    }
                }
                Effect::Disconnect { link } => {
                    self.conns.remove(&link);
                }
                Effect::DeliverPublish {
                    channel, message, ..
                } => self.publishes.push((channel.to_vec(), message.to_vec())),
                // Reconnection attempts to a dead node would drown the rest.
                Effect::Log { level, text } if level > LogLevel::Verbose => {
                    self.log.push(format!("{} {level:?} {text}", now_ms()));
                }
                _ => {}
            }
        }
    }

    /// One turn of the event loop.
    fn poll(&mut self) {
        let now = now_ms();
        while let Ok((stream, peer)) = self.listener.accept() {
            stream.set_nonblocking(true).expect("nonblocking");
            let _ = stream.set_nodelay(true);
            let local = stream
                .local_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default();
            let link = self.state.accept_link(now, &peer.ip().to_string(), &local);
            self.conns.insert(
                link,
                Conn {
                    stream,
                    reader: FrameReader::new(),
                    out: Vec::new(),
                },
            );
        }
        let links: Vec<LinkId> = self.conns.keys().copied().collect();
        for link in links {
            let mut frames = Vec::new();
            let mut closed = false;
            if let Some(conn) = self.conns.get_mut(&link) {
                let mut buf = [0u8; 16384];
                loop {
                    match conn.stream.read(&mut buf) {
                        Ok(0) => {
                            closed = true;
                            break;
                        }
                        Ok(n) => conn.reader.push(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => {
                            closed = true;
                            break;
                        }
                    }
                }
                loop {
                    match conn.reader.next_frame() {
                        Ok(Some(frame)) => frames.push(frame),
                        Ok(None) => break,
                        Err(_) => {
                            closed = true;
                            break;
                        }
                    }
                }
            }
            for frame in frames {
                self.state.handle_frame(now, link, frame);
                self.apply_effects();
            }
            if closed && self.conns.remove(&link).is_some() {
                self.events.push((link, LinkEvent::Closed));
            }
        }
        for (link, event) in std::mem::take(&mut self.events) {
            self.state.handle_link_event(now, link, event);
            self.apply_effects();
        }
        if now - self.last_tick >= 100 {
            self.last_tick = now;
            self.state.handle_tick(now);
            self.apply_effects();
        }
        for (link, conn) in &mut self.conns {
            if conn.out.is_empty() {
                continue;
            }
            match conn.stream.write(&conn.out) {
                Ok(n) => {
                    conn.out.drain(..n);
                    self.events
                        .push((*link, LinkEvent::Drained { bytes: n as u64 }));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => {}
            }
        }
        for (link, event) in std::mem::take(&mut self.events) {
            self.state.handle_link_event(now, link, event);
            self.apply_effects();
        }
    }

    /// Runs the loop until `done` or the timeout.
    fn run_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&mut Shell) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        let mut last_check = Instant::now() - Duration::from_secs(1);
        loop {
            self.poll();
            if last_check.elapsed() >= Duration::from_millis(100) {
                last_check = Instant::now();
                if done(self) {
                    return;
                }
            }
            if Instant::now() >= deadline {
                let dirs: Vec<(&str, &PathBuf)> = self
                    .server_dirs
                    .iter()
                    .map(|(name, dir)| (name.as_str(), dir))
                    .collect();
                let start = self.log.len().saturating_sub(60);
                panic!(
                    "timed out waiting for: {what}\n--- our CLUSTER NODES ---\n{}\n--- our log ---\n{}\n{}",
                    self.state.cluster_nodes_text(false),
                    self.log[start..].join("\n"),
                    log_tails(&dirs)
                );
            }
            sleep(Duration::from_millis(5));
        }
    }
}

/// redis-cli's slot-agreement signature of a CLUSTER NODES text (§0.7).
fn signature(nodes: &str) -> String {
    let mut lines: Vec<String> = nodes
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            let mut slots: Vec<&str> = f
                .get(8..)
                .unwrap_or(&[])
                .iter()
                .filter(|t| !t.starts_with('['))
                .copied()
                .collect();
            if slots.is_empty() {
                return None;
            }
            slots.sort_unstable();
            Some(format!("{}:{}", f[0], slots.join(",")))
        })
        .collect();
    lines.sort();
    lines.join("|")
}

#[test]
fn shoal_state_machine_joins_real_redis_cluster() {
    let Some((server_bin, cli_bin)) = require_tools() else {
        return;
    };
    let ports = pick_ports(4);
    let (p1, p2, ps, p3) = (ports[0], ports[1], ports[2], ports[3]);
    let mut r1 = start_server(&server_bin, p1);
    let r2 = start_server(&server_bin, p2);
    let r3 = start_server(&server_bin, p3);
    let r1_id = cli(&cli_bin, p1, &["cluster", "myid"]).trim().to_owned();
    let r2_id = cli(&cli_bin, p2, &["cluster", "myid"]).trim().to_owned();
    assert_eq!(r1_id.len(), 40);
    cli(&cli_bin, p1, &["cluster", "addslotsrange", "0", "5460"]);
    cli(&cli_bin, p1, &["cluster", "set-config-epoch", "1"]);
    cli(&cli_bin, p2, &["cluster", "addslotsrange", "5461", "10922"]);
    cli(&cli_bin, p2, &["cluster", "set-config-epoch", "2"]);

    let config = ClusterConfig {
        node_timeout_ms: 1000,
        port: ps,
        bus_port: ps + 10000,
        ..ClusterConfig::default()
    };
    let now = now_ms();
    let mut state = ClusterState::new(config, None, now, 42);
    state
        .add_slots_range(now, &[(10923, 16383)])
        .expect("free slots");
    state.set_config_epoch(now, 3).expect("fresh node");
    let my_id = state.my_id().to_string();
    let mut shell = Shell::new(state, ps + 10000);
    shell.server_dirs = vec![
        (format!("r1 :{p1}"), r1.dir.clone()),
        (format!("r2 :{p2}"), r2.dir.clone()),
        (format!("r3 :{p3}"), r3.dir.clone()),
    ];

    // We MEET r1; r2 MEETs us.
    shell
        .state
        .meet(now_ms(), "127.0.0.1", i64::from(p1), i64::from(p1) + 10000)
        .expect("meet");
    shell.apply_effects();
    let ps_text = ps.to_string();
    cli(&cli_bin, p2, &["cluster", "meet", "127.0.0.1", &ps_text]);

    let expected_line = format!("{my_id} 127.0.0.1:{ps}@{} master - 0 ", ps + 10000);
    shell.run_until("everybody knows everybody", Duration::from_secs(20), |sh| {
        let ours = sh.state.cluster_nodes_text(false);
        let ok_ours = ours.lines().count() == 3
            && !ours.contains("handshake")
            && !ours.contains("disconnected");
        let ok_real = [p1, p2].iter().all(|&p| {
            let text = cli(&cli_bin, p, &["cluster", "nodes"]);
            text.lines().count() == 3
                && !text.contains("handshake")
                && !text.contains("disconnected")
                && text.contains(&expected_line)
        });
        ok_ours && ok_real
    });

    shell.run_until(
        "cluster_state:ok everywhere",
        Duration::from_secs(20),
        |sh| {
            sh.state.cluster_ok()
                && [p1, p2]
                    .iter()
                    .all(|&p| cli(&cli_bin, p, &["cluster", "info"]).contains("cluster_state:ok"))
        },
    );
    let ours = signature(&shell.state.cluster_nodes_text(false));
    let mut expected = [
        format!("{r1_id}:0-5460"),
        format!("{r2_id}:5461-10922"),
        format!("{my_id}:10923-16383"),
    ];
    expected.sort();
    assert_eq!(ours, expected.join("|"));
    for p in [p1, p2] {
        let real = cli(&cli_bin, p, &["cluster", "nodes"]);
        assert_eq!(signature(&real), ours, "real node {p} disagrees:\n{real}");
        let line = real
            .lines()
            .find(|l| l.starts_with(&my_id))
            .expect("our line")
            .to_owned();
        assert!(line.ends_with(" 3 connected 10923-16383"), "{line}");
    }
    let info = cli(&cli_bin, p1, &["cluster", "info"]);
    assert!(info.contains("cluster_known_nodes:3"), "{info}");
    assert!(info.contains("cluster_current_epoch:3"), "{info}");

    // PUBLISH on a real node reaches us over the bus.
    cli(&cli_bin, p1, &["publish", "news", "hello-from-redis"]);
    shell.run_until("PUBLISH delivered", Duration::from_secs(5), |sh| {
        sh.publishes
            .contains(&(b"news".to_vec(), b"hello-from-redis".to_vec()))
    });

    // A real replica for r1.
    let p3_text = p3.to_string();
    let r3_id = cli(&cli_bin, p3, &["cluster", "myid"]).trim().to_owned();
    cli(
        &cli_bin,
        p3,
        &["cluster", "meet", "127.0.0.1", &p1.to_string()],
    );
    let r3_node = NodeId::parse(&r3_id).expect("valid id");
    shell.run_until("r3 known everywhere", Duration::from_secs(20), |sh| {
        sh.state
            .node_flags(&r3_node)
            .is_some_and(|f| !f.contains(NodeFlags::HANDSHAKE))
            // r3 too: a replica that has not heard of the other primaries
            // before its own dies ignores their FAIL messages (unknown
            // sender) and can never be elected.
            && [p1, p2, p3].iter().all(|&p| {
                let t = cli(&cli_bin, p, &["cluster", "nodes"]);
                t.lines().count() == 4 && !t.contains("handshake")
            })
    });
    assert_eq!(
        cli(&cli_bin, p3, &["cluster", "replicate", &r1_id]).trim(),
        "OK"
    );
    shell.run_until(
        "r3 replicates r1 and is in sync",
        Duration::from_secs(20),
        |sh| {
            let ours = sh.state.cluster_nodes_text(false);
            ours.contains(&format!(
                "{r3_id} 127.0.0.1:{p3_text}@{} slave {r1_id} ",
                p3 + 10000
            )) && cli(&cli_bin, p3, &["info", "replication"]).contains("master_link_status:up")
        },
    );

    // Kill r1: we and r2 must agree it FAILs, then r3 must win the election.
    r1.stop();
    let r1_node = NodeId::parse(&r1_id).expect("valid id");
    shell.run_until(
        "r1 marked FAIL by us and by r2",
        Duration::from_secs(20),
        |sh| {
            let ours = sh
                .state
                .node_flags(&r1_node)
                .is_some_and(|f| f.contains(NodeFlags::FAIL));
            let theirs = cli(&cli_bin, p2, &["cluster", "nodes"])
                .lines()
                .any(|l| l.starts_with(&r1_id) && l.contains("master,fail "));
            ours && theirs
        },
    );
    shell.run_until(
        "r3 promoted, cluster ok again",
        Duration::from_secs(30),
        |sh| {
            sh.state.slot_owner(0) == Some(r3_node)
                && sh.state.cluster_ok()
                && cli(&cli_bin, p2, &["cluster", "info"]).contains("cluster_state:ok")
        },
    );
    assert_eq!(
        shell.state.last_vote_epoch(),
        shell.state.node_config_epoch(&r3_node).unwrap_or(0)
    );
    let r3_nodes = cli(&cli_bin, p3, &["cluster", "nodes"]);
    assert!(
        r3_nodes.contains(&format!(
            "{r3_id} 127.0.0.1:{p3_text}@{} myself,master ",
            p3 + 10000
        )),
        "{r3_nodes}"
    );
    drop(r2);
    drop(r3);
}
