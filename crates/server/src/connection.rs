//! One client connection: read, parse, execute a batch, write the batch's
//! replies in one write (Redis's pipelining), enforce the buffer limits.
//!
//! The connection borrows the engine only synchronously between awaits, so a
//! slow client never blocks others.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use shoal_engine::{BufferStats, ConnectInfo, ExecOutcome};
use shoal_resp::{ParseLimits, Protocol, ReplyWriter, RequestParser};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::logging::{self, Level};
use crate::shell::{now_us, ConnectionHandle, Shared};

/// Read granularity (Redis `PROTO_IOBUF_LEN`).
const READ_CHUNK_BYTES: usize = 16 * 1024;
/// Replies beyond this are flushed mid-batch so one batch of commands with
/// large replies cannot buffer without bound.
const FLUSH_THRESHOLD_BYTES: usize = 64 * 1024;
/// Requests parsed ahead and prefetched together (see `Engine::prefetch`);
/// redis-benchmark's `-P 16` batches fit whole.
const PREFETCH_BATCH: usize = 16;
/// How often a paused client re-checks the pause.
const PAUSE_POLL: Duration = Duration::from_millis(5);

/// Time for one batch of commands: wall time read once, then advanced with
/// monotonic instants taken between commands.
struct BatchClock {
    wall_start_us: i64,
    monotonic_start: Instant,
    last: Instant,
}

impl BatchClock {
    fn now() -> Self {
        let monotonic_start = Instant::now();
        BatchClock {
            wall_start_us: now_us(),
            monotonic_start,
            last: monotonic_start,
        }
    }
}

struct Registration {
    shared: Rc<Shared>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.connections.borrow_mut().remove(&self.id);
        if let Ok(mut engine) = self.shared.engine.try_borrow_mut() {
            engine.disconnect(self.id);
        }
    }
}

/// Serves one accepted connection until it closes.
pub(crate) async fn serve(shared: Rc<Shared>, mut stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let keepalive_seconds = shared.engine.borrow().node.config.get_i64("tcp-keepalive");
    if keepalive_seconds > 0 {
        set_keepalive(&stream, keepalive_seconds);
    }
    let local = stream
        .local_addr()
        .map(|address| address.to_string())
        .unwrap_or_default();
    let fd = {
        use std::os::fd::AsRawFd;
        i64::from(stream.as_raw_fd())
    };
    let info = ConnectInfo {
        peer_addr: peer.to_string(),
        local_addr: local,
        fd,
    };
    let connected = shared.engine.borrow_mut().connect(info, now_us() / 1000);
    let id = match connected {
        Ok(id) => id,
        Err(message) => {
            let _ = stream.write_all(format!("-{message}\r\n").as_bytes()).await;
            return;
        }
    };
    let handle = Rc::new(ConnectionHandle {
        killed: std::cell::Cell::new(false),
        pushes: std::cell::RefCell::new(Vec::new()),
        soft_limit_since: std::cell::Cell::new(None),
        wake: crate::local_notify::LocalNotify::default(),
    });
    shared.connections.borrow_mut().insert(id, handle.clone());
    let _registration = Registration {
        shared: shared.clone(),
        id,
    };
    let mut session = Session {
        shared,
        handle,
        id,
        buffer: BytesMut::with_capacity(READ_CHUNK_BYTES),
        parser: RequestParser::new(),
        out: ReplyWriter::new(Protocol::Resp2),
        batch: Vec::with_capacity(PREFETCH_BATCH),
    };
    session.run(&mut stream).await;
}

/// `tcp-keepalive` (Redis `anetKeepAlive`): the first probe after
/// `interval` idle seconds, then one every interval/3, three in all.
fn set_keepalive(stream: &TcpStream, interval_seconds: i64) {
    use nix::sys::socket::{setsockopt, sockopt};
    let interval = interval_seconds.clamp(1, i64::from(i32::MAX)) as u32;
    // Best effort, as in Redis: a socket that refuses keeps working.
    let _ = setsockopt(stream, sockopt::KeepAlive, &true);
    let _ = setsockopt(stream, sockopt::TcpKeepIdle, &interval);
    let _ = setsockopt(stream, sockopt::TcpKeepInterval, &(interval / 3).max(1));
    let _ = setsockopt(stream, sockopt::TcpKeepCount, &3);
}

/// Writes all of `bytes`, unless the connection is killed first (CLIENT
/// KILL, output buffer limits): a client that stopped reading must not keep
/// its task parked in a write it will never finish. Each `write` either
/// happened or not when the kill wins, so no byte is sent twice.
async fn write_unless_killed(
    handle: &ConnectionHandle,
    stream: &mut TcpStream,
    bytes: &[u8],
) -> std::io::Result<()> {
    let mut written = 0;
    // A wake-up that was not a kill (new pushes) is handed back to the read
    // loop once the write is done.
    let mut woken = false;
    let result = loop {
        if handle.killed.get() {
            break Err(std::io::ErrorKind::ConnectionAborted.into());
        }
        if written == bytes.len() {
            break Ok(());
        }
        tokio::select! {
            biased;
            result = stream.write(&bytes[written..]) => match result {
                Ok(0) => break Err(std::io::ErrorKind::WriteZero.into()),
                Ok(count) => written += count,
                Err(error) => break Err(error),
            },
            // Consumes the notification, so this does not spin; a kill is
            // seen at the top of the loop.
            _ = handle.wake.notified() => woken = true,
        }
    };
    if woken {
        handle.wake.notify_one();
    }
    result
}

struct Session {
    shared: Rc<Shared>,
    handle: Rc<ConnectionHandle>,
    id: u64,
    buffer: BytesMut,
    parser: RequestParser,
    out: ReplyWriter,
    /// Requests parsed ahead; kept to reuse its allocation.
    batch: Vec<Vec<bytes::Bytes>>,
}

enum Step {
    Continue,
    Close,
}

impl Session {
    async fn run(&mut self, stream: &mut TcpStream) {
        loop {
            if self.handle.killed.get() {
                return;
            }
            if self.buffer.capacity() - self.buffer.len() < READ_CHUNK_BYTES / 2 {
                self.buffer.reserve(READ_CHUNK_BYTES);
            }
            let read = tokio::select! {
                biased;
                _ = self.handle.wake.notified() => {
                    if self.handle.killed.get() {
                        return;
                    }
                    if self.flush_pushes(stream).await.is_err() {
                        return;
                    }
                    continue;
                }
                read = stream.read_buf(&mut self.buffer) => read,
            };
            match read {
                Ok(0) | Err(_) => return,
                Ok(count) => {
                    self.shared.engine.borrow_mut().node.stats.net_input_bytes += count as u64;
                }
            }
            match self.process_buffer(stream).await {
                Step::Continue => {}
                Step::Close => return,
            }
            crate::cluster_bus::pump(&self.shared);
            if self.flush_pushes(stream).await.is_err() {
                return;
            }
        }
    }

    async fn flush_pushes(&mut self, stream: &mut TcpStream) -> std::io::Result<()> {
        let pushes = std::mem::take(&mut *self.handle.pushes.borrow_mut());
        if !pushes.is_empty() {
            write_unless_killed(&self.handle, stream, &pushes).await?;
        }
        Ok(())
    }

    /// Executes every complete request in the buffer, then writes replies.
    async fn process_buffer(&mut self, stream: &mut TcpStream) -> Step {
        let limits = {
            let mut engine = self.shared.engine.borrow_mut();
            let node = &mut engine.node;
            // While the batch runs, CLIENT LIST shows the bytes read for it
            // as qbuf, as Redis keeps its query buffer until every command
            // in it ran (`update_buffer_stats` puts the remainder after).
            let read_bytes = self.buffer.len();
            let authenticated = node.clients.get_mut(self.id).is_none_or(|client| {
                client.buffers.query_buffer_bytes = read_bytes;
                client.authenticated
            });
            ParseLimits {
                max_bulk_len_bytes: node.limits.proto_max_bulk_len_bytes,
                authenticated,
                ..ParseLimits::default()
            }
        };
        let mut clock = BatchClock::now();
        let mut batch = std::mem::take(&mut self.batch);
        let mut executed = 0;
        loop {
            // Parse ahead (up to PREFETCH_BATCH requests) so the keyspace can
            // warm its caches for the whole batch before it runs. Before
            // authentication each request is parsed alone: the parse limits
            // change once AUTH succeeds.
            batch.clear();
            let mut protocol_error = None;
            let wanted = if limits.authenticated {
                PREFETCH_BATCH
            } else {
                1
            };
            while batch.len() < wanted {
                match self.parser.parse(&mut self.buffer, &limits) {
                    Ok(Some(request)) => batch.push(request),
                    Ok(None) => break,
                    Err(error) => {
                        protocol_error = Some(error);
                        break;
                    }
                }
            }
            if batch.len() > 1 {
                self.shared.engine.borrow().prefetch(self.id, &batch);
            }
            let parsed_all = batch.len() < wanted;
            executed += batch.len();
            for request in batch.drain(..) {
                if let Step::Close = self.run_request(stream, &request, &mut clock).await {
                    return Step::Close;
                }
            }
            if let Some(error) = protocol_error {
                // Requests before the malformed one ran and replied first, as
                // in Redis; then the error, and the connection closes.
                self.out.raw(&error.reply_bytes());
                self.shared.engine.borrow_mut().node.count_error("ERR");
                let _ = self.write_out(stream).await;
                return Step::Close;
            }
            if parsed_all {
                break;
            }
        }
        self.batch = batch;
        if self.check_query_buffer_limit() {
            return Step::Close;
        }
        // A pipelined batch lets every other connection made ready by the
        // same poll run first, so replies leave in one burst per event-loop
        // turn (as Redis writes them in beforeSleep): a client woken once
        // drains them all. For a lone request the extra task poll costs more
        // than the wake-ups it saves (bench/ab, -P 1 vs -P 16: server CPU per
        // request -3 % at -P 1 without it, +3-4 % at -P 16).
        if executed > 1 {
            tokio::task::yield_now().await;
        }
        if self.check_output_limit() || self.write_out(stream).await.is_err() {
            return Step::Close;
        }
        self.update_buffer_stats();
        Step::Continue
    }

    /// Runs one request; `Close` when the connection must end.
    async fn run_request(
        &mut self,
        stream: &mut TcpStream,
        request: &[bytes::Bytes],
        clock: &mut BatchClock,
    ) -> Step {
        let outcome = loop {
            let outcome = {
                let mut engine = self.shared.engine.borrow_mut();
                // One clock read per command: the end of one command is
                // the start of the next, and wall time advances by the
                // monotonic elapsed time since the batch began.
                let started = clock.last;
                let now = clock.wall_start_us
                    + started.duration_since(clock.monotonic_start).as_micros() as i64;
                let outcome = engine.execute(self.id, request, now, &mut self.out);
                clock.last = Instant::now();
                if outcome != ExecOutcome::Paused {
                    engine.record_duration(
                        self.id,
                        request,
                        clock.last.duration_since(started).as_micros() as i64,
                        now / 1000,
                    );
                }
                outcome
            };
            if outcome != ExecOutcome::Paused {
                break outcome;
            }
            // Paused (CLIENT PAUSE): send what we have, wait, retry.
            if self.write_out(stream).await.is_err() {
                return Step::Close;
            }
            tokio::time::sleep(PAUSE_POLL).await;
            *clock = BatchClock::now();
            if self.handle.killed.get() {
                return Step::Close;
            }
        };
        let outcome = match outcome {
            ExecOutcome::Migrate => self.finish_migration(clock),
            ExecOutcome::Relisten => self.finish_relisten(),
            other => other,
        };
        if outcome == ExecOutcome::Close {
            let _ = self.write_out(stream).await;
            return Step::Close;
        }
        if self.out.len() >= FLUSH_THRESHOLD_BYTES && self.write_out(stream).await.is_err() {
            return Step::Close;
        }
        Step::Continue
    }

    /// Carries out the MIGRATE the engine just parked. Blocking on purpose
    /// and with no await, as Redis runs it on its event loop: no other
    /// command can touch the keys between their DUMP and their deletion.
    fn finish_migration(&mut self, clock: &mut BatchClock) -> ExecOutcome {
        let Some(request) = self.shared.engine.borrow_mut().take_migration() else {
            return ExecOutcome::Done;
        };
        let io = self.shared.migrate_sockets.borrow_mut().perform(&request);
        *clock = BatchClock::now();
        let (on_destination, outcome) = self.shared.engine.borrow_mut().finish_migration(
            &request,
            &io,
            clock.wall_start_us,
            &mut self.out,
        );
        let last_db = on_destination.then_some(request.destination_db);
        let mut sockets = self.shared.migrate_sockets.borrow_mut();
        sockets.set_last_db(&request, last_db);
        self.shared.engine.borrow_mut().node.migrate_cached_sockets = sockets.len();
        outcome
    }

    /// Listens with the `port`/`bind` a CONFIG SET just changed, before it
    /// replies (Redis applies them inside CONFIG SET); on failure the engine
    /// restores the old values and the old listeners come back.
    fn finish_relisten(&mut self) -> ExecOutcome {
        let Some(change) = self.shared.engine.borrow_mut().take_listen_change() else {
            return ExecOutcome::Done;
        };
        let listened = self.shared.relisten();
        let outcome =
            self.shared
                .engine
                .borrow_mut()
                .finish_listen_change(&change, listened, &mut self.out);
        if !listened && !self.shared.relisten() {
            logging::log(
                Level::Warning,
                "Failed to listen again on the previous port and bind addresses",
            );
        }
        outcome
    }

    fn check_query_buffer_limit(&mut self) -> bool {
        let mut engine = self.shared.engine.borrow_mut();
        let limit = engine.node.limits.client_query_buffer_limit_bytes;
        if limit > 0 && self.buffer.len() as u64 > limit {
            engine.node.stats.client_query_buffer_limit_disconnections += 1;
            logging::log(
                Level::Warning,
                &format!(
                    "Closing client that reached max query buffer length: id={} qbuf={}",
                    self.id,
                    self.buffer.len()
                ),
            );
            return true;
        }
        false
    }

    fn check_output_limit(&mut self) -> bool {
        let (hard_bytes, _, _) = self
            .shared
            .engine
            .borrow()
            .node
            .limits
            .output_buffer_limit_normal;
        if hard_bytes > 0 && self.out.len() as u64 > hard_bytes {
            self.shared.report_output_limit(self.id);
            self.out.clear();
            return true;
        }
        false
    }

    fn update_buffer_stats(&mut self) {
        let mut engine = self.shared.engine.borrow_mut();
        if let Some(client) = engine.node.clients.get_mut(self.id) {
            client.buffers = BufferStats {
                query_buffer_bytes: self.buffer.len(),
                query_buffer_capacity_bytes: self.buffer.capacity(),
                output_buffer_bytes: self.out.len(),
            };
        }
    }

    async fn write_out(&mut self, stream: &mut TcpStream) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let written = self.out.len() as u64;
        let result = write_unless_killed(&self.handle, stream, self.out.as_bytes()).await;
        self.out.clear();
        self.shared.engine.borrow_mut().node.stats.net_output_bytes += written;
        result
    }
}
