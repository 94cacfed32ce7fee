//! Crate-level tests: defaults against a real Redis 7.0.15 `CONFIG GET *`, config file
//! parsing, fatal error text, CONFIG SET/GET semantics and CONFIG REWRITE.

use super::*;
use std::collections::BTreeMap;

/// `CONFIG GET *` of redis-server 7.0.15 started without a config file (port, bind and
/// save at their compiled-in defaults; `dir` omitted because Redis prints the cwd).
const REDIS_7_0_15_DEFAULTS: &[(&str, &str)] = &[
    ("acl-pubsub-default", "resetchannels"),
    ("aclfile", ""),
    ("acllog-max-len", "128"),
    ("active-defrag-cycle-max", "25"),
    ("active-defrag-cycle-min", "1"),
    ("active-defrag-ignore-bytes", "104857600"),
    ("active-defrag-max-scan-fields", "1000"),
    ("active-defrag-threshold-lower", "10"),
    ("active-defrag-threshold-upper", "100"),
    ("active-expire-effort", "1"),
    ("activedefrag", "no"),
    ("activerehashing", "yes"),
    ("always-show-logo", "no"),
    ("aof-disable-auto-gc", "no"),
    ("aof-load-truncated", "yes"),
    ("aof-rewrite-incremental-fsync", "yes"),
    ("aof-timestamp-enabled", "no"),
    ("aof-use-rdb-preamble", "yes"),
    ("aof_rewrite_cpulist", ""),
    ("appenddirname", "appendonlydir"),
    ("appendfilename", "appendonly.aof"),
    ("appendfsync", "everysec"),
    ("appendonly", "no"),
    ("auto-aof-rewrite-min-size", "67108864"),
    ("auto-aof-rewrite-percentage", "100"),
    ("bgsave_cpulist", ""),
    ("bind", "* -::*"),
    ("bind-source-addr", ""),
    ("bio_cpulist", ""),
    ("busy-reply-threshold", "5000"),
    (
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    ("client-query-buffer-limit", "1073741824"),
    ("cluster-allow-pubsubshard-when-down", "yes"),
    ("cluster-allow-reads-when-down", "no"),
    ("cluster-allow-replica-migration", "yes"),
    ("cluster-announce-bus-port", "0"),
    ("cluster-announce-hostname", ""),
    ("cluster-announce-ip", ""),
    ("cluster-announce-port", "0"),
    ("cluster-announce-tls-port", "0"),
    ("cluster-config-file", "nodes.conf"),
    ("cluster-enabled", "no"),
    ("cluster-link-sendbuf-limit", "0"),
    ("cluster-migration-barrier", "1"),
    ("cluster-node-timeout", "15000"),
    ("cluster-port", "0"),
    ("cluster-preferred-endpoint-type", "ip"),
    ("cluster-replica-no-failover", "no"),
    ("cluster-replica-validity-factor", "10"),
    ("cluster-require-full-coverage", "yes"),
    ("cluster-slave-no-failover", "no"),
    ("cluster-slave-validity-factor", "10"),
    ("crash-log-enabled", "yes"),
    ("crash-memcheck-enabled", "yes"),
    ("daemonize", "no"),
    ("databases", "16"),
    ("dbfilename", "dump.rdb"),
    ("disable-thp", "yes"),
    ("dynamic-hz", "yes"),
    ("enable-debug-command", "no"),
    ("enable-module-command", "no"),
    ("enable-protected-configs", "no"),
    ("hash-max-listpack-entries", "512"),
    ("hash-max-listpack-value", "64"),
    ("hash-max-ziplist-entries", "512"),
    ("hash-max-ziplist-value", "64"),
    ("hll-sparse-max-bytes", "3000"),
    ("hz", "10"),
    ("ignore-warnings", ""),
    ("io-threads", "1"),
    ("io-threads-do-reads", "no"),
    ("jemalloc-bg-thread", "yes"),
    ("latency-monitor-threshold", "0"),
    ("latency-tracking", "yes"),
    ("latency-tracking-info-percentiles", "50 99 99.9"),
    ("lazyfree-lazy-eviction", "no"),
    ("lazyfree-lazy-expire", "no"),
    ("lazyfree-lazy-server-del", "no"),
    ("lazyfree-lazy-user-del", "no"),
    ("lazyfree-lazy-user-flush", "no"),
    ("lfu-decay-time", "1"),
    ("lfu-log-factor", "10"),
    ("list-compress-depth", "0"),
    ("list-max-listpack-size", "-2"),
    ("list-max-ziplist-size", "-2"),
    ("logfile", ""),
    ("loglevel", "notice"),
    ("lua-time-limit", "5000"),
    ("masterauth", ""),
    ("masteruser", ""),
    ("maxclients", "10000"),
    ("maxmemory", "0"),
    ("maxmemory-clients", "0"),
    ("maxmemory-eviction-tenacity", "10"),
    ("maxmemory-policy", "noeviction"),
    ("maxmemory-samples", "5"),
    ("min-replicas-max-lag", "10"),
    ("min-replicas-to-write", "0"),
    ("min-slaves-max-lag", "10"),
    ("min-slaves-to-write", "0"),
    ("no-appendfsync-on-rewrite", "no"),
    ("notify-keyspace-events", ""),
    ("oom-score-adj", "no"),
    ("oom-score-adj-values", "0 200 800"),
    ("pidfile", ""),
    ("port", "6379"),
    ("proc-title-template", "{title} {listen-addr} {server-mode}"),
    ("propagation-error-behavior", "ignore"),
    ("protected-mode", "yes"),
    ("proto-max-bulk-len", "536870912"),
    ("rdb-del-sync-files", "no"),
    ("rdb-save-incremental-fsync", "yes"),
    ("rdbchecksum", "yes"),
    ("rdbcompression", "yes"),
    ("repl-backlog-size", "1048576"),
    ("repl-backlog-ttl", "3600"),
    ("repl-disable-tcp-nodelay", "no"),
    ("repl-diskless-load", "disabled"),
    ("repl-diskless-sync", "yes"),
    ("repl-diskless-sync-delay", "5"),
    ("repl-diskless-sync-max-replicas", "0"),
    ("repl-ping-replica-period", "10"),
    ("repl-ping-slave-period", "10"),
    ("repl-timeout", "60"),
    ("replica-announce-ip", ""),
    ("replica-announce-port", "0"),
    ("replica-announced", "yes"),
    ("replica-ignore-disk-write-errors", "no"),
    ("replica-ignore-maxmemory", "yes"),
    ("replica-lazy-flush", "no"),
    ("replica-priority", "100"),
    ("replica-read-only", "yes"),
    ("replica-serve-stale-data", "yes"),
    ("replicaof", ""),
    ("requirepass", ""),
    ("sanitize-dump-payload", "no"),
    ("save", "3600 1 300 100 60 10000"),
    ("server_cpulist", ""),
    ("set-max-intset-entries", "512"),
    ("set-proc-title", "yes"),
    ("shutdown-on-sigint", "default"),
    ("shutdown-on-sigterm", "default"),
    ("shutdown-timeout", "10"),
    ("slave-announce-ip", ""),
    ("slave-announce-port", "0"),
    ("slave-ignore-maxmemory", "yes"),
    ("slave-lazy-flush", "no"),
    ("slave-priority", "100"),
    ("slave-read-only", "yes"),
    ("slave-serve-stale-data", "yes"),
    ("slaveof", ""),
    ("slowlog-log-slower-than", "10000"),
    ("slowlog-max-len", "128"),
    ("socket-mark-id", "0"),
    ("stop-writes-on-bgsave-error", "yes"),
    ("stream-node-max-bytes", "4096"),
    ("stream-node-max-entries", "100"),
    ("supervised", "no"),
    ("syslog-enabled", "no"),
    ("syslog-facility", "local0"),
    ("syslog-ident", "redis"),
    ("tcp-backlog", "511"),
    ("tcp-keepalive", "300"),
    ("timeout", "0"),
    ("tls-auth-clients", "yes"),
    ("tls-ca-cert-dir", ""),
    ("tls-ca-cert-file", ""),
    ("tls-cert-file", ""),
    ("tls-ciphers", ""),
    ("tls-ciphersuites", ""),
    ("tls-client-cert-file", ""),
    ("tls-client-key-file", ""),
    ("tls-client-key-file-pass", ""),
    ("tls-cluster", "no"),
    ("tls-dh-params-file", ""),
    ("tls-key-file", ""),
    ("tls-key-file-pass", ""),
    ("tls-port", "0"),
    ("tls-prefer-server-ciphers", "no"),
    ("tls-protocols", ""),
    ("tls-replication", "no"),
    ("tls-session-cache-size", "20480"),
    ("tls-session-cache-timeout", "300"),
    ("tls-session-caching", "yes"),
    ("tracking-table-max-keys", "1000000"),
    ("unixsocket", ""),
    ("unixsocketperm", "0"),
    ("zset-max-listpack-entries", "128"),
    ("zset-max-listpack-value", "64"),
    ("zset-max-ziplist-entries", "128"),
    ("zset-max-ziplist-value", "64"),
];

fn no_files(path: &str) -> std::io::Result<String> {
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("unexpected read of {path}"),
    ))
}

fn load(text: &str) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    config.load_text(text, &mut no_files)?;
    Ok(config)
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn set(config: &mut Config, pairs: &[(&str, &str)]) -> Result<Vec<&'static str>, String> {
    let pairs: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    config
        .set(&pairs, false)
        .map_err(|error| String::from_utf8_lossy(&error).into_owned())
}

fn get1(config: &Config, name: &str) -> String {
    config
        .get_one(name)
        .unwrap_or_else(|| panic!("no directive {name}"))
}

fn fatal_text(line: usize, text: &str, message: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at \
         line {line}\n>>> '{text}'\n{message}\n"
    )
}

// ------------------------------------------------------------------------ defaults ----

#[test]
fn defaults_match_redis_config_get_star() {
    let config = Config::default();
    let ours: BTreeMap<String, String> = config
        .get(&[b"*"])
        .into_iter()
        .filter(|(k, _)| k != "dir")
        .collect();
    let expected: BTreeMap<String, String> = REDIS_7_0_15_DEFAULTS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (name, value) in &expected {
        assert_eq!(ours.get(name), Some(value), "directive {name}");
    }
    for name in ours.keys() {
        assert!(expected.contains_key(name), "extra directive {name}");
    }
    assert_eq!(ours.len(), expected.len());
}

#[test]
fn typed_accessors_read_defaults() {
    let c = Config::default();
    assert_eq!(c.get_i64("port"), 6379);
    assert_eq!(c.get_i64("proto-max-bulk-len"), 512 * 1024 * 1024);
    assert_eq!(c.get_i64("client-query-buffer-limit"), 1 << 30);
    assert_eq!(c.get_i64("slave-priority"), 100);
    assert!(c.get_bool("protected-mode"));
    assert!(!c.get_bool("daemonize"));
    assert_eq!(c.get_enum("loglevel"), "notice");
    assert_eq!(c.get_enum("maxmemory-policy"), "noeviction");
    assert_eq!(c.get_enum("enable-debug-command"), "no");
    assert_eq!(c.get_str("dbfilename"), "dump.rdb");
    assert_eq!(c.get_str("cluster-config-file"), "nodes.conf");
    assert_eq!(c.save_params(), vec![(3600, 1), (300, 100), (60, 10000)]);
    assert_eq!(c.client_output_buffer_limit(ClientClass::Normal), (0, 0, 0));
    assert_eq!(
        c.client_output_buffer_limit(ClientClass::Replica),
        (256 << 20, 64 << 20, 60)
    );
    assert_eq!(
        c.client_output_buffer_limit(ClientClass::PubSub),
        (32 << 20, 8 << 20, 60)
    );
    assert_eq!(c.bind_addrs(), ["*", "-::*"]);
    assert_eq!(c.replicaof(), None);
    assert_eq!(c.dir(), "");
    assert!(!c.allows_protected("enable-protected-configs", true));
}

#[test]
fn cluster_directives_match_redis_7_0() {
    let c = Config::default();
    for (name, value) in [
        ("cluster-enabled", "no"),
        ("cluster-config-file", "nodes.conf"),
        ("cluster-node-timeout", "15000"),
        ("cluster-port", "0"),
        ("cluster-replica-validity-factor", "10"),
        ("cluster-slave-validity-factor", "10"),
        ("cluster-migration-barrier", "1"),
        ("cluster-allow-replica-migration", "yes"),
        ("cluster-require-full-coverage", "yes"),
        ("cluster-replica-no-failover", "no"),
        ("cluster-slave-no-failover", "no"),
        ("cluster-allow-reads-when-down", "no"),
        ("cluster-allow-pubsubshard-when-down", "yes"),
        ("cluster-link-sendbuf-limit", "0"),
        ("cluster-announce-ip", ""),
        ("cluster-announce-port", "0"),
        ("cluster-announce-tls-port", "0"),
        ("cluster-announce-bus-port", "0"),
        ("cluster-announce-hostname", ""),
        ("cluster-preferred-endpoint-type", "ip"),
    ] {
        assert_eq!(get1(&c, name), value, "{name}");
    }
    assert!(Config::is_immutable(b"cluster-enabled"));
    assert!(Config::is_immutable(b"cluster-port"));
    assert!(Config::is_immutable(b"cluster-config-file"));
    assert!(!Config::is_immutable(b"cluster-node-timeout"));
}

#[test]
fn effective_lists_partition_the_visible_directives() {
    assert!(Config::is_effective("port"));
    assert!(Config::is_effective("PORT"));
    assert!(Config::is_effective("cluster-slave-validity-factor"));
    assert!(!Config::is_effective("appendonly"));
    assert!(!Config::is_effective("nosuch"));
    let pending = Config::not_yet_effective();
    assert!(pending.contains(&"appendonly"));
    assert!(pending.contains(&"maxmemory"));
    assert!(!pending.contains(&"port"));
    assert!(
        !pending.contains(&"key-load-delay"),
        "hidden directives are not listed"
    );
    for name in &pending {
        assert!(!Config::is_effective(name));
    }
}

// ----------------------------------------------------------------- file parsing ----

#[test]
fn file_parsing_quotes_comments_units_and_last_one_wins() {
    let text = "# comment\n\n   \nPort 7000\nport 7001\nrequirepass \"a b\\\"c\"\n\
                masterauth 'it\\'s'\nmaxmemory 2mb\nproto-max-bulk-len 1G\n\
                client-query-buffer-limit 2MB\n  loglevel   WARNING  \r\n\
                slave-priority 5\nactiverehashing No\nbind 127.0.0.1 -::1\n\
                maxmemory-clients 10%\nunixsocketperm 700\nlist-max-ziplist-entries 5\n";
    let c = load(text).unwrap();
    assert_eq!(c.get_i64("port"), 7001);
    assert_eq!(get1(&c, "requirepass"), "a b\"c");
    assert_eq!(get1(&c, "masterauth"), "it's");
    assert_eq!(get1(&c, "maxmemory"), "2097152");
    assert_eq!(get1(&c, "proto-max-bulk-len"), "1000000000");
    assert_eq!(c.get_i64("client-query-buffer-limit"), 2 * 1024 * 1024);
    assert_eq!(c.get_enum("loglevel"), "warning");
    assert_eq!(c.get_i64("replica-priority"), 5);
    assert!(!c.get_bool("activerehashing"));
    assert_eq!(get1(&c, "bind"), "127.0.0.1 -::1");
    assert_eq!(get1(&c, "maxmemory-clients"), "10%");
    assert_eq!(c.get_i64("maxmemory-clients"), -10);
    assert_eq!(get1(&c, "unixsocketperm"), "700");
    assert_eq!(c.get_i64("unixsocketperm"), 0o700);
}

#[test]
fn file_special_directives() {
    let text =
        "save 900 1\nsave 300 10\nclient-output-buffer-limit replica 1kb 2k 3 pubsub 1mb 0 0\n\
                notify-keyspace-events KEA$\noom-score-adj-values -1 2 3\n\
                latency-tracking-info-percentiles 99.99 0.5\nreplicaof 10.0.0.1 6380\n\
                rename-command FLUSHALL \"\"\nuser alice on >pw\nsentinel\n\
                shutdown-on-sigterm force SAVE\nmymodule.opt 1\nmymodule.opt 2\n";
    let c = load(text).unwrap();
    assert_eq!(get1(&c, "save"), "900 1 300 10");
    assert_eq!(c.save_params(), vec![(900, 1), (300, 10)]);
    assert_eq!(
        get1(&c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 1024 2000 3 pubsub 1048576 0 0"
    );
    assert_eq!(get1(&c, "notify-keyspace-events"), "AKE");
    assert_eq!(
        c.notify_keyspace_events(),
        notify::ALL | notify::KEYSPACE | notify::KEYEVENT
    );
    assert_eq!(get1(&c, "oom-score-adj-values"), "-1 2 3");
    assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "99.99 0.5");
    assert_eq!(get1(&c, "replicaof"), "10.0.0.1 6380");
    assert_eq!(get1(&c, "slaveof"), "10.0.0.1 6380");
    assert_eq!(c.replicaof(), Some(("10.0.0.1", 6380)));
    assert_eq!(c.rename_commands().len(), 1);
    assert_eq!(c.rename_commands()[0].args, ["FLUSHALL", ""]);
    assert_eq!(c.rename_commands()[0].line, 8);
    assert_eq!(c.users()[0].args, ["alice", "on", ">pw"]);
    assert_eq!(get1(&c, "shutdown-on-sigterm"), "save force");
    assert_eq!(c.get_enum_bits("shutdown-on-sigterm"), 1 | 8);
    assert_eq!(
        c.module_configs(),
        [("mymodule.opt".to_string(), "2".to_string())]
    );
}

#[test]
fn save_quirks_of_redis_7_0_15() {
    // First `save` in a file replaces the defaults, later ones append, `save ""` clears.
    let c = load("save 900 1\nsave 300 10\nsave \"\"\nsave 1 2 3 4\n").unwrap();
    assert_eq!(get1(&c, "save"), "1 2 3 4");
    // Options from the command line append to what the file set (same text).
    let mut read = |_: &str| Ok("save 900 1\n".to_string());
    let c = Config::from_args(&args(&["r.conf", "--save", "7", "8"]), &mut read).unwrap();
    assert_eq!(get1(&c, "save"), "900 1 7 8");
    let c = Config::from_args(
        &args(&["--save", "7", "8", "--save", "9", "10"]),
        &mut no_files,
    )
    .unwrap();
    assert_eq!(get1(&c, "save"), "7 8 9 10");
    let c = Config::from_args(&args(&["--save", "--port", "7000"]), &mut no_files).unwrap();
    assert_eq!(get1(&c, "save"), "");
    assert_eq!(c.get_i64("port"), 7000);
    // After an include finished, Redis is no longer "reading the config file": a later
    // save line replaces the list.
    let mut read = |_: &str| Ok("timeout 5\n".to_string());
    let mut c = Config::default();
    c.load_text(
        "save 900 1\nsave 300 10\ninclude x.conf\nsave 3600 5\n",
        &mut read,
    )
    .unwrap();
    assert_eq!(get1(&c, "save"), "3600 5");
    assert_eq!(c.get_i64("timeout"), 5);
}

#[test]
fn include_reads_through_the_callback() {
    let mut seen = Vec::new();
    let mut read = |path: &str| {
        seen.push(path.to_string());
        match path {
            "/etc/a.conf" => Ok("timeout 7\ninclude /etc/b.conf\n".to_string()),
            "/etc/b.conf" => Ok("hz 20\n".to_string()),
            _ => Err(std::io::Error::from_raw_os_error(2)),
        }
    };
    let mut c = Config::default();
    c.load_text("include /etc/a.conf\nport 1234\n", &mut read)
        .unwrap();
    let err = c
        .load_text("include /nonexistent/x.conf\n", &mut read)
        .unwrap_err();
    assert_eq!(seen, ["/etc/a.conf", "/etc/b.conf", "/nonexistent/x.conf"]);
    assert_eq!(c.get_i64("timeout"), 7);
    assert_eq!(c.get_i64("hz"), 20);
    assert_eq!(c.get_i64("port"), 1234);
    assert_eq!(
        err.to_string(),
        "Fatal error, can't open config file '/nonexistent/x.conf': No such file or directory"
    );
}

#[test]
fn error_in_included_file_reports_its_own_line() {
    let mut read = |_: &str| Ok("\ntimeout abc\n".to_string());
    let mut c = Config::default();
    let err = c
        .load_text("port 1\ninclude inc.conf\n", &mut read)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        fatal_text(
            2,
            "timeout abc",
            "argument couldn't be parsed into an integer"
        )
    );
}

#[test]
fn fatal_errors_match_redis_text() {
    let cases: &[(&str, usize, &str, &str)] = &[
        (
            "port 21990\nfoo bar\n",
            2,
            "foo bar",
            "Bad directive or wrong number of arguments",
        ),
        (
            "port 21990 21991\n",
            1,
            "port 21990 21991",
            "wrong number of arguments",
        ),
        (
            "port abc\n",
            1,
            "port abc",
            "argument couldn't be parsed into an integer",
        ),
        (
            "port 99999\n",
            1,
            "port 99999",
            "argument must be between 0 and 65535 inclusive",
        ),
        (
            "maxmemory 1.5mb\n",
            1,
            "maxmemory 1.5mb",
            "argument must be a memory value",
        ),
        (
            "loglevel foo\n",
            1,
            "loglevel foo",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        (
            "# c\n\n  save \"3600 1\n",
            3,
            "save \"3600 1",
            "Unbalanced quotes in configuration line",
        ),
        (
            "save 'a'b\n",
            1,
            "save 'a'b",
            "Unbalanced quotes in configuration line",
        ),
        (
            "activerehashing maybe\n",
            1,
            "activerehashing maybe",
            "argument must be 'yes' or 'no'",
        ),
        (
            "client-output-buffer-limit normal 1 2\n",
            1,
            "client-output-buffer-limit normal 1 2",
            "Wrong number of arguments in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit master 1 2 3\n",
            1,
            "client-output-buffer-limit master 1 2 3",
            "Invalid client class specified in buffer limit configuration.",
        ),
        ("save 0 1\n", 1, "save 0 1", "Invalid save parameters"),
        (
            "sentinel foo\n",
            1,
            "sentinel foo",
            "sentinel directive while not in sentinel mode",
        ),
        (
            "notify-keyspace-events Zq\n",
            1,
            "notify-keyspace-events Zq",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        ),
        (
            "list-max-ziplist-entries 5 6\n",
            1,
            "list-max-ziplist-entries 5 6",
            "Bad directive or wrong number of arguments",
        ),
        (
            "foo.bar 1 2\n",
            1,
            "foo.bar 1 2",
            "Module config specified without value",
        ),
        (
            "oom-score-adj-values 1 2\n",
            1,
            "oom-score-adj-values 1 2",
            "wrong number of arguments",
        ),
        (
            "oom-score-adj-values 1 2 3000\n",
            1,
            "oom-score-adj-values 1 2 3000",
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
        ),
        (
            "socket-mark-id -1\n",
            1,
            "socket-mark-id -1",
            "argument must be between 0 and 4294967295 inclusive",
        ),
        (
            "include\n",
            1,
            "include",
            "Bad directive or wrong number of arguments",
        ),
        (
            "rename-command a\n",
            1,
            "rename-command a",
            "Bad directive or wrong number of arguments",
        ),
        ("maxmemory\n", 1, "maxmemory", "wrong number of arguments"),
    ];
    for (text, line, shown, message) in cases {
        let err = load(text).expect_err(text);
        assert_eq!(
            err.to_string(),
            fatal_text(*line, shown, message),
            "{text:?}"
        );
    }
}

#[test]
fn replicaof_in_cluster_mode_is_fatal_without_location() {
    let err = load("cluster-enabled yes\nreplicaof 1.2.3.4 5\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nreplicaof directive not allowed in \
         cluster mode\n"
    );
    let c = load("cluster-enabled yes\nreplicaof no one\n").unwrap();
    assert!(c.get_bool("cluster-enabled"));
}

#[test]
fn bind_without_arguments_and_hz_capping() {
    let c = load("bind\nhz 0\n").unwrap();
    assert!(c.bind_addrs().is_empty());
    assert_eq!(c.get_i64("hz"), 1);
    let c = load("hz 100000\n").unwrap();
    assert_eq!(c.get_i64("hz"), 500);
}

// ---------------------------------------------------------------- command line ----

#[test]
fn command_line_errors_have_redis_line_numbers() {
    let err = Config::from_args(
        &args(&["--port", "21991", "--bind", "127.0.0.1", "--foo", "bar"]),
        &mut no_files,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        fatal_text(
            4,
            "foo \"bar\"",
            "Bad directive or wrong number of arguments"
        )
    );

    let err = Config::from_args(
        &args(&["--port", "21991", "--foo", "bar baz", "qux"]),
        &mut no_files,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        fatal_text(
            3,
            "foo \"bar baz\" \"qux\"",
            "Bad directive or wrong number of arguments"
        )
    );

    let err =
        Config::from_args(&args(&["--port", "21991", "--maxmemory"]), &mut no_files).unwrap_err();
    assert_eq!(
        err.to_string(),
        fatal_text(3, "maxmemory", "wrong number of arguments")
    );

    let err = Config::from_args(
        &args(&["--port 21991", "--loglevel", "no\"pe"]),
        &mut no_files,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        fatal_text(
            3,
            "loglevel \"no\\\"pe\"",
            "argument(s) must be one of the following: debug, verbose, notice, warning"
        )
    );
}

#[test]
fn command_line_with_file_and_stdin() {
    let mut read = |path: &str| match path {
        "/etc/redis.conf" => Ok("port 7000\nbind 127.0.0.1\n".to_string()),
        "-" => Ok("timeout 9\n".to_string()),
        _ => Err(std::io::Error::from_raw_os_error(2)),
    };
    let c = Config::from_args(
        &args(&[
            "/etc/redis.conf",
            "--port",
            "7001",
            "--bind",
            "10.0.0.1",
            "10.0.0.2",
            "-",
        ]),
        &mut read,
    )
    .unwrap();
    assert_eq!(c.config_file(), Some("/etc/redis.conf"));
    assert_eq!(c.get_i64("port"), 7001);
    assert_eq!(c.bind_addrs(), ["10.0.0.1", "10.0.0.2"]);
    assert_eq!(c.get_i64("timeout"), 9);

    let err = Config::from_args(&args(&["/missing.conf"]), &mut read).unwrap_err();
    assert!(matches!(err, ConfigError::Open { ref path, .. } if path == "/missing.conf"));

    // Errors in the file come before the options and use the file's line numbers.
    let mut bad = |_: &str| Ok("oom-score-adj-values 1 2 3000\n".to_string());
    let err = Config::from_args(&args(&["bad.conf", "--loglevel", "nope"]), &mut bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        fatal_text(
            1,
            "oom-score-adj-values 1 2 3000",
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
        )
    );
}

#[test]
fn command_line_values_survive_quoting() {
    let c = Config::from_args(
        &args(&[
            "--requirepass",
            "p a\"ss\n",
            "--cluster-announce-hostname",
            "node-1.example",
        ]),
        &mut no_files,
    )
    .unwrap();
    assert_eq!(get1(&c, "requirepass"), "p a\"ss\n");
    assert_eq!(get1(&c, "cluster-announce-hostname"), "node-1.example");
}

// ------------------------------------------------------------------- CONFIG GET ----

#[test]
fn config_get_patterns_aliases_hidden_and_case() {
    let c = Config::default();
    assert_eq!(
        c.get(&[b"PORT"]),
        vec![("PORT".to_string(), "6379".to_string())]
    );
    assert_eq!(c.get(&[b"port", b"port"]).len(), 1);
    assert_eq!(
        c.get(&[b"PORT", b"*ort"])
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("port"))
            .count(),
        1
    );
    assert!(c.get(&[b"nosuch"]).is_empty());

    let names: Vec<String> = c.get(&[b"*ort"]).into_iter().map(|(k, _)| k).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "active-expire-effort",
            "cluster-announce-bus-port",
            "cluster-announce-port",
            "cluster-announce-tls-port",
            "cluster-port",
            "port",
            "replica-announce-port",
            "slave-announce-port",
            "tls-port"
        ]
    );

    // Aliases are separate entries for patterns; both names can be asked for.
    let both = c.get(&[b"replica-priority", b"slave-priority"]);
    assert_eq!(both.len(), 2);
    assert_eq!(
        c.get(&[b"slave-pri*"]),
        vec![("slave-priority".into(), "100".into())]
    );

    // Hidden directives need the exact name.
    assert_eq!(
        c.get(&[b"key-load-delay"]),
        vec![("key-load-delay".into(), "0".into())]
    );
    assert!(c.get(&[b"*load-delay*"]).is_empty());
    assert!(c.get(&[b"*"]).iter().all(|(k, _)| k != "use-exit-on-panic"));

    // Pattern matching is case-insensitive and returns registered names.
    assert_eq!(c.get(&[b"P*rt"]), vec![("port".into(), "6379".into())]);
}

// ------------------------------------------------------------------- CONFIG SET ----

#[test]
fn config_set_values_and_changed_names() {
    let mut c = Config::default();
    assert_eq!(set(&mut c, &[("maxmemory", "1kb")]).unwrap(), ["maxmemory"]);
    assert_eq!(get1(&c, "maxmemory"), "1024");
    set(&mut c, &[("maxmemory", "1K")]).unwrap();
    assert_eq!(get1(&c, "maxmemory"), "1000");
    set(&mut c, &[("maxmemory", "")]).unwrap();
    assert_eq!(get1(&c, "maxmemory"), "0");
    set(&mut c, &[("maxmemory", "99999999999999999999")]).unwrap();
    assert_eq!(get1(&c, "maxmemory"), "18446744073709551615");
    assert_eq!(c.get_u64("maxmemory"), u64::MAX);
    // Same value: accepted, nothing reported as changed.
    assert_eq!(
        set(&mut c, &[("timeout", "0")]).unwrap(),
        Vec::<&str>::new()
    );
    // Aliases report the canonical name.
    assert_eq!(
        set(&mut c, &[("SLAVE-PRIORITY", "7")]).unwrap(),
        ["replica-priority"]
    );
    // Alias and canonical name are different entries for duplicate detection: last wins.
    set(
        &mut c,
        &[("slave-priority", "5"), ("replica-priority", "6")],
    )
    .unwrap();
    assert_eq!(get1(&c, "slave-priority"), "6");
    set(&mut c, &[("activerehashing", "YES")]).unwrap();
    assert_eq!(get1(&c, "activerehashing"), "yes");
    set(&mut c, &[("hz", "1000")]).unwrap();
    assert_eq!(get1(&c, "hz"), "500");
    set(&mut c, &[("hz", "0")]).unwrap();
    assert_eq!(get1(&c, "hz"), "1");
    set(&mut c, &[("maxmemory-clients", "10%")]).unwrap();
    assert_eq!(get1(&c, "maxmemory-clients"), "10%");
    set(&mut c, &[("cluster-announce-hostname", "")]).unwrap();
    set(&mut c, &[("shutdown-on-sigint", "default now")]).unwrap();
    assert_eq!(get1(&c, "shutdown-on-sigint"), "now");
    set(&mut c, &[("shutdown-on-sigint", "force save default")]).unwrap();
    assert_eq!(get1(&c, "shutdown-on-sigint"), "save force");
    set(&mut c, &[("oom-score-adj", "relative")]).unwrap();
    assert_eq!(get1(&c, "oom-score-adj"), "yes");
    set(
        &mut c,
        &[("latency-tracking-info-percentiles", "1e1 .5 0x10")],
    )
    .unwrap();
    assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "10 0.5 16");
    set(
        &mut c,
        &[("client-output-buffer-limit", "replica 1k 2kb 3")],
    )
    .unwrap();
    assert_eq!(
        get1(&c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 1000 2048 3 pubsub 33554432 8388608 60"
    );
    set(&mut c, &[("save", "1 2 3 4")]).unwrap();
    assert_eq!(get1(&c, "save"), "1 2 3 4");
    set(&mut c, &[("save", "")]).unwrap();
    assert_eq!(get1(&c, "save"), "");
    assert!(c.save_params().is_empty());
    // Redis quirks observed on 7.0.15: a memory value that wraps to -1 becomes "1%", and
    // an empty "changes" word after a space parses as 0.
    set(&mut c, &[("maxmemory-clients", "18446744073709551615")]).unwrap();
    assert_eq!(get1(&c, "maxmemory-clients"), "1%");
    set(&mut c, &[("save", "100 ")]).unwrap();
    assert_eq!(get1(&c, "save"), "100 0");
    for (flags, shown) in [
        ("Ad", "A"),
        ("g$lshzxetd", "A"),
        ("KEA$", "AKE"),
        ("n", "n"),
        ("An", "A"),
        ("Anm", "Am"),
        ("", ""),
    ] {
        set(&mut c, &[("notify-keyspace-events", flags)]).unwrap();
        assert_eq!(get1(&c, "notify-keyspace-events"), shown, "{flags}");
    }
    set(&mut c, &[("bind", "")]).unwrap();
    assert_eq!(get1(&c, "bind"), "");
}

#[test]
fn config_set_errors_match_redis() {
    let mut c = Config::default();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("foo", "bar")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (
            &[("maxmemory", "abc")],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be \
             a memory value",
        ),
        (
            &[("maxmemory", "10"), ("MAXMEMORY", "20")],
            "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter",
        ),
        (
            &[("daemonize", "yes")],
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set \
             immutable config",
        ),
        (
            &[("dir", "/tmp")],
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected \
             config",
        ),
        (
            &[("dbfilename", "x.rdb")],
            "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set \
             protected config",
        ),
        (
            &[("hz", "abc")],
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be \
             parsed into an integer",
        ),
        (
            &[("hz", "-1")],
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between \
             0 and 2147483647 inclusive",
        ),
        (
            &[("maxclients", "-1")],
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be \
             between 1 and 4294967295 inclusive",
        ),
        (
            &[("proto-max-bulk-len", "10")],
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument \
             must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            &[("proto-max-bulk-len", "-1")],
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument \
             must be a memory value",
        ),
        (
            &[("maxmemory-clients", "101%")],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - \
             percentage argument must be less or equal to 100",
        ),
        (
            &[("maxmemory-clients", "-5")],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument \
             must be a memory or percent value",
        ),
        (
            &[("timeout", "01")],
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't \
             be parsed into an integer",
        ),
        (
            &[("timeout", "+1")],
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't \
             be parsed into an integer",
        ),
        (
            &[("loglevel", "foo")],
            "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must \
             be one of the following: debug, verbose, notice, warning",
        ),
        (
            &[("activerehashing", "maybe")],
            "ERR CONFIG SET failed (possibly related to argument 'activerehashing') - argument \
             must be 'yes' or 'no'",
        ),
        (
            &[("slave-priority", "abc")],
            "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument \
             couldn't be parsed into an integer",
        ),
        (
            &[("cluster-announce-hostname", "a_b")],
            "ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - \
             Hostnames may only contain alphanumeric characters, hyphens or dots",
        ),
        (
            &[("shutdown-on-sigint", "save nosave")],
            "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown \
             options SAVE and NOSAVE can't be used simultaneously",
        ),
        (
            &[("shutdown-on-sigint", "")],
            "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - \
             argument(s) must be one of the following: default, save, nosave, now, force",
        ),
        (
            &[("save", "1 2  3 4")],
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
        ),
        (
            &[("save", "0 2")],
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
        ),
        (
            &[("oom-score-adj-values", "1 2")],
            "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong \
             number of arguments",
        ),
        (
            &[("latency-tracking-info-percentiles", "101")],
            "ERR CONFIG SET failed (possibly related to argument \
             'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters \
             should sit between [0.0,100.0]",
        ),
        (
            &[("latency-tracking-info-percentiles", "  ")],
            "ERR CONFIG SET failed (possibly related to argument \
             'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles \
             parameters",
        ),
        (
            &[("client-output-buffer-limit", "normal 1 2")],
            "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - \
             Wrong number of arguments in buffer limit configuration.",
        ),
        (
            &[("bind", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17")],
            "ERR CONFIG SET failed (possibly related to argument 'bind') - Too many bind \
             addresses specified.",
        ),
        (
            &[("activedefrag", "yes")],
            "ERR CONFIG SET failed (possibly related to argument 'activedefrag') - Active \
             defragmentation cannot be enabled: it requires a Redis server compiled with a \
             modified Jemalloc like the one shipped by default with the Redis source distribution",
        ),
        // The first problem found while resolving names wins.
        (
            &[("maxmemory", "1"), ("foo", "2")],
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
        ),
        (
            &[("maxmemory", "abc"), ("foo", "1")],
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
        ),
        (
            &[("daemonize", "yes"), ("foo", "1")],
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set \
             immutable config",
        ),
        (
            &[("maxmemory", "5"), ("maxmemory", "6"), ("daemonize", "yes")],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter",
        ),
        (
            &[("dir", "/tmp"), ("dir", "/tmp")],
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected \
             config",
        ),
    ];
    let before = c.get(&[b"*"]);
    for (pairs, expected) in cases {
        assert_eq!(set(&mut c, pairs).unwrap_err(), *expected, "{pairs:?}");
    }
    assert_eq!(
        c.get(&[b"*"]),
        before,
        "failed CONFIG SET must not change anything"
    );
}

#[test]
fn config_set_is_atomic() {
    let mut c = Config::default();
    let before = c.get(&[b"*"]);
    let err = set(
        &mut c,
        &[
            ("maxmemory", "1gb"),
            ("timeout", "30"),
            ("save", "60 1"),
            ("hz", "nope"),
        ],
    )
    .unwrap_err();
    assert!(err.contains("'hz'"), "{err}");
    assert_eq!(c.get(&[b"*"]), before);
    assert_eq!(c.get_u64("maxmemory"), 0);
    assert_eq!(c.save_params(), vec![(3600, 1), (300, 100), (60, 10000)]);

    let changed = set(
        &mut c,
        &[("maxmemory", "1gb"), ("timeout", "30"), ("save", "60 1")],
    )
    .unwrap();
    assert_eq!(changed, ["maxmemory", "timeout", "save"]);
    assert_eq!(c.get_u64("maxmemory"), 1 << 30);
    assert_eq!(c.save_params(), vec![(60, 1)]);
}

#[test]
fn protected_and_loading_rules() {
    let mut c = Config::default();
    let pairs: Vec<(&[u8], &[u8])> = vec![(b"dir", b"/data"), (b"dbfilename", b"x.rdb")];
    assert_eq!(c.set(&pairs, true).unwrap(), ["dir", "dbfilename"]);
    assert_eq!(c.dir(), "/data");
    let rel: Vec<(&[u8], &[u8])> = vec![(b"dir", b"sub")];
    c.set(&rel, true).unwrap();
    assert_eq!(c.dir(), "/data/sub");
    let bad: Vec<(&[u8], &[u8])> = vec![(b"dbfilename", b"a/b.rdb")];
    assert_eq!(
        String::from_utf8(c.set(&bad, true).unwrap_err()).unwrap(),
        "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be \
         a path, just a filename"
    );
    let loading: Vec<(&[u8], &[u8])> = vec![(b"appendonly", b"yes")];
    assert_eq!(
        String::from_utf8(c.set_with(&loading, true, true).unwrap_err()).unwrap(),
        "LOADING Redis is loading the dataset in memory"
    );
    assert!(c.set_with(&loading, true, false).is_ok());

    let c = load("enable-protected-configs local\nenable-debug-command yes\n").unwrap();
    assert!(c.allows_protected("enable-protected-configs", true));
    assert!(!c.allows_protected("enable-protected-configs", false));
    assert!(c.allows_protected("enable-debug-command", false));
    assert!(!c.allows_protected("enable-module-command", true));
    assert!(Config::is_sensitive(b"requirepass"));
    assert!(Config::is_sensitive(b"MASTERAUTH"));
    assert!(!Config::is_sensitive(b"tls-key-file-pass"));
    assert!(Config::is_protected(b"dir"));
    assert!(!Config::is_protected(b"port"));
}

// --------------------------------------------------------------- CONFIG REWRITE ----

fn default_user() -> Vec<String> {
    vec!["default on nopass ~* &* +@all".to_string()]
}

#[test]
fn rewrite_matches_redis_on_a_mixed_file() {
    // Reproduces a CONFIG REWRITE observed on redis-server 7.0.15 after the file below was
    // edited behind its back (only the order of appended lines differs: Redis follows its
    // dict order, Shoal the directive table order).
    let original = "port 21994\nfoo bar\nsave \"unbalanced\nloadmodule /x/y.so\n\
                    sentinel monitor x\n  SLAVEOF 1.2.3.4 5\nMaxMemory 5\n\
                    list-max-ziplist-entries 5\ninclude foo\nuser bob on\nappendonly no\n\
                    cluster-slave-validity-factor 10\nbind 1.2.3.4\n\
                    # Generated by CONFIG REWRITE\n\n\n\ntimeout 0\nsave 3600 1 300 100 60 10000\n\
                    client-output-buffer-limit normal 0 0 0\n\
                    client-output-buffer-limit slave 1 1 1\nenable-debug-command yes";
    let mut c = Config::default();
    c.set(&[(&b"port"[..], &b"21994"[..])], false).unwrap();
    c.set_dir_resolved("/tmp/cfgwork");
    let users = default_user();
    let out = c.rewrite_with_users(Some(original), Some(&users));
    let expected = "port 21994\n# ??? foo bar\n# ??? save \"unbalanced\n\nsentinel monitor x\n\n\
                    maxmemory 0\n# ??? list-max-ziplist-entries 5\ninclude foo\n\
                    user default on nopass ~* &* +@all\nappendonly no\n\
                    cluster-replica-validity-factor 10\n\n# Generated by CONFIG REWRITE\n\n\
                    timeout 0\nsave 3600 1\nclient-output-buffer-limit normal 0 0 0\n\
                    client-output-buffer-limit replica 256mb 64mb 60\nenable-debug-command no\n\
                    dir \"/tmp/cfgwork\"\nsave 300 100\nsave 60 10000\n\
                    latency-tracking-info-percentiles 50 99 99.9\n";
    assert_eq!(out, expected);
}

#[test]
fn rewrite_updates_in_place_and_appends_changes() {
    let original = "# top comment\nport 21992\nbind 127.0.0.1\n\nsave 900 1\nsave 300 10\n\
                    daemonize no\nslave-priority 50\nmaxmemory 100mb\nrename-command DEBUG \"\"\n\
                    \x20   # indented comment\nhz 10\nhz 20\nloglevel \"notice\"\n\
                    notify-keyspace-events Ex\nlogfile \"\"\nrequirepass \"a b\"\n";
    let mut c = load(original).unwrap();
    assert_eq!(get1(&c, "save"), "900 1 300 10");
    set(
        &mut c,
        &[
            ("maxmemory-policy", "allkeys-lru"),
            ("hash-max-listpack-entries", "100"),
        ],
    )
    .unwrap();
    set(
        &mut c,
        &[
            ("client-output-buffer-limit", "pubsub 1mb 0 0"),
            ("maxmemory", "2gb"),
        ],
    )
    .unwrap();
    set(&mut c, &[("save", "3600 5")]).unwrap();
    c.set_dir_resolved("/data");
    let out = c.rewrite(Some(original));
    let expected = "# top comment\nport 21992\nbind 127.0.0.1\n\nsave 3600 5\n\ndaemonize no\n\
                    replica-priority 50\nmaxmemory 2gb\nrename-command DEBUG \"\"\n\
                    # indented comment\nhz 20\n\nloglevel notice\nnotify-keyspace-events \"xE\"\n\
                    logfile \"\"\nrequirepass \"a b\"\n\n# Generated by CONFIG REWRITE\n\
                    maxmemory-policy allkeys-lru\nhash-max-listpack-entries 100\n\
                    dir \"/data\"\nclient-output-buffer-limit pubsub 1mb 0 0\n\
                    latency-tracking-info-percentiles 50 99 99.9\n";
    assert_eq!(out, expected);

    // Round trip: loading the rewritten file gives the same values.
    let reloaded = load(&out).unwrap();
    let mut a = c.get(&[b"*"]);
    let mut b = reloaded.get(&[b"*"]);
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // Rewriting again keeps the values. (Not byte-stable, exactly like Redis: lines are
    // reused per directive, so the pubsub line is taken over by the `normal` class and
    // the pubsub limit is appended again.)
    let again = reloaded.rewrite(Some(&out));
    assert!(
        again.contains("\nclient-output-buffer-limit normal 0 0 0\n"),
        "{again}"
    );
    let mut c2 = load(&again).unwrap().get(&[b"*"]);
    c2.sort();
    assert_eq!(a, c2);
}

/// Redis's introspection.tcl "CONFIG REWRITE handles alias config
/// properly": an alias line is filed under the canonical name, so the
/// rewrite replaces the first of them and drops the other, in either order.
#[test]
fn rewrite_replaces_alias_lines_with_the_canonical_one() {
    for original in [
        "hash-max-listpack-entries 20\nhash-max-ziplist-entries 21\n",
        "hash-max-ziplist-entries 20\nhash-max-listpack-entries 21\n",
    ] {
        let mut c = load(original).unwrap();
        assert_eq!(get1(&c, "hash-max-listpack-entries"), "21");
        set(&mut c, &[("hash-max-listpack-entries", "100")]).unwrap();
        let out = c.rewrite(Some(original));
        assert!(
            out.starts_with("hash-max-listpack-entries 100\n\n"),
            "{out}"
        );
        assert!(!out.contains("ziplist"), "{out}");
        assert_eq!(
            get1(&load(&out).unwrap(), "hash-max-listpack-entries"),
            "100"
        );
    }
}

#[test]
fn rewrite_formats_like_redis() {
    let original = "port 21994\nunixsocketperm 700\nbind 127.0.0.1 -::1\n";
    let mut c = load(original).unwrap();
    set(
        &mut c,
        &[
            ("save", ""),
            ("oom-score-adj-values", "1 2 3"),
            ("replica-announce-ip", "a b\"c"),
            ("maxmemory-clients", "5%"),
            ("repl-backlog-size", "1gb"),
            ("masterauth", "x"),
            ("ignore-warnings", "y"),
            ("latency-tracking-info-percentiles", ""),
            ("shutdown-on-sigterm", "save now"),
            ("maxmemory", "1023"),
            ("client-query-buffer-limit", "1048577"),
            ("proto-max-bulk-len", "3mb"),
            ("slowlog-log-slower-than", "-1"),
        ],
    )
    .unwrap();
    c.set_dir_resolved("/tmp/cfgwork");
    let users = default_user();
    let out = c.rewrite_with_users(Some(original), Some(&users));
    let expected = "port 21994\nunixsocketperm 700\nbind 127.0.0.1 -::1\n\n\
                    # Generated by CONFIG REWRITE\nreplica-announce-ip \"a b\\\"c\"\n\
                    ignore-warnings \"y\"\nmasterauth \"x\"\nshutdown-on-sigterm save now\n\
                    slowlog-log-slower-than -1\nproto-max-bulk-len 3mb\nrepl-backlog-size 1gb\n\
                    maxmemory 1023\nclient-query-buffer-limit 1048577\nmaxmemory-clients 5%\n\
                    dir \"/tmp/cfgwork\"\nsave \"\"\noom-score-adj-values 1 2 3\n\
                    latency-tracking-info-percentiles \"\"\n\
                    user default on nopass ~* &* +@all\n";
    assert_eq!(out, expected);
    let reloaded = load(&out).unwrap();
    assert_eq!(get1(&reloaded, "replica-announce-ip"), "a b\"c");
    assert_eq!(get1(&reloaded, "save"), "");
    assert_eq!(get1(&reloaded, "maxmemory-clients"), "5%");
    assert_eq!(get1(&reloaded, "latency-tracking-info-percentiles"), "");
}

#[test]
fn rewrite_without_file_writes_only_non_defaults() {
    let c = Config::default();
    assert_eq!(
        c.rewrite(None),
        "# Generated by CONFIG REWRITE\nsave 3600 1\nsave 300 100\nsave 60 10000\n\
         latency-tracking-info-percentiles 50 99 99.9\n"
    );
    let mut c = Config::default();
    set(
        &mut c,
        &[
            ("bind", "127.0.0.1"),
            ("port", "7000"),
            ("slave-priority", "1"),
        ],
    )
    .unwrap();
    let out = c.rewrite(Some(""));
    assert!(out.contains("\nport 7000\n"));
    assert!(out.contains("\nbind 127.0.0.1\n"));
    assert!(out.contains("\nreplica-priority 1\n"));
    assert!(!out.contains("slave-priority"));
    // Default bind lines in the file are dropped.
    let mut c = Config::default();
    set(&mut c, &[("save", "")]).unwrap();
    let out = c.rewrite(Some("bind * -::*\nsave 1 1\nsave 2 2\n"));
    assert_eq!(
        out,
        "\nsave \"\"\n\n# Generated by CONFIG REWRITE\nlatency-tracking-info-percentiles 50 99 \
         99.9\n"
    );
}

#[test]
fn rewrite_replicaof_and_users() {
    let c = load("replicaof 10.0.0.1 6380\nuser alice on\n").unwrap();
    let out = c.rewrite(Some("slaveof 1.1.1.1 1\nuser alice on\n"));
    assert!(
        out.starts_with("replicaof 10.0.0.1 6380\nuser alice on\n"),
        "{out}"
    );
    let c = load("aclfile /etc/users.acl\n").unwrap();
    let out = c.rewrite(Some("aclfile /etc/users.acl\nuser alice on\n"));
    assert!(out.starts_with("aclfile \"/etc/users.acl\"\n\n"), "{out}");
    assert!(!out.contains("user alice"));
}

#[test]
fn bad_input_never_panics() {
    let mut c = Config::default();
    for text in [
        "\"",
        "'",
        "\\",
        "port \"\\x",
        "port \"\\xZZ\"",
        "\u{0}",
        "\x0b\n",
        "a\"b\"c",
        "#",
        "save",
        "save 1",
        "bind \"\"",
        "replicaof a b",
        "replicaof a -1",
        "client-output-buffer-limit normal 1 2 -1",
        "client-output-buffer-limit normal x 2 3",
        "latency-tracking-info-percentiles nan",
        "unixsocketperm 8",
        "unixsocketperm -1",
        "proc-title-template {",
        "proc-title-template {x}",
        "proc-title-template {title}",
        "dbfilename a\\b",
        "appendfilename \"\"",
        "appenddirname /x",
        "x.y",
    ] {
        let _ = c.load_text(text, &mut no_files);
        let _ = c.rewrite(Some(text));
    }
    let weird: Vec<(&[u8], &[u8])> = vec![(b"\xff\xfe", b"\xff"), (b"", b"")];
    assert!(c.set(&weird, true).is_err());
    let weird: Vec<(&[u8], &[u8])> = vec![(b"requirepass", b"\xff\x00")];
    assert!(c.set(&weird, true).is_ok());
    let _ = c.get(&[b"[", b"\\", b"[a-", b"*\xff*"]);
    assert_eq!(
        load("unixsocketperm 8\n").unwrap_err().to_string(),
        fatal_text(
            1,
            "unixsocketperm 8",
            "argument couldn't be parsed as an octal number"
        )
    );
    assert_eq!(
        load("unixsocketperm 1000\n").unwrap_err().to_string(),
        fatal_text(
            1,
            "unixsocketperm 1000",
            "argument must be between 0 and 777 inclusive"
        )
    );
    assert_eq!(
        load("proc-title-template {title}\n")
            .unwrap_err()
            .to_string(),
        fatal_text(
            1,
            "proc-title-template {title}",
            "template format is invalid or contains unknown variables"
        )
    );
    assert!(load("proc-title-template \"{title} {port}\"\n").is_ok());
    assert_eq!(
        load("replicaof a -1\n").unwrap_err().to_string(),
        fatal_text(1, "replicaof a -1", "Invalid master port")
    );
}

/// A multi-argument directive given one quoted argument is split again, as
/// Redis does for `--client-output-buffer-limit "pubsub 32mb 8mb 60"`.
#[test]
fn lone_argument_of_multi_arg_directive_is_split() {
    let c = load(
        "client-output-buffer-limit \"pubsub 1mb 256kb 30\"\nsave \"900 1 300 10\"\n\
         oom-score-adj-values \"0 200 800\"\n",
    )
    .unwrap();
    assert_eq!(
        c.client_output_buffer_limit(ClientClass::PubSub),
        (1024 * 1024, 256 * 1024, 30)
    );
    assert_eq!(get1(&c, "save"), "900 1 300 10");
    assert_eq!(get1(&c, "oom-score-adj-values"), "0 200 800");
    // An empty lone argument stays one (empty) argument: `save ""`.
    assert_eq!(get1(&load("save \"\"\n").unwrap(), "save"), "");
    assert!(load("client-output-buffer-limit \"pubsub 1mb\"\n").is_err());
}
