//! SLOWLOG and LATENCY bookkeeping (Redis `slowlog.c`, `latency.c`): bounded
//! in-memory logs fed with durations the shell measured.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;

/// One SLOWLOG entry.
#[derive(Clone, Debug)]
pub struct SlowLogEntry {
    /// Increasing id.
    pub id: u64,
    /// Unix seconds when the command ran.
    pub time_seconds: i64,
    /// Duration in microseconds.
    pub duration_us: i64,
    /// Arguments, at most 32 and each cut to 128 bytes as Redis does.
    pub args: Vec<Bytes>,
    /// Client `ip:port`.
    pub peer: String,
    /// Client name.
    pub client_name: Bytes,
}

/// The slow log.
#[derive(Clone, Debug)]
pub struct SlowLog {
    entries: VecDeque<SlowLogEntry>,
    next_id: u64,
    threshold_us: i64,
    max_len: usize,
}

/// Redis keeps at most 32 arguments per entry (`SLOWLOG_ENTRY_MAX_ARGC`).
const MAX_ARGS: usize = 32;
/// And at most 128 bytes per argument (`SLOWLOG_ENTRY_MAX_STRING`).
const MAX_ARG_BYTES: usize = 128;

impl SlowLog {
    /// A log that records commands slower than `threshold_us` (negative =
    /// never) and keeps `max_len` entries.
    pub fn new(threshold_us: i64, max_len: usize) -> Self {
        SlowLog {
            entries: VecDeque::new(),
            next_id: 0,
            threshold_us,
            max_len,
        }
    }

    /// Applies new configuration values.
    pub fn configure(&mut self, threshold_us: i64, max_len: usize) {
        self.threshold_us = threshold_us;
        self.max_len = max_len;
        self.entries.truncate(max_len);
    }

    /// True when a command of this duration would be logged.
    pub fn would_record(&self, duration_us: i64) -> bool {
        self.threshold_us >= 0 && duration_us >= self.threshold_us
    }

    /// Records a command if it was slow enough.
    pub fn record(
        &mut self,
        args: &[Bytes],
        duration_us: i64,
        time_seconds: i64,
        peer: &str,
        client_name: &Bytes,
    ) {
        if !self.would_record(duration_us) {
            return;
        }
        let mut kept: Vec<Bytes> = Vec::with_capacity(args.len().min(MAX_ARGS));
        for (index, arg) in args.iter().enumerate() {
            if index == MAX_ARGS - 1 && args.len() > MAX_ARGS {
                let more = args.len() - MAX_ARGS + 1;
                kept.push(Bytes::from(format!("... ({more} more arguments)")));
                break;
            }
            if arg.len() > MAX_ARG_BYTES {
                let more = arg.len() - MAX_ARG_BYTES;
                let mut cut = arg[..MAX_ARG_BYTES].to_vec();
                cut.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
                kept.push(Bytes::from(cut));
            } else {
                kept.push(arg.clone());
            }
        }
        self.entries.push_front(SlowLogEntry {
            id: self.next_id,
            time_seconds,
            duration_us,
            args: kept,
            peer: peer.to_string(),
            client_name: client_name.clone(),
        });
        self.next_id += 1;
        self.entries.truncate(self.max_len);
    }

    /// Newest first.
    pub fn entries(&self) -> impl Iterator<Item = &SlowLogEntry> {
        self.entries.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// SLOWLOG RESET.
    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

/// One latency sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencySample {
    /// Unix seconds.
    pub time_seconds: i64,
    /// Milliseconds.
    pub latency_ms: u64,
}

/// Per-event latency history (LATENCY LATEST/HISTORY/RESET).
#[derive(Clone, Debug, Default)]
pub struct LatencyMonitor {
    events: BTreeMap<String, LatencyEvent>,
}

/// History of one event.
#[derive(Clone, Debug, Default)]
pub struct LatencyEvent {
    /// Up to 160 samples, oldest first (Redis `LATENCY_TS_LEN`).
    pub samples: VecDeque<LatencySample>,
    /// Largest latency ever recorded.
    pub max_ms: u64,
}

impl LatencyMonitor {
    /// Adds a sample when `latency_ms >= threshold_ms` and the threshold is
    /// enabled (non-zero). One sample per second per event, keeping the max.
    pub fn record(&mut self, event: &str, latency_ms: u64, threshold_ms: u64, now_seconds: i64) {
        if threshold_ms == 0 || latency_ms < threshold_ms {
            return;
        }
        let entry = self.events.entry(event.to_string()).or_default();
        entry.max_ms = entry.max_ms.max(latency_ms);
        if let Some(last) = entry.samples.back_mut() {
            if last.time_seconds == now_seconds {
                last.latency_ms = last.latency_ms.max(latency_ms);
                return;
            }
        }
        entry.samples.push_back(LatencySample {
            time_seconds: now_seconds,
            latency_ms,
        });
        if entry.samples.len() > 160 {
            entry.samples.pop_front();
        }
    }

    /// All events by name.
    pub fn events(&self) -> impl Iterator<Item = (&String, &LatencyEvent)> {
        self.events.iter()
    }

    /// One event.
    pub fn event(&self, name: &str) -> Option<&LatencyEvent> {
        self.events.get(name)
    }

    /// Resets the named events (all when empty); returns how many were
    /// reset. Names match ignoring ASCII case, as Redis's
    /// `latencyResetEvent` compares them with `strcasecmp`.
    pub fn reset(&mut self, names: &[String]) -> usize {
        if names.is_empty() {
            let count = self.events.len();
            self.events.clear();
            return count;
        }
        names
            .iter()
            .map(|name| {
                let before = self.events.len();
                self.events
                    .retain(|event, _| !event.eq_ignore_ascii_case(name));
                before - self.events.len()
            })
            .sum()
    }
}
