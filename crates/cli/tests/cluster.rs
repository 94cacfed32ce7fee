//! Black-box tests of the `shoal` binary: `shoal cluster start|status|stop`
//! against real servers (`--server redis-server` today; the same tests work
//! for `shoal-server` once it has cluster mode), plus the failure paths that
//! need no server at all.
//!
//! Tests that need `redis-server`/`redis-cli` print a loud "SKIPPED" line
//! when they are missing, or FAIL when `SHOAL_REQUIRE_REDIS_TOOLS=1`. Every
//! process a test starts is stopped by a drop guard, even when it fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SHOAL: &str = env!("CARGO_BIN_EXE_shoal");

/// Node ports stay in 12000..=22767 so bus ports (+10000) stay below the
/// kernel's ephemeral port range.
const PORT_LOW: u16 = 12000;
const PORT_HIGH: u16 = 22767;

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// True when the Redis tools are installed; otherwise fails under
/// `SHOAL_REQUIRE_REDIS_TOOLS=1`, else prints a loud skip notice.
fn redis_tools_available(test: &str) -> bool {
    let found = ["redis-server", "redis-cli"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    });
    if found {
        return true;
    }
    if std::env::var("SHOAL_REQUIRE_REDIS_TOOLS").as_deref() == Ok("1") {
        panic!("{test}: redis-server/redis-cli not found but SHOAL_REQUIRE_REDIS_TOOLS=1");
    }
    eprintln!("\n*** SKIPPED {test}: redis-server not found (redis-server/redis-cli needed) ***\n");
    false
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A base port P such that P..P+count and their bus ports are all free.
/// The start point mixes pid, time and a per-test counter so parallel tests
/// (and other people's test runs) rarely collide; collisions that still
/// happen are retried by the caller.
fn free_base_port(count: u16) -> u16 {
    let span = u32::from(PORT_HIGH - PORT_LOW - count);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let mut seed = std::process::id()
        .wrapping_mul(2_654_435_761)
        .wrapping_add(nanos)
        .wrapping_add(SEQUENCE.fetch_add(1, Ordering::Relaxed).wrapping_mul(7919));
    for _ in 0..500 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let base = PORT_LOW + (seed % span) as u16;
        if (base..base + count).all(|port| port_is_free(port) && port_is_free(port + 10000)) {
            return base;
        }
    }
    panic!("no free run of {count} port pairs in {PORT_LOW}..{PORT_HIGH}");
}

/// A scratch directory removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "shoal-cli-{label}-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create scratch dir");
        ScratchDir(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn shoal(args: &[&str]) -> Output {
    Command::new(SHOAL)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run shoal")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// Pids listed in `<dir>/nodes.txt` (`<port> <pid> [host]` lines).
fn state_pids(dir: &Path) -> Vec<(u16, u32)> {
    let Ok(state) = std::fs::read_to_string(dir.join("nodes.txt")) else {
        return Vec::new();
    };
    state
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
        })
        .collect()
}

/// Live, non-zombie process (Linux `/proc`).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        !matches!(state, Some("Z") | Some("X"))
    })
}

/// Stops whatever a test started in `dir`: first `shoal cluster stop`, then
/// SIGKILL for any pid from the state file that is still alive.
struct ClusterGuard<'a> {
    dir: &'a Path,
}

impl Drop for ClusterGuard<'_> {
    fn drop(&mut self) {
        let dir = self.dir.to_string_lossy().into_owned();
        let _ = Command::new(SHOAL)
            .args(["cluster", "stop", "--dir", &dir, "--timeout", "5000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        for (_, pid) in state_pids(self.dir) {
            if pid > 1 && alive(pid) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}

/// Runs `shoal cluster start` with redis-server on free ports, retrying on a
/// port race with another process. Returns the base port.
fn start_redis_cluster(dir: &Path, primaries: u16, replicas: u16) -> u16 {
    start_cluster_with(dir, "redis-server", primaries, replicas)
}

/// Runs `shoal cluster start` with the given server binary.
fn start_cluster_with(dir: &Path, server: &str, primaries: u16, replicas: u16) -> u16 {
    let count = primaries * (replicas + 1);
    let dir_text = dir.to_string_lossy().into_owned();
    let mut last = String::new();
    for _attempt in 0..3 {
        let base = free_base_port(count);
        let output = shoal(&[
            "cluster",
            "start",
            "--server",
            server,
            "--masters",
            &primaries.to_string(),
            "--replicas",
            &replicas.to_string(),
            "--base-port",
            &base.to_string(),
            "--dir",
            &dir_text,
            "--node-timeout",
            "1000",
            "--wait-timeout",
            "30000",
        ]);
        if output.status.success() {
            let stdout = text(&output.stdout);
            assert!(
                stdout.contains(&format!("redis-cli -c -p {base}")),
                "start must say how to connect:\n{stdout}"
            );
            return base;
        }
        last = describe(&output);
        // Only a lost race for a port is worth another try.
        if !last.contains("not available") && !last.contains("Address already in use") {
            break;
        }
    }
    panic!("shoal cluster start failed:\n{last}");
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run redis-cli");
    assert!(
        output.status.success(),
        "redis-cli {args:?}: {}",
        describe(&output)
    );
    text(&output.stdout).trim().to_string()
}

/// Waits (bounded) until `condition` holds.
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop_and_check_gone(dir: &Path, pids: &[(u16, u32)]) {
    let dir_text = dir.to_string_lossy().into_owned();
    let output = shoal(&["cluster", "stop", "--dir", &dir_text]);
    assert!(
        output.status.success(),
        "stop failed: {}",
        describe(&output)
    );
    // `stop` returns only once the processes are gone.
    for (port, pid) in pids {
        assert!(
            !alive(*pid),
            "node {port} (pid {pid}) still alive after stop"
        );
        assert!(port_is_free(*port), "port {port} still taken after stop");
    }
    // A stopped cluster is reported as not healthy, with a non-zero exit.
    let output = shoal(&["cluster", "status", "--dir", &dir_text]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stdout).contains("not running"),
        "{}",
        describe(&output)
    );
}

#[test]
fn three_primaries_start_status_route_and_stop() {
    if !redis_tools_available("three_primaries_start_status_route_and_stop") {
        return;
    }
    let scratch = ScratchDir::new("three");
    let dir = scratch.0.as_path();
    let _guard = ClusterGuard { dir };
    let base = start_redis_cluster(dir, 3, 0);
    let dir_text = dir.to_string_lossy().into_owned();

    let pids = state_pids(dir);
    assert_eq!(
        pids.iter().map(|(port, _)| *port).collect::<Vec<_>>(),
        vec![base, base + 1, base + 2]
    );
    for (port, pid) in &pids {
        assert!(alive(*pid), "node {port} pid {pid} not alive");
        let config = std::fs::read_to_string(dir.join(port.to_string()).join("server.conf"))
            .expect("node config");
        assert!(config.contains(&format!("port {port}\n")), "{config}");
        assert!(config.contains("cluster-enabled yes\n"), "{config}");
    }

    let output = shoal(&["cluster", "status", "--dir", &dir_text]);
    assert!(output.status.success(), "status: {}", describe(&output));
    let status = text(&output.stdout);
    for (port, slots) in [
        (base, "0-5460"),
        (base + 1, "5461-10922"),
        (base + 2, "10923-16383"),
    ] {
        let row = status
            .lines()
            .find(|line| line.starts_with(&port.to_string()))
            .unwrap_or_else(|| panic!("no row for {port}:\n{status}"));
        assert!(row.contains("running"), "{row}");
        assert!(row.contains("primary"), "{row}");
        assert!(row.contains(" ok "), "{row}");
        assert!(row.contains(slots), "{row}");
    }
    assert!(status.contains("cluster ok"), "{status}");

    // Cluster-aware access through any node works; "foo" hashes to slot
    // 12182, which the third primary must own.
    assert_eq!(redis_cli(base, &["-c", "set", "foo", "bar"]), "OK");
    assert_eq!(redis_cli(base, &["-c", "get", "foo"]), "bar");
    assert_eq!(redis_cli(base + 2, &["get", "foo"]), "bar");
    assert_eq!(redis_cli(base, &["cluster", "keyslot", "foo"]), "12182");
    let info = redis_cli(base + 1, &["cluster", "info"]);
    assert!(info.contains("cluster_size:3"), "{info}");
    assert!(info.contains("cluster_known_nodes:3"), "{info}");

    // A second start on a running cluster is refused and leaves it alone.
    let output = shoal(&[
        "cluster",
        "start",
        "--server",
        "redis-server",
        "--base-port",
        &base.to_string(),
        "--dir",
        &dir_text,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("still running"),
        "{}",
        describe(&output)
    );
    assert!(pids.iter().all(|(_, pid)| alive(*pid)));

    stop_and_check_gone(dir, &pids);
}

#[test]
fn replicas_attach_round_robin() {
    if !redis_tools_available("replicas_attach_round_robin") {
        return;
    }
    let scratch = ScratchDir::new("replicas");
    let dir = scratch.0.as_path();
    let _guard = ClusterGuard { dir };
    let base = start_redis_cluster(dir, 3, 1);
    let dir_text = dir.to_string_lossy().into_owned();
    let pids = state_pids(dir);
    assert_eq!(pids.len(), 6);

    let output = shoal(&["cluster", "status", "--dir", &dir_text]);
    assert!(output.status.success(), "status: {}", describe(&output));
    let status = text(&output.stdout);
    for (replica, primary) in [(base + 3, base), (base + 4, base + 1), (base + 5, base + 2)] {
        let row = status
            .lines()
            .find(|line| line.starts_with(&replica.to_string()))
            .unwrap_or_else(|| panic!("no row for {replica}:\n{status}"));
        assert!(row.contains(&format!("replica of {primary}")), "{row}");
    }

    // Every node eventually sees three replicas, each following a
    // different primary.
    eventually("three distinct replica relations in CLUSTER NODES", || {
        let nodes = redis_cli(base, &["cluster", "nodes"]);
        let mut primaries: Vec<&str> = nodes
            .lines()
            .filter(|line| {
                line.split(' ')
                    .nth(2)
                    .is_some_and(|flags| flags.contains("slave"))
            })
            .filter_map(|line| line.split(' ').nth(3))
            .collect();
        primaries.sort_unstable();
        primaries.dedup();
        primaries.len() == 3
    });

    // Writes reach the replica of the owning primary.
    assert_eq!(redis_cli(base, &["-c", "set", "foo", "bar"]), "OK");
    eventually("foo replicated to the third primary's replica", || {
        // READONLY is per connection, so send both in one redis-cli session.
        let reply = Command::new("redis-cli")
            .args(["-p", &(base + 5).to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                if let Some(stdin) = child.stdin.as_mut() {
                    stdin.write_all(b"READONLY\nGET foo\n")?;
                }
                child.wait_with_output()
            })
            .map(|output| text(&output.stdout))
            .unwrap_or_default();
        reply.lines().any(|line| line.trim() == "bar")
    });

    stop_and_check_gone(dir, &pids);
}

#[test]
fn help_lists_the_cluster_commands() {
    let output = shoal(&["--help"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        text(&output.stdout).contains("cluster"),
        "{}",
        describe(&output)
    );

    let output = shoal(&["cluster", "--help"]);
    assert!(output.status.success(), "{}", describe(&output));
    let help = text(&output.stdout);
    for command in ["start", "stop", "status"] {
        assert!(help.contains(command), "missing {command}:\n{help}");
    }

    let output = shoal(&["cluster", "start", "--help"]);
    let help = text(&output.stdout);
    for option in [
        "--masters",
        "--replicas",
        "--base-port",
        "--dir",
        "--node-timeout",
        "--server",
        "--bind",
    ] {
        assert!(help.contains(option), "missing {option}:\n{help}");
    }

    // Usage errors use clap's exit code 2.
    let output = shoal(&["cluster", "frobnicate"]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
}

#[test]
fn stop_and_status_without_a_cluster_fail_clearly() {
    let scratch = ScratchDir::new("empty");
    let dir_text = scratch.0.to_string_lossy().into_owned();
    for command in ["stop", "status"] {
        let output = shoal(&["cluster", command, "--dir", &dir_text]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{command}: {}",
            describe(&output)
        );
        let stderr = text(&output.stderr);
        assert!(stderr.contains("nodes.txt"), "{command}: {stderr}");
    }
}

#[test]
fn start_with_a_missing_server_fails_before_spawning() {
    let scratch = ScratchDir::new("noserver");
    let dir_text = scratch.0.to_string_lossy().into_owned();
    let output = shoal(&[
        "cluster",
        "start",
        "--server",
        "/nonexistent/shoal-server",
        "--dir",
        &dir_text,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("/nonexistent/shoal-server"),
        "{}",
        describe(&output)
    );
    assert!(!scratch.0.join("nodes.txt").exists());
}

#[test]
fn start_reports_a_server_that_exits_and_cleans_up() {
    // `false` exits at once: start must notice, say so, and not hang.
    let scratch = ScratchDir::new("exits");
    let dir = scratch.0.as_path();
    let _guard = ClusterGuard { dir };
    let dir_text = dir.to_string_lossy().into_owned();
    let base = free_base_port(3);
    let output = shoal(&[
        "cluster",
        "start",
        "--server",
        "false",
        "--base-port",
        &base.to_string(),
        "--dir",
        &dir_text,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("exited during startup"), "{stderr}");
    assert!(stderr.contains(&format!("{base}.log")), "{stderr}");
    for (port, pid) in state_pids(dir) {
        assert!(!alive(pid), "node {port} pid {pid} left running");
    }
}

#[test]
fn start_rejects_layouts_without_room_for_bus_ports() {
    let scratch = ScratchDir::new("ports");
    let dir_text = scratch.0.to_string_lossy().into_owned();
    let output = shoal(&[
        "cluster",
        "start",
        "--server",
        "redis-server",
        "--base-port",
        "55535",
        "--dir",
        &dir_text,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("55535"),
        "{}",
        describe(&output)
    );
}

#[test]
fn shoal_server_nodes_form_a_cluster() {
    // `cargo test --workspace` builds shoal-server beside shoal.
    let server = Path::new(SHOAL).with_file_name("shoal-server");
    if !server.exists() {
        if std::env::var("SHOAL_REQUIRE_REDIS_TOOLS").as_deref() == Ok("1") {
            panic!("{} not built; run the workspace tests", server.display());
        }
        eprintln!("\n*** SKIPPED shoal_server_nodes_form_a_cluster: shoal-server not built ***\n");
        return;
    }
    if !redis_tools_available("shoal_server_nodes_form_a_cluster") {
        return;
    }
    let scratch = ScratchDir::new("shoal-nodes");
    let dir = scratch.0.as_path();
    let _guard = ClusterGuard { dir };
    let base = start_cluster_with(dir, &server.to_string_lossy(), 3, 0);
    let dir_text = dir.to_string_lossy().into_owned();
    let output = shoal(&["cluster", "status", "--dir", &dir_text]);
    assert!(output.status.success(), "status: {}", describe(&output));
    assert!(
        text(&output.stdout).contains("cluster ok"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(redis_cli(base, &["-c", "set", "foo", "bar"]), "OK");
    assert_eq!(redis_cli(base + 1, &["-c", "get", "foo"]), "bar");
    let pids = state_pids(dir);
    stop_and_check_gone(dir, &pids);
}
