//! How a key's 24-bit access field records accesses: Redis's LRU clock, or,
//! under an LFU `maxmemory-policy`, its logarithmic access counter.
//!
//! Redis keeps one 24-bit field per object (`robj.lru`) and reads it two
//! ways. Under LRU (every policy without `lfu`) it is `LRU_CLOCK()`, Unix
//! seconds modulo 2^24, of the last access. Under `allkeys-lfu` and
//! `volatile-lfu` the high 16 bits are the "last decrement time" in minutes
//! (`LFUGetTimeInMinutes`, Unix minutes modulo 2^16) and the low 8 bits a
//! logarithmic access counter (`evict.c`: `LFUDecrAndReturn`, `LFULogIncr`,
//! `updateLFU`). Changing the policy at runtime reinterprets the same bits,
//! as in Redis; nothing is converted. The field lives in the entry
//! (`entry.rs`), which stays 48 bytes.
//!
//! Owns the arithmetic and the per-database [`AccessState`] (the policy the
//! engine sets and the seeded generator LFU increments draw from). Never
//! reads a clock (time is `now_ms`, Unix milliseconds) and never draws
//! unseeded randomness. Under LRU a recorded access costs one branch more
//! than writing the clock: no random draw, no float math.

use crate::entry::{lru_clock, Entry};

/// Redis's `LFU_INIT_VAL`: the counter of a new key, so that new keys are
/// not evicted before they had a chance to be accessed.
pub const LFU_INIT_VAL: u8 = 5;

/// The counter saturates here (8 bits).
const LFU_COUNTER_MAX: u32 = 255;

/// The last-decrement time wraps at 2^16 minutes (~45 days).
const LFU_TIME_MASK: u64 = 0xFFFF;

/// How the keyspace records accesses; the engine builds it from
/// `maxmemory-policy`, `lfu-log-factor` and `lfu-decay-time` and hands it to
/// every database whenever the configuration changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessPolicy {
    /// `maxmemory-policy` is `allkeys-lfu` or `volatile-lfu`
    /// (`MAXMEMORY_FLAG_LFU`): the field holds the LFU pair.
    pub lfu: bool,
    /// `lfu-log-factor`: how much harder each further increment gets.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time`: minutes per decrement of an idle key's counter
    /// (0: the counter never decays).
    pub lfu_decay_time_minutes: u32,
}

impl Default for AccessPolicy {
    /// Redis's defaults: `noeviction` (LRU bookkeeping), factor 10, 1 minute.
    fn default() -> Self {
        AccessPolicy {
            lfu: false,
            lfu_log_factor: 10,
            lfu_decay_time_minutes: 1,
        }
    }
}

/// Redis's `LFUGetTimeInMinutes()` at `now_ms`: Unix minutes modulo 2^16.
/// Times before the epoch clamp to 0.
pub(crate) fn lfu_time_minutes(now_ms: i64) -> u32 {
    let seconds = u64::try_from(now_ms.div_euclid(1000)).unwrap_or(0);
    ((seconds / 60) & LFU_TIME_MASK) as u32
}

/// Redis's `LFUTimeElapsed`: minutes from `last_decrement_minutes` to
/// `now_minutes`, taking a smaller `now` as one wrap of the 16-bit clock
/// (Redis counts such a wrap as `65535 - ldt + now`, one minute short of a
/// full period; kept as is).
pub(crate) fn lfu_time_elapsed_minutes(now_minutes: u32, last_decrement_minutes: u32) -> u32 {
    if now_minutes >= last_decrement_minutes {
        now_minutes - last_decrement_minutes
    } else {
        LFU_TIME_MASK as u32 - last_decrement_minutes + now_minutes
    }
}

/// Redis's `LFUDecrAndReturn`: the counter of `field` after one decrement
/// per `decay_time_minutes` elapsed since its last decrement time, floored
/// at 0. The field itself is not changed.
pub(crate) fn lfu_decr_and_return(field: u32, now_ms: i64, decay_time_minutes: u32) -> u8 {
    let last_decrement_minutes = (field >> 8) & LFU_TIME_MASK as u32;
    let counter = field & LFU_COUNTER_MAX;
    let periods = match decay_time_minutes {
        0 => 0,
        decay => lfu_time_elapsed_minutes(lfu_time_minutes(now_ms), last_decrement_minutes) / decay,
    };
    counter.saturating_sub(periods) as u8
}

/// Redis's `LFULogIncr`: `counter + 1` with probability
/// `1 / ((counter - LFU_INIT_VAL) * log_factor + 1)` (the difference floored
/// at 0), decided by `unit_random` in `[0, 1)`; 255 stays 255.
pub(crate) fn lfu_log_incr(counter: u8, log_factor: u32, unit_random: f64) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
    let probability = 1.0 / (base * f64::from(log_factor) + 1.0);
    if unit_random < probability {
        counter + 1
    } else {
        counter
    }
}

/// The LFU field: last decrement time `now_ms` (in minutes) and `counter`.
pub(crate) fn lfu_field(now_ms: i64, counter: u8) -> u32 {
    (lfu_time_minutes(now_ms) << 8) | u32::from(counter)
}

/// A database's access bookkeeping: the policy and the generator that
/// decides LFU increments (xorshift64*, seeded by the engine; Redis uses
/// libc `rand()`).
#[derive(Clone, Debug)]
pub(crate) struct AccessState {
    pub(crate) policy: AccessPolicy,
    random_state: u64,
}

impl Default for AccessState {
    fn default() -> Self {
        let mut state = AccessState {
            policy: AccessPolicy::default(),
            random_state: 0,
        };
        state.seed(0);
        state
    }
}

/// SplitMix64: spreads a seed (any value, including 0) over all 64 bits.
fn split_mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl AccessState {
    /// Restarts the generator from `seed`.
    pub(crate) fn seed(&mut self, seed: u64) {
        // xorshift needs a non-zero state.
        self.random_state = split_mix(seed) | 1;
    }

    /// The next number in `[0, 1)` (53 random bits).
    fn next_unit(&mut self) -> f64 {
        let mut x = self.random_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random_state = x;
        let bits = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        bits as f64 / (1u64 << 53) as f64
    }

    /// The field of a key created at `now_ms` (Redis `createObject`).
    #[inline]
    pub(crate) fn initial_field(&self, now_ms: i64) -> u32 {
        if self.policy.lfu {
            lfu_field(now_ms, LFU_INIT_VAL)
        } else {
            lru_clock(now_ms)
        }
    }

    /// Records an access at `now_ms` (the part of Redis's `lookupKey`
    /// without `LOOKUP_NOTOUCH`): the LRU clock, or `updateLFU`.
    #[inline]
    pub(crate) fn record(&mut self, entry: &mut Entry, now_ms: i64) {
        if self.policy.lfu {
            self.record_lfu(entry, now_ms);
        } else {
            entry.touch(now_ms);
        }
    }

    /// Redis's `updateLFU`: decay, a logarithmic increment, and the
    /// decrement time set to now.
    #[inline(never)]
    fn record_lfu(&mut self, entry: &mut Entry, now_ms: i64) {
        let counter = lfu_decr_and_return(
            entry.access_field(),
            now_ms,
            self.policy.lfu_decay_time_minutes,
        );
        let counter = if counter == u8::MAX {
            counter
        } else {
            lfu_log_incr(counter, self.policy.lfu_log_factor, self.next_unit())
        };
        entry.set_access_field(lfu_field(now_ms, counter));
    }

    /// Redis's `LFUDecrAndReturn` of `field` under this policy's decay time.
    pub(crate) fn frequency(&self, field: u32, now_ms: i64) -> u8 {
        lfu_decr_and_return(field, now_ms, self.policy.lfu_decay_time_minutes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string_value::StringValue;
    use crate::value::Value;

    /// A minute boundary (Unix minute 28_333_334, modulo 2^16: 21_782).
    const MINUTE_MS: i64 = 60_000;
    const T0_MS: i64 = 28_333_334 * MINUTE_MS;

    fn lfu(log_factor: u32, decay_time_minutes: u32) -> AccessState {
        let mut state = AccessState {
            policy: AccessPolicy {
                lfu: true,
                lfu_log_factor: log_factor,
                lfu_decay_time_minutes: decay_time_minutes,
            },
            ..AccessState::default()
        };
        state.seed(42);
        state
    }

    fn entry(state: &AccessState, now_ms: i64) -> Entry {
        Entry::new(
            b"k",
            Value::String(StringValue::from_bytes(b"v")),
            state.initial_field(now_ms),
        )
    }

    /// The counter after `hits` accesses at `T0_MS` (no decay in between).
    fn counter_after(log_factor: u32, hits: u64, seed: u64) -> u8 {
        let mut state = lfu(log_factor, 1);
        state.seed(seed);
        let mut entry = entry(&state, T0_MS);
        for _ in 0..hits {
            state.record(&mut entry, T0_MS);
        }
        state.frequency(entry.access_field(), T0_MS)
    }

    #[test]
    fn time_in_minutes_wraps_at_16_bits() {
        assert_eq!(lfu_time_minutes(-1), 0);
        assert_eq!(lfu_time_minutes(59_999), 0);
        assert_eq!(lfu_time_minutes(60_000), 1);
        assert_eq!(lfu_time_minutes(65_535 * MINUTE_MS), 65_535);
        assert_eq!(lfu_time_minutes(65_536 * MINUTE_MS), 0);
        assert_eq!(lfu_time_minutes(T0_MS), 21_782);
        assert_eq!(lfu_time_elapsed_minutes(10, 4), 6);
        // A wrap counts 65535 - ldt + now, as in Redis.
        assert_eq!(lfu_time_elapsed_minutes(2, 65_534), 3);
        assert_eq!(lfu_time_elapsed_minutes(0, 65_535), 0);
    }

    #[test]
    fn new_keys_start_at_init_val_with_now_as_decrement_time() {
        let state = lfu(10, 1);
        let field = state.initial_field(T0_MS + 59_999);
        assert_eq!(field, (21_782 << 8) | 5);
        assert_eq!(state.frequency(field, T0_MS + 59_999), LFU_INIT_VAL);
        // Under LRU the same field is the LRU clock.
        let lru = AccessState::default();
        assert_eq!(lru.initial_field(T0_MS), lru_clock(T0_MS));
    }

    #[test]
    fn decay_is_one_per_period_floored_at_zero() {
        let field = lfu_field(T0_MS, 100);
        assert_eq!(lfu_decr_and_return(field, T0_MS + 59_999, 1), 100);
        assert_eq!(lfu_decr_and_return(field, T0_MS + MINUTE_MS, 1), 99);
        assert_eq!(lfu_decr_and_return(field, T0_MS + 30 * MINUTE_MS, 1), 70);
        assert_eq!(lfu_decr_and_return(field, T0_MS + 30 * MINUTE_MS, 10), 97);
        assert_eq!(lfu_decr_and_return(field, T0_MS + 29 * MINUTE_MS, 10), 98);
        assert_eq!(lfu_decr_and_return(field, T0_MS + 500 * MINUTE_MS, 1), 0);
        // lfu-decay-time 0: never decays.
        assert_eq!(lfu_decr_and_return(field, T0_MS + 500 * MINUTE_MS, 0), 100);
    }

    #[test]
    fn decay_across_the_16_bit_minute_wrap() {
        // Last decrement at minute 65534, now at minute 2 of the next lap:
        // 65535 - 65534 + 2 = 3 periods.
        let field = (65_534 << 8) | 50;
        let now_ms = (65_536 + 2) * MINUTE_MS;
        assert_eq!(lfu_decr_and_return(field, now_ms, 1), 47);
        assert_eq!(lfu_decr_and_return(field, now_ms, 2), 49);
    }

    #[test]
    fn log_increment_probabilities() {
        // At or below LFU_INIT_VAL, and with factor 0, p = 1.
        assert_eq!(lfu_log_incr(0, 10, 0.999), 1);
        assert_eq!(lfu_log_incr(5, 10, 0.999), 6);
        assert_eq!(lfu_log_incr(200, 0, 0.999), 201);
        assert_eq!(lfu_log_incr(255, 0, 0.0), 255);
        // Counter 6, factor 10: p = 1/11.
        assert_eq!(lfu_log_incr(6, 10, 0.09), 7);
        assert_eq!(lfu_log_incr(6, 10, 0.091), 6);
    }

    #[test]
    fn factor_zero_increments_every_hit_until_255() {
        assert_eq!(counter_after(0, 100, 1), 105);
        assert_eq!(counter_after(0, 250, 1), 255);
        assert_eq!(counter_after(0, 10_000, 1), 255);
    }

    #[test]
    fn factor_ten_lands_in_redis_documented_ranges() {
        // redis.conf's table for lfu-log-factor 10: 100 hits -> 10,
        // 1000 -> 18, 100K -> 142, 1M -> 255.
        for seed in [1, 2, 3] {
            let hundred = counter_after(10, 100, seed);
            assert!((8..=13).contains(&hundred), "100 hits: {hundred}");
            let thousand = counter_after(10, 1_000, seed);
            assert!((15..=21).contains(&thousand), "1000 hits: {thousand}");
        }
        let hundred_k = counter_after(10, 100_000, 7);
        assert!((130..=155).contains(&hundred_k), "100K hits: {hundred_k}");
        assert_eq!(counter_after(10, 1_000_000, 7), 255);
    }

    #[test]
    fn same_seed_same_counters() {
        assert_eq!(counter_after(10, 5_000, 9), counter_after(10, 5_000, 9));
    }

    #[test]
    fn an_access_decays_before_incrementing_and_moves_the_decrement_time() {
        let mut state = lfu(0, 1);
        let mut entry = entry(&state, T0_MS);
        entry.set_access_field(lfu_field(T0_MS, 20));
        state.record(&mut entry, T0_MS + 3 * MINUTE_MS);
        // 20 - 3 periods + 1 increment, decrement time now.
        assert_eq!(entry.access_field(), lfu_field(T0_MS + 3 * MINUTE_MS, 18));
    }

    #[test]
    fn lru_access_writes_the_clock() {
        let mut state = AccessState::default();
        let mut entry = entry(&state, 0);
        state.record(&mut entry, 1_700_000_000_999);
        assert_eq!(entry.access_field(), 1_700_000_000 & 0xFF_FFFF);
    }
}
