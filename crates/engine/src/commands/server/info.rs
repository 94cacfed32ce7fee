//! INFO: Redis 7.0.15's `genRedisInfoString`, section by section, with the
//! same field names in the same order (tools such as redis-cli, exporters
//! and client libraries parse them).
//!
//! Values Shoal cannot know yet (CPU time, system memory, features it does
//! not have such as AOF, Lua or replication) are printed with the value an
//! idle Redis without that feature shows, so parsers keep working. This
//! module reads the node only; it never measures anything itself.

use std::collections::BTreeSet;
use std::fmt::{Display, Write as _};

use crate::context::Ctx;
use crate::node::Node;
use crate::table::CommandResult;

/// Sections `INFO` and `INFO default` print (Redis `default_sections`;
/// `module_list` is the `# Modules` section).
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// The allocator Shoal's server links (tikv-jemallocator 0.6 bundles
/// jemalloc 5.3.0), named as Redis's `ZMALLOC_LIB` prints it.
const MEM_ALLOCATOR: &str = "jemalloc-5.3.0";

/// Redis's `LRU_CLOCK_MAX`: the LRU clock is seconds modulo 2^24.
const LRU_CLOCK_MAX: i64 = (1 << 24) - 1;

/// INFO [section ...].
pub(super) fn info(ctx: &mut Ctx<'_>) -> CommandResult {
    let selection = Selection::parse(&ctx.args[1..]);
    let text = render(ctx, &selection);
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Which sections were asked for (Redis `genInfoSectionDict`).
struct Selection {
    all: bool,
    names: BTreeSet<String>,
}

impl Selection {
    fn parse(args: &[bytes::Bytes]) -> Self {
        let mut selection = Selection {
            all: false,
            names: BTreeSet::new(),
        };
        if args.is_empty() {
            selection.add_defaults();
        }
        for arg in args {
            let word = String::from_utf8_lossy(arg).to_ascii_lowercase();
            match word.as_str() {
                "default" => selection.add_defaults(),
                // `everything` also adds module-generated sections; Shoal has none.
                "all" | "everything" => selection.all = true,
                _ => {
                    selection.names.insert(word);
                }
            }
        }
        selection
    }

    fn add_defaults(&mut self) {
        self.names
            .extend(DEFAULT_SECTIONS.iter().map(|name| name.to_string()));
    }

    fn wants(&self, name: &str) -> bool {
        self.all || self.names.contains(name)
    }
}

/// The text being built: `# Title` headers, `name:value` lines, sections
/// separated by an empty line, every line ending in CRLF.
struct Text {
    text: String,
    sections: usize,
}

impl Text {
    fn header(&mut self, title: &str) {
        if self.sections > 0 {
            self.text.push_str("\r\n");
        }
        self.sections += 1;
        self.text.push_str("# ");
        self.text.push_str(title);
        self.text.push_str("\r\n");
    }

    fn field(&mut self, name: &str, value: impl Display) {
        // Writing into a String cannot fail.
        let _ = write!(self.text, "{name}:{value}\r\n");
    }

    fn fields(&mut self, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            self.field(name, value);
        }
    }
}

fn render(ctx: &mut Ctx<'_>, selection: &Selection) -> String {
    let mut text = Text {
        text: String::new(),
        sections: 0,
    };
    if selection.wants("server") {
        server_section(&mut text, ctx);
    }
    if selection.wants("clients") {
        clients_section(&mut text, ctx);
    }
    if selection.wants("memory") {
        memory_section(&mut text, ctx);
    }
    if selection.wants("persistence") {
        persistence_section(&mut text, ctx.node);
    }
    if selection.wants("stats") {
        stats_section(&mut text, ctx.node);
    }
    if selection.wants("replication") {
        replication_section(&mut text, ctx.node);
    }
    if selection.wants("cpu") {
        cpu_section(&mut text, ctx.node);
    }
    if selection.wants("module_list") || selection.wants("modules") {
        // Shoal loads no modules: the section is just its header.
        text.header("Modules");
    }
    if selection.wants("commandstats") {
        commandstats_section(&mut text, ctx.node);
    }
    if selection.wants("errorstats") {
        text.header("Errorstats");
        for (code, count) in &ctx.node.stats.error_counts {
            text.field(&format!("errorstat_{code}"), format_args!("count={count}"));
        }
    }
    if selection.wants("latencystats") {
        latencystats_section(&mut text, ctx.node);
    }
    if selection.wants("cluster") {
        text.header("Cluster");
        text.field(
            "cluster_enabled",
            u8::from(ctx.node.config.get_bool("cluster-enabled")),
        );
    }
    if selection.wants("keyspace") {
        keyspace_section(&mut text, ctx.node);
    }
    text.text
}

fn server_section(text: &mut Text, ctx: &Ctx<'_>) {
    let node = &*ctx.node;
    let process = &node.process;
    let uptime_seconds = ((ctx.now_ms - node.start_ms) / 1000).max(0);
    let hz = node.config.get_i64("hz");
    let mode = if node.config.get_bool("cluster-enabled") {
        "cluster"
    } else {
        "standalone"
    };
    let config_file = if process.config_file.is_empty() {
        node.config.config_file().unwrap_or_default().to_string()
    } else {
        process.config_file.clone()
    };
    text.header("Server");
    text.field("redis_version", crate::REDIS_VERSION);
    text.field("shoal_version", crate::SHOAL_VERSION);
    text.fields(&[("redis_git_sha1", "00000000"), ("redis_git_dirty", "0")]);
    text.field("redis_build_id", "0");
    text.field("redis_mode", mode);
    text.field("os", &process.os);
    text.field("arch_bits", usize::BITS);
    text.field("monotonic_clock", "POSIX clock_gettime");
    text.field(
        "multiplexing_api",
        if cfg!(target_os = "linux") {
            "epoll"
        } else {
            "kqueue"
        },
    );
    text.field("atomicvar_api", "c11-builtin");
    text.field("gcc_version", "0.0.0");
    text.field("process_id", process.pid);
    text.field("process_supervised", "no");
    text.field("run_id", &node.run_id);
    text.field("tcp_port", process.tcp_port);
    text.field("server_time_usec", ctx.now_us);
    text.field("uptime_in_seconds", uptime_seconds);
    text.field("uptime_in_days", uptime_seconds / 86_400);
    text.field("hz", hz);
    text.field("configured_hz", hz);
    text.field("lru_clock", lru_clock(ctx.now_ms));
    text.field("executable", &process.executable);
    text.field("config_file", config_file);
    text.field("io_threads_active", 0);
}

/// Redis's LRU clock: Unix seconds modulo 2^24 (`getLRUClock`).
pub(super) fn lru_clock(now_ms: i64) -> i64 {
    (now_ms / 1000) & LRU_CLOCK_MAX
}

fn clients_section(text: &mut Text, ctx: &Ctx<'_>) {
    let node = &*ctx.node;
    // The executing client is taken out of the registry while it runs.
    let clients = || node.clients.iter().chain(std::iter::once(&*ctx.client));
    let max_input = clients()
        .map(|client| client.buffers.query_buffer_bytes)
        .max();
    let max_output = clients()
        .map(|client| client.buffers.output_buffer_bytes)
        .max();
    text.header("Clients");
    text.field("connected_clients", node.clients.len() + 1);
    // Redis `getClusterConnectionsCount`: two bus links per other known node.
    let cluster_connections = node
        .cluster
        .as_ref()
        .map_or(0, |state| state.known_nodes().saturating_sub(1) * 2);
    text.field("cluster_connections", cluster_connections);
    text.field("maxclients", node.limits.max_clients);
    text.field("client_recent_max_input_buffer", max_input.unwrap_or(0));
    text.field("client_recent_max_output_buffer", max_output.unwrap_or(0));
    let postponed = node
        .clients
        .iter()
        .filter(|client| client.postponed)
        .count();
    text.field("blocked_clients", postponed);
    text.fields(&[("tracking_clients", "0"), ("clients_in_timeout_table", "0")]);
}

/// Memory figures shared by INFO memory and MEMORY STATS/DOCTOR (Redis
/// `getMemoryOverheadData`), from what the shell measured.
pub(super) struct MemoryFigures {
    /// Bytes allocated (`used_memory`, `total.allocated`).
    pub(super) used: u64,
    /// Peak of `used`.
    pub(super) peak: u64,
    /// Resident set size.
    pub(super) rss: u64,
    /// Allocator active bytes.
    pub(super) active: u64,
    /// Allocator resident bytes.
    pub(super) resident: u64,
    /// Memory used at startup (Shoal does not measure it: 0).
    pub(super) startup: u64,
    /// Client buffers.
    pub(super) clients_normal: u64,
    /// Hash table bytes per non-empty database: (db index, bytes).
    pub(super) db_tables: Vec<(usize, u64)>,
    /// Every overhead together.
    pub(super) overhead: u64,
    /// Keys over all databases.
    pub(super) keys: u64,
}

impl MemoryFigures {
    /// Reads the figures, raising the recorded peak first as Redis does when
    /// it reports memory.
    pub(super) fn collect(ctx: &mut Ctx<'_>) -> Self {
        let memory = ctx.node.memory;
        let used = memory.used_memory_bytes;
        if used > ctx.node.stats.used_memory_peak_bytes {
            ctx.node.stats.used_memory_peak_bytes = used;
        }
        let node = &*ctx.node;
        let clients_normal = node
            .clients
            .iter()
            .chain(std::iter::once(&*ctx.client))
            .map(|client| {
                (client.buffers.query_buffer_capacity_bytes + client.buffers.output_buffer_bytes)
                    as u64
            })
            .sum();
        let mut db_tables = Vec::new();
        let mut keys = 0u64;
        for index in 0..node.keyspace.db_count() {
            let db = node.keyspace.db(index);
            if db.is_empty() {
                continue;
            }
            keys += db.len() as u64;
            db_tables.push((index, db.table_bytes() as u64));
        }
        let startup = 0;
        let overhead =
            startup + clients_normal + db_tables.iter().map(|(_, bytes)| bytes).sum::<u64>();
        MemoryFigures {
            used,
            peak: node.stats.used_memory_peak_bytes.max(used),
            rss: memory.used_memory_rss_bytes,
            active: memory.allocator_active_bytes,
            resident: memory.allocator_resident_bytes,
            startup,
            clients_normal,
            db_tables,
            overhead,
            keys,
        }
    }

    /// `used_memory_dataset`: what is not overhead.
    pub(super) fn dataset(&self) -> u64 {
        self.used.saturating_sub(self.overhead)
    }

    /// Memory used beyond startup (Redis `net_usage`, at least 1).
    fn net_usage(&self) -> u64 {
        if self.used > self.startup {
            self.used - self.startup
        } else {
            1
        }
    }

    /// Share of the net usage that is data, in percent.
    pub(super) fn dataset_percentage(&self) -> f32 {
        self.dataset() as f32 * 100.0 / self.net_usage() as f32
    }

    /// `used` as a percentage of the peak.
    pub(super) fn peak_percentage(&self) -> f32 {
        ratio(self.used, self.peak) * 100.0
    }

    /// Bytes per key beyond startup memory.
    pub(super) fn bytes_per_key(&self) -> u64 {
        self.net_usage().checked_div(self.keys).unwrap_or(0)
    }

    /// Allocator fragmentation (active / allocated) and its bytes.
    pub(super) fn allocator_fragmentation(&self) -> (f32, i64) {
        (
            ratio(self.active, self.used),
            difference(self.active, self.used),
        )
    }

    /// Allocator RSS overhead (resident / active) and its bytes.
    pub(super) fn allocator_rss(&self) -> (f32, i64) {
        (
            ratio(self.resident, self.active),
            difference(self.resident, self.active),
        )
    }

    /// Process RSS overhead (rss / allocator resident) and its bytes.
    pub(super) fn rss_overhead(&self) -> (f32, i64) {
        (
            ratio(self.rss, self.resident),
            difference(self.rss, self.resident),
        )
    }

    /// Total fragmentation (rss / used) and its bytes.
    pub(super) fn fragmentation(&self) -> (f32, i64) {
        (ratio(self.rss, self.used), difference(self.rss, self.used))
    }
}

/// `numerator / denominator` as Redis's `float` division; 0 when the
/// denominator is unknown (0) rather than Redis's `nan`/`inf`.
fn ratio(numerator: u64, denominator: u64) -> f32 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f32 / denominator as f32
    }
}

fn difference(first: u64, second: u64) -> i64 {
    (first as i128 - second as i128).clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Redis's `bytesToHuman`: `918.91K`, `11.47M`, `0B`.
pub(crate) fn bytes_to_human(bytes: u64) -> String {
    const UNITS: [(u32, &str); 5] = [(1, "K"), (2, "M"), (3, "G"), (4, "T"), (5, "P")];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    for (power, unit) in UNITS {
        let next = 1024u128.pow(power + 1);
        if u128::from(bytes) < next {
            let value = bytes as f64 / 1024f64.powi(power as i32);
            return format!("{value:.2}{unit}");
        }
    }
    format!("{bytes}B")
}

fn memory_section(text: &mut Text, ctx: &mut Ctx<'_>) {
    let figures = MemoryFigures::collect(ctx);
    let node = &*ctx.node;
    let maxmemory = node.config.get_u64("maxmemory");
    let total_system_memory = 0u64;
    let (frag_ratio, frag_bytes) = figures.allocator_fragmentation();
    let (rss_ratio, rss_bytes) = figures.allocator_rss();
    let (overhead_ratio, overhead_bytes) = figures.rss_overhead();
    let (total_ratio, total_bytes) = figures.fragmentation();
    text.header("Memory");
    text.field("used_memory", figures.used);
    text.field("used_memory_human", bytes_to_human(figures.used));
    text.field("used_memory_rss", figures.rss);
    text.field("used_memory_rss_human", bytes_to_human(figures.rss));
    text.field("used_memory_peak", figures.peak);
    text.field("used_memory_peak_human", bytes_to_human(figures.peak));
    text.field(
        "used_memory_peak_perc",
        format_args!("{:.2}%", figures.peak_percentage()),
    );
    text.field("used_memory_overhead", figures.overhead);
    text.field("used_memory_startup", figures.startup);
    text.field("used_memory_dataset", figures.dataset());
    text.field(
        "used_memory_dataset_perc",
        format_args!("{:.2}%", figures.dataset_percentage()),
    );
    text.field("allocator_allocated", figures.used);
    text.field("allocator_active", figures.active);
    text.field("allocator_resident", figures.resident);
    text.field("total_system_memory", total_system_memory);
    text.field(
        "total_system_memory_human",
        bytes_to_human(total_system_memory),
    );
    // Shoal has no Lua or functions engine: an empty one uses nothing.
    text.fields(&[
        ("used_memory_lua", "0"),
        ("used_memory_vm_eval", "0"),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", "0"),
        ("number_of_cached_scripts", "0"),
        ("number_of_functions", "0"),
        ("number_of_libraries", "0"),
        ("used_memory_vm_functions", "0"),
        ("used_memory_vm_total", "0"),
        ("used_memory_vm_total_human", "0B"),
        ("used_memory_functions", "0"),
        ("used_memory_scripts", "0"),
        ("used_memory_scripts_human", "0B"),
    ]);
    text.field("maxmemory", maxmemory);
    text.field("maxmemory_human", bytes_to_human(maxmemory));
    text.field("maxmemory_policy", node.config.get_str("maxmemory-policy"));
    text.field("allocator_frag_ratio", format_args!("{frag_ratio:.2}"));
    text.field("allocator_frag_bytes", frag_bytes);
    text.field("allocator_rss_ratio", format_args!("{rss_ratio:.2}"));
    text.field("allocator_rss_bytes", rss_bytes);
    text.field("rss_overhead_ratio", format_args!("{overhead_ratio:.2}"));
    text.field("rss_overhead_bytes", overhead_bytes);
    text.field("mem_fragmentation_ratio", format_args!("{total_ratio:.2}"));
    text.field("mem_fragmentation_bytes", total_bytes);
    text.fields(&[
        ("mem_not_counted_for_evict", "0"),
        ("mem_replication_backlog", "0"),
        ("mem_total_replication_buffers", "0"),
        ("mem_clients_slaves", "0"),
    ]);
    text.field("mem_clients_normal", figures.clients_normal);
    text.fields(&[("mem_cluster_links", "0"), ("mem_aof_buffer", "0")]);
    text.field("mem_allocator", MEM_ALLOCATOR);
    text.fields(&[
        ("active_defrag_running", "0"),
        ("lazyfree_pending_objects", "0"),
        ("lazyfreed_objects", "0"),
    ]);
}

fn persistence_section(text: &mut Text, node: &Node) {
    text.header("Persistence");
    text.fields(&[
        ("loading", "0"),
        ("async_loading", "0"),
        ("current_cow_peak", "0"),
        ("current_cow_size", "0"),
        ("current_cow_size_age", "0"),
        ("current_fork_perc", "0.00"),
        ("current_save_keys_processed", "0"),
        ("current_save_keys_total", "0"),
    ]);
    text.field("rdb_changes_since_last_save", node.dirty);
    text.field("rdb_bgsave_in_progress", 0);
    text.field("rdb_last_save_time", node.last_save_seconds);
    // Shoal has no snapshotting or AOF yet: the values of a server that never saved.
    text.fields(&[
        ("rdb_last_bgsave_status", "ok"),
        ("rdb_last_bgsave_time_sec", "-1"),
        ("rdb_current_bgsave_time_sec", "-1"),
        ("rdb_saves", "0"),
        ("rdb_last_cow_size", "0"),
        ("rdb_last_load_keys_expired", "0"),
        ("rdb_last_load_keys_loaded", "0"),
        ("aof_enabled", "0"),
        ("aof_rewrite_in_progress", "0"),
        ("aof_rewrite_scheduled", "0"),
        ("aof_last_rewrite_time_sec", "-1"),
        ("aof_current_rewrite_time_sec", "-1"),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", "0"),
        ("aof_rewrites_consecutive_failures", "0"),
        ("aof_last_write_status", "ok"),
        ("aof_last_cow_size", "0"),
        ("module_fork_in_progress", "0"),
        ("module_fork_last_cow_size", "0"),
    ]);
}

fn stats_section(text: &mut Text, node: &Node) {
    let stats = &node.stats;
    text.header("Stats");
    text.field(
        "total_connections_received",
        stats.total_connections_received,
    );
    text.field("total_commands_processed", stats.total_commands_processed);
    let metrics = &node.instant_metrics;
    text.field("instantaneous_ops_per_sec", metrics.commands.rate());
    text.field("total_net_input_bytes", stats.net_input_bytes);
    text.field("total_net_output_bytes", stats.net_output_bytes);
    text.fields(&[
        ("total_net_repl_input_bytes", "0"),
        ("total_net_repl_output_bytes", "0"),
    ]);
    // Redis: "%.2f" of the bytes-per-second rate / 1024.
    text.field(
        "instantaneous_input_kbps",
        format!("{:.2}", metrics.net_input.rate() as f64 / 1024.0),
    );
    text.field(
        "instantaneous_output_kbps",
        format!("{:.2}", metrics.net_output.rate() as f64 / 1024.0),
    );
    // Replication traffic: no replication yet.
    text.fields(&[
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
    ]);
    text.field("rejected_connections", stats.rejected_connections);
    text.fields(&[
        ("sync_full", "0"),
        ("sync_partial_ok", "0"),
        ("sync_partial_err", "0"),
    ]);
    text.field("expired_keys", node.keyspace.expired_keys());
    text.fields(&[
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", "0"),
        ("expire_cycle_cpu_milliseconds", "0"),
        ("evicted_keys", "0"),
        ("evicted_clients", "0"),
        ("total_eviction_exceeded_time", "0"),
        ("current_eviction_exceeded_time", "0"),
    ]);
    text.field("keyspace_hits", stats.keyspace_hits);
    text.field("keyspace_misses", stats.keyspace_misses);
    text.field("pubsub_channels", node.pubsub.channels.len());
    text.field("pubsub_patterns", node.pubsub.patterns.len());
    text.field("pubsubshard_channels", node.pubsub.shard_channels.len());
    text.fields(&[("latest_fork_usec", "0"), ("total_forks", "0")]);
    text.field("migrate_cached_sockets", node.migrate_cached_sockets);
    text.fields(&[
        ("slave_expires_tracked_keys", "0"),
        ("active_defrag_hits", "0"),
        ("active_defrag_misses", "0"),
        ("active_defrag_key_hits", "0"),
        ("active_defrag_key_misses", "0"),
        ("total_active_defrag_time", "0"),
        ("current_active_defrag_time", "0"),
        ("tracking_total_keys", "0"),
        ("tracking_total_items", "0"),
        ("tracking_total_prefixes", "0"),
        ("unexpected_error_replies", "0"),
    ]);
    text.field("total_error_replies", stats.total_error_replies);
    text.fields(&[
        ("dump_payload_sanitizations", "0"),
        ("total_reads_processed", "0"),
        ("total_writes_processed", "0"),
        ("io_threaded_reads_processed", "0"),
        ("io_threaded_writes_processed", "0"),
        ("reply_buffer_shrinks", "0"),
        ("reply_buffer_expands", "0"),
    ]);
}

fn replication_section(text: &mut Text, node: &Node) {
    text.header("Replication");
    // "master"/"slaves" are the wire names tools parse.
    text.fields(&[
        ("role", "master"),
        ("connected_slaves", "0"),
        ("master_failover_state", "no-failover"),
    ]);
    // Shoal has no replication id of its own yet; the run id stands in.
    text.field("master_replid", &node.run_id);
    text.fields(&[
        ("master_replid2", "0000000000000000000000000000000000000000"),
        ("master_repl_offset", "0"),
        ("second_repl_offset", "-1"),
        ("repl_backlog_active", "0"),
    ]);
    text.field(
        "repl_backlog_size",
        node.config.get_i64("repl-backlog-size"),
    );
    text.fields(&[
        ("repl_backlog_first_byte_offset", "0"),
        ("repl_backlog_histlen", "0"),
    ]);
}

fn cpu_section(text: &mut Text, node: &Node) {
    // The shell refreshes the getrusage figures every cron tick; Redis prints
    // them as "%ld.%06ld" seconds.
    let cpu = &node.cpu;
    text.header("CPU");
    for (name, micros) in [
        ("used_cpu_sys", cpu.sys_us),
        ("used_cpu_user", cpu.user_us),
        ("used_cpu_sys_children", cpu.children_sys_us),
        ("used_cpu_user_children", cpu.children_user_us),
        ("used_cpu_sys_main_thread", cpu.main_thread_sys_us),
        ("used_cpu_user_main_thread", cpu.main_thread_user_us),
    ] {
        let micros = micros.max(0);
        text.field(
            name,
            format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000),
        );
    }
}

fn commandstats_section(text: &mut Text, node: &Node) {
    text.header("Commandstats");
    for (name, stats) in &node.stats.commands {
        if stats.calls == 0 && stats.failed_calls == 0 && stats.rejected_calls == 0 {
            continue;
        }
        // Redis divides as `float`.
        let per_call = if stats.calls == 0 {
            0.0
        } else {
            stats.usec as f32 / stats.calls as f32
        };
        text.field(
            &format!("cmdstat_{name}"),
            format_args!(
                "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                stats.calls, stats.usec, stats.rejected_calls, stats.failed_calls
            ),
        );
    }
}

/// `latency_percentiles_usec_<command>:p50=…,p99=…` for every command with
/// recorded latencies, at the `latency-tracking-info-percentiles`.
fn latencystats_section(text: &mut Text, node: &Node) {
    text.header("Latencystats");
    let percentiles = node.config.latency_tracking_info_percentiles();
    for (name, stats) in &node.stats.commands {
        let Some(histogram) = stats.latency.as_deref() else {
            continue;
        };
        let values: Vec<String> = percentiles
            .iter()
            .map(|&percentile| {
                // Redis prints the percentile with "%f" and trims the zeros.
                let label = format!("{percentile:.6}");
                let label = label.trim_end_matches('0').trim_end_matches('.');
                let micros = histogram.value_at_percentile(percentile) as f64 / 1000.0;
                format!("p{label}={micros:.3}")
            })
            .collect();
        text.field(
            &format!("latency_percentiles_usec_{name}"),
            values.join(","),
        );
    }
}

fn keyspace_section(text: &mut Text, node: &Node) {
    text.header("Keyspace");
    for index in 0..node.keyspace.db_count() {
        let db = node.keyspace.db(index);
        let keys = db.len();
        if keys == 0 {
            continue;
        }
        text.field(
            &format!("db{index}"),
            format_args!(
                "keys={keys},expires={},avg_ttl={}",
                db.expires_len(),
                db.avg_ttl_ms()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestNode;
    use shoal_resp::Frame;

    /// Field names of `INFO all` on redis-server 7.0.15 (CPU and everything
    /// static), in order, with `shoal_version` added after `redis_version`.
    const ORACLE_FIELDS: &[(&str, &str)] = &[
        (
            "Server",
            "redis_version shoal_version redis_git_sha1 redis_git_dirty redis_build_id \
            redis_mode os arch_bits monotonic_clock multiplexing_api atomicvar_api gcc_version \
            process_id process_supervised run_id tcp_port server_time_usec uptime_in_seconds \
            uptime_in_days hz configured_hz lru_clock executable config_file io_threads_active",
        ),
        (
            "Clients",
            "connected_clients cluster_connections maxclients \
            client_recent_max_input_buffer client_recent_max_output_buffer blocked_clients \
            tracking_clients clients_in_timeout_table",
        ),
        (
            "Memory",
            "used_memory used_memory_human used_memory_rss used_memory_rss_human \
            used_memory_peak used_memory_peak_human used_memory_peak_perc used_memory_overhead \
            used_memory_startup used_memory_dataset used_memory_dataset_perc allocator_allocated \
            allocator_active allocator_resident total_system_memory total_system_memory_human \
            used_memory_lua used_memory_vm_eval used_memory_lua_human used_memory_scripts_eval \
            number_of_cached_scripts number_of_functions number_of_libraries \
            used_memory_vm_functions used_memory_vm_total used_memory_vm_total_human \
            used_memory_functions used_memory_scripts used_memory_scripts_human maxmemory \
            maxmemory_human maxmemory_policy allocator_frag_ratio allocator_frag_bytes \
            allocator_rss_ratio allocator_rss_bytes rss_overhead_ratio rss_overhead_bytes \
            mem_fragmentation_ratio mem_fragmentation_bytes mem_not_counted_for_evict \
            mem_replication_backlog mem_total_replication_buffers mem_clients_slaves \
            mem_clients_normal mem_cluster_links mem_aof_buffer mem_allocator \
            active_defrag_running lazyfree_pending_objects lazyfreed_objects",
        ),
        (
            "Persistence",
            "loading async_loading current_cow_peak current_cow_size \
            current_cow_size_age current_fork_perc current_save_keys_processed \
            current_save_keys_total rdb_changes_since_last_save rdb_bgsave_in_progress \
            rdb_last_save_time rdb_last_bgsave_status rdb_last_bgsave_time_sec \
            rdb_current_bgsave_time_sec rdb_saves rdb_last_cow_size rdb_last_load_keys_expired \
            rdb_last_load_keys_loaded aof_enabled aof_rewrite_in_progress aof_rewrite_scheduled \
            aof_last_rewrite_time_sec aof_current_rewrite_time_sec aof_last_bgrewrite_status \
            aof_rewrites aof_rewrites_consecutive_failures aof_last_write_status \
            aof_last_cow_size module_fork_in_progress module_fork_last_cow_size",
        ),
        (
            "Stats",
            "total_connections_received total_commands_processed \
            instantaneous_ops_per_sec total_net_input_bytes total_net_output_bytes \
            total_net_repl_input_bytes total_net_repl_output_bytes instantaneous_input_kbps \
            instantaneous_output_kbps instantaneous_input_repl_kbps \
            instantaneous_output_repl_kbps rejected_connections sync_full sync_partial_ok \
            sync_partial_err expired_keys expired_stale_perc expired_time_cap_reached_count \
            expire_cycle_cpu_milliseconds evicted_keys evicted_clients \
            total_eviction_exceeded_time current_eviction_exceeded_time keyspace_hits \
            keyspace_misses pubsub_channels pubsub_patterns pubsubshard_channels \
            latest_fork_usec total_forks migrate_cached_sockets slave_expires_tracked_keys \
            active_defrag_hits active_defrag_misses active_defrag_key_hits \
            active_defrag_key_misses total_active_defrag_time current_active_defrag_time \
            tracking_total_keys tracking_total_items tracking_total_prefixes \
            unexpected_error_replies total_error_replies dump_payload_sanitizations \
            total_reads_processed total_writes_processed io_threaded_reads_processed \
            io_threaded_writes_processed reply_buffer_shrinks reply_buffer_expands",
        ),
        (
            "Replication",
            "role connected_slaves master_failover_state master_replid \
            master_replid2 master_repl_offset second_repl_offset repl_backlog_active \
            repl_backlog_size repl_backlog_first_byte_offset repl_backlog_histlen",
        ),
        (
            "CPU",
            "used_cpu_sys used_cpu_user used_cpu_sys_children used_cpu_user_children \
            used_cpu_sys_main_thread used_cpu_user_main_thread",
        ),
        ("Modules", ""),
        ("Commandstats", ""),
        ("Errorstats", ""),
        ("Latencystats", ""),
        ("Cluster", "cluster_enabled"),
        ("Keyspace", ""),
    ];

    fn text_of(frame: Frame) -> String {
        match frame {
            Frame::Bulk(bytes) => String::from_utf8(bytes).expect("INFO is UTF-8"),
            Frame::Verbatim(format, bytes) => {
                assert_eq!(format, "txt");
                String::from_utf8(bytes).expect("INFO is UTF-8")
            }
            other => panic!("INFO replied {other:?}"),
        }
    }

    /// (title, field names) per section.
    fn sections(text: &str) -> Vec<(String, Vec<String>)> {
        let mut sections: Vec<(String, Vec<String>)> = Vec::new();
        for line in text.split("\r\n") {
            if let Some(title) = line.strip_prefix("# ") {
                sections.push((title.to_string(), Vec::new()));
            } else if let Some((name, _)) = line.split_once(':') {
                sections
                    .last_mut()
                    .expect("field before header")
                    .1
                    .push(name.to_string());
            }
        }
        sections
    }

    fn value_of(text: &str, field: &str) -> String {
        text.split("\r\n")
            .find_map(|line| line.strip_prefix(&format!("{field}:")).map(str::to_string))
            .unwrap_or_else(|| panic!("no field {field}"))
    }

    #[test]
    fn info_all_has_redis_fields_in_order() {
        let mut node = TestNode::new();
        let text = text_of(node.run("INFO all"));
        let got = sections(&text);
        let expected: Vec<(String, Vec<String>)> = ORACLE_FIELDS
            .iter()
            .map(|(title, fields)| {
                let fields = fields.split_whitespace().map(str::to_string).collect();
                (title.to_string(), fields)
            })
            .collect();
        assert_eq!(got, expected);
        assert!(text.starts_with("# Server\r\nredis_version:7.0.15\r\n"));
        assert!(text.contains("\r\n\r\n# Clients\r\n"));
        assert!(text.ends_with("# Keyspace\r\n"));
        assert_eq!(value_of(&text, "shoal_version"), crate::SHOAL_VERSION);
    }

    #[test]
    fn cpu_times_and_instantaneous_rates() {
        let mut node = TestNode::new();
        node.engine.node.cpu = crate::node::CpuReport {
            sys_us: 1_500_000,
            user_us: 2_000_001,
            children_sys_us: 0,
            children_user_us: 7,
            main_thread_sys_us: 1_400_000,
            main_thread_user_us: 1_999_999,
        };
        let text = text_of(node.run("INFO cpu"));
        assert_eq!(value_of(&text, "used_cpu_sys"), "1.500000");
        assert_eq!(value_of(&text, "used_cpu_user"), "2.000001");
        assert_eq!(value_of(&text, "used_cpu_sys_children"), "0.000000");
        assert_eq!(value_of(&text, "used_cpu_user_children"), "0.000007");
        assert_eq!(value_of(&text, "used_cpu_sys_main_thread"), "1.400000");
        assert_eq!(value_of(&text, "used_cpu_user_main_thread"), "1.999999");

        // 10 ticks 100 ms apart with 50 commands and 51200 input bytes
        // between each: 500 commands/s and 500 KiB/s over 10 of 16 samples.
        node.engine.tick(node.now_ms);
        for _ in 0..10 {
            for _ in 0..50 {
                node.run("PING");
            }
            node.engine.node.stats.net_input_bytes += 51_200;
            node.advance_ms(100);
            node.engine.tick(node.now_ms);
        }
        let text = text_of(node.run("INFO stats"));
        assert_eq!(value_of(&text, "instantaneous_ops_per_sec"), "312");
        assert_eq!(value_of(&text, "instantaneous_input_kbps"), "312.50");
        assert_eq!(value_of(&text, "instantaneous_output_kbps"), "0.00");
    }

    #[test]
    fn default_sections_and_selection() {
        let mut node = TestNode::new();
        let titles = |text: &str| -> Vec<String> {
            sections(text).into_iter().map(|(title, _)| title).collect()
        };
        let default = [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace",
        ];
        assert_eq!(titles(&text_of(node.run("INFO"))), default);
        assert_eq!(titles(&text_of(node.run("INFO default"))), default);
        assert_eq!(titles(&text_of(node.run("INFO everything"))).len(), 13);
        // Order is Redis's, whatever the order asked; repeats count once.
        assert_eq!(
            titles(&text_of(node.run("INFO keyspace SERVER server"))),
            ["Server", "Keyspace"]
        );
        assert_eq!(
            titles(&text_of(node.run("INFO commandstats default"))),
            [
                "Server",
                "Clients",
                "Memory",
                "Persistence",
                "Stats",
                "Replication",
                "CPU",
                "Modules",
                "Commandstats",
                "Errorstats",
                "Cluster",
                "Keyspace"
            ]
        );
        assert_eq!(node.run("INFO nosuch"), Frame::Bulk(Vec::new()));
        assert_eq!(text_of(node.run("INFO modules")), "# Modules\r\n");
        assert_eq!(text_of(node.run("INFO keyspace")), "# Keyspace\r\n");
        assert_eq!(
            text_of(node.run("INFO server modules"))
                .matches("\r\n\r\n# Modules")
                .count(),
            1
        );
    }

    #[test]
    fn resp3_is_verbatim() {
        let mut node = TestNode::new();
        node.run("HELLO 3");
        assert_eq!(
            node.run("INFO cluster"),
            Frame::Verbatim("txt".into(), b"# Cluster\r\ncluster_enabled:0\r\n".to_vec())
        );
    }

    #[test]
    fn server_fields_come_from_the_node() {
        let mut node = TestNode::new();
        node.engine.node.process.pid = 4242;
        node.engine.node.process.tcp_port = 7001;
        node.engine.node.process.os = "Linux 6.1 x86_64".into();
        node.advance_ms(90_061_000);
        let text = text_of(node.run("INFO server"));
        assert_eq!(value_of(&text, "process_id"), "4242");
        assert_eq!(value_of(&text, "tcp_port"), "7001");
        assert_eq!(value_of(&text, "os"), "Linux 6.1 x86_64");
        assert_eq!(value_of(&text, "uptime_in_seconds"), "90061");
        assert_eq!(value_of(&text, "uptime_in_days"), "1");
        assert_eq!(value_of(&text, "run_id"), node.engine.node.run_id);
        assert_eq!(value_of(&text, "redis_mode"), "standalone");
        assert_eq!(
            value_of(&text, "server_time_usec"),
            (node.now_ms * 1000).to_string()
        );
        assert_eq!(
            value_of(&text, "lru_clock"),
            ((node.now_ms / 1000) % (1 << 24)).to_string()
        );
    }

    #[test]
    fn stats_and_commandstats_count() {
        let mut node = TestNode::new();
        node.run("PING");
        node.run("PING");
        node.run("NOSUCHCOMMAND");
        node.run("SELECT x");
        node.engine.node.dirty = 7;
        let text = text_of(node.run("INFO everything"));
        assert_eq!(value_of(&text, "total_commands_processed"), "3");
        assert_eq!(value_of(&text, "total_error_replies"), "2");
        assert_eq!(value_of(&text, "rdb_changes_since_last_save"), "7");
        assert_eq!(value_of(&text, "connected_clients"), "1");
        assert_eq!(
            value_of(&text, "cmdstat_ping"),
            "calls=2,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0"
        );
        assert_eq!(
            value_of(&text, "cmdstat_select"),
            "calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1"
        );
        assert_eq!(value_of(&text, "errorstat_ERR"), "count=2");
    }

    /// Durations land in HDR buckets as in Redis (30 us prints 30.079); the
    /// percentiles follow `latency-tracking-info-percentiles`; RESETSTAT and
    /// `latency-tracking no` clear and stop it.
    #[test]
    fn latencystats_print_recorded_percentiles() {
        let mut node = TestNode::new();
        node.run("SET k v");
        node.record_duration(30);
        node.run("GET k");
        node.record_duration(1);
        node.run("GET k");
        node.record_duration(82);
        let text = text_of(node.run("INFO latencystats"));
        assert_eq!(
            value_of(&text, "latency_percentiles_usec_set"),
            "p50=30.079,p99=30.079,p99.9=30.079"
        );
        assert_eq!(
            value_of(&text, "latency_percentiles_usec_get"),
            "p50=1.003,p99=82.431,p99.9=82.431"
        );
        node.run("CONFIG SET latency-tracking-info-percentiles \"0 12.5 100\"");
        let text = text_of(node.run("INFO latencystats"));
        assert_eq!(
            value_of(&text, "latency_percentiles_usec_get"),
            "p0=1.000,p12.5=1.003,p100=82.431"
        );
        node.run("CONFIG RESETSTAT");
        node.run("CONFIG SET latency-tracking no");
        node.run("GET k");
        node.record_duration(5);
        let text = text_of(node.run("INFO latencystats"));
        assert!(!text.contains("latency_percentiles_usec_"), "{text}");
        assert!(text.starts_with("# Latencystats"), "{text}");
    }

    #[test]
    fn usec_per_call_is_float_division() {
        let mut node = TestNode::new();
        node.run("PING");
        node.record_duration(10);
        node.run("PING");
        node.record_duration(10);
        node.run("PING");
        node.record_duration(9);
        let text = text_of(node.run("INFO commandstats"));
        assert_eq!(
            value_of(&text, "cmdstat_ping"),
            "calls=3,usec=29,usec_per_call=9.67,rejected_calls=0,failed_calls=0"
        );
    }

    #[test]
    fn memory_fields_from_report() {
        let mut node = TestNode::new();
        node.engine.node.memory.used_memory_bytes = 940_968;
        node.engine.node.memory.used_memory_rss_bytes = 12_029_952;
        node.engine.node.memory.allocator_active_bytes = 1_826_816;
        node.engine.node.memory.allocator_resident_bytes = 4_497_408;
        let text = text_of(node.run("INFO memory"));
        assert_eq!(value_of(&text, "used_memory"), "940968");
        assert_eq!(value_of(&text, "used_memory_human"), "918.91K");
        assert_eq!(value_of(&text, "used_memory_rss_human"), "11.47M");
        assert_eq!(value_of(&text, "used_memory_peak"), "940968");
        assert_eq!(value_of(&text, "used_memory_peak_perc"), "100.00%");
        assert_eq!(value_of(&text, "mem_fragmentation_ratio"), "12.78");
        assert_eq!(value_of(&text, "mem_fragmentation_bytes"), "11088984");
        assert_eq!(value_of(&text, "maxmemory_human"), "0B");
        assert_eq!(value_of(&text, "maxmemory_policy"), "noeviction");
        // The peak sticks when usage drops.
        node.engine.node.memory.used_memory_bytes = 470_484;
        let text = text_of(node.run("INFO memory"));
        assert_eq!(value_of(&text, "used_memory_peak"), "940968");
        assert_eq!(value_of(&text, "used_memory_peak_perc"), "50.00%");
    }

    #[test]
    fn human_sizes_match_redis() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(940_968), "918.91K");
        assert_eq!(bytes_to_human(12_029_952), "11.47M");
        assert_eq!(bytes_to_human(25_276_514_304), "23.54G");
        assert_eq!(bytes_to_human(1 << 40), "1.00T");
        assert_eq!(bytes_to_human(1 << 50), "1.00P");
        assert_eq!(bytes_to_human(u64::MAX), format!("{}B", u64::MAX));
    }

    #[test]
    fn lru_clock_wraps() {
        assert_eq!(lru_clock(0), 0);
        assert_eq!(lru_clock((1 << 24) * 1000 + 5_999), 5);
    }
}
