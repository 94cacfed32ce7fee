//! Per-command latency histograms for INFO latencystats (Redis 7.0
//! `latency-tracking`): an HDR histogram exactly as Redis configures its
//! bundled hdr_histogram — values from 1 ns to 1 s, 2 significant figures —
//! so the percentiles INFO prints fall on the same bucket bounds.
//!
//! Owns the bucket arithmetic (hdr_histogram.c: `counts_index_for`,
//! `hdr_value_at_index`, `highest_equivalent_value`,
//! `hdr_value_at_percentile`). Never reads a clock: durations come in.

/// `LATENCY_HISTOGRAM_MIN_VALUE` (ns).
const MIN_VALUE_NS: u64 = 1;
/// `LATENCY_HISTOGRAM_MAX_VALUE` (ns): one second.
const MAX_VALUE_NS: u64 = 1_000_000_000;
/// 2 significant figures: `2 * 10^2` needs 8 bits of sub-buckets.
const SUB_BUCKET_COUNT_MAGNITUDE: u32 = 8;
const SUB_BUCKET_COUNT: u64 = 1 << SUB_BUCKET_COUNT_MAGNITUDE;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = SUB_BUCKET_COUNT_MAGNITUDE - 1;
const SUB_BUCKET_HALF_COUNT: u64 = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = SUB_BUCKET_COUNT - 1;
/// Buckets until `SUB_BUCKET_COUNT << buckets` exceeds `MAX_VALUE_NS`.
const BUCKET_COUNT: usize = 23;
const COUNTS_LEN: usize = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT as usize;
// hdr_init's bucket count: the last bucket reaches past 1 s, the one before
// does not.
const _: () = assert!(SUB_BUCKET_COUNT << (BUCKET_COUNT - 1) > MAX_VALUE_NS);
const _: () = assert!(SUB_BUCKET_COUNT << (BUCKET_COUNT - 2) <= MAX_VALUE_NS);

/// One command's latency distribution.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: Box<[u64]>,
    total: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: vec![0; COUNTS_LEN].into_boxed_slice(),
            total: 0,
        }
    }
}

fn bucket_index(value: u64) -> u32 {
    // `64 - clz(value | mask)` is the position of the highest set bit + 1.
    let pow2_ceiling = 64 - (value | SUB_BUCKET_MASK).leading_zeros();
    pow2_ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1)
}

fn counts_index(value: u64) -> usize {
    let bucket = bucket_index(value);
    let sub_bucket = value >> bucket;
    let base = u64::from(bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
    (base + sub_bucket - SUB_BUCKET_HALF_COUNT) as usize
}

fn value_at_index(index: usize) -> u64 {
    let index = index as u64;
    let mut bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let mut sub_bucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub_bucket -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub_bucket << bucket
}

/// The largest value that lands in the same bucket as `value`.
fn highest_equivalent_value(value: u64) -> u64 {
    let bucket = bucket_index(value);
    let sub_bucket = value >> bucket;
    let lowest = sub_bucket << bucket;
    let adjusted_bucket = if sub_bucket >= SUB_BUCKET_COUNT {
        bucket + 1
    } else {
        bucket
    };
    lowest + (1u64 << adjusted_bucket) - 1
}

impl LatencyHistogram {
    /// Records one call of `duration_ns`, clamped to the tracked range as
    /// Redis's `updateCommandLatencyHistogram` does.
    pub fn record(&mut self, duration_ns: u64) {
        let value = duration_ns.clamp(MIN_VALUE_NS, MAX_VALUE_NS);
        if let Some(count) = self.counts.get_mut(counts_index(value)) {
            *count += 1;
            self.total += 1;
        }
    }

    /// `hdr_value_at_percentile`: the highest value of the bucket where the
    /// running count reaches `percentile` % of all calls (0 when empty).
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let requested = percentile.min(100.0);
        let wanted = ((requested / 100.0) * self.total as f64 + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut running = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            running += count;
            if running >= wanted {
                let value = value_at_index(index);
                return if percentile == 0.0 {
                    value
                } else {
                    highest_equivalent_value(value)
                };
            }
        }
        0
    }

    /// Calls recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// LATENCY HISTOGRAM's `histogram_usec` (Redis `fillCommandCDF`): the
    /// steps of hdr_histogram's logarithmic iterator (first step 1024 ns,
    /// doubling) as (microseconds, cumulative calls), keeping only steps
    /// where the cumulative count grew. A step is reported at the first
    /// bucket at or past its level, counting that bucket and naming its
    /// highest value.
    pub fn cumulative_steps(&self) -> Vec<(u64, u64)> {
        let mut steps = Vec::new();
        let mut level: u64 = 1024;
        let mut index: Option<usize> = None;
        let (mut value, mut highest, mut cumulative, mut reported) = (0u64, 0u64, 0u64, 0u64);
        loop {
            let next_index = index.map_or(0, |index| index + 1);
            let more_values = next_index < COUNTS_LEN
                && value_at_index(next_index) > lowest_equivalent_value(level);
            if cumulative >= self.total && !more_values {
                return steps;
            }
            // Walk to the first bucket at or past the level.
            while value < lowest_equivalent_value(level) {
                let next = index.map_or(0, |index| index + 1);
                let Some(&count) = self.counts.get(next) else {
                    return steps;
                };
                index = Some(next);
                cumulative += count;
                value = value_at_index(next);
                highest = highest_equivalent_value(value);
            }
            if cumulative > reported {
                steps.push((highest / 1000, cumulative));
            }
            reported = cumulative;
            level = level.saturating_mul(2);
        }
    }
}

/// The smallest value in the same bucket as `value`.
fn lowest_equivalent_value(value: u64) -> u64 {
    let bucket = bucket_index(value);
    (value >> bucket) << bucket
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_hdr_histogram_for_redis_settings() {
        assert!(counts_index(MAX_VALUE_NS) < COUNTS_LEN);
        assert_eq!(counts_index(1), 1);
        assert_eq!(counts_index(255), 255);
    }

    /// Figures from redis-server 7.0.15's INFO latencystats: a SET of 30 us
    /// prints p50=30.079, an INFO of 82 us prints 82.431.
    #[test]
    fn percentiles_land_on_redis_bucket_bounds() {
        let mut histogram = LatencyHistogram::default();
        histogram.record(30_000);
        assert_eq!(histogram.value_at_percentile(50.0), 30_079);
        let mut histogram = LatencyHistogram::default();
        histogram.record(82_000);
        assert_eq!(histogram.value_at_percentile(99.9), 82_431);
        // Small values are exact; out-of-range values are clamped.
        let mut histogram = LatencyHistogram::default();
        for value in [0, 1, 200, 2_000_000_000] {
            histogram.record(value);
        }
        assert_eq!(histogram.total(), 4);
        assert_eq!(histogram.value_at_percentile(25.0), 1);
        assert_eq!(histogram.value_at_percentile(50.0), 1);
        assert_eq!(histogram.value_at_percentile(75.0), 200);
        assert_eq!(
            histogram.value_at_percentile(100.0),
            highest_equivalent_value(MAX_VALUE_NS)
        );
        assert_eq!(LatencyHistogram::default().value_at_percentile(50.0), 0);
    }

    /// Three SETs of 5-7 us on redis-server print `histogram_usec {8: 3}`;
    /// steps with no new calls are left out.
    #[test]
    fn cumulative_steps_follow_the_log_iterator() {
        let mut histogram = LatencyHistogram::default();
        assert!(histogram.cumulative_steps().is_empty());
        for value in [5_000, 6_000, 7_000] {
            histogram.record(value);
        }
        assert_eq!(histogram.cumulative_steps(), vec![(8, 3)]);
        histogram.record(500);
        histogram.record(1_500);
        histogram.record(1_000_000);
        assert_eq!(
            histogram.cumulative_steps(),
            vec![(1, 1), (2, 2), (8, 5), (1056, 6)]
        );
    }

    #[test]
    fn percentiles_split_a_distribution() {
        let mut histogram = LatencyHistogram::default();
        for value in 1..=1000u64 {
            histogram.record(value * 1000);
        }
        // 2 significant figures: within 1 % of the exact percentile.
        for (percentile, exact) in [(50.0, 500_000u64), (99.0, 990_000), (99.9, 999_000)] {
            let got = histogram.value_at_percentile(percentile);
            assert!(
                got >= exact && got <= exact + exact / 100,
                "p{percentile}: {got}"
            );
        }
    }
}
