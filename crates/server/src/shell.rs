//! Process setup and the node-wide tasks: listeners, the cron timer
//! (`serverCron` at `hz`), signals, and carrying out engine effects.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shoal_config::Config;
use shoal_engine::{ClientId, CpuReport, Effect, Engine, MemoryReport, ProcessInfo};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Notify;
use tokio::task::LocalSet;

use crate::connection;
use crate::logging::{self, Level};

/// What the shell keeps per connection so effects can reach it.
pub(crate) struct ConnectionHandle {
    /// Set when the connection must close (CLIENT KILL, timeout, limits).
    pub(crate) killed: Cell<bool>,
    /// Bytes pushed by the engine for this client (MONITOR feed).
    pub(crate) pushes: RefCell<Vec<u8>>,
    /// When the queued pushes first exceeded the soft output limit (Redis
    /// `obuf_soft_limit_reached_time`); `None` while under it.
    pub(crate) soft_limit_since: Cell<Option<std::time::Instant>>,
    /// Wakes the connection task for `killed` or `pushes`.
    pub(crate) wake: crate::local_notify::LocalNotify,
}

/// State shared by all tasks of the process (all on one thread).
pub(crate) struct Shared {
    pub(crate) engine: RefCell<Engine>,
    pub(crate) connections: RefCell<HashMap<ClientId, Rc<ConnectionHandle>>>,
    pub(crate) shutdown: Notify,
    pub(crate) shutting_down: Cell<bool>,
    /// Cluster bus state, when `cluster-enabled yes`.
    pub(crate) bus: Option<crate::cluster_bus::Bus>,
    /// MIGRATE's cached connections to target servers.
    pub(crate) migrate_sockets: RefCell<crate::migrate::MigrateSockets>,
    /// The client listeners (`port` on every `bind` address).
    client_listeners: RefCell<ClientListeners>,
    /// Wakes accept loops when the listeners are replaced.
    listeners_changed: Notify,
}

/// The client listeners, replaced as a whole when CONFIG SET changes
/// `port` or `bind`.
#[derive(Default)]
struct ClientListeners {
    /// Bumped at every replacement: accept loops of an older one end.
    generation: u64,
    listeners: Vec<TcpListener>,
}

/// Unix time in microseconds.
pub(crate) fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_micros() as i64)
        .unwrap_or(0)
}

/// Upper bound on MONITOR bytes queued for one client before it is dropped,
/// so a monitor that never reads cannot grow memory without bound.
const MAX_PUSH_BACKLOG_BYTES: usize = 64 * 1024 * 1024;

impl Shared {
    /// Replaces the client listeners (dropping the old ones closes them) and
    /// starts an accept loop per new listener.
    fn install_client_listeners(self: &Rc<Self>, listeners: Vec<TcpListener>) {
        let count = listeners.len();
        let generation = {
            let mut slot = self.client_listeners.borrow_mut();
            slot.generation += 1;
            slot.listeners = listeners;
            slot.generation
        };
        self.listeners_changed.notify_waiters();
        for index in 0..count {
            tokio::task::spawn_local(accept_loop(self.clone(), generation, index));
        }
    }

    /// Listens again with the configured `port` and `bind` (CONFIG SET),
    /// synchronously, before the command replies. Like Redis's
    /// `changeListenPort`, the old listeners close first, so the new ones
    /// may reuse their addresses. False when a required address failed
    /// (nothing listens then; the caller restores the old values and calls
    /// again).
    pub(crate) fn relisten(self: &Rc<Self>) -> bool {
        self.install_client_listeners(Vec::new());
        let bound = {
            let engine = self.engine.borrow();
            bind_client_listeners(&engine.node.config)
        };
        match bound {
            Ok(listeners) => {
                // No listener at all is fine here (`bind ""`): Redis's
                // changeBindAddr accepts it and only new connections fail.
                let port = self.engine.borrow().node.config.get_i64("port");
                self.engine.borrow_mut().node.process.tcp_port = port.clamp(0, 65535) as u16;
                self.install_client_listeners(listeners);
                true
            }
            // bind_client_listeners logged the failure.
            Err(_) => false,
        }
    }

    /// Queues pushed bytes (Pub/Sub messages, MONITOR lines) for a client,
    /// enforcing its class's `client-output-buffer-limit` as Redis's
    /// `checkClientOutputBufferLimits` does: over the hard limit, or over the
    /// soft limit for longer than its seconds, the client is closed. With no
    /// hard limit configured, `MAX_PUSH_BACKLOG_BYTES` still bounds memory.
    fn queue_push(&self, id: ClientId, handle: &ConnectionHandle, bytes: &[u8]) {
        let (hard_bytes, soft_bytes, soft_seconds) = self.engine.borrow().output_buffer_limits(id);
        let mut pushes = handle.pushes.borrow_mut();
        let queued = (pushes.len() + bytes.len()) as u64;
        let cap = if hard_bytes > 0 {
            hard_bytes
        } else {
            MAX_PUSH_BACKLOG_BYTES as u64
        };
        let mut over = queued > cap;
        if soft_bytes > 0 && queued > soft_bytes {
            let now = std::time::Instant::now();
            match handle.soft_limit_since.get() {
                None => handle.soft_limit_since.set(Some(now)),
                Some(since) => over |= now.duration_since(since).as_secs() > soft_seconds,
            }
        } else {
            handle.soft_limit_since.set(None);
        }
        if !over {
            pushes.extend_from_slice(bytes);
            return;
        }
        pushes.clear();
        handle.killed.set(true);
        self.report_output_limit(id);
    }

    /// Counts and logs a client closed for its output buffer limits, in
    /// Redis's words.
    pub(crate) fn report_output_limit(&self, id: ClientId) {
        self.engine
            .borrow_mut()
            .node
            .stats
            .client_output_buffer_limit_disconnections += 1;
        logging::log(
            Level::Warning,
            &format!(
                "Client id={id} scheduled to be closed ASAP for overcoming of output buffer limits."
            ),
        );
    }

    /// Carries out queued engine effects.
    pub(crate) fn run_effects(self: &Rc<Self>) {
        let effects = match self.engine.try_borrow_mut() {
            Ok(mut engine) => engine.take_effects(),
            Err(_) => return,
        };
        for effect in effects {
            match effect {
                Effect::CloseClient(id) => {
                    if let Some(handle) = self.connections.borrow().get(&id) {
                        handle.killed.set(true);
                        handle.wake.notify_one();
                    }
                }
                Effect::Deliver { client, bytes } => {
                    if let Some(handle) = self.connections.borrow().get(&client) {
                        if !handle.killed.get() {
                            self.queue_push(client, handle, &bytes);
                        }
                        handle.wake.notify_one();
                    }
                }
                Effect::Shutdown { save } => {
                    if save {
                        logging::log(
                            Level::Warning,
                            "SAVE requested on shutdown, but persistence is not implemented yet",
                        );
                    }
                    logging::log(Level::Warning, "User requested shutdown...");
                    self.shutting_down.set(true);
                    self.shutdown.notify_one();
                }
                Effect::BlockServer { duration_ms } => {
                    // DEBUG SLEEP blocks the whole server, exactly like Redis.
                    std::thread::sleep(Duration::from_millis(duration_ms));
                }
                Effect::LogWarning(text) => logging::log(logging::Level::Warning, &text),
                Effect::Relisten(change) => {
                    if !self.relisten() {
                        self.engine.borrow_mut().restore_listen_change(&change);
                        self.relisten();
                    }
                }
                Effect::ConfigChanged(names) => self.apply_config_change(&names),
                Effect::RewriteConfig => self.rewrite_config_file(),
                Effect::SaveClusterConfig => crate::cluster_bus::save_config(self),
                // Cluster bus forwarding of PUBLISH/SPUBLISH is not wired yet.
                Effect::ClusterPublish {
                    channel,
                    message,
                    shard,
                } => {
                    if let Ok(mut engine) = self.engine.try_borrow_mut() {
                        if let Some(state) = engine.node.cluster.as_mut() {
                            state.publish(now_us() / 1000, &channel, &message, shard);
                        }
                    }
                }
            }
        }
    }

    /// CONFIG REWRITE: the engine decided the new text; write it atomically.
    fn rewrite_config_file(&self) {
        let (path, text) = {
            let Ok(engine) = self.engine.try_borrow() else {
                return;
            };
            let path = engine.node.process.config_file.clone();
            if path.is_empty() {
                return;
            }
            let original = std::fs::read_to_string(&path).ok();
            (path, engine.node.config.rewrite(original.as_deref()))
        };
        let temporary = format!("{path}.tmp-{}", std::process::id());
        let result =
            std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, &path));
        match result {
            Ok(()) => logging::log(Level::Notice, "CONFIG REWRITE executed with success."),
            Err(error) => logging::log(Level::Warning, &format!("CONFIG REWRITE failed: {error}")),
        }
    }

    fn apply_config_change(&self, names: &[&'static str]) {
        if names
            .iter()
            .any(|name| name.starts_with("cluster-") || *name == "port")
        {
            if let Ok(mut engine) = self.engine.try_borrow_mut() {
                let cluster_config = crate::cluster_bus::cluster_config(&engine.node.config);
                if let Some(state) = engine.node.cluster.as_mut() {
                    state.update_config(now_us() / 1000, cluster_config);
                }
            }
        }
        if names
            .iter()
            .any(|name| *name == "loglevel" || *name == "logfile")
        {
            let engine = self.engine.borrow();
            let config = &engine.node.config;
            logging::configure(
                &config.get_str("logfile"),
                Level::parse(&config.get_str("loglevel")),
            );
        }
    }
}

/// Reads allocator statistics for INFO memory.
fn memory_report() -> MemoryReport {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    let rss_bytes = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|text| {
            text.split_whitespace()
                .nth(1)
                .and_then(|pages| pages.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096);
    MemoryReport {
        used_memory_bytes: stats::allocated::read().unwrap_or(0) as u64,
        used_memory_rss_bytes: rss_bytes,
        allocator_active_bytes: stats::active::read().unwrap_or(0) as u64,
        allocator_resident_bytes: stats::resident::read().unwrap_or(0) as u64,
    }
}

/// Reads CPU times (getrusage) for INFO cpu. The cron runs on the main
/// thread, so `RUSAGE_THREAD` measures it.
fn cpu_report() -> CpuReport {
    use nix::sys::resource::{getrusage, UsageWho};
    fn micros(time: nix::sys::time::TimeVal) -> i64 {
        time.tv_sec() * 1_000_000 + time.tv_usec()
    }
    let read = |who| {
        getrusage(who).map_or((0, 0), |usage| {
            (micros(usage.system_time()), micros(usage.user_time()))
        })
    };
    // The thread first: read after it, the process total is never smaller.
    let (main_thread_sys_us, main_thread_user_us) = read(UsageWho::RUSAGE_THREAD);
    let (sys_us, user_us) = read(UsageWho::RUSAGE_SELF);
    let (children_sys_us, children_user_us) = read(UsageWho::RUSAGE_CHILDREN);
    CpuReport {
        sys_us,
        user_us,
        children_sys_us,
        children_user_us,
        main_thread_sys_us,
        main_thread_user_us,
    }
}

/// Redis's default pidfile for a daemonized server that names none.
const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

/// Runs the server until shutdown.
pub(crate) fn run(config: Config, config_file: Option<String>) -> ExitCode {
    // `daemonize yes` (Redis `daemonize()`): fork and detach with stdio on
    // /dev/null before anything else starts, while the process has a
    // single thread; a daemon always writes a pidfile.
    if config.get_bool("daemonize") {
        if let Err(error) = nix::unistd::daemon(true, false) {
            eprintln!("Failed to daemonize: {error}");
            return ExitCode::from(1);
        }
    }
    logging::configure(
        &config.get_str("logfile"),
        Level::parse(&config.get_str("loglevel")),
    );
    logging::log(
        Level::Notice,
        "oO0OoO0OoO0Oo Shoal is starting oO0OoO0OoO0Oo",
    );
    logging::log(
        Level::Notice,
        &format!(
            "Shoal version={}, Redis compatibility={}, bits=64, pid={}, just started",
            shoal_engine::SHOAL_VERSION,
            shoal_engine::REDIS_VERSION,
            std::process::id()
        ),
    );
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            logging::log(
                Level::Warning,
                &format!("Failed to start the runtime: {error}"),
            );
            return ExitCode::from(1);
        }
    };
    let local = LocalSet::new();
    local.block_on(&runtime, serve(config, config_file))
}

/// The `bind` addresses with `port`, each marked optional (`-`) or not;
/// the first word that is not an address is the error.
fn bind_addresses(config: &Config, port: u16) -> Result<Vec<(SocketAddr, bool)>, String> {
    let mut addresses = Vec::new();
    for word in config.get_str("bind").split_whitespace() {
        let (optional, host) = match word.strip_prefix('-') {
            Some(host) => (true, host),
            None => (false, word),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            other => other,
        };
        match host.parse::<std::net::IpAddr>() {
            Ok(ip) => addresses.push((SocketAddr::new(ip, port), optional)),
            Err(_) => return Err(host.to_string()),
        }
    }
    Ok(addresses)
}

/// Redis's log line for an address it cannot listen on; the OS error is
/// worded as C's `strerror` does, without Rust's " (os error N)" suffix.
fn log_listen_failure(address: SocketAddr, error: &std::io::Error) {
    let text = error.to_string();
    let reason = text
        .find(" (os error ")
        .map_or(&text[..], |cut| &text[..cut]);
    logging::log(
        Level::Warning,
        &format!("Warning: Could not create server TCP listening socket {address}: bind: {reason}"),
    );
}

/// Listens on `port` at every `bind` address, as Redis's `listenToPort`:
/// every failure is logged; an optional (`-`) address that is not available
/// here, or an address family or protocol the system lacks, is skipped;
/// any other failure is the error. Port 0 or an empty `bind` listens
/// nowhere.
fn bind_client_listeners(
    config: &Config,
) -> Result<Vec<TcpListener>, (SocketAddr, std::io::Error)> {
    let port = config.get_i64("port").clamp(0, 65535) as u16;
    if port == 0 {
        return Ok(Vec::new());
    }
    let backlog = config.get_i64("tcp-backlog").clamp(1, 65535) as u32;
    // An address that does not parse fails like one that cannot be bound
    // (Redis's getaddrinfo error), never silently dropped.
    let addresses = bind_addresses(config, port).map_err(|host| {
        logging::log(Level::Warning, &format!("Invalid bind address '{host}'"));
        let unspecified = SocketAddr::from(([0, 0, 0, 0], port));
        let error = std::io::Error::new(std::io::ErrorKind::InvalidInput, "invalid bind address");
        (unspecified, error)
    })?;
    let mut listeners = Vec::new();
    for (address, optional) in addresses {
        match listen(address, backlog) {
            Ok(listener) => listeners.push(listener),
            Err(error) => {
                use nix::errno::Errno;
                log_listen_failure(address, &error);
                let errno = error.raw_os_error().unwrap_or(0);
                let skipped = (errno == Errno::EADDRNOTAVAIL as i32 && optional)
                    || [
                        Errno::ENOPROTOOPT as i32,
                        Errno::EPROTONOSUPPORT as i32,
                        Errno::ESOCKTNOSUPPORT as i32,
                        Errno::EPFNOSUPPORT as i32,
                        Errno::EAFNOSUPPORT as i32,
                    ]
                    .contains(&errno);
                if !skipped {
                    return Err((address, error));
                }
            }
        }
    }
    Ok(listeners)
}

async fn serve(mut config: Config, config_file: Option<String>) -> ExitCode {
    // Like Redis, work from `dir`: nodes.conf and other files are relative to it.
    let dir = config.get_str("dir");
    if !dir.is_empty() {
        if let Err(error) = std::env::set_current_dir(&dir) {
            logging::log(Level::Warning, &format!("Can't chdir to '{dir}': {error}"));
            return ExitCode::from(1);
        }
    }
    if let Ok(cwd) = std::env::current_dir() {
        config.set_dir_resolved(cwd.display().to_string());
    }
    let port = config.get_i64("port").clamp(0, 65535) as u16;
    let backlog = config.get_i64("tcp-backlog").clamp(1, 65535) as u32;
    let hz = config.get_i64("hz").clamp(1, 500) as u64;
    let always_show_logo = config.get_bool("always-show-logo");
    let mut pidfile = config.get_str("pidfile");
    if pidfile.is_empty() && config.get_bool("daemonize") {
        pidfile = DEFAULT_PIDFILE.to_string();
    }
    let listeners = match bind_client_listeners(&config) {
        Ok(listeners) => listeners,
        Err(_) => {
            logging::log(
                Level::Warning,
                &format!("Failed listening on port {port} (TCP), aborting."),
            );
            return ExitCode::from(1);
        }
    };
    if listeners.is_empty() && port != 0 {
        logging::log(
            Level::Warning,
            "Configured to not listen anywhere, exiting.",
        );
        return ExitCode::from(1);
    }
    let now_ms = now_us() / 1000;
    let seed = (now_us() as u64) ^ u64::from(std::process::id()).rotate_left(32);
    let cluster_enabled = config.get_bool("cluster-enabled");
    let mut bus_listeners = Vec::new();
    let mut cluster = None;
    if cluster_enabled {
        // The client listeners already refused an invalid address unless
        // the port is 0.
        let addresses = bind_addresses(&config, 0).unwrap_or_else(|host| {
            logging::log(Level::Warning, &format!("Invalid bind address '{host}'"));
            Vec::new()
        });
        if addresses.is_empty() {
            logging::log(
                Level::Warning,
                "No bind address is configured, but it is required for the Cluster bus.",
            );
            return ExitCode::from(1);
        }
        let bus_port = match crate::cluster_bus::listen_bus_port(&config) {
            Ok(bus_port) => bus_port,
            Err(message) => {
                logging::log(Level::Warning, &message);
                return ExitCode::from(1);
            }
        };
        for (address, optional) in addresses {
            let address = SocketAddr::new(address.ip(), bus_port);
            match listen(address, backlog) {
                Ok(listener) => bus_listeners.push(listener),
                Err(_) if optional => {}
                Err(error) => {
                    logging::log(
                        Level::Warning,
                        &format!("Failed listening on cluster bus {address}: {error}"),
                    );
                    return ExitCode::from(1);
                }
            }
        }
        match crate::cluster_bus::load_state(&config, seed.rotate_left(17)) {
            Ok(loaded) => cluster = Some(loaded),
            Err(message) => {
                logging::log(Level::Warning, &message);
                return ExitCode::from(1);
            }
        }
    }
    let (cluster_state, bus) = match cluster {
        Some((state, bus)) => (Some(state), Some(bus)),
        None => (None, None),
    };
    let mut engine = Engine::new(config, seed, now_ms);
    engine.node.cluster = cluster_state;
    engine.node.process = ProcessInfo {
        pid: std::process::id(),
        tcp_port: port,
        executable: std::env::current_exe()
            .map(|path| path.display().to_string())
            .unwrap_or_default(),
        config_file: config_file
            .and_then(|path| std::fs::canonicalize(path).ok())
            .map(|path| path.display().to_string())
            .unwrap_or_default(),
        os: os_description(),
    };
    engine.node.memory = memory_report();
    let shared = Rc::new(Shared {
        engine: RefCell::new(engine),
        connections: RefCell::new(HashMap::new()),
        shutdown: Notify::new(),
        shutting_down: Cell::new(false),
        bus,
        migrate_sockets: RefCell::default(),
        client_listeners: RefCell::default(),
        listeners_changed: Notify::new(),
    });
    if cluster_enabled {
        crate::cluster_bus::start(&shared, bus_listeners);
    }
    if !pidfile.is_empty() {
        if let Err(error) = std::fs::write(&pidfile, format!("{}\n", std::process::id())) {
            logging::log(
                Level::Warning,
                &format!("Failed to write PID file: {error}"),
            );
        }
    }
    log_startup_banner(always_show_logo, cluster_enabled, port);
    logging::log(Level::Notice, "Server initialized");
    shared.install_client_listeners(listeners);
    tokio::task::spawn_local(cron(shared.clone(), hz));
    logging::log(Level::Notice, "Ready to accept connections");
    let mut sigterm =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = shared.shutdown.notified() => {}
        _ = tokio::signal::ctrl_c() => {
            logging::log(Level::Warning, "Received SIGINT scheduling shutdown...");
        }
        _ = async {
            match sigterm.as_mut() {
                Some(signal) => { signal.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {
            logging::log(Level::Warning, "Received SIGTERM scheduling shutdown...");
        }
    }
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    logging::log(Level::Warning, "Shoal is now ready to exit, bye bye...");
    ExitCode::SUCCESS
}

/// Redis `redisAsciiArt`: a logo with the version, mode, port and PID when
/// logging to a terminal or when `always-show-logo` asks for it (Redis's
/// test harness waits for its `PID:` line), else one "Running mode" line.
/// The logo is Shoal's own.
fn log_startup_banner(always_show_logo: bool, cluster_enabled: bool, port: u16) {
    use std::io::IsTerminal;
    let mode = if cluster_enabled {
        "cluster"
    } else {
        "standalone"
    };
    let show_logo =
        always_show_logo || (logging::logs_to_stdout() && std::io::stdout().is_terminal());
    if !show_logo {
        logging::log(Level::Notice, &format!("Running mode={mode}, port={port}."));
        return;
    }
    let banner = format!(
        "\n\
         \x20            ,-.             Shoal {} (Redis {} compatible) 64 bit\n\
         \x20   ><(((('> (   )  ><((('>  Running in {mode} mode\n\
         \x20            `-'             Port: {port}\n\
         \x20                            PID: {}\n\n",
        shoal_engine::SHOAL_VERSION,
        shoal_engine::REDIS_VERSION,
        std::process::id()
    );
    logging::log_raw(Level::Notice, &banner);
}

fn listen(address: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        let socket = TcpSocket::new_v6()?;
        // IPv6 sockets serve IPv6 only (Redis `anetV6Only`), so `::` and
        // `0.0.0.0` can both listen on one port (the default `* -::*`).
        nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::Ipv6V6Only, &true)
            .map_err(std::io::Error::from)?;
        socket
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(backlog)
}

fn os_description() -> String {
    let read = |path: &str| std::fs::read_to_string(path).map(|text| text.trim().to_string());
    let release = read("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("Linux {release} {}", std::env::consts::ARCH)
}

/// Accepts clients on listener `index` of `generation` until the listeners
/// are replaced.
async fn accept_loop(shared: Rc<Shared>, generation: u64, index: usize) {
    loop {
        // The listener stays in `Shared` (borrowed only while polled), so
        // CONFIG SET can close it synchronously.
        let accepted = tokio::select! {
            accepted = std::future::poll_fn(|cx| {
                let slot = shared.client_listeners.borrow();
                match slot.listeners.get(index) {
                    Some(listener) if slot.generation == generation => {
                        listener.poll_accept(cx).map(Some)
                    }
                    _ => std::task::Poll::Ready(None),
                }
            }) => accepted,
            () = shared.listeners_changed.notified() => continue,
        };
        let Some(accepted) = accepted else {
            return;
        };
        match accepted {
            Ok((stream, peer)) => {
                if shared.shutting_down.get() {
                    return;
                }
                tokio::task::spawn_local(connection::serve(shared.clone(), stream, peer));
            }
            Err(error) => {
                logging::log(
                    Level::Verbose,
                    &format!("Accepting client connection: {error}"),
                );
                // Out of file descriptors and similar: back off briefly.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn cron(shared: Rc<Shared>, hz: u64) {
    let mut interval = tokio::time::interval(Duration::from_millis(1000 / hz));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        {
            let mut engine = shared.engine.borrow_mut();
            engine.node.memory = memory_report();
            engine.node.cpu = cpu_report();
            engine.tick(now_us() / 1000);
        }
        {
            let mut sockets = shared.migrate_sockets.borrow_mut();
            sockets.close_idle(std::time::Instant::now());
            shared.engine.borrow_mut().node.migrate_cached_sockets = sockets.len();
        }
        shared.run_effects();
    }
}
