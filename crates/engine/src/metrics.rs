//! Instantaneous rates for INFO (`instantaneous_ops_per_sec`,
//! `instantaneous_input_kbps`, `instantaneous_output_kbps`).
//!
//! Owns the sampling arithmetic of Redis's `trackInstantaneousMetric` /
//! `getInstantaneousMetric` (server.c): a ring of the last 16 per-second
//! rates, one sampled every 100 ms from a running counter, averaged on read.
//! Must never read a clock: the cron passes `now_ms`.

/// Samples kept per metric (Redis `STATS_METRIC_SAMPLES`).
const SAMPLES: usize = 16;

/// Minimum time between samples (Redis samples in `run_with_period(100)`).
pub const SAMPLE_PERIOD_MS: i64 = 100;

/// One metric's ring of per-second rates.
#[derive(Clone, Debug, Default)]
pub struct InstantMetric {
    samples: [i64; SAMPLES],
    next: usize,
    last_sample_ms: i64,
    last_count: u64,
}

impl InstantMetric {
    /// Records the rate since the previous sample; `count` is the counter's
    /// current reading (commands processed, bytes read, ...).
    pub fn track(&mut self, count: u64, now_ms: i64) {
        let elapsed_ms = now_ms - self.last_sample_ms;
        let delta = count.wrapping_sub(self.last_count) as i64;
        let per_second = if elapsed_ms > 0 {
            delta.saturating_mul(1000) / elapsed_ms
        } else {
            0
        };
        self.samples[self.next] = per_second;
        self.next = (self.next + 1) % SAMPLES;
        self.last_sample_ms = now_ms;
        self.last_count = count;
    }

    /// The mean of the kept samples (integer division, as Redis).
    pub fn rate(&self) -> i64 {
        self.samples.iter().sum::<i64>() / SAMPLES as i64
    }
}

/// The three rates INFO stats reports.
#[derive(Clone, Debug, Default)]
pub struct InstantMetrics {
    /// Commands per second.
    pub commands: InstantMetric,
    /// Bytes read from clients per second.
    pub net_input: InstantMetric,
    /// Bytes written to clients per second.
    pub net_output: InstantMetric,
    last_sample_ms: Option<i64>,
}

impl InstantMetrics {
    /// Samples the counters when a sample period has passed since the last
    /// sample. The first call only sets the starting readings, so a node
    /// that starts with history does not report it as one burst.
    pub fn maybe_sample(
        &mut self,
        commands: u64,
        input_bytes: u64,
        output_bytes: u64,
        now_ms: i64,
    ) {
        match self.last_sample_ms {
            Some(last) if now_ms - last < SAMPLE_PERIOD_MS => {}
            Some(_) => {
                self.commands.track(commands, now_ms);
                self.net_input.track(input_bytes, now_ms);
                self.net_output.track(output_bytes, now_ms);
                self.last_sample_ms = Some(now_ms);
            }
            None => {
                for (metric, count) in [
                    (&mut self.commands, commands),
                    (&mut self.net_input, input_bytes),
                    (&mut self.net_output, output_bytes),
                ] {
                    metric.last_sample_ms = now_ms;
                    metric.last_count = count;
                }
                self.last_sample_ms = Some(now_ms);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_the_mean_of_sixteen_samples() {
        let mut metric = InstantMetric::default();
        // 1000 ops every 100 ms = 10000/s, for 8 of the 16 samples.
        for step in 1..=8 {
            metric.track(step * 1000, step as i64 * 100);
        }
        assert_eq!(metric.rate(), 10_000 * 8 / 16);
        for step in 9..=16 {
            metric.track(step * 1000, step as i64 * 100);
        }
        assert_eq!(metric.rate(), 10_000);
        // Idle: the rate decays sample by sample.
        metric.track(16_000, 1700);
        assert_eq!(metric.rate(), 10_000 * 15 / 16);
    }

    #[test]
    fn a_zero_interval_samples_zero() {
        let mut metric = InstantMetric::default();
        metric.track(500, 0);
        assert_eq!(metric.rate(), 0);
    }

    #[test]
    fn sampling_waits_for_the_period_and_ignores_history() {
        let mut metrics = InstantMetrics::default();
        metrics.maybe_sample(1_000_000, 0, 0, 10_000);
        assert_eq!(metrics.commands.rate(), 0);
        metrics.maybe_sample(1_000_100, 0, 0, 10_050);
        assert_eq!(metrics.commands.rate(), 0, "sampled before the period");
        metrics.maybe_sample(1_001_600, 3200, 0, 10_100);
        assert_eq!(metrics.commands.rate(), 16_000 / 16);
        assert_eq!(metrics.net_input.rate(), 32_000 / 16);
    }
}
