//! `shoal cluster start|stop|status`: a local test cluster like Redis's
//! `utils/create-cluster` (reference §1.9), formed with our own RESP client
//! instead of `redis-cli --cluster create` but sending the same commands
//! (reference §4.5 "create"): slots to primaries, distinct config epochs,
//! MEET to the first node, wait for agreement, then REPLICATE.
//!
//! This module owns the orchestration and the operator-facing output. It
//! never talks to a port whose server process it cannot account for (see
//! `stop`), never waits without a deadline, and never leaves processes it
//! started running after a failed `start` unless asked to.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread::sleep;
use std::time::{Duration, Instant};

use shoal_resp::Frame;

use crate::client::{Client, ClientError};
use crate::layout::{
    self, info_field, parse_cluster_nodes, slot_signature, NodeConfig, NodeLine, PlannedNode,
    PlannedRole, StateEntry, BUS_PORT_OFFSET, CONFIG_FILE_NAME, SLOT_COUNT, STATE_FILE_NAME,
};
use crate::process;

/// How often we re-check a condition while waiting: short enough that a
/// test cluster is ready as soon as it can be, long enough not to busy-loop.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Bound on connect/read/write for one request to a node.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// Connect timeout while polling nodes that are still starting up.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Grace period for nodes to exit after SIGTERM when `start` cleans up.
const CLEANUP_GRACE: Duration = Duration::from_secs(5);

/// Everything `shoal cluster start` was asked for.
#[derive(Clone, Debug)]
pub(crate) struct StartOptions {
    /// Number of primaries (`--masters`).
    pub(crate) primaries: usize,
    /// Replicas per primary (`--replicas`).
    pub(crate) replicas_per_primary: usize,
    /// Port of the first node (`--base-port`).
    pub(crate) base_port: u16,
    /// Cluster directory (`--dir`).
    pub(crate) dir: PathBuf,
    /// `cluster-node-timeout` for every node, milliseconds.
    pub(crate) node_timeout_ms: u64,
    /// Server binary (`--server`); `None` = `shoal-server`.
    pub(crate) server: Option<PathBuf>,
    /// `bind` directive; the first address is also where we connect.
    pub(crate) bind: String,
    /// Overall deadline for nodes to come up and the cluster to become ok.
    pub(crate) wait_timeout_ms: u64,
    /// Leave nodes running when `start` fails (for debugging).
    pub(crate) keep_on_failure: bool,
    /// Extra arguments for every server (after `--`).
    pub(crate) server_args: Vec<String>,
}

/// A point in time after which waiting is an error.
struct Deadline {
    at: Instant,
    total_ms: u64,
}

impl Deadline {
    fn after_ms(total_ms: u64) -> Self {
        Deadline {
            at: Instant::now() + Duration::from_millis(total_ms),
            total_ms,
        }
    }

    fn expired(&self) -> bool {
        Instant::now() >= self.at
    }
}

/// A node started by this run of `start`.
struct Launched {
    port: u16,
    node_dir: PathBuf,
    child: Child,
    /// Size of the (appended) log before this run, so errors quote only
    /// this run's lines.
    log_offset: u64,
}

impl Launched {
    fn log_path(&self) -> PathBuf {
        self.node_dir.join(layout::log_file_name(self.port))
    }
}

/// The address we connect to for a `bind` value: its first address, with
/// the wildcard addresses replaced by loopback (CLUSTER MEET needs a real
/// address, reference §3.1 MEET). A leading `-` (Redis's "optional
/// address" marker) is ignored; host names are resolved.
fn connect_ip(bind: &str) -> Result<IpAddr, String> {
    if bind.contains(['\n', '\r']) {
        return Err("--bind must not contain line breaks".to_string());
    }
    let first = bind
        .split_whitespace()
        .next()
        .ok_or_else(|| "--bind must name at least one address".to_string())?;
    let first = first.strip_prefix('-').unwrap_or(first);
    let ip = match first.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => (first, 0)
            .to_socket_addrs()
            .map_err(|error| format!("cannot resolve --bind address {first:?}: {error}"))?
            .next()
            .map(|addr| addr.ip())
            .ok_or_else(|| format!("--bind address {first:?} resolves to nothing"))?,
    };
    Ok(match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    })
}

fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE_NAME)
}

fn write_state(dir: &Path, entries: &[StateEntry]) -> Result<(), String> {
    let path = state_path(dir);
    std::fs::write(&path, layout::format_state(entries))
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// Reads `<dir>/nodes.txt`.
fn read_state(dir: &Path) -> Result<Vec<StateEntry>, String> {
    let path = state_path(dir);
    let text = std::fs::read_to_string(&path).map_err(|error| {
        if error.kind() == ErrorKind::NotFound {
            format!(
                "no cluster state file {} (was the cluster started with --dir {}?)",
                path.display(),
                dir.display()
            )
        } else {
            format!("cannot read {}: {error}", path.display())
        }
    })?;
    let entries =
        layout::parse_state(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    if entries.is_empty() {
        return Err(format!("{} lists no nodes", path.display()));
    }
    Ok(entries)
}

/// The pid that currently serves a node: the server's own pid file if it
/// has one (it is rewritten on every start), else the pid we spawned.
fn current_pid(dir: &Path, entry: &StateEntry) -> u32 {
    let pid_file = dir
        .join(entry.port.to_string())
        .join(layout::pid_file_name(entry.port));
    process::read_pid_file(&pid_file).unwrap_or(entry.pid)
}

/// Whether the node's server process is running, judged by pid liveness and
/// (where checkable) that the pid really runs in the node's directory.
fn node_running(dir: &Path, entry: &StateEntry) -> (u32, bool) {
    let pid = current_pid(dir, entry);
    let node_dir = dir.join(entry.port.to_string());
    let running =
        process::process_alive(pid) && process::pid_runs_in(pid, &node_dir) != Some(false);
    (pid, running)
}

fn node_addr(host: &str, port: u16) -> Result<SocketAddr, String> {
    let ip = host
        .parse::<IpAddr>()
        .map_err(|_| format!("bad host {host:?} in the state file"))?;
    Ok(SocketAddr::new(ip, port))
}

fn ensure_port_free(ip: IpAddr, port: u16) -> Result<(), String> {
    TcpListener::bind(SocketAddr::new(ip, port))
        .map(drop)
        .map_err(|error| format!("port {port} on {ip} is not available: {error}"))
}

/// `shoal cluster start`.
pub(crate) fn start(options: &StartOptions) -> Result<(), String> {
    let plan = layout::plan_nodes(
        options.primaries,
        options.replicas_per_primary,
        options.base_port,
    )?;
    let server = process::resolve_server(options.server.as_deref())?;
    let ip = connect_ip(&options.bind)?;
    std::fs::create_dir_all(&options.dir)
        .map_err(|error| format!("cannot create {}: {error}", options.dir.display()))?;
    let dir = options
        .dir
        .canonicalize()
        .map_err(|error| format!("cannot resolve {}: {error}", options.dir.display()))?;
    if dir.to_str().is_none() {
        return Err(format!("--dir {} must be valid UTF-8", dir.display()));
    }
    if state_path(&dir).exists() {
        if let Ok(entries) = read_state(&dir) {
            if let Some(entry) = entries.iter().find(|entry| node_running(&dir, entry).1) {
                return Err(format!(
                    "a cluster in {} is still running (node on port {} is up); \
                     run `shoal cluster stop --dir {}` first",
                    dir.display(),
                    entry.port,
                    dir.display()
                ));
            }
        }
    }
    for node in &plan {
        ensure_port_free(ip, node.port)?;
        ensure_port_free(ip, node.port + BUS_PORT_OFFSET)?;
    }

    let deadline = Deadline::after_ms(options.wait_timeout_ms);
    let mut launched = Vec::with_capacity(plan.len());
    let result = launch_and_form(options, &plan, &server, ip, &dir, &deadline, &mut launched);
    match result {
        Ok(()) => Ok(()),
        Err(message) if options.keep_on_failure => Err(format!(
            "{message}\nnodes were left running (--keep-on-failure); logs are in {}/<port>/; \
             stop them with `shoal cluster stop --dir {}`",
            dir.display(),
            dir.display()
        )),
        Err(message) => {
            terminate(&mut launched);
            Err(format!(
                "{message}\nthe nodes started by this command were stopped; \
                 logs are in {}/<port>/",
                dir.display()
            ))
        }
    }
}

/// Starts every node, waits for PING, then forms (or resumes) the cluster.
fn launch_and_form(
    options: &StartOptions,
    plan: &[PlannedNode],
    server: &Path,
    ip: IpAddr,
    dir: &Path,
    deadline: &Deadline,
    launched: &mut Vec<Launched>,
) -> Result<(), String> {
    let first_port = plan.first().map_or(0, |node| node.port);
    let last_port = plan.last().map_or(0, |node| node.port);
    println!(
        ">>> Starting {} nodes on {ip} ports {first_port}-{last_port} with {}",
        plan.len(),
        server.display()
    );
    let mut entries = Vec::with_capacity(plan.len());
    for node in plan {
        let node_dir = dir.join(node.port.to_string());
        std::fs::create_dir_all(&node_dir)
            .map_err(|error| format!("cannot create {}: {error}", node_dir.display()))?;
        let config_path = node_dir.join(CONFIG_FILE_NAME);
        let text = layout::node_config_text(&NodeConfig {
            port: node.port,
            bind: &options.bind,
            node_timeout_ms: options.node_timeout_ms,
            dir: node_dir.to_str().unwrap_or_default(),
        });
        std::fs::write(&config_path, text)
            .map_err(|error| format!("cannot write {}: {error}", config_path.display()))?;
        let log_path = node_dir.join(layout::log_file_name(node.port));
        let log_offset = process::file_len(&log_path);
        let child = process::spawn_server(
            server,
            &config_path,
            &node_dir,
            &log_path,
            &options.server_args,
        )
        .map_err(|error| format!("cannot start {}: {error}", server.display()))?;
        entries.push(StateEntry {
            port: node.port,
            pid: child.id(),
            host: ip.to_string(),
        });
        launched.push(Launched {
            port: node.port,
            node_dir,
            child,
            log_offset,
        });
        // Written after every spawn so `stop` can find whatever did start,
        // even if we are interrupted half-way.
        write_state(dir, &entries)?;
    }

    println!(">>> Waiting for every node to answer PING");
    for node in launched.iter_mut() {
        wait_for_ping(node, ip, deadline)?;
    }

    let mut clients = Vec::with_capacity(plan.len());
    for node in plan {
        let addr = SocketAddr::new(ip, node.port);
        clients.push(Client::connect(addr, IO_TIMEOUT).map_err(|error| at(node.port, error))?);
    }

    if existing_cluster(plan, &mut clients)? {
        println!(
            ">>> The nodes already form a cluster (state kept in {}); resuming it",
            dir.display()
        );
    } else {
        form(plan, ip, &mut clients, deadline)?;
    }

    println!(">>> Waiting for cluster_state:ok on every node");
    wait_for_state_ok(plan, &mut clients, deadline)?;
    print_summary(plan, ip, dir, &entries, &mut clients)
}

/// Formats a node error with its port.
fn at(port: u16, error: impl std::fmt::Display) -> String {
    format!("node {port}: {error}")
}

/// Polls a freshly spawned node until it answers `+PONG`, failing fast if
/// the process exits (bad config, port taken, not a Redis-like server).
fn wait_for_ping(node: &mut Launched, ip: IpAddr, deadline: &Deadline) -> Result<(), String> {
    let addr = SocketAddr::new(ip, node.port);
    loop {
        if let Ok(Some(status)) = node.child.try_wait() {
            return Err(format!(
                "node {} exited during startup ({status}); last lines of {}:\n{}",
                node.port,
                node.log_path().display(),
                process::log_tail(&node.log_path(), node.log_offset, 8)
            ));
        }
        let reply =
            Client::connect(addr, PROBE_TIMEOUT).and_then(|mut client| client.call(&["PING"]));
        if let Ok(Frame::Simple(pong)) = &reply {
            if pong == "PONG" {
                return Ok(());
            }
        }
        if deadline.expired() {
            return Err(format!(
                "node {} did not answer PING within {} ms (last result: {}); last lines of {}:\n{}",
                node.port,
                deadline.total_ms,
                match reply {
                    Ok(frame) => format!("{frame:?}"),
                    Err(error) => error.to_string(),
                },
                node.log_path().display(),
                process::log_tail(&node.log_path(), node.log_offset, 8)
            ));
        }
        sleep(POLL_INTERVAL);
    }
}

/// Decides between forming a new cluster and resuming an existing one:
/// every node empty and alone (like redis-cli's "is the node empty" check,
/// reference §4.5 create step 1) means new; every node already knowing all
/// the others means nodes.conf files from an earlier run; anything else is
/// an error rather than a guess.
fn existing_cluster(plan: &[PlannedNode], clients: &mut [Client]) -> Result<bool, String> {
    let mut fresh = 0;
    let mut complete = 0;
    let mut mismatch = None;
    for (node, client) in plan.iter().zip(clients.iter_mut()) {
        let info = client
            .call_text(&["CLUSTER", "INFO"])
            .map_err(|error| match error {
                ClientError::Server(message) if message.contains("cluster support disabled") => {
                    format!(
                        "node {}: the server is not running in cluster mode ({message}); \
                         does --server support `cluster-enabled yes`?",
                        node.port
                    )
                }
                other => at(node.port, format!("CLUSTER INFO failed: {other}")),
            })?;
        let known = info_field(&info, "cluster_known_nodes").and_then(|v| v.parse::<usize>().ok());
        let assigned =
            info_field(&info, "cluster_slots_assigned").and_then(|v| v.parse::<u32>().ok());
        match (known, assigned) {
            (Some(1), Some(0)) => fresh += 1,
            (Some(known), _) if known == plan.len() => complete += 1,
            (known, _) => {
                mismatch.get_or_insert((node.port, known));
            }
        }
    }
    if fresh == plan.len() {
        return Ok(false);
    }
    if complete == plan.len() {
        return Ok(true);
    }
    let (port, known) = mismatch.unwrap_or((plan.first().map_or(0, |node| node.port), None));
    Err(format!(
        "the nodes hold cluster state from an earlier, different layout \
         (node {port} knows {} nodes, this layout has {}); use the same --masters/--replicas \
         as before, or a fresh --dir",
        known.map_or_else(
            || "an unknown number of".to_string(),
            |known| known.to_string()
        ),
        plan.len()
    ))
}

/// The redis-cli `--cluster create` sequence (reference §4.5), minus the
/// interactive parts.
fn form(
    plan: &[PlannedNode],
    ip: IpAddr,
    clients: &mut [Client],
    deadline: &Deadline,
) -> Result<(), String> {
    println!(
        ">>> Assigning {SLOT_COUNT} slots to {} primaries",
        count_primaries(plan)
    );
    for (node, client) in plan.iter().zip(clients.iter_mut()) {
        if let PlannedRole::Primary { slots } = node.role {
            let (start, end) = (slots.start.to_string(), slots.end.to_string());
            client
                .call(&["CLUSTER", "ADDSLOTSRANGE", &start, &end])
                .map_err(|error| {
                    at(node.port, format!("CLUSTER ADDSLOTSRANGE {slots}: {error}"))
                })?;
            println!("    {}: slots {slots} ({} slots)", node.port, slots.len());
        }
    }

    // Distinct config epochs before the nodes meet, so no epoch collision has
    // to be resolved during the join. redis-cli gives every node 1, 2, 3 ...
    // and ignores the reply (the command only works on a node that knows no
    // other node), so a failure here is a warning.
    println!(">>> Assigning a different config epoch to each node");
    for (index, (node, client)) in plan.iter().zip(clients.iter_mut()).enumerate() {
        let epoch = (index + 1).to_string();
        if let Err(error) = client.call(&["CLUSTER", "SET-CONFIG-EPOCH", &epoch]) {
            eprintln!(
                "warning: node {}: CLUSTER SET-CONFIG-EPOCH {epoch}: {error}",
                node.port
            );
        }
    }

    let Some(first) = plan.first() else {
        return Ok(());
    };
    let ids = node_ids(plan, clients)?;
    println!(
        ">>> Sending CLUSTER MEET to join every node to {ip}:{}",
        first.port
    );
    let (meet_ip, meet_port) = (ip.to_string(), first.port.to_string());
    for (node, client) in plan.iter().zip(clients.iter_mut()).skip(1) {
        client
            .call(&["CLUSTER", "MEET", &meet_ip, &meet_port])
            .map_err(|error| at(node.port, format!("CLUSTER MEET: {error}")))?;
    }

    println!(">>> Waiting for the nodes to know each other and agree on slots");
    wait_for_join(plan, clients, deadline)?;

    if plan
        .iter()
        .any(|node| matches!(node.role, PlannedRole::Replica { .. }))
    {
        println!(">>> Attaching replicas");
    }
    for (node, client) in plan.iter().zip(clients.iter_mut()) {
        let PlannedRole::Replica { primary_index } = node.role else {
            continue;
        };
        let (Some(primary), Some(primary_id)) = (plan.get(primary_index), ids.get(primary_index))
        else {
            return Err(format!("node {}: replica of an unknown primary", node.port));
        };
        replicate(node.port, client, primary_id, deadline)?;
        println!("    {}: replica of {}", node.port, primary.port);
    }
    Ok(())
}

fn count_primaries(plan: &[PlannedNode]) -> usize {
    plan.iter()
        .filter(|node| matches!(node.role, PlannedRole::Primary { .. }))
        .count()
}

/// Every node's `CLUSTER MYID`, in plan order.
fn node_ids(plan: &[PlannedNode], clients: &mut [Client]) -> Result<Vec<String>, String> {
    plan.iter()
        .zip(clients.iter_mut())
        .map(|(node, client)| {
            client
                .call_text(&["CLUSTER", "MYID"])
                .map(|id| id.trim().to_string())
                .map_err(|error| at(node.port, format!("CLUSTER MYID: {error}")))
        })
        .collect()
}

/// Waits until every node lists all nodes, none still in handshake, and all
/// nodes' slot signatures agree (redis-cli's "Waiting for the cluster to
/// join", reference §4.5 create step 7).
fn wait_for_join(
    plan: &[PlannedNode],
    clients: &mut [Client],
    deadline: &Deadline,
) -> Result<(), String> {
    loop {
        let mut problem = None;
        let mut signatures = Vec::with_capacity(plan.len());
        for (node, client) in plan.iter().zip(clients.iter_mut()) {
            let text = client
                .call_text(&["CLUSTER", "NODES"])
                .map_err(|error| at(node.port, format!("CLUSTER NODES: {error}")))?;
            let lines = parse_cluster_nodes(&text).map_err(|error| at(node.port, error))?;
            let joining = lines.iter().filter(|line| line.is_joining()).count();
            if lines.len() != plan.len() || joining > 0 {
                problem.get_or_insert(format!(
                    "node {} knows {} of {} nodes ({joining} still in handshake)",
                    node.port,
                    lines.len() - joining,
                    plan.len()
                ));
            }
            signatures.push(slot_signature(&lines));
        }
        if problem.is_none() && signatures.windows(2).any(|pair| pair[0] != pair[1]) {
            problem = Some("the nodes do not agree about slot ownership yet".to_string());
        }
        let Some(problem) = problem else {
            return Ok(());
        };
        if deadline.expired() {
            return Err(format!(
                "the nodes did not join within {} ms: {problem}",
                deadline.total_ms
            ));
        }
        sleep(POLL_INTERVAL);
    }
}

/// `CLUSTER REPLICATE <primary-id>`, retried while the node still reports the
/// primary as unknown ("ERR Unknown node", reference §3.1 REPLICATE;
/// redis-cli retries too, reference §4.5 step 8).
fn replicate(
    port: u16,
    client: &mut Client,
    primary_id: &str,
    deadline: &Deadline,
) -> Result<(), String> {
    loop {
        match client.call(&["CLUSTER", "REPLICATE", primary_id]) {
            Ok(_) => return Ok(()),
            // Only "the replica has not heard of the primary yet" is
            // transient; anything else (e.g. the node holds keys) is final.
            Err(ClientError::Server(message))
                if message.contains("Unknown node") && !deadline.expired() =>
            {
                sleep(POLL_INTERVAL);
            }
            Err(error) => {
                return Err(at(port, format!("CLUSTER REPLICATE {primary_id}: {error}")));
            }
        }
    }
}

/// Waits until `CLUSTER INFO` says `cluster_state:ok` on every node. A new
/// primary reports ok only ~2 s after startup (Redis's writable delay), so
/// this is where most of `start`'s time goes.
fn wait_for_state_ok(
    plan: &[PlannedNode],
    clients: &mut [Client],
    deadline: &Deadline,
) -> Result<(), String> {
    loop {
        let mut problem = None;
        for (node, client) in plan.iter().zip(clients.iter_mut()) {
            let info = client
                .call_text(&["CLUSTER", "INFO"])
                .map_err(|error| at(node.port, format!("CLUSTER INFO: {error}")))?;
            let state = info_field(&info, "cluster_state").unwrap_or("missing");
            if state != "ok" {
                problem = Some(format!(
                    "node {} reports cluster_state:{state} (slots assigned {}, ok {}, known nodes {})",
                    node.port,
                    info_field(&info, "cluster_slots_assigned").unwrap_or("?"),
                    info_field(&info, "cluster_slots_ok").unwrap_or("?"),
                    info_field(&info, "cluster_known_nodes").unwrap_or("?"),
                ));
                break;
            }
        }
        let Some(problem) = problem else {
            return Ok(());
        };
        if deadline.expired() {
            return Err(format!(
                "the cluster did not reach cluster_state:ok within {} ms: {problem}",
                deadline.total_ms
            ));
        }
        sleep(POLL_INTERVAL);
    }
}

/// Stops the nodes a failed `start` spawned: SIGTERM, a grace period, then
/// SIGKILL; every child is reaped.
fn terminate(launched: &mut [Launched]) {
    for node in launched.iter_mut() {
        if matches!(node.child.try_wait(), Ok(None)) {
            let _ = process::send_signal(node.child.id(), "TERM");
        }
    }
    let grace_end = Instant::now() + CLEANUP_GRACE;
    for node in launched.iter_mut() {
        while matches!(node.child.try_wait(), Ok(None)) && Instant::now() < grace_end {
            sleep(POLL_INTERVAL);
        }
        if matches!(node.child.try_wait(), Ok(None)) {
            let _ = node.child.kill();
        }
        let _ = node.child.wait();
    }
}

/// What one node says about itself.
struct SelfView {
    myself: NodeLine,
    all: Vec<NodeLine>,
}

fn self_view(client: &mut Client) -> Result<SelfView, String> {
    let text = client
        .call_text(&["CLUSTER", "NODES"])
        .map_err(|error| format!("CLUSTER NODES: {error}"))?;
    let all = parse_cluster_nodes(&text)?;
    let myself = all
        .iter()
        .find(|line| line.is_myself())
        .cloned()
        .ok_or_else(|| "CLUSTER NODES has no `myself` line".to_string())?;
    Ok(SelfView { myself, all })
}

/// The role column: `primary`, or `replica of <port>` (the primary's port as
/// this node sees it).
fn describe_role(view: &SelfView) -> String {
    if !view.myself.is_replica() {
        return "primary".to_string();
    }
    let primary_port = view.myself.primary_id.as_ref().and_then(|primary_id| {
        view.all
            .iter()
            .find(|line| &line.id == primary_id)
            .map(|line| line.port)
    });
    match primary_port {
        Some(port) => format!("replica of {port}"),
        None => "replica".to_string(),
    }
}

fn describe_slots(line: &NodeLine) -> String {
    if line.slot_tokens.is_empty() {
        "-".to_string()
    } else {
        format!(
            "{} ({} slots)",
            line.slot_tokens.join(","),
            line.slot_count()
        )
    }
}

fn print_summary(
    plan: &[PlannedNode],
    ip: IpAddr,
    dir: &Path,
    entries: &[StateEntry],
    clients: &mut [Client],
) -> Result<(), String> {
    let first_port = plan.first().map_or(0, |node| node.port);
    println!();
    println!(
        "Cluster ready: {} primaries, {} replicas, every node reports cluster_state:ok.",
        count_primaries(plan),
        plan.len() - count_primaries(plan)
    );
    println!();
    println!(
        "{:<6} {:<8} {:<18} {:<40} SLOTS",
        "PORT", "PID", "ROLE", "NODE ID"
    );
    for ((node, entry), client) in plan.iter().zip(entries).zip(clients.iter_mut()) {
        let view = self_view(client).map_err(|error| at(node.port, error))?;
        println!(
            "{:<6} {:<8} {:<18} {:<40} {}",
            node.port,
            entry.pid,
            describe_role(&view),
            view.myself.id,
            describe_slots(&view.myself)
        );
    }
    println!();
    if ip == IpAddr::V4(Ipv4Addr::LOCALHOST) {
        println!("Connect with: redis-cli -c -p {first_port}");
    } else {
        println!("Connect with: redis-cli -c -h {ip} -p {first_port}");
    }
    println!("Status:       shoal cluster status --dir {}", dir.display());
    println!("Stop with:    shoal cluster stop --dir {}", dir.display());
    Ok(())
}

/// `shoal cluster stop`: SHUTDOWN NOSAVE to every running node (SIGTERM when
/// that is impossible), then wait for the processes to exit.
///
/// A node is only contacted if its recorded process is alive, so a port now
/// used by an unrelated server is never shut down.
pub(crate) fn stop(dir: &Path, timeout_ms: u64) -> Result<(), String> {
    let entries = read_state(dir)?;
    let mut waiting: Vec<(u16, u32, bool)> = Vec::new();
    for entry in &entries {
        let (pid, running) = node_running(dir, entry);
        if !running {
            println!("{}: not running", entry.port);
            continue;
        }
        let addr = node_addr(&entry.host, entry.port)?;
        let shutdown = Client::connect(addr, IO_TIMEOUT)
            .and_then(|mut client| client.call(&["SHUTDOWN", "NOSAVE"]));
        let signalled = match shutdown {
            Err(error) if error.is_disconnect() => {
                println!("{}: SHUTDOWN NOSAVE sent (pid {pid})", entry.port);
                false
            }
            other => {
                let why = match other {
                    Ok(frame) => format!("unexpected reply {frame:?}"),
                    Err(error) => error.to_string(),
                };
                println!(
                    "{}: SHUTDOWN failed ({why}); sending SIGTERM to pid {pid}",
                    entry.port
                );
                process::send_signal(pid, "TERM").map_err(|error| at(entry.port, error))?;
                true
            }
        };
        waiting.push((entry.port, pid, signalled));
    }

    // Wait for exits; halfway through, SIGTERM whatever ignored SHUTDOWN.
    let deadline = Deadline::after_ms(timeout_ms);
    let escalate_at = Instant::now() + Duration::from_millis(timeout_ms / 2);
    loop {
        waiting.retain(|(_, pid, _)| process::process_alive(*pid));
        if waiting.is_empty() || deadline.expired() {
            break;
        }
        if Instant::now() >= escalate_at {
            for (port, pid, signalled) in waiting.iter_mut().filter(|(_, _, signalled)| !*signalled)
            {
                println!("{port}: still running; sending SIGTERM to pid {pid}");
                let _ = process::send_signal(*pid, "TERM");
                *signalled = true;
            }
        }
        sleep(POLL_INTERVAL);
    }
    if !waiting.is_empty() {
        let list: Vec<String> = waiting
            .iter()
            .map(|(port, pid, _)| format!("{port} (pid {pid})"))
            .collect();
        return Err(format!(
            "nodes still running after {timeout_ms} ms: {}; use `kill -9` on those pids",
            list.join(", ")
        ));
    }
    println!(
        "All {} nodes in {} are stopped.",
        entries.len(),
        dir.display()
    );
    Ok(())
}

/// One row of `status`.
struct StatusRow {
    port: u16,
    pid: u32,
    running: bool,
    role: String,
    state: String,
    slots: String,
    id: String,
}

/// `shoal cluster status`: prints one row per node and returns whether the
/// cluster is healthy (every process running, every node `cluster_state:ok`).
pub(crate) fn status(dir: &Path) -> Result<bool, String> {
    let entries = read_state(dir)?;
    let mut rows = Vec::with_capacity(entries.len());
    let mut problems: BTreeMap<u16, String> = BTreeMap::new();
    for entry in &entries {
        let (pid, running) = node_running(dir, entry);
        let mut row = StatusRow {
            port: entry.port,
            pid,
            running,
            role: "-".to_string(),
            state: "-".to_string(),
            slots: "-".to_string(),
            id: "-".to_string(),
        };
        if !running {
            problems.insert(entry.port, "not running".to_string());
            rows.push(row);
            continue;
        }
        let addr = node_addr(&entry.host, entry.port)?;
        let queried = Client::connect(addr, IO_TIMEOUT)
            .map_err(|error| error.to_string())
            .and_then(|mut client| {
                let info = client
                    .call_text(&["CLUSTER", "INFO"])
                    .map_err(|error| format!("CLUSTER INFO: {error}"))?;
                let view = self_view(&mut client)?;
                Ok((info, view))
            });
        match queried {
            Ok((info, view)) => {
                row.state = info_field(&info, "cluster_state")
                    .unwrap_or("?")
                    .to_string();
                if row.state != "ok" {
                    problems.insert(entry.port, format!("cluster_state:{}", row.state));
                }
                row.role = describe_role(&view);
                row.slots = describe_slots(&view.myself);
                row.id = view.myself.id;
            }
            Err(error) => {
                row.state = "unreachable".to_string();
                problems.insert(entry.port, format!("unreachable: {error}"));
            }
        }
        rows.push(row);
    }

    println!(
        "{:<6} {:<8} {:<8} {:<18} {:<12} {:<40} SLOTS",
        "PORT", "PID", "PROCESS", "ROLE", "STATE", "NODE ID"
    );
    for row in &rows {
        println!(
            "{:<6} {:<8} {:<8} {:<18} {:<12} {:<40} {}",
            row.port,
            row.pid,
            if row.running { "running" } else { "stopped" },
            row.role,
            row.state,
            row.id,
            row.slots
        );
    }
    if problems.is_empty() {
        println!(
            "\ncluster ok: {} of {} nodes running, cluster_state:ok on every node",
            rows.len(),
            rows.len()
        );
        Ok(true)
    } else {
        let list: Vec<String> = problems
            .iter()
            .map(|(port, problem)| format!("{port}: {problem}"))
            .collect();
        println!("\ncluster NOT ok: {}", list.join("; "));
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_ip_picks_first_and_replaces_wildcards() {
        assert_eq!(
            connect_ip("127.0.0.1").unwrap(),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            connect_ip("0.0.0.0").unwrap(),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(connect_ip("::").unwrap(), IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(
            connect_ip("10.1.2.3 127.0.0.1").unwrap(),
            "10.1.2.3".parse::<IpAddr>().unwrap()
        );
        assert_eq!(connect_ip("-::1").unwrap(), IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert!(connect_ip("localhost").unwrap().is_loopback());
        assert!(connect_ip("").is_err());
        assert!(connect_ip("127.0.0.1\nport 1").is_err());
    }

    #[test]
    fn role_and_slot_columns() {
        let text = "\
aaa 127.0.0.1:30001@40001 master - 0 1 1 connected 0-5460\n\
bbb 127.0.0.1:30004@40004 myself,slave aaa 0 0 1 connected\n";
        let all = parse_cluster_nodes(text).unwrap();
        let view = SelfView {
            myself: all[1].clone(),
            all: all.clone(),
        };
        assert_eq!(describe_role(&view), "replica of 30001");
        assert_eq!(describe_slots(&all[0]), "0-5460 (5461 slots)");
        assert_eq!(describe_slots(&all[1]), "-");
        let orphan = SelfView {
            myself: all[1].clone(),
            all: vec![all[1].clone()],
        };
        assert_eq!(describe_role(&orphan), "replica");
        let primary = SelfView {
            myself: all[0].clone(),
            all,
        };
        assert_eq!(describe_role(&primary), "primary");
    }

    #[test]
    fn state_file_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("shoal-cli-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let error = read_state(&dir).unwrap_err();
        assert!(
            error.contains("nodes.txt") && error.contains("--dir"),
            "{error}"
        );
        std::fs::write(dir.join(STATE_FILE_NAME), "# nothing\n").unwrap();
        assert!(read_state(&dir).unwrap_err().contains("lists no nodes"));
        std::fs::write(dir.join(STATE_FILE_NAME), "30001 abc\n").unwrap();
        assert!(read_state(&dir).unwrap_err().contains("bad pid"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dead_recorded_pid_means_not_running() {
        let dir = std::env::temp_dir().join(format!("shoal-cli-dead-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("30001")).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let entry = StateEntry {
            port: 30001,
            pid,
            host: "127.0.0.1".into(),
        };
        assert_eq!(node_running(&dir, &entry), (pid, false));
        // Our own pid is alive but does not run in the node directory, so it
        // must not be mistaken for the node (pid reuse protection).
        let entry = StateEntry {
            pid: std::process::id(),
            ..entry
        };
        assert!(!node_running(&dir, &entry).1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
