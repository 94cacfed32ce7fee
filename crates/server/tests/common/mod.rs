//! Shared support for black-box tests: spawning `shoal-server` (and, where
//! installed, the real `redis-server` oracle) on free loopback ports, raw
//! RESP exchanges, and the skip-or-fail rule for tests that need Redis tools.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// Node ports stay in 12000..22767 so bus ports (+10000) stay below the
/// kernel's ephemeral range.
const PORT_LOW: u16 = 12000;
const PORT_HIGH: u16 = 22767;

static NEXT_PORT_OFFSET: AtomicU16 = AtomicU16::new(0);

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A port P with P and P+10000 both free. Processes start at a pid-derived
/// offset and threads step through the range, so parallel tests rarely meet.
pub fn free_port() -> u16 {
    let span = PORT_HIGH - PORT_LOW;
    let start = (std::process::id() as u16).wrapping_mul(97) % span;
    for _ in 0..span {
        let offset = NEXT_PORT_OFFSET.fetch_add(7, Ordering::Relaxed);
        let port = PORT_LOW + (start.wrapping_add(offset)) % span;
        if port_is_free(port) && port_is_free(port + 10000) {
            return port;
        }
    }
    panic!("no free port pair found");
}

/// True when `redis-server`/`redis-cli` are installed. When they are not:
/// panics under `SHOAL_REQUIRE_REDIS_TOOLS=1` (CI), else prints a loud
/// skip notice and returns false.
pub fn redis_tools_available(test: &str) -> bool {
    tools_available(test, &["redis-server", "redis-cli", "redis-benchmark"])
}

/// Whether every program in `tools` can be started. Missing ones fail the
/// test under `SHOAL_REQUIRE_REDIS_TOOLS=1` (CI installs them all) and
/// skip it loudly elsewhere.
pub fn tools_available(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| {
            Command::new(tool)
                .arg("--version")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err()
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join("/");
    if std::env::var("SHOAL_REQUIRE_REDIS_TOOLS").as_deref() == Ok("1") {
        panic!("{test}: {missing} not found but SHOAL_REQUIRE_REDIS_TOOLS=1");
    }
    eprintln!("\n*** SKIPPED {test}: {missing} not installed ***\n");
    false
}

/// A server process killed on drop.
pub struct Server {
    pub port: u16,
    pub child: Child,
    pub dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn scratch_dir(label: &str, port: u16) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("shoal-test-{label}-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Starts `shoal-server` with extra arguments on a free port.
pub fn start_shoal(extra: &[&str]) -> Server {
    start(env!("CARGO_BIN_EXE_shoal-server"), "shoal", extra)
}

/// Starts the real `redis-server` oracle on a free port.
pub fn start_redis(extra: &[&str]) -> Server {
    start("redis-server", "redis", extra)
}

/// Which server binary a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Shoal,
    Redis,
}

impl Kind {
    pub fn program(self) -> &'static str {
        match self {
            Kind::Shoal => env!("CARGO_BIN_EXE_shoal-server"),
            Kind::Redis => "redis-server",
        }
    }
}

/// Arguments for a cluster node with a short node timeout.
pub fn cluster_args(node_timeout_ms: u64) -> Vec<String> {
    vec![
        "--cluster-enabled".into(),
        "yes".into(),
        "--cluster-config-file".into(),
        "nodes.conf".into(),
        "--cluster-node-timeout".into(),
        node_timeout_ms.to_string(),
    ]
}

/// Starts a cluster node of `kind` on a free port.
pub fn start_cluster_node(kind: Kind, node_timeout_ms: u64) -> Server {
    let args = cluster_args(node_timeout_ms);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    start(
        kind.program(),
        if kind == Kind::Shoal {
            "shoal"
        } else {
            "redis"
        },
        &args,
    )
}

impl Server {
    /// Kills the process (SIGKILL) but keeps its directory for a restart.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Restarts a killed node with the same port, directory and arguments.
    pub fn restart(&mut self, program: &str, extra: &[&str]) {
        self.child = spawn_server(program, self.port, &self.dir, extra);
        assert!(wait_for_ping(self), "{program} did not restart");
    }
}

/// Spawns a server on 127.0.0.1:`port` in `dir`, without persistence.
fn spawn_server(program: &str, port: u16, dir: &std::path::Path, extra: &[&str]) -> Child {
    let port_text = port.to_string();
    let mut args = vec![
        "--port",
        &port_text,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ];
    args.extend_from_slice(extra);
    Command::new(program)
        .args(&args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("spawn {program}: {error}"))
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start(program: &str, label: &str, extra: &[&str]) -> Server {
    for _attempt in 0..5 {
        let port = free_port();
        let dir = scratch_dir(label, port);
        let child = spawn_server(program, port, &dir, extra);
        let mut server = Server { port, child, dir };
        if wait_for_ping(&mut server) {
            return server;
        }
    }
    panic!("{program} did not start");
}

fn wait_for_ping(server: &mut Server) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = server.child.try_wait() {
            return false;
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", server.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            if stream.write_all(b"PING\r\n").is_ok() {
                // Any complete reply means the server is serving; under
                // requirepass it is -NOAUTH rather than +PONG.
                let mut reply = [0u8; 64];
                if let Ok(count) = stream.read(&mut reply) {
                    if count > 0 && (reply.starts_with(b"+PONG") || reply.starts_with(b"-NOAUTH")) {
                        return true;
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A raw connection for byte-level tests.
pub struct Raw {
    pub stream: TcpStream,
    /// Bytes read past the last frame by `read_raw_frame_buffered`.
    pending: Vec<u8>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Raw {
            stream,
            pending: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Sends a command as a multibulk request.
    pub fn command(&mut self, args: &[&[u8]]) {
        self.send(&shoal_resp::encode_command(args));
    }

    /// Reads exactly one reply frame.
    pub fn read_frame(&mut self) -> shoal_resp::Frame {
        self.read_raw_frame().0
    }

    /// Reads one reply frame, also returning its exact bytes.
    pub fn read_raw_frame(&mut self) -> (shoal_resp::Frame, Vec<u8>) {
        let mut data = Vec::new();
        let mut chunk = [0u8; 65536];
        loop {
            if let Ok(Some((frame, used))) = shoal_resp::parse_frame(&data) {
                assert_eq!(used, data.len(), "more bytes than one reply arrived");
                return (frame, data);
            }
            let count = self.stream.read(&mut chunk).expect("read reply");
            assert!(
                count > 0,
                "connection closed while waiting for a reply: {:?}",
                String::from_utf8_lossy(&data)
            );
            data.extend_from_slice(&chunk[..count]);
        }
    }

    /// Reads exactly `count` reply frames (pipelined replies).
    pub fn read_frames(&mut self, count: usize) -> Vec<shoal_resp::Frame> {
        let frames = (0..count)
            .map(|_| self.read_raw_frame_buffered().0)
            .collect();
        assert!(
            self.pending.is_empty(),
            "more bytes than {count} replies arrived"
        );
        frames
    }

    /// Reads one reply frame when several may arrive back to back (pushes):
    /// bytes past the frame are kept for the next call.
    pub fn read_raw_frame_buffered(&mut self) -> (shoal_resp::Frame, Vec<u8>) {
        let mut chunk = [0u8; 65536];
        loop {
            if let Ok(Some((frame, used))) = shoal_resp::parse_frame(&self.pending) {
                let bytes: Vec<u8> = self.pending.drain(..used).collect();
                return (frame, bytes);
            }
            let count = self.stream.read(&mut chunk).expect("read reply");
            assert!(count > 0, "connection closed while waiting for a reply");
            self.pending.extend_from_slice(&chunk[..count]);
        }
    }

    /// Reads until exactly `count` bytes arrived.
    pub fn read_exact_bytes(&mut self, count: usize) -> Vec<u8> {
        let mut data = vec![0u8; count];
        self.stream.read_exact(&mut data).expect("read");
        data
    }

    /// True when the server closed the connection (EOF within the timeout).
    pub fn is_closed(&mut self) -> bool {
        // EOF, or a reset when the server closed with our bytes unread.
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(error) => !matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }

    /// Sends a command and returns the reply.
    pub fn call(&mut self, args: &[&str]) -> shoal_resp::Frame {
        let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
        self.command(&args);
        self.read_frame()
    }
}

/// Runs `redis-cli` with arguments and returns stdout.
pub fn redis_cli(port: u16, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .expect("run redis-cli");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
