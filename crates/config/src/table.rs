//! The static table of every Redis 7.0.15 configuration directive: canonical name, alias,
//! flags (immutable / protected / sensitive / hidden / multi-arg / deny-loading), type,
//! range and default, mirroring the `static_configs[]` table of Redis `config.c`
//! (plus the 7.0.x additions `shutdown-on-sig*`, `socket-mark-id`,
//! `replica-ignore-disk-write-errors` and `propagation-error-behavior`).
//!
//! It also records which directives Shoal actually honours ("effective").
//! It owns data only; it must never hold runtime values (those live in `Config`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// CONFIG SET refuses the directive ("can't set immutable config").
pub(crate) const IMMUTABLE: u16 = 1;
/// CONFIG SET needs `enable-protected-configs` ("can't set protected config").
pub(crate) const PROTECTED: u16 = 2;
/// The value must be redacted from SLOWLOG/MONITOR.
pub(crate) const SENSITIVE: u16 = 4;
/// Not listed by CONFIG GET patterns (exact name only).
pub(crate) const HIDDEN: u16 = 8;
/// The value is several words (config file) / space separated (CONFIG SET).
pub(crate) const MULTI_ARG: u16 = 16;
/// CONFIG SET is refused with -LOADING while a dataset is being loaded.
pub(crate) const DENY_LOADING: u16 = 32;

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

/// How a numeric directive is parsed and printed (Redis `MEMORY_CONFIG` etc.).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumFmt {
    /// Plain integer (`string2ll`).
    Int,
    /// Memory value with units (`memtoull`); printed as a plain byte count.
    Memory,
    /// Memory value or `N%` (stored as `-N`).
    MemoryPercent,
    /// Octal (`unixsocketperm`).
    Octal,
}

/// Special (hand written) directives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Special {
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyTrackingInfoPercentiles,
}

/// The type of a directive with its default and constraints.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Bool {
        default: bool,
    },
    Num {
        default: i64,
        min: i128,
        max: i128,
        /// Redis compares unsigned C types (uint, ull, size_t) as unsigned.
        unsigned: bool,
        fmt: NumFmt,
    },
    Enum {
        values: &'static [(&'static str, u32)],
        default: u32,
    },
    Str {
        default: Option<&'static str>,
        /// `EMPTY_STRING_IS_NULL`: "" is stored as "unset".
        empty_is_null: bool,
    },
    Special(Special),
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    pub(crate) name: &'static str,
    pub(crate) alias: Option<&'static str>,
    pub(crate) flags: u16,
    pub(crate) kind: Kind,
}

impl Spec {
    pub(crate) fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }
}

const fn b(name: &'static str, alias: Option<&'static str>, flags: u16, default: bool) -> Spec {
    Spec {
        name,
        alias,
        flags,
        kind: Kind::Bool { default },
    }
}

#[allow(clippy::too_many_arguments)]
const fn num(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    min: i128,
    max: i128,
    default: i64,
    unsigned: bool,
    fmt: NumFmt,
) -> Spec {
    Spec {
        name,
        alias,
        flags,
        kind: Kind::Num {
            default,
            min,
            max,
            unsigned,
            fmt,
        },
    }
}

/// Signed plain integer (int, long, long long, time_t, off_t).
const fn int(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    min: i128,
    max: i128,
    default: i64,
) -> Spec {
    num(name, alias, flags, min, max, default, false, NumFmt::Int)
}

/// Unsigned plain integer (unsigned int, size_t).
const fn uint(name: &'static str, flags: u16, min: i128, max: i128, default: i64) -> Spec {
    num(name, None, flags, min, max, default, true, NumFmt::Int)
}

const fn e(
    name: &'static str,
    flags: u16,
    values: &'static [(&'static str, u32)],
    default: u32,
) -> Spec {
    Spec {
        name,
        alias: None,
        flags,
        kind: Kind::Enum { values, default },
    }
}

const fn s(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u16,
    empty_is_null: bool,
    default: Option<&'static str>,
) -> Spec {
    Spec {
        name,
        alias,
        flags,
        kind: Kind::Str {
            default,
            empty_is_null,
        },
    }
}

const fn sp(name: &'static str, alias: Option<&'static str>, flags: u16, k: Special) -> Spec {
    Spec {
        name,
        alias,
        flags,
        kind: Kind::Special(k),
    }
}

const NULL: bool = true; // EMPTY_STRING_IS_NULL
const EMPTY: bool = false; // ALLOW_EMPTY_STRING

pub(crate) const MAXMEMORY_POLICY: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SYSLOG_FACILITY: &[(&str, u32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
const LOGLEVEL: &[(&str, u32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED: &[(&str, u32)] = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
const APPENDFSYNC: &[(&str, u32)] = &[("everysec", 2), ("always", 1), ("no", 0)];
const REPL_DISKLESS_LOAD: &[(&str, u32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
// "yes" and "relative" share a value; CONFIG GET prints the first name ("yes").
const OOM_SCORE_ADJ: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, u32)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP_PAYLOAD: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
pub(crate) const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const CLUSTER_ENDPOINT_TYPE: &[(&str, u32)] =
    &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR_BEHAVIOR: &[(&str, u32)] =
    &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
/// Bit flags (MULTI_ARG enum): SHUTDOWN_SAVE=1, NOSAVE=2, NOW=4, FORCE=8.
pub(crate) const SHUTDOWN_ON_SIG: &[(&str, u32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

/// Every directive of Redis 7.0.15, in `config.c` table order.
pub(crate) static TABLE: &[Spec] = &[
    // Bool configs
    b("rdbchecksum", None, IMMUTABLE, true),
    b("daemonize", None, IMMUTABLE, false),
    b("io-threads-do-reads", None, IMMUTABLE, false),
    b("always-show-logo", None, IMMUTABLE, false),
    b("protected-mode", None, 0, true),
    b("rdbcompression", None, 0, true),
    b("rdb-del-sync-files", None, 0, false),
    b("activerehashing", None, 0, true),
    b("stop-writes-on-bgsave-error", None, 0, true),
    b("set-proc-title", None, IMMUTABLE, true),
    b("dynamic-hz", None, 0, true),
    b("lazyfree-lazy-eviction", None, 0, false),
    b("lazyfree-lazy-expire", None, 0, false),
    b("lazyfree-lazy-server-del", None, 0, false),
    b("lazyfree-lazy-user-del", None, 0, false),
    b("lazyfree-lazy-user-flush", None, 0, false),
    b("repl-disable-tcp-nodelay", None, 0, false),
    b("repl-diskless-sync", None, 0, true),
    b("aof-rewrite-incremental-fsync", None, 0, true),
    b("no-appendfsync-on-rewrite", None, 0, false),
    b("cluster-require-full-coverage", None, 0, true),
    b("rdb-save-incremental-fsync", None, 0, true),
    b("aof-load-truncated", None, 0, true),
    b("aof-use-rdb-preamble", None, 0, true),
    b("aof-timestamp-enabled", None, 0, false),
    b(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        0,
        false,
    ),
    b("replica-lazy-flush", Some("slave-lazy-flush"), 0, false),
    b(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        0,
        true,
    ),
    b("replica-read-only", Some("slave-read-only"), 0, true),
    b(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        0,
        true,
    ),
    b("jemalloc-bg-thread", None, 0, true),
    b("activedefrag", None, 0, false),
    b("syslog-enabled", None, IMMUTABLE, false),
    b("cluster-enabled", None, IMMUTABLE, false),
    b("appendonly", None, DENY_LOADING, false),
    b("cluster-allow-reads-when-down", None, 0, false),
    b("cluster-allow-pubsubshard-when-down", None, 0, true),
    b("crash-log-enabled", None, 0, true),
    b("crash-memcheck-enabled", None, 0, true),
    b("use-exit-on-panic", None, HIDDEN, false),
    b("disable-thp", None, IMMUTABLE, true),
    b("cluster-allow-replica-migration", None, 0, true),
    b("replica-announced", None, 0, true),
    b("latency-tracking", None, 0, true),
    b("aof-disable-auto-gc", None, 0, false),
    b("replica-ignore-disk-write-errors", None, 0, false),
    // String configs
    s("aclfile", None, IMMUTABLE, EMPTY, Some("")),
    s("unixsocket", None, IMMUTABLE, NULL, None),
    s("pidfile", None, IMMUTABLE, NULL, None),
    s(
        "replica-announce-ip",
        Some("slave-announce-ip"),
        0,
        NULL,
        None,
    ),
    s("masteruser", None, SENSITIVE, NULL, None),
    s("cluster-announce-ip", None, 0, NULL, None),
    s(
        "cluster-config-file",
        None,
        IMMUTABLE,
        EMPTY,
        Some("nodes.conf"),
    ),
    s("cluster-announce-hostname", None, 0, NULL, None),
    s("syslog-ident", None, IMMUTABLE, EMPTY, Some("redis")),
    s("dbfilename", None, PROTECTED, EMPTY, Some("dump.rdb")),
    s(
        "appendfilename",
        None,
        IMMUTABLE,
        EMPTY,
        Some("appendonly.aof"),
    ),
    s(
        "appenddirname",
        None,
        IMMUTABLE,
        EMPTY,
        Some("appendonlydir"),
    ),
    s("server_cpulist", None, IMMUTABLE, NULL, None),
    s("bio_cpulist", None, IMMUTABLE, NULL, None),
    s("aof_rewrite_cpulist", None, IMMUTABLE, NULL, None),
    s("bgsave_cpulist", None, IMMUTABLE, NULL, None),
    s("ignore-warnings", None, 0, EMPTY, Some("")),
    s(
        "proc-title-template",
        None,
        0,
        EMPTY,
        Some("{title} {listen-addr} {server-mode}"),
    ),
    s("bind-source-addr", None, 0, NULL, None),
    s("logfile", None, IMMUTABLE, EMPTY, Some("")),
    // SDS configs (binary safe in Redis; stored as text here)
    s("masterauth", None, SENSITIVE, NULL, None),
    s("requirepass", None, SENSITIVE, NULL, None),
    // Enum configs
    e("supervised", IMMUTABLE, SUPERVISED, 0),
    e("syslog-facility", IMMUTABLE, SYSLOG_FACILITY, 1),
    e("repl-diskless-load", DENY_LOADING, REPL_DISKLESS_LOAD, 0),
    e("loglevel", 0, LOGLEVEL, 2),
    e("maxmemory-policy", 0, MAXMEMORY_POLICY, 7),
    e("appendfsync", 0, APPENDFSYNC, 2),
    e("oom-score-adj", 0, OOM_SCORE_ADJ, 0),
    e("acl-pubsub-default", 0, ACL_PUBSUB_DEFAULT, 0),
    e("sanitize-dump-payload", 0, SANITIZE_DUMP_PAYLOAD, 0),
    e("enable-protected-configs", IMMUTABLE, PROTECTED_ACTION, 0),
    e("enable-debug-command", IMMUTABLE, PROTECTED_ACTION, 0),
    e("enable-module-command", IMMUTABLE, PROTECTED_ACTION, 0),
    e(
        "cluster-preferred-endpoint-type",
        0,
        CLUSTER_ENDPOINT_TYPE,
        0,
    ),
    e(
        "propagation-error-behavior",
        0,
        PROPAGATION_ERROR_BEHAVIOR,
        0,
    ),
    e("shutdown-on-sigint", MULTI_ARG, SHUTDOWN_ON_SIG, 0),
    e("shutdown-on-sigterm", MULTI_ARG, SHUTDOWN_ON_SIG, 0),
    // Integer configs
    int("databases", None, IMMUTABLE, 1, INT_MAX, 16),
    int("port", None, 0, 0, 65535, 6379),
    int("io-threads", None, IMMUTABLE, 1, 128, 1),
    int("auto-aof-rewrite-percentage", None, 0, 0, INT_MAX, 100),
    int(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        0,
        0,
        INT_MAX,
        10,
    ),
    int(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        0,
        INT_MIN,
        INT_MAX,
        -2,
    ),
    int("tcp-keepalive", None, 0, 0, INT_MAX, 300),
    int("cluster-migration-barrier", None, 0, 0, INT_MAX, 1),
    int("active-defrag-cycle-min", None, 0, 1, 99, 1),
    int("active-defrag-cycle-max", None, 0, 1, 99, 25),
    int("active-defrag-threshold-lower", None, 0, 0, 1000, 10),
    int("active-defrag-threshold-upper", None, 0, 0, 1000, 100),
    int("lfu-log-factor", None, 0, 0, INT_MAX, 10),
    int("lfu-decay-time", None, 0, 0, INT_MAX, 1),
    int(
        "replica-priority",
        Some("slave-priority"),
        0,
        0,
        INT_MAX,
        100,
    ),
    int("repl-diskless-sync-delay", None, 0, 0, INT_MAX, 5),
    int("maxmemory-samples", None, 0, 1, INT_MAX, 5),
    int("maxmemory-eviction-tenacity", None, 0, 0, 100, 10),
    int("timeout", None, 0, 0, INT_MAX, 0),
    int(
        "replica-announce-port",
        Some("slave-announce-port"),
        0,
        0,
        65535,
        0,
    ),
    int("tcp-backlog", None, IMMUTABLE, 0, INT_MAX, 511),
    int("cluster-port", None, IMMUTABLE, 0, 65535, 0),
    int("cluster-announce-bus-port", None, 0, 0, 65535, 0),
    int("cluster-announce-port", None, 0, 0, 65535, 0),
    int("cluster-announce-tls-port", None, 0, 0, 65535, 0),
    int("repl-timeout", None, 0, 1, INT_MAX, 60),
    int(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        0,
        1,
        INT_MAX,
        10,
    ),
    int("list-compress-depth", None, 0, 0, INT_MAX, 0),
    int("rdb-key-save-delay", None, HIDDEN, INT_MIN, INT_MAX, 0),
    int("key-load-delay", None, HIDDEN, INT_MIN, INT_MAX, 0),
    int("active-expire-effort", None, 0, 1, 10, 1),
    int("hz", None, 0, 0, INT_MAX, 10),
    int(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        0,
        0,
        INT_MAX,
        0,
    ),
    int(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        0,
        0,
        INT_MAX,
        10,
    ),
    int("watchdog-period", None, HIDDEN, 0, INT_MAX, 0),
    int("shutdown-timeout", None, 0, 0, INT_MAX, 10),
    int("repl-diskless-sync-max-replicas", None, 0, 0, INT_MAX, 0),
    // Unsigned int configs
    uint("maxclients", 0, 1, UINT_MAX, 10000),
    num(
        "unixsocketperm",
        None,
        IMMUTABLE,
        0,
        0o777,
        0,
        true,
        NumFmt::Octal,
    ),
    uint("socket-mark-id", IMMUTABLE, 0, UINT_MAX, 0),
    // Unsigned long configs (range-checked as signed by Redis)
    int("active-defrag-max-scan-fields", None, 0, 1, LONG_MAX, 1000),
    int("slowlog-max-len", None, 0, 0, LONG_MAX, 128),
    int("acllog-max-len", None, 0, 0, LONG_MAX, 128),
    // Long long configs
    int(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        0,
        0,
        LONG_MAX,
        5000,
    ),
    int("cluster-node-timeout", None, 0, 0, LONG_MAX, 15000),
    int("slowlog-log-slower-than", None, 0, -1, LONG_MAX, 10000),
    int("latency-monitor-threshold", None, 0, 0, LONG_MAX, 0),
    num(
        "proto-max-bulk-len",
        None,
        0,
        1024 * 1024,
        LONG_MAX,
        512 * 1024 * 1024,
        false,
        NumFmt::Memory,
    ),
    int("stream-node-max-entries", None, 0, 0, LONG_MAX, 100),
    num(
        "repl-backlog-size",
        None,
        0,
        1,
        LONG_MAX,
        1024 * 1024,
        false,
        NumFmt::Memory,
    ),
    // Unsigned long long configs
    num("maxmemory", None, 0, 0, ULLONG_MAX, 0, true, NumFmt::Memory),
    num(
        "cluster-link-sendbuf-limit",
        None,
        0,
        0,
        ULLONG_MAX,
        0,
        true,
        NumFmt::Memory,
    ),
    // Size_t configs
    num(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        0,
        0,
        LONG_MAX,
        512,
        true,
        NumFmt::Int,
    ),
    uint("set-max-intset-entries", 0, 0, LONG_MAX, 512),
    num(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        0,
        0,
        LONG_MAX,
        128,
        true,
        NumFmt::Int,
    ),
    num(
        "active-defrag-ignore-bytes",
        None,
        0,
        1,
        LONG_MAX,
        100 << 20,
        true,
        NumFmt::Memory,
    ),
    num(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        0,
        0,
        LONG_MAX,
        64,
        true,
        NumFmt::Memory,
    ),
    num(
        "stream-node-max-bytes",
        None,
        0,
        0,
        LONG_MAX,
        4096,
        true,
        NumFmt::Memory,
    ),
    num(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        0,
        0,
        LONG_MAX,
        64,
        true,
        NumFmt::Memory,
    ),
    num(
        "hll-sparse-max-bytes",
        None,
        0,
        0,
        LONG_MAX,
        3000,
        true,
        NumFmt::Memory,
    ),
    uint("tracking-table-max-keys", 0, 0, LONG_MAX, 1_000_000),
    num(
        "client-query-buffer-limit",
        None,
        0,
        1024 * 1024,
        LONG_MAX,
        1024 * 1024 * 1024,
        true,
        NumFmt::Memory,
    ),
    num(
        "maxmemory-clients",
        None,
        0,
        -100,
        LONG_MAX,
        0,
        false,
        NumFmt::MemoryPercent,
    ),
    // Other numeric configs
    int("repl-backlog-ttl", None, 0, 0, LONG_MAX, 3600),
    num(
        "auto-aof-rewrite-min-size",
        None,
        0,
        0,
        LONG_MAX,
        64 << 20,
        false,
        NumFmt::Memory,
    ),
    int(
        "loading-process-events-interval-bytes",
        None,
        HIDDEN,
        1024,
        INT_MAX,
        2 << 20,
    ),
    // TLS configs (Redis built with TLS lists them; Shoal has no TLS)
    int("tls-port", None, 0, 0, 65535, 0),
    int("tls-session-cache-size", None, 0, 0, INT_MAX, 20 * 1024),
    int("tls-session-cache-timeout", None, 0, 0, INT_MAX, 300),
    b("tls-cluster", None, 0, false),
    b("tls-replication", None, 0, false),
    e("tls-auth-clients", 0, TLS_AUTH_CLIENTS, 1),
    b("tls-prefer-server-ciphers", None, 0, false),
    b("tls-session-caching", None, 0, true),
    s("tls-cert-file", None, 0, NULL, None),
    s("tls-key-file", None, 0, NULL, None),
    s("tls-key-file-pass", None, 0, NULL, None),
    s("tls-client-cert-file", None, 0, NULL, None),
    s("tls-client-key-file", None, 0, NULL, None),
    s("tls-client-key-file-pass", None, 0, NULL, None),
    s("tls-dh-params-file", None, 0, NULL, None),
    s("tls-ca-cert-file", None, 0, NULL, None),
    s("tls-ca-cert-dir", None, 0, NULL, None),
    s("tls-protocols", None, 0, NULL, None),
    s("tls-ciphers", None, 0, NULL, None),
    s("tls-ciphersuites", None, 0, NULL, None),
    // Special configs
    sp("dir", None, PROTECTED | DENY_LOADING, Special::Dir),
    sp("save", None, MULTI_ARG, Special::Save),
    sp(
        "client-output-buffer-limit",
        None,
        MULTI_ARG,
        Special::ClientOutputBufferLimit,
    ),
    sp(
        "oom-score-adj-values",
        None,
        MULTI_ARG,
        Special::OomScoreAdjValues,
    ),
    sp(
        "notify-keyspace-events",
        None,
        0,
        Special::NotifyKeyspaceEvents,
    ),
    sp("bind", None, MULTI_ARG, Special::Bind),
    sp(
        "replicaof",
        Some("slaveof"),
        IMMUTABLE | MULTI_ARG,
        Special::ReplicaOf,
    ),
    sp(
        "latency-tracking-info-percentiles",
        None,
        MULTI_ARG,
        Special::LatencyTrackingInfoPercentiles,
    ),
];

/// A resolved name: the table row and whether it was reached through the alias. Redis
/// registers aliases as separate entries, which matters for duplicate detection in CONFIG
/// SET (`slave-priority 1 replica-priority 2` is accepted) and for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) index: usize,
    pub(crate) alias: bool,
}

impl Entry {
    pub(crate) fn spec(self) -> &'static Spec {
        &TABLE[self.index]
    }

    /// The registered name (the alias itself when reached through the alias).
    pub(crate) fn registered_name(self) -> &'static str {
        let spec = self.spec();
        match (self.alias, spec.alias) {
            (true, Some(alias)) => alias,
            _ => spec.name,
        }
    }
}

fn index() -> &'static BTreeMap<&'static str, Entry> {
    static INDEX: OnceLock<BTreeMap<&'static str, Entry>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = BTreeMap::new();
        for (i, spec) in TABLE.iter().enumerate() {
            map.insert(
                spec.name,
                Entry {
                    index: i,
                    alias: false,
                },
            );
            if let Some(alias) = spec.alias {
                map.insert(
                    alias,
                    Entry {
                        index: i,
                        alias: true,
                    },
                );
            }
        }
        map
    })
}

/// Case-insensitive lookup by name or alias (hidden directives included).
pub(crate) fn lookup(name: &[u8]) -> Option<Entry> {
    let lower = String::from_utf8(name.to_ascii_lowercase()).ok()?;
    index().get(lower.as_str()).copied()
}

/// Index of a canonical name or alias, for the typed accessors.
pub(crate) fn lookup_str(name: &str) -> Option<usize> {
    lookup(name.as_bytes()).map(|e| e.index)
}

/// Directives Shoal honours today (canonical names). Everything else is accepted, stored,
/// reported by CONFIG GET and rewritten, but has no effect yet.
pub(crate) const EFFECTIVE: &[&str] = &[
    "port",
    "bind",
    "protected-mode",
    "databases",
    "requirepass",
    "maxclients",
    "timeout",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "client-output-buffer-limit",
    "hz",
    "logfile",
    "loglevel",
    "always-show-logo",
    "daemonize",
    "dir",
    "enable-debug-command",
    "enable-protected-configs",
    "tcp-keepalive",
    "tcp-backlog",
    "active-expire-effort",
    "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del",
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "latency-monitor-threshold",
    "latency-tracking",
    "latency-tracking-info-percentiles",
    // They drive the LFU counter OBJECT FREQ reports (eviction waits for
    // maxmemory).
    "lfu-log-factor",
    "lfu-decay-time",
    "notify-keyspace-events",
    "pidfile",
    "rdbcompression",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "save",
    "dbfilename",
    "cluster-enabled",
    "cluster-config-file",
    "cluster-node-timeout",
    "cluster-port",
    "cluster-replica-validity-factor",
    "cluster-migration-barrier",
    "cluster-allow-replica-migration",
    "cluster-require-full-coverage",
    "cluster-replica-no-failover",
    "cluster-allow-reads-when-down",
    "cluster-allow-pubsubshard-when-down",
    "cluster-link-sendbuf-limit",
    "cluster-announce-ip",
    "cluster-announce-port",
    "cluster-announce-bus-port",
    "cluster-announce-hostname",
    "cluster-preferred-endpoint-type",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_and_defaults_in_range() {
        let mut seen = std::collections::BTreeSet::new();
        for spec in TABLE {
            for name in std::iter::once(spec.name).chain(spec.alias) {
                assert_eq!(name, name.to_ascii_lowercase());
                assert!(seen.insert(name), "duplicate {name}");
            }
            if let Kind::Num {
                default, min, max, ..
            } = spec.kind
            {
                assert!(
                    i128::from(default) >= min && i128::from(default) <= max,
                    "{}",
                    spec.name
                );
            }
            if let Kind::Enum { values, default } = spec.kind {
                assert!(values.iter().any(|(_, v)| *v == default), "{}", spec.name);
            }
        }
    }

    #[test]
    fn effective_names_exist_and_are_canonical() {
        for name in EFFECTIVE {
            let entry = lookup(name.as_bytes()).expect(name);
            assert!(!entry.alias, "{name}");
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_resolves_aliases() {
        let e = lookup(b"SLAVEOF").unwrap();
        assert!(e.alias);
        assert_eq!(e.spec().name, "replicaof");
        assert_eq!(e.registered_name(), "slaveof");
        assert!(lookup(b"nosuch").is_none());
        assert!(lookup(b"\xff").is_none());
    }
}
