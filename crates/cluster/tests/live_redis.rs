//! Live interop test against a real `redis-server` (7.0) on PATH: frames encoded by
//! our codec must be accepted by Redis, and Redis's receive-side validation
//! (reference §5.6) must agree with our `FrameReader` on bad input.
//!
//! Owns only test code. Needs `redis-server`; without it the test prints a loud
//! "SKIPPED" line, or FAILS when `SHOAL_REQUIRE_REDIS_TOOLS=1`. Every process it
//! starts is killed by a Drop guard.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use shoal_cluster::bus::{
    encode, BusMessage, Frame, FrameReader, Header, InvalidFrame, LinkError, MessageBody,
    NodeFlags, NodeId, PingBody,
};

fn redis_server_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("redis-server"))
        .find(|p| p.is_file())
}

/// Returns `None` (after a loud message) when the test must be skipped.
fn require_redis() -> Option<PathBuf> {
    match redis_server_path() {
        Some(path) => Some(path),
        None if std::env::var("SHOAL_REQUIRE_REDIS_TOOLS").as_deref() == Ok("1") => {
            panic!("redis-server not found on PATH and SHOAL_REQUIRE_REDIS_TOOLS=1")
        }
        None => {
            // Written to the raw stderr handle so libtest's output capture
            // does not hide it.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED: redis-server not found (live cluster-bus test) ***\n"
            );
            None
        }
    }
}

/// Kills the server and removes its directory on drop.
struct ServerGuard {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn random_u64() -> u64 {
    RandomState::new().hash_one(std::process::id())
}

fn port_pair_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
        && TcpListener::bind(("127.0.0.1", port + 10000)).is_ok()
}

fn pick_port() -> u16 {
    for _ in 0..200 {
        let port = 21000 + (random_u64() % 1000) as u16;
        if port_pair_free(port) {
            return port;
        }
    }
    panic!("no free port pair in 21000-21999");
}

fn start_server(binary: &PathBuf) -> ServerGuard {
    for _ in 0..10 {
        let port = pick_port();
        let dir =
            std::env::temp_dir().join(format!("shoal-bus-live-{}-{port}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "5000"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let mut guard = ServerGuard { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = guard.child.try_wait() {
                break; // lost a port race: retry with another port
            }
            if let Ok(reply) = command(port, &["PING"]) {
                if reply == b"PONG" {
                    return guard;
                }
            }
            sleep(Duration::from_millis(50));
        }
        drop(guard);
    }
    panic!("could not start redis-server");
}

/// Sends one command and returns a simple-string or bulk reply (errors as Err).
fn command(port: u16, args: &[&str]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    stream.write_all(&out)?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let line = line.trim_end();
    let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    match line.as_bytes().first() {
        Some(b'+') => Ok(line.as_bytes()[1..].to_vec()),
        Some(b'$') => {
            let len: usize = line[1..].parse().map_err(|_| bad(line.to_string()))?;
            let mut buf = vec![0; len + 2];
            reader.read_exact(&mut buf)?;
            buf.truncate(len);
            Ok(buf)
        }
        _ => Err(bad(line.to_string())),
    }
}

fn cluster_nodes(port: u16) -> String {
    String::from_utf8_lossy(&command(port, &["CLUSTER", "NODES"]).expect("CLUSTER NODES"))
        .into_owned()
}

/// Reads from `stream` until the reader yields a frame, the link fails, or EOF.
fn read_frame(stream: &mut TcpStream, reader: &mut FrameReader) -> Option<Frame> {
    let mut buf = [0u8; 4096];
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => return Some(frame),
            Ok(None) => {}
            Err(e) => panic!("link error from real redis frame: {e}"),
        }
        match stream.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => reader.push(&buf[..n]),
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// True if the peer closes the connection within the timeout.
fn peer_closes(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false, // timeout: still open
        }
    }
}

fn fake_header(id: NodeId, port: u16) -> Header {
    Header {
        port,
        bus_port: port + 10000,
        flags: NodeFlags::PRIMARY | NodeFlags::MYSELF,
        ..Header::new(id)
    }
}

#[test]
fn real_redis_completes_handshake_with_our_frames() {
    let Some(binary) = require_redis() else {
        return;
    };
    let server = start_server(&binary);
    let real_id = String::from_utf8(command(server.port, &["CLUSTER", "MYID"]).expect("MYID"))
        .expect("utf8 id");

    // Our fake node: a bus listener on fake_port + 10000.
    let (fake_port, listener) = loop {
        let port = pick_port();
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port + 10000)) {
            break (port, l);
        }
    };
    let mut random = [0u8; 20];
    for (i, b) in random.iter_mut().enumerate() {
        *b = (random_u64() >> (i % 8)) as u8;
    }
    let fake_id = NodeId::from_random_bytes(random);
    let header = fake_header(fake_id, fake_port);

    // 1. MEET to the real node's bus port: it must answer PONG on this link.
    let mut link = TcpStream::connect(("127.0.0.1", server.port + 10000)).expect("bus port");
    link.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let meet = BusMessage::new(header.clone(), MessageBody::Meet(PingBody::default()));
    link.write_all(&encode(&meet)).expect("send MEET");
    let mut reader = FrameReader::new();
    let Some(Frame::Message(pong)) = read_frame(&mut link, &mut reader) else {
        panic!("no PONG for our MEET");
    };
    assert!(matches!(pong.body, MessageBody::Pong(_)), "{pong:?}");
    assert_eq!(pong.header.sender_id.to_string(), real_id);
    assert_eq!(pong.header.port, server.port);
    assert_eq!(pong.header.bus_port, server.port + 10000);

    // 2. The real node now connects to us and PINGs its handshake node; we PONG.
    listener.set_nonblocking(false).expect("blocking");
    let (mut inbound, _) = listener.accept().expect("real node connects to us");
    inbound
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut in_reader = FrameReader::new();
    let Some(Frame::Message(ping)) = read_frame(&mut inbound, &mut in_reader) else {
        panic!("no PING from the real node");
    };
    assert!(matches!(ping.body, MessageBody::Ping(_)), "{ping:?}");
    let reply = BusMessage::new(header.clone(), MessageBody::Pong(PingBody::default()));
    inbound.write_all(&encode(&reply)).expect("send PONG");

    // 3. The real node renames its handshake node to our id: handshake complete.
    let our_addr = format!("127.0.0.1:{fake_port}@{}", fake_port + 10000);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let nodes = cluster_nodes(server.port);
        let line = nodes.lines().find(|l| l.starts_with(&fake_id.to_string()));
        if let Some(line) = line {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields[1], our_addr, "{line}");
            assert!(!fields[2].contains("handshake"), "{line}");
            assert!(fields[2].contains("master"), "{line}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "handshake never completed:\n{nodes}"
        );
        sleep(Duration::from_millis(100));
    }

    // 4. §5.6: a frame with a bad totlen is ignored by Redis (link stays up and a
    //    following PING is still answered) — and our reader says Ignored too.
    let mut bad_fail = encode(&BusMessage::new(
        header.clone(),
        MessageBody::Fail { node_id: fake_id },
    ));
    bad_fail.extend_from_slice(&[0; 8]);
    let totlen = bad_fail.len() as u32;
    bad_fail[4..8].copy_from_slice(&totlen.to_be_bytes());
    let ping = encode(&BusMessage::new(
        header.clone(),
        MessageBody::Ping(PingBody::default()),
    ));
    let mut ours = FrameReader::new();
    ours.push(&bad_fail);
    ours.push(&ping);
    assert_eq!(
        ours.next_frame(),
        Ok(Some(Frame::Ignored(InvalidFrame::LengthMismatch {
            type_code: 3,
            totlen,
            expected: 2296
        })))
    );
    assert!(matches!(ours.next_frame(), Ok(Some(Frame::Message(_)))));
    link.write_all(&bad_fail).expect("send bad FAIL");
    link.write_all(&ping).expect("send PING");
    let Some(Frame::Message(answer)) = read_frame(&mut link, &mut reader) else {
        panic!("link closed after an ignorable frame");
    };
    assert!(matches!(answer.body, MessageBody::Pong(_)), "{answer:?}");

    // 5. §5.6: a bad signature makes Redis close the link — our reader errors too.
    let mut garbage = b"RCmX".to_vec();
    garbage.extend_from_slice(&2256u32.to_be_bytes());
    let mut ours = FrameReader::new();
    ours.push(&garbage);
    assert_eq!(
        ours.next_frame(),
        Err(LinkError::BadSignature { found: *b"RCmX" })
    );
    let mut doomed = TcpStream::connect(("127.0.0.1", server.port + 10000)).expect("bus port");
    doomed
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    doomed.write_all(&garbage).expect("send garbage");
    assert!(
        peer_closes(&mut doomed),
        "redis kept a link with a bad signature open"
    );

    // 6. Same for totlen < 2256.
    let mut short = b"RCmb".to_vec();
    short.extend_from_slice(&2255u32.to_be_bytes());
    let mut doomed = TcpStream::connect(("127.0.0.1", server.port + 10000)).expect("bus port");
    doomed
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    doomed.write_all(&short).expect("send short");
    assert!(
        peer_closes(&mut doomed),
        "redis kept a link with totlen < 2256 open"
    );

    let _ = link.shutdown(Shutdown::Both);
    let _ = inbound.shutdown(Shutdown::Both);
    drop(server);
}
