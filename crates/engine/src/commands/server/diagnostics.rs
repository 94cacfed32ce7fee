//! SLOWLOG, LATENCY and MEMORY: reports over what the node already records
//! (the slow log and latency monitor fed by `Engine::record_duration`, the
//! allocator figures the shell stores in `node.memory`, the keyspace's own
//! size estimates).
//!
//! Nothing here measures time or memory itself. LATENCY DOCTOR and GRAPH
//! render their text in `crate::latency_report`.

use crate::context::Ctx;
use crate::error::CommandError;
use crate::latency_report::{self, DoctorFacts};
use crate::table::{CommandResult, CommandSpec, Flags, KeySpec};

use super::info::MemoryFigures;
use super::{
    sub_row, subcommand_syntax_error, ADMIN_ACL, ADMIN_FLAGS, ADMIN_LOADING_STALE, LOADING_STALE,
    SLOW_ACL,
};

/// SLOWLOG's subcommand rows.
pub(super) const SLOWLOG_SUBCOMMANDS: &[CommandSpec] = &[
    sub_row(
        "slowlog|get",
        -2,
        ADMIN_LOADING_STALE,
        ADMIN_ACL,
        "Get the slow log's entries",
        "2.2.12",
        "O(N) where N is the number of entries returned",
        slowlog_get,
    ),
    sub_row(
        "slowlog|len",
        2,
        ADMIN_LOADING_STALE,
        ADMIN_ACL,
        "Get the slow log's length",
        "2.2.12",
        "O(1)",
        slowlog_len,
    ),
    sub_row(
        "slowlog|reset",
        2,
        ADMIN_LOADING_STALE,
        ADMIN_ACL,
        "Clear all entries from the slow log",
        "2.2.12",
        "O(N) where N is the number of entries in the slowlog",
        slowlog_reset,
    ),
    sub_row(
        "slowlog|help",
        2,
        LOADING_STALE,
        SLOW_ACL,
        "Show helpful text about the different subcommands",
        "6.2.0",
        "O(1)",
        slowlog_help,
    ),
];

/// LATENCY's subcommand rows.
pub(super) const LATENCY_SUBCOMMANDS: &[CommandSpec] = &[
    sub_row(
        "latency|doctor",
        2,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Return a human readable latency analysis report.",
        "2.8.13",
        "O(1)",
        latency_doctor,
    ),
    sub_row(
        "latency|graph",
        3,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Return a latency graph for the event.",
        "2.8.13",
        "O(1)",
        latency_graph,
    ),
    sub_row(
        "latency|latest",
        2,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Return the latest latency samples for all events.",
        "2.8.13",
        "O(1)",
        latency_latest,
    ),
    sub_row(
        "latency|history",
        3,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Return timestamp-latency samples for the event.",
        "2.8.13",
        "O(1)",
        latency_history,
    ),
    sub_row(
        "latency|reset",
        -2,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Reset latency data for one or more events.",
        "2.8.13",
        "O(1)",
        latency_reset,
    ),
    sub_row(
        "latency|histogram",
        -2,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "Return the cumulative distribution of latencies of a subset of commands or all.",
        "7.0.0",
        "O(N) where N is the number of commands with latency information being retrieved.",
        latency_histogram,
    ),
    sub_row(
        "latency|help",
        2,
        LOADING_STALE,
        SLOW_ACL,
        "Show helpful text about the different subcommands.",
        "2.8.13",
        "O(1)",
        latency_help,
    ),
];

const ALLOCATOR_DEPENDENT: &str = "Depends on how much memory is allocated, could be slow";

/// MEMORY's subcommand rows.
pub(super) const MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    sub_row(
        "memory|doctor",
        2,
        Flags::NONE,
        SLOW_ACL,
        "Outputs memory problems report",
        "4.0.0",
        "O(1)",
        memory_doctor,
    ),
    sub_row(
        "memory|malloc-stats",
        2,
        Flags::NONE,
        SLOW_ACL,
        "Show allocator internal stats",
        "4.0.0",
        ALLOCATOR_DEPENDENT,
        memory_malloc_stats,
    ),
    sub_row(
        "memory|purge",
        2,
        Flags::NONE,
        SLOW_ACL,
        "Ask the allocator to release memory",
        "4.0.0",
        ALLOCATOR_DEPENDENT,
        memory_purge,
    ),
    sub_row(
        "memory|stats",
        2,
        Flags::NONE,
        SLOW_ACL,
        "Show memory usage details",
        "4.0.0",
        "O(1)",
        memory_stats,
    ),
    CommandSpec {
        name: "memory|usage",
        arity: -3,
        flags: Flags::READONLY,
        acl_categories: &["read", "slow"],
        keys: KeySpec::Range {
            first: 2,
            last: 2,
            step: 1,
        },
        group: "server",
        summary: "Estimate the memory usage of a key",
        since: "4.0.0",
        complexity: "O(N) where N is the number of samples.",
        handler: Some(memory_usage),
        subcommands: &[],
    },
    sub_row(
        "memory|help",
        2,
        LOADING_STALE,
        SLOW_ACL,
        "Show helpful text about the different subcommands",
        "4.0.0",
        "O(1)",
        memory_help,
    ),
];

/// SLOWLOG GET [count]: newest first, 10 by default, -1 for all.
fn slowlog_get(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.args.len() > 3 {
        return Err(subcommand_syntax_error(ctx));
    }
    let mut count = 10usize;
    if ctx.args.len() == 3 {
        let requested = shoal_resp::parse_i64_strict(ctx.arg(2))
            .filter(|count| *count >= -1)
            .ok_or_else(|| CommandError::err("count should be greater than or equal to -1"))?;
        count = usize::try_from(requested).unwrap_or(usize::MAX);
    }
    let entries: Vec<_> = ctx.node.slowlog.entries().take(count).collect();
    let out = &mut *ctx.out;
    out.array(entries.len());
    for entry in entries {
        out.array(6);
        out.integer(entry.id as i64);
        out.integer(entry.time_seconds);
        out.integer(entry.duration_us);
        out.bulk_array(entry.args.iter());
        out.bulk(entry.peer.as_bytes());
        out.bulk(&entry.client_name);
    }
    Ok(())
}

fn slowlog_len(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.out.integer(ctx.node.slowlog.len() as i64);
    Ok(())
}

fn slowlog_reset(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.node.slowlog.reset();
    ctx.out.ok();
    Ok(())
}

fn slowlog_help(ctx: &mut Ctx<'_>) -> CommandResult {
    const LINES: &[&str] = &[
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ];
    crate::commands::connection::write_help(ctx, LINES);
    Ok(())
}

/// LATENCY HISTOGRAM [command ...] (Redis 7.0 `latencyAllCommandsFillCDF`
/// / `latencySpecificCommandsFillCDF`): per command with recorded
/// latencies, its calls and cumulative `histogram_usec`. A container name
/// stands for its subcommands; unknown names and commands without data are
/// left out.
fn latency_histogram(ctx: &mut Ctx<'_>) -> CommandResult {
    let wanted: Vec<String> = ctx.args[2..]
        .iter()
        .map(|name| String::from_utf8_lossy(name).to_ascii_lowercase())
        .collect();
    let selected: Vec<(&str, &crate::latency_histogram::LatencyHistogram)> = ctx
        .node
        .stats
        .commands
        .iter()
        .filter_map(|(name, stats)| Some((*name, stats.latency.as_deref()?)))
        .filter(|(name, _)| {
            wanted.is_empty()
                || wanted.iter().any(|want| {
                    name == want
                        || name
                            .strip_prefix(want.as_str())
                            .is_some_and(|rest| rest.starts_with('|'))
                })
        })
        .collect();
    ctx.out.map(selected.len());
    for (name, histogram) in selected {
        ctx.out.bulk(name.as_bytes());
        ctx.out.map(2);
        ctx.out.bulk(b"calls");
        ctx.out.integer(histogram.total() as i64);
        ctx.out.bulk(b"histogram_usec");
        let steps = histogram.cumulative_steps();
        ctx.out.map(steps.len());
        for (micros, cumulative) in steps {
            ctx.out.integer(micros as i64);
            ctx.out.integer(cumulative as i64);
        }
    }
    Ok(())
}

/// LATENCY LATEST: per event, the latest sample and the all-time maximum.
fn latency_latest(ctx: &mut Ctx<'_>) -> CommandResult {
    let events: Vec<_> = ctx
        .node
        .latency
        .events()
        .filter_map(|(name, event)| event.samples.back().map(|last| (name, last, event.max_ms)))
        .collect();
    let out = &mut *ctx.out;
    out.array(events.len());
    for (name, last, max_ms) in events {
        out.array(4);
        out.bulk(name.as_bytes());
        out.integer(last.time_seconds);
        out.integer(last.latency_ms as i64);
        out.integer(max_ms as i64);
    }
    Ok(())
}

/// LATENCY HISTORY event: (time, latency) pairs, oldest first; an unknown
/// event has an empty history.
fn latency_history(ctx: &mut Ctx<'_>) -> CommandResult {
    let name = String::from_utf8_lossy(ctx.arg(2)).into_owned();
    let samples: Vec<_> = ctx
        .node
        .latency
        .event(&name)
        .map(|event| event.samples.iter().copied().collect())
        .unwrap_or_default();
    ctx.out.array(samples.len());
    for sample in samples {
        ctx.out.array(2);
        ctx.out.integer(sample.time_seconds);
        ctx.out.integer(sample.latency_ms as i64);
    }
    Ok(())
}

/// LATENCY RESET [event ...]: how many events were reset.
fn latency_reset(ctx: &mut Ctx<'_>) -> CommandResult {
    let names: Vec<String> = ctx.args[2..]
        .iter()
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect();
    let reset = ctx.node.latency.reset(&names);
    ctx.out.integer(reset as i64);
    Ok(())
}

/// LATENCY DOCTOR (Redis `createLatencyReport`): the human readable
/// analysis of the recorded events, a verbatim `txt` string.
fn latency_doctor(ctx: &mut Ctx<'_>) -> CommandResult {
    let facts = DoctorFacts {
        latency_monitor_threshold_ms: ctx.node.limits.latency_monitor_threshold_ms,
        slowlog_log_slower_than_us: ctx.node.config.get_i64("slowlog-log-slower-than"),
        // The shell does not measure the process's AnonHugePages, so the
        // transparent huge pages advice never shows.
        anon_huge_pages_bytes: 0,
    };
    let report = latency_report::doctor_report(&ctx.node.latency, &facts, now_seconds(ctx));
    ctx.out.verbatim("txt", report.as_bytes());
    Ok(())
}

/// LATENCY GRAPH event (Redis `latencyCommandGenSparkeline`): an ASCII
/// graph of the event's samples, a verbatim `txt` string. The event name
/// matches exactly (Redis's latency dictionary is case-sensitive).
fn latency_graph(ctx: &mut Ctx<'_>) -> CommandResult {
    let now_seconds = now_seconds(ctx);
    let argument = ctx.arg(2);
    let graph = std::str::from_utf8(argument)
        .ok()
        .and_then(|name| ctx.node.latency.event(name).map(|event| (name, event)))
        .map(|(name, event)| latency_report::graph(name, event, now_seconds))
        .ok_or_else(|| {
            CommandError::err_with_arg("No samples available for event '", argument, "'")
        })?;
    ctx.out.verbatim("txt", &graph);
    Ok(())
}

/// Redis's `time(NULL)`: whole Unix seconds of the command's time.
fn now_seconds(ctx: &Ctx<'_>) -> i64 {
    ctx.now_ms.div_euclid(1000)
}

fn latency_help(ctx: &mut Ctx<'_>) -> CommandResult {
    const LINES: &[&str] = &[
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ];
    crate::commands::connection::write_help(ctx, LINES);
    Ok(())
}

/// MEMORY USAGE key [SAMPLES count]: the keyspace's estimate for the key;
/// `SAMPLES` is validated as Redis does (it only matters for aggregates).
fn memory_usage(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut index = 3;
    while index < ctx.args.len() {
        if ctx.arg_is(index, "SAMPLES") && index + 1 < ctx.args.len() {
            let samples = ctx.arg_i64(index + 1)?;
            if samples < 0 {
                return Err(CommandError::Syntax);
            }
            index += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let key = ctx.arg(2);
    let now_ms = ctx.now_ms;
    match ctx.db().memory_usage(key, now_ms) {
        Some(bytes) => ctx.out.integer(bytes as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

/// MEMORY STATS (Redis `memoryCommand` "stats"): the same figures as INFO
/// memory, as a map.
fn memory_stats(ctx: &mut Ctx<'_>) -> CommandResult {
    let figures = MemoryFigures::collect(ctx);
    let out = &mut *ctx.out;
    out.map(27 + figures.db_tables.len());
    let integer = |out: &mut shoal_resp::ReplyWriter, name: &str, value: i64| {
        out.bulk(name.as_bytes());
        out.integer(value);
    };
    let clamp = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    integer(out, "peak.allocated", clamp(figures.peak));
    integer(out, "total.allocated", clamp(figures.used));
    integer(out, "startup.allocated", clamp(figures.startup));
    integer(out, "replication.backlog", 0);
    integer(out, "clients.slaves", 0);
    integer(out, "clients.normal", clamp(figures.clients_normal));
    integer(out, "cluster.links", 0);
    integer(out, "aof.buffer", 0);
    integer(out, "lua.caches", 0);
    integer(out, "functions.caches", 0);
    for (index, table_bytes) in &figures.db_tables {
        out.bulk(format!("db.{index}").as_bytes());
        out.map(3);
        integer(out, "overhead.hashtable.main", clamp(*table_bytes));
        integer(out, "overhead.hashtable.expires", 0);
        integer(out, "overhead.hashtable.slot-to-keys", 0);
    }
    integer(out, "overhead.total", clamp(figures.overhead));
    integer(out, "keys.count", clamp(figures.keys));
    integer(out, "keys.bytes-per-key", clamp(figures.bytes_per_key()));
    integer(out, "dataset.bytes", clamp(figures.dataset()));
    out.bulk(b"dataset.percentage");
    out.double(f64::from(figures.dataset_percentage()));
    out.bulk(b"peak.percentage");
    out.double(f64::from(figures.peak_percentage()));
    integer(out, "allocator.allocated", clamp(figures.used));
    integer(out, "allocator.active", clamp(figures.active));
    integer(out, "allocator.resident", clamp(figures.resident));
    let pairs = [
        ("allocator-fragmentation", figures.allocator_fragmentation()),
        ("allocator-rss", figures.allocator_rss()),
        ("rss-overhead", figures.rss_overhead()),
    ];
    for (name, (ratio, bytes)) in pairs {
        out.bulk(format!("{name}.ratio").as_bytes());
        out.double(f64::from(ratio));
        integer(out, &format!("{name}.bytes"), bytes);
    }
    let (ratio, bytes) = figures.fragmentation();
    out.bulk(b"fragmentation");
    out.double(f64::from(ratio));
    integer(out, "fragmentation.bytes", bytes);
    Ok(())
}

/// MEMORY DOCTOR (Redis `getMemoryDoctorReport`), for the conditions Shoal
/// can observe: an almost empty instance, a high peak and high RSS.
fn memory_doctor(ctx: &mut Ctx<'_>) -> CommandResult {
    const MIB: u64 = 1024 * 1024;
    let figures = MemoryFigures::collect(ctx);
    let report = if figures.used < 5 * MIB {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector \
         can't be used in these conditions. Please, leave for your mission on Earth and fill it \
         with some data. The new Sam and I will be back to our programming as soon as I \
         finished rebooting.\n"
            .to_string()
    } else {
        let high_peak = figures.peak as f32 / figures.used as f32 > 1.5;
        let (fragmentation, fragmentation_bytes) = figures.fragmentation();
        let high_rss = fragmentation > 1.4 && fragmentation_bytes > 10 << 20;
        if !high_peak && !high_rss {
            "Hi Sam, I can't find any memory issue in your instance. I can only account for \
             what occurs on this base.\n"
                .to_string()
        } else {
            let mut report =
                "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
                    .to_string();
            if high_peak {
                report.push_str(
                    " * Peak memory: In the past this instance used more than 150% the memory \
                     that is currently using. The allocator is normally not able to release \
                     memory after a peak, so you can expect to see a big fragmentation ratio, \
                     however this is actually harmless and is only due to the memory peak, and \
                     if the Redis instance Resident Set Size (RSS) is currently bigger than \
                     expected, the memory will be used as soon as you fill the Redis instance \
                     with more data. If the memory peak was only occasional and you want to try \
                     to reclaim memory, please try the MEMORY PURGE command, otherwise the only \
                     other option is to shutdown and restart the instance.\n\n",
                );
            }
            if high_rss {
                report.push_str(
                    " * High total RSS: This instance has a memory fragmentation and RSS \
                     overhead greater than 1.4 (this means that the Resident Set Size of the \
                     Redis process is much larger than the sum of the logical allocations Redis \
                     performed). This problem is usually due either to a large peak memory \
                     (check if there is a peak memory entry above in the report) or may result \
                     from a workload that causes the allocator to fragment memory a lot. If the \
                     problem is a large peak memory, then there is no issue. Otherwise, make \
                     sure you are using the Jemalloc allocator and not the default libc malloc.\n\n",
                );
            }
            report.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
            report
        }
    };
    ctx.out.verbatim("txt", report.as_bytes());
    Ok(())
}

/// MEMORY MALLOC-STATS: allocator statistics are the shell's; the engine
/// answers as Redis does for an allocator without a stats report.
fn memory_malloc_stats(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.out
        .bulk(b"Stats not supported for the current allocator");
    Ok(())
}

/// MEMORY PURGE: nothing to ask the allocator from inside the engine; OK as
/// Redis replies.
fn memory_purge(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.out.ok();
    Ok(())
}

fn memory_help(ctx: &mut Ctx<'_>) -> CommandResult {
    const LINES: &[&str] = &[
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];
    crate::commands::connection::write_help(ctx, LINES);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_rows_match, bulk, error, simple, CommandInfoRow, TestNode};
    use shoal_keyspace::{StringValue, Value};
    use shoal_resp::Frame;

    /// LATENCY HISTOGRAM: all commands, named ones, a container for its
    /// subcommands; unknown or untracked names are left out.
    #[test]
    fn latency_histogram_reports_recorded_commands() {
        let mut node = TestNode::new();
        for duration_us in [5, 6, 7] {
            node.run("SET k v");
            node.record_duration(duration_us);
        }
        node.run("CONFIG GET maxmemory");
        node.record_duration(1);
        let set = Frame::Array(vec![
            bulk("calls"),
            Frame::Integer(3),
            bulk("histogram_usec"),
            Frame::Array(vec![Frame::Integer(8), Frame::Integer(3)]),
        ]);
        assert_eq!(
            node.run("LATENCY HISTOGRAM SET nosuch"),
            Frame::Array(vec![bulk("set"), set.clone()])
        );
        let Frame::Array(by_container) = node.run("LATENCY HISTOGRAM config") else {
            panic!("a map");
        };
        assert_eq!(by_container[0], bulk("config|get"));
        let Frame::Array(all) = node.run("LATENCY HISTOGRAM") else {
            panic!("a map");
        };
        let names: Vec<&Frame> = all.iter().step_by(2).collect();
        assert!(names.contains(&&bulk("set")) && names.contains(&&bulk("config|get")));
        assert_eq!(node.run("LATENCY HISTOGRAM get"), Frame::Array(vec![]));
    }

    fn slow_node() -> TestNode {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("CONFIG SET slowlog-log-slower-than 0"),
            simple("OK")
        );
        node
    }

    #[test]
    fn slowlog_records_and_lists_newest_first() {
        let mut node = slow_node();
        node.run("CLIENT SETNAME me");
        node.record_duration(4);
        node.run("PING hello");
        node.record_duration(7);
        let time = node.now_ms / 1000;
        assert_eq!(node.run("SLOWLOG LEN"), Frame::Integer(2));
        let entry = |id: i64, duration: i64, args: &[&str]| {
            Frame::Array(vec![
                Frame::Integer(id),
                Frame::Integer(time),
                Frame::Integer(duration),
                Frame::Array(args.iter().map(|arg| bulk(arg)).collect()),
                bulk("127.0.0.1:50000"),
                bulk("me"),
            ])
        };
        assert_eq!(
            node.run("SLOWLOG GET"),
            Frame::Array(vec![
                entry(1, 7, &["PING", "hello"]),
                entry(0, 4, &["CLIENT", "SETNAME", "me"]),
            ])
        );
        assert_eq!(
            node.run("SLOWLOG GET 1"),
            Frame::Array(vec![entry(1, 7, &["PING", "hello"])])
        );
        assert_eq!(node.run("SLOWLOG GET 0"), Frame::Array(vec![]));
        let Frame::Array(all) = node.run("SLOWLOG GET -1") else {
            panic!("array")
        };
        assert_eq!(all.len(), 2);
        assert_eq!(node.run("SLOWLOG RESET"), simple("OK"));
        assert_eq!(node.run("SLOWLOG LEN"), Frame::Integer(0));
    }

    #[test]
    fn slowlog_threshold_applies() {
        let mut node = TestNode::new();
        node.run("PING");
        node.record_duration(5);
        assert_eq!(node.run("SLOWLOG LEN"), Frame::Integer(0));
        node.run("PING");
        node.record_duration(10_000);
        assert_eq!(node.run("SLOWLOG LEN"), Frame::Integer(1));
    }

    #[test]
    fn slowlog_errors() {
        let mut node = slow_node();
        let count_error = error("ERR count should be greater than or equal to -1");
        assert_eq!(node.run("SLOWLOG GET x"), count_error);
        assert_eq!(node.run("SLOWLOG GET -2"), count_error);
        assert_eq!(node.run("SLOWLOG GET 99999999999999999999999"), count_error);
        assert_eq!(
            node.run("SLOWLOG GET 1 2"),
            error(
                "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."
            )
        );
        assert_eq!(
            node.run("SLOWLOG LEN x"),
            error("ERR wrong number of arguments for 'slowlog|len' command")
        );
        assert_eq!(
            node.run("SLOWLOG nosuch"),
            error("ERR unknown subcommand 'nosuch'. Try SLOWLOG HELP.")
        );
        let Frame::Array(help) = node.run("SLOWLOG HELP") else {
            panic!("array")
        };
        assert_eq!(help.len(), 12);
    }

    /// Non-fast commands feed the `command` event, fast ones
    /// `fast-command` (Redis's `call`); RESET ignores case.
    #[test]
    fn latency_reports_samples() {
        let mut node = TestNode::new();
        assert_eq!(
            node.run("CONFIG SET latency-monitor-threshold 1"),
            simple("OK")
        );
        assert_eq!(node.run("LATENCY LATEST"), Frame::Array(vec![]));
        node.run("CONFIG GET maxmemory");
        node.record_duration(50_000);
        let first = node.now_ms / 1000;
        node.advance_ms(2_000);
        node.run("CONFIG GET maxmemory");
        node.record_duration(20_000);
        let second = node.now_ms / 1000;
        node.run("PING");
        node.record_duration(3_000);
        node.run("PING");
        node.record_duration(999);
        assert_eq!(
            node.run("LATENCY LATEST"),
            Frame::Array(vec![
                Frame::Array(vec![
                    bulk("command"),
                    Frame::Integer(second),
                    Frame::Integer(20),
                    Frame::Integer(50),
                ]),
                Frame::Array(vec![
                    bulk("fast-command"),
                    Frame::Integer(second),
                    Frame::Integer(3),
                    Frame::Integer(3),
                ]),
            ])
        );
        assert_eq!(
            node.run("LATENCY HISTORY command"),
            Frame::Array(vec![
                Frame::Array(vec![Frame::Integer(first), Frame::Integer(50)]),
                Frame::Array(vec![Frame::Integer(second), Frame::Integer(20)]),
            ])
        );
        assert_eq!(node.run("LATENCY HISTORY Command"), Frame::Array(vec![]));
        assert_eq!(node.run("LATENCY HISTORY nosuch"), Frame::Array(vec![]));
        assert_eq!(node.run("LATENCY RESET nosuch"), Frame::Integer(0));
        assert_eq!(node.run("LATENCY RESET COMMAND x"), Frame::Integer(1));
        assert_eq!(node.run("LATENCY RESET"), Frame::Integer(1));
        assert_eq!(
            node.run("LATENCY LATEST x"),
            error("ERR wrong number of arguments for 'latency|latest' command")
        );
    }

    fn node_with_debug() -> TestNode {
        let mut config = shoal_config::Config::default();
        let mut no_files = |_: &str| -> std::io::Result<String> { Ok(String::new()) };
        config
            .load_text("enable-debug-command yes\n", &mut no_files)
            .expect("valid configuration");
        TestNode::with_config(config)
    }

    /// DEBUG SLEEP's blocking (carried out by the shell after the measured
    /// execution) counts in the command's duration, as in Redis where the
    /// command itself sleeps: a `command` latency sample and a slow log
    /// entry.
    #[test]
    fn debug_sleep_counts_as_latency() {
        let mut node = node_with_debug();
        node.run("CONFIG SET latency-monitor-threshold 10");
        assert_eq!(node.run("DEBUG SLEEP 0.05"), simple("OK"));
        node.record_duration(120);
        let now = node.now_ms / 1000;
        assert_eq!(
            node.run("LATENCY HISTORY command"),
            Frame::Array(vec![Frame::Array(vec![
                Frame::Integer(now),
                Frame::Integer(50)
            ])])
        );
        let Frame::Array(entries) = node.run("SLOWLOG GET") else {
            panic!("array")
        };
        let Frame::Array(entry) = &entries[0] else {
            panic!("entry")
        };
        assert_eq!(entry[2], Frame::Integer(50_120));
        // The next command does not inherit the sleep.
        node.run("CONFIG GET maxmemory");
        node.record_duration(5);
        assert_eq!(node.run("SLOWLOG LEN"), Frame::Integer(1));
    }

    /// Redis's slowlog.tcl "EXEC is not logged, just executed commands":
    /// the queued DEBUG SLEEP gets the entry, EXEC none, though the shell's
    /// measurement of EXEC includes the sleep.
    #[test]
    fn queued_commands_are_logged_one_by_one_and_exec_is_not() {
        let mut node = node_with_debug();
        node.run("CONFIG SET slowlog-log-slower-than 100000");
        node.run("MULTI");
        node.run("DEBUG SLEEP 0.2");
        node.run("SET k v");
        let Frame::Array(replies) = node.run("EXEC") else {
            panic!("EXEC")
        };
        assert_eq!(replies, vec![simple("OK"), simple("OK")]);
        node.record_duration(30);
        assert_eq!(node.run("SLOWLOG LEN"), Frame::Integer(1));
        let Frame::Array(entries) = node.run("SLOWLOG GET") else {
            panic!("array")
        };
        let Frame::Array(entry) = &entries[0] else {
            panic!("entry")
        };
        assert_eq!(entry[2], Frame::Integer(200_000));
        assert_eq!(
            entry[3],
            Frame::Array(vec![bulk("DEBUG"), bulk("SLEEP"), bulk("0.2")])
        );
        // At threshold 0 every queued command is logged, EXEC still not.
        node.run("SLOWLOG RESET");
        node.run("CONFIG SET slowlog-log-slower-than 0");
        node.run("MULTI");
        node.run("GET k");
        node.run("EXEC");
        node.record_duration(3);
        let Frame::Array(entries) = node.run("SLOWLOG GET") else {
            panic!("array")
        };
        let commands: Vec<Frame> = entries
            .iter()
            .filter_map(|entry| match entry {
                Frame::Array(fields) => fields.get(3).cloned(),
                _ => None,
            })
            .collect();
        assert_eq!(commands, vec![Frame::Array(vec![bulk("GET"), bulk("k")])]);
    }

    /// DOCTOR's three situations through the command, as a bulk string
    /// under RESP2 and a `txt` verbatim string under RESP3.
    #[test]
    fn latency_doctor_replies() {
        let mut node = TestNode::new();
        let Frame::Bulk(report) = node.run("LATENCY DOCTOR") else {
            panic!("bulk in RESP2")
        };
        assert!(report.starts_with(b"I'm sorry, Dave, I can't do that."));
        node.run("CONFIG SET latency-monitor-threshold 1");
        assert_eq!(
            node.run("LATENCY DOCTOR"),
            bulk(
                "Dave, no latency spike was observed during the lifetime of this Redis \
                 instance, not in the slightest bit. I honestly think you ought to sit down \
                 calmly, take a stress pill, and think things over.\n"
            )
        );
        node.run("CONFIG SET slowlog-log-slower-than -1");
        node.run("CONFIG GET maxmemory");
        node.record_duration(7_000);
        node.advance_ms(3_000);
        node.run("HELLO 3");
        let Frame::Verbatim(format, report) = node.run("LATENCY DOCTOR") else {
            panic!("verbatim in RESP3")
        };
        assert_eq!(format, "txt");
        let report = String::from_utf8(report).unwrap();
        assert!(report.contains(
            "\n\n1. command: 1 latency spikes (average 7ms, mean deviation 0ms, period 3.00 \
             sec). Worst all time event 7ms.\n\nI have a few advices for you:\n\n- There are \
             latency issues with potentially slow commands you are using. Try to enable the \
             Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than \
             1000'."
        ));
        assert_eq!(
            node.run("LATENCY DOCTOR x"),
            error("ERR wrong number of arguments for 'latency|doctor' command")
        );
    }

    /// GRAPH draws an event's samples labelled with their age; unknown
    /// names (matched case-sensitively) are an error echoing the argument.
    #[test]
    fn latency_graph_replies() {
        let mut node = TestNode::new();
        node.run("CONFIG SET latency-monitor-threshold 1");
        node.run("CONFIG GET maxmemory");
        node.record_duration(30_000);
        node.advance_ms(5_000);
        node.run("CONFIG GET maxmemory");
        node.record_duration(10_000);
        node.advance_ms(1_000);
        assert_eq!(
            node.run("LATENCY GRAPH command"),
            bulk(
                &[
                    "command - high 30 ms, low 10 ms (all time high 30 ms)\n",
                    &"-".repeat(80),
                    "\n# \n| \n| \n|_\n  \n61\nss\n",
                ]
                .concat()
            )
        );
        node.run("HELLO 3");
        assert!(matches!(
            node.run("LATENCY GRAPH command"),
            Frame::Verbatim(format, _) if format == "txt"
        ));
        assert_eq!(
            node.run("LATENCY GRAPH COMMAND"),
            error("ERR No samples available for event 'COMMAND'")
        );
        assert_eq!(
            node.run_args(&[b"LATENCY", b"GRAPH", b"no\0such"]),
            error("ERR No samples available for event 'no'")
        );
        assert_eq!(
            node.run("LATENCY GRAPH"),
            error("ERR wrong number of arguments for 'latency|graph' command")
        );
        let Frame::Array(help) = node.run("LATENCY HELP") else {
            panic!("array")
        };
        assert_eq!(help.len(), 17);
        assert_eq!(help[1], simple("DOCTOR"));
        assert_eq!(help[3], simple("GRAPH <event>"));
    }

    /// The LATENCY rows as redis-server 7.0.15's COMMAND INFO prints them.
    #[test]
    fn latency_rows_match_redis() {
        const ADMIN: &[&str] = &["admin", "noscript", "loading", "stale"];
        const ADMIN_ACL: &[&str] = &["admin", "slow", "dangerous"];
        let expected: &[CommandInfoRow] = &[
            ("latency|doctor", 2, ADMIN, (0, 0, 0), ADMIN_ACL),
            ("latency|graph", 3, ADMIN, (0, 0, 0), ADMIN_ACL),
            ("latency|history", 3, ADMIN, (0, 0, 0), ADMIN_ACL),
            ("latency|latest", 2, ADMIN, (0, 0, 0), ADMIN_ACL),
            ("latency|reset", -2, ADMIN, (0, 0, 0), ADMIN_ACL),
            ("latency|histogram", -2, ADMIN, (0, 0, 0), ADMIN_ACL),
            (
                "latency|help",
                2,
                &["loading", "stale"],
                (0, 0, 0),
                &["slow"],
            ),
        ];
        assert_rows_match(super::LATENCY_SUBCOMMANDS, expected, Some("server"));
        let docs = |name: &str| {
            let spec = super::LATENCY_SUBCOMMANDS
                .iter()
                .find(|spec| spec.name == name)
                .unwrap();
            (spec.summary, spec.since, spec.complexity)
        };
        assert_eq!(
            docs("latency|doctor"),
            (
                "Return a human readable latency analysis report.",
                "2.8.13",
                "O(1)"
            )
        );
        assert_eq!(
            docs("latency|graph"),
            ("Return a latency graph for the event.", "2.8.13", "O(1)")
        );
    }

    #[test]
    fn memory_usage_and_options() {
        let mut node = TestNode::new();
        assert_eq!(node.run("MEMORY USAGE nokey"), Frame::Null);
        let value = Value::String(StringValue::from_bytes(b"v"));
        node.engine
            .node
            .keyspace
            .db_mut(0)
            .set(b"k", value, false, node.now_ms);
        let Frame::Integer(bytes) = node.run("MEMORY USAGE k") else {
            panic!("MEMORY USAGE of an existing key is an integer")
        };
        assert!(bytes > 0);
        assert_eq!(node.run("MEMORY USAGE k SAMPLES 0"), Frame::Integer(bytes));
        assert_eq!(node.run("MEMORY USAGE k samples 5"), Frame::Integer(bytes));
        assert_eq!(
            node.run("MEMORY USAGE k SAMPLES x"),
            error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            node.run("MEMORY USAGE k SAMPLES -1"),
            error("ERR syntax error")
        );
        assert_eq!(
            node.run("MEMORY USAGE k SAMPLES"),
            error("ERR syntax error")
        );
        assert_eq!(node.run("MEMORY USAGE k foo 1"), error("ERR syntax error"));
    }

    #[test]
    fn memory_stats_map() {
        let mut node = TestNode::new();
        node.engine.node.memory.used_memory_bytes = 1_000_000;
        node.engine.node.memory.used_memory_rss_bytes = 4_000_000;
        node.engine.node.memory.allocator_active_bytes = 1_250_000;
        node.engine.node.memory.allocator_resident_bytes = 2_000_000;
        node.run("HELLO 3");
        let Frame::Map(fields) = node.run("MEMORY STATS") else {
            panic!("map")
        };
        let names: Vec<String> = fields
            .iter()
            .map(|(name, _)| match name {
                Frame::Bulk(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                other => panic!("field name {other:?}"),
            })
            .collect();
        assert_eq!(names.len(), 27);
        assert_eq!(names[0], "peak.allocated");
        assert_eq!(names[26], "fragmentation.bytes");
        let field = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| *key == bulk(name))
                .map(|(_, value)| value.clone())
                .unwrap_or_else(|| panic!("no {name}"))
        };
        assert_eq!(field("total.allocated"), Frame::Integer(1_000_000));
        assert_eq!(field("fragmentation"), Frame::Double("4".into()));
        assert_eq!(field("fragmentation.bytes"), Frame::Integer(3_000_000));
        assert_eq!(
            field("allocator-fragmentation.ratio"),
            Frame::Double("1.25".into())
        );
        assert_eq!(field("allocator-rss.bytes"), Frame::Integer(750_000));
    }

    #[test]
    fn memory_doctor_and_friends() {
        let mut node = TestNode::new();
        let Frame::Bulk(report) = node.run("MEMORY DOCTOR") else {
            panic!("bulk in RESP2")
        };
        assert!(report.starts_with(b"Hi Sam, this instance is empty"));
        node.engine.node.memory.used_memory_bytes = 100 << 20;
        node.engine.node.memory.used_memory_rss_bytes = 100 << 20;
        let Frame::Bulk(report) = node.run("MEMORY DOCTOR") else {
            panic!("bulk")
        };
        assert!(report.starts_with(b"Hi Sam, I can't find any memory issue"));
        node.engine.node.memory.used_memory_bytes = 10 << 20;
        let Frame::Bulk(report) = node.run("MEMORY DOCTOR") else {
            panic!("bulk")
        };
        let report = String::from_utf8_lossy(&report).into_owned();
        assert!(report.contains(" * Peak memory:"));
        assert!(report.contains(" * High total RSS:"));
        assert_eq!(
            node.run("MEMORY MALLOC-STATS"),
            bulk("Stats not supported for the current allocator")
        );
        assert_eq!(node.run("MEMORY PURGE"), simple("OK"));
        let Frame::Array(help) = node.run("MEMORY HELP") else {
            panic!("array")
        };
        assert_eq!(help.len(), 14);
        assert_eq!(
            node.run("MEMORY nosuch"),
            error("ERR unknown subcommand 'nosuch'. Try MEMORY HELP.")
        );
        assert_eq!(
            node.run("MEMORY DOCTOR x"),
            error("ERR wrong number of arguments for 'memory|doctor' command")
        );
    }
}
