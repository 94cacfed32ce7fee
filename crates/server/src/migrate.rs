//! The I/O half of MIGRATE (Redis `migrateCommand`, cluster.c): a cache of
//! connections to target servers and the blocking exchange on them.
//!
//! Owns those sockets and nothing else: what to send and what the replies
//! mean is the engine's (`shoal_engine::MigrationRequest`, `MigrationIo`).
//! Redis performs MIGRATE synchronously on its event loop so the keys cannot
//! change between DUMP and DEL; this module does the same on purpose — it
//! uses blocking std sockets with the command's timeout and is called
//! without yielding to other tasks. It must never be called across an
//! await.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use shoal_engine::{MigrationIo, MigrationRequest};

/// Redis `MIGRATE_SOCKET_CACHE_ITEMS`: at most this many cached targets.
const CACHE_ITEMS: usize = 64;
/// Redis `MIGRATE_SOCKET_CACHE_TTL`: idle cached connections close after this.
const CACHE_TTL: Duration = Duration::from_secs(10);
/// Longest timeout honoured (a year): far longer ones could not be added to
/// an `Instant`.
const MAX_TIMEOUT_MS: u64 = 365 * 24 * 3600 * 1000;
/// Redis's `syncReadLine` buffer: longer reply lines are cut.
const MAX_LINE_BYTES: usize = 1024;

/// A cached connection to one target (`migrateCachedSocket`).
struct CachedSocket {
    stream: TcpStream,
    /// The database the target connection is on; `None` forces a SELECT.
    last_db: Option<i64>,
    last_use: Instant,
    /// Bytes read past the last reply line.
    pending: Vec<u8>,
}

/// The connection cache, keyed by "host:port" as Redis keys it.
#[derive(Default)]
pub(crate) struct MigrateSockets {
    sockets: HashMap<String, CachedSocket>,
}

/// Why one exchange failed; timeouts are never retried.
struct Failure {
    timed_out: bool,
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure {
            timed_out: matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        }
    }
}

impl MigrateSockets {
    /// Connections held open (INFO `migrate_cached_sockets`).
    pub(crate) fn len(&self) -> usize {
        self.sockets.len()
    }

    /// Closes connections idle for longer than `CACHE_TTL`
    /// (`migrateCloseTimedoutSockets`, run by the cron).
    pub(crate) fn close_idle(&mut self, now: Instant) {
        self.sockets
            .retain(|_, socket| now.duration_since(socket.last_use) <= CACHE_TTL);
    }

    /// Performs `request`'s exchange with its target, blocking for at most
    /// the request's timeout per step. A cached connection that turns out
    /// to be closed is reopened once, as Redis retries (not after a
    /// timeout, and not once a RESTORE reply has been read).
    pub(crate) fn perform(&mut self, request: &MigrationRequest) -> MigrationIo {
        let name = format!("{}:{}", request.host, request.port);
        // Redis takes any positive timeout; a deadline must stay an Instant.
        let timeout = Duration::from_millis(request.timeout_ms.clamp(1, MAX_TIMEOUT_MS));
        let mut may_retry = true;
        loop {
            if !self.sockets.contains_key(&name) {
                // Redis connects without blocking and only learns of a
                // refused or timed-out connect when it writes: those are
                // write failures; only an unusable address fails the connect.
                let socket = match connect(request, timeout) {
                    Ok(socket) => socket,
                    Err(None) => return MigrationIo::ConnectFailed,
                    Err(Some(failure)) => {
                        if may_retry && !failure.timed_out {
                            may_retry = false;
                            continue;
                        }
                        return MigrationIo::WriteFailed;
                    }
                };
                if self.sockets.len() >= CACHE_ITEMS {
                    // Redis evicts a random entry; any one will do.
                    if let Some(victim) = self.sockets.keys().next().cloned() {
                        self.sockets.remove(&victim);
                    }
                }
                self.sockets.insert(name.clone(), socket);
            }
            let Some(socket) = self.sockets.get_mut(&name) else {
                return MigrationIo::ConnectFailed;
            };
            socket.last_use = Instant::now();
            let select = socket.last_db != Some(request.destination_db);
            match exchange(socket, request, select, timeout) {
                Exchange::WriteFailed(failure) => {
                    self.sockets.remove(&name);
                    if may_retry && !failure.timed_out {
                        may_retry = false;
                        continue;
                    }
                    return MigrationIo::WriteFailed;
                }
                Exchange::Read {
                    lines,
                    failure,
                    restore_replies,
                } => {
                    if let Some(failure) = failure {
                        self.sockets.remove(&name);
                        if restore_replies == 0 && may_retry && !failure.timed_out {
                            may_retry = false;
                            continue;
                        }
                        return MigrationIo::Replies {
                            selected: select,
                            lines,
                            complete: false,
                        };
                    }
                    return MigrationIo::Replies {
                        selected: select,
                        lines,
                        complete: true,
                    };
                }
            }
        }
    }

    /// Records the database the target connection is on after the engine
    /// judged the replies (`None`: unknown, SELECT next time).
    pub(crate) fn set_last_db(&mut self, request: &MigrationRequest, db: Option<i64>) {
        let name = format!("{}:{}", request.host, request.port);
        if let Some(socket) = self.sockets.get_mut(&name) {
            socket.last_db = db;
        }
    }
}

/// A new connection; `Err(None)` when the address is unusable.
fn connect(request: &MigrationRequest, timeout: Duration) -> Result<CachedSocket, Option<Failure>> {
    let port = u16::try_from(request.port).map_err(|_| None)?;
    let address = (request.host.as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or(None)?;
    let stream =
        TcpStream::connect_timeout(&address, timeout).map_err(|error| Some(error.into()))?;
    let _ = stream.set_nodelay(true);
    Ok(CachedSocket {
        stream,
        last_db: None,
        last_use: Instant::now(),
        pending: Vec::new(),
    })
}

enum Exchange {
    WriteFailed(Failure),
    Read {
        lines: Vec<Vec<u8>>,
        failure: Option<Failure>,
        /// RESTORE replies among `lines`.
        restore_replies: usize,
    },
}

fn exchange(
    socket: &mut CachedSocket,
    request: &MigrationRequest,
    select: bool,
    timeout: Duration,
) -> Exchange {
    let bytes = request.wire_bytes(select);
    let written = socket
        .stream
        .set_write_timeout(Some(timeout))
        .and_then(|()| socket.stream.write_all(&bytes));
    if let Err(error) = written {
        return Exchange::WriteFailed(error.into());
    }
    let preamble = usize::from(request.sends_auth()) + usize::from(select);
    let expected = preamble + request.keys.len();
    let mut lines = Vec::with_capacity(expected);
    while lines.len() < expected {
        match read_line(socket, timeout) {
            Ok(line) => lines.push(line),
            Err(failure) => {
                return Exchange::Read {
                    restore_replies: lines.len().saturating_sub(preamble),
                    lines,
                    failure: Some(failure),
                }
            }
        }
    }
    Exchange::Read {
        lines,
        failure: None,
        restore_replies: request.keys.len(),
    }
}

/// One reply line without its CRLF (`syncReadLine`), within `timeout`.
fn read_line(socket: &mut CachedSocket, timeout: Duration) -> Result<Vec<u8>, Failure> {
    let deadline = Instant::now() + timeout;
    loop {
        let newline = socket
            .pending
            .iter()
            .take(MAX_LINE_BYTES - 1)
            .position(|&byte| byte == b'\n');
        if let Some(end) = newline {
            let mut line: Vec<u8> = socket.pending.drain(..=end).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(line);
        }
        if socket.pending.len() >= MAX_LINE_BYTES - 1 {
            // Like syncReadLine, a line that fills the buffer ends there; so
            // a target that never sends a newline cannot make us buffer
            // without bound.
            return Ok(socket.pending.drain(..MAX_LINE_BYTES - 1).collect());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure { timed_out: true });
        }
        socket.stream.set_read_timeout(Some(left))?;
        let mut chunk = [0u8; 4096];
        match socket.stream.read(&mut chunk)? {
            0 => return Err(Failure { timed_out: false }),
            count => socket.pending.extend_from_slice(&chunk[..count]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// A MIGRATE of `keys` (set first) to 127.0.0.1:`port`, parked by a
    /// test engine.
    fn request(port: u16, keys: &[&str], timeout_ms: u64) -> MigrationRequest {
        let mut node = shoal_engine::testing::TestNode::new();
        for key in keys {
            node.run(&format!("SET {key} value"));
        }
        let line = format!(
            "MIGRATE 127.0.0.1 {port} \"\" 0 {timeout_ms} KEYS {}",
            keys.join(" ")
        );
        node.run(&line);
        *node.engine.take_migration().expect("a parked migration")
    }

    /// A target that reads the request, then answers `reply` and keeps the
    /// connection open for a while.
    fn fake_target(reply: Vec<u8>) -> u16 {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        let port = listener.local_addr().expect("address").port();
        thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buffer = [0u8; 65536];
                let _ = stream.read(&mut buffer);
                let _ = stream.write_all(&reply);
                thread::sleep(Duration::from_millis(500));
            }
        });
        port
    }

    #[test]
    fn replies_are_read_as_lines_in_order() {
        let port = fake_target(b"+OK\r\n-ERR no\r\n+OK\r\n".to_vec());
        let mut sockets = MigrateSockets::default();
        let io = sockets.perform(&request(port, &["a", "b"], 2000));
        assert_eq!(
            io,
            MigrationIo::Replies {
                selected: true,
                lines: vec![b"+OK".to_vec(), b"-ERR no".to_vec(), b"+OK".to_vec()],
                complete: true,
            }
        );
    }

    /// A target that never ends its line cannot make MIGRATE buffer without
    /// bound: lines stop at Redis's 1023 bytes, and the missing replies time
    /// out.
    #[test]
    fn an_endless_reply_line_is_cut_and_times_out() {
        let port = fake_target(vec![b'x'; 100_000]);
        let mut sockets = MigrateSockets::default();
        let io = sockets.perform(&request(port, &["a"], 200));
        let MigrationIo::Replies {
            lines, complete, ..
        } = io
        else {
            panic!("expected replies, got {io:?}");
        };
        assert!(lines.iter().all(|line| line.len() < MAX_LINE_BYTES));
        assert_eq!(lines.len(), 2, "SELECT's and the RESTORE's lines");
        assert!(complete);
        assert!(sockets
            .sockets
            .values()
            .all(|socket| socket.pending.len() < 4096 + MAX_LINE_BYTES));
    }

    #[test]
    fn a_closed_port_is_a_write_failure_and_an_unusable_address_a_connect_failure() {
        let port = {
            let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
            listener.local_addr().expect("address").port()
        };
        let mut sockets = MigrateSockets::default();
        assert_eq!(
            sockets.perform(&request(port, &["a"], 500)),
            MigrationIo::WriteFailed
        );
        let mut bad = request(port, &["a"], 500);
        bad.port = 70_000;
        assert_eq!(sockets.perform(&bad), MigrationIo::ConnectFailed);
        assert!(sockets.sockets.is_empty());
    }
}
