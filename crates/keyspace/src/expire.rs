//! Active expiry: Redis's adaptive `activeExpireCycle` (expire.c) over one
//! database, bounded by a sample budget instead of a time budget.
//!
//! Owns the sampling loop, its persistent cursor and the `avg_ttl`
//! estimate. Must never do unbounded work per call: at most `max_samples`
//! TTL records are examined, plus at most one pass over the 256-word set of
//! slots holding TTL keys per record fetched.
//!
//! The cycle, as in Redis 7.0 with `active-expire-effort 1`:
//! 1. sample up to 20 keys with a TTL (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`),
//!    walking the slots' TTL records with a cursor that persists across
//!    calls (Redis keeps `db->expires_cursor`), deleting the expired ones;
//! 2. repeat while more than 10 % of the batch was expired
//!    (`ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE`) and budget remains.

use crate::db::{is_expired, log_expired, Db, ExpireCursor, Tables};
use crate::slot::SLOT_COUNT;
use crate::slot_table::TtlRecord;
use crate::ActiveExpireReport;

/// Keys sampled per loop (Redis `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const ACTIVE_EXPIRE_KEYS_PER_LOOP: usize = 20;

/// Share of expired keys in a batch, in percent, above which the cycle
/// keeps going (Redis `ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE` at effort 1).
pub const ACTIVE_EXPIRE_ACCEPTABLE_STALE_PERCENT: usize = 10;

/// The TTL record under the cursor, moving the cursor to the next slot with
/// TTL keys (wrapping after slot 16383) when the current slot is done.
fn record_at_cursor(tables: &Tables, cursor: &mut ExpireCursor) -> Option<TtlRecord> {
    if let Some(record) = tables
        .slots
        .get(cursor.slot)
        .and_then(|table| table.ttl_record(cursor.record))
    {
        return Some(record);
    }
    let slot = tables
        .ttl_slots
        .next_wrapping((cursor.slot + 1) % SLOT_COUNT)?;
    *cursor = ExpireCursor { slot, record: 0 };
    tables.slots[slot].ttl_record(0)
}

impl Db {
    /// One bounded step of Redis's adaptive active-expire cycle over this db:
    /// samples keys with a TTL (at most `max_samples`) and deletes expired ones.
    ///
    /// Deleted keys are added to the count `take_expired_count` drains, and
    /// the `avg_ttl` estimate is updated from the live keys sampled.
    pub fn active_expire_step(&mut self, now_ms: i64, max_samples: usize) -> ActiveExpireReport {
        let mut report = ActiveExpireReport::default();
        loop {
            let tables = match self.tables.as_deref_mut() {
                Some(tables) if tables.expires_count > 0 => tables,
                _ => {
                    // Redis resets the estimate when no key has a TTL.
                    self.avg_ttl_ms = 0;
                    break;
                }
            };
            let budget_left = max_samples.saturating_sub(report.sampled as usize);
            if budget_left == 0 {
                report.budget_exhausted = true;
                break;
            }
            let batch = ACTIVE_EXPIRE_KEYS_PER_LOOP
                .min(tables.expires_count)
                .min(budget_left);
            let mut cursor = self.expire_cursor;
            let (mut sampled, mut expired) = (0usize, 0usize);
            let (mut ttl_sum_ms, mut ttl_samples) = (0i64, 0i64);
            while sampled < batch {
                let Some(record) = record_at_cursor(tables, &mut cursor) else {
                    break;
                };
                sampled += 1;
                if is_expired(record.at_ms, now_ms) {
                    // The slot's last TTL record moves into this index, so
                    // the cursor stays to look at it next.
                    let removed = tables.remove(cursor.slot, record.position as usize);
                    log_expired(&mut self.event_log, removed);
                    expired += 1;
                } else {
                    let ttl_ms = record.at_ms.saturating_sub(now_ms);
                    if ttl_ms > 0 {
                        ttl_sum_ms = ttl_sum_ms.saturating_add(ttl_ms);
                        ttl_samples += 1;
                    }
                    cursor.record += 1;
                }
            }
            self.expire_cursor = cursor;
            if ttl_samples > 0 {
                // Redis's running average: 2 % weight to the new sample mean.
                let average_ms = ttl_sum_ms / ttl_samples;
                if self.avg_ttl_ms == 0 {
                    self.avg_ttl_ms = average_ms;
                }
                self.avg_ttl_ms = (self.avg_ttl_ms / 50) * 49 + average_ms / 50;
            }
            report.sampled += sampled as u64;
            report.expired += expired as u64;
            self.expired_pending += expired as u64;
            if sampled == 0 || expired * 100 / sampled <= ACTIVE_EXPIRE_ACCEPTABLE_STALE_PERCENT {
                break;
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string_value::StringValue;
    use crate::value::Value;

    fn string(bytes: &[u8]) -> Value {
        Value::String(StringValue::from_bytes(bytes))
    }

    fn fill(db: &mut Db, prefix: &str, count: usize, at_ms: Option<i64>) {
        for i in 0..count {
            let key = format!("{prefix}:{i}");
            db.set(key.as_bytes(), string(b"v"), false, 0);
            if let Some(at_ms) = at_ms {
                db.set_expire_at_ms(key.as_bytes(), at_ms, 0);
            }
        }
    }

    #[test]
    fn nothing_to_do() {
        let mut db = Db::new();
        assert_eq!(db.active_expire_step(0, 100), ActiveExpireReport::default());
        fill(&mut db, "plain", 100, None);
        assert_eq!(db.active_expire_step(0, 100), ActiveExpireReport::default());
        assert_eq!(db.avg_ttl_ms(), 0);
    }

    #[test]
    fn expires_everything_within_budget() {
        let mut db = Db::new();
        fill(&mut db, "gone", 500, Some(100));
        fill(&mut db, "plain", 100, None);
        let report = db.active_expire_step(101, 10_000);
        assert_eq!(report.expired, 500);
        assert_eq!(report.sampled, 500);
        assert!(!report.budget_exhausted);
        assert_eq!(db.len(), 100);
        assert_eq!(db.expires_len(), 0);
        assert_eq!(db.take_expired_count(), 500);
        db.check_invariants();
    }

    #[test]
    fn budget_bounds_work_and_is_reported() {
        let mut db = Db::new();
        fill(&mut db, "gone", 1000, Some(100));
        let report = db.active_expire_step(101, 50);
        assert_eq!(report.sampled, 50);
        assert_eq!(report.expired, 50);
        assert!(report.budget_exhausted);
        assert_eq!(db.len(), 950);
        // Repeated steps finish the job.
        let mut total = 50;
        for _ in 0..100 {
            total += db.active_expire_step(101, 50).expired;
        }
        assert_eq!(total, 1000);
        assert!(db.is_empty());
        db.check_invariants();
    }

    #[test]
    fn stops_when_few_keys_are_stale() {
        let mut db = Db::new();
        fill(&mut db, "live", 1000, Some(1_000_000));
        let report = db.active_expire_step(0, 10_000);
        // One batch of 20, none stale: the cycle stops.
        assert_eq!(report.sampled, 20);
        assert_eq!(report.expired, 0);
        assert!(!report.budget_exhausted);
        // avg_ttl is the sampled TTL on the first estimate.
        assert_eq!(db.avg_ttl_ms(), (1_000_000 / 50) * 49 + 1_000_000 / 50);
    }

    #[test]
    fn cursor_persists_across_calls_and_finds_sparse_stale_keys() {
        let mut db = Db::new();
        fill(&mut db, "live", 400, Some(1_000_000));
        fill(&mut db, "gone", 4, Some(10));
        // Each call samples one batch of 20 (under 10 % stale stops it), but
        // the cursor walks on, so every record is seen within a few calls.
        let mut expired = 0;
        for _ in 0..(404 / 20 + 2) {
            expired += db.active_expire_step(11, 1000).expired;
        }
        assert_eq!(expired, 4);
        assert_eq!(db.expires_len(), 400);
        db.check_invariants();
    }

    #[test]
    fn zero_budget_samples_nothing() {
        let mut db = Db::new();
        fill(&mut db, "gone", 10, Some(1));
        let report = db.active_expire_step(5, 0);
        assert_eq!(report.sampled, 0);
        assert!(report.budget_exhausted);
        assert_eq!(db.len(), 10);
    }

    #[test]
    fn avg_ttl_resets_when_no_ttl_left() {
        let mut db = Db::new();
        fill(&mut db, "k", 5, Some(10_000));
        db.active_expire_step(0, 100);
        assert!(db.avg_ttl_ms() > 0);
        for i in 0..5 {
            db.persist(format!("k:{i}").as_bytes(), 0);
        }
        db.active_expire_step(0, 100);
        assert_eq!(db.avg_ttl_ms(), 0);
    }
}
