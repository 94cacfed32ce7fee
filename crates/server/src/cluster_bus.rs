//! The cluster bus shell: the listener on the bus port, one task per link,
//! the 100 ms cluster tick, `nodes.conf` persistence and its lock — every
//! piece of cluster I/O. All decisions are the sans-IO `ClusterState`'s; this
//! module only moves bytes and carries out its effects.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use shoal_cluster::bus::codec::FrameReader;
use shoal_cluster::nodes_conf::NodesConfError;
use shoal_cluster::state::{
    derive_announced_ports, ClusterConfig, ClusterState, Effect, EndpointType, LinkEvent, LinkId,
    LogLevel, PortSettings,
};
use shoal_config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::logging::{self, Level};
use crate::shell::{now_us, Shared};

/// How often the cluster state machine ticks (Redis `clusterCron`).
const TICK_INTERVAL: Duration = Duration::from_millis(100);
/// Outbound connect timeout (Redis uses the node timeout; this is a cap).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// What the shell keeps per bus link.
pub(crate) struct LinkHandle {
    outgoing: RefCell<Vec<u8>>,
    wake: Notify,
    closed: Cell<bool>,
}

/// The bus side of the shared state.
pub(crate) struct Bus {
    links: RefCell<HashMap<LinkId, Rc<LinkHandle>>>,
    config_path: PathBuf,
    /// Held for the process lifetime: the exclusive lock on nodes.conf.
    _lock: File,
}

/// Builds the cluster configuration the state machine needs from the
/// server configuration.
pub(crate) fn cluster_config(config: &Config) -> ClusterConfig {
    let (port, pport, bus_port) = derive_announced_ports(&PortSettings {
        port: config.get_i64("port").clamp(0, 65535) as u16,
        tls_port: config.get_i64("tls-port").clamp(0, 65535) as u16,
        tls_cluster: config.get_bool("tls-cluster"),
        cluster_port: config.get_i64("cluster-port").clamp(0, 65535) as u16,
        announce_port: config.get_i64("cluster-announce-port").clamp(0, 65535) as u16,
        announce_tls_port: config.get_i64("cluster-announce-tls-port").clamp(0, 65535) as u16,
        announce_bus_port: config.get_i64("cluster-announce-bus-port").clamp(0, 65535) as u16,
    });
    let announce_ip = config.get_str("cluster-announce-ip");
    ClusterConfig {
        node_timeout_ms: config.get_i64("cluster-node-timeout"),
        announce_ip: (!announce_ip.is_empty()).then_some(announce_ip),
        port,
        pport,
        bus_port,
        announce_hostname: config.get_str("cluster-announce-hostname"),
        require_full_coverage: config.get_bool("cluster-require-full-coverage"),
        allow_reads_when_down: config.get_bool("cluster-allow-reads-when-down"),
        allow_pubsubshard_when_down: config.get_bool("cluster-allow-pubsubshard-when-down"),
        allow_replica_migration: config.get_bool("cluster-allow-replica-migration"),
        replica_no_failover: config.get_bool("cluster-replica-no-failover"),
        migration_barrier: config
            .get_i64("cluster-migration-barrier")
            .clamp(0, u32::MAX as i64) as u32,
        replica_validity_factor: config
            .get_i64("cluster-replica-validity-factor")
            .clamp(0, u32::MAX as i64) as u32,
        preferred_endpoint_type: match config.get_enum("cluster-preferred-endpoint-type") {
            "hostname" => EndpointType::Hostname,
            "unknown-endpoint" => EndpointType::Unknown,
            _ => EndpointType::Ip,
        },
        link_sendbuf_limit_bytes: config.get_u64("cluster-link-sendbuf-limit"),
        tls_cluster: config.get_bool("tls-cluster"),
    }
}

/// The bus port to listen on: `cluster-port`, else port + 10000.
pub(crate) fn listen_bus_port(config: &Config) -> Result<u16, String> {
    let cluster_port = config.get_i64("cluster-port");
    if cluster_port > 0 {
        return Ok(cluster_port as u16);
    }
    let port = config.get_i64("port");
    if port > 55535 {
        return Err(
            "Redis port number too high. Cluster communication port is 10,000 port \
                    numbers higher than your Redis port. Your Redis port number must be 55535 \
                    or less."
                .to_string(),
        );
    }
    Ok((port + 10000) as u16)
}

/// Opens and locks nodes.conf and builds the state from it (or a fresh node).
pub(crate) fn load_state(config: &Config, seed: u64) -> Result<(ClusterState, Bus), String> {
    let file_name = config.get_str("cluster-config-file");
    let config_path = Path::new(&file_name).to_path_buf();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&config_path)
        .map_err(|error| {
            format!(
                "Can't open {} in order to acquire a lock: {error}",
                config_path.display()
            )
        })?;
    if rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
        return Err(format!(
            "Sorry, the cluster configuration file {} is already used by a different Redis \
             Cluster node. Please make sure that different nodes use different cluster \
             configuration files.",
            config_path.display()
        ));
    }
    let now_ms = now_us() / 1000;
    let text = std::fs::read_to_string(&config_path).unwrap_or_default();
    let cluster_config = cluster_config(config);
    let state = match ClusterState::load(cluster_config.clone(), &text, now_ms, seed) {
        Ok(state) => {
            logging::log(
                Level::Notice,
                &format!("Node configuration loaded, I'm {}", state.my_id()),
            );
            state
        }
        Err(NodesConfError::Empty) => {
            let state = ClusterState::new(cluster_config, None, now_ms, seed);
            logging::log(
                Level::Notice,
                &format!("No cluster configuration found, I'm {}", state.my_id()),
            );
            state
        }
        Err(error) => {
            return Err(format!(
                "Unrecoverable error: corrupted cluster config file \"{}\": {error}",
                config_path.display()
            ))
        }
    };
    let bus = Bus {
        links: RefCell::new(HashMap::new()),
        config_path,
        _lock: lock,
    };
    write_nodes_conf(&bus.config_path, &state.to_nodes_conf(), true)
        .map_err(|error| format!("Fatal: can't update cluster config file: {error}"))?;
    Ok((state, bus))
}

/// Writes nodes.conf atomically: a temporary file, fsync, rename, as Redis
/// 7.0's `clusterSaveConfig` guarantees a crash never leaves a torn file.
fn write_nodes_conf(path: &Path, text: &str, fsync: bool) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    {
        let mut file = File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        if fsync {
            file.sync_all()?;
        }
    }
    std::fs::rename(&temporary, path)?;
    if fsync {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            if let Ok(directory) = File::open(parent) {
                let _ = directory.sync_all();
            }
        }
    }
    Ok(())
}

/// Writes the state's current nodes.conf; `Ok(())` when there is nothing
/// to write (no cluster, or the engine is busy and will persist later).
fn persist_now(shared: &Shared, bus: &Bus, fsync: bool) -> std::io::Result<()> {
    let text = match shared.engine.try_borrow() {
        Ok(engine) => engine
            .node
            .cluster
            .as_ref()
            .map(ClusterState::to_nodes_conf),
        Err(_) => None,
    };
    match text {
        Some(text) => write_nodes_conf(&bus.config_path, &text, fsync),
        None => Ok(()),
    }
}

/// Writes nodes.conf now, with fsync (CLUSTER SAVECONFIG).
pub(crate) fn save_config(shared: &Shared) {
    let Some(bus) = &shared.bus else {
        return;
    };
    if let Err(error) = persist_now(shared, bus, true) {
        logging::log(
            Level::Warning,
            &format!("Could not save the cluster config: {error}"),
        );
    }
}

/// Starts the bus listener(s) and the cluster tick.
pub(crate) fn start(shared: &Rc<Shared>, listeners: Vec<TcpListener>) {
    for listener in listeners {
        tokio::task::spawn_local(accept_loop(shared.clone(), listener));
    }
    tokio::task::spawn_local(tick_loop(shared.clone()));
}

async fn accept_loop(shared: Rc<Shared>, listener: TcpListener) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let local = stream
            .local_addr()
            .map(|address| address.ip().to_string())
            .unwrap_or_default();
        let link = {
            let mut engine = shared.engine.borrow_mut();
            let Some(state) = engine.node.cluster.as_mut() else {
                return;
            };
            state.accept_link(now_us() / 1000, &peer.ip().to_string(), &local)
        };
        let handle = new_link(&shared, link);
        tokio::task::spawn_local(run_link(shared.clone(), link, handle, stream));
        pump(&shared);
    }
}

fn new_link(shared: &Rc<Shared>, link: LinkId) -> Rc<LinkHandle> {
    let handle = Rc::new(LinkHandle {
        outgoing: RefCell::new(Vec::new()),
        wake: Notify::new(),
        closed: Cell::new(false),
    });
    if let Some(bus) = &shared.bus {
        bus.links.borrow_mut().insert(link, handle.clone());
    }
    handle
}

async fn tick_loop(shared: Rc<Shared>) {
    let mut interval = tokio::time::interval(TICK_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        {
            let mut engine = shared.engine.borrow_mut();
            if let Some(state) = engine.node.cluster.as_mut() {
                state.handle_tick(now_us() / 1000);
            }
        }
        pump(&shared);
    }
}

/// Reports an event on a link to the state machine, then runs effects.
fn link_event(shared: &Rc<Shared>, link: LinkId, event: LinkEvent) {
    {
        let mut engine = shared.engine.borrow_mut();
        if let Some(state) = engine.node.cluster.as_mut() {
            state.handle_link_event(now_us() / 1000, link, event);
        }
    }
    pump(shared);
}

async fn connect_link(shared: Rc<Shared>, link: LinkId, handle: Rc<LinkHandle>, address: String) {
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&address)).await;
    match connected {
        Ok(Ok(stream)) if !handle.closed.get() => {
            let _ = stream.set_nodelay(true);
            link_event(&shared, link, LinkEvent::Connected);
            run_link(shared, link, handle, stream).await;
        }
        _ => {
            forget_link(&shared, link);
            if !handle.closed.get() {
                link_event(&shared, link, LinkEvent::ConnectFailed);
            }
        }
    }
}

fn forget_link(shared: &Rc<Shared>, link: LinkId) {
    if let Some(bus) = &shared.bus {
        bus.links.borrow_mut().remove(&link);
    }
}

/// Moves bytes for one established link until it closes.
async fn run_link(shared: Rc<Shared>, link: LinkId, handle: Rc<LinkHandle>, stream: TcpStream) {
    let (mut reader, mut writer) = stream.into_split();
    let mut frames = FrameReader::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut closed_by_peer = false;
    loop {
        if handle.closed.get() {
            break;
        }
        let pending = std::mem::take(&mut *handle.outgoing.borrow_mut());
        if !pending.is_empty() {
            if writer.write_all(&pending).await.is_err() {
                closed_by_peer = true;
                break;
            }
            link_event(
                &shared,
                link,
                LinkEvent::Drained {
                    bytes: pending.len() as u64,
                },
            );
            continue;
        }
        tokio::select! {
            _ = handle.wake.notified() => {}
            read = reader.read(&mut buffer) => {
                let count = match read {
                    Ok(0) | Err(_) => {
                        closed_by_peer = true;
                        break;
                    }
                    Ok(count) => count,
                };
                frames.push(&buffer[..count]);
                let mut fatal = false;
                loop {
                    match frames.next_frame() {
                        Ok(Some(frame)) => {
                            let mut engine = shared.engine.borrow_mut();
                            if let Some(state) = engine.node.cluster.as_mut() {
                                state.handle_frame(now_us() / 1000, link, frame);
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            fatal = true;
                            break;
                        }
                    }
                }
                pump(&shared);
                if fatal {
                    // A bad signature or length: Redis frees the link.
                    closed_by_peer = true;
                    break;
                }
            }
        }
    }
    forget_link(&shared, link);
    if closed_by_peer && !handle.closed.get() {
        link_event(&shared, link, LinkEvent::Closed);
    }
}

/// Drains and carries out every queued cluster effect. Called after every
/// input to the state machine (bus reads, link events, ticks, commands).
pub(crate) fn pump(shared: &Rc<Shared>) {
    // Engine effects can feed the cluster (PUBLISH) and cluster effects can
    // feed the engine (delivered messages), so alternate until both are idle.
    for _ in 0..16 {
        drain_cluster_effects(shared);
        shared.run_effects();
        let idle = match shared.engine.try_borrow() {
            Ok(engine) => {
                engine.node.effects.is_empty()
                    && engine
                        .node
                        .cluster
                        .as_ref()
                        .is_none_or(|state| !state.has_effects())
            }
            Err(_) => true,
        };
        if idle {
            break;
        }
    }
}

fn drain_cluster_effects(shared: &Rc<Shared>) {
    loop {
        let effect = {
            let Ok(mut engine) = shared.engine.try_borrow_mut() else {
                return;
            };
            match engine
                .node
                .cluster
                .as_mut()
                .and_then(ClusterState::poll_effect)
            {
                Some(effect) => effect,
                None => break,
            }
        };
        carry_out(shared, effect);
    }
}

fn carry_out(shared: &Rc<Shared>, effect: Effect) {
    let Some(bus) = &shared.bus else {
        return;
    };
    match effect {
        Effect::Connect {
            link, ip, bus_port, ..
        } => {
            let handle = new_link(shared, link);
            let address = match ip.parse::<std::net::IpAddr>() {
                Ok(ip) => SocketAddr::new(ip, bus_port).to_string(),
                Err(_) => format!("{ip}:{bus_port}"),
            };
            tokio::task::spawn_local(connect_link(shared.clone(), link, handle, address));
        }
        Effect::Send { link, bytes } => {
            if let Some(handle) = bus.links.borrow().get(&link) {
                handle.outgoing.borrow_mut().extend_from_slice(&bytes);
                handle.wake.notify_one();
            }
        }
        Effect::Disconnect { link } => {
            if let Some(handle) = bus.links.borrow_mut().remove(&link) {
                handle.closed.set(true);
                handle.wake.notify_one();
            }
        }
        Effect::PersistConfig { fsync } => {
            // Redis exits when it cannot persist the cluster configuration:
            // running on with a state it could not save risks a split identity.
            if let Err(error) = persist_now(shared, bus, fsync) {
                logging::log(
                    Level::Warning,
                    &format!("Fatal: can't update cluster config file: {error}"),
                );
                std::process::exit(1);
            }
        }
        Effect::DeleteKeysInSlots { slots } => {
            let mut engine = shared.engine.borrow_mut();
            shoal_engine::delete_keys_in_slots(&mut engine.node, &slots);
        }
        Effect::FlushAllData => {
            let mut engine = shared.engine.borrow_mut();
            shoal_engine::flush_all_data(&mut engine.node);
        }
        Effect::DeliverPublish {
            channel,
            message,
            shard,
        } => {
            let mut engine = shared.engine.borrow_mut();
            shoal_engine::deliver_publish(&mut engine.node, &channel, &message, shard);
        }
        Effect::SlotsLost { .. } | Effect::PauseWrites { .. } | Effect::ResumeWrites => {}
        Effect::ReplicateFrom {
            primary_id,
            ip,
            port,
        } => logging::log(
            Level::Notice,
            &format!(
                "Configured as a replica of {primary_id} at {ip}:{port}; data replication is \
                 not implemented yet"
            ),
        ),
        Effect::StopReplication => {}
        Effect::Log { level, text } => logging::log(
            match level {
                LogLevel::Debug => Level::Debug,
                LogLevel::Verbose => Level::Verbose,
                LogLevel::Notice => Level::Notice,
                _ => Level::Warning,
            },
            &text,
        ),
    }
}
