//! LATENCY DOCTOR and LATENCY GRAPH texts (Redis 7.0.15 `latency.c`:
//! `analyzeLatencyForEvent`, `createLatencyReport`,
//! `latencyCommandGenSparkeline`), built from the latency monitor's samples.
//!
//! Pure functions: the samples, the facts the advice depends on and the
//! current time (whole Unix seconds, Redis's `time(NULL)`) come in, the
//! report text goes out. Shoal records the `command` and `fast-command`
//! events only, so the event-specific advice covers those two (the slow
//! log and large-object hints, the scheduler hint); other event names get
//! their statistics line without advice, as Redis gives an unknown event.

use std::fmt::Write as _;

use crate::slowlog::{LatencyEvent, LatencyMonitor};
use crate::sparkline::Sequence;

/// Width of LATENCY GRAPH (`LATENCY_GRAPH_COLS`): the dashed rule and the
/// samples per chunk.
const GRAPH_COLUMNS: usize = 80;
/// Bar lines of LATENCY GRAPH.
const GRAPH_ROWS: usize = 4;

const DISABLED: &str = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in \
    this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" \
    in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at \
    https://redis.io/topics/latency-monitor.\n";
const SPIKES_OBSERVED: &str = "Dave, I have observed latency spikes in this Redis instance. \
    You don't mind talking about it, do you Dave?\n\n";
const NO_SPIKES: &str = "Dave, no latency spike was observed during the lifetime of this Redis \
    instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a \
    stress pill, and think things over.\n";
const NO_ADVICE: &str = "\nWhile there are latency events logged, I'm not able to suggest any \
    easy fix. Please use the Redis community to get some help, providing this report in your \
    help request.\n";
const ADVICE_HEADER: &str = "\nI have a few advices for you:\n\n";
const SLOWLOG_INSPECT: &str = "- Check your Slow Log to understand what are the commands you \
    are running which are too slow to execute. Please check https://redis.io/commands/slowlog \
    for more information.\n";
const SCHEDULER: &str = "- The system is slow to execute Redis code paths not containing \
    system calls. This usually means the system does not provide Redis CPU time to run for long \
    periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for \
    Redis if you are running other software in the same system.\n  3) Check if you have a \
    \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is \
    the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by \
    recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create \
    fragmentation problems.\n";
const LARGE_OBJECTS: &str = "- Deleting, expiring or evicting (because of maxmemory policy) \
    large objects is a blocking operation. If you have very large objects that are often \
    deleted, expired, or evicted, try to fragment those objects into multiple smaller \
    objects.\n";
const DISABLE_THP: &str = "- I detected a non zero amount of anonymous huge pages used by your \
    process. This creates very serious latency events in different conditions, especially when \
    Redis is persisting on disk. To disable THP support use the command 'echo never > \
    /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local \
    so that the command will be executed again after a reboot. Note that even if you have \
    already disabled THP, you still need to restart the Redis process to get rid of the huge \
    pages already created.\n";

/// What one event's samples say (Redis `struct latencyStats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct EventStats {
    /// Samples held.
    pub samples: u64,
    /// Integer mean of the samples' latencies.
    pub avg_ms: u64,
    /// Smallest sample.
    pub min_ms: u64,
    /// Largest sample.
    pub max_ms: u64,
    /// Integer mean absolute deviation from `avg_ms`.
    pub mean_deviation_ms: u64,
    /// Seconds from the oldest sample to now; 1 when that is 0.
    pub period_seconds: i64,
}

/// Redis `analyzeLatencyForEvent`: integer average, mean deviation, extremes
/// and the period the samples span up to `now_seconds`.
pub(crate) fn analyze(event: &LatencyEvent, now_seconds: i64) -> EventStats {
    let mut stats = EventStats::default();
    let Some(oldest) = event.samples.iter().map(|sample| sample.time_seconds).min() else {
        return stats;
    };
    let count = event.samples.len() as u128;
    let sum: u128 = event
        .samples
        .iter()
        .map(|sample| u128::from(sample.latency_ms))
        .sum();
    stats.samples = count as u64;
    stats.avg_ms = (sum / count) as u64;
    stats.min_ms = event
        .samples
        .iter()
        .map(|s| s.latency_ms)
        .min()
        .unwrap_or(0);
    stats.max_ms = event
        .samples
        .iter()
        .map(|s| s.latency_ms)
        .max()
        .unwrap_or(0);
    stats.period_seconds = match now_seconds.saturating_sub(oldest) {
        0 => 1,
        period => period,
    };
    let deviations: u128 = event
        .samples
        .iter()
        .map(|sample| u128::from(stats.avg_ms.abs_diff(sample.latency_ms)))
        .sum();
    stats.mean_deviation_ms = (deviations / count) as u64;
    stats
}

/// The node's settings and machine facts LATENCY DOCTOR's advice reads.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DoctorFacts {
    /// `latency-monitor-threshold` (0: monitoring off).
    pub latency_monitor_threshold_ms: u64,
    /// `slowlog-log-slower-than` (negative: slow log off).
    pub slowlog_log_slower_than_us: i64,
    /// The process's anonymous huge pages (Redis reads `AnonHugePages` from
    /// `/proc/self/smaps`); non-zero adds the THP advice.
    pub anon_huge_pages_bytes: u64,
}

/// Which pieces of advice the report ends with, in Redis's print order.
#[derive(Default)]
struct Advice {
    enable_slowlog: bool,
    tune_slowlog: bool,
    inspect_slowlog: bool,
    scheduler: bool,
    large_objects: bool,
    disable_thp: bool,
    /// Redis's `advices` counter: only whether it is zero matters.
    count: usize,
}

/// Redis `createLatencyReport`: LATENCY DOCTOR's text for the events in
/// `monitor` (in the monitor's order), given `facts`, at `now_seconds`.
pub(crate) fn doctor_report(
    monitor: &LatencyMonitor,
    facts: &DoctorFacts,
    now_seconds: i64,
) -> String {
    let mut events = monitor.events().peekable();
    if events.peek().is_none() && facts.latency_monitor_threshold_ms == 0 {
        return DISABLED.to_string();
    }
    let mut report = String::new();
    let mut advice = Advice::default();
    let mut event_count = 0usize;
    for (name, event) in events {
        event_count += 1;
        if event_count == 1 {
            report.push_str(SPIKES_OBSERVED);
        }
        let stats = analyze(event, now_seconds);
        let period_per_sample = if stats.samples == 0 {
            0.0
        } else {
            stats.period_seconds as f64 / stats.samples as f64
        };
        let _ = write!(
            report,
            "{event_count}. {name}: {} latency spikes (average {}ms, mean deviation {}ms, \
             period {period_per_sample:.2} sec). Worst all time event {}ms.",
            stats.samples, stats.avg_ms, stats.mean_deviation_ms, event.max_ms,
        );
        if name.eq_ignore_ascii_case("command") {
            let threshold_ms = i128::from(facts.latency_monitor_threshold_ms);
            if facts.slowlog_log_slower_than_us < 0 {
                advice.enable_slowlog = true;
                advice.count += 1;
            } else if i128::from(facts.slowlog_log_slower_than_us / 1000) > threshold_ms {
                advice.tune_slowlog = true;
                advice.count += 1;
            }
            advice.inspect_slowlog = true;
            advice.large_objects = true;
            advice.count += 2;
        }
        if name.eq_ignore_ascii_case("fast-command") {
            advice.scheduler = true;
            advice.count += 1;
        }
        report.push('\n');
    }
    if facts.anon_huge_pages_bytes > 0 {
        advice.disable_thp = true;
        advice.count += 1;
    }
    if event_count == 0 && advice.count == 0 {
        report.push_str(NO_SPIKES);
    } else if event_count > 0 && advice.count == 0 {
        report.push_str(NO_ADVICE);
    } else {
        report.push_str(ADVICE_HEADER);
        // `%llu` of `threshold * 1000`, wrapping as the C product does.
        let suggested_us = facts.latency_monitor_threshold_ms.wrapping_mul(1000);
        if advice.enable_slowlog {
            let _ = writeln!(
                report,
                "- There are latency issues with potentially slow commands you are using. Try \
                 to enable the Slow Log Redis feature using the command 'CONFIG SET \
                 slowlog-log-slower-than {suggested_us}'. If the Slow log is disabled Redis is \
                 not able to log slow commands execution for you."
            );
        }
        if advice.tune_slowlog {
            let _ = writeln!(
                report,
                "- Your current Slow Log configuration only logs events that are slower than \
                 your configured latency monitor threshold. Please use 'CONFIG SET \
                 slowlog-log-slower-than {suggested_us}'."
            );
        }
        if advice.inspect_slowlog {
            report.push_str(SLOWLOG_INSPECT);
        }
        if advice.scheduler {
            report.push_str(SCHEDULER);
        }
        if advice.large_objects {
            report.push_str(LARGE_OBJECTS);
        }
        if advice.disable_thp {
            report.push_str(DISABLE_THP);
        }
    }
    report
}

/// Redis `latencyCommandGenSparkeline`: LATENCY GRAPH's text for event
/// `name`, each sample labelled with how long ago (at `now_seconds`) it was
/// taken.
pub(crate) fn graph(name: &str, event: &LatencyEvent, now_seconds: i64) -> Vec<u8> {
    let mut sequence = Sequence::new();
    for sample in &event.samples {
        sequence.add(
            sample.latency_ms as f64,
            &age_label(now_seconds - sample.time_seconds),
        );
    }
    let low_ms = event
        .samples
        .iter()
        .map(|s| s.latency_ms)
        .min()
        .unwrap_or(0);
    let high_ms = event
        .samples
        .iter()
        .map(|s| s.latency_ms)
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "{name} - high {high_ms} ms, low {low_ms} ms (all time high {} ms)\n{}\n",
        event.max_ms,
        "-".repeat(GRAPH_COLUMNS)
    )
    .into_bytes();
    sequence.render(&mut out, GRAPH_COLUMNS, GRAPH_ROWS);
    out
}

/// A sample's age as LATENCY GRAPH labels it: seconds under a minute, then
/// whole minutes, hours, days (C integer division).
fn age_label(elapsed_seconds: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    if elapsed_seconds < MINUTE {
        format!("{elapsed_seconds}s")
    } else if elapsed_seconds < HOUR {
        format!("{}m", elapsed_seconds / MINUTE)
    } else if elapsed_seconds < DAY {
        format!("{}h", elapsed_seconds / HOUR)
    } else {
        format!("{}d", elapsed_seconds / DAY)
    }
}

#[cfg(test)]
mod tests {
    use super::{age_label, analyze, doctor_report, graph, DoctorFacts, EventStats};
    use crate::slowlog::LatencyMonitor;

    /// The samples redis-server 7.0.15 held (LATENCY HISTORY) when it
    /// produced the texts below at `CAPTURE_NOW` (TIME before and after, in
    /// one pipeline), with `latency-monitor-threshold 2`: DEBUG SLEEPs and
    /// SETRANGEs as `command`, UNLINKs of large strings as `fast-command`.
    const CAPTURE_NOW: i64 = 1_795_568_224;
    const CAPTURE_COMMAND: &[(i64, u64)] = &[
        (1_795_568_146, 35),
        (1_795_568_148, 7),
        (1_795_568_149, 12),
        (1_795_568_212, 3),
        (1_795_568_213, 60),
        (1_795_568_214, 21),
        (1_795_568_215, 2),
        (1_795_568_216, 44),
        (1_795_568_217, 9),
        (1_795_568_218, 16),
        (1_795_568_219, 80),
        (1_795_568_220, 5),
        (1_795_568_221, 49),
        (1_795_568_223, 114),
    ];
    const CAPTURE_FAST: &[(i64, u64)] = &[(1_795_568_221, 8), (1_795_568_223, 10)];

    /// Redis's DOCTOR reply for the capture up to the first advice line.
    const CAPTURE_DOCTOR_HEAD: &str = "Dave, I have observed latency spikes in this Redis \
        instance. You don't mind talking about it, do you Dave?\n\n1. command: 14 latency \
        spikes (average 32ms, mean deviation 26ms, period 5.57 sec). Worst all time event \
        114ms.\n2. fast-command: 2 latency spikes (average 9ms, mean deviation 1ms, period 1.50 \
        sec). Worst all time event 10ms.\n\nI have a few advices for you:\n\n";
    /// And from the slow log inspection advice to the end.
    const CAPTURE_DOCTOR_TAIL: &str = "- Check your Slow Log to understand what are the \
        commands you are running which are too slow to execute. Please check \
        https://redis.io/commands/slowlog for more information.\n- The system is slow to \
        execute Redis code paths not containing system calls. This usually means the system \
        does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower \
        the system load.\n  2) Use a computer / VM just for Redis if you are running other \
        software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  \
        4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your \
        system.\n  5) Check if the problem is allocator-related by recompiling Redis with \
        MALLOC=libc, if you are using Jemalloc. However this may create fragmentation \
        problems.\n- Deleting, expiring or evicting (because of maxmemory policy) large objects \
        is a blocking operation. If you have very large objects that are often deleted, \
        expired, or evicted, try to fragment those objects into multiple smaller objects.\n";

    fn monitor(events: &[(&str, &[(i64, u64)])]) -> LatencyMonitor {
        let mut monitor = LatencyMonitor::default();
        for (name, samples) in events {
            for (time_seconds, latency_ms) in *samples {
                monitor.record(name, *latency_ms, 1, *time_seconds);
            }
        }
        monitor
    }

    fn capture() -> LatencyMonitor {
        monitor(&[("command", CAPTURE_COMMAND), ("fast-command", CAPTURE_FAST)])
    }

    fn facts(threshold_ms: u64, slowlog_us: i64) -> DoctorFacts {
        DoctorFacts {
            latency_monitor_threshold_ms: threshold_ms,
            slowlog_log_slower_than_us: slowlog_us,
            anon_huge_pages_bytes: 0,
        }
    }

    fn doctor(monitor: &LatencyMonitor, facts: &DoctorFacts, now_seconds: i64) -> String {
        doctor_report(monitor, facts, now_seconds)
    }

    #[test]
    fn graphs_match_redis_capture() {
        let monitor = capture();
        let command = graph("command", monitor.event("command").unwrap(), CAPTURE_NOW);
        assert_eq!(
            String::from_utf8(command).unwrap(),
            [
                "command - high 114 ms, low 2 ms (all time high 114 ms)\n",
                "--------------------------------------------------------------------------------\n",
                "             #\n",
                "    _     #  |\n",
                "_   |  o  | #|\n",
                "|_o_|#_|_o|_||\n",
                "              \n",
                "11111198765431\n",
                "mmm210ssssssss\n",
                "   sss        \n",
            ]
            .concat()
        );
        let fast = graph(
            "fast-command",
            monitor.event("fast-command").unwrap(),
            CAPTURE_NOW,
        );
        assert_eq!(
            String::from_utf8(fast).unwrap(),
            [
                "fast-command - high 10 ms, low 8 ms (all time high 10 ms)\n",
                "--------------------------------------------------------------------------------\n",
                " #\n |\n |\n_|\n  \n31\nss\n",
            ]
            .concat()
        );
    }

    /// The three slow log variants Redis printed for the same samples:
    /// `slowlog-log-slower-than` 10000 (above the 2 ms threshold), -1 (off)
    /// and 1000 (below it: no slow log advice).
    #[test]
    fn doctor_matches_redis_capture() {
        let monitor = capture();
        let tune = "- Your current Slow Log configuration only logs events that are slower \
            than your configured latency monitor threshold. Please use 'CONFIG SET \
            slowlog-log-slower-than 2000'.\n";
        assert_eq!(
            doctor(&monitor, &facts(2, 10_000), CAPTURE_NOW),
            [CAPTURE_DOCTOR_HEAD, tune, CAPTURE_DOCTOR_TAIL].concat()
        );
        let enable = "- There are latency issues with potentially slow commands you are \
            using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET \
            slowlog-log-slower-than 2000'. If the Slow log is disabled Redis is not able to log \
            slow commands execution for you.\n";
        assert_eq!(
            doctor(&monitor, &facts(2, -1), CAPTURE_NOW),
            [CAPTURE_DOCTOR_HEAD, enable, CAPTURE_DOCTOR_TAIL].concat()
        );
        assert_eq!(
            doctor(&monitor, &facts(2, 1000), CAPTURE_NOW),
            [CAPTURE_DOCTOR_HEAD, CAPTURE_DOCTOR_TAIL].concat()
        );
    }

    /// `analyzeLatencyForEvent` for the capture's `command` event: integer
    /// mean 457 / 14 = 32, mean deviation 369 / 14 = 26, period 78 s.
    #[test]
    fn analysis_uses_integer_arithmetic() {
        let monitor = capture();
        assert_eq!(
            analyze(monitor.event("command").unwrap(), CAPTURE_NOW),
            EventStats {
                samples: 14,
                avg_ms: 32,
                min_ms: 2,
                max_ms: 114,
                mean_deviation_ms: 26,
                period_seconds: 78,
            }
        );
    }

    /// Without samples and with monitoring off, the disabled text; with
    /// monitoring on, the calm one.
    #[test]
    fn doctor_without_events() {
        let empty = LatencyMonitor::default();
        assert_eq!(
            doctor(&empty, &facts(0, 10_000), 1_000),
            "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis \
             instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in \
             order to enable it. If we weren't in a deep space mission I'd suggest to take a \
             look at https://redis.io/topics/latency-monitor.\n"
        );
        assert_eq!(
            doctor(&empty, &facts(100, 10_000), 1_000),
            "Dave, no latency spike was observed during the lifetime of this Redis instance, \
             not in the slightest bit. I honestly think you ought to sit down calmly, take a \
             stress pill, and think things over.\n"
        );
    }

    /// Samples recorded before monitoring was switched off are still
    /// analysed; the tuning advice then suggests 0. A period of 0 counts as
    /// 1 second, and 9 s over 8 samples prints as C's `%.2f` does (1.125
    /// rounds to even).
    #[test]
    fn doctor_with_monitoring_off_and_period_edges() {
        let same_second = monitor(&[("command", &[(500, 7)])]);
        let report = doctor(&same_second, &facts(0, 10_000), 500);
        assert!(report.contains(
            "1. command: 1 latency spikes (average 7ms, mean deviation 0ms, period 1.00 sec). \
             Worst all time event 7ms.\n"
        ));
        assert!(report.contains("Please use 'CONFIG SET slowlog-log-slower-than 0'.\n"));
        let samples: Vec<(i64, u64)> = (0..8).map(|index| (991 + index, 10)).collect();
        let eight = monitor(&[("command", &samples)]);
        assert!(doctor(&eight, &facts(1, 10_000), 1_000).contains("period 1.12 sec"));
    }

    /// An event Redis has no advice for, alone: the "no easy fix" text; the
    /// huge pages advice is Redis's last one.
    #[test]
    fn doctor_other_events_and_huge_pages() {
        let other = monitor(&[("expire-cycle", &[(990, 4), (995, 10)])]);
        assert_eq!(
            doctor(&other, &facts(1, 10_000), 1_000),
            "Dave, I have observed latency spikes in this Redis instance. You don't mind \
             talking about it, do you Dave?\n\n1. expire-cycle: 2 latency spikes (average 7ms, \
             mean deviation 3ms, period 5.00 sec). Worst all time event 10ms.\n\nWhile there are \
             latency events logged, I'm not able to suggest any easy fix. Please use the Redis \
             community to get some help, providing this report in your help request.\n"
        );
        let huge_pages = DoctorFacts {
            anon_huge_pages_bytes: 2 << 20,
            ..facts(1, 10_000)
        };
        assert_eq!(
            doctor(&LatencyMonitor::default(), &huge_pages, 1_000),
            "\nI have a few advices for you:\n\n- I detected a non zero amount of anonymous huge \
             pages used by your process. This creates very serious latency events in different \
             conditions, especially when Redis is persisting on disk. To disable THP support use \
             the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure \
             to also add it into /etc/rc.local so that the command will be executed again after \
             a reboot. Note that even if you have already disabled THP, you still need to \
             restart the Redis process to get rid of the huge pages already created.\n"
        );
    }

    #[test]
    fn graph_age_labels() {
        let labels: Vec<String> = [0, 59, 60, 3599, 3600, 86_399, 86_400, 200_000]
            .into_iter()
            .map(age_label)
            .collect();
        assert_eq!(labels, ["0s", "59s", "1m", "59m", "1h", "23h", "1d", "2d"]);
    }

    /// More than 80 samples wrap: the 81st starts a second block after an
    /// empty line, scaled with the whole sequence.
    #[test]
    fn graph_wraps_after_80_samples() {
        let samples: Vec<(i64, u64)> = (0..81).map(|index| (1_000 + index, 5)).collect();
        let monitor = monitor(&[("command", &samples)]);
        let text =
            String::from_utf8(graph("command", monitor.event("command").unwrap(), 1_081)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Header, rule, 4 bars, blank, 3 label lines ("1m" for ages 81 to
        // 60, "59s" to "2s"), then an empty line and the 81st sample: 4
        // bars, blank, "1", "s".
        assert_eq!(lines.len(), 2 + 8 + 1 + 7);
        assert_eq!(lines[5], "_".repeat(80));
        let tens: String = (1..=5)
            .rev()
            .map(|digit| digit.to_string().repeat(10))
            .collect();
        assert_eq!(lines[7], format!("{}{tens}98765432", "1".repeat(22)));
        let units: String = (0..5)
            .flat_map(|_| (0..=9).rev())
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            lines[8],
            format!("{}{units}{}", "m".repeat(22), "s".repeat(8))
        );
        assert_eq!(
            lines[9],
            format!("{}{}{}", " ".repeat(22), "s".repeat(50), " ".repeat(8))
        );
        assert_eq!(&lines[10..], ["", " ", " ", " ", "_", " ", "1", "s"]);
    }
}
